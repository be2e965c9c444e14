import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Registry
import Storage
import Surveillance
import Testing
import WeijianTesting

/// Immunizations from the record: coverage by birth cohort and 街道, overdue doses, lot traceability.
@Suite struct VaccinationTests {
    static func immunization(_ id: String, _ patient: String, _ vaccine: String, dose: Int, on day: String, lot: String, status: String = "completed") -> String {
        #"{"resourceType":"Immunization","id":"\#(id)","status":"\#(status)","vaccineCode":{"coding":[{"system":"\#(Vaccination.system)","code":"\#(vaccine)"}]},"patient":{"reference":"Patient/\#(patient)"},"occurrenceDateTime":"\#(day)","lotNumber":"\#(lot)","protocolApplied":[{"doseNumberPositiveInt":\#(dose)}]}"#
    }

    @Test func coverageOverdueDosesAndLotsFollowTheRecord() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let chcs = Catalog.institutions.filter { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty }
            let chc = try #require(chcs.first)
            let places = [chc.catchment[0], try #require(chcs.dropFirst().first?.catchment.first)]
            let today = CalendarDay.today()
            let year = Int(today.prefix(4)) ?? 2026
            // Three children born in January two years ago (past every infant dose's overdue age), two 街道.
            let birth = "\(year - 2)-01-15"
            try await platform.fhir.write { writer in
                for (index, place) in [places[0], places[0], places[1]].enumerated() {
                    let number = ResidentIDNumber.make(addressCode: "310105", birthDate: birth, sequence: 60 + index, male: index != 1)
                    _ = try await writer.update(try JSONValue.parse(Data("""
                        {"resourceType":"Patient","id":"v\(index)","gender":"\(index != 1 ? "male" : "female")","birthDate":"\(birth)","managingOrganization":{"reference":"Organization/\(chc.id)"},
                         "identifier":[{"system":"\(ResidentIDNumber.system)","value":"\(number)"}],"address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(place)"}]}]}
                        """.utf8)), type: "Patient", id: "v\(index)", ifMatch: nil)
                }
                // v0: HepB 1–3 and BCG; v1: HepB 1 only; v2: HepB 1 and 2, the second entered in error below.
                for (id, patient, vaccine, dose, day, lot) in [("i1", "v0", "HepB", 1, birth, "L-HB-01"), ("i2", "v0", "HepB", 2, "\(year - 2)-02-15", "L-HB-02"),
                                                               ("i3", "v0", "HepB", 3, "\(year - 2)-07-15", "L-HB-03"), ("i4", "v0", "BCG", 1, birth, "L-BCG-01"),
                                                               ("i5", "v1", "HepB", 1, birth, "L-HB-01"), ("i6", "v2", "HepB", 1, birth, "L-HB-01"),
                                                               ("i7", "v2", "HepB", 2, "\(year - 2)-02-16", "L-HB-02")] {
                    _ = try await writer.update(try JSONValue.parse(Data(Self.immunization(id, patient, vaccine, dose: dose, on: day, lot: lot).utf8)), type: "Immunization", id: id, ifMatch: nil)
                }
            }
            _ = try await platform.fhir.update(try JSONValue.parse(Data(Self.immunization("i7", "v2", "HepB", dose: 2, on: "\(year - 2)-02-16", lot: "L-HB-02", status: "entered-in-error").utf8)), type: "Immunization", id: "i7")
            let service = SurveillanceService(store: platform.fhir)
            let district = try await service.vaccinationCoverage(district: "310105", cohort: year - 2, by: "district")
            func coverage(_ vaccine: String, _ dose: Int) -> VaccinationCoverage? { district.first { $0.vaccine == vaccine && $0.dose == dose } }
            #expect(coverage("HepB", 1)?.eligible == 3 && coverage("HepB", 1)?.vaccinated == 3 && coverage("HepB", 1)?.percent == 100)
            #expect(coverage("HepB", 2)?.vaccinated == 1 && coverage("HepB", 2)?.percent == 33.3, "the dose entered in error does not count")
            #expect(coverage("BCG", 1)?.vaccinated == 1)
            // Not yet overdue for a child of this cohort (white-diphtheria at 6 years): no one eligible yet.
            #expect(coverage("DT", 1) == nil)
            let bySubdistrict = try await service.vaccinationCoverage(district: "310105", cohort: year - 2, by: "subdistrict").filter { $0.vaccine == "HepB" && $0.dose == 1 }
            #expect(bySubdistrict.map(\.eligible).sorted() == [1, 2])

            // The CHC's overdue list: v1 lacks HepB 2 and 3, v2 lacks HepB 2 (in error) and 3, everyone lacks MMR 1.
            let staff = try await server.client(as: Principal(subject: "chc-v", role: .chcStaff, displayName: "接种门诊", institution: chc.id))
            let overdue = try await staff.execute(uri: "/api/v1/surveillance/vaccination/overdue", method: .get) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode([OverdueDose].self, from: Data(buffer: response.body))
            }
            let missing = Set(overdue.filter { $0.vaccine == "HepB" }.map { "\($0.patient)/\($0.dose)" })
            #expect(missing == ["v1/2", "v1/3", "v2/2", "v2/3"])
            #expect(overdue.filter { $0.vaccine == "MMR" && $0.dose == 1 }.count == 3)
            #expect(overdue.first { $0.patient == "v1" && $0.vaccine == "HepB" && $0.dose == 3 }?.dueOn == "\(year - 2)-07-15")

            // The lot L-HB-01 went to all three children.
            let cdc = try await server.client(as: Principal(subject: "cdc-v", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            try await cdc.execute(uri: "/api/v1/surveillance/vaccination/lots/L-HB-01", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).components(separatedBy: "\"patient\"").count == 4)
            }
            try await cdc.execute(uri: "/api/v1/surveillance/vaccination/coverage?cohort=abc", method: .get) { #expect($0.status == .badRequest) }
        }
    }
}
