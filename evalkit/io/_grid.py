"""From a grid of cell strings to a table, for :mod:`evalkit.io.read`.

Private helper shared by CSV and spreadsheets: header detection (title rows,
multi-row merged headers), header cleaning, and the exclusion of rows that are
not data (blank, repeated header, trailing footnotes), each with its row numbers.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.errors import DataError, Problem
from evalkit.provenance import Exclusion

Row = tuple[int, list[str]]

#: Joins the levels of a multi-row header into one column name.
HEADER_JOINER = " – "
#: How far down the header is searched for.
HEADER_SEARCH_ROWS = 100
BLANK = "blank row"
REPEATED_HEADER = "repeated header row"
FOOTNOTE = "footnote/source row after the data"
SKIPPED = "skipped on request (skip_rows)"

_FOOTNOTE = re.compile(
    r"^\s*(källa|källor|kilde|kilder|kjelde|source|sources|anm\b|anm\.|anmärkning|anmerkning|merknad|"
    r"fotnot|fotnote|fotnoter|not:|noter|note|notes|förklaring|forklaring|teckenförklaring|\*|\d+\)|\(\d+\))",
    re.IGNORECASE)
_FOOTNOTE_DIGIT = re.compile(r"[^\W\d_]\d(?= – |$)")


@dataclass
class Table:
    frame: pd.DataFrame
    header_row: int
    preamble: list[str]
    exclusions: list[Exclusion]
    rows_read: int
    columns_original: list[str]
    notes: list[str] = field(default_factory=list)


def _nonempty(cells: list[str]) -> int:
    return sum(1 for c in cells if c.strip())


def _any_value(cells: list[str]) -> bool:
    """``_nonempty(cells) > 0``, stopping at the first value (most rows: the first cell)."""
    return any(c.strip() for c in cells)


def clean_name(text: str) -> str:
    """Strip, turn line breaks and runs of white space into one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def fill_merges(rows: list[Row], merges, width: int) -> list[Row]:
    """Copy each merged range's value into every cell of the range.

    A merge spanning the whole table width is a title, not a header level,
    and is left unfilled so that the title row keeps a single non-empty cell.
    """
    if not merges:
        return rows
    grid = {n: list(cells) + [""] * (width - len(cells)) for n, cells in rows}
    for r0, c0, r1, c1 in merges:
        if c0 == 1 and c1 >= width:
            continue
        value = grid.get(r0, [""] * width)[c0 - 1] if c0 - 1 < width else ""
        for r in range(r0, r1 + 1):
            if r in grid:
                for c in range(c0, min(c1, width) + 1):
                    grid[r][c - 1] = value
    return [(n, grid[n]) for n, _ in rows]


def _find_header(rows: list[Row], text: bool) -> int:
    """Index (in rows) of the header: the first row filled at least half as wide as the table."""
    head = rows[:HEADER_SEARCH_ROWS]
    filled = [r for r in head if _nonempty(r[1])]
    if not filled:
        return 0
    if text:
        counts = Counter(len(c) for _, c in filled)
        width = max(counts, key=lambda k: (counts[k], k))  # ties: the wider reading
    else:
        width = max(_nonempty(c) for _, c in filled)
    need = 1 if width <= 1 else max(2, math.ceil(width / 2))
    for i, (_, cells) in enumerate(head):
        if (not text or len(cells) == width) and _nonempty(cells) >= need:
            return i
    return next(i for i, r in enumerate(rows) if _nonempty(r[1]))


def _header_end(start_row: int, merges) -> int:
    """Last sheet row of a header starting at ``start_row``: follow vertical merges down."""
    end = start_row
    changed = True
    while changed:
        changed = False
        for r0, _, r1, _ in merges:
            if start_row <= r0 <= end and r1 > end:
                end, changed = r1, True
    return end


def _names(header_rows: list[list[str]], width: int) -> list[str]:
    names = []
    for j in range(width):
        parts: list[str] = []
        for cells in header_rows:
            part = clean_name(cells[j]) if j < len(cells) else ""
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        names.append(HEADER_JOINER.join(parts))
    return names


def unique_names(names: list[str]) -> list[str]:
    """Empty names become ``unnamed_<position>``; duplicates get ``.2``, ``.3`` …"""
    out: list[str] = []
    seen: Counter = Counter()
    for j, name in enumerate(names, start=1):
        name = name or f"unnamed_{j}"
        seen[name] += 1
        candidate = name if seen[name] == 1 else f"{name}.{seen[name]}"
        while candidate in out:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
        out.append(candidate)
    return out


