import Access
import FHIR
import Foundation
import Messaging

/// The Access target's services, built once per server.
struct AccessServices: Sendable {
    let accounts: AccountDirectory
    let tokens: TokenService
    let consents: ConsentRegistry
    let policy: AccessPolicy
    let audit: AuditLog
    let guardian: FHIRGuard
    /// Login attempts per address: 10 at once, then 20 a minute.
    let loginByAddress: RateLimiter
    /// Login attempts per user name: 5 at once, then 5 a minute (the account's own back-off comes on top).
    let loginByUser: RateLimiter
    /// Writes (FHIR and domain API, forms) per principal: `writeBurst` (600) at once, then twice that a minute.
    let writesByUser: RateLimiter
    /// Writes per client address: twice the principal's (several users may share an address).
    let writesByAddress: RateLimiter
    let secureCookies: Bool
    let deidentifier: Deidentifier
    /// One-time sign-in codes, and the SMS sender that delivers them (the deployment's; the demo's prints).
    let oneTimeCodes: OneTimeCodes
    let smsSender: any NotificationSender
    /// Codes asked for per address: 5 at once, then 2 a minute (each phone also waits a minute between codes).
    let codesByAddress: RateLimiter

    init(platform: Platform, configuration: AppConfiguration, secrets: AccessSecrets) async {
        let hasher = PasswordHasher(cost: configuration.bcryptCost)
        accounts = AccountDirectory(database: platform.database, hasher: hasher, policy: LoginPolicy(lockAfter: configuration.lockAfter))
        tokens = await TokenService(secrets: secrets, database: platform.database, hasher: hasher, lifetime: .seconds(configuration.tokenSeconds))
        consents = ConsentRegistry(database: platform.database)
        policy = AccessPolicy(store: platform.fhir, consents: consents)
        audit = platform.audit
        guardian = FHIRGuard(service: FHIRService(store: platform.fhir), policy: policy, audit: audit)
        // In the database when the servers on it share the limits (`WEIJIAN_RATE_LIMITS=database`).
        let shared = configuration.sharedRateLimits ? RateBuckets(database: platform.database, secrets: secrets) : nil
        loginByAddress = RateLimiter("login-address", burst: 10, perMinute: 20, shared: shared)
        loginByUser = RateLimiter("login-user", burst: 5, perMinute: 5, shared: shared)
        codesByAddress = RateLimiter("code-address", burst: 5, perMinute: 2, shared: shared)
        writesByUser = RateLimiter("write-user", burst: configuration.writeBurst, perMinute: 2 * configuration.writeBurst, shared: shared)
        writesByAddress = RateLimiter("write-address", burst: 2 * configuration.writeBurst, perMinute: 4 * configuration.writeBurst, shared: shared)
        secureCookies = configuration.secureCookies
        deidentifier = Deidentifier(secrets: secrets)
        oneTimeCodes = OneTimeCodes(database: platform.database, secrets: secrets)
        smsSender = configuration.notificationSender
    }
}

extension AccessServices {
    /// Appends one audit entry per resident concerned (one without a resident when none) for what
    /// `principal` did through a domain route.
    func record(_ context: AppRequestContext, _ principal: Principal, action: String, entity: String, patients: [String]) async throws {
        let template = AuditRecord(by: principal, action: action, entity: entity, source: context.clientAddress)
        try await audit.append((patients.isEmpty ? [""] : patients).map { var each = template; each.patient = $0; return each })
    }
}
