import Access
import App
import ArgumentParser
import AsyncHTTPClient
import FHIR
import Foundation
import Messaging
import NIOCore
import Registry
import SQLKit
import Storage

/// `weijian bench scale`: a large synthetic district on one engine, then the real server (a child process, as
/// `weijian serve` runs) measured from outside: start-up until `/health/ready`, FHIR search latency under
/// concurrent connections on loopback, the cockpit, and the server's peak resident memory.
///
/// The population: the first `--sample` residents go through the real FHIR ingest path (transaction Bundles
/// through `FHIRService`: parsing, validation, reference checks, every write hook, indexing), timed; the rest
/// through the demo seeder's path (`DemoDistrictSeeder.seedResidents`: the same validation, indexing and write
/// hooks through the store's writer, without Bundles to parse or references to resolve), timed separately.
struct BenchScale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scale", abstract: "Build a large synthetic district and measure ingest, size, search, cockpit, memory and start-up.")
    @Option(help: "Residents in the district.") var residents = 1_000_000
    @Option(help: "Residents ingested through the FHIR transaction path (the rest through the seeder's writer path).") var sample = 20_000
    @Option(help: "Residents per transaction Bundle of the sample.") var residentsPerBundle = 50
    @Option(help: "Search connections in flight at once.") var concurrency = 32
    @Option(help: "Requests per search query kind.") var requests = 3_000
    @Option(help: "Cockpit requests (one at a time).") var cockpitRequests = 100
    @Option(help: "Database URL; default a new SQLite file in a temporary folder. A PostgreSQL URL gets a fresh schema.") var database: String?
    @Flag(help: "Keep the database (and its key file) afterwards, and print how to measure it again with --existing.") var keep = false
    @Option(help: "Measure an existing database built by an earlier --keep run (its URL) instead of building one; when it holds fewer residents than --residents, the rest are added through the seeder's writer path first.") var existing: String?
    @Flag(help: "Build (or grow) the database and stop, keeping it: measure it later with --existing, on a quiet machine.") var loadOnly = false
    @Option(help: "The district (GB/T 2260).") var district = "310105"

    func run() async throws {
        let clock = ContinuousClock()
        let configuration: DatabaseConfiguration
        let drop: @Sendable () async throws -> Void
        if let existing {
            configuration = try DatabaseConfiguration.parse(existing)
            drop = {}
        } else {
            let base = try database.map(DatabaseConfiguration.parse) ?? DatabaseConfiguration(location: .sqliteFile(path: NSTemporaryDirectory() + "weijian-bench-\(UUID().uuidString).sqlite"))
            let fresh = try await BenchIngest.fresh(base, name: "scale")
            configuration = fresh.configuration
            drop = fresh.drop
        }
        let keyFile = Self.keyFile(for: configuration)
        let secrets = try AccessSecrets.loadOrCreate(path: keyFile)
        var figures: [(String, String)] = []
        Self.say("engine: \(configuration.engine.rawValue)  residents: \(residents)  database: \(configuration.url.replacingOccurrences(of: ":weijian@", with: ":***@"))")
        Self.say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB; load average \(Self.loadAverage())")

        // 1. The district.
        let platform = try await Platform.open(configuration, secrets: secrets)
        let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
        // The residents from number `first` up to `residents`, through the seeder's writer path, timed.
        func bulkLoad(from first: Int) async throws {
            let rest = residents - first
            if rest > 0 {
                let step = max(rest / 20, 1)
                let started = ContinuousClock.now
                let reported = Counter()
                var restResources = 0
                let bulk = try await clock.measure {
                    restResources = try await seeder.seedResidents(district: district, from: first, count: rest) { done in
                        let tick = (done - first) / step
                        if tick > reported.value, reported.increment() <= tick {
                            Self.say(String(format: "  … %d residents, %.0f s", done, Self.seconds(ContinuousClock.now - started)))
                        }
                    }
                }
                let bulkRate = Double(restResources) / Self.seconds(bulk)
                Self.say(String(format: "bulk load (the seeder's writer path: validation, indexing and write hooks, no Bundles): %d residents, %d resources in %.1f s: %.0f resources/s; load average %@",
                             rest, restResources, Self.seconds(bulk), bulkRate, Self.loadAverage()))
                figures.append(("bulk load, seeder's writer path (\(rest.formatted()) residents)", String(format: "%.0f resources/s (%.0f s)", bulkRate, Self.seconds(bulk))))
            }
            if platform.database.engine == .postgres {
                try await platform.database.write { try await $0.raw("ANALYZE").run() }
            }
        }
        if existing == nil {
            try await seeder.seedStaff(district: district)
            let sampleSize = min(sample, residents)
            let bundles = try seeder.transactionBundles(district: district, residents: sampleSize, residentsPerBundle: residentsPerBundle).map { $0.serializedData() }
            let sampleResources = try bundles.reduce(0) { $0 + ((try JSONValue.parse($1))["entry"]?.arrayValue?.count ?? 0) }
            let service = FHIRService(store: platform.fhir)
            let failures = Counter()
            let cpuBefore = BenchIngest.cpuSeconds()
            let ingest = try await clock.measure {
                try await BenchIngest.forEachIndex(bundles.count, concurrency: 2) { index in
                    let response = await service.handle(FHIRRequest(method: "POST", path: [], body: try JSONValue.parse(bundles[index])), base: "http://bench/fhir/r4")
                    if response.status != 200 { _ = failures.increment() }
                }
            }
            let ingestCPU = BenchIngest.cpuSeconds() - cpuBefore
            let ingestRate = Double(sampleResources) / Self.seconds(ingest)
            Self.say(String(format: "ingest (FHIR transaction Bundles of %d residents, 2 at a time): %d residents, %d resources in %.1f s: %.0f resources/s (failed Bundles: %d; CPU %.0f µs per resource); load average %@",
                         residentsPerBundle, sampleSize, sampleResources, Self.seconds(ingest), ingestRate, failures.value, ingestCPU * 1e6 / Double(max(1, sampleResources)), Self.loadAverage()))
            figures.append(("ingest, FHIR transaction path (\(sampleSize.formatted()) residents)", String(format: "%.0f resources/s", ingestRate)))

            try await bulkLoad(from: sampleSize)
        } else {
            // Residents are numbered from 0 in the order they were seeded: grow the district from the next number.
            let stored = try await platform.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM fhir_resource WHERE res_type = 'Patient'").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            Self.say("existing database: \(stored) residents")
            try await bulkLoad(from: stored)
        }
        if loadOnly {
            await platform.shutdown()
            Self.say("loaded: \(configuration.url) (key file \(keyFile)); measure it with: weijian bench scale --residents \(residents) --existing '\(configuration.url)'")
            return
        }
        let resources = try await platform.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM fhir_resource").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let size = try await Self.databaseSize(platform.database, configuration: configuration)
        Self.say(String(format: "database: %d resources, %.2f GiB", resources, Double(size) / Double(1 << 30)))
        figures.append(("resources stored", resources.formatted()))
        figures.append(("database size", String(format: "%.2f GiB (%.0f bytes per resource)", Double(size) / Double(1 << 30), Double(size) / Double(max(1, resources)))))

        // 2. The queries, from the stored residents (ID numbers are sealed at rest: read them through the store).
        let queries = try await Self.queries(platform, district: district, count: requests)
        let tokens = await TokenService(secrets: secrets, database: platform.database, hasher: PasswordHasher(cost: 4), lifetime: .seconds(3600))
        let platformToken = try await tokens.issue(for: Principal(subject: "bench-platform", role: .systemClient, displayName: "区域平台", district: district, scopes: ScopeSet.parse("system/*.read").0))
        let managerToken = try await tokens.issue(for: Principal(subject: "bench-manager", role: .commissionManager, displayName: "卫健委", district: district))
        // The hourly run is due again (a server claims it only an hour after the last one finished: an earlier
        // measurement of this database made one), so that the server below makes its first one at start.
        try await JobLease(database: platform.database).makeDue(JobLease.hourly)
        await platform.shutdown()

        // 3. The server as a child process: start-up, the first hourly run, searches, the cockpit, memory.
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let logFile = NSTemporaryDirectory() + "weijian-bench-scale-\(UUID().uuidString).log"
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: {
            var settings = HTTPClient.Configuration()
            settings.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
            return settings
        }())
        let launched = ContinuousClock.now
        let server = try ServerProcess.start(binary: binary, database: configuration.url, keyFile: keyFile, logFile: logFile, environment: ["LOG_LEVEL": "info"])
        var startUp: Duration?
        while startUp == nil {
            if server.exited { throw ValidationError("the server exited during start-up:\n\(server.logTail())") }
            if ContinuousClock.now - launched > .seconds(300) { server.kill(); throw ValidationError("the server was not ready in 300 s:\n\(server.logTail())") }
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/health/ready"), timeout: .seconds(2)), response.status.code == 200 {
                startUp = ContinuousClock.now - launched
            } else {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let startUpSeconds = startUp.map(Self.seconds) ?? 0
        Self.say(String(format: "start-up: %.2f s (process start until /health/ready answers 200); RSS %@", startUpSeconds, Self.mebibytes(server.residentKiB)))
        figures.append(("start-up (process start → /health/ready)", String(format: "%.2f s", startUpSeconds)))
        // The server's first hourly run (chronic reminders, early warning, every indicator of the district, enforcement)
        // starts with it; the searches are measured after it, not beside it.
        let hourly = try await Self.waitForLog(server, containing: "hourly run", timeout: .seconds(1800))
        Self.say(String(format: "first hourly run finished %.1f s after start (indicator recompute included); RSS %@, peak so far %@; load average %@",
                     Self.seconds(hourly - launched), Self.mebibytes(server.residentKiB), Self.mebibytes(server.peakResidentKiB), Self.loadAverage()))
        figures.append(("first hourly run (reminders, detection, indicators, enforcement)", String(format: "done %.0f s after start", Self.seconds(hourly - launched))))

        // The private part of the server's memory (RssAnon), sampled every 100 ms from here on: VmHWM counts the
        // database file's mapped pages too.
        let anonymousPeak = Counter()
        let sampler = Task {
            while !Task.isCancelled {
                if let kib = server.anonymousKiB { anonymousPeak.raise(to: kib) }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let base = "http://127.0.0.1:\(server.port)"
        // Warm-up: a few of each, not counted.
        for query in queries { _ = try? await Self.get(client, base + query.paths[0], token: platformToken) }
        for query in queries {
            let log = LatencyLog()
            let found = Counter()
            let paths = query.paths
            let elapsed = try await clock.measure {
                try await BenchIngest.forEachIndex(paths.count, concurrency: concurrency) { index in
                    let started = ContinuousClock.now
                    let (status, body) = try await Self.get(client, base + paths[index], token: platformToken)
                    log.add(ContinuousClock.now - started, ok: status == 200)
                    if status == 200, ((try? JSONValue.parse(body))?["entry"]?.arrayValue?.count ?? 0) > 0 { _ = found.increment() }
                }
            }
            let (latencies, failed) = log.snapshot()
            Self.say(String(format: "search %@: p50 %.1f ms  p99 %.1f ms  max %.1f ms  %.0f requests/s  (%d requests, %d in flight, %d failed, %d with matches); load average %@",
                         query.name, LatencyLog.percentile(latencies, 0.5), LatencyLog.percentile(latencies, 0.99), latencies.last ?? 0,
                         Double(latencies.count) / Self.seconds(elapsed), latencies.count, concurrency, failed, found.value, Self.loadAverage()))
            figures.append(("search: \(query.name), \(concurrency) connections", String(format: "p50 %.1f ms, p99 %.1f ms (%.0f/s)", LatencyLog.percentile(latencies, 0.5), LatencyLog.percentile(latencies, 0.99), Double(latencies.count) / Self.seconds(elapsed))))
        }
        for (name, path) in [("GET /cockpit (page)", "/cockpit"), ("GET /api/v1/indicators/cockpit", "/api/v1/indicators/cockpit")] {
            let log = LatencyLog()
            for _ in 0..<cockpitRequests {
                let started = ContinuousClock.now
                let (status, _) = try await Self.get(client, base + path, token: managerToken)
                log.add(ContinuousClock.now - started, ok: status == 200)
            }
            let (latencies, failed) = log.snapshot()
            Self.say(String(format: "%@: p50 %.1f ms  p95 %.1f ms  (%d requests one at a time, %d failed)", name, LatencyLog.percentile(latencies, 0.5), LatencyLog.percentile(latencies, 0.95), latencies.count, failed))
            figures.append(("cockpit: \(name), manager", String(format: "p50 %.1f ms, p95 %.1f ms", LatencyLog.percentile(latencies, 0.5), LatencyLog.percentile(latencies, 0.95))))
        }
        sampler.cancel()
        let peak = server.peakResidentKiB
        Self.say("server peak RSS (VmHWM): \(Self.mebibytes(peak)); now \(Self.mebibytes(server.residentKiB)) (private \(Self.mebibytes(server.anonymousKiB)), mapped files \(Self.mebibytes(server.fileKiB))); private memory's peak since the first hourly run, sampled: \(Self.mebibytes(anonymousPeak.value))")
        figures.append(("server peak RSS (VmHWM)", Self.mebibytes(peak)))
        figures.append(("server private memory (RssAnon), peak sampled during the searches and cockpit", Self.mebibytes(anonymousPeak.value)))
        try await client.shutdown()
        await server.stop()

        Self.say("\n| what | \(configuration.engine == .sqlite ? "SQLite" : "PostgreSQL"), \(residents.formatted()) residents |\n|---|---|")
        for (what, value) in figures { Self.say("| \(what) | \(value) |") }
        if keep || existing != nil {
            Self.say("\nkept: \(configuration.url) (key file \(keyFile)); measure again with: weijian bench scale --residents \(residents) --existing '\(configuration.url)'")
        } else {
            try await drop()
            try? FileManager.default.removeItem(atPath: keyFile)
        }
        try? FileManager.default.removeItem(atPath: logFile)
    }

    /// One kind of search, as request paths (with their query strings).
    struct Query {
        var name: String
        var paths: [String]
    }

    /// The three common searches, `count` of each, over randomly chosen stored residents, CHCs and days.
    static func queries(_ platform: Platform, district: String, count: Int) async throws -> [Query] {
        let patientIDs = try await platform.database.read { sql in
            // Every 97th resource's key: a spread of residents across the population, without sorting it.
            try await sql.raw("SELECT res_id FROM fhir_resource WHERE res_type = 'Patient' AND deleted = 0 AND res_key % 97 = 0 LIMIT \(literal: max(count, 1))").all()
                .map { try $0.decode(column: "res_id", as: String.self) }
        }
        guard !patientIDs.isEmpty else { throw ValidationError("no residents in the database") }
        var identifiers: [String] = []
        for id in patientIDs.prefix(1_000) {
            guard let stored = try await platform.fhir.read(type: "Patient", id: id), let patient = try? JSONValue.parse(Data(stored.content.utf8)) else { continue }
            if let value = patient["identifier"]?.arrayValue?.first?["value"]?.stringValue { identifiers.append(value) }
        }
        let chcs = Catalog.institutions.filter { $0.type == "chc" && $0.district == district }.map(\.id)
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        var random = SeededGenerator(seed: 12)
        func escaped(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
        let byIdentifier = (0..<count).map { index in
            "/fhir/r4/Patient?identifier=" + escaped("\(ResidentIDNumber.system)|\(identifiers[index % max(1, identifiers.count)])")
        }
        let observations = (0..<count).map { index in
            "/fhir/r4/Observation?patient=Patient/\(patientIDs[index % patientIDs.count])&code=" + escaped("http://loinc.org|85354-9") + "&date=ge\(year - 2)-01-01&date=lt\(year + 1)-01-01"
        }
        let encounters = (0..<count).map { _ in
            let day = String(format: "%04d-%02d-%02d", year - 1, Int.random(in: 1...12, using: &random), Int.random(in: 1...28, using: &random))
            return "/fhir/r4/Encounter?service-provider=Organization/\(chcs.randomElement(using: &random) ?? "")&date=\(day)"
        }
        return [Query(name: "Patient by identifier", paths: byIdentifier),
                Query(name: "a patient's Observations by code and date range", paths: observations),
                Query(name: "a CHC's Encounters of one day", paths: encounters)]
    }

    static func get(_ client: HTTPClient, _ url: String, token: String) async throws -> (UInt, Data) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 32 << 20)
        return (response.status.code, Data(body.readableBytesView))
    }

    /// Waits until the server's log has a line containing `text`; the time it was seen.
    static func waitForLog(_ server: ServerProcess, containing text: String, timeout: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if server.exited { throw ValidationError("the server exited:\n\(server.logTail())") }
            if ((try? String(contentsOfFile: server.logFile, encoding: .utf8)) ?? "").contains(text) { return .now }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("no '\(text)' in the server's log within \(timeout):\n\(server.logTail())")
    }

    /// The key file of a benchmark database: beside an SQLite file, else in the temporary folder.
    static func keyFile(for configuration: DatabaseConfiguration) -> String {
        switch configuration.location {
        case .sqliteFile(let path): return path + ".keys.json"
        case .postgres(_, _, _, _, let database, let searchPath): return NSTemporaryDirectory() + "weijian-bench-\(database)-\(searchPath ?? "public").keys.json"
        }
    }

    /// Bytes on disk: the SQLite file with its WAL, or the PostgreSQL schema's tables with their indexes and TOAST.
    static func databaseSize(_ database: Database, configuration: DatabaseConfiguration) async throws -> Int {
        switch configuration.location {
        case .sqliteFile(let path):
            return ["", "-wal"].reduce(0) { $0 + (((try? FileManager.default.attributesOfItem(atPath: path + $1))?[.size] as? Int) ?? 0) }
        case .postgres:
            return try await database.read { sql in
                try await sql.raw("""
                    SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')
                    """).first()?.decode(column: "bytes", as: Int.self) ?? 0
            }
        }
    }

    /// Prints a line and flushes it, so that a long run stopped midway (its output in a file) keeps what it printed.
    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func mebibytes(_ kib: Int?) -> String { kib.map { String(format: "%.0f MiB", Double($0) / 1024) } ?? "?" }

    static func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
}
