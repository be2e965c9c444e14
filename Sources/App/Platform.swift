public import Access
import ChronicCare
import Contracting
public import FHIR
import Referral
import Registry
import Logging
import Indicators
import Messaging
import Supervision
import Collaboration
import Portal
import Surveillance
public import Storage

/// Everything the server runs on: the database, migrated, and the kernel services over it.
public struct Platform: Sendable {
    /// The database.
    public let database: Database
    /// The FHIR resource store.
    public let fhir: FHIRStore
    /// The tamper-evident audit chain.
    public var audit: AuditLog { AuditLog(database: database, head: auditHead) }
    /// The last audit entry this platform appended, shared by every way it appends (see ``AuditHead``).
    let auditHead: AuditHead

    /// Every migration of every target, applied in id order.
    public static let migrations: [Migration] = FHIRMigrations.all + RegistryMigrations.all + MessagingMigrations.all + AccessMigrations.all + ContractingMigrations.all + ChronicMigrations.all + SurveillanceMigrations.all
        + ReferralMigrations.all + IndicatorMigrations.all + SupervisionMigrations.all + CollaborationMigrations.all + PortalMigrations.all

    /// The key file's keys: token signing, field protection, keyed hashes.
    public let secrets: AccessSecrets
    /// What opening re-sealed (a rotated key, or a database from before field protection); nil for nothing.
    public let fieldReseal: FieldKeys.ResealReport?

    /// Opens the database, applies pending migrations, and brings the stored ID numbers and phones under
    /// the key file's current field key (refusing a key file that is not this database's).
    public static func open(_ configuration: DatabaseConfiguration, secrets: AccessSecrets, logger: Logger = Logger(label: "weijian")) async throws -> Platform {
        let database = try await Database.open(configuration, logger: logger)
        do {
            try await Migrator(migrations).migrate(database, logger: logger)
            let cipher = FieldCipher(secrets: secrets)
            let auditHead = AuditHead()
            let store = FHIRStore(database: database, hooks: [MasterPatientIndex(protection: cipher), ResidentDirectory(engine: database.engine), VisitRegister(engine: database.engine), PopulationHook(engine: database.engine), ChronicHook(engine: database.engine), CaseReportHook(), ImmunizationHook(engine: database.engine), AuditWriteHook()],
                                  commitHooks: [AuditCommitHook(engine: database.engine, head: auditHead)], protection: cipher)
            let report = try await FieldKeys.ensureCurrent(store: store, cipher: cipher)
            if let report, report.versions + report.indexRows + report.registryRows > 0 {
                logger.notice("protected fields sealed under the current key", metadata: [
                    "versions": "\(report.versions)", "indexRows": "\(report.indexRows)", "registryRows": "\(report.registryRows)",
                ])
            }
            return Platform(database: database, fhir: store, auditHead: auditHead, secrets: secrets, fieldReseal: report)
        } catch {
            await database.shutdown()
            throw error
        }
    }

    /// Closes the database.
    public func shutdown() async {
        await database.shutdown()
    }
}
