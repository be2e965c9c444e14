import Foundation
import Synchronization

/// The Farrington method (Farrington et al. 1996) as R's `surveillance::algo.farrington` computes it, for
/// seasonal series (weekly counts, `frequency` 52; daily, 365): for each period k, a quasi-Poisson GLM with a
/// log link is fitted to the counts of the `years` earlier years in windows of ±`halfWindow` periods around
/// the same time of year, with a linear time trend kept only when it is significant (p < 0.05), at least
/// three years are used and it does not extrapolate beyond the largest reference count; reweighted once
/// by Anscombe residuals (weights s⁻² above 1, scaled to mean 1); the dispersion φ floored at 1. The
/// upper bound is the 1 − alpha/2 limit on the 2/3-power scale; an alarm needs the count above it and at
/// least 5 cases in the last 4 periods.
public enum Farrington {
    /// One period's result.
    public struct Result: Sendable, Equatable {
        /// The expected count and upper bound (0 when there were too few cases to judge).
        public var expected: Double
        public var upperBound: Double
        public var alarm: Bool
        /// Whether the time trend was kept.
        public var trend: Bool
    }

    /// The results for periods `from` (0-based; by default the first with `years` full years of reference)
    /// to the end; nil entries before `from`.
    ///
    /// Made for running over many long series: the reference window lives in one workspace reused from period
    /// to period (no allocation per period), y·log y and y^⅔ are taken once per count, a fit starts from the
    /// neighbouring period's coefficients, and exp(β₀ + β₁t) is formed from one exponential per reference year
    /// and one per offset in the window (the times of a window are a year's centre plus an offset).
    public static func run(_ counts: [Double], frequency: Int = 52, years: Int = 5, halfWindow: Int = 3, alpha: Double = 0.05,
                           from: Int? = nil) -> [Result?] {
        let start = Swift.max(0, from ?? (frequency * years - halfWindow - 1))
        var results = [Result?](repeating: nil, count: counts.count)
        guard start < counts.count, years >= 1, halfWindow >= 0, frequency >= 1 else { return results }
        let z = NormalQuantile.quantile(1 - alpha / 2)
        var work = Workspace(counts: counts, years: years, halfWindow: halfWindow)
        var starts = Starts()
        for k in start..<counts.count {
            // Reference periods (1-based positions, as R's wtime), oldest year first.
            work.fill(period: k, frequency: frequency)
            guard work.n > 2 else { continue }
            // Fewer than 5 cases in the last 4 periods: no alarm and a bound of 0 whatever the fit (as in R),
            // so the fit is skipped.
            var recent = 0.0
            for i in Swift.max(0, k - 3)...k { recent += counts[i] }
            guard recent >= 5 else {
                results[k] = Result(expected: .nan, upperBound: 0, alarm: false, trend: false)
                continue
            }
            let x = Double(k + 1)
            var model = work.fit(trend: true, starts: &starts)
            var trend = false
            if let fitted = model, fitted.trend {
                let predicted = exp(fitted.beta0 + fitted.beta1 * x)
                // The p-value last: it is needed only when the other conditions hold. (Not inside `&&`: its
                // autoclosure would capture the workspace, a mutating call, and slow every access to it.)
                var keep = years >= 3 && predicted <= work.maxResponse
                if keep { keep = work.trendIsSignificant(fitted) }
                if keep {
                    trend = true
                } else {
                    model = work.fit(trend: false, starts: &starts)
                }
            }
            guard let model else { continue }
            let mu0 = exp(model.trend ? model.beta0 + model.beta1 * x : model.beta0)
            let quadratic = model.trend ? model.inv00 + 2 * model.inv01 * x + model.inv11 * x * x : model.inv00
            let seFit = (quadratic * model.phi).squareRoot() * mu0
            let tau = model.phi + seFit * seFit / mu0
            let se = (4.0 / 9 * pow(mu0, 1.0 / 3) * tau).squareRoot()
            let upper = pow(pow(mu0, 2.0 / 3) + z * se, 3.0 / 2)
            let score = (counts[k] - mu0) / (upper - mu0)
            results[k] = Result(expected: mu0, upperBound: upper, alarm: score > 1, trend: trend)
        }
        return results
    }

    /// The coefficients the last trend fits of a series ended at, the next period's starting point.
    struct Starts {
        var first: (Double, Double)?
        var second: (Double, Double)?
    }

