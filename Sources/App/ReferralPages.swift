import Access
import FHIR
import Foundation
import Hummingbird
import Referral
import Registry
import Storage

/// The referral pages (phone-sized, 中文): the referral desk of family doctors (send up, read the feedback)
/// and of hospitals and CHCs (the inbox: accept into a slot, decline, record the visit, send the discharge
/// summary), a hospital department's schedule management, and booking by family doctors (reserved slots
/// too) and residents (public slots).
extension ReferralRoutes {
    func registerPages(on router: Router<Context>) {
        router.get("referral") { request, context in
            let query = request.uri.queryParameters
            return try await deskPage(context, message: query["m"].map(String.init), prefill: (query["patient"].map(String.init), query["reason"].map(String.init)))
        }
        router.post("referral/new") { request, context in
            try await form(request, context) { fields, principal in
                let sent = try await referral.send(ReferralRequest(
                    patient: fields["patient"] ?? "", toOrganization: fields["toOrganization"] ?? "", department: fields["department"],
                    reason: fields["reason"] ?? "", diagnosisCode: (fields["diagnosisCode"] ?? "").isEmpty ? nil : fields["diagnosisCode"],
                    diagnosisText: (fields["diagnosisText"] ?? "").isEmpty ? nil : fields["diagnosisText"]), by: try Self.actor(principal))
                return (sent.patient, "转诊已发送（\(sent.id)），等待\(Catalog.institutions.first { $0.id == sent.toOrganization }?.name ?? "")接收")
            } check: { fields, principal in
                try await requireResident(fields["patient"] ?? "")
                guard principal.role == .familyDoctor, try await access.policy.relationship(principal, patient: fields["patient"] ?? "") == .panel else {
                    throw HTTPError(.forbidden, message: "家庭医生只能为本人签约居民上转")
                }
            }
        }
        router.post("referral/:id/:step") { request, context in
            let id = try context.parameters.require("id")
            return try await form(request, context) { fields, principal in
                let actor = try Self.actor(principal)
                let done: Referral
                switch try context.parameters.require("step") {
                case "accept": done = try await referral.accept(id, by: actor, slot: (fields["slot"] ?? "").isEmpty ? nil : fields["slot"])
                case "decline": done = try await referral.decline(id, reason: fields["reason"] ?? "", by: actor)
                case "visit": done = try await referral.recordVisit(id, by: actor)
                case "complete": done = try await referral.complete(id, summary: fields["summary"] ?? "", by: actor)
                default: throw HTTPError(.notFound, message: "未知操作")
                }
                return (done.patient, "转诊单 \(done.id)：\(Referral.label(done.status))")
            } check: { _, principal in
                guard [.hospitalClinician, .chcStaff, .chcManager, .familyDoctor].contains(principal.role) else { throw HTTPError(.forbidden, message: "无权处理转诊") }
            }
        }
        router.get("referral/schedules") { request, context in try await schedulesPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.post("referral/schedules") { request, context in
            try await form(request, context, back: "/referral/schedules") { fields, principal in
                let schedule = try await referral.createSchedule(SchedulePlan(
                    organization: principal.institution ?? "", department: fields["department"] ?? "", practitioner: fields["expert"] == "on" ? principal.practitioner : nil,
                    day: fields["day"] ?? "", start: fields["start"], end: fields["end"], slotMinutes: fields["slotMinutes"].flatMap { Int($0) },
                    reservedPercent: (fields["reservedPercent"] ?? "").isEmpty ? nil : Int(fields["reservedPercent"] ?? "") ?? -1,
                    releaseHours: (fields["releaseHours"] ?? "").isEmpty ? nil : Int(fields["releaseHours"] ?? "") ?? -1), actor: principal.subject)
                return (nil, "已发布 \(schedule.day) \(schedule.departmentName) 号源 \(schedule.slots) 个，其中社区预留 \(schedule.reservedFree) 个")
            } check: { _, principal in
                guard principal.role == .hospitalClinician else { throw HTTPError(.forbidden, message: "排班由医院发布") }
            }
        }
        router.get("referral/book") { request, context in try await bookingPage(request, context) }
        router.post("referral/book") { request, context in
            try await form(request, context, back: "/referral/book") { fields, principal in
                let patient = fields["patient"] ?? ""
                let booked = try await referral.book(BookingRequest(slot: fields["slot"] ?? "", patient: patient, channel: try await bookingChannel(principal, patient: patient),
                                                                    actor: principal.subject))
                return (patient, "预约成功：\(Department.name(booked.department)) \(booked.start.prefix(16).replacingOccurrences(of: "T", with: " "))（预约号 \(booked.id)）")
            } check: { fields, principal in
                guard [.resident, .familyDoctor, .chcStaff, .chcManager].contains(principal.role) else { throw HTTPError(.forbidden, message: "无权预约") }
                if principal.role != .resident { try await requireResident(fields["patient"] ?? "") }
            }
        }
        router.post("referral/appointments/:id/cancel") { request, context in
            let id = try context.parameters.require("id")
            return try await form(request, context, back: "/referral/book") { _, principal in
                let appointment = try await referral.appointment(id)
                _ = try await bookingChannel(principal, patient: appointment.patient)
                let cancelled = try await referral.cancel(id, actor: principal.subject)
                return (cancelled.patient, "已取消预约 \(cancelled.id)")
            } check: { _, _ in }
        }
    }

    /// Runs a page form: CSRF checked, `check` (403/404 before anything), then `body`, audited with the resident it
    /// concerns; back to `back` with its message, or the refusal shown on the page with its 4xx status.
    func form(_ request: Request, _ context: Context, back: String = "/referral",
              _ body: ([String: String], Principal) async throws -> (patient: String?, message: String),
              check: ([String: String], Principal) async throws -> Void) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        try await check(fields, principal)
        do {
            let (patient, message) = try await body(fields, principal)
            try await audit(context, principal, action: "update", entity: "referral-page\(request.uri.path)", patients: patient.map { [$0] } ?? [])
            return HTML.redirect(back + "?m=" + Pages.queryEscape(message))
        } catch let error as FHIRError {
            let text = error.pageMessage
            return Pages.page("操作未完成", "<p class=\"error\" id=\"problem\" role=\"alert\">\(HTML.escape(text))</p><p><a href=\"\(back)\">返回</a></p>",
                              status: HTTPResponse.Status(code: error.status))
        }
    }

