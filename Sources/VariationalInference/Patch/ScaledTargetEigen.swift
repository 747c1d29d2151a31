import LowRankLinalg

/// The leading eigenpairs of the scaled patch target S̃ = Ψ^{-1/2}·S·Ψ^{-1/2}, for the implicit
/// S = diag(d) + F·diag(s)·Fᵀ of pBaM, by subspace iteration with Rayleigh–Ritz on n = K + p columns,
/// warm-started from the basis of the previous call.
///
/// One pass computes S̃·U for the current orthonormal basis U (one implicit product, 4Dn(p+q) flops),
/// the Rayleigh quotient UᵀS̃U (n×n, 2Dn² flops) and its eigen decomposition, and rotates the basis
/// onto the Ritz vectors (4Dn² flops). The pass ends the solve when every one of the first K Ritz
/// pairs with θⱼ > 1 (the ones that build Λ) has a residual ‖S̃uⱼ − θⱼuⱼ‖ ≤ tolerance·θⱼ; otherwise the
/// next basis is the orthonormalized S̃·U (`CholeskyQR`, 6Dn² flops). Memory three D×n blocks;
/// no D-sized allocation per call.
struct ScaledTargetEigen: Sendable {
    /// The orthonormal basis (D×n): the Ritz vectors, by descending Ritz value, after `solve`.
    private(set) var basis: Matrix
    /// The Ritz values θ₁ ≥ … ≥ θₙ of the last `solve`.
    private(set) var values: [Double]
    private var product: Matrix
    private var rotated: Matrix
    private var triangle: Matrix
    private var qr: ThinQRWorkspace
    private var eigen: SymmetricEigenWorkspace
    /// Whether `basis` holds the result of an earlier solve (or a seed).
    private(set) var isSeeded = false

    /// Buffers for dimension D and n columns (n ≤ D).
    init(dimension: Int, columns: Int) {
        basis = Matrix(rows: dimension, columns: columns)
        product = Matrix(rows: dimension, columns: columns)
        rotated = Matrix(rows: dimension, columns: columns)
        triangle = Matrix(rows: columns, columns: columns)
        values = [Double](repeating: 0, count: columns)
        qr = ThinQRWorkspace(rows: dimension, columns: columns)
        eigen = SymmetricEigenWorkspace(order: columns)
    }

    /// The number of basis columns n.
    var columns: Int { basis.columns }

    /// Seeds the basis with the orthonormalized columns of Ψ^{-1/2}·[Λ, F] (as many as fit in n),
    /// completed by coordinate vectors when [Λ, F] has fewer than n columns: the leading eigenvectors
    /// of S̃ lie close to the span of these. Cost 4Dn² flops.
    mutating func seed(lambda: Matrix, factors: Matrix, rootPsi: [Double]) {
        let d = basis.rows, n = columns, k = lambda.columns
        basis.withElements { e in
            for j in 0..<n {
                for i in 0..<d {
                    let source: Double
                    if j < k {
                        source = lambda[i, j]
                    } else if j - k < factors.columns {
                        source = factors[i, j - k]
                    } else {
                        source = i == (j - k - factors.columns) % d ? 1 : 0
                    }
                    e[j * d + i] = source / rootPsi[i]
                }
            }
        }
        orthonormalizeBasis()
        isSeeded = true
    }

    /// Seeds the basis with the exact leading eigenvectors of S̃ for a target built by pBaM's match
    /// at the current ψ: there S = Ψ^{1/2}(I + Ô·diag(ν − 1)·Ôᵀ)Ψ^{1/2} with the factor columns
    /// √|νⱼ − 1|·Ψ^{1/2}ôⱼ ordered by descending ν, so Ψ^{-1/2}·(column j) is ôⱼ up to its scale. The
    /// first min(n, p + q) basis columns become those directions (the rest are kept from the last
    /// solve), then the basis is orthonormalized. Cost Dn + 6Dn² flops.
    mutating func seedFromScaledEigenbasis(factors: Matrix, rootPsi: [Double]) {
        let d = basis.rows, count = Swift.min(columns, factors.columns)
        factors.elements.withUnsafeBufferPointer { source in
            basis.withElements { e in
                for j in 0..<count {
                    for i in 0..<d { e[j * d + i] = source[j * d + i] / rootPsi[i] }
                }
            }
        }
        orthonormalizeBasis()
        isSeeded = true
    }

