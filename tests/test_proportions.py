"""Golden values for proportion intervals, Newcombe differences and Fisher's test."""
from __future__ import annotations

import numpy as np
import pytest

from evalkit.analysis.proportions import (
    fisher_exact,
    newcombe_diff_ci,
    proportion_ci,
    stratified_proportion,
)
from evalkit.errors import AnalysisError

# Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Stat Med 17:857-872, Table I: method 3 (Wilson score, no continuity correction) and
# method 5 (Clopper-Pearson "exact").
NEWCOMBE_1998A = [
    # x, n, wilson, clopper-pearson
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize("x, n, wilson, exact", NEWCOMBE_1998A)
def test_single_proportion_matches_newcombe_table_1(x, n, wilson, exact):
    assert proportion_ci(x, n) == pytest.approx(wilson, abs=5e-5)
    assert proportion_ci(x, n, method="clopper-pearson") == pytest.approx(exact, abs=5e-5)
    assert proportion_ci(x, n, method="exact") == pytest.approx(exact, abs=5e-5)


# Newcombe RG (1998). Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Stat Med 17:873-890, Table II, method 10 (hybrid score).
NEWCOMBE_1998B = [
    (56, 70, 48, 80, (0.0524, 0.3339)),
    (9, 10, 3, 10, (0.1705, 0.8090)),
    (5, 56, 0, 29, (-0.0381, 0.1926)),
    (0, 10, 0, 20, (-0.1611, 0.2775)),
    (10, 10, 0, 20, (0.6791, 1.0000)),
]


@pytest.mark.parametrize("x1, n1, x2, n2, expected", NEWCOMBE_1998B)
def test_difference_matches_newcombe_table_2(x1, n1, x2, n2, expected):
    assert newcombe_diff_ci(x1, n1, x2, n2) == pytest.approx(expected, abs=5e-5)


def test_jeffreys_and_agresti_coull_against_brown_cai_dasgupta():
    # Brown, Cai & DasGupta (2001) Stat Sci 16:101-133 define both; check against the closed forms.
    from scipy import stats

    x, n = 7, 30
    lo, hi = proportion_ci(x, n, method="jeffreys")
    assert (lo, hi) == pytest.approx(stats.beta.ppf([0.025, 0.975], x + 0.5, n - x + 0.5), abs=1e-10)
    z = stats.norm.ppf(0.975)
    nt = n + z**2
    pt = (x + z**2 / 2) / nt
    half = z * np.sqrt(pt * (1 - pt) / nt)
    assert proportion_ci(x, n, method="agresti-coull") == pytest.approx((pt - half, pt + half), abs=1e-10)


def test_wilson_coverage_simulation():
    # Known truth p = 0.15, n = 40: Wilson's coverage should be near 95 % (Newcombe 1998a: 0.947 mean).
    rng = np.random.default_rng(7)
    xs = rng.binomial(40, 0.15, size=2000)
    covered = np.mean([lo <= 0.15 <= hi for lo, hi in (proportion_ci(x, 40) for x in xs)])
    assert 0.92 <= covered <= 0.98


def test_fisher_exact_tea_tasting():
    # Fisher (1935) lady tasting tea, 3 of 4 right: two-sided p = 0.4857 (R fisher.test).
    assert fisher_exact(3, 4, 1, 4) == pytest.approx(0.4857, abs=5e-5)


def test_level_changes_width():
    narrow = proportion_ci(30, 100, level=0.80)
    wide = proportion_ci(30, 100, level=0.99)
    assert wide[0] < narrow[0] < 0.3 < narrow[1] < wide[1]


@pytest.mark.parametrize("args", [(5, 0), (6, 5), (-1, 5), (1.5, 5), ("a", 5)])
def test_bad_counts_raise_analysis_error(args):
    with pytest.raises(AnalysisError):
        proportion_ci(*args)


def test_unknown_method_names_choices():
    with pytest.raises(AnalysisError, match="wilson"):
        proportion_ci(1, 5, method="wald")


def test_stratified_proportion_equals_simple_when_one_stratum_is_census():
    # A single stratum sampled completely: no sampling variance (fpc = 0) → the estimate is exact.
    r = stratified_proportion([4], [10], [10])
    assert r.estimate == 0.4 and r.se == 0


def test_stratified_proportion_cochran_variance():
    # Hand computation of Cochran (1977) eq. 5.53 for two strata.
    r = stratified_proportion([8, 3], [10, 10], [100, 300])
    w = np.array([0.25, 0.75])
    p = np.array([0.8, 0.3])
    var = np.sum(w**2 * (1 - np.array([10 / 100, 10 / 300])) * p * (1 - p) / 9)
    assert r.estimate == pytest.approx(0.425)
    assert r.se == pytest.approx(np.sqrt(var))
    assert r.ci_low < 0.425 < r.ci_high


def test_stratified_coverage_simulation():
    # Two strata with known shares 0.8 and 0.3 (N = 200, 600); true overall 0.425.
    rng = np.random.default_rng(11)
    pop = [np.r_[np.ones(160), np.zeros(40)], np.r_[np.ones(180), np.zeros(420)]]
    hits = 0
    reps = 400
    for _ in range(reps):
        x = [rng.choice(s, 25, replace=False).sum() for s in pop]
        r = stratified_proportion(x, [25, 25], [200, 600])
        hits += r.ci_low <= 0.425 <= r.ci_high
    assert 0.91 <= hits / reps <= 0.98
