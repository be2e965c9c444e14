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

    /// The upper bound of each day (nil where the method cannot say yet).
    public static func upperBounds(_ counts: [Double], method: Method, baseline: Int = 7, alpha: Double? = nil, minSigma: Double = 0) -> [Double?] {
        precondition(baseline >= 3, "EARS needs a baseline of at least 3 days")
        let z = NormalQuantile.quantile(1 - (alpha ?? method.defaultAlpha))
        var bounds = [Double?](repeating: nil, count: counts.count)
        /// The reference days of day `t` for C1 (lag 1) or C2/C3 (lag 3).
        func reference(_ t: Int, lag: Int) -> ArraySlice<Double> { counts[(t - lag - baseline + 1)...(t - lag)] }
        func c2(_ t: Int) -> Double {
            let ref = reference(t, lag: 3)
            return (counts[t] - Statistics.mean(ref)) / Swift.max(Statistics.sd(ref), minSigma)
        }
        switch method {
        case .c1:
            for t in stride(from: baseline, to: counts.count, by: 1) {
                let ref = reference(t, lag: 1)
                bounds[t] = Statistics.mean(ref) + z * Swift.max(Statistics.sd(ref), minSigma)
            }
        case .c2:
            for t in stride(from: baseline + 2, to: counts.count, by: 1) {
                let ref = reference(t, lag: 3)
                bounds[t] = Statistics.mean(ref) + z * Swift.max(Statistics.sd(ref), minSigma)
            }
        case .c3:
            for t in stride(from: baseline + 4, to: counts.count, by: 1) {
                let parts = Statistics.positivePart(c2(t - 2) - 1) + Statistics.positivePart(c2(t - 1) - 1)
                let bound = counts[t] + Swift.max(Statistics.sd(reference(t, lag: 3)), minSigma) * (z - parts)
                bounds[t] = bound.isNaN ? .nan : Swift.max(0, bound)
            }
        }
        return bounds
    }

    /// Whether each day alarms: its count is above its upper bound (never where the bound is unknown or NaN).
    public static func alarms(_ counts: [Double], method: Method, baseline: Int = 7, alpha: Double? = nil, minSigma: Double = 0) -> [Bool] {
        zip(counts, upperBounds(counts, method: method, baseline: baseline, alpha: alpha, minSigma: minSigma)).map { count, bound in
            bound.map { count > $0 } ?? false
        }
    }
}
