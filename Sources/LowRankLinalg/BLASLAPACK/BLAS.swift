import CLapack

/// Thin wrappers over the double-precision CBLAS routines of OpenBLAS, column-major only.
///
/// One function per routine. Shapes are checked before each call: a mismatch is a programming error
/// and stops with the sizes in the message. Routines that write a result take it `inout` so that hot
/// loops can reuse the storage; the convenience forms return a new value.
public enum BLAS {
    /// C ← α·op(A)·op(B) + β·C (`dgemm`). C must already be op(A).rows × op(B).columns. With β = 0, C is
    /// not read (BLAS semantics), also when the inner dimension is 0: C is then set to 0.
    ///
    /// `aColumns`, `bColumns` and `cColumns` restrict an operand to a contiguous range of its columns
    /// (a column range of a column-major matrix is itself a column-major block with the same leading
    /// dimension), so that a product can read or write part of a larger workspace without copying.
    /// Cost 2·m·n·k flops.
    public static func gemm(_ a: Matrix, _ b: Matrix, transA: Transpose = .none, transB: Transpose = .none,
                            alpha: Double = 1, beta: Double = 0, into c: inout Matrix,
                            aColumns: Range<Int>? = nil, bColumns: Range<Int>? = nil, cColumns: Range<Int>? = nil) {
        let aRange = aColumns ?? 0..<a.columns, bRange = bColumns ?? 0..<b.columns, cRange = cColumns ?? 0..<c.columns
        shapePrecondition(aRange.lowerBound >= 0 && aRange.upperBound <= a.columns, "BLAS.gemm: columns \(aRange) of A (\(a.columns))")
        shapePrecondition(bRange.lowerBound >= 0 && bRange.upperBound <= b.columns, "BLAS.gemm: columns \(bRange) of B (\(b.columns))")
        shapePrecondition(cRange.lowerBound >= 0 && cRange.upperBound <= c.columns, "BLAS.gemm: columns \(cRange) of C (\(c.columns))")
        let (m, k) = transA == .none ? (a.rows, aRange.count) : (aRange.count, a.rows)
        let (kb, n) = transB == .none ? (b.rows, bRange.count) : (bRange.count, b.rows)
        shapePrecondition(k == kb, "BLAS.gemm: inner dimensions differ, op(A) is \(m)×\(k), op(B) is \(kb)×\(n)")
        shapePrecondition(c.rows == m && cRange.count == n,
                     "BLAS.gemm: C is \(c.rows)×\(cRange.count), expected \(m)×\(n)")
        guard m > 0 && n > 0 else { return }
        let cRows = c.rows
        guard k > 0 else {
            if beta != 1 {
                c.withElements { e in
                    for i in (cRange.lowerBound * cRows)..<(cRange.upperBound * cRows) { e[i] = beta == 0 ? 0 : e[i] * beta }
                }
            }
            return
        }
        let lda = leading(a), ldb = leading(b), ldc = leading(c)
        a.elements.withUnsafeBufferPointer { pa in
            b.elements.withUnsafeBufferPointer { pb in
                c.withElements { ce in
                    ce.withUnsafeMutableBufferPointer { pc in
                        cblas_dgemm(CblasColMajor, cblasTranspose(transA), cblasTranspose(transB),
                                    blasInt(m), blasInt(n), blasInt(k), alpha,
                                    pa.baseAddress! + aRange.lowerBound * a.rows, lda,
                                    pb.baseAddress! + bRange.lowerBound * b.rows, ldb,
                                    beta, pc.baseAddress! + cRange.lowerBound * cRows, ldc)
                    }
                }
            }
        }
    }

