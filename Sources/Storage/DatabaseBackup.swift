import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// Backup and restore of the platform's database (`weijian backup`, `weijian restore`).
///
/// - SQLite: `VACUUM INTO` on a reader connection of the open database, a consistent copy of one read
///   transaction taken while the server may be writing (WAL); restore copies the file back into place, and
///   refuses while any other connection has the database open (it must take the file out of WAL mode, which
///   needs sole access) and, unless forced, when the database already holds tables.
/// - PostgreSQL: `pg_dump` in its custom format (one snapshot) of the schema the URL names (`search_path`, else
///   `public`), and `pg_restore` of it in one transaction; Debian's postgresql-client, found on `PATH` or under
///   `/usr/lib/postgresql/*/bin`.
///
/// Neither copies the key file (`WEIJIAN_KEY_FILE`): the ID numbers and phones in a backup can only be read with
/// the key file of the same database, which must be kept, separately, with the backups.
public enum DatabaseBackup {
    /// What a backup or restore did.
    public struct Report: Sendable {
        /// The engine.
        public var engine: DatabaseEngine
        /// The backup file.
        public var file: String
        /// The backup file's size in bytes.
        public var bytes: Int64
        /// How long it took.
        public var seconds: Double
    }

    /// A backup or restore that could not be done, with the reason for the operator.
    public struct Failure: Error, CustomStringConvertible {
        /// The reason.
        public let description: String
        /// Creates a failure.
        public init(_ description: String) { self.description = description }
    }

    // MARK: - Backup

    /// Writes a consistent copy of the database to `file` (which must not exist unless `force`).
    public static func backup(_ configuration: DatabaseConfiguration, to file: String, force: Bool = false,
                              logger: Logger = Logger(label: "weijian.backup")) async throws -> Report {
        let started = ContinuousClock.now
        if FileManager.default.fileExists(atPath: file), !force {
            throw Failure("\(file) already exists; choose another file or pass --force to replace it")
        }
        let directory = (file as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw Failure("the folder \(directory) does not exist")
        }
        // Written beside the target first and renamed when complete: a backup interrupted half-way never
        // looks like a finished one.
        let partial = file + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        switch configuration.location {
        case .sqliteFile(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw Failure("there is no SQLite database at \(path)")
            }
            let database = try await Database.open(configuration, logger: logger)
            do {
                // One read transaction on a reader connection: writers go on (WAL), the copy is of one moment.
                try await database.read { try await $0.raw("VACUUM INTO \(bind: partial)").run() }
            } catch {
                await database.shutdown()
                try? FileManager.default.removeItem(atPath: partial)
                throw Failure("the SQLite backup of \(path) failed: \(error)")
            }
            await database.shutdown()
        case .postgres(let host, let port, let username, let password, let database, let searchPath):
            let schema = searchPath ?? "public"
            let tool = try PostgresTools.find("pg_dump")
            let result = try await PostgresTools.run(tool, ["--format=custom", "--schema=\(schema)", "--file=\(partial)"],
                                               host: host, port: port, username: username, password: password, database: database)
            guard result.status == 0 else {
                try? FileManager.default.removeItem(atPath: partial)
                throw Failure("pg_dump of \(host):\(port)/\(database) (schema \(schema)) failed: \(result.errors)")
            }
        }
        try syncFile(partial)
        guard rename(partial, file) == 0 else {
            throw Failure("the backup \(partial) could not be renamed to \(file): \(String(cString: strerror(errno)))")
        }
        return Report(engine: configuration.engine, file: file, bytes: fileSize(file), seconds: seconds(since: started))
    }

    // MARK: - Restore

