import LowRankLinalg

/// The one-shot projection the project brief asks to compare with the factor-analysis patch: Λ from
/// the rank-K truncated eigen decomposition of S itself, Λ = [uⱼ·θⱼ^{1/2}]ⱼ≤K for the K leading
/// eigenpairs (θⱼ, uⱼ) of S, and ψ = max(diag(S) − rowdot(Λ, Λ), jitter), so that Ψ + ΛΛᵀ keeps the
/// diagonal and the K leading directions of S. It does not minimize KL(N(0,S) ‖ N(0, Ψ + ΛΛᵀ)); it
/// is the factor-analysis profile at ψ = 1 with ψ then set by the diagonal.
///
/// Cost: the eigen passes of `ScaledTargetEigen` (with Ψ = I) until the K leading residuals fall
/// below `eigenTolerance`·θ, at most `maxPasses`, each 4Dn(p+q) + 10Dn² flops for n = K +
/// `oversampling`. Memory as `ProfilePatchWorkspace`.
public struct TruncatedEigenPatch: Sendable, Equatable {
    /// The cap on eigen passes per patch.
    public var maxPasses: Int
    /// Extra eigen basis columns beyond K.
    public var oversampling: Int
    /// The relative residual at which the eigen solver stops.
    public var eigenTolerance: Double
    /// The floor on ψ.
    public var jitter: Double

    /// A truncated-eigen patch. Defaults: 20 passes, oversampling 8, eigen tolerance 1e-6, jitter 1e-6.
    /// - Throws: `VariationalInferenceError.invalidArgument` for maxPasses < 1, oversampling < 0, an eigen
    ///   tolerance that is negative or not finite, or jitter ≤ 0.
    public init(maxPasses: Int = 20, oversampling: Int = 8, eigenTolerance: Double = 1e-6,
                jitter: Double = 1e-6) throws(VariationalInferenceError) {
        try require(maxPasses >= 1, "truncated-eigen patch maxPasses must be ≥ 1, got \(maxPasses)")
        try require(oversampling >= 0, "truncated-eigen patch oversampling must be ≥ 0, got \(oversampling)")
        try require(eigenTolerance >= 0 && eigenTolerance.isFinite,
                    "truncated-eigen patch eigenTolerance must be finite and ≥ 0, got \(eigenTolerance)")
        try require(jitter > 0 && jitter.isFinite, "truncated-eigen patch jitter must be finite and > 0, got \(jitter)")
        self.maxPasses = maxPasses
        self.oversampling = oversampling
        self.eigenTolerance = eigenTolerance
        self.jitter = jitter
    }

    /// Projects S, seeding the eigen basis from the warm start Λ and allocating its workspaces.
    /// `PatchResult.emSteps` holds the eigen passes; `converged` is always true.
    /// - Throws: as the in-place form, and `VariationalInferenceError.dimensionMismatch` for a ψ or Λ
    ///   of another D.
    public func run(target: SignedLowRankPlusDiagonal, psi: [Double], lambda: Matrix) throws -> PatchResult {
        var workspace = PatchWorkspace(dimension: target.dimension, rank: lambda.columns)
        var profile = ProfilePatchWorkspace(dimension: target.dimension, rank: lambda.columns, oversampling: oversampling,
                                            memory: 1)
        var psi = psi, lambda = lambda
        let outcome = try run(target: target, targetDiagonal: target.diagonal, psi: &psi, lambda: &lambda,
                              workspace: &workspace, profile: &profile)
        return PatchResult(psi: psi, lambda: lambda, emSteps: outcome.passes, converged: true)
    }

    /// The in-place form: (ψ, Λ) hold the warm start on entry (Λ seeds the eigen basis on first use)
    /// and the projection on return.
    /// - Returns: the eigen passes and the Cholesky factor of I + ΛᵀΨ⁻¹Λ.
    /// - Throws: `PatchError.nonFinite` for a non-finite eigenvalue; eigen solver or capacitance
    ///   factorization failures.
    func run(target: SignedLowRankPlusDiagonal, targetDiagonal: [Double], psi: inout [Double], lambda: inout Matrix,
             workspace: inout PatchWorkspace, profile: inout ProfilePatchWorkspace) throws -> (passes: Int, capacitance: Cholesky) {
        try requireDimension(psi.count, target.dimension, "patch ψ")
        try requireDimension(lambda.rows, target.dimension, "patch Λ rows")
        try profile.prepare(dimension: target.dimension, rank: lambda.columns)
        try workspace.prepare(target: target, rank: lambda.columns)
        let d = psi.count, k = lambda.columns
        for i in 0..<d { profile.rootPsi[i] = 1 }
        profile.beginPatch()
        profile.prepareBasis(target: target, warmLambda: lambda)
        let passes = try profile.eigen.solve(target: target, rootPsi: profile.rootPsi, rank: k, tolerance: eigenTolerance,
                                             maxPasses: maxPasses)
        let theta = profile.eigen.values, basis = profile.eigen.basis
        guard theta.prefix(k).allSatisfy(\.isFinite) else { throw PatchError.nonFinite(emStep: passes) }
        lambda.withElements { out in
            for j in 0..<k {
                let scale = Swift.max(theta[j], 0).squareRoot()
                for i in 0..<d { out[j * d + i] = basis[i, j] * scale }
            }
        }
        for i in 0..<d { psi[i] = targetDiagonal[i] }
        TallSkinny.rowdot(lambda, lambda, scale: -1, accumulatingInto: &psi)
        for i in 0..<d { psi[i] = Swift.max(psi[i], jitter) }
        let factor = try LowRankPlusDiagonal.factorCapacitance(psi: psi, lambda: lambda, scratch: &workspace.first)
        return (passes, factor)
    }
}
