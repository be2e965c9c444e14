import Foundation
import SQLKit
import Storage

/// Writes resources inside one database transaction.
///
/// Validation, meta and search indexing happen per resource; the rows of new versions are
/// collected and written in batches by ``flush()``, which also checks that every literal
/// reference points to an existing resource (or one written in the same transaction).
public final class FHIRWriter {
    /// The transaction's connection, for domain tables written atomically with resources.
    public let sql: any SQLDatabase
    let engine: DatabaseEngine
    let preparer: ResourcePreparer
    let hooks: [any ResourceWriteHook]
    let parameterKeys: SearchParameterKeys
    /// Versions waiting for the batched hooks, by the hook's position in `hooks`.
    private var batchedVersions: [Int: [WrittenVersion]] = [:]
    /// Reference integrity: references written, by target, with the path that made them.
    private var referencedTargets: [ReferenceValue: String] = [:]
    /// Resources written in this transaction (they satisfy references).
    private var written: Set<ReferenceValue> = []
    private var deletedHere: Set<ReferenceValue> = []
    /// New resources not yet inserted: their `fhir_resource` row and search-index rows.
    private var newResources: [(row: [RowValue], type: String, id: String, entries: IndexEntries)] = []
    /// Search-index rows of resources whose key is known, not yet inserted.
    private var keyedEntries: [(key: Int64, type: String, entries: IndexEntries)] = []
    /// Parameter numbers this transaction gave (committed only with it).
    private var newParameterKeys: [String: [String: Int64]] = [:]
    private var tokens = BatchInsert(table: "fhir_idx_token", columns: ["res_key", "seq", "param_key", "system", "code"])
    private var strings = BatchInsert(table: "fhir_idx_string", columns: ["res_key", "seq", "param_key", "value"])
    private var references = BatchInsert(table: "fhir_idx_reference", columns: ["res_key", "seq", "param_key", "target_type", "target_id"])
    private var dates = BatchInsert(table: "fhir_idx_date", columns: ["res_key", "seq", "param_key", "low_ms", "high_ms"])
    /// Rows of ``FHIRDefinitions/referenceDatePairs``: a reference and a date of one resource together.
    private var referenceDates = BatchInsert(table: "fhir_idx_reference_date", columns: [
        "res_key", "ref_seq", "date_seq", "param_key", "target_type", "target_id", "date_param_key", "low_ms", "high_ms",
    ])
    private var numbers = BatchInsert(table: "fhir_idx_number", columns: ["res_key", "seq", "param_key", "value"])
    private var quantities = BatchInsert(table: "fhir_idx_quantity", columns: ["res_key", "seq", "param_key", "system", "code", "value"])
    static let indexTables = ["fhir_idx_token", "fhir_idx_string", "fhir_idx_reference", "fhir_idx_date", "fhir_idx_number", "fhir_idx_quantity"]
    /// Each index table with the kind of parameter whose rows it holds.
    static let indexTableKinds: [(String, IndexedParameter.Kind)] = [
        ("fhir_idx_token", .token), ("fhir_idx_string", .string), ("fhir_idx_reference", .reference),
        ("fhir_idx_date", .date), ("fhir_idx_number", .number), ("fhir_idx_quantity", .quantity),
    ]
    static let resourceColumns = ["res_type", "res_id", "version_id", "last_updated", "last_updated_ms", "deleted", "method", "content"]
    /// A label for the part of the request being written (e.g. `Bundle.entry[3]`), put in front of
    /// reference errors found when the transaction is flushed.
    public var currentLabel: String?
    /// The time stamp versions made in this transaction carry.
    let timestamp: WriteTimestamp

    init(sql: any SQLDatabase, engine: DatabaseEngine, preparer: ResourcePreparer, hooks: [any ResourceWriteHook], parameterKeys: SearchParameterKeys,
         timestamp: WriteTimestamp = WriteTimestamp()) {
        self.sql = sql
        self.parameterKeys = parameterKeys
        self.hooks = hooks
        self.engine = engine
        self.preparer = preparer
        self.timestamp = timestamp
    }

