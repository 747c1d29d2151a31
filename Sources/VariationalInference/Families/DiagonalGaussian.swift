import LowRankLinalg

/// The diagonal Gaussian q = N(μ, diag(σ²)): the family of ADVI-D. Memory 2D; every operation O(D)
/// per point.
public struct DiagonalGaussian: GaussianApproximation {
    /// The mean μ (length D).
    public let mean: [Double]
    /// The variances σ² (length D, all finite and > 0).
    public let variances: [Double]

    /// q = N(mean, diag(variances)).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for unequal lengths, `.invalidArgument`
    ///   for D < 1 or a variance that is not finite and > 0, `.nonFinite` for a non-finite mean.
    public init(mean: [Double], variances: [Double]) throws {
        try requireDimension(variances.count, mean.count, "variances")
        try require(!mean.isEmpty, "a Gaussian needs dimension ≥ 1")
        guard Vector.isFinite(mean) else { throw VariationalInferenceError.nonFinite(what: "mean") }
        if let i = variances.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw VariationalInferenceError.invalidArgument("variance \(i) must be finite and > 0, got \(variances[i])")
        }
        self.mean = mean
        self.variances = variances
    }

    /// The dimension D.
    public var dimension: Int { mean.count }
    /// σ².
    public var marginalVariances: [Double] { variances }
    /// Σ log σᵢ².
    public var logDeterminant: Double { variances.reduce(0) { $0 + _log($1) } }

    /// log q(x). Cost O(D).
    public func logDensity(at x: [Double]) throws -> Double {
        try requireDimension(x.count, dimension, "point")
        var quadratic = 0.0
        for i in 0..<dimension { quadratic += (x[i] - mean[i]) * (x[i] - mean[i]) / variances[i] }
        return logDensity(quadratic: quadratic)
    }

    /// `count` draws μ + σ∘ε with E (D×count) drawn column by column. Cost O(D·count).
    public func sample(count: Int, using generator: inout Xoshiro256StarStar) -> Matrix {
        var points = TallSkinny.rowScaled(generator.standardNormalMatrix(rows: dimension, columns: count),
                                          by: variances.map { $0.squareRoot() })
        TallSkinny.addToColumns(&points, mean)
        return points
    }

    /// Σ·Y = σ²∘Y. Cost O(Dm).
    public func covarianceProduct(_ y: Matrix) -> Matrix { TallSkinny.rowScaled(y, by: variances) }

    /// Σ⁻¹·Y = Y/σ². Cost O(Dm).
    public func precisionProduct(_ y: Matrix) -> Matrix { TallSkinny.rowScaled(y, by: variances.map { 1 / $0 }) }

    /// The same distribution as a ``LowRankGaussian`` with K = 0 (for the closed-form KLs): μ and σ²
    /// were checked at construction, and with K = 0 the capacitance factor is empty.
    public var asLowRank: LowRankGaussian {
        LowRankGaussian(validatedMean: mean, psi: variances, lambda: Matrix(rows: dimension, columns: 0),
                        capacitance: Cholesky(lower: Matrix(rows: 0, columns: 0)))
    }
}
