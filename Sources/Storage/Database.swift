import Foundation
import Logging
import Metrics
import Synchronization
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// The platform's database: one code path over embedded SQLite and PostgreSQL.
///
/// Every write runs inside one transaction (`write`), so a request either completes
/// or leaves no trace. SQLite writes are serialised through one connection (`BEGIN IMMEDIATE`), concurrent
/// ones committed together, each in its own savepoint (`SQLiteGroupWriter`); reads use a small pool of
/// reader connections in WAL mode. PostgreSQL uses `PostgresClient`'s pool.
public final class Database: Sendable {
    /// The engine behind this database.
    public let engine: DatabaseEngine
    private let backend: Backend
    /// The read replica, when one is configured (``DatabaseConfiguration/replica``).
    private let replica: Database?
    /// The one closing of the connections, however many callers ask for it.
    private let closing = Closing()
    private let logger: Logger
    /// `primary` or `replica`, in the metrics.
    private let role: String
    /// Reads and transactions running or waiting for a connection (the metrics' `weijian_db_operations_in_flight`).
    private let inFlight = Atomic<Int>(0)

    private enum Backend: Sendable {
        case sqlite(writer: SQLiteGroupWriter, readers: AsyncConnectionPool<SQLiteConnection>, checkpointer: SQLiteConnection, checkpoints: Task<Void, Never>)
        case postgres(client: PostgresClient, runner: Task<Void, Never>, searchPath: String?, reachability: PostgresReachability)
    }

    private init(engine: DatabaseEngine, backend: Backend, logger: Logger, poolSize: Int, replica: Database? = nil, role: String = "primary") {
        self.engine = engine
        self.poolSize = poolSize
        self.backend = backend
        self.logger = logger
        self.replica = replica
        self.role = role
    }

    /// Where read-only work that may lag the last commits by a moment goes: the streaming replica when one is
    /// configured, else this database. FHIR search and read and the cockpit's pages read here; everything that
    /// writes, and every read whose answer a write depends on (or that must see a write just made), uses
    /// ``read(_:)`` and ``write(_:)`` on the primary. The replica refuses writes (a hot standby is read-only).
    public var reader: Database { replica ?? self }

    /// Whether a replica serves ``reader``.
    public var hasReplica: Bool { replica != nil }

    /// Connections the pool may hold: SQLite's readers (the one writer apart), PostgreSQL's maximum.
    public let poolSize: Int

    /// Opens the database described by `configuration`, creating an SQLite file's folder if needed.
    public static func open(_ configuration: DatabaseConfiguration, logger: Logger = Logger(label: "weijian.storage")) async throws -> Database {
        try await open(configuration, logger: logger, role: "primary")
    }

