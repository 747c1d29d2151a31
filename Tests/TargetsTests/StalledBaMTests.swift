import Foundation
import LowRankLinalg
import Targets
import Testing
import VariationalInference

/// What posteriordb's sblrc-blr (D = 6, posterior sds ≈ 1e-3 from a N(0, I) start) revealed about
/// dense BaM: the default λ_t = B·D/(1 + t) = 96/(1 + t) freezes the fit hundreds of posterior sds
/// from the mean. The fit must say so, and the remedy its warning names must work.
@Suite("Stalled BaM") struct StalledBaMTests {
    /// The median over β of |mean − reference mean| / reference sd.
    static func medianZ(_ q: some GaussianApproximation, _ target: BLRTarget) -> Double {
        let z = (0..<5).map { abs(q.mean[$0] - target.referenceMean[$0]) / target.referenceSD[$0] }.sorted()
        return z[2]
    }

    @Test func theDefaultScheduleStallsAndSaysSo() throws {
        let target = BLRTarget()
        var generator = Xoshiro256StarStar(seed: 1)
        let result = try fit(try BatchAndMatch(batchSize: 16), model: target, using: &generator,
                             options: FitOptions(maxGradientEvaluations: 20_000, diagnosticDraws: 0))
        let z = Self.medianZ(result.approximation, target)
        #expect(z > 10, "the default schedule now converges (median z = \(z)): revisit the warning")
        #expect(result.warnings.contains { if case .learningRateDecayed = $0 { return true } else { return false } },
                "\(result.warnings)")
    }

    @Test(arguments: [1, 2] as [UInt64]) func aConstantLambdaConverges(seed: UInt64) throws {
        let target = BLRTarget()
        var generator = Xoshiro256StarStar(seed: seed)
        let result = try fit(try BatchAndMatch(batchSize: 16, schedule: .constant(1e4)), model: target, using: &generator,
                             options: FitOptions(maxGradientEvaluations: 3_200, diagnosticDraws: 0))
        let z = Self.medianZ(result.approximation, target)
        #expect(z < 0.5, "median z = \(z)")
        #expect(!result.warnings.contains { if case .learningRateDecayed = $0 { return true } else { return false } })
    }
}
