import Foundation
import Messaging
import Storage
import Synchronization
import Testing
import WeijianTesting

/// A sender that records what it was given, refusing the addresses it is told to.
final class RecordingSender: NotificationSender {
    let sent = Mutex<[(String, String)]>([])
    let refuse: Set<String>
    init(refuse: Set<String> = []) { self.refuse = refuse }
    struct Refused: Error {}
    func send(_ message: OutboundMessage, to address: String) async throws {
        if refuse.contains(address) { throw Refused() }
        sent.withLock { $0.append((message.recipient, address)) }
    }
}

@Suite struct MessagingTests {
    @Test func enqueueIsIdempotentAndDispatchSendsRetriesAndGivesUp() async throws {
        try await TestDatabase.withPlatform { platform in
            let database = platform.database
            let drafts = [
                Outbox.Draft(recipient: "a", topic: "chronic-followup", body: "随访提醒", dedupeKey: "k1"),
                Outbox.Draft(recipient: "b", topic: "chronic-followup", body: "随访提醒", dedupeKey: "k2"),
                Outbox.Draft(recipient: "c", topic: "chronic-followup", body: "随访提醒", dedupeKey: "k3"),
                Outbox.Draft(recipient: "a", topic: "chronic-followup", body: "重复", dedupeKey: "k1"),
            ]
            try await database.write { try await Outbox.enqueue(drafts, sql: $0, engine: database.engine) }
            // The same keys again (the reminder job runs every hour): nothing new.
            try await database.write { try await Outbox.enqueue(Array(drafts.prefix(2)), sql: $0, engine: database.engine) }
            #expect(try await Outbox.counts(database: database) == ["pending": 3])

            let sender = RecordingSender(refuse: ["13900000002"])
            let phones = ["a": "13900000001", "b": "13900000002"]
            let dispatcher = NotificationDispatcher(database: database, sender: sender) { phones[$0] }
            var report = try await dispatcher.run()
            #expect(report == NotificationDispatcher.Report(sent: 1, retried: 1, failed: 0, undeliverable: 1))
            #expect(sender.sent.withLock { $0.map(\.0) } == ["a"])
            for _ in 2..<NotificationDispatcher.maxAttempts { report = try await dispatcher.run() }
            report = try await dispatcher.run()
            #expect(report.failed == 1)
            #expect(try await Outbox.counts(database: database) == ["sent": 1, "failed": 1, "undeliverable": 1])
            // Nothing pending: a further run sends nothing twice.
            #expect(try await dispatcher.run() == NotificationDispatcher.Report())
            let mine = try await Outbox.messages(for: "a", database: database)
            #expect(mine.map(\.status) == ["sent"] && mine.first?.body == "随访提醒")
        }
    }
}

/// A sender that records the ids it sent, taking a millisecond each (so that dispatchers running at once overlap).
final class SlowRecordingSender: NotificationSender {
    let ids = Mutex<[String]>([])
    func send(_ message: OutboundMessage, to address: String) async throws {
        try await Task.sleep(for: .milliseconds(1))
        ids.withLock { $0.append(message.id) }
    }
}

