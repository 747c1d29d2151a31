import LowRankLinalg
import Testing
import TestSupport
@testable import VariationalInference

/// The low-rank match of algorithm.md §2.2 against the dense BaM update of §2.1, computed in the test
/// by the dense symmetric formulation (Cholesky of V, eigen of LᵀUL). Tolerance 1e-10 relative.
@Suite("Low-rank match against dense BaM") struct LowRankMatchTests {
    @Test(arguments: [(8, 2, 3, 2.5), (20, 4, 8, 0.3), (32, 8, 16, 512.0), (12, 3, 20, 40.0)])
    func matchEqualsDenseUpdate(shape: (d: Int, k: Int, b: Int, rate: Double)) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(shape.d * 1000 + shape.b))
        let (d, b, rate) = (shape.d, shape.b, shape.rate)
        let mean = rng.standardNormals(d)
        let psi = rng.uniforms(d, in: 0.2..<1.2)
        let lambda = rng.standardNormalMatrix(rows: d, columns: shape.k)
        let points = rng.standardNormalMatrix(rows: d, columns: b)
        let scores = rng.standardNormalMatrix(rows: d, columns: b)
        let update = try LowRankBaMUpdate(mean: mean, psi: psi, lambda: lambda, points: points, scores: scores,
                                          learningRate: rate)

        // Dense §2.1: batch statistics with 1/B normalization.
        let xbar = (0..<d).map { i in (0..<b).reduce(0) { $0 + points[i, $1] } / Double(b) }
        let gbar = (0..<d).map { i in (0..<b).reduce(0) { $0 + scores[i, $1] } / Double(b) }
        let c = Matrix(rows: d, columns: d) { i, j in
            (0..<b).reduce(0) { $0 + (points[i, $1] - xbar[i]) * (points[j, $1] - xbar[j]) } / Double(b)
        }
        let gamma = Matrix(rows: d, columns: d) { i, j in
            (0..<b).reduce(0) { $0 + (scores[i, $1] - gbar[i]) * (scores[j, $1] - gbar[j]) } / Double(b)
        }
        let shrink = rate / (1 + rate)
        let u = rate * gamma + Matrix(rows: d, columns: d) { i, j in shrink * gbar[i] * gbar[j] }
        let sigma = Matrix.diagonal(psi) + BLAS.gemm(lambda, lambda, transB: .transpose)
        let v = sigma + rate * c + Matrix(rows: d, columns: d) { i, j in shrink * (mean[i] - xbar[i]) * (mean[j] - xbar[j]) }
        let l = try Cholesky(v).lower
        var a = BLAS.gemm(BLAS.gemm(l, u, transA: .transpose), l)
        a.symmetrize()
        let eigen = try SymmetricEigen(a)
        let middle = eigen.map { 2 / (1 + (1 + 4 * max($0, 0)).squareRoot()) }
        let denseS = BLAS.gemm(BLAS.gemm(l, middle), l, transB: .transpose)
        let sg = BLAS.gemv(denseS, gbar)
        let denseMean = (0..<d).map { mean[$0] / (1 + rate) + shrink * (sg[$0] + xbar[$0]) }

        let lowRankS = denseMatrix(update.covariance)
        #expect(relativeError(lowRankS, denseS) <= 1e-10)
        #expect(relativeError(update.mean, denseMean) <= 1e-10)
        // S solves S U S + S = V.
        #expect(relativeError(BLAS.gemm(BLAS.gemm(lowRankS, u), lowRankS) + lowRankS, v) <= 1e-10)
        #expect(relativeError(update.logDeterminant, try Cholesky(denseS).logDeterminant) <= 1e-10)
    }

    @Test func inconsistentShapesAndBadRatesAreThrown() {
        let lambda = Matrix(rows: 4, columns: 1, repeating: 0.5)
        let points = Matrix(rows: 4, columns: 2, repeating: 1), scores = Matrix(rows: 4, columns: 2, repeating: -1)
        #expect(throws: VariationalInferenceError.dimensionMismatch(what: "ψ", expected: 4, actual: 3)) {
            try LowRankBaMUpdate(mean: [0, 0, 0, 0], psi: [1, 1, 1], lambda: lambda, points: points, scores: scores,
                                 learningRate: 1)
        }
        #expect(throws: VariationalInferenceError.dimensionMismatch(what: "scores columns", expected: 2, actual: 3)) {
            try LowRankBaMUpdate(mean: [0, 0, 0, 0], psi: [1, 1, 1, 1], lambda: lambda, points: points,
                                 scores: Matrix(rows: 4, columns: 3), learningRate: 1)
        }
        #expect(throws: VariationalInferenceError.self) {
            try LowRankBaMUpdate(mean: [0, 0, 0, 0], psi: [1, 1, 1, 1], lambda: lambda, points: points, scores: scores,
                                 learningRate: -1)
        }
    }

    @Test func vanishingLearningRateLeavesQUnchanged() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let d = 10, b = 4
        let mean = rng.standardNormals(d), psi = rng.uniforms(d, in: 0.5..<1.5)
        let lambda = rng.standardNormalMatrix(rows: d, columns: 2)
        let update = try LowRankBaMUpdate(mean: mean, psi: psi, lambda: lambda,
                                          points: rng.standardNormalMatrix(rows: d, columns: b),
                                          scores: rng.standardNormalMatrix(rows: d, columns: b),
                                          learningRate: 1e-12)
        let sigma = Matrix.diagonal(psi) + BLAS.gemm(lambda, lambda, transB: .transpose)
        #expect(relativeError(denseMatrix(update.covariance), sigma) < 1e-10)
        #expect(relativeError(update.mean, mean) < 1e-10)
    }
}

