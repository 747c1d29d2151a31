import Foundation
import LowRankLinalg
import VariationalInference

extension PoissonLatentGaussianDensity {
    /// The Laplace approximation N(ẑ, Σ) of the posterior: ẑ the mode, found by Newton's method with
    /// backtracking from z = 0, and Σ = (K⁻¹ + W)⁻¹ with W = diag(e^{ẑ + m}) the likelihood's
    /// curvature there. Σ is formed as C·Cᵀ with C = L·M⁻ᵀ, where K = LLᵀ and I + LᵀWL = MMᵀ (every
    /// eigenvalue ≥ 1), so it is positive definite by construction even when K is as stiff as the
    /// LGCP's (jitter 1e-6); a Newton step is δ = Σ∇log p. Cost O(D³) per Newton iteration (about
    /// ten), memory 3D². Deterministic.
    /// - Throws: `VariationalInferenceError.invalidArgument` when Newton's method reaches neither a
    ///   relative gradient norm of 1e-10 nor, once no step improves log p, a Newton decrement below
    ///   1e-8 nats, in 100 iterations; `LinearAlgebraError` from a Cholesky.
    func laplaceApproximation() throws -> DenseGaussian {
        let (mode, c) = try parameterization == .centred ? laplaceFactor() : reparameterized(.centred).laplaceFactor()
        if parameterization == .centred {
            var covariance = BLAS.syrk(c)
            covariance.fillSymmetric(from: .lower)
            return try DenseGaussian(mean: mode, covariance: covariance)
        }
        // u = L⁻¹z: mean L⁻¹ẑ, covariance (L⁻¹C)(L⁻¹C)ᵀ = M⁻ᵀM⁻¹.
        var whitenedFactor = c
        BLAS.trsm(prior.lower, triangle: .lower, side: .left, into: &whitenedFactor)
        var covariance = BLAS.syrk(whitenedFactor)
        covariance.fillSymmetric(from: .lower)
        return try DenseGaussian(mean: prior.solveLower(Matrix(rows: dimension, columns: 1, elements: mode)).elements,
                                 covariance: covariance)
    }

    /// The centred mode ẑ and the factor C of Σ = CCᵀ (Newton, as `laplaceApproximation`).
    private func laplaceFactor() throws -> (mode: [Double], factor: Matrix) {
        let d = dimension, l = prior.lower
        var z = [Double](repeating: 0, count: d), gradient = z
        var value = try logDensityAndGradient(at: z, gradient: &gradient)
        let scale = 1 + Vector.norm(counts)
        var decrement = Double.infinity
        for _ in 0..<100 {
            let factor = try curvatureFactor(at: z, lower: l)
            if Vector.norm(gradient) <= 1e-10 * scale { return (z, factor) }
            let projected = BLAS.gemv(factor, gradient, trans: .transpose)
            decrement = 0.5 * BLAS.dot(projected, projected)
            let step = BLAS.gemv(factor, projected)
            var length = 1.0, accepted = false
            for _ in 0..<50 {
                let trial = (0..<d).map { z[$0] + length * step[$0] }
                var trialGradient = gradient
                if let trialValue = try? logDensityAndGradient(at: trial, gradient: &trialGradient), trialValue > value {
                    z = trial
                    gradient = trialGradient
                    value = trialValue
                    accepted = true
                    break
                }
                length *= 0.5
            }
            // No step improves log p in floating point: the mode is reached when the Newton decrement
            // ½gᵀΣg, the gain a Newton step expects, is negligible (the stiff LGCP prior stops
            // ‖∇log p‖ near 1e-9 there).
            if !accepted {
                if decrement < 1e-8 { return (z, factor) }
                break
            }
        }
        throw VariationalInferenceError.invalidArgument("Laplace approximation: Newton's method did not converge "
                                                        + "(‖∇log p‖ = \(Vector.norm(gradient)), Newton decrement \(decrement))")
    }

    /// C = L·M⁻ᵀ with I + LᵀWL = MMᵀ, W = diag(e^{z + m}): Σ = (K⁻¹ + W)⁻¹ = CCᵀ. Cost O(D³).
    private func curvatureFactor(at z: [Double], lower l: Matrix) throws -> Matrix {
        let rootW = z.map { exp(0.5 * ($0 + offset)) }
        let scaled = TallSkinny.rowScaled(l, by: rootW)
        var inner = BLAS.syrk(scaled, trans: .transpose)
        for i in 0..<dimension { inner[i, i] += 1 }
        inner.fillSymmetric(from: .lower)
        let m = try Cholesky(inner)
        var c = l
        BLAS.trsm(m.lower, triangle: .lower, transA: .transpose, side: .right, into: &c)
        return c
    }
}

extension GaussianProcessPoissonTarget {
    /// The Laplace approximation of the posterior (Newton's method on the latent field, dense): the
    /// reference line of the GP-Poisson experiment. Cost O(D³) per Newton iteration, memory 3D².
    /// - Throws: as `PoissonLatentGaussianDensity.laplaceApproximation()`.
    public func laplaceApproximation() throws -> DenseGaussian { try density.laplaceApproximation() }
}

extension CoalMiningCoxProcessTarget {
    /// The Laplace approximation of the posterior (Newton's method on the latent field, dense): the
    /// reference line of the LGCP experiment (−ELBO ≈ 464 at D = 811). Cost O(D³) per Newton
    /// iteration, memory 3D².
    /// - Throws: as `PoissonLatentGaussianDensity.laplaceApproximation()`.
    public func laplaceApproximation() throws -> DenseGaussian { try density.laplaceApproximation() }
}

