import Access
import Hummingbird
import HummingbirdAuth

/// Finds who is asking: a bearer token (API) or the web session's account. Does not refuse anyone:
/// each route decides (deny by default through `requirePrincipal`, the FHIR guard and role checks).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let access: AccessServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            // An invalid or expired token leaves the request anonymous: public routes still answer,
            // protected ones refuse with 401 (the FHIR API says so in an OperationOutcome).
            context.invalidToken = true
            if let principal = await access.tokens.principal(fromToken: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) {
                context.invalidToken = false
                if principal.role != .systemClient, let account = try await access.accounts.account(id: principal.subject), account.disabled {
                    context.principal = nil
                } else {
                    context.principal = principal
                }
            }
        } else if let session = context.sessions.session, let account = try await access.accounts.account(id: session.account), !account.disabled {
            context.principal = account.principal
        }
        return try await next(request, context)
    }
}
