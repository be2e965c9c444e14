@testable import App
import Testing

@Suite struct RateLimiterTests {
    @Test func burstThenSteadyRate() {
        let limiter = RateLimiter(burst: 3, perMinute: 60)
        let start = 1_000_000.0
        for _ in 0..<3 { #expect(limiter.take("u", now: start) == nil) }
        #expect(limiter.take("u", now: start) == 1)          // one a second after the burst
        #expect(limiter.take("other", now: start) == nil)    // keys are separate
        #expect(limiter.take("u", now: start + 1) == nil)
        #expect(limiter.take("u", now: start + 1) != nil)
    }
}
