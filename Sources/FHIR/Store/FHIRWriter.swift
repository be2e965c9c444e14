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
    let validator: ResourceValidator
    let indexer: SearchIndexer
    let hooks: [any ResourceWriteHook]
    /// Reference integrity: references written, by target, with the path that made them.
    private var referencedTargets: [ReferenceValue: String] = [:]
    /// Resources written in this transaction (they satisfy references).
    private var written: Set<ReferenceValue> = []
    private var deletedHere: Set<ReferenceValue> = []
    private var resources = BatchInsert(table: "fhir_resource", columns: ["res_type", "res_id", "version_id", "last_updated", "last_updated_ms", "deleted", "content"])
    private var history = BatchInsert(table: "fhir_resource_history", columns: ["res_type", "res_id", "version_id", "last_updated", "last_updated_ms", "deleted", "method", "content"])
    private var tokens = BatchInsert(table: "fhir_idx_token", columns: ["res_type", "res_id", "param", "system", "code"])
    private var strings = BatchInsert(table: "fhir_idx_string", columns: ["res_type", "res_id", "param", "value"])
    private var references = BatchInsert(table: "fhir_idx_reference", columns: ["res_type", "res_id", "param", "target_type", "target_id"])
    private var dates = BatchInsert(table: "fhir_idx_date", columns: ["res_type", "res_id", "param", "low_ms", "high_ms"])
    private var numbers = BatchInsert(table: "fhir_idx_number", columns: ["res_type", "res_id", "param", "value"])
    private var quantities = BatchInsert(table: "fhir_idx_quantity", columns: ["res_type", "res_id", "param", "system", "code", "value"])
    /// A label for the part of the request being written (e.g. `Bundle.entry[3]`), put in front of
    /// reference errors found when the transaction is flushed.
    public var currentLabel: String?
    /// The time stamp every version written in this transaction carries.
    let now: Date
    let nowText: String
    let nowMillis: Int64

    init(sql: any SQLDatabase, engine: DatabaseEngine, validator: ResourceValidator, indexer: SearchIndexer, hooks: [any ResourceWriteHook], now: Date = Date()) {
        self.sql = sql
        self.hooks = hooks
        self.engine = engine
        self.validator = validator
        self.indexer = indexer
        self.now = now
        self.nowText = ISO8601Timestamp.format(now)
        self.nowMillis = Int64((now.timeIntervalSince1970 * 1000).rounded())
    }

    /// Checks the resource is a supported type and valid R4; throws 400/404/422 otherwise.
    func checked(_ resource: JSONValue, expectedType: String? = nil) throws -> String {
        guard let members = resource.objectValue else {
            throw FHIRError.badRequest("The body must be a JSON object holding a FHIR resource")
        }
        guard let type = members["resourceType"]?.stringValue else {
            throw FHIRError.badRequest("The resource has no resourceType", expression: "resourceType")
        }
        if let expectedType, type != expectedType {
            throw FHIRError.badRequest("The body is a \(type) but the URL names \(expectedType)", expression: "resourceType")
        }
        guard FHIRDefinitions.supportedTypes.contains(type) else {
            throw FHIRError.notFound("Resource type '\(type)' is not supported by this server")
        }
        let issues = validator.validate(resource)
        if !issues.isEmpty {
            throw FHIRError.unprocessable(issues)
        }
        return type
    }

    /// Creates a new resource with a server-assigned id (or `id` when given). Returns the stored version.
    public func create(_ resource: JSONValue, id assignedID: String? = nil) async throws -> StoredResource {
        let type = try checked(resource)
        let id = assignedID ?? UUID().uuidString.lowercased()
        try await runHooks(resource, type: type, id: id)
        return try queueVersion(resource, type: type, id: id, version: 1, method: "POST", isNew: true)
    }

    /// Updates (or creates, for a new id) the resource `type/id`; enforces `ifMatch` when given.
    public func update(_ resource: JSONValue, type: String, id: String, ifMatch: Int64?) async throws -> (StoredResource, created: Bool) {
        _ = try checked(resource, expectedType: type)
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
            return (try queueVersion(resource, type: type, id: id, version: 1, method: "PUT", isNew: true), true)
        }
        let stored = try await replace(resource, type: type, id: id, current: current.version, method: "PUT", deleted: false)
        return (stored, current.deleted)
    }

    /// Deletes `type/id`; returns the deletion version, or nil when there was nothing to delete.
    @discardableResult
    public func delete(type: String, id: String) async throws -> StoredResource? {
        guard let current = try await currentVersion(type: type, id: id), !current.deleted else { return nil }
        deletedHere.insert(ReferenceValue(type: type, id: id))
        try await runHooks(nil, type: type, id: id)
        return try await replace(nil, type: type, id: id, current: current.version, method: "DELETE", deleted: true)
    }

    private func runHooks(_ resource: JSONValue?, type: String, id: String) async throws {
        for hook in hooks where hook.resourceTypes.contains(type) {
            try await hook.willWrite(resource, type: type, id: id, sql: sql)
        }
    }

    /// The current version number of `type/id` and whether it is deleted, locking the row on PostgreSQL.
    func currentVersion(type: String, id: String) async throws -> (version: Int64, deleted: Bool)? {
        if written.contains(ReferenceValue(type: type, id: id)) { try await flush(checkReferences: false) }
        let lock = engine == .postgres ? " FOR UPDATE" : ""
        guard let row = try await sql.raw("SELECT version_id, deleted FROM fhir_resource WHERE res_type = \(bind: type) AND res_id = \(bind: id)\(unsafeRaw: lock)").first() else {
            return nil
        }
        return (try row.decode(column: "version_id", as: Int64.self), try row.decode(column: "deleted", as: Int.self) != 0)
    }

    private func replace(_ resource: JSONValue?, type: String, id: String, current: Int64, method: String, deleted: Bool) async throws -> StoredResource {
        let version = current + 1
        var content = ""
        var entries = IndexEntries()
        if let resource {
            let stamped = stamp(resource, id: id, version: version)
            content = stamped.serialized()
            entries = indexer.entries(for: stamped, type: type)
            collectReferences(stamped, path: type)
        }
        let updated = try await sql.raw("""
            UPDATE fhir_resource SET version_id = \(bind: version), last_updated = \(bind: nowText), last_updated_ms = \(bind: nowMillis),
            deleted = \(unsafeRaw: deleted ? "1" : "0"), content = \(bind: content)
            WHERE res_type = \(bind: type) AND res_id = \(bind: id) AND version_id = \(bind: current) RETURNING version_id
            """).first()
        guard updated != nil else {
            throw FHIRError.preconditionFailed("\(type)/\(id) was changed by someone else meanwhile; read it again and retry")
        }
        for table in ["fhir_idx_token", "fhir_idx_string", "fhir_idx_reference", "fhir_idx_date", "fhir_idx_number", "fhir_idx_quantity"] {
            try await sql.raw("DELETE FROM \(unsafeRaw: table) WHERE res_type = \(bind: type) AND res_id = \(bind: id)").run()
        }
        history.append([type, id, version, nowText, nowMillis, deleted ? 1 : 0, method, content])
        queueIndex(entries, type: type, id: id)
        if !deleted { written.insert(ReferenceValue(type: type, id: id)) }
        return StoredResource(type: type, id: id, versionId: version, lastUpdated: nowText, deleted: deleted, content: content, method: method)
    }

    private func queueVersion(_ resource: JSONValue, type: String, id: String, version: Int64, method: String, isNew: Bool) throws -> StoredResource {
        guard FHIRID.isValid(id) else { throw FHIRError.badRequest("'\(id)' is not a valid resource id") }
        let key = ReferenceValue(type: type, id: id)
        if written.contains(key) {
            throw FHIRError.badRequest("\(type)/\(id) is written twice in one transaction")
        }
        let stamped = stamp(resource, id: id, version: version)
        let content = stamped.serialized()
        collectReferences(stamped, path: type)
        resources.append([type, id, version, nowText, nowMillis, 0, content])
        history.append([type, id, version, nowText, nowMillis, 0, method, content])
        queueIndex(indexer.entries(for: stamped, type: type), type: type, id: id)
        written.insert(key)
        return StoredResource(type: type, id: id, versionId: version, lastUpdated: nowText, deleted: false, content: content, method: method)
    }

    private func queueIndex(_ entries: IndexEntries, type: String, id: String) {
        for token in entries.tokens { tokens.append([type, id, token.param, token.system, token.code]) }
        for string in entries.strings { strings.append([type, id, string.param, string.value]) }
        for reference in entries.references { references.append([type, id, reference.param, reference.type, reference.id]) }
        for date in entries.dates { dates.append([type, id, date.param, date.low, date.high]) }
        for number in entries.numbers { numbers.append([type, id, number.param, number.value]) }
        for quantity in entries.quantities { quantities.append([type, id, quantity.param, quantity.system, quantity.code, quantity.value]) }
    }

    /// Sets `id` and `meta.versionId`/`meta.lastUpdated`, keeping the rest of `meta`.
    private func stamp(_ resource: JSONValue, id: String, version: Int64) -> JSONValue {
        var stamped = resource
        var meta = resource["meta"]?.objectValue ?? [:]
        meta["versionId"] = .string(String(version))
        meta["lastUpdated"] = .string(nowText)
        stamped["id"] = .string(id)
        stamped["meta"] = .object(meta)
        return stamped
    }

    /// Records every literal reference (`{"reference": "Type/id"}`) of a resource for the integrity check.
    private func collectReferences(_ value: JSONValue, path: String) {
        switch value {
        case .object(let members):
            if let text = members["reference"]?.stringValue, let reference = ReferenceValue(text), !text.contains("://"),
               FHIRDefinitions.supportedTypes.contains(reference.type) {
                let key = ReferenceValue(type: reference.type, id: reference.id)
                if referencedTargets[key] == nil {
                    referencedTargets[key] = currentLabel.map { "\($0): \(path)" } ?? path
                }
            }
            for (key, member) in members where key != "contained" {
                collectReferences(member, path: path + "." + key)
            }
        case .array(let items):
            for item in items { collectReferences(item, path: path) }
        default:
            break
        }
    }

    /// Writes every queued row; with `checkReferences`, first fails with 422 if a reference points nowhere.
    public func flush(checkReferences: Bool = true) async throws {
        if checkReferences {
            try await verifyReferences()
        }
        try await resources.flush(sql)
        try await history.flush(sql)
        try await tokens.flush(sql)
        try await strings.flush(sql)
        try await references.flush(sql)
        try await dates.flush(sql)
        try await numbers.flush(sql)
        try await quantities.flush(sql)
    }

    private func verifyReferences() async throws {
        var pending = referencedTargets.filter { !written.contains($0.key) }
        let deletedTargets = referencedTargets.filter { deletedHere.contains($0.key) }
        referencedTargets = [:]
        if let (target, path) = deletedTargets.first {
            throw FHIRError.unprocessable([OutcomeIssue(code: "not-found", diagnostics: "\(target.relative) is deleted in this transaction but still referenced (\(path))")])
        }
        guard !pending.isEmpty else { return }
        let byType = Dictionary(grouping: pending.keys, by: \.type)
        for (type, targets) in byType {
            let ids = targets.map(\.id)
            var start = 0
            while start < ids.count {
                let chunk = Array(ids[start..<min(ids.count, start + 500)])
                let rows = try await sql.raw("SELECT res_id FROM fhir_resource WHERE res_type = \(bind: type) AND deleted = 0 AND res_id IN (\(binds: chunk))").all()
                for row in rows {
                    pending[ReferenceValue(type: type, id: try row.decode(column: "res_id", as: String.self))] = nil
                }
                start += 500
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
