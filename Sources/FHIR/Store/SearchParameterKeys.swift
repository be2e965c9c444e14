import SQLKit
import Synchronization

/// The numbers of stored search parameters (`fhir_search_param.param_key`), which the index tables
/// hold instead of the resource type and parameter name.
///
/// A number never changes once committed, so numbers read from committed rows are kept for the
/// life of the store. Migration `0101` numbers every parameter of the definitions; a parameter
/// added to the definitions later gets its number from the first transaction that indexes it.
final class SearchParameterKeys: Sendable {
    private let known = Mutex<[String: [String: Int64]]>([:])

    /// The number of `type`'s parameter `name`, if known in memory.
    func cached(type: String, name: String) -> Int64? {
        known.withLock { $0[type]?[name] }
    }

    /// Reads every numbered parameter, leaving out `uncommitted` ones (type, then names) that the
    /// reading transaction numbered itself and may still roll back.
    func load(_ sql: any SQLDatabase, excluding uncommitted: [String: [String: Int64]] = [:]) async throws {
        let rows = try await sql.raw("SELECT param_key, res_type, name FROM fhir_search_param").all()
        var loaded: [String: [String: Int64]] = [:]
        for row in rows {
            let type = try row.decode(column: "res_type", as: String.self)
            let name = try row.decode(column: "name", as: String.self)
            guard uncommitted[type]?[name] == nil else { continue }
            loaded[type, default: [:]][name] = try row.decode(column: "param_key", as: Int64.self)
        }
        known.withLock { $0.merge(loaded) { $0.merging($1) { old, _ in old } } }
    }

    /// The numbers of the parameters whose index rows hold `type`'s parameter `name` (itself, or the
    /// parameters it repeats); reads the table once when one is not known yet. Empty when no row was ever
    /// indexed for it. `uncommitted` are numbers given in the transaction `sql` belongs to.
    func sources(type: String, name: String, definitions: FHIRDefinitions, sql: any SQLDatabase, uncommitted: [String: [String: Int64]] = [:]) async throws -> [Int64] {
        let names = definitions.indexRowSources[type]?[name] ?? [name]
        if let keys = cachedAll(type: type, names: names, uncommitted: uncommitted) { return keys }
        try await load(sql, excluding: uncommitted)
        return names.compactMap { uncommitted[type]?[$0] ?? cached(type: type, name: $0) }
    }

    private func cachedAll(type: String, names: [String], uncommitted: [String: [String: Int64]]) -> [Int64]? {
        known.withLock { known in
            var keys: [Int64] = []
            for name in names {
                guard let key = uncommitted[type]?[name] ?? known[type]?[name] else { return nil }
                keys.append(key)
            }
            return keys
        }
    }
}
