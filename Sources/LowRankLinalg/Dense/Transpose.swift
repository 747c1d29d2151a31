/// Whether a BLAS/LAPACK operand is used as stored or transposed.
public enum Transpose: Sendable {
    /// Use the matrix as stored (`N`).
    case none
    /// Use its transpose (`T`).
    case transpose
}

/// Which triangle of a symmetric matrix a routine reads or writes.
public enum Triangle: Sendable {
    /// The upper triangle (`U`).
    case upper
    /// The lower triangle (`L`).
    case lower
}

/// On which side of B a triangular solve applies A⁻¹.
public enum Side: Sendable {
    /// op(A)⁻¹·B.
    case left
    /// B·op(A)⁻¹.
    case right
}
