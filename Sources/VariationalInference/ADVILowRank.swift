import LowRankLinalg

/// ADVI with the low-rank-plus-diagonal family q = N(μ, diag(ψ) + ΛΛᵀ) ("ADVI-LR", algorithm.md §6.1):
/// reparameterized ELBO gradients in closed form, optimized with Adam.
///
/// Each step draws E (D×B) then Z (K×B), sets X = μ1ᵀ + diag(√ψ)E + ΛZ, and ascends
/// L̂ = (1/B)Σ_b log p(x_b) + H[q] with the exact entropy, whose gradients are
/// ∂μ = ḡ, ∂ψ = (1/B)Σ_b (g_b∘ε_b)/(2√ψ) + ½diag(Σ⁻¹), ∂Λ = (1/B)G·Zᵀ + Σ⁻¹Λ.
/// Cost O(BDK + DK² + K³) per step plus B score evaluations; nothing D×D.
///
/// Non-finite scores or parameters skip the step (parameters and Adam moments unchanged, status
/// `.reverted`); more than `maxBadUpdates` skips end the fit with `AlgorithmError.tooManyBadUpdates`.
public struct ADVILowRank: VariationalAlgorithm {
    /// The approximation family.
    public typealias Approximation = LowRankGaussian

    /// How ψ is parameterized for the optimizer.
    public enum VarianceParameterization: Sendable, Equatable {
        /// Optimize ρ = log ψ (robust; the default).
        case logVariance
        /// Optimize ψ directly and clamp it at `floor` after each step (the reference, with floor 1e-6;
        /// for parity only: near the clamp the entropy gradient ½/ψ explodes).
        case clampedVariance(floor: Double)
    }

    /// The rank K (1 ≤ K < D).
    public var rank: Int
    /// Draws per step B (≥ 1).
    public var batchSize: Int
    /// The optimizer.
    public var optimizer: Adam
    /// The ψ parameterization.
    public var parameterization: VarianceParameterization
    /// The starting point.
    public var initialization: LowRankInitialization
    /// Recoverable model failures tolerated within one step.
    public var maxRetries: Int
    /// Skipped steps tolerated over the fit.
    public var maxBadUpdates: Int

    /// ADVI-LR with the given settings.
    /// - Throws: `VariationalInferenceError.invalidArgument` for K < 1, B < 1, a floor ≤ 0, a bad
    ///   initialization or negative limits.
    public init(rank: Int, batchSize: Int, optimizer: Adam, parameterization: VarianceParameterization = .logVariance,
                initialization: LowRankInitialization = .random(lambdaScale: 1), maxRetries: Int = 10,
                maxBadUpdates: Int = 50) throws {
        try require(rank >= 1, "ADVI-LR rank K must be ≥ 1, got \(rank)")
        try require(batchSize >= 1, "ADVI-LR batch size B must be ≥ 1, got \(batchSize)")
        if case .clampedVariance(let floor) = parameterization {
            try require(floor > 0 && floor.isFinite, "ADVI-LR variance floor must be finite and > 0, got \(floor)")
        }
        try initialization.validate(rank: rank)
        try require(maxRetries >= 0 && maxBadUpdates >= 0, "ADVI-LR retry limits must be ≥ 0")
        self.rank = rank
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.parameterization = parameterization
        self.initialization = initialization
        self.maxRetries = maxRetries
        self.maxBadUpdates = maxBadUpdates
    }

    /// The starting state (random draws from `generator` for `.random`).
    public func initialState(dimension: Int, using generator: inout Xoshiro256StarStar) throws -> ADVILowRankState {
        let floor: Double
        switch parameterization {
        case .logVariance: floor = 1e-12
        case .clampedVariance(let f): floor = f
        }
        let q = try initialization.approximation(dimension: dimension, rank: rank, psiFloor: floor, using: &generator)
        return ADVILowRankState(approximation: q, batchSize: batchSize)
    }

    /// The approximation the state holds.
    public func approximation(of state: ADVILowRankState) -> LowRankGaussian { state.approximation }

