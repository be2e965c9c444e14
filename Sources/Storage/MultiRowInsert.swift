public import SQLKit

/// Set-based statements for the domains' write hooks over a list of values (inserts go through FHIR's
/// `BatchInsert`).
public enum MultiRowInsert {
    /// Runs `statement` once per chunk of `values` (at most 500), with the chunk bound as `IN (…)` where the
    /// statement says `{in}`: e.g. `DELETE FROM t WHERE source IN {in}`.
    public static func forEachChunk(_ sql: any SQLDatabase, _ values: [String], _ statement: String) async throws {
        for slice in values.chunked(500) {
            let chunk = Array(slice)
            let parts = statement.components(separatedBy: "{in}")
            var query = SQLQueryString(stringLiteral: parts[0])
            for part in parts.dropFirst() {
                query.appendLiteral("(")
                query.appendInterpolation(binds: chunk)
                query.appendLiteral(")")
                query.appendLiteral(part)
            }
            try await sql.raw(query).run()
        }
    }
}
