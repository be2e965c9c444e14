import Storage

/// The Messaging target's table: the outbox of notifications to residents (提醒), written by the domains in
/// their own transactions and sent afterwards by the dispatcher.
public enum MessagingMigrations {
    /// The migrations of the Messaging target, in order.
    public static let all: [Migration] = [
        Migration(id: "0250_messaging") { _ in
            [
                // One row per message. `dedupe_key` makes enqueuing idempotent (one reminder per due day, however
                // often the reminder job runs); `status` is pending, sent, failed (after the last attempt) or
                // undeliverable (no address on the record).
                """
                CREATE TABLE message_outbox (id TEXT PRIMARY KEY, recipient TEXT NOT NULL, channel TEXT NOT NULL, topic TEXT NOT NULL,
                    body TEXT NOT NULL, dedupe_key TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, status TEXT NOT NULL,
                    attempts INTEGER NOT NULL, sent_at TEXT, last_error TEXT)
                """,
                "CREATE INDEX message_outbox_status ON message_outbox (status, created_at)",
                "CREATE INDEX message_outbox_recipient ON message_outbox (recipient, created_at)",
            ]
        },
    ]
}
