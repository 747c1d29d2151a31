import CLapack

/// Thin wrappers over the double-precision LAPACKE `_work` routines, column-major only.
///
/// One function per routine. The routines that need scratch take it from the caller (`work`,
/// `iwork`); the matching `…WorkspaceSize` function runs LAPACK's `lwork = -1` query once so that a
/// hot loop can size its buffers a single time. `info < 0` (an illegal argument) is a programming
/// error that stops with the routine and argument named; `info > 0` is thrown as a
/// ``LinearAlgebraError``.
public enum LAPACK {
    /// Cholesky factorization in place (`dpotrf`): the chosen triangle of `a` becomes L (A = L·Lᵀ) or
    /// U (A = Uᵀ·U); the other triangle is not referenced or changed. Cost n³/3 flops.
    /// - Throws: `.notPositiveDefinite(leadingMinor:)` with LAPACK's 1-based order of the failing minor.
    public static func potrf(_ a: inout Matrix, triangle: Triangle = .lower) throws(LinearAlgebraError) {
        shapePrecondition(a.rows == a.columns, "LAPACK.potrf: A is \(a.rows)×\(a.columns), not square")
        guard a.rows > 0 else { return }
        let n = blasInt(a.rows), lda = leading(a)
        let info = a.withElements { e in
            e.withUnsafeMutableBufferPointer { p in
                LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, uplo(triangle), n, p.baseAddress, lda)
            }
        }
        try check(info, "dpotrf") { .notPositiveDefinite(leadingMinor: Int($0)) }
    }

    /// Solves A·X = B in place of B from a Cholesky factor made by `potrf` (`dpotrs`).
    /// `factor` is n×n, `b` is n×nrhs. Cost 2·n²·nrhs flops.
    public static func potrs(_ factor: Matrix, triangle: Triangle = .lower, _ b: inout Matrix) {
        shapePrecondition(factor.rows == factor.columns, "LAPACK.potrs: factor is \(factor.rows)×\(factor.columns)")
        shapePrecondition(b.rows == factor.rows, "LAPACK.potrs: B has \(b.rows) rows, factor is \(factor.rows)×\(factor.rows)")
        guard b.rows > 0, b.columns > 0 else { return }
        let info = solving(factor, &b) { n, nrhs, pa, lda, pb, ldb in
            LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, uplo(triangle), n, nrhs, pa, lda, pb, ldb)
        }
        checkSuccess(info, "dpotrs")
    }

    /// Solves op(A)·X = B in place of B for a triangular n×n `a` (`dtrtrs`). Cost n²·nrhs flops.
    /// - Throws: `.singularTriangularFactor(diagonalIndex:)` when A has an exact zero on its diagonal.
    public static func trtrs(_ a: Matrix, triangle: Triangle, trans: Transpose = .none, unitDiagonal: Bool = false,
                             _ b: inout Matrix) throws(LinearAlgebraError) {
        shapePrecondition(a.rows == a.columns, "LAPACK.trtrs: A is \(a.rows)×\(a.columns), not square")
        shapePrecondition(b.rows == a.rows, "LAPACK.trtrs: B has \(b.rows) rows, A is \(a.rows)×\(a.rows)")
        guard b.rows > 0, b.columns > 0 else { return }
        let info = solving(a, &b) { n, nrhs, pa, lda, pb, ldb in
            LAPACKE_dtrtrs_work(LAPACK_COL_MAJOR, uplo(triangle), trans == .none ? ascii("N") : ascii("T"),
                                unitDiagonal ? ascii("U") : ascii("N"), n, nrhs, pa, lda, pb, ldb)
        }
        try check(info, "dtrtrs") { .singularTriangularFactor(diagonalIndex: Int($0)) }
    }

    /// The scratch sizes (`lwork`, `liwork`) that `syevd` needs for an n×n matrix with eigenvectors,
    /// from LAPACK's workspace query.
    public static func syevdWorkspaceSize(order n: Int) -> (work: Int, iwork: Int) {
        guard n > 0 else { return (1, 1) }
        var work = 0.0
        var iwork: Int32 = 0
        var a = 0.0, w = 0.0
        let info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, ascii("V"), ascii("L"), blasInt(n), &a, blasInt(n), &w,
                                       &work, -1, &iwork, -1)
        checkSuccess(info, "dsyevd (workspace query)")
        return (Int(work), Int(iwork))
    }

    /// Symmetric eigen decomposition in place (`dsyevd`, divide and conquer): `a` (n×n, the chosen
    /// triangle read) is overwritten by the orthonormal eigenvectors, `values` (length n) receives
    /// the eigenvalues in ascending order. `work` and `iwork` must be at least the sizes that
    /// `syevdWorkspaceSize(order:)` returns. Cost about 9n³ flops.
    /// - Throws: `.eigenDecompositionFailed(info:)` when the algorithm did not converge.
    public static func syevd(_ a: inout Matrix, values: inout [Double], triangle: Triangle = .lower,
                             work: inout [Double], iwork: inout [Int32]) throws(LinearAlgebraError) {
        shapePrecondition(a.rows == a.columns, "LAPACK.syevd: A is \(a.rows)×\(a.columns), not square")
        shapePrecondition(values.count == a.rows, "LAPACK.syevd: \(values.count) slots for \(a.rows) eigenvalues")
        guard a.rows > 0 else { return }
        let n = blasInt(a.rows), lda = leading(a)
        let lwork = blasInt(work.count), liwork = blasInt(iwork.count)
        let info = a.withElements { e in
            e.withUnsafeMutableBufferPointer { pa in
                values.withUnsafeMutableBufferPointer { pw in
                    work.withUnsafeMutableBufferPointer { pwork in
                        iwork.withUnsafeMutableBufferPointer { piwork in
                            LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, ascii("V"), uplo(triangle), n, pa.baseAddress, lda,
                                                pw.baseAddress, pwork.baseAddress, lwork, piwork.baseAddress, liwork)
                        }
                    }
                }
            }
        }
        try check(info, "dsyevd") { .eigenDecompositionFailed(info: Int($0)) }
    }

    /// The `lwork` that `geqrf` needs for an m×n matrix, from LAPACK's workspace query.
    public static func geqrfWorkspaceSize(rows m: Int, columns n: Int) -> Int {
        guard m > 0, n > 0 else { return 1 }
        var work = 0.0, a = 0.0, tau = 0.0
        let info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, blasInt(m), blasInt(n), &a, blasInt(m), &tau, &work, -1)
        checkSuccess(info, "dgeqrf (workspace query)")
        return Swift.max(1, Int(work))
    }

    /// Householder QR in place (`dgeqrf`): R lands on and above the diagonal of `a` (m×n), the
    /// reflectors below it with their scalars in `tau` (length min(m, n)). Cost 2n²(m − n/3) flops.
    public static func geqrf(_ a: inout Matrix, tau: inout [Double], work: inout [Double]) {
        shapePrecondition(tau.count == Swift.min(a.rows, a.columns), "LAPACK.geqrf: tau has \(tau.count) slots")
        guard a.rows > 0, a.columns > 0 else { return }
        let m = blasInt(a.rows), n = blasInt(a.columns), lda = leading(a), lwork = blasInt(work.count)
        let info = a.withElements { e in
            e.withUnsafeMutableBufferPointer { pa in
                tau.withUnsafeMutableBufferPointer { pt in
                    work.withUnsafeMutableBufferPointer { pw in
                        LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m, n, pa.baseAddress, lda, pt.baseAddress,
                                            pw.baseAddress, lwork)
                    }
                }
            }
        }
        checkSuccess(info, "dgeqrf")
    }

    /// The `lwork` that `orgqr` needs to form the m×n Q from k reflectors, from LAPACK's query.
    public static func orgqrWorkspaceSize(rows m: Int, columns n: Int, reflectors k: Int) -> Int {
        guard m > 0, n > 0 else { return 1 }
        var work = 0.0, a = 0.0, tau = 0.0
        let info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, blasInt(m), blasInt(n), blasInt(k), &a, blasInt(m), &tau,
                                       &work, -1)
        checkSuccess(info, "dorgqr (workspace query)")
        return Swift.max(1, Int(work))
    }

    /// Forms the m×n matrix Q with orthonormal columns from the reflectors that `geqrf` left in `a`
    /// and `tau` (`dorgqr`), overwriting `a`. Requires m ≥ n. Cost 4mn² − 4n³/3 flops.
    public static func orgqr(_ a: inout Matrix, tau: [Double], work: inout [Double]) {
        shapePrecondition(a.rows >= a.columns, "LAPACK.orgqr: Q would be \(a.rows)×\(a.columns) with rows < columns")
        shapePrecondition(tau.count <= a.columns, "LAPACK.orgqr: \(tau.count) reflectors for \(a.columns) columns")
        guard a.rows > 0, a.columns > 0 else { return }
        let m = blasInt(a.rows), n = blasInt(a.columns), k = blasInt(tau.count), lda = leading(a)
        let lwork = blasInt(work.count)
        let info = a.withElements { e in
            e.withUnsafeMutableBufferPointer { pa in
                tau.withUnsafeBufferPointer { pt in
                    work.withUnsafeMutableBufferPointer { pw in
                        LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, m, n, k, pa.baseAddress, lda, pt.baseAddress,
                                            pw.baseAddress, lwork)
                    }
                }
            }
        }
        checkSuccess(info, "dorgqr")
    }

    /// The `lwork` that `gesdd` needs for an m×n matrix with the thin factors (`jobz = 'S'`), from
    /// LAPACK's workspace query; `iwork` needs 8·min(m, n) entries.
    public static func gesddWorkspaceSize(rows m: Int, columns n: Int) -> Int {
        guard m > 0, n > 0 else { return 1 }
        var work = 0.0, a = 0.0, s = 0.0, u = 0.0, vt = 0.0
        var iwork = [Int32](repeating: 0, count: 8 * Swift.min(m, n))
        let p = Swift.min(m, n)
        let info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, ascii("S"), blasInt(m), blasInt(n), &a, blasInt(m), &s, &u,
                                       blasInt(m), &vt, blasInt(p), &work, -1, &iwork)
        checkSuccess(info, "dgesdd (workspace query)")
        return Swift.max(1, Int(work))
    }

    /// Thin singular value decomposition A = U·diag(s)·Vᵀ (`dgesdd`, divide and conquer, about
    /// twice as fast as QR iteration at order 100): `a` (m×n) is destroyed, `values` (length
    /// p = min(m, n)) receives s₁ ≥ … ≥ sₚ ≥ 0, `u` (m×p) the left and `vt` (p×n) the transposed right
    /// singular vectors. `work` must be at least `gesddWorkspaceSize(rows:columns:)` and `iwork`
    /// 8p long. Cost about 4mn² + 8n³ flops for m ≥ n.
    /// - Throws: `.singularValueDecompositionFailed(info:)` when the iteration did not converge.
    public static func gesdd(_ a: inout Matrix, values: inout [Double], u: inout Matrix, vt: inout Matrix,
                             work: inout [Double], iwork: inout [Int32]) throws(LinearAlgebraError) {
        let p = Swift.min(a.rows, a.columns)
        shapePrecondition(values.count == p, "LAPACK.gesdd: \(values.count) slots for \(p) singular values")
        shapePrecondition(u.rows == a.rows && u.columns == p, "LAPACK.gesdd: U is \(u.rows)×\(u.columns), expected \(a.rows)×\(p)")
        shapePrecondition(vt.rows == p && vt.columns == a.columns,
                     "LAPACK.gesdd: Vᵀ is \(vt.rows)×\(vt.columns), expected \(p)×\(a.columns)")
        shapePrecondition(iwork.count >= 8 * p, "LAPACK.gesdd: iwork has \(iwork.count) slots, needs \(8 * p)")
        guard p > 0 else { return }
        let m = blasInt(a.rows), n = blasInt(a.columns), lda = leading(a), ldu = leading(u), ldvt = leading(vt)
        let lwork = blasInt(work.count)
        let info = a.withElements { e in
            e.withUnsafeMutableBufferPointer { pa in
                values.withUnsafeMutableBufferPointer { ps in
                    u.withElements { ue in
                        ue.withUnsafeMutableBufferPointer { pu in
                            vt.withElements { ve in
                                ve.withUnsafeMutableBufferPointer { pv in
                                    work.withUnsafeMutableBufferPointer { pw in
                                        iwork.withUnsafeMutableBufferPointer { pi in
                                            LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, ascii("S"), m, n, pa.baseAddress, lda,
                                                                ps.baseAddress, pu.baseAddress, ldu, pv.baseAddress, ldvt,
                                                                pw.baseAddress, lwork, pi.baseAddress)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try check(info, "dgesdd") { .singularValueDecompositionFailed(info: Int($0)) }
    }
}

/// Calls a solver `routine(n, nrhs, A, lda, B, ldb)` on the n×n matrix `a` (read) and the n×nrhs
/// right-hand sides `b` (overwritten), both non-empty, and returns its `info`.
private func solving(_ a: Matrix, _ b: inout Matrix,
                     _ routine: (Int32, Int32, UnsafePointer<Double>?, Int32, UnsafeMutablePointer<Double>?, Int32) -> Int32)
    -> Int32 {
    let n = blasInt(a.rows), nrhs = blasInt(b.columns), lda = leading(a), ldb = leading(b)
    return a.elements.withUnsafeBufferPointer { pa in
        b.withElements { e in
            e.withUnsafeMutableBufferPointer { pb in routine(n, nrhs, pa.baseAddress, lda, pb.baseAddress, ldb) }
        }
    }
}

/// Stops on `info < 0`: an illegal argument is a programming error, not a recoverable failure.
private func checkArguments(_ info: Int32, _ routine: String) {
    shapePrecondition(info >= 0, "LAPACK \(routine): argument \(-info) had an illegal value (info = \(info))")
}

/// For the routines and workspace queries that have no failure of their own: stops on any
/// `info` ≠ 0.
private func checkSuccess(_ info: Int32, _ routine: String) {
    checkArguments(info, routine)
    shapePrecondition(info == 0, "LAPACK \(routine) returned info = \(info) > 0")
}

/// Maps LAPACK's `info`: 0 is success, < 0 a programming error (illegal argument), > 0 the typed error.
private func check(_ info: Int32, _ routine: String,
                   _ error: (Int32) -> LinearAlgebraError) throws(LinearAlgebraError) {
    checkArguments(info, routine)
    if info > 0 { throw error(info) }
}

private func uplo(_ t: Triangle) -> CChar { t == .lower ? ascii("L") : ascii("U") }

private func ascii(_ c: Unicode.Scalar) -> CChar { CChar(c.value) }
