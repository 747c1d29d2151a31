import Foundation
import LowRankLinalg
import Targets
import Testing
import TestSupport
import VariationalInference

/// Analytic scores of every target against central finite differences of `logDensity`, batch scores
/// against the point-by-point ones, and the LR+D Gaussian against a dense reference.
@Suite("Target gradients") struct TargetGradientTests {
    /// A named target with seeded evaluation points, small enough for finite differences.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let make: @Sendable () throws -> (any LogDensityModel & Sendable, [[Double]])
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "low-rank Gaussian") {
            var rng = Xoshiro256StarStar(seed: 11)
            let target = try LowRankGaussianTarget.synthetic(dimension: 20, rank: 3, using: &rng)
            return (target, points(around: target.mean, spread: 1, count: 3, using: &rng))
        },
        Case(name: "ill-conditioned Gaussian") {
            var rng = Xoshiro256StarStar(seed: 12)
            let target = try LowRankGaussianTarget.illConditioned(dimension: 20, rank: 4, using: &rng)
            return (target, points(around: target.mean, spread: 0.1, count: 3, using: &rng))
        },
        Case(name: "sinh-arcsinh, heavy tails") {
            var rng = Xoshiro256StarStar(seed: 13)
            let target = try SinhArcsinhTarget(skew: 0.5, tailWeight: 0.7)
            return (target, points(around: [Double](repeating: 0, count: 10), spread: 2, count: 3, using: &rng))
        },
        Case(name: "sinh-arcsinh, light tails, scaled") {
            var rng = Xoshiro256StarStar(seed: 14)
            let target = try SinhArcsinhTarget(dimension: 6, skew: -1, tailWeight: 1.6, scales: [0.5, 1, 2, 3, 0.1, 1])
            return (target, points(around: [Double](repeating: 0, count: 6), spread: 1, count: 3, using: &rng))
        },
        Case(name: "GP-Poisson (D = 100)") {
            var rng = Xoshiro256StarStar(seed: 15)
            let target = try GaussianProcessPoissonTarget.synthetic(using: &rng)
            return (target, points(around: target.latent, spread: 0.01, count: 3, using: &rng))
        },
        Case(name: "coal-mining LGCP (D = 811)") {
            var rng = Xoshiro256StarStar(seed: 16)
            let target = try CoalMiningCoxProcessTarget()
            return (target, points(around: [Double](repeating: 0, count: 811), spread: 0.05, count: 2, using: &rng))
        },
        Case(name: "GP-Poisson, whitened (D = 60)") {
            var rng = Xoshiro256StarStar(seed: 18)
            let target = try GaussianProcessPoissonTarget.synthetic(dimension: 60, parameterization: .whitened, using: &rng)
            return (target, points(around: [Double](repeating: 0, count: 60), spread: 0.5, count: 3, using: &rng))
        },
        Case(name: "coal-mining LGCP, whitened (D = 120)") {
            var rng = Xoshiro256StarStar(seed: 19)
            let target = try CoalMiningCoxProcessTarget(binCount: 120, parameterization: .whitened)
            return (target, points(around: [Double](repeating: 0, count: 120), spread: 0.5, count: 2, using: &rng))
        },
        Case(name: "IRT (J = 40, I = 8)") {
            var rng = Xoshiro256StarStar(seed: 17)
            let target = try ItemResponseTarget.synthetic(students: 40, items: 8, using: &rng)
            return (target, points(around: target.trueParameters ?? [], spread: 0.1, count: 3, using: &rng))
        },
        Case(name: "BNN regression (diabetes, H = 5, D = 62)") {
            var rng = Xoshiro256StarStar(seed: 24)
            let target = try BayesianNeuralNetworkTarget(data: .diabetes, hiddenUnits: 5)
            return (target, points(around: [Double](repeating: 0, count: target.dimension), spread: 0.5, count: 3, using: &rng))
        },
        Case(name: "BNN classification (digits, H = 3, D = 238)") {
            var rng = Xoshiro256StarStar(seed: 25)
            let target = try BayesianNeuralNetworkTarget(data: .digits, hiddenUnits: 3)
            return (target, points(around: [Double](repeating: 0, count: target.dimension), spread: 0.5, count: 3, using: &rng))
        },
        Case(name: "softmax regression (digits, D = 650)") {
            var rng = Xoshiro256StarStar(seed: 26)
            let target = try BayesianNeuralNetworkTarget(data: .digits, hiddenUnits: 0)
            return (target, points(around: [Double](repeating: 0, count: target.dimension), spread: 0.3, count: 2, using: &rng))
        },
    ]

    /// `count` points center + spread·N(0, I), drawn in order from `rng`.
    static func points(around center: [Double], spread: Double, count: Int,
                       using rng: inout Xoshiro256StarStar) -> [[Double]] {
        (0..<count).map { _ in Vector.add(center, rng.standardNormals(center.count).map { spread * $0 }) }
    }

    @Test(arguments: cases)
    func gradientMatchesCentralDifferences(_ testCase: Case) throws {
        let (target, points) = try testCase.make()
        var rng = Xoshiro256StarStar(seed: 99)
        for x in points {
            var gradient = [Double](repeating: 0, count: target.dimension)
            let value = try target.logDensityAndGradient(at: x, gradient: &gradient)
            #expect(relativeError(value, try target.logDensity(at: x)) < 1e-12)
            let coordinates = x.count <= 20 ? Array(0..<x.count) : (0..<20).map { _ in Int(rng.next() % UInt64(x.count)) }
            var differences = [Double]()
            for i in coordinates {
                let h = 1e-5 * max(1, abs(x[i]))
                var plus = x, minus = x
                plus[i] += h
                minus[i] -= h
                differences.append((try target.logDensity(at: plus) - target.logDensity(at: minus)) / (2 * h))
            }
            let analytic = coordinates.map { gradient[$0] }
            let error = relativeError(analytic, differences)
            #expect(error < 1e-6, "\(testCase.name): relative error \(error)")
        }
    }

    @Test(arguments: cases)
    func batchScoresEqualPointScores(_ testCase: Case) throws {
        let (target, points) = try testCase.make()
        let block = Matrix(columns: points)
        var scores = Matrix(rows: target.dimension, columns: points.count)
        try target.gradients(at: block, into: &scores)
        for (b, x) in points.enumerated() {
            var gradient = [Double]()
            _ = try target.logDensityAndGradient(at: x, gradient: &gradient)
            #expect(relativeError(scores.column(b), gradient) < 1e-10)
        }
    }

    @Test(arguments: [false, true])
    func lowRankGaussianEqualsDenseGaussian(illConditioned: Bool) throws {
        var rng = Xoshiro256StarStar(seed: 21)
        let d = 16
        let target = illConditioned
            ? try LowRankGaussianTarget.illConditioned(dimension: d, rank: 5, using: &rng)
            : try LowRankGaussianTarget.synthetic(dimension: d, rank: 5, using: &rng)
        let sigma = Matrix.diagonal(target.covariance.psi)
            + BLAS.gemm(target.covariance.lambda, target.covariance.lambda, transB: .transpose)
        let factor = try Cholesky(sigma)
        for _ in 0..<3 {
            let x = Vector.add(target.mean, rng.standardNormals(d).map { 0.3 * $0 })
            let r = Vector.subtract(x, target.mean)
            let dense = -0.5 * (Double(d) * log(2 * Double.pi) + factor.logDeterminant + BLAS.dot(r, factor.solve(r)))
            #expect(relativeError(try target.logDensity(at: x), dense) < 1e-10)
        }
    }

    @Test func illConditionedSpectrumSpansSixDecades() throws {
        var rng = Xoshiro256StarStar(seed: 22)
        let target = try LowRankGaussianTarget.illConditioned(dimension: 40, rank: 8, using: &rng)
        let sigma = Matrix.diagonal(target.covariance.psi)
            + BLAS.gemm(target.covariance.lambda, target.covariance.lambda, transB: .transpose)
        let values = try SymmetricEigen(sigma).values
        let smallest = try #require(values.min()), largest = try #require(values.max())
        #expect(abs(smallest - 1e-3) < 1e-9)
        #expect(largest / smallest >= 1e6)
    }

    @Test func sinhArcsinhWithoutSkewOrTailsIsGaussian() throws {
        let target = try SinhArcsinhTarget(dimension: 3, skew: 0, tailWeight: 1, scales: [1, 2, 0.5])
        let x = [0.3, -1.2, 0.7]
        let scales = [1.0, 2, 0.5]
        let expected = (0..<3).reduce(0.0) { sum, i in
            sum - 0.5 * (x[i] / scales[i]) * (x[i] / scales[i]) - 0.5 * log(2 * Double.pi) - log(scales[i])
        }
        var gradient = [Double]()
        #expect(relativeError(try target.logDensityAndGradient(at: x, gradient: &gradient), expected) < 1e-14)
        #expect(relativeError(gradient, (0..<3).map { -x[$0] / (scales[$0] * scales[$0]) }) < 1e-14)
    }

    @Test func defaultSizeItemResponseScoreIsFinite() throws {
        var rng = Xoshiro256StarStar(seed: 23)
        let target = try ItemResponseTarget.synthetic(using: &rng)
        #expect(target.dimension == 2_000)
        let truth = try #require(target.trueParameters)
        var gradient = [Double]()
        let value = try target.logDensityAndGradient(at: truth, gradient: &gradient)
        #expect(value.isFinite)
        #expect(gradient.count == 2_000 && gradient.allSatisfy(\.isFinite))
    }
}
