"""CFIR memos (coded passages per unit × construct) and the locked Excel rating form, and reading it back.

Layout of a rating form (sheet names in the form's language; English shown):

* ``Instructions`` – what to do, the rating scale with its definitions, rater and source.
* ``CFIR ratings`` – row 1 headers, one row per unit × construct from row 2: unit, construct id,
  construct label, coded passages, informants, roles, the memo (masked quotes with role labels),
  then the two cells a rater fills in: the rating (dropdown) and the rationale. Everything else is
  locked.
* ``Lists`` (hidden) – the dropdown values (+2 … −2, X, missing).
* ``_meta`` (hidden) – form kind and version, CFIR data sha256, language, rater, the unit variable,
  and per row its key and a hash of every context cell, so an edited memo or a moved row is refused.

Every text cell is written as a string (``data_type "s"``), never as a formula, whatever it starts
with. Reading never saves the workbook and re-validates every cell; Excel's data validation is a
convenience for the rater, not a guarantee.
"""
from __future__ import annotations

import hashlib
import json
import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd

from evalkit import i18n
from evalkit._files import save_workbook
from evalkit.analysis.qualitative import GROUP_VARIABLES
from evalkit.analysis.quotes import mask_text, role_labels
from evalkit.errors import AnalysisError, DataError, DataWarning, Problem
from evalkit.i18n import check_language
from evalkit.implementation import _cfir_tree as cfir_tree
from evalkit.implementation._cfir_text import (FORM_TEXTS, HEADERS, MISSING_LABEL, MORE_PASSAGES, RATING_CODES,
                                               RATING_DEFINITIONS, SHEETS)
from evalkit.provenance import LoadRecord, SourceFile, attach

FORM_RECORDS = "evalkit_form_records"

__all__ = ["memos", "rating_form", "load_ratings", "UNIT_VARIABLES", "FORM_KIND", "FORM_VERSION", "COLUMNS",
           "RATING_COLUMNS", "parse_rating", "rating_checks"]

FORM_KIND = "cfir_rating"
FORM_VERSION = "1"
META_SHEET = "_meta"
HEADER_ROW = 1
FIRST_DATA_ROW = 2
#: variable names tried (in order) for the unit (inner setting) when ``unit`` is not given
UNIT_VARIABLES = ("enhet", "unit", "område", "omrade", "område/enhet", "distrikt", "district", "setting",
                  "inner_setting", "team", "verksamhet", "kommun", "kommune")
CONTEXT = ("unit", "construct", "label", "segments", "informants", "roles", "memo")
COLUMNS = (*CONTEXT, "rating", "rationale")
RATING_COLUMNS = ("unit", "construct", "label", "rater", "rating", "code", "mixed", "missing", "rationale",
                  "n_segments", "n_informants", "form", "form_row")
MEMO_COLUMNS = ("unit", "construct", "label", "segments", "informants", "roles", "memo")


