import LowRankLinalg

/// A Gaussian q = N(μ, Σ) with a dense covariance and its Cholesky factor: the family of dense BaM
/// and full-rank ADVI, for D up to a few thousand. Memory 2D² doubles.
public struct DenseGaussian: GaussianApproximation {
    /// The mean μ (length D).
    public let mean: [Double]
    /// Σ (D×D, symmetric positive definite).
    public let covariance: Matrix
    /// Σ = L·Lᵀ.
    public let cholesky: Cholesky

    /// q = N(mean, covariance). The covariance is symmetrized, (Σ + Σᵀ)/2, before it is factored.
    /// Cost D³/3 flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a covariance that is not D×D,
    ///   `.nonFinite` for non-finite entries, `LinearAlgebraError.inMatrix("the covariance Σ of q",
    ///   .notPositiveDefinite(…))` when the Cholesky factorization fails.
    public init(mean: [Double], covariance: Matrix) throws {
        guard covariance.rows == mean.count, covariance.columns == mean.count else {
            throw VariationalInferenceError.dimensionMismatch(what: "covariance", expected: mean.count,
                                                              actual: covariance.rows == mean.count ? covariance.columns : covariance.rows)
        }
        try require(!mean.isEmpty, "a Gaussian needs dimension ≥ 1")
        guard Vector.isFinite(mean) else { throw VariationalInferenceError.nonFinite(what: "mean") }
        guard covariance.isFinite else { throw VariationalInferenceError.nonFinite(what: "covariance") }
        var symmetric = covariance
        symmetric.symmetrize()
        self.mean = mean
        self.covariance = symmetric
        self.cholesky = try LinearAlgebraError.naming("the covariance Σ of q") { () throws(LinearAlgebraError) in
            try Cholesky(symmetric)
        }
    }

    /// The dimension D.
    public var dimension: Int { mean.count }
    /// diag(Σ).
    public var marginalVariances: [Double] { covariance.diagonal }
    /// log det Σ from the Cholesky factor.
    public var logDeterminant: Double { cholesky.logDeterminant }

    /// log q(x) through a triangular solve. Cost D² flops.
    public func logDensity(at x: [Double]) throws -> Double {
        try requireDimension(x.count, dimension, "point")
        let whitened = cholesky.solveLower(Matrix(rows: dimension, columns: 1, elements: Vector.subtract(x, mean)))
        return logDensity(quadratic: BLAS.dot(whitened.elements, whitened.elements))
    }

    /// `count` draws μ + L·ε with E (D×count) drawn column by column. Cost D²·count flops.
    public func sample(count: Int, using generator: inout Xoshiro256StarStar) -> Matrix {
        var points = BLAS.gemm(cholesky.lower, generator.standardNormalMatrix(rows: dimension, columns: count))
        TallSkinny.addToColumns(&points, mean)
        return points
    }

    /// Σ·Y. Cost 2D²m flops.
    public func covarianceProduct(_ y: Matrix) -> Matrix { BLAS.gemm(covariance, y) }

    /// Σ⁻¹·Y by the Cholesky factor. Cost 2D²m flops.
    public func precisionProduct(_ y: Matrix) -> Matrix { cholesky.solve(y) }
}
