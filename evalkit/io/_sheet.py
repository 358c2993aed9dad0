"""Spreadsheet grids for :mod:`evalkit.io.read`: .xlsx via openpyxl, legacy .xls via xlrd.

Private helper. A grid is a list of (sheet row number, cell strings) plus the
merged ranges as (min_row, min_col, max_row, max_col), all 1-based. Cell
values become strings here so that one code path (header detection, exclusions)
serves CSV and Excel; numbers keep every digit (``repr`` of the float) and
dates are written ISO so that the type inference reads them back exactly.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from evalkit.errors import DataError, Problem

Merge = tuple[int, int, int, int]

#: The most cells (rows with a value × columns up to the last value) a sheet may span; an .xlsx is refused
#: beyond it rather than padded out in memory. 20 million cells is ~400 MB of strings; raise it
#: (``evalkit.io._sheet.MAX_SHEET_CELLS = …``) for a larger sheet on a larger machine.
MAX_SHEET_CELLS = 20_000_000
#: The longest run of empty rows allowed between two rows with values. Every row after the header is
#: accounted for (kept or excluded with its number), so one stray value at row 1 048 576 would make a
#: million "blank row" exclusions; such a sheet is refused, naming the cell, instead.
MAX_BLANK_RUN = 10_000


def xlsx_limits():
    """The archive limits an .xlsx is opened within (:class:`evalkit.io.codings.ArchiveLimits`, defaults).

    An .xlsx is a zip; its parts are XML, which deflates 5–30 times. The REFI-QDA reader's
    limits apply unchanged: 256 MiB per part, 1 GiB in all, a ratio of 200 above 1 MiB.
    """
    from evalkit.io.codings import ArchiveLimits

    return ArchiveLimits()


def check_archive(path: Path, limits=None, what: str = ".xlsx workbook") -> None:
    """Refuse a zip whose declared sizes or compression ratios exceed ``limits`` before anything inflates it.

    ``zipfile`` never inflates a member beyond its declared size (it stops and reports a bad CRC), so
    checking the central directory's declared sizes bounds what openpyxl can unpack.
    """
    from evalkit.io.codings import ArchiveLimits

    lim = ArchiveLimits.of(limits) if limits is not None else xlsx_limits()
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path.name}: not a valid {what} ({exc}); an .xlsx is a zip archive — "
                        "was it renamed from another format?",
                        [Problem("not an xlsx workbook", file=str(path))]) from None
    mib = 1024 * 1024
    problem = [Problem("archive above the limits (possible zip bomb)", file=str(path))]
    if len(infos) > lim.max_members:
        raise DataError(f"{path.name}: the {what} holds {len(infos)} parts, above the limit of "
                        f"{lim.max_members} (ArchiveLimits.max_members)", problem)
    total = 0
    for i, info in enumerate(infos, start=1):
        total += info.file_size
        if info.file_size > lim.max_member_bytes:
            raise DataError(f"{path.name}: part no. {i} of the {what} is {info.file_size / mib:.1f} MiB "
                            f"uncompressed, above the limit of {lim.max_member_bytes / mib:g} MiB "
                            "(ArchiveLimits.max_member_bytes); refused as a possible zip bomb", problem)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= lim.ratio_floor and ratio > lim.max_ratio:
            raise DataError(f"{path.name}: part no. {i} of the {what} inflates {ratio:.0f} times (limit "
                            f"ArchiveLimits.max_ratio = {lim.max_ratio:g}); refused as a possible zip bomb",
                            problem)
    if total > lim.max_total_bytes:
        raise DataError(f"{path.name}: the {what} unpacks to {total / mib:.1f} MiB, above the limit of "
                        f"{lim.max_total_bytes / mib:g} MiB (ArchiveLimits.max_total_bytes); refused as a "
                        "possible zip bomb", problem)


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

    check_archive(path)
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
    rows = sparse_rows(ws, path, name)
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    _refuse_uncached_formulas(path, wb.sheetnames.index(name), name)
    if gate is not None:
        from evalkit.privacy._gate import gate_workbook

        gate_workbook(gate, path, wb, skip_sheet=name)
    return name, rows, merges


def sparse_rows(ws, path: Path, sheet: str) -> list[tuple[int, list[str]]]:
    """The sheet's rows up to the last one holding a value, built from the cells that exist.

    ``ws.iter_rows`` creates a cell object for every position of the used range: one stray
    value at row 1 048 576 made it build a million rows (30 s, 800 MB for one column, far more
    for a wide sheet). Here only stored cells are read; rows between them are empty lists, and
    the span (rows with a value × last column) is refused above :data:`MAX_SHEET_CELLS`.
    """
    by_row: dict[int, dict[int, object]] = {}
    for (r, c), cell in ws._cells.items():   # openpyxl's sparse store (public API has no sparse walk)
        if cell.value is not None:
            by_row.setdefault(r, {})[c] = cell.value
    if not by_row:
        return []
    _refuse_long_gaps(sorted(by_row), by_row, path, sheet)
    width = max(max(cols) for cols in by_row.values())
    if len(by_row) * width > MAX_SHEET_CELLS:
        from openpyxl.utils import get_column_letter
        from evalkit.privacy import safe_value

        last = max(by_row)
        raise DataError(
            f"{path.name}, sheet {safe_value(repr(sheet))}: {len(by_row):,} rows with values and columns up to "
            f"{get_column_letter(width)} span {len(by_row) * width:,} cells, above the limit of "
            f"{MAX_SHEET_CELLS:,} (evalkit.io._sheet.MAX_SHEET_CELLS); a stray value far right or down "
            f"(last row {last:,})? Delete it, or raise the limit",
            [Problem("sheet above the cell limit", file=str(path), sheet=safe_value(sheet), row=last,
                     column=get_column_letter(width))])
    out = []
    for n in range(1, max(by_row) + 1):
        cols = by_row.get(n)
        if not cols:
            out.append((n, []))
            continue
        cells = [""] * max(cols)
        for c, v in cols.items():
            cells[c - 1] = cell_text(v)
        out.append((n, cells))
    return out


def _refuse_long_gaps(numbers: list[int], by_row: dict, path: Path, sheet: str) -> None:
    previous = 0
    for n in numbers:
        if n - previous - 1 > MAX_BLANK_RUN:
            from openpyxl.utils import get_column_letter
            from evalkit.privacy import safe_value

            cell = f"{get_column_letter(min(by_row[n]))}{n}"
            raise DataError(
                f"{path.name}, sheet {safe_value(repr(sheet))}: cell {cell} holds a value after {n - previous - 1:,} "
                f"empty rows (more than {MAX_BLANK_RUN:,}, evalkit.io._sheet.MAX_BLANK_RUN) — a stray value far "
                "below the table? Delete it (or clear the rows below the table) and read the file again",
                [Problem("value after a long run of empty rows", file=str(path), sheet=safe_value(sheet), row=n,
                         column=get_column_letter(min(by_row[n])))])
        previous = n


_SHEET_ENTRY = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"')
_REL = re.compile(rb'<Relationship\b[^>]*>')
_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_REF = re.compile(rb'\br="([A-Z]+\d+)"')


def _sheet_part(zf: zipfile.ZipFile, position: int) -> str | None:
    """The zip member holding the ``position``-th sheet (workbook order), via the workbook's relations."""
    try:
        ids = _SHEET_ENTRY.findall(zf.read("xl/workbook.xml"))
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    if position >= len(ids):
        return None
    for rel in _REL.findall(rels):
        rid = re.search(rb'\bId="([^"]+)"', rel)
        target = re.search(rb'\bTarget="([^"]+)"', rel)
        if rid and target and rid.group(1) == ids[position]:
            t = target.group(1).decode()
            return t.lstrip("/") if t.startswith("/") else "xl/" + t
    return None


