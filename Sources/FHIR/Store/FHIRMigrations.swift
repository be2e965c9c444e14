import Foundation
import Storage

/// The FHIR store's tables: resources with history, and one search-index table per parameter type.
public enum FHIRMigrations {
    /// The migrations of the FHIR target, in order.
    public static let all: [Migration] = [
        Migration(id: "0100_fhir_store") { sql in
            [
                """
                CREATE TABLE fhir_resource (
                    res_type TEXT NOT NULL, res_id TEXT NOT NULL, version_id BIGINT NOT NULL,
                    last_updated TEXT NOT NULL, last_updated_ms BIGINT NOT NULL, deleted SMALLINT NOT NULL,
                    content TEXT NOT NULL, PRIMARY KEY (res_type, res_id))
                """,
                "CREATE INDEX fhir_resource_updated ON fhir_resource (res_type, last_updated_ms)",
                """
                CREATE TABLE fhir_resource_history (
                    res_type TEXT NOT NULL, res_id TEXT NOT NULL, version_id BIGINT NOT NULL,
                    last_updated TEXT NOT NULL, last_updated_ms BIGINT NOT NULL, deleted SMALLINT NOT NULL,
                    method TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (res_type, res_id, version_id))
                """,
                "CREATE INDEX fhir_history_updated ON fhir_resource_history (last_updated_ms)",
                "CREATE INDEX fhir_history_type_updated ON fhir_resource_history (res_type, last_updated_ms)",
                "CREATE TABLE fhir_idx_token (res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL, system \(sql.binaryText), code \(sql.binaryText) NOT NULL)",
                "CREATE INDEX fhir_idx_token_value ON fhir_idx_token (res_type, param, code, system)",
                "CREATE INDEX fhir_idx_token_res ON fhir_idx_token (res_type, res_id)",
                "CREATE TABLE fhir_idx_string (res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL, value \(sql.binaryText) NOT NULL)",
                "CREATE INDEX fhir_idx_string_value ON fhir_idx_string (res_type, param, value)",
                "CREATE INDEX fhir_idx_string_res ON fhir_idx_string (res_type, res_id)",
                "CREATE TABLE fhir_idx_reference (res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL)",
                "CREATE INDEX fhir_idx_reference_value ON fhir_idx_reference (res_type, param, target_id, target_type)",
                "CREATE INDEX fhir_idx_reference_target ON fhir_idx_reference (target_id, target_type)",
                "CREATE INDEX fhir_idx_reference_res ON fhir_idx_reference (res_type, res_id)",
                "CREATE TABLE fhir_idx_date (res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL, low_ms BIGINT NOT NULL, high_ms BIGINT NOT NULL)",
                "CREATE INDEX fhir_idx_date_low ON fhir_idx_date (res_type, param, low_ms)",
                "CREATE INDEX fhir_idx_date_high ON fhir_idx_date (res_type, param, high_ms)",
                "CREATE INDEX fhir_idx_date_res ON fhir_idx_date (res_type, res_id)",
                "CREATE TABLE fhir_idx_number (res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL, value \(sql.double) NOT NULL)",
                "CREATE INDEX fhir_idx_number_value ON fhir_idx_number (res_type, param, value)",
                "CREATE INDEX fhir_idx_number_res ON fhir_idx_number (res_type, res_id)",
                "CREATE TABLE fhir_idx_quantity (res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL, system TEXT, code TEXT, value \(sql.double) NOT NULL)",
                "CREATE INDEX fhir_idx_quantity_value ON fhir_idx_quantity (res_type, param, value)",
                "CREATE INDEX fhir_idx_quantity_res ON fhir_idx_quantity (res_type, res_id)",
            ]
        },
        Migration(id: "0101_fhir_store_keys") { sql in
            keyedStore(sql)
        },
        Migration(id: "0102_fhir_reference_date") { sql in
            referenceDate(sql)
        },
        // PostgreSQL keeps the table apart from its primary key, so an organisation's day found in the key was checked
        // for its end date (`high_ms`) in the table, one random read a row (≈ 3,800 pages for a CHC's day at 1,000,000
        // residents); this index holds the end date and the resource key too, so such a search reads the index
        // alone. SQLite's table is its primary key's B-tree (`WITHOUT ROWID`), which holds every column already.
        Migration(id: "0103_fhir_reference_date_covering") { sql in
            sql.engine == .postgres ? ["""
                CREATE INDEX IF NOT EXISTS fhir_idx_reference_date_cover ON fhir_idx_reference_date
                    (param_key, target_id, target_type, date_param_key, low_ms) INCLUDE (high_ms, res_key)
                """] : []
        },
    ]

