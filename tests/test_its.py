"""ek.its: published ITS analyses reproduced, the result object, and bad input.

Golden values are cited at each test; the datasets and their sources are in
tests/data/its/README.md.
"""
from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.its import ITSResult, hac_lag_rule, its
from evalkit.errors import AnalysisError, AnalysisWarning, DataError

matplotlib.use("Agg")

DATA = Path(__file__).parent / "data" / "its"


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    d = pd.read_csv(DATA / "sicily.csv")
    d["date"] = pd.to_datetime(dict(year=d["year"], month=d["month"], day=1))
    return d


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    wide = pd.read_csv(DATA / "prop99_cigsale_wide.csv")
    long = wide.melt(id_vars="state", var_name="year", value_name="cigsale")
    long["year"] = long["year"].astype(int)
    return long


@pytest.fixture(scope="module")
def california(prop99) -> pd.DataFrame:
    return prop99[prop99["state"] == "California"].reset_index(drop=True)


def _quiet(**kwargs) -> ITSResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return its(**kwargs)


def _series(n_pre=24, n_post=24, level=-3.0, slope=0.2, rho=0.0, sd=1.0, seed=1, start="2019-01-01"):
    rng = np.random.default_rng(seed)
    n = n_pre + n_post
    e = np.zeros(n)
    shocks = rng.normal(0, sd, n)
    for i in range(n):
        e[i] = shocks[i] + (rho * e[i - 1] if i else 0.0)
    t = np.arange(n)
    post = t >= n_pre
    y = 20 + 0.1 * t + level * post + slope * (t - n_pre) * post + e
    return pd.DataFrame({"month": pd.date_range(start, periods=n, freq="MS"), "y": y})


# --------------------------------------------------------------------------- golden


def test_sicily_poisson_level_change_matches_lopez_bernal_step4(sicily):
    # Lopez Bernal, Cummins & Gasparrini (2017) IJE 46:348, Step 4 / Rcode.R model1:
    # glm(aces ~ offset(log(stdpop)) + smokban + time, family = poisson) -> RR 0.894 (0.865-0.925)
    res = _quiet(data=sicily, outcome="aces", time="date", intervention="2005-01-01",
                 family="poisson", exposure="stdpop", impact="level")
    row = res.effects.loc["level_change"]
    assert row["estimate"] == pytest.approx(0.894, abs=5e-4)
    assert row["ci_low"] == pytest.approx(0.865, abs=5e-4)
    assert row["ci_high"] == pytest.approx(0.925, abs=5e-4)
    assert res.measure == "rate ratio"


@pytest.mark.parametrize("time_col,intervention", [("date", "2005-01-01"), ("time", 37)])
def test_sicily_quasipoisson_seasonal_matches_lopez_bernal_step5(sicily, time_col, intervention):
    # Lopez Bernal et al. (2017) Step 5c / Rcode.R model3: quasipoisson with
    # harmonic(month, 2, 12) -> RR 0.885 (0.839-0.933). With integer periods the Fourier
    # cycle is shifted by a month, which spans the same seasonal space (same estimate).
    # The paper's interval is Epi::ci.lin's, b +- 1.96 se; evalkit's uses t(n - p) = t(52)
    # because the scale is estimated (R summary.glm's reference; test_its_kr.py checks it
    # against R to 1e-8), so the paper's interval is rebuilt from the same se with 1.96.
    res = _quiet(data=sicily, outcome="aces", time=time_col, intervention=intervention,
                 family="quasipoisson", exposure="stdpop", impact="level", seasonality="fourier:2")
    row = res.effects.loc["level_change"]
    b, se = np.log(row["estimate"]), res.inference.loc["level_change", "se"]
    assert row["estimate"] == pytest.approx(0.885, abs=5e-4)
    assert np.exp(b - 1.959964 * se) == pytest.approx(0.839, abs=5e-4)
    assert np.exp(b + 1.959964 * se) == pytest.approx(0.933, abs=5e-4)
    assert res.inference.loc["level_change", "df"] == 59 - 7
    assert row["ci_low"] == pytest.approx(np.exp(b - 2.006647 * se), rel=1e-6)  # qt(0.975, 52)
    assert row["ci_low"] < 0.839 - 5e-4 and row["ci_high"] > 0.933  # wider than the normal interval
    assert res.diagnostics["scale"] > 1.5  # the paper notes overdispersion


