"""The Word renderer: blocks → a python-docx Document on a template.

python-docx has no API for fields, captions or repeating header rows
(ecosystem.md §D2), so this module holds the small oxml helpers that add them:

* :func:`add_toc_field` — ``TOC \\o "1-2" \\h \\z \\u`` complex field whose cached
  result is already filled in: one entry per heading of level 1–2, each a
  hyperlink to a ``_Toc`` bookmark on its heading, so LibreOffice, a PDF and Word
  show a table of contents at once. The entries carry no page numbers (a page
  number needs a layout pass: LibreOffice takes seconds per report, and an
  estimate would print wrong numbers); the field is marked dirty and
  :func:`set_update_fields` puts ``<w:updateFields w:val="true"/>`` in
  settings.xml, so Word adds the page numbers when the file is opened;
* :func:`add_caption` — "Tabell 1. …" with ``SEQ Tabell \\* ARABIC`` as a real
  field (its current result already filled in, so LibreOffice and a PDF show
  the right number without an update) inside a ``_Ref`` bookmark that Word's
  cross-reference dialog lists;
* :func:`table_xml` — a whole table as one XML string with ``w:tblHeader`` on
  the header row, explicit column widths and a fixed layout (Word keeps stored
  widths; cell-by-cell filling through python-docx is ~13× slower);
* :func:`ensure_page_numbers` — a PAGE field in the footer when the template has none.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from xml.sax.saxutils import escape

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu

from evalkit import i18n
from evalkit.errors import ReportError
from evalkit.report._blocks import Bullets, Code, Figure, Heading, PageBreak, Paragraph, Table
from evalkit.report._metrics import text_twips
from evalkit.report._format import COUNT, NUMBER, PERCENT, PVALUE, FormattedTable

__all__ = [
    "REQUIRED_STYLES",
    "TABLE_STYLES",
    "open_template",
    "missing_styles",
    "add_toc_field",
    "add_caption",
    "set_update_fields",
    "table_xml",
    "ensure_page_numbers",
    "DocxRenderer",
]

#: Styles every template must define (a user template is refused, naming what it lacks).
REQUIRED_STYLES = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Caption",
                   "List Bullet", "List Number")
#: Table styles in order of preference; a template needs one of them.
TABLE_STYLES = ("Evalkit Table", "Table Grid")
_LANG_TAGS = {"sv": "sv-SE", "nb": "nb-NO", "en": "en-GB"}
#: a code block of at most this many lines is kept on one page
_WHOLE_CODE_LINES = 40
#: ids of the headings' bookmarks start here, clear of the captions' (numbered from 1)
_TOC_BOOKMARK_BASE = 1_000_000
_TWIPS_PER_EMU = 1 / 635


def open_template(template) -> docx.document.Document:
    """Open a template .docx and check its styles (ReportError naming what is missing)."""
    try:
        document = docx.Document(str(template))
    except (PackageNotFoundError, FileNotFoundError, KeyError, ValueError, OSError) as exc:
        raise ReportError(f"cannot open the Word template {template}: {exc}") from None
    missing = missing_styles(document)
    if missing:
        raise ReportError(
            f"the Word template {template} lacks the style(s) {', '.join(missing)}; add them in Word "
            "(Styles pane → New style) or start from evalkit's template (template=None)")
    return document


def style_names(document) -> set[str]:
    return {s.name for s in document.styles}


def missing_styles(document) -> list[str]:
    """Required styles the document does not define (a table style counts if any of TABLE_STYLES exists)."""
    names = style_names(document)
    missing = [s for s in REQUIRED_STYLES if s not in names]
    if not any(t in names for t in TABLE_STYLES):
        missing.append(" or ".join(repr(t) for t in TABLE_STYLES))
    return missing


def _run(text: str, rpr: str = "") -> str:
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _field_runs(instr: str, result: str, *, dirty: bool = False) -> str:
    begin = '<w:fldChar w:fldCharType="begin" w:dirty="true"/>' if dirty else '<w:fldChar w:fldCharType="begin"/>'
    return (f"<w:r>{begin}</w:r>"
            f'<w:r><w:instrText xml:space="preserve"> {escape(instr)} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f"{_run(result)}"
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def toc_bookmark(number: int) -> str:
    """The bookmark name of the ``number``-th heading in the table of contents (Word's own ``_Toc`` prefix)."""
    return f"_Toc{number:09d}"


def add_toc_field(document, placeholder: str, levels: str = "1-2", entries=(), page_numbers: str | None = None) -> None:
    """Append a TOC field over heading levels ``levels`` with its result filled in.

    ``entries`` are ``(level, text)`` of the headings in order; entry ``n`` (from 1) links to bookmark
    :func:`toc_bookmark` ``(n)``, which :class:`DocxRenderer` puts on the heading. Without entries the
    field's result is ``placeholder``. ``page_numbers``: each entry ends in a dot leader and a
    ``PAGEREF`` field whose cached result is this text (the pages are put in by
    :mod:`evalkit.report._toc_pages`); None writes the entries without page numbers.
    """
    instr = f'TOC \\o "{levels}" \\h \\z \\u'
    if not entries:
        xml = f"<w:p {nsdecls('w')}>{_field_runs(instr, placeholder, dirty=True)}</w:p>"
        _append_body(document, parse_xml(xml))
        return
    names = style_names(document)
    begin = ('<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
             f'<w:r><w:instrText xml:space="preserve"> {escape(instr)} </w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    last = len(entries) - 1
    tabs = (f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{int(text_width_emu(document) * _TWIPS_PER_EMU)}"/>'
            '</w:tabs>') if page_numbers is not None else ""
    for i, (level, text) in enumerate(entries):
        style = f"toc {level}"
        pstyle = f'<w:pStyle w:val="{document.styles[style].style_id}"/>' if style in names else ""
        ppr = f"<w:pPr>{pstyle}{tabs}</w:pPr>" if pstyle or tabs else ""
        page = ("<w:r><w:tab/></w:r>" + _field_runs(f"PAGEREF {toc_bookmark(i + 1)} \\h", page_numbers)
                if page_numbers is not None else "")
        link = (f'<w:hyperlink w:anchor="{toc_bookmark(i + 1)}" w:history="1">{_run(text)}{page}</w:hyperlink>')
        xml = (f"<w:p {nsdecls('w')}>{ppr}{begin if i == 0 else ''}{link}{end if i == last else ''}</w:p>")
        _append_body(document, parse_xml(xml))


def add_caption(document, kind_label: str, number: int, text: str, bookmark_id: int,
                keep_next: bool = False) -> None:
    """Append a Caption paragraph "<label> <SEQ field>. <text>" wrapped in a ``_Ref`` bookmark.

    ``keep_next`` keeps the caption on the page of what follows (a table caption sits above its table); it is
    set on the paragraph itself, so a user template whose Caption style lacks it behaves the same.
    """
    style_id = document.styles["Caption"].style_id
    name = f"_Ref{bookmark_id:09d}"
    instr = f"SEQ {kind_label} \\* ARABIC"
    keep = "<w:keepNext/>" if keep_next else ""
    xml = (f"<w:p {nsdecls('w')}><w:pPr><w:pStyle w:val=\"{style_id}\"/>{keep}</w:pPr>"
           f'<w:bookmarkStart w:id="{bookmark_id}" w:name="{name}"/>'
           f"{_run(kind_label + ' ')}{_field_runs(instr, str(number))}"
           f'<w:bookmarkEnd w:id="{bookmark_id}"/>{_run(". " + text)}</w:p>')
    _append_body(document, parse_xml(xml))


_SETTINGS_AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "attachedSchema",
    "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
    "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "shapeDefaults",
    "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
)


def set_update_fields(document) -> None:
    """Set ``<w:updateFields w:val="true"/>`` in settings.xml, at its schema position."""
    settings = document.settings.element
    for old in settings.findall(qn("w:updateFields")):
        settings.remove(old)
    element = parse_xml(f'<w:updateFields {nsdecls("w")} w:val="true"/>')
    later = {qn(f"w:{n}") for n in _SETTINGS_AFTER_UPDATE_FIELDS}
    later.add(qn("m:mathPr"))
    for child in settings:
        if child.tag in later:
            child.addprevious(element)
            return
    settings.append(element)


def ensure_page_numbers(document) -> None:
    """Add a centred PAGE field to the first section's footer unless one is there already."""
    from evalkit.report._template import add_page_field

    section = document.sections[0]
    footer = section.footer
    if "PAGE" in "".join(t.text or "" for t in footer._element.iter(qn("w:instrText"))):
        return
    footer.is_linked_to_previous = False
    paragraph = footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_page_field(paragraph)


def text_width_emu(document) -> int:
    section = document.sections[-1]
    return int(section.page_width - section.left_margin - section.right_margin)


_STYLE_POINTS = 9     # the font size of the template's table style
_CELL_PADDING = 200   # left + right cell margins of the house table style (2 × 85 twips), with some air
_SLACK = 1.08         # renderers differ a little from the AFM advance widths (hinting, kerning)
_LONGEST_UNBROKEN = 36  # a longer token (a sha256) may wrap rather than squeeze every other column


def _column_widths(table: FormattedTable, total_twips: int, points: float = _STYLE_POINTS) -> list[int]:
    """Column widths in twips: no number is broken, nor a header word if there is room; spare width
    goes to long text.

    Each column must fit its longest unbreakable cell token ("85 %" with its no-break space is one
    token), should fit its longest header word, and would like its longest header or cell on one
    line; widths are measured with the font's metrics (:func:`~evalkit.report._metrics.text_twips`).
    When everything does not fit, header words give way before cell values do, the longest first
    (a header "(procentenheter)" may wrap; "1 535" may not). Widths between two levels are shared
    in proportion to what each column still wants.
    """
    cells_need, words_need, wanted = [], [], []
    for c, head in enumerate(table.header):
        cells = [row[c] for row in table.text]
        head_word = max((_width(w, points, True) for w in _tokens(head)), default=0)
        cell_token = max((_width(w[:_LONGEST_UNBROKEN], points) for cell in cells for w in _tokens(cell)),
                         default=0)
        line = max([_width(head, points, True)] + [_width(cell, points) for cell in cells])
        cells_need.append(cell_token + _CELL_PADDING)
        words_need.append(max(head_word, cell_token) + _CELL_PADDING)
        wanted.append(max(line, head_word, cell_token) + _CELL_PADDING)
    if sum(wanted) <= total_twips:
        widths = [w * total_twips / sum(wanted) for w in wanted]
    elif sum(words_need) <= total_twips:
        spare, extra = total_twips - sum(words_need), [w - n for w, n in zip(wanted, words_need)]
        widths = [n + spare * e / sum(extra) for n, e in zip(words_need, extra)]
    elif sum(cells_need) <= total_twips:
        widths = _longest_words_give_way(cells_need, words_need, total_twips)
    else:
        widths = [n * total_twips / sum(cells_need) for n in cells_need]
    widths = [int(w) for w in widths]
    widths[-1] += total_twips - sum(widths)
    return widths


def _width(text: str, points: float, bold: bool = False) -> float:
    return text_twips(text, points, bold=bold) * _SLACK


def _tokens(text: str) -> list[str]:
    """What a line may break between: ordinary spaces and line breaks, not no-break spaces."""
    return [t for t in re.split(r"[ \t\n]+", text) if t]


def _longest_words_give_way(floor: list[float], need: list[float], total: int) -> list[float]:
    """Widths between ``floor`` and ``need`` summing to ``total``, cut from the top: every column gets
    ``min(need, cap)`` (at least its floor) for the one cap that fits, so only the longest header
    words wrap and short ones ("Andel", "Svar") stay whole."""
    low, high = 0.0, max(need)
    for _ in range(60):
        cap = (low + high) / 2
        if sum(max(f, min(n, cap)) for f, n in zip(floor, need)) > total:
            high = cap
        else:
            low = cap
    widths = [max(f, min(n, low)) for f, n in zip(floor, need)]
    spare = total - sum(widths)
    return [w + spare * w / sum(widths) for w in widths]


#: Font size of a table too wide for its header words at the style's 9 pt.
_COMPACT_POINTS = 8


def _header_words_fit(table: FormattedTable, widths: list[int]) -> bool:
    return all(max((_width(w, _STYLE_POINTS, True) for w in _tokens(head)), default=0) + _CELL_PADDING <= width + 1
               for head, width in zip(table.header, widths))


def table_xml(table: FormattedTable, style_id: str, total_twips: int) -> str:
    """The ``w:tbl`` XML of a formatted table: header row repeated on every page, fixed widths.

    Text is set at the table style's 9 pt, or at 8 pt in a table whose header words do not fit
    at 9 pt, rather than breaking words in the middle.
    """
    # the size is set on every run: Word and LibreOffice let the Normal style's 11 pt override a
    # table style's size, so the style's 9 pt alone is not what readers get
    points = _STYLE_POINTS
    widths = _column_widths(table, total_twips, points)
    if not _header_words_fit(table, widths):
        points = _COMPACT_POINTS
        widths = _column_widths(table, total_twips, points)
    size = f'<w:sz w:val="{int(points * 2)}"/><w:szCs w:val="{int(points * 2)}"/>'
    right = [k in (COUNT, PERCENT, NUMBER, PVALUE) for k in table.kinds]
    last_row = "1" if table.total_row else "0"
    parts = [
        f"<w:tbl {nsdecls('w')}><w:tblPr><w:tblStyle w:val=\"{style_id}\"/>"
        f'<w:tblW w:w="{total_twips}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="{last_row}" w:firstColumn="0" '
        'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid>',
        "".join(f'<w:gridCol w:w="{w}"/>' for w in widths),
        "</w:tblGrid>",
        _row_xml(table.header, widths, right, header=True, bold=True, size=size),
    ]
    n = len(table.text)
    tall = [_tall(row, widths, points) for row in table.text]
    # a short table is kept on one page (each row kept with the next): split after its first row it left
    # one row under the caption at the foot of a page and the rest overleaf
    together = n <= _WHOLE_TABLE_ROWS and not any(tall)
    parts[-1] = _row_xml(table.header, widths, right, header=True, bold=True, size=size, with_next=together)
    for r, row in enumerate(table.text):
        parts.append(_row_xml(row, widths, right, header=False, bold=table.total_row and r == n - 1, size=size,
                              keep=not tall[r], with_next=together and r < n - 1))
    parts.append("</w:tbl>")
    return "".join(parts)


_CELL_PPR = '<w:pPr>{keep}<w:spacing w:before="0" w:after="0"/>{jc}</w:pPr>'
#: a table of at most this many body rows (none of them tall) is kept on one page
_WHOLE_TABLE_ROWS = 15
#: A body row with a cell of more lines than this may break across pages: kept whole, a tall row (the
#: joint display's quotes) would push itself to the next page and leave the one before it half empty.
_KEEP_ROW_LINES = 4


def _tall(row: list[str], widths: list[int], points: float) -> bool:
    return any(_width(text, points) > _KEEP_ROW_LINES * max(width - _CELL_PADDING, 1)
               for text, width in zip(row, widths))


def _row_xml(cells: list[str], widths: list[int], right: list[bool], *, header: bool, bold: bool,
             size: str, keep: bool = True, with_next: bool = False) -> str:
    # the header row repeats on every page and never splits; a short body row is kept on one page
    trpr = ("<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if header else
            "<w:trPr><w:cantSplit/></w:trPr>" if keep else "")
    rpr = "<w:b/><w:bCs/>" if bold else ""
    rpr = f"<w:rPr>{rpr}{size}</w:rPr>"
    out = [f"<w:tr>{trpr}"]
    keep_next = "<w:keepNext/>" if with_next else ""
    for text, width, is_right in zip(cells, widths, right):
        jc = '<w:jc w:val="right"/>' if is_right else ""
        out.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                   f"<w:p>{_CELL_PPR.format(keep=keep_next, jc=jc)}{_run(text, rpr)}</w:p></w:tc>")
    out.append("</w:tr>")
    return "".join(out)


