"""Governing documents (styrdokument) as coding sources: ``ek.load_documents(paths) -> Documents``.

Policies, manuals, routines and committee decisions are read into the same source table as coded
interviews (:data:`evalkit.io.codings.SOURCE_COLUMNS`), with page and paragraph anchors, so that they
can be coded with the interviews' codebook (:meth:`Documents.to_codings`, then ``ek.write_qdpx``) and a
passage can be cited as "Rutin för handläggning enligt IBIC, s. 3".

==========  =================================================================================================
input       read as
==========  =================================================================================================
``.pdf``    the text layer, page by page (pypdf); paragraphs from the line spacing (a gap wider than 1.25 ×
            the page's usual line gap, or a change of font size, starts a paragraph); a line-end hyphen
            inside a word is joined
``.docx``   body paragraphs and table cells in order (python-docx); headings by style ("Heading n",
            "Rubrik n", "Title"); pages from Word's rendered page breaks (``w:lastRenderedPageBreak``) when
            the file has them, otherwise from explicit page breaks (``w:br w:type="page"`` and
            "page break before"); headers, footers, footnotes and comments are not read
``.odt``    ``content.xml`` and ``meta.xml`` read with defusedxml (odfpy's last release is from 2020, and
            only the text is needed): ``text:h``/``text:p`` in order, lists and tables included; pages from
            LibreOffice's ``text:soft-page-break`` when present, else from paragraph styles with
            ``fo:break-before="page"``
``.txt``    UTF-8 (a BOM allowed); a form feed starts a page, a blank line a paragraph
``.md``
==========  =================================================================================================

The text layout
---------------
A document's ``text`` holds one paragraph per line (``\\n`` between paragraphs; the lines of a PDF
paragraph are joined with a space) and a form feed ``\\f`` between pages, as ``pdftotext`` does. So the
page of any offset is ``text.count("\\f", 0, offset) + 1`` — also after a round trip through a QDA tool,
which keeps the text it was given (:func:`page_at`, :func:`segment_anchors`). The :attr:`Documents.anchors`
table gives each paragraph's page, number, nearest heading and character span.

Metadata
--------
Each document has a type (``policy``, ``manual``, ``routine``, ``decision``, ``other``; Swedish and
Norwegian names are accepted: riktlinje/retningslinje, handbok/håndbok, rutin/rutine,
nämndbeslut/vedtak …), a date, a date it applies from (``in_force``, default the date), an issuer and a
title. They come from ``meta`` (a dict or a TOML file with one table per file name, or per file name
without its suffix) and, for what ``meta`` leaves out, from the document itself: PDF ``/Title``,
``/Author`` (issuer) and ``/CreationDate``; DOCX core properties ``title``, ``author`` (issuer),
``category`` (type) and ``created``; ODT ``dc:title``, ``meta:initial-creator``/``dc:creator`` and
``meta:creation-date``/``dc:date``.

Privacy gate
------------
Every paragraph, every metadata value (from the file and from ``meta``) and every file name passes
through :class:`evalkit.privacy.Gate` (the detector of :func:`evalkit.privacy.scan_identifiers`, with
Unicode and spacing normalised), file names first; a personal identity number makes the whole load an
:class:`~evalkit.errors.IdentifierError` naming the document, the page and paragraph (or metadata field)
and the kind of number, never the number.

Limits
------
:class:`DocumentLimits`: a file larger than 200 MiB, a PDF with more than 5 000 pages, a document of more
than 20 million characters, or a DOCX/ODT whose XML part inflates beyond 256 MiB or 200 times its
compressed size is refused with a :class:`~evalkit.errors.DataError` before it is read further.

Not read: scanned PDFs without a text layer (OCR is out of scope: such a PDF is a DataError that says
so; run OCR first, e.g. with OCRmyPDF, and load the result); encrypted PDFs that need a password (a PDF
protected only against printing or editing is read; AES encryption needs the optional ``cryptography``
package); pictures.
"""
from __future__ import annotations

import html
import re
import statistics
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit._dates import parse_user_date
from evalkit._files import read_toml
from evalkit.errors import DataError, DataWarning, EvalkitError, IdentifierError, Problem
from evalkit.io.codings import (ATTRIBUTE_COLUMNS, SOURCE_COLUMNS, Codings, ImportReport, finish_tables,
                                stable_guid)
from evalkit.privacy import KINDS, WITHHELD_FILE, Gate, safe_path, safe_value
from evalkit.provenance import LoadRecord, SourceFile

__all__ = ["load_documents", "Documents", "DocumentLimits", "DOCUMENT_TYPES", "DOCUMENT_COLUMNS",
           "ANCHOR_COLUMNS", "SUFFIXES", "page_at", "segment_anchors", "document_type"]

