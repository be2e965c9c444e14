/// The CDC's Early Aberration Reporting System methods C1, C2 and C3 (EARS), as R's `surveillance::earsC`
/// computes them, for a series of daily counts.
///
/// - C1: the upper bound of day t is mean + z·sd of the `baseline` days just before it (t−7 … t−1 by default).
/// - C2: the same with a gap of two days (t−9 … t−3).
/// - C3: alarms when the C2 statistics of the two days before, less 1 each (floored at 0), exceed z;
///   R writes it as an upper bound x_t + sd_t·(z − those parts), floored at 0.
///
/// An alarm is a count above the upper bound. Days before the first with a full baseline get none (nil
/// bound). z is the standard normal's 1 − alpha quantile; alpha is 0.001 for C1 and C2 and 0.025 for C3 by
/// default. `minSigma` floors the standard deviation (0 by default, as in R).
public enum EARS {
    /// The three methods.
    public enum Method: String, Sendable, CaseIterable {
        case c1 = "C1", c2 = "C2", c3 = "C3"

        /// R's default alpha.
        public var defaultAlpha: Double { self == .c3 ? 0.025 : 0.001 }
    }

    /// The mean and sample standard deviation (floored at `minSigma`) of the `baseline` days before each day
    /// (t−baseline … t−1, C1's reference); C2 and C3 use day t−2's (t−baseline−2 … t−3). NaN where the
    /// reference is not there yet. Two passes per window, as R's `mean` and `sd` compute them: the sum of the
    /// window's days in order, then the sum of the squared differences from the mean in order; each pass adds
    /// one day of the window to every day's sum at a time (the same order of additions, and the compiler
    /// vectorises the loops over days).
    static func reference(_ counts: [Double], baseline: Int, minSigma: Double) -> (mean: [Double], sd: [Double]) {
        var means = [Double](repeating: .nan, count: counts.count)
        var sds = [Double](repeating: .nan, count: counts.count)
        guard baseline < counts.count else { return (means, sds) }
        let days = counts.count - baseline, n = Double(baseline)
        var sums = [Double](repeating: 0, count: days)
        var squares = [Double](repeating: 0, count: days)
        counts.withUnsafeBufferPointer { x in
            sums.withUnsafeMutableBufferPointer { sums in
                // Day t = baseline + d: its window is x[d …< d + baseline].
                for i in 0..<baseline {
                    let column = UnsafeBufferPointer(rebasing: x[i...])
                    for d in 0..<days { sums[d] += column[d] }
                }
                for d in 0..<days { sums[d] /= n }
            }
            sums.withUnsafeBufferPointer { mean in
                squares.withUnsafeMutableBufferPointer { squares in
                    for i in 0..<baseline {
                        let column = UnsafeBufferPointer(rebasing: x[i...])
                        for d in 0..<days { let difference = column[d] - mean[d]; squares[d] += difference * difference }
                    }
                }
            }
        }
        for d in 0..<days {
            means[baseline + d] = sums[d]
            sds[baseline + d] = Swift.max((squares[d] / (n - 1)).squareRoot(), minSigma)
        }
        return (means, sds)
    }

    /// The upper bound of each day (nil where the method cannot say yet).
    public static func upperBounds(_ counts: [Double], method: Method, baseline: Int = 7, alpha: Double? = nil, minSigma: Double = 0) -> [Double?] {
        precondition(baseline >= 3, "EARS needs a baseline of at least 3 days")
        return upperBounds(counts, method: method, reference: reference(counts, baseline: baseline, minSigma: minSigma), baseline: baseline, alpha: alpha)
    }

    static func upperBounds(_ counts: [Double], method: Method, reference: (mean: [Double], sd: [Double]), baseline: Int, alpha: Double?) -> [Double?] {
        var bounds = [Double?](repeating: nil, count: counts.count)
        forEachBound(counts, method: method, reference: reference, baseline: baseline, alpha: alpha) { t, bound in bounds[t] = bound }
        return bounds
    }

    /// Calls `body` with each day the method can judge and its upper bound (NaN where the reference is flat and
    /// C3's statistics are undefined).
    @inline(__always)
    static func forEachBound(_ counts: [Double], method: Method, reference: (mean: [Double], sd: [Double]), baseline: Int, alpha: Double?,
                             _ body: (Int, Double) -> Void) {
        let z = NormalQuantile.quantile(1 - (alpha ?? method.defaultAlpha))
        let (mean, sd) = reference
        switch method {
        case .c1:
            for t in stride(from: baseline, to: counts.count, by: 1) { body(t, mean[t] + z * sd[t]) }
        case .c2:
            for t in stride(from: baseline + 2, to: counts.count, by: 1) { body(t, mean[t - 2] + z * sd[t - 2]) }
        case .c3:
            // The C2 statistic of a day, then the excesses of the two days before.
            func c2(_ t: Int) -> Double { (counts[t] - mean[t - 2]) / sd[t - 2] }
            for t in stride(from: baseline + 4, to: counts.count, by: 1) {
                let parts = Statistics.positivePart(c2(t - 2) - 1) + Statistics.positivePart(c2(t - 1) - 1)
                let bound = counts[t] + sd[t - 2] * (z - parts)
                body(t, bound.isNaN ? .nan : Swift.max(0, bound))
            }
        }
    }

    /// The alarms of several methods over one series, the reference statistics computed once.
    public static func alarms(_ counts: [Double], methods: [Method], baseline: Int = 7, alpha: Double? = nil, minSigma: Double = 0) -> [[Bool]] {
        precondition(baseline >= 3, "EARS needs a baseline of at least 3 days")
        let reference = reference(counts, baseline: baseline, minSigma: minSigma)
        return methods.map { method in
            // A count above its bound (never above NaN).
            var alarms = [Bool](repeating: false, count: counts.count)
            forEachBound(counts, method: method, reference: reference, baseline: baseline, alpha: alpha) { t, bound in alarms[t] = counts[t] > bound }
            return alarms
        }
    }

    /// Whether each day alarms: its count is above its upper bound (never where the bound is unknown or NaN).
    public static func alarms(_ counts: [Double], method: Method, baseline: Int = 7, alpha: Double? = nil, minSigma: Double = 0) -> [Bool] {
        alarms(counts, methods: [method], baseline: baseline, alpha: alpha, minSigma: minSigma)[0]
    }
}
