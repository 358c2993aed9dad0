"""Build the shipped Word template ``evalkit/data/template.docx``.

Run ``python -m evalkit.report._template`` to regenerate it (the output is
committed). It starts from python-docx's default document and defines every
style the report uses, so a report never depends on styles that happen to be
in someone's Word installation:

* paragraph styles Normal, Title, Subtitle, Heading 1–3, Caption, List Bullet,
  List Number, TOC Heading, toc 1–3, and the house styles "Evalkit Source"
  (the source line under tables and figures) and "Evalkit Code" (the config);
* the table style "Evalkit Table" (rules above and below, a shaded header row);
* A4 paper, 2,5 cm margins, a footer with a centred page number field.

The font is Arial: every Word installation has it, and LibreOffice substitutes
the metric-compatible Liberation Sans, so line breaks and page breaks match.
The code font is Courier New (LibreOffice: Liberation Mono).
"""
from __future__ import annotations

from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

__all__ = ["build_template", "TEMPLATE_PATH", "BODY_FONT", "CODE_FONT"]

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "data" / "template.docx"
BODY_FONT = "Arial"
CODE_FONT = "Courier New"
HEADING_COLOUR = RGBColor(0x1F, 0x3A, 0x5F)


def _set_font(style_or_rpr_owner, name: str) -> None:
    """Set a style's font for every script and drop theme fonts (they win over names)."""
    rpr = style_or_rpr_owner.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)


def _doc_defaults(document) -> None:
    styles = document.styles.element
    fonts = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), BODY_FONT)


def _paragraph_styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    _set_font(normal, BODY_FONT)
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15

    for name, size, before in (("Heading 1", 16, 18), ("Heading 2", 13, 14), ("Heading 3", 11.5, 10)):
        style = styles[name]
        _set_font(style, BODY_FONT)
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = HEADING_COLOUR
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True

    title = styles["Title"]
    _set_font(title, BODY_FONT)
    title.font.size = Pt(26)
    title.font.color.rgb = HEADING_COLOUR
    title.paragraph_format.space_before = Pt(120)
    title.paragraph_format.space_after = Pt(12)
    _drop_borders(title)
    subtitle = styles["Subtitle"]
    _set_font(subtitle, BODY_FONT)
    subtitle.font.size = Pt(15)
    subtitle.font.italic = False
    subtitle.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    subtitle.paragraph_format.space_after = Pt(24)

    caption = styles["Caption"]
    _set_font(caption, BODY_FONT)
    caption.font.size = Pt(10)
    caption.font.bold = True
    caption.font.italic = False
    caption.font.color.rgb = RGBColor(0, 0, 0)
    caption.paragraph_format.space_before = Pt(12)
    caption.paragraph_format.space_after = Pt(4)
    # a table caption sits above its table and must not be left alone at a page foot
    caption.paragraph_format.keep_with_next = True

    for name in ("List Bullet", "List Number", "TOC Heading"):
        _set_font(styles[name], BODY_FONT)

    source = styles.add_style("Evalkit Source", WD_STYLE_TYPE.PARAGRAPH)
    source.base_style = normal
    source.font.size = Pt(9)
    source.font.italic = True
    source.paragraph_format.space_before = Pt(3)
    source.paragraph_format.space_after = Pt(12)

    code = styles.add_style("Evalkit Code", WD_STYLE_TYPE.PARAGRAPH)
    code.base_style = normal
    _set_font(code, CODE_FONT)
    code.font.size = Pt(8)
    code.paragraph_format.space_after = Pt(0)
    code.paragraph_format.line_spacing = 1.0

    for level in (1, 2, 3):
        toc = styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
        toc.base_style = normal
        toc.paragraph_format.left_indent = Cm(0.5 * (level - 1))
        toc.paragraph_format.space_after = Pt(2)


def _drop_borders(style) -> None:
    ppr = style.element.find(qn("w:pPr"))
    if ppr is not None:
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)


_TABLE_STYLE = f"""
<w:style {nsdecls('w')} w:type="table" w:customStyle="1" w:styleId="EvalkitTable">
  <w:name w:val="Evalkit Table"/>
  <w:basedOn w:val="TableNormal"/>
  <w:uiPriority w:val="40"/>
  <w:qFormat/>
  <w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>
  <w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>
  <w:tblPr>
    <w:tblBorders>
      <w:top w:val="single" w:sz="8" w:space="0" w:color="1F3A5F"/>
      <w:bottom w:val="single" w:sz="8" w:space="0" w:color="1F3A5F"/>
      <w:insideH w:val="single" w:sz="2" w:space="0" w:color="BFBFBF"/>
    </w:tblBorders>
    <w:tblCellMar>
      <w:top w:w="28" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>
      <w:bottom w:w="28" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>
    </w:tblCellMar>
  </w:tblPr>
  <w:tblStylePr w:type="firstRow">
    <w:rPr><w:b/><w:bCs/></w:rPr>
    <w:tblPr/>
    <w:tcPr>
      <w:tcBorders><w:bottom w:val="single" w:sz="8" w:space="0" w:color="1F3A5F"/></w:tcBorders>
      <w:shd w:val="clear" w:color="auto" w:fill="E7ECF2"/>
    </w:tcPr>
  </w:tblStylePr>
  <w:tblStylePr w:type="lastRow">
    <w:rPr><w:b/><w:bCs/></w:rPr>
  </w:tblStylePr>
</w:style>
"""


def _table_style(document) -> None:
    document.styles.element.append(parse_xml(_TABLE_STYLE))


def _page_setup(document) -> None:
    for section in document.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.5)
        section.header_distance = section.footer_distance = Cm(1.25)
        footer = section.footer
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        paragraph.style = document.styles["Footer"]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_page_field(paragraph)


def add_page_field(paragraph) -> None:
    """Append a PAGE field (the current page number) to ``paragraph``."""
    for xml in (
        f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
        f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="separate"/></w:r>',
        f'<w:r {nsdecls("w")}><w:t>1</w:t></w:r>',
        f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>',
    ):
        paragraph._p.append(parse_xml(xml))


def _clear_body(document) -> None:
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def build_template(path: str | Path = TEMPLATE_PATH) -> Path:
    """Write the house template to ``path`` and return the path."""
    document = docx.Document()
    _clear_body(document)
    _doc_defaults(document)
    _paragraph_styles(document)
    _table_style(document)
    _page_setup(document)
    core = document.core_properties
    core.title, core.author, core.last_modified_by = "evalkit template", "evalkit", "evalkit"
    core.comments = "Generated by python -m evalkit.report._template"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


if __name__ == "__main__":  # pragma: no cover
    print(build_template())
