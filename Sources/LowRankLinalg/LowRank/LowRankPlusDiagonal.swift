/// A symmetric positive definite D×D matrix Σ = Ψ + Λ·Λᵀ, with Ψ = diag(ψ) (ψ > 0) and Λ D×K.
///
/// The K×K capacitance matrix A_K = I + ΛᵀΨ⁻¹Λ is Cholesky-factored once, at construction
/// (A_K = L·Lᵀ), and the D×K block W = Ψ⁻¹Λ·L⁻ᵀ is kept so that Σ⁻¹ = Ψ⁻¹ − W·Wᵀ (Woodbury).
/// Every operation is O(D·K·m) or less; nothing of size D×D is ever allocated.
/// Memory: D(2K + 1) doubles plus K². (`LowRankGaussian` keeps only ψ, Λ and the K×K factor, and
/// builds this type when an operation needs W.)
public struct LowRankPlusDiagonal: Sendable {
    /// ψ, the diagonal of Ψ (length D, all > 0).
    public let psi: [Double]
    /// Λ, the D×K factor.
    public let lambda: Matrix
    /// The Cholesky factor of the capacitance matrix I + ΛᵀΨ⁻¹Λ (K×K).
    public let capacitance: Cholesky
    /// W = Ψ⁻¹Λ·L⁻ᵀ (D×K), so that Σ⁻¹ = Ψ⁻¹ − W·Wᵀ.
    public let inverseFactor: Matrix

    /// Builds Σ = diag(ψ) + Λ·Λᵀ and factors its capacitance matrix. Cost 4DK² + K³/3 flops.
    /// - Throws: `.nonPositiveDiagonal` if some ψᵢ is not a finite positive number, `.nonFinite` if Λ
    ///   holds a NaN or ∞, `.notPositiveDefinite` if the capacitance factorization fails (round-off
    ///   only: the capacitance matrix is ≥ I in exact arithmetic).
    public init(psi: [Double], lambda: Matrix) throws(LinearAlgebraError) {
        try Self.validate(psi: psi, lambda: lambda)
        var scaled = Matrix(rows: lambda.rows, columns: lambda.columns)
        let factor = try Self.factorCapacitance(psi: psi, lambda: lambda, scratch: &scaled)
        self.init(psi: psi, lambda: lambda, capacitance: factor)
    }

    /// Builds Σ from ψ and Λ already validated and the Cholesky factor of their capacitance matrix
    /// I + ΛᵀΨ⁻¹Λ, computed by the caller (as pBaM's patch does): only W is formed.
    /// Cost 2DK² flops (one `dtrsm`) and one D×K block.
    package init(psi: [Double], lambda: Matrix, capacitance: Cholesky) {
        shapePrecondition(lambda.rows == psi.count && capacitance.order == lambda.columns,
                     "LowRankPlusDiagonal: ψ has \(psi.count) entries, Λ is \(lambda.rows)×\(lambda.columns), L is \(capacitance.order)×\(capacitance.order)")
        var w = TallSkinny.rowScaled(lambda, by: psi.map { 1 / $0 })
        BLAS.trsm(capacitance.lower, triangle: .lower, transA: .transpose, side: .right, into: &w)
        self.psi = psi
        self.lambda = lambda
        self.capacitance = capacitance
        self.inverseFactor = w
    }

