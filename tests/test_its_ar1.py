"""AR(1) errors by REML for ek.its: the likelihood against a dense-matrix computation,
GLS against statsmodels, the Kenward–Roger pieces against finite differences, and coverage.

No published nlme::gls(corAR1, REML) output with its data was found to use as a golden
value, so the restricted likelihood is checked against its textbook dense form
(Harville 1974): -1/2 [(n-p) log 2pi + log|V| + log|X'V^-1 X| + r'V^-1 r].
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.optimize as opt
import statsmodels.api as sm

from evalkit.analysis import _its_ar1 as ar1
from evalkit.analysis.its import its
from evalkit.errors import AnalysisError, AnalysisWarning


def _ar1(rng, n, rho=0.5):
    e = np.zeros(n)
    u = rng.normal(size=n)
    e[0] = u[0] / np.sqrt(1 - rho ** 2)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + u[i]
    return e


def _design(n):
    t = np.arange(n)
    d = (t >= n // 2).astype(float)
    return np.column_stack([np.ones(n), t, d, (t - n // 2) * d])


def _corr(n, rho, blocks):
    R = np.zeros((n, n))
    for idx in blocks:
        k = len(idx)
        R[np.ix_(idx, idx)] = rho ** np.abs(np.subtract.outer(np.arange(k), np.arange(k)))
    return R


def _dense_reml(rho, y, X, blocks):
    """Full REML log-likelihood with V = sigma2 R(rho), maximised over sigma2 numerically."""
    n, p = X.shape
    R = _corr(n, rho, blocks)

    def negll(log_sigma2):
        V = np.exp(log_sigma2) * R
        Vi = np.linalg.inv(V)
        XtViX = X.T @ Vi @ X
        b = np.linalg.solve(XtViX, X.T @ Vi @ y)
        r = y - X @ b
        return 0.5 * ((n - p) * np.log(2 * np.pi) + np.linalg.slogdet(V)[1]
                      + np.linalg.slogdet(XtViX)[1] + r @ Vi @ r)

    return -opt.minimize_scalar(negll, bounds=(-10, 10), method="bounded",
                                options={"xatol": 1e-10}).fun


@pytest.mark.parametrize("rho", [-0.4, 0.0, 0.3, 0.8])
@pytest.mark.parametrize("n_blocks", [1, 3])
def test_restricted_likelihood_equals_dense_form(rho, n_blocks):
    rng = np.random.default_rng(7)
    n_each = 30
    X = np.vstack([_design(n_each)] * n_blocks)
    if n_blocks > 1:  # unit fixed effects, as the pooled model
        X = np.column_stack([X] + [np.repeat(np.eye(n_blocks)[:, j], n_each) for j in range(1, n_blocks)])
    y = X @ rng.normal(size=X.shape[1]) + np.concatenate([_ar1(rng, n_each, 0.5) for _ in range(n_blocks)])
    blocks = [np.arange(i * n_each, (i + 1) * n_each) for i in range(n_blocks)]
    assert ar1.reml_profile(rho, y, X, blocks) == pytest.approx(_dense_reml(rho, y, X, blocks), abs=1e-6)


def test_gls_at_the_reml_rho_equals_statsmodels_gls():
    rng = np.random.default_rng(3)
    X = _design(40)
    y = X @ np.array([10, 0.1, -2, 0.3]) + _ar1(rng, 40, 0.6)
    blocks = [np.arange(40)]
    fit = ar1.fit_reml_ar1(y, X, blocks)
    ref = sm.GLS(y, X, sigma=_corr(40, fit["rho"], blocks)).fit()
    np.testing.assert_allclose(fit["params"], ref.params, rtol=1e-8)
    np.testing.assert_allclose(fit["cov"], ref.cov_params(), rtol=1e-7)
    # the maximum is a maximum of the dense restricted likelihood too
    grid = [_dense_reml(r, y, X, blocks) for r in (fit["rho"] - 0.02, fit["rho"] + 0.02)]
    assert max(grid) < _dense_reml(fit["rho"], y, X, blocks)


def test_reml_rho_is_close_to_but_above_the_ml_rho_of_statsmodels_arima():
    # REML corrects ML's downward bias of rho from estimating the regression: ML (ARIMA with
    # exogenous regressors, exact likelihood) gives a smaller rho on the same data
    from statsmodels.tsa.arima.model import ARIMA

    rng = np.random.default_rng(11)
    X = _design(60)
    y = X @ np.array([10, 0.1, -2, 0.3]) + _ar1(rng, 60, 0.5)
    fit = ar1.fit_reml_ar1(y, X, [np.arange(60)])
    ml = ARIMA(y, exog=X[:, 1:], order=(1, 0, 0), trend="c").fit()
    rho_ml = float(ml.params[ml.param_names.index("ar.L1")])
    assert rho_ml < fit["rho"] < rho_ml + 0.15


def test_kenward_roger_pieces_match_finite_differences():
    rng = np.random.default_rng(5)
    X = _design(36)
    y = X @ np.array([10, 0.1, -2, 0.3]) + _ar1(rng, 36, 0.5)
    fit = ar1.fit_reml_ar1(y, X, [np.arange(36)])
    pieces = ar1.kenward_roger(ar1._ar1_parts(fit))

    def xtvix(s2, rho):
        A, _ = ar1._band_matrices(36, rho, [np.arange(36)])
        return X.T @ (A / s2) @ X

    h = 1e-6
    s2, rho = fit["s2"], fit["rho"]
    np.testing.assert_allclose(pieces["P"][0], (xtvix(s2 + h, rho) - xtvix(s2 - h, rho)) / (2 * h), rtol=1e-5)
    np.testing.assert_allclose(pieces["P"][1], (xtvix(s2, rho + h) - xtvix(s2, rho - h)) / (2 * h), rtol=1e-5)
    cov_kr = pieces["phi_adj"]
    np.testing.assert_allclose(pieces["phi"], fit["cov"], rtol=1e-9)
    # the adjustment only ever widens: Phi_A - Phi is positive semi-definite
    assert np.linalg.eigvalsh(cov_kr - pieces["phi"]).min() > -1e-12
    out = ar1.contrast_inference(fit, {"level": np.array([0, 0, 1.0, 0])}, "kenward-roger")
    assert 5 < out["level"][2] < 34  # fewer df than n - p = 32 is typical; finite


def test_ar1_intervals_cover_in_a_short_autocorrelated_series():
    # 200 series of T = 48 with AR(1) rho = 0.5; benchmarks/its_coverage.py runs 1,000.
    # Monte Carlo SE of a 95 % coverage with 200 reps is 0.015; Newey–West gives about 0.78 here.
    rng = np.random.default_rng(2026)
    hits = np.zeros(2)
    for _ in range(200):
        t = np.arange(48)
        post = t >= 24
        y = 20 + 0.1 * t - 3 * post + 0.2 * (t - 24) * post + _ar1(rng, 48)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AnalysisWarning)
            eff = its(pd.DataFrame({"p": t + 1, "y": y}), outcome="y", time="p", intervention=25).effects
        hits += [eff.loc["level_change", "ci_low"] <= -3 <= eff.loc["level_change", "ci_high"],
                 eff.loc["slope_change", "ci_low"] <= 0.2 <= eff.loc["slope_change", "ci_high"]]
    assert (hits / 200 > 0.91).all(), hits / 200


def test_error_model_choice_and_text():
    rng = np.random.default_rng(1)
    t = np.arange(40)
    df = pd.DataFrame({"p": t + 1, "y": 5 + 0.1 * t - 2 * (t >= 20) + _ar1(rng, 40)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        default = its(df, outcome="y", time="p", intervention=21)
        hac = its(df, outcome="y", time="p", intervention=21, hac_lags=2)
    assert default.diagnostics["error_model"] == "ar1" and default.hac_lags is None
    assert -0.99 < default.diagnostics["ar1_rho"] < 0.99
    assert "REML" in default.summary() and "Kenward–Roger" in default.summary()
    assert hac.diagnostics["error_model"] == "hac" and hac.hac_lags == 2
    # same point estimates would be a coincidence: GLS and OLS weight the periods differently
    assert default.effects.loc["level_change", "estimate"] != hac.effects.loc["level_change", "estimate"]
    with pytest.raises(AnalysisError, match="errors='hac'"):
        its(df, outcome="y", time="p", intervention=21, errors="ar1", hac_lags=2)
    with pytest.raises(AnalysisError, match="gaussian"):
        its(df.assign(y=np.arange(40)), outcome="y", time="p", intervention=21, family="poisson",
            errors="ar1")
    with pytest.raises(AnalysisError, match="errors"):
        its(df, outcome="y", time="p", intervention=21, errors="arma")
