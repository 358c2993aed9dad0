"""How wide text is in the report's table font, from Adobe's Helvetica metrics.

Word renders the template's tables in Arial, LibreOffice in Liberation Sans; both are
metric-compatible with Helvetica, whose Adobe Font Metrics (AFM) files matplotlib ships.
Counting characters instead underestimated "Oddskvot" and overestimated "1,03", so columns
broke words that fit and left numbers room they did not need.
"""
from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

__all__ = ["text_twips"]

_FALLBACK = 556  # a digit's width (1/1000 em): the usual unknown character in a table
# characters outside the AFM's standard encoding that tables use
_EXTRA = {"\u2212": 584, "\u00a0": 278, "\u202f": 167, "\u2009": 167, "\u2013": 556, "\u2014": 1000,
          "\u2264": 584, "\u2265": 584, "\u00b1": 584, "\u00d7": 584, "\u2019": 222, "\u201d": 333}


@functools.cache
def _widths(bold: bool) -> dict[str, int]:
    """Advance widths of Helvetica (``phvr8a.afm``) or Helvetica-Bold (``phvb8a.afm``) by character."""
    import matplotlib

    afm = Path(matplotlib.get_data_path()) / "fonts" / "afm" / ("phvb8a.afm" if bold else "phvr8a.afm")
    widths = {}
    for line in afm.read_text(encoding="latin-1").splitlines():
        if line.startswith("C "):
            fields = dict(part.strip().split(" ", 1) for part in line.split(";") if part.strip())
            code = int(fields["C"])
            if 32 <= code < 127:
                widths[chr(code)] = int(fields["WX"])
    return widths


def _char_width(char: str, widths: dict[str, int]) -> int:
    if char in widths:
        return widths[char]
    if char in _EXTRA:
        return _EXTRA[char]
    base = unicodedata.normalize("NFD", char)[:1]   # å, ä, ö, ø, é: their base letter's width
    return widths.get(base, _FALLBACK)


def text_twips(text: str, size_pt: float, *, bold: bool = False) -> float:
    """Width of ``text`` set in Arial/Helvetica at ``size_pt`` points, in twips (1/20 pt).

    >>> round(text_twips("Oddskvot", 8, bold=True))
    738
    """
    widths = _widths(bold)
    return sum(_char_width(c, widths) for c in text) * size_pt / 1000 * 20
