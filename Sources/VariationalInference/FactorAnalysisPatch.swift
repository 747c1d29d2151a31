import LowRankLinalg

/// The pBaM patch (algorithm.md §3): projects an implicit covariance S onto the low-rank-plus-diagonal
/// family by EM for factor analysis, minimizing KL(N(0, S) ‖ N(0, Ψ + ΛΛᵀ)).
///
/// Each EM step is the Lawrence form of §3.2 followed by the over-relaxation of §3.4,
/// ψ ← (1−η)ψ + ηψ̂, Λ ← (1−η)Λ + ηΛ̂. Deviation from the reference (§11 pitfall 3): ψ is floored at
/// `jitter` after every relaxed step as well as inside the EM update, so η up to 2 cannot make it
/// negative. Cost per EM step ≈ 2DK(K+2B+2) + 5DK² + O(K³) flops, and about as much again per
/// objective evaluation; memory O(DK) beyond S.
public struct FactorAnalysisPatch: Sendable, Equatable {
    /// How the EM loop decides it has converged.
    public enum ConvergenceTest: Sendable, Equatable {
        /// Stop when the change of the true KL between successive EM outputs is at most
        /// tolerance·(D + KL): a relative test on the true KL, which has no arbitrary offset (§11
        /// pitfall 4), scaled by D because a KL between D-dimensional Gaussians grows with D (so that
        /// a tolerance means the same at every D, like the reference's ratio of F ≈ D + log det S + 2KL).
        /// The default.
        case klChange
        /// The reference's test: |F_new/F_old − 1| < tolerance, with F = tr(SΣ⁻¹) + log det Σ. For
        /// parity with the reference code and its test vectors only: F has an arbitrary offset.
        case referenceObjectiveRatio
    }

    /// The cap on EM steps per patch (n_EM).
    public var maxSteps: Int
    /// The convergence tolerance; 0 runs exactly `maxSteps` steps and never evaluates the objective.
    public var tolerance: Double
    /// The over-relaxation η ∈ [1, 2).
    public var relaxation: Double
    /// The floor on ψ (inside the EM update and after each relaxed step).
    public var jitter: Double
    /// Which convergence test to apply.
    public var convergenceTest: ConvergenceTest
    /// The fewest EM steps before the convergence test may stop the loop (the reference uses 5).
    public var minimumSteps: Int

    /// A patch with the given settings. Defaults: at most 500 EM steps, the KL-change test with
    /// tolerance 1e-8, η 1.2, jitter 1e-6. The tolerance is far tighter than the reference's (1e-5 on
    /// the F ratio): EM costs no score evaluations, and on the E1 Gaussian (D = 128, K = 8, B = 32,
    /// 4 seeds) truncated EM left pBaM on plateaus of KL 0.1–0.7 at 32,000 evaluations, while this
    /// default reached KL ≈ 1e-6 on every seed for 1.6× the time per iteration.
    /// - Throws: `VariationalInferenceError.invalidArgument` for maxSteps < 1, tolerance < 0,
    ///   η ∉ [1, 2), jitter ≤ 0 or minimumSteps < 1.
    public init(maxSteps: Int = 500, tolerance: Double = 1e-8, relaxation: Double = 1.2, jitter: Double = 1e-6,
                convergenceTest: ConvergenceTest = .klChange, minimumSteps: Int = 5) throws(VariationalInferenceError) {
        try require(maxSteps >= 1, "patch maxSteps must be ≥ 1, got \(maxSteps)")
        try require(tolerance >= 0 && tolerance.isFinite, "patch tolerance must be finite and ≥ 0, got \(tolerance)")
        try require(relaxation >= 1 && relaxation < 2, "patch relaxation η must be in [1, 2), got \(relaxation)")
        try require(jitter > 0 && jitter.isFinite, "patch jitter must be finite and > 0, got \(jitter)")
        try require(minimumSteps >= 1, "patch minimumSteps must be ≥ 1, got \(minimumSteps)")
        self.maxSteps = maxSteps
        self.tolerance = tolerance
        self.relaxation = relaxation
        self.jitter = jitter
        self.convergenceTest = convergenceTest
        self.minimumSteps = minimumSteps
    }

    /// Runs EM from the warm start (ψ, Λ) towards S.
    ///
    /// - Parameters:
    ///   - target: S, held implicitly.
    ///   - logDeterminantOfTarget: log det S, needed by the `.klChange` test (ignored otherwise).
    ///   - toleranceScale: multiplies `tolerance` (pBaM tightens it after bad updates).
    /// - Throws: `PatchError.nonFinite` when an EM step or the objective is not finite;
    ///   `LinearAlgebraError` when a K×K factorization fails.
    public func run(target: SignedLowRankPlusDiagonal, logDeterminantOfTarget: Double, psi: [Double], lambda: Matrix,
                    toleranceScale: Double = 1) throws -> PatchResult {
        let targetDiagonal = target.diagonal
        let d = Double(target.dimension)
        let tol = tolerance * toleranceScale
        var psi = psi, lambda = lambda
        var current = tol > 0 ? try Self.objective(target: target, targetDiagonal: targetDiagonal, psi: psi, lambda: lambda) : .nan
        for step in 0..<maxSteps {
            let (nextPsi, nextLambda) = try Self.emStep(target: target, targetDiagonal: targetDiagonal, psi: psi,
                                                        lambda: lambda, jitter: jitter)
            guard Vector.isFinite(nextPsi), nextLambda.isFinite else { throw PatchError.nonFinite(emStep: step) }
            var converged = false
            if tol > 0 {
                let previous = current
                current = try Self.objective(target: target, targetDiagonal: targetDiagonal, psi: nextPsi, lambda: nextLambda)
                guard current.isFinite else { throw PatchError.nonFinite(emStep: step) }
                if step + 1 >= minimumSteps {
                    switch convergenceTest {
                    case .referenceObjectiveRatio:
                        converged = previous != 0 && abs(current / previous - 1) < tol
                    case .klChange:
                        let kl = 0.5 * (current - logDeterminantOfTarget - d)
                        converged = 0.5 * abs(current - previous) <= tol * (d + abs(kl))
                    }
                }
            }
            relax(&psi, &lambda, towards: nextPsi, nextLambda)
            if converged {
                return PatchResult(psi: psi, lambda: lambda, emSteps: step + 1, converged: true)
            }
        }
        return PatchResult(psi: psi, lambda: lambda, emSteps: maxSteps, converged: false)
    }

