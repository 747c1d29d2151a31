import Foundation
import LowRankLinalg
import Targets
import VariationalInference

/// `bench --experiment trust`: what the fit checks say, and how often each stopping rule stops a fit
/// whose answer is still wrong.
///
/// 1. "Checking a fit": on the D = 50 Bayesian linear regression with correlated predictors (exact
///    Gaussian posterior), the gradient check, then pBaM (K = 40) with B = 16 and B = 64 at 20,000
///    evaluations: warnings, PSIS k̂, ESS, the last Fisher estimate, the KL to the exact posterior and
///    the fit summary, as a user sees them.
/// 2. The false-stop rate: every algorithm (pBaM, dense BaM, ADVI-LR and ADVI-D at three step sizes)
///    on two targets with a known posterior (the regression, and the E1 Gaussian with D = 128,
///    r = K = 8), three seeds, stopped by the parameter-change rule of the README (tolerance 1e-3,
///    patience 5) or the Fisher rule (median over 10 iterations below 1e-2), at most 20,000
///    evaluations. A stop is false when the mean is then more than one posterior sd off in some
///    coordinate.
struct TrustExperiment {
    let seeds: Int
    let output: String
    let progress: Progress

    func run() throws -> String {
        var text = "## Checking a fit (D = 50 Bayesian linear regression)\n\n```\n"
        var generator = Xoshiro256StarStar(seed: 50)
        let regression = try BayesianLinearRegressionTarget.synthetic(dimension: 50, using: &generator)
        var checkGenerator = Xoshiro256StarStar(seed: 1)
        text += "\(try GradientCheck.run(regression, drawsFrom: regression.posterior, using: &checkGenerator))\n"
        for batch in [16, 64] {
            var fitGenerator = Xoshiro256StarStar(seed: 1)
            let result = try fit(try PatchedBaM(rank: 40, batchSize: batch), model: regression, using: &fitGenerator,
                                 options: FitOptions(maxGradientEvaluations: 20_000, recordTrace: true))
            let kl = try klDivergence(result.approximation, regression.posterior)
            text += "\npBaM K = 40, B = \(batch): \(result.iterations) iterations, \(result.gradientEvaluations) evaluations, "
                + "\(String(format: "%.2f", result.elapsedSeconds)) s (+\(String(format: "%.2f", result.diagnosticSeconds)) s check)\n"
            text += "  KL to the exact posterior: \(String(format: "%.4g", kl))\n"
            text += "  last Fisher estimate: \(String(format: "%.3g", result.trace.last?.relativeFisherDivergence ?? .nan))\n"
            text += "  diagnostics: \(result.diagnostics.map { "\($0)" } ?? "none")\n"
            text += "  warnings: " + (result.warnings.isEmpty ? "none" : result.warnings.map { "\n    - \($0)" }.joined()) + "\n"
            if batch == 64 { text += "\(try FitSummary(result.approximation))\n" }
            progress.note("trust: checking B = \(batch) done")
        }
        text += "```\n\n" + (try falseStopTable(regression))
        try text.write(toFile: "\(output)/trust-summary.md", atomically: true, encoding: .utf8)
        return text
    }