_MIB = 1024 * 1024
PAGE_BREAK = "\f"
_STARTS = re.compile(r"[\n\f](?![\n\f])")
SUFFIXES = (".pdf", ".docx", ".odt", ".txt", ".md")
DOCUMENT_TYPES = ("policy", "manual", "routine", "decision", "other")
_TYPE_ALIASES = {
    "policy": ("policy", "riktlinje", "riktlinjer", "retningslinje", "retningslinjer", "styrdokument",
               "policydokument", "guideline"),
    "manual": ("manual", "handbok", "håndbok", "handbook", "lathund", "veileder", "vägledning"),
    "routine": ("routine", "rutin", "rutine", "rutinbeskrivning", "prosedyre", "procedure", "instruktion"),
    "decision": ("decision", "committee decision", "nämndbeslut", "beslut", "protokoll", "protokollsutdrag",
                 "vedtak", "politisk vedtak", "utvalgsvedtak", "kommunestyrevedtak", "delegationsordning"),
    "other": ("other", "övrigt", "annet"),
}
DOCUMENT_COLUMNS = ("source_guid", "name", "file", "format", "doc_type", "date", "in_force", "issuer", "title",
                    "pages", "paragraphs", "chars")
ANCHOR_COLUMNS = ("source_guid", "page", "paragraph", "heading", "is_heading", "start", "end")
_META_KEYS = ("type", "date", "in_force", "issuer", "title")


@dataclass(frozen=True)
class DocumentLimits:
    """What reading one governing document may take (a huge or hostile file is refused early).

    Attributes
    ----------
    max_file_bytes : int, default 200 MiB
    max_pages : int, default 5 000
        Pages of a PDF (checked before any page is extracted).
    max_chars : int, default 20 000 000
        Characters of extracted text per document.
    max_xml_bytes : int, default 256 MiB
        Uncompressed size of the XML part of a DOCX/ODT (``word/document.xml``, ``content.xml``).
    max_ratio : float, default 200
        Uncompressed / compressed size of that part (zip bombs inflate 1 000 times and more).
    """

    max_file_bytes: int = 200 * _MIB
    max_pages: int = 5_000
    max_chars: int = 20_000_000
    max_xml_bytes: int = 256 * _MIB
    max_ratio: float = 200.0

    @classmethod
    def of(cls, limits: "DocumentLimits | dict | None") -> "DocumentLimits":
        if limits is None:
            return cls()
        if isinstance(limits, cls):
            return limits
        unknown = sorted(set(limits) - set(cls.__dataclass_fields__))
        if unknown:
            raise DataError(f"limits: unknown key(s) {', '.join(unknown)}; allowed: "
                            + ", ".join(cls.__dataclass_fields__))
        return cls(**limits)


# ----------------------------------------------------------------------------- result
@dataclass
class Documents:
    """Governing documents as coding sources with page and paragraph anchors.

    Attributes
    ----------
    sources : DataFrame
        :data:`~evalkit.io.codings.SOURCE_COLUMNS` (``source_guid, name, kind, text, created, creator``):
        ``kind`` is ``"pdf"`` for PDFs (written as a REFI-QDA ``PDFSource`` with a plain-text
        representation) and ``"text"`` otherwise; ``text`` follows the layout in the module notes.
    documents : DataFrame
        :data:`DOCUMENT_COLUMNS`: one row per document with its type, date, ``in_force``, issuer, title and
        counts of pages, paragraphs and characters.
    anchors : DataFrame
        :data:`ANCHOR_COLUMNS`: one row per paragraph: 1-based ``page`` and ``paragraph`` (numbered
        through the document), the nearest ``heading`` at or above it, ``is_heading``, and ``start``/
        ``end`` (code points on ``sources.text``, end-exclusive).
    records : list of LoadRecord
        One per file read (paragraphs read and kept), for the provenance appendix.
    notes : list of str
    """

    sources: pd.DataFrame
    documents: pd.DataFrame
    anchors: pd.DataFrame
    records: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    name: str = "documents"

    def to_frame(self) -> pd.DataFrame:
        return self.documents.copy()

    def text(self, name_or_guid: str) -> str:
        """The extracted text of one document (by file name, name or GUID)."""
        return str(self.sources.loc[self.sources["source_guid"] == self._guid(name_or_guid), "text"].iloc[0])

    def _guid(self, name_or_guid: str) -> str:
        d = self.documents
        hit = d[(d["file"] == name_or_guid) | (d["name"] == name_or_guid) | (d["source_guid"] == name_or_guid)]
        if hit.empty:
            raise DataError(f"no document {name_or_guid!r}; documents: {', '.join(d['file'])}")
        return str(hit["source_guid"].iloc[0])

    def locate(self, name_or_guid: str, offset: int) -> dict:
        """Page, paragraph and heading of a character offset in a document."""
        guid = self._guid(name_or_guid)
        a = self.anchors[self.anchors["source_guid"] == guid]
        row = a[(a["start"] <= offset)].tail(1)
        page = page_at(self.text(guid), offset)
        if row.empty:
            return {"page": page, "paragraph": None, "heading": None}
        r = row.iloc[0]
        return {"page": page, "paragraph": int(r["paragraph"]), "heading": r["heading"]}

    def attributes(self) -> pd.DataFrame:
        """The metadata as REFI-QDA source variables (``owner_guid, owner_kind, variable, type, value``)."""
        rows = []
        for d in self.documents.to_dict("records"):
            for var, value, vtype in (("document_type", d["doc_type"], "Text"), ("date", d["date"], "Date"),
                                      ("in_force", d["in_force"], "Date"), ("issuer", d["issuer"], "Text"),
                                      ("title", d["title"], "Text"), ("file", d["file"], "Text")):
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    continue
                text = value.date().isoformat() if isinstance(value, pd.Timestamp) else str(value)
                rows.append({"owner_guid": d["source_guid"], "owner_kind": "source", "variable": var,
                             "type": vtype, "value": text})
        return pd.DataFrame(rows, columns=list(ATTRIBUTE_COLUMNS))

    def to_codings(self, codebook=None, *, segments: pd.DataFrame | None = None) -> Codings:
        """The documents as a :class:`~evalkit.io.codings.Codings` (to write with ``ek.write_qdpx``).

        Parameters
        ----------
        codebook : Codings or DataFrame, optional
            The interviews' codings (its ``codes`` are taken) or a code table
            (:data:`~evalkit.io.codings.CODE_COLUMNS`), so that documents are coded with the same codebook.
        segments : DataFrame, optional
            Segments already made (e.g. confirmed mention suggestions), in
            :data:`~evalkit.io.codings.SEGMENT_COLUMNS`.
        """
        codes = getattr(codebook, "codes", codebook)
        codes = codes.copy() if isinstance(codes, pd.DataFrame) else pd.DataFrame(
            columns=["code_guid", "name", "parent_guid", "is_codable", "color", "description"])
        report = ImportReport("governing documents", origin="evalkit.load_documents",
                              notes=list(self.notes))
        return finish_tables(sources=self.sources, codes=codes, segments=segments if segments is not None else [],
                             attributes=self.attributes(), report=report, path=None, fmt="documents",
                             rows_read=0 if segments is None else len(segments), name=self.name, gated=True)

    def summary(self) -> str:
        d = self.documents
        lines = [f"{len(d)} governing document(s), {int(d['pages'].fillna(0).sum())} pages, "
                 f"{int(d['paragraphs'].sum())} paragraphs"]
        for r in d.sort_values("date").to_dict("records"):
            date = r["date"].date().isoformat() if isinstance(r["date"], pd.Timestamp) else "no date"
            lines.append(f"  {date}  {r['doc_type']:<8} {r['title'] or r['file']} ({r['file']}, "
                         f"{r['pages'] if pd.notna(r['pages']) else '–'} p.)")
        return "\n".join(lines + list(self.notes))

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>" + self.documents.drop(columns=["source_guid"]).to_html()


