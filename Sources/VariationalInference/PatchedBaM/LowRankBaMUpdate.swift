import LowRankLinalg

/// The BaM update of a low-rank-plus-diagonal Gaussian from one batch, in the implicit low-rank form
/// of algorithm.md §2.2: the new covariance S = Ψ + R·Rᵀ − P·Pᵀ and the pre-patch mean.
///
/// This value type is the convenient, allocating form; pBaM runs the same match in place in its
/// `PatchedBaMWorkspace`. Memory D(K + 2B + 5); nothing D×D is formed.
public struct LowRankBaMUpdate: Sendable {
    /// S = diag(ψ) + R·Rᵀ − P·Pᵀ, with F = [R P], R D×(K+B+1) and P D×(B+1).
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
    ///   `VariationalInferenceError.dimensionMismatch` for inconsistent shapes; `.invalidArgument` for
    ///   B < 1 or λ that is not finite and > 0.
    public init(mean: [Double], psi: [Double], lambda: Matrix, points: Matrix, scores: Matrix,
                learningRate: Double) throws {
        try requireDimension(points.rows, mean.count, "points rows")
        try requireDimension(scores.rows, mean.count, "scores rows")
        try requireDimension(scores.columns, points.columns, "scores columns")
        var workspace = PatchedBaMWorkspace(dimension: mean.count, rank: lambda.columns, batchSize: points.columns,
                                            patch: .em(.standard))
        workspace.patch.first = points
        workspace.patch.second = scores
        var newMean = [Double](repeating: 0, count: mean.count)
        matchEigenvalues = try workspace.match(mean: mean, psi: psi, lambda: lambda, learningRate: learningRate,
                                               newMean: &newMean)
        covariance = workspace.target
        self.mean = newMean
        meanPoint = workspace.meanPoint
        meanScore = workspace.meanScore
        self.learningRate = learningRate
    }

    /// log det S = Σ log ψᵢ + log det(I + RᵀΨ⁻¹R) − Σ log m_j (algorithm.md §2.2).
    /// Cost 2D(K+B+1)² + (K+B+1)³/3 flops.
    /// - Throws: `LinearAlgebraError` if the (K+B+1)×(K+B+1) Cholesky fails (round-off only).
    public func logDeterminant() throws(LinearAlgebraError) -> Double {
        var scratch = Matrix(rows: covariance.dimension, columns: covariance.addedCount)
        return try PatchedBaMWorkspace.logDeterminant(of: covariance, matchEigenvalues: matchEigenvalues, scratch: &scratch)
    }

    /// The post-patch mean of algorithm.md §4: μ/(1+λ) + (λ/(1+λ))(ψ'∘ḡ + Λ'(Λ'ᵀḡ) + x̄), with the
    /// patched (ψ', Λ') and this batch's x̄, ḡ. `previousMean` is the μ the update started from.
    /// Cost 4DK flops.
    public func postPatchMean(previousMean: [Double], psi: [Double], lambda: Matrix) -> [Double] {
        var out = [Double](repeating: 0, count: previousMean.count)
        PatchedBaMWorkspace.postPatchMean(previousMean: previousMean, psi: psi, lambda: lambda, meanPoint: meanPoint,
                                          meanScore: meanScore, learningRate: learningRate, into: &out)
        return out
    }
}

