"""The fast paths of ek.did equal the slow, obvious computations.

* absorbed fixed effects = dummy-variable OLS in statsmodels (estimate and cluster SE, to 1e-8);
* vectorised restricted wild cluster bootstrap = refitting the model for every replication;
* vectorised randomization inference = refitting for every assignment.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evalkit.analysis._bootstrap import WEBB_POINTS, WildBootstrap, cr1_factor, fit_absorbed, webb_weights
from evalkit.analysis._did_ri import RandomizationInference
from evalkit.analysis._fe import TwoWayFE


def make_panel(n_units=8, n_times=6, start=3, treated=(0, 1, 2), drop=0.0, persons=1, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_units):
        shock = rng.normal()
        for t in range(n_times):
            for _ in range(rng.integers(1, persons + 1)):
                d = float(u in treated and t >= start)
                rows.append((u, t, d, 5 + shock + 0.3 * t + 1.5 * d + rng.normal(), rng.normal()))
    frame = pd.DataFrame(rows, columns=["unit", "time", "d", "y", "x2"])
    if drop:
        frame = frame.drop(frame.sample(frac=drop, random_state=seed).index).reset_index(drop=True)
    return frame


def absorbed(frame: pd.DataFrame, cols=("d",)):
    fe = TwoWayFE.from_codes(frame["unit"].to_numpy(), frame["time"].to_numpy())
    x_t = fe.residualize(frame[list(cols)].to_numpy())
    y_t = fe.residualize(frame["y"].to_numpy())
    return fe, x_t, y_t


def dummy_fit(frame: pd.DataFrame, rhs="d", offset=None):
    data = frame.assign(yy=frame["y"] - (0 if offset is None else offset))
    return smf.ols(f"yy ~ {rhs} + C(unit) + C(time)", data).fit(
        cov_type="cluster", cov_kwds={"groups": frame["unit"], "use_correction": False})


@pytest.mark.parametrize("case", ["balanced", "unbalanced", "person"])
def test_absorbed_equals_dummy_variable_ols(case):
    frame = {"balanced": make_panel(), "unbalanced": make_panel(drop=0.2, seed=3),
             "person": make_panel(persons=4, drop=0.1, seed=5)}[case]
    fe, x_t, y_t = absorbed(frame, ("d", "x2"))
    fit = fit_absorbed(fe, x_t, y_t, frame["unit"].to_numpy(), frame["unit"].nunique())
    ref = dummy_fit(frame, "d + x2")
    np.testing.assert_allclose(fit.beta, ref.params[["d", "x2"]].to_numpy(), rtol=0, atol=1e-8)
    # statsmodels without its correction is CR0; ours is CR1 with K = slopes + periods (xtreg/reghdfe convention).
    c = cr1_factor(frame["unit"].nunique(), len(frame), 2, frame["time"].nunique())
    np.testing.assert_allclose(fit.se, ref.bse[["d", "x2"]].to_numpy() * np.sqrt(c), rtol=1e-8)
    np.testing.assert_allclose(fit.resid, ref.resid.to_numpy(), atol=1e-8)


def test_statsmodels_corrected_cluster_se_differs_only_by_the_dof_convention():
    frame = make_panel(drop=0.15, seed=11)
    fe, x_t, y_t = absorbed(frame)
    g, n, t = frame["unit"].nunique(), len(frame), frame["time"].nunique()
    fit = fit_absorbed(fe, x_t, y_t, frame["unit"].to_numpy(), g)
    ref = smf.ols("y ~ d + C(unit) + C(time)", frame).fit(cov_type="cluster", cov_kwds={"groups": frame["unit"]})
    k_dummies = 1 + g + t - 1  # statsmodels (and `reg … i.unit i.time`) count the unit dummies too
    ratio = np.sqrt((n - 1 - 1 - t + 1) / (n - k_dummies))  # (N − K_ours)/(N − K_dummies), K_ours = 1 + T
    assert fit.se[0] * ratio == pytest.approx(ref.bse["d"], rel=1e-8)


@pytest.mark.parametrize("case", ["balanced", "unbalanced_person"])
@pytest.mark.parametrize("null", [0.0, 0.7])
def test_vectorised_wild_bootstrap_equals_refitting(case, null):
    frame = make_panel(seed=2) if case == "balanced" else make_panel(persons=3, drop=0.15, seed=4)
    cols = ("d", "x2")
    fe, x_t, y_t = absorbed(frame, cols)
    g = frame["unit"].nunique()
    weights = webb_weights(g, 40, np.random.default_rng(7))
    wb = WildBootstrap(fe, x_t, y_t, frame["unit"].to_numpy(), g, [0], weights)
    fast = wb.t_stats(null)
    # Slow path: impose β_d = null in the dummy-variable model, perturb its residuals, refit, recompute t.
    restricted = smf.ols("yy ~ x2 + C(unit) + C(time)", frame.assign(yy=frame["y"] - null * frame["d"])).fit()
    u_tilde = restricted.resid.to_numpy()
    fitted = frame["y"].to_numpy() - u_tilde
    c = cr1_factor(g, len(frame), len(cols), frame["time"].nunique())
    slow = []
    for b in range(weights.shape[1]):
        y_star = fitted + u_tilde * weights[frame["unit"].to_numpy(), b]
        ref = dummy_fit(frame.assign(y=y_star), "d + x2")
        slow.append((ref.params["d"] - null) / (ref.bse["d"] * np.sqrt(c)))
    np.testing.assert_allclose(fast, np.array(slow), rtol=1e-8, atol=1e-10)


def test_wild_p_value_at_observed_t_and_interval_contains_estimate():
    frame = make_panel(n_units=12, treated=tuple(range(5)), seed=8)
    fe, x_t, y_t = absorbed(frame)
    wb = WildBootstrap(fe, x_t, y_t, frame["unit"].to_numpy(), 12, [0], webb_weights(12, 999, np.random.default_rng(1)))
    t_obs = wb.t_observed()
    assert wb.p_value(0.0) == pytest.approx(np.mean(np.abs(wb.t_stats(0.0)) >= abs(t_obs)))
    low, high = wb.confidence_interval()
    assert low < wb.fit.beta[0] < high
    assert wb.p_value(low + 1e-6 * (high - low)) >= 0.05 > wb.p_value(low - 0.05 * (high - low))


def test_webb_weights_are_the_six_points_with_mean_zero_variance_one():
    w = webb_weights(50, 4000, np.random.default_rng(0))
    assert set(np.unique(np.round(w, 12))) == set(np.round(WEBB_POINTS, 12))
    assert abs(w.mean()) < 0.01 and abs(w.var() - 1) < 0.01


def test_randomization_inference_equals_refitting_every_assignment():
    frame = make_panel(n_units=6, treated=(0, 1), drop=0.1, seed=9)
    fe, x_t, y_t = absorbed(frame)
    post = np.arange(frame["time"].nunique()) >= 3
    ri = RandomizationInference(fe, frame["y"].to_numpy(), post, np.array([0, 1]), 999, np.random.default_rng(0))
    assert ri.exact and ri.n_assignments == 15 and ri.smallest_p == pytest.approx(1 / 15)
    slow = []
    for combo in itertools.combinations(range(6), 2):
        d = (frame["unit"].isin(combo) & (frame["time"] >= 3)).astype(float)
        slow.append(dummy_fit(frame.assign(d=d)).params["d"])
    slow = np.array(slow)
    np.testing.assert_allclose(np.sort(ri.estimates(0.0)), np.sort(slow), atol=1e-8)
    observed = dummy_fit(frame).params["d"]
    assert ri.estimate == pytest.approx(observed, abs=1e-10)
    assert ri.p_value(0.0) == pytest.approx(np.mean(np.abs(slow) >= abs(observed) - 1e-12))


def test_randomization_inference_under_a_constant_effect_shifts_the_outcome():
    frame = make_panel(n_units=7, treated=(0, 1), seed=12)
    fe, _, _ = absorbed(frame)
    post = np.arange(6) >= 3
    ri = RandomizationInference(fe, frame["y"].to_numpy(), post, np.array([0, 1]), 999, np.random.default_rng(0))
    tau = 0.8
    shifted = frame.assign(y=frame["y"] - tau * frame["d"])
    ri_shift = RandomizationInference(fe, shifted["y"].to_numpy(), post, np.array([0, 1]), 999,
                                      np.random.default_rng(0))
    np.testing.assert_allclose(ri.estimates(tau), ri_shift.estimates(0.0), atol=1e-10)
    assert ri.p_value(tau) == pytest.approx(ri_shift.p_value(0.0))
