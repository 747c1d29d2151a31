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
