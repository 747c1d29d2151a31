import LowRankLinalg

/// Batch-and-match with a dense covariance (BaM; Cai et al., ICML 2024; algorithm.md §2.1), for D up
/// to a few thousand.
///
/// Each iteration draws B points from q = N(μ, Σ), evaluates their scores and jumps to the closed-form
/// proximal score-matching update. It uses the symmetric formulation: with U = QQᵀ and V = Σ + RRᵀ
/// built from the centred batch (§2.2 shapes), V = LLᵀ (Cholesky), LᵀUL = (LᵀQ)(LᵀQ)ᵀ = W diag(a) Wᵀ,
/// Σ' = L W diag(2/(1 + √(1 + 4a))) Wᵀ Lᵀ and μ' = μ/(1+λ) + (λ/(1+λ))(Σ'ḡ + x̄). No non-symmetric
/// square root. Cost O(D²B + D³) per iteration plus B score evaluations; memory O(D²).
///
/// Safeguards as in ``PatchedBaM``: retries after recoverable failures; non-finite scores or a
/// non-positive-definite update keep the parameters and halve the λ multiplier; exhausted retries
/// undo the previous accepted update (after the first iteration).
public struct BatchAndMatch: VariationalAlgorithm {
    /// The approximation family.
    public typealias Approximation = DenseGaussian

    /// The batch size B (≥ 1).
    public var batchSize: Int
    /// λ_t.
    public var schedule: LearningRateSchedule
    /// The starting point; nil starts at N(0, I).
    public var initialization: DenseGaussian?
    /// Recoverable failures tolerated within one iteration, and redraws of one rejected draw.
    public var maxRetries: Int
    /// Rejected updates tolerated over the fit.
    public var maxBadUpdates: Int

    /// Dense BaM with the given settings.
    /// - Throws: `VariationalInferenceError.invalidArgument` for B < 1, an invalid schedule or negative
    ///   limits.
    public init(batchSize: Int, schedule: LearningRateSchedule = .automatic, initialization: DenseGaussian? = nil,
                maxRetries: Int = 10, maxBadUpdates: Int = 50) throws {
        try validateSafeguardSettings("BaM", batchSize: batchSize, maxRetries: maxRetries, maxBadUpdates: maxBadUpdates)
        try schedule.validate()
        self.batchSize = batchSize
        self.schedule = schedule
        self.initialization = initialization
        self.maxRetries = maxRetries
        self.maxBadUpdates = maxBadUpdates
    }

    /// The starting state.
    public func initialState(dimension: Int, using generator: inout Xoshiro256StarStar) throws -> BatchAndMatchState {
        let q = try initialization ?? DenseGaussian(mean: [Double](repeating: 0, count: dimension),
                                                   covariance: Matrix.identity(dimension))
        try requireDimension(q.dimension, dimension, "initial approximation")
        return BatchAndMatchState(approximation: q, workspace: DenseBaMWorkspace(dimension: dimension, batchSize: batchSize))
    }

    /// The approximation the state holds.
    public func approximation(of state: BatchAndMatchState) -> DenseGaussian { state.approximation }

    /// One BaM iteration.
    public func step<Model: LogDensityModel>(_ state: inout BatchAndMatchState, model: Model,
                                             using generator: inout Xoshiro256StarStar) throws -> StepReport {
        let q = state.approximation
        try requireDimension(model.dimension, q.dimension, "model")
        let rate = try schedule.checkedValue(at: state.iteration, multiplier: state.learningRateMultiplier,
                                            batchSize: batchSize, dimension: q.dimension)
        let decays = schedule.isDecaying(at: state.iteration)
        var fisher: Double?
        var report = try state.iterate(rate: rate, maxRetries: maxRetries, maxBadUpdates: maxBadUpdates) { state, evaluations, timings in
            var clock = PhaseClock()
            fisher = nil
            var points = q.sample(count: batchSize, using: &generator)
            timings.sampling += clock.lap()
            let nonFinite = try evaluateScores(model, at: &points, into: &state.workspace.scores, redrawLimit: maxRetries,
                                            evaluations: &evaluations) { b, points in
                q.redraw(column: b, of: &points, using: &generator)
            }
            timings.scores += clock.lap()
            if let nonFinite { return .nonFiniteScore(nonFinite) }
            defer { timings.update += clock.lap() }
            fisher = q.relativeFisherDivergence(points: points, scores: state.workspace.scores)
            return try update(q, points: points, scores: state.workspace.scores, rate: rate, workspace: &state.workspace.eigen)
        }
        report.relativeFisherDivergence = fisher
        report.learningRateDecays = decays
        return report
    }

