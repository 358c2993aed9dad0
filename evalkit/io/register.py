"""Register-scale decisions: out-of-core loading and unit × month aggregation in DuckDB.

National registers (e.g. Socialstyrelsen's elderly-care register, about
5·10⁷ person-month rows) do not fit the in-memory loader. This module runs the
same steps as :func:`evalkit.io.decisions.load_decisions` — privacy gate,
column mapping by the same aliases, type conversion, validation, row
accounting — inside an embedded DuckDB database that reads CSV and Parquet
lazily and spills to disk, and aggregates to the unit × month panel of
:func:`evalkit.outcomes.monthly_panel` in SQL.

* :func:`load_decisions_large` — the canonical decisions table (pandas, via Arrow).
* :func:`register_panel` — the monthly panel straight from the file(s), without
  materialising the decisions in pandas.
* :func:`choose_engine` — which path ``engine="auto"`` takes for a path.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import DataError, DataWarning, Problem
from evalkit.io.mapping import VALUE_ALIASES, load_mapping, normalise_value, resolve_columns
from evalkit.provenance import Exclusion, LoadRecord, SourceFile, attach, sha256_file
from evalkit.schemas import DECISIONS, MISSING_START_RULES, PANDAS_DTYPES, PANEL_TOTAL, month_number

__all__ = [
    "AUTO_THRESHOLD_BYTES",
    "DEFAULT_MEMORY_LIMIT",
    "REGISTER_PANEL_COLUMNS",
    "choose_engine",
    "load_decisions_large",
    "register_panel",
]

#: Inputs at least this large (bytes, summed over a directory) go to DuckDB under ``engine="auto"``.
AUTO_THRESHOLD_BYTES = 256 * 2**20
#: DuckDB's working-memory cap unless ``memory_limit`` or ``EVALKIT_DUCKDB_MEMORY`` says otherwise.
DEFAULT_MEMORY_LIMIT = "3GB"
#: Problems collected before validation stops looking (as the in-memory loader).
PROBLEM_CAP = 500
#: Rows per Arrow record batch in the streamed privacy scan.
SCAN_BATCH_ROWS = 500_000

#: Panel columns :func:`register_panel` computes (a subset of ``evalkit.outcomes.PANEL_COLUMNS``).
REGISTER_PANEL_COLUMNS = (
    "active_users", "granted_hours", "hours_per_user", "hours_per_user_n", "new_decisions",
    "processing_days_median", "processing_days_p90", "processing_n", "processing_excluded",
    "start_days_median", "start_n", "start_excluded", "denial_share", "denials", "decisions",
)
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_PARQUET_SUFFIXES = (".parquet", ".pq")
# The date forms of evalkit.io._infer.parse_dates, in DuckDB strptime notation.
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S")


# --------------------------------------------------------------------------- #
# engine choice and connection
# --------------------------------------------------------------------------- #
def _input_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _PARQUET_SUFFIXES)
        if not files:
            raise DataError(f"{path}: the directory holds no .parquet files",
                            [Problem("no parquet partitions", file=str(path))])
        return files
    if not path.is_file():
        raise DataError(f"{path}: no such file", [Problem("file not found", file=str(path))])
    return [path]


def choose_engine(path, engine: str = "auto") -> str:
    """Return ``"pandas"`` or ``"duckdb"`` for ``path``.

    ``"auto"`` picks DuckDB for directories of Parquet partitions and for
    files of at least :data:`AUTO_THRESHOLD_BYTES`; the in-memory path
    otherwise (it reads every format and sniffs harder).
    """
    if engine not in ("auto", "pandas", "duckdb"):
        raise DataError(f"engine must be 'auto', 'pandas' or 'duckdb', got {engine!r}")
    if engine != "auto":
        return engine
    path = Path(path)
    if path.is_dir():
        return "duckdb"
    if path.is_file() and path.suffix.lower() in _TEXT_SUFFIXES + _PARQUET_SUFFIXES:
        return "duckdb" if path.stat().st_size >= AUTO_THRESHOLD_BYTES else "pandas"
    return "pandas"


def _import_duckdb():
    try:
        import duckdb
    except ImportError:  # pragma: no cover - depends on the installation
        raise DataError("the register path needs the 'duckdb' package: pip install duckdb") from None
    return duckdb


def _sql(con, query: str) -> list[tuple]:
    """Run ``query`` to completion (DuckDB 2 refuses new work while a result is unfinished)."""
    return con.execute(query).fetchall()


def _one(con, query: str):
    return _sql(con, query)[0][0]


def _spill_dir(temp_directory) -> Path:
    spill = Path(temp_directory or Path(tempfile.gettempdir()) / "evalkit_duckdb")
    try:
        spill.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create DuckDB's spill directory {spill}: {exc}") from None
    return spill


def _connect(memory_limit, temp_directory, threads):
    duckdb = _import_duckdb()
    limit = memory_limit or os.environ.get("EVALKIT_DUCKDB_MEMORY", DEFAULT_MEMORY_LIMIT)
    spill = _spill_dir(temp_directory)
    config = {"memory_limit": str(limit), "temp_directory": str(spill), "preserve_insertion_order": True}
    if threads:
        config["threads"] = int(threads)
    try:
        return duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise DataError(f"cannot start DuckDB with memory_limit={limit!r}, temp_directory={str(spill)!r}: "
                        f"{exc}") from None


@contextmanager
def _engine_errors(file: str):
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
        raise DataError(f"{Path(file).name}: DuckDB could not read or process the input: {text}",
                        [Problem("unreadable input", file=file)]) from None


# --------------------------------------------------------------------------- #
# reading into DuckDB
# --------------------------------------------------------------------------- #
@dataclass
class _Source:
    source: SourceFile
    first_row: int          # file row number of the first data row
    headers: list[str]
    blank_lines: tuple[int, ...] = ()   # blank lines between data rows (DuckDB skips them)

    @property
    def row_sql(self) -> str:
        """SQL for a raw row's file row number from its position ``rowid``."""
        shift = ""
        if self.blank_lines:
            # record position k moves down one line per blank line above it
            cases = " ".join(f"WHEN rowid >= {line - self.first_row - i} THEN {i + 1}"
                             for i, line in reversed(list(enumerate(self.blank_lines))))
            shift = f" + CASE {cases} ELSE 0 END"
        return f"(rowid + {self.first_row}{shift})"


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


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
        info = read_raw(sample).info.source
    return info.encoding, info.delimiter, info.header_row