# ----------------------------------------------------------------------------- memos
def memos(codings, *, unit: str | None = None, role: str | None = None, coder: str | None = None,
          units=None, constructs=None, language: str = "sv", names=(), role_names: dict | None = None,
          max_passage_chars: int = 600, max_memo_chars: int = 6000) -> pd.DataFrame:
    """The coded passages of each unit × CFIR construct, masked and labelled by role only.

    Parameters
    ----------
    codings : Codings
        Coded interviews whose codes include CFIR 2.0 codes (matched by GUID, id prefix or label; see
        :func:`evalkit.implementation._cfir_tree.match_codes`).
    unit : str, optional
        Source/case variable holding the unit (inner setting); default the first of
        :data:`UNIT_VARIABLES` present.
    role : str, optional
        Variable holding the informant's role; default the first of
        :data:`evalkit.analysis.qualitative.GROUP_VARIABLES` present.
    coder : str, optional
        Whose codings are used (user name or GUID); default the coder with most CFIR passages, so a
        double-coded interview is not shown twice.
    units, constructs : list, optional
        Rows to make. ``constructs`` takes CFIR ids ("III.J") or labels; default every construct with
        at least one coded passage (passages coded on a subconstruct count for its construct and are
        shown with the subconstruct id). Units default to every unit value in the codings.
    language : {"sv", "nb", "en"}
        Language of the construct labels and of the mask tokens.
    names : list of str
        Names to mask in the quotes besides those the heuristics find.
    role_names : dict, optional
        Display name per role value ("chef" → "Enhetschef").
    max_passage_chars, max_memo_chars : int
        Length limits of one passage and of a memo cell (the rest is counted, not shown).

    Returns
    -------
    DataFrame
        ``unit, construct, label, segments, informants, roles, memo``: passage and informant
        counts, the roles with their counts ("Chef 1, Handläggare 2" style labels), and the memo
        text (``[Role n] passage`` blocks).
    """
    language = check_language(language)
    code_map = cfir_tree.match_codes(codings.codes)
    if not code_map:
        raise AnalysisError("no CFIR 2.0 codes in these codings; code with the codebook from "
                            "ek.cfir.codebook() or name codes with their CFIR id (e.g. 'III.J Tillgängliga resurser')")
    attrs = codings.source_attributes()
    uvar = _variable(attrs, unit, UNIT_VARIABLES, "unit")
    if uvar is None:
        raise AnalysisError("no unit variable in the codings (tried " + ", ".join(UNIT_VARIABLES) + "); give "
                            "unit=<the source or case variable naming the unit>; variables: "
                            + (", ".join(map(str, attrs.columns)) or "(none)"))
    rvar = _variable(attrs, role, GROUP_VARIABLES, "role")
    sources = codings.sources["source_guid"]
    unit_of = attrs[uvar]
    groups = attrs[rvar].fillna("?") if rvar else pd.Series("informant", index=sources)
    labels = role_labels(groups, role_names)
    tree = cfir_tree.tree().set_index("id")
    seg = codings.segments[codings.segments["code_guid"].isin(code_map)].copy()
    seg = _one_coder(seg, coder, codings.users)
    seg["own"] = seg["code_guid"].map(code_map)
    kind, parent = tree["kind"].to_dict(), tree["parent_id"].to_dict()
    seg = seg[(seg["own"].map(kind) != "domain").to_numpy(dtype=bool)]  # a coded domain is not rated
    seg["construct"] = [i if kind[i] == "construct" else parent[i] for i in seg["own"]]
    seg["unit"] = seg["source_guid"].map(unit_of)
    order = {g: i for i, g in enumerate(sources)}
    seg = seg.assign(_o=seg["source_guid"].map(order)).sort_values(["_o", "start"], kind="stable")
    wanted = _constructs(constructs, seg, tree)
    unit_list = _units(units, unit_of)
    rows = []
    for u in unit_list:
        for cid in wanted:
            rows.append(_memo_row(u, cid, seg, tree, labels, language, names, max_passage_chars, max_memo_chars))
    out = pd.DataFrame(rows, columns=list(MEMO_COLUMNS))
    out.attrs.update({"unit_variable": uvar, "role_variable": rvar,
                      "coder": None if seg.empty else str(seg["coder"].iloc[0])})
    return out


def _variable(attrs: pd.DataFrame, wanted, candidates, what: str):
    if wanted is not None:
        if wanted not in attrs.columns:
            raise AnalysisError(f"no {what} variable {wanted!r} in the codings; variables: "
                                f"{', '.join(map(str, attrs.columns)) or '(none)'}")
        return wanted
    lower = {str(c).lower(): c for c in attrs.columns}
    return next((lower[c] for c in candidates if c in lower), None)


def _one_coder(seg: pd.DataFrame, coder, users: pd.DataFrame) -> pd.DataFrame:
    if seg.empty:
        return seg
    if coder is None:
        return seg[seg["coder"] == seg["coder"].value_counts().index[0]]
    guid = dict(zip(users["name"], users["user_guid"])).get(coder, coder)
    if guid not in set(seg["coder"]):
        raise AnalysisError(f"coder {coder!r} coded no CFIR passage; coders: {', '.join(map(str, users['name']))}")
    return seg[seg["coder"] == guid]


