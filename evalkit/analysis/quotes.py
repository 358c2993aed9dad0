"""Representative interview quotes, labelled by role only, with identifying details masked.

:func:`mask_text` replaces, in this order: e-mail addresses, personal identity
numbers (Swedish personnummer/samordningsnummer, Norwegian fødselsnummer — any
10/12- or 11-digit form with a valid date is masked, check digit or not, since a
typo'd number still identifies), phone numbers (Swedish and Norwegian forms),
street addresses (a street word such as "-gatan", "-vägen", "-veien" followed by
a house number), names from a configurable list, and names found by
capitalisation heuristics (two or more capitalised words in a row, also at a
sentence start; a capitalised word after a kinship or naming cue such as "heter",
"dotter", "kollega"). The heuristics over-mask rather than under-mask; place
names met in normal prose ("Norr", "Centrum") are kept when alone.

:func:`select_quotes` picks, per theme and group, up to ``n`` segments within
length limits, at most one per interview (diversity across sources), the ones
closest to the median length first (typical rather than extreme), and labels
each by role and a number ("Handläggare 3") that is stable within the result.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from evalkit import i18n

__all__ = ["mask_text", "select_quotes", "role_labels"]

#: replacement text per kind and language

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 12/10 digit Swedish (YYYYMMDD-XXXX, YYMMDD-XXXX, +), 11 digit Norwegian (DDMMYY XXXXX)
_ID = re.compile(r"(?<!\d)(?:(?:19|20)?\d{6}[-+ ]?\d{4}|\d{6} ?\d{5})(?!\d)")
# phone: +46/+47 or leading 0, then digits with spaces/dashes, 7–12 digits in all
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{2}[\s-]?|0)\d{1,3}(?:[\s-]?\d){5,9}(?!\d)")
_STREET = re.compile(r"\b[A-ZÅÄÖÆØ][\wåäöæøé]*(?:gatan|gata|vägen|väg|gränd|torget|stigen|allén|backen|"
                     r"gate|gata|veien|vegen|vei|veg|plass|street|road|avenue)\s+\d+(?:\s?[A-Z]\b)?"
                     r"|\b(?:[A-ZÅÄÖÆØ][\wåäöæøé]*\s+){1,3}(?:gate|gata|vei|veg|väg|gränd|allé|plass|Street|Road)"
                     r"\s+\d+(?:\s?[A-Z]\b)?")
_CUES = ("heter", "hette", "kallas", "dotter", "son", "sonen", "dottern", "fru", "frun", "man", "mannen",
         "mamma", "pappa", "syster", "bror", "kollega", "kollegan", "kontaktperson", "kontaktpersonen",
         "undersköterskan", "handläggaren", "datter", "sønn", "kone", "mor", "far", "søster", "bror",
         "kollegaen", "named", "called", "daughter", "son", "wife", "husband", "colleague")
_CAP = r"[A-ZÅÄÖÆØÉ][a-zåäöæøéü]+(?:-[A-ZÅÄÖÆØ][a-zåäöæøé]+)?"
# the cue in any case, the name capitalised: "man frågade" (one asked) is not "mannen Erik"
_CUE_NAME = re.compile(r"\b(?i:" + "|".join(_CUES) + r")\s+(" + _CAP + r")")
# two or more capitalised words in a row, sentence starts included ("Lena Berg kommer …")
_RUN = re.compile(r"\b(" + _CAP + r"(?:[ \t]+" + _CAP + r")+)\b")


def mask_text(text: str, *, names: Iterable[str] = (), language: str = "sv") -> str:
    """Mask names, identity numbers, phone numbers, e-mail and street addresses in a quote.

    Parameters
    ----------
    text : str
    names : iterable of str
        Names to mask wherever they occur as whole words (staff, relatives,
        the municipality's own list).
    language : {"sv", "nb", "en"}
        Language of the replacement tokens.

    Examples
    --------
    >>> mask_text("Ring Lena Berg på 070-123 45 67 eller lena@kommun.se, hon bor på Storgatan 5.")
    'Ring [namn] på [telefon] eller [e-post], hon bor på [adress].'
    >>> mask_text("Min dotter Karin hjälper till.", language="en")
    'Min dotter [name] hjälper till.'
    """
    m = i18n.words("quotes", language, "masks")
    text = _EMAIL.sub(m["email"], text)
    text = _ID.sub(m["id"], text)
    text = _PHONE.sub(m["phone"], text)
    text = _STREET.sub(m["address"], text)
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = re.sub(r"\b" + re.escape(name) + r"\b", m["name"], text, flags=re.IGNORECASE)
    text = _RUN.sub(lambda x: _name_run(x, m["name"]), text)
    text = _CUE_NAME.sub(lambda x: x.group(0)[: x.start(1) - x.start(0)] + m["name"], text)
    return text


def _name_run(match: re.Match, token: str) -> str:
    """Mask a run of capitalised words; at a sentence start a run of three or more keeps its first word,
    which is then most likely an ordinary capitalised word ("Ring Lena Berg")."""
    words = match.group(1).split()
    before = match.string[: match.start()].rstrip()
    if len(words) >= 3 and (not before or before[-1] in ".!?:"):
        return words[0] + " " + token
    return token


def role_labels(groups: pd.Series, role_names: dict[str, str] | None = None) -> pd.Series:
    """Number the sources within each group: "Handläggare 1", "Handläggare 2", … (index = source).

    Numbers follow the order of the series, so they are stable for the same
    data; they never carry a name or an identifier.
    """
    names = role_names or {}
    counter: dict[str, int] = {}
    out = {}
    for source, group in groups.items():
        counter[group] = counter.get(group, 0) + 1
        out[source] = f"{names.get(group, str(group).capitalize())} {counter[group]}"
    return pd.Series(out, name="label")


def select_quotes(segments: pd.DataFrame, labels: pd.Series, *, n: int = 2, min_chars: int = 40,
                  max_chars: int = 300, names: Sequence[str] = (), language: str = "sv", seed: int = 0
                  ) -> pd.DataFrame:
    """Pick up to ``n`` masked quotes per (code, group), no text twice under one code.

    Parameters
    ----------
    segments : DataFrame
        Columns ``code_guid, source_guid, group, text`` (one coder's segments).
    labels : Series
        Role label per source GUID (:func:`role_labels`).
    n, min_chars, max_chars : int
        Quotes per cell and length limits (longer segments are cut at a
        sentence end within the limit, or at a word with "…").
    seed : int
        Breaks ties between equally typical segments.

    Returns
    -------
    DataFrame
        ``code_guid, group, source_guid, label, quote``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    seg = segments.dropna(subset=["text"])
    shown: dict[object, set[str]] = {}   # the quotes of a theme, so no text is shown twice under it
    for (code, group), cell in seg.groupby(["code_guid", "group"], sort=True):
        # masked before it is cut, so the length limit holds for the text the reader sees ("[namn]" is
        # longer than many of the names it hides)
        cell = cell.assign(quote=[_trim(mask_text(t, names=names, language=language), max_chars)
                                  for t in cell["text"]])
        used = shown.setdefault(code, set())
        # the same words from several interviews read as one quote attributed to several people
        cell = cell[(cell["quote"].str.len() >= min_chars) & ~cell["quote"].isin(used)]
        cell = cell.drop_duplicates("quote")
        if cell.empty:
            continue
        med = cell["quote"].str.len().median()
        cell = cell.assign(_d=(cell["quote"].str.len() - med).abs(), _r=rng.random(len(cell)))
        cell = cell.sort_values(["_d", "_r"]).drop_duplicates("source_guid")
        for r in cell.head(n).to_dict("records"):
            used.add(r["quote"])
            rows.append({"code_guid": code, "group": group, "source_guid": r["source_guid"],
                         "label": labels.get(r["source_guid"], str(group)),
                         "quote": r["quote"]})
    return pd.DataFrame(rows, columns=["code_guid", "group", "source_guid", "label", "quote"])


def _trim(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end > limit // 2:
        return cut[: end + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + " …"
