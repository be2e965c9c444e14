import Foundation

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
    public static func run(_ counts: [Double], frequency: Int = 52, years: Int = 5, halfWindow: Int = 3, alpha: Double = 0.05,
                           from: Int? = nil) -> [Result?] {
        let start = from ?? (frequency * years - halfWindow - 1)
        var results = [Result?](repeating: nil, count: counts.count)
        let z = NormalQuantile.quantile(1 - alpha / 2)
        var starts: (first: [Double]?, second: [Double]?) = (nil, nil)
        for k in Swift.max(0, start)..<counts.count {
            // Reference periods (1-based positions, as R's wtime), oldest year first.
            var times: [Double] = []
            var response: [Double] = []
            for year in stride(from: years, through: 1, by: -1) {
                for offset in -halfWindow...halfWindow {
                    let position = k + 1 - frequency * year + offset
                    guard position >= 1 else { continue }
                    times.append(Double(position))
                    response.append(counts[position - 1])
                }
            }
            guard response.count > 2 else { continue }
            // Fewer than 5 cases in the last 4 periods: no alarm and a bound of 0 whatever the fit (as in R),
            // so the fit is skipped.
            guard counts[Swift.max(0, k - 3)...k].reduce(0, +) >= 5 else {
                results[k] = Result(expected: .nan, upperBound: 0, alarm: false, trend: false)
                continue
            }
            let x = Double(k + 1)
            var model = fit(times: times, response: response, trend: true, starts: &starts)
            var trend = false
            if let fitted = model, fitted.beta.count == 2 {
                let predicted = exp(fitted.beta[0] + fitted.beta[1] * x)
                let significant = fitted.trendPValue < 0.05
                if years >= 3 && significant && predicted <= (response.max() ?? 0) {
                    trend = true
                } else {
                    model = fit(times: times, response: response, trend: false, starts: &starts)
                }
            }
            guard let model else { continue }
            let row = model.beta.count == 2 ? [1, x] : [1]
            let eta = zip(row, model.beta).reduce(0) { $0 + $1.0 * $1.1 }
            let mu0 = exp(eta)
            var quadratic = 0.0
            for i in row.indices { for j in row.indices { quadratic += row[i] * model.inverse[i][j] * row[j] } }
            let seFit = (quadratic * model.phi).squareRoot() * mu0
            let tau = model.phi + seFit * seFit / mu0
            let se = (4.0 / 9 * pow(mu0, 1.0 / 3) * tau).squareRoot()
            let upper = pow(pow(mu0, 2.0 / 3) + z * se, 3.0 / 2)
            let enough = counts[Swift.max(0, k - 3)...k].reduce(0, +) >= 5
            let score = enough ? (counts[k] - mu0) / (upper - mu0) : 0
            results[k] = Result(expected: mu0, upperBound: enough ? upper : 0, alarm: score > 1, trend: trend)
        }
        return results
    }

    /// A fitted quasi-Poisson model: coefficients, (X'WX)⁻¹, the dispersion floored at 1, the trend's p-value.
    struct Model {
        var beta: [Double]
        var inverse: [[Double]]
        var phi: Double
        var trendPValue: Double
    }

    /// R's `algo.farrington.fitGLM.fast`: fit, Anscombe residuals, weights, fit again.
    static func fit(times: [Double], response: [Double], trend: Bool, starts: inout (first: [Double]?, second: [Double]?)) -> Model? {
        guard let first = irls(times: times, trend: trend, response, weights: [Double](repeating: 1, count: response.count), start: trend ? starts.first : nil) else { return nil }
        if trend { starts.first = first.beta }
        let phi = Swift.max(first.dispersion, 1)
        // Anscombe residuals with the hat values of the weighted fit.
        var residuals: [Double] = []
        for i in response.indices {
            let mu = first.mu[i], y = response[i]
            let a = 1.5 * (pow(y, 2.0 / 3) * pow(mu, -1.0 / 6) - mu.squareRoot())
            residuals.append(a / (phi * (1 - first.hat[i])).squareRoot())
        }
        // R: gamma = n / Σ (s⁻² if s > 1 else 1); ω = γ s⁻² above 1, γ otherwise.
        let gamma = Double(residuals.count) / residuals.reduce(0) { $0 + ($1 > 1 ? 1 / ($1 * $1) : 1) }
        let omega = residuals.map { $0 > 1 ? gamma / ($0 * $0) : gamma }
        guard let second = irls(times: times, trend: trend, response, weights: omega, start: trend ? starts.second : nil) else { return nil }
        if trend { starts.second = second.beta }
        return Model(beta: second.beta, inverse: second.inverse, phi: Swift.max(second.dispersion, 1), trendPValue: second.trendPValue)
    }

    struct Fit {
        var beta: [Double]
        var mu: [Double]
        var inverse: [[Double]]
        var hat: [Double]
        /// Σ w (y − μ)²/μ over the residual degrees of freedom (summary.glm's quasi-Poisson dispersion).
        var dispersion: Double
        /// Two-sided p of the trend coefficient by the t distribution (1 without a trend).
        var trendPValue: Double
    }

    /// Iteratively reweighted least squares for a Poisson log-linear model with prior weights, as R's
    /// `glm.fit` (start μ = y + 0.1, deviance change below 1e-8, at most 25 iterations). The design is an
    /// intercept and, with `trend`, the times; the sums are kept as scalars, so a fit allocates little.
    static func irls(times t: [Double], trend: Bool, _ y: [Double], weights prior: [Double], start: [Double]? = nil) -> Fit? {
        let n = y.count, p = trend ? 2 : 1
        if p == 1 {
            // Intercept only: the maximum-likelihood μ is the weighted mean, where IRLS converges.
            let total = zip(prior, y).reduce(0) { $0 + $1.0 * $1.1 }, weight = prior.reduce(0, +)
            guard total > 0, weight > 0 else { return nil }
            let mean = total / weight
            let inv = [[1 / (weight * mean)]]
            var pearson = 0.0
            for i in 0..<n { pearson += prior[i] * (y[i] - mean) * (y[i] - mean) / mean }
            let hat = prior.map { $0 * mean * inv[0][0] }
            return Fit(beta: [log(mean)], mu: [Double](repeating: mean, count: n), inverse: inv, hat: hat, dispersion: pearson / Double(n - 1), trendPValue: 1)
        }
        // R starts from μ = y + 0.1; a start from a neighbouring period's fit converges to the same optimum in
        // fewer steps (the results agree within the convergence tolerance).
        var mu: [Double], eta: [Double]
        if let start, start.count == 2 {
            eta = t.map { start[0] + start[1] * $0 }
            mu = eta.map { exp($0) }
        } else {
            mu = y.map { $0 + 0.1 }
            eta = mu.map { log($0) }
        }
        // y·log(y) once; the deviance's y·log(y/μ) is then y·log(y) − y·η.
        let yLogY = y.map { $0 > 0 ? $0 * log($0) : 0 }
        func deviance() -> Double {
            var total = 0.0
            for i in 0..<n { total += 2 * prior[i] * ((y[i] > 0 ? yLogY[i] - y[i] * eta[i] : 0) - (y[i] - mu[i])) }
            return total
        }
        /// The weighted cross-products X'WX at the current μ and, with `z`, X'Wz.
        func crossProducts(working: Bool) -> (s00: Double, s01: Double, s11: Double, r0: Double, r1: Double) {
            var s00 = 0.0, s01 = 0.0, s11 = 0.0, r0 = 0.0, r1 = 0.0
            for i in 0..<n {
                let w = prior[i] * mu[i]
                s00 += w; s01 += w * t[i]; s11 += w * t[i] * t[i]
                if working {
                    let z = eta[i] + (y[i] - mu[i]) / mu[i]
                    r0 += w * z; r1 += w * t[i] * z
                }
            }
            return (s00, s01, s11, r0, r1)
        }
        func inverse(_ c: (s00: Double, s01: Double, s11: Double, r0: Double, r1: Double)) -> [[Double]]? {
            p == 1 ? invert([[c.s00]]) : invert([[c.s00, c.s01], [c.s01, c.s11]])
        }
        var oldDeviance = deviance()
        var beta = [Double](repeating: 0, count: p)
        var converged = false
        for _ in 0..<25 {
            let c = crossProducts(working: true)
            guard let inv = inverse(c) else { return nil }
            beta = p == 1 ? [inv[0][0] * c.r0] : [inv[0][0] * c.r0 + inv[0][1] * c.r1, inv[1][0] * c.r0 + inv[1][1] * c.r1]
            for i in 0..<n {
                eta[i] = p == 1 ? beta[0] : beta[0] + beta[1] * t[i]
                mu[i] = exp(eta[i])
            }
            let newDeviance = deviance()
            if abs(newDeviance - oldDeviance) / (abs(newDeviance) + 0.1) < 1e-8 { converged = true; break }
            oldDeviance = newDeviance
        }
        // (X'WX)⁻¹ at the fitted μ, hat values, dispersion.
        guard converged, let inv = inverse(crossProducts(working: false)) else { return nil }
        var hat: [Double] = []
        hat.reserveCapacity(n)
        var pearson = 0.0
        for i in 0..<n {
            let quadratic = p == 1 ? inv[0][0] : inv[0][0] + 2 * inv[0][1] * t[i] + inv[1][1] * t[i] * t[i]
            hat.append(prior[i] * mu[i] * quadratic)
            pearson += prior[i] * (y[i] - mu[i]) * (y[i] - mu[i]) / mu[i]
        }
        let dispersion = pearson / Double(n - p)
        let pValue = p == 2 ? StudentT.twoSidedP(beta[1] / (dispersion * inv[1][1]).squareRoot(), degrees: Double(n - p)) : 1
        return Fit(beta: beta, mu: mu, inverse: inv, hat: hat, dispersion: dispersion, trendPValue: pValue)
    }

    /// The inverse of a 1×1 or 2×2 matrix; nil when singular.
    static func invert(_ m: [[Double]]) -> [[Double]]? {
        if m.count == 1 { return m[0][0] == 0 ? nil : [[1 / m[0][0]]] }
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0]
        guard det != 0, det.isFinite else { return nil }
        return [[m[1][1] / det, -m[0][1] / det], [-m[1][0] / det, m[0][0] / det]]
    }
}

/// Student's t distribution: the two-sided p-value of a statistic, through the regularised incomplete beta
/// function (continued fraction, Lentz's method).
enum StudentT {
    static func twoSidedP(_ t: Double, degrees: Double) -> Double {
        guard t.isFinite, degrees > 0 else { return t.isNaN ? .nan : 0 }
        return incompleteBeta(degrees / (degrees + t * t), a: degrees / 2, b: 0.5)
    }

    static func incompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
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