/// Properties of the EM patch on seeded random targets.
@Suite("Patch (EM for factor analysis)") struct FactorAnalysisPatchTests {
    /// KL(N(0,S) ‖ N(0,Σ)) = ½(F − log det S − D), with log det S computed densely here.
    func trueKL(_ s: SignedLowRankPlusDiagonal, _ psi: [Double], _ lambda: Matrix) throws -> Double {
        let f = try FactorAnalysisPatch.objective(target: s, targetDiagonal: s.diagonal, psi: psi, lambda: lambda)
        return 0.5 * (f - (try Cholesky(denseMatrix(s)).logDeterminant) - Double(s.dimension))
    }

    /// A random BaM-like target: diag + R Rᵀ − P Pᵀ made positive definite by construction
    /// (P = small multiple of part of R).
    func randomTarget(d: Int, k: Int, _ rng: inout Xoshiro256StarStar) -> SignedLowRankPlusDiagonal {
        let r = rng.standardNormalMatrix(rows: d, columns: k + 5)
        let p = 0.3 * r.columns(0..<3)
        return SignedLowRankPlusDiagonal(diagonal: rng.uniforms(d, in: 0.2..<1.0), added: r, subtracted: p)
    }

    @Test(arguments: [(16, 2), (40, 5)])
    func emWithoutRelaxationNeverIncreasesTheKL(shape: (d: Int, k: Int)) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(shape.d + 7 * shape.k))
        let s = randomTarget(d: shape.d, k: shape.k, &rng)
        var psi = rng.uniforms(shape.d, in: 0.5..<1.5)
        var lambda = rng.standardNormalMatrix(rows: shape.d, columns: shape.k)
        var kl = try trueKL(s, psi, lambda)
        for _ in 0..<60 {
            (psi, lambda) = try FactorAnalysisPatch.emStep(target: s, targetDiagonal: s.diagonal, psi: psi,
                                                           lambda: lambda, jitter: 1e-9)
            let next = try trueKL(s, psi, lambda)
            #expect(next <= kl + 1e-12 * max(1, kl))
            kl = next
        }
    }

    @Test func objectiveMinusTwiceKLIsLogDetSPlusD() throws {
        var rng = Xoshiro256StarStar(seed: 91)
        let s = randomTarget(d: 14, k: 3, &rng)
        let psi = rng.uniforms(14, in: 0.5..<1.5), lambda = rng.standardNormalMatrix(rows: 14, columns: 3)
        let dense = denseMatrix(s)
        let sigma = Matrix.diagonal(psi) + BLAS.gemm(lambda, lambda, transB: .transpose)
        let sigmaCholesky = try Cholesky(sigma)
        let denseKL = 0.5 * (sigmaCholesky.solve(dense).trace - 14 + sigmaCholesky.logDeterminant
                             - (try Cholesky(dense).logDeterminant))
        let f = try FactorAnalysisPatch.objective(target: s, targetDiagonal: s.diagonal, psi: psi, lambda: lambda)
        #expect(relativeError(f - 2 * denseKL, try Cholesky(dense).logDeterminant + 14) < 1e-10)
    }

    @Test(arguments: [1.0, 1.2, 1.5])
    func patchRecoversAnExactLowRankPlusDiagonalTarget(eta: Double) throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let d = 24, k = 3
        let s = SignedLowRankPlusDiagonal(diagonal: rng.uniforms(d, in: 0.3..<1.3),
                                          added: rng.standardNormalMatrix(rows: d, columns: k),
                                          subtracted: Matrix(rows: d, columns: 0))
        let logDetS = try Cholesky(denseMatrix(s)).logDeterminant
        let patch = try FactorAnalysisPatch(maxSteps: 5000, tolerance: 1e-13, relaxation: eta)
        let result = try patch.run(target: s, logDeterminantOfTarget: logDetS, psi: [Double](repeating: 1, count: d),
                                   lambda: 0.1 * rng.standardNormalMatrix(rows: d, columns: k))
        #expect(try trueKL(s, result.psi, result.lambda) < 1e-8)
        #expect(result.psi.allSatisfy { $0 >= patch.jitter })
    }

    @Test func invalidSettingsAreRejected() {
        #expect(throws: VariationalInferenceError.self) { try FactorAnalysisPatch(relaxation: 2) }
        #expect(throws: VariationalInferenceError.self) { try FactorAnalysisPatch(relaxation: 0.9) }
        #expect(throws: VariationalInferenceError.self) { try FactorAnalysisPatch(maxSteps: 0) }
        #expect(throws: VariationalInferenceError.self) { try FactorAnalysisPatch(tolerance: -1) }
        #expect(throws: VariationalInferenceError.self) { try FactorAnalysisPatch(jitter: 0) }
    }
}

