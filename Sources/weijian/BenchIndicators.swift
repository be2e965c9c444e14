import Access
import App
import ArgumentParser
import AsyncHTTPClient
import ChronicCare
import Foundation
import Indicators
import NIOCore
import Registry
import SQLKit
import Storage

/// `weijian bench indicators`: a district of N residents (the chronic benchmark's registers and readings, 1.5
/// outpatient visits a resident in the visit register, and a
/// contract in force for every third resident) written straight into the tables; then the full indicator
/// recompute of the district (every domain's source: contracting coverage by 街道, both chronic programmes'
/// rates by district and 街道, timeliness, vaccination coverage, resources, referral), timed; then the real
/// server on a loopback port answering the cockpit (`GET /cockpit`, the page) 200 times in a row, p50 and p95.
struct BenchIndicators: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "indicators", abstract: "Time a district's full indicator recompute and the cockpit page.")
    @Option(help: "Residents in the district.") var residents = 1_000_000
    @Option(help: "Cockpit requests.") var requests = 200
    @Option(help: "Database URL; default a new SQLite file in a temporary folder. A PostgreSQL URL gets a fresh schema, dropped afterwards.") var database: String?

    func run() async throws {
        let base = try database.map(DatabaseConfiguration.parse) ?? DatabaseConfiguration(location: .sqliteFile(path: NSTemporaryDirectory() + "weijian-bench-\(UUID().uuidString).sqlite"))
        let fresh = try await BenchIngest.fresh(base, name: "indicators")
        let secrets = AccessSecrets.generate()
        let platform = try await Platform.open(fresh.configuration, secrets: secrets)
        let clock = ContinuousClock()
        let today = CalendarDay.today()
        let chcs = Catalog.institutions.filter { $0.type == "chc" && $0.district == "310105" }.map(\.id)
        let fill = try await clock.measure {
            _ = try await BenchChronic.fill(platform, residents: residents, today: today)
            // A contract in force for every third resident (the coverage the plans ask about).
            var start = 0
            while start < residents {
                let end = min(residents, start + 2_000)
                let rows = stride(from: start + (3 - start % 3) % 3, to: end, by: 3).map { n in
                    "('bc\(n)', 'b\(n)', 'bench-fd\(n % 400)', '\(chcs[n % chcs.count])', '310105', NULL, NULL, NULL, 'basic', 'active', '\(CalendarDay.shift(today, days: -100))', '\(CalendarDay.shift(today, days: 265))', 'bench', 'bench', '\(today)', NULL, NULL, NULL)"
                }
                if !rows.isEmpty {
                    try await platform.database.write { sql in
                        try await sql.raw(SQLQueryString(stringLiteral: "INSERT INTO contract_agreement VALUES " + rows.joined(separator: ","))).run()
                    }
                }
                // Outpatient visits of the last year in the visit register: 0 to 3 a resident, about three in four at a CHC.
                let visits = (start..<end).flatMap { n in
                    (0..<(n % 4)).map { k in
                        "('bv\(n)-\(k)', 'b\(n)', '\((n + k) % 4 == 0 ? "cn-hosp-bench" : chcs[n % chcs.count])', \((n + k) % 4 == 0 ? 0 : 1), 'AMB', '\(CalendarDay.shift(today, days: -((n * 7 + k * 91) % 360)))')"
                    }
                }
                if !visits.isEmpty {
                    try await platform.database.write { sql in
                        try await sql.raw(SQLQueryString(stringLiteral: "INSERT INTO registry_visit (encounter_id, patient_id, organization_id, community, visit_class, day) VALUES " + visits.joined(separator: ","))).run()
                    }
                }
                start = end
            }
            try await ChronicService(store: platform.fhir).recomputeAll(on: today)
            try await DemoResources.seed(platform: platform, district: "310105")
            if platform.database.engine == .postgres {
                try await platform.database.write { try await $0.raw("ANALYZE").run() }
            }
        }
        let indicators = IndicatorService.platform(platform)
        var written = 0
        let recompute = try await clock.measure { written = try await indicators.recompute(district: "310105", on: today) }
        let second = try await clock.measure { _ = try await indicators.recompute(district: "310105", on: today) }
        var perSource: [(String, Duration)] = []
        for source in indicators.sources {
            let took = try await clock.measure { _ = try await source.values(district: "310105", on: today, period: IndicatorService.period(of: today)) }
            perSource.append((source.definitions.first.map(\.domain) ?? "?", took))
        }

        let port = try BenchBooking.freePort()
        var settings = AppConfiguration(host: "127.0.0.1", port: port, database: fresh.configuration, secrets: secrets, bcryptCost: 4, secureCookies: false, tokenSeconds: 3600)
        settings.hourlyJobs = false
        let app = try await WeijianServer.application(platform: platform, configuration: settings)
        let server = Task { try await app.runService() }
        let tokens = await TokenService(secrets: secrets, database: platform.database, hasher: PasswordHasher(cost: 4), lifetime: .seconds(3600))
        let token = try await tokens.issue(for: Principal(subject: "bench-manager", role: .commissionManager, displayName: "卫健委", district: "310105"))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        try await BenchBooking.waitUntilReady(client, port: port)
        let log = LatencyLog()
        for _ in 0..<requests {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/cockpit")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let started = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 4 << 20)
            log.add(ContinuousClock.now - started, ok: response.status.code == 200)
        }
        let (latencies, failed) = log.snapshot()
        func percentile(_ p: Double) -> Double { LatencyLog.percentile(latencies, p) }
        func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
        let cockpit = try await indicators.cockpit(district: "310105")
        print("engine: \(platform.database.engine.rawValue)  residents: \(residents)")
        print(String(format: "fill:       %.1f s (not the benchmark)", seconds(fill)))
        print(String(format: "recompute:  %.2f s  every indicator of the district, %d values (again, nothing changed: %.2f s)", seconds(recompute), written, seconds(second)))
        print("  by source: " + perSource.map { String(format: "%@ %.2f s", $0.0, seconds($0.1)) }.joined(separator: ", "))
        print(String(format: "cockpit:    p50 %.1f ms  p95 %.1f ms  over %d requests of GET /cockpit (%d failed)", percentile(0.5), percentile(0.95), latencies.count, failed))
        for status in cockpit where status.value != nil {
            print("  \(status.definition.code): \(status.value.map { String($0.value) } ?? "-") (target \(status.target.map { String($0) } ?? "-"), \(status.rag))")
        }
        try await client.shutdown()
        server.cancel()
        _ = await server.result
        await platform.shutdown()
        try await fresh.drop()
    }
}
