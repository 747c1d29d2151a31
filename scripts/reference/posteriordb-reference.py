#!/usr/bin/env python3
"""Independent log densities of the six posteriordb targets, for Tests/TargetsTests.

For each posterior, takes three reference draws (seeded numpy choice of draw indices) and one
point made by perturbing the first draw on the unconstrained scale (seeded N(0, 0.3²) per
coordinate; for gp_pois_regr only the f_tilde coordinates, since K is numerically singular at
larger rho, condition 1e12 at rho = 10, where two float64 Cholesky factorizations disagree beyond
1e-8), maps the draws to Stan's unconstrained scale with its own inverse transforms, and
evaluates there the log density that Sources/Targets/PosteriorDB implements: the sum of the
scipy.stats log densities of every sampling statement of the Stan model (normalizing constants
included; priors on positive parameters untruncated) plus the log-Jacobian of the
unconstrained -> constrained transform (log for lower=0, scaled logit for bounded). For
gp_pois_regr the draws hold f, so f_tilde = L^-1 f with L = cholesky(K(alpha, rho) + 1e-10 I).

For gp_pois_regr it also computes the gradient at the three draws with mpmath at 50 digits (central
differences with step 1e-15, Cholesky in mpmath): float64 finite differences of this model lose
about 5 digits at the draws (K's condition number reaches 1e10), so they cannot check the analytic
gradient there to 1e-6.

Writes Tests/TargetsTests/PosteriorDBReferenceValues.swift: for every point, theta, the
constrained vector (for the first three points, the draw itself), the log density and, for the GP
draws, the gradient.

Run: python3 scripts/reference/posteriordb-reference.py [root]   (numpy, scipy, mpmath; root
defaults to /work/shared/testdata/posteriordb). Generated with numpy 2.4.6, scipy 1.17.1 and
mpmath 1.3.0.
"""
import json
import pathlib
import sys

import mpmath
import numpy as np
from scipy import special, stats

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/testdata/posteriordb")
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/TargetsTests/PosteriorDBReferenceValues.swift"


def logit(p):
    return np.log(p) - np.log1p(-p)


def lower_bound_jacobian(u):
    """log |dx/du| for x = exp(u)."""
    return u


def bounded_jacobian(u, width):
    """log |dx/du| for x = a + width * expit(u)."""
    return np.log(width) + special.log_expit(u) + special.log_expit(-u)


def regression_logp(X, y, beta, sigma):
    return stats.norm.logpdf(y, loc=X @ beta, scale=sigma).sum()


# --- the six models: (to_unconstrained(draw), log_density(theta), to_constrained(theta)) -------------

def ark(data):
    y, K = np.array(data["y"]), data["K"]
    X = np.column_stack([np.ones(len(y) - K)] + [y[K - k:len(y) - k] for k in range(1, K + 1)])
    resp = y[K:]

    def logp(theta):
        alpha, beta, sigma = theta[0], theta[1:6], np.exp(theta[6])
        return (stats.norm.logpdf(alpha, 0, 10) + stats.norm.logpdf(beta, 0, 10).sum()
                + stats.cauchy.logpdf(sigma, 0, 2.5)
                + regression_logp(X, resp, np.concatenate([[alpha], beta]), sigma)
                + lower_bound_jacobian(theta[6]))

    def unconstrain(x):
        return np.concatenate([x[:6], [np.log(x[6])]])

    def constrain(theta):
        return np.concatenate([theta[:6], [np.exp(theta[6])]])
    return unconstrain, logp, constrain


def garch(data):
    y, sigma1 = np.array(data["y"]), data["sigma1"]

    def constrain(theta):
        a1 = special.expit(theta[2])
        return np.array([theta[0], np.exp(theta[1]), a1, (1 - a1) * special.expit(theta[3])])

    def logp(theta):
        mu, a0, a1, b1 = constrain(theta)
        sigma = np.empty(len(y))
        sigma[0] = sigma1
        for t in range(1, len(y)):
            sigma[t] = np.sqrt(a0 + a1 * (y[t - 1] - mu) ** 2 + b1 * sigma[t - 1] ** 2)
        return (stats.norm.logpdf(y, mu, sigma).sum() + lower_bound_jacobian(theta[1])
                + bounded_jacobian(theta[2], 1.0) + bounded_jacobian(theta[3], 1 - a1))

    def unconstrain(x):
        mu, a0, a1, b1 = x
        return np.array([mu, np.log(a0), logit(a1), logit(b1 / (1 - a1))])
    return unconstrain, logp, constrain


