import LowRankLinalg
import Testing
import TestSupport

/// Every LR+D operation against the dense matrix built inside the test, D ≤ 64, several K.
/// Tolerance: relative error ≤ 1e-10 (observed ~1e-14).
@Suite("LowRankPlusDiagonal against dense references") struct LowRankPlusDiagonalTests {
    static let shapes: [(d: Int, k: Int)] = [(1, 1), (8, 1), (16, 3), (40, 8), (64, 16), (64, 0)]
    let tolerance = 1e-10

    /// A random LR+D matrix of the shape drawn from the seed `base + 31D + K`, its dense form and
    /// that form's Cholesky factor, with the generator that drew them (for the test's further draws).
    static func fixture(_ shape: (d: Int, k: Int), seed base: Int) throws
        -> (Xoshiro256StarStar, LowRankPlusDiagonal, Matrix, Cholesky) {
        var rng = Xoshiro256StarStar(seed: UInt64(base + shape.d * 31 + shape.k))
        let s = try randomLowRankPlusDiagonal(dimension: shape.d, rank: shape.k, &rng)
        let reference = denseMatrix(s)
        return (rng, s, reference, try Cholesky(reference))
    }

    @Test(arguments: shapes)
    func multiplyAndSolve(shape: (d: Int, k: Int)) throws {
        let (generator, s, reference, denseCholesky) = try Self.fixture(shape, seed: 1000)
        var rng = generator
        let y = rng.standardNormalMatrix(rows: shape.d, columns: 5)
        let x = rng.standardNormals(shape.d)
        #expect(relativeError(s.multiply(y), BLAS.gemm(reference, y)) <= tolerance)
        #expect(relativeError(s.multiply(x), BLAS.gemv(reference, x)) <= tolerance)
        #expect(relativeError(s.solve(y), denseCholesky.solve(y)) <= tolerance)
        #expect(relativeError(s.solve(x), denseCholesky.solve(x)) <= tolerance)
        #expect(relativeError(BLAS.gemm(reference, s.solve(y)), y) <= tolerance, "Woodbury solve × matrix = I")
    }

    @Test(arguments: shapes)
    func diagonalsDeterminantAndQuadraticForms(shape: (d: Int, k: Int)) throws {
        let (generator, s, reference, denseCholesky) = try Self.fixture(shape, seed: 2000)
        var rng = generator
        let x = rng.standardNormals(shape.d)
        #expect(relativeError(s.diagonal, reference.diagonal) <= tolerance)
        #expect(relativeError(s.inverseDiagonal, denseCholesky.inverse.diagonal) <= tolerance)
        #expect(relativeError(s.logDeterminant, denseCholesky.logDeterminant) <= tolerance)
        #expect(relativeError(s.quadraticForm(x), BLAS.dot(x, BLAS.gemv(reference, x))) <= tolerance)
        #expect(relativeError(s.inverseQuadraticForm(x), BLAS.dot(x, denseCholesky.solve(x))) <= tolerance)
    }

    @Test(arguments: shapes)
    func traceOfInverseTimesImplicitMatrix(shape: (d: Int, k: Int)) throws {
        var rng = Xoshiro256StarStar(seed: UInt64(3000 + shape.d * 31 + shape.k))
        let s = try randomLowRankPlusDiagonal(dimension: shape.d, rank: shape.k, &rng)
        let a = SignedLowRankPlusDiagonal(diagonal: rng.uniforms(shape.d, in: 0.5..<2),
                                          added: rng.standardNormalMatrix(rows: shape.d, columns: 4),
                                          subtracted: rng.standardNormalMatrix(rows: shape.d, columns: 2))
        let expected = try Cholesky(denseMatrix(s)).solve(denseMatrix(a)).trace
        #expect(relativeError(s.traceOfInverseTimes(a), expected) <= tolerance)
    }

    @Test(arguments: [(12, 3, 2), (50, 7, 9)])
    func signedLowRankPlusDiagonal(shape: (d: Int, p: Int, q: Int)) {
        var rng = Xoshiro256StarStar(seed: UInt64(4000 + shape.d))
        let s = SignedLowRankPlusDiagonal(diagonal: rng.uniforms(shape.d),
                                          added: rng.standardNormalMatrix(rows: shape.d, columns: shape.p),
                                          subtracted: rng.standardNormalMatrix(rows: shape.d, columns: shape.q))
        let reference = denseMatrix(s)
        let y = rng.standardNormalMatrix(rows: shape.d, columns: 3)
        #expect(relativeError(s.multiply(y), BLAS.gemm(reference, y)) <= tolerance)
        #expect(relativeError(s.diagonal, reference.diagonal) <= tolerance)
    }

    @Test func invalidDiagonalIsATypedError() {
        let lambda = Matrix(rows: 3, columns: 1, repeating: 1)
        #expect(throws: LinearAlgebraError.nonPositiveDiagonal(index: 1, value: 0)) {
            try LowRankPlusDiagonal(psi: [1, 0, 1], lambda: lambda)
        }
        #expect(throws: LinearAlgebraError.self) { try LowRankPlusDiagonal(psi: [1, .nan, 1], lambda: lambda) }
        var bad = lambda
        bad[2, 0] = .infinity
        #expect(throws: LinearAlgebraError.nonFinite(context: "LowRankPlusDiagonal: Λ")) {
            try LowRankPlusDiagonal(psi: [1, 1, 1], lambda: bad)
        }
    }
}

@Suite("Tall-skinny kernels") struct TallSkinnyTests {
    @Test func rowdotIsTheDiagonalOfAProduct() {
        var rng = Xoshiro256StarStar(seed: 5)
        let a = rng.standardNormalMatrix(rows: 20, columns: 6)
        let c = rng.standardNormalMatrix(rows: 20, columns: 6)
        #expect(relativeError(TallSkinny.rowdot(a, c), BLAS.gemm(a, c, transB: .transpose).diagonal) < 1e-14)
    }

    @Test func scalingMeansAndCentring() {
        let y = Matrix(rows: 2, columns: 3, elements: [1, 2, 3, 4, 5, 6])
        #expect(TallSkinny.rowScaled(y, by: [2, -1]).elements == [2, -2, 6, -4, 10, -6])
        var cols = y
        TallSkinny.scaleColumns(&cols, by: [1, 0, 2])
        #expect(cols.elements == [1, 2, 0, 0, 10, 12])
        #expect(TallSkinny.columnMean(y) == [3, 4])
        var centred = y
        TallSkinny.centerColumns(&centred, around: [3, 4], scale: 0.5)
        #expect(centred.elements == [-1, -1, 0, 0, 1, 1])
        TallSkinny.addToColumns(&centred, [1, 1])
        #expect(centred.elements == [0, 0, 1, 1, 2, 2])
    }
}