/// pBaM's in-place pieces against their dense references.
@Suite("pBaM workspace") struct PatchedBaMWorkspaceTests {
    @Test(arguments: [(24, 3, 5), (6, 2, 4), (40, 1, 1)])
    func logDeterminantAndDiagonalMatchDense(shape: (d: Int, k: Int, b: Int)) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(30 + shape.d))
        let (d, k, b) = shape
        let update = try LowRankBaMUpdate(mean: rng.standardNormals(d), psi: rng.uniforms(d, in: 0.5..<1.5),
                                          lambda: rng.standardNormalMatrix(rows: d, columns: k),
                                          points: rng.standardNormalMatrix(rows: d, columns: b),
                                          scores: rng.standardNormalMatrix(rows: d, columns: b), learningRate: 3)
        let dense = denseMatrix(update.covariance)
        #expect(relativeError(update.logDeterminant, try Cholesky(dense).logDeterminant) < 1e-12)
        #expect(relativeError(update.diagonal, dense.diagonal) < 1e-13)
        #expect(update.covariance.factors.columns == min(k + 2 * b, d))
        #expect(update.scaledEigenvalues.allSatisfy { $0 > 0 })
    }

    @Test func emStepsReuseTheWorkspaceAndMatchTheAllocatingForm() throws {
        var rng = Xoshiro256StarStar(seed: 41)
        let (d, k) = (30, 4)
        let r = rng.standardNormalMatrix(rows: d, columns: k + 5)
        let target = SignedLowRankPlusDiagonal(diagonal: rng.uniforms(d, in: 0.2..<1.0), added: r, subtracted: 0.3 * r.columns(0..<3))
        let psi = rng.uniforms(d, in: 0.5..<1.5), lambda = rng.standardNormalMatrix(rows: d, columns: k)
        let patch = try FactorAnalysisPatch(maxSteps: 7, tolerance: 0, relaxation: 1.3)
        var workspace = PatchWorkspace(dimension: d, rank: k, columnCapacity: 9)
        var inPlacePsi = psi, inPlaceLambda = lambda
        let outcome = try patch.run(target: target, targetDiagonal: target.diagonal, logDeterminantOfTarget: 0,
                                    psi: &inPlacePsi, lambda: &inPlaceLambda, workspace: &workspace)
        // The same seven relaxed steps through the public one-step form.
        var psiRef = psi, lambdaRef = lambda
        for _ in 0..<7 {
            let (nextPsi, nextLambda) = try FactorAnalysisPatch.emStep(target: target, targetDiagonal: target.diagonal,
                                                                       psi: psiRef, lambda: lambdaRef, jitter: 1e-6)
            psiRef = zip(psiRef, nextPsi).map { max(-0.3 * $0 + 1.3 * $1, 1e-6) }
            lambdaRef = -0.3 * lambdaRef + 1.3 * nextLambda
        }
        #expect(outcome.emSteps == 7 && !outcome.converged)
        #expect(relativeError(inPlacePsi, psiRef) < 1e-11 && relativeError(inPlaceLambda, lambdaRef) < 1e-11)
        let expected = try LowRankPlusDiagonal(psi: inPlacePsi, lambda: inPlaceLambda).capacitance.lower
        #expect(relativeError(outcome.capacitance.lower, expected) < 1e-12)
    }
}
