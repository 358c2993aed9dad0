"""Secondary suppression audited by an attacker's linear programme.

The attacker knows every published cell, every published margin, and that counts are non-negative. For each
hidden cell the test solves, with its own LP (``scipy.optimize.linprog``, written here independently of
``evalkit.privacy.audit_intervals``), the smallest and largest value consistent with all of that. A primary
cell is protected iff ``max − min`` is at least the protection interval evalkit states (the count threshold
k; or, when even a fully hidden table cannot give that much, as much as the fully hidden table gives); a
secondary cell must not be computable exactly (``max − min > 0``).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from evalkit.privacy import Disclosure, audit_intervals, protect, suppress_counts
from evalkit.privacy._disclosure import table_lines

K = 5
N_TABLES = 25  # per kind of table (more in the figures of the report to the lead)


# ----------------------------------------------------------------------------- an independent attacker
def _equations(shape, total_i, total_j, summed=None):
    """Rows of A with A·vec(x) = 0 for the published structure of a (rows × cols) block."""
    n_rows, n_cols = shape
    inner_rows = [i for i in range(n_rows) if i != total_i]
    inner_cols = [j for j in range(n_cols) if j != total_j]
    summed = inner_cols if summed is None else summed
    eqs = []

    def row(cells_plus, cells_minus):
        a = np.zeros(n_rows * n_cols)
        for i, j in cells_plus:
            a[i * n_cols + j] += 1
        for i, j in cells_minus:
            a[i * n_cols + j] -= 1
        eqs.append(a)

    if total_j is not None:
        for i in inner_rows + ([total_i] if total_i is not None else []):
            row([(i, total_j)], [(i, j) for j in summed])
    if total_i is not None:
        for j in inner_cols + ([total_j] if total_j is not None else []):
            row([(total_i, j)], [(i, j) for i in inner_rows])
    return np.array(eqs) if eqs else np.zeros((0, n_rows * n_cols))


def attacker(values, hidden, total_i, total_j, summed=None, cells=None):
    """min and max of every hidden cell (or of ``cells``) given everything published (NaN elsewhere)."""
    values = np.asarray(values, float)
    a = _equations(values.shape, total_i, total_j, summed)
    flat_hidden = hidden.ravel()
    bounds = [(0, None) if h else (v, v) for v, h in zip(values.ravel(), flat_hidden)]
    low = np.full(values.size, np.nan)
    high = np.full(values.size, np.nan)
    wanted = flat_hidden if cells is None else (cells.ravel() & flat_hidden)
    for c in np.flatnonzero(wanted):
        obj = np.zeros(values.size)
        obj[c] = 1
        kw = dict(A_eq=a, b_eq=np.zeros(len(a))) if len(a) else {}
        lo = linprog(obj, bounds=bounds, method="highs", **kw)
        hi = linprog(-obj, bounds=bounds, method="highs", **kw)
        assert lo.status == 0
        low[c] = lo.fun
        high[c] = -hi.fun if hi.status == 0 else np.inf
    return low.reshape(values.shape), high.reshape(values.shape)


def _with_margins(inner, total_row=True, total_col=True):
    r, c = inner.shape
    full = np.zeros((r + int(total_row), c + int(total_col)))
    full[:r, :c] = inner
    if total_col:
        full[:r, c] = inner.sum(axis=1)
    if total_row:
        full[r, :] = full[:r].sum(axis=0)
    return full, (r if total_row else None), (c if total_col else None)


def _random_table(rng, shape, p_small=0.15, p_zero=0.05):
    inner = rng.poisson(rng.uniform(6, 40), size=shape).astype(float)
    small = rng.random(shape) < p_small
    inner[small] = rng.integers(1, K, size=int(small.sum()))
    inner[rng.random(shape) < p_zero] = 0
    return inner


def _frame(full):
    return pd.DataFrame(full, columns=[f"c{j}" for j in range(full.shape[1])])


def _suppress(full, ti, tj, **kw):
    t = _frame(full)
    cols = list(t.columns)
    s = suppress_counts(t, cols, K, total_col=cols[tj] if tj is not None else None,
                        total_row=ti if ti is not None else None, **kw)
    return s.mask.to_numpy(), s.primary.to_numpy()


def _check(full, ti, tj, hidden, primary, summed=None):
    """(primary widths, secondary widths) from the attacker; asserts protection."""
    low, high = attacker(full, hidden, ti, tj, summed)
    everything = np.ones_like(hidden)
    low_all, high_all = attacker(full, everything, ti, tj, summed, cells=primary)
    need = np.minimum(K, high_all - low_all)
    width = high - low
    assert (width[primary] >= need[primary] - 1e-6).all(), (full, hidden, width)
    secondary = hidden & ~primary
    assert (width[secondary] > 1e-6).all(), (full, hidden, width)
    return width[primary], width[secondary]


# ----------------------------------------------------------------------------- simulated tables
SHAPES = [("2-D, both margins", True, True), ("rows with a total column", False, True),
          ("columns with a total row", True, False)]


@pytest.mark.parametrize("kind, total_row, total_col", SHAPES)
def test_simulated_tables_leave_no_hidden_cell_recoverable(kind, total_row, total_col):
    rng = np.random.default_rng(2026)
    n_tables, n_primary, n_secondary, n_hidden_cells = 0, 0, 0, 0
    for _ in range(N_TABLES):
        shape = (int(rng.integers(2, 9)), int(rng.integers(2, 7)))
        full, ti, tj = _with_margins(_random_table(rng, shape), total_row, total_col)
        hidden, primary = _suppress(full, ti, tj)
        assert (primary == ((full > 0) & (full < K))).all()  # zero is not small by default
        assert hidden[primary].all()
        pw, sw = _check(full, ti, tj, hidden, primary)
        n_tables += 1
        n_primary += int(primary.sum())
        n_secondary += int((hidden & ~primary).sum())
        n_hidden_cells += int(hidden.sum())
    assert n_tables == N_TABLES and n_primary > N_TABLES   # the simulation did exercise the method


def test_a_large_report_table_is_protected_quickly():
    # 49 × 19 inner cells with both margins (a report-sized 50 × 20 table)
    rng = np.random.default_rng(7)
    full, ti, tj = _with_margins(_random_table(rng, (49, 19), p_small=0.08))
    start = time.perf_counter()
    hidden, primary = _suppress(full, ti, tj)
    seconds = time.perf_counter() - start
    _check(full, ti, tj, hidden, primary)
    assert seconds < 60, seconds   # ~2–3 s on an idle two-core machine


def test_evalkits_own_audit_agrees_with_the_independent_attacker():
    rng = np.random.default_rng(11)
    full, ti, tj = _with_margins(_random_table(rng, (6, 4)))
    hidden, _ = _suppress(full, ti, tj)
    low, high = audit_intervals(full, hidden, table_lines(full.shape, ti, tj))
    low2, high2 = attacker(full, hidden, ti, tj)
    assert np.allclose(np.nan_to_num(low, nan=-1), np.nan_to_num(low2, nan=-1))
    assert np.allclose(np.nan_to_num(high, nan=-1), np.nan_to_num(high2, nan=-1))


def test_the_old_two_hidden_cells_per_line_rule_would_fail_this_audit():
    """1 + 2 + 50 = 53: hiding the two small cells leaves two hidden cells in the line (the old stopping
    rule), yet the attacker learns that each is at most 3, i.e. that both are small."""
    full = np.array([[1, 2, 50, 53]], float)
    old = np.array([[True, True, False, False]])
    low, high = attacker(full, old, None, 3)
    assert high[0, 0] - low[0, 0] == pytest.approx(3) and high[0, 0] - low[0, 0] < K
    hidden, primary = _suppress(full, None, 3)
    assert hidden[0].tolist() == [True, True, True, False]
    _check(full, None, 3, hidden, primary)


# ----------------------------------------------------------------------------- no needless suppression
def test_a_zero_cell_is_not_suppressed_by_default_and_is_when_configured():
    full, ti, tj = _with_margins(np.array([[0, 12, 9], [7, 15, 11]], float), total_row=False)
    hidden, primary = _suppress(full, ti, tj)
    assert not hidden.any()
    hidden, primary = _suppress(full, ti, tj, zero_is_small=True)
    assert primary[0, 0] and hidden.sum() == 2        # the zero and one other cell of its row
    _check(full, ti, tj, hidden, primary)


def test_a_two_by_two_table_with_one_small_cell_hides_exactly_four_cells():
    full, ti, tj = _with_margins(np.array([[2, 10], [7, 20]], float))
    hidden, primary = _suppress(full, ti, tj)
    assert primary.sum() == 1 and hidden.sum() == 4
    assert hidden[:2, :2].all() and not hidden[2, :].any() and not hidden[:, 2].any()  # margins stay
    _check(full, ti, tj, hidden, primary)


def test_two_small_cells_of_a_row_protect_each_other_when_their_sum_reaches_the_threshold():
    full = np.array([[3, 2, 20, 40, 65]], float)
    hidden, primary = _suppress(full, None, 4)
    assert hidden[0].tolist() == [True, True, False, False, False]  # each lies anywhere in [0, 5]
    _check(full, None, 4, hidden, primary)
    full = np.array([[3, 1, 20, 40, 64]], float)                       # 3 + 1 = 4: not enough
    hidden, primary = _suppress(full, None, 4)
    assert hidden[0].tolist() == [True, True, True, False, False]   # the smallest partner that suffices: 20
    _check(full, None, 4, hidden, primary)


def test_a_small_cell_in_a_table_without_totals_hides_only_itself():
    full = np.array([[3, 20], [12, 1]], float)
    hidden, primary = _suppress(full, None, None)
    assert (hidden == primary).all() and hidden.sum() == 2


def test_summed_columns_leave_a_column_outside_the_total_alone():
    # applicable = yes + partly + no; "not applicable" (0 here) is beside it, outside the sum
    t = pd.DataFrame({"yes": [10], "partly": [15], "no": [36], "applicable": [61], "na": [0]})
    s = suppress_counts(t, ["yes", "partly", "no", "na"], K, total_col="applicable",
                        summed=["yes", "partly", "no"])
    assert not s.mask.to_numpy().any()
    t = pd.DataFrame({"yes": [60], "partly": [1], "no": [0], "applicable": [61], "na": [3]})
    s = suppress_counts(t, ["yes", "partly", "no", "na"], K, total_col="applicable",
                        summed=["yes", "partly", "no"])
    # 1 needs a partner that widens its interval to ≥ 5: the 0 beside it cannot, 60 can
    assert s.mask.iloc[0].tolist() == [True, True, False, False, True]


def test_protect_handles_a_one_dimensional_table_with_its_total():
    values = np.array([[4.0], [30.0], [12.0], [46.0]])
    lines = table_lines(values.shape, 3, None)
    hidden = protect(values, (values > 0) & (values < K), lines, protection=K)
    assert hidden[:, 0].tolist() == [True, False, True, False]   # 4 and the smallest partner, 12
    low, high = attacker(values, hidden, 3, None)
    assert high[0, 0] - low[0, 0] >= K


def test_disclosure_rules_for_sentences():
    d = Disclosure()
    assert d.count(4, "sv") == ".." and d.count(0, "sv") == "0" and d.count(5, "sv") == "5"
    assert Disclosure(zero_is_small=True).count(0, "sv") == ".."
    assert d.share(0.5, 18, "sv") == ".."                 # denominator below 30
    assert d.share(3 / 61, 61, "sv") == ".."              # 3 of 61: the share gives the count back
    assert d.share(10 / 61, 61, "sv") == "16\u00a0%"
    assert d.share(0.0, 61, "sv") == "0\u00a0%"           # nobody: zero is not small
    with pytest.raises(Exception, match="at least 1"):
        Disclosure(0, 30)


def test_the_rest_of_a_base_is_protected_when_asked_for():
    # 58 of 61 shown beside each other give away that 3 did not: with parts=[(part, whole)] that rest is an
    # unpublished cell, primary when small, and the cheaper of the two shown counts is hidden to protect it
    t = pd.DataFrame({"part": [58, 20], "whole": [61, 40]})
    s = suppress_counts(t, ["part", "whole"], K, parts=[("part", "whole")])
    assert s.mask.to_numpy().tolist() == [[True, False], [False, False]]
    low, high = attacker(np.array([[58.0, 3.0, 61.0]]), np.array([[True, True, False]]), None, 2)
    assert high[0, 1] - low[0, 1] >= K    # the rest now lies anywhere in [0, 61]
    with pytest.raises(Exception, match="not among the count columns"):
        suppress_counts(t, ["part"], K, parts=[("part", "whole")])


def test_counts_of_a_long_table_are_protected_against_totals_printed_elsewhere():
    # theme × group in long form; the theme totals (6 and 30) are printed in the text. Zero is shown, so
    # without protection theme A's single small cell is 6 − 5 − 0 − 0 = 1.
    t = pd.DataFrame({"theme": ["A"] * 4 + ["B"] * 4, "group": list("wxyz") * 2,
                      "n": [5, 1, 0, 0, 9, 7, 8, 6]})
    s = suppress_counts(t, ["n"], K, totals_by={"n": "theme"})
    hidden = s.mask["n"].tolist()
    assert hidden[:4] == [True, True, False, False] and not any(hidden[4:])
    # the attacker: A's cells add up to 6, zeros and B's cells known
    values = np.array([[5.0, 1.0, 0.0, 0.0, 6.0]])
    low, high = attacker(values, np.array([[True, True, False, False, False]]), None, 4)
    assert high[0, 1] - low[0, 1] >= K
