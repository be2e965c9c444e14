import Access
import FHIR
import Foundation
import HTTPTypes
import NIOCore
import Portal
import Registry
import Storage
import Supervision
import Testing
import WeijianTesting

/// The resident portal's services over real HTTP and through the domain, on the engine the environment names:
/// online return visits with the prescription pre-review, home services and their state machines, payments,
/// targeted education, ratings that become supervision cases, and resident B never seeing resident A's rows.
@Suite struct PortalTests {
    struct VisitItem: Decodable { var id: String; var status: String; var patient: String; var feeFen: Int; var paidAt: String? }
    struct VisitView: Decodable { var visit: VisitItem; var prescriptions: [RxItem] }
    struct RxItem: Decodable { var id: String; var status: String; var reasons: [String]; var medicationRequests: [String] }
    struct Outcome: Decodable { var prescription: RxItem; var visit: VisitItem }
    struct Rejected: Decodable { var reasons: [String]; var prescription: RxItem }
    struct OrderItem: Decodable { var id: String; var status: String; var detail: [String: String] }
    struct PaymentItem: Decodable { var id: String; var status: String; var amountFen: Int }

    /// A CHC, a family doctor there, residents A (`pa`, 62, female, hypertension) and B (`pb`), each with a diagnosis.
    struct World {
        var chc: Institution
        var other: Institution
        var doctor: AuthorizedClient
        var staff: AuthorizedClient
        var strangerStaff: AuthorizedClient
        var a: AuthorizedClient
        var b: AuthorizedClient
    }

