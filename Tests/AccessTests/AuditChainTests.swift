import Access
import App
import Foundation
import SQLKit
import Storage
import Testing
import WeijianTesting

@Suite struct AuditChainTests {
    static func record(_ n: Int, patient: String = "p1") -> AuditRecord {
        AuditRecord(actor: "u\(n % 7)", actorRole: "family_doctor", action: "read", entity: "Patient/\(patient)", patient: patient, purpose: "treatment", source: "127.0.0.1")
    }

    @Test func intactChainVerifies() async throws {
        try await TestDatabase.withPlatform { platform in
            let log = platform.audit
            try await log.append((0..<50).map { Self.record($0) })
            var chinese = Self.record(99, patient: "p2")
            chinese.reason = "急诊抢救，患者昏迷"   // multi-byte text hashes the same in Swift and in SQL
            try await log.append([chinese])
            let result = try await log.verify(pageSize: 7)
            #expect(result.intact)
            #expect(result.checked == 51)
            #expect(try await log.entries(patient: "p2").count == 1)
        }
    }

    /// The remembered head is only a hint: appends from another "process" (a log with its own hint) and an append
    /// whose transaction rolled back leave it stale, and the chain still comes out linear and gapless.
    @Test func aStaleRememberedHeadNeverBreaksTheChain() async throws {
        try await TestDatabase.withPlatform { platform in
            let mine = platform.audit
            let other = AuditLog(database: platform.database, head: AuditHead())
            let before = try await mine.verify().checked
            try await mine.append([Self.record(0)])
            try await mine.append([Self.record(1)])          // linked through the hint
            try await other.append([Self.record(2)])         // another process appends: the hint is stale
            try await mine.append([Self.record(3)])
            // An append whose transaction rolls back moves the hint past the chain's real head.
            struct Abandon: Error {}
            await #expect(throws: Abandon.self) {
                try await platform.database.write { sql in
                    try await AuditLog.append([Self.record(4)], sql: sql, engine: platform.database.engine, head: mine.head)
                    throw Abandon()
                }
            }
            try await mine.append([Self.record(5)])
            try await other.append([Self.record(6)])
            try await mine.append([Self.record(7)])
            let result = try await mine.verify()
            #expect(result.intact)
            #expect(result.checked == before + 7)
            let actors = try await platform.database.read {
                try await $0.raw("SELECT actor FROM audit_entry WHERE seq > \(bind: before) ORDER BY seq").all(decodingColumn: "actor", as: String.self)
            }
            #expect(actors == [0, 1, 2, 3, 5, 6, 7].map { "u\($0 % 7)" })
        }
    }

    @Test func editingAnEntryIsDetectedAndNamed() async throws {
        try await TestDatabase.withPlatform { platform in
            let log = platform.audit
            try await log.append((0..<30).map { Self.record($0) })
            try await platform.database.write { try await $0.raw("UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 17").run() }
            let result = try await log.verify()
            #expect(result.firstBroken == 17)
            #expect(result.checked == 16)
            #expect(result.problem?.contains("edited") == true)
        }
    }

    @Test func deletingAnEntryIsDetected() async throws {
        try await TestDatabase.withPlatform { platform in
            let log = platform.audit
            try await log.append((0..<30).map { Self.record($0) })
            try await platform.database.write { try await $0.raw("DELETE FROM audit_entry WHERE seq = 9").run() }
            let result = try await log.verify()
            #expect(result.firstBroken == 10)
            // Recomputing the hashes after a deletion is caught too: the links no longer match.
            try await platform.database.write { try await $0.raw("UPDATE audit_entry SET seq = seq - 1 WHERE seq > 9").run() }
            let renumbered = try await log.verify()
            #expect(renumbered.firstBroken == 9)
        }
    }

    @Test func concurrentAppendsKeepOneLinearChain() async throws {
        try await TestDatabase.withPlatform { platform in
            let log = platform.audit
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for n in 0..<25 { try await log.append([Self.record(worker * 100 + n)]) }
                    }
                }
                try await group.waitForAll()
            }
            let result = try await log.verify()
            #expect(result.intact)
            #expect(result.checked == 100)
        }
    }

    /// Many appends at once (as many audited reads at once): each caller gets its own entries back, the chain stays
    /// linear, and on PostgreSQL they were committed in groups (a group's entries share the time they were made).
    @Test func simultaneousAppendsAreCommittedTogetherAndEachAnsweredWithItsOwn() async throws {
        try await TestDatabase.withPlatform { platform in
            let log = platform.audit
            let answers = try await withThrowingTaskGroup(of: (Int, [AuditEntry]).self) { group in
                for n in 0..<200 {
                    group.addTask { (n, try await log.append(n % 10 == 0 ? [Self.record(n), Self.record(n + 1000)] : [Self.record(n)])) }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(answers.count == 200)
            for (n, entries) in answers {
                let expected = n % 10 == 0 ? ["u\(n % 7)", "u\((n + 1000) % 7)"] : ["u\(n % 7)"]
                #expect(entries.map(\.record.actor) == expected, "append \(n) answered with another's entries")
                #expect(zip(entries, entries.dropFirst()).allSatisfy { $1.seq == $0.seq + 1 }, "one append's entries follow each other")
            }
            #expect(Set(answers.values.flatMap { $0.map(\.seq) }).count == 220)
            let result = try await log.verify()
            #expect(result.intact && result.checked == 220)
            if platform.database.engine == .postgres {
                let groups = try await platform.database.read { sql in
                    try await sql.raw("SELECT COUNT(DISTINCT recorded_at) AS n FROM audit_entry").first()?.decode(column: "n", as: Int.self) ?? 0
                }
                #expect(groups <= 40, "\(groups) commits for 200 simultaneous appends")
            }
        }
    }

    @Test func aFHIRChangeAndItsAuditEntryCommitTogether() async throws {
        try await TestDatabase.withPlatform { platform in
            let scope = AuditScope(template: AuditRecord(actor: "emr", actorRole: "system_client", action: "create", entity: "", purpose: "system", source: "127.0.0.1"))
            let stored = try await AuditScope.$current.withValue(scope) {
                try await platform.fhir.create(.object(["resourceType": .string("Patient"), "name": .array([.object(["text": .string("审计测试")])])]))
            }
            let entries = try await platform.audit.entries(patient: stored.id)
            #expect(entries.count == 1 && entries.first?.record.entity == "Patient/\(stored.id)")
            // A write that fails leaves neither the resource nor an audit entry.
            let before = try await platform.audit.verify().checked
            await #expect(throws: (any Error).self) {
                try await AuditScope.$current.withValue(scope) {
                    try await platform.fhir.create(.object(["resourceType": .string("Observation"), "status": .string("final"),
                        "code": .object(["text": .string("x")]), "subject": .object(["reference": .string("Patient/missing")])]))
                }
            }
            #expect(try await platform.audit.verify().checked == before)
        }
    }
}
