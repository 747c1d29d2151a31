import LowRankLinalg

/// Where a low-rank-plus-diagonal fit (pBaM, ADVI-LR) starts.
public enum LowRankInitialization: Sendable {
    /// μ = 0, ψ ~ U(0, 1)^D, Λ ~ N(0, 1)^{D×K}·scale/√(DK), drawn in that order (algorithm.md §5.2).
    /// Scale 1 is the reference library default; the reference experiment scripts use an unscaled Λ,
    /// i.e. scale √(DK).
    case random(lambdaScale: Double)
    /// A given approximation.
    case given(LowRankGaussian)

    /// Throws unless a random scale is finite and > 0 and a given start has rank K.
    func validate(rank: Int) throws(VariationalInferenceError) {
        switch self {
        case .random(let scale):
            try require(scale > 0 && scale.isFinite, "initial Λ scale must be finite and > 0, got \(scale)")
        case .given(let q):
            try require(q.rank == rank, "initial approximation has rank \(q.rank), expected K = \(rank)")
        }
    }

    /// The starting approximation in dimension D with rank K; ψ is floored at `psiFloor`.
    /// - Throws: `.invalidArgument` when K ≥ D, `.dimensionMismatch` when a given start has another D.
    func approximation(dimension: Int, rank: Int, psiFloor: Double,
                       using generator: inout Xoshiro256StarStar) throws -> LowRankGaussian {
        try require(rank < dimension, "rank K = \(rank) must be < dimension D = \(dimension)")
        switch self {
        case .given(let q):
            try requireDimension(q.dimension, dimension, "initial approximation")
            return q
        case .random(let scale):
            let psi = generator.uniforms(dimension).map { Swift.max($0, psiFloor) }
            var lambda = generator.standardNormalMatrix(rows: dimension, columns: rank)
            let factor = scale / Double(dimension * rank).squareRoot()
            lambda.withElements { e in for i in e.indices { e[i] *= factor } }
            return try LowRankGaussian(mean: [Double](repeating: 0, count: dimension), psi: psi, lambda: lambda)
        }
    }
}
