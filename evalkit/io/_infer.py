"""Cell-level parsing for :mod:`evalkit.io.read`: numbers, dates, column kinds.

Private helper; the public functions are re-exported from ``evalkit.io.read``.
Every parser takes a Series of strings and returns (values, bad mask) so that a
caller can report the exact cells (rows) that did not parse.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Statistical-agency "no value" markers (SCB, SSB, Skolverket, Eurostat):
#: ".." not shown/too uncertain, "." not applicable / no data, "-" / "–" nil,
#: "…" and ":" not available.
NA_MARKERS: tuple[str, ...] = ("..", ".", "-", "–", "…", ":")

#: Characters used to group thousands in Nordic exports: space, no-break space,
#: thin space and narrow no-break space.
SPACE_GROUPS = " \u00a0\u2009\u202f"
_MINUS = "-\u2212"  # hyphen-minus and the real minus sign U+2212

# A value that carries evidence about the decimal separator:
_COMMA_DEC = re.compile(r"^[+\-\u2212]?(\d{1,3}([ \u00a0\u2009\u202f.]\d{3})+|\d*),(\d{1,2}|\d{4,})$"
                        r"|^[+\-\u2212]?\d{1,3}(\.\d{3})+,\d+$"
                        r"|^[+\-\u2212]?\d{1,3}(\.\d{3}){2,}$")
_POINT_DEC = re.compile(r"^[+\-\u2212]?(\d{1,3}([ \u00a0\u2009\u202f,]\d{3})+|\d*)\.(\d{1,2}|\d{4,})$"
                        r"|^[+\-\u2212]?\d{1,3}(,\d{3})+\.\d+$"
                        r"|^[+\-\u2212]?\d{1,3}(,\d{3}){2,}$"
                        r"|^[+\-\u2212]?\d+(\.\d+)?[eE][+\-]?\d+$")


def decimal_evidence(values: Iterable[str]) -> tuple[int, int]:
    """Count distinct values that prove a decimal comma and a decimal point.

    ``"18,43454"`` and ``"12.800,5"`` prove a comma, ``"771055.9"`` and
    ``"1,234,567"`` a point; ``"1,234"`` and ``"1.234"`` (one separator and
    exactly three digits) prove nothing. Distinct values are counted so that a
    long column costs one regex test per distinct value.
    """
    comma = point = 0
    for v in set(values):
        if _COMMA_DEC.match(v):
            comma += 1
        elif _POINT_DEC.match(v):
            point += 1
    return comma, point


def _number_pattern(decimal: str, groups: str) -> re.Pattern:
    g = "[" + re.escape(groups) + "]" if groups else None
    d = re.escape(decimal)
    sign = r"[+\-\u2212]?"
    grouped = rf"\d{{1,3}}(?:{g}\d{{3}})+" if g else None
    int_part = rf"(?:{grouped}|\d+)" if grouped else r"\d+"
    alts = [rf"{sign}{int_part}(?:{d}\d+)?", rf"{sign}{d}\d+"]
    if decimal == ".":
        alts.append(rf"{sign}\d+(?:\.\d+)?[eE][+\-]?\d+")
    return re.compile("|".join(f"(?:{a})" for a in alts))


def _int_pattern(groups: str) -> re.Pattern:
    g = "[" + re.escape(groups) + "]" if groups else None
    grouped = rf"|\d{{1,3}}(?:{g}\d{{3}})+" if g else ""
    return re.compile(rf"[+\-\u2212]?(?:\d+{grouped})")


def _groups_for(decimal: str, thousands: str | None) -> str:
    if thousands is not None:
        return thousands
    return SPACE_GROUPS + ("." if decimal == "," else ",")


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


def choose_decimal(values: pd.Series, fallback: str | None = None) -> str | None:
    """The decimal separator a column's values prove (majority), else ``fallback``."""
    comma, point = decimal_evidence(str(v).strip() for v in values.dropna().unique())
    if comma > point:
        return ","
    if point > comma:
        return "."
    return fallback


