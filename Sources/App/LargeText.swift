import Hummingbird

/// 适老化: large-text mode for every page, kept in the `weijian_large` cookie (no account needed).
struct LargeTextMiddleware<Context: RequestContext>: RouterMiddleware {
    static var cookie: String { "weijian_large" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let large = request.cookies[Self.cookie]?.value == "1"
        return try await HTML.$largeText.withValue(large) {
            try await HTML.$path.withValue(request.uri.path) { try await next(request, context) }
        }
    }
}

/// `GET /display/large?on=1|0[&back=/path]`: switches large-text mode on or off and goes back (to a path of this
/// site only; the home page otherwise).
struct LargeTextRoutes {
    func register(on router: Router<AppRequestContext>) {
        router.get("display/large") { request, _ -> Response in
            let on = request.uri.queryParameters["on"] != "0"
            let asked = request.uri.queryParameters["back"].map(String.init) ?? "/"
            let back = asked.hasPrefix("/") && !asked.hasPrefix("//") && !asked.contains("\\") ? asked : "/"
            let cookie = on ? Cookie(name: LargeTextMiddleware<AppRequestContext>.cookie, value: "1", maxAge: 365 * 86400, path: "/", httpOnly: true, sameSite: .lax)
                : Cookie(name: LargeTextMiddleware<AppRequestContext>.cookie, value: "0", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax)
            return HTML.redirect(back, headers: [.setCookie: cookie.description])
        }
    }
}
