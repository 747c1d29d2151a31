import LowRankLinalg

/// The result of a fit that ended normally.
public struct FitResult<Algorithm: VariationalAlgorithm> {
    /// The final state; pass it as `from:` to continue (warm start).
    public var state: Algorithm.State
    /// The final approximation.
    public var approximation: Algorithm.Approximation
    /// Iterations run by this call.
    public var iterations: Int
    /// Score evaluations made by this call, retries and a mode search's included.
    public var gradientEvaluations: Int
    /// Why the fit stopped.
    public var stopReason: StopReason
    /// Wall-clock seconds of this call, the end-of-fit importance check excluded.
    public var elapsedSeconds: Double
    /// Iterations whose update was accepted (`.ok` or `.retried`), out of `iterations`.
    public var acceptedSteps: Int
    /// Iterations whose update was rejected and undone (`.reverted`).
    public var revertedSteps: Int
    /// Recoverable failures redone with a fresh batch, summed over the iterations.
    public var retries: Int
    /// Signs that the result should not be trusted as it is (empty for a fit that looks sound).
    public var warnings: [FitWarning]
    /// The importance-sampling check of the final approximation (PSIS k̂, ESS, IW-ELBO); nil when
    /// `FitOptions.diagnosticDraws` is 0 or the check failed (then a warning says why).
    public var diagnostics: ImportanceDiagnostics?
    /// Seconds spent in that check.
    public var diagnosticSeconds: Double
    /// The mode search of a ``LowRankInitialization/mode(_:)`` start (the point it reached, its
    /// evaluations, whether it converged); nil for every other start and for a warm start.
    public var modeSearch: ModeSearchResult?
    /// Every iteration's record, when `FitOptions.recordTrace` is set; empty otherwise.
    public var trace: [IterationInfo]
}

/// A fit failure seen without its approximation type: `catch let failure as any AnyFitFailure`
/// catches the ``FitFailure`` of every algorithm.
public protocol AnyFitFailure: Error, CustomStringConvertible {
    /// The error the failing iteration threw.
    var underlying: any Error { get }
    /// The approximation before the failing iteration (finite), as an existential.
    var lastGoodApproximation: any GaussianApproximation { get }
    /// Iterations completed before the failure.
    var iterations: Int { get }
    /// Score evaluations made before and during the failing iteration.
    var gradientEvaluations: Int { get }
    /// The `maxRetries` that ran out, when the iteration failed after exhausting its retries.
    var retryLimit: Int? { get }
}

/// A fit that could not go on: the error that stopped it, with the last good approximation.
///
/// Catch it as `FitFailure<LowRankGaussian>` (the algorithm's approximation type) or, without the
/// type, as `any AnyFitFailure`. `print(failure)` writes at most a few hundred characters at any D.
public struct FitFailure<Approximation: GaussianApproximation>: AnyFitFailure {
    /// The error the failing iteration threw (a ``ModelError``, a `LinearAlgebraError`, a
    /// ``PatchError``, …).
    public var underlying: any Error
    /// The approximation before the failing iteration.
    public var lastGood: Approximation
    /// Iterations completed before the failure.
    public var iterations: Int
    /// Score evaluations made before and during the failing iteration.
    public var gradientEvaluations: Int
    /// The `maxRetries` that ran out, when the iteration failed after exhausting its retries.
    public var retryLimit: Int?

    /// `lastGood` as an existential.
    public var lastGoodApproximation: any GaussianApproximation { lastGood }

    /// "fit failed in iteration t after n score evaluations: <error>", with the retry limit when it
    /// ran out; bounded length (the underlying description is cut at 400 characters).
    public var description: String {
        let retries = retryLimit.map { " after \($0 + 1) tries (maxRetries = \($0))" } ?? ""
        return "fit failed in iteration \(iterations)\(retries), \(gradientEvaluations) score evaluations: "
            + String(String(describing: underlying).prefix(400))
            + "; `lastGood` holds the approximation before it (D = \(lastGood.dimension))"
    }
}

