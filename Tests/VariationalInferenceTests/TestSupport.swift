import LowRankLinalg

/// ‖a − b‖_F / ‖b‖_F.
func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "relativeError: \(a.rows)×\(a.columns) vs \(b.rows)×\(b.columns)")
    let scale = b.frobeniusNorm
    return scale > 0 ? (a - b).frobeniusNorm / scale : (a - b).frobeniusNorm
}

/// ‖a − b‖₂ / ‖b‖₂.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "relativeError: lengths \(a.count) and \(b.count)")
    let scale = Vector.norm(b)
    let difference = Vector.norm(Vector.subtract(a, b))
    return scale > 0 ? difference / scale : difference
}

/// |a − b| / |b|.
func relativeError(_ a: Double, _ b: Double) -> Double {
    b != 0 ? abs(a - b) / abs(b) : abs(a)
}

/// The dense D×D matrix diag(d) + UUᵀ − WWᵀ (test reference only).
func denseMatrix(_ s: SignedLowRankPlusDiagonal) -> Matrix {
    Matrix.diagonal(s.diagonalPart) + BLAS.gemm(s.added, s.added, transB: .transpose)
        - BLAS.gemm(s.subtracted, s.subtracted, transB: .transpose)
}
