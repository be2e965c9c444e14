import Hummingbird
import Foundation
import NIOCore

/// The landing page at `/`: what the server is and where to go (中文).
struct HomeRoutes<Context: RequestContext> {
    func register(on router: Router<Context>) {
        router.get("") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: HomePage.html))
            )
        }
    }

}

/// The landing page's HTML.
enum HomePage {
    static let html = """
    <!doctype html>
    <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>卫健 区域卫生健康信息平台</title>
    <style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.6}code{background:#f3f3f3;padding:0 .3em}</style>
    </head><body>
    <h1>卫健 · 区域卫生健康信息平台</h1>
    <p>“1+5+X”数智底座：主索引、注册库、全生命周期电子健康档案（HL7 FHIR R4）。</p>
    <p><a href="/login"><strong>登录</strong></a>（居民可查看谁查阅了本人健康档案）</p>
    <ul>
    <li><a href="/fhir/r4/metadata">FHIR R4 能力声明</a> <code>/fhir/r4/metadata</code>（其余接口需登录或令牌 <code>POST /auth/token</code>）</li>
    <li><a href="/api/v1/institutions?district=310105">医疗卫生机构名录</a> <code>/api/v1/institutions</code></li>
    <li><a href="/api/v1/divisions?parent=310105">街道/镇</a> <code>/api/v1/divisions</code></li>
    <li><a href="/health/ready">健康检查</a> · <a href="/metrics">运行指标</a></li>
    </ul>
    </body></html>
    """
}

/// The static files under `/static/` (`Sources/App/Static`): Chart.js and qrcode.js, and our scripts that draw a
/// page's charts and QR codes and upload a case's evidence.
/// Only the files named here are served; they hold no personal data, so no sign-in is needed.
enum StaticFiles {
    static let files: [String: (data: Data, type: String)] = {
        var files: [String: (Data, String)] = [:]
        for (name, type) in [("chart.min.js", "text/javascript; charset=utf-8"), ("weijian-charts.js", "text/javascript; charset=utf-8"),
                                   ("qrcode.js", "text/javascript; charset=utf-8"), ("weijian-qr.js", "text/javascript; charset=utf-8"),
                                   ("weijian-evidence.js", "text/javascript; charset=utf-8")] {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            if let url = Bundle.module.url(forResource: parts[0], withExtension: parts.count > 1 ? parts[1] : nil, subdirectory: "Static"),
               let data = try? Data(contentsOf: url) {
                files[name] = (data, type)
            }
        }
        return files
    }()
}

struct StaticRoutes<Context: RequestContext> {
    func register(on router: Router<Context>) {
        router.get("static/:file") { _, context -> Response in
            guard let name = context.parameters.get("file"), let file = StaticFiles.files[name] else {
                throw HTTPError(.notFound, message: "没有该文件")
            }
            return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "public, max-age=86400"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.data)))
        }
    }
}
