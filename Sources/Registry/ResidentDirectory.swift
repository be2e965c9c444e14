import FHIR
import SQLKit

/// The residents as the domains count them (居民名录): every Patient with its district and 街道, the CHC
/// that manages it, birth date, sex and household, kept in step with the record by this FHIR write hook.
///
/// A kernel table: domains (contracting, chronic care, indicators) join `registry_resident` for their
/// denominators and breakdowns instead of keeping copies of their own.
public struct ResidentDirectory: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Patient"]

    /// Creates the hook.
    public init() {}

    public func willWrite(_ resource: JSONValue?, type: String, id: String, sql: any SQLDatabase) async throws {
        guard let resource else {
            try await sql.raw("UPDATE registry_resident SET active = 0 WHERE patient_id = \(bind: id)").run()
            return
        }
        let subdistrict = PatientExtensions.subdistricts(of: resource).first
        let managing = resource["managingOrganization"]?["reference"]?.stringValue
        let organization = managing.flatMap { $0.hasPrefix("Organization/") ? String($0.dropFirst("Organization/".count)) : nil }
        try await sql.raw("""
            INSERT INTO registry_resident (patient_id, district, subdistrict, organization_id, birth_date, gender, household, active)
            VALUES (\(bind: id), \(bind: subdistrict.map { String($0.prefix(6)) }), \(bind: subdistrict), \(bind: organization),
                    \(bind: resource["birthDate"]?.stringValue), \(bind: resource["gender"]?.stringValue), \(bind: PatientExtensions.household(of: resource)),
                    \(unsafeRaw: resource["active"] == .bool(false) ? "0" : "1"))
            ON CONFLICT (patient_id) DO UPDATE SET district = excluded.district, subdistrict = excluded.subdistrict,
                organization_id = excluded.organization_id, birth_date = excluded.birth_date, gender = excluded.gender,
                household = excluded.household, active = excluded.active
            """).run()
    }
}
