import Access
@testable import App
import Foundation
import SQLKit
import Storage
import Testing
import WeijianTesting

@Suite struct RateLimiterTests {
    @Test func burstThenSteadyRate() async {
        let limiter = RateLimiter("t", burst: 3, perMinute: 60)
        let start = Date(timeIntervalSince1970: 1_000_000)
        for _ in 0..<3 { #expect(await limiter.take("u", now: start) == nil) }
        #expect(await limiter.take("u", now: start) == 1)          // one a second after the burst
        #expect(await limiter.take("other", now: start) == nil)    // keys are separate
        #expect(await limiter.take("u", now: start.addingTimeInterval(1)) == nil)
        #expect(await limiter.take("u", now: start.addingTimeInterval(1)) != nil)
    }

    /// The buckets in the database behave as the process's own: a burst, then the steady rate, keys apart, the wait
    /// in whole seconds; and the table holds keyed hashes, not the keys.
    @Test func sharedBucketsBurstThenSteadyRate() async throws {
        try await TestDatabase.withPlatform { platform in
            let buckets = RateBuckets(database: platform.database, secrets: platform.secrets)
            let start = Date(timeIntervalSince1970: 1_000_000)
            for _ in 0..<3 { #expect(try await buckets.take(scope: "t", key: "13900001111", burst: 3, perMinute: 60, now: start) == nil) }
            #expect(try await buckets.take(scope: "t", key: "13900001111", burst: 3, perMinute: 60, now: start) == 1)
            #expect(try await buckets.take(scope: "t", key: "other", burst: 3, perMinute: 60, now: start) == nil)
            #expect(try await buckets.take(scope: "u", key: "13900001111", burst: 3, perMinute: 60, now: start) == nil, "limiters are apart")
            #expect(try await buckets.take(scope: "t", key: "13900001111", burst: 3, perMinute: 60, now: start.addingTimeInterval(1)) == nil)
            #expect(try await buckets.take(scope: "t", key: "13900001111", burst: 3, perMinute: 60, now: start.addingTimeInterval(1)) == 1)
            // 2 a minute: after an empty bucket the next token is 30 s away, and half a minute later it is there.
            for _ in 0..<2 { _ = try await buckets.take(scope: "slow", key: "k", burst: 2, perMinute: 2, now: start) }
            #expect(try await buckets.take(scope: "slow", key: "k", burst: 2, perMinute: 2, now: start) == 30)
            #expect(try await buckets.take(scope: "slow", key: "k", burst: 2, perMinute: 2, now: start.addingTimeInterval(10)) == 20)
            #expect(try await buckets.take(scope: "slow", key: "k", burst: 2, perMinute: 2, now: start.addingTimeInterval(30)) == nil)
            // A bucket unused for a day is full, however long ago.
            for _ in 0..<2 { #expect(try await buckets.take(scope: "slow", key: "k", burst: 2, perMinute: 2, now: start.addingTimeInterval(86_400 * 3650)) == nil) }
            // Several limits in one transaction: the later one is asked only while the earlier ones give tokens.
            let user = RateBuckets.Ask(scope: "w-user", key: "doctor", burst: 1, perMinute: 1)
            let address = RateBuckets.Ask(scope: "w-address", key: "10.0.0.9", burst: 2, perMinute: 1)
            #expect(try await buckets.take([user, address], now: start) == nil)
            #expect(try await buckets.take([user, address], now: start) == 60, "the user's bucket is empty")
            #expect(try await buckets.take([address], now: start) == nil, "the refusal did not take the address's token")
            #expect(try await buckets.take([address], now: start) == 60)
            try await buckets.forget(scope: "w-user", unusedFor: 0, now: start.addingTimeInterval(1))
            try await buckets.forget(scope: "w-address", unusedFor: 0, now: start.addingTimeInterval(1))
            let keys = try await platform.database.read { sql in
                try await sql.raw("SELECT bucket_key FROM access_rate_bucket").all().map { try $0.decode(column: "bucket_key", as: String.self) }
            }
            #expect(keys.count == 4 && !keys.contains { $0.contains("1390000") || $0.contains("other") })
            try await buckets.forget(scope: "t", unusedFor: 60, now: start.addingTimeInterval(120))
            let left = try await platform.database.read { sql in
                try await sql.raw("SELECT scope FROM access_rate_bucket ORDER BY scope").all().map { try $0.decode(column: "scope", as: String.self) }
            }
            #expect(left == ["slow", "u"], "only the unused buckets of the one limiter are gone")
        }
    }

    /// A shared limiter whose database cannot be asked still limits, with the process's own buckets.
    @Test func sharedLimiterFallsBackToItsOwnBucketsWhenTheDatabaseFails() async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let database = try await Database.open(configuration)
        do {
            try await Migrator(AccessMigrations.all).migrate(database)
        } catch {
            await database.shutdown(); await remove()
            throw error
        }
        let limiter = RateLimiter("t", burst: 2, perMinute: 1, shared: RateBuckets(database: database, secrets: AccessSecrets.generate()))
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(await limiter.take("u", now: start) == nil)
        let stored = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM access_rate_bucket").first()?.decode(column: "n", as: Int.self) }
        #expect(stored == 1, "the first take went to the database")
        await database.shutdown()
        await remove()
        #expect(await limiter.take("u", now: start) == nil)
        #expect(await limiter.take("u", now: start) == nil)
        #expect(await limiter.take("u", now: start) == 60, "the process's own bucket of 2 is empty")
    }

    /// Two handles of one database (two server processes) taking from one bucket at once get exactly the burst
    /// between them: the upsert refills, takes and answers in one statement.
    @Test func serversOnOneDatabaseShareTheBurst() async throws {
        let (configuration, remove) = try await TestDatabase.fresh()
        let handles: [Database]
        do {
            let first = try await Database.open(configuration)
            try await Migrator(AccessMigrations.all).migrate(first)
            handles = [first, try await Database.open(configuration)]
        } catch {
            await remove()
            throw error
        }
        let secrets = AccessSecrets.generate()
        let granted: Int
        do {
            let now = Date()
            granted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for attempt in 0..<60 {
                    let buckets = RateBuckets(database: handles[attempt % 2], secrets: secrets)
                    group.addTask { try await buckets.take(scope: "write-user", key: "doctor", burst: 25, perMinute: 1, now: now) == nil }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        } catch {
            for handle in handles { await handle.shutdown() }
            await remove()
            throw error
        }
        for handle in handles { await handle.shutdown() }
        await remove()
        #expect(granted == 25)
    }
}

@Suite struct TrustedProxiesTests {
    @Test func addressesAndRanges() throws {
        let proxies = try TrustedProxies("10.0.0.0/24, 127.0.0.1, fd00::/8")
        #expect(proxies.contains("10.0.0.200") && !proxies.contains("10.0.1.1"))
        #expect(proxies.contains("127.0.0.1") && proxies.contains("::ffff:127.0.0.1") && !proxies.contains("127.0.0.2"))
        #expect(proxies.contains("fd12::1") && !proxies.contains("fe80::1") && !proxies.contains("not an address"))
        #expect(try TrustedProxies("0.0.0.0/0").contains("203.0.113.9"))
        #expect(try TrustedProxies("").isEmpty)
        for bad in ["10.0.0.0/33", "localhost", "10.0.0.1/x", "1.2.3.4/8/9", "::1/129"] {
            #expect(throws: TrustedProxies.Invalid.self, "\(bad)") { try TrustedProxies(bad) }
        }
    }

    @Test func theClientIsTheNearestUntrustedHop() throws {
        let proxies = try TrustedProxies("10.0.0.0/24")
        // The peer is the load balancer: the address it appended is the client.
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
        // Whatever the client wrote itself stays left of what the trusted proxy appended.
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["6.6.6.6, 203.0.113.7"]) == "203.0.113.7")
        // Two trusted proxies in a row, the header over two lines, ports and brackets.
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["198.51.100.2:5000", "10.0.0.9"]) == "198.51.100.2")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["[2001:db8::1]:443"]) == "2001:db8::1")
        // A peer that is not a trusted proxy is the client, whatever it claims.
        #expect(proxies.client(peer: "203.0.113.7", forwardedFor: ["10.0.0.1"]) == "203.0.113.7")
        // Garbage ends the walk at the last trusted hop; no header: the proxy itself.
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: ["<script>", "10.0.0.9"]) == "10.0.0.9")
        #expect(proxies.client(peer: "10.0.0.5", forwardedFor: []) == "10.0.0.5")
    }
}
