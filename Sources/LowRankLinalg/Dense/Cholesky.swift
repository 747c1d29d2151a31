/// The Cholesky factorization A = L·Lᵀ of a symmetric positive definite n×n matrix.
///
/// Built by `dpotrf` on the lower triangle; the strict upper triangle of `lower` is zeroed so the
/// factor can be used as an ordinary matrix. Memory n², factor cost n³/3 flops.
public struct Cholesky: Sendable {
    /// The lower-triangular factor L (n×n, zeros above the diagonal).
    public let lower: Matrix

    /// Factors the symmetric matrix `a`, reading its lower triangle only.
    /// - Throws: `LinearAlgebraError.notPositiveDefinite(leadingMinor:)` (1-based order of the first
    ///   leading minor that is not positive definite); `.nonFinite` when the factor holds a NaN or an
    ///   infinity (the lower triangle of `a` did, or the factorization overflowed: `dpotrf` itself
    ///   only tests the pivots for ≤ 0).
    public init(_ a: Matrix) throws(LinearAlgebraError) {
        var factor = a
        try LAPACK.potrf(&factor, triangle: .lower)
        let n = factor.rows
        factor.withElements { e in
            for j in 0..<n { for i in 0..<j { e[i + j * n] = 0 } }
        }
        guard factor.isFinite else {
            throw .nonFinite(context: "Cholesky factor of a \(n)×\(n) matrix (NaN or infinite input, or overflow)")
        }
        lower = factor
    }

    /// A factorization from a lower-triangular factor L the caller already has (zeros above the
    /// diagonal, positive diagonal), without factoring anything.
    package init(lower: Matrix) {
        shapePrecondition(lower.rows == lower.columns, "Cholesky(lower:): L is \(lower.rows)×\(lower.columns), not square")
        self.lower = lower
    }

    /// The non-throwing path for iterative algorithms that reject a step instead of stopping:
    /// `.success` with the factor, or `.failure` with the same error `init` would throw.
    public static func attempt(_ a: Matrix) -> Result<Cholesky, LinearAlgebraError> {
        do { return .success(try Cholesky(a)) } catch { return .failure(error) }
    }

    /// The order n.
    public var order: Int { lower.rows }

    /// log det A = 2·Σ log Lᵢᵢ. Cost O(n).
    public var logDeterminant: Double {
        var sum = 0.0
        for i in 0..<order { sum += _log(lower[i, i]) }
        return 2 * sum
    }

    /// A⁻¹·B for an n×m block B (`dpotrs`). Cost 2n²m flops.
    public func solve(_ b: Matrix) -> Matrix {
        var x = b
        LAPACK.potrs(lower, triangle: .lower, &x)
        return x
    }

    /// A⁻¹·b for a vector of length n (`dpotrs`). Cost 2n² flops.
    public func solve(_ b: [Double]) -> [Double] {
        solve(Matrix(rows: b.count, columns: 1, elements: b)).elements
    }

    /// B·A⁻¹ for an m×n block B (a right solve, through (A⁻¹Bᵀ)ᵀ since A is symmetric). Cost 2n²m flops.
    public func rightSolve(_ b: Matrix) -> Matrix {
        solve(b.transposed()).transposed()
    }

    /// L⁻¹·B for an n×m block (`dtrtrs`, forward substitution). Cost n²m flops.
    public func solveLower(_ b: Matrix) -> Matrix {
        var x = b
        do {
            try LAPACK.trtrs(lower, triangle: .lower, &x)
        } catch {
            preconditionFailure("Cholesky.solveLower: a Cholesky factor has a positive diagonal, yet \(error)")
        }
        return x
    }

    /// The inverse A⁻¹ (n×n, symmetric), for small n. Cost about n³ flops.
    public var inverse: Matrix { solve(Matrix.identity(order)) }
}
