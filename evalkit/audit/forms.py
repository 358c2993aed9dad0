"""The audit form: an .xlsx workbook a reviewer fills in, and reading it back.

Layout of a form (sheet names in the form's language; English shown):

* ``Instructions`` – what to check, what each answer means, the questions.
* ``Review`` – row 1 item ids, row 2 the questions, one row per sampled
  decision from row 3 (id, unit, date, service; no personal data), one
  dropdown column per item and a free-text comment column. Everything is
  locked except the answer and comment cells.
* ``Lists`` (hidden) – the answer labels the dropdowns refer to (a range on a
  sheet, not an inline list, so the 255-character limit never bites).
* ``_meta`` (hidden) – form version, checklist name/version/sha256, sample
  manifest sha256, reviewer id, language, and the decision ids in form order.

Reading back never saves the workbook (a re-save through openpyxl would drop
the dropdowns Excel stores in its x14 extension) and re-validates every cell
against the same checklist object that made the dropdowns: Excel's data
validation is only a convenience for the reviewer, not a guarantee.
"""
from __future__ import annotations

import json
import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd

from evalkit import i18n
from evalkit.audit.checklists import ANSWER_CODES, ANSWER_DEFINITIONS, ANSWERS, Checklist, load_checklist
from evalkit.audit.sampling import AuditSample
from evalkit._files import save_workbook
from evalkit.privacy._cells import put
from evalkit.errors import DataError, DataWarning, Problem
from evalkit.provenance import LoadRecord, SourceFile, attach

__all__ = ["form", "load_audit", "FORM_VERSION", "SHEETS", "HEADER_ROW", "FIRST_DATA_ROW"]

FORM_VERSION = "1"
HEADER_ROW = 1
TEXT_ROW = 2
FIRST_DATA_ROW = 3
META_SHEET = "_meta"

SHEETS = i18n.by_language("audit_forms", "sheets")

#: Context columns of the review sheet: canonical name → header per language.
CONTEXT = i18n.by_key("audit_forms", "context")
COMMENT = i18n.one("audit_forms", "comment")

TEXTS = i18n.by_language("audit_forms", "texts")


# ----------------------------------------------------------------------------- writing
def form(
    sample: AuditSample,
    checklist: "str | Path | Checklist" = "ibic",
    path: "str | Path | None" = None,
    language: str = "sv",
    *,
    reviewer: str = "1",
    password: str | None = None,
) -> Path:
    """Write an audit form (.xlsx) for a sample.

    Parameters
    ----------
    sample : AuditSample
        From :func:`evalkit.audit.draw` (or ``sample.new_cases()`` after ``extend``).
    checklist : str, Path or Checklist
        ``"ibic"``, ``"genomforandeplan"``, ``"individuell_plan"`` or a TOML file.
    path : str or Path
        Where to write the workbook (written to a temporary file, then renamed).
    language : {"sv", "nb", "en"}
        Language of the sheets, questions and answers.
    reviewer : str
        Reviewer id stored in the form (for double review, write a second form
        with another id: the two forms are otherwise identical).
    password : str, optional
        Sheet protection password (legacy Excel hash, a guard against slips,
        not security). Without it the sheets are protected with no password.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from evalkit.audit import draw
    >>> frame = pd.DataFrame({"decision_id": [f"d{i}" for i in range(50)], "unit": ["Nord"] * 50})
    >>> out = form(draw(frame, 5, seed=1), "ibic", Path(tempfile.mkdtemp()) / "form.xlsx")
    >>> out.suffix
    '.xlsx'
    """
    from openpyxl import Workbook

    if path is None:
        raise DataError("give the path to write the form to, e.g. path='audit_form.xlsx'")
    if not isinstance(sample, AuditSample):
        raise DataError("sample must be an AuditSample from evalkit.audit.draw")
    cl = load_checklist(checklist)
    cl.check_language(language)
    rows = _form_rows(sample)
    _refuse_identifiers(rows)
    names = SHEETS[language]
    wb = Workbook()
    instructions = wb.active
    instructions.title = names["instructions"]
    review = wb.create_sheet(names["review"])
    lists = wb.create_sheet(names["lists"])
    meta = wb.create_sheet(META_SHEET)
    _write_lists(lists, language)
    headers = _write_review(review, rows, cl, language, names["lists"])
    _page_setup(review)
    _write_instructions(instructions, cl, language, names, reviewer, sample)
    _write_meta(meta, cl, language, reviewer, sample, headers, rows)
    lists.sheet_state = "hidden"
    meta.sheet_state = "hidden"
    for ws in (instructions, review):
        ws.protection.sheet = True
        if password:
            ws.protection.password = password
    lists.protection.sheet = True
    meta.protection.sheet = True
    wb.security.lockStructure = True
    wb.active = 1
    return save_workbook(wb, Path(path))


