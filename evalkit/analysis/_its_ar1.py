"""Regression with AR(1) errors by restricted maximum likelihood, with small-sample inference.

Private to :mod:`evalkit.analysis.its`. The model is ``y = X b + e`` where, within
each series (block), ``e_t = rho e_(t-1) + u_t``, ``u_t ~ N(0, s2)`` and the
series starts stationary; blocks are independent and share ``rho`` and ``s2``.

Why by hand: statsmodels has GLSAR (iterated feasible GLS that drops the first
observation) and ARIMA/SARIMAX (full maximum likelihood), but no *restricted*
likelihood for a regression with AR(1) errors, and no Satterthwaite or
Kenward–Roger degrees of freedom for it. The estimates here are those of R
``nlme::gls(y ~ X, correlation = corAR1(), method = "REML")``.

Notes
-----
With the Prais–Winsten transform ``P`` (first row ``sqrt(1 - rho^2) e_1``, then
``e_t - rho e_(t-1)``) the transformed errors are iid ``N(0, s2)`` and
``A = P'P`` is tridiagonal (diagonal ``1, 1 + rho^2, ..., 1 + rho^2, 1``, off
diagonal ``-rho``), ``V = s2 A^-1``, ``|A| = 1 - rho^2`` per block. The restricted
log-likelihood profiled over ``s2`` (``n`` rows, ``p`` coefficients, ``m`` blocks,
``RSS*`` the residual sum of squares of OLS on ``P y`` and ``P X``) is

``l_R(rho) = -(n-p)/2 (1 + log 2 pi + log(RSS*/(n-p))) + m/2 log(1 - rho^2) - 1/2 log |X*' X*|``

(Harville 1974; Patterson & Thompson 1971). ``b`` is OLS on the transformed data
(GLS) and ``Phi = s2 (X*'X*)^-1``.

Small-sample inference: Kenward & Roger (1997, Biometrics 53:983) as implemented in R
``pbkrtest`` (Halekoh & Højsgaard 2014, JSS 59(9)), with ``theta = (s2, rho)``,
``Sigma = s2 A(rho)^-1`` and the derivative matrices ``G_1 = dSigma/ds2 = A^-1``,
``G_2 = dSigma/drho = -Sigma (dA/drho) Sigma / s2``. :func:`kenward_roger` gives the
adjusted covariance ``Phi_A`` (formula there) and :func:`kenward_roger_ddf` the degrees of
freedom ``m`` (formula there). Departures from the paper, each stated where it is made:

* the second-derivative term ``R_ij`` of ``Phi_A`` is left out (the first-order form, as
  pbkrtest and SAS ``DDFM=KR(FIRSTORDER)``), although AR(1) is not linear in ``rho``;
* a df below 1 is raised to 1 (:func:`contrast_inference`).

Checked against R (tests/test_its_kr.py; tests/data/its/r_golden.R): on lmer models that
pbkrtest accepts, ``Phi_A`` equals ``vcovAdj`` and ``m`` equals ``get_Lb_ddf``/``KRmodcomp``;
on three AR(1) series fitted by ``nlme::gls(..., corAR1(), method = "REML")``, ``Phi_A`` and
``m`` equal pbkrtest's ``vcovAdj_internal``/``Lb_ddf`` given the AR(1) ``Sigma`` and ``G_i``.

For one contrast the Kenward–Roger ``m`` is Satterthwaite's df for ``c' Phi c``
(``lambda = 1``); the two methods differ only in the standard error (``Phi_A`` or ``Phi``).
Turner et al. (2021, BMC Med Res Methodol 21:181) found REML the least biased estimator of
rho in short interrupted time series, and REML with Satterthwaite df the best covering of
the methods they compared (Turner et al. 2021, BMC Med Res Methodol 21:134, on 190
published series), though still below 95 % in short series.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.optimize as opt

__all__ = ["prais_winsten", "reml_profile", "fit_reml_ar1", "kenward_roger", "kenward_roger_ddf",
           "contrast_inference", "RHO_BOUND"]

#: rho is searched on (-RHO_BOUND, RHO_BOUND): at |rho| -> 1 the series is a random walk
#: and the stationary start is undefined.
RHO_BOUND = 0.99


def prais_winsten(values: np.ndarray, rho: float, blocks: list) -> np.ndarray:
    """The Prais–Winsten transform of rows ``values`` (vector or matrix) within each block.

    ``blocks`` are arrays of row positions, each one series in time order.
    """
    out = np.empty_like(values, dtype=float)
    first = math.sqrt(1.0 - rho * rho)
    for idx in blocks:
        part = values[idx]
        out[idx[0]] = first * part[0]
        out[idx[1:]] = part[1:] - rho * part[:-1]
    return out


def _transformed_ols(y, X, rho, blocks):
    ys, Xs = prais_winsten(y, rho, blocks), prais_winsten(X, rho, blocks)
    q, r = np.linalg.qr(Xs)
    b = np.linalg.solve(r, q.T @ ys)
    resid = ys - Xs @ b
    return b, float(resid @ resid), float(2.0 * np.sum(np.log(np.abs(np.diag(r))))), Xs, resid


def reml_profile(rho: float, y: np.ndarray, X: np.ndarray, blocks: list) -> float:
    """Restricted log-likelihood of ``rho`` with ``s2`` profiled out (formula in the module Notes)."""
    n, p = X.shape
    _, rss, logdet, _, _ = _transformed_ols(y, X, rho, blocks)
    return (-(n - p) / 2.0 * (1.0 + math.log(2.0 * math.pi) + math.log(rss / (n - p)))
            + len(blocks) / 2.0 * math.log(1.0 - rho * rho) - 0.5 * logdet)


def _maximise_rho(y, X, blocks) -> float:
    # a grid first: the restricted likelihood of short series can have a second local maximum
    grid = np.linspace(-0.95, 0.95, 39)
    values = [reml_profile(r, y, X, blocks) for r in grid]
    best = int(np.argmax(values))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    lo, hi = (-RHO_BOUND if best == 0 else lo), (RHO_BOUND if best == len(grid) - 1 else hi)
    found = opt.minimize_scalar(lambda r: -reml_profile(r, y, X, blocks), bounds=(lo, hi),
                                method="bounded", options={"xatol": 1e-8})
    return float(found.x)


def fit_reml_ar1(y: np.ndarray, X: np.ndarray, blocks: list) -> dict:
    """Fit ``y = X b + e`` with AR(1) errors by REML.

    Returns a dict with ``params``, ``cov`` (``Phi``), ``rho``, ``s2`` (innovation
    variance), ``sigma2`` (marginal variance ``s2 / (1 - rho^2)``), ``loglik``
    (restricted), ``mean`` (``X b``), ``resid`` (raw ``y - X b``), ``normalized``
    (transformed residuals divided by ``sqrt(s2)``, nlme's "normalized" residuals)
    and ``blocks``.
    """
    n, p = X.shape
    rho = _maximise_rho(y, X, blocks)
    b, rss, _, _, tresid = _transformed_ols(y, X, rho, blocks)
    s2 = rss / (n - p)
    phi = s2 * np.linalg.inv(prais_winsten(X, rho, blocks).T @ prais_winsten(X, rho, blocks))
    return dict(params=b, cov=phi, rho=rho, s2=s2, sigma2=s2 / (1.0 - rho * rho),
                loglik=reml_profile(rho, y, X, blocks), mean=X @ b, resid=y - X @ b,
                normalized=tresid / math.sqrt(s2), blocks=blocks, X=X)


# --------------------------------------------------------------------------- small-sample inference


def kenward_roger(parts: list) -> dict:
    """Kenward–Roger adjusted covariance ``Phi_A`` with the pieces its degrees of freedom need.

    ``parts`` are the independent blocks of the model, each ``(X_b, V_b, G_b, Vinv_b)``:
    rows of the design, their covariance ``Sigma_b``, the list of derivatives
    ``G_ib = dSigma_b / dtheta_i`` (the same ``theta`` for every block) and ``Sigma_b^-1``
    (``None``: inverted here). Returns ``phi``, ``phi_adj``, ``P`` (list), ``W``.

    Notes
    -----
    The algebra of R ``pbkrtest`` (``vcovAdj``, whose worker is ``vcovAdj_internal``; Halekoh &
    Højsgaard 2014, JSS 59(9)), which is Kenward & Roger's (1997, Biometrics 53:983) adjusted
    covariance without their second-derivative term ``R_ij``:

    * ``Phi = (X' Sigma^-1 X)^-1``,
      ``P_i = X' dSigma^-1/dtheta_i X = -X' Sigma^-1 G_i Sigma^-1 X``,
      ``Q_ij = X' Sigma^-1 G_i Sigma^-1 G_j Sigma^-1 X``;
    * ``W = 2 IE^-1`` with ``IE_ij = tr(Sigma^-1 G_i Sigma^-1 G_j) - 2 tr(Phi Q_ij)
      + tr(Phi P_i Phi P_j) = tr(Pv G_i Pv G_j)``, ``Pv = Sigma^-1 - Sigma^-1 X Phi X' Sigma^-1``:
      the inverse of the expected REML information at the estimate (``IE`` is inverted by
      Moore–Penrose when its smallest |eigenvalue| is below 1e-10, as pbkrtest);
    * ``Phi_A = Phi + 2 Phi [sum_ij W_ij (Q_ij - P_i Phi P_j)] Phi``.

    Kenward & Roger's ``-1/4 R_ij``, ``R_ij = X' Sigma^-1 d2Sigma/dtheta_i dtheta_j Sigma^-1 X``,
    is left out. It is zero when ``Sigma`` is linear in ``theta`` (pbkrtest's setting: variance
    components of lmer models). It is not zero for AR(1); it is left out there too because (i) it
    makes ``Phi_A`` depend on how ``theta`` is parametrised, whereas the first-order ``Phi_A`` and
    the degrees of freedom do not: on the three AR(1) series of tests/test_its_kr.py, adding it
    moved the level/slope standard errors by -12 % to +0.6 % with ``theta = (s2, rho)``, -8 % to
    +26 % with ``(sigma2, rho)`` and -10 % to +1 % with ``(s2, atanh rho)`` (the +26 % and +0.6 %
    on the same controlled series); (ii) it can shrink standard errors and make ``Phi_A``
    indefinite — the reasons SAS gives for its ``DDFM=KR(FIRSTORDER)`` option (SAS/STAT User's
    Guide, GLIMMIX, "Kenward-Roger Degrees of Freedom Approximation"), which for one contrast
    is the Prasad–Rao estimator of Harville & Jeske (1992); (iii) it keeps ``Phi_A`` equal to
    what pbkrtest's algorithm gives when handed the AR(1) ``G_i`` (tests/test_its_kr.py,
    tests/data/its/r_golden.R).

    Every trace and every ``X' ... X`` is a sum over blocks (``Sigma`` is block-diagonal), so
    the work is that of the largest block, not of all rows at once. ``W`` uses the *expected*
    information, as pbkrtest (SAS PROC MIXED uses the observed information by default).
    """
    k = len(parts[0][2])
    p = parts[0][0].shape[1]
    xtvx = np.zeros((p, p))
    P = [np.zeros((p, p)) for _ in range(k)]
    Q = [[np.zeros((p, p)) for _ in range(k)] for _ in range(k)]
    K = np.zeros((k, k))
    for X, V, G, Vinv in parts:
        Vinv = np.linalg.inv(V) if Vinv is None else Vinv
        VinvX = Vinv @ X
        xtvx += X.T @ VinvX
        H = [g @ Vinv for g in G]                 # G_i Sigma^-1
        O = [h @ X for h in H]                    # G_i Sigma^-1 X
        for i in range(k):
            P[i] -= O[i].T @ VinvX
            for j in range(k):
                Q[i][j] += O[i].T @ Vinv @ O[j]
                K[i, j] += float(np.sum(H[i].T * H[j]))   # tr(H_i H_j)
    phi = np.linalg.inv(xtvx)
    P = [0.5 * (m + m.T) for m in P]
    IE = np.array([[K[i, j] - 2.0 * float(np.sum(phi * Q[i][j])) + float(np.sum((phi @ P[i]) * (P[j] @ phi)))
                    for j in range(k)] for i in range(k)])
    well = np.min(np.abs(np.linalg.eigvalsh(IE))) > 1e-10
    W = 2.0 * (np.linalg.inv(IE) if well else np.linalg.pinv(IE))
    U = sum(W[i, j] * (Q[i][j] - P[i] @ phi @ P[j]) for i in range(k) for j in range(k))
    phi_adj = phi + 2.0 * phi @ U @ phi
    return dict(phi=phi, phi_adj=0.5 * (phi_adj + phi_adj.T), P=P, W=W)


def kenward_roger_ddf(L: np.ndarray, pieces: dict) -> tuple[float, float]:
    """Denominator degrees of freedom ``m`` and scale ``lambda`` for the hypothesis ``L b = 0``.

    ``L`` is one contrast (vector) or ``q`` rows. The test is ``lambda F ~ F(q, m)`` with
    ``F = (L b)' (L Phi_A L')^-1 (L b) / q``. Kenward & Roger (1997) as in R
    ``pbkrtest::Lb_ddf`` / ``KRmodcomp``:
    ``Theta = L' (L Phi L')^-1 L`` (from the unadjusted ``Phi``, not ``Phi_A``),
    ``A1 = sum_ij W_ij tr(Theta Phi P_i Phi) tr(Theta Phi P_j Phi)``,
    ``A2 = sum_ij W_ij tr(Theta Phi P_i Phi Theta Phi P_j Phi)``,
    ``B = (A1 + 6 A2) / (2q)``, ``g = ((q+1) A1 - (q+4) A2) / ((q+2) A2)``,
    ``c1, c2, c3 = g, q - g, q + 2 - g`` over ``3q + 2(1 - g)``,
    ``E* = 1 / (1 - A2/q)``, ``V* = 2/q (1 + c1 B) / ((1 - c2 B)^2 (1 - c3 B))``,
    ``rho = V* / (2 E*^2)``, ``m = 4 + (q + 2) / (q rho - 1)``, ``lambda = m / (E* (m - 2))``.

    For one contrast ``c`` (``q = 1``) ``A1 = A2 = A = g'Wg / (c' Phi c)^2`` with
    ``g_i = c' Phi P_i Phi c``, so ``m = 2 / A`` — Satterthwaite's df for ``c' Phi c`` — and
    ``lambda = 1``. ``A2 = 0`` (no uncertainty in ``theta`` reaches ``L b``) gives ``m = inf``.
    """
    L = np.atleast_2d(np.asarray(L, dtype=float))
    phi, W, P = pieces["phi"], pieces["W"], pieces["P"]
    q = int(np.linalg.matrix_rank(L))
    theta = L.T @ np.linalg.solve(L @ phi @ L.T, L)
    M = [theta @ phi @ Pi @ phi for Pi in P]
    k = len(P)
    a1 = sum(W[i, j] * np.trace(M[i]) * np.trace(M[j]) for i in range(k) for j in range(k))
    a2 = sum(W[i, j] * float(np.sum(M[i] * M[j].T)) for i in range(k) for j in range(k))
    if not a2 > 0:
        return math.inf, 1.0
    b = (a1 + 6.0 * a2) / (2.0 * q)
    g = ((q + 1.0) * a1 - (q + 4.0) * a2) / ((q + 2.0) * a2)
    denom = 3.0 * q + 2.0 * (1.0 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2.0 - g) / denom
    e_star = 1.0 / (1.0 - a2 / q)
    v_star = 2.0 / q * (1.0 + c1 * b) / ((1.0 - c2 * b) ** 2 * (1.0 - c3 * b))
    rho = v_star / (2.0 * e_star ** 2)
    m = 4.0 + (q + 2.0) / (q * rho - 1.0)
    lam = 1.0 if abs(m - 2.0) < 1e-2 else m / (e_star * (m - 2.0))   # pbkrtest's guard at m = 2
    return float(m), float(lam)


def _ar1_parts(fit: dict) -> list:
    """Blocks ``(X_b, V_b, [dV_b/ds2, dV_b/drho], V_b^-1)`` of the AR(1) model, theta = (s2, rho)."""
    X, rho, s2 = fit["X"], fit["rho"], fit["s2"]
    parts = []
    for idx in fit["blocks"]:
        n = len(idx)
        lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
        V = s2 / (1.0 - rho * rho) * rho ** lag            # stationary AR(1) covariance
        A, dA = _band_matrices(n, rho, [np.arange(n)])     # V^-1 = A / s2 exactly (tridiagonal)
        dV_rho = -(V @ dA @ V) / s2                        # dV = -V (dV^-1) V
        parts.append((X[idx], V, [V / s2, dV_rho], A / s2))
    return parts


def _band_matrices(n: int, rho: float, blocks: list):
    """A = P'P and its derivative in rho (block diagonal, dense)."""
    A, dA = np.zeros((n, n)), np.zeros((n, n))
    for idx in blocks:
        inner = idx[1:-1]
        A[idx, idx] = 1.0
        A[inner, inner] = 1.0 + rho * rho
        dA[inner, inner] = 2.0 * rho
        A[idx[:-1], idx[1:]] = A[idx[1:], idx[:-1]] = -rho
        dA[idx[:-1], idx[1:]] = dA[idx[1:], idx[:-1]] = -1.0
    return A, dA