def _load_raw(con, path: Path, spill_dir: Path) -> _Source:
    """Create table ``raw`` (every cell VARCHAR, file order kept, ``rowid`` = position)."""
    files = _input_files(path)
    if files[0].suffix.lower() in _PARQUET_SUFFIXES:
        listed = "[" + ", ".join(_sql_str(f) for f in files) + "]"
        _sql(con, f"CREATE TABLE raw0 AS SELECT * FROM read_parquet({listed}, union_by_name = true)")
        cols = [r[0] for r in _sql(con, "DESCRIBE raw0")]
        casts = ", ".join(f"CAST({_ident(c)} AS VARCHAR) AS {_ident(c)}" for c in cols)
        _sql(con, f"CREATE TABLE raw AS SELECT {casts} FROM raw0")
        _sql(con, "DROP TABLE raw0")
        digest = hashlib.sha256("".join(sha256_file(f) for f in files).encode()).hexdigest() \
            if len(files) > 1 else sha256_file(files[0])
        source = SourceFile(path=str(path), sha256=digest, size_bytes=sum(f.stat().st_size for f in files),
                            format="parquet")
        return _Source(source, 1, cols)
    if path.suffix.lower() not in _TEXT_SUFFIXES:
        raise DataError(f"{path.name}: the register path reads .csv/.txt/.tsv and .parquet; use engine='pandas'",
                        [Problem("unsupported format", file=str(path))])
    encoding, delimiter, header_row = _sniff_text(path)
    readable = path
    if str(encoding).lower() not in ("utf-8", "utf-8-sig"):
        readable = _transcode(path, encoding, spill_dir)
    _sql(con, 
        f"CREATE TABLE raw AS SELECT * FROM read_csv({_sql_str(readable)}, all_varchar = true, header = true, "
        f"delim = {_sql_str(delimiter)}, quote = '\"', escape = '\"', skip = {header_row - 1}, "
        f"strict_mode = true, null_padding = false)")
    if readable != path:
        readable.unlink()
    cols = [r[0] for r in _sql(con, "DESCRIBE raw")]
    source = SourceFile.from_path(path, "csv", encoding=encoding, delimiter=delimiter, header_row=header_row)
    return _Source(source, header_row + 1, cols, _blank_lines(path, header_row))


#: Beyond this many blank lines, row numbers count records rather than lines (noted in the record).
MAX_BLANK_LINES = 1000


