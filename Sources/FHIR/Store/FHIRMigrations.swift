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
    ]
}
