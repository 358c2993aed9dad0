"""Stage a register-sized decisions file in DuckDB: one pass that reads, converts and flags.

The in-memory loader reads every cell as text, scans it for identity numbers,
converts it and validates it, each step over the whole table. At 10⁷ rows each
extra pass costs seconds, so here they share one: a single ``CREATE TABLE
staged AS SELECT … FROM read_csv(…)`` that, per row,

* converts each mapped column to its canonical type (dates, numbers, ids);
* keeps the raw text of a cell that does not convert (``__bad_<column>``), so
  that validation can name the row, the column and what was found;
* keeps the raw value of a cell that *could* hold an identity number
  (``__pii_<k>``): only those are checked exactly afterwards;
* marks rows that repeat the header line (``__hdr``).

What remains is cheap: identity numbers are checked exactly on the distinct
candidates, validation is one aggregate over the staged table, and the
canonical table is a view (categories mapped by their distinct spellings).
"""
from __future__ import annotations

import dataclasses
import hashlib
import mmap
import os
import tempfile
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.errors import DataError, DataWarning, Problem
from evalkit.io._canonical import MAX_HOURS_PER_MONTH
from evalkit.io._infer import _DATE_FORMS, NS_FIRST_YEAR, NS_LAST_YEAR
from evalkit.io.mapping import VALUE_ALIASES, load_mapping, normalise_value, resolve_columns
from evalkit.privacy import NUMBER_RANGE, TOKEN_PREFILTER, Gate, check_identifiers, check_path, scan_identifiers
from evalkit.privacy._gate import gate_parquet_schema, safe_value
from evalkit.provenance import Exclusion, LoadRecord, SourceFile, sha256_file
from evalkit.schemas import DECISIONS

#: DuckDB's working-memory cap unless ``memory_limit`` or ``EVALKIT_DUCKDB_MEMORY`` says otherwise.
DEFAULT_MEMORY_LIMIT = "3GB"
#: Problems collected before validation stops looking (as the in-memory loader).
PROBLEM_CAP = 500
#: Rows with an identity number fetched to build the refusal (the table is refused anyway).
MAX_IDENTIFIER_ROWS = 10_000
#: Beyond this many blank lines, row numbers count records rather than lines (noted in the record).
MAX_BLANK_LINES = 1000

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")
# Types whose values cannot hold an identity number (nothing to scan).
_SAFE_TYPES = ("DATE", "TIMESTAMP", "TIME", "BOOLEAN", "INTERVAL")


