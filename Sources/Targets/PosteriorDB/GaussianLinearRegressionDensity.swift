import Foundation
import VariationalInference

/// The log density shared by the four posteriordb regressions (arK, kilpisjarvi, nes, blr):
///
///     y ~ normal(X·β, σ),  βⱼ ~ normal(mⱼ, sⱼ) or flat,  σ ~ prior on σ > 0 or flat,
///
/// on the unconstrained scale θ = (β₁, …, β_P, log σ), log-Jacobian log σ included.
///
/// Residuals are formed directly (no sufficient statistics, which lose digits on the kilpisjarvi
/// design with x ≈ 4000): a value and gradient cost 4·N·P flops. Immutable and `Sendable`.
struct GaussianLinearRegressionDensity: Sendable {
    /// The prior on σ > 0: the untruncated density's full log density at σ (Stan's `~` on a
    /// `<lower=0>` parameter).
    enum ScalePrior: Sendable {
        /// No prior statement (an improper flat prior).
        case flat
        /// cauchy(0, scale).
        case cauchy(scale: Double)
        /// normal(0, scale).
        case normal(scale: Double)
    }

    /// X, N×P, row-major: entry (i, j) at i·P + j.
    let design: [Double]
    /// y, N values.
    let response: [Double]
    /// P, the number of coefficients.
    let coefficients: Int
    /// (mⱼ, sⱼ) of each coefficient's normal prior; nil for flat priors on all of them.
    let coefficientPrior: [(mean: Double, sd: Double)]?
    /// The prior on σ.
    let scalePrior: ScalePrior

    /// The dimension D = P + 1.
    var dimension: Int { coefficients + 1 }

    /// log N(x; m, s²) with its constant.
    static func logNormal(_ x: Double, mean: Double, sd: Double) -> Double {
        let z = (x - mean) / sd
        return -0.5 * z * z - log(sd) - 0.5 * logTwoPi
    }

    /// log 2π.
    static let logTwoPi = log(2 * Double.pi)

    /// The log density at θ, with its gradient written into `gradient` (resized to D if needed).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length D; a
    ///   recoverable `ModelError` when σ = e^θ_D overflows or underflows, or the value is not finite.
    func logDensityAndGradient(at theta: [Double], gradient: inout [Double], name: String) throws -> Double {
        try checkPoint(theta, dimension: dimension)
        let p = coefficients, n = response.count
        let sigma = try positive(theta[p], "\(name): sigma")
        if gradient.count != dimension { gradient = [Double](repeating: 0, count: dimension) }
        for j in 0..<dimension { gradient[j] = 0 }
        var squares = 0.0
        design.withUnsafeBufferPointer { x in
            for i in 0..<n {
                var fitted = 0.0
                for j in 0..<p { fitted += x[i * p + j] * theta[j] }
                let residual = response[i] - fitted
                squares += residual * residual
                for j in 0..<p { gradient[j] += x[i * p + j] * residual }
            }
        }
        let precision = 1 / (sigma * sigma)
        for j in 0..<p { gradient[j] *= precision }
        var value = -Double(n) * (theta[p] + 0.5 * Self.logTwoPi) - 0.5 * squares * precision
        gradient[p] = -Double(n) + squares * precision
        if let prior = coefficientPrior {
            for j in 0..<p {
                value += Self.logNormal(theta[j], mean: prior[j].mean, sd: prior[j].sd)
                gradient[j] -= (theta[j] - prior[j].mean) / (prior[j].sd * prior[j].sd)
            }
        }
        switch scalePrior {
        case .flat:
            break
        case .cauchy(let scale):
            let z = sigma / scale
            value += -log(Double.pi * scale) - log1p(z * z)
            gradient[p] -= 2 * z * z / (1 + z * z)
        case .normal(let scale):
            value += Self.logNormal(sigma, mean: 0, sd: scale)
            gradient[p] -= sigma * sigma / (scale * scale)
        }
        value += theta[p]
        gradient[p] += 1
        guard gradient.allSatisfy(\.isFinite) else { throw ModelError("\(name): gradient is not finite") }
        return try finiteValue(value, "\(name) log-density")
    }

    /// (β₁, …, β_P, σ) at θ.
    /// - Throws: as ``logDensityAndGradient(at:gradient:name:)`` for the length and σ.
    func constrained(_ theta: [Double], name: String) throws -> [Double] {
        try checkPoint(theta, dimension: dimension)
        return Array(theta[0..<coefficients]) + [try positive(theta[coefficients], "\(name): sigma")]
    }
}