    /// B ← α·B·op(A)⁻¹ (`side: .right`) or B ← α·op(A)⁻¹·B (`side: .left`) for a triangular A with a
    /// non-zero diagonal (`dtrsm`), in place. A is n×n; B is m×n (right) or n×m (left).
    /// A zero on the diagonal of A is a programming error (BLAS does not check it): pass a factor
    /// from a successful factorization. Cost n²·m flops.
    public static func trsm(_ a: Matrix, triangle: Triangle, transA: Transpose = .none, side: Side,
                            alpha: Double = 1, into b: inout Matrix) {
        triangular("trsm", cblas_dtrsm, a, triangle: triangle, transA: transA, side: side, alpha: alpha, into: &b)
    }

    /// B ← α·B·op(A) (`side: .right`) or B ← α·op(A)·B (`side: .left`) for a triangular A (`dtrmm`),
    /// in place; only A's `triangle` is read. A is n×n; B is m×n (right) or n×m (left). Cost n²·m flops.
    public static func trmm(_ a: Matrix, triangle: Triangle, transA: Transpose = .none, side: Side,
                            alpha: Double = 1, into b: inout Matrix) {
        triangular("trmm", cblas_dtrmm, a, triangle: triangle, transA: transA, side: side, alpha: alpha, into: &b)
    }

    /// The shared shape checks and call of `trsm` and `trmm`, which have the same CBLAS signature.
    private static func triangular(
        _ name: String,
        _ routine: (CBLAS_ORDER, CBLAS_SIDE, CBLAS_UPLO, CBLAS_TRANSPOSE, CBLAS_DIAG, blasint, blasint, Double,
                    UnsafePointer<Double>?, blasint, UnsafeMutablePointer<Double>?, blasint) -> Void,
        _ a: Matrix, triangle: Triangle, transA: Transpose, side: Side, alpha: Double, into b: inout Matrix
    ) {
        shapePrecondition(a.rows == a.columns, "BLAS.\(name): A is \(a.rows)×\(a.columns), not square")
        let order = side == .right ? b.columns : b.rows
        shapePrecondition(order == a.rows, "BLAS.\(name): B is \(b.rows)×\(b.columns), A is \(a.rows)×\(a.rows) on the \(side)")
        guard b.rows > 0 && b.columns > 0 else { return }
        let lda = leading(a), ldb = leading(b), m = blasInt(b.rows), n = blasInt(b.columns)
        a.elements.withUnsafeBufferPointer { pa in
            b.withElements { be in
                be.withUnsafeMutableBufferPointer { pb in
                    routine(CblasColMajor, side == .right ? CblasRight : CblasLeft, cblasTriangle(triangle),
                            cblasTranspose(transA), CblasNonUnit, m, n, alpha, pa.baseAddress, lda, pb.baseAddress, ldb)
                }
            }
        }
    }

    /// α·op(A)·op(B) as a new matrix (`dgemm`). Cost 2·m·n·k flops.
    public static func gemm(_ a: Matrix, _ b: Matrix, transA: Transpose = .none, transB: Transpose = .none,
                            alpha: Double = 1) -> Matrix {
        var c = Matrix(rows: transA == .none ? a.rows : a.columns, columns: transB == .none ? b.columns : b.rows)
        gemm(a, b, transA: transA, transB: transB, alpha: alpha, beta: 0, into: &c)
        return c
    }

