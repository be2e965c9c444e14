import Crypto
import Foundation

/// The keys the Access target needs: the token-signing key, the field-encryption keys (newest first)
/// and the blind-index key. Kept in a key file (`WEIJIAN_KEY_FILE`, mode 0600), never in the database.
public struct AccessSecrets: Sendable, Codable, Equatable {
    /// HMAC-SHA256 key that signs API tokens (hex, 32 bytes).
    public var tokenKey: String
    /// AES-256-GCM keys for protected fields, by key id; `currentKey` encrypts, every key decrypts.
    public var fieldKeys: [String: String]
    /// The key id new values are encrypted with.
    public var currentKey: String
    /// HMAC-SHA256 key for the keyed hashes that find protected values (hex, 32 bytes). Not rotated:
    /// rotating it would mean re-hashing every value.
    public var indexKey: String

    /// Fresh random keys.
    public static func generate() -> AccessSecrets {
        AccessSecrets(tokenKey: randomHex(), fieldKeys: ["k1": randomHex()], currentKey: "k1", indexKey: randomHex())
    }

    static func randomHex() -> String {
        Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// A setting is wrong in the key file.
    public struct Invalid: Error, CustomStringConvertible {
        /// What is wrong.
        public let description: String
    }

    /// Reads the key file, creating it with fresh keys (readable by the owner only) when it does not exist.
    public static func loadOrCreate(path: String) throws -> AccessSecrets {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let secrets: AccessSecrets
            do {
                secrets = try JSONDecoder().decode(AccessSecrets.self, from: data)
            } catch {
                throw Invalid(description: "the key file \(path) is not a Weijian key file: \(error)")
            }
            try secrets.validate(path: path)
            return secrets
        }
        let secrets = generate()
        try secrets.save(path: path)
        return secrets
    }

    /// Writes the key file atomically with mode 0600.
    public func save(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = path + ".tmp"
        try encoder.encode(self).write(to: URL(fileURLWithPath: temporary))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    func validate(path: String) throws {
        for (name, key) in [("tokenKey", tokenKey), ("indexKey", indexKey)] + fieldKeys.map({ ("fieldKeys.\($0.key)", $0.value) }) {
            guard Hex.decode(key)?.count == 32 else { throw Invalid(description: "\(name) in \(path) must be 64 hexadecimal digits") }
        }
        guard fieldKeys[currentKey] != nil else { throw Invalid(description: "currentKey '\(currentKey)' in \(path) names no key in fieldKeys") }
    }

    /// A new field key becomes current; the old ones stay to decrypt until values are re-encrypted.
    public func rotated() -> AccessSecrets {
        var next = self
        var number = fieldKeys.count + 1
        while next.fieldKeys["k\(number)"] != nil { number += 1 }
        next.fieldKeys["k\(number)"] = Self.randomHex()
        next.currentKey = "k\(number)"
        return next
    }
}
