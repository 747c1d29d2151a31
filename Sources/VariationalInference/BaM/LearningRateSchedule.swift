/// The BaM learning rate λ_t as a function of the iteration t = 0, 1, 2, … (algorithm.md §5.1).
///
/// The default of ``PatchedBaM`` and ``BatchAndMatch`` is ``automatic``, λ_t = B·D/(1 + t): the
/// schedule of the paper's Gaussian experiments and of the LGCP runs, which needs no choice from
/// the user. With B < D the first steps then move q nearly all the way to the batch's match; on
/// stiff targets a smaller factor (`.scaled(factor: 0.1, exponent: 1)`) is the first thing to try.
/// λ_t stays above 1 for the first B·D iterations, so a fit that stops sooner ends on a step that
/// moved q most of the way to one batch's match, and the final q carries that batch's noise. On a
/// log-concave target a faster decay can help: on the README's D = 650 softmax
/// regression, `.scaled(factor: 0.001, exponent: 1)` or `.scaled(factor: 1, exponent: 2)` improves the
/// test log predictive density by 0.01 nats. The same settings cost 0.7–1.1 nats on a tanh network, so
/// compare them on your target rather than adopting them. What improved the ELBO on both is a small-λ tail
/// (``withTail(_:lambda:fraction:gradientEvaluations:batchSize:)``): the default schedule for most of
/// the budget, then a constant λ ≪ 1 that averages the last batches instead of jumping to each one.
public enum LearningRateSchedule: Sendable, Equatable {
    /// λ_t = λ₀.
    case constant(Double)
    /// λ_t = λ₀ / (1 + t)^s; s = 1 for the Gaussian benchmarks, 0.5 for the rank sweep.
    case decaying(initial: Double, exponent: Double)
    /// λ_t = factor·B·D / (1 + t)^s: scaled by the batch size B and the dimension D of the fit.
    case scaled(factor: Double, exponent: Double)
    /// λ_t falls linearly from `initial` at t = 0 to `final` at t = `iterations`, then stays at
    /// `final` (> 0: a BaM step with λ = 0 would not move q).
    case linearDecay(initial: Double, final: Double, iterations: Int)
    /// λ_t = final + ½(initial − final)(1 + cos(π·t/iterations)) for t < `iterations`, then `final`.
    case cosineDecay(initial: Double, final: Double, iterations: Int)
    /// `first` for t < `iteration`, then `then`, both evaluated at the fit's own t (the switch does
    /// not restart `then` at 0).
    indirect case switched(first: LearningRateSchedule, then: LearningRateSchedule, iteration: Int)

    /// λ_t = B·D/(1 + t), the default.
    public static let automatic = LearningRateSchedule.scaled(factor: 1, exponent: 1)

    /// `base` for the first (1 − `fraction`) of a budget of `gradientEvaluations` score evaluations,
    /// then the constant `lambda` for the rest: `.switched(first: base, then: .constant(lambda),
    /// iteration: ⌈(1 − fraction)·gradientEvaluations / batchSize⌉)`.
    ///
    /// A BaM step with λ moves q a fraction of about λ/(1 + λ) of the way to its batch's match, so
    /// λ = 0.02 averages over the last ~50 batches where λ_t ≫ 1 moves q all the way to the last one and
    /// leaves it with that batch's noise. Measured (README, `bench --experiment bnn`, 10⁴ evaluations,
    /// B = 16): on the D = 650 softmax regression the test log predictive density rises from −0.327 to
    /// −0.313 (ADVI-LR −0.317) and the −ELBO falls from 1,007 to 934; on a D = 602 tanh network the
    /// −ELBO falls from 796 to 515 and the predictive density moves by −0.13 / +0.10 nats on two seeds;
    /// on a D = 9,610 network started at the mode (``ModeSearch``) the −ELBO falls from 2,609 to 2,487.
    /// The tail is a constant, not a cap: where `base` has already decayed below `lambda` (B·D small
    /// against the iterations, as on the README's posteriordb models at D ≤ 13) it raises λ. There it
    /// was mixed (median error 0.022 → 0.015 on garch11, 0.0065 → 0.0093 on arK).
    /// Pass the same budget as `FitOptions.maxGradientEvaluations` and the fit's batch size; a fit
    /// that stops earlier (a stopping rule) may never reach the tail, and one continued from a warm
    /// start counts t from its state. The switch is placed by iterations, so retries (score
    /// evaluations that do not advance t) shorten the tail's share of the budget. Cost O(1).
    /// - Throws: `VariationalInferenceError.invalidArgument` for a fraction outside (0, 1), a λ that
    ///   is not finite and > 0, a budget or batch size < 1, or an invalid `base`.
    public static func withTail(_ base: LearningRateSchedule = .automatic, lambda: Double = 0.02, fraction: Double = 0.25,
                                gradientEvaluations: Int, batchSize: Int) throws -> LearningRateSchedule {
        try require(fraction > 0 && fraction < 1, "a tail's fraction of the budget must be in (0, 1), got \(fraction)")
        try require(gradientEvaluations >= 1 && batchSize >= 1,
                    "a tail needs a budget and a batch size ≥ 1, got \(gradientEvaluations) and \(batchSize)")
        let head = ((1 - fraction) * Double(gradientEvaluations) / Double(batchSize)).rounded(.up)
        let iteration = head >= Double(Int.max) ? Int.max : max(1, Int(head))
        let schedule = LearningRateSchedule.switched(first: base, then: .constant(lambda), iteration: iteration)
        try schedule.validate()
        return schedule
    }

