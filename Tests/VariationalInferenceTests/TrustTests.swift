import LowRankLinalg
import Targets
import Testing
@testable import VariationalInference

/// The new-user cases of the trust issue: a fit that is wrong must say so on its result.
@Suite("Fits a user can trust") struct TrustTests {
    static func regression() throws -> BayesianLinearRegressionTarget {
        var generator = Xoshiro256StarStar(seed: 50)
        return try BayesianLinearRegressionTarget.synthetic(dimension: 50, using: &generator)
    }

    /// A sign-flipped gradient: the gradient checker fails it, and a pBaM or ADVI-D fit with it ends
    /// either in a failure or with PSIS k̂ > 0.7 and a warning on the result.
    @Test func aSignFlippedGradientIsFlagged() throws {
        let target = try Self.regression()
        let flipped = FlippedScoreModel(base: target)
        var generator = Xoshiro256StarStar(seed: 31)
        let check = try GradientCheck.run(flipped, drawsFrom: target.posterior, using: &generator)
        #expect(!check.passed && "\(check)".contains("signs disagree"))
        let options = FitOptions(maxGradientEvaluations: 800)
        let runs: [(String, () throws -> (warnings: [FitWarning], shape: Double?))] = [
            ("pBaM", {
                let r = try fit(try PatchedBaM(rank: 10, batchSize: 16), model: flipped, using: &generator, options: options)
                return (r.warnings, r.diagnostics?.paretoShape)
            }),
            ("ADVI-D", {
                let r = try fit(try ADVIDiagonal(batchSize: 16, optimizer: try Adam(schedule: .constant(0.05))), model: flipped,
                                using: &generator, options: options)
                return (r.warnings, r.diagnostics?.paretoShape)
            }),
        ]
        for (name, run) in runs {
            do {
                let (warnings, shape) = try run()
                #expect((shape ?? 0) > 0.7 && !warnings.isEmpty, "\(name): k̂ \(String(describing: shape)), \(warnings)")
            } catch is any AnyFitFailure {
                continue
            }
        }
    }

    /// The regression (D = 50, correlated predictors, exact posterior) at B = 8, 16, 64: every fit either gets
    /// within KL 0.1 of the posterior or carries a warning.
    @Test(arguments: [8, 16, 64]) func aPoorRegressionFitCarriesAWarning(batch: Int) throws {
        let target = try Self.regression()
        var generator = Xoshiro256StarStar(seed: 32)
        let options = FitOptions(maxGradientEvaluations: 1_600)
        let lowRank = try fit(try PatchedBaM(rank: 40, batchSize: batch), model: target, using: &generator, options: options)
        let lowRankKL = try klDivergence(lowRank.approximation, target.posterior)
        #expect(lowRankKL <= 0.1 || !lowRank.warnings.isEmpty, "pBaM B = \(batch): KL \(lowRankKL), no warning")
        let dense = try fit(try BatchAndMatch(batchSize: batch), model: target, using: &generator, options: options)
        let denseKL = try klDivergence(dense.approximation, target.posterior)
        #expect(denseKL <= 0.1 || !dense.warnings.isEmpty, "BaM B = \(batch): KL \(denseKL), no warning")
    }