def _form_rows(sample: AuditSample) -> pd.DataFrame:
    f = sample.frame
    out = pd.DataFrame({"decision_id": f[sample.id_column].astype(str)})
    for col in ("unit", "decided_on", "service"):
        if col in f.columns:
            out[col] = f[col].to_numpy()
    return out.reset_index(drop=True)


def _refuse_identifiers(rows: pd.DataFrame) -> None:
    from evalkit.privacy import check_identifiers

    check_identifiers(rows.astype("string"), file="audit form (sample)")


def _write_lists(ws, language: str) -> None:
    for r, code in enumerate(ANSWER_CODES, start=1):
        put(ws, r, 1, ANSWERS[language][code])


def _write_review(ws, rows: pd.DataFrame, cl: Checklist, language: str, lists_name: str) -> list[str]:
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    context = list(rows.columns)
    headers = [*context, *cl.item_ids, "comment"]
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    answer_fill = PatternFill("solid", fgColor="FFF2CC")
    for c, name in enumerate(headers, start=1):
        label = CONTEXT[name][language] if name in CONTEXT else (COMMENT[language] if name == "comment" else name)
        cell = put(ws, HEADER_ROW, c, label)
        cell.font = bold
        if name in cl.item_ids:
            q = put(ws, TEXT_ROW, c, cl.items[cl.item_ids.index(name)].question(language))
            q.alignment = wrap
    ws.row_dimensions[TEXT_ROW].height = 110
    n = len(rows)
    last = FIRST_DATA_ROW + n - 1
    for i, rec in enumerate(rows.itertuples(index=False), start=FIRST_DATA_ROW):
        for c, name in enumerate(context, start=1):
            put(ws, i, c, _cell_value(getattr(rec, name)))
            if name == "decided_on":
                ws.cell(row=i, column=c).number_format = "yyyy-mm-dd"
        for c in range(len(context) + 1, len(headers) + 1):
            cell = ws.cell(row=i, column=c)
            cell.protection = Protection(locked=False)
            cell.fill = answer_fill
            if c == len(headers):
                cell.alignment = wrap
    first_item = get_column_letter(len(context) + 1)
    last_item = get_column_letter(len(context) + len(cl.items))
    labels = ", ".join(ANSWERS[language][c] for c in ANSWER_CODES)
    dv = DataValidation(
        type="list",
        formula1=f"'{lists_name}'!$A$1:$A${len(ANSWER_CODES)}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=i18n.text("audit_forms", "write_review", language),
        error=i18n.text("audit_forms", "write_review_2", language) + labels,
    )
    if n:
        dv.add(f"{first_item}{FIRST_DATA_ROW}:{last_item}{last}")
        ws.add_data_validation(dv)
    widths = {"decision_id": 16, "unit": 14, "decided_on": 13, "service": 18}
    for c, name in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths.get(name, 40 if name == "comment" else 14)
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=len(context) + 1)
    return headers


