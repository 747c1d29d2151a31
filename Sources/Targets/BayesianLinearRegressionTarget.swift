import Foundation
import LowRankLinalg
import VariationalInference

/// The posterior of the weights w ∈ R^D of a Bayesian linear regression with a known noise scale:
///
///     y = X·w + ε,  ε ~ N(0, σ²·I_N),  w ~ N(0, τ²·I_D),
///
/// with design X (N×D), observations y (length N), noise scale σ and prior scale τ.
///
/// `logDensity` is the log joint log p(y, w) = log N(y; Xw, σ²I) + log N(w; 0, τ²I), normalizing
/// constants included, i.e. −‖y − Xw‖²/(2σ²) − ‖w‖²/(2τ²) + const. The posterior is exactly Gaussian
/// with precision A = XᵀX/σ² + I/τ² and mean A⁻¹b, b = Xᵀy/σ², and the score is b − A·w.
///
/// The target keeps A (D×D) and b, so a score costs one D×D matrix–vector product, 2D² flops,
/// whatever N is, and a batch of B scores is one `dgemm` (2D²B flops). Memory D² + ND doubles plus
/// the 2D² of ``posterior``. Meant for small D (up to a few hundred): building it costs ND² + O(D³)
/// flops. Immutable and `Sendable`.
public struct BayesianLinearRegressionTarget: LogDensityModel, Sendable {
    /// The design X (N×D), one observation per row.
    public let design: Matrix
    /// The observations y (length N).
    public let observations: [Double]
    /// The noise scale σ > 0 (standard deviation of each εᵢ).
    public let noiseScale: Double
    /// The prior scale τ > 0 (standard deviation of each wⱼ under the prior).
    public let priorScale: Double
    /// For ``synthetic(dimension:observations:correlation:noiseScale:priorScale:using:)``, the weights
    /// w* (length D) that generated the observations; empty for data passed to
    /// ``init(design:observations:noiseScale:priorScale:)``.
    public let trueWeights: [Double]
    /// The posterior precision A = XᵀX/σ² + I/τ² (D×D, symmetric positive definite).
    public let precision: Matrix
    /// The exact posterior N(A⁻¹b, A⁻¹), for closed-form KL divergences and reference moments.
    public let posterior: DenseGaussian
    /// b = Xᵀy/σ² (length D), so that the score is b − A·w.
    private let linearTerm: [Double]
    /// −‖y‖²/(2σ²) − (N/2)·log(2πσ²) − (D/2)·log(2πτ²): log p(y, w) = constant − ½wᵀAw + bᵀw.
    private let constant: Double

    /// The posterior for the given data.
    ///
    /// Cost: the Gram matrix XᵀX (one `dsyrk`, ND² flops), then two Cholesky factorizations and an
    /// inverse (O(D³)): one of A for the posterior covariance A⁻¹ and mean A⁻¹b, one of A⁻¹ inside
    /// `DenseGaussian`.
    /// - Parameters:
    ///   - design: X, N×D with N ≥ 1 and D ≥ 1, finite entries.
    ///   - observations: y, N finite values.
    ///   - noiseScale: σ, finite and > 0.
    ///   - priorScale: τ, finite and > 0.
    /// - Throws: `VariationalInferenceError.invalidArgument` for an empty design or a scale that is
    ///   not finite and positive; `.dimensionMismatch` when y does not have one entry per row of X;
    ///   `.nonFinite` for non-finite data or a precision that overflows (extreme scales);
    ///   `LinearAlgebraError.notPositiveDefinite` if A or A⁻¹ is numerically not positive definite
    ///   (only at extreme scales, e.g. τ so large that 1/τ² underflows while N < D).
    public init(design: Matrix, observations: [Double], noiseScale: Double, priorScale: Double) throws {
        try self.init(design: design, observations: observations, noiseScale: noiseScale,
                      priorScale: priorScale, trueWeights: [])
    }

