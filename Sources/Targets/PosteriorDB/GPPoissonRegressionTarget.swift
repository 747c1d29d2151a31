import Foundation
import VariationalInference

/// posteriordb's `gp_pois_regr-gp_pois_regr`: Poisson regression on a one-dimensional latent
/// Gaussian process, non-centred, model `gp_pois_regr.stan`:
///
///     ρ ~ gamma(25, 4),  α ~ normal(0, 2),  ρ, α > 0,  f̃ ~ normal(0, I_N),
///     f = L·f̃,  L = cholesky(K),  K_ij = α²·exp(−(xᵢ − xⱼ)²/(2ρ²)) + 10⁻¹⁰·[i = j],
///     kᵢ ~ poisson_log(fᵢ),
///
/// with N = 11 inputs x = −10, −8, …, 10 and counts k. θ = (log ρ, log α, f̃₁, …, f̃₁₁) (D = 13);
/// ``constrained(_:)`` returns (ρ, α, f₁, …, f₁₁), the reference draws' columns (f, not f̃).
///
/// The gradient in ρ and α goes through the Cholesky factor: for dK = ∂K/∂ρ (or ∂α),
/// dL = L·Φ(L⁻¹·dK·L⁻ᵀ) with Φ the lower triangle, diagonal halved. Value and gradient cost
/// ≈ 2N³ flops (one factorization, two triangular solves of an N×N block per direction). The
/// jitter 10⁻¹⁰ is Stan's: K is numerically singular for large ρ (condition ≈ 10¹² at ρ = 10), where
/// the factorization may fail. Immutable.
public struct GPPoissonRegressionTarget: PosteriorDBTarget {
    /// posteriordb's name of the posterior.
    public let name = "gp_pois_regr-gp_pois_regr"
    /// `rho`, `alpha`, `f[1]` … `f[11]`.
    public var parameterNames: [String] { PosteriorDBData.GPPoissonRegression.parameterNames }
    /// The reference posterior means, in `parameterNames` order.
    public var referenceMean: [Double] { PosteriorDBData.GPPoissonRegression.referenceMean }
    /// The reference posterior standard deviations, in `parameterNames` order.
    public var referenceSD: [Double] { PosteriorDBData.GPPoissonRegression.referenceSD }
    /// Bulk effective sample sizes of the reference draws, in `parameterNames` order.
    public var referenceBulkESS: [Double] { PosteriorDBData.GPPoissonRegression.referenceBulkESS }
    /// The inputs x (N = 11).
    public let inputs: [Double]
    /// The counts k (N = 11).
    public let counts: [Int]
    /// Σᵢ log kᵢ!, the Poisson constant.
    private let logFactorialSum: Double
    /// The diagonal jitter of K (Stan's 10⁻¹⁰).
    static let jitter = 1e-10

    /// The posterior with the embedded data.
    public init() {
        inputs = PosteriorDBData.GPPoissonRegression.x
        counts = PosteriorDBData.GPPoissonRegression.k
        logFactorialSum = counts.reduce(0) { $0 + lgamma(Double($1) + 1) }
    }

    /// D = N + 2 = 13: θ = (log ρ, log α, f̃).
    public var dimension: Int { inputs.count + 2 }

    /// N, the number of inputs.
    private var count: Int { inputs.count }

