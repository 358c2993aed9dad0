"""Turn a raw table (every cell a string) into a validated canonical table.

The steps, in order, for every loader:

1. read the file (``evalkit.io.read.read_raw``: strings, file row numbers as index);
2. refuse it if it holds identity numbers anywhere (``read_raw`` runs the privacy gate:
   the table, the rows that are not data, other sheets, labels, metadata, the file name);
3. map headers to canonical columns (user mapping, then built-in aliases);
4. convert every column to its canonical type, collecting *all* problems;
5. check allowed values, required cells and duplicate keys;
6. flag (not drop) rows whose dates are impossible;
7. attach the row accounting (:class:`evalkit.provenance.LoadRecord`).
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Callable

import pandas as pd

from evalkit.errors import DataError, DataWarning, Problem
from evalkit.io.mapping import (
    VALUE_ALIASES,
    ColumnMapping,
    load_mapping,
    normalise_value,
    resolve_columns,
)
from evalkit.privacy import redact, safe_value
from evalkit.provenance import LoadRecord, attach
from evalkit.schemas import PANDAS_DTYPES, Column, TableSchema

#: Problems collected before a loader stops looking (the error lists the first 50).
PROBLEM_CAP = 500

_ICF = re.compile(r"^[bsde]\d{1,5}$")
_HHMM = re.compile(r"^\s*(\d{1,4}):([0-5]\d)\s*$")
_INTEGRAL_FLOAT = re.compile(r"^(\d+)\.0+$")
QUALIFIERS = {0, 1, 2, 3, 4, 8, 9}

# Flags for kept rows whose dates cannot both be right: (flag, earlier column, later column).
DATE_ORDER_FLAGS = (
    ("decided before applied", "applied_on", "decided_on"),
    ("ends before it starts", "start_on", "end_on"),
    ("visit ends before it starts", "visit_start", "visit_end"),
)

#: Hours in the longest month (31 × 24): a monthly amount above it cannot be right (a typo, a yearly
#: figure, minutes); refused, naming the cell, rather than let one row dominate a mean.
MAX_HOURS_PER_MONTH = 744


class _Collector:
    """Collects problems up to a cap so that one error reports them all."""

    def __init__(self, file: str, sheet: str | None):
        self.file, self.sheet = file, sheet
        self.problems: list[Problem] = []
        self.more = 0
        self.cells: set[tuple[int | None, str | None]] = set()

    def has(self, row: int, column: str) -> bool:
        return (row, column) in self.cells

    def add(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.cells.add((row, column))
        if len(self.problems) < PROBLEM_CAP:
            self.problems.append(Problem(message, file=self.file, sheet=self.sheet, row=row, column=column))
        else:
            self.more += 1

    def add_rows(self, rows, message_for: Callable[[int], str], column: str | None) -> None:
        for row in rows:
            self.add(message_for(row), row=int(row), column=column)

    def raise_if_any(self, what: str) -> None:
        if self.problems:
            total = len(self.problems) + self.more
            raise DataError(f"{Path(self.file).name}: {total} problem(s) found {what}; nothing was loaded",
                            self.problems)


def load_canonical(path, schema: TableSchema, *, mapping=None, sheet=None, **read_options) -> pd.DataFrame:
    """Read ``path`` into the canonical table ``schema`` (see module docstring)."""
    from evalkit.io.read import read_raw

    raw = read_raw(path, sheet=sheet, **read_options)  # the privacy gate runs here
    file = str(path)
    sheet_name = raw.info.source.sheet
    user = load_mapping(mapping, schema)
    headers = [str(c) for c in raw.frame.columns]
    chosen = resolve_columns(headers, schema, user, file=file, sheet=sheet_name)
    _refuse_duplicated_headers(chosen, raw.info.columns_original, file, sheet_name)

    problems = _Collector(file, sheet_name)
    out = pd.DataFrame(index=raw.frame.index)
    for col in schema.columns:
        header = chosen.get(col.name)
        if header is None:
            if not col.extra:
                out[col.name] = pd.Series(pd.NA, index=out.index, dtype=PANDAS_DTYPES[col.kind])
            continue
        out[col.name] = _convert(raw.frame[header], col, header, user, problems)
    _check_required_cells(out, schema, chosen, problems)
    _check_keys(out, schema, chosen, problems)
    problems.raise_if_any(f"in the {schema.name} table")

    record = LoadRecord(
        table=schema.name,
        source=raw.info.source,
        rows_read=raw.info.rows_read,
        rows_kept=len(out),
        exclusions=list(raw.info.exclusions),
        flags=_date_flags(out),
        notes=list(raw.info.notes),
    )
    unused = [h for h in headers if h not in chosen.values()]
    if unused:
        record.notes.append(f"columns not used: {unused}")
    missing = [c for c in schema.core if c not in chosen]
    if missing:
        record.notes.append(f"columns not in the file (left empty): {missing}")
    if mapping is not None and user.source:
        record.notes.append(f"mapping file: {user.source}")
    warn_flags(record, file)
    return attach(out, record)


def _refuse_duplicated_headers(chosen: dict, original: list[str], file: str, sheet) -> None:
    """A canonical column read from a header the file has twice: which one holds it cannot be known."""
    from collections import Counter

    counts = Counter(original)
    problems = []
    for canon, header in chosen.items():
        if counts.get(header, 0) > 1:
            where = [j for j, name in enumerate(original, start=1) if name == header]
            problems.append(Problem(f"header '{safe_value(header)}' (for {canon}) appears in columns "
                                    f"{', '.join(map(str, where))}; rename one of them or map the right one in "
                                    "a mapping file", file=file, sheet=sheet, column=header))
    if problems:
        raise DataError(f"{Path(file).name}: {len(problems)} header(s) appear more than once; nothing was loaded",
                        problems)


def _convert(values: pd.Series, col: Column, header: str, user: ColumnMapping, problems: _Collector) -> pd.Series:
    converter = {
        "id": _to_id, "str": _to_str, "date": _to_date, "datetime": _to_datetime,
        "float": _to_float, "int": _to_int, "bool": _to_bool, "category": _to_category,
    }[col.kind]
    return converter(values, col, header, user, problems)


def _clean(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip()
    return s.mask(s == "", pd.NA)


def _to_str(values, col, header, user, problems):
    return _clean(values)


def _to_id(values, col, header, user, problems):
    s = _clean(values)
    # Excel stores numeric ids as floats; "1234.0" is the id 1234. Found first with a vectorised match, so the
    # per-value replacement runs only where there is one (most exports have none: 0.15 s on 21,000 decisions).
    floats = s.str.fullmatch(_INTEGRAL_FLOAT.pattern).fillna(False).astype(bool)
    if floats.any():
        s = s.mask(floats, s[floats].str.replace(_INTEGRAL_FLOAT, r"\1", regex=True))
    return s


def _to_date(values, col, header, user, problems):
    from evalkit.io.read import parse_dates

    parsed, bad = parse_dates(_clean(values))
    _report_bad(values, bad, header, problems, "a date in 1678–2261 (2019-03-05, 20190305 or 5.3.2019)")
    return pd.to_datetime(parsed).dt.normalize().astype("datetime64[ns]")


def _to_datetime(values, col, header, user, problems):
    from evalkit.io.read import parse_dates

    parsed, bad = parse_dates(_clean(values))
    _report_bad(values, bad, header, problems, "a date and time in 1678–2261 (2021-03-01 07:45)")
    return pd.to_datetime(parsed).astype("datetime64[ns]")


def _to_float(values, col, header, user, problems):
    from evalkit.io.read import parse_numbers

    s = _clean(values)
    hhmm = s.str.extract(_HHMM)
    is_hhmm = hhmm[0].notna()
    parsed, bad = parse_numbers(s.mask(is_hhmm, pd.NA))
    parsed = parsed.astype("Float64")
    if is_hhmm.any():  # durations written "41:30" are 41.5 hours
        parsed[is_hhmm] = hhmm.loc[is_hhmm, 0].astype(float) + hhmm.loc[is_hhmm, 1].astype(float) / 60
    _report_bad(values, bad, header, problems, "a number (decimal comma or point, or hh:mm)")
    negative = parsed.lt(0).fillna(False)
    problems.add_rows(parsed.index[negative], lambda r: f"expected a number ≥ 0, got {safe_value(parsed[r])}", header)
    if col.name == "hours_per_month":
        huge = parsed.gt(MAX_HOURS_PER_MONTH).fillna(False)
        problems.add_rows(parsed.index[huge], lambda r: f"{safe_value(values[r])} hours in a month is more than a "
                          f"month has ({MAX_HOURS_PER_MONTH}); a yearly figure, minutes or a typo?", header)
    return parsed


def _to_int(values, col, header, user, problems):
    from evalkit.io.read import parse_numbers

    if col.name == "qualifier":
        return _to_qualifier(values, header, user, problems)
    parsed, bad = parse_numbers(_clean(values))
    _report_bad(values, bad, header, problems, "a whole number")
    parsed = parsed.astype("Float64")
    fractional = (parsed % 1 != 0).fillna(False)
    problems.add_rows(parsed.index[fractional], lambda r: f"expected a whole number, got {safe_value(parsed[r])}", header)
    return parsed.where(~fractional).round().astype("Int64")


def _to_qualifier(values, header, user, problems):
    codes = _map_values(values, VALUE_ALIASES["qualifier"], user.values.get("qualifier", {}), header, problems,
                        "an ICF qualifier 0–4, 8 or 9 (or its label, e.g. 'måttligt problem')")
    return pd.to_numeric(codes).astype("Int64")


def _to_bool(values, col, header, user, problems):
    mapped = _map_values(values, VALUE_ALIASES["bool"], user.values.get(col.name, {}), header, problems,
                         "Ja/Nej (or yes/no, 1/0)")
    return mapped.map({"true": True, "false": False}, na_action="ignore").astype("boolean")


def _to_category(values, col, header, user, problems):
    aliases = VALUE_ALIASES.get(col.name, {v: (v,) for v in col.allowed or ()})
    expected = "one of " + ", ".join(col.allowed or ())
    return _map_values(values, aliases, user.values.get(col.name, {}), header, problems, expected)


def _map_values(values, aliases: dict, user_values: dict, header, problems, expected) -> pd.Series:
    s = _clean(values)
    lookup = {normalise_value(spelling): canon for canon, spellings in aliases.items() for spelling in spellings}
    lookup.update({normalise_value(k): v for k, v in user_values.items()})
    # fold each distinct spelling once (a column of 20,000 cells has a handful): 85,000 calls → a dozen
    folded = s.map({v: normalise_value(v) for v in s.dropna().unique()}, na_action="ignore")
    mapped = folded.map(lookup, na_action="ignore").astype("string")
    unknown = mapped.isna() & s.notna()
    if unknown.any():
        for value, rows in s[unknown].groupby(s[unknown], sort=True).groups.items():
            first = [int(r) for r in list(rows)[:3]]
            for r in first:
                problems.add(f"unknown value '{safe_value(value)}', expected {expected}; add it under "
                             f"[values.<column>] in a mapping file if it is a local spelling "
                             f"({len(rows)} row(s) have it)", row=r, column=header)
    return mapped


def _report_bad(values, bad: pd.Series, header: str, problems: _Collector, expected: str) -> None:
    bad = bad.fillna(False).astype(bool)
    problems.add_rows(values.index[bad], lambda r: f"expected {expected}, got '{safe_value(values[r])}'", header)


def _check_required_cells(out, schema, chosen, problems) -> None:
    for col in schema.columns:
        if col.nullable or col.name not in chosen:
            continue
        header = chosen[col.name]
        empty = [r for r in out.index[out[col.name].isna()] if not problems.has(int(r), header)]
        problems.add_rows(empty, lambda r: "empty cell in a required column", header)
    if "icf_code" in chosen:
        code = out["icf_code"].str.lower()
        out["icf_code"] = code
        bad = code.notna() & ~code.fillna("").str.match(_ICF)
        problems.add_rows(out.index[bad], lambda r: f"expected an ICF code like d510, got '{safe_value(code[r])}'",
                          chosen["icf_code"])
    if "qualifier" in chosen:
        q = out["qualifier"]
        bad = q.notna() & ~q.isin(QUALIFIERS).fillna(False)
        problems.add_rows(out.index[bad], lambda r: f"expected an ICF qualifier 0–4, 8 or 9, got {safe_value(q[r])}",
                          chosen["qualifier"])


def _check_keys(out, schema, chosen, problems) -> None:
    if not schema.key:
        return
    key = list(schema.key)
    dup = out.duplicated(key, keep=False) & out[key].notna().all(axis=1)
    if not dup.any():
        return
    header = chosen.get(key[0], key[0])
    groups = out[dup].groupby(key[0] if len(key) == 1 else key, sort=False).groups
    for value, rows in groups.items():
        rows = [int(r) for r in rows]
        for r in rows[1:]:
            problems.add(f"duplicated {key[0]} '{redact(str(value))}' (also on row {rows[0]})", row=r, column=header)


def _date_flags(out: pd.DataFrame) -> dict[str, tuple[int, ...]]:
    flags = {}
    for flag, earlier, later in DATE_ORDER_FLAGS:
        if earlier in out and later in out:
            wrong = (out[later] < out[earlier]).fillna(False)
            if wrong.any():
                flags[flag] = tuple(int(r) for r in out.index[wrong])
    return flags


def warn_flags(record: LoadRecord, file: str, stacklevel: int = 4) -> None:
    """One DataWarning for the rows a load kept but flagged (dates in the wrong order), by flag, with an example
    row each; every loader of decisions — in memory or on the register path — says it alike."""
    if record.flags:
        parts = [f"{len(rows)} row(s): {flag} (e.g. row {rows[0]})" for flag, rows in record.flags.items()]
        warnings.warn(
            f"{Path(file).name}: {'; '.join(parts)}. The rows are kept and flagged; measures that need both "
            "dates leave them out. Correct them in the source system if you can.",
            DataWarning, stacklevel=stacklevel)