def gp(data):
    x, k = np.array(data["x"], dtype=float), np.array(data["k"])

    def chol(rho, alpha):
        cov = alpha ** 2 * np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / rho ** 2) + 1e-10 * np.eye(len(x))
        return np.linalg.cholesky(cov)

    def constrain(theta):
        rho, alpha = np.exp(theta[0]), np.exp(theta[1])
        return np.concatenate([[rho, alpha], chol(rho, alpha) @ theta[2:]])

    def logp(theta):
        rho, alpha = np.exp(theta[0]), np.exp(theta[1])
        f = chol(rho, alpha) @ theta[2:]
        return (stats.gamma.logpdf(rho, a=25, scale=1 / 4) + stats.norm.logpdf(alpha, 0, 2)
                + stats.norm.logpdf(theta[2:]).sum() + stats.poisson.logpmf(k, np.exp(f)).sum()
                + lower_bound_jacobian(theta[0]) + lower_bound_jacobian(theta[1]))

    def unconstrain(v):
        rho, alpha, f = v[0], v[1], v[2:]
        return np.concatenate([[np.log(rho), np.log(alpha)], np.linalg.solve(chol(rho, alpha), f)])
    return unconstrain, logp, constrain


def gp_gradient_mpmath(data, theta):
    """The gradient of the GP log density at theta: mpmath central differences at 50 digits."""
    mpmath.mp.dps = 50
    x = [mpmath.mpf(v) for v in data["x"]]
    n = len(x)

    def logp(t):
        rho, alpha = mpmath.exp(t[0]), mpmath.exp(t[1])
        cov = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(n):
                cov[i, j] = alpha ** 2 * mpmath.exp(-(x[i] - x[j]) ** 2 / (2 * rho ** 2)) + (mpmath.mpf("1e-10") if i == j else 0)
        chol = mpmath.cholesky(cov)
        f = [mpmath.fsum(chol[i, j] * t[2 + j] for j in range(i + 1)) for i in range(n)]
        value = mpmath.fsum(k * fi - mpmath.exp(fi) for k, fi in zip(data["k"], f))
        return value + 24 * t[0] - 4 * rho - alpha ** 2 / 8 - mpmath.fsum(z * z for z in t[2:]) / 2 + t[0] + t[1]

    point = [mpmath.mpf(repr(float(v))) for v in theta]
    step = mpmath.mpf("1e-15")
    gradient = []
    for c in range(len(point)):
        plus, minus = list(point), list(point)
        plus[c] += step
        minus[c] -= step
        gradient.append(float((logp(plus) - logp(minus)) / (2 * step)))
    return gradient


def kilpisjarvi(data):
    x, y = np.array(data["x"], dtype=float), np.array(data["y"])

    def logp(theta):
        alpha, beta, sigma = theta[0], theta[1], np.exp(theta[2])
        return (stats.norm.logpdf(alpha, data["pmualpha"], data["psalpha"])
                + stats.norm.logpdf(beta, data["pmubeta"], data["psbeta"])
                + stats.norm.logpdf(y, alpha + beta * x, sigma).sum() + lower_bound_jacobian(theta[2]))

    def unconstrain(v):
        return np.array([v[0], v[1], np.log(v[2])])

    def constrain(theta):
        return np.array([theta[0], theta[1], np.exp(theta[2])])
    return unconstrain, logp, constrain


def nes(data):
    age = np.array(data["age_discrete"])
    X = np.column_stack([np.ones(data["N"]), data["real_ideo"], data["race_adj"], age == 2, age == 3, age == 4,
                         data["educ1"], data["gender"], data["income"]]).astype(float)
    y = np.array(data["partyid7"], dtype=float)

    def logp(theta):
        return regression_logp(X, y, theta[:9], np.exp(theta[9])) + lower_bound_jacobian(theta[9])

    def unconstrain(v):
        return np.concatenate([v[:9], [np.log(v[9])]])

    def constrain(theta):
        return np.concatenate([theta[:9], [np.exp(theta[9])]])
    return unconstrain, logp, constrain


