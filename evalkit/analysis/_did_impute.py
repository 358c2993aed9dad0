"""The Borusyak–Jaravel–Spiess imputation estimator for staggered adoption.

Borusyak, K., Jaravel, X. & Spiess, J. (2024), "Revisiting Event-Study Designs: Robust and Efficient
Estimation", *Review of Economic Studies* 91(6) — Stata ``did_imputation``, R ``didimputation``.

1. Fit ``y_it = α_i + γ_t`` on the untreated observations only (never-treated units and the not-yet-treated
   periods of treated units).
2. Impute the untreated outcome of every treated observation, ``ŷ_it(0) = α̂_i + γ̂_t``, and take the
   individual effects ``τ̂_it = y_it − ŷ_it(0)``.
3. The ATT is the mean of ``τ̂_it`` over treated observations (an event-study coefficient: over those ``h``
   periods after the start).

Unlike TWFE it never uses already-treated observations as controls, so heterogeneous or dynamic effects do
not bias it. Everything is computed from (unit, period) cell counts and sums.

Variance (BJS Theorem 3, conservative): the estimator is linear, ``τ̂ = Σ_i v_i y_i`` with ``v_i = 1/N_1`` on
the targeted treated observations and ``v_i = −(α̃_i + γ̃_t)`` on untreated ones, where ``(α̃, γ̃)`` solve the
untreated-sample normal equations with the treated weights as right-hand side. Then
``σ̂² = Σ_g (Σ_{i∈g} v_i ε̃_i)²`` with ``ε̃`` the untreated residuals and, for treated observations,
``τ̂_it − τ̄`` where ``τ̄`` averages ``τ̂`` by cohort × period.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evalkit.analysis._fe import TwoWayFE
from evalkit.errors import AnalysisError

__all__ = ["ImputationFit", "StaggeredRI", "fit_imputation", "start_permutations"]


def _fe_from_counts(counts: np.ndarray) -> TwoWayFE:
    n_u = counts.sum(axis=1)
    q = np.diag(counts.sum(axis=0)) - counts.T @ (counts / n_u[:, None])
    empty = np.zeros(0, dtype=np.int64)
    return TwoWayFE(empty, empty, counts.shape[0], counts.shape[1], counts,
                    np.linalg.pinv(q, rcond=1e-10, hermitian=True))


@dataclass(frozen=True)
class ImputationFit:
    """Cell-level imputation fit: treated mask, imputed untreated outcomes and effect sums."""

    counts: np.ndarray  # U × T
    ysum: np.ndarray  # U × T
    treated: np.ndarray  # U × T bool
    start: np.ndarray  # per unit: first treated period code, n_times for never treated
    fe0: TwoWayFE
    yhat0: np.ndarray  # U × T imputed untreated mean outcome per cell

    @property
    def tau_sums(self) -> np.ndarray:
        """Sum of individual effects τ̂ per treated cell (0 elsewhere)."""
        return np.where(self.treated, self.ysum - self.counts * self.yhat0, 0.0)

    def horizon(self) -> np.ndarray:
        return np.arange(self.counts.shape[1])[None, :] - self.start[:, None]

    def average(self, mask: np.ndarray) -> float:
        n = (self.counts * mask).sum()
        return float((self.tau_sums * mask).sum() / n)

    def variance(self, mask: np.ndarray) -> float:
        """BJS conservative cluster variance (clusters = units) of the mean effect over ``mask`` cells."""
        n_target = (self.counts * mask).sum()
        weight_sums = self.counts * mask / n_target  # Σ of v_i = 1/N_1 over the rows of each targeted cell
        alpha, gamma = self.fe0.effects_from_cell_sums(weight_sums[:, :, None])
        v0 = -(alpha[:, 0][:, None] + gamma[:, 0][None, :])  # weight per untreated row
        untreated = ~self.treated
        resid0 = np.where(untreated, self.ysum - self.counts * self.yhat0, 0.0)
        tau_bar = self._cohort_period_means()
        resid1 = np.where(self.treated & mask, self.tau_sums - self.counts * tau_bar, 0.0)
        scores = (v0 * resid0 * untreated).sum(axis=1) + (resid1 / n_target).sum(axis=1)
        return float(scores @ scores)

    def _cohort_period_means(self) -> np.ndarray:
        """τ̄ per cell: the mean effect of the cell's start cohort in that period."""
        out = np.zeros_like(self.ysum)
        taus = self.tau_sums
        for cohort in np.unique(self.start[self.treated.any(axis=1)]):
            rows = self.start == cohort
            n = (self.counts[rows] * self.treated[rows]).sum(axis=0)
            mean = np.divide(taus[rows].sum(axis=0), n, out=np.zeros_like(n), where=n > 0)
            out[rows] = mean[None, :]
        return out


