import App
import Foundation
import Testing
import WeijianTesting

/// The configuration file: its settings beneath the environment, and bad files or values stopping start-up with
/// a message that names what to change.
@Suite struct ConfigurationFileTests {
    static func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "weijian-config-\(UUID().uuidString).json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func settingsComeFromTheFileAndTheEnvironmentWins() throws {
        let path = try Self.write(#"{"WEIJIAN_BCRYPT_COST": 5, "WEIJIAN_COOKIE_SECURE": false, "WEIJIAN_BASE_URL": "https://jk.example.cn/", "WEIJIAN_TOKEN_SECONDS": 600}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let merged = try ConfigurationFile.environment(path: path, ["WEIJIAN_TOKEN_SECONDS": "1200", "HOME": "/root"])
        #expect(merged["WEIJIAN_BCRYPT_COST"] == "5" && merged["WEIJIAN_COOKIE_SECURE"] == "0" && merged["WEIJIAN_TOKEN_SECONDS"] == "1200" && merged["HOME"] == "/root")
        let configuration = try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: merged)
        #expect(configuration.bcryptCost == 5 && !configuration.secureCookies && configuration.tokenSeconds == 1200)
        #expect(configuration.publicBaseURL == "https://jk.example.cn")
        // SQLite's page cache per connection: 64 MiB unless set, and only within its range.
        #expect(configuration.database.sqliteCacheMiB == 64)
        #expect(try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: ["WEIJIAN_SQLITE_CACHE_MIB": "16"]).database.sqliteCacheMiB == 16)
        #expect(throws: AppConfiguration.InvalidSetting.self) { try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: ["WEIJIAN_SQLITE_CACHE_MIB": "1"]) }
        #expect(try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: ["WEIJIAN_SQLITE_MMAP_MIB": "256"]).database.sqliteMmapMiB == 256)
        #expect(throws: AppConfiguration.InvalidSetting.self) { try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: ["WEIJIAN_SQLITE_MMAP_MIB": "-1"]) }
        // Rate limits in memory unless set to the database; trusted proxies parsed, and a bad one named.
        #expect(!configuration.sharedRateLimits && configuration.trustedProxies.isEmpty)
        let balanced = try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: ["WEIJIAN_RATE_LIMITS": "database", "WEIJIAN_TRUSTED_PROXIES": "10.0.0.5, 10.0.1.0/24"])
        #expect(balanced.sharedRateLimits && balanced.trustedProxies.contains("10.0.1.77") && !balanced.trustedProxies.contains("10.0.0.6"))
        #expect(throws: AppConfiguration.InvalidSetting.self) { try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: ["WEIJIAN_RATE_LIMITS": "redis"]) }
        do {
            _ = try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: ["WEIJIAN_TRUSTED_PROXIES": "10.0.0.5, lb.example.cn"])
            Issue.record("a host name was taken as a trusted proxy")
        } catch let error as AppConfiguration.InvalidSetting {
            #expect(error.description.contains("'lb.example.cn' is not an IP address"), "\(error)")
        }
        // WEIJIAN_CONFIG names the file when no path is given; without either the environment is as it was.
        #expect(try ConfigurationFile.environment(["WEIJIAN_CONFIG": path])["WEIJIAN_BCRYPT_COST"] == "5")
        #expect(try ConfigurationFile.environment(["A": "b"]) == ["A": "b"])
    }

    @Test func badFilesAreRefusedWithAMessageNamingTheProblem() throws {
        let cases: [(String, String)] = [
            (#"{"WEIJIAN_BCRYPT_COSTS": 5}"#, #"unknown setting "WEIJIAN_BCRYPT_COSTS""#),
            (#"["DATABASE_URL"]"#, "must be a JSON object"),
            (#"{"DATABASE_URL": "#, "is not JSON"),
            (#"{"WEIJIAN_PORT": [8080]}"#, "must be a string, a number or true/false"),
        ]
        for (text, fragment) in cases {
            let path = try Self.write(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                _ = try ConfigurationFile.environment(path: path, [:])
                Issue.record("\(text) accepted")
            } catch let error as ConfigurationFile.Invalid {
                #expect(error.description.contains(fragment) && error.description.contains(path), "\(error)")
            }
        }
        #expect(throws: ConfigurationFile.Invalid.self) { _ = try ConfigurationFile.environment(path: "/nonexistent/weijian.json", [:]) }
        // A known setting with a bad value is refused where it is read.
        let path = try Self.write(#"{"WEIJIAN_BCRYPT_COST": 99}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: AppConfiguration.InvalidSetting.self) {
            _ = try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 8080, environment: try ConfigurationFile.environment(path: path, [:]))
        }
    }

    /// The built server refuses to start on a bad file, exiting non-zero with the message, before opening anything.
    @Test func theServerStopsAtStartUpOnABadSetting() async throws {
        for (text, fragment) in [(#"{"DATABSE_URL": "sqlite:///tmp/x.sqlite"}"#, "unknown setting \"DATABSE_URL\""),
                                 (#"{"LOG_LEVEL": "loud"}"#, "LOG_LEVEL must be one of"),
                                 (#"{"WEIJIAN_PORT": 70000}"#, "WEIJIAN_PORT must be a port number")] {
            let path = try Self.write(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
            process.arguments = ["serve", "--config", path]
            var environment = ProcessInfo.processInfo.environment
            for key in ConfigurationFile.settings { environment.removeValue(forKey: key) }
            process.environment = environment
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 2, "\(text): \(output)")
            #expect(output.contains(fragment), "\(output)")
        }
    }
}

extension ConfigurationFileTests {
    /// docs/configuration.md names every setting the code reads.
    @Test func theDocumentedSettingsAreTheSettings() throws {
        let page = try String(contentsOfFile: ServerProcess.packageRoot + "/docs/configuration.md", encoding: .utf8)
        for setting in ConfigurationFile.settings { #expect(page.contains("`\(setting)`"), "\(setting) is not in docs/configuration.md") }
    }
}
