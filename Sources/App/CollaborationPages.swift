import Access
import Collaboration
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage

/// The pages of consultations (`/consultations`: the inbox and the requester's list, a request form, one
/// consultation with its materials and next steps), the dispatcher's board (`/emergency/dispatch`), the emergency
/// department's pre-arrival notices (`/emergency/notices`) and the time-critical centres (`/critical-care`).
extension CollaborationRoutes {
    func registerPages(on router: Router<Context>) {
        router.get("consultations") { request, context in try await consultationsPage(request, context) }
        router.get("consultations/new") { request, context in try await newConsultationPage(request, context) }
        router.post("consultations") { request, context in try await consultationCreate(request, context) }
        router.get("consultations/:id") { request, context in try await consultationPage(request, context) }
        router.post("consultations/:id") { request, context in try await consultationAction(request, context) }
        router.get("emergency/dispatch") { request, context in try await dispatchPage(request, context) }
        router.post("emergency/dispatch") { request, context in try await dispatchAction(request, context) }
        router.get("emergency/notices") { request, context in try await noticesPage(request, context) }
        router.post("emergency/notices") { request, context in try await noticesAction(request, context) }
        router.get("critical-care") { request, context in try await criticalPage(request, context) }
        router.post("critical-care") { request, context in try await criticalAction(request, context) }
    }

    static func message(_ request: Request) -> String {
        request.uri.queryParameters["m"].map { "<p class=\"notice\" id=\"message\">\(HTML.escape(String($0)))</p>" } ?? ""
    }

    static func shown(_ time: String?) -> String { time.map { String($0.prefix(16)).replacingOccurrences(of: "T", with: " ") } ?? "—" }
    static func name(_ institution: String) -> String { Catalog.institutions.first { $0.id == institution }.map { $0.shortName ?? $0.name } ?? institution }

    func formAction(_ request: Request, _ context: Context, roles: [Role], back: (String?) -> String,
                    _ body: (Principal, [String: String]) async throws -> (String, String?)) async throws -> Response {
        try await Pages.formAction(request, context, roles: roles, back: back, body)
    }

    // MARK: consultations

