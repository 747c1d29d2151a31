/// Budgets, stopping rule, callback and end-of-fit checks for `fit`.
///
/// At least one of `maxIterations` and `maxGradientEvaluations` must be set, so that every fit ends.
public struct FitOptions {
    /// Stop after this many iterations of this call (warm starts count afresh).
    public var maxIterations: Int?
    /// Stop once the cumulative score evaluations of this call reach this number.
    public var maxGradientEvaluations: Int?
    /// Stop early when the rule says the fit has converged.
    public var stoppingRule: StoppingRule?
    /// Called after every iteration with what it did and the approximation it left; returning
    /// `.stop` ends the fit.
    public var callback: ((IterationInfo, any GaussianApproximation) -> CallbackAction)?
    /// Keep every iteration's ``IterationInfo`` in `FitResult.trace` (memory O(iterations)).
    public var recordTrace: Bool
    /// Draws of the importance-sampling check run on the final approximation (``ImportanceDiagnostics``,
    /// PSIS k̂): 2S log-density evaluations, not counted as score evaluations nor in the fit's
    /// seconds, drawn from a stream of their own (the caller's generator is not advanced). 0 skips it
    /// (and the k̂ warning); otherwise at least 100.
    public var diagnosticDraws: Int

    /// Options with the given budgets, rule, callback and checks.
    public init(maxIterations: Int? = nil, maxGradientEvaluations: Int? = nil, stoppingRule: StoppingRule? = nil,
                callback: ((IterationInfo, any GaussianApproximation) -> CallbackAction)? = nil,
                recordTrace: Bool = false, diagnosticDraws: Int = 1000) {
        self.maxIterations = maxIterations
        self.maxGradientEvaluations = maxGradientEvaluations
        self.stoppingRule = stoppingRule
        self.callback = callback
        self.recordTrace = recordTrace
        self.diagnosticDraws = diagnosticDraws
    }
}

/// When a fit counts as converged.
///
/// - ``parameterChange(tolerance:patience:)``: the relative change of the approximation,
///   max(‖Δμ‖/‖μ‖, ‖Δσ²‖/‖σ²‖), stays below `tolerance` for `patience` consecutive accepted
///   iterations (reverted or retried ones reset the count). It measures how much the optimizer
///   moves, not how good q is: a slow optimizer (ADVI at a small step size) can stop far from the
///   posterior.
/// - ``fisherDivergence(below:window:)``: the median of the last `window` per-iteration estimates
///   of the relative Fisher divergence (``RelativeFisherDivergence``, from the scores each
///   iteration evaluates) is below `tolerance`. It measures q against p, so a slow optimizer does
///   not stop it early; it cannot stop a fit whose family cannot reach the tolerance.
///
/// Cost per check O(D) (parameter change, plus the family's marginal variances) or O(window).
public struct StoppingRule: Sendable, Equatable {
    /// What the rule watches.
    public enum Criterion: Sendable, Equatable {
        /// The relative change of μ and the marginal variances.
        case parameterChange
        /// The running median of the relative Fisher divergence estimates.
        case relativeFisherDivergence
    }

    /// What the rule watches.
    public var criterion: Criterion
    /// The threshold (> 0).
    public var tolerance: Double
    /// Consecutive quiet iterations (parameter change) or the median's window (Fisher), ≥ 1.
    public var patience: Int

    /// A rule with every field given.
    public init(criterion: Criterion = .parameterChange, tolerance: Double, patience: Int) {
        self.criterion = criterion
        self.tolerance = tolerance
        self.patience = patience
    }

    /// The relative-parameter-change rule.
    public static func parameterChange(tolerance: Double, patience: Int = 3) -> StoppingRule {
        StoppingRule(criterion: .parameterChange, tolerance: tolerance, patience: patience)
    }

    /// The score-based rule: stop when the median relative Fisher divergence of the last `window`
    /// iterations is below `tolerance`.
    public static func fisherDivergence(below tolerance: Double, window: Int = 10) -> StoppingRule {
        StoppingRule(criterion: .relativeFisherDivergence, tolerance: tolerance, patience: window)
    }
}

/// What the callback sees after each iteration.
public struct IterationInfo: Sendable, Equatable {
    /// The 0-based iteration of this fit call.
    public var iteration: Int
    /// Cumulative score evaluations of this fit call, retries and a `.mode` start's search included.
    public var gradientEvaluations: Int
    /// The learning rate the iteration used.
    public var learningRate: Double
    /// Passes over D of the patch (pBaM): eigen passes and objective evaluations of the profile
    /// patch, EM steps of the EM patch; nil for other algorithms.
    public var emSteps: Int?
    /// Seconds since the fit started.
    public var elapsedSeconds: Double
    /// Whether the iteration went through, retried, or reverted.
    public var status: StepStatus
    /// Seconds the iteration spent in each phase.
    public var timings: PhaseTimings
    /// The relative Fisher divergence of the iteration's starting q from its scored batch (see
    /// ``RelativeFisherDivergence``): about 1/√B relative noise, no extra score evaluation.
    public var relativeFisherDivergence: Double?
}

/// The callback's answer.
public enum CallbackAction: Sendable {
    /// Go on.
    case proceed
    /// End the fit now (reported as `StopReason.callback`).
    case stop
}

/// Why a fit returned.
public enum StopReason: Sendable, Equatable {
    /// The stopping rule was met.
    case converged
    /// `maxIterations` was reached.
    case iterationBudget
    /// `maxGradientEvaluations` was reached.
    case gradientBudget
    /// The callback returned `.stop`.
    case callback
}
