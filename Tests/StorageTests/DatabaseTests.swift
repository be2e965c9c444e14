import Foundation
import SQLKit
import Storage
import Testing
import WeijianTesting

@Suite
struct DatabaseTests {
    static let migrations = [
        Migration(id: "0001_a") { sql in ["CREATE TABLE a (id \(sql.autoIncrementPrimaryKey), name TEXT NOT NULL UNIQUE)"] },
        Migration(id: "0002_b") { _ in ["CREATE TABLE b (id TEXT PRIMARY KEY)"] },
    ]

    @Test func migrationsRunOnceInOrder() async throws {
        try await TestDatabase.withDatabase { database in
            let first = try await Migrator(Self.migrations).migrate(database)
            #expect(first == ["0001_a", "0002_b"])
            let second = try await Migrator(Self.migrations).migrate(database)
            #expect(second.isEmpty)
            let more = try await Migrator(Self.migrations + [Migration(id: "0003_c") { _ in ["CREATE TABLE c (id TEXT)"] }]).migrate(database)
            #expect(more == ["0003_c"])
        }
    }

    @Test func failedWriteLeavesNoTrace() async throws {
        try await TestDatabase.withDatabase { database in
            try await Migrator(Self.migrations).migrate(database)
            try await database.write { try await $0.raw("INSERT INTO a (name) VALUES ('kept')").run() }
            await #expect(throws: (any Error).self) {
                try await database.write { sql in
                    try await sql.raw("INSERT INTO a (name) VALUES ('lost')").run()
                    try await sql.raw("INSERT INTO a (name) VALUES ('kept')").run() // violates UNIQUE
                }
            }
            let names = try await database.read { try await $0.raw("SELECT name FROM a ORDER BY name").all(decodingColumn: "name", as: String.self) }
            #expect(names == ["kept"])
        }
    }

    @Test func failedMigrationIsNotRecorded() async throws {
        try await TestDatabase.withDatabase { database in
            let broken = [Migration(id: "0001_bad") { _ in ["CREATE TABLE ok (id TEXT)", "THIS IS NOT SQL"] }]
            await #expect(throws: (any Error).self) { try await Migrator(broken).migrate(database) }
            let applied = try await database.read { try await $0.raw("SELECT id FROM schema_migrations").all(decodingColumn: "id", as: String.self) }
            #expect(applied.isEmpty)
        }
    }

    @Test func concurrentWritesAllCommit() async throws {
        try await TestDatabase.withDatabase { database in
            try await Migrator(Self.migrations).migrate(database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await database.write { try await $0.raw("INSERT INTO a (name) VALUES (\(bind: "n\(index)"))").run() }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM a").first()?.decode(column: "n", as: Int.self) }
            #expect(count == 40)
        }
    }

    /// Concurrent writers share commits on SQLite (each in its own savepoint): a failing writer leaves nothing and
    /// takes nothing of the others with it, and a write is committed — seen by another connection — when it returns.
    @Test func concurrentWritersFailAloneAndReturnOnlyOnceCommitted() async throws {
        try await TestDatabase.withDatabase { database in
            try await Migrator(Self.migrations).migrate(database)
            try await database.write { try await $0.raw("INSERT INTO a (name) VALUES ('taken')").run() }
            let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<120 {
                    group.addTask {
                        do {
                            try await database.write { sql in
                                try await sql.raw("INSERT INTO b (id) VALUES (\(bind: "b\(index)"))").run()
                                // Every third writer fails after a first insert (UNIQUE), which must be undone.
                                try await sql.raw("INSERT INTO a (name) VALUES (\(bind: index % 3 == 0 ? "taken" : "n\(index)"))").run()
                            }
                        } catch {
                            return (index, false)
                        }
                        // Acknowledged: a reader (another connection) already sees it.
                        let seen = try await database.read { try await $0.raw("SELECT id FROM b WHERE id = \(bind: "b\(index)")").first() }
                        #expect(seen != nil, "b\(index) returned before it was committed")
                        return (index, true)
                    }
                }
                return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes.count == 120)
            #expect(outcomes.allSatisfy { $0.value == ($0.key % 3 != 0) })
            let rows = try await database.read { try await $0.raw("SELECT id FROM b").all(decodingColumn: "id", as: String.self) }
            #expect(Set(rows) == Set((0..<120).filter { $0 % 3 != 0 }.map { "b\($0)" }))
            let names = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM a").first()?.decode(column: "n", as: Int.self) }
            #expect(names == 81)
        }
    }
}