    /// y ← α·op(A)·x + β·y (`dgemv`). Cost 2·m·n flops.
    public static func gemv(_ a: Matrix, _ x: [Double], trans: Transpose = .none,
                            alpha: Double = 1, beta: Double = 0, into y: inout [Double]) {
        let (m, n) = trans == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        shapePrecondition(x.count == n, "BLAS.gemv: x has \(x.count) entries, op(A) is \(m)×\(n)")
        shapePrecondition(y.count == m, "BLAS.gemv: y has \(y.count) entries, op(A) is \(m)×\(n)")
        guard m > 0 else { return }
        guard n > 0 else { scal(beta, &y); return }
        let lda = leading(a)
        a.elements.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(CblasColMajor, cblasTranspose(trans), blasInt(a.rows), blasInt(a.columns),
                                alpha, pa.baseAddress, lda, px.baseAddress, 1, beta, py.baseAddress, 1)
                }
            }
        }
    }

    /// α·op(A)·x as a new vector (`dgemv`). Cost 2·m·n flops.
    public static func gemv(_ a: Matrix, _ x: [Double], trans: Transpose = .none, alpha: Double = 1) -> [Double] {
        var y = [Double](repeating: 0, count: trans == .none ? a.rows : a.columns)
        gemv(a, x, trans: trans, alpha: alpha, beta: 0, into: &y)
        return y
    }

    /// C ← α·op(A)·op(A)ᵀ + β·C on one triangle of C (`dsyrk`); `.none` gives A·Aᵀ, `.transpose`
    /// gives Aᵀ·A. The other triangle is left untouched (see `Matrix.fillSymmetric(from:)`).
    /// Cost n²·k flops.
    public static func syrk(_ a: Matrix, trans: Transpose = .none, alpha: Double = 1, beta: Double = 0,
                            triangle: Triangle = .lower, into c: inout Matrix) {
        let (n, k) = trans == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        shapePrecondition(c.rows == n && c.columns == n, "BLAS.syrk: C is \(c.rows)×\(c.columns), expected \(n)×\(n)")
        guard n > 0 else { return }
        let lda = leading(a), ldc = leading(c)
        a.elements.withUnsafeBufferPointer { pa in
            c.withElements { ce in
                ce.withUnsafeMutableBufferPointer { pc in
                    cblas_dsyrk(CblasColMajor, cblasTriangle(triangle), cblasTranspose(trans),
                                blasInt(n), blasInt(k), alpha, pa.baseAddress, lda,
                                beta, pc.baseAddress, ldc)
                }
            }
        }
    }

    /// The full symmetric Gram matrix α·op(A)·op(A)ᵀ (`dsyrk` plus a triangle copy). Cost n²·k flops.
    public static func syrk(_ a: Matrix, trans: Transpose = .none, alpha: Double = 1) -> Matrix {
        let n = trans == .none ? a.rows : a.columns
        var c = Matrix(rows: n, columns: n)
        syrk(a, trans: trans, alpha: alpha, beta: 0, triangle: .lower, into: &c)
        c.fillSymmetric(from: .lower)
        return c
    }

    /// xᵀy (`ddot`). Cost 2n flops.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        shapePrecondition(x.count == y.count, "BLAS.dot: lengths \(x.count) and \(y.count) differ")
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                cblas_ddot(blasInt(x.count), px.baseAddress, 1, py.baseAddress, 1)
            }
        }
    }

    /// y ← α·x + y (`daxpy`). Cost 2n flops.
    public static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        shapePrecondition(x.count == y.count, "BLAS.axpy: lengths \(x.count) and \(y.count) differ")
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                cblas_daxpy(blasInt(x.count), alpha, px.baseAddress, 1, py.baseAddress, 1)
            }
        }
    }

    /// x ← α·x (`dscal`). Cost n flops.
    public static func scal(_ alpha: Double, _ x: inout [Double]) {
        x.withUnsafeMutableBufferPointer { px in
            cblas_dscal(blasInt(px.count), alpha, px.baseAddress, 1)
        }
    }
}

/// A dimension as BLAS's 32-bit integer; sizes beyond Int32 are a programming error.
func blasInt(_ n: Int) -> Int32 {
    shapePrecondition(n <= Int(Int32.max), "dimension \(n) exceeds the 32-bit BLAS/LAPACK integer range")
    return Int32(n)
}

/// The leading dimension of a column-major matrix (at least 1, as BLAS and LAPACK require).
func leading(_ m: Matrix) -> Int32 { blasInt(Swift.max(1, m.rows)) }

private func cblasTranspose(_ t: Transpose) -> CBLAS_TRANSPOSE {
    t == .none ? CblasNoTrans : CblasTrans
}

private func cblasTriangle(_ t: Triangle) -> CBLAS_UPLO {
    t == .lower ? CblasLower : CblasUpper
}
