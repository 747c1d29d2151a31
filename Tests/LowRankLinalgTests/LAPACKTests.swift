import LowRankLinalg
import Testing
import TestSupport

@Suite("LAPACK wrappers and factorizations") struct LAPACKTests {
    @Test func choleskyHandChecked() throws {
        // [4 2; 2 3] = L·Lᵀ with L = [2 0; 1 √2].
        let chol = try Cholesky(Matrix(rows: 2, columns: 2, elements: [4, 2, 2, 3]))
        #expect(abs(chol.lower[0, 0] - 2) < 1e-15 && abs(chol.lower[1, 0] - 1) < 1e-15)
        #expect(abs(chol.lower[1, 1] - 2.0.squareRoot()) < 1e-15 && chol.lower[0, 1] == 0)
        #expect(abs(chol.logDeterminant - 3 * 0.693_147_180_559_945_3) < 1e-14, "log det = log 8 = 3 ln 2")
        #expect(relativeError(chol.solve([2, 1]), [0.5, 0]) < 1e-15)
    }

    @Test(arguments: [1, 5, 33, 64])
    func choleskySolveResidual(n: Int) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(100 + n))
        let a = randomSPD(n, &rng)
        let b = rng.standardNormalMatrix(rows: n, columns: 3)
        let chol = try Cholesky(a)
        #expect(relativeError(BLAS.gemm(chol.lower, chol.lower, transB: .transpose), a) < 1e-14)
        #expect(relativeError(BLAS.gemm(a, chol.solve(b)), b) < 1e-12)
        #expect(relativeError(BLAS.gemm(chol.rightSolve(b.transposed()), a), b.transposed()) < 1e-12)
        #expect(relativeError(BLAS.gemm(chol.lower, chol.solveLower(b)), b) < 1e-13)
        #expect(relativeError(BLAS.gemm(a, chol.inverse), Matrix.identity(n)) < 1e-12)
    }

    @Test func notPositiveDefiniteReportsLeadingMinor() {
        // Leading 1×1 and 2×2 minors are positive, the 3×3 one is not.
        let a = Matrix(rows: 3, columns: 3, elements: [2, 1, 1, 1, 2, 1, 1, 1, -5])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 3)) { try Cholesky(a) }
        switch Cholesky.attempt(a) {
        case .success: Issue.record("an indefinite matrix was factored")
        case .failure(let error): #expect(error == .notPositiveDefinite(leadingMinor: 3))
        }
        let negativeFirst = Matrix(rows: 2, columns: 2, elements: [-1, 0, 0, 1])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 1)) { try Cholesky(negativeFirst) }
        #expect((try? Cholesky.attempt(Matrix.identity(4)).get()) != nil)
    }

    @Test func symmetricEigenHandChecked() throws {
        let eig = try SymmetricEigen(Matrix(rows: 2, columns: 2, elements: [2, 1, 1, 2]))
        #expect(abs(eig.values[0] - 1) < 1e-15 && abs(eig.values[1] - 3) < 1e-15)
        let v = eig.vectors.column(1)
        #expect(abs(abs(v[0]) - 0.5.squareRoot()) < 1e-15 && abs(v[0] - v[1]) < 1e-15)
    }

    @Test(arguments: [1, 4, 17, 33])
    func symmetricEigenIdentities(n: Int) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(200 + n))
        var a = rng.standardNormalMatrix(rows: n, columns: n)
        a.symmetrize()
        var workspace = SymmetricEigenWorkspace(order: n)
        let eig = try SymmetricEigen(a, workspace: &workspace)
        let again = try SymmetricEigen(a, workspace: &workspace)
        #expect(eig.values == again.values, "a reused workspace gives the same result")
        #expect(zip(eig.values, eig.values.dropFirst()).allSatisfy { $0 <= $1 }, "ascending")
        #expect(relativeError(eig.map { $0 }, a) < 1e-13)
        #expect(relativeError(BLAS.gemm(eig.vectors, eig.vectors, transA: .transpose), Matrix.identity(n)) < 1e-13)
    }

    @Test(arguments: [2, 9, 33])
    func symmetricSquareRoots(n: Int) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(300 + n))
        let a = randomSPD(n, &rng)
        let eig = try SymmetricEigen(a)
        let root = eig.squareRoot()
        #expect(relativeError(BLAS.gemm(root, root), a) < 1e-13)
        let inverseRoot = try eig.inverseSquareRoot()
        #expect(relativeError(BLAS.gemm(BLAS.gemm(inverseRoot, a), inverseRoot), Matrix.identity(n)) < 1e-13)
    }

    @Test func squareRootClampsRoundOffNegatives() throws {
        // Rank-1 PSD matrix v·vᵀ: one eigenvalue may come out as −1e-16.
        let v = Matrix(rows: 3, columns: 1, elements: [1, 2, 3])
        let a = BLAS.gemm(v, v, transB: .transpose)
        let eig = try SymmetricEigen(a)
        let root = eig.squareRoot()
        #expect(root.isFinite)
        #expect(relativeError(BLAS.gemm(root, root), a) < 1e-14)
        #expect(throws: LinearAlgebraError.self) { try eig.inverseSquareRoot() }
        // The BaM match map m = ½ + √(¼ + max(ω, 0)) is ≥ 1 on every eigenvalue.
        let m = eig.values.map { 0.5 + (0.25 + max($0, 0)).squareRoot() }
        #expect(m.allSatisfy { $0 >= 1 })
    }

    @Test(arguments: [(5, 1), (40, 9), (300, 33), (1000, 17)])
    func thinQRIdentities(shape: (Int, Int)) {
        var rng = Xoshiro256StarStar(seed: UInt64(shape.0 * 7 + shape.1))
        let a = rng.standardNormalMatrix(rows: shape.0, columns: shape.1)
        var workspace = ThinQRWorkspace(rows: shape.0, columns: shape.1)
        let qr = ThinQR(a, workspace: &workspace)
        #expect(relativeError(BLAS.gemm(qr.q, qr.q, transA: .transpose), Matrix.identity(shape.1)) < 1e-14)
        #expect(relativeError(BLAS.gemm(qr.q, qr.r), a) < 1e-14)
        for j in 0..<shape.1 { for i in (j + 1)..<shape.1 { #expect(qr.r[i, j] == 0) } }
    }

    @Test func thinQRHandChecked() {
        // [3; 4] = (±[0.6; 0.8])·(±5).
        let qr = ThinQR(Matrix(rows: 2, columns: 1, elements: [3, 4]))
        #expect(abs(abs(qr.r[0, 0]) - 5) < 1e-15)
        #expect(abs(qr.q[0, 0] * qr.r[0, 0] - 3) < 1e-15 && abs(qr.q[1, 0] * qr.r[0, 0] - 4) < 1e-15)
    }

    @Test func triangularSolveAndSingularFactor() throws {
        // L = [2 0; 1 4], L·x = [2; 9] → x = [1; 2].
        let l = Matrix(rows: 2, columns: 2, elements: [2, 1, 0, 4])
        var b = Matrix(rows: 2, columns: 1, elements: [2, 9])
        try LAPACK.trtrs(l, triangle: .lower, &b)
        #expect(b.elements == [1, 2])
        var bt = Matrix(rows: 2, columns: 1, elements: [4, 8])
        try LAPACK.trtrs(l, triangle: .lower, trans: .transpose, &bt)  // Lᵀx = [4; 8] → x = [1; 2]
        #expect(bt.elements == [1, 2])
        let singular = Matrix(rows: 2, columns: 2, elements: [1, 1, 0, 0])
        var c = Matrix(rows: 2, columns: 1, elements: [1, 1])
        #expect(throws: LinearAlgebraError.singularTriangularFactor(diagonalIndex: 2)) {
            try LAPACK.trtrs(singular, triangle: .lower, &c)
        }
    }
}
