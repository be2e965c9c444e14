import Access
import App
import Contracting
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Registry
import SQLKit
import Storage
import Testing
import WeijianTesting

/// A small CHC world: the catalogue, family doctors with a family-doctor role at a Changning CHC, and residents of its 街道.
struct World {
    static let chc = Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty }
    static var chcID: String { chc?.id ?? "" }
    static var subdistrict: String { chc?.catchment.first ?? "" }
    static let otherCHC = Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && $0.id != chcID }

    static func setUp(_ platform: Platform, doctors: [String], residents: Int, birthYear: Int = 1980) async throws -> [String] {
        try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
        try await platform.fhir.write { writer in
            for (index, doctor) in doctors.enumerated() {
                let organization = index == 0 || otherCHC == nil ? chcID : (index % 2 == 0 ? chcID : otherCHC?.id ?? chcID)
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"\#(doctor)","name":[{"text":"医生\#(index)"}]}"#.utf8)),
                                            type: "Practitioner", id: doctor, ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"PractitionerRole","id":"\(doctor)-role","active":true,"practitioner":{"reference":"Practitioner/\(doctor)"},
                     "organization":{"reference":"Organization/\(organization)"},"code":[{"coding":[{"code":"family-doctor"}]}]}
                    """.utf8)), type: "PractitionerRole", id: "\(doctor)-role", ifMatch: nil)
            }
            for index in 0..<residents {
                let number = ResidentIDNumber.make(addressCode: "310105", birthDate: "\(birthYear)-03-0\(index % 9 + 1)", sequence: index % 900 + 10, male: index % 2 == 0)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Patient","id":"r\(index)","active":true,"name":[{"text":"居民\(index)"}],"gender":"\(index % 2 == 0 ? "male" : "female")",
                     "birthDate":"\(birthYear)-03-0\(index % 9 + 1)","identifier":[{"system":"\(ResidentIDNumber.system)","value":"\(number)"}],
                     "managingOrganization":{"reference":"Organization/\(chcID)"},
                     "address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(subdistrict)"}]}]}
                    """.utf8)), type: "Patient", id: "r\(index)", ifMatch: nil)
            }
        }
        return (0..<residents).map { "r\($0)" }
    }

    static func resident(_ patient: String) -> Principal {
        Principal(subject: "u-\(patient)", role: .resident, displayName: "居民", patient: patient)
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]
}

