import Access
import FHIR
import Foundation
import Hummingbird
import Portal
import Registry
import Storage

/// The portal services' pages: the resident's (`/portal/visits`, `/portal/nursing`, `/portal/sickbed`,
/// `/portal/hospice`, `/portal/payments`, `/portal/education`), the clinicians' inbox of online return visits
/// (`/visits`) and the CHC's home services (`/portal-services`). Phone-sized, in Chinese, forms with the session's
/// CSRF token; a 4xx comes back as a message on the page.
extension PortalRoutes {
    func registerPages(on router: Router<Context>) {
        router.get("portal/visits") { request, context in try await residentVisitsPage(request, context) }
        router.post("portal/visits") { request, context in try await residentVisitsAction(request, context) }
        router.get("portal/visits/:id") { request, context in try await residentVisitPage(request, context) }
        for kind in ["nursing", "hospice", "sickbed"] {
            router.get(RouterPath("portal/\(kind)")) { request, context in try await residentOrdersPage(kind, request, context) }
            router.post(RouterPath("portal/\(kind)")) { request, context in try await residentOrdersAction(kind, request, context) }
        }
        router.get("portal/payments") { request, context in try await paymentsPage(request, context) }
        router.get("portal/education") { request, context in try await educationPage(request, context) }
        router.get("visits") { request, context in try await inboxPage(request, context) }
        router.get("visits/:id") { request, context in try await staffVisitPage(request, context) }
        router.post("visits/:id") { request, context in try await staffVisitAction(request, context) }
        router.get("portal-services") { request, context in try await servicesPage(request, context) }
        router.post("portal-services") { request, context in try await servicesAction(request, context) }
    }

    static let residentNav = "<p class=\"muted\" id=\"portal-nav\"><a href=\"/portal/visits\">在线复诊</a> · <a href=\"/portal/nursing\">上门护理</a> · "
        + "<a href=\"/portal/sickbed\">家庭病床</a> · <a href=\"/portal/hospice\">安宁疗护</a> · <a href=\"/portal/payments\">缴费记录</a> · <a href=\"/portal/education\">健康教育</a></p>"

    static func refusal(_ title: String, _ text: String) -> Response {
        Pages.page(title, "<p class=\"error\">\(HTML.escape(text))</p>", status: .forbidden)
    }

    /// Runs a form's action for `roles` and redirects to `back` with what happened (a 4xx's message, not an error page).
    func pageAction(_ request: Request, _ context: Context, roles: [Role], back: String, _ body: (Principal, [String: String]) async throws -> String) async throws -> Response {
        try await Pages.formAction(request, context, roles: roles, back: { _ in back }) { principal, fields in (try await body(principal, fields), nil) }
    }

