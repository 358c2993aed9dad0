"""Offset conventions of the coding tools, and the check that a selection's offsets hold.

Every tool stores a text selection as (start, end) on a plain text, but not all
count the same way (ecosystem.md §A5): NVivo counts a Windows line end
``\\r\\n`` as two characters, ATLAS.ti as one ("as though it is \\n"), Qt-based
tools count UTF-16 code units (an emoji is two). evalkit stores every text with
``\\n`` line ends and every offset in Python code points (0-based, end-exclusive),
so each convention is a mapping from the stored offsets to ours.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["CONVENTIONS", "vendor_convention", "to_code_points", "normalise_text", "choose_convention",
           "preview_matches", "to_lf"]

#: "crlf2": a CRLF counts 2 (raw text); "lf": offsets on the text with LF line ends;
#: "utf16": UTF-16 code units on the LF text.
CONVENTIONS = ("crlf2", "lf", "utf16")

# Project/@origin prefix → convention tried first (the others are tried when previews disagree)
_VENDOR = (("nvivo", "crlf2"), ("atlas.ti", "lf"), ("maxqda", "crlf2"), ("qualcoder", "lf"),
           ("taguette", "lf"), ("evalkit", "lf"))


def vendor_convention(origin: str | None) -> str:
    """The offset convention a producer is known to use (``"lf"`` when unknown)."""
    low = (origin or "").lower()
    for prefix, conv in _VENDOR:
        if low.startswith(prefix):
            return conv
    return "lf"


def normalise_text(raw: str) -> str:
    """Strip a BOM and turn CRLF/CR line ends into LF (the text evalkit stores)."""
    return raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def to_lf(raw: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """The LF text of ``raw`` and ``spans`` (code points on ``raw``) moved onto it.

    For texts built in memory (a Python string slices in code points, a CRLF
    counting two), so a :class:`~evalkit.io.codings.Codings` always holds what
    its documentation promises: LF text, offsets in code points on that text.

    >>> to_lf("a\\r\\nb😀c", [(3, 6)])
    ('a\\nb😀c', [(2, 5)])
    """
    bom = 1 if raw.startswith("\ufeff") else 0
    maps = _maps(raw)
    moved = [(to_code_points(max(a - bom, 0), "crlf2", maps), to_code_points(max(b - bom, 0), "crlf2", maps))
             for a, b in spans]
    return normalise_text(raw), moved


@dataclass(frozen=True)
class _Maps:
    crlf: list[int]      # raw positions of every '\r' that starts a CRLF
    astral: list[int]    # LF-text code-point positions of characters beyond the BMP


def _maps(raw: str) -> _Maps:
    text = normalise_text(raw)
    raw = raw.lstrip("\ufeff")
    return _Maps([m.start() for m in re.finditer("\r\n", raw)],
                 [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF])


def to_code_points(pos: int, convention: str, maps: _Maps) -> int:
    """Map a stored offset to a code-point offset on the LF text."""
    if convention == "crlf2":
        # every CRLF strictly before pos shrinks by one
        return pos - bisect.bisect_left(maps.crlf, pos - 1)
    if convention == "utf16":
        # each astral char before the position took two units
        cp = pos
        for _ in range(4):  # fixed point of cp = pos - (astral chars before cp)
            cp = pos - bisect.bisect_left(maps.astral, cp)
        return max(cp, 0)
    return pos


def preview_matches(slice_: str, preview: str | None) -> bool | None:
    """Does a selection's stored preview (its ``name``) agree with the sliced text?

    None when there is no usable preview. Previews are truncated and often
    end in "..." and may have collapsed white space, so the comparison is on
    the first words with white space squeezed.
    """
    if not preview or not preview.strip():
        return None
    p = re.sub(r"\s+", " ", preview).strip()
    p = re.sub(r"(\.\.\.|…)$", "", p).strip()
    if not p:
        return None
    s = re.sub(r"\s+", " ", slice_).strip()
    n = min(len(p), 40)
    return s[:n].lower() == p[:n].lower()


def _boundary_score(text: str, spans: list[tuple[int, int]]) -> int:
    """Selections that start and end at a word boundary (a plausibility check without previews)."""
    score = 0
    for a, b in spans:
        if 0 <= a <= b <= len(text):
            ok_a = a == 0 or not (text[a - 1].isalnum() and text[a].isalnum()) if a < len(text) else True
            ok_b = b == len(text) or b == 0 or not (text[b - 1].isalnum() and text[b].isalnum())
            score += ok_a and ok_b
    return score


def choose_convention(raw: str, selections: list[tuple[int, int, str | None]], origin: str | None
                      ) -> tuple[str, list[tuple[int, int]], dict]:
    """Pick the offset convention for one source and map its selections.

    Parameters
    ----------
    raw : str
        The plain text as stored (BOM and CRLF kept).
    selections : list of (start, end, preview)
    origin : str
        ``Project/@origin`` (the vendor decides the first guess).

    Returns
    -------
    convention, mapped spans (code points on the LF text), details
        ``details`` holds per convention the preview matches and mismatches
        and the word-boundary score, for the import report.

    Notes
    -----
    The vendor's known convention is kept unless another one explains
    strictly more previews (or, when no selection has a preview, strictly more
    word-boundary starts and ends): offsets that match nothing are reported,
    never silently shifted.
    """
    maps = _maps(raw)
    text = normalise_text(raw)
    first = vendor_convention(origin)
    candidates = [first] + [c for c in CONVENTIONS if c != first]
    if not maps.crlf:
        candidates = [c for c in candidates if c != "crlf2"] or ["lf"]
    if not maps.astral:
        candidates = [c for c in candidates if c != "utf16"]
    if first not in candidates:
        first = candidates[0]
    details: dict[str, dict] = {}
    mapped: dict[str, list[tuple[int, int]]] = {}
    for conv in candidates:
        spans = [(to_code_points(a, conv, maps), to_code_points(b, conv, maps)) for a, b, _ in selections]
        checks = [preview_matches(text[a:b], p) for (a, b), (_, _, p) in zip(spans, selections)]
        details[conv] = {"match": sum(c is True for c in checks), "mismatch": sum(c is False for c in checks),
                         "boundary": _boundary_score(text, spans), "checks": checks}
        mapped[conv] = spans
    has_preview = any(details[first]["checks"][i] is not None for i in range(len(selections)))
    key = "match" if has_preview else "boundary"
    best = max(candidates, key=lambda c: (details[c][key], c == first))
    return best, mapped[best], details
