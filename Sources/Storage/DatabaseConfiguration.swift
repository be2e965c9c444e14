import Foundation

/// Which database engine a ``Database`` talks to.
public enum DatabaseEngine: String, Sendable, CaseIterable {
    /// Embedded SQLite (the default, one file, WAL mode).
    case sqlite
    /// PostgreSQL (production).
    case postgres
}

/// Where the platform keeps its data: an SQLite file or a PostgreSQL server.
///
/// Built from `DATABASE_URL` (`postgres://user:pass@host:port/db`, `sqlite:///path/file.sqlite`)
/// or, when that is absent, the embedded default `./data/weijian.sqlite`.
public struct DatabaseConfiguration: Sendable, Equatable {
    /// The location of the data.
    public enum Location: Sendable, Equatable {
        /// An SQLite database file.
        case sqliteFile(path: String)
        /// A PostgreSQL server.
        case postgres(host: String, port: Int, username: String, password: String?, database: String, searchPath: String?)
    }

    /// Where the data lives.
    public var location: Location
    /// Maximum connections in the pool (readers for SQLite, all connections for PostgreSQL).
    public var maxConnections: Int
    /// A PostgreSQL streaming replica of the same database (`DATABASE_REPLICA_URL`), for read-only work: see
    /// ``Database/reader``. Nil: everything goes to the primary.
    public var replica: Location?
    /// SQLite's page cache per connection, in MiB (`WEIJIAN_SQLITE_CACHE_MIB`, default 64; allocated only as used).
    /// The writer and each reader have one: the server's private memory grows by up to this much per connection
    /// once the database outgrows it; pages beyond it are read from the operating system's file cache.
    public var sqliteCacheMiB: Int = 64
    /// How much of the SQLite file each connection reads through a memory map, in MiB (`WEIJIAN_SQLITE_MMAP_MIB`,
    /// default 0: none). Mapped pages are read without a copy, but each connection's mapped pages count in the
    /// server's resident memory, once per connection.
    public var sqliteMmapMiB: Int = 0

    /// The engine implied by the location.
    public var engine: DatabaseEngine {
        switch location {
        case .sqliteFile: .sqlite
        case .postgres: .postgres
        }
    }

    /// Creates a configuration for a location.
    public init(location: Location, maxConnections: Int = 8, replica: Location? = nil) {
        self.location = location
        self.maxConnections = maxConnections
        self.replica = replica
    }

    /// The URL of the location, as `DATABASE_URL` and `--database` take it (the password included).
    public var url: String { Self.url(of: location) }

    /// The URL of a location, as `DATABASE_URL` and `--database` take it.
    public static func url(of location: Location) -> String {
        switch location {
        case .sqliteFile(let path):
            return "sqlite://" + path
        case .postgres(let host, let port, let username, let password, let database, let searchPath):
            let user = username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
            let secret = password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? $0) } ?? ""
            return "postgres://\(user)\(secret)@\(host):\(port)/\(database)" + (searchPath.map { "?search_path=\($0)" } ?? "")
        }
    }

    /// The embedded default, `./data/weijian.sqlite`.
    public static let defaultSQLitePath = "data/weijian.sqlite"

    /// Errors in a database URL, described for the person who wrote it.
    public struct InvalidURL: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses a database URL: `postgres://` / `postgresql://` or `sqlite://` / a plain file path.
    public static func parse(_ url: String) throws -> DatabaseConfiguration {
        // An empty value (`--database ""`) would otherwise name an SQLite file without a name.
        guard !url.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw InvalidURL(description: "the database URL is empty; use postgres://user:password@host:5432/database or sqlite://path")
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
                throw InvalidURL(description: "DATABASE_URL is not a valid PostgreSQL URL; expected postgres://user:password@host:5432/database")
            }
            let database = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard !database.isEmpty else {
                throw InvalidURL(description: "DATABASE_URL names no database; expected postgres://user:password@host:5432/database")
            }
            let searchPath = components.queryItems?.first(where: { $0.name == "search_path" })?.value
            return DatabaseConfiguration(location: .postgres(
                host: host,
                port: components.port ?? 5432,
                username: components.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
                password: components.password.flatMap { $0.removingPercentEncoding },
                database: database,
                searchPath: searchPath
            ))
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw InvalidURL(description: "DATABASE_URL sqlite:// names no file") }
            return DatabaseConfiguration(location: .sqliteFile(path: path))
        }
        if url.contains("://") {
            throw InvalidURL(description: "DATABASE_URL scheme is not supported; use postgres://… or sqlite://path")
        }
        // `sqlite:/tmp/x` would otherwise become a file under a directory named `sqlite:`.
        if ["sqlite:", "postgres:", "postgresql:"].contains(where: url.hasPrefix) {
            throw InvalidURL(description: "DATABASE_URL \(url.prefix { $0 != ":" }): needs two slashes; use postgres://… or sqlite://path")
        }
        return DatabaseConfiguration(location: .sqliteFile(path: url))
    }

    /// The configuration from the environment: `DATABASE_URL`, else the embedded default; `DATABASE_REPLICA_URL`
    /// (a PostgreSQL replica, see ``replica``).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseConfiguration {
        var configuration = DatabaseConfiguration(location: .sqliteFile(path: defaultSQLitePath))
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            configuration = try parse(url)
        }
        if let url = environment["DATABASE_REPLICA_URL"], !url.isEmpty {
            try configuration.setReplica(url)
        }
        return configuration
    }

    /// Sets the read replica from its URL: a PostgreSQL URL, beside a PostgreSQL primary.
    public mutating func setReplica(_ url: String) throws {
        let replica = try Self.parse(url)
        guard case .postgres = replica.location, engine == .postgres else {
            throw InvalidURL(description: "DATABASE_REPLICA_URL must be a PostgreSQL URL (a streaming replica), beside a PostgreSQL DATABASE_URL")
        }
        self.replica = replica.location
    }
}
