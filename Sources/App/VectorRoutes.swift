import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Surveillance

extension VectorSite: ResponseEncodable {}
extension VectorReport: ResponseEncodable {}
extension VectorArea: ResponseEncodable {}

/// 病媒生物监测 under `/api/v1/surveillance/vector` and its page `/surveillance/vector`: the district CDC keeps
/// the monitoring sites; the CDC and CHC staff (爱卫 monitoring teams) report surveys; the CDC and the commission
/// read the density by 街道 with its warning level.
extension SurveillanceRoutes {
    struct SiteForm: Decodable { var subdistrict: String; var name: String; var kind: String }
    struct SurveyForm: Decodable { var site: String; var day: String; var method: String; var examined: Int; var positive: Int }

    func registerVector(on router: Router<Context>) {
        let api = router.group("api/v1/surveillance/vector")
        api.get("sites") { _, context -> [VectorSite] in
            let principal = try context.require(.cdcEpidemiologist, .chcStaff, .chcManager, .commissionManager)
            return try await surveillance.vectorSites(district: try Pages.district(of: principal, asked: nil))
        }
        api.post("sites") { request, context -> Response in
            let principal = try context.require(.cdcEpidemiologist)
            let district = try Pages.district(of: principal, asked: nil)
            let form = try await request.decode(as: SiteForm.self, context: context)
            try Self.checkSubdistrict(form.subdistrict, district: district)
            let site = try await apiErrors { try await surveillance.addVectorSite(district: district, subdistrict: form.subdistrict, name: form.name, kind: form.kind) }
            try await access.record(context, principal, action: "create", entity: "surveillance/vector-site/\(site.id)", patients: [])
            return try Pages.json(site, status: .created)
        }
        api.post("reports") { request, context -> Response in
            let principal = try context.require(.cdcEpidemiologist, .chcStaff, .chcManager)
            let district = try Pages.district(of: principal, asked: nil)
            let form = try await request.decode(as: SurveyForm.self, context: context)
            let report = VectorReport(site: form.site, day: form.day, method: form.method, examined: form.examined, positive: form.positive)
            let graded = try await apiErrors { try await surveillance.recordVectorReport(report, district: district, reporter: principal.subject) }
            try await access.record(context, principal, action: "create", entity: "surveillance/vector-report/\(report.site)", patients: [])
            return try Pages.json(graded, status: .created)
        }
        api.get("areas") { request, context -> [VectorArea] in
            let principal = try context.require(.cdcEpidemiologist, .commissionManager)
            let district = try Pages.district(of: principal, asked: request.uri.queryParameters["district"].map(String.init))
            let to = request.uri.queryParameters["to"].map(String.init) ?? CalendarDay.today()
            return try await apiErrors { try await surveillance.vectorAreas(district: district, from: request.uri.queryParameters["from"].map(String.init) ?? CalendarDay.shift(to, days: -6), to: to) }
        }
        router.get("surveillance/vector") { request, context in try await vectorPage(request, context) }
        router.post("surveillance/vector") { request, context in try await vectorAction(request, context) }
    }

    static func checkSubdistrict(_ code: String, district: String) throws {
        guard Catalog.subdistricts(of: district).contains(where: { $0.code == code }) else {
            throw HTTPError(.unprocessableContent, message: "街道 '\(code)' 不属于本区 (\(district))")
        }
    }