    /// K(α, ρ) + 10⁻¹⁰·I and its lower Cholesky factor L, both N×N row-major, and the
    /// squared-exponential correlations R_ij = exp(−(xᵢ − xⱼ)²/(2ρ²)) and (xᵢ − xⱼ)².
    /// - Throws: a recoverable `ModelError` when K is numerically not positive definite.
    private func factor(rho: Double, alpha: Double) throws -> (l: [Double], r: [Double], squared: [Double]) {
        let n = count
        var r = [Double](repeating: 0, count: n * n), squared = r, l = r
        for i in 0..<n {
            for j in 0..<n {
                let d = inputs[i] - inputs[j]
                squared[i * n + j] = d * d
                r[i * n + j] = exp(-d * d / (2 * rho * rho))
            }
        }
        for j in 0..<n {
            var diagonal = alpha * alpha * r[j * n + j] + Self.jitter
            for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
            guard diagonal > 0, diagonal.isFinite else {
                throw ModelError("gp_pois_regr: covariance not positive definite at rho = \(rho), alpha = \(alpha) (pivot \(j))")
            }
            let pivot = diagonal.squareRoot()
            l[j * n + j] = pivot
            for i in (j + 1)..<n {
                var entry = alpha * alpha * r[i * n + j]
                for k in 0..<j { entry -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = entry / pivot
            }
        }
        return (l, r, squared)
    }

    /// ρ and α at θ.
    private func hyperparameters(_ theta: [Double]) throws -> (rho: Double, alpha: Double) {
        (try positive(theta[0], "gp_pois_regr: rho"), try positive(theta[1], "gp_pois_regr: alpha"))
    }

    /// f = L·f̃ for the lower-triangular row-major L.
    private func latent(_ l: [Double], _ theta: [Double]) -> [Double] {
        let n = count
        return (0..<n).map { i in (0...i).reduce(0.0) { $0 + l[i * n + $1] * theta[2 + $1] } }
    }

    /// (ρ, α, f₁, …, f₁₁) at θ, f = L(α, ρ)·f̃.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a length other than 13; a
    ///   recoverable `ModelError` when ρ or α over- or underflows or K is not positive definite.
    public func constrained(_ theta: [Double]) throws -> [Double] {
        try checkPoint(theta, dimension: dimension)
        let (rho, alpha) = try hyperparameters(theta)
        return [rho, alpha] + latent(try factor(rho: rho, alpha: alpha).l, theta)
    }

    /// The log density at θ (see ``PosteriorDBTarget``). Cost ≈ 2N³ flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length 13; a
    ///   recoverable `ModelError` when ρ, α or a rate e^fᵢ over- or underflows, K is not positive
    ///   definite, or the value is not finite.
    public func logDensity(at theta: [Double]) throws -> Double {
        var gradient = [Double]()
        return try logDensityAndGradient(at: theta, gradient: &gradient)
    }

    /// The log density at θ and its gradient (written into `gradient`, resized to 13 if needed).
    /// Cost ≈ 2N³ flops.
    /// - Throws: as ``logDensity(at:)``, and a recoverable `ModelError` for a non-finite gradient.
    public func logDensityAndGradient(at theta: [Double], gradient: inout [Double]) throws -> Double {
        try checkPoint(theta, dimension: dimension)
        let n = count
        let (rho, alpha) = try hyperparameters(theta)
        let (l, r, squared) = try factor(rho: rho, alpha: alpha)
        let f = latent(l, theta)
        if let i = f.firstIndex(where: { !($0 <= maximumExponent) }) {
            throw ModelError("gp_pois_regr: rate exp(f[\(i + 1)]) = exp(\(f[i])) overflows")
        }
        // Poisson terms and g = ∂/∂f = k − e^f.
        var value = -logFactorialSum
        var g = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let rate = exp(f[i])
            value += Double(counts[i]) * f[i] - rate
            g[i] = Double(counts[i]) - rate
        }
        // Priors and log-Jacobian log ρ + log α.
        let logTwoPi = log(2 * Double.pi)
        value += 25 * log(4.0) - lgamma(25) + 24 * log(rho) - 4 * rho
        value += -0.5 * (alpha / 2) * (alpha / 2) - log(2.0) - 0.5 * logTwoPi
        var squaredNorm = 0.0
        for i in 0..<n { squaredNorm += theta[2 + i] * theta[2 + i] }
        value += -0.5 * squaredNorm - 0.5 * Double(n) * logTwoPi
        value += theta[0] + theta[1]

        if gradient.count != dimension { gradient = [Double](repeating: 0, count: dimension) }
        // ∂/∂f̃ = Lᵀg − f̃; w = Lᵀg is also the left factor of the hyperparameter terms gᵀ·dL·f̃ = wᵀ·Φ(M)·f̃.
        var w = [Double](repeating: 0, count: n)
        for j in 0..<n {
            for i in j..<n { w[j] += l[i * n + j] * g[i] }
            gradient[2 + j] = w[j] - theta[2 + j]
        }
        // dK/dρ = α²·R∘(xᵢ − xⱼ)²/ρ³, dK/dα = 2α·R.
        var dRho = [Double](repeating: 0, count: n * n), dAlpha = dRho
        for e in 0..<(n * n) {
            dRho[e] = alpha * alpha * r[e] * squared[e] / (rho * rho * rho)
            dAlpha[e] = 2 * alpha * r[e]
        }
        let likelihoodRho = cholesky(l, directional: dRho, left: w, right: Array(theta[2...]))
        let likelihoodAlpha = cholesky(l, directional: dAlpha, left: w, right: Array(theta[2...]))
        gradient[0] = rho * (likelihoodRho + 24 / rho - 4) + 1
        gradient[1] = alpha * (likelihoodAlpha - alpha / 4) + 1
        guard gradient.allSatisfy(\.isFinite) else { throw ModelError("gp_pois_regr: gradient is not finite") }
        return try finiteValue(value, "gp_pois_regr log-density")
    }

    /// wᵀ·Φ(M)·v for M = L⁻¹·dK·L⁻ᵀ (all N×N row-major, L lower triangular), so that
    /// gᵀ·dL·f̃ = (Lᵀg)ᵀ·Φ(M)·f̃. Cost ≈ 2N³ flops (two triangular solves of an N×N block).
    private func cholesky(_ l: [Double], directional dK: [Double], left w: [Double], right v: [Double]) -> Double {
        let n = count
        // A = L⁻¹·dK by forward substitution, column by column (A is stored row-major).
        var a = dK
        for column in 0..<n {
            for i in 0..<n {
                var entry = a[i * n + column]
                for k in 0..<i { entry -= l[i * n + k] * a[k * n + column] }
                a[i * n + column] = entry / l[i * n + i]
            }
        }
        // M = L⁻¹·Aᵀ (= A·L⁻ᵀ, symmetric); only its lower triangle is needed.
        var m = [Double](repeating: 0, count: n * n)
        for column in 0..<n {
            for i in 0..<n {
                var entry = a[column * n + i]
                for k in 0..<i { entry -= l[i * n + k] * m[k * n + column] }
                m[i * n + column] = entry / l[i * n + i]
            }
        }
        var sum = 0.0
        for i in 0..<n {
            for j in 0...i { sum += w[i] * (i == j ? 0.5 : 1) * m[i * n + j] * v[j] }
        }
        return sum
    }
}
