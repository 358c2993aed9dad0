"""Golden values for Cohen, Fleiss and Krippendorff; bootstrap and input checks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.agreement import agreement
from evalkit.errors import AnalysisError, AnalysisWarning


def long(matrix, raters_as_rows=False):
    """Long (unit, rater, value) table from a units × raters (or raters × units) matrix."""
    m = np.asarray(matrix, dtype=float)
    if raters_as_rows:
        m = m.T
    rows = [(u, f"r{r}", m[u, r]) for u in range(m.shape[0]) for r in range(m.shape[1])]
    return pd.DataFrame(rows, columns=["unit", "rater", "value"])


# Krippendorff (2011) "Computing Krippendorff's alpha-reliability", reliability data example C
# (3 observers, 15 units, missing values); published alpha: nominal 0.691, interval 0.811 —
# 0.691358 and 0.810845 in the krippendorff package doctest (ecosystem.md §C2).
KRIPP_C = [
    [np.nan, np.nan, np.nan, np.nan, np.nan, 3, 4, 1, 2, 1, 1, 3, 3, np.nan, 3],
    [1, np.nan, 2, 1, 3, 3, 4, 3, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
    [np.nan, np.nan, 2, 1, 3, 4, 4, np.nan, 2, 1, 1, 3, 3, np.nan, 4],
]


@pytest.mark.parametrize("level, expected", [("nominal", 0.691358), ("interval", 0.810845)])
def test_krippendorff_golden(level, expected):
    res = agreement(long(KRIPP_C, raters_as_rows=True), unit="unit", rater="rater", value="value",
                    level=level, n_boot=200)
    assert res.value == pytest.approx(expected, abs=1e-6)
    # Unit 2 and unit 14 have no ratings; unit 1 has one rating only → 12 pairable units.
    assert res.n_units == 12
    assert res.ci_low < res.value <= res.ci_high


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_equals_reference_package(level):
    kd = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(3)
    data = rng.integers(1, 5, size=(4, 30)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    res = agreement(long(data, raters_as_rows=True), unit="unit", rater="rater", value="value",
                    level=level, n_boot=0)
    assert res.value == pytest.approx(kd.alpha(reliability_data=data, level_of_measurement=level), abs=1e-10)


# Fleiss (1971) Psychol Bull 76:378-382, 30 patients × 6 psychiatrists × 5 diagnoses (the `diagnoses`
# data of R irr); published kappa 0.430, R irr::kappam.fleiss(diagnoses) = 0.4302445.
DIAGNOSES = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]


def test_fleiss_golden():
    res = agreement(long(DIAGNOSES), unit="unit", rater="rater", value="value", method="fleiss", n_boot=300)
    assert res.value == pytest.approx(0.4302445, abs=1e-7)
    assert round(res.value, 3) == 0.430
    assert res.n_units == 30 and res.n_raters == 6
    assert res.ci_low < 0.43 < res.ci_high


# R irr `anxiety` data (20 subjects, 3 raters); irr::kappa2(anxiety[, 2:3], w) gives
# unweighted -0.006289308, "equal" (linear) 0.1459075, "squared" (quadratic) 0.2520325.
ANXIETY = [[3, 3, 2], [3, 6, 1], [3, 4, 4], [4, 6, 4], [5, 2, 3], [5, 4, 2], [2, 2, 1], [3, 4, 6],
           [5, 3, 1], [2, 3, 1], [2, 2, 1], [6, 3, 2], [1, 3, 3], [5, 3, 3], [2, 2, 1], [2, 2, 1],
           [1, 1, 3], [2, 3, 3], [4, 3, 2], [3, 4, 2]]


@pytest.mark.parametrize("weights, expected", [(None, -0.006289308), ("linear", 0.1459075),
                                               ("quadratic", 0.2520325)])
def test_cohen_golden_irr(weights, expected):
    data = long([row[1:] for row in ANXIETY])
    res = agreement(data, unit="unit", rater="rater", value="value", method="cohen", weights=weights, n_boot=200)
    assert res.value == pytest.approx(expected, abs=1e-7)
    assert res.n_units == 20


def test_cohen_bootstrap_formula_agrees_with_statsmodels_point():
    # The bootstrap uses a vectorised kappa; on the full sample it must equal the point estimate,
    # so the percentile interval brackets the estimate for a large sample.
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 3, 300)
    other = np.where(rng.random(300) < 0.8, truth, rng.integers(0, 3, 300))
    res = agreement(long(np.c_[truth, other]), unit="unit", rater="rater", value="value",
                    method="cohen", n_boot=500)
    assert res.ci_low < res.value < res.ci_high
    assert res.ci_high - res.ci_low < 0.2


def test_bootstrap_is_seeded():
    data = long(DIAGNOSES)
    a = agreement(data, unit="unit", rater="rater", value="value", n_boot=200, seed=42)
    b = agreement(data, unit="unit", rater="rater", value="value", n_boot=200, seed=42)
    c = agreement(data, unit="unit", rater="rater", value="value", n_boot=200, seed=43)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)


def test_bootstrap_coverage_simulation():
    # Two raters who copy a latent answer with prob 0.7 else guess among 3 → true kappa is 0.7
    # in the population (agreement beyond chance from copying only).
    rng = np.random.default_rng(2024)
    hits = 0
    reps = 60
    for _ in range(reps):
        latent = rng.integers(0, 3, 150)
        r = [np.where(rng.random(150) < np.sqrt(0.7), latent, rng.integers(0, 3, 150)) for _ in range(2)]
        res = agreement(long(np.c_[r[0], r[1]]), unit="unit", rater="rater", value="value",
                        method="cohen", n_boot=300, seed=int(rng.integers(1 << 31)))
        hits += res.ci_low <= 0.7 <= res.ci_high
    assert hits / reps >= 0.85


def test_percent_agreement_and_undefined_kappa_warns():
    data = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3], "r": ["a", "b"] * 3, "v": ["Ja"] * 6})
    with pytest.warns(AnalysisWarning, match="percent agreement"):
        res = agreement(data, unit="u", rater="r", value="v", n_boot=50)
    assert np.isnan(res.value)
    assert res.percent_agreement == 1.0


def test_string_categories_and_missing_ratings():
    data = pd.DataFrame({
        "u": [1, 1, 2, 2, 3, 3, 4, 4, 5],
        "r": ["a", "b"] * 4 + ["a"],
        "v": ["Ja", "Ja", "Nej", "Nej", "Ja", "Delvis", "Nej", None, "Ja"],
    })
    res = agreement(data, unit="u", rater="r", value="v", method="cohen", n_boot=0)
    assert res.n_units == 3  # units 4 and 5 lack a second rating


def test_errors():
    data = long(DIAGNOSES)
    with pytest.raises(AnalysisError, match="exactly two raters"):
        agreement(data, unit="unit", rater="rater", value="value", method="cohen")
    with pytest.raises(AnalysisError, match="Cohen's kappa only"):
        agreement(data, unit="unit", rater="rater", value="value", weights="linear")
    with pytest.raises(AnalysisError, match="not in ratings"):
        agreement(data, unit="case", rater="rater", value="value")
    dup = pd.concat([data, data.head(1)])
    with pytest.raises(AnalysisError, match="repeat"):
        agreement(dup, unit="unit", rater="rater", value="value")
    text = pd.DataFrame({"u": [1, 1], "r": ["a", "b"], "v": ["x", "y"]})
    with pytest.raises(AnalysisError, match="numeric"):
        agreement(text, unit="u", rater="r", value="v", level="interval")


def test_fleiss_drops_incomplete_units_with_warning():
    data = long(DIAGNOSES).iloc[1:]  # unit 0 loses one rating
    with pytest.warns(AnalysisWarning, match="dropped"):
        res = agreement(data, unit="unit", rater="rater", value="value", method="fleiss", n_boot=0)
    assert res.n_units == 29


def test_result_views():
    res = agreement(long(DIAGNOSES), unit="unit", rater="rater", value="value", n_boot=50)
    frame = res.to_frame()
    assert list(frame.columns) == list(res.COLUMNS) and len(frame) == 1
    assert "Krippendorff" in res.summary() and "<table" in res._repr_html_()
    assert "Krippendorffs alfa" in res.sentences("sv")[0] and "," in res.sentences("sv")[0]


def test_cluster_bootstrap_is_wider_for_clustered_units():
    # 40 clusters × 10 units; in half the clusters the raters copy the truth almost always, in the
    # other half rarely (agreement is clustered). Resampling units treats 400 units as independent;
    # resampling clusters respects that there are only 40 independent draws.
    rng = np.random.default_rng(9)
    rows = []
    for c in range(40):
        copy = 0.95 if c % 2 else 0.3
        for u in range(10):
            truth = rng.integers(0, 3)
            for r in ("a", "b"):
                v = truth if rng.random() < copy else rng.integers(0, 3)
                rows.append((f"{c}-{u}", r, v, c))
    data = pd.DataFrame(rows, columns=["unit", "rater", "value", "cluster"])
    plain = agreement(data, unit="unit", rater="rater", value="value", method="cohen", n_boot=400)
    clustered = agreement(data, unit="unit", rater="rater", value="value", method="cohen", n_boot=400,
                          cluster="cluster")
    assert plain.value == clustered.value
    assert (clustered.ci_high - clustered.ci_low) > 1.3 * (plain.ci_high - plain.ci_low)
    with pytest.raises(AnalysisError, match="not Fleiss"):
        agreement(data, unit="unit", rater="rater", value="value", method="fleiss", cluster="cluster")


@pytest.mark.parametrize("k", [2, 3, 5])
def test_bootstrap_kappas_at_once_have_the_bits_of_the_loop(k):
    """The vectorised bootstrap κ (``_kappas_from_tables``) equals the per-table formula bit for bit."""
    from evalkit.analysis.agreement import _kappa_from_table, _kappas_from_tables

    rng = np.random.default_rng(k)
    idx = np.arange(k)
    tables = rng.multinomial(40, np.full(k * k, 1 / (k * k)), size=500).astype(float).reshape(-1, k, k)
    tables[0] = 0  # no ratings: undefined
    tables[1, :, 1:] = 0  # one rater used one category only: de = 0
    for w in ((idx[:, None] != idx[None, :]).astype(float), np.abs(idx[:, None] - idx[None, :]).astype(float),
              (idx[:, None] - idx[None, :]).astype(float) ** 2):
        with np.errstate(invalid="ignore", divide="ignore"):
            loop = np.array([_kappa_from_table(t, w) for t in tables])
        assert np.array_equal(_kappas_from_tables(tables, w), loop, equal_nan=True)
        assert np.isnan(loop[0]) and np.isfinite(loop[2:]).all()
