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
        subcommands: [Serve.self, Migrate.self, Seed.self, Import.self, Export.self, AccountCommand.self, ClientCommand.self, VerifyAudit.self, Bench.self]
    )
}

/// Options shared by commands that open the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Database URL (postgres://… or sqlite://path). Default: $DATABASE_URL, else ./data/weijian.sqlite.")
    var database: String?

    func configuration() throws -> DatabaseConfiguration {
        if let database { return try DatabaseConfiguration.parse(database) }
        return try DatabaseConfiguration.fromEnvironment()
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
            let platform = try await Platform.open(try db.configuration())
            await platform.shutdown()
            print("migrations applied")
        } catch {
            throw fail("\(error)")
        }
    }
}