    /// The readable JSON of a `content` column read on this transaction's connection.
    public func openContent(_ content: String, type: String) throws -> JSONValue {
        try preparer.openContent(content, type: type)
    }

    /// The current version of `type/id` as readable JSON, read on this transaction's connection (so it sees
    /// what the transaction wrote); nil when it does not exist or is deleted.
    public func read(type: String, id: String) async throws -> JSONValue? {
        if written.contains(ReferenceValue(type: type, id: id)) { try await flush(checkReferences: false) }
        guard let stored = try await FHIRStore.read(type: type, id: id, sql: sql), !stored.deleted else { return nil }
        return try openContent(stored.content, type: type)
    }

    /// The JSON text to store for a copy of a resource kept in a domain table (protected values sealed).
    public func storedContent(_ resource: JSONValue, type: String) throws -> String {
        try preparer.storedContent(resource, type: type)
    }

    /// Creates a new resource with a server-assigned id (or `id` when given). Returns the stored version.
    public func create(_ resource: JSONValue, id assignedID: String? = nil) async throws -> StoredResource {
        try await insert(try preparer.prepareCreate(resource, id: assignedID, timestamp: timestamp))
    }

    /// Stores a resource prepared (as version 1) before the transaction began.
    public func insert(_ prepared: PreparedResource) async throws -> StoredResource {
        try await runHooks(prepared.resource, type: prepared.type, id: prepared.id)
        return try queue(prepared, method: prepared.version == 1 ? "POST" : "PUT", isNew: true)
    }

    /// Updates (or creates, for a new id) the resource `type/id`; enforces `ifMatch` when given.
    public func update(_ resource: JSONValue, type: String, id: String, ifMatch: Int64?) async throws -> (StoredResource, created: Bool) {
        _ = try preparer.check(resource, expectedType: type)
        guard FHIRID.isValid(id) else { throw FHIRError.badRequest("'\(id)' is not a valid resource id") }
        if let bodyID = resource["id"]?.stringValue, bodyID != id {
            throw FHIRError.badRequest("The body's id '\(bodyID)' differs from the id '\(id)' in the URL", expression: "\(type).id")
        }
        if resource["id"] == nil {
            throw FHIRError.badRequest("An update must carry the resource's id in the body", expression: "\(type).id")
        }
        let current = try await currentVersion(type: type, id: id)
        try await runHooks(resource, type: type, id: id)
        if let ifMatch, ifMatch != current?.version {
            throw FHIRError.preconditionFailed("Version \(ifMatch) of \(type)/\(id) is not the current version" + (current.map { " (\($0.version))" } ?? ""))
        }
        guard let current else {
            return (try queue(try preparer.prepare(checked: resource, type: type, id: id, version: 1, timestamp: timestamp), method: "PUT", isNew: true), true)
        }
        let stored = try await replace(resource, type: type, id: id, current: current, method: "PUT", deleted: false)
        return (stored, current.deleted)
    }

    /// Deletes `type/id`; returns the deletion version, or nil when there was nothing to delete.
    @discardableResult
    public func delete(type: String, id: String) async throws -> StoredResource? {
        guard let current = try await currentVersion(type: type, id: id), !current.deleted else { return nil }
        deletedHere.insert(ReferenceValue(type: type, id: id))
        try await runHooks(nil, type: type, id: id)
        return try await replace(nil, type: type, id: id, current: current, method: "DELETE", deleted: true)
    }

    private func runHooks(_ resource: JSONValue?, type: String, id: String) async throws {
        for (index, hook) in hooks.enumerated() where hook.resourceTypes.contains(type) {
            if hook.batched {
                batchedVersions[index, default: []].append(WrittenVersion(type: type, id: id, resource: resource))
            } else {
                try await hook.willWrite(resource, type: type, id: id, sql: sql)
            }
        }
    }