def page_at(text: str, offset: int) -> int:
    """The 1-based page of a character offset in a document's text (pages are separated by form feeds).

    >>> page_at("first page\\fsecond page", 12)
    2
    """
    return text.count(PAGE_BREAK, 0, max(int(offset), 0)) + 1


def segment_anchors(codings) -> pd.DataFrame:
    """Each segment of a Codings with the page (and paragraph) it starts on.

    Works on any :class:`~evalkit.io.codings.Codings` — a project read back with ``ek.load_codings`` after
    documents were coded in a QDA tool — since pages are form feeds in the text and paragraphs are lines.

    Returns
    -------
    DataFrame
        The segments with ``page`` and ``paragraph`` added (missing where the segment has no offsets or
        its source no text); a ``PDFSelection`` rectangle's own page (``report.pdf_selections``) is used
        where the segment came from one.
    """
    texts = dict(zip(codings.sources["source_guid"], codings.sources["text"]))
    pages, paragraphs = [], []
    for s in codings.segments.to_dict("records"):
        text, start = texts.get(s["source_guid"]), s["start"]
        if not isinstance(text, str) or start is None or pd.isna(start):
            pages.append(pd.NA)
            paragraphs.append(pd.NA)
            continue
        pages.append(page_at(text, int(start)))
        # a paragraph starts after each separator that is not followed by another (a page without text
        # leaves two form feeds in a row)
        paragraphs.append(len(_STARTS.findall(text, 0, int(start))) + 1)
    out = codings.segments.assign(page=pd.array(pages, dtype="Int64"), paragraph=pd.array(paragraphs, dtype="Int64"))
    rect = getattr(codings.report, "pdf_selections", None)
    if rect is not None and len(rect):
        by_sel = dict(zip(rect["selection_guid"], rect["page"]))
        # REFI-QDA PDFSelection pages are 0-based (QualCoder and MAXQDA count from 0); ours are 1-based
        own = out["selection_guid"].map(lambda g: by_sel.get(g))
        out["page"] = out["page"].where(own.isna(), own.map(lambda p: None if p is None or pd.isna(p) else int(p) + 1)
                                        ).astype("Int64")
    return out


