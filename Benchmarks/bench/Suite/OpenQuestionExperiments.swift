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