def _constructs(constructs, seg: pd.DataFrame, tree: pd.DataFrame) -> list[str]:
    if constructs is None:
        used = set(seg["construct"])
        return [i for i in tree.index if i in used]
    by_label = {}
    for lang in cfir_tree.LANGUAGES:
        for i, lab in tree[f"label_{lang}"].items():
            by_label.setdefault(lab.casefold(), []).append(i)
    out = []
    for c in constructs:
        if c in tree.index and tree.at[c, "kind"] != "domain":
            out.append(c)
        elif len(by_label.get(str(c).casefold(), [])) == 1 and tree.at[by_label[str(c).casefold()][0], "kind"] != "domain":
            out.append(by_label[str(c).casefold()][0])
        else:
            raise AnalysisError(f"{c!r} is not a CFIR 2.0 construct or subconstruct; give its id, e.g. 'III.J'")
    return list(dict.fromkeys(out))


def _units(units, unit_of: pd.Series) -> list:
    present = sorted({str(u) for u in unit_of.dropna()})
    if units is None:
        return present
    unknown = [u for u in units if str(u) not in present]
    if unknown:
        raise AnalysisError(f"unit(s) {unknown} not in the codings; units: {', '.join(present) or '(none)'}")
    return [str(u) for u in units]


def _memo_row(u, cid, seg, tree, labels, language, names, max_passage, max_memo) -> dict:
    kind = tree.at[cid, "kind"]
    mine = seg[(seg["unit"] == u) & ((seg["own"] == cid) if kind == "subconstruct" else (seg["construct"] == cid))]
    blocks, shown_len, hidden = [], 0, 0
    for r in mine.itertuples(index=False):
        text = mask_text(_trim(str(r.text or ""), max_passage), names=names, language=language)
        tag = "" if r.own == cid else f" ({r.own})"
        block = f"[{labels.get(r.source_guid, '?')}{tag}] {text}"
        if shown_len + len(block) > max_memo:
            hidden += 1
            continue
        blocks.append(block)
        shown_len += len(block) + 2
    if hidden:
        blocks.append(MORE_PASSAGES[language].format(n=hidden))
    role_counts = mine.drop_duplicates("source_guid")["source_guid"].map(labels).str.rsplit(" ", n=1).str[0]
    roles = ", ".join(f"{k}: {v}" for k, v in role_counts.value_counts().sort_index().items())
    return {"unit": u, "construct": cid, "label": tree.at[cid, f"label_{language}"], "segments": int(len(mine)),
            "informants": int(mine["source_guid"].nunique()), "roles": roles, "memo": "\n\n".join(blocks)}


