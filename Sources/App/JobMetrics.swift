import Foundation
import Metrics

/// Prometheus figures for the platform's background and on-demand work (the hourly jobs, the early-warning
/// detectors): `weijian_job_runs_total{job,outcome}`, `weijian_job_duration_seconds{job}` (a histogram) and
/// `weijian_signals_generated_total`. Request rates, latencies and errors per route come from Hummingbird's
/// `MetricsMiddleware` (`hb_requests…`).
enum JobMetrics {
    /// Runs `body` as one run of `job`, counting it (`ok` or `error`) and timing it.
    static func run<T: Sendable>(_ job: String, _ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        do {
            let result = try await body()
            record(job, outcome: "ok", since: started)
            return result
        } catch {
            record(job, outcome: "error", since: started)
            throw error
        }
    }

    private static func record(_ job: String, outcome: String, since started: ContinuousClock.Instant) {
        Counter(label: "weijian_job_runs_total", dimensions: [("job", job), ("outcome", outcome)]).increment()
        Metrics.Timer(label: "weijian_job_duration_seconds", dimensions: [("job", job)]).record(duration: ContinuousClock.now - started)
    }

    /// Counts the early-warning signals a detector run made.
    static func signalsGenerated(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "weijian_signals_generated_total").increment(by: count)
    }
}
