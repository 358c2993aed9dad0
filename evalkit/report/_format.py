"""One table, formatted once: disclosure control, then the language's number format.

Both renderers (Word and Excel) take a :class:`FormattedTable`, so the two
outputs hide the same cells and show the same numbers.
"""
from __future__ import annotations

import numbers

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit._dates import parse_user_date
from evalkit import i18n
from evalkit.errors import ReportError
from evalkit.report._blocks import Table, TableSpec
from evalkit.report._disclosure import disclosure_mask

__all__ = ["FormattedTable", "format_table"]

COUNT, PERCENT, NUMBER, PVALUE, DATE, TEXT = "count", "percent", "number", "pvalue", "date", "text"
#: a column of calendar years (survey waves, years of a panel): written as the year, never "2,015"
YEAR = "year"
_YEARS = (1800, 2200)


def _is_year(value) -> bool:
    """A whole number in the range of calendar years. Counts are declared in the spec (they need
    disclosure control), so an undeclared whole number in this range is a year — a wave, a period."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        return False
    return bool(np.isfinite(value)) and float(value).is_integer() and _YEARS[0] <= value <= _YEARS[1]
_PVALUE_NAMES = ("p_value", "p-value", "p-värde", "p-verdi")


@dataclass
class FormattedTable:
    """Display text and raw values of a table after disclosure control.

    ``values`` holds numbers for Excel (percentages as shares, hidden cells as None);
    ``text`` what Word shows; ``hidden`` which cells were suppressed.
    """

    header: list[str]
    text: list[list[str]]
    values: list[list[object]]
    hidden: np.ndarray
    kinds: list[str]
    decimals: list[int]
    total_row: bool
    #: decimals of each cell where the spec gives them per row (``TableSpec.row_decimals``), else None
    cell_decimals: list[list[int]] | None = None


def _column_kind(frame: pd.DataFrame, column, spec: TableSpec) -> str:
    if column in spec.counts or column == spec.total_column:
        return COUNT
    if column in spec.percents:
        return PERCENT
    if column in spec.pvalues or str(column).lower() in _PVALUE_NAMES:
        return PVALUE
    series = frame[column]
    if pd.api.types.is_bool_dtype(series):
        return TEXT
    if pd.api.types.is_numeric_dtype(series):
        present = series.dropna()
        return YEAR if len(present) and all(_is_year(v) for v in present) else NUMBER
    if pd.api.types.is_datetime64_any_dtype(series):
        return DATE
    return TEXT


def _decimals(frame: pd.DataFrame, column, kind: str, spec: TableSpec) -> int:
    if column in spec.decimals:
        return int(spec.decimals[column])
    if kind == COUNT:
        return 0
    if kind == PERCENT:
        return spec.percent_decimals
    if kind == PVALUE:
        return 3
    if kind == NUMBER:
        values = pd.to_numeric(frame[column], errors="coerce").dropna().to_numpy(dtype=float)
        if values.size == 0 or np.all(np.mod(values, 1.0) == 0.0):
            return 0
        return 2
    return 0


def _cell_value(value, kind: str, spec: TableSpec):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind in (COUNT, NUMBER, PVALUE, YEAR):
        return int(round(float(value))) if kind in (COUNT, YEAR) else float(value)
    if kind == PERCENT:
        share = float(value) if spec.shares else float(value) / 100.0
        return share
    if kind == DATE:
        return parse_user_date(value, what="date").date()
    if isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_)):
        return value  # a number in a mixed column: Excel keeps it numeric, Word writes it the local way
    return value if isinstance(value, str) else i18n.fmt_value(value, "en")


def _cell_text(value, kind: str, decimals: int, language: str) -> str:
    if value is None:
        return i18n.MISSING
    if kind == COUNT:
        return i18n.fmt_int(value, language)
    if kind == PERCENT:
        return i18n.fmt_percent(value, decimals, language)
    if kind == NUMBER:
        return i18n.fmt_number(value, decimals, language)
    if kind == PVALUE:
        floor = 10.0 ** -decimals  # a table cell drops the "p =" of running text
        return ("<" + i18n.fmt_number(floor, decimals, language) if value < floor
                else i18n.fmt_number(value, decimals, language))
    if kind == DATE:
        return i18n.fmt_date(value, language)
    if kind == YEAR or (kind == TEXT and _is_year(value)):
        return str(int(value))
    if isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_)):
        return i18n.fmt_value(value.item() if isinstance(value, np.generic) else value, language)
    return str(value)


def format_table(table: Table, language: str, thresholds) -> FormattedTable:
    """Apply disclosure control and number formats to ``table`` (raises ReportError on a bad spec)."""
    spec = table.spec
    frame = table.frame.reset_index() if spec.index else table.frame
    hidden = disclosure_mask(frame, spec, thresholds).to_numpy(dtype=bool)
    columns = list(frame.columns)
    kinds = [_column_kind(frame, c, spec) for c in columns]
    decimals = [_decimals(frame, c, k, spec) for c, k in zip(columns, kinds)]
    raw = frame.to_numpy(dtype=object)
    cells = _cell_decimals(columns, decimals, spec, raw.shape[0])
    values: list[list[object]] = []
    text: list[list[str]] = []
    for r in range(raw.shape[0]):
        row_values, row_text = [], []
        for c, kind in enumerate(kinds):
            if hidden[r, c]:
                row_values.append(None)
                row_text.append(i18n.SUPPRESSED)
                continue
            value = _cell_value(raw[r, c], kind, spec)
            row_values.append(value)
            row_text.append(_cell_text(value, kind, cells[r][c] if cells else decimals[c], language))
        values.append(row_values)
        text.append(row_text)
    header = [str(c) for c in columns]
    return FormattedTable(header, text, values, hidden, kinds, decimals, spec.total_row, cells)


def _cell_decimals(columns, decimals: list[int], spec: TableSpec, n_rows: int) -> list[list[int]] | None:
    """Per-cell decimals when the spec gives them per row (for its ``decimals`` columns), else None."""
    if not spec.row_decimals:
        return None
    if len(spec.row_decimals) != n_rows:
        raise ReportError(f"TableSpec.row_decimals has {len(spec.row_decimals)} entries for {n_rows} rows")
    per_row = [c in spec.decimals for c in columns]
    return [[int(d) if per_row[c] else decimals[c] for c in range(len(columns))] for d in spec.row_decimals]
