import Logging
import SQLKit

/// One forward-only schema change, identified by a unique, ordered id such as `"0001_fhir_store"`.
///
/// Each domain target owns its migrations; the application collects them into one ``Migrator``.
public struct Migration: Sendable {
    /// The unique id; migrations run in ascending id order and each runs once.
    public let id: String
    /// The statements, given the engine's SQL fragments.
    public let statements: @Sendable (SQLFragments) -> [String]

    /// Creates a migration.
    public init(id: String, statements: @escaping @Sendable (SQLFragments) -> [String]) {
        self.id = id
        self.statements = statements
    }
}

/// Applies pending migrations in order, each in its own transaction, recording them in `schema_migrations`.
public struct Migrator: Sendable {
    /// All known migrations.
    public let migrations: [Migration]

    /// Creates a migrator; ids must be unique.
    public init(_ migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.id < $1.id }
    }

    /// Runs every migration not yet applied and returns the ids it applied.
    @discardableResult
    public func migrate(_ database: Database, logger: Logger = Logger(label: "weijian.migrate")) async throws -> [String] {
        let fragments = SQLFragments(engine: database.engine)
        try await database.write { sql in
            try await sql.raw("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)").run()
        }
        let applied = Set(try await database.read { sql in
            try await sql.raw("SELECT id FROM schema_migrations").all().map { try $0.decode(column: "id", as: String.self) }
        })
        var done: [String] = []
        for migration in migrations where !applied.contains(migration.id) {
            try await database.write { sql in
                // Re-check inside the transaction: another process may have applied it meanwhile.
                let already = try await sql.raw("SELECT id FROM schema_migrations WHERE id = \(bind: migration.id)").first()
                guard already == nil else { return }
                for statement in migration.statements(fragments) {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                let now = ISO8601Timestamp.now()
                try await sql.raw("INSERT INTO schema_migrations (id, applied_at) VALUES (\(bind: migration.id), \(bind: now))").run()
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.id)"])
            done.append(migration.id)
        }
        return done
    }
}
