import LowRankLinalg

/// The BaM update of a low-rank-plus-diagonal Gaussian from one batch, in low-rank form (algorithm.md
/// §2.2): the new covariance S and the pre-patch mean, with S positive definite by construction.
///
/// S is held as S = Ψ^{1/2}(I + Ô·diag(ν − 1)·Ôᵀ)Ψ^{1/2}, with Ψ the current diagonal, Ô a D×n
/// orthonormal basis (n = min(K + 2B, D)) and ν > 0 the eigenvalues of Ψ^{-1/2}SΨ^{-1/2} in that
/// basis, so that S's scaled spectrum is {νⱼ} ∪ {1} and log det S = Σ log ψᵢ + Σ log νⱼ exactly. It
/// is computed without subtracting large terms: V = Ψ + RRᵀ = CCᵀ with C = Ψ^{1/2}·(symmetric square
/// root of I + Ψ^{-1/2}RRᵀΨ^{-1/2}), Y = CᵀQ = U·diag(σ)·Eᵀ, μⱼ = ½ + (¼ + σⱼ²)^{1/2}, and
/// S = C[(I − UUᵀ) + U·diag(1/μ)·Uᵀ]Cᵀ (algorithm.md §2.2, "The match in factored form"); every
/// factor is a thin QR or a small SVD. The `SignedLowRankPlusDiagonal` form keeps the columns
/// √|νⱼ − 1|·Ψ^{1/2}ôⱼ, added for νⱼ ≥ 1 and subtracted for νⱼ < 1; what is subtracted is at most Ψ's
/// own size, however large λ is.
///
/// This value type is the convenient, allocating form; pBaM runs the same match in place in its
/// `PatchedBaMWorkspace`. Memory D(K + 2B + 4); nothing D×D is formed.
public struct LowRankBaMUpdate: Sendable {
    /// S = diag(ψ) + F₊F₊ᵀ − F₋F₋ᵀ with F = √|ν − 1|-scaled columns of Ψ^{1/2}Ô (D×n).
    public var covariance: SignedLowRankPlusDiagonal
    /// diag(S) (length D), each entry ≥ ψᵢ·min ν > 0.
    public var diagonal: [Double]
    /// The pre-patch mean μ/(1+λ) + (λ/(1+λ))(S·ḡ + x̄) (length D).
    public var mean: [Double]
    /// μⱼ = ½ + √(¼ + σⱼ²) ≥ 1 for the singular values σⱼ of Y = CᵀQ (min(n, B) values).
    public var matchEigenvalues: [Double]
    /// The eigenvalues νⱼ > 0 of Ψ^{-1/2}SΨ^{-1/2} on the basis Ô, descending (n values).
    public var scaledEigenvalues: [Double]
    /// log det S = Σ log ψᵢ + Σ log νⱼ.
    public var logDeterminant: Double
    /// The batch mean x̄ (length D).
    public var meanPoint: [Double]
    /// The batch mean score ḡ (length D).
    public var meanScore: [Double]
    /// The learning rate λ of this update.
    public var learningRate: Double

