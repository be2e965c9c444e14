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

    /// Every migration of every target, applied in id order.
    public static let migrations: [Migration] = FHIRMigrations.all + RegistryMigrations.all

    /// Opens the database and applies pending migrations.
    public static func open(_ configuration: DatabaseConfiguration, logger: Logger = Logger(label: "weijian")) async throws -> Platform {
        let database = try await Database.open(configuration, logger: logger)
        do {
            try await Migrator(migrations).migrate(database, logger: logger)
        } catch {
            await database.shutdown()
            throw error
        }
        return Platform(database: database, fhir: FHIRStore(database: database, hooks: [MasterPatientIndex()]))
    }

    /// Closes the database.
    public func shutdown() async {
        await database.shutdown()
    }
}
