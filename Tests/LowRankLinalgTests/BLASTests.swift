import LowRankLinalg
import Testing
import TestSupport

@Suite("BLAS wrappers") struct BLASTests {
    // A = [1 2 3; 4 5 6] (2×3), B = [7 8; 9 10; 11 12] (3×2), A·B = [58 64; 139 154].
    let a = Matrix(rows: 2, columns: 3, elements: [1, 4, 2, 5, 3, 6])
    let b = Matrix(rows: 3, columns: 2, elements: [7, 9, 11, 8, 10, 12])

    @Test func gemmHandChecked() {
        #expect(BLAS.gemm(a, b) == Matrix(rows: 2, columns: 2, elements: [58, 139, 64, 154]))
        // Aᵀ·Aᵀᵀ... (Bᵀ·Aᵀ) = (A·B)ᵀ
        #expect(BLAS.gemm(b, a, transA: .transpose, transB: .transpose) == Matrix(rows: 2, columns: 2, elements: [58, 64, 139, 154]))
        var c = Matrix(rows: 2, columns: 2, repeating: 1)
        BLAS.gemm(a, b, alpha: 2, beta: 3, into: &c)
        #expect(c == Matrix(rows: 2, columns: 2, elements: [119, 281, 131, 311]))
    }

    @Test func gemvHandChecked() {
        #expect(BLAS.gemv(a, [1, 1, 1]) == [6, 15])
        #expect(BLAS.gemv(a, [1, -1], trans: .transpose) == [-3, -3, -3])
        var y = [10.0, 20.0]
        BLAS.gemv(a, [1, 0, 0], alpha: -1, beta: 0.5, into: &y)
        #expect(y == [4, 6])
    }

    @Test func syrkMatchesGemmOnBothTriangles() {
        var rng = Xoshiro256StarStar(seed: 11)
        let x = rng.standardNormalMatrix(rows: 7, columns: 3)
        #expect(relativeError(BLAS.syrk(x), BLAS.gemm(x, x, transB: .transpose)) < 1e-14)
        #expect(relativeError(BLAS.syrk(x, trans: .transpose), BLAS.gemm(x, x, transA: .transpose)) < 1e-14)
        var upper = Matrix(rows: 3, columns: 3, repeating: 99)
        BLAS.syrk(x, trans: .transpose, triangle: .upper, into: &upper)
        #expect(upper[2, 0] == 99, "the other triangle is left untouched")
        #expect(abs(upper[0, 2] - BLAS.dot(x.column(0), x.column(2))) < 1e-13)
    }

    /// `trmm` against `gemm` with the triangle made explicit (the other triangle holds junk that must
    /// not be read), on both sides and transposed.
    @Test func trmmMatchesGemmWithAnExplicitTriangle() {
        var rng = Xoshiro256StarStar(seed: 12)
        let full = rng.standardNormalMatrix(rows: 4, columns: 4)
        let lower = Matrix(rows: 4, columns: 4) { i, j in i >= j ? full[i, j] : 0 }
        let y = rng.standardNormalMatrix(rows: 4, columns: 3)
        var left = y
        BLAS.trmm(full, triangle: .lower, side: .left, into: &left)
        #expect(relativeError(left, BLAS.gemm(lower, y)) < 1e-14)
        var leftT = y
        BLAS.trmm(full, triangle: .lower, transA: .transpose, side: .left, alpha: 2, into: &leftT)
        #expect(relativeError(leftT, BLAS.gemm(lower, y, transA: .transpose, alpha: 2)) < 1e-14)
        var right = y.transposed()
        BLAS.trmm(full, triangle: .lower, side: .right, into: &right)
        #expect(relativeError(right, BLAS.gemm(y.transposed(), lower)) < 1e-14)
    }

    @Test func levelOneHandChecked() {
        #expect(BLAS.dot([1, 2, 3], [4, 5, 6]) == 32)
        var y = [1.0, 1.0, 1.0]
        BLAS.axpy(2, [1, 2, 3], &y)
        #expect(y == [3, 5, 7])
        BLAS.scal(-0.5, &y)
        #expect(y == [-1.5, -2.5, -3.5])
    }

    @Test func emptyShapesAreNoOps() {
        let empty = Matrix(rows: 0, columns: 3)
        #expect(BLAS.gemm(empty, b).rows == 0)
        let inner = BLAS.gemm(Matrix(rows: 2, columns: 0), Matrix(rows: 0, columns: 2))
        #expect(inner == Matrix(rows: 2, columns: 2), "a zero inner dimension gives zeros")
    }

    @Test func threadCountIsReported() {
        #expect(BLAS.threadCount >= 1)
    }
}
