import Access
import FHIR
import Foundation
import HTTPTypes
import Storage
import Supervision
import Testing
import WeijianTesting

/// 一网通办 行政审批: the status flow and its refusals, who may see and do what, the licence an approval registers,
/// time limits against a given day, ratings once only and the figures on crafted data; on the engine the
/// environment names, over real HTTP where it is about the API.
@Suite struct ApprovalTests {
    /// 10:00 in Shanghai on `day`.
    static func at(_ day: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: "\(day)T10:00:00+08:00"))
    }

    static let physicianMaterials = #"["application-form","identity","physician-qualification","health-certificate","employment"]"#

    @Test func statusFlowAccessAndTheLicenceAnApprovalRegisters() async throws {
        try await TestServer.run { server in
            let applicant = try await server.client(as: Principal(subject: "clin-a", role: .hospitalClinician, displayName: "王医生", institution: "cn-chc-huayang",
                                                                  practitioner: "dr-ap1"))
            let other = try await server.client(as: Principal(subject: "fd-b", role: .familyDoctor, displayName: "李医生", institution: "cn-chc-huayang", practitioner: "dr-ap2"))
            let staff = try await server.client(as: Principal(subject: "staff-c", role: .chcStaff, displayName: "社区职员", institution: "cn-chc-huayang"))
            let commission = try await server.client(as: Principal(subject: "mgr-a", role: .commissionManager, displayName: "卫健委", district: "310105"))
            let elsewhere = try await server.client(as: Principal(subject: "mgr-b", role: .commissionManager, displayName: "闵行卫健委", district: "310112"))
            let inspector = try await server.client(as: Principal(subject: "insp-a", role: .healthInspector, displayName: "监督员", district: "310105"))
            func call(_ client: AuthorizedClient, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> (Int, String) {
                let (status, text) = try await client.call(method, uri, body)
                return (status.code, String(buffer: text))
            }
            /// The application in a response, nil when it is not one (an error).
            func approval(_ text: String) -> Approval? { try? JSONDecoder().decode(Approval.self, from: Data(text.utf8)) }
            let base = "/api/v1/supervision/approvals"

            // Required materials are named when missing; unknown scopes and bad validity refused.
            var (status, text) = try await call(applicant, .post, base,
                                                #"{"kind":"physician-registration","scope":["internal-medicine"],"validFrom":"2026-01-01","validTo":"2031-01-01","materials":["application-form","identity"]}"#)
            #expect(status == 422 && text.contains("医师资格证书") && text.contains("体检证明") && text.contains("拟执业机构聘用证明") && !text.contains("身份证明"), "\(status) \(text)")
            (status, text) = try await call(applicant, .post, base,
                                            #"{"kind":"physician-registration","scope":["astrology"],"validFrom":"2026-01-01","validTo":"2031-01-01","materials":\#(Self.physicianMaterials)}"#)
            #expect(status == 422 && text.contains("未知执业范围"), "\(text)")
            (status, text) = try await call(applicant, .post, base,
                                            #"{"kind":"physician-registration","scope":["surgery"],"validFrom":"2031-01-01","validTo":"2026-01-01","materials":\#(Self.physicianMaterials)}"#)
            #expect(status == 422 && text.contains("须晚于"), "\(text)")
            // Wrong roles: a clinician for an institution licence, an account without a practitioner, an inspector.
            (status, text) = try await call(applicant, .post, base,
                                            #"{"kind":"institution-registration","scope":[],"validFrom":"2026-01-01","validTo":"2031-01-01","materials":[]}"#)
            #expect(status == 403 && text.contains("社区卫生服务中心主任"), "\(text)")
            (status, text) = try await call(staff, .post, base,
                                            #"{"kind":"physician-registration","scope":["surgery"],"validFrom":"2026-01-01","validTo":"2031-01-01","materials":\#(Self.physicianMaterials)}"#)
            #expect(status == 403 && text.contains("未关联执业人员"), "\(text)")
            (status, _) = try await call(inspector, .get, base)
            #expect(status == 403)

            (status, text) = try await call(applicant, .post, base,
                                            #"{"kind":"physician-registration","scope":["internal-medicine","general-practice"],"validFrom":"2026-01-01","validTo":"2031-01-01","materials":\#(Self.physicianMaterials)}"#)
            #expect(status == 201, "\(text)")
            let id = try #require(approval(text)).id
            #expect(approval(text)?.status == "submitted" && approval(text)?.holder == "dr-ap1")

            // Another applicant, another district's commission: not found; the applicant cannot decide.
            for (client, method, uri, body) in [(other, HTTPRequest.Method.get, "\(base)/\(id)", nil as String?), (elsewhere, .get, "\(base)/\(id)", nil),
                                                (elsewhere, .post, "\(base)/\(id)/transitions", #"{"action":"accept"}"#),
                                                (other, .post, "\(base)/\(id)/transitions", #"{"action":"resubmit","materials":[]}"#)] {
                (status, text) = try await call(client, method, uri, body)
                #expect(status == 404 && text.contains("没有审批申请"), "\(uri): \(status) \(text)")
            }
            (status, text) = try await call(other, .get, base)
            #expect(status == 200 && text == "[]", "\(text)")
            (status, _) = try await call(applicant, .post, "\(base)/\(id)/transitions", #"{"action":"accept"}"#)
            #expect(status == 403)
            (status, _) = try await call(inspector, .post, "\(base)/\(id)/transitions", #"{"action":"accept"}"#)
            #expect(status == 403)

            // Invalid transitions: 409; a return needs a reason.
            for (body, expected, why) in [(#"{"action":"approve","licenceNumber":"N-1"}"#, 409, "不能准予许可"), (#"{"action":"reject","reason":"不符合"}"#, 409, "不能不予许可"),
                                          (#"{"action":"return","reason":" "}"#, 422, "补正的内容"), (#"{"action":"fly"}"#, 422, "操作须为")] {
                (status, text) = try await call(commission, .post, "\(base)/\(id)/transitions", body)
                #expect(status == expected && text.contains(why), "\(body): \(status) \(text)")
            }
            (status, text) = try await call(applicant, .post, "\(base)/\(id)/transitions", #"{"action":"resubmit","materials":\#(Self.physicianMaterials)}"#)
            #expect(status == 409 && text.contains("已提交"), "\(text)")

            // Returned for more material, resubmitted with it (without it: 422 naming it).
            (status, text) = try await call(commission, .post, "\(base)/\(id)/transitions", #"{"action":"return","reason":"体检证明已过期，请补交","materials":["supplementary"]}"#)
            #expect(status == 200 && approval(text)?.status == "returned" && approval(text)?.requestedMaterials == ["supplementary"], "\(text)")
            (status, text) = try await call(commission, .post, "\(base)/\(id)/transitions", #"{"action":"accept"}"#)
            #expect(status == 409 && text.contains("退回补正"), "\(text)")
            (status, text) = try await call(applicant, .post, "\(base)/\(id)/transitions", #"{"action":"resubmit","materials":\#(Self.physicianMaterials)}"#)
            #expect(status == 422 && text.contains("其他补充材料"), "\(text)")
            let more = Self.physicianMaterials.replacingOccurrences(of: "]", with: #","supplementary"]"#)
            (status, text) = try await call(applicant, .post, "\(base)/\(id)/transitions", #"{"action":"resubmit","materials":\#(more)}"#)
            #expect(status == 200 && approval(text)?.status == "submitted", "\(text)")

            // Accepted: due in 10 working days; rating before the conclusion refused.
            (status, text) = try await call(commission, .post, "\(base)/\(id)/transitions", #"{"action":"accept"}"#)
            let accepted = try #require(approval(text), "\(text)")
            let approvals = Approvals(database: server.platform.database)
            #expect(status == 200 && accepted.status == "accepted" && accepted.dueDay == approvals.addingWorkingDays(10, to: CalendarDay.today()), "\(text)")
            (status, _) = try await call(commission, .post, "\(base)/\(id)/transitions", #"{"action":"accept"}"#)
            #expect(status == 409)
            (status, text) = try await call(applicant, .post, "\(base)/\(id)/rating", #"{"score":5}"#)
            #expect(status == 409 && text.contains("办结后"), "\(text)")

            // Approval needs a number not yet recorded; a refused approval leaves no licence and the status as it was.
            (status, text) = try await call(commission, .post, "\(base)/\(id)/transitions", #"{"action":"approve"}"#)
            #expect(status == 422 && text.contains("证书编号"), "\(text)")
            (status, text) = try await call(commission, .post, "/api/v1/supervision/licences",
                                            #"{"holderType":"practitioner","holder":"dr-zz","kind":"physician","number":"110310009999","scope":["surgery"],"validFrom":"2020-01-01","validTo":"2030-01-01"}"#)
            #expect(status == 201, "\(text)")
            (status, text) = try await call(commission, .post, "\(base)/\(id)/transitions", #"{"action":"approve","licenceNumber":"110310009999"}"#)
            #expect(status == 409 && text.contains("已登记"), "\(text)")
            (status, text) = try await call(commission, .post, "\(base)/\(id)/transitions", #"{"action":"approve","licenceNumber":"110310000777"}"#)
            let approved = try #require(approval(text), "\(text)")
            #expect(status == 200 && approved.status == "approved" && approved.licenceNumber == "110310000777" && approved.onTime == true, "\(text)")
            (status, text) = try await call(commission, .get, "/api/v1/supervision/licences")
            let licences = try JSONDecoder().decode([Licence].self, from: Data(text.utf8))
            #expect(licences.filter { $0.holder == "dr-ap1" }.map { "\($0.kind) \($0.number) \($0.scope) \($0.validTo)" }
                    == ["physician 110310000777 [\"general-practice\", \"internal-medicine\"] 2031-01-01"], "\(licences)")
            (status, _) = try await call(commission, .post, "\(base)/\(id)/transitions", #"{"action":"reject","reason":"x"}"#)
            #expect(status == 409)

            // The history, oldest first.
            (status, text) = try await call(applicant, .get, "\(base)/\(id)")
            #expect(status == 200 && approval(text)?.history.map(\.action) == ["submit", "return", "resubmit", "accept", "approve"], "\(text)")

            // Ratings: 1–5, once, by the applicant; a poor one followed up once by the commission.
            (status, _) = try await call(applicant, .post, "\(base)/\(id)/rating", #"{"score":6}"#)
            #expect(status == 422)
            (status, _) = try await call(other, .post, "\(base)/\(id)/rating", #"{"score":5}"#)
            #expect(status == 404)
            (status, text) = try await call(applicant, .post, "\(base)/\(id)/rating", #"{"score":2,"comment":"窗口电话打不通"}"#)
            #expect(status == 200 && approval(text)?.rating == 2, "\(text)")
            (status, text) = try await call(applicant, .post, "\(base)/\(id)/rating", #"{"score":5}"#)
            #expect(status == 409 && text.contains("只能评价一次"), "\(text)")
            (status, text) = try await call(commission, .get, "\(base)?filter=poor-rating")
            #expect(status == 200 && (try? JSONDecoder().decode([Approval].self, from: Data(text.utf8)))?.map(\.id) == [id], "\(text)")
            (status, _) = try await call(applicant, .post, "\(base)/\(id)/follow-up", #"{"note":"x"}"#)
            #expect(status == 403)
            (status, text) = try await call(commission, .post, "\(base)/\(id)/follow-up", #"{"note":"已增设咨询专线并回访申请人"}"#)
            #expect(status == 200 && approval(text)?.followUp == "已增设咨询专线并回访申请人", "\(text)")
            (status, _) = try await call(commission, .post, "\(base)/\(id)/follow-up", #"{"note":"again"}"#)
            #expect(status == 409)
            (status, text) = try await call(commission, .get, "\(base)/stats")
            let stats = try JSONDecoder().decode(ApprovalStats.self, from: Data(text.utf8))
            #expect(status == 200 && stats.concluded == 1 && stats.poorRatings == 1 && stats.poorAwaitingFollowUp == 0 && stats.goodRate == 0, "\(text)")
            (status, _) = try await call(applicant, .get, "\(base)/stats")
            #expect(status == 403)
            (status, text) = try await call(commission, .get, "\(base)?filter=nonsense")
            #expect(status == 400 && text.contains("filter"), "\(text)")
        }
    }

    @Test func aCHCManagerAppliesForTheInstitutionAndTheLicenceNamesIt() async throws {
        try await TestServer.run { server in
            let manager = try await server.client(as: Principal(subject: "chcm-a", role: .chcManager, displayName: "主任", institution: "cn-chc-huayang"))
            let commission = try await server.client(as: Principal(subject: "mgr-a", role: .commissionManager, displayName: "卫健委", district: "310105"))
            let base = "/api/v1/supervision/approvals"
            var (status, body) = try await manager.call(.post, base, #"{"kind":"radiology","scope":[],"validFrom":"2026-01-01","validTo":"2031-01-01","materials":["application-form"]}"#)
            #expect(status.code == 422 && String(buffer: body).contains("放射诊疗设备性能及防护检测报告"), "\(String(buffer: body))")
            (status, body) = try await manager.call(.post, base, #"{"kind":"physician-registration","scope":["surgery"],"validFrom":"2026-01-01","validTo":"2031-01-01","materials":\#(Self.physicianMaterials)}"#)
            #expect(status.code == 403, "a manager without a practitioner record: \(String(buffer: body))")
            (status, body) = try await manager.call(.post, base,
                                                    #"{"kind":"radiology","scope":[],"validFrom":"2026-01-01","validTo":"2031-01-01","materials":["application-form","radiation-assessment","radiation-testing","radiation-staff","rules"]}"#)
            let id = try JSONDecoder().decode(Approval.self, from: Data(buffer: body)).id
            #expect(status.code == 201)
            (status, _) = try await commission.call(.post, "\(base)/\(id)/transitions", #"{"action":"accept"}"#)
            (status, body) = try await commission.call(.post, "\(base)/\(id)/transitions", #"{"action":"approve","licenceNumber":"FS-2026-001"}"#)
            #expect(status == .ok, "\(String(buffer: body))")
            (_, body) = try await commission.call(.get, "/api/v1/supervision/licences")
            let licences = try JSONDecoder().decode([Licence].self, from: Data(buffer: body))
            #expect(licences.map { "\($0.holderType) \($0.holder) \($0.kind) \($0.number)" } == ["institution cn-chc-huayang radiology FS-2026-001"])
        }
    }

    @Test func workingDaysAndOverdueAgainstAGivenDay() async throws {
        try await TestServer.run { server in
            let approvals = Approvals(database: server.platform.database)
            // Friday 2026-11-06 + 5 working days is Friday 11-13; Monday 11-09 + 10 is Monday 11-23 (weekends skipped).
            #expect(approvals.addingWorkingDays(5, to: "2026-11-06") == "2026-11-13")
            #expect(approvals.addingWorkingDays(10, to: "2026-11-09") == "2026-11-23")
            #expect(Approvals(database: server.platform.database, holidays: ["2026-11-10"]).addingWorkingDays(10, to: "2026-11-09") == "2026-11-24")
            let applicant = Applicant(account: "clin-o", name: "赵医生", district: "310105", institution: nil, practitioner: "dr-o")
            let form = ApprovalForm(kind: "physician-registration", scope: ["surgery"], validFrom: "2026-11-01", validTo: "2031-11-01",
                                    materials: ["application-form", "identity", "physician-qualification", "health-certificate", "employment"])
            var item = try await approvals.submit(form, by: applicant, now: try Self.at("2026-11-06"))
            #expect(approvals.overdue(item, on: "2026-11-13") == nil)
            #expect(approvals.overdue(item, on: "2026-11-14") == "acceptance")
            #expect(try await approvals.list(district: "310105", on: "2026-11-16").map(\.overdue) == ["acceptance"])
            item = try await approvals.decide(item.id, action: "accept", reason: nil, district: "310105", actor: "mgr", now: try Self.at("2026-11-09"))
            #expect(item.acceptedDay == "2026-11-09" && item.dueDay == "2026-11-23")
            #expect(approvals.overdue(item, on: "2026-11-23") == nil)
            #expect(approvals.overdue(item, on: "2026-11-24") == "decision")
            // Concluded late: not overdue any more, but not on time.
            item = try await approvals.decide(item.id, action: "reject", reason: "执业地点与聘用证明不符", district: "310105", actor: "mgr", now: try Self.at("2026-11-25"))
            #expect(item.onTime == false && approvals.overdue(item, on: "2026-12-31") == nil)
        }
    }

    /// Two managers approving the same application at once, under different numbers: one approval, one licence,
    /// the application naming it (the loser's licence, registered before its status change failed, is removed).
    @Test func concurrentApprovalsLeaveOneLicence() async throws {
        try await TestServer.run { server in
            let approvals = Approvals(database: server.platform.database)
            for round in 0..<5 {
                let applicant = Applicant(account: "clin-c\(round)", name: "钱医生", district: "310105", institution: nil, practitioner: "dr-c\(round)")
                let form = ApprovalForm(kind: "physician-registration", scope: ["surgery"], validFrom: "2026-11-01", validTo: "2031-11-01",
                                        materials: ["application-form", "identity", "physician-qualification", "health-certificate", "employment"])
                let id = try await approvals.submit(form, by: applicant).id
                _ = try await approvals.decide(id, action: "accept", reason: nil, district: "310105", actor: "mgr")
                @Sendable func approve(_ number: String) async -> Result<Approval, any Error> {
                    do { return .success(try await approvals.decide(id, action: "approve", reason: nil, licenceNumber: number, district: "310105", actor: number)) }
                    catch { return .failure(error) }
                }
                async let first = approve("CC-\(round)-A")
                async let second = approve("CC-\(round)-B")
                let outcomes = await [first, second]
                let approved = outcomes.compactMap { try? $0.get() }
                #expect(approved.count == 1, "\(outcomes)")
                for case .failure(let error) in outcomes { #expect((error as? FHIRError)?.status == 409, "\(error)") }
                let held = try await approvals.licences.licences(district: "310105").filter { $0.holder == "dr-c\(round)" }
                let shown = try await approvals.approval(id, district: "310105")
                #expect(held.count == 1 && held.first?.number == shown.licenceNumber && shown.status == "approved", "\(held) \(shown.licenceNumber ?? "-")")
            }
        }
    }

    @Test func statisticsOnCraftedData() async throws {
        try await TestServer.run { server in
            let approvals = Approvals(database: server.platform.database)
            let materials = ["application-form", "identity", "physician-qualification", "health-certificate", "employment"]
            /// Submitted, then each (action, day) in turn, then rated.
            func craft(_ name: String, submitted: String, steps: [(String, String)], rating: Int? = nil) async throws -> String {
                let applicant = Applicant(account: "acc-\(name)", name: name, district: "310105", institution: nil, practitioner: "dr-\(name)")
                let form = ApprovalForm(kind: "physician-registration", scope: ["surgery"], validFrom: "2026-11-01", validTo: "2031-11-01", materials: materials)
                let id = try await approvals.submit(form, by: applicant, now: try Self.at(submitted)).id
                for (action, day) in steps {
                    _ = try await approvals.decide(id, action: action, reason: action == "reject" ? "材料不实" : nil, licenceNumber: "ST-\(name)",
                                                   district: "310105", actor: "mgr", now: try Self.at(day))
                }
                if let rating { _ = try await approvals.rate(id, score: rating, comment: nil, by: applicant) }
                return id
            }
            // Physician registrations: 10 working days from acceptance.
            _ = try await craft("a1", submitted: "2026-11-02", steps: [("accept", "2026-11-03"), ("approve", "2026-11-10")], rating: 5)  // due 11-17: on time, 8 days
            let a2 = try await craft("a2", submitted: "2026-11-02", steps: [("accept", "2026-11-02"), ("reject", "2026-11-20")], rating: 1)  // due 11-16: late, 18 days
            _ = try await craft("a3", submitted: "2026-11-02", steps: [("accept", "2026-11-04"), ("approve", "2026-11-04")], rating: 3)  // on time, 2 days
            _ = try await craft("a6", submitted: "2026-11-02", steps: [("accept", "2026-11-02"), ("reject", "2026-11-03")], rating: 2)  // on time, 1 day
            _ = try await craft("a4", submitted: "2026-11-05", steps: [])  // acceptance due 11-12: overdue on 11-20
            _ = try await craft("a5", submitted: "2026-11-16", steps: [("accept", "2026-11-16")])  // due 11-30: not overdue on 11-20
            _ = try await approvals.followUp(a2, note: "约谈窗口负责人，补充告知材料要求", district: "310105", actor: "mgr")

            let stats = try await approvals.stats(district: "310105", on: "2026-11-20")
            #expect(stats.applications == 6 && stats.open == 2 && stats.overdue == 1)
            #expect(stats.concluded == 4 && stats.concludedOnTime == 3 && stats.onTimeRate == 0.75)
            #expect(stats.averageDaysToConclusion == 7.25)  // (8 + 18 + 2 + 1) / 4
            #expect(stats.ratings == 4 && stats.goodRatings == 2 && stats.goodRate == 0.5)  // 5 and 3 good; 1 and 2 poor
            #expect(stats.poorRatings == 2 && stats.poorAwaitingFollowUp == 1)
            // Another district sees none of it.
            #expect(try await approvals.stats(district: "310112", on: "2026-11-20").applications == 0)
        }
    }
}