    static func slotTime(_ text: String) -> String { String(text.prefix(16)).replacingOccurrences(of: "T", with: " ") }

    func residentNames(_ ids: [String]) async throws -> [String: String] {
        var names: [String: String] = [:]
        for id in Set(ids) where FHIRID.isValid(id) {
            if let stored = try await referral.store.read(type: "Patient", id: id), !stored.deleted {
                names[id] = Pages.displayName(try JSONValue.parse(Data(stored.content.utf8)))
            }
        }
        return names
    }

    func panel(_ practitioner: String) async throws -> [(String, String)] {
        var found: [(String, String)] = []
        try await referral.store.forEachMatch("Patient", [("general-practitioner", "Practitioner/\(practitioner)")]) { match in
            found.append((match.id, Pages.displayName(try JSONValue.parse(Data(match.content.utf8)))))
        }
        return found
    }

    func item(_ entry: Referral, names: [String: String]) -> String {
        let receiver = Catalog.institutions.first { $0.id == entry.toOrganization }?.shortName ?? entry.toOrganization
        var html = "<li id=\"referral-\(HTML.escape(entry.id))\"><strong>\(HTML.escape(names[entry.patient] ?? entry.patient))</strong> "
        html += "<span class=\"tag\">\(entry.direction == "up" ? "上转" : "下转")</span><span class=\"tag status\">\(HTML.escape(Referral.label(entry.status)))</span> "
        html += "<span class=\"muted\">→ \(HTML.escape(receiver)) \(HTML.escape(entry.department.isEmpty ? "" : Department.name(entry.department))) · \(HTML.escape(String(entry.requestedAt.prefix(10))))</span>"
        html += "<br><span class=\"muted\">\(HTML.escape(entry.diagnosisText ?? entry.diagnosisCode ?? "")) \(HTML.escape(entry.reason))</span>"
        if let reason = entry.declineReason { html += "<br><span class=\"error\">拒绝原因：\(HTML.escape(reason))</span>" }
        if let summary = entry.summary { html += "<p class=\"summary\"><strong>出院小结：</strong>\(HTML.escape(summary))</p>" }
        return html
    }

