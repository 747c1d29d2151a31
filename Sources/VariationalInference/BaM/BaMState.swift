import LowRankLinalg

/// What BaM and pBaM carry between iterations: the approximation, the iteration counter t, the
/// safeguard bookkeeping of algorithm.md §5.4 and the reusable buffers. Pass it back to
/// `fit(…, from:)` to continue a fit.
///
/// The safeguards: an accepted update resets the λ multiplier to 1 and remembers the approximation
/// it replaced; a rejected update (non-finite scores or update) keeps the parameters, halves the
/// multiplier and counts a bad update; an iteration that runs out of retries undoes the previous
/// accepted update in the same way. pBaM scales its EM tolerance by the same multiplier. Keeping the
/// previous approximation doubles the memory of q.
///
/// `Workspace` holds the algorithm's reusable buffers (`PatchedBaMWorkspace`, `DenseBaMWorkspace`),
/// allocated once by `initialState` and reused by every iteration.
public struct BaMState<Approximation: GaussianApproximation, Workspace: Sendable>: Sendable {
    /// The current approximation.
    public internal(set) var approximation: Approximation
    /// The iteration counter t (rejected updates count).
    public internal(set) var iteration = 0
    /// The factor on λ_t (halved after each rejected update, reset to 1 after an accepted one).
    public internal(set) var learningRateMultiplier = 1.0
    /// Rejected updates so far.
    public internal(set) var badUpdates = 0
    /// The approximation before the last accepted update, restored when the next iteration exhausts
    /// its retries; nil at the start and after a restore.
    public internal(set) var previousApproximation: Approximation?
    var workspace: Workspace

    /// A fresh state at `approximation` with its workspace.
    init(approximation: Approximation, workspace: Workspace) {
        self.approximation = approximation
        self.workspace = workspace
    }

    /// One safeguarded iteration at learning rate `rate`: `attempt` draws and scores a batch (adding
    /// its score evaluations and phase times to the counters it is given) and returns the update; it
    /// is redone after recoverable failures (`retrying`), and the outcome is applied as described on
    /// the type. The approximation that an accepted update pushes out of `previousApproximation` is
    /// handed to `recycle`, so that its storage can serve the next update.
    /// - Throws: `StepFailure` when the fit must stop, with the state unchanged.
    mutating func iterate(rate: Double, maxRetries: Int, maxBadUpdates: Int,
                          recycle: (inout Workspace, consuming Approximation) -> Void = { _, _ in },
                          attempt: (inout BaMState, inout Int, inout PhaseTimings) throws -> UpdateOutcome<Approximation>)
        throws -> StepReport {
        var evaluations = 0
        var timings = PhaseTimings()
        let outcome: UpdateOutcome<Approximation>, failures: Int
        do {
            (outcome, failures) = try retrying(maxRetries: maxRetries, evaluations: { evaluations }) {
                try attempt(&self, &evaluations, &timings)
            }
        } catch let failure as StepFailure {
            // With nothing to undo (the first iteration, or right after an undo), a numerical failure
            // keeps q and halves λ, which is what an overflow at a large λ needs; a model that keeps
            // failing stops the fit.
            guard failure.exhaustedRetries, previousApproximation != nil || failure.underlying is LinearAlgebraError else {
                throw failure
            }
            let report = try reject(evaluations: failure.gradientEvaluations, rate: rate, emSteps: nil,
                                    timings: timings, maxBadUpdates: maxBadUpdates)
            if let previous = previousApproximation.take() { approximation = previous }
            return report
        }
        switch outcome {
        case .accepted(let next, let emSteps):
            let replaced = previousApproximation.take()
            previousApproximation = approximation
            approximation = next
            if let replaced { recycle(&workspace, replaced) }
            iteration += 1
            learningRateMultiplier = 1
            return StepReport(gradientEvaluations: evaluations, learningRate: rate, emSteps: emSteps,
                              status: acceptedStatus(failures: failures), timings: timings)
        case .rejected(let emSteps):
            return try reject(evaluations: evaluations, rate: rate, emSteps: emSteps, timings: timings,
                              maxBadUpdates: maxBadUpdates)
        case .nonFiniteScore(let location):
            var report = try reject(evaluations: evaluations, rate: rate, emSteps: nil, timings: timings,
                                    maxBadUpdates: maxBadUpdates)
            report.nonFiniteScore = location
            return report
        }
    }

    /// Keeps the parameters, halves the λ multiplier and counts a bad update; throws once more than
    /// `maxBadUpdates` have happened, leaving the state as it was.
    private mutating func reject(evaluations: Int, rate: Double, emSteps: Int?, timings: PhaseTimings,
                                 maxBadUpdates: Int) throws -> StepReport {
        try countRejectedUpdate(&badUpdates, maxBadUpdates: maxBadUpdates, evaluations: evaluations)
        iteration += 1
        learningRateMultiplier *= 0.5
        return StepReport(gradientEvaluations: evaluations, learningRate: rate, emSteps: emSteps, status: .reverted,
                          timings: timings)
    }
}
