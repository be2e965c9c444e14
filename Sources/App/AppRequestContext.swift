import Access
import Hummingbird
import HummingbirdAuth
import NIOCore

/// What a web session stores: the account and the session's CSRF token.
struct WebSession: Codable, Sendable {
    /// The account id.
    var account: String
    /// The token every form of this session must echo.
    var csrf: String
}

/// The request context of every route: the session, the authenticated principal and the client's address.
struct AppRequestContext: RequestContext, SessionRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let sessions: SessionContext<WebSession>
    /// Who is asking; nil when not signed in.
    var principal: Principal?
    /// The peer's address.
    let remoteAddress: SocketAddress?
    /// A bearer token came with the request but was invalid or expired.
    var invalidToken = false
    /// The client a trusted proxy forwarded the request for (``ForwardedClientMiddleware``); nil: the peer.
    var forwardedClient: String?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.sessions = .init()
        self.principal = nil
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's address as text, for the audit trail and rate limits: the peer's, or, behind a trusted
    /// proxy, the one it forwarded the request for.
    var clientAddress: String {
        forwardedClient ?? remoteAddress?.ipAddress ?? "unknown"
    }

    /// The principal, or a 401 for a person to act on.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw HTTPError(.unauthorized, message: "请先登录（或在 Authorization 头中提供 Bearer 令牌）") }
        return principal
    }

    /// The principal if it has one of `roles`, else 403.
    func require(_ roles: Role...) throws -> Principal {
        try require(roles)
    }

    /// The principal if it has one of `roles`, else 403.
    func require(_ roles: [Role]) throws -> Principal {
        let principal = try requirePrincipal()
        guard roles.contains(principal.role) else { throw HTTPError(.forbidden, message: "\(principal.role.label)无权执行此操作") }
        return principal
    }
}