    /// A rank below the target's (the `rank` experiment's E2 regime, here D = 64, r = 32, K = 4):
    /// q cannot reach p, its KL stays large, and the fit says so; at K = r the same budget converges
    /// without that warning.
    @Test func aRankBelowTheTargetsCarriesAWarning() throws {
        var generator = Xoshiro256StarStar(seed: 35)
        let target = try LowRankGaussianTarget.synthetic(dimension: 64, rank: 32, using: &generator)
        let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
        let options = FitOptions(maxGradientEvaluations: 3_200, diagnosticDraws: 0)
        let small = try fit(try PatchedBaM(rank: 4, batchSize: 32), model: target, using: &generator, options: options)
        let smallKL = try klDivergence(small.approximation, exact)
        #expect(smallKL > 10, "K = 4 reached KL \(smallKL)")
        #expect(small.warnings.contains { if case .fisherDivergenceHigh = $0 { return true } else { return false } },
                "K = 4, KL \(smallKL): \(small.warnings)")
        let full = try fit(try PatchedBaM(rank: 32, batchSize: 32), model: target, using: &generator, options: options)
        let fullKL = try klDivergence(full.approximation, exact)
        #expect(fullKL < 0.1, "K = r reached KL \(fullKL)")
        #expect(!full.warnings.contains { if case .fisherDivergenceHigh = $0 { return true } else { return false } },
                "K = r, KL \(fullKL): \(full.warnings)")
    }

    /// The patch-cap warning: one capped patch among 100 iterations is not a warning; capped
    /// patches in 5% of the late iterations are, and so is a capped last patch.
    @Test func patchCapWarningNeedsMoreThanOneCappedPatch() {
        func warnings(cappedAt capped: Set<Int>, of n: Int) -> [FitWarning] {
            var monitor = FitMonitor(proximal: true)
            for t in 0..<n {
                var report = StepReport(gradientEvaluations: 8, learningRate: 1, emSteps: 3)
                report.patchConverged = !capped.contains(t)
                monitor.record(report)
            }
            return monitor.warnings
        }
        #expect(warnings(cappedAt: [50], of: 100).isEmpty)
        #expect(warnings(cappedAt: [3, 5], of: 100).isEmpty, "caps in the first tenth do not count")
        #expect(warnings(cappedAt: [20, 40, 60, 80, 90], of: 100) == [.patchAtCap(iterations: 5)])
        #expect(warnings(cappedAt: [20, 40], of: 100).isEmpty, "2 of 90 late iterations is under 5%")
        #expect(warnings(cappedAt: [99], of: 100) == [.patchAtCap(iterations: 1)], "the returned q's patch was capped")
    }

    /// The decayed-λ and large-λ warnings: BaM-type fits only, λ below 0.1 (or ≥ 1) at the end, and a
    /// high Fisher divergence.
    @Test func decayedLearningRateWarningNeedsAHighFisherDivergence() {
        func warnings(proximal: Bool, lastRate: Double, fisher: Double, lastDecays: Bool? = nil) -> [FitWarning] {
            var monitor = FitMonitor(proximal: proximal)
            for t in 0..<40 {
                var report = StepReport(gradientEvaluations: 8, learningRate: t == 39 ? lastRate : 1)
                report.relativeFisherDivergence = fisher
                if t == 39 { report.learningRateDecays = lastDecays }
                monitor.record(report)
            }
            return monitor.warnings
        }
        #expect(warnings(proximal: true, lastRate: 0.05, fisher: 0.9)
                == [.fisherDivergenceHigh(late: 0.9), .learningRateDecayed(lambda: 0.05, late: 0.9)])
        #expect(warnings(proximal: false, lastRate: 0.05, fisher: 0.9) == [.fisherDivergenceHigh(late: 0.9)], "ADVI's step size is not λ")
        #expect(warnings(proximal: true, lastRate: 0.5, fisher: 0.9) == [.fisherDivergenceHigh(late: 0.9)])
        #expect(warnings(proximal: true, lastRate: 0.05, fisher: 0.01).isEmpty)
        #expect(warnings(proximal: true, lastRate: 0.05, fisher: 0.9, lastDecays: false) == [.fisherDivergenceHigh(late: 0.9)],
                "a constant λ the caller chose (a tail) did not decay")
        #expect(warnings(proximal: true, lastRate: 0.05, fisher: 0.9, lastDecays: true).count == 2)
        #expect(warnings(proximal: true, lastRate: 5, fisher: 0.9)
                == [.fisherDivergenceHigh(late: 0.9), .learningRateStillLarge(lambda: 5, late: 0.9)])
        #expect(warnings(proximal: true, lastRate: 1, fisher: 0.9).count == 2, "λ = 1 moves q half way")
        #expect(warnings(proximal: false, lastRate: 5, fisher: 0.9) == [.fisherDivergenceHigh(late: 0.9)])
        #expect(warnings(proximal: true, lastRate: 5, fisher: 0.01).isEmpty)
        #expect(FitWarning.learningRateStillLarge(lambda: 5, late: 0.9).description.contains(".withTail("))
        let tail = LearningRateSchedule.switched(first: .automatic, then: .constant(0.02), iteration: 10)
        #expect(tail.isDecaying(at: 9) && !tail.isDecaying(at: 10))
        #expect(!LearningRateSchedule.constant(1).isDecaying(at: 0) && !LearningRateSchedule.scaled(factor: 1, exponent: 0).isDecaying(at: 5))
        #expect(LearningRateSchedule.linearDecay(initial: 10, final: 1, iterations: 5).isDecaying(at: 50))
    }

    /// BaM and pBaM report which part of a `.switched` schedule each step used, so the monitor can tell
    /// a decayed λ from a constant the caller chose.
    @Test func bothBaMsReportWhetherTheirLearningRateDecays() throws {
        var targetGenerator = Xoshiro256StarStar(seed: 3)
        let target = try LowRankGaussianTarget.synthetic(dimension: 12, rank: 2, using: &targetGenerator)
        let schedule = LearningRateSchedule.switched(first: .automatic, then: .constant(0.02), iteration: 2)
        var generator = Xoshiro256StarStar(seed: 5)
        let dense = try BatchAndMatch(batchSize: 6, schedule: schedule)
        var denseState = try dense.initialState(dimension: 12, using: &generator)
        let denseSteps = try (0..<3).map { _ in try dense.step(&denseState, model: target, using: &generator).learningRateDecays }
        #expect(denseSteps == [true, true, false])
        let patched = try PatchedBaM(rank: 2, batchSize: 6, schedule: schedule)
        var patchedState = try patched.initialState(dimension: 12, using: &generator)
        let patchedSteps = try (0..<3).map { _ in try patched.step(&patchedState, model: target, using: &generator).learningRateDecays }
        #expect(patchedSteps == [true, true, false])
        #expect(FitWarning.learningRateDecayed(lambda: 0.05, late: 0.9).description.contains(".constant(1e4)"))
        #expect(FitWarning.fisherDivergenceHigh(late: 0.9).description.contains(".mode(try ModeSearch())"))
    }

    /// A Gaussian target inside the family: after pBaM converges, k̂ < 0.5, the Fisher estimate is
    /// below 1e-3 and there is no warning; the Fisher rule stops the fit.
    @Test func aConvergedFitInTheFamilyLooksSound() throws {
        var generator = Xoshiro256StarStar(seed: 33)
        let target = try LowRankGaussianTarget.synthetic(dimension: 32, rank: 4, using: &generator)
        let result = try fit(try PatchedBaM(rank: 4, batchSize: 16), model: target, using: &generator,
                             options: FitOptions(maxIterations: 200, stoppingRule: .fisherDivergence(below: 1e-3),
                                                 recordTrace: true))
        #expect(result.stopReason == .converged)
        let shape = try #require(result.diagnostics?.paretoShape)
        #expect(shape < 0.5, "k̂ = \(shape)")
        let last = try #require(result.trace.last?.relativeFisherDivergence)
        #expect(last < 1e-3)
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        #expect(result.trace.count == result.iterations)
    }

    /// The parameter-change rule stops ADVI at a small step size while its mean is still several
    /// posterior sds off; the Fisher rule does not stop it there.
    @Test func theFisherRuleDoesNotStopASlowOptimizer() throws {
        let target = try Self.regression()
        let slow = try ADVIDiagonal(batchSize: 16, optimizer: try Adam(schedule: .constant(1e-3)))
        var generator = Xoshiro256StarStar(seed: 34)
        let byChange = try fit(slow, model: target, using: &generator,
                               options: FitOptions(maxIterations: 3_000, stoppingRule: .parameterChange(tolerance: 1e-3, patience: 5),
                                                   diagnosticDraws: 0))
        let sd = target.posterior.marginalVariances.map { $0.squareRoot() }
        let error = (0..<50).map { abs(byChange.approximation.mean[$0] - target.posterior.mean[$0]) / sd[$0] }.max()!
        #expect(byChange.stopReason == .converged && error > 3, "stopped at \(byChange.iterations), \(error) sds off")
        let byFisher = try fit(slow, model: target, using: &generator,
                               options: FitOptions(maxIterations: byChange.iterations, stoppingRule: .fisherDivergence(below: 1e-2),
                                                   diagnosticDraws: 0))
        #expect(byFisher.stopReason == .iterationBudget)
    }
}
