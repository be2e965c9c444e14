/// A notification to a resident (提醒), as the outbox holds it.
public struct OutboundMessage: Sendable, Codable, Equatable {
    /// The outbox id.
    public var id: String
    /// The resident it is for (a Patient id); the address is looked up when it is sent, never stored here.
    public var recipient: String
    /// `sms` (the only channel so far).
    public var channel: String
    /// What it is about, e.g. `chronic-followup` (随访提醒), for the resident's message list and for metrics.
    public var topic: String
    /// The text, in Chinese, without the resident's name or identifiers.
    public var body: String
    /// When it was enqueued (ISO 8601, Asia/Shanghai).
    public var createdAt: String
    /// `pending`, `sent`, `failed` or `undeliverable`.
    public var status: String
    /// When it was sent.
    public var sentAt: String?

    /// Creates a message.
    public init(id: String, recipient: String, channel: String, topic: String, body: String, createdAt: String, status: String, sentAt: String?) {
        self.id = id
        self.recipient = recipient
        self.channel = channel
        self.topic = topic
        self.body = body
        self.createdAt = createdAt
        self.status = status
        self.sentAt = sentAt
    }
}
