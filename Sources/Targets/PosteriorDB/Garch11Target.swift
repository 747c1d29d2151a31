import Foundation
import VariationalInference

/// posteriordb's `garch-garch11`: a GARCH(1,1) model of a simulated series y₁, …, y₂₀₀, model
/// `garch11.stan`, with improper flat priors:
///
///     σ₁ = 0.5,  σ_t² = α₀ + α₁·(y_{t−1} − μ)² + β₁·σ_{t−1}²,  y_t ~ normal(μ, σ_t),
///     α₀ > 0,  0 < α₁ < 1,  0 < β₁ < 1 − α₁.
///
/// θ = (μ, log α₀, logit α₁, logit(β₁/(1 − α₁))) (D = 4): β₁'s upper bound depends on α₁, so its
/// log-Jacobian log(1 − α₁) + log u + log(1 − u), u = logistic(θ₄), depends on θ₃ too. The gradient
/// runs the variance recursion forward with its derivatives (4 per step); value and gradient cost
/// ≈ 40·T flops. Immutable.
public struct Garch11Target: PosteriorDBTarget {
    /// posteriordb's name of the posterior.
    public let name = "garch-garch11"
    /// `mu`, `alpha0`, `alpha1`, `beta1`.
    public var parameterNames: [String] { PosteriorDBData.Garch11.parameterNames }
    /// The reference posterior means, in `parameterNames` order.
    public var referenceMean: [Double] { PosteriorDBData.Garch11.referenceMean }
    /// The reference posterior standard deviations, in `parameterNames` order.
    public var referenceSD: [Double] { PosteriorDBData.Garch11.referenceSD }
    /// Bulk effective sample sizes of the reference draws, in `parameterNames` order.
    public var referenceBulkESS: [Double] { PosteriorDBData.Garch11.referenceBulkESS }
    /// The series y (T = 200 values).
    public let observations: [Double]
    /// σ₁, the volatility of the first observation (0.5).
    public let initialVolatility: Double

    /// The posterior with the embedded data.
    public init() {
        observations = PosteriorDBData.Garch11.y
        initialVolatility = PosteriorDBData.Garch11.sigma1
    }

    /// D = 4: θ = (μ, log α₀, logit α₁, logit(β₁/(1 − α₁))).
    public var dimension: Int { 4 }

    /// (μ, α₀, α₁, β₁) at θ, with α₁ = logistic(θ₃) and β₁ = (1 − α₁)·logistic(θ₄).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a length other than 4; a
    ///   recoverable `ModelError` when α₀ = e^θ₂ over- or underflows.
    public func constrained(_ theta: [Double]) throws -> [Double] {
        try checkPoint(theta, dimension: dimension)
        let alpha1 = logistic(theta[2])
        return [theta[0], try positive(theta[1], "garch11: alpha0"), alpha1, (1 - alpha1) * logistic(theta[3])]
    }

    /// The log density at θ (see ``PosteriorDBTarget``). Cost ≈ 40·T flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length 4; a
    ///   recoverable `ModelError` when α₀ over- or underflows or the value is not finite.
    public func logDensity(at theta: [Double]) throws -> Double {
        var gradient = [Double]()
        return try logDensityAndGradient(at: theta, gradient: &gradient)
    }

    /// The log density at θ and its gradient (written into `gradient`, resized to 4 if needed).
    /// Cost ≈ 40·T flops.
    /// - Throws: as ``logDensity(at:)``, and a recoverable `ModelError` for a non-finite gradient.
    public func logDensityAndGradient(at theta: [Double], gradient: inout [Double]) throws -> Double {
        try checkPoint(theta, dimension: dimension)
        let mu = theta[0]
        let alpha0 = try positive(theta[1], "garch11: alpha0")
        let alpha1 = logistic(theta[2]), share = logistic(theta[3])
        let beta1 = (1 - alpha1) * share
        // v = σ_t² and its partial derivatives in (μ, α₀, α₁, β₁); the value's in `total`.
        var v = initialVolatility * initialVolatility
        var dv = (mu: 0.0, alpha0: 0.0, alpha1: 0.0, beta1: 0.0)
        var value = 0.0
        var total = (mu: 0.0, alpha0: 0.0, alpha1: 0.0, beta1: 0.0)
        let halfLogTwoPi = 0.5 * log(2 * Double.pi)
        for t in observations.indices {
            if t > 0 {
                let previous = observations[t - 1] - mu
                dv = (mu: -2 * alpha1 * previous + beta1 * dv.mu,
                      alpha0: 1 + beta1 * dv.alpha0,
                      alpha1: previous * previous + beta1 * dv.alpha1,
                      beta1: v + beta1 * dv.beta1)
                v = alpha0 + alpha1 * previous * previous + beta1 * v
            }
            let residual = observations[t] - mu
            let scaled = residual * residual / v
            value -= halfLogTwoPi + 0.5 * log(v) + 0.5 * scaled
            let dValueDv = 0.5 * (scaled - 1) / v
            total.mu += residual / v + dValueDv * dv.mu
            total.alpha0 += dValueDv * dv.alpha0
            total.alpha1 += dValueDv * dv.alpha1
            total.beta1 += dValueDv * dv.beta1
        }
        // Chain rule to θ, and the log-Jacobian θ₂ + log α₁ + log(1 − α₁) + log(1 − α₁) + log u + log(1 − u).
        let dAlpha1 = alpha1 * (1 - alpha1), dShare = share * (1 - share)
        value += theta[1] - softplus(-theta[2]) - 2 * softplus(theta[2]) - softplus(-theta[3]) - softplus(theta[3])
        if gradient.count != dimension { gradient = [Double](repeating: 0, count: dimension) }
        gradient[0] = total.mu
        gradient[1] = total.alpha0 * alpha0 + 1
        gradient[2] = (total.alpha1 - total.beta1 * share) * dAlpha1 + (1 - 2 * alpha1) - alpha1
        gradient[3] = total.beta1 * (1 - alpha1) * dShare + (1 - 2 * share)
        guard gradient.allSatisfy(\.isFinite) else { throw ModelError("garch11: gradient is not finite") }
        return try finiteValue(value, "garch11 log-density")
    }
}