def _blank_lines(path: Path, header_row: int) -> tuple[int, ...]:
    """Line numbers of empty lines after the header and before the last data line."""
    with open(path, "rb") as fh:
        data = np.memmap(fh, dtype=np.uint8, mode="r") if path.stat().st_size else np.zeros(0, np.uint8)
        newlines = np.flatnonzero(data == 10)
        if not len(newlines):
            return ()
        starts = np.r_[0, newlines[:-1] + 1]
        length = newlines - starts
        crlf = length == 1
        if crlf.any():
            crlf[crlf] = data[starts[crlf]] == 13
        blank = (length == 0) | crlf
        lines = np.flatnonzero(blank) + 1
    lines = lines[(lines > header_row) & (lines < len(newlines))]
    return tuple(int(x) for x in lines[:MAX_BLANK_LINES])



def _transcode(path: Path, encoding: str, spill_dir: Path) -> Path:
    """A UTF-8 copy (DuckDB reads UTF-8; cp1252 exports hold bytes latin-1 lacks), streamed in blocks."""
    target = Path(tempfile.mkstemp(suffix=".csv", dir=spill_dir)[1])
    try:
        with open(path, encoding=encoding, newline="") as src, open(target, "w", encoding="utf-8", newline="") as out:
            for block in iter(lambda: src.read(1 << 22), ""):
                out.write(block)
    except (UnicodeDecodeError, OSError) as exc:
        target.unlink(missing_ok=True)
        raise DataError(f"{path.name}: cannot re-encode {encoding} to UTF-8 for DuckDB ({exc})",
                        [Problem("re-encoding failed", file=str(path))]) from None
    return target


def _privacy_gate(con, src: _Source) -> None:
    """Stream the raw table through :func:`evalkit.privacy.check_identifiers`, batch by batch."""
    import pyarrow as pa

    from evalkit.privacy import check_identifiers

    check_identifiers(pd.DataFrame(columns=src.headers), file=src.source.path)  # the header names
    cols = ", ".join(_ident(c) for c in src.headers)
    reader = con.sql(f"SELECT {src.row_sql} AS __row, {cols} FROM raw ORDER BY rowid").to_arrow_reader(
        SCAN_BATCH_ROWS)
    for batch in reader:
        frame = batch.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
        frame = frame.set_index("__row")
        frame.index.name = "row"
        check_identifiers(frame, file=src.source.path)


# --------------------------------------------------------------------------- #
# conversion and validation in SQL
# --------------------------------------------------------------------------- #
def _cleaned(header: str) -> str:
    return f"NULLIF(trim({_ident(header)}), '')"


def _date_sql(header: str) -> str:
    formats = "[" + ", ".join(_sql_str(f) for f in _DATE_FORMATS) + "]"
    return f"CAST(try_strptime({_cleaned(header)}, {formats}) AS DATE)"


def _float_sql(header: str) -> str:
    c = _cleaned(header)
    hhmm = (f"CASE WHEN regexp_matches({c}, '^\\d{{1,4}}:[0-5]\\d$') THEN "
            f"TRY_CAST(split_part({c}, ':', 1) AS DOUBLE) + TRY_CAST(split_part({c}, ':', 2) AS DOUBLE) / 60 END")
    # decimal comma or point; spaces (incl. no-break) group thousands
    number = f"TRY_CAST(replace(regexp_replace({c}, '[\\s\u00a0\u2009\u202f]', '', 'g'), ',', '.') AS DOUBLE)"
    return f"COALESCE({hhmm}, {number})"


def _value_map(con, header: str, name: str, user) -> dict[str, str]:
    """Map the column's distinct spellings (few, even in a register) with the in-memory loader's aliases."""
    kind = DECISIONS.column(name).kind
    aliases = VALUE_ALIASES.get("bool" if kind == "bool" else name) or {v: (v,) for v in DECISIONS.column(name).allowed or ()}
    lookup = {normalise_value(s): canon for canon, spellings in aliases.items() for s in spellings}
    lookup.update({normalise_value(k): v for k, v in user.values.get(name, {}).items()})
    distinct = [r[0] for r in _sql(con, f"SELECT DISTINCT {_cleaned(header)} FROM raw")]
    return {v: lookup[normalise_value(v)] for v in distinct if v is not None and normalise_value(v) in lookup}


def _case_sql(header: str, mapped: dict[str, str]) -> str:
    if not mapped:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {_sql_str(k)} THEN {_sql_str(v)}" for k, v in mapped.items())
    return f"CASE {_cleaned(header)} {whens} END"


