import Crypto
import Foundation
public import Storage

/// One-time sign-in codes sent by SMS (短信验证码登录).
///
/// A code is six random digits, valid for ``lifetime`` seconds, usable once, and given at most
/// ``maximumAttempts`` wrong guesses before it is void. Only a keyed hash of the phone number and of the
/// code is stored (HMAC-SHA256 under a key derived from the index key), so the table holds neither; a new
/// code for a phone replaces the last, and not more often than every ``resendInterval`` seconds.
public struct OneTimeCodes: Sendable {
    /// The database.
    public let database: Database
    let key: SymmetricKey
    /// Seconds a code is valid.
    public let lifetime: Int64
    /// Wrong codes allowed before the code is void.
    public let maximumAttempts: Int
    /// Seconds between two codes to one phone.
    public let resendInterval: Int64

    /// Creates the store with the key file's index key.
    public init(database: Database, secrets: AccessSecrets, lifetime: Int64 = 300, maximumAttempts: Int = 5, resendInterval: Int64 = 60) {
        self.database = database
        let indexKey = SymmetricKey(data: Hex.decode(secrets.indexKey) ?? Array(secrets.indexKey.utf8))
        key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array("one-time-code".utf8), using: indexKey)))
        self.lifetime = lifetime
        self.maximumAttempts = maximumAttempts
        self.resendInterval = resendInterval
    }

    /// Why no code was issued.
    public enum IssueError: Error, Equatable, Sendable {
        /// A code went to this phone less than ``resendInterval`` seconds ago; seconds to wait.
        case tooSoon(retryAfter: Int)
    }

    /// A mainland mobile number (11 digits starting 13–19), spaces, dashes and a leading +86 taken away;
    /// nil when it is not one.
    public static func normalisedPhone(_ text: String) -> String? {
        var digits = text.filter { !" -".contains($0) }
        if digits.hasPrefix("+86") { digits.removeFirst(3) }
        guard digits.count == 11, digits.allSatisfy(\.isASCIIDigit), digits.hasPrefix("1"),
              let second = digits.dropFirst().first, "3456789".contains(second) else { return nil }
        return digits
    }

    func hash(_ text: String) -> String {
        Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
    }

    /// Makes a new code for `phone` (normalised) and returns it, to be sent; replaces an earlier code.
    public func issue(phone: String, now: Date = Date()) async throws -> String {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        let phoneKey = hash("phone:" + phone)
        let code = String(format: "%06d", Int.random(in: 0..<1_000_000))
        let codeHash = hash("code:" + phoneKey + ":" + code)
        try await database.write { sql in
            if let row = try await sql.raw("SELECT sent_ms FROM access_one_time_code WHERE phone_key = \(bind: phoneKey)").first() {
                let sent = try row.decode(column: "sent_ms", as: Int64.self)
                if sent + resendInterval * 1000 > nowMs {
                    throw IssueError.tooSoon(retryAfter: Int((sent + resendInterval * 1000 - nowMs + 999) / 1000))
                }
                try await sql.raw("""
                    UPDATE access_one_time_code SET code_hash = \(bind: codeHash), sent_ms = \(bind: nowMs),
                        expires_ms = \(bind: nowMs + lifetime * 1000), attempts = 0
                    WHERE phone_key = \(bind: phoneKey)
                    """).run()
            } else {
                try await sql.raw("""
                    INSERT INTO access_one_time_code (phone_key, code_hash, sent_ms, expires_ms, attempts)
                    VALUES (\(bind: phoneKey), \(bind: codeHash), \(bind: nowMs), \(bind: nowMs + lifetime * 1000), 0)
                    """).run()
            }
        }
        return code
    }

    /// Whether `code` is the live code for `phone`. A right code is used up; a wrong one counts against the
    /// attempts, and the last allowed wrong attempt voids the code.
    public func verify(phone: String, code: String, now: Date = Date()) async throws -> Bool {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        let phoneKey = hash("phone:" + phone)
        let given = code.trimmingCharacters(in: .whitespaces)
        return try await database.write { sql in
            guard let row = try await sql.raw("""
                SELECT code_hash, expires_ms, attempts FROM access_one_time_code WHERE phone_key = \(bind: phoneKey)
                """).first() else { return false }
            let stored = try row.decode(column: "code_hash", as: String.self)
            let expires = try row.decode(column: "expires_ms", as: Int64.self)
            let attempts = try row.decode(column: "attempts", as: Int.self)
            guard expires > nowMs, attempts < maximumAttempts, !stored.isEmpty else { return false }
            if Self.same(hash("code:" + phoneKey + ":" + given), stored) {
                // Used once: the hash goes, the row stays so the resend interval still holds.
                try await sql.raw("UPDATE access_one_time_code SET code_hash = '', attempts = \(bind: maximumAttempts) WHERE phone_key = \(bind: phoneKey)").run()
                return true
            }
            try await sql.raw("UPDATE access_one_time_code SET attempts = attempts + 1 WHERE phone_key = \(bind: phoneKey)").run()
            return false
        }
    }

    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
