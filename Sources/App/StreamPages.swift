import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Storage
import Surveillance

/// 多渠道监测 entry forms (中文, phone-usable): a sentinel clinic, school, pharmacy or laboratory enters its
/// day's count; anyone of them a tip-off or media item. The CDC also sees each count stream's last 14 days.
extension SurveillanceRoutes {
    static let streamRoles: [Role] = [.cdcEpidemiologist, .chcStaff, .chcManager, .hospitalClinician]

    func registerStreamPages(on router: Router<Context>) {
        router.get("surveillance/streams") { request, context in try await streamsPage(request, context) }
        router.post("surveillance/streams") { request, context in try await streamsAction(request, context) }
    }

    func streamsPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard Self.streamRoles.contains(principal.role), let district = try? Pages.district(of: principal, asked: nil) else {
            return Pages.page("监测数据报告", "<p class=\"error\">此页面供哨点医疗机构、社区卫生服务中心和疾控中心人员使用。</p>", status: .forbidden)
        }
        let streams = try await surveillance.streams()
        let places = Catalog.subdistricts(of: district)
        let today = CalendarDay.today()
        let placeOptions = places.map { "<option value=\"\(HTML.escape($0.code))\">\(HTML.escape($0.name))</option>" }.joined()
        var body = request.uri.queryParameters["m"].map { "<p class=\"ok\" id=\"saved\">\(HTML.escape(String($0)))</p>" } ?? ""
        body += "<form method=\"post\" action=\"/surveillance/streams\" class=\"card\" id=\"count-form\"><h2>每日计数</h2>\(Pages.csrfField(context))<input type=\"hidden\" name=\"form\" value=\"count\">"
        body += "<label>监测渠道 <select name=\"stream\">" + streams.filter { $0.kind == "count" }.map { "<option value=\"\($0.code)\">\(HTML.escape($0.name))（\($0.unit)）</option>" }.joined() + "</select></label>"
        body += "<label>报告单位 <input type=\"text\" name=\"site\" maxlength=\"64\" value=\"\(HTML.escape(principal.institution ?? ""))\" required></label>"
        body += "<label>街道 <select name=\"subdistrict\">\(placeOptions)</select></label>"
        body += "<label>日期 <input type=\"date\" name=\"day\" value=\"\(today)\" max=\"\(today)\" required></label>"
        body += "<label>数量 <input type=\"number\" name=\"count\" min=\"0\" max=\"100000\" required></label><button type=\"submit\">提交计数</button></form>"
        body += "<form method=\"post\" action=\"/surveillance/streams\" class=\"card\" id=\"item-form\"><h2>线索报告</h2>\(Pages.csrfField(context))<input type=\"hidden\" name=\"form\" value=\"item\">"
        body += "<label>类别 <select name=\"stream\">" + streams.filter { $0.kind == "item" }.map { "<option value=\"\($0.code)\">\(HTML.escape($0.name))</option>" }.joined() + "</select></label>"
        body += "<label>街道 <select name=\"subdistrict\">\(placeOptions)</select></label>"
        body += "<label>日期 <input type=\"date\" name=\"day\" value=\"\(today)\" max=\"\(today)\" required></label>"
        body += "<label>内容（请勿填写个人身份信息） <input type=\"text\" name=\"text\" maxlength=\"1000\" required></label><button type=\"submit\">提交线索</button></form>"
        if principal.role == .cdcEpidemiologist {
            body += "<div class=\"card\"><h2>近14天全区计数</h2><table id=\"stream-totals\"><thead><tr><th>渠道</th><th>近7天</th><th>前7天</th></tr></thead><tbody>"
            for stream in streams where stream.kind == "count" {
                let totals = try await surveillance.streamTotals(stream: stream.code, district: district, from: CalendarDay.shift(today, days: -13), to: today, byWeek: false, bySubdistrict: false)
                let recent = totals.filter { $0.period > CalendarDay.shift(today, days: -7) }.map(\.count).reduce(0, +)
                let before = totals.map(\.count).reduce(0, +) - recent
                body += "<tr><td>\(HTML.escape(stream.name))</td><td>\(recent)</td><td>\(before)</td></tr>"
            }
            body += "</tbody></table><p><a href=\"/surveillance\">返回监测预警工作台</a></p></div>"
        }
        return Pages.page("监测数据报告", body)
    }

    func streamsAction(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        let fields = try await Pages.checkedForm(request, context)
        guard Self.streamRoles.contains(principal.role) else { throw HTTPError(.forbidden, message: "此操作供哨点医疗机构、社区卫生服务中心和疾控中心人员使用") }
        let district = try Pages.district(of: principal, asked: nil)
        let stream = fields["stream"] ?? "", subdistrict = fields["subdistrict"] ?? "", day = fields["day"] ?? ""
        var message: String
        do {
            if fields["form"] == "item" {
                _ = try await surveillance.recordItem(stream: stream, district: district, subdistrict: subdistrict, day: day, text: fields["text"] ?? "", reporter: principal.subject)
                message = "线索已提交，疾控中心将核实"
            } else {
                guard let count = fields["count"].flatMap({ Int($0) }) else { throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "数量须为整数")]) }
                let site = (fields["site"] ?? "").trimmingCharacters(in: .whitespaces)
                guard !site.isEmpty, site.count <= 64 else { throw FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: "请填写报告单位（64 字以内）")]) }
                _ = try await surveillance.recordCounts(stream: stream, district: district, counts: [StreamCount(site: site, subdistrict: subdistrict, day: day, count: count)],
                                                        reporter: principal.subject)
                message = "计数已提交"
            }
            try await access.record(context, principal, action: "create", entity: "surveillance/stream/\(stream)", patients: [])
        } catch let error as FHIRError {
            message = error.pageMessage
        }
        return HTML.redirect("/surveillance/streams?m=" + Pages.queryEscape(message))
    }
}
