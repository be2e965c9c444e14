import App
import FHIR
import Foundation
import Registry
import Testing
import WeijianTesting

func residentPatient(_ id: String, name: String, birth: String, phone: String? = nil) throws -> JSONValue {
    var patient: [String: JSONValue] = [
        "resourceType": .string("Patient"),
        "identifier": .array([.object(["system": .string(ResidentIDNumber.system), "value": .string(id)])]),
        "name": .array([.object(["text": .string(name)])]),
        "birthDate": .string(birth),
    ]
    if let phone { patient["telecom"] = .array([.object(["system": .string("phone"), "value": .string(phone)])]) }
    return .object(patient)
}

@Suite struct RegistryTests {
    @Test func catalogueHoldsTheSeedDistricts() throws {
        let changningCHCs = Catalog.institutions.filter { $0.district == "310105" && $0.type == "chc" }
        #expect(changningCHCs.count == 10)
        let changningStreets = Catalog.divisions.filter { $0.parent == "310105" }
        #expect(changningStreets.count == 10)
        for street in changningStreets {
            #expect(changningCHCs.contains { $0.catchment.contains(street.code) }, "\(street.name) has no CHC")
        }
        #expect(Catalog.institutions.contains { $0.name.contains("同仁医院") && ($0.roles ?? []).contains("regional-medical-centre") })
        #expect(Catalog.divisions.filter { $0.level == "district" && $0.parent == "310000" }.count == 16)
        for code in ["310112", "310118", "310116"] {
            #expect(Catalog.institutions.contains { $0.district == code && $0.type == "chc" })
        }
    }

    @Test func catalogueLoadsIntoTablesAndFHIR() async throws {
        try await TestDatabase.withPlatform { platform in
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            try await registry.loadCatalog()
            try await registry.loadCatalog() // idempotent
            let streets = try await registry.divisions(parent: "310105")
            #expect(streets.count == 10)
            let chcs = try await registry.institutions(district: "310105", type: "chc")
            #expect(chcs.count == 10 && chcs.allSatisfy { !$0.catchment.isEmpty })
            let tongren = try await platform.fhir.search(SearchRequest(type: "Organization", query: [("name", "上海市同仁医院")], definitions: .shared, strict: true))
            #expect(tongren.matches.count == 1)
            #expect(tongren.matches.first?.versionId == 1, "loading twice must not make new versions")
        }
    }

    @Test func indexRejectsBadCheckDigitsAndDuplicates() async throws {
        try await TestDatabase.withPlatform { platform in
            let good = ResidentIDNumber.make(addressCode: "310105", birthDate: "1975-04-03", sequence: 11, male: true)
            var bad = good
            bad.removeLast()
            bad += good.hasSuffix("1") ? "2" : "1"
            await #expect(throws: FHIRError.self) { _ = try await platform.fhir.create(try residentPatient(bad, name: "甲", birth: "1975-04-03")) }
            // The record must agree with the birth date the number carries.
            do {
                _ = try await platform.fhir.create(try residentPatient(good, name: "甲", birth: "1975-04-04"))
                Issue.record("birth date mismatch accepted")
            } catch let error as FHIRError {
                #expect(error.status == 422 && error.description.contains("出生日期与身份证号码不符"))
            }
            let first = try await platform.fhir.create(try residentPatient(good, name: "甲", birth: "1975-04-03"))
            do {
                _ = try await platform.fhir.create(try residentPatient(good, name: "甲", birth: "1975-04-03"))
                Issue.record("duplicate accepted")
            } catch let error as FHIRError {
                #expect(error.status == 409)
                #expect(error.description.contains("Patient/\(first.id)"))
                #expect(!error.description.contains(good), "the full ID number must not be echoed")
            }
        }
    }

