#!/usr/bin/env python3
"""ArviZ reference for Pareto-smoothed importance sampling (PSIS).

Writes Tests/VariationalInferenceTests/Resources/psis-reference.json: five seeded 1-D vectors of
log importance weights log p(x) - log q(x), x ~ q, each with the output of
arviz.psislw(log_weights, reff=1.0): the smoothed, truncated and normalized log weights and the
Pareto shape estimate k-hat, plus the tail length M = ceil(min(0.2 S, 3 sqrt(S))).

Run: python3 scripts/reference/psis-reference.py   (needs arviz and numpy; not run by the tests)
Generated with arviz 0.23.4 and numpy 2.4.6 (Python 3.11).
"""
import json
import math
import pathlib

import arviz
import numpy as np

OUT = (pathlib.Path(__file__).resolve().parents[2]
       / "Tests/VariationalInferenceTests/Resources/psis-reference.json")


def log_normal(x, sd):
    """log N(x; 0, sd^2), elementwise."""
    return -0.5 * (x / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)


def log_t(x, nu):
    """log of the standard Student-t density with nu degrees of freedom, elementwise."""
    c = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
    return c - (nu + 1) / 2 * np.log1p(x ** 2 / nu)


def normal_over_normal(s, seed, sd_q, dims=1):
    """Target N(0, I), proposal N(0, sd_q^2 I); log weights summed over dims."""
    x = np.random.default_rng(seed).normal(0.0, sd_q, size=(s, dims))
    return (log_normal(x, 1.0) - log_normal(x, sd_q)).sum(axis=1)


def t3_over_normal(s, seed):
    """Target Student-t_3, proposal N(0, 1): heavy-tailed weights."""
    x = np.random.default_rng(seed).normal(0.0, 1.0, size=s)
    return log_t(x, 3.0) - log_normal(x, 1.0)


CASES = [
    ("normal-over-wider-normal-S1000", normal_over_normal(1000, 101, 1.2)),
    ("t3-over-normal-S1000", t3_over_normal(1000, 202)),
    ("normal-over-narrow-normal-S1000", normal_over_normal(1000, 303, 0.5)),
    ("t3-over-normal-S200", t3_over_normal(200, 404)),
    ("normal-over-wider-normal-10d-S4000", normal_over_normal(4000, 505, 0.8, dims=10)),
]


def main():
    cases = []
    for name, lw in CASES:
        smoothed, khat = arviz.psislw(lw.copy(), reff=1.0)  # psislw may work in place: pass a copy
        s = lw.size
        for v in (lw, smoothed, [khat]):
            assert np.all(np.isfinite(v)), f"{name}: non-finite value from arviz"
        cases.append({"name": name, "logWeights": lw.tolist(),
                      "smoothedLogWeights": np.asarray(smoothed).tolist(), "khat": float(khat),
                      "tailLength": int(math.ceil(min(0.2 * s, 3 * math.sqrt(s))))})
        print(f"{name}: S={s} khat={float(khat):.4f}")
    generator = (f"arviz.psislw(reff=1.0), arviz {arviz.__version__}, numpy {np.__version__}, "
                 "scripts/reference/psis-reference.py")
    OUT.write_text(json.dumps({"generator": generator, "cases": cases}, allow_nan=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