# --------------------------------------------------------------------------- SQL text
def sql_str(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def ident(name) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def run(con, query: str) -> list[tuple]:
    """Run ``query`` to completion (DuckDB 2 refuses new work while a result is unfinished)."""
    return con.execute(query).fetchall()


def one(con, query: str):
    return run(con, query)[0][0]


# --------------------------------------------------------------------------- connection
def _import_duckdb():
    try:
        import duckdb
    except ImportError:  # pragma: no cover - depends on the installation
        raise DataError("the register path needs the 'duckdb' package: pip install duckdb") from None
    return duckdb


def spill_dir(temp_directory) -> Path:
    spill = Path(temp_directory or Path(tempfile.gettempdir()) / "evalkit_duckdb")
    try:
        spill.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create DuckDB's spill directory {spill}: {exc}") from None
    return spill


def connect(memory_limit, temp_directory, threads):
    """An in-memory DuckDB that spills to ``temp_directory`` beyond ``memory_limit``."""
    duckdb = _import_duckdb()
    limit = memory_limit or os.environ.get("EVALKIT_DUCKDB_MEMORY", DEFAULT_MEMORY_LIMIT)
    spill = spill_dir(temp_directory)
    # insertion order is what makes rowid the record's position in the file
    config = {"memory_limit": str(limit), "temp_directory": str(spill), "preserve_insertion_order": True}
    if threads:
        config["threads"] = int(threads)
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise DataError(f"cannot start DuckDB with memory_limit={limit!r}, temp_directory={str(spill)!r}: "
                        f"{exc}") from None
    con.execute("SET enable_progress_bar = false")   # a library does not draw on its caller's terminal
    return con


@contextmanager
def engine_errors(file: str):
    """Translate DuckDB failures (out of disk, out of memory, unreadable input) into DataError."""
    duckdb = _import_duckdb()
    try:
        yield
    except duckdb.Error as exc:
        text = str(exc)
        if "No space left" in text or "disk" in text.lower() and "space" in text.lower():
            raise DataError(f"{Path(file).name}: the disk holding DuckDB's spill directory is full; free space "
                            "or pass temp_directory= on a larger disk", [Problem("out of disk", file=file)]) from None
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise DataError(f"{Path(file).name}: DuckDB ran out of its memory limit and could not spill: {text}. "
                            "Raise memory_limit= or give temp_directory= with free space",
                            [Problem("out of memory", file=file)]) from None
        located = _locate_bad_record(Path(file))
        if located is not None:
            raise located from None
        raise DataError(f"{Path(file).name}: DuckDB could not read or process the input: {text}",
                        [Problem("unreadable input", file=file)]) from None


def _locate_bad_record(path: Path) -> DataError | None:
    """After DuckDB refused a text file: the first record whose field count differs from the header's.

    Streams the file once with the in-memory reader's rules (sniffed encoding, delimiter, header row)
    so the error names the line, as ``engine="pandas"`` would; a trailing footnote is said to be one
    (the register path reads every line after the header as data and cannot exclude it).
    """
    import csv

    from evalkit.io._grid import _FOOTNOTE

    if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES:
        return None
    try:
        encoding, delimiter, header_row = _sniff_text(path)
        with open(path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            width, last = None, 0
            for record in reader:
                line, last = last + 1, reader.line_num
                if line < header_row or not any(f.strip() for f in record):
                    continue
                if width is None:
                    width = len(record)
                elif len(record) != width:
                    cells = [f for f in record if f.strip()]
                    footnote = len(cells) == 1 and bool(_FOOTNOTE.match(cells[0]))
                    what = ("reads like a footnote or source line; the register path reads every line after the "
                            "header as data — delete it, or load with engine='pandas', which excludes footnotes"
                            if footnote else "check for an unquoted delimiter or a truncated line")
                    return DataError(
                        f"{path.name}: line {line} has {len(record)} field(s), the header (line {header_row}) "
                        f"has {width}; it {what}",
                        [Problem(f"{len(record)} fields, header has {width}" + (" (footnote)" if footnote else ""),
                                 file=str(path), row=line)])
    except (DataError, OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


# --------------------------------------------------------------------------- the input
@dataclass
class Input:
    """Where the rows come from and how a record's position maps to a file row."""

    source: SourceFile
    relation: str                    # the FROM clause: read_csv(…) or read_parquet(…)
    headers: list[str]
    types: dict[str, str]            # DuckDB type per header (VARCHAR throughout for text files)
    first_row: int                   # file row number of the first data record
    blank_lines: tuple[int, ...] = ()
    temporary: list[Path] = field(default_factory=list)
    #: SQL of the record's position in ``staged``: ``rowid`` of the staged table, or ``__pos`` (from
    #: ``file_row_number``) when Parquet is read in place (:data:`IN_PLACE_POSITION`)
    pos: str = "rowid"
    position_sql: str | None = None  # Parquet in place: the global position from the reader's columns
    files: list[Path] = field(default_factory=list)   # Parquet partitions, in path order

    @property
    def in_place(self) -> bool:
        return self.position_sql is not None

    @property
    def row_sql(self) -> str:
        """SQL for a staged row's file row number from its position (``rowid`` or ``__pos``)."""
        return self.row_at(self.pos)

    def row_at(self, pos: str) -> str:
        """SQL for the file row number of the record at position ``pos`` (a column's SQL)."""
        shift = ""
        if self.blank_lines:
            # record position k moves down one line per blank line above it
            cases = " ".join(f"WHEN {pos} >= {line - self.first_row - i} THEN {i + 1}"
                             for i, line in reversed(list(enumerate(self.blank_lines))))
            shift = f" + CASE {cases} ELSE 0 END"
        return f"({pos} + {self.first_row}{shift})"

    def is_text(self, header: str) -> bool:
        return self.types[header] == "VARCHAR"


def input_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES)
        if not files:
            raise DataError(f"{path}: the directory holds no .parquet files",
                            [Problem("no parquet partitions", file=str(path))])
        return files
    if not path.is_file():
        raise DataError(f"{path}: no such file", [Problem("file not found", file=str(path))])
    return [path]


def _sniff_text(path: Path):
    """Encoding, delimiter and header row from the first lines, by the in-memory reader's rules."""
    from evalkit.io.read import read_raw

    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    cut = head.rfind(b"\n")
    head = head[:cut + 1] if cut > 0 else head
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / ("head" + path.suffix.lower())
        sample.write_bytes(head)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)   # said below, for the user's file
                read = read_raw(sample, gate=False).info   # the data rows are gated in the staged table
        except DataError as err:   # name the user's file, not the sample's
            raise DataError(err.summary.replace(sample.name, path.name),
                            [dataclasses.replace(p, file=str(path)) for p in err.problems]) from None
    gate = Gate(path)
    gate.values((f"the title rows above the header (line {i})", line) for i, line in enumerate(read.preamble, 1))
    gate.refuse_if_any()
    _refuse_duplicated_headers(read.columns_original, path)
    info = read.source
    return info.encoding, info.delimiter, info.header_row


def _refuse_duplicated_headers(names: list[str], path: Path) -> None:
    """DuckDB renames a repeated header silently; which column holds the data cannot be known: refused."""
    from collections import Counter

    dups = [n for n, k in Counter(n for n in names if n).items() if k > 1]
    if dups:
        problems = [Problem(f"header '{safe_value(n)}' appears in columns "
                            f"{', '.join(str(j) for j, m in enumerate(names, start=1) if m == n)}",
                            file=str(path), column=safe_value(n)) for n in dups]
        raise DataError(f"{path.name}: {len(dups)} header(s) appear more than once; rename them so that each "
                        "column has its own name", problems)


def _transcode(path: Path, encoding: str, spill: Path) -> Path:
    """A UTF-8 copy (DuckDB reads UTF-8; cp1252 exports hold bytes latin-1 lacks), streamed in blocks."""
    handle, name = tempfile.mkstemp(suffix=".csv", dir=spill)
    os.close(handle)
    target = Path(name)
    try:
        with open(path, encoding=encoding, newline="") as src, open(target, "w", encoding="utf-8", newline="") as out:
            for block in iter(lambda: src.read(1 << 22), ""):
                out.write(block)
    except (UnicodeDecodeError, OSError) as exc:
        target.unlink(missing_ok=True)
        raise DataError(f"{path.name}: cannot re-encode {encoding} to UTF-8 for DuckDB ({exc})",
                        [Problem("re-encoding failed", file=str(path))]) from None
    return target


def blank_lines(path: Path, header_row: int) -> tuple[int, ...]:
    """Line numbers of empty lines after the header and before the last data line.

    DuckDB skips blank lines, so record positions drift from file lines by one
    per blank line above them. Found with ``mmap.find`` (memchr speed, no copy
    of the file); newlines are counted only up to the last blank line found.
    """
    size = path.stat().st_size
    if not size:
        return ()
    found: list[int] = []
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = _last_content(data)
        line, counted = 1, 0
        position = _next_blank(data, 0)
        while 0 <= position < end and len(found) < MAX_BLANK_LINES:
            line += data[counted:position + 1].count(b"\n")   # the line after this newline is blank
            counted = position + 1
            if line > header_row:
                found.append(line)
            position = _next_blank(data, counted)
    return tuple(found)


def _next_blank(data, start: int) -> int:
    """Offset of the newline that ends the line before the next blank line, or -1."""
    hits = [p for p in (data.find(b"\n\n", start), data.find(b"\n\r\n", start)) if p >= 0]
    return min(hits) if hits else -1


def _last_content(data) -> int:
    """Offset just past the last non-whitespace byte (blank lines after it shift nothing)."""
    end = len(data)
    while end > 0:
        block = data[max(0, end - 4096):end]
        stripped = block.rstrip()
        if stripped:
            return end - len(block) + len(stripped)
        end -= len(block)
    return 0


def open_input(con, path: Path, spill: Path) -> Input:
    """Describe ``path`` to DuckDB (nothing is read yet beyond the sniffing sample)."""
    check_path(path)
    files = input_files(path)
    if files[0].suffix.lower() in PARQUET_SUFFIXES:
        gate = Gate(path)
        for file in files:  # every partition's own column names and metadata
            gate_parquet_schema(gate, file)
        gate.refuse_if_any()
        listed = "[" + ", ".join(sql_str(f) for f in files) + "]"
        relation = f"read_parquet({listed}, union_by_name = true)"
        described = run(con, f"DESCRIBE SELECT * FROM {relation}")
        types = {name: _base_type(kind) for name, kind, *_ in described}
        source = SourceFile(path=str(path), sha256="", size_bytes=sum(f.stat().st_size for f in files),
                            format="parquet")
        inp = Input(source, relation, list(types), types, 1)
        inp.files = files
        return inp
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise DataError(f"{path.name}: the register path reads .csv/.txt/.tsv and .parquet; use engine='pandas'",
                        [Problem("unsupported format", file=str(path))])
    encoding, delimiter, header_row = _sniff_text(path)
    readable, temporary = path, []
    if str(encoding).lower() not in ("utf-8", "utf-8-sig"):
        readable = _transcode(path, encoding, spill)
        temporary.append(readable)
    relation = (f"read_csv({sql_str(readable)}, all_varchar = true, header = true, delim = {sql_str(delimiter)}, "
                f"quote = '\"', escape = '\"', skip = {header_row - 1}, strict_mode = true, null_padding = false)")
    headers = [r[0] for r in run(con, f"DESCRIBE SELECT * FROM {relation}")]
    source = SourceFile(path=str(path), sha256="", size_bytes=path.stat().st_size, format="csv",
                        encoding=encoding, delimiter=delimiter, header_row=header_row)
    # blank lines are looked for after staging, and only if the line count says there are any
    return Input(source, relation, headers, dict.fromkeys(headers, "VARCHAR"), header_row + 1, (), temporary)


#: Read Parquet where it lies (a view with ``file_row_number``) instead of staging a copy in a table.
#: Every query then reads and converts the file again; measured at 10⁷ rows that cost −7 % to +4 % of
#: CPU against a staged copy that fits in memory, with 1.5 instead of 2.4 GiB peak, and a copy that does
#: not fit spills (benchmarks/README.md): so True by default. ``"auto"`` reads in place only when the
#: copy would take more than :data:`IN_PLACE_SHARE` of DuckDB's memory limit; False always stages.
PARQUET_IN_PLACE: bool | str = True
IN_PLACE_SHARE = 0.5
#: Columns the Parquet reader adds for the position; a file with a column of either name is staged instead.
_READER_COLUMNS = ("file_row_number", "filename")
#: Bytes a staged value takes in DuckDB's in-memory table, by canonical kind (text: a 16-byte string_t).
_STAGED_BYTES = {"date": 4, "datetime": 8, "float": 8, "int": 8, "bool": 1}


def choose_in_place(con, inp: Input, chosen: dict[str, str]) -> None:
    """Switch a Parquet input to be read in place when :data:`PARQUET_IN_PLACE` says so."""
    if not inp.files or set(inp.types) & set(_READER_COLUMNS) or PARQUET_IN_PLACE is False:
        return
    import pyarrow.parquet as pq

    sizes = [pq.ParquetFile(file).metadata.num_rows for file in inp.files]
    if PARQUET_IN_PLACE == "auto":
        row = 2 + sum(_STAGED_BYTES.get(DECISIONS.column(n).kind, 16) for n in chosen)
        if sum(sizes) * row <= IN_PLACE_SHARE * _memory_limit_bytes(con):
            return
    _read_in_place(inp, sizes)


def _memory_limit_bytes(con) -> float:
    """DuckDB's memory_limit setting (e.g. '2.7 GiB') in bytes."""
    import re

    text = str(one(con, "SELECT current_setting('memory_limit')"))
    match = re.match(r"\s*([\d.]+)\s*([KMGTP]?)(i?)B", text, re.IGNORECASE)
    if not match:
        return float("inf")
    base = 1024 if match.group(3) else 1000
    return float(match.group(1)) * base ** "_KMGTP".index(match.group(2).upper() or "_")


def _read_in_place(inp: Input, sizes: list[int]) -> None:
    """Parquet read in place: the record's position is its file's offset plus ``file_row_number``.

    The offsets are the partitions' row counts (from their footers), cumulated in path order, which is
    the order the reader lists them in and the order of ``union_by_name``'s output.
    """
    listed = "[" + ", ".join(sql_str(f) for f in inp.files) + "]"
    inp.relation = f"read_parquet({listed}, union_by_name = true, file_row_number = true, filename = true)"
    inp.pos = "__pos"
    if len(inp.files) == 1:
        inp.position_sql = "file_row_number"
        return
    offsets, total = [], 0
    for file, size in zip(inp.files, sizes):
        offsets.append(f"WHEN {sql_str(file)} THEN {total}")
        total += size
    inp.position_sql = f"(file_row_number + CASE filename {' '.join(offsets)} END)"


def _base_type(kind: str) -> str:
    kind = kind.upper()
    for base in _NUMERIC_TYPES + _SAFE_TYPES + ("VARCHAR",):
        if kind.startswith(base):
            return base
    return kind


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    lines: int | None = None        # text files: number of lines (a last line without newline counts)


def file_facts(path: Path) -> FileFacts:
    """sha256 (of the file, or of the partitions' digests in path order) and, for text, the line count.

    One read in 16 MiB blocks; hashing and counting newlines release no GIL
    worth mentioning, so this runs in a thread beside DuckDB (~1.4 s per GB).
    """
    files = input_files(path)
    if path.is_dir():  # a folder of partitions, one or many
        return FileFacts(hashlib.sha256("".join(sha256_file(f) for f in files).encode()).hexdigest())
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return FileFacts(sha256_file(path))
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            digest.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
    return FileFacts(digest.hexdigest(), lines + (last != b"\n"))


# --------------------------------------------------------------------------- conversions
# Each takes ``ref``, the SQL of the input column, and ``kind``: its DuckDB type, or "TEXT" for a
# text column already cleaned by the staging query's first level.
def _cleaned(ref: str, kind: str) -> str:
    """Text without surrounding spaces, NULL when empty (DuckDB already reads empty fields as NULL).

    ``trim`` copies every string (≈ 1.4 s per 10⁷ cells); testing the first
    and last character first costs a fraction of that.
    """
    if kind == "TEXT":
        return ref
    if kind == "VARCHAR":
        return (f"CASE WHEN starts_with({ref}, ' ') OR ends_with({ref}, ' ') THEN NULLIF(trim({ref}), '') "
                f"ELSE {ref} END")
    return f"CAST({ref} AS VARCHAR)"


def _date_sql(ref: str, kind: str) -> str:
    if kind in ("DATE", "TIMESTAMP"):
        return f"CAST({ref} AS DATE)"
    c = _cleaned(ref, kind)
    # the rest exactly as the in-memory reader: a form applies only to values of its shape
    spaced = f"replace({c}, 'T', ' ')"
    forms = " ".join(f"WHEN regexp_full_match({spaced}, {sql_str(pattern.pattern)}) "
                     f"THEN try_strptime({spaced}, {sql_str(fmt)})" for pattern, fmt in _DATE_FORMS)
    # ISO dates (nearly all) by the cheap cast; the shape test keeps out the forms only DuckDB accepts.
    # CASE … ELSE, not COALESCE: DuckDB computes the shared ``replace`` of the forms for every row of a
    # COALESCE (2.6 of 14.7 s staging 10⁷ rows); an ISO-shaped value the cast refuses fails ``%Y-%m-%d``
    # as well, so nothing is lost by not trying the forms on it
    return f"CASE WHEN {c} LIKE '____-__-__' THEN TRY_CAST({c} AS DATE) ELSE CAST(CASE {forms} END AS DATE) END"


def _float_sql(ref: str, kind: str) -> str:
    if kind in _NUMERIC_TYPES:
        return f"CAST({ref} AS DOUBLE)"
    c = _cleaned(ref, kind)
    # the common case (a plain number) first: a regular expression costs ~70 ns a cell
    plain = f"TRY_CAST(replace({c}, ',', '.') AS DOUBLE)"
    hhmm = (f"CASE WHEN regexp_matches({c}, '^\\d{{1,4}}:[0-5]\\d$') THEN "
            f"TRY_CAST(split_part({c}, ':', 1) AS DOUBLE) + TRY_CAST(split_part({c}, ':', 2) AS DOUBLE) / 60 END")
    # spaces (incl. no-break and thin) group thousands
    grouped = f"TRY_CAST(replace(regexp_replace({c}, '[\\s\u00a0\u2009\u202f]', '', 'g'), ',', '.') AS DOUBLE)"
    return f"COALESCE({plain}, {hhmm}, {grouped})"


def _int_sql(ref: str, kind: str) -> str:
    if kind in _NUMERIC_TYPES:
        return f"CASE WHEN {ref} = round({ref}) THEN CAST({ref} AS BIGINT) END"
    return f"TRY_CAST(replace({_cleaned(ref, kind)}, ' ', '') AS BIGINT)"


def _id_sql(ref: str, kind: str) -> str:
    if kind in _NUMERIC_TYPES:
        return (f"CASE WHEN {ref} = round({ref}) THEN CAST(CAST({ref} AS HUGEINT) AS VARCHAR) "
                f"ELSE CAST({ref} AS VARCHAR) END")
    c = _cleaned(ref, kind)
    # spreadsheets turn numeric ids into 1234.0; the test is cheap, the regex runs only on those
    return f"CASE WHEN contains({c}, '.') THEN regexp_replace({c}, '^(\\d+)\\.0+$', '\\1') ELSE {c} END"


_CONVERTED = ("date", "float", "int")   # kinds whose failures are kept in __bad_<name>
_MAPPED = ("category", "bool")          # kinds mapped by their distinct spellings after staging


def kind_of(name: str) -> str:
    if name == "qualifier":
        return "category"               # an ICF qualifier is a code list, mapped like a category
    return DECISIONS.column(name).kind


def _staged_value(ref: str, kind: str, name: str) -> str:
    col_kind = kind_of(name)
    if name == "icf_code":
        return f"lower({_cleaned(ref, kind)})"
    if col_kind == "date":
        return _date_sql(ref, kind)
    if col_kind == "float":
        return _float_sql(ref, kind)
    if col_kind == "int":
        return _int_sql(ref, kind)
    if col_kind == "id":
        return _id_sql(ref, kind)
    return _cleaned(ref, kind)


def _candidate_sql(ref: str, kind: str, name: str | None) -> str | None:
    """SQL keeping the raw value of a cell that could hold an identity number, else NULL.

    Runs in the outer staging query, where the converted value of ``name`` is
    ``__v_<name>``. A cell that converted to a date cannot hold an identity
    number (no date form has ten digits in a row); a number only if it has
    9–12 digits. Text columns that are staged as text (ids, units, services)
    are searched afterwards in the staged table, which is cheaper than here;
    so are categories, through their distinct spellings. What is left —
    failed conversions, large numbers, columns the mapping does not use — is
    kept here when it passes the privacy module's RE2 prefilter.
    """
    col_kind = kind_of(name) if name else None
    low, high = NUMBER_RANGE
    if kind in _SAFE_TYPES or col_kind in _MAPPED or (kind in ("VARCHAR", "TEXT") and col_kind in _TEXT_KINDS):
        return None
    if kind in _NUMERIC_TYPES:
        return f"CASE WHEN abs({ref}) >= {low:.0f} AND abs({ref}) < {high:.0f} THEN {ref} END"
    text = ref if kind in ("VARCHAR", "TEXT") else f"CAST({ref} AS VARCHAR)"
    holds = f"regexp_matches({text}, {sql_str(TOKEN_PREFILTER)})"
    if col_kind in _CONVERTED:
        value = ident("__v_" + name)
        # dates that converted are safe; numbers that converted are safe below 9 digits
        safe = f"{value} IS NOT NULL" if col_kind == "date" else f"abs({value}) < {low:.0f}"
        return f"CASE WHEN {text} IS NOT NULL AND NOT coalesce({safe}, false) AND {holds} THEN {text} END"
    return f"CASE WHEN {holds} THEN {text} END"


_TEXT_KINDS = ("id", "str")             # staged as (cleaned) text: searched in the staged table


# --------------------------------------------------------------------------- staging
@dataclass
class Staged:
    """A DuckDB connection holding ``staged`` (one row per record, in file order).

    ``staged`` is a table (text files, or Parquet with a column the reader's own position columns
    would clash with) or, for Parquet read in place, a view over the files. Either way it holds the
    converted columns, ``__hdr``, ``__flags`` (bit ``flags[name]`` set where ``name``'s cell did not
    convert) and the identity-number candidates; the raw text of a failed cell is not staged but
    read again for the rows an error names (:func:`bad_values`) through the view ``__staging``.
    """

    con: object
    inp: Input
    chosen: dict[str, str]          # canonical name -> header
    candidates: dict[str, str]      # header -> column of ``__staging`` with its identity-number candidates
    flags: dict[str, int] = field(default_factory=dict)   # converted column -> its bit in __flags
    pii: dict[str, tuple[str, int]] = field(default_factory=dict)   # header -> (word, bit): has candidates
    rows: int = 0                   # records staged (repeated header rows included)
    repeated_headers: tuple[int, ...] = ()


#: Candidate columns per ``__pii<w>`` word (bits 0–61 of a BIGINT, as the panel's month masks).
_WORD = 62


def _flags_type(bits: int) -> str:
    return "UTINYINT" if bits <= 8 else "USMALLINT" if bits <= 16 else "UINTEGER" if bits <= 32 else "UBIGINT"


def stage(con, inp: Input, chosen: dict[str, str]) -> Staged:
    """The single pass over the input: ``CREATE TABLE staged`` (or, Parquet in place, a view).

    Three levels of one query, kept as the view ``__staging``: the first cleans each text column once
    (``__c<k>``; names of its own, so nothing clashes with the file's headers), the second converts
    (``__v_<name>``), the third keeps the converted values, one bit per converted column that failed
    (``__flags``), the failed cells' text (``__bad_<name>``, never materialised: DuckDB drops the
    unused expressions when ``staged`` selects the narrow columns) and identity-number candidates.
    """
    col = {h: f"__c{k}" for k, h in enumerate(inp.headers)}
    kind = {h: "TEXT" if inp.is_text(h) else inp.types[h] for h in inp.headers}
    level0 = [f"{_cleaned(ident(h), inp.types[h]) if inp.is_text(h) else ident(h)} AS {col[h]}"
              for h in inp.headers]
    if inp.in_place:
        level0.append(f"{inp.position_sql} AS __pos")
    level1 = list(col.values()) + (["__pos"] if inp.in_place else [])
    level1 += [f"{_staged_value(col[h], kind[h], n)} AS {ident('__v_' + n)}" for n, h in chosen.items()]
    texts = [h for h in chosen.values() if inp.is_text(h)]
    level1.append(f"{_repeated_header_sql([(col[h], h.strip()) for h in texts])} AS __hdr")

    narrow = [ident(n) for n in chosen] + ["__hdr", "__flags"] + (["__pos"] if inp.in_place else [])
    outer = [f"{ident('__v_' + n)} AS {ident(n)}" for n in chosen] + ["__hdr"] + (["__pos"] if inp.in_place else [])
    converted = [(n, h) for n, h in chosen.items() if kind_of(n) in _CONVERTED]
    flags = {name: 1 << j for j, (name, _) in enumerate(converted)}
    bits, bad = [], []
    for name, header in converted:
        clean = _cleaned(col[header], kind[header])
        failed = f"{clean} IS NOT NULL AND {ident('__v_' + name)} IS NULL"
        bits.append(f"CASE WHEN {failed} THEN {flags[name]} ELSE 0 END")
        bad.append(f"CASE WHEN {failed} THEN {clean} END AS {ident('__bad_' + name)}")
    outer.append(f"CAST({' + '.join(bits) or '0'} AS {_flags_type(len(bits))}) AS __flags")
    outer += bad
    by_header = {h: n for n, h in chosen.items()}
    candidates, pii, words = {}, {}, {}
    for header in inp.headers:
        expr = _candidate_sql(col[header], kind[header], by_header.get(header))
        if expr:
            k = len(candidates)
            candidates[header] = f"__pii_{k}"
            pii[header] = (f"__pii{k // _WORD}", 1 << (k % _WORD))
            outer.append(f"{expr} AS {candidates[header]}")
            words.setdefault(pii[header][0], []).append(f"CASE WHEN ({expr}) IS NOT NULL THEN {pii[header][1]} "
                                                        "ELSE 0 END")
    # a word as narrow as its bits allow: 1 byte a row for up to 8 candidate columns
    outer += [f"CAST({' + '.join(bits)} AS {_flags_type(len(bits))}) AS {word}" for word, bits in words.items()]
    narrow += list(words)
    query = (f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(level1)} FROM (SELECT {', '.join(level0)} "
             f"FROM {inp.relation}))")
    run(con, f"CREATE TEMP VIEW __staging AS {query}")
    if inp.in_place:
        run(con, f"CREATE TEMP VIEW staged AS SELECT {', '.join(narrow)} FROM __staging")
    else:
        run(con, f"CREATE TABLE staged AS SELECT {', '.join(narrow)} FROM __staging")
    staged = Staged(con, inp, chosen, candidates, flags, pii)
    staged.rows = one(con, "SELECT count(*) FROM staged")
    staged.repeated_headers = tuple(int(r[0]) for r in run(
        con, f"SELECT {inp.row_sql} FROM staged WHERE __hdr ORDER BY {inp.pos}"))
    if inp.in_place and not staged.repeated_headers:
        # every later query filters on __hdr, which reads and compares every text column: with no
        # repeated header in the file, the view says so as a constant and DuckDB drops the filter
        narrow[narrow.index("__hdr")] = "false AS __hdr"
        run(con, f"CREATE OR REPLACE TEMP VIEW staged AS SELECT {', '.join(narrow)} FROM __staging")
    return staged


def _repeated_header_sql(pairs: list[tuple[str, str]]) -> str:
    """True where every text column holds its own header name (a header row repeated in the data).

    The first comparison guards the rest in a CASE: an AND of all of them is evaluated on every row
    (1 s of 12 staging 10⁷ rows), the guard on one column only.
    """
    if not pairs:
        return "false"
    equal = [f"{column} IS NOT DISTINCT FROM {sql_str(header)}" for column, header in pairs]
    if len(equal) == 1:
        return equal[0]
    return f"CASE WHEN {equal[0]} THEN {' AND '.join(equal[1:])} ELSE false END"


def bad_values(staged: Staged, names: list[str], positions: list[int]) -> dict[tuple[str, int], str]:
    """The raw (cleaned) text of the failed cells of ``names`` at record ``positions``.

    Read again from the input: Parquet in place by ``__pos``; a staged table's input is scanned once
    more into a temporary table of the failed columns, whose ``rowid`` is the record's position as in
    ``staged`` (the same scan, insertion order preserved). Only called when validation fails.
    """
    con, inp = staged.con, staged.inp
    columns = ", ".join(ident("__bad_" + n) for n in names)
    listed = ", ".join(str(int(p)) for p in sorted(set(positions)))
    if inp.in_place:
        rows = run(con, f"SELECT __pos, {columns} FROM __staging WHERE __pos IN ({listed})")
    else:
        run(con, f"CREATE OR REPLACE TEMP TABLE __bad AS SELECT {columns} FROM __staging")
        rows = run(con, f"SELECT rowid, {columns} FROM __bad WHERE rowid IN ({listed})")
    return {(name, int(row[0])): value for row in rows for name, value in zip(names, row[1:])}


# --------------------------------------------------------------------------- privacy gate
def privacy_gate(staged: Staged) -> None:
    """Refuse the input if any cell holds an identity number, naming rows and columns.

    The exact check (:func:`evalkit.privacy.scan_identifiers`) runs on the distinct values of each
    text column that pass the RE2 prefilter, on the distinct spellings of the category columns, and
    on the distinct candidates of the other columns (failed conversions, 7–12-digit numbers, unused
    columns), which the staging pass marked with one bit each: one aggregate counts them, and only a
    column that has any is read again for their text. Only when something is found are the rows
    holding it fetched, and :func:`~evalkit.privacy.check_identifiers` builds the refusal from them:
    the same message as the in-memory loader.
    """
    con, inp = staged.con, staged.inp
    check_identifiers(pd.DataFrame(columns=inp.headers), file=inp.source.path)  # the header names
    texts = {}   # header -> (column, prefilter) of the columns searched in ``staged`` itself
    for name, header in staged.chosen.items():
        if kind_of(name) in _MAPPED:
            texts[header] = (ident(name), None)
        elif kind_of(name) in _TEXT_KINDS and inp.is_text(header):
            texts[header] = (ident(name), f"regexp_matches({ident(name)}, {sql_str(TOKEN_PREFILTER)})")
    # one pass over the staged rows: the distinct values of every text column that pass the prefilter,
    # and how many candidates each marked column has
    marked, values_of = _one_pass(staged, texts)
    scan, pos = "staged", inp.pos
    if marked and inp.in_place:
        scan = "__staging"
    elif marked:
        # the candidates' text, read again; POSITIONAL JOIN pairs it with the staged rows in file order
        run(con, f"CREATE OR REPLACE TEMP TABLE __cand AS SELECT {', '.join(staged.candidates[h] for h in marked)} "
                 "FROM __staging")
        scan, pos = "(SELECT staged.rowid AS __r, staged.*, __cand.* FROM staged POSITIONAL JOIN __cand)", "__r"
    sources = {header: (staged.candidates[header], None) for header in marked}
    sources.update(texts)
    found: dict[str, list] = {}
    for header, (column, prefilter) in sources.items():
        values = values_of[header] if header in values_of else distinct(con, column, prefilter, scan)
        if values.empty:
            continue
        hits = scan_identifiers(pd.DataFrame({header: values}), max_hits=MAX_IDENTIFIER_ROWS)
        if hits:
            found[header] = values.loc[sorted({h.row for h in hits})].tolist()
    if not found:
        return
    columns = ", ".join(f"{sources[h][0]} AS {ident(h)}" for h in found)
    where = " OR ".join(f"{sources[h][0]} IN ({', '.join(_literal(v) for v in vals)})"
                        for h, vals in found.items())
    rows = con.sql(f"SELECT {inp.row_at(pos)} AS row, {columns} FROM {scan} WHERE NOT __hdr AND ({where}) "
                   f"ORDER BY {pos} LIMIT {MAX_IDENTIFIER_ROWS}").df().set_index("row")
    check_identifiers(rows, file=inp.source.path)
    raise AssertionError("identity numbers found by value were not found by row")  # pragma: no cover


def _one_pass(staged: Staged, texts: dict[str, tuple[str, str | None]]) -> tuple[list[str], dict[str, pd.Series]]:
    """One aggregate over ``staged``: headers of the columns with identity-number candidates, and each
    text column's distinct values that pass its prefilter (``list(DISTINCT …) FILTER``), as Series."""
    if not staged.pii and not texts:
        return [], {}
    parts = [f"count(*) FILTER (WHERE ({word} & {bit}) <> 0)" for word, bit in staged.pii.values()]
    for column, prefilter in texts.values():
        parts.append(f"list(DISTINCT {column}) FILTER (WHERE {column} IS NOT NULL"
                     + (f" AND {prefilter})" if prefilter else ")"))
    result = staged.con.sql(f"SELECT {', '.join(parts)} FROM staged WHERE NOT __hdr").to_arrow_table()
    if hasattr(result, "read_all"):
        result = result.read_all()
    counts = [result.column(k)[0].as_py() for k in range(len(staged.pii))]
    marked = [header for header, count in zip(staged.pii, counts) if count]
    values = {}
    for k, header in enumerate(texts, start=len(staged.pii)):
        cell = result.column(k)[0]
        series = cell.values.to_pandas() if cell.is_valid else pd.Series([], dtype=object)
        values[header] = (series.astype("string") if series.dtype == object else series).reset_index(drop=True)
    return marked, values


def distinct(con, column: str, condition: str | None = None, relation: str = "staged") -> pd.Series:
    """Distinct non-null values of a column of ``relation`` (RangeIndex), repeated header rows left out."""
    where = f"{column} IS NOT NULL AND NOT __hdr" + (f" AND {condition}" if condition else "")
    frame = con.sql(f"SELECT DISTINCT {column} AS v FROM {relation} WHERE {where}").df()
    values = frame["v"]
    if values.dtype == object:
        values = values.astype("string")
    return values.reset_index(drop=True)


def _literal(value) -> str:
    if isinstance(value, str):
        return sql_str(value)
    return repr(float(value)) if isinstance(value, float) else str(int(value))


# --------------------------------------------------------------------------- category maps
def value_maps(staged: Staged, user) -> dict[str, dict[str, str]]:
    """Each mapped column's distinct spellings -> canonical value, by the in-memory loader's aliases."""
    maps = {}
    for name in staged.chosen:
        if kind_of(name) not in _MAPPED:
            continue
        kind = DECISIONS.column(name).kind
        aliases = VALUE_ALIASES.get("bool" if kind == "bool" else name) or {
            v: (v,) for v in DECISIONS.column(name).allowed or ()}
        lookup = {normalise_value(s): canon for canon, spellings in aliases.items() for s in spellings}
        lookup.update({normalise_value(k): v for k, v in user.values.get(name, {}).items()})
        spellings = distinct(staged.con, ident(name)).tolist()
        maps[name] = {v: lookup[normalise_value(v)] for v in spellings if normalise_value(v) in lookup}
    return maps


def mapped_sql(name: str, mapping: dict[str, str]) -> str:
    """The canonical value of a mapped column; NULL for an unknown spelling."""
    kind = DECISIONS.column(name).kind
    if mapping:
        whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in mapping.items())
        expr = f"CASE {ident(name)} {whens} END"
    else:
        expr = "CAST(NULL AS VARCHAR)"
    if kind == "bool":
        return f"CAST({expr} AS BOOLEAN)"
    if name == "qualifier":
        return f"CAST({expr} AS BIGINT)"
    return expr


