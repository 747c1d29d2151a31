/// A symmetric D×D matrix held implicitly as S = diag(d) + U·Uᵀ − W·Wᵀ, with U D×p and W D×q.
///
/// This is how pBaM keeps the BaM covariance update (d = ψ, U = R, W = P in algorithm.md §2.2).
/// Nothing D×D is formed: memory D(1 + p + q), products O(D·k·(p + q)).
public struct SignedLowRankPlusDiagonal: Sendable {
    /// The diagonal part d (length D).
    public var diagonalPart: [Double]
    /// The added factor U (D×p).
    public var added: Matrix
    /// The subtracted factor W (D×q).
    public var subtracted: Matrix

    /// S = diag(d) + U·Uᵀ − W·Wᵀ; U and W must have D = d.count rows.
    public init(diagonal: [Double], added: Matrix, subtracted: Matrix) {
        precondition(added.rows == diagonal.count && subtracted.rows == diagonal.count,
                     "SignedLowRankPlusDiagonal: d has \(diagonal.count) entries, U has \(added.rows) rows, W has \(subtracted.rows)")
        self.diagonalPart = diagonal
        self.added = added
        self.subtracted = subtracted
    }

    /// The dimension D.
    public var dimension: Int { diagonalPart.count }

    /// diag(S) = d + rowdot(U, U) − rowdot(W, W). Cost 2D(p + q) flops.
    public var diagonal: [Double] {
        var out = diagonalPart
        TallSkinny.rowdot(added, added, scale: 1, accumulatingInto: &out)
        TallSkinny.rowdot(subtracted, subtracted, scale: -1, accumulatingInto: &out)
        return out
    }

    /// S·Y for a D×k block, into `out` (D×k): d∘Y + U(UᵀY) − W(WᵀY) by four `dgemm` calls.
    /// Cost 4Dk(p + q) flops; allocates only the k×p and k×q inner products.
    public func multiply(_ y: Matrix, into out: inout Matrix) {
        precondition(y.rows == dimension, "SignedLowRankPlusDiagonal.multiply: Y has \(y.rows) rows, D = \(dimension)")
        TallSkinny.rowScaled(y, by: diagonalPart, into: &out)
        let uy = BLAS.gemm(added, y, transA: .transpose)
        BLAS.gemm(added, uy, beta: 1, into: &out)
        let wy = BLAS.gemm(subtracted, y, transA: .transpose)
        BLAS.gemm(subtracted, wy, alpha: -1, beta: 1, into: &out)
    }

    /// S·Y as a new D×k block. Cost 4Dk(p + q) flops.
    public func multiply(_ y: Matrix) -> Matrix {
        var out = Matrix(rows: y.rows, columns: y.columns)
        multiply(y, into: &out)
        return out
    }

    /// S·x for a D-vector. Cost 4D(p + q) flops.
    public func multiply(_ x: [Double]) -> [Double] {
        multiply(Matrix(rows: x.count, columns: 1, elements: x)).elements
    }
}
