"""Confidence intervals for proportions and their differences.

The project's defaults (DESIGN.md, "Statistical defaults"): Wilson intervals
for a single proportion, Newcombe's hybrid score interval for a difference,
Fisher's exact test for small two-by-two tables. Design-weighted shares from a
stratified sample get a Wilson interval on the design-effective sample size.

Everything here is a thin, checked wrapper around statsmodels and scipy; the
only hand-written formula is the stratified variance in
:func:`stratified_proportion`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from evalkit.errors import AnalysisError

__all__ = [
    "proportion_ci",
    "newcombe_diff_ci",
    "fisher_exact",
    "stratified_proportion",
    "StratifiedProportion",
    "CI_METHODS",
]

#: evalkit method name → statsmodels ``proportion_confint`` method name.
CI_METHODS = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "exact": "beta",
    "agresti-coull": "agresti_coull",
    "jeffreys": "jeffreys",
}


def _check_level(level: float) -> float:
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise AnalysisError(f"level must be a number between 0 and 1 (e.g. 0.95), got {level!r}")
    return float(level)


def _check_count(successes, n, what: str = "") -> tuple[int, int]:
    try:
        x, m = float(successes), float(n)
    except (TypeError, ValueError):
        raise AnalysisError(f"{what}successes and n must be numbers, got {successes!r} and {n!r}") from None
    if not (x.is_integer() and m.is_integer()):
        raise AnalysisError(f"{what}successes and n must be whole counts, got {successes!r} and {n!r}")
    if m <= 0:
        raise AnalysisError(f"{what}n must be at least 1 to form an interval, got {n!r}")
    if not 0 <= x <= m:
        raise AnalysisError(f"{what}successes must lie between 0 and n ({n!r}), got {successes!r}")
    return int(x), int(m)


def proportion_ci(successes: int, n: int, method: str = "wilson", level: float = 0.95) -> tuple[float, float]:
    """Two-sided confidence interval for a binomial proportion.

    Parameters
    ----------
    successes, n : int
        Number of successes and of trials (``0 <= successes <= n``, ``n >= 1``).
    method : {"wilson", "clopper-pearson", "exact", "agresti-coull", "jeffreys"}
        ``"exact"`` is an alias of ``"clopper-pearson"``.
    level : float
        Confidence level, e.g. 0.95.

    Returns
    -------
    (low, high) : tuple of float

    Notes
    -----
    Wilson (score) interval, with :math:`\\hat p = x/n` and :math:`z = z_{1-\\alpha/2}`:

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Computed by ``statsmodels.stats.proportion.proportion_confint``; matches R
    ``prop.test(x, n, correct = FALSE)$conf.int`` (Wilson),
    ``binom.test(x, n)$conf.int`` (Clopper–Pearson) and
    ``binom::binom.confint`` (``"agresti-coull"``, ``"bayes"`` with Jeffreys
    prior for ``"jeffreys"``). Wilson is the project default (Newcombe 1998,
    Stat Med 17:857–872: good coverage also for small n and p near 0 or 1).

    Examples
    --------
    >>> low, high = proportion_ci(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    """
    x, m = _check_count(successes, n)
    alpha = 1 - _check_level(level)
    try:
        sm_method = CI_METHODS[method]
    except KeyError:
        raise AnalysisError(
            f"unknown interval method {method!r}; choose one of {', '.join(CI_METHODS)}"
        ) from None
    low, high = proportion_confint(x, m, alpha=alpha, method=sm_method)
    # Clip float noise so that 0/n gives exactly 0 (statsmodels can return -1e-17).
    return float(min(max(low, 0.0), 1.0)), float(min(max(high, 0.0), 1.0))


def newcombe_diff_ci(x1: int, n1: int, x2: int, n2: int, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for the difference ``x1/n1 - x2/n2``.

    Parameters
    ----------
    x1, n1 : int
        Successes and trials in group 1.
    x2, n2 : int
        Successes and trials in group 2.
    level : float
        Confidence level.

    Returns
    -------
    (low, high) : tuple of float
        Limits for :math:`p_1 - p_2`.

    Notes
    -----
    Method 10 of Newcombe (1998), Stat Med 17:873–890. With Wilson limits
    :math:`(l_i, u_i)` for each proportion and :math:`d = \\hat p_1 - \\hat p_2`:

    .. math::

        L = d - \\sqrt{(\\hat p_1 - l_1)^2 + (u_2 - \\hat p_2)^2}, \\quad
        U = d + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_2 - l_2)^2}

    Computed by statsmodels ``confint_proportions_2indep(method="newcomb")``;
    matches R ``DescTools::BinomDiffCI(x1, n1, x2, n2, method = "score")``.
    The groups are assumed independent.

    Examples
    --------
    >>> low, high = newcombe_diff_ci(56, 70, 48, 80)
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)
    """
    a, m1 = _check_count(x1, n1, "group 1: ")
    b, m2 = _check_count(x2, n2, "group 2: ")
    alpha = 1 - _check_level(level)
    low, high = confint_proportions_2indep(a, m1, b, m2, method="newcomb", compare="diff", alpha=alpha)
    return float(max(low, -1.0)), float(min(high, 1.0))


def fisher_exact(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test for ``x1/n1`` versus ``x2/n2``.

    Notes
    -----
    Conditional exact test on the 2×2 table ``[[x1, n1-x1], [x2, n2-x2]]``
    (``scipy.stats.fisher_exact``; two-sided p by summing tables no more
    probable than the observed one, as R ``fisher.test``).

    Examples
    --------
    >>> round(fisher_exact(3, 4, 1, 4), 4)   # Fisher's tea-tasting table
    0.4857
    """
    a, m1 = _check_count(x1, n1, "group 1: ")
    b, m2 = _check_count(x2, n2, "group 2: ")
    return float(stats.fisher_exact([[a, m1 - a], [b, m2 - b]]).pvalue)


@dataclass(frozen=True)
class StratifiedProportion:
    """A design-weighted share from a stratified simple random sample."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    n: int
    n_effective: float


def stratified_proportion(
    successes: Sequence[int],
    n: Sequence[int],
    population: Sequence[int],
    level: float = 0.95,
) -> StratifiedProportion:
    """Share in the population estimated from a stratified simple random sample.

    Parameters
    ----------
    successes, n : sequence of int
        Per stratum: successes and sample size (answered cases).
    population : sequence of int
        Per stratum: number of cases in the frame, :math:`N_h`.
    level : float
        Confidence level.

    Returns
    -------
    StratifiedProportion
        estimate, ci_low, ci_high, se, n and the design-effective sample size.

    Notes
    -----
    With :math:`W_h = N_h/N` and :math:`\\hat p_h = x_h/n_h` (strata with
    :math:`n_h = 0` are dropped and the weights renormalised over the others):

    .. math::

        \\hat p = \\sum_h W_h \\hat p_h, \\qquad
        \\widehat{V}(\\hat p) = \\sum_h W_h^2 (1 - n_h/N_h)\\,
            \\frac{\\hat p_h (1-\\hat p_h)}{n_h - 1}

    (Cochran 1977, eq. 5.53; R ``survey::svymean`` on a stratified design with
    ``fpc``). The interval is Wilson's, computed on the effective sample size
    :math:`n_\\text{eff} = \\hat p(1-\\hat p)/\\widehat V` (Korn & Graubard 1998
    use the same device with Clopper–Pearson). Where :math:`\\widehat V = 0`
    (all strata at 0 % or 100 %) the actual n is used. Strata with a single
    case contribute no variance term (their :math:`n_h - 1 = 0`).

    Examples
    --------
    >>> r = stratified_proportion([8, 3], [10, 10], [100, 300])
    >>> round(r.estimate, 3)
    0.425
    """
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    big_n = np.asarray(population, dtype=float)
    if not (x.shape == m.shape == big_n.shape) or x.ndim != 1:
        raise AnalysisError("successes, n and population must be sequences of the same length (one per stratum)")
    if np.any(x < 0) or np.any(x > m) or np.any(m > big_n):
        raise AnalysisError("each stratum needs 0 <= successes <= n <= population")
    keep = m > 0
    if not keep.any():
        raise AnalysisError("no stratum has answered cases; a share cannot be estimated")
    x, m, big_n = x[keep], m[keep], big_n[keep]
    w = big_n / big_n.sum()
    p_h = x / m
    p = float(np.sum(w * p_h))
    fpc = 1 - m / big_n
    with np.errstate(divide="ignore", invalid="ignore"):
        var_h = np.where(m > 1, w**2 * fpc * p_h * (1 - p_h) / (m - 1), 0.0)
    var = float(var_h.sum())
    n_total = int(m.sum())
    n_eff = p * (1 - p) / var if var > 0 else float(n_total)
    low, high = _wilson(p, n_eff, _check_level(level))
    return StratifiedProportion(p, low, high, math.sqrt(var), n_total, n_eff)


def _wilson(p: float, n: float, level: float) -> tuple[float, float]:
    """Wilson limits for a share ``p`` on a (possibly non-integer) sample size ``n``."""
    z = stats.norm.ppf(1 - (1 - level) / 2)
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
