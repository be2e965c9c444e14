public import SQLKit

/// A domain's say in FHIR writes: called in the writing transaction before a version is stored.
///
/// The master patient index uses it to check resident ID numbers and keep its tables in step
/// with Patient resources; a hook may reject a write by throwing a ``FHIRError``.
public protocol ResourceWriteHook: Sendable {
    /// The resource types this hook wants to see.
    var resourceTypes: Set<String> { get }
    /// Called with the version about to be stored (nil for a deletion), on the transaction's connection.
    func willWrite(_ resource: JSONValue?, type: String, id: String, sql: any SQLDatabase) async throws
}

/// A domain's last word in a FHIR write transaction: called once, after every resource is stored and
/// checked, before the commit. The audit chain uses it so that a change and its audit entry commit together.
public protocol TransactionCommitHook: Sendable {
    /// Called on the transaction's connection; throwing rolls the whole transaction back.
    func willCommit(sql: any SQLDatabase) async throws
    /// Called when the transaction failed and nothing of it was stored.
    func didRollBack()
}
