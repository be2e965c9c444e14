import App
import FHIR
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Registry
import Testing
import WeijianTesting

/// Runs `body` against the real server on a free port over real HTTP, as the district exchange
/// platform (a system client that may read and write every record).
func withServer(maxBodyBytes: Int = 64 * 1024, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    try await TestServer.run(maxBodyBytes: maxBodyBytes) { server in
        try await body(try await server.client(as: TestServer.platformPrincipal))
    }
}

let fhirJSON: HTTPFields = [.contentType: "application/fhir+json"]

func outcome(_ buffer: ByteBuffer) throws -> JSONValue {
    let value = try JSONValue.parse(Data(buffer: buffer))
    #expect(value["resourceType"] == .string("OperationOutcome"))
    #expect(value["issue"]?.arrayValue?.first?["diagnostics"]?.stringValue?.isEmpty == false)
    return value
}

@Suite struct HTTPTests {
    @Test func healthAndMetrics() async throws {
        try await withServer { client in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/fhir/r4/metadata", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("hb_requests"))
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(String(buffer: response.body).contains("卫健"))
            }
        }
    }

    @Test func createReadUpdateOverHTTP() async throws {
        try await withServer { client in
            let body = #"{"resourceType":"Patient","name":[{"text":"测试"}],"gender":"female"}"#
            let (location, etag) = try await client.execute(uri: "/fhir/r4/Patient", method: .post, headers: fhirJSON, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .created)
                #expect(response.headers[.contentType]?.hasPrefix("application/fhir+json") == true)
                return (response.headers[.location] ?? "", response.headers[.eTag] ?? "")
            }
            #expect(etag == #"W/"1""#)
            let path = try #require(URL(string: location)?.path.components(separatedBy: "/_history").first)
            let id = try #require(path.split(separator: "/").last.map(String.init))
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("测试"))
            }
            let update = #"{"resourceType":"Patient","id":"\#(id)","name":[{"text":"测试"}],"gender":"male"}"#
            var headers = fhirJSON
            headers[.ifMatch] = #"W/"1""#
            try await client.execute(uri: path, method: .put, headers: headers, body: ByteBuffer(string: update)) { #expect($0.status == .ok) }
            try await client.execute(uri: path, method: .put, headers: headers, body: ByteBuffer(string: update)) { response in
                #expect(response.status == .preconditionFailed)
                _ = try outcome(response.body)
            }
            let history = try await client.execute(uri: "\(path)/_history", method: .get) { try JSONValue.parse(Data(buffer: $0.body)) }
            #expect(history["total"] == .integer(2))
        }
    }

    @Test func badInputGetsClearErrorsNeverFiveHundred() async throws {
        try await withServer(maxBodyBytes: 4096) { client in
            let cases: [(String, HTTPRequest.Method, HTTPFields, String, HTTPResponse.Status)] = [
                ("/fhir/r4/Patient", .post, fhirJSON, "{not json", .badRequest),
                ("/fhir/r4/Patient", .post, fhirJSON, #"{"resourceType":"Observation","status":"final","code":{"text":"x"}}"#, .badRequest),
                ("/fhir/r4/Patient", .post, fhirJSON, #"{"name":[{"text":"无类型"}]}"#, .badRequest),
                ("/fhir/r4/Patient", .post, fhirJSON, #"[1,2,3]"#, .badRequest),
                ("/fhir/r4/Spaceship", .get, [:], "", .notFound),
                ("/fhir/r4/Patient", .post, [.contentType: "text/plain"], "hello", .unsupportedMediaType),
                ("/fhir/r4/Patient", .post, fhirJSON, #"{"resourceType":"Patient","identifier":[{"system":"\#(ResidentIDNumber.system)","value":"110105194912310021"}]}"#, .unprocessableContent),
                ("/fhir/r4/Patient", .post, fhirJSON, #"{"resourceType":"Patient","birthDate":"1980-02-30"}"#, .unprocessableContent),
                ("/fhir/r4/Patient", .post, fhirJSON, "{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"" + String(repeating: "x", count: 8000) + "\"}}", .contentTooLarge),
                ("/fhir/r4/Patient?birthdate=notadate", .get, [:], "", .badRequest),
                ("/fhir/r4/Patient?foo=bar", .get, [.init("Prefer")!: "handling=strict"], "", .badRequest),
                ("/fhir/r4/Patient/bad$id", .get, [:], "", .badRequest),
                ("/fhir/r4/Patient/x/_history/abc", .get, [:], "", .badRequest),
                ("/fhir/r4/Patient", .get, [.accept: "application/fhir+xml"], "", .notAcceptable),
                ("/fhir/r4/Patient?_format=xml", .get, [:], "", .notAcceptable),
                ("/fhir/r4/Patient", .post, fhirJSON, #"{"resourceType":"Patient","birthDate":"1950-01-01","identifier":[{"system":"\#(ResidentIDNumber.system)","value":"\#(ResidentIDNumber.make(addressCode: "310105", birthDate: "1951-01-01", sequence: 3, male: true))"}]}"#, .unprocessableContent),
            ]
            for (uri, method, headers, body, status) in cases {
                try await client.execute(uri: uri, method: method, headers: headers, body: body.isEmpty ? nil : ByteBuffer(string: body)) { response in
                    #expect(response.status == status, "\(method) \(uri) \(body.prefix(60)) → \(response.status)")
                    _ = try outcome(response.body)
                }
            }
            // Lenient by default: the unknown parameter is ignored and reported.
            try await client.execute(uri: "/fhir/r4/Patient?foo=bar", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Ignored unknown search parameters: foo"))
            }
            // Nothing from the failed requests was stored.
            let count = try await client.execute(uri: "/fhir/r4/Patient?_summary=count", method: .get) { try JSONValue.parse(Data(buffer: $0.body)) }
            #expect(count["total"] == .integer(0))
        }
    }

    @Test func searchPagesFollowNextLinks() async throws {
        try await withServer { client in
            for index in 0..<12 {
                let body = #"{"resourceType":"Patient","name":[{"family":"翻页","given":["\#(index)"]}]}"#
                try await client.execute(uri: "/fhir/r4/Patient", method: .post, headers: fhirJSON, body: ByteBuffer(string: body)) { #expect($0.status == .created) }
            }
            var uri: String? = "/fhir/r4/Patient?family=%E7%BF%BB%E9%A1%B5&_count=5"
            var ids: Set<String> = []
            var pages = 0
            while let current = uri {
                let bundle = try await client.execute(uri: current, method: .get) { try JSONValue.parse(Data(buffer: $0.body)) }
                pages += 1
                for entry in bundle["entry"]?.arrayValue ?? [] { ids.insert(entry["resource"]?["id"]?.stringValue ?? "") }
                let next = bundle["link"]?.arrayValue?.first { $0["relation"] == .string("next") }?["url"]?.stringValue
                uri = next.flatMap { URL(string: $0) }.map { $0.path + "?" + ($0.query ?? "") }
            }
            #expect(pages == 3 && ids.count == 12)
        }
    }
}
