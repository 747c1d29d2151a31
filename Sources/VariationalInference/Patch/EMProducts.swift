import LowRankLinalg

/// The products of one EM iterate (ψ, Λ) against the target S = diag(d) + F·diag(s)·Fᵀ (s = ±1), from
/// which both the objective F(ψ, Λ) of algorithm.md §3.6 and the Lawrence EM step of §3.2 follow with
/// K×K work only:
///
/// V = Ψ⁻¹Λ, A = I + ΛᵀV = L·Lᵀ, G = FᵀV ((p+q)×K), VᵀSV = Vᵀdiag(d)V + Gᵀ·diag(s)·G (K×K), so that
/// tr(SΣ⁻¹) = Σ dSᵢ/ψᵢ − tr(A⁻¹·VᵀSV) and log det Σ = Σ log ψᵢ + log det A.
/// Cost 2DK(p+q) + 3DK² + O(DK + K³) flops; uses the workspace's first block.
struct EMProducts {
    /// The Cholesky factor L of the capacitance matrix A = I + ΛᵀΨ⁻¹Λ.
    let capacitance: Cholesky
    /// G = FᵀV, without the signs ((p+q)×K).
    let projection: Matrix
    /// VᵀSV (K×K, symmetric).
    let inner: Matrix
    /// F(ψ, Λ) = tr(SΣ⁻¹) + log det Σ.
    let objective: Double

    /// The products at (ψ, Λ); leaves √d∘V in `workspace.first`.
    /// - Throws: `LinearAlgebraError.nonPositiveDiagonal` when ψ is not positive, or a K×K Cholesky
    ///   failure.
    init(target: SignedLowRankPlusDiagonal, targetDiagonal: [Double], psi: [Double], lambda: Matrix,
         workspace: inout PatchWorkspace) throws {
        if let i = psi.firstIndex(where: { !($0 > 0) }) { throw LinearAlgebraError.nonPositiveDiagonal(index: i, value: psi[i]) }
        let k = lambda.columns
        TallSkinny.rowDivided(lambda, by: psi, into: &workspace.first)
        var a = Matrix.identity(k)
        BLAS.gemm(lambda, workspace.first, transA: .transpose, beta: 1, into: &a)
        capacitance = try LinearAlgebraError.naming("the EM patch's capacitance I + ΛᵀΨ⁻¹Λ") {
            () throws(LinearAlgebraError) in try Cholesky(a)
        }
        projection = BLAS.gemm(target.factors, workspace.first, transA: .transpose)
        TallSkinny.scaleRows(&workspace.first, by: workspace.rootDiagonalPart)
        var inner = Matrix(rows: k, columns: k)
        BLAS.syrk(workspace.first, trans: .transpose, into: &inner)
        inner.fillSymmetric(from: .lower)
        var signed = projection
        target.applySigns(&signed)
        BLAS.gemm(projection, signed, transA: .transpose, beta: 1, into: &inner)
        inner.symmetrize()
        self.inner = inner
        var trace = 0.0, logDeterminant = capacitance.logDeterminant
        for i in psi.indices {
            trace += targetDiagonal[i] / psi[i]
            logDeterminant += _log(psi[i])
        }
        objective = trace - capacitance.solve(inner).trace + logDeterminant
    }

    /// The EM step (§3.2) from this iterate up to Y: ψ̂ into `workspace.nextPsi` and Y = H·L_N⁻ᵀ into
    /// `workspace.second`, where C = A⁻¹, N = C + C·(VᵀSV)·C = L_N·L_Nᵀ (K×K, no pass over D),
    /// Y = (d∘V)·X + F·(s∘(G·X)) for X = C·L_N⁻ᵀ and ψ̂ = max(diag(S) − rowdot(Y, Y), jitter)
    /// (since diag(H N⁻¹ Hᵀ) = rowdot(Y, Y)). Then Λ̂ = H·N⁻¹ = Y·L_N⁻¹: `explicitLambda` writes it
    /// into `workspace.second`, `relaxLambda` applies it to Λ directly.
    /// Cost 2DK(p+q) + 2DK² + O(DK + K³) flops.
    /// - Returns: L_N.
    /// - Throws: `LinearAlgebraError` when N is not numerically positive definite.
    func step(target: SignedLowRankPlusDiagonal, targetDiagonal: [Double], jitter: Double,
              workspace: inout PatchWorkspace) throws -> Cholesky {
        let c = capacitance.inverse
        var n = c
        BLAS.gemm(c, BLAS.gemm(inner, c), beta: 1, into: &n)
        n.symmetrize()
        let factor = try LinearAlgebraError.naming("the EM patch's posterior second moment of the factors") {
            () throws(LinearAlgebraError) in try Cholesky(n)
        }
        var x = c
        BLAS.trsm(factor.lower, triangle: .lower, transA: .transpose, side: .right, into: &x)
        var right = BLAS.gemm(projection, x)
        target.applySigns(&right)
        TallSkinny.scaleRows(&workspace.first, by: workspace.rootDiagonalPart)
        BLAS.gemm(workspace.first, x, into: &workspace.second)
        BLAS.gemm(target.factors, right, beta: 1, into: &workspace.second)
        for i in targetDiagonal.indices { workspace.nextPsi[i] = targetDiagonal[i] }
        TallSkinny.rowdot(workspace.second, workspace.second, scale: -1, accumulatingInto: &workspace.nextPsi)
        for i in workspace.nextPsi.indices { workspace.nextPsi[i] = Swift.max(workspace.nextPsi[i], jitter) }
        return factor
    }

    /// Λ̂ = Y·L_N⁻¹ in place in `workspace.second` (one `dtrsm`, DK² flops).
    static func explicitLambda(_ factor: Cholesky, workspace: inout PatchWorkspace) {
        BLAS.trsm(factor.lower, triangle: .lower, side: .right, into: &workspace.second)
    }

    /// Λ ← (1−η)Λ + η·Y·L_N⁻¹ in one `dgemm` (2DK² flops), without forming Λ̂: the relaxation of
    /// §3.4 fused with the M-step.
    static func relaxLambda(_ lambda: inout Matrix, _ factor: Cholesky, eta: Double, workspace: PatchWorkspace) {
        var inverse = Matrix.identity(factor.order)
        BLAS.trsm(factor.lower, triangle: .lower, side: .left, into: &inverse)
        BLAS.gemm(workspace.second, inverse, alpha: eta, beta: 1 - eta, into: &lambda)
    }
}
