"""Disclosure control of report tables: a TableSpec applied through evalkit.privacy.

Expected masks are worked out by hand from the rules in DESIGN.md ("Disclosure
control") and the domain brief §2.4: count < 5 → hidden; percentage on a
denominator < 30 → hidden; a row/column with a visible total and exactly one
hidden cell → the next-smallest cell hidden too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ReportError
from evalkit.report import TableSpec, disclosure_mask


def _hidden(mask: pd.DataFrame, columns) -> list[list[int]]:
    return mask[list(columns)].to_numpy().astype(int).tolist()


def test_primary_count_suppression_includes_zero_and_respects_k():
    t = pd.DataFrame({"n": [0, 4, 5, 30]})
    spec = TableSpec(counts=("n",))
    assert disclosure_mask(t, spec, (5, 30))["n"].tolist() == [True, True, False, False]
    assert disclosure_mask(t, spec, (10, 30))["n"].tolist() == [True, True, True, False]


def test_secondary_suppression_along_a_row_with_a_total_column():
    # row: 3 + 20 + 40 = 63; hiding only 3 would let a reader compute it as 63 − 20 − 40
    t = pd.DataFrame({"a": [3], "b": [20], "c": [40], "total": [63]})
    m = disclosure_mask(t, TableSpec(counts=("a", "b", "c"), total_column="total"), (5, 30))
    assert _hidden(m, ["a", "b", "c", "total"]) == [[1, 1, 0, 0]]


def test_secondary_suppression_down_a_column_with_a_total_row():
    t = pd.DataFrame({"unit": ["N", "S", "V", "All"], "n": [12, 2, 9, 23]})
    m = disclosure_mask(t, TableSpec(counts=("n",), total_row=True), (5, 30))
    assert m["n"].tolist() == [False, True, True, False]
    # the same table with a repeated index label (positions count, not labels)
    m = disclosure_mask(t.set_index(pd.Index(["x", "x", "y", "y"])), TableSpec(counts=("n",), total_row=True))
    assert m["n"].tolist() == [False, True, True, False]   # 2 primary, 9 the next smallest


def test_secondary_suppression_cascades_until_stable():
    t = pd.DataFrame({"a": [3, 10, 13], "b": [20, 25, 45], "total": [23, 35, 58]})
    m = disclosure_mask(t, TableSpec(counts=("a", "b"), total_row=True, total_column="total"), (5, 30))
    # 3 (primary) → 20 (row 0) and 10 (column a) → 25 (row 1 / column b); totals stay visible
    assert _hidden(m, ["a", "b", "total"]) == [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    # no line with a visible total is left with exactly one hidden cell
    values = t.to_numpy()
    hidden = m[["a", "b", "total"]].to_numpy()
    for r in range(2):
        assert hidden[r, :2].sum() != 1
    for c in range(2):
        assert hidden[:2, c].sum() != 1
    assert values.shape == hidden.shape


def test_no_secondary_suppression_without_totals():
    t = pd.DataFrame({"a": [3, 10], "b": [20, 25]})
    m = disclosure_mask(t, TableSpec(counts=("a", "b")), (5, 30))
    assert _hidden(m, ["a", "b"]) == [[1, 0], [0, 0]]


def test_two_hidden_cells_in_a_line_need_no_more():
    t = pd.DataFrame({"a": [3], "b": [2], "c": [40], "total": [45]})
    m = disclosure_mask(t, TableSpec(counts=("a", "b", "c"), total_column="total"), (5, 30))
    assert _hidden(m, ["a", "b", "c", "total"]) == [[1, 1, 0, 0]]


def test_percentages_hidden_on_small_denominators_column_or_fixed():
    t = pd.DataFrame({"n": [29, 30, np.nan], "share": [0.5, 0.8, 0.2]})
    def hidden(denominator):
        return disclosure_mask(t, TableSpec(percents={"share": denominator}), (5, 30))["share"].tolist()

    assert hidden("n") == [True, False, True]
    assert hidden(25) == [True, True, True]
    assert hidden(120) == [False, False, False]


def test_spec_combines_counts_percentages_numerators_and_guards():
    t = pd.DataFrame({
        "unit": ["A", "B", "C"],
        "yes": [3, 20, 40],
        "n": [40, 25, 60],
        "share": [3 / 40, 20 / 25, 40 / 60],
        "mean_hours": [12.5, 30.1, 22.0],
        "group_n": [4, 25, 60],
    })
    spec = TableSpec(counts=("yes", "n"), percents={"share": "n"}, numerators={"share": "yes"},
                     guards={"mean_hours": "group_n"})
    m = disclosure_mask(t, spec, (5, 30))
    assert m["yes"].tolist() == [True, False, False]
    assert m["n"].tolist() == [False, False, False]
    # row A: numerator hidden → share hidden (else 0.075 × 40 = 3); row B: denominator 25 < 30
    assert m["share"].tolist() == [True, True, False]
    assert m["mean_hours"].tolist() == [True, False, False]
    assert not m["unit"].any()


def test_spec_naming_missing_columns_is_a_report_error():
    t = pd.DataFrame({"n": [1]})
    with pytest.raises(ReportError, match="does not have"):
        disclosure_mask(t, TableSpec(counts=("antal",)), (5, 30))


@pytest.mark.parametrize("bad", [(0, 30), (5, 0), (5,), "five", None])
def test_thresholds_cannot_switch_suppression_off(bad):
    t = pd.DataFrame({"n": [1]})
    with pytest.raises(ReportError, match="thresholds"):
        disclosure_mask(t, TableSpec(counts=("n",)), bad)
