import Access
import App
import ArgumentParser
import Foundation
import Storage

/// `weijian bench audit`: fills a fresh audit chain and times `verify-audit` over it.
struct BenchAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Time the audit-chain verification over many entries.")
    @Option(help: "Entries in the chain.") var entries = 1_000_000
    @Option(help: "Database URL; default a new SQLite file in a temporary folder. A PostgreSQL URL gets a fresh schema, dropped afterwards.") var database: String?

    func run() async throws {
        let base = try database.map(DatabaseConfiguration.parse) ?? DatabaseConfiguration(location: .sqliteFile(path: NSTemporaryDirectory() + "weijian-bench-\(UUID().uuidString).sqlite"))
        let fresh = try await BenchIngest.fresh(base, name: "audit")
        let platform = try await Platform.open(fresh.configuration, secrets: AccessSecrets.generate())
        let log = platform.audit
        let clock = ContinuousClock()
        let roles: [Role] = [.familyDoctor, .hospitalClinician, .resident, .cdcEpidemiologist, .chcStaff]
        let actions = ["read", "search", "create", "update"]
        let fill = try await clock.measure {
            var made = 0
            while made < entries {
                let count = min(20_000, entries - made)
                let records = (made..<(made + count)).map { n in
                    AuditRecord(actor: "account-\(n % 997)", actorRole: roles[n % roles.count].rawValue, action: actions[n % actions.count],
                                entity: "Observation/\(n)", patient: "p310105-\(n % 20_000)", purpose: "treatment", source: "10.0.\(n % 256).\(n % 199)")
                }
                try await log.append(records)
                made += count
            }
        }
        var result: AuditLog.Verification?
        let verify = try await clock.measure { result = try await log.verify() }
        let fillSeconds = Double(fill.components.seconds) + Double(fill.components.attoseconds) / 1e18
        let verifySeconds = Double(verify.components.seconds) + Double(verify.components.attoseconds) / 1e18
        print("engine: \(platform.database.engine.rawValue)  entries: \(entries)")
        print(String(format: "append:  %.2f s  %8.0f entries/s (in batches of 20,000)", fillSeconds, Double(entries) / fillSeconds))
        print(String(format: "verify:  %.2f s  %8.0f entries/s  intact: %@", verifySeconds, Double(result?.checked ?? 0) / verifySeconds, (result?.intact ?? false) ? "yes" : "NO"))
        await platform.shutdown()
        try await fresh.drop()
    }
}
