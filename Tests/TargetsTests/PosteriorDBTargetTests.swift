import Foundation
import LowRankLinalg
import Targets
import Testing
import TestSupport
import VariationalInference

/// The six posteriordb targets: analytic gradients against central differences, log densities and
/// constrained parameters against the independent numpy/scipy values of
/// `scripts/reference/posteriordb-reference.py` (PosteriorDBReferenceValues.swift), the transforms'
/// bounds, and the typed errors.
@Suite("posteriordb targets") struct PosteriorDBTargetTests {
    /// Points near three reference draws: each draw's θ plus 0.01·N(0, I) from a generator seeded by
    /// the target's position in the table. For gp_pois_regr, log ρ is first set to log 3: at the
    /// draws' ρ (5–7) K's condition number is 10⁷–10¹⁰ and float64 central differences lose about
    /// five digits (the analytic gradient is checked there against mpmath instead); at ρ = 3 it is 5·10³.
    static func gradientPoints(_ testCase: PosteriorDBReferenceCase) -> [[Double]] {
        let index = posteriorDBReferenceCases.firstIndex { $0.target.name == testCase.target.name } ?? 0
        var rng = Xoshiro256StarStar(seed: 700 + UInt64(index))
        return testCase.points.prefix(3).map { point in
            var theta = point.theta
            if testCase.target is GPPoissonRegressionTarget { theta[0] = log(3) }
            return Vector.add(theta, rng.standardNormals(theta.count).map { 0.01 * $0 })
        }
    }

