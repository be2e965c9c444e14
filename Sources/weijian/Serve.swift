import Access
import App
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Registry

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (FHIR R4 at /fhir/r4, health and metrics).")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Configuration file (JSON; docs/configuration.md). Default: $WEIJIAN_CONFIG, if set.") var config: String?
    @Option(help: "Address to listen on (default: $WEIJIAN_HOST, else 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default: $WEIJIAN_PORT, else 8080).") var port: Int?
    @Option(help: "Seed a demo district with this many residents when the database has none (0: no demo).") var demoResidents = 0
    @Option(help: "District code of the demo (GB/T 2260).") var demoDistrict = "310105"

    func run() async throws {
        // The environment over the configuration file; every setting is checked before anything starts.
        let environment: [String: String]
        do { environment = try ConfigurationFile.environment(path: config) } catch { throw fail("\(error)") }
        // WEIJIAN_LOG_FORMAT: `text` (the default) or `json` (one object a line, with the request id).
        switch environment["WEIJIAN_LOG_FORMAT"] ?? "text" {
        case "json": LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        case "text": break
        case let other: throw fail("WEIJIAN_LOG_FORMAT must be text or json, not '\(other)'")
        }
        var logger = Logger(label: "weijian")
        if let level = environment["LOG_LEVEL"] {
            guard let parsed = Logger.Level(rawValue: level) else { throw fail("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical; not '\(level)'") }
            logger.logLevel = parsed
        } else {
            logger.logLevel = .info
        }
        let listenPort: Int
        if let port { listenPort = port } else if let text = environment["WEIJIAN_PORT"] {
            guard let value = Int(text), (1...65535).contains(value) else { throw fail("WEIJIAN_PORT must be a port number from 1 to 65535, not '\(text)'") }
            listenPort = value
        } else {
            listenPort = 8080
        }
        let configuration: AppConfiguration
        let platform: Platform
        do {
            var settings = try AppConfiguration.fromEnvironment(host: host ?? environment["WEIJIAN_HOST"] ?? "127.0.0.1", port: listenPort, environment: environment)
            if let database = db.database {
                let replica = environment["DATABASE_REPLICA_URL"] ?? ""
                let cache = settings.database.sqliteCacheMiB
                settings.database = try .parse(database)
                settings.database.sqliteCacheMiB = cache
                if !replica.isEmpty { try settings.database.setReplica(replica) }
                if environment["WEIJIAN_KEY_FILE"] == nil { settings.keyFile = AppConfiguration.defaultKeyFile(for: settings.database) }
            }
            configuration = settings
            platform = try await Platform.open(configuration.database, secrets: try configuration.loadSecrets(), logger: logger)
        } catch {
            throw fail("\(error)")
        }
        if demoResidents > 0 {
            let seeder = DemoDistrictSeeder(store: platform.fhir, registry: RegistryService(database: platform.database, fhir: platform.fhir))
            if try await seeder.isSeeded() {
                logger.info("demo district already present")
                // A demo database from before the 15-minute service circle gets its synthetic geography.
                if try await seeder.seedGeography(district: demoDistrict) { logger.info("loaded synthetic demo geography", metadata: ["district": "\(demoDistrict)"]) }
            } else {
                let started = Date()
                let report = try await seeder.seed(district: demoDistrict, residents: demoResidents, randomSeed: 20231)
                logger.info("seeded demo district", metadata: [
                    "district": "\(demoDistrict)", "residents": "\(report.residents)", "resources": "\(report.resources)",
                    "seconds": "\(String(format: "%.1f", Date().timeIntervalSince(started)))",
                ])
                try await DemoDistrict.seedServices(platform: platform, district: demoDistrict, bcryptCost: configuration.bcryptCost) { logger.info("demo \($0)") }
            }
        }
        let application = try await WeijianServer.application(platform: platform, configuration: configuration, logger: logger)
        try await application.runService()
    }
}