def test_prop99_single_group_matches_linden_itsa(california):
    # Linden (2015) Stata Journal 15:480, itsa cigsale, treatid(3) trperiod(1989) lag(1) posttrend;
    # coefficients as printed in Linden's power_itsa help: 132.2258, -1.779474, -20.0581,
    # post-trend -3.274126.
    res = _quiet(data=california, outcome="cigsale", time="year", intervention=1989, hac_lags=1)
    eff, coef = res.effects, res.coefficients
    assert coef.loc["const", "coef"] == pytest.approx(132.2258, abs=5e-5)
    assert eff.loc["pre_trend", "estimate"] == pytest.approx(-1.779474, abs=5e-7)
    assert eff.loc["level_change", "estimate"] == pytest.approx(-20.0581, abs=5e-5)
    assert eff.loc["post_trend", "estimate"] == pytest.approx(-3.274126, abs=5e-7)
    assert res.hac_lags == 1


def test_prop99_controlled_matches_linden_itsa_multiple_group(prop99):
    # Linden (2015), multiple-group itsa with the 38 other states as controls, lag(1).
    # power_itsa help: controls intercept 135.4995, pre -.5477701, step -17.25168, post -1.051279;
    # _z_x1989 = -2.806417 (P = 0.631); _z_x_t1989 P = 0.136. The P-values come from Stata's
    # newey on the panel, so they also check our Newey-West panel errors and small-sample factor.
    controls = sorted(set(prop99["state"]) - {"California"})
    res = _quiet(data=prop99, outcome="cigsale", time="year", intervention=1989, hac_lags=1,
                 unit="state", comparison=controls)
    coef, eff = res.coefficients["coef"], res.effects
    assert coef["const"] == pytest.approx(135.4995, abs=5e-5)
    assert coef["time"] == pytest.approx(-0.5477701, abs=5e-8)
    assert coef["level"] == pytest.approx(-17.25168, abs=5e-6)
    assert coef["time"] + coef["slope"] == pytest.approx(-1.051279, abs=5e-7)
    assert eff.loc["level_change", "estimate"] == pytest.approx(-2.806417, abs=5e-7)
    assert eff.loc["level_change", "p_value"] == pytest.approx(0.631, abs=1e-3)
    assert eff.loc["slope_change", "p_value"] == pytest.approx(0.136, abs=1e-3)
    # treated post-trend minus control post-trend: -3.274126 - (-1.051279)
    assert eff.loc["post_trend", "estimate"] == pytest.approx(-3.274126 + 1.051279, abs=1e-6)


@pytest.mark.parametrize("lags", [0, 1, 3])
def test_newey_west_equals_stata_newey_formula(california, lags):
    # Stata newey / R sandwich::NeweyWest(lag=L, prewhite=FALSE, adjust=TRUE):
    # V = T/(T-k) (X'X)^-1 [sum e2 xx' + sum_l (1 - l/(L+1)) sum_t e_t e_{t-l}(x_t x_{t-l}' + x_{t-l} x_t')] (X'X)^-1
    y = california["cigsale"].to_numpy()
    t = np.arange(31.0)
    post = (t >= 19).astype(float)
    X = np.column_stack([np.ones(31), t, post, (t - 19) * post])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    u = X * (y - X @ b)[:, None]
    meat = u.T @ u
    for lag in range(1, lags + 1):
        g = u[lag:].T @ u[:-lag]
        meat += (1 - lag / (lags + 1)) * (g + g.T)
    bread = np.linalg.inv(X.T @ X)
    se = np.sqrt(np.diag(31 / 27 * bread @ meat @ bread))
    res = _quiet(data=california, outcome="cigsale", time="year", intervention=1989, hac_lags=lags)
    assert res.coefficients["se"].to_numpy() == pytest.approx(se, rel=1e-10)


# --------------------------------------------------------------------------- result object


def test_effects_table_shape_and_not_estimated_rows_are_nan():
    df = _series()
    for impact, missing in (("level", {"slope_change", "post_trend"}), ("slope", {"level_change"}),
                            ("both", set())):
        eff = _quiet(data=df, outcome="y", time="month", intervention="2021-01-01", impact=impact).effects
        assert list(eff.index) == ["pre_trend", "level_change", "slope_change", "post_trend"]
        assert list(eff.columns) == ["estimate", "ci_low", "ci_high", "p_value"]
        assert set(eff.index[eff["estimate"].isna()]) == missing


def test_post_trend_is_sum_with_its_own_interval():
    res = _quiet(data=_series(rho=0.3), outcome="y", time="month", intervention="2021-01-01")
    eff = res.effects
    assert eff.loc["post_trend", "estimate"] == pytest.approx(
        eff.loc["pre_trend", "estimate"] + eff.loc["slope_change", "estimate"])
    width = eff["ci_high"] - eff["ci_low"]
    # its own interval: not the sum of the two widths, and not either one alone
    assert width["post_trend"] < width["pre_trend"] + width["slope_change"]
    assert width["post_trend"] != pytest.approx(width["slope_change"])


