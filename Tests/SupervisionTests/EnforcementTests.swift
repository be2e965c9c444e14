import Access
import FHIR
import Foundation
import HTTPTypes
import NIOCore
import Referral
import Registry
import Storage
import Supervision
import Testing
import WeijianTesting

/// 非现场执法 and 案件办理: each rule raises one case on crafted data and never twice; a case's steps in order with
/// evidence; reports from the public and grid patrols; bad input and who may do what. Over real HTTP, on the
/// engine the environment names.
@Suite struct EnforcementTests {
    struct Case: Decodable { var id: String; var source: String; var rule: String?; var institution: String?; var subject: String; var status: String; var detail: String
        var severity: String?; var penalty: String?; var fineYuan: Int?; var rectifyBy: String?; var events: [Event]; var evidence: [Evidence] }
    struct Event: Decodable { var action: String; var status: String }
    struct Evidence: Decodable { var id: String; var sha256: String; var bytes: Int }
    struct Opened: Decodable { var opened: [String] }
    struct Report: Decodable { var id: String; var caseID: String; var channel: String; var contactPhone: String? }

    @Test func eachRuleRaisesOneCaseAndOnlyOnce() async throws {
        try await TestServer.run { server in
            let platform = server.platform
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            let inspector = try await server.client(as: Principal(subject: "insp-e", role: .healthInspector, displayName: "监督员", district: "310105"))
            let today = CalendarDay.today()
            let chcs = Catalog.institutions.filter { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty }
            let (chc, other) = (try #require(chcs.first), try #require(chcs.last))
            let hospital = try #require(Catalog.institutions.first { $0.district == "310105" && $0.type == "hospital" })
            func post(_ client: AuthorizedClient, _ path: String, _ body: String) async throws {
                let (status, text) = try await client.call(.post, path, body)
                #expect(status.code < 300, "\(path): \(status) \(String(buffer: text))")
            }

            // late-report: cholera (2 hours) diagnosed three hours ago by a doctor of the CHC.
            try await platform.fhir.write { writer in
                _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"dr-e","name":[{"text":"接诊医生"}]}"#.utf8)), type: "Practitioner", id: "dr-e", ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"PractitionerRole","id":"dr-e-role","active":true,"practitioner":{"reference":"Practitioner/dr-e"},"organization":{"reference":"Organization/\(chc.id)"}}
                    """.utf8)), type: "PractitionerRole", id: "dr-e-role", ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Patient","id":"e1","name":[{"text":"病例"}],"gender":"male","birthDate":"1980-01-01","managingOrganization":{"reference":"Organization/\(chc.id)"},
                     "address":[{"extension":[{"url":"\(PatientExtensions.subdistrict)","valueCode":"\(chc.catchment[0])"}]}]}
                    """.utf8)), type: "Patient", id: "e1", ifMatch: nil)
            }
            let emr = try await server.client(as: TestServer.platformPrincipal)
            let condition = """
                {"resourceType":"Condition","verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},
                 "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"A00.9"}]},"subject":{"reference":"Patient/e1"},
                 "asserter":{"reference":"Practitioner/dr-e"},"recordedDate":"\(TestValues.stamp(Date().addingTimeInterval(-3 * 3600)))"}
                """
            let (written, writtenText) = try await emr.execute(uri: "/fhir/r4/Condition", method: .post, headers: [.contentType: "application/fhir+json"], body: ByteBuffer(string: condition)) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(written == .created, "\(writtenText)")

            // waste-alert: 20 kg collected at the other CHC, 18 kg handed over.
            let staff = try await server.client(as: Principal(subject: "chc-e", role: .chcStaff, displayName: "工作人员", institution: other.id, district: "310105"))
            let (collected, batchText) = try await staff.call(.post, "/api/v1/supervision/waste/batches",
                                                                #"{"category":"infectious","weightKg":20,"collectedAt":"\#(TestValues.stamp(Date().addingTimeInterval(-7200)))"}"#)
            #expect(collected == .created)
            let batch = try #require(try JSONValue.parse(Data(buffer: batchText))["id"]?.stringValue)
            try await post(staff, "/api/v1/supervision/waste/batches/\(batch)/handovers",
                           #"{"stage":"transfer","weightKg":18,"at":"\#(TestValues.stamp(Date().addingTimeInterval(-3600)))","handler":"处置中心"}"#)

            // water-unqualified: a site whose latest sampling found coliforms; another that passed.
            let place = try #require(chc.catchment.first)
            for (name, coliforms) in [("甲小区水箱", 1), ("乙小区水箱", 0)] {
                let (_, site) = try await inspector.call(.post, "/api/v1/supervision/water/sites", #"{"subdistrict":"\#(place)","name":"\#(name)","kind":"secondary-supply","address":"某路 1 号"}"#)
                let id = try #require(try JSONValue.parse(Data(buffer: site))["id"]?.stringValue)
                try await post(inspector, "/api/v1/supervision/water/sites/\(id)/tests",
                               #"{"sampledAt":"\#(TestValues.stamp(Date().addingTimeInterval(-86400)))","results":{"turbidity":0.3,"colour":5,"ph":7.4,"total-coliforms":\#(coliforms),"colony-count":8,"free-chlorine":0.4}}"#)
            }

            // licence-expired: the hospital's practice licence ended yesterday (the CHC's old one expired too, but it
            // was renewed: no case).
            try await post(inspector, "/api/v1/supervision/licences",
                           #"{"holderType":"institution","holder":"\#(hospital.id)","kind":"institution-practice","number":"PDY-E1","scope":[],"validFrom":"2020-01-01","validTo":"\#(CalendarDay.shift(today, days: -1))"}"#)
            try await post(inspector, "/api/v1/supervision/licences",
                           #"{"holderType":"institution","holder":"\#(chc.id)","kind":"institution-practice","number":"PDY-E2","scope":[],"validFrom":"2020-01-01","validTo":"2030-12-31"}"#)
            try await post(inspector, "/api/v1/supervision/licences",
                           #"{"holderType":"institution","holder":"\#(chc.id)","kind":"institution-practice","number":"PDY-E0","scope":[],"validFrom":"2015-01-01","validTo":"2019-12-31"}"#)

            // practice-without-licence and practice-outside-scope: sessions at the hospital; dr-k licensed for
            // internal medicine works in cardiology (covered) and general surgery (outside); dr-n has no licence
            // and works two sessions in neurology (one case for both).
            try await post(inspector, "/api/v1/supervision/licences",
                           #"{"holderType":"practitioner","holder":"dr-k","kind":"physician","number":"110310000009","scope":["internal-medicine"],"validFrom":"2020-01-01","validTo":"2030-12-31"}"#)
            let referral = ReferralService(store: platform.fhir)
            for id in ["dr-k", "dr-n"] {
                _ = try await platform.fhir.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"\#(id)","name":[{"text":"医生"}]}"#.utf8)), type: "Practitioner", id: id)
            }
            for (practitioner, department, days) in [("dr-k", "cardiology", 1), ("dr-k", "general-surgery", 2), ("dr-n", "neurology", 3), ("dr-n", "neurology", 4)] {
                _ = try await referral.createSchedule(SchedulePlan(organization: hospital.id, department: department, practitioner: practitioner, day: CalendarDay.shift(today, days: days),
                                                                   start: "08:00", end: "09:00", slotMinutes: 30), actor: "test")
            }

            // over-dose: metformin 1,000 mg three times a day (3,000 mg > 2,550) by the CHC's doctor; 500 mg three
            // times a day (within); a cancelled one over the limit; one over the limit from another district's hospital.
            let minhang = try #require(Catalog.institutions.first { $0.district == "310112" && $0.type == "hospital" })
            for (id, milligrams, status, requester) in [("mr-over", 1000, "active", "Practitioner/dr-e"), ("mr-fine", 500, "active", "Practitioner/dr-e"),
                                                        ("mr-cancelled", 1000, "cancelled", "Practitioner/dr-e"), ("mr-minhang", 1000, "active", "Organization/\(minhang.id)")] {
                _ = try await platform.fhir.update(try JSONValue.parse(Data(Self.prescription(id: id, milligrams: milligrams, status: status, requester: requester).utf8)),
                                                   type: "MedicationRequest", id: id)
            }

            // One run: one case for each finding.
            var (status, body) = try await inspector.call(.post, "/api/v1/supervision/rules/run")
            #expect(status == .ok, "\(String(buffer: body))")
            #expect(try TestValues.decode(Opened.self, body).opened.count == 7, "\(String(buffer: body))")
            (status, body) = try await inspector.call(.get, "/api/v1/supervision/cases")
            let cases = try TestValues.decode([Case].self, body)
            let byRule = Dictionary(grouping: cases, by: { $0.rule ?? "" })
            #expect(Set(byRule.keys) == ["late-report", "waste-alert", "water-unqualified", "licence-expired", "practice-without-licence", "practice-outside-scope", "over-dose"],
                    "\(byRule.keys)")
            #expect(byRule.values.allSatisfy { $0.count == 1 } && cases.allSatisfy { $0.source == "rule" && $0.status == "open" })
            #expect(byRule["late-report"]?.first?.institution == chc.id)
            #expect(byRule["waste-alert"]?.first?.institution == other.id)
            #expect(byRule["water-unqualified"]?.first?.subject == "甲小区水箱" && byRule["water-unqualified"]?.first?.detail.contains("总大肠菌群") == true)
            #expect(byRule["licence-expired"]?.first?.institution == hospital.id && byRule["licence-expired"]?.first?.detail.contains("PDY-E1") == true)
            #expect(byRule["practice-without-licence"]?.first?.detail.contains("dr-n 在 neurology 出诊 2 次") == true, "\(byRule["practice-without-licence"] ?? [])")
            #expect(byRule["practice-outside-scope"]?.first?.detail.contains("dr-k 在 general-surgery") == true)
            #expect(byRule["over-dose"]?.first.map { $0.institution == chc.id && $0.detail.contains("mr-over") && $0.detail.contains("每日 3000 mg") } == true,
                    "\(byRule["over-dose"] ?? [])")
            // No patient data in the cases: the late card's case names the card, not the person.
            #expect(!cases.contains { $0.detail.contains("病例") || $0.subject.contains("病例") })

            // A second run finds the same and opens nothing.
            (status, body) = try await inspector.call(.post, "/api/v1/supervision/rules/run")
            let again = try TestValues.decode(Opened.self, body)
            #expect(status == .ok && again.opened.isEmpty, "\(String(buffer: body))")

            // The rules are listed with their basis; a family doctor may neither run nor read them.
            (status, body) = try await inspector.call(.get, "/api/v1/supervision/rules")
            #expect(status == .ok && String(buffer: body).contains("传染病疫情报告不及时"))
            let doctor = try await server.client(as: Principal(subject: "fd-e", role: .familyDoctor, displayName: "医生", institution: chc.id))
            for (method, path) in [(HTTPRequest.Method.post, "/api/v1/supervision/rules/run"), (.get, "/api/v1/supervision/cases"), (.get, "/api/v1/supervision/cases/\(cases[0].id)")] {
                (status, _) = try await doctor.call(method, path)
                #expect(status == .forbidden, "\(path)")
            }
        }
    }

    static func prescription(id: String, milligrams: Int, status: String, requester: String, timing: String = #"{"repeat":{"frequency":3,"period":1,"periodUnit":"d"}}"#) -> String {
        """
        {"resourceType":"MedicationRequest","id":"\(id)","status":"\(status)","intent":"order","subject":{"reference":"Patient/e1"},"authoredOn":"\(CalendarDay.today())",
         "medicationCodeableConcept":{"coding":[{"system":"\(Drugs.atcSystem)","code":"A10BA02","display":"二甲双胍"}]},"requester":{"reference":"\(requester)"},
         "dosageInstruction":[{"timing":\(timing),"doseAndRate":[{"doseQuantity":{"value":\(milligrams),"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}]}]}
        """
    }

    @Test func aPrescriptionsDailyDoseIsAddedUpOrNotGuessed() throws {
        func daily(_ dosage: String, code: String = "A10BA02") throws -> Double? {
            let request = try JSONValue.parse(Data(#"{"resourceType":"MedicationRequest","medicationCodeableConcept":{"coding":[{"system":"\#(Drugs.atcSystem)","code":"\#(code)"}]},"dosageInstruction":\#(dosage)}"#.utf8))
            #expect(Drugs.drug(of: request)?.atc == code)
            return Drugs.dailyMilligrams(of: request)
        }
        func dose(_ value: Double, _ unit: String, _ timing: String) -> String {
            #"{"timing":{"repeat":\#(timing)},"doseAndRate":[{"doseQuantity":{"value":\#(value),"code":"\#(unit)"}}]}"#
        }
        // 1,000 mg three times a day; 1 g every 4 hours; 5 mg twice in two instructions; 70 mg a week.
        #expect(try daily("[\(dose(1000, "mg", #"{"frequency":3,"period":1,"periodUnit":"d"}"#))]") == 3000)
        #expect(try daily("[\(dose(1, "g", #"{"frequency":1,"period":4,"periodUnit":"h"}"#))]", code: "N02BE01") == 6000)
        #expect(try daily("[\(dose(5, "mg", #"{"periodUnit":"d"}"#)),\(dose(5, "mg", #"{"frequency":1,"period":1,"periodUnit":"d"}"#))]", code: "C08CA01") == 10)
        #expect(try daily("[\(dose(70, "mg", #"{"frequency":1,"period":1,"periodUnit":"wk"}"#))]", code: "C10AA05") == 10)
        // Too little to tell: a tablet count, no timing, a month: nil, never a guess.
        #expect(try daily("[\(dose(2, "片", #"{"frequency":3,"period":1,"periodUnit":"d"}"#))]") == nil)
        #expect(try daily(#"[{"doseAndRate":[{"doseQuantity":{"value":500,"code":"mg"}}]}]"#) == nil)
        #expect(try daily("[\(dose(500, "mg", #"{"frequency":1,"period":1,"periodUnit":"mo"}"#))]") == nil)
        #expect(try daily("[]") == nil)
        // A drug outside the catalogue, or coded in another system: no drug.
        let other = try JSONValue.parse(Data(#"{"medicationCodeableConcept":{"coding":[{"system":"urn:local","code":"A10BA02"}]}}"#.utf8))
        #expect(Drugs.drug(of: other) == nil)
    }

    @Test func aCaseGoesThroughItsStepsInOrderWithEvidence() async throws {
        try await TestServer.run(maxBodyBytes: 4 * 1024 * 1024) { server in
            let inspector = try await server.client(as: Principal(subject: "insp-c", role: .healthInspector, displayName: "监督员", district: "310105"))
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" })
            var (status, body) = try await inspector.call(.post, "/api/v1/supervision/cases", #"{"institution":"\#(chc.id)","subject":"\#(chc.name)","detail":"区长信箱转来：候诊区消毒记录缺失"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let id = try TestValues.decode(Case.self, body).id
            func act(_ json: String) async throws -> (Int, String) {
                let (status, body) = try await inspector.call(.post, "/api/v1/supervision/cases/\(id)/actions", json)
                return (Int(status.code), String(buffer: body))
            }
            // Out of order: 409, and the case is unchanged.
            var (code, text) = try await act(#"{"action":"penalise","detail":"罚款","penalty":"warning"}"#)
            #expect(code == 409 && text.contains("待处理"), "\(text)")
            (code, text) = try await act(#"{"action":"verify-rectification","detail":"复查"}"#)
            #expect(code == 409)
            // Steps without what they need: 422.
            for (json, reason) in [(#"{"action":"assign","detail":"指派"}"#, "承办人"), (#"{"action":"find","detail":"认定"}"#, "违法情节"), (#"{"action":"fly","detail":"x"}"#, "action 须为"),
                                   (#"{"action":"inspect","detail":"  "}"#, "说明")] {
                (code, text) = try await act(json)
                #expect(code == 422 && text.contains(reason), "\(json): \(code) \(text)")
            }
            (code, text) = try await act(#"{"action":"assign","detail":"交王监督员办理","assignee":"王监督员"}"#)
            #expect(code == 200 && text.contains(#""status":"investigating""#), "\(text)")
            (code, _) = try await act(#"{"action":"inspect","detail":"现场检查：消毒登记本 10 月缺页"}"#)
            #expect(code == 200)

            // Evidence: kept with its digest, given back as stored; bad content refused.
            let photo = Data((0..<3000).map { UInt8($0 % 251) })
            (status, body) = try await inspector.call(.post, "/api/v1/supervision/cases/\(id)/evidence",
                                                      #"{"name":"现场照片","mediaType":"image/jpeg","content":"\#(photo.base64EncodedString())"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let evidence = try TestValues.decode(Evidence.self, body)
            // The digest as `hashlib.sha256(bytes(i % 251 for i in range(3000)))` gives it.
            #expect(evidence.bytes == 3000 && evidence.sha256 == "e8ca4bf83f56152c01649f88bd7c91b15ae8137d9a709572e04fae55894ea75e", "\(evidence)")
            let download = try await inspector.execute(uri: "/api/v1/supervision/cases/\(id)/evidence/\(evidence.id)", method: .get, headers: [:], body: nil) { $0 }
            #expect(download.status == .ok && Data(buffer: download.body) == photo && download.headers[.contentType] == "image/jpeg")
            let tooBig = Data(count: Enforcement.evidenceMaxBytes + 1).base64EncodedString()
            for (json, reason) in [(#"{"name":"x","mediaType":"application/x-msdownload","content":"AAAA"}"#, "证据类型"),
                                   (#"{"name":"x","mediaType":"text/plain","content":"not base64!"}"#, "base64"),
                                   (#"{"name":"x","mediaType":"text/plain","content":""}"#, "base64"),
                                   (#"{"name":"x","mediaType":"text/plain","content":"\#(tooBig)"}"#, "1 MB")] {
                (status, body) = try await inspector.call(.post, "/api/v1/supervision/cases/\(id)/evidence", json)
                #expect(status == .unprocessableContent && String(buffer: body).contains(reason), "\(String(json.prefix(80))): \(status) \(String(buffer: body))")
            }

            (code, text) = try await act(#"{"action":"find","detail":"未按规定记录消毒","severity":"general"}"#)
            #expect(code == 200 && text.contains(#""status":"found""#))
            (code, text) = try await act(#"{"action":"penalise","detail":"罚款","penalty":"fine"}"#)
            #expect(code == 422 && text.contains("罚款金额"), "\(text)")
            (code, text) = try await act(#"{"action":"penalise","detail":"依法罚款","penalty":"fine","fineYuan":5000}"#)
            #expect(code == 200 && text.contains(#""fineYuan":5000"#))
            (code, text) = try await act(#"{"action":"order-rectification","detail":"限期整改","deadline":"\#(CalendarDay.today())"}"#)
            #expect(code == 422 && text.contains("晚于今天"), "\(text)")
            let deadline = CalendarDay.shift(CalendarDay.today(), days: 15)
            (code, text) = try await act(#"{"action":"order-rectification","detail":"限期整改","deadline":"\#(deadline)"}"#)
            #expect(code == 200 && text.contains(#""status":"rectifying""#))
            (code, text) = try await act(#"{"action":"verify-rectification","detail":"复查：已补齐记录"}"#)
            #expect(code == 200 && text.contains(#""status":"closed""#))

            // Closed: no more steps or evidence.
            (code, _) = try await act(#"{"action":"inspect","detail":"再查"}"#)
            #expect(code == 409)
            (status, _) = try await inspector.call(.post, "/api/v1/supervision/cases/\(id)/evidence", #"{"name":"x","mediaType":"text/plain","content":"AAAA"}"#)
            #expect(status == .conflict)
            (status, body) = try await inspector.call(.get, "/api/v1/supervision/cases/\(id)")
            let closed = try TestValues.decode(Case.self, body)
            #expect(closed.events.map(\.action) == ["open", "assign", "inspect", "evidence", "find", "penalise", "order-rectification", "verify-rectification"])
            #expect(closed.severity == "general" && closed.penalty == "fine" && closed.rectifyBy == deadline && closed.evidence.count == 1)

            // Another district's inspector sees nothing of it; a manager may read but not act; a CHC's staff may not read.
            let minhang = try await server.client(as: Principal(subject: "insp-m", role: .healthInspector, displayName: "闵行监督员", district: "310112"))
            (status, _) = try await minhang.call(.get, "/api/v1/supervision/cases/\(id)")
            #expect(status == .notFound)
            (status, _) = try await minhang.call(.post, "/api/v1/supervision/cases/\(id)/actions", #"{"action":"inspect","detail":"x"}"#)
            #expect(status == .notFound)
            let manager = try await server.client(as: Principal(subject: "mgr-c", role: .commissionManager, displayName: "卫健委", district: "310105"))
            (status, _) = try await manager.call(.get, "/api/v1/supervision/cases/\(id)")
            #expect(status == .ok)
            (status, _) = try await manager.call(.post, "/api/v1/supervision/cases/\(id)/actions", #"{"action":"inspect","detail":"x"}"#)
            #expect(status == .forbidden)
            let staff = try await server.client(as: Principal(subject: "chc-c", role: .chcStaff, displayName: "工作人员", institution: chc.id))
            (status, _) = try await staff.call(.get, "/api/v1/supervision/cases")
            #expect(status == .forbidden)
            // A manual case about an institution outside the district: 422.
            (status, body) = try await inspector.call(.post, "/api/v1/supervision/cases", #"{"institution":"no-such","subject":"x","detail":"y"}"#)
            #expect(status == .unprocessableContent && String(buffer: body).contains("不在本区名录"))
        }
    }

    @Test func reportsFromThePublicAndGridPatrolsOpenCases() async throws {
        try await TestServer.run { server in
            let place = try #require(Catalog.subdistricts(of: "310105").first).code
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" })
            // The public: no account.
            var (status, body) = try await server.client.call(.post, "/api/v1/public/supervision-reports",
                #"{"kind":"unlicensed-practice","subdistrict":"\#(place)","place":"某路 8 号底商","description":"无招牌诊所给人打点滴","contactName":"王先生","contactPhone":"13812345678"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let receipt = try TestValues.decode(Report.self, body)
            #expect(receipt.channel == "public" && receipt.contactPhone == "138****5678")
            for (json, reason) in [
                (#"{"kind":"complaint","subdistrict":"\#(place)","place":"门诊","description":"态度差"}"#, "被投诉机构"),
                (#"{"kind":"gossip","subdistrict":"\#(place)","place":"x","description":"y"}"#, "类型须为"),
                (#"{"kind":"unlicensed-practice","subdistrict":"999999999","place":"x","description":"y"}"#, "街道"),
                (#"{"kind":"unlicensed-practice","subdistrict":"\#(place)","place":"x","description":"y","contactPhone":"call me"}"#, "联系电话"),
                (#"{"kind":"unlicensed-practice","subdistrict":"\#(place)","place":"","description":"y"}"#, "地点"),
            ] {
                (status, body) = try await server.client.call(.post, "/api/v1/public/supervision-reports", json)
                #expect(status == .unprocessableContent && String(buffer: body).contains(reason), "\(json): \(status) \(String(buffer: body))")
            }
            (status, _) = try await server.client.call(.post, "/api/v1/public/supervision-reports", "{not json")
            #expect(status == .badRequest)
            // A grid patroller (the CHC's 卫生监督协管员) files a complaint about an institution of the district;
            // a 街道 of another district is refused.
            let patroller = try await server.client(as: Principal(subject: "chc-p", role: .chcStaff, displayName: "协管员", institution: chc.id))
            (status, body) = try await patroller.call(.post, "/api/v1/supervision/reports",
                #"{"kind":"complaint","subdistrict":"\#(place)","place":"\#(chc.name)","institution":"\#(chc.id)","description":"居民反映收费不透明"}"#)
            #expect(status == .created, "\(String(buffer: body))")
            let patrolReport = try TestValues.decode(Report.self, body)
            let minhangPlace = try #require(Catalog.subdistricts(of: "310112").first).code
            (status, body) = try await patroller.call(.post, "/api/v1/supervision/reports", #"{"kind":"unlicensed-practice","subdistrict":"\#(minhangPlace)","place":"x","description":"y"}"#)
            #expect(status == .unprocessableContent && String(buffer: body).contains("不属于本区"))
            let doctor = try await server.client(as: Principal(subject: "fd-p", role: .familyDoctor, displayName: "医生", institution: chc.id))
            (status, _) = try await doctor.call(.post, "/api/v1/supervision/reports", #"{"kind":"unlicensed-practice","subdistrict":"\#(place)","place":"x","description":"y"}"#)
            #expect(status == .forbidden)

            // Each report opened a case of its channel; the list masks phones; a resident may not list reports.
            let inspector = try await server.client(as: Principal(subject: "insp-r", role: .healthInspector, displayName: "监督员", district: "310105"))
            (status, body) = try await inspector.call(.get, "/api/v1/supervision/cases")
            let cases = try TestValues.decode([Case].self, body)
            #expect(Set(cases.map { "\($0.source) \($0.rule ?? "")" }) == ["public unlicensed-practice", "patrol complaint"], "\(cases)")
            #expect(cases.first { $0.id == patrolReport.caseID }?.institution == chc.id)
            (status, body) = try await inspector.call(.get, "/api/v1/supervision/reports")
            #expect(status == .ok && String(buffer: body).contains("138****5678") && !String(buffer: body).contains("13812345678"))
            // The case page shows the reporter's number in full to the inspector who follows it up.
            let page = try await inspector.execute(uri: "/supervision/cases/\(receipt.caseID)", method: .get, headers: [:], body: nil) { ($0.status, String(buffer: $0.body)) }
            #expect(page.0 == .ok && page.1.contains("13812345678") && page.1.contains("无招牌诊所"), "\(page.0)")

            // The public form needs no account and answers with the number.
            let form = "kind=unlicensed-practice&subdistrict=\(place)&place=%E6%9F%90%E8%B7%AF&description=%E6%97%A0%E8%AF%81%E8%A1%8C%E5%8C%BB"
            let posted = try await server.client.execute(uri: "/report", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(posted.0 == .created && posted.1.contains("受理编号"), "\(posted.0) \(posted.1.prefix(300))")
            let refused = try await server.client.execute(uri: "/report", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                          body: ByteBuffer(string: "kind=complaint&subdistrict=\(place)&place=x&description=y")) { ($0.status, String(buffer: $0.body)) }
            #expect(refused.0 == .unprocessableContent && refused.1.contains("请填写被投诉机构"), "\(refused.0)")
        }
    }
}
