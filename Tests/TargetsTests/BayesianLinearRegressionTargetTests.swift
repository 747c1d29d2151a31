import Foundation
import LowRankLinalg
@testable import Targets
import Testing
import TestSupport
import VariationalInference

/// The Bayesian linear-regression target: its score against finite differences, the batch path
/// against the point path, the exact posterior against an independent normal-equations solve, and
/// input validation.
@Suite("Bayesian linear regression target") struct BayesianLinearRegressionTargetTests {
    /// A small synthetic target (D = 8, N = 30) and `count` seeded points around its posterior mean.
    static func smallTarget(seed: UInt64, noiseScale: Double = 0.7, priorScale: Double = 1.5, count: Int = 3)
        throws -> (BayesianLinearRegressionTarget, [[Double]]) {
        var rng = Xoshiro256StarStar(seed: seed)
        let target = try BayesianLinearRegressionTarget.synthetic(dimension: 8, observations: 30, correlation: 0.9,
                                                                  noiseScale: noiseScale, priorScale: priorScale,
                                                                  using: &rng)
        let points = (0..<count).map { _ in
            Vector.add(target.posterior.mean, rng.standardNormals(target.dimension).map { 0.3 * $0 })
        }
        return (target, points)
    }

    /// The name of the `VariationalInferenceError` case `body` throws, "other" for another error, nil
    /// when it does not throw.
    static func errorCase(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as VariationalInferenceError {
            switch error {
            case .invalidArgument: return "invalidArgument"
            case .dimensionMismatch: return "dimensionMismatch"
            case .nonFinite: return "nonFinite"
            case .noAcceptedSteps: return "noAcceptedSteps"
            case .nonFiniteScore: return "nonFiniteScore"
            case .budgetSpentOnStart: return "budgetSpentOnStart"
            }
        } catch {
            return "other"
        }
    }

    @Test(arguments: [(UInt64(1), 8), (UInt64(2), 50)])
    func gradientMatchesCentralDifferences(seed: UInt64, dimension: Int) throws {
        var rng = Xoshiro256StarStar(seed: seed)
        let target = try BayesianLinearRegressionTarget.synthetic(dimension: dimension, observations: 2 * dimension,
                                                                  noiseScale: 0.8, priorScale: 1.3, using: &rng)
        for _ in 0..<3 {
            let x = Vector.add(target.posterior.mean, rng.standardNormals(dimension).map { 0.5 * $0 })
            var gradient = [Double]()
            let value = try target.logDensityAndGradient(at: x, gradient: &gradient)
            #expect(gradient.count == dimension)
            #expect(relativeError(value, try target.logDensity(at: x)) < 1e-14)
            var differences = [Double]()
            for i in 0..<dimension {
                let h = 1e-5 * max(1, abs(x[i]))
                var plus = x, minus = x
                plus[i] += h
                minus[i] -= h
                differences.append((try target.logDensity(at: plus) - target.logDensity(at: minus)) / (2 * h))
            }
            let error = relativeError(gradient, differences)
            #expect(error < 1e-6, "D = \(dimension): relative error \(error)")
        }
    }

    @Test func logDensityIsTheLogJoint() throws {
        let (target, points) = try Self.smallTarget(seed: 3)
        let x = target.design, y = target.observations, sigma = target.noiseScale, tau = target.priorScale
        let n = x.rows, d = x.columns
        for w in points {
            var residual = 0.0
            for i in 0..<n {
                var fitted = 0.0
                for j in 0..<d { fitted += x[i, j] * w[j] }
                residual += (y[i] - fitted) * (y[i] - fitted)
            }
            let prior = w.reduce(0) { $0 + $1 * $1 }
            let expected = -residual / (2 * sigma * sigma) - prior / (2 * tau * tau)
                - 0.5 * Double(n) * log(2 * Double.pi * sigma * sigma) - 0.5 * Double(d) * log(2 * Double.pi * tau * tau)
            #expect(relativeError(try target.logDensity(at: w), expected) < 1e-11)
        }
    }

