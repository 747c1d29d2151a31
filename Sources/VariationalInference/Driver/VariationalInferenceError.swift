/// Errors in how an algorithm or a fit was set up or in what a model returned.
public enum VariationalInferenceError: Error, Equatable, Sendable {
    /// A setting is outside its valid range (rank ≥ D, batch < 1, λ ≤ 0, η ∉ [1, 2), …); the
    /// message names it and its value.
    case invalidArgument(String)
    /// An array or matrix has the wrong size: `what` names it.
    case dimensionMismatch(what: String, expected: Int, actual: Int)
    /// A value that must be finite is not: `what` names it.
    case nonFinite(what: String)
    /// Every one of the fit's `iterations` was reverted (non-finite scores or updates): the
    /// approximation is the start, unchanged. Lower the learning rate, check the score for NaN or
    /// overflow at the start's draws, or start closer to the posterior.
    case noAcceptedSteps(iterations: Int)
    /// The first iteration of a fresh fit (no warm-start state), with nothing to fall back on, met a
    /// non-finite score at draws from the start: a bug in the gradient, or a start far outside the
    /// region where the model is finite.
    case nonFiniteScore(NonFiniteScore, iteration: Int)
    /// A ``LowRankInitialization/mode(_:)`` start's search spent `evaluations` score evaluations,
    /// all of the fit's `budget`, so no iteration ran.
    case budgetSpentOnStart(evaluations: Int, budget: Int)
}

extension VariationalInferenceError: CustomStringConvertible {
    /// What failed and what to try, in at most a few hundred characters.
    public var description: String {
        switch self {
        case .invalidArgument(let message):
            return "invalid argument: \(message.prefix(300))"
        case .dimensionMismatch(let what, let expected, let actual):
            return "dimension mismatch: \(what.prefix(120)) has size \(actual), expected \(expected)"
        case .nonFinite(let what):
            return "\(what.prefix(120)) is not finite (NaN or ±∞)"
        case .noAcceptedSteps(let iterations):
            return "all \(iterations) iterations were reverted (non-finite scores or updates), q is the start unchanged; "
                + "lower the learning rate, check the score for NaN or overflow at the start's draws, or start closer"
        case .nonFiniteScore(let location, let iteration):
            return "non-finite model score in iteration \(iteration): \(location); check the gradient "
                + "(GradientCheck) at the start's draws, or start where the model is finite"
        case .budgetSpentOnStart(let evaluations, let budget):
            return "the mode search spent \(evaluations) score evaluations, the whole budget of \(budget), so no "
                + "iteration ran; raise maxGradientEvaluations or lower ModeSearch's maxIterations"
        }
    }
}

/// Throws `.invalidArgument(message)` unless `condition` holds.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(VariationalInferenceError) {
    if !condition { throw .invalidArgument(message()) }
}

/// Throws `.dimensionMismatch(what:expected:actual:)` unless `actual == expected`.
func requireDimension(_ actual: Int, _ expected: Int, _ what: String) throws(VariationalInferenceError) {
    if actual != expected { throw .dimensionMismatch(what: what, expected: expected, actual: actual) }
}
