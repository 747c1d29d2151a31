import LowRankLinalg

/// A Gaussian variational approximation q = N(μ, Σ) on R^D.
///
/// Implemented by ``DiagonalGaussian``, ``LowRankGaussian`` and ``DenseGaussian``. Every draw takes the
/// caller's generator.
public protocol GaussianApproximation: Sendable {
    /// The dimension D.
    var dimension: Int { get }
    /// The mean μ (length D).
    var mean: [Double] { get }
    /// The marginal variances diag(Σ) (length D).
    var marginalVariances: [Double] { get }
    /// The differential entropy ½ log det(2πe Σ).
    var entropy: Double { get }
    /// log q(x), normalized, for x of length D.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when x does not have length D.
    func logDensity(at x: [Double]) throws -> Double
    /// `count` independent draws as the columns of a D×count matrix.
    func sample(count: Int, using generator: inout Xoshiro256StarStar) -> Matrix
    /// log det Σ.
    var logDeterminant: Double { get }
    /// Σ·Y for a D×m block Y, without forming Σ where the family is structured.
    func covarianceProduct(_ y: Matrix) -> Matrix
    /// Σ⁻¹·Y for a D×m block Y, without forming Σ⁻¹ where the family is structured.
    func precisionProduct(_ y: Matrix) -> Matrix
}

extension GaussianApproximation {
    /// ½(D(1 + log 2π) + log det Σ), from `logDeterminant`: the entropy of every family.
    public var entropy: Double { 0.5 * (Double(dimension) * (1 + logTwoPi) + logDeterminant) }

    /// log q(x) = −½[r + log det Σ + D log 2π] from the Mahalanobis term r = (x−μ)ᵀΣ⁻¹(x−μ) that
    /// each family computes its own way.
    func logDensity(quadratic: Double) -> Double {
        -0.5 * (quadratic + logDeterminant + Double(dimension) * logTwoPi)
    }

    /// One draw from q (length D).
    public func sample(using generator: inout Xoshiro256StarStar) -> [Double] {
        sample(count: 1, using: &generator).elements
    }
}

extension GaussianApproximation {
    /// Overwrites column `column` of the D×m block `points` with a fresh draw from q (one
    /// `sample(count: 1)`): how the algorithms replace a draw the model rejected. Allocates one
    /// D-vector; cost one draw.
    func redraw(column: Int, of points: inout Matrix, using generator: inout Xoshiro256StarStar) {
        TallSkinny.copyColumns(of: sample(count: 1, using: &generator), 0..<1, into: &points, at: column)
    }
}
