import LowRankLinalg

/// The default pBaM patch: the factor-analysis projection of algorithm.md §3.1,
/// min over (ψ, Λ) of KL(N(0, S) ‖ N(0, Ψ + ΛΛᵀ)), solved on the profile likelihood in log ψ.
///
/// For a fixed ψ the best Λ is known in closed form (Jöreskog 1967; Lawley & Maxwell): with
/// θ₁ ≥ θ₂ ≥ … the eigenvalues of S̃ = Ψ^{-1/2}SΨ^{-1/2} and uⱼ its eigenvectors,
/// Λ = Ψ^{1/2}·[uⱼ·(θⱼ − 1)₊^{1/2}]ⱼ≤K, and the KL left is, up to a constant independent of ψ,
///
///   f(u) = ½[Σᵢ Sᵢᵢ/ψᵢ + Σᵢ uᵢ − Σⱼ≤K (θⱼ − log θⱼ − 1)₊],  u = log ψ,
///
/// with gradient ∂f/∂uᵢ = ½[1 − (Sᵢᵢ − (ΛΛᵀ)ᵢᵢ)/ψᵢ]. The patch minimizes f by limited-memory BFGS with
/// an Armijo backtracking line search and the bound ψ ≥ `jitter` (projected steps), from the warm
/// start ψ; the eigenpairs come from `ScaledTargetEigen`, a subspace iteration on K + `oversampling`
/// columns whose basis carries over from one evaluation, and one patch, to the next, its last
/// `oversampling` columns replaced at the start of each patch by random combinations of the new
/// target's factor columns (a randomized range finder: a leading direction that the warm basis
/// misses entirely has a zero residual in it and would otherwise never enter). EM for factor
/// analysis, which converges linearly and very slowly when some ψᵢ are small, is kept as
/// `FactorAnalysisPatch`.
///
/// **Convergence test** (distance to the optimum, not the size of the last step): the loop stops when
/// the decrease still to come, as the quasi-Newton model predicts it (−½∇fᵀp with p = −H∇f, in nats
/// of KL), is at most `tolerance` times the decrease already achieved from the warm start and at most
/// `absoluteTolerance` nats (plus a round-off floor of 1e-14·D). The prediction is trusted only once
/// the L-BFGS memory holds a measured curvature pair: the initial model H₀ = 2I (the EM-like fixed
/// point step in log ψ) can underestimate the remaining decrease along the flat directions where ψ
/// and Λ trade off, and in pBaM's late iterations the loop then stopped after the first evaluation
/// (the Λ update at the warm ψ) without moving ψ. The test is relative to what the patch has to do,
/// so it means the same at every D and at every stage of a fit: in pBaM's late iterations S moves
/// by ~1e-7 nats from one iteration to the next, and an absolute tolerance above that freezes ψ
/// (measured: with 1e-6 nats alone, pBaM stalled at KL 0.36 on the E1 Gaussian, D = 512; with the
/// relative 1e-2 it reached 4e-8).
///
/// **Cost.** A pass is one implicit product S·Y with a D×n block (n = K + oversampling): 4Dn(p+q)
/// flops for S with p + q factor columns, plus 10Dn² for the Rayleigh–Ritz and QR work around it.
/// An evaluation of f takes 1 to 4 passes; the warm start's objective and the final check take one
/// EM-sized product each. Memory 3Dn + DK + (2m + 8)D doubles for m = `memory`
/// (`ProfilePatchWorkspace`); nothing D×D, no D-sized allocation per patch.
///
/// **Guarantee.** The returned KL is never above the warm start's: the final (ψ, Λ) is compared with
/// the warm start by the exact objective of §3.6 and the warm start is returned when it is better.
public struct ProfilePatch: Sendable, Equatable {
    /// The cap on passes over D (implicit products with S) per patch.
    public var maxPasses: Int
    /// The stopping tolerance: the predicted remaining decrease of KL(N(0,S) ‖ q) relative to the
    /// decrease achieved from the warm start.
    public var tolerance: Double
    /// The cap on the predicted remaining decrease in nats, whatever the decrease achieved.
    public var absoluteTolerance: Double
    /// The trust region of one patch: |log ψᵢ − log ψᵢ,warm| ≤ maxLogChange (∞: none, for a patch
    /// that must reach the optimum in one call). pBaM needs it: the exact projection of the first,
    /// rank-deficient BaM updates is a Heywood solution with some ψᵢ at the floor, and the BaM step
    /// cannot grow a variance that q's own samples do not explore (V ⪰ S only adds λ·C), so those ψᵢ
    /// stayed near 1e-6 for thousands of iterations (E1, D = 512: KL stalled at 0.35; with ln 2,
    /// 3e-7 at 64,000 evaluations).
    public var maxLogChange: Double
    /// The L-BFGS memory m (pairs kept).
    public var memory: Int
    /// Extra basis columns of the eigen solver beyond K (they speed up its convergence).
    public var oversampling: Int
    /// The relative residual ‖S̃u − θu‖ ≤ eigenTolerance·θ at which the eigen solver stops.
    public var eigenTolerance: Double
    /// The floor on ψ.
    public var jitter: Double

