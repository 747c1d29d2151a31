import Foundation
import VariationalInference

/// A product of D independent sinh-arcsinh distributions (Jones & Pewsey, "Sinh-arcsinh distributions",
/// Biometrika 96, 2009): the skewed, heavy- or light-tailed target of the BaM paper (algorithm.md §8 E7,
/// reference script `sinh-arcsinh.py`).
///
/// If zᵢ ~ N(0, 1) then xᵢ = σᵢ·sinh((asinh(zᵢ) + s)/τ), with skew s, tail weight τ > 0 (τ < 1 heavier
/// tails than the Gaussian, τ > 1 lighter) and scales σᵢ > 0. With yᵢ = xᵢ/σᵢ, wᵢ = τ·asinh(yᵢ) − s and
/// zᵢ = sinh(wᵢ), the change of variables gives the exact normalized density
///
///     log p(x) = Σᵢ [ −½zᵢ² − ½log 2π + log τ + log cosh wᵢ − ½log(1 + yᵢ²) − log σᵢ ],
///     ∂log p/∂xᵢ = [ (tanh wᵢ − zᵢ·cosh wᵢ)·τ/√(1 + yᵢ²) − yᵢ/(1 + yᵢ²) ] / σᵢ.
///
/// s = 0 and τ = 1 give N(0, diag(σ²)). Cost O(D) per evaluation; no data and no random draws.
/// Immutable, so batches of scores are evaluated concurrently (`ConcurrentLogDensityModel`).
public struct SinhArcsinhTarget: ConcurrentLogDensityModel {
    /// The skew s (any finite value; s > 0 skews to the right).
    public let skew: Double
    /// The tail weight τ > 0.
    public let tailWeight: Double
    /// The scales σᵢ > 0 (length D).
    public let scales: [Double]
    private let normalization: Double

    /// The target with the given skew, tail weight and scales (default: D = 10, all σᵢ = 1).
    /// - Throws: `VariationalInferenceError.invalidArgument` for D < 1, a non-finite skew, τ not finite
    ///   and positive, or a scale not finite and positive; `.dimensionMismatch` if `scales` does not
    ///   have length D.
    public init(dimension: Int = 10, skew: Double, tailWeight: Double, scales: [Double]? = nil) throws {
        guard dimension >= 1 else {
            throw VariationalInferenceError.invalidArgument("sinh-arcsinh target needs D ≥ 1, got \(dimension)")
        }
        guard skew.isFinite, tailWeight > 0, tailWeight.isFinite else {
            throw VariationalInferenceError.invalidArgument("sinh-arcsinh target needs a finite skew and a finite τ > 0, got s = \(skew), τ = \(tailWeight)")
        }
        let scales = scales ?? [Double](repeating: 1, count: dimension)
        guard scales.count == dimension else {
            throw VariationalInferenceError.dimensionMismatch(what: "scales", expected: dimension, actual: scales.count)
        }
        guard scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw VariationalInferenceError.invalidArgument("sinh-arcsinh scales must be finite and positive")
        }
        self.skew = skew
        self.tailWeight = tailWeight
        self.scales = scales
        normalization = Double(dimension) * (log(tailWeight) - 0.5 * log(2 * Double.pi)) - scales.reduce(0) { $0 + log($1) }
    }

    /// The dimension D.
    public var dimension: Int { scales.count }

    /// log p(x), normalized. Cost O(D).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a wrong-length x; a recoverable
    ///   `ModelError` when the value is not finite (|x| so large that zᵢ² overflows, or a NaN).
    public func logDensity(at x: [Double]) throws -> Double {
        try checkPoint(x, dimension: dimension)
        var sum = normalization
        for i in 0..<x.count {
            let y = x[i] / scales[i]
            let w = tailWeight * asinh(y) - skew
            let z = sinh(w)
            sum += -0.5 * z * z + logCosh(w) - 0.5 * log1p(y * y)
        }
        return try finiteValue(sum, "sinh-arcsinh log-density")
    }

    /// log p(x) and its gradient (formula in the type's documentation). Cost O(D). Throws as
    /// `logDensity(at:)`, also when a gradient entry is not finite.
    public func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try checkPoint(x, dimension: dimension)
        if gradient.count != x.count { gradient = [Double](repeating: 0, count: x.count) }
        var sum = normalization
        for i in 0..<x.count {
            let y = x[i] / scales[i]
            let w = tailWeight * asinh(y) - skew
            let z = sinh(w)
            let onePlusYSquared = 1 + y * y
            sum += -0.5 * z * z + logCosh(w) - 0.5 * log1p(y * y)
            let derivative = (tanh(w) - z * cosh(w)) * tailWeight / onePlusYSquared.squareRoot() - y / onePlusYSquared
            gradient[i] = derivative / scales[i]
        }
        guard gradient.allSatisfy(\.isFinite) else { throw ModelError("sinh-arcsinh gradient is not finite") }
        return try finiteValue(sum, "sinh-arcsinh log-density")
    }

    /// log cosh w = |w| + log1p(e^{−2|w|}) − log 2, finite for every finite w.
    private func logCosh(_ w: Double) -> Double {
        abs(w) + log1p(exp(-2 * abs(w))) - M_LN2
    }
}
