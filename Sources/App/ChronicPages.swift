import Access
import ChronicCare
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage

/// The chronic-care pages (phone-sized, 中文): the family doctor's chronic worklist and follow-up form, and
/// the managers' control-rate view.
extension ChronicRoutes {
    func registerPages(on router: Router<Context>) {
        router.get("chronic") { request, context in try await worklistPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.post("chronic/screening") { request, context in try await worklistAction(request, context) }
        router.post("chronic/screening/:patient/close") { request, context in try await worklistAction(request, context) }
        router.post("chronic/escalations/:patient/:programme/referral") { request, context in try await worklistAction(request, context) }
        router.get("chronic/followup/:patient") { request, context in
            try await formPage(context, programme: request.uri.queryParameters["programme"].map(String.init) ?? "hypertension",
                               message: request.uri.queryParameters["m"].map(String.init), problems: [], status: .ok)
        }
        router.post("chronic/followup/:patient") { request, context in try await submitForm(request, context) }
        router.get("chronic/rates") { request, context in try await ratesPage(request, context) }
    }

    static let programmeLabels = ["hypertension": "高血压", "type2-diabetes": "2型糖尿病"]

    /// The worklist's buttons: screen the panel, close a high-risk screening, send a suggested referral on.
    func worklistAction(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard principal.role == .familyDoctor, let practitioner = principal.practitioner else { throw HTTPError(.forbidden, message: "此操作供家庭医生使用") }
        let message: String
        do {
            if let patient = context.parameters.get("patient") {
                guard FHIRID.isValid(patient), try await access.policy.relationship(principal, patient: patient) == .panel else {
                    throw HTTPError(.forbidden, message: "只能处理本人签约居民")
                }
                if let programme = context.parameters.get("programme") {
                    let id = try await chronic.suggestReferral(patient: patient, programme: programme, practitioner: practitioner)
                    try await audit(context, principal, action: "create", entity: "chronic/referral", patients: [patient])
                    message = "已生成转诊建议（ServiceRequest/\(id)），待转诊模块处理"
                } else {
                    _ = try await chronic.closeScreening(patient: patient, outcome: fields["outcome"] ?? "")
                    try await audit(context, principal, action: "update", entity: "chronic/screening", patients: [patient])
                    message = "筛查已处理"
                }
            } else {
                let patients = Array(try await panel(practitioner).keys)
                let run = try await chronic.screenDiabetesRisk(patients: patients, practitioner: practitioner)
                try await audit(context, principal, action: "create", entity: "chronic/screening", patients: patients.sorted())
                message = "已筛查 \(run.screened) 人，高危 \(run.highRisk) 人，不适用 \(run.notApplicable) 人"
            }
        } catch let error as FHIRError {
            message = error.pageMessage
        }
        return HTML.redirect("/chronic?m=" + Pages.queryEscape(message))
    }

    func worklistPage(_ context: Context, message: String? = nil) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard principal.role == .familyDoctor, let practitioner = principal.practitioner else {
            return Pages.page("慢病工作台", "<p class=\"error\">此页面供家庭医生使用。</p>", status: .forbidden)
        }
        let today = CalendarDay.today()
        let list = try await worklist(practitioner: practitioner, today: today)
        let records = try await panel(practitioner)
        let all = try await chronic.enrolments(patients: Array(records.keys)).filter { $0.status == "confirmed" && Self.programmeLabels[$0.programme] != nil }
        func item(_ entry: WorklistEntry, note: String) -> String {
            "<li><a href=\"/chronic/followup/\(HTML.escape(entry.patient))?programme=\(HTML.escape(entry.programme))\">\(HTML.escape(entry.name))</a> "
                + "<span class=\"tag\">\(HTML.escape(Self.programmeLabels[entry.programme] ?? entry.programme))</span> <span class=\"muted\">\(HTML.escape(note))</span></li>"
        }
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        body += "<p>今天是 \(today)。</p><div class=\"card\" id=\"chronic-worklist\"><h2>今日慢病工作</h2>"
        body += "<h3>随访逾期 \(list.overdue.count)</h3><ul class=\"plain\" id=\"overdue\">" + list.overdue.map { item($0, note: "应于 \($0.nextDue ?? "—") 随访") }.joined() + "</ul>"
        body += "<h3>14天内到期 \(list.dueSoon.count)</h3><ul class=\"plain\" id=\"due-soon\">" + list.dueSoon.map { item($0, note: "\($0.nextDue ?? "—") 到期") }.joined() + "</ul>"
        body += "<h3>疑似待确诊 \(list.suspected.count)</h3><ul class=\"plain\" id=\"suspected\">" + list.suspected.map { item($0, note: "两日血压升高") }.joined() + "</ul>"
        body += "<h3>连续两次未控制，建议转诊 \(list.escalate.count)</h3><ul class=\"plain\" id=\"escalate\">" + list.escalate.map { entry in
            if let referral = entry.referral { return item(entry, note: "已建议转诊（\(referral)）") }
            return String(item(entry, note: "全专结合").dropLast(5)) + " <form method=\"post\" class=\"inline\" action=\"/chronic/escalations/\(HTML.escape(entry.patient))/\(HTML.escape(entry.programme))/referral\">"
                + Pages.csrfField(context) + "<button type=\"submit\">生成转诊建议</button></form></li>"
        }.joined() + "</ul>"
        body += "<h3>糖尿病高危待评估 \(list.highRisk.count)</h3><form method=\"post\" action=\"/chronic/screening\" class=\"inline\">\(Pages.csrfField(context))<button type=\"submit\" id=\"screen-panel\">筛查签约居民（中国糖尿病风险评分）</button></form>"
        body += "<ul class=\"plain\" id=\"high-risk\">" + list.highRisk.map { entry in
            "<li>\(HTML.escape(entry.name)) <span class=\"tag\">\(entry.points) 分</span>" + (entry.missing.isEmpty ? "" : " <span class=\"muted\">缺少数据，评分为下限</span>")
                + " <form method=\"post\" class=\"inline\" action=\"/chronic/screening/\(HTML.escape(entry.patient))/close\">\(Pages.csrfField(context))"
                + "<select name=\"outcome\"><option value=\"normal\">OGTT 正常</option><option value=\"diabetes\">疑似糖尿病，登记待确诊</option><option value=\"declined\">拒绝检查</option></select>"
                + "<button type=\"submit\">处理</button></form></li>"
        }.joined() + "</ul>"
        body += "<h3>体检与并发症筛查到期 \(list.checksDue.count)</h3><ul class=\"plain\" id=\"checks-due\">" + list.checksDue.map {
            "<li data-patient=\"\(HTML.escape($0.patient))\" data-check=\"\(HTML.escape($0.check))\">\(HTML.escape($0.name)) <span class=\"tag\">\(HTML.escape($0.checkName))</span> <span class=\"muted\">\($0.due < today ? "已于" : "将于") \(HTML.escape($0.due)) 到期</span></li>"
        }.joined() + "</ul></div>"
        body += "<div class=\"card\"><h2>管理居民</h2><ul class=\"plain\" id=\"managed\">"
        for enrolment in all.sorted(by: { ($0.nextDue ?? "", $0.patient) < ($1.nextDue ?? "", $1.patient) }) {
            let control = enrolment.controlled.map { $0 ? "控制" : "未控制" } ?? "无读数"
            body += "<li data-patient=\"\(HTML.escape(enrolment.patient))\" data-programme=\"\(HTML.escape(enrolment.programme))\">"
            body += "<a href=\"/chronic/followup/\(HTML.escape(enrolment.patient))?programme=\(HTML.escape(enrolment.programme))\">\(HTML.escape(Pages.displayName(records[enrolment.patient])))</a> "
            body += "<span class=\"tag\">\(HTML.escape(Self.programmeLabels[enrolment.programme] ?? ""))</span> "
            body += "<span class=\"muted\">下次随访 <span class=\"next-due\">\(HTML.escape(enrolment.nextDue ?? "—"))</span> · 近一年 \(enrolment.followUpsInYear) 次 · \(control)</span></li>"
        }
        body += all.isEmpty ? "<li>暂无</li>" : ""
        body += "</ul></div>"
        try await audit(context, principal, action: "search", entity: "chronic/worklist", patients: all.map(\.patient))
        return Pages.page("慢病工作台", body)
    }