def _conversions(con, chosen: dict[str, str], user) -> dict[str, str]:
    exprs = {}
    for col in DECISIONS.columns:
        header = chosen.get(col.name)
        if header is None:
            if not col.extra:
                exprs[col.name] = f"CAST(NULL AS {_duck_type(col.kind)})"
            continue
        if col.name == "qualifier":
            exprs[col.name] = f"CAST({_case_sql(header, _value_map(con, header, col.name, user))} AS BIGINT)"
        elif col.name == "icf_code":
            exprs[col.name] = f"lower({_cleaned(header)})"
        elif col.kind == "date":
            exprs[col.name] = _date_sql(header)
        elif col.kind == "float":
            exprs[col.name] = _float_sql(header)
        elif col.kind == "int":
            exprs[col.name] = f"TRY_CAST(replace({_cleaned(header)}, ' ', '') AS BIGINT)"
        elif col.kind in ("category", "bool"):
            mapped = _value_map(con, header, col.name, user)
            if col.kind == "bool":
                exprs[col.name] = f"CAST({_case_sql(header, mapped)} AS BOOLEAN)"
            else:
                exprs[col.name] = _case_sql(header, mapped)
        elif col.kind == "id":
            exprs[col.name] = f"regexp_replace({_cleaned(header)}, '^(\\d+)\\.0+$', '\\1')"
        else:
            exprs[col.name] = _cleaned(header)
    return exprs


def _duck_type(kind: str) -> str:
    return {"date": "DATE", "float": "DOUBLE", "int": "BIGINT", "bool": "BOOLEAN"}.get(kind, "VARCHAR")


_EXPECTED = {
    "date": "a date (2019-03-05, 20190305 or 5.3.2019)",
    "float": "a number (decimal comma or point, or hh:mm)",
    "int": "a whole number",
    "bool": "Ja/Nej (or yes/no, 1/0)",
}


class _Problems:
    def __init__(self, file: str):
        self.file, self.items, self.total = file, [], 0

    def add(self, count: int, rows: list[tuple[int, str]], column: str, message) -> None:
        self.total += count
        for row, value in rows:
            if len(self.items) < PROBLEM_CAP:
                self.items.append(Problem(message(value), file=self.file, row=int(row), column=column))

    def raise_if_any(self) -> None:
        if self.total:
            raise DataError(f"{Path(self.file).name}: {self.total} problem(s) found in the decisions table; "
                            "nothing was loaded", self.items)


def _validate(con, src: _Source, chosen: dict[str, str], exprs: dict[str, str]) -> None:
    problems = _Problems(src.source.path)
    row = src.row_sql
    for col in DECISIONS.columns:
        header = chosen.get(col.name)
        if header is None:
            continue
        raw, conv = _cleaned(header), exprs[col.name]
        checks = []
        if col.name == "icf_code":
            checks.append((f"{raw} IS NOT NULL AND NOT regexp_matches({conv}, '^[bsde]\\d{{1,5}}$')",
                           lambda v: f"expected an ICF code like d510, got '{str(v).lower()}'"))
        elif col.name == "qualifier":
            checks.append((f"{raw} IS NOT NULL AND ({conv}) IS NULL",
                           lambda v: f"expected an ICF qualifier 0–4, 8 or 9, got '{v}'"))
        elif col.kind in _EXPECTED or col.kind == "category":
            expected = _EXPECTED.get(col.kind) or "one of " + ", ".join(col.allowed or ())
            checks.append((f"{raw} IS NOT NULL AND ({conv}) IS NULL",
                           lambda v, e=expected: f"expected {e}, got '{v}'"))
        if col.kind == "float":
            checks.append((f"({conv}) < 0", lambda v: f"expected a number ≥ 0, got {v}"))
        if not col.nullable:
            checks.append((f"{raw} IS NULL", lambda v: "empty cell in a required column"))
        for condition, message in checks:
            count = _one(con, f"SELECT count(*) FROM raw WHERE {condition}")
            if count:
                first = _sql(con, f"SELECT {row}, {_ident(header)} FROM raw WHERE {condition} "
                                    f"ORDER BY rowid LIMIT 20")
                problems.add(count, first, header, message)
    key = chosen["decision_id"]
    dup = _sql(con, 
        f"SELECT count(*) FROM (SELECT {exprs['decision_id']} k, row_number() OVER (PARTITION BY "
        f"{exprs['decision_id']} ORDER BY rowid) n FROM raw) WHERE k IS NOT NULL AND n > 1")[0][0]
    if dup:
        first = _sql(con, 
            f"SELECT r, k, f FROM (SELECT {row} r, {exprs['decision_id']} k, first({row}) OVER (PARTITION BY "
            f"{exprs['decision_id']} ORDER BY rowid) f, row_number() OVER (PARTITION BY {exprs['decision_id']} "
            f"ORDER BY rowid) n FROM raw) WHERE k IS NOT NULL AND n > 1 ORDER BY r LIMIT 20")
        problems.add(dup, [(r, (k, f)) for r, k, f in first], key,
                     lambda v: f"duplicated decision_id '{v[0]}' (also on row {v[1]})")
    problems.raise_if_any()


