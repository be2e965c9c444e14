import SQLKit
import Storage

/// Multi-row INSERT statements, split so that no statement exceeds the engines' bind limits.
struct BatchInsert {
    let table: String
    let columns: [String]
    var rows: [[any Encodable & Sendable]] = []

    init(table: String, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    mutating func append(_ row: [any Encodable & Sendable]) {
        rows.append(row)
    }

    /// Runs the inserts and empties the batch.
    mutating func flush(_ sql: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        // SQLite allows 32766 bound values per statement, PostgreSQL 65535.
        let rowsPerStatement = max(1, 30_000 / columns.count)
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + rowsPerStatement)
            var query = SQLQueryString("INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columns.joined(separator: ", "))) VALUES ")
            for index in start..<end {
                if index > start { query.appendLiteral(", ") }
                query.appendLiteral("(")
                for (column, value) in rows[index].enumerated() {
                    if column > 0 { query.appendLiteral(", ") }
                    query.appendInterpolation(bind: value)
                }
                query.appendLiteral(")")
            }
            try await sql.raw(query).run()
            start = end
        }
        rows.removeAll(keepingCapacity: true)
    }
}
