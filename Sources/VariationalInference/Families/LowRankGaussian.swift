import LowRankLinalg

/// The low-rank-plus-diagonal Gaussian q = N(μ, Σ), Σ = diag(ψ) + ΛΛᵀ, with Λ D×K (algorithm.md §1):
/// the family of pBaM and ADVI-LR.
///
/// It keeps μ, ψ, Λ and the Cholesky factor L of the K×K capacitance matrix I + ΛᵀΨ⁻¹Λ, factored
/// once at construction. Memory D(K + 2) doubles plus K²; every operation is O(DK²) or less, nothing
/// D×D. Operations that need the Woodbury factor W = Ψ⁻¹ΛL⁻ᵀ (`covariance`, `precisionProduct`)
/// build it when called.
public struct LowRankGaussian: GaussianApproximation {
    /// The mean μ (length D).
    public let mean: [Double]
    /// ψ, the diagonal part of Σ (length D, all > 0).
    public let psi: [Double]
    /// Λ, the D×K factor.
    public let lambda: Matrix
    /// The Cholesky factor of the capacitance matrix I + ΛᵀΨ⁻¹Λ (K×K).
    public let capacitance: Cholesky

    /// q = N(mean, diag(psi) + lambda·lambdaᵀ). Cost 2DK² + K³/3 flops, one D×K scratch block.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when the lengths disagree,
    ///   `.nonFinite` for a non-finite mean, and the `LinearAlgebraError` of `LowRankPlusDiagonal`
    ///   for ψ that is not finite and positive or a non-finite Λ.
    public init(mean: [Double], psi: [Double], lambda: Matrix) throws {
        try Self.validate(mean: mean, psi: psi, lambda: lambda)
        var scratch = Matrix(rows: lambda.rows, columns: lambda.columns)
        let factor = try LinearAlgebraError.naming("the capacitance I + ΛᵀΨ⁻¹Λ of q") { () throws(LinearAlgebraError) in
            try LowRankPlusDiagonal.factorCapacitance(psi: psi, lambda: lambda, scratch: &scratch)
        }
        self.init(validatedMean: mean, psi: psi, lambda: lambda, capacitance: factor)
    }

    /// q from parts already checked by `validate` and the capacitance factor computed by the caller (pBaM's
    /// patch has it from its last EM step): no allocation.
    init(validatedMean mean: [Double], psi: [Double], lambda: Matrix, capacitance: Cholesky) {
        self.mean = mean
        self.psi = psi
        self.lambda = lambda
        self.capacitance = capacitance
    }

    /// Checks the shapes, a finite mean, ψ finite and positive, Λ finite. Cost O(DK), no allocation.
    static func validate(mean: [Double], psi: [Double], lambda: Matrix) throws {
        try require(!mean.isEmpty, "a LowRankGaussian needs dimension D ≥ 1")
        try requireDimension(psi.count, mean.count, "ψ")
        try requireDimension(lambda.rows, mean.count, "Λ rows")
        guard Vector.isFinite(mean) else { throw VariationalInferenceError.nonFinite(what: "mean") }
        try LowRankPlusDiagonal.validate(psi: psi, lambda: lambda)
    }

    /// The dimension D.
    public var dimension: Int { mean.count }
    /// The rank K of Λ.
    public var rank: Int { lambda.columns }
    /// The covariance Σ = diag(ψ) + ΛΛᵀ with its Woodbury factor, built on each call.
    /// Cost 2DK² flops and one D×K block.
    public var covariance: LowRankPlusDiagonal { LowRankPlusDiagonal(psi: psi, lambda: lambda, capacitance: capacitance) }
    /// diag(Σ) = ψ + rowdot(Λ, Λ). Cost 2DK flops.
    public var marginalVariances: [Double] {
        var out = psi
        TallSkinny.rowdot(lambda, lambda, scale: 1, accumulatingInto: &out)
        return out
    }
    /// log det Σ = Σ log ψᵢ + log det(I + ΛᵀΨ⁻¹Λ) by the determinant lemma. Cost O(D + K).
    public var logDeterminant: Double { psi.reduce(0) { $0 + _log($1) } + capacitance.logDeterminant }

    /// log q(x) = −½[(x−μ)ᵀΣ⁻¹(x−μ) + log det Σ + D log 2π], with
    /// rᵀΣ⁻¹r = Σ rᵢ²/ψᵢ − ‖L⁻¹Λᵀ(Ψ⁻¹r)‖² (Woodbury). Cost 2DK + O(D + K²).
    public func logDensity(at x: [Double]) throws -> Double {
        try requireDimension(x.count, dimension, "point")
        var scaled = Vector.subtract(x, mean)
        var quadratic = 0.0
        for i in scaled.indices {
            quadratic += scaled[i] * scaled[i] / psi[i]
            scaled[i] /= psi[i]
        }
        var projected = Matrix(rows: rank, columns: 1, elements: BLAS.gemv(lambda, scaled, trans: .transpose))
        BLAS.trsm(capacitance.lower, triangle: .lower, side: .left, into: &projected)
        quadratic -= BLAS.dot(projected.elements, projected.elements)
        return logDensity(quadratic: quadratic)
    }