def _convert(con, src: _Source, exprs: dict[str, str]) -> None:
    select = ", ".join(f"{e} AS {_ident(name)}" for name, e in exprs.items())
    _sql(con, f"CREATE TABLE decisions AS SELECT {src.row_sql} AS __row, {select} FROM raw "
                "ORDER BY rowid")
    _sql(con, "DROP TABLE raw")


def _flags(con) -> dict[str, tuple[int, ...]]:
    from evalkit.io._canonical import DATE_ORDER_FLAGS

    flags = {}
    for flag, earlier, later in DATE_ORDER_FLAGS:
        rows = [r[0] for r in _sql(con, 
            f"SELECT __row FROM decisions WHERE {later} < {earlier} ORDER BY __row")]
        if rows:
            flags[flag] = tuple(int(r) for r in rows)
    return flags


def _prepare(path, mapping, memory_limit, temp_directory, threads):
    """Connection holding the validated table ``decisions`` and its LoadRecord."""
    path = Path(path)
    con = _connect(memory_limit, temp_directory, threads)
    with _engine_errors(str(path)):
        src = _load_raw(con, path, _spill_dir(temp_directory))
        rows_read = _one(con, "SELECT count(*) FROM raw")
        if not rows_read:
            raise DataError(f"{path.name}: no data rows", [Problem("no data rows", file=str(path))])
        _privacy_gate(con, src)
        user = load_mapping(mapping, DECISIONS)
        chosen = resolve_columns(src.headers, DECISIONS, user, file=str(path))
        exclusions = _drop_repeated_headers(con, src, chosen)
        if src.blank_lines:
            exclusions.insert(0, Exclusion("blank row", src.blank_lines))
            rows_read += len(src.blank_lines)
        exprs = _conversions(con, chosen, user)
        _validate(con, src, chosen, exprs)
        _convert(con, src, exprs)
        kept = _one(con, "SELECT count(*) FROM decisions")
        record = LoadRecord(table="decisions", source=src.source, rows_read=rows_read, rows_kept=kept,
                            exclusions=exclusions, flags=_flags(con))
    record.notes.append("loaded out of core with DuckDB")
    unused = [h for h in src.headers if h not in chosen.values()]
    if unused:
        record.notes.append(f"columns not used: {unused}")
    missing = [c for c in DECISIONS.core if c not in chosen]
    if missing:
        record.notes.append(f"columns not in the file (left empty): {missing}")
    record.check()
    return con, record, [c for c in exprs]


def _drop_repeated_headers(con, src: _Source, chosen: dict[str, str]) -> list[Exclusion]:
    """Exports concatenated from several runs repeat the header line; those rows are not data."""
    condition = " AND ".join(f"{_ident(h)} = {_sql_str(h)}" for h in chosen.values())
    rows = [r[0] for r in _sql(con, f"SELECT {src.row_sql} FROM raw WHERE {condition}")]
    if not rows:
        return []
    _sql(con, f"DELETE FROM raw WHERE {condition}")
    return [Exclusion("repeated header row", tuple(int(r) for r in rows))]


def _warn_flags(record: LoadRecord) -> None:
    if record.flags:
        parts = [f"{len(rows)} row(s) {flag} (e.g. row {rows[0]})" for flag, rows in record.flags.items()]
        warnings.warn(f"{Path(record.source.path).name}: {'; '.join(parts)}. The rows are kept and flagged; "
                      "measures that need both dates leave them out. Correct them in the source system if you "
                      "can.", DataWarning, stacklevel=3)


