import Access
import App
import ArgumentParser
import Foundation
import SQLKit
import Storage

/// `weijian account create`: an account for a person (the first system administrator, typically).
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "account", abstract: "Manage accounts.", subcommands: [AccountCreate.self])
}

struct AccountCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an account; the password is read from $WEIJIAN_PASSWORD.")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Login name.") var username: String
    @Option(help: "Name shown.") var displayName: String
    @Option(help: "Role: \(Role.allCases.filter { $0 != .systemClient }.map(\.rawValue).joined(separator: ", ")).") var role: String
    @Option(help: "Organization id of the institution.") var institution: String?
    @Option(help: "District code (GB/T 2260).") var district: String?
    @Option(help: "Practitioner id.") var practitioner: String?
    @Option(help: "Patient id (residents).") var patient: String?

    func run() async throws {
        guard let role = Role(rawValue: role), role != .systemClient else { throw fail("unknown role '\(self.role)'") }
        guard let password = ProcessInfo.processInfo.environment["WEIJIAN_PASSWORD"] else { throw fail("set WEIJIAN_PASSWORD to the initial password") }
        let platform: Platform
        do { platform = try await db.openPlatform() } catch { throw fail("\(error)") }
        defer { Task { await platform.shutdown() } }
        do {
            let account = try await AccountDirectory(database: platform.database).create(NewAccount(
                username: username, displayName: displayName, role: role, password: password,
                institution: institution, district: district, practitioner: practitioner, patient: patient))
            try await platform.audit.append([AuditRecord.byOperator("account", action: "admin", entity: "account/\(account.id)", reason: "create \(role.rawValue)")])
            print(account.id)
        } catch let error as AccountError {
            throw fail(error.description)
        }
        await platform.shutdown()
    }
}

/// `weijian client register`: a system that pushes data, with client credentials.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "client", abstract: "Manage registered systems.", subcommands: [ClientRegister.self])
}

struct ClientRegister: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register", abstract: "Register a system; prints its client secret once.")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Client id.") var clientId: String
    @Option(help: "Name of the system.") var name: String
    @Option(help: "Scopes, e.g. \"system/Encounter.write system/Patient.read\".") var scopes: String
    @Option(help: "Organization id of the institution it speaks for.") var institution: String?
    @Option(help: "District of the regional exchange platform (sees every record).") var district: String?

    func run() async throws {
        let (parsed, unknown) = ScopeSet.parse(scopes)
        guard unknown.isEmpty else { throw fail("unknown scopes: \(unknown.joined(separator: " "))") }
        let configuration: AppConfiguration
        let platform: Platform
        do {
            var settings = try AppConfiguration.fromEnvironment(host: "127.0.0.1", port: 0)
            if let database = db.database { settings.database = try .parse(database) }
            configuration = settings
            platform = try await Platform.open(configuration.database, secrets: try configuration.loadSecrets())
        } catch { throw fail("\(error)") }
        do {
            let tokens = await TokenService(secrets: try configuration.loadSecrets(), database: platform.database, hasher: PasswordHasher(cost: configuration.bcryptCost))
            let secret = try await tokens.registerClient(clientID: clientId, name: name, institution: institution, district: district, scopes: parsed)
            try await platform.audit.append([AuditRecord.byOperator("client", action: "admin", entity: "client/\(clientId)", reason: "register \(parsed.text)")])
            print(secret)
        } catch let error as AccountError {
            await platform.shutdown()
            throw fail(error.description)
        }
        await platform.shutdown()
    }
}

/// `weijian verify-audit`: checks the whole audit chain and names the first broken entry.
struct VerifyAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify-audit", abstract: "Verify the tamper-evident audit chain.")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "A head hash noted elsewhere earlier (printed by a previous run); fails unless that entry is still in the intact chain, which detects entries cut from the end.") var expectHead: String?

    func run() async throws {
        let platform: Platform
        do { platform = try await db.openPlatform() } catch { throw fail("\(error)") }
        let clock = ContinuousClock()
        var result: AuditLog.Verification?
        let elapsed = try await clock.measure { result = try await platform.audit.verify() }
        var anchorFound: Bool?
        if let head = expectHead {
            anchorFound = try await platform.database.read { try await $0.raw("SELECT seq FROM audit_entry WHERE hash = \(bind: head)").first() != nil }
        }
        await platform.shutdown()
        guard let result else { throw fail("verification did not run") }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if let broken = result.firstBroken {
            print(String(format: "audit chain BROKEN at entry %lld: %@ (%d entries before it verified, %.2f s)", broken, result.problem ?? "", result.checked, seconds))
            throw ExitCode(1)
        }
        print(String(format: "audit chain intact: %d entries verified in %.2f s; head %@", result.checked, seconds, result.headHash))
        if anchorFound == false {
            print("but the head noted earlier is no longer in the chain: entries were cut from the end, or the chain was replaced")
            throw ExitCode(1)
        }
    }
}

/// `weijian keys`: the field keys that seal ID numbers and phones at rest.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Manage the field-encryption keys (ID numbers and phones at rest).",
                                                    subcommands: [KeysRotate.self, KeysStatus.self])
}

struct KeysRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate", abstract: """
        Make a new field key current, seal every stored ID number and phone again under it, then drop the old key \
        from the key file. Stop the server first: it holds the keys it read when it started.
        """)
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let started = Date()
        let platform: Platform
        let next: AccessSecrets
        let keyFile: String
        let previous: String
        do {
            let configuration = try db.configuration()
            keyFile = try db.keyFile(for: configuration)
            let secrets = try AccessSecrets.loadOrCreate(path: keyFile)
            previous = secrets.currentKey
            // Open once with the current file first, so a wrong key file is refused before anything changes.
            await (try await Platform.open(configuration, secrets: secrets)).shutdown()
            next = secrets.rotated()
            // The file holds old and new keys before anything is sealed with the new one: an interrupted
            // rotation leaves every value readable, and the next start finishes it.
            try next.save(path: keyFile)
            platform = try await Platform.open(configuration, secrets: next)
        } catch { throw fail("\(error)") }
        do {
            let report = platform.fieldReseal ?? FieldKeys.ResealReport(versions: 0, indexRows: 0, registryRows: 0)
            let retired = try await FieldKeys.retireOldKeys(keyFile: keyFile, secrets: next, store: platform.fhir)
            try await platform.audit.append([AuditRecord.byOperator("keys", action: "admin", entity: "field-key/\(next.currentKey)",
                                                                    reason: "rotate \(previous) → \(next.currentKey); retired \(retired.joined(separator: ","))")])
            print("field key \(previous) → \(next.currentKey): \(report.versions) resource versions and \(report.registryRows) registry rows sealed again "
                + "in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; retired: \(retired.isEmpty ? "none" : retired.joined(separator: ", "))")
        } catch {
            await platform.shutdown()
            throw fail("\(error)")
        }
        await platform.shutdown()
    }
}

struct KeysStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the field keys and how many stored values are not yet under the current one.")
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let platform: Platform
        do { platform = try await db.openPlatform() } catch { throw fail("\(error)") }
        do {
            let left = try await FieldKeys.reseal(store: platform.fhir, cipher: FieldCipher(secrets: platform.secrets), dryRun: true)
            print("current field key: \(platform.secrets.currentKey); keys in the file: \(platform.secrets.fieldKeys.keys.sorted().joined(separator: ", "))")
            print("values not under the current key: \(left.versions) resource versions, \(left.indexRows) index rows, \(left.registryRows) registry rows")
        } catch {
            await platform.shutdown()
            throw fail("\(error)")
        }
        await platform.shutdown()
    }
}
