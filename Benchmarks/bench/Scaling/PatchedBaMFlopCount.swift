/// The floating-point operations of one pBaM iteration as this library performs it (algorithm.md
/// §10, with R = K+B+1 and P = B+1), counting a multiply-add as 2 flops like the `dgemm` rate it is
/// compared with. Terms below O(D·(K+B)) per phase (vector updates, K×K and (B+1)×(B+1) work) are
/// left out. The score evaluations are the model's and are not included.
struct PatchedBaMFlopCount: Sendable, Equatable {
    /// Drawing the batch: Λ·Z, 2DKB.
    var sampling: Double
    /// The match: RᵀQ and R(RᵀQ) 4DRP, T = QᵀVQ and P = VQ·W 4DP².
    var match: Double
    /// The patch: log det S (2DR², with the `.klChange` test), then per EM step the products
    /// (2DK(R+P) + 3DK²) and the step with its fused relaxation (2DK(R+P) + 4DK²), and the products
    /// once more at the returned iterate.
    var patch: Double

    /// The count for dimension D, rank K, batch B and `emSteps` EM steps.
    init(dimension: Int, rank: Int, batchSize: Int, emSteps: Int, logDeterminant: Bool = true) {
        let d = Double(dimension), k = Double(rank), b = Double(batchSize)
        let r = k + b + 1, p = b + 1
        sampling = 2 * d * k * b
        match = 4 * d * r * p + 4 * d * p * p
        let products = 2 * d * k * (r + p) + 3 * d * k * k, step = 2 * d * k * (r + p) + 4 * d * k * k
        patch = (logDeterminant ? 2 * d * r * r : 0) + Double(emSteps) * (products + step) + products
    }

    /// The count with the default profile patch and `passes` passes of it: per eigen pass the
    /// product S·U (4Dn(R+P) for n = K + oversampling), the Rayleigh quotient, the two rotations and
    /// the QR (10Dn²); the warm-start and final objectives are counted as passes too (an upper bound).
    init(dimension: Int, rank: Int, batchSize: Int, profilePasses passes: Int, oversampling: Int) {
        let d = Double(dimension), k = Double(rank), b = Double(batchSize), n = k + Double(oversampling)
        let r = k + b + 1, p = b + 1
        sampling = 2 * d * k * b
        match = 4 * d * r * p + 4 * d * p * p
        patch = Double(passes) * (4 * d * n * (r + p) + 10 * d * n * n)
    }

    /// The sum over the phases.
    var total: Double { sampling + match + patch }
}
