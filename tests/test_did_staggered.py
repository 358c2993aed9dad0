"""Staggered adoption: the Borusyak–Jaravel–Spiess imputation estimator in ek.did.

Checked against the definition computed the slow way (statsmodels OLS on the untreated observations, dummy
matrices for the variance) and against simulations with dynamic effects where TWFE is biased.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evalkit.analysis.did import did
from evalkit.errors import AnalysisError, AnalysisWarning


def staggered(n_units=60, starts=None, n_times=12, slope=0.5, persons=1, drop=0.0, seed=0) -> pd.DataFrame:
    """Effects grow with time since start: 1 + slope·h. TWFE is biased here, imputation is not."""
    rng = np.random.default_rng(seed)
    starts = {u: (4 if u < 10 else 7) for u in range(20)} if starts is None else starts
    rows = []
    for u in range(n_units):
        a = rng.normal()
        for t in range(n_times):
            h = t - starts.get(u, 10**6)
            for _ in range(persons):
                eff = 1 + slope * h if h >= 0 else 0.0
                rows.append((u, t, 10 + a + 0.3 * t + eff + rng.normal(), h >= 0))
    frame = pd.DataFrame(rows, columns=["unit", "t", "y", "D"])
    if drop:
        frame = frame.drop(frame.sample(frac=drop, random_state=seed).index).reset_index(drop=True)
    return frame


def run(frame, starts, **kw):
    args = dict(outcome="y", unit="unit", time="t", treated=list(starts), intervention=starts, seed=1, reps=999)
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return did(frame, **args)


STARTS = {u: (4 if u < 10 else 7) for u in range(20)}


@pytest.mark.parametrize("drop, persons", [(0.0, 1), (0.1, 1), (0.05, 3)])
def test_imputation_estimate_equals_the_definition(drop, persons):
    frame = staggered(drop=drop, persons=persons, seed=3)
    res = run(frame, STARTS)
    assert res.inference["estimator"] == "imputation"
    untreated = frame[~frame["D"]]
    model = smf.ols("y ~ C(unit) + C(t)", untreated).fit()
    treated = frame[frame["D"]]
    tau = treated["y"] - model.predict(treated)
    assert res.effect["estimate"] == pytest.approx(tau.mean(), abs=1e-8)


def test_bjs_variance_equals_the_dummy_matrix_formula():
    frame = staggered(drop=0.1, seed=4)
    res = run(frame, STARTS)
    z = pd.get_dummies(frame[["unit", "t"]].astype(str), drop_first=False).to_numpy(float)
    d = frame["D"].to_numpy()
    z0, z1 = z[~d], z[d]
    w1 = np.full(d.sum(), 1 / d.sum())
    theta = np.linalg.pinv(z0.T @ z0) @ z0.T @ frame["y"].to_numpy()[~d]
    v = np.zeros(len(frame))
    v[d] = w1
    v[~d] = -(z0 @ (np.linalg.pinv(z0.T @ z0) @ (z1.T @ w1)))
    resid = np.zeros(len(frame))
    resid[~d] = frame["y"].to_numpy()[~d] - z0 @ theta
    tau = frame["y"].to_numpy()[d] - z1 @ theta
    start = frame["unit"].map(STARTS).to_numpy()[d]
    cohort_period = pd.Series(tau).groupby([start, frame["t"].to_numpy()[d]]).transform("mean").to_numpy()
    resid[d] = tau - cohort_period
    scores = pd.Series(v * resid).groupby(frame["unit"].to_numpy()).sum().to_numpy()
    assert res.inference["se_bjs"] == pytest.approx(np.sqrt(scores @ scores), rel=1e-8)


def test_imputation_recovers_dynamic_effects_where_twfe_is_biased():
    estimates, twfe = [], []
    for s in range(20):
        starts = {u: (4 if u < 20 else 7) for u in range(40)}
        frame = staggered(n_units=120, starts=starts, seed=100 + s)
        estimates.append(run(frame, starts).effect["estimate"])
        twfe.append(smf.ols("y ~ D + C(unit) + C(t)", frame.assign(D=frame["D"].astype(float))).fit().params["D"])
    truth = np.mean([1 + 0.5 * (t - s) for s in (4,) * 20 + (7,) * 20 for t in range(12) if t >= s])
    assert abs(np.mean(estimates) - truth) < 0.05
    assert np.mean(twfe) < truth - 0.2  # the TWFE bias the estimator avoids


def test_event_study_horizons_and_bjs_leads_match_direct_computation():
    frame = staggered(seed=5)
    res = run(frame, STARTS)
    es = res.event_study(leads=2, lags=3)
    untreated = frame[~frame["D"]]
    model = smf.ols("y ~ C(unit) + C(t)", untreated).fit()
    treated = frame[frame["D"]].assign(h=lambda f: f["t"] - f["unit"].map(STARTS))
    treated = treated.assign(tau=treated["y"] - model.predict(treated))
    by_h = treated.groupby("h")["tau"].mean()
    np.testing.assert_allclose(es.table.loc[0:3, "estimate"].to_numpy(), by_h.loc[0:3].to_numpy(), atol=1e-8)
    to_start = untreated["unit"].map(STARTS).fillna(10**6) - untreated["t"]
    leads = untreated.assign(l1=(to_start == 1).astype(float), l2=(to_start == 2).astype(float))
    ref = smf.ols("y ~ l1 + l2 + C(unit) + C(t)", leads).fit()
    assert es.table.loc[-1, "estimate"] == pytest.approx(ref.params["l1"], abs=1e-8)
    assert es.table.loc[-2, "estimate"] == pytest.approx(ref.params["l2"], abs=1e-8)
    assert "BJS pre-trend" in es.pretrend["test"] and 0 <= es.pretrend["p_value"] <= 1


def test_few_units_use_start_date_randomization_inference():
    starts = {0: 4, 1: 4, 2: 7, 3: 7}
    frame = staggered(n_units=10, starts=starts, seed=6)
    with pytest.warns(AnalysisWarning, match="re-assigns the start dates"):
        res = did(frame, outcome="y", unit="unit", time="t", treated=list(starts), intervention=starts, seed=2)
    inf = res.inference
    assert inf["method"] == "ri" and inf["exact"]
    assert inf["n_assignments"] == math.factorial(10) // (math.factorial(2) ** 2 * math.factorial(6))  # 1260
    assert res.effect["p_value"] >= inf["smallest_p"]
    assert any("Borusyak" in s for s in res.sentences("en"))
    assert any("imputationsskattaren" in s for s in res.sentences("sv"))


def test_start_dates_from_a_column_and_refusals():
    frame = staggered(seed=7)
    frame["start"] = frame["unit"].map(STARTS)
    by_column = run(frame, STARTS, intervention="start")
    assert by_column.effect["estimate"] == pytest.approx(run(frame, STARTS).effect["estimate"])
    with pytest.raises(AnalysisError, match="not available for staggered"):
        run(frame, STARTS, inference="wild")
    with pytest.raises(AnalysisError, match="placebo"):
        by_column.placebo()
    assert "imputation (Borusyak" in by_column.summary()
    fig = by_column.plot()
    starts_marked = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == ":"]
    assert len(starts_marked) == 2  # one line per start date
