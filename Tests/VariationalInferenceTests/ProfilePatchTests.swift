import LowRankLinalg
import Testing
import TestSupport
@testable import VariationalInference

/// The profile-likelihood patch against plain EM run to full convergence, on implicit targets of the
/// pBaM form built by the low-rank BaM match.
@Suite("Patch (profile likelihood)") struct ProfilePatchTests {
    /// KL(N(0,S) ‖ N(0, Ψ + ΛΛᵀ)) with log det S from a dense Cholesky.
    func trueKL(_ s: SignedLowRankPlusDiagonal, _ psi: [Double], _ lambda: Matrix) throws -> Double {
        let f = try FactorAnalysisPatch.objective(target: s, targetDiagonal: s.diagonal, psi: psi, lambda: lambda)
        return 0.5 * (f - (try Cholesky(denseMatrix(s)).logDeterminant) - Double(s.dimension))
    }

    /// A BaM update of a random q = N(μ, Ψ + ΛΛᵀ) towards a Gaussian target N(m, A Aᵀ + diag(c)), from a
    /// batch of B points of q: S in the factored form of `LowRankBaMUpdate`, around q's ψ.
    func pBaMTarget(d: Int, k: Int, b: Int, rate: Double, seed: UInt64)
        throws -> (target: SignedLowRankPlusDiagonal, psi: [Double], lambda: Matrix) {
        var rng = Xoshiro256StarStar(seed: seed)
        let a = rng.standardNormalMatrix(rows: d, columns: k)
        let targetCovariance = BLAS.gemm(a, a, transB: .transpose) + Matrix.diagonal(rng.uniforms(d, in: 0.05..<1))
        let precision = try Cholesky(targetCovariance).inverse
        let mean = rng.uniforms(d)
        let q = try LowRankGaussian(mean: rng.standardNormals(d), psi: rng.uniforms(d, in: 0.2..<1.2),
                                    lambda: rng.standardNormalMatrix(rows: d, columns: k))
        let points = q.sample(count: b, using: &rng)
        var scores = Matrix(rows: d, columns: b)
        for j in 0..<b {
            let x = points.column(j)
            let score = precision * zip(mean, x).map { $0 - $1 }
            TallSkinny.setColumn(&scores, j, to: score)
        }
        let update = try LowRankBaMUpdate(mean: q.mean, psi: q.psi, lambda: q.lambda, points: points, scores: scores,
                                          learningRate: rate)
        return (update.covariance, q.psi, q.lambda)
    }

    /// With pBaM's target the first evaluation of a patch starts from the exact eigenvectors of
    /// Ψ^{-1/2}SΨ^{-1/2} at the warm ψ: its eigen solve converges in one pass, with Ritz values equal
    /// to the match's scaled eigenvalues ν (to 1e-10 relative), where the warm basis of an unrelated
    /// earlier patch needs more.
    @Test func theFirstEvaluationStartsFromTheExactEigenbasis() throws {
        let (d, k) = (40, 4)
        let (s, psi, lambda) = try pBaMTarget(d: d, k: k, b: 8, rate: 1e3, seed: 9)
        let nu = try SymmetricEigen(BLAS.gemm(BLAS.gemm(Matrix.diagonal(psi.map { 1 / $0.squareRoot() }), denseMatrix(s)),
                                             Matrix.diagonal(psi.map { 1 / $0.squareRoot() }))).values.reversed()
        let (other, _, _) = try pBaMTarget(d: d, k: k, b: 8, rate: 1e3, seed: 10)
        for exact in [true, false] {
            var profile = ProfilePatchWorkspace(dimension: d, rank: k, patch: .standard)
            for i in 0..<d { profile.logPsi[i] = _log(psi[i]) }
            var passes = 0
            profile.beginPatch()
            _ = try profile.evaluate(trial: false, target: other, targetDiagonal: other.diagonal, warmLambda: lambda,
                                     tolerance: 1e-10, passLimit: 200, passes: &passes)
            passes = 0
            profile.beginPatch(scaledEigenbasis: exact)
            _ = try profile.evaluate(trial: false, target: s, targetDiagonal: s.diagonal, warmLambda: lambda,
                                     tolerance: 1e-10, passLimit: 200, passes: &passes)
            if exact {
                #expect(passes == 1)
                #expect(relativeError(Array(profile.eigen.values.prefix(k)), Array(nu.prefix(k))) < 1e-10)
            } else {
                #expect(passes > 1)
            }
        }
    }

    /// Plain EM (η = 1, no convergence test) for `steps` steps: the reference optimum.
    func emReference(_ s: SignedLowRankPlusDiagonal, psi: [Double], lambda: Matrix, steps: Int) throws -> Double {
        let em = try FactorAnalysisPatch(maxSteps: steps, tolerance: 0, relaxation: 1, jitter: 1e-12)
        let result = try em.run(target: s, logDeterminantOfTarget: 0, psi: psi, lambda: lambda)
        return try trueKL(s, result.psi, result.lambda)
    }

    @Test(arguments: [(24, 3, 6, 3.0, UInt64(1)), (40, 4, 8, 1e3, UInt64(2)), (64, 5, 8, 64.0 * 8, UInt64(3)),
                      (48, 2, 16, 10.0, UInt64(4))])
    func reachesTheEMOptimumFromWarmAndColdStarts(d: Int, k: Int, b: Int, rate: Double, seed: UInt64) throws {
        let (s, warmPsi, warmLambda) = try pBaMTarget(d: d, k: k, b: b, rate: rate, seed: seed)
        let reference = try emReference(s, psi: warmPsi, lambda: warmLambda, steps: 20_000)
        let patch = try ProfilePatch(maxPasses: 2_000, tolerance: 1e-13, maxLogChange: .infinity, jitter: 1e-12)
        var rng = Xoshiro256StarStar(seed: seed + 100)
        let coldLambda = 0.1 * rng.standardNormalMatrix(rows: d, columns: k)
        for (psi, lambda) in [(warmPsi, warmLambda), ([Double](repeating: 1, count: d), coldLambda)] {
            let result = try patch.run(target: s, psi: psi, lambda: lambda)
            let kl = try trueKL(s, result.psi, result.lambda)
            #expect(abs(kl - reference) <= 1e-9 * (Double(d) + reference),
                    "profile KL \(kl) vs EM \(reference) after \(result.emSteps) passes")
            #expect(kl <= (try trueKL(s, psi, lambda)))
            #expect(result.psi.allSatisfy { $0 >= patch.jitter })
        }
    }

    @Test func convergesInFewPassesWhereEMIsSlow() throws {
        let (s, psi, lambda) = try pBaMTarget(d: 64, k: 5, b: 8, rate: 64.0 * 8, seed: 3)
        let reference = try emReference(s, psi: psi, lambda: lambda, steps: 20_000)
        let profile = try ProfilePatch(maxLogChange: .infinity).run(target: s, psi: psi, lambda: lambda)
        let em = try FactorAnalysisPatch.standard.run(target: s, logDeterminantOfTarget: try Cholesky(denseMatrix(s)).logDeterminant,
                                                      psi: psi, lambda: lambda)
        let profileGap = try trueKL(s, profile.psi, profile.lambda) - reference
        let emGap = try trueKL(s, em.psi, em.lambda) - reference
        #expect(profileGap <= 1e-4, "profile gap \(profileGap) after \(profile.emSteps) passes")
        #expect(profile.emSteps < em.emSteps, "profile \(profile.emSteps) passes, EM \(em.emSteps) steps (gap \(emGap))")
    }

    @Test func theTrustRegionBoundsEveryChangeOfLogPsi() throws {
        let (s, psi, lambda) = try pBaMTarget(d: 40, k: 4, b: 8, rate: 1e3, seed: 2)
        let result = try ProfilePatch(maxLogChange: 0.1).run(target: s, psi: psi, lambda: lambda)
        let largest = zip(result.psi, psi).map { abs(_log($0) - _log($1)) }.max()!
        #expect(largest <= 0.1 + 1e-12)
        let free = try ProfilePatch(maxLogChange: .infinity).run(target: s, psi: psi, lambda: lambda)
        #expect(zip(free.psi, psi).map { abs(_log($0) - _log($1)) }.max()! > 0.2)
    }

    @Test func neverReturnsAWorseKLThanItsWarmStart() throws {
        let (s, psi, lambda) = try pBaMTarget(d: 32, k: 3, b: 6, rate: 50, seed: 9)
        let em = try FactorAnalysisPatch(maxSteps: 20_000, tolerance: 0, relaxation: 1, jitter: 1e-12)
            .run(target: s, logDeterminantOfTarget: 0, psi: psi, lambda: lambda)
        let optimum = try trueKL(s, em.psi, em.lambda)
        for cap in [3, 4, 10] {
            let result = try ProfilePatch(maxPasses: cap, jitter: 1e-12).run(target: s, psi: em.psi, lambda: em.lambda)
            #expect(try trueKL(s, result.psi, result.lambda) <= optimum)
            #expect(result.emSteps <= cap)
            let cold = try ProfilePatch(maxPasses: cap, maxLogChange: .infinity)
                .run(target: s, psi: [Double](repeating: 1, count: 32), lambda: Matrix(rows: 32, columns: 3, repeating: 0.1))
            #expect(cold.emSteps <= cap && !cold.converged)
        }
    }

    @Test func truncatedEigenPatchMatchesTheDenseEigenDecomposition() throws {
        let (s, psi, lambda) = try pBaMTarget(d: 40, k: 4, b: 8, rate: 1e3, seed: 21)
        let result = try TruncatedEigenPatch(maxPasses: 200, eigenTolerance: 1e-12, jitter: 1e-12)
            .run(target: s, psi: psi, lambda: lambda)
        let dense = try SymmetricEigen(denseMatrix(s))
        let d = 40, k = 4
        let top = Matrix(rows: d, columns: k) { i, j in
            dense.vectors[i, d - 1 - j] * dense.values[d - 1 - j].squareRoot()
        }
        let expected = BLAS.gemm(top, top, transB: .transpose)
        #expect(relativeError(BLAS.gemm(result.lambda, result.lambda, transB: .transpose), expected) < 1e-9)
        let diagonal = s.diagonal
        let expectedPsi = (0..<d).map { max(diagonal[$0] - expected[$0, $0], 1e-12) }
        #expect(relativeError(result.psi, expectedPsi) < 1e-8)
        #expect(throws: VariationalInferenceError.self) { try TruncatedEigenPatch(maxPasses: 0) }
    }

    @Test func invalidSettingsAndShapesAreRejected() throws {
        #expect(throws: VariationalInferenceError.self) { try ProfilePatch(maxPasses: 2) }
        #expect(throws: VariationalInferenceError.self) { try ProfilePatch(tolerance: -1) }
        #expect(throws: VariationalInferenceError.self) { try ProfilePatch(absoluteTolerance: .infinity) }
        #expect(throws: VariationalInferenceError.self) { try ProfilePatch(maxLogChange: 0) }
        #expect(throws: VariationalInferenceError.self) { try ProfilePatch(memory: 0) }
        #expect(throws: VariationalInferenceError.self) { try ProfilePatch(oversampling: -1) }
        #expect(throws: VariationalInferenceError.self) { try ProfilePatch(eigenTolerance: .nan) }
        #expect(throws: VariationalInferenceError.self) { try ProfilePatch(jitter: 0) }
        let (s, psi, lambda) = try pBaMTarget(d: 16, k: 2, b: 4, rate: 5, seed: 11)
        #expect(throws: VariationalInferenceError.self) {
            try ProfilePatch.standard.run(target: s, psi: Array(psi.dropLast()), lambda: lambda)
        }
    }
}
