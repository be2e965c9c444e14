import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Surveillance

extension VaccinationSession: ResponseEncodable {}
extension VaccinationAppointment: ResponseEncodable {}

/// 接种门诊预约 under `/api/v1/surveillance/vaccination`: a CHC opens its clinic's sessions; anyone signed in
/// sees a district's sessions (no personal data); a parent (a resident whose child consented them access, or
/// themselves) or the child's CHC books and cancels; the CHC reads its list of the day, a resident their own.
extension SurveillanceRoutes {
    struct SessionForm: Decodable { var day: String; var period: String; var capacity: Int }
    struct BookingForm: Decodable { var session: String; var patient: String; var vaccine: String; var dose: Int }

    func registerVaccinationAppointments(on router: Router<Context>) {
        let api = router.group("api/v1/surveillance/vaccination")
        api.post("sessions") { request, context -> Response in
            let principal = try context.require(.chcStaff, .chcManager)
            let district = try Pages.district(of: principal, asked: nil)
            guard let organization = principal.institution else { throw HTTPError(.forbidden, message: "账号未关联社区卫生服务中心") }
            let form = try await request.decode(as: SessionForm.self, context: context)
            let session = try await apiErrors {
                try await surveillance.openVaccinationSession(organization: organization, district: district, day: form.day, period: form.period, capacity: form.capacity, actor: principal.subject)
            }
            try await access.record(context, principal, action: "create", entity: "surveillance/vaccination-session/\(session.id)", patients: [])
            return try Pages.json(session, status: .created)
        }
        api.get("sessions") { request, context -> [VaccinationSession] in
            let principal = try context.requirePrincipal()
            let query = request.uri.queryParameters
            guard let district = query["district"].map(String.init) ?? (try? Pages.district(of: principal, asked: nil)),
                  Catalog.divisions.contains(where: { $0.code == district && $0.level == "district" }) else {
                throw HTTPError(.badRequest, message: "请给出区划代码 district，如 310105")
            }
            return try await apiErrors {
                try await surveillance.vaccinationSessions(district: district, organization: query["organization"].map(String.init), from: query["from"].map(String.init) ?? CalendarDay.today())
            }
        }
        api.post("appointments") { request, context -> Response in
            let principal = try context.require(.resident, .chcStaff, .chcManager)
            let form = try await request.decode(as: BookingForm.self, context: context)
            try await checkFamilyOrCHC(principal, patient: form.patient)
            let appointment = try await apiErrors {
                try await surveillance.bookVaccination(session: form.session, patient: form.patient, vaccine: form.vaccine, dose: form.dose, actor: principal.subject)
            }
            try await access.record(context, principal, action: "create", entity: "surveillance/vaccination-appointment", patients: [form.patient])
            return try Pages.json(appointment, status: .created)
        }
        api.post("appointments/:id/cancel") { _, context -> VaccinationAppointment in
            let principal = try context.require(.resident, .chcStaff, .chcManager)
            let id = try context.parameters.require("id")
            guard let appointment = try await surveillance.vaccinationAppointment(id: id) else { throw HTTPError(.notFound, message: "没有预约 \(id)") }
            // The family, the child's CHC, or the clinic's own staff.
            if principal.institution != appointment.organization || principal.role == .resident {
                try await checkFamilyOrCHC(principal, patient: appointment.patient)
            }
            let cancelled = try await apiErrors { try await surveillance.cancelVaccination(appointment: id) }
            try await access.record(context, principal, action: "update", entity: "surveillance/vaccination-appointment", patients: [appointment.patient])
            return cancelled
        }
        api.get("appointments") { request, context -> [VaccinationAppointment] in
            let principal = try context.require(.resident, .chcStaff, .chcManager)
            let list: [VaccinationAppointment]
            if principal.role == .resident {
                guard let own = principal.patient else { throw HTTPError(.forbidden, message: "账号未关联居民档案") }
                list = try await surveillance.vaccinationAppointments(patient: own)
            } else {
                guard let organization = principal.institution else { throw HTTPError(.forbidden, message: "账号未关联社区卫生服务中心") }
                let day = request.uri.queryParameters["day"].map(String.init) ?? CalendarDay.today()
                guard CalendarDay.isValid(day) else { throw HTTPError(.badRequest, message: "day 须为 YYYY-MM-DD") }
                list = try await surveillance.vaccinationAppointments(organization: organization, day: day)
            }
            try await access.record(context, principal, action: "search", entity: "surveillance/vaccination-appointment", patients: Array(Set(list.map(\.patient))).sorted())
            return list
        }
    }

    /// 404 for an unknown child, 403 unless the principal is the child, has the child's consent, or works at the child's CHC.
    func checkFamilyOrCHC(_ principal: Principal, patient: String) async throws {
        guard FHIRID.isValid(patient), let stored = try await surveillance.store.read(type: "Patient", id: patient), !stored.deleted else {
            throw HTTPError(.notFound, message: "居民 Patient/\(patient) 不存在")
        }
        guard try await access.policy.relationship(principal, patient: patient) != nil else {
            throw HTTPError(.forbidden, message: principal.role == .resident ? "只能为本人或已授权您的家人预约" : "只能为本中心管理的儿童预约")
        }
    }
}
