"""Dates a user types: ISO or day first, never month first.

``pandas.Timestamp("02.01.2017")`` is 1 February 2017 (dateutil reads month first), so an intervention
written the Nordic way silently moved by a month. Every date that reaches evalkit as a string — an
intervention, a window, an audit period, a time column of text — goes through :func:`parse_user_date`,
which accepts

* ISO 8601: ``2017-02-01``, ``2017-02-01T00:00``, ``2017-02`` (first of the month), ``2017/02/01``;
* the compact form ``20170201``;
* day first with ``.``, ``/`` or ``-`` between the parts and a four-digit year: ``1.2.2017``,
  ``01/02/2017``, ``1-2-2017`` (all 1 February 2017);

and refuses everything else with a message that says how the text was read ("read day first: day 12,
month 31"). A two-digit year is refused because ``01.02.17`` could be 2017 or 1917 — and ``17-02-01``
could be ISO with the century left out.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

__all__ = ["parse_user_date", "parse_user_dates", "DATE_FORMS"]

#: What the error messages show as accepted forms.
DATE_FORMS = "2017-02-01 (ISO), 20170201 or 1.2.2017 / 01/02/2017 (day first)"

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_ISO_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})$")
_TWO_DIGIT_YEAR = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{2})$")


def _make(year: int, month: int, day: int, text: str, how: str, error: type[Exception]) -> pd.Timestamp:
    try:
        return pd.Timestamp(dt.date(year, month, day))
    except (ValueError, OverflowError):
        raise error(f"{text!r} is not a date: read {how} it is day {day}, month {month}, year {year}, which does "
                    f"not exist. Write dates as {DATE_FORMS}.") from None


def parse_user_date(value, *, what: str = "date", error: type[Exception] = ValueError) -> pd.Timestamp:
    """A date from what a user passed: ``date``/``datetime``/``Timestamp``/``datetime64`` or text.

    Parameters
    ----------
    value : date-like or str
    what : str
        Names the argument in the error message (``"intervention"``, ``"--from"``).
    error : exception class
        Raised for text that is not an ISO, compact or day-first date (the caller's error type, e.g.
        ``AnalysisError`` or ``ConfigError``).

    Returns
    -------
    pandas.Timestamp
        Midnight of that day (times of day in ISO text are dropped).
    """
    if isinstance(value, pd.Timestamp):
        return value
    if isinstance(value, (dt.date, np.datetime64)):
        return pd.Timestamp(value)
    if isinstance(value, pd.Period):
        return value.start_time
    if not isinstance(value, str):
        raise error(f"{what} {value!r} is not a date; write it as {DATE_FORMS}.")
    text = value.strip()
    if m := _ISO.match(text) or _ISO_SLASH.match(text) or _COMPACT.match(text):
        y, mo, d = map(int, m.groups()[:3])
        return _make(y, mo, d, text, "as year-month-day", error)
    if m := _ISO_MONTH.match(text):
        return _make(int(m[1]), int(m[2]), 1, text, "as year-month", error)
    if m := _DAY_FIRST.match(text):
        return _make(int(m[4]), int(m[3]), int(m[1]), text, "day first", error)
    if _TWO_DIGIT_YEAR.match(text):
        raise error(f"{what} {text!r} has a two-digit year, which is ambiguous (century, or ISO year first?). "
                    f"Write it with four digits: {DATE_FORMS}.")
    raise error(f"{what} {text!r} is not a date evalkit reads (it never reads month first). "
                f"Write it as {DATE_FORMS}.")


def parse_user_dates(values: pd.Series, *, what: str, error: type[Exception] = ValueError) -> pd.Series:
    """:func:`parse_user_date` over a column of text (each distinct spelling parsed once)."""
    distinct = pd.unique(values.dropna())
    lookup = {v: parse_user_date(v, what=what, error=error) for v in distinct}
    return pd.to_datetime(values.map(lookup))
