import LowRankLinalg

/// How well q stands in for p, judged by importance sampling with q as the proposal: S draws
/// x_s ~ q and their log weights log p(x_s) − log q(x_s), Pareto-smoothed (``ParetoSmoothing``).
///
/// - `paretoShape` (k̂) above `threshold` says that q misses mass p has — a bad fit, or a wrong
///   gradient (a sign-flipped score makes k̂ ≫ 1) — whatever the fit's own progress measures say.
/// - `elbo` is the plain Monte Carlo ELBO, `importanceWeightedELBO` = log (1/S)Σ w_s is a tighter
///   stochastic lower bound on log Z (of p's unnormalized density); their gap is about the KL from
///   q to p when k̂ is small.
/// - `effectiveSampleSize` = 1/Σ w̃_s² of the smoothed normalized weights.
public struct ImportanceDiagnostics: Sendable, CustomStringConvertible {
    /// S, the draws.
    public var draws: Int
    /// k̂, the generalized Pareto shape of the largest weights.
    public var paretoShape: Double
    /// min(1 − 1/log₁₀ S, 0.7).
    public var threshold: Double
    /// 1/Σ w̃² of the smoothed normalized weights (1 … S).
    public var effectiveSampleSize: Double
    /// (1/S) Σ log w_s: the ELBO estimate (−∞ when p vanishes at a draw).
    public var elbo: Double
    /// log (1/S) Σ w_s: the importance-weighted ELBO, a lower bound on log Z in expectation.
    public var importanceWeightedELBO: Double
    /// The PSIS self-normalized estimate of p's mean (length D), when requested.
    public var correctedMean: [Double]?
    /// The PSIS estimate of p's marginal variances (length D), when requested.
    public var correctedVariances: [Double]?

    /// Whether k̂ is at most the threshold.
    public var isReliable: Bool { paretoShape <= threshold }

    /// Draws S points from q in blocks of 64 columns and weighs them; with `correctedMoments`, a
    /// second pass over the same draws (a copy of the generator replays them) forms the PSIS mean
    /// and variances. Cost 2S (or 3S) D-vector evaluations — S of log p, S of log q (O(DK) each for
    /// the low-rank family) — plus O(S log S); memory D×64 plus O(S), never D×S. A draw where the
    /// model throws a recoverable ``ModelError`` has weight 0 (log p = −∞).
    /// - Throws: `.invalidArgument` for S < 25; `.dimensionMismatch` for a model of another D; a
    ///   non-recoverable model error; `.nonFinite` when log p is NaN or +∞ at a draw.
    public static func compute<Model: LogDensityModel>(_ q: some GaussianApproximation, model: Model, draws: Int = 1000,
                                                       correctedMoments: Bool = false,
                                                       using generator: inout Xoshiro256StarStar) throws -> ImportanceDiagnostics {
        try require(draws >= 25, "importance diagnostics need at least 25 draws (a PSIS tail of 5), got \(draws)")
        try requireDimension(model.dimension, q.dimension, "model")
        let replay = generator
        var logWeights = [Double]()
        logWeights.reserveCapacity(draws)
        try forEachDraw(of: q, count: draws, using: &generator) { x in
            let logP: Double
            do {
                logP = try model.logDensity(at: x)
            } catch let error as ModelError where error.isRecoverable {
                logP = -.infinity
            }
            guard !logP.isNaN && logP != .infinity else {
                throw VariationalInferenceError.nonFinite(what: "log p at a draw from q (\(logP))")
            }
            logWeights.append(logP - (try q.logDensity(at: x)))
        }
        let (smoothed, shape) = try ParetoSmoothing.smooth(logWeights: logWeights)
        let normalized = smoothed.map { _exp($0) }
        var result = ImportanceDiagnostics(
            draws: draws, paretoShape: shape, threshold: ParetoSmoothing.threshold(draws: draws),
            effectiveSampleSize: 1 / normalized.reduce(0) { $0 + $1 * $1 },
            elbo: logWeights.reduce(0, +) / Double(draws),
            importanceWeightedELBO: logSumExp(logWeights) - _log(Double(draws)))
        if correctedMoments {
            var again = replay
            var first = [Double](repeating: 0, count: q.dimension), second = first
            var s = 0
            try forEachDraw(of: q, count: draws, using: &again) { x in
                let w = normalized[s]
                s += 1
                for i in x.indices {
                    first[i] += w * x[i]
                    second[i] += w * x[i] * x[i]
                }
            }
            result.correctedMean = first
            result.correctedVariances = zip(first, second).map { Swift.max($1 - $0 * $0, 0) }
        }
        return result
    }

    /// Calls `body` with each of `count` draws from q, sampled 64 at a time.
    private static func forEachDraw(of q: some GaussianApproximation, count: Int, using generator: inout Xoshiro256StarStar,
                                    _ body: ([Double]) throws -> Void) throws {
        var done = 0
        while done < count {
            let block = q.sample(count: Swift.min(64, count - done), using: &generator)
            for j in 0..<block.columns { try body(block.column(j)) }
            done += block.columns
        }
    }

    /// "k̂ = 0.31 (threshold 0.70, reliable), ESS 812 of 1000, ELBO −1234.5, IW-ELBO −1233.9".
    public var description: String {
        "k̂ = \(rounded(paretoShape, 2)) (threshold \(rounded(threshold, 2)), \(isReliable ? "reliable" : "NOT reliable: q misses mass of p")), "
            + "ESS \(rounded(effectiveSampleSize, 0)) of \(draws), ELBO \(rounded(elbo, 4)), IW-ELBO \(rounded(importanceWeightedELBO, 4))"
    }
}

/// `x` with `digits` decimals as text (significant digits for |x| < 1e-3 or ≥ 1e9).
func rounded(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    if x != 0 && (abs(x) < 1e-3 || abs(x) >= 1e9) {
        let exponent = Int(_log10(abs(x)).rounded(.down))
        let mantissa = x / power(10, Double(exponent))
        return "\(rounded(mantissa, 2))e\(exponent)"
    }
    let scale = power(10, Double(digits))
    let value = (x * scale).rounded() / scale
    if digits == 0 { return "\(Int(value))" }
    var text = "\(value)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    }
    return text
}
