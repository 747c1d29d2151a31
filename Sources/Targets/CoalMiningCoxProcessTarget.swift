import Foundation
import LowRankLinalg
import VariationalInference

/// The log-Gaussian Cox process for the British coal-mining disasters (algorithm.md §8 E5; the
/// benchmark of Murray, Adams & MacKay, "Elliptical slice sampling", AISTATS 2010).
///
/// Data: the 191 dates of ``CoalMiningDisasterDates`` (decimal years) binned into D equal bins over the
/// half-open interval [1851, 1963) years (default D = 811, bin width 112/811 ≈ 0.138 years ≈ 50.4
/// days); yᵢ is the number of dates t with ⌊(t − 1851)/width⌋ = i. The latent field z lives at the bin
/// centres cᵢ = 1851 + (i + ½)·width (years). Model:
///
///     z ~ N(0, K),  K_ij = σ_f²·exp(−(cᵢ − cⱼ)²/(2ℓ²)) + 10⁻⁶·δᵢⱼ,
///     yᵢ ~ Poisson(exp(zᵢ + m)),  m = log(191/D),
///     log p(z) = log N(z; 0, K) + Σᵢ [ yᵢ(zᵢ + m) − e^{zᵢ + m} − log yᵢ! ],
///     ∇log p(z) = −K⁻¹z + y − e^{z + m},
///
/// with σ_f = 1 and ℓ = 13,516 days = 13,516/365.25 ≈ 37.005 years (the source's length-scale is in
/// days; the bin centres here are in years, so it is converted). The Cholesky factor of K is computed
/// once (O(D³)); each log-density or score costs O(D²). Memory D².
public struct CoalMiningCoxProcessTarget: LogDensityModel, Sendable {
    /// The left end of the binned interval, in years.
    public static let startYear = 1851.0
    /// The right end (excluded) of the binned interval, in years.
    public static let endYear = 1963.0

    /// The bin width (1963 − 1851)/D, in years.
    public let binWidth: Double
    /// The bin centres cᵢ = 1851 + (i + ½)·width, in years (length D).
    public let binCentres: [Double]
    /// The number of disasters in each bin (length D, sum 191).
    public let counts: [Int]
    /// The log-offset m = log(191/D), the log of the mean count per bin.
    public let offset: Double
    /// The kernel length-scale ℓ in years (the `lengthScaleDays` argument divided by 365.25).
    public let lengthScaleYears: Double
    let density: PoissonLatentGaussianDensity

    /// Bins the embedded dates and factors the prior covariance. Cost O(D³) once. There are no random
    /// draws: the data are fixed.
    /// - Parameters:
    ///   - binCount: D, the number of equal bins over [1851, 1963) (default 811).
    ///   - lengthScaleDays: ℓ in days (default 13,516), converted to years by dividing by 365.25.
    ///   - signalScale: σ_f (default 1).
    ///   - parameterization: the coordinates, the field z (`.centred`, the paper's) or u with z = Lu
    ///     (`.whitened`; see ``LatentParameterization``).
    /// - Throws: `VariationalInferenceError.invalidArgument` for D < 1, a non-positive or non-finite σ_f
    ///   or ℓ, or a kernel matrix that is not positive definite.
    public init(binCount: Int = 811, lengthScaleDays: Double = 13_516, signalScale: Double = 1,
                parameterization: LatentParameterization = .centred) throws {
        guard binCount >= 1 else {
            throw VariationalInferenceError.invalidArgument("coal-mining LGCP needs D ≥ 1 bins, got \(binCount)")
        }
        guard signalScale > 0, signalScale.isFinite, lengthScaleDays > 0, lengthScaleDays.isFinite else {
            throw VariationalInferenceError.invalidArgument("coal-mining LGCP needs finite σ_f > 0 and ℓ > 0, got σ_f = \(signalScale), ℓ = \(lengthScaleDays) days")
        }
        let dates = CoalMiningDisasterDates.decimalYears
        let width = (Self.endYear - Self.startYear) / Double(binCount)
        var counts = [Int](repeating: 0, count: binCount)
        for t in dates {
            let bin = Int(((t - Self.startYear) / width).rounded(.down))
            counts[Swift.min(Swift.max(bin, 0), binCount - 1)] += 1
        }
        binWidth = width
        binCentres = (0..<binCount).map { Self.startYear + (Double($0) + 0.5) * width }
        self.counts = counts
        offset = log(Double(dates.count) / Double(binCount))
        lengthScaleYears = lengthScaleDays / 365.25
        let kernel = SquaredExponentialKernel(signalScale: signalScale, lengthScale: lengthScaleYears)
        density = try PoissonLatentGaussianDensity(
            prior: try kernel.choleskyFactor(at: binCentres, jitter: gaussianProcessJitter), counts: counts, offset: offset,
            parameterization: parameterization)
    }

    /// The dimension D (number of bins).
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
    ///   `ModelError` if some zᵢ + m > 700 (the rate overflows) or the value is not finite.
    public func logDensity(at x: [Double]) throws -> Double {
        try density.logDensity(at: x)
    }

    /// log p(z) and the score −K⁻¹z + y − e^{z + m}. Cost O(D²). Throws as `logDensity(at:)`.
    public func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try density.logDensityAndGradient(at: x, gradient: &gradient)
    }

    /// All B scores −K⁻¹Z + y1ᵀ − e^{Z + m} of the D×B block `points` in one Cholesky solve.
    /// Cost O(D²B). Throws as `logDensity(at:)`.
    public func gradients(at points: Matrix, into scores: inout Matrix) throws {
        try density.gradients(at: points, into: &scores)
    }
}
