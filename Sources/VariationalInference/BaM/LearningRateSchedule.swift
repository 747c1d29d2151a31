/// The BaM learning rate λ_t as a function of the iteration t = 0, 1, 2, … (algorithm.md §5.1).
public enum LearningRateSchedule: Sendable, Equatable {
    /// λ_t = λ₀.
    case constant(Double)
    /// λ_t = λ₀ / (1 + t)^s; s = 1 for the Gaussian benchmarks, 0.5 for the rank sweep.
    case decaying(initial: Double, exponent: Double)

    /// λ_t.
    public func value(at t: Int) -> Double {
        switch self {
        case .constant(let lambda): return lambda
        case .decaying(let initial, let exponent):
            return exponent == 1 ? initial / Double(1 + t) : initial / power(Double(1 + t), exponent)
        }
    }

    /// λ_t times the safeguards' multiplier, checked: a schedule that decays to 0 in floating point
    /// (e.g. `.decaying(initial: 64, exponent: 400)` at t = 5) or a multiplier halved to 0 is an
    /// error that says so, not a step with λ = 0 that changes nothing.
    /// - Throws: `VariationalInferenceError.invalidArgument` naming t, λ_t and the multiplier when
    ///   the product is not finite and > 0.
    func checkedValue(at t: Int, multiplier: Double) throws(VariationalInferenceError) -> Double {
        let base = value(at: t), rate = base * multiplier
        guard rate > 0 && rate.isFinite else {
            throw .invalidArgument("λ_t underflowed or overflowed at t = \(t): the schedule \(self) gives \(base), "
                                   + "the safeguards' multiplier is \(multiplier), so λ = \(rate); use a slower decay "
                                   + "(a smaller exponent) or fewer iterations")
        }
        return rate
    }

    /// Throws unless λ₀ is finite and > 0 and the exponent finite and ≥ 0.
    func validate() throws(VariationalInferenceError) {
        switch self {
        case .constant(let lambda):
            try require(lambda > 0 && lambda.isFinite, "learning rate λ must be finite and > 0, got \(lambda)")
        case .decaying(let initial, let exponent):
            try require(initial > 0 && initial.isFinite, "initial learning rate λ₀ must be finite and > 0, got \(initial)")
            try require(exponent >= 0 && exponent.isFinite, "learning-rate exponent s must be finite and ≥ 0, got \(exponent)")
        }
    }
}