    @Test func batchScoresEqualPointScores() throws {
        let (target, points) = try Self.smallTarget(seed: 4, count: 5)
        let block = Matrix(columns: points)
        var reused = Matrix(rows: target.dimension, columns: points.count, repeating: .nan)
        var resized = Matrix(rows: 1, columns: 1)
        try target.gradients(at: block, into: &reused)
        try target.gradients(at: block, into: &resized)
        #expect(resized.rows == target.dimension && resized.columns == points.count)
        for (b, x) in points.enumerated() {
            var gradient = [Double](repeating: 0, count: target.dimension)
            _ = try target.logDensityAndGradient(at: x, gradient: &gradient)
            #expect(relativeError(reused.column(b), gradient) < 1e-12)
            #expect(relativeError(resized.column(b), gradient) < 1e-12)
        }
    }

    @Test(arguments: [(0.7, 1.5), (0.05, 10.0), (3.0, 0.2)])
    func posteriorMatchesNormalEquations(noiseScale: Double, priorScale: Double) throws {
        let (target, _) = try Self.smallTarget(seed: 5, noiseScale: noiseScale, priorScale: priorScale, count: 0)
        let x = target.design, y = target.observations
        let n = x.rows, d = x.columns
        let ridge = (noiseScale * noiseScale) / (priorScale * priorScale)
        // (XᵀX + σ²/τ²·I)·w = Xᵀy, with XᵀX and Xᵀy summed by hand.
        let normal = Matrix(rows: d, columns: d) { j, k in
            (0..<n).reduce(0.0) { $0 + x[$1, j] * x[$1, k] } + (j == k ? ridge : 0)
        }
        let rightHandSide = (0..<d).map { j in (0..<n).reduce(0.0) { $0 + x[$1, j] * y[$1] } }
        let factor = try Cholesky(normal)
        let mean = factor.solve(rightHandSide)
        let covariance = (noiseScale * noiseScale) * factor.inverse
        #expect(relativeError(target.posterior.mean, mean) < 1e-9)
        #expect(relativeError(target.posterior.covariance, covariance) < 1e-9)
        #expect(relativeError(BLAS.gemm(target.precision, target.posterior.covariance), Matrix.identity(d)) < 1e-9)

        var score = [Double]()
        _ = try target.logDensityAndGradient(at: target.posterior.mean, gradient: &score)
        #expect(Vector.norm(score) < 1e-9, "score at the posterior mean: \(Vector.norm(score))")
        var batch = Matrix(rows: d, columns: 1)
        try target.gradients(at: Matrix(columns: [target.posterior.mean]), into: &batch)
        #expect(Vector.norm(batch.column(0)) < 1e-9)
    }

    @Test func logDensityDifferencesMatchThePosterior() throws {
        let (target, points) = try Self.smallTarget(seed: 6, count: 4)
        for a in points.indices {
            for b in points.indices where b > a {
                let targetDifference = try target.logDensity(at: points[a]) - target.logDensity(at: points[b])
                let posteriorDifference = try target.posterior.logDensity(at: points[a])
                    - target.posterior.logDensity(at: points[b])
                #expect(abs(targetDifference - posteriorDifference) <= 1e-9 * max(1, abs(posteriorDifference)))
            }
        }
    }

