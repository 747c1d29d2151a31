#!/usr/bin/env python3
"""High-precision reference for pBaM's match at large learning rates.

Writes Tests/VariationalInferenceTests/Resources/match-high-precision.json: for a few seeded inputs
(current q = N(mu, diag(psi) + Lambda Lambda^T), a batch X from q, scores G = -A(X - m) of an
ill-conditioned Gaussian target, learning rate lam up to 1e6*B*D), the BaM covariance S, log det S
and the pre-patch mean, evaluated from the float64 inputs (taken as exact) by the dense closed form
of algorithm.md section 2.1 in mpmath at 60 significant digits. In float64 the same closed form, and
the S = Psi + R R^T - P P^T form, lose up to all digits there.

Run: python3 scripts/reference/match-precision.py   (needs numpy and mpmath; not run by the tests)
"""
import json
import pathlib

import mpmath as mp
import numpy as np

mp.mp.dps = 60


def case(d, k, b, seed, lam_factor, cond):
    rng = np.random.default_rng(seed)
    mean = rng.standard_normal(d) * 0.1
    psi = rng.uniform(0.2, 1.2, d)
    lam = rng.standard_normal((d, k)) * 0.5
    evals = np.logspace(0, np.log10(cond), d)
    basis, _ = np.linalg.qr(rng.standard_normal((d, d)))
    precision = (basis * evals) @ basis.T
    center = rng.standard_normal(d)
    chol = np.linalg.cholesky(np.diag(psi) + lam @ lam.T)
    points = mean[:, None] + chol @ rng.standard_normal((d, b))
    scores = -precision @ (points - center[:, None])
    rate = float(lam_factor * b * d)
    return dict(d=d, k=k, b=b, seed=seed, lam_factor=lam_factor, cond=cond, rate=rate,
                mu=mean, psi=psi, Lambda=lam, X=points, G=scores)


def reference(c):
    d, b = c["d"], c["b"]
    to = lambda a: mp.matrix([[mp.mpf(float(x)) for x in row] for row in np.atleast_2d(a)])
    mu = mp.matrix([mp.mpf(float(x)) for x in c["mu"]])
    psi = [mp.mpf(float(x)) for x in c["psi"]]
    lam, pts, sc = to(c["Lambda"]), to(c["X"]), to(c["G"])
    rate, bb = mp.mpf(c["rate"]), mp.mpf(b)
    xbar = mp.matrix([sum(pts[i, j] for j in range(b)) / bb for i in range(d)])
    gbar = mp.matrix([sum(sc[i, j] for j in range(b)) / bb for i in range(d)])
    cov = mp.matrix(d, d)
    gam = mp.matrix(d, d)
    for i in range(d):
        for j in range(d):
            cov[i, j] = sum((pts[i, l] - xbar[i]) * (pts[j, l] - xbar[j]) for l in range(b)) / bb
            gam[i, j] = sum((sc[i, l] - gbar[i]) * (sc[j, l] - gbar[j]) for l in range(b)) / bb
    shrink = rate / (1 + rate)
    u = rate * gam + shrink * gbar * gbar.T
    v = mp.diag(psi) + lam * lam.T + rate * cov + shrink * (mu - xbar) * (mu - xbar).T
    lower = mp.cholesky(v)
    values, vectors = mp.eigsy(lower.T * u * lower)
    middle = mp.diag([2 / (1 + mp.sqrt(1 + 4 * max(w, 0))) for w in values])
    s = lower * vectors * middle * vectors.T * lower.T
    newmean = mu / (1 + rate) + shrink * (s * gbar + xbar)
    factor = mp.cholesky(s)
    logdet = 2 * sum(mp.log(factor[i, i]) for i in range(d))
    return s, newmean, logdet


def main():
    cases = [case(10, 2, 4, 1, f, 1e4) for f in (1.0, 1e3, 1e6)]
    cases += [case(12, 3, 16, 2, 1e6, 1e2), case(8, 2, 3, 3, 1e6, 1e6)]
    out = []
    for c in cases:
        s, newmean, logdet = reference(c)
        out.append({
            "D": c["d"], "K": c["k"], "B": c["b"], "lam": c["rate"], "lam_over_BD": c["lam_factor"],
            "target_condition": c["cond"],
            "mu": c["mu"].tolist(), "psi": c["psi"].tolist(), "Lambda": c["Lambda"].tolist(),
            "X": c["X"].T.tolist(), "G": c["G"].T.tolist(),
            "S": [[float(s[i, j]) for j in range(c["d"])] for i in range(c["d"])],
            "mean": [float(x) for x in newmean], "logdet": float(logdet),
        })
    path = pathlib.Path(__file__).resolve().parents[2] / "Tests/VariationalInferenceTests/Resources/match-high-precision.json"
    path.write_text(json.dumps({"generator": "scripts/reference/match-precision.py (mpmath, 60 digits)",
                                "cases": out}, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
