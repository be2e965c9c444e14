import Foundation
public import FHIR
public import SQLKit
public import Storage
import Synchronization

/// Who is writing, carried through a FHIR write (a task-local value) so that the audit hooks can append
/// the change records inside the same transaction as the change.
public struct AuditScope: Sendable {
    /// The record template: actor, role, purpose, source, break-glass; `entity`, `patient` and `action` are filled per resource.
    public var template: AuditRecord
    let changes: Changes

    /// The changes collected in the current transaction.
    final class Changes: Sendable {
        let records = Mutex<[AuditRecord]>([])
    }

    /// Creates a scope for one request.
    public init(template: AuditRecord) {
        self.template = template
        self.changes = Changes()
    }

    /// The scope of the request being served, if any.
    @TaskLocal public static var current: AuditScope?
}

/// Records every resource written under an ``AuditScope`` (one entry per patient touched).
public struct AuditWriteHook: ResourceWriteHook {
    /// Every supported type.
    public let resourceTypes = Set(FHIRDefinitions.supportedTypes)

    /// Creates the hook.
    public init() {}

    /// Notes the change; nothing is written until ``AuditCommitHook`` runs.
    public func willWrite(_ resource: JSONValue?, type: String, id: String, sql: any SQLDatabase) async throws {
        guard let scope = AuditScope.current else { return }
        var patients = resource.map { PatientCompartment.patients(of: $0, type: type) } ?? []
        if type == "Patient" { patients = [id] }
        if resource == nil, patients.isEmpty, PatientCompartment.isPersonal(type),
           let row = try await sql.raw("SELECT content FROM fhir_resource WHERE res_type = \(bind: type) AND res_id = \(bind: id)").first(),
           let old = try? JSONValue.parse(Data(try row.decode(column: "content", as: String.self).utf8)) {
            patients = PatientCompartment.patients(of: old, type: type)
        }
        var record = scope.template
        record.entity = "\(type)/\(id)"
        record.action = resource == nil ? "delete" : scope.template.action
        let records = (patients.isEmpty ? [""] : patients.filter { !$0.hasPrefix("urn:") }).map { patient -> AuditRecord in
            var each = record
            each.patient = patient
            return each
        }
        scope.changes.records.withLock { $0.append(contentsOf: records) }
    }
}

/// Appends the changes noted by ``AuditWriteHook`` to the audit chain, in the writing transaction.
public struct AuditCommitHook: TransactionCommitHook {
    let engine: DatabaseEngine
    let head: AuditHead?

    /// Creates the hook for the store's engine; `head`: the audit log's hint of its last entry, if shared.
    public init(engine: DatabaseEngine, head: AuditHead? = nil) {
        self.engine = engine
        self.head = head
    }

    /// Appends and clears the collected records.
    public func willCommit(sql: any SQLDatabase) async throws {
        guard let scope = AuditScope.current else { return }
        let records = scope.changes.records.withLock { pending -> [AuditRecord] in
            defer { pending.removeAll() }
            return pending
        }
        try await AuditLog.append(records, sql: sql, engine: engine, head: head)
    }

    /// Forgets the records of a transaction that rolled back.
    public func didRollBack() {
        AuditScope.current?.changes.records.withLock { $0.removeAll() }
    }
}