    private static func open(_ configuration: DatabaseConfiguration, logger: Logger, role: String) async throws -> Database {
        switch configuration.location {
        case .sqliteFile(let path):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            let thread = WriterThread()
            let writer: SQLiteConnection
            do {
                writer = try await openSQLite(path: path, cacheMiB: configuration.sqliteCacheMiB, mmapMiB: configuration.sqliteMmapMiB, threadPool: thread.pool, logger: logger)
            } catch {
                await thread.shutdown()
                throw error
            }
            // 8 KiB pages (applies when the file is created): fewer page splits and B-tree levels for
            // the search indexes than SQLite's 4 KiB default, measured faster for FHIR ingest.
            try await writer.sql().raw("PRAGMA page_size=8192").run()
            try await writer.sql().raw("PRAGMA journal_mode=WAL").run()
            // Checkpoint every 10,000 pages (80 MiB of WAL) instead of every 1,000: index pages
            // changed by many transactions are copied into the database file (and synced) less often.
            try await writer.sql().raw("PRAGMA wal_autocheckpoint=10000").run()
            var readers: [SQLiteConnection] = []
            for _ in 0..<max(1, configuration.maxConnections / 2) {
                readers.append(try await openSQLite(path: path, cacheMiB: configuration.sqliteCacheMiB, mmapMiB: configuration.sqliteMmapMiB, logger: logger))
            }
            // Checkpoints beside the writer: every 200 ms a passive checkpoint on a connection of its own copies
            // what was committed back into the database file and syncs it, without holding up the writer. The
            // writer's own automatic checkpoint (at 10,000 pages, above) then finds little left to copy or sync:
            // done there alone it stalled every writer for ≈ 250 ms every few seconds under load (mostly the
            // WAL's fsync), which was the booking benchmark's p99.
            let checkpointer = try await openSQLite(path: path, cacheMiB: 2, mmapMiB: 0, logger: logger)
            let checkpoints = Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    try? await checkpointer.sql(queryLogLevel: nil).raw("PRAGMA wal_checkpoint(PASSIVE)").run()
                }
            }
            return Database(
                engine: .sqlite,
                backend: .sqlite(writer: SQLiteGroupWriter(connection: writer, thread: thread), readers: AsyncConnectionPool(connections: readers),
                                 checkpointer: checkpointer, checkpoints: checkpoints),
                logger: logger, poolSize: readers.count
            )
        case .postgres(let host, let port, let username, let password, let database, let searchPath):
            var replica: Database?
            if let replicaLocation = configuration.replica {
                replica = try await open(DatabaseConfiguration(location: replicaLocation, maxConnections: configuration.maxConnections), logger: logger, role: "replica")
            }
            var config = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: .disable)
            config.options.maximumConnections = configuration.maxConnections
            config.options.minimumConnections = 0
            // Named, so that `weijian restore` can tell a server's open connections to this schema (pg_stat_activity).
            config.options.additionalStartupParameters = [("application_name", postgresApplicationName(searchPath: searchPath))]
            let client = PostgresClient(configuration: config, backgroundLogger: logger)
            let runner = Task { await client.run() }
            let reachability = PostgresReachability(host: host, port: port)
            let db = Database(engine: .postgres, backend: .postgres(client: client, runner: runner, searchPath: searchPath, reachability: reachability), logger: logger,
                              poolSize: configuration.maxConnections, replica: replica, role: role)
            // Fail fast with a clear message when the server cannot be reached.
            do {
                _ = try await db.read { try await $0.raw("SELECT 1 AS one").first() }
            } catch {
                runner.cancel()
                await replica?.shutdown()
                throw DatabaseUnavailable(description: "cannot connect to PostgreSQL at \(host):\(port)/\(database): \(String(reflecting: error))")
            }
            return db
        }
    }

    /// The `application_name` of the platform's PostgreSQL connections to a schema (`weijian:<schema>`, at most 63 bytes).
    static func postgresApplicationName(searchPath: String?) -> String {
        String(("weijian:" + (searchPath ?? "public")).utf8.prefix(63)) ?? "weijian"
    }

    /// The database could not be reached.
    public struct DatabaseUnavailable: Error, CustomStringConvertible {
        public let description: String
    }

    private static func openSQLite(path: String, cacheMiB: Int, mmapMiB: Int, threadPool: NIOThreadPool = .singleton, logger: Logger) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger,
                                                         on: MultiThreadedEventLoopGroup.singleton.any())
        let sql = connection.sql(queryLogLevel: nil)
        try await sql.raw("PRAGMA foreign_keys=ON").run()
        try await sql.raw("PRAGMA busy_timeout=10000").run()
        try await sql.raw("PRAGMA synchronous=NORMAL").run()
        // SQLite's default 2 MB page cache thrashes once the search indexes outgrow it; `cacheMiB` per connection
        // (``DatabaseConfiguration/sqliteCacheMiB``, allocated only as used) keeps the hot index pages in memory.
        // At 1,000,000 residents 256 MiB a connection held the server at ≈ 1.1 GiB of private memory
        // (docs/performance.md). The memory map (``DatabaseConfiguration/sqliteMmapMiB``) is off by default: each
        // connection's mapped pages counted in the server's memory. Sorts and groupings larger than the cache
        // spill to temporary files (SQLite's default), not to memory: the hourly indicators group a million rows.
        try await sql.raw("PRAGMA cache_size=\(unsafeRaw: String(-cacheMiB * 1024))").run()
        try await sql.raw("PRAGMA mmap_size=\(unsafeRaw: String(mmapMiB * 1_048_576))").run()
        return connection
    }

    /// Runs `body` with a connection for reading. Nothing written here is guaranteed to commit.
    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await measured("read") { try await unmeasuredRead(body) }
    }

    private func unmeasuredRead<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(_, let readers, _, _):
            let connection = await readers.acquire()
            do {
                let result = try await body(connection.sql(queryLogLevel: nil))
                await readers.release(connection)
                return result
            } catch {
                await readers.release(connection)
                throw error
            }
        case .postgres(let client, _, let searchPath, let reachability):
            // Not `client.withConnection`: that waits for as long as PostgreSQL is down (see `PostgresLease`).
            return try await PostgresLease.withConnection(client, reachability: reachability) { connection in
                let sql = connection.sql(queryLogLevel: nil)
                try await Self.applySearchPath(searchPath, sql)
                return try await body(sql)
            }
        }
    }

    /// Runs `body` inside one transaction: committed when it returns, rolled back when it throws.
    public func write<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await measured("write") { try await unmeasuredWrite(body) }
    }

    /// Counts `operation` in `weijian_db_operations_in_flight{database}` while it runs (waiting for a connection
    /// included) and times it in `weijian_db_operation_seconds{database,kind}`: how busy the pool is, for /metrics.
    private func measured<T: Sendable>(_ kind: String, _ operation: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        let gauge = Gauge(label: "weijian_db_operations_in_flight", dimensions: [("database", role)])
        gauge.record(inFlight.add(1, ordering: .relaxed).newValue)
        defer {
            gauge.record(inFlight.subtract(1, ordering: .relaxed).newValue)
            Metrics.Timer(label: "weijian_db_operation_seconds", dimensions: [("database", role), ("kind", kind)]).record(duration: ContinuousClock.now - started)
        }
        return try await operation()
    }

    private func unmeasuredWrite<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(let writer, _, _, _):
            // Concurrent writers share one commit, each in its own savepoint (see `SQLiteGroupWriter`); the
            // transaction's code runs on the writer connection's own thread (see `WriterThread`).
            return try await withTaskExecutorPreference(writer.thread) {
                try await writer.write(body)
            }
        case .postgres(let client, _, let searchPath, let reachability):
            return try await PostgresLease.withConnection(client, reachability: reachability) { connection in
                let sql = connection.sql(queryLogLevel: nil)
                try await Self.applySearchPath(searchPath, sql)
                try await sql.raw("BEGIN").run()
                do {
                    let result = try await body(sql)
                    try await sql.raw("COMMIT").run()
                    return result
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            }
        }
    }

    private static func applySearchPath(_ searchPath: String?, _ sql: any SQLDatabase) async throws {
        guard let searchPath else { return }
        try await sql.raw("SET search_path TO \(ident: searchPath)").run()
    }

    /// Closes every connection, in a task of its own: a caller that was cancelled (a service group torn down after
    /// an error) would otherwise have the closes refused by the thread pool's cancellation check, leaving
    /// connections open past the pool's shutdown.
    /// Idempotent: a second caller (the server's lifecycle and a test harness both closing) waits for the first
    /// closing instead of closing closed connections again.
    public func shutdown() async {
        await closing.run { await self.closeConnections() }
    }

    private func closeConnections() async {
        switch backend {
        case .sqlite(let writer, let readers, let checkpointer, let checkpoints):
            checkpoints.cancel()
            await checkpoints.value
            for connection in await [writer.connection, checkpointer] + readers.connections() {
                try? await connection.close()
            }
            await writer.thread.shutdown()
        case .postgres(_, let runner, _, _):
            runner.cancel()
            _ = await runner.value
            await replica?.shutdown()
        }
    }
}

/// Runs one closing, detached from its first caller, and lets every later caller wait for it.
private actor Closing {
    private var task: Task<Void, Never>?

    func run(_ body: @escaping @Sendable () async -> Void) async {
        if let task { return await task.value }
        let task = Task.detached { await body() }
        self.task = task
        await task.value
    }
}
