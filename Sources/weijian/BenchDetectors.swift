import ArgumentParser
import Foundation
import Surveillance

/// `weijian bench detectors`: every detector over daily counts of `subdistricts` 街镇 × `diseases` diseases ×
/// `years` years (Shanghai: about 220 街镇, 40 diseases, 10 years), generated in memory (Poisson, seasonal),
/// spread over the machine's cores. Prints the time of the detection alone.
struct BenchDetectors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "detectors", abstract: "Time every early-warning detector over all 街镇 × diseases × years of daily counts.")
    @Option(help: "街镇.") var subdistricts = 220
    @Option(help: "Diseases.") var diseases = 40
    @Option(help: "Years of daily counts.") var years = 10

    func run() async throws {
        let days = years * 365
        let seriesCount = subdistricts * diseases
        // Deterministic counts: a linear congruential generator and Knuth's Poisson sampler (small means).
        var state: UInt64 = 20_261_123
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        func poisson(_ mean: Double) -> Double {
            let limit = exp(-mean)
            var k = 0.0, product = uniform()
            while product > limit { k += 1; product *= uniform() }
            return k
        }
        let fillStart = ContinuousClock.now
        var series: [[Double]] = []
        series.reserveCapacity(seriesCount)
        for index in 0..<seriesCount {
            let level = [0.2, 0.8, 2, 5][index % 4]
            series.append((0..<days).map { day in poisson(level * (1 + 0.3 * sin(2 * Double.pi * Double(day) / 365))) })
        }
        let fill = ContinuousClock.now - fillStart
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let shared = series
        func timed(_ weekly: Bool) async throws -> (Duration, Int) {
            let start = ContinuousClock.now
            let alarms = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<workers {
                    group.addTask { await Self.detect(shared, worker: worker, workers: workers, weekly: weekly) }
                }
                return try await group.reduce(0, +)
            }
            return (ContinuousClock.now - start, alarms)
        }
        let (daily, dailyAlarms) = try await timed(false)
        let (weekly, weeklyAlarms) = try await timed(true)
        func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
        print("series: \(seriesCount) (\(subdistricts) 街镇 × \(diseases) diseases) × \(days) days = \(seriesCount * days) daily counts; \(workers) cores")
        print(String(format: "generate:    %.2f s (not the benchmark)", seconds(fill)))
        print(String(format: "daily:       %.2f s  EARS C1, C2, C3, CUSUM, moving percentile, 7-day cluster threshold: %d alarm days", seconds(daily), dailyAlarms))
        print(String(format: "farrington:  %.2f s  weekly sums (%d weeks per series), quasi-Poisson fits: %d alarm weeks", seconds(weekly), days / 7, weeklyAlarms))
        print(String(format: "all:         %.2f s", seconds(daily + weekly)))
    }

    /// One worker's share of the series (every `workers`-th), off the main actor so the workers run in parallel:
    /// the daily detectors, or Farrington on the weekly sums.
    nonisolated static func detect(_ series: [[Double]], worker: Int, workers: Int, weekly: Bool) async -> Int {
        var count = 0
        for index in stride(from: worker, to: series.count, by: workers) {
            let counts = series[index]
            if weekly {
                var weeks = [Double](repeating: 0, count: counts.count / 7)
                for day in 0..<(weeks.count * 7) { weeks[day / 7] += counts[day] }
                count += Farrington.run(weeks).lazy.filter { $0?.alarm == true }.count
                continue
            }
            func alarmDays(_ alarms: [Bool]) -> Int { alarms.reduce(0) { $0 + ($1 ? 1 : 0) } }
            for alarms in EARS.alarms(counts, methods: EARS.Method.allCases) { count += alarmDays(alarms) }
            count += alarmDays(CUSUM.alarms(counts, start: 365))
            count += alarmDays(MovingPercentile.alarms(counts))
            count += alarmDays(FixedThreshold.cluster(counts, cases: 3, days: 7))
        }
        return count
    }
}
