/// The thin singular value decomposition A = U·diag(s)·Vᵀ of an m×n matrix (`dgesdd`).
///
/// With p = min(m, n): `left` is m×p and `rightTransposed` p×n, both with orthonormal rows or
/// columns, and `values` are s₁ ≥ … ≥ sₚ ≥ 0. Each sⱼ has an absolute error of about ε·s₁, so that
/// the small singular values of a product are kept far more accurately than the eigenvalues of its
/// Gram matrix would keep them. Cost about 4mn² + 8n³ flops (m ≥ n); meant for the small matrices of
/// pBaM's match ((K+2B)×(K+2B) at most) and for dense references. Orders up to `BLAS.smallOrder`
/// run on one OpenBLAS thread (`BLAS.runSmall`).
public struct SingularValueDecomposition: Sendable {
    /// U (m×p), orthonormal columns.
    public let left: Matrix
    /// s₁ ≥ … ≥ sₚ ≥ 0.
    public let values: [Double]
    /// Vᵀ (p×n), orthonormal rows.
    public let rightTransposed: Matrix

    /// Decomposes `a`, allocating its scratch.
    /// - Throws: `LinearAlgebraError.nonFinite` when `a` holds a NaN or an infinity;
    ///   `.singularValueDecompositionFailed(info:)` when LAPACK did not converge.
    public init(_ a: Matrix) throws(LinearAlgebraError) {
        guard a.isFinite else { throw .nonFinite(context: "matrix passed to SingularValueDecomposition") }
        let p = Swift.min(a.rows, a.columns)
        var copy = a
        var s = [Double](repeating: 0, count: p)
        var u = Matrix(rows: a.rows, columns: p), vt = Matrix(rows: p, columns: a.columns)
        var work = [Double](repeating: 0, count: LAPACK.gesddWorkspaceSize(rows: a.rows, columns: a.columns))
        var iwork = [Int32](repeating: 0, count: 8 * p)
        try BLAS.runSmall(order: Swift.max(a.rows, a.columns)) { () throws(LinearAlgebraError) in
            try LAPACK.gesdd(&copy, values: &s, u: &u, vt: &vt, work: &work, iwork: &iwork)
        }
        left = u
        values = s
        rightTransposed = vt
    }
}
