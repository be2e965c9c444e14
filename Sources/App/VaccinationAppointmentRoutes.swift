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

/// The resident portal's 预约接种: for the resident and each family member who consented (a child's record
/// grants the parent), the schedule's doses now due and not yet had or booked, the booked appointments with a
/// cancel button, and a form to book a due dose into an open session of the member's CHC.
extension SurveillanceRoutes {
    func registerVaccinationPages(on router: Router<Context>) {
        router.get("portal/vaccination") { request, context in try await vaccinationPage(request, context) }
        router.post("portal/vaccination") { request, context in try await vaccinationAction(request, context, cancel: nil) }
        router.post("portal/vaccination/:id/cancel") { request, context in
            try await vaccinationAction(request, context, cancel: try context.parameters.require("id"))
        }
    }

    func vaccinationPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident, let own = principal.patient else {
            return Pages.page("预约接种", "<p class=\"error\">此页面供居民为本人或家人预约接种。</p>", status: .forbidden)
        }
        var body = request.uri.queryParameters["m"].map { "<p class=\"ok\" id=\"saved\" role=\"status\">\(HTML.escape(String($0)))</p>" } ?? ""
        let members = [own] + (try await access.consents.grantors(for: own))
        for member in members {
            guard let stored = try await surveillance.store.read(type: "Patient", id: member), !stored.deleted,
                  let patient = try? JSONValue.parse(Data(stored.content.utf8)) else { continue }
            let name = Pages.displayName(patient)
            body += "<section class=\"card\" id=\"member-\(HTML.escape(member))\"><h2>\(HTML.escape(name))</h2>"
            let booked = try await surveillance.vaccinationAppointments(patient: member).filter { $0.status == "booked" }
            body += "<ul class=\"plain\">" + booked.map { appointment in
                "<li>已预约 \(HTML.escape(Vaccination.schedule.first { $0.vaccine == appointment.vaccine }?.name ?? appointment.vaccine)) 第\(appointment.dose)剂 · \(HTML.escape(appointment.day)) \(appointment.period == "am" ? "上午" : "下午")"
                    + "<form class=\"inline\" method=\"post\" action=\"/portal/vaccination/\(HTML.escape(appointment.id))/cancel\">\(Pages.csrfField(context))<button type=\"submit\">取消预约</button></form></li>"
            }.joined() + "</ul>"
            let due = try await surveillance.dueDoses(patient: member, birthDate: patient["birthDate"]?.stringValue ?? "")
            let organization = patient["managingOrganization"]?["reference"]?.stringValue.map { String($0.dropFirst("Organization/".count)) }
            let district = organization.flatMap { id in Catalog.institutions.first { $0.id == id }?.district }
            var sessions: [VaccinationSession] = []
            if let district { sessions = try await surveillance.vaccinationSessions(district: district, organization: organization) }
            let open = sessions.filter { $0.booked < $0.capacity }
            if due.isEmpty {
                body += "<p class=\"muted\">暂无待接种的免疫规划疫苗</p>"
            } else if open.isEmpty {
                body += "<p class=\"muted\">待接种 \(due.count) 剂；所属社区接种门诊暂无可预约时段</p>"
            } else {
                body += "<form method=\"post\" action=\"/portal/vaccination\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"patient\" value=\"\(HTML.escape(member))\">"
                body += "<label>疫苗 <select name=\"dose\">" + due.map { "<option value=\"\(HTML.escape($0.vaccine))|\($0.dose)\">\(HTML.escape($0.name)) 第\($0.dose)剂（\(HTML.escape($0.dueOn)) 起应种）</option>" }.joined() + "</select></label>"
                body += "<label>时段 <select name=\"session\">" + open.map { "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape($0.day)) \($0.period == "am" ? "上午" : "下午")（余 \($0.capacity - $0.booked)）</option>" }.joined() + "</select></label>"
                body += "<button type=\"submit\">预约接种</button></form>"
            }
            body += "</section>"
        }
        try await access.record(context, principal, action: "read", entity: "portal/vaccination", patients: members)
        body += "<p><a href=\"/portal\">返回门户首页</a></p>"
        return Pages.page("预约接种", body)
    }

    func vaccinationAction(_ request: Request, _ context: Context, cancel: String?) async throws -> Response {
        try await Pages.formAction(request, context, roles: [.resident], back: { _ in "/portal/vaccination" }) { principal, fields in
            do {
                if let cancel {
                    guard let appointment = try await surveillance.vaccinationAppointment(id: cancel) else { throw HTTPError(.notFound, message: "没有该预约") }
                    try await checkFamilyOrCHC(principal, patient: appointment.patient)
                    _ = try await surveillance.cancelVaccination(appointment: cancel)
                    try await access.record(context, principal, action: "update", entity: "surveillance/vaccination-appointment", patients: [appointment.patient])
                    return ("已取消预约", nil)
                }
                let patient = fields["patient"] ?? ""
                let parts = (fields["dose"] ?? "").split(separator: "|")
                guard parts.count == 2, let dose = Int(parts[1]) else { throw HTTPError(.badRequest, message: "请选择疫苗和剂次") }
                try await checkFamilyOrCHC(principal, patient: patient)
                let appointment = try await surveillance.bookVaccination(session: fields["session"] ?? "", patient: patient, vaccine: String(parts[0]), dose: dose, actor: principal.subject)
                try await access.record(context, principal, action: "create", entity: "surveillance/vaccination-appointment", patients: [patient])
                return ("已预约 \(appointment.day) \(appointment.period == "am" ? "上午" : "下午")", nil)
            } catch let error as FHIRError {
                return (error.pageMessage, nil)
            }
        }
    }
}
