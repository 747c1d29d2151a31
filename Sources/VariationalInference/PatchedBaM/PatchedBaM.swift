import LowRankLinalg

/// pBaM, patched batch-and-match (Modi, Cai & Saul, AISTATS 2025; algorithm.md §2.2–§5): BaM
/// updates of a Gaussian with covariance Ψ + ΛΛᵀ, each projected back onto that family by EM.
///
/// One iteration (§5.5): draw B points from q, evaluate their scores, form the BaM update in
/// low-rank form (`LowRankBaMUpdate`, positive definite by construction), patch its covariance (`PatchSolver`: by default the profile
/// solver `ProfilePatch`, or EM, `FactorAnalysisPatch`) warm-started at the current (ψ, Λ), and take
/// the pre-patch mean (or the post-patch mean). Time per iteration O(D(K+B)² + n·D(K+B)(K+B)) for n
/// patch passes plus B score evaluations; memory O(D(K+B)). Nothing D×D.
///
/// Safeguards (§5.4): a draw the model rejects with a recoverable `ModelError` is redrawn alone, up to
/// `maxRetries` times per draw (`evaluateScores`); a `LinearAlgebraError`, or a draw that keeps
/// failing, redoes the iteration with a fresh batch, up to `maxRetries` times; non-finite scores or a non-finite update keep the
/// parameters and halve the λ multiplier, which also scales the EM tolerance (reset to 1 after an
/// accepted update; see `BaMState`). When the retries run out, the previous accepted update is undone (the
/// approximation returns to the one before it, as the reference's revert to a snapshot) and counted
/// as a bad update with the same halving; with nothing to undo (the first iteration), a numerical
/// failure (`LinearAlgebraError`) keeps q and halves λ, and a model that keeps failing stops the fit.
/// More than `maxBadUpdates` bad updates or a non-recoverable model error end the fit with
/// `FitFailure` holding the last good approximation. Keeping the previous approximation doubles the
/// O(D(K+2)) memory of q.
public struct PatchedBaM: VariationalAlgorithm {
    /// The approximation family: q = N(μ, diag(ψ) + ΛΛᵀ).
    public typealias Approximation = LowRankGaussian

    /// Which mean the iteration keeps (§4).
    public enum MeanUpdate: Sendable, Equatable {
        /// μ from the un-patched BaM covariance S (the reference default).
        case prePatch
        /// μ recomputed with the patched covariance and the same batch.
        case postPatch
    }

    /// The rank K of Λ (1 ≤ K < D).
    public var rank: Int
    /// The batch size B (score evaluations per iteration, ≥ 1).
    public var batchSize: Int
    /// λ_t.
    public var schedule: LearningRateSchedule
    /// The projection back onto the family (the patch).
    public var patch: PatchSolver
    /// Pre-patch (default) or post-patch mean.
    public var meanUpdate: MeanUpdate
    /// The starting point.
    public var initialization: LowRankInitialization
    /// Draw the first batch (t = 0) from N(0, I) instead of q₀, as the reference does (§5.3).
    public var firstBatchFromStandardNormal: Bool
    /// Recoverable failures tolerated within one iteration before the fit stops, and redraws of one
    /// rejected draw.
    public var maxRetries: Int
    /// Rejected (non-finite) updates tolerated over the fit before it stops.
    public var maxBadUpdates: Int

    /// pBaM with the given settings.
    /// - Throws: `VariationalInferenceError.invalidArgument` for K < 1, B < 1, an invalid schedule,
    ///   a non-positive Λ scale, or negative retry limits.
    public init(rank: Int, batchSize: Int, schedule: LearningRateSchedule = .automatic, patch: PatchSolver = .standard,
                meanUpdate: MeanUpdate = .prePatch, initialization: LowRankInitialization = .random(lambdaScale: 1),
                firstBatchFromStandardNormal: Bool = false, maxRetries: Int = 10, maxBadUpdates: Int = 50) throws {
        try validateRank("pBaM", rank: rank)
        try validateSafeguardSettings("pBaM", batchSize: batchSize, maxRetries: maxRetries, maxBadUpdates: maxBadUpdates)
        try schedule.validate()
        try initialization.validate(rank: rank)
        self.rank = rank
        self.batchSize = batchSize
        self.schedule = schedule
        self.patch = patch
        self.meanUpdate = meanUpdate
        self.initialization = initialization
        self.firstBatchFromStandardNormal = firstBatchFromStandardNormal
        self.maxRetries = maxRetries
        self.maxBadUpdates = maxBadUpdates
    }

    /// The starting state for dimension D (draws ψ and Λ from `generator` for `.random`), with the
    /// workspace of every later iteration (`PatchedBaMWorkspace`).
    /// - Throws: `.invalidArgument` when K ≥ D, the workspace size overflows or the initialization
    ///   is `.mode` (which needs the model: see ``initialState(for:using:)``); `.dimensionMismatch`
    ///   when a given start has another D.
    public func initialState(dimension: Int, using generator: inout Xoshiro256StarStar) throws -> PatchedBaMState {
        try requireWorkspace(dimension: dimension)
        let start = try initialization.approximation(dimension: dimension, rank: rank, psiFloor: patch.jitter,
                                                     using: &generator)
        return state(startingAt: start)
    }

