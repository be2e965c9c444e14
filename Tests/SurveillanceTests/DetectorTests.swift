@testable import Surveillance
import Foundation
import Testing

/// The detectors against values worked out by hand (the comparison with R's `surveillance` package is in
/// `scripts/detectors-vs-r`, run by the test script).
@Suite struct DetectorTests {
    @Test func normalQuantileMatchesRsQnorm() {
        // qnorm(0.999), qnorm(0.975), qnorm(0.5), qnorm(0.01) in R.
        #expect(abs(NormalQuantile.quantile(0.999) - 3.090232306167813) < 1e-12)
        #expect(abs(NormalQuantile.quantile(0.975) - 1.959963984540054) < 1e-12)
        #expect(abs(NormalQuantile.quantile(0.5)) < 1e-15)
        #expect(abs(NormalQuantile.quantile(0.01) + 2.326347874040841) < 1e-12)
    }

    @Test func earsC1BoundIsMeanPlusZSdOfTheLastSevenDays() {
        // Seven days 2, 4, 4, 4, 5, 5, 7 (mean 31/7, sample sd √(18.857/6)) then 12.
        let counts: [Double] = [2, 4, 4, 4, 5, 5, 7, 12, 5]
        let bounds = EARS.upperBounds(counts, method: .c1)
        let mean = 31.0 / 7
        let sd = (([2, 4, 4, 4, 5, 5, 7] as [Double]).reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 6).squareRoot()
        #expect(bounds[6] == nil && abs((bounds[7] ?? 0) - (mean + 3.090232306167813 * sd)) < 1e-9)
        #expect(EARS.alarms(counts, method: .c1) == [false, false, false, false, false, false, false, true, false])
    }

    @Test func earsC2SkipsTwoDaysAndC3NeedsTwoHighDaysBefore() {
        var counts = [Double](repeating: 5, count: 20)
        for (index, value) in [4.0, 6, 5, 3, 7, 5, 4, 6, 5, 5, 4, 6].enumerated() { counts[index] = value }
        counts[14] = 9; counts[15] = 10; counts[16] = 11
        let c2 = EARS.alarms(counts, method: .c2)
        #expect(!c2[0..<9].contains(true), "no bound before the baseline and the gap")
        #expect(c2[14] && c2[15])
        // C3 on day 16 counts the C2 excesses of days 14 and 15.
        let c3 = EARS.alarms(counts, method: .c3)
        #expect(c3[16] && !c3[14])
    }

    @Test func cusumAccumulatesStandardisedExcessAndDoesNotReset() {
        // Reference mean 4 (√4 = 2); then 8 → +2 − 1.04 = 0.96; 8 → 1.92; 8 → 2.88 ≥ 2.26 alarm; 4 → 1.84 (no reset, no alarm).
        let counts: [Double] = [4, 4, 4, 4, 8, 8, 8, 4]
        #expect(CUSUM.alarms(counts, start: 4) == [false, false, false, false, false, false, true, false])
    }

    @Test func fixedThresholdsAndClusters() {
        #expect(FixedThreshold.anyCase([0, 0, 1, 0]) == [false, false, true, false])
        // 3 cases within 7 days.
        #expect(FixedThreshold.cluster([1, 0, 0, 1, 0, 0, 0, 0, 1, 1], cases: 3, days: 7) == [false, false, false, false, false, false, false, false, false, true])
        #expect(FixedThreshold.cluster([1, 1, 1], cases: 3, days: 3) == [false, false, true])
        #expect(FixedThreshold.cluster([1, 1, 0, 0, 1], cases: 3, days: 3) == [false, false, false, false, false])
    }

    @Test func movingPercentileComparesWithTheSameWeeksOfEarlierYears() {
        // Three years of 1 case a day, then a week of 3 a day: 21 > P50 of 15 earlier weeks (7 each).
        var counts = [Double](repeating: 1, count: 3 * 365 + 30)
        for t in (counts.count - 7)..<counts.count { counts[t] = 3 }
        let alarms = MovingPercentile.alarms(counts)
        #expect(alarms.last == true)
        #expect(!alarms[0..<(counts.count - 7)].contains(true), "a steady series raises nothing")
    }

