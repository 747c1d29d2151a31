import LowRankLinalg
import Testing
import TestSupport
@testable import VariationalInference
import Targets

/// The fit diagnostics: PSIS against ArviZ, the Fisher estimate against its dense definition, the
/// gradient checker on right and wrong gradients, and the bounded summaries.
@Suite("Diagnostics") struct DiagnosticsTests {
    /// `ParetoSmoothing.smooth` against `arviz.psislw` (ArviZ 0.23.4) on five stored sets of log
    /// weights (`Resources/psis-reference.json`, made by `scripts/reference/psis-reference.py`): k̂
    /// from −1.43 to 3.47, S from 200 to 4,000. Tolerance 1e-10 absolute on k̂ and on every smoothed,
    /// normalized log weight.
    @Test(arguments: 0..<5) func paretoSmoothingAgreesWithArviZ(index: Int) throws {
        let v = TestVectors(resource: "psis-reference").cases("cases")[index]
        let (smoothed, shape) = try ParetoSmoothing.smooth(logWeights: v.vector("logWeights"))
        #expect(abs(shape - v.number("khat")) < 1e-10, "k̂ \(shape) against \(v.number("khat"))")
        let reference = v.vector("smoothedLogWeights")
        let worst = zip(smoothed, reference).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-10, "largest log-weight difference \(worst)")
    }

    @Test func paretoSmoothingRejectsBadWeights() {
        #expect(throws: VariationalInferenceError.self) { try ParetoSmoothing.smooth(logWeights: [1]) }
        #expect(throws: VariationalInferenceError.self) { try ParetoSmoothing.smooth(logWeights: [1, .nan, 2]) }
        #expect(throws: VariationalInferenceError.self) { try ParetoSmoothing.smooth(logWeights: [-.infinity, -.infinity]) }
        let few = try? ParetoSmoothing.smooth(logWeights: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(few?.shape == .infinity, "a tail of 2 weights cannot be fitted")
        #expect(abs(ParetoSmoothing.threshold(draws: 1000) - 2.0 / 3) < 1e-15 && ParetoSmoothing.threshold(draws: 10_000_000) == 0.7)
        #expect(abs(ParetoSmoothing.threshold(draws: 100) - 0.5) < 1e-15)
    }

    /// The in-place low-rank kernel and the generic precision-product form agree with the definition
    /// Σ‖g + Σ⁻¹(x − μ)‖²/Σ‖g‖² formed with a dense inverse, to 1e-12 relative.
    @Test func fisherEstimateMatchesItsDenseDefinition() throws {
        var generator = Xoshiro256StarStar(seed: 21)
        let d = 9, k = 3, b = 5
        let q = try LowRankGaussian(mean: generator.standardNormals(d), psi: generator.uniforms(d, in: 0.5..<2),
                                    lambda: generator.standardNormalMatrix(rows: d, columns: k))
        let points = q.sample(count: b, using: &generator)
        let scores = generator.standardNormalMatrix(rows: d, columns: b)
        let sigma = Matrix.diagonal(q.psi) + BLAS.gemm(q.lambda, q.lambda, transB: .transpose)
        let dense = try DenseGaussian(mean: q.mean, covariance: sigma)
        var mismatch = 0.0, size = 0.0
        for j in 0..<b {
            let pull = dense.precisionProduct(Matrix(columns: [(0..<d).map { points[$0, j] - q.mean[$0] }])).elements
            for i in 0..<d {
                mismatch += (scores[i, j] + pull[i]) * (scores[i, j] + pull[i])
                size += scores[i, j] * scores[i, j]
            }
        }
        let reference = mismatch / size
        var work = Matrix(rows: d, columns: b + 2)
        TallSkinny.copyColumns(of: points, 0..<b, into: &work, at: 1)
        let inPlace = q.relativeFisherDivergence(overwriting: &work, columns: 1..<(b + 1), scores: scores)
        #expect(abs(inPlace / reference - 1) < 1e-12)
        #expect(abs(q.relativeFisherDivergence(points: points, scores: scores) / reference - 1) < 1e-12)
        #expect(abs(dense.relativeFisherDivergence(points: points, scores: scores) / reference - 1) < 1e-12)
    }

    /// On the exact target, q = p: the estimate from fresh draws is 0 to rounding; a sign-flipped
    /// model gives about 4 (‖−g − g‖² = 4‖g‖²).
    @Test func fisherEstimateSeesExactAndFlippedScores() throws {
        var generator = Xoshiro256StarStar(seed: 22)
        let target = try LowRankGaussianTarget.synthetic(dimension: 12, rank: 2, using: &generator)
        let exact = try LowRankGaussian(mean: target.mean, psi: target.covariance.psi, lambda: target.covariance.lambda)
        #expect(try RelativeFisherDivergence.estimate(exact, model: target, using: &generator) < 1e-20)
        let flipped = try RelativeFisherDivergence.estimate(exact, model: FlippedScoreModel(base: target), using: &generator)
        #expect(abs(flipped - 4) < 1e-9)
    }

    @Test func gradientCheckFlagsAWrongGradientAndPassesARightOne() throws {
        var generator = Xoshiro256StarStar(seed: 23)
        let target = try LowRankGaussianTarget.synthetic(dimension: 80, rank: 3, using: &generator)
        let q = try DiagonalGaussian(mean: [Double](repeating: 0, count: 80), variances: [Double](repeating: 1, count: 80))
        let right = try GradientCheck.run(target, drawsFrom: q, using: &generator)
        #expect(right.passed && right.maxRelativeError < 1e-6 && right.checks == 3 * 65, "\(right)")
        let wrong = try GradientCheck.run(FlippedScoreModel(base: target), drawsFrom: q, using: &generator)
        #expect(!wrong.passed && abs(wrong.maxRelativeError - 2) < 1e-3)
        #expect("\(wrong)".contains("the signs disagree"))
        let oneBad = try GradientCheck.run(OneWrongCoordinateModel(base: target, coordinate: 7), at: [q.mean],
                                           coordinates: 100, using: &generator)
        #expect(!oneBad.passed && oneBad.worstCoordinate == 7, "\(oneBad)")
        #expect(throws: VariationalInferenceError.self) { try GradientCheck.run(target, at: [], using: &generator) }
        #expect(throws: VariationalInferenceError.self) { try GradientCheck.run(target, at: [[0]], using: &generator) }
    }

    /// The end-of-fit check draws from a stream of its own: the caller's generator ends where the
    /// iterations left it, with or without the check; and a summary of a D < 5 fit prints.
    @Test func theEndOfFitCheckLeavesTheCallersGeneratorAlone() throws {
        var setup = Xoshiro256StarStar(seed: 24)
        let target = try LowRankGaussianTarget.synthetic(dimension: 4, rank: 1, using: &setup)
        let algorithm = try BatchAndMatch(batchSize: 4)
        var checked = Xoshiro256StarStar(seed: 25), unchecked = Xoshiro256StarStar(seed: 25)
        let a = try fit(algorithm, model: target, using: &checked, options: FitOptions(maxIterations: 5))
        _ = try fit(algorithm, model: target, using: &unchecked, options: FitOptions(maxIterations: 5, diagnosticDraws: 0))
        #expect(checked.next() == unchecked.next())
        #expect(a.diagnostics != nil)
        #expect("\(try FitSummary(a.approximation))".split(separator: "\n").count == 6)
        #expect(throws: VariationalInferenceError.self) {
            try fit(algorithm, model: target, using: &checked, options: FitOptions(maxIterations: 5, diagnosticDraws: 20))
        }
    }

    /// The summary and the diagnostics print in bounded length at D = 10⁵.
    @Test func summariesAreBoundedAtLargeD() throws {
        let d = 100_000
        let q = try DiagonalGaussian(mean: (0..<d).map { Double($0) }, variances: (0..<d).map { 1 + Double($0 % 7) })
        let summary = try FitSummary(q)
        let text = "\(summary)"
        #expect(text.split(separator: "\n").count <= 14 && text.count < 1_500, "\(text.count) characters")
        #expect(text.contains("x[99999]"))
        #expect(abs(try summary.quantile(0.95, coordinate: 3) - (3 + 2 * 1.6448536269514722)) < 1e-12)
        #expect(abs(standardNormalQuantile(0.025) + 1.959963984540054) < 1e-13)
        #expect(abs(standardNormalQuantile(1e-10) + 6.361340902404056) < 1e-10)
        #expect(throws: VariationalInferenceError.self) { try summary.quantile(1, coordinate: 0) }
    }
}

/// A model whose score has the wrong sign (−∇log p): the classic hand-written-gradient bug.
struct FlippedScoreModel<Base: LogDensityModel>: LogDensityModel {
    let base: Base
    var dimension: Int { base.dimension }
    func logDensity(at x: [Double]) throws -> Double { try base.logDensity(at: x) }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        let value = try base.logDensityAndGradient(at: x, gradient: &gradient)
        for i in gradient.indices { gradient[i] = -gradient[i] }
        return value
    }
}

/// A model whose score is off by a factor 1.1 in one coordinate.
struct OneWrongCoordinateModel<Base: LogDensityModel>: LogDensityModel {
    let base: Base
    let coordinate: Int
    var dimension: Int { base.dimension }
    func logDensity(at x: [Double]) throws -> Double { try base.logDensity(at: x) }
    func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        let value = try base.logDensityAndGradient(at: x, gradient: &gradient)
        gradient[coordinate] *= 1.1
        return value
    }
}
