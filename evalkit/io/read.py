"""The robust table reader behind every evalkit loader.

:func:`read_raw` returns every cell as a string with the file's own row numbers
as the index and an account of every row that is not data; :func:`read_table`
adds type inference (integers, decimal comma/point numbers, dates, leading-zero
codes, statistical "no value" markers). Supported formats: CSV/TXT/TSV, XLSX,
legacy XLS (with xlrd), Parquet and SPSS .sav.

Decisions this module makes (see each function's Notes):

- Row numbers are what a user sees: the 1-based line where a CSV record starts
  (quoted line breaks included), the Excel sheet row, the case number for
  .sav/.parquet.
- Title rows above the header are ``info.preamble`` and are not counted in
  ``rows_read``; every row after the header is counted and is either kept or
  excluded with a reason (blank row, repeated header row, footnote/source row
  after the data, skipped on request).
- Multi-row (merged) Excel headers are joined top to bottom with ``" – "``.
  Footnote digits glued to header words ("med slutbetyg1") are kept as they
  are and listed in ``info.notes``.
- A header-only file is a DataError "no data rows", like a 0-byte file: no
  loader can use a table without rows, and failing early names the file.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from evalkit.errors import DataError, DataWarning, Problem
from evalkit.io import _grid, _infer, _sheet, _text
from evalkit.io._infer import NA_MARKERS, parse_dates, parse_numbers
from evalkit.provenance import Exclusion, LoadRecord, SourceFile, attach

__all__ = [
    "RawTable",
    "ReadInfo",
    "read_raw",
    "read_table",
    "parse_numbers",
    "parse_dates",
    "NA_MARKERS",
    "SUPPORTED_FORMATS",
]

READ_ATTR = "evalkit_read"
MARKERS_ATTR = "evalkit_markers"

#: File extensions read, by format.
SUPPORTED_FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".txt", ".tsv", ".tab"),
    "xlsx": (".xlsx", ".xlsm"),
    "xls": (".xls",),
    "parquet": (".parquet", ".pq"),
    "sav": (".sav", ".zsav"),
}


@dataclass
class ReadInfo:
    """How a file was read and what happened to its rows.

    ``rows_read`` counts every row after the header (a CSV record spanning
    several lines through quoted line breaks counts once; for .sav/.parquet
    every case); ``rows_read == len(frame) + sum(e.count for e in exclusions)``.
    ``preamble`` holds title rows above the header (not counted).
    ``markers`` maps a column to its count of statistical "no value" markers
    (filled by :func:`read_table`); ``notes`` lists decisions worth reporting.
    """

    source: SourceFile
    preamble: list[str] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    rows_read: int = 0
    columns_original: list[str] = field(default_factory=list)
    sav_meta: dict | None = None
    markers: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_excluded(self) -> int:
        return sum(e.count for e in self.exclusions)

    def __deepcopy__(self, memo):
        # pandas deep-copies frame.attrs on every derived frame (even ``frame[col]``); for a
        # .sav with hundreds of labelled variables that copy dominated run time. The record
        # describes the file and is shared read-only between the frames derived from it.
        return self


@dataclass
class RawTable:
    """A table with every cell as a string (``frame``) and how it was read (``info``)."""

    frame: pd.DataFrame
    info: ReadInfo


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    for fmt, exts in SUPPORTED_FORMATS.items():
        if suffix in exts:
            return fmt
    supported = ", ".join(e for exts in SUPPORTED_FORMATS.values() for e in exts)
    raise DataError(f"{path.name}: cannot read '{suffix or 'no extension'}' files; supported: {supported}",
                    [Problem(f"unsupported format '{suffix}'", file=str(path))])


def read_raw(path, sheet=None, *, encoding: str | None = None, delimiter: str | None = None,
             header_row: int | tuple[int, int] | None = None,
             skip_rows: int | Iterable[int] | None = None, gate: bool = True) -> RawTable:
    """Read a table file with every cell as a string, keeping the file's row numbers.

    Parameters
    ----------
    path : str or Path
        A .csv/.txt/.tsv, .xlsx/.xlsm, .xls, .parquet or .sav file.
    sheet : str or int, optional
        Excel sheet name (or 0-based position); default the first sheet.
    encoding : str, optional
        Text encoding; default sniffed (BOM, strict UTF-8, else cp1252).
    delimiter : str, optional
        Field delimiter; default sniffed among ``,`` ``;`` tab ``|``.
    header_row : int or (int, int), optional
        The header's row number in the file (or first and last row of a
        multi-row header); default detected (see Notes).
    skip_rows : int or iterable of int, optional
        An int skips that many leading rows before looking for the header; a
        collection of row numbers excludes those rows (recorded as skipped).
    gate : bool, default True
        Run the privacy gate (:class:`evalkit.privacy.Gate`) on everything
        read: the file name, the table, the rows that are not data (title rows,
        footnotes, skipped rows), for Excel every other sheet, the sheet names,
        comments, document properties, defined names and formulas, for .sav the
        labels, file label and notes, for Parquet the schema and its metadata.
        ``False`` only for a caller that gates the same bytes itself.

    Returns
    -------
    RawTable
        ``frame``: pandas ``string`` columns (missing = ``<NA>``), index named
        ``"row"`` holding file row numbers; ``info``: :class:`ReadInfo`.

    Raises
    ------
    DataError
        Unsupported format, unreadable file, unknown sheet, ragged records
        (every line listed), mixed encodings, no data rows. The message names
        the file, and the sheet and rows where known.
    IdentifierError
        A personal identity number anywhere in what was read (see ``gate``);
        the message names the places and kinds, never the number.

    Notes
    -----
    Header detection: the first row (of the first 100) with at least half as
    many non-empty cells as the table is wide (for CSV also the table's modal
    number of fields); rows above it are the preamble. In Excel a merge over
    the whole width is a title; other merged cells are filled across their
    span, and vertical merges starting on the header row extend the header
    down, each column's levels joined with ``" – "``. Header names are
    stripped, line breaks become spaces, empty names become
    ``unnamed_<position>``, duplicates ``x``, ``x.2``. A column with neither a
    name nor a value (a trailing delimiter on every line) is dropped and noted.
    Trailing rows with one cell, from the first one reading like "Källa:",
    "Kilde:", "Anm.", "Fotnot", "Not:", "1)" or "*", are footnotes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("Tabell 1\\n\\nKommun;Antal\\n0301;1,5\\n\\nKälla: SSB\\n", encoding="utf-8")
    >>> raw = read_raw(p)
    >>> raw.frame.to_dict("index"), raw.info.rows_read, raw.info.preamble
    ({4: {'Kommun': '0301', 'Antal': '1,5'}}, 3, ['Tabell 1'])
    """
    path = Path(path)
    checker = _open_gate(path, gate)
    fmt = _format_of(path)
    if fmt in ("sav", "parquet"):
        frame, info = (_read_sav if fmt == "sav" else _read_parquet)(path, checker)
        raw = RawTable(_as_strings(frame), info)
        _close_gate(checker, raw.frame, None)
        return raw
    if fmt == "csv":
        if sheet is not None:
            raise DataError(f"{path.name}: sheet={sheet!r} given but a text file has no sheets",
                            [Problem("sheet given for a text file", file=str(path))])
        return _read_text(path, encoding, delimiter, header_row, skip_rows, checker)
    return _read_sheet(path, fmt, sheet, header_row, skip_rows, checker)


def _open_gate(path: Path, gate: bool):
    """The privacy gate for ``path`` (None when off): a path holding a number is refused first."""
    from evalkit.privacy import Gate, safe_path

    checker = Gate(path) if gate else None
    if checker is not None:
        checker.refuse_if_any()
    if not path.is_file():
        shown = safe_path(path)
        raise DataError(f"{shown}: no such file", [Problem("file not found", file=shown)])
    return checker


def _close_gate(checker, frame: pd.DataFrame, sheet: str | None, outside=None) -> None:
    """Search the table (and the grid rows that are not data) and refuse if anything was found."""
    if checker is None:
        return
    checker.frame(frame, sheet=sheet)
    if outside:
        checker.rows(outside, "rows outside the table (title rows, header, footnotes, skipped rows)",
                     sheet=sheet)
    checker.refuse_if_any()


def _outside(rows: list, frame: pd.DataFrame) -> list:
    data = set(frame.index.tolist())
    return [(n, cells) for n, cells in rows if n not in data]


def _read_text(path, encoding, delimiter, header_row, skip_rows, checker=None) -> RawTable:
    text, used = _text.decode(path.read_bytes(), path, encoding)
    forced = delimiter is not None
    delimiter = delimiter or _text.sniff_delimiter(text)
    records = _text.records(text, path, delimiter)
    table = _grid.build_table(records, path, text=True, header_row=header_row, skip_rows=skip_rows)
    if forced:
        header = next(c for n, c in records if n == table.header_row)
        _text.check_forced_delimiter(header, delimiter, path, table.header_row)
    source = SourceFile.from_path(path, "csv", encoding=used, delimiter=delimiter,
                                  header_row=table.header_row)
    _close_gate(checker, table.frame, None, _outside(records, table.frame))
    return _finish(table, source, path, None)


def _read_sheet(path, fmt, sheet, header_row, skip_rows, checker=None) -> RawTable:
    with open(path, "rb") as fh:
        zipped = fh.read(2) == b"PK"
    if fmt == "xls" and zipped:
        fmt = "xlsx"  # an .xlsx saved under an .xls name
    reader = _sheet.xlsx_grid if fmt == "xlsx" else _sheet.xls_grid
    name, rows, merges = reader(path, sheet, checker)
    table = _grid.build_table(rows, path, text=False, merges=merges, sheet=name,
                              header_row=header_row, skip_rows=skip_rows)
    source = SourceFile.from_path(path, fmt, sheet=name, header_row=table.header_row)
    if checker is not None:
        from evalkit.privacy._gate import _sheet_label

        _close_gate(checker, table.frame, _sheet_label(name), _outside(rows, table.frame))
    return _finish(table, source, path, name)


def _finish(table: _grid.Table, source: SourceFile, path: Path, sheet: str | None) -> RawTable:
    if table.frame.empty:
        raise DataError(
            f"{path.name}{', sheet ' + repr(sheet) if sheet else ''}: no data rows "
            f"(header on row {table.header_row}, {table.rows_read} row(s) after it, none with data)",
            [Problem("no data rows", file=str(path), sheet=sheet, row=table.header_row)])
    info = ReadInfo(source=source, preamble=table.preamble, exclusions=table.exclusions,
                    rows_read=table.rows_read, columns_original=table.columns_original, notes=table.notes)
    return RawTable(table.frame, info)


# ------------------------------------------------------------- binary formats

def _read_parquet(path: Path, checker=None) -> tuple[pd.DataFrame, ReadInfo]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{path.name}: not a readable Parquet file ({exc})",
                        [Problem("unreadable parquet", file=str(path))]) from None
    if checker is not None:
        from evalkit.privacy._gate import gate_parquet_schema

        gate_parquet_schema(checker, path)
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return _binary_info(frame, path, "parquet", None)


def _read_sav(path: Path, checker=None) -> tuple[pd.DataFrame, ReadInfo]:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, dates_as_pandas_datetime=True)
    except Exception as exc:  # pyreadstat.ReadstatError, PyreadstatError, UnicodeDecodeError
        raise DataError(f"{path.name}: not a readable SPSS .sav file ({type(exc).__name__}: {exc})",
                        [Problem("unreadable sav", file=str(path))]) from None
    if checker is not None:
        from evalkit.privacy._gate import gate_sav

        gate_sav(checker, meta)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return _binary_info(frame, path, "sav", _sav_meta(meta))


def _sav_meta(meta) -> dict[str, Any]:
    missing: dict[str, dict[str, list]] = {}
    for col, ranges in (meta.missing_ranges or {}).items():
        vals = [r["lo"] for r in ranges if r["lo"] == r["hi"]]
        spans = [(r["lo"], r["hi"]) for r in ranges if r["lo"] != r["hi"]]
        missing[col] = {"values": vals, "ranges": spans}
    for col, vals in (meta.missing_user_values or {}).items():
        missing.setdefault(col, {"values": [], "ranges": []})["values"] += list(vals)
    return {
        "file_encoding": meta.file_encoding,
        "variable_labels": dict(meta.column_names_to_labels),
        "value_labels": dict(meta.variable_value_labels),
        "user_missing": missing,
        "measure": dict(getattr(meta, "variable_measure", {}) or {}),
    }


def _binary_info(frame, path, fmt, sav_meta):
    if frame.empty:
        raise DataError(f"{path.name}: no data rows", [Problem("no data rows", file=str(path))])
    enc = sav_meta["file_encoding"] if sav_meta else None
    info = ReadInfo(source=SourceFile.from_path(path, fmt, encoding=enc), rows_read=len(frame),
                    columns_original=[str(c) for c in frame.columns], sav_meta=sav_meta)
    return frame, info


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        s = frame[col]
        out[col] = pd.array([None if _isna(v) else _sheet.cell_text(_py(v)) for v in s], dtype="string")
    return pd.DataFrame(out, index=frame.index)


def _isna(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _py(v):
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


# ------------------------------------------------------------- typed reading

def read_table(path, sheet=None, *, encoding: str | None = None, delimiter: str | None = None,
               decimal: str | None = None, thousands: str | None = None,
               header_row: int | tuple[int, int] | None = None, na_markers: Iterable[str] | None = None,
               parse_dates: bool = True, labels: bool = False,
               skip_rows: int | Iterable[int] | None = None, gate: bool = True) -> pd.DataFrame:
    """Read a table file into typed columns, with provenance attached.

    Parameters
    ----------
    path, sheet, encoding, delimiter, header_row, skip_rows, gate
        As in :func:`read_raw` (the privacy gate runs by default).
    decimal : {",", "."}, optional
        Force the decimal separator; default decided from the data (Notes).
    thousands : str, optional
        Force the thousands separator(s); default space, U+00A0, U+2009,
        U+202F and the separator that is not the decimal one.
    na_markers : iterable of str, optional
        Cells meaning "no value" in numeric columns; default
        ``("..", ".", "-", "–", "…", ":")``.
    parse_dates : bool, default True
        Turn date-shaped columns into ``datetime64[ns]``.
    labels : bool, default False
        For .sav: value-labelled columns become ordered Categoricals of label
        strings (ordered by code; codes without a label keep the code as text).

    Returns
    -------
    DataFrame
        Index = file row numbers (``"row"``). ``attrs["evalkit_provenance"]``
        is a :class:`~evalkit.provenance.LoadRecord` (table ``"table"``),
        ``attrs["evalkit_read"]`` the :class:`ReadInfo`, and
        ``attrs["evalkit_markers"]`` a dict column → count of marker cells.

    Notes
    -----
    Per column, in this order: all empty → ``string``; any leading-zero digit
    string ("03", "0301") → ``string`` (codes); all ``YYYYMMDD`` valid dates in
    1900–2100 → dates; all integers (markers aside) → ``Int64``; all numbers →
    ``Float64`` (unless a value has more than 15 digits, which a float cannot
    hold exactly: then text); all date-shaped and valid → ``datetime64[ns]``; else
    ``string`` (stripped). A column needs at least one real value to become
    numeric. Decimal separator: each column's own proving values decide (see
    :func:`parse_numbers`); a column without proof ("1,234" only) follows the
    file's majority over all columns; a file without proof reads a lone
    separator as the decimal separator. The delimiter never decides: SSB
    exports use ';' with a decimal point, Valgdirektoratet ';' with a comma.
    Date-shaped columns with impossible dates stay text and raise a
    :class:`~evalkit.errors.DataWarning` naming the rows. .sav numeric columns
    holding only whole numbers become ``Int64``, others ``Float64``; user-missing
    codes stay as values (described in ``info.sav_meta``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("kod;antal;andel\\n0301;12 800;18,4\\n03;..;1,5\\n", encoding="utf-8")
    >>> t = read_table(p)
    >>> [str(t[c].dtype) for c in t], t.loc[3, "andel"], t.attrs["evalkit_markers"]
    (['string', 'Int64', 'Float64'], np.float64(1.5), {'antal': 1})
    """
    markers = tuple(NA_MARKERS if na_markers is None else na_markers)
    if gate:
        from evalkit.privacy import check_path

        check_path(path)  # before any message can name the file
    fmt = _format_of(Path(path)) if Path(path).is_file() else None
    if fmt in ("sav", "parquet"):
        # Typed already: skip read_raw's conversion of every cell to text.
        checker = _open_gate(Path(path), gate)
        frame, info = (_read_sav if fmt == "sav" else _read_parquet)(Path(path), checker)
        _close_gate(checker, frame, None)
        frame = _sav_types(frame, info.sav_meta, labels) if fmt == "sav" else frame
        file_decimal = None
    else:
        raw = read_raw(path, sheet, encoding=encoding, delimiter=delimiter, header_row=header_row,
                       skip_rows=skip_rows, gate=gate)
        info = raw.info
        frame, file_decimal = _infer_frame(raw.frame, decimal, thousands, markers, parse_dates, info, path)
    if file_decimal:
        info.source = SourceFile(**{**info.source.__dict__, "decimal": file_decimal})
    record = LoadRecord(table="table", source=info.source, rows_read=info.rows_read,
                        rows_kept=len(frame), exclusions=list(info.exclusions), notes=list(info.notes))
    attach(frame, record)
    frame.attrs[READ_ATTR] = info
    frame.attrs[MARKERS_ATTR] = dict(info.markers)
    return frame


def _infer_frame(raw: pd.DataFrame, decimal, thousands, markers, want_dates, info, path):
    # object dtype: the checks below run Python regexes, and iterating Arrow strings is slow
    present = {c: raw[c].dropna().astype(object).str.strip() for c in raw.columns}
    present = {c: v[v != ""] for c, v in present.items()}
    file_decimal = decimal or _file_decimal(present.values(), markers)
    out = {}
    for col in raw.columns:
        out[col], n_markers = _infer_column(raw[col], present[col], decimal, file_decimal, thousands,
                                            markers, want_dates, info, path, col)
        if n_markers:
            info.markers[col] = n_markers
    frame = pd.DataFrame(out, index=raw.index)
    return frame, file_decimal


def _file_decimal(columns, markers) -> str | None:
    comma = point = 0
    for values in columns:
        c, p = _infer.decimal_evidence(v for v in values.unique() if v not in markers)
        comma, point = comma + c, point + p
    return "," if comma > point else "." if point > comma else None


def _infer_column(raw, present, decimal, file_decimal, thousands, markers, want_dates, info, path, col):
    strings = raw.str.strip().astype("string")
    values = present[~present.isin(markers)]
    if values.empty:
        return strings, 0
    values = pd.Series(values.unique(), dtype=object)  # the kind checks need each value once
    if _infer.leading_zero_codes(values):
        return strings, 0
    n_markers = int(present.isin(markers).sum())
    if want_dates and _infer.eight_digit_dates(values):
        return parse_dates(raw)[0], 0
    col_decimal = decimal or _infer.choose_decimal(values, file_decimal)
    if _infer.looks_integer(values, col_decimal, thousands):
        nums, bad = parse_numbers(raw, col_decimal or ",", thousands, markers)
        if not bad.any():
            return nums.astype("Int64"), n_markers
    if not _infer.fits_float(values):
        return strings, 0  # long digit strings (ids, account numbers) would lose digits as floats
    nums, bad = parse_numbers(raw, col_decimal, thousands, markers)
    if not bad.any():
        return nums, n_markers
    if want_dates and _infer.date_shaped(values).all():
        dates, bad = parse_dates(raw)
        if not bad.any():
            return dates, 0
        rows = [int(r) for r in raw.index[bad]]
        warnings.warn(DataWarning(
            f"{Path(path).name}: column '{col}' holds dates but {len(rows)} are impossible "
            f"(rows {rows[:10]}); kept as text — correct them or read the column with parse_dates()"),
            stacklevel=4)
    return strings, 0


def _sav_types(frame: pd.DataFrame, meta: dict, labels: bool) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s.dtype):
            s = s.astype("Int64") if _infer.is_integral(s.to_numpy(dtype=float)) else s.astype("Float64")
            if labels and meta["value_labels"].get(col):
                s = _labelled(s, meta["value_labels"][col])
        elif pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            s = s.astype("string")
            if labels and meta["value_labels"].get(col):
                s = _labelled(s, meta["value_labels"][col])
        out[col] = s
    return pd.DataFrame(out, index=frame.index)


def _labelled(s: pd.Series, value_labels: dict) -> pd.Series:
    """Codes → label strings as an ordered Categorical (order of the codes)."""
    numeric = pd.api.types.is_numeric_dtype(s.dtype)
    key = float if numeric else str
    mapping = {key(k): str(v) for k, v in value_labels.items()}
    plain = (pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index) if numeric
             else s.astype(object))
    codes = sorted(set(plain.dropna().unique()) | set(mapping))
    text = {c: mapping.get(c, _code_text(c)) for c in codes}
    categories = list(dict.fromkeys(text[c] for c in codes))
    values = plain.map(text)  # dict lookup, vectorised by pandas
    return pd.Series(pd.Categorical(values, categories=categories, ordered=True), index=s.index)


def _code_text(code) -> str:
    return str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)