    func formPage(_ context: Context, programme: String, message: String?, problems: [OutcomeIssue], status: HTTPResponse.Status,
                  values: [String: String] = [:]) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let patient = try context.parameters.require("patient")
        guard [.familyDoctor, .chcStaff, .chcManager].contains(principal.role), FHIRID.isValid(patient),
              let relationship = try await access.policy.relationship(principal, patient: patient), [.panel, .institution].contains(relationship),
              let record = try await chronic.store.read(type: "Patient", id: patient), !record.deleted else {
            return Pages.page("慢病随访", "<p class=\"error\">只能为本人签约居民或本中心居民登记随访。</p>", status: .forbidden)
        }
        let resident = try JSONValue.parse(Data(record.content.utf8))
        let enrolment = try await chronic.enrolments(patients: [patient]).first { $0.programme == programme }
        try await audit(context, principal, action: "read", entity: "chronic/followup", patients: [patient])
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        if !problems.isEmpty {
            body += "<div class=\"error\" id=\"problems\"><ul>" + problems.map { "<li>\(HTML.escape($0.diagnostics))</li>" }.joined() + "</ul></div>"
        }
        body += "<p><strong>\(HTML.escape(Pages.displayName(resident)))</strong> <span class=\"tag\">\(HTML.escape(Self.programmeLabels[programme] ?? programme))</span></p>"
        if let enrolment {
            let control = enrolment.controlled.map { $0 ? "控制" : "未控制" } ?? "无读数"
            body += "<p class=\"muted\">上次随访 \(HTML.escape(enrolment.lastFollowUp ?? "—")) · 下次随访 <strong id=\"next-due\">\(HTML.escape(enrolment.nextDue ?? "—"))</strong> · 近一年 \(enrolment.followUpsInYear) 次 · \(control)</p>"
        } else {
            body += "<p class=\"error\">该居民未登记于此项目。</p>"
        }
        let checks = try await chronic.checks(patients: [patient])
        let checkNames = try await chronic.checkNames()
        let applicable = Set(try await chronic.database.read { sql in
            try await sql.raw("SELECT check_code FROM chronic_check_programme WHERE programme = \(bind: programme)").all().map { try $0.decode(column: "check_code", as: String.self) }
        })
        let checkBoxes = checkNames.keys.sorted().filter(applicable.contains).map { code -> String in
            let due = checks.first { $0.check == code }.map { " <span class=\"muted\">（\($0.lastDone.map { "上次 \($0)，" } ?? "")应于 \($0.due)）</span>" } ?? ""
            return "<label class=\"check\"><input type=\"checkbox\" name=\"check-\(HTML.escape(code))\" value=\"on\"\(values["check-" + code] == nil ? "" : " checked")> \(HTML.escape(checkNames[code] ?? code))\(due)</label>"
        }.joined()
        func field(_ name: String, _ label: String, _ extra: String = "") -> String {
            "<label>\(label) <input type=\"text\" inputmode=\"decimal\" name=\"\(name)\" value=\"\(HTML.escape(values[name] ?? ""))\" \(extra)></label>"
        }
        body += """
        <form method="post" action="/chronic/followup/\(HTML.escape(patient))" class="card" id="followup-form">\(Pages.csrfField(context))
        <input type="hidden" name="programme" value="\(HTML.escape(programme))">
        <label>随访日期 <input type="date" name="date" value="\(HTML.escape(values["date"] ?? CalendarDay.today()))" required></label>
        \(field("systolic", "收缩压 mmHg"))\(field("diastolic", "舒张压 mmHg"))
        \(field("fastingGlucose", "空腹血糖")) <label>单位 <select name="glucoseUnit"><option value="mmol/L">mmol/L</option><option value="mg/dL">mg/dL</option></select></label>
        \(field("weight", "体重 kg"))\(field("height", "身高 cm"))
        <label>用药 <input type="text" name="medication" maxlength="500" value="\(HTML.escape(values["medication"] ?? ""))"></label>
        <label>服药依从性 <select name="adherence"><option value="regular">规律服药</option><option value="intermittent">间断服药</option><option value="none">不服药</option></select></label>
        <label>生活方式指导 <input type="text" name="lifestyle" maxlength="500" value="\(HTML.escape(values["lifestyle"] ?? ""))"></label>
        <fieldset id="checks"><legend>本次完成的检查（年度体检、并发症筛查）</legend>\(checkBoxes)</fieldset>
        <button type="submit">保存随访</button></form>
        <p><a href="/chronic">返回慢病工作台</a></p>
        """
        return Pages.page("慢病随访", body, status: status)
    }

    func submitForm(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        let patient = try context.parameters.require("patient")
        let programme = fields["programme"] ?? "hypertension"
        guard [.familyDoctor, .chcStaff, .chcManager].contains(principal.role), let organization = principal.institution,
              let relationship = try await access.policy.relationship(principal, patient: patient), [.panel, .institution].contains(relationship) else {
            throw HTTPError(.forbidden, message: "只能为本人签约居民或本中心居民登记随访")
        }
        func number(_ name: String) -> Double? { fields[name].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
        func text(_ name: String) -> String? { fields[name].flatMap { $0.isEmpty ? nil : $0 } }
        var unreadable: [OutcomeIssue] = []
        for name in ["systolic", "diastolic", "fastingGlucose", "weight", "height"] where text(name) != nil && number(name) == nil {
            unreadable.append(OutcomeIssue(code: "value", diagnostics: "“\(fields[name] ?? "")”不是数字", expression: name))
        }
        let form = FollowUpForm(patient: patient, programme: programme, date: fields["date"] ?? "", systolic: number("systolic").map { Int($0) },
                                diastolic: number("diastolic").map { Int($0) }, fastingGlucose: number("fastingGlucose"), glucoseUnit: text("glucoseUnit"),
                                weight: number("weight"), height: number("height"), medication: text("medication"), adherence: text("adherence"), lifestyle: text("lifestyle"),
                                checks: fields.keys.filter { $0.hasPrefix("check-") }.map { String($0.dropFirst(6)) }.sorted())
        do {
            guard unreadable.isEmpty else { throw FHIRError.unprocessable(unreadable) }
            let enrolment = try await chronic.recordFollowUp(form, practitioner: principal.practitioner ?? "", organization: organization, actor: principal.subject)
            try await audit(context, principal, action: "create", entity: "chronic/followup", patients: [patient])
            return HTML.redirect("/chronic/followup/\(patient)?programme=\(programme)&m=" + Pages.queryEscape("随访已保存，下次随访 \(enrolment.nextDue ?? "—")"))
        } catch let error as FHIRError {
            return try await formPage(context, programme: programme, message: nil, problems: error.issues,
                                      status: HTTPResponse.Status(code: error.status), values: fields)
        }
    }

    func ratesPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard [.commissionManager, .chcManager].contains(principal.role) else {
            return Pages.page("慢病管理率与控制率", "<p class=\"error\">此页面供卫健委和社区中心管理人员使用。</p>", status: .forbidden)
        }
        let district = try Pages.district(of: principal, asked: nil)
        var body = "<p class=\"muted\">\(HTML.escape(Catalog.divisions.first { $0.code == district }?.name ?? district))，截至 \(CalendarDay.today())。规范管理：近一年随访不少于4次；控制：最近一次血压 &lt;140/90 mmHg 或空腹血糖 &lt;7.0 mmol/L。</p>"
        // The commission sees 街道 and CHCs; a CHC manager their own CHC's 街道 and family doctors.
        let organization = principal.role == .chcManager ? principal.institution : nil
        let breakdowns = organization == nil ? [("subdistrict", "街道"), ("organization", "社区卫生服务中心")] : [("subdistrict", "街道"), ("practitioner", "家庭医生")]
        for programme in ["hypertension", "type2-diabetes"] {
            body += "<div class=\"card\" id=\"rates-\(programme)\"><h2>\(HTML.escape(Self.programmeLabels[programme] ?? programme))</h2>"
            for (by, heading) in breakdowns {
                let rows = try await chronic.rates(district: district, programme: programme, by: by, organization: organization)
                body += "<table class=\"by-\(by)\"><thead><tr><th>\(heading)</th><th>登记</th><th>规范管理率</th><th>控制率</th><th>逾期</th></tr></thead><tbody>"
                body += rows.map { "<tr><td>\(HTML.escape($0.label.isEmpty ? "未签约" : $0.label))</td><td>\($0.registered)</td><td>\($0.managedPercent)%</td><td>\($0.controlledPercent)%</td><td>\($0.overdue)</td></tr>" }.joined()
                body += "</tbody></table>"
            }
            body += "</div>"
        }
        try await audit(context, principal, action: "search", entity: "chronic/rates", patients: [])
        return Pages.page("慢病管理率与控制率", body)
    }
}
