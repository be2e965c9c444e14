public import SQLKit

/// A domain's say in FHIR writes: called in the writing transaction before a version is stored.
///
/// The master patient index uses it to check resident ID numbers and keep its tables in step
/// with Patient resources; a hook may reject a write by throwing a ``FHIRError``.
public protocol ResourceWriteHook: Sendable {
    /// The resource types this hook wants to see.
    var resourceTypes: Set<String> { get }
    /// Whether the hook sees a transaction's versions together (``didWrite(_:sql:)``, when the writer flushes,
    /// so it can write its rows set-based) rather than one at a time (``willWrite(_:type:id:sql:)``).
    /// A batched hook that throws still rolls the whole transaction back.
    var batched: Bool { get }
    /// Called with the version about to be stored (nil for a deletion), on the transaction's connection.
    func willWrite(_ resource: JSONValue?, type: String, id: String, sql: any SQLDatabase) async throws
    /// Called, for a batched hook, with the versions written since the last flush, in order.
    func didWrite(_ versions: [WrittenVersion], sql: any SQLDatabase) async throws
}

/// A version written in a transaction, as a batched hook sees it.
public struct WrittenVersion: Sendable {
    /// The resource type and id.
    public let type: String
    public let id: String
    /// The resource as written (readable, before any sealing); nil for a deletion.
    public let resource: JSONValue?
}

extension Array where Element == WrittenVersion {
    /// Each resource's last version in the batch (nil for a deletion), keyed by id, with the ids in the order
    /// first written: what a hook that keeps one row per resource of one type writes.
    public var lastVersions: (order: [String], latest: [String: JSONValue?]) {
        var latest: [String: JSONValue?] = [:]
        var order: [String] = []
        for version in self {
            if latest[version.id] == nil { order.append(version.id) }
            latest[version.id] = .some(version.resource)
        }
        return (order, latest)
    }
}

extension ResourceWriteHook {
    /// One at a time, unless the hook says otherwise.
    public var batched: Bool { false }
    /// Nothing, for a hook that sees versions one at a time.
    public func didWrite(_ versions: [WrittenVersion], sql: any SQLDatabase) async throws {}
    /// Nothing, for a batched hook.
    public func willWrite(_ resource: JSONValue?, type: String, id: String, sql: any SQLDatabase) async throws {}
}

/// A domain's last word in a FHIR write transaction: called once, after every resource is stored and
/// checked, before the commit. The audit chain uses it so that a change and its audit entry commit together.
public protocol TransactionCommitHook: Sendable {
    /// Called on the transaction's connection; throwing rolls the whole transaction back.
    func willCommit(sql: any SQLDatabase) async throws
    /// Called when the transaction failed and nothing of it was stored.
    func didRollBack()
}