# --------------------------------------------------------------------------- #
# public functions
# --------------------------------------------------------------------------- #
def load_decisions_large(path, mapping=None, *, memory_limit: str | None = None,
                         temp_directory: str | Path | None = None, threads: int | None = None) -> pd.DataFrame:
    """Load a large decisions file or Parquet directory out of core into the canonical table.

    Parameters
    ----------
    path : str or Path
        A UTF-8 or cp1252 .csv/.txt/.tsv file, a .parquet file, or a directory
        of .parquet partitions (read recursively, columns united by name).
    mapping : str, Path, dict or ColumnMapping, optional
        As for :func:`evalkit.load_decisions`.
    memory_limit : str, optional
        DuckDB's working-memory cap, e.g. ``"2GB"`` (default
        :data:`DEFAULT_MEMORY_LIMIT` or ``$EVALKIT_DUCKDB_MEMORY``). Beyond it
        DuckDB spills to ``temp_directory``.
    temp_directory : str or Path, optional
        Where DuckDB spills (default ``<tmp>/evalkit_duckdb``).
    threads : int, optional
        DuckDB threads (default: all cores).

    Returns
    -------
    pandas.DataFrame
        The same canonical table (columns, dtypes, file-row index,
        :class:`~evalkit.provenance.LoadRecord`) as the in-memory loader.

    Raises
    ------
    IdentifierError
        Identity numbers anywhere (scanned in record batches of
        :data:`SCAN_BATCH_ROWS` rows; the first batch with hits is reported).
    DataError
        Unmappable columns, bad cells (counted per check, the first 20 of each
        listed with file row), duplicate decision ids, a full spill disk.

    Notes
    -----
    Conversions run in SQL: dates by ``try_strptime`` over the forms the
    in-memory reader accepts (ISO, ``20190305``, day-first ``5.3.2019``);
    numbers with decimal comma or point, space-grouped thousands and
    ``hh:mm`` durations; categories by mapping each *distinct* spelling with
    the same aliases. The result leaves DuckDB through Arrow (DuckDB's
    ``.df()`` on wide string tables is several times slower and larger).
    Row numbers of CSV files are the header line plus the record's position,
    exact unless quoted fields span lines. Not yet supported here: the ICF
    ``qualifier``/``icf_code`` columns, Excel files, the sniffer's footnote
    and preamble handling beyond the first 64 KiB.
    """
    con, record, names = _prepare(path, mapping, memory_limit, temp_directory, threads)
    with _engine_errors(str(path)):
        table = con.sql("SELECT * FROM decisions ORDER BY __row").to_arrow_table()
    con.close()
    if hasattr(table, "read_all"):
        table = table.read_all()
    frame = _to_canonical_frame(table, names)
    _warn_flags(record)
    return attach(frame, record)


def _to_canonical_frame(table, names: list[str]) -> pd.DataFrame:
    frame = table.to_pandas(timestamp_as_object=False, date_as_object=False)
    out = pd.DataFrame(index=pd.Index(frame["__row"].to_numpy(dtype=np.int64), name="row"))
    for name in names:
        kind = DECISIONS.column(name).kind
        values = frame[name].to_numpy()
        out[name] = pd.array(values, dtype=PANDAS_DTYPES[kind]) if kind != "date" else \
            pd.to_datetime(values).astype("datetime64[ns]")
    return out


# --------------------------------------------------------------------------- #
# unit × month panel in SQL
# --------------------------------------------------------------------------- #
def _month(column: str) -> str:
    return f"(year({column}) * 12 + month({column}) - 1)"


def _month_bounds(con, start, end) -> tuple[int, int]:
    first, last = month_number(start, "start"), month_number(end, "end")
    lo, hi = _sql(con, f"SELECT min({_month('decided_on')}), max({_month('decided_on')}) FROM decisions")[0]
    if (first is None and lo is None) or (last is None and hi is None):
        raise DataError("no dated decisions: the panel's months cannot be inferred; give start= and end=")
    # outcomes counts months from 1970-01; DuckDB's year*12+month from year 0
    offset = 1970 * 12
    first = int(lo) - offset if first is None else first
    last = int(hi) - offset if last is None else last
    if last < first:
        raise DataError(f"end is before start ({start!r}, {end!r})")
    return first + offset, last + offset


def _in_force_sql(missing_start: str, last: int) -> str:
    """Granted/partly decisions with their in-force month interval [b, e] (outcomes' rules)."""
    begin = "COALESCE(start_on, decided_on)" if missing_start == "decided_on" else "start_on"
    return f"""
        SELECT *, {_month('bd')} AS b, COALESCE({_month('end_on')}, {last}) AS e FROM (
            SELECT {{g}} AS g, person_id AS p, service AS s, decision_id, decided_on, end_on,
                   hours_per_month AS h, {begin} AS bd
            FROM decisions WHERE outcome IN ('granted', 'partly'))
        WHERE bd IS NOT NULL AND NOT (end_on IS NOT NULL AND end_on < bd)"""