@Suite struct ContractingTests {
    /// 100 residents sign at once with a doctor who has one place left: exactly one is signed, the others are
    /// offered the waiting list; a freed place goes to the first on the list; the doctor sees them on the panel.
    @Test func lastPlaceGoesToExactlyOneAndTheWaitingListFillsAFreedPlace() async throws {
        try await TestServer.run { server in
            let patients = try await World.setUp(server.platform, doctors: ["dr-last"], residents: 101)
            let service = ContractingService(store: server.platform.fhir)
            _ = try await service.setCapacity(practitioner: "dr-last", capacity: 1)
            let clients = try await withThrowingTaskGroup(of: (String, AuthorizedClient).self) { group in
                for patient in patients.prefix(100) { group.addTask { (patient, try await server.client(as: World.resident(patient))) } }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            let outcomes = try await withThrowingTaskGroup(of: (String, HTTPResponse.Status, String).self) { group in
                for patient in patients.prefix(100) {
                    guard let client = clients[patient] else { continue }
                    group.addTask {
                        try await client.execute(uri: "/api/v1/contracting/contracts", method: .post, headers: World.jsonHeaders,
                                                 body: World.body(#"{"patient":"\#(patient)","practitioner":"dr-last"}"#)) { response in
                            (patient, response.status, String(buffer: response.body))
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let signed = outcomes.filter { $0.1 == .created }
            let refused = outcomes.filter { $0.1 == .conflict }
            #expect(signed.count == 1, "\(outcomes.map(\.1.code))")
            #expect(refused.count == 99)
            #expect(refused.allSatisfy { $0.2.contains("waitlist") && $0.2.contains("候补") })
            let places = try await service.places(practitioner: "dr-last")
            #expect(places.signed == 1 && places.free == 0)
            let count = try await server.platform.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM contract_agreement WHERE practitioner_id = 'dr-last' AND status = 'active'").first()?.decode(column: "n", as: Int.self)
            }
            #expect(count == 1)

            // The winner's record names the doctor, and the contract is an EpisodeOfCare with its CareTeam.
            let winner = try #require(signed.first?.0)
            let contract = try #require(try await service.contracts(patient: winner).first)
            let patient = try #require(try await server.platform.fhir.read(type: "Patient", id: winner))
            #expect(patient.content.contains("Practitioner/dr-last"))
            let episode = try #require(try await server.platform.fhir.read(type: "EpisodeOfCare", id: "contract-\(contract.id)"))
            #expect(episode.content.contains(#""status":"active""#) && episode.content.contains("CareTeam/contract-\(contract.id)-team"))

            // A resident who was refused joins the waiting list; when the winner ends the contract, they are signed.
            let waiting = try #require(refused.first?.0)
            let joined = try #require(clients[waiting])
            try await joined.execute(uri: "/api/v1/contracting/contracts", method: .post, headers: World.jsonHeaders,
                                     body: World.body(#"{"patient":"\#(waiting)","practitioner":"dr-last","waitlist":true}"#)) { response in
                #expect(response.status == .accepted)
                #expect(String(buffer: response.body).contains(#""\#(waiting)":1"#))
            }
            let winnerClient = try #require(clients[winner])
            try await winnerClient.execute(uri: "/api/v1/contracting/contracts/\(contract.id)/terminate", method: .post, headers: World.jsonHeaders,
                                           body: World.body(#"{"reason":"搬家"}"#)) { response in
                #expect(response.status == .ok)
            }
            let moved = try await service.contracts(patient: waiting)
            #expect(moved.first?.status == "active" && moved.first?.channel == "waitlist")
            let ended = try await service.contract(contract.id)
            #expect(ended.status == "terminated" && ended.endReason == "搬家")
            #expect(try #require(try await server.platform.fhir.read(type: "Patient", id: winner)).content.contains("dr-last") == false)

            // The doctor sees the new resident on the panel; another doctor does not.
            let doctor = try await server.client(as: Principal(subject: "doc", role: .familyDoctor, displayName: "医生", institution: World.chcID, practitioner: "dr-last"))
            try await doctor.execute(uri: "/api/v1/contracting/panel", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains(#""patient":"\#(waiting)""#) && !text.contains(#""patient":"\#(winner)""#))
            }
        }
    }

    @Test func badRequestsGetClearErrors() async throws {
        try await TestServer.run { server in
            let patients = try await World.setUp(server.platform, doctors: ["dr-a", "dr-b"], residents: 4)
            let service = ContractingService(store: server.platform.fhir)
            let me = try await server.client(as: World.resident(patients[0]))
            func post(_ client: AuthorizedClient, _ uri: String, _ body: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: uri, method: .post, headers: World.jsonHeaders, body: World.body(body)) { ($0.status, String(buffer: $0.body)) }
            }
            // Unknown doctor.
            var (status, text) = try await post(me, "/api/v1/contracting/contracts", #"{"patient":"r0","practitioner":"dr-nobody"}"#)
            #expect(status == .notFound && text.contains("未知的家庭医生"))
            // Malformed JSON and a missing field.
            (status, _) = try await post(me, "/api/v1/contracting/contracts", #"{"patient":"r0","practitioner":"#)
            #expect(status == .badRequest)
            (status, _) = try await post(me, "/api/v1/contracting/contracts", #"{"patient":"r0"}"#)
            #expect(status == .badRequest)
            // Unknown package; a district hospital of another district; the same hospital twice.
            (status, text) = try await post(me, "/api/v1/contracting/contracts", #"{"patient":"r0","practitioner":"dr-a","package":"gold"}"#)
            #expect(status == .unprocessableContent && text.contains("服务包"))
            (status, text) = try await post(me, "/api/v1/contracting/contracts", #"{"patient":"r0","practitioner":"dr-a","districtHospital":"mh-central"}"#)
            #expect(status == .unprocessableContent && text.contains("区级医院"))
            (status, _) = try await post(me, "/api/v1/contracting/contracts", #"{"patient":"r0","practitioner":"dr-a","districtHospital":"cn-tongren","cityHospital":"cn-tongren"}"#)
            #expect(status == .unprocessableContent)
            // Signed ("1+1+1"), then signing again elsewhere is refused.
            (status, text) = try await post(me, "/api/v1/contracting/contracts", #"{"patient":"r0","practitioner":"dr-a","districtHospital":"cn-tongren","cityHospital":"mh-renji-south"}"#)
            #expect(status == .created, "\(text)")
            (status, text) = try await post(me, "/api/v1/contracting/contracts", #"{"patient":"r0","practitioner":"dr-b"}"#)
            #expect(status == .conflict && text.contains("已与家庭医生"))
            let contract = try #require(try await service.contracts(patient: "r0").first)
            #expect(contract.districtHospital == "cn-tongren" && contract.cityHospital == "mh-renji-south")
            let team = try #require(try await server.platform.fhir.read(type: "CareTeam", id: "contract-\(contract.id)-team"))
            #expect(team.content.contains("Organization/mh-renji-south"))
            // A household member without consent: refused, and nothing is signed for either.
            (status, text) = try await post(me, "/api/v1/contracting/contracts", #"{"patients":["r1","r2"],"practitioner":"dr-a"}"#)
            #expect(status == .forbidden && text.contains("授权"))
            #expect(try await service.contracts(patient: "r1").isEmpty)
            // With r1's consent, r0 signs r1 (a household, together).
            _ = try await server.platform.database.write { sql in
                try await sql.raw("INSERT INTO access_consent (grantor_patient, grantee_patient, scope, recorded_at) VALUES ('r1', 'r0', 'household', '2026-01-01')").run()
            }
            (status, text) = try await post(me, "/api/v1/contracting/contracts", #"{"patients":["r1"],"practitioner":"dr-a"}"#)
            #expect(status == .created, "\(text)")
            // Terminating needs a reason; an ended contract is not renewed.
            (status, _) = try await post(me, "/api/v1/contracting/contracts/\(contract.id)/terminate", #"{"reason":"  "}"#)
            #expect(status == .badRequest)
            (status, _) = try await post(me, "/api/v1/contracting/contracts/\(contract.id)/terminate", #"{"reason":"不再需要"}"#)
            #expect(status == .ok)
            (status, text) = try await post(me, "/api/v1/contracting/contracts/\(contract.id)/renew", "{}")
            #expect(status == .conflict && text.contains("不能续约"))
            // Someone else's contract; another CHC's staff at the desk; a manager who may not sign.
            let neighbour = try await server.client(as: World.resident("r3"))
            (status, _) = try await post(neighbour, "/api/v1/contracting/contracts/\(contract.id)/renew", "{}")
            #expect(status == .forbidden)
            let otherDesk = try await server.client(as: Principal(subject: "desk", role: .chcStaff, displayName: "前台", institution: "cn-somewhere-else"))
            (status, _) = try await post(otherDesk, "/api/v1/contracting/contracts", #"{"patient":"r3","practitioner":"dr-a"}"#)
            #expect(status == .forbidden)
            let desk = try await server.client(as: Principal(subject: "desk2", role: .chcStaff, displayName: "前台", institution: World.chcID))
            (status, text) = try await post(desk, "/api/v1/contracting/contracts", #"{"patient":"r3","practitioner":"dr-a"}"#)
            #expect(status == .created, "\(text)")
            #expect(try await service.contracts(patient: "r3").first?.channel == "desk")
            let manager = try await server.client(as: Principal(subject: "m", role: .commissionManager, displayName: "管理", district: "310105"))
            (status, _) = try await post(manager, "/api/v1/contracting/contracts", #"{"patient":"r2","practitioner":"dr-a"}"#)
            #expect(status == .forbidden)
            // A renewal of an active contract moves its end by a year.
            let active = try #require(try await service.contracts(patient: "r3").first)
            let renewed = try await service.renew(active.id, actor: "t")
            #expect(renewed.endDate > active.endDate && renewed.endDate.hasPrefix(String(Int(active.endDate.prefix(4)).map { $0 + 1 } ?? 0)))
        }
    }

    /// On the demo district, the rates shown equal counts made independently: contracts counted directly in SQL,
    /// residents and key groups counted from the FHIR record itself.
    @Test func demoRatesEqualIndependentCounts() async throws {
        try await TestDatabase.withPlatform { platform in
            let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
            _ = try await seeder.seed(district: "310105", residents: 800, randomSeed: 7)
            let service = ContractingService(store: platform.fhir)
            let made = try await service.seedDemo(district: "310105")
            #expect(made > 250 && made < 480, "about 45% of 800: \(made)")
            #expect(try await service.seedDemo(district: "310105") == 0, "seeding twice adds nothing")
            let day = ContractingService.today()

            // Independent: the record's Patients (街道, birth date), active EpisodeOfCare per patient, hypertension Conditions.
            var residentsBySubdistrict: [String: Int] = [:]
            var subdistrictOf: [String: String] = [:]
            var birthOf: [String: String] = [:]
            try await platform.fhir.forEachMatch("Patient", []) { match in
                let patient = try JSONValue.parse(Data(match.content.utf8))
                guard let subdistrict = PatientExtensions.subdistricts(of: patient).first, let birth = patient["birthDate"]?.stringValue else { return }
                residentsBySubdistrict[subdistrict, default: 0] += 1
                subdistrictOf[match.id] = subdistrict
                birthOf[match.id] = birth
            }
            let contractedBySubdistrict = try await platform.database.read { sql in
                try await sql.raw("""
                    SELECT subdistrict, COUNT(*) AS n FROM contract_agreement
                    WHERE district = '310105' AND status = 'active' AND start_date <= \(bind: day) AND end_date >= \(bind: day) GROUP BY subdistrict
                    """).all().reduce(into: [String: Int]()) { $0[try $1.decode(column: "subdistrict", as: String.self)] = try $1.decode(column: "n", as: Int.self) }
            }
            let report = try await service.coverage(district: "310105", by: "subdistrict", on: day)
            #expect(report.all.residents == subdistrictOf.count)
            #expect(report.all.contracted == made)
            #expect(report.all.target == 48 && report.keyPopulation.target == 80)
            for row in report.rows {
                #expect(row.residents == residentsBySubdistrict[row.key], "\(row.key) residents")
                #expect(row.contracted == (contractedBySubdistrict[row.key] ?? 0), "\(row.key) contracted")
                #expect(row.percent == (row.residents == 0 ? 0 : Double(row.contracted * 1000 / row.residents) / 10))
            }
            #expect(report.rows.map(\.residents).reduce(0, +) == subdistrictOf.count)
            #expect(report.rows.allSatisfy { row in Catalog.divisions.contains { $0.code == row.key } && !row.label.isEmpty })

            // Contracts in force per patient, from the FHIR EpisodeOfCare resources.
            var episodes = Set<String>()
            try await platform.fhir.forEachMatch("EpisodeOfCare", [("status", "active")]) { match in
                if let patient = try JSONValue.parse(Data(match.content.utf8))["patient"]?["reference"]?.stringValue { episodes.insert(String(patient.dropFirst(8))) }
            }
            #expect(episodes.count == made)

            // Key groups: aged 65+ from birth dates, hypertension from Conditions.
            let byGroup = try await service.coverage(district: "310105", by: "group", on: day)
            let cutoff65 = String(Int(day.prefix(4)).map { $0 - 65 } ?? 0) + day.dropFirst(4)
            let elderly = birthOf.filter { $0.value <= cutoff65 }
            let elderlyRow = try #require(byGroup.rows.first { $0.key == "elderly-65" })
            #expect(elderlyRow.residents == elderly.count)
            #expect(elderlyRow.contracted == elderly.keys.filter(episodes.contains).count)
            var hypertensive = Set<String>()
            try await platform.fhir.forEachMatch("Condition", [("code", "http://hl7.org/fhir/sid/icd-10|I10"), ("clinical-status", "active")]) { match in
                if let subject = try JSONValue.parse(Data(match.content.utf8))["subject"]?["reference"]?.stringValue { hypertensive.insert(String(subject.dropFirst(8))) }
            }
            hypertensive.formIntersection(Set(subdistrictOf.keys))
            let hypertensionRow = try #require(byGroup.rows.first { $0.key == "hypertension" })
            #expect(hypertensionRow.residents == hypertensive.count && hypertensive.count > 50)
            #expect(hypertensionRow.contracted == hypertensive.filter(episodes.contains).count)
            #expect(hypertensionRow.target == 80)
            #expect(byGroup.rows.first { $0.key == "disability" }?.target == 100)
            #expect(byGroup.rows.first { $0.key == "four-medical-linkage" }?.label == "“四医联动”对象")

            // By CHC and doctor, the contracted numbers add up to the district's.
            let byCHC = try await service.coverage(district: "310105", by: "organization", on: day)
            #expect(byCHC.rows.map(\.contracted).reduce(0, +) == made)
            let byDoctor = try await service.coverage(district: "310105", by: "doctor", on: day)
            #expect(byDoctor.rows.map(\.contracted).reduce(0, +) == made && byDoctor.rows.count == 60)
            // Over time: contracts signed over three years, so coverage a year ago was lower than today.
            let series = try await service.coverageSeries(district: "310105", months: 13, until: day)
            #expect(series.count == 13 && series.last?.all.contracted == made)
            #expect((series.first?.all.contracted ?? 0) < made)
        }
    }

    @Test func keyGroupsFollowTheRecord() async throws {
        #expect(KeyGroup.byAge(birthDate: "1960-11-23", on: "2025-11-23").contains(.elderly65))
        #expect(!KeyGroup.byAge(birthDate: "1960-11-24", on: "2025-11-23").contains(.elderly65))
        #expect(KeyGroup.byAge(birthDate: "2018-11-24", on: "2025-11-23").contains(.child0to6))
        #expect(!KeyGroup.byAge(birthDate: "2018-11-23", on: "2025-11-23").contains(.child0to6))
        let condition = try JSONValue.parse(Data(#"{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"E11.9"}]},"subject":{"reference":"Patient/x"}}"#.utf8))
        #expect(KeyGroup.diagnosed(by: condition) == [.diabetes])
        var resolved = condition
        resolved["clinicalStatus"] = try JSONValue.parse(Data(#"{"coding":[{"code":"resolved"}]}"#.utf8))
        #expect(KeyGroup.diagnosed(by: resolved).isEmpty)
        try await TestDatabase.withPlatform { platform in
            _ = try await World.setUp(platform, doctors: ["dr-k"], residents: 1, birthYear: 1950)
            let service = ContractingService(store: platform.fhir)
            #expect(try await service.keyGroups(patient: "r0", on: "2026-06-01") == [.elderly65])
            let created = try await platform.fhir.create(try JSONValue.parse(Data(#"{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10"}]},"subject":{"reference":"Patient/r0"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}"#.utf8)))
            var patient = try JSONValue.parse(Data(try #require(try await platform.fhir.read(type: "Patient", id: "r0")).content.utf8))
            patient["extension"] = try JSONValue.parse(Data(#"[{"url":"https://weijian.health/StructureDefinition/population-group","valueCode":"low-income"}]"#.utf8))
            patient["meta"] = nil
            _ = try await platform.fhir.update(patient, type: "Patient", id: "r0")
            #expect(try await service.keyGroups(patient: "r0", on: "2026-06-01") == [.elderly65, .hypertension, .lowIncome])
            // The diagnosis resolved: the group follows.
            var condition = try JSONValue.parse(Data(created.content.utf8))
            condition["clinicalStatus"] = try JSONValue.parse(Data(#"{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"resolved"}]}"#.utf8))
            condition["meta"] = nil
            _ = try await platform.fhir.update(condition, type: "Condition", id: created.id)
            #expect(try await service.keyGroups(patient: "r0", on: "2026-06-01") == [.elderly65, .lowIncome])
        }
    }
}

@Suite struct ContractQualityTests {
    /// Quality measured from the record and the fee it earns, worked out by hand for four residents.
    @Test func qualityAndSettlementFollowTheRecordAndTheRule() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            let patients = try await World.setUp(platform, doctors: ["dr-q"], residents: 4)
            let service = ContractingService(store: platform.fhir)
            _ = try await service.sign(patients.map { SignRequest(patient: $0, practitioner: "dr-q") }, channel: "desk", actor: "test")
            let today = ContractingService.today()
            func at(_ days: Int) -> String { ContractingService.shift(today, days: -days) + "T10:00:00+08:00" }
            func condition(_ patient: String, _ code: String) -> String {
                #"{"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"\#(code)"}]},"subject":{"reference":"Patient/\#(patient)"}}"#
            }
            func visit(_ patient: String, _ organization: String, _ days: Int) -> String {
                #"{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/\#(patient)"},"serviceProvider":{"reference":"Organization/\#(organization)"},"period":{"start":"\#(at(days))","end":"\#(at(days))"}}"#
            }
            func pressure(_ patient: String, _ systolic: Int, _ diastolic: Int, _ days: Int) -> String {
                #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/\#(patient)"},"effectiveDateTime":"\#(at(days))","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":\#(systolic),"unit":"mmHg"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":\#(diastolic),"unit":"mmHg"}}]}"#
            }
            func glucose(_ patient: String, _ value: Double, _ days: Int) -> String {
                #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1558-6"}]},"subject":{"reference":"Patient/\#(patient)"},"effectiveDateTime":"\#(at(days))","valueQuantity":{"value":\#(value),"unit":"mmol/L"}}"#
            }
            let chc = World.chcID
            // r0 hypertension, seen at the CHC 30 days ago, 130/85 (controlled); r1 diabetes, seen at a hospital 200 days
            // ago, glucose 7.5 (not); r2 both, seen at a hospital 10 days ago and the CHC 100 days ago, 150/95 and 6.0
            // (not: the pressure); an older controlled reading does not count over a newer one; r3 nothing chronic, no visits.
            let resources = [
                condition("r0", "I10"), condition("r1", "E11.9"), condition("r2", "I10"), condition("r2", "E11.9"),
                visit("r0", chc, 30), visit("r1", "cn-tongren", 200), visit("r2", "cn-tongren", 10), visit("r2", chc, 100), visit("r0", chc, 400),
                pressure("r0", 130, 85, 30), glucose("r1", 7.5, 200), pressure("r2", 120, 70, 300), pressure("r2", 150, 95, 10), glucose("r2", 6.0, 10),
            ]
            for text in resources { _ = try await platform.fhir.create(try JSONValue.parse(Data(text.utf8))) }
            let contracts = try await service.contracts(patient: "r0") + service.contracts(patient: "r1")
            // Ratings over HTTP: 5 and 4 stars; a resident cannot rate someone else's contract; 6 stars is refused.
            let r0 = try await server.client(as: World.resident("r0"))
            for (contract, stars) in [(contracts[0].id, 5), (contracts[1].id, 4)] {
                let client = stars == 5 ? r0 : try await server.client(as: World.resident("r1"))
                try await client.execute(uri: "/api/v1/contracting/contracts/\(contract)/ratings", method: .post, headers: World.jsonHeaders,
                                         body: World.body(#"{"stars":\#(stars),"comment":"服务好"}"#)) { #expect($0.status == .created) }
            }
            try await r0.execute(uri: "/api/v1/contracting/contracts/\(contracts[1].id)/ratings", method: .post, headers: World.jsonHeaders,
                                 body: World.body(#"{"stars":1}"#)) { #expect($0.status == .forbidden) }
            try await r0.execute(uri: "/api/v1/contracting/contracts/\(contracts[0].id)/ratings", method: .post, headers: World.jsonHeaders,
                                 body: World.body(#"{"stars":6}"#)) { #expect($0.status == .badRequest) }

            let report = try await service.quality(district: "310105", on: today)
            let doctor = try #require(report.doctors.first { $0.practitioner == "dr-q" })
            #expect(doctor.contracted == 4 && doctor.chronicPatients == 3)
            #expect(doctor.followedUp == 2 && doctor.followUpPercent == 66)
            #expect(doctor.controlled == 1 && doctor.controlPercent == 33)
            #expect(doctor.visits == 4 && doctor.visitsAtOwnCHC == 2 && doctor.ownCHCPercent == 50)
            #expect(doctor.ratings == 2 && doctor.averageStarsX100 == 450 && doctor.ratingPercent == 90)
            // (66×30 + 33×30 + 50×20 + 90×20) / 100 = 57; 4 × 120.00 元 × (60% + 40% × 57%) = 397.44 元.
            #expect(doctor.score == 57)
            #expect(doctor.feeFen == 39_744)
            #expect(report.rule.feeFen == 12_000 && report.rule.fixedPercent == 60)
            let chcLine = try #require(report.organizations.first { $0.organization == chc })
            #expect(chcLine.feeFen == 39_744 && chcLine.score == 57)

            // Over HTTP: the commission manager sees the district; a resident may not.
            let manager = try await server.client(as: Principal(subject: "m", role: .commissionManager, displayName: "管理", district: "310105"))
            try await manager.execute(uri: "/api/v1/contracting/quality", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""feeFen":39744"#))
            }
            try await manager.execute(uri: "/api/v1/contracting/quality?date=2026-13-45", method: .get) { #expect($0.status == .badRequest) }
            try await r0.execute(uri: "/api/v1/contracting/quality", method: .get) { #expect($0.status == .forbidden) }
        }
    }
}

@Suite struct PanelTransferTests {
    @Test func aLeavingDoctorsPanelMovesWholeOrNotAtAll() async throws {
        try await TestDatabase.withPlatform { platform in
            let patients = try await World.setUp(platform, doctors: ["dr-leaving", "dr-small", "dr-taking"], residents: 3)
            let service = ContractingService(store: platform.fhir)
            _ = try await service.sign(patients.map { SignRequest(patient: $0, practitioner: "dr-leaving") }, channel: "desk", actor: "t")
            _ = try await service.setCapacity(practitioner: "dr-small", capacity: 2)
            // Too few places: nothing moves.
            await #expect(throws: FHIRError.self) { _ = try await service.transferPanel(from: "dr-leaving", to: "dr-small", reason: "调离", actor: "t") }
            #expect(try await service.places(practitioner: "dr-leaving").signed == 3)
            #expect(try await service.places(practitioner: "dr-small").signed == 0)
            let moved = try await service.transferPanel(from: "dr-leaving", to: "dr-taking", reason: "调离", actor: "t")
            #expect(moved.count == 3 && moved.allSatisfy { $0.practitioner == "dr-taking" && $0.channel == "transfer" && $0.previous != nil })
            #expect(try await service.places(practitioner: "dr-leaving").signed == 0)
            #expect(try await service.places(practitioner: "dr-taking").signed == 3)
            let record = try #require(try await platform.fhir.read(type: "Patient", id: "r0"))
            #expect(record.content.contains("Practitioner/dr-taking") && !record.content.contains("Practitioner/dr-leaving"))
            #expect(try await service.contracts(patient: "r0").map(\.status) == ["active", "transferred"])
        }
    }
}

@Suite struct ContractExpiryTests {
    @Test func aContractNotRenewedEndsAfterItsLastDay() async throws {
        try await TestDatabase.withPlatform { platform in
            _ = try await World.setUp(platform, doctors: ["dr-e"], residents: 3)
            let service = ContractingService(store: platform.fhir)
            let old = try await service.sign([SignRequest(patient: "r0", practitioner: "dr-e"), SignRequest(patient: "r1", practitioner: "dr-e")],
                                             channel: "desk", actor: "t", on: "2024-01-10")
            #expect(old.first?.endDate == "2025-01-09")
            // Signing again after the last day ends the old contract first.
            let again = try await service.sign([SignRequest(patient: "r0", practitioner: "dr-e")], channel: "online", actor: "t", on: "2025-02-01")
            #expect(again.count == 1)
            #expect(try await service.contract(old[0].id).status == "expired")
            #expect(try await service.contract(old[0].id).endedOn == "2025-01-10")
            // The sweep ends the rest; an expired contract is not renewed.
            #expect(try await service.expireDue(on: "2025-02-01") == 1)
            #expect(try await service.contract(old[1].id).status == "expired")
            await #expect(throws: FHIRError.self) { _ = try await service.renew(old[1].id, actor: "t") }
            #expect(try await service.places(practitioner: "dr-e").signed == 1)
            let record = try #require(try await platform.fhir.read(type: "Patient", id: "r1"))
            #expect(!record.content.contains("generalPractitioner"))
            let episode = try #require(try await platform.fhir.read(type: "EpisodeOfCare", id: "contract-\(old[1].id)"))
            #expect(episode.content.contains(#""status":"finished""#))
        }
    }
}

@Suite struct DomainWriteLimitTests {
    /// The domain API's writes are limited per principal like the FHIR API's: past the burst, 429 with Retry-After.
    @Test func tooManyWritesAreThrottled() async throws {
        try await TestServer.run(writeBurst: 5) { server in
            _ = try await World.setUp(server.platform, doctors: ["dr-w"], residents: 1)
            let resident = try await server.client(as: World.resident("r0"))
            // 10 at once against a burst of 5 (refilled at 10 a minute, one every 6 s): at least 3 are refused,
            // however slowly a busy machine serves them (the test client sends them down one connection in turn,
            // and gives up on them all after 20 s; few writes keep a loaded machine well inside that).
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Bool).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await resident.execute(uri: "/api/v1/contracting/waitlist", method: .post, headers: World.jsonHeaders,
                                                   body: World.body(#"{"patient":"r0","practitioner":"dr-w"}"#)) { ($0.status, $0.headers[.retryAfter] != nil) }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let throttled = statuses.filter { $0.0 == .tooManyRequests }
            #expect(throttled.count >= 3 && throttled.allSatisfy(\.1), "\(statuses.map(\.0.code))")
            #expect(statuses.filter { $0.0 == .accepted }.count >= 5)
            #expect(statuses.allSatisfy { $0.0 == .accepted || $0.0 == .tooManyRequests })
            // Reads are not limited.
            try await resident.execute(uri: "/api/v1/contracting/contracts?patient=r0", method: .get) { #expect($0.status == .ok) }
        }
    }
}