def contrast_inference(fit: dict, contrasts: dict, method: str) -> dict:
    """Standard error and t reference df for each contrast (``name -> vector or None``).

    ``method``: ``"kenward-roger"`` (``Phi_A`` and the Kenward–Roger ``m``),
    ``"satterthwaite"`` (``Phi`` and Satterthwaite's df, which for one contrast is the same
    ``m``; see :func:`kenward_roger_ddf`) or ``"residual"`` (``Phi`` and t(n - p), as nlme).
    Returns ``name -> (estimate, se, df)``; for Kenward–Roger the se is the adjusted one
    divided by ``sqrt(lambda)`` (``lambda = 1`` for one contrast) so that ``estimate / se ~
    t(df)``. A df below 1 (it happens when ``rho`` is at its bound, where the information
    matrix is near singular) is raised to 1, so intervals stay finite; pbkrtest does not
    do this. Also returns ``"_cov"``, the covariance used (``Phi_A`` or ``Phi``).
    """
    X = fit["X"]
    n, p = X.shape
    out: dict = {}
    if method == "residual":
        cov = fit["cov"]
        for name, c in contrasts.items():
            if c is not None:
                out[name] = (float(c @ fit["params"]), math.sqrt(float(c @ cov @ c)), float(n - p))
        out["_cov"] = cov
        return out
    pieces = kenward_roger(_ar1_parts(fit))
    cov = pieces["phi_adj"] if method == "kenward-roger" else fit["cov"]
    for name, c in contrasts.items():
        if c is None:
            continue
        df, lam = kenward_roger_ddf(c, pieces)
        lam = lam if method == "kenward-roger" else 1.0
        out[name] = (float(c @ fit["params"]), math.sqrt(float(c @ cov @ c) / lam), max(df, 1.0))
    out["_cov"] = cov
    return out
