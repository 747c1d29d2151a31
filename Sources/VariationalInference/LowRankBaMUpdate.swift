import LowRankLinalg

/// The BaM update of a low-rank-plus-diagonal Gaussian from one batch, in the implicit low-rank form
/// of algorithm.md §2.2: the new covariance S = Ψ + R·Rᵀ − P·Pᵀ and the pre-patch mean.
///
/// Memory D(K + 2B + 5); nothing D×D is formed.
public struct LowRankBaMUpdate: Sendable {
    /// S = diag(ψ) + R·Rᵀ − P·Pᵀ, with R D×(K+B+1) and P D×(B+1).
    public var covariance: SignedLowRankPlusDiagonal
    /// The pre-patch mean μ/(1+λ) + (λ/(1+λ))(S·ḡ + x̄) (length D).
    public var mean: [Double]
    /// m_j = ½ + √(¼ + ω_j) for the eigenvalues ω_j ≥ 0 of T = QᵀVQ (B+1 values, all ≥ 1).
    public var matchEigenvalues: [Double]
    /// The batch mean x̄ (length D).
    public var meanPoint: [Double]
    /// The batch mean score ḡ (length D).
    public var meanScore: [Double]
    /// The learning rate λ of this update.
    public var learningRate: Double

    /// Computes the update from the current q = N(μ, diag(ψ) + ΛΛᵀ), a batch of points (D×B) and their
    /// scores (D×B), with learning rate λ > 0. Symmetric form (§2.2): T is symmetrized and
    /// eigendecomposed, its eigenvalues clamped at 0, and P = (VQ)·W·diag(1/m).
    /// Cost 2D(B+1)(K+B+1) + 2D(B+1)² + O(B³) flops.
    /// - Throws: `LinearAlgebraError` if the (B+1)×(B+1) eigensolver fails;
    ///   `VariationalInferenceError.dimensionMismatch` for inconsistent shapes or a workspace whose
    ///   order is not B+1; `.invalidArgument` for λ that is not finite and > 0.
    public init(mean: [Double], psi: [Double], lambda: Matrix, points: Matrix, scores: Matrix,
                learningRate: Double, workspace: inout SymmetricEigenWorkspace) throws {
        let d = mean.count, b = points.columns
        try requireDimension(psi.count, d, "ψ")
        try requireDimension(lambda.rows, d, "Λ rows")
        try requireDimension(points.rows, d, "points rows")
        try requireDimension(scores.rows, d, "scores rows")
        try requireDimension(scores.columns, b, "scores columns")
        try requireDimension(workspace.order, b + 1, "eigen workspace order")
        try require(b >= 1, "the batch needs at least one point")
        try require(learningRate > 0 && learningRate.isFinite, "learning rate λ must be finite and > 0, got \(learningRate)")
        let rate = learningRate
        let xbar = TallSkinny.columnMean(points)
        let gbar = TallSkinny.columnMean(scores)
        let meanWeight = (rate / (1 + rate)).squareRoot()
        let batchWeight = (rate / Double(b)).squareRoot()

        var centredScores = scores
        TallSkinny.centerColumns(&centredScores, around: gbar, scale: batchWeight)
        let q = Matrix(concatenatingColumnsOf: [
            centredScores, Matrix(rows: d, columns: 1, elements: gbar.map { meanWeight * $0 }),
        ])
        var centredPoints = points
        TallSkinny.centerColumns(&centredPoints, around: xbar, scale: batchWeight)
        let r = Matrix(concatenatingColumnsOf: [
            lambda, centredPoints,
            Matrix(rows: d, columns: 1, elements: (0..<d).map { meanWeight * (mean[$0] - xbar[$0]) }),
        ])

        var vq = TallSkinny.rowScaled(q, by: psi)
        BLAS.gemm(r, BLAS.gemm(r, q, transA: .transpose), beta: 1, into: &vq)
        var t = BLAS.gemm(q, vq, transA: .transpose)
        t.symmetrize()
        let eigen = try SymmetricEigen(t, workspace: &workspace)
        let m = eigen.values.map { 0.5 + (0.25 + Swift.max($0, 0)).squareRoot() }
        var p = BLAS.gemm(vq, eigen.vectors)
        TallSkinny.scaleColumns(&p, by: m.map { 1 / $0 })

        let s = SignedLowRankPlusDiagonal(diagonal: psi, added: r, subtracted: p)
        let sg = s.multiply(gbar)
        let keep = 1 / (1 + rate), move = rate / (1 + rate)
        covariance = s
        self.mean = (0..<d).map { keep * mean[$0] + move * (sg[$0] + xbar[$0]) }
        matchEigenvalues = m
        meanPoint = xbar
        meanScore = gbar
        self.learningRate = rate
    }

    /// log det S = Σ log ψᵢ + log det(I + RᵀΨ⁻¹R) − Σ log m_j (algorithm.md §2.2).
    /// Cost D(K+B+1)² + (K+B+1)³/3 flops.
    /// - Throws: `LinearAlgebraError` if the (K+B+1)×(K+B+1) Cholesky fails (round-off only).
    public func logDeterminant() throws(LinearAlgebraError) -> Double {
        let r = covariance.added, psi = covariance.diagonalPart
        var gram = Matrix.identity(r.columns)
        BLAS.gemm(TallSkinny.rowScaled(r, by: psi.map { 1 / $0 }), r, transA: .transpose, beta: 1, into: &gram)
        let capacitance = try Cholesky(gram)
        return psi.reduce(0) { $0 + _log($1) } + capacitance.logDeterminant - matchEigenvalues.reduce(0) { $0 + _log($1) }
    }

    /// The post-patch mean of algorithm.md §4: μ/(1+λ) + (λ/(1+λ))(ψ'∘ḡ + Λ'(Λ'ᵀḡ) + x̄), with the
    /// patched (ψ', Λ') and this batch's x̄, ḡ. `previousMean` is the μ the update started from.
    /// Cost 4DK flops.
    public func postPatchMean(previousMean: [Double], psi: [Double], lambda: Matrix) -> [Double] {
        let projected = BLAS.gemv(lambda, meanScore, trans: .transpose)
        let lowRank = BLAS.gemv(lambda, projected)
        let keep = 1 / (1 + learningRate), move = learningRate / (1 + learningRate)
        return (0..<previousMean.count).map {
            keep * previousMean[$0] + move * (psi[$0] * meanScore[$0] + lowRank[$0] + meanPoint[$0])
        }
    }
}