def parse_numbers(values: pd.Series, decimal: str | None = None, thousands: str | None = None,
                  na_markers: Iterable[str] | None = NA_MARKERS) -> tuple[pd.Series, pd.Series]:
    """Parse strings written the Nordic or the English way into numbers.

    Parameters
    ----------
    values : Series
        Cells as strings (missing as NA).
    decimal : {",", "."}, optional
        The decimal separator. ``None`` decides it from the values (see Notes).
    thousands : str, optional
        The characters that group thousands. ``None`` accepts space, no-break
        space (U+00A0), thin space (U+2009), narrow no-break space (U+202F) and
        the separator that is not the decimal one (``"12.800,5"``, ``"1,234.5"``).
    na_markers : iterable of str, optional
        Cells meaning "no value" (default :data:`NA_MARKERS`); they become NA
        and are not bad.

    Returns
    -------
    (Series, Series)
        ``Float64`` values with the input's index, and a boolean mask of the
        cells that are neither empty, a marker nor a number.

    Notes
    -----
    Decimal rule: a value such as ``"18,43454"`` or ``"12.800,5"`` proves a
    decimal comma; ``"771055.9"`` or ``"1,234,567"`` a decimal point; a value
    with one separator followed by exactly three digits (``"1,234"``) proves
    nothing. The majority of proving values decides. With no proof at all a
    lone separator is read as the decimal separator (Nordic exports group
    thousands with spaces), so ``"1,234"`` is 1.234. :func:`read_table` passes
    the file's majority as ``decimal`` for columns without proof.

    Examples
    --------
    >>> import pandas as pd
    >>> v, bad = parse_numbers(pd.Series(["12\u00a0800,5", "..", "-1,5", "x"]))
    >>> v.tolist()[:3], bad.tolist()
    ([12800.5, <NA>, -1.5], [False, False, False, True])
    """
    s = values.astype("string").str.strip()
    markers = set(na_markers or ())
    missing = s.isna() | (s == "") | s.isin(markers)
    present = s[~missing]
    if decimal is None:
        decimal = choose_decimal(present)
    out = pd.Series(pd.NA, index=values.index, dtype="Float64")
    bad = pd.Series(False, index=values.index)
    if present.empty:
        return out, bad
    parsed, ok = _on_distinct(present, lambda u: _to_float(u, decimal, thousands))
    out[ok.index[ok]] = parsed[ok]
    bad[ok.index[~ok]] = True
    return out, bad


