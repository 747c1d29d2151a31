import LowRankLinalg
import Targets
import Testing
import TestSupport
import VariationalInference

@Suite("Dense BaM") struct BatchAndMatchTests {
    /// One dense step equals the low-rank match (§2.2) on the same batch: the dense form is computed
    /// from the Cholesky of V and the eigen of LᵀUL, the low-rank one from the eigen of QᵀVQ.
    /// Tolerance 1e-10 relative.
    @Test func oneStepEqualsTheLowRankMatchOnTheSameBatch() throws {
        var rng = Xoshiro256StarStar(seed: 17)
        let d = 10, b = 6, rate = 7.5
        let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: 2, using: &rng)
        let mean = rng.standardNormals(d), psi = rng.uniforms(d, in: 0.5..<1.5)
        let lambda = rng.standardNormalMatrix(rows: d, columns: 3)
        let start = try DenseGaussian(mean: mean, covariance: Matrix.diagonal(psi) + BLAS.gemm(lambda, lambda, transB: .transpose))
        let algorithm = try BatchAndMatch(batchSize: b, schedule: .constant(rate), initialization: start)
        var generator = Xoshiro256StarStar(seed: 5), replay = Xoshiro256StarStar(seed: 5)
        var state = try algorithm.initialState(dimension: d, using: &generator)
        let report = try algorithm.step(&state, model: target, using: &generator)
        #expect(report.gradientEvaluations == b && report.learningRate == rate && report.status == .ok)
        #expect(report.timings.sampling > 0 && report.timings.scores > 0 && report.timings.update > 0 && report.timings.patch == 0)

        let points = start.sample(count: b, using: &replay)
        var scores = Matrix(rows: d, columns: b)
        try target.gradients(at: points, into: &scores)
        let lowRank = try LowRankBaMUpdate(mean: mean, psi: psi, lambda: lambda, points: points, scores: scores,
                                           learningRate: rate)
        #expect(relativeError(state.approximation.covariance, denseMatrix(lowRank.covariance)) < 1e-10)
        #expect(relativeError(state.approximation.mean, lowRank.mean) < 1e-10)
    }

    @Test func reachesTinyKLOnAGaussianTargetWithin50Iterations() throws {
        var rng = Xoshiro256StarStar(seed: 16)
        let d = 16, b = 32
        let target = try LowRankGaussianTarget.synthetic(dimension: d, rank: 4, using: &rng)
        let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
        let algorithm = try BatchAndMatch(batchSize: b, schedule: .decaying(initial: Double(b * d), exponent: 1))
        var generator = Xoshiro256StarStar(seed: 1)
        let result = try fit(algorithm, model: target, using: &generator, options: FitOptions(maxIterations: 50))
        let denseTarget = try DenseGaussian(mean: exact.mean, covariance: Matrix.diagonal(exact.psi)
                                            + BLAS.gemm(exact.lambda, exact.lambda, transB: .transpose))
        let kl = try klDivergence(result.approximation, denseTarget)
        #expect(kl < 1e-6, "KL after 50 iterations: \(kl)")
    }

    @Test func reproducibleAndRobustToNaNScores() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let target = try LowRankGaussianTarget.synthetic(dimension: 8, rank: 2, using: &rng)
        let algorithm = try BatchAndMatch(batchSize: 8, schedule: .constant(64))
        func run(_ seed: UInt64, _ model: some LogDensityModel) throws -> FitResult<BatchAndMatch> {
            var generator = Xoshiro256StarStar(seed: seed)
            return try fit(algorithm, model: model, using: &generator, options: FitOptions(maxIterations: 12))
        }
        let a = try run(1, target), b = try run(1, target), c = try run(2, target)
        #expect(a.approximation.covariance == b.approximation.covariance && a.approximation.mean == b.approximation.mean)
        #expect(a.approximation.mean != c.approximation.mean)
        let overflowing = try run(1, FaultyModel(target, failingBatches: 2...12))
        #expect(overflowing.state.badUpdates == 1 && overflowing.approximation.covariance.isFinite,
                "batches 2–12 exhaust iteration 1's retries: iteration 0's update is undone once")
        let faulty = try run(1, FaultyModel(target, nanEvery: 3))
        #expect(faulty.state.badUpdates == 4)
        #expect(faulty.approximation.covariance.isFinite && Vector.isFinite(faulty.approximation.mean))
        #expect(throws: VariationalInferenceError.self) { try BatchAndMatch(batchSize: 0, schedule: .constant(1)) }
        #expect(throws: VariationalInferenceError.self) { try BatchAndMatch(batchSize: 4, schedule: .constant(-2)) }
    }

    @Test func decayingLearningRateSchedules() throws {
        let linear = LearningRateSchedule.linearDecay(initial: 100, final: 10, iterations: 10)
        #expect(linear.value(at: 0, batchSize: 8, dimension: 4) == 100)
        #expect(linear.value(at: 5, batchSize: 8, dimension: 4) == 55)
        #expect(linear.value(at: 10, batchSize: 8, dimension: 4) == 10 && linear.value(at: 99, batchSize: 8, dimension: 4) == 10)
        let cosine = LearningRateSchedule.cosineDecay(initial: 100, final: 10, iterations: 10)
        #expect(cosine.value(at: 0, batchSize: 8, dimension: 4) == 100)
        #expect(abs(cosine.value(at: 5, batchSize: 8, dimension: 4) - 55) < 1e-12)
        #expect(cosine.value(at: 3, batchSize: 8, dimension: 4) > linear.value(at: 3, batchSize: 8, dimension: 4),
                "cosine decays more slowly than linear at first")
        #expect(cosine.value(at: 12, batchSize: 8, dimension: 4) == 10)
        for bad in [LearningRateSchedule.linearDecay(initial: 10, final: 0, iterations: 5),
                    .cosineDecay(initial: 10, final: 20, iterations: 5), .linearDecay(initial: 10, final: 1, iterations: 0)] {
            #expect(throws: VariationalInferenceError.self) { try BatchAndMatch(batchSize: 4, schedule: bad) }
            #expect(throws: VariationalInferenceError.self) { try PatchedBaM(rank: 2, batchSize: 4, schedule: bad) }
        }
    }
}