def test_fitted_and_counterfactual():
    res = _quiet(data=_series(), outcome="y", time="month", intervention="2021-01-01")
    fit = res.fitted
    assert list(fit.columns) == ["time", "observed", "fitted", "counterfactual", "cf_low", "cf_high"]
    pre, post = fit.iloc[:24], fit.iloc[24:]
    assert np.allclose(pre["fitted"], pre["counterfactual"])
    eff = res.effects["estimate"]
    gap = post["fitted"].to_numpy() - post["counterfactual"].to_numpy()
    assert gap == pytest.approx(eff["level_change"] + eff["slope_change"] * np.arange(24))
    assert (post["cf_low"] < post["counterfactual"]).all() and (post["cf_high"] > post["counterfactual"]).all()
    assert fit["time"].iloc[24] == pd.Timestamp("2021-01-01")


def test_result_is_immutable():
    res = _quiet(data=_series(), outcome="y", time="month", intervention="2021-01-01")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n_pre = 3
    eff = res.effects
    eff.loc["level_change", "estimate"] = 99.0
    assert res.effects.loc["level_change", "estimate"] != 99.0
    with pytest.raises(TypeError):
        res.spec["family"] = "poisson"


def test_hac_auto_rule_is_reported():
    res = _quiet(data=_series(), outcome="y", time="month", intervention="2021-01-01", errors="hac")
    assert res.hac_lags == hac_lag_rule(48) == 3
    assert "4·(T/100)^(2/9)" in res.hac_rule
    text = res.summary()
    for needle in ("OLS", "48 (24 before, 24 from the change)", "Newey–West", "3 lag(s)",
                   "level_change", "durbin_watson", "Assumptions"):
        assert needle in text


def test_sentences_use_decimal_comma_for_sv_and_nb(california):
    res = _quiet(data=california.rename(columns={"cigsale": "försäljningen"}),
                 outcome="försäljningen", time="year", intervention=1989, hac_lags=1)
    sv, nb, en = res.sentences("sv"), res.sentences("nb"), res.sentences("en")
    assert len(sv) == len(nb) == len(en) == 3
    # the interval is the table's own, signed and low to high, whatever verb the sentence uses
    assert "minskade nivån för försäljningen med 20,1 (95 % KI för förändringen −29,8 till −10,4; p < 0,001)" in sv[0]
    assert "sank" in nb[0] and "20,1" in nb[0]
    assert "fell by 20.1 (95% CI of the change -29.8 to -10.4; p < 0.001)" in en[0]
    with pytest.raises(AnalysisError):
        res.sentences("de")


def test_rate_ratio_sentence(sicily):
    res = _quiet(data=sicily, outcome="aces", time="date", intervention="2005-01-01",
                 family="quasipoisson", exposure="stdpop", impact="level", seasonality="fourier:2")
    (sv,) = res.sentences("sv")
    # the t(52) interval of the quasi-Poisson fit (the paper's normal one is 0.839-0.933)
    assert "minskade" in sv and "11,5 %" in sv and "0,885" in sv and "0,838–0,934" in sv


def test_plot_html_and_frame():
    import matplotlib.pyplot as plt

    res = _quiet(data=_series(), outcome="y", time="month", intervention="2021-01-01")
    fig = res.plot(language="en")
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"Observed", "Fitted", "Counterfactual (no change)"} <= set(labels)
    sv = res.plot(language="sv").axes[0]
    assert {"Observerat", "Anpassat", "Kontrafaktiskt (utan förändring)"} <= {
        line.get_label() for line in sv.get_lines()}
    assert any(t.get_text() == "Förändring 2021-01" for t in sv.texts)
    assert sv.get_xlabel() == "Månad"
    assert len(ax.collections) >= 1  # counterfactual band
    fig2, ax2 = plt.subplots()
    assert res.plot(ax=ax2) is fig2
    plt.close("all")
    html = res._repr_html_()
    assert "<table" in html and "level_change" in html
    frame = res.to_frame()
    assert list(frame.columns) == ["effect", "estimate", "ci_low", "ci_high", "p_value", "measure"]
    assert set(frame["measure"]) == {"difference"}


def test_unsorted_rows_are_sorted_not_refused():
    df = _series(rho=0.2)
    shuffled = df.sample(frac=1.0, random_state=3)
    a = _quiet(data=df, outcome="y", time="month", intervention="2021-01-01").effects
    b = _quiet(data=shuffled, outcome="y", time="month", intervention="2021-01-01").effects
    pd.testing.assert_frame_equal(a, b)


