import LowRankLinalg

/// An iterative variational algorithm in the init / step / approximation shape (as in AdvancedVI.jl),
/// run by ``fit(_:model:using:options:from:)``.
///
/// `step` either advances `state` and reports what it did, or throws and leaves `state` exactly as it
/// was, so that the driver can hand back the last good approximation.
public protocol VariationalAlgorithm {
    /// Everything the algorithm carries between iterations (parameters, iteration counter, learning
    /// rate multipliers, workspaces). Reusing it warm-starts a fit.
    associatedtype State
    /// The Gaussian family the algorithm fits.
    associatedtype Approximation: GaussianApproximation

    /// The starting state for a target of dimension `dimension`, drawn from `generator` where the
    /// initialization is random.
    /// - Throws: `VariationalInferenceError.invalidArgument` when the settings do not fit `dimension`.
    func initialState(dimension: Int, using generator: inout Xoshiro256StarStar) throws -> State

    /// The starting state for `model`, and the mode search that found it, if one ran: what
    /// ``fit(_:model:using:options:from:)`` starts a fresh fit from. The default is
    /// `initialState(dimension: model.dimension, using:)` with no search; pBaM and ADVI-LR with
    /// ``LowRankInitialization/mode(_:)`` run their ``ModeSearch`` on `model` here.
    /// - Throws: what `initialState(dimension:using:)` throws, and the search's errors.
    func initialState<Model: LogDensityModel>(for model: Model, using generator: inout Xoshiro256StarStar) throws
        -> (state: State, modeSearch: ModeSearchResult?)

    /// One iteration: draws a batch, evaluates its scores with `model` and updates `state`.
    func step<Model: LogDensityModel>(_ state: inout State, model: Model,
                                      using generator: inout Xoshiro256StarStar) throws -> StepReport

    /// The approximation that `state` holds.
    func approximation(of state: State) -> Approximation
}

extension VariationalAlgorithm {
    /// `initialState(dimension: model.dimension, using:)`, found with no mode search.
    /// - Throws: what `initialState(dimension:using:)` throws.
    public func initialState<Model: LogDensityModel>(for model: Model, using generator: inout Xoshiro256StarStar) throws
        -> (state: State, modeSearch: ModeSearchResult?) {
        (try initialState(dimension: model.dimension, using: &generator), nil)
    }
}

/// What one iteration did.
public struct StepReport: Sendable, Equatable {
    /// Score evaluations made in this iteration, retries included.
    public var gradientEvaluations: Int
    /// The learning rate used (λ for BaM/pBaM, the Adam step size for ADVI).
    public var learningRate: Double
    /// Passes over D of the patch (pBaM): eigen passes and objective evaluations of the profile
    /// patch, EM steps of the EM patch; nil for other algorithms.
    public var emSteps: Int?
    /// Whether the step went through, needed retries, or was rejected and reverted.
    public var status: StepStatus
    /// Seconds spent in each phase of the iteration.
    public var timings: PhaseTimings
    /// For a step rejected for non-finite scores, where the first one was; nil otherwise.
    public var nonFiniteScore: NonFiniteScore?
    /// The relative Fisher divergence of the iteration's starting q, estimated from the batch it
    /// scored (``RelativeFisherDivergence``); nil when the scores were not finite.
    public var relativeFisherDivergence: Double?
    /// pBaM: whether the patch met its tolerance before its cap on passes (false: it stopped at the
    /// cap); nil for other algorithms and when no patch ran.
    public var patchConverged: Bool?
    /// BaM, pBaM: whether λ came from a decaying part of the schedule (false for a `.constant` λ the
    /// caller chose, such as the tail of ``LearningRateSchedule/withTail(_:lambda:fraction:gradientEvaluations:batchSize:)``),
    /// for the ``FitWarning/learningRateDecayed(lambda:late:)`` check; nil for other algorithms.
    var learningRateDecays: Bool?

    /// A report with every field given.
    public init(gradientEvaluations: Int, learningRate: Double, emSteps: Int? = nil, status: StepStatus = .ok,
                timings: PhaseTimings = PhaseTimings()) {
        self.gradientEvaluations = gradientEvaluations
        self.learningRate = learningRate
        self.emSteps = emSteps
        self.status = status
        self.timings = timings
    }
}

/// The outcome of one iteration.
public enum StepStatus: Sendable, Equatable {
    /// The update was accepted at the first try.
    case ok
    /// The update was accepted after this many recoverable failures, each redone with a fresh batch.
    case retried(Int)
    /// The update was non-finite or the scores were; the parameters were kept and the learning rate
    /// multiplier halved.
    case reverted
}
