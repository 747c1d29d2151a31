import LowRankLinalg

/// Per-coordinate marginals of a fitted Gaussian q: mean, sd and the 5%, 50% and 95% quantiles
/// (exact for q's Gaussian marginals), with optional names. Printing shows at most 12 rows at any
/// D — the first and last coordinates and those with the largest sd — so it can be printed for
/// D = 10⁶. Cost O(D) plus q's `marginalVariances`.
public struct FitSummary: Sendable, CustomStringConvertible {
    /// Coordinate names (length D), or nil for "x[i]".
    public var names: [String]?
    /// μ (length D).
    public var mean: [Double]
    /// √diag(Σ) (length D).
    public var standardDeviation: [Double]

    /// The summary of q.
    /// - Throws: `.dimensionMismatch` when `names` has another length than D.
    public init(_ q: some GaussianApproximation, names: [String]? = nil) throws {
        if let names { try requireDimension(names.count, q.dimension, "FitSummary names") }
        self.names = names
        mean = q.mean
        standardDeviation = q.marginalVariances.map { $0.squareRoot() }
    }

    /// The `probability` quantile of coordinate i: μ_i + σ_i·Φ⁻¹(p).
    /// - Throws: `.invalidArgument` for p outside (0, 1).
    public func quantile(_ probability: Double, coordinate i: Int) throws -> Double {
        try require(probability > 0 && probability < 1, "quantile probability must be in (0, 1), got \(probability)")
        return mean[i] + standardDeviation[i] * standardNormalQuantile(probability)
    }

    /// A table of at most 12 coordinates: the first 5, the last 3 and the 4 with the largest sd
    /// (fewer rows when D is small), with mean, sd, 5%, 50%, 95%.
    public var description: String {
        let d = mean.count
        var rows = Array(0..<Swift.min(d, 5))
        rows += (Swift.max(Swift.min(5, d), d - 3)..<d).filter { !rows.contains($0) }
        let widest = standardDeviation.indices.sorted { standardDeviation[$0] > standardDeviation[$1] }
        rows += widest.prefix(4).filter { !rows.contains($0) }
        rows.sort()
        let z = standardNormalQuantile(0.95)
        var lines = ["D = \(d)" + (d > rows.count ? ", \(rows.count) rows shown (first, last, widest)" : ""),
                     pad("", 14) + pad("mean", 12) + pad("sd", 12) + pad("5%", 12) + pad("50%", 12) + pad("95%", 12)]
        for i in rows {
            let name = names?[i] ?? "x[\(i)]"
            let m = mean[i], s = standardDeviation[i]
            lines.append(pad(String(name.prefix(13)), 14) + [m, s, m - z * s, m, m + z * s].map { pad(rounded($0, 4), 12) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// Φ⁻¹(p) for 0 < p < 1: Acklam's rational approximation (relative error 1e-9) refined by one Halley
/// step on erfc, to about 1e-15.
func standardNormalQuantile(_ p: Double) -> Double {
    let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
             -3.066479806614716e+01, 2.506628277459239e+00]
    let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
             -1.328068155288572e+01]
    let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
             4.374664141464968e+00, 2.938163982698783e+00]
    let e = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    let low = 0.02425
    var x: Double
    if p < low {
        let q = (-2 * _log(p)).squareRoot()
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((e[0] * q + e[1]) * q + e[2]) * q + e[3]) * q + 1)
    } else if p <= 1 - low {
        let q = p - 0.5, r = q * q
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    } else {
        let q = (-2 * _log(1 - p)).squareRoot()
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((e[0] * q + e[1]) * q + e[2]) * q + e[3]) * q + 1)
    }
    let error = 0.5 * _erfc(-x / 2.0.squareRoot()) - p
    let u = error * (2 * Double.pi).squareRoot() * _exp(x * x / 2)
    x -= u / (1 + x * u / 2)
    return x
}
