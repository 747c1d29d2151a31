import LowRankLinalg

/// How pBaM projects the BaM covariance S back onto the low-rank-plus-diagonal family (algorithm.md
/// §3): the factor-analysis problem min KL(N(0, S) ‖ N(0, Ψ + ΛΛᵀ)), by one of two solvers.
public enum PatchSolver: Sendable, Equatable {
    /// L-BFGS on the profile likelihood in log ψ, with Λ in closed form from the leading eigenpairs
    /// of Ψ^{-1/2}SΨ^{-1/2} (`ProfilePatch`): the default.
    case profile(ProfilePatch)
    /// EM for factor analysis with over-relaxation (`FactorAnalysisPatch`, the reference's method).
    case em(FactorAnalysisPatch)
    /// The rank-K truncated eigen decomposition of S with ψ from its diagonal (`TruncatedEigenPatch`):
    /// not a KL projection, for comparison.
    case truncatedEigen(TruncatedEigenPatch)

    /// The default: `.profile` with `ProfilePatch()`'s settings (200 passes, relative tolerance 2e-2,
    /// absolute 1e-4 nats, ψ at most halved or doubled per patch).
    public static var standard: PatchSolver { .profile(.standard) }

    /// The floor on ψ of the chosen solver.
    public var jitter: Double {
        switch self {
        case .profile(let patch): patch.jitter
        case .em(let patch): patch.jitter
        case .truncatedEigen(let patch): patch.jitter
        }
    }
}

extension ProfilePatch {
    /// The default profile patch: 200 passes, relative tolerance 2e-2, absolute 1e-4 nats, a trust
    /// region of ln 2 in log ψ, memory 8, oversampling 8, eigen tolerance 1e-6, jitter 1e-6.
    public static let standard = ProfilePatch(validatedMaxPasses: 200, tolerance: 2e-2, absoluteTolerance: 1e-4,
                                              maxLogChange: defaultMaxLogChange,
                                              memory: 8, oversampling: 8, eigenTolerance: 1e-6, jitter: 1e-6)
}