    /// At most this many eigen passes per evaluation of f.
    static let passesPerEvaluation = 4
    /// The default trust region, ln 2: ψ at most halves or doubles in one patch.
    public static let defaultMaxLogChange = 0.693_147_180_559_945_3
    /// The absolute floor of the convergence test, per coordinate, in nats.
    static let roundOff = 1e-14

    /// A profile patch with the given settings. Defaults: 200 passes, relative tolerance 2e-2
    /// (measured on the E1 Gaussian, D = 512, r = K = B = 32, 64,000 evaluations: 1e-2 gave KL 4e-8 at
    /// 21.6 passes per iteration, 2e-2 gave 3e-7 at 13.6, 1e-1 gave 8e-5 at 6.4), absolute tolerance
    /// 1e-4 nats, trust region ln 2,
    /// memory 8, oversampling 8, eigen tolerance 1e-6 (1e-4 left pBaM at KL 1.5e-3 on the E1 Gaussian,
    /// D = 512, against 4e-8), jitter 1e-6.
    /// - Throws: `VariationalInferenceError.invalidArgument` for maxPasses < 3, a tolerance, absolute
    ///   tolerance or eigen tolerance that is negative or not finite, maxLogChange ≤ 0, memory < 1, oversampling < 0, or jitter ≤ 0.
    public init(maxPasses: Int = 200, tolerance: Double = 2e-2, absoluteTolerance: Double = 1e-4,
                maxLogChange: Double = ProfilePatch.defaultMaxLogChange, memory: Int = 8, oversampling: Int = 8,
                eigenTolerance: Double = 1e-6, jitter: Double = 1e-6) throws(VariationalInferenceError) {
        try require(maxPasses >= 3, "profile patch maxPasses must be ≥ 3, got \(maxPasses)")
        try require(tolerance >= 0 && tolerance.isFinite, "profile patch tolerance must be finite and ≥ 0, got \(tolerance)")
        try require(absoluteTolerance >= 0 && absoluteTolerance.isFinite,
                    "profile patch absoluteTolerance must be finite and ≥ 0, got \(absoluteTolerance)")
        try require(maxLogChange > 0, "profile patch maxLogChange must be > 0 (∞ for none), got \(maxLogChange)")
        try require(memory >= 1, "profile patch memory must be ≥ 1, got \(memory)")
        try require(oversampling >= 0, "profile patch oversampling must be ≥ 0, got \(oversampling)")
        try require(eigenTolerance >= 0 && eigenTolerance.isFinite,
                    "profile patch eigenTolerance must be finite and ≥ 0, got \(eigenTolerance)")
        try require(jitter > 0 && jitter.isFinite, "profile patch jitter must be finite and > 0, got \(jitter)")
        self.init(validatedMaxPasses: maxPasses, tolerance: tolerance, absoluteTolerance: absoluteTolerance,
                  maxLogChange: maxLogChange, memory: memory, oversampling: oversampling, eigenTolerance: eigenTolerance,
                  jitter: jitter)
    }

    /// Settings already known to be valid.
    init(validatedMaxPasses maxPasses: Int, tolerance: Double, absoluteTolerance: Double, maxLogChange: Double,
         memory: Int, oversampling: Int, eigenTolerance: Double, jitter: Double) {
        self.maxPasses = maxPasses
        self.tolerance = tolerance
        self.absoluteTolerance = absoluteTolerance
        self.maxLogChange = maxLogChange
        self.memory = memory
        self.oversampling = oversampling
        self.eigenTolerance = eigenTolerance
        self.jitter = jitter
    }

    /// Projects S from the warm start (ψ, Λ), allocating its workspaces (see the in-place form for
    /// loops). `PatchResult.emSteps` holds the passes over D.
    /// - Throws: `PatchError.nonFinite` when the objective or an eigenvalue is not finite;
    ///   `LinearAlgebraError` when ψ is not positive or a small factorization fails;
    ///   `VariationalInferenceError.dimensionMismatch` for a ψ or Λ of another D.
    public func run(target: SignedLowRankPlusDiagonal, psi: [Double], lambda: Matrix,
                    toleranceScale: Double = 1) throws -> PatchResult {
        var workspace = PatchWorkspace(dimension: target.dimension, rank: lambda.columns)
        var profile = ProfilePatchWorkspace(dimension: target.dimension, rank: lambda.columns, patch: self)
        var psi = psi, lambda = lambda
        let outcome = try run(target: target, targetDiagonal: target.diagonal, psi: &psi, lambda: &lambda,
                              workspace: &workspace, profile: &profile, toleranceScale: toleranceScale)
        return PatchResult(psi: psi, lambda: lambda, emSteps: outcome.passes, converged: outcome.converged)
    }

