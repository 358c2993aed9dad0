"""The whole-file privacy gate: everything a loader reads, not only the parsed table.

:func:`scan_identifiers` looks at a table. A file carries more: title rows and
footnotes a reader skips, other sheets, sheet names, cell comments, document
properties and defined names of a workbook, value and variable labels of an
SPSS file, schema metadata of a Parquet file, the file name itself; a config
carries titles and descriptions that reach the report. :class:`Gate` collects
the identity numbers found in all of them and refuses once, naming each place
and kind of number, never the number (nor a path or sheet name that holds one).

:func:`redact` and :func:`safe_value` keep numbers out of other messages: an
error that quotes a cell ("expected a date, got '…'") shows a value holding a
candidate number with its digits replaced by ``•``.
"""
from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import IdentifierError, Problem
from evalkit.privacy._identifiers import (
    _NUMBER_TEXT,
    _TOKEN,
    KINDS,
    _classify_tokens,
    _problems,
    _value_kinds,
    compact_rows,
    normalise_text,
    scan_identifiers,
)

__all__ = [
    "Gate",
    "check_values",
    "check_path",
    "check_config",
    "identifier_kinds",
    "holds_identifier",
    "redact",
    "safe_value",
    "safe_path",
    "WITHHELD_FILE",
]

#: How a file is named in a message when its path holds an identity number.
WITHHELD_FILE = "(file name withheld: it holds an identity number)"
MASK = "•"


# --------------------------------------------------------------------------- values
def _kinds_of_values(values: list[object]) -> dict[int, set[str]]:
    """Position → kinds for loose values (no column: integers are not read as having lost zeros)."""
    # a cheap look at each value first: most loose values (titles, labels, XML attributes) hold no candidate
    chosen = [i for i, v in enumerate(values) if _may_hold(v)]
    if not chosen:
        return {}
    series = pd.Series([values[i] for i in chosen], dtype=object)
    positions, codes = _value_kinds(series, True, padded=False)
    found: dict[int, set[str]] = {}
    for pos, code in zip(positions.tolist(), codes.tolist()):
        found.setdefault(chosen[int(pos)], set()).add(KINDS[code])
    return found


def _may_hold(value: object) -> bool:
    if isinstance(value, str):
        if not any(c.isdigit() for c in value) and value.isascii():
            return False
        text = normalise_text(value)
        return bool(_TOKEN.search(text) or _NUMBER_TEXT.match(text))
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return bool(abs(value) >= 1e9)  # loose numbers: 10–12 digits as written (no zeros restored)
    return False


def identifier_kinds(value: object) -> tuple[str, ...]:
    """The kinds of identity number one value holds (text, a number, or anything ``str()`` can show).

    Examples
    --------
    >>> identifier_kinds("Brukare 640823\u20133234")   # an en dash
    ('personnummer',)
    >>> identifier_kinds(1.6822548834e10)              # Tenor test person as a float
    ('syntetisk (Tenor)',)
    >>> identifier_kinds("070-123 45 67")
    ()
    """
    if value is None or isinstance(value, (bool, np.bool_)):
        return ()
    if not isinstance(value, (str, int, float, np.integer, np.floating)):
        value = str(value)
    kinds = _kinds_of_values([value]).get(0, set())
    return tuple(sorted(kinds, key=KINDS.index))


def holds_identifier(value: object) -> bool:
    """True when :func:`identifier_kinds` finds a number in ``value``."""
    return bool(identifier_kinds(value))


# A run of digits that may be a number, with the separators people write inside it.
_DIGIT_RUN = re.compile(r"[0-9](?:[0-9]|[-+ .,eE]{1,3}(?=[0-9]))*")


def _normalised_with_index(text: str) -> tuple[str, list[int]]:
    """``normalise_text`` character by character, with the original index of every output character."""
    if text.isascii():
        return text, list(range(len(text)))
    out, index = [], []
    for i, char in enumerate(text):
        folded = normalise_text(char)
        out.append(folded)
        index.extend([i] * len(folded))
    return "".join(out), index