def fit_imputation(counts: np.ndarray, ysum: np.ndarray, start: np.ndarray) -> ImputationFit:
    """Fit the untreated model on cells and impute; AnalysisError when an effect cannot be imputed."""
    n_times = counts.shape[1]
    treated = (np.arange(n_times)[None, :] >= start[:, None]) & (counts > 0)
    counts0 = np.where(treated, 0.0, counts)
    no_pre = (counts0.sum(axis=1) == 0) & treated.any(axis=1)
    if no_pre.any():
        raise AnalysisError("Some treated units have no untreated observation, so their unit effect cannot be "
                            "estimated; every treated unit needs data before its start.")
    periods_without_controls = (counts0.sum(axis=0) == 0) & treated.any(axis=0)
    if periods_without_controls.any():
        raise AnalysisError(
            f"In {int(periods_without_controls.sum())} period(s) every observed unit is already treated, so the "
            "untreated outcome cannot be imputed there; add never-treated units or drop those periods.")
    fe0 = _fe_from_counts(counts0)
    alpha, gamma = fe0.effects_from_cell_sums(np.where(treated, 0.0, ysum)[:, :, None])
    yhat0 = alpha[:, 0][:, None] + gamma[:, 0][None, :]
    return ImputationFit(counts, ysum, treated, start, fe0, yhat0)


def start_permutations(start: np.ndarray, exact_limit: int, reps: int, rng: np.random.Generator):
    """Re-assignments of the start dates to units: all distinct ones (observed first) or a seeded sample."""
    values, multiplicity = np.unique(start, return_counts=True)
    n_distinct = math.factorial(len(start)) // math.prod(math.factorial(int(m)) for m in multiplicity)
    if n_distinct <= exact_limit:
        perms = _distinct_permutations(list(start))
        observed = [p for p in perms if np.array_equal(p, start)]
        others = [p for p in perms if not np.array_equal(p, start)]
        return np.array(observed + others), n_distinct, True
    draws = [start] + [rng.permutation(start) for _ in range(reps)]
    return np.array(draws), n_distinct, False


def _distinct_permutations(items: list) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    counts: dict = {}
    for v in items:
        counts[v] = counts.get(v, 0) + 1
    keys = sorted(counts)
    current: list = []

    def extend() -> None:
        if len(current) == len(items):
            out.append(np.array(current))
            return
        for k in keys:
            if counts[k]:
                counts[k] -= 1
                current.append(k)
                extend()
                current.pop()
                counts[k] += 1

    extend()
    return out


class StaggeredRI:
    """Randomization inference for the imputation estimator by re-assigning start dates to units.

    Valid under the sharp null when the start dates (and who never starts) are as good as randomly
    assigned across units — a stronger assumption than parallel trends, stated in the result.
    """

    def __init__(self, counts: np.ndarray, ysum: np.ndarray, start: np.ndarray, exact_limit: int, reps: int,
                 rng: np.random.Generator, max_horizon: int):
        perms, self.n_possible, self.exact = start_permutations(start, exact_limit, reps, rng)
        observed = fit_imputation(counts, ysum, start)
        dsum = counts * observed.treated
        self.estimate = observed.average(observed.treated)
        a0, a1, by_h, kept = [], [], [], []
        for s in perms:
            try:
                f = fit_imputation(counts, ysum, s)
            except AnalysisError:
                continue  # this re-assignment leaves an effect that cannot be imputed
            kept.append(s)
            a0.append(f.average(f.treated))
            alpha, gamma = f.fe0.effects_from_cell_sums(np.where(f.treated, 0.0, dsum)[:, :, None])
            yhat_d = alpha[:, 0][:, None] + gamma[:, 0][None, :]
            n1 = (counts * f.treated).sum()
            a1.append(float(((dsum - counts * yhat_d) * f.treated).sum() / n1))
            h = f.horizon()
            by_h.append([f.average(f.treated & (h == k)) if (f.treated & (h == k)).any() else np.nan
                         for k in range(max_horizon + 1)])
        self.permutations = np.array(kept)
        self.a0, self.a1, self.by_horizon = np.array(a0), np.array(a1), np.array(by_h)
        self.n_skipped = len(perms) - len(kept)

    @property
    def n_assignments(self) -> int:
        return len(self.a0)

    @property
    def smallest_p(self) -> float:
        return 1.0 / self.n_assignments

    def p_value(self, tau: float = 0.0) -> float:
        observed = abs(self.estimate - tau)
        return float(np.mean(np.abs(self.a0 - tau * self.a1) >= observed - 1e-10 * max(1.0, observed)))

    def confidence_interval(self, scale: float, level: float = 0.95) -> tuple[float, float]:
        from evalkit.analysis._bootstrap import _invert

        alpha = 1 - level
        if self.smallest_p >= alpha:
            return -np.inf, np.inf
        return (_invert(self.p_value, self.estimate, -scale, alpha),
                _invert(self.p_value, self.estimate, scale, alpha))

    def horizon_p_values(self, observed: np.ndarray) -> np.ndarray:
        out = []
        for k, obs in enumerate(observed):
            col = self.by_horizon[:, k]
            col = col[np.isfinite(col)]
            out.append(float(np.mean(np.abs(col) >= abs(obs) - 1e-10 * max(1.0, abs(obs)))) if len(col) else np.nan)
        return np.array(out)