    func consultationsPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard Self.requesters.contains(principal.role) else { return Pages.page("会诊", "<p class=\"error\">此页面供家庭医生和医院临床医生使用。</p>", status: .forbidden) }
        var body = Self.message(request)
        func rows(_ items: [Consultation], id: String) -> String {
            "<table id=\"\(id)\"><thead><tr><th>申请时间</th><th>类型</th><th>申请方 → 会诊医院</th><th>状态</th></tr></thead><tbody>" + items.map { item in
                let unread = item.status == "completed" && item.acknowledgedAt == nil && item.requesterAccount == principal.subject
                return "<tr data-consultation=\"\(HTML.escape(item.id))\" data-status=\"\(item.status)\"><td>\(Self.shown(item.requestedAt))</td>"
                    + "<td><a href=\"/consultations/\(HTML.escape(item.id))\">\(Consultations.kinds[item.kind] ?? item.kind)</a></td>"
                    + "<td>\(HTML.escape(Self.name(item.requesterInstitution))) → \(HTML.escape(Self.name(item.targetInstitution)))</td>"
                    + "<td\(unread ? " class=\"rag-amber\"" : "")>\(Consultations.statuses[item.status] ?? item.status)\(unread ? "（未阅）" : "")</td></tr>"
            }.joined() + (items.isEmpty ? "<tr><td colspan=\"4\">暂无</td></tr>" : "") + "</tbody></table>"
        }
        if principal.role == .hospitalClinician, let institution = principal.institution {
            body += "<div class=\"card\"><h2>会诊收件箱</h2>" + rows(try await consultations.list(addressedTo: institution), id: "inbox") + "</div>"
        }
        body += "<div class=\"card\"><h2>我的会诊申请</h2>" + rows(try await consultations.list(requestedBy: principal.subject), id: "outbox")
        body += "<p class=\"muted\">从居民的健康档案发起会诊：<a href=\"/consultations/new\">新建会诊申请</a></p></div>"
        return Pages.page("会诊", body)
    }

    /// The request form; with `?patient=`, the resident's recent records to attach (a read of their record, logged).
    func newConsultationPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard Self.requesters.contains(principal.role) else { return Pages.page("新建会诊申请", "<p class=\"error\">此页面供家庭医生和医院临床医生使用。</p>", status: .forbidden) }
        let patient = request.uri.queryParameters["patient"].map(String.init) ?? ""
        var body = "<form method=\"get\" action=\"/consultations/new\" class=\"card\"><label>居民档案编号 <input type=\"text\" name=\"patient\" value=\"\(HTML.escape(patient))\" maxlength=\"64\" required></label>"
            + "<button type=\"submit\">查找</button></form>"
        guard !patient.isEmpty else { return Pages.page("新建会诊申请", body) }
        guard FHIRID.isValid(patient), try await access.policy.relationship(principal, patient: patient) != nil,
              let stored = try await consultations.store.read(type: "Patient", id: patient), !stored.deleted else {
            return Pages.page("新建会诊申请", body + "<p class=\"error\">无权查看该居民的健康档案，或档案不存在。</p>", status: .forbidden)
        }
        let resident = try JSONValue.parse(Data(stored.content.utf8))
        var materials: [(String, String, String)] = []
        for type in ["Condition", "Observation", "DiagnosticReport", "ImagingStudy"] {
            var search = try SearchRequest(type: type, query: [("subject", "Patient/\(patient)"), ("_sort", "-_lastUpdated")], definitions: consultations.store.definitions, strict: true)
            search.count = 10
            for match in try await consultations.store.search(search).matches {
                let resource = try JSONValue.parse(Data(match.content.utf8))
                materials.append(("\(type)/\(match.id)", ContractingRoutes.summary(resource), String((ContractingRoutes.date(resource) ?? "").prefix(10))))
            }
        }
        try await access.record(context, principal, action: "read", entity: "consultation-materials", patients: [patient])
        body += "<form method=\"post\" action=\"/consultations\" class=\"card\" id=\"request-form\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"patient\" value=\"\(HTML.escape(patient))\">"
        body += "<h2>\(HTML.escape(Pages.displayName(resident)))</h2>"
        body += "<label>类型 <select name=\"kind\">" + ["remote", "mdt"].map { "<option value=\"\($0)\">\(Consultations.kinds[$0] ?? $0)</option>" }.joined() + "</select></label>"
        body += "<label>会诊医院 <select name=\"targetInstitution\">" + Catalog.institutions.filter { Consultations.hospitalTypes.contains($0.type) && $0.id != principal.institution }.map {
            "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape($0.name))</option>"
        }.joined() + "</select></label>"
        body += "<label>会诊专科（用顿号或逗号分隔，多学科会诊至少两个） <input type=\"text\" name=\"specialties\" maxlength=\"200\" required placeholder=\"心内科、内分泌科\"></label>"
        body += "<label>会诊目的与问题 <textarea name=\"question\" maxlength=\"2000\" required></textarea></label>"
        body += "<fieldset><legend>附档案资料</legend>" + materials.map {
            "<label><input type=\"checkbox\" name=\"material\" value=\"\(HTML.escape($0.0))\"> \(HTML.escape($0.2)) \(HTML.escape($0.1))</label>"
        }.joined() + (materials.isEmpty ? "<p class=\"muted\">档案中暂无可附资料</p>" : "") + "</fieldset><button type=\"submit\">提交会诊申请</button></form>"
        return Pages.page("新建会诊申请", body)
    }

    func consultationCreate(_ request: Request, _ context: Context) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        let fields = try await AccessRoutes.formValues(request)
        guard let session = context.sessions.session, AccessRoutes.same(fields.first { $0.0 == "csrf" }?.1 ?? "", session.csrf) else {
            throw HTTPError(.forbidden, message: "表单已过期，请刷新页面后重试")
        }
        guard let principal = context.principal, Self.requesters.contains(principal.role) else { throw HTTPError(.forbidden, message: "无权申请会诊") }
        func field(_ name: String) -> String { fields.first { $0.0 == name }?.1 ?? "" }
        let specialties = field("specialties").split(whereSeparator: { "、,，;；".contains($0) }).map { String($0).trimmingCharacters(in: .whitespaces) }
        let form = ConsultationForm(kind: field("kind"), patient: field("patient"), targetInstitution: field("targetInstitution"), question: field("question"),
                                    specialties: specialties, materials: fields.filter { $0.0 == "material" }.map(\.1))
        do {
            let created = try await requestConsultation(form, principal: principal, context: context)
            return HTML.redirect("/consultations/\(created.id)?m=" + Pages.queryEscape("会诊申请已提交"))
        } catch let error as HTTPError where error.status.code < 500 {
            return HTML.redirect("/consultations/new?patient=\(Pages.queryEscape(form.patient))&m=" + Pages.queryEscape(error.body ?? "无法提交"))
        }
    }

    func consultationPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let id = context.parameters.get("id") ?? ""
        guard Self.requesters.contains(principal.role), id.count <= 64, let item = try await consultations.find(id), Self.maySee(principal, item) else {
            return Pages.page("会诊", "<p class=\"error\">没有该会诊申请。</p><p><a href=\"/consultations\">返回会诊列表</a></p>", status: .notFound)
        }
        try await access.record(context, principal, action: "read", entity: "consultation/\(item.id)", patients: [item.patient])
        let resident = try await consultations.store.read(type: "Patient", id: item.patient).flatMap { try? JSONValue.parse(Data($0.content.utf8)) }
        var body = Self.message(request)
        body += "<div class=\"card\" id=\"consultation\" data-status=\"\(item.status)\"><h2>\(Consultations.kinds[item.kind] ?? item.kind) · \(HTML.escape(Pages.displayName(resident)))</h2>"
        body += "<p>\(HTML.escape(Self.name(item.requesterInstitution))) → \(HTML.escape(Self.name(item.targetInstitution))) · 专科：\(HTML.escape(item.specialties.joined(separator: "、")))</p>"
        body += "<p>会诊目的：\(HTML.escape(item.question))</p>"
        body += "<p id=\"state\">状态：<strong>\(Consultations.statuses[item.status] ?? item.status)</strong>"
            + (item.scheduledAt.map { " · 会诊时间 \(HTML.escape(Self.shown($0)))" } ?? "") + "</p>"
        if !item.participants.isEmpty { body += "<p>会诊专家：\(HTML.escape(item.participants.map { "\($0.name)（\($0.specialty)）" }.joined(separator: "、")))</p>" }
        if let reason = item.declineReason { body += "<p class=\"rag-red\">拒绝原因：\(HTML.escape(reason))</p>" }
        body += "</div>"
        if let conclusion = item.conclusion {
            body += "<div class=\"card\" id=\"conclusion\"><h2>会诊意见</h2><p>\(HTML.escape(conclusion))</p><p class=\"muted\">\(Self.shown(item.concludedAt)) · 已写入居民健康档案</p></div>"
        }
        body += "<div class=\"card\"><h2>档案资料</h2><ul class=\"plain\" id=\"materials\">"
        for link in item.materials {
            let parts = link.split(separator: "/").map(String.init)
            guard parts.count == 2, let stored = try await consultations.store.read(type: parts[0], id: parts[1]), let resource = try? JSONValue.parse(Data(stored.content.utf8)) else { continue }
            body += "<li>\(HTML.escape(String((ContractingRoutes.date(resource) ?? "").prefix(10)))) \(HTML.escape(ContractingRoutes.summary(resource)))</li>"
        }
        body += item.materials.isEmpty ? "<li class=\"muted\">未附资料</li>" : ""
        body += "</ul></div>"
        let open = item.status == "requested" || item.status == "scheduled"
        let action = "/consultations/\(HTML.escape(item.id))"
        if principal.role == .hospitalClinician, principal.institution == item.targetInstitution, open {
            body += "<form method=\"post\" action=\"\(action)\" class=\"card\" id=\"schedule-form\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"schedule\">"
                + "<h2>安排会诊</h2><label>会诊时间 <input type=\"datetime-local\" name=\"scheduledAt\" required></label>"
                + "<label>会诊专家（每行一位：姓名 专科） <textarea name=\"participants\" maxlength=\"1000\" required></textarea></label><button type=\"submit\">安排</button></form>"
            if item.status == "scheduled" {
                body += "<form method=\"post\" action=\"\(action)\" class=\"card\" id=\"conclusion-form\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"conclude\">"
                    + "<h2>出具会诊意见</h2><label>会诊意见 <textarea name=\"conclusion\" maxlength=\"4000\" required></textarea></label><button type=\"submit\">提交意见</button></form>"
            }
            body += "<form method=\"post\" action=\"\(action)\" class=\"card\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"decline\">"
                + "<label>拒绝原因 <input type=\"text\" name=\"reason\" maxlength=\"1000\" required></label><button type=\"submit\">拒绝</button></form>"
        }
        if item.requesterAccount == principal.subject {
            if open {
                body += "<form method=\"post\" action=\"\(action)\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"cancel\"><button type=\"submit\">撤销申请</button></form>"
            } else if item.status == "completed", item.acknowledgedAt == nil {
                body += "<form method=\"post\" action=\"\(action)\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"acknowledge\"><button type=\"submit\" id=\"acknowledge\">已阅</button></form>"
            }
        }
        body += "<p><a href=\"/consultations\">返回会诊列表</a></p>"
        return Pages.page("会诊", body)
    }

    func consultationAction(_ request: Request, _ context: Context) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let safe = id.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return try await formAction(request, context, roles: Self.requesters, back: { _ in safe ? "/consultations/\(id)" : "/consultations" }) { principal, fields in
            let actor = try Self.actor(principal)
            let updated: Consultation
            switch fields["op"] {
            case "schedule":
                let people = (fields["participants"] ?? "").split(whereSeparator: \.isNewline).compactMap { line -> ConsultationParticipant? in
                    let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "　" }).map(String.init)
                    guard parts.count >= 2 else { return nil }
                    return ConsultationParticipant(name: parts[0], specialty: parts[1...].joined(separator: " "))
                }
                updated = try await apiErrors { try await consultations.schedule(id, at: Self.time(fields["scheduledAt"]), participants: people, by: actor) }
            case "conclude": updated = try await apiErrors { try await consultations.conclude(id, conclusion: fields["conclusion"] ?? "", by: actor) }
            case "decline": updated = try await apiErrors { try await consultations.close(id, decline: fields["reason"] ?? "", by: actor) }
            case "cancel": updated = try await apiErrors { try await consultations.close(id, decline: nil, by: actor) }
            case "acknowledge": updated = try await apiErrors { try await consultations.acknowledge(id, by: actor) }
            default: throw HTTPError(.badRequest, message: "未知操作")
            }
            try await access.record(context, principal, action: "update", entity: "consultation/\(id)", patients: [updated.patient])
            return ("会诊\(Consultations.statuses[updated.status] ?? updated.status)", nil)
        }
    }

    // MARK: the dispatcher's board

    func dispatchPage(_ request: Request, _ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: [.emergencyDispatcher], title: "急救调度", refusal: "此页面供急救调度员使用。") { _, district in
            let calls = try await emergency.calls(district: district, active: true)
            let stations = try await emergency.stations(district: district)
            let free = stations.flatMap { station in station.ambulances.filter { $0.call == nil }.map { (station, $0) } }
            let today = CalendarDay.today()
            let times = try await emergency.responseTimes(district: district, from: CalendarDay.shift(today, days: -29), to: today).first
            var body = Self.message(request)
            body += "<p id=\"response\">近 30 天平均反应时间 <strong>\(times?.meanMinutes.map { String($0) } ?? "—")</strong> 分钟（目标 ≤ \(Int(Prehospital.responseTargetMinutes)) 分钟），"
                + "\(Int(Prehospital.responseTargetMinutes)) 分钟内到达 \(times?.withinTargetPercent.map { "\($0)%" } ?? "—")，共 \(times?.calls ?? 0) 次</p>"
            body += "<form method=\"post\" action=\"/emergency/dispatch\" class=\"card\" id=\"call-form\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"receive\"><h2>受理呼救</h2>"
                + "<label>街道 <select name=\"subdistrict\">" + Catalog.subdistricts(of: district).map { "<option value=\"\($0.code)\">\(HTML.escape($0.name))</option>" }.joined() + "</select></label>"
                + "<label>地址 <input type=\"text\" name=\"address\" maxlength=\"200\" required></label>"
                + "<label>类别 <select name=\"category\">" + ["chest-pain", "stroke", "trauma", "obstetric", "other"].map { "<option value=\"\($0)\">\(Prehospital.categories[$0] ?? $0)</option>" }.joined()
                + "</select></label><button type=\"submit\">受理</button></form>"
            let hospitals = Catalog.institutions.filter { $0.district == district && Consultations.hospitalTypes.contains($0.type) }
            body += "<div class=\"card\"><h2>进行中的任务（\(calls.count)）</h2><ul class=\"plain\" id=\"calls\">"
            for call in calls {
                var actions = ""
                let form = "<form method=\"post\" action=\"/emergency/dispatch\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"call\" value=\"\(HTML.escape(call.id))\">"
                switch call.status {
                case "received":
                    actions = form + "<input type=\"hidden\" name=\"op\" value=\"dispatch\"><select name=\"ambulance\">"
                        + free.map { "<option value=\"\(HTML.escape($0.1.id))\">\(HTML.escape($0.1.plate))（\(HTML.escape($0.0.name))）</option>" }.joined()
                        + "</select><button type=\"submit\">派车</button></form>"
                case "dispatched": actions = form + "<input type=\"hidden\" name=\"op\" value=\"status\"><input type=\"hidden\" name=\"status\" value=\"on-scene\"><button type=\"submit\">到达现场</button></form>"
                case "on-scene":
                    actions = form + "<input type=\"hidden\" name=\"op\" value=\"status\"><input type=\"hidden\" name=\"status\" value=\"leaving\"><select name=\"hospital\">"
                        + hospitals.map { "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape($0.shortName ?? $0.name))</option>" }.joined() + "</select><button type=\"submit\">离开现场送院</button></form>"
                case "leaving": actions = form + "<input type=\"hidden\" name=\"op\" value=\"status\"><input type=\"hidden\" name=\"status\" value=\"at-hospital\"><button type=\"submit\">送达医院</button></form>"
                default: break
                }
                body += "<li data-call=\"\(HTML.escape(call.id))\" data-status=\"\(call.status)\"><strong>\(Prehospital.categories[call.category] ?? call.category)</strong> · "
                    + "\(Prehospital.statuses[call.status] ?? call.status)" + (call.responseMinutes.map { "（反应 \($0) 分钟）" } ?? "")
                    + "<br><span class=\"muted\">\(Self.shown(call.receivedAt)) 受理 · \(HTML.escape(Catalog.divisions.first { $0.code == call.subdistrict }?.name ?? call.subdistrict)) "
                    + "\(HTML.escape(call.address))</span><br>\(actions)</li>"
            }
            body += (calls.isEmpty ? "<li>暂无</li>" : "") + "</ul></div>"
            body += "<div class=\"card\"><h2>急救站点与车辆</h2><ul class=\"plain\" id=\"stations\">" + stations.map { station in
                "<li>\(HTML.escape(station.name))：" + station.ambulances.map { "<span class=\"tag\">\(HTML.escape($0.plate)) \($0.call == nil ? "待命" : "任务中")</span>" }.joined() + "</li>"
            }.joined() + "</ul></div>"
            return Pages.page("急救调度", body)
        }
    }

    func dispatchAction(_ request: Request, _ context: Context) async throws -> Response {
        try await formAction(request, context, roles: [.emergencyDispatcher], back: { _ in "/emergency/dispatch" }) { principal, fields in
            let district = try Pages.district(of: principal, asked: nil)
            let call = fields["call"] ?? ""
            switch fields["op"] {
            case "receive":
                let made = try await apiErrors {
                    try await emergency.receive(district: district, subdistrict: fields["subdistrict"] ?? "", address: fields["address"] ?? "", longitude: nil, latitude: nil,
                                                category: fields["category"] ?? "", receivedAt: ISO8601Timestamp.now(), actor: principal.subject)
                }
                try await access.record(context, principal, action: "create", entity: "emergency/call/\(made.id)", patients: [])
                return ("已受理", nil)
            case "dispatch":
                _ = try await apiErrors { try await emergency.dispatch(call, ambulance: fields["ambulance"] ?? "", at: ISO8601Timestamp.now(), district: district) }
            case "status":
                _ = try await apiErrors { try await emergency.advance(call, to: fields["status"] ?? "", at: ISO8601Timestamp.now(), hospital: fields["hospital"], district: district) }
            default:
                throw HTTPError(.badRequest, message: "未知操作")
            }
            try await access.record(context, principal, action: "update", entity: "emergency/call/\(call)", patients: [])
            return ("已记录", nil)
        }
    }

    // MARK: the emergency department

    func noticesPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .hospitalClinician, let hospital = principal.institution else {
            return Pages.page("院前预警", "<p class=\"error\">此页面供医院急诊医生使用。</p>", status: .forbidden)
        }
        let notices = try await emergency.notices(hospital: hospital)
        var body = Self.message(request) + "<ul class=\"plain\" id=\"notices\">"
        body += notices.map { notice in
            var line = "<li data-call=\"\(HTML.escape(notice.call))\"><strong>\(Prehospital.categories[notice.category] ?? notice.category)</strong> 救护车 \(Self.shown(notice.leftSceneAt)) 离开现场"
            if let opened = notice.criticalCase {
                line += " · <a href=\"/critical-care#\(HTML.escape(opened))\">已建急救病例</a>"
            } else if notice.acknowledgedAt == nil {
                line += " <form method=\"post\" action=\"/emergency/notices\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"call\" value=\"\(HTML.escape(notice.call))\">"
                    + "<button type=\"submit\">接收</button></form>"
            } else {
                line += " · 已接收"
            }
            return line + "</li>"
        }.joined() + (notices.isEmpty ? "<li>暂无院前预警</li>" : "") + "</ul>"
        return Pages.page("院前预警", body)
    }

    func noticesAction(_ request: Request, _ context: Context) async throws -> Response {
        try await formAction(request, context, roles: [.hospitalClinician], back: { _ in "/emergency/notices" }) { principal, fields in
            let call = fields["call"] ?? ""
            _ = try await apiErrors { try await emergency.acknowledge(call: call, hospital: try Self.hospital(principal), actor: principal.subject) }
            try await access.record(context, principal, action: "update", entity: "emergency/notice/\(call)", patients: [])
            return ("已接收", nil)
        }
    }

    // MARK: time-critical centres

    func criticalPage(_ request: Request, _ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: [.hospitalClinician, .commissionManager], title: "急危重症救治中心", refusal: "此页面供医院临床医生和卫健委管理人员使用。") { principal, district in
            let today = CalendarDay.today()
            var measures = try await critical.measures(district: district, from: CalendarDay.shift(today, days: -89), to: today)
            if principal.role == .hospitalClinician { measures = measures.filter { $0.hospital == principal.institution } }
            var body = Self.message(request) + "<div class=\"card\"><h2>近 90 天质控指标</h2><table id=\"measures\"><thead><tr><th>医院</th><th>中心</th><th>指标</th><th>病例</th><th>中位数（分钟）</th><th>达标率</th></tr></thead><tbody>"
            body += measures.map { item in
                let centre = CriticalCare.centre(item.centre)
                let target = centre?.measures.first { $0.code == item.measure }?.targetMinutes
                return "<tr data-measure=\"\(item.centre)/\(item.measure)\"><td>\(HTML.escape(Self.name(item.hospital)))</td><td>\(centre?.name ?? item.centre)</td><td>\(HTML.escape(item.name))"
                    + (target.map { "<br><span class=\"muted\">≤\(Int($0)) 分钟</span>" } ?? "") + "</td><td>\(item.measured)/\(item.cases)</td>"
                    + "<td>\(item.medianMinutes.map { String($0) } ?? "—")</td><td>\(item.withinTargetPercent.map { "\($0)%" } ?? "—")</td></tr>"
            }.joined() + (measures.isEmpty ? "<tr><td colspan=\"6\">暂无病例</td></tr>" : "") + "</tbody></table></div>"
            if principal.role == .hospitalClinician, let hospital = principal.institution {
                body += "<form method=\"post\" action=\"/critical-care\" class=\"card\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"open\"><h2>登记病例</h2>"
                    + "<label>中心 <select name=\"centre\">" + CriticalCare.centres.map { "<option value=\"\($0.code)\">\($0.name)</option>" }.joined() + "</select></label>"
                    + "<label>到达医院时间 <input type=\"datetime-local\" name=\"door\" required></label><button type=\"submit\">登记</button></form>"
                body += "<div class=\"card\"><h2>本院病例</h2><ul class=\"plain\" id=\"cases\">"
                for item in try await critical.cases(hospital: hospital, limit: 50) {
                    guard let centre = CriticalCare.centre(item.centre) else { continue }
                    body += "<li id=\"\(HTML.escape(item.id))\"><strong>\(centre.name)</strong>" + (item.call.map { _ in " <span class=\"tag\">院前转运</span>" } ?? "") + "<br>"
                        + centre.milestones.map { milestone in "\(milestone.name) \(item.times[milestone.code].map { HTML.escape(String($0.dropFirst(11).prefix(5))) } ?? "—")" }.joined(separator: " · ")
                        + "<form method=\"post\" action=\"/critical-care\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"time\">"
                        + "<input type=\"hidden\" name=\"case\" value=\"\(HTML.escape(item.id))\"><select name=\"milestone\">"
                        + centre.milestones.filter { item.times[$0.code] == nil }.map { "<option value=\"\($0.code)\">\($0.name)</option>" }.joined()
                        + "</select><input type=\"datetime-local\" name=\"at\"><button type=\"submit\">记录时间</button></form></li>"
                }
                body += "</ul></div>"
            }
            return Pages.page("急危重症救治中心", body)
        }
    }

    func criticalAction(_ request: Request, _ context: Context) async throws -> Response {
        try await formAction(request, context, roles: [.hospitalClinician], back: { _ in "/critical-care" }) { principal, fields in
            let hospital = try Self.hospital(principal)
            if fields["op"] == "open" {
                let opened = try await apiErrors {
                    try await critical.open(hospital: hospital, centre: fields["centre"] ?? "", patient: nil, call: nil, times: ["door": Self.time(fields["door"])], actor: principal.subject)
                }
                try await access.record(context, principal, action: "create", entity: "critical-case/\(opened.id)", patients: [])
                return ("已登记", nil)
            }
            let id = fields["case"] ?? ""
            _ = try await apiErrors { try await critical.record(id, milestone: fields["milestone"] ?? "", at: Self.time(fields["at"]), hospital: hospital) }
            try await access.record(context, principal, action: "update", entity: "critical-case/\(id)", patients: [])
            return ("已记录", nil)
        }
    }
}
