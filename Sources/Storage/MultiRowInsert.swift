public import SQLKit

/// Set-based inserts for the domains' write hooks: `INSERT INTO t (…) VALUES (…), (…) …` with bound values,
/// split into as many statements as the engines' limits on bound values need (SQLite 32,766).
public enum MultiRowInsert {
    /// Inserts `rows` (each as many values as `columns`), followed by `suffix` (e.g. `ON CONFLICT …`).
    /// Rows of one statement must not conflict with each other when the suffix updates on conflict.
    public static func run(_ sql: any SQLDatabase, table: String, columns: [String], rows: [[any Encodable & Sendable]], suffix: String = "") async throws {
        guard !rows.isEmpty else { return }
        let perStatement = max(1, 30_000 / max(1, columns.count))
        var start = 0
        while start < rows.count {
            var query = SQLQueryString("INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columns.joined(separator: ", "))) VALUES ")
            for (position, row) in rows[start..<min(rows.count, start + perStatement)].enumerated() {
                query.appendLiteral(position == 0 ? "(" : ", (")
                for (index, value) in row.enumerated() {
                    if index > 0 { query.appendLiteral(", ") }
                    query.appendInterpolation(bind: value)
                }
                query.appendLiteral(")")
            }
            if !suffix.isEmpty { query.appendLiteral(" " + suffix) }
            try await sql.raw(query).run()
            start += perStatement
        }
    }

    /// Runs `statement` once per chunk of `values` (at most 500), with the chunk bound as `IN (…)` where the
    /// statement says `{in}`: e.g. `DELETE FROM t WHERE source IN {in}`.
    public static func forEachChunk(_ sql: any SQLDatabase, _ values: [String], _ statement: String) async throws {
        var start = 0
        while start < values.count {
            let chunk = Array(values[start..<min(values.count, start + 500)])
            let parts = statement.components(separatedBy: "{in}")
            var query = SQLQueryString(stringLiteral: parts[0])
            for part in parts.dropFirst() {
                query.appendLiteral("(")
                query.appendInterpolation(binds: chunk)
                query.appendLiteral(")")
                query.appendLiteral(part)
            }
            try await sql.raw(query).run()
            start += 500
        }
    }
}