    /// Replaces the database's contents with the backup in `file`.
    ///
    /// Refuses, saying why, when the backup is missing or not a Weijian backup of this engine, when the database is
    /// in use by another process (SQLite; on PostgreSQL, another Weijian server's open connections to the same
    /// schema), and, unless `force`, when the database already holds tables.
    public static func restore(_ configuration: DatabaseConfiguration, from file: String, force: Bool = false,
                               logger: Logger = Logger(label: "weijian.backup")) async throws -> Report {
        let started = ContinuousClock.now
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw Failure("the backup \(file) does not exist or cannot be read")
        }
        switch configuration.location {
        case .sqliteFile(let path):
            try await restoreSQLite(path: path, from: file, force: force, logger: logger)
        case .postgres:
            try await restorePostgres(configuration, from: file, force: force, logger: logger)
        }
        return Report(engine: configuration.engine, file: file, bytes: fileSize(file), seconds: seconds(since: started))
    }

    private static func restoreSQLite(path: String, from file: String, force: Bool, logger: Logger) async throws {
        if isSQLiteFile(file) == false {
            throw Failure("\(file) is not an SQLite backup (a PostgreSQL backup must be restored into a postgres:// database)")
        }
        if FileManager.default.fileExists(atPath: path) {
            let connection = try await openSQLite(path, logger: logger)
            do {
                // Leaving WAL mode needs the only connection to the file: it fails at once while a server (or any
                // other process) has the database open. It also folds the WAL into the file and removes it, so no
                // old WAL is left to be replayed over the restored file.
                do {
                    _ = try await connection.sql().raw("PRAGMA journal_mode=DELETE").all()
                } catch {
                    throw Failure("the database \(path) is in use by another process (a running server?); stop it and restore again")
                }
                let tables = try await connection.sql().raw("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").first()?
                    .decode(column: "n", as: Int.self) ?? 0
                if tables > 0, !force {
                    throw Failure("the database \(path) is not empty (\(tables) tables); pass --force to replace its contents with the backup")
                }
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } else {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        }
        // Copied beside the database, checked there, then renamed over it: the database is the old one or the
        // restored one, never half of either.
        let staging = path + ".restoring"
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging + suffix) }
        try FileManager.default.copyItem(atPath: file, toPath: staging)
        let check = try await openSQLite(staging, logger: logger)
        do {
            let result = try await check.sql().raw("PRAGMA quick_check").first()?.decode(column: "quick_check", as: String.self)
            guard result == "ok" else { throw Failure("the backup \(file) is damaged: \(result ?? "no answer from quick_check")") }
            let migrations = try await check.sql().raw("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").first()?
                .decode(column: "n", as: Int.self) ?? 0
            guard migrations == 1 else { throw Failure("\(file) is an SQLite database but not a Weijian backup (no schema_migrations table)") }
            try await check.close()
        } catch let failure as Failure {
            try? await check.close()
            for suffix in ["", "-journal"] { try? FileManager.default.removeItem(atPath: staging + suffix) }
            throw failure
        } catch {
            try? await check.close()
            for suffix in ["", "-journal"] { try? FileManager.default.removeItem(atPath: staging + suffix) }
            throw Failure("the backup \(file) cannot be read as an SQLite database: \(error)")
        }
        try syncFile(staging)
        for suffix in ["-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        // rename(2) replaces the old file in one step.
        guard rename(staging, path) == 0 else {
            throw Failure("the restored copy \(staging) could not be moved over \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func restorePostgres(_ configuration: DatabaseConfiguration, from file: String, force: Bool, logger: Logger) async throws {
        guard case .postgres(let host, let port, let username, let password, let databaseName, let searchPath) = configuration.location else { return }
        if isSQLiteFile(file) == true {
            throw Failure("\(file) is an SQLite backup; restore it into an sqlite:// database")
        }
        let schema = searchPath ?? "public"
        let tool = try PostgresTools.find("pg_restore")
        // The backup's table of contents: which schema it is of, and the entries to restore (all but the schema's own
        // creation, so that it restores into an existing schema).
        let listing = try await PostgresTools.run(tool, ["--list", file], host: host, port: port, username: username, password: password, database: databaseName)
        guard listing.status == 0 else { throw Failure("\(file) is not a pg_dump backup in the custom format: \(listing.errors)") }
        let entries = listing.output.split(separator: "\n").map(String.init)
        let tableSchemas = Set(entries.compactMap { line -> String? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard !line.hasPrefix(";"), fields.count >= 6, fields[3] == "TABLE", fields[4] != "DATA" else { return nil }
            return String(fields[4])
        })
        guard !tableSchemas.isEmpty else { throw Failure("\(file) holds no tables; it is not a Weijian backup") }
        guard tableSchemas == [schema] else {
            throw Failure("the backup is of schema \(tableSchemas.sorted().joined(separator: ", ")) but this database URL uses schema \(schema); restore with ?search_path=\(tableSchemas.sorted()[0]) in the URL")
        }
        let database = try await Database.open(DatabaseConfiguration(location: configuration.location, maxConnections: 1), logger: logger)
        do {
            // A server stopped a moment ago may still be closing its connections: asked three times over a second.
            var others = 0
            for attempt in 0..<3 {
                if attempt > 0 { try await Task.sleep(for: .milliseconds(500)) }
                others = try await database.read { sql in
                    try await sql.raw("""
                        SELECT COUNT(*) AS n FROM pg_stat_activity
                        WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = \(bind: Database.postgresApplicationName(searchPath: searchPath))
                        """).first()?.decode(column: "n", as: Int.self) ?? 0
                }
                if others == 0 { break }
            }
            if others > 0 {
                throw Failure("the database \(databaseName) (schema \(schema)) is in use: \(others) connections of a Weijian server are open to it; stop the server and restore again")
            }
            let tables = try await database.read { sql in
                try await sql.raw("SELECT tablename FROM pg_tables WHERE schemaname = \(bind: schema) ORDER BY tablename").all()
                    .map { try $0.decode(column: "tablename", as: String.self) }
            }
            if !tables.isEmpty, !force {
                throw Failure("the database \(databaseName) (schema \(schema)) is not empty (\(tables.count) tables); pass --force to replace its contents with the backup")
            }
            try await database.write { sql in
                try await sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
                for table in tables { try await sql.raw("DROP TABLE IF EXISTS \(ident: schema).\(ident: table) CASCADE").run() }
                let sequences = try await sql.raw("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = \(bind: schema)").all()
                    .map { try $0.decode(column: "sequence_name", as: String.self) }
                for sequence in sequences { try await sql.raw("DROP SEQUENCE IF EXISTS \(ident: schema).\(ident: sequence) CASCADE").run() }
            }
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
        let list = NSTemporaryDirectory() + "weijian-restore-\(UUID().uuidString).list"
        let kept = entries.filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return !(fields.count >= 4 && fields[3] == "SCHEMA")
        }
        try Data(kept.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: list))
        defer { try? FileManager.default.removeItem(atPath: list) }
        let result = try await PostgresTools.run(tool, ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--use-list=\(list)",
                                                  "--dbname=\(databaseName)", file],
                                           host: host, port: port, username: username, password: password, database: databaseName)
        guard result.status == 0 else { throw Failure("pg_restore into \(host):\(port)/\(databaseName) failed (nothing restored): \(result.errors)") }
    }

    // MARK: - Helpers

    /// Whether `file` starts with SQLite's header; nil when it cannot be read.
    static func isSQLiteFile(_ file: String) -> Bool? {
        guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        return header == Data("SQLite format 3\0".utf8)
    }

    /// A connection of its own that does not wait for locks (a busy database is reported, not waited for).
    private static func openSQLite(_ path: String, logger: Logger) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton, logger: logger,
                                                         on: MultiThreadedEventLoopGroup.singleton.any())
        try await connection.sql().raw("PRAGMA busy_timeout=0").run()
        return connection
    }

    private static func syncFile(_ path: String) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw Failure("\(path) cannot be opened to flush it to disk") }
        defer { try? handle.close() }
        try handle.synchronize()
    }

    private static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Debian's PostgreSQL client programs (`pg_dump`, `pg_restore`), found on `PATH` or under `/usr/lib/postgresql/*/bin`
