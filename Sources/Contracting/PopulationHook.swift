import FHIR
import Foundation
import Registry
import SQLKit

/// Keeps the Contracting target's facts current with the record, inside every FHIR write: key-group facts
/// from Patient and Condition, and family doctors' places from PractitionerRole (a 家庭医生 role at a CHC).
/// The residents themselves are the Registry's `registry_resident` (``ResidentDirectory``).
public struct PopulationHook: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Patient", "Condition", "PractitionerRole"]
    /// Places a newly known family doctor gets.
    let defaultCapacity: Int

    /// Creates the hook; `defaultCapacity` is the number of residents a new family doctor may sign.
    public init(defaultCapacity: Int = ContractingService.defaultCapacity) {
        self.defaultCapacity = defaultCapacity
    }

    public func willWrite(_ resource: JSONValue?, type: String, id: String, sql: any SQLDatabase) async throws {
        switch type {
        case "Patient": try await patient(resource, id: id, sql: sql)
        case "Condition": try await condition(resource, id: id, sql: sql)
        default: try await practitionerRole(resource, sql: sql)
        }
    }

    /// The groups the Patient record states (its population-group extension).
    private func patient(_ resource: JSONValue?, id: String, sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM contract_group_fact WHERE source = \(bind: "Patient/\(id)")").run()
        guard let resource else { return }
        for group in KeyGroup.stated(in: resource).sorted(by: { $0.rawValue < $1.rawValue }) {
            try await sql.raw("INSERT INTO contract_group_fact (source, group_code, patient_id) VALUES (\(bind: "Patient/\(id)"), \(bind: group.rawValue), \(bind: id))").run()
        }
    }

    private func condition(_ resource: JSONValue?, id: String, sql: any SQLDatabase) async throws {
        let source = "Condition/\(id)"
        try await sql.raw("DELETE FROM contract_group_fact WHERE source = \(bind: source)").run()
        guard let resource, let subject = resource["subject"]?["reference"]?.stringValue, subject.hasPrefix("Patient/") else { return }
        let patient = String(subject.dropFirst("Patient/".count))
        for group in KeyGroup.diagnosed(by: resource).sorted(by: { $0.rawValue < $1.rawValue }) {
            try await sql.raw("INSERT INTO contract_group_fact (source, group_code, patient_id) VALUES (\(bind: source), \(bind: group.rawValue), \(bind: patient))").run()
        }
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
