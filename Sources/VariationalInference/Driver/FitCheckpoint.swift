import LowRankLinalg

/// What a fit must keep to resume later, in another process: the approximation, the schedule
/// position and the safeguards' counters, and Adam's moments for the ADVIs. `Codable` (JSON, plist,
/// …); a state resumed from it continues λ_t (or Adam's step size and bias corrections) where the fit
/// stopped, where a restart from `.given(q)` would start the schedule again at t = 0.
///
/// Not kept: the reusable buffers (rebuilt), the approximation an exhausted retry would revert to
/// (the first iteration after a resume has nothing to undo), and pBaM's profile-patch memory (the
/// first patch after a resume starts from the exact eigenbasis, as every patch does, but without the
/// previous patch's L-BFGS pairs). Dense BaM and the ADVIs resume bit-identically when the
/// generator is saved too (`Xoshiro256StarStar` is `Codable`). Size D(K + 2) numbers for pBaM,
/// D(D + 1) for dense BaM, plus 2 numbers per parameter with Adam.
public struct FitCheckpoint<Approximation: GaussianApproximation & Codable>: Codable, Sendable {
    /// The approximation at the checkpoint.
    public var approximation: Approximation
    /// BaM and pBaM: the iteration counter t, the schedule position. ADVI: Adam's step count.
    public var iteration: Int
    /// BaM and pBaM: the safeguards' λ multiplier (1 after an accepted update).
    public var learningRateMultiplier: Double
    /// Rejected updates so far.
    public var badUpdates: Int
    /// The ADVIs: Adam's moments (nil for BaM and pBaM).
    public var moments: AdamMoments?
    /// Full-rank ADVI: the optimized factor L of Σ = LLᵀ (D×D; nil otherwise).
    public var factor: Matrix?
}

/// An algorithm whose fits can be saved and resumed through a ``FitCheckpoint``.
public protocol ResumableAlgorithm: VariationalAlgorithm where Approximation: Codable {
    /// The checkpoint of `state`. Cost: a copy of the parameters (and of Adam's moments).
    func checkpoint(of state: State) -> FitCheckpoint<Approximation>
    /// A state that continues from `checkpoint`, to pass as `fit(…, from:)`.
    /// - Throws: `VariationalInferenceError` when the checkpoint does not fit these settings (another
    ///   rank, missing Adam moments of the wrong length, a negative counter).
    func state(resuming checkpoint: FitCheckpoint<Approximation>) throws -> State
}

extension BaMState where Approximation: Codable {
    /// The checkpoint of a BaM or pBaM state.
    var checkpoint: FitCheckpoint<Approximation> {
        FitCheckpoint(approximation: approximation, iteration: iteration, learningRateMultiplier: learningRateMultiplier,
                      badUpdates: badUpdates, moments: nil, factor: nil)
    }

    /// A state at the checkpoint with the given buffers.
    init(resuming checkpoint: FitCheckpoint<Approximation>, workspace: Workspace) throws {
        try require(checkpoint.iteration >= 0 && checkpoint.badUpdates >= 0,
                    "checkpoint counters must be ≥ 0, got t = \(checkpoint.iteration), \(checkpoint.badUpdates) bad updates")
        try require(checkpoint.learningRateMultiplier > 0 && checkpoint.learningRateMultiplier <= 1,
                    "checkpoint λ multiplier must be in (0, 1], got \(checkpoint.learningRateMultiplier)")
        self.init(approximation: checkpoint.approximation, workspace: workspace)
        iteration = checkpoint.iteration
        learningRateMultiplier = checkpoint.learningRateMultiplier
        badUpdates = checkpoint.badUpdates
    }
}

extension PatchedBaM: ResumableAlgorithm {
    /// The checkpoint of a pBaM state.
    public func checkpoint(of state: PatchedBaMState) -> FitCheckpoint<LowRankGaussian> { state.checkpoint }

    /// A pBaM state at the checkpoint, with new buffers.
    /// - Throws: `.invalidArgument` for another rank or bad counters.
    public func state(resuming checkpoint: FitCheckpoint<LowRankGaussian>) throws -> PatchedBaMState {
        try requireStateRank("PatchedBaM", state: checkpoint.approximation.rank, rank: rank)
        let q = checkpoint.approximation
        return try PatchedBaMState(resuming: checkpoint,
                                   workspace: PatchedBaMWorkspace(dimension: q.dimension, rank: rank, batchSize: batchSize,
                                                                  patch: patch))
    }
}

extension BatchAndMatch: ResumableAlgorithm {
    /// The checkpoint of a dense BaM state.
    public func checkpoint(of state: BatchAndMatchState) -> FitCheckpoint<DenseGaussian> { state.checkpoint }

