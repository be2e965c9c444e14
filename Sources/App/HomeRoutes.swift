import Hummingbird
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
