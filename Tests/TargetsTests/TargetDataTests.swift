import Foundation
import LowRankLinalg
@testable import Targets
import Testing
import VariationalInference

/// The embedded coal-mining data and its binning, seeded reproducibility of the synthetic targets,
/// the Poisson sampler, and the errors thrown for bad input.
@Suite("Target data and input checks") struct TargetDataTests {
    @Test func coalMiningDataAndBinning() throws {
        let dates = CoalMiningDisasterDates.decimalYears
        #expect(dates.count == 191)
        #expect(zip(dates, dates.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(dates.first == 1851.20260095825 && dates.last == 1962.21971252567)
        let target = try CoalMiningCoxProcessTarget()
        #expect(target.dimension == 811)
        #expect(target.counts.count == 811 && target.counts.reduce(0, +) == 191)
        #expect(target.offset == log(191.0 / 811.0))
        #expect(abs(target.binWidth - 112.0 / 811.0) < 1e-15)
        #expect(abs(target.binCentres[0] - (1851 + 56.0 / 811.0)) < 1e-12)
        #expect(abs(target.lengthScaleYears - 13_516 / 365.25) < 1e-12)
        // Independent recount of one busy stretch: the first bin holds the date 1851.2026… only if
        // 1851.2026 < 1851 + width, which it is not (width ≈ 0.138), so it lands in bin 1.
        #expect(target.counts[1] == 1 && target.counts[0] == 0)
    }

    @Test func sameSeedGivesSameDataAndDifferentSeedDifferentData() throws {
        func gp(_ seed: UInt64) throws -> GaussianProcessPoissonTarget {
            var rng = Xoshiro256StarStar(seed: seed)
            return try GaussianProcessPoissonTarget.synthetic(using: &rng)
        }
        func irt(_ seed: UInt64) throws -> ItemResponseTarget {
            var rng = Xoshiro256StarStar(seed: seed)
            return try ItemResponseTarget.synthetic(students: 30, items: 7, using: &rng)
        }
        func gaussian(_ seed: UInt64) throws -> LowRankGaussianTarget {
            var rng = Xoshiro256StarStar(seed: seed)
            return try LowRankGaussianTarget.illConditioned(dimension: 12, rank: 3, using: &rng)
        }
        let (a, b, c) = (try gp(5), try gp(5), try gp(6))
        #expect(a.latent == b.latent && a.counts == b.counts && a.grid == b.grid)
        #expect(a.latent != c.latent)
        let (p, q, r) = (try irt(5), try irt(5), try irt(6))
        #expect(p.responses == q.responses && p.trueParameters == q.trueParameters)
        #expect(p.trueParameters != r.trueParameters)
        let (g, h) = (try gaussian(5), try gaussian(5))
        #expect(g.mean == h.mean && g.covariance.lambda == h.covariance.lambda && g.covariance.psi == h.covariance.psi)
    }

    @Test func gaussianProcessPoissonGridAndSizes() throws {
        var rng = Xoshiro256StarStar(seed: 7)
        let target = try GaussianProcessPoissonTarget.synthetic(using: &rng)
        #expect(target.dimension == 100 && target.counts.count == 100 && target.latent.count == 100)
        #expect(target.grid.first == -3 && abs(target.grid[99] - 3) < 1e-14)
        #expect(target.counts.allSatisfy { $0 >= 0 })
    }

    @Test(arguments: [0.5, 3.0, 9.5, 10.0, 47.0, 300.0])
    func poissonSamplerMoments(mean mu: Double) {
        var rng = Xoshiro256StarStar(seed: UInt64(mu * 10))
        let n = 40_000
        let draws = (0..<n).map { _ in Double(PoissonSampler.draw(mean: mu, using: &rng)) }
        let mean = draws.reduce(0, +) / Double(n)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        // Standard errors: mean √(μ/n), variance ≈ μ·√(2/n) (plus the μ/n kurtosis term).
        #expect(abs(mean - mu) < 5 * (mu / Double(n)).squareRoot())
        #expect(abs(variance - mu) < 6 * mu * (2 / Double(n) + 1 / (mu * Double(n))).squareRoot())
        #expect(draws.allSatisfy { $0 >= 0 })
    }

