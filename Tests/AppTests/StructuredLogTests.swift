import App
import Foundation
import HTTPTypes
import Logging
import Synchronization
import Testing
import WeijianTesting

/// Structured logs and request ids: a JSON log line carries the request id Hummingbird gives a request, and every
/// answer (an error too) names that id.
@Suite struct StructuredLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func aLogLineIsOneJSONObjectWithTheRequestID() throws {
        let lines = Lines()
        var logger = Logger(label: "weijian") { JSONLogHandler(label: $0, write: lines.append) }
        logger[metadataKey: "hb.request.id"] = "4f2a-17"
        logger.info("hourly run", metadata: ["new signals": "3"])
        logger.debug("not at info level")
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "hourly run" && object["level"] as? String == "info" && object["label"] as? String == "weijian")
        #expect(object["request_id"] as? String == "4f2a-17")
        #expect((object["metadata"] as? [String: Any])?["new signals"] as? String == "3")
        #expect((object["time"] as? String)?.hasSuffix("+08:00") == true)
    }

    @Test func everyAnswerNamesItsRequest() async throws {
        try await TestServer.run { server in
            let ok = try await server.client.execute(uri: "/health/live", method: .get, headers: [:], body: nil) { $0.headers[HTTPField.Name("X-Request-Id")!] }
            let missing = try await server.client.execute(uri: "/api/v1/no-such-route", method: .get, headers: [:], body: nil) { ($0.status, $0.headers[HTTPField.Name("X-Request-Id")!]) }
            let refused = try await server.client.execute(uri: "/api/v1/supervision/cases", method: .get, headers: [:], body: nil) { ($0.status, $0.headers[HTTPField.Name("X-Request-Id")!]) }
            #expect(ok?.isEmpty == false)
            #expect(refused.0 == .unauthorized && refused.1?.isEmpty == false && refused.1 != ok)
            #expect(missing.0 == .notFound, "an unknown route still answers 404")
        }
    }
}