def build_table(rows: list[Row], path: Path, *, text: bool, merges=(), sheet: str | None = None,
                header_row=None, skip_rows=None) -> Table:
    """Find the header, clean names, separate data rows from rows that are not data."""
    where = dict(file=str(path), sheet=sheet)
    if not text:
        while rows and not _nonempty(rows[-1][1]):
            rows = rows[:-1]  # Excel's used range often runs past the data
    if not rows or not any(_any_value(c) for _, c in rows):
        raise DataError(f"{path.name}{_sheet_txt(sheet)}: no data rows (the file is empty)",
                        [Problem("empty", **where)])
    leading = skip_rows if isinstance(skip_rows, int) and not isinstance(skip_rows, bool) else 0
    dropped = set() if leading or skip_rows is None else {int(r) for r in skip_rows}
    width = max(len(c) for _, c in rows)
    rows = fill_merges(rows, merges, width)
    start, end = _header_span(rows, header_row, leading, text, merges, path, where)
    header_rows = [c for n, c in rows if start <= n <= end]
    names = _names(header_rows, width)
    preamble = [" ".join(clean_name(x) for x in c if x.strip()) for n, c in rows
                if n < start and _nonempty(c)]
    body = [(n, c) for n, c in rows if n > end]
    excluded: dict[str, list[int]] = {}
    data = _classify(body, header_rows[0], dropped, excluded, len([x for x in names if x]))
    if text:
        _check_ragged(data, len(header_rows[0]), path, start)
    frame, notes = _frame(data, names, width)
    exclusions = [Exclusion(reason, tuple(rs)) for reason, rs in excluded.items() if rs]
    notes += _footnote_notes(frame.columns)
    return Table(frame, start, preamble, exclusions, len(body), names, notes)


def _sheet_txt(sheet):
    return f", sheet '{sheet}'" if sheet else ""


def _header_span(rows, header_row, leading, text, merges, path, where) -> tuple[int, int]:
    if header_row is not None:
        start, end = (header_row, header_row) if isinstance(header_row, int) else tuple(header_row)
        if not any(n == start for n, _ in rows):
            raise DataError(f"{path.name}: header_row {start} is beyond the last row ({rows[-1][0]})",
                            [Problem("header row not found", row=start, **where)])
        return start, max(end, _header_end(start, merges))
    candidates = [r for r in rows if r[0] > leading]
    if not candidates:
        raise DataError(f"{path.name}: skip_rows={leading} skips every row", [Problem("no rows", **where)])
    start = candidates[_find_header(candidates, text)][0]
    return start, _header_end(start, merges)


def _classify(body: list[Row], header: list[str], dropped: set[int], excluded: dict,
              n_named: int) -> list[Row]:
    """Data rows; every other row goes into ``excluded`` under its reason."""
    header_key = [clean_name(x) for x in header]
    # a cell whose clean name is the header's first name holds that name's first word as it is: a cheap test
    first_word = header_key[0].split(" ")[0]
    data: list[Row] = []
    for n, cells in body:
        if n in dropped:
            excluded.setdefault(SKIPPED, []).append(n)
        elif not _any_value(cells):
            excluded.setdefault(BLANK, []).append(n)
        elif (first_word in cells[0] and clean_name(cells[0]) == header_key[0]
              and [clean_name(x) for x in cells] == header_key):
            excluded.setdefault(REPEATED_HEADER, []).append(n)
        else:
            data.append((n, cells))
    if n_named >= 2:
        data = _drop_footnotes(data, excluded)
    return data


def _drop_footnotes(data: list[Row], excluded: dict) -> list[Row]:
    """Trailing one-cell rows from the first that reads like a source/footnote line."""
    i = len(data)
    while i > 0 and _nonempty(data[i - 1][1]) == 1:
        i -= 1
    tail = data[i:]
    first = next((k for k, (_, c) in enumerate(tail)
                  if _FOOTNOTE.match(next(x for x in c if x.strip()))), None)
    if first is None:
        return data
    excluded.setdefault(FOOTNOTE, []).extend(n for n, _ in tail[first:])
    return data[: i + first]


def _check_ragged(data: list[Row], width: int, path: Path, header_line: int) -> None:
    bad = [(n, len(c)) for n, c in data if len(c) != width]
    if bad:
        lines = ", ".join(str(n) for n, _ in bad[:10]) + (" …" if len(bad) > 10 else "")
        raise DataError(
            f"{path.name}: {len(bad)} record(s) have a different number of fields than the header "
            f"(line {header_line}, {width} fields): line(s) {lines}. A truncated file, an unquoted "
            "delimiter inside a value, or the wrong delimiter",
            [Problem(f"{k} fields, header has {width}", file=str(path), row=n) for n, k in bad])


def _frame(data: list[Row], names: list[str], width: int) -> tuple[pd.DataFrame, list[str]]:
    cols = list(zip(*[c + [""] * (width - len(c)) for _, c in data])) if data else [()] * width
    keep, notes = [], []
    for j in range(width):
        if not names[j] and not any(v.strip() for v in cols[j]):
            notes.append(f"dropped column {j + 1}: no header and no values (trailing delimiter or empty column)")
        else:
            keep.append(j)
    final = unique_names([names[j] for j in keep])
    index = pd.Index([n for n, _ in data], name="row", dtype="int64")
    frame = pd.DataFrame({name: _strings(cols[j]) for name, j in zip(final, keep)}, index=index)
    return frame, notes


def _strings(cells) -> pd.api.extensions.ExtensionArray:
    """The ``string`` array of ``cells``, blank ones missing (through pyarrow: a quarter of the time pandas takes
    to convert a list of Python strings)."""
    import pyarrow as pa

    return pd.array(pa.array([v if v.strip() else None for v in cells], type=pa.large_string()), dtype="string")


def _footnote_notes(columns) -> list[str]:
    return [f"header '{c}' ends in a digit glued to a word — possibly a footnote marker; kept as is"
            for c in columns if _FOOTNOTE_DIGIT.search(c)]