    /// Computes the update from the current q = N(μ, diag(ψ) + ΛΛᵀ), a batch of points (D×B) and their
    /// scores (D×B), with learning rate λ > 0. Cost about 6D(K+2B)² + 2DB(K+2B) flops (a Cholesky QR,
    /// a rotation and the batch products) plus O((K+2B)³).
    /// - Throws: `LinearAlgebraError` if a small SVD fails or S is not numerically positive definite
    ///   (a scaled eigenvalue underflowed to 0); `VariationalInferenceError.dimensionMismatch` for
    ///   inconsistent shapes; `.invalidArgument` for B < 1 or λ that is not finite and > 0.
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
        let spectrum = try workspace.match(mean: mean, psi: psi, lambda: lambda, learningRate: learningRate,
                                           newMean: &newMean)
        covariance = workspace.target
        diagonal = workspace.targetDiagonal
        self.mean = newMean
        matchEigenvalues = spectrum.match
        scaledEigenvalues = spectrum.scaled
        logDeterminant = workspace.targetLogDeterminant
        meanPoint = workspace.meanPoint
        meanScore = workspace.meanScore
        self.learningRate = learningRate
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
    /// The match of §2.2 in place, in the factored form of `LowRankBaMUpdate`. On entry `patch.first`
    /// holds the batch points (D×B) and `patch.second` their scores (D×B). On return `target` holds S
    /// (its diagonal part shares ψ's storage), `targetDiagonal` diag(S), `targetLogDeterminant`
    /// log det S, `meanPoint` and `meanScore` x̄ and ḡ, `newMean` the pre-patch mean. The centred batch
    /// enters through the B − 1 orthonormal contrasts of `contrasts` (Σ(xᵦ − x̄)(xᵦ − x̄)ᵀ = XHHᵀXᵀ), so
    /// that W = [Ψ^{-1/2}R, Ψ^{1/2}Q] has K + 2B columns and no exact dependence. Returns μ and ν.
    /// Cost about 6D(K+2B)² + 2DB(K+2B) + O(D(K+B) + (K+2B)³) flops; allocates only matrices of
    /// order K + 2B (D×D ones when K + 2B ≥ D).
    /// - Throws: `VariationalInferenceError` for inconsistent shapes or a bad λ, `LinearAlgebraError`
    ///   from a small SVD or when a scaled eigenvalue is not > 0.
    mutating func match(mean: [Double], psi: [Double], lambda: Matrix, learningRate rate: Double,
                        newMean: inout [Double]) throws -> (match: [Double], scaled: [Double]) {
        let d = mean.count, k = lambda.columns, b = patch.first.columns
        try requireDimension(psi.count, d, "ψ")
        try requireDimension(lambda.rows, d, "Λ rows")
        try requireDimension(patch.first.rows, d, "points rows")
        try requireDimension(patch.second.rows, d, "scores rows")
        try requireDimension(patch.second.columns, b, "scores columns")
        try requireDimension(target.factors.rows, d, "workspace factor rows")
        try requireDimension(contrasts.rows, b, "workspace batch size")
        try require(b >= 1, "the batch needs at least one point")
        try require(rate > 0 && rate.isFinite, "learning rate λ must be finite and > 0, got \(rate)")
        let r = k + b, width = k + 2 * b, n = Swift.min(width, d)

        TallSkinny.columnMean(patch.first, into: &meanPoint)
        TallSkinny.columnMean(patch.second, into: &meanScore)
        for i in 0..<d { rootPsi[i] = psi[i].squareRoot() }
        fillScaledFactors(mean: mean, lambda: lambda, rate: rate)

        var triangle: Matrix
        if width <= d {
            triangle = Matrix(rows: width, columns: width)
            CholeskyQR.factor(&target.factors, r: &triangle, workspace: &qr)
        } else {
            triangle = target.factors
        }
        let spectrum = try Self.scaledSpectrum(triangle: triangle, rColumns: r)
        if width <= d {
            TallSkinny.multiplyRight(&target.factors, columns: 0..<n, by: spectrum.basis, scratch: &rowBlock)
        } else {
            TallSkinny.copyColumns(of: spectrum.basis, 0..<n, into: &target.factors, at: 0)
            target.factors.resizeColumns(to: n)
        }
        let nu = spectrum.scaled
        guard let smallest = nu.last, smallest > 0, smallest.isFinite, nu.allSatisfy(\.isFinite) else {
            throw LinearAlgebraError.nonPositiveEigenvalue(index: nu.count - 1, value: nu.last ?? 0)
        }
        finishTarget(psi: psi, scaledEigenvalues: nu)
        targetLogDeterminant = psi.reduce(0) { $0 + _log($1) } + nu.reduce(0) { $0 + _log($1) }

        var inner = BLAS.gemv(target.factors, meanScore, trans: .transpose)
        for i in target.subtractedColumns { inner[i] = -inner[i] }
        for i in 0..<d { newMean[i] = psi[i] * meanScore[i] }
        BLAS.gemv(target.factors, inner, beta: 1, into: &newMean)
        let keep = 1 / (1 + rate), move = rate / (1 + rate)
        for i in 0..<d { newMean[i] = keep * mean[i] + move * (newMean[i] + meanPoint[i]) }
        return (spectrum.match, nu)
    }

    /// W = [Ψ^{-1/2}R, Ψ^{1/2}Q] into `target.factors` (D×(K+2B)): R = [Λ, √(λ/B)·XH,
    /// √(λ/(1+λ))(μ − x̄)] and Q = [√(λ/B)·GH, √(λ/(1+λ))·ḡ], H the B×(B−1) contrasts. Needs x̄, ḡ
    /// and √ψ. Cost 4DB(B−1) + O(D(K+2B)) flops.
    private mutating func fillScaledFactors(mean: [Double], lambda: Matrix, rate: Double) {
        let d = mean.count, k = lambda.columns, b = patch.first.columns, r = k + b, width = k + 2 * b
        let meanWeight = (rate / (1 + rate)).squareRoot(), batchWeight = (rate / Double(b)).squareRoot()
        target.factors.resizeColumns(to: width)
        TallSkinny.copyColumns(of: lambda, 0..<k, into: &target.factors, at: 0)
        if b > 1 {
            BLAS.gemm(patch.first, contrasts, alpha: batchWeight, into: &target.factors, cColumns: k..<(r - 1))
            BLAS.gemm(patch.second, contrasts, alpha: batchWeight, into: &target.factors, cColumns: r..<(width - 1))
        }
        let shift = r - 1, scoreColumn = width - 1
        rootPsi.withUnsafeBufferPointer { root in
            target.factors.withElements { e in
                for i in 0..<d {
                    e[shift * d + i] = meanWeight * (mean[i] - meanPoint[i])
                    e[scoreColumn * d + i] = meanWeight * meanScore[i]
                }
                for j in 0..<r { for i in 0..<d { e[j * d + i] /= root[i] } }
                for j in r..<width { for i in 0..<d { e[j * d + i] *= root[i] } }
            }
        }
    }

