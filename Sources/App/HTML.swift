import Foundation
import Hummingbird
import NIOCore

/// Small helpers for the server-rendered pages (中文, usable on a phone).
enum HTML {
    /// Escapes text for HTML content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for char in text {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(char)
            }
        }
        return out
    }

    /// Whether this request's pages are in large-text mode (适老化: the `weijian_large=1` cookie, set by
    /// `/display/large`); ``LargeTextMiddleware`` sets it for the request.
    @TaskLocal static var largeText = false
    /// The request's path, for the large-text switch to come back to.
    @TaskLocal static var path = "/"

    /// A whole page around `body`.
    static func page(title: String, body: String) -> String {
        let large = largeText
        return """
        <!doctype html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · 卫健</title>
        <style>
        body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:44rem;margin:1.5rem auto;padding:0 1rem;line-height:1.6;color:#222}
        form.card{display:grid;gap:.6rem;max-width:22rem}input,button{font-size:1rem;padding:.5rem}button{cursor:pointer}
        .error{color:#b00020;background:#fdecea;padding:.5rem .75rem;border-radius:.3rem}
        table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;font-size:.95rem}
        .flag{color:#b00020;font-weight:bold}nav a{margin-right:1rem}
        body.large{font-size:1.3rem;line-height:1.8}body.large h1{font-size:2.1rem}body.large input,body.large button,body.large select,body.large textarea{font-size:1.3rem;padding:.6rem}
        body.large td,body.large th,body.large .muted,body.large .tag{font-size:1.15rem}body.large .card h2{font-size:1.4rem}
        </style></head><body\(large ? " class=\"large\"" : "")>
        <nav><a href="/">卫健首页</a><a href="/me">我的</a><a href="/display/large?on=\(large ? "0" : "1")&amp;back=\(escape(path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))" id="large-text">\(large ? "标准字体" : "大字版")</a></nav>
        <h1>\(escape(title))</h1>
        \(body)
        </body></html>
        """
    }

    /// An HTML response.
    static func response(_ html: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentSecurityPolicy] = "default-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        for field in extra { headers.append(field) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// A redirect after a form (303 See Other).
    static func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        for field in extra { headers.append(field) }
        return Response(status: .seeOther, headers: headers)
    }
}