    @Test func movingPercentileAgreesWithSortingTheComparablePeriods() {
        // The detector counts the values below the current count instead of sorting; here the percentile is taken
        // the plain way (sort, R's type 7) over random series of several levels, windows, years and percentiles.
        var state: UInt64 = 7
        func draw(_ limit: Int) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(Int(state >> 33) % limit)
        }
        for (window, years, percentile, limit) in [(7, 3, 0.5, 3), (7, 3, 0.8, 6), (3, 2, 0.25, 2), (5, 1, 0.9, 12)] {
            let counts = (0..<(years * 365 + 400)).map { _ in draw(limit) }
            let alarms = MovingPercentile.alarms(counts, window: window, years: years, percentile: percentile)
            func sum(endingAt end: Int) -> Double { counts[(end - window + 1)...end].reduce(0, +) }
            let first = years * 365 + 3 * window - 1
            var expected = [Bool](repeating: false, count: counts.count)
            for t in first..<counts.count {
                let values = (1...years).flatMap { year in (-2...2).map { sum(endingAt: t - year * 365 + $0 * window) } }.sorted()
                let h = Double(values.count - 1) * percentile, low = Int(h), fraction = h - Double(low)
                let quantile = low + 1 < values.count ? values[low] + fraction * (values[low + 1] - values[low]) : values[low]
                let current = sum(endingAt: t)
                expected[t] = current >= 1 && current > quantile
            }
            #expect(alarms == expected, "window \(window), \(years) years, P\(Int(percentile * 100))")
            #expect(expected.contains(true) && expected[first...].contains(false), "the series have days either side of the percentile")
        }
    }

    @Test func studentTMatchesRsPt() {
        // 2 * pt(-2.1, 30) and 2 * pt(-0.5, 33) in R.
        #expect(abs(StudentT.twoSidedP(2.1, degrees: 30) - 0.0442424712623235) < 1e-12)
        #expect(abs(StudentT.twoSidedP(-0.5, degrees: 33) - 0.620393017904191) < 1e-12)
        // qt(0.975, c(30, 33, 3)) in R: the |t| Farrington's trend must exceed.
        for (degrees, quantile) in [(30.0, 2.0422724563012378), (33.0, 2.0345152974493383), (3.0, 3.1824463052837078)] {
            #expect(abs(StudentT.twoSidedCritical(0.05, degrees: degrees) - quantile) < 1e-12 * quantile, "\(degrees) degrees")
        }
    }

    @Test func farringtonFlagsAWeekFarAboveTheSameWeeksOfEarlierYears() {
        // Six years of a seasonal weekly pattern, then 40 cases in a week that usually has about 10.
        var weeks = (0..<(6 * 52)).map { (10 + 4 * sin(2 * Double.pi * Double($0) / 52)).rounded() }
        let regular = Farrington.run(weeks)
        #expect(!regular.contains { $0?.alarm == true }, "a series that repeats itself raises nothing")
        weeks[weeks.count - 1] = 40
        let results = Farrington.run(weeks)
        let last = results.last.flatMap { $0 }
        #expect(last?.alarm == true && (last?.upperBound ?? 0) > (last?.expected ?? 0))
        #expect(results.prefix(256).allSatisfy { $0 == nil } && results[256] != nil, "judged from week 257 (five years less the half window), as R's default range")
        // Fewer than 5 cases in the last 4 weeks: never an alarm, however unusual.
        var quiet = [Double](repeating: 0, count: 6 * 52)
        quiet[quiet.count - 1] = 3
        #expect(Farrington.run(quiet).last??.alarm == false)
        // A first period past the end judges nothing (and does not trap).
        #expect(Farrington.run([1, 2, 3], from: 10) == [nil, nil, nil])
        // A window wider than the period (weeks of a 2-week "year", ±3) judges nothing (and does not read past the end).
        #expect(Farrington.run([Double](repeating: 6, count: 40), frequency: 2, years: 5, halfWindow: 3).allSatisfy { $0 == nil })
    }

    @Test func farringtonOnePeriodAloneAgreesWithTheWholeRun() {
        // The hourly job judges only the latest week (`from`); its fit starts from R's start, not from a neighbour's.
        let weeks = (0..<(7 * 52)).map { (20 + 8 * sin(2 * Double.pi * Double($0) / 52) + Double($0) / 20).rounded() }
        let whole = Farrington.run(weeks)
        for k in [260, 300, weeks.count - 1] {
            let alone = Farrington.run(weeks, from: k)[k]
            let bound = whole[k]?.upperBound ?? .nan, aloneBound = alone?.upperBound ?? .nan
            #expect(abs(bound - aloneBound) / bound < 1e-6, "week \(k): \(bound) against \(aloneBound)")
            #expect(whole[k]?.alarm == alone?.alarm && whole[k]?.trend == alone?.trend)
        }
    }
}
