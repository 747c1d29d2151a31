import LowRankLinalg

/// The reusable buffers of the patch (`FactorAnalysisPatch`): two D×K blocks and two D-vectors,
/// allocated once and reused by every EM step of every patch. pBaM also uses the two blocks for its
/// batch (points and scores) and its match (Q and VQ), so they are reserved for max(K, B+1) columns.
public struct PatchWorkspace: Sendable {
    /// V = Ψ⁻¹Λ, then √d∘V, then d∘V during an EM step (D×K); the batch points and VQ in pBaM's match.
    var first: Matrix
    /// Y = H·L_N⁻ᵀ, then the un-relaxed EM output Λ̂ (D×K); the scores and Q in pBaM's match.
    var second: Matrix
    /// The un-relaxed EM output ψ̂ (length D).
    var nextPsi: [Double]
    /// √d for the diagonal part d of the target S (length D).
    var rootDiagonalPart: [Double]

    /// Buffers for dimension D and rank K, with room for `columnCapacity` ≥ K columns per block.
    /// Memory D(2·columnCapacity + 2) doubles.
    public init(dimension: Int, rank: Int, columnCapacity: Int? = nil) {
        first = Matrix(rows: dimension, columns: rank)
        second = Matrix(rows: dimension, columns: rank)
        let capacity = Swift.max(rank, columnCapacity ?? rank)
        first.reserveColumnCapacity(capacity)
        second.reserveColumnCapacity(capacity)
        nextPsi = [Double](repeating: 0, count: dimension)
        rootDiagonalPart = [Double](repeating: 0, count: dimension)
    }

    /// Shapes the blocks as D×K and stores √d for the target's diagonal part d. No allocation within
    /// the reserved capacity.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a workspace of another dimension,
    ///   `.invalidArgument` when d has a negative or non-finite entry.
    mutating func prepare(target: SignedLowRankPlusDiagonal, rank: Int) throws {
        try requireDimension(target.dimension, first.rows, "patch workspace dimension")
        first.resizeColumns(to: rank)
        second.resizeColumns(to: rank)
        let d = target.diagonalPart
        for i in d.indices {
            guard d[i] >= 0 && d[i].isFinite else {
                throw VariationalInferenceError.invalidArgument("the diagonal part of the patch target must be finite and ≥ 0, entry \(i) is \(d[i])")
            }
            rootDiagonalPart[i] = d[i].squareRoot()
        }
    }
}
