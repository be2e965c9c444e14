import FHIR
import Foundation
import Registry
import SQLKit
import Storage

/// Keeps the Contracting target's facts current with the record, inside every FHIR write: key-group facts
/// from Patient and Condition, and family doctors' places from PractitionerRole (a 家庭医生 role at a CHC).
/// The residents themselves are the Registry's `registry_resident` (``ResidentDirectory``).
public struct PopulationHook: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Patient", "Condition", "PractitionerRole"]
    /// Places a newly known family doctor gets.
    let defaultCapacity: Int
    let engine: DatabaseEngine

    /// Creates the hook for the store's engine; `defaultCapacity` is the number of residents a new family doctor may sign.
    public init(engine: DatabaseEngine, defaultCapacity: Int = ContractingService.defaultCapacity) {
        self.engine = engine
        self.defaultCapacity = defaultCapacity
    }

    public let batched = true

    /// Key-group facts are replaced set-based for the transaction's Patients and Conditions; doctors' roles one by one (rare).
    public func didWrite(_ versions: [WrittenVersion], sql: any SQLDatabase) async throws {
        var sources: [String] = []
        var seen = Set<String>()
        var facts: [String: [[RowValue]]] = [:]
        for version in versions {
            switch version.type {
            case "Patient", "Condition":
                let source = "\(version.type)/\(version.id)"
                if seen.insert(source).inserted { sources.append(source) }
                facts[source] = Self.facts(version.resource, type: version.type, id: version.id).map { [.text(source), .text($0.group.rawValue), .text($0.patient)] }
            default:
                try await practitionerRole(version.resource, sql: sql)
            }
        }
        try await MultiRowInsert.forEachChunk(sql, sources, "DELETE FROM contract_group_fact WHERE source IN {in}")
        var rows = BatchInsert(table: "contract_group_fact", columns: ["source", "group_code", "patient_id"])
        for row in sources.flatMap({ facts[$0] ?? [] }) { rows.append(row) }
        try await rows.flush(sql, engine: engine)
    }

    /// The key groups a Patient states or a Condition diagnoses, with the resident they belong to.
    static func facts(_ resource: JSONValue?, type: String, id: String) -> [(group: KeyGroup, patient: String)] {
        guard let resource else { return [] }
        if type == "Patient" {
            return KeyGroup.stated(in: resource).sorted { $0.rawValue < $1.rawValue }.map { ($0, id) }
        }
        guard let subject = resource["subject"]?["reference"]?.stringValue, subject.hasPrefix("Patient/") else { return [] }
        let patient = String(subject.dropFirst("Patient/".count))
        return KeyGroup.diagnosed(by: resource).sorted { $0.rawValue < $1.rawValue }.map { ($0, patient) }
    }

    /// A family-doctor role at a CHC makes the doctor signable (capacity set once, changed by the CHC manager).
    private func practitionerRole(_ resource: JSONValue?, sql: any SQLDatabase) async throws {
        guard let resource, resource["active"] != .bool(false),
              let practitioner = resource["practitioner"]?["reference"]?.stringValue, practitioner.hasPrefix("Practitioner/"),
              let organization = resource["organization"]?["reference"]?.stringValue.flatMap(Self.organizationID),
              let institution = Catalog.institutions.first(where: { $0.id == organization }), institution.type == "chc",
              (resource["code"]?.arrayValue ?? []).contains(where: { concept in
                  (concept["coding"]?.arrayValue ?? []).contains { $0["code"]?.stringValue == "family-doctor" }
              }) else { return }
        try await sql.raw("""
            INSERT INTO contract_doctor (practitioner_id, organization_id, district, capacity, active_count)
            VALUES (\(bind: String(practitioner.dropFirst("Practitioner/".count))), \(bind: organization), \(bind: institution.district), \(bind: defaultCapacity), 0)
            ON CONFLICT (practitioner_id) DO UPDATE SET organization_id = excluded.organization_id, district = excluded.district
            """).run()
    }

    static func organizationID(_ reference: String) -> String? {
        reference.hasPrefix("Organization/") ? String(reference.dropFirst("Organization/".count)) : nil
    }
}