def _page_setup(ws) -> None:
    """Print the review sheet on A4 landscape, every column on one page width, with the header and question
    rows and the decision-id column repeated on every page (a reviewer reading a printout always sees which
    decision and which question a cell belongs to)."""
    from openpyxl.utils import get_column_letter

    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the sample needs
    ws.print_title_rows = f"{HEADER_ROW}:{TEXT_ROW}"
    ws.print_title_cols = "A:A"  # decision_id is the first column
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.center.text = "&P / &N"
    ws.print_area = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"


def _cell_value(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().date() if v == v.normalize() else v.to_pydatetime()
    if hasattr(v, "item"):
        return v.item()
    return v


def _write_instructions(ws, cl: Checklist, language: str, names: dict, reviewer: str, sample: AuditSample) -> None:
    from openpyxl.styles import Alignment, Font

    t = TEXTS[language]
    wrap = Alignment(wrap_text=True, vertical="top")
    lines = [
        (cl.title.get(language, cl.name), Font(bold=True, size=14)),
        (t["intro"].format(review=names["review"]), None),
        (t["no_edit"], None),
        (t["privacy"], Font(bold=True)),
        (f"{t['reviewer']}: {reviewer}   {t['checklist']}: {cl.name} {cl.version}   "
         f"{t['sample']}: {_digest_prefix(sample.manifest_sha256)}", None),
        ("", None),
        (t["answers"], Font(bold=True)),
    ]
    r = 1
    for text, font in lines:
        cell = put(ws, r, 1, text)
        cell.alignment = wrap
        if font:
            cell.font = font
        r += 1
    for code in ANSWER_CODES:
        put(ws, r, 1, ANSWERS[language][code]).font = Font(bold=True)
        put(ws, r, 2, ANSWER_DEFINITIONS[language][code]).alignment = wrap
        r += 1
    r += 1
    put(ws, r, 1, t["questions"]).font = Font(bold=True)
    r += 1
    for stage in cl.stages:
        put(ws, r, 1, stage.label(language)).font = Font(bold=True)
        r += 1
        for item in (i for i in cl.items if i.stage == stage.id):
            put(ws, r, 1, item.id)
            put(ws, r, 2, item.question(language)).alignment = wrap
            r += 1
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 90


def _digest_prefix(digest: str) -> str:
    """The first 12 hex digits to show in a visible cell — fewer if those happen to read as an identity number
    (a 10-digit run with a valid date and check digit, ~1 digest in 10⁴), which the gate would refuse."""
    from evalkit.privacy import holds_identifier

    return next((digest[:n] for n in range(12, 7, -1) if not holds_identifier(digest[:n])), digest[:8])


def _write_meta(ws, cl: Checklist, language: str, reviewer: str, sample: AuditSample, headers, rows) -> None:
    from evalkit import __version__

    entries = {
        "form_version": FORM_VERSION,
        "evalkit_version": __version__,
        "checklist": cl.name,
        "checklist_version": cl.version,
        "checklist_sha256": cl.sha256,
        "language": language,
        "reviewer": str(reviewer),
        "manifest_sha256": sample.manifest_sha256,
        "id_column": sample.id_column,
        "columns": json.dumps(headers),
        "rows": str(len(rows)),
        "rounds": json.dumps(list(sample.rounds) if sample.rounds else None),
    }
    for r, (k, v) in enumerate(entries.items(), start=1):
        put(ws, r, 1, k)
        put(ws, r, 2, v)
    put(ws, 1, 4, "ids")
    put(ws, 1, 5, "context")
    context = [c for c in rows.columns if c != "decision_id"]
    ids = [str(i) for i in rows["decision_id"]]
    contexts = []
    for r, (i, rec) in enumerate(zip(ids, rows.itertuples(index=False)), start=2):
        put(ws, r, 4, i)
        values = json.dumps({c: _context_text(_cell_value(getattr(rec, c))) for c in context}, ensure_ascii=False)
        put(ws, r, 5, values)
        contexts.append(values)
    put(ws, len(entries) + 1, 1, "seal_sha256")
    put(ws, len(entries) + 1, 2, _seal({k: str(v) for k, v in entries.items()}, ids, contexts))


def _context_text(value) -> str:
    """A context cell as text, the same whether written (date, str, number) or read back (datetime)."""
    from evalkit.io._sheet import cell_text

    return cell_text(value)


def _seal(entries: dict, ids: list[str], contexts: list[str | None]) -> str:
    """sha256 over the meta sheet as issued: every key and value, the ids and each row's context.

    Not a security measure (anyone can recompute it); it tells an edited hidden sheet from an intact one.
    """
    import hashlib

    payload = json.dumps({"meta": {k: v for k, v in sorted(entries.items()) if k != "seal_sha256"},
                          "ids": ids, "context": contexts}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()




# ----------------------------------------------------------------------------- reading
def load_audit(
    path: "str | Path",
    sample: AuditSample | None = None,
    *,
    checklist: "str | Path | Checklist | None" = None,
    allow_unanswered: bool = False,
) -> pd.DataFrame:
    """Read a filled audit form and re-validate it.

    Parameters
    ----------
    path : str or Path
        A form written by :func:`form` and filled in (Excel, LibreOffice,
        or a script). The file is only read, never saved.
    sample : AuditSample, optional
        The sample the form was made for; checks that the form belongs to it
        (or to a sample it extends) and that every id is in it.
    checklist : str, Path or Checklist, optional
        Needed only for a custom checklist; built-in ones are found by the
        name stored in the form. Its sha256 must match the form's.
    allow_unanswered : bool
        Accept empty answer cells (returned as missing) instead of refusing.

    Returns
    -------
    DataFrame
        One row per (decision, item): ``decision_id, reviewer, item, stage,
        answer`` (code: yes/partly/no/na), ``answer_label, comment, form_row``.
        ``attrs`` hold the form's meta data and the load record.

    Raises
    ------
    DataError
        Listing every problem with sheet and cell: answers outside the list,
        unanswered items, rows added or removed, ids changed, headers
        changed, a form from another sample or checklist.
    IdentifierError
        A personal identity number anywhere in the workbook: comments, answer
        and header cells, the reviewer field, any sheet, sheet names, cell
        comments, document properties, defined names — and the file name.
    """
    path = Path(path)
    wb = _open(path)
    _gate_form(path)
    try:
        meta, ids = _read_meta(wb, path)
        cl = _checklist_for(meta, checklist, path)
        names = SHEETS.get(meta["language"], SHEETS["en"])
        if names["review"] not in wb.sheetnames:
            raise DataError(f"{path.name}: the sheet '{names['review']}' is missing",
                            [Problem("sheet missing", file=str(path), sheet=names["review"])])
        grid = [list(r) for r in wb[names["review"]].iter_rows(values_only=True)]
    finally:
        wb.close()
    if sample is not None:
        _check_sample(meta, ids, sample, path)
    frame, problems = _parse_review(grid, meta, ids, cl, path, names["review"], allow_unanswered)
    if problems:
        raise DataError(f"{path.name}: the audit form has {len(problems)} problem(s); fix them in the form "
                        "(or send it back to the reviewer) and read it again", problems)
    meta.pop("_contexts", None)
    frame.attrs["evalkit_audit_meta"] = meta
    record = LoadRecord(table="audit", source=SourceFile.from_path(path, "xlsx", sheet=names["review"],
                                                                   header_row=HEADER_ROW),
                        rows_read=len(ids), rows_kept=len(ids),
                        notes=[f"checklist {cl.name} {cl.version}, reviewer {meta['reviewer']}, "
                               f"{len(cl.items)} items per decision"])
    return attach(frame, record)


def _open(path: Path):
    from openpyxl import load_workbook

    from evalkit.privacy import check_path, safe_path

    check_path(path, what="The audit form")
    if not path.is_file():
        raise DataError(f"audit form not found: {safe_path(path)}")
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path.name} is not an .xlsx workbook",
                        [Problem("not a zip/xlsx file (was it saved as .xls or .ods?)", file=str(path))])
    from evalkit.io._sheet import check_archive

    check_archive(path, what="audit form")   # a zip bomb is refused before openpyxl inflates it
    with warnings.catch_warnings():
        # Excel/LibreOffice store cross-sheet list validations in an extension openpyxl cannot read;
        # harmless here because a returned form is only read, never saved.
        warnings.filterwarnings("ignore", message=".*extension is not supported.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*Workbook contains no default style.*", category=UserWarning)
        try:
            return load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for broken files
            raise DataError(f"{path.name} cannot be opened as a workbook ({type(exc).__name__}: {exc})",
                            [Problem("unreadable workbook", file=str(path))]) from None


