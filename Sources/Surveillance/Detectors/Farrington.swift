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
    /// to period (no allocation per period), y·log y and y^⅔ are taken once per count and a window's sums come
    /// from running sums over the series, a fit starts from the neighbouring period's coefficients, and an IRLS
    /// step of the trend model does not visit the window's points:
    /// the times of a window are a year's centre c plus an offset d, so μ = exp(β₀ + β₁c)·exp(β₁d) and the sums
    /// Σωμtᵏ of the step factor into sums over the years and over the offsets, corrected for the few points whose
    /// weight differs from the rest (see ``Workspace/pass(_:_:)``).
    public static func run(_ counts: [Double], frequency: Int = 52, years: Int = 5, halfWindow: Int = 3, alpha: Double = 0.05,
                           from: Int? = nil) -> [Result?] {
        let start = Swift.max(0, from ?? (frequency * years - halfWindow - 1))
        var results = [Result?](repeating: nil, count: counts.count)
        // A window wider than the period would reach past the end of the series: nothing is judged.
        guard start < counts.count, years >= 1, halfWindow >= 0, frequency >= 1, frequency >= halfWindow else { return results }
        let z = NormalQuantile.quantile(1 - alpha / 2)
        let work = Workspace(counts: counts, frequency: frequency, years: years, halfWindow: halfWindow)
        var starts = Starts()
        for k in start..<counts.count {
            // Reference periods (1-based positions, as R's wtime), oldest year first.
            work.fill(period: k)
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
            var model = work.fitTrend(starts: &starts)
            var trend = false
            if let fitted = model, fitted.trend {
                let predicted = exp(fitted.beta0 + fitted.beta1 * x)
                // The p-value last: it is needed only when the other conditions hold.
                var keep = years >= 3 && predicted <= work.maxResponse
                if keep { keep = work.trendIsSignificant(fitted) }
                if keep {
                    trend = true
                } else {
                    model = work.fitConstant()
                }
            }
            guard let model else { continue }
            let mu0 = exp(model.trend ? model.beta0 + model.beta1 * x : model.beta0)
            let quadratic = model.trend ? model.inv00 + 2 * model.inv01 * x + model.inv11 * x * x : model.inv00
            let seFit = (quadratic * model.phi).squareRoot() * mu0
            let tau = model.phi + seFit * seFit / mu0
            let cubeRoot = cbrt(mu0)
            let se = (4.0 / 9 * cubeRoot * tau).squareRoot()
            let base = cubeRoot * cubeRoot + z * se
            let upper = base * base.squareRoot()
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
    ///
    /// The window is a grid of years × offsets: a point's time is its year's centre c plus its offset d, so
    /// μ = exp(β₀ + β₁t) = exp(β₀ + β₁c)·exp(β₁d), a year's factor times an offset's. An IRLS step of the trend
    /// model needs only Σωμtᵏ (k = 0, 1, 2) besides sums that stay fixed during a fit, and over the grid at one
    /// common weight these factor into sums over the years and over the offsets; the points whose weight differs
    /// (down-weighted outliers, and cells before the series' start, weight 0) are added as exceptions. So the
    /// steps do not visit the points; each fit visits them about twice (μ with the dispersion, then the
    /// residuals' weights), and the model without a trend is fitted in closed form.
    final class Workspace {
        let counts: [Double]
        /// y·log y and y^⅔ of every count of the series.
        let yLogYOfCount: [Double]
        let twoThirdsOfCount: [Double]
        /// Running sums (element j: positions 1 … j, 1-based) of y, t·y, y² and y·log y, and each position's largest
        /// count within ±halfWindow: a window's sums and largest count from one look-up per reference year.
        let prefixY: [Double], prefixTY: [Double], prefixYY: [Double], prefixYLogY: [Double]
        let largestAround: [Double]
        let frequency: Int
        let years: Int
        let halfWindow: Int
        /// The window: n points of time t, count y, its y·log y and y^⅔, reference year (0 the oldest) and offset
        /// index (0 for −halfWindow); the cells of the grid before the series' start are absent.
        var n = 0
        let t: UnsafeMutablePointer<Double>, y: UnsafeMutablePointer<Double>, yLogY: UnsafeMutablePointer<Double>
        let twoThirds: UnsafeMutablePointer<Double>
        let year: UnsafeMutablePointer<Int>, offset: UnsafeMutablePointer<Int>
        var absent = 0
        let absentYear: UnsafeMutablePointer<Int>, absentOffset: UnsafeMutablePointer<Int>
        /// The window's reference-year centres (k + 1 − frequency·year), its largest count, and Σy, Σty, Σy log y, Σy².
        let centre: UnsafeMutablePointer<Double>
        var maxResponse = 0.0
        var sumY = 0.0, sumTY = 0.0, sumYLogY = 0.0, sumYY = 0.0
        /// Per point: its weight relative to the fit's scale (ω = scale·weight).
        let weight: UnsafeMutablePointer<Double>
        /// Per year and per offset: the factors of μ at the last step, their reciprocals, square roots and −1/6 powers.
        let yearFactor: UnsafeMutablePointer<Double>, offsetFactor: UnsafeMutablePointer<Double>
        let reciprocalYear: UnsafeMutablePointer<Double>, reciprocalOffset: UnsafeMutablePointer<Double>
        let rootYear: UnsafeMutablePointer<Double>, rootOffset: UnsafeMutablePointer<Double>
        let sixthYear: UnsafeMutablePointer<Double>, sixthOffset: UnsafeMutablePointer<Double>
        /// The points whose Anscombe residual is above 1 (index, q and a², see ``fitTrend(starts:)``).
        var outliers = 0
        let outlierIndex: UnsafeMutablePointer<Int>
        let outlierQ: UnsafeMutablePointer<Double>, outlierA2: UnsafeMutablePointer<Double>
        /// What a fit's steps share: ω = scale·weight, the common weight's ω, Σωy, Σωty, Σω·y log y, and the
        /// exceptions, the grid cells whose ω is not the common one: year, offset, time and ω − common.
        var scale = 1.0, common = 1.0
        var weightedY = 0.0, weightedTY = 0.0, weightedYLogY = 0.0
        var exceptions = 0
        let exceptionYear: UnsafeMutablePointer<Int>, exceptionOffset: UnsafeMutablePointer<Int>
        let exceptionT: UnsafeMutablePointer<Double>, exceptionDelta: UnsafeMutablePointer<Double>
        var criticalDegrees = -1.0, critical = 0.0
        /// Every buffer above, to free.
        private let doubles: [UnsafeMutablePointer<Double>], integers: [UnsafeMutablePointer<Int>]

        init(counts: [Double], frequency: Int, years: Int, halfWindow: Int) {
            self.counts = counts
            yLogYOfCount = counts.map { $0 > 0 ? $0 * log($0) : 0 }
            twoThirdsOfCount = counts.map { pow($0, 2.0 / 3) }
            var prefixY = [0.0], prefixTY = [0.0], prefixYY = [0.0], prefixYLogY = [0.0]
            for (index, count) in counts.enumerated() {
                prefixY.append(prefixY[index] + count); prefixTY.append(prefixTY[index] + Double(index + 1) * count)
                prefixYY.append(prefixYY[index] + count * count); prefixYLogY.append(prefixYLogY[index] + yLogYOfCount[index])
            }
            (self.prefixY, self.prefixTY, self.prefixYY, self.prefixYLogY) = (prefixY, prefixTY, prefixYY, prefixYLogY)
            largestAround = counts.indices.map { index in
                counts[Swift.max(0, index - halfWindow)...Swift.min(counts.count - 1, index + halfWindow)].max() ?? 0
            }
            self.frequency = frequency
            self.years = years
            self.halfWindow = halfWindow
            let capacity = years * (2 * halfWindow + 1)
            func doubles(_ count: Int) -> UnsafeMutablePointer<Double> {
                let buffer = UnsafeMutablePointer<Double>.allocate(capacity: count)
                buffer.initialize(repeating: 0, count: count)
                return buffer
            }
            func integers(_ count: Int) -> UnsafeMutablePointer<Int> {
                let buffer = UnsafeMutablePointer<Int>.allocate(capacity: count)
                buffer.initialize(repeating: 0, count: count)
                return buffer
            }
            t = doubles(capacity); y = doubles(capacity); yLogY = doubles(capacity); twoThirds = doubles(capacity)
            weight = doubles(capacity); exceptionT = doubles(capacity); exceptionDelta = doubles(capacity)
            outlierQ = doubles(capacity); outlierA2 = doubles(capacity)
            centre = doubles(years); yearFactor = doubles(years); reciprocalYear = doubles(years); rootYear = doubles(years); sixthYear = doubles(years)
            let offsets = 2 * halfWindow + 1
            offsetFactor = doubles(offsets); reciprocalOffset = doubles(offsets); rootOffset = doubles(offsets); sixthOffset = doubles(offsets)
            year = integers(capacity); offset = integers(capacity); absentYear = integers(capacity); absentOffset = integers(capacity)
            exceptionYear = integers(capacity); exceptionOffset = integers(capacity); outlierIndex = integers(capacity)
            self.doubles = [t, y, yLogY, twoThirds, weight, exceptionT, exceptionDelta, outlierQ, outlierA2, centre, yearFactor, reciprocalYear,
                            rootYear, sixthYear, offsetFactor, reciprocalOffset, rootOffset, sixthOffset]
            self.integers = [year, offset, absentYear, absentOffset, exceptionYear, exceptionOffset, outlierIndex]
        }

        deinit {
            for buffer in doubles { buffer.deallocate() }
            for buffer in integers { buffer.deallocate() }
        }

        func fill(period k: Int) {
            n = 0; absent = 0
            maxResponse = 0; sumY = 0; sumTY = 0; sumYLogY = 0; sumYY = 0
            for (index, back) in stride(from: years, through: 1, by: -1).enumerated() {
                let middle = k + 1 - frequency * back
                centre[index] = Double(middle)
                for o in -halfWindow...halfWindow {
                    let position = middle + o
                    guard position >= 1 else {
                        absentYear[absent] = index; absentOffset[absent] = o + halfWindow; absent += 1
                        continue
                    }
                    t[n] = Double(position); y[n] = counts[position - 1]; yLogY[n] = yLogYOfCount[position - 1]
                    twoThirds[n] = twoThirdsOfCount[position - 1]
                    year[n] = index; offset[n] = o + halfWindow
                    n += 1
                }
                // The year's positions are max(1, middle − halfWindow) … middle + halfWindow (never past the end).
                let last = middle + halfWindow, before = Swift.max(0, middle - halfWindow - 1)
                guard last >= 1 else { continue }
                sumY += prefixY[last] - prefixY[before]; sumTY += prefixTY[last] - prefixTY[before]
                sumYY += prefixYY[last] - prefixYY[before]; sumYLogY += prefixYLogY[last] - prefixYLogY[before]
                if middle >= 1 {
                    maxResponse = Swift.max(maxResponse, largestAround[middle - 1])
                } else {
                    for position in 1...last { maxResponse = Swift.max(maxResponse, counts[position - 1]) }
                }
            }
        }

        /// R's `algo.farrington.fitGLM.fast` with the time trend: fit, Anscombe residuals, weights, fit again.
        func fitTrend(starts: inout Starts) -> Model? {
            // The first fit: every weight 1 (until the outliers' below).
            scale = 1; common = 1
            weightedY = sumY; weightedTY = sumTY; weightedYLogY = sumYLogY
            exceptions = 0
            addAbsentCells()
            for i in 0..<n { weight[i] = 1 }
            guard let first = irls(start: starts.first) else { return nil }
            starts.first = (first.beta0, first.beta1)
            let phi = Swift.max(first.dispersion, 1)
            // Anscombe residuals a/√q, a = 1.5(y^⅔μ^(−1/6) − μ^½), q = φ(1 − h), with the hat values h of the fit.
            // μ^½ and μ^(−1/6) = exp(−η/6) per year and per offset, as μ. R: γ = n / Σ(s⁻² if s > 1 else 1);
            // ω = γs⁻² above 1, γ otherwise. The residual is above 1 when a > 0 and a² > q, its s⁻² then q/a² (no
            // root needed); such points are few, so their weights and what they take from the sums come after.
            let sixthRatio = exp(-first.beta1 * Double(frequency) / 6), sixthStep = exp(-first.beta1 / 6)
            var sixth = exp(-(first.beta0 + first.beta1 * centre[0]) / 6)
            for g in 0..<years { sixthYear[g] = sixth; sixth *= sixthRatio; rootYear[g] = yearFactor[g].squareRoot() }
            sixthOffset[halfWindow] = 1
            for d in stride(from: 1, through: halfWindow, by: 1) {
                sixthOffset[halfWindow + d] = sixthOffset[halfWindow + d - 1] * sixthStep
                sixthOffset[halfWindow - d] = sixthOffset[halfWindow - d + 1] / sixthStep
            }
            for o in 0...(2 * halfWindow) { rootOffset[o] = offsetFactor[o].squareRoot() }
            outliers = 0
            for i in 0..<n {
                let g = year[i], o = offset[i], time = t[i]
                let hat = yearFactor[g] * offsetFactor[o] * (first.inv00 + 2 * first.inv01 * time + first.inv11 * time * time)
                let a = 1.5 * (twoThirds[i] * sixthYear[g] * sixthOffset[o] - rootYear[g] * rootOffset[o])
                let q = phi * (1 - hat)
                // Written every time at the next free place, kept only for an outlier (no branch to mispredict).
                outlierIndex[outliers] = i; outlierQ[outliers] = q; outlierA2[outliers] = a * a
                outliers += a > 0 && a * a > q ? 1 : 0
            }
            var inverseSquares = Double(n), y1 = sumY, ty1 = sumTY, yLogY1 = sumYLogY
            for j in 0..<outliers {
                let i = outlierIndex[j], w = outlierQ[j] / outlierA2[j], lost = 1 - w
                weight[i] = w
                inverseSquares -= lost; y1 -= lost * y[i]; ty1 -= lost * t[i] * y[i]; yLogY1 -= lost * yLogY[i]
            }
            // The second fit: ω = γ·weight, most points at γ, the outliers the exceptions.
            let gamma = Double(n) / inverseSquares
            scale = gamma; common = gamma
            weightedY = gamma * y1; weightedTY = gamma * ty1; weightedYLogY = gamma * yLogY1
            for j in 0..<outliers {
                let i = outlierIndex[j]
                exceptionYear[j] = year[i]; exceptionOffset[j] = offset[i]; exceptionT[j] = t[i]; exceptionDelta[j] = gamma * (weight[i] - 1)
            }
            exceptions = outliers
            addAbsentCells()
            guard var second = irls(start: starts.second) else { return nil }
            starts.second = (second.beta0, second.beta1)
            second.phi = Swift.max(second.dispersion, 1)
            return second
        }

        /// The cells before the series' start, as exceptions of weight 0.
        func addAbsentCells() {
            for j in 0..<absent {
                exceptionYear[exceptions] = absentYear[j]; exceptionOffset[exceptions] = absentOffset[j]
                exceptionT[exceptions] = centre[absentYear[j]] + Double(absentOffset[j] - halfWindow)
                exceptionDelta[exceptions] = -common
                exceptions += 1
            }
        }

        /// The same without a trend, where the maximum-likelihood μ of each fit is the weighted mean (where IRLS
        /// converges): with every weight 1, μ = Σy/n, the hat values 1/n and Pearson's Σ(y − μ)²/μ = Σy²/μ − 2Σy + nμ;
        /// then one pass for the residuals' weights and the second fit's sums.
        func fitConstant() -> Model? {
            let count = Double(n), degrees = count - 1
            guard sumY > 0 else { return nil }
            let mean = sumY / count
            let phi = Swift.max((sumYY / mean - 2 * sumY + count * mean) / degrees, 1)
            let sixth = exp(-log(mean) / 6), root = mean.squareRoot(), q = phi * (1 - 1 / count)
            // The outliers first (as in fitTrend), then their weights and what they take from the sums.
            outliers = 0
            for i in 0..<n {
                let a = 1.5 * (twoThirds[i] * sixth - root)
                outlierIndex[outliers] = i; outlierA2[outliers] = a * a
                outliers += a > 0 && a * a > q ? 1 : 0
            }
            var inverseSquares = count, y1 = sumY, yy1 = sumYY
            for j in 0..<outliers {
                let count = y[outlierIndex[j]], lost = 1 - q / outlierA2[j]
                inverseSquares -= lost; y1 -= lost * count; yy1 -= lost * count * count
            }
            // ω = γ·w with γ = n/Σw: Σω = n, and the mean Σωy/Σω = Σwy/Σw.
            let gamma = count / inverseSquares
            guard y1 > 0, inverseSquares > 0 else { return nil }
            let second = y1 / inverseSquares
            let dispersion = gamma * (yy1 / second - 2 * y1 + second * inverseSquares) / degrees
            return Model(trend: false, beta0: log(second), beta1: 0, inv00: 1 / (gamma * y1), inv01: 0, inv11: 0,
                         phi: Swift.max(dispersion, 1), dispersion: dispersion, degrees: degrees)
        }

        /// Whether the trend coefficient is significant: its two-sided p by the t distribution below 0.05, that is
        /// |t| above the distribution's 0.975 quantile (found once for the last degrees of freedom, by bisection on p).
        func trendIsSignificant(_ model: Model) -> Bool {
            if model.degrees != criticalDegrees { criticalDegrees = model.degrees; critical = StudentT.criticalAtFivePercent(degrees: model.degrees) }
            return abs(model.beta1 / (model.dispersion * model.inv11).squareRoot()) > critical
        }

        /// What one IRLS step needs: the deviance at the current μ and the sums of the weighted least squares.
        struct Pass {
            var deviance = 0.0
            var s00 = 0.0, s01 = 0.0, s11 = 0.0, r0 = 0.0, r1 = 0.0

            /// The coefficients of the step: (X'WX)⁻¹X'Wz (nil when X'WX is singular or not finite).
            func newtonStep() -> (Double, Double)? {
                let det = s00 * s11 - s01 * s01
                guard det != 0, det.isFinite else { return nil }
                return ((s11 * r0 - s01 * r1) / det, (s00 * r1 - s01 * r0) / det)
            }
        }

        /// Sets μ = exp(β₀ + β₁t) and returns the deviance there and the next step's sums (w = ω·μ, z = η + (y − μ)/μ):
        /// s₀₀, s₀₁, s₁₁ = Σωμ, Σωμt, Σωμt²; r₀ = Σωμz = β₀s₀₀ + β₁s₀₁ + Σωy − s₀₀, r₁ = Σωμtz likewise; deviance
        /// 2Σω(y log y − yη − y + μ). Only Σωμtᵏ depends on β: with μ = Y·O (year factor Y = exp(β₀ + β₁c), offset
        /// factor O = exp(β₁d)), over the whole grid at the common weight it is made of Aⱼ = ΣY·cʲ and Bⱼ = ΣO·dʲ
        /// (Σμ = A₀B₀, Σμt = A₁B₀ + A₀B₁, Σμt² = A₂B₀ + 2A₁B₁ + A₀B₂), and each exception adds its (ω − common)·μtᵏ.
        /// The factors are kept for the points' μ after the last step.
        func pass(_ beta0: Double, _ beta1: Double) -> Pass {
            // Year g's factor exp(β₀ + β₁c₀)·exp(β₁)^(frequency·g), and exp(β₁d) for d = −halfWindow … halfWindow:
            // two exponentials in all (exp(β₁)^frequency by squaring, within a few units in the last place).
            let step = exp(beta1)
            var ratio = 1.0, power = step, exponent = frequency
            while exponent > 0 {
                if exponent & 1 == 1 { ratio *= power }
                power *= power; exponent >>= 1
            }
            var factor = exp(beta0 + beta1 * centre[0])
            var a0 = 0.0, a1 = 0.0, a2 = 0.0
            for g in 0..<years {
                let c = centre[g]
                yearFactor[g] = factor
                a0 += factor; a1 += factor * c; a2 += factor * c * c
                factor *= ratio
            }
            let back = 1 / step
            offsetFactor[halfWindow] = 1
            var b0 = 1.0, b1 = 0.0, b2 = 0.0
            var up = 1.0, down = 1.0
            for d in stride(from: 1, through: halfWindow, by: 1) {
                up *= step; down *= back
                offsetFactor[halfWindow + d] = up; offsetFactor[halfWindow - d] = down
                let d = Double(d)
                b0 += up + down; b1 += d * (up - down); b2 += d * d * (up + down)
            }
            var s0 = common * a0 * b0, s1 = common * (a1 * b0 + a0 * b1), s2 = common * (a2 * b0 + 2 * a1 * b1 + a0 * b2)
            for j in 0..<exceptions {
                let m = exceptionDelta[j] * yearFactor[exceptionYear[j]] * offsetFactor[exceptionOffset[j]], time = exceptionT[j]
                s0 += m; s1 += m * time; s2 += m * time * time
            }
            return Pass(deviance: 2 * (weightedYLogY - beta0 * weightedY - beta1 * weightedTY - weightedY + s0),
                        s00: s0, s01: s1, s11: s2,
                        r0: beta0 * s0 + beta1 * s1 + weightedY - s0, r1: beta0 * s1 + beta1 * s2 + weightedTY - s1)
        }

        /// The first step's sums at R's start μ = y + 0.1, η = log μ, point by point.
        func startPass() -> Pass {
            var result = Pass()
            for i in 0..<n {
                let m = y[i] + 0.1, e = log(m), omega = scale * weight[i], w = omega * m, wz = omega * (m * e + y[i] - m), time = t[i]
                result.deviance += 2 * omega * (yLogY[i] - y[i] * e - y[i] + m)
                result.s00 += w; result.s01 += w * time; result.s11 += w * time * time
                result.r0 += wz; result.r1 += time * wz
            }
            return result
        }

        /// Iteratively reweighted least squares for a Poisson log-linear model of an intercept and the times, with
        /// the fit's weights, as R's `glm.fit` (start μ = y + 0.1, deviance change below 1e-8, at most 25 iterations).
        /// Leaves the factors of μ in the workspace; the returned model's φ is the unfloored dispersion (the caller
        /// floors it).
        func irls(start: (Double, Double)?) -> Model? {
            let degrees = Double(n - 2)
            // R starts from μ = y + 0.1; a start from a neighbouring period's fit converges to the same optimum in
            // fewer steps (the results agree within the convergence tolerance).
            var current = start.map { pass($0.0, $0.1) } ?? startPass()
            var beta0 = 0.0, beta1 = 0.0
            var converged = false
            for _ in 0..<25 {
                guard let step = current.newtonStep() else { return nil }
                (beta0, beta1) = step
                let next = pass(beta0, beta1)
                let change = abs(next.deviance - current.deviance) / (abs(next.deviance) + 0.1)
                current = next
                if change < 1e-8 { converged = true; break }
            }
            guard converged else { return nil }
            // (X'WX)⁻¹ at the fitted μ (the last pass's sums); Pearson's Σω(y − μ)²/μ with μ and 1/μ from the last
            // pass's factors and their reciprocals (the factors stay for the residuals' hat values).
            let (s00, s01, s11) = (current.s00, current.s01, current.s11)
            let det = s00 * s11 - s01 * s01
            guard det != 0, det.isFinite else { return nil }
            let inv00 = s11 / det, inv01 = -s01 / det, inv11 = s00 / det
            for g in 0..<years { reciprocalYear[g] = 1 / yearFactor[g] }
            for o in 0...(2 * halfWindow) { reciprocalOffset[o] = 1 / offsetFactor[o] }
            var pearson = 0.0
            for i in 0..<n {
                let g = year[i], o = offset[i]
                let residual = y[i] - yearFactor[g] * offsetFactor[o]
                pearson += weight[i] * residual * residual * (reciprocalYear[g] * reciprocalOffset[o])
            }
            let dispersion = scale * pearson / degrees
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