    /// Each coordinate of the score against a central difference with step 1e-5·max(1, |θᵢ|):
    /// |analytic − difference| ≤ 1e-6·max(|difference|, 1).
    @Test(arguments: posteriorDBReferenceCases)
    func gradientMatchesCentralDifferences(_ testCase: PosteriorDBReferenceCase) throws {
        let target = testCase.target
        for x in Self.gradientPoints(testCase) {
            var gradient = [Double](repeating: 0, count: target.dimension)
            let value = try target.logDensityAndGradient(at: x, gradient: &gradient)
            #expect(value == (try target.logDensity(at: x)))
            for i in 0..<x.count {
                let h = 1e-5 * max(1, abs(x[i]))
                var plus = x, minus = x
                plus[i] += h
                minus[i] -= h
                let difference = (try target.logDensity(at: plus) - target.logDensity(at: minus)) / (2 * h)
                #expect(abs(gradient[i] - difference) <= 1e-6 * max(abs(difference), 1),
                        "\(target.name) coordinate \(i): analytic \(gradient[i]), central difference \(difference)")
            }
        }
    }

    /// gp_pois_regr's analytic gradient at the three reference draws against mpmath's (50-digit
    /// central differences): |analytic − mpmath| ≤ 1e-6·max(|mpmath|, 1) in every coordinate.
    @Test func gaussianProcessGradientMatchesMpmath() throws {
        let testCase = try #require(posteriorDBReferenceCases.first { $0.target is GPPoissonRegressionTarget })
        let withGradients = testCase.points.filter { $0.gradient != nil }
        #expect(withGradients.count == 3)
        for point in withGradients {
            let expected = try #require(point.gradient)
            var gradient = [Double]()
            _ = try testCase.target.logDensityAndGradient(at: point.theta, gradient: &gradient)
            for i in expected.indices {
                #expect(abs(gradient[i] - expected[i]) <= 1e-6 * max(abs(expected[i]), 1),
                        "coordinate \(i): analytic \(gradient[i]), mpmath \(expected[i])")
            }
        }
    }

    /// The log density at the reference points equals scipy's to a relative 1e-10 (both include every
    /// normalizing constant and the log-Jacobian).
    @Test(arguments: posteriorDBReferenceCases)
    func logDensityMatchesScipy(_ testCase: PosteriorDBReferenceCase) throws {
        #expect(testCase.points.count == 4)
        for point in testCase.points {
            let value = try testCase.target.logDensity(at: point.theta)
            #expect(relativeError(value, point.logDensity) < 1e-10,
                    "\(testCase.target.name): \(value) against scipy's \(point.logDensity)")
        }
    }

    /// `constrained` maps the θ of each reference draw back to the draw (and the perturbed point to
    /// numpy's transform) to a relative 1e-9 per entry; its length is the parameter names'.
    @Test(arguments: posteriorDBReferenceCases)
    func constrainedMatchesTheTransforms(_ testCase: PosteriorDBReferenceCase) throws {
        let target = testCase.target
        for point in testCase.points {
            let values = try target.constrained(point.theta)
            try #require(values.count == target.parameterNames.count)
            for (i, (mine, theirs)) in zip(values, point.constrained).enumerated() {
                #expect(abs(mine - theirs) <= 1e-9 * max(abs(theirs), 1e-3),
                        "\(target.name) \(target.parameterNames[i]): \(mine) against \(theirs)")
            }
        }
    }

    /// garch11 at extreme and random θ: α₀ > 0, 0 < α₁ < 1 and 0 < β₁ < 1 − α₁ (Stan's variable upper
    /// bound), and the log density stays finite wherever the transforms do.
    @Test func garchStaysInsideItsBounds() throws {
        let target = Garch11Target()
        var rng = Xoshiro256StarStar(seed: 710)
        var points: [[Double]] = [[5, 0, 30, 30], [5, 0, -30, 30], [5, 0, 30, -30], [5, 0, 0, 30], [5, 0, 0, -30]]
        points += (0..<20).map { _ in [5] + rng.standardNormals(3).map { 4 * $0 } }
        for theta in points {
            let p = try target.constrained(theta)
            #expect(p[0] == theta[0])
            #expect(p[1] > 0)
            #expect(p[2] > 0 && p[2] < 1, "alpha1 = \(p[2]) at \(theta)")
            #expect(p[3] >= 0 && p[3] < 1 - p[2], "beta1 = \(p[3]), 1 - alpha1 = \(1 - p[2]) at \(theta)")
            #expect(abs(p[3] - (1 - p[2]) / (1 + exp(-theta[3]))) <= 1e-15)
        }
        for theta in points.suffix(20) { #expect(try target.logDensity(at: theta).isFinite) }
    }

    /// The positive parameters are e^θ: σ of the regressions, ρ and α of the GP.
    @Test func positiveParametersAreExponentials() throws {
        let sigma = try ArKTarget().constrained([0, 0, 0, 0, 0, 0, log(0.15)])
        #expect(abs(sigma[6] - 0.15) < 1e-15)
        let blr = try BLRTarget().constrained([1, 2, 3, 4, 5, -2])
        #expect(blr == [1, 2, 3, 4, 5, exp(-2)])
        let gp = try GPPoissonRegressionTarget().constrained([log(5.0), log(3.0)] + [Double](repeating: 0, count: 11))
        #expect(abs(gp[0] - 5) < 1e-14 && abs(gp[1] - 3) < 1e-14)
        #expect(gp[2...].allSatisfy { $0 == 0 })
    }

    /// All six are listed once, with consistent dimensions, names and reference summaries; the bulk
    /// ESS of every parameter lies in 9,240–10,495 (posteriordb's info files: 10,000 thinned draws
    /// that passed its ESS check), so a reference mean's standard error is about 0.01 sd.
    @Test func collectionListsSixConsistentTargets() throws {
        let all = PosteriorDB.all
        #expect(all.map(\.name) == ["kilpisjarvi_mod-kilpisjarvi", "garch-garch11", "sblrc-blr", "arK-arK",
                                    "nes2000-nes", "gp_pois_regr-gp_pois_regr"])
        #expect(all.map(\.dimension) == [3, 4, 6, 7, 10, 13])
        for target in all {
            #expect(target.parameterNames.count == target.dimension)
            #expect(target.referenceMean.count == target.dimension)
            #expect(target.referenceSD.count == target.dimension)
            #expect(target.referenceSD.allSatisfy { $0 > 0 && $0.isFinite })
            #expect(target.referenceBulkESS.count == target.dimension)
            #expect(target.referenceBulkESS.allSatisfy { $0 >= 9_239 && $0 <= 10_496 }, "\(target.name)")
        }
        #expect(ArKTarget().referenceBulkESS[2] == 9239.79800692367)
        #expect(PosteriorDB.commit == "28f8d3d6e975315f42aa274a8399f21e07a43b30")
    }

    /// Bad points give typed errors, not crashes: a wrong length, an overflowing scale, a GP
    /// hyperparameter that is NaN, a Poisson rate that overflows.
    @Test func badPointsThrowTypedErrors() throws {
        for target in PosteriorDB.all {
            #expect(throws: VariationalInferenceError.dimensionMismatch(what: "point", expected: target.dimension,
                                                                        actual: target.dimension + 1)) {
                try target.logDensity(at: [Double](repeating: 0, count: target.dimension + 1))
            }
        }
        #expect(throws: ModelError.self) { try ArKTarget().logDensity(at: [0, 0, 0, 0, 0, 0, 800]) }
        #expect(throws: ModelError.self) { try NESTarget().logDensity(at: [Double](repeating: 0, count: 9) + [-800]) }
        #expect(throws: ModelError.self) { try Garch11Target().logDensity(at: [0, 800, 0, 0]) }
        #expect(throws: ModelError.self) {
            try GPPoissonRegressionTarget().logDensity(at: [800, 0] + [Double](repeating: 1, count: 11))
        }
        #expect(throws: ModelError.self) {
            try GPPoissonRegressionTarget().logDensity(at: [Double.nan, 0] + [Double](repeating: 1, count: 11))
        }
        #expect(throws: ModelError.self) {
            try GPPoissonRegressionTarget().logDensity(at: [log(5.0), log(50.0)] + [Double](repeating: 20, count: 11))
        }
    }
}
