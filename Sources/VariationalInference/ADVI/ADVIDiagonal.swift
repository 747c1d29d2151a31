import LowRankLinalg

/// ADVI with the diagonal family q = N(μ, diag(σ²)) ("ADVI-D", algorithm.md §6.2), parameterized
/// by (μ, log σ) and optimized with Adam.
///
/// Each step draws E (D×B), sets X = μ1ᵀ + diag(σ)E and ascends L̂ = (1/B)Σ_b log p(x_b) + H[q]:
/// ∂μ = ḡ, ∂log σ = (1/B)Σ_b (g_b∘ε_b)∘σ + 1. Cost O(BD) per step plus B score evaluations.
/// Non-finite scores or parameters skip the step (status `.reverted`), as in ``ADVILowRank``.
public struct ADVIDiagonal: VariationalAlgorithm {
    /// The approximation family.
    public typealias Approximation = DiagonalGaussian

    /// Draws per step B (≥ 1; the reference's Gaussian runs use 8).
    public var batchSize: Int
    /// The optimizer.
    public var optimizer: Adam
    /// The starting point: nil draws μ = 0, σ ~ U(0, 1)^D (the reference), floored at 1e-3.
    public var initialization: DiagonalGaussian?
    /// Recoverable model failures tolerated within one step, and redraws of one rejected draw.
    public var maxRetries: Int
    /// Skipped steps tolerated over the fit.
    public var maxBadUpdates: Int

    /// ADVI-D with the given settings.
    /// - Throws: `VariationalInferenceError.invalidArgument` for B < 1 or negative limits.
    public init(batchSize: Int, optimizer: Adam, initialization: DiagonalGaussian? = nil, maxRetries: Int = 10,
                maxBadUpdates: Int = 50) throws {
        try validateSafeguardSettings("ADVI-D", batchSize: batchSize, maxRetries: maxRetries, maxBadUpdates: maxBadUpdates)
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.initialization = initialization
        self.maxRetries = maxRetries
        self.maxBadUpdates = maxBadUpdates
    }

    /// The starting state.
    public func initialState(dimension: Int, using generator: inout Xoshiro256StarStar) throws -> ADVIDiagonalState {
        let q: DiagonalGaussian
        if let given = initialization {
            try requireDimension(given.dimension, dimension, "initial approximation")
            q = given
        } else {
            let sigma = generator.uniforms(dimension).map { Swift.max($0, 1e-3) }
            q = try DiagonalGaussian(mean: [Double](repeating: 0, count: dimension), variances: sigma.map { $0 * $0 })
        }
        return ADVIDiagonalState(approximation: q, batchSize: batchSize)
    }

    /// The approximation the state holds.
    public func approximation(of state: ADVIDiagonalState) -> DiagonalGaussian { state.approximation }

    /// One Adam step on the ELBO.
    public func step<Model: LogDensityModel>(_ state: inout ADVIDiagonalState, model: Model,
                                             using generator: inout Xoshiro256StarStar) throws -> StepReport {
        let q = state.approximation
        let d = q.dimension
        try requireDimension(model.dimension, d, "model")
        let sigma = q.variances.map { $0.squareRoot() }
        return try state.adamStep(optimizer: optimizer, batchSize: batchSize, maxRetries: maxRetries,
                                  maxBadUpdates: maxBadUpdates, model: model, using: &generator, dimension: d,
                                  parameters: q.mean + sigma.map { _log($0) }) { noise in
            var points = TallSkinny.rowScaled(noise, by: sigma)
            TallSkinny.addToColumns(&points, q.mean)
            return points
        } lossGradient: { scores, noise in
            let gradient = ADVIDiagonal.elboGradient(q, scores: scores, noise: noise)
            return (gradient.mean + gradient.logScale).map { -$0 }
        } fisher: { points, scores in
            q.relativeFisherDivergence(points: points, scores: scores)
        } approximation: { parameters in
            try? DiagonalGaussian(mean: Array(parameters[0..<d]), variances: parameters[d...].map { _exp(2 * $0) })
        } commit: { state, next in
            state.approximation = next
        }
    }
}

extension ADVIDiagonal {
    /// The gradient of L̂ = (1/B)Σ_b log p(x_b) + H[q] (§6.2) with respect to (μ, log σ), from the
    /// scores G (D×B) at x_b = μ + σ∘ε_b: ∂μ = ḡ, ∂log σ = (1/B)Σ_b (g_b∘ε_b)∘σ + 1. Cost O(BD).
    public static func elboGradient(_ q: DiagonalGaussian, scores: Matrix,
                                    noise: Matrix) -> (mean: [Double], logScale: [Double]) {
        let b = Double(scores.columns)
        let weighted = TallSkinny.rowdot(scores, noise)
        let logScale = (0..<q.dimension).map { weighted[$0] / b * q.variances[$0].squareRoot() + 1 }
        return (TallSkinny.columnMean(scores), logScale)
    }
}

/// ADVI-D's state: the approximation, Adam's moments over (μ, log σ), skipped steps.
public struct ADVIDiagonalState: PackedADVIState, Sendable {
    /// The current approximation.
    public internal(set) var approximation: DiagonalGaussian
    /// Adam's moments and step count.
    public internal(set) var moments: AdamMoments
    /// Steps skipped for non-finite values.
    public internal(set) var badUpdates = 0
    var scores: Matrix

    init(approximation: DiagonalGaussian, batchSize: Int) {
        self.approximation = approximation
        moments = AdamMoments(count: 2 * approximation.dimension)
        scores = Matrix(rows: approximation.dimension, columns: batchSize)
    }
}
