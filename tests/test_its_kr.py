"""ek.its inference against R: Kenward–Roger (pbkrtest) for AR(1) errors, t(n - p) for quasi-Poisson.

The golden values are in tests/data/its/r_golden.json, written by tests/data/its/r_golden.R
(R 4.2, nlme, lme4, pbkrtest 0.5.2; ``Rscript tests/data/its/r_golden.R`` regenerates them).
What the R script computes, in short:

* lmer, which pbkrtest accepts: on six states' cigarette sales (prop99),
  ``lmer(cigsale ~ time + level + slope + (1 | state))`` and ``... + (1 + time | state)``, REML;
  ``vcov``, ``vcovAdj``, ``get_Lb_ddf(fit, L)`` for the four ITS contrasts and
  ``KRmodcomp(fit, update(fit, . ~ . - time - slope))``. Here Sigma is rebuilt from R's
  variance components and evalkit's :func:`kenward_roger` must reproduce all of them.
* AR(1), which pbkrtest's lmer front end cannot take: ``nlme::gls(y ~ X - 1, correlation =
  corAR1(form = ~ 1 | unit), method = "REML")`` with rho maximised by ``optimize(tol = 1e-12)``
  on nlme's restricted log-likelihood; then pbkrtest's own workers ``vcovAdj_internal(Phi,
  SigmaG, X)`` and ``Lb_ddf(L, Phi, PhiA)`` with ``SigmaG$G = list(dSigma/dsigma2,
  dSigma/drho)`` for ``Sigma = sigma2 C(rho)``, ``C_ij = rho^|i-j|``. Three series: a simulated
  one (ar1_simulated.csv, rho 0.45), the Sicily rate per 100,000 with two Fourier pairs
  (rho -0.14), California against three states (controlled ITS, four AR(1) blocks, rho 0.98).
* quasi-Poisson: ``glm(aces ~ X - 1 + offset(log(stdpop)), family = quasipoisson)`` on Sicily;
  ``summary.glm`` p-values (t(n - p)) and ``est +- qt(0.975, n - p) se``.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis import _its_ar1 as ar1
from evalkit.analysis.its import its
from evalkit.errors import AnalysisWarning

DATA = Path(__file__).parent / "data" / "its"
GOLDEN = json.loads((DATA / "r_golden.json").read_text())
EFFECTS = ("pre_trend", "level_change", "slope_change", "post_trend")


def _quiet(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return its(**kwargs)


def _relative(a, b) -> float:
    """Largest difference of two covariance matrices relative to sqrt(b_ii b_jj)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = np.sqrt(np.outer(np.diag(b), np.diag(b)))
    return float(np.max(np.abs(a - b) / scale))


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    wide = pd.read_csv(DATA / "prop99_cigsale_wide.csv")
    long = wide.melt(id_vars="state", var_name="year", value_name="cigsale")
    long["year"] = long["year"].astype(int)
    return long.sort_values(["state", "year"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    d = pd.read_csv(DATA / "sicily.csv")
    d["date"] = pd.to_datetime(dict(year=d["year"], month=d["month"], day=1))
    d["rate"] = d["aces"] / d["stdpop"] * 1e5
    return d


def _its_columns(t, t0) -> np.ndarray:
    post = (t >= t0).astype(float)
    return np.column_stack([np.ones(len(t)), t, post, (t - t0) * post])


def _contrast(names, terms) -> np.ndarray:
    return np.array([1.0 if n in terms else 0.0 for n in names])


def _contrasts(names, prefix=""):
    terms = {"pre_trend": ["time"], "level_change": ["level"], "slope_change": ["slope"],
             "post_trend": ["time", "slope"]}
    return {k: _contrast(names, [prefix + t for t in v]) for k, v in terms.items()}


# --------------------------------------------------------------------------- lmer (pbkrtest public API)


def _lmer_parts(data: pd.DataFrame, case: str, varcorr: list) -> list:
    """Blocks (X, Sigma, G, None) of the random-intercept (or intercept + time) model, per state."""
    value = {(v["grp"], v.get("var1"), v.get("var2")): v["vcov"] for v in varcorr}
    resid = value[("Residual", None, None)]
    parts = []
    for _, block in data.groupby("state", sort=True):
        t = (block["year"] - 1970).to_numpy(dtype=float)
        X = _its_columns(t, 19.0)
        one, eye = np.ones((len(t), 1)), np.eye(len(t))
        G = [one @ one.T]
        theta = [value[("state", "(Intercept)", None)]]
        if case == "slope":
            tt = t[:, None]
            G += [tt @ tt.T, one @ tt.T + tt @ one.T]
            theta += [value[("state", "time", None)], value[("state", "(Intercept)", "time")]]
        G.append(eye)
        theta.append(resid)
        parts.append((X, sum(th * g for th, g in zip(theta, G)), G, None))
    return parts


@pytest.mark.parametrize("case", ["intercept", "slope"])
def test_kenward_roger_equals_pbkrtest_on_lmer_models(prop99, case):
    ref = GOLDEN["lmer"][case]
    six = prop99[prop99["state"].isin(["Alabama", "Arkansas", "California", "Colorado", "Connecticut",
                                       "Delaware"])]
    pieces = ar1.kenward_roger(_lmer_parts(six, case, ref["varcorr"]))
    # measured: 3e-13 or better for all of them
    assert _relative(pieces["phi"], ref["vcov"]) < 1e-10                 # lme4 vcov()
    assert _relative(pieces["phi_adj"], ref["vcovAdj"]) < 1e-10         # pbkrtest::vcovAdj
    names = ["const", "time", "level", "slope"]
    for effect, c in _contrasts(names).items():
        df, lam = ar1.kenward_roger_ddf(c, pieces)
        assert df == pytest.approx(ref["ddf"][effect], rel=1e-10), effect  # pbkrtest::get_Lb_ddf
        assert lam == pytest.approx(1.0, abs=1e-10)                      # one contrast: no scaling
    # a joint test (two rows): ddf, F scaling and the scaled F of KRmodcomp
    L = np.array(ref["joint_L"])
    df, lam = ar1.kenward_roger_ddf(L, pieces)
    assert df == pytest.approx(ref["joint_ddf"], rel=1e-10)
    assert lam == pytest.approx(ref["joint_Fscaling"], rel=1e-10)
    b = np.array(ref["beta"])
    wald = float((L @ b) @ np.linalg.solve(L @ pieces["phi_adj"] @ L.T, L @ b)) / 2
    assert wald == pytest.approx(ref["joint_FstatU"], rel=1e-7)
    assert lam * wald == pytest.approx(ref["joint_Fstat"], rel=1e-7)


def test_lmer_random_slope_case_is_not_trivial():
    # guards the test above: the random slope makes df and scaling differ from the balanced
    # within-state answer, so agreement there checks A1, A2 and the scaling, not just n - p
    ref = GOLDEN["lmer"]["slope"]
    assert ref["ddf"]["pre_trend"] < 10 and ref["joint_ddf"] < 20
    assert ref["joint_Fscaling"] < 0.99


# --------------------------------------------------------------------------- AR(1)


def _ar1_cases(prop99, sicily) -> dict:
    sim = pd.read_csv(DATA / "ar1_simulated.csv")
    four = prop99[prop99["state"].isin(["Alabama", "Arkansas", "California", "Colorado"])]
    return {
        "simulated": dict(data=sim, outcome="y", time="period", intervention=25),
        "sicily_rate": dict(data=sicily, outcome="rate", time="date", intervention="2005-01-01",
                            seasonality="fourier:2"),
        "controlled": dict(data=four, outcome="cigsale", time="year", intervention=1989, unit="state",
                           comparison=["Alabama", "Arkansas", "Colorado"]),
    }


def _ar1_design(name, prop99, sicily):
    """X and blocks exactly as the R script builds them (rows of each series in time order)."""
    if name == "simulated":
        n = len(pd.read_csv(DATA / "ar1_simulated.csv"))
        return _its_columns(np.arange(n, dtype=float), 24.0), [np.arange(n)]
    if name == "sicily_rate":
        m = sicily["month"].to_numpy()
        season = [np.sin(m * k * np.pi / 6) for k in (1, 2)] + [np.cos(m * k * np.pi / 6) for k in (1, 2)]
        X = np.column_stack([_its_columns(np.arange(len(m), dtype=float), 36.0)] + season)
        return X, [np.arange(len(m))]
    four = prop99[prop99["state"].isin(["Alabama", "Arkansas", "California", "Colorado"])]
    base = _its_columns((four["year"] - 1970).to_numpy(dtype=float), 19.0)
    group = (four["state"] == "California").to_numpy(dtype=float)[:, None]
    X = np.column_stack([base, group, group * base[:, 1:]])
    return X, [np.arange(i * 31, (i + 1) * 31) for i in range(4)]


@pytest.mark.parametrize("name", ["simulated", "sicily_rate", "controlled"])
def test_ar1_kenward_roger_algebra_equals_pbkrtest_at_the_same_estimates(prop99, sicily, name):
    # the algebra alone: evalkit's pieces at R's rho and sigma2 (theta = (s2, rho) here,
    # (sigma2, rho) in R; first-order Phi_A and the df do not depend on the parametrisation)
    ref = GOLDEN["ar1"][name]
    X, blocks = _ar1_design(name, prop99, sicily)
    rho = ref["rho"]
    fit = dict(X=X, blocks=blocks, rho=rho, s2=ref["sigma2"] * (1 - rho ** 2))
    pieces = ar1.kenward_roger(ar1._ar1_parts(fit))
    # measured: 5e-13 or better
    assert _relative(pieces["phi"], ref["Phi"]) < 1e-10
    assert _relative(pieces["phi_adj"], ref["PhiA"]) < 1e-10
    prefix = "group:" if name == "controlled" else ""
    for effect, c in _contrasts(ref["names"], prefix).items():
        df, _ = ar1.kenward_roger_ddf(c, pieces)
        assert df == pytest.approx(ref["effects"][effect]["ddf"], rel=1e-10), effect


@pytest.mark.parametrize("name", ["simulated", "sicily_rate", "controlled"])
def test_its_ar1_inference_equals_gls_and_pbkrtest(prop99, sicily, name):
    # the whole fit: evalkit's own REML rho (differs from R's by ~1e-8), then Kenward-Roger.
    # Measured: df within 3.3e-7 (relative), Phi_A within 3.9e-7 (relative to sqrt(Phi_ii Phi_jj)),
    # p-values within 4.5e-7, interval bounds within 1.3e-7 standard errors.
    ref = GOLDEN["ar1"][name]
    res = _quiet(**_ar1_cases(prop99, sicily)[name])
    assert list(res.coefficients.index) == ref["names"]
    assert res.diagnostics["ar1_rho"] == pytest.approx(ref["rho"], abs=1e-7)
    assert res.diagnostics["ar1_rho"] == pytest.approx(ref["rho_gls_default"], abs=1e-7)
    np.testing.assert_allclose(res.coefficients["coef"], ref["beta"], rtol=1e-7, atol=1e-9)
    assert _relative(res.covariance.to_numpy(), ref["PhiA"]) < 1e-6     # pbkrtest vcovAdj
    for effect in EFFECTS:
        r, row, test = ref["effects"][effect], res.effects.loc[effect], res.inference.loc[effect]
        assert test["df"] == pytest.approx(r["ddf"], rel=1e-6), effect      # pbkrtest Lb_ddf
        assert test["se"] == pytest.approx(r["se_adj"], rel=1e-6), effect
        assert row["estimate"] == pytest.approx(r["estimate"], rel=1e-6, abs=1e-9)
        assert row["p_value"] == pytest.approx(r["p"], rel=1e-5), effect
        # bounds near 0 make a relative tolerance meaningless: 1e-6 of a standard error
        assert row["ci_low"] == pytest.approx(r["ci_low"], abs=1e-6 * r["se_adj"])
        assert row["ci_high"] == pytest.approx(r["ci_high"], abs=1e-6 * r["se_adj"])


def test_one_contrast_df_is_satterthwaite_and_needs_phi_not_phi_adj(prop99, sicily):
    # for one contrast KR's m = 2 (c'Phi c)^2 / (g'Wg), g_i = c'Phi P_i Phi c; taking
    # Theta = cc' / (c'Phi_A c) (as evalkit did before) scales m by (c'Phi_A c / c'Phi c)^2
    ref = GOLDEN["ar1"]["simulated"]
    X, blocks = _ar1_design("simulated", prop99, sicily)
    fit = dict(X=X, blocks=blocks, rho=ref["rho"], s2=ref["sigma2"] * (1 - ref["rho"] ** 2))
    pieces = ar1.kenward_roger(ar1._ar1_parts(fit))
    c = _contrast(ref["names"], ["level"])
    phi, W, P = pieces["phi"], pieces["W"], pieces["P"]
    g = np.array([c @ phi @ Pi @ phi @ c for Pi in P])
    m, lam = ar1.kenward_roger_ddf(c, pieces)
    assert m == pytest.approx(2 * float(c @ phi @ c) ** 2 / float(g @ W @ g), rel=1e-12)
    assert lam == pytest.approx(1.0, abs=1e-12)
    assert m == pytest.approx(ref["effects"]["level_change"]["ddf"], rel=1e-9)
    old = 2 * float(c @ pieces["phi_adj"] @ c) ** 2 / float(g @ W @ g)
    assert old / m > 1.3  # 40 % too many df on this series: the bug this test guards against


def test_first_order_kenward_roger_does_not_depend_on_the_parametrisation(prop99, sicily):
    # theta = (s2, rho) against (log s2, atanh rho): the G_i are rescaled by the Jacobian
    ref = GOLDEN["ar1"]["sicily_rate"]
    X, blocks = _ar1_design("sicily_rate", prop99, sicily)
    rho = ref["rho"]
    fit = dict(X=X, blocks=blocks, rho=rho, s2=ref["sigma2"] * (1 - rho ** 2))
    parts = ar1._ar1_parts(fit)
    other = [(x, v, [g[0] * fit["s2"], g[1] * (1 - rho ** 2)], vi) for x, v, g, vi in parts]
    a, b = ar1.kenward_roger(parts), ar1.kenward_roger(other)
    assert _relative(a["phi_adj"], b["phi_adj"]) < 1e-10
    c = _contrast(ref["names"], ["slope"])
    assert ar1.kenward_roger_ddf(c, a)[0] == pytest.approx(ar1.kenward_roger_ddf(c, b)[0], rel=1e-10)


def test_ar1_derivative_matrices_match_finite_differences():
    X = _its_columns(np.arange(20.0), 10.0)
    fit = dict(X=X, blocks=[np.arange(20)], rho=0.4, s2=2.0)
    (_, V, G, Vinv), = ar1._ar1_parts(fit)
    np.testing.assert_allclose(V @ Vinv, np.eye(20), atol=1e-12)
    h = 1e-6

    def cov(s2, rho):
        return ar1._ar1_parts(dict(fit, s2=s2, rho=rho))[0][1]

    np.testing.assert_allclose(G[0], (cov(2.0 + h, 0.4) - cov(2.0 - h, 0.4)) / (2 * h), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(G[1], (cov(2.0, 0.4 + h) - cov(2.0, 0.4 - h)) / (2 * h), rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------- quasi-Poisson


@pytest.mark.parametrize("case,kwargs", [
    ("both", dict(impact="both")),
    ("level_fourier2", dict(impact="level", seasonality="fourier:2")),
])
def test_quasipoisson_equals_r_glm_summary_with_t_reference(sicily, case, kwargs):
    ref = GOLDEN["quasipoisson"][case]
    res = _quiet(data=sicily, outcome="aces", time="date", intervention="2005-01-01",
                 family="quasipoisson", exposure="stdpop", **kwargs)
    assert list(res.coefficients.index) == ref["names"]
    # measured: 1e-11 or better for every number here
    np.testing.assert_allclose(res.coefficients["coef"], ref["coef"], rtol=1e-9)
    np.testing.assert_allclose(res.coefficients["se"], ref["se"], rtol=1e-9)
    assert res.diagnostics["scale"] == pytest.approx(ref["dispersion"], rel=1e-10)
    for effect, r in ref["effects"].items():
        row, test = res.effects.loc[effect], res.inference.loc[effect]
        assert test["df"] == ref["df_residual"]
        assert row["estimate"] == pytest.approx(math.exp(r["estimate"]), rel=1e-9)
        assert row["p_value"] == pytest.approx(r["p"], rel=1e-9), effect      # summary.glm Pr(>|t|)
        assert row["ci_low"] == pytest.approx(math.exp(r["ci_low"]), rel=1e-9)
        assert row["ci_high"] == pytest.approx(math.exp(r["ci_high"]), rel=1e-9)
    # the coefficient p-values of summary.glm too (level is a coefficient and an effect)
    k = ref["names"].index("level")
    assert res.effects.loc["level_change", "p_value"] == pytest.approx(ref["p"][k], rel=1e-9)
    # R with glm's default epsilon stops early (r_golden.R); evalkit is within 5e-6 of it too
    assert res.effects.loc["level_change", "p_value"] == pytest.approx(ref["default_epsilon"]["p"][k],
                                                                       rel=1e-5)
    assert f"t({ref['df_residual']})" in res.summary()
    df = ref["df_residual"]
    assert f"t distribution with n − p = {df} degrees of freedom" in " ".join(res.methods("en"))
    assert f"t-fördelningen med n − p = {df} frihetsgrader" in " ".join(res.methods("sv"))
    assert f"t-fordelingen med n − p = {df} frihetsgrader" in " ".join(res.methods("nb"))


def test_families_with_a_known_scale_keep_the_normal_reference(sicily):
    for family in ("poisson", "negative_binomial"):
        res = _quiet(data=sicily, outcome="aces", time="date", intervention="2005-01-01",
                     family=family, exposure="stdpop", impact="level")
        assert (res.inference["df"].dropna() == math.inf).all(), family
        assert "normal quantiles" in res.summary()
        assert "normal distribution (Wald)" in " ".join(res.methods("en"))
        assert "t-fördelningen" not in " ".join(res.methods("sv"))


def test_rho_at_its_bound_warns_that_the_df_are_unreliable():
    # California's cigarette sales alone: the REML rho runs to the 0.99 bound (a near unit root;
    # R's optimize() on nlme's likelihood goes there too), where KR's df collapse (pbkrtest ~0.005)
    wide = pd.read_csv(DATA / "prop99_cigsale_wide.csv")
    cal = wide[wide["state"] == "California"].melt(id_vars="state", var_name="year", value_name="cigsale")
    cal["year"] = cal["year"].astype(int)
    with pytest.warns(AnalysisWarning, match="at its bound"):
        res = its(cal, outcome="cigsale", time="year", intervention=1989)
    assert res.diagnostics["ar1_rho"] == pytest.approx(ar1.RHO_BOUND, abs=1e-6)
    assert res.inference["df"].min() == 1.0  # raised to 1 so that intervals stay finite


def test_second_derivative_term_would_depend_on_the_parametrisation(prop99, sicily):
    # Why R_ij is left out (kenward_roger's docstring): with it, Phi_A changes with the
    # parametrisation of theta; without it, it does not. Second derivatives by finite differences.
    ref = GOLDEN["ar1"]["controlled"]
    X, blocks = _ar1_design("controlled", prop99, sicily)
    rho, sigma2 = ref["rho"], ref["sigma2"]
    lag = np.abs(np.subtract.outer(np.arange(31), np.arange(31)))
    forms = {"s2": (lambda a, b: a / (1 - b ** 2) * b ** lag, (sigma2 * (1 - rho ** 2), rho)),
             "sigma2": (lambda a, b: a * b ** lag, (sigma2, rho))}
    se = {}
    for name, (cov, theta) in forms.items():
        h = np.array([1e-4 * theta[0], 1e-4])
        step = np.eye(2) * h

        def d1(i):
            return (cov(*(theta + step[i])) - cov(*(theta - step[i]))) / (2 * h[i])

        def d2(i, j):
            return (cov(*(theta + step[i] + step[j])) - cov(*(theta + step[i] - step[j]))
                    - cov(*(theta - step[i] + step[j])) + cov(*(theta - step[i] - step[j]))) / (4 * h[i] * h[j])

        V = cov(*theta)
        Vinv = np.linalg.inv(V)
        parts = [(X[idx], V, [d1(0), d1(1)], Vinv) for idx in blocks]
        pieces = ar1.kenward_roger(parts)
        R = [[sum(X[idx].T @ Vinv @ d2(i, j) @ Vinv @ X[idx] for idx in blocks) for j in range(2)]
             for i in range(2)]
        phi, W = pieces["phi"], pieces["W"]
        full = pieces["phi_adj"] - 0.5 * phi @ sum(W[i, j] * R[i][j] for i in range(2) for j in range(2)) @ phi
        k = ref["names"].index("group:level")
        se[name] = (math.sqrt(pieces["phi_adj"][k, k]), math.sqrt(full[k, k]))
    assert se["s2"][0] == pytest.approx(se["sigma2"][0], rel=1e-6)       # first order: invariant
    assert se["sigma2"][1] / se["s2"][1] > 1.2                           # with R_ij: 25 % apart
