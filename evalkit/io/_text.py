"""Delimited text for :mod:`evalkit.io.read`: encoding, delimiter, records with line numbers.

Private helper. Everything raised here is a :class:`~evalkit.errors.DataError`
naming the file and the line(s).
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from pathlib import Path

from evalkit.errors import DataError, Problem

DELIMITERS = (",", ";", "\t", "|")
_LINE_SPLIT = re.compile(rb"\r\n|\r|\n")
#: How many records the delimiter sniffer looks at.
SNIFF_RECORDS = 200
#: How many bad lines a DataError lists individually.
MAX_LINES = 50


def decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file; return (text, encoding name used).

    Notes
    -----
    Order: an explicit ``encoding``; a byte-order mark (UTF-8 BOM is stripped,
    UTF-16 LE/BE); strict UTF-8; cp1252. A file with valid multi-byte UTF-8 on
    some lines and bytes that are not UTF-8 on others is refused, naming the
    lines: it was assembled from two sources and any single decoding would
    garble one of them. cp1252 and ISO-8859-1 agree except in 0x80–0x9F, where
    ISO-8859-1 has control characters that never occur in real text and cp1252
    has € ‚ „ … – — ’ etc., so cp1252 is the right reading of "ISO-8859-1"
    exports too; bytes undefined in cp1252 (0x81 0x8D 0x8F 0x90 0x9D) fall
    back to ISO-8859-1.
    """
    if not data:
        raise DataError(f"{path.name}: the file is empty (0 bytes), no data rows",
                        [Problem("empty file (0 bytes)", file=str(path))])
    if encoding:
        return _decode_as(data, path, encoding), encoding
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _decode_as(data, path, name), name
    _refuse_binary(data, path)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    bad, good_multibyte = _utf8_lines(data)
    if good_multibyte:
        raise DataError(
            f"{path.name}: mixed encodings — most of the file is UTF-8 but {len(bad)} line(s) are not "
            f"(probably cp1252/Latin-1 pasted in; first at line {bad[0][0]}, byte 0x{bad[0][1]:02x} at position "
            f"{bad[0][2]}); re-save the whole file as UTF-8",
            [Problem(f"line is not valid UTF-8 while other lines are (byte 0x{b:02x} at position {pos})",
                     file=str(path), row=n)
             for n, b, pos in bad[:MAX_LINES]])
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("iso-8859-1"), "iso-8859-1"


def strip_inner_boms(text: str) -> tuple[str, list[int]]:
    """Remove U+FEFF inside the text (files concatenated with their BOMs); return the line numbers."""
    if "\ufeff" not in text:
        return text, []
    lines, pos = [], text.find("\ufeff")
    while pos >= 0:
        lines.append(text.count("\n", 0, pos) + 1 if "\n" in text else text.count("\r", 0, pos) + 1)
        pos = text.find("\ufeff", pos + 1)
    return text.replace("\ufeff", ""), lines


def fallback_notes(data: bytes, used: str, asked: str | None) -> list[str]:
    """A note for the provenance record when a file that is not UTF-8 was read as cp1252/ISO-8859-1."""
    if asked or used not in ("cp1252", "iso-8859-1"):
        return []
    try:
        data.decode("utf-8")
        return []
    except UnicodeDecodeError as exc:
        line = len(_LINE_SPLIT.findall(data[: exc.start])) + 1
        return [f"not valid UTF-8 (first at line {line}, byte 0x{data[exc.start]:02x}); read as {used}"]


def _decode_as(data: bytes, path: Path, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise DataError(f"{path.name}: unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        line = len(_LINE_SPLIT.findall(data[: exc.start])) + 1
        raise DataError(f"{path.name}: cannot be decoded as {encoding} (line {line})",
                        [Problem(f"byte 0x{data[exc.start]:02x} is not valid {encoding}",
                                 file=str(path), row=line)]) from None


#: Control characters no text export holds (tab, line feed, form feed and carriage return aside).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _refuse_binary(data: bytes, path: Path) -> None:
    head = data[:8192]
    controls = len(head) - len(head.translate(None, _CONTROL))
    if b"\x00" in head or controls > max(8, len(head) // 100):
        raise DataError(f"{path.name}: contains NUL bytes — a binary file, not delimited text "
                        "(supported text encodings: UTF-8, UTF-8/UTF-16 with BOM, cp1252)",
                        [Problem("binary content", file=str(path))])


def _utf8_lines(data: bytes) -> tuple[list[tuple[int, int, int]], bool]:
    """(line number, first bad byte, its 1-based position in the line) of the lines that are not UTF-8,
    and whether any other line has valid multi-byte UTF-8."""
    bad: list[tuple[int, int, int]] = []
    good_multibyte = False
    for n, line in enumerate(_LINE_SPLIT.split(data), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good_multibyte = True
        except UnicodeDecodeError as exc:
            bad.append((n, line[exc.start], exc.start + 1))
    return bad, good_multibyte


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter among , ; tab | that splits the most records into the same number (>1) of fields."""
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        lengths = [len(r) for r in _sample_records(text, delim) if any(c.strip() for c in r)]
        if not lengths:
            continue
        counts = Counter(lengths)
        k = max(counts, key=lambda n: (counts[n], n))
        count = counts[k]
        score = (round(count / len(lengths), 2), k) if k > 1 else (0.0, k)
        if score > best_score:
            best, best_score = delim, score
    return best


def _sample_records(text: str, delim: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text[:200_000], newline=""), delimiter=delim)
    out = []
    try:
        for rec in reader:
            out.append(rec)
            if len(out) >= SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    return out


def records(text: str, path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    """All records as (first line number, fields); quoted line breaks keep the numbering right."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for rec in reader:
            out.append((last + 1, rec))
            last = reader.line_num
    except csv.Error as exc:
        line = last + 1
        raise DataError(f"{path.name}: not valid delimited text at line {line} ({exc}); "
                        "check for an unclosed quote or a truncated file",
                        [Problem(f"CSV syntax error: {exc}", file=str(path), row=line)]) from None
    return out


def check_forced_delimiter(header: list[str], delimiter: str, path: Path, line: int) -> None:
    """A forced delimiter that leaves the header in one field while another candidate splits it is wrong."""
    if len(header) != 1:
        return
    others = [d for d in DELIMITERS if d != delimiter and d in header[0]]
    if others:
        shown = {"\t": "tab"}.get(others[0], others[0])
        raise DataError(
            f"{path.name}: delimiter {delimiter!r} leaves the header (line {line}) as a single column but "
            f"it contains {shown!r}; pass delimiter={others[0]!r} or leave delimiter=None to sniff it",
            [Problem("wrong delimiter", file=str(path), row=line)])