    /// Referrals the chronic-care module suggests for a doctor's panel: draft ServiceRequests of intent `proposal`
    /// (建议转诊), newest first, at most 20.
    func suggestions(panel: Set<String>) async throws -> [(patient: String, reason: String)] {
        var search = try SearchRequest(type: "ServiceRequest", query: [("intent", "proposal"), ("status", "draft"), ("_sort", "-_lastUpdated")],
                                       definitions: referral.store.definitions, strict: true)
        search.count = 200
        return try await referral.store.search(search).matches.compactMap { match in
            let resource = try JSONValue.parse(Data(match.content.utf8))
            guard let subject = resource["subject"]?["reference"]?.stringValue, subject.hasPrefix("Patient/"),
                  panel.contains(String(subject.dropFirst("Patient/".count))) else { return nil }
            let reason = resource["reasonCode"]?.items.first?["text"]?.stringValue ?? resource["code"]?["text"]?.stringValue ?? resource["note"]?.items.first?["text"]?.stringValue ?? "建议转诊"
            return (String(subject.dropFirst("Patient/".count)), reason)
        }.prefix(20).map { $0 }
    }

    func deskPage(_ context: Context, message: String?, prefill: (patient: String?, reason: String?) = (nil, nil)) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        switch principal.role {
        case .familyDoctor:
            guard let practitioner = principal.practitioner else { break }
            let list = try await referral.worklist(practitioner: practitioner)
            let residents = try await panel(practitioner)
            let names = try await residentNames(list.map(\.patient))
            let hospitals = Catalog.institutions.filter { ["hospital", "tcm-hospital", "maternal-child"].contains($0.type) && $0.district == Pages.districtOf(principal) }
            let suggested = try await suggestions(panel: Set(residents.map(\.0)))
            let panelNames = Dictionary(residents, uniquingKeysWith: { first, _ in first })
            if !suggested.isEmpty {
                body += "<div class=\"card\"><h2>慢病管理建议转诊</h2><ul class=\"plain\" id=\"suggested\">" + suggested.map {
                    "<li>\(HTML.escape(panelNames[$0.patient] ?? $0.patient)) <span class=\"muted\">\(HTML.escape($0.reason))</span> "
                        + "<a href=\"/referral?patient=\(Pages.queryEscape($0.patient))&amp;reason=\(Pages.queryEscape($0.reason))#referral-form\">转为转诊申请</a></li>"
                }.joined() + "</ul></div>"
            }
            body += "<div class=\"card\"><h2>我的转诊</h2><ul class=\"plain\" id=\"my-referrals\">" + list.map { item($0, names: names) + "</li>" }.joined()
            body += list.isEmpty ? "<li>暂无</li>" : ""
            body += "</ul></div>"
            body += """
            <form method="post" action="/referral/new" class="card" id="referral-form">\(Pages.csrfField(context))<h2>新建上转</h2>
            <label>居民 <select name="patient">\(residents.map { "<option value=\"\(HTML.escape($0.0))\"\($0.0 == prefill.patient ? " selected" : "")>\(HTML.escape($0.1))</option>" }.joined())</select></label>
            <label>接收医院 <select name="toOrganization">\(hospitals.map { "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape($0.name))</option>" }.joined())</select></label>
            <label>接收科室 <select name="department">\(Department.all.map { "<option value=\"\($0.code)\">\(HTML.escape($0.name))</option>" }.joined())</select></label>
            <label>诊断编码（ICD-10） <input type="text" name="diagnosisCode" maxlength="8" placeholder="如 I10"></label>
            <label>诊断 <input type="text" name="diagnosisText" maxlength="100"></label>
            <label>转诊原因 <input type="text" name="reason" maxlength="2000" value="\(HTML.escape(prefill.reason ?? ""))" required></label>
            <button type="submit">发送转诊</button></form>
            <p><a href="/referral/book">预约专家号（社区预留号源）</a> · <a href="/workstation">家庭医生工作台</a></p>
            """
            try await audit(context, principal, action: "search", entity: "referral/worklist", patients: Array(Set(list.map(\.patient))).sorted())
            return Pages.page("转诊工作台", body)
        case .hospitalClinician, .chcStaff, .chcManager:
            guard let organization = principal.institution else { break }
            let list = try await referral.inbox(organization: organization)
            let names = try await residentNames(list.map(\.patient))
            var openSlots: [String: [Slot]] = [:]
            for department in Set(list.filter { $0.status == "requested" && !$0.department.isEmpty }.map(\.department)) {
                for schedule in try await referral.schedules(organization: organization, department: department, from: CalendarDay.today()) where schedule.free > 0 {
                    openSlots[department, default: []] += try await referral.slots(schedule: schedule.id).filter { $0.status == "free" && $0.start > ISO8601Timestamp.now() }.prefix(20)
                }
            }
            body += "<div class=\"card\"><h2>转诊收件箱</h2><ul class=\"plain\" id=\"inbox\">"
            for entry in list {
                body += item(entry, names: names)
                let action = "/referral/\(HTML.escape(entry.id))"
                switch entry.status {
                case "requested":
                    // A resident holds one booking per schedule (referral_appointment_one_per_schedule): offer only
                    // the slots of schedules they have not booked yet, so accepting never fails on a slot shown here.
                    let bookedSchedules = Set(try await referral.appointments(patient: entry.patient).filter { $0.status == "booked" }.map(\.schedule))
                    let slots = (openSlots[entry.department] ?? []).filter { !bookedSchedules.contains($0.schedule) }
                    body += "<form method=\"post\" action=\"\(action)/accept\" class=\"accept\">\(Pages.csrfField(context))<label>预约时段 <select name=\"slot\"><option value=\"\">暂不预约</option>"
                    body += slots.map { "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape(Self.slotTime($0.start)))\($0.pool == "reserved" ? "（社区预留）" : "")</option>" }.joined()
                    body += "</select></label><button type=\"submit\">接收</button></form>"
                    body += "<form method=\"post\" action=\"\(action)/decline\">\(Pages.csrfField(context))<label>拒绝原因 <input type=\"text\" name=\"reason\"></label><button type=\"submit\">拒绝</button></form>"
                case "accepted", "booked":
                    body += "<form method=\"post\" action=\"\(action)/visit\">\(Pages.csrfField(context))<button type=\"submit\">登记就诊</button></form>"
                case "visited":
                    body += "<form method=\"post\" action=\"\(action)/complete\">\(Pages.csrfField(context))<label>出院小结/反馈意见 <textarea name=\"summary\" rows=\"4\" maxlength=\"5000\"></textarea></label><button type=\"submit\">发送出院小结</button></form>"
                default: break
                }
                body += "</li>"
            }
            body += list.isEmpty ? "<li>暂无</li>" : ""
            body += "</ul></div>"
            if principal.role == .hospitalClinician { body += "<p><a href=\"/referral/schedules\">排班与号源管理</a></p>" }
            try await audit(context, principal, action: "search", entity: "referral/inbox", patients: Array(Set(list.map(\.patient))).sorted())
            return Pages.page("转诊收件箱", body)
        case .resident:
            return HTML.redirect("/referral/book")
        default:
            break
        }
        return Pages.page("双向转诊", "<p class=\"error\">此页面供家庭医生、社区和医院使用。</p>", status: .forbidden)
    }

    func schedulesPage(_ context: Context, message: String?) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .hospitalClinician, let organization = principal.institution else {
            return Pages.page("排班管理", "<p class=\"error\">此页面供医院科室使用。</p>", status: .forbidden)
        }
        let today = CalendarDay.today()
        let schedules = try await referral.schedules(organization: organization, from: today)
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        body += "<div class=\"card\"><h2>近两周排班</h2><table id=\"schedules\"><thead><tr><th>日期</th><th>科室</th><th>号源</th><th>余号</th><th>社区预留余号</th></tr></thead><tbody>"
        body += schedules.map {
            "<tr><td>\($0.day)</td><td>\(HTML.escape($0.departmentName))\($0.practitioner == nil ? "" : "（专家）")</td><td>\($0.slots)</td><td>\($0.free)</td><td>\($0.reservedFree)（\($0.reservedPercent)%，提前\($0.releaseHours)小时释放）</td></tr>"
        }.joined()
        body += "</tbody></table></div>"
        body += """
        <form method="post" action="/referral/schedules" class="card" id="schedule-form">\(Pages.csrfField(context))<h2>发布号源（分时段）</h2>
        <label>科室 <select name="department">\(Department.all.map { "<option value=\"\($0.code)\">\(HTML.escape($0.name))</option>" }.joined())</select></label>
        <label>日期 <input type="date" name="day" value="\(CalendarDay.shift(today, days: 1))" required></label>
        <label>开始 <input type="time" name="start" value="08:00"></label><label>结束 <input type="time" name="end" value="11:30"></label>
        <label>每时段（分钟） <input type="text" inputmode="numeric" name="slotMinutes" value="15"></label>
        <label><input type="checkbox" name="expert"> 本人专家号</label>
        <label>社区预留比例 % <input type="text" inputmode="numeric" name="reservedPercent" placeholder="区域医疗中心专家号默认20"></label>
        <label>预留号提前释放（小时） <input type="text" inputmode="numeric" name="releaseHours" value="24"></label>
        <button type="submit">发布</button></form>
        <p><a href="/referral">转诊收件箱</a></p>
        """
        try await audit(context, principal, action: "search", entity: "referral/schedules", patients: [])
        return Pages.page("排班与号源管理", body)
    }

    func bookingPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard [.resident, .familyDoctor, .chcStaff, .chcManager].contains(principal.role) else {
            return Pages.page("预约挂号", "<p class=\"error\">此页面供居民和家庭医生使用。</p>", status: .forbidden)
        }
        let query = request.uri.queryParameters
        let district = Pages.districtOf(principal) ?? "310105"
        let hospitals = Catalog.institutions.filter { ["hospital", "tcm-hospital", "maternal-child"].contains($0.type) && $0.district == district }
        let organization = query["organization"].map(String.init) ?? hospitals.first?.id ?? ""
        let department = query["department"].map(String.init) ?? "cardiology"
        let patients: [(String, String)]
        if principal.role == .resident, let own = principal.patient {
            patients = [(own, principal.displayName)]
        } else if principal.role == .familyDoctor, let practitioner = principal.practitioner {
            patients = try await panel(practitioner)
        } else {
            patients = []
        }
        var body = query["m"].map { "<p class=\"ok\" id=\"saved\">\(HTML.escape(String($0)))</p>" } ?? ""
        if principal.role == .resident, let own = principal.patient {
            let appointments = try await referral.appointments(patient: own)
            body += "<div class=\"card\"><h2>我的预约</h2><ul class=\"plain\" id=\"appointments\">"
            for appointment in appointments {
                body += "<li>\(HTML.escape(Department.name(appointment.department))) \(HTML.escape(Self.slotTime(appointment.start))) <span class=\"tag\">\(HTML.escape(Self.appointmentLabel(appointment.status)))</span>"
                if appointment.status == "booked" {
                    body += "<form method=\"post\" action=\"/referral/appointments/\(HTML.escape(appointment.id))/cancel\">\(Pages.csrfField(context))<button type=\"submit\">取消预约</button></form>"
                }
                body += "</li>"
            }
            body += appointments.isEmpty ? "<li>暂无</li>" : ""
            body += "</ul></div>"
            try await audit(context, principal, action: "search", entity: "appointments", patients: [own])
        }
        body += "<form method=\"get\" action=\"/referral/book\" class=\"card\"><label>医院 <select name=\"organization\">"
        body += hospitals.map { "<option value=\"\(HTML.escape($0.id))\"\($0.id == organization ? " selected" : "")>\(HTML.escape($0.name))</option>" }.joined()
        body += "</select></label><label>科室 <select name=\"department\">"
        body += Department.all.map { "<option value=\"\($0.code)\"\($0.code == department ? " selected" : "")>\(HTML.escape($0.name))</option>" }.joined()
        body += "</select></label><button type=\"submit\">查询号源</button></form>"
        let now = ISO8601Timestamp.now()
        var free: [Slot] = []
        for schedule in try await referral.schedules(organization: organization, department: department, from: CalendarDay.today()) where schedule.free > 0 && free.count < 40 {
            free += try await referral.slots(schedule: schedule.id).filter { $0.status == "free" && $0.start > now && (principal.role != .resident || $0.openToPublic) }
        }
        body += "<form method=\"post\" action=\"/referral/book\" class=\"card\" id=\"booking-form\">\(Pages.csrfField(context))<h2>可预约时段</h2>"
        body += "<label>居民 <select name=\"patient\">" + patients.map { "<option value=\"\(HTML.escape($0.0))\">\(HTML.escape($0.1))</option>" }.joined() + "</select></label>"
        body += "<ul class=\"plain\" id=\"slots\">" + free.prefix(40).map {
            "<li><label><input type=\"radio\" name=\"slot\" value=\"\(HTML.escape($0.id))\"> \(HTML.escape(Self.slotTime($0.start)))\($0.pool == "reserved" && !$0.openToPublic ? " <span class=\"tag\">社区预留</span>" : "")</label></li>"
        }.joined()
        body += free.isEmpty ? "<li>暂无可预约号源</li>" : ""
        body += "</ul><button type=\"submit\">预约</button></form>"
        return Pages.page(principal.role == .resident ? "预约挂号" : "预约专家号（社区预留）", body)
    }

    static func appointmentLabel(_ status: String) -> String {
        ["booked": "已预约", "cancelled": "已取消", "rescheduled": "已改约", "fulfilled": "已就诊", "noshow": "爽约"][status] ?? status
    }
}

extension Pages {
    /// The district of a principal's institution (or their own district).
    static func districtOf(_ principal: Principal) -> String? {
        principal.district ?? principal.institution.flatMap { id in Catalog.institutions.first { $0.id == id }?.district }
    }
}
