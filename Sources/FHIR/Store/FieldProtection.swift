import Foundation
public import SQLKit

/// Protection of sensitive values at rest (字段加密): some values of some resource types are stored
/// sealed (encrypted) in the resource JSON, and their search-index rows hold a keyed hash instead of
/// the value, so they can still be found by exact match but are never stored readable.
///
/// The store seals every version it writes and opens every version it reads; a search for a protected
/// token looks for its keyed hash. The Access target implements it with the keys of the key file.
public protocol FieldProtection: Sendable {
    /// The resource types that may hold protected values.
    var protectedTypes: Set<String> { get }
    /// The token systems (e.g. the resident ID number system, `phone`) whose index rows in protected
    /// types hold a keyed hash of the code.
    var hashedTokenSystems: Set<String> { get }
    /// The stored form of a resource of a protected type: its protected values sealed.
    func seal(_ resource: JSONValue, type: String) throws -> JSONValue
    /// The readable form of a stored resource of a protected type. Values not sealed are left as they are.
    func open(_ resource: JSONValue, type: String) throws -> JSONValue
    /// Whether a stored resource holds a protected value not sealed, or sealed under an older key.
    func needsReseal(_ resource: JSONValue, type: String) -> Bool
    /// The keyed hash of a value, as the index stores it. It begins with `#`, which the readable
    /// values of protected tokens (ID numbers, phone numbers) never do.
    func keyedHash(_ value: String) -> String
}

extension FieldProtection {
    /// Whether resources of `type` may hold protected values.
    public func protects(type: String) -> Bool { protectedTypes.contains(type) }

    /// The index rows as stored: protected token values replaced by their keyed hash.
    func protect(_ entries: IndexEntries, type: String) -> IndexEntries {
        guard protects(type: type) else { return entries }
        var protected = entries
        for index in protected.tokens.indices {
            if let system = protected.tokens[index].system, hashedTokenSystems.contains(system) {
                protected.tokens[index].code = keyedHash(protected.tokens[index].code)
            }
        }
        return protected
    }

    /// The codes a token search on `type` must look for: the value, and its keyed hash where the
    /// value may be protected (the system is protected, or not given on a type with protected values).
    func searchCodes(type: String, system: String?, code: String) -> [String] {
        guard protects(type: type) else { return [code] }
        if let system { return hashedTokenSystems.contains(system) ? [keyedHash(code)] : [code] }
        return [code, keyedHash(code)]
    }

    /// A stored version made readable.
    func open(_ stored: StoredResource) throws -> StoredResource {
        guard !stored.deleted, !stored.content.isEmpty, protects(type: stored.type) else { return stored }
        var opened = stored
        opened.content = try open(JSONValue.parse(Data(stored.content.utf8)), type: stored.type).serialized()
        return opened
    }

    /// The stored form of a resource's JSON text: sealed again under the current key when it needs it,
    /// nil when it is already as it should be.
    public func resealed(_ content: String, type: String) throws -> String? {
        guard protects(type: type), !content.isEmpty else { return nil }
        let resource = try JSONValue.parse(Data(content.utf8))
        guard needsReseal(resource, type: type) else { return nil }
        return try seal(open(resource, type: type), type: type).serialized()
    }
}

extension FHIRStore {
    /// Seals again, under the current key, every stored version (current and history) holding a protected
    /// value that is not sealed or is sealed under an older key, and replaces readable protected codes in
    /// the search index by their keyed hash. Works in transactions of `batchSize` rows, so it can resume.
    /// With `dryRun`, only counts. Returns the number of versions and index rows that needed it.
    public func resealProtectedValues(batchSize: Int = 500, dryRun: Bool = false) async throws -> (versions: Int, indexRows: Int) {
        guard let protection else { return (0, 0) }
        var versions = 0
        for type in protection.protectedTypes.sorted() {
            for table in ["fhir_resource", "fhir_resource_history"] {
                var after = (id: "", version: Int64(0))
                while true {
                    let (count, last) = try await database.write { sql -> (Int, (String, Int64)?) in
                        let rows = try await sql.raw("""
                            SELECT res_id, version_id, content FROM \(unsafeRaw: table)
                            WHERE res_type = \(bind: type) AND deleted = 0
                              AND (res_id > \(bind: after.id) OR (res_id = \(bind: after.id) AND version_id > \(bind: after.version)))
                            ORDER BY res_id, version_id LIMIT \(literal: batchSize)
                            """).all()
                        var count = 0
                        var last: (String, Int64)?
                        for row in rows {
                            let id = try row.decode(column: "res_id", as: String.self)
                            let version = try row.decode(column: "version_id", as: Int64.self)
                            last = (id, version)
                            guard let content = try protection.resealed(try row.decode(column: "content", as: String.self), type: type) else { continue }
                            count += 1
                            if dryRun { continue }
                            try await sql.raw("""
                                UPDATE \(unsafeRaw: table) SET content = \(bind: content)
                                WHERE res_type = \(bind: type) AND res_id = \(bind: id) AND version_id = \(bind: version)
                                """).run()
                        }
                        return (count, last)
                    }
                    versions += count
                    guard let last else { break }
                    after = last
                }
            }
        }
        var indexRows = 0
        let types = protection.protectedTypes.sorted()
        let systems = protection.hashedTokenSystems.sorted()
        while true {
            let count = try await database.write { sql -> Int in
                let rows = try await sql.raw("""
                    SELECT t.res_key, t.seq, t.code FROM fhir_idx_token t JOIN fhir_resource r ON r.res_key = t.res_key
                    WHERE r.res_type IN (\(binds: types)) AND t.system IN (\(binds: systems)) AND t.code NOT LIKE '#%'
                    LIMIT \(literal: batchSize)
                    """).all()
                if dryRun { return rows.count }
                for row in rows {
                    try await sql.raw("""
                        UPDATE fhir_idx_token SET code = \(bind: protection.keyedHash(try row.decode(column: "code", as: String.self)))
                        WHERE res_key = \(bind: try row.decode(column: "res_key", as: Int64.self)) AND seq = \(bind: try row.decode(column: "seq", as: Int64.self))
                        """).run()
                }
                return rows.count
            }
            indexRows += count
            if count < batchSize || dryRun { break }
        }
        return (versions, indexRows)
    }
}