/// Several server processes on one database: each message sent by one dispatcher, each hourly run made by one process.
@Suite struct SharedDatabaseTests {
    /// Two handles on one database (as two server processes have), both migrated for Messaging.
    static func withTwoHandles(_ body: (Database, Database) async throws -> Void) async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let first = try await Database.open(configuration)
        let second: Database
        do {
            try await Migrator(MessagingMigrations.all).migrate(first)
            second = try await Database.open(configuration)
        } catch {
            await first.shutdown(); await remove()
            throw error
        }
        do {
            try await body(first, second)
        } catch {
            await first.shutdown(); await second.shutdown(); await remove()
            throw error
        }
        await first.shutdown(); await second.shutdown(); await remove()
    }

    @Test func dispatchersOnOneDatabaseSendEachMessageOnce() async throws {
        try await Self.withTwoHandles { first, second in
            let drafts = (0..<300).map { Outbox.Draft(recipient: "r\($0)", topic: "chronic-followup", body: "随访提醒", dedupeKey: "k\($0)") }
            try await first.write { try await Outbox.enqueue(drafts, sql: $0, engine: first.engine) }
            let sender = SlowRecordingSender()
            @Sendable func drain(_ dispatcher: NotificationDispatcher) async throws -> Int {
                var sent = 0
                while true {
                    let report = try await dispatcher.run(limit: 20)
                    if report.isEmpty { return sent }
                    sent += report.sent
                }
            }
            async let one = drain(NotificationDispatcher(database: first, sender: sender) { "1390000\($0)" })
            async let other = drain(NotificationDispatcher(database: second, sender: sender) { "1390000\($0)" })
            let (byFirst, bySecond) = try await (one, other)
            let ids = sender.ids.withLock { $0 }
            #expect(ids.count == 300 && Set(ids).count == 300, "every message sent, none twice")
            #expect(byFirst + bySecond == 300 && byFirst > 0 && bySecond > 0, "both dispatchers took part: \(byFirst) and \(bySecond)")
            #expect(try await Outbox.counts(database: second) == ["sent": 300])
        }
    }

    @Test func messagesADeadDispatcherClaimedAreSentAfterItsLease() async throws {
        try await Self.withTwoHandles { first, second in
            let drafts = (0..<5).map { Outbox.Draft(recipient: "r\($0)", topic: "chronic-followup", body: "随访提醒", dedupeKey: "k\($0)") }
            try await first.write { try await Outbox.enqueue(drafts, sql: $0, engine: first.engine) }
            // A dispatcher claimed them all and died before sending (its claim, as `run` makes it).
            let until = ISO8601Timestamp.format(Date().addingTimeInterval(Double(NotificationDispatcher.leaseSeconds)))
            try await first.write { try await $0.raw("UPDATE message_outbox SET lease_until = \(bind: until)").run() }
            let sender = SlowRecordingSender()
            let survivor = NotificationDispatcher(database: second, sender: sender) { "1390000\($0)" }
            #expect(try await survivor.run() == NotificationDispatcher.Report(), "held by the other's lease")
            let later = Date().addingTimeInterval(Double(NotificationDispatcher.leaseSeconds + 1))
            #expect(try await survivor.run(now: later).sent == 5, "taken over once the lease ended")
            #expect(sender.ids.withLock { $0.count } == 5)
            #expect(try await Outbox.counts(database: first) == ["sent": 5])
        }
    }

    @Test func oneProcessRunsAJobWhenItIsDue() async throws {
        try await Self.withTwoHandles { first, second in
            let a = JobLease(database: first, holder: "a"), b = JobLease(database: second, holder: "b")
            let start = Date()
            // Asked at once: one yes.
            async let claimedByA = a.claim("hourly", every: 3600, lease: 600, now: start)
            async let claimedByB = b.claim("hourly", every: 3600, lease: 600, now: start)
            let (aGot, bGot) = try await (claimedByA, claimedByB)
            #expect(aGot != bGot, "exactly one of the two runs it")
            let (winner, loser) = aGot ? (a, b) : (b, a)
            #expect(try await !loser.claim("hourly", every: 3600, lease: 600, now: start.addingTimeInterval(10)), "still held")
            try await winner.finish("hourly", succeeded: true, now: start.addingTimeInterval(60))
            #expect(try await !loser.claim("hourly", every: 3600, lease: 600, now: start.addingTimeInterval(120)), "ran an hour ago at most: not due")
            #expect(try await loser.claim("hourly", every: 3600, lease: 600, now: start.addingTimeInterval(3661)), "due an hour after it finished")
            // The loser (now holding it) dies without finishing: the job is held until the lease ends, then taken over.
            #expect(try await !winner.claim("hourly", every: 3600, lease: 600, now: start.addingTimeInterval(3700)))
            #expect(try await winner.claim("hourly", every: 3600, lease: 600, now: start.addingTimeInterval(3661 + 601)))
            // A failed run leaves it due at once.
            try await winner.finish("hourly", succeeded: false, now: start.addingTimeInterval(4300))
            #expect(try await loser.claim("hourly", every: 3600, lease: 600, now: start.addingTimeInterval(4301)))
            // Another job is separate.
            #expect(try await winner.claim("nightly", every: 86_400, lease: 600, now: start))
        }
    }
}
