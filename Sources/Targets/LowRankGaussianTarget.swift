import Foundation
import LowRankLinalg
import VariationalInference

/// A Gaussian target N(m, Σ*) with Σ* = L·Lᵀ + diag(d): the synthetic "E1" target of the pBaM
/// experiments (algorithm.md §8 E1, generator `cond = 5` of the reference scripts).
///
/// The score −Σ*⁻¹(x − m) is a Woodbury solve: O(Dr) per point, one BLAS-3 block solve per batch.
/// Nothing D×D is formed, so D can be in the millions.
public struct LowRankGaussianTarget: LogDensityModel, Sendable {
    /// The mean m (length D).
    public let mean: [Double]
    /// The covariance Σ* = diag(d) + L·Lᵀ.
    public let covariance: LowRankPlusDiagonal
    private let normalization: Double

    /// The target with the given mean and covariance.
    public init(mean: [Double], covariance: LowRankPlusDiagonal) {
        shapePrecondition(mean.count == covariance.dimension, "LowRankGaussianTarget: mean of \(mean.count) for D = \(covariance.dimension)")
        self.mean = mean
        self.covariance = covariance
        normalization = -0.5 * (covariance.logDeterminant + Double(mean.count) * 1.837_877_066_409_345_5)
    }

    /// The E1 generator: m ~ U(0,1)^D, then L ~ N(0,1)^{D×r} (column by column), then
    /// d ~ U(0,1)^D, drawn in that order from `generator`.
    /// - Throws: `VariationalInferenceError.invalidArgument` for D < 1 or r < 0.
    public static func synthetic(dimension: Int, rank: Int, using generator: inout Xoshiro256StarStar) throws -> LowRankGaussianTarget {
        guard dimension >= 1, rank >= 0 else {
            throw VariationalInferenceError.invalidArgument("E1 target needs D ≥ 1 and r ≥ 0, got D = \(dimension), r = \(rank)")
        }
        let mean = generator.uniforms(dimension)
        let factor = generator.standardNormalMatrix(rows: dimension, columns: rank)
        let diagonal = generator.uniforms(dimension).map { Swift.max($0, 1e-12) }
        return LowRankGaussianTarget(mean: mean, covariance: try LowRankPlusDiagonal(psi: diagonal, lambda: factor))
    }

    /// An ill-conditioned E1-style target whose covariance spectrum spans at least `conditionDecades`
    /// orders of magnitude (default 6). With c = `conditionDecades`:
    /// m ~ U(0,1)^D; Λ_ij = G_ij·√(sⱼ/D) with G ~ N(0,1)^{D×r} and sⱼ = 10^{c(j/(r − 1) − ½)}
    /// (j = 0…r−1; 10^{−c/2} when r = 1), so the columns of Λ have squared norms ≈ sⱼ, log-spaced from
    /// 10^{−c/2} to 10^{c/2}; dᵢ = 10^{c(tᵢ − ½)} with tᵢ = max(0, i − r)/(D − 1 − r) (i = 0…D−1): the
    /// first r + 1 entries equal 10^{−c/2}, the rest are log-spaced up to 10^{c/2}; Σ* = diag(d) + ΛΛᵀ.
    /// Then λ_min(Σ*) = 10^{−c/2} exactly (Σ* ⪰ diag(d), and some unit vector in the span of the first
    /// r + 1 coordinates is orthogonal to Λ's columns) and λ_max(Σ*) ≥ d_{D−1} = 10^{c/2}, so the
    /// condition number is at least 10^c. Draw order from `generator`: the D uniforms of m, then G
    /// column by column. Cost O(Dr²).
    /// - Throws: `VariationalInferenceError.invalidArgument` for r < 0, D < r + 2, or c not finite and ≥ 0.
    public static func illConditioned(dimension: Int, rank: Int, conditionDecades: Double = 6,
                                      using generator: inout Xoshiro256StarStar) throws -> LowRankGaussianTarget {
        guard rank >= 0, dimension >= rank + 2, conditionDecades >= 0, conditionDecades.isFinite else {
            throw VariationalInferenceError.invalidArgument("ill-conditioned target needs r ≥ 0, D ≥ r + 2 and finite c ≥ 0, got D = \(dimension), r = \(rank), c = \(conditionDecades)")
        }
        let decade = { (t: Double) in pow(10, conditionDecades * (t - 0.5)) }
        let mean = generator.uniforms(dimension)
        var factor = generator.standardNormalMatrix(rows: dimension, columns: rank)
        let columnScales = (0..<rank).map { j in
            (decade(rank > 1 ? Double(j) / Double(rank - 1) : 0) / Double(dimension)).squareRoot()
        }
        TallSkinny.scaleColumns(&factor, by: columnScales)
        let diagonal = (0..<dimension).map { i in decade(Double(Swift.max(0, i - rank)) / Double(dimension - 1 - rank)) }
        return LowRankGaussianTarget(mean: mean, covariance: try LowRankPlusDiagonal(psi: diagonal, lambda: factor))
    }

    /// The dimension D.
    public var dimension: Int { mean.count }

    /// log N(x; m, Σ*). Cost O(Dr).
    public func logDensity(at x: [Double]) throws -> Double {
        try checkPoint(x, dimension: dimension)
        return normalization - 0.5 * covariance.inverseQuadraticForm(Vector.subtract(x, mean))
    }

    /// log N(x; m, Σ*) and its score −Σ*⁻¹(x − m). Cost O(Dr).
    public func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try checkPoint(x, dimension: dimension)
        let r = Vector.subtract(x, mean)
        let solved = covariance.solve(r)
        gradient = solved.map { -$0 }
        return normalization - 0.5 * BLAS.dot(r, solved)
    }

    /// All B scores in one Woodbury block solve, in the storage of `scores`: −Σ*⁻¹(X − m1ᵀ).
    /// Cost 4DrB + O(DB) flops, BLAS-3; allocates only r×B when `scores` is already D×B.
    public func gradients(at points: Matrix, into scores: inout Matrix) throws {
        guard points.rows == dimension else {
            throw VariationalInferenceError.dimensionMismatch(what: "points", expected: dimension, actual: points.rows)
        }
        if scores.rows != points.rows || scores.columns != points.columns {
            scores = Matrix(rows: points.rows, columns: points.columns)
        }
        TallSkinny.copyColumns(of: points, 0..<points.columns, into: &scores, at: 0, scale: -1, subtracting: mean)
        covariance.solveInPlace(&scores)
    }
}
