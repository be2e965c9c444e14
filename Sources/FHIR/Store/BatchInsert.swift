import SQLKit
import Storage

/// A column value of a row written by ``BatchInsert``.
///
/// Integers are written into the statement as SQL literals (cheaper than a bound parameter through
/// the drivers' `Encodable` path); text and floating-point values are bound.
public enum RowValue: Sendable, Equatable, Hashable {
    case int(Int64)
    case double(Double)
    case text(String?)
}

/// Multi-row INSERT statements, split so that no statement exceeds the engines' bind limits.
struct BatchInsert {
    let table: String
    let columns: [String]
    var rows: [[RowValue]] = []

    init(table: String, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    mutating func append(_ row: [RowValue]) {
        rows.append(row)
    }

    /// Rows per statement for a table of `columns` columns: SQLite allows 32766 bound values per
    /// statement, PostgreSQL 65535.
    static func rowsPerStatement(columns: Int) -> Int {
        max(1, 30_000 / columns)
    }

    /// Runs the inserts and empties the batch.
    mutating func flush(_ sql: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        let rowsPerStatement = Self.rowsPerStatement(columns: columns.count)
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + rowsPerStatement)
            try await sql.raw(statement(rows: start..<end)).run()
            start = end
        }
        rows.removeAll(keepingCapacity: true)
    }

    /// Inserts every row in one statement (at most ``rowsPerStatement(columns:)`` rows) and returns
    /// `returning` of each inserted row, in no particular order; empties the batch.
    mutating func insertReturning(_ sql: any SQLDatabase, columns returning: String) async throws -> [any SQLRow] {
        guard !rows.isEmpty else { return [] }
        var query = statement(rows: 0..<rows.count)
        query.appendLiteral(" RETURNING \(returning)")
        let result = try await sql.raw(query).all()
        rows.removeAll(keepingCapacity: true)
        return result
    }

    private func statement(rows range: Range<Int>) -> SQLQueryString {
        var query = SQLQueryString("INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columns.joined(separator: ", "))) VALUES ")
        for index in range {
            if index > range.lowerBound { query.appendLiteral(", ") }
            query.appendLiteral("(")
            for (column, value) in rows[index].enumerated() {
                if column > 0 { query.appendLiteral(", ") }
                switch value {
                case .int(let number): query.appendLiteral(String(number))
                case .double(let number): query.appendInterpolation(bind: number)
                case .text(let text): query.appendInterpolation(bind: text)
                }
            }
            query.appendLiteral(")")
        }
        return query
    }
}