    /// Replaces the last n − `rank` basis columns by Ψ^{-1/2}·F·Ω for a fresh Gaussian Ω
    /// ((p+q)×(n − rank), from `generator`) and re-orthonormalizes the basis: a randomized range
    /// finder on the directions that the new target adds, so that an eigenvector that the warm basis
    /// misses entirely (its residual test cannot see it) enters the subspace. Cost 2D(p+q)(n − rank) +
    /// 4Dn² flops.
    mutating func refresh(rank: Int, factors: Matrix, rootPsi: [Double], using generator: inout Xoshiro256StarStar) {
        let d = basis.rows, n = columns, fresh = n - Swift.min(rank, n)
        guard fresh > 0, factors.columns > 0 else { return }
        var mixing = Matrix(rows: factors.columns, columns: fresh)
        generator.fillStandardNormal(&mixing)
        BLAS.gemm(factors, mixing, into: &product, cColumns: 0..<fresh)
        let first = n - fresh
        product.elements.withUnsafeBufferPointer { source in
            basis.withElements { e in
                for j in 0..<fresh {
                    for i in 0..<d { e[(first + j) * d + i] = source[j * d + i] / rootPsi[i] }
                }
            }
        }
        orthonormalizeBasis()
    }

    /// Runs passes until the first `rank` Ritz pairs with θ > 1 have converged or `maxPasses` passes
    /// ran, leaving the Ritz vectors in `basis` and their values in `values`.
    /// - Returns: the passes run (≥ 1 when maxPasses ≥ 1).
    /// - Throws: `LinearAlgebraError.eigenDecompositionFailed` from the n×n eigen solver, or
    ///   `.nonFinite` when the Rayleigh quotient is not finite.
    mutating func solve(target: SignedLowRankPlusDiagonal, rootPsi: [Double], rank: Int, tolerance: Double,
                        maxPasses: Int) throws(LinearAlgebraError) -> Int {
        shapePrecondition(isSeeded, "ScaledTargetEigen.solve: seed the basis first")
        let d = basis.rows, n = columns
        var passes = 0
        while passes < maxPasses {
            passes += 1
            TallSkinny.divideRows(&basis, by: rootPsi)
            target.multiply(basis, into: &product)
            var quotient = Matrix(rows: n, columns: n)
            BLAS.gemm(basis, product, transA: .transpose, into: &quotient)
            quotient.symmetrize()
            guard quotient.isFinite else { throw .nonFinite(context: "Rayleigh quotient of the scaled patch target") }
            let decomposition = try LinearAlgebraError.naming("the patch's Rayleigh quotient of the scaled target") {
                () throws(LinearAlgebraError) in try SymmetricEigen(quotient, workspace: &eigen)
            }
            let rotation = Matrix(rows: n, columns: n) { i, j in decomposition.vectors[i, n - 1 - j] }
            for j in 0..<n { values[j] = decomposition.values[n - 1 - j] }
            BLAS.gemm(basis, rotation, into: &rotated)
            BLAS.gemm(product, rotation, into: &basis)
            TallSkinny.scaleRows(&rotated, by: rootPsi)
            TallSkinny.divideRows(&basis, by: rootPsi)
            let converged = residualsConverged(rank: Swift.min(rank, n), tolerance: tolerance, dimension: d)
            if converged || passes == maxPasses {
                swap(&basis, &rotated)
                return passes
            }
            orthonormalizeBasis()
        }
        return passes
    }

    /// Orthonormalizes the basis in place (`CholeskyQR`: CholQR2, BLAS-3, with a Householder
    /// fallback for nearly dependent columns). Cost about 6Dn² flops.
    private mutating func orthonormalizeBasis() {
        CholeskyQR.factor(&basis, r: &triangle, workspace: &qr)
    }

    /// Whether ‖S̃uⱼ − θⱼuⱼ‖ ≤ tolerance·θⱼ for the first `rank` pairs with θⱼ > 1, with S̃uⱼ in
    /// `basis` and uⱼ in `rotated`. Cost 3D·rank flops.
    private func residualsConverged(rank: Int, tolerance: Double, dimension d: Int) -> Bool {
        basis.elements.withUnsafeBufferPointer { image in
            rotated.elements.withUnsafeBufferPointer { vector in
                for j in 0..<rank where values[j] > 1 {
                    var sum = 0.0
                    let theta = values[j], base = j * d
                    for i in 0..<d {
                        let r = image[base + i] - theta * vector[base + i]
                        sum += r * r
                    }
                    if !(sum <= tolerance * tolerance * theta * theta) { return false }
                }
                return true
            }
        }
    }
}
