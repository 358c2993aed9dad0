"""Wald statistics that respect the rank of the covariance matrix.

A cluster-robust covariance is a sum of ``G`` cluster score products, so its rank is at most ``G − 1``
after the period effects are absorbed; with six districts and five event-study leads it is singular or
nearly so, and whether ``numpy.linalg.solve`` succeeds then depends on rounding (the fresh-machine failure
of issue 12). Here the test is computed on the range of the covariance instead:

.. math::

    C = D^{-1/2} V D^{-1/2},\\quad C = U \\Lambda U',\\quad
    W = z' U_r \\Lambda_r^{-1} U_r' z,\\quad z = D^{-1/2} b,

where ``D = diag(V)`` and ``r`` counts the eigenvalues of the correlation matrix ``C`` above
``RANK_RTOL · λ_max``. Scaling to ``C`` first makes the rank decision independent of the units of the
coefficients. ``W`` is the Moore–Penrose form ``b' V⁺ b`` restricted to the estimable combinations, which is
what Stata's ``test`` does when it drops linearly dependent constraints ("constraint k dropped") and what
R's ``car::linearHypothesis`` refuses to do (it stops on a singular matrix). The degrees of freedom of the
reference distribution are ``r``, not the number of restrictions asked for.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RANK_RTOL", "RankedWald", "ranked_wald", "ranked_wald_batch"]

#: Eigenvalues of the correlation matrix below this share of the largest one count as zero. Rounding in a
#: covariance built from ``n`` sums leaves "zero" eigenvalues near ``1e-15``; a genuine one this small would
#: mean two coefficients correlated beyond ``1 − 1e-10``, which no test can separate anyway.
RANK_RTOL = 1e-10


@dataclass(frozen=True)
class RankedWald:
    """A Wald statistic on the estimable part of ``q`` restrictions.

    Attributes
    ----------
    statistic : float
        ``W = b' V⁺ b`` on the range of ``V`` (chi-square form, not divided by the rank).
    rank : int
        Number of linearly independent restrictions that were tested (``≤ q``).
    n_restrictions : int
        Number of restrictions asked for (``q``).
    """

    statistic: float
    rank: int
    n_restrictions: int

    @property
    def deficient(self) -> bool:
        """True when some restrictions were linearly dependent and dropped."""
        return self.rank < self.n_restrictions


def _basis(v: np.ndarray, rtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale ``d^{-1/2}``, eigenvectors ``U_r`` and eigenvalues ``λ_r`` of the correlation matrix's range."""
    d = np.diag(v).astype(float)
    scale = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
    corr = v * scale[:, None] * scale[None, :]
    lam, u = np.linalg.eigh((corr + corr.T) / 2)
    top = lam.max(initial=0.0)
    keep = lam > rtol * top if top > 0 else np.zeros_like(lam, dtype=bool)
    return scale, u[:, keep], lam[keep]


def ranked_wald(b: np.ndarray, v: np.ndarray, *, rtol: float = RANK_RTOL) -> RankedWald:
    """Wald statistic ``b' V⁺ b`` of ``β = 0`` using only the estimable combinations.

    Parameters
    ----------
    b : (q,) array
        Estimates of the restricted coefficients.
    v : (q, q) array
        Their covariance; may be singular.
    rtol : float
        Relative eigenvalue threshold on the correlation scale (see :data:`RANK_RTOL`).

    Returns
    -------
    RankedWald
        With ``rank == 0`` (nothing estimable) the statistic is NaN.
    """
    b = np.asarray(b, dtype=float)
    v = np.asarray(v, dtype=float)
    scale, u_r, lam_r = _basis(v, rtol)
    if lam_r.size == 0:
        return RankedWald(float("nan"), 0, len(b))
    proj = u_r.T @ (b * scale)
    return RankedWald(float(np.sum(proj ** 2 / lam_r)), int(lam_r.size), len(b))


def ranked_wald_batch(b: np.ndarray, v: np.ndarray, *, basis_of: np.ndarray,
                      rtol: float = RANK_RTOL) -> np.ndarray:
    """Wald statistics of many replications ``(b_i, V_i)`` on the range of one reference covariance.

    A bootstrap test must use the same restrictions in every replication as in the observed statistic, so
    the estimable combinations are taken from ``basis_of`` (the observed covariance) and each replication's
    covariance is inverted on that subspace (by pseudo-inverse, so a degenerate draw gives a finite value).

    Parameters
    ----------
    b : (B, q) array
    v : (B, q, q) array
    basis_of : (q, q) array
        The observed covariance whose range defines the tested combinations.
    """
    scale, u_r, _ = _basis(np.asarray(basis_of, dtype=float), rtol)
    if u_r.shape[1] == 0:
        return np.full(len(b), np.nan)
    t = u_r * scale[:, None]  # q × r: maps β to the scaled, projected coordinates
    bp = b @ t  # B × r
    vp = np.einsum("qr,bqp,ps->brs", t, v, t)
    sol = np.einsum("brs,bs->br", np.linalg.pinv(vp, hermitian=True), bp)
    return np.einsum("br,br->b", bp, sol)
