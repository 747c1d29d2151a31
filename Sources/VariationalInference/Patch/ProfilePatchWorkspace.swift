import LowRankLinalg

/// The reusable state of `ProfilePatch`: the eigen solver's basis (kept from one patch to the next,
/// so that pBaM's consecutive patches start warm), the L-BFGS memory, and the D-vectors of the
/// iterate and of a line-search trial.
///
/// Memory 3Dn + DK + (2m + 8)D doubles for n = min(K + oversampling, D) and m = memory; allocated once.
public struct ProfilePatchWorkspace: Sendable {
    var eigen: ScaledTargetEigen
    var bfgs: LimitedMemoryBFGS
    /// u = log ψ at the current iterate, and its gradient.
    var logPsi: [Double]
    var gradient: [Double]
    /// The search direction p.
    var direction: [Double]
    /// A line-search trial point and its gradient.
    var trialLogPsi: [Double]
    var trialGradient: [Double]
    /// The box of the current patch: lower and upper bounds on u (the jitter floor and the trust
    /// region around the warm start).
    var lowerBound: [Double]
    var upperBound: [Double]
    /// √ψ at the last evaluated point.
    var rootPsi: [Double]
    /// Λ at the last evaluated point (D×K).
    var trialLambda: Matrix
    private let rank: Int
    /// Draws the random mixing of `ScaledTargetEigen.refresh` (a fixed seed: same fit, same draws).
    private var generator = Xoshiro256StarStar(seed: 0x5EED_BA5E)
    /// Whether the next evaluation starts a new patch (and refreshes the eigen basis).
    private var startsPatch = false
    /// Whether the patch that starts has a target in scaled eigenbasis form around the warm ψ.
    private var startsAtScaledEigenbasis = false

    /// Buffers for dimension D and rank K with the patch's oversampling and memory.
    public init(dimension: Int, rank: Int, patch: ProfilePatch) {
        self.init(dimension: dimension, rank: rank, oversampling: patch.oversampling, memory: patch.memory)
    }

    /// Buffers for dimension D, rank K, K + oversampling eigen basis columns and an L-BFGS memory of
    /// `memory` pairs.
    init(dimension: Int, rank: Int, oversampling: Int, memory: Int) {
        let columns = Swift.min(rank + oversampling, dimension)
        eigen = ScaledTargetEigen(dimension: dimension, columns: columns)
        bfgs = LimitedMemoryBFGS(dimension: dimension, memory: memory, initialScale: 2)
        logPsi = [Double](repeating: 0, count: dimension)
        gradient = logPsi
        direction = logPsi
        trialLogPsi = logPsi
        trialGradient = logPsi
        rootPsi = logPsi
        lowerBound = logPsi
        upperBound = logPsi
        trialLambda = Matrix(rows: dimension, columns: rank)
        self.rank = rank
    }

    /// Checks that the workspace serves dimension D and rank K.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` otherwise.
    func prepare(dimension: Int, rank: Int) throws(VariationalInferenceError) {
        try requireDimension(dimension, logPsi.count, "profile patch workspace dimension")
        try requireDimension(rank, self.rank, "profile patch workspace rank")
    }

