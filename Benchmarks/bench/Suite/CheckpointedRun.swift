import Foundation
import VariationalInference

/// Labels of one run, copied into each of its checkpoints.
struct RunLabels {
    var experiment: String
    var algorithm: String
    var setting: String
    var dimension: Int
    var rank: Int
    var batch: Int
    var seed: UInt64
}

/// Runs `algorithm` on the evaluation's model up to `budget` gradient evaluations, stopping at
/// about `checkpoints` log-spaced evaluation counts to record metrics. The fit is resumed from its
/// state each time (warm start), so the checkpoints cost no extra draws; metric time is not counted
/// in `wallSeconds`.
func runCheckpointed<Algorithm: VariationalAlgorithm, Model: LogDensityModel>(
    _ algorithm: Algorithm, evaluation: TargetEvaluation<Model>, labels: RunLabels, budget: Int, checkpoints: Int,
    progress: Progress
) -> [Checkpoint] {
    var generator = Xoshiro256StarStar(seed: labels.seed)
    var rows: [Checkpoint] = []
    var emTotal = 0, emIterations = 0, emMaxAfter10: Int?, globalIteration = 0
    func record(_ q: Algorithm.Approximation, iteration: Int, evaluations: Int, seconds: Double, status: String) {
        let metrics = evaluation.metrics(q)
        rows.append(Checkpoint(labels: labels, iteration: iteration, gradientEvaluations: evaluations, wallSeconds: seconds,
                               metrics: metrics, emSteps: emIterations > 0 ? Double(emTotal) / Double(emIterations) : nil,
                               emStepsMaxAfter10: emMaxAfter10, status: status))
        emTotal = 0
        emIterations = 0
        emMaxAfter10 = nil
        progress.report(labels, evaluations: evaluations, budget: budget, metrics: metrics)
    }
    var state: Algorithm.State
    do {
        state = try algorithm.initialState(dimension: evaluation.model.dimension, using: &generator)
    } catch {
        progress.note("\(labels.algorithm) \(labels.setting): cannot start: \(error)")
        return rows
    }
    record(algorithm.approximation(of: state), iteration: 0, evaluations: 0, seconds: 0, status: "ok")
    var iterations = 0, evaluations = 0, seconds = 0.0, reverted = 0, retried = 0
    for target in logSpacedTargets(start: labels.batch, end: budget, count: checkpoints) where target > evaluations {
        let options = FitOptions(maxGradientEvaluations: target - evaluations, callback: { info, _ in
            if let steps = info.emSteps {
                emTotal += steps
                emIterations += 1
                if globalIteration > 10 { emMaxAfter10 = Swift.max(emMaxAfter10 ?? 0, steps) }
            }
            globalIteration += 1
            switch info.status {
            case .ok: break
            case .reverted: reverted += 1
            case .retried(let n): retried += n
            }
            return .proceed
        }, diagnosticDraws: 0)
        do {
            let result = try fit(algorithm, model: evaluation.model, using: &generator, options: options, from: state)
            state = result.state
            iterations += result.iterations
            evaluations += result.gradientEvaluations
            seconds += result.elapsedSeconds
            record(result.approximation, iteration: iterations, evaluations: evaluations, seconds: seconds,
                   status: reverted + retried == 0 ? "ok" : "reverted=\(reverted);retried=\(retried)")
        } catch let failure as FitFailure<Algorithm.Approximation> {
            record(failure.lastGood, iteration: iterations + failure.iterations,
                   evaluations: evaluations + failure.gradientEvaluations, seconds: seconds,
                   status: "failed: \(failure.underlying)".replacingOccurrences(of: ",", with: ";"))
            break
        } catch {
            progress.note("\(labels.algorithm) \(labels.setting): \(error)")
            break
        }
    }
    return rows
}

/// About `count` increasing integers from `start` to `end`, evenly spaced in log scale.
func logSpacedTargets(start: Int, end: Int, count: Int) -> [Int] {
    guard end > start, count > 1 else { return [end] }
    let a = log(Double(start)), b = log(Double(end))
    let values = (0..<count).map { Int((exp(a + (b - a) * Double($0) / Double(count - 1))).rounded()) }
    return Array(Set(values + [end])).sorted()
}

/// Progress lines on standard error (silent with --quiet).
final class Progress {
    let quiet: Bool
    init(quiet: Bool) { self.quiet = quiet }

    func report(_ labels: RunLabels, evaluations: Int, budget: Int, metrics: Metrics) {
        guard !quiet else { return }
        let value = metrics.klReverse.map { String(format: "KL %.4g", $0) }
            ?? metrics.objective.map { String(format: "-ELBO %.6g", $0) } ?? ""
        note(String(format: "[%@] %@ %@ seed %llu: %3.0f%% (%d evals) %@", labels.experiment, labels.algorithm,
                    labels.setting, labels.seed, 100 * Double(evaluations) / Double(budget), evaluations, value))
    }

    func note(_ line: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
