import Access
import FHIR
import Foundation
import Hummingbird
import Indicators
import Registry
import Storage

extension IndicatorDefinition: ResponseEncodable {}
extension IndicatorStatus: ResponseEncodable {}
extension PlanProgress: ResponseEncodable {}

/// 管理决策 under `/api/v1/indicators` and the cockpit page `/cockpit` (驾驶舱): the commission's managers (and the
/// CDC, read only) see the district's indicators against targets and the plan's rows; managers recompute and
/// report the values the platform cannot compute.
struct IndicatorRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let indicators: IndicatorService

    struct Reported: Decodable { var period: String; var value: Double }
    struct Recomputed: ResponseEncodable { var district: String; var values: Int }
    static let readers: [Role] = [.commissionManager, .cdcEpidemiologist]

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/indicators")
        api.get("definitions") { _, context -> [IndicatorDefinition] in
            _ = try context.require(Self.readers + [.chcManager])
            return indicators.definitions
        }
        api.post("recompute") { _, context -> Recomputed in
            let principal = try context.require(.commissionManager)
            let district = try Pages.district(of: principal, asked: nil)
            let written = try await indicators.recompute(district: district)
            try await access.record(context, principal, action: "update", entity: "indicators/\(district)", patients: [])
            return Recomputed(district: district, values: written)
        }
        api.get("cockpit") { _, context -> [IndicatorStatus] in
            let principal = try context.require(Self.readers)
            return try await indicators.cockpit(district: try Pages.district(of: principal, asked: nil))
        }
        api.get("cockpit.csv") { _, context -> Response in
            let principal = try context.require(Self.readers)
            let district = try Pages.district(of: principal, asked: nil)
            let rows = try await indicators.cockpit(district: district)
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"cockpit-\(district).csv\""],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: Self.csv(rows))))
        }
        api.get("plan") { _, context -> [PlanProgress] in
            let principal = try context.require(Self.readers)
            return try await indicators.planProgress(district: try Pages.district(of: principal, asked: nil))
        }
        api.post("plan/:id/reported") { request, context -> Response in
            let principal = try context.require(.commissionManager)
            let district = try Pages.district(of: principal, asked: nil)
            let body = try await request.decode(as: Reported.self, context: context)
            let id = try context.parameters.require("id")
            do {
                try await indicators.report(target: id, district: district, period: body.period, value: body.value, by: principal.subject)
            } catch IndicatorError.invalid(let message) {
                throw HTTPError(.unprocessableContent, message: message)
            }
            try await access.record(context, principal, action: "update", entity: "indicators/plan/\(id)", patients: [])
            return Response(status: .noContent)
        }
        router.get("cockpit") { _, context in try await cockpitPage(context) }
    }

    /// The cockpit as CSV (UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese).
    static func csv(_ rows: [IndicatorStatus]) -> String {
        func field(_ text: String) -> String { text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text }
        var lines = ["指标编码,指标,单位,当期,数值,目标,目标来源,状态"]
        for row in rows {
            lines.append([row.definition.code, row.definition.name, row.definition.unit, row.value?.period ?? "", row.value.map { String($0.value) } ?? "",
                          row.target.map { String($0) } ?? "", row.targetSource ?? "", row.rag].map(field).joined(separator: ","))
        }
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }

    static let ragLabels = ["green": "达标", "amber": "接近", "red": "未达标", "none": "—"]

    func cockpitPage(_ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard Self.readers.contains(principal.role), let district = try? Pages.district(of: principal, asked: nil) else {
            return Pages.page("卫生健康驾驶舱", "<p class=\"error\">此页面供卫健委和疾控中心管理人员使用。</p>", status: .forbidden)
        }
        let statuses = try await indicators.cockpit(district: district)
        let plan = try await indicators.planProgress(district: district)
        let name = Catalog.divisions.first { $0.code == district }?.name ?? district
        var body = "<p class=\"muted\">\(HTML.escape(name)) · 数据按月汇总，每小时更新 · <a href=\"/api/v1/indicators/cockpit.csv\">导出 CSV</a></p>"
        body += "<div class=\"card\"><h2>关键指标</h2><table id=\"indicators\"><thead><tr><th>指标</th><th>当前</th><th>目标</th><th>近12月</th><th>状态</th></tr></thead><tbody>"
        body += statuses.map { status in
            let value = status.value.map { "\(Self.number($0.value))\(status.definition.unit == "%" ? "%" : "")" } ?? "—"
            let target = status.target.map { "\(status.definition.direction == "down" ? "≤" : "≥")\(Self.number($0))" } ?? "—"
            return "<tr data-code=\"\(HTML.escape(status.definition.code))\" data-rag=\"\(status.rag)\"><td>\(HTML.escape(status.definition.name))</td><td>\(value)</td><td>\(target)</td>"
                + "<td>\(Self.sparkline(status.trend.map(\.value)))</td><td class=\"rag-\(status.rag)\">\(Self.ragLabels[status.rag] ?? status.rag)</td></tr>"
        }.joined() + "</tbody></table></div>"
        if !plan.isEmpty {
            let met = plan.filter { $0.met == true }.count, measured = plan.filter { $0.value != nil }.count
            body += "<div class=\"card\"><h2>规划指标进度（\(met)/\(measured) 项达标，共 \(plan.count) 项）</h2><p class=\"muted\">\(HTML.escape(PlanTargets.tables[plan[0].target.seed]?.title ?? ""))</p>"
            body += "<table id=\"plan\"><thead><tr><th>序号</th><th>指标</th><th>2025年目标</th><th>当前</th><th>来源</th></tr></thead><tbody>"
            body += plan.map { row in
                "<tr data-row=\"\(HTML.escape(row.id))\"><td>\(row.target.row)</td><td>\(HTML.escape(row.target.name))</td><td>\(HTML.escape(row.target.target))</td>"
                    + "<td\(row.met == false ? " class=\"rag-red\"" : row.met == true ? " class=\"rag-green\"" : "")>\(row.value.map { Self.number($0) } ?? "—")</td>"
                    + "<td class=\"muted\">\(row.source == "computed" ? "平台计算" : row.source == "reported" ? "填报 \(HTML.escape(row.period ?? ""))" : "待填报")</td></tr>"
            }.joined() + "</tbody></table></div>"
        }
        body += "<style>.rag-green{color:#1b7a35;font-weight:bold}.rag-amber{color:#a86400;font-weight:bold}.rag-red{color:#b3261e;font-weight:bold}</style>"
        return Pages.page("卫生健康驾驶舱", body)
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }

    /// A small line of the monthly values (an SVG drawn on the server).
    static func sparkline(_ values: [Double]) -> String {
        guard values.count > 1, let low = values.min(), let high = values.max() else { return values.first.map { number($0) } ?? "" }
        let span = max(high - low, 1e-9)
        let points = values.enumerated().map { index, value in
            String(format: "%.1f,%.1f", Double(index) * 80 / Double(values.count - 1), 18 - (value - low) / span * 16)
        }.joined(separator: " ")
        return "<svg class=\"spark\" viewBox=\"0 0 80 20\" width=\"80\" height=\"20\" role=\"img\" aria-label=\"趋势\"><polyline fill=\"none\" stroke=\"#1d4e89\" stroke-width=\"1.5\" points=\"\(points)\"/></svg>"
    }
}