    @Test func wrongLengthInputsThrow() throws {
        var rng = Xoshiro256StarStar(seed: 8)
        let targets: [any LogDensityModel] = [
            try LowRankGaussianTarget.synthetic(dimension: 5, rank: 2, using: &rng),
            try LowRankGaussianTarget.illConditioned(dimension: 5, rank: 2, using: &rng),
            try SinhArcsinhTarget(skew: 0.2, tailWeight: 0.8),
            try GaussianProcessPoissonTarget.synthetic(dimension: 10, using: &rng),
            try CoalMiningCoxProcessTarget(binCount: 50),
            try ItemResponseTarget.synthetic(students: 5, items: 3, using: &rng),
        ]
        for target in targets {
            let x = [Double](repeating: 0, count: target.dimension + 1)
            var gradient = [Double]()
            #expect(throws: VariationalInferenceError.self) { try target.logDensity(at: x) }
            #expect(throws: VariationalInferenceError.self) { try target.logDensityAndGradient(at: x, gradient: &gradient) }
            var scores = Matrix(rows: target.dimension, columns: 2)
            #expect(throws: VariationalInferenceError.self) {
                try target.gradients(at: Matrix(rows: target.dimension - 1, columns: 2), into: &scores)
            }
        }
    }

    @Test func invalidSizesAndParametersThrow() {
        var rng = Xoshiro256StarStar(seed: 9)
        #expect(throws: VariationalInferenceError.self) { try LowRankGaussianTarget.illConditioned(dimension: 0, rank: 1, using: &rng) }
        #expect(throws: VariationalInferenceError.self) { try LowRankGaussianTarget.illConditioned(dimension: 4, rank: 1, conditionDecades: -1, using: &rng) }
        #expect(throws: VariationalInferenceError.self) { try SinhArcsinhTarget(dimension: 0, skew: 0, tailWeight: 1) }
        #expect(throws: VariationalInferenceError.self) { try SinhArcsinhTarget(skew: 0, tailWeight: 0) }
        #expect(throws: VariationalInferenceError.self) { try SinhArcsinhTarget(dimension: 3, skew: 0, tailWeight: 1, scales: [1, 1]) }
        #expect(throws: VariationalInferenceError.self) { try GaussianProcessPoissonTarget.synthetic(dimension: 1, using: &rng) }
        #expect(throws: VariationalInferenceError.self) { try GaussianProcessPoissonTarget.synthetic(lengthScale: 0, using: &rng) }
        #expect(throws: VariationalInferenceError.self) { try CoalMiningCoxProcessTarget(binCount: 0) }
        #expect(throws: VariationalInferenceError.self) { try ItemResponseTarget.synthetic(students: 0, using: &rng) }
        #expect(throws: VariationalInferenceError.self) { try ItemResponseTarget(students: 2, items: 2, responses: [true]) }
    }

    @Test func overflowIsARecoverableModelError() throws {
        var rng = Xoshiro256StarStar(seed: 10)
        let gp = try GaussianProcessPoissonTarget.synthetic(dimension: 10, using: &rng)
        var x = [Double](repeating: 0, count: 10)
        x[3] = 800
        var gradient = [Double]()
        let error = #expect(throws: ModelError.self) { try gp.logDensityAndGradient(at: x, gradient: &gradient) }
        #expect(error?.isRecoverable == true)
        var scores = Matrix(rows: 10, columns: 1)
        #expect(throws: ModelError.self) { try gp.gradients(at: Matrix(rows: 10, columns: 1, elements: x), into: &scores) }
        let irt = try ItemResponseTarget.synthetic(students: 3, items: 2, using: &rng)
        var y = [Double](repeating: 0, count: irt.dimension)
        y[3] = 800
        #expect(throws: ModelError.self) { try irt.logDensity(at: y) }
        let sas = try SinhArcsinhTarget(dimension: 1, skew: 0, tailWeight: 3)
        #expect(throws: ModelError.self) { try sas.logDensity(at: [1e300]) }
    }
}