extension PatchedBaMWorkspace {
    /// The match of §2.2 in place. On entry `patch.first` holds the batch points (D×B) and
    /// `patch.second` their scores (D×B). On return `target` holds S (its diagonal part shares ψ's
    /// storage), `meanPoint` and `meanScore` hold x̄ and ḡ, `newMean` the pre-patch mean; the two
    /// patch blocks hold VQ and Q. Returns the B+1 values m_j.
    /// Cost 2D(B+1)(K+B+1) + 2D(B+1)² + O(D(K+B) + B³) flops; allocates only (K+B+1)×(B+1) and
    /// (B+1)×(B+1) matrices.
    /// - Throws: `VariationalInferenceError` for inconsistent shapes or a bad λ, `LinearAlgebraError`
    ///   from the eigensolver.
    mutating func match(mean: [Double], psi: [Double], lambda: Matrix, learningRate rate: Double,
                        newMean: inout [Double]) throws -> [Double] {
        let d = mean.count, k = lambda.columns, b = patch.first.columns
        try requireDimension(psi.count, d, "ψ")
        try requireDimension(lambda.rows, d, "Λ rows")
        try requireDimension(patch.first.rows, d, "points rows")
        try requireDimension(patch.second.rows, d, "scores rows")
        try requireDimension(patch.second.columns, b, "scores columns")
        try requireDimension(target.factors.columns, k + 2 * b + 2, "workspace factor columns")
        try requireDimension(eigen.order, b + 1, "eigen workspace order")
        try require(b >= 1, "the batch needs at least one point")
        try require(rate > 0 && rate.isFinite, "learning rate λ must be finite and > 0, got \(rate)")
        let meanWeight = (rate / (1 + rate)).squareRoot(), batchWeight = (rate / Double(b)).squareRoot()
        let r = k + b + 1

        TallSkinny.columnMean(patch.first, into: &meanPoint)
        TallSkinny.columnMean(patch.second, into: &meanScore)
        TallSkinny.copyColumns(of: lambda, 0..<k, into: &target.factors, at: 0)
        TallSkinny.copyColumns(of: patch.first, 0..<b, into: &target.factors, at: k, scale: batchWeight, subtracting: meanPoint)
        let shift = Matrix(rows: d, columns: 1, elements: mean)
        TallSkinny.copyColumns(of: shift, 0..<1, into: &target.factors, at: k + b, scale: meanWeight, subtracting: meanPoint)

        patch.second.resizeColumns(to: b + 1)
        TallSkinny.centerColumns(&patch.second, around: meanScore, scale: batchWeight, columns: 0..<b)
        TallSkinny.setColumn(&patch.second, b, to: meanScore, scale: meanWeight)
        patch.first.resizeColumns(to: b + 1)
        TallSkinny.rowScaled(patch.second, by: psi, into: &patch.first)
        var rq = Matrix(rows: r, columns: b + 1)
        BLAS.gemm(target.factors, patch.second, transA: .transpose, into: &rq, aColumns: 0..<r)
        BLAS.gemm(target.factors, rq, beta: 1, into: &patch.first, aColumns: 0..<r)
        var t = BLAS.gemm(patch.second, patch.first, transA: .transpose)
        t.symmetrize()
        let decomposition = try SymmetricEigen(t, workspace: &eigen)
        let m = decomposition.values.map { 0.5 + (0.25 + Swift.max($0, 0)).squareRoot() }
        BLAS.gemm(patch.first, decomposition.vectors, into: &target.factors, cColumns: r..<(r + b + 1))
        TallSkinny.scaleColumns(&target.factors, r..<(r + b + 1), by: m.map { 1 / $0 })
        target.diagonalPart = psi
        target.addedCount = r

        var inner = BLAS.gemv(target.factors, meanScore, trans: .transpose)
        for i in target.subtractedColumns { inner[i] = -inner[i] }
        for i in 0..<d { newMean[i] = psi[i] * meanScore[i] }
        BLAS.gemv(target.factors, inner, beta: 1, into: &newMean)
        let keep = 1 / (1 + rate), move = rate / (1 + rate)
        for i in 0..<d { newMean[i] = keep * mean[i] + move * (newMean[i] + meanPoint[i]) }
        return m
    }

    /// diag(S) into `targetDiagonal`. Cost 2D(K+2B+2) flops.
    mutating func computeTargetDiagonal() {
        for i in targetDiagonal.indices { targetDiagonal[i] = target.diagonalPart[i] }
        TallSkinny.rowdot(target.factors, target.factors, columns: target.addedColumns, scale: 1,
                          accumulatingInto: &targetDiagonal)
        TallSkinny.rowdot(target.factors, target.factors, columns: target.subtractedColumns, scale: -1,
                          accumulatingInto: &targetDiagonal)
    }

    /// log det S = Σ log ψᵢ + log det(I + RᵀΨ⁻¹R) − Σ log m_j for S = diag(ψ) + RRᵀ − PPᵀ, with
    /// RᵀΨ⁻¹R formed a block of columns at a time in `scratch` (D rows, any number of columns ≥ 1,
    /// restored on return). Cost 2D(K+B+1)² + (K+B+1)³/3 flops.
    /// - Throws: `LinearAlgebraError` if the Cholesky fails (round-off only).
    static func logDeterminant(of s: SignedLowRankPlusDiagonal, matchEigenvalues: [Double],
                               scratch: inout Matrix) throws(LinearAlgebraError) -> Double {
        let r = s.addedCount, width = scratch.columns, psi = s.diagonalPart
        var gram = Matrix.identity(r)
        var start = 0
        while start < r {
            let block = start..<Swift.min(start + width, r)
            scratch.resizeColumns(to: block.count)
            TallSkinny.copyColumns(of: s.factors, block, into: &scratch, at: 0)
            TallSkinny.divideRows(&scratch, by: psi)
            BLAS.gemm(s.factors, scratch, transA: .transpose, beta: 1, into: &gram, aColumns: 0..<r, cColumns: block)
            start = block.upperBound
        }
        scratch.resizeColumns(to: width)
        let capacitance = try Cholesky(gram)
        return psi.reduce(0) { $0 + _log($1) } + capacitance.logDeterminant - matchEigenvalues.reduce(0) { $0 + _log($1) }
    }

    /// The post-patch mean of algorithm.md §4 into `out` (length D). Cost 4DK flops.
    static func postPatchMean(previousMean: [Double], psi: [Double], lambda: Matrix, meanPoint: [Double],
                              meanScore: [Double], learningRate: Double, into out: inout [Double]) {
        let projected = BLAS.gemv(lambda, meanScore, trans: .transpose)
        BLAS.gemv(lambda, projected, into: &out)
        let keep = 1 / (1 + learningRate), move = learningRate / (1 + learningRate)
        for i in 0..<previousMean.count {
            out[i] = keep * previousMean[i] + move * (psi[i] * meanScore[i] + out[i] + meanPoint[i])
        }
    }
}
