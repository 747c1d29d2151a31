import ScoreVI
import Testing

/// The README's usage example (and the DocC getting-started article's), verbatim apart from the
/// assertions and with the one umbrella import, so that it keeps compiling.
@Suite("README example") struct ReadmeExampleTests {
    /// A model: an anisotropic Gaussian, log p(x) = −½ Σᵢ xᵢ²/sᵢ with sᵢ = 1 + i/D.
    struct AnisotropicGaussian: LogDensityModel {
        let dimension: Int
        func logDensity(at x: [Double]) throws -> Double {
            var sum = 0.0
            for i in 0..<dimension { sum -= 0.5 * x[i] * x[i] / (1 + Double(i) / Double(dimension)) }
            return sum
        }
        func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
            for i in 0..<dimension { gradient[i] = -x[i] / (1 + Double(i) / Double(dimension)) }
            return try logDensity(at: x)
        }
    }

    @Test func example() throws {
        let model = AnisotropicGaussian(dimension: 200)
        let algorithm = try PatchedBaM(rank: 4, batchSize: 16, schedule: .decaying(initial: 16 * 200, exponent: 1))
        var generator = Xoshiro256StarStar(seed: 42)
        let result = try fit(algorithm, model: model, using: &generator,
                             options: FitOptions(maxGradientEvaluations: 20_000,
                                                 stoppingRule: .parameterChange(tolerance: 1e-3, patience: 5)))
        let q = result.approximation                         // LowRankGaussian: mean, psi, lambda
        let variances = q.marginalVariances                  // diag(Ψ + ΛΛᵀ), length D
        let draws = q.sample(count: 100, using: &generator)  // 200×100 Matrix

        #expect(result.stopReason == .converged || result.stopReason == .gradientBudget)
        #expect(abs(variances[0] - 1) < 0.1 && abs(variances[199] - 1.995) < 0.2)
        #expect(draws.rows == 200 && draws.columns == 100)
    }
}
