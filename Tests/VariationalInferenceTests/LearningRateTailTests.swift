import LowRankLinalg
import Targets
import Testing
import VariationalInference

@Suite("learning-rate tail") struct LearningRateTailTests {
    @Test func withTailSwitchesToTheConstantAfterTheHeadOfTheBudget() throws {
        let tail = try LearningRateSchedule.withTail(lambda: 0.05, fraction: 0.25, gradientEvaluations: 1000, batchSize: 16)
        #expect(tail == .switched(first: .automatic, then: .constant(0.05), iteration: 47), "⌈0.75 · 1000 / 16⌉ = 47")
        #expect(tail.value(at: 0, batchSize: 16, dimension: 10) == 160)
        #expect(tail.value(at: 46, batchSize: 16, dimension: 10) == 160.0 / 47)
        #expect(tail.value(at: 47, batchSize: 16, dimension: 10) == 0.05)
        #expect(tail.value(at: 10_000, batchSize: 16, dimension: 10) == 0.05)
        let huge = try LearningRateSchedule.withTail(fraction: 1e-20, gradientEvaluations: .max, batchSize: 1)
        #expect(huge == .switched(first: .automatic, then: .constant(0.02), iteration: .max), "no overflow at the largest budget")
        let nested = LearningRateSchedule.switched(first: .constant(3), then: .decaying(initial: 100, exponent: 1), iteration: 4)
        #expect(nested.value(at: 3, batchSize: 1, dimension: 1) == 3)
        #expect(nested.value(at: 4, batchSize: 1, dimension: 1) == 20, "the second part is evaluated at the fit's t, not restarted")
    }

    @Test func invalidTailsAreClearErrors() throws {
        for fraction in [0.0, 1.0, -0.5, .nan] {
            #expect(throws: VariationalInferenceError.self) {
                try LearningRateSchedule.withTail(fraction: fraction, gradientEvaluations: 100, batchSize: 4)
            }
        }
        #expect(throws: VariationalInferenceError.self) { try LearningRateSchedule.withTail(lambda: 0, gradientEvaluations: 100, batchSize: 4) }
        #expect(throws: VariationalInferenceError.self) { try LearningRateSchedule.withTail(gradientEvaluations: 0, batchSize: 4) }
        #expect(throws: VariationalInferenceError.self) { try LearningRateSchedule.withTail(gradientEvaluations: 100, batchSize: 0) }
        #expect(throws: VariationalInferenceError.self) {
            try LearningRateSchedule.withTail(.constant(.infinity), gradientEvaluations: 100, batchSize: 4)
        }
        for bad in [LearningRateSchedule.switched(first: .automatic, then: .constant(1), iteration: 0),
                    .switched(first: .automatic, then: .constant(-1), iteration: 5),
                    .switched(first: .scaled(factor: 0, exponent: 1), then: .constant(1), iteration: 5)] {
            #expect(throws: VariationalInferenceError.self) { try PatchedBaM(rank: 2, batchSize: 4, schedule: bad) }
            #expect(throws: VariationalInferenceError.self) { try BatchAndMatch(batchSize: 4, schedule: bad) }
        }
    }

    /// One fit with the tail equals a default fit to the head of the budget continued from its state
    /// with the constant λ, bit for bit: the schedule is the whole difference.
    @Test func aTailedFitIsTheDefaultFitContinuedWithTheConstant() throws {
        var targetGenerator = Xoshiro256StarStar(seed: 4)
        let target = try LowRankGaussianTarget.synthetic(dimension: 40, rank: 3, using: &targetGenerator)
        let budget = 8 * 60
        let tailed = try PatchedBaM(rank: 3, batchSize: 8, schedule: try .withTail(lambda: 0.02, gradientEvaluations: budget, batchSize: 8))
        var generator = Xoshiro256StarStar(seed: 11)
        let one = try fit(tailed, model: target, using: &generator, options: FitOptions(maxGradientEvaluations: budget))

        var twoGenerator = Xoshiro256StarStar(seed: 11)
        let head = try fit(try PatchedBaM(rank: 3, batchSize: 8), model: target, using: &twoGenerator,
                           options: FitOptions(maxIterations: 45))
        let rest = try fit(try PatchedBaM(rank: 3, batchSize: 8, schedule: .constant(0.02)), model: target, using: &twoGenerator,
                           options: FitOptions(maxIterations: 15), from: head.state)
        #expect(one.iterations == 60 && one.gradientEvaluations == budget)
        #expect(one.approximation.mean == rest.approximation.mean)
        #expect(one.approximation.psi == rest.approximation.psi && one.approximation.lambda == rest.approximation.lambda)
    }

    /// On a Gaussian target BaM's match is exact whatever the batch, so the tail is tested on a skewed,
    /// heavy-tailed one (sinh-arcsinh, D = 100, s = 0.5, τ = 0.8) where each batch's match differs.
    /// With B·D = 800 and 100 iterations the default ends at λ ≈ 8, its q one batch's noisy match;
    /// the tail averages the last batches. The ELBO of each final q is estimated from the same
    /// 4,000 draws of a fixed stream (common random numbers): −28.8 / −27.1 / −29.0 without the tail,
    /// −13.5 / −12.9 / −13.3 with it on seeds 1 / 2 / 3 (log Z = 0, so these are −KL(q‖p)).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func theTailRaisesTheELBOOfANonGaussianFit(seed: UInt64) throws {
        let target = try SinhArcsinhTarget(dimension: 100, skew: 0.5, tailWeight: 0.8)
        let budget = 8 * 100
        func elbo(_ schedule: LearningRateSchedule) throws -> (elbo: Double, warnings: [FitWarning]) {
            var generator = Xoshiro256StarStar(seed: seed)
            let result = try fit(try PatchedBaM(rank: 4, batchSize: 8, schedule: schedule), model: target, using: &generator,
                                 options: FitOptions(maxGradientEvaluations: budget, diagnosticDraws: 0))
            var stream = Xoshiro256StarStar(seed: 77)
            return (try ImportanceDiagnostics.compute(result.approximation, model: target, draws: 4000, using: &stream).elbo,
                    result.warnings)
        }
        let (plain, plainWarnings) = try elbo(.automatic)
        #expect(plainWarnings.contains { if case .learningRateStillLarge = $0 { return true } else { return false } },
                "the default ends at λ ≈ 8 with the Fisher divergence above 0.25: \(plainWarnings)")
        let (tailed, warnings) = try elbo(try .withTail(gradientEvaluations: budget, batchSize: 8))
        #expect(warnings.contains { if case .fisherDivergenceHigh = $0 { return true } else { return false } },
                "the Fisher divergence is above 0.25 (0.41–0.42 measured), so the next check means something")
        #expect(!warnings.contains { if case .learningRateDecayed = $0 { return true } else { return false } },
                "the tail's λ = 0.02 is a constant the caller chose, not a decayed schedule: \(warnings)")
        #expect(!warnings.contains { if case .learningRateStillLarge = $0 { return true } else { return false } })
        #expect(tailed > plain + 5, "ELBO with the tail \(tailed), without \(plain) (measured: −13.5 against −28.8 on seed 1)")
    }
}
