import Foundation
import VariationalInference

// The four posteriordb regressions y ~ normal(X·β, σ), each a thin wrapper of
// `GaussianLinearRegressionDensity` with its design and priors.

/// posteriordb's `arK-arK`: an AR(5) model of a simulated series y₁, …, y₂₀₀ (Stan's
/// stat_comp_benchmarks), model `arK.stan`:
///
///     α ~ normal(0, 10),  βₖ ~ normal(0, 10),  σ ~ cauchy(0, 2.5),  σ > 0,
///     y_t ~ normal(α + Σₖ βₖ·y_{t−k}, σ),  t = 6, …, 200,
///
/// on θ = (α, β₁, …, β₅, log σ) (D = 7). Value and gradient cost ≈ 4·195·6 flops. Immutable.
public struct ArKTarget: PosteriorDBTarget {
    /// posteriordb's name of the posterior.
    public let name = "arK-arK"
    /// `alpha`, `beta[1]` … `beta[5]`, `sigma`.
    public var parameterNames: [String] { PosteriorDBData.ArK.parameterNames }
    /// The reference posterior means, in `parameterNames` order.
    public var referenceMean: [Double] { PosteriorDBData.ArK.referenceMean }
    /// The reference posterior standard deviations, in `parameterNames` order.
    public var referenceSD: [Double] { PosteriorDBData.ArK.referenceSD }
    /// Bulk effective sample sizes of the reference draws, in `parameterNames` order.
    public var referenceBulkESS: [Double] { PosteriorDBData.ArK.referenceBulkESS }
    /// The shared regression density with this posterior's design and priors.
    let density: GaussianLinearRegressionDensity

    /// The posterior with the embedded data: the design's row for y_t is (1, y_{t−1}, …, y_{t−5}).
    public init() {
        let y = PosteriorDBData.ArK.y, k = PosteriorDBData.ArK.k
        var design = [Double]()
        for t in k..<y.count { design += [1] + (1...k).map { y[t - $0] } }
        density = GaussianLinearRegressionDensity(
            design: design, response: Array(y[k...]), coefficients: k + 1,
            coefficientPrior: Array(repeating: (mean: 0, sd: 10), count: k + 1), scalePrior: .cauchy(scale: 2.5))
    }

    /// D = 7: θ = (α, β₁, …, β₅, log σ).
    public var dimension: Int { density.dimension }

    /// The log density at θ (see ``PosteriorDBTarget``). Cost ≈ 4·195·6 flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length 7; a
    ///   recoverable `ModelError` when σ = e^θ_7 over- or underflows or the value is not finite.
    public func logDensity(at theta: [Double]) throws -> Double {
        var gradient = [Double]()
        return try density.logDensityAndGradient(at: theta, gradient: &gradient, name: name)
    }

    /// The log density at θ and its gradient (written into `gradient`, resized to 7 if needed).
    /// Cost ≈ 4·195·6 flops.
    /// - Throws: as ``logDensity(at:)``, and a recoverable `ModelError` for a non-finite gradient.
    public func logDensityAndGradient(at theta: [Double], gradient: inout [Double]) throws -> Double {
        try density.logDensityAndGradient(at: theta, gradient: &gradient, name: name)
    }

    /// (α, β₁, …, β₅, σ) at θ, σ = e^θ_7.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a length other than 7; a recoverable
    ///   `ModelError` when σ over- or underflows.
    public func constrained(_ theta: [Double]) throws -> [Double] {
        try density.constrained(theta, name: name)
    }
}

/// posteriordb's `kilpisjarvi_mod-kilpisjarvi`: a linear trend in the Kilpisjärvi (Finland) average
/// summer temperature 1952–2013 (Finnish Meteorological Institute), model `kilpisjarvi.stan`:
///
///     α ~ normal(9.3129…, 100),  β ~ normal(0, 0.0333…),  σ > 0 flat,
///     yᵢ ~ normal(α + β·xᵢ, σ),  i = 1, …, 62,
///
/// with xᵢ the year shifted by +2000 (3952, …, 4013), which makes α and β correlated −0.99999
/// a posteriori. θ = (α, β, log σ) (D = 3). Value and gradient cost ≈ 8·62 flops. Immutable.
public struct KilpisjarviTarget: PosteriorDBTarget {
    /// posteriordb's name of the posterior.
    public let name = "kilpisjarvi_mod-kilpisjarvi"
    /// `alpha`, `beta`, `sigma`.
    public var parameterNames: [String] { PosteriorDBData.Kilpisjarvi.parameterNames }
    /// The reference posterior means, in `parameterNames` order.
    public var referenceMean: [Double] { PosteriorDBData.Kilpisjarvi.referenceMean }
    /// The reference posterior standard deviations, in `parameterNames` order.
    public var referenceSD: [Double] { PosteriorDBData.Kilpisjarvi.referenceSD }
    /// Bulk effective sample sizes of the reference draws, in `parameterNames` order.
    public var referenceBulkESS: [Double] { PosteriorDBData.Kilpisjarvi.referenceBulkESS }
    /// The shared regression density with this posterior's design and priors.
    let density: GaussianLinearRegressionDensity

