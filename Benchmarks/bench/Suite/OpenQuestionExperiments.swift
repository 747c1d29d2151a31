import LowRankLinalg
import Targets
import VariationalInference

/// `bench --experiment batch-lambda`: pBaM for B ∈ {8, 16, 32, 64} × λ: the constants {0.1, 1, 10}
/// of the paper's open question and the default λ_t = B·D/(1+t), on the E1 Gaussian (D = 512,
/// r = K = 32) and on the D = 50 Bayesian linear regression (K = 40, exact posterior; dense BaM at
/// each B as well). Budgets 16,000 and 8,000 evaluations (`--full`: 64,000 and 32,000).
func batchLambdaPlans(_ s: ExperimentSettings) throws -> [ExperimentPlan<LowRankGaussianTarget>] {
    let d = s.dimension ?? 512, r = s.rank ?? 32
    var generator = Xoshiro256StarStar(seed: 123)
    let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: r, using: &generator)
    let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
    return [ExperimentPlan(name: "batch-lambda-gaussian", description: "pBaM over B and λ, E1 Gaussian, D=\(d), r=K=\(r)",
                           evaluation: TargetEvaluation(model: target, exact: exact, referenceMean: nil, elboDraws: s.elboDraws),
                           algorithms: batchLambdaAlgorithms(d: d, k: r, bam: false),
                           budget: s.budget ?? (s.full ? 64_000 : 16_000))]
}

/// The regression half of `batch-lambda`.
func batchLambdaRegressionPlan(_ s: ExperimentSettings) throws -> ExperimentPlan<BayesianLinearRegressionTarget> {
    var generator = Xoshiro256StarStar(seed: 50)
    let target = try BayesianLinearRegressionTarget.synthetic(dimension: 50, using: &generator)
    return ExperimentPlan(name: "batch-lambda-regression", description: "pBaM (K=40) and BaM over B and λ, regression, D=50",
                          evaluation: TargetEvaluation(model: target, exactDense: target.posterior, elboDraws: s.elboDraws),
                          algorithms: batchLambdaAlgorithms(d: 50, k: 40, bam: true),
                          budget: s.budget ?? (s.full ? 32_000 : 8_000))
}

private func batchLambdaAlgorithms(d: Int, k: Int, bam: Bool) -> [AlgorithmChoice] {
    var list = [AlgorithmChoice]()
    for b in [8, 16, 32, 64] {
        let schedules: [LearningRateSchedule] = [.constant(0.1), .constant(1), .constant(10), .automatic]
        for schedule in schedules {
            list.append(.pbam(rank: k, batch: b, schedule: schedule, patch: .standard, referenceStart: false))
            if bam { list.append(.bam(batch: b, schedule: schedule)) }
        }
    }
    return list
}

/// `bench --experiment rank`: algorithm.md's E2 — D = 512, target rank r = 256, pBaM (B = 32,
/// λ_t = B·D/√(1+t)) with K ∈ {8, 16, 32, 64, 128, 256} — and K < r, K = r, K > r on the E1 family
/// (r = 32, K ∈ {16, 32, 64}, λ_t = B·D/(1+t)). Budgets 16,000 evaluations (`--full`: 100,000).
func rankPlans(_ s: ExperimentSettings) throws -> [ExperimentPlan<LowRankGaussianTarget>] {
    let d = s.dimension ?? 512, b = s.batch ?? 32
    var plans = [ExperimentPlan<LowRankGaussianTarget>]()
    for (name, r, ranks, exponent) in [("rank-e2", 256, [8, 16, 32, 64, 128, 256], 0.5), ("rank-e1", 32, [16, 32, 64], 1.0)] {
        var generator = Xoshiro256StarStar(seed: 123)
        let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: r, using: &generator)
        let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
        let schedule = LearningRateSchedule.scaled(factor: 1, exponent: exponent)
        plans.append(ExperimentPlan(name: name, description: "pBaM over K, Gaussian target of rank r=\(r), D=\(d), B=\(b)",
                                    evaluation: TargetEvaluation(model: target, exact: exact, referenceMean: nil,
                                                                 elboDraws: s.elboDraws),
                                    algorithms: ranks.filter { $0 < d }.map {
                                        .pbam(rank: $0, batch: b, schedule: schedule, patch: .standard, referenceStart: false)
                                    },
                                    budget: s.budget ?? (s.full ? 100_000 : 16_000)))
    }
    return plans
}

