import Access
import ChronicCare
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage

extension Enrolment: ResponseEncodable {}
extension DiabetesRiskScore: ResponseEncodable {}
extension ScreeningRun: ResponseEncodable {}
extension Screening: ResponseEncodable {}
extension CoManagementSummary: ResponseEncodable {}
extension CheckDue: ResponseEncodable {}

/// Chronic disease management under `/api/v1/chronic`: follow-ups, the family doctor's chronic worklist,
/// confirming suspected cases, and rates for managers.
struct ChronicRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let chronic: ChronicService

    struct WorklistEntry: Codable {
        var patient: String; var name: String; var programme: String; var status: String; var nextDue: String?; var lastFollowUp: String?; var controlled: Bool?
        var uncontrolledStreak: Int
        /// The referral suggested within 90 days (a ServiceRequest id), for the escalation list.
        var referral: String?
    }
    struct ScreeningEntry: Codable { var patient: String; var name: String; var points: Int; var missing: [String]; var screenedOn: String; var assessment: String }
    struct CheckEntry: Codable { var patient: String; var name: String; var check: String; var checkName: String; var lastDone: String?; var due: String }
    struct Worklist: ResponseCodable {
        var overdue: [WorklistEntry]
        var dueSoon: [WorklistEntry]
        var suspected: [WorklistEntry]
        /// Uncontrolled at the last two readings: a referral is suggested (全专结合).
        var escalate: [WorklistEntry]
        /// High diabetes risk from screening, to assess (e.g. an OGTT).
        var highRisk: [ScreeningEntry]
        /// Yearly health checks and complication screenings overdue or due within 30 days.
        var checksDue: [CheckEntry]
    }
    struct ReferralSuggested: ResponseCodable { var serviceRequest: String }
    struct CloseScreening: Decodable { var outcome: String }
    struct RatesView: ResponseCodable { var district: String; var programme: String; var by: String; var rows: [ChronicRates] }

    func audit(_ context: Context, _ principal: Principal, action: String, entity: String, patients: [String]) async throws {
        try await access.record(context, principal, action: action, entity: entity, patients: patients)
    }

    /// The family doctor's panel: residents whose record names them (FHIR `general-practitioner`).
    func panel(_ practitioner: String) async throws -> [String: JSONValue] {
        var found: [String: JSONValue] = [:]
        try await chronic.store.forEachMatch("Patient", [("general-practitioner", "Practitioner/\(practitioner)")]) { match in
            found[match.id] = try JSONValue.parse(Data(match.content.utf8))
        }
        return found
    }

    /// The chronic worklist of a family doctor on `today`.
    func worklist(practitioner: String, today: String) async throws -> Worklist {
        let records = try await panel(practitioner)
        let enrolments = try await chronic.enrolments(patients: Array(records.keys)).filter { $0.status != "dismissed" && ["hypertension", "type2-diabetes"].contains($0.programme) }
        func entry(_ enrolment: Enrolment) -> WorklistEntry {
            WorklistEntry(patient: enrolment.patient, name: Pages.displayName(records[enrolment.patient]), programme: enrolment.programme,
                          status: enrolment.status, nextDue: enrolment.nextDue, lastFollowUp: enrolment.lastFollowUp, controlled: enrolment.controlled,
                          uncontrolledStreak: enrolment.uncontrolledStreak, referral: nil)
        }
        let soon = CalendarDay.shift(today, days: 14)
        let confirmed = enrolments.filter { $0.status == "confirmed" }
        let escalated = confirmed.filter { $0.uncontrolledStreak >= 2 }
        let referrals = try await chronic.referralSuggestions(patients: escalated.map(\.patient), today: today)
        let screenings = try await chronic.screenings(patients: Array(records.keys)).filter { $0.status == "open" }
        let checks = try await chronic.checks(patients: Array(Set(confirmed.map(\.patient)))).filter { $0.due <= CalendarDay.shift(today, days: 30) }
        return Worklist(
            overdue: confirmed.filter { ($0.nextDue ?? today) < today }.sorted { ($0.nextDue ?? "") < ($1.nextDue ?? "") }.map(entry),
            dueSoon: confirmed.filter { let due = $0.nextDue ?? today; return due >= today && due <= soon }.sorted { ($0.nextDue ?? "") < ($1.nextDue ?? "") }.map(entry),
            suspected: enrolments.filter { $0.status == "suspected" }.map(entry),
            escalate: escalated.map { var row = entry($0); row.referral = referrals["\($0.patient)|\($0.programme)"]; return row },
            highRisk: screenings.sorted { $0.points > $1.points }.map {
                ScreeningEntry(patient: $0.patient, name: Pages.displayName(records[$0.patient]), points: $0.points, missing: $0.missing, screenedOn: $0.screenedOn, assessment: $0.assessment)
            },
            checksDue: checks.sorted { ($0.due, $0.patient) < ($1.due, $1.patient) }.map {
                CheckEntry(patient: $0.patient, name: Pages.displayName(records[$0.patient]), check: $0.check, checkName: $0.name, lastDone: $0.lastDone, due: $0.due)
            }
        )
    }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/chronic")

        // 随访: a family doctor (their panel) or CHC staff (their CHC's residents) records a follow-up.
        api.post("followups") { request, context -> Response in
            let principal = try context.require(.familyDoctor, .chcStaff, .chcManager)
            let form = try await request.decode(as: FollowUpForm.self, context: context)
            guard let relationship = try await access.policy.relationship(principal, patient: form.patient), [.panel, .institution].contains(relationship),
                  let organization = principal.institution else {
                try await audit(context, principal, action: "create", entity: "chronic/followup", patients: [form.patient])
                throw HTTPError(.forbidden, message: "只能为本人签约居民或本中心居民登记随访")
            }
            let enrolment = try await apiErrors {
                try await chronic.recordFollowUp(form, practitioner: principal.practitioner ?? "", organization: organization, actor: principal.subject)
            }
            try await audit(context, principal, action: "create", entity: "chronic/followup", patients: [form.patient])
            return try Pages.json(enrolment, status: .created)
        }

        api.get("worklist") { _, context -> Worklist in
            let principal = try context.require(.familyDoctor)
            guard let practitioner = principal.practitioner else { throw HTTPError(.forbidden, message: "账号未关联医生") }
            let list = try await worklist(practitioner: practitioner, today: CalendarDay.today())
            try await audit(context, principal, action: "search", entity: "chronic/worklist",
                            patients: Array(Set((list.overdue + list.dueSoon + list.suspected + list.escalate).map(\.patient) + list.highRisk.map(\.patient)
                                                + list.checksDue.map(\.patient))).sorted())
            return list
        }

        api.post("enrolments/:patient/:programme/:decision") { _, context -> Enrolment in
            let principal = try context.require(.familyDoctor)
            let patient = try context.parameters.require("patient")
            let decision = try context.parameters.require("decision")
            guard decision == "confirm" || decision == "dismiss" else { throw HTTPError(.notFound, message: "可选 confirm（确诊）或 dismiss（排除）") }
            guard try await access.policy.relationship(principal, patient: patient) == .panel else { throw HTTPError(.forbidden, message: "只能处理本人签约居民") }
            let enrolment = try await apiErrors {
                try await chronic.decide(patient: patient, programme: try context.parameters.require("programme"), confirm: decision == "confirm")
            }
            try await audit(context, principal, action: "update", entity: "chronic/enrolment", patients: [patient])
            return enrolment
        }

        // 糖尿病风险评分: a resident's Chinese diabetes risk score from their record (404 when not applicable:
        // already diabetic, or outside ages 20–74).
        api.get("screening/diabetes/:patient") { _, context -> DiabetesRiskScore in
            let principal = try context.require(.familyDoctor, .chcStaff, .chcManager)
            let patient = try context.parameters.require("patient")
            guard FHIRID.isValid(patient), let relationship = try await access.policy.relationship(principal, patient: patient),
                  [.panel, .institution].contains(relationship) else {
                throw HTTPError(.forbidden, message: "只能为本人签约居民或本中心居民评估")
            }
            try await audit(context, principal, action: "read", entity: "chronic/screening", patients: [patient])
            guard let score = try await apiErrors({ try await chronic.diabetesRisk(patient: patient) }) else {
                throw HTTPError(.notFound, message: "该居民不适用糖尿病风险评分（已确诊糖尿病或年龄不在20–74岁）")
            }
            return score
        }

        // 高危筛查: the family doctor screens their panel; high-risk residents join the worklist.
        api.post("screening/diabetes/run") { _, context -> ScreeningRun in
            let principal = try context.require(.familyDoctor)
            guard let practitioner = principal.practitioner else { throw HTTPError(.forbidden, message: "账号未关联医生") }
            let patients = Array(try await panel(practitioner).keys)
            let run = try await apiErrors { try await chronic.screenDiabetesRisk(patients: patients, practitioner: practitioner) }
            try await audit(context, principal, action: "create", entity: "chronic/screening", patients: patients.sorted())
            return run
        }

        api.post("screening/diabetes/:patient/close") { request, context -> Screening in
            let principal = try context.require(.familyDoctor)
            let patient = try context.parameters.require("patient")
            guard FHIRID.isValid(patient), try await access.policy.relationship(principal, patient: patient) == .panel else {
                throw HTTPError(.forbidden, message: "只能处理本人签约居民")
            }
            let body = try await request.decode(as: CloseScreening.self, context: context)
            let screening = try await apiErrors { try await chronic.closeScreening(patient: patient, outcome: body.outcome) }
            try await audit(context, principal, action: "update", entity: "chronic/screening", patients: [patient])
            return screening
        }

        // 定期检查: a resident's yearly health check and complication screenings with their due days.
        api.get("checks/:patient") { _, context -> [CheckDue] in
            let principal = try context.require(.familyDoctor, .chcStaff, .chcManager, .hospitalClinician)
            let patient = try context.parameters.require("patient")
            guard FHIRID.isValid(patient), try await access.policy.relationship(principal, patient: patient) != nil else {
                throw HTTPError(.forbidden, message: "无权查看该居民")
            }
            try await audit(context, principal, action: "read", entity: "chronic/checks", patients: [patient])
            return try await chronic.checks(patients: [patient])
        }

        // 全专结合: the specialist writes the shared CarePlan of a resident their hospital treats.
        api.post("careplans") { request, context -> Response in
            let principal = try context.require(.hospitalClinician)
            let plan = try await request.decode(as: CoManagementPlan.self, context: context)
            guard let specialist = principal.practitioner, let organization = principal.institution else { throw HTTPError(.forbidden, message: "账号未关联医生或医院") }
            guard FHIRID.isValid(plan.patient), try await access.policy.relationship(principal, patient: plan.patient) != nil else {
                try await audit(context, principal, action: "create", entity: "chronic/careplan", patients: [plan.patient])
                throw HTTPError(.forbidden, message: "只能为本院就诊或转诊的患者制定管理计划")
            }
            let summary = try await apiErrors { try await chronic.coManage(plan, specialist: specialist, organization: organization) }
            try await audit(context, principal, action: "create", entity: "chronic/careplan", patients: [plan.patient])
            return try Pages.json(summary, status: .created)
        }

        api.get("careplans/:patient") { _, context -> [CoManagementSummary] in
            let principal = try context.require(.familyDoctor, .chcStaff, .chcManager, .hospitalClinician)
            let patient = try context.parameters.require("patient")
            guard FHIRID.isValid(patient), try await access.policy.relationship(principal, patient: patient) != nil else {
                throw HTTPError(.forbidden, message: "无权查看该居民")
            }
            try await audit(context, principal, action: "read", entity: "chronic/careplan", patients: [patient])
            return try await chronic.coManagement(patients: [patient])
        }

        // 升级转诊建议: for a resident uncontrolled at two follow-ups in a row, the family doctor sends the
        // suggested referral on (a draft ServiceRequest for the referral module).
        api.post("escalations/:patient/:programme/referral") { _, context -> Response in
            let principal = try context.require(.familyDoctor)
            let patient = try context.parameters.require("patient")
            guard let practitioner = principal.practitioner, FHIRID.isValid(patient), try await access.policy.relationship(principal, patient: patient) == .panel else {
                throw HTTPError(.forbidden, message: "只能处理本人签约居民")
            }
            let id = try await apiErrors {
                try await chronic.suggestReferral(patient: patient, programme: try context.parameters.require("programme"), practitioner: practitioner)
            }
            try await audit(context, principal, action: "create", entity: "chronic/referral", patients: [patient])
            return try Pages.json(ReferralSuggested(serviceRequest: id), status: .created)
        }

        // 管理率、控制率: aggregates for the commission (district) and CHC managers (their CHC's district).
        api.get("rates") { request, context -> RatesView in
            let principal = try context.require(.commissionManager, .chcManager)
            let query = request.uri.queryParameters
            let district = try Pages.district(of: principal, asked: query["district"].map(String.init))
            let programme = query["programme"].map(String.init) ?? "hypertension"
            let by = query["by"].map(String.init) ?? "subdistrict"
            // A CHC manager sees their own CHC's residents; the commission the whole district.
            let organization = principal.role == .chcManager ? principal.institution : query["organization"].map(String.init)
            let rows = try await apiErrors {
                try await chronic.rates(district: district, programme: programme, by: by, organization: organization, on: query["date"].map(String.init) ?? CalendarDay.today())
            }
            return RatesView(district: district, programme: programme, by: by, rows: rows)
        }
    }
}
