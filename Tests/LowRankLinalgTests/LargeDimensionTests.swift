import LowRankLinalg
import Testing
import TestSupport

/// Every LR+D operation at D = 1,000,000, K = 16. A dense D×D matrix would need 8 TB, so finishing
/// at all shows that nothing densifies; the values are checked against O(D) identities.
@Suite("LowRankPlusDiagonal at D = 10⁶") struct LargeDimensionTests {
    @Test func everyOperationRunsInLinearMemory() throws {
        let d = 1_000_000, k = 16
        // Cheap deterministic fill (the generator is slow in debug builds): ψ ∈ [0.5, 1.5), Λ small.
        let psi = (0..<d).map { 0.5 + Double(($0 &* 7919) % 1000) / 1000 }
        let lambda = Matrix(rows: d, columns: k) { i, j in Double((i &* 31 &+ j &* 17) % 201 - 100) / 1000 }
        let s = try LowRankPlusDiagonal(psi: psi, lambda: lambda)
        let y = Matrix(rows: d, columns: 2) { i, j in Double((i + 3 * j) % 13) - 6 }
        let x = y.column(0)

        let sy = s.multiply(y)
        let back = s.solve(sy)
        #expect(relativeError(back, y) < 1e-10, "Σ⁻¹(ΣY) = Y")
        #expect(relativeError(s.solve(s.multiply(x)), x) < 1e-10)
        #expect(relativeError(s.quadraticForm(x), BLAS.dot(x, s.multiply(x))) < 1e-10)
        #expect(relativeError(s.inverseQuadraticForm(s.multiply(x)), s.quadraticForm(x)) < 1e-10)
        let diagonal = s.diagonal, inverseDiagonal = s.inverseDiagonal
        #expect(diagonal.count == d && inverseDiagonal.count == d)
        // diag(Σ)ᵢ·diag(Σ⁻¹)ᵢ ≥ 1 for every SPD matrix.
        #expect(zip(diagonal, inverseDiagonal).allSatisfy { $0 * $1 >= 1 - 1e-12 })
        #expect(s.logDeterminant.isFinite)
        let a = SignedLowRankPlusDiagonal(diagonal: psi, added: lambda, subtracted: Matrix(rows: d, columns: 0))
        // tr(Σ⁻¹Σ) = D.
        #expect(relativeError(s.traceOfInverseTimes(a), Double(d)) < 1e-10)
        #expect(relativeError(a.multiply(y), sy) < 1e-12)
    }
}
