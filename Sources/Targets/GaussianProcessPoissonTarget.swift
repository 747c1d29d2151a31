import Foundation
import LowRankLinalg
import VariationalInference

/// Poisson regression with a latent Gaussian process ("Poisson-D{D}", algorithm.md §8 E4, from the
/// pBaM reference code `poiss_reg_exp.py`).
///
/// Grid xᵢ = −3 + 6i/(D − 1), i = 0…D−1 (linspace(−3, 3, D)); prior covariance
/// K_ij = σ_f²·exp(−(xᵢ − xⱼ)²/(2ℓ²)) + 10⁻⁶·δᵢⱼ; counts yᵢ ~ Poisson(e^{gᵢ}) for a latent draw
/// g ~ N(0, K). The target is the posterior of the latent field z:
///
///     log p(z) = log N(z; 0, K) + Σᵢ [ yᵢzᵢ − e^{zᵢ} − log yᵢ! ],   ∇log p(z) = −K⁻¹z + y − e^{z}.
///
/// The Cholesky factor of K is computed once (O(D³)); each log-density or score costs O(D²), a batch
/// of B scores one BLAS-3 solve. Memory D².
public struct GaussianProcessPoissonTarget: LogDensityModel, Sendable {
    /// The inputs xᵢ = linspace(−3, 3, D).
    public let grid: [Double]
    /// The latent field g ~ N(0, K) that generated the counts (length D).
    public let latent: [Double]
    /// The observed counts yᵢ ~ Poisson(e^{gᵢ}) (length D).
    public let counts: [Int]
    let density: PoissonLatentGaussianDensity

    /// Draws a data set and builds its posterior. Draw order from `generator`: D standard normals ε,
    /// then g = L·ε with K = L·Lᵀ, then y₀, …, y_{D−1} in index order (`PoissonSampler`: Knuth's method
    /// for rates below 10, Hörmann's PTRS above). Defaults are those of the reference notebook
    /// (D = 100, σ_f = 1, ℓ = 1). `parameterization` picks the coordinates: the field z (`.centred`)
    /// or u with z = Lu (`.whitened`); the data drawn are the same. Cost O(D³) once.
    /// - Throws: `VariationalInferenceError.invalidArgument` for D < 2, a non-positive or non-finite
    ///   σ_f or ℓ, or a kernel matrix that is not positive definite; a recoverable `ModelError` if
    ///   some drawn rate e^{gᵢ} overflows.
    public static func synthetic(dimension: Int = 100, signalScale: Double = 1, lengthScale: Double = 1,
                                 parameterization: LatentParameterization = .centred,
                                 using generator: inout Xoshiro256StarStar) throws -> GaussianProcessPoissonTarget {
        guard dimension >= 2 else {
            throw VariationalInferenceError.invalidArgument("GP-Poisson target needs D ≥ 2, got \(dimension)")
        }
        guard signalScale > 0, signalScale.isFinite, lengthScale > 0, lengthScale.isFinite else {
            throw VariationalInferenceError.invalidArgument("GP-Poisson target needs finite σ_f > 0 and ℓ > 0, got σ_f = \(signalScale), ℓ = \(lengthScale)")
        }
        let step = 6 / Double(dimension - 1)
        let grid = (0..<dimension).map { -3 + Double($0) * step }
        let kernel = SquaredExponentialKernel(signalScale: signalScale, lengthScale: lengthScale)
        let factor = try kernel.choleskyFactor(at: grid, jitter: gaussianProcessJitter)
        let latent = BLAS.gemv(factor.lower, generator.standardNormals(dimension))
        var counts = [Int]()
        counts.reserveCapacity(dimension)
        for g in latent {
            guard g <= maximumExponent else { throw ModelError("GP-Poisson: drawn rate exp(\(g)) overflows") }
            counts.append(PoissonSampler.draw(mean: exp(g), using: &generator))
        }
        return GaussianProcessPoissonTarget(
            grid: grid, latent: latent, counts: counts,
            density: try PoissonLatentGaussianDensity(prior: factor, counts: counts, offset: 0,
                                                      parameterization: parameterization))
    }

    private init(grid: [Double], latent: [Double], counts: [Int], density: PoissonLatentGaussianDensity) {
        self.grid = grid
        self.latent = latent
        self.counts = counts
        self.density = density
    }

    /// The dimension D (number of grid points).
    public var dimension: Int { density.dimension }

    /// The coordinates of the target's points: z, or u with z = Lu.
    public var parameterization: LatentParameterization { density.parameterization }

    /// The latent field z of a point x: x itself (centred) or L·x (whitened). Cost O(D²).
    /// - Throws: `.dimensionMismatch` for a point of the wrong length.
    public func latentField(of x: [Double]) throws -> [Double] {
        try checkPoint(x, dimension: dimension)
        return density.latentField(x)
    }

    /// log p(z), normalized prior and likelihood included. Cost O(D²).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a wrong-length z; a recoverable
    ///   `ModelError` if some zᵢ > 700 (e^{zᵢ} overflows) or the value is not finite.
    public func logDensity(at x: [Double]) throws -> Double {
        try density.logDensity(at: x)
    }

    /// log p(z) and the score −K⁻¹z + y − e^{z}. Cost O(D²). Throws as `logDensity(at:)`.
    public func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try density.logDensityAndGradient(at: x, gradient: &gradient)
    }

    /// All B scores −K⁻¹Z + y1ᵀ − e^{Z} of the D×B block `points` in one Cholesky solve. Cost O(D²B).
    /// Throws as `logDensity(at:)`.
    public func gradients(at points: Matrix, into scores: inout Matrix) throws {
        try density.gradients(at: points, into: &scores)
    }
}
