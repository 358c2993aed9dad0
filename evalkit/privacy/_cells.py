"""Text that evalkit writes into a spreadsheet stays text: no formula injection.

openpyxl stores any string that starts with ``=`` as a formula (``<f>``), so a
theme, group or file name such as ``=HYPERLINK("http://…")`` or
``=cmd|' /C calc'!A0`` would become a live formula in the Excel appendix or an
audit form. :func:`put` writes every string as a string cell (``data_type
"s"``; openpyxl writes an inline string, which Excel and LibreOffice show
as-is and never evaluate) and marks strings that start with a character a
spreadsheet reads as the start of a formula (``= + - @``, tab, CR, LF) with
Excel's *quote prefix* flag (the cell-format equivalent of typing a leading
apostrophe), so the text stays text even when a reader edits the cell. The
text itself is not changed: no apostrophe is added to the value, so what is
read back is what was written. Numbers, dates and booleans are written as they
are. Characters XML cannot hold (C0 controls other than tab, LF, CR) are
dropped, because openpyxl would refuse the whole workbook for them.

This follows OWASP's "CSV injection" guidance for spreadsheet output, using
the cell type rather than altering the text.
"""
from __future__ import annotations

__all__ = ["put", "FORMULA_STARTS"]

#: First characters that Excel, LibreOffice or Google Sheets read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def put(ws, row: int, column: int, value=None):
    """Set ``ws.cell(row, column)`` to ``value`` so that a string is always a string cell; return the cell."""
    cell = ws.cell(row=row, column=column)
    set_value(cell, value)
    return cell


def set_value(cell, value) -> None:
    """Give ``cell`` the value ``value``, a string always as text (see the module docstring)."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value
