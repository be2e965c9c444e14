import Access
import App
import AsyncHTTPClient
import FHIR
import Foundation
import NIOCore
import NIOHTTP1
import SQLKit
import Storage
import Testing
import WeijianTesting

/// Two `weijian serve` processes on one database with the same key file, as behind a load balancer: any of them
/// serves any request (a token issued once works on both, a write through one is read through the other, requests
/// dealt round-robin all succeed, one killed leaves the other serving), and the hourly jobs, which both take part
/// in, run once between them.
@Suite struct SharedDatabaseServersTests {
    /// One request to `server` (``DegradedDatabaseTests/request(_:_:_:_:token:body:)``): its status and body.
    static func request(_ client: HTTPClient, _ server: ServerProcess, _ method: HTTPMethod, _ path: String, token: String?, body: String? = nil) async throws -> (Int, String) {
        let (status, text, _) = try await DegradedDatabaseTests.request(client, server.port, method, path, token: token, body: body)
        return (status, text)
    }

    /// `weijian_job_runs_total{job="<job>",outcome="ok"}` in a server's /metrics (0 when it never ran it).
    static func successfulRuns(_ client: HTTPClient, _ server: ServerProcess, job: String) async throws -> Double {
        let (_, text) = try await request(client, server, .GET, "/metrics", token: nil)
        return text.split(separator: "\n")
            .filter { $0.hasPrefix("weijian_job_runs_total{") && $0.contains(#"job="\#(job)""#) && $0.contains(#"outcome="ok""#) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }

    @Test func twoServersOnOneDatabaseServeAnyRequestAndRunEachHourlyJobOnce() async throws {
        let (configuration, remove, folder, keyFile, secrets) = try await ServerProcess.scratch("shared")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var servers: [ServerProcess] = []
        do {
            let token = try await ServerProcess.platformToken(configuration, secrets: secrets)

            let url = TestDatabase.url(of: configuration)
            for name in ["a", "b"] {
                servers.append(try ServerProcess.start(database: url, keyFile: keyFile, logFile: folder + "/server-\(name).log"))
            }
            for server in servers { try await CrashSafetyTests.waitUntilReady(client, server) }
            let (a, b) = (servers[0], servers[1])

            // Written through one, read through the other, with the one token.
            let patient = #"{"resourceType":"Patient","id":"shared-1","active":true,"name":[{"text":"共享测试"}],"gender":"male","birthDate":"1970-05-06"}"#
            let (written, writeBody) = try await Self.request(client, a, .PUT, "/fhir/r4/Patient/shared-1", token: token, body: patient)
            #expect(written == 201, "\(writeBody.prefix(300))")
            let (read, readBody) = try await Self.request(client, b, .GET, "/fhir/r4/Patient/shared-1", token: token)
            #expect(read == 200 && readBody.contains("共享测试"), "\(readBody.prefix(300))")

            // Round-robin, as a load balancer deals them: every request answered, each server's writes seen by both.
            for index in 0..<20 {
                let server = servers[index % 2]
                let body = #"{"resourceType":"Patient","id":"shared-rr\#(index)","active":true,"birthDate":"1980-01-01"}"#
                let (status, text) = try await Self.request(client, server, .PUT, "/fhir/r4/Patient/shared-rr\(index)", token: token, body: body)
                #expect(status == 201, "\(text.prefix(300))")
            }
            let (counted, countBody) = try await Self.request(client, a, .GET, "/fhir/r4/Patient?_id=\((0..<20).map { "shared-rr\($0)" }.joined(separator: ","))&_summary=count", token: token)
            #expect(counted == 200 && countBody.contains(#""total":20"#), "\(countBody.prefix(300))")

            // Both servers tried the hourly run when they started; one claimed it. Wait until it has finished.
            let database = try await Database.open(configuration)
            var finished = false
            let deadline = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < deadline {
                let row = try await database.read { try await $0.raw("SELECT holder, last_finished FROM job_run WHERE name = 'hourly'").first() }
                if try row?.decode(column: "last_finished", as: String?.self) != nil { finished = true; break }
                try await Task.sleep(for: .milliseconds(200))
            }
            await database.shutdown()
            #expect(finished, "no hourly run finished:\n\(a.logTail())\n\(b.logTail())")
            var runs = 0.0
            for server in servers { runs += try await Self.successfulRuns(client, server, job: "chronic-reminders") }
            #expect(runs == 1, "the chronic reminders ran \(runs) times between the two servers")

            // One server gone: the other goes on serving.
            a.kill(SIGKILL)
            await a.waitForExit()
            let (after, afterBody) = try await Self.request(client, b, .GET, "/fhir/r4/Patient/shared-rr0", token: token)
            #expect(after == 200, "\(afterBody.prefix(300))")
        } catch {
            for server in servers { server.kill() }
            try? await client.shutdown()
            await remove()
            throw error
        }
        for server in servers { await server.stop() }
        try await client.shutdown()
        await remove()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
