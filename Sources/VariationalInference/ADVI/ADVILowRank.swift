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
    /// Recoverable model failures tolerated within one step, and redraws of one rejected draw.
    public var maxRetries: Int
    /// Skipped steps tolerated over the fit.
    public var maxBadUpdates: Int

    /// ADVI-LR with the given settings.
    /// - Throws: `VariationalInferenceError.invalidArgument` for K < 1, B < 1, a floor ≤ 0, a bad
    ///   initialization or negative limits.
    public init(rank: Int, batchSize: Int, optimizer: Adam, parameterization: VarianceParameterization = .logVariance,
                initialization: LowRankInitialization = .random(lambdaScale: 1), maxRetries: Int = 10,
                maxBadUpdates: Int = 50) throws {
        try validateRank("ADVI-LR", rank: rank)
        try validateSafeguardSettings("ADVI-LR", batchSize: batchSize, maxRetries: maxRetries, maxBadUpdates: maxBadUpdates)
        if case .clampedVariance(let floor) = parameterization {
            try require(floor > 0 && floor.isFinite, "ADVI-LR variance floor must be finite and > 0, got \(floor)")
        }
        try initialization.validate(rank: rank)
        self.rank = rank
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.parameterization = parameterization
        self.initialization = initialization
        self.maxRetries = maxRetries
        self.maxBadUpdates = maxBadUpdates
    }

    /// The starting state (random draws from `generator` for `.random`).
    /// - Throws: `.invalidArgument` when K ≥ D or the initialization is `.mode` (which needs the
    ///   model: see ``initialState(for:using:)``); `.dimensionMismatch` when a given start has another D.
    public func initialState(dimension: Int, using generator: inout Xoshiro256StarStar) throws -> ADVILowRankState {
        let q = try initialization.approximation(dimension: dimension, rank: rank, psiFloor: psiFloor, using: &generator)
        return ADVILowRankState(approximation: q, batchSize: batchSize)
    }

    /// The starting state for `model`, as ``initialState(dimension:using:)`` gives it, except that a
    /// `.mode` initialization runs its ``ModeSearch`` on `model` first and returns it (nil for the
    /// other starts). What ``fit(_:model:using:options:from:)`` calls.
    /// - Throws: what ``initialState(dimension:using:)`` throws, and the search's errors.
    public func initialState<Model: LogDensityModel>(for model: Model, using generator: inout Xoshiro256StarStar) throws
        -> (state: ADVILowRankState, modeSearch: ModeSearchResult?) {
        let (q, search) = try initialization.approximation(for: model, rank: rank, psiFloor: psiFloor, using: &generator)
        return (ADVILowRankState(approximation: q, batchSize: batchSize), search)
    }

    /// The floor of a random start's ψ: 1e-12 for the log-variance parameterization, else its clamp.
    private var psiFloor: Double {
        switch parameterization {
        case .logVariance: return 1e-12
        case .clampedVariance(let f): return f
        }
    }

    /// The approximation the state holds.
    public func approximation(of state: ADVILowRankState) -> LowRankGaussian { state.approximation }

    /// One Adam step on the ELBO, in the state's workspace: in the steady state no D-sized buffer is
    /// allocated when the model's `gradients(at:into:)` allocates none.
    public func step<Model: LogDensityModel>(_ state: inout ADVILowRankState, model: Model,
                                             using generator: inout Xoshiro256StarStar) throws -> StepReport {
        let q = state.approximation
        try requireDimension(model.dimension, q.dimension, "model")
        try requireStateRank("ADVILowRank", state: q.rank, rank: rank)
        state.workspace.reshape(dimension: q.dimension, rank: q.rank, batchSize: batchSize)
        var rate = optimizer.schedule.value(at: state.moments.steps)
        var fisher: Double?
        var report = try state.safeguardedStep(maxRetries: maxRetries, maxBadUpdates: maxBadUpdates, learningRate: { rate }) {
            state, evaluations, timings in
            var clock = PhaseClock()
            fisher = nil
            generator.fillStandardNormal(&state.workspace.noise)
            generator.fillStandardNormal(&state.workspace.latent)
            q.reparameterize(noise: state.workspace.noise, latent: state.workspace.latent, into: &state.workspace.points)
            timings.sampling += clock.lap()
            let nonFinite = try evaluateScores(model, at: &state.workspace.points, into: &state.workspace.scores,
                                            redrawLimit: maxRetries, evaluations: &evaluations) { b, points in
                q.redrawReparameterized(column: b, of: &points, noise: &state.workspace.noise,
                                        latent: &state.workspace.latent, using: &generator)
            }
            timings.scores += clock.lap()
            if let nonFinite { return UpdateOutcome<LowRankGaussian>.nonFiniteScore(nonFinite) }
            fisher = q.relativeFisherDivergence(overwriting: &state.workspace.points, columns: 0..<batchSize,
                                                scores: state.workspace.scores)
            defer { timings.update += clock.lap() }
            let next = try ascend(q, moments: state.moments, workspace: &state.workspace, rate: &rate)
            return next.map { .accepted($0, emSteps: nil) } ?? .rejected(emSteps: nil)
        } commit: { state, next in
            optimizer.advance(&state.moments, gradient: state.workspace.lossGradient)
            state.approximation = next
            state.workspace.spare.recycle(q)
        }
        report.relativeFisherDivergence = fisher
        return report
    }

    /// The closed-form ELBO gradient and Adam's proposed step, in the workspace (the loss gradient
    /// stays in `lossGradient` for the caller to commit the moments); nil when the result is not a
    /// valid Gaussian. The new approximation is built in the workspace's spare storage.
    private func ascend(_ q: LowRankGaussian, moments: AdamMoments, workspace w: inout ADVILowRankWorkspace,
                        rate: inout Double) throws -> LowRankGaussian? {
        let d = q.dimension, k = q.rank
        elboGradient(q, scores: w.scores, noise: w.noise, latent: w.latent, inverseFactor: &w.inverseFactor,
                     mean: &w.meanGradient, variance: &w.varianceGradient, lambda: &w.lambdaGradient)
        let logVariance = parameterization == .logVariance
        packParameters(q, logVariance: logVariance, workspace: &w)
        rate = try optimizer.propose(&w.parameters, gradient: w.lossGradient, moments: moments)
        guard Vector.isFinite(w.parameters) else { return nil }
        var next = w.spare.take(dimension: d, rank: k)
        let floor: Double
        if case .clampedVariance(let f) = parameterization { floor = f } else { floor = 0 }
        w.parameters.withUnsafeBufferPointer { p in
            for i in 0..<d {
                next.mean[i] = p[i]
                next.psi[i] = logVariance ? _exp(p[d + i]) : Swift.max(p[d + i], floor)
            }
            next.lambda.withElements { e in
                for j in 0..<(d * k) { e[j] = p[2 * d + j] }
            }
        }
        do {
            try LowRankGaussian.validate(mean: next.mean, psi: next.psi, lambda: next.lambda)
            let factor = try LowRankPlusDiagonal.factorCapacitance(psi: next.psi, lambda: next.lambda, scratch: &w.inverseFactor)
            return LowRankGaussian(validatedMean: next.mean, psi: next.psi, lambda: next.lambda, capacitance: factor)
        } catch {
            w.spare.giveBack(next)
            return nil
        }
    }

    /// Writes the optimizer's vectors: the parameters (μ, log ψ or ψ, vec Λ) of q and the loss
    /// gradient, the negated ELBO gradient held in the workspace. Cost O(DK), no allocation.
    private func packParameters(_ q: LowRankGaussian, logVariance: Bool, workspace w: inout ADVILowRankWorkspace) {
        let d = q.dimension, count = d * q.rank
        let mean = w.meanGradient, variance = w.varianceGradient, lambda = w.lambdaGradient
        w.parameters.withUnsafeMutableBufferPointer { p in
            for i in 0..<d {
                p[i] = q.mean[i]
                p[d + i] = logVariance ? _log(q.psi[i]) : q.psi[i]
            }
            q.lambda.elements.withUnsafeBufferPointer { l in
                for j in 0..<count { p[2 * d + j] = l[j] }
            }
        }
        w.lossGradient.withUnsafeMutableBufferPointer { g in
            for i in 0..<d {
                g[i] = -mean[i]
                g[d + i] = -variance[i]
            }
            lambda.elements.withUnsafeBufferPointer { l in
                for j in 0..<count { g[2 * d + j] = -l[j] }
            }
        }
    }

    /// The gradient of L̂ = (1/B)Σ_b log p(x_b) + H[q] (§6.1) with respect to the optimizer's
    /// parameters (μ, ρ = log ψ or ψ, Λ), from the scores G (D×B) at x_b = μ + √ψ∘ε_b + Λz_b:
    /// ∂μ = ḡ, ∂ψ = (1/B)Σ_b (g_b∘ε_b)/(2√ψ) + ½diag(Σ⁻¹) (times ψ for ρ), ∂Λ = (1/B)G·Zᵀ + Σ⁻¹Λ.
    /// G and E are D×B, Z is K×B. Cost O(BDK + DK²).
    public func elboGradient(_ q: LowRankGaussian, scores: Matrix, noise: Matrix,
                             latent: Matrix) -> (mean: [Double], variance: [Double], lambda: Matrix) {
        let d = q.dimension
        var inverseFactor = Matrix(rows: d, columns: q.rank), lambda = Matrix(rows: d, columns: q.rank)
        var mean = [Double](repeating: 0, count: d), variance = [Double](repeating: 0, count: d)
        elboGradient(q, scores: scores, noise: noise, latent: latent, inverseFactor: &inverseFactor,
                     mean: &mean, variance: &variance, lambda: &lambda)
        return (mean, variance, lambda)
    }

    /// `elboGradient(_:scores:noise:latent:)` into existing storage: `mean` and `variance` (D) and
    /// `lambda` (D×K), with `inverseFactor` (D×K) receiving the Woodbury factor W = Ψ⁻¹ΛL⁻ᵀ of q.
    /// diag(Σ⁻¹) = 1/ψ − rowdot(W, W) and Σ⁻¹Λ = Ψ⁻¹Λ − W(WᵀΛ). Allocates only B- and K×K-sized
    /// temporaries.
    func elboGradient(_ q: LowRankGaussian, scores: Matrix, noise: Matrix, latent: Matrix, inverseFactor: inout Matrix,
                      mean: inout [Double], variance: inout [Double], lambda: inout Matrix) {
        let d = q.dimension
        shapePrecondition(scores.rows == d && noise.rows == d && noise.columns == scores.columns
                        && latent.rows == q.rank && latent.columns == scores.columns && scores.columns > 0,
                     "ADVILowRank.elboGradient: G \(scores.rows)×\(scores.columns), E \(noise.rows)×\(noise.columns), Z \(latent.rows)×\(latent.columns) for D = \(d), K = \(q.rank)")
        let b = Double(scores.columns)
        for i in 0..<d { mean[i] = 0 }
        TallSkinny.rowdot(scores, noise, scale: 1, accumulatingInto: &mean)
        for i in 0..<d { variance[i] = 1 / q.psi[i] }
        TallSkinny.rowScaled(q.lambda, by: variance, into: &inverseFactor)
        BLAS.trsm(q.capacitance.lower, triangle: .lower, transA: .transpose, side: .right, into: &inverseFactor)
        TallSkinny.rowdot(inverseFactor, inverseFactor, scale: -1, accumulatingInto: &variance)
        let logVariance = parameterization == .logVariance
        for i in 0..<d {
            variance[i] = 0.5 * variance[i] + mean[i] / (2 * b * q.psi[i].squareRoot())
            if logVariance { variance[i] *= q.psi[i] }
        }
        BLAS.gemv(scores, [Double](repeating: 1, count: scores.columns), alpha: 1 / b, beta: 0, into: &mean)
        TallSkinny.rowDivided(q.lambda, by: q.psi, into: &lambda)
        BLAS.gemm(inverseFactor, BLAS.gemm(inverseFactor, q.lambda, transA: .transpose), alpha: -1, beta: 1, into: &lambda)
        BLAS.gemm(scores, latent, transB: .transpose, alpha: 1 / b, beta: 1, into: &lambda)
    }
}

/// ADVI-LR's state: the approximation, Adam's moments over (μ, ρ or ψ, vec Λ), skipped steps, and
/// the workspace that every step reuses.
public struct ADVILowRankState: ADVIState, Sendable {
    /// The current approximation.
    public internal(set) var approximation: LowRankGaussian
    /// Adam's moments and step count.
    public internal(set) var moments: AdamMoments
    /// Steps skipped for non-finite values.
    public internal(set) var badUpdates = 0
    /// The buffers every step reuses.
    public internal(set) var workspace: ADVILowRankWorkspace

    init(approximation: LowRankGaussian, batchSize: Int) {
        self.approximation = approximation
        moments = AdamMoments(count: approximation.dimension * (approximation.rank + 2))
        workspace = ADVILowRankWorkspace(dimension: approximation.dimension, rank: approximation.rank, batchSize: batchSize)
    }
}
