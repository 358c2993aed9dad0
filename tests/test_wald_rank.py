"""Wald tests on singular or near-singular covariance matrices (issue 12: the fresh-machine LinAlgError).

A cluster-robust covariance has rank at most G − 1; whether ``solve`` succeeded on it depended on rounding.
The tests build covariances whose rank is known and check that the statistic is the Moore–Penrose form on
the estimable combinations, that its rank is reported, and that the DiD event study warns instead of failing.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from evalkit import did
from evalkit.analysis._bootstrap import fit_absorbed
from evalkit.analysis._fe import TwoWayFE
from evalkit.analysis._wald import ranked_wald, ranked_wald_batch
from evalkit.errors import AnalysisError, AnalysisWarning
from tests.test_did import simulate


def test_full_rank_equals_the_textbook_wald_statistic():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 4))
    v = a @ a.T + 0.5 * np.eye(4)
    b = rng.normal(size=4)
    res = ranked_wald(b, v)
    assert res.rank == 4 and not res.deficient
    assert res.statistic == pytest.approx(float(b @ np.linalg.solve(v, b)), rel=1e-12)


def test_exactly_singular_covariance_tests_the_estimable_combination_only():
    # V = s s' has rank 1: only the combination along s is estimable; b' V⁺ b = (s'b)² / |s|⁴.
    s = np.array([1.0, 2.0, -1.0])
    v = np.outer(s, s)
    b = np.array([0.3, -0.2, 0.5])
    res = ranked_wald(b, v)
    assert res.rank == 1 and res.deficient and res.n_restrictions == 3
    assert res.statistic == pytest.approx(float(b @ np.linalg.pinv(v) @ b), rel=1e-10)
    assert res.statistic == pytest.approx((s @ b) ** 2 / (s @ s) ** 2, rel=1e-10)


def test_rank_decision_does_not_depend_on_the_units_of_the_coefficients():
    s = np.array([1.0, 2.0, -1.0])
    t = np.array([0.5, 0.0, 1.0])
    v = np.outer(s, s) + np.outer(t, t)  # rank 2
    b = np.array([0.3, -0.2, 0.5])
    scale = np.diag([1e-4, 1.0, 1e5])  # coefficients in very different units
    a, c = ranked_wald(b, v), ranked_wald(scale @ b, scale @ v @ scale)
    assert a.rank == c.rank == 2
    assert c.statistic == pytest.approx(a.statistic, rel=1e-8)


def test_rounding_noise_on_a_singular_matrix_does_not_change_the_rank():
    s = np.array([1.0, 2.0, -1.0])
    v = np.outer(s, s)
    noisy = v + 1e-15 * np.random.default_rng(2).normal(size=(3, 3))
    assert ranked_wald(np.ones(3), noisy).rank == 1
    assert ranked_wald(np.ones(3), noisy).statistic == pytest.approx(ranked_wald(np.ones(3), v).statistic,
                                                                     rel=1e-6)


def test_batch_uses_the_observed_range_for_every_replication():
    s = np.array([1.0, 2.0, -1.0])
    v = np.outer(s, s) + np.outer([0, 1.0, 1.0], [0, 1.0, 1.0])
    rng = np.random.default_rng(3)
    b = rng.normal(size=(5, 3))
    vs = np.stack([v * (1 + 0.1 * i) for i in range(5)])
    got = ranked_wald_batch(b, vs, basis_of=v)
    want = [ranked_wald(b[i], vs[i]).statistic for i in range(5)]
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_a_collinear_design_is_an_analysis_error_not_a_linalg_error():
    unit = np.repeat(np.arange(4), 3)
    time = np.tile(np.arange(3), 4)
    fe = TwoWayFE.from_codes(unit, time)
    x = np.column_stack([(unit < 2) & (time == 2), (unit < 2) & (time == 2)]).astype(float)  # the same column twice
    y = np.random.default_rng(4).normal(size=12)
    with pytest.raises(AnalysisError, match="collinear"):
        fit_absorbed(fe, fe.residualize(x), fe.residualize(y), unit, 4)


def test_orebro_event_study_reports_the_rank_and_warns_instead_of_failing():
    frame = simulate(n_units=6, treated=2, effect=3.0, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        res = did(frame, outcome="y", unit="district", time="month", treated=["D00", "D01"], intervention=6, seed=5)
    with pytest.warns(AnalysisWarning, match=r"has rank 4 .*uses the 4 linearly independent"):
        es = res.event_study()
    assert es.pretrend["n_leads"] == 5 and es.pretrend["rank"] == 4
    assert 0 < es.pretrend["p_value"] <= 1
    # The same data with rounding-level noise gives the same test: the rank decision is not a coin toss.
    frame2 = frame.assign(y=frame["y"] * (1 + 1e-13))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        es2 = did(frame2, outcome="y", unit="district", time="month", treated=["D00", "D01"], intervention=6,
                  seed=5).event_study()
    assert es2.pretrend["rank"] == 4 and es2.pretrend["p_value"] == es.pretrend["p_value"]


def test_cluster_event_study_names_the_tested_rank_in_the_f_test():
    frame = simulate(n_units=6, treated=2, effect=3.0, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        es = did(frame, outcome="y", unit="district", time="month", treated=["D00", "D01"], intervention=6,
                 inference="cluster").event_study()
    assert es.pretrend["test"].startswith(f"F({es.pretrend['rank']}, {6 - es.pretrend['rank']})")
    assert np.isfinite(es.pretrend["p_value"])