def document_type(value: str | None, *, file: str | None = None) -> str | None:
    """The canonical document type of a type name in any of the accepted spellings (None stays None).

    >>> document_type("Nämndbeslut"), document_type("rutine")
    ('decision', 'routine')
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    low = str(value).strip().lower()
    for canonical, names in _TYPE_ALIASES.items():
        if low in names:
            return canonical
    raise DataError(f"document type {safe_value(value)!r} is not known; use one of {', '.join(DOCUMENT_TYPES)} "
                    "(or riktlinje, handbok, rutin, nämndbeslut, retningslinje, håndbok, rutine, vedtak)",
                    [Problem(f"unknown document type {safe_value(value)!r}", file)])


# ----------------------------------------------------------------------------- extraction
@dataclass
class _Para:
    text: str
    heading: bool = False


@dataclass
class _Extracted:
    pages: list          # list of pages, each a list of _Para
    meta: dict           # title, date, issuer, type found in the file
    fmt: str
    notes: list = field(default_factory=list)


def _clean(text: str) -> str:
    # one paragraph is one line: inner white space (line breaks, tabs, control characters) becomes a space
    return re.sub(r"[\s\x00-\x1f\x7f]+", " ", text).strip()


def _read_pdf(path: Path, limits: DocumentLimits) -> _Extracted:
    import pypdf

    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:  # a PDF protected only against editing or printing opens with the empty user password
                ok = reader.decrypt("")
            except pypdf.errors.DependencyError:
                raise DataError(f"{path.name}: the PDF is encrypted with AES, which pypdf decrypts only with the "
                                "'cryptography' package (pip install cryptography); install it or save an "
                                "unprotected copy", [Problem("AES-encrypted PDF", str(path))]) from None
            except Exception:  # noqa: BLE001 - pypdf raises many kinds for a wrong or broken key
                ok = 0
            if not ok:
                raise DataError(f"{path.name}: the PDF is encrypted and needs a password; save an unprotected "
                                "copy (or print it to PDF) and load that", [Problem("encrypted PDF", str(path))])
        n = len(reader.pages)
        if n > limits.max_pages:
            raise DataError(f"{path.name}: {n} pages, more than the limit of {limits.max_pages} "
                            "(DocumentLimits.max_pages)", [Problem("too many pages", str(path))])
        pages, chars = [], 0
        for page in reader.pages:
            paras = _pdf_page(page)
            chars += sum(len(p.text) for p in paras)
            if chars > limits.max_chars:
                raise DataError(f"{path.name}: more than {limits.max_chars} characters of text "
                                "(DocumentLimits.max_chars)", [Problem("too much text", str(path))])
            pages.append(paras)
        info = reader.metadata or {}
        meta = {"title": _str(info.get("/Title")), "issuer": _str(info.get("/Author")),
                "date": _pdf_date(info.get("/CreationDate")), "type": None,
                "_other": {k: _str(v) for k, v in info.items() if k not in ("/Title", "/Author", "/CreationDate")}}
    except EvalkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken file must never surface as a pypdf traceback
        raise DataError(f"{path.name}: not a readable PDF ({type(exc).__name__}); open it in a PDF viewer and "
                        "save or export it again", [Problem("unreadable PDF", str(path))]) from None
    if not any(p.text for paras in pages for p in paras):
        raise DataError(f"{path.name}: the PDF has no text layer (a scanned document?); evalkit reads only "
                        "text and does not do OCR: run OCR first (e.g. OCRmyPDF) and load the result",
                        [Problem("no text layer", str(path))])
    empty = [i + 1 for i, paras in enumerate(pages) if not paras]
    notes = [f"{path.name}: page(s) {', '.join(map(str, empty))} hold no text (scanned pages are not read)"] \
        if empty else []
    return _Extracted(pages, meta, "pdf", notes)


def _pdf_page(page) -> list[_Para]:
    """Paragraphs of one page from the text fragments and their positions (pypdf's visitor)."""
    lines: list[list] = []   # [text, y, size]
    current = {"text": "", "y": None, "size": None}

    def flush():
        if current["text"].strip():
            lines.append([current["text"].strip(), current["y"], current["size"]])
        current.update(text="", y=None, size=None)

    def visit(text, cm, tm, font, size):
        if text == "\n":
            flush()
            return
        if not text:
            return
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if current["y"] is not None and abs(y - current["y"]) > 0.5 * max(size or 1, 1) and current["text"].strip():
            flush()
        if current["y"] is None:
            current["y"], current["size"] = y, (size or 0) * abs(cm[3] or 1) * abs(tm[3] or 1)
        parts = text.split("\n")
        for k, part in enumerate(parts):
            if k:
                flush()
                current["y"], current["size"] = y, (size or 0) * abs(cm[3] or 1) * abs(tm[3] or 1)
            current["text"] += part

    page.extract_text(visitor_text=visit)
    flush()
    if not lines:
        return []
    sizes = [line[2] for line in lines if line[2]]
    body = statistics.median(sizes) if sizes else 0.0

    def spacing(prev, line) -> float:  # the gap between two lines in units of their font size
        size = max(prev[2] or 0, line[2] or 0) or 1.0
        return (prev[1] - line[1]) / size if prev[1] is not None and line[1] is not None else 0.0

    # the spacing inside a paragraph: the smallest on the page, but no more than 1.45 (a page of one-line
    # paragraphs has no inner spacing); a gap 25 % wider, a line above the last or a change of size starts one
    ratios = [r for r in (spacing(a, b) for a, b in zip(lines, lines[1:])) if r > 0]
    inner = min(min(ratios), 1.45) if ratios else 1.45
    paras: list[list] = [[lines[0]]]
    for prev, line in zip(lines, lines[1:]):
        r = spacing(prev, line)
        if r > 1.25 * inner or r < 0 or abs((line[2] or 0) - (prev[2] or 0)) > 0.5:
            paras.append([line])
        else:
            paras[-1].append(line)
    out = []
    for chunk in paras:
        text = chunk[0][0]
        for nxt, _, _ in chunk[1:]:
            # a hyphen at a line end inside a word ("uppfölj-" + "ningen") or a date ("2016-" + "11-22") is a
            # line break, not a space
            if re.search(r"\w-$", text) and nxt[:1].islower() or re.search(r"\d-$", text) and nxt[:1].isdigit():
                text = text[:-1] + nxt if nxt[:1].islower() else text + nxt
            else:
                text = f"{text} {nxt}"
        # a paragraph set larger than the page's body text is a heading
        heading = bool(body) and min(line[2] or 0 for line in chunk) > 1.15 * body
        out.append(_Para(_clean(text), heading))
    return [p for p in out if p.text]


def _pdf_date(value) -> pd.Timestamp | None:
    m = re.match(r"^D:(\d{4})(\d{2})?(\d{2})?", _str(value) or "")
    if not m:
        return None
    try:
        return pd.Timestamp(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


def _str(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _check_zip(path: Path, member: str, limits: DocumentLimits) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(member)
    except KeyError:
        raise DataError(f"{path.name}: no {member} inside; the file is not a {path.suffix[1:].upper()} document",
                        [Problem(f"{member} missing", str(path))]) from None
    except (zipfile.BadZipFile, OSError):
        raise DataError(f"{path.name}: not a readable {path.suffix[1:].upper()} file (the zip container is "
                        "broken); open and save it again", [Problem("broken zip", str(path))]) from None
    if info.file_size > limits.max_xml_bytes or (
            info.file_size > _MIB and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
        raise DataError(f"{path.name}: {member} would inflate to {info.file_size} bytes, beyond the limits "
                        f"(DocumentLimits.max_xml_bytes {limits.max_xml_bytes}, max_ratio {limits.max_ratio})",
                        [Problem("archive beyond limits", str(path))])


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _read_docx(path: Path, limits: DocumentLimits) -> _Extracted:
    _check_zip(path, "word/document.xml", limits)
    try:
        import docx
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        body = document.element.body
        rendered = next(body.iter(f"{_W}lastRenderedPageBreak"), None) is not None
        pages: list[list[_Para]] = [[]]
        for el in body.iter(f"{_W}p"):
            if any(a.tag.endswith("}Fallback") for a in el.iterancestors()):
                continue  # the same text box again, for readers that cannot show the modern drawing
            style = Paragraph(el, document).style
            _docx_paragraph(el, _is_heading(style.name if style is not None else ""), rendered, pages)
        props = document.core_properties
        meta = {"title": _str(props.title), "issuer": _str(props.author), "type": _str(props.category),
                "date": pd.Timestamp(props.created.date()) if props.created else None,
                "_other": {"subject": _str(props.subject), "keywords": _str(props.keywords),
                           "comments": _str(props.comments), "last_modified_by": _str(props.last_modified_by)}}
    except EvalkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx/lxml errors become one clear message
        raise DataError(f"{path.name}: not a readable DOCX ({type(exc).__name__}); open it in Word or "
                        "LibreOffice and save it again as .docx", [Problem("unreadable DOCX", str(path))]) from None
    _check_chars(path, pages, limits)
    mode = "Word's rendered page breaks" if rendered else "explicit page breaks"
    return _Extracted(_trim_pages(pages), meta, "docx", [f"{path.name}: pages from {mode}"])


def _docx_paragraph(el, heading: bool, rendered: bool, pages: list) -> None:
    """Append one w:p to ``pages``, starting a new page at each page break inside or before it."""
    parts: list[str] = []

    def emit():
        text = _clean("".join(parts))
        if text:
            pages[-1].append(_Para(text, heading))
        parts.clear()

    ppr = el.find(f"{_W}pPr")
    if not rendered and ppr is not None and ppr.find(f"{_W}pageBreakBefore") is not None \
            and ppr.find(f"{_W}pageBreakBefore").get(f"{_W}val", "true") not in ("0", "false"):
        pages.append([])
    for node in el.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}lastRenderedPageBreak"):
        if next(node.iterancestors(f"{_W}p"), None) is not el:
            continue  # text of a text box inside this paragraph: read as its own paragraph
        tag = node.tag[len(_W):]
        if tag == "t":
            parts.append(node.text or "")
        elif tag == "lastRenderedPageBreak" and rendered or tag == "br" and not rendered \
                and node.get(f"{_W}type") == "page":
            emit()
            pages.append([])
        elif tag in ("tab", "br", "cr"):
            parts.append(" ")
    emit()


def _is_heading(style: str) -> bool:
    low = (style or "").lower()
    return low.startswith(("heading", "rubrik", "overskrift")) or low in ("title", "titel", "tittel")


def _trim_pages(pages: list) -> list:
    # a break at the very end (or a document starting with one) makes no page of its own
    while len(pages) > 1 and not pages[-1]:
        pages.pop()
    while len(pages) > 1 and not pages[0]:
        pages.pop(0)
    return pages


def _check_chars(path: Path, pages: list, limits: DocumentLimits) -> None:
    if sum(len(p.text) for paras in pages for p in paras) > limits.max_chars:
        raise DataError(f"{path.name}: more than {limits.max_chars} characters of text (DocumentLimits.max_chars)",
                        [Problem("too much text", str(path))])


_ODF = {"text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
        "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
        "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "dc": "http://purl.org/dc/elements/1.1/",
        "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"}


def _q(prefix: str, local: str) -> str:
    return f"{{{_ODF[prefix]}}}{local}"


def _read_odt(path: Path, limits: DocumentLimits) -> _Extracted:
    import defusedxml.ElementTree as DET

    _check_zip(path, "content.xml", limits)
    try:
        with zipfile.ZipFile(path) as zf:
            root = DET.fromstring(zf.read("content.xml"), forbid_dtd=True)
            meta_root = None
            if "meta.xml" in zf.namelist():
                _check_zip(path, "meta.xml", limits)
                meta_root = DET.fromstring(zf.read("meta.xml"), forbid_dtd=True)
    except EvalkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed XML, DTDs, entities: one clear message
        raise DataError(f"{path.name}: not a readable ODT ({type(exc).__name__}); open it in LibreOffice and save "
                        "it again", [Problem("unreadable ODT", str(path))]) from None
    text_root = root.find(f"{_q('office', 'body')}/{_q('office', 'text')}")
    if text_root is None:
        raise DataError(f"{path.name}: no text body (office:text); is it a text document?",
                        [Problem("no office:text", str(path))])
    breaking = {s.get(_q("style", "name")) for s in root.iter(_q("style", "style"))
                if any(p.get(_q("fo", "break-before")) == "page" for p in s.iter(_q("style", "paragraph-properties")))}
    soft = next(text_root.iter(_q("text", "soft-page-break")), None) is not None
    pages: list[list[_Para]] = [[]]
    _odt_walk(text_root, pages, soft, breaking)
    _check_chars(path, pages, limits)
    meta = {"title": None, "issuer": None, "date": None, "type": None, "_other": {}}
    if meta_root is not None:
        m = meta_root.find(_q("office", "meta"))
        if m is not None:
            get = lambda p, n: _str(m.findtext(_q(p, n)))  # noqa: E731
            meta.update(title=get("dc", "title"), issuer=get("meta", "initial-creator") or get("dc", "creator"),
                        date=_iso_date(get("meta", "creation-date") or get("dc", "date")))
            meta["_other"] = {f"user-defined {u.get(_q('meta', 'name'))}": _str(u.text)
                              for u in m.iter(_q("meta", "user-defined"))}
            meta["_other"].update(subject=get("dc", "subject"), description=get("dc", "description"))
    mode = "LibreOffice's soft page breaks" if soft else "explicit page breaks"
    return _Extracted(_trim_pages(pages), meta, "odt", [f"{path.name}: pages from {mode}"])


def _odt_walk(el, pages: list, soft: bool, breaking: set) -> None:
    for child in el:
        tag = child.tag
        if tag == _q("text", "soft-page-break"):
            if soft:
                pages.append([])
        elif tag in (_q("text", "p"), _q("text", "h")):
            if not soft and child.get(_q("text", "style-name")) in breaking and any(pages[-1]):
                pages.append([])
            parts: list[str] = []
            _odt_inline(child, parts, pages, soft, tag == _q("text", "h"))
            text = _clean("".join(parts))
            if text:
                pages[-1].append(_Para(text, tag == _q("text", "h")))
        elif tag in (_q("office", "forms"), _q("text", "sequence-decls"), _q("table", "table-columns")):
            continue
        else:  # lists, list items, sections, tables, rows, cells
            _odt_walk(child, pages, soft, breaking)


def _odt_inline(el, parts: list, pages: list, soft: bool, heading: bool) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        tag = child.tag
        if tag == _q("text", "s"):
            parts.append(" " * int(child.get(_q("text", "c"), "1") or 1))
        elif tag in (_q("text", "tab"), _q("text", "line-break")):
            parts.append(" ")
        elif tag == _q("text", "soft-page-break") and soft:
            text = _clean("".join(parts))
            if text:
                pages[-1].append(_Para(text, heading))
            parts.clear()
            pages.append([])
        elif tag == _q("text", "note"):
            pass  # footnotes and endnotes are not part of the running text
        else:
            _odt_inline(child, parts, pages, soft, heading)
        if child.tail:
            parts.append(child.tail)


def _iso_date(value: str | None) -> pd.Timestamp | None:
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value or "")
    return pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _read_text(path: Path, limits: DocumentLimits) -> _Extracted:
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8",
                        [Problem("not UTF-8", str(path))]) from None
    raw = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    pages = []
    for page in raw.split(PAGE_BREAK):
        blocks = re.split(r"\n[ \t]*\n", page)
        pages.append([_Para(_clean(b), _is_md_heading(b)) for b in blocks if _clean(b)])
    if len(pages) > limits.max_pages:
        raise DataError(f"{path.name}: {len(pages)} pages, more than the limit of {limits.max_pages}",
                        [Problem("too many pages", str(path))])
    _check_chars(path, pages, limits)
    return _Extracted(pages, {"title": None, "issuer": None, "date": None, "type": None, "_other": {}}, "text")


def _is_md_heading(block: str) -> bool:
    return block.lstrip().startswith("#")


_READERS = {".pdf": _read_pdf, ".docx": _read_docx, ".odt": _read_odt, ".txt": _read_text, ".md": _read_text}


# ----------------------------------------------------------------------------- loading
def load_documents(paths_or_folder, *, meta=None, limits=None) -> Documents:
    """Read governing documents (PDF, DOCX, ODT, plain text) with page and paragraph anchors.

    Parameters
    ----------
    paths_or_folder : str, Path or list of them
        Files, or a folder whose ``.pdf``, ``.docx``, ``.odt``, ``.txt`` and ``.md`` files are read (other
        files are left out, and a note says how many; sub-folders are not entered). Order: by file name.
    meta : dict, str or Path, optional
        Per file name (``"rutin.pdf"`` or ``"rutin"``): ``type``, ``date``, ``in_force``, ``issuer``,
        ``title`` (other keys are refused). A TOML file of that shape, or the dict. ``meta`` wins over
        the document's own metadata.
    limits : DocumentLimits or dict, optional
        Size limits (defaults in :class:`DocumentLimits`).

    Returns
    -------
    Documents

    Raises
    ------
    DataError
        A missing or unsupported file, a scanned PDF without a text layer (OCR is out of scope), an
        encrypted PDF, a broken file, a file beyond the limits, an unknown document type or date in the
        metadata.
    IdentifierError
        A personal identity number in the text or metadata: names the document, page and paragraph (or
        the metadata field) and the kind of number, never the number.

    Examples
    --------
    >>> docs = load_documents("data_samples/exempelkommun/styrdokument",
    ...                       meta="data_samples/exempelkommun/styrdokument.toml")   # doctest: +SKIP
    >>> docs.documents[["file", "doc_type", "pages"]]                                # doctest: +SKIP
    """
    limits = DocumentLimits.of(limits)
    files = _files(paths_or_folder)
    meta_table, meta_file = _meta(meta)
    # file names and the metadata first: a message about a file must never show a number its name holds
    _refuse([Gate(p) for p in files] + [_meta_gate(meta_table, meta_file)])
    extracted, gates = [], []
    for path in files:
        if path.stat().st_size > limits.max_file_bytes:
            raise DataError(f"{path.name}: {path.stat().st_size} bytes, more than the limit of "
                            f"{limits.max_file_bytes} (DocumentLimits.max_file_bytes)",
                            [Problem("file too large", str(path))])
        ex = _READERS[path.suffix.lower()](path, limits)
        key = path.name if path.name in meta_table else path.stem if path.stem in meta_table else None
        extracted.append((path, ex, key))
        gate = Gate(path)
        gate.values(_gate_items(ex))
        gates.append(gate)
    _refuse(gates)  # every document read and searched: one refusal naming every place
    rows, sources, anchors, records, notes = [], [], [], [], []
    for path, ex, key in extracted:
        row, source, anchor_rows = _assemble(path, ex, meta_table.get(key, {}) if key else {}, meta_file)
        rows.append(row)
        sources.append(source)
        anchors += anchor_rows
        notes += ex.notes
        n = len(anchor_rows)
        records.append(LoadRecord(table="documents", source=SourceFile.from_path(path, ex.fmt), rows_read=n,
                                  rows_kept=n, notes=list(ex.notes)))
    unused = sorted(set(meta_table) - {key for _, _, key in extracted if key})
    if unused:  # a typo in a file name would silently drop the metadata: say so
        warnings.warn(f"meta names {len(unused)} file(s) that are not among the documents loaded: "
                      f"{', '.join(unused)}; check the spelling (keys are file names)", DataWarning, stacklevel=2)
    documents = pd.DataFrame(rows, columns=list(DOCUMENT_COLUMNS))
    for col in ("date", "in_force"):
        documents[col] = pd.to_datetime(documents[col])
    documents["pages"] = documents["pages"].astype("Int64")
    anchor_frame = pd.DataFrame(anchors, columns=list(ANCHOR_COLUMNS))
    for col in ("page", "paragraph", "start", "end"):
        anchor_frame[col] = anchor_frame[col].astype("Int64")
    undated = documents.loc[documents["date"].isna(), "file"].tolist()
    if undated:
        warnings.warn(f"{len(undated)} document(s) without a date ({', '.join(undated)}): give 'date' in meta, "
                      "or the timeline cannot place them", DataWarning, stacklevel=2)
    return Documents(sources=pd.DataFrame(sources, columns=list(SOURCE_COLUMNS)), documents=documents,
                     anchors=anchor_frame, records=records, notes=notes)


def _files(paths_or_folder) -> list[Path]:
    items = [paths_or_folder] if isinstance(paths_or_folder, (str, Path)) else list(paths_or_folder)
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if not p.exists():
            raise DataError(f"{safe_path(p)}: file not found", [Problem("file not found", safe_path(p))])
        if p.is_dir():
            inside = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith((".", "~$")))
            files += [f for f in inside if f.suffix.lower() in SUFFIXES]
            continue
        if p.suffix.lower() not in SUFFIXES:
            hint = " (save it as .docx)" if p.suffix.lower() in (".doc", ".rtf") else ""
            raise DataError(f"{safe_path(p.name)}: evalkit reads governing documents as .pdf, .docx, .odt, .txt or "
                            f".md, not {safe_value(p.suffix) or 'files without a suffix'}{hint}",
                            [Problem("unsupported file type", safe_path(p))])
        files.append(p)
    if not files:
        raise DataError(f"no documents found in {safe_path(paths_or_folder)} (.pdf, .docx, .odt, .txt, .md)")
    names = [f.name for f in files]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"two documents share a file name ({', '.join(safe_path(d) for d in dupes)}); names "
                        "identify documents, rename one")
    return files


