import AsyncHTTPClient
import Foundation
import Messaging
import NIOCore
import NIOHTTP1

/// Posts a `webhook` message's JSON body to a URL (a district's command system, a chat bot's hook), with the
/// topic and message id in headers so that the receiver can drop repeats. Anything but a 2xx answer within
/// 10 seconds throws, and the dispatcher tries again on its next run.
public struct WebhookSender: NotificationSender {
    public init() {}

    struct Refused: Error { let status: UInt }

    public func send(_ message: OutboundMessage, to address: String) async throws {
        var request = HTTPClientRequest(url: address)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "X-Weijian-Topic", value: message.topic)
        request.headers.add(name: "X-Weijian-Message", value: message.id)
        request.body = .bytes(ByteBuffer(string: message.body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        // Read (and drop) the answer so that the connection can be reused.
        _ = try await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else { throw Refused(status: response.status.code) }
    }
}
