import Foundation
public import Storage

/// Consents recorded by residents: "my household member may see my record" (授权家庭成员查看).
public struct ConsentRegistry: Sendable {
    /// The database.
    public let database: Database

    /// Creates the registry.
    public init(database: Database) {
        self.database = database
    }

    /// The scope of a household consent.
    public static let householdRead = "household-read"

    /// Records that `grantor` lets `grantee` read their record; returns the consent id.
    @discardableResult
    public func grant(grantor: String, grantee: String) async throws -> Int64 {
        try await database.write { sql in
            try await sql.raw("""
                UPDATE access_consent SET revoked_at = \(bind: ISO8601Timestamp.now())
                WHERE grantor_patient = \(bind: grantor) AND grantee_patient = \(bind: grantee) AND revoked_at IS NULL
                """).run()
            let row = try await sql.raw("""
                INSERT INTO access_consent (grantor_patient, grantee_patient, scope, recorded_at)
                VALUES (\(bind: grantor), \(bind: grantee), \(bind: Self.householdRead), \(bind: ISO8601Timestamp.now())) RETURNING id
                """).first()
            return try row?.decode(column: "id", as: Int64.self) ?? 0
        }
    }

    /// Withdraws a consent.
    public func revoke(grantor: String, grantee: String) async throws {
        try await database.write { sql in
            try await sql.raw("""
                UPDATE access_consent SET revoked_at = \(bind: ISO8601Timestamp.now())
                WHERE grantor_patient = \(bind: grantor) AND grantee_patient = \(bind: grantee) AND revoked_at IS NULL
                """).run()
        }
    }

    /// Whether `grantee` may currently read `grantor`'s record.
    public func allows(grantor: String, grantee: String) async throws -> Bool {
        try await database.read { sql in
            try await sql.raw("""
                SELECT id FROM access_consent
                WHERE grantee_patient = \(bind: grantee) AND grantor_patient = \(bind: grantor) AND revoked_at IS NULL
                """).first() != nil
        }
    }

    /// The patients whose records `grantee` may read by consent.
    public func grantors(for grantee: String) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT grantor_patient FROM access_consent WHERE grantee_patient = \(bind: grantee) AND revoked_at IS NULL ORDER BY grantor_patient
                """).all().map { try $0.decode(column: "grantor_patient", as: String.self) }
        }
    }
}