/// (the newest version there), run with the connection in the environment (the password never on a command line).
enum PostgresTools {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for version in versions {
            let candidate = "/usr/lib/postgresql/\(version)/bin/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw DatabaseBackup.Failure("\(name) was not found on PATH or under /usr/lib/postgresql/*/bin; install Debian's PostgreSQL client (apt-get install postgresql-client)")
    }

    /// Runs the tool; when PostgreSQL refuses the connection for want of free connection slots (a busy server), tries
    /// again, up to ten times a second apart: the tools' work is one snapshot or one transaction, so a retry is whole.
    static func run(_ tool: String, _ arguments: [String], host: String, port: Int, username: String, password: String?, database: String) async throws -> Result {
        var attempt = 0
        while true {
            let result = try await runOnce(tool, arguments, host: host, port: port, username: username, password: password, database: database)
            let busy = result.errors.contains("too many clients") || result.errors.contains("remaining connection slots")
            attempt += 1
            if result.status == 0 || !busy || attempt == 10 { return result }
            try await Task.sleep(for: .seconds(1))
        }
    }

    private static func runOnce(_ tool: String, _ arguments: [String], host: String, port: Int, username: String, password: String?, database: String) async throws -> Result {
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = host
        environment["PGPORT"] = String(port)
        environment["PGUSER"] = username
        environment["PGDATABASE"] = database
        environment["PGCONNECT_TIMEOUT"] = "10"
        // Messages in English, so that a refusal for want of connection slots is recognised (and retried).
        environment["LC_MESSAGES"] = "C"
        if let password { environment["PGPASSWORD"] = password } else { environment.removeValue(forKey: "PGPASSWORD") }
        let settings = environment
        // The tool runs on a thread of its own (it blocks on its pipes), not on the tasks' cooperative threads.
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: tool)
                process.arguments = arguments
                process.environment = settings
                let output = Pipe()
                let errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                process.standardInput = FileHandle.nullDevice
                do { try process.run() } catch {
                    continuation.resume(throwing: DatabaseBackup.Failure("\(tool) could not be started: \(error)"))
                    return
                }
                // Standard error is read on another thread while standard output is read here, so that neither pipe
                // fills and stalls the tool.
                let errorData = Mutex(Data())
                let errorsRead = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    let data = errors.fileHandleForReading.readDataToEndOfFile()
                    errorData.withLock { $0 = data }
                    errorsRead.signal()
                }
                let outputData = output.fileHandleForReading.readDataToEndOfFile()
                errorsRead.wait()
                process.waitUntilExit()
                let message = errorData.withLock { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(in: .whitespacesAndNewlines)
                continuation.resume(returning: Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                                                      errors: message.isEmpty ? "exit status \(process.terminationStatus)" : message))
            }
        }
    }
}