def redact(text: str, *, candidates: bool = False) -> str:
    """``text`` with the digits of every identity number replaced by ``•``.

    Parameters
    ----------
    text : str
        Any message or value.
    candidates : bool, default False
        Also mask every run of seven or more digits (separators allowed
        inside) with six of them in a row, valid or not: for quoting a cell,
        where a number with a typo in its check digit is still a person's
        number. Dates ("2019-03-05") and phone numbers stay readable.

    Examples
    --------
    >>> redact("got '19640823-3234' in row 4")
    "got '••••••••-••••' in row 4"
    >>> redact("row 1234567, value 1234567", candidates=True)
    'row •••••••, value •••••••'
    >>> redact("row 1234567")
    'row 1234567'
    """
    text = str(text)
    if not re.search(r"[0-9]", text) and text.isascii():
        return text
    folded, index = _normalised_with_index(text)
    spans: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(folded):
        digits = re.sub(r"[^0-9]", "", match.group())
        if candidates or _classify_tokens(np.array([digits], dtype=object), True)[0] >= 0:
            spans.append(match.span())
    for match in _DIGIT_RUN.finditer(folded):
        run = match.group()
        n_digits = sum(c.isdigit() for c in run)
        longest = max(len(r) for r in re.findall(r"[0-9]+", run))
        if candidates and n_digits >= 7 and longest >= 6:  # every written form has six digits in a row
            spans.append(match.span())
        elif n_digits >= 10 and _NUMBER_TEXT.match(run.replace(" ", "")) and holds_identifier(run.replace(" ", "")):
            spans.append(match.span())
    if not spans:
        return text
    masked = set()
    for start, end in spans:
        masked.update(index[start:end])
    return "".join(MASK if (i in masked and normalise_text(c).isdigit()) else c for i, c in enumerate(text))


def safe_value(value: object) -> str:
    """``value`` for a message: as ``str``, with any run of 7+ digits masked (see :func:`redact`)."""
    return redact("" if value is None else str(value), candidates=True)


def safe_path(path: object) -> str:
    """A path for a message: itself, or :data:`WITHHELD_FILE` when it holds an identity number."""
    text = str(path)
    return WITHHELD_FILE if _path_kinds(text) else text


def _path_kinds(text: str) -> set[str]:
    # the whole path and each part: "Brukare_19640823-3234.csv" and ".../640823-3234/x.csv"
    parts = [text] + [p for p in re.split(r"[\\/]", text) if p]
    parts += [Path(p).stem for p in parts]
    found: set[str] = set()
    for kinds in _kinds_of_values(parts).values():
        found |= kinds
    # "_" is a word character but no digit: "pnr_6408233234" is found by the token pattern already
    return found


