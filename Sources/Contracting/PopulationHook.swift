import FHIR
import Foundation
import Registry
import SQLKit

/// Keeps the Contracting target's view of the population current with the record, inside every FHIR
/// write: residents (街道, CHC, birth date) from Patient, key-group facts from Patient and Condition, and
/// family doctors' places from PractitionerRole (a 家庭医生 role at a CHC).
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

    private func patient(_ resource: JSONValue?, id: String, sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM contract_group_fact WHERE source = \(bind: "Patient/\(id)")").run()
        guard let resource else {
            try await sql.raw("UPDATE contract_resident SET active = 0 WHERE patient_id = \(bind: id)").run()
            return
        }
        let subdistrict = PatientExtensions.subdistricts(of: resource).first
        let organization = resource["managingOrganization"]?["reference"]?.stringValue.flatMap(Self.organizationID)
        try await sql.raw("""
            INSERT INTO contract_resident (patient_id, district, subdistrict, organization_id, birth_date, household, active)
            VALUES (\(bind: id), \(bind: subdistrict.map { String($0.prefix(6)) }), \(bind: subdistrict), \(bind: organization),
                    \(bind: resource["birthDate"]?.stringValue), \(bind: PatientExtensions.household(of: resource)),
                    \(unsafeRaw: resource["active"] == .bool(false) ? "0" : "1"))
            ON CONFLICT (patient_id) DO UPDATE SET district = excluded.district, subdistrict = excluded.subdistrict,
                organization_id = excluded.organization_id, birth_date = excluded.birth_date, household = excluded.household, active = excluded.active
            """).run()
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