    /// `count` draws as the columns of a D×count matrix, as `sample(into:latent:using:)`.
    /// Cost O(D·K·count), one GEMM.
    public func sample(count: Int, using generator: inout Xoshiro256StarStar) -> Matrix {
        var points = Matrix(rows: dimension, columns: count)
        var latent = Matrix(rows: rank, columns: count)
        sample(into: &points, latent: &latent, using: &generator)
        return points
    }

    /// Overwrites the columns of `points` (D×m) with m draws from q, reusing its storage: E (D×m) is
    /// drawn first into `points`, then Z (K×m) into `latent`, both column by column, and
    /// X = μ1ᵀ + diag(√ψ)·E + Λ·Z, as `reparameterize(noise:latent:)`. Cost 2DKm flops (one GEMM) + O(Dm).
    public func sample(into points: inout Matrix, latent: inout Matrix, using generator: inout Xoshiro256StarStar) {
        shapePrecondition(points.rows == dimension && latent.rows == rank && latent.columns == points.columns,
                     "LowRankGaussian.sample: points \(points.rows)×\(points.columns), latent \(latent.rows)×\(latent.columns) for D = \(dimension), K = \(rank)")
        generator.fillStandardNormal(&points)
        generator.fillStandardNormal(&latent)
        transformStandardNormal(&points, latent: latent)
    }

    /// X = μ1ᵀ + diag(√ψ)·E + Λ·Z for standard-normal E (D×m) and Z (K×m): the reparameterization
    /// that ADVI-LR differentiates through. Cost 2DKm flops (one GEMM) + O(Dm).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for E not D×m or Z not K×m.
    public func reparameterize(noise: Matrix, latent: Matrix) throws -> Matrix {
        try requireDimension(noise.rows, dimension, "noise rows")
        try requireDimension(latent.rows, rank, "latent rows")
        try requireDimension(latent.columns, noise.columns, "latent columns")
        var points = Matrix(rows: dimension, columns: noise.columns)
        reparameterize(noise: noise, latent: latent, into: &points)
        return points
    }

    /// `reparameterize(noise:latent:)` into the existing D×m block `points`, allocating nothing.
    /// E must be D×m, Z K×m and `points` D×m (a mismatch stops the program, naming the sizes). Cost 2DKm flops (one GEMM) + O(Dm).
    public func reparameterize(noise: Matrix, latent: Matrix, into points: inout Matrix) {
        shapePrecondition(noise.rows == dimension && latent.rows == rank && latent.columns == noise.columns
                        && points.rows == dimension && points.columns == noise.columns,
                     "LowRankGaussian.reparameterize: E \(noise.rows)×\(noise.columns), Z \(latent.rows)×\(latent.columns), X \(points.rows)×\(points.columns) for D = \(dimension), K = \(rank)")
        TallSkinny.copyColumns(of: noise, 0..<noise.columns, into: &points, at: 0)
        transformStandardNormal(&points, latent: latent)
    }

    /// X ← μ1ᵀ + diag(√ψ)·X + Λ·Z in place, for X (D×m) holding E and Z (K×m).
    private func transformStandardNormal(_ points: inout Matrix, latent: Matrix) {
        let d = dimension, m = points.columns
        points.withElements { e in
            e.withUnsafeMutableBufferPointer { px in
                for j in 0..<m { for i in 0..<d { px[j * d + i] = psi[i].squareRoot() * px[j * d + i] + mean[i] } }
            }
        }
        BLAS.gemm(lambda, latent, beta: 1, into: &points)
    }

    /// Σ·Y = ψ∘Y + Λ(ΛᵀY). Cost 4DKm flops.
    public func covarianceProduct(_ y: Matrix) -> Matrix {
        var out = TallSkinny.rowScaled(y, by: psi)
        BLAS.gemm(lambda, BLAS.gemm(lambda, y, transA: .transpose), beta: 1, into: &out)
        return out
    }

    /// Σ⁻¹·Y by Woodbury. Cost 4DKm + 2DK² flops.
    public func precisionProduct(_ y: Matrix) -> Matrix { covariance.solve(y) }
}

extension LowRankGaussian {
    /// Redraws column `column` of the reparameterized batch X = μ1ᵀ + diag(√ψ)E + ΛZ: fresh standard
    /// normals in column `column` of E (D×m) and Z (K×m), and the matching point in X (D×m). ADVI-LR's
    /// replacement of a draw the model rejected. Allocates one D- and one K-vector; cost O(DK).
    func redrawReparameterized(column: Int, of points: inout Matrix, noise: inout Matrix, latent: inout Matrix,
                               using generator: inout Xoshiro256StarStar) {
        let e = generator.standardNormalMatrix(rows: dimension, columns: 1)
        let z = generator.standardNormalMatrix(rows: rank, columns: 1)
        var x = Matrix(rows: dimension, columns: 1)
        reparameterize(noise: e, latent: z, into: &x)
        TallSkinny.copyColumns(of: e, 0..<1, into: &noise, at: column)
        TallSkinny.copyColumns(of: z, 0..<1, into: &latent, at: column)
        TallSkinny.copyColumns(of: x, 0..<1, into: &points, at: column)
    }
}
