"""ek.its recovers known effects in simulated series (small runs; the full run is
benchmarks/its_coverage.py).

Loose bands: with 120 replications the Monte Carlo SE of a coverage near 0.95 is
about 0.02. Newey–West intervals are known to under-cover in short autocorrelated
series (the benchmark records how much), so the gaussian band is wider below.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.its import its
from evalkit.errors import AnalysisWarning

REPS = 120


def _fit(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return its(df, outcome="y", time="period", intervention=len(df) // 2 + 1, **kw).effects


def _ar1_series(rng, n, rho=0.5, level=-3.0, slope=0.2):
    e = np.zeros(n)
    shocks = rng.normal(0, 1, n)
    e[0] = shocks[0] / np.sqrt(1 - rho ** 2)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + shocks[i]
    t = np.arange(n)
    post = t >= n // 2
    return pd.DataFrame({"period": t + 1, "y": 20 + 0.1 * t + level * post + slope * (t - n // 2) * post + e})


def _nb_series(rng, n, rr_level=0.8, rr_slope=0.99, alpha=0.1):
    t = np.arange(n)
    post = t >= n // 2
    pop = 5000.0 * (1 + 0.003 * t)
    mu = pop * np.exp(-3 + 0.004 * t + np.log(rr_level) * post + np.log(rr_slope) * (t - n // 2) * post)
    y = rng.negative_binomial(1 / alpha, (1 / alpha) / (1 / alpha + mu))
    return pd.DataFrame({"period": t + 1, "y": y, "pop": pop})


def test_gaussian_ar1_recovers_level_and_slope():
    rng = np.random.default_rng(101)
    est, cover = [], []
    for _ in range(REPS):
        eff = _fit(_ar1_series(rng, 120))
        est.append(eff.loc[["level_change", "slope_change"], "estimate"].to_numpy())
        cover.append([eff.loc[r, "ci_low"] <= truth <= eff.loc[r, "ci_high"]
                      for r, truth in (("level_change", -3.0), ("slope_change", 0.2))])
    est, cover = np.array(est), np.array(cover).mean(axis=0)
    # unbiased: mean within ~3 Monte Carlo SEs of the truth
    assert est[:, 0].mean() == pytest.approx(-3.0, abs=3 * est[:, 0].std() / np.sqrt(REPS))
    assert est[:, 1].mean() == pytest.approx(0.2, abs=3 * est[:, 1].std() / np.sqrt(REPS))
    assert (cover > 0.75).all() and (cover < 0.995).all(), cover


@pytest.mark.parametrize("family", ["negative_binomial", "quasipoisson"])
def test_overdispersed_counts_with_offset_recover_rate_ratios(family):
    rng = np.random.default_rng(202)
    logs, cover = [], []
    for _ in range(REPS):
        eff = _fit(_nb_series(rng, 60), family=family, exposure="pop")
        logs.append(np.log(eff.loc[["level_change", "slope_change"], "estimate"].to_numpy(dtype=float)))
        cover.append([eff.loc[r, "ci_low"] <= truth <= eff.loc[r, "ci_high"]
                      for r, truth in (("level_change", 0.8), ("slope_change", 0.99))])
    logs, cover = np.array(logs), np.array(cover).mean(axis=0)
    assert np.exp(logs[:, 0].mean()) == pytest.approx(0.8, abs=3 * 0.8 * logs[:, 0].std() / np.sqrt(REPS))
    assert np.exp(logs[:, 1].mean()) == pytest.approx(0.99, abs=3 * logs[:, 1].std() / np.sqrt(REPS))
    assert (cover > 0.86).all() and (cover <= 1.0).all(), cover


def test_placebo_false_positive_rate_is_moderate_without_a_break():
    # no effect anywhere: the share of significant placebo fits stays far from 1
    rng = np.random.default_rng(303)
    shares = []
    for _ in range(10):
        df = _ar1_series(rng, 80, rho=0.0, level=0.0, slope=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AnalysisWarning)
            res = its(df, outcome="y", time="period", intervention=41)
        table = res.placebo(n=5)
        shares.append(table["significant"].mean())
    assert np.mean(shares) < 0.35