def _read_meta(wb, path: Path) -> tuple[dict, list[str]]:
    if META_SHEET not in wb.sheetnames:
        raise DataError(f"{path.name} is not an evalkit audit form: it has no '{META_SHEET}' sheet",
                        [Problem("sheet missing", file=str(path), sheet=META_SHEET)])
    meta, ids, contexts = {}, [], []
    for r, row in enumerate(wb[META_SHEET].iter_rows(values_only=True), start=1):
        row = list(row) + [None] * 5
        if row[0] is not None:
            meta[str(row[0])] = "" if row[1] is None else str(row[1])
        if r >= 2 and row[3] is not None:
            ids.append(str(row[3]))
            contexts.append(None if row[4] is None else str(row[4]))
    needed = ("form_version", "checklist", "checklist_sha256", "language", "reviewer", "manifest_sha256",
              "columns", "rows")
    missing = [k for k in needed if k not in meta]
    where = [Problem("edited hidden sheet", file=str(path), sheet=META_SHEET)]
    if missing:
        raise DataError(f"{path.name}: the form's '{META_SHEET}' sheet lacks the key(s) {', '.join(missing)}",
                        [Problem(f"missing key {k}", file=str(path), sheet=META_SHEET) for k in missing])
    if meta["form_version"] != FORM_VERSION:
        raise DataError(f"{path.name}: form version {_shown(meta['form_version'])} (sheet '{META_SHEET}') is not "
                        f"supported (this evalkit reads version {FORM_VERSION})", where)
    if str(len(ids)) != meta["rows"]:
        raise DataError(f"{path.name}: the '{META_SHEET}' sheet was edited ({len(ids)} ids for "
                        f"{_shown(meta['rows'])} rows); use the form as issued", where)
    if "seal_sha256" in meta:
        if _seal(meta, ids, contexts) != meta["seal_sha256"]:
            raise DataError(f"{path.name}: the hidden '{META_SHEET}' sheet was edited (its checksum no longer "
                            "matches: reviewer, checklist, sample, columns or ids changed); use the form as issued",
                            where)
        meta["_contexts"] = dict(zip(ids, contexts))
    else:
        warnings.warn(DataWarning(
            f"{path.name}: the form has no checksum of its hidden '{META_SHEET}' sheet (written by an older "
            "evalkit), so edits to that sheet and to the context cells cannot be detected; check it by eye or "
            "issue a new form"), stacklevel=3)
    _check_meta_values(meta, path)
    return meta, ids


