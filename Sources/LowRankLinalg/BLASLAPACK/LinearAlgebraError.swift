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
    /// `failure` happened while factoring the matrix that `matrix` names (for instance "the
    /// capacitance I + ΛᵀΨ⁻¹Λ of q"); attached by ``LinearAlgebraError/naming(_:_:)``.
    indirect case inMatrix(String, LinearAlgebraError)

    /// The failure without the matrix names that ``naming(_:_:)`` attached.
    public var cause: LinearAlgebraError {
        if case .inMatrix(_, let inner) = self { return inner.cause }
        return self
    }

    /// Runs `body` and attaches `matrix` to the error it throws (an error that already names its
    /// matrix keeps the innermost name).
    /// - Throws: `.inMatrix(matrix, error)` for the error `body` throws.
    public static func naming<T>(_ matrix: String, _ body: () throws(LinearAlgebraError) -> T) throws(LinearAlgebraError) -> T {
        do {
            return try body()
        } catch {
            if case .inMatrix = error { throw error }
            throw .inMatrix(matrix, error)
        }
    }
}

extension LinearAlgebraError: CustomStringConvertible {
    /// What failed, in which matrix when it is known, and what to try; at most a few hundred
    /// characters.
    public var description: String {
        switch self {
        case .inMatrix(let matrix, let inner):
            return "in \(matrix.prefix(120)): \(inner)"
        case .notPositiveDefinite(let minor):
            return "Cholesky failed: the leading \(minor)×\(minor) minor is not positive definite "
                + "(an indefinite or numerically singular matrix; try a smaller learning rate, or jitter on the diagonal)"
        case .eigenDecompositionFailed(let info):
            return "the symmetric eigensolver (dsyevd) did not converge (info = \(info)); the matrix is badly scaled, "
                + "try a smaller learning rate"
        case .singularValueDecompositionFailed(let info):
            return "the SVD (dgesdd) did not converge (info = \(info)); the matrix is badly scaled, try a smaller learning rate"
        case .singularTriangularFactor(let index):
            return "a triangular factor has an exact zero on its diagonal at index \(index) (a singular matrix)"
        case .nonPositiveEigenvalue(let index, let value):
            return "eigenvalue \(index) is \(value), not > 0 (a matrix that must be positive definite is not)"
        case .nonPositiveDiagonal(let index, let value):
            return "diagonal entry \(index) is \(value), not finite and > 0 (ψ must be positive; a floor such as 1e-10 helps)"
        case .nonFinite(let context):
            return "\(context.prefix(160)) holds a NaN or an infinity, or overflows (check the inputs for NaN, or rescale)"
        }
    }
}