def test_days_within_a_month_are_normalised_to_the_month():
    df = _series()
    mid = df.assign(month=df["month"] + pd.to_timedelta(np.arange(len(df)) % 27, unit="D"))
    a = _quiet(data=df, outcome="y", time="month", intervention="2021-01-01").effects
    b = _quiet(data=mid, outcome="y", time="month", intervention="2021-01-20").effects
    pd.testing.assert_frame_equal(a, b)


def test_yearly_dates_and_iso_strings(california):
    dated = california.assign(year=pd.to_datetime(california["year"].astype(str) + "-01-01"))
    res = _quiet(data=dated, outcome="cigsale", time="year", intervention="1989-01-01", hac_lags=1)
    assert res.effects.loc["level_change", "estimate"] == pytest.approx(-20.0581, abs=5e-5)
    assert "per year" in res.summary().replace("trends per year", "per year")
    strings = _series().assign(month=lambda d: d["month"].dt.strftime("%Y-%m"))
    res = _quiet(data=strings, outcome="y", time="month", intervention="2021-01")
    assert res.n_pre == 24


def test_month_dummies_and_fourier_recover_a_seasonal_series():
    df = _series(sd=0.3, seed=5)
    df["y"] += 3 * np.sin(2 * np.pi * df["month"].dt.month / 12)
    for season in ("month", "fourier:1"):
        res = _quiet(data=df, outcome="y", time="month", intervention="2021-01-01", seasonality=season)
        eff = res.effects["estimate"]
        assert eff["level_change"] == pytest.approx(-3.0, abs=0.6)
        assert eff["slope_change"] == pytest.approx(0.2, abs=0.06)
    assert res.coefficients.index.str.startswith(("sin", "cos")).sum() == 2
    res = _quiet(data=df, outcome="y", time="month", intervention="2021-01-01", seasonality="month")
    assert res.coefficients.index.str.startswith("month_").sum() == 11


def test_diagnostics_and_autocorrelation_warning():
    white = _quiet(data=_series(seed=2), outcome="y", time="month", intervention="2021-01-01",
                   errors="hac")
    d = white.diagnostics
    assert 1.4 < d["durbin_watson"] < 2.6
    assert {"ljung_box_p", "breusch_godfrey_p", "residual_acf1", "hac_lags"} <= set(d)
    with pytest.warns(AnalysisWarning, match="hac_lags"):
        res = its(data=_series(rho=0.9, seed=4, n_pre=40, n_post=40), outcome="y", time="month",
                  intervention="2022-05-01", errors="hac")
    assert res.diagnostics["durbin_watson"] < 1.0


def test_poisson_overdispersion_warns_and_negative_binomial_runs():
    rng = np.random.default_rng(7)
    t = np.arange(60)
    mu = 2000 * np.exp(-3 + 0.005 * t - 0.2 * (t >= 30))
    y = rng.negative_binomial(5, 5 / (5 + mu))
    df = pd.DataFrame({"period": t + 1, "events": y, "pop": 2000.0})
    with pytest.warns(AnalysisWarning, match="quasipoisson"):
        its(data=df, outcome="events", time="period", intervention=31, family="poisson", exposure="pop")
    nb = _quiet(data=df, outcome="events", time="period", intervention=31,
                family="negative_binomial", exposure="pop")
    assert nb.diagnostics["nb_alpha"] == pytest.approx(0.2, abs=0.15)
    lo, est, hi = np.log(nb.effects.loc["level_change", ["ci_low", "estimate", "ci_high"]].astype(float))
    se = (hi - lo) / (2 * 1.959964)
    assert abs(est - (-0.2)) < 3 * se  # one draw: within 3 SE; coverage is checked by simulation


def test_placebo_in_time():
    df = _series(n_pre=36, n_post=24, seed=11)
    res = _quiet(data=df, outcome="y", time="month", intervention="2022-01-01")
    table = res.placebo()
    assert list(table.columns) == ["placebo_time", "level_change", "level_p", "slope_change",
                                   "slope_p", "significant"]
    assert len(table) == 36 - 2 * 8 + 1
    assert (pd.to_datetime(table["placebo_time"]) < pd.Timestamp("2022-01-01")).all()
    assert pd.to_datetime(table["placebo_time"]).min() == pd.Timestamp("2019-09-01")  # 8 pre periods
    assert table.attrs["n_significant"] == int(table["significant"].sum())
    assert table.attrs["n_significant"] <= len(table) // 2  # no break in the pre-period
    assert len(res.placebo(n=5)) == 5
    short = _quiet(data=_series(n_pre=12, n_post=12), outcome="y", time="month",
                   intervention="2020-01-01")
    with pytest.raises(AnalysisError, match="16 pre-intervention periods"):
        short.placebo()


