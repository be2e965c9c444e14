import Storage

/// The Access target's tables: accounts, registered systems, sessions, consents and the audit chain.
public enum AccessMigrations {
    /// The migrations of the Access target, in order.
    public static let all: [Migration] = [
        Migration(id: "0300_access") { sql in
            [
                """
                CREATE TABLE access_user (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
                    role TEXT NOT NULL, institution TEXT, district TEXT, practitioner_id TEXT, patient_id TEXT,
                    password_hash TEXT NOT NULL, failed_logins INTEGER NOT NULL, last_failed_ms BIGINT, locked_until_ms BIGINT,
                    disabled SMALLINT NOT NULL, created_at TEXT NOT NULL)
                """,
                "CREATE UNIQUE INDEX access_user_patient ON access_user (patient_id)",
                """
                CREATE TABLE access_client (client_id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash TEXT NOT NULL,
                    institution TEXT, district TEXT, scopes TEXT NOT NULL, disabled SMALLINT NOT NULL, created_at TEXT NOT NULL)
                """,
                "CREATE TABLE access_session (session_key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_ms BIGINT)",
                """
                CREATE TABLE access_consent (id \(sql.autoIncrementPrimaryKey), grantor_patient TEXT NOT NULL, grantee_patient TEXT NOT NULL,
                    scope TEXT NOT NULL, recorded_at TEXT NOT NULL, revoked_at TEXT)
                """,
                "CREATE INDEX access_consent_grantee ON access_consent (grantee_patient, grantor_patient)",
                """
                CREATE TABLE audit_entry (seq BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, actor TEXT NOT NULL, actor_role TEXT NOT NULL,
                    action TEXT NOT NULL, entity TEXT NOT NULL, patient TEXT NOT NULL, purpose TEXT NOT NULL, source TEXT NOT NULL,
                    outcome TEXT NOT NULL, break_glass SMALLINT NOT NULL, reason TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
                "CREATE INDEX audit_entry_patient ON audit_entry (patient, seq)",
                "CREATE INDEX audit_entry_break_glass ON audit_entry (break_glass, seq)",
                """
                CREATE TABLE audit_review (seq BIGINT PRIMARY KEY REFERENCES audit_entry (seq), reviewer TEXT NOT NULL,
                    verdict TEXT NOT NULL, note TEXT NOT NULL, reviewed_at TEXT NOT NULL)
                """,
            ]
        },
        // Which field key the stored protected values are sealed with, and a fingerprint of the index key
        // their keyed hashes were made with (so a wrong key file is refused, not silently used).
        Migration(id: "0301_field_protection") { _ in
            ["CREATE TABLE access_field_protection (id SMALLINT PRIMARY KEY, key_id TEXT NOT NULL, index_fingerprint TEXT NOT NULL, sealed_at TEXT NOT NULL)"]
        },
        // One-time sign-in codes (``OneTimeCodes``): keyed hashes of the phone and the code, never either.
        Migration(id: "0302_access_one_time_code") { _ in
            ["""
             CREATE TABLE access_one_time_code (phone_key TEXT PRIMARY KEY, code_hash TEXT NOT NULL, sent_ms BIGINT NOT NULL,
                 expires_ms BIGINT NOT NULL, attempts INTEGER NOT NULL)
             """]
        },
        // Rate limits shared by every server process on the database (``RateBuckets``): keyed hashes, never the key.
        Migration(id: "0303_access_rate_bucket") { _ in
            [
                """
                CREATE TABLE access_rate_bucket (bucket_key TEXT PRIMARY KEY, scope TEXT NOT NULL, tokens BIGINT NOT NULL,
                    at_ms BIGINT NOT NULL, granted SMALLINT NOT NULL)
                """,
                "CREATE INDEX access_rate_bucket_scope ON access_rate_bucket (scope, at_ms)",
            ]
        },
    ]
}