    private init(design: Matrix, observations: [Double], noiseScale: Double, priorScale: Double,
                 trueWeights: [Double]) throws {
        try Self.checkScales(noiseScale: noiseScale, priorScale: priorScale)
        guard design.rows >= 1, design.columns >= 1 else {
            throw VariationalInferenceError.invalidArgument("linear regression needs N ≥ 1 observations and D ≥ 1 weights, got a \(design.rows)×\(design.columns) design")
        }
        guard observations.count == design.rows else {
            throw VariationalInferenceError.dimensionMismatch(what: "observations", expected: design.rows, actual: observations.count)
        }
        guard design.isFinite else { throw VariationalInferenceError.nonFinite(what: "design") }
        guard Vector.isFinite(observations) else { throw VariationalInferenceError.nonFinite(what: "observations") }
        let n = design.rows, d = design.columns
        let noisePrecision = 1 / (noiseScale * noiseScale), priorPrecision = 1 / (priorScale * priorScale)

        var precision = BLAS.syrk(design, trans: .transpose, alpha: noisePrecision)
        precision.withElements { e in
            for j in 0..<d { e[j + j * d] += priorPrecision }
        }
        let linearTerm = BLAS.gemv(design, observations, trans: .transpose, alpha: noisePrecision)
        guard precision.isFinite, Vector.isFinite(linearTerm) else {
            throw VariationalInferenceError.nonFinite(what: "posterior precision")
        }
        let factor = try Cholesky(precision)
        let posterior = try DenseGaussian(mean: factor.solve(linearTerm), covariance: factor.inverse)

        self.design = design
        self.observations = observations
        self.noiseScale = noiseScale
        self.priorScale = priorScale
        self.trueWeights = trueWeights
        self.precision = precision
        self.posterior = posterior
        self.linearTerm = linearTerm
        let logTwoPi = 1.837_877_066_409_345_5
        constant = -0.5 * noisePrecision * BLAS.dot(observations, observations)
            - 0.5 * Double(n) * (logTwoPi + 2 * log(noiseScale))
            - 0.5 * Double(d) * (logTwoPi + 2 * log(priorScale))
    }

    /// Throws `.invalidArgument` unless both scales are finite and positive.
    private static func checkScales(noiseScale: Double, priorScale: Double) throws {
        guard noiseScale > 0, noiseScale.isFinite, priorScale > 0, priorScale.isFinite else {
            throw VariationalInferenceError.invalidArgument("linear regression needs finite scales σ > 0 and τ > 0, got σ = \(noiseScale), τ = \(priorScale)")
        }
    }

