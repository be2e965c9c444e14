import Foundation
public import SQLKit
public import Storage

/// The FHIR R4 resource store: versioned JSON with full history and search indexes,
/// written in the same transaction as the resource.
public struct FHIRStore: Sendable {
    /// The database holding the resources.
    public let database: Database
    /// The definitions for validation and indexing.
    public let definitions: FHIRDefinitions
    /// Validation, stamping and indexing, usable before a transaction begins.
    public let preparer: ResourcePreparer
    /// Domain hooks run inside every write transaction.
    public let hooks: [any ResourceWriteHook]
    /// Domain hooks run once at the end of every write transaction, before it commits.
    public let commitHooks: [any TransactionCommitHook]
    /// The numbers of the stored search parameters, read once.
    let parameterKeys: SearchParameterKeys
    /// Where ``read(type:id:)``, ``vread(type:id:version:)``, ``history(type:id:since:count:offset:)`` and
    /// ``search(_:)`` read: the primary, or its replica in the store ``onReader`` gives.
    let readSource: Database

    /// Creates a store over a migrated database, with the domains' write hooks.
    /// With `protection`, sensitive values are sealed at rest (see ``FieldProtection``).
    public init(database: Database, definitions: FHIRDefinitions = .shared, hooks: [any ResourceWriteHook] = [], commitHooks: [any TransactionCommitHook] = [],
                protection: (any FieldProtection)? = nil) {
        self.database = database
        self.readSource = database
        self.parameterKeys = SearchParameterKeys()
        self.hooks = hooks
        self.commitHooks = commitHooks
        self.definitions = definitions
        self.preparer = ResourcePreparer(validator: ResourceValidator(definitions: definitions), indexer: SearchIndexer(definitions: definitions), protection: protection)
    }

    private init(_ store: FHIRStore, readingFrom readSource: Database) {
        self.database = store.database
        self.readSource = readSource
        self.parameterKeys = store.parameterKeys
        self.hooks = store.hooks
        self.commitHooks = store.commitHooks
        self.definitions = store.definitions
        self.preparer = store.preparer
    }

    /// The same store with its reads and searches served by the database's ``Database/reader`` (the replica when
    /// one is configured); its writes still go to the primary. For the REST API's read-only interactions, which
    /// may lag the last commits by the replica's delay; never for a read a write depends on.
    public var onReader: FHIRStore { FHIRStore(self, readingFrom: database.reader) }

    /// The protection of sensitive values at rest, if any.
    public var protection: (any FieldProtection)? { preparer.protection }

    /// A stored version made readable (protected values opened).
    func opened(_ stored: StoredResource) throws -> StoredResource {
        guard let protection else { return stored }
        return try protection.open(stored)
    }

    /// The readable JSON of a `content` column read directly from `fhir_resource` (for domain code
    /// that reads the table in its own transaction).
    public func openContent(_ content: String, type: String) throws -> JSONValue {
        try preparer.openContent(content, type: type)
    }

    /// Runs `body` with a writer in one transaction; queued rows are flushed (and references checked) before commit.
    public func write<T: Sendable>(_ body: (FHIRWriter) async throws -> T) async throws -> T {
        do {
            return try await database.write { sql in
                let writer = FHIRWriter(sql: sql, engine: database.engine, preparer: preparer, hooks: hooks, parameterKeys: parameterKeys)
                let result = try await body(writer)
                try await writer.flush()
                for hook in commitHooks { try await hook.willCommit(sql: sql) }
                return result
            }
        } catch {
            for hook in commitHooks { hook.didRollBack() }
            throw error
        }
    }

    /// Runs `body` with a writer sharing an outer transaction's connection (for domain services
    /// that write their own tables and FHIR resources atomically). The caller's transaction commits.
    public func writer(on sql: any SQLDatabase) -> FHIRWriter {
        FHIRWriter(sql: sql, engine: database.engine, preparer: preparer, hooks: hooks, parameterKeys: parameterKeys)
    }

    /// Creates a resource with a server-assigned id.
    public func create(_ resource: JSONValue) async throws -> StoredResource {
        try await write { try await $0.create(resource) }
    }

    /// Updates or creates `type/id`, enforcing `ifMatch` when given.
    public func update(_ resource: JSONValue, type: String, id: String, ifMatch: Int64? = nil) async throws -> (StoredResource, created: Bool) {
        try await write { try await $0.update(resource, type: type, id: id, ifMatch: ifMatch) }
    }

