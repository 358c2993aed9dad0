"""Disclosure control: which cells of a table a reader must not see.

Applied by the renderers, once, to every table and figure of every output, so
no section can forget it. The functions return boolean masks (True = hide);
formatting turns a hidden cell into ``..``.

Rules (DESIGN.md "Disclosure control"; domain brief §2.4; defaults 5 and 30,
configurable):

1. Primary, counts: a count below ``k`` is hidden (zero included: "0 of 3" can
   reveal as much as "3 of 3").
2. Primary, percentages: a percentage whose denominator is below ``m`` is
   hidden; so is a percentage whose numerator count is hidden.
3. Guards: any other statistic of a group (mean, median) is hidden when the
   group's count is below ``k``.
4. Secondary: in a row (or column) that has a visible total and exactly one
   hidden cell, the smallest visible cell is hidden too, because the hidden
   value would otherwise follow by subtraction; repeated until nothing changes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import ReportError
from evalkit.report._blocks import TableSpec

__all__ = ["suppress_counts", "suppress_percentages", "disclosure_mask", "DEFAULT_THRESHOLDS"]

#: (smallest count shown, smallest denominator of a percentage shown).
DEFAULT_THRESHOLDS = (5, 30)


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def suppress_counts(frame: pd.DataFrame, counts, k: int = 5, *, total_row: bool = False,
                    total_column: str | None = None) -> pd.DataFrame:
    """Mask of count cells to hide: primary (count < k) and secondary suppression.

    Parameters
    ----------
    frame : DataFrame
    counts : sequence of str
        The count columns (the total column among them, if any).
    k : int
        Smallest count shown.
    total_row : bool
        The last row is the column total.
    total_column : str, optional
        The column that is the row total of the other count columns.

    Returns
    -------
    DataFrame of bool, same index and columns as ``frame`` (False outside ``counts``).

    Examples
    --------
    >>> t = pd.DataFrame({"a": [3, 10, 13], "b": [20, 25, 45], "total": [23, 35, 58]})
    >>> m = suppress_counts(t, ["a", "b", "total"], 5, total_row=True, total_column="total")
    >>> m.to_numpy().astype(int).tolist()   # 3 hidden; 10 next-smallest in its column; 20 in its row …
    [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    """
    counts = list(counts)
    _require_columns(frame, counts)
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if not counts:
        return mask
    values = np.column_stack([_numeric(frame, c) for c in counts])
    hidden = values < k
    col_of = {c: i for i, c in enumerate(counts)}
    tcol = col_of.get(total_column) if total_column else None
    if total_column and tcol is None:
        raise ReportError(f"total_column {total_column!r} must be one of the count columns {counts}")
    changed = True
    while changed:
        changed = False
        if tcol is not None:
            parts = [i for i in range(len(counts)) if i != tcol]
            for r in range(values.shape[0]):
                changed |= _protect(values, hidden, [(r, c) for c in parts], (r, tcol))
        if total_row and values.shape[0] > 1:
            last = values.shape[0] - 1
            for c in range(len(counts)):
                changed |= _protect(values, hidden, [(r, c) for r in range(last)], (last, c))
    for i, c in enumerate(counts):
        mask[c] = hidden[:, i]
    return mask


def _protect(values: np.ndarray, hidden: np.ndarray, cells: list[tuple[int, int]],
             total: tuple[int, int]) -> bool:
    """Hide the smallest visible cell of a line whose total is visible and exactly one cell is hidden."""
    if hidden[total] or np.isnan(values[total]):
        return False
    n_hidden = sum(bool(hidden[cell]) for cell in cells)
    if n_hidden != 1:
        return False
    visible = [cell for cell in cells if not hidden[cell] and not np.isnan(values[cell])]
    if not visible:
        # the only other "cell" is the total itself: hiding it is the only protection left
        hidden[total] = True
        return True
    smallest = min(visible, key=lambda cell: (values[cell], cell))
    hidden[smallest] = True
    return True


def suppress_percentages(frame: pd.DataFrame, percents, m: int = 30) -> pd.DataFrame:
    """Mask of percentage cells whose denominator is below ``m``.

    ``percents`` maps a percentage column to its denominator: a column name or a fixed number.

    >>> t = pd.DataFrame({"n": [12, 40], "share": [0.5, 0.8]})
    >>> suppress_percentages(t, {"share": "n"}, 30)["share"].tolist()
    [True, False]
    """
    _require_columns(frame, list(percents))
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column, denominator in percents.items():
        if isinstance(denominator, str):
            _require_columns(frame, [denominator])
            den = _numeric(frame, denominator)
        else:
            den = np.full(len(frame), float(denominator))
        mask[column] = np.nan_to_num(den, nan=0.0) < m
    return mask


def disclosure_mask(frame: pd.DataFrame, spec: TableSpec, thresholds=DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Every cell of ``frame`` to hide under ``spec`` and ``thresholds = (k, m)``.

    Combines :func:`suppress_counts` (with secondary suppression),
    :func:`suppress_percentages`, numerators and guards (see the module notes).
    """
    k, m = _check_thresholds(thresholds)
    _require_columns(frame, sorted(spec.columns_named()))
    counts = list(spec.counts)
    if spec.total_column and spec.total_column not in counts:
        counts.append(spec.total_column)
    mask = suppress_counts(frame, counts, k, total_row=spec.total_row, total_column=spec.total_column)
    mask |= suppress_percentages(frame, spec.percents, m)
    for column, numerator in spec.numerators.items():
        mask[column] |= mask[numerator]
    for column, n_column in spec.guards.items():
        mask[column] |= np.nan_to_num(_numeric(frame, n_column), nan=0.0) < k
    return mask


def _check_thresholds(thresholds) -> tuple[int, int]:
    try:
        k, m = (int(t) for t in thresholds)
    except (TypeError, ValueError):
        raise ReportError(f"thresholds must be two whole numbers (count, denominator), got {thresholds!r}") from None
    if k < 1 or m < 1:
        raise ReportError(f"thresholds must be at least 1, got {thresholds!r}: disclosure control cannot be "
                          "switched off in a report")
    return k, m


def _require_columns(frame: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"table spec names column(s) {missing} that the table does not have; "
                          f"its columns are {list(map(str, frame.columns))}")
