"""Disclosure control for published tables: small counts and percentages on small bases.

Defaults follow DESIGN.md ("Disclosure control") and domain.md §2.4: a count
below 5 and a percentage whose denominator is below 30 are shown as "..", the
symbol Swedish official statistics use for suppressed cells; where a table shows
totals, further cells are hidden so that no hidden cell can be recovered by
subtraction from its row or column total.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError

__all__ = ["Suppression", "suppress_counts", "suppress_percentages", "SUPPRESSED"]

#: What a suppressed cell shows.
SUPPRESSED = ".."


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
    if not np.isfinite(threshold) or threshold <= 0:
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


def suppress_counts(
    table: pd.DataFrame,
    count_cols: Hashable | Iterable[Hashable],
    threshold: float = 5,
    *,
    total_col: Hashable | None = None,
    total_row: Hashable | None = None,
) -> Suppression:
    """Hide counts below ``threshold``, and enough other cells to protect them.

    Parameters
    ----------
    table : pandas.DataFrame
        Counts; may hold label columns too (they are left alone).
    count_cols : column label or list of labels
        The count columns (the inner cells of a cross-table).
    threshold : float, default 5
        Counts ``< threshold`` are hidden (0 included: "nobody in the unit"
        discloses as much as "one person").
    total_col : column label, optional
        A column of row totals (row sums of ``count_cols``).
    total_row : index label, optional
        A row of column totals (column sums of the other rows).

    Returns
    -------
    Suppression

    Notes
    -----
    Secondary suppression, when totals are shown: every row (inner cells and
    its total) and every column (inner cells and its total) is a line whose
    cells add up. A line with exactly one hidden cell gives that cell away by
    subtraction, so the smallest visible inner cell of that line (the smallest
    positive one if there is one; the total only if no inner cell is left) is
    hidden too, and the check is repeated until every line has none or at
    least two hidden cells. This is the "next-smallest cell" rule of
    domain.md §2.4. It stops recovery by one subtraction; it is not an optimal
    pattern and does not audit every combination of lines the way τ-ARGUS or
    R's sdcTable do (use those for tables published as official statistics).

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
    inner_cols = [c for c in _as_list(count_cols) if c != total_col]
    counted = inner_cols + ([total_col] if total_col is not None else [])
    _require_columns(table, counted, what)
    _require_threshold(threshold, what)
    if total_row is not None and total_row not in table.index:
        raise ConfigError(f"{what}: no row {total_row!r} in the table's index.")
    if not table.index.is_unique:
        raise ConfigError(f"{what}: the table's index has repeated labels; give every row its own label.")
    values = _numbers(table, counted)
    small = values < threshold
    hidden = small.copy()
    if total_col is not None or total_row is not None:
        row_of = {label: i for i, label in enumerate(table.index)}
        total_i = None if total_row is None else row_of[total_row]
        total_j = None if total_col is None else len(inner_cols)
        _complementary(hidden, values, total_i, total_j)
    primary = pd.DataFrame(False, index=table.index, columns=table.columns)
    primary[counted] = small
    mask = primary.copy()
    mask[counted] = hidden
    return Suppression(_display(table, mask), mask, primary, threshold)


def _lines(n_rows: int, n_cols: int, total_i: int | None, total_j: int | None) -> list[tuple[list, tuple]]:
    """(inner cells, total cell) of every row and column whose cells add up.

    Cells are (row, column) positions in the counted block, whose last column
    is the total column when there is one.
    """
    inner_rows = [i for i in range(n_rows) if i != total_i]
    inner_cols = [j for j in range(n_cols) if j != total_j]
    lines = []
    if total_j is not None:
        rows = inner_rows + ([total_i] if total_i is not None else [])
        lines += [([(i, j) for j in inner_cols], (i, total_j)) for i in rows]
    if total_i is not None:
        cols = inner_cols + ([total_j] if total_j is not None else [])
        lines += [([(i, j) for i in inner_rows], (total_i, j)) for j in cols]
    return lines


def _complementary(hidden: np.ndarray, values: np.ndarray, total_i: int | None, total_j: int | None) -> None:
    lines = _lines(*hidden.shape, total_i, total_j)
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            if sum(hidden[cell] for cell in cells) + hidden[total] != 1:
                continue
            hidden[_next_to_hide(cells, total, hidden, values)] = True
            changed = True


def _next_to_hide(cells: list, total: tuple, hidden: np.ndarray, values: np.ndarray) -> tuple:
    visible = [(values[cell], cell) for cell in cells if not hidden[cell] and not np.isnan(values[cell])]
    positive = [item for item in visible if item[0] > 0]
    pool = positive or visible
    if not pool:
        return total
    return min(pool, key=lambda item: item[0])[1]