    /// The starting state for `model`, as ``initialState(dimension:using:)`` gives it, except that a
    /// `.mode` initialization runs its ``ModeSearch`` on `model` first and returns it (nil for the
    /// other starts). What ``fit(_:model:using:options:from:)`` calls.
    /// - Throws: what ``initialState(dimension:using:)`` throws, and the search's errors.
    public func initialState<Model: LogDensityModel>(for model: Model, using generator: inout Xoshiro256StarStar) throws
        -> (state: PatchedBaMState, modeSearch: ModeSearchResult?) {
        try requireWorkspace(dimension: model.dimension)
        let (start, search) = try initialization.approximation(for: model, rank: rank, psiFloor: patch.jitter,
                                                               using: &generator)
        return (state(startingAt: start), search)
    }

    /// Throws unless D fits BLAS's 32-bit sizes and the workspace's D·(K + 2B + 2) doubles do not overflow.
    private func requireWorkspace(dimension: Int) throws(VariationalInferenceError) {
        try require(dimension <= largestBLASSize, "pBaM dimension D must be ≤ \(largestBLASSize) (BLAS's 32-bit sizes), got \(dimension)")
        let (_, overflows) = dimension.multipliedReportingOverflow(by: rank + 2 * batchSize + 2)
        try require(!overflows, "pBaM workspace of D·(K + 2B + 2) doubles overflows for D = \(dimension), K = \(rank), B = \(batchSize)")
    }

    /// A fresh state at `start`, with its workspace.
    private func state(startingAt start: LowRankGaussian) -> PatchedBaMState {
        PatchedBaMState(approximation: start,
                        workspace: PatchedBaMWorkspace(dimension: start.dimension, rank: rank, batchSize: batchSize,
                                                       patch: patch))
    }

    /// The approximation the state holds.
    public func approximation(of state: PatchedBaMState) -> LowRankGaussian { state.approximation }

    /// One pBaM iteration (§5.5); see the type's documentation for the safeguards. The batch, the
    /// match and the patch run in the state's workspace: in the steady state no D-sized buffer is
    /// allocated when the model's `gradients(at:into:)` allocates none. A state warm-started from a
    /// fit with another batch size gets a new workspace (q is carried over).
    /// - Throws: `VariationalInferenceError` when the model's D or the state's rank differs, or λ_t
    ///   is not finite and > 0; `StepFailure` when the safeguards give up.
    public func step<Model: LogDensityModel>(_ state: inout PatchedBaMState, model: Model,
                                             using generator: inout Xoshiro256StarStar) throws -> StepReport {
        let q = state.approximation
        try requireDimension(model.dimension, q.dimension, "model")
        try requireStateRank("PatchedBaM", state: q.rank, rank: rank)
        if !state.workspace.serves(dimension: q.dimension, rank: rank, batchSize: batchSize) {
            state.workspace = PatchedBaMWorkspace(dimension: q.dimension, rank: rank, batchSize: batchSize, patch: patch)
        }
        let rate = try schedule.checkedValue(at: state.iteration, multiplier: state.learningRateMultiplier,
                                            batchSize: batchSize, dimension: q.dimension)
        let decays = schedule.isDecaying(at: state.iteration)
        let standardNormal = state.iteration == 0 && firstBatchFromStandardNormal
        var fisher: Double?, patchConverged: Bool?
        var report = try state.iterate(rate: rate, maxRetries: maxRetries, maxBadUpdates: maxBadUpdates,
                                 recycle: { $0.spare.recycle($1) }) { state, evaluations, timings in
            var clock = PhaseClock()
            fisher = nil
            patchConverged = nil
            state.workspace.patch.first.resizeColumns(to: batchSize)
            state.workspace.patch.second.resizeColumns(to: batchSize)
            if standardNormal {
                generator.fillStandardNormal(&state.workspace.patch.first)
            } else {
                q.sample(into: &state.workspace.patch.first, latent: &state.workspace.latent, using: &generator)
            }
            timings.sampling += clock.lap()
            let nonFinite = try evaluateScores(model, at: &state.workspace.patch.first, into: &state.workspace.patch.second,
                                            redrawLimit: maxRetries, evaluations: &evaluations) { b, points in
                if standardNormal {
                    for i in 0..<points.rows { points[i, b] = generator.nextStandardNormal() }
                } else {
                    q.redraw(column: b, of: &points, using: &generator)
                }
            }
            timings.scores += clock.lap()
            if let nonFinite { return .nonFiniteScore(nonFinite) }
            if !standardNormal {
                if state.workspace.target.factors.columns < batchSize {
                    state.workspace.target.factors.resizeColumns(to: batchSize)
                }
                TallSkinny.copyColumns(of: state.workspace.patch.first, 0..<batchSize, into: &state.workspace.target.factors, at: 0)
                fisher = q.relativeFisherDivergence(overwriting: &state.workspace.target.factors, columns: 0..<batchSize,
                                                    scores: state.workspace.patch.second)
            }
            return try update(q, rate: rate, toleranceScale: state.learningRateMultiplier, workspace: &state.workspace,
                              timings: &timings, clock: &clock, patchConverged: &patchConverged)
        }
        report.relativeFisherDivergence = fisher
        report.patchConverged = patchConverged
        report.learningRateDecays = decays
        return report
    }

