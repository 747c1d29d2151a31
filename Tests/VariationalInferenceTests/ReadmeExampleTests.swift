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
        var generator = Xoshiro256StarStar(seed: 42)
        let check = try GradientCheck.run(model, at: [[Double](repeating: 0.5, count: 200)], using: &generator)
        print(check)                                         // run it first: a wrong gradient fails here

        let algorithm = try PatchedBaM(rank: 4, batchSize: 32)   // λ_t = B·D/(1+t) by default
        let result = try fit(algorithm, model: model, using: &generator,
                             options: FitOptions(maxGradientEvaluations: 20_000,
                                                 stoppingRule: .fisherDivergence(below: 1e-3)))
        for warning in result.warnings { print("warning:", warning) }   // empty for a sound fit
        print(result.diagnostics!)                           // PSIS k̂, ESS, ELBO, IW-ELBO of the final q
        print(try FitSummary(result.approximation))          // mean, sd, quantiles; ≤ 12 rows at any D
        let q = result.approximation                         // LowRankGaussian: mean, psi, lambda
        let variances = q.marginalVariances                  // diag(Ψ + ΛΛᵀ), length D
        let draws = q.sample(count: 100, using: &generator)  // 200×100 Matrix

        #expect(check.passed)
        #expect(result.stopReason == .converged && result.warnings.isEmpty, "\(result.warnings)")
        #expect(result.diagnostics!.paretoShape < 0.5)
        #expect(abs(variances[0] - 1) < 0.1 && abs(variances[199] - 1.995) < 0.2)
        #expect(draws.rows == 200 && draws.columns == 100)
    }
}
