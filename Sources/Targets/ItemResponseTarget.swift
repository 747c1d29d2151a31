import Foundation
import VariationalInference

/// A hierarchical two-parameter logistic (2PL) item-response model (algorithm.md §8 E6; the structure
/// of posteriordb's `irt_2pl`, with half-normal hyper-priors). J students answer I items.
///
/// Unconstrained parameters, D = J + 2I + 4, in this order:
/// x = (θ₁…θ_J, α₁…α_I, b₁…b_I, μ_b, u_θ, u_a, u_b), abilities θ, log-discriminations αᵢ = log aᵢ,
/// difficulties b, mean difficulty μ_b, and log-scales u_θ = log σ_θ, u_a = log σ_a, u_b = log σ_b.
/// Model:
///
///     σ_θ ~ HalfNormal(1), σ_a ~ HalfNormal(0.5), σ_b ~ HalfNormal(1), μ_b ~ N(0, 1),
///     θⱼ ~ N(0, σ_θ²), αᵢ ~ N(0, σ_a²) (aᵢ ~ LogNormal(0, σ_a²)), bᵢ ~ N(μ_b, σ_b²),
///     y_ji ~ Bernoulli(logit⁻¹(η_ji)),  η_ji = aᵢ(θⱼ − bᵢ).
///
/// `logDensity` is the log joint log p(y, x), all normalizing constants included, with the
/// log-Jacobian u of each σ = e^u:
///
///     Σⱼ log N(θⱼ; 0, σ_θ²) + Σᵢ log N(αᵢ; 0, σ_a²) + Σᵢ log N(bᵢ; μ_b, σ_b²) + log N(μ_b; 0, 1)
///     + Σ_{k ∈ {θ,a,b}} [ log HalfNormal(σ_k; s_k) + u_k ] + Σ_ji [ y_ji·η_ji − softplus(η_ji) ].
///
/// With r_ji = y_ji − logit⁻¹(η_ji) the score is
/// ∂/∂θⱼ = Σᵢ r_ji·aᵢ − θⱼ/σ_θ²; ∂/∂αᵢ = Σⱼ r_ji·η_ji − αᵢ/σ_a²; ∂/∂bᵢ = −aᵢ·Σⱼ r_ji − (bᵢ − μ_b)/σ_b²;
/// ∂/∂μ_b = Σᵢ (bᵢ − μ_b)/σ_b² − μ_b; ∂/∂u_θ = Σⱼ θⱼ²/σ_θ² − J − σ_θ²/s_θ² + 1, and likewise for u_a
/// (sum over αᵢ², count I) and u_b (sum over (bᵢ − μ_b)², count I). Softplus and logit⁻¹ use one
/// exp(−|η|) each, so no intermediate overflows. Cost O(J·I) per evaluation, memory J·I bytes.
/// Immutable, so batches of scores are evaluated concurrently (`ConcurrentLogDensityModel`).
public struct ItemResponseTarget: ConcurrentLogDensityModel {
    /// The prior scale s_θ of the half-normal prior on σ_θ.
    public static let abilityScalePrior = 1.0
    /// The prior scale s_a of the half-normal prior on σ_a.
    public static let discriminationScalePrior = 0.5
    /// The prior scale s_b of the half-normal prior on σ_b.
    public static let difficultyScalePrior = 1.0
    /// The standard deviation of the normal prior on μ_b.
    public static let meanDifficultyPrior = 1.0

    /// J, the number of students.
    public let students: Int
    /// I, the number of items.
    public let items: Int
    /// The responses y_ji (true = correct), row-major J×I: y_ji is at index j·I + i.
    public let responses: [Bool]
    /// For synthetic data, the parameter vector (layout as above, length D) that generated the
    /// responses; nil for data given to `init`.
    public let trueParameters: [Double]?
    private let normalization: Double

    /// The posterior for observed responses (row-major J×I, y_ji at index j·I + i).
    /// - Throws: `VariationalInferenceError.invalidArgument` for J < 1 or I < 1,
    ///   `.dimensionMismatch` if `responses` does not have J·I entries.
    public init(students: Int, items: Int, responses: [Bool]) throws {
        try self.init(students: students, items: items, responses: responses, trueParameters: nil)
    }

