import LowRankLinalg
import Testing
import TestSupport

/// The factorizations behind pBaM's factored match: thin SVD, Cholesky QR with its Householder
/// fallback, and the in-place rotation of a tall block. Tolerances are a few hundred ε relative.
@Suite("Thin SVD, Cholesky QR and in-place rotation") struct TallSkinnyFactorizationTests {
    @Test(arguments: [(7, 4), (4, 7), (30, 30), (1, 3)])
    func singularValueDecompositionReconstructs(shape: (m: Int, n: Int)) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(shape.m * 100 + shape.n))
        let a = rng.standardNormalMatrix(rows: shape.m, columns: shape.n)
        let svd = try SingularValueDecomposition(a)
        let p = min(shape.m, shape.n)
        #expect(svd.left.rows == shape.m && svd.left.columns == p && svd.rightTransposed.rows == p)
        #expect(zip(svd.values, svd.values.dropFirst()).allSatisfy { $0 >= $1 } && svd.values.allSatisfy { $0 >= 0 })
        let rebuilt = BLAS.gemm(TallSkinny.columnScaled(svd.left, by: svd.values), svd.rightTransposed)
        #expect(relativeError(rebuilt, a) < 1e-14)
        #expect(relativeError(BLAS.gemm(svd.left, svd.left, transA: .transpose), Matrix.identity(p)) < 1e-14)
    }

    @Test func singularValueDecompositionKeepsSmallValuesAccurately() throws {
        // diag(1, 1e-12) rotated: the Gram matrix's eigenvalues would lose the 1e-12 entirely.
        let c = 0.6, s = 0.8
        let rotation = Matrix(rows: 2, columns: 2, elements: [c, s, -s, c])
        let a = BLAS.gemm(BLAS.gemm(rotation, Matrix.diagonal([1, 1e-12])), rotation, transB: .transpose)
        let svd = try SingularValueDecomposition(a)
        #expect(abs(svd.values[1] - 1e-12) < 1e-15, "absolute error ≈ ε·s₁, here 0.1% of s₂")
    }

    @Test func singularValueDecompositionRejectsNonFiniteInput() {
        #expect(throws: LinearAlgebraError.nonFinite(context: "matrix passed to SingularValueDecomposition")) {
            try SingularValueDecomposition(Matrix(rows: 2, columns: 2, elements: [1, .nan, 0, 1]))
        }
    }

    /// Columns with scales 1e-8…1e8 (Cholesky QR path), nearly dependent columns and a zero column
    /// (Householder path): Q orthonormal and Q·R = A in every case.
    @Test(arguments: ["scaled", "dependent", "zero"])
    func choleskyQRIsOrthonormalAndReproducesA(kind: String) {
        var rng = Xoshiro256StarStar(seed: 77)
        let (m, n) = (200, 9)
        var a = rng.standardNormalMatrix(rows: m, columns: n)
        switch kind {
        case "scaled": TallSkinny.scaleColumns(&a, by: (0..<n).map { j in (0..<(2 * j)).reduce(1e-8) { s, _ in s * 10 } })
        case "dependent":
            let mix = rng.standardNormalMatrix(rows: n - 1, columns: 1)
            let last = BLAS.gemm(a.columns(0..<(n - 1)), mix)
            for i in 0..<m { a[i, n - 1] = last[i, 0] + 1e-14 * a[i, n - 1] }
        default: for i in 0..<m { a[i, 3] = 0 }
        }
        var q = a, r = Matrix(rows: n, columns: n)
        var workspace = ThinQRWorkspace(rows: m, columns: n)
        let fellBack = CholeskyQR.factor(&q, r: &r, workspace: &workspace)
        #expect(fellBack == (kind != "scaled"))
        #expect(relativeError(BLAS.gemm(q, q, transA: .transpose), Matrix.identity(n)) < 1e-14)
        for j in 0..<n { for i in (j + 1)..<n { #expect(r[i, j] == 0) } }
        let product = BLAS.gemm(q, r)
        for j in 0..<n {
            let column = a.column(j), norm = max(column.map(abs).max()!, 1e-300)
            #expect(zip(product.column(j), column).allSatisfy { abs($0 - $1) <= 1e-13 * norm })
        }
    }

    @Test(arguments: [1, 7, 64, 500]) func multiplyRightInPlaceMatchesGemm(blockRows: Int) {
        var rng = Xoshiro256StarStar(seed: UInt64(blockRows))
        let a = rng.standardNormalMatrix(rows: 101, columns: 8), m = rng.standardNormalMatrix(rows: 5, columns: 5)
        var rotated = a
        var scratch = Matrix(rows: blockRows, columns: 6)
        TallSkinny.multiplyRight(&rotated, columns: 2..<7, by: m, scratch: &scratch)
        #expect(relativeError(rotated.columns(2..<7), BLAS.gemm(a.columns(2..<7), m)) < 1e-14)
        #expect(rotated.columns(0..<2) == a.columns(0..<2) && rotated.columns(7..<8) == a.columns(7..<8))
    }
}

/// Non-finite and empty inputs at the factorization boundaries: typed errors, never a NaN result.
@Suite("Non-finite inputs to LowRankLinalg") struct NonFiniteInputTests {
    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func choleskyAndEigenRejectNonFiniteEntries(value: Double) {
        let a = Matrix(rows: 3, columns: 3, elements: [4, 1, value, 1, 3, 0, value, 0, 2])
        #expect(throws: LinearAlgebraError.self) { try Cholesky(a) }
        if case .success = Cholesky.attempt(a) { Issue.record("Cholesky.attempt accepted \(value)") }
        #expect(throws: LinearAlgebraError.nonFinite(context: "lower triangle of the 3×3 matrix passed to SymmetricEigen")) {
            try SymmetricEigen(a)
        }
    }

    @Test func choleskyOfAnOverflowingMatrixIsNonFinite() {
        let a = Matrix(rows: 2, columns: 2, elements: [1e300, 1e300, 1e300, 1e300 * 1.5])
        #expect(throws: LinearAlgebraError.self) { try Cholesky(1e10 * a) }
    }

    @Test func gemmWithAnEmptyInnerDimensionAndBetaZeroWritesZeros() {
        let a = Matrix(rows: 3, columns: 0), b = Matrix(rows: 0, columns: 2)
        var c = Matrix(rows: 3, columns: 2, repeating: .nan)
        BLAS.gemm(a, b, into: &c)
        #expect(c == Matrix(rows: 3, columns: 2))
        var d = Matrix(rows: 3, columns: 2, repeating: 2)
        BLAS.gemm(a, b, beta: 0.5, into: &d)
        #expect(d == Matrix(rows: 3, columns: 2, repeating: 1))
    }

    @Test func lowRankPlusDiagonalRejectsAnOverflowingCapacitance() {
        #expect(throws: LinearAlgebraError.self) {
            try LowRankPlusDiagonal(psi: [1, 1, 1], lambda: Matrix(rows: 3, columns: 1, repeating: 1e200))
        }
        #expect(throws: LinearAlgebraError.self) {
            try LowRankPlusDiagonal(psi: [1e-310, 1, 1], lambda: Matrix(rows: 3, columns: 1, repeating: 1))
        }
    }
}
