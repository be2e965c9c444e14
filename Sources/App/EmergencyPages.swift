import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Surveillance

/// 应急指挥 pages (中文, phone-usable): the incidents, an incident's situation page (tasks by team, log,
/// cases, resources), and the district's resources with the ICU bed ratios against the plan's targets.
extension SurveillanceRoutes {
    func registerEmergencyPages(on router: Router<Context>) {
        router.get("surveillance/incidents") { request, context in try await incidentsPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.post("surveillance/incidents") { request, context in try await incidentAction(request, context, action: nil) }
        router.get("surveillance/incidents/:id") { request, context in try await situationPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        // Constant segments, not `:id/:action`: the router does not backtrack from `tasks` to a parameter.
        for action in ["tasks", "notes", "close"] {
            router.post("surveillance/incidents/:id/\(action)") { request, context in try await incidentAction(request, context, action: action) }
        }
        router.post("surveillance/incidents/:id/tasks/:task") { request, context in try await incidentAction(request, context, action: "task") }
        router.get("surveillance/resources") { request, context in try await resourcesPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.post("surveillance/resources") { request, context in try await resourcesAction(request, context) }
    }

    func commandDistrict(_ context: Context) throws -> (Principal, String)? {
        guard let principal = context.principal, Self.commandRoles.contains(principal.role), let district = try? Pages.district(of: principal, asked: nil) else { return nil }
        return (principal, district)
    }

    static func institutionName(_ id: String) -> String {
        Catalog.institutions.first { $0.id == id }.map { $0.shortName ?? $0.name } ?? id
    }

    func incidentsPage(_ context: Context, message: String?) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        guard let (_, district) = try commandDistrict(context) else {
            return Pages.page("应急指挥", "<p class=\"error\">此页面供疾控中心和卫健委人员使用。</p>", status: .forbidden)
        }
        let incidents = try await surveillance.incidents(district: district)
        let names = try await diseaseNames()
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        body += "<p><a href=\"/surveillance/resources\">应急资源与 ICU 床位</a> · <a href=\"/surveillance\">监测预警工作台</a></p>"
        body += "<div class=\"card\" id=\"incidents\"><h2>应急事件 \(incidents.count)</h2><ul class=\"plain\">"
        body += incidents.map { incident in
            "<li data-incident=\"\(HTML.escape(incident.id))\"><a href=\"/surveillance/incidents/\(HTML.escape(incident.id))\">\(HTML.escape(incident.title))</a> "
                + "<span class=\"tag\">\(HTML.escape(Emergency.levels[incident.level] ?? ""))</span> <span class=\"tag\">\(incident.status == "open" ? "响应中" : "已结束")</span> "
                + "<span class=\"muted\">\(HTML.escape(incident.disease.map { names[$0] ?? $0 } ?? "")) \(HTML.escape(incident.subdistrict.map { Self.placeName($0) } ?? "")) · 启动于 \(HTML.escape(String(incident.openedAt.prefix(16)).replacingOccurrences(of: "T", with: " ")))</span></li>"
        }.joined() + (incidents.isEmpty ? "<li>暂无</li>" : "") + "</ul></div>"
        body += "<form method=\"post\" action=\"/surveillance/incidents\" class=\"card\"><h2>手工启动应急响应</h2>\(Pages.csrfField(context))"
        body += "<label>事件名称 <input type=\"text\" name=\"title\" maxlength=\"200\" required></label>"
        body += "<label>级别 <select name=\"level\">" + Emergency.levels.sorted { $0.key > $1.key }.map { "<option value=\"\($0.key)\">\($0.value)</option>" }.joined() + "</select></label>"
        body += "<button type=\"submit\">启动</button></form>"
        return Pages.page("应急指挥", body)
    }

    func situationPage(_ context: Context, message: String?) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        guard let (_, district) = try commandDistrict(context) else {
            return Pages.page("应急事件", "<p class=\"error\">此页面供疾控中心和卫健委人员使用。</p>", status: .forbidden)
        }
        let id = try context.parameters.require("id")
        guard let situation = try await surveillance.situation(incident: id, district: district) else {
            return Pages.page("应急事件", "<p class=\"error\">本区没有该应急事件。</p>", status: .notFound)
        }
        let incident = situation.incident
        let names = try await diseaseNames()
        let action = "/surveillance/incidents/\(HTML.escape(incident.id))"
        let open = incident.status == "open"
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        body += "<p><strong>\(HTML.escape(incident.title))</strong> <span class=\"tag\">\(HTML.escape(Emergency.levels[incident.level] ?? ""))</span> "
        body += "<span class=\"tag\" id=\"incident-status\">\(open ? "响应中" : "已结束")</span></p>"
        if let disease = incident.disease {
            body += "<p class=\"muted\" id=\"cases\">\(HTML.escape(names[disease] ?? disease)) · \(HTML.escape(incident.subdistrict.map { Self.placeName($0) } ?? "全区")) · 启动前14天起报告病例 \(situation.cases) 例"
            if let signal = incident.signal { body += " · <a href=\"/surveillance/signals/\(HTML.escape(signal))\">来源预警信号</a>" }
            body += "</p>"
        }
        // Tasks by team, each with its next step.
        let done = situation.tasks.filter { $0.status == "done" }.count
        body += "<div class=\"card\" id=\"tasks\"><h2>处置任务（完成 \(done)/\(situation.tasks.filter { $0.status != "cancelled" }.count)）</h2><ul class=\"plain\">"
        let teams = Dictionary(Emergency.teams.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        body += situation.tasks.map { task in
            var line = "<li data-task=\"\(HTML.escape(task.id))\"><span class=\"tag\">\(HTML.escape(teams[task.team] ?? task.team))</span> \(HTML.escape(task.title)) "
            line += "<span class=\"tag\" data-status=\"\(HTML.escape(task.status))\">\(HTML.escape(Emergency.taskStatuses[task.status] ?? task.status))</span>"
            line += "<span class=\"muted\">\(HTML.escape(task.assignee.map { " · \($0)" } ?? ""))\(HTML.escape(task.due.map { " · 时限 \($0.replacingOccurrences(of: "T", with: " "))" } ?? ""))\(HTML.escape(task.note.map { " · \($0)" } ?? ""))</span>"
            if open, task.status == "assigned" || task.status == "in-progress" {
                let next = task.status == "assigned" ? ("in-progress", "开始处置") : ("done", "完成")
                line += " <form method=\"post\" class=\"inline\" action=\"\(action)/tasks/\(HTML.escape(task.id))\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"status\" value=\"\(next.0)\">"
                line += "<input type=\"text\" name=\"note\" placeholder=\"说明（可选）\" maxlength=\"1000\" size=\"8\"><button type=\"submit\">\(next.1)</button></form>"
            }
            return line + "</li>"
        }.joined() + (situation.tasks.isEmpty ? "<li>暂无任务</li>" : "") + "</ul>"
        if open {
            body += "<form method=\"post\" action=\"\(action)/tasks\">\(Pages.csrfField(context))<label>队伍 <select name=\"team\">"
            body += Emergency.teams.map { "<option value=\"\($0.code)\">\($0.name)</option>" }.joined() + "</select></label>"
            body += "<label>任务 <input type=\"text\" name=\"title\" maxlength=\"200\" required></label><label>负责人 <input type=\"text\" name=\"assignee\" maxlength=\"50\"></label>"
            body += "<label>时限 <input type=\"datetime-local\" name=\"due\"></label><button type=\"submit\">派发任务</button></form>"
        }
        body += "</div>"
        // The district's resources at a glance.
        let view = try await resourceView(district: district)
        let kinds = Dictionary(Emergency.resourceKinds.map { ($0.code, ($0.name, $0.unit)) }, uniquingKeysWith: { first, _ in first })
        body += "<div class=\"card\"><h2>全区应急资源</h2><table id=\"resource-totals\"><thead><tr><th>资源</th><th>可用</th><th>总数</th></tr></thead><tbody>"
        body += view.totals.map { "<tr><td>\(HTML.escape(kinds[$0.kind]?.0 ?? $0.kind))</td><td>\($0.available) \(kinds[$0.kind]?.1 ?? "")</td><td>\($0.total)</td></tr>" }.joined()
        body += (view.totals.isEmpty ? "<tr><td colspan=\"3\">各机构尚未填报</td></tr>" : "") + "</tbody></table><p><a href=\"/surveillance/resources\">各机构明细</a></p></div>"
        // The log, and adding to it or closing.
        body += "<div class=\"card\" id=\"log\"><h2>事件进展</h2><ol>"
        body += situation.events.map { "<li><span class=\"muted\">\(HTML.escape(String($0.at.prefix(16)).replacingOccurrences(of: "T", with: " ")))</span> \(HTML.escape($0.text))</li>" }.joined() + "</ol>"
        if open {
            body += "<form method=\"post\" action=\"\(action)/notes\">\(Pages.csrfField(context))<label>进展 <input type=\"text\" name=\"text\" maxlength=\"1000\" required></label><button type=\"submit\">记录进展</button></form>"
            body += "<form method=\"post\" action=\"\(action)/close\">\(Pages.csrfField(context))<label>处置总结 <input type=\"text\" name=\"summary\" maxlength=\"2000\" required></label><button type=\"submit\">结束应急响应</button></form>"
        } else if let summary = incident.summary {
            body += "<p>总结：\(HTML.escape(summary))</p>"
        }
        body += "</div><p><a href=\"/surveillance/incidents\">返回应急指挥</a></p>"
        return Pages.page("应急事件", body)
    }

    /// The forms of the incident pages: open (by hand or from a signal), add a task, move a task on, note, close.
    func incidentAction(_ request: Request, _ context: Context, action: String?) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard let (principal, district) = try commandDistrict(context) else { throw HTTPError(.forbidden, message: "此操作供疾控中心和卫健委人员使用") }
        let id = context.parameters.get("id")
        var back = id.map { "/surveillance/incidents/\($0)" } ?? "/surveillance/incidents"
        var message: String
        do {
            if let id, action == "task", let task = context.parameters.get("task") {
                let updated = try await surveillance.updateTask(task, incident: id, status: fields["status"] ?? "", note: fields["note"], district: district, actor: principal.subject)
                message = "任务\(Emergency.taskStatuses[updated.status] ?? updated.status)"
            } else if let id {
                switch action {
                case "tasks":
                    _ = try await surveillance.addTask(TaskForm(team: fields["team"] ?? "", title: fields["title"] ?? "", assignee: fields["assignee"], due: fields["due"]),
                                                       incident: id, district: district, actor: principal.subject)
                    message = "任务已派发"
                case "notes":
                    try await surveillance.addIncidentNote(fields["text"] ?? "", incident: id, district: district, actor: principal.subject)
                    message = "进展已记录"
                case "close":
                    _ = try await surveillance.closeIncident(id, summary: fields["summary"] ?? "", district: district, actor: principal.subject)
                    message = "应急响应已结束"
                default:
                    throw HTTPError(.notFound, message: "没有该操作")
                }
            } else {
                let incident = try await surveillance.openIncident(IncidentForm(title: fields["title"], level: fields["level"].flatMap { Int($0) }, signal: fields["signal"]),
                                                                   district: district, actor: principal.subject)
                back = "/surveillance/incidents/\(incident.id)"
                message = "已启动应急响应"
            }
            try await access.record(context, principal, action: "update", entity: "surveillance/incident", patients: [])
        } catch let error as FHIRError {
            message = error.pageMessage
            if let signal = fields["signal"], id == nil { back = "/surveillance/signals/\(signal)" }
        }
        return HTML.redirect(back + "?m=" + Pages.queryEscape(message))
    }

    /// The district's resources by institution, the ICU ratios against the plan's targets, and the form for
    /// the signed-in person's own institution (the command: any of the district's hospitals and CHCs).
    func resourcesPage(_ context: Context, message: String?) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard Self.commandRoles.contains(principal.role) || principal.role == .hospitalClinician || principal.role == .chcManager,
              let district = try? Pages.district(of: principal, asked: nil) else {
            return Pages.page("应急资源", "<p class=\"error\">此页面供疾控中心、卫健委及医疗机构人员使用。</p>", status: .forbidden)
        }
        let view = try await resourceView(district: district)
        let kinds = Emergency.resourceKinds
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        body += "<div class=\"card\"><h2>定点医院 ICU 床位（目标：平时 ≥\(Int(Emergency.icuTargets.normal))%，应急 ≥\(Int(Emergency.icuTargets.emergency))%）</h2>"
        body += "<table id=\"icu\"><thead><tr><th>机构</th><th>床位</th><th>ICU</th><th>平时</th><th>应急</th></tr></thead><tbody>"
        body += view.icuReadiness.map { row in
            "<tr><td>\(HTML.escape(Self.institutionName(row.organization)))</td><td>\(row.beds)</td><td>\(row.icuBeds)+\(row.convertibleIcuBeds)</td>"
                + "<td>\(row.icuPercent)%\(row.meetsNormalTarget ? "" : " <span class=\"flag\">未达标</span>")</td><td>\(row.emergencyIcuPercent)%\(row.meetsEmergencyTarget ? "" : " <span class=\"flag\">未达标</span>")</td></tr>"
        }.joined() + (view.icuReadiness.isEmpty ? "<tr><td colspan=\"5\">尚无医院填报床位</td></tr>" : "") + "</tbody></table></div>"
        body += "<div class=\"card\"><h2>各机构资源（可用/总数）</h2><table id=\"resources\"><thead><tr><th>机构</th><th>资源</th><th>可用/总数</th><th>更新</th></tr></thead><tbody>"
        body += view.resources.map { row in
            "<tr><td>\(HTML.escape(Self.institutionName(row.organization)))</td><td>\(HTML.escape(kinds.first { $0.code == row.kind }?.name ?? row.kind))</td>"
                + "<td>\(row.available)/\(row.total) \(kinds.first { $0.code == row.kind }?.unit ?? "")</td><td class=\"muted\">\(HTML.escape(String(row.updatedAt.prefix(16)).replacingOccurrences(of: "T", with: " ")))</td></tr>"
        }.joined() + (view.resources.isEmpty ? "<tr><td colspan=\"4\">暂无</td></tr>" : "") + "</tbody></table></div>"
        // The report form: own institution, or a choice of the district's hospitals and CHCs for the command.
        let choices = Self.commandRoles.contains(principal.role)
            ? Catalog.institutions.filter { $0.district == district && ["hospital", "tcm-hospital", "maternal-child", "chc", "cdc"].contains($0.type) }.map(\.id)
            : principal.institution.map { [$0] } ?? []
        if !choices.isEmpty {
            body += "<form method=\"post\" action=\"/surveillance/resources\" class=\"card\"><h2>填报资源</h2>\(Pages.csrfField(context))<label>机构 <select name=\"organization\">"
            body += choices.map { "<option value=\"\(HTML.escape($0))\">\(HTML.escape(Self.institutionName($0)))</option>" }.joined() + "</select></label>"
            body += "<table><thead><tr><th>资源</th><th>总数</th><th>可用</th></tr></thead><tbody>"
            body += kinds.map { "<tr><td>\($0.name)（\($0.unit)）</td><td><input type=\"number\" name=\"total.\($0.code)\" min=\"0\" max=\"10000000\" size=\"5\"></td><td><input type=\"number\" name=\"available.\($0.code)\" min=\"0\" max=\"10000000\" size=\"5\"></td></tr>" }.joined()
            body += "</tbody></table><p class=\"muted\">只填有变化的行；空行不改。</p><button type=\"submit\">提交</button></form>"
        }
        if Self.commandRoles.contains(principal.role) { body += "<p><a href=\"/surveillance/incidents\">返回应急指挥</a></p>" }
        return Pages.page("应急资源", body)
    }

    func resourcesAction(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard Self.commandRoles.contains(principal.role) || principal.role == .hospitalClinician || principal.role == .chcManager else {
            throw HTTPError(.forbidden, message: "此操作供疾控中心、卫健委及医疗机构人员使用")
        }
        let district = try Pages.district(of: principal, asked: nil)
        let organization = fields["organization"] ?? ""
        try Self.checkResourceReporter(principal, organization: organization, district: district)
        var levels: [ResourceLevel] = []
        var bad: [String] = []
        for kind in Emergency.resourceKinds {
            let total = fields["total.\(kind.code)"]?.trimmingCharacters(in: .whitespaces) ?? "", available = fields["available.\(kind.code)"]?.trimmingCharacters(in: .whitespaces) ?? ""
            if total.isEmpty && available.isEmpty { continue }
            guard let t = Int(total), let a = Int(available.isEmpty ? total : available) else { bad.append(kind.name); continue }
            levels.append(ResourceLevel(organization: organization, kind: kind.code, total: t, available: a))
        }
        let message: String
        if !bad.isEmpty {
            message = "请填写整数：" + bad.joined(separator: "、")
        } else {
            do {
                let count = try await surveillance.recordResources(levels, organization: organization, district: district, actor: principal.subject)
                try await access.record(context, principal, action: "update", entity: "surveillance/resource/\(organization)", patients: [])
                message = "已更新 \(count) 类资源"
            } catch let error as FHIRError {
                message = error.pageMessage
            }
        }
        return HTML.redirect("/surveillance/resources?m=" + Pages.queryEscape(message))
    }
}