    /// `0102`: the rows of ``FHIRDefinitions/referenceDatePairs`` (a reference and a date of one resource,
    /// one row per pair of values), filled from the stored index rows. The table is kept in the order searches
    /// read it (parameter, target, date parameter, low date: one range read for an organisation's day; one B-tree
    /// on SQLite), with an index on the resource for replacing a version's rows.
    static func referenceDate(_ sql: SQLFragments) -> [String] {
        var statements = [
            """
            CREATE TABLE fhir_idx_reference_date (res_key BIGINT NOT NULL, ref_seq INTEGER NOT NULL, date_seq INTEGER NOT NULL,
                param_key INTEGER NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL,
                date_param_key INTEGER NOT NULL, low_ms BIGINT NOT NULL, high_ms BIGINT NOT NULL,
                CONSTRAINT fhir_idx_reference_date_pk PRIMARY KEY (param_key, target_id, target_type, date_param_key, low_ms, res_key, ref_seq, date_seq))\(sql.clusteredByPrimaryKey)
            """,
        ]
        for (type, pairs) in FHIRDefinitions.referenceDatePairs.sorted(by: { $0.key < $1.key }) {
            for pair in pairs {
                statements.append("""
                    INSERT INTO fhir_idx_reference_date (res_key, ref_seq, date_seq, param_key, target_type, target_id, date_param_key, low_ms, high_ms)
                    SELECT r.res_key, r.seq, d.seq, r.param_key, r.target_type, r.target_id, d.param_key, d.low_ms, d.high_ms
                    FROM fhir_search_param pr JOIN fhir_idx_reference r ON r.param_key = pr.param_key
                    JOIN fhir_search_param pd ON pd.res_type = pr.res_type AND pd.name = \(literal(pair.date))
                    JOIN fhir_idx_date d ON d.res_key = r.res_key AND d.param_key = pd.param_key
                    WHERE pr.res_type = \(literal(type)) AND pr.name = \(literal(pair.reference))
                    """)
            }
        }
        statements.append("CREATE INDEX fhir_idx_reference_date_res ON fhir_idx_reference_date (res_key)")
        return statements
    }