    /// The false-stop table over both targets, all algorithms and seeds.
    private func falseStopTable(_ regression: BayesianLinearRegressionTarget) throws -> String {
        var generator = Xoshiro256StarStar(seed: 123)
        let gaussian = try LowRankGaussianTarget.synthetic(dimension: 128, rank: 8, using: &generator)
        let exactGaussian = try DenseGaussian(mean: gaussian.mean, covariance: Matrix.diagonal(gaussian.covariance.psi)
                                              + BLAS.gemm(gaussian.covariance.lambda, gaussian.covariance.lambda, transB: .transpose))
        let rules: [(String, StoppingRule)] = [("parameter change 1e-3 × 5", .parameterChange(tolerance: 1e-3, patience: 5)),
                                                ("Fisher < 1e-2 (median of 10)", .fisherDivergence(below: 1e-2))]
        var rows = "| rule | runs | stopped | false stops | median evaluations at a stop |\n|---|---|---|---|---|\n"
        var detail = "| target | algorithm | rule | stopped / runs | false | worst mean error at a stop (sds) |\n|---|---|---|---|---|---|\n"
        for (ruleName, rule) in rules {
            var runs = 0, stopped = 0, falseStops = 0
            var stopEvaluations = [Int]()
            for (targetName, k) in [("regression D=50", 40), ("E1 D=128 r=8", 8)] {
                for (algorithmName, make) in algorithms(rank: k) {
                    var cellStopped = 0, cellFalse = 0, worst = 0.0
                    for seed in 1...seeds {
                        let outcome: (stopped: Bool, error: Double, evaluations: Int)
                        if targetName.hasPrefix("regression") {
                            outcome = try run(make, regression, exact: regression.posterior, rule: rule, seed: seed)
                        } else {
                            outcome = try run(make, gaussian, exact: exactGaussian, rule: rule, seed: seed)
                        }
                        runs += 1
                        if outcome.stopped {
                            stopped += 1
                            cellStopped += 1
                            stopEvaluations.append(outcome.evaluations)
                            worst = Swift.max(worst, outcome.error)
                            if outcome.error > 1 { falseStops += 1; cellFalse += 1 }
                        }
                    }
                    detail += "| \(targetName) | \(algorithmName) | \(ruleName) | \(cellStopped) / \(seeds) | \(cellFalse) | "
                        + (cellStopped > 0 ? String(format: "%.3g", worst) : "–") + " |\n"
                    progress.note("trust: \(ruleName), \(targetName), \(algorithmName) done")
                }
            }
            let median = stopEvaluations.sorted().dropFirst(stopEvaluations.count / 2).first.map(String.init) ?? "–"
            rows += "| \(ruleName) | \(runs) | \(stopped) | \(falseStops) | \(median) |\n"
        }
        return "## False stops of the stopping rules (≤ 20,000 evaluations, \(seeds) seeds)\n\n" + rows + "\n" + detail
    }

    /// The algorithms of the false-stop study, each as a type-erased fit.
    private func algorithms(rank k: Int) -> [(String, AnyAlgorithm)] {
        var list: [(String, AnyAlgorithm)] = [
            ("pBaM K=\(k) B=16", AnyAlgorithm { try PatchedBaM(rank: k, batchSize: 16) }),
            ("BaM B=16", AnyAlgorithm { try BatchAndMatch(batchSize: 16) }),
        ]
        for rate in [1e-3, 1e-2, 1e-1] {
            list.append(("ADVI-LR lr=\(rate)", AnyAlgorithm { try ADVILowRank(rank: k, batchSize: 16, optimizer: try Adam(schedule: .constant(rate))) }))
            list.append(("ADVI-D lr=\(rate)", AnyAlgorithm { try ADVIDiagonal(batchSize: 16, optimizer: try Adam(schedule: .constant(rate))) }))
        }
        return list
    }

    /// One run: whether the rule stopped it, the largest standardized mean error then, and the evaluations.
    private func run<Model: LogDensityModel>(_ algorithm: AnyAlgorithm, _ model: Model, exact: DenseGaussian,
                                             rule: StoppingRule, seed: Int) throws -> (stopped: Bool, error: Double, evaluations: Int) {
        var generator = Xoshiro256StarStar(seed: UInt64(seed))
        let options = FitOptions(maxGradientEvaluations: 20_000, stoppingRule: rule, diagnosticDraws: 0)
        do {
            let (reason, mean, evaluations) = try algorithm.fit(model, &generator, options)
            let sd = exact.marginalVariances.map { $0.squareRoot() }
            let error = mean.indices.map { abs(mean[$0] - exact.mean[$0]) / sd[$0] }.max() ?? 0
            return (reason == .converged, error, evaluations)
        } catch {
            return (false, .infinity, 0)
        }
    }
}

/// A type-erased algorithm: builds it and fits it, returning the stop reason, the mean and the
/// evaluations.
struct AnyAlgorithm {
    let fit: (any LogDensityModel, inout Xoshiro256StarStar, FitOptions) throws -> (StopReason, [Double], Int)

    init<A: VariationalAlgorithm>(_ make: @escaping () throws -> A) {
        fit = { model, generator, options in
            let result = try VariationalInference.fit(try make(), model: model, using: &generator, options: options)
            return (result.stopReason, result.approximation.mean, result.gradientEvaluations)
        }
    }
}