    /// Checks that ψ is finite and positive and Λ finite, with D = ψ.count rows. Cost O(DK).
    /// - Throws: `.nonPositiveDiagonal` for the first bad ψᵢ, `.nonFinite` for a NaN or ∞ in Λ.
    public static func validate(psi: [Double], lambda: Matrix) throws(LinearAlgebraError) {
        shapePrecondition(lambda.rows == psi.count, "LowRankPlusDiagonal: ψ has \(psi.count) entries, Λ has \(lambda.rows) rows")
        if let i = psi.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw .nonPositiveDiagonal(index: i, value: psi[i])
        }
        guard lambda.isFinite else { throw .nonFinite(context: "LowRankPlusDiagonal: Λ") }
    }

    /// The Cholesky factor of the capacitance matrix I + ΛᵀΨ⁻¹Λ (K×K), using `scratch` (D×K, reused
    /// storage) for Ψ⁻¹Λ. ψ must be positive. Cost 2DK² + K³/3 flops; allocates only K×K.
    /// - Throws: `.notPositiveDefinite` (round-off only).
    public static func factorCapacitance(psi: [Double], lambda: Matrix,
                                         scratch: inout Matrix) throws(LinearAlgebraError) -> Cholesky {
        shapePrecondition(scratch.rows == lambda.rows && scratch.columns == lambda.columns,
                     "LowRankPlusDiagonal.factorCapacitance: scratch is \(scratch.rows)×\(scratch.columns), Λ is \(lambda.rows)×\(lambda.columns)")
        TallSkinny.rowDivided(lambda, by: psi, into: &scratch)
        var a = Matrix.identity(lambda.columns)
        BLAS.gemm(scratch, lambda, transA: .transpose, beta: 1, into: &a)
        return try Cholesky(a)
    }

    /// The dimension D.
    public var dimension: Int { psi.count }

    /// The rank K of the low-rank part.
    public var rank: Int { lambda.columns }

    /// Σ·Y for a D×m block, into `out` (D×m): ψ∘Y + Λ(ΛᵀY). Cost 4DKm flops.
    public func multiply(_ y: Matrix, into out: inout Matrix) {
        shapePrecondition(y.rows == dimension, "LowRankPlusDiagonal.multiply: Y has \(y.rows) rows, D = \(dimension)")
        TallSkinny.rowScaled(y, by: psi, into: &out)
        BLAS.gemm(lambda, BLAS.gemm(lambda, y, transA: .transpose), beta: 1, into: &out)
    }

    /// Σ·Y as a new D×m block. Cost 4DKm flops.
    public func multiply(_ y: Matrix) -> Matrix { .filled(like: y) { multiply(y, into: &$0) } }

    /// Σ·x for a D-vector. Cost 4DK flops.
    public func multiply(_ x: [Double]) -> [Double] {
        multiply(Matrix(column: x)).elements
    }

    /// Σ⁻¹·Y (Woodbury: Ψ⁻¹Y − W(WᵀY)) for a D×m block, into `out`. Cost 4DKm flops.
    public func solve(_ y: Matrix, into out: inout Matrix) {
        shapePrecondition(y.rows == dimension, "LowRankPlusDiagonal.solve: Y has \(y.rows) rows, D = \(dimension)")
        TallSkinny.rowDivided(y, by: psi, into: &out)
        BLAS.gemm(inverseFactor, BLAS.gemm(inverseFactor, y, transA: .transpose), alpha: -1, beta: 1, into: &out)
    }

    /// Y ← Σ⁻¹·Y in place for a D×m block: Ψ⁻¹Y − W(WᵀY). Cost 4DKm flops; allocates only K×m.
    public func solveInPlace(_ y: inout Matrix) {
        shapePrecondition(y.rows == dimension, "LowRankPlusDiagonal.solveInPlace: Y has \(y.rows) rows, D = \(dimension)")
        let projected = BLAS.gemm(inverseFactor, y, transA: .transpose)
        TallSkinny.divideRows(&y, by: psi)
        BLAS.gemm(inverseFactor, projected, alpha: -1, beta: 1, into: &y)
    }

    /// Σ⁻¹·Y as a new D×m block. Cost 4DKm flops.
    public func solve(_ y: Matrix) -> Matrix { .filled(like: y) { solve(y, into: &$0) } }

    /// Σ⁻¹·x for a D-vector. Cost 4DK flops.
    public func solve(_ x: [Double]) -> [Double] {
        solve(Matrix(column: x)).elements
    }

    /// diag(Σ) = ψ + rowdot(Λ, Λ). Cost 2DK flops.
    public var diagonal: [Double] {
        var out = psi
        TallSkinny.rowdot(lambda, lambda, scale: 1, accumulatingInto: &out)
        return out
    }

    /// diag(Σ⁻¹) = 1/ψ − rowdot(W, W). Cost 2DK flops.
    public var inverseDiagonal: [Double] {
        var out = psi.map { 1 / $0 }
        TallSkinny.rowdot(inverseFactor, inverseFactor, scale: -1, accumulatingInto: &out)
        return out
    }

    /// log det Σ = Σᵢ log ψᵢ + log det(I + ΛᵀΨ⁻¹Λ) (matrix determinant lemma). Cost O(D + K).
    public var logDeterminant: Double {
        psi.reduce(0) { $0 + _log($1) } + capacitance.logDeterminant
    }

    /// xᵀΣx = Σᵢ ψᵢxᵢ² + ‖Λᵀx‖². Cost 2D(K + 1) flops.
    public func quadraticForm(_ x: [Double]) -> Double {
        shapePrecondition(x.count == dimension, "LowRankPlusDiagonal.quadraticForm: x has \(x.count) entries, D = \(dimension)")
        let projected = BLAS.gemv(lambda, x, trans: .transpose)
        var sum = 0.0
        for i in 0..<x.count { sum += psi[i] * x[i] * x[i] }
        return sum + BLAS.dot(projected, projected)
    }

    /// xᵀΣ⁻¹x = Σᵢ xᵢ²/ψᵢ − ‖Wᵀx‖². Cost 2D(K + 1) flops.
    public func inverseQuadraticForm(_ x: [Double]) -> Double {
        shapePrecondition(x.count == dimension, "LowRankPlusDiagonal.inverseQuadraticForm: x has \(x.count) entries, D = \(dimension)")
        let projected = BLAS.gemv(inverseFactor, x, trans: .transpose)
        var sum = 0.0
        for i in 0..<x.count { sum += x[i] * x[i] / psi[i] }
        return sum - BLAS.dot(projected, projected)
    }

    /// tr(Σ⁻¹·A) for A = diag(a) + U·Uᵀ − V·Vᵀ held implicitly, as
    /// Σᵢ aᵢ·diag(Σ⁻¹)ᵢ + tr(UᵀΣ⁻¹U) − tr(VᵀΣ⁻¹V). Cost 2D(K + 1)(p + q + 1) flops.
    public func traceOfInverseTimes(_ a: SignedLowRankPlusDiagonal) -> Double {
        shapePrecondition(a.dimension == dimension, "LowRankPlusDiagonal.traceOfInverseTimes: A is \(a.dimension)-dimensional, D = \(dimension)")
        let inverse = inverseDiagonal
        var sum = 0.0
        for i in 0..<dimension { sum += a.diagonalPart[i] * inverse[i] }
        return sum + traceOfInverseGram(a.added) - traceOfInverseGram(a.subtracted)
    }

    /// tr(UᵀΣ⁻¹U) = Σᵢⱼ Uᵢⱼ²/ψᵢ − ‖WᵀU‖²_F for a D×p block U. Cost 2Dp(K + 1) flops.
    public func traceOfInverseGram(_ u: Matrix) -> Double {
        shapePrecondition(u.rows == dimension, "LowRankPlusDiagonal.traceOfInverseGram: U has \(u.rows) rows, D = \(dimension)")
        guard u.columns > 0 else { return 0 }
        var weighted = [Double](repeating: 0, count: dimension)
        TallSkinny.rowdot(u, u, scale: 1, accumulatingInto: &weighted)
        var sum = 0.0
        for i in 0..<dimension { sum += weighted[i] / psi[i] }
        let projected = BLAS.gemm(inverseFactor, u, transA: .transpose)
        return sum - BLAS.dot(projected.elements, projected.elements)
    }
}
