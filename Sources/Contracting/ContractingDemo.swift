import FHIR
import Foundation
import Registry
import SQLKit

extension ContractingService {
    /// The demo district's contracts: every demo resident whose record names a family doctor gets the contract
    /// behind it (signed on a past day, renewed yearly, a district and a city hospital chosen), with its
    /// EpisodeOfCare and CareTeam. Deterministic; does nothing when the district already has contracts.
    /// Returns the number of contracts made.
    public func seedDemo(district: String, today day: String = today()) async throws -> Int {
        let existing = try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM contract_agreement WHERE district = \(bind: district)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        guard existing == 0 else { return 0 }
        let doctors = try await database.read { sql in
            try await sql.raw("SELECT practitioner_id, organization_id FROM contract_doctor WHERE district = \(bind: district) ORDER BY practitioner_id").all().map {
                (try $0.decode(column: "practitioner_id", as: String.self), try $0.decode(column: "organization_id", as: String.self))
            }
        }
        let hospitalTypes: Set<String> = ["hospital", "tcm-hospital", "maternal-child"]
        let districtHospitals = Catalog.institutions.filter { $0.district == district && hospitalTypes.contains($0.type) }.map(\.id)
        let cityHospitals = Catalog.institutions.filter { hospitalTypes.contains($0.type) && $0.level == "tertiary" }.map(\.id)
        var made = 0
        for (practitioner, organization) in doctors {
            var patients: [String] = []
            try await store.forEachMatch("Patient", [("general-practitioner", "Practitioner/\(practitioner)")]) { patients.append($0.id) }
            guard !patients.isEmpty else { continue }
            try await store.write { writer in
                for patient in patients {
                    let number = patient.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0x7FFF_FFFF }
                    let start = KeyGroup.shifted(day, years: -(number % 3)).daysBefore(number % 330 + 1)
                    var end = KeyGroup.shifted(start, years: 1).dayBefore
                    while end < day { end = KeyGroup.shifted(end, years: 1) }
                    let districtHospital = districtHospitals.isEmpty ? nil : districtHospitals[number % districtHospitals.count]
                    let choices = cityHospitals.filter { $0 != districtHospital }
                    let contract = Contract(
                        id: "demo-\(patient)", patient: patient, practitioner: practitioner, organization: organization, district: district,
                        subdistrict: nil, districtHospital: districtHospital, cityHospital: choices.isEmpty ? nil : choices[number % choices.count],
                        package: number % 4 == 0 ? "chronic" : (number % 7 == 0 ? "elderly" : "basic"), status: "active",
                        startDate: start, endDate: end, channel: number % 3 == 0 ? "online" : "desk", endedOn: nil, endReason: nil, previous: nil
                    )
                    try await writer.sql.raw("""
                        INSERT INTO contract_agreement (id, patient_id, practitioner_id, organization_id, district, subdistrict, district_hospital, city_hospital,
                            package, status, start_date, end_date, channel, signed_by, signed_at, previous_id)
                        SELECT \(bind: contract.id), \(bind: patient), \(bind: practitioner), \(bind: organization), \(bind: district), r.subdistrict,
                            \(bind: contract.districtHospital), \(bind: contract.cityHospital), \(bind: contract.package), 'active', \(bind: start), \(bind: end),
                            \(bind: contract.channel), 'demo', \(bind: start + "T09:00:00+08:00"), NULL
                        FROM registry_resident r WHERE r.patient_id = \(bind: patient)
                        """).run()
                    _ = try await writer.create(ContractResources.careTeam(contract, active: true), id: Contract.careTeamID(contract.id))
                    _ = try await writer.create(ContractResources.episode(contract), id: Contract.episodeID(contract.id))
                }
                try await writer.sql.raw("""
                    UPDATE contract_doctor SET active_count = (SELECT COUNT(*) FROM contract_agreement c WHERE c.practitioner_id = contract_doctor.practitioner_id AND c.status = 'active'),
                        capacity = CASE WHEN capacity < \(bind: patients.count + 20) THEN \(bind: patients.count + 20) ELSE capacity END
                    WHERE practitioner_id = \(bind: practitioner)
                    """).run()
            }
            made += patients.count
        }
        return made
    }
}

extension String {
    /// A YYYY-MM-DD day `count` days earlier.
    func daysBefore(_ count: Int) -> String { shiftedDays(-count) }
}
