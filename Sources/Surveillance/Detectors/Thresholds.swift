/// Fixed-threshold rules (固定阈值): any case of a class A disease (甲类, and 乙类甲管) is a signal at once;
/// for other diseases, `cases` or more within `days` days in one 街道 is a cluster (聚集性疫情), e.g. 3 cases of
/// hand, foot and mouth disease in 7 days.
public enum FixedThreshold {
    /// Days with at least one case.
    public static func anyCase(_ counts: [Double]) -> [Bool] {
        counts.map { $0 >= 1 }
    }

    /// Days on which the counts of the last `days` days (the day included) reach `cases`.
    public static func cluster(_ counts: [Double], cases: Double, days: Int) -> [Bool] {
        precondition(days >= 1, "a window of at least one day")
        var alarms = [Bool](repeating: false, count: counts.count)
        var window = 0.0
        for t in counts.indices {
            window += counts[t]
            if t >= days { window -= counts[t - days] }
            alarms[t] = window >= cases
        }
        return alarms
    }
}

/// CIDARS's moving percentile method (移动百分位数法): the count of the last `window` days (7 by default) is
/// compared with the `percentile` (P50 by default; P80 for some diseases) of the comparable periods of the
/// `years` earlier years (3 by default): in each year, the window at the same time of year and the two windows
/// before and after it (5 × years values). A day alarms when its count is at least 1 and above that percentile.
/// Days without `years` full years of history get none.
public enum MovingPercentile {
    public static func alarms(_ counts: [Double], window: Int = 7, years: Int = 3, percentile: Double = 0.5) -> [Bool] {
        precondition(window >= 1 && years >= 1 && percentile > 0 && percentile < 1, "window, years and percentile out of range")
        // Prefix sums: the count of days (a, b] is prefix[b + 1] − prefix[a + 1].
        var prefix = [0.0]
        prefix.reserveCapacity(counts.count + 1)
        for count in counts { prefix.append(prefix[prefix.count - 1] + count) }
        func total(endingAt end: Int) -> Double? {
            guard end - window + 1 >= 0, end < counts.count else { return nil }
            return prefix[end + 1] - prefix[end - window + 1]
        }
        let first = years * 365 + 2 * window + window - 1
        var alarms = [Bool](repeating: false, count: counts.count)
        var history: [Double] = []
        history.reserveCapacity(5 * years)
        for t in counts.indices where t >= first {
            guard let current = total(endingAt: t), current >= 1 else { continue }
            history.removeAll(keepingCapacity: true)
            for year in 1...years {
                for shift in -2...2 {
                    if let value = total(endingAt: t - year * 365 + shift * window) { history.append(value) }
                }
            }
            alarms[t] = current > Statistics.quantile(history, percentile)
        }
        return alarms
    }
}
