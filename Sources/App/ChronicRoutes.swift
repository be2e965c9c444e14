import Access
import ChronicCare
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage

extension Enrolment: ResponseEncodable {}
extension DiabetesRiskScore: ResponseEncodable {}

/// Chronic disease management under `/api/v1/chronic`: follow-ups, the family doctor's chronic worklist,
/// confirming suspected cases, and rates for managers.
struct ChronicRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let chronic: ChronicService

    struct WorklistEntry: Codable { var patient: String; var name: String; var programme: String; var status: String; var nextDue: String?; var lastFollowUp: String?; var controlled: Bool?; var uncontrolledStreak: Int }
    struct Worklist: ResponseEncodable {
        var overdue: [WorklistEntry]
        var dueSoon: [WorklistEntry]
        var suspected: [WorklistEntry]
        /// Uncontrolled at the last two readings: consider a referral (全专结合).
        var escalate: [WorklistEntry]
    }
    struct RatesView: ResponseEncodable { var district: String; var programme: String; var by: String; var rows: [ChronicRates] }

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
                          uncontrolledStreak: enrolment.uncontrolledStreak)
        }
        let soon = CalendarDay.shift(today, days: 14)
        let confirmed = enrolments.filter { $0.status == "confirmed" }
        return Worklist(
            overdue: confirmed.filter { ($0.nextDue ?? today) < today }.sorted { ($0.nextDue ?? "") < ($1.nextDue ?? "") }.map(entry),
            dueSoon: confirmed.filter { let due = $0.nextDue ?? today; return due >= today && due <= soon }.sorted { ($0.nextDue ?? "") < ($1.nextDue ?? "") }.map(entry),
            suspected: enrolments.filter { $0.status == "suspected" }.map(entry),
            escalate: confirmed.filter { $0.uncontrolledStreak >= 2 }.map(entry)
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
                            patients: Array(Set((list.overdue + list.dueSoon + list.suspected + list.escalate).map(\.patient))).sorted())
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

        // 管理率、控制率: aggregates for the commission (district) and CHC managers (their CHC's district).
        api.get("rates") { request, context -> RatesView in
            let principal = try context.require(.commissionManager, .chcManager)
            let query = request.uri.queryParameters
            let district = try Pages.district(of: principal, asked: query["district"].map(String.init))
            let programme = query["programme"].map(String.init) ?? "hypertension"
            let by = query["by"].map(String.init) ?? "subdistrict"
            let rows = try await apiErrors {
                try await chronic.rates(district: district, programme: programme, by: by, on: query["date"].map(String.init) ?? CalendarDay.today())
            }
            return RatesView(district: district, programme: programme, by: by, rows: rows)
        }
    }
}