# --------------------------------------------------------------------------- the gate
class Gate:
    """Collects identity numbers found in one file (or config) and refuses once.

    Parameters
    ----------
    file : str or Path, optional
        The file, for the message. A path that holds an identity number is
        itself a finding, and is then never shown.

    Examples
    --------
    >>> gate = Gate("beslut.xlsx")
    >>> gate.values([("the name of sheet 2", "640823-3234")])
    >>> try:
    ...     gate.refuse_if_any()
    ... except IdentifierError as err:
    ...     print(err.problems[0])
    beslut.xlsx: personnummer in the name of sheet 2
    """

    def __init__(self, file: str | Path | None = None):
        self.problems: list[Problem] = []
        self.kinds: set[str] = set()
        self.file: str | None = None
        if file is not None:
            kinds = _path_kinds(str(file))
            if kinds:
                self.file = WITHHELD_FILE
                self._add(kinds, "the file name or path", None)
            else:
                self.file = str(file)

    def _add(self, kinds: Iterable[str], place: str, sheet: str | None) -> None:
        ordered = sorted(set(kinds), key=KINDS.index)
        self.kinds.update(ordered)
        self.problems.append(Problem(f"{', '.join(ordered)} in {place}", self.file, sheet))

    # -- what can be searched
    def frame(self, frame: pd.DataFrame, sheet: str | None = None) -> None:
        """A table: every cell and column name (see :func:`scan_identifiers`)."""
        hits = scan_identifiers(frame)
        if hits:
            self.kinds.update(h.kind for h in hits)
            self.problems.extend(_problems(hits, self.file, sheet))

    def values(self, items: Iterable[tuple[str, object]], sheet: str | None = None) -> None:
        """Loose values, each with the place it was found ("the file label", "notes line 2")."""
        items = [(place, value) for place, value in items if value is not None and value != ""]
        found = _kinds_of_values([_plain(v) for _, v in items])
        grouped: dict[tuple[str, ...], list[str]] = {}
        for pos, kinds in sorted(found.items()):
            grouped.setdefault(tuple(sorted(kinds, key=KINDS.index)), []).append(items[pos][0])
        for kinds, places in grouped.items():
            shown = ", ".join(dict.fromkeys(places[:8])) + (f" and {len(places) - 8} more" if len(places) > 8 else "")
            self._add(kinds, shown, sheet)

    def rows(self, rows: Iterable[tuple[int, list[str]]], what: str, sheet: str | None = None) -> None:
        """Rows of a grid that are not table data (title rows, footnotes …), by row number."""
        index, cells = [], []
        for number, values in rows:
            for value in values:
                if value is not None and str(value).strip():
                    index.append(number)
                    cells.append(value)
        if not cells:
            return
        by_kind: dict[str, set[int]] = {}
        for pos, kinds in _kinds_of_values([_plain(c) for c in cells]).items():
            for kind in kinds:
                by_kind.setdefault(kind, set()).add(index[pos])
        for kind in sorted(by_kind, key=KINDS.index):
            self._add([kind], f"{what} ({compact_rows(sorted(by_kind[kind]))})", sheet)

    def text(self, text: str, what: str) -> None:
        """A long text (an XML part, a decoded binary): candidate tokens only, no numbers alone."""
        folded = normalise_text(text)
        tokens = _TOKEN.findall(folded)
        if not tokens:
            return
        digits = np.array([re.sub(r"[^0-9]", "", t) for t in tokens], dtype=object)
        codes = _classify_tokens(digits, True)
        kinds = {KINDS[c] for c in codes.tolist() if c >= 0}
        if kinds:
            self._add(kinds, what, None)

    def mapping(self, data: object, where: str) -> None:
        """Every key and value (strings and numbers) of nested dicts/lists, named by key path."""
        self.values(_walk(data, where))

    # -- the verdict
    def refuse_if_any(self, what: str | None = None) -> None:
        """Raise :class:`~evalkit.errors.IdentifierError` if anything was found."""
        if not self.problems:
            return
        kinds = sorted(self.kinds, key=KINDS.index)
        shown = Path(self.file).name if self.file and self.file != WITHHELD_FILE else self.file
        raise IdentifierError(
            f"{what or shown or 'The input'} is refused: "
            f"it holds personal identity numbers ({', '.join(kinds)}) in {len(self.problems)} place(s). "
            "Replace them with pseudonyms (ek.pseudonymise) or remove them, and check every sheet, "
            "comment, label, title row and file name. The numbers themselves are not shown.",
            problems=self.problems,
        )


