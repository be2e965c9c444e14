import Crypto
import Foundation
public import FHIR
import Registry

/// Resident ID numbers and phone numbers encrypted at rest (字段加密存储).
///
/// In Patient, Practitioner and RelatedPerson, the `value` of every identifier under the resident ID
/// number system and of every `phone` ContactPoint (also a Patient's contacts' phones) is stored sealed
/// with AES-256-GCM under the key file's current field key: `wj1:<key id>:<base64 of nonce, ciphertext
/// and tag>`, the kind of value (`resident-id` or `phone`) bound in as authenticated data. Search-index
/// rows and the master patient index hold a keyed hash (HMAC-SHA256 with the index key, 128 bits) of the
/// value instead, so exact searches and matching still work and nothing readable is stored.
///
/// Every key in the key file opens; ``FieldResealer`` re-seals stored values under a new current key.
public struct FieldCipher: FieldProtection {
    /// The sealed-value prefix (format version 1).
    static let prefix = "wj1:"

    let keys: [String: SymmetricKey]
    /// The id of the key new values are sealed with.
    public let currentKey: String
    let indexKey: SymmetricKey

    /// A key named in a sealed value is not in the key file, or a sealed value was altered.
    public struct CannotOpen: Error, CustomStringConvertible {
        public let description: String
    }

    /// The cipher for the key file's keys.
    public init(secrets: AccessSecrets) {
        var keys: [String: SymmetricKey] = [:]
        for (id, hex) in secrets.fieldKeys {
            keys[id] = SymmetricKey(data: Hex.decode(hex) ?? Array(hex.utf8))
        }
        self.keys = keys
        self.currentKey = secrets.currentKey
        self.indexKey = SymmetricKey(data: Hex.decode(secrets.indexKey) ?? Array(secrets.indexKey.utf8))
    }

    public var protectedTypes: Set<String> { ProtectedFields.types }

    public var hashedTokenSystems: Set<String> { [ResidentIDNumber.system, "phone"] }

    public func needsReseal(_ resource: JSONValue, type: String) -> Bool {
        var needs = false
        let current = Self.prefix + currentKey + ":"
        _ = ProtectedFields.map(resource) { value, _ in
            if !value.hasPrefix(current) { needs = true }
            return value
        }
        return needs
    }

    public func keyedHash(_ value: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(("field:" + value).utf8), using: indexKey)
        return "#" + Hex.encode(Array(code).prefix(16))
    }

    /// A fingerprint of the index key (not the key): a database is indexed under one index key for good.
    public var indexKeyFingerprint: String {
        Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array("fingerprint".utf8), using: indexKey)).prefix(8))
    }

    public func seal(_ resource: JSONValue, type: String) throws -> JSONValue {
        try ProtectedFields.map(resource) { value, kind in try seal(value, kind: kind) }
    }

    public func open(_ resource: JSONValue, type: String) throws -> JSONValue {
        try ProtectedFields.map(resource) { value, kind in
            value.hasPrefix(Self.prefix) ? try open(value, kind: kind) : value
        }
    }

    /// The id of the key a stored value is sealed with; nil for a value not sealed.
    static func keyID(of value: String) -> String? {
        guard value.hasPrefix(prefix) else { return nil }
        return value.dropFirst(prefix.count).split(separator: ":", maxSplits: 1).first.map(String.init)
    }

    func seal(_ value: String, kind: String) throws -> String {
        guard let key = keys[currentKey] else { throw CannotOpen(description: "the current field key '\(currentKey)' is not in the key file") }
        let box = try AES.GCM.seal(Array(value.utf8), using: key, authenticating: Array(kind.utf8))
        guard let combined = box.combined else { throw CannotOpen(description: "AES-GCM gave no combined box") }
        return Self.prefix + currentKey + ":" + combined.base64EncodedString()
    }

    func open(_ value: String, kind: String) throws -> String {
        let parts = value.dropFirst(Self.prefix.count).split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let data = Data(base64Encoded: parts[1]) else {
            throw CannotOpen(description: "a sealed \(kind) value is malformed")
        }
        guard let key = keys[parts[0]] else {
            throw CannotOpen(description: "a \(kind) value is sealed with key '\(parts[0])', which the key file no longer holds")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key, authenticating: Array(kind.utf8)), as: UTF8.self)
        } catch {
            throw CannotOpen(description: "a sealed \(kind) value does not open with key '\(parts[0])': it was altered or belongs to another key file")
        }
    }
}

/// The protected values of a person's record (Patient, Practitioner, RelatedPerson): the `value` of each
/// identifier under the resident ID number system (kind `resident-id`) and of each `phone` ContactPoint,
/// the record's own and its contacts' (kind `phone`). One walk for sealing, opening and masking.
public enum ProtectedFields {
    /// The types whose records hold protected values.
    public static let types: Set<String> = ["Patient", "Practitioner", "RelatedPerson"]

    /// The resource with `change` applied to every protected value.
    public static func map(_ resource: JSONValue, _ change: (_ value: String, _ kind: String) throws -> String) rethrows -> JSONValue {
        var result = resource
        if let identifiers = resource["identifier"]?.arrayValue {
            result["identifier"] = .array(try identifiers.map { identifier in
                guard identifier["system"]?.stringValue == ResidentIDNumber.system, let value = identifier["value"]?.stringValue else { return identifier }
                var changed = identifier
                changed["value"] = .string(try change(value, "resident-id"))
                return changed
            })
        }
        if let telecom = resource["telecom"]?.arrayValue { result["telecom"] = try phones(telecom, change) }
        if let contacts = resource["contact"]?.arrayValue {
            result["contact"] = .array(try contacts.map { contact in
                guard let telecom = contact["telecom"]?.arrayValue else { return contact }
                var changed = contact
                changed["telecom"] = try phones(telecom, change)
                return changed
            })
        }
        return result
    }

    private static func phones(_ telecom: [JSONValue], _ change: (_ value: String, _ kind: String) throws -> String) rethrows -> JSONValue {
        .array(try telecom.map { point in
            guard point["system"]?.stringValue == "phone", let value = point["value"]?.stringValue else { return point }
            var changed = point
            changed["value"] = .string(try change(value, "phone"))
            return changed
        })
    }
}