def uncached_formulas(path: Path, position: int) -> list[str]:
    """Cells of the sheet that hold a formula but no saved result (written by a script, never recalculated).

    openpyxl's ``data_only=True`` reads such a cell as empty; the sheet XML says which they are.
    """
    with zipfile.ZipFile(path) as zf:
        part = _sheet_part(zf, position)
        if part is None or part not in zf.namelist():
            return []
        xml = zf.read(part)
    if b"<f" not in xml:
        return []
    found = []
    for attrs, body in _CELL.findall(xml):
        body = body or b""
        if (b"<f>" in body or b"<f " in body or b"<f/>" in body) and not re.search(rb"<v>[^<]", body):
            ref = _REF.search(attrs)
            found.append(ref.group(1).decode() if ref else "?")
    return found


def _refuse_uncached_formulas(path: Path, position: int, sheet: str) -> None:
    cells = uncached_formulas(path, position)
    if cells:
        from evalkit.privacy import safe_value

        shown = ", ".join(cells[:10]) + (" …" if len(cells) > 10 else "")
        raise DataError(
            f"{path.name}, sheet {safe_value(repr(sheet))}: {len(cells)} formula cell(s) have no saved result "
            f"({shown}); the workbook was written by a program and never recalculated, so these cells would "
            "read as empty. Open and save it in Excel or LibreOffice (or export the values), then read it again",
            [Problem("formula without a saved value", file=str(path), sheet=safe_value(sheet),
                     row=int(re.sub(r"\D", "", c) or 0) or None, column=re.sub(r"\d", "", c))
             for c in cells[:50]])


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