def test_several_units_by_unit_and_pooled():
    parts = [_series(seed=s, level=-3.0, rho=0.2).assign(unit=f"u{s}", y=lambda d, s=s: d["y"] + s)
             for s in range(4)]
    panel = pd.concat(parts, ignore_index=True)
    res = _quiet(data=panel, outcome="y", time="month", intervention="2021-01-01", unit="unit")
    by = res.by_unit
    assert set(by.index.get_level_values("unit")) == {"u0", "u1", "u2", "u3"}
    assert list(by.columns) == ["estimate", "ci_low", "ci_high", "p_value"]
    pooled = res.effects.loc["level_change"]
    assert pooled["ci_low"] < -3.0 < pooled["ci_high"]
    assert "unit" in res.fitted.columns
    assert res.coefficients.index.str.startswith("unit_").sum() == 3


# --------------------------------------------------------------------------- bad input


def _call(df, **kw):
    args = dict(data=df, outcome="y", time="month", intervention="2021-01-01")
    args.update(kw)
    return its(**args)


def test_too_few_periods_is_refused_with_what_to_change():
    with pytest.raises(AnalysisError, match="at least 8 on each side"):
        _call(_series(n_pre=7, n_post=12), intervention="2019-08-01")


def test_gaps_and_duplicates_are_named():
    df = _series()
    with pytest.raises(DataError, match="gaps") as err:
        _call(df.drop(index=[5, 6]))
    assert "2019-06" in str(err.value) and "2019-07" in str(err.value)
    dup = pd.concat([df, df.iloc[[10]]])
    with pytest.raises(DataError, match="duplicated") as err:
        _call(dup)
    assert "2019-11" in str(err.value)


def test_intervention_outside_or_of_wrong_type():
    with pytest.raises(AnalysisError, match="not inside the data"):
        _call(_series(), intervention="2030-01-01")
    with pytest.raises(AnalysisError, match="not inside the data"):
        _call(_series(), intervention="2019-01-01")  # no pre-period
    with pytest.raises(AnalysisError, match="not a date"):
        _call(_series(), intervention="soon")
    ints = _series().assign(month=np.arange(48))
    with pytest.raises(AnalysisError, match="integer period"):
        _call(ints, intervention="2021-01-01")


def test_count_family_input_errors():
    df = _series().assign(y=lambda d: np.round(d["y"]), pop=1000.0)
    with pytest.raises(AnalysisError, match="exposure 'pop' must be positive"):
        _call(df.assign(pop=lambda d: np.where(d.index == 3, 0.0, d["pop"])), family="poisson", exposure="pop")
    with pytest.raises(AnalysisError, match="zero in every period"):
        _call(df.assign(y=0), family="poisson")
    with pytest.raises(AnalysisError, match="negative"):
        _call(df.assign(y=lambda d: d["y"] - 100), family="negative_binomial")
    with pytest.raises(AnalysisError, match="count family"):
        _call(df, exposure="pop")


def test_bad_arguments_and_columns():
    df = _series()
    with pytest.raises(AnalysisError, match="gaussian, poisson, quasipoisson, negative_binomial"):
        _call(df, family="binomial")
    with pytest.raises(AnalysisError, match="impact"):
        _call(df, impact="trend")
    with pytest.raises(AnalysisError, match="fourier:K"):
        _call(df, seasonality="fourier:9")
    with pytest.raises(AnalysisError, match="hac_lags"):
        _call(df, hac_lags=-1)
    with pytest.raises(DataError, match="'outcome_x'"):
        _call(df, outcome="outcome_x")
    with pytest.raises(DataError, match="numeric"):
        _call(df.assign(y=df["y"].astype(object).where(df.index != 4, "n/a")))
    with pytest.raises(AnalysisError, match="monthly dates"):
        _call(df.assign(month=np.arange(48)), intervention=24, seasonality="month")
    with pytest.raises(AnalysisError, match="at least 24"):
        _call(_series(n_pre=10, n_post=10), intervention="2019-11-01", seasonality="month")
    with pytest.raises(AnalysisError, match="unit="):
        _call(df, comparison="x")


def test_hac_lags_not_below_the_series_length_is_refused():
    with pytest.raises(AnalysisError, match="hac_lags=48 is not below"):
        _call(_series(), hac_lags=48)


def test_empty_time_values_are_named():
    df = _series()
    df.loc[3, "month"] = pd.NaT
    with pytest.raises(DataError, match="empty values"):
        _call(df)