    /// Synthetic data with correlated predictors.
    ///
    /// Each row of X is a stationary AR(1) sequence across the features, so every xᵢⱼ ~ N(0, 1) and
    /// corr(xᵢⱼ, xᵢₖ) = ρ^|j−k|: xᵢ₁ = zᵢ₁, xᵢⱼ = ρ·xᵢ,ⱼ₋₁ + √(1−ρ²)·zᵢⱼ. Then w* ~ N(0, I_D) and
    /// y = X·w* + σ·e with e ~ N(0, I_N). Draw order from `generator` (all `nextStandardNormal`): the
    /// N·D values zᵢⱼ row by row (i outer, j inner), then the D entries of w*, then the N entries of e.
    /// The prior scale τ enters only the posterior, not the data. Cost ND² + O(D³) (the constructor's).
    /// - Parameters:
    ///   - dimension: D ≥ 1, the number of weights (default 50).
    ///   - observations: N ≥ 1, the number of rows of X (default 100).
    ///   - correlation: ρ ∈ (−1, 1), the lag-one correlation between neighbouring features (default 0.9).
    ///   - noiseScale: σ, finite and > 0 (default 1).
    ///   - priorScale: τ, finite and > 0 (default 1).
    ///   - generator: the draws of the design matrix, the true weights and the noise come from it.
    /// - Throws: `VariationalInferenceError.invalidArgument` for D < 1, N < 1, ρ outside (−1, 1) or a
    ///   scale that is not finite and positive (checked before anything is drawn); otherwise what
    ///   ``init(design:observations:noiseScale:priorScale:)`` throws.
    public static func synthetic(dimension: Int = 50, observations: Int = 100, correlation: Double = 0.9,
                                 noiseScale: Double = 1, priorScale: Double = 1,
                                 using generator: inout Xoshiro256StarStar) throws -> BayesianLinearRegressionTarget {
        guard dimension >= 1, observations >= 1 else {
            throw VariationalInferenceError.invalidArgument("linear regression needs D ≥ 1 and N ≥ 1, got D = \(dimension), N = \(observations)")
        }
        guard correlation > -1, correlation < 1 else {
            throw VariationalInferenceError.invalidArgument("AR(1) predictors need a correlation ρ in (−1, 1), got ρ = \(correlation)")
        }
        try checkScales(noiseScale: noiseScale, priorScale: priorScale)
        let n = observations, d = dimension
        let innovation = (1 - correlation * correlation).squareRoot()
        var design = Matrix(rows: n, columns: d)
        design.withElements { e in
            for i in 0..<n {
                var previous = generator.nextStandardNormal()
                e[i] = previous
                for j in 1..<d {
                    previous = correlation * previous + innovation * generator.nextStandardNormal()
                    e[i + j * n] = previous
                }
            }
        }
        let weights = generator.standardNormals(d)
        var y = BLAS.gemv(design, weights)
        for i in 0..<n { y[i] += noiseScale * generator.nextStandardNormal() }
        return try BayesianLinearRegressionTarget(design: design, observations: y, noiseScale: noiseScale,
                                                  priorScale: priorScale, trueWeights: weights)
    }

    /// The dimension D (the number of weights).
    public var dimension: Int { design.columns }

    /// log p(y, w), from the stored A and b: constant − ½wᵀAw + bᵀw. Cost 2D² flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when w does not have length D; a
    ///   recoverable `ModelError` when the value is not finite.
    public func logDensity(at w: [Double]) throws -> Double {
        var gradient = [Double]()
        return try logDensityAndGradient(at: w, gradient: &gradient)
    }

    /// log p(y, w) and the score b − A·w (written into `gradient`, resized to D if needed), from one
    /// `dgemv`: log p = constant + ½wᵀ(b + score). Cost 2D² flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when w does not have length D; a
    ///   recoverable `ModelError` when the value is not finite.
    public func logDensityAndGradient(at w: [Double], gradient: inout [Double]) throws -> Double {
        try checkPoint(w, dimension: dimension)
        if gradient.count == dimension {
            for i in 0..<dimension { gradient[i] = linearTerm[i] }
        } else {
            gradient = linearTerm
        }
        BLAS.gemv(precision, w, alpha: -1, beta: 1, into: &gradient)
        var halfSum = 0.0
        for i in 0..<dimension { halfSum += w[i] * (linearTerm[i] + gradient[i]) }
        return try finiteValue(constant + 0.5 * halfSum, "linear-regression log-density")
    }

    /// All B scores at once, in the storage of `scores`: b·1ᵀ − A·W for the D×B block W of `points`,
    /// one `dgemm` (2D²B flops, BLAS-3). `scores` is replaced by a D×B matrix if it has another shape;
    /// otherwise nothing is allocated.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when `points` does not have D rows.
    public func gradients(at points: Matrix, into scores: inout Matrix) throws {
        guard points.rows == dimension else {
            throw VariationalInferenceError.dimensionMismatch(what: "points", expected: dimension, actual: points.rows)
        }
        if scores.rows != points.rows || scores.columns != points.columns {
            scores = Matrix(rows: points.rows, columns: points.columns)
        }
        for b in 0..<points.columns { TallSkinny.setColumn(&scores, b, to: linearTerm) }
        BLAS.gemm(precision, points, alpha: -1, beta: 1, into: &scores)
    }
}
