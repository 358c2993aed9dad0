"""Keyed pseudonyms for identifier columns (HMAC-SHA256)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.privacy._identifiers import classify_number

__all__ = ["pseudonymise", "normalise_identifier"]

_SEPARATORS = re.compile(r"[\s\-+]")
_MAX_LENGTH = 52  # base32 characters in a SHA-256 digest (256 bits / 5, rounded down)


def normalise_identifier(value: object) -> str:
    """The canonical text of an identifier, so that spellings of one number agree.

    * Swedish numbers become their 10 digits ``YYMMDDNNNC`` — the century is
      dropped (see Notes), so ``'19640823-3234'``, ``'640823-3234'``,
      ``'640823+3234'`` and ``196408233234`` are one person.
    * Norwegian numbers become their 11 digits (spaces removed).
    * Integers that lost a leading zero in a spreadsheet get it back
      (9 digits → Swedish, 10 digits → Norwegian) when that makes a valid number.
    * Other text made of digits and separators (spaces, '-', '+') keeps its
      digits only; anything else is kept as text with surrounding whitespace
      removed (floats that are whole numbers lose their ``.0``).

    Notes
    -----
    Century rule: a 10-digit Swedish number does not say its century, and the
    reading Skatteverket prescribes ('-' means under 100 years old on the day
    of writing, '+' 100 or older) depends on the date the number was written,
    which an export does not record. Dropping the century instead gives the
    same pseudonym to every spelling, on every day. Two people share a
    10-digit number only if they were born exactly 100 years apart with the
    same birth number — a risk accepted by every register that stores the
    10-digit form.

    Examples
    --------
    >>> normalise_identifier("19640823-3234"), normalise_identifier(6408233234.0)
    ('6408233234', '6408233234')
    >>> normalise_identifier("168225 48834")
    '16822548834'
    """
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer, float, np.floating)):
        return _normalise_number(value)
    text = str(value).strip()
    digits = _SEPARATORS.sub("", text)
    if not (digits.isascii() and digits.isdigit()):
        return text
    if len(digits) == 12 and classify_number(digits) is not None:
        return digits[-10:]
    return digits


def _normalise_number(value: int | float) -> str:
    number = float(value)
    if not np.isfinite(number) or number != np.floor(number):
        return str(value)
    text = str(int(number))
    for candidate in (text, text.zfill(10), text.zfill(11)):
        if len(candidate) > len(text) + 1:
            continue
        if classify_number(candidate) is not None:
            return normalise_identifier(candidate)
    return text


def _key_bytes(key: bytes | str) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)):
        raise ConfigError(f"pseudonymise: key must be bytes or str, not {type(key).__name__}.")
    if len(key) == 0:
        raise ConfigError(
            "pseudonymise: the key is empty. Give a secret key (at least 16 random bytes, e.g. "
            "secrets.token_hex(16)) and keep it outside the data and the report."
        )
    return bytes(key)


def _pseudonym(text: str, key: bytes, prefix: str, length: int) -> str:
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()
    # base32 (a–z, 2–7) rather than hex: hex pseudonyms contain long digit runs
    # that the identifier scan would now and then take for an identity number.
    return prefix + base64.b32encode(digest).decode("ascii").lower()[:length]


def pseudonymise(
    frame: pd.DataFrame,
    columns: str | Iterable[str],
    *,
    key: bytes | str,
    prefix: str = "",
    length: int = 16,
) -> pd.DataFrame:
    """Replace identifiers by keyed pseudonyms.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; it is not changed.
    columns : str or iterable of str
        Columns to pseudonymise. Every non-missing value is replaced, whether
        or not it is an identity number.
    key : bytes or str
        The secret key. Keep it outside the data: with the key and a list of
        candidate numbers anyone can recompute the pseudonyms. It is never
        stored in the result.
    prefix : str, default ""
        Text put before every pseudonym (e.g. ``"p"``).
    length : int, default 16
        Characters of the hash kept (base32, 5 bits each; 16 → 80 bits).

    Returns
    -------
    pandas.DataFrame
        A copy with the columns replaced (dtype ``str``; missing stays missing).

    Raises
    ------
    evalkit.ConfigError
        Empty key, bad length, or a column that is not in the frame.

    Notes
    -----
    pseudonym = prefix + base32(HMAC-SHA256(key, normalise_identifier(value)))[:length],
    lower case. The value is normalised first (:func:`normalise_identifier`), so
    the different spellings of one person's number get one pseudonym. With the
    same key the pseudonyms are the same in every file and on every run, so
    tables can still be joined on them.

    Examples
    --------
    >>> df = pd.DataFrame({"pnr": ["19640823-3234", "640823-3234", "196408233234"]})
    >>> out = pseudonymise(df, "pnr", key="not-a-real-secret", prefix="p")
    >>> out["pnr"].nunique(), len(out["pnr"].iloc[0])
    (1, 17)
    """
    secret = _key_bytes(key)
    if not isinstance(length, (int, np.integer)) or not 8 <= length <= _MAX_LENGTH:
        raise ConfigError(f"pseudonymise: length must be an integer from 8 to {_MAX_LENGTH}, not {length!r}.")
    wanted = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ConfigError(f"pseudonymise: no column(s) {missing} in the table; it has {list(frame.columns)}.")
    result = frame.copy()
    for column in wanted:
        result[column] = _pseudonymise_column(frame[column], secret, prefix, int(length))
    return result


def _pseudonymise_column(series: pd.Series, key: bytes, prefix: str, length: int) -> pd.Series:
    present = series.notna()
    uniques = pd.unique(series[present])
    mapping = {value: _pseudonym(normalise_identifier(value), key, prefix, length) for value in uniques}
    out = pd.Series(pd.NA, index=series.index, dtype="str")
    out[present] = series[present].map(mapping).astype("str")
    return out
