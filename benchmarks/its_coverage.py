"""Coverage of ek.its 95 % intervals for the level and slope change, by simulation.

Designs (true effects known):

* gaussian: ``y = 20 + 0.1 t - 3 D + 0.2 S + e`` with AR(1) errors (rho = 0.5,
  innovation sd 1), half the periods before the change; fitted with
  ``errors="hac"`` (OLS, Newey–West, lags by the ``"auto"`` rule) and with
  ``errors="ar1"`` (GLS, AR(1) by REML, Kenward–Roger), T = 48, 72, 120.
* counts: negative-binomial counts (NB2, alpha = 0.1) with a varying population
  offset, ``log mu = log pop - 3 + 0.004 t + log(0.8) D + log(0.99) S``; fitted
  with ``negative_binomial`` and ``quasipoisson``; and the same counts with a
  latent AR(1) (rho = 0.5, sd 0.1) on the log mean, which no count family here
  corrects for.

Run:  .venv/bin/python benchmarks/its_coverage.py [--reps 1000] [--seed 20261122]
Target: 94–96 % coverage. Results are printed; record them in the report.

Recorded 2026-11-22 (``--reps 1000 --seed 20261122``; Monte Carlo SE 0.007)::

                         design   T             model hac_lags  cover_level  cover_slope
         gaussian AR(1) rho=0.5  48               hac        3        0.790        0.735
         gaussian AR(1) rho=0.5  48               ar1        -        0.938        0.957
         gaussian AR(1) rho=0.5  72               hac        3        0.826        0.806
         gaussian AR(1) rho=0.5  72               ar1        -        0.956        0.957
         gaussian AR(1) rho=0.5 120               hac        4        0.864        0.855
         gaussian AR(1) rho=0.5 120               ar1        -        0.949        0.948
                      NB counts  48 negative_binomial        -        0.937        0.928
                      NB counts  72 negative_binomial        -        0.935        0.942
                      NB counts 120 negative_binomial        -        0.929        0.957
                      NB counts  48      quasipoisson        -        0.946        0.959
                      NB counts  72      quasipoisson        -        0.925        0.941
                      NB counts 120      quasipoisson        -        0.951        0.936
    NB counts, latent AR(1) 0.5  48 negative_binomial        -        0.905        0.910
    NB counts, latent AR(1) 0.5  72 negative_binomial        -        0.925        0.899
    NB counts, latent AR(1) 0.5 120 negative_binomial        -        0.928        0.922
    NB counts, latent AR(1) 0.5  48      quasipoisson        -        0.938        0.921
    NB counts, latent AR(1) 0.5  72      quasipoisson        -        0.916        0.928
    NB counts, latent AR(1) 0.5 120      quasipoisson        -        0.893        0.921

Total about 13 minutes on a shared 2-core machine.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from evalkit.analysis.its import its
from evalkit.errors import AnalysisWarning

LEVEL, SLOPE = -3.0, 0.2
RR_LEVEL, RR_SLOPE = 0.8, 0.99


def gaussian_series(rng, n_periods: int, rho: float = 0.5) -> pd.DataFrame:
    n_pre = n_periods // 2
    e = np.zeros(n_periods)
    shocks = rng.normal(0.0, 1.0, n_periods)
    e[0] = shocks[0] / np.sqrt(1 - rho ** 2)  # stationary start
    for i in range(1, n_periods):
        e[i] = rho * e[i - 1] + shocks[i]
    t = np.arange(n_periods)
    post = t >= n_pre
    y = 20 + 0.1 * t + LEVEL * post + SLOPE * (t - n_pre) * post + e
    return pd.DataFrame({"period": t + 1, "y": y})


def count_series(rng, n_periods: int, alpha: float = 0.1, latent_rho: float | None = None) -> pd.DataFrame:
    n_pre = n_periods // 2
    t = np.arange(n_periods)
    post = t >= n_pre
    pop = 5000.0 * (1 + 0.003 * t)
    latent = 0.0
    if latent_rho is not None:
        sd = 0.1 * np.sqrt(1 - latent_rho ** 2)  # stationary sd 0.1 on the log scale
        latent = np.zeros(n_periods)
        latent[0] = rng.normal(0, 0.1)
        for i in range(1, n_periods):
            latent[i] = latent_rho * latent[i - 1] + rng.normal(0, sd)
    mu = pop * np.exp(-3 + 0.004 * t + np.log(RR_LEVEL) * post + np.log(RR_SLOPE) * (t - n_pre) * post
                      + latent)
    size = 1.0 / alpha
    y = rng.negative_binomial(size, size / (size + mu))
    return pd.DataFrame({"period": t + 1, "y": y, "pop": pop})


def coverage(make, truth_level, truth_slope, reps, rng, **fit_args) -> dict:
    hits_level = hits_slope = 0
    lags = "-"
    for _ in range(reps):
        df = make(rng)
        n_pre = len(df) // 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AnalysisWarning)
            res = its(df, outcome="y", time="period", intervention=n_pre + 1, **fit_args)
        eff = res.effects
        hits_level += eff.loc["level_change", "ci_low"] <= truth_level <= eff.loc["level_change", "ci_high"]
        hits_slope += eff.loc["slope_change", "ci_low"] <= truth_slope <= eff.loc["slope_change", "ci_high"]
        lags = res.hac_lags if res.hac_lags is not None else "-"
    return {"level": hits_level / reps, "slope": hits_slope / reps, "lags": lags}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = []
    for n in (48, 72, 120):
        for errors in ("hac", "ar1"):
            start = time.perf_counter()
            cov = coverage(lambda r, n=n: gaussian_series(r, n), LEVEL, SLOPE, args.reps, rng, errors=errors)
            rows.append(("gaussian AR(1) rho=0.5", n, errors, cov["lags"], cov["level"], cov["slope"],
                         time.perf_counter() - start))
    for latent in (None, 0.5):
        for family in ("negative_binomial", "quasipoisson"):
            for n in (48, 72, 120):
                start = time.perf_counter()
                cov = coverage(lambda r, n=n: count_series(r, n, latent_rho=latent), RR_LEVEL, RR_SLOPE,
                               args.reps, rng, family=family, exposure="pop")
                name = "NB counts" + (", latent AR(1) 0.5" if latent else "")
                rows.append((name, n, family, "-", cov["level"], cov["slope"], time.perf_counter() - start))
    table = pd.DataFrame(rows, columns=["design", "T", "model", "hac_lags", "cover_level",
                                       "cover_slope", "seconds"])
    se = np.sqrt(0.95 * 0.05 / args.reps)
    print(f"reps={args.reps} seed={args.seed}  (Monte Carlo SE of a 95 % coverage: {se:.3f})")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
