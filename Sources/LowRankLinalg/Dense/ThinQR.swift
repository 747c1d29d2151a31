/// The thin QR factorization A = Q·R of a tall m×n matrix (m ≥ n): Q is m×n with orthonormal columns,
/// R is n×n upper triangular (`dgeqrf` + `dorgqr`).
///
/// Cost about 4mn² flops; memory mn for Q. For an orthonormal basis of a tall-skinny block such as
/// a D×(B+1) batch or a D×(K+1) factor, whatever its rank. The profile patch's eigen solver uses it
/// as the fallback of its Cholesky QR, for nearly dependent columns (LAPACK runs n below its blocking
/// crossover, about 128, as level-2 code, which is slow at large m).
public struct ThinQR: Sendable {
    /// Q, m×n with QᵀQ = I.
    public let q: Matrix
    /// R, n×n upper triangular (zeros below the diagonal).
    public let r: Matrix

    /// Factors `a` (m ≥ n), allocating its own scratch; use `init(_:workspace:)` in a loop.
    public init(_ a: Matrix) {
        var workspace = ThinQRWorkspace(rows: a.rows, columns: a.columns)
        self.init(a, workspace: &workspace)
    }

    /// Factors `a` with scratch from `workspace`, whose shape must equal a's. Allocates only Q and R.
    public init(_ a: Matrix, workspace: inout ThinQRWorkspace) {
        shapePrecondition(a.rows == workspace.rows && a.columns == workspace.columns,
                     "ThinQR: A is \(a.rows)×\(a.columns), workspace is \(workspace.rows)×\(workspace.columns)")
        var factored = a
        var triangle = Matrix(rows: a.columns, columns: a.columns)
        ThinQR.factor(&factored, r: &triangle, workspace: &workspace)
        q = factored
        r = triangle
    }

    /// In-place form for hot loops: overwrites `a` (m×n) with Q and `r` (n×n) with R, allocating
    /// nothing.
    public static func factor(_ a: inout Matrix, r: inout Matrix, workspace: inout ThinQRWorkspace) {
        shapePrecondition(a.rows == workspace.rows && a.columns == workspace.columns,
                     "ThinQR.factor: A is \(a.rows)×\(a.columns), workspace is \(workspace.rows)×\(workspace.columns)")
        shapePrecondition(r.rows == a.columns && r.columns == a.columns,
                     "ThinQR.factor: R is \(r.rows)×\(r.columns), expected \(a.columns)×\(a.columns)")
        LAPACK.geqrf(&a, tau: &workspace.tau, work: &workspace.work)
        let n = a.columns, m = a.rows
        r.withElements { re in
            for j in 0..<n {
                for i in 0..<n { re[i + j * n] = i <= j ? a.elements[i + j * m] : 0 }
            }
        }
        LAPACK.orgqr(&a, tau: workspace.tau, work: &workspace.work)
    }
}

/// Scratch for repeated thin QR factorizations of one m×n shape: the `geqrf` and `orgqr` workspace
/// queries run once, at construction.
public struct ThinQRWorkspace: Sendable {
    /// Rows m of the matrices this workspace serves.
    public let rows: Int
    /// Columns n (≤ m) of the matrices this workspace serves.
    public let columns: Int
    var tau: [Double]
    var work: [Double]

    /// Queries and allocates the scratch for m×n factorizations (m ≥ n).
    public init(rows: Int, columns: Int) {
        shapePrecondition(rows >= columns && columns >= 0, "ThinQRWorkspace: thin QR needs rows ≥ columns, got \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        tau = [Double](repeating: 0, count: columns)
        let size = Swift.max(LAPACK.geqrfWorkspaceSize(rows: rows, columns: columns),
                             LAPACK.orgqrWorkspaceSize(rows: rows, columns: columns, reflectors: columns))
        work = [Double](repeating: 0, count: size)
    }
}