# --------------------------------------------------------------------------- validation
_EXPECTED = {
    "date": "a date (2019-03-05, 20190305 or 5.3.2019)",
    "float": "a number (decimal comma or point, or hh:mm)",
    "int": "a whole number",
    "bool": "Ja/Nej (or yes/no, 1/0)",
}


def _checks(staged: Staged, maps: dict[str, dict[str, str]]):
    """(condition, value SQL, header, message) for every check, in the in-memory loader's order."""
    for col in DECISIONS.columns:
        header = staged.chosen.get(col.name)
        if header is None:
            continue
        name, kind = ident(col.name), kind_of(col.name)
        failed = f"(__flags & {staged.flags[col.name]}) <> 0" if col.name in staged.flags else None
        if col.name == "icf_code":
            yield (f"{name} IS NOT NULL AND NOT regexp_matches({name}, '^[bsde]\\d{{1,5}}$')", name, header,
                   lambda v: f"expected an ICF code like d510, got '{safe_value(v)}'")
        elif col.name == "qualifier":
            yield (f"{name} IS NOT NULL AND ({mapped_sql(col.name, maps[col.name])}) IS NULL", name, header,
                   lambda v: f"expected an ICF qualifier 0–4, 8 or 9, got '{safe_value(v)}'")
        elif kind in _CONVERTED:
            # the value is the cell's raw text, read again for the rows listed (see validate)
            yield (failed, _Raw(col.name), header, lambda v, e=_EXPECTED[kind]: f"expected {e}, got '{safe_value(v)}'")
        elif kind in _MAPPED:
            expected = _EXPECTED.get(col.kind) or "one of " + ", ".join(col.allowed or ())
            yield (f"{name} IS NOT NULL AND ({mapped_sql(col.name, maps[col.name])}) IS NULL", name, header,
                   lambda v, e=expected: f"expected {e}, got '{safe_value(v)}'")
        if kind == "float":
            yield (f"{name} < 0", name, header, lambda v: f"expected a number ≥ 0, got {v:g}")
        if col.name == "hours_per_month":
            yield (f"{name} > {MAX_HOURS_PER_MONTH}", name, header,
                   lambda v: f"{safe_value(f'{v:g}')} hours in a month is more than a month has "
                             f"({MAX_HOURS_PER_MONTH}); a yearly figure, minutes or a typo?")
        if kind in ("date", "datetime"):
            # the canonical frame is datetime64[ns]: years outside 1678–2261 cannot be held
            yield (f"{name} IS NOT NULL AND (year({name}) < {NS_FIRST_YEAR} OR year({name}) > {NS_LAST_YEAR})",
                   name, header, lambda v: f"expected a date in {NS_FIRST_YEAR}–{NS_LAST_YEAR}, got '{v}'")
        if not col.nullable:
            empty = f"{name} IS NULL" + (f" AND NOT {failed}" if failed else "")
            yield (empty, "NULL", header, lambda v: "empty cell in a required column")


