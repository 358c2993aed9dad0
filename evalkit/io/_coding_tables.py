"""Coding exports as tables (.csv/.xlsx/.xls), read with :func:`evalkit.io.read.read_table`.

Three shapes are recognised by their headers:

* **long** — one row per coded segment: a source column (source, document,
  Dokumentname, Nazwa dokumentu …), a code column (code, tag, Kod …) and
  optionally coder, start, end and text. MAXQDA "coded segments" and Taguette
  "highlights" exports are of this shape. MAXQDA's Begin/End are *paragraph*
  numbers, not characters, so they are not used as offsets (said in the report).
* **matrix** — sources × codes: a first text column naming the source and
  numeric columns (0/1 or counts) for the codes (NVivo matrix coding query,
  MAXQDA code matrix, ATLAS.ti code-document table). A count *k* becomes *k*
  segments without text or offsets.
* **ATLAS.ti code list** — the Code Manager export: codes with their
  groundedness, hierarchy by column position; read as a codebook.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from evalkit.errors import DataError, Problem
from evalkit.io.codings import Codings, ImportReport, finish_tables, stable_guid
from evalkit.io.read import read_table
from evalkit.provenance import Exclusion, record_of

__all__ = ["read_coding_table", "HEADER_ALIASES"]

#: accepted header names per role (lower case; en, sv, nb, de, pl as met in real exports)
HEADER_ALIASES = {
    "source": ("source", "document", "document name", "dokument", "dokumentnamn", "dokumentname",
               "nazwa dokumentu", "file", "fil", "källa", "kilde", "intervju", "interview"),
    "code": ("code", "tag", "kod", "kode", "koder", "code name", "theme", "tema"),
    "coder": ("coder", "kodare", "koder_person", "author", "autor", "created by", "user", "owner", "användare"),
    "start": ("start", "begin", "beginning", "start_offset", "pos0", "początek", "anfang"),
    "end": ("end", "end_offset", "pos1", "koniec", "ende", "slut"),
    "text": ("text", "segment", "content", "fragment", "quotation", "citat", "sitat", "seltext", "innehåll"),
}
_PARAGRAPH_EXPORTS = ("początek", "anfang", "begin", "beginning")  # MAXQDA: paragraph numbers


def _role_columns(columns) -> dict[str, str]:
    found = {}
    for col in columns:
        low = str(col).strip().lower()
        for role, names in HEADER_ALIASES.items():
            if role not in found and low in names:
                found[role] = col
    return found


def read_coding_table(path: Path, sheet: str | None = None) -> Codings:
    frame = read_table(path, sheet)
    if frame.empty:
        raise DataError(f"{path.name}: the table is empty", [Problem("no rows", str(path), sheet)])
    roles = _role_columns(frame.columns)
    if _is_atlas_code_list(frame):
        return _atlas_code_list(frame, path)
    if "source" in roles and "code" in roles:
        return _long(frame, roles, path)
    return _matrix(frame, path)


def _code_rows(paths: list[str]) -> tuple[list[dict], dict[str, str]]:
    """Code tree from code paths with ``>``, ``\\`` or ``/`` between levels (MAXQDA writes ``\\``)."""
    rows, guid_of = {}, {}
    for p in paths:
        parts = [x.strip() for x in re.split(r"\s*(?:>|\\)\s*", p) if x.strip()] or [p]
        parent = None
        for i in range(len(parts)):
            key = " > ".join(parts[: i + 1])
            if key not in rows:
                g = stable_guid("code", key)
                rows[key] = {"code_guid": g, "name": parts[i], "parent_guid": parent, "is_codable": True}
            parent = rows[key]["code_guid"]
        guid_of[p] = parent
    return list(rows.values()), guid_of


def _long(frame: pd.DataFrame, roles: dict, path: Path) -> Codings:
    keep = frame[roles["source"]].notna() & frame[roles["code"]].notna()
    dropped = tuple(int(i) for i in frame.index[~keep])
    data = frame[keep]
    codes, guid_of = _code_rows([str(c) for c in pd.unique(data[roles["code"]])])
    names = [str(s) for s in pd.unique(data[roles["source"]])]
    sources = [{"source_guid": stable_guid("source", s), "name": s, "kind": "text", "text": None} for s in names]
    notes = []
    paragraph = "start" in roles and str(roles["start"]).strip().lower() in _PARAGRAPH_EXPORTS
    use_offsets = "start" in roles and "end" in roles and not paragraph
    if paragraph:
        notes.append(f"'{roles['start']}'/'{roles.get('end')}' are paragraph numbers (MAXQDA), not character "
                     "offsets: start and end left empty")
    coder_names = data[roles["coder"]].astype("string") if "coder" in roles else pd.Series(pd.NA, index=data.index)
    segments = []
    for row, r in zip(data.index, data.to_dict("records")):
        coder = coder_names.loc[row]
        segments.append({
            "segment_guid": stable_guid("segment", path.name, row), "selection_guid": None,
            "source_guid": stable_guid("source", str(r[roles["source"]])),
            "code_guid": guid_of[str(r[roles["code"]])],
            "coder": stable_guid("user", coder) if pd.notna(coder) else None,
            "start": r[roles["start"]] if use_offsets else None, "end": r[roles["end"]] if use_offsets else None,
            "text": None if "text" not in roles or pd.isna(r[roles["text"]]) else str(r[roles["text"]]),
        })
    users = [{"user_guid": stable_guid("user", u), "name": u} for u in pd.unique(coder_names.dropna())]
    read, read_exclusions, read_notes = _read_account(frame)
    report = ImportReport("coded segments table (long)", origin=_origin(frame, roles), notes=read_notes + notes)
    exclusions = read_exclusions + ([Exclusion("no source or no code", dropped)] if dropped else [])
    return finish_tables(sources=sources, codes=codes, segments=segments, users=users, report=report, path=path,
                         fmt=path.suffix.lstrip(".").lower(), rows_read=read, exclusions=exclusions)


def _read_account(frame: pd.DataFrame) -> tuple[int, list, list[str]]:
    """Rows read, exclusions and notes of the table as the reader saw it (footnotes, blank rows, encoding)."""
    rec = record_of(frame)
    if rec is None:
        return len(frame), [], []
    return rec.rows_read, list(rec.exclusions), list(rec.notes)


def _origin(frame, roles) -> str:
    cols = {str(c).lower() for c in frame.columns}
    if {"id", "document", "tag", "content"} <= cols:
        return "Taguette highlights export"
    if "nazwa dokumentu" in cols or "dokumentname" in cols or {"document name", "code", "segment"} <= cols:
        return "MAXQDA coded segments export"
    return "long table"


def _matrix(frame: pd.DataFrame, path: Path) -> Codings:
    first = frame.columns[0]
    numeric = [c for c in frame.columns[1:] if pd.api.types.is_numeric_dtype(frame[c])]
    if frame[first].dtype.kind in "iuf" or not numeric:
        raise DataError(
            f"{path.name}: neither a coded-segments table (columns for source and code, e.g. 'source', 'code', "
            "'coder', 'start', 'end', 'text') nor a coding matrix (first column the source, then one numeric "
            "column per code)", [Problem(f"columns: {', '.join(map(str, frame.columns))}", str(path))])
    totals = {str(c) for c in numeric if str(c).strip().lower() in ("total", "totalt", "summa", "sum", "totals")}
    numeric = [c for c in numeric if str(c) not in totals]
    body = frame[~frame[first].astype("string").str.strip().str.lower().isin(["total", "totalt", "summa", "sum"])]
    excluded = tuple(int(i) for i in frame.index.difference(body.index))
    values = body[numeric].fillna(0)
    if (values < 0).any().any() or (values % 1 != 0).any().any():
        raise DataError(f"{path.name}: a coding matrix holds 0/1 or counts; found negative or fractional values "
                        "(export counts of coded segments, not percentages)")
    codes, guid_of = _code_rows([str(c) for c in numeric])
    sources = [{"source_guid": stable_guid("source", str(s)), "name": str(s), "kind": "text", "text": None}
               for s in body[first]]
    segments = []
    for row, s in zip(body.index, body[first]):
        for c in numeric:
            for k in range(int(values.loc[row, c])):
                segments.append({"segment_guid": stable_guid("segment", path.name, row, c, k),
                                 "source_guid": stable_guid("source", str(s)), "code_guid": guid_of[str(c)]})
    report = ImportReport("coding matrix (sources × codes)", origin="matrix export",
                          notes=["counts become segments without text or offsets"]
                          + ([f"total column(s) {', '.join(sorted(totals))} ignored"] if totals else []))
    return finish_tables(sources=sources, codes=codes, segments=segments, report=report, path=path,
                         fmt=path.suffix.lstrip(".").lower(), rows_read=len(segments) + len(excluded),
                         exclusions=[Exclusion("total row", excluded)] if excluded else [])


def _is_atlas_code_list(frame: pd.DataFrame) -> bool:
    cols = [str(c).lower() for c in frame.columns]
    return bool(cols) and cols[0] == "code" and any(c in cols for c in ("groundedness", "magnitude degree",
                                                                        "gr", "density"))


def _atlas_code_list(frame: pd.DataFrame, path: Path) -> Codings:
    cols = list(frame.columns)
    level_cols = [cols[0]] + [c for c in cols[1:3] if str(c).startswith("unnamed")]
    ground = next(c for c in cols if str(c).lower() in ("groundedness", "magnitude degree", "gr"))
    rows, parents = [], {}
    for row, r in frame.iterrows():
        depth = next((i for i, c in enumerate(level_cols) if pd.notna(r[c]) and str(r[c]).strip()), None)
        if depth is None:
            continue
        name = re.sub(r"^[●○•]\s*", "", str(r[level_cols[depth]]).strip())
        parent = parents.get(depth - 1)
        key = (parent, name)
        g = stable_guid("code", *[k for k in key if k])
        parents[depth] = g
        comment = next((r[c] for c in cols if str(c).lower() == "comment"), None)
        rows.append({"code_guid": g, "name": name, "parent_guid": parent, "is_codable": True,
                     "description": None if pd.isna(comment) else str(comment),
                     "groundedness": r[ground]})
    codes = pd.DataFrame(rows)
    report = ImportReport("ATLAS.ti code list", origin="ATLAS.ti Code Manager export",
                          notes=["a code list holds codes and their groundedness (number of quotations), no "
                                 "segments: export the project as REFI-QDA (.qdpx) for the coded text"])
    codings = finish_tables(sources=[], codes=codes.drop(columns="groundedness"), segments=[], report=report,
                            path=path, fmt=path.suffix.lstrip(".").lower(), rows_read=0)
    codings.codes["groundedness"] = pd.array(codes["groundedness"].tolist(), dtype="Int64")
    rec = record_of(frame)
    if rec is not None:
        codings.report.notes.append(f"{rec.rows_read} rows read from the code list")
    return codings