def _plain(value: object) -> object:
    if isinstance(value, (str, int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _walk(data: object, where: str) -> Iterable[tuple[str, object]]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{where}.{key}" if where else str(key)
            if _may_hold(str(key)):  # a key that may hold a number is searched, and never named
                yield f"a key of {where or 'the top level'}", str(key)
                path = f"{where}.<key withheld>" if where else "<key withheld>"
            yield from _walk(value, path)
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            yield from _walk(value, f"{where}[{i}]")
    elif isinstance(data, (str, int, float)) and not isinstance(data, bool):
        yield where, data


def check_values(items: Iterable[tuple[str, object]], *, file: str | Path | None = None,
                 what: str | None = None) -> None:
    """Refuse if any of the (place, value) pairs holds an identity number.

    Examples
    --------
    >>> check_values([("title", "Uppföljning 2019")], file="ibic.toml")   # passes
    """
    gate = Gate(file)
    gate.values(items)
    gate.refuse_if_any(what)


def check_path(path: str | Path, *, what: str | None = None) -> None:
    """Refuse a file whose name (or any folder of its path) holds an identity number."""
    gate = Gate(path)
    gate.refuse_if_any(what or "A file")


def check_config(data: Mapping, *, file: str | Path | None = None, what: str = "The config") -> None:
    """Refuse a parsed config (TOML as a dict) holding an identity number in any key or value.

    Every string and number at every depth is searched (titles, purpose,
    questions, change name and description, analysis titles, report name,
    unit lists, mapping entries …), and the file's own path.
    """
    gate = Gate(file)
    gate.mapping(data, "")
    gate.refuse_if_any(what)


# --------------------------------------------------------------------------- file formats
def gate_workbook(gate: Gate, path: Path, wb, skip_sheet: str | None = None) -> None:
    """Every sheet name and cell (but ``skip_sheet``'s cells) of an openpyxl workbook, then its XML parts."""
    names = list(wb.sheetnames)
    gate.values([(f"the name of sheet {i}", name) for i, name in enumerate(names, start=1)])
    for i, name in enumerate(names, start=1):
        ws = wb[name]
        if name == skip_sheet or not hasattr(ws, "iter_rows"):
            continue
        frame = _sheet_frame(ws.iter_rows(values_only=True))
        if frame is not None:
            gate.frame(frame, sheet=_sheet_label(name, i))
    gate_xlsx_parts(gate, path)


def _sheet_label(name: str, position: int | None = None) -> str:
    """A sheet's name for a message, or a stand-in when the name holds a number."""
    if not holds_identifier(name):
        return name
    return f"sheet {position} (name withheld)" if position else "the sheet read (name withheld)"


def _sheet_frame(rows) -> pd.DataFrame | None:
    from openpyxl.utils import get_column_letter

    rows = [list(r) for r in rows]
    if not rows:
        return None
    width = max(len(r) for r in rows)
    if width == 0:
        return None
    rows = [r + [None] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(rows, columns=[get_column_letter(j) for j in range(1, width + 1)], dtype=object)
    frame.index = pd.RangeIndex(1, len(rows) + 1)
    return frame


# which XML part holds what, for the message
_PARTS = (
    (re.compile(r"docProps/"), "the document properties"),
    (re.compile(r"xl/workbook\.xml$"), "the workbook (sheet names, defined names)"),
    (re.compile(r"xl/(comments|threadedComments|persons)"), "cell comments"),
    (re.compile(r"xl/drawings/.*vml"), "cell comments"),
    (re.compile(r"xl/sharedStrings\.xml$"), "the workbook's shared text"),
    (re.compile(r"xl/worksheets/"), "a sheet's formulas, headers/footers or links"),
)
_SHEET_DATA = re.compile(r"<sheetData>.*?</sheetData>|<sheetData/>", re.S)
_FORMULA = re.compile(r"<f(?:\s[^>]*)?>([^<]*)</f>")
_TEXT_NODE = re.compile(r">([^<]+)<")
_ATTRIBUTE = re.compile(r'="([^"]*)"')


def _xml_strings(xml: str) -> list[str]:
    return [html.unescape(s) for s in _TEXT_NODE.findall(xml) + _ATTRIBUTE.findall(xml) if s.strip()]


def gate_xlsx_parts(gate: Gate, path: Path) -> None:
    """Every XML part of an .xlsx (formulas, comments, properties, names, headers/footers …).

    Cell values were searched as tables already; of ``<sheetData>`` only the
    formulas are read here.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            xml = archive.read(info).decode("utf-8", "replace")
            if info.filename.startswith("xl/worksheets/"):
                formulas = [html.unescape(f) for f in _FORMULA.findall(xml)]
                xml = _SHEET_DATA.sub("", xml)
            else:
                formulas = []
            what = next((label for pattern, label in _PARTS if pattern.search(info.filename)),
                        f"the part {info.filename}")
            strings = _xml_strings(xml) + formulas
            gate.values([(what, s) for s in strings])


def gate_xls(gate: Gate, path: Path, book, skip_sheet: str | None = None) -> None:
    """Every sheet name, cell and defined name of an xlrd book, and the strings in its raw bytes."""
    names = book.sheet_names()
    gate.values([(f"the name of sheet {i}", name) for i, name in enumerate(names, start=1)])
    for i, name in enumerate(names, start=1):
        if name == skip_sheet:
            continue
        sh = book.sheet_by_index(i - 1)
        frame = _sheet_frame([sh.row_values(r) for r in range(sh.nrows)])
        if frame is not None:
            gate.frame(frame, sheet=_sheet_label(name, i))
    defined = []
    for obj in getattr(book, "name_obj_list", []) or []:
        defined += [("a defined name", obj.name), ("a defined name", getattr(obj, "formula_text", None))]
    gate.values(defined)
    data = path.read_bytes()
    # BIFF text is Latin-1 ("compressed") or UTF-16-LE at either byte alignment
    for text in (data.decode("latin-1"), data.decode("utf-16-le", "replace"),
                 data[1:].decode("utf-16-le", "replace")):
        gate.text(text, "the workbook's stored text (comments, properties, names)")


def gate_sav(gate: Gate, meta) -> None:
    """File label, notes, variable names and labels, value labels and user-missing values of a .sav."""
    items: list[tuple[str, object]] = [("the file label", getattr(meta, "file_label", None))]
    notes = getattr(meta, "notes", None) or []
    items += [(f"notes line {i}", note) for i, note in enumerate(notes, start=1)]
    names = list(getattr(meta, "column_names", []) or [])
    labels = list(getattr(meta, "column_labels", []) or [])
    for i, name in enumerate(names, start=1):
        items.append((f"the name of variable {i}", name))
        if i - 1 < len(labels):
            items.append((f"the label of variable {i}", labels[i - 1]))
    gate.values(items)
    value_items: list[tuple[str, object]] = []
    for i, (var, mapping) in enumerate((getattr(meta, "variable_value_labels", None) or {}).items(), start=1):
        for code, label in mapping.items():
            value_items += [(f"the value labels of variable {names.index(var) + 1 if var in names else i}", code),
                            (f"the value labels of variable {names.index(var) + 1 if var in names else i}", label)]
    gate.values(value_items)
    missing = []
    for var, values in (getattr(meta, "missing_user_values", None) or {}).items():
        missing += [("the user-missing values", v) for v in values]
    gate.values(missing)


def gate_parquet_schema(gate: Gate, path: Path) -> None:
    """Column names (nested too), field metadata and schema metadata of one Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        created_by = pq.ParquetFile(path).metadata.created_by
    except (pa.ArrowException, OSError, ValueError):
        return  # the reader reports an unreadable file
    items: list[tuple[str, object]] = [("the writer's name", created_by)]
    for i, field in enumerate(schema, start=1):
        items += [(f"the name of column {i}", n) for n in _field_names(field)]
        items += _metadata_items(field.metadata, f"the metadata of column {i}")
    items += _metadata_items(schema.metadata, "the schema metadata")
    gate.values(items)


def _field_names(field) -> list[str]:
    import pyarrow as pa

    names = [field.name]
    kind = field.type
    if isinstance(kind, pa.StructType):
        for j in range(kind.num_fields):
            names += _field_names(kind.field(j))
    elif isinstance(kind, (pa.ListType, pa.LargeListType, pa.FixedSizeListType)):
        names += _field_names(kind.value_field)
    elif isinstance(kind, pa.MapType):
        names += _field_names(kind.key_field) + _field_names(kind.item_field)
    return names


def _metadata_items(metadata, what: str) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = []
    for key, value in (metadata or {}).items():
        key_text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        items.append((what, key_text))
        try:
            parsed = json.loads(text)
        except ValueError:
            items.append((what, text))
        else:  # pandas/arrow metadata: JSON with \\u escapes, searched value by value
            items += [(what, v) for _, v in _walk(parsed, "")]
    return items
