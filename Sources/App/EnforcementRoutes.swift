import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Supervision

extension SupervisionCase: ResponseEncodable {}
extension EvidenceItem: ResponseEncodable {}
extension SupervisionReport: ResponseEncodable {}
extension CreditRecord: ResponseEncodable {}
extension PlannedInspection: ResponseEncodable {}

/// 非现场执法、案件办理、举报与信用分级 under `/api/v1/supervision` and the inspectors' pages: the rules' cases and
/// their handling with evidence; reports of unlicensed practice and complaints from the public (`/report`, no
/// sign-in) and the CHCs' grid patrols; credit grades and the inspection plan they set.
struct EnforcementRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let rules: EnforcementRules
    var enforcement: Enforcement { rules.enforcement }

    static let overseers = SupervisionRoutes.overseers
    /// 网格巡查: the CHCs' 卫生监督协管员 and the inspectors.
    static let patrollers: [Role] = [.chcStaff, .chcManager, .healthInspector]

    struct RuleInfo: Codable, ResponseEncodable { var code: String; var name: String; var basis: String }
    struct Opened: Codable, ResponseEncodable { var opened: [String] }
    struct ManualCase: Decodable { var institution: String?; var subject: String; var subdistrict: String?; var detail: String }
    struct EvidenceForm: Decodable { var name: String; var mediaType: String; var content: String }
    struct PlanForm: Decodable { var year: Int }
    struct InspectionForm: Decodable { var result: String; var detail: String; var severity: String? }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/supervision")
        api.get("rules") { _, context -> [RuleInfo] in
            _ = try context.require(Self.overseers)
            return Enforcement.rules.sorted { $0.key < $1.key }.map { RuleInfo(code: $0.key, name: $0.value.name, basis: $0.value.basis) }
        }
        api.post("rules/run") { _, context -> Opened in
            let principal = try context.require(Self.overseers)
            let opened = try await apiErrors { try await rules.run(district: try Pages.district(of: principal, asked: nil)) }
            try await access.record(context, principal, action: "execute", entity: "supervision/rules", patients: [])
            return Opened(opened: opened)
        }
        api.get("cases") { request, context -> [SupervisionCase] in
            let principal = try context.require(Self.overseers)
            let query = request.uri.queryParameters
            let status = query["status"].map(String.init)
            if let status, Enforcement.statuses[status] == nil { throw HTTPError(.badRequest, message: "status 须为 \(Enforcement.statusOrder.joined(separator: "、")) 之一") }
            return try await enforcement.cases(district: try Pages.district(of: principal, asked: nil), status: status,
                                               institution: query["institution"].map(String.init), source: query["source"].map(String.init))
        }
        api.post("cases") { request, context -> Response in
            let principal = try context.require(.healthInspector)
            let form = try await request.decode(as: ManualCase.self, context: context)
            let opened = try await apiErrors {
                try await enforcement.openManually(institution: form.institution, subject: form.subject, subdistrict: form.subdistrict, detail: form.detail,
                                                   district: try Pages.district(of: principal, asked: nil), actor: principal.subject)
            }
            try await access.record(context, principal, action: "create", entity: "supervision/case/\(opened.id)", patients: [])
            return try Pages.json(opened, status: .created)
        }
        api.get("cases/:id") { _, context -> SupervisionCase in
            let principal = try context.require(Self.overseers)
            let id = try context.parameters.require("id")
            guard let found = try await enforcement.case(id, district: try Pages.district(of: principal, asked: nil)) else { throw HTTPError(.notFound, message: "本区没有案件 \(id)") }
            try await access.record(context, principal, action: "read", entity: "supervision/case/\(id)", patients: [])
            return found
        }
        api.post("cases/:id/actions") { request, context -> SupervisionCase in
            let principal = try context.require(.healthInspector)
            let action = try await request.decode(as: CaseAction.self, context: context)
            let id = try context.parameters.require("id")
            let updated = try await apiErrors { try await enforcement.act(action, on: id, district: try Pages.district(of: principal, asked: nil), actor: principal.subject) }
            try await access.record(context, principal, action: "update", entity: "supervision/case/\(id)", patients: [])
            return updated
        }
        api.post("cases/:id/evidence") { request, context -> Response in
            let principal = try context.require(.healthInspector)
            let form = try await request.decode(as: EvidenceForm.self, context: context)
            let id = try context.parameters.require("id")
            let item = try await apiErrors {
                try await enforcement.attach(to: id, name: form.name, mediaType: form.mediaType, base64: form.content, district: try Pages.district(of: principal, asked: nil), actor: principal.subject)
            }
            try await access.record(context, principal, action: "create", entity: "supervision/case/\(id)/evidence/\(item.id)", patients: [])
            return try Pages.json(item, status: .created)
        }
        api.get("cases/:id/evidence/:evidence") { _, context -> Response in
            let principal = try context.require(Self.overseers)
            let id = try context.parameters.require("id"), evidence = try context.parameters.require("evidence")
            guard let found = try await enforcement.evidenceContent(case: id, evidence: evidence, district: try Pages.district(of: principal, asked: nil)) else {
                throw HTTPError(.notFound, message: "本区案件 \(id) 没有证据 \(evidence)")
            }
            try await access.record(context, principal, action: "read", entity: "supervision/case/\(id)/evidence/\(evidence)", patients: [])
            return Response(status: .ok, headers: [.contentType: found.mediaType, .contentDisposition: "attachment; filename=\"\(evidence)\""],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: found.content)))
        }
        api.get("reports") { _, context -> [SupervisionReport] in
            let principal = try context.require(Self.overseers)
            return try await enforcement.reports(district: try Pages.district(of: principal, asked: nil))
        }
        api.post("reports") { request, context -> Response in
            let principal = try context.require(Self.patrollers)
            let form = try await request.decode(as: ReportForm.self, context: context)
            let report = try await apiErrors {
                try await enforcement.report(form, channel: "patrol", district: try Pages.district(of: principal, asked: nil), actor: principal.subject)
            }
            try await access.record(context, principal, action: "create", entity: "supervision/report/\(report.id)", patients: [])
            return try Pages.json(Self.receipt(report), status: .created)
        }
        // 群众举报: anyone, without an account; the district is the 街道's.
        router.post("api/v1/public/supervision-reports") { request, context -> Response in
            let form = try await request.decode(as: ReportForm.self, context: context)
            let report = try await apiErrors { try await enforcement.report(form, channel: "public", district: try Self.district(ofSubdistrict: form.subdistrict), actor: nil) }
            return try Pages.json(Self.receipt(report), status: .created)
        }
        api.get("credit") { _, context -> [CreditRecord] in
            let principal = try context.require(Self.overseers)
            return try await rules.credit(district: try Pages.district(of: principal, asked: nil))
        }
        api.get("inspections") { request, context -> [PlannedInspection] in
            let principal = try context.require(Self.overseers)
            let year = try Self.year(request.uri.queryParameters["year"].map(String.init))
            return try await enforcement.inspections(district: try Pages.district(of: principal, asked: nil), year: year)
        }
        api.post("inspections/plan") { request, context -> [PlannedInspection] in
            let principal = try context.require(Self.overseers)
            let form = try await request.decode(as: PlanForm.self, context: context)
            let district = try Pages.district(of: principal, asked: nil)
            let plan = try await apiErrors { try await enforcement.planInspections(district: district, year: form.year, credit: try await rules.credit(district: district)) }
            try await access.record(context, principal, action: "create", entity: "supervision/inspections/\(form.year)", patients: [])
            return plan
        }
        api.post("inspections/:id") { request, context -> PlannedInspection in
            let principal = try context.require(.healthInspector)
            let form = try await request.decode(as: InspectionForm.self, context: context)
            let id = try context.parameters.require("id")
            let done = try await apiErrors {
                try await enforcement.recordInspection(id, result: form.result, detail: form.detail, severity: form.severity, district: try Pages.district(of: principal, asked: nil),
                                                       actor: principal.subject)
            }
            try await access.record(context, principal, action: "update", entity: "supervision/inspection/\(id)", patients: [])
            return done
        }
        router.get("supervision/cases") { request, context in try await casesPage(request, context) }
        router.get("supervision/cases/:id") { request, context in try await casePage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.post("supervision/cases/:id") { request, context in try await caseAction(request, context) }
        router.get("supervision/credit") { _, context in try await creditPage(context) }
        router.get("supervision/inspections") { request, context in try await inspectionsPage(request, context) }
        router.post("supervision/inspections") { request, context in try await inspectionsAction(request, context) }
        router.get("report") { _, context in reportPage(context) }
        router.post("report") { request, context in try await reportAction(request, context) }
    }

    /// What a reporter is told: the number and the case, without echoing their contact.
    static func receipt(_ report: SupervisionReport) -> SupervisionReport {
        var receipt = report
        receipt.contactPhone = report.contactPhone.map(Enforcement.maskedPhone)
        return receipt
    }

    /// The district of a 街道 of the catalogue (422 otherwise).
    static func district(ofSubdistrict code: String) throws -> String {
        guard let division = Catalog.divisions.first(where: { $0.code == code && $0.level == "subdistrict" }), let parent = division.parent else {
            throw HTTPError(.unprocessableContent, message: "请选择所在街道（镇）")
        }
        return parent
    }

    static func year(_ text: String?) throws -> Int {
        guard let text else { return Int(CalendarDay.today().prefix(4)) ?? 2026 }
        guard let year = Int(text), (2000...2100).contains(year) else { throw HTTPError(.badRequest, message: "year 须为 2000 至 2100 的年份") }
        return year
    }

    static func time(_ text: String) -> String { String(text.prefix(16)).replacingOccurrences(of: "T", with: " ") }
    static func place(_ code: String?) -> String { code.flatMap { code in Catalog.divisions.first { $0.code == code }?.name } ?? "" }

    // MARK: pages

    static let refusal = "此页面供卫生监督员和卫健委管理人员使用。"

    func casesPage(_ request: Request, _ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.overseers, title: "监督执法案件", refusal: Self.refusal) { _, district in
            let status = request.uri.queryParameters["status"].map(String.init).flatMap { Enforcement.statuses[$0] == nil ? nil : $0 }
            let all = try await enforcement.cases(district: district)
            let shown = status.map { status in all.filter { $0.status == status } } ?? all
            let counts = Dictionary(grouping: all, by: \.status).mapValues(\.count)
            var body = "<p class=\"muted\">非现场执法规则每小时运行一次，每项发现只立一个案件；群众举报、网格巡查和日常检查发现的问题同样进入此列表。</p>"
            body += "<p id=\"summary\">" + Enforcement.statusOrder.map { key in
                "<a href=\"/supervision/cases?status=\(key)\" data-status=\"\(key)\">\(Enforcement.statuses[key] ?? key) \(counts[key] ?? 0)</a>"
            }.joined(separator: " · ") + (status == nil ? "" : " · <a href=\"/supervision/cases\">全部</a>") + "</p>"
            body += "<p><a href=\"/supervision/credit\">信用分级</a> · <a href=\"/supervision/inspections\">监督检查计划</a> · <a href=\"/supervision/waste\">医疗废物</a> · <a href=\"/supervision/water\">生活饮用水</a></p>"
            body += "<table id=\"cases\"><thead><tr><th>立案</th><th>来源</th><th>当事人/场所</th><th>案由</th><th>状态</th></tr></thead><tbody>"
            body += shown.map { item in
                "<tr data-case=\"\(HTML.escape(item.id))\" data-status=\"\(item.status)\"><td>\(HTML.escape(Self.time(item.openedAt)))</td><td>\(Self.sourceName(item))</td>"
                    + "<td><a href=\"/supervision/cases/\(HTML.escape(item.id))\">\(HTML.escape(item.subject))</a></td><td>\(HTML.escape(Self.ruleName(item)))</td>"
                    + "<td>\(Enforcement.statuses[item.status] ?? item.status)</td></tr>"
            }.joined() + (shown.isEmpty ? "<tr><td colspan=\"5\">没有案件</td></tr>" : "") + "</tbody></table>"
            return Pages.page("监督执法案件", body)
        }
    }

    static let sources = ["rule": "非现场执法", "patrol": "网格巡查", "public": "群众举报", "plan": "日常检查", "manual": "监督员立案"]
    static func sourceName(_ item: SupervisionCase) -> String { sources[item.source] ?? item.source }
    static func ruleName(_ item: SupervisionCase) -> String {
        guard let rule = item.rule else { return item.source == "plan" ? "日常监督检查发现问题" : "—" }
        return Enforcement.rules[rule]?.name ?? Enforcement.reportKinds[rule] ?? rule
    }

    func casePage(_ context: Context, message: String?) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.overseers, title: "案件", refusal: Self.refusal) { principal, district in
            let id = context.parameters.get("id") ?? ""
            guard id.count <= 64, let item = try await enforcement.case(id, district: district) else {
                return Pages.page("案件", "<p class=\"error\">本区没有该案件。</p><p><a href=\"/supervision/cases\">返回案件列表</a></p>", status: .notFound)
            }
            try await access.record(context, principal, action: "read", entity: "supervision/case/\(id)", patients: [])
            var body = message.map { "<p class=\"notice\" id=\"message\">\(HTML.escape($0))</p>" } ?? ""
            body += "<div class=\"card\" id=\"case\" data-status=\"\(item.status)\"><h2>\(HTML.escape(item.subject))</h2>"
            body += "<p>\(Self.sourceName(item)) · \(HTML.escape(Self.ruleName(item)))\(item.subdistrict.map { " · " + HTML.escape(Self.place($0)) } ?? "")</p>"
            body += "<p>\(HTML.escape(item.detail))</p>"
            if let rule = item.rule, let basis = Enforcement.rules[rule]?.basis { body += "<p class=\"muted\">依据：\(HTML.escape(basis))</p>" }
            body += "<p id=\"state\">状态：<strong>\(Enforcement.statuses[item.status] ?? item.status)</strong>"
                + (item.severity.map { " · 情节\(Enforcement.severities[$0] ?? $0)" } ?? "")
                + (item.penalty.map { " · \(Enforcement.penalties[$0] ?? $0)" } ?? "") + (item.fineYuan.map { " \($0) 元" } ?? "")
                + (item.rectifyBy.map { " · 整改期限 \(HTML.escape($0))" } ?? "") + (item.assignee.map { " · 承办人 \(HTML.escape($0))" } ?? "") + "</p></div>"
            for report in try await enforcement.reports(district: district, caseID: item.id, masked: false) {
                body += "<div class=\"card\" id=\"report\"><h2>\(report.channel == "patrol" ? "网格巡查报告" : "群众举报") \(HTML.escape(report.id))</h2>"
                    + "<p>\(HTML.escape(report.place))：\(HTML.escape(report.description))</p><p class=\"muted\">联系人 \(HTML.escape(report.contactName ?? "未留姓名")) "
                    + "\(HTML.escape(report.contactPhone ?? "未留电话"))（仅供核实，不得外传）</p></div>"
            }
            body += "<div class=\"card\"><h2>办理过程</h2><ol id=\"events\" style=\"word-break:break-all\">" + item.events.map { event in
                "<li data-action=\"\(HTML.escape(event.action))\">\(HTML.escape(Self.time(event.at))) · \(Enforcement.actions[event.action]?.name ?? (event.action == "open" ? "立案" : "添加证据")) → "
                    + "\(Enforcement.statuses[event.status] ?? event.status)：\(HTML.escape(event.detail))</li>"
            }.joined() + "</ol></div>"
            body += "<div class=\"card\"><h2>证据（\(item.evidence.count)）</h2><ul class=\"plain\" id=\"evidence\">" + item.evidence.map { piece in
                "<li><a href=\"/api/v1/supervision/cases/\(HTML.escape(item.id))/evidence/\(HTML.escape(piece.id))\">\(HTML.escape(piece.name))</a> · \(piece.bytes) 字节"
                    + "<br><span class=\"muted\" style=\"word-break:break-all\">SHA-256 \(piece.sha256)</span></li>"
            }.joined() + "</ul>"
            let open = item.status != "closed" && item.status != "dismissed"
            if principal.role == .healthInspector, open {
                body += "<form id=\"evidence-form\" data-case=\"\(HTML.escape(item.id))\"><label>证据名称 <input type=\"text\" name=\"name\" maxlength=\"100\" required></label>"
                    + "<label>文件（JPG、PNG、PDF、TXT，不超过 1 MB） <input type=\"file\" name=\"file\" accept=\"image/jpeg,image/png,application/pdf,text/plain\" required></label>"
                    + "<button type=\"submit\">上传证据</button> <span id=\"evidence-message\"></span></form><script src=\"/static/weijian-evidence.js\"></script>"
            }
            body += "</div>"
            let allowed = Enforcement.actions.filter { $0.value.from.contains(item.status) }.keys.sorted { (Self.actionOrder.firstIndex(of: $0) ?? 99) < (Self.actionOrder.firstIndex(of: $1) ?? 99) }
            if principal.role == .healthInspector, !allowed.isEmpty {
                body += "<form method=\"post\" action=\"/supervision/cases/\(HTML.escape(item.id))\" class=\"card\" id=\"action-form\">\(Pages.csrfField(context))<h2>办理</h2>"
                body += "<label>操作 <select name=\"action\">" + allowed.map { "<option value=\"\($0)\">\(Enforcement.actions[$0]?.name ?? $0)</option>" }.joined() + "</select></label>"
                body += "<label>说明 <textarea name=\"detail\" maxlength=\"2000\" required></textarea></label>"
                body += "<fieldset><legend>按操作填写</legend><label>承办人（指派） <input type=\"text\" name=\"assignee\" maxlength=\"64\"></label>"
                body += "<label>情节（认定违法事实） <select name=\"severity\"><option value=\"\"></option>" + ["minor", "general", "serious"].map { "<option value=\"\($0)\">\(Enforcement.severities[$0] ?? $0)</option>" }.joined() + "</select></label>"
                body += "<label>处罚种类 <select name=\"penalty\"><option value=\"\"></option>" + ["warning", "fine", "suspension", "revocation"].map { "<option value=\"\($0)\">\(Enforcement.penalties[$0] ?? $0)</option>" }.joined() + "</select></label>"
                body += "<label>罚款（元） <input type=\"number\" name=\"fineYuan\" min=\"1\"></label><label>整改期限 <input type=\"date\" name=\"deadline\"></label></fieldset>"
                body += "<button type=\"submit\">提交</button></form>"
            }
            body += "<p><a href=\"/supervision/cases\">返回案件列表</a></p>"
            return Pages.page("案件 · \(item.subject)", body)
        }
    }

    static let actionOrder = ["assign", "inspect", "find", "dismiss", "penalise", "order-rectification", "verify-rectification", "close"]

    func caseAction(_ request: Request, _ context: Context) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard let principal = context.principal, principal.role == .healthInspector, let district = try? Pages.district(of: principal, asked: nil) else {
            throw HTTPError(.forbidden, message: "此操作供卫生监督员使用")
        }
        let id = context.parameters.get("id") ?? ""
        func field(_ name: String) -> String? { fields[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        let message: String
        do {
            var fine: Int?
            if let text = field("fineYuan") {
                guard let value = Int(text) else { throw HTTPError(.unprocessableContent, message: "罚款须为整数（元）") }
                fine = value
            }
            let action = CaseAction(action: fields["action"] ?? "", detail: fields["detail"] ?? "", severity: field("severity"), penalty: field("penalty"),
                                    fineYuan: fine, deadline: field("deadline"), assignee: field("assignee"))
            _ = try await apiErrors { try await enforcement.act(action, on: id, district: district, actor: principal.subject) }
            try await access.record(context, principal, action: "update", entity: "supervision/case/\(id)", patients: [])
            message = "已\(Enforcement.actions[action.action]?.name ?? "办理")"
        } catch let error as HTTPError where error.status.code < 500 && error.status != .notFound {
            message = error.body ?? "无法办理"
        }
        let back = id.count <= 64 && id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? "/supervision/cases/\(id)" : "/supervision/cases"
        return HTML.redirect(back + "?m=" + Pages.queryEscape(message))
    }

    func creditPage(_ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.overseers, title: "信用分级分类监管", refusal: Self.refusal) { _, district in
            let records = try await rules.credit(district: district)
            let counts = Dictionary(grouping: records, by: \.grade).mapValues(\.count)
            var body = "<p class=\"muted\">信用分 = 100 − 违法行为（轻微 2、一般 6、严重 12 分，按期整改减半；受处罚另扣 4 分，近 24 个月）− 投诉（每件 2 分，至多 10 分）"
                + "− 医疗废物预警（每次 2 分，至多 10 分）− 数据质量（低于 95% 时每差 5 个百分点扣 1 分，至多 10 分）。等级决定日常监督检查频次。</p>"
            body += "<p id=\"grades\">" + CreditGrading.grades.map { "<span data-grade=\"\($0.grade)\">\($0.grade) \($0.name)（≥\($0.minimum) 分，每年 \($0.inspections) 次）：\(counts[$0.grade] ?? 0) 家</span>" }
                .joined(separator: "<br>") + "</p>"
            body += "<table id=\"credit\"><thead><tr><th>机构</th><th>信用分</th><th>等级</th><th>检查频次</th><th>扣分</th></tr></thead><tbody>"
            body += records.map { record in
                let colour = ["A": "rag-green", "B": "rag-green", "C": "rag-amber", "D": "rag-red"][record.grade] ?? ""
                return "<tr data-institution=\"\(HTML.escape(record.institution))\" data-grade=\"\(record.grade)\"><td>\(HTML.escape(record.name))</td><td>\(record.score)</td>"
                    + "<td class=\"\(colour)\">\(record.grade)</td><td>每年 \(record.inspectionsPerYear) 次</td>"
                    + "<td>\(record.deductions.map { "\(HTML.escape($0.reason)) −\($0.points)" }.joined(separator: "<br>"))</td></tr>"
            }.joined() + "</tbody></table><p><a href=\"/supervision/inspections\">按信用等级生成监督检查计划</a></p>"
            return Pages.page("信用分级分类监管", body)
        }
    }

    func inspectionsPage(_ request: Request, _ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.overseers, title: "监督检查计划", refusal: Self.refusal) { principal, district in
            guard let year = try? Self.year(request.uri.queryParameters["year"].map(String.init)) else {
                return Pages.page("监督检查计划", "<p class=\"error\">年份有误。</p>", status: .badRequest)
            }
            let plan = try await enforcement.inspections(district: district, year: year)
            let message = request.uri.queryParameters["m"].map { "<p class=\"notice\" id=\"message\">\(HTML.escape(String($0)))</p>" } ?? ""
            var body = message + "<p class=\"muted\">\(year) 年 · 共 \(plan.count) 次，已完成 \(plan.filter { $0.status == "done" }.count) 次。频次按信用等级（A 1、B 2、C 4、D 12 次/年）。</p>"
            body += "<form method=\"post\" action=\"/supervision/inspections\" class=\"card\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"year\" value=\"\(year)\">"
                + "<input type=\"hidden\" name=\"op\" value=\"plan\"><button type=\"submit\" id=\"make-plan\">按当前信用等级生成 \(year) 年计划</button></form>"
            body += "<table id=\"inspections\"><thead><tr><th>计划日期</th><th>机构</th><th>等级</th><th>结果</th></tr></thead><tbody>"
            body += plan.map { item in
                var result = item.result.map { $0 == "compliant" ? "<span class=\"rag-green\">合格</span>" : "<span class=\"rag-red\">发现问题</span>" } ?? "待检查"
                if let caseID = item.caseID { result += " <a href=\"/supervision/cases/\(HTML.escape(caseID))\">案件</a>" }
                if item.status == "planned", principal.role == .healthInspector {
                    result += "<form method=\"post\" action=\"/supervision/inspections\" class=\"inline\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"op\" value=\"record\">"
                        + "<input type=\"hidden\" name=\"id\" value=\"\(HTML.escape(item.id))\"><input type=\"hidden\" name=\"year\" value=\"\(year)\">"
                        + "<select name=\"result\"><option value=\"compliant\">合格</option><option value=\"findings\">发现问题</option></select>"
                        + "<select name=\"severity\"><option value=\"\">情节</option>" + ["minor", "general", "serious"].map { "<option value=\"\($0)\">\(Enforcement.severities[$0] ?? $0)</option>" }.joined()
                        + "</select><input type=\"text\" name=\"detail\" maxlength=\"2000\" placeholder=\"检查记录\" required><button type=\"submit\">记录</button></form>"
                }
                return "<tr data-inspection=\"\(HTML.escape(item.id))\" data-status=\"\(item.status)\"><td>\(HTML.escape(item.dueDay))</td><td>\(HTML.escape(EnforcementRules.name(of: item.institution)))</td>"
                    + "<td>\(item.grade)</td><td>\(result)</td></tr>"
            }.joined() + (plan.isEmpty ? "<tr><td colspan=\"4\">尚未生成计划</td></tr>" : "") + "</tbody></table>"
            return Pages.page("监督检查计划", body)
        }
    }

    func inspectionsAction(_ request: Request, _ context: Context) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard let principal = context.principal, Self.overseers.contains(principal.role), let district = try? Pages.district(of: principal, asked: nil) else {
            throw HTTPError(.forbidden, message: "此操作供卫生监督员和卫健委管理人员使用")
        }
        let year = (try? Self.year(fields["year"])) ?? (Int(CalendarDay.today().prefix(4)) ?? 2026)
        let message: String
        do {
            if fields["op"] == "record" {
                guard principal.role == .healthInspector else { throw HTTPError(.forbidden, message: "检查结果由卫生监督员记录") }
                let severity = fields["severity"].flatMap { $0.isEmpty ? nil : $0 }
                _ = try await apiErrors {
                    try await enforcement.recordInspection(fields["id"] ?? "", result: fields["result"] ?? "", detail: fields["detail"] ?? "", severity: severity, district: district, actor: principal.subject)
                }
                try await access.record(context, principal, action: "update", entity: "supervision/inspection/\(fields["id"] ?? "")", patients: [])
                message = "检查结果已记录"
            } else {
                let plan = try await apiErrors { try await enforcement.planInspections(district: district, year: year, credit: try await rules.credit(district: district)) }
                try await access.record(context, principal, action: "create", entity: "supervision/inspections/\(year)", patients: [])
                message = "已生成 \(plan.count) 次检查"
            }
        } catch let error as HTTPError where error.status.code < 500 {
            message = error.body ?? "无法保存"
        }
        return HTML.redirect("/supervision/inspections?year=\(year)&m=" + Pages.queryEscape(message))
    }

    /// 举报非法行医、投诉医疗机构: open to anyone; a grid patroller signed in files it as a patrol report.
    func reportPage(_ context: Context, message: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let patrol = context.principal.map { Self.patrollers.contains($0.role) } ?? false
        let districts = Set(Catalog.institutions.filter { $0.type == "health-commission" && $0.district != "310000" }.map(\.district))
        var body = message.map { "<p class=\"error\" id=\"message\">\(HTML.escape($0))</p>" } ?? ""
        body += "<p class=\"muted\">发现无证行医、非法诊所，或对医疗机构的服务有投诉，请在此反映。卫生监督机构受理后核查处理。联系方式可不填；如填写，仅用于核实情况。</p>"
        body += "<form method=\"post\" action=\"/report\" class=\"card\" id=\"report-form\">" + (patrol ? Pages.csrfField(context) + "<p class=\"tag\">网格巡查报告</p>" : "")
        body += "<label>类型 <select name=\"kind\"><option value=\"unlicensed-practice\">举报非法行医</option><option value=\"complaint\">投诉医疗机构</option></select></label>"
        body += "<label>所在街道（镇） <select name=\"subdistrict\" required>" + Catalog.divisions.filter { $0.level == "subdistrict" && districts.contains($0.parent ?? "") }.map {
            "<option value=\"\($0.code)\">\(HTML.escape(Self.place($0.parent)))·\(HTML.escape($0.name))</option>"
        }.joined() + "</select></label>"
        body += "<label>被投诉机构（投诉时选择） <select name=\"institution\"><option value=\"\"></option>" + Catalog.institutions.filter { districts.contains($0.district) && CreditGrading.gradedTypes.contains($0.type) }.map {
            "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape($0.name))</option>"
        }.joined() + "</select></label>"
        body += "<label>地点 <input type=\"text\" name=\"place\" maxlength=\"200\" required placeholder=\"如：某路某号底商\"></label>"
        body += "<label>情况描述 <textarea name=\"description\" maxlength=\"2000\" required></textarea></label>"
        body += "<label>联系人（可不填） <input type=\"text\" name=\"contactName\" maxlength=\"50\"></label><label>联系电话（可不填） <input type=\"text\" name=\"contactPhone\" maxlength=\"20\" inputmode=\"tel\"></label>"
        body += "<button type=\"submit\">提交</button></form>"
        return Pages.page(patrol ? "网格巡查报告" : "举报投诉", body, status: status)
    }

    func reportAction(_ request: Request, _ context: Context) async throws -> Response {
        let patrol = context.principal.map { Self.patrollers.contains($0.role) } ?? false
        // A patroller's report carries their account, so it needs the session's form token; a public one carries nobody's.
        let fields = patrol ? try await Pages.checkedForm(request, context) : try await AccessRoutes.form(request)
        func field(_ name: String) -> String? { fields[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        let form = ReportForm(kind: fields["kind"] ?? "", subdistrict: fields["subdistrict"] ?? "", place: fields["place"] ?? "", institution: field("institution"),
                              description: fields["description"] ?? "", contactName: field("contactName"), contactPhone: field("contactPhone"))
        do {
            let report: SupervisionReport
            if patrol, let principal = context.principal {
                let district = try Pages.district(of: principal, asked: nil)
                guard try Self.district(ofSubdistrict: form.subdistrict) == district else { throw HTTPError(.unprocessableContent, message: "网格巡查只报告本区的街道") }
                report = try await apiErrors { try await enforcement.report(form, channel: "patrol", district: district, actor: principal.subject) }
                try await access.record(context, principal, action: "create", entity: "supervision/report/\(report.id)", patients: [])
            } else {
                report = try await apiErrors { try await enforcement.report(form, channel: "public", district: try Self.district(ofSubdistrict: form.subdistrict), actor: nil) }
            }
            let body = "<div class=\"card\" id=\"receipt\"><h2>已受理</h2><p>受理编号 <strong>\(HTML.escape(report.id))</strong></p>"
                + "<p class=\"muted\">卫生监督机构将核查处理。请保存受理编号以便查询。</p></div><p><a href=\"/report\">继续反映</a></p>"
            return Pages.page("举报投诉", body, status: .created)
        } catch let error as HTTPError where error.status.code < 500 && error.status != .forbidden {
            return reportPage(context, message: error.body ?? "提交有误", status: error.status)
        }
    }
}
