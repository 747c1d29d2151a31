import LowRankLinalg

/// pBaM's reusable buffers, allocated once per fit by `PatchedBaM.initialState` and reused by every
/// iteration, so that a steady-state iteration allocates no D-sized buffer (only K-, B- and
/// (K+2B)-sized ones).
///
/// For D, rank K and batch B (c = max(K, B+1)), memory D(2c + K + 2B + 8) doubles plus a
/// 256×(K+2B) row block:
/// - two D×c blocks (`patch`): the batch points and scores, then the EM blocks of the patch;
/// - the D×(K+2B) factor block of the implicit BaM covariance S (`target`), built in place from
///   W = [Ψ^{-1/2}R, Ψ^{1/2}Q] by a Cholesky QR and a rotation (`LowRankBaMUpdate`);
/// - diag(S), x̄, ḡ, √ψ and the patch's two D-vectors;
/// - the storage of one approximation (μ, ψ, Λ) pushed out by an accepted update, reused for the
///   next one (`spare`).
public struct PatchedBaMWorkspace: Sendable {
    var patch: PatchWorkspace
    var target: SignedLowRankPlusDiagonal
    var targetDiagonal: [Double]
    /// log det S of the last match.
    var targetLogDeterminant = 0.0
    var latent: Matrix
    /// The B×(B−1) orthonormal contrasts H (HᵀH = I, Hᵀ1 = 0) through which the centred batch enters.
    var contrasts: Matrix
    var qr: ThinQRWorkspace
    var rowBlock: Matrix
    var meanPoint: [Double]
    var meanScore: [Double]
    var rootPsi: [Double]
    var spare = LowRankStoragePool()
    /// The profile patch's state (eigen basis, L-BFGS memory), kept from one patch to the next; nil
    /// with the EM patch.
    var profile: ProfilePatchWorkspace?

    /// Moves the profile patch's state out (leaving nil), so that the caller holds its buffers
    /// uniquely and mutates them in place; a copy that shared them with the workspace would copy
    /// every D-sized buffer on its first write.
    mutating func takeProfile() -> ProfilePatchWorkspace? {
        defer { profile = nil }
        return profile
    }

    /// Whether the buffers were made for dimension D, rank K and batch size B.
    func serves(dimension: Int, rank: Int, batchSize: Int) -> Bool {
        target.factors.rows == dimension && latent.rows == rank && latent.columns == batchSize
            && contrasts.rows == batchSize
    }

    /// Buffers for dimension D, rank K and batch size B, and the state of the chosen patch.
    init(dimension d: Int, rank k: Int, batchSize b: Int, patch solver: PatchSolver) {
        let width = k + 2 * b
        patch = PatchWorkspace(dimension: d, rank: k, columnCapacity: b + 1)
        target = SignedLowRankPlusDiagonal(diagonal: [Double](repeating: 1, count: d),
                                           factors: Matrix(rows: d, columns: width), addedCount: width)
        targetDiagonal = [Double](repeating: 0, count: d)
        latent = Matrix(rows: k, columns: b)
        contrasts = Matrix(rows: b, columns: Swift.max(b - 1, 0)) { i, j in
            let norm = (Double(j + 1) * Double(j + 2)).squareRoot()
            return i <= j ? 1 / norm : (i == j + 1 ? -Double(j + 1) / norm : 0)
        }
        qr = ThinQRWorkspace(rows: d, columns: width <= d ? width : 0)
        rowBlock = Matrix(rows: Swift.max(1, Swift.min(d, 256)), columns: width)
        meanPoint = [Double](repeating: 0, count: d)
        meanScore = [Double](repeating: 0, count: d)
        rootPsi = [Double](repeating: 0, count: d)
        switch solver {
        case .profile(let settings): profile = ProfilePatchWorkspace(dimension: d, rank: k, patch: settings)
        case .truncatedEigen(let settings):
            profile = ProfilePatchWorkspace(dimension: d, rank: k, oversampling: settings.oversampling, memory: 1)
        case .em: profile = nil
        }
    }
}
