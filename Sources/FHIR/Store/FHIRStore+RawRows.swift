import SQLKit
import Storage

/// The stored rows of the FHIR tables, for the ingest benchmark's ceiling: the same rows (keys
/// included) inserted without parsing, validation or indexing work.
public struct FHIRRawRows: Sendable {
    /// Rows per table, each a list of column values.
    public var tables: [(table: String, columns: [String], rows: [[RowValue]])]

    /// Creates a set of rows.
    public init(tables: [(table: String, columns: [String], rows: [[RowValue]])]) {
        self.tables = tables
    }

    /// The rows of resources not in `other`: index rows by `res_key` (their first column), history rows by type and id.
    public func subtracting(_ other: FHIRRawRows) -> FHIRRawRows {
        var knownKeys = Set<Int64>()
        var knownIDs = Set<String>()
        for table in other.tables where table.table == "fhir_resource" {
            for row in table.rows {
                if case .int(let key) = row[0] { knownKeys.insert(key) }
                knownIDs.insert("\(row[1])/\(row[2])")
            }
        }
        return FHIRRawRows(tables: tables.map { table in
            (table.table, table.columns, table.rows.filter { row in
                if table.table == "fhir_resource_history" { return !knownIDs.contains("\(row[0])/\(row[1])") }
                guard case .int(let key) = row[0] else { return true }
                return !knownKeys.contains(key)
            })
        })
    }

    /// The number of rows in all tables.
    public var count: Int { tables.reduce(0) { $0 + $1.rows.count } }

    /// A table's columns and how each is read, for ``FHIRStore/rawRows(including:)``.
    public typealias Layout = (table: String, columns: [(name: String, kind: Kind)])

    static let layout: [Layout] = [
        ("fhir_resource", [("res_key", .int), ("res_type", .text), ("res_id", .text), ("version_id", .int), ("last_updated", .text), ("last_updated_ms", .int),
                           ("deleted", .int), ("method", .text), ("content", .text)]),
        ("fhir_resource_history", [("res_type", .text), ("res_id", .text), ("version_id", .int), ("last_updated", .text), ("last_updated_ms", .int), ("deleted", .int), ("method", .text), ("content", .text)]),
        ("fhir_idx_token", [("res_key", .int), ("seq", .int), ("param_key", .int), ("system", .optionalText), ("code", .text)]),
        ("fhir_idx_string", [("res_key", .int), ("seq", .int), ("param_key", .int), ("value", .text)]),
        ("fhir_idx_reference", [("res_key", .int), ("seq", .int), ("param_key", .int), ("target_type", .text), ("target_id", .text)]),
        ("fhir_idx_date", [("res_key", .int), ("seq", .int), ("param_key", .int), ("low_ms", .int), ("high_ms", .int)]),
        ("fhir_idx_reference_date", [("res_key", .int), ("ref_seq", .int), ("date_seq", .int), ("param_key", .int), ("target_type", .text), ("target_id", .text),
                                     ("date_param_key", .int), ("low_ms", .int), ("high_ms", .int)]),
        ("fhir_idx_number", [("res_key", .int), ("seq", .int), ("param_key", .int), ("value", .double)]),
        ("fhir_idx_quantity", [("res_key", .int), ("seq", .int), ("param_key", .int), ("system", .optionalText), ("code", .optionalText), ("value", .double)]),
    ]

    /// How a column is read back.
    public enum Kind: Sendable { case text, optionalText, int, optionalInt, double, optionalDouble }
}

extension FHIRStore {
    /// Reads every row of the FHIR tables, and of the `extra` tables (the domains' rows written by write hooks).
    public func rawRows(including extra: [FHIRRawRows.Layout] = []) async throws -> FHIRRawRows {
        try await database.read { sql in
            var tables: [(table: String, columns: [String], rows: [[RowValue]])] = []
            for (table, columns) in FHIRRawRows.layout + extra {
                let rows = try await sql.raw("SELECT \(unsafeRaw: columns.map(\.0).joined(separator: ", ")) FROM \(unsafeRaw: table)").all()
                let values: [[RowValue]] = try rows.map { row in
                    try columns.map { column, kind -> RowValue in
                        switch kind {
                        case .text: .text(try row.decode(column: column, as: String.self))
                        case .optionalText: .text(try row.decode(column: column, as: String?.self))
                        case .int: .int(try row.decode(column: column, as: Int64.self))
                        case .double: .double(try row.decode(column: column, as: Double.self))
                        case .optionalInt: try row.decode(column: column, as: Int64?.self).map(RowValue.int) ?? .text(nil)
                        case .optionalDouble: try row.decode(column: column, as: Double?.self).map(RowValue.double) ?? .text(nil)
                        }
                    }
                }
                tables.append((table, columns.map(\.0), values))
            }
            return FHIRRawRows(tables: tables)
        }
    }

    /// Inserts part `part` of `parts` of every table's rows in one transaction, with the writer's multi-row INSERTs.
    public func insertRaw(_ rows: FHIRRawRows, part: Int, of parts: Int) async throws {
        try await database.write { sql in
            for (table, columns, values) in rows.tables {
                let start = values.count * part / parts
                let end = values.count * (part + 1) / parts
                guard start < end else { continue }
                // As the writer inserts them: resources as `VALUES`, index rows as JSON arrays on SQLite.
                var batch = BatchInsert(table: table, columns: columns, packedOnSQLite: !columns.contains("content"))
                for row in values[start..<end] { batch.append(row) }
                try await batch.flush(sql, engine: database.engine)
            }
        }
    }
}
