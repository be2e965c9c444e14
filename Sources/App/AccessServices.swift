import Access
import FHIR
import Foundation

/// The Access target's services, built once per server.
struct AccessServices: Sendable {
    let accounts: AccountDirectory
    let tokens: TokenService
    let consents: ConsentRegistry
    let policy: AccessPolicy
    let audit: AuditLog
    let guardian: FHIRGuard
    /// Login attempts per address: 10 at once, then 20 a minute.
    let loginByAddress = RateLimiter(burst: 10, perMinute: 20)
    /// Login attempts per user name: 5 at once, then 5 a minute (the account's own back-off comes on top).
    let loginByUser = RateLimiter(burst: 5, perMinute: 5)
    /// Writes per principal: 600 at once, then 1,200 a minute.
    let writesByUser = RateLimiter(burst: 600, perMinute: 1200)
    /// Writes per client address: 1,200 at once, then 2,400 a minute (several users may share an address).
    let writesByAddress = RateLimiter(burst: 1200, perMinute: 2400)
    let secureCookies: Bool
    let deidentifier: Deidentifier

    init(platform: Platform, configuration: AppConfiguration, secrets: AccessSecrets) async {
        let hasher = PasswordHasher(cost: configuration.bcryptCost)
        accounts = AccountDirectory(database: platform.database, hasher: hasher, policy: LoginPolicy(lockAfter: configuration.lockAfter))
        tokens = await TokenService(secrets: secrets, database: platform.database, hasher: hasher, lifetime: .seconds(configuration.tokenSeconds))
        consents = ConsentRegistry(database: platform.database)
        policy = AccessPolicy(store: platform.fhir, consents: consents)
        audit = platform.audit
        guardian = FHIRGuard(service: FHIRService(store: platform.fhir), policy: policy, audit: audit)
        secureCookies = configuration.secureCookies
        deidentifier = Deidentifier(secrets: secrets)
    }
}