def _check_meta_values(meta: dict, path: Path) -> None:
    """The values the reader relies on, each refused naming its key rather than failing deep inside."""
    def bad(key: str, why: str):
        return DataError(f"{path.name}: the '{META_SHEET}' sheet's key '{key}' {why}; use the form as issued",
                         [Problem(f"bad value of key {key}", file=str(path), sheet=META_SHEET)])

    if meta["language"] not in SHEETS:
        raise bad("language", f"is {_shown(meta['language'])}, not one of {', '.join(SHEETS)}")
    try:
        columns = json.loads(meta["columns"])
    except ValueError:
        raise bad("columns", "is not a JSON list") from None
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) or "comment" not in columns \
            or not columns or columns[0] != "decision_id":
        raise bad("columns", "is not the list of the form's columns (decision_id … comment)")


def _checklist_for(meta: dict, checklist, path: Path) -> Checklist:
    from evalkit.audit.checklists import BUILTIN

    if checklist is None:
        if meta["checklist"] not in BUILTIN:
            raise DataError(f"{path.name} was made with the custom checklist {_shown(meta['checklist'])}; "
                            "pass checklist=<the same TOML file> to read it")
        checklist = meta["checklist"]
    cl = load_checklist(checklist)
    unknown = [h for h in json.loads(meta["columns"]) if h not in CONTEXT and h != "comment" and h not in cl.item_ids]
    missing = [i for i in cl.item_ids if i not in json.loads(meta["columns"])]
    if unknown or missing:
        raise DataError(f"{path.name}: the '{META_SHEET}' sheet's key 'columns' does not match checklist {cl.name} "
                        f"(unknown: {[_shown(u) for u in unknown][:5]}, missing: {missing[:5]}); use the form as issued",
                        [Problem("columns do not match the checklist", file=str(path), sheet=META_SHEET)])
    if cl.sha256 != meta["checklist_sha256"]:
        raise DataError(
            f"{path.name} was made with checklist {meta['checklist']} {meta.get('checklist_version', '')} "
            f"whose content differs from {cl.name} {cl.version} given now (sha256 "
            f"{meta['checklist_sha256'][:12]}… vs {cl.sha256[:12]}…); read it with the checklist used for the form",
            [Problem("checklist mismatch", file=str(path), sheet=META_SHEET)])
    return cl


