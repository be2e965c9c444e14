import Access
import Collaboration
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage

extension Consultation: ResponseEncodable {}
extension CriticalCase: ResponseEncodable {}
extension CriticalMeasure: ResponseEncodable {}
extension AmbulanceStation: ResponseEncodable {}
extension Ambulance: ResponseEncodable {}
extension EmergencyCall: ResponseEncodable {}
extension PreArrivalNotice: ResponseEncodable {}
extension ResponseTimes: ResponseEncodable {}

/// 会诊、急危重症救治中心与智慧急救 under `/api/v1/consultations`, `/api/v1/critical-care` and `/api/v1/emergency`,
/// and their pages (`CollaborationPages`).
struct CollaborationRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let consultations: Consultations
    let critical: CriticalCare
    let emergency: Prehospital
    let registry: RegistryService

    struct ScheduleForm: Decodable { var scheduledAt: String; var participants: [ConsultationParticipant] }
    struct ConclusionForm: Decodable { var conclusion: String }
    struct ReasonForm: Decodable { var reason: String }
    struct CaseForm: Decodable { var centre: String; var patient: String?; var times: [String: String]? }
    struct TimeForm: Decodable { var milestone: String; var at: String }
    struct StationForm: Decodable { var name: String; var subdistrict: String; var longitude: Double; var latitude: Double }
    struct AmbulanceForm: Decodable { var plate: String }
    struct CallForm: Decodable { var subdistrict: String; var address: String; var longitude: Double?; var latitude: Double?; var category: String; var receivedAt: String? }
    struct DispatchForm: Decodable { var ambulance: String; var at: String? }
    struct StatusForm: Decodable { var status: String; var at: String?; var hospital: String? }

    static let requesters: [Role] = [.familyDoctor, .hospitalClinician]
    /// Who reads the district's emergency figures.
    static let emergencyReaders: [Role] = [.emergencyDispatcher, .commissionManager]

    static func actor(_ principal: Principal) throws -> StaffActor {
        guard let institution = principal.institution else { throw HTTPError(.forbidden, message: "账号未关联医疗机构") }
        return StaffActor(account: principal.subject, practitioner: principal.practitioner, institution: institution)
    }

    /// A hospital clinician's hospital (403 for other roles or an account without one).
    static func hospital(_ principal: Principal) throws -> String {
        guard principal.role == .hospitalClinician, let institution = principal.institution else { throw HTTPError(.forbidden, message: "此操作供医院临床医生使用") }
        return institution
    }

    /// Whether `principal` may see a consultation: its requester, or a clinician of the hospital asked.
    static func maySee(_ principal: Principal, _ item: Consultation) -> Bool {
        item.requesterAccount == principal.subject || (principal.role == .hospitalClinician && principal.institution == item.targetInstitution)
    }

    /// A consultation the principal may see (404 otherwise, so that its existence is not told).
    func visible(_ id: String, _ principal: Principal) async throws -> Consultation {
        guard let item = try await consultations.find(id), Self.maySee(principal, item) else { throw HTTPError(.notFound, message: "没有会诊申请 \(id)") }
        return item
    }

    /// A time from a form: a dateTime as given, `YYYY-MM-DDThh:mm` from a browser's datetime-local field read as
    /// Shanghai time, or now when empty.
    static func time(_ text: String?) -> String {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return ISO8601Timestamp.now() }
        if text.count == 16, text.dropFirst(10).first == "T" { return text + ":00+08:00" }
        return text
    }

    func register(on router: Router<Context>) {
        // 会诊
        let api = router.group("api/v1/consultations")
        api.post { request, context -> Response in
            let principal = try context.require(Self.requesters)
            let form = try await request.decode(as: ConsultationForm.self, context: context)
            let created = try await requestConsultation(form, principal: principal, context: context)
            return try Pages.json(created, status: .created)
        }
        api.get { request, context -> [Consultation] in
            let principal = try context.require(Self.requesters)
            if request.uri.queryParameters["box"] == "inbox" {
                return try await consultations.list(addressedTo: try Self.hospital(principal))
            }
            return try await consultations.list(requestedBy: principal.subject)
        }
        api.get(":id") { _, context -> Consultation in
            let principal = try context.require(Self.requesters)
            let item = try await visible(try context.parameters.require("id"), principal)
            try await access.record(context, principal, action: "read", entity: "consultation/\(item.id)", patients: [item.patient])
            return item
        }
        api.post(":id/schedule") { request, context -> Consultation in
            let principal = try context.require(.hospitalClinician)
            let form = try await request.decode(as: ScheduleForm.self, context: context)
            return try await step(context, principal) { id in try await consultations.schedule(id, at: form.scheduledAt, participants: form.participants, by: try Self.actor(principal)) }
        }
        api.post(":id/conclusion") { request, context -> Consultation in
            let principal = try context.require(.hospitalClinician)
            let form = try await request.decode(as: ConclusionForm.self, context: context)
            return try await step(context, principal) { id in try await consultations.conclude(id, conclusion: form.conclusion, by: try Self.actor(principal)) }
        }
        api.post(":id/decline") { request, context -> Consultation in
            let principal = try context.require(.hospitalClinician)
            let form = try await request.decode(as: ReasonForm.self, context: context)
            return try await step(context, principal) { id in try await consultations.close(id, decline: form.reason, by: try Self.actor(principal)) }
        }
        api.post(":id/cancel") { _, context -> Consultation in
            let principal = try context.require(Self.requesters)
            return try await step(context, principal) { id in try await consultations.close(id, decline: nil, by: try Self.actor(principal)) }
        }
        api.post(":id/acknowledge") { _, context -> Consultation in
            let principal = try context.require(Self.requesters)
            return try await step(context, principal) { id in try await consultations.acknowledge(id, by: try Self.actor(principal)) }
        }

        // 胸痛、卒中、创伤、危重孕产妇和新生儿救治中心
        let care = router.group("api/v1/critical-care")
        care.post("cases") { request, context -> Response in
            let principal = try context.require(.hospitalClinician)
            let form = try await request.decode(as: CaseForm.self, context: context)
            let hospital = try Self.hospital(principal)
            if let patient = form.patient {
                guard try await access.policy.relationship(principal, patient: patient) != nil else { throw HTTPError(.forbidden, message: "无权为该居民登记病例") }
            }
            let opened = try await apiErrors { try await critical.open(hospital: hospital, centre: form.centre, patient: form.patient, call: nil, times: form.times ?? [:], actor: principal.subject) }
            try await access.record(context, principal, action: "create", entity: "critical-case/\(opened.id)", patients: form.patient.map { [$0] } ?? [])
            return try Pages.json(opened, status: .created)
        }
        care.post("cases/:id/times") { request, context -> CriticalCase in
            let principal = try context.require(.hospitalClinician)
            let form = try await request.decode(as: TimeForm.self, context: context)
            let id = try context.parameters.require("id")
            let updated = try await apiErrors { try await critical.record(id, milestone: form.milestone, at: form.at, hospital: try Self.hospital(principal)) }
            try await access.record(context, principal, action: "update", entity: "critical-case/\(id)", patients: updated.patient.map { [$0] } ?? [])
            return updated
        }
        care.get("cases") { _, context -> [CriticalCase] in
            let principal = try context.require([.hospitalClinician, .commissionManager])
            if principal.role == .hospitalClinician { return try await critical.cases(hospital: try Self.hospital(principal)) }
            return try await critical.cases(district: try Pages.district(of: principal, asked: nil))
        }
        care.get("measures") { request, context -> [CriticalMeasure] in
            let principal = try context.require([.hospitalClinician, .commissionManager])
            let (from, to) = Self.period(request)
            let district = try Pages.district(of: principal, asked: nil)
            let all = try await apiErrors { try await critical.measures(district: district, from: from, to: to) }
            return principal.role == .hospitalClinician ? all.filter { $0.hospital == principal.institution } : all
        }

        // 智慧急救
        let rescue = router.group("api/v1/emergency")
        rescue.get("stations") { _, context -> [AmbulanceStation] in
            let principal = try context.require(Self.emergencyReaders)
            return try await emergency.stations(district: try Pages.district(of: principal, asked: nil))
        }
        rescue.post("stations") { request, context -> Response in
            let principal = try context.require(.commissionManager)
            let form = try await request.decode(as: StationForm.self, context: context)
            let station = try await apiErrors {
                try await emergency.addStation(district: try Pages.district(of: principal, asked: nil), name: form.name, subdistrict: form.subdistrict,
                                               longitude: form.longitude, latitude: form.latitude)
            }
            try await access.record(context, principal, action: "create", entity: "emergency/station/\(station.id)", patients: [])
            return try Pages.json(station, status: .created)
        }
        rescue.post("stations/:id/ambulances") { request, context -> Response in
            let principal = try context.require(.commissionManager)
            let form = try await request.decode(as: AmbulanceForm.self, context: context)
            let ambulance = try await apiErrors {
                try await emergency.addAmbulance(station: try context.parameters.require("id"), plate: form.plate, district: try Pages.district(of: principal, asked: nil))
            }
            try await access.record(context, principal, action: "create", entity: "emergency/ambulance/\(ambulance.id)", patients: [])
            return try Pages.json(ambulance, status: .created)
        }
        rescue.get("calls") { request, context -> [EmergencyCall] in
            let principal = try context.require(.emergencyDispatcher)
            return try await emergency.calls(district: try Pages.district(of: principal, asked: nil), active: request.uri.queryParameters["active"] == "1")
        }
        rescue.post("calls") { request, context -> Response in
            let principal = try context.require(.emergencyDispatcher)
            let form = try await request.decode(as: CallForm.self, context: context)
            let call = try await apiErrors {
                try await emergency.receive(district: try Pages.district(of: principal, asked: nil), subdistrict: form.subdistrict, address: form.address, longitude: form.longitude,
                                            latitude: form.latitude, category: form.category, receivedAt: Self.time(form.receivedAt), actor: principal.subject)
            }
            try await access.record(context, principal, action: "create", entity: "emergency/call/\(call.id)", patients: [])
            return try Pages.json(call, status: .created)
        }
        rescue.post("calls/:id/dispatch") { request, context -> EmergencyCall in
            let principal = try context.require(.emergencyDispatcher)
            let form = try await request.decode(as: DispatchForm.self, context: context)
            let id = try context.parameters.require("id")
            let call = try await apiErrors { try await emergency.dispatch(id, ambulance: form.ambulance, at: Self.time(form.at), district: try Pages.district(of: principal, asked: nil)) }
            try await access.record(context, principal, action: "update", entity: "emergency/call/\(id)", patients: [])
            return call
        }
        rescue.post("calls/:id/status") { request, context -> EmergencyCall in
            let principal = try context.require(.emergencyDispatcher)
            let form = try await request.decode(as: StatusForm.self, context: context)
            let id = try context.parameters.require("id")
            let call = try await apiErrors {
                try await emergency.advance(id, to: form.status, at: Self.time(form.at), hospital: form.hospital, district: try Pages.district(of: principal, asked: nil))
            }
            try await access.record(context, principal, action: "update", entity: "emergency/call/\(id)", patients: [])
            return call
        }
        rescue.get("notices") { _, context -> [PreArrivalNotice] in
            let principal = try context.require(.hospitalClinician)
            return try await emergency.notices(hospital: try Self.hospital(principal))
        }
        rescue.post("notices/:call/acknowledge") { _, context -> PreArrivalNotice in
            let principal = try context.require(.hospitalClinician)
            let call = try context.parameters.require("call")
            let notice = try await apiErrors { try await emergency.acknowledge(call: call, hospital: try Self.hospital(principal), actor: principal.subject) }
            try await access.record(context, principal, action: "update", entity: "emergency/notice/\(call)", patients: [])
            return notice
        }
        rescue.get("response-times") { request, context -> [ResponseTimes] in
            let principal = try context.require(Self.emergencyReaders)
            let (from, to) = Self.period(request)
            return try await apiErrors { try await emergency.responseTimes(district: try Pages.district(of: principal, asked: nil), from: from, to: to) }
        }
        rescue.get("coverage") { _, context -> Response in
            let principal = try context.require(Self.emergencyReaders)
            guard let report = try await emergency.coverage(district: try Pages.district(of: principal, asked: nil), registry: registry) else {
                throw HTTPError(.notFound, message: "本区尚未载入地理数据（PUT /api/v1/registry/geography/<district>）")
            }
            return try Pages.json(report, status: .ok)
        }
    }

    /// `from` and `to` of the query, else the last 90 days.
    static func period(_ request: Request) -> (String, String) {
        let today = CalendarDay.today()
        return (request.uri.queryParameters["from"].map(String.init) ?? CalendarDay.shift(today, days: -89), request.uri.queryParameters["to"].map(String.init) ?? today)
    }

    /// Requests a consultation for a resident the principal cares for: a family doctor's panel, a clinician's patient.
    func requestConsultation(_ form: ConsultationForm, principal: Principal, context: Context) async throws -> Consultation {
        let relationship = try await access.policy.relationship(principal, patient: form.patient)
        guard (principal.role == .familyDoctor && relationship == .panel) || (principal.role == .hospitalClinician && relationship != nil) else {
            if FHIRID.isValid(form.patient), try await consultations.store.read(type: "Patient", id: form.patient) == nil {
                throw HTTPError(.notFound, message: "居民 Patient/\(form.patient) 不存在 (unknown resident)")
            }
            throw HTTPError(.forbidden, message: "只能为本人签约居民或本院患者申请会诊")
        }
        let created = try await apiErrors { try await consultations.request(form, by: try Self.actor(principal)) }
        try await access.record(context, principal, action: "create", entity: "consultation/\(created.id)", patients: [created.patient])
        return created
    }

    /// One step on a consultation, audited against its resident.
    func step(_ context: Context, _ principal: Principal, _ body: (String) async throws -> Consultation) async throws -> Consultation {
        let id = try context.parameters.require("id")
        let updated = try await apiErrors { try await body(id) }
        try await access.record(context, principal, action: "update", entity: "consultation/\(id)", patients: [updated.patient])
        return updated
    }
}
