/// Wall-clock seconds one iteration spent in each phase (retries included), as measured by the
/// algorithm with `ContinuousClock`. Phases an algorithm does not have stay 0.
public struct PhaseTimings: Sendable, Equatable {
    /// Drawing the batch from q.
    public var sampling: Double
    /// Evaluating the B scores (the model's `gradients(at:into:)`).
    public var scores: Double
    /// The closed-form BaM match (BaM, pBaM), or ADVI's ELBO gradient and Adam step.
    public var update: Double
    /// pBaM's patch: EM for factor analysis, and the new approximation.
    public var patch: Double

    /// Timings with every phase given (default 0).
    public init(sampling: Double = 0, scores: Double = 0, update: Double = 0, patch: Double = 0) {
        self.sampling = sampling
        self.scores = scores
        self.update = update
        self.patch = patch
    }

    /// The sum of the phases.
    public var total: Double { sampling + scores + update + patch }
}

/// A stopwatch over `ContinuousClock` for splitting an iteration into phases; reading it allocates
/// nothing.
struct PhaseClock {
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant

    /// Starts timing now.
    init() { mark = clock.now }

    /// Seconds since the previous lap (or the start), and restarts from now.
    mutating func lap() -> Double {
        let now = clock.now
        let elapsed = now - mark
        mark = now
        return elapsed.inSeconds
    }
}
