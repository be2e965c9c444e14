import Access
import Foundation
import Logging
import Synchronization

/// Token-bucket rate limits per key (a user, an address): `burst` requests at once, then `perMinute` a minute.
/// Kept in this process's memory, or, with `WEIJIAN_RATE_LIMITS=database`, in the database (``RateBuckets``), so
/// that several server processes behind a load balancer share one limit. When the database cannot be asked, the
/// process's own buckets answer (a limit per process rather than none) and the failure is logged.
final class RateLimiter: Sendable {
    /// The limiter's name (the database keeps its buckets under it).
    let name: String
    /// Requests allowed in a burst.
    let burst: Int
    /// Requests regained a minute.
    let perMinute: Int
    let shared: RateBuckets?
    let logger: Logger
    private let buckets = Mutex<[String: (tokens: Double, at: Double)]>([:])
    /// Takes since the shared buckets of this limiter were last swept of unused rows.
    private let sinceSweep = Atomic<Int>(0)

    init(_ name: String, burst: Int, perMinute: Int, shared: RateBuckets? = nil, logger: Logger = Logger(label: "weijian.rate-limit")) {
        self.name = name
        self.burst = burst
        self.perMinute = perMinute
        self.shared = shared
        self.logger = logger
    }

    /// Takes one token for `key`; returns nil when allowed, else the seconds to wait.
    func take(_ key: String, now: Date = Date()) async -> Int? {
        await Self.wait([(self, key)], now: now)
    }

    /// Every 1,000th take, deletes this limiter's buckets unused for a refill's time (full again: as good as absent).
    private func sweepIfDue(_ shared: RateBuckets, now: Date) async throws {
        if sinceSweep.add(1, ordering: .relaxed).newValue % 1000 == 0 {
            try await shared.forget(scope: name, unusedFor: max(60, burst * 60 / max(1, perMinute) + 60), now: now)
        }
    }

    private func takeLocally(_ key: String, now: Double) -> Int? {
        let perSecond = Double(perMinute) / 60
        let burst = Double(self.burst)
        return buckets.withLock { buckets in
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

    /// The first wait among `limits`, taken in order: a later limiter is asked only when the earlier ones allowed
    /// (as `a.take(x) ?? b.take(y)` would).
    static func wait(_ limits: (RateLimiter, String)...) async -> Int? {
        await wait(limits, now: Date())
    }

    /// A server's limiters share one store or none (``AccessServices``): in the database, a request's limits are
    /// taken in one transaction (a write's two: one commit, not two); when it cannot be asked, each limiter's own
    /// buckets answer.
    static func wait(_ limits: [(RateLimiter, String)], now: Date) async -> Int? {
        if let store = limits.first?.0.shared {
            do {
                for (limiter, _) in limits { try await limiter.sweepIfDue(store, now: now) }
                return try await store.take(limits.map { RateBuckets.Ask(scope: $0.0.name, key: $0.1, burst: $0.0.burst, perMinute: $0.0.perMinute) }, now: now)
            } catch {
                limits[0].0.logger.warning("shared rate limit unavailable; this process's own limit applies", metadata: ["error": "\(type(of: error))"])
            }
        }
        for (limiter, key) in limits {
            if let wait = limiter.takeLocally(key, now: now.timeIntervalSince1970) { return wait }
        }
        return nil
    }
}
