"""Spreadsheet grids for :mod:`evalkit.io.read`: .xlsx via openpyxl, legacy .xls via xlrd.

Private helper. A grid is a list of (sheet row number, cell strings) plus the
merged ranges as (min_row, min_col, max_row, max_col), all 1-based. Cell
values become strings here so that one code path (header detection, exclusions)
serves CSV and Excel; numbers keep every digit (``repr`` of the float) and
dates are written ISO so that the type inference reads them back exactly.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from evalkit.errors import DataError, Problem

Merge = tuple[int, int, int, int]


def cell_text(value) -> str:
    """A spreadsheet value as the string the inference will read back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    return str(value)


def _pick_sheet(names: list[str], sheet, path: Path) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
    elif sheet in names:
        return sheet
    from evalkit.privacy import safe_value

    # sheet names are quoted masked: a name holding a number is refused by the gate, but the
    # gate runs on the sheet read, and this is the error for a sheet that cannot be read
    shown = [safe_value(n) for n in names]
    asked = safe_value(repr(sheet))
    raise DataError(f"{path.name}: no sheet {asked}; the workbook has {shown}",
                    [Problem(f"unknown sheet {asked}; sheets: {', '.join(shown)}", file=str(path))])


def xlsx_grid(path: Path, sheet, gate=None) -> tuple[str, list[tuple[int, list[str]]], list[Merge]]:
    """Read one worksheet (normal mode: read-only mode does not report merged cells).

    With a :class:`evalkit.privacy.Gate`, every other sheet, the sheet names and
    every XML part of the workbook (comments, properties, names, formulas) are
    searched for identity numbers too; the sheet read is searched by the caller.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile) as exc:
        raise DataError(f"{path.name}: not a valid .xlsx workbook ({exc}); an .xlsx is a zip archive — "
                        "was it renamed from another format?",
                        [Problem("not an xlsx workbook", file=str(path))]) from None
    except Exception as exc:  # openpyxl raises KeyError/ValueError/TypeError on damaged parts
        raise DataError(f"{path.name}: the workbook cannot be read ({type(exc).__name__}: {exc})",
                        [Problem("damaged xlsx", file=str(path))]) from None
    name = _pick_sheet(wb.sheetnames, sheet, path)
    ws = wb[name]
    if not hasattr(ws, "iter_rows"):
        from evalkit.privacy import safe_value

        raise DataError(f"{path.name}: sheet {safe_value(repr(name))} is a chart sheet, not a table",
                        [Problem("chart sheet", file=str(path), sheet=safe_value(name))])
    rows = [(n, [cell_text(v) for v in values])
            for n, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)]
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    if gate is not None:
        from evalkit.privacy._gate import gate_workbook

        gate_workbook(gate, path, wb, skip_sheet=name)
    return name, rows, merges


def xls_grid(path: Path, sheet, gate=None) -> tuple[str, list[tuple[int, list[str]]], list[Merge]]:
    """Read one sheet of a legacy BIFF .xls with xlrd (``gate``: as in :func:`xlsx_grid`)."""
    try:
        import xlrd
    except ImportError:
        raise DataError(f"{path.name}: legacy .xls needs the 'xlrd' package (pip install xlrd), "
                        "or re-save the file as .xlsx") from None
    try:
        try:
            book = xlrd.open_workbook(str(path), formatting_info=True)
        except NotImplementedError:  # formatting_info is not implemented for some BIFF versions
            book = xlrd.open_workbook(str(path))
    except Exception as exc:  # xlrd.XLRDError, struct.error, CompDocError …
        raise DataError(f"{path.name}: not a readable legacy .xls workbook ({exc})",
                        [Problem("not an xls workbook", file=str(path))]) from None
    name = _pick_sheet(book.sheet_names(), sheet, path)
    sh = book.sheet_by_name(name)
    rows = []
    for r in range(sh.nrows):
        cells = []
        for c in range(sh.ncols):
            cell = sh.cell(r, c)
            value = cell.value
            if cell.ctype == xlrd.XL_CELL_DATE:
                value = xlrd.xldate_as_datetime(value, book.datemode)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                value = xlrd.error_text_from_code.get(value, "#ERR")
            cells.append(cell_text(value))
        rows.append((r + 1, cells))
    merges = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in getattr(sh, "merged_cells", [])]
    if gate is not None:
        from evalkit.privacy._gate import gate_xls

        gate_xls(gate, path, book, skip_sheet=name)
    return name, rows, merges