    /// Deletes `type/id`; returns nil when it did not exist or was already deleted.
    @discardableResult
    public func delete(type: String, id: String) async throws -> StoredResource? {
        try await write { try await $0.delete(type: type, id: id) }
    }

    /// The current version of `type/id`: nil when it never existed; a deleted version when deleted.
    public func read(type: String, id: String) async throws -> StoredResource? {
        try await readSource.read { sql in try await Self.read(type: type, id: id, sql: sql) }.map(opened)
    }

    static func read(type: String, id: String, sql: any SQLDatabase) async throws -> StoredResource? {
        let row = try await sql.raw("""
            SELECT res_type, res_id, version_id, last_updated, deleted, content FROM fhir_resource
            WHERE res_type = \(bind: type) AND res_id = \(bind: id)
            """).first()
        return try row.map(Self.decode)
    }

    /// A given version of `type/id`, or nil. The current version is in `fhir_resource`, earlier ones in the history.
    public func vread(type: String, id: String, version: Int64) async throws -> StoredResource? {
        try await readSource.read { sql in
            let row = try await sql.raw("""
                SELECT \(unsafeRaw: Self.versionColumns) FROM fhir_resource
                WHERE res_type = \(bind: type) AND res_id = \(bind: id) AND version_id = \(bind: version)
                UNION ALL
                SELECT \(unsafeRaw: Self.versionColumns) FROM fhir_resource_history
                WHERE res_type = \(bind: type) AND res_id = \(bind: id) AND version_id = \(bind: version)
                """).first()
            return try row.map(Self.decode)
        }.map(opened)
    }

    static let versionColumns = "res_type, res_id, version_id, last_updated, last_updated_ms, deleted, content, method"

    /// Versions newest first: of one resource, one type, or everything; since a time; at most `count` from `offset`.
    /// Current versions are in `fhir_resource`, superseded ones in `fhir_resource_history`.
    public func history(type: String?, id: String?, since: Int64?, count: Int, offset: Int) async throws -> (versions: [StoredResource], total: Int) {
        try await readSource.read { sql in
            var filter = SQLQueryString("1 = 1")
            if let type { filter.appendLiteral(" AND res_type = "); filter.appendInterpolation(bind: type) }
            if let id { filter.appendLiteral(" AND res_id = "); filter.appendInterpolation(bind: id) }
            if let since { filter.appendLiteral(" AND last_updated_ms >= "); filter.appendInterpolation(bind: since) }
            var total = 0
            for table in ["fhir_resource", "fhir_resource_history"] {
                let totalRow = try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(filter)").first()
                total += try totalRow?.decode(column: "n", as: Int.self) ?? 0
            }
            // Each part brings at most the rows the page can need, found by its time index.
            let limit = count + offset
            let rows = try await sql.raw("""
                SELECT \(unsafeRaw: Self.versionColumns) FROM (
                SELECT * FROM (SELECT \(unsafeRaw: Self.versionColumns) FROM fhir_resource WHERE \(filter)
                    ORDER BY last_updated_ms DESC, version_id DESC LIMIT \(literal: limit)) AS c
                UNION ALL
                SELECT * FROM (SELECT \(unsafeRaw: Self.versionColumns) FROM fhir_resource_history WHERE \(filter)
                    ORDER BY last_updated_ms DESC, version_id DESC LIMIT \(literal: limit)) AS h
                ) AS v ORDER BY last_updated_ms DESC, version_id DESC LIMIT \(literal: count) OFFSET \(literal: offset)
                """).all()
            return (try rows.map { try opened(Self.decode($0)) }, total)
        }
    }

    static func decode(_ row: any SQLRow) throws -> StoredResource {
        StoredResource(
            type: try row.decode(column: "res_type", as: String.self),
            id: try row.decode(column: "res_id", as: String.self),
            versionId: try row.decode(column: "version_id", as: Int64.self),
            lastUpdated: try row.decode(column: "last_updated", as: String.self),
            deleted: try row.decode(column: "deleted", as: Int.self) != 0,
            content: try row.decode(column: "content", as: String.self),
            method: row.contains(column: "method") ? try row.decode(column: "method", as: String?.self) : nil
        )
    }

    /// Counts of current resources per type, for metrics and the capability statement.
    public func counts() async throws -> [String: Int] {
        try await database.read { sql in
            let rows = try await sql.raw("SELECT res_type, COUNT(*) AS n FROM fhir_resource WHERE deleted = 0 GROUP BY res_type").all()
            var counts: [String: Int] = [:]
            for row in rows {
                counts[try row.decode(column: "res_type", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
            return counts
        }
    }
}
