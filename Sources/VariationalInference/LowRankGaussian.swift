import LowRankLinalg

/// The low-rank-plus-diagonal Gaussian q = N(μ, Σ), Σ = diag(ψ) + ΛΛᵀ, with Λ D×K (algorithm.md §1):
/// the family of pBaM and ADVI-LR.
///
/// The covariance is held as a `LowRankPlusDiagonal`, whose K×K capacitance matrix is factored once
/// at construction. Memory D(2K + 2) doubles; every operation is O(DK²) or less, nothing D×D.
public struct LowRankGaussian: GaussianApproximation {
    /// The mean μ (length D).
    public let mean: [Double]
    /// The covariance Σ = diag(ψ) + ΛΛᵀ.
    public let covariance: LowRankPlusDiagonal

    /// q = N(mean, diag(psi) + lambda·lambdaᵀ). Cost 2DK² + K³/3 flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when the lengths disagree,
    ///   `.nonFinite` for a non-finite mean, and the `LinearAlgebraError` of `LowRankPlusDiagonal`
    ///   for ψ that is not finite and positive or a non-finite Λ.
    public init(mean: [Double], psi: [Double], lambda: Matrix) throws {
        try requireDimension(psi.count, mean.count, "ψ")
        try requireDimension(lambda.rows, mean.count, "Λ rows")
        guard Vector.isFinite(mean) else { throw VariationalInferenceError.nonFinite(what: "mean") }
        self.mean = mean
        self.covariance = try LowRankPlusDiagonal(psi: psi, lambda: lambda)
    }

    /// The dimension D.
    public var dimension: Int { mean.count }
    /// The rank K of Λ.
    public var rank: Int { covariance.rank }
    /// ψ, the diagonal part of Σ.
    public var psi: [Double] { covariance.psi }
    /// Λ, the D×K factor.
    public var lambda: Matrix { covariance.lambda }
    /// diag(Σ) = ψ + rowdot(Λ, Λ). Cost 2DK flops.
    public var marginalVariances: [Double] { covariance.diagonal }
    /// log det Σ by the determinant lemma. Cost O(D + K).
    public var logDeterminant: Double { covariance.logDeterminant }
    /// ½(D(1 + log 2π) + log det Σ).
    public var entropy: Double { 0.5 * (Double(dimension) * (1 + logTwoPi) + logDeterminant) }

    /// log q(x) = −½[(x−μ)ᵀΣ⁻¹(x−μ) + log det Σ + D log 2π], by Woodbury. Cost O(DK).
    public func logDensity(at x: [Double]) throws -> Double {
        try requireDimension(x.count, dimension, "point")
        let quadratic = covariance.inverseQuadraticForm(Vector.subtract(x, mean))
        return -0.5 * (quadratic + logDeterminant + Double(dimension) * logTwoPi)
    }

    /// `count` draws as the columns of a D×count matrix: E (D×count) is drawn first, then Z
    /// (K×count), both column by column, and X = `reparameterize(noise: E, latent: Z)`.
    /// Cost O(D·K·count), one GEMM.
    public func sample(count: Int, using generator: inout Xoshiro256StarStar) -> Matrix {
        let noise = generator.standardNormalMatrix(rows: dimension, columns: count)
        let latent = generator.standardNormalMatrix(rows: rank, columns: count)
        return try! reparameterize(noise: noise, latent: latent)
    }

    /// X = μ1ᵀ + diag(√ψ)·E + Λ·Z for standard-normal E (D×m) and Z (K×m): the reparameterization
    /// that ADVI-LR differentiates through. Cost 2DKm flops (one GEMM) + O(Dm).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for E not D×m or Z not K×m.
    public func reparameterize(noise: Matrix, latent: Matrix) throws -> Matrix {
        try requireDimension(noise.rows, dimension, "noise rows")
        try requireDimension(latent.rows, rank, "latent rows")
        try requireDimension(latent.columns, noise.columns, "latent columns")
        var points = TallSkinny.rowScaled(noise, by: psi.map { $0.squareRoot() })
        TallSkinny.addToColumns(&points, mean)
        BLAS.gemm(lambda, latent, beta: 1, into: &points)
        return points
    }

    /// Σ·Y. Cost 4DKm flops.
    public func covarianceProduct(_ y: Matrix) -> Matrix { covariance.multiply(y) }

    /// Σ⁻¹·Y by Woodbury. Cost 4DKm flops.
    public func precisionProduct(_ y: Matrix) -> Matrix { covariance.solve(y) }
}
