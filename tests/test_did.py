"""ek.did: input checks, the automatic inference choice, result objects, event study, placebo, text."""
from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.did import DiDResult, EventStudyResult, choose_inference, did
from evalkit.errors import AnalysisError, AnalysisWarning

matplotlib.use("Agg")


def simulate(n_units=12, treated=4, n_times=10, start=6, effect=2.0, rho=0.5, unit_sd=1.0, pre_trend=0.0,
             persons=1, seed=0) -> pd.DataFrame:
    """Panel with AR(1) errors within unit, unit shocks and a known constant effect."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_units):
        shock, e = rng.normal(0, unit_sd), rng.normal()
        is_treated = u < treated
        for t in range(n_times):
            e = rho * e + rng.normal() * np.sqrt(1 - rho**2)
            trend = pre_trend * (t - start) * is_treated if t < start else 0.0
            for _ in range(persons):
                noise = rng.normal() if persons > 1 else 0.0
                y = 10 + shock + 0.2 * t + trend + effect * (is_treated and t >= start) + e + noise
                rows.append((f"D{u:02d}", t, is_treated, y))
    return pd.DataFrame(rows, columns=["district", "month", "pilot", "y"])


def run(frame, **kw):
    args = dict(outcome="y", unit="district", time="month", treated="pilot", intervention=6, seed=1, reps=999)
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return did(frame, **args)


# ----------------------------------------------------------------------------- automatic choice


@pytest.mark.parametrize("g, g1, expected", [(6, 2, "ri"), (40, 3, "ri"), (40, 37, "ri"), (12, 4, "wild"),
                                             (29, 10, "wild"), (40, 5, "wild"), (30, 10, "cluster"),
                                             (300, 150, "cluster")])
def test_auto_inference_rule(g, g1, expected):
    method, reason = choose_inference(g, g1)
    assert method == expected
    assert str(g) in reason


def test_explicit_inference_is_respected_and_stated():
    res = run(simulate(), inference="cluster")
    assert res.inference["method"] == "cluster"
    assert "user" in res.inference["reason"]


def test_auto_with_few_clusters_warns_what_can_be_concluded():
    with pytest.warns(AnalysisWarning, match="wild cluster bootstrap"):
        res = did(simulate(), outcome="y", unit="district", time="month", treated="pilot", intervention=6,
                  seed=3, reps=199)
    assert res.inference["method"] == "wild" and res.inference["reps"] == 199


def test_orebro_case_two_of_six_districts_uses_exact_ri_and_says_5_percent_is_unreachable():
    frame = simulate(n_units=6, treated=2, effect=3.0, seed=4)
    with pytest.warns(AnalysisWarning, match=r"0\.067.*significant at 5 %"):
        res = did(frame, outcome="y", unit="district", time="month", treated=["D00", "D01"], intervention=6,
                  seed=5)
    inf = res.inference
    assert inf["method"] == "ri" and inf["exact"] and inf["n_assignments"] == 15
    assert inf["smallest_p"] == pytest.approx(1 / 15)
    assert res.effect["p_value"] >= 1 / 15
    assert np.isinf(res.effect["ci_low"]) and np.isinf(res.effect["ci_high"])
    text = " ".join(res.sentences("en"))
    assert "0.067" in text and "5% level" in text


def test_seed_makes_the_bootstrap_repeatable_and_is_recorded_when_drawn():
    frame = simulate(seed=6)
    a, b = run(frame, seed=11), run(frame, seed=11)
    pd.testing.assert_series_equal(a.effect, b.effect)
    drawn = run(frame, seed=None)
    again = run(frame, seed=drawn.inference["seed"])
    pd.testing.assert_series_equal(drawn.effect, again.effect)


# ----------------------------------------------------------------------------- estimates


def test_recovers_known_effect_with_many_clusters_and_treated_ids_or_column_agree():
    frame = simulate(n_units=40, treated=15, seed=7)
    by_column = run(frame)
    by_ids = run(frame, treated=[f"D{u:02d}" for u in range(15)])
    pd.testing.assert_series_equal(by_column.effect, by_ids.effect)
    e = by_column.effect
    assert by_column.inference["method"] == "cluster"
    assert e["ci_low"] < 2.0 < e["ci_high"] and e["p_value"] < 0.01
    assert list(e.index) == ["estimate", "ci_low", "ci_high", "p_value"]


def test_person_level_panel_clusters_on_units():
    frame = simulate(n_units=30, treated=10, persons=5, seed=8)
    res = run(frame, level="person")
    assert res.n_obs == 30 * 10 * 5 and res.n_units == 30
    agg = run(frame.groupby(["district", "month", "pilot"], as_index=False)["y"].mean(), level="aggregated")
    # Equal cell sizes: the person-level estimate is the estimate on cell means.
    assert res.effect["estimate"] == pytest.approx(agg.effect["estimate"], abs=1e-10)


def test_dates_as_time_and_intervention_between_periods():
    frame = simulate(seed=9)
    frame["month"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["month"] * 31, unit="D")
    frame["month"] = frame["month"].dt.to_period("M").dt.to_timestamp()
    res = run(frame, intervention=pd.Timestamp("2024-06-15"))  # between periods: first post is July
    assert res.n_pre == 6
    same = run(frame, intervention="2024-07-01")
    assert res.effect["estimate"] == pytest.approx(same.effect["estimate"])


def test_result_is_immutable_and_views_are_copies():
    res = run(simulate(seed=10))
    with pytest.raises(AttributeError):
        res.n_units = 3
    e = res.effect
    e["estimate"] = 99.0
    assert res.effect["estimate"] != 99.0
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "ci_low", "ci_high", "p_value", "method", "n_units", "n_treated",
                                   "n_periods", "n_obs"]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, match", [
    (dict(treated=[]), "treated is empty"),
    (dict(treated=[f"D{u:02d}" for u in range(12)]), "Every unit is treated"),
    (dict(treated=["D00", "Nowhere"]), r"Unknown unit\(s\) in treated: \['Nowhere'\]"),
    (dict(intervention=20), "after the last period"),
    (dict(intervention=0), "0 pre period"),
    (dict(outcome="nope"), "not found"),
    (dict(inference="bayes"), "inference must be one of"),
    (dict(reps=5), "reps must be"),
    (dict(treated="y"), "must be boolean"),
])
def test_bad_arguments_raise_analysis_error_saying_what_to_change(kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        run(simulate(), **kwargs)


def test_missing_outcome_rows_are_left_out_with_a_warning_saying_how_many_and_where():
    frame = simulate()
    frame.loc[[3, 17], "y"] = np.nan
    with pytest.warns(AnalysisWarning, match=r"missing in 2 of 120 rows \(district=D00, month=3; district=D01"):
        res = did(frame, outcome="y", unit="district", time="month", treated="pilot", intervention=6, seed=1,
                  reps=199)
    assert res.n_obs == 118
    # the same estimate as dropping the rows by hand: nothing else changes
    by_hand = run(frame.dropna(subset=["y"]), reps=199)
    assert res.effect["estimate"] == pytest.approx(by_hand.effect["estimate"], rel=1e-12)


def _with_total(frame: pd.DataFrame) -> pd.DataFrame:
    total = frame.groupby("month", as_index=False)["y"].mean().assign(district="Total", pilot=False)
    return pd.concat([frame, total], ignore_index=True)


def test_total_rows_are_never_a_unit_and_the_orebro_p_value_is_unchanged():
    frame = simulate(n_units=6, treated=2, effect=3.0, seed=4)
    without = run(frame, treated=["D00", "D01"], seed=5)
    with pytest.warns(AnalysisWarning, match=r"dropped 10 row\(s\) with district = 'Total'"):
        with_total = did(_with_total(frame), outcome="y", unit="district", time="month", treated=["D00", "D01"],
                         intervention=6, seed=5)
    assert with_total.n_units == 6 and with_total.inference["n_assignments"] == 15
    assert with_total.effect["p_value"] == without.effect["p_value"]
    assert with_total.effect["estimate"] == pytest.approx(without.effect["estimate"], rel=1e-12)
    with pytest.raises(AnalysisError, match="municipality total"):
        run(_with_total(frame), treated=["D00", "Total"])


def test_duplicates_refused_when_declared_aggregated():
    frame = pd.concat([simulate(), simulate().iloc[:3]])
    with pytest.raises(AnalysisError, match=r"3 \(district, month\) pair\(s\) occur more than once \(6 rows.*level='person'") as info:
        run(frame, level="aggregated")
    assert "district=D00, month=0" in str(info.value)
    assert run(frame).inference["method"] == "wild"  # auto: person level


def test_treated_column_varying_within_unit_is_refused():
    frame = simulate()
    frame["pilot"] = frame["pilot"] & (frame["month"] >= 6)
    with pytest.raises(AnalysisError, match="changes within unit"):
        run(frame)


def test_common_date_given_as_mapping_is_accepted():
    frame = simulate()
    res = run(frame, intervention={f"D{u:02d}": 6 for u in range(4)})
    assert res.effect["estimate"] == pytest.approx(run(frame).effect["estimate"])


def test_two_by_two_design_estimates_by_default_and_says_trends_cannot_be_tested():
    frame = simulate(n_units=40, treated=15, start=1, n_times=2, effect=2.0)  # one wave before, one after
    with pytest.warns(AnalysisWarning, match="pre-trends cannot be checked"):
        res = did(frame, outcome="y", unit="district", time="month", treated="pilot", intervention=1, seed=0)
    assert res.n_pre == 1 and res.n_periods == 2 and np.isfinite(res.effect["p_value"])
    assert abs(res.effect["estimate"] - 2.0) < 1.0
    for language, words in (("en", "cannot be tested"), ("sv", "går det inte att pröva"),
                            ("nb", "kan det ikke testes")):
        assert any(words in s for s in res.sentences(language)), language
    with pytest.raises(AnalysisError, match="at least 2 period"):
        run(frame, intervention=1, min_pre_periods=2)


# ----------------------------------------------------------------------------- event study


def test_event_study_recovers_zero_leads_and_effect_lags():
    frame = simulate(n_units=60, treated=30, effect=2.0, seed=12)
    es = run(frame).event_study()
    assert isinstance(es, EventStudyResult)
    table = es.table
    assert list(table.index) == list(range(-6, 4))
    assert table.loc[-1, "estimate"] == 0 and np.isnan(table.loc[-1, "p_value"])
    lags = table.loc[0:3, "estimate"]
    assert (abs(lags - 2.0) < 0.6).all()
    assert (abs(table.loc[-6:-2, "estimate"]) < 0.6).all()
    assert es.pretrend["n_leads"] == 5 and es.pretrend["p_value"] > 0.05


def test_event_study_binning_of_leads_and_lags():
    es = run(simulate(n_units=40, treated=15, seed=13)).event_study(leads=2, lags=1)
    assert list(es.table.index) == [-3, -2, -1, 0, 1]


def test_failed_pretrend_test_warns_but_does_not_raise():
    frame = simulate(n_units=60, treated=30, pre_trend=0.8, seed=14)
    res = run(frame)
    with pytest.warns(AnalysisWarning, match="rejects parallel pre-trends"):
        es = res.event_study()
    assert es.pretrend["p_value"] < 0.05


def test_event_study_with_few_clusters_uses_wild_bootstrap_wald():
    res = run(simulate(n_units=12, treated=5, seed=15), reps=399)
    es = res.event_study(leads=2, lags=1)
    assert es.method == "wild" and "wild" in es.pretrend["test"]
    assert 0 <= es.pretrend["p_value"] <= 1
    assert es.table.loc[[-3, -2, 0, 1], "p_value"].between(0, 1).all()


def test_event_study_with_very_few_treated_uses_randomization_inference():
    res = run(simulate(n_units=6, treated=2, seed=16))
    es = res.event_study(leads=1, lags=1)
    assert es.method == "ri" and "randomization" in es.pretrend["test"]
    assert (es.table.loc[[-2, 0, 1], "p_value"] >= 1 / 15 - 1e-12).all()


def test_event_study_bad_leads():
    with pytest.raises(AnalysisError, match="leads=9 but the data allow at most 5"):
        run(simulate()).event_study(leads=9)


# ----------------------------------------------------------------------------- placebo


def test_placebo_table_has_fake_dates_and_fake_units():
    frame = simulate(n_units=8, treated=2, effect=0.0, seed=17)
    res = run(frame)
    table = res.placebo()
    times = table[table["kind"] == "time"]
    units = table[table["kind"] == "unit"]
    assert list(times["fake_intervention"]) == [2, 3, 4, 5]
    assert len(units) == 15  # C(6, 2) sets of two among the six comparison districts
    assert all(set(s).isdisjoint({"D00", "D01"}) for s in units["fake_treated"])
    assert times["p_value"].between(0, 1).all()
    assert 0 <= table.attrs["share_as_large"] <= 1


# ----------------------------------------------------------------------------- display and text


def test_summary_html_plot_and_sentences():
    res = run(simulate(seed=18))
    assert isinstance(res, DiDResult)
    assert "wild" in res.summary() and "parallel trends" in res.summary()
    assert "<table" in res._repr_html_()
    fig = res.plot()
    ax = fig.axes[0]
    assert len(ax.lines) >= 3 and ax.get_legend() is not None
    fig2 = res.event_study(leads=2, lags=1).plot(language="en")
    assert fig2.axes[0].get_xlabel().startswith("Period relative")
    sv = res.sentences("sv")
    est = res.effect["estimate"]
    assert f"{abs(est):.3f}".replace(".", ",") in sv[0]
    sv_methods = res.methods("sv")
    assert any("parallella trender" in s for s in sv_methods)
    assert any("ingen spridning mellan distrikten" in s for s in sv_methods)
    nb = " ".join(res.sentences("nb"))
    assert "forskjeller" in nb and "klyngebootstrap" in nb
    en = " ".join(res.methods("en"))
    assert "no anticipation" in en and "absorbing treatment" in en
    with pytest.raises(AnalysisError, match="language"):
        res.sentences("de")


def test_negative_numbers_use_the_minus_sign_in_swedish():
    res = run(simulate(effect=-3.0, n_units=40, treated=15, seed=19))
    assert "\u2212" in res.sentences("sv")[0]
    assert "-" in res.sentences("en")[0].split("is ")[1][:2]


# ----------------------------------------------------------------------------- small simulations


def test_coverage_cluster_30_units_10_treated_small():
    # Full version (≥ 1,000 replications) in benchmarks/did_coverage.py.
    hits = []
    for s in range(150):
        e = run(simulate(n_units=30, treated=10, effect=1.0, seed=1000 + s)).effect
        hits.append(e["ci_low"] <= 1.0 <= e["ci_high"])
    assert 0.88 <= np.mean(hits) <= 0.99


def test_ri_rejection_rate_under_the_null_is_at_most_nominal():
    # With 2 of 6 treated the RI test is exact: P(p ≤ 3/15) = 3/15 under a null with exchangeable units.
    rejections = [run(simulate(n_units=6, treated=2, effect=0.0, seed=2000 + s)).effect["p_value"] <= 0.2 + 1e-9
                  for s in range(150)]
    assert 0.1 <= np.mean(rejections) <= 0.3


def test_more_leads_than_clusters_allow_is_handled_not_inverted():
    frame = simulate(n_units=6, treated=2, n_times=20, start=12, seed=20)
    es = run(frame, intervention=12).event_study()
    assert es.pretrend["n_leads"] == 11
    assert "sum of squared leads" in es.pretrend["test"] and 0 < es.pretrend["p_value"] <= 1
    es = run(frame, intervention=12, inference="cluster").event_study()
    assert np.isnan(es.pretrend["p_value"]) and "leads=4 or fewer" in es.pretrend["test"]
    assert "not computed" in es.summary()
