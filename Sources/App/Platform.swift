public import Access
public import FHIR
import Registry
import Logging
public import Storage

/// Everything the server runs on: the database, migrated, and the kernel services over it.
public struct Platform: Sendable {
    /// The database.
    public let database: Database
    /// The FHIR resource store.
    public let fhir: FHIRStore
    /// The tamper-evident audit chain.
    public var audit: AuditLog { AuditLog(database: database) }

    /// Every migration of every target, applied in id order.
    public static let migrations: [Migration] = FHIRMigrations.all + RegistryMigrations.all + AccessMigrations.all

    /// Opens the database and applies pending migrations.
    public static func open(_ configuration: DatabaseConfiguration, logger: Logger = Logger(label: "weijian")) async throws -> Platform {
        let database = try await Database.open(configuration, logger: logger)
        do {
            try await Migrator(migrations).migrate(database, logger: logger)
        } catch {
            await database.shutdown()
            throw error
        }
        let store = FHIRStore(database: database, hooks: [MasterPatientIndex(), AuditWriteHook()], commitHooks: [AuditCommitHook(engine: database.engine)])
        return Platform(database: database, fhir: store)
    }

    /// Closes the database.
    public func shutdown() async {
        await database.shutdown()
    }
}
