/// Budgets, stopping rule and callback for `fit`.
///
/// At least one of `maxIterations` and `maxGradientEvaluations` must be set, so that every fit ends.
public struct FitOptions {
    /// Stop after this many iterations of this call (warm starts count afresh).
    public var maxIterations: Int?
    /// Stop once the cumulative score evaluations of this call reach this number.
    public var maxGradientEvaluations: Int?
    /// Stop early when the approximation stops moving.
    public var stoppingRule: StoppingRule?
    /// Called after every iteration; returning `.stop` ends the fit.
    public var callback: ((IterationInfo) -> CallbackAction)?

    /// Options with the given budgets, rule and callback.
    public init(maxIterations: Int? = nil, maxGradientEvaluations: Int? = nil, stoppingRule: StoppingRule? = nil,
                callback: ((IterationInfo) -> CallbackAction)? = nil) {
        self.maxIterations = maxIterations
        self.maxGradientEvaluations = maxGradientEvaluations
        self.stoppingRule = stoppingRule
        self.callback = callback
    }
}

/// Stops a fit when the relative change of the approximation, max(‖Δμ‖/‖μ‖, ‖Δσ²‖/‖σ²‖) over the
/// mean and the marginal variances, stays below `tolerance` for `patience` consecutive accepted
/// iterations. Reverted or retried iterations reset the count. Cost per check O(D) plus the cost of
/// the family's marginal variances.
public struct StoppingRule: Sendable, Equatable {
    /// The relative-change threshold (> 0).
    public var tolerance: Double
    /// How many consecutive iterations must be below it (≥ 1).
    public var patience: Int

    /// The relative-parameter-change rule.
    public static func parameterChange(tolerance: Double, patience: Int = 3) -> StoppingRule {
        StoppingRule(tolerance: tolerance, patience: patience)
    }
}

/// What the callback sees after each iteration.
public struct IterationInfo: Sendable, Equatable {
    /// The 0-based iteration of this fit call.
    public var iteration: Int
    /// Cumulative score evaluations of this fit call, retries included.
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
