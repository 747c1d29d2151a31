import LowRankLinalg

/// KL(q‖p) between two low-rank-plus-diagonal Gaussians in closed form (algorithm.md §7.2):
/// ½[tr(Σp⁻¹Σq) + (μp−μq)ᵀΣp⁻¹(μp−μq) − D + log det Σp − log det Σq], with
/// tr(Σp⁻¹Σq) = Σᵢ diag(Σp⁻¹)ᵢψq,ᵢ + tr(ΛqᵀΣp⁻¹Λq). Cost O(D(Kq + Kp)²); nothing D×D.
/// Throws `VariationalInferenceError.dimensionMismatch` when the dimensions differ (all overloads).
/// Either side may have rank 0 (a diagonal Gaussian; see `DiagonalGaussian.asLowRank`).
public func klDivergence(_ q: LowRankGaussian, _ p: LowRankGaussian) throws -> Double {
    try requireDimension(q.dimension, p.dimension, "KL arguments")
    let trace = p.covariance.traceOfInverseTimes(
        SignedLowRankPlusDiagonal(diagonal: q.psi, added: q.lambda, subtracted: Matrix(rows: q.dimension, columns: 0)))
    let quadratic = p.covariance.inverseQuadraticForm(Vector.subtract(p.mean, q.mean))
    return 0.5 * (trace + quadratic - Double(q.dimension) + p.logDeterminant - q.logDeterminant)
}

/// KL(q‖p) for any approximation q and a dense Gaussian p (small D): the same formula with
/// tr(Σp⁻¹Σq) = tr(Σq·Σp⁻¹) from `q.covarianceProduct` of Σp⁻¹. Cost O(D³).
public func klDivergence<Q: GaussianApproximation>(_ q: Q, _ p: DenseGaussian) throws -> Double {
    try divergence(q, toDense: p)
}

/// KL(q‖p) between two dense Gaussians (small D). Cost O(D³).
public func klDivergence(_ q: DenseGaussian, _ p: DenseGaussian) throws -> Double {
    try divergence(q, toDense: p)
}

/// KL(q‖p) for a dense p: the body shared by the overloads above.
private func divergence<Q: GaussianApproximation>(_ q: Q, toDense p: DenseGaussian) throws -> Double {
    try requireDimension(q.dimension, p.dimension, "KL arguments")
    let trace = q.covarianceProduct(p.cholesky.inverse).trace
    let difference = Vector.subtract(p.mean, q.mean)
    let quadratic = BLAS.dot(difference, p.cholesky.solve(difference))
    return 0.5 * (trace + quadratic - Double(q.dimension) + p.logDeterminant - q.logDeterminant)
}

/// KL(p‖q) for a dense Gaussian p and any approximation q (small D): tr(Σq⁻¹Σp) from
/// `q.precisionProduct` of Σp. Cost O(D³).
public func klDivergence<Q: GaussianApproximation>(_ p: DenseGaussian, _ q: Q) throws -> Double {
    try requireDimension(q.dimension, p.dimension, "KL arguments")
    let trace = q.precisionProduct(p.covariance).trace
    let difference = Vector.subtract(q.mean, p.mean)
    let quadratic = BLAS.dot(difference, q.precisionProduct(Matrix(rows: q.dimension, columns: 1, elements: difference)).elements)
    return 0.5 * (trace + quadratic - Double(q.dimension) + q.logDeterminant - p.logDeterminant)
}