def _check_sample(meta: dict, ids: list[str], sample: AuditSample, path: Path) -> None:
    if meta["manifest_sha256"] not in sample.accepted_manifests:
        raise DataError(
            f"{path.name} belongs to another sample (manifest {meta['manifest_sha256'][:12]}…; this sample is "
            f"{sample.manifest_sha256[:12]}…). Read it with the sample it was made for.",
            [Problem("sample mismatch", file=str(path), sheet=META_SHEET)])
    known = set(sample.ids)
    stray = [i for i in ids if i not in known]
    if stray:
        raise DataError(f"{path.name}: {len(stray)} decision id(s) of the form are not in the sample, "
                        f"e.g. {_shown(stray[0])}", [Problem("id not in sample", file=str(path), sheet=META_SHEET)])


def _parse_review(grid, meta, ids, cl: Checklist, path: Path, sheet: str, allow_unanswered: bool):
    from openpyxl.utils import get_column_letter

    language = meta["language"]
    headers = json.loads(meta["columns"])
    problems: list[Problem] = []
    f = str(path)

    def problem(message, row=None, col=None):
        column = None if col is None else f"{get_column_letter(col)} ({headers[col - 1]})" \
            if col <= len(headers) else get_column_letter(col)
        problems.append(Problem(message, file=f, sheet=sheet, row=row, column=column))

    header_row = grid[HEADER_ROW - 1] if len(grid) >= HEADER_ROW else []
    for c, name in enumerate(headers, start=1):
        expected = CONTEXT[name][language] if name in CONTEXT else (COMMENT[language] if name == "comment" else name)
        found = header_row[c - 1] if c - 1 < len(header_row) else None
        if str(found or "").strip() != expected:
            problem(f"cell {get_column_letter(c)}{HEADER_ROW}: header should be {expected!r}, found {_shown(found)}",
                    HEADER_ROW, c)
    if problems:
        return None, problems
    text_row = grid[TEXT_ROW - 1] if len(grid) >= TEXT_ROW else []
    for c, name in enumerate(headers, start=1):
        if name in cl.item_ids:
            expected = cl.items[cl.item_ids.index(name)].question(language)
            found = text_row[c - 1] if c - 1 < len(text_row) else None
            if str(found or "").strip() != expected.strip():
                problem(f"cell {get_column_letter(c)}{TEXT_ROW}: the question text of item {name} was edited "
                        "(answers would no longer match the question asked)", TEXT_ROW, c)
    data = grid[FIRST_DATA_ROW - 1:]
    while data and all(_blank(v) for v in data[-1]):
        data.pop()
    item_cols = {h: c for c, h in enumerate(headers, start=1) if h in cl.item_ids}
    comment_col = headers.index("comment") + 1
    labels = {ANSWERS[language][code].casefold(): code for code in ANSWER_CODES}
    allowed = ", ".join(ANSWERS[language][c] for c in ANSWER_CODES)
    found_ids = [None if _blank(r[0]) else str(r[0]).strip() for r in data]
    _check_rows(found_ids, ids, problem)
    records = []
    for offset, row in enumerate(data):
        r = FIRST_DATA_ROW + offset
        row = list(row) + [None] * (len(headers) - len(row))
        decision = found_ids[offset]
        if decision is None or decision not in ids:
            continue
        extra = [c for c in range(len(headers) + 1, len(row) + 1) if not _blank(row[c - 1])]
        for c in extra:
            problem(f"cell {get_column_letter(c)}{r}: something was written outside the form", r, c)
        _check_context(meta, headers, row, decision, r, problem)
        comment = None if _blank(row[comment_col - 1]) else str(row[comment_col - 1]).strip()
        for item in cl.items:
            c = item_cols[item.id]
            raw = row[c - 1]
            cell = f"{get_column_letter(c)}{r}"
            if _blank(raw):
                if not allow_unanswered:
                    problem(f"cell {cell}: item {item.id} is not answered for decision {decision}", r, c)
                code, label = None, None
            else:
                label = str(raw).strip()
                code = labels.get(label.casefold())
                if code is None:
                    problem(f"cell {cell}: {_shown(label)} is not one of {allowed}", r, c)
            records.append({"decision_id": decision, "reviewer": meta["reviewer"], "item": item.id,
                            "stage": item.stage, "answer": code, "answer_label": label, "comment": comment,
                            "form_row": r})
    frame = pd.DataFrame(records, columns=["decision_id", "reviewer", "item", "stage", "answer", "answer_label",
                                           "comment", "form_row"])
    frame = frame.astype({"decision_id": "string", "reviewer": "string", "item": "string", "stage": "string",
                          "answer": "string", "answer_label": "string", "comment": "string",
                          "form_row": "int64"})
    return frame, problems