def validate(staged: Staged, maps: dict[str, dict[str, str]]) -> None:
    """Every check counted in one aggregate; the first 20 rows of each failing check listed."""
    con, inp = staged.con, staged.inp
    checks = list(_checks(staged, maps))
    counts = [f"count(*) FILTER (WHERE {cond})" for cond, *_ in checks]
    # distinct 64-bit hashes are cheaper to count than distinct strings; as many hashes as ids means no
    # id repeats (equal ids hash equal), and only otherwise are the ids themselves counted
    counts.append("count(decision_id) - count(DISTINCT hash(decision_id))")
    *failures, duplicates = run(con, f"SELECT {', '.join(counts)} FROM staged WHERE NOT __hdr")[0]
    if duplicates:
        duplicates = one(con, "SELECT count(decision_id) - count(DISTINCT decision_id) FROM staged WHERE NOT __hdr")
    problems = _Problems(inp.source.path)
    listed = []
    for (cond, value, header, message), count in zip(checks, failures):
        if count:
            what = "NULL" if isinstance(value, _Raw) else value
            first = run(con, f"SELECT {inp.row_sql}, {what}, {inp.pos} FROM staged WHERE NOT __hdr AND {cond} "
                             f"ORDER BY {inp.pos} LIMIT 20")
            listed.append((count, first, header, message, value))
    raw = [(value.name, first) for _, first, _, _, value in listed if isinstance(value, _Raw)]
    texts = bad_values(staged, [name for name, _ in raw], [r[2] for _, first in raw for r in first]) if raw else {}
    for count, first, header, message, value in listed:
        if isinstance(value, _Raw):
            first = [(row, texts[value.name, pos], pos) for row, _, pos in first]
        problems.add(count, [(row, v) for row, v, _ in first], header, message)
    if duplicates:
        row = inp.row_sql
        first = run(con, f"""
            SELECT r, k, f FROM (
                SELECT {row} r, decision_id k, first({row}) OVER w f, row_number() OVER w n
                FROM staged WHERE NOT __hdr WINDOW w AS (PARTITION BY decision_id ORDER BY {inp.pos}))
            WHERE k IS NOT NULL AND n > 1 ORDER BY r LIMIT 20""")
        problems.add(duplicates, [(r, (k, f)) for r, k, f in first], staged.chosen["decision_id"],
                     lambda v: f"duplicated decision_id '{v[0]}' (also on row {v[1]})")
    problems.raise_if_any()


