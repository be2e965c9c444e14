import SQLKit
import Storage

/// The stored rows of the FHIR tables, for the ingest benchmark's ceiling: the same rows
/// inserted without parsing, validation or indexing work.
public struct FHIRRawRows: Sendable {
    /// Rows per table, each a list of column values.
    public var tables: [(table: String, columns: [String], rows: [[any Encodable & Sendable]])]

    /// Creates a set of rows.
    public init(tables: [(table: String, columns: [String], rows: [[any Encodable & Sendable]])]) {
        self.tables = tables
    }

    /// The rows of resources not in `other` (every table starts with res_type, res_id).
    public func subtracting(_ other: FHIRRawRows) -> FHIRRawRows {
        var known = Set<String>()
        for table in other.tables where table.table == "fhir_resource" {
            for row in table.rows { known.insert("\(row[0])/\(row[1])") }
        }
        return FHIRRawRows(tables: tables.map { table in
            (table.table, table.columns, table.rows.filter { !known.contains("\($0[0])/\($0[1])") })
        })
    }

    /// The number of rows in all tables.
    public var count: Int { tables.reduce(0) { $0 + $1.rows.count } }

    static let layout: [(String, [(String, Kind)])] = [
        ("fhir_resource", [("res_type", .text), ("res_id", .text), ("version_id", .int), ("last_updated", .text), ("last_updated_ms", .int), ("deleted", .int), ("content", .text)]),
        ("fhir_resource_history", [("res_type", .text), ("res_id", .text), ("version_id", .int), ("last_updated", .text), ("last_updated_ms", .int), ("deleted", .int), ("method", .text), ("content", .text)]),
        ("fhir_idx_token", [("res_type", .text), ("res_id", .text), ("param", .text), ("system", .optionalText), ("code", .text)]),
        ("fhir_idx_string", [("res_type", .text), ("res_id", .text), ("param", .text), ("value", .text)]),
        ("fhir_idx_reference", [("res_type", .text), ("res_id", .text), ("param", .text), ("target_type", .text), ("target_id", .text)]),
        ("fhir_idx_date", [("res_type", .text), ("res_id", .text), ("param", .text), ("low_ms", .int), ("high_ms", .int)]),
        ("fhir_idx_number", [("res_type", .text), ("res_id", .text), ("param", .text), ("value", .double)]),
        ("fhir_idx_quantity", [("res_type", .text), ("res_id", .text), ("param", .text), ("system", .optionalText), ("code", .optionalText), ("value", .double)]),
    ]

    enum Kind { case text, optionalText, int, double }
}

extension FHIRStore {
    /// Reads every row of the FHIR tables.
    public func rawRows() async throws -> FHIRRawRows {
        try await database.read { sql in
            var tables: [(table: String, columns: [String], rows: [[any Encodable & Sendable]])] = []
            for (table, columns) in FHIRRawRows.layout {
                let rows = try await sql.raw("SELECT \(unsafeRaw: columns.map(\.0).joined(separator: ", ")) FROM \(unsafeRaw: table)").all()
                let values: [[any Encodable & Sendable]] = try rows.map { row in
                    try columns.map { column, kind -> any Encodable & Sendable in
                        switch kind {
                        case .text: try row.decode(column: column, as: String.self)
                        case .optionalText: try row.decode(column: column, as: String?.self)
                        case .int: try row.decode(column: column, as: Int64.self)
                        case .double: try row.decode(column: column, as: Double.self)
                        }
                    }
                }
                tables.append((table, columns.map(\.0), values))
            }
            return FHIRRawRows(tables: tables)
        }
    }

    /// Inserts part `part` of `parts` of every table's rows in one transaction, with multi-row INSERTs.
    public func insertRaw(_ rows: FHIRRawRows, part: Int, of parts: Int) async throws {
        try await database.write { sql in
            for (table, columns, values) in rows.tables {
                let start = values.count * part / parts
                let end = values.count * (part + 1) / parts
                guard start < end else { continue }
                var batch = BatchInsert(table: table, columns: columns)
                for row in values[start..<end] { batch.append(row) }
                try await batch.flush(sql)
            }
        }
    }
}