/// Runs `algorithm` on `model` until a budget, the stopping rule or the callback ends it, then
/// checks the result (``FitWarning``, ``ImportanceDiagnostics``).
///
/// - Parameters:
///   - algorithm: the algorithm and its settings (``PatchedBaM``, ``BatchAndMatch``, ``ADVILowRank``,
///     ``ADVIDiagonal``, ``ADVIFullRank``).
///   - model: the target, through its log density and score.
///   - generator: every random draw of the fit comes from it; the same seed gives a bit-identical fit.
///   - options: the budgets, the stopping rule, the callback and the end-of-fit checks.
///   - state: a state from an earlier fit to continue from (warm start); nil starts afresh from
///     `algorithm.initialState(for:using:)`. A ``LowRankInitialization/mode(_:)`` start's search
///     counts its score evaluations and seconds in the result and in `options.maxGradientEvaluations`.
/// - Throws: ``VariationalInferenceError`` for bad options or a model of the wrong dimension;
///   ``FitFailure`` (with the last good approximation) when an iteration fails for good, with
///   `VariationalInferenceError.noAcceptedSteps` when the fit ran iterations and every one of them
///   was reverted (a fit that changed nothing is not reported as a success), and with
///   `.nonFiniteScore` when the first iteration of a fresh fit (no `state`) met a non-finite score
///   (later ones revert the step, within `maxBadUpdates`), and with `.budgetSpentOnStart` (the
///   start as `lastGood`) when a mode search used the whole evaluation budget; a mode search's own
///   errors as ``ModeSearch/run(_:from:)`` throws them (the model's error at the origin,
///   `.nonFinite` when log p or its gradient there is not finite).
public func fit<Algorithm: VariationalAlgorithm, Model: LogDensityModel>(
    _ algorithm: Algorithm, model: Model, using generator: inout Xoshiro256StarStar, options: FitOptions,
    from state: Algorithm.State? = nil
) throws -> FitResult<Algorithm> {
    try require(options.maxIterations != nil || options.maxGradientEvaluations != nil,
                "FitOptions needs maxIterations or maxGradientEvaluations")
    if let n = options.maxIterations { try require(n >= 0, "maxIterations must be ≥ 0, got \(n)") }
    if let n = options.maxGradientEvaluations { try require(n >= 0, "maxGradientEvaluations must be ≥ 0, got \(n)") }
    if let rule = options.stoppingRule {
        try require(rule.tolerance > 0, "stopping tolerance must be > 0, got \(rule.tolerance)")
        try require(rule.patience >= 1, "stopping patience (window) must be ≥ 1, got \(rule.patience)")
    }
    try require(options.diagnosticDraws == 0 || options.diagnosticDraws >= 100,
                "diagnosticDraws must be 0 (no check) or ≥ 100 (fewer leave PSIS too short a tail), got \(options.diagnosticDraws)")
    try require(model.dimension >= 1, "model dimension must be ≥ 1, got \(model.dimension)")

    let clock = ContinuousClock()
    let started = clock.now
    var current: Algorithm.State
    var modeSearch: ModeSearchResult?
    if let state {
        current = state
    } else {
        (current, modeSearch) = try algorithm.initialState(for: model, using: &generator)
    }
    let startEvaluations = modeSearch?.evaluations ?? 0
    let watchesParameters = options.stoppingRule?.criterion == .parameterChange
    var previous: (mean: [Double], variances: [Double])?
    do {
        let start = algorithm.approximation(of: current)
        try requireDimension(start.dimension, model.dimension, "state")
        if watchesParameters { previous = (start.mean, start.marginalVariances) }
    }
    var iterations = 0, evaluations = startEvaluations, quietStreak = 0, accepted = 0, reverted = 0, retries = 0
    var monitor = FitMonitor(proximal: algorithm is any ProximalAlgorithm)
    var trace = [IterationInfo]()

    func elapsed() -> Double { (clock.now - started).inSeconds }
    func result(_ reason: StopReason) throws -> FitResult<Algorithm> {
        guard iterations == 0 || accepted > 0 else {
            throw FitFailure(underlying: VariationalInferenceError.noAcceptedSteps(iterations: iterations),
                             lastGood: algorithm.approximation(of: current), iterations: iterations,
                             gradientEvaluations: evaluations)
        }
        let seconds = elapsed()
        let approximation = algorithm.approximation(of: current)
        var warnings = monitor.warnings
        var diagnostics: ImportanceDiagnostics?
        let checkStarted = clock.now
        if options.diagnosticDraws > 0 && iterations > 0 {
            do {
                // A stream of its own, seeded from a copy of the caller's generator: the caller's
                // generator is left where the last iteration left it, so a saved generator resumes
                // the fit exactly.
                var copy = generator
                var stream = Xoshiro256StarStar(seed: copy.next())
                let check = try ImportanceDiagnostics.compute(approximation, model: model, draws: options.diagnosticDraws,
                                                              using: &stream)
                diagnostics = check
                if !check.isReliable {
                    warnings.insert(.paretoShapeAboveThreshold(shape: check.paretoShape, threshold: check.threshold), at: 0)
                }
            } catch {
                warnings.append(.diagnosticsFailed(String(describing: error)))
            }
        }
        return FitResult(state: current, approximation: approximation, iterations: iterations,
                         gradientEvaluations: evaluations, stopReason: reason, elapsedSeconds: seconds,
                         acceptedSteps: accepted, revertedSteps: reverted, retries: retries, warnings: warnings,
                         diagnostics: diagnostics, diagnosticSeconds: (clock.now - checkStarted).inSeconds,
                         modeSearch: modeSearch, trace: trace)
    }

    while true {
        if let n = options.maxIterations, iterations >= n { return try result(.iterationBudget) }
        if let n = options.maxGradientEvaluations, evaluations >= n {
            guard iterations > 0 || startEvaluations == 0 else {
                throw FitFailure(underlying: VariationalInferenceError.budgetSpentOnStart(evaluations: startEvaluations, budget: n),
                                 lastGood: algorithm.approximation(of: current), iterations: 0,
                                 gradientEvaluations: startEvaluations)
            }
            return try result(.gradientBudget)
        }
        let report: StepReport
        do {
            report = try algorithm.step(&current, model: model, using: &generator)
        } catch let failure as StepFailure {
            throw FitFailure(underlying: failure.underlying, lastGood: algorithm.approximation(of: current),
                             iterations: iterations, gradientEvaluations: evaluations + failure.gradientEvaluations,
                             retryLimit: failure.exhaustedRetryLimit)
        } catch {
            throw FitFailure(underlying: error, lastGood: algorithm.approximation(of: current),
                             iterations: iterations, gradientEvaluations: evaluations)
        }
        iterations += 1
        evaluations += report.gradientEvaluations
        if let location = report.nonFiniteScore, iterations == 1, state == nil {
            throw FitFailure(underlying: VariationalInferenceError.nonFiniteScore(location, iteration: iterations - 1),
                             lastGood: algorithm.approximation(of: current), iterations: iterations - 1,
                             gradientEvaluations: evaluations)
        }
        switch report.status {
        case .ok: accepted += 1
        case .retried(let n): accepted += 1; retries += n
        case .reverted: reverted += 1
        }
        monitor.record(report)

        var converged = false
        if let rule = options.stoppingRule {
            switch rule.criterion {
            case .parameterChange:
                if let old = previous {
                    let now = algorithm.approximation(of: current)
                    let variances = now.marginalVariances
                    if report.status == .ok {
                        let change = max(relativeChange(old.mean, now.mean), relativeChange(old.variances, variances))
                        quietStreak = change < rule.tolerance ? quietStreak + 1 : 0
                        converged = quietStreak >= rule.patience
                    } else {
                        quietStreak = 0
                    }
                    previous = (now.mean, variances)
                }
            case .relativeFisherDivergence:
                converged = (monitor.recentFisherMedian(window: rule.patience) ?? .infinity) < rule.tolerance
            }
        }
        let info = IterationInfo(iteration: iterations - 1, gradientEvaluations: evaluations,
                                 learningRate: report.learningRate, emSteps: report.emSteps,
                                 elapsedSeconds: elapsed(), status: report.status, timings: report.timings,
                                 relativeFisherDivergence: report.relativeFisherDivergence)
        if options.recordTrace { trace.append(info) }
        if let callback = options.callback, callback(info, algorithm.approximation(of: current)) == .stop {
            return try result(.callback)
        }
        if converged { return try result(.converged) }
    }
}

/// Thrown by a step that gives up after spending score evaluations, so the driver can count them.
struct StepFailure: Error {
    var underlying: any Error
    var gradientEvaluations: Int
    /// The retry limit, when the step gave up because its retries ran out.
    var exhaustedRetryLimit: Int? = nil
}

/// ‖new − old‖ / ‖old‖ (infinite when old = 0 and new ≠ 0).
private func relativeChange(_ old: [Double], _ new: [Double]) -> Double {
    let difference = Vector.norm(Vector.subtract(new, old))
    let scale = Vector.norm(old)
    return difference == 0 ? 0 : (scale > 0 ? difference / scale : .infinity)
}
