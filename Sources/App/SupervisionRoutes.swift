import Access
import FHIR
import Foundation
import Hummingbird
import Registry
import Supervision

extension WasteBatch: ResponseEncodable {}
extension WasteAlert: ResponseEncodable {}

/// 医疗废物追溯 under `/api/v1/supervision/waste` and the inspectors' page `/supervision/waste`: an institution's
/// staff record the batches they collect and hand over; the disposal plant's system (a client account) records
/// disposal; inspectors and the commission see every batch and the alerts.
struct SupervisionRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let waste: MedicalWaste

    /// Staff of an institution that produces medical waste.
    static let producers: [Role] = [.chcStaff, .chcManager, .hospitalClinician]
    static let overseers: [Role] = [.healthInspector, .commissionManager]
    struct HandoverForm: Decodable { var stage: String; var weightKg: Double; var at: String; var handler: String }

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
            let own = Self.producers.contains(principal.role) ? principal.institution : nil
            if Self.producers.contains(principal.role), own == nil { throw HTTPError(.forbidden, message: "账号未关联机构") }
            let batch = try await apiErrors {
                try await waste.handOver(batch: try context.parameters.require("id"), stage: form.stage, weightKg: form.weightKg, at: form.at, handler: form.handler,
                                         district: try Pages.district(of: principal, asked: nil), institution: own, actor: principal.subject)
            }
            try await access.record(context, principal, action: "update", entity: "supervision/waste/\(batch.id)", patients: [])
            return batch
        }
        api.get("batches") { _, context -> [WasteBatch] in
            let principal = try context.require(Self.producers + Self.overseers)
            let own = Self.producers.contains(principal.role) ? principal.institution : nil
            if Self.producers.contains(principal.role), own == nil { throw HTTPError(.forbidden, message: "账号未关联机构") }
            return try await waste.batches(district: try Pages.district(of: principal, asked: nil), institution: own)
        }
        api.get("alerts") { _, context -> [WasteAlert] in
            let principal = try context.require(Self.overseers)
            return try await waste.alerts(district: try Pages.district(of: principal, asked: nil))
        }
        router.get("supervision/waste") { _, context in try await wastePage(context) }
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
            body += "<style>.rag-red{color:#b3261e;font-weight:bold}</style>"
            return Pages.page("医疗废物追溯", body)
        }
    }
}
