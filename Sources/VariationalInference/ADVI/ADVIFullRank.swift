import LowRankLinalg

/// Full-rank ADVI for small D (a few hundred): q = N(μ, L·Lᵀ) with L lower triangular, every
/// lower entry (the diagonal included) unconstrained, as in the reference (algorithm.md §6.3),
/// optimized with Adam.
///
/// Each step draws E (D×B), sets X = μ1ᵀ + L·E and ascends L̂ = (1/B)Σ_b log p(x_b) + H[q] with
/// H = Σᵢ log|Lᵢᵢ| + const: ∂μ = ḡ, ∂L = lower((1/B)·G·Eᵀ) + diag(1/Lᵢᵢ). Cost O(BD² + D³) per
/// step (the D³ is the Cholesky inside ``DenseGaussian``). Non-finite values skip the step.
public struct ADVIFullRank: VariationalAlgorithm {
    /// The approximation family.
    public typealias Approximation = DenseGaussian

    /// Draws per step B (≥ 1).
    public var batchSize: Int
    /// The optimizer.
    public var optimizer: Adam
    /// The starting point: nil starts at μ = 0, L = I.
    public var initialization: DenseGaussian?
    /// Recoverable model failures tolerated within one step, and redraws of one rejected draw.
    public var maxRetries: Int
    /// Skipped steps tolerated over the fit.
    public var maxBadUpdates: Int

    /// Full-rank ADVI with the given settings.
    /// - Throws: `VariationalInferenceError.invalidArgument` for B < 1 or negative limits.
    public init(batchSize: Int, optimizer: Adam, initialization: DenseGaussian? = nil, maxRetries: Int = 10,
                maxBadUpdates: Int = 50) throws {
        try validateSafeguardSettings("full-rank ADVI", batchSize: batchSize, maxRetries: maxRetries,
                                      maxBadUpdates: maxBadUpdates)
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.initialization = initialization
        self.maxRetries = maxRetries
        self.maxBadUpdates = maxBadUpdates
    }

    /// The starting state.
    public func initialState(dimension: Int, using generator: inout Xoshiro256StarStar) throws -> ADVIFullRankState {
        let q = try initialization ?? DenseGaussian(mean: [Double](repeating: 0, count: dimension),
                                                   covariance: Matrix.identity(dimension))
        try requireDimension(q.dimension, dimension, "initial approximation")
        return ADVIFullRankState(approximation: q, factor: q.cholesky.lower, batchSize: batchSize)
    }

    /// The approximation the state holds.
    public func approximation(of state: ADVIFullRankState) -> DenseGaussian { state.approximation }

    /// One Adam step on the ELBO.
    public func step<Model: LogDensityModel>(_ state: inout ADVIFullRankState, model: Model,
                                             using generator: inout Xoshiro256StarStar) throws -> StepReport {
        let q = state.approximation, factor = state.factor
        let d = q.dimension
        try requireDimension(model.dimension, d, "model")
        return try state.adamStep(optimizer: optimizer, batchSize: batchSize, maxRetries: maxRetries,
                                  maxBadUpdates: maxBadUpdates, model: model, using: &generator, dimension: d,
                                  parameters: q.mean + factor.elements) { noise in
            var points = BLAS.gemm(factor, noise)
            TallSkinny.addToColumns(&points, q.mean)
            return points
        } lossGradient: { scores, noise in
            let gradient = ADVIFullRank.elboGradient(factor: factor, scores: scores, noise: noise)
            return (gradient.mean + gradient.factor.elements).map { -$0 }
        } fisher: { points, scores in
            q.relativeFisherDivergence(points: points, scores: scores)
        } approximation: { (parameters) -> (DenseGaussian, Matrix)? in
            let nextFactor = Matrix(rows: d, columns: d, elements: Array(parameters[d...]))
            guard let next = try? DenseGaussian(mean: Array(parameters[0..<d]),
                                                covariance: BLAS.gemm(nextFactor, nextFactor, transB: .transpose)) else {
                return nil
            }
            return (next, nextFactor)
        } commit: { state, next in
            state.approximation = next.0
            state.factor = next.1
        }
    }
}

extension ADVIFullRank {
    /// The gradient of L̂ = (1/B)Σ_b log p(x_b) + H[q] with respect to (μ, L) for q = N(μ, LLᵀ),
    /// from the scores G (D×B) at x_b = μ + L·ε_b: ∂μ = ḡ, ∂L = lower((1/B)·G·Eᵀ) + diag(1/Lᵢᵢ)
    /// (zeros above the diagonal). Cost O(BD²).
    public static func elboGradient(factor: Matrix, scores: Matrix, noise: Matrix) -> (mean: [Double], factor: Matrix) {
        let d = factor.rows
        var gradient = BLAS.gemm(scores, noise, transB: .transpose, alpha: 1 / Double(scores.columns))
        gradient.withElements { e in
            for j in 0..<d {
                for i in 0..<j { e[i + j * d] = 0 }
                e[j + j * d] += 1 / factor[j, j]
            }
        }
        return (TallSkinny.columnMean(scores), gradient)
    }
}

/// Full-rank ADVI's state: the approximation, its optimized factor L, Adam's moments over
/// (μ, vec L), skipped steps.
public struct ADVIFullRankState: PackedADVIState, Sendable {
    /// The current approximation N(μ, LLᵀ).
    public internal(set) var approximation: DenseGaussian
    /// The optimized lower-triangular factor L (D×D).
    public internal(set) var factor: Matrix
    /// Adam's moments and step count.
    public internal(set) var moments: AdamMoments
    /// Steps skipped for non-finite values.
    public internal(set) var badUpdates = 0
    var scores: Matrix

    init(approximation: DenseGaussian, factor: Matrix, batchSize: Int) {
        self.approximation = approximation
        self.factor = factor
        let d = approximation.dimension
        moments = AdamMoments(count: d + d * d)
        scores = Matrix(rows: d, columns: batchSize)
    }
}