    /// The posterior with the embedded data: the design's row i is (1, xᵢ).
    public init() {
        let data = PosteriorDBData.Kilpisjarvi.self
        density = GaussianLinearRegressionDensity(
            design: data.x.flatMap { [1, $0] }, response: data.y, coefficients: 2,
            coefficientPrior: [(mean: data.pmualpha, sd: data.psalpha), (mean: data.pmubeta, sd: data.psbeta)],
            scalePrior: .flat)
    }

    /// D = 3: θ = (α, β, log σ).
    public var dimension: Int { density.dimension }

    /// The log density at θ (see ``PosteriorDBTarget``). Cost ≈ 8·62 flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length 3; a
    ///   recoverable `ModelError` when σ = e^θ_3 over- or underflows or the value is not finite.
    public func logDensity(at theta: [Double]) throws -> Double {
        var gradient = [Double]()
        return try density.logDensityAndGradient(at: theta, gradient: &gradient, name: name)
    }

    /// The log density at θ and its gradient (written into `gradient`, resized to 3 if needed).
    /// Cost ≈ 8·62 flops.
    /// - Throws: as ``logDensity(at:)``, and a recoverable `ModelError` for a non-finite gradient.
    public func logDensityAndGradient(at theta: [Double], gradient: inout [Double]) throws -> Double {
        try density.logDensityAndGradient(at: theta, gradient: &gradient, name: name)
    }

    /// (α, β, σ) at θ, σ = e^θ_3.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a length other than 3; a recoverable
    ///   `ModelError` when σ over- or underflows.
    public func constrained(_ theta: [Double]) throws -> [Double] {
        try density.constrained(theta, name: name)
    }
}

/// posteriordb's `nes2000-nes`: party identification of the 476 respondents of the 2000 National
/// Election Study (Gelman & Hill, ch. 4), model `nes.stan`, with flat priors:
///
///     partyid7ᵢ ~ normal(β₁ + β₂·real_ideoᵢ + β₃·race_adjᵢ + β₄·[ageᵢ = 2] + β₅·[ageᵢ = 3]
///                        + β₆·[ageᵢ = 4] + β₇·educ1ᵢ + β₈·genderᵢ + β₉·incomeᵢ, σ),  σ > 0,
///
/// where ageᵢ is `age_discrete` (1…4; the indicators are the Stan program's transformed data).
/// θ = (β₁, …, β₉, log σ) (D = 10). Value and gradient cost ≈ 4·476·9 flops. Immutable.
public struct NESTarget: PosteriorDBTarget {
    /// posteriordb's name of the posterior.
    public let name = "nes2000-nes"
    /// `beta[1]` … `beta[9]`, `sigma`.
    public var parameterNames: [String] { PosteriorDBData.NES2000.parameterNames }
    /// The reference posterior means, in `parameterNames` order.
    public var referenceMean: [Double] { PosteriorDBData.NES2000.referenceMean }
    /// The reference posterior standard deviations, in `parameterNames` order.
    public var referenceSD: [Double] { PosteriorDBData.NES2000.referenceSD }
    /// Bulk effective sample sizes of the reference draws, in `parameterNames` order.
    public var referenceBulkESS: [Double] { PosteriorDBData.NES2000.referenceBulkESS }
    /// The shared regression density with this posterior's design and priors.
    let density: GaussianLinearRegressionDensity

    /// The posterior with the embedded data, the design built as the Stan program's transformed data.
    public init() {
        let data = PosteriorDBData.NES2000.self
        var design = [Double]()
        for i in data.partyid7.indices {
            let age = data.ageDiscrete[i]
            design += [1, data.realIdeo[i], data.raceAdj[i], age == 2 ? 1 : 0, age == 3 ? 1 : 0, age == 4 ? 1 : 0,
                       data.educ1[i], data.gender[i], data.income[i]]
        }
        density = GaussianLinearRegressionDensity(design: design, response: data.partyid7, coefficients: 9,
                                                  coefficientPrior: nil, scalePrior: .flat)
    }