    /// The closed-form update from one scored batch; a rejection when it is not finite and positive
    /// definite.
    private func update(_ q: DenseGaussian, points: Matrix, scores: Matrix, rate: Double,
                        workspace: inout SymmetricEigenWorkspace) throws -> UpdateOutcome<DenseGaussian> {
        let d = q.dimension, b = Double(points.columns)
        let xbar = TallSkinny.columnMean(points), gbar = TallSkinny.columnMean(scores)
        let meanWeight = (rate / (1 + rate)).squareRoot(), batchWeight = (rate / b).squareRoot()
        var centredScores = scores, centredPoints = points
        TallSkinny.centerColumns(&centredScores, around: gbar, scale: batchWeight)
        TallSkinny.centerColumns(&centredPoints, around: xbar, scale: batchWeight)
        let u = Matrix(concatenatingColumnsOf: [centredScores, Matrix(rows: d, columns: 1, elements: gbar.map { meanWeight * $0 })])
        let r = Matrix(concatenatingColumnsOf: [
            centredPoints, Matrix(rows: d, columns: 1, elements: (0..<d).map { meanWeight * (q.mean[$0] - xbar[$0]) }),
        ])
        var v = q.covariance
        BLAS.syrk(r, alpha: 1, beta: 1, triangle: .lower, into: &v)
        let l = try LinearAlgebraError.naming("BaM's Σ + RRᵀ (the covariance plus the centred batch)") {
            () throws(LinearAlgebraError) in try Cholesky(v).lower
        }
        let a = BLAS.syrk(BLAS.gemm(l, u, transA: .transpose))
        let eigen = try LinearAlgebraError.naming("BaM's LᵀUUᵀL (the scores through the factor)") {
            () throws(LinearAlgebraError) in try SymmetricEigen(a, workspace: &workspace)
        }
        let middle = eigen.map { 2 / (1 + (1 + 4 * Swift.max($0, 0)).squareRoot()) }
        let sigma = BLAS.gemm(BLAS.gemm(l, middle), l, transB: .transpose)
        let sg = BLAS.gemv(sigma, gbar)
        let keep = 1 / (1 + rate), move = rate / (1 + rate)
        let mean = (0..<d).map { keep * q.mean[$0] + move * (sg[$0] + xbar[$0]) }
        guard let next = try? DenseGaussian(mean: mean, covariance: sigma) else { return .rejected(emSteps: nil) }
        return .accepted(next, emSteps: nil)
    }
}

/// Dense BaM's state: the shared BaM-family state over the dense family.
public typealias BatchAndMatchState = BaMState<DenseGaussian, DenseBaMWorkspace>

/// Dense BaM's reusable buffers: the D×B score block and the D×D eigen workspace.
public struct DenseBaMWorkspace: Sendable {
    var scores: Matrix
    var eigen: SymmetricEigenWorkspace

    /// Buffers for dimension D and batch size B. Memory D·B doubles plus the eigensolver's scratch.
    init(dimension: Int, batchSize: Int) {
        scores = Matrix(rows: dimension, columns: batchSize)
        eigen = SymmetricEigenWorkspace(order: dimension)
    }
}