    /// A fitted quasi-Poisson model: coefficients, (X'WX)⁻¹ (symmetric; inv01 and inv11 0 without a trend),
    /// the dispersion floored at 1, and for the trend's test the unfloored dispersion and residual degrees of freedom.
    struct Model {
        var trend: Bool
        var beta0: Double
        var beta1: Double
        var inv00: Double
        var inv01: Double
        var inv11: Double
        var phi: Double
        var dispersion: Double
        var degrees: Double
    }

    /// One period's reference window and the buffers of its fits, reused for every period of a series.
    struct Workspace {
        let counts: [Double]
        /// y·log y and y^⅔ of every count of the series.
        let yLogYOfCount: [Double]
        let twoThirdsOfCount: [Double]
        let years: Int
        let halfWindow: Int
        /// The window: n points of time t, count y, its y·log y and y^⅔, reference year (0 the oldest) and offset index.
        var n = 0
        var t: [Double], y: [Double], yLogY: [Double], twoThirds: [Double]
        var year: [Int], offset: [Int]
        /// The window's reference-year centres (k + 1 − frequency·year) and the largest count.
        var centre: [Double]
        var maxResponse = 0.0
        /// Per point: prior weight, linear predictor, mean, hat value; per year and offset, the exponentials.
        var prior: [Double], eta: [Double], mu: [Double], hat: [Double]
        var yearFactor: [Double], offsetFactor: [Double]
        var criticalDegrees = -1.0, critical = 0.0

        init(counts: [Double], years: Int, halfWindow: Int) {
            self.counts = counts
            yLogYOfCount = counts.map { $0 > 0 ? $0 * log($0) : 0 }
            twoThirdsOfCount = counts.map { pow($0, 2.0 / 3) }
            self.years = years
            self.halfWindow = halfWindow
            let capacity = years * (2 * halfWindow + 1)
            t = [Double](repeating: 0, count: capacity); y = t; yLogY = t; twoThirds = t; prior = t; eta = t; mu = t; hat = t
            year = [Int](repeating: 0, count: capacity); offset = year
            centre = [Double](repeating: 0, count: years); yearFactor = centre
            offsetFactor = [Double](repeating: 0, count: 2 * halfWindow + 1)
        }

        mutating func fill(period k: Int, frequency: Int) {
            n = 0
            maxResponse = 0
            for (index, back) in stride(from: years, through: 1, by: -1).enumerated() {
                centre[index] = Double(k + 1 - frequency * back)
                for o in -halfWindow...halfWindow {
                    let position = k + 1 - frequency * back + o
                    guard position >= 1 else { continue }
                    t[n] = Double(position)
                    y[n] = counts[position - 1]
                    yLogY[n] = yLogYOfCount[position - 1]
                    twoThirds[n] = twoThirdsOfCount[position - 1]
                    year[n] = index
                    offset[n] = o + halfWindow
                    maxResponse = Swift.max(maxResponse, y[n])
                    n += 1
                }
            }
        }

        /// R's `algo.farrington.fitGLM.fast`: fit, Anscombe residuals, weights, fit again.
        mutating func fit(trend: Bool, starts: inout Starts) -> Model? {
            for i in 0..<n { prior[i] = 1 }
            guard let first = irls(trend: trend, start: trend ? starts.first : nil) else { return nil }
            if trend { starts.first = (first.beta0, first.beta1) }
            let phi = Swift.max(first.dispersion, 1)
            // Anscombe residuals with the hat values of the weighted fit; μ^(−1/6) = exp(−η/6), from one exponential
            // per year and per offset as μ (one in all without a trend, where η is the same everywhere).
            // R: gamma = n / Σ (s⁻² if s > 1 else 1); ω = γ s⁻² above 1, γ otherwise.
            if trend {
                for g in 0..<years { yearFactor[g] = exp(-(first.beta0 + first.beta1 * centre[g]) / 6) }
                for o in 0..<offsetFactor.count { offsetFactor[o] = exp(-first.beta1 * Double(o - halfWindow) / 6) }
            } else {
                let constant = exp(-first.beta0 / 6)
                for g in 0..<years { yearFactor[g] = constant }
                for o in 0..<offsetFactor.count { offsetFactor[o] = 1 }
            }
            var inverseSquares = 0.0
            for i in 0..<n {
                // The residual a/√q is above 1 when a > 0 and a² > q; its s⁻² is then q/a² (no root needed).
                let a = 1.5 * (twoThirds[i] * yearFactor[year[i]] * offsetFactor[offset[i]] - mu[i].squareRoot())
                let q = phi * (1 - hat[i])
                let weight = a > 0 && a * a > q ? q / (a * a) : 1
                prior[i] = weight
                inverseSquares += weight
            }
            let gamma = Double(n) / inverseSquares
            for i in 0..<n { prior[i] *= gamma }
            guard var second = irls(trend: trend, start: trend ? starts.second : nil) else { return nil }
            if trend { starts.second = (second.beta0, second.beta1) }
            second.phi = Swift.max(second.dispersion, 1)
            return second
        }

