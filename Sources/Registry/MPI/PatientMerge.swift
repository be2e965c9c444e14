import FHIR
import Foundation
import SQLKit
import Storage

/// A merge of two records of one person, kept so it can be undone (合并与撤销).
public struct MergeEvent: Sendable, Equatable, Codable {
    public var id: Int64
    public var source: String
    public var target: String
    public var mergedAt: String
    public var reason: String?
    public var undoneAt: String?
}

extension RegistryService {
    /// Merges the duplicate `source` into `target`: the source becomes inactive with a
    /// `replaced-by` link, the target gains a `replaces` link. Both versions before the merge are kept.
    public func merge(source: String, target: String, reason: String?) async throws -> MergeEvent {
        guard source != target else { throw FHIRError.badRequest("A record cannot be merged into itself") }
        return try await fhir.write { writer in
            let sourceBefore = try await Self.activePatient(source, writer: writer)
            let targetBefore = try await Self.activePatient(target, writer: writer)
            var sourceAfter = sourceBefore
            sourceAfter["active"] = .bool(false)
            sourceAfter["link"] = .array((sourceBefore["link"]?.arrayValue ?? []) + [Self.link(target, type: "replaced-by")])
            sourceAfter["meta"] = nil
            var targetAfter = targetBefore
            targetAfter["link"] = .array((targetBefore["link"]?.arrayValue ?? []) + [Self.link(source, type: "replaces")])
            targetAfter["meta"] = nil
            _ = try await writer.update(sourceAfter, type: "Patient", id: source, ifMatch: nil)
            _ = try await writer.update(targetAfter, type: "Patient", id: target, ifMatch: nil)
            let now = ISO8601Timestamp.now()
            try await writer.sql.raw("UPDATE mpi_person SET merged_into = \(bind: target) WHERE patient_id = \(bind: source)").run()
            let row = try await writer.sql.raw("""
                INSERT INTO mpi_merge_event (source_id, target_id, merged_at, reason, source_before, target_before)
                VALUES (\(bind: source), \(bind: target), \(bind: now), \(bind: reason), \(bind: try writer.storedContent(sourceBefore, type: "Patient")), \(bind: try writer.storedContent(targetBefore, type: "Patient")))
                RETURNING id
                """).first()
            let id = try row?.decode(column: "id", as: Int64.self) ?? 0
            return MergeEvent(id: id, source: "Patient/\(source)", target: "Patient/\(target)", mergedAt: now, reason: reason, undoneAt: nil)
        }
    }

    /// Undoes a merge: both records return to their content before it, as new versions.
    public func unmerge(eventID: Int64) async throws -> MergeEvent {
        try await fhir.write { writer in
            guard let row = try await writer.sql.raw("SELECT * FROM mpi_merge_event WHERE id = \(bind: eventID)").first() else {
                throw FHIRError.notFound("Merge \(eventID) does not exist")
            }
            if try row.decode(column: "undone_at", as: String?.self) != nil {
                throw FHIRError.conflict("Merge \(eventID) has already been undone")
            }
            let source = try row.decode(column: "source_id", as: String.self)
            let target = try row.decode(column: "target_id", as: String.self)
            for (id, column) in [(target, "target_before"), (source, "source_before")] {
                var before = try writer.openContent(try row.decode(column: column, as: String.self), type: "Patient")
                before["meta"] = nil
                _ = try await writer.update(before, type: "Patient", id: id, ifMatch: nil)
            }
            let now = ISO8601Timestamp.now()
            try await writer.sql.raw("UPDATE mpi_person SET merged_into = NULL WHERE patient_id = \(bind: source)").run()
            try await writer.sql.raw("UPDATE mpi_merge_event SET undone_at = \(bind: now) WHERE id = \(bind: eventID)").run()
            return MergeEvent(
                id: eventID, source: "Patient/\(source)", target: "Patient/\(target)",
                mergedAt: try row.decode(column: "merged_at", as: String.self), reason: try row.decode(column: "reason", as: String?.self), undoneAt: now
            )
        }
    }

    /// The merge trail of a record, newest first.
    public func merges(of patientID: String) async throws -> [MergeEvent] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT id, source_id, target_id, merged_at, reason, undone_at FROM mpi_merge_event
                WHERE source_id = \(bind: patientID) OR target_id = \(bind: patientID) ORDER BY id DESC
                """).all().map { row in
                MergeEvent(
                    id: try row.decode(column: "id", as: Int64.self),
                    source: "Patient/" + (try row.decode(column: "source_id", as: String.self)),
                    target: "Patient/" + (try row.decode(column: "target_id", as: String.self)),
                    mergedAt: try row.decode(column: "merged_at", as: String.self),
                    reason: try row.decode(column: "reason", as: String?.self),
                    undoneAt: try row.decode(column: "undone_at", as: String?.self)
                )
            }
        }
    }

    private static func activePatient(_ id: String, writer: FHIRWriter) async throws -> JSONValue {
        guard let row = try await writer.sql.raw("SELECT content, deleted FROM fhir_resource WHERE res_type = 'Patient' AND res_id = \(bind: id)").first(),
              try row.decode(column: "deleted", as: Int.self) == 0 else {
            throw FHIRError.notFound("Patient/\(id) does not exist")
        }
        let patient = try writer.openContent(try row.decode(column: "content", as: String.self), type: "Patient")
        if patient["active"] == .bool(false) {
            throw FHIRError.conflict("Patient/\(id) is inactive (already merged?)")
        }
        return patient
    }

    private static func link(_ id: String, type: String) -> JSONValue {
        .object(["other": .object(["reference": .string("Patient/\(id)")]), "type": .string(type)])
    }
}
