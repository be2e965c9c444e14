import FHIR
import SQLKit
public import Storage

/// The residents as the domains count them (居民名录): every Patient with its district and 街道, the CHC
/// that manages it, the family doctor, birth date, sex and household, kept in step with the record by this FHIR write hook
/// (batched: one statement per transaction's Patients).
///
/// A kernel table: domains (contracting, chronic care, indicators) join `registry_resident` for their
/// denominators and breakdowns instead of keeping copies of their own.
public struct ResidentDirectory: ResourceWriteHook {
    public let resourceTypes: Set<String> = ["Patient"]
    public let batched = true
    let engine: DatabaseEngine

    /// Creates the hook for the store's engine.
    public init(engine: DatabaseEngine) {
        self.engine = engine
    }

    public func didWrite(_ versions: [WrittenVersion], sql: any SQLDatabase) async throws {
        // The last version of each Patient counts.
        let (order, latest) = versions.lastVersions
        let deleted = order.filter { latest[$0] == .some(nil) }
        try await MultiRowInsert.forEachChunk(sql, deleted, "UPDATE registry_resident SET active = 0 WHERE patient_id IN {in}")
        var rows = BatchInsert(table: "registry_resident",
                               columns: ["patient_id", "district", "subdistrict", "organization_id", "birth_date", "gender", "household", "active", "practitioner_id"], suffix: """
            ON CONFLICT (patient_id) DO UPDATE SET district = excluded.district, subdistrict = excluded.subdistrict,
                organization_id = excluded.organization_id, birth_date = excluded.birth_date, gender = excluded.gender,
                household = excluded.household, active = excluded.active, practitioner_id = excluded.practitioner_id
            """)
        for id in order {
            guard let resource = latest[id] ?? nil else { continue }
            let subdistrict = PatientExtensions.subdistricts(of: resource).first
            let managing = resource["managingOrganization"]?["reference"]?.stringValue
            let organization = managing.flatMap { $0.hasPrefix("Organization/") ? String($0.dropFirst("Organization/".count)) : nil }
            rows.append([.text(id), .text(subdistrict.map { String($0.prefix(6)) }), .text(subdistrict), .text(organization), .text(resource["birthDate"]?.stringValue),
                         .text(resource["gender"]?.stringValue), .text(PatientExtensions.household(of: resource)), .int(resource["active"] == .bool(false) ? 0 : 1),
                         .text((resource["generalPractitioner"]?.items ?? []).compactMap { $0["reference"]?.stringValue }.first { $0.hasPrefix("Practitioner/") }.map { String($0.dropFirst("Practitioner/".count)) })])
        }
        try await rows.flush(sql, engine: engine)
    }
}

extension ResidentDirectory {
    /// The active Patients of one household (户), by id (the resident portal's household members).
    public static func household(_ household: String, database: Database) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw("SELECT patient_id FROM registry_resident WHERE household = \(bind: household) AND active = 1 ORDER BY patient_id LIMIT 50")
                .all().map { try $0.decode(column: "patient_id", as: String.self) }
        }
    }
}