    static func world(_ server: TestServer) async throws -> World {
        let platform = server.platform
        try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
        let chcs = Catalog.institutions.filter { $0.type == "chc" && $0.district == "310105" }
        let (chc, other) = (try #require(chcs.first), try #require(chcs.last))
        try await platform.fhir.write { writer in
            _ = try await writer.update(try JSONValue.parse(Data(#"{"resourceType":"Practitioner","id":"fd-a","name":[{"text":"张医生"}]}"#.utf8)), type: "Practitioner", id: "fd-a", ifMatch: nil)
            for (id, gender, birth, code) in [("pa", "female", "1964-03-01", "I10"), ("pb", "male", "1990-05-05", "E11.9")] {
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Patient","id":"\(id)","name":[{"text":"居民\(id)"}],"gender":"\(gender)","birthDate":"\(birth)",
                     "managingOrganization":{"reference":"Organization/\(chc.id)"},"generalPractitioner":[{"reference":"Practitioner/fd-a"}]}
                    """.utf8)), type: "Patient", id: id, ifMatch: nil)
                _ = try await writer.update(try JSONValue.parse(Data("""
                    {"resourceType":"Condition","id":"\(id)-c","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
                     "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"\(code)"}],"text":"诊断\(code)"},"subject":{"reference":"Patient/\(id)"}}
                    """.utf8)), type: "Condition", id: "\(id)-c", ifMatch: nil)
            }
        }
        return World(
            chc: chc, other: other,
            doctor: try await server.client(as: Principal(subject: "acc-fd-a", role: .familyDoctor, displayName: "张医生", institution: chc.id, practitioner: "fd-a")),
            staff: try await server.client(as: Principal(subject: "acc-chc", role: .chcStaff, displayName: "社区护士长", institution: chc.id)),
            strangerStaff: try await server.client(as: Principal(subject: "acc-chc2", role: .chcStaff, displayName: "他中心", institution: other.id)),
            a: try await server.client(as: Principal(subject: "acc-pa", role: .resident, displayName: "居民A", patient: "pa")),
            b: try await server.client(as: Principal(subject: "acc-pb", role: .resident, displayName: "居民B", patient: "pb")))
    }

    static func post(_ client: AuthorizedClient, _ path: String, _ json: String? = nil) async throws -> (Int, String) {
        let (status, text) = try await client.call(.post, path, json ?? "{}")
        return (Int(status.code), String(buffer: text))
    }

    static func get(_ client: AuthorizedClient, _ path: String) async throws -> (Int, String) {
        let (status, text) = try await client.call(.get, path)
        return (Int(status.code), String(buffer: text))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    static func rx(_ atc: String, _ dose: Double, times: Int = 1) -> String { #"{"atc":"\#(atc)","dose":\#(dose),"unit":"mg","timesPerDay":\#(times),"days":30}"# }

    @Test func aReturnVisitRunsThroughPreReviewToAMedicationRequest() async throws {
        try await TestServer.run { server in
            let w = try await Self.world(server)
            // Refused requests.
            var (status, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"Condition/pb-c","description":"续药"}"#)
            #expect(status == 422 && text.contains("已有的诊断"), "\(text)")
            (status, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"Condition/pa-c","description":"  "}"#)
            #expect(status == 422 && text.contains("病情描述"), "\(text)")
            (status, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"Condition/pa-c","institution":"\#(w.other.id)","description":"续药"}"#)
            #expect(status == 422 && text.contains("请选择"), "\(text)")
            (status, text) = try await Self.post(w.doctor, "/api/v1/portal/visits", #"{"condition":"Condition/pa-c","description":"续药"}"#)
            #expect(status == 403)
            (status, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"Condition/pa-c","description":"血压平稳，氨氯地平快吃完了"}"#)
            #expect(status == 201, "\(text)")
            let visit = try Self.decode(VisitItem.self, text)
            #expect(visit.status == "requested" && visit.feeFen == 1000)

            // The clinic's inbox; steps out of order are 409.
            (status, text) = try await Self.get(w.doctor, "/api/v1/portal/staff/visits")
            #expect(status == 200 && text.contains(visit.id))
            (status, text) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/note", #"{"note":"x"}"#)
            #expect(status == 409 && text.contains("待接诊"), "\(text)")
            (status, _) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/accept")
            #expect(status == 200)
            (status, _) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/accept")
            #expect(status == 409)
            (status, text) = try await Self.post(w.a, "/api/v1/portal/visits/\(visit.id)/cancel")
            #expect(status == 409 && text.contains("不能取消"), "\(text)")
            (status, text) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/prescriptions", #"{"items":[\#(Self.rx("C10AA05", 20))]}"#)
            #expect(status == 409 && text.contains("诊疗记录"), "\(text)")
            (status, _) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/note", #"{"note":"血压控制良好，继续原方案"}"#)
            #expect(status == 200)

            // Pre-review: over the maximum daily dose, duplicate therapy, a listed interaction — each 422 with its reason.
            for (items, reason) in [
                (Self.rx("C08CA01", 10, times: 2), "最大日剂量"),
                (Self.rx("C08CA01", 5) + "," + Self.rx("C08CA05", 30), "重复用药"),
                (Self.rx("J01FA09", 250, times: 2) + "," + Self.rx("C10AA05", 20), "相互作用"),
            ] {
                (status, text) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/prescriptions", #"{"items":[\#(items)]}"#)
                let rejected = try Self.decode(Rejected.self, text)
                #expect(status == 422 && rejected.reasons.contains { $0.contains(reason) } && rejected.prescription.medicationRequests.isEmpty, "\(text)")
            }
            (status, text) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/prescriptions", #"{"items":[{"atc":"X99","dose":1,"timesPerDay":1,"days":3}]}"#)
            #expect(status == 422 && text.contains("不在药品目录"), "\(text)")
            (status, text) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/prescriptions", #"{"items":[\#(Self.rx("C08CA01", 5))]}"#)
            #expect(status == 201, "\(text)")
            let outcome = try Self.decode(Outcome.self, text)
            #expect(outcome.visit.status == "completed" && outcome.prescription.status == "issued" && outcome.prescription.medicationRequests.count == 1)

            // The prescription is in the record, the resident's own.
            let reference = try #require(outcome.prescription.medicationRequests.first)
            (status, text) = try await Self.get(w.a, "/fhir/r4/\(reference)")
            let request = try JSONValue.parse(Data(text.utf8))
            #expect(status == 200 && request["subject"]?["reference"]?.stringValue == "Patient/pa" && request["status"]?.stringValue == "active")
            #expect(Drugs.dailyMilligrams(of: request) == 5)
            (status, text) = try await Self.get(w.a, "/api/v1/portal/visits/\(visit.id)")
            let view = try Self.decode(VisitView.self, text)
            #expect(view.prescriptions.map(\.status) == ["rejected", "rejected", "rejected", "issued"])
            (status, _) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/prescriptions", #"{"items":[\#(Self.rx("C10AA05", 20))]}"#)
            #expect(status == 409)

            // A second visit: nifedipine against the active amlodipine is duplicate therapy.
            (_, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"pa-c","description":"早上血压偏高"}"#)
            let second = try Self.decode(VisitItem.self, text)
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(second.id)/accept")
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(second.id)/note", #"{"note":"加用"}"#)
            (status, text) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(second.id)/prescriptions", #"{"items":[\#(Self.rx("C08CA05", 30))]}"#)
            #expect(status == 422 && text.contains("正在使用的氨氯地平"), "\(text)")
            // Declining needs a reason; decline after accept is refused.
            (status, text) = try await Self.post(w.doctor, "/api/v1/portal/visits/\(second.id)/decline", #"{"reason":"请线下就诊"}"#)
            #expect(status == 409)
        }
    }

    @Test func residentBGetsNotFoundOnResidentAsRows() async throws {
        try await TestServer.run { server in
            let w = try await Self.world(server)
            var (_, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"Condition/pa-c","description":"续药"}"#)
            let visit = try Self.decode(VisitItem.self, text)
            let later = TestValues.stamp(Date().addingTimeInterval(86400))
            (_, text) = try await Self.post(w.a, "/api/v1/portal/nursing", #"{"item":"dressing","address":"示范路 1 号","scheduledAt":"\#(later)","description":"换药"}"#)
            let order = try Self.decode(OrderItem.self, text)
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/accept")
            var status: Int
            (status, text) = try await Self.post(w.a, "/api/v1/portal/payments", #"{"kind":"visit","item":"\#(visit.id)","idempotencyKey":"key-a-000001"}"#)
            #expect(status == 201, "\(text)")
            let payment = try Self.decode(PaymentItem.self, text)
            for path in ["/api/v1/portal/visits/\(visit.id)", "/api/v1/portal/nursing/\(order.id)", "/api/v1/portal/payments/\(payment.id)"] {
                (status, _) = try await Self.get(w.b, path)
                #expect(status == 404, "\(path)")
                (status, _) = try await Self.get(w.a, path)
                #expect(status == 200, "\(path)")
            }
            (status, _) = try await Self.post(w.b, "/api/v1/portal/visits/\(visit.id)/cancel")
            #expect(status == 404)
            (status, _) = try await Self.post(w.b, "/api/v1/portal/nursing/\(order.id)/cancel")
            #expect(status == 404)
            (status, _) = try await Self.post(w.b, "/api/v1/portal/payments", #"{"kind":"visit","item":"\#(visit.id)","idempotencyKey":"key-b-000001"}"#)
            #expect(status == 404)
            (status, _) = try await Self.post(w.b, "/api/v1/portal/ratings", #"{"kind":"visit","service":"\#(visit.id)","score":1,"comment":"x"}"#)
            #expect(status == 404)
            // Lists hold only one's own; staff of another CHC get 404 on the order.
            (_, text) = try await Self.get(w.b, "/api/v1/portal/visits")
            #expect(!text.contains(visit.id))
            (_, text) = try await Self.get(w.b, "/api/v1/portal/payments")
            #expect(!text.contains(payment.id))
            (status, _) = try await Self.get(w.strangerStaff, "/api/v1/portal/nursing/\(order.id)")
            #expect(status == 404)
            (status, _) = try await Self.post(w.strangerStaff, "/api/v1/portal/nursing/\(order.id)/accept")
            #expect(status == 404)
            // The pages too.
            (status, _) = try await Self.get(w.b, "/portal/visits/\(visit.id)")
            #expect(status == 404 || status == 302 || status == 303)
        }
    }

    @Test func homeServicesFollowTheirStateMachines() async throws {
        try await TestServer.run { server in
            let w = try await Self.world(server)
            let later = TestValues.stamp(Date().addingTimeInterval(86400))
            var (status, text) = try await Self.post(w.a, "/api/v1/portal/nursing", #"{"item":"massage","address":"示范路 1 号","scheduledAt":"\#(later)","description":"x"}"#)
            #expect(status == 422 && text.contains("目录"))
            (status, text) = try await Self.post(w.a, "/api/v1/portal/nursing", #"{"item":"picc","address":"示范路 1 号","scheduledAt":"2020-01-01T09:00:00+08:00","description":"x"}"#)
            #expect(status == 422 && text.contains("早于现在"), "\(text)")
            (status, text) = try await Self.post(w.a, "/api/v1/portal/nursing", #"{"item":"picc","address":"示范路 1 号","scheduledAt":"\#(later)","description":"PICC 置管后第 7 天"}"#)
            #expect(status == 201, "\(text)")
            let nursing = try Self.decode(OrderItem.self, text)
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/nursing/\(nursing.id)/complete")
            #expect(status == 409 && text.contains("不能完成服务"), "\(text)")
            (status, _) = try await Self.post(w.staff, "/api/v1/portal/nursing/\(nursing.id)/accept")
            #expect(status == 200)
            (status, _) = try await Self.post(w.a, "/api/v1/portal/nursing/\(nursing.id)/cancel")
            #expect(status == 409)
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/nursing/\(nursing.id)/assign", #"{"nurse":""}"#)
            #expect(status == 422 && text.contains("护士"))
            (status, _) = try await Self.post(w.staff, "/api/v1/portal/nursing/\(nursing.id)/assign", #"{"nurse":"王护士"}"#)
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/nursing/\(nursing.id)/complete", #"{"summary":"导管通畅，已冲管换膜"}"#)
            #expect(try status == 200 && Self.decode(OrderItem.self, text).status == "completed")
            // Cancellation before acceptance.
            (_, text) = try await Self.post(w.a, "/api/v1/portal/nursing", #"{"item":"dressing","address":"示范路 1 号","scheduledAt":"\#(later)","description":"换药"}"#)
            let second = try Self.decode(OrderItem.self, text)
            (status, text) = try await Self.post(w.a, "/api/v1/portal/nursing/\(second.id)/cancel")
            #expect(status == 200 && text.contains("cancelled"))

            // Hospice: PPS 70 does not qualify, PPS 40 does and is referred.
            (status, text) = try await Self.post(w.a, "/api/v1/portal/hospice", #"{"description":"胃癌晚期"}"#)
            let hospice = try Self.decode(OrderItem.self, text)
            (status, _) = try await Self.post(w.a, "/api/v1/portal/hospice", #"{"description":"again"}"#)
            #expect(status == 409)
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/hospice/\(hospice.id)/assess", #"{"scale":"pps","score":45}"#)
            #expect(status == 422 && text.contains("10 的倍数"), "\(text)")
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/hospice/\(hospice.id)/refer", #"{"setting":"home","place":"社区安宁疗护团队"}"#)
            #expect(status == 409)
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/hospice/\(hospice.id)/assess", #"{"scale":"pps","score":40}"#)
            #expect(try status == 200 && Self.decode(OrderItem.self, text).status == "eligible", "\(text)")
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/hospice/\(hospice.id)/refer", #"{"setting":"home","place":"社区安宁疗护团队"}"#)
            #expect(try status == 200 && Self.decode(OrderItem.self, text).status == "referred")
            (_, text) = try await Self.post(w.b, "/api/v1/portal/hospice", #"{"description":"x"}"#)
            let other = try Self.decode(OrderItem.self, text)
            (_, text) = try await Self.post(w.staff, "/api/v1/portal/hospice/\(other.id)/assess", #"{"scale":"ecog","score":1}"#)
            #expect(try Self.decode(OrderItem.self, text).status == "not-eligible")

            // Family sickbed: request, assess, admit with a plan and visit days, discharge.
            (_, text) = try await Self.post(w.a, "/api/v1/portal/sickbed", #"{"address":"示范路 1 号","description":"脑梗后卧床"}"#)
            let bed = try Self.decode(OrderItem.self, text)
            (status, _) = try await Self.post(w.staff, "/api/v1/portal/sickbed/\(bed.id)/admit", #"{"carePlan":"x","visitDays":"1"}"#)
            #expect(status == 409)
            (status, _) = try await Self.post(w.staff, "/api/v1/portal/sickbed/\(bed.id)/assess", #"{"assessment":"符合建床条件"}"#)
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/sickbed/\(bed.id)/admit", #"{"carePlan":"每周两次查床","visitDays":"9"}"#)
            #expect(status == 422 && text.contains("查床日"))
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/sickbed/\(bed.id)/admit", #"{"carePlan":"每周两次查床","visitDays":[4,1]}"#)
            let admitted = try Self.decode(OrderItem.self, text)
            #expect(status == 200 && admitted.status == "admitted" && admitted.detail["visitDays"] == "1,4" && admitted.detail["bed"] != nil, "\(text)")
            (status, text) = try await Self.post(w.staff, "/api/v1/portal/sickbed/\(bed.id)/discharge", #"{"summary":"伤口愈合，撤床"}"#)
            #expect(try status == 200 && Self.decode(OrderItem.self, text).status == "discharged")
        }
    }

    /// A channel that counts its charges and declines when told to.
    actor CountingProvider: PaymentProvider {
        nonisolated let name = "counting"
        var charges = 0
        var decline = false
        func set(decline: Bool) { self.decline = decline }
        func charge(amountFen: Int, description: String, payer: String, idempotencyKey: String) async throws -> PaymentOutcome {
            charges += 1
            return decline ? .declined(reason: "余额不足") : .succeeded(reference: "C\(charges)")
        }
    }

    @Test func paymentsAreIdempotentAndAFailureLeavesTheItemUnpaid() async throws {
        try await TestServer.run { server in
            _ = try await Self.world(server)
            let store = server.platform.fhir
            let visits = ReturnVisits(store: store)
            let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" })
            let actor = StaffActor(account: "acc-fd-a", practitioner: "fd-a", institution: chc.id)
            let first = try await visits.request(VisitRequestForm(condition: "pa-c", description: "续药"), patient: "pa")
            let second = try await visits.request(VisitRequestForm(condition: "pa-c", description: "续药"), patient: "pa")
            let provider = CountingProvider()
            let payments = Payments(database: server.platform.database, provider: provider)
            await #expect(throws: FHIRError.self) { try await payments.pay(kind: "visit", item: first.id, patient: "pa", idempotencyKey: "k-000000001") }
            _ = try await visits.accept(first.id, by: actor)
            _ = try await visits.accept(second.id, by: actor)
            let (paid, created) = try await payments.pay(kind: "visit", item: first.id, patient: "pa", idempotencyKey: "k-000000001")
            #expect(created && paid.status == "succeeded" && paid.amountFen == 1000)
            let (again, createdAgain) = try await payments.pay(kind: "visit", item: first.id, patient: "pa", idempotencyKey: "k-000000001")
            #expect(!createdAgain && again == paid)
            #expect(await provider.charges == 1)
            await #expect(throws: FHIRError.self) { try await payments.pay(kind: "visit", item: first.id, patient: "pa", idempotencyKey: "k-000000002") }
            await #expect(throws: FHIRError.self) { try await payments.pay(kind: "visit", item: second.id, patient: "pa", idempotencyKey: "k-000000001") }
            #expect(try await visits.find(first.id)?.paidAt != nil)

            // A declined charge: recorded as failed, the visit still unpaid; a new key pays it.
            await provider.set(decline: true)
            let (failed, _) = try await payments.pay(kind: "visit", item: second.id, patient: "pa", idempotencyKey: "k-000000003")
            #expect(failed.status == "failed" && failed.failure == "余额不足")
            #expect(try await visits.find(second.id)?.paidAt == nil)
            await provider.set(decline: false)
            let (retried, _) = try await payments.pay(kind: "visit", item: second.id, patient: "pa", idempotencyKey: "k-000000004")
            #expect(retried.status == "succeeded")
            #expect(try await visits.find(second.id)?.paidAt != nil)
            #expect(try await payments.list(patient: "pa").count == 3)
            #expect(try await payments.list(patient: "pb").isEmpty)
            await #expect(throws: FHIRError.self) { try await payments.pay(kind: "visit", item: second.id, patient: "pa", idempotencyKey: "short") }

            // The same key twice at once: one charge, one payment.
            let third = try await visits.request(VisitRequestForm(condition: "pa-c", description: "续药"), patient: "pa")
            _ = try await visits.accept(third.id, by: actor)
            let before = await provider.charges
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 { group.addTask { try await payments.pay(kind: "visit", item: third.id, patient: "pa", idempotencyKey: "k-000000005").0.id } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            #expect(await provider.charges == before + 1)
        }
    }

    @Test func educationFitsTheResidentsRecord() async throws {
        try await TestServer.run { server in
            let w = try await Self.world(server)
            let education = Education(store: server.platform.fhir)
            try await education.save(Education.starterArticles)
            let (profile, forA) = try await education.forResident("pa", today: "2026-11-24")
            #expect(profile.age == 62 && profile.sex == "female" && profile.codes == ["I10"])
            let idsA = Set(forA.map(\.id))
            #expect(idsA.isSuperset(of: ["edu-htn-salt", "edu-htn-home-bp", "edu-stroke-signs", "edu-women-screening", "edu-men-colorectal", "edu-vaccine-flu"]))
            #expect(!idsA.contains("edu-dm-diet") && !idsA.contains("edu-elderly-falls") && !idsA.contains("edu-copd-breathing"))
            #expect(forA.first?.conditions.isEmpty == false)
            let (profileB, forB) = try await education.forResident("pb", today: "2026-11-24")
            #expect(profileB.age == 36 && profileB.codes == ["E11.9"])
            let idsB = Set(forB.map(\.id))
            #expect(idsB.contains("edu-dm-diet") && idsB.contains("edu-dm-hba1c") && !idsB.contains("edu-htn-salt") && !idsB.contains("edu-women-screening") && !idsB.contains("edu-men-colorectal"))
            let (status, text) = try await Self.get(w.b, "/api/v1/portal/education")
            #expect(status == 200 && text.contains("edu-dm-diet") && !text.contains("edu-htn-salt"))
            let (forbidden, _) = try await Self.get(w.doctor, "/api/v1/portal/education")
            #expect(forbidden == 403)
        }
    }

    @Test func aLowRatingOpensASupervisionCase() async throws {
        try await TestServer.run { server in
            let w = try await Self.world(server)
            var (_, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"pa-c","description":"续药"}"#)
            let visit = try Self.decode(VisitItem.self, text)
            var status: Int
            (status, _) = try await Self.post(w.a, "/api/v1/portal/ratings", #"{"kind":"visit","service":"\#(visit.id)","score":5}"#)
            #expect(status == 409)
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/accept")
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/note", #"{"note":"继续原方案"}"#)
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(visit.id)/complete")
            (status, text) = try await Self.post(w.a, "/api/v1/portal/ratings", #"{"kind":"visit","service":"\#(visit.id)","score":2}"#)
            #expect(status == 422 && text.contains("具体情况"), "\(text)")
            (status, text) = try await Self.post(w.a, "/api/v1/portal/ratings", #"{"kind":"visit","service":"\#(visit.id)","score":2,"comment":"等了两天才接诊，医生态度敷衍"}"#)
            #expect(status == 201, "\(text)")
            struct RatingItem: Decodable { var id: String; var complaint: Bool; var caseID: String? }
            let rating = try Self.decode(RatingItem.self, text)
            let caseID = try #require(rating.caseID)
            #expect(rating.complaint)
            let opened = try #require(try await Enforcement(database: server.platform.database).case(caseID, district: "310105"))
            #expect(opened.institution == w.chc.id && opened.detail.contains("等了两天"))
            // Forwarded once: nothing left to claim, and a second forwarder opens nothing.
            #expect(try await Ratings(database: server.platform.database).claim(rating.id) == false)
            #expect(try await Ratings(database: server.platform.database).unforwarded().isEmpty)
            (status, _) = try await Self.post(w.a, "/api/v1/portal/ratings", #"{"kind":"visit","service":"\#(visit.id)","score":5}"#)
            #expect(status == 409)
            // A good rating opens nothing.
            let before = try await Enforcement(database: server.platform.database).cases(district: "310105").count
            (_, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"pa-c","description":"续药"}"#)
            let good = try Self.decode(VisitItem.self, text)
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(good.id)/accept")
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(good.id)/note", #"{"note":"好"}"#)
            _ = try await Self.post(w.doctor, "/api/v1/portal/visits/\(good.id)/complete")
            (status, text) = try await Self.post(w.a, "/api/v1/portal/ratings", #"{"kind":"visit","service":"\#(good.id)","score":5,"comment":"很方便"}"#)
            #expect(status == 201 && text.contains(#""complaint":false"#), "\(text)")
            #expect(try await Enforcement(database: server.platform.database).cases(district: "310105").count == before)
        }
    }

    @Test func twoClinicsAcceptingAtOnceOneWins() async throws {
        try await TestServer.run { server in
            let w = try await Self.world(server)
            let colleague = try await server.client(as: Principal(subject: "acc-fd-b", role: .familyDoctor, displayName: "李医生", institution: w.chc.id, practitioner: "fd-a"))
            for _ in 0..<3 {
                let (_, text) = try await Self.post(w.a, "/api/v1/portal/visits", #"{"condition":"pa-c","description":"续药"}"#)
                let visit = try Self.decode(VisitItem.self, text)
                let codes = try await withThrowingTaskGroup(of: Int.self) { group in
                    for client in [w.doctor, colleague] {
                        group.addTask { try await Self.post(client, "/api/v1/portal/visits/\(visit.id)/accept").0 }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(codes.sorted() == [200, 409], "\(codes)")
            }
        }
    }

    @Test func largeTextModeIsACookieThePagesRead() async throws {
        try await TestServer.run { server in
            let (status, location, cookie) = try await server.client.execute(uri: "/display/large?on=1&back=/login", method: .get, headers: [:], body: nil) {
                ($0.status, $0.headers[.location], $0.headers[.setCookie])
            }
            #expect(status == .seeOther && location == "/login" && cookie?.contains("weijian_large=1") == true, "\(cookie ?? "")")
            let large = try await server.client.execute(uri: "/login", method: .get, headers: [.cookie: "weijian_large=1"], body: nil) { String(buffer: $0.body) }
            #expect(large.contains("<body class=\"large\">") && large.contains("标准字体"))
            let normal = try await server.client.execute(uri: "/login", method: .get, headers: [:], body: nil) { String(buffer: $0.body) }
            #expect(!normal.contains("class=\"large\"") && normal.contains("大字版"))
            // Back only to this site.
            let away = try await server.client.execute(uri: "/display/large?on=0&back=//evil.example", method: .get, headers: [:], body: nil) { $0.headers[.location] }
            #expect(away == "/")
        }
    }

    @Test func preReviewRulesAreData() async throws {
        try await TestServer.run { server in
            let rules = try await server.platform.database.read { sql in try await PreReview.rules(sql: sql) }
            #expect(Set(rules.map(\.kind)) == ["max-dose", "duplicate", "interaction"])
            let items = [PrescriptionItem(atc: "C09AA02", dose: 10, timesPerDay: 1, days: 30), PrescriptionItem(atc: "C09CA04", dose: 150, timesPerDay: 1, days: 30)]
            let none: [JSONValue] = []
            #expect(PreReview.check(items, requests: none, active: [], rules: rules).contains { $0.contains("依那普利与厄贝沙坦") })
            // Switched off, the interaction passes.
            let off = rules.map { rule -> PreReviewRule in var rule = rule; if rule.id == "ix-acei-arb" { rule.enabled = false }; return rule }
            #expect(PreReview.check(items, requests: none, active: [], rules: off).isEmpty)
            let manager = try await server.client(as: Principal(subject: "acc-m", role: .commissionManager, displayName: "药事", district: "310105"))
            let (status, text) = try await manager.call(.post, "/api/v1/portal/prereview-rules", #"{"id":"ix-test","atcA":"n02be","atcB":"C10AA05","reason":"测试"}"#)
            #expect(status == .ok && String(buffer: text).contains("N02BE"))
        }
    }
}
