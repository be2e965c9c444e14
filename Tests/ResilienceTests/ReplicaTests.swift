import Access
import App
import FHIR
import Foundation
import SQLKit
import Storage
import Testing
import WeijianTesting

/// Read scaling on PostgreSQL: with a streaming replica configured (`DATABASE_REPLICA_URL`), FHIR search and read go
/// to the replica and every write to the primary.
///
/// Runs in the PostgreSQL pass when `WEIJIAN_TEST_REPLICA_URL` names a hot standby of that primary
/// (`scripts/postgres-replica-up`, which `.ci/run` starts). The proof that a search is served by the replica: replay
/// is paused on the replica (`pg_wal_replay_pause()`, which the script lets the test role call), a resident is written
/// on the primary, and the REST search and read do not see it while the primary does; after replay resumes they do.
@Suite struct ReplicaTests {
    static var replicaURL: String? {
        guard let url = ProcessInfo.processInfo.environment["WEIJIAN_TEST_REPLICA_URL"], !url.isEmpty else { return nil }
        return url
    }

    static let patientQuery: [(String, String)] = [("family", "复制测试")]

    static func patient(_ id: String) -> JSONValue {
        .object(["resourceType": .string("Patient"), "id": .string(id), "name": .array([.object(["family": .string("复制测试"), "given": .array([.string(id)])])])])
    }

    @Test(.enabled(if: replicaURL != nil && TestDatabase.engine == .postgres, "needs WEIJIAN_TEST_REPLICA_URL and the PostgreSQL pass"))
    func searchesGoToTheReplicaAndWritesToThePrimary() async throws {
        let (fresh, remove) = try await TestDatabase.fresh()
        guard case .postgres(_, _, _, _, _, let schema) = fresh.location, let url = Self.replicaURL,
              case .postgres(let host, let port, let user, let password, let database, _) = try DatabaseConfiguration.parse(url).location else {
            Issue.record("the test database and the replica must be PostgreSQL")
            await remove()
            return
        }
        var configuration = fresh
        configuration.replica = .postgres(host: host, port: port, username: user, password: password, database: database, searchPath: schema)
        let platform = try await Platform.open(configuration, secrets: .generate())
        let primary = platform.database
        let replica = primary.reader
        #expect(primary.hasReplica && replica !== primary)
        let service = FHIRService(store: platform.fhir)
        func restSearch() async throws -> Int {
            let response = await service.handle(FHIRRequest(method: "GET", path: ["Patient"], query: Self.patientQuery), base: "http://test/fhir/r4")
            guard response.status == 200, case .json(let bundle) = response.body else { throw ReplicaTestFailure(description: "search answered \(response.status)") }
            return bundle["entry"]?.arrayValue?.count ?? 0
        }
        func restRead(_ id: String) async -> Int {
            await service.handle(FHIRRequest(method: "GET", path: ["Patient", id]), base: "http://test/fhir/r4").status
        }
        var paused = false
        do {
            // A write through the REST API goes to the primary (the replica would refuse it), and reaches the replica.
            let created = await service.handle(FHIRRequest(method: "PUT", path: ["Patient", "rep-1"], body: Self.patient("rep-1")), base: "http://test/fhir/r4")
            #expect(created.status == 201)
            try await Self.waitForReplay(primary: primary, replica: replica)
            #expect(try await restSearch() == 1)
            #expect(await restRead("rep-1") == 200)

            // Replay paused: a resident written now is on the primary but not on the replica, and the REST API does not see it.
            try await replica.read { try await $0.raw("SELECT pg_wal_replay_pause()").run() }
            paused = true
            let second = await service.handle(FHIRRequest(method: "PUT", path: ["Patient", "rep-2"], body: Self.patient("rep-2")), base: "http://test/fhir/r4")
            #expect(second.status == 201)
            let onPrimary = try await platform.fhir.search(try SearchRequest(type: "Patient", query: Self.patientQuery, definitions: .shared, strict: true))
            #expect(onPrimary.matches.count == 2)
            #expect(try await restSearch() == 1)
            #expect(await restRead("rep-2") == 404)

            // Resumed: the replica catches up and the search sees both.
            try await replica.read { try await $0.raw("SELECT pg_wal_replay_resume()").run() }
            paused = false
            try await Self.waitForReplay(primary: primary, replica: replica)
            #expect(try await restSearch() == 2)
            #expect(await restRead("rep-2") == 200)

            // The replica is read-only: a write sent there fails; the platform never sends one.
            await #expect(throws: (any Error).self) {
                try await replica.write { try await $0.raw("CREATE TABLE replica_write_probe (x integer)").run() }
            }
        } catch {
            if paused { try? await replica.read { try await $0.raw("SELECT pg_wal_replay_resume()").run() } }
            await platform.shutdown()
            await remove()
            throw error
        }
        await platform.shutdown()
        await remove()
    }

    /// Waits (10 s at most) until the replica has replayed everything the primary has written so far.
    static func waitForReplay(primary: Database, replica: Database) async throws {
        let target = try await primary.read { try await $0.raw("SELECT pg_current_wal_lsn()::text AS lsn").first()?.decode(column: "lsn", as: String.self) } ?? "0/0"
        for _ in 0..<200 {
            let caughtUp = try await replica.read {
                try await $0.raw("SELECT pg_last_wal_replay_lsn() >= \(bind: target)::pg_lsn AS done").first()?.decode(column: "done", as: Bool.self)
            } ?? false
            if caughtUp { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ReplicaTestFailure(description: "the replica did not replay up to \(target) within 10 s")
    }

    @Test func replicaURLIsReadFromTheEnvironmentBesideAPostgreSQLPrimary() throws {
        let configuration = try DatabaseConfiguration.fromEnvironment([
            "DATABASE_URL": "postgres://u:p@db1:5432/weijian", "DATABASE_REPLICA_URL": "postgres://u:p@db2:5433/weijian",
        ])
        #expect(configuration.replica == .postgres(host: "db2", port: 5433, username: "u", password: "p", database: "weijian", searchPath: nil))
        #expect(try DatabaseConfiguration.fromEnvironment(["DATABASE_URL": "postgres://u:p@db1:5432/weijian"]).replica == nil)
        // A replica of an SQLite file, or an SQLite "replica", is refused rather than ignored.
        #expect(throws: DatabaseConfiguration.InvalidURL.self) {
            try DatabaseConfiguration.fromEnvironment(["DATABASE_URL": "sqlite:///tmp/x.sqlite", "DATABASE_REPLICA_URL": "postgres://u:p@db2:5433/weijian"])
        }
        #expect(throws: DatabaseConfiguration.InvalidURL.self) {
            try DatabaseConfiguration.fromEnvironment(["DATABASE_URL": "postgres://u:p@db1:5432/weijian", "DATABASE_REPLICA_URL": "sqlite:///tmp/x.sqlite"])
        }
    }
}

struct ReplicaTestFailure: Error, CustomStringConvertible {
    let description: String
}
