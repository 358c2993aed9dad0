"""Disclosure control of report tables: a :class:`TableSpec` applied through :mod:`evalkit.privacy`.

Applied by the renderers, once, to every table and figure of every output, so
no section can forget it. The rules themselves live in
:func:`evalkit.privacy.suppress_counts` and
:func:`evalkit.privacy.suppress_percentages` (DESIGN.md "Disclosure control";
domain brief §2.4; defaults 5 and 30, configurable); this module maps a
table's spec onto them and adds what a report table needs besides:

1. Counts below ``k`` are hidden, with secondary suppression against a total
   column and/or a total (last) row.
2. A percentage whose denominator (a column, or a fixed number) is below ``m``
   is hidden; so is a percentage whose numerator count is hidden, because
   share × denominator would give the count back.
3. Guards: any other statistic of a group (mean, median) is hidden when the
   group's count is below ``k``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import ReportError
from evalkit.privacy import suppress_counts, suppress_percentages
from evalkit.report._blocks import TableSpec

__all__ = ["disclosure_mask", "DEFAULT_THRESHOLDS"]

#: (smallest count shown, smallest denominator of a percentage shown).
DEFAULT_THRESHOLDS = (5, 30)


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def disclosure_mask(frame: pd.DataFrame, spec: TableSpec, thresholds=DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Every cell of ``frame`` to hide under ``spec`` and ``thresholds = (k, m)``.

    Returns a boolean DataFrame with the frame's index and columns (True = show "..").

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["A", "B", "Alla"], "n": [12, 2, 14], "share": [0.5, 0.5, 0.5]})
    >>> spec = TableSpec(counts=("n",), total_row=True, percents={"share": "n"})
    >>> disclosure_mask(t, spec, (5, 30)).astype(int).to_numpy().tolist()
    [[0, 1, 1], [0, 1, 1], [0, 0, 1]]
    """
    k, m = _check_thresholds(thresholds)
    _require_columns(frame, sorted(spec.columns_named(), key=str))
    # positions, not labels: a report table's index may repeat or be anything
    table = frame.reset_index(drop=True)
    counts = list(spec.counts)
    if spec.total_column and spec.total_column not in counts:
        counts.append(spec.total_column)
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    if counts:
        total_row = table.index[-1] if spec.total_row and len(table) > 1 else None
        mask |= suppress_counts(table, counts, k, total_col=spec.total_column, total_row=total_row).mask
    for column, denominator in spec.percents.items():
        if isinstance(denominator, str):
            mask |= suppress_percentages(table, [column], denominator, m).mask
        else:
            mask[column] |= float(denominator) < m
    for column, numerator in spec.numerators.items():
        mask[column] |= mask[numerator]
    for column, n_column in spec.guards.items():
        mask[column] |= np.nan_to_num(_numeric(table, n_column), nan=0.0) < k
    mask.index = frame.index
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
