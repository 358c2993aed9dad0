"""The Excel appendix: every table of the report on its own sheet, suppressed the same way.

Layout of a table sheet: row 1 the caption ("Tabell 3. …"), row 3 the header,
data from row 4, the source line two rows below the data; panes frozen below
the header. Numbers are stored as numbers with a number format (counts
``#,##0``, percentages ``0%``/``0.0%`` on shares, decimals ``#,##0.00``), so
Excel shows them with the reader's own decimal and thousands separators; a
hidden cell holds the text ``..``. A first sheet lists the tables with links.
Every string (caption, header, label, source) is written as a text cell, never
a formula, whatever it starts with (:mod:`evalkit.privacy._cells`).
"""
from __future__ import annotations

import datetime as dt

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from evalkit import i18n
from evalkit.privacy._cells import put, set_value
from evalkit.report._format import COUNT, DATE, NUMBER, PERCENT, PVALUE, YEAR, FormattedTable

__all__ = ["write_workbook", "number_format"]

_HEADER_FILL = PatternFill("solid", fgColor="E7ECF2")
_BOLD = Font(bold=True)
_CAPTION = Font(bold=True, size=12)
_SOURCE = Font(italic=True, size=9)
_HEADER_ROW = 3


def number_format(kind: str, decimals: int) -> str:
    """The Excel number format of a column kind.

    >>> number_format("percent", 1), number_format("count", 0), number_format("number", 2)
    ('0.0%', '#,##0', '#,##0.00')
    """
    fraction = "." + "0" * decimals if decimals > 0 else ""
    if kind == PERCENT:
        return f"0{fraction}%"
    if kind in (COUNT, NUMBER):
        return f"#,##0{fraction}"
    if kind == PVALUE:
        return f"0{fraction}"
    if kind == DATE:
        return "yyyy-mm-dd"
    if kind == YEAR:
        return "0"
    return "General"


def _table_sheet(workbook, name: str, caption: str, table: FormattedTable, source: str | None,
                 language: str) -> None:
    ws = workbook.create_sheet(name)
    put(ws, 1, 1, caption).font = _CAPTION
    for c, head in enumerate(table.header, start=1):
        cell = put(ws, _HEADER_ROW, c, head)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    formats = [number_format(k, d) for k, d in zip(table.kinds, table.decimals)]
    right = Alignment(horizontal="right")
    for r, (values, hidden) in enumerate(zip(table.values, table.hidden), start=_HEADER_ROW + 1):
        for c, value in enumerate(values):
            cell = ws.cell(row=r, column=c + 1)
            if hidden[c]:
                set_value(cell, i18n.SUPPRESSED)
                cell.alignment = right
                continue
            set_value(cell, i18n.MISSING if value is None and table.kinds[c] != "text" else value)
            fmt = number_format(table.kinds[c], table.cell_decimals[r - _HEADER_ROW - 1][c]) \
                if table.cell_decimals else formats[c]
            if value is not None and fmt != "General":
                cell.number_format = fmt
            elif value is None:
                cell.alignment = right
    if table.total_row and table.values:
        for c in range(len(table.header)):
            ws.cell(row=_HEADER_ROW + len(table.values), column=c + 1).font = _BOLD
    if source:
        row = _HEADER_ROW + len(table.values) + 2
        put(ws, row, 1, f"{i18n.label('source', language)}: {source}").font = _SOURCE
    ws.freeze_panes = ws.cell(row=_HEADER_ROW + 1, column=1)
    for c, head in enumerate(table.header, start=1):
        longest = max([len(head)] + [len(row[c - 1]) for row in table.text])
        ws.column_dimensions[get_column_letter(c)].width = min(60, max(10, longest + 2))


def write_workbook(path, tables, language: str, fixed_time: dt.datetime, title: str) -> None:
    """Write ``tables`` — (number, caption, FormattedTable, source) tuples — to an .xlsx at ``path``."""
    workbook = Workbook()
    contents = workbook.active
    contents.title = i18n.label("xlsx_contents", language)
    put(contents, 1, 1, title).font = _CAPTION
    for c, head in enumerate((i18n.label("xlsx_sheet", language), i18n.label("xlsx_caption", language)), 1):
        cell = put(contents, 3, c, head)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    label = i18n.label("table", language)
    for i, (number, caption, table, source) in enumerate(tables, start=4):
        name = f"{label} {number}"
        full_caption = f"{label} {number}. {caption}"
        _table_sheet(workbook, name, full_caption, table, source, language)
        link = put(contents, i, 1, name)
        link.hyperlink = f"#'{name}'!A1"
        link.font = Font(color="0563C1", underline="single")
        put(contents, i, 2, caption)
    contents.freeze_panes = "A4"
    contents.column_dimensions["A"].width = 14
    contents.column_dimensions["B"].width = 90
    props = workbook.properties
    props.creator = props.lastModifiedBy = "evalkit"
    props.title = title
    props.created = props.modified = fixed_time
    workbook.save(path)
