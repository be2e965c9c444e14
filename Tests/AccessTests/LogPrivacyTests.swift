import Access
import App
import FHIR
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Registry
import Synchronization
import Testing
import WeijianTesting

/// Keeps every log line of the process, at every level, for inspection.
final class CapturedLogs: Sendable {
    static let shared = CapturedLogs()
    let lines = Mutex<[String]>([])
    /// Installs the capturing handler once per process (swift-log allows one bootstrap).
    static let installed: Bool = {
        LoggingSystem.bootstrap { label in CapturingHandler(label: label) }
        return true
    }()
}

struct CapturingHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    // Debug and above: everything an operator can switch on with LOG_LEVEL=debug. (Trace is the drivers'
    // wire-level chatter, several hundred thousand lines a run on PostgreSQL.)
    var logLevel: Logger.Level = .debug
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = "\(event.level) \(label) \(event.message) \(merged) \(event.source) \(event.file)"
        CapturedLogs.shared.lines.withLock { $0.append(line) }
    }
}

@Suite struct LogPrivacyTests {
    /// A whole flow (seeding, sign-in, reads, searches by name and ID number, writes, refusals, bad input)
    /// leaves no seeded name, ID number or phone number in any log line at debug level or above.
    @Test func logsOfAFullFlowCarryNoPersonalData() async throws {
        #expect(CapturedLogs.installed)
        let seeded = Mutex<[String]>([])
        try await TestServer.run { server in
            let seeder = DemoDistrictSeeder(store: server.platform.fhir, registry: RegistryService(database: server.platform.database, fhir: server.platform.fhir))
            _ = try await seeder.seed(district: "310105", residents: 40, randomSeed: 5)
            try await DemoAccounts.create(platform: server.platform, district: "310105", bcryptCost: 4)
            var names: [String] = [], numbers: [String] = [], phones: [String] = []
            let patients = try await server.platform.fhir.search(try SearchRequest(type: "Patient", query: [("_count", "100")], definitions: .shared, strict: true))
            for stored in patients.matches {
                let patient = try JSONValue.parse(Data(stored.content.utf8))
                names += patient["name"]?.items.compactMap { $0["text"]?.stringValue } ?? []
                numbers += patient["identifier"]?.items.compactMap { $0["value"]?.stringValue } ?? []
                phones += patient["telecom"]?.items.compactMap { $0["value"]?.stringValue } ?? []
            }
            #expect(names.count >= 40 && numbers.count >= 40 && phones.count >= 10)
            seeded.withLock { $0 = names + numbers + phones }

            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            func token(_ user: String, _ password: String = DemoAccounts.password) async throws -> String? {
                try await server.client.execute(uri: "/auth/token", method: .post, headers: form,
                                                body: ByteBuffer(string: "grant_type=password&username=\(user)&password=\(password)")) { response in
                    (try? JSONValue.parse(Data(buffer: response.body)))?["access_token"]?.stringValue
                }
            }
            _ = try await token("doctor", "wrong-password-1")
            let doctor = AuthorizedClient(base: server.client, token: try #require(try await token("doctor")))
            let platformClient = try await server.client(as: TestServer.platformPrincipal)
            let encodedName = names[0].addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            for uri in ["/fhir/r4/Patient/p310105-0", "/fhir/r4/Observation?patient=p310105-0", "/fhir/r4/Patient?name=\(encodedName)",
                        "/fhir/r4/Patient?identifier=\(ResidentIDNumber.system)%7C\(numbers[1])", "/fhir/r4/Patient/p310105-1",
                        "/fhir/r4/Patient?telecom=\(phones[0])", "/api/v1/mpi/match?idNumber=\(numbers[2])"] {
                for client in [doctor, platformClient] as [any TestClientProtocol] {
                    _ = try await client.execute(uri: uri, method: .get) { $0.status }
                }
            }
            let bad = #"{"resourceType":"Patient","name":[{"text":"\#(names[3])"}],"identifier":[{"system":"\#(ResidentIDNumber.system)","value":"\#(numbers[3].dropLast())X"}],"telecom":[{"system":"phone","value":"\#(phones[1])"}]}"#
            _ = try await platformClient.execute(uri: "/fhir/r4/Patient", method: .post, headers: [.contentType: "application/fhir+json"], body: ByteBuffer(string: bad)) { $0.status }
            _ = try await platformClient.execute(uri: "/fhir/r4/Patient", method: .post, headers: [.contentType: "application/fhir+json"], body: ByteBuffer(string: "{\"name\": \"\(names[4])\"")) { $0.status }
            _ = try await doctor.execute(uri: "/fhir/r4/Patient?name=\(encodedName)", method: .get, headers: [HTTPField.Name("X-Break-Glass")!: "emergency"]) { $0.status }
        }
        let lines = CapturedLogs.shared.lines.withLock { $0 }
        #expect(lines.count > 3, "the flow should have logged something (migrations, server start)")
        let personal = seeded.withLock { $0 }
        #expect(personal.count > 90)
        let leaks = lines.filter { line in personal.contains { !$0.isEmpty && line.contains($0) } }
        #expect(leaks.isEmpty, "personal data in logs: \(leaks.prefix(3))")
    }
}
