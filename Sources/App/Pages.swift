import Access
import FHIR
import Foundation
import Hummingbird
import Registry

/// What the domain pages and APIs share: the card style of the phone-sized pages, forms checked against the
/// session's CSRF token, names as shown and masked, JSON answers with a status, and the district a manager sees.
enum Pages {
    static let pageStyle = """
    <style>
    .card{border:1px solid #ddd;border-radius:.5rem;padding:.75rem;margin:.75rem 0}.card h2{font-size:1.05rem;margin:.2rem 0 .5rem}
    .muted{color:#666;font-size:.9rem}.ok{color:#0a7a2f;font-weight:bold}.tag{display:inline-block;background:#eef3fb;color:#1d4e89;border-radius:.25rem;padding:0 .35rem;margin:0 .2rem .2rem 0;font-size:.85rem}
    select,input[type=text]{font-size:1rem;padding:.4rem;max-width:100%}textarea{font-size:1rem;width:100%;min-height:4.5rem;box-sizing:border-box}label{display:block;margin:.4rem 0}.count{font-size:1.4rem;font-weight:bold}
    .rag-green{color:#1b7a35;font-weight:bold}.rag-amber{color:#a86400;font-weight:bold}.rag-red{color:#b3261e;font-weight:bold}
    ul.plain{list-style:none;padding:0}ul.plain li{border-bottom:1px solid #eee;padding:.4rem 0}form.inline{display:inline}form.inline button,form.inline select{font-size:.9rem;padding:.25rem .5rem}fieldset{border:1px solid #ddd;border-radius:.4rem}
    </style>
    """

    static func csrfField(_ context: AppRequestContext) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(context.sessions.session?.csrf ?? ""))\">"
    }

    /// The form's fields, after checking its CSRF token against the session's.
    static func checkedForm(_ request: Request, _ context: AppRequestContext) async throws -> [String: String] {
        let fields = try await AccessRoutes.form(request)
        guard let session = context.sessions.session, AccessRoutes.same(fields["csrf"] ?? "", session.csrf) else {
            throw HTTPError(.forbidden, message: "表单已过期，请刷新页面后重试")
        }
        return fields
    }

    /// Runs a form's action for a principal of one of `roles` (the form's CSRF token checked first) and redirects to
    /// `back(target)` with what happened in `?m=`: the action's message, or a 4xx's message instead of an error page.
    /// The action may name the page to go back to (`target`, e.g. a record it made).
    static func formAction(_ request: Request, _ context: AppRequestContext, roles: [Role], back: (String?) -> String,
                           _ body: (Principal, [String: String]) async throws -> (String, String?)) async throws -> Response {
        guard context.principal != nil else { return HTML.redirect("/login") }
        let fields = try await checkedForm(request, context)
        guard let principal = context.principal, roles.contains(principal.role) else { throw HTTPError(.forbidden, message: "无权执行此操作") }
        let message: String, target: String?
        do {
            (message, target) = try await body(principal, fields)
        } catch let error as HTTPError where error.status.code < 500 {
            (message, target) = (error.body ?? "无法办理", nil)
        }
        let destination = back(target)
        return HTML.redirect(destination + (destination.contains("?") ? "&" : "?") + "m=" + queryEscape(message))
    }

    static func page(_ title: String, _ body: String, status: HTTPResponse.Status = .ok) -> Response {
        HTML.response(HTML.page(title: title, body: pageStyle + body), status: status)
    }

    static func queryEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// 张三丰 → 张*丰, 李四 → 李*: enough to recognise in an outreach list, not to identify a stranger.
    static func maskedName(_ name: String) -> String {
        let characters = Array(name)
        guard characters.count > 1 else { return name }
        if characters.count == 2 { return String(characters[0]) + "*" }
        return String(characters[0]) + String(repeating: "*", count: characters.count - 2) + String(characters[characters.count - 1])
    }

    static func displayName(_ resource: JSONValue?) -> String {
        guard let name = resource?["name"]?.arrayValue?.first else { return "" }
        return name["text"]?.stringValue ?? ((name["family"]?.stringValue ?? "") + (name["given"]?.arrayValue?.compactMap(\.stringValue).joined() ?? ""))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
    /// The district a manager may see: their own (a CHC manager's is their CHC's district).
    static func district(of principal: Principal, asked: String?) throws -> String {
        let own = principal.district ?? principal.institution.flatMap { id in Catalog.institutions.first { $0.id == id }?.district }
        guard let own else { throw HTTPError(.forbidden, message: "账号未关联辖区") }
        if let asked, asked != own { throw HTTPError(.forbidden, message: "只能查看本区 (\(own)) 的数据") }
        return own
    }
}

extension Pages {
    /// A page for some roles, about their own district: the sign-in page for a visitor, 403 with `refusal` for
    /// any other role or an account without a district, else `body` with the principal and the district.
    static func forDistrict(_ context: AppRequestContext, roles: [Role], title: String, refusal: String,
                            _ body: (Principal, String) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else { return HTML.redirect("/login") }
        guard roles.contains(principal.role), let district = try? district(of: principal, asked: nil) else {
            return page(title, "<p class=\"error\">\(HTML.escape(refusal))</p>", status: .forbidden)
        }
        return try await body(principal, district)
    }
}