def _trim(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")].rstrip(",;:") + " …" if " " in cut else cut + " …"


# ----------------------------------------------------------------------------- writing
def rating_form(codings, path, *, units=None, constructs=None, rater: str = "1", language: str = "sv",
                unit: str | None = None, role: str | None = None, coder: str | None = None, names=(),
                role_names: dict | None = None, password: str | None = None, memo_table: pd.DataFrame | None = None
                ) -> Path:
    """Write a locked Excel CFIR rating form: one row per unit × construct with its memo.

    Parameters
    ----------
    codings : Codings or None
        CFIR-coded interviews (see :func:`memos` for how codes, units and roles are found). May be
        None when ``memo_table`` is given.
    path : str or Path
        Where to write the .xlsx (written to a temporary file beside it, then renamed).
    units, constructs, unit, role, coder, names, role_names
        Passed to :func:`memos`.
    rater : str
        Rater id stored in the form; for double rating write a second form with another id (the
        forms are otherwise identical).
    language : {"sv", "nb", "en"}
    password : str, optional
        Sheet protection password (a guard against slips, not security).
    memo_table : DataFrame, optional
        A table from :func:`memos` (e.g. edited before issuing the forms) instead of ``codings``.

    Returns
    -------
    Path

    Notes
    -----
    The rating scale is the one of Damschroder & Lowery (2013): −2, −1, 0, +1, +2, with X for a
    mixed influence and "missing" for no data, both kept apart from 0. Every text cell is written
    as a string, so a memo or label starting with ``=``, ``+``, ``-`` or ``@`` never becomes a formula.
    """
    from openpyxl import Workbook

    language = check_language(language)
    if path is None:
        raise DataError("give the path to write the form to, e.g. path='cfir_bedomning.xlsx'")
    table = memo_table if memo_table is not None else memos(
        codings, unit=unit, role=role, coder=coder, units=units, constructs=constructs, language=language,
        names=names, role_names=role_names)
    missing = [c for c in MEMO_COLUMNS if c not in table.columns]
    if missing:
        raise AnalysisError(f"memo_table lacks column(s) {missing}; make it with ek.cfir.memos()")
    if table.empty:
        raise AnalysisError("no unit × construct rows to rate (no CFIR passages and no constructs given)")
    if table.duplicated(["unit", "construct"]).any():
        raise AnalysisError("memo_table repeats a (unit, construct) pair; keep one row per pair")
    _refuse_identifiers(table)
    names_ = SHEETS[language]
    wb = Workbook()
    instructions = wb.active
    instructions.title = names_["instructions"]
    sheet = wb.create_sheet(names_["rating"])
    lists = wb.create_sheet(names_["lists"])
    meta = wb.create_sheet(META_SHEET)
    for r, code in enumerate(RATING_CODES, start=1):
        _text(lists, r, 1, _code_label(code, language))
    hashes = _write_rating_sheet(sheet, table, language, names_["lists"])
    _write_instructions(instructions, language, names_["rating"], rater)
    _write_meta(meta, table, language, rater, hashes, getattr(table, "attrs", {}))
    lists.sheet_state = "hidden"
    meta.sheet_state = "hidden"
    for ws in (instructions, sheet, lists, meta):
        ws.protection.sheet = True
        if password and ws in (instructions, sheet):
            ws.protection.password = password
    wb.security.lockStructure = True
    wb.active = 1
    return save_workbook(wb, Path(path))


def _refuse_identifiers(table: pd.DataFrame) -> None:
    from evalkit.privacy import check_identifiers

    check_identifiers(table[["unit", "label", "roles", "memo"]].astype("string"), file="CFIR rating form (memos)")


def _code_label(code: str, language: str) -> str:
    return MISSING_LABEL[language] if code == "missing" else code


def _text(ws, row: int, col: int, value):
    """Write a cell; strings always as string cells, never a formula (the shared writer of evalkit's sheets)."""
    from evalkit.privacy._cells import put

    return put(ws, row, col, value)


def _norm(value) -> str:
    """The text a context cell is hashed on, the same whether written or read back."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _hash(value) -> str:
    return hashlib.sha256(_norm(value).encode("utf-8")).hexdigest()[:16]


def _write_rating_sheet(ws, table: pd.DataFrame, language: str, lists_name: str) -> list[list[str]]:
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    fill = PatternFill("solid", fgColor="FFF2CC")
    for c, key in enumerate(COLUMNS, start=1):
        _text(ws, HEADER_ROW, c, HEADERS[key][language]).font = bold
    hashes = []
    for r, rec in enumerate(table[list(MEMO_COLUMNS)].itertuples(index=False), start=FIRST_DATA_ROW):
        values = [str(rec.unit), str(rec.construct), str(rec.label), int(rec.segments), int(rec.informants),
                  str(rec.roles or ""), str(rec.memo or "")]
        for c, v in enumerate(values, start=1):
            _text(ws, r, c, v).alignment = wrap
        hashes.append([_hash(v) for v in values])
        for c in (len(CONTEXT) + 1, len(CONTEXT) + 2):
            cell = ws.cell(row=r, column=c)
            cell.protection = Protection(locked=False)
            cell.fill = fill
            cell.alignment = wrap
            cell.number_format = "@"  # typed "+1" stays the text "+1"
    last = FIRST_DATA_ROW + len(table) - 1
    rating_col = get_column_letter(len(CONTEXT) + 1)
    allowed = ", ".join(_code_label(c, language) for c in RATING_CODES)
    dv = DataValidation(type="list", formula1=f"'{lists_name}'!$A$1:$A${len(RATING_CODES)}", allow_blank=True,
                        showErrorMessage=True, errorStyle="stop",
                        errorTitle=i18n.text("cfir_form", "write_rating_sheet", language),
                        error=i18n.text("cfir_form", "write_rating_sheet_2", language) + allowed)
    dv.add(f"{rating_col}{FIRST_DATA_ROW}:{rating_col}{last}")
    ws.add_data_validation(dv)
    widths = {"unit": 12, "construct": 10, "label": 26, "segments": 9, "informants": 9, "roles": 22, "memo": 80,
              "rating": 11, "rationale": 45}
    for c, key in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths[key]
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=4)
    return hashes


def _write_instructions(ws, language: str, sheet_name: str, rater: str) -> None:
    from openpyxl.styles import Alignment, Font

    t = FORM_TEXTS[language]
    wrap = Alignment(wrap_text=True, vertical="top")
    lines = [(t["title"], Font(bold=True, size=14)), (t["intro"].format(sheet=sheet_name), None),
             (t["no_edit"], None), (t["privacy"], Font(bold=True)), (f"{t['rater']}: {rater}", None),
             (f"{t['source']}: {cfir_tree.CITATION}", None), ("", None), (t["scale"], Font(bold=True))]
    r = 1
    for text, font in lines:
        cell = _text(ws, r, 1, text)
        cell.alignment = wrap
        if font:
            cell.font = font
        r += 1
    for code in RATING_CODES:
        _text(ws, r, 1, _code_label(code, language)).font = Font(bold=True)
        _text(ws, r, 2, RATING_DEFINITIONS[language][code]).alignment = wrap
        r += 1
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 100


def _write_meta(ws, table: pd.DataFrame, language: str, rater: str, hashes, attrs: dict) -> None:
    from evalkit import __version__

    entries = {"form_kind": FORM_KIND, "form_version": FORM_VERSION, "evalkit_version": __version__,
               "cfir_sha256": cfir_tree.data_sha256(), "language": language, "rater": str(rater),
               "unit_variable": str(attrs.get("unit_variable") or ""), "coder": str(attrs.get("coder") or ""),
               "columns": json.dumps(list(COLUMNS)), "rows": str(len(table))}
    for r, (k, v) in enumerate(entries.items(), start=1):
        _text(ws, r, 1, k)
        _text(ws, r, 2, v)
    _text(ws, 1, 4, "key")
    _text(ws, 1, 5, "hashes")
    for r, (rec, h) in enumerate(zip(table.itertuples(index=False), hashes), start=2):
        _text(ws, r, 4, json.dumps([str(rec.unit), str(rec.construct)], ensure_ascii=False))
        _text(ws, r, 5, json.dumps(h))




# ----------------------------------------------------------------------------- reading
def parse_rating(raw, language: str | None = None) -> tuple[str | None, bool]:
    """(code, ok) of a rating cell: code one of "+2" … "-2", "X", "missing", or None for a blank cell.

    Accepts what Excel and LibreOffice store: the list text ("+1"), a number (1, -2.0), a Unicode
    minus or dash ("−1"), and the "missing" word of any language.

    >>> parse_rating("−1"), parse_rating(2.0), parse_rating("saknas"), parse_rating("x"), parse_rating(" ")
    (('-1', True), ('+2', True), ('missing', True), ('X', True), (None, True))
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, True
    if isinstance(raw, bool):
        return None, False
    if isinstance(raw, (int, float)):
        if float(raw).is_integer() and -2 <= raw <= 2:
            v = int(raw)
            return (f"+{v}" if v > 0 else str(v)), True
        return None, False
    s = str(raw).strip().replace("\u2212", "-").replace("\u2013", "-").replace(" ", "")
    if s.casefold() == "x":
        return "X", True
    if s.casefold() in {m.casefold() for m in MISSING_LABEL.values()}:
        return "missing", True
    m = re.fullmatch(r"([+-]?)([0-2])", s)
    if m:
        v = int(m.group(1) + m.group(2))
        return (f"+{v}" if v > 0 else str(v)), True
    return None, False


def load_ratings(paths, *, allow_blank: bool = False) -> pd.DataFrame:
    """Read filled CFIR rating forms (one or several raters) and re-validate them.

    Parameters
    ----------
    paths : str, Path or list of them
        Forms written by :func:`rating_form` and filled in (Excel, LibreOffice or a script). Files
        are only read, never saved.
    allow_blank : bool
        Accept empty rating cells (returned as missing) instead of refusing the form.

    Returns
    -------
    DataFrame
        One row per (form row): ``unit, construct, label, rater, rating`` (Int64 −2…2; missing
        for X and for no data), ``code`` (as given: "+2" … "-2", "X", "missing", or "blank"),
        ``mixed`` (X), ``missing`` (no data or blank),
        ``rationale, n_segments, n_informants, form, form_row``. ``attrs["checks"]`` lists the
        plausibility findings below as records (:func:`rating_checks` gives them as a table);
        ``attrs["evalkit_cfir_meta"]`` the forms' meta data.

    Raises
    ------
    DataError
        Listing every problem with file, sheet, row and column: ratings outside the scale, blank
        ratings, edited unit/construct/memo cells (hashes), rows added, removed or copied, a
        sheet or header missing, two forms of the same rater.
    IdentifierError
        A rationale holds a personal identity number.

    Warns
    -----
    DataWarning
        When a rating is "missing" although passages were coded for it, or a −2/+2 rests on
        fewer than two informants (the ±2 criterion asks for most informants, at least two).
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise DataError("give at least one rating form")
    frames, metas, records = [], [], []
    for p in items:
        frame, meta, record = _load_one(Path(p), allow_blank)
        frames.append(frame)
        metas.append(meta)
        records.append(record)
    raters = [m["rater"] for m in metas]
    dup = sorted({r for r in raters if raters.count(r) > 1})
    if dup:
        raise DataError(f"{len(items)} forms but rater id(s) {dup} appear in more than one; each rater's form "
                        "once (write the second rater's form with another rater=)",
                        [Problem(f"rater {r} repeated", file=str(p)) for p, m in zip(items, metas)
                         for r in dup if m["rater"] == r])
    out = pd.concat(frames, ignore_index=True)
    checks = rating_checks(out)
    if len(checks):
        warnings.warn(f"{len(checks)} rating(s) to look at again: "
                      + "; ".join(f"{r.form} row {r.form_row}: {r.check}" for r in checks.head(5).itertuples())
                      + (" …" if len(checks) > 5 else "") + " (all in .attrs['checks'])", DataWarning, stacklevel=2)
    # plain records, not a DataFrame: pandas compares attrs when it concatenates (astype, concat …)
    out.attrs["checks"] = checks.to_dict("records")
    out.attrs["evalkit_cfir_meta"] = metas
    # every form's own record (file, sha256, rows), JSON-able like the rest of attrs, for the provenance appendix
    out.attrs[FORM_RECORDS] = [r.to_dict() for r in records]
    return attach(out, records[0] if len(records) == 1 else _combined(records))


def _combined(records: list[LoadRecord]) -> LoadRecord:
    """One load record for several forms (a frame carries one; the notes name every form)."""
    return LoadRecord(table="cfir_ratings", source=None, rows_read=sum(r.rows_read for r in records),
                      rows_kept=sum(r.rows_kept for r in records),
                      notes=[f"{Path(r.source.path).name}: {n}" for r in records for n in r.notes])


def _open(path: Path):
    from openpyxl import load_workbook

    if not path.is_file():
        raise DataError(f"rating form not found: {path}", [Problem("file not found", file=str(path))])
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path.name} is not an .xlsx workbook",
                        [Problem("not a zip/xlsx file (was it saved as .xls or .ods?)", file=str(path))])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*extension is not supported.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*Workbook contains no default style.*", category=UserWarning)
        try:
            return load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for broken files
            raise DataError(f"{path.name} cannot be opened as a workbook ({type(exc).__name__}: {exc})",
                            [Problem("unreadable workbook", file=str(path))]) from None


def _read_meta(wb, path: Path) -> tuple[dict, list[tuple[str, str]], list[list[str]]]:
    if META_SHEET not in wb.sheetnames:
        raise DataError(f"{path.name} is not an evalkit CFIR rating form: it has no '{META_SHEET}' sheet",
                        [Problem("sheet missing", file=str(path), sheet=META_SHEET)])
    meta, raw_keys = {}, []
    for r, row in enumerate(wb[META_SHEET].iter_rows(values_only=True), start=1):
        row = list(row) + [None] * 5
        if row[0] is not None:
            meta[str(row[0])] = "" if row[1] is None else str(row[1])
        if r >= 2 and row[3] is not None:
            raw_keys.append((row[3], row[4]))
    if meta.get("form_kind") != FORM_KIND:
        raise DataError(f"{path.name} is not a CFIR rating form (form kind {meta.get('form_kind')!r})",
                        [Problem("not a CFIR rating form", file=str(path), sheet=META_SHEET)])
    try:
        keys = [tuple(json.loads(k)) for k, _ in raw_keys]
        hashes = [json.loads(h) for _, h in raw_keys]
    except (TypeError, ValueError):
        raise DataError(f"{path.name}: the '{META_SHEET}' sheet was edited; use the form as issued",
                        [Problem("meta sheet unreadable", file=str(path), sheet=META_SHEET)]) from None
    if meta.get("form_version") != FORM_VERSION:
        raise DataError(f"{path.name}: CFIR form version {meta.get('form_version')} is not supported "
                        f"(this evalkit reads version {FORM_VERSION})")
    if meta.get("language") not in SHEETS or str(len(keys)) != meta.get("rows"):
        raise DataError(f"{path.name}: the '{META_SHEET}' sheet was edited ({len(keys)} keys for "
                        f"{meta.get('rows')} rows); use the form as issued",
                        [Problem("meta sheet edited", file=str(path), sheet=META_SHEET)])
    return meta, keys, hashes


def _load_one(path: Path, allow_blank: bool):
    wb = _open(path)
    try:
        meta, keys, hashes = _read_meta(wb, path)
        sheet = SHEETS[meta["language"]]["rating"]
        if sheet not in wb.sheetnames:
            raise DataError(f"{path.name}: the sheet '{sheet}' is missing",
                            [Problem("sheet missing", file=str(path), sheet=sheet)])
        grid = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    frame, problems = _parse(grid, meta, keys, hashes, path, sheet, allow_blank)
    if problems:
        raise DataError(f"{path.name}: the CFIR rating form has {len(problems)} problem(s); fix them in the form "
                        "(or send it back to the rater) and read it again", problems)
    from evalkit.privacy import check_identifiers

    check_identifiers(frame.set_index("form_row")[["rationale"]], file=str(path), sheet=sheet)
    record = LoadRecord(table="cfir_ratings", source=SourceFile.from_path(path, "xlsx", sheet=sheet,
                                                                          header_row=HEADER_ROW),
                        rows_read=len(keys), rows_kept=len(frame),
                        notes=[f"CFIR 2.0 rating form, rater {meta['rater']}, {len(frame)} unit × construct rows"])
    return frame, meta, record


def _parse(grid, meta, keys, hashes, path: Path, sheet: str, allow_blank: bool):
    from openpyxl.utils import get_column_letter

    language = meta["language"]
    problems: list[Problem] = []
    f = str(path)

    def problem(message, row=None, col=None):
        column = None if col is None else (f"{get_column_letter(col)} ({HEADERS[COLUMNS[col - 1]][language]})"
                                           if col <= len(COLUMNS) else get_column_letter(col))
        problems.append(Problem(message, file=f, sheet=sheet, row=row, column=column))

    header = grid[HEADER_ROW - 1] if grid else []
    for c, key in enumerate(COLUMNS, start=1):
        found = header[c - 1] if c - 1 < len(header) else None
        if str(found or "").strip() != HEADERS[key][language]:
            problem(f"header should be {HEADERS[key][language]!r}, found {found!r}", HEADER_ROW, c)
    if problems:
        return None, problems
    data = grid[FIRST_DATA_ROW - 1:]
    while data and all(v is None or (isinstance(v, str) and not v.strip()) for v in data[-1]):
        data.pop()
    expected = {k: h for k, h in zip(keys, hashes)}
    seen: dict = {}
    records = []
    allowed = ", ".join(_code_label(c, language) for c in RATING_CODES)
    for offset, row in enumerate(data):
        r = FIRST_DATA_ROW + offset
        row = list(row) + [None] * (len(COLUMNS) - len(row))
        key = (_norm(row[0]), _norm(row[1]))
        if key not in expected:
            problem(f"unit {key[0]!r} × construct {key[1]!r} is not one of the form's rows (row added or "
                    "unit/construct changed)", r, 1)
            continue
        if key in seen:
            problem(f"unit {key[0]} × construct {key[1]} appears again (first in row {seen[key]}; row copied?)", r, 1)
            continue
        seen[key] = r
        for c, (value, h) in enumerate(zip(row[:len(CONTEXT)], expected[key]), start=1):
            if _hash(value) != h:
                problem(f"the {HEADERS[CONTEXT[c - 1]][language]!r} cell was edited; context cells must stay as "
                        "issued", r, c)
        for c in range(len(COLUMNS) + 1, len(row) + 1):
            if row[c - 1] is not None and not (isinstance(row[c - 1], str) and not row[c - 1].strip()):
                problem("something was written outside the form", r, c)
        code, ok = parse_rating(row[len(CONTEXT)], language)
        if not ok:
            problem(f"{row[len(CONTEXT)]!r} is not one of {allowed}", r, len(CONTEXT) + 1)
            continue
        if code is None and not allow_blank:
            problem(f"no rating for unit {key[0]} × construct {key[1]} (choose {MISSING_LABEL[language]!r} when "
                    "there is no data)", r, len(CONTEXT) + 1)
            continue
        rationale = row[len(CONTEXT) + 1]
        rationale = None if rationale is None or not str(rationale).strip() else str(rationale).strip()
        rating = int(code) if code not in (None, "X", "missing") else pd.NA
        records.append({"unit": key[0], "construct": key[1], "label": _norm(row[2]), "rater": meta["rater"],
                        "rating": rating, "code": code or "blank", "mixed": code == "X", "missing": code in (None, "missing"),
                        "rationale": rationale, "n_segments": int(float(_norm(row[3]) or 0)),
                        "n_informants": int(float(_norm(row[4]) or 0)), "form": path.name, "form_row": r})
    gone = [k for k in keys if k not in seen]
    if gone:
        shown = ", ".join(f"{u} × {c}" for u, c in gone[:10]) + (" …" if len(gone) > 10 else "")
        problem(f"{len(gone)} row(s) of the form are missing (deleted or changed): {shown}")
    frame = pd.DataFrame(records, columns=list(RATING_COLUMNS))
    frame = frame.astype({"unit": "string", "construct": "string", "label": "string", "rater": "string",
                          "rating": "Int64", "code": "string", "mixed": bool, "missing": bool, "rationale": "string",
                          "n_segments": "int64", "n_informants": "int64", "form": "string", "form_row": "int64"})
    return frame, problems


def rating_checks(ratings: pd.DataFrame) -> pd.DataFrame:
    """Ratings to look at again: "missing" (or blank) although passages were coded; ±2 on fewer than two informants.

    Returns ``form, form_row, rater, unit, construct, check`` (empty when all is well).
    """
    rows = []
    for r in ratings.itertuples(index=False):
        if r.code in ("missing", "blank") and r.n_segments > 0:
            what = "rated missing" if r.code == "missing" else "left blank"
            rows.append((r.form, r.form_row, r.rater, r.unit, r.construct,
                         f"{what} although {r.n_segments} passage(s) were coded"))
        if pd.notna(r.rating) and abs(int(r.rating)) == 2 and r.n_informants < 2:
            rows.append((r.form, r.form_row, r.rater, r.unit, r.construct,
                         f"{int(r.rating):+d} rests on {r.n_informants} informant(s); ±2 asks for at least two"))
    return pd.DataFrame(rows, columns=["form", "form_row", "rater", "unit", "construct", "check"])
