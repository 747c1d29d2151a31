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
public struct BaMState<Approximation: GaussianApproximation>: Sendable {
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
    var scores: Matrix
    var eigenWorkspace: SymmetricEigenWorkspace

    /// A fresh state at `approximation`, with a D×B score buffer and an eigen workspace of the given
    /// order (B+1 for pBaM's match, D for dense BaM).
    init(approximation: Approximation, batchSize: Int, eigenOrder: Int) {
        self.approximation = approximation
        scores = Matrix(rows: approximation.dimension, columns: batchSize)
        eigenWorkspace = SymmetricEigenWorkspace(order: eigenOrder)
    }

    /// One safeguarded iteration at learning rate `rate`: `attempt` draws and scores a batch (adding
    /// its score evaluations to the counter it is given) and returns the update; it is redone after
    /// recoverable failures (`retrying`), and the outcome is applied as described on the type.
    /// - Throws: `StepFailure` when the fit must stop, with the state unchanged.
    mutating func iterate(rate: Double, maxRetries: Int, maxBadUpdates: Int,
                          attempt: (inout BaMState, inout Int) throws -> UpdateOutcome<Approximation>) throws -> StepReport {
        let start = approximation
        var evaluations = 0
        let outcome: UpdateOutcome<Approximation>, failures: Int
        do {
            (outcome, failures) = try retrying(maxRetries: maxRetries, evaluations: { evaluations }) {
                try attempt(&self, &evaluations)
            }
        } catch let failure as StepFailure {
            guard failure.exhaustedRetries, let previous = previousApproximation else { throw failure }
            let report = try reject(evaluations: failure.gradientEvaluations, rate: rate, emSteps: nil, maxBadUpdates: maxBadUpdates)
            approximation = previous
            previousApproximation = nil
            return report
        }
        switch outcome {
        case .accepted(let next, let emSteps):
            previousApproximation = start
            approximation = next
            iteration += 1
            learningRateMultiplier = 1
            return StepReport(gradientEvaluations: evaluations, learningRate: rate, emSteps: emSteps,
                              status: acceptedStatus(failures: failures))
        case .rejected(let emSteps):
            return try reject(evaluations: evaluations, rate: rate, emSteps: emSteps, maxBadUpdates: maxBadUpdates)
        }
    }

    /// Keeps the parameters, halves the λ multiplier and counts a bad update; throws once more than
    /// `maxBadUpdates` have happened, leaving the state as it was.
    private mutating func reject(evaluations: Int, rate: Double, emSteps: Int?, maxBadUpdates: Int) throws -> StepReport {
        try countRejectedUpdate(&badUpdates, maxBadUpdates: maxBadUpdates, evaluations: evaluations)
        iteration += 1
        learningRateMultiplier *= 0.5
        return StepReport(gradientEvaluations: evaluations, learningRate: rate, emSteps: emSteps, status: .reverted)
    }
}