    private init(students: Int, items: Int, responses: [Bool], trueParameters: [Double]?) throws {
        guard students >= 1, items >= 1 else {
            throw VariationalInferenceError.invalidArgument("IRT target needs J ≥ 1 students and I ≥ 1 items, got J = \(students), I = \(items)")
        }
        guard responses.count == students * items else {
            throw VariationalInferenceError.dimensionMismatch(what: "responses", expected: students * items, actual: responses.count)
        }
        self.students = students
        self.items = items
        self.responses = responses
        self.trueParameters = trueParameters
        let halfLogTwoPi = 0.5 * log(2 * Double.pi)
        let halfNormals = [Self.abilityScalePrior, Self.discriminationScalePrior, Self.difficultyScalePrior]
            .reduce(0.0) { $0 + log(2) - log($1) - halfLogTwoPi }
        normalization = -Double(students + 2 * items + 1) * halfLogTwoPi - log(Self.meanDifficultyPrior) + halfNormals
    }

    /// Synthetic data from the prior. Draw order from `generator` (`nextStandardNormal` unless stated):
    /// σ_θ = s_θ|n|, σ_a = s_a|n|, σ_b = s_b|n|, μ_b = n; then θⱼ = σ_θ·n for j = 1…J; αᵢ = σ_a·n for
    /// i = 1…I; bᵢ = μ_b + σ_b·n for i = 1…I; then, row by row (j outer, i inner), one `nextUniform` u
    /// per response with y_ji = (u < logit⁻¹(η_ji)). Defaults J = 1,800 and I = 98 give D = 2,000.
    /// Cost O(J·I).
    /// - Throws: `VariationalInferenceError.invalidArgument` for J < 1 or I < 1.
    public static func synthetic(students: Int = 1_800, items: Int = 98,
                                 using generator: inout Xoshiro256StarStar) throws -> ItemResponseTarget {
        guard students >= 1, items >= 1 else {
            throw VariationalInferenceError.invalidArgument("IRT target needs J ≥ 1 students and I ≥ 1 items, got J = \(students), I = \(items)")
        }
        let sigmaTheta = abilityScalePrior * abs(generator.nextStandardNormal())
        let sigmaA = discriminationScalePrior * abs(generator.nextStandardNormal())
        let sigmaB = difficultyScalePrior * abs(generator.nextStandardNormal())
        let muB = meanDifficultyPrior * generator.nextStandardNormal()
        let theta = generator.standardNormals(students).map { sigmaTheta * $0 }
        let alpha = generator.standardNormals(items).map { sigmaA * $0 }
        let b = generator.standardNormals(items).map { muB + sigmaB * $0 }
        var responses = [Bool]()
        responses.reserveCapacity(students * items)
        for j in 0..<students {
            for i in 0..<items {
                let eta = exp(alpha[i]) * (theta[j] - b[i])
                responses.append(generator.nextUniform() < logistic(eta, expNegativeAbs: exp(-abs(eta))))
            }
        }
        let truth = theta + alpha + b + [muB, log(sigmaTheta), log(sigmaA), log(sigmaB)]
        return try ItemResponseTarget(students: students, items: items, responses: responses, trueParameters: truth)
    }

    /// The dimension D = J + 2I + 4.
    public var dimension: Int { students + 2 * items + 4 }

    /// log p(y, x) (formula in the type's documentation). Cost O(J·I).
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a wrong-length x; a recoverable
    ///   `ModelError` if some αᵢ > 700 (aᵢ overflows) or the value is not finite.
    public func logDensity(at x: [Double]) throws -> Double {
        var unused = [Double]()
        return try evaluate(x, gradient: &unused, wantsGradient: false)
    }

    /// log p(y, x) and its score (formulas in the type's documentation). Cost O(J·I).
    /// Throws as `logDensity(at:)`, also when a score entry is not finite.
    public func logDensityAndGradient(at x: [Double], gradient: inout [Double]) throws -> Double {
        try evaluate(x, gradient: &gradient, wantsGradient: true)
    }

