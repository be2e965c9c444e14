import HTTPTypes
import Hummingbird

/// Behind a load balancer: takes a request's client address from `X-Forwarded-For` when its peer is one of the
/// trusted proxies (``TrustedProxies/client(peer:forwardedFor:)``). Installed only when some are configured.
struct ForwardedClientMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let proxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let peer = context.remoteAddress?.ipAddress else { return try await next(request, context) }
        var context = context
        let forwarded = HTTPField.Name.xForwardedFor.map { request.headers[values: $0] } ?? []
        let client = proxies.client(peer: peer, forwardedFor: forwarded)
        if client != peer { context.forwardedClient = client }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For` (de-facto standard; RFC 7239's `Forwarded` says the same in another syntax).
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")
}
