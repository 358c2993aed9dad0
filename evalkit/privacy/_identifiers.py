"""Detection of Swedish and Norwegian personal identity numbers in tables.

The rules follow Skatteverket (personnummer, samordningsnummer) and
Skatteetaten (fødselsnummer, D-, H- and synthetic Tenor numbers); see
``reference/domain.md`` §3 and the docstring of :func:`scan_identifiers`.

Work is done once per *distinct* value of a column: an RE2 test (pyarrow)
discards strings that cannot hold a number, Python's ``re`` finds the tokens in
the rest, and the tokens (and integers) are turned into a digit matrix whose
dates and check digits are tested all at once with numpy.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import IdentifierError, Problem

__all__ = [
    "NUMBER_RANGE",
    "TOKEN_PREFILTER",
    "IdentifierHit",
    "KINDS",
    "scan_identifiers",
    "check_identifiers",
    "classify_number",
    "compact_rows",
]

#: The kinds of number reported, in the order they are listed in messages.
KINDS = (
    "personnummer",
    "samordningsnummer",
    "fødselsnummer",
    "D-nummer",
    "H-nummer",
    "syntetisk (Tenor)",
)

# Text is normalised before it is searched (:func:`normalise_text`): NFKC (full-width
# digits, no-break spaces, superscripts), every dash to "-", every space to " ",
# invisible format characters (soft hyphen, zero-width space) removed and digits of
# any script to 0-9. The patterns below then see only ASCII digits and separators.
# A separator is a dash or plus with up to two spaces on either side ("121212 - 1212"),
# or one or two spaces.
_SEP = r"(?:[ \t]{0,2}[-+][ \t]{0,2}|[ \t]{1,2})?"
_SE12 = rf"(?:18|19|20) ?[0-9]{{6}}{_SEP}[0-9]{{4}}"  # SE: YYYYMMDD-NNNC, also "19 640823-3234"
_NO11 = rf"[0-9]{{6}}{_SEP}[0-9]{{5}}"  # NO: DDMMYY IIIKK
_SE10 = rf"[0-9]{{6}}{_SEP}[0-9]{{4}}"  # SE: YYMMDD-NNNC, '+' from the 100th birthday
_TOKEN_BODY = f"(?:{_SE12}|{_NO11}|{_SE10})"
# The lookarounds keep a longer digit run (a 13-digit order number, an EAN code)
# from matching at all, instead of matching one of its substrings.
_TOKEN = re.compile(rf"(?<![0-9]){_TOKEN_BODY}(?![0-9])")
# A value that is nothing but one token (the usual identifier column) needs no
# token search: its digits are the token (RE2, no lookarounds).
_IS_TOKEN = rf"^[ \t]*{_TOKEN_BODY}[ \t]*$"  # not \s: pandas would fall back to Python re
# A value that is one number, possibly written as a float or in scientific notation
# ("1212121212.0", "1.212121212E9", "1,212121212E+09"): read as a number. A leading
# zero is written, not lost: "0640823323" stays text.
_NUMBER_TEXT = re.compile(r"^[ \t]*\+?([1-9][0-9]*(?:[.,][0-9]+)?(?:[eE]\+?[0-9]{1,2})?)[ \t]*$")

# The RE2 prefilter works on text that is *not* normalised, so it accepts every
# dash, space and format character as a separator and lets through any value with
# a number character outside 0-9 (full-width digits, other scripts); the exact
# check normalises those few values.
_RAW_SEP = r"[ \t+\-\x{2212}\p{Pd}\p{Zs}\p{Cf}]{0,5}"
_HOLDS_TOKEN = (
    rf"(?:^|[^0-9])[0-9]{{6}}{_RAW_SEP}[0-9]{{4,5}}(?:[^0-9]|$)"  # SE10, NO11 (and "19 640823-3234")
    rf"|(?:^|[^0-9])[0-9]{{8}}{_RAW_SEP}[0-9]{{4}}(?:[^0-9]|$)"  # SE12
    r"|[^\P{N}0-9]"  # a number character other than 0-9
    r"|^[ \t]*\+?[0-9]{7,12}(?:[.,]0+)?[ \t]*$"  # a whole number that may have lost leading zeros
    r"|[0-9][.,][0-9]+[eE]\+?[0-9]"  # scientific notation
)
#: An RE2-compatible pattern (no lookarounds) matching every string that holds a
#: candidate token: a superset of the strings :func:`scan_identifiers` flags, for
#: engines that prefilter whole columns (DuckDB, pyarrow) before the exact check.
#: It works on the text as stored (not normalised): any dash, space or format
#: character is a separator, and any number character other than 0-9 lets a value through.
TOKEN_PREFILTER = _HOLDS_TOKEN
#: Numbers in ``[low, high)`` are candidates (7–12 digits); smaller or larger ones never are.
#: (7–9 digits: a Swedish number whose leading zeros were lost, see :func:`scan_identifiers`.)
NUMBER_RANGE = (1e6, 1e12)

_DAYS_IN_MONTH = np.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])  # index 0: month unknown
_NO_WEIGHTS_1 = np.array([3, 7, 6, 1, 8, 9, 4, 5, 2, 1])
_NO_WEIGHTS_2 = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1])


@dataclass(frozen=True)
class IdentifierHit:
    """One cell (or column name) that holds an identity number.

    Attributes
    ----------
    column : str
        The column's name, or ``"column N (name withheld)"`` when the name
        itself holds an identity number, so that a hit never shows a number.
    row : int or None
        The frame's index value of the row (loaders set it to the row number in
        the file); ``None`` when the number is in the column *name* (header).
    kind : str
        One of :data:`KINDS`.
    position : int
        1-based position of the column in the frame.
    """

    column: str
    row: int | None
    kind: str
    position: int = 0


# --------------------------------------------------------------------------- classification
def _digit_matrix(tokens: Sequence[str], width: int) -> np.ndarray:
    if not tokens:
        return np.zeros((0, width), dtype=np.int64)
    raw = np.frombuffer("".join(tokens).encode("ascii"), dtype=np.uint8)
    return raw.reshape(-1, width).astype(np.int64) - 48


def _two(d: np.ndarray, i: int) -> np.ndarray:
    return d[:, i] * 10 + d[:, i + 1]


def _is_leap(year: np.ndarray) -> np.ndarray:
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


def _day_exists(day: np.ndarray, month: np.ndarray, leap: np.ndarray) -> np.ndarray:
    month_index = np.clip(month, 0, 12)
    last = _DAYS_IN_MONTH[month_index] + ((month == 2) & leap)
    return (day >= 1) & (day <= last)


_LUHN_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9])  # digit sum of 2·d


def _luhn_ok(d10: np.ndarray) -> np.ndarray:
    """Luhn over YYMMDDNNN (weights 2,1,2,…; digit sums of products) against C."""
    total = _LUHN_DOUBLED[d10[:, 0:9:2]].sum(axis=1) + d10[:, 1:9:2].sum(axis=1)
    return (10 - total % 10) % 10 == d10[:, 9]


# Kinds are handled as small integer codes (positions in KINDS); -1 = none.
_PNR, _SAMORD, _FNR, _DNR, _HNR, _SYNTH = range(6)


def _classify_se(d10: np.ndarray, century: np.ndarray) -> np.ndarray:
    """Kind code for rows of 10 digits ``YYMMDDNNNC``.

    ``century`` is 18/19/20 for 12-digit numbers and -1 where the century is
    not written; then a 29 February counts if it exists in 19YY or 20YY.
    """
    yy, mm, dd = _two(d10, 0), _two(d10, 2), _two(d10, 4)
    coordination = dd >= 60
    day = np.where(coordination, dd - 60, dd)
    leap = np.where(century >= 0, _is_leap(np.maximum(century, 0) * 100 + yy), yy % 4 == 0)
    # Since 2023 a samordningsnummer may carry 00 for an unknown month and/or
    # day (day written 60); Skatteverket's own test samordningsnummer do.
    month_ok = ((mm >= 1) & (mm <= 12)) | (coordination & (mm == 0))
    day_ok = _day_exists(day, mm, leap) | (coordination & (day == 0))
    valid = month_ok & day_ok & _luhn_ok(d10)
    return np.where(valid, np.where(coordination, _SAMORD, _PNR), -1).astype(np.int8)


def _no_century(yy: np.ndarray, individual: np.ndarray) -> np.ndarray:
    """Century (18/19/20, -1 if none) from the individual number (Skatteetaten's table)."""
    century = np.full(yy.shape, -1)
    century = np.where((individual >= 900) & (yy >= 40), 19, century)
    century = np.where((individual >= 500) & (yy < 40), 20, century)
    century = np.where((individual >= 500) & (individual < 750) & (yy >= 54), 18, century)
    century = np.where(individual < 500, 19, century)
    return century


def _classify_no(d11: np.ndarray, allow_2032: bool) -> np.ndarray:
    """Kind code for rows of 11 digits ``DDMMYYIIIKK``."""
    dd, mm, yy = _two(d11, 0), _two(d11, 2), _two(d11, 4)
    individual = d11[:, 6] * 100 + d11[:, 7] * 10 + d11[:, 8]
    d_number = (dd >= 41) & (dd <= 71)
    h_number = (mm >= 41) & (mm <= 52)
    synthetic = (mm >= 81) & (mm <= 92)
    day = np.where(d_number, dd - 40, dd)
    month = mm - 40 * h_number - 80 * synthetic
    century = _no_century(yy, individual)
    # H- and synthetic numbers do not follow the century table; any century
    # will do, so a 29 February counts if it exists in 19YY or 20YY.
    free_century = h_number | synthetic
    leap = np.where(free_century, yy % 4 == 0, _is_leap(np.maximum(century, 0) * 100 + yy))
    date_ok = (month >= 1) & (month <= 12) & _day_exists(day, month, leap)
    date_ok &= free_century | (century > 0)
    date_ok &= ~(d_number & h_number)
    r1 = (d11[:, :10] * _NO_WEIGHTS_1).sum(axis=1) % 11
    r2 = (d11 * _NO_WEIGHTS_2).sum(axis=1) % 11
    checks_ok = (r2 == 0) & ((r1 <= 3) if allow_2032 else (r1 == 0))
    kind = np.select([synthetic, h_number, d_number], [_SYNTH, _HNR, _DNR], default=_FNR)
    return np.where(date_ok & checks_ok, kind, -1).astype(np.int8)


def _classify_width(d: np.ndarray, allow_2032: bool) -> np.ndarray:
    """Kind codes for a digit matrix of width 10 (SE), 11 (NO) or 12 (SE with century)."""
    width = d.shape[1]
    if width == 11:
        return _classify_no(d, allow_2032)
    if width == 10:
        return _classify_se(d, np.full(len(d), -1))
    century = _two(d, 0)
    codes = _classify_se(d[:, 2:], century)
    codes[~np.isin(century, (18, 19, 20))] = -1
    return codes


def _classify_tokens(digits: np.ndarray, allow_2032: bool) -> np.ndarray:
    """Kind codes for an object array of digit strings of length 10, 11 or 12."""
    codes = np.full(len(digits), -1, dtype=np.int8)
    lengths = np.fromiter(map(len, digits), dtype=np.int64, count=len(digits))
    for width in (10, 11, 12):
        chosen = np.flatnonzero(lengths == width)
        if chosen.size:
            codes[chosen] = _classify_width(_digit_matrix(digits[chosen].tolist(), width), allow_2032)
    return codes


def _int_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Digit matrix of non-negative integers, left-padded with zeros to ``width``."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def classify_number(text: str, *, allow_2032: bool = True) -> str | None:
    """Say which kind of identity number one token is, or ``None``.

    Parameters
    ----------
    text : str
        One token, e.g. ``"640823-3234"``, ``"19640823-3234"``,
        ``"168225 48834"``. Surrounding whitespace is ignored; anything else
        around the number makes it not a token (use :func:`scan_identifiers`
        for free text).
    allow_2032 : bool, default True
        Accept Norwegian numbers under the rule valid from 2032 (first
        control remainder 0–3 instead of only 0).

    Returns
    -------
    str or None
        One of :data:`KINDS`.

    Examples
    --------
    >>> classify_number("640823-3234")        # Skatteverket's worked example
    'personnummer'
    >>> classify_number("701063-2391")        # Skatteverket's samordningsnummer example
    'samordningsnummer'
    >>> classify_number("16822548834")        # Skatteetaten's synthetic test person
    'syntetisk (Tenor)'
    >>> classify_number("640823-3235") is None  # wrong check digit
    True
    """
    token = normalise_text(str(text)).strip()
    if _TOKEN.fullmatch(token) is None:
        return None
    digits = np.array([re.sub(r"[^0-9]", "", token)], dtype=object)
    code = int(_classify_tokens(digits, allow_2032)[0])
    return KINDS[code] if code >= 0 else None


# --------------------------------------------------------------------------- normalisation
class _Fold(dict):
    """``str.translate`` table built on demand: dashes → "-", spaces → " ", format characters
    removed, decimal digits of every script → 0-9 (after NFKC, which handles the rest)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Pd" or code in (0x2212, 0x2043):  # dashes, minus sign, hyphen bullet
            value = "-"
        elif category == "Zs" or char == "\t":
            value = " "
        elif category == "Cf":  # soft hyphen, zero-width space/joiners, word joiner, BOM
            value = ""
        elif category == "Nd":
            value = str(unicodedata.digit(char))
        else:
            value = char
        self[code] = value
        return value


_FOLD = _Fold({code: chr(code) for code in range(128) if chr(code) != "\t"})


def normalise_text(text: str) -> str:
    """Text as the identity-number patterns see it.

    NFKC (full-width digits and letters, no-break and thin spaces, super- and
    subscript and circled digits become plain ones), then every dash (Unicode
    category Pd: en and em dash, non-breaking hyphen …) and the minus sign
    become ``-``, every space (category Zs) and tab becomes `` ``, format
    characters (soft hyphen, zero-width space, word joiner) are removed and
    decimal digits of every script become 0–9. ASCII text is returned as is.

    Examples
    --------
    >>> normalise_text("６４０８２３\u2013３２３４")
    '640823-3234'
    >>> normalise_text("640823\u00a0\u20113234")
    '640823 -3234'
    """
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


# --------------------------------------------------------------------------- candidates
def _prefilter(values: pd.Series) -> np.ndarray:
    """Boolean mask of the values passing :data:`TOKEN_PREFILTER` (RE2, through pyarrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # objects that are not str
        array = pa.array([None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
                          for v in values], type=pa.large_string())
    return pc.match_substring_regex(array, _HOLDS_TOKEN).fill_null(False).to_numpy(zero_copy_only=False)


def _string_kinds(values: pd.Series, allow_2032: bool, padded: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(value positions, kind codes) for string values that hold identifiers.

    ``values`` must have a RangeIndex (positions). The values of one call are
    one column: a whole-number value takes part in the column rule of
    :func:`_numeric_kinds` with the other whole-number values.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    survivors = values[_prefilter(values)]
    if survivors.empty:
        return _NOTHING
    survivors = survivors.astype(object).map(str)
    arrow = pa.array(survivors.to_numpy(dtype=object), type=pa.large_string())
    wide = ~pc.string_is_ascii(arrow).to_numpy(zero_copy_only=False)
    if wide.any():  # only text outside ASCII needs normalising (rare, and slower)
        survivors[wide] = survivors[wide].map(normalise_text)
        arrow = pa.array(survivors.to_numpy(dtype=object), type=pa.large_string())
    survivors = pd.Series(pd.arrays.ArrowStringArray(arrow), index=survivors.index)
    whole = pc.match_substring_regex(arrow, _IS_TOKEN).to_numpy(zero_copy_only=False)
    in_text = survivors[~whole].astype(object).str.findall(_TOKEN).explode().dropna()
    tokens = pd.concat([survivors[whole], in_text.astype("string[pyarrow]")])
    digits = tokens.str.replace(r"[^0-9]", "", regex=True).to_numpy(dtype=object)
    codes = _classify_tokens(digits, allow_2032)
    found = codes >= 0
    token_pos, token_codes = tokens.index.to_numpy()[found], codes[found]
    is_number = pc.match_substring_regex(arrow, _NUMBER_TEXT.pattern).to_numpy(zero_copy_only=False)
    if not is_number.any():
        return token_pos, token_codes
    numbers = survivors[is_number].str.strip().str.lstrip("+").str.replace(",", ".", regex=False)
    as_float = pd.to_numeric(numbers.astype(object), errors="coerce")
    number_pos, number_codes = _numeric_kinds(pd.Series(np.asarray(as_float, dtype=float)), allow_2032, padded)
    number_pos = numbers.index.to_numpy()[number_pos]
    return np.concatenate([token_pos, number_pos]), np.concatenate([token_codes, number_codes])


# (digit-matrix width, low, high, padded): how an integer of low ≤ n < high is read.
# A Swedish YYMMDDNNNC with YY = 0X has 9 digits as a number, with YY = 00 and
# MM = 10–12 8 digits and with YY = 00 and MM = 01–09 7 digits; a Norwegian
# DDMMYYIIIKK with DD = 01–09 has 10 digits (DD is never 00, so one zero at most);
# the 12-digit Swedish form starts with 18/19/20 and loses nothing.
_INT_READINGS = (
    (10, 10**9, 10**10, False),  # SE, 10 digits
    (11, 10**10, 10**11, False),  # NO, 11 digits
    (12, 10**11, 10**12, False),  # SE with century
    (10, 10**6, 10**9, True),  # SE, 1–3 leading zeros lost
    (11, 10**9, 10**10, True),  # NO, one leading zero lost
)


def _numeric_kinds(values: pd.Series, allow_2032: bool, padded: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(value positions, kind codes) for integral numbers that are identifiers.

    Spreadsheets drop leading zeros, so 7–9-digit integers are also read as
    Swedish numbers of people born in 2000–2009 (or 1900–1909) and
    10-digit integers as Norwegian numbers with day 01–09. Those *padded*
    readings count only in a column where at least half of the distinct
    integers of 7–12 digits are identity numbers (under some reading): a
    random 7-digit order number passes as a padded personnummer about one time
    in 16 and a 9-digit one one time in 140, so one stray hit in a column of
    ids says nothing, while a column of personnummer that lost its zeros has
    (nearly) only hits. ``padded=False`` (loose values: config strings,
    metadata, where there is no column) leaves the padded readings out.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    keep = np.isfinite(numbers) & (np.abs(numbers) >= NUMBER_RANGE[0]) & (np.abs(numbers) < NUMBER_RANGE[1])
    keep[keep] &= np.floor(numbers[keep]) == numbers[keep]
    positions = np.flatnonzero(keep)
    ints = np.abs(numbers[keep]).astype(np.int64)
    if ints.size == 0:
        return _NOTHING
    plain, restored = [], []  # readings as written / with leading zeros restored
    for width, low, high, pads in _INT_READINGS:
        if pads and not padded:
            continue
        chosen = np.flatnonzero((ints >= low) & (ints < high))
        if chosen.size:
            codes = _classify_width(_int_digits(ints[chosen], width), allow_2032)
            found = codes >= 0
            (restored if pads else plain).append((chosen[found], codes[found]))
    hits = plain
    if restored:
        identified = np.unique(np.concatenate([c for c, _ in plain + restored]))
        if 2 * np.unique(ints[identified]).size >= np.unique(ints).size:
            hits = plain + restored
    if not hits:
        return _NOTHING
    return positions[np.concatenate([c for c, _ in hits])], np.concatenate([k for _, k in hits])


_NOTHING = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8))


def _value_kinds(uniques: pd.Series, allow_2032: bool, padded: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Route distinct values (RangeIndex) to the string and/or numeric search by type."""
    dtype = uniques.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return _NOTHING
    if pd.api.types.is_numeric_dtype(dtype):
        return _numeric_kinds(uniques, allow_2032, padded)
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return _string_kinds(uniques, allow_2032, padded)
    # object columns (mixed cells from Excel and the like)
    inferred = pd.api.types.infer_dtype(uniques, skipna=True)
    if inferred in ("string", "empty"):
        return _string_kinds(uniques, allow_2032, padded)
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return _numeric_kinds(uniques, allow_2032, padded)
    is_number = np.fromiter(
        (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
         for v in uniques),
        dtype=bool, count=len(uniques),
    )
    text_pos, text_codes = _string_kinds(uniques.map(str), allow_2032, padded)
    number_pos, number_codes = _numeric_kinds(uniques.where(is_number), allow_2032, padded)
    return np.concatenate([text_pos, number_pos]), np.concatenate([text_codes, number_codes])


def _scannable(series: pd.Series) -> bool:
    dtype = series.dtype
    return not (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
        or isinstance(dtype, pd.IntervalDtype)
    )


def _codes_and_uniques(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), pd.Series(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, pd.Series(uniques)


def _column_hits(
    series: pd.Series, label: str, position: int, allow_2032: bool, budget: int
) -> list[IdentifierHit]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        if not _scannable(pd.Series(series.cat.categories)):
            return []
    elif not _scannable(series):
        return []
    row_codes, uniques = _codes_and_uniques(series)
    if uniques.empty:
        return []
    value_pos, kind_codes = _value_kinds(uniques.reset_index(drop=True), allow_2032)
    if value_pos.size == 0:
        return []
    has_kind = np.zeros((len(uniques), len(KINDS)), dtype=bool)
    has_kind[value_pos, kind_codes] = True
    present = row_codes >= 0
    row_has = np.zeros((len(series), len(KINDS)), dtype=bool)
    row_has[present] = has_kind[row_codes[present]]
    rows, kinds = np.nonzero(row_has)  # row-major: ordered by row, then kind
    rows, kinds = rows[:budget], kinds[:budget]
    index_values = series.index.to_numpy()[rows].tolist()
    return [IdentifierHit(label, row, KINDS[k], position) for row, k in zip(index_values, kinds.tolist())]


def _header_kinds(columns: Sequence[object], allow_2032: bool) -> dict[int, tuple[str, ...]]:
    names = pd.Series([str(c) for c in columns], dtype="str")
    found: dict[int, set[str]] = {}
    for pos, code in zip(*_string_kinds(names, allow_2032)):
        found.setdefault(int(pos), set()).add(KINDS[code])
    return {pos: tuple(sorted(kinds, key=KINDS.index)) for pos, kinds in found.items()}


def _withheld(position: int) -> str:
    return f"column {position} (name withheld)"


# --------------------------------------------------------------------------- public
def scan_identifiers(
    frame: pd.DataFrame,
    *,
    columns: Iterable[object] | None = None,
    max_hits: int = 10_000,
    allow_2032: bool = True,
) -> list[IdentifierHit]:
    """Find Swedish and Norwegian personal identity numbers in a table.

    Every cell of every column is searched, whatever its dtype: strings
    (whole cells and tokens inside free text), integers and floats (a number
    stored as ``196408233234``, ``6408233234`` or ``6408233234.0``), and the
    column names.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read; its index should be the row numbers of the file.
    columns : iterable, optional
        Only these columns (default: all). Column names are searched only
        when ``columns`` is None.
    max_hits : int, default 10 000
        Stop after this many hits (the table is refused anyway).
    allow_2032 : bool, default True
        Accept Norwegian numbers issued under the rule valid from 2032.

    Returns
    -------
    list of IdentifierHit
        Ordered by column, then by row order in the frame. A hit in a column
        name has ``row=None``; the column of such a hit is reported as
        ``"column N (name withheld)"``.

    Notes
    -----
    Candidates are tokens not touching other digits (so a 13-digit order
    number never matches one of its substrings):

    * Swedish ``YYMMDD[-+ ]NNNC`` and ``YYYYMMDD[- ]NNNC`` (century 18, 19 or 20);
    * Norwegian ``DDMMYY[ ]IIIKK``.

    A Swedish candidate is an identifier when month 01–12 and day exist in
    that month (samordningsnummer: day + 60; month ``00`` or day ``60``
    = unknown, as in Skatteverket's test samordningsnummer), and the Luhn
    digit over the nine digits ``YYMMDDNNN`` matches; without a century a
    29 February counts if it exists in 19YY or 20YY.

    A Norwegian candidate is an identifier when day (D-nummer: + 40) and
    month (H-nummer: + 40; synthetic Tenor: + 80) give a date that exists in
    the century the individual number implies (H/synthetic: any century), and
    both mod-11 controls hold: with weights 3 7 6 1 8 9 4 5 2 1 the
    remainder of the first ten digits is 0 (0–3 under the 2032 rule) and with
    5 4 3 2 7 6 5 4 3 2 1 over all eleven it is 0.

    Integers with 9 (Swedish) or 10 (Norwegian) digits are also tried with
    one leading zero restored, since spreadsheets drop it.

    For a random date-valid 10-digit string the chance of passing is 1 in 10
    (the Luhn digit), so some phone numbers written without separators will
    be flagged; this is deliberate — they cannot be told apart from real
    numbers of people born in 20XX.

    Examples
    --------
    >>> df = pd.DataFrame({"note": ["ring 070-123 45 67", "Brukaren 19640823-3234 ringde"]},
    ...                   index=[2, 3])
    >>> scan_identifiers(df)
    [IdentifierHit(column='note', row=3, kind='personnummer', position=1)]
    """
    if columns is None:
        selected = list(range(frame.shape[1]))
        header = _header_kinds(list(frame.columns), allow_2032)
    else:
        wanted = list(columns)
        selected = [i for i, c in enumerate(frame.columns) if c in wanted]
        header = {}
    hits: list[IdentifierHit] = []
    for i in selected:
        position = i + 1
        label = _withheld(position) if i in header else str(frame.columns[i])
        hits.extend(IdentifierHit(label, None, kind, position) for kind in header.get(i, ()))
        hits.extend(_column_hits(frame.iloc[:, i], label, position, allow_2032, max_hits - len(hits)))
        if len(hits) >= max_hits:
            return hits[:max_hits]
    return hits


def compact_rows(rows: Sequence[object], max_items: int = 6) -> str:
    """Describe row numbers briefly: ``"rows 4, 9, 17–20 and 12 more"``.

    Runs of consecutive integers are joined with an en dash; after
    ``max_items`` items (single rows or runs) the rest are counted.

    Examples
    --------
    >>> compact_rows([4, 9, 17, 18, 19, 20])
    'rows 4, 9, 17–20'
    >>> compact_rows([5])
    'row 5'
    >>> compact_rows(list(range(2, 40, 2)), max_items=3)
    'rows 2, 4, 6 and 16 more'
    """
    items: list[tuple[object, object, int]] = []  # (first, last, count)
    for row in rows:
        if items and isinstance(row, (int, np.integer)) and isinstance(items[-1][1], (int, np.integer)) \
                and row == items[-1][1] + 1:
            first, _, count = items[-1]
            items[-1] = (first, row, count + 1)
        else:
            items.append((row, row, 1))
    shown = items[:max_items]
    text = ", ".join(str(a) if n == 1 else f"{a}–{b}" for a, b, n in shown)
    rest = sum(n for _, _, n in items[max_items:])
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {text}" + (f" and {rest} more" if rest else "")


def _problems(hits: list[IdentifierHit], file: str | None, sheet: str | None) -> list[Problem]:
    order = {kind: i for i, kind in enumerate(KINDS)}
    grouped: dict[tuple[int, str, str], list[object]] = {}
    for hit in hits:
        grouped.setdefault((hit.position, hit.column, hit.kind), []).append(hit.row)
    problems = []
    for (_, column, kind), rows in sorted(grouped.items(), key=lambda kv: (kv[0][0], order[kv[0][2]])):
        in_header = [r for r in rows if r is None]
        in_cells = [r for r in rows if r is not None]
        if in_header:
            problems.append(Problem(f"the column name is a {kind}", file, sheet, None, column))
        if in_cells:
            problems.append(Problem(f"{kind} in {compact_rows(in_cells)}", file, sheet, None, column))
    return problems


def check_identifiers(
    frame: pd.DataFrame,
    *,
    file: str | None = None,
    sheet: str | None = None,
    allow_2032: bool = True,
) -> None:
    """Refuse a table that holds personal identity numbers.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read, indexed by the row numbers of the file.
    file, sheet : str, optional
        Where the table came from, for the message.
    allow_2032 : bool, default True
        See :func:`scan_identifiers`.

    Raises
    ------
    evalkit.IdentifierError
        Listing, per column and kind of number, the rows that hold one. The
        numbers themselves are never shown.

    Examples
    --------
    >>> check_identifiers(pd.DataFrame({"id": ["a1", "b2"]}))   # nothing found: passes
    >>> try:
    ...     check_identifiers(pd.DataFrame({"pnr": ["640823-3234"]}, index=[2]), file="x.csv")
    ... except IdentifierError as err:
    ...     print(err.problems[0])
    x.csv, column 'pnr': personnummer in row 2
    """
    hits = scan_identifiers(frame, allow_2032=allow_2032)
    if not hits:
        return
    problems = _problems(hits, file, sheet)
    kinds = sorted({h.kind for h in hits}, key=KINDS.index)
    columns = {h.position for h in hits}
    where = f"{file}" + (f", sheet '{sheet}'" if sheet else "") if file else "The table"
    summary = (
        f"{where} is refused: it holds personal identity numbers ({', '.join(kinds)}) "
        f"in {len(columns)} column(s). Replace them with pseudonyms using "
        f"ek.pseudonymise(frame, columns, key=...) before loading, or remove the column(s). "
        f"The numbers themselves are not shown."
    )
    raise IdentifierError(summary, problems=problems)
