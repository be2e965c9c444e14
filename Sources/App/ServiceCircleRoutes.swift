import Access
import Foundation
import Hummingbird
import Registry

extension ServiceCircleReport: ResponseEncodable {}
extension GeographySummary: ResponseEncodable {}

/// The 15-minute health service circle (15分钟健康服务圈): loading a district's geography
/// (`PUT /api/v1/registry/geography/<district>`, the commission's managers), the circle as JSON
/// (`GET /api/v1/indicators/circle/<district>`) and the page `/cockpit/circle`, for the cockpit's readers.
struct ServiceCircleRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let registry: RegistryService
    /// The largest geography upload accepted (the server's body limit).
    let maxBodyBytes: Int

    func register(on router: Router<Context>) {
        router.put("api/v1/registry/geography/:district") { request, context -> EditedResponse<GeographySummary> in
            var request = request
            let principal = try context.require(.commissionManager)
            let district = try Pages.district(of: principal, asked: try context.parameters.require("district"))
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                throw HTTPError(.contentTooLarge, message: "地理数据超过 \(maxBodyBytes / 1024) KB 的上限：请抽稀边界（如 mapshaper -simplify）后再上传")
            }
            let summary: GeographySummary
            do {
                summary = try await registry.replaceGeography(Data(buffer: body), district: district, by: principal.subject)
            } catch GeographyError.malformed(let message) {
                throw HTTPError(.badRequest, message: message)
            } catch GeographyError.invalid(let message) {
                throw HTTPError(.unprocessableContent, message: message)
            }
            try await access.record(context, principal, action: "update", entity: "registry/geography/\(district)", patients: [])
            return EditedResponse(status: .ok, response: summary)
        }
        router.get("api/v1/registry/geography/:district") { _, context -> Response in
            let principal = try context.require(IndicatorRoutes.readers)
            let district = try Pages.district(of: principal, asked: try context.parameters.require("district"))
            guard let geography = try await registry.geography(district: district) else {
                throw HTTPError(.notFound, message: "本区尚未载入地理数据")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return Response(status: .ok, headers: [.contentType: "application/geo+json; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(geography.document))))
        }
        router.get("api/v1/indicators/circle/:district") { request, context -> ServiceCircleReport in
            let principal = try context.require(IndicatorRoutes.readers)
            let district = try Pages.district(of: principal, asked: try context.parameters.require("district"))
            let assumptions = try Self.assumptions(request.uri.queryParameters)
            // A fine grid over a large district: refuse what would take long (the sweep's cost grows with the rows).
            if let km2 = Catalog.divisions.first(where: { $0.code == district })?.areaKm2, km2 * 1e6 / (assumptions.gridMetres * assumptions.gridMetres) > 20_000_000 {
                throw HTTPError(.badRequest, message: "grid 过细：本区约 \(Int(km2)) km²，网格数不能超过 2000 万，请加大 grid")
            }
            guard let result = try await registry.serviceCircle(district: district, assumptions: assumptions) else {
                throw HTTPError(.notFound, message: "本区尚未载入地理数据（PUT /api/v1/registry/geography/\(district)）")
            }
            return result.report
        }
        router.get("cockpit/circle") { _, context in try await page(context) }
    }

    /// The walking assumptions from the query (`minutes`, `speed` m/min, `detour`, `grid` m, `target` %), the
    /// standard ones for what is not given; 400 for what is not a number in range.
    static func assumptions(_ query: Parameters) throws -> WalkingAssumptions {
        var assumptions = WalkingAssumptions.standard
        let fields: [(String, WritableKeyPath<WalkingAssumptions, Double>)] = [
            ("minutes", \.minutes), ("speed", \.metresPerMinute), ("detour", \.detourFactor), ("grid", \.gridMetres), ("target", \.targetPercent),
        ]
        for (name, path) in fields {
            guard let text = query[name[...]] else { continue }
            guard let value = Double(String(text)), value.isFinite else { throw HTTPError(.badRequest, message: "\(name) 须为数字") }
            assumptions[keyPath: path] = value
        }
        if let problem = assumptions.problem { throw HTTPError(.badRequest, message: problem) }
        return assumptions
    }

    func page(_ context: Context) async throws -> Response {
        let title = "15分钟健康服务圈"
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard IndicatorRoutes.readers.contains(principal.role), let district = try? Pages.district(of: principal, asked: nil) else {
            return Pages.page(title, "<p class=\"error\">此页面供卫健委和疾控中心管理人员使用。</p>", status: .forbidden)
        }
        let name = Catalog.divisions.first { $0.code == district }?.name ?? district
        guard let result = try await registry.serviceCircle(district: district) else {
            return Pages.page(title, "<p class=\"muted\">\(HTML.escape(name))</p><p id=\"no-geography\">本区尚未载入地理数据（街道边界、服务点、居住点）。"
                + "卫健委管理人员可用 <code>PUT /api/v1/registry/geography/\(district)</code> 上传 GeoJSON，格式见 docs/indicators.md。</p><p><a href=\"/cockpit\">返回驾驶舱</a></p>")
        }
        let report = result.report
        let a = report.assumptions
        var body = "<p class=\"muted\">\(HTML.escape(name)) · 步行 \(IndicatorRoutes.number(a.minutes)) 分钟 × \(IndicatorRoutes.number(a.metresPerMinute)) 米/分钟 = "
            + "\(IndicatorRoutes.number(report.walkingMetres)) 米，按绕行系数 \(IndicatorRoutes.number((a.detourFactor * 100).rounded() / 100)) 折算为直线 \(IndicatorRoutes.number(report.radiusMetres)) 米；"
            + "面积按 \(IndicatorRoutes.number(a.gridMetres)) 米网格抽样；目标：居民覆盖率 ≥\(IndicatorRoutes.number(a.targetPercent))%</p>"
        if report.synthetic {
            body += "<p class=\"error\" id=\"synthetic\">演示数据：街道边界、服务点和居住点均为合成几何，并非实测边界或真实地址，数值仅供演示。</p>"
        } else if let source = report.source {
            body += "<p class=\"muted\">数据来源：\(HTML.escape(source))（\(HTML.escape(String((report.loadedAt ?? "").prefix(10)))) 载入）</p>"
        }
        func share(_ value: Double?) -> String { value.map { IndicatorRoutes.number($0) + "%" } ?? "—" }
        let total = report.total
        body += "<div class=\"card\" id=\"totals\"><h2>全区</h2><p>居民覆盖率 <span class=\"count\" id=\"residents-share\">\(share(total.residentsPercent))</span>"
            + "　面积覆盖率 <span class=\"count\" id=\"area-share\">\(share(total.areaPercent))</span></p>"
            + "<p class=\"muted\">服务点 \(total.servicePoints) 个，居住点 \(total.sites) 个，居民 \(total.residents) 人，面积 \(IndicatorRoutes.number(total.areaKm2)) km²；"
            + "\(report.short.isEmpty ? "各街道均已达标" : "<span class=\"rag-red\">\(report.short.count) 个街道未达标</span>")</p></div>"
        body += "<div class=\"card\"><h2>各街道</h2><table id=\"subdistricts\"><thead><tr><th>街道</th><th>居民</th><th>面积</th><th>服务点</th><th>状态</th></tr></thead><tbody>"
        body += report.subdistricts.map { row in
            "<tr data-code=\"\(row.code)\" data-short=\"\(row.short)\"><td>\(HTML.escape(row.name))</td><td>\(share(row.residentsPercent))</td><td>\(share(row.areaPercent))</td>"
                + "<td>\(row.servicePoints)</td><td class=\"\(row.short ? "rag-red" : row.residentsPercent == nil ? "muted" : "rag-green")\">\(row.short ? "未达标" : row.residentsPercent == nil ? "无居民" : "达标")</td></tr>"
        }.joined() + "</tbody></table></div>"
        body += "<div class=\"card\"><h2>地图</h2>" + Self.map(result) + "<p class=\"muted\">"
            + "<span style=\"color:#1d4e89\">●</span> 服务点及其 \(IndicatorRoutes.number(report.radiusMetres)) 米范围　<span style=\"color:#1b7a35\">●</span> 可及的居住点　"
            + "<span style=\"color:#b3261e\">●</span> 不可及的居住点　<span style=\"background:#fde0dc\">　</span> 未达标街道</p></div>"
        body += "<p><a href=\"/cockpit\">返回驾驶舱</a> · <a href=\"/api/v1/indicators/circle/\(district)\">JSON</a></p>"
        body += "<style>#circle-map{max-width:100%;height:auto;background:#fafafa}</style>"
        return Pages.page(title, body)
    }

    /// The district drawn on the server: 街道 (short ones tinted), each service point with its radius, each
    /// residential site green when reached, red when not. North is up.
    static func map(_ result: ServiceCircleResult) -> String {
        let geography = result.geography
        let projection = geography.projection
        let polygons = geography.subdistricts.map { ($0.code, $0.planar(projection)) }
        let all = PlanarPolygon(parts: polygons.flatMap { $0.1.parts }).bounds
        let margin = result.report.radiusMetres
        let width = 640.0
        let spanX = max(all.max.x - all.min.x + 2 * margin, 1), spanY = max(all.max.y - all.min.y + 2 * margin, 1)
        let scale = width / spanX, height = (spanY * scale).rounded()
        func x(_ point: PlanarPoint) -> String { String(format: "%.1f", (point.x - all.min.x + margin) * scale) }
        func y(_ point: PlanarPoint) -> String { String(format: "%.1f", (all.max.y + margin - point.y) * scale) }
        let short = Set(result.report.short)
        var svg = "<svg id=\"circle-map\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-label=\"15分钟健康服务圈地图\">"
        svg += "<g id=\"map-subdistricts\">"
        for (code, polygon) in polygons {
            let name = Catalog.divisions.first { $0.code == code }?.name ?? code
            let path = polygon.parts.flatMap { $0 }.map { ring in "M" + ring.map { "\(x($0)) \(y($0))" }.joined(separator: " L") + " Z" }.joined(separator: " ")
            svg += "<path class=\"subdistrict\" data-code=\"\(code)\" d=\"\(path)\" fill=\"\(short.contains(code) ? "#fde0dc" : "#e6f2e6")\" stroke=\"#666\" stroke-width=\"0.8\" fill-rule=\"evenodd\"><title>\(HTML.escape(name))</title></path>"
        }
        svg += "</g><g id=\"map-reach\" fill=\"#1d4e89\" fill-opacity=\"0.07\" stroke=\"#1d4e89\" stroke-opacity=\"0.3\" stroke-width=\"0.5\">"
        let points = geography.servicePoints.map { projection.project($0.location) }
        let radius = String(format: "%.1f", result.report.radiusMetres * scale)
        for point in points { svg += "<circle cx=\"\(x(point))\" cy=\"\(y(point))\" r=\"\(radius)\"/>" }
        svg += "</g><g id=\"map-sites\">"
        for (site, reached) in zip(geography.sites, result.reached) {
            let point = projection.project(site.location)
            svg += "<circle class=\"site \(reached ? "reached" : "unreached")\" cx=\"\(x(point))\" cy=\"\(y(point))\" r=\"1.6\" fill=\"\(reached ? "#1b7a35" : "#b3261e")\"/>"
        }
        svg += "</g><g id=\"map-points\">"
        for (point, planar) in zip(geography.servicePoints, points) {
            let label = point.name ?? Catalog.institutions.first { $0.id == point.institution }.map { $0.shortName ?? $0.name } ?? point.id
            svg += "<circle class=\"service-point\" cx=\"\(x(planar))\" cy=\"\(y(planar))\" r=\"2.8\" fill=\"#1d4e89\" stroke=\"#fff\" stroke-width=\"0.8\"><title>\(HTML.escape(label))</title></circle>"
        }
        svg += "</g><g id=\"map-labels\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">"
        for (code, polygon) in polygons {
            let box = polygon.bounds
            let centre = PlanarPoint(x: (box.min.x + box.max.x) / 2, y: (box.min.y + box.max.y) / 2)
            svg += "<text x=\"\(x(centre))\" y=\"\(y(centre))\">\(HTML.escape(Catalog.divisions.first { $0.code == code }?.name ?? code))</text>"
        }
        return svg + "</g></svg>"
    }
}