    /// Hands the batched hooks the versions written since the last flush.
    private func runBatchedHooks() async throws {
        guard !batchedVersions.isEmpty else { return }
        let pending = batchedVersions
        batchedVersions = [:]
        for (index, versions) in pending.sorted(by: { $0.key < $1.key }) {
            try await hooks[index].didWrite(versions, sql: sql)
        }
    }

    /// The key, current version number and deletion flag of `type/id`, locking the row on PostgreSQL.
    func currentVersion(type: String, id: String) async throws -> (key: Int64, version: Int64, deleted: Bool)? {
        if written.contains(ReferenceValue(type: type, id: id)) { try await flush(checkReferences: false) }
        let lock = engine == .postgres ? " FOR UPDATE" : ""
        guard let row = try await sql.raw("SELECT res_key, version_id, deleted FROM fhir_resource WHERE res_type = \(bind: type) AND res_id = \(bind: id)\(unsafeRaw: lock)").first() else {
            return nil
        }
        return (try row.decode(column: "res_key", as: Int64.self), try row.decode(column: "version_id", as: Int64.self), try row.decode(column: "deleted", as: Int.self) != 0)
    }

    /// Makes a new current version: the superseded one moves to the history, the index rows are replaced.
    private func replace(_ resource: JSONValue?, type: String, id: String, current: (key: Int64, version: Int64, deleted: Bool), method: String, deleted: Bool) async throws -> StoredResource {
        let version = current.version + 1
        var content = ""
        var storedContent = ""
        var entries = IndexEntries()
        if let resource {
            let prepared = try preparer.prepare(checked: resource, type: type, id: id, version: version, timestamp: timestamp)
            content = prepared.content
            storedContent = prepared.storedContent
            entries = prepared.entries
            remember(prepared.references)
        }
        try await sql.raw("""
            INSERT INTO fhir_resource_history (res_type, res_id, version_id, last_updated, last_updated_ms, deleted, method, content)
            SELECT res_type, res_id, version_id, last_updated, last_updated_ms, deleted, method, content FROM fhir_resource
            WHERE res_key = \(bind: current.key) AND version_id = \(bind: current.version)
            """).run()
        let updated = try await sql.raw("""
            UPDATE fhir_resource SET version_id = \(bind: version), last_updated = \(bind: timestamp.text), last_updated_ms = \(bind: timestamp.millis),
            deleted = \(unsafeRaw: deleted ? "1" : "0"), method = \(bind: method), content = \(bind: storedContent)
            WHERE res_key = \(bind: current.key) AND version_id = \(bind: current.version) RETURNING version_id
            """).first()
        guard updated != nil else {
            throw FHIRError.preconditionFailed("\(type)/\(id) was changed by someone else meanwhile; read it again and retry")
        }
        // Only the tables the type's parameters can fill hold rows of this resource (a Slot's are three of six).
        let kinds = preparer.indexer.definitions.indexKinds[type] ?? []
        for (table, kind) in Self.indexTableKinds where kinds.contains(kind) {
            try await sql.raw("DELETE FROM \(unsafeRaw: table) WHERE res_key = \(bind: current.key)").run()
        }
        if FHIRDefinitions.referenceDatePairs[type] != nil {
            try await sql.raw("DELETE FROM fhir_idx_reference_date WHERE res_key = \(bind: current.key)").run()
        }
        keyedEntries.append((current.key, type, entries))
        if !deleted { written.insert(ReferenceValue(type: type, id: id)) }
        return StoredResource(type: type, id: id, versionId: version, lastUpdated: timestamp.text, deleted: deleted, content: content, method: method)
    }

