/// The floating-point operations of one pBaM iteration as this library performs it (algorithm.md
/// §10, with W = K + 2B factor columns of S), counting a multiply-add as 2 flops like the `dgemm` rate it is
/// compared with. Terms below O(D·(K+B)) per phase (vector updates, K×K and (B+1)×(B+1) work) are
/// left out. The score evaluations are the model's and are not included.
struct PatchedBaMFlopCount: Sendable, Equatable {
    /// Drawing the batch: Λ·Z, 2DKB.
    var sampling: Double
    /// The factored match: the batch contrasts XH and GH (4DB(B−1)), the Cholesky QR of the D×W
    /// block (two rounds of syrk and trsm, 4DW²), the rotation onto Ô (2DW²) and Sḡ (4DW).
    var match: Double
    /// The patch: per EM step the products (2DKW + 3DK²) and the step with its fused relaxation
    /// (2DKW + 4DK²), and the products once more at the returned iterate.
    var patch: Double

    /// The count for dimension D, rank K, batch B and `emSteps` EM steps.
    init(dimension: Int, rank: Int, batchSize: Int, emSteps: Int) {
        let d = Double(dimension), k = Double(rank), b = Double(batchSize)
        let w = k + 2 * b
        sampling = 2 * d * k * b
        match = Self.match(d: d, w: w, b: b)
        let products = 2 * d * k * w + 3 * d * k * k, step = 2 * d * k * w + 4 * d * k * k
        patch = Double(emSteps) * (products + step) + products
    }

    /// The count with the default profile patch and `passes` passes of it: per eigen pass the
    /// product S·U (4DnW for n = K + oversampling), the Rayleigh quotient, the two rotations and
    /// the QR (10Dn²); the warm-start and final objectives are counted as passes too (an upper bound).
    init(dimension: Int, rank: Int, batchSize: Int, profilePasses passes: Int, oversampling: Int) {
        let d = Double(dimension), k = Double(rank), b = Double(batchSize), n = k + Double(oversampling)
        let w = k + 2 * b
        sampling = 2 * d * k * b
        match = Self.match(d: d, w: w, b: b)
        patch = Double(passes) * (4 * d * n * w + 10 * d * n * n)
    }

    private static func match(d: Double, w: Double, b: Double) -> Double {
        4 * d * b * (b - 1) + 6 * d * w * w + 4 * d * w
    }

    /// The sum over the phases.
    var total: Double { sampling + match + patch }
}
