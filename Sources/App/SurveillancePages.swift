import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Surveillance

/// The CDC's pages (中文, phone-usable): the worklist of case report cards and signals, and a signal's
/// epidemic curve with its 街道 breakdown (an SVG drawn on the server: no script needed).
extension SurveillanceRoutes {
    func registerPages(on router: Router<Context>) {
        router.get("surveillance") { request, context in try await worklistPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.post("surveillance/reports/:id/review") { request, context in try await pageAction(request, context) }
        router.post("surveillance/signals/run") { request, context in try await pageAction(request, context) }
        router.post("surveillance/signals/:id/:step") { request, context in try await pageAction(request, context) }
        router.get("surveillance/signals/:id") { request, context in try await signalPage(context, message: request.uri.queryParameters["m"].map(String.init)) }
        router.get("surveillance/vaccination") { request, context in try await coveragePage(request, context) }
        registerEmergencyPages(on: router)
        registerStreamPages(on: router)
        registerVaccinationPages(on: router)
    }

    static let certaintyLabels = ["suspected": "疑似", "clinical": "临床诊断", "confirmed": "实验室确诊", "carrier": "病原携带者"]
    static let statusLabels = ["pending": "待核实", "verified": "已核实", "responded": "已处置", "closed": "已关闭"]

    func cdcDistrict(_ context: Context) throws -> (Principal, String)? {
        guard let principal = context.principal, principal.role == .cdcEpidemiologist, let district = principal.district else { return nil }
        return (principal, district)
    }

    /// The names of the diseases and of the signal streams (a signal names one or the other).
    func diseaseNames() async throws -> [String: String] {
        Dictionary(try await surveillance.diseases().map { ($0.code, $0.name) } + surveillance.streams().map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    static func placeName(_ code: String?) -> String {
        guard let code, !code.isEmpty else { return "未知街道" }
        return Catalog.divisions.first { $0.code == code }?.name ?? code
    }

    func worklistPage(_ context: Context, message: String?) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        guard let (principal, district) = try cdcDistrict(context) else {
            return Pages.page("传染病监测预警", "<p class=\"error\">此页面供疾控中心人员使用。</p>", status: .forbidden)
        }
        let names = try await diseaseNames()
        let cards = try await surveillance.reports(district: district, status: "submitted")
        let signals = try await surveillance.signals(district: district).filter { $0.status != "closed" }
        let timeliness = try await surveillance.timeliness(district: district, from: CalendarDay.shift(CalendarDay.today(), days: -30))
        try await access.record(context, principal, action: "search", entity: "surveillance/report", patients: Array(Set(cards.map(\.patient))).sorted())
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        body += "<p class=\"muted\">近30天报告卡 \(timeliness.reports) 张，及时率 \(timeliness.timelyPercent)%，迟报 \(timeliness.late) 张。 <a href=\"/surveillance/vaccination\">预防接种率</a> · <a href=\"/surveillance/incidents\">应急指挥</a> · <a href=\"/surveillance/vector\">蚊媒监测</a> · <a href=\"/surveillance/streams\">监测数据报告</a></p>"
        body += "<div class=\"card\" id=\"signals\"><h2>预警信号 \(signals.count)</h2>"
        body += "<form method=\"post\" action=\"/surveillance/signals/run\" class=\"inline\">\(Pages.csrfField(context))<button type=\"submit\">立即运行预警模型</button></form><ul class=\"plain\">"
        body += signals.map { signal in
            "<li data-signal=\"\(HTML.escape(signal.id))\"><a href=\"/surveillance/signals/\(HTML.escape(signal.id))\">\(HTML.escape(names[signal.disease] ?? signal.disease))</a> "
                + "<span class=\"tag\">\(HTML.escape(Self.placeName(signal.subdistrict)))</span> <span class=\"tag\">\(HTML.escape(Self.statusLabels[signal.status] ?? signal.status))</span> "
                + "<span class=\"muted\">\(HTML.escape(signal.day)) · \(HTML.escape(signal.detail))</span></li>"
        }.joined() + (signals.isEmpty ? "<li>暂无</li>" : "") + "</ul></div>"
        body += "<div class=\"card\" id=\"cards\"><h2>待审核报告卡 \(cards.count)</h2><ul class=\"plain\">"
        body += cards.map { card in
            "<li data-card=\"\(HTML.escape(card.id))\">\(HTML.escape(names[card.disease] ?? card.disease)) <span class=\"tag\">\(HTML.escape(card.icd10))</span> "
                + "<span class=\"tag\">\(HTML.escape(Self.certaintyLabels[card.certainty] ?? card.certainty))</span>"
                + (card.late ? " <span class=\"flag\">迟报</span>" : "")
                + " <span class=\"muted\">\(HTML.escape(Self.placeName(card.subdistrict))) · 诊断 \(HTML.escape(String(card.diagnosedAt.prefix(16)).replacingOccurrences(of: "T", with: " ")))</span> "
                + "<form method=\"post\" class=\"inline\" action=\"/surveillance/reports/\(HTML.escape(card.id))/review\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"action\" value=\"verify\"><button type=\"submit\">审核通过</button></form> "
                + "<form method=\"post\" class=\"inline\" action=\"/surveillance/reports/\(HTML.escape(card.id))/review\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"action\" value=\"reject\">"
                + "<input type=\"text\" name=\"reason\" placeholder=\"退回原因\" maxlength=\"200\" size=\"8\"><button type=\"submit\">退回</button></form></li>"
        }.joined() + (cards.isEmpty ? "<li>暂无</li>" : "") + "</ul></div>"
        return Pages.page("传染病监测预警", body)
    }

    func pageAction(_ request: Request, _ context: Context) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard let (principal, district) = try cdcDistrict(context) else { throw HTTPError(.forbidden, message: "此操作供疾控中心人员使用") }
        var back = "/surveillance"
        let message: String
        do {
            if let step = context.parameters.get("step"), let id = context.parameters.get("id") {
                back = "/surveillance/signals/\(id)"
                let signal = try await surveillance.advance(signal: id, step: step, verdict: fields["verdict"].map { $0 == "true" }, note: fields["note"],
                                                            actor: principal.subject, district: district)
                message = "信号\(Self.statusLabels[signal.status] ?? signal.status)"
            } else if let id = context.parameters.get("id") {
                let card = try await surveillance.review(id: id, CaseReportReview(action: fields["action"] ?? "", reason: fields["reason"]), actor: principal.subject, district: district)
                try await access.record(context, principal, action: "update", entity: "surveillance/report", patients: [card.patient])
                message = card.status == "verified" ? "报告卡已审核通过" : "报告卡已退回"
            } else {
                let made = try await JobMetrics.run("detectors") { try await surveillance.detectSignals(district: district) }
                JobMetrics.signalsGenerated(made.count)
                message = "预警模型已运行，新信号 \(made.count) 个"
            }
        } catch let error as FHIRError {
            message = error.pageMessage
        }
        return HTML.redirect(back + "?m=" + Pages.queryEscape(message))
    }

    func signalPage(_ context: Context, message: String?) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        guard let (_, district) = try cdcDistrict(context) else {
            return Pages.page("预警信号", "<p class=\"error\">此页面供疾控中心人员使用。</p>", status: .forbidden)
        }
        let id = try context.parameters.require("id")
        guard let signal = try await surveillance.signal(id: id, district: district) else {
            return Pages.page("预警信号", "<p class=\"error\">本区没有该预警信号。</p>", status: .notFound)
        }
        let names = try await diseaseNames()
        let curve = try await surveillance.epidemicCurve(district: district, disease: signal.disease, to: signal.day)
        var body = message.map { "<p class=\"ok\" id=\"saved\">\(HTML.escape($0))</p>" } ?? ""
        body += "<p><strong>\(HTML.escape(names[signal.disease] ?? signal.disease))</strong> <span class=\"tag\">\(HTML.escape(Self.placeName(signal.subdistrict)))</span> "
        body += "<span class=\"tag\" id=\"signal-status\">\(HTML.escape(Self.statusLabels[signal.status] ?? signal.status))</span></p><p class=\"muted\">\(HTML.escape(signal.day)) · \(HTML.escape(signal.detail))</p>"
        body += "<div class=\"card\"><h2>流行曲线（近60天，按发病日期）</h2>" + Self.curveSVG(curve, to: signal.day, highlight: signal.subdistrict) + "</div>"
        var bySubdistrict: [String: Int] = [:]
        for point in curve { bySubdistrict[point.subdistrict, default: 0] += point.cases }
        body += "<div class=\"card\"><h2>街道分布</h2><table id=\"breakdown\"><thead><tr><th>街道</th><th>病例</th></tr></thead><tbody>"
        body += bySubdistrict.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "<tr><td>\(HTML.escape(Self.placeName($0.key)))</td><td>\($0.value)</td></tr>" }.joined()
        body += "</tbody></table></div><div class=\"card\"><h2>处置</h2>"
        let action = "/surveillance/signals/\(HTML.escape(signal.id))"
        switch signal.status {
        case "pending":
            body += "<form method=\"post\" class=\"inline\" action=\"\(action)/verify\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"verdict\" value=\"true\"><button type=\"submit\">核实：真实预警</button></form> "
            body += "<form method=\"post\" class=\"inline\" action=\"\(action)/verify\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"verdict\" value=\"false\"><button type=\"submit\">核实：排除</button></form>"
        case "verified" where signal.verdict == "true":
            body += "<form method=\"post\" action=\"\(action)/respond\" class=\"card\">\(Pages.csrfField(context))<label>处置情况 <input type=\"text\" name=\"note\" maxlength=\"1000\" required></label><button type=\"submit\">登记处置</button></form>"
        case "verified", "responded":
            body += "<form method=\"post\" class=\"inline\" action=\"\(action)/close\">\(Pages.csrfField(context))<button type=\"submit\">关闭信号</button></form>"
        default:
            body += "<p class=\"muted\">已关闭。</p>"
        }
        if signal.verdict == "true" {
            // A true signal may call for an emergency response (应急响应), once.
            if let incident = try await surveillance.incidents(district: district).first(where: { $0.signal == signal.id }) {
                body += "<p><a id=\"incident\" href=\"/surveillance/incidents/\(HTML.escape(incident.id))\">应急事件：\(HTML.escape(incident.title))</a></p>"
            } else {
                body += "<form method=\"post\" action=\"/surveillance/incidents\">\(Pages.csrfField(context))<input type=\"hidden\" name=\"signal\" value=\"\(HTML.escape(signal.id))\">"
                body += "<label>级别 <select name=\"level\">" + Emergency.levels.sorted { $0.key > $1.key }.map { "<option value=\"\($0.key)\">\($0.value)</option>" }.joined() + "</select></label>"
                body += "<button type=\"submit\">启动应急响应</button></form>"
            }
        }
        body += "</div><p><a href=\"/surveillance\">返回监测预警工作台</a></p>"
        return Pages.page("预警信号", body)
    }

    /// 接种率 of a birth cohort: every scheduled dose in the district; one dose by 街道 when chosen.
    func coveragePage(_ request: Request, _ context: Context) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        guard let (_, district) = try cdcDistrict(context) else {
            return Pages.page("预防接种率", "<p class=\"error\">此页面供疾控中心人员使用。</p>", status: .forbidden)
        }
        let thisYear = Int(CalendarDay.today().prefix(4)) ?? 2026
        let cohort = request.uri.queryParameters["cohort"].flatMap { Int($0) }.flatMap { (thisYear - 14...thisYear).contains($0) ? $0 : nil } ?? thisYear - 2
        let chosen = request.uri.queryParameters["dose"].map(String.init)
        let rows = try await surveillance.vaccinationCoverage(district: district, cohort: cohort, by: "district")
        var body = "<form method=\"get\" class=\"inline\"><label>出生年份 <select name=\"cohort\">"
        body += (thisYear - 14...thisYear).reversed().map { "<option value=\"\($0)\"\($0 == cohort ? " selected" : "")>\($0)</option>" }.joined()
        body += "</select></label> <button type=\"submit\">查看</button></form>"
        body += "<p class=\"muted\">应种：\(cohort) 年出生、已过该剂次补种月龄的本区常住儿童；实种：档案中已接种该剂次者。</p>"
        body += "<div class=\"card\"><table id=\"coverage\"><thead><tr><th>疫苗</th><th>剂次</th><th>应种</th><th>实种</th><th>接种率</th></tr></thead><tbody>"
        body += rows.map { row in
            let key = "\(row.vaccine)-\(row.dose)"
            return "<tr><td><a href=\"/surveillance/vaccination?cohort=\(cohort)&dose=\(Pages.queryEscape(key))\">\(HTML.escape(row.name))</a></td><td>\(row.dose)</td><td>\(row.eligible)</td><td>\(row.vaccinated)</td><td>\(row.percent)%</td></tr>"
        }.joined() + (rows.isEmpty ? "<tr><td colspan=\"5\">该出生年份暂无已到补种月龄的儿童</td></tr>" : "") + "</tbody></table></div>"
        if let chosen {
            let places = try await surveillance.vaccinationCoverage(district: district, cohort: cohort, by: "subdistrict").filter { "\($0.vaccine)-\($0.dose)" == chosen }
            if let first = places.first {
                body += "<div class=\"card\"><h2>\(HTML.escape(first.name)) 第\(first.dose)剂 · 各街道</h2><table id=\"by-subdistrict\"><thead><tr><th>街道</th><th>应种</th><th>实种</th><th>接种率</th></tr></thead><tbody>"
                body += places.map { "<tr><td>\(HTML.escape(Self.placeName($0.key)))</td><td>\($0.eligible)</td><td>\($0.vaccinated)</td><td>\($0.percent)%</td></tr>" }.joined()
                body += "</tbody></table></div>"
            }
        }
        body += "<p><a href=\"/surveillance\">返回监测预警工作台</a></p>"
        return Pages.page("预防接种率", body)
    }

    /// Daily bars of the last 60 days: the signal's 街道 dark, the rest of the district light.
    static func curveSVG(_ curve: [(day: String, subdistrict: String, cases: Int)], to day: String, highlight: String) -> String {
        let days = (0..<60).map { CalendarDay.shift(day, days: $0 - 59) }
        var here: [String: Int] = [:], elsewhere: [String: Int] = [:]
        for point in curve {
            if point.subdistrict == highlight { here[point.day, default: 0] += point.cases } else { elsewhere[point.day, default: 0] += point.cases }
        }
        let top = max(1, days.map { (here[$0] ?? 0) + (elsewhere[$0] ?? 0) }.max() ?? 1)
        let width = 600.0, height = 200.0, bar = width / 60
        var svg = "<svg id=\"epicurve\" viewBox=\"0 0 \(Int(width)) \(Int(height) + 28)\" width=\"100%\" role=\"img\" aria-label=\"流行曲线\">"
        for (index, date) in days.enumerated() {
            let a = Double(here[date] ?? 0), b = Double(elsewhere[date] ?? 0)
            let x = Double(index) * bar
            let ha = a / Double(top) * height, hb = b / Double(top) * height
            if hb > 0 { svg += "<rect x=\"\(x)\" y=\(String(format: "\"%.1f\"", height - ha - hb)) width=\"\(bar - 1)\" height=\(String(format: "\"%.1f\"", hb)) fill=\"#b9cde8\"><title>\(date) 其他街道 \(Int(b))</title></rect>" }
            if ha > 0 { svg += "<rect class=\"here\" x=\"\(x)\" y=\(String(format: "\"%.1f\"", height - ha)) width=\"\(bar - 1)\" height=\(String(format: "\"%.1f\"", ha)) fill=\"#1d4e89\"><title>\(date) 本街道 \(Int(a))</title></rect>" }
        }
        svg += "<line x1=\"0\" y1=\"\(height)\" x2=\"\(width)\" y2=\"\(height)\" stroke=\"#999\"/>"
        svg += "<text x=\"0\" y=\"\(Int(height) + 24)\" font-size=\"22\">\(days[0])</text><text x=\"\(Int(width))\" y=\"\(Int(height) + 24)\" font-size=\"22\" text-anchor=\"end\">\(day)</text>"
        svg += "<text x=\"2\" y=\"22\" font-size=\"22\">最高 \(top) 例/日</text></svg><p class=\"muted\">深色：本街道；浅色：区内其他街道。</p>"
        return svg
    }
}
