import Access
import Foundation
import HTTPTypes
import Registry
import Storage
import Supervision
import Testing
import WeijianTesting

/// 信用分级分类: the documented formula on crafted inputs against hand-computed scores, the grade boundaries,
/// the inspection days a grade sets, and the whole path over HTTP: a finding penalised lowers an institution's
/// grade, and the plan inspects it more often.
@Suite struct CreditGradingTests {
    @Test func theScoreFollowsTheDocumentedFormula() {
        // Nothing against it: 100, A, once a year.
        var graded = CreditGrading.grade(CreditInputs())
        #expect(graded.score == 100 && graded.grade == "A" && graded.inspections == 1 && graded.deductions.isEmpty)
        // A serious finding penalised (12 + 4), a general one rectified on time (6 / 2 = 3), a minor one (2): 100 − 21 = 79, B.
        graded = CreditGrading.grade(CreditInputs(findings: [CreditFinding(severity: "serious", penalised: true, rectifiedOnTime: false),
                                                             CreditFinding(severity: "general", penalised: false, rectifiedOnTime: true),
                                                             CreditFinding(severity: "minor", penalised: false, rectifiedOnTime: false)]))
        #expect(graded.score == 79 && graded.grade == "B" && graded.inspections == 2)
        #expect(graded.deductions.map(\.points) == [12, 4, 3, 2])
        // Seven complaints (14, capped at 10), one waste alert (2), data quality 80% (15 short: 3): 100 − 15 = 85.
        graded = CreditGrading.grade(CreditInputs(complaints: 7, wasteAlerts: 1, dataQuality: 80))
        #expect(graded.score == 85 && graded.grade == "B" && graded.deductions.map(\.points) == [10, 2, 3])
        // Three serious findings penalised (48) and five complaints (10): 42, D, monthly.
        let serious = CreditFinding(severity: "serious", penalised: true, rectifiedOnTime: false)
        graded = CreditGrading.grade(CreditInputs(findings: [serious, serious, serious], complaints: 5))
        #expect(graded.score == 42 && graded.grade == "D" && graded.inspections == 12)
        // Never below zero.
        #expect(CreditGrading.grade(CreditInputs(findings: Array(repeating: serious, count: 10))).score == 0)
        // Data quality: 94.9% loses 1 (part of 5 points), 95% nothing, 0% the cap of 10; a minor finding rectified on time 1.
        #expect(CreditGrading.grade(CreditInputs(dataQuality: 94.9)).score == 99)
        #expect(CreditGrading.grade(CreditInputs(dataQuality: 95)).score == 100)
        #expect(CreditGrading.grade(CreditInputs(dataQuality: 0)).score == 90)
        #expect(CreditGrading.grade(CreditInputs(findings: [CreditFinding(severity: "minor", penalised: false, rectifiedOnTime: true)])).score == 99)
    }

    @Test func gradeBoundariesAndInspectionDays() {
        // 90 is A, 89 B; 75 B, 74 C; 60 C, 59 D: made of complaints and waste alerts (2 each, capped at 10),
        // data quality (a point for each 5 or part short of 95%) and two general findings (6 each).
        func graded(_ findings: Int, _ complaints: Int, _ alerts: Int, _ quality: Double?) -> String {
            let general = CreditFinding(severity: "general", penalised: false, rectifiedOnTime: false)
            let result = CreditGrading.grade(CreditInputs(findings: Array(repeating: general, count: findings), complaints: complaints, wasteAlerts: alerts, dataQuality: quality))
            return "\(result.score) \(result.grade)"
        }
        #expect(graded(0, 5, 0, nil) == "90 A")
        #expect(graded(0, 5, 0, 94) == "89 B")
        #expect(graded(0, 5, 5, 70) == "75 B")
        #expect(graded(0, 5, 5, 69) == "74 C")
        #expect(graded(2, 5, 5, 55) == "60 C")
        #expect(graded(2, 5, 5, 54) == "59 D")
        // The middle of each equal part of the year: once on 2 July; four times on 15 Feb, 17 May, 17 Aug, 16 Nov.
        #expect(CreditGrading.dueDays(year: 2026, count: 1) == ["2026-07-02"])
        #expect(CreditGrading.dueDays(year: 2026, count: 4) == ["2026-02-15", "2026-05-17", "2026-08-17", "2026-11-16"])
        #expect(CreditGrading.dueDays(year: 2026, count: 12).count == 12 && CreditGrading.dueDays(year: 2026, count: 12).first == "2026-01-16")
    }

    struct Record: Decodable { var institution: String; var score: Int; var grade: String; var inspectionsPerYear: Int }
    struct Inspection: Decodable { var id: String; var institution: String; var dueDay: String; var status: String; var result: String?; var caseID: String? }
    struct Case: Decodable { var id: String; var status: String; var severity: String?; var source: String }

