import LowRankLinalg

/// Where a low-rank-plus-diagonal fit (pBaM, ADVI-LR) starts.
public enum LowRankInitialization: Sendable {
    /// μ = 0, ψ ~ U(0, 1)^D, Λ ~ N(0, 1)^{D×K}·scale/√(DK), drawn in that order (algorithm.md §5.2).
    /// Scale 1 is the reference library default; the reference experiment scripts use an unscaled Λ,
    /// i.e. scale √(DK).
    case random(lambdaScale: Double)
    /// A given approximation.
    case given(LowRankGaussian)
    /// The mode of the model being fitted: ``fit(_:model:using:options:from:)`` runs the search on
    /// it from the origin, then starts from ``ModeSearchResult/lowRankStart(rank:using:)`` (ψ and Λ
    /// drawn from the fit's generator, ψ floored as a random start's is), the same start as
    /// `.given(search.run(model).lowRankStart(rank: K, using: &generator))` made by hand. The
    /// search's log-density-and-gradient evaluations count in the fit's
    /// ``FitResult/gradientEvaluations`` and its budget, its seconds in ``FitResult/elapsedSeconds``,
    /// and the search itself (where it stopped, whether it converged) is ``FitResult/modeSearch``:
    /// an unconverged search still gives the start, the best point it reached. The remedy when
    /// B ≪ D and the default start's unit-scale variances are far wider than the posterior's
    /// (``FitWarning/fisherDivergenceHigh(late:)``), or when the posterior sits far from 0. Costs
    /// what the search costs: usually one or two evaluations per L-BFGS iteration, at most
    /// 60·`maxIterations` + 1, plus O(mD) flops each and 2mD doubles for memory m.
    case mode(ModeSearch)

    /// Throws unless a random scale is finite and > 0 and a given start has rank K.
    func validate(rank: Int) throws(VariationalInferenceError) {
        switch self {
        case .random(let scale):
            try require(scale > 0 && scale.isFinite, "initial Λ scale must be finite and > 0, got \(scale)")
        case .given(let q):
            try require(q.rank == rank, "initial approximation has rank \(q.rank), expected K = \(rank)")
        case .mode:
            break
        }
    }

    /// The starting approximation for `model` with rank K, and for `.mode` the search that found it.
    /// - Throws: what ``approximation(dimension:rank:psiFloor:using:)`` throws; for `.mode`,
    ///   `.invalidArgument` when K is outside 1..<D and what ``ModeSearch/run(_:from:)`` throws (the
    ///   model's error at the origin, `.nonFinite` when log p or its gradient there is not finite).
    func approximation<Model: LogDensityModel>(for model: Model, rank: Int, psiFloor: Double,
                                               using generator: inout Xoshiro256StarStar) throws
        -> (start: LowRankGaussian, modeSearch: ModeSearchResult?) {
        guard case .mode(let search) = self else {
            return (try approximation(dimension: model.dimension, rank: rank, psiFloor: psiFloor, using: &generator), nil)
        }
        try require(rank < model.dimension, "rank K = \(rank) must be < dimension D = \(model.dimension)")
        let mode = try search.run(model)
        let start = try mode.lowRankStart(rank: rank, using: &generator)
        guard start.psi.contains(where: { $0 < psiFloor }) else { return (start, mode) }
        return (try LowRankGaussian(mean: start.mean, psi: start.psi.map { Swift.max($0, psiFloor) }, lambda: start.lambda),
                mode)
    }

    /// The starting approximation in dimension D with rank K; ψ is floored at `psiFloor`.
    /// - Throws: `.invalidArgument` when K ≥ D or for `.mode`, which needs the model (start it
    ///   through `fit`); `.dimensionMismatch` when a given start has another D.
    func approximation(dimension: Int, rank: Int, psiFloor: Double,
                       using generator: inout Xoshiro256StarStar) throws -> LowRankGaussian {
        try require(rank < dimension, "rank K = \(rank) must be < dimension D = \(dimension)")
        switch self {
        case .mode:
            throw VariationalInferenceError.invalidArgument(
                "a .mode start needs the model: let fit(_:model:using:options:) start it, or pass "
                + ".given(ModeSearch().run(model).lowRankStart(rank: K, using: &generator))")
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
