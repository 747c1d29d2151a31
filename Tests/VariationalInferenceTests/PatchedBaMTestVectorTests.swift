import LowRankLinalg
import Testing
import TestSupport
@testable import VariationalInference

/// Agreement with the independent float64 reference of `pbam-test-vectors.json`.
/// Tolerances: 1e-10 relative for closed-form quantities (the vectors carry ~16 digits; inputs are
/// given to 6 decimals and used as exact); 1e-6 for full patches, whose round-off order differs.
@Suite("pBaM against the reference test vectors") struct PatchedBaMTestVectorTests {
    let v = TestVectors()
    var mu: [Double] { v.vector("mu") }
    var psi: [Double] { v.vector("psi") }
    var lambda: Matrix { v.matrix("Lambda") }
    var points: Matrix { v.matrix("X").transposed() }
    var scores: Matrix { v.matrix("G").transposed() }

    func update() throws -> LowRankBaMUpdate {
        return try LowRankBaMUpdate(mean: mu, psi: psi, lambda: lambda, points: points, scores: scores,
                                    learningRate: v.number("lam"))
    }

    func patch(eta: Double) throws -> FactorAnalysisPatch {
        try FactorAnalysisPatch(maxSteps: 501, tolerance: 1e-5, relaxation: eta, jitter: 1e-6,
                                convergenceTest: .referenceObjectiveRatio, minimumSteps: 5)
    }

    @Test func scoresMatchTheTarget() {
        // G = −(X − m*)Σ*⁻¹ with Σ* = AAᵀ + 0.5 I.
        let a = v.matrix("A")
        let target = BLAS.gemm(a, a, transB: .transpose) + 0.5 * Matrix.identity(a.rows)
        var centred = points
        TallSkinny.centerColumns(&centred, around: v.vector("mstar"), scale: -1)
        let expected = try! Cholesky(target).solve(centred)
        #expect(relativeError(expected, scores) < 1e-10)
    }

    @Test func batchMeansCovarianceAndPrePatchMean() throws {
        let u = try update()
        #expect(relativeError(u.meanPoint, v.vector("xbar")) < 1e-12)
        #expect(relativeError(u.meanScore, v.vector("gbar")) < 1e-12)
        #expect(relativeError(u.covariance.diagonal, v.vector("S_diag")) < 1e-10)
        #expect(relativeError(denseMatrix(u.covariance), v.matrix("S_dense")) < 1e-10)
        #expect(relativeError(u.mean, v.vector("mu_new_prepatch")) < 1e-10)
        #expect(u.matchEigenvalues.allSatisfy { $0 >= 1 })
    }

    @Test func logDeterminantOfTheUpdateIsClosedForm() throws {
        let u = try update()
        let expected = try Cholesky(v.matrix("S_dense")).logDeterminant
        #expect(relativeError(u.logDeterminant, expected) < 1e-10)
    }

    @Test func oneEMStepAndTheObjective() throws {
        let u = try update()
        let s = u.covariance, diagonal = s.diagonal
        let (nextPsi, nextLambda) = try FactorAnalysisPatch.emStep(target: s, targetDiagonal: diagonal, psi: psi,
                                                                   lambda: lambda, jitter: 1e-6)
        #expect(relativeError(nextPsi, v.vector("em1_psi")) < 1e-10)
        #expect(relativeError(BLAS.gemm(nextLambda, nextLambda, transB: .transpose), v.matrix("em1_LambdaLambdaT")) < 1e-10)
        let before = try FactorAnalysisPatch.objective(target: s, targetDiagonal: diagonal, psi: psi, lambda: lambda)
        let after = try FactorAnalysisPatch.objective(target: s, targetDiagonal: diagonal, psi: nextPsi, lambda: nextLambda)
        #expect(relativeError(before, v.number("klobj_init")) < 1e-10)
        #expect(relativeError(after, v.number("klobj_after_em1")) < 1e-10)
    }

    @Test(arguments: [(1.2, "patch_eta1p2"), (1.0, "patch_eta1p0")])
    func fullPatches(eta: Double, block: String) throws {
        let u = try update()
        let result = try patch(eta: eta).run(target: u.covariance, logDeterminantOfTarget: u.logDeterminant,
                                             psi: psi, lambda: lambda)
        // The reference reports the 0-based index c of the last EM step.
        #expect(result.emSteps - 1 == Int(v.number("iterations_index_c", in: block)))
        #expect(result.converged)
        #expect(relativeError(result.psi, v.vector("psi", in: block)) < 1e-6)
        #expect(relativeError(BLAS.gemm(result.lambda, result.lambda, transB: .transpose),
                              v.matrix("LambdaLambdaT", in: block)) < 1e-6)
    }

    @Test func postPatchMean() throws {
        let u = try update()
        let result = try patch(eta: 1.2).run(target: u.covariance, logDeterminantOfTarget: u.logDeterminant,
                                             psi: psi, lambda: lambda)
        let mean = u.postPatchMean(previousMean: mu, psi: result.psi, lambda: result.lambda)
        #expect(relativeError(mean, v.vector("mu_new_postmean_eta1p2")) < 1e-6)
    }
}