extension PoissonLatentGaussianDensity {
    /// The GP prior N(0, K) as a low-rank-plus-diagonal Gaussian: Λ = V_K·diag(√θ_K) from the K
    /// largest eigenpairs (θ, V) of K, and ψᵢ = max(K_ii − Σ_k θ_k V_ik², 10⁻⁶), the diagonal K leaves
    /// over. Cost O(D³) once (a dense eigendecomposition), memory D².
    /// - Throws: `.invalidArgument` for K outside 1..<D; `LinearAlgebraError` from the eigensolver.
    func priorApproximation(rank: Int) throws -> LowRankGaussian {
        let d = dimension
        guard rank >= 1, rank < d else {
            throw VariationalInferenceError.invalidArgument("prior start rank K = \(rank) must be in 1..<D = \(d)")
        }
        if parameterization == .whitened {
            // The prior is N(0, I): ψ = 1 and a small Λ = 0.01·V_K along the top eigenvectors of LᵀL, the
            // directions in which the data will shrink the posterior.
            var gram = BLAS.syrk(prior.lower, trans: .transpose)
            gram.fillSymmetric(from: .lower)
            let eigen = try SymmetricEigen(gram)
            let lambda = Matrix(rows: d, columns: rank) { i, k in 0.01 * eigen.vectors[i, d - 1 - k] }
            return try LowRankGaussian(mean: [Double](repeating: 0, count: d), psi: [Double](repeating: 1, count: d),
                                       lambda: lambda)
        }
        var covariance = BLAS.syrk(prior.lower)
        covariance.fillSymmetric(from: .lower)
        let eigen = try SymmetricEigen(covariance)
        var lambda = Matrix(rows: d, columns: rank)
        var psi = (0..<d).map { covariance[$0, $0] }
        for k in 0..<rank {
            let index = d - 1 - k, value = Swift.max(eigen.values[index], 0), root = value.squareRoot()
            for i in 0..<d {
                lambda[i, k] = root * eigen.vectors[i, index]
                psi[i] -= value * eigen.vectors[i, index] * eigen.vectors[i, index]
            }
        }
        return try LowRankGaussian(mean: [Double](repeating: 0, count: d), psi: psi.map { Swift.max($0, 1e-6) }, lambda: lambda)
    }

    /// The GP prior's marginals N(0, diag(K)) as a diagonal Gaussian.
    func priorDiagonal() throws -> DiagonalGaussian {
        try DiagonalGaussian(mean: [Double](repeating: 0, count: dimension), variances: try priorDense().covariance.diagonal)
    }

    /// The GP prior N(0, K) (N(0, I) whitened) as a dense Gaussian. Memory 2D².
    func priorDense() throws -> DenseGaussian {
        if parameterization == .whitened {
            return try DenseGaussian(mean: [Double](repeating: 0, count: dimension), covariance: Matrix.identity(dimension))
        }
        var covariance = BLAS.syrk(prior.lower)
        covariance.fillSymmetric(from: .lower)
        return try DenseGaussian(mean: [Double](repeating: 0, count: dimension), covariance: covariance)
    }
}

extension GaussianProcessPoissonTarget {
    /// The GP prior as a dense Gaussian, N(0, K) (N(0, I) in whitened coordinates): a start for dense
    /// BaM and full-rank ADVI. Memory 2D².
    public func priorDense() throws -> DenseGaussian { try density.priorDense() }

    /// The GP prior N(0, K) as a rank-K low-rank-plus-diagonal Gaussian (top eigenpairs of K plus the
    /// diagonal they leave): a start for pBaM and ADVI-LR (`.given(_:)`) that already has the prior's
    /// scale and correlations. In whitened coordinates the prior is N(0, I), returned as
    /// I + 10⁻⁴VVᵀ along the top eigenvectors V of LᵀL. Cost O(D³) once.
    /// - Throws: `.invalidArgument` for K outside 1..<D.
    public func priorApproximation(rank: Int) throws -> LowRankGaussian { try density.priorApproximation(rank: rank) }

    /// The GP prior's marginals N(0, diag(K)) (N(0, I) whitened): a start for ADVI-D.
    public func priorDiagonal() throws -> DiagonalGaussian { try density.priorDiagonal() }
}

extension CoalMiningCoxProcessTarget {
    /// The GP prior as a dense Gaussian, N(0, K) (N(0, I) in whitened coordinates): a start for dense
    /// BaM and full-rank ADVI. Memory 2D².
    public func priorDense() throws -> DenseGaussian { try density.priorDense() }

    /// The GP prior N(0, K) as a rank-K low-rank-plus-diagonal Gaussian (top eigenpairs of K plus the
    /// diagonal they leave, floored at 1e-6): the start that lets pBaM converge on this stiff target
    /// (see the README). In whitened coordinates the prior is N(0, I), returned as I + 10⁻⁴VVᵀ along
    /// the top eigenvectors V of LᵀL. Cost O(D³) once.
    /// - Throws: `.invalidArgument` for K outside 1..<D.
    public func priorApproximation(rank: Int) throws -> LowRankGaussian { try density.priorApproximation(rank: rank) }

    /// The GP prior's marginals N(0, diag(K)) (N(0, I) whitened): a start for ADVI-D.
    public func priorDiagonal() throws -> DiagonalGaussian { try density.priorDiagonal() }
}