    /// A dense BaM state at the checkpoint, with new buffers.
    /// - Throws: `.invalidArgument` for bad counters.
    public func state(resuming checkpoint: FitCheckpoint<DenseGaussian>) throws -> BatchAndMatchState {
        try BatchAndMatchState(resuming: checkpoint,
                               workspace: DenseBaMWorkspace(dimension: checkpoint.approximation.dimension, batchSize: batchSize))
    }
}

/// Checks that a checkpoint carries Adam moments for `count` parameters and a non-negative count.
func requireMoments(_ checkpoint: FitCheckpoint<some GaussianApproximation & Codable>, count: Int,
                    _ name: String) throws -> AdamMoments {
    guard let moments = checkpoint.moments else {
        throw VariationalInferenceError.invalidArgument("a \(name) checkpoint needs Adam's moments; this one has none")
    }
    try requireDimension(moments.first.count, count, "\(name) checkpoint Adam first moments")
    try requireDimension(moments.second.count, count, "\(name) checkpoint Adam second moments")
    try require(moments.steps >= 0 && checkpoint.badUpdates >= 0, "checkpoint counters must be ≥ 0")
    return moments
}

extension ADVIDiagonal: ResumableAlgorithm {
    /// The checkpoint of an ADVI-D state.
    public func checkpoint(of state: ADVIDiagonalState) -> FitCheckpoint<DiagonalGaussian> {
        FitCheckpoint(approximation: state.approximation, iteration: state.moments.steps, learningRateMultiplier: 1,
                      badUpdates: state.badUpdates, moments: state.moments, factor: nil)
    }

    /// An ADVI-D state at the checkpoint.
    /// - Throws: `.invalidArgument` / `.dimensionMismatch` for missing or mis-sized moments.
    public func state(resuming checkpoint: FitCheckpoint<DiagonalGaussian>) throws -> ADVIDiagonalState {
        var state = ADVIDiagonalState(approximation: checkpoint.approximation, batchSize: batchSize)
        state.moments = try requireMoments(checkpoint, count: 2 * checkpoint.approximation.dimension, "ADVI-D")
        state.badUpdates = checkpoint.badUpdates
        return state
    }
}

extension ADVILowRank: ResumableAlgorithm {
    /// The checkpoint of an ADVI-LR state.
    public func checkpoint(of state: ADVILowRankState) -> FitCheckpoint<LowRankGaussian> {
        FitCheckpoint(approximation: state.approximation, iteration: state.moments.steps, learningRateMultiplier: 1,
                      badUpdates: state.badUpdates, moments: state.moments, factor: nil)
    }

    /// An ADVI-LR state at the checkpoint, with new buffers.
    /// - Throws: `.invalidArgument` for another rank or missing moments; `.dimensionMismatch` for
    ///   mis-sized moments.
    public func state(resuming checkpoint: FitCheckpoint<LowRankGaussian>) throws -> ADVILowRankState {
        let q = checkpoint.approximation
        try requireStateRank("ADVILowRank", state: q.rank, rank: rank)
        var state = ADVILowRankState(approximation: q, batchSize: batchSize)
        state.moments = try requireMoments(checkpoint, count: q.dimension * (q.rank + 2), "ADVI-LR")
        state.badUpdates = checkpoint.badUpdates
        return state
    }
}

extension ADVIFullRank: ResumableAlgorithm {
    /// The checkpoint of a full-rank ADVI state, with its factor L.
    public func checkpoint(of state: ADVIFullRankState) -> FitCheckpoint<DenseGaussian> {
        FitCheckpoint(approximation: state.approximation, iteration: state.moments.steps, learningRateMultiplier: 1,
                      badUpdates: state.badUpdates, moments: state.moments, factor: state.factor)
    }

    /// A full-rank ADVI state at the checkpoint (its factor, or the Cholesky factor of Σ when the
    /// checkpoint has none).
    /// - Throws: `.invalidArgument` for missing moments; `.dimensionMismatch` for a mis-sized
    ///   factor or moments.
    public func state(resuming checkpoint: FitCheckpoint<DenseGaussian>) throws -> ADVIFullRankState {
        let q = checkpoint.approximation, d = q.dimension
        let factor = checkpoint.factor ?? q.cholesky.lower
        try requireDimension(factor.rows, d, "full-rank ADVI checkpoint factor rows")
        try requireDimension(factor.columns, d, "full-rank ADVI checkpoint factor columns")
        var state = ADVIFullRankState(approximation: q, factor: factor, batchSize: batchSize)
        state.moments = try requireMoments(checkpoint, count: d + d * d, "full-rank ADVI")
        state.badUpdates = checkpoint.badUpdates
        return state
    }
}
