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
        // From this day on, every comparable window of every earlier year lies within the series.
        let first = years * 365 + 2 * window + window - 1
        var alarms = [Bool](repeating: false, count: counts.count)
        guard first < counts.count else { return alarms }
        // The count of the `window` days ending at each day (exact: sums of whole counts).
        var sums = [Double](repeating: 0, count: counts.count)
        var running = 0.0
        for t in counts.indices {
            running += counts[t]
            if t >= window { running -= counts[t - window] }
            sums[t] = running
        }
        // The percentile of the 5 × years values by R's type 7: h = (n − 1)·p, between the order statistics
        // `low` and `low + 1`. Whether the current count is above it needs no sort: how many values are below
        // it, the largest of those and the smallest of the rest. Gathered one comparable period at a time over
        // all days (5 × years straight passes without branches, which the compiler vectorises).
        let n = 5 * years
        let h = Double(n - 1) * percentile
        let low = Int(h.rounded(.down))
        let fraction = h - Double(low)
        let days = counts.count - first
        var below = [Double](repeating: 0, count: days)
        var largestBelow = [Double](repeating: -.infinity, count: days)
        var smallestAtOrAbove = [Double](repeating: .infinity, count: days)
        sums.withUnsafeBufferPointer { sums in
            below.withUnsafeMutableBufferPointer { below in
                largestBelow.withUnsafeMutableBufferPointer { largestBelow in
                    smallestAtOrAbove.withUnsafeMutableBufferPointer { smallestAtOrAbove in
                        let current = UnsafeBufferPointer(rebasing: sums[first...])
                        for year in 1...years {
                            for shift in -2...2 {
                                let back = year * 365 - shift * window
                                let earlier = UnsafeBufferPointer(rebasing: sums[(first - back)...])
                                for d in 0..<days {
                                    let value = earlier[d], isBelow = value < current[d]
                                    below[d] += isBelow ? 1 : 0
                                    largestBelow[d] = Swift.max(largestBelow[d], isBelow ? value : -.infinity)
                                    smallestAtOrAbove[d] = Swift.min(smallestAtOrAbove[d], isBelow ? .infinity : value)
                                }
                            }
                        }
                    }
                }
            }
        }
        let lowBelow = Double(low + 1)
        for d in 0..<days {
            let current = sums[first + d]
            guard current >= 1, below[d] >= lowBelow else { continue }
            if below[d] > lowBelow || fraction == 0 {
                alarms[first + d] = true  // the order statistics low and low + 1 are both below the current count
            } else {
                // sorted[low] is the largest value below, sorted[low + 1] the smallest at or above.
                alarms[first + d] = current > largestBelow[d] + fraction * (smallestAtOrAbove[d] - largestBelow[d])
            }
        }
        return alarms
    }
}