def _meta(meta) -> tuple[dict, Path | None]:
    if meta is None:
        return {}, None
    path = None
    if isinstance(meta, (str, Path)):
        path = Path(meta)
        if not path.is_file():
            raise DataError(f"{safe_path(path)}: metadata file not found", [Problem("file not found", safe_path(path))])
        try:
            meta = read_toml(path)
        except EvalkitError:
            raise
        except Exception as exc:  # noqa: BLE001 - a TOML syntax error names the file, not tomllib
            raise DataError(f"{safe_path(path.name)}: not valid TOML ({safe_value(exc)})",
                            [Problem("invalid TOML", safe_path(path))]) from None
    if not isinstance(meta, dict):
        raise DataError("meta must be a dict (file name -> type, date, issuer …) or a TOML file")
    out = {}
    for name, entry in meta.items():
        if not isinstance(entry, dict):
            raise DataError(f"meta[{name!r}] must be a table of type, date, in_force, issuer, title",
                            [Problem(f"meta entry {name!r} is not a table", str(path) if path else None)])
        unknown = sorted(set(entry) - set(_META_KEYS))
        if unknown:
            raise DataError(f"meta[{name!r}]: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(_META_KEYS)}",
                            [Problem(f"unknown key(s) in {name!r}", str(path) if path else None)])
        out[str(name)] = entry
    return out, path