@Suite struct ConfigurationTests {
    @Test func parsesURLs() throws {
        #expect(try DatabaseConfiguration.parse("postgres://u:p%40ss@db.local:6543/weijian").location
            == .postgres(host: "db.local", port: 6543, username: "u", password: "p@ss", database: "weijian", searchPath: nil))
        #expect(try DatabaseConfiguration.parse("sqlite:///tmp/x.sqlite").location == .sqliteFile(path: "/tmp/x.sqlite"))
        #expect(try DatabaseConfiguration.fromEnvironment([:]).location == .sqliteFile(path: "data/weijian.sqlite"))
    }

    @Test func rejectsBadURLsClearly() {
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration.parse("mysql://x/y") }
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration.parse("postgres://host-only") }
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration.parse("sqlite:/tmp/one-slash.sqlite") }
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration.parse("") }
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration.parse("  ") }
    }

    @Test func timestampsCarryTheShanghaiOffset() {
        let text = ISO8601Timestamp.format(Date(timeIntervalSince1970: 0))
        #expect(text == "1970-01-01T08:00:00.000+08:00")
    }
}

/// SQLite's page cache per connection follows the configuration (`WEIJIAN_SQLITE_CACHE_MIB`), on the writer and on
/// the readers: the server's private memory at scale is mostly these caches.
@Suite struct SQLiteCacheTests {
    @Test func theCacheSizeIsTheConfigured() async throws {
        let path = NSTemporaryDirectory() + "weijian-cache-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var configuration = DatabaseConfiguration(location: .sqliteFile(path: path))
        #expect(configuration.sqliteCacheMiB == 64)
        configuration.sqliteCacheMiB = 8
        let database = try await Database.open(configuration)
        let read = try await database.read { try await $0.raw("PRAGMA cache_size").first()?.decode(column: "cache_size", as: Int.self) }
        let written = try await database.write { try await $0.raw("PRAGMA cache_size").first()?.decode(column: "cache_size", as: Int.self) }
        await database.shutdown()
        #expect(read == -8192 && written == -8192)
    }

    /// No memory map by default (each connection's mapped pages counted in the server's memory), the configured one
    /// when set; temporary sorts go to files (`temp_store` 0, SQLite's default), not to memory.
    @Test func theMemoryMapIsTheConfiguredAndSortsSpillToFiles() async throws {
        for mebibytes in [nil, 16] {
            let path = NSTemporaryDirectory() + "weijian-mmap-\(UUID().uuidString).sqlite"
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            var configuration = DatabaseConfiguration(location: .sqliteFile(path: path))
            #expect(configuration.sqliteMmapMiB == 0)
            if let mebibytes { configuration.sqliteMmapMiB = mebibytes }
            let database = try await Database.open(configuration)
            let read = try await database.read { sql in
                (try await sql.raw("PRAGMA mmap_size").first()?.decode(column: "mmap_size", as: Int.self),
                 try await sql.raw("PRAGMA temp_store").first()?.decode(column: "temp_store", as: Int.self))
            }
            let written = try await database.write { try await $0.raw("PRAGMA mmap_size").first()?.decode(column: "mmap_size", as: Int.self) }
            await database.shutdown()
            let expected = (mebibytes ?? 0) * 1_048_576
            #expect(read.0 == expected && written == expected && read.1 == 0)
        }
    }
}
