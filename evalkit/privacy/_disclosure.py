"""Disclosure control for published numbers: small counts, percentages on small bases, and totals.

Defaults follow DESIGN.md ("Disclosure control") and domain.md §2.4: a count
below 5 and a percentage whose denominator is below 30 are shown as "..", the
symbol Swedish official statistics use for suppressed cells. Zero is not a small
count unless the rules say so (``zero_is_small``): "nobody" is a structural fact
about a table (no case file lacked the item), not a group of identifiable people.

Where a table shows totals, further (secondary) cells are hidden so that no
hidden cell can be recovered by linear arithmetic from the published cells and
margins. The pattern is chosen by mixed-integer optimisation (:func:`protect`),
and :func:`audit_intervals` is the attacker's linear programme that checks it.

:class:`Disclosure` is the one object that carries the rules to every place a
number leaves evalkit: the report's tables (through :func:`suppress_counts`),
sentences (:meth:`Disclosure.count`, :meth:`Disclosure.share`), figures and the
Excel appendix.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError

__all__ = ["Disclosure", "Suppression", "mark_withheld", "is_withheld", "suppress_counts", "suppress_percentages", "protect",
           "audit_intervals", "table_lines", "SUPPRESSED"]

#: What a suppressed cell shows.
SUPPRESSED = ".."


# ----------------------------------------------------------------------------- the rules
@dataclass(frozen=True)
class Disclosure:
    """The disclosure rules of one output, applied to tables, sentences and figures alike.

    Parameters
    ----------
    count_below : int, default 5
        A count ``0 < n < count_below`` is hidden (a *small* count).
    denominator_below : int, default 30
        A percentage whose denominator is below this is hidden (Kolada's limit
        for survey results, domain.md §2.4).
    zero_is_small : bool, default False
        Treat a zero count as small too (some publishers do, to hide that a
        category is empty).

    Notes
    -----
    A share ``p`` on a denominator ``n`` implies the count ``round(p·n)`` and
    the rest ``n − round(p·n)``; given without its count, the share is hidden
    when either is small, because with ``n`` it gives both back (98 % of 61
    says that exactly one case file failed, which a count table beside it may
    hide). Given with its count (``numerator``), it is hidden with that count.
    Zero is not small here either, unless ``zero_is_small``. A share of
    judgements or units rather than people (agreement between coders) uses
    :meth:`base_share`: the denominator rule only.

    Examples
    --------
    >>> d = Disclosure()
    >>> d.count(3, "sv"), d.count(0, "sv"), d.count(12, "sv")
    ('..', '0', '12')
    >>> d.share(9 / 18, 18, "sv"), d.share(0.42, 120, "sv")
    ('..', '42\\xa0%')
    """

    count_below: int = 5
    denominator_below: int = 30
    zero_is_small: bool = False

    def __post_init__(self):
        for name in ("count_below", "denominator_below"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"disclosure control: {name} must be a whole number of at least 1, not "
                                  f"{value!r} (disclosure control cannot be switched off)")

    # -- decisions ----------------------------------------------------------------------------
    def small(self, values) -> np.ndarray:
        """True where a count is small (hidden as a primary cell); missing values are not small."""
        return _small_at(np.asarray(values, dtype=float), self.count_below, self.zero_is_small)

    def hides_count(self, n) -> bool:
        """Whether the count ``n`` is shown as ".." on its own."""
        return bool(self.small([n])[0])

    def hides_share(self, share, denominator, numerator=None) -> bool:
        """Whether a share (0–1) on ``denominator`` is shown as "..".

        Hidden when the denominator is missing or below ``denominator_below``, or
        when its count (``numerator``, else ``round(share·denominator)``) or the
        rest of the denominator is small.
        """
        if denominator is None or not np.isfinite(float(denominator)) or float(denominator) < self.denominator_below:
            return True
        if numerator is None:
            if share is None or not np.isfinite(float(share)):
                return False
            implied = round(float(share) * float(denominator))
            # the share and its base give back both the count and the rest of the base
            return self.hides_count(implied) or self.hides_count(float(denominator) - implied)
        return self.hides_count(numerator)

    # -- text ------------------------------------------------------------------------------
    def count(self, n, language: str) -> str:
        """``n`` formatted in ``language``, or ".." when it is a small count."""
        from evalkit import i18n

        return SUPPRESSED if self.hides_count(n) else i18n.fmt_int(int(round(float(n))), language)

    def share(self, share, denominator, language: str, decimals: int = 0, numerator=None) -> str:
        """A share (0–1) as a percentage in ``language``, or ".." when :meth:`hides_share` says so."""
        from evalkit import i18n

        if self.hides_share(share, denominator, numerator):
            return SUPPRESSED
        return i18n.fmt_percent(float(share), decimals, language)

    def base_share(self, share, denominator, language: str, decimals: int = 0) -> str:
        """A share of judgements or units (not of people): ".." only when its denominator is small."""
        from evalkit import i18n

        if denominator is None or not np.isfinite(float(denominator)) or float(denominator) < self.denominator_below:
            return SUPPRESSED
        return i18n.fmt_percent(float(share), decimals, language)

    def describe(self) -> dict:
        """The rules as plain values (for the report's appendix and provenance)."""
        return {"count_below": self.count_below, "denominator_below": self.denominator_below,
                "zero_is_small": self.zero_is_small, "protection": self.count_below}


def mark_withheld(figure):
    """Mark a figure every number of which disclosure control hides: a report shows a sentence instead."""
    figure.evalkit_withheld = True
    return figure


def is_withheld(figure) -> bool:
    """Whether :func:`mark_withheld` marked ``figure``."""
    return bool(getattr(figure, "evalkit_withheld", False))


@dataclass(frozen=True)
class Suppression:
    """A table ready for display, and which cells were hidden and why.

    Attributes
    ----------
    display : pandas.DataFrame
        The table with every hidden cell replaced by ``".."`` (hidden columns
        become dtype object; other cells keep their values).
    mask : pandas.DataFrame
        Boolean, same shape: True where a cell is hidden.
    primary : pandas.DataFrame
        Boolean: True where a cell is hidden because it is below the threshold
        itself; ``mask & ~primary`` are the secondary (complementary) cells.
    threshold : float
        The threshold used (reported in the report's appendix).
    """

    display: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    threshold: float

    @property
    def secondary(self) -> pd.DataFrame:
        """True where a cell is hidden only to protect another one."""
        return self.mask & ~self.primary

    @property
    def n_hidden(self) -> int:
        return int(self.mask.to_numpy().sum())


def _as_list(columns: Hashable | Iterable[Hashable]) -> list[Hashable]:
    if isinstance(columns, (str, int)) or not isinstance(columns, Iterable):
        return [columns]
    return list(columns)


def _require_columns(table: pd.DataFrame, columns: list[Hashable], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ConfigError(f"{what}: no column(s) {missing} in the table; it has {list(table.columns)}.")


def _require_threshold(threshold: float, what: str) -> None:
    if isinstance(threshold, bool) or not np.isfinite(threshold) or threshold <= 0:
        raise ConfigError(f"{what}: threshold must be a positive number, not {threshold!r}.")


def _display(table: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    shown = table.copy()
    for column in mask.columns[mask.any(axis=0).to_numpy()]:
        values = shown[column].to_numpy(dtype=object)
        shown[column] = np.where(mask[column].to_numpy(), SUPPRESSED, values)
    return shown


def _numbers(table: pd.DataFrame, columns: list[Hashable]) -> np.ndarray:
    """The columns as a float matrix (non-numbers become NaN)."""
    return np.column_stack(
        [pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    )


def suppress_percentages(
    table: pd.DataFrame,
    pct_col: Hashable | Iterable[Hashable],
    denominator_col: Hashable,
    threshold: float = 30,
) -> Suppression:
    """Hide percentages whose denominator is below ``threshold``.

    Parameters
    ----------
    table : pandas.DataFrame
    pct_col : column label or list of labels
        The percentage (or share) columns.
    denominator_col : column label
        The number each percentage is computed on (e.g. respondents).
    threshold : float, default 30
        Kolada's limit for survey results (domain.md §2.4).

    Returns
    -------
    Suppression
        A missing denominator hides the percentage too.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["Norr", "Söder"], "n": [25, 120], "pct": [80.0, 64.2]})
    >>> suppress_percentages(t, "pct", "n").display["pct"].tolist()
    ['..', 64.2]
    """
    what = "suppress_percentages"
    pct_cols = _as_list(pct_col)
    _require_columns(table, pct_cols + [denominator_col], what)
    _require_threshold(threshold, what)
    base = pd.to_numeric(table[denominator_col], errors="coerce")
    small = ~(base >= threshold).to_numpy()
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for column in pct_cols:
        mask[column] = small
    return Suppression(_display(table, mask), mask, mask.copy(), threshold)


# ----------------------------------------------------------------------------- tables
def suppress_counts(
    table: pd.DataFrame,
    count_cols: Hashable | Iterable[Hashable],
    threshold: float = 5,
    *,
    total_col: Hashable | None = None,
    total_row: Hashable | None = None,
    summed: Iterable[Hashable] | None = None,
    zero_is_small: bool = False,
    parts: Iterable[tuple[Hashable, Hashable]] = (),
    totals_by: dict | None = None,
) -> Suppression:
    """Hide small counts, and the fewest other cells that stop them being recovered.

    Parameters
    ----------
    table : pandas.DataFrame
        Counts; may hold label columns too (they are left alone).
    count_cols : column label or list of labels
        The count columns (the inner cells of a cross-table, and any other counts).
    threshold : float, default 5
        Counts ``0 < n < threshold`` are hidden (primary cells).
    total_col : column label, optional
        A column of row totals: the row sums of ``summed``.
    total_row : index label, optional
        A row of column totals (column sums of the other rows).
    summed : column labels, optional
        The count columns that ``total_col`` adds up (default: every other count
        column). A count column outside it (e.g. "not applicable" beside
        "applicable = yes + partly + no") is protected on its own.
    zero_is_small : bool, default False
        Hide zero counts too.
    parts : (part column, whole column) pairs
        Counts shown beside their base (those with a trait and the group), so
        that ``whole − part`` (those without it) can be worked out: that
        unpublished count is protected like a cell when it is small.
    totals_by : mapping of count column to key column, optional
        The count column's cells add up, over the rows that share the key
        column's value, to a total published elsewhere (a long table of theme ×
        group whose theme totals the text prints): each such sum is a line with
        a published total (primary when small, like any count).

    Returns
    -------
    Suppression

    Notes
    -----
    Secondary cells are chosen by :func:`protect`: the pattern with the fewest
    hidden cells (totals cost twice an inner cell) under which every primary
    cell's feasible interval — what an attacker can learn by linear programming
    from every published cell and margin and non-negativity — is at least
    ``threshold`` wide.

    Examples
    --------
    >>> t = pd.DataFrame({"ja": [10, 3], "nej": [8, 12], "summa": [18, 15]}, index=["Norr", "Söder"])
    >>> s = suppress_counts(t, ["ja", "nej"], total_col="summa")
    >>> s.display.loc["Söder", ["ja", "nej"]].tolist(), int(s.display.at["Söder", "summa"])
    (['..', '..'], 15)
    >>> bool(s.secondary.at["Söder", "nej"])   # 12 is hidden only because 15 - 12 = 3
    True
    """
    what = "suppress_counts"
    count_list = [c for c in _as_list(count_cols) if c != total_col]
    counted = count_list + ([total_col] if total_col is not None else [])
    _require_columns(table, counted, what)
    _require_threshold(threshold, what)
    summed_list = count_list if summed is None else [c for c in _as_list(summed) if c != total_col]
    _require_columns(table, summed_list, what)
    extra = [c for c in summed_list if c not in count_list]
    if extra:
        raise ConfigError(f"{what}: summed column(s) {extra} are not among the count columns {count_list}.")
    if total_row is not None and total_row not in table.index:
        raise ConfigError(f"{what}: no row {total_row!r} in the table's index.")
    if not table.index.is_unique:
        raise ConfigError(f"{what}: the table's index has repeated labels; give every row its own label.")
    parts = [(a, b) for a, b in parts]
    totals_by = dict(totals_by or {})
    _require_columns(table, list(totals_by.values()), what)
    strangers = [c for pair in parts for c in pair if c not in counted] + [c for c in totals_by if c not in counted]
    if strangers:
        raise ConfigError(f"{what}: part/whole column(s) {strangers} are not among the count columns {counted}.")
    values = _numbers(table, counted)
    n_real = values.shape[1]
    if parts:  # the unpublished "whole − part" columns, after the real ones
        rest = np.column_stack([values[:, counted.index(w)] - values[:, counted.index(a)] for a, w in parts])
        values = np.column_stack([values, rest])
    small = _small_at(values, threshold, zero_is_small)
    total_i = None if total_row is None else list(table.index).index(total_row)
    total_j = None if total_col is None else len(count_list)
    summed_j = [count_list.index(c) for c in summed_list]
    lines = table_lines(values.shape, total_i, total_j, summed_j)
    for k, (a, w) in enumerate(parts):
        v = n_real + k
        lines += [([(i, counted.index(a)), (i, v)], (i, counted.index(w))) for i in range(values.shape[0])]
    unpublished = np.zeros(values.shape, dtype=bool)
    unpublished[:, n_real:] = True
    for column, key in totals_by.items():  # one published-elsewhere total per key, kept in an extra column
        j = counted.index(column)
        keys = table[key].to_numpy(dtype=object)
        extra = np.full((values.shape[0], 1), np.nan)
        v = values.shape[1]
        for k in dict.fromkeys(keys):
            rows = [i for i in range(len(keys)) if keys[i] == k]
            extra[rows[0], 0] = np.nansum(values[rows, j])
            lines.append(([(i, j) for i in rows], (rows[0], v)))
        values = np.column_stack([values, extra])
        small = np.column_stack([small, _small_at(extra, threshold, zero_is_small)])
        unpublished = np.column_stack([unpublished, small[:, -1:]])  # a small total is hidden where it is printed
    margins = (total_i, total_j) if not (parts or totals_by) else None
    hidden = (protect(values, small, lines, protection=threshold, margins=margins, unpublished=unpublished)
              if lines else small.copy())
    primary = pd.DataFrame(False, index=table.index, columns=table.columns)
    primary[counted] = small[:, :n_real]
    mask = primary.copy()
    mask[counted] = hidden[:, :n_real]
    return Suppression(_display(table, mask), mask, primary, threshold)


def _small_at(values: np.ndarray, threshold: float, zero_is_small: bool) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ((values >= 0) if zero_is_small else (values > 0)) & (values < threshold)


def table_lines(shape: tuple[int, int], total_i: int | None, total_j: int | None,
                summed_j: Sequence[int] | None = None) -> list[tuple[list, tuple]]:
    """(inner cells, total cell) of every row and column whose cells add up.

    Cells are (row, column) positions in the counted block, whose column
    ``total_j`` (if any) holds row totals of the columns ``summed_j`` and whose
    row ``total_i`` (if any) holds column totals of the other rows.
    """
    n_rows, n_cols = shape
    inner_rows = [i for i in range(n_rows) if i != total_i]
    all_cols = [j for j in range(n_cols) if j != total_j]
    summed = all_cols if summed_j is None else [j for j in summed_j if j != total_j]
    lines = []
    if total_j is not None:
        rows = inner_rows + ([total_i] if total_i is not None else [])
        lines += [([(i, j) for j in summed], (i, total_j)) for i in rows]
    if total_i is not None:
        cols = all_cols + ([total_j] if total_j is not None else [])
        lines += [([(i, j) for i in inner_rows], (total_i, j)) for j in cols]
    return [line for line in lines if line[0]]


# ----------------------------------------------------------------------------- the optimisation
def _components(cells: list, lines: list) -> list[set]:
    """Groups of cells linked through lines (each is protected independently)."""
    parent = {c: c for c in cells}

    def find(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for inner, total in lines:
        for c in inner:
            parent[find(c)] = find(total)
    groups: dict = {}
    for c in cells:
        groups.setdefault(find(c), set()).add(c)
    return list(groups.values())


def protect(values: np.ndarray, primary: np.ndarray, lines: list, protection: float = 5,
            total_weight: float = 2.0, margins: tuple[int, int] | None = None,
            unpublished: np.ndarray | None = None) -> np.ndarray:
    """The secondary suppression pattern, by mixed-integer linear programming.

    Parameters
    ----------
    values : (r, c) array
        The counts; NaN cells are unknown to everybody (their lines are not used).
    primary : (r, c) bool array
        The cells that must be hidden.
    lines : list of (inner cells, total cell)
        Every published additive relation: ``x[total] = sum(x[inner])``.
    protection : float
        The protection interval: for every primary cell the attacker's feasible
        interval must be at least this wide (default the count threshold, so an
        attacker cannot tell "0" from "at the threshold").
    total_weight : float
        Cost of hiding a total relative to an inner cell.
    margins : (total row, total column), optional
        Positions of the total row and column when ``lines`` are those of a
        two-way table with both margins (:func:`table_lines`); large such
        tables are then protected by the hypercube method.
    unpublished : (r, c) bool array, optional
        Cells that are never shown (e.g. the implicit "not" count beside a
        count and its base): unknown to the attacker unless the lines give
        them away, protected when they are primary, never shown again.

    Returns
    -------
    (r, c) bool array
        Hidden cells: the primary ones and the secondary ones.

    Notes
    -----
    This is the cell-suppression model of Fischetti and Salazar-González
    (1999, 2000; "Models and algorithms for optimizing cell suppression in
    tabular data with linear constraints", JASA 95, 916–928), the model behind
    τ-ARGUS's "optimal" method and R ``sdcTable::protectTable(method =
    "OPT")``, written compactly because report tables are small: binary
    ``y_c`` (cell hidden) and, for every primary cell ``p``, two attacker
    tables as deviations ``Δ⁺``, ``Δ⁻`` from the true one with

        A Δ = 0,   −x_c·y_c ≤ Δ_c ≤ M·y_c,   Δ⁺_p − Δ⁻_p ≥ protection,

    (a published cell cannot move; a hidden one stays non-negative), minimising
    ``Σ w_c y_c`` with ``w = 1`` for an inner cell and ``total_weight`` for a
    total, plus a small tie-break by the value hidden. If two feasible tables
    differ by the protection in cell ``p``, the attacker's LP interval of ``p``
    is at least that wide, so the pattern passes :func:`audit_intervals`. A
    primary cell that cannot reach the full interval even with its whole table
    hidden gets the widest one possible. Solved with HiGHS
    (:func:`scipy.optimize.milp`) per group of linked cells; a secondary cell
    the attacker can still compute exactly protects nothing and is shown again.
    """
    primary = np.asarray(primary, dtype=bool)
    fixed = primary if unpublished is None else primary | np.asarray(unpublished, dtype=bool)
    hidden = fixed.copy()
    values = np.asarray(values, dtype=float)
    usable = [line for line in lines if not any(np.isnan(values[c]) for c in [*line[0], line[1]])]
    if not usable or not primary.any():
        return hidden
    cells = sorted({c for inner, total in usable for c in [*inner, total]})
    totals = {total for _, total in usable}
    for group in _components(cells, usable):
        prim = [c for c in group if primary[c]]
        if not prim:
            continue
        members = sorted(group)
        group_lines = [line for line in usable if line[1] in group]
        if len(prim) * len(members) <= _JOINT_LIMIT:
            chosen = _solve(members, group_lines, values, set(prim), hidden, totals, float(protection),
                            total_weight)
        elif margins is not None and margins[0] is not None and margins[1] is not None:
            chosen = _hypercubes(members, group_lines, values, prim, hidden, margins, float(protection),
                                 total_weight)
        else:
            chosen = _solve_one_by_one(members, group_lines, values, prim, hidden, totals, float(protection),
                                       total_weight)
        for c in chosen:
            hidden[c] = True
    _show_needless(hidden, fixed, values, usable)
    return hidden


#: Above this many (primary cells × cells) a group is protected one primary cell at a time.
_JOINT_LIMIT = 600


def _solve_one_by_one(cells: list, lines: list, values: np.ndarray, prim: list, hidden: np.ndarray, totals: set,
                      protection: float, total_weight: float) -> list:
    """Protect the primary cells in turn (largest first), each at the least extra cost given those hidden so far.

    The "modular" strategy of τ-ARGUS applied to one table: each step is the
    joint model with one primary cell, where already hidden cells cost nothing.
    The result protects every primary cell but may hide a few more cells than
    the joint optimum.
    """
    now = hidden.copy()
    for p in sorted(prim, key=lambda c: -values[c]):
        if _wide_enough(p, cells, lines, values, now, protection):
            continue
        for c in _solve(cells, lines, values, {p}, now, totals, protection, total_weight):
            now[c] = True
    return [c for c in cells if now[c]]


def _hypercubes(cells: list, lines: list, values: np.ndarray, prim: list, hidden: np.ndarray,
                margins: tuple[int, int], protection: float, total_weight: float) -> list:
    """Protect each primary cell by the cheapest sufficient 2×2 rectangle (Repsilber's hypercube, 2-D)."""
    ti, tj = margins
    rows = sorted({c[0] for c in cells})
    cols = sorted({c[1] for c in cells})
    members = set(cells)
    now = hidden.copy()

    def cost(c):
        return 0.0 if now[c] else (total_weight if (c[0] == ti or c[1] == tj) else 1.0) + 1e-3 * values[c]

    for p in sorted(prim, key=lambda c: values[c]):
        need = protection
        i, j = p
        best = None
        for i2 in rows:
            for j2 in cols:
                if i2 == i or j2 == j:
                    continue
                a, b, d = (i, j2), (i2, j), (i2, j2)
                if not {a, b, d} <= members:
                    continue
                # the sign of each corner's move when p moves up: cells of one line move oppositely,
                # unless one of them is the line's total (then they move together)
                sa = 1 if tj in (j, j2) else -1
                sb = 1 if ti in (i, i2) else -1
                moves = {p: 1, a: sa, b: sb, d: sa * sb}
                up = min([values[c] for c, m in moves.items() if m < 0], default=np.inf)
                down = min(values[c] for c, m in moves.items() if m > 0)
                width = up + down
                key = (width < need - 1e-9, sum(cost(c) for c in (a, b, d)), -width)
                if best is None or key < best[0]:
                    best = (key, (a, b, d))
        if best is not None:
            for c in best[1]:
                now[c] = True
            if not best[0][0]:
                continue  # the rectangle itself is the proof: two tables differing by ≥ protection in p
        if not _wide_enough(p, cells, lines, values, now, protection):
            for c in _solve(cells, lines, values, {p}, now, {c for c in cells if c[0] == ti or c[1] == tj},
                            protection, total_weight):
                now[c] = True
    return [c for c in cells if now[c]]


def _wide_enough(p, cells, lines, values, hidden, protection) -> bool:
    low, high = _interval(p, cells, lines, values, hidden)
    return high - low >= _reachable(p, cells, lines, values, protection) - 1e-9


def _solve(cells: list, lines: list, values: np.ndarray, prim: set, hidden: np.ndarray, totals: set,
           protection: float, total_weight: float) -> list:
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    n = len(cells)
    pos = {c: k for k, c in enumerate(cells)}
    x = np.array([max(values[c], 0.0) for c in cells])
    big = float(x.max()) + protection  # no cell of a table with a published total exceeds the largest cell
    prim_list = sorted(prim)
    need = [_reachable(p, cells, lines, values, protection) for p in prim_list]
    n_copies = 2 * len(prim_list)
    rows, cols, vals, lows, highs = [], [], [], [], []

    def add_row(entries, low, high):
        r = len(lows)
        for col, val in entries:
            rows.append(r), cols.append(col), vals.append(val)
        lows.append(low), highs.append(high)

    for k in range(n_copies):
        off = n + k * n
        for inner, total in lines:  # the attacker's table adds up: A Δ = 0
            add_row([(off + pos[total], 1.0)] + [(off + pos[c], -1.0) for c in inner], 0.0, 0.0)
        for c in range(n):  # a published cell cannot move; a hidden one stays non-negative
            add_row([(off + c, 1.0), (c, -big)], -np.inf, 0.0)
            add_row([(off + c, 1.0), (c, x[c])], 0.0, np.inf)
    for t, p in enumerate(prim_list):  # Δ⁺_p − Δ⁻_p ≥ the protection interval
        add_row([(n + 2 * t * n + pos[p], 1.0), (n + (2 * t + 1) * n + pos[p], -1.0)], need[t], np.inf)
    n_var = n + n_copies * n
    matrix = csr_matrix((vals, (rows, cols)), shape=(len(lows), n_var))
    weights = np.array([(total_weight if c in totals else 1.0) for c in cells]) + 1e-3 * x / (x.sum() + 1.0)
    weights[[pos[c] for c in cells if hidden[c]]] = 0.0  # hidden already: free to use
    cost = np.concatenate([weights, np.zeros(n_copies * n)])
    lb = np.concatenate([np.zeros(n), np.full(n_copies * n, -np.inf)])
    ub = np.concatenate([np.ones(n), np.full(n_copies * n, np.inf)])
    for c in cells:
        if hidden[c]:
            lb[pos[c]] = 1.0
    integrality = np.concatenate([np.ones(n), np.zeros(n_copies * n)])
    with _quiet_stdout():
        result = milp(cost, constraints=LinearConstraint(matrix, lows, highs), integrality=integrality,
                      bounds=Bounds(lb, ub),
                      options={"node_limit": 20000, "time_limit": 300.0, "mip_rel_gap": 1e-6})
    # the node limit (not a time limit) keeps the pattern the same on every machine; the time limit is a guard
    if result.x is None:  # no pattern found in time: hiding the whole group always protects
        return list(cells)
    return [c for c in cells if result.x[pos[c]] > 0.5]


@contextlib.contextmanager
def _quiet_stdout():
    """Silence the solver's own C-level prints (HiGHS writes debug lines to file descriptor 1)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _reachable(p, cells: list, lines: list, values: np.ndarray, protection: float) -> float:
    """The protection asked of ``p``: the full interval, or the widest its table allows when all is hidden.

    With the whole table hidden the attacker knows only the lines and ``x ≥ 0``: the feasible tables form a
    cone through the all-zero table, so ``p``'s interval is ``[0, 0]`` (the lines force it to zero) or
    ``[0, ∞)``, whatever the values. Which cells can grow is one LP per group of linked cells (see
    :func:`_free_cells`), remembered: the same question came up for every primary cell in every solve
    (two LPs each, ≈ 0.3 s of a report's tables).
    """
    key = (tuple(cells), tuple((tuple(inner), total) for inner, total in lines))
    free = _FREE.get(key)
    if free is None:
        free = _FREE[key] = _free_cells(cells, lines)
        if len(_FREE) > 1024:  # bounded: one report has a few dozen groups
            _FREE.pop(next(iter(_FREE)))
    return protection if p in free else 0.0


#: (cells, lines) -> the cells that can be positive in a non-negative table satisfying the lines
_FREE: dict = {}


def _free_cells(cells: list, lines: list) -> frozenset:
    """The cells that are positive in some ``x ≥ 0`` with every line adding up (then unbounded: a cone).

    Solutions add up, so one solution is positive on all such cells at once; scaled, it has ``x ≥ 1``
    there. Hence ``max Σ y`` subject to ``A x = 0``, ``0 ≤ y ≤ min(x, 1)`` puts ``y = 1`` on exactly those
    cells and ``y = 0`` elsewhere: one LP for the group instead of one per cell.
    """
    from scipy.optimize import linprog
    from scipy.sparse import bmat, csr_matrix, identity

    a, pos = _equations(cells, lines)
    n = len(cells)
    eye = identity(n, format="csr")
    a_eq = bmat([[a, csr_matrix((a.shape[0], n))]], format="csr")
    a_ub = bmat([[-eye, eye]], format="csr")  # y − x ≤ 0
    bounds = [(0.0, None)] * n + [(0.0, 1.0)] * n
    result = linprog(np.concatenate([np.zeros(n), -np.ones(n)]), A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq,
                     b_eq=np.zeros(a.shape[0]), bounds=bounds, method="highs")
    if result.status != 0:  # x = 0 is always feasible; should the solver fail, every cell may grow (cautious)
        return frozenset(cells)
    y = result.x[n:]
    return frozenset(c for c in cells if y[pos[c]] > 0.5)


def _equations(cells: list, lines: list):
    """The lines as a sparse matrix over ``cells`` (one row per line: total − Σ inner = 0)."""
    from scipy.sparse import csr_matrix

    pos = {c: k for k, c in enumerate(cells)}
    rows, cols, vals = [], [], []
    for r, (inner, total) in enumerate(lines):
        rows.append(r), cols.append(pos[total]), vals.append(1.0)
        for c in inner:
            rows.append(r), cols.append(pos[c]), vals.append(-1.0)
    return csr_matrix((vals, (rows, cols)), shape=(len(lines), len(cells))), pos


def _interval(p, cells: list, lines: list, values: np.ndarray, hidden, equations=None) -> tuple[float, float]:
    from scipy.optimize import linprog

    a, pos = equations if equations is not None else _equations(cells, lines)
    bounds = [(0.0, None) if hidden[c] else (values[c], values[c]) for c in cells]
    objective = np.zeros(len(cells))
    objective[pos[p]] = 1.0
    b = np.zeros(a.shape[0])
    lo = linprog(objective, A_eq=a, b_eq=b, bounds=bounds, method="highs")
    hi = linprog(-objective, A_eq=a, b_eq=b, bounds=bounds, method="highs")
    low = lo.fun if lo.status == 0 else values[p]
    high = -hi.fun if hi.status == 0 else (np.inf if hi.status == 3 else values[p])
    return float(low), float(high)


def _show_needless(hidden: np.ndarray, primary: np.ndarray, values: np.ndarray, lines: list) -> None:
    """Show again every secondary cell that an attacker can compute exactly (it protects nothing)."""
    # only the secondary cells' intervals matter here (two LPs a cell; most hidden cells are primary)
    low, high = audit_intervals(values, hidden, lines, only=hidden & ~primary)
    exact = hidden & ~primary & np.isfinite(high) & (high - low < 1e-7)
    hidden[exact] = False


def audit_intervals(values: np.ndarray, hidden: np.ndarray, lines: list, only: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """What an attacker learns: for every hidden cell the min and max consistent with the published table.

    The attacker knows every published cell and every line (``x[total] =
    sum(x[inner])``) and that counts are non-negative; each bound is one
    linear programme (:func:`scipy.optimize.linprog`, HiGHS). Integrality is
    not used, which is the standard (conservative in practice) attacker model
    of τ-ARGUS and sdcTable's audit.

    ``only`` (a bool array of the table's shape) limits the work to those hidden cells; the others are
    left NaN.

    Returns
    -------
    (low, high) : arrays of the table's shape
        NaN for published cells; ``high`` is ``inf`` when nothing bounds a cell.
    """
    values = np.asarray(values, dtype=float)
    hidden = np.asarray(hidden, dtype=bool)
    low = np.full(values.shape, np.nan)
    high = np.full(values.shape, np.nan)
    usable = [line for line in lines if not any(np.isnan(values[c]) for c in [*line[0], line[1]])]
    in_lines = {c for inner, total in usable for c in [*inner, total]}
    for c in zip(*np.nonzero(hidden)):
        c = tuple(int(v) for v in c)
        if c not in in_lines:
            low[c], high[c] = 0.0, np.inf
    if not usable:
        return low, high
    cells = sorted(in_lines)
    for group in _components(cells, usable):
        members = sorted(group)
        group_lines = [line for line in usable if line[1] in group]
        equations = _equations(members, group_lines)
        for c in members:
            if hidden[c] and (only is None or only[c]):
                low[c], high[c] = _interval(c, members, group_lines, values, hidden, equations)
    return low, high