def _date(value, what: str, file: str) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    if isinstance(value, pd.Timestamp):
        return value
    return parse_user_date(value, what=f"{what} of {file}", error=DataError)


def _assemble(path: Path, ex: _Extracted, given: dict, meta_file) -> tuple[dict, dict, list]:
    guid = stable_guid("document", path.name)
    pieces, anchors, pos, number, heading = [], [], 0, 0, None
    for page_no, paras in enumerate(ex.pages, start=1):
        if page_no > 1:
            pieces.append(PAGE_BREAK)
            pos += 1
        for k, para in enumerate(paras):
            if k:
                pieces.append("\n")
                pos += 1
            number += 1
            heading = para.text if para.heading else heading
            anchors.append({"source_guid": guid, "page": page_no if ex.fmt != "text" or len(ex.pages) > 1 else 1,
                            "paragraph": number, "heading": heading, "is_heading": para.heading,
                            "start": pos, "end": pos + len(para.text)})
            pieces.append(para.text)
            pos += len(para.text)
    text = "".join(pieces)
    where = str(meta_file) if meta_file else path.name
    doc_type = document_type(given.get("type") or ex.meta.get("type"), file=where) or "other"
    date = _date(given.get("date"), "date", path.name) if given.get("date") else ex.meta.get("date")
    in_force = _date(given.get("in_force"), "in_force", path.name) if given.get("in_force") else date
    title = given.get("title") or ex.meta.get("title") or path.stem
    row = {"source_guid": guid, "name": title, "file": path.name, "format": ex.fmt, "doc_type": doc_type,
           "date": date, "in_force": in_force, "issuer": given.get("issuer") or ex.meta.get("issuer"),
           "title": title, "pages": len(ex.pages) if ex.fmt != "text" or len(ex.pages) > 1 else None,
           "paragraphs": number, "chars": len(text)}
    source = {"source_guid": guid, "name": title, "kind": "pdf" if ex.fmt == "pdf" else "text", "text": text,
              "created": date.date().isoformat() + "T00:00:00Z" if isinstance(date, pd.Timestamp) else None,
              "creator": None}
    return row, source, anchors