    /// ψ ← max((1−η)ψ + ηψ̂, jitter), Λ ← (1−η)Λ + ηΛ̂.
    private func relax(_ psi: inout [Double], _ lambda: inout Matrix, towards nextPsi: [Double], _ nextLambda: Matrix) {
        let eta = relaxation
        if eta == 1 {
            psi = nextPsi
            lambda = nextLambda
            return
        }
        for i in psi.indices { psi[i] = Swift.max((1 - eta) * psi[i] + eta * nextPsi[i], jitter) }
        lambda.withElements { e in
            for i in e.indices { e[i] = (1 - eta) * e[i] + eta * nextLambda.elements[i] }
        }
    }

    /// One Lawrence-form EM step (§3.2) from (ψ, Λ) towards S, un-relaxed:
    /// J = C_K ΛᵀΨ⁻¹, H = S·Jᵀ, N = C_K + J·H, Λ̂ = H·N⁻¹, ψ̂ = max(diag(S) − rowdot(H, Λ̂), jitter)
    /// (Λ̂N = H collapses the term-by-term diagonal to this form). Cost ≈ 2DK(K+2B+2) + 5DK² + O(K³).
    /// - Throws: `LinearAlgebraError` when a K×K Cholesky fails; `LinearAlgebraError.nonPositiveDiagonal`
    ///   when ψ is not positive.
    public static func emStep(target: SignedLowRankPlusDiagonal, targetDiagonal: [Double], psi: [Double],
                              lambda: Matrix, jitter: Double) throws -> (psi: [Double], lambda: Matrix) {
        if let i = psi.firstIndex(where: { !($0 > 0) }) { throw LinearAlgebraError.nonPositiveDiagonal(index: i, value: psi[i]) }
        let k = lambda.columns
        let scaled = TallSkinny.rowScaled(lambda, by: psi.map { 1 / $0 })
        var capacitance = Matrix.identity(k)
        BLAS.gemm(lambda, scaled, transA: .transpose, beta: 1, into: &capacitance)
        let ck = try Cholesky(capacitance).inverse
        let jt = BLAS.gemm(scaled, ck)
        let h = target.multiply(jt)
        var n = ck
        BLAS.gemm(jt, h, transA: .transpose, beta: 1, into: &n)
        n.symmetrize()
        let nextLambda = BLAS.gemm(h, try Cholesky(n).inverse)
        var nextPsi = targetDiagonal
        TallSkinny.rowdot(h, nextLambda, scale: -1, accumulatingInto: &nextPsi)
        for i in nextPsi.indices { nextPsi[i] = Swift.max(nextPsi[i], jitter) }
        return (nextPsi, nextLambda)
    }

    /// F(ψ, Λ) = tr(S·Σ⁻¹) + log det Σ for Σ = Ψ + ΛΛᵀ (§3.6), equal to 2·KL(N(0,S)‖N(0,Σ)) + log det S + D.
    /// Cost ≈ 2DK(K+2B+2) + 2DK² + O(K³) flops, O(DK) memory.
    /// - Throws: `LinearAlgebraError` when ψ is not positive or the capacitance factorization fails.
    public static func objective(target: SignedLowRankPlusDiagonal, targetDiagonal: [Double], psi: [Double],
                                 lambda: Matrix) throws -> Double {
        let sigma = try LowRankPlusDiagonal(psi: psi, lambda: lambda)
        let w = sigma.inverseFactor
        var trace = 0.0
        var wNormsWeighted = 0.0
        let wRowNorms = TallSkinny.rowdot(w, w)
        for i in psi.indices {
            trace += targetDiagonal[i] / psi[i]
            wNormsWeighted += target.diagonalPart[i] * wRowNorms[i]
        }
        let rw = BLAS.gemm(target.added, w, transA: .transpose)
        let pw = BLAS.gemm(target.subtracted, w, transA: .transpose)
        trace -= wNormsWeighted + BLAS.dot(rw.elements, rw.elements) - BLAS.dot(pw.elements, pw.elements)
        return trace + sigma.logDeterminant
    }
}

/// The outcome of one patch.
public struct PatchResult: Sendable {
    /// The patched ψ (length D, all ≥ jitter).
    public var psi: [Double]
    /// The patched Λ (D×K).
    public var lambda: Matrix
    /// EM steps run (1 … maxSteps).
    public var emSteps: Int
    /// Whether the convergence test stopped the loop (false when the cap was reached or tol = 0).
    public var converged: Bool
}

/// A patch that produced a non-finite iterate.
public enum PatchError: Error, Equatable, Sendable {
    /// The EM step (0-based) whose output or objective held a NaN or an infinity.
    case nonFinite(emStep: Int)
}