    /// One Adam step on the ELBO.
    public func step<Model: LogDensityModel>(_ state: inout ADVILowRankState, model: Model,
                                             using generator: inout Xoshiro256StarStar) throws -> StepReport {
        let q = state.approximation
        let d = q.dimension, k = q.rank
        try requireDimension(model.dimension, d, "model")
        var evaluations = 0
        var moments = state.moments
        var rate = optimizer.schedule.value(at: moments.steps)
        var timings = PhaseTimings()
        let (outcome, failures) = try retrying(maxRetries: maxRetries, evaluations: { evaluations }) {
            var clock = PhaseClock()
            let noise = generator.standardNormalMatrix(rows: d, columns: batchSize)
            let latent = generator.standardNormalMatrix(rows: k, columns: batchSize)
            let points = try q.reparameterize(noise: noise, latent: latent)
            evaluations += batchSize
            timings.sampling += clock.lap()
            let finite = try evaluateScores(model, at: points, into: &state.scores)
            timings.scores += clock.lap()
            guard finite else { return UpdateOutcome<LowRankGaussian>.rejected(emSteps: nil) }
            defer { timings.update += clock.lap() }
            moments = state.moments
            let next = try ascend(q, scores: state.scores, noise: noise, latent: latent, moments: &moments, rate: &rate)
            return next.map { .accepted($0, emSteps: nil) } ?? .rejected(emSteps: nil)
        }
        switch outcome {
        case .accepted(let next, _):
            state.approximation = next
            state.moments = moments
            return StepReport(gradientEvaluations: evaluations, learningRate: rate, status: acceptedStatus(failures: failures),
                              timings: timings)
        case .rejected:
            try countRejectedUpdate(&state.badUpdates, maxBadUpdates: maxBadUpdates, evaluations: evaluations)
            return StepReport(gradientEvaluations: evaluations, learningRate: rate, status: .reverted, timings: timings)
        }
    }

    /// The closed-form ELBO gradient and one Adam step; nil when the result is not a valid Gaussian.
    private func ascend(_ q: LowRankGaussian, scores: Matrix, noise: Matrix, latent: Matrix,
                        moments: inout AdamMoments, rate: inout Double) throws -> LowRankGaussian? {
        let d = q.dimension
        let gradient = elboGradient(q, scores: scores, noise: noise, latent: latent)
        var parameters = q.mean + variableParameters(q.psi) + q.lambda.elements
        let lossGradient = (gradient.mean + gradient.variance + gradient.lambda.elements).map { -$0 }
        rate = try optimizer.descend(&parameters, gradient: lossGradient, moments: &moments)
        guard Vector.isFinite(parameters) else { return nil }
        let psi: [Double]
        switch parameterization {
        case .logVariance: psi = parameters[d..<(2 * d)].map { _exp($0) }
        case .clampedVariance(let floor): psi = parameters[d..<(2 * d)].map { Swift.max($0, floor) }
        }
        let lambda = Matrix(rows: d, columns: q.rank, elements: Array(parameters[(2 * d)...]))
        return try? LowRankGaussian(mean: Array(parameters[0..<d]), psi: psi, lambda: lambda)
    }

    /// The optimizer's variance coordinates: log ψ or ψ.
    private func variableParameters(_ psi: [Double]) -> [Double] {
        parameterization == .logVariance ? psi.map { _log($0) } : psi
    }

    /// The gradient of L̂ = (1/B)Σ_b log p(x_b) + H[q] (§6.1) with respect to the optimizer's
    /// parameters (μ, ρ = log ψ or ψ, Λ), from the scores G (D×B) at x_b = μ + √ψ∘ε_b + Λz_b:
    /// ∂μ = ḡ, ∂ψ = (1/B)Σ_b (g_b∘ε_b)/(2√ψ) + ½diag(Σ⁻¹) (times ψ for ρ), ∂Λ = (1/B)G·Zᵀ + Σ⁻¹Λ.
    /// Cost O(BDK + DK²).
    public func elboGradient(_ q: LowRankGaussian, scores: Matrix, noise: Matrix,
                             latent: Matrix) -> (mean: [Double], variance: [Double], lambda: Matrix) {
        let b = Double(scores.columns)
        let mean = TallSkinny.columnMean(scores)
        var variance = q.covariance.inverseDiagonal.map { 0.5 * $0 }
        let weighted = TallSkinny.rowdot(scores, noise)
        for i in variance.indices {
            variance[i] += weighted[i] / (2 * b * q.psi[i].squareRoot())
            if parameterization == .logVariance { variance[i] *= q.psi[i] }
        }
        var lambda = q.covariance.solve(q.lambda)
        BLAS.gemm(scores, latent, transB: .transpose, alpha: 1 / b, beta: 1, into: &lambda)
        return (mean, variance, lambda)
    }
}

/// ADVI-LR's state: the approximation, Adam's moments over (μ, ρ or ψ, vec Λ), skipped steps.
public struct ADVILowRankState: Sendable {
    /// The current approximation.
    public internal(set) var approximation: LowRankGaussian
    /// Adam's moments and step count.
    public internal(set) var moments: AdamMoments
    /// Steps skipped for non-finite values.
    public internal(set) var badUpdates = 0
    var scores: Matrix

    init(approximation: LowRankGaussian, batchSize: Int) {
        self.approximation = approximation
        moments = AdamMoments(count: approximation.dimension * (approximation.rank + 2))
        scores = Matrix(rows: approximation.dimension, columns: batchSize)
    }
}
