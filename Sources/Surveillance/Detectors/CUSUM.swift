/// The CUSUM of standardised counts (Rossi et al.; R's `surveillance::algo.cusum` with the `standard`
/// transformation): the reference mean m is the mean of the counts before the monitored range;
/// S_t = max(0, S_{t−1} + (x_t − m)/√m − k) from S = 0 at the range's start, and day t alarms when S_t ≥ h.
/// The sum is not reset after an alarm (as in R). Defaults k = 1.04, h = 2.26 (R's).
public enum CUSUM {
    /// Alarms of each day from `start` (the first monitored day; days before it are the reference and never alarm).
    public static func alarms(_ counts: [Double], start: Int, k: Double = 1.04, h: Double = 2.26) -> [Bool] {
        precondition(start >= 1 && start <= counts.count, "CUSUM needs at least one reference day")
        let m = Statistics.mean(counts[0..<start])
        var alarms = [Bool](repeating: false, count: counts.count)
        var sum = 0.0
        for t in start..<counts.count {
            sum = Swift.max(0, sum + (counts[t] - m) / m.squareRoot() - k)
            alarms[t] = sum >= h
        }
        return alarms
    }
}