    @Test func aPenalisedFindingLowersTheGradeAndThePlanFollows() async throws {
        try await TestServer.run { server in
            let inspector = try await server.client(as: Principal(subject: "insp-g", role: .healthInspector, displayName: "监督员", district: "310105"))
            let chcs = Catalog.institutions.filter { $0.type == "chc" && $0.district == "310105" }
            let (chc, other) = (try #require(chcs.first), try #require(chcs.last))
            func call<T: Decodable>(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, as type: T.Type) async throws -> T {
                let (status, text) = try await inspector.call(method, path, body)
                #expect(status.code < 300, "\(path): \(status) \(String(buffer: text))")
                return try JSONDecoder().decode(type, from: Data(buffer: text))
            }
            // A serious finding at the CHC, penalised with a warning: 100 − 12 − 4 = 84, B.
            let opened = try await call(.post, "/api/v1/supervision/cases", #"{"institution":"\#(chc.id)","subject":"\#(chc.name)","detail":"使用过期药品"}"#, as: Case.self)
            _ = try await call(.post, "/api/v1/supervision/cases/\(opened.id)/actions", #"{"action":"find","detail":"查实","severity":"serious"}"#, as: Case.self)
            _ = try await call(.post, "/api/v1/supervision/cases/\(opened.id)/actions", #"{"action":"penalise","detail":"警告","penalty":"warning"}"#, as: Case.self)
            // A complaint from the public about the other CHC: 98, still A. A dismissed one counts for nothing.
            let place = try #require(Catalog.subdistricts(of: "310105").first).code
            for _ in 0..<2 {
                let (status, _) = try await server.client.call(.post, "/api/v1/public/supervision-reports",
                                                               #"{"kind":"complaint","subdistrict":"\#(place)","place":"门诊","institution":"\#(other.id)","description":"候诊时间过长"}"#)
                #expect(status == .created)
            }
            let complaints = try await call(.get, "/api/v1/supervision/cases?source=public", as: [Case].self)
            _ = try await call(.post, "/api/v1/supervision/cases/\(complaints[0].id)/actions", #"{"action":"dismiss","detail":"经核实不属实"}"#, as: Case.self)

            var records = try await call(.get, "/api/v1/supervision/credit", as: [Record].self)
            let graded = Catalog.institutions.filter { $0.district == "310105" && CreditGrading.gradedTypes.contains($0.type) }
            #expect(records.count == graded.count && !records.contains { $0.institution == "cn-cdc-changning" })
            #expect(records.first { $0.institution == chc.id }.map { "\($0.score) \($0.grade) \($0.inspectionsPerYear)" } == "84 B 2")
            #expect(records.first { $0.institution == other.id }.map { "\($0.score) \($0.grade)" } == "98 A")
            #expect(records.filter { $0.institution != chc.id && $0.institution != other.id }.allSatisfy { $0.score == 100 && $0.grade == "A" })
            #expect(records.first?.institution == chc.id, "lowest score first")

            // Next year's plan: twice for the CHC, once for every other; planning again changes nothing.
            let year = (Int(CalendarDay.today().prefix(4)) ?? 2026) + 1
            var plan = try await call(.post, "/api/v1/supervision/inspections/plan", #"{"year":\#(year)}"#, as: [Inspection].self)
            #expect(plan.count == graded.count + 1)
            #expect(plan.filter { $0.institution == chc.id }.map(\.dueDay) == CreditGrading.dueDays(year: year, count: 2))
            plan = try await call(.post, "/api/v1/supervision/inspections/plan", #"{"year":\#(year)}"#, as: [Inspection].self)
            #expect(plan.count == graded.count + 1)
            let (badYear, _) = try await inspector.call(.post, "/api/v1/supervision/inspections/plan", #"{"year":1990}"#)
            #expect(badYear == .unprocessableContent)

            // The CHC's first inspection finds a minor problem: a case already found; recording it again is refused.
            let first = try #require(plan.first { $0.institution == chc.id })
            var (status, text) = try await inspector.call(.post, "/api/v1/supervision/inspections/\(first.id)", #"{"result":"findings","detail":"处方点评记录不全"}"#)
            #expect(status == .unprocessableContent && String(buffer: text).contains("情节"))
            let done = try await call(.post, "/api/v1/supervision/inspections/\(first.id)", #"{"result":"findings","detail":"处方点评记录不全","severity":"minor"}"#, as: Inspection.self)
            #expect(done.status == "done" && done.result == "findings")
            let found = try await call(.get, "/api/v1/supervision/cases/\(try #require(done.caseID))", as: Case.self)
            #expect(found.status == "found" && found.severity == "minor" && found.source == "plan")
            (status, text) = try await inspector.call(.post, "/api/v1/supervision/inspections/\(first.id)", #"{"result":"compliant","detail":"再记"}"#)
            #expect(status == .conflict, "\(String(buffer: text))")
            // The minor finding costs 2 more: 82.
            records = try await call(.get, "/api/v1/supervision/credit", as: [Record].self)
            #expect(records.first { $0.institution == chc.id }?.score == 82)
            // Only inspectors and the commission.
            let staff = try await server.client(as: Principal(subject: "chc-g", role: .chcManager, displayName: "主任", institution: chc.id))
            (status, _) = try await staff.call(.get, "/api/v1/supervision/credit")
            #expect(status == .forbidden)
        }
    }
}
