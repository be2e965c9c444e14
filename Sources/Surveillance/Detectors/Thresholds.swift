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
        // Prefix sums: the count of the `window` days ending at day e is prefix[e + 1] − prefix[e + 1 − window].
        var prefix = [0.0]
        prefix.reserveCapacity(counts.count + 1)
        for count in counts { prefix.append(prefix[prefix.count - 1] + count) }
        // From this day on, every comparable window of every earlier year lies within the series.
        let first = years * 365 + 2 * window + window - 1
        var alarms = [Bool](repeating: false, count: counts.count)
        // The percentile of the 5 × years values by R's type 7: h = (n − 1)·p, between the order statistics
        // `low` and `low + 1`. Whether the current count is above it needs no sort: count the values below it.
        let n = 5 * years
        let h = Double(n - 1) * percentile
        let low = Int(h.rounded(.down))
        let fraction = h - Double(low)
        prefix.withUnsafeBufferPointer { sums in
            for t in stride(from: first, to: counts.count, by: 1) {
                let current = sums[t + 1] - sums[t + 1 - window]
                guard current >= 1 else { continue }
                var below = 0
                var largestBelow = -Double.infinity, smallestAtOrAbove = Double.infinity
                for year in 1...years {
                    for shift in -2...2 {
                        let end = t - year * 365 + shift * window
                        let value = sums[end + 1] - sums[end + 1 - window]
                        if value < current { below += 1; largestBelow = Swift.max(largestBelow, value) } else { smallestAtOrAbove = Swift.min(smallestAtOrAbove, value) }
                    }
                }
                if below >= low + 2 || (below == low + 1 && fraction == 0) {
                    alarms[t] = true  // the order statistics low and low + 1 are both below the current count
                } else if below == low + 1 {
                    // sorted[low] is the largest value below, sorted[low + 1] the smallest at or above.
                    alarms[t] = current > largestBelow + fraction * (smallestAtOrAbove - largestBelow)
                }
            }
        }
        return alarms
    }
}
