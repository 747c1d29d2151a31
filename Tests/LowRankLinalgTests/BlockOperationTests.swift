import LowRankLinalg
import Testing
import TestSupport

/// The workspace operations added for pBaM's in-place iteration: gemm on column ranges, trsm,
/// column resizing within reserved capacity, and the signed factor block, against dense references.
@Suite("Block operations") struct BlockOperationTests {
    @Test func gemmOnColumnRangesEqualsGemmOnCopies() {
        var rng = Xoshiro256StarStar(seed: 21)
        let a = rng.standardNormalMatrix(rows: 30, columns: 9), b = rng.standardNormalMatrix(rows: 30, columns: 7)
        var c = rng.standardNormalMatrix(rows: 4, columns: 10)
        let original = c
        BLAS.gemm(a, b, transA: .transpose, alpha: 0.5, beta: 2, into: &c, aColumns: 2..<6, bColumns: 1..<4, cColumns: 5..<8)
        let expected = 0.5 * BLAS.gemm(a.columns(2..<6), b.columns(1..<4), transA: .transpose) + 2 * original.columns(5..<8)
        #expect(relativeError(c.columns(5..<8), expected) < 1e-14)
        #expect(c.columns(0..<5) == original.columns(0..<5) && c.columns(8..<10) == original.columns(8..<10))
    }

    @Test func trsmSolvesOnBothSides() throws {
        var rng = Xoshiro256StarStar(seed: 22)
        let g = rng.standardNormalMatrix(rows: 6, columns: 6)
        let l = try Cholesky(BLAS.gemm(g, g, transB: .transpose) + Matrix.identity(6)).lower
        let b = rng.standardNormalMatrix(rows: 11, columns: 6)
        var right = b
        BLAS.trsm(l, triangle: .lower, transA: .transpose, side: .right, into: &right)
        #expect(relativeError(BLAS.gemm(right, l, transB: .transpose), b) < 1e-13)
        var left = b.transposed()
        BLAS.trsm(l, triangle: .lower, side: .left, alpha: 2, into: &left)
        #expect(relativeError(BLAS.gemm(l, left), 2 * b.transposed()) < 1e-13)
    }

    @Test func resizingColumnsKeepsTheLeadingColumnsAndZeroFillsNewOnes() {
        var rng = Xoshiro256StarStar(seed: 23)
        var m = rng.standardNormalMatrix(rows: 5, columns: 4)
        let original = m
        m.reserveColumnCapacity(6)
        m.resizeColumns(to: 6)
        #expect(m.columns == 6 && m.columns(0..<4) == original && m.columns(4..<6) == Matrix(rows: 5, columns: 2))
        m.resizeColumns(to: 2)
        #expect(m.columns == 2 && m == original.columns(0..<2) && m.elements.count == 10)
    }

    @Test func signedFactorBlockMultipliesAndSignsLikeTheDenseMatrix() {
        var rng = Xoshiro256StarStar(seed: 24)
        let u = rng.standardNormalMatrix(rows: 12, columns: 4), w = 0.3 * rng.standardNormalMatrix(rows: 12, columns: 2)
        let s = SignedLowRankPlusDiagonal(diagonal: rng.uniforms(12, in: 0.5..<1.5), added: u, subtracted: w)
        #expect(s.addedCount == 4 && s.added == u && s.subtracted == w)
        let dense = Matrix.diagonal(s.diagonalPart) + BLAS.gemm(u, u, transB: .transpose) - BLAS.gemm(w, w, transB: .transpose)
        let y = rng.standardNormalMatrix(rows: 12, columns: 3)
        #expect(relativeError(s.multiply(y), BLAS.gemm(dense, y)) < 1e-13)
        #expect(relativeError(s.diagonal, dense.diagonal) < 1e-13)
        var inner = Matrix(rows: 6, columns: 2, repeating: 1)
        s.applySigns(&inner)
        #expect(inner.column(0) == [1, 1, 1, 1, -1, -1])
    }

    @Test func solveInPlaceIsTheWoodburySolve() throws {
        var rng = Xoshiro256StarStar(seed: 25)
        let lambda = rng.standardNormalMatrix(rows: 20, columns: 3), psi = rng.uniforms(20, in: 0.5..<2)
        let sigma = try LowRankPlusDiagonal(psi: psi, lambda: lambda)
        let dense = Matrix.diagonal(psi) + BLAS.gemm(lambda, lambda, transB: .transpose)
        let y = rng.standardNormalMatrix(rows: 20, columns: 4)
        var x = y
        sigma.solveInPlace(&x)
        #expect(relativeError(BLAS.gemm(dense, x), y) < 1e-12)
    }
}
