public import App
import Access
import Foundation
public import Storage

/// Fresh databases for tests, on the engine the environment chooses.
///
/// `WEIJIAN_TEST_DATABASE` is `sqlite` (the default: a new file per test) or a PostgreSQL URL
/// (a new schema per test, dropped afterwards). The test script runs the suite once per engine.
public enum TestDatabase {
    /// The engine the tests run on.
    public static var engine: DatabaseEngine {
        ((try? baseConfiguration()) ?? nil)?.engine ?? .sqlite
    }

    static func baseConfiguration() throws -> DatabaseConfiguration? {
        let value = ProcessInfo.processInfo.environment["WEIJIAN_TEST_DATABASE"] ?? "sqlite"
        if value == "sqlite" || value.isEmpty { return nil }
        return try DatabaseConfiguration.parse(value)
    }

    /// A new, empty database configuration and the action that removes it.
    public static func fresh() async throws -> (DatabaseConfiguration, @Sendable () async -> Void) {
        guard let base = try baseConfiguration(), case .postgres(let host, let port, let user, let password, let database, _) = base.location else {
            let path = NSTemporaryDirectory() + "weijian-test-\(UUID().uuidString).sqlite"
            return (DatabaseConfiguration(location: .sqliteFile(path: path), maxConnections: 4), {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            })
        }
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let admin = try await Database.open(DatabaseConfiguration(location: base.location, maxConnections: 1))
        try await admin.write { try await $0.raw("CREATE SCHEMA \(ident: String(schema))").run() }
        await admin.shutdown()
        let configuration = DatabaseConfiguration(
            location: .postgres(host: host, port: port, username: user, password: password, database: database, searchPath: String(schema)),
            maxConnections: 4
        )
        return (configuration, {
            guard let admin = try? await Database.open(DatabaseConfiguration(location: base.location, maxConnections: 1)) else { return }
            try? await admin.write { try await $0.raw("DROP SCHEMA \(ident: String(schema)) CASCADE").run() }
            await admin.shutdown()
        })
    }

    /// Runs `body` with a migrated platform on a fresh database, removed afterwards.
    public static func withPlatform<T: Sendable>(_ body: (Platform) async throws -> T) async throws -> T {
        let (configuration, remove) = try await fresh()
        let platform = try await Platform.open(configuration, secrets: AccessSecrets.generate())
        do {
            let result = try await body(platform)
            await platform.shutdown()
            await remove()
            return result
        } catch {
            await platform.shutdown()
            await remove()
            throw error
        }
    }

    /// Runs `body` with an open (not migrated) database on a fresh store, removed afterwards.
    public static func withDatabase<T: Sendable>(_ body: (Database) async throws -> T) async throws -> T {
        let (configuration, remove) = try await fresh()
        let database = try await Database.open(configuration)
        do {
            let result = try await body(database)
            await database.shutdown()
            await remove()
            return result
        } catch {
            await database.shutdown()
            await remove()
            throw error
        }
    }
}