        /// Whether the trend coefficient is significant: its two-sided p by the t distribution below 0.05, that is
        /// |t| above the distribution's 0.975 quantile (found once for the last degrees of freedom, by bisection on p).
        mutating func trendIsSignificant(_ model: Model) -> Bool {
            if model.degrees != criticalDegrees { criticalDegrees = model.degrees; critical = StudentT.criticalAtFivePercent(degrees: model.degrees) }
            return abs(model.beta1 / (model.dispersion * model.inv11).squareRoot()) > critical
        }

        /// What one pass over the window gives: the deviance and the sums of the weighted least squares.
        struct Pass {
            var deviance = 0.0
            var s00 = 0.0, s01 = 0.0, s11 = 0.0, r0 = 0.0, r1 = 0.0

            /// Adds one point: its deviance 2ω(y log y − yη − (y − μ)) (y log y = 0 at y = 0) and its share of the sums.
            @inline(__always) mutating func add(prior: Double, t: Double, y: Double, yLogY: Double, eta: Double, mu: Double) {
                deviance += 2 * prior * ((y > 0 ? yLogY - y * eta : 0) - (y - mu))
                let w = prior * mu, wz = prior * (mu * eta + y - mu)
                s00 += w; s01 += w * t; s11 += w * t * t
                r0 += wz; r1 += t * wz
            }
        }

        /// Sets η = β₀ + β₁t and μ = exp(η) (from one exponential per year and per offset) and, in the same pass, the
        /// deviance at that μ and the next IRLS step's sums: with w = ω·μ and z = η + (y − μ)/μ, w·z = ω(μη + y − μ).
        mutating func pass(_ beta0: Double, _ beta1: Double) -> Pass {
            for g in 0..<years { yearFactor[g] = exp(beta0 + beta1 * centre[g]) }
            for o in 0..<offsetFactor.count { offsetFactor[o] = exp(beta1 * Double(o - halfWindow)) }
            var result = Pass()
            for i in 0..<n {
                let e = beta0 + beta1 * t[i], m = yearFactor[year[i]] * offsetFactor[offset[i]]
                eta[i] = e; mu[i] = m
                result.add(prior: prior[i], t: t[i], y: y[i], yLogY: yLogY[i], eta: e, mu: m)
            }
            return result
        }

        /// The same pass at μ = y + 0.1, η = log μ (R's start).
        mutating func startPass() -> Pass {
            var result = Pass()
            for i in 0..<n {
                let m = y[i] + 0.1, e = log(m)
                eta[i] = e; mu[i] = m
                result.add(prior: prior[i], t: t[i], y: y[i], yLogY: yLogY[i], eta: e, mu: m)
            }
            return result
        }