def _on_distinct(present: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """Run ``parse`` once per distinct value and spread the results back (codes repeat a lot)."""
    codes, uniques = pd.factorize(present)
    u = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    values, ok = parse(u)
    return (pd.Series(values.to_numpy()[codes], index=present.index).astype(values.dtype),
            pd.Series(ok.to_numpy()[codes], index=present.index))


def _to_float(present: pd.Series, decimal: str | None, thousands: str | None) -> tuple[pd.Series, pd.Series]:
    """Parse non-missing strings; with ``decimal=None`` each value's lone separator is its decimal."""
    if decimal is None:
        # No evidence: try comma first, then point, per value.
        v1, ok1 = _to_float(present, ",", thousands if thousands is not None else SPACE_GROUPS)
        v2, ok2 = _to_float(present, ".", thousands if thousands is not None else SPACE_GROUPS)
        return v1.where(ok1, v2), ok1 | ok2
    groups = _groups_for(decimal, thousands)
    ok = present.str.fullmatch(_number_pattern(decimal, groups).pattern).fillna(False).astype(bool)
    clean = present
    for ch in groups:
        clean = clean.str.replace(ch, "", regex=False)
    clean = clean.str.replace("\u2212", "-", regex=False)
    if decimal == ",":
        clean = clean.str.replace(",", ".", regex=False)
    nums = pd.to_numeric(clean.where(ok), errors="coerce").astype("Float64")
    return nums, ok & nums.notna()


def looks_integer(present: pd.Series, decimal: str | None, thousands: str | None) -> bool:
    """True when every value is a whole number written without a decimal part (at most 18 digits)."""
    if thousands is not None:
        groups = thousands
    elif decimal is None:
        groups = SPACE_GROUPS  # "1,234" without evidence reads as a decimal, so not an integer
    else:
        groups = _groups_for(decimal, None)
    ok = present.str.fullmatch(_int_pattern(groups).pattern).fillna(False).astype(bool)
    if not ok.all():
        return False
    return bool((present.str.count(r"\d") <= 18).all())


# ---------------------------------------------------------------- dates

#: The years pandas' ``datetime64[ns]`` can hold whole (1677-09-21 … 2262-04-11); dates outside are refused.
NS_FIRST_YEAR, NS_LAST_YEAR = 1678, 2261

_DATE_FORMS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d"),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}"), "%Y-%m-%d %H:%M"),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"\d{8}"), "%Y%m%d"),
    (re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}"), "%d.%m.%Y"),
    (re.compile(r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}"), "%d.%m.%Y %H:%M"),
    (re.compile(r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}:\d{2}"), "%d.%m.%Y %H:%M:%S"),
)


def date_shaped(present: pd.Series) -> pd.Series:
    """Mask of strings written in one of the supported date forms (valid or not)."""
    s = present.str.replace("T", " ", regex=False)
    hit = pd.Series(False, index=present.index)
    for pattern, _ in _DATE_FORMS:
        hit |= s.str.fullmatch(pattern.pattern).fillna(False).astype(bool)
    return hit


def parse_dates(values: pd.Series, formats: Iterable[str] | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse Swedish/Norwegian date strings; impossible dates are reported, never silently NaT.

    Parameters
    ----------
    values : Series
        Strings, or Excel-native ``datetime``/``date`` objects (kept as they are).
    formats : iterable of str, optional
        ``strptime`` formats to try in order instead of the built-in forms:
        ISO ``2019-03-05``, ``2019-03-05 12:30[:00]`` (``T`` allowed), ``20190305``,
        day-first ``5.3.2019`` / ``05.03.2019`` (with optional ``HH:MM[:SS]``).

    Returns
    -------
    (Series, Series)
        ``datetime64[ns]`` values with the input's index, and a boolean mask of
        cells that are not empty but are not a valid date (``2023-13-01``,
        ``2023-02-30``, ``"soon"``). Empty/NA cells are NaT and not bad.

    Examples
    --------
    >>> import pandas as pd
    >>> d, bad = parse_dates(pd.Series(["2019-03-05", "5.3.2019", "2023-02-30", None]))
    >>> [str(x.date()) if not pd.isna(x) else None for x in d], bad.tolist()
    (['2019-03-05', '2019-03-05', None, None], [False, False, True, False])
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values.astype("datetime64[ns]")
        return out, pd.Series(False, index=values.index)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if isinstance(values.dtype, pd.StringDtype):  # text only: no spreadsheet date objects to look for
        native = pd.Series(False, index=values.index)
    else:
        native = values.map(lambda v: isinstance(v, (_dt.date, pd.Timestamp)), na_action="ignore")
        native = native.fillna(False).astype(bool)
    if native.any():
        # a spreadsheet date beyond 2262 (9999-12-31, "open-ended") does not fit datetime64[ns]: bad, not a crash
        fits = values[native].map(lambda v: NS_FIRST_YEAR <= v.year <= NS_LAST_YEAR).astype(bool)
        ok = fits.index[fits]
        if len(ok):
            out[ok] = pd.to_datetime(values[ok].map(pd.Timestamp)).astype("datetime64[ns]")
        native_bad = fits.index[~fits]
    else:
        native_bad = []
    s = values[~native].astype("string").str.strip()
    s = s[~(s.isna() | (s == ""))]
    bad = pd.Series(False, index=values.index)
    bad[native_bad] = True
    if s.empty:
        return out, bad
    parsed, _ = _on_distinct(s.astype(object), lambda u: (_parse_date_strings(u, formats), u))
    out[s.index] = parsed
    bad[s.index] = parsed.isna().to_numpy()
    return out, bad


def _parse_date_strings(s: pd.Series, formats) -> pd.Series:
    """Distinct non-empty strings → datetime64[ns] (NaT where no form gives a valid date)."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    s = s.str.replace("T", " ", regex=False)
    done = pd.Series(False, index=s.index)
    forms = ([(None, f) for f in formats] if formats is not None else list(_DATE_FORMS))
    for pattern, fmt in forms:
        todo = s[~done]
        if todo.empty:
            break
        shaped = todo if pattern is None else todo[todo.str.fullmatch(pattern.pattern).fillna(False).astype(bool)]
        if shaped.empty:
            continue
        parsed = pd.to_datetime(shaped.astype(object), format=fmt, errors="coerce")
        # beyond the range datetime64[ns] holds (years 1678–2261) counts as not a valid date
        fits = (parsed.notna() & parsed.dt.year.between(NS_FIRST_YEAR, NS_LAST_YEAR)).astype(bool)
        parsed = parsed.where(fits)
        if pattern is None:
            shaped = shaped[fits.to_numpy()]
            parsed = parsed[fits.to_numpy()]
        out[shaped.index] = parsed.astype("datetime64[ns]")
        done[shaped.index] = True  # shaped but impossible stays NaT, so the caller marks it bad
    return out


def fits_float(present: pd.Series) -> bool:
    """True when no value has more than 15 digits (the most a float64 keeps exactly)."""
    return bool((present.str.count(r"\d") <= 15).all())


def leading_zero_codes(present: pd.Series) -> bool:
    """True if any value is a digit string with a leading zero ("03", "0301"): codes, not numbers."""
    return bool(present.str.fullmatch(r"0\d+").fillna(False).any())


def eight_digit_dates(present: pd.Series) -> bool:
    """True when every value is ``YYYYMMDD`` with a valid date in 1900–2100."""
    if not present.str.fullmatch(r"(19|20)\d{6}|2100\d{4}").fillna(False).all():
        return False
    parsed = pd.to_datetime(present.astype(object), format="%Y%m%d", errors="coerce")
    return bool(parsed.notna().all())


def is_integral(values: np.ndarray) -> bool:
    finite = values[~np.isnan(values)]
    return bool(np.all(np.mod(finite, 1) == 0)) and bool(np.all(np.abs(finite) < 2**53))
