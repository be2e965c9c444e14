import Hummingbird
import Logging
import Storage

/// Answers 503 (with `Retry-After`) when a request failed because the database cannot be used at the moment
/// (``Database/isUnavailable(_:)``: PostgreSQL stopped or unreachable, SQLite unwritable), instead of 500: the
/// request was fine and can be sent again. The database layer gives up on an unreachable PostgreSQL within about
/// a second (see `PostgresLease`), so requests are answered quickly rather than left hanging; when the database
/// is back the next request simply succeeds. Logs carry the error's kind, never the request's path or body.
struct DatabaseUnavailableMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch where Database.isUnavailable(error) {
            logger.warning("database unavailable; answered 503", metadata: ["error": "\(type(of: error))"])
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "5"], message: "数据库暂时不可用，请稍后重试 (the database is unavailable at the moment; try again shortly)")
        }
    }
}
