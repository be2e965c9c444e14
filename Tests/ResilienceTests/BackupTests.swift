import Access
import App
import FHIR
import Foundation
import SQLKit
import Storage
import Testing
import WeijianTesting

/// `weijian backup` / `weijian restore` (``DatabaseBackup``) on the engine under test: an online backup of FHIR resources and
/// the audit chain, the database changed and then emptied, restored each time to exactly what was backed up.
@Suite struct BackupTests {
    /// What a test compares before the backup and after each restore.
    struct Snapshot: Equatable {
        var counts: [String: Int]
        var contents: [String: String]
        var auditEntries: Int
        var auditHead: String
        var auditIntact: Bool
    }

    static func snapshot(_ platform: Platform, ids: [String]) async throws -> Snapshot {
        var contents: [String: String] = [:]
        for id in ids { contents[id] = try await platform.fhir.read(type: "Patient", id: id)?.content ?? "missing" }
        let verification = try await platform.audit.verify()
        return Snapshot(counts: try await platform.fhir.counts(), contents: contents, auditEntries: verification.checked,
                        auditHead: verification.headHash, auditIntact: verification.intact)
    }

    static func patient(_ index: Int) throws -> JSONValue {
        try JSONValue.parse(Data("""
            {"resourceType":"Patient","name":[{"family":"备份","given":["\(index)号"]}],"birthDate":"1960-01-0\(index % 9 + 1)","gender":"female"}
            """.utf8))
    }

    /// Writes as an operator would, so that every change also enters the audit chain.
    static func audited<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await AuditScope.$current.withValue(AuditScope(template: AuditRecord.byOperator("backup-test", action: "import", entity: ""))) { try await body() }
    }

    @Test func backupWhileServingThenRestoreAfterChangesAndAfterEmptying() async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let secrets = AccessSecrets.generate()
        let folder = NSTemporaryDirectory() + "weijian-backup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/weijian.backup"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let platform = try await Platform.open(configuration, secrets: secrets)
            var ids: [String] = []
            do {
                for index in 0..<6 { ids.append(try await Self.audited { try await platform.fhir.create(try Self.patient(index)) }.id) }
                try await platform.audit.append([AuditRecord.byOperator("backup-test", action: "read", entity: "Patient/\(ids[0])")])
            } catch {
                await platform.shutdown()
                throw error
            }
            let before = try await Self.snapshot(platform, ids: ids)
            #expect(before.auditIntact && before.auditEntries >= 7 && before.counts["Patient"] == 6)

            // Online: the platform stays open (and its readers and writer connected) while the backup is taken.
            let report = try await DatabaseBackup.backup(configuration, to: file)
            #expect(report.bytes > 0 && FileManager.default.fileExists(atPath: file))
            await #expect(throws: DatabaseBackup.Failure.self) { _ = try await DatabaseBackup.backup(configuration, to: file) }

            // Changed after the backup: one resident deleted, one updated, one added, more audit entries.
            do {
                _ = try await Self.audited { try await platform.fhir.delete(type: "Patient", id: ids[1]) }
                var changed = try JSONValue.parse(Data(try #require(try await platform.fhir.read(type: "Patient", id: ids[2])).content.utf8))
                changed["gender"] = .string("male")
                _ = try await Self.audited { try await platform.fhir.update(changed, type: "Patient", id: ids[2]) }
                _ = try await Self.audited { try await platform.fhir.create(try Self.patient(7)) }
            } catch {
                await platform.shutdown()
                throw error
            }
            #expect(try await Self.snapshot(platform, ids: ids) != before)

            // In use: refused, even with --force, and nothing is touched.
            do {
                _ = try await DatabaseBackup.restore(configuration, from: file, force: true)
                Issue.record("restore over a database in use was not refused")
            } catch let failure as DatabaseBackup.Failure {
                #expect(failure.description.contains("in use"), "\(failure)")
            }
            await platform.shutdown()

            // Not empty: refused without --force, saying why.
            do {
                _ = try await DatabaseBackup.restore(configuration, from: file)
                Issue.record("restore over a database with tables was not refused without --force")
            } catch let failure as DatabaseBackup.Failure {
                #expect(failure.description.contains("not empty") && failure.description.contains("--force"), "\(failure)")
            }
            _ = try await DatabaseBackup.restore(configuration, from: file, force: true)
            let restored = try await Platform.open(configuration, secrets: secrets)
            let afterChanges = try await Self.snapshot(restored, ids: ids)
            await restored.shutdown()
            #expect(afterChanges == before)

            // Emptied (the file gone, or every table of the schema dropped): restored without --force.
            try await Self.empty(configuration)
            _ = try await DatabaseBackup.restore(configuration, from: file)
            let again = try await Platform.open(configuration, secrets: secrets)
            let afterEmptying = try await Self.snapshot(again, ids: ids)
            // Still writable, and the chain goes on from the restored head.
            _ = try await Self.audited { try await again.fhir.create(try Self.patient(8)) }
            let extended = try await again.audit.verify()
            await again.shutdown()
            #expect(afterEmptying == before)
            #expect(extended.intact && extended.checked > before.auditEntries)
        } catch {
            await remove()
            throw error
        }
        await remove()
    }

    /// A backup of the other engine, or no backup at all, is refused with the reason.
    @Test func restoreRefusesWhatIsNotABackupOfThisEngine() async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let folder = NSTemporaryDirectory() + "weijian-backup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let junk = folder + "/junk.backup"
        try Data("not a backup".utf8).write(to: URL(fileURLWithPath: junk))
        for (file, reason) in [(folder + "/missing.backup", "does not exist"), (junk, "not")] {
            do {
                _ = try await DatabaseBackup.restore(configuration, from: file)
                Issue.record("restore of \(file) was not refused")
            } catch let failure as DatabaseBackup.Failure {
                #expect(failure.description.contains(reason), "\(failure)")
            }
        }
        await remove()
    }

    static func empty(_ configuration: DatabaseConfiguration) async throws {
        switch configuration.location {
        case .sqliteFile(let path):
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        case .postgres(_, _, _, _, _, let searchPath):
            let database = try await Database.open(configuration)
            do {
                try await database.write { sql in
                    let tables = try await sql.raw("SELECT tablename FROM pg_tables WHERE schemaname = \(bind: searchPath ?? "public")").all()
                        .map { try $0.decode(column: "tablename", as: String.self) }
                    for table in tables { try await sql.raw("DROP TABLE IF EXISTS \(ident: table) CASCADE").run() }
                }
            } catch {
                await database.shutdown()
                throw error
            }
            await database.shutdown()
        }
    }
}
