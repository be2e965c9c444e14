import Foundation
public import FHIR
import Registry
import SQLKit
public import Storage

/// Keeps the stored protected values (ID numbers, phones) under the key file's current field key.
///
/// `access_field_protection` records the key the values are sealed with and a fingerprint of the index
/// key. When the platform opens, ``ensureCurrent(store:cipher:)`` refuses a key file whose index key
/// differs (the keyed hashes would no longer find anything) and, when the current field key has changed
/// (rotation) or nothing is recorded yet (a database from before protection), seals every stored value
/// again, in resumable batches.
public enum FieldKeys {
    /// The key file does not belong to this database.
    public struct WrongKeyFile: Error, CustomStringConvertible {
        public let description: String
    }

    /// What re-sealing did.
    public struct ResealReport: Sendable, Equatable {
        /// Resource versions (current and history) sealed again.
        public var versions: Int
        /// Search-index rows whose readable code became a keyed hash.
        public var indexRows: Int
        /// Master-patient-index rows and kept merge versions changed.
        public var registryRows: Int

        /// Creates a report.
        public init(versions: Int, indexRows: Int, registryRows: Int) {
            self.versions = versions
            self.indexRows = indexRows
            self.registryRows = registryRows
        }
    }

    /// Checks the key file against the database and re-seals when the current key changed. Returns
    /// what was re-sealed, or nil when everything was already under the current key.
    @discardableResult
    public static func ensureCurrent(store: FHIRStore, cipher: FieldCipher) async throws -> ResealReport? {
        let recorded = try await store.database.read { sql in
            try await sql.raw("SELECT key_id, index_fingerprint FROM access_field_protection WHERE id = 1").first().map {
                (key: try $0.decode(column: "key_id", as: String.self), fingerprint: try $0.decode(column: "index_fingerprint", as: String.self))
            }
        }
        if let recorded {
            guard recorded.fingerprint == cipher.indexKeyFingerprint else {
                throw WrongKeyFile(description: "The key file's indexKey is not the one this database's ID numbers and phones were indexed with; "
                    + "use the key file the database was created with (WEIJIAN_KEY_FILE)")
            }
            guard cipher.keys[recorded.key] != nil else {
                throw WrongKeyFile(description: "This database's ID numbers and phones are sealed with field key '\(recorded.key)', which the key file does not hold; "
                    + "use the key file the database was created with (WEIJIAN_KEY_FILE)")
            }
            if recorded.key == cipher.currentKey { return nil }
        }
        let report = try await reseal(store: store, cipher: cipher)
        try await store.database.write { sql in
            try await sql.raw("DELETE FROM access_field_protection WHERE id = 1").run()
            try await sql.raw("""
                INSERT INTO access_field_protection (id, key_id, index_fingerprint, sealed_at)
                VALUES (1, \(bind: cipher.currentKey), \(bind: cipher.indexKeyFingerprint), \(bind: ISO8601Timestamp.now()))
                """).run()
        }
        return report
    }

    /// Seals every stored protected value not under the current key again (or, with `dryRun`, counts them).
    public static func reseal(store: FHIRStore, cipher: FieldCipher, dryRun: Bool = false) async throws -> ResealReport {
        let fhir = try await store.resealProtectedValues(dryRun: dryRun)
        let registry = try await MasterPatientIndex.resealProtectedValues(database: store.database, protection: cipher, dryRun: dryRun)
        return ResealReport(versions: fhir.versions, indexRows: fhir.indexRows, registryRows: registry)
    }

    /// The last step of a rotation (密钥轮换): once no stored value is sealed with any other key, the key
    /// file keeps only the current field key. Returns the ids dropped (none while a value still needs one).
    public static func retireOldKeys(keyFile: String, secrets: AccessSecrets, store: FHIRStore) async throws -> [String] {
        let left = try await reseal(store: store, cipher: FieldCipher(secrets: secrets), dryRun: true)
        guard left.versions == 0, left.registryRows == 0 else { return [] }
        let old = secrets.fieldKeys.keys.filter { $0 != secrets.currentKey }.sorted()
        guard !old.isEmpty else { return [] }
        var retired = secrets
        retired.fieldKeys = secrets.fieldKeys.filter { $0.key == secrets.currentKey }
        try retired.save(path: keyFile)
        return old
    }
}
