import Access
import FHIR
import Foundation
import Hummingbird
import Referral
import Registry
import Storage
import Supervision

extension WasteBatch: ResponseEncodable {}
extension WasteAlert: ResponseEncodable {}
extension WaterSite: ResponseEncodable {}
extension Licence: ResponseEncodable {}
extension LicenceAlert: ResponseEncodable {}
extension ScopeViolation: ResponseEncodable {}
extension WaterTest: ResponseEncodable {}

/// 医疗废物追溯 under `/api/v1/supervision/waste` and the inspectors' page `/supervision/waste`: an institution's
/// staff record the batches they collect and hand over; the disposal plant's system (a client account) records
/// disposal; inspectors and the commission see every batch and the alerts.
struct SupervisionRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let waste: MedicalWaste
    let water: DrinkingWater
    let licences: Licences
    /// The records practice is read from: the hospitals' published sessions (who works in which department when).
    let referral: ReferralService

    /// Staff of an institution that produces medical waste.
    static let producers: [Role] = [.chcStaff, .chcManager, .hospitalClinician]
    static let overseers: [Role] = [.healthInspector, .commissionManager]
    /// A producer's own institution (403 for a producer's account without one); nil for the district-wide roles.
    static func ownInstitution(_ principal: Principal) throws -> String? {
        guard producers.contains(principal.role) else { return nil }
        guard let institution = principal.institution else { throw HTTPError(.forbidden, message: "账号未关联机构") }
        return institution
    }

    struct HandoverForm: Decodable { var stage: String; var weightKg: Double; var at: String; var handler: String }
    struct SiteForm: Decodable { var subdistrict: String; var name: String; var kind: String; var address: String }
    struct TestForm: Decodable { var sampledAt: String; var results: [String: Double] }

    func register(on router: Router<Context>) {
        let api = router.group("api/v1/supervision/waste")
        api.post("batches") { request, context -> Response in
            let principal = try context.require(Self.producers)
            guard let institution = principal.institution else { throw HTTPError(.forbidden, message: "账号未关联机构") }
            let form = try await request.decode(as: WasteBatchForm.self, context: context)
            let batch = try await apiErrors {
                try await waste.collect(form, institution: institution, district: try Pages.district(of: principal, asked: nil), actor: principal.subject)
            }
            try await access.record(context, principal, action: "create", entity: "supervision/waste/\(batch.id)", patients: [])
            return try Pages.json(batch, status: .created)
        }
        api.post("batches/:id/handovers") { request, context -> WasteBatch in
            let principal = try context.require(Self.producers + [.systemClient, .healthInspector])
            let form = try await request.decode(as: HandoverForm.self, context: context)
            // Producers hand over their own institution's batches only; the plant's system and inspectors any of the district.
            let own = try Self.ownInstitution(principal)
            let batch = try await apiErrors {
                try await waste.handOver(batch: try context.parameters.require("id"), stage: form.stage, weightKg: form.weightKg, at: form.at, handler: form.handler,
                                         district: try Pages.district(of: principal, asked: nil), institution: own, actor: principal.subject)
            }
            try await access.record(context, principal, action: "update", entity: "supervision/waste/\(batch.id)", patients: [])
            return batch
        }
        api.get("batches") { _, context -> [WasteBatch] in
            let principal = try context.require(Self.producers + Self.overseers)
            let own = try Self.ownInstitution(principal)
            return try await waste.batches(district: try Pages.district(of: principal, asked: nil), institution: own)
        }
        api.get("alerts") { _, context -> [WasteAlert] in
            let principal = try context.require(Self.overseers)
            return try await waste.alerts(district: try Pages.district(of: principal, asked: nil))
        }
        router.get("supervision/waste") { _, context in try await wastePage(context) }

        // 生活饮用水: inspectors keep the sites and record samplings; anyone reads a site's page (its QR code's target).
        let waterAPI = router.group("api/v1/supervision/water")
        waterAPI.get("sites") { _, context -> [WaterSite] in
            let principal = try context.require(Self.overseers)
            return try await water.sites(district: try Pages.district(of: principal, asked: nil))
        }
        waterAPI.post("sites") { request, context -> Response in
            let principal = try context.require(.healthInspector)
            let form = try await request.decode(as: SiteForm.self, context: context)
            let site = try await apiErrors {
                try await water.addSite(district: try Pages.district(of: principal, asked: nil), subdistrict: form.subdistrict, name: form.name, kind: form.kind, address: form.address)
            }
            try await access.record(context, principal, action: "create", entity: "supervision/water/\(site.id)", patients: [])
            return try Pages.json(site, status: .created)
        }
        waterAPI.post("sites/:id/tests") { request, context -> Response in
            let principal = try context.require(.healthInspector)
            let form = try await request.decode(as: TestForm.self, context: context)
            let test = try await apiErrors {
                try await water.recordTest(site: try context.parameters.require("id"), district: try Pages.district(of: principal, asked: nil), sampledAt: form.sampledAt,
                                           results: form.results, actor: principal.subject)
            }
            try await access.record(context, principal, action: "create", entity: "supervision/water/test", patients: [])
            return try Pages.json(test, status: .created)
        }
        // 执业许可: inspectors and the commission record licences; expiry alerts; practice outside them.
        let licenceAPI = router.group("api/v1/supervision/licences")
        licenceAPI.post { request, context -> Response in
            let principal = try context.require(Self.overseers)
            let form = try await request.decode(as: LicenceForm.self, context: context)
            let licence = try await apiErrors { try await licences.register(form, district: try Pages.district(of: principal, asked: nil), actor: principal.subject) }
            try await access.record(context, principal, action: "create", entity: "supervision/licence/\(licence.id)", patients: [])
            return try Pages.json(licence, status: .created)
        }
        licenceAPI.get { _, context -> [Licence] in
            let principal = try context.require(Self.overseers)
            return try await licences.licences(district: try Pages.district(of: principal, asked: nil))
        }
        licenceAPI.get("alerts") { _, context -> [LicenceAlert] in
            let principal = try context.require(Self.overseers)
            return try await licences.alerts(district: try Pages.district(of: principal, asked: nil))
        }
        licenceAPI.get("out-of-scope") { _, context -> [ScopeViolation] in
            let principal = try context.require(Self.overseers)
            return try await Self.outOfScope(district: try Pages.district(of: principal, asked: nil), referral: referral, licences: licences)
        }
        router.get("supervision/water") { _, context in try await waterSitesPage(context) }
        router.get("water/:id") { _, context in try await publicWaterPage(context) }
    }

    /// Named practitioners' sessions at the district's hospitals from 30 days ago to 14 days ahead, checked against
    /// their licences.
    static func outOfScope(district: String, referral: ReferralService, licences: Licences, today: String = CalendarDay.today()) async throws -> [ScopeViolation] {
        var practice: [(practitioner: String, organization: String, department: String, day: String)] = []
        for institution in Catalog.institutions where institution.district == district && ReferralService.hospitalTypes.contains(institution.type) {
            for schedule in try await referral.schedules(organization: institution.id, from: CalendarDay.shift(today, days: -30), days: 44) {
                if let practitioner = schedule.practitioner { practice.append((practitioner, schedule.organization, schedule.department, schedule.day)) }
            }
        }
        return try await licences.violations(district: district, practice: practice)
    }

    /// The inspectors' list of sites, each with its latest result and the QR code of its public page.
    func waterSitesPage(_ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.overseers, title: "生活饮用水监测", refusal: "此页面供卫生监督员和卫健委管理人员使用。") { _, district in
            let sites = try await water.sites(district: district)
            var body = "<p class=\"muted\">每个监测点的二维码指向其公开页面，张贴于水箱或直饮水机旁，居民扫码即可查看最近一次检测结果。</p>"
            body += "<table id=\"water-sites\"><thead><tr><th>监测点</th><th>街道</th><th>最近检测</th><th>结果</th><th>二维码</th></tr></thead><tbody>"
            body += sites.map { site in
                let place = Catalog.divisions.first { $0.code == site.subdistrict }?.name ?? site.subdistrict
                let result = site.latest.map { $0.qualified ? "<span class=\"rag-green\">合格</span>" : "<span class=\"rag-red\">不合格</span>" } ?? "未检测"
                return "<tr data-site=\"\(HTML.escape(site.id))\"><td><a href=\"/water/\(HTML.escape(site.id))\">\(HTML.escape(site.name))</a><br><span class=\"muted\">\(DrinkingWater.kinds[site.kind] ?? site.kind)</span></td>"
                    + "<td>\(HTML.escape(place))</td><td>\(HTML.escape(site.latest.map { String($0.sampledAt.prefix(10)) } ?? "—"))</td><td>\(result)</td>"
                    + "<td><div class=\"qr\" data-qr=\"/water/\(HTML.escape(site.id))\" style=\"width:96px\"></div></td></tr>"
            }.joined() + (sites.isEmpty ? "<tr><td colspan=\"5\">尚无监测点</td></tr>" : "") + "</tbody></table>"
            body += "<style>.qr svg{width:96px;height:96px}</style>"
            body += "<script src=\"/static/qrcode.js\"></script><script src=\"/static/weijian-qr.js\"></script>"
            return Pages.page("生活饮用水监测", body)
        }
    }

    /// 饮用水公示 (public, no sign-in: the page behind a site's QR code): the site and its latest result against
    /// the standard. No personal data.
    func publicWaterPage(_ context: Context) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard id.count <= 64, let site = try await water.sites(district: nil, id: id).first else {
            return Pages.page("饮用水公示", "<p class=\"error\">没有该监测点。</p>", status: .notFound)
        }
        var body = "<div class=\"card\" id=\"site\"><h2>\(HTML.escape(site.name))</h2><p>\(DrinkingWater.kinds[site.kind] ?? site.kind) · \(HTML.escape(site.address))</p></div>"
        if let test = site.latest {
            body += "<div class=\"card\" id=\"result\" data-qualified=\"\(test.qualified)\"><h2>最近一次检测：\(test.qualified ? "<span class=\"rag-green\">合格</span>" : "<span class=\"rag-red\">不合格</span>")</h2>"
            body += "<p class=\"muted\">采样时间 \(HTML.escape(String(test.sampledAt.prefix(16)).replacingOccurrences(of: "T", with: " "))) · 依据 GB 5749-2022《生活饮用水卫生标准》</p>"
            body += "<table><thead><tr><th>指标</th><th>结果</th><th>限值</th></tr></thead><tbody>" + DrinkingWater.indicators.map { indicator in
                let value = test.results[indicator.code].map { WaterIndicator.number($0) } ?? "—"
                let failed = test.failed.contains(indicator.code)
                return "<tr data-indicator=\"\(indicator.code)\"\(failed ? " class=\"rag-red\"" : "")><td>\(indicator.name)</td><td>\(value) \(indicator.unit)</td><td>\(indicator.limit)</td></tr>"
            }.joined() + "</tbody></table></div>"
        } else {
            body += "<p class=\"muted\">尚无检测结果。</p>"
        }
        body += "<p class=\"muted\">如对饮用水有疑问，请联系区卫生健康委员会监督所。</p>"
        return Pages.page("饮用水公示", body)
    }

    /// 医疗废物追溯: the alerts, then the latest batches with their steps.
    func wastePage(_ context: Context) async throws -> Response {
        try await Pages.forDistrict(context, roles: Self.overseers, title: "医疗废物追溯", refusal: "此页面供卫生监督员和卫健委管理人员使用。") { _, district in
            let alerts = try await waste.alerts(district: district)
            let batches = try await waste.batches(district: district, limit: 100)
            func name(_ id: String) -> String { Catalog.institutions.first { $0.id == id }.map { $0.shortName ?? $0.name } ?? id }
            func kilograms(_ grams: Int) -> String { String(format: "%.2f", Double(grams) / 1000) }
            var body = "<p class=\"muted\">收集、转运交接、处置三个环节的重量须一致（允许 ±\(Int(waste.tolerance * 100))%），每一环节不超过 \(waste.maximumWaitHours) 小时。</p>"
            body += "<div class=\"card\"><h2>预警（\(alerts.count)）</h2><table id=\"alerts\"><thead><tr><th>时间</th><th>机构</th><th>批次</th><th>类型</th><th>说明</th></tr></thead><tbody>"
            body += alerts.map { alert in
                "<tr data-kind=\"\(HTML.escape(alert.kind))\"><td>\(HTML.escape(String(alert.raisedAt.prefix(16)).replacingOccurrences(of: "T", with: " ")))</td><td>\(HTML.escape(name(alert.institution)))</td>"
                    + "<td>\(HTML.escape(alert.batch))</td><td class=\"rag-red\">\(MedicalWaste.alertKinds[alert.kind] ?? alert.kind)</td><td>\(HTML.escape(alert.detail))</td></tr>"
            }.joined() + (alerts.isEmpty ? "<tr><td colspan=\"5\">没有预警</td></tr>" : "") + "</tbody></table></div>"
            body += "<div class=\"card\"><h2>最近批次</h2><table id=\"batches\"><thead><tr><th>机构</th><th>类别</th><th>收集（千克）</th><th>转运</th><th>处置</th></tr></thead><tbody>"
            body += batches.map { batch in
                func step(_ stage: String) -> String {
                    batch.handovers.first { $0.stage == stage }.map { "\(kilograms($0.weightGrams)) · \(HTML.escape($0.handler))" } ?? "—"
                }
                return "<tr data-batch=\"\(HTML.escape(batch.id))\" data-status=\"\(batch.status)\"><td>\(HTML.escape(name(batch.institution)))</td><td>\(MedicalWaste.categories[batch.category] ?? batch.category)</td>"
                    + "<td>\(kilograms(batch.weightGrams))</td><td>\(step("transfer"))</td><td>\(step("disposal"))</td></tr>"
            }.joined() + (batches.isEmpty ? "<tr><td colspan=\"5\">尚无登记</td></tr>" : "") + "</tbody></table></div>"
            return Pages.page("医疗废物追溯", body)
        }
    }
}