    /// The small part of the factored match, from W = O·T (T n×(K+2B), its first `rColumns` columns
    /// T₁ = OᵀΨ^{-1/2}R, the rest T₂ = OᵀΨ^{1/2}Q): c = (I + T₁T₁ᵀ)^{1/2} from the SVD of T₁,
    /// y = c·T₂ = U_y·diag(σ)·Eᵀ, M^{1/2} = I − U_y·diag(1 − μ^{-1/2})·U_yᵀ and the SVD of c·M^{1/2},
    /// whose left vectors are the rotation of O onto Ô and whose squared singular values are ν.
    /// Cost O(n³).
    /// - Throws: `LinearAlgebraError` from an SVD.
    private static func scaledSpectrum(triangle t: Matrix, rColumns r: Int) throws(LinearAlgebraError)
        -> (basis: Matrix, scaled: [Double], match: [Double]) {
        let n = t.rows
        let root = try LinearAlgebraError.naming("the match's batch block T₁ (the R factor of the points)") {
            () throws(LinearAlgebraError) in try SingularValueDecomposition(t.columns(0..<r))
        }
        var c = Matrix.identity(n)
        let h = root.left
        let growth = root.values.map { $0 * $0 / (1 + (1 + $0 * $0).squareRoot()) }
        BLAS.gemm(TallSkinny.columnScaled(h, by: growth), h, transB: .transpose, beta: 1, into: &c)
        let y = BLAS.gemm(c, t.columns(r..<t.columns))
        let coupling = try LinearAlgebraError.naming("the match's coupling c·T₂ (the scores' block)") {
            () throws(LinearAlgebraError) in try SingularValueDecomposition(y)
        }
        let mu = coupling.values.map { 0.5 + (0.25 + $0 * $0).squareRoot() }
        var half = Matrix.identity(n)
        let u = coupling.left
        BLAS.gemm(TallSkinny.columnScaled(u, by: mu.map { 1 / $0.squareRoot() - 1 }), u, transB: .transpose, beta: 1,
                  into: &half)
        let scaled = try LinearAlgebraError.naming("the match's scaled spectrum c·M^{1/2}") {
            () throws(LinearAlgebraError) in try SingularValueDecomposition(BLAS.gemm(c, half))
        }
        return (scaled.left, scaled.values.map { $0 * $0 }, mu)
    }

    /// Turns the rotated basis Ô in `target.factors` into the signed factors √|νⱼ − 1|·Ψ^{1/2}ôⱼ
    /// (added for νⱼ ≥ 1, which come first), and writes diag(S)ᵢ = ψᵢ·max(1 + Σⱼ(νⱼ − 1)ôᵢⱼ², min ν)
    /// into `targetDiagonal` — the scaled diagonal lies in [min ν, max ν], so the clamp only removes
    /// round-off. One pass over D×n, 4Dn flops.
    private mutating func finishTarget(psi: [Double], scaledEigenvalues nu: [Double]) {
        let d = psi.count, n = nu.count, smallest = nu[n - 1]
        for i in 0..<d { targetDiagonal[i] = 0 }
        rootPsi.withUnsafeBufferPointer { root in
            targetDiagonal.withUnsafeMutableBufferPointer { diagonal in
                target.factors.withElements { e in
                    for j in 0..<n {
                        let excess = nu[j] - 1, scale = Swift.abs(excess).squareRoot()
                        for i in 0..<d {
                            let o = e[j * d + i]
                            diagonal[i] += excess * o * o
                            e[j * d + i] = o * scale * root[i]
                        }
                    }
                    for i in 0..<d { diagonal[i] = psi[i] * Swift.max(1 + diagonal[i], smallest) }
                }
            }
        }
        target.diagonalPart = psi
        target.addedCount = nu.firstIndex(where: { $0 < 1 }) ?? n
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
