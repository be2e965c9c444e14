import Access
import App
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import WeijianTesting

/// The detector runs and the database's use show on /metrics.
@Suite struct JobMetricsTests {
    /// The value of the sample line that starts with `prefix` (name and labels), 0 when absent.
    static func sample(_ text: String, _ prefix: String) -> Double {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test func aDetectorRunIsCountedAndTimed() async throws {
        try await TestServer.run { server in
            let metrics = { try await server.client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) } }
            let before = try await metrics()
            let cdc = try await server.client(as: Principal(subject: "cdc", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            try await cdc.execute(uri: "/api/v1/surveillance/signals/run?date=2026-11-01", method: .post) { #expect($0.status == .created) }
            // A bad date is an error run.
            try await cdc.execute(uri: "/api/v1/surveillance/signals/run?date=2026-13-01", method: .post) { #expect($0.status == .badRequest) }
            let after = try await metrics()
            let ok = #"weijian_job_runs_total{job="detectors",outcome="ok"}"#, failed = #"weijian_job_runs_total{job="detectors",outcome="error"}"#
            #expect(Self.sample(after, ok) >= Self.sample(before, ok) + 1, "\(after)")
            #expect(Self.sample(after, failed) >= Self.sample(before, failed) + 1)
            #expect(Self.sample(after, #"weijian_job_duration_seconds_count{job="detectors"}"#) >= 2)
        }
    }

    @Test func theDatabasePoolsUseIsShown() async throws {
        try await TestServer.run { server in
            // A few reads and a write through the API, then the pool's figures.
            let cdc = try await server.client(as: Principal(subject: "cdc", role: .cdcEpidemiologist, displayName: "疾控", district: "310105"))
            for _ in 0..<3 { try await cdc.execute(uri: "/api/v1/surveillance/signals", method: .get) { #expect($0.status == .ok) } }
            try await cdc.execute(uri: "/api/v1/surveillance/signals/run?date=2026-11-01", method: .post) { #expect($0.status == .created) }
            let text = try await server.client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(Self.sample(text, #"weijian_db_pool_connections{database="primary"}"#) >= 1, "\(text)")
            #expect(Self.sample(text, #"weijian_db_operation_seconds_count{database="primary",kind="read"}"#) >= 3)
            #expect(Self.sample(text, #"weijian_db_operation_seconds_count{database="primary",kind="write"}"#) >= 1)
            // Nothing is running while /metrics answers but the metrics request itself (which reads nothing).
            #expect(text.contains(#"weijian_db_operations_in_flight{database="primary"}"#))
        }
    }
}
