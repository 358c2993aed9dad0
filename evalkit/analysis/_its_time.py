"""Time axis handling for interrupted time series: parse, normalise, check spacing.

Private to :mod:`evalkit.analysis.its`.

Decisions
---------
* Dates are normalised to their calendar month: any day within a month stands
  for that month (2005-01-17 → 2005-01). Two rows in the same month are
  therefore duplicates.
* A date series whose periods are all in the same calendar month and at least
  12 months apart is yearly (e.g. every 1 January); otherwise it is monthly.
* Integer periods between 1800 and 2200 with step 1 are read as calendar years
  (so "per year" is said in text); other integers are generic periods. The step
  of an integer series is the smallest difference between its values.
* Strings are parsed as ISO dates (``2005-01`` or ``2005-01-31``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit._dates import parse_user_date, parse_user_dates
from evalkit.errors import AnalysisError, DataError, Problem

__all__ = ["Clock", "parse_time", "parse_intervention", "check_spacing"]


@dataclass(frozen=True)
class Clock:
    """How a time column maps to integer codes on a regular grid.

    ``kind`` is ``"month"``, ``"year"`` or ``"period"``; codes are months since
    year 0 (``year*12 + month-1``), calendar years, or the integer values; ``step``
    is the spacing of codes between consecutive periods; ``dates`` says whether the
    column held dates (so output times are Timestamps).
    """

    kind: str
    step: int
    dates: bool

    def label(self, code: int) -> str:
        if self.kind == "month":
            return f"{code // 12:04d}-{code % 12 + 1:02d}"
        return str(int(code))

    def value(self, code: int):
        """The time value shown to users for a code (month/year start or the integer)."""
        if self.dates and self.kind == "month":
            return pd.Timestamp(year=int(code // 12), month=int(code % 12 + 1), day=1)
        if self.dates and self.kind == "year":
            return pd.Timestamp(year=int(code), month=1, day=1)
        return int(code)

    def month_of_year(self, codes: np.ndarray) -> np.ndarray:
        """Calendar month 1..12 (monthly dates) or a 1..12 cycle over the periods (integers)."""
        if self.kind == "month":
            return codes % 12 + 1
        return (codes // self.step) % 12 + 1


def _bad_rows(mask: pd.Series, column: str, message: str) -> list[Problem]:
    return [Problem(message, row=int(i), column=column) for i in np.flatnonzero(mask.to_numpy())]


def parse_time(series: pd.Series, column: str) -> tuple[Clock, np.ndarray]:
    """Return the clock and integer codes of a time column, or raise DataError."""
    missing = series.isna()
    if missing.any():
        raise DataError(f"time column '{column}' has empty values; fill or drop those rows",
                        _bad_rows(missing, column, "empty time value (row number counts from 0)"))
    if isinstance(series.dtype, pd.PeriodDtype):
        series = series.dt.to_timestamp()
    if pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(f"time column '{column}' is boolean; give dates or integer periods")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _parse_integers(series, column)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = _text_dates(series, column)
    return _parse_dates(series)


def _text_dates(series: pd.Series, column: str) -> pd.Series:
    """A time column of text or date objects as datetimes: ISO or day first, never month first."""
    if not all(isinstance(v, str) for v in series):
        try:
            return pd.to_datetime(series)
        except (ValueError, TypeError):
            raise DataError(f"time column '{column}' is neither dates nor integer periods; give dates such as "
                            "2005-01-01 or integer periods") from None
    return parse_user_dates(series, what=f"time column '{column}':", error=DataError)


def _parse_integers(series: pd.Series, column: str) -> tuple[Clock, np.ndarray]:
    values = series.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise DataError(f"time column '{column}' holds non-integer numbers; use integer periods "
                        f"(1, 2, 3 …) or dates",
                        _bad_rows(pd.Series(values != np.round(values)), column, "not an integer"))
    codes = values.astype(np.int64)
    unique = np.unique(codes)
    step = int(np.min(np.diff(unique))) if unique.size > 1 else 1
    yearly = step == 1 and unique.min() >= 1800 and unique.max() <= 2200
    return Clock("year" if yearly else "period", step, False), codes


def _parse_dates(series: pd.Series) -> tuple[Clock, np.ndarray]:
    stamps = pd.DatetimeIndex(series)
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    months = (stamps.year.to_numpy() * 12 + stamps.month.to_numpy() - 1).astype(np.int64)
    unique = np.unique(months)
    same_month = np.unique(unique % 12).size == 1
    if unique.size > 1 and same_month and np.min(np.diff(unique)) >= 12:
        return Clock("year", 1, True), stamps.year.to_numpy().astype(np.int64)
    return Clock("month", 1, True), months


def parse_intervention(value, clock: Clock) -> int:
    """Code of the intervention period, in the clock of the time column."""
    if clock.dates:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and clock.kind == "year":
            return int(value)
        stamp = parse_user_date(value, what="intervention (the first period after the change)", error=AnalysisError)
        return int(stamp.year) if clock.kind == "year" else int(stamp.year * 12 + stamp.month - 1)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise AnalysisError(f"intervention {value!r} must be an integer period like the time "
                            f"column; give the first period after the change")
    if float(value) != round(float(value)):
        raise AnalysisError(f"intervention {value!r} must be a whole period number")
    return int(value)


def check_spacing(codes: np.ndarray, clock: Clock, unit=None) -> None:
    """Raise DataError naming duplicated and missing periods of one series."""
    where = f" for unit {unit!r}" if unit is not None else ""
    values, counts = np.unique(codes, return_counts=True)
    problems = [Problem(f"period {clock.label(v)} appears {c} times{where}")
                for v, c in zip(values, counts) if c > 1]
    if problems:
        raise DataError("duplicated periods: each period must occur once per series; "
                        "aggregate the rows per period first" +
                        (" (dates are normalised to their month)" if clock.kind == "month" else ""),
                        problems)
    off_grid = (values - values.min()) % clock.step != 0
    full = np.arange(values.min(), values.max() + 1, clock.step)
    missing = np.setdiff1d(full, values)
    problems = [Problem(f"period {clock.label(v)} is missing{where}") for v in missing]
    problems += [Problem(f"period {clock.label(v)} is off the regular spacing{where}")
                 for v in values[off_grid]]
    if problems:
        raise DataError("gaps in the time series: periods must be regularly spaced with none "
                        "missing; add the missing periods (with their outcome) or shorten the series",
                        problems)
