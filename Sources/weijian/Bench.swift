import Access
import App
import ArgumentParser
import FHIR
import Foundation
import Registry
import Storage

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks that print figures (not tests).", subcommands: [BenchIngest.self, BenchAudit.self, BenchChronic.self, BenchDetectors.self, BenchBooking.self, BenchIndicators.self, BenchScale.self])
}

/// `weijian bench ingest`: synthetic residents with their records, each as one transaction Bundle
/// (as an EMR pushes them), through the FHIR service; then the same rows inserted raw as the ceiling.
struct BenchIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Measure FHIR transaction-Bundle ingest against the raw insert ceiling.")
    @Option(help: "Residents to ingest.") var residents = 3000
    @Option(help: "Residents per transaction Bundle (1: each resident's record alone, as an EMR pushes one visit's worth).") var residentsPerBundle = 1
    @Option(help: "Bundles processed at once.") var concurrency = 2
    @Option(help: "Database URL; default a new SQLite file in a temporary folder. A PostgreSQL URL gets fresh schemas, dropped afterwards.") var database: String?
    @Option(help: "District whose institutions the records refer to.") var district = "310105"

    /// The domains' tables that write hooks fill during an ingest: their rows belong in the ceiling too.
    static let hookTables: [FHIRRawRows.Layout] = [
        ("mpi_person", [("patient_id", .text), ("id_number_hash", .optionalText), ("full_name", .optionalText), ("birth_date", .optionalText),
                        ("gender", .optionalText), ("phone_hash", .optionalText), ("active", .int), ("merged_into", .optionalText)]),
        ("registry_resident", [("patient_id", .text), ("district", .optionalText), ("subdistrict", .optionalText), ("organization_id", .optionalText),
                               ("birth_date", .optionalText), ("gender", .optionalText), ("household", .optionalText), ("active", .int), ("practitioner_id", .optionalText)]),
        ("contract_group_fact", [("source", .text), ("group_code", .text), ("patient_id", .text)]),
        ("chronic_reading", [("source", .text), ("patient_id", .text), ("kind", .text), ("taken_on", .text), ("value1", .double), ("value2", .optionalDouble)]),
        ("chronic_enrolment", [("patient_id", .text), ("programme", .text), ("status", .text), ("source", .text), ("since", .text), ("last_follow_up", .optionalText),
                               ("next_due", .optionalText), ("follow_ups_year", .int), ("controlled", .optionalInt), ("uncontrolled_streak", .int)]),
    ]

    func run() async throws {
        let base = try database.map(DatabaseConfiguration.parse) ?? DatabaseConfiguration(location: .sqliteFile(path: NSTemporaryDirectory() + "weijian-bench-\(UUID().uuidString).sqlite"))
        let ingestDB = try await Self.fresh(base, name: "ingest")
        let platform = try await Platform.open(ingestDB.configuration, secrets: AccessSecrets.generate())
        let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
        try await seeder.seedStaff(district: district)
        let before = try await platform.fhir.rawRows(including: Self.hookTables)
        let bundles = try seeder.transactionBundles(district: district, residents: residents, residentsPerBundle: residentsPerBundle).map { $0.serializedData() }
        let resourceCount = try bundles.reduce(0) { $0 + ((try JSONValue.parse($1))["entry"]?.arrayValue?.count ?? 0) }
        let bytes = bundles.reduce(0) { $0 + $1.count }
        print("engine: \(platform.database.engine.rawValue)  residents: \(residents)  bundles: \(bundles.count)  resources: \(resourceCount)  payload: \(bytes / 1024) KiB")

        let service = FHIRService(store: platform.fhir)
        let clock = ContinuousClock()
        let cpuBefore = Self.cpuSeconds()
        let failures = Counter()
        let elapsed = try await clock.measure {
            try await Self.forEachIndex(bundles.count, concurrency: concurrency) { index in
                let body = try JSONValue.parse(bundles[index])
                let response = await service.handle(FHIRRequest(method: "POST", path: [], body: body), base: "http://bench/fhir/r4")
                if response.status != 200 { _ = failures.increment() }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let ingestRate = Double(resourceCount) / seconds
        let cpu = Self.cpuSeconds() - cpuBefore
        print(String(format: "ingest:  %.2f s  %8.0f resources/s  %6.1f bundles/s  (failed bundles: %d; CPU %.2f s, %.0f µs per resource)",
                     seconds, ingestRate, Double(bundles.count) / seconds, failures.value, cpu, cpu * 1e6 / Double(resourceCount)))

        // Ceiling: the rows the ingest stored, inserted raw in as many transactions.
        let after = try await platform.fhir.rawRows(including: Self.hookTables)
        let added = after.subtracting(before)
        await platform.shutdown()
        let ceilingDB = try await Self.fresh(base, name: "ceiling")
        let ceilingPlatform = try await Platform.open(ceilingDB.configuration, secrets: AccessSecrets.generate())
        let ingestedRows = added.count
        let ceilingCPUBefore = Self.cpuSeconds()
        let ceilingElapsed = try await clock.measure {
            for part in 0..<bundles.count {
                try await ceilingPlatform.fhir.insertRaw(added, part: part, of: bundles.count)
            }
        }
        let ceilingCPU = Self.cpuSeconds() - ceilingCPUBefore
        let ceilingSeconds = Double(ceilingElapsed.components.seconds) + Double(ceilingElapsed.components.attoseconds) / 1e18
        let ceilingRate = Double(resourceCount) / ceilingSeconds
        print(String(format: "ceiling: %.2f s  %8.0f resources/s  (%d rows raw: resources, history, search index, and the rows the write hooks added; CPU %.2f s)", ceilingSeconds, ceilingRate, ingestedRows, ceilingCPU))
        print(String(format: "ingest / ceiling: %.0f%%", 100 * ingestRate / ceilingRate))
        await ceilingPlatform.shutdown()
        try await ingestDB.drop()
        try await ceilingDB.drop()
    }

    /// CPU time (user and system) this process has used so far, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Runs `body` for every index below `total`, `concurrency` at a time (each worker takes the next index).
    static func forEachIndex(_ total: Int, concurrency: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    while true {
                        let index = next.increment() - 1
                        guard index < total else { return }
                        try await body(index)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// A fresh database for one run: a new SQLite file, or a new PostgreSQL schema.
    struct Fresh {
        var configuration: DatabaseConfiguration
        var drop: @Sendable () async throws -> Void
    }

    static func fresh(_ base: DatabaseConfiguration, name: String) async throws -> Fresh {
        switch base.location {
        case .sqliteFile(let path):
            let file = path.replacingOccurrences(of: ".sqlite", with: "-\(name).sqlite")
            return Fresh(configuration: DatabaseConfiguration(location: .sqliteFile(path: file))) {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
            }
        case .postgres(let host, let port, let username, let password, let database, _):
            let schema = "bench_\(name)_\(UInt32.random(in: 0...UInt32.max))"
            let admin = try await Database.open(base)
            try await admin.write { try await $0.raw("CREATE SCHEMA \(ident: schema)").run() }
            await admin.shutdown()
            let configuration = DatabaseConfiguration(location: .postgres(host: host, port: port, username: username, password: password, database: database, searchPath: schema))
            return Fresh(configuration: configuration) {
                let admin = try await Database.open(base)
                try await admin.write { try await $0.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
                await admin.shutdown()
            }
        }
    }
}

/// A thread-safe counter for the benchmark's workers.
final class Counter: Sendable {
    private let storage = Mutex(0)
    func increment() -> Int { storage.withLock { $0 += 1; return $0 } }
    var value: Int { storage.withLock { $0 } }
    /// Keeps the larger of the value and `candidate`.
    func raise(to candidate: Int) { storage.withLock { $0 = max($0, candidate) } }
}

import Synchronization
