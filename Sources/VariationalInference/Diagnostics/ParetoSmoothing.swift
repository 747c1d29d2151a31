import LowRankLinalg

/// Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao & Gabry, JMLR 2024): the
/// largest M = ⌈min(S/5, 3√S)⌉ of S importance weights are replaced by the expected order
/// statistics of a generalized Pareto distribution fitted to them, and the fitted shape k̂ says how
/// far the weights can be trusted.
///
/// k̂ < 0.5: the importance-sampling estimates converge at the usual rate; k̂ up to the
/// sample-size threshold min(1 − 1/log₁₀S, 0.7): usable with PSIS; above it the approximation q is
/// too far from p for importance sampling — and for the variational fit to be trusted in the tails.
/// Cost O(S log S) plus O(M·(30 + √M)) for the fit.
public enum ParetoSmoothing {
    /// The sample-size-dependent threshold min(1 − 1/log₁₀ S, 0.7) for S draws.
    public static func threshold(draws: Int) -> Double {
        Swift.min(1 - 1 / _log10(Double(Swift.max(draws, 2))), 0.7)
    }

    /// The smoothed, self-normalized log weights (Σ exp = 1, same order as the input) and k̂, from
    /// raw log weights log p(x_s) − log q(x_s) (any additive constant; −∞ entries, draws where p
    /// vanishes, are allowed). k̂ is +∞ when the tail holds 4 or fewer distinct weights above the
    /// cutoff, and the weights are then only normalized.
    /// - Throws: `VariationalInferenceError.invalidArgument` for fewer than 2 weights, a NaN or +∞
    ///   weight, or all weights −∞.
    public static func smooth(logWeights: [Double]) throws -> (logWeights: [Double], shape: Double) {
        let s = logWeights.count
        try require(s >= 2, "PSIS needs at least 2 weights, got \(s)")
        try require(logWeights.allSatisfy { !$0.isNaN && $0 != .infinity }, "PSIS log weights must not be NaN or +∞")
        let largest = logWeights.max()!
        try require(largest > -.infinity, "every PSIS log weight is −∞ (p vanishes at every draw)")
        var x = logWeights.map { $0 - largest }
        let tailLength = Int((Swift.min(0.2 * Double(s), 3 * Double(s).squareRoot())).rounded(.up))
        let order = x.indices.sorted { x[$0] < x[$1] }
        let cutoffIndex = Swift.max(s - tailLength - 1, 0)
        let cutoff = Swift.max(x[order[cutoffIndex]], _log(Double.leastNormalMagnitude))
        let tail = order.filter { x[$0] > cutoff }
        var shape = Double.infinity
        if tail.count > 4 {
            let base = _exp(cutoff)
            let exceedances = tail.map { _exp(x[$0]) - base }
            let fit = GeneralizedParetoFit(sortedExceedances: exceedances)
            shape = fit.shape
            if shape.isFinite {
                let m = Double(tail.count)
                for (rank, index) in tail.enumerated() {
                    let smoothed = _log(fit.quantile((Double(rank) + 0.5) / m) + base)
                    x[index] = Swift.min(smoothed, 0)
                }
            }
        }
        let normalizer = logSumExp(x)
        return (x.map { $0 - normalizer }, shape)
    }
}

/// A generalized Pareto distribution F(x) = 1 − (1 + kx/σ)^{−1/k} fitted to exceedances by the
/// quasi-Bayesian method of Zhang & Stephens (Technometrics 2009), with the weakly informative prior
/// on k of Vehtari et al. (the estimate shrunk toward 0.5 with the weight of 10 observations).
struct GeneralizedParetoFit {
    /// The shape k (> 0: a heavy tail).
    var shape: Double
    /// The scale σ.
    var scale: Double

    /// The fit to n ≥ 5 exceedances sorted ascending, all ≥ 0. Cost O(n(30 + √n)).
    init(sortedExceedances x: [Double]) {
        let n = x.count
        let grid = 30 + Int(Double(n).squareRoot())
        let quartile = x[Int(Double(n) / 4 + 0.5) - 1], largest = x[n - 1]
        // θ_j = 1/x₍ₙ₎ + (1 − √(m/(j − ½)))/(3·x₍ₙ/₄₎): the grid over θ = −k/σ of the profile likelihood.
        var theta = (1...grid).map { j in 1 / largest + (1 - (Double(grid) / (Double(j) - 0.5)).squareRoot()) / (3 * quartile) }
        var profile = theta.map { t -> Double in
            let k = Self.meanLogOneMinus(t, x)
            return Double(n) * (_log(-t / k) - k - 1)
        }
        // Normalized weights w_j = 1/Σ_i exp(ℓ_i − ℓ_j); negligible ones dropped.
        var weights = profile.indices.map { j in 1 / profile.reduce(0) { $0 + _exp($1 - profile[j]) } }
        let kept = weights.indices.filter { weights[$0] >= 10 * Double.ulpOfOne }
        if kept.count < weights.count {
            weights = kept.map { weights[$0] }
            theta = kept.map { theta[$0] }
            profile = kept.map { profile[$0] }
        }
        let total = weights.reduce(0, +)
        let thetaHat = zip(theta, weights).reduce(0) { $0 + $1.0 * $1.1 } / total
        let k = Self.meanLogOneMinus(thetaHat, x)
        scale = -k / thetaHat
        shape = (Double(n) * k + 10 * 0.5) / (Double(n) + 10)
    }

    /// (1/n) Σ log(1 − θ x_i).
    private static func meanLogOneMinus(_ theta: Double, _ x: [Double]) -> Double {
        x.reduce(0) { $0 + _log1p(-theta * $1) } / Double(x.count)
    }

    /// F⁻¹(p) = σ((1 − p)^{−k} − 1)/k (σ·(−log(1 − p)) as k → 0), for 0 < p < 1.
    func quantile(_ p: Double) -> Double {
        abs(shape) < Double.ulpOfOne ? -scale * _log1p(-p) : scale * _expm1(-shape * _log1p(-p)) / shape
    }
}

/// log Σ exp(x_i), stable; −∞ for an empty or all −∞ input.
func logSumExp(_ x: [Double]) -> Double {
    guard let top = x.max(), top > -.infinity else { return -.infinity }
    return top + _log(x.reduce(0) { $0 + _exp($1 - top) })
}