    /// Evaluates f at u (`logPsi`, or `trialLogPsi` when `trial`): solves for the leading eigenpairs
    /// of S̃ (seeding the basis from Ψ^{-1/2}[Λ, F] on first use), writes the gradient into `gradient`
    /// (or `trialGradient`) and the optimal Λ into `trialLambda`, and adds the eigen passes to
    /// `passes`, running at most `passLimit − passes` eigen passes (at least 1). See `ProfilePatch`
    /// for f. Cost 1–4 passes plus O(DK).
    /// - Throws: `PatchError.nonFinite` when f or a Ritz value is not finite; eigen solver failures.
    mutating func evaluate(trial: Bool, target: SignedLowRankPlusDiagonal, targetDiagonal: [Double],
                           warmLambda: Matrix, tolerance: Double, passLimit: Int, passes: inout Int) throws -> Double {
        let u = trial ? trialLogPsi : logPsi
        let d = u.count, k = rank
        for i in 0..<d { rootPsi[i] = _exp(0.5 * u[i]) }
        prepareBasis(target: target, warmLambda: warmLambda)
        passes += try eigen.solve(target: target, rootPsi: rootPsi, rank: k, tolerance: tolerance,
                                  maxPasses: Swift.max(1, Swift.min(ProfilePatch.passesPerEvaluation, passLimit - passes)))
        let theta = eigen.values
        var value = 0.0
        for j in 0..<k {
            guard theta[j].isFinite else { throw PatchError.nonFinite(emStep: passes) }
            if theta[j] > 1 { value -= theta[j] - _log(theta[j]) - 1 }
        }
        var g = [Double]()
        if trial { swap(&g, &trialGradient) } else { swap(&g, &gradient) }
        defer { if trial { swap(&g, &trialGradient) } else { swap(&g, &gradient) } }
        let basis = eigen.basis
        trialLambda.withElements { out in
            basis.elements.withUnsafeBufferPointer { vectors in
                for j in 0..<k {
                    let scale = Swift.max(theta[j] - 1, 0).squareRoot()
                    for i in 0..<d { out[j * d + i] = rootPsi[i] * vectors[j * d + i] * scale }
                }
            }
        }
        for i in 0..<d { g[i] = targetDiagonal[i] }
        TallSkinny.rowdot(trialLambda, trialLambda, scale: -1, accumulatingInto: &g)
        for i in 0..<d {
            let psi = rootPsi[i] * rootPsi[i]
            value += targetDiagonal[i] / psi + u[i]
            g[i] = 0.5 * (1 - g[i] / psi)
        }
        guard value.isFinite else { throw PatchError.nonFinite(emStep: passes) }
        return 0.5 * value
    }

    /// Sets the box of a patch from the warm start u (in `logPsi`): u ≥ log jitter, and
    /// |u − u_warm| ≤ `maxChange` coordinate-wise.
    mutating func setBounds(floor: Double, maxChange: Double) {
        for i in logPsi.indices {
            lowerBound[i] = Swift.max(floor, logPsi[i] - maxChange)
            upperBound[i] = logPsi[i] + maxChange
        }
    }

    /// p = −H·∇f from the L-BFGS memory, with the components that would push a coordinate at a bound
    /// of the box out of it set to 0. Returns the slope ∇fᵀp. Cost 4mD flops.
    mutating func descentDirection() -> Double {
        bfgs.direction(for: gradient, into: &direction)
        var slope = 0.0
        for i in direction.indices {
            if (logPsi[i] <= lowerBound[i] && direction[i] < 0) || (logPsi[i] >= upperBound[i] && direction[i] > 0) {
                direction[i] = 0
            }
            slope += gradient[i] * direction[i]
        }
        return slope
    }

    /// At the start of a patch whose target is in pBaM's scaled eigenbasis form around the warm ψ,
    /// seeds the eigen basis with its exact leading eigenvectors; otherwise seeds it on first use
    /// (from Ψ^{-1/2}[Λ, F] with the current `rootPsi`), or refreshes its oversampling columns at the
    /// start of a patch (`ScaledTargetEigen.refresh`).
    mutating func prepareBasis(target: SignedLowRankPlusDiagonal, warmLambda: Matrix) {
        if startsPatch && startsAtScaledEigenbasis {
            eigen.seedFromScaledEigenbasis(factors: target.factors, rootPsi: rootPsi)
        } else if !eigen.isSeeded {
            eigen.seed(lambda: warmLambda, factors: target.factors, rootPsi: rootPsi)
        } else if startsPatch {
            eigen.refresh(rank: rank, factors: target.factors, rootPsi: rootPsi, using: &generator)
        }
        startsPatch = false
    }

    /// Marks the start of a new patch: the next evaluation refreshes the eigen basis with directions
    /// of the new target — its exact leading eigenvectors when `scaledEigenbasis` says that the
    /// target's factors are pBaM's scaled eigenbasis around the warm ψ (`LowRankBaMUpdate`) — and
    /// the L-BFGS memory is cleared.
    mutating func beginPatch(scaledEigenbasis: Bool = false) {
        startsPatch = true
        startsAtScaledEigenbasis = scaledEigenbasis
        bfgs.reset()
    }

    /// Makes the trial point the iterate, recording the curvature pair.
    mutating func acceptTrial() {
        bfgs.record(from: logPsi, to: trialLogPsi, gradient: gradient, nextGradient: trialGradient)
        swap(&logPsi, &trialLogPsi)
        swap(&gradient, &trialGradient)
    }
}
