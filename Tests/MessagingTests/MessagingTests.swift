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
