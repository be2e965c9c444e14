import Access
import App
import ArgumentParser
import AsyncHTTPClient
import FHIR
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Referral
import Registry
import Storage

/// `weijian bench booking`: the real server on a loopback port, a family doctor's token, and N residents of
/// their panel each booking a different slot through `POST /api/v1/referral/appointments` with `concurrency`
/// requests in flight; prints bookings per second with the p50 and p99 latency, and checks that every slot
/// was booked once.
struct BenchBooking: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "booking", abstract: "Measure slot booking over HTTP on loopback (bookings/s, p50, p99).")
    @Option(help: "Bookings to make (one resident and one slot each).") var bookings = 5000
    @Option(help: "Requests in flight at once.") var concurrency = 16
    @Flag(help: "Count the rate limits in the database, as several servers behind a load balancer share them (WEIJIAN_RATE_LIMITS=database).") var sharedRateLimits = false
    @Option(help: "Database URL; default a new SQLite file in a temporary folder. A PostgreSQL URL gets a fresh schema, dropped afterwards.") var database: String?

    func run() async throws {
        let base = try database.map(DatabaseConfiguration.parse) ?? DatabaseConfiguration(location: .sqliteFile(path: NSTemporaryDirectory() + "weijian-bench-\(UUID().uuidString).sqlite"))
        let fresh = try await BenchIngest.fresh(base, name: "booking")
        let secrets = AccessSecrets.generate()
        let platform = try await Platform.open(fresh.configuration, secrets: secrets)
        let chc = Catalog.institutions.first { $0.type == "chc" && $0.district == "310105" }?.id ?? ""
        let clock = ContinuousClock()
        let setUp = try await clock.measure {
            try await RegistryService(database: platform.database, fhir: platform.fhir).loadCatalog()
            try await platform.fhir.write { writer in
                _ = try await writer.update(.object(["resourceType": .string("Practitioner"), "id": .string("bench-fd"), "name": .array([.object(["text": .string("家庭医生")])])]),
                                            type: "Practitioner", id: "bench-fd", ifMatch: nil)
            }
            var start = 0
            while start < bookings {
                let end = min(bookings, start + 500)
                try await platform.fhir.write { writer in
                    for index in start..<end {
                        _ = try await writer.update(.object([
                            "resourceType": .string("Patient"), "id": .string("bench-r\(index)"), "active": .bool(true), "birthDate": .string("1960-01-01"),
                            "name": .array([.object(["text": .string("居民\(index)")])]),
                            "managingOrganization": .object(["reference": .string("Organization/\(chc)")]),
                            "generalPractitioner": .array([.object(["reference": .string("Practitioner/bench-fd")])]),
                        ]), type: "Patient", id: "bench-r\(index)", ifMatch: nil)
                    }
                }
                start = end
            }
        }
        // 250 five-minute slots per schedule (00:00–20:50), one schedule per department and day from tomorrow.
        let service = ReferralService(store: platform.fhir)
        var slots: [String] = []
        var day = 1
        while slots.count < bookings {
            for department in Department.all where slots.count < bookings {
                let schedule = try await service.createSchedule(SchedulePlan(organization: "cn-tongren", department: department.code, practitioner: nil,
                                                                             day: CalendarDay.shift(CalendarDay.today(), days: day), start: "00:00", end: "20:50",
                                                                             slotMinutes: 5, reservedPercent: 20), actor: "bench")
                slots += try await service.slots(schedule: schedule.id).map(\.id)
            }
            day += 1
        }
        print("engine: \(platform.database.engine.rawValue)  bookings: \(bookings)  concurrency: \(concurrency)  rate limits: \(sharedRateLimits ? "in the database" : "in memory")  set-up: \(setUp)")

        let port = try Self.freePort()
        var settings = AppConfiguration(host: "127.0.0.1", port: port, database: fresh.configuration, secrets: secrets, bcryptCost: 4, secureCookies: false, tokenSeconds: 3600)
        settings.writeBurst = bookings * 2
        settings.sharedRateLimits = sharedRateLimits
        let app = try await WeijianServer.application(platform: platform, configuration: settings)
        let server = Task { try await app.runService() }
        let tokens = await TokenService(secrets: secrets, database: platform.database, hasher: PasswordHasher(cost: 4), lifetime: .seconds(3600))
        let token = try await tokens.issue(for: Principal(subject: "bench-doctor", role: .familyDoctor, displayName: "家庭医生", institution: chc, practitioner: "bench-fd"))
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let url = "http://127.0.0.1:\(port)/api/v1/referral/appointments"
        try await Self.waitUntilReady(client, port: port)

        let results = LatencyLog()
        let slotIDs = slots, total = bookings
        let cpuBefore = BenchIngest.cpuSeconds()
        let elapsed = try await clock.measure {
            try await BenchIngest.forEachIndex(total, concurrency: concurrency) { index in
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: #"{"slot":"\#(slotIDs[index])","patient":"bench-r\#(index)"}"#))
                let started = ContinuousClock.now
                let response = try await client.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 20)
                results.add(ContinuousClock.now - started, ok: response.status.code == 201)
            }
        }
        let cpu = BenchIngest.cpuSeconds() - cpuBefore
        let (latencies, failed) = results.snapshot()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        func percentile(_ p: Double) -> Double { LatencyLog.percentile(latencies, p) }
        let booked = try await platform.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n, COUNT(DISTINCT slot_id) AS d FROM referral_appointment WHERE status = 'booked'").first().map {
                (try $0.decode(column: "n", as: Int.self), try $0.decode(column: "d", as: Int.self))
            } ?? (0, 0)
        }
        print(String(format: "bookings/s: %.0f  p50: %.1f ms  p99: %.1f ms  (%d booked on %d distinct slots, %d refused, %.1f s; CPU of server and client %.2f ms per booking)",
                     Double(latencies.count - failed) / seconds, percentile(0.5), percentile(0.99), booked.0, booked.1, failed, seconds, cpu * 1000 / Double(max(1, total))))
        try await client.shutdown()
        server.cancel()
        _ = await server.result
        await platform.shutdown()
        try await fresh.drop()
    }

    static func freePort() throws -> Int { try ServerProcess.freePort() }

    static func waitUntilReady(_ client: HTTPClient, port: Int) async throws {
        for _ in 0..<200 {
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/ready"), timeout: .seconds(2)), response.status.code == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the server did not become ready on port \(port)")
    }
}

/// Latencies (milliseconds) and refusals collected by the benchmark's workers.
final class LatencyLog: Sendable {
    private let storage = Mutex<(latencies: [Double], failed: Int)>(([], 0))
    func add(_ duration: Duration, ok: Bool) {
        let millis = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        storage.withLock { $0.latencies.append(millis); if !ok { $0.failed += 1 } }
    }
    /// Sorted latencies and the number refused.
    func snapshot() -> ([Double], Int) { storage.withLock { ($0.latencies.sorted(), $0.failed) } }

    /// The `p` quantile (0…1) of sorted latencies, 0 for none.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }
}

import Synchronization
