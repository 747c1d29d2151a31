/// A symmetric D×D matrix held implicitly as S = diag(d) + U·Uᵀ − W·Wᵀ, with U D×p and W D×q.
///
/// This is how pBaM keeps the BaM covariance update (d = ψ, U = R, W = P in algorithm.md §2.2). The
/// two factors are stored side by side as one D×(p+q) block F = [U W], so that a product S·Y takes
/// two `dgemm` calls over the whole block: S·Y = d∘Y + F·(s∘(FᵀY)), with s = +1 on the first p rows of
/// FᵀY and −1 on the last q. Nothing D×D is formed: memory D(1 + p + q), products O(D·k·(p + q)).
public struct SignedLowRankPlusDiagonal: Sendable {
    /// The diagonal part d (length D).
    public var diagonalPart: [Double]
    /// F = [U W] (D×(p+q)): the added columns first, then the subtracted ones.
    public var factors: Matrix
    /// p, the number of added columns (the first p columns of `factors`).
    public var addedCount: Int

    /// S = diag(d) + F₁F₁ᵀ − F₂F₂ᵀ for F = [F₁ F₂] with F₁ the first `addedCount` columns; F must have
    /// D = d.count rows and at least `addedCount` columns.
    public init(diagonal: [Double], factors: Matrix, addedCount: Int) {
        shapePrecondition(factors.rows == diagonal.count,
                     "SignedLowRankPlusDiagonal: d has \(diagonal.count) entries, F has \(factors.rows) rows")
        shapePrecondition(addedCount >= 0 && addedCount <= factors.columns,
                     "SignedLowRankPlusDiagonal: \(addedCount) added columns of \(factors.columns)")
        self.diagonalPart = diagonal
        self.factors = factors
        self.addedCount = addedCount
    }

    /// S = diag(d) + U·Uᵀ − W·Wᵀ; U and W must have D = d.count rows. Copies U and W into one block.
    public init(diagonal: [Double], added: Matrix, subtracted: Matrix) {
        shapePrecondition(added.rows == diagonal.count && subtracted.rows == diagonal.count,
                     "SignedLowRankPlusDiagonal: d has \(diagonal.count) entries, U has \(added.rows) rows, W has \(subtracted.rows)")
        self.init(diagonal: diagonal, factors: Matrix(concatenatingColumnsOf: [added, subtracted]),
                  addedCount: added.columns)
    }

    /// The dimension D.
    public var dimension: Int { diagonalPart.count }
    /// The columns of the added factor U.
    public var addedColumns: Range<Int> { 0..<addedCount }
    /// The columns of the subtracted factor W.
    public var subtractedColumns: Range<Int> { addedCount..<factors.columns }
    /// A copy of U (D×p). Cost O(Dp).
    public var added: Matrix { factors.columns(addedColumns) }
    /// A copy of W (D×q). Cost O(Dq).
    public var subtracted: Matrix { factors.columns(subtractedColumns) }

    /// diag(S) = d + rowdot(U, U) − rowdot(W, W). Cost 2D(p + q) flops.
    public var diagonal: [Double] {
        var out = diagonalPart
        TallSkinny.rowdot(factors, factors, columns: addedColumns, scale: 1, accumulatingInto: &out)
        TallSkinny.rowdot(factors, factors, columns: subtractedColumns, scale: -1, accumulatingInto: &out)
        return out
    }

    /// Negates the rows of a (p+q)×k block that belong to W, turning FᵀY into s∘(FᵀY). Cost O(qk).
    public func applySigns(_ inner: inout Matrix) {
        shapePrecondition(inner.rows == factors.columns,
                     "SignedLowRankPlusDiagonal.applySigns: \(inner.rows) rows for \(factors.columns) factor columns")
        let rows = inner.rows, columns = inner.columns, range = subtractedColumns
        inner.withElements { e in
            for j in 0..<columns { for i in range { e[i + j * rows] = -e[i + j * rows] } }
        }
    }

    /// S·Y for a D×k block, into `out` (D×k): d∘Y + F·(s∘(FᵀY)) by two `dgemm` calls.
    /// Cost 4Dk(p + q) flops; allocates only the (p+q)×k inner product.
    public func multiply(_ y: Matrix, into out: inout Matrix) {
        shapePrecondition(y.rows == dimension, "SignedLowRankPlusDiagonal.multiply: Y has \(y.rows) rows, D = \(dimension)")
        TallSkinny.rowScaled(y, by: diagonalPart, into: &out)
        var inner = BLAS.gemm(factors, y, transA: .transpose)
        applySigns(&inner)
        BLAS.gemm(factors, inner, beta: 1, into: &out)
    }

    /// S·Y as a new D×k block. Cost 4Dk(p + q) flops.
    public func multiply(_ y: Matrix) -> Matrix { .filled(like: y) { multiply(y, into: &$0) } }

    /// S·x for a D-vector. Cost 4D(p + q) flops.
    public func multiply(_ x: [Double]) -> [Double] {
        multiply(Matrix(column: x)).elements
    }
}