def _gate_items(ex: _Extracted) -> list[tuple[str, object]]:
    """Every paragraph (by page and paragraph number) and every metadata value of one document."""
    items: list[tuple[str, object]] = []
    number = 0
    for page_no, paras in enumerate(ex.pages, start=1):
        for para in paras:
            number += 1
            items.append((f"page {page_no}, paragraph {number}", para.text))
    metadata = {**{k: v for k, v in ex.meta.items() if k != "_other"}, **ex.meta.get("_other", {})}
    items += [(f"document metadata '{k}'", str(v)) for k, v in metadata.items()
              if v is not None and not isinstance(v, pd.Timestamp)]
    return items


def _meta_gate(meta_table: dict, meta_file) -> Gate:
    gate = Gate(meta_file) if meta_file else Gate()
    for name, entry in meta_table.items():
        where = "meta <file name withheld>" if safe_path(name) != name else f"meta '{name}'"
        gate.values([(f"{where}, key {k}", str(v)) for k, v in entry.items()] + [(where, name)])
    return gate


def _refuse(gates: list) -> None:
    """One IdentifierError for every place in every document (never the number, nor a name holding one)."""
    found = [g for g in gates if g.problems]
    if not found:
        return
    kinds = sorted({k for g in found for k in g.kinds}, key=KINDS.index)
    names = [Path(g.file).name if g.file and g.file != WITHHELD_FILE else (g.file or "meta") for g in found]
    raise IdentifierError(f"{len(found)} document(s) refused ({', '.join(names)}): they hold personal identity "
                          f"numbers ({', '.join(kinds)}) in {sum(len(g.problems) for g in found)} place(s). "
                          "Remove or pseudonymise them in the document and load it again. The numbers themselves "
                          "are not shown.", [p for g in found for p in g.problems])
