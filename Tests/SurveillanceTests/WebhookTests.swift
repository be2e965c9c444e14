import Access
import App
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Messaging
import NIOCore
import Registry
import Storage
import Surveillance
import Testing
import WeijianTesting

/// New signals are posted to the configured webhook over real HTTP, retried when the receiver fails, and
/// carry no personal data.
@Suite struct WebhookTests {
    actor Received {
        var bodies: [(topic: String?, message: String?, body: String)] = []
        var failuresLeft = 1
        /// Refuses the first delivery (503), then takes them.
        func take(_ topic: String?, _ message: String?, _ body: String) -> Bool {
            if failuresLeft > 0 { failuresLeft -= 1; return false }
            bodies.append((topic, message, body))
            return true
        }
        func all() -> [(topic: String?, message: String?, body: String)] { bodies }
    }

    @Test func aNewSignalIsPostedToTheWebhookAndRetriedAfterAFailure() async throws {
        let received = Received()
        let router = Router()
        router.post("hook") { request, context -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let taken = await received.take(request.headers[HTTPField.Name("X-Weijian-Topic")!], request.headers[HTTPField.Name("X-Weijian-Message")!], String(buffer: body))
            return taken ? .ok : .serviceUnavailable
        }
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receiver.test(.live) { hook in
            let port = try #require(hook.port)
            try await TestServer.run(signalWebhook: "http://127.0.0.1:\(port)/hook") { server in
                try await RegistryService(database: server.platform.database, fhir: server.platform.fhir).loadCatalog()
                let chc = try #require(Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" && !$0.catchment.isEmpty })
                let place = try #require(chc.catchment.first)
                let cdc = try await server.client(as: Principal(subject: "cdc-w", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
                _ = try await cdc.execute(uri: "/api/v1/surveillance/streams/tip-off/items", method: .post, headers: [.contentType: "application/json"],
                                          body: ByteBuffer(string: #"{"subdistrict":"\#(place)","day":"\#(CalendarDay.today())","text":"居民反映小区多人呕吐"}"#)) { #expect($0.status == .created) }
                let made = try await cdc.execute(uri: "/api/v1/surveillance/signals/run", method: .post) { try JSONDecoder().decode([Signal].self, from: Data(buffer: $0.body)) }
                let signal = try #require(made.first)
                // The dispatcher runs every second: the first post is refused, the second taken.
                var bodies = await received.all()
                for _ in 0..<100 where bodies.isEmpty {
                    try await Task.sleep(for: .milliseconds(100))
                    bodies = await received.all()
                }
                let first = try #require(bodies.first)
                #expect(bodies.count == 1 && first.topic == "surveillance-signal" && first.message != nil)
                let json = try JSONDecoder().decode([String: String].self, from: Data(first.body.utf8))
                #expect(json["event"] == "signal.generated" && json["id"] == signal.id && json["subdistrict"] == place && json["disease"] == "tip-off"
                        && json["link"] == "/surveillance/signals/\(signal.id)", "\(json)")
                #expect(!first.body.contains("居民反映"), "the tip-off's own text is not sent out")
                // The dispatcher marks it sent once the receiver's answer is back (just after the body arrived).
                var counts = try await Outbox.counts(database: server.platform.database)
                for _ in 0..<100 where counts["sent"] != 1 {
                    try await Task.sleep(for: .milliseconds(100))
                    counts = try await Outbox.counts(database: server.platform.database)
                }
                #expect(counts["sent"] == 1 && counts["pending"] == nil, "\(counts)")
                // Running the model again makes no new signal and posts nothing more.
                _ = try await cdc.execute(uri: "/api/v1/surveillance/signals/run", method: .post) { #expect($0.status == .created) }
                try await Task.sleep(for: .milliseconds(1500))
                #expect(await received.all().count == 1)
            }
        }
    }
}
