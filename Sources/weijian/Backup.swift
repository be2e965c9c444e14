import ArgumentParser
import Foundation
import Storage

/// `weijian backup <file>`: a consistent copy of the database, taken while the server may be running.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent backup of the database to a file (SQLite: VACUUM INTO; PostgreSQL: pg_dump, custom format).",
        discussion: """
            The server may keep running. The key file (WEIJIAN_KEY_FILE, else weijian-keys.json beside the SQLite file) is not \
            in the backup: keep a copy of it separately; without it the ID numbers and phones in the backup cannot be read.
            """
    )
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Replace the file if it already exists.") var force = false
    @Argument(help: "The backup file to write.") var file: String

    func run() async throws {
        do {
            let configuration = try db.configuration()
            let report = try await DatabaseBackup.backup(configuration, to: file, force: force)
            print(String(format: "backup of the %@ database written to %@: %.1f MiB in %.2f s", report.engine.rawValue, report.file,
                         Double(report.bytes) / 1_048_576, report.seconds))
            print("the key file (\((try? db.keyFile(for: configuration)) ?? "?")) is not in the backup: keep a copy of it with your backups")
        } catch {
            throw fail("\(error)")
        }
    }
}

/// `weijian restore <file>`: the database's contents replaced by a backup (server stopped).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the database's contents with a backup made by `weijian backup` (stop the server first).",
        discussion: """
            Refuses while the database is in use, and, unless --force, when it already holds tables. Use the key file \
            that belonged to the database when the backup was taken.
            """
    )
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Replace a database that already holds tables.") var force = false
    @Argument(help: "The backup file to restore.") var file: String

    func run() async throws {
        do {
            let report = try await DatabaseBackup.restore(try db.configuration(), from: file, force: force)
            print(String(format: "restored the %@ database from %@ in %.2f s", report.engine.rawValue, report.file, report.seconds))
        } catch {
            throw fail("\(error)")
        }
    }
}
