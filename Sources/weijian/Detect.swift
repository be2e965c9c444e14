import ArgumentParser
import Foundation
import Surveillance

/// `weijian detect`: runs one early-warning detector over a series of daily counts (one number per line on
/// standard input) and prints the alarm days, numbered from 0, one per line. Used to compare the detectors
/// with R's `surveillance` package (`scripts/detectors-vs-r`) and to try a method's parameters.
struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run an early-warning detector over daily counts from standard input; print the alarm days.")
    @Option(help: "C1, C2, C3, cusum, cluster, moving-percentile or farrington.") var method: String
    @Option(help: "EARS: the significance level (default 0.001 for C1/C2, 0.025 for C3).") var alpha: Double?
    @Option(help: "EARS: baseline days.") var baseline = 7
    @Option(help: "CUSUM: the first monitored day (the days before are the reference).") var start = 28
    @Option(help: "CUSUM: k.") var k = 1.04
    @Option(help: "CUSUM: h.") var h = 2.26
    @Option(help: "Cluster: cases within --days.") var cases = 3.0
    @Option(help: "Cluster: window in days.") var days = 7
    @Option(help: "Moving percentile: the percentile (0–1).") var percentile = 0.5
    @Option(help: "Farrington: periods per year (52 for weekly counts).") var frequency = 52
    @Option(help: "Farrington: years of reference.") var years = 5
    @Flag(help: "Farrington: print each judged period's upper bound and alarm (period<TAB>bound<TAB>0|1) instead of the alarm days.") var bounds = false

    func run() throws {
        var counts: [Double] = []
        while let line = readLine() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let value = Double(text), value >= 0 else { throw fail("not a count: \(text)") }
            counts.append(value)
        }
        let alarms: [Bool]
        switch method {
        case "C1", "C2", "C3":
            guard counts.count > baseline + 4 else { throw fail("the series is shorter than the baseline") }
            alarms = EARS.alarms(counts, method: EARS.Method(rawValue: method) ?? .c1, baseline: baseline, alpha: alpha)
        case "cusum":
            guard start >= 1, start < counts.count else { throw fail("--start must be within the series") }
            alarms = CUSUM.alarms(counts, start: start, k: k, h: h)
        case "cluster": alarms = FixedThreshold.cluster(counts, cases: cases, days: days)
        case "moving-percentile": alarms = MovingPercentile.alarms(counts, percentile: percentile)
        case "farrington":
            let results = Farrington.run(counts, frequency: frequency, years: years)
            if bounds {
                for (period, result) in results.enumerated() {
                    guard let result else { continue }
                    print("\(period)\t\(result.upperBound)\t\(result.alarm ? 1 : 0)")
                }
                return
            }
            alarms = results.map { $0?.alarm ?? false }
        default: throw fail("unknown method \(method)")
        }
        for (day, alarm) in alarms.enumerated() where alarm { print(day) }
    }
}
