import Access
import App
import AsyncHTTPClient
import FHIR
import Foundation
import NIOCore
import NIOHTTP1
import Storage
import Testing
import WeijianTesting

/// PostgreSQL stopped under a serving server: readiness fails and requests get 503 within about a second (not a hang,
/// not a 500); PostgreSQL started again: the same server process serves again, without a restart.
///
/// The test stops a PostgreSQL of its own (Debian's `initdb` and `pg_ctl` in a temporary folder on a free port, as the
/// `postgres` user when run as root), never the one the rest of the suite shares. It runs in the PostgreSQL pass only.
@Suite struct DegradedDatabaseTests {
    /// A PostgreSQL cluster of the test's own.
    struct PrivateCluster {
        let folder: String
        let port: Int
        let bin: String
        let asRoot: Bool

        var data: String { folder + "/data" }
        var url: String { "postgres://weijian@127.0.0.1:\(port)/postgres" }

        static func create() throws -> PrivateCluster {
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap { Int($0) }.sorted(by: >)
            guard let version = versions.first(where: { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }) else {
                throw ServerProcess.Unavailable(description: "no /usr/lib/postgresql/<version>/bin/initdb: install Debian's postgresql (scripts/postgres-up does)")
            }
            let folder = NSTemporaryDirectory() + "weijian-pg-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let cluster = PrivateCluster(folder: folder, port: try ServerProcess.freePort(), bin: "/usr/lib/postgresql/\(version)/bin", asRoot: getuid() == 0)
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
            if cluster.asRoot { try run(["/bin/chown", "postgres", folder]) }
            try cluster.tool("initdb", ["-D", cluster.data, "-U", "weijian", "--auth=trust", "-E", "UTF8", "--locale=C"])
            return cluster
        }

        func start() throws {
            try tool("pg_ctl", ["-D", data, "-l", folder + "/postgres.log", "-w", "-t", "30",
                                "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
        }

        func stop() throws { try tool("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]) }

        func remove() {
            _ = try? tool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
            try? FileManager.default.removeItem(atPath: folder)
        }

        @discardableResult
        func tool(_ name: String, _ arguments: [String]) throws -> String {
            try Self.run((asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + ["\(bin)/\(name)"] + arguments, output: folder + "/\(name).out")
        }

        /// Runs a command to its end, its output to a file. Not `Process`: on Linux it learns of a child's exit when every
        /// copy of a socket the child inherits is closed, and the postmaster that `pg_ctl start` leaves running keeps one;
        /// here `posix_spawn` and `waitpid`, with only standard input, output and error passed on.
        @discardableResult
        static func run(_ command: [String], output file: String = NSTemporaryDirectory() + "weijian-pg-\(UUID().uuidString).out") throws -> String {
            defer { try? FileManager.default.removeItem(atPath: file) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
            defer { for argument in argv { free(argument) } }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
            guard spawned == 0 else { throw ServerProcess.Unavailable(description: "\(command[0]) could not be started: \(String(cString: strerror(spawned)))") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            // Exited normally with status 0 (the low 7 bits hold a terminating signal, the next 8 the exit status).
            guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
                throw ServerProcess.Unavailable(description: "\(command.joined(separator: " ")) failed (wait status \(status)): \(text)")
            }
            return text
        }

    }

    /// One request: its status, body and how long it took.
    static func request(_ client: HTTPClient, _ port: Int, _ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async throws -> (Int, String, Duration) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/fhir+json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let started = ContinuousClock.now
        let response = try await client.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), text, ContinuousClock.now - started)
    }

    static let patient = #"{"resourceType":"Patient","name":[{"text":"降级测试"}],"gender":"male","birthDate":"1950-05-05"}"#

    @Test(.enabled(if: TestDatabase.engine == .postgres,
                   "PostgreSQL only: SQLite is embedded in the server process, there is no database server to stop (this is the SQLite pass)"))
    func postgresStoppedGivesQuick503sAndTheServerRecoversWhenItReturns() async throws {
        let cluster = try PrivateCluster.create()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var server: ServerProcess?
        do {
            try cluster.start()
            let configuration = try DatabaseConfiguration.parse(cluster.url)
            let keyFile = cluster.folder + "/keys.json"
            let secrets = try AccessSecrets.loadOrCreate(path: keyFile)
            let platform = try await Platform.open(configuration, secrets: secrets)
            let token = try await TokenService(secrets: secrets, database: platform.database, hasher: PasswordHasher(cost: 4), lifetime: .seconds(3600))
                .issue(for: TestServer.platformPrincipal)
            await platform.shutdown()

            let running = try ServerProcess.start(database: cluster.url, keyFile: keyFile, logFile: cluster.folder + "/server.log")
            server = running
            try await CrashSafetyTests.waitUntilReady(client, running)
            let (created, createdBody, _) = try await Self.request(client, running.port, .POST, "/fhir/r4/Patient", token: token, body: Self.patient)
            #expect(created == 201, "\(createdBody.prefix(300))")
            let id = (try? JSONValue.parse(Data(createdBody.utf8)))?["id"]?.stringValue ?? "missing"

            // PostgreSQL stops: every request that needs it is answered 503 within a couple of seconds.
            try cluster.stop()
            for (method, path, body) in [(HTTPMethod.GET, "/health/ready", nil), (.GET, "/fhir/r4/Patient/\(id)", nil), (.POST, "/fhir/r4/Patient", Self.patient),
                                         (.GET, "/fhir/r4/Patient?name=降级测试", nil), (.GET, "/health/ready", nil)] {
                let (status, text, took) = try await Self.request(client, running.port, method, path, token: path.hasPrefix("/health") ? nil : token, body: body)
                #expect(status == 503, "\(method) \(path): \(status) \(text.prefix(300))")
                #expect(took < .seconds(3), "\(method) \(path) took \(took) with PostgreSQL stopped")
            }
            let (live, _, _) = try await Self.request(client, running.port, .GET, "/health/live")
            #expect(live == 200)
            #expect(!running.exited, "the server exited when PostgreSQL stopped:\n\(running.logTail())")

            // PostgreSQL is back: the same process is ready again and reads and writes.
            try cluster.start()
            let deadline = ContinuousClock.now + .seconds(20)
            var ready = 0
            while ContinuousClock.now < deadline {
                ready = try await Self.request(client, running.port, .GET, "/health/ready").0
                if ready == 200 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(ready == 200, "not ready within 20 s of PostgreSQL's return:\n\(running.logTail())")
            let (read, readBody, _) = try await Self.request(client, running.port, .GET, "/fhir/r4/Patient/\(id)", token: token)
            #expect(read == 200 && readBody.contains("降级测试"), "\(read) \(readBody.prefix(300))")
            let (again, againBody, _) = try await Self.request(client, running.port, .POST, "/fhir/r4/Patient", token: token, body: Self.patient)
            #expect(again == 201, "\(again) \(againBody.prefix(300))")
            #expect(!running.exited)
            await running.stop()
        } catch {
            Issue.record("\(error)\n\(server?.logTail() ?? "")")
        }
        if let server, !server.exited { server.kill(); await server.waitForExit() }
        try? await client.shutdown()
        cluster.remove()
    }
}