    /// The week's density by 街道 with colours, the sites, and the report form.
    func vectorPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard [.cdcEpidemiologist, .chcStaff, .chcManager].contains(principal.role), let district = try? Pages.district(of: principal, asked: nil) else {
            return Pages.page("蚊媒监测", "<p class=\"error\">此页面供疾控中心和社区卫生服务中心人员使用。</p>", status: .forbidden)
        }
        let today = CalendarDay.today()
        let areas = try await surveillance.vectorAreas(district: district, from: CalendarDay.shift(today, days: -6), to: today)
        let sites = try await surveillance.vectorSites(district: district)
        var body = request.uri.queryParameters["m"].map { "<p class=\"ok\" id=\"saved\">\(HTML.escape(String($0)))</p>" } ?? ""
        body += "<p class=\"muted\">分级：指数 &lt;5 \(VectorSurveillance.levels[0].name)；5–10 \(VectorSurveillance.levels[1].name)；10–20 \(VectorSurveillance.levels[2].name)；≥20 \(VectorSurveillance.levels[3].name)。达到暴发风险自动生成预警信号。</p>"
        body += "<div class=\"card\"><h2>近7天各街道蚊媒密度</h2><table id=\"areas\"><thead><tr><th>街道</th><th>方法</th><th>监测点</th><th>平均</th><th>最高</th><th>风险</th></tr></thead><tbody>"
        body += areas.map { area in
            let band = VectorSurveillance.levels[area.level]
            return "<tr data-level=\"\(area.level)\"><td>\(HTML.escape(Self.placeName(area.subdistrict)))</td><td>\(HTML.escape(VectorSurveillance.methods[area.method] ?? area.method))</td>"
                + "<td>\(area.sites)</td><td>\(area.meanIndex)</td><td>\(area.maxIndex)</td><td\(area.level >= 2 ? " class=\"flag\"" : "")>\(band.name)（\(band.colour)）</td></tr>"
        }.joined() + (areas.isEmpty ? "<tr><td colspan=\"6\">近7天暂无监测数据</td></tr>" : "") + "</tbody></table></div>"
        if !sites.isEmpty {
            body += "<form method=\"post\" action=\"/surveillance/vector\" class=\"card\"><h2>填报监测结果</h2>\(Pages.csrfField(context))<label>监测点 <select name=\"site\">"
            body += sites.map { "<option value=\"\(HTML.escape($0.id))\">\(HTML.escape(Self.placeName($0.subdistrict))) · \(HTML.escape($0.name))</option>" }.joined() + "</select></label>"
            body += "<label>方法 <select name=\"method\"><option value=\"breteau\">布雷图指数（入户调查）</option><option value=\"moi\">诱蚊诱卵器指数</option></select></label>"
            body += "<label>日期 <input type=\"date\" name=\"day\" value=\"\(today)\" max=\"\(today)\" required></label>"
            body += "<label>调查户数／有效诱蚊诱卵器数 <input type=\"number\" name=\"examined\" min=\"1\" max=\"100000\" required></label>"
            body += "<label>阳性容器数／阳性诱蚊诱卵器数 <input type=\"number\" name=\"positive\" min=\"0\" max=\"100000\" required></label><button type=\"submit\">提交</button></form>"
        } else {
            body += "<p class=\"muted\">本区尚未设置监测点（疾控中心通过接口 POST /api/v1/surveillance/vector/sites 设置）。</p>"
        }
        return Pages.page("蚊媒监测", body)
    }

    func vectorAction(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard [.cdcEpidemiologist, .chcStaff, .chcManager].contains(principal.role) else { throw HTTPError(.forbidden, message: "此操作供疾控中心和社区卫生服务中心人员使用") }
        let district = try Pages.district(of: principal, asked: nil)
        var message: String
        do {
            guard let examined = fields["examined"].flatMap({ Int($0) }), let positive = fields["positive"].flatMap({ Int($0) }) else {
                throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "请填写整数的调查数与阳性数")])
            }
            let graded = try await surveillance.recordVectorReport(VectorReport(site: fields["site"] ?? "", day: fields["day"] ?? "", method: fields["method"] ?? "",
                                                                                examined: examined, positive: positive), district: district, reporter: principal.subject)
            try await access.record(context, principal, action: "create", entity: "surveillance/vector-report/\(graded.site)", patients: [])
            let band = VectorSurveillance.levels[graded.level]
            message = "已提交：指数 \(graded.index)，\(band.name)（\(band.colour)）"
        } catch let error as FHIRError {
            message = error.pageMessage
        }
        return HTML.redirect("/surveillance/vector?m=" + Pages.queryEscape(message))
    }
}
