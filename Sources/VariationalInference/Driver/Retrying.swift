import LowRankLinalg

/// Runs one iteration's `attempt` (draw a batch, score it, update), redoing it with a fresh batch
/// after a recoverable ``ModelError`` or a `LinearAlgebraError`, at most `maxRetries` times
/// (algorithm.md §5.4).
///
/// Any other error, a non-recoverable ``ModelError``, or one failure too many is rethrown as a
/// `StepFailure` carrying `evaluations()`, the score evaluations spent so far in the iteration.
/// - Returns: the attempt's value and how many failures preceded it.
func retrying<T>(maxRetries: Int, evaluations: () -> Int, _ attempt: () throws -> T) throws -> (value: T, failures: Int) {
    var failures = 0
    while true {
        do {
            return (try attempt(), failures)
        } catch let failure as StepFailure {
            throw failure
        } catch let error as ModelError where error.isRecoverable {
            failures += 1
            if failures > maxRetries {
                throw StepFailure(underlying: error, gradientEvaluations: evaluations(), exhaustedRetryLimit: maxRetries)
            }
        } catch let error as LinearAlgebraError {
            failures += 1
            if failures > maxRetries {
                throw StepFailure(underlying: error, gradientEvaluations: evaluations(), exhaustedRetryLimit: maxRetries)
            }
        } catch {
            throw StepFailure(underlying: error, gradientEvaluations: evaluations())
        }
    }
}

extension StepFailure {
    /// Whether the iteration failed because its retries ran out on recoverable failures (a
    /// recoverable ``ModelError`` or a `LinearAlgebraError`), rather than on a fatal error.
    var exhaustedRetries: Bool {
        (underlying as? ModelError)?.isRecoverable == true || underlying is LinearAlgebraError
    }
}

/// The largest batch size or rank: BLAS indexes with 32-bit integers, and B + 2 must not overflow.
let largestBLASSize = Int(Int32.max) - 2

/// The settings check that pBaM, BaM and the ADVIs share: 1 ≤ B ≤ 2³¹ − 3 and non-negative retry
/// limits, with the messages naming the algorithm (`name`, e.g. "ADVI-D"), the setting and its value.
/// - Throws: `VariationalInferenceError.invalidArgument`.
func validateSafeguardSettings(_ name: String, batchSize: Int, maxRetries: Int,
                               maxBadUpdates: Int) throws(VariationalInferenceError) {
    try require(batchSize >= 1, "\(name) batch size B must be ≥ 1, got \(batchSize)")
    try require(batchSize <= largestBLASSize, "\(name) batch size B must be ≤ \(largestBLASSize) (BLAS's 32-bit sizes), got \(batchSize)")
    try require(maxRetries >= 0, "\(name) maxRetries must be ≥ 0, got \(maxRetries)")
    try require(maxBadUpdates >= 0, "\(name) maxBadUpdates must be ≥ 0, got \(maxBadUpdates)")
}

/// The rank check of pBaM and ADVI-LR: 1 ≤ K ≤ 2³¹ − 3 (K < D is checked with the dimension).
/// - Throws: `VariationalInferenceError.invalidArgument`.
func validateRank(_ name: String, rank: Int) throws(VariationalInferenceError) {
    try require(rank >= 1, "\(name) rank K must be ≥ 1, got \(rank)")
    try require(rank <= largestBLASSize, "\(name) rank K must be ≤ \(largestBLASSize) (BLAS's 32-bit sizes), got \(rank)")
}

/// The warm-start check of pBaM and ADVI-LR: the state's approximation has the algorithm's rank.
/// - Throws: `VariationalInferenceError.invalidArgument` naming both ranks.
func requireStateRank(_ name: String, state stateRank: Int, rank: Int) throws(VariationalInferenceError) {
    try require(stateRank == rank, "the state's approximation has rank \(stateRank), this \(name) has rank K = \(rank); "
                + "warm-start from a state of the same rank, or pass the approximation as initialization: .given(q)")
}

/// The outcome of one attempt at an update.
enum UpdateOutcome<Approximation> {
    /// The new approximation, with the EM steps it took (pBaM) or nil.
    case accepted(Approximation, emSteps: Int?)
    /// Non-finite scores or update: keep the parameters (EM steps spent, if any).
    case rejected(emSteps: Int?)
    /// Non-finite scores: keep the parameters; where the first one was.
    case nonFiniteScore(NonFiniteScore)
}

/// The retry status of an accepted update after `failures` recoverable failures.
func acceptedStatus(failures: Int) -> StepStatus {
    failures == 0 ? .ok : .retried(failures)
}

/// Counts a rejected update (parameters kept), or throws `AlgorithmError.tooManyBadUpdates` as a
/// `StepFailure` once `maxBadUpdates` have already happened, leaving `badUpdates` unchanged.
func countRejectedUpdate(_ badUpdates: inout Int, maxBadUpdates: Int, evaluations: Int) throws {
    guard badUpdates < maxBadUpdates else {
        throw StepFailure(underlying: AlgorithmError.tooManyBadUpdates(badUpdates + 1), gradientEvaluations: evaluations)
    }
    badUpdates += 1
}

/// Why an algorithm stopped for good.
public enum AlgorithmError: Error, Equatable, Sendable {
    /// More than the allowed number of updates were rejected (non-finite scores or parameters);
    /// the value is the count including the last one.
    case tooManyBadUpdates(Int)
}

extension AlgorithmError: CustomStringConvertible {
    /// What failed, the limit, and what to try.
    public var description: String {
        switch self {
        case .tooManyBadUpdates(let count):
            return "\(count) updates were rejected for non-finite scores or parameters, over the limit maxBadUpdates = "
                + "\(count - 1); lower the learning rate, or check the score for NaN/overflow (GradientCheck)"
        }
    }
}
