import SQLKit
import Storage

/// A column value of a row written by ``BatchInsert``.
///
/// Integers are written into the statement as SQL literals (cheaper than a bound parameter through
/// the drivers' `Encodable` path); text and floating-point values are bound.
public enum RowValue: Sendable, Equatable, Hashable {
    /// An integer, written as a literal.
    case int(Int64)
    /// A floating-point number, bound.
    case double(Double)
    /// Text or NULL, bound.
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
            try await sql.raw("\(InsertStatement(table: table, columns: columns, rows: rows[start..<end], returning: nil))").run()
            start = end
        }
        rows.removeAll(keepingCapacity: true)
    }

    /// Inserts every row in one statement (at most ``rowsPerStatement(columns:)`` rows) and returns
    /// `returning` of each inserted row, in no particular order; empties the batch.
    mutating func insertReturning(_ sql: any SQLDatabase, columns returning: String) async throws -> [any SQLRow] {
        guard !rows.isEmpty else { return [] }
        let result = try await sql.raw("\(InsertStatement(table: table, columns: columns, rows: rows[...], returning: returning))").all()
        rows.removeAll(keepingCapacity: true)
        return result
    }
}

/// One multi-row INSERT, serialised straight into SQL text and binds (no intermediate fragments).
private struct InsertStatement: SQLExpression {
    let table: String
    let columns: [String]
    let rows: ArraySlice<[RowValue]>
    let returning: String?

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ")
        var firstRow = true
        for row in rows {
            serializer.write(firstRow ? "(" : ", (")
            firstRow = false
            for (index, value) in row.enumerated() {
                if index > 0 { serializer.write(", ") }
                switch value {
                case .int(let number): serializer.write(String(number))
                case .double(let number): serializer.write(bind: number)
                case .text(let text): serializer.write(bind: text)
                }
            }
            serializer.write(")")
        }
        if let returning { serializer.write(" RETURNING \(returning)") }
    }
}
