import Crypto
import Foundation
public import SQLKit
public import Storage

/// Token buckets kept in the database (`access_rate_bucket`), so that every server process on one database
/// counts against the same limits (`WEIJIAN_RATE_LIMITS=database`). A bucket holds up to `burst` tokens and
/// regains `perMinute` a minute; a request takes one. One statement (an upsert) refills, takes and answers, so
/// two servers asking at once cannot both take the last token: PostgreSQL re-evaluates the update on the row the
/// first one changed, SQLite has one writer.
///
/// Tokens are counted in millionths (integers), so both engines compute alike without floating point. Keys are
/// keyed hashes (HMAC-SHA256 under a key derived from the index key) of the limiter's name and the key (a user,
/// an address, a phone number), so the table holds no personal data.
public struct RateBuckets: Sendable {
    /// The database with `access_rate_bucket`.
    public let database: Database
    let key: SymmetricKey

    static let unit: Int64 = 1_000_000

    /// Creates the store with the key file's index key.
    public init(database: Database, secrets: AccessSecrets) {
        self.database = database
        let indexKey = SymmetricKey(data: Hex.decode(secrets.indexKey) ?? Array(secrets.indexKey.utf8))
        key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array("rate-bucket".utf8), using: indexKey)))
    }

    /// One limit to ask: the bucket of `key` in the limiter `scope`, which holds `burst` tokens and regains
    /// `perMinute` a minute.
    public struct Ask: Sendable {
        public var scope: String
        public var key: String
        public var burst: Int
        public var perMinute: Int

        public init(scope: String, key: String, burst: Int, perMinute: Int) {
            self.scope = scope
            self.key = key
            self.burst = burst
            self.perMinute = perMinute
        }
    }

    /// Takes one token from the bucket of `key` in the limiter `scope` (burst `burst`, `perMinute` tokens regained a
    /// minute). Nil when one was taken, else the whole seconds until one will be there.
    public func take(scope: String, key: String, burst: Int, perMinute: Int, now: Date = Date()) async throws -> Int? {
        try await take([Ask(scope: scope, key: key, burst: burst, perMinute: perMinute)], now: now)
    }

    /// Takes a token from each of `asks` in turn, in one transaction, stopping at the first that has none (as the
    /// process's own limiters are asked); nil when every one gave a token, else the seconds the first refusal says.
    public func take(_ asks: [Ask], now: Date = Date()) async throws -> Int? {
        try await database.write { sql in
            for ask in asks {
                if let wait = try await take(ask, now: now, sql: sql) { return wait }
            }
            return nil
        }
    }

    func take(_ ask: Ask, now: Date, sql: any SQLDatabase) async throws -> Int? {
        let bucket = Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array((ask.scope + "\u{0}" + ask.key).utf8), using: key).prefix(16)))
        let nowMs = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let full = Int64(ask.burst) * Self.unit
        let perMinute = Int64(max(1, ask.perMinute))
        // Millionths of a token regained since the bucket's last use: elapsed ms × perMinute × 10⁶ / 60,000, rounded up
        // (so that whole seconds of waiting give whole tokens back).
        // A day unused fills any bucket (and keeps the product far from overflowing 64 bits).
        let regained = """
            (CASE WHEN \(nowMs) - access_rate_bucket.at_ms >= 86400000 THEN \(full)
                  WHEN \(nowMs) > access_rate_bucket.at_ms THEN ((\(nowMs) - access_rate_bucket.at_ms) * \(perMinute) * 50 + 2) / 3 ELSE 0 END)
            """
        let refilled = "(CASE WHEN access_rate_bucket.tokens + \(regained) >= \(full) THEN \(full) ELSE access_rate_bucket.tokens + \(regained) END)"
        let row = try await sql.raw("""
            INSERT INTO access_rate_bucket (bucket_key, scope, tokens, at_ms, granted)
            VALUES (\(bind: bucket), \(bind: ask.scope), \(unsafeRaw: String(full - Self.unit)), \(unsafeRaw: String(nowMs)), 1)
            ON CONFLICT (bucket_key) DO UPDATE SET
                tokens = CASE WHEN \(unsafeRaw: refilled) >= \(unsafeRaw: String(Self.unit)) THEN \(unsafeRaw: refilled) - \(unsafeRaw: String(Self.unit)) ELSE \(unsafeRaw: refilled) END,
                granted = CASE WHEN \(unsafeRaw: refilled) >= \(unsafeRaw: String(Self.unit)) THEN 1 ELSE 0 END,
                at_ms = CASE WHEN \(unsafeRaw: String(nowMs)) > access_rate_bucket.at_ms THEN \(unsafeRaw: String(nowMs)) ELSE access_rate_bucket.at_ms END
            RETURNING tokens, granted
            """).first()
        guard let row else { return nil }
        if try row.decode(column: "granted", as: Int.self) == 1 { return nil }
        let tokens = try row.decode(column: "tokens", as: Int64.self)
        // Seconds until the bucket holds a whole token again, at perMinute ÷ 60 tokens a second.
        let missing = Double(Self.unit - tokens) / Double(Self.unit)
        return max(1, Int((missing * 60 / Double(perMinute)).rounded(.up)))
    }

    /// Deletes the buckets of `scope` untouched for `seconds` (by then they are full again, as good as absent).
    public func forget(scope: String, unusedFor seconds: Int, now: Date = Date()) async throws {
        let before = Int64(now.timeIntervalSince1970 * 1000) - Int64(seconds) * 1000
        try await database.write { sql in
            try await sql.raw("DELETE FROM access_rate_bucket WHERE scope = \(bind: scope) AND at_ms < \(bind: before)").run()
        }
    }
}
