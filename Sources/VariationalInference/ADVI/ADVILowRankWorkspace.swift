import LowRankLinalg

/// ADVI-LR's reusable buffers, allocated once per fit by `ADVILowRank.initialState` and reused by
/// every step, so that a steady-state step allocates no D-sized buffer.
///
/// For D, rank K and batch B, memory D(3B + 2K + 2) + 3·D(K + 2) doubles:
/// - E, X and G (D×B each): the noise, the points x_b = μ + √ψ∘ε_b + Λz_b and their scores;
/// - the Woodbury factor W = Ψ⁻¹ΛL⁻ᵀ of the current q (D×K), then the scratch of the next q's
///   capacitance factorization, and the Λ-gradient (D×K);
/// - the μ- and ψ-gradients (D each);
/// - the flat parameter and loss-gradient vectors of the optimizer (D(K + 2) each);
/// - the storage of the approximation pushed out by an accepted step, reused for the next one.
public struct ADVILowRankWorkspace: Sendable {
    var noise: Matrix
    var latent: Matrix
    var points: Matrix
    var scores: Matrix
    var inverseFactor: Matrix
    var meanGradient: [Double]
    var varianceGradient: [Double]
    var lambdaGradient: Matrix
    var parameters: [Double]
    var lossGradient: [Double]
    var spare = LowRankStoragePool()

    /// Buffers for dimension D, rank K and batch size B.
    init(dimension d: Int, rank k: Int, batchSize b: Int) {
        noise = Matrix(rows: d, columns: b)
        latent = Matrix(rows: k, columns: b)
        points = Matrix(rows: d, columns: b)
        scores = Matrix(rows: d, columns: b)
        inverseFactor = Matrix(rows: d, columns: k)
        meanGradient = [Double](repeating: 0, count: d)
        varianceGradient = [Double](repeating: 0, count: d)
        lambdaGradient = Matrix(rows: d, columns: k)
        parameters = [Double](repeating: 0, count: d * (k + 2))
        lossGradient = [Double](repeating: 0, count: d * (k + 2))
    }

    /// Reallocates every buffer when the workspace was made for another D, K or B (a state
    /// warm-started under other settings); does nothing otherwise.
    mutating func reshape(dimension d: Int, rank k: Int, batchSize b: Int) {
        guard noise.rows != d || noise.columns != b || lambdaGradient.columns != k else { return }
        self = ADVILowRankWorkspace(dimension: d, rank: k, batchSize: b)
    }
}