@dataclass(frozen=True)
class _Raw:
    """A check's value is the raw text of converted column ``name`` (not staged; see :func:`bad_values`)."""

    name: str


class _Problems:
    def __init__(self, file: str):
        self.file, self.items, self.total = file, [], 0

    def add(self, count: int, rows: list[tuple[int, object]], column: str, message) -> None:
        self.total += count
        for row, value in rows:
            if len(self.items) < PROBLEM_CAP:
                self.items.append(Problem(message(value), file=self.file, row=int(row), column=column))

    def raise_if_any(self) -> None:
        if self.total:
            raise DataError(f"{Path(self.file).name}: {self.total} problem(s) found in the decisions table; "
                            "nothing was loaded", self.items)


# --------------------------------------------------------------------------- the canonical view
def create_view(staged: Staged, maps: dict[str, dict[str, str]]) -> list[str]:
    """View ``decisions``: ``__row`` and the canonical columns, in the in-memory loader's order."""
    select, names = [f"{staged.inp.row_sql} AS __row"], []
    for col in DECISIONS.columns:
        if col.name in staged.chosen:
            expr = mapped_sql(col.name, maps[col.name]) if col.name in maps else ident(col.name)
        elif not col.extra:
            expr = f"CAST(NULL AS {_DUCK_TYPES.get(col.kind, 'VARCHAR')})"
        else:
            continue
        select.append(f"{expr} AS {ident(col.name)}")
        names.append(col.name)
    run(staged.con, f"CREATE VIEW decisions AS SELECT {', '.join(select)} FROM staged WHERE NOT __hdr")
    return names


