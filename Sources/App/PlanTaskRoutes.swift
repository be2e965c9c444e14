import Access
import Foundation
import Hummingbird
import Indicators
import Registry

extension TrackedTask: ResponseEncodable {}

/// 规划任务跟踪: the district's plan tasks (Jinshan's 76, Changning's 19) with status, progress, owner and notes.
/// The commission's managers update them; the CDC and CHC managers read them.
struct PlanTaskRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let tasks: PlanTaskService

    static let readers: [Role] = [.commissionManager, .cdcEpidemiologist, .chcManager]
    struct Progress: Decodable { var status: String; var progress: Int; var owner: String?; var note: String }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/indicators/tasks")
        api.get { request, context -> [TrackedTask] in
            let principal = try context.require(Self.readers)
            let all = try await tasks.tasks(district: try Pages.district(of: principal, asked: nil))
            return try Self.filter(all, status: request.uri.queryParameters["status"].map(String.init), lead: request.uri.queryParameters["lead"].map(String.init))
        }
        api.get(":id") { _, context -> TrackedTask in
            let principal = try context.require(Self.readers)
            let id = try context.parameters.require("id")
            guard let task = try await tasks.tasks(district: try Pages.district(of: principal, asked: nil), withNotes: true).first(where: { $0.task.id == id }) else {
                throw HTTPError(.notFound, message: "本区规划中没有任务 \(id)")
            }
            return task
        }
        api.post(":id/progress") { request, context -> Response in
            let principal = try context.require(.commissionManager)
            let body = try await request.decode(as: Progress.self, context: context)
            let id = try context.parameters.require("id")
            try await update(id, district: try Pages.district(of: principal, asked: nil), status: body.status, progress: body.progress, owner: body.owner, note: body.note,
                             principal: principal, context: context)
            return Response(status: .noContent)
        }
        router.get("plan/tasks") { request, context in try await listPage(request, context) }
        router.get("plan/tasks/:id") { request, context in try await taskPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.post("plan/tasks/:id") { request, context in try await taskAction(request, context) }
    }

    static func filter(_ all: [TrackedTask], status: String?, lead: String?) throws -> [TrackedTask] {
        var list = all
        if let status, !status.isEmpty {
            guard status == "overdue" || PlanTaskService.statuses[status] != nil else {
                throw HTTPError(.badRequest, message: "status 须为 not-started、in-progress、blocked、done 或 overdue")
            }
            list = list.filter { status == "overdue" ? $0.overdue : $0.status == status }
        }
        if let lead, !lead.isEmpty { list = list.filter { $0.task.lead.contains(lead) } }
        return list
    }

    func update(_ id: String, district: String, status: String, progress: Int, owner: String?, note: String, principal: Principal, context: Context) async throws {
        do {
            try await tasks.update(task: id, district: district, status: status, progress: progress, owner: owner, note: note, by: principal.subject)
        } catch PlanTaskError.invalid(let message) {
            throw HTTPError(.unprocessableContent, message: message)
        } catch PlanTaskError.notFound(let message) {
            throw HTTPError(.notFound, message: message)
        }
        try await access.record(context, principal, action: "update", entity: "plan-task/\(id)", patients: [])
    }

    static let statusColours = ["not-started": "#8a8a8a", "in-progress": "#1d4e89", "blocked": "#b3261e", "done": "#1b7a35"]

    func listPage(_ request: Request, _ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.readers, title: "规划任务跟踪", refusal: "此页面供卫健委、疾控中心和社区卫生服务中心管理人员使用。") { _, district in
            let all = try await tasks.tasks(district: district)
            let status = request.uri.queryParameters["status"].map(String.init), lead = request.uri.queryParameters["lead"].map(String.init)
            let shown: [TrackedTask]
            do {
                shown = try Self.filter(all, status: status, lead: lead)
            } catch let error as HTTPError {
                return Pages.page("规划任务跟踪", "<p class=\"error\">\(HTML.escape(error.body ?? "筛选条件有误"))</p><p><a href=\"/plan/tasks\">全部任务</a></p>", status: .badRequest)
            }
            guard !all.isEmpty else {
                return Pages.page("规划任务跟踪", "<p class=\"muted\">本区规划未列出任务分工。</p>")
            }
            let counts = Dictionary(grouping: all, by: \.status).mapValues(\.count)
            let overdue = all.filter(\.overdue).count
            var body = "<p class=\"muted\">\(HTML.escape(Catalog.divisions.first { $0.code == district }?.name ?? district)) · 共 \(all.count) 项任务</p>"
            body += "<p id=\"summary\">" + PlanTaskService.statusOrder.map { key in
                "<a href=\"/plan/tasks?status=\(key)\" data-status=\"\(key)\">\(PlanTaskService.statuses[key] ?? key) \(counts[key] ?? 0)</a>"
            }.joined(separator: " · ") + " · <a href=\"/plan/tasks?status=overdue\" class=\"rag-red\">逾期 \(overdue)</a>"
                + (status != nil || lead != nil ? " · <a href=\"/plan/tasks\">全部</a>" : "") + "</p>"
            body += IndicatorRoutes.chart("task-status", label: "任务状态", height: 160, [
                "type": "doughnut",
                "data": ["labels": PlanTaskService.statusOrder.map { PlanTaskService.statuses[$0] ?? $0 },
                         "datasets": [["data": PlanTaskService.statusOrder.map { counts[$0] ?? 0 },
                                       "backgroundColor": PlanTaskService.statusOrder.map { Self.statusColours[$0] ?? "#888" }]]],
                "options": ["plugins": ["legend": ["position": "right"]]],
            ])
            var section = ""
            body += "<table id=\"tasks\"><thead><tr><th>序号</th><th>任务</th><th>牵头部门</th><th>状态</th><th>进度</th><th>期限</th></tr></thead><tbody>"
            for item in shown {
                if item.task.section != section {
                    section = item.task.section
                    body += "<tr class=\"section\"><th colspan=\"6\">\(HTML.escape(section))</th></tr>"
                }
                body += "<tr data-task=\"\(HTML.escape(item.task.id))\" data-status=\"\(item.status)\"\(item.overdue ? " data-overdue=\"true\"" : "")>"
                    + "<td>\(HTML.escape(item.task.number))</td><td><a href=\"/plan/tasks/\(HTML.escape(item.task.id))\">\(HTML.escape(item.task.title))</a></td>"
                    + "<td>\(item.task.lead.map { "<a href=\"/plan/tasks?lead=\(Pages.queryEscape($0))\">\(HTML.escape($0))</a>" }.joined(separator: "、"))</td>"
                    + "<td>\(PlanTaskService.statuses[item.status] ?? item.status)</td><td>\(item.progress)%</td>"
                    + "<td\(item.overdue ? " class=\"rag-red\"" : "")>\(HTML.escape(item.task.due))\(item.overdue ? " 逾期" : "")</td></tr>"
            }
            body += (shown.isEmpty ? "<tr><td colspan=\"6\">没有符合条件的任务</td></tr>" : "") + "</tbody></table>"
            body += "<p><a href=\"/cockpit\">返回驾驶舱</a></p><style>tr.section th{text-align:left;background:#eef3f9}</style>"
            body += "<script src=\"/static/chart.min.js\"></script><script src=\"/static/weijian-charts.js\"></script>"
            return Pages.page("规划任务跟踪", body)
        }
    }

    func taskPage(_ context: Context, message: String?) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.readers, title: "规划任务", refusal: "此页面供卫健委、疾控中心和社区卫生服务中心管理人员使用。") { principal, district in
            let id = context.parameters.get("id") ?? ""
            guard let item = try await tasks.tasks(district: district, withNotes: true).first(where: { $0.task.id == id }) else {
                return Pages.page("规划任务", "<p class=\"error\">本区规划中没有该任务。</p><p><a href=\"/plan/tasks\">返回任务列表</a></p>", status: .notFound)
            }
            let task = item.task
            var body = message.map { "<p class=\"notice\" id=\"message\">\(HTML.escape($0))</p>" } ?? ""
            body += "<p class=\"muted\">\(HTML.escape(task.category)) · \(HTML.escape(task.section))</p><div class=\"card\" id=\"task\"><p>\(HTML.escape(task.text))</p>"
            body += "<p>牵头部门：\(HTML.escape(task.lead.joined(separator: "、")))" + (task.partners.isEmpty ? "" : "<br>配合部门：\(HTML.escape(task.partners.joined(separator: "、")))") + "</p>"
            body += "<p id=\"state\" data-status=\"\(item.status)\">状态：<strong>\(PlanTaskService.statuses[item.status] ?? item.status)</strong> · 进度 \(item.progress)% · 期限 \(HTML.escape(task.due))"
                + (item.overdue ? " <span class=\"rag-red\">逾期</span>" : "") + (item.owner.map { " · 负责人 \(HTML.escape($0))" } ?? "") + "</p></div>"
            body += "<div class=\"card\"><h2>进展记录</h2><ol id=\"notes\">" + item.notes.reversed().map { note in
                "<li>\(HTML.escape(String(note.at.prefix(16)).replacingOccurrences(of: "T", with: " "))) · \(PlanTaskService.statuses[note.status] ?? note.status) \(note.progress)%：\(HTML.escape(note.note))</li>"
            }.joined() + "</ol>" + (item.notes.isEmpty ? "<p class=\"muted\">尚无进展记录。</p>" : "") + "</div>"
            if principal.role == .commissionManager {
                body += "<form method=\"post\" action=\"/plan/tasks/\(HTML.escape(task.id))\" class=\"card\" id=\"progress-form\">\(Pages.csrfField(context))<h2>更新进展</h2>"
                body += "<label>状态 <select name=\"status\">" + PlanTaskService.statusOrder.map {
                    "<option value=\"\($0)\"\($0 == item.status ? " selected" : "")>\(PlanTaskService.statuses[$0] ?? $0)</option>"
                }.joined() + "</select></label>"
                body += "<label>进度（%） <input type=\"number\" name=\"progress\" min=\"0\" max=\"100\" value=\"\(item.progress)\" required></label>"
                body += "<label>负责人 <input type=\"text\" name=\"owner\" maxlength=\"100\" value=\"\(HTML.escape(item.owner ?? ""))\"></label>"
                body += "<label>进展说明 <textarea name=\"note\" maxlength=\"2000\" required></textarea></label><button type=\"submit\">保存</button></form>"
            }
            body += "<p><a href=\"/plan/tasks\">返回任务列表</a></p>"
            return Pages.page("规划任务 \(task.number) · \(task.title)", body)
        }
    }

    func taskAction(_ request: Request, _ context: Context) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard let principal = context.principal, principal.role == .commissionManager, let district = try? Pages.district(of: principal, asked: nil) else {
            throw HTTPError(.forbidden, message: "此操作供卫健委管理人员使用")
        }
        let id = context.parameters.get("id") ?? ""
        let message: String
        do {
            guard let progress = fields["progress"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
                throw HTTPError(.unprocessableContent, message: "进度须为 0 到 100 的整数")
            }
            try await update(id, district: district, status: fields["status"] ?? "", progress: progress, owner: fields["owner"], note: fields["note"] ?? "",
                             principal: principal, context: context)
            message = "进展已保存"
        } catch let error as HTTPError where error.status == .unprocessableContent {
            message = error.body ?? "无法保存"
        }
        // Task ids are digits and hyphens; anything else goes back to the list.
        let back = !id.isEmpty && id.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) ? "/plan/tasks/\(id)" : "/plan/tasks"
        return HTML.redirect(back + "?m=" + Pages.queryEscape(message))
    }
}
