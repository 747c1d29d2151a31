/// A numerical failure that the caller can act on (reject a step, shrink a learning rate, add jitter).
///
/// LAPACK reports these with `info > 0`. Argument errors (`info < 0`) and shape mismatches are
/// programming errors and stop the program with a message naming the routine and the argument.
public enum LinearAlgebraError: Error, Equatable, Sendable {
    /// Cholesky failed: the leading minor of this order (1-based, as LAPACK counts) is not positive
    /// definite.
    case notPositiveDefinite(leadingMinor: Int)
    /// The symmetric eigensolver did not converge; `info` is LAPACK's positive `info` code.
    case eigenDecompositionFailed(info: Int)
    /// The singular value decomposition did not converge; `info` is LAPACK's positive `info` code.
    case singularValueDecompositionFailed(info: Int)
    /// A triangular factor has an exact zero on its diagonal at this 1-based index.
    case singularTriangularFactor(diagonalIndex: Int)
    /// A function that needs strictly positive eigenvalues met one that is not (index into the
    /// ascending eigenvalues, and its value).
    case nonPositiveEigenvalue(index: Int, value: Double)
    /// A diagonal that must be strictly positive and finite (such as ψ in Ψ + ΛΛᵀ) is not, at this
    /// 0-based index.
    case nonPositiveDiagonal(index: Int, value: Double)
    /// An input held a NaN or an infinity; `context` names the input.
    case nonFinite(context: String)
}
