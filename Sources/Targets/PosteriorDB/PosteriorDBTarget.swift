import Foundation
import VariationalInference

/// A posterior from posteriordb (github.com/stan-dev/posteriordb) on Stan's unconstrained scale,
/// with the summaries of its reference draws.
///
/// `logDensity` is the Stan model's log density on the unconstrained scale θ ∈ R^D: every sampling
/// statement's full log density (normalizing constants included, as `scipy.stats` computes them; a
/// prior on a positive parameter is the untruncated density, as Stan's `~` writes it) plus the
/// log-Jacobian of Stan's transform from θ to the constrained parameters: x = e^θ (log-Jacobian θ)
/// for `<lower=0>`, x = a + (b − a)·logistic(θ) (log-Jacobian log(b − a) + log logistic(θ) +
/// log(1 − logistic(θ))) for `<lower=a, upper=b>`. The coordinates of θ follow the Stan program's
/// parameter declarations.
public protocol PosteriorDBTarget: LogDensityModel, Sendable {
    /// posteriordb's name of the posterior, `<data>-<model>` (e.g. "arK-arK").
    var name: String { get }
    /// The constrained parameters' names, in the order of the reference draws (and of
    /// ``constrained(_:)``).
    var parameterNames: [String] { get }
    /// The reference posterior mean of each constrained parameter (posteriordb's 10,000 NUTS draws),
    /// in `parameterNames` order.
    var referenceMean: [Double] { get }
    /// The reference posterior standard deviation (denominator n − 1) of each constrained parameter,
    /// in `parameterNames` order.
    var referenceSD: [Double] { get }
    /// The bulk effective sample size of each constrained parameter's reference draws (Stan's
    /// rank-normalized estimate, from posteriordb's info file; 9,240–10,495 for the six posteriors),
    /// in `parameterNames` order. A reference mean's Monte Carlo standard error is about
    /// `referenceSD[j] / √referenceBulkESS[j]`, about 0.01 sd here: standardized mean errors below
    /// that size are not resolved by the reference.
    var referenceBulkESS: [Double] { get }

    /// The constrained parameters (in `parameterNames` order) at an unconstrained point θ of length D.
    /// - Throws: `VariationalInferenceError.dimensionMismatch` when θ does not have length D; a
    ///   recoverable `ModelError` when a transform overflows or (GP) the covariance is not positive
    ///   definite.
    func constrained(_ theta: [Double]) throws -> [Double]
}

/// The six posteriordb posteriors embedded in this package.
///
/// The data were copied from posteriordb at commit ``commit`` (BSD 3-Clause License, Copyright (c)
/// 2011-2024, Stan Developers and their Assignees), by `scripts/reference/posteriordb-export.py`.
public enum PosteriorDB {
    /// The posteriordb commit the data and reference draws come from.
    public static var commit: String { PosteriorDBData.commit }

    /// All six targets, smallest D first within each kind: kilpisjarvi (D = 3), garch11 (4),
    /// blr (6), arK (7), nes (10), gp_pois_regr (13). Building them costs O(data) and cannot fail.
    public static var all: [any PosteriorDBTarget] {
        [KilpisjarviTarget(), Garch11Target(), BLRTarget(), ArKTarget(), NESTarget(),
         GPPoissonRegressionTarget()]
    }
}

/// log(1 + eˣ) without overflow.
func softplus(_ x: Double) -> Double {
    max(x, 0) + log1p(exp(-abs(x)))
}

/// 1/(1 + e⁻ˣ) without overflow.
func logistic(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

/// e^θ for Stan's `<lower=0>` transform; throws a recoverable `ModelError` naming `what` when the
/// result would overflow (θ > ``maximumExponent``) or is 0.
func positive(_ theta: Double, _ what: String) throws -> Double {
    guard theta <= maximumExponent else { throw ModelError("\(what) = exp(\(theta)) overflows") }
    let value = exp(theta)
    guard value > 0 else { throw ModelError("\(what) = exp(\(theta)) underflows to 0") }
    return value
}
