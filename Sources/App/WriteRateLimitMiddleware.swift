import Hummingbird

/// Limits the writes of the domain API and the pages' forms per principal and per address (429 with
/// Retry-After). The FHIR API applies the same limits itself, answering in an OperationOutcome; sign-in
/// and the token endpoint have limits of their own.
struct WriteRateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let access: AccessServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method != .get, request.method != .head, request.method != .options,
              !path.hasPrefix("/fhir/"), !["/login", "/logout", "/auth/token"].contains(path) else {
            return try await next(request, context)
        }
        let key = context.principal?.subject ?? "anonymous"
        if let wait = await RateLimiter.wait((access.writesByUser, key), (access.writesByAddress, context.clientAddress)) {
            return Response(status: .tooManyRequests, headers: [.retryAfter: String(wait), .contentType: "application/json; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error":{"message":"提交过于频繁，请 \#(wait) 秒后再试 (too many writes)"}}"#)))
        }
        return try await next(request, context)
    }
}
