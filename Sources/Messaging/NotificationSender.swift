import Foundation

/// The interface to whatever delivers a message (an SMS gateway, an app push service). The deployment
/// chooses one; the demo's writes to the console.
public protocol NotificationSender: Sendable {
    /// Delivers `message` to `address` (a phone number for `sms`); throws when the gateway refuses, and the
    /// dispatcher tries again later.
    func send(_ message: OutboundMessage, to address: String) async throws
}

/// The demo's sender: prints each message to standard output with the phone number masked, in place of an
/// SMS gateway.
public struct ConsoleSender: NotificationSender {
    /// Creates the sender.
    public init() {}

    public func send(_ message: OutboundMessage, to address: String) async throws {
        // Written straight away (not through print's buffer), so that a log file shows it at once.
        FileHandle.standardOutput.write(Data("[短信] \(Self.mask(address)) \(message.topic): \(message.body)\n".utf8))
    }

    /// A phone number with all but its first three and last four digits hidden.
    static func mask(_ phone: String) -> String {
        guard phone.count > 7 else { return String(repeating: "*", count: phone.count) }
        return String(phone.prefix(3)) + String(repeating: "*", count: phone.count - 7) + String(phone.suffix(4))
    }
}