    /// Matches and patches the scored batch in the workspace: the new approximation (built in the
    /// workspace's spare storage, which goes back to the workspace when the update fails), or a
    /// rejection when the update is not finite.
    private func update(_ q: LowRankGaussian, rate: Double, toleranceScale: Double, workspace: inout PatchedBaMWorkspace,
                        timings: inout PhaseTimings, clock: inout PhaseClock,
                        patchConverged: inout Bool?) throws -> UpdateOutcome<LowRankGaussian> {
        var next = workspace.spare.take(dimension: q.dimension, rank: rank)
        do {
            _ = try workspace.match(mean: q.mean, psi: q.psi, lambda: q.lambda, learningRate: rate, newMean: &next.mean)
            timings.update += clock.lap()
            defer { timings.patch += clock.lap() }
            for i in 0..<q.dimension { next.psi[i] = q.psi[i] }
            TallSkinny.copyColumns(of: q.lambda, 0..<rank, into: &next.lambda, at: 0)
            let patched = try runPatch(psi: &next.psi, lambda: &next.lambda, workspace: &workspace,
                                       toleranceScale: toleranceScale)
            patchConverged = patched.converged
            if meanUpdate == .postPatch {
                PatchedBaMWorkspace.postPatchMean(previousMean: q.mean, psi: next.psi, lambda: next.lambda,
                                                  meanPoint: workspace.meanPoint, meanScore: workspace.meanScore,
                                                  learningRate: rate, into: &next.mean)
            }
            guard (try? LowRankGaussian.validate(mean: next.mean, psi: next.psi, lambda: next.lambda)) != nil else {
                workspace.spare.giveBack(next)
                return .rejected(emSteps: patched.passes)
            }
            return .accepted(LowRankGaussian(validatedMean: next.mean, psi: next.psi, lambda: next.lambda,
                                             capacitance: patched.capacitance), emSteps: patched.passes)
        } catch is PatchError {
            workspace.spare.giveBack(next)
            return .rejected(emSteps: nil)
        } catch {
            workspace.spare.giveBack(next)
            throw error
        }
    }

    /// Runs the chosen patch in the workspace from the warm start (ψ, Λ) (algorithm.md §3): the passes
    /// over D (EM steps for `.em`), and the capacitance factor of the result.
    private func runPatch(psi: inout [Double], lambda: inout Matrix,
                          workspace: inout PatchedBaMWorkspace,
                          toleranceScale: Double) throws -> (passes: Int, converged: Bool, capacitance: Cholesky) {
        switch patch {
        case .em(let em):
            let outcome = try em.run(target: workspace.target, targetDiagonal: workspace.targetDiagonal,
                                     logDeterminantOfTarget: workspace.targetLogDeterminant, psi: &psi, lambda: &lambda,
                                     workspace: &workspace.patch, toleranceScale: toleranceScale)
            return (outcome.emSteps, outcome.converged, outcome.capacitance)
        case .profile(let profile):
            var state = workspace.takeProfile() ?? ProfilePatchWorkspace(dimension: psi.count, rank: rank, patch: profile)
            defer { workspace.profile = state }
            let outcome = try profile.run(target: workspace.target, targetDiagonal: workspace.targetDiagonal, psi: &psi,
                                          lambda: &lambda, workspace: &workspace.patch, profile: &state,
                                          toleranceScale: toleranceScale, scaledEigenbasis: true)
            return (outcome.passes, outcome.converged, outcome.capacitance)
        case .truncatedEigen(let truncated):
            var state = workspace.takeProfile() ?? ProfilePatchWorkspace(dimension: psi.count, rank: rank,
                                                                         oversampling: truncated.oversampling, memory: 1)
            defer { workspace.profile = state }
            let outcome = try truncated.run(target: workspace.target, targetDiagonal: workspace.targetDiagonal, psi: &psi,
                                            lambda: &lambda, workspace: &workspace.patch, profile: &state)
            return (outcome.passes, true, outcome.capacitance)
        }
    }
}

/// pBaM's state: the shared BaM-family state over the low-rank-plus-diagonal family.
public typealias PatchedBaMState = BaMState<LowRankGaussian, PatchedBaMWorkspace>
