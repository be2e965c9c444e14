import FHIR
import Foundation
public import SQLKit
public import Storage

/// The outbox of notifications (消息发件箱). Domains enqueue inside their own transaction, so a message
/// exists exactly when the change that caused it was committed; the dispatcher sends afterwards.
public enum Outbox {
    /// A message to enqueue: recipient, topic, text, the key that makes it unique, and the channel: `sms` to a
    /// resident (the recipient a Patient id, the text plain), or `webhook` to a system (the recipient names
    /// what it concerns, e.g. `district:310105`, the text JSON without personal data).
    public struct Draft: Sendable, Equatable {
        public var recipient: String
        public var topic: String
        public var body: String
        public var dedupeKey: String
        public var channel: String

        /// Creates a draft.
        public init(recipient: String, topic: String, body: String, dedupeKey: String, channel: String = "sms") {
            self.recipient = recipient
            self.topic = topic
            self.body = body
            self.dedupeKey = dedupeKey
            self.channel = channel
        }
    }

    /// Enqueues `drafts`, ignoring any whose dedupe key is already in the outbox.
    public static func enqueue(_ drafts: [Draft], sql: any SQLDatabase, engine: DatabaseEngine, now: String = ISO8601Timestamp.now()) async throws {
        var rows = BatchInsert(table: "message_outbox", columns: ["id", "recipient", "channel", "topic", "body", "dedupe_key", "created_at", "status", "attempts"],
                               suffix: "ON CONFLICT (dedupe_key) DO NOTHING")
        var seen = Set<String>()
        for draft in drafts where seen.insert(draft.dedupeKey).inserted {
            rows.append([.text(RecordID.make("m", length: 32)), .text(draft.recipient), .text(draft.channel),
                         .text(draft.topic), .text(draft.body), .text(draft.dedupeKey), .text(now), .text("pending"), .int(0)])
        }
        try await rows.flush(sql, engine: engine)
    }

    /// The messages of one resident, newest first (their 消息 list).
    public static func messages(for recipient: String, database: Database, limit: Int = 50) async throws -> [OutboundMessage] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM message_outbox WHERE recipient = \(bind: recipient) ORDER BY created_at DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 500))))
                """).all().map(message)
        }
    }

    /// Counts of messages by status.
    public static func counts(database: Database) async throws -> [String: Int] {
        try await database.read { sql in
            var counts: [String: Int] = [:]
            for row in try await sql.raw("SELECT status, COUNT(*) AS n FROM message_outbox GROUP BY status").all() {
                counts[try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
            return counts
        }
    }

    static func message(_ row: any SQLRow) throws -> OutboundMessage {
        OutboundMessage(id: try row.decode(column: "id", as: String.self), recipient: try row.decode(column: "recipient", as: String.self),
                        channel: try row.decode(column: "channel", as: String.self), topic: try row.decode(column: "topic", as: String.self),
                        body: try row.decode(column: "body", as: String.self), createdAt: try row.decode(column: "created_at", as: String.self),
                        status: try row.decode(column: "status", as: String.self), sentAt: try row.decode(column: "sent_at", as: String?.self))
    }
}
