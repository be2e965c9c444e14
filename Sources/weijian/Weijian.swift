import Access
import App
import ArgumentParser
import FHIR
import Foundation
import Logging
import Storage

/// `weijian` (卫健): the district health information platform's command line.
@main
struct Weijian: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weijian",
        abstract: "卫健 Weijian — district health information platform (FHIR R4).",
        subcommands: [Serve.self, Migrate.self, Seed.self, Import.self, ImportCSV.self, Export.self, AccountCommand.self, ClientCommand.self, KeysCommand.self, VerifyAudit.self, BackupCommand.self, RestoreCommand.self, Bench.self, Detect.self]
    )
}

/// Options shared by commands that open the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Database URL (postgres://… or sqlite://path). Default: $DATABASE_URL, else ./data/weijian.sqlite.")
    var database: String?

    func configuration() throws -> DatabaseConfiguration {
        if let database { return try DatabaseConfiguration.parse(database) }
        return try DatabaseConfiguration.fromEnvironment(try ConfigurationFile.environment())
    }

    /// The key file: `$WEIJIAN_KEY_FILE` (or the configuration file's), else `weijian-keys.json` beside the SQLite file (or in ./data).
    func keyFile(for configuration: DatabaseConfiguration) throws -> String {
        if let file = try ConfigurationFile.environment()["WEIJIAN_KEY_FILE"], !file.isEmpty { return file }
        return AppConfiguration.defaultKeyFile(for: configuration)
    }

    /// The platform over this database, with the keys of its key file (created on first use).
    func openPlatform() async throws -> Platform {
        let configuration = try configuration()
        return try await Platform.open(configuration, secrets: try AccessSecrets.loadOrCreate(path: try keyFile(for: configuration)))
    }
}

/// Prints a message to standard error and exits non-zero.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data(("weijian: " + message + "\n").utf8))
    return ExitCode(2)
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        do {
            let platform = try await db.openPlatform()
            await platform.shutdown()
            print("migrations applied")
        } catch {
            throw fail("\(error)")
        }
    }
}