_DUCK_TYPES = {"date": "DATE", "float": "DOUBLE", "int": "BIGINT", "bool": "BOOLEAN"}


def date_flags(con) -> dict[str, tuple[int, ...]]:
    """Rows whose dates are out of order (kept and flagged, as in the in-memory loader)."""
    from evalkit.io._canonical import DATE_ORDER_FLAGS

    names = set(DECISIONS.names)
    pairs = [f for f in DATE_ORDER_FLAGS if f[1] in names and f[2] in names]   # the decisions table's own pairs
    counts = run(con, "SELECT " + ", ".join(f"count(*) FILTER (WHERE {later} < {earlier})"
                                            for _, earlier, later in pairs) + " FROM decisions")[0]
    flags = {}
    for (flag, earlier, later), count in zip(pairs, counts):
        if count:
            rows = run(con, f"SELECT __row FROM decisions WHERE {later} < {earlier} ORDER BY __row")
            flags[flag] = tuple(int(r[0]) for r in rows)
    return flags


# --------------------------------------------------------------------------- all of it
def prepare(path, mapping, memory_limit, temp_directory, threads, timings: dict | None = None):
    """Connection holding the validated view ``decisions``, its LoadRecord and column names.

    ``timings``, if given, receives the seconds each phase took (``stage``, ``file_facts`` —
    the wait for the hashing thread after staging —, ``privacy``, ``validate``), for
    ``benchmarks/register_scale.py``.
    """
    path = Path(path)
    clock = Clock(timings)
    con = connect(memory_limit, temp_directory, threads)
    facts = _Background(file_facts, path)   # ~1.4 s per GB: overlap it with DuckDB
    try:
        with engine_errors(str(path)):
            inp = open_input(con, path, spill_dir(temp_directory))
            try:
                user = load_mapping(mapping, DECISIONS)
                chosen = resolve_columns(inp.headers, DECISIONS, user, file=str(path))
                choose_in_place(con, inp, chosen)
                staged = stage(con, inp, chosen)
                clock.lap("stage")
                if not staged.rows:
                    raise DataError(f"{path.name}: no data rows", [Problem("no data rows", file=str(path))])
                known = facts.result()
                _find_blank_lines(staged, path, known)
                clock.lap("file_facts")
                privacy_gate(staged)
                clock.lap("privacy")
                maps = value_maps(staged, user)
                validate(staged, maps)   # may read the input again (bad_values): the re-encoded copy is kept till here
            finally:
                for temporary in inp.temporary:
                    temporary.unlink(missing_ok=True)
            names = create_view(staged, maps)
            record = _record(staged, known.sha256, date_flags(con))
            clock.lap("validate")
    except BaseException:
        con.close()
        raise
    return con, record, names


