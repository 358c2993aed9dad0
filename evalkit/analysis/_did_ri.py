"""Randomization inference for a DiD with very few treated units.

Under the sharp null that the intervention changed nobody's outcome by more
than a constant ``τ``, re-assigning treatment to any other set of ``G1`` units
is as likely as the assignment that happened (the design-based argument of
Fisher; for DiD see MacKinnon & Webb 2020, "Randomization inference for
difference-in-differences with few treated clusters", *J. Econometrics* 218).
The p-value is the share of the ``C(G, G1)`` assignments whose TWFE estimate is
at least as far from zero as the observed one; it is exact, and its smallest
attainable value is ``1/C(G, G1)``.

The estimate for assignment ``A`` is linear in cell sums: with
``d̃_u = M_FE(1[unit = u]·post)`` (cell-constant, computed once per unit),
``β_A = Σ_{u∈A} p_u / Σ_{u,v∈A} Γ_uv`` where ``p_u = d̃_u'y`` and ``Γ`` is the
Gram matrix of the ``d̃_u``. Every assignment costs ``O(G1²)``. Adjusting the
outcome for a constant effect ``τ`` changes ``p`` to ``p − τ Γ w_obs``, so the
interval (the ``τ`` not rejected) is found by bisection on cheap evaluations.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from evalkit.analysis._bootstrap import _invert
from evalkit.analysis._fe import TwoWayFE

__all__ = ["RandomizationInference", "EXACT_LIMIT"]

#: Enumerate every assignment up to this many; sample beyond (with the seed).
EXACT_LIMIT = 100_000


class RandomizationInference:
    """Exact (or seeded Monte Carlo) randomization inference for the TWFE DiD estimate."""

    def __init__(self, fe: TwoWayFE, y: np.ndarray, post: np.ndarray, treated_codes: np.ndarray,
                 reps: int, rng: np.random.Generator):
        g, g1 = fe.n_units, len(treated_codes)
        self.n_possible = math.comb(g, g1)
        self.exact = self.n_possible <= EXACT_LIMIT
        self.assignments = _assignments(g, np.sort(treated_codes), self.exact, reps, rng)
        indicator = np.zeros((g, fe.n_times, g))
        indicator[np.arange(g), :, np.arange(g)] = post.astype(float)[None, :]
        d_tilde = fe.residualize_cells(indicator)  # U × T × U
        y_cells = fe.cell_sums(y)[:, :, 0]
        weighted = d_tilde * fe.counts[:, :, None]
        self.p = np.einsum("utk,ut->k", d_tilde, y_cells)
        self.gram = np.einsum("utk,utm->km", weighted, d_tilde)
        w_obs = np.zeros(g)
        w_obs[treated_codes] = 1.0
        self.q = self.gram @ w_obs
        idx = self.assignments
        self.den = self.gram[idx[:, :, None], idx[:, None, :]].sum(axis=(1, 2))
        self.num_p = self.p[idx].sum(axis=1)
        self.num_q = self.q[idx].sum(axis=1)
        self.estimate = float(self.p[treated_codes].sum() / self.gram[np.ix_(treated_codes, treated_codes)].sum())

    @property
    def n_assignments(self) -> int:
        return len(self.assignments)

    @property
    def smallest_p(self) -> float:
        """The smallest p-value this design can produce (1 / number of assignments)."""
        return 1.0 / self.n_assignments

    def estimates(self, tau: float = 0.0) -> np.ndarray:
        """TWFE estimates of every assignment for the outcome adjusted by a constant effect ``tau``."""
        return (self.num_p - tau * self.num_q) / self.den

    def p_value(self, tau: float = 0.0) -> float:
        observed = abs(self.estimate - tau)
        return float(np.mean(np.abs(self.estimates(tau)) >= observed - 1e-10 * max(1.0, observed)))

    def confidence_interval(self, scale: float, level: float = 0.95) -> tuple[float, float]:
        """Set of constant effects not rejected at ``1 − level`` (unbounded when the design cannot reject)."""
        alpha = 1 - level
        if self.smallest_p >= alpha:
            return -np.inf, np.inf
        return (_invert(self.p_value, self.estimate, -scale, alpha), _invert(self.p_value, self.estimate, scale, alpha))


def _assignments(g: int, observed: np.ndarray, exact: bool, reps: int, rng: np.random.Generator) -> np.ndarray:
    """Treated-unit index sets (m × G1); the observed one first; all of them when exact."""
    g1 = len(observed)
    if exact:
        combos = np.array(list(itertools.combinations(range(g), g1)), dtype=np.int64)
        is_obs = (combos == observed[None, :]).all(axis=1)
        return np.vstack([combos[is_obs], combos[~is_obs]])
    draws = np.argsort(rng.random((reps, g)), axis=1)[:, :g1]
    return np.vstack([observed[None, :], np.sort(draws, axis=1)])
