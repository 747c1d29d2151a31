/// The Adam optimizer (Kingma & Ba, 2015) on a flat parameter vector, minimizing.
///
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − α_t·m̂/(√v̂ + ε) with bias-corrected m̂, v̂.
/// Defaults are optax's (β₁ 0.9, β₂ 0.999, ε 1e-8). Memory 2n; cost O(n) per step.
public struct Adam: Sendable {
    /// The step size α_t as a function of the step count.
    public var schedule: StepSizeSchedule
    /// The first-moment decay β₁ ∈ [0, 1).
    public var beta1: Double
    /// The second-moment decay β₂ ∈ [0, 1).
    public var beta2: Double
    /// The denominator offset ε > 0.
    public var epsilon: Double

    /// Adam with the given schedule and constants.
    /// - Throws: `VariationalInferenceError.invalidArgument` for β outside [0, 1), ε ≤ 0 or an invalid
    ///   schedule.
    public init(schedule: StepSizeSchedule, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8) throws(VariationalInferenceError) {
        try schedule.validate()
        try require(beta1 >= 0 && beta1 < 1, "Adam β₁ must be in [0, 1), got \(beta1)")
        try require(beta2 >= 0 && beta2 < 1, "Adam β₂ must be in [0, 1), got \(beta2)")
        try require(epsilon > 0 && epsilon.isFinite, "Adam ε must be finite and > 0, got \(epsilon)")
        self.schedule = schedule
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// One descent step on `parameters` along `gradient` (of the loss), advancing `moments`.
    /// Returns the step size used. Cost O(n).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when the lengths differ.
    @discardableResult
    public func descend(_ parameters: inout [Double], gradient: [Double], moments: inout AdamMoments) throws -> Double {
        let rate = try propose(&parameters, gradient: gradient, moments: moments)
        advance(&moments, gradient: gradient)
        return rate
    }

    /// The parameter half of `descend`: θ ← θ − α_t·m̂/(√v̂ + ε), with m̂ and v̂ the bias-corrected
    /// moments that the step would reach, leaving `moments` as they are. A caller that may still
    /// reject the step commits it with `advance(_:gradient:)`; the two together give `descend`
    /// bit for bit. A coordinate whose second moment overflows (|g| beyond ~1e154) gets NaN, so that
    /// the caller's finiteness check rejects the step instead of taking a silent zero step there.
    /// Returns the step size used. Cost O(n), no allocation.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when the lengths differ.
    func propose(_ parameters: inout [Double], gradient: [Double], moments: AdamMoments) throws -> Double {
        try requireDimension(gradient.count, parameters.count, "gradient")
        try requireDimension(moments.first.count, parameters.count, "Adam moments")
        let rate = schedule.value(at: moments.steps)
        let t = Double(moments.steps + 1)
        let correction1 = 1 - power(beta1, t), correction2 = 1 - power(beta2, t)
        for i in parameters.indices {
            let g = gradient[i]
            let first = beta1 * moments.first[i] + (1 - beta1) * g
            let second = beta2 * moments.second[i] + (1 - beta2) * g * g
            guard second.isFinite else {
                parameters[i] = .nan
                continue
            }
            let mHat = first / correction1, vHat = second / correction2
            parameters[i] -= rate * mHat / (vHat.squareRoot() + epsilon)
        }
        return rate
    }

    /// The moment half of `descend`: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², one more step counted.
    /// The gradient must have the moments' length. Cost O(n), no allocation.
    func advance(_ moments: inout AdamMoments, gradient: [Double]) {
        shapePrecondition(gradient.count == moments.first.count,
                     "Adam.advance: gradient of \(gradient.count) for \(moments.first.count) moments")
        moments.steps += 1
        for i in gradient.indices {
            let g = gradient[i]
            moments.first[i] = beta1 * moments.first[i] + (1 - beta1) * g
            moments.second[i] = beta2 * moments.second[i] + (1 - beta2) * g * g
        }
    }
}

/// Adam's running moments and step count for n parameters.
public struct AdamMoments: Sendable, Equatable, Codable {
    /// The first-moment estimate m.
    public internal(set) var first: [Double]
    /// The second-moment estimate v.
    public internal(set) var second: [Double]
    /// Steps taken so far.
    public internal(set) var steps: Int

    /// Zero moments for n parameters.
    public init(count: Int) {
        first = [Double](repeating: 0, count: count)
        second = [Double](repeating: 0, count: count)
        steps = 0
    }
}

/// An optimizer step size α as a function of the step count t = 0, 1, 2, ….
public enum StepSizeSchedule: Sendable, Equatable {
    /// α_t = α.
    case constant(Double)
    /// α_t = initial / (1 + t)^s (s = 1: inverse-time decay, s = ½: inverse square root).
    case decaying(initial: Double, exponent: Double)
    /// α_t falls linearly from `initial` to `final` over `steps` steps, then stays at `final`
    /// (the reference scripts: initial → 1e-5 over the run).
    case linearDecay(initial: Double, final: Double, steps: Int)
    /// α_t = final + ½(initial − final)(1 + cos(π·t/steps)) for t < steps, then `final`.
    case cosineDecay(initial: Double, final: Double, steps: Int)

    /// α_t.
    public func value(at t: Int) -> Double {
        switch self {
        case .constant(let rate): return rate
        case .decaying(let initial, let exponent):
            return exponent == 1 ? initial / Double(1 + t) : initial / power(Double(1 + t), exponent)
        case .linearDecay(let initial, let final, let steps):
            return t >= steps ? final : initial + (final - initial) * (Double(t) / Double(steps))
        case .cosineDecay(let initial, let final, let steps):
            return t >= steps ? final : final + 0.5 * (initial - final) * (1 + cosine(Double.pi * Double(t) / Double(steps)))
        }
    }

    /// Throws unless every rate is finite and > 0 (0 ≤ final ≤ initial) and steps ≥ 1.
    func validate() throws(VariationalInferenceError) {
        switch self {
        case .constant(let rate):
            try require(rate > 0 && rate.isFinite, "step size must be finite and > 0, got \(rate)")
        case .decaying(let initial, let exponent):
            try require(initial > 0 && initial.isFinite, "initial step size must be finite and > 0, got \(initial)")
            try require(exponent >= 0 && exponent.isFinite, "step-size exponent s must be finite and ≥ 0, got \(exponent)")
        case .linearDecay(let initial, let final, let steps), .cosineDecay(let initial, let final, let steps):
            try require(initial > 0 && initial.isFinite, "initial step size must be finite and > 0, got \(initial)")
            try require(final >= 0 && final.isFinite, "final step size must be finite and ≥ 0, got \(final)")
            try require(final <= initial, "a decay's final step size (\(final)) must be ≤ its initial one (\(initial))")
            try require(steps >= 1, "decay steps must be ≥ 1, got \(steps)")
        }
    }
}
