public import Access
public import App
import Foundation
public import HTTPTypes
public import Hummingbird
public import HummingbirdTesting
public import Messaging
public import NIOCore

extension TestClientProtocol {
    /// A JSON request (`body` as given, if any) answered with its status and body.
    public func call(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, ByteBuffer) {
        try await execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: body.map { ByteBuffer(string: $0) }) { ($0.status, $0.body) }
    }
}

/// A test client that sends a bearer token with every request that does not carry its own Authorization.
public struct AuthorizedClient: TestClientProtocol {
    /// The underlying client.
    public let base: any TestClientProtocol
    /// The token sent.
    public let token: String

    /// Creates the client.
    public init(base: any TestClientProtocol, token: String) {
        self.base = base
        self.token = token
    }

    /// Sends the request with `Authorization: Bearer <token>`.
    public func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        return try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    /// The port of the live server.
    public var port: Int? { base.port }
}

/// A live server on a fresh database of the engine under test, with keys of its own.
public struct TestServer: Sendable {
    /// The platform behind the server.
    public let platform: Platform
    /// The raw client (no credentials).
    public let client: any TestClientProtocol
    /// Issues tokens the server accepts.
    public let tokens: TokenService

    /// A token for any principal (the test stands in for the token endpoint).
    public func token(_ principal: Principal) async throws -> String {
        try await tokens.issue(for: principal)
    }

    /// A client acting as `principal`.
    public func client(as principal: Principal) async throws -> AuthorizedClient {
        AuthorizedClient(base: client, token: try await token(principal))
    }

    /// The district exchange platform (`system/*.*`, district 310105): may read and write every record.
    public static let platformPrincipal = Principal(subject: "test-platform", role: .systemClient, displayName: "测试区域平台", district: "310105",
                                                    scopes: ScopeSet([Scope(context: .system, resourceType: "*", read: true, write: true)]))

    /// Runs `body` against a live server over real HTTP; the database is removed afterwards.
    /// Notifications go to `notificationSender` (by default a sender that drops them), dispatched every second;
    /// the hourly jobs do not run (tests call them).
    public static func run(maxBodyBytes: Int = 64 * 1024, writeBurst: Int = 600, notificationSender: any NotificationSender = DroppingSender(),
                           signalWebhook: String? = nil, _ body: @escaping @Sendable (TestServer) async throws -> Void) async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let secrets = AccessSecrets.generate()
        let platform = try await Platform.open(configuration, secrets: secrets)
        var settings = AppConfiguration(host: "127.0.0.1", port: 0, database: configuration, maxBodyBytes: maxBodyBytes, secrets: secrets, bcryptCost: 4)
        settings.writeBurst = writeBurst
        settings.notificationSender = notificationSender
        settings.notificationSeconds = 1
        settings.signalWebhook = signalWebhook
        settings.hourlyJobs = false
        let tokens = await TokenService(secrets: secrets, database: platform.database, hasher: PasswordHasher(cost: 4))
        do {
            let app = try await WeijianServer.application(platform: platform, configuration: settings)
            try await app.test(.live) { client in
                try await body(TestServer(platform: platform, client: client, tokens: tokens))
            }
        } catch {
            await platform.shutdown()
            await remove()
            throw error
        }
        await remove()
    }
}

/// A sender that delivers nothing (tests that are not about notifications).
public struct DroppingSender: NotificationSender {
    public init() {}
    public func send(_ message: OutboundMessage, to address: String) async throws {}
}
