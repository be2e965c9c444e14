import Foundation
import Synchronization

/// Token-bucket rate limits per key (a user, an address), kept in memory per server process.
final class RateLimiter: Sendable {
    /// Requests allowed in a burst.
    let burst: Double
    /// Requests regained per second.
    let perSecond: Double
    private let buckets = Mutex<[String: (tokens: Double, at: Double)]>([:])

    init(burst: Int, perMinute: Int) {
        self.burst = Double(burst)
        self.perSecond = Double(perMinute) / 60
    }

    /// Takes one token for `key`; returns nil when allowed, else the seconds to wait.
    func take(_ key: String, now: Double = Date().timeIntervalSince1970) -> Int? {
        buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }   // bounded memory under a flood of keys
            var bucket = buckets[key] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * perSecond)
            bucket.at = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
        }
    }
}