/// `bench --experiment schedules`: the paper's open question on learning-rate schedules. pBaM with
/// λ_t constant, λ₀/(1+t), λ₀/√(1+t), linear and cosine decay to λ₀/1000 over the run, each at
/// λ₀ ∈ {B·D/100, B·D/10, B·D, 10·B·D}; ADVI-LR with the same five shapes of Adam's step size at each
/// `--advi-rates` α. On the E1 Gaussian (D = 512, r = K = 32, B = 32; 6,400 evaluations, `--full`
/// 32,000) and the D = 50 regression (K = 40, B = 32; 8,000, `--full` 32,000).
func schedulePlans(_ s: ExperimentSettings) throws -> (ExperimentPlan<LowRankGaussianTarget>, ExperimentPlan<BayesianLinearRegressionTarget>) {
    let d = s.dimension ?? 512, r = s.rank ?? 32, b = s.batch ?? 32
    var generator = Xoshiro256StarStar(seed: 123)
    let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: r, using: &generator)
    let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
    let gaussianBudget = s.budget ?? (s.full ? 32_000 : 6_400)
    let gaussian = ExperimentPlan(name: "schedules-gaussian", description: "λ and step-size schedules, E1 Gaussian, D=\(d), r=K=\(r), B=\(b)",
                                  evaluation: TargetEvaluation(model: target, exact: exact, referenceMean: nil, elboDraws: s.elboDraws),
                                  algorithms: scheduleAlgorithms(d: d, k: r, b: b, budget: gaussianBudget, rates: s.adviRates),
                                  budget: gaussianBudget)
    var regressionGenerator = Xoshiro256StarStar(seed: 50)
    let regressionTarget = try BayesianLinearRegressionTarget.synthetic(dimension: 50, using: &regressionGenerator)
    let regressionBudget = s.budget ?? (s.full ? 32_000 : 8_000)
    let regression = ExperimentPlan(name: "schedules-regression", description: "λ and step-size schedules, regression, D=50, K=40, B=\(b)",
                                    evaluation: TargetEvaluation(model: regressionTarget, exactDense: regressionTarget.posterior,
                                                                 elboDraws: s.elboDraws),
                                    algorithms: scheduleAlgorithms(d: 50, k: 40, b: b, budget: regressionBudget, rates: s.adviRates),
                                    budget: regressionBudget)
    return (gaussian, regression)
}

/// The five schedule shapes for pBaM (at four λ₀) and ADVI-LR (at each rate).
private func scheduleAlgorithms(d: Int, k: Int, b: Int, budget: Int, rates: [Double]) -> [AlgorithmChoice] {
    let steps = max(1, budget / b), bd = Double(b * d)
    var list = [AlgorithmChoice]()
    for initial in [bd / 100, bd / 10, bd, 10 * bd] {
        let shapes: [LearningRateSchedule] = [
            .constant(initial), .decaying(initial: initial, exponent: 1), .decaying(initial: initial, exponent: 0.5),
            .linearDecay(initial: initial, final: initial / 1000, iterations: steps),
            .cosineDecay(initial: initial, final: initial / 1000, iterations: steps),
        ]
        for schedule in shapes {
            list.append(.pbam(rank: k, batch: b, schedule: schedule, patch: .standard, referenceStart: false))
        }
    }
    for rate in rates {
        for decay in [RateDecay.none, .inverse(exponent: 1), .inverse(exponent: 0.5), .linear, .cosine] {
            list.append(.adviLowRank(rank: k, batch: b, rate: rate, decay: decay, referenceStart: false))
        }
    }
    return list
}

/// `bench --experiment em-settings`: the paper's open question on the EM relaxation η and the patch
/// tolerance ε. pBaM with the EM patch at η ∈ {1.0, 1.2, 1.5, 1.8} × ε ∈ {1e-4, 1e-6, 1e-8} (KL-change
/// test, cap 500), and with the default profile patch at relative tolerance ∈ {1e-1, 2e-2, 1e-2,
/// 1e-3}, on the E1 Gaussian (D = 128 unless `--dimension`, r = K = 8 unless `--rank`, B = 32,
/// λ_t = B·D/(1+t)); 6,400 evaluations (`--full` 32,000). The table's EM column is the mean passes
/// per iteration; a run that fails or ends with the patch at its cap shows in the status column.
func emSettingsPlan(_ s: ExperimentSettings) throws -> ExperimentPlan<LowRankGaussianTarget> {
    let d = s.dimension ?? 128, r = s.rank ?? 8, b = s.batch ?? 32
    var generator = Xoshiro256StarStar(seed: 123)
    let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: r, using: &generator)
    let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
    var algorithms = [AlgorithmChoice]()
    for relaxation in [1.0, 1.2, 1.5, 1.8] {
        for tolerance in [1e-4, 1e-6, 1e-8] {
            let patch = try FactorAnalysisPatch(tolerance: tolerance, relaxation: relaxation)
            algorithms.append(.pbam(rank: r, batch: b, schedule: .automatic, patch: .em(patch), referenceStart: false))
        }
    }
    for tolerance in [1e-1, 2e-2, 1e-2, 1e-3] {
        algorithms.append(.pbam(rank: r, batch: b, schedule: .automatic, patch: .profile(try ProfilePatch(tolerance: tolerance)),
                                referenceStart: false))
    }
    return ExperimentPlan(name: "em-settings", description: "pBaM patch settings, E1 Gaussian, D=\(d), r=K=\(r), B=\(b)",
                          evaluation: TargetEvaluation(model: target, exact: exact, referenceMean: nil, elboDraws: s.elboDraws),
                          algorithms: algorithms, budget: s.budget ?? (s.full ? 32_000 : 6_400))
}