    @Test func matchesByNumberThenDemographics() async throws {
        try await TestDatabase.withPlatform { platform in
            let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "1960-02-02", sequence: 5, male: false)
            let stored = try await platform.fhir.create(try residentPatient(number, name: "李秀英", birth: "1960-02-02", phone: "139-0000-1111"))
            let byNumber = try await MasterPatientIndex.match(idNumber: number, name: nil, birthDate: nil, phone: nil, database: platform.database, protection: platform.fhir.protection)
            #expect(byNumber == [MatchCandidate(patient: "Patient/\(stored.id)", score: 1.0, matchedOn: ["idNumber"])])
            let byName = try await MasterPatientIndex.match(idNumber: nil, name: "李秀英", birthDate: "1960-02-02", phone: "13900001111", database: platform.database, protection: platform.fhir.protection)
            #expect(byName.first?.score == 0.95)
            let byPhone = try await MasterPatientIndex.match(idNumber: nil, name: "别名", birthDate: "1960-02-02", phone: "13900001111", database: platform.database, protection: platform.fhir.protection)
            #expect(byPhone.first?.score == 0.6)
            let none = try await MasterPatientIndex.match(idNumber: nil, name: "李秀英", birthDate: "1961-02-02", phone: nil, database: platform.database, protection: platform.fhir.protection)
            #expect(none.isEmpty)
        }
    }

    @Test func mergeAndUndoKeepATrail() async throws {
        try await TestDatabase.withPlatform { platform in
            let registry = RegistryService(database: platform.database, fhir: platform.fhir)
            let a = try await platform.fhir.create(try residentPatient(ResidentIDNumber.make(addressCode: "310105", birthDate: "1950-01-01", sequence: 1, male: true), name: "王强", birth: "1950-01-01"))
            let b = try await platform.fhir.create(try json(#"{"resourceType":"Patient","name":[{"text":"王强"}],"birthDate":"1950-01-01"}"#))
            let event = try await registry.merge(source: b.id, target: a.id, reason: "同一人两份档案")
            let merged = try JSONValue.parse(Data(try #require(try await platform.fhir.read(type: "Patient", id: b.id)).content.utf8))
            #expect(merged["active"] == .bool(false))
            #expect(merged["link"]?.arrayValue?.first?["type"] == .string("replaced-by"))
            await #expect(throws: FHIRError.self) { _ = try await registry.merge(source: b.id, target: a.id, reason: nil) }
            let undone = try await registry.unmerge(eventID: event.id)
            #expect(undone.undoneAt != nil)
            let restored = try JSONValue.parse(Data(try #require(try await platform.fhir.read(type: "Patient", id: b.id)).content.utf8))
            #expect(restored["active"] == nil && restored["link"] == nil)
            let trail = try await registry.merges(of: b.id)
            #expect(trail.count == 1 && trail.first?.undoneAt != nil)
            #expect(try await platform.fhir.read(type: "Patient", id: b.id)?.versionId == 3)
        }
    }

    @Test func demoDistrictIsDeterministicAndRealistic() async throws {
        let counts = try await TestDatabase.withPlatform { platform in
            let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
            let report = try await seeder.seed(district: "310105", residents: 600, randomSeed: 99)
            #expect(report.residents == 600)
            let adults = try await platform.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM mpi_person WHERE birth_date <= '2007-01-01'").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            let hypertensive = try await platform.fhir.search(SearchRequest(type: "Condition", query: [("code", "http://hl7.org/fhir/sid/icd-10|I10"), ("_summary", "count")], definitions: .shared, strict: true)).total ?? 0
            let rate = Double(hypertensive) / Double(adults)
            #expect(rate > 0.2 && rate < 0.4, "hypertension among adults: \(rate)")
            let first = try await platform.fhir.read(type: "Patient", id: "p310105-0")
            return (report.resources, first?.content.replacingOccurrences(of: #""lastUpdated":"[^"]*""#, with: "", options: .regularExpression))
        }
        let again = try await TestDatabase.withPlatform { platform in
            let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
            let report = try await seeder.seed(district: "310105", residents: 600, randomSeed: 99)
            let first = try await platform.fhir.read(type: "Patient", id: "p310105-0")
            return (report.resources, first?.content.replacingOccurrences(of: #""lastUpdated":"[^"]*""#, with: "", options: .regularExpression))
        }
        #expect(counts.0 == again.0 && counts.1 == again.1)
    }
}

func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }
