"""Disclosure control on small hand-made tables whose right answer is reasoned out here.

Thresholds: counts 1–4 and percentages on denominators < 30 (DESIGN.md, domain.md §2.4); zero is shown
unless ``zero_is_small``. Secondary cells are the cheapest set (fewest cells, then least value hidden) that
leaves every primary cell an interval of at least 5 for an attacker who solves the table's equations.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.privacy import SUPPRESSED, audit_intervals, suppress_counts, suppress_percentages
from evalkit.privacy._disclosure import table_lines


def hidden_cells(mask: pd.DataFrame) -> set[tuple]:
    return {(r, c) for r in mask.index for c in mask.columns if mask.at[r, c]}


def test_counts_below_five_are_hidden_five_and_zero_are_shown():
    t = pd.DataFrame({"unit": list("ABCDE"), "n": [12, 3, 0, 5, 4]})
    s = suppress_counts(t, "n")
    assert s.display["n"].tolist() == [12, SUPPRESSED, 0, 5, SUPPRESSED]
    assert s.display["unit"].tolist() == list("ABCDE")  # labels untouched
    assert hidden_cells(s.mask) == {(1, "n"), (4, "n")}
    assert s.secondary.to_numpy().sum() == 0  # no totals: nothing to protect
    assert s.threshold == 5 and s.n_hidden == 2
    assert t["n"].tolist() == [12, 3, 0, 5, 4]  # input untouched
    # a publisher that hides empty categories says so
    assert suppress_counts(t, "n", zero_is_small=True).display["n"].tolist() == [12, SUPPRESSED, SUPPRESSED, 5,
                                                                               SUPPRESSED]


def test_threshold_is_configurable():
    t = pd.DataFrame({"n": [6, 7, 10]})
    assert suppress_counts(t, "n", threshold=7).display["n"].tolist() == [SUPPRESSED, 7, 10]


def test_row_total_forces_the_next_smallest_cell_of_that_row():
    # Söder: 3 is hidden; with the total 15 shown, 15 - 12 would give it away,
    # so 12 (the only other cell) goes too. Norr has nothing small: untouched.
    t = pd.DataFrame({"ja": [10, 3], "nej": [8, 12], "summa": [18, 15]}, index=["Norr", "Söder"])
    s = suppress_counts(t, ["ja", "nej"], total_col="summa")
    assert hidden_cells(s.primary) == {("Söder", "ja")}
    assert hidden_cells(s.secondary) == {("Söder", "nej")}
    assert s.display.at["Söder", "summa"] == 15


def test_smallest_visible_cell_is_chosen_as_complement():
    # row: 2 (hidden), 40, 7, 9 → the complement is 7, the next-smallest
    t = pd.DataFrame({"a": [2], "b": [40], "c": [7], "d": [9], "tot": [58]}, index=["r"])
    s = suppress_counts(t, ["a", "b", "c", "d"], total_col="tot")
    assert hidden_cells(s.mask) == {("r", "a"), ("r", "c")}


def test_both_margins_give_a_protected_rectangle():
    # Inner cells            with totals
    #        x   y   z   T
    #   A   10   3   8  21
    #   B    6   7   9  22
    #   T   16  10  17  43
    # A.y = 3 is small. Fewer than four cells cannot protect it (row A and column y each need a second hidden
    # cell, and so does the line of each of those). Two rectangles of four inner cells do:
    # {A,B}×{x,y} hides 10+3+6+7 = 26, {A,B}×{y,z} hides 3+8+7+9 = 27; the first is chosen. In it A.y can
    # move up by min(10, 7) = 7 and down by min(3, 6) = 3: an interval of 10 ≥ 5.
    t = pd.DataFrame(
        {"x": [10, 6, 16], "y": [3, 7, 10], "z": [8, 9, 17], "T": [21, 22, 43]}, index=["A", "B", "T"]
    )
    s = suppress_counts(t, ["x", "y", "z"], total_col="T", total_row="T")
    assert hidden_cells(s.primary) == {("A", "y")}
    assert hidden_cells(s.mask) == {("A", "y"), ("A", "x"), ("B", "y"), ("B", "x")}
    assert s.display.loc["T"].tolist() == [16, 10, 17, 43]
    low, high = audit_intervals(t.to_numpy(float), s.mask.to_numpy(), table_lines((3, 4), 2, 3))
    assert (low[0, 1], high[0, 1]) == (0.0, 10.0)


def test_a_small_total_is_hidden_and_protected_through_the_grand_total():
    #        x   y   z  tot
    #   A    1   4   8   13      primary (< 5): A.x, A.y, B.x and the total sum.x = 4
    #   B    3   5   5   13
    #   sum  4   9  13   26
    # Column x sums to 4: however much is hidden, A.x and B.x stay within [0, 4] once sum.x is known, so
    # sum.x must be hidden too; each primary cell then gets the widest interval the table allows (≥ 4 for
    # those of column x, ≥ 5 for A.y), checked by the attacker's LP.
    t = pd.DataFrame(
        {"x": [1, 3, 4], "y": [4, 5, 9], "z": [8, 5, 13], "tot": [13, 13, 26]}, index=["A", "B", "sum"]
    )
    s = suppress_counts(t, ["x", "y", "z"], total_col="tot", total_row="sum")
    assert hidden_cells(s.primary) == {("A", "x"), ("B", "x"), ("sum", "x"), ("A", "y")}
    low, high = audit_intervals(t.to_numpy(float), s.mask.to_numpy(), table_lines((3, 4), 2, 3))
    width = high - low
    assert width[0, 1] >= 5 and min(width[0, 0], width[1, 0], width[2, 0]) >= 4
    assert not s.mask.at["sum", "tot"]  # the grand total stays


def test_no_line_ever_has_exactly_one_hidden_cell():
    rng = np.random.default_rng(11)
    for _ in range(100):
        n_rows, n_cols = rng.integers(2, 6), rng.integers(2, 6)
        inner = rng.integers(0, 15, size=(n_rows, n_cols))
        cols = [f"c{j}" for j in range(n_cols)]
        t = pd.DataFrame(inner, columns=cols, index=[f"r{i}" for i in range(n_rows)])
        t["tot"] = t[cols].sum(axis=1)
        t.loc["sum"] = t.sum(axis=0)
        s = suppress_counts(t, cols, total_col="tot", total_row="sum")
        m = s.mask[cols + ["tot"]].to_numpy()
        assert all(row.sum() != 1 for row in m), t
        assert all(col.sum() != 1 for col in m.T), t
        values = t[cols + ["tot"]].to_numpy()
        small = (values > 0) & (values < 5)
        assert (m[small]).all()  # every small count hidden (zero is not small)
        assert not s.primary[cols + ["tot"]].to_numpy()[~small].any()


def test_display_matches_mask_exactly():
    t = pd.DataFrame({"a": [1, 20, 30], "b": [7, 2, 40], "tot": [8, 22, 70]})
    s = suppress_counts(t, ["a", "b"], total_col="tot")
    for r in t.index:
        for c in t.columns:
            assert (s.display.at[r, c] == SUPPRESSED) == bool(s.mask.at[r, c])
            if not s.mask.at[r, c]:
                assert s.display.at[r, c] == t.at[r, c]


def test_percentages_on_small_denominators_are_hidden():
    t = pd.DataFrame({"unit": ["Norr", "Söder", "Väster", "Öster"], "n": [25, 30, 100, np.nan],
                      "pct": [40.0, 50.0, 12.5, 60.0], "pct_ci_low": [20.1, 33.2, 7.0, 40.0]})
    s = suppress_percentages(t, ["pct", "pct_ci_low"], "n")
    assert s.display["pct"].tolist() == [SUPPRESSED, 50.0, 12.5, SUPPRESSED]
    assert s.display["pct_ci_low"].tolist() == [SUPPRESSED, 33.2, 7.0, SUPPRESSED]
    assert s.display["n"].tolist()[:3] == [25, 30, 100]  # the base itself stays shown
    assert s.threshold == 30


def test_bad_arguments_are_config_errors():
    t = pd.DataFrame({"n": [1, 2]})
    with pytest.raises(ek.ConfigError, match="no column"):
        suppress_counts(t, "m")
    with pytest.raises(ek.ConfigError, match="threshold"):
        suppress_counts(t, "n", threshold=0)
    with pytest.raises(ek.ConfigError, match="no row"):
        suppress_counts(t, "n", total_col="n", total_row="sum")
    with pytest.raises(ek.ConfigError, match="no column"):
        suppress_percentages(t, "pct", "n")
    with pytest.raises(ek.ConfigError, match="repeated"):
        suppress_counts(pd.DataFrame({"n": [1, 2]}, index=["a", "a"]), "n", total_col="n")


def test_remembered_reach_depends_on_the_lines_and_equals_the_all_hidden_interval():
    """``_reachable`` remembers, per cells and lines, which cells can grow; other lines ask anew.

    b sits in ``t = a + b``; adding the line ``a = t`` forces ``b = 0``. Same cell, same cells, other lines:
    the remembered answer for the first system must not be reused for the second. Both agree with the
    attacker's LP on the fully hidden table (what ``_reachable`` computed before it was remembered).
    """
    from evalkit.privacy import _disclosure as d

    a, b, t = (0, 0), (0, 1), (0, 2)
    cells = [a, b, t]
    values = np.array([[4.0, 3.0, 7.0]])
    free_lines = [([a, b], t)]
    forced_lines = [([a, b], t), ([t], a)]
    everything = {c: True for c in cells}
    for lines, expected in ((free_lines, 5.0), (forced_lines, 0.0), (free_lines, 5.0)):
        assert d._reachable(b, cells, lines, values, 5.0) == expected
        low, high = d._interval(b, cells, lines, values, everything)
        assert (np.isinf(high) and expected == 5.0) or (high - low == 0.0 and expected == 0.0)
    # the values do not enter: the fully hidden table is a cone through zero
    assert d._reachable(b, cells, free_lines, values * 100, 3.0) == 3.0


def test_audit_intervals_of_some_cells_equal_those_of_all():
    t = pd.DataFrame({"a": [3, 8, 11], "b": [9, 2, 11], "total": [12, 10, 22]})
    s = suppress_counts(t, ["a", "b"], total_col="total", total_row=2)
    values, hidden = t.to_numpy(float), s.mask.to_numpy()
    lines = table_lines((3, 3), 2, 2)
    low, high = audit_intervals(values, hidden, lines)
    some = hidden & ~s.secondary.to_numpy()
    low2, high2 = audit_intervals(values, hidden, lines, only=some)
    assert some.any() and (hidden & ~some).any()
    assert np.array_equal(low2[some], low[some]) and np.array_equal(high2[some], high[some])
    assert np.isnan(low2[hidden & ~some]).all()
