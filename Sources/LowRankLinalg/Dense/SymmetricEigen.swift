/// The eigen decomposition A = V·diag(w)·Vᵀ of a symmetric n×n matrix (`dsyevd`).
///
/// `values` are ascending, `vectors` has orthonormal columns (VᵀV = I). Cost about 9n³ flops; meant
/// for the small (B+1)×(B+1) and K×K matrices of BaM and pBaM and for dense references. Orders up to
/// `BLAS.smallOrder` run on one OpenBLAS thread (`BLAS.runSmall`).
public struct SymmetricEigen: Sendable {
    /// The eigenvalues w₁ ≤ … ≤ wₙ.
    public let values: [Double]
    /// The orthonormal eigenvectors, column j belonging to `values[j]` (n×n).
    public let vectors: Matrix

    /// Decomposes the symmetric matrix `a`, reading its lower triangle. Allocates its own scratch;
    /// use `init(_:workspace:)` in a loop.
    /// - Throws: `LinearAlgebraError.nonFinite` for a NaN or an infinity in the lower triangle;
    ///   `.eigenDecompositionFailed(info:)` if LAPACK did not converge.
    public init(_ a: Matrix) throws(LinearAlgebraError) {
        var workspace = SymmetricEigenWorkspace(order: a.rows)
        try self.init(a, workspace: &workspace)
    }

    /// Decomposes `a` with scratch from `workspace`, whose order must equal a.rows. Allocates only
    /// the n×n result.
    /// - Throws: `.nonFinite` when the lower triangle of `a` holds a NaN or an infinity;
    ///   `.eigenDecompositionFailed(info:)` if LAPACK did not converge.
    public init(_ a: Matrix, workspace: inout SymmetricEigenWorkspace) throws(LinearAlgebraError) {
        shapePrecondition(a.rows == workspace.order, "SymmetricEigen: A is \(a.rows)×\(a.columns), workspace order \(workspace.order)")
        let n = a.rows
        let finite = a.elements.withUnsafeBufferPointer { e in
            (0..<n).allSatisfy { j in (j..<n).allSatisfy { i in e[i + j * n].isFinite } }
        }
        guard finite else { throw .nonFinite(context: "lower triangle of the \(n)×\(n) matrix passed to SymmetricEigen") }
        var v = a
        var w = [Double](repeating: 0, count: a.rows)
        try BLAS.runSmall(order: a.rows) { () throws(LinearAlgebraError) in
            try LAPACK.syevd(&v, values: &w, triangle: .lower, work: &workspace.work, iwork: &workspace.iwork)
        }
        values = w
        vectors = v
    }

    /// V·diag(f(w))·Vᵀ, the symmetric matrix function f(A). Cost 2n³ flops.
    public func map(_ f: (Double) throws -> Double) rethrows -> Matrix {
        let n = values.count
        var scaled = vectors
        let fw = try values.map(f)
        scaled.withElements { e in
            for j in 0..<n { for i in 0..<n { e[i + j * n] *= fw[j] } }
        }
        return BLAS.gemm(scaled, vectors, transB: .transpose)
    }

    /// A^{1/2}, with eigenvalues below zero (round-off on a PSD matrix) clamped to 0. Cost 2n³ flops.
    public func squareRoot() -> Matrix {
        map { Swift.max($0, 0).squareRoot() }
    }

    /// A^{-1/2}. Cost 2n³ flops.
    /// - Throws: `.nonPositiveEigenvalue(index:value:)` when an eigenvalue is ≤ 0.
    public func inverseSquareRoot() throws(LinearAlgebraError) -> Matrix {
        if let index = values.firstIndex(where: { !($0 > 0) }) {
            throw .nonPositiveEigenvalue(index: index, value: values[index])
        }
        return map { 1 / $0.squareRoot() }
    }
}

/// Scratch for repeated `dsyevd` calls of one order n: LAPACK's workspace query is run once, at
/// construction, and the buffers are reused by every `SymmetricEigen(_:workspace:)`.
public struct SymmetricEigenWorkspace: Sendable {
    /// The matrix order n this workspace serves.
    public let order: Int
    var work: [Double]
    var iwork: [Int32]

    /// Queries and allocates the scratch for n×n decompositions with eigenvectors.
    public init(order: Int) {
        shapePrecondition(order >= 0, "SymmetricEigenWorkspace: negative order \(order)")
        self.order = order
        let size = LAPACK.syevdWorkspaceSize(order: order)
        work = [Double](repeating: 0, count: size.work)
        iwork = [Int32](repeating: 0, count: size.iwork)
    }
}