    private func queue(_ prepared: PreparedResource, method: String, isNew: Bool) throws -> StoredResource {
        let key = ReferenceValue(type: prepared.type, id: prepared.id)
        if written.contains(key) {
            throw FHIRError.badRequest("\(prepared.type)/\(prepared.id) is written twice in one transaction")
        }
        let (type, id, version, content) = (prepared.type, prepared.id, prepared.version, prepared.content)
        let time = prepared.timestamp
        remember(prepared.references)
        newResources.append(([.text(type), .text(id), .int(version), .text(time.text), .int(time.millis), .int(0), .text(method), .text(prepared.storedContent)], type, id, prepared.entries))
        written.insert(key)
        return StoredResource(type: type, id: id, versionId: version, lastUpdated: time.text, deleted: false, content: content, method: method)
    }

    /// Queues the search-index rows of the resource with key `key`.
    private func queueIndex(_ entries: IndexEntries, type: String, key: Int64) async throws {
        var seq: Int64 = 0
        func next() -> RowValue { defer { seq += 1 }; return .int(seq) }
        let resource = RowValue.int(key)
        for token in entries.tokens {
            tokens.append([resource, next(), .int(try await parameterKey(type, token.param)), .text(token.system), .text(token.code)])
        }
        for string in entries.strings {
            strings.append([resource, next(), .int(try await parameterKey(type, string.param)), .text(string.value)])
        }
        let pairs = FHIRDefinitions.referenceDatePairs[type] ?? []
        var pairedReferences: [(seq: RowValue, reference: IndexEntries.Reference)] = []
        for reference in entries.references {
            let seq = next()
            if pairs.contains(where: { $0.reference == reference.param }) { pairedReferences.append((seq, reference)) }
            references.append([resource, seq, .int(try await parameterKey(type, reference.param)), .text(reference.type), .text(reference.id)])
        }
        for date in entries.dates {
            let seq = next()
            let dateKey = try await parameterKey(type, date.param)
            dates.append([resource, seq, .int(dateKey), .int(date.low), .int(date.high)])
            for (referenceSeq, reference) in pairedReferences where pairs.contains(where: { $0 == (reference.param, date.param) }) {
                referenceDates.append([resource, referenceSeq, seq, .int(try await parameterKey(type, reference.param)), .text(reference.type), .text(reference.id),
                                       .int(dateKey), .int(date.low), .int(date.high)])
            }
        }
        for number in entries.numbers {
            numbers.append([resource, next(), .int(try await parameterKey(type, number.param)), .double(number.value)])
        }
        for quantity in entries.quantities {
            quantities.append([resource, next(), .int(try await parameterKey(type, quantity.param)), .text(quantity.system), .text(quantity.code), .double(quantity.value)])
        }
    }

    /// The number of `type`'s search parameter `name`, numbering it in this transaction if it has none.
    private func parameterKey(_ type: String, _ name: String) async throws -> Int64 {
        if let key = newParameterKeys[type]?[name] ?? parameterKeys.cached(type: type, name: name) { return key }
        try await parameterKeys.load(sql, excluding: newParameterKeys)
        if let key = parameterKeys.cached(type: type, name: name) { return key }
        try await sql.raw("INSERT INTO fhir_search_param (res_type, name) VALUES (\(bind: type), \(bind: name)) ON CONFLICT DO NOTHING").run()
        guard let row = try await sql.raw("SELECT param_key FROM fhir_search_param WHERE res_type = \(bind: type) AND name = \(bind: name)").first() else {
            throw FHIRError(status: 500, code: "exception", "The search parameter \(type).\(name) could not be numbered")
        }
        let key = try row.decode(column: "param_key", as: Int64.self)
        newParameterKeys[type, default: [:]][name] = key
        return key
    }

    /// The numbers of the stored parameters holding `type`'s parameter `name`, for searches in this transaction.
    func parameterSources(type: String, name: String) async throws -> [Int64] {
        try await parameterKeys.sources(type: type, name: name, definitions: preparer.indexer.definitions, sql: sql, uncommitted: newParameterKeys)
    }

