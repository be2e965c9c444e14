import Foundation
public import Storage

/// Sends the outbox's pending messages through a ``NotificationSender``: the address is looked up at
/// sending time (so a changed phone number is used, and no address sits in the outbox); a refused send is
/// tried again on the next run, up to ``maxAttempts``; a resident without an address is marked
/// undeliverable.
public struct NotificationDispatcher: Sendable {
    /// The database with the outbox.
    public let database: Database
    /// What delivers.
    public let sender: any NotificationSender
    /// The address of a resident (their mobile phone), nil when the record has none.
    public let address: @Sendable (String) async throws -> String?
    /// Where `webhook` messages go (a URL) and what posts them; nil: they are marked undeliverable.
    public let webhook: (url: String, sender: any NotificationSender)?
    /// Attempts before a message is marked failed.
    public static let maxAttempts = 5

    /// Creates a dispatcher.
    public init(database: Database, sender: any NotificationSender, address: @escaping @Sendable (String) async throws -> String?,
                webhook: (url: String, sender: any NotificationSender)? = nil) {
        self.database = database
        self.sender = sender
        self.address = address
        self.webhook = webhook
    }

    /// What one run did.
    public struct Report: Sendable, Equatable {
        public var sent = 0
        public var retried = 0
        public var failed = 0
        public var undeliverable = 0

        /// A report of the given counts (nothing done by default).
        public init(sent: Int = 0, retried: Int = 0, failed: Int = 0, undeliverable: Int = 0) {
            self.sent = sent
            self.retried = retried
            self.failed = failed
            self.undeliverable = undeliverable
        }

        /// Whether the run did anything.
        public var isEmpty: Bool { self == Report() }
    }

    /// How long a dispatcher holds the messages it claimed, in seconds: another server process takes them over
    /// after that (a dispatcher that died mid-run), so a message is sent at least once.
    public static let leaseSeconds = 300

    /// Sends up to `limit` pending messages, oldest first. They are claimed first (a lease on each, in one
    /// conditional UPDATE), so that server processes sharing the database send each message once.
    @discardableResult
    public func run(limit: Int = 200, now: Date = Date()) async throws -> Report {
        let start = ISO8601Timestamp.format(now), until = ISO8601Timestamp.format(now.addingTimeInterval(Double(Self.leaseSeconds)))
        // PostgreSQL: rows another dispatcher is claiming are skipped, not waited for; the outer condition is
        // checked again on a row changed meanwhile, so a row is claimed once (SQLite has one writer).
        let skipLocked = database.engine == .postgres ? "FOR UPDATE SKIP LOCKED" : ""
        // Most runs find nothing to send: a read says so without a write transaction (SQLite's one writer, a
        // PostgreSQL commit) every tick.
        let anyDue = try await database.read { sql in
            try await sql.raw("""
                SELECT id FROM message_outbox WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < \(bind: start)) LIMIT 1
                """).first() != nil
        }
        guard anyDue else { return Report() }
        let pending = try await database.write { sql in
            try await sql.raw("""
                UPDATE message_outbox SET lease_until = \(bind: until)
                WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < \(bind: start)) AND id IN (
                    SELECT id FROM message_outbox WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < \(bind: start))
                    ORDER BY created_at, id LIMIT \(unsafeRaw: String(max(1, limit))) \(unsafeRaw: skipLocked))
                RETURNING *
                """).all().map { (message: try Outbox.message($0), attempts: try $0.decode(column: "attempts", as: Int.self)) }
                .sorted { ($0.message.createdAt, $0.message.id) < ($1.message.createdAt, $1.message.id) }
        }
        var report = Report()
        for (message, attempts) in pending {
            let sentAt = ISO8601Timestamp.now()
            let status: String
            var error: String?
            let route: (address: String, sender: any NotificationSender)?
            if message.channel == "webhook" {
                route = webhook.map { ($0.url, $0.sender) }
            } else {
                route = try await address(message.recipient).flatMap { $0.isEmpty ? nil : ($0, sender) }
            }
            if let (address, sender) = route {
                do {
                    try await sender.send(message, to: address)
                    status = "sent"
                    report.sent += 1
                } catch let failure {
                    // The error's type only: a gateway's message may echo the number.
                    error = String(describing: type(of: failure))
                    status = attempts + 1 >= Self.maxAttempts ? "failed" : "pending"
                    if status == "failed" { report.failed += 1 } else { report.retried += 1 }
                }
            } else {
                status = "undeliverable"
                error = message.channel == "webhook" ? "no webhook configured" : "no mobile phone on the record"
                report.undeliverable += 1
            }
            try await database.write { sql in
                try await sql.raw("""
                    UPDATE message_outbox SET status = \(bind: status), attempts = attempts + 1, last_error = \(bind: error),
                        sent_at = \(bind: status == "sent" ? sentAt : nil), lease_until = NULL
                    WHERE id = \(bind: message.id) AND status = 'pending'
                    """).run()
            }
        }
        return report
    }
}
