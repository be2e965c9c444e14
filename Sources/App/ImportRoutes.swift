import Access
import Foundation
import Hummingbird
import NIOCore

extension ImportReport: ResponseEncodable {}

/// 历史数据导入 over HTTP: `POST /api/v1/import/<kind>[?dryRun=1]` with the CSV as the body (`text/csv`), by a CHC's
/// manager (rows of their own CHC) or the district's exchange platform (a client account of the district).
struct ImportRoutes {
    typealias Context = AppRequestContext
    let access: AccessServices
    let importer: LegacyImport
    let maxBodyBytes: Int

    func register(on router: Router<Context>) {
        router.post("api/v1/import/:kind") { request, context -> ImportReport in
            let principal = try context.require(.chcManager, .systemClient)
            guard principal.role == .chcManager || (principal.institution == nil && principal.district != nil) else {
                throw HTTPError(.forbidden, message: "导入须由社区卫生服务中心主任或区级平台账号进行")
            }
            let district = try Pages.district(of: principal, asked: nil)
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch is NIOTooManyBytesError {
                throw HTTPError(.contentTooLarge, message: "文件过大（至多 \(maxBodyBytes / 1024 / 1024) MB），请分批导入")
            }
            guard let text = body.getString(at: body.readerIndex, length: body.readableBytes), !text.isEmpty else {
                throw HTTPError(.badRequest, message: "请求体须为 UTF-8 编码的 CSV 文件")
            }
            let dryRun = ["1", "true"].contains(request.uri.queryParameters["dryRun"].map(String.init) ?? "")
            let report: ImportReport
            do {
                report = try await apiErrors {
                    try await importer.run(kind: try context.parameters.require("kind"), text: text, district: district,
                                           institution: principal.role == .chcManager ? principal.institution : nil, dryRun: dryRun, actor: principal.subject)
                }
            } catch let failure as LegacyImport.Failure {
                throw HTTPError(.unprocessableContent, message: failure.description)
            }
            try await access.record(context, principal, action: dryRun ? "check" : "import", entity: "import/\(report.kind)", patients: report.patients)
            return report
        }
    }
}
