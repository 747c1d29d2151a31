/// The thin QR factorization A = Q·R of a tall m×n block (m ≥ n) by Cholesky QR, in place, with a
/// Householder fallback.
///
/// The columns are first scaled to unit norm (which makes the method blind to column scales), then
/// two rounds of Cholesky QR run (CholQR2: G = AᵀA = LLᵀ, A ← A·L⁻ᵀ; `syrk`, `potrf`, `trsm`, all
/// BLAS-3, 3mn² flops a round). LAPACK's Householder QR runs n below its blocking crossover (about
/// 128) as level-2 code, several times slower at large m. When a Gram matrix is not numerically
/// positive definite — a Cholesky diagonal below 1e-6 of the largest, i.e. the column-scaled block
/// has a condition number above about 10⁶, or a column is zero — the factorization finishes by
/// Householder QR (`ThinQR`), which is orthonormal whatever the rank. Either way Q has orthonormal
/// columns to working precision and Q·R reproduces A to a backward error of a few ε‖A‖.
public enum CholeskyQR {
    /// Overwrites `a` (m×n, m ≥ n) with Q and `r` (n×n) with the upper-triangular R. `workspace`
    /// must be an m×n `ThinQRWorkspace` (used only by the fallback). Allocates only n×n matrices.
    /// - Returns: whether the Householder fallback ran.
    @discardableResult
    public static func factor(_ a: inout Matrix, r: inout Matrix, workspace: inout ThinQRWorkspace) -> Bool {
        let n = a.columns, m = a.rows
        shapePrecondition(r.rows == n && r.columns == n, "CholeskyQR.factor: R is \(r.rows)×\(r.columns), expected \(n)×\(n)")
        shapePrecondition(m == workspace.rows && n == workspace.columns,
                     "CholeskyQR.factor: A is \(m)×\(n), workspace is \(workspace.rows)×\(workspace.columns)")
        let norms = a.elements.withUnsafeBufferPointer { e in
            (0..<n).map { j in
                var sum = 0.0
                for i in (j * m)..<((j + 1) * m) { sum += e[i] * e[i] }
                return sum.squareRoot()
            }
        }
        guard norms.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            householder(&a, total: Matrix.identity(n), r: &r, workspace: &workspace)
            return true
        }
        var total = Matrix.diagonal(norms)
        TallSkinny.scaleColumns(&a, by: norms.map { 1 / $0 })
        for _ in 0..<2 {
            var gram = Matrix(rows: n, columns: n)
            BLAS.syrk(a, trans: .transpose, into: &gram)
            gram.fillSymmetric(from: .lower)
            guard gram.isFinite, case .success(let factor) = Cholesky.attempt(gram),
                  factor.lower.diagonal.allSatisfy({ $0 > 1e-6 * factor.lower.diagonal.max()! }) else {
                householder(&a, total: total, r: &r, workspace: &workspace)
                return true
            }
            BLAS.trsm(factor.lower, triangle: .lower, transA: .transpose, side: .right, into: &a)
            total = BLAS.gemm(factor.lower, total, transA: .transpose)
        }
        r = total
        return false
    }

    /// Householder QR of the current `a`, with R = R_householder·`total`.
    private static func householder(_ a: inout Matrix, total: Matrix, r: inout Matrix, workspace: inout ThinQRWorkspace) {
        ThinQR.factor(&a, r: &r, workspace: &workspace)
        r = BLAS.gemm(r, total)
    }
}
