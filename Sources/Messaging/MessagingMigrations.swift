import Storage

/// The Messaging target's tables: the outbox of notifications to residents (提醒), written by the domains in
/// their own transactions and sent afterwards by the dispatcher; and the leases that let one of several server
/// processes run each background job (``JobLease``) and send each message.
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
        Migration(id: "0251_leases") { _ in
            [
                // A message being sent: the dispatcher that claimed it holds it until `lease_until`, so another
                // server process does not send it too (and takes it over if that one dies).
                "ALTER TABLE message_outbox ADD COLUMN lease_until TEXT",
                // The background jobs: who runs each (until when) and when it last started and finished.
                "CREATE TABLE job_run (name TEXT PRIMARY KEY, holder TEXT, lease_until TEXT, last_started TEXT, last_finished TEXT)",
            ]
        },
    ]
}