def blr(data):
    X, y = np.array(data["X"]), np.array(data["y"])

    def logp(theta):
        beta, sigma = theta[:5], np.exp(theta[5])
        return (stats.norm.logpdf(beta, 0, 10).sum() + stats.norm.logpdf(sigma, 0, 10)
                + regression_logp(X, y, beta, sigma) + lower_bound_jacobian(theta[5]))

    def unconstrain(v):
        return np.concatenate([v[:5], [np.log(v[5])]])

    def constrain(theta):
        return np.concatenate([theta[:5], [np.exp(theta[5])]])
    return unconstrain, logp, constrain


MODELS = [("arK-arK", "ArKTarget()", ark), ("garch-garch11", "Garch11Target()", garch),
          ("gp_pois_regr-gp_pois_regr", "GPPoissonRegressionTarget()", gp),
          ("kilpisjarvi_mod-kilpisjarvi", "KilpisjarviTarget()", kilpisjarvi),
          ("nes2000-nes", "NESTarget()", nes), ("sblrc-blr", "BLRTarget()", blr)]


def swift_array(values):
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def main():
    rng = np.random.default_rng(20260412)
    lines = ["// Generated by scripts/reference/posteriordb-reference.py; do not edit by hand.",
             "// Log densities computed independently with numpy/scipy (scipy.stats logpdfs, the script's own",
             "// Stan transforms) at three posteriordb reference draws and one perturbed point per posterior.",
             "",
             "import Targets",
             "import Testing",
             "",
             "/// One evaluation point: θ (unconstrained), the constrained parameters there, and log p(θ).",
             "struct PosteriorDBReferencePoint: Sendable {",
             "    let theta: [Double]",
             "    let constrained: [Double]",
             "    let logDensity: Double",
             "    /// The gradient at θ (gp_pois_regr's draws only, from mpmath); nil elsewhere.",
             "    let gradient: [Double]?",
             "}",
             "",
             "/// A target with its reference points.",
             "struct PosteriorDBReferenceCase: Sendable, CustomTestStringConvertible {",
             "    let target: any PosteriorDBTarget",
             "    let points: [PosteriorDBReferencePoint]",
             "    var testDescription: String { target.name }",
             "}",
             "",
             "/// The reference values of the six posteriors.",
             "let posteriorDBReferenceCases: [PosteriorDBReferenceCase] = ["]
    for name, constructor, model in MODELS:
        data = json.loads((ROOT / name / "data.json").read_text())
        reference = json.loads((ROOT / name / "reference.json").read_text())
        draws = np.column_stack([reference["draws"][p] for p in reference["parameter_names"]])
        unconstrain, logp, constrain = model(data)
        chosen = rng.choice(len(draws), size=3, replace=False)
        thetas = [unconstrain(draws[i]) for i in chosen]
        noise = 0.3 * rng.standard_normal(len(thetas[0]))
        if model is gp:
            noise[:2] = 0
        thetas.append(thetas[0] + noise)
        constrained = [draws[i] for i in chosen] + [constrain(thetas[3])]
        for theta, value in zip(thetas[:3], constrained[:3]):
            assert np.allclose(constrain(theta), value, rtol=1e-9, atol=1e-12), name
        lines.append(f"    PosteriorDBReferenceCase(target: {constructor}, points: [")
        for index, (theta, value) in enumerate(zip(thetas, constrained)):
            gradient = swift_array(gp_gradient_mpmath(data, theta)) if model is gp and index < 3 else "nil"
            lines.append(f"        PosteriorDBReferencePoint(theta: {swift_array(theta)},")
            lines.append(f"                                  constrained: {swift_array(value)},")
            lines.append(f"                                  logDensity: {repr(float(logp(theta)))},")
            lines.append(f"                                  gradient: {gradient}),")
        lines.append("    ]),")
    lines.append("]")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