def _distinct_persons_sql(intervals: str, first: int, last: int) -> str:
    """+1/−1 events of distinct persons per group: overlapping intervals of one person merged first."""
    return f"""
        WITH x AS (SELECT g, p, greatest(b, {first}) AS b, least(e, {last}) AS e FROM ({intervals})
                   WHERE greatest(b, {first}) <= least(e, {last})),
        y AS (SELECT *, max(e) OVER (PARTITION BY g, p ORDER BY b, e ROWS BETWEEN UNBOUNDED PRECEDING
                                     AND 1 PRECEDING) AS reach FROM x),
        z AS (SELECT *, sum(CASE WHEN reach IS NULL OR b > reach + 1 THEN 1 ELSE 0 END)
                        OVER (PARTITION BY g, p ORDER BY b, e ROWS UNBOUNDED PRECEDING) AS island FROM y),
        merged AS (SELECT g, min(b) AS b, max(e) AS e FROM z GROUP BY g, p, island)
        SELECT g, m, sum(d) AS d FROM (SELECT g, b AS m, 1 AS d FROM merged
                                       UNION ALL SELECT g, e + 1, -1 FROM merged) GROUP BY g, m"""


def _stock_sql(con, group: str, missing_start: str, first: int, last: int) -> dict[str, pd.DataFrame]:
    base = _in_force_sql(missing_start, last).format(g=group)
    # a later decision for the same person and service replaces the earlier one from the month it begins
    hours = f"""
        SELECT g, p, b, CASE WHEN nb IS NULL THEN e ELSE least(e, nb - 1) END AS e, h FROM (
            SELECT *, lead(b) OVER (PARTITION BY p, s ORDER BY bd, decided_on, decision_id) AS nb FROM ({base}))
        WHERE h IS NOT NULL"""
    sums = f"""
        WITH x AS (SELECT g, greatest(b, {first}) AS b, least(e, {last}) AS e, h FROM ({hours})
                   WHERE greatest(b, {first}) <= least(e, {last}))
        SELECT g, m, sum(d) AS d FROM (SELECT g, b AS m, h AS d FROM x UNION ALL SELECT g, e + 1, -h FROM x)
        GROUP BY g, m"""
    return {
        "active_users": con.sql(_distinct_persons_sql(base, first, last)).df(),
        "hours_per_user_n": con.sql(_distinct_persons_sql(hours, first, last)).df(),
        "granted_hours": con.sql(sums).df(),
    }


def _flow_sql(con, group: str, first: int, last: int) -> pd.DataFrame:
    query = f"""
        SELECT g, m,
            count(*) AS decisions,
            count(*) FILTER (WHERE outcome = 'denied') AS denials,
            quantile_cont(pd, 0.5) FILTER (WHERE pd >= 0) AS processing_days_median,
            quantile_cont(pd, 0.9) FILTER (WHERE pd >= 0) AS processing_days_p90,
            count(*) FILTER (WHERE pd >= 0) AS processing_n,
            count(*) FILTER (WHERE pd < 0) AS processing_excluded,
            quantile_cont(sd, 0.5) FILTER (WHERE granted AND sd >= 0) AS start_days_median,
            count(*) FILTER (WHERE granted AND sd >= 0) AS start_n,
            count(*) FILTER (WHERE granted AND sd < 0) AS start_excluded
        FROM (SELECT {group} AS g, {_month('decided_on')} AS m, outcome,
                     CAST(decided_on - applied_on AS DOUBLE) AS pd, CAST(start_on - decided_on AS DOUBLE) AS sd,
                     outcome IN ('granted', 'partly') AS granted
              FROM decisions WHERE decided_on IS NOT NULL)
        WHERE m BETWEEN {first} AND {last}
        GROUP BY g, m"""
    return con.sql(query).df()


def _grid(groups: list[str], first: int, last: int) -> pd.MultiIndex:
    return pd.MultiIndex.from_product([groups, range(first, last + 1)], names=["g", "m"])


def _cumulative(events: pd.DataFrame, groups: list[str], first: int, last: int) -> np.ndarray:
    grid = _grid(groups, first, last)
    steps = events[events["m"] <= last].set_index(["g", "m"])["d"].astype(float).reindex(grid, fill_value=0.0)
    return steps.to_numpy().reshape(len(groups), -1).cumsum(axis=1).reshape(-1)