def _append_body(document, element) -> None:
    body = document.element.body
    sect = body.find(qn("w:sectPr"))
    if sect is not None:
        sect.addprevious(element)
    else:
        body.append(element)


class DocxRenderer:
    """Render laid-out blocks onto a template document.

    Parameters
    ----------
    document : docx Document
        An opened, style-checked template (:func:`open_template`).
    language : {"sv", "nb", "en"}
    formatted : dict
        ``id(Table) → FormattedTable`` (disclosure control already applied).
    pictures : dict
        ``id(Figure) → PNG bytes`` (``None`` for a withheld figure).
    """

    def __init__(self, document, language: str, formatted: dict, pictures: dict, figure_width_cm=None):
        self.document = document
        self.language = language
        self.formatted = formatted
        self.pictures = pictures
        names = style_names(document)
        self.table_style_id = document.styles[next(t for t in TABLE_STYLES if t in names)].style_id
        self.source_style = "Evalkit Source" if "Evalkit Source" in names else None
        self.code_style = "Evalkit Code" if "Evalkit Code" in names else None
        self.text_width = text_width_emu(document)
        self.figure_width = (Emu(int(figure_width_cm * 360000)) if figure_width_cm
                             else Emu(int(self.text_width)))
        self.n_tables = 0
        self.n_figures = 0
        self.n_bookmarks = 0
        self.n_toc = 0
        self._style_ids: dict = {}

    # -- document-level -------------------------------------------------
    def prepare(self, *, title: str, subtitle: str | None, author: str | None, lines=(),
                core_time: dt.datetime, toc=(), toc_pages: str | None = None) -> None:
        """The title page (title, subtitle, ``lines``: report number, commissioner, authors, version, date),
        the document properties and the table of contents (``toc``: ``(level, text)`` of the headings;
        ``toc_pages``: the page-number placeholder, see :func:`add_toc_field`)."""
        body = self.document.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        self._set_language()
        set_update_fields(self.document)
        ensure_page_numbers(self.document)
        core = self.document.core_properties
        core.title, core.subject = title, subtitle or ""
        core.author = core.last_modified_by = author or "evalkit"
        core.created = core.modified = core_time
        core.last_printed = core_time
        core.revision = 1
        core.comments = ""
        core.language = _LANG_TAGS[self.language]
        self._add_paragraph(title, style="Title")
        if subtitle:
            self._add_paragraph(subtitle, style="Subtitle")
        for line in lines:
            self.document.add_paragraph(line)
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        heading = self.document.add_paragraph(i18n.label("contents", self.language))
        heading.runs[0].bold = True
        if "TOC Heading" in style_names(self.document):
            heading.style = self.document.styles["TOC Heading"]
        add_toc_field(self.document, i18n.label("toc_placeholder", self.language), entries=list(toc),
                      page_numbers=toc_pages)
        self.n_toc = 0
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def _set_language(self) -> None:
        rpr = self.document.styles["Normal"].element.get_or_add_rPr()
        for old in rpr.findall(qn("w:lang")):
            rpr.remove(old)
        rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="{_LANG_TAGS[self.language]}"/>'))

    def _add_paragraph(self, text: str = "", style=None):
        """``document.add_paragraph(text, style)``, with each style's id looked up once.

        python-docx looks the style up by name and then scans every style of the template for the
        default one, for every paragraph (0.4 s of the sample report's 355 paragraphs); the id is the
        same each time, so the XML is the same.
        """
        paragraph = self.document.add_paragraph(text)
        if style is not None:
            key = style if isinstance(style, str) else id(style)
            if key not in self._style_ids:
                self._style_ids[key] = self.document.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
            paragraph._p.style = self._style_ids[key]
        return paragraph

    # -- blocks ---------------------------------------------------------
    def render(self, blocks) -> None:
        for block in blocks:
            method = getattr(self, f"_render_{type(block).__name__.lower()}", None)
            if method is None:
                raise ReportError(f"cannot render a {type(block).__name__} in a Word report")
            method(block)

    def _render_heading(self, block: Heading) -> None:
        paragraph = self._add_paragraph(block.text, style=f"Heading {min(max(block.level, 1), 3)}")
        if block.level <= 2:  # the table of contents links to it (add_toc_field numbers headings alike)
            self.n_toc += 1
            ident = _TOC_BOOKMARK_BASE + self.n_toc
            p = paragraph._p
            p.insert(1 if p.pPr is not None else 0, parse_xml(
                f'<w:bookmarkStart {nsdecls("w")} w:id="{ident}" w:name="{toc_bookmark(self.n_toc)}"/>'))
            p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{ident}"/>'))

    def _render_paragraph(self, block: Paragraph) -> None:
        paragraph = self._add_paragraph(style=block.style)
        paragraph.add_run(block.text)

    def _render_bullets(self, block: Bullets) -> None:
        style = "List Number" if block.numbered else "List Bullet"
        for item in block.items:
            self._add_paragraph(item, style=style)

    def _render_code(self, block: Code) -> None:
        lines = block.text.splitlines() or [""]
        n = len(lines)
        for i, line in enumerate(lines):
            paragraph = self._add_paragraph(style=self.code_style)
            # one paragraph per line: without this a short block splits anywhere and a long one leaves its
            # last line alone on a page; short blocks stay whole, long ones keep 2 lines at each end together
            paragraph.paragraph_format.keep_with_next = i < n - 1 and (n <= _WHOLE_CODE_LINES or i < 2
                                                                         or i >= n - 3)
            run = paragraph.add_run(line)
            if self.code_style is None:
                run.font.name = "Courier New"

    def _render_pagebreak(self, block: PageBreak) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def _source_line(self, source: str | None, note: str | None = None) -> None:
        for key, text in (("note", note), ("source", source)):
            if not text:
                continue
            paragraph = self._add_paragraph(style=self.source_style)
            run = paragraph.add_run(f"{i18n.label(key, self.language)}: {text}")
            if self.source_style is None:
                run.italic = True

    def _next_bookmark(self) -> int:
        self.n_bookmarks += 1
        return self.n_bookmarks

    def _render_table(self, block: Table) -> None:
        self.n_tables += 1
        add_caption(self.document, i18n.label("table", self.language), self.n_tables, block.caption,
                    self._next_bookmark(), keep_next=True)
        formatted = self.formatted[id(block)]
        total_twips = int(self.text_width * _TWIPS_PER_EMU)
        _append_body(self.document, parse_xml(table_xml(formatted, self.table_style_id, total_twips)))
        self._source_line(block.source, block.note)

    def _render_figure(self, block: Figure) -> None:
        self.n_figures += 1
        png = self.pictures.get(id(block))
        if png is None:
            self.document.add_paragraph(i18n.label("figure_withheld", self.language))
        else:
            paragraph = self.document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.keep_with_next = True
            run = paragraph.add_run()
            width = Emu(int(block.width_cm * 360000)) if block.width_cm else self.figure_width
            shape = run.add_picture(io.BytesIO(png), width=width)
            doc_pr = shape._inline.docPr
            doc_pr.set("descr", block.caption)  # alt text for screen readers
        add_caption(self.document, i18n.label("figure", self.language), self.n_figures, block.caption,
                    self._next_bookmark())
        self._source_line(block.source)