    /// `0101`: integer keys and content stored once.
    ///
    /// `fhir_resource` gets a surrogate `res_key` (SQLite's rowid; an identity on PostgreSQL) and the
    /// current version's `method`; `fhir_resource_history` keeps only superseded versions, so a resource's
    /// JSON is stored once until it changes. `fhir_search_param` numbers the stored search parameters;
    /// the index tables are keyed by `(res_key, seq)` (one B-tree on SQLite, `WITHOUT ROWID`) with one
    /// search index each (two for dates), and hold `param_key` instead of the type and parameter names.
    /// Parameters whose rows would repeat others' (``FHIRDefinitions/indexRowSources``) are not stored.
    /// Existing data is copied.
    static func keyedStore(_ sql: SQLFragments) -> [String] {
        let text = sql.binaryText
        let indexTables: [(name: String, columns: String, copied: String, indexes: [String])] = [
            ("token", "system \(text), code \(text) NOT NULL", "system, code", ["value ON fhir_idx_token (param_key, code, system, res_key)"]),
            ("string", "value \(text) NOT NULL", "value", ["value ON fhir_idx_string (param_key, value, res_key)"]),
            ("reference", "target_type TEXT NOT NULL, target_id TEXT NOT NULL", "target_type, target_id",
             ["value ON fhir_idx_reference (param_key, target_id, target_type, res_key)"]),
            ("date", "low_ms BIGINT NOT NULL, high_ms BIGINT NOT NULL", "low_ms, high_ms",
             ["low ON fhir_idx_date (param_key, low_ms, res_key)", "high ON fhir_idx_date (param_key, high_ms, res_key)"]),
            ("number", "value \(sql.double) NOT NULL", "value", ["value ON fhir_idx_number (param_key, value, res_key)"]),
            ("quantity", "system TEXT, code TEXT, value \(sql.double) NOT NULL", "system, code, value",
             ["value ON fhir_idx_quantity (param_key, value, res_key)"]),
        ]
        var statements = ["DROP INDEX fhir_resource_updated"]
        for index in ["token_value", "token_res", "string_value", "string_res", "reference_value", "reference_target", "reference_res",
                      "date_low", "date_high", "date_res", "number_value", "number_res", "quantity_value", "quantity_res"] {
            statements.append("DROP INDEX fhir_idx_\(index)")
        }
        statements.append("ALTER TABLE fhir_resource RENAME TO fhir_resource_0100")
        for table in indexTables {
            statements.append("ALTER TABLE fhir_idx_\(table.name) RENAME TO fhir_idx_\(table.name)_0100")
        }
        statements += [
            """
            CREATE TABLE fhir_search_param (param_key \(sql.surrogateKey), res_type TEXT NOT NULL, name TEXT NOT NULL,
                CONSTRAINT fhir_search_param_pk PRIMARY KEY (param_key), CONSTRAINT fhir_search_param_name UNIQUE (res_type, name))
            """,
            """
            CREATE TABLE fhir_resource (
                res_key \(sql.surrogateKey), res_type TEXT NOT NULL, res_id TEXT NOT NULL, version_id BIGINT NOT NULL,
                last_updated TEXT NOT NULL, last_updated_ms BIGINT NOT NULL, deleted SMALLINT NOT NULL, method TEXT NOT NULL,
                content TEXT NOT NULL, CONSTRAINT fhir_resource_pk PRIMARY KEY (res_key), CONSTRAINT fhir_resource_id UNIQUE (res_type, res_id))
            """,
            "CREATE INDEX fhir_resource_updated ON fhir_resource (res_type, last_updated_ms)",
            "CREATE INDEX fhir_resource_updated_all ON fhir_resource (last_updated_ms)",
        ]
        let stored = FHIRDefinitions.shared.indexedParameters.flatMap { type, parameters in parameters.map { (type, $0.definition.name) } }.sorted { $0 < $1 }
        if !stored.isEmpty {
            statements.append("INSERT INTO fhir_search_param (res_type, name) VALUES " + stored.map { "(\(literal($0.0)), \(literal($0.1)))" }.joined(separator: ", "))
        }
        statements += [
            """
            INSERT INTO fhir_resource (res_type, res_id, version_id, last_updated, last_updated_ms, deleted, method, content)
            SELECT r.res_type, r.res_id, r.version_id, r.last_updated, r.last_updated_ms, r.deleted,
                COALESCE(h.method, CASE WHEN r.deleted <> 0 THEN 'DELETE' WHEN r.version_id = 1 THEN 'POST' ELSE 'PUT' END), r.content
            FROM fhir_resource_0100 r
            LEFT JOIN fhir_resource_history h ON h.res_type = r.res_type AND h.res_id = r.res_id AND h.version_id = r.version_id
            ORDER BY r.last_updated_ms, r.res_type, r.res_id
            """,
            """
            DELETE FROM fhir_resource_history WHERE EXISTS (SELECT 1 FROM fhir_resource r WHERE r.res_type = fhir_resource_history.res_type
                AND r.res_id = fhir_resource_history.res_id AND r.version_id = fhir_resource_history.version_id)
            """,
        ]
        for table in indexTables {
            statements.append("""
                CREATE TABLE fhir_idx_\(table.name) (res_key BIGINT NOT NULL, seq INTEGER NOT NULL, param_key INTEGER NOT NULL, \(table.columns),
                    CONSTRAINT fhir_idx_\(table.name)_pk PRIMARY KEY (res_key, seq))\(sql.clusteredByPrimaryKey)
                """)
            statements.append("""
                INSERT INTO fhir_idx_\(table.name) (res_key, seq, param_key, \(table.copied))
                SELECT r.res_key, ROW_NUMBER() OVER (PARTITION BY r.res_key ORDER BY p.param_key) - 1, p.param_key, \(table.copied.split(separator: ",").map { "i." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
                FROM fhir_idx_\(table.name)_0100 i
                JOIN fhir_resource r ON r.res_type = i.res_type AND r.res_id = i.res_id
                JOIN fhir_search_param p ON p.res_type = i.res_type AND p.name = i.param
                """)
            for index in table.indexes {
                statements.append("CREATE INDEX fhir_idx_\(table.name)_\(index)")
            }
            statements.append("DROP TABLE fhir_idx_\(table.name)_0100")
        }
        statements.append("DROP TABLE fhir_resource_0100")
        return statements
    }

    private static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