def _panel_part(con, group_sql: str, groups: list[str], missing_start: str, first: int, last: int) -> dict:
    stock = _stock_sql(con, group_sql, missing_start, first, last)
    flow = _flow_sql(con, group_sql, first, last).set_index(["g", "m"]).reindex(_grid(groups, first, last))
    cols = {name: _cumulative(frame, groups, first, last) for name, frame in stock.items()}
    for name in ("active_users", "hours_per_user_n"):
        cols[name] = np.rint(cols[name]).astype(np.int64)
    counts = ("decisions", "denials", "processing_n", "processing_excluded", "start_n", "start_excluded")
    for name in flow.columns:
        values = flow[name].to_numpy(dtype=float, na_value=np.nan)
        cols[name] = np.nan_to_num(values).astype(np.int64) if name in counts else values
    cols["new_decisions"] = cols["decisions"]
    with np.errstate(invalid="ignore", divide="ignore"):
        cols["hours_per_user"] = np.where(cols["hours_per_user_n"] > 0,
                                          cols["granted_hours"] / np.maximum(cols["hours_per_user_n"], 1), np.nan)
        cols["denial_share"] = np.where(cols["decisions"] > 0,
                                        cols["denials"] / np.maximum(cols["decisions"], 1), np.nan)
    return cols


def register_panel(path, mapping=None, *, start=None, end=None, total: bool = True,
                   missing_start: str = "decided_on", memory_limit: str | None = None,
                   temp_directory: str | Path | None = None, threads: int | None = None) -> pd.DataFrame:
    """Unit × month panel of a register-scale decisions file, aggregated in DuckDB.

    Loads ``path`` as :func:`load_decisions_large` does (privacy gate,
    validation, row accounting) but never builds the decisions table in
    pandas: the measures are computed in SQL and only the panel (units ×
    months rows) leaves the database.

    Parameters
    ----------
    path : str or Path
        CSV, Parquet file or directory of Parquet partitions.
    mapping : optional
        As for :func:`evalkit.load_decisions`.
    start, end : date-like or str, optional
        First and last month (default: the months of the first and last ``decided_on``).
    total : bool, default True
        Add the municipality rows (``unit`` = ``"Total"``).
    missing_start : {"decided_on", "exclude"}
        As in :func:`evalkit.outcomes.monthly_panel`.
    memory_limit, temp_directory, threads
        As for :func:`load_decisions_large`.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit``, ``period`` and :data:`REGISTER_PANEL_COLUMNS`, with
        the values, dtypes and row order of :func:`evalkit.outcomes.monthly_panel`
        for those columns; the :class:`~evalkit.provenance.LoadRecord` in
        ``attrs["evalkit_provenance"]``.

    Notes
    -----
    The definitions are :func:`evalkit.outcomes.monthly_panel`'s. ``active_users``
    and ``hours_per_user_n`` count distinct persons without expanding decisions
    into person-months: each person's overlapping in-force month intervals are
    merged (gaps and islands with window functions), and +1/−1 events at the
    merged intervals' ends are summed and cumulated over months.
    ``granted_hours`` cumulates +h/−h events the same way, after the
    replacement rule (``lead`` of the begin month over person and service,
    ordered by begin date, ``decided_on`` and ``decision_id``). Medians and
    90th percentiles are ``quantile_cont`` (linear interpolation, R type 7 as
    ``numpy.quantile``). Follow-up, documentation and order-change columns are
    not computed here; use ``monthly_panel`` on :func:`load_decisions_large`.
    """
    if missing_start not in MISSING_START_RULES:
        raise DataError(f"missing_start must be one of {MISSING_START_RULES}, got {missing_start!r}")
    con, record, _ = _prepare(path, mapping, memory_limit, temp_directory, threads)
    with _engine_errors(str(path)):
        first, last = _month_bounds(con, start, end)
        groups = [r[0] for r in _sql(con, "SELECT DISTINCT unit FROM decisions WHERE unit IS NOT NULL ORDER BY unit")]
        if PANEL_TOTAL in groups and total:
            raise DataError(f"a unit is called '{PANEL_TOTAL}', the label of the municipality rows; "
                            "pass total=False")
        parts = [(groups, _panel_part(con, "unit", groups, missing_start, first, last))]
        if total:
            total_part = _panel_part(con, _sql_str(PANEL_TOTAL), [PANEL_TOTAL], missing_start, first, last)
            parts.append(([PANEL_TOTAL], total_part))
    con.close()
    frames = [_assemble(groups_, cols, first, last) for groups_, cols in parts]
    panel = pd.concat(frames, ignore_index=True)
    _warn_flags(record)
    return attach(panel, record)


def _assemble(groups: list[str], cols: dict, first: int, last: int) -> pd.DataFrame:
    n = last - first + 1
    months = (np.arange(first, last + 1) - 1970 * 12).astype("datetime64[M]").astype("datetime64[ns]")
    frame = pd.DataFrame({"unit": pd.array(np.repeat(np.array(groups, dtype=object), n), dtype="string"),
                          "period": np.tile(months, len(groups))})
    for name in REGISTER_PANEL_COLUMNS:
        frame[name] = cols[name]
    return frame
