import LowRankLinalg

/// The relative Fisher divergence of q from p, estimated from scored draws x_b ~ q:
///
///   F̂ = Σ_b ‖∇log p(x_b) − ∇log q(x_b)‖² / Σ_b ‖∇log p(x_b)‖²,   ∇log q(x) = −Σ⁻¹(x − μ).
///
/// 0 when q = p (their scores agree everywhere); about 1 when q's score explains none of p's; above
/// 1 when q pulls the wrong way (a sign-flipped gradient gives about 4). It needs scores only, no
/// log density, so BaM and pBaM report it every iteration from the batch they score anyway
/// (`StepReport.relativeFisherDivergence`, at no extra score evaluation). The ratio of two sums is
/// scale free, and with B draws it has a relative sampling error of order 1/√B.
public enum RelativeFisherDivergence {
    /// F̂ from B fresh draws of q: B score evaluations plus the precision products.
    /// - Throws: what the model throws; `VariationalInferenceError.nonFinite` when a score is not
    ///   finite; `.invalidArgument` for draws < 1; `.dimensionMismatch` when the model changed the
    ///   shape of the scores.
    public static func estimate<Model: LogDensityModel>(_ q: some GaussianApproximation, model: Model, draws: Int = 256,
                                                        using generator: inout Xoshiro256StarStar) throws -> Double {
        try require(draws >= 1, "Fisher divergence draws must be ≥ 1, got \(draws)")
        try requireDimension(model.dimension, q.dimension, "model")
        let points = q.sample(count: draws, using: &generator)
        var scores = Matrix(rows: q.dimension, columns: draws)
        try model.gradients(at: points, into: &scores)
        try requireDimension(scores.rows, q.dimension, "model scores (rows)")
        try requireDimension(scores.columns, draws, "model scores (columns)")
        guard scores.isFinite else { throw VariationalInferenceError.nonFinite(what: "model scores at draws from q") }
        return q.relativeFisherDivergence(points: points, scores: scores)
    }
}

extension GaussianApproximation {
    /// F̂ from a scored batch: the points X (D×B) drawn from q and their model scores G (D×B).
    /// Cost one `precisionProduct` of a D×B block plus O(DB); allocates two D×B blocks (BaM, pBaM and
    /// ADVI-LR use the in-place low-rank kernel instead).
    func relativeFisherDivergence(points: Matrix, scores: Matrix) -> Double {
        var centred = points
        TallSkinny.centerColumns(&centred, around: mean)
        let pull = precisionProduct(centred)
        return fisherRatio(scores: scores, precisionTimesCentred: pull, columns: 0..<points.columns)
    }
}

extension LowRankGaussian {
    /// F̂ for the batch whose points fill `columns` of `work` (D×m) and whose scores are G (D×B),
    /// overwriting those columns: Σ⁻¹(x − μ) = Ψ⁻¹(r − ΛC⁻¹ΛᵀΨ⁻¹r) by Woodbury with the stored
    /// capacitance factor. Cost 4DKB + O(DB + K²B) flops; allocates only K×B.
    func relativeFisherDivergence(overwriting work: inout Matrix, columns: Range<Int>, scores: Matrix) -> Double {
        let b = columns.count
        Self.mapRows(&work, columns) { x, i in (x - mean[i]) / psi[i] }
        var projected = Matrix(rows: rank, columns: b)
        BLAS.gemm(lambda, work, transA: .transpose, into: &projected, bColumns: columns)
        BLAS.trsm(capacitance.lower, triangle: .lower, side: .left, into: &projected)
        BLAS.trsm(capacitance.lower, triangle: .lower, transA: .transpose, side: .left, into: &projected)
        Self.mapRows(&work, columns) { x, i in x * psi[i] }
        BLAS.gemm(lambda, projected, alpha: -1, beta: 1, into: &work, cColumns: columns)
        Self.mapRows(&work, columns) { x, i in x / psi[i] }
        return fisherRatio(scores: scores, precisionTimesCentred: work, columns: columns)
    }

    /// w_ij ← f(w_ij, i) over the columns `columns` of `work`, one pass.
    private static func mapRows(_ work: inout Matrix, _ columns: Range<Int>, _ f: (Double, Int) -> Double) {
        let d = work.rows
        work.withElements { w in
            w.withUnsafeMutableBufferPointer { pw in
                for j in columns { for i in 0..<d { pw[i + j * d] = f(pw[i + j * d], i) } }
            }
        }
    }
}

/// Σ_b ‖g_b + p_b‖² / Σ_b ‖g_b‖² for the scores G (D×B) and the columns `columns` of P = Σ⁻¹(X − μ);
/// 0 when both sums are 0 (a flat target matched by a flat q cannot be told apart), ∞ when only the
/// denominator is.
func fisherRatio(scores: Matrix, precisionTimesCentred pull: Matrix, columns: Range<Int>) -> Double {
    let d = scores.rows
    var mismatch = 0.0, size = 0.0
    scores.elements.withUnsafeBufferPointer { pg in
        pull.elements.withUnsafeBufferPointer { pp in
            for (b, j) in columns.enumerated() {
                for i in 0..<d {
                    let g = pg[i + b * d], difference = g + pp[i + j * d]
                    mismatch += difference * difference
                    size += g * g
                }
            }
        }
    }
    return size > 0 ? mismatch / size : (mismatch > 0 ? .infinity : 0)
}
