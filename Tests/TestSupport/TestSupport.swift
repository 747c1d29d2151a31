import LowRankLinalg

/// ‖a − b‖_F / ‖b‖_F (or the absolute error when b = 0).
public func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "relativeError: \(a.rows)×\(a.columns) vs \(b.rows)×\(b.columns)")
    let scale = b.frobeniusNorm
    let difference = (a - b).frobeniusNorm
    return scale > 0 ? difference / scale : difference
}

/// ‖a − b‖₂ / ‖b‖₂ for vectors (or the absolute error when b = 0).
public func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "relativeError: lengths \(a.count) and \(b.count)")
    let scale = Vector.norm(b)
    let difference = Vector.norm(Vector.subtract(a, b))
    return scale > 0 ? difference / scale : difference
}

/// |a − b| / |b| (or |a| when b = 0).
public func relativeError(_ a: Double, _ b: Double) -> Double {
    b != 0 ? abs(a - b) / abs(b) : abs(a)
}

/// A random symmetric positive definite n×n matrix G·Gᵀ + n·I.
public func randomSPD(_ n: Int, _ rng: inout Xoshiro256StarStar) -> Matrix {
    let g = rng.standardNormalMatrix(rows: n, columns: n)
    return BLAS.syrk(g) + Double(n) * Matrix.identity(n)
}

/// A random LR+D matrix with ψ ∈ [0.1, 1.1) and Λ standard normal.
public func randomLowRankPlusDiagonal(dimension d: Int, rank k: Int,
                                      _ rng: inout Xoshiro256StarStar) throws -> LowRankPlusDiagonal {
    try LowRankPlusDiagonal(psi: rng.uniforms(d, in: 0.1..<1.1), lambda: rng.standardNormalMatrix(rows: d, columns: k))
}

/// The dense D×D matrix diag(ψ) + ΛΛᵀ (test reference only).
public func denseMatrix(_ s: LowRankPlusDiagonal) -> Matrix {
    Matrix.diagonal(s.psi) + BLAS.gemm(s.lambda, s.lambda, transB: .transpose)
}

/// The dense D×D matrix diag(d) + UUᵀ − WWᵀ (test reference only).
public func denseMatrix(_ s: SignedLowRankPlusDiagonal) -> Matrix {
    Matrix.diagonal(s.diagonalPart) + BLAS.gemm(s.added, s.added, transB: .transpose)
        - BLAS.gemm(s.subtracted, s.subtracted, transB: .transpose)
}
