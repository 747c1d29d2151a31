import LowRankLinalg
import Testing
import TestSupport
@testable import VariationalInference

/// The factored match (`LowRankBaMUpdate`) at learning rates up to 10⁶·B·D against a 60-digit mpmath
/// evaluation of the dense closed form from the same float64 inputs
/// (`Resources/match-high-precision.json`, made by `scripts/reference/match-precision.py`). The
/// targets are Gaussians with condition numbers κ = 10² to 10⁶. In float64 (numpy), the dense closed
/// form loses up to 0.7 of max|Sᵢⱼ| on these cases and the S = Ψ + RRᵀ − PPᵀ form up to 9e3, with
/// eigenvalues down to −1.7e4; the factored form stays within 1e-10 of them here.
/// Tolerances: S to 3e-13·(1 + λ/(BD))^{1/2} of max|Sᵢⱼ| (3e-10 at λ = 10⁶·B·D), log det S to D times
/// that, absolute; the mean, which is Sḡ + x̄ with |ḡ| growing like κ, to
/// 1e-12·(1 + λ/(BD))^{1/2}·κ^{1/2} relative.
@Suite("Match precision at large λ") struct MatchPrecisionTests {
    @Test(arguments: 0..<5) func factoredMatchAgreesWithTheHighPrecisionReference(index: Int) throws {
        let v = TestVectors(resource: "match-high-precision").cases("cases")[index]
        let update = try LowRankBaMUpdate(mean: v.vector("mu"), psi: v.vector("psi"), lambda: v.matrix("Lambda"),
                                          points: v.matrix("X").transposed(), scores: v.matrix("G").transposed(),
                                          learningRate: v.number("lam"))
        let reference = v.matrix("S")
        let s = denseMatrix(update.covariance)
        let scale = reference.elements.map(abs).max()!
        let error = (s - reference).elements.map(abs).max()! / scale
        let tolerance = 3e-13 * (1 + v.number("lam_over_BD")).squareRoot()
        let meanTolerance = 1e-12 * (1 + v.number("lam_over_BD")).squareRoot() * v.number("target_condition").squareRoot()
        #expect(error <= tolerance)
        #expect(abs(update.logDeterminant - v.number("logdet")) <= tolerance * Double(v.vector("psi").count))
        #expect(relativeError(update.mean, v.vector("mean")) <= meanTolerance)
        #expect(update.scaledEigenvalues.allSatisfy { $0 > 0 })
        #expect(zip(update.diagonal, update.covariance.diagonalPart).allSatisfy { $0 > 0 && $1 > 0 })
    }
}
