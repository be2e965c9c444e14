import Access
import FHIR
import Foundation
import Hummingbird
import Indicators
import Registry
import Storage
import Surveillance

extension IndicatorDefinition: ResponseEncodable {}
extension IndicatorStatus: ResponseEncodable {}
extension PlanProgress: ResponseEncodable {}
extension IndicatorRoutes.Portrait: ResponseEncodable {}
extension IndicatorRoutes.Breakdown: ResponseEncodable {}

/// 管理决策 under `/api/v1/indicators` and the cockpit page `/cockpit` (驾驶舱): the commission's managers (and the
/// CDC, read only) see the district's indicators against targets and the plan's rows; managers recompute and
/// report the values the platform cannot compute.
struct IndicatorRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let indicators: IndicatorService
    let registry: RegistryService
    let surveillance: SurveillanceService

    /// A 街道's health portrait (健康画像) against its district.
    struct Portrait: Codable {
        struct Compared: Codable { var code: String; var name: String; var unit: String; var value: Double?; var district: Double? }
        struct Burden: Codable { var disease: String; var name: String; var cases: Int; var per100k: Double; var districtPer100k: Double }
        var subdistrict: String
        var name: String
        var district: String
        var residents: Int
        var districtResidents: Int
        var pyramid: [PyramidBar]
        /// Share of residents aged 65 and over, percent, one decimal: the 街道's and the district's.
        var aged65: Double
        var districtAged65: Double
        var indicators: [Compared]
        /// Notifiable cases of the last 365 days per 100,000 residents of the directory.
        var burden: [Burden]
    }

    /// One indicator taken apart (下钻): the district's value and trend, and the latest month by 街道, by institution,
    /// by sex and by age group, each judged against the same target.
    struct Breakdown: Codable {
        struct Row: Codable { var key: String; var name: String; var value: Double; var numerator: Double?; var denominator: Double?; var rag: String }
        var status: IndicatorStatus
        var subdistricts: [Row]
        var organizations: [Row]
        /// Sex first, then age groups (`sex:female`, `age:65+`, …).
        var categories: [Row]
    }

    struct Reported: Decodable { var period: String; var value: Double }
    struct Recomputed: ResponseCodable { var district: String; var values: Int }
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
        api.get("breakdown/:code") { _, context -> Breakdown in
            let principal = try context.require(Self.readers)
            return try await breakdown(try context.parameters.require("code"), district: try Pages.district(of: principal, asked: nil))
        }
        api.get("portrait/:subdistrict") { _, context -> Portrait in
            let principal = try context.require(Self.readers)
            return try await portrait(try context.parameters.require("subdistrict"), district: try Pages.district(of: principal, asked: nil))
        }
        router.get("cockpit") { _, context in try await cockpitPage(context) }
        router.get("cockpit/indicator/:code") { _, context in try await breakdownPage(context) }
        router.get("cockpit/data-quality") { _, context in try await dataQualityPage(context) }
        router.get("portrait/:subdistrict") { _, context in try await portraitPage(context) }
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
        try await Pages.forDistrict(context, roles: Self.readers, title: "卫生健康驾驶舱", refusal: "此页面供卫健委和疾控中心管理人员使用。") { _, district in
            let statuses = try await indicators.cockpit(district: district)
            let plan = try await indicators.planProgress(district: district)
            let name = Catalog.divisions.first { $0.code == district }?.name ?? district
            var body = "<p class=\"muted\">\(HTML.escape(name)) · 数据按月汇总，每小时更新 · <a href=\"/api/v1/indicators/cockpit.csv\">导出 CSV</a></p>"
            var links: [String] = []
            if let first = Catalog.subdistricts(of: district).first { links.append("<a id=\"portraits\" href=\"/portrait/\(first.code)\">各街道健康画像</a>") }
            if PlanTasks.all.contains(where: { $0.district == district }) { links.append("<a id=\"plan-tasks\" href=\"/plan/tasks\">规划任务跟踪</a>") }
            links.append("<a id=\"circle\" href=\"/cockpit/circle\">15分钟健康服务圈</a>")
            links.append("<a id=\"data-quality\" href=\"/cockpit/data-quality\">数据质量</a>")
            body += "<p>" + links.joined(separator: " · ") + "</p>"
            body += "<div class=\"card\"><h2>关键指标</h2><table id=\"indicators\"><thead><tr><th>指标</th><th>当前</th><th>目标</th><th>近12月</th><th>状态</th></tr></thead><tbody>"
            body += statuses.filter { $0.definition.domain != "quality" }.map { status in
                let value = status.value.map { "\(Self.number($0.value))\(status.definition.unit == "%" ? "%" : "")" } ?? "—"
                let target = status.target.map { "\(status.definition.direction == "down" ? "≤" : "≥")\(Self.number($0))" } ?? "—"
                return "<tr data-code=\"\(HTML.escape(status.definition.code))\" data-rag=\"\(status.rag)\"><td><a href=\"/cockpit/indicator/\(HTML.escape(status.definition.code))\">\(HTML.escape(status.definition.name))</a></td><td>\(value)</td><td>\(target)</td>"
                    + "<td>\(Self.sparkline(status.trend.map(\.value)))</td><td class=\"rag-\(status.rag)\">\(Self.ragLabels[status.rag] ?? status.rag)</td></tr>"
            }.joined() + "</tbody></table></div>"
            for table in PlanTargets.tables(of: district) {
                let rows = plan.filter { $0.target.tableKey == "\(table.seed)-\(table.number)" }
                guard !rows.isEmpty else { continue }
                let met = rows.filter { $0.met == true }.count, measured = rows.filter { $0.value != nil }.count
                let achieved = table.kind == "achieved"
                body += "<div class=\"card\"><h2>\(achieved ? "上一规划期实现情况" : "规划指标进度")（\(met)/\(measured) 项达标，共 \(rows.count) 项）</h2><p class=\"muted\">\(HTML.escape(table.title))</p>"
                body += "<table class=\"plan\" id=\"plan-\(table.seed)-\(table.number)\"><thead><tr><th>序号</th><th>指标</th><th>口径</th><th>\(table.year)年目标</th><th>\(achieved ? "实现" : "当前")</th><th>来源</th></tr></thead><tbody>"
                body += rows.map { row in
                    let source = switch row.source {
                    case "computed": "平台计算"
                    case "reported": "填报 \(HTML.escape(row.period ?? ""))"
                    case "plan": "规划文本"
                    default: "待填报"
                    }
                    return "<tr data-row=\"\(HTML.escape(row.id))\"><td>\(row.target.row)\(row.target.part ?? "")</td><td>\(HTML.escape(row.target.name))</td><td>\(HTML.escape(row.target.scope ?? "—"))</td><td>\(HTML.escape(row.target.target))</td>"
                        + "<td\(row.met == false ? " class=\"rag-red\"" : row.met == true ? " class=\"rag-green\"" : "")>\(row.value.map { Self.number($0) } ?? "—")</td>"
                        + "<td class=\"muted\">\(source)</td></tr>"
                }.joined() + "</tbody></table></div>"
            }
            return Pages.page("卫生健康驾驶舱", body)
        }
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

    func breakdown(_ code: String, district: String) async throws -> Breakdown {
        guard let status = try await indicators.cockpit(district: district, only: { $0.code == code }).first else {
            throw HTTPError(.notFound, message: "没有指标 \(code)")
        }
        let subdistricts = Set(Catalog.subdistricts(of: district).map(\.code))
        var breakdown = Breakdown(status: status, subdistricts: [], organizations: [], categories: [])
        for value in try await indicators.latest(district: district, code: code, categories: true) {
            let rag = IndicatorStatus.rag(value: value.value, target: status.target, direction: status.definition.direction)
            if value.area == district {
                guard !value.category.isEmpty else { continue }
                breakdown.categories.append(.init(key: value.category, name: IndicatorValue.categoryName(value.category), value: value.value,
                                                  numerator: value.numerator, denominator: value.denominator, rag: rag))
            } else if subdistricts.contains(value.area) {
                breakdown.subdistricts.append(.init(key: value.area, name: Catalog.divisions.first { $0.code == value.area }?.name ?? value.area, value: value.value,
                                                    numerator: value.numerator, denominator: value.denominator, rag: rag))
            } else {
                let institution = Catalog.institutions.first { $0.id == value.area }
                breakdown.organizations.append(.init(key: value.area, name: institution?.shortName ?? institution?.name ?? value.area, value: value.value,
                                                     numerator: value.numerator, denominator: value.denominator, rag: rag))
            }
        }
        let order = ["sex:male", "sex:female"] + AgeGroup.groups.map { "age:\($0.label)" }
        breakdown.categories.sort { (order.firstIndex(of: $0.key) ?? order.count, $0.key) < (order.firstIndex(of: $1.key) ?? order.count, $1.key) }
        return breakdown
    }

    static let ragColours = ["green": "#1b7a35", "amber": "#d08a00", "red": "#b3261e", "none": "#8a8a8a"]

    /// A Chart.js chart: the canvas and its configuration as JSON (drawn by `/static/weijian-charts.js`).
    static func chart(_ id: String, label: String, height: Int, _ config: [String: Any]) -> String {
        let json = (try? JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        // JSONSerialization escapes "/" (so "</script>" cannot close the element); "<!--" cannot occur in numbers and names.
        return "<div class=\"chart\" style=\"position:relative;height:\(height)px\"><canvas id=\"\(id)\" data-chart=\"\(id)-data\" role=\"img\" aria-label=\"\(HTML.escape(label))\"></canvas></div>"
            + "<script type=\"application/json\" id=\"\(id)-data\">\(json)</script>"
    }

    /// Bars of rows (horizontal when there are many), coloured by status, with the target as a line.
    static func barChart(_ id: String, label: String, rows: [Breakdown.Row], target: Double?) -> String {
        let horizontal = rows.count > 6
        var datasets: [[String: Any]] = [["type": "bar", "label": label, "data": rows.map(\.value), "backgroundColor": rows.map { ragColours[$0.rag] ?? "#1d4e89" }]]
        if let target {
            datasets.append(["type": "line", "label": "目标", "data": rows.map { _ in target }, "borderColor": "#555", "borderDash": [6, 4], "pointRadius": 0, "fill": false])
        }
        return chart(id, label: label, height: horizontal ? max(160, rows.count * 26 + 40) : 220, [
            "type": "bar", "data": ["labels": rows.map(\.name), "datasets": datasets],
            "options": ["indexAxis": horizontal ? "y" : "x", "plugins": ["legend": ["display": target != nil]]],
        ])
    }

    /// 指标下钻: the definition, the district's trend against the target, and the latest month by 街道, institution,
    /// sex and age group, as charts and tables.
    func breakdownPage(_ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.readers, title: "指标下钻", refusal: "此页面供卫健委和疾控中心管理人员使用。") { _, district in
            let breakdown: Breakdown
            do {
                breakdown = try await self.breakdown(try context.parameters.require("code"), district: district)
            } catch let error as HTTPError where error.status == .notFound {
                return Pages.page("指标下钻", "<p class=\"error\">没有该指标。</p><p><a href=\"/cockpit\">返回驾驶舱</a></p>", status: .notFound)
            }
            let status = breakdown.status, definition = status.definition
            let suffix = definition.unit == "%" ? "%" : ""
            func shown(_ value: Double?) -> String { value.map { Self.number($0) + suffix } ?? "—" }
            let target = status.target.map { "\(definition.direction == "down" ? "≤" : "≥")\(Self.number($0))\(suffix)" } ?? "—"
            let source = status.targetSource.map { $0 == "platform" ? "平台默认" : "规划 \($0)" } ?? ""
            var body = "<p class=\"muted\" id=\"definition\">\(HTML.escape(definition.definition)) · 口径：\(HTML.escape(definition.scope)) · \(HTML.escape(definition.nature)) · 单位：\(HTML.escape(definition.unit))</p>"
            body += "<div class=\"card\" id=\"headline\" data-rag=\"\(status.rag)\"><h2>全区 \(shown(status.value?.value))</h2><p>"
                + (status.target == nil ? "未设定目标" : "目标 \(target)（\(HTML.escape(source))） · <span class=\"rag-\(status.rag)\">\(Self.ragLabels[status.rag] ?? status.rag)</span>")
                + (status.value.map { value in " · \(value.period)" + (value.numerator.map { " · \(Self.number($0)) / \(Self.number(value.denominator ?? 0))" } ?? "") } ?? "") + "</p>"
            if status.trend.count > 1 {
                var datasets: [[String: Any]] = [["label": definition.name, "data": status.trend.map(\.value), "borderColor": "#1d4e89", "backgroundColor": "#1d4e89", "tension": 0.2]]
                if let goal = status.target {
                    datasets.append(["label": "目标", "data": status.trend.map { _ in goal }, "borderColor": "#555", "borderDash": [6, 4], "pointRadius": 0])
                }
                body += Self.chart("trend", label: "近12个月趋势", height: 200, ["type": "line", "data": ["labels": status.trend.map(\.period), "datasets": datasets]])
            }
            body += "</div>"
            func section(_ id: String, _ title: String, _ rows: [Breakdown.Row], link: ((Breakdown.Row) -> String)? = nil) -> String {
                guard !rows.isEmpty else { return "" }
                var html = "<div class=\"card\"><h2>\(title)</h2>" + Self.barChart("chart-\(id)", label: title, rows: rows, target: status.target)
                html += "<table id=\"\(id)\"><thead><tr><th>\(title.replacingOccurrences(of: "按", with: ""))</th><th>数值</th><th>分子 / 分母</th><th>状态</th></tr></thead><tbody>"
                html += rows.map { row in
                    let name = link.map { "<a href=\"\($0(row))\">\(HTML.escape(row.name))</a>" } ?? HTML.escape(row.name)
                    return "<tr data-key=\"\(HTML.escape(row.key))\" data-rag=\"\(row.rag)\"><td>\(name)</td><td>\(shown(row.value))</td>"
                        + "<td class=\"muted\">\(row.numerator.map { Self.number($0) } ?? "—") / \(row.denominator.map { Self.number($0) } ?? "—")</td>"
                        + "<td class=\"rag-\(row.rag)\">\(Self.ragLabels[row.rag] ?? row.rag)</td></tr>"
                }.joined() + "</tbody></table></div>"
                return html
            }
            body += section("subdistricts", "按街道", breakdown.subdistricts) { "/portrait/\($0.key)" }
            body += section("organizations", "按机构", breakdown.organizations)
            body += section("sexes", "按性别", breakdown.categories.filter { $0.key.hasPrefix("sex:") })
            body += section("ages", "按年龄组", breakdown.categories.filter { $0.key.hasPrefix("age:") })
            if breakdown.subdistricts.isEmpty && breakdown.organizations.isEmpty && breakdown.categories.isEmpty {
                body += "<p class=\"muted\">该指标只计算全区数值。</p>"
            }
            body += "<p><a href=\"/cockpit\">返回驾驶舱</a></p>"
            body += "<script src=\"/static/chart.min.js\"></script><script src=\"/static/weijian-charts.js\"></script>"
            return Pages.page("指标下钻 · \(definition.name)", body)
        }
    }

    /// 数据质量: each institution's completeness, timeliness and validity against their targets, and whether its
    /// figures can be trusted (可信: every measure met; 需核查: any below 90% of its target).
    func dataQualityPage(_ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.readers, title: "数据质量", refusal: "此页面供卫健委和疾控中心管理人员使用。") { _, district in
            let definitions = indicators.definitions.filter { $0.domain == "quality" }
            let statuses = try await indicators.cockpit(district: district, only: { $0.domain == "quality" })
            let values = try await indicators.latest(district: district).filter { value in definitions.contains { $0.code == value.code } }
            var byArea: [String: [String: IndicatorValue]] = [:]
            for value in values where value.area != district { byArea[value.area, default: [:]][value.code] = value }
            let suffix = "%"
            var body = "<p class=\"muted\">各机构数据的完整性、及时性与准确性，用于判断其上报数据是否可信 · " + definitions.map { "\(HTML.escape($0.name))：\(HTML.escape($0.definition))" }.joined(separator: "；") + "</p>"
            body += "<div class=\"card\" id=\"district-quality\"><h2>全区</h2><p>" + statuses.map { status in
                "\(HTML.escape(status.definition.name)) <strong class=\"rag-\(status.rag)\">\(status.value.map { Self.number($0.value) + suffix } ?? "—")</strong>（目标 ≥\(status.target.map { Self.number($0) } ?? "—")\(suffix)）"
            }.joined(separator: " · ") + "</p></div>"
            var names: [String: String] = [:]
            for id in byArea.keys { names[id] = Catalog.institutions.first { $0.id == id }.map { $0.shortName ?? $0.name } ?? id }
            let rows = byArea.keys.sorted { (names[$0] ?? $0, $0) < (names[$1] ?? $1, $1) }
            func verdict(_ measures: [String: IndicatorValue]) -> (String, String) {
                let rags = definitions.compactMap { definition in measures[definition.code].map { IndicatorStatus.rag(value: $0.value, target: definition.target, direction: definition.direction) } }
                if rags.isEmpty { return ("none", "无数据") }
                if rags.contains("red") { return ("red", "需核查") }
                if rags.contains("amber") { return ("amber", "需关注") }
                return ("green", "可信")
            }
            if !rows.isEmpty {
                let palette = ["#1d4e89", "#2e8b57", "#c47f00"]
                body += "<div class=\"card\"><h2>各机构</h2>" + Self.chart("chart-quality", label: "各机构数据质量", height: max(200, rows.count * 30 + 60), [
                    "type": "bar",
                    "data": ["labels": rows.map { names[$0] ?? $0 },
                             "datasets": definitions.enumerated().map { index, definition -> [String: Any] in
                                 ["label": definition.name, "data": rows.map { byArea[$0]?[definition.code]?.value ?? 0 }, "backgroundColor": palette[index % palette.count]]
                             }],
                    "options": ["indexAxis": "y", "scales": ["x": ["min": 0, "max": 100]]],
                ])
                body += "<table id=\"quality\"><thead><tr><th>机构</th>" + definitions.map { "<th>\(HTML.escape($0.name))</th>" }.joined() + "<th>判断</th></tr></thead><tbody>"
                body += rows.map { id in
                    let measures = byArea[id] ?? [:]
                    let (rag, label) = verdict(measures)
                    return "<tr data-org=\"\(HTML.escape(id))\" data-verdict=\"\(rag)\"><td>\(HTML.escape(names[id] ?? id))</td>" + definitions.map { definition in
                        guard let value = measures[definition.code] else { return "<td class=\"muted\">—</td>" }
                        let cell = IndicatorStatus.rag(value: value.value, target: definition.target, direction: definition.direction)
                        return "<td class=\"rag-\(cell)\">\(Self.number(value.value))\(suffix) <span class=\"muted\">\(Self.number(value.numerator ?? 0))/\(Self.number(value.denominator ?? 0))</span></td>"
                    }.joined() + "<td class=\"rag-\(rag)\">\(label)</td></tr>"
                }.joined() + "</tbody></table></div>"
            } else {
                body += "<p class=\"muted\">尚未计算（每小时更新）。</p>"
            }
            body += "<p><a href=\"/cockpit\">返回驾驶舱</a></p>"
            body += "<script src=\"/static/chart.min.js\"></script><script src=\"/static/weijian-charts.js\"></script>"
            return Pages.page("数据质量", body)
        }
    }

    func portrait(_ code: String, district: String) async throws -> Portrait {
        guard let place = Catalog.subdistricts(of: district).first(where: { $0.code == code }) else {
            throw HTTPError(.notFound, message: "本区没有街道 \(code)")
        }
        let today = CalendarDay.today()
        let pyramid = try await registry.pyramid(district: district, subdistrict: code, on: today)
        let whole = try await registry.pyramid(district: district, subdistrict: nil, on: today)
        func total(_ bars: [PyramidBar]) -> Int { bars.map(\.residents).reduce(0, +) }
        func aged(_ bars: [PyramidBar]) -> Double {
            let all = total(bars)
            return all == 0 ? 0 : (Double(bars.filter { $0.age >= 65 }.map(\.residents).reduce(0, +)) * 1000 / Double(all)).rounded(.down) / 10
        }
        let here = Dictionary(try await indicators.latest(district: district, area: code).map { ($0.code, $0.value) }, uniquingKeysWith: { first, _ in first })
        let there = Dictionary(try await indicators.latest(district: district, area: district).map { ($0.code, $0.value) }, uniquingKeysWith: { first, _ in first })
        let compared = indicators.definitions.filter { here[$0.code] != nil }.map {
            Portrait.Compared(code: $0.code, name: $0.name, unit: $0.unit, value: here[$0.code], district: there[$0.code])
        }
        let from = CalendarDay.shift(today, days: -364)
        let local = try await surveillance.burden(district: district, subdistrict: code, from: from, to: today)
        let districtBurden = Dictionary(try await surveillance.burden(district: district, subdistrict: nil, from: from, to: today).map { ($0.disease, $0.cases) },
                                        uniquingKeysWith: { first, _ in first })
        func rate(_ cases: Int, _ residents: Int) -> Double { residents == 0 ? 0 : (Double(cases) * 10_000_000 / Double(residents)).rounded() / 100 }
        let burden = local.map {
            Portrait.Burden(disease: $0.disease, name: $0.name, cases: $0.cases, per100k: rate($0.cases, total(pyramid)), districtPer100k: rate(districtBurden[$0.disease] ?? 0, total(whole)))
        }
        return Portrait(subdistrict: code, name: place.name, district: district, residents: total(pyramid), districtResidents: total(whole), pyramid: pyramid,
                        aged65: aged(pyramid), districtAged65: aged(whole), indicators: compared, burden: burden)
    }

    /// 健康画像: the pyramid (an SVG drawn on the server), the 街道's indicators beside the district's, the disease burden.
    func portraitPage(_ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.readers, title: "健康画像", refusal: "此页面供卫健委和疾控中心管理人员使用。") { _, district in
            let portrait: Portrait
            do {
                portrait = try await self.portrait(try context.parameters.require("subdistrict"), district: district)
            } catch let error as HTTPError where error.status == .notFound {
                return Pages.page("健康画像", "<p class=\"error\">本区没有该街道。</p>", status: .notFound)
            }
            let places = Catalog.subdistricts(of: district)
            var body = "<p id=\"places\">" + places.map {
                $0.code == portrait.subdistrict ? "<strong>\(HTML.escape($0.name))</strong>" : "<a href=\"/portrait/\($0.code)\">\(HTML.escape($0.name))</a>"
            }.joined(separator: " · ") + "</p>"
            body += "<p class=\"muted\" id=\"population\">\(HTML.escape(portrait.name))：建档居民 \(portrait.residents) 人（全区 \(portrait.districtResidents) 人），65 岁及以上 \(IndicatorRoutes.number(portrait.aged65))%（全区 \(IndicatorRoutes.number(portrait.districtAged65))%）</p>"
            body += "<div class=\"card\"><h2>人口金字塔</h2>" + Self.pyramidSVG(portrait.pyramid) + "</div>"
            body += "<div class=\"card\"><h2>服务与健康管理（本街道 / 全区）</h2><table id=\"compared\"><thead><tr><th>指标</th><th>本街道</th><th>全区</th></tr></thead><tbody>"
            body += portrait.indicators.map { row in
                let suffix = row.unit == "%" ? "%" : ""
                return "<tr data-code=\"\(HTML.escape(row.code))\"><td>\(HTML.escape(row.name))</td><td>\(row.value.map { IndicatorRoutes.number($0) + suffix } ?? "—")</td><td>\(row.district.map { IndicatorRoutes.number($0) + suffix } ?? "—")</td></tr>"
            }.joined() + (portrait.indicators.isEmpty ? "<tr><td colspan=\"3\">尚未计算</td></tr>" : "") + "</tbody></table></div>"
            body += "<div class=\"card\"><h2>近一年法定传染病（每10万人）</h2><table id=\"burden\"><thead><tr><th>病种</th><th>病例</th><th>本街道</th><th>全区</th></tr></thead><tbody>"
            body += portrait.burden.map { "<tr><td>\(HTML.escape($0.name))</td><td>\($0.cases)</td><td>\(IndicatorRoutes.number($0.per100k))</td><td>\(IndicatorRoutes.number($0.districtPer100k))</td></tr>" }.joined()
            body += (portrait.burden.isEmpty ? "<tr><td colspan=\"4\">近一年无报告</td></tr>" : "") + "</tbody></table></div><p><a href=\"/cockpit\">返回驾驶舱</a></p>"
            return Pages.page("健康画像 · \(portrait.name)", body)
        }
    }

    /// Men to the left, women to the right, the youngest at the bottom.
    static func pyramidSVG(_ bars: [PyramidBar]) -> String {
        let top = max(1, bars.map(\.residents).max() ?? 1)
        let groups = stride(from: 85, through: 0, by: -5).map { $0 }
        let rowHeight = 14.0, half = 140.0, middle = 160.0
        var svg = "<svg id=\"pyramid\" viewBox=\"0 0 320 \(Int(Double(groups.count) * rowHeight) + 20)\" width=\"100%\" role=\"img\" aria-label=\"人口金字塔\">"
        for (index, age) in groups.enumerated() {
            let y = Double(index) * rowHeight
            for bar in bars where bar.age == age {
                let width = Double(bar.residents) / Double(top) * half
                let x = bar.sex == "male" ? middle - 12 - width : middle + 12
                svg += String(format: "<rect class=\"%@\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%d%@ %@ %d</title></rect>",
                              bar.sex, x, y + 1, width, rowHeight - 2, bar.sex == "male" ? "#1d4e89" : "#c2185b", age, age == 85 ? "+" : "–\(age + 4)", bar.sex == "male" ? "男" : "女", bar.residents)
            }
            svg += "<text x=\"\(Int(middle))\" y=\"\(Int(y + rowHeight - 3))\" font-size=\"9\" text-anchor=\"middle\">\(age)\(age == 85 ? "+" : "")</text>"
        }
        svg += "<text x=\"0\" y=\"\(Int(Double(groups.count) * rowHeight) + 14)\" font-size=\"11\">男</text><text x=\"320\" y=\"\(Int(Double(groups.count) * rowHeight) + 14)\" font-size=\"11\" text-anchor=\"end\">女</text></svg>"
        return svg
    }
}