    /// The in-place form: (ψ, Λ) hold the warm start on entry and the patch on return. `profile`
    /// keeps the eigen basis, so consecutive patches of nearby targets (pBaM's) start warm;
    /// `scaledEigenbasis` says that the target comes from pBaM's match around this ψ (its diagonal
    /// part equal to ψ), so that the first evaluation starts from the exact eigenvectors.
    /// - Returns: passes over D, whether the tolerance was met, and the Cholesky factor of
    ///   I + ΛᵀΨ⁻¹Λ for the returned (ψ, Λ).
    func run(target: SignedLowRankPlusDiagonal, targetDiagonal: [Double], psi: inout [Double], lambda: inout Matrix,
             workspace: inout PatchWorkspace, profile: inout ProfilePatchWorkspace,
             toleranceScale: Double = 1, scaledEigenbasis: Bool = false) throws
        -> (passes: Int, converged: Bool, capacitance: Cholesky) {
        try requireDimension(psi.count, target.dimension, "patch ψ")
        try requireDimension(lambda.rows, target.dimension, "patch Λ rows")
        try profile.prepare(dimension: target.dimension, rank: lambda.columns)
        try workspace.prepare(target: target, rank: lambda.columns)
        let warm = try EMProducts(target: target, targetDiagonal: targetDiagonal, psi: psi, lambda: lambda,
                                  workspace: &workspace).objective
        guard warm.isFinite else { throw PatchError.nonFinite(emStep: 0) }
        for i in psi.indices { workspace.nextPsi[i] = psi[i] }
        TallSkinny.copyColumns(of: lambda, 0..<lambda.columns, into: &workspace.second, at: 0)

        let tol = tolerance * toleranceScale
        for i in psi.indices { profile.logPsi[i] = _log(Swift.max(psi[i], jitter)) }
        profile.setBounds(floor: _log(jitter), maxChange: maxLogChange)
        var passes = 1
        let evaluationLimit = maxPasses - 1
        profile.beginPatch(scaledEigenbasis: scaledEigenbasis && target.diagonalPart == psi)
        var value = try profile.evaluate(trial: false, target: target, targetDiagonal: targetDiagonal,
                                         warmLambda: lambda, tolerance: eigenTolerance, passLimit: evaluationLimit,
                                         passes: &passes)
        swap(&lambda, &profile.trialLambda)
        var converged = false
        iterations: while passes < evaluationLimit {
            var slope = profile.descentDirection()
            if !(slope < 0) {
                profile.bfgs.reset()
                slope = profile.descentDirection()
            }
            let gain = Swift.max(0.5 * warm - value, 0)
            let allowed = Swift.min(tol * gain, absoluteTolerance * toleranceScale) + ProfilePatch.roundOff * Double(psi.count)
            if !(slope < 0) || (profile.bfgs.pairs > 0 && -0.5 * slope <= allowed) {
                converged = true
                break
            }
            var largest = 0.0
            for p in profile.direction { largest = Swift.max(largest, abs(p)) }
            var step = Swift.min(1, 4 / largest)
            var accepted = false
            while passes < evaluationLimit {
                var projectedSlope = 0.0
                for i in psi.indices {
                    let next = Swift.min(Swift.max(profile.logPsi[i] + step * profile.direction[i], profile.lowerBound[i]),
                                         profile.upperBound[i])
                    profile.trialLogPsi[i] = next
                    projectedSlope += profile.gradient[i] * (next - profile.logPsi[i])
                }
                let trial = try profile.evaluate(trial: true, target: target,
                                                 targetDiagonal: targetDiagonal, warmLambda: lambda,
                                                 tolerance: eigenTolerance, passLimit: evaluationLimit,
                                                 passes: &passes)
                if trial <= value + 1e-4 * projectedSlope {
                    value = trial
                    accepted = true
                    break
                }
                guard projectedSlope < 0, step > 1e-10 else { break iterations }
                let interpolated = -projectedSlope / (2 * (trial - value - projectedSlope))
                step *= Swift.max(0.1, Swift.min(0.5, interpolated.isFinite ? interpolated : 0.5))
            }
            guard accepted else { break }
            profile.acceptTrial()
            swap(&lambda, &profile.trialLambda)
        }
        for i in psi.indices { psi[i] = _exp(profile.logPsi[i]) }
        let final = try EMProducts(target: target, targetDiagonal: targetDiagonal, psi: psi, lambda: lambda,
                                   workspace: &workspace)
        passes += 1
        if final.objective.isFinite && final.objective <= warm {
            return (passes, converged, final.capacitance)
        }
        for i in psi.indices { psi[i] = workspace.nextPsi[i] }
        TallSkinny.copyColumns(of: workspace.second, 0..<lambda.columns, into: &lambda, at: 0)
        let factor = try LowRankPlusDiagonal.factorCapacitance(psi: psi, lambda: lambda, scratch: &workspace.first)
        return (passes, false, factor)
    }
}