def _check_context(meta: dict, headers: list[str], row: list, decision: str, r: int, problem) -> None:
    """The row's unit/date/service must be those issued for its decision id (whole rows may move, cells not)."""
    from openpyxl.utils import get_column_letter

    issued = (meta.get("_contexts") or {}).get(decision)
    if not issued:
        return
    try:
        expected = json.loads(issued)
    except ValueError:
        return   # the seal covers this text; an unreadable one was refused there
    wrong = [(c, name) for c, name in enumerate(headers, start=1) if name in expected
             and _context_text(row[c - 1]) != expected[name]]
    if not wrong:
        return
    current = {name: _context_text(row[c - 1]) for c, name in enumerate(headers, start=1) if name in expected}
    owner = next((i for i, text in meta["_contexts"].items() if i != decision and text
                  and _same_context(text, current)), None)
    if owner is not None:
        problem(f"cell A{r}: decision id {_shown(decision)} does not belong to this row (its unit, date and "
                f"service are those issued for {_shown(owner)}): ids swapped or retyped?", r, 1)
        return
    for c, name in wrong:
        problem(f"cell {get_column_letter(c)}{r}: the {name} of decision {_shown(decision)} was edited "
                f"(issued {_shown(expected[name])}, now {_shown(_context_text(row[c - 1]))}); context cells "
                "cannot be changed", r, c)