    @Test func syntheticDataAreSeededAndCorrelated() throws {
        var first = Xoshiro256StarStar(seed: 7), second = Xoshiro256StarStar(seed: 7)
        let a = try BayesianLinearRegressionTarget.synthetic(dimension: 4, observations: 4_000, correlation: 0.9, using: &first)
        let b = try BayesianLinearRegressionTarget.synthetic(dimension: 4, observations: 4_000, correlation: 0.9, using: &second)
        #expect(a.design == b.design && a.observations == b.observations && a.trueWeights == b.trueWeights)
        #expect(a.dimension == 4 && a.trueWeights.count == 4 && a.observations.count == 4_000)
        // Unit-variance features with corr(x_j, x_k) = ρ^|j−k|.
        let x = a.design
        func moment(_ j: Int, _ k: Int) -> Double { (0..<x.rows).reduce(0.0) { $0 + x[$1, j] * x[$1, k] } / Double(x.rows) }
        for j in 0..<4 { #expect(abs(moment(j, j) - 1) < 0.1) }
        #expect(abs(moment(0, 1) - 0.9) < 0.05)
        #expect(abs(moment(0, 2) - 0.81) < 0.05)
        #expect(abs(moment(1, 3) - 0.81) < 0.05)
        // With N = 4000 observations the posterior concentrates on w*.
        #expect(relativeError(a.posterior.mean, a.trueWeights) < 0.1)

        let given = try BayesianLinearRegressionTarget(design: a.design, observations: a.observations,
                                                       noiseScale: 1, priorScale: 1)
        #expect(given.trueWeights.isEmpty)
        #expect(given.posterior.mean == a.posterior.mean)
    }

    @Test func invalidInputsThrow() throws {
        let design = Matrix(rows: 3, columns: 2, elements: [1, 2, 3, 4, 5, 6])
        let y = [1.0, 0, -1]
        func make(_ design: Matrix = design, _ y: [Double] = y, sigma: Double = 1, tau: Double = 1) -> String? {
            Self.errorCase { try BayesianLinearRegressionTarget(design: design, observations: y, noiseScale: sigma, priorScale: tau) }
        }
        #expect(make() == nil)
        for bad in [0.0, -1, .nan, .infinity] {
            #expect(make(sigma: bad) == "invalidArgument")
            #expect(make(tau: bad) == "invalidArgument")
        }
        #expect(make(design, [1, 2]) == "dimensionMismatch")
        #expect(make(Matrix(rows: 3, columns: 0), y) == "invalidArgument")
        #expect(make(Matrix(rows: 0, columns: 2), []) == "invalidArgument")
        #expect(make(Matrix(rows: 3, columns: 2, elements: [1, 2, .nan, 4, 5, 6])) == "nonFinite")
        #expect(make(design, [1, .infinity, 0]) == "nonFinite")
        #expect(make(sigma: 1e-200) == "nonFinite")

        func synthetic(d: Int = 3, n: Int = 5, rho: Double = 0.5, sigma: Double = 1, tau: Double = 1) -> String? {
            var rng = Xoshiro256StarStar(seed: 8)
            return Self.errorCase {
                try BayesianLinearRegressionTarget.synthetic(dimension: d, observations: n, correlation: rho,
                                                             noiseScale: sigma, priorScale: tau, using: &rng)
            }
        }
        #expect(synthetic() == nil)
        #expect(synthetic(d: 1) == nil)
        #expect(synthetic(d: 0) == "invalidArgument")
        #expect(synthetic(n: 0) == "invalidArgument")
        for rho in [1.0, -1, 1.5, .nan] { #expect(synthetic(rho: rho) == "invalidArgument") }
        #expect(synthetic(sigma: 0) == "invalidArgument")
        #expect(synthetic(tau: -2) == "invalidArgument")

        let target = try BayesianLinearRegressionTarget(design: design, observations: y, noiseScale: 1, priorScale: 1)
        var gradient = [Double]()
        #expect(Self.errorCase { try target.logDensity(at: [1, 2, 3]) } == "dimensionMismatch")
        #expect(Self.errorCase { try target.logDensityAndGradient(at: [1], gradient: &gradient) } == "dimensionMismatch")
        var scores = Matrix(rows: 3, columns: 2)
        #expect(Self.errorCase { try target.gradients(at: Matrix(rows: 3, columns: 2), into: &scores) } == "dimensionMismatch")
        #expect(throws: ModelError.self) { try target.logDensity(at: [.infinity, 0]) }
    }
}
