import Hummingbird
import Messaging
import Storage

extension OutboundMessage: ResponseEncodable {}

/// A resident's own notifications (我的消息): `GET /api/v1/me/messages`, newest first.
struct MessagingRoutes {
    typealias Context = AppRequestContext
    let database: Database

    func register(on router: Router<Context>) {
        router.group("api/v1").get("me/messages") { _, context -> [OutboundMessage] in
            let principal = try context.require(.resident)
            guard let patient = principal.patient else { throw HTTPError(.forbidden, message: "账号未关联居民档案") }
            return try await Outbox.messages(for: patient, database: database)
        }
    }
}