def _same_context(issued: str, current: dict) -> bool:
    try:
        return json.loads(issued) == current
    except ValueError:
        return False


def _check_rows(found: list, expected: list[str], problem) -> None:
    """Rows added, removed, ids changed; a pure re-ordering of the same ids is accepted."""
    from collections import Counter

    counts = Counter(i for i in found if i is not None)
    if sorted(counts.elements()) == sorted(expected) and len(found) == len(expected):
        return
    exp_set = set(expected)
    for offset, i in enumerate(found):
        r = FIRST_DATA_ROW + offset
        if i is None:
            problem(f"cell A{r}: the decision id is empty (row added, or id deleted)", r, 1)
        elif i not in exp_set:
            was = expected[offset] if offset < len(expected) else None
            detail = f" (the form had {_shown(was)} here)" if was and was not in counts else " (row added?)"
            problem(f"cell A{r}: decision id {_shown(i)} is not one of the form's decisions{detail}", r, 1)
        elif counts[i] > 1:
            problem(f"cell A{r}: decision id {_shown(i)} appears {counts[i]} times (row copied?)", r, 1)
    missing = [i for i in expected if i not in counts]
    if missing:
        shown = ", ".join(_shown(m)[1:-1] for m in missing[:10]) + (" …" if len(missing) > 10 else "")
        problem(f"{len(missing)} decision(s) of the form are missing (rows deleted or ids changed): {shown}")


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _shown(value) -> str:
    """A cell value quoted in a message, digits of a possible identity number masked."""
    from evalkit.privacy import safe_value

    return safe_value(repr(value))


def _gate_form(path: Path) -> None:
    """Refuse a form holding an identity number anywhere a reviewer can type or Excel stores text.

    The whole workbook is searched (:func:`evalkit.privacy.Gate`): every sheet's
    cells — answers, headers, comments, the reviewer field of the meta sheet —,
    sheet names, cell comments, document properties, defined names, formulas.
    """
    from openpyxl import load_workbook

    from evalkit.privacy._gate import _sheet_frame, gate_workbook

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        wb = load_workbook(path, data_only=True)   # normal mode: read-only mode skips comments
    try:
        meta = wb[META_SHEET] if META_SHEET in wb.sheetnames else None
        rows = [list(r) for r in meta.iter_rows(values_only=True)] if meta is not None else []
        digests = {v for r in rows for v in r if isinstance(v, str) and _HEX_DIGEST.fullmatch(v)}
        gate = _FormGate(path, digests)
        gate_workbook(gate, path, wb, skip_sheet=META_SHEET if meta is not None else None)
        if meta is not None:
            # the meta sheet without its hex digests (a sha256 holds a valid-looking number ~1 in 10⁴ forms)
            kept = [[None if isinstance(v, str) and v in digests else v for v in r] for r in rows]
            frame = _sheet_frame(kept)
            if frame is not None:
                gate.frame(frame, sheet=META_SHEET)
    finally:
        wb.close()
    gate.refuse_if_any("The audit form")


_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def _form_gate_class():
    from evalkit.privacy import Gate

    class FormGate(Gate):
        """The gate, blind only to strings that are exactly a hex digest of the form's hidden meta sheet.

        The workbook's shared-string table holds those digests too; every other string, and every
        user-visible cell (searched as tables, not through ``values``), is searched as usual.
        """

        def __init__(self, file, digests: set[str]):
            super().__init__(file)
            self.digests = digests

        def values(self, items, sheet=None):
            super().values([(place, v) for place, v in items if not (isinstance(v, str) and v in self.digests)],
                           sheet)

    return FormGate


def _FormGate(path: Path, digests: set[str]):
    return _form_gate_class()(path, digests)