class Clock:
    """Wall seconds per phase in ``timings[name]`` and CPU seconds (all threads) in ``timings[name + "_cpu"]``."""

    def __init__(self, timings: dict | None):
        self.timings, self.last, self.cpu = timings, time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.timings is not None:
            self.timings[name] = now - self.last
            self.timings[name + "_cpu"] = cpu - self.cpu
        self.last, self.cpu = now, cpu


def _find_blank_lines(staged: Staged, path: Path, facts: FileFacts) -> None:
    """Set the input's blank lines when the file has more lines than header, preamble and records."""
    inp = staged.inp
    if facts.lines is None or facts.lines <= inp.first_row - 1 + staged.rows:
        return
    inp.blank_lines = blank_lines(path, inp.first_row - 1)
    if inp.blank_lines:
        # the repeated header rows were numbered before the shift was known
        staged.repeated_headers = tuple(int(r[0]) for r in run(
            staged.con, f"SELECT {inp.row_sql} FROM staged WHERE __hdr ORDER BY {inp.pos}"))


def _record(staged: Staged, sha256: str, flags) -> LoadRecord:
    inp = staged.inp
    exclusions, rows_read = [], staged.rows
    if inp.blank_lines:
        exclusions.append(Exclusion("blank row", inp.blank_lines))
        rows_read += len(inp.blank_lines)
    if staged.repeated_headers:
        exclusions.append(Exclusion("repeated header row", staged.repeated_headers))
    source = dataclasses.replace(inp.source, sha256=sha256)
    record = LoadRecord(table="decisions", source=source, rows_read=rows_read,
                        rows_kept=staged.rows - len(staged.repeated_headers), exclusions=exclusions, flags=flags)
    record.notes.append("loaded out of core with DuckDB")
    if source.encoding and str(source.encoding).lower() not in ("utf-8", "utf-8-sig"):
        record.notes.append(f"read as {source.encoding} (not UTF-8), re-encoded to UTF-8 for DuckDB")
    unused = [h for h in inp.headers if h not in staged.chosen.values()]
    if unused:
        record.notes.append(f"columns not used: {unused}")
    missing = [c for c in DECISIONS.core if c not in staged.chosen]
    if missing:
        record.notes.append(f"columns not in the file (left empty): {missing}")
    record.check()
    return record


class _Background:
    """Run ``fn(*args)`` in a thread (hashlib releases the GIL); ``result()`` joins and re-raises."""

    def __init__(self, fn, *args):
        self._value, self._error = None, None
        self._thread = threading.Thread(target=self._run, args=(fn, *args), daemon=True)
        self._thread.start()

    def _run(self, fn, *args):
        try:
            self._value = fn(*args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