        /// Iteratively reweighted least squares for a Poisson log-linear model with the prior weights, as R's
        /// `glm.fit` (start μ = y + 0.1, deviance change below 1e-8, at most 25 iterations). The design is an
        /// intercept and, with `trend`, the times. Leaves μ, η and the hat values in the workspace; the
        /// returned model's φ is the unfloored dispersion (the caller floors it).
        mutating func irls(trend: Bool, start: (Double, Double)?) -> Model? {
            let degrees = Double(n - (trend ? 2 : 1))
            if !trend {
                // Intercept only: the maximum-likelihood μ is the weighted mean, where IRLS converges.
                var total = 0.0, weight = 0.0
                for i in 0..<n { total += prior[i] * y[i]; weight += prior[i] }
                guard total > 0, weight > 0 else { return nil }
                let mean = total / weight, inv = 1 / (weight * mean), logMean = log(mean)
                var pearson = 0.0
                for i in 0..<n {
                    pearson += prior[i] * (y[i] - mean) * (y[i] - mean) / mean
                    mu[i] = mean; eta[i] = logMean; hat[i] = prior[i] * mean * inv
                }
                let dispersion = pearson / degrees
                return Model(trend: false, beta0: logMean, beta1: 0, inv00: inv, inv01: 0, inv11: 0, phi: dispersion, dispersion: dispersion, degrees: degrees)
            }
            // R starts from μ = y + 0.1; a start from a neighbouring period's fit converges to the same optimum in
            // fewer steps (the results agree within the convergence tolerance).
            var current = start.map { pass($0.0, $0.1) } ?? startPass()
            var beta0 = 0.0, beta1 = 0.0
            var converged = false
            for _ in 0..<25 {
                let det = current.s00 * current.s11 - current.s01 * current.s01
                guard det != 0, det.isFinite else { return nil }
                beta0 = (current.s11 * current.r0 - current.s01 * current.r1) / det
                beta1 = (current.s00 * current.r1 - current.s01 * current.r0) / det
                let next = pass(beta0, beta1)
                let change = abs(next.deviance - current.deviance) / (abs(next.deviance) + 0.1)
                current = next
                if change < 1e-8 { converged = true; break }
            }
            guard converged else { return nil }
            // (X'WX)⁻¹ at the fitted μ (the last pass's sums), hat values, dispersion.
            let (s00, s01, s11) = (current.s00, current.s01, current.s11)
            let det = s00 * s11 - s01 * s01
            guard det != 0, det.isFinite else { return nil }
            let inv00 = s11 / det, inv01 = -s01 / det, inv11 = s00 / det
            var pearson = 0.0
            for i in 0..<n {
                hat[i] = prior[i] * mu[i] * (inv00 + 2 * inv01 * t[i] + inv11 * t[i] * t[i])
                pearson += prior[i] * (y[i] - mu[i]) * (y[i] - mu[i]) / mu[i]
            }
            let dispersion = pearson / degrees
            return Model(trend: true, beta0: beta0, beta1: beta1, inv00: inv00, inv01: inv01, inv11: inv11,
                         phi: dispersion, dispersion: dispersion, degrees: degrees)
        }
    }
}

/// Student's t distribution: the two-sided p-value of a statistic, through the regularised incomplete beta
/// function (continued fraction, Lentz's method).
enum StudentT {
    /// `logGammas`, when given, is `logGammas(degrees:)` computed once for many statistics.
    static func twoSidedP(_ t: Double, degrees: Double, logGammas: Double? = nil) -> Double {
        guard t.isFinite, degrees > 0 else { return t.isNaN ? .nan : 0 }
        return incompleteBeta(degrees / (degrees + t * t), a: degrees / 2, b: 0.5, logGammas: logGammas)
    }

    /// ``twoSidedCritical(_:degrees:)`` at p = 0.05, each number of degrees of freedom found once for the process.
    static func criticalAtFivePercent(degrees: Double) -> Double {
        if let known = fivePercentCriticals.withLock({ $0[degrees] }) { return known }
        let found = twoSidedCritical(0.05, degrees: degrees)
        fivePercentCriticals.withLock { $0[degrees] = found }
        return found
    }

    private static let fivePercentCriticals = Mutex<[Double: Double]>([:])

    /// The |t| whose two-sided p is `p`: bisection on ``twoSidedP`` (which falls as |t| grows) to the last bit.
    static func twoSidedCritical(_ p: Double, degrees: Double) -> Double {
        let gammas = logGammas(degrees: degrees)
        var low = 0.0, high = 1.0
        while twoSidedP(high, degrees: degrees, logGammas: gammas) > p, high < 1e12 { high *= 2 }
        while true {
            let middle = (low + high) / 2
            guard middle > low, middle < high else { return high }
            if twoSidedP(middle, degrees: degrees, logGammas: gammas) > p { low = middle } else { high = middle }
        }
    }

    /// log Γ(a + b) − log Γ(a) − log Γ(b) of the t distribution's incomplete beta (a = degrees/2, b = ½).
    static func logGammas(degrees: Double) -> Double { lgamma(degrees / 2 + 0.5) - lgamma(degrees / 2) - lgamma(0.5) }

    static func incompleteBeta(_ x: Double, a: Double, b: Double, logGammas given: Double? = nil) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = given ?? (lgamma(a + b) - lgamma(a) - lgamma(b))
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logGammas + logPowers)
        if x < (a + 1) / (a + b + 2) { return front * continuedFraction(x, a: a, b: b) / a }
        return 1 - front * continuedFraction(1 - x, a: b, b: a) / b
    }

    static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
