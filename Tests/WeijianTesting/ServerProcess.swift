public import Access
public import App
import Foundation
public import Storage

extension ServerProcess {
    /// The package's root folder (this file is `Tests/WeijianTesting/ServerProcess.swift`).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// The server binary: `$WEIJIAN_BIN`, else `.build/debug/weijian`.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["WEIJIAN_BIN"], !path.isEmpty { return path }
        return packageRoot + "/.build/debug/weijian"
    }

    /// Starts the package's `weijian serve` (``binary``) on `database` (a URL) with the key file `keyFile`, on a free port.
    public static func start(database: String, keyFile: String, logFile: String, port: Int? = nil, environment: [String: String] = [:]) throws -> ServerProcess {
        try start(binary: binary, database: database, keyFile: keyFile, logFile: logFile, port: port, environment: environment)
    }
}

extension ServerProcess {
    /// What a test that starts `weijian serve` processes begins with: a fresh database (and the action that removes
    /// it), a new temporary folder for the servers' logs, and a key file in it with its keys.
    public static func scratch(_ name: String) async throws
        -> (configuration: DatabaseConfiguration, remove: @Sendable () async -> Void, folder: String, keyFile: String, secrets: AccessSecrets) {
        let (configuration, remove) = try await TestDatabase.fresh()
        let folder = NSTemporaryDirectory() + "weijian-\(name)-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let keyFile = folder + "/keys.json"
            return (configuration, remove, folder, keyFile, try AccessSecrets.loadOrCreate(path: keyFile))
        } catch {
            await remove()
            throw error
        }
    }
}

extension ServerProcess {
    /// Migrates the database of `configuration` (opening the platform once) and returns a token of the district
    /// exchange platform (``TestServer/platformPrincipal``), valid an hour, for servers started with `secrets`' key file.
    public static func platformToken(_ configuration: DatabaseConfiguration, secrets: AccessSecrets) async throws -> String {
        let platform = try await Platform.open(configuration, secrets: secrets)
        do {
            let tokens = await TokenService(secrets: secrets, database: platform.database, hasher: PasswordHasher(cost: 4), lifetime: .seconds(3600))
            let token = try await tokens.issue(for: TestServer.platformPrincipal)
            await platform.shutdown()
            return token
        } catch {
            await platform.shutdown()
            throw error
        }
    }
}

extension TestDatabase {
    /// The URL of a configuration, as `--database` and `DATABASE_URL` take it.
    public static func url(of configuration: DatabaseConfiguration) -> String { configuration.url }
}
