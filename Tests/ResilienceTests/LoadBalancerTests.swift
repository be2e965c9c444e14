import Access
import App
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SQLKit
import Storage
import Testing
import WeijianTesting

/// Two `weijian serve` processes on one database behind a real load balancer: Debian's nginx (installed by
/// `scripts/test`), round-robin, reaching the servers from its own address (127.0.0.3), which the servers trust as
/// a proxy (`WEIJIAN_TRUSTED_PROXIES`). Checked through nginx: both servers serve; the audit trail and the limits
/// per address see the client's address, not nginx's nor one the client wrote into `X-Forwarded-For` itself; the
/// write limit of one principal is one limit across both servers (`WEIJIAN_RATE_LIMITS=database`); and with one
/// server killed, every request is still answered.
@Suite struct LoadBalancerTests {
    static var nginx: String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// nginx in front of `backends`, listening on 127.0.0.1:`port`, its files in `folder`.
    static func configuration(port: Int, backends: [Int], folder: String) -> String {
        """
        worker_processes 1;
        daemon off;
        pid \(folder)/nginx.pid;
        error_log \(folder)/nginx-error.log warn;
        events { worker_connections 256; }
        http {
            access_log \(folder)/nginx-access.log;
            client_body_temp_path \(folder)/nginx-body;
            proxy_temp_path \(folder)/nginx-proxy;
            fastcgi_temp_path \(folder)/nginx-fastcgi;
            uwsgi_temp_path \(folder)/nginx-uwsgi;
            scgi_temp_path \(folder)/nginx-scgi;
            upstream weijian {
        \(backends.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=30s;" }.joined(separator: "\n"))
                keepalive 8;
            }
            server {
                listen 127.0.0.1:\(port);
                location / {
                    proxy_pass http://weijian;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $host;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_bind 127.0.0.3;
                    proxy_connect_timeout 2s;
                    proxy_next_upstream error timeout http_502;
                }
            }
        }
        """
    }