    /// Records references for the integrity check at flush, labelled with the part of the request they came from.
    private func remember(_ found: [(ReferenceValue, String)]) {
        for (reference, path) in found where referencedTargets[reference] == nil {
            referencedTargets[reference] = currentLabel.map { "\($0): \(path)" } ?? path
        }
    }

    /// Writes every queued row; with `checkReferences`, first fails with 422 if a reference points nowhere.
    public func flush(checkReferences: Bool = true) async throws {
        if checkReferences {
            try await verifyReferences()
        }
        if !newResources.isEmpty {
            var keys: [ReferenceValue: Int64] = [:]
            var start = 0
            let rowsPerStatement = BatchInsert.rowsPerStatement(columns: Self.resourceColumns.count)
            while start < newResources.count {
                let end = min(newResources.count, start + rowsPerStatement)
                var batch = BatchInsert(table: "fhir_resource", columns: Self.resourceColumns)
                for resource in newResources[start..<end] { batch.append(resource.row) }
                for row in try await batch.insertReturning(sql, columns: "res_key, res_type, res_id") {
                    let reference = ReferenceValue(type: try row.decode(column: "res_type", as: String.self), id: try row.decode(column: "res_id", as: String.self))
                    keys[reference] = try row.decode(column: "res_key", as: Int64.self)
                }
                start = end
            }
            for resource in newResources {
                guard let key = keys[ReferenceValue(type: resource.type, id: resource.id)] else {
                    throw FHIRError(status: 500, code: "exception", "\(resource.type)/\(resource.id) was inserted but got no key")
                }
                keyedEntries.append((key, resource.type, resource.entries))
            }
            newResources.removeAll()
        }
        for (key, type, entries) in keyedEntries {
            try await queueIndex(entries, type: type, key: key)
        }
        keyedEntries.removeAll()
        try await runBatchedHooks()
        try await tokens.flush(sql, engine: engine)
        try await strings.flush(sql, engine: engine)
        try await references.flush(sql, engine: engine)
        try await dates.flush(sql, engine: engine)
        try await referenceDates.flush(sql, engine: engine)
        try await numbers.flush(sql, engine: engine)
        try await quantities.flush(sql, engine: engine)
    }

    private func verifyReferences() async throws {
        var pending = referencedTargets.filter { !written.contains($0.key) }
        let deletedTargets = referencedTargets.filter { deletedHere.contains($0.key) }
        referencedTargets = [:]
        if let (target, path) = deletedTargets.first {
            throw FHIRError.unprocessable([OutcomeIssue(code: "not-found", diagnostics: "\(target.relative) is deleted in this transaction but still referenced (\(path))")])
        }
        guard !pending.isEmpty else { return }
        // One statement for every type referenced (a booking's Appointment and Slot name a Patient and a
        // Schedule: one lookup instead of one per type), at most 500 ids a statement.
        let targets = pending.keys.sorted { ($0.type, $0.id) < ($1.type, $1.id) }
        for chunk in targets.chunked(500) {
            var filter = SQLQueryString("")
            for (index, group) in Dictionary(grouping: chunk, by: \.type).sorted(by: { $0.key < $1.key }).enumerated() {
                filter.appendLiteral(index == 0 ? "(res_type = " : " OR (res_type = ")
                filter.appendInterpolation(bind: group.key)
                filter.appendLiteral(" AND res_id IN (")
                filter.appendInterpolation(binds: group.value.map(\.id))
                filter.appendLiteral("))")
            }
            let rows = try await sql.raw("SELECT res_type, res_id FROM fhir_resource WHERE deleted = 0 AND (\(filter))").all()
            for row in rows {
                pending[ReferenceValue(type: try row.decode(column: "res_type", as: String.self), id: try row.decode(column: "res_id", as: String.self))] = nil
            }
        }
        if let (target, path) = pending.min(by: { $0.key.relative < $1.key.relative }) {
            throw FHIRError.unprocessable([OutcomeIssue(
                code: "not-found",
                diagnostics: "The reference \(target.relative) points to no existing resource (\(path))"
            )])
        }
    }
}