    /// D = 10: θ = (β₁, …, β₉, log σ).
    public var dimension: Int { density.dimension }

    /// The log density at θ (see ``PosteriorDBTarget``). Cost ≈ 4·476·9 flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length 10; a
    ///   recoverable `ModelError` when σ = e^θ_10 over- or underflows or the value is not finite.
    public func logDensity(at theta: [Double]) throws -> Double {
        var gradient = [Double]()
        return try density.logDensityAndGradient(at: theta, gradient: &gradient, name: name)
    }

    /// The log density at θ and its gradient (written into `gradient`, resized to 10 if needed).
    /// Cost ≈ 4·476·9 flops.
    /// - Throws: as ``logDensity(at:)``, and a recoverable `ModelError` for a non-finite gradient.
    public func logDensityAndGradient(at theta: [Double], gradient: inout [Double]) throws -> Double {
        try density.logDensityAndGradient(at: theta, gradient: &gradient, name: name)
    }

    /// (β₁, …, β₉, σ) at θ, σ = e^θ_10.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a length other than 10; a recoverable
    ///   `ModelError` when σ over- or underflows.
    public func constrained(_ theta: [Double]) throws -> [Double] {
        try density.constrained(theta, name: name)
    }
}

/// posteriordb's `sblrc-blr`: a Bayesian linear regression with vague priors on simulated data
/// (N = 100, 5 predictors; true β and σ are 1, the βs strongly correlated and tight a posteriori,
/// sd ≈ 0.001 against σ's 0.077), model `blr.stan`:
///
///     βⱼ ~ normal(0, 10),  σ ~ normal(0, 10),  σ > 0,  y ~ normal(X·β, σ),
///
/// on θ = (β₁, …, β₅, log σ) (D = 6). Value and gradient cost ≈ 4·100·5 flops. Immutable.
public struct BLRTarget: PosteriorDBTarget {
    /// posteriordb's name of the posterior.
    public let name = "sblrc-blr"
    /// `beta[1]` … `beta[5]`, `sigma`.
    public var parameterNames: [String] { PosteriorDBData.SBLRC.parameterNames }
    /// The reference posterior means, in `parameterNames` order.
    public var referenceMean: [Double] { PosteriorDBData.SBLRC.referenceMean }
    /// The reference posterior standard deviations, in `parameterNames` order.
    public var referenceSD: [Double] { PosteriorDBData.SBLRC.referenceSD }
    /// Bulk effective sample sizes of the reference draws, in `parameterNames` order.
    public var referenceBulkESS: [Double] { PosteriorDBData.SBLRC.referenceBulkESS }
    /// The shared regression density with this posterior's design and priors.
    let density: GaussianLinearRegressionDensity

    /// The posterior with the embedded data.
    public init() {
        let data = PosteriorDBData.SBLRC.self
        density = GaussianLinearRegressionDensity(
            design: data.x, response: data.y, coefficients: 5,
            coefficientPrior: Array(repeating: (mean: 0, sd: 10), count: 5), scalePrior: .normal(scale: 10))
    }

    /// D = 6: θ = (β₁, …, β₅, log σ).
    public var dimension: Int { density.dimension }

    /// The log density at θ (see ``PosteriorDBTarget``). Cost ≈ 4·100·5 flops.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length 6; a
    ///   recoverable `ModelError` when σ = e^θ_6 over- or underflows or the value is not finite.
    public func logDensity(at theta: [Double]) throws -> Double {
        var gradient = [Double]()
        return try density.logDensityAndGradient(at: theta, gradient: &gradient, name: name)
    }

    /// The log density at θ and its gradient (written into `gradient`, resized to 6 if needed).
    /// Cost ≈ 4·100·5 flops.
    /// - Throws: as ``logDensity(at:)``, and a recoverable `ModelError` for a non-finite gradient.
    public func logDensityAndGradient(at theta: [Double], gradient: inout [Double]) throws -> Double {
        try density.logDensityAndGradient(at: theta, gradient: &gradient, name: name)
    }

    /// (β₁, …, β₅, σ) at θ, σ = e^θ_6.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` for a length other than 6; a recoverable
    ///   `ModelError` when σ over- or underflows.
    public func constrained(_ theta: [Double]) throws -> [Double] {
        try density.constrained(theta, name: name)
    }
}
