"""Readers of SQLite project databases: QualCoder ``data.qda`` and Taguette ``.sqlite3``.

Only the core columns are read (``PRAGMA table_info`` first), because both
schemas grow with every release (ecosystem.md §A7). Integer ids become GUIDs
with uuid5 on (file kind, table, id), so the same project gives the same GUIDs
on every import.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from evalkit.errors import DataError, Problem
from evalkit.io._offsets import preview_matches
from evalkit.io.codings import Codings, ImportReport, finish_tables, stable_guid

__all__ = ["read_qualcoder", "read_sqlite_project", "read_taguette"]

_QC_CORE = {"source": ("id", "name", "fulltext"), "code_name": ("cid", "name", "catid"),
            "code_cat": ("catid", "name", "supercatid"), "code_text": ("ctid", "cid", "fid", "pos0", "pos1", "owner")}
_TAG_CORE = {"documents": ("id", "name", "contents"), "tags": ("id", "path"),
             "highlights": ("id", "document_id", "start_offset", "end_offset"),
             "highlight_tags": ("highlight_id", "tag_id")}


def _connect(path: Path) -> sqlite3.Connection:
    try:
        # read-only: never touch the researcher's project
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise DataError(f"{path.name}: cannot open the SQLite database ({err})") from None


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in con.execute(f"PRAGMA table_info({table})")}


def _require(con, path: Path, core: dict, tool: str) -> None:
    problems = []
    for table, cols in core.items():
        missing = set(cols) - _columns(con, table)
        if missing:
            problems.append(Problem(f"table {table!r} lacks column(s) {', '.join(sorted(missing))}", str(path)))
    if problems:
        raise DataError(f"{path.name}: not a {tool} project database this reader knows", problems)


def read_sqlite_project(path: Path) -> Codings:
    """Dispatch a SQLite file to the QualCoder or Taguette reader by its tables."""
    con = _connect(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as err:
        raise DataError(f"{path.name}: not a readable SQLite database ({err})") from None
    finally:
        con.close()
    if {"source", "code_name", "code_text"} <= tables:
        return read_qualcoder(path)
    if {"documents", "tags", "highlights", "highlight_tags"} <= tables:
        return read_taguette(path)
    raise DataError(f"{path.name}: a SQLite database that is neither a QualCoder nor a Taguette project; "
                    "export the project as REFI-QDA (.qdpx) instead",
                    [Problem("unknown SQLite schema", str(path))])


def read_qualcoder(path: Path) -> Codings:
    """Read a QualCoder project database (text codings; media codings are counted and left out)."""
    con = _connect(path)
    try:
        _require(con, path, _QC_CORE, "QualCoder")
        g = lambda table, i: stable_guid("qualcoder", table, i)  # noqa: E731
        version = con.execute("SELECT databaseversion FROM project").fetchone() if "databaseversion" in \
            _columns(con, "project") else None
        sources = [{"source_guid": g("source", i), "name": n, "kind": "text" if t is not None else "media",
                    "text": t} for i, n, t in con.execute("SELECT id, name, fulltext FROM source ORDER BY id")]
        texts = {g("source", i): t for i, _, t in con.execute("SELECT id, name, fulltext FROM source")}
        codes = [{"code_guid": g("cat", i), "name": n, "parent_guid": g("cat", s) if s is not None else None,
                  "is_codable": False} for i, n, s in con.execute("SELECT catid, name, supercatid FROM code_cat")]
        has_super = "supercid" in _columns(con, "code_name")
        has_color = "color" in _columns(con, "code_name")
        q = f"SELECT cid, name, catid, {'supercid' if has_super else 'NULL'}, {'color' if has_color else 'NULL'}, " \
            f"{'memo' if 'memo' in _columns(con, 'code_name') else 'NULL'} FROM code_name"
        for cid, name, catid, supercid, color, memo in con.execute(q):
            parent = g("code", supercid) if supercid is not None else (g("cat", catid) if catid is not None else None)
            codes.append({"code_guid": g("code", cid), "name": name, "parent_guid": parent, "is_codable": True,
                          "color": color, "description": memo or None})
        segments, drift = [], []
        sel_col = "seltext" if "seltext" in _columns(con, "code_text") else "NULL"
        date_col = "date" if "date" in _columns(con, "code_text") else "NULL"
        for ctid, cid, fid, p0, p1, owner, sel, date in con.execute(
                f"SELECT ctid, cid, fid, pos0, pos1, owner, {sel_col}, {date_col} FROM code_text ORDER BY ctid"):
            sg = g("source", fid)
            text = texts.get(sg) or ""
            sliced = text[p0:p1]
            if preview_matches(sliced, sel) is False:
                drift.append({"source_guid": sg, "selection_guid": None, "start": p0, "end": p1,
                              "preview": sel, "sliced": sliced})
            segments.append({"segment_guid": g("code_text", ctid), "source_guid": sg, "code_guid": g("code", cid),
                             "coder": stable_guid("user", owner), "start": p0, "end": p1, "text": sliced,
                             "created": date})
        coders = sorted({r[0] for r in con.execute("SELECT DISTINCT owner FROM code_text") if r[0]})
        cases, attributes = _qc_cases(con, g)
        report = ImportReport("QualCoder project (.qda)", origin=f"QualCoder (database {version[0] if version else '?'})",
                              notes=["offsets index source.fulltext; each coding's seltext checked against "
                                     "the slice"])
        import pandas as pd
        report.drift = pd.DataFrame(drift, columns=report.drift.columns)
        n_media = sum(con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("code_av", "code_image")
                      if _columns(con, t))
        if n_media:
            report.notes.append(f"{n_media} audio/video/image codings not imported (evalkit analyses text)")
    except sqlite3.Error as err:
        raise DataError(f"{path.name}: QualCoder database could not be read ({err})") from None
    finally:
        con.close()
    users = [{"user_guid": stable_guid("user", o), "name": o} for o in coders]
    return finish_tables(sources=sources, codes=codes, segments=segments, cases=cases, attributes=attributes,
                         users=users, report=report, path=path, fmt="qualcoder", rows_read=len(segments))


def _qc_cases(con, g):
    cases, attributes = [], []
    if {"caseid", "name"} <= _columns(con, "cases") and {"caseid", "fid"} <= _columns(con, "case_text"):
        for cid, name, fid in con.execute("SELECT c.caseid, c.name, t.fid FROM cases c LEFT JOIN case_text t "
                                          "ON c.caseid = t.caseid"):
            cases.append({"case_guid": g("case", cid), "name": name,
                          "source_guid": g("source", fid) if fid is not None else None})
    if {"name", "attr_type", "value", "id"} <= _columns(con, "attribute"):
        types = dict(con.execute("SELECT name, valuetype FROM attribute_type")) if \
            {"name", "valuetype"} <= _columns(con, "attribute_type") else {}
        for name, kind, value, owner in con.execute("SELECT name, attr_type, value, id FROM attribute"):
            file = kind == "file"
            attributes.append({"owner_guid": g("source" if file else "case", owner),
                               "owner_kind": "source" if file else "case", "variable": name,
                               "type": "Float" if types.get(name) == "numeric" else "Text", "value": value})
    return cases, attributes


def read_taguette(path: Path) -> Codings:
    """Read a Taguette project database: documents (HTML → text), tags, highlights.

    Taguette's offsets count UTF-8 *bytes* of the document's text content
    (the HTML with tags removed and entities decoded) — found on the real
    sample project, where every snippet matches only under that rule; they are
    turned into code points and each stored snippet is compared with the slice.
    """
    import pandas as pd
    con = _connect(path)
    try:
        _require(con, path, _TAG_CORE, "Taguette")
        g = lambda table, i: stable_guid("taguette", table, i)  # noqa: E731
        docs = list(con.execute("SELECT id, name, contents FROM documents ORDER BY id"))
        sources = [{"source_guid": g("doc", i), "name": n, "kind": "text", "text": _text_content(c or "")}
                   for i, n, c in docs]
        texts = {s["source_guid"]: s["text"] for s in sources}
        codes = [{"code_guid": g("tag", i), "name": p, "parent_guid": None, "is_codable": True}
                 for i, p in con.execute("SELECT id, path FROM tags ORDER BY id")]
        snip = "snippet" if "snippet" in _columns(con, "highlights") else "NULL"
        rows = list(con.execute(f"SELECT h.id, h.document_id, h.start_offset, h.end_offset, {snip}, t.tag_id "
                                "FROM highlights h JOIN highlight_tags t ON h.id = t.highlight_id ORDER BY h.id, t.tag_id"))
        owner = con.execute("SELECT login FROM users LIMIT 1").fetchone() if _columns(con, "users") else None
    except sqlite3.Error as err:
        raise DataError(f"{path.name}: Taguette database could not be read ({err})") from None
    finally:
        con.close()
    segments, drift = [], []
    coder = stable_guid("user", owner[0]) if owner else None
    for hid, doc, a, b, snippet, tag in rows:
        sg = g("doc", doc)
        text = texts.get(sg, "")
        plain = _text_content(snippet or "")
        a, b = _byte_to_cp(text, a), _byte_to_cp(text, b)
        sliced = text[a:b]
        if preview_matches(sliced, plain) is False:
            drift.append({"source_guid": sg, "selection_guid": g("highlight", hid), "start": a, "end": b,
                          "preview": plain[:60], "sliced": sliced[:60]})
            sliced = plain
        segments.append({"segment_guid": g("highlight_tag", f"{hid}:{tag}"), "selection_guid": g("highlight", hid),
                         "source_guid": sg, "code_guid": g("tag", tag), "coder": coder, "start": a, "end": b,
                         "text": sliced})
    report = ImportReport("Taguette project database", origin="Taguette",
                          notes=["offsets: UTF-8 bytes of the HTML text content, converted to code points "
                                 "and checked against each highlight's stored snippet"])
    report.drift = pd.DataFrame(drift, columns=report.drift.columns)
    if drift:
        report.notes.append(f"{len(drift)} highlight(s) whose offsets do not slice their snippet from the "
                            "HTML-stripped text: the snippet is kept as the segment text")
    users = [{"user_guid": coder, "name": owner[0]}] if owner else []
    return finish_tables(sources=sources, codes=codes, segments=segments, users=users, report=report, path=path,
                         fmt="taguette", rows_read=len(segments))


def _text_content(markup: str) -> str:
    """The text content of HTML (tags removed, entities decoded), as Taguette counts it."""
    import html
    import re
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def _byte_to_cp(text: str, pos: int) -> int:
    return len(text.encode("utf-8")[:pos].decode("utf-8", errors="ignore"))