    static func safeID(_ id: String) -> Bool { !id.isEmpty && id.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } }

    static func drugLine(_ item: PrescriptionItem) -> String {
        let name = Drugs.catalogue.first { $0.atc == item.atc }?.name ?? item.atc
        let dose = item.dose.rounded() == item.dose ? String(Int(item.dose)) : String(item.dose)
        return "\(name) 每次 \(dose) \(item.unit ?? "mg")，每日 \(item.timesPerDay) 次，共 \(item.days) 天"
    }

    func payForm(_ context: Context, action: String, kind: String, item: String, fee: Int) -> String {
        "<form method=\"post\" action=\"\(action)\" class=\"inline pay\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"pay\">"
            + "<input type=\"hidden\" name=\"kind\" value=\"\(kind)\"><input type=\"hidden\" name=\"item\" value=\"\(HTML.escape(item))\">"
            + "<input type=\"hidden\" name=\"key\" value=\"\(RecordID.make("pk"))\"><button type=\"submit\">支付 \(fee.yuanText)</button></form>"
    }

    func rateForm(_ context: Context, action: String, kind: String, service: String) -> String {
        "<form method=\"post\" action=\"\(action)\" class=\"rate\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"rate\">"
            + "<input type=\"hidden\" name=\"kind\" value=\"\(kind)\"><input type=\"hidden\" name=\"service\" value=\"\(HTML.escape(service))\">"
            + "<label>评分 <select name=\"score\">" + (1...5).reversed().map { "<option value=\"\($0)\">\(String(repeating: "★", count: $0))</option>" }.joined() + "</select></label>"
            + "<label>评价（1–2 星或投诉须填写具体情况） <input type=\"text\" name=\"comment\" maxlength=\"1000\"></label>"
            + "<label><input type=\"checkbox\" name=\"complaint\" value=\"1\"> 我要投诉</label><button type=\"submit\">提交评价</button></form>"
    }

    /// The rating of a service as shown, or the form when none.
    func ratingBlock(_ context: Context, _ rated: [Rating], action: String, kind: String, service: String) -> String {
        if let rating = rated.first(where: { $0.serviceKind == kind && $0.serviceID == service }) {
            return "<p class=\"muted\">已评价 \(String(repeating: "★", count: rating.score))\(rating.complaint ? "（已转卫生监督处理）" : "")</p>"
        }
        return rateForm(context, action: action, kind: kind, service: service)
    }

    /// Pays or rates from a resident's page.
    func payOrRate(_ fields: [String: String], principal: Principal, patient: String, context: Context) async throws -> String? {
        switch fields["op"] {
        case "pay":
            let (payment, created) = try await apiErrors {
                try await payments.pay(kind: fields["kind"] ?? "", item: fields["item"] ?? "", patient: patient, idempotencyKey: fields["key"] ?? "")
            }
            if created { try await access.record(context, principal, action: "create", entity: "portal/payment/\(payment.id)", patients: [patient]) }
            return payment.status == "succeeded" ? "支付成功：\(payment.amountFen.yuanText)" : "支付未成功：\(payment.failure ?? "请稍后重试")"
        case "rate":
            let rating = try await rate(fields["kind"] ?? "", fields["service"] ?? "", score: Int(fields["score"] ?? "") ?? 0, comment: fields["comment"],
                                        complaint: fields["complaint"] == "1", principal: principal, patient: patient, context: context)
            return rating.complaint ? "感谢反馈，您的投诉已转卫生监督部门处理" : "感谢您的评价"
        default:
            return nil
        }
    }

    // MARK: the resident's return visits

    func residentVisitsPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident, let patient = principal.patient else { return Self.refusal("在线复诊", "此页面供居民使用。") }
        let list = try await visits.list(patient: patient)
        var conditions: [(String, String)] = []
        try await visits.store.forEachMatch("Condition", [("subject", "Patient/\(patient)")]) { match in
            guard let resource = try? JSONValue.parse(Data(match.content.utf8)) else { return }
            if let status = resource["clinicalStatus"]?["coding"]?.arrayValue?.first?["code"]?.stringValue, ["resolved", "inactive", "remission"].contains(status) { return }
            conditions.append(("Condition/\(match.id)", ContractingRoutes.summary(resource)))
        }
        let chc = try await visits.store.read(type: "Patient", id: patient).flatMap { try? JSONValue.parse(Data($0.content.utf8)) }
            .flatMap { $0["managingOrganization"]?["reference"]?.stringValue }.map { String($0.dropFirst("Organization/".count)) }
        try await access.record(context, principal, action: "read", entity: "portal/visits", patients: [patient])
        var body = CollaborationRoutes.message(request) + Self.residentNav
        body += "<form method=\"post\" action=\"/portal/visits\" class=\"card\" id=\"visit-form\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"request\"><h2>申请在线复诊</h2>"
        if conditions.isEmpty {
            body += "<p class=\"muted\">健康档案中暂无已确诊的疾病。在线复诊仅适用于已确诊的慢性病、常见病复诊，首诊请到医疗机构就诊。</p></form>"
        } else {
            body += "<label>复诊的疾病 <select name=\"condition\">" + conditions.map { "<option value=\"\(HTML.escape($0.0))\">\(HTML.escape($0.1))</option>" }.joined() + "</select></label>"
                + "<label>接诊机构 <select name=\"institution\">" + ReturnVisits.choices(chc: chc).map {
                    "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape($0.shortName ?? $0.name))（诊查费 \((ReturnVisits.hospitalTypes.contains($0.type) ? ReturnVisits.fees["hospital"] ?? 0 : ReturnVisits.fees["chc"] ?? 0).yuanText)）</option>"
                }.joined() + "</select></label>"
                + "<label>病情描述（近况、正在用的药、需要什么） <textarea name=\"description\" maxlength=\"1000\" required></textarea></label><button type=\"submit\">提交申请</button></form>"
        }
        body += "<div class=\"card\"><h2>我的复诊</h2><ul class=\"plain\" id=\"visits\">" + list.map { visit in
            "<li data-visit=\"\(HTML.escape(visit.id))\" data-status=\"\(visit.status)\"><a href=\"/portal/visits/\(HTML.escape(visit.id))\">\(HTML.escape(visit.conditionText))</a> · "
                + "\(HTML.escape(CollaborationRoutes.name(visit.institution))) · <strong>\(ReturnVisits.statuses[visit.status] ?? visit.status)</strong>"
                + "<br><span class=\"muted\">\(CollaborationRoutes.shown(visit.requestedAt)) 申请\(visit.paidAt != nil ? " · 已支付" : "")</span></li>"
        }.joined() + (list.isEmpty ? "<li>暂无</li>" : "") + "</ul></div>"
        return Pages.page("在线复诊", body)
    }

    func residentVisitPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident else { return Self.refusal("在线复诊", "此页面供居民使用。") }
        let id = context.parameters.get("id") ?? ""
        guard let visit = try? await visible(id, principal) else {
            return Pages.page("在线复诊", "<p class=\"error\">没有该复诊申请。</p><p><a href=\"/portal/visits\">返回</a></p>", status: .notFound)
        }
        try await access.record(context, principal, action: "read", entity: "portal/visit/\(visit.id)", patients: [visit.patient])
        let action = "/portal/visits?back=\(HTML.escape(visit.id))"
        var body = CollaborationRoutes.message(request) + Self.residentNav
        body += "<div class=\"card\" id=\"visit\" data-status=\"\(visit.status)\"><h2>\(HTML.escape(visit.conditionText)) · \(HTML.escape(CollaborationRoutes.name(visit.institution)))</h2>"
            + "<p>病情描述：\(HTML.escape(visit.description))</p><p id=\"state\">状态：<strong>\(ReturnVisits.statuses[visit.status] ?? visit.status)</strong></p>"
        if let reason = visit.declineReason { body += "<p class=\"rag-red\">医生说明：\(HTML.escape(reason))</p>" }
        if let note = visit.note { body += "<p id=\"note\">诊疗记录：\(HTML.escape(note))</p>" }
        body += "</div>"
        let issued = try await visits.prescriptions(visit: visit.id).filter { $0.status == "issued" }
        for prescription in issued {
            body += "<div class=\"card prescription\" id=\"prescription\"><h2>电子处方 \(HTML.escape(prescription.id))</h2><ul>"
                + prescription.items.map { "<li>\(HTML.escape(Self.drugLine($0)))</li>" }.joined() + "</ul><p class=\"muted\">已通过处方前置审核，请凭处方编号到药房取药或选择配送</p></div>"
        }
        if visit.status == "requested" {
            body += "<form method=\"post\" action=\"\(action)\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"cancel\">"
                + "<input type=\"hidden\" name=\"visit\" value=\"\(HTML.escape(visit.id))\"><button type=\"submit\">取消申请</button></form>"
        }
        if ["accepted", "completed"].contains(visit.status) {
            body += visit.paidAt == nil ? "<p>诊查费 \(visit.feeFen.yuanText) " + payForm(context, action: action, kind: "visit", item: visit.id, fee: visit.feeFen) + "</p>"
                : "<p class=\"ok\" id=\"paid\">诊查费 \(visit.feeFen.yuanText) 已支付</p>"
        }
        if visit.status == "completed" {
            body += ratingBlock(context, try await ratings.list(kind: "visit", service: visit.id), action: action, kind: "visit", service: visit.id)
        }
        body += "<p><a href=\"/portal/visits\">返回我的复诊</a></p>"
        return Pages.page("在线复诊", body)
    }

    func residentVisitsAction(_ request: Request, _ context: Context) async throws -> Response {
        let back = request.uri.queryParameters["back"].map(String.init).flatMap { Self.safeID($0) ? "/portal/visits/\($0)" : nil } ?? "/portal/visits"
        return try await pageAction(request, context, roles: [.resident], back: back) { principal, fields in
            guard let patient = principal.patient else { throw HTTPError(.forbidden, message: "账号未关联居民健康档案") }
            if let done = try await payOrRate(fields, principal: principal, patient: patient, context: context) { return done }
            switch fields["op"] {
            case "request":
                let made = try await apiErrors {
                    try await visits.request(VisitRequestForm(condition: fields["condition"] ?? "", institution: fields["institution"], description: fields["description"] ?? ""), patient: patient)
                }
                try await access.record(context, principal, action: "create", entity: "portal/visit/\(made.id)", patients: [patient])
                return "复诊申请已提交，请等待医生接诊"
            case "cancel":
                let id = fields["visit"] ?? ""
                _ = try await apiErrors { try await visits.cancel(id, patient: patient) }
                try await access.record(context, principal, action: "update", entity: "portal/visit/\(id)", patients: [patient])
                return "已取消"
            default:
                throw HTTPError(.badRequest, message: "未知操作")
            }
        }
    }

    // MARK: the resident's home services

    static let orderTitles = ["nursing": "上门护理（互联网+护理服务）", "hospice": "安宁疗护", "sickbed": "家庭病床"]

    static func orderDetail(_ order: HomeServiceOrder) -> String {
        var parts: [String] = []
        if let item = order.item { parts.append(HomeServices.nursingCatalogue.first { $0.code == item }?.name ?? item) }
        if let time = order.scheduledAt { parts.append("上门 \(CollaborationRoutes.shown(time))") }
        let d = order.detail
        if let nurse = d["nurse"] { parts.append("护士 \(nurse)") }
        if let scale = d["scale"], let score = d["score"] { parts.append("\(HomeServices.hospiceScales[scale]?.name ?? scale) \(score)") }
        if let setting = d["setting"] { parts.append("转介 \(HomeServices.hospiceSettings[setting] ?? setting)：\(d["place"] ?? "")") }
        if let bed = d["bed"] { parts.append("床号 \(bed)") }
        if let days = d["visitDays"] {
            let names = ["", "一", "二", "三", "四", "五", "六", "日"]
            parts.append("每周查床：" + days.split(separator: ",").compactMap { Int($0) }.filter { (1...7).contains($0) }.map { "周" + names[$0] }.joined(separator: "、"))
        }
        if let plan = d["carePlan"] { parts.append("治疗护理计划：\(plan)") }
        if let assessment = d["assessment"] { parts.append("评估意见：\(assessment)") }
        if let summary = d["summary"] { parts.append("小结：\(summary)") }
        if let reason = d["reason"] { parts.append("原因：\(reason)") }
        return parts.map(HTML.escape).joined(separator: " · ")
    }

    func residentOrdersPage(_ kind: String, _ request: Request, _ context: Context) async throws -> Response {
        let title = Self.orderTitles[kind] ?? kind
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident, let patient = principal.patient else { return Self.refusal(title, "此页面供居民使用。") }
        let list = try await services.list(kind: kind, patient: patient)
        let rated = try await ratings.list(patient: patient, kind: kind)
        try await access.record(context, principal, action: "read", entity: "portal/\(kind)", patients: [patient])
        let action = "/portal/\(kind)"
        var body = CollaborationRoutes.message(request) + Self.residentNav
        body += "<form method=\"post\" action=\"\(action)\" class=\"card\" id=\"order-form\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"request\">"
        switch kind {
        case "nursing":
            body += "<h2>预约上门护理</h2><label>护理项目 <select name=\"item\">" + HomeServices.nursingCatalogue.map {
                "<option value=\"\($0.code)\">\(HTML.escape($0.name))（\($0.feeFen.yuanText)）</option>"
            }.joined() + "</select></label><label>上门地址 <input type=\"text\" name=\"address\" maxlength=\"200\" required></label>"
                + "<label>上门时间 <input type=\"datetime-local\" name=\"scheduledAt\" required></label>"
                + "<label>病情与护理需求 <textarea name=\"description\" maxlength=\"1000\" required></textarea></label>"
        case "hospice":
            body += "<h2>申请安宁疗护评估</h2><p class=\"muted\">社区卫生服务中心将上门评估（PPS 或 ECOG 评分），符合条件的转介安宁疗护病床或居家安宁疗护。</p>"
                + "<label>患者病情（诊断、目前状况、照护需求） <textarea name=\"description\" maxlength=\"1000\" required></textarea></label>"
        default:
            body += "<h2>申请家庭病床</h2><p class=\"muted\">适用于行动不便、需连续治疗护理的居民，经评估后建床，医护按计划上门查床。</p>"
                + "<label>地址 <input type=\"text\" name=\"address\" maxlength=\"200\" required></label>"
                + "<label>病情与建床理由 <textarea name=\"description\" maxlength=\"1000\" required></textarea></label>"
        }
        body += "<button type=\"submit\">提交</button></form>"
        let statuses = HomeServices.statuses[kind] ?? [:]
        body += "<div class=\"card\"><h2>我的申请</h2><ul class=\"plain\" id=\"orders\">"
        for order in list {
            body += "<li data-order=\"\(HTML.escape(order.id))\" data-status=\"\(order.status)\"><strong>\(statuses[order.status] ?? order.status)</strong> · \(HTML.escape(CollaborationRoutes.name(order.institution)))"
                + "<br><span class=\"muted\">\(CollaborationRoutes.shown(order.createdAt)) 申请 · \(Self.orderDetail(order))</span>"
            if order.status == "requested" {
                body += "<form method=\"post\" action=\"\(action)\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"cancel\">"
                    + "<input type=\"hidden\" name=\"order\" value=\"\(HTML.escape(order.id))\"><button type=\"submit\">取消</button></form>"
            }
            if kind == "nursing", ["accepted", "assigned", "completed"].contains(order.status) {
                body += order.paidAt == nil ? " " + payForm(context, action: action, kind: "nursing", item: order.id, fee: order.feeFen) : " <span class=\"ok\">已支付 \(order.feeFen.yuanText)</span>"
            }
            if Ratings.finished[kind] == order.status { body += ratingBlock(context, rated, action: action, kind: kind, service: order.id) }
            body += "</li>"
        }
        body += (list.isEmpty ? "<li>暂无</li>" : "") + "</ul></div>"
        return Pages.page(title, body)
    }

    func residentOrdersAction(_ kind: String, _ request: Request, _ context: Context) async throws -> Response {
        try await pageAction(request, context, roles: [.resident], back: "/portal/\(kind)") { principal, fields in
            guard let patient = principal.patient else { throw HTTPError(.forbidden, message: "账号未关联居民健康档案") }
            if let done = try await payOrRate(fields, principal: principal, patient: patient, context: context) { return done }
            switch fields["op"] {
            case "request":
                let form = HomeServiceForm(item: fields["item"], address: fields["address"], scheduledAt: fields["scheduledAt"], description: fields["description"])
                let made = try await apiErrors { try await services.request(kind, form, patient: patient) }
                try await access.record(context, principal, action: "create", entity: "portal/\(kind)/\(made.id)", patients: [patient])
                return "申请已提交，社区卫生服务中心将与您联系"
            case "cancel":
                let order = try await visibleOrder(fields["order"] ?? "", kind: kind, principal)
                _ = try await apiErrors { try await services.cancel(order.id, patient: patient) }
                try await access.record(context, principal, action: "update", entity: "portal/\(kind)/\(order.id)", patients: [patient])
                return "已取消"
            default:
                throw HTTPError(.badRequest, message: "未知操作")
            }
        }
    }

    // MARK: payments and education

    func paymentsPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident, let patient = principal.patient else { return Self.refusal("缴费记录", "此页面供居民使用。") }
        let list = try await payments.list(patient: patient)
        try await access.record(context, principal, action: "read", entity: "portal/payments", patients: [patient])
        var body = CollaborationRoutes.message(request) + Self.residentNav
        body += "<table id=\"payments\"><thead><tr><th>时间</th><th>项目</th><th>金额</th><th>状态</th></tr></thead><tbody>" + list.map { payment in
            "<tr data-payment=\"\(HTML.escape(payment.id))\" data-status=\"\(payment.status)\"><td>\(CollaborationRoutes.shown(payment.createdAt))</td><td>\(HTML.escape(payment.description))</td>"
                + "<td>\(payment.amountFen.yuanText)</td><td>\(Payments.statuses[payment.status] ?? payment.status)\(payment.failure.map { "：" + HTML.escape($0) } ?? "")</td></tr>"
        }.joined() + (list.isEmpty ? "<tr><td colspan=\"4\">暂无</td></tr>" : "") + "</tbody></table>"
        return Pages.page("缴费记录", body)
    }

    func educationPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .resident, let patient = principal.patient else { return Self.refusal("健康教育", "此页面供居民使用。") }
        let (_, articles) = try await apiErrors { try await education.forResident(patient) }
        try await access.record(context, principal, action: "read", entity: "portal/education", patients: [patient])
        var body = Self.residentNav + "<p class=\"muted\">根据您的健康档案（已确诊疾病、年龄、性别）推荐</p><div id=\"articles\">"
        body += articles.map { article in
            "<div class=\"card\" data-article=\"\(HTML.escape(article.id))\"><h2>\(HTML.escape(article.title))</h2><p><strong>\(HTML.escape(article.summary))</strong></p><p>\(HTML.escape(article.body))</p></div>"
        }.joined() + (articles.isEmpty ? "<p>暂无推荐</p>" : "") + "</div>"
        return Pages.page("健康教育", body)
    }

    // MARK: the clinicians' inbox

    func inboxPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard Self.clinicians.contains(principal.role), let institution = principal.institution else { return Self.refusal("在线复诊", "此页面供家庭医生和医院临床医生使用。") }
        let list = try await visits.list(institution: institution)
        var names: [String: String] = [:]
        for patient in Set(list.map(\.patient)) {
            names[patient] = Pages.maskedName(Pages.displayName(try await visits.store.read(type: "Patient", id: patient).flatMap { try? JSONValue.parse(Data($0.content.utf8)) }))
        }
        try await access.record(context, principal, action: "read", entity: "portal/visits", patients: Array(names.keys).sorted())
        var body = CollaborationRoutes.message(request)
        for (title, statuses, id) in [("待接诊", ["requested"], "waiting"), ("诊疗中", ["accepted"], "open"), ("已结束", ["completed", "declined", "cancelled"], "closed")] {
            let rows = list.filter { statuses.contains($0.status) }
            body += "<div class=\"card\"><h2>\(title)（\(rows.count)）</h2><ul class=\"plain\" id=\"\(id)\">" + rows.prefix(50).map { visit in
                "<li data-visit=\"\(HTML.escape(visit.id))\"><a href=\"/visits/\(HTML.escape(visit.id))\">\(HTML.escape(names[visit.patient] ?? "")) · \(HTML.escape(visit.conditionText))</a>"
                    + "<br><span class=\"muted\">\(CollaborationRoutes.shown(visit.requestedAt)) · \(ReturnVisits.statuses[visit.status] ?? visit.status)</span></li>"
            }.joined() + (rows.isEmpty ? "<li>暂无</li>" : "") + "</ul></div>"
        }
        return Pages.page("在线复诊", body)
    }

    func staffVisitPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard Self.clinicians.contains(principal.role) else { return Self.refusal("在线复诊", "此页面供家庭医生和医院临床医生使用。") }
        guard let visit = try? await visible(context.parameters.get("id") ?? "", principal) else {
            return Pages.page("在线复诊", "<p class=\"error\">没有该复诊申请。</p><p><a href=\"/visits\">返回</a></p>", status: .notFound)
        }
        try await access.record(context, principal, action: "read", entity: "portal/visit/\(visit.id)", patients: [visit.patient])
        let resident = try await visits.store.read(type: "Patient", id: visit.patient).flatMap { try? JSONValue.parse(Data($0.content.utf8)) }
        let active = try await visits.activeDrugs(patient: visit.patient)
        let action = "/visits/\(HTML.escape(visit.id))"
        var body = CollaborationRoutes.message(request)
        body += "<div class=\"card\" id=\"visit\" data-status=\"\(visit.status)\"><h2>\(HTML.escape(Pages.displayName(resident))) · \(HTML.escape(visit.conditionText))</h2>"
            + "<p>病情描述：\(HTML.escape(visit.description))</p><p id=\"state\">状态：<strong>\(ReturnVisits.statuses[visit.status] ?? visit.status)</strong></p>"
            + "<p class=\"muted\">正在使用：\(active.isEmpty ? "无" : HTML.escape(active.map(\.name).joined(separator: "、")))</p>"
        if let note = visit.note { body += "<p id=\"note\">诊疗记录：\(HTML.escape(note))</p>" }
        if let reason = visit.declineReason { body += "<p class=\"rag-red\">拒绝原因：\(HTML.escape(reason))</p>" }
        body += "</div>"
        for prescription in try await visits.prescriptions(visit: visit.id) {
            let rejected = prescription.status == "rejected"
            body += "<div class=\"card\" data-prescription=\"\(HTML.escape(prescription.id))\" data-status=\"\(prescription.status)\"><h2>处方 \(HTML.escape(prescription.id)) · "
                + (rejected ? "<span class=\"rag-red\">前置审核未通过</span>" : "<span class=\"ok\">已开具</span>") + "</h2><ul>"
                + prescription.items.map { "<li>\(HTML.escape(Self.drugLine($0)))</li>" }.joined() + "</ul>"
                + (rejected ? "<ul class=\"reasons\">" + prescription.reasons.map { "<li class=\"rag-red\">\(HTML.escape($0))</li>" }.joined() + "</ul>" : "") + "</div>"
        }
        func form(_ op: String, _ inner: String, id: String) -> String {
            "<form method=\"post\" action=\"\(action)\" class=\"card\" id=\"\(id)\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"\(op)\">\(inner)</form>"
        }
        if visit.status == "requested" {
            body += form("accept", "<button type=\"submit\">接诊</button>", id: "accept-form")
            body += form("decline", "<label>拒绝原因 <input type=\"text\" name=\"reason\" maxlength=\"500\" required></label><button type=\"submit\">拒绝</button>", id: "decline-form")
        }
        if visit.status == "accepted" {
            body += form("note", "<h2>诊疗记录</h2><label>问诊情况与处理意见 <textarea name=\"note\" maxlength=\"4000\" required>\(HTML.escape(visit.note ?? ""))</textarea></label><button type=\"submit\">保存诊疗记录</button>", id: "note-form")
            if visit.note != nil {
                var rows = ""
                for index in 1...3 {
                    rows += "<fieldset><legend>药品 \(index)</legend><label>药品 <select name=\"atc\(index)\"><option value=\"\">（不开）</option>"
                        + Drugs.catalogue.map { "<option value=\"\($0.atc)\">\(HTML.escape($0.name))（\($0.atc)）</option>" }.joined() + "</select></label>"
                        + "<label>每次剂量（mg） <input type=\"text\" inputmode=\"decimal\" name=\"dose\(index)\" maxlength=\"10\"></label>"
                        + "<label>每日次数 <input type=\"text\" inputmode=\"numeric\" name=\"times\(index)\" maxlength=\"2\" value=\"1\"></label>"
                        + "<label>天数 <input type=\"text\" inputmode=\"numeric\" name=\"days\(index)\" maxlength=\"2\" value=\"30\"></label></fieldset>"
                }
                body += form("prescribe", "<h2>开具电子处方</h2><p class=\"muted\">提交后自动进行处方前置审核（最大日剂量、重复用药、药物相互作用）</p>\(rows)<button type=\"submit\">提交处方</button>", id: "prescription-form")
                body += form("complete", "<button type=\"submit\">无需处方，结束复诊</button>", id: "complete-form")
            }
        }
        body += "<p><a href=\"/visits\">返回在线复诊</a></p>"
        return Pages.page("在线复诊", body)
    }

    func staffVisitAction(_ request: Request, _ context: Context) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        return try await pageAction(request, context, roles: Self.clinicians, back: Self.safeID(id) ? "/visits/\(id)" : "/visits") { principal, fields in
            let actor = try Self.staff(principal)
            let done: ReturnVisit
            switch fields["op"] {
            case "accept": done = try await apiErrors { try await visits.accept(id, by: actor) }
            case "decline": done = try await apiErrors { try await visits.decline(id, reason: fields["reason"] ?? "", by: actor) }
            case "note": done = try await apiErrors { try await visits.writeNote(id, note: fields["note"] ?? "", by: actor) }
            case "complete": done = try await apiErrors { try await visits.complete(id, by: actor) }
            case "prescribe":
                var items: [PrescriptionItem] = []
                for index in 1...3 {
                    guard let atc = fields["atc\(index)"], !atc.isEmpty else { continue }
                    guard let dose = Double(fields["dose\(index)"]?.trimmingCharacters(in: .whitespaces) ?? ""), let times = Int(fields["times\(index)"] ?? ""),
                          let days = Int(fields["days\(index)"] ?? "") else {
                        throw HTTPError(.unprocessableContent, message: "药品 \(index)：请填写每次剂量（mg）、每日次数和天数（数字）")
                    }
                    items.append(PrescriptionItem(atc: atc, dose: dose, unit: "mg", timesPerDay: times, days: days))
                }
                let outcome = try await prescribe(id, items: items, principal: principal, context: context)
                return outcome.prescription.status == "issued" ? "处方已通过前置审核并开具，复诊已完成" : "处方前置审核未通过：" + outcome.prescription.reasons.joined(separator: "；")
            default: throw HTTPError(.badRequest, message: "未知操作")
            }
            try await access.record(context, principal, action: "update", entity: "portal/visit/\(id)", patients: [done.patient])
            return "复诊\(ReturnVisits.statuses[done.status] ?? done.status)" + (fields["op"] == "note" ? "，诊疗记录已保存" : "")
        }
    }

    // MARK: the CHC's home services

    func servicesPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard Self.chcStaff.contains(principal.role), let institution = principal.institution else { return Self.refusal("居家服务", "此页面供社区卫生服务中心工作人员使用。") }
        let list = try await services.list(institution: institution)
        var names: [String: String] = [:]
        for patient in Set(list.map(\.patient)) {
            names[patient] = Pages.maskedName(Pages.displayName(try await services.store.read(type: "Patient", id: patient).flatMap { try? JSONValue.parse(Data($0.content.utf8)) }))
        }
        try await access.record(context, principal, action: "read", entity: "portal/orders", patients: Array(names.keys).sorted())
        var body = CollaborationRoutes.message(request)
        for kind in ["nursing", "sickbed", "hospice"] {
            let rows = list.filter { $0.kind == kind }
            let statuses = HomeServices.statuses[kind] ?? [:]
            body += "<div class=\"card\"><h2>\(Self.orderTitles[kind] ?? kind)（\(rows.count)）</h2><ul class=\"plain\" id=\"\(kind)\">"
            for order in rows.prefix(100) {
                body += "<li data-order=\"\(HTML.escape(order.id))\" data-status=\"\(order.status)\"><strong>\(HTML.escape(names[order.patient] ?? ""))</strong> · \(statuses[order.status] ?? order.status)"
                    + "<br><span class=\"muted\">\(CollaborationRoutes.shown(order.createdAt)) · \(HTML.escape(order.description))\(order.address.map { " · " + HTML.escape($0) } ?? "")</span>"
                    + "<br><span class=\"muted\">\(Self.orderDetail(order))</span>"
                func form(_ step: String, _ inner: String, _ button: String) -> String {
                    "<form method=\"post\" action=\"/portal-services\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"order\" value=\"\(HTML.escape(order.id))\">"
                        + "<input type=\"hidden\" name=\"step\" value=\"\(step)\">\(inner)<button type=\"submit\">\(button)</button></form> "
                }
                var actions = ""
                for (step, rule) in (HomeServices.steps[kind] ?? [:]).sorted(by: { $0.key < $1.key }) where rule.from.contains(order.status) {
                    switch step {
                    case "decline": actions += form(step, "<input type=\"text\" name=\"reason\" placeholder=\"原因\" maxlength=\"500\" required>", rule.name)
                    case "assign": actions += form(step, "<input type=\"text\" name=\"nurse\" placeholder=\"护士姓名\" maxlength=\"50\" required>", rule.name)
                    case "assess" where kind == "hospice":
                        actions += form(step, "<select name=\"scale\"><option value=\"pps\">PPS</option><option value=\"ecog\">ECOG</option></select>"
                                        + "<input type=\"text\" inputmode=\"numeric\" name=\"score\" placeholder=\"评分\" maxlength=\"3\" size=\"4\" required>", "评估（PPS ≤ 50 或 ECOG ≥ 3 符合）")
                    case "assess": actions += form(step, "<input type=\"text\" name=\"assessment\" placeholder=\"评估意见\" maxlength=\"2000\" required>", "评估通过")
                    case "refer":
                        actions += form(step, "<select name=\"setting\">" + HomeServices.hospiceSettings.sorted(by: { $0.key < $1.key }).map { "<option value=\"\($0.key)\">\($0.value)</option>" }.joined()
                                        + "</select><input type=\"text\" name=\"place\" placeholder=\"接收机构或团队\" maxlength=\"100\" required>", rule.name)
                    case "admit":
                        actions += form(step, "<input type=\"text\" name=\"carePlan\" placeholder=\"治疗护理计划\" maxlength=\"2000\" required>"
                                        + "<input type=\"text\" name=\"visitDays\" placeholder=\"查床日，如 1,4\" maxlength=\"20\" size=\"8\" required>", rule.name)
                    case "discharge", "complete":
                        actions += form(step, "<input type=\"text\" name=\"summary\" placeholder=\"\(step == "complete" ? "护理记录" : "撤床小结")\" maxlength=\"2000\"\(step == "discharge" ? " required" : "")>", rule.name)
                    default: actions += form(step, "", rule.name)
                    }
                }
                body += (actions.isEmpty ? "" : "<br>" + actions) + "</li>"
            }
            body += (rows.isEmpty ? "<li>暂无</li>" : "") + "</ul></div>"
        }
        return Pages.page("居家服务", body)
    }

    func servicesAction(_ request: Request, _ context: Context) async throws -> Response {
        try await pageAction(request, context, roles: Self.chcStaff, back: "/portal-services") { principal, fields in
            let id = fields["order"] ?? ""
            guard Self.safeID(id), let order = try await services.find(id), order.institution == principal.institution else { throw HTTPError(.notFound, message: "没有该服务申请") }
            let done = try await apiErrors { try await services.act(id, step: fields["step"] ?? "", fields: fields, by: try Self.staff(principal)) }
            try await access.record(context, principal, action: "update", entity: "portal/\(order.kind)/\(id)", patients: [order.patient])
            return "已办理：\(HomeServices.statuses[done.kind]?[done.status] ?? done.status)"
        }
    }
}
