import Foundation
import Targets
import VariationalInference

/// EM with the settings that were the default before the profile patch and before η became 1.0
/// (500 steps, KL-change tolerance 1e-8, η 1.2): the row the README's patch table reports.
private let previousDefaultEM = try! FactorAnalysisPatch(relaxation: 1.2)

/// The patch solvers inside pBaM (issue: "the patch"): the profile-likelihood default, EM with the
/// previous default settings, and the rank-K truncated eigen projection the project brief asks
/// about, with dense BaM (same schedule and batches) as the line an exact projection should follow.
private func patchAlgorithms(d: Int, k: Int, b: Int, bam: Bool) -> [AlgorithmChoice] {
    let schedule = LearningRateSchedule.decaying(initial: Double(b * d), exponent: 1)
    return [.pbam(rank: k, batch: b, schedule: schedule, patch: .standard, referenceStart: false),
            .pbam(rank: k, batch: b, schedule: schedule, patch: .em(previousDefaultEM), referenceStart: false),
            .pbam(rank: k, batch: b, schedule: schedule, patch: .truncatedEigen(try! TruncatedEigenPatch()), referenceStart: false)]
        + (bam ? [.bam(batch: b, schedule: schedule)] : [])
}

/// The E1 Gaussian (D = 512, r = K = 32, B = 32 by default), 64,000 evaluations.
func patchGaussianPlan(_ s: ExperimentSettings) throws -> ExperimentPlan<LowRankGaussianTarget> {
    let d = s.dimension ?? 512, r = s.rank ?? 32, b = s.batch ?? 32
    var generator = Xoshiro256StarStar(seed: 123)
    let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: r, using: &generator)
    let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
    return ExperimentPlan(name: "patch-gaussian", description: "patch solvers, E1 Gaussian, D=\(d), r=K=\(r), B=\(b)",
                          evaluation: TargetEvaluation(model: target, exact: exact, referenceMean: nil, elboDraws: s.elboDraws),
                          algorithms: patchAlgorithms(d: d, k: r, b: b, bam: d <= 1024), budget: s.budget ?? 64_000)
}

/// The D = 50 Bayesian linear regression with correlated predictors (exact Gaussian posterior):
/// B = 16 with K = 20 and 40, B = 64 with K = 40, 20,000 evaluations.
func patchRegressionPlan(_ s: ExperimentSettings) throws -> ExperimentPlan<BayesianLinearRegressionTarget> {
    var generator = Xoshiro256StarStar(seed: 50)
    let target = try BayesianLinearRegressionTarget.synthetic(dimension: s.dimension ?? 50, using: &generator)
    let d = target.dimension
    let settings = [(16, 20), (16, 40), (64, 40)].filter { $0.1 < d }
    var algorithms = settings.flatMap { b, k in patchAlgorithms(d: d, k: k, b: b, bam: false) }
    for b in Set(settings.map(\.0)).sorted() {
        algorithms.append(.bam(batch: b, schedule: .decaying(initial: Double(b * d), exponent: 1)))
    }
    return ExperimentPlan(name: "patch-regression", description: "patch solvers, Bayesian linear regression, D=\(d)",
                          evaluation: TargetEvaluation(model: target, exactDense: target.posterior, elboDraws: s.elboDraws),
                          algorithms: algorithms, budget: s.budget ?? 20_000)
}

/// The patch's own accuracy: at a few iterations t of a pBaM fit (default patch) on the E1 Gaussian,
/// the BaM update S of a fresh batch is projected from the current (ψ, Λ) by each solver, and its KL
/// is compared with the optimum (the profile solver run to tolerance 0 with no trust region).
/// Returns a Markdown table.
func patchGapTable(_ s: ExperimentSettings, iterations: [Int] = [5, 30, 59], progress: Progress) throws -> String {
    let d = s.dimension ?? 512, r = s.rank ?? 32, b = s.batch ?? 32
    var generator = Xoshiro256StarStar(seed: 123)
    let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: r, using: &generator)
    let schedule = LearningRateSchedule.decaying(initial: Double(b * d), exponent: 1)
    let pbam = try PatchedBaM(rank: r, batchSize: b, schedule: schedule)
    let reference = try ProfilePatch(maxPasses: 3_000, tolerance: 0, absoluteTolerance: 0, maxLogChange: .infinity)
    let solvers: [(String, (SignedLowRankPlusDiagonal, Double, [Double], Matrix) throws -> PatchResult)] = [
        ("profile (default)", { s, _, psi, lambda in try ProfilePatch.standard.run(target: s, psi: psi, lambda: lambda) }),
        ("profile, no trust region", { s, _, psi, lambda in
            try ProfilePatch(maxLogChange: .infinity).run(target: s, psi: psi, lambda: lambda) }),
        ("EM (previous default)", { s, logDet, psi, lambda in
            try previousDefaultEM.run(target: s, logDeterminantOfTarget: logDet, psi: psi, lambda: lambda) }),
        ("EM, 2,000 steps", { s, _, psi, lambda in
            try FactorAnalysisPatch(maxSteps: 2_000, tolerance: 0).run(target: s, logDeterminantOfTarget: 0, psi: psi, lambda: lambda) }),
        ("truncated eigen", { s, _, psi, lambda in try TruncatedEigenPatch().run(target: s, psi: psi, lambda: lambda) }),
    ]
    var out = "### patch-gaps: KL(N(0,S) || q) above the optimum, E1 Gaussian, D=\(d), r=K=\(r), B=\(b)\n\n"
    out += "| t | solver | passes | seconds | KL gap (nats) |\n|---|---|---|---|---|\n"
    var state: PatchedBaMState?
    var done = 0
    for t in iterations.sorted() {
        var fitGenerator = Xoshiro256StarStar(seed: 1)
        let result = try fit(pbam, model: target, using: &fitGenerator, options: FitOptions(maxIterations: t - done, diagnosticDraws: 0), from: state)
        state = result.state
        done = t
        let q = result.approximation
        var batchGenerator = Xoshiro256StarStar(seed: UInt64(1_000 + t))
        let points = q.sample(count: b, using: &batchGenerator)
        var scores = Matrix(rows: d, columns: b)
        try target.gradients(at: points, into: &scores)
        let update = try LowRankBaMUpdate(mean: q.mean, psi: q.psi, lambda: q.lambda, points: points, scores: scores,
                                          learningRate: schedule.value(at: t, batchSize: b, dimension: d))
        let logDet = update.logDeterminant
        let optimum = try reference.run(target: update.covariance, psi: q.psi, lambda: q.lambda)
        let best = try FactorAnalysisPatch.objective(target: update.covariance, targetDiagonal: update.covariance.diagonal,
                                                     psi: optimum.psi, lambda: optimum.lambda)
        progress.note("patch gaps at t = \(t): optimum after \(optimum.emSteps) passes")
        for (name, solve) in solvers {
            let start = ContinuousClock.now
            let patched = try solve(update.covariance, logDet, q.psi, q.lambda)
            let seconds = (ContinuousClock.now - start).inSeconds
            let objective = try FactorAnalysisPatch.objective(target: update.covariance, targetDiagonal: update.covariance.diagonal,
                                                              psi: patched.psi, lambda: patched.lambda)
            out += "| \(t) | \(name) | \(patched.emSteps) | \(String(format: "%.3g", seconds)) | \(String(format: "%.3g", 0.5 * (objective - best))) |\n"
        }
    }
    return out
}