    /// One request through the balancer: status and body.
    static func request(_ client: HTTPClient, _ port: Int, _ method: HTTPMethod, _ path: String, token: String?, body: String? = nil,
                        forwardedFor: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let forwardedFor { request.headers.add(name: "X-Forwarded-For", value: forwardedFor) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/fhir+json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// FHIR requests a server counted in its /metrics (`hb_requests` of the /fhir routes).
    static func fhirRequests(_ client: HTTPClient, _ server: ServerProcess) async throws -> Double {
        let (_, text) = try await SharedDatabaseServersTests.request(client, server, .GET, "/metrics", token: nil)
        return text.split(separator: "\n")
            .filter { $0.hasPrefix("hb_requests{") && $0.contains(#"http_route="/fhir/"#) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }

    @Test func twoServersBehindNginxShareLimitsSeeTheClientAndSurviveALoss() async throws {
        guard let nginx = Self.nginx else {
            Issue.record("nginx is not installed: scripts/test installs Debian's nginx-light (as root); or apt-get install nginx-light")
            return
        }
        let (configuration, remove, folder, keyFile, secrets) = try await ServerProcess.scratch("balancer")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var servers: [ServerProcess] = []
        var balancer: Process?
        func cleanUp() async {
            if let balancer, balancer.isRunning { balancer.terminate(); balancer.waitUntilExit() }
            for server in servers { server.kill() }
            try? await client.shutdown()
            await remove()
        }
        do {
            let token = try await ServerProcess.platformToken(configuration, secrets: secrets)

            let environment = ["WEIJIAN_WRITE_BURST": "10", "WEIJIAN_RATE_LIMITS": "database", "WEIJIAN_TRUSTED_PROXIES": "127.0.0.3",
                               "WEIJIAN_HOURLY_JOBS": "0"]
            for name in ["a", "b"] {
                servers.append(try ServerProcess.start(database: TestDatabase.url(of: configuration), keyFile: keyFile,
                                                       logFile: folder + "/server-\(name).log", environment: environment))
            }
            for server in servers { try await CrashSafetyTests.waitUntilReady(client, server) }

            let port = try ServerProcess.freePort()
            try Self.configuration(port: port, backends: servers.map(\.port), folder: folder).write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: nginx)
            process.arguments = ["-p", folder, "-c", folder + "/nginx.conf", "-e", folder + "/nginx-error.log"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            balancer = process
            var ready = false
            for _ in 0..<100 where !ready {
                if let (status, _) = try? await Self.request(client, port, .GET, "/health/ready", token: nil), status == 200 { ready = true } else {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let nginxLog = { (try? String(contentsOfFile: folder + "/nginx-error.log", encoding: .utf8)) ?? "" }
            try #require(ready, "nginx did not answer /health/ready: \(nginxLog())")

            // Through the balancer: the client's address in the audit trail, not nginx's, nor one it made up.
            let patient = #"{"resourceType":"Patient","id":"lb-1","active":true,"name":[{"text":"负载均衡"}],"gender":"female","birthDate":"1966-06-06"}"#
            let (written, writeBody) = try await Self.request(client, port, .PUT, "/fhir/r4/Patient/lb-1", token: token, body: patient, forwardedFor: "6.6.6.6")
            #expect(written == 201, "\(writeBody.prefix(300))")
            let database = try await Database.open(configuration)
            let sources = try await database.read { sql in
                try await sql.raw("SELECT source FROM audit_entry WHERE entity = 'Patient/lb-1'").all().map { try $0.decode(column: "source", as: String.self) }
            }
            await database.shutdown()
            #expect(!sources.isEmpty && sources.allSatisfy { $0 == "127.0.0.1" }, "audit sources \(sources)")

            // Reads dealt between the two servers.
            let before = try await servers.asyncMap { try await Self.fhirRequests(client, $0) }
            for _ in 0..<10 {
                let (status, text) = try await Self.request(client, port, .GET, "/fhir/r4/Patient/lb-1", token: token)
                #expect(status == 200 && text.contains("负载均衡"), "\(text.prefix(300))")
            }
            let after = try await servers.asyncMap { try await Self.fhirRequests(client, $0) }
            #expect(after[0] > before[0] && after[1] > before[1], "each server served some reads: \(before) → \(after)")

            // One principal's burst of 10 writes holds across both servers (per process it would be 10 each). The
            // first write above took one; the bucket regains one every 3 s, so at most one more comes back here.
            var accepted = 1
            var limited = 0
            let started = ContinuousClock.now
            for index in 0..<20 {
                let body = #"{"resourceType":"Patient","id":"lb-w\#(index)","active":true,"birthDate":"1980-01-01"}"#
                let (status, text) = try await Self.request(client, port, .PUT, "/fhir/r4/Patient/lb-w\(index)", token: token, body: body)
                if status == 201 { accepted += 1 } else {
                    #expect(status == 429 && text.contains("OperationOutcome"), "\(status) \(text.prefix(300))")
                    limited += 1
                }
            }
            let regained = Int((ContinuousClock.now - started) / .seconds(3)) + 1
            #expect(accepted >= 10 && accepted <= 10 + regained && limited > 0, "\(accepted) writes accepted, \(limited) limited, in \(ContinuousClock.now - started)")

            // One server killed: nginx finds it gone and every request is answered by the other.
            servers[0].kill(SIGKILL)
            await servers[0].waitForExit()
            for _ in 0..<10 {
                let (status, text) = try await Self.request(client, port, .GET, "/fhir/r4/Patient/lb-1", token: token)
                #expect(status == 200, "\(status) \(text.prefix(300))\n\(nginxLog().suffix(1000))")
            }
            let (ready2, _) = try await Self.request(client, port, .GET, "/health/ready", token: nil)
            #expect(ready2 == 200)
        } catch {
            await cleanUp()
            throw error
        }
        if let balancer, balancer.isRunning { balancer.terminate(); balancer.waitUntilExit() }
        for server in servers { await server.stop() }
        try await client.shutdown()
        await remove()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

extension Array {
    /// The results of `transform` on each element, in order, one after another.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