    /// λ_t for a fit with batch size B and dimension D (used only by `.scaled`). Cost O(1).
    public func value(at t: Int, batchSize: Int, dimension: Int) -> Double {
        switch self {
        case .constant(let lambda): return lambda
        case .decaying(let initial, let exponent):
            return exponent == 1 ? initial / Double(1 + t) : initial / power(Double(1 + t), exponent)
        case .scaled(let factor, let exponent):
            let initial = factor * Double(batchSize) * Double(dimension)
            return exponent == 1 ? initial / Double(1 + t) : initial / power(Double(1 + t), exponent)
        case .linearDecay(let initial, let final, let iterations):
            return t >= iterations ? final : initial + (final - initial) * (Double(t) / Double(iterations))
        case .cosineDecay(let initial, let final, let iterations):
            return t >= iterations ? final
                : final + 0.5 * (initial - final) * (1 + cosine(Double.pi * Double(t) / Double(iterations)))
        case .switched(let first, let then, let iteration):
            return (t < iteration ? first : then).value(at: t, batchSize: batchSize, dimension: dimension)
        }
    }

    /// Whether λ_t comes from a decay rather than a constant the caller chose: false for `.constant`,
    /// for an exponent of 0, and for the part of a `.switched` in effect at t when that part is.
    func isDecaying(at t: Int) -> Bool {
        switch self {
        case .constant: return false
        case .decaying(_, let exponent), .scaled(_, let exponent): return exponent > 0
        case .linearDecay(let initial, let final, _), .cosineDecay(let initial, let final, _): return final < initial
        case .switched(let first, let then, let iteration): return (t < iteration ? first : then).isDecaying(at: t)
        }
    }

    /// λ_t times the safeguards' multiplier, checked: a schedule that decays to 0 in floating point
    /// (e.g. `.decaying(initial: 64, exponent: 400)` at t = 5) or a multiplier halved to 0 is an
    /// error that says so, not a step with λ = 0 that changes nothing.
    /// - Throws: `VariationalInferenceError.invalidArgument` naming t, λ_t and the multiplier when
    ///   the product is not finite and > 0.
    func checkedValue(at t: Int, multiplier: Double, batchSize: Int, dimension: Int) throws(VariationalInferenceError) -> Double {
        let base = value(at: t, batchSize: batchSize, dimension: dimension), rate = base * multiplier
        guard rate > 0 && rate.isFinite else {
            throw .invalidArgument("λ_t underflowed or overflowed at t = \(t): the schedule \(self) gives \(base), "
                                   + "the safeguards' multiplier is \(multiplier), so λ = \(rate); use a slower decay "
                                   + "(a smaller exponent) or fewer iterations")
        }
        return rate
    }

    /// Throws unless λ₀ is finite and > 0 and the exponent finite and ≥ 0 (for each part of a `.switched`).
    func validate() throws(VariationalInferenceError) {
        switch self {
        case .constant(let lambda):
            try require(lambda > 0 && lambda.isFinite, "learning rate λ must be finite and > 0, got \(lambda)")
        case .decaying(let initial, let exponent):
            try require(initial > 0 && initial.isFinite, "initial learning rate λ₀ must be finite and > 0, got \(initial)")
            try require(exponent >= 0 && exponent.isFinite, "learning-rate exponent s must be finite and ≥ 0, got \(exponent)")
        case .scaled(let factor, let exponent):
            try require(factor > 0 && factor.isFinite, "learning-rate factor on B·D must be finite and > 0, got \(factor)")
            try require(exponent >= 0 && exponent.isFinite, "learning-rate exponent s must be finite and ≥ 0, got \(exponent)")
        case .linearDecay(let initial, let final, let iterations), .cosineDecay(let initial, let final, let iterations):
            try require(initial > 0 && initial.isFinite, "initial learning rate λ₀ must be finite and > 0, got \(initial)")
            try require(final > 0 && final <= initial,
                        "a decay's final learning rate must be > 0 and ≤ λ₀ = \(initial), got \(final)")
            try require(iterations >= 1, "a decay's iterations must be ≥ 1, got \(iterations)")
        case .switched(let first, let then, let iteration):
            try require(iteration >= 1, "a switched schedule's switch iteration must be ≥ 1, got \(iteration)")
            try first.validate()
            try then.validate()
        }
    }
}
