import Access
import FHIR
import Foundation
import Hummingbird
import Referral
import Registry
import Storage

extension Schedule: ResponseEncodable {}
extension Slot: ResponseEncodable {}
extension Appointment: ResponseEncodable {}
extension Referral: ResponseEncodable {}
extension ReferralRates: ResponseEncodable {}
extension WaitlistPlace: ResponseEncodable {}
extension RecognitionCheck: ResponseEncodable {}
extension TestOrder: ResponseEncodable {}
extension RecognitionRate: ResponseEncodable {}

/// Two-way referral and the slot pool under `/api/v1/referral`: schedules and slots (hospitals publish them),
/// booking (family doctors from the reserved pool, residents from the public pool), cancellation, rescheduling,
/// no-shows and the waiting list, the referral loop, and rates for managers.
struct ReferralRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let referral: ReferralService

    struct BookBody: Decodable { var slot: String; var patient: String; var department: String? }
    struct SlotBody: Decodable { var slot: String }
    struct OptionalSlotBody: Decodable { var slot: String? }
    struct ReasonBody: Decodable { var reason: String }
    struct SummaryBody: Decodable { var summary: String }
    struct WaitlistBody: Decodable { var schedule: String; var patient: String; var referral: String? }
    struct OrderBody: Decodable { var patient: String; var code: String; var system: String?; var recognise: Bool?; var reason: String? }

    func audit(_ context: Context, _ principal: Principal, action: String, entity: String, patients: [String]) async throws {
        try await access.record(context, principal, action: action, entity: entity, patients: patients)
    }

    /// The clinician, CHC member or family doctor acting on a referral: their account, Practitioner and institution.
    static func actor(_ principal: Principal) throws -> ReferralActor {
        guard let organization = principal.institution else { throw HTTPError(.forbidden, message: "账号未关联医疗机构") }
        return ReferralActor(account: principal.subject, practitioner: principal.practitioner ?? "", organization: organization)
    }

    /// 404 for a resident who does not exist (before any relationship check, for the clinical roles that may look).
    func requireResident(_ patient: String) async throws {
        guard FHIRID.isValid(patient), let stored = try await referral.store.read(type: "Patient", id: patient), !stored.deleted else {
            throw HTTPError(.notFound, message: "居民 Patient/\(patient) 不存在 (unknown resident)")
        }
    }

    /// How `principal` may book for `patient`: a resident for themselves (or a consenting member) from the public
    /// pool; a family doctor for their panel, CHC staff for their CHC's residents, from the reserved pool too.
    func bookingChannel(_ principal: Principal, patient: String) async throws -> BookingChannel {
        let relationship = try await access.policy.relationship(principal, patient: patient)
        switch principal.role {
        case .resident where relationship == .own || relationship == .consent: return .resident
        case .familyDoctor where relationship == .panel: return .familyDoctor
        // Both roles only for their own CHC's residents (one `where` covers one pattern only).
        case .chcStaff where relationship == .institution, .chcManager where relationship == .institution: return .familyDoctor
        default:
            // Only when refused: tell a clinical user that the resident does not exist (404) rather than 403.
            if relationship == nil, principal.role != .resident { try await requireResident(patient) }
            throw HTTPError(.forbidden, message: "只能为本人（或已授权的家庭成员）、本人签约居民或本中心居民预约")
        }
    }

    /// Whether `principal` may see a referral: its sender's or receiver's institution, the family doctor, the resident.
    func maySee(_ principal: Principal, _ item: Referral) async throws -> Bool {
        if let institution = principal.institution, [item.fromOrganization, item.toOrganization].contains(institution),
           [.familyDoctor, .chcStaff, .chcManager, .hospitalClinician].contains(principal.role) { return true }
        if principal.role == .familyDoctor, let practitioner = principal.practitioner, item.familyDoctor == practitioner { return true }
        if principal.role == .resident {
            let relationship = try await access.policy.relationship(principal, patient: item.patient)
            return relationship == .own || relationship == .consent
        }
        return false
    }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/referral")

        api.get("departments") { _, context -> [Department] in
            _ = try context.requirePrincipal()
            return Department.all
        }

        // 排班: a hospital's clinicians publish their own hospital's schedules.
        api.post("schedules") { request, context -> Response in
            let principal = try context.require(.hospitalClinician)
            let plan = try await request.decode(as: SchedulePlan.self, context: context)
            guard plan.organization == principal.institution else { throw HTTPError(.forbidden, message: "只能为本院发布号源") }
            let schedule = try await apiErrors { try await referral.createSchedule(plan, actor: principal.subject) }
            try await audit(context, principal, action: "create", entity: "schedule/\(schedule.id)", patients: [])
            return try Pages.json(schedule, status: .created)
        }

        api.get("schedules") { request, context -> [Schedule] in
            _ = try context.requirePrincipal()
            let query = request.uri.queryParameters
            guard let organization = query["organization"].map(String.init) else { throw HTTPError(.badRequest, message: "请给出医院 organization（如 cn-tongren）") }
            let from = query["from"].map(String.init) ?? CalendarDay.today()
            guard CalendarDay.isValid(from) else { throw HTTPError(.badRequest, message: "from 应为 YYYY-MM-DD") }
            return try await referral.schedules(organization: organization, department: query["department"].map(String.init), from: from,
                                                days: min(max(Int(query["days"] ?? "14") ?? 14, 0), 60))
        }

        api.get("schedules/:id/slots") { _, context -> [Slot] in
            _ = try context.requirePrincipal()
            let id = try context.parameters.require("id")
            _ = try await apiErrors { try await referral.schedule(id) }
            return try await referral.slots(schedule: id)
        }

        // 预约: residents from the public pool, family doctors and CHC staff from the reserved pool too.
        api.post("appointments") { request, context -> Response in
            let principal = try context.require(.resident, .familyDoctor, .chcStaff, .chcManager)
            let body = try await request.decode(as: BookBody.self, context: context)
            let channel = try await bookingChannel(principal, patient: body.patient)
            // The audit entry is appended in the booking's own transaction (one write instead of two).
            var record = AuditRecord(by: principal, action: "create", entity: "appointment", source: context.clientAddress)
            record.patient = body.patient
            let engine = referral.database.engine
            let appointment = try await apiErrors {
                try await referral.book(BookingRequest(slot: body.slot, patient: body.patient, channel: channel, department: body.department, actor: principal.subject)) { booked, sql in
                    record.entity = "appointment/\(booked.id)"
                    try await AuditLog.append([record], sql: sql, engine: engine, head: access.audit.head)
                }
            }
            return try Pages.json(appointment, status: .created)
        }

        api.get("appointments") { request, context -> [Appointment] in
            let principal = try context.requirePrincipal()
            guard let patient = request.uri.queryParameters["patient"].map(String.init) ?? principal.patient else {
                throw HTTPError(.badRequest, message: "请给出居民 patient")
            }
            guard try await access.policy.relationship(principal, patient: patient) != nil else { throw HTTPError(.forbidden, message: "无权查看该居民的预约") }
            try await audit(context, principal, action: "search", entity: "appointments", patients: [patient])
            return try await referral.appointments(patient: patient)
        }

        api.post("appointments/:id/cancel") { _, context -> Appointment in
            let principal = try context.require(.resident, .familyDoctor, .chcStaff, .chcManager)
            let appointment = try await apiErrors { try await referral.appointment(try context.parameters.require("id")) }
            _ = try await bookingChannel(principal, patient: appointment.patient)
            let cancelled = try await apiErrors { try await referral.cancel(appointment.id, actor: principal.subject) }
            try await audit(context, principal, action: "update", entity: "appointment/\(appointment.id)", patients: [appointment.patient])
            return cancelled
        }

        api.post("appointments/:id/reschedule") { request, context -> Appointment in
            let principal = try context.require(.resident, .familyDoctor, .chcStaff, .chcManager)
            let body = try await request.decode(as: SlotBody.self, context: context)
            let appointment = try await apiErrors { try await referral.appointment(try context.parameters.require("id")) }
            _ = try await bookingChannel(principal, patient: appointment.patient)
            let moved = try await apiErrors { try await referral.reschedule(appointment.id, to: body.slot, actor: principal.subject) }
            try await audit(context, principal, action: "update", entity: "appointment/\(appointment.id)", patients: [appointment.patient])
            return moved
        }

        // 爽约: the hospital records that the resident did not come.
        api.post("appointments/:id/noshow") { _, context -> Appointment in
            let principal = try context.require(.hospitalClinician)
            let appointment = try await apiErrors { try await referral.appointment(try context.parameters.require("id")) }
            guard appointment.organization == principal.institution else { throw HTTPError(.forbidden, message: "只能登记本院的预约") }
            let marked = try await apiErrors { try await referral.markNoShow(appointment.id) }
            try await audit(context, principal, action: "update", entity: "appointment/\(appointment.id)", patients: [appointment.patient])
            return marked
        }

        api.post("waitlist") { request, context -> Response in
            let principal = try context.require(.resident, .familyDoctor, .chcStaff, .chcManager)
            let body = try await request.decode(as: WaitlistBody.self, context: context)
            let channel = try await bookingChannel(principal, patient: body.patient)
            let place = try await apiErrors {
                try await referral.joinWaitlist(schedule: body.schedule, patient: body.patient, channel: channel, referral: body.referral, actor: principal.subject)
            }
            try await audit(context, principal, action: "create", entity: "waitlist/\(body.schedule)", patients: [body.patient])
            return try Pages.json(place, status: .accepted)
        }

        // 转诊: family doctors refer up for their panel; hospital clinicians refer down for their patients.
        api.post("referrals") { request, context -> Response in
            let principal = try context.require(.familyDoctor, .hospitalClinician)
            let body = try await request.decode(as: ReferralRequest.self, context: context)
            try await requireResident(body.patient)
            let relationship = try await access.policy.relationship(principal, patient: body.patient)
            let direction = body.direction ?? "up"
            guard (principal.role == .familyDoctor && relationship == .panel && direction == "up")
                    || (principal.role == .hospitalClinician && relationship != nil && direction == "down") else {
                try await audit(context, principal, action: "create", entity: "referral", patients: [body.patient])
                throw HTTPError(.forbidden, message: principal.role == .familyDoctor ? "家庭医生只能为本人签约居民上转" : "医院医生只能为本院患者下转")
            }
            guard principal.practitioner != nil else { throw HTTPError(.forbidden, message: "账号未关联医生") }
            let sent = try await apiErrors { try await referral.send(body, by: try Self.actor(principal)) }
            try await audit(context, principal, action: "create", entity: "referral/\(sent.id)", patients: [sent.patient])
            return try Pages.json(sent, status: .created)
        }

        // 转诊收件箱: referrals received by the principal's institution.
        api.get("referrals/inbox") { _, context -> [Referral] in
            let principal = try context.require(.hospitalClinician, .chcStaff, .chcManager, .familyDoctor)
            let list = try await referral.inbox(organization: try Self.actor(principal).organization)
            try await audit(context, principal, action: "search", entity: "referral/inbox", patients: Array(Set(list.map(\.patient))).sorted())
            return list
        }

        // The family doctor's referrals: sent, and feedback coming back.
        api.get("referrals/worklist") { _, context -> [Referral] in
            let principal = try context.require(.familyDoctor)
            guard let practitioner = principal.practitioner else { throw HTTPError(.forbidden, message: "账号未关联医生") }
            let list = try await referral.worklist(practitioner: practitioner)
            try await audit(context, principal, action: "search", entity: "referral/worklist", patients: Array(Set(list.map(\.patient))).sorted())
            return list
        }

        api.get("referrals/:id") { _, context -> Referral in
            let principal = try context.requirePrincipal()
            let item = try await apiErrors { try await referral.referral(try context.parameters.require("id")) }
            guard try await maySee(principal, item) else { throw HTTPError(.forbidden, message: "无权查看此转诊") }
            try await audit(context, principal, action: "read", entity: "referral/\(item.id)", patients: [item.patient])
            return item
        }

        api.post("referrals/:id/accept") { request, context -> Referral in
            let principal = try context.require(.hospitalClinician, .chcStaff, .chcManager, .familyDoctor)
            let body = (try? await request.decode(as: OptionalSlotBody.self, context: context)) ?? OptionalSlotBody(slot: nil)
            return try await act(context, principal) { try await referral.accept($0, by: try Self.actor(principal), slot: body.slot) }
        }
        api.post("referrals/:id/decline") { request, context -> Referral in
            let principal = try context.require(.hospitalClinician, .chcStaff, .chcManager, .familyDoctor)
            let body = try await request.decode(as: ReasonBody.self, context: context)
            return try await act(context, principal) { try await referral.decline($0, reason: body.reason, by: try Self.actor(principal)) }
        }
        api.post("referrals/:id/appointment") { request, context -> Referral in
            let principal = try context.require(.hospitalClinician, .familyDoctor)
            let body = try await request.decode(as: SlotBody.self, context: context)
            return try await act(context, principal) { id in
                let item = try await referral.referral(id)
                guard try await maySee(principal, item) else { throw HTTPError(.forbidden, message: "无权为此转诊预约") }
                return try await referral.bookAppointment(id, slot: body.slot, actor: principal.subject)
            }
        }
        api.post("referrals/:id/visit") { _, context -> Referral in
            let principal = try context.require(.hospitalClinician, .chcStaff, .chcManager, .familyDoctor)
            return try await act(context, principal) { try await referral.recordVisit($0, by: try Self.actor(principal)) }
        }
        api.post("referrals/:id/complete") { request, context -> Referral in
            let principal = try context.require(.hospitalClinician, .chcStaff, .chcManager, .familyDoctor)
            let body = try await request.decode(as: SummaryBody.self, context: context)
            return try await act(context, principal) { try await referral.complete($0, summary: body.summary, by: try Self.actor(principal)) }
        }
        api.post("referrals/:id/withdraw") { _, context -> Referral in
            let principal = try context.require(.hospitalClinician, .familyDoctor)
            return try await act(context, principal) { try await referral.withdraw($0, by: try Self.actor(principal)) }
        }

        // 检查检验结果互认: before ordering a test, a clinician with the resident's record in reach checks for a result that stands.
        api.post("orders/check") { request, context -> RecognitionCheck in
            let principal = try context.require(.hospitalClinician, .familyDoctor, .chcStaff, .chcManager)
            let body = try await request.decode(as: OrderBody.self, context: context)
            try await requireResident(body.patient)
            guard try await access.policy.relationship(principal, patient: body.patient) != nil else { throw HTTPError(.forbidden, message: "无权查看该居民的检查检验结果") }
            let check = try await apiErrors { try await referral.checkOrder(patient: body.patient, system: body.system ?? "http://loinc.org", code: body.code) }
            try await audit(context, principal, action: "read", entity: "recognition/\(body.code)", patients: [body.patient])
            return check
        }
        api.post("orders") { request, context -> Response in
            let principal = try context.require(.hospitalClinician, .familyDoctor, .chcStaff, .chcManager)
            let body = try await request.decode(as: OrderBody.self, context: context)
            try await requireResident(body.patient)
            guard try await access.policy.relationship(principal, patient: body.patient) != nil else { throw HTTPError(.forbidden, message: "无权为该居民开检查") }
            let order = try await apiErrors {
                try await referral.recordOrder(patient: body.patient, system: body.system ?? "http://loinc.org", code: body.code, recognise: body.recognise ?? false,
                                               reason: body.reason, organization: try Self.actor(principal).organization, actor: principal.subject)
            }
            try await audit(context, principal, action: "create", entity: "test-order/\(order.id)", patients: [body.patient])
            return try Pages.json(order, status: .created)
        }
        api.get("recognition-rate") { request, context -> RecognitionRate in
            let principal = try context.require(.commissionManager, .chcManager)
            let query = request.uri.queryParameters
            let district = try Pages.district(of: principal, asked: query["district"].map(String.init))
            let to = query["to"].map(String.init) ?? CalendarDay.today()
            let from = query["from"].map(String.init) ?? CalendarDay.shift(to, days: -29)
            return try await apiErrors { try await referral.recognitionRate(district: district, from: from, to: to) }
        }

        // 转诊及时率、闭环率: aggregates for the commission (district) and CHC managers (their CHC's district).
        api.get("rates") { request, context -> ReferralRates in
            let principal = try context.require(.commissionManager, .chcManager)
            let query = request.uri.queryParameters
            let district = try Pages.district(of: principal, asked: query["district"].map(String.init))
            let to = query["to"].map(String.init) ?? CalendarDay.today()
            let from = query["from"].map(String.init) ?? CalendarDay.shift(to, days: -29)
            let rates = try await apiErrors { try await referral.rates(district: district, from: from, to: to) }
            try await audit(context, principal, action: "search", entity: "referral/rates", patients: [])
            return rates
        }
    }

    /// Runs one step of the loop on the referral named in the path, audited with its resident.
    func act(_ context: Context, _ principal: Principal, _ step: (String) async throws -> Referral) async throws -> Referral {
        let id = try context.parameters.require("id")
        let done = try await apiErrors { try await step(id) }
        try await audit(context, principal, action: "update", entity: "referral/\(done.id)", patients: [done.patient])
        return done
    }
}