    private func evaluate(_ x: [Double], gradient: inout [Double], wantsGradient: Bool) throws -> Double {
        try checkPoint(x, dimension: dimension)
        let nJ = students, nI = items
        let alphaStart = nJ, bStart = nJ + nI, hyper = nJ + 2 * nI
        if let i = (alphaStart..<bStart).first(where: { !(x[$0] <= maximumExponent) }) {
            throw ModelError("IRT: discrimination exp(α) overflows or is NaN at item \(i - alphaStart) (α = \(x[i]))")
        }
        let muB = x[hyper]
        let logSigmas = [x[hyper + 1], x[hyper + 2], x[hyper + 3]]
        let precisions = logSigmas.map { exp(-2 * $0) }
        let a = (0..<nI).map { exp(x[alphaStart + $0]) }
        if wantsGradient {
            if gradient.count != x.count { gradient = [Double](repeating: 0, count: x.count) }
            for k in 0..<gradient.count { gradient[k] = 0 }
        }
        var logLikelihood = 0.0
        x.withUnsafeBufferPointer { px in
            gradient.withUnsafeMutableBufferPointer { pg in
                for j in 0..<nJ {
                    let theta = px[j]
                    var thetaScore = 0.0
                    for i in 0..<nI {
                        let eta = a[i] * (theta - px[bStart + i])
                        let e = exp(-abs(eta))
                        let y = responses[j * nI + i]
                        logLikelihood += (y ? eta : 0) - (Swift.max(eta, 0) + log1p(e))
                        if wantsGradient {
                            let residual = (y ? 1 : 0) - Self.logistic(eta, expNegativeAbs: e)
                            thetaScore += residual * a[i]
                            pg[alphaStart + i] += residual * eta
                            pg[bStart + i] += residual
                        }
                    }
                    if wantsGradient { pg[j] = thetaScore }
                }
            }
        }
        let sums = [
            (0..<nJ).reduce(0.0) { $0 + x[$1] * x[$1] },
            (alphaStart..<bStart).reduce(0.0) { $0 + x[$1] * x[$1] },
            (bStart..<hyper).reduce(0.0) { $0 + (x[$1] - muB) * (x[$1] - muB) },
        ]
        let counts = [Double(nJ), Double(nI), Double(nI)]
        let hyperScales = [Self.abilityScalePrior, Self.discriminationScalePrior, Self.difficultyScalePrior]
        let muScale2 = Self.meanDifficultyPrior * Self.meanDifficultyPrior
        var value = normalization + logLikelihood - 0.5 * muB * muB / muScale2
        for k in 0..<3 {
            let variance = exp(2 * logSigmas[k]) / (hyperScales[k] * hyperScales[k])
            value += -0.5 * sums[k] * precisions[k] - counts[k] * logSigmas[k] - 0.5 * variance + logSigmas[k]
        }
        if wantsGradient {
            for j in 0..<nJ { gradient[j] -= x[j] * precisions[0] }
            var difficultyResiduals = 0.0
            for i in 0..<nI {
                gradient[alphaStart + i] -= x[alphaStart + i] * precisions[1]
                gradient[bStart + i] = -a[i] * gradient[bStart + i] - (x[bStart + i] - muB) * precisions[2]
                difficultyResiduals += x[bStart + i] - muB
            }
            gradient[hyper] = difficultyResiduals * precisions[2] - muB / muScale2
            for k in 0..<3 {
                let variance = exp(2 * logSigmas[k]) / (hyperScales[k] * hyperScales[k])
                gradient[hyper + 1 + k] = sums[k] * precisions[k] - counts[k] - variance + 1
            }
            guard gradient.allSatisfy(\.isFinite) else { throw ModelError("IRT score is not finite") }
        }
        return try finiteValue(value, "IRT log-density")
    }

    /// logit⁻¹(η) = 1/(1 + e^{−η}), from η and e = e^{−|η|}, so that it never overflows.
    private static func logistic(_ eta: Double, expNegativeAbs e: Double) -> Double {
        eta >= 0 ? 1 / (1 + e) : e / (1 + e)
    }
}
