"""Structure of the Word report and the Excel appendix: styles, fields, captions, suppression, determinism."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from docx.oxml.ns import qn

from evalkit.errors import ReportError
from evalkit.report import REQUIRED_STYLES, TEMPLATE, Report, TableSpec
from evalkit.report._report import FIXED_TIME
from tests.test_report_support import NNBSP, FakeResult, build_report

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FIGURE_CM = 12.0


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    out = {}
    for language in ("sv", "nb", "en"):
        path, xlsx = folder / f"r_{language}.docx", folder / f"r_{language}.xlsx"
        build_report(language, figure_width_cm=FIGURE_CM).save(path, xlsx=xlsx)
        out[language] = (path, xlsx)
    return out


def _body(path: Path):
    return docx.Document(str(path)).element.body


def _instr_texts(path: Path) -> list[str]:
    return [t.text.strip() for t in _body(path).iter(qn("w:instrText"))]


def _text(element) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def _style_of(p, document) -> str:
    ppr = p.find(qn("w:pPr"))
    sid = ppr.find(qn("w:pStyle")).get(qn("w:val")) if ppr is not None and ppr.find(qn("w:pStyle")) is not None \
        else "Normal"
    return document.styles.get_by_id(sid, docx.enum.style.WD_STYLE_TYPE.PARAGRAPH).name


def test_shipped_template_defines_every_style_used():
    document = docx.Document(str(TEMPLATE))
    names = {s.name for s in document.styles}
    for style in REQUIRED_STYLES + ("Evalkit Table", "Evalkit Source", "Evalkit Code"):
        assert style in names, style
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_every_style_referenced_in_the_report_exists(built):
    path, _ = built["sv"]
    document = docx.Document(str(path))
    ids = {s.style_id for s in document.styles}
    used = {e.get(qn("w:val")) for tag in ("w:pStyle", "w:tblStyle", "w:rStyle")
            for e in document.element.body.iter(qn(tag))}
    assert used and used <= ids, used - ids


def test_toc_field_and_update_fields_on_open(built):
    path, _ = built["sv"]
    assert 'TOC \\o "1-2" \\h \\z \\u' in _instr_texts(path)  # levels 1-2, entries cached
    settings = docx.Document(str(path)).settings.element
    update = settings.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"


@pytest.mark.parametrize("language, table, figure", [("sv", "Tabell", "Figur"), ("nb", "Tabell", "Figur"),
                                                      ("en", "Table", "Figure")])
def test_seq_caption_fields_in_each_language(built, language, table, figure):
    path, _ = built[language]
    instr = _instr_texts(path)
    assert f"SEQ {table} \\* ARABIC" in instr
    assert f"SEQ {figure} \\* ARABIC" in instr
    body = _body(path)
    captions = [_text(p) for p in body.iter(qn("w:p")) if p.find(qn("w:bookmarkStart")) is not None
                and p.find(qn("w:bookmarkStart")).get(qn("w:name")).startswith("_Ref")]
    assert f"{table} 1. " in captions[0]
    bookmarks = [b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))]
    # captions carry _Ref bookmarks, headings the _Toc bookmarks the table of contents links to
    assert bookmarks and all(b.startswith(("_Ref", "_Toc")) for b in bookmarks)
    assert any(b.startswith("_Ref") for b in bookmarks)
    assert len(set(bookmarks)) == len(bookmarks)
    ids = [b.get(qn("w:id")) for b in body.iter(qn("w:bookmarkStart"))]
    assert len(set(ids)) == len(ids)


def test_captions_above_tables_and_below_figures(built):
    path, _ = built["sv"]
    document = docx.Document(str(path))
    children = list(document.element.body)
    tables = [i for i, c in enumerate(children) if c.tag == qn("w:tbl")]
    assert len(tables) >= 5
    for i in tables:
        before = children[i - 1]
        assert _style_of(before, document) == "Caption"
        assert _text(before).startswith("Tabell ")
    pictures = [i for i, c in enumerate(children) if c.tag == qn("w:p") and list(c.iter(qn("w:drawing")))]
    assert len(pictures) == 1
    after = children[pictures[0] + 1]
    assert _style_of(after, document) == "Caption" and _text(after).startswith("Figur 1. ")
    # the source line follows the table it belongs to
    idx = next(i for i in tables if "Antal per enhet" in _text(children[i - 1]))
    assert _text(children[idx + 1]) == "Källa: Procapita"


def test_header_row_repeats_and_only_the_header(built):
    path, _ = built["sv"]
    for tbl in _body(path).iter(qn("w:tbl")):
        rows = tbl.findall(qn("w:tr"))
        flags = [r.find(qn("w:trPr")) is not None and r.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
                 for r in rows]
        assert flags[0] and not any(flags[1:])


def test_picture_has_the_requested_width(built):
    path, _ = built["sv"]
    extents = list(_body(path).iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"))
    assert [int(e.get("cx")) for e in extents] == [int(FIGURE_CM * 360000)]


def test_page_number_field_in_the_footer(built):
    path, _ = built["sv"]
    footer = docx.Document(str(path)).sections[0].footer
    assert "PAGE" in [t.text.strip() for t in footer._element.iter(qn("w:instrText"))]


def test_structure_and_text_in_swedish(built):
    path, _ = built["sv"]
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Sammanfattning", "Bakgrund", "Metod och material", "Resultat", "Slutsatser", "Referenser",
                        "Bilagor"]
    text = "\n".join(p.text for p in document.paragraphs)
    # summary from the result's sentences, with local number formats
    assert "Handläggningstid: Handläggningstiden ändrades med \u22124,8 (\u22127,5 till \u22122,1) dagar." in text
    # the method sentence cites the works that describe the methods it names
    assert "Segmenterad regression (Bernal m.fl. 2017) med Newey–West-standardfel (Newey och West 1987)." in text
    assert "beslut.csv: 100 rader lästa, 97 behållna och 3 exkluderade." in text
    assert "Antal från 1 till och med 4 redovisas" in text and "mindre än 30" in text
    assert "[Utvärderarens slutsatser" in text
    assert "Samtliga tabeller finns också i Excel-bilagan r_sv.xlsx." in text
    assert "[evaluation]" in text and "ab" * 32 in "".join(_text(t) for t in document.element.body.iter(qn("w:tbl")))


def test_headings_in_norwegian_and_english(built):
    for language, expected in (("nb", ["Sammendrag", "Bakgrunn", "Metode og materiale", "Resultater",
                                       "Konklusjoner", "Referanser", "Vedlegg"]),
                               ("en", ["Summary", "Background", "Methods and material", "Results",
                                       "Conclusions", "References", "Appendices"])):
        document = docx.Document(str(built[language][0]))
        assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == expected


def _table_cells(path: Path, caption: str) -> list[list[str]]:
    children = list(_body(path))
    for i, child in enumerate(children):
        if child.tag == qn("w:tbl") and caption in _text(children[i - 1]):
            return [[_text(tc) for tc in tr.findall(qn("w:tc"))] for tr in child.findall(qn("w:tr"))]
    raise AssertionError(f"no table captioned {caption!r}")


def test_suppression_applied_in_word_tables(built):
    cells = _table_cells(built["sv"][0], "Beslut per område")
    assert cells[0] == ["Område", "Beviljade", "Avslag", "Totalt", "Andel beviljade"]
    # Norr: 3 hidden, 10 hidden by secondary suppression; Väst: 40 (column) and 12 (row) follow
    assert cells[1] == ["Norr", "..", "..", "13", ".."]
    assert cells[2] == ["Söder", f"12{NNBSP}800", "25", f"12{NNBSP}825", "100\u00a0%"]
    assert cells[3] == ["Väst", "..", "..", "52", ".."]
    assert cells[4][0] == "Totalt" and cells[4][1] == f"12{NNBSP}843"
    assert _table_cells(built["sv"][0], "Antal per enhet")[2] == ["B", ".."]


def test_english_tables_use_english_number_format(built):
    cells = _table_cells(built["en"][0], "Beslut per område")
    assert cells[2] == ["Söder", "12,800", "25", "12,825", "100%"]
    dates = _table_cells(built["nb"][0], "Median per månad")
    assert dates[1] == ["01.01.2017", "21,50"]


def test_xlsx_holds_every_table_suppressed_with_number_formats(built):
    path, xlsx = built["sv"]
    n_tables = len(list(_body(path).iter(qn("w:tbl"))))
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[0] == "Innehåll"
    assert wb.sheetnames[1:] == [f"Tabell {i}" for i in range(1, n_tables + 1)]
    contents = wb["Innehåll"]
    assert contents["A4"].value == "Tabell 1" and "Tabell 1" in str(contents["A4"].hyperlink.location or
                                                                    contents["A4"].hyperlink.target)
    ws = wb["Tabell 1"]
    assert ws["A1"].value == "Tabell 1. Beslut per område"
    assert ws.freeze_panes == "A4"
    assert [c.value for c in ws[3]] == ["Område", "Beviljade", "Avslag", "Totalt", "Andel beviljade"]
    assert [c.value for c in ws[4]] == ["Norr", "..", "..", 13, ".."]
    soder = ws[5]
    assert soder[1].value == 12800 and isinstance(soder[1].value, int)
    assert soder[1].number_format == "#,##0"
    assert soder[4].value == pytest.approx(12800 / 12825) and soder[4].number_format == "0%"
    detail = wb["Tabell 3"]
    assert detail["A1"].value == "Tabell 3. Median per månad"
    assert detail["B4"].value == 21.5 and detail["B4"].number_format == "#,##0.00"
    assert detail["A4"].number_format == "yyyy-mm-dd"


def test_two_builds_are_byte_identical(built, tmp_path):
    path, xlsx = built["sv"]
    again, again_x = tmp_path / path.name, tmp_path / xlsx.name
    build_report("sv", figure_width_cm=FIGURE_CM).save(again, xlsx=again_x)
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(again) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")
    assert again.read_bytes() == path.read_bytes()
    assert again_x.read_bytes() == xlsx.read_bytes()


def test_different_numbers_give_a_different_document(built, tmp_path):
    report = build_report("sv", figure_width_cm=FIGURE_CM, thresholds=(3, 30))
    out = tmp_path / "r_sv.docx"
    report.save(out, xlsx=tmp_path / "r_sv.xlsx")
    assert out.read_bytes() != built["sv"][0].read_bytes()
    assert _table_cells(out, "Antal per enhet")[2] == ["B", "4"]


def test_core_properties_are_fixed(built):
    core = docx.Document(str(built["sv"][0])).core_properties
    assert core.created == FIXED_TIME.replace(tzinfo=core.created.tzinfo)
    assert core.modified == core.created
    assert core.title == "Införandet av IBIC i Exempelkommun"


def test_user_template_missing_styles_is_refused_by_name(tmp_path):
    document = docx.Document()
    styles = document.styles.element
    for style in list(styles):
        name = style.find(qn("w:name"))
        if name is not None and name.get(qn("w:val")) in ("caption", "List Number"):
            styles.remove(style)
    template = tmp_path / "kommun.docx"
    document.save(str(template))
    report = Report("T", template=template)
    with pytest.raises(ReportError, match="Caption.*List Number"):
        report.save(tmp_path / "out.docx")
    assert not (tmp_path / "out.docx").exists()


def test_user_template_with_table_grid_works(tmp_path):
    template = tmp_path / "plain.docx"
    docx.Document().save(str(template))
    out = tmp_path / "out.docx"
    build_report("sv", template=template).save(out)
    document = docx.Document(str(out))
    styles = {e.get(qn("w:val")) for e in document.element.body.iter(qn("w:tblStyle"))}
    assert styles == {"TableGrid"}
    # python-docx's default document has no page number: the renderer adds one
    footer = document.sections[0].footer
    assert "PAGE" in [t.text.strip() for t in footer._element.iter(qn("w:instrText"))]
    # the house "Source" style is absent here: the source line is still written, in italics
    source = next(p for p in document.paragraphs if p.text == "Källa: Procapita")
    assert source.runs[0].italic


def test_failed_build_leaves_no_file_and_keeps_the_old_one(tmp_path):
    class Broken(FakeResult):
        def plot(self):
            fig = super().plot()
            fig.axes[0].set_title(r"$\undefinedcommand{x}$")  # fails only when drawn, i.e. at save
            return fig

    out = tmp_path / "r.docx"
    out.write_bytes(b"old report")
    report = Report("T")
    report.add(Broken())
    with pytest.raises(ReportError, match="could not draw a figure"):
        report.save(out, xlsx=tmp_path / "r.xlsx")
    assert out.read_bytes() == b"old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.docx"]


def test_missing_output_folder_is_a_report_error(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        Report("T").save(tmp_path / "nowhere" / "r.docx")


def test_figure_is_withheld_when_its_numbers_are_too_small(tmp_path):
    import matplotlib.pyplot as plt

    from evalkit.report import Figure

    fig, ax = plt.subplots()
    ax.bar(["A", "B"], [40, 3])
    data = pd.DataFrame({"unit": ["A", "B"], "n": [40, 3]})
    report = Report("T", language="en")
    report.add(Figure(fig, "Cases per unit", data=data, spec=TableSpec(counts=("n",))))
    out = tmp_path / "r.docx"
    report.save(out)
    plt.close(fig)
    document = docx.Document(str(out))
    assert not list(document.element.body.iter(qn("w:drawing")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "The figure is not shown because it rests on numbers that are too small" in text
    assert "Figure 1. Cases per unit" in text


def test_add_refuses_what_it_cannot_render():
    report = Report("T")
    with pytest.raises(ReportError, match="caption"):
        report.add(pd.DataFrame({"a": [1]}))
    with pytest.raises(ReportError, match="cannot add"):
        report.add(42)
    with pytest.raises(ReportError, match="no section"):
        report.add("text", section="nonsense")
    with pytest.raises(ReportError, match="summary"):
        report.add("text", section="summary")
    with pytest.raises(ReportError, match="language"):
        Report("T", language="de")


def test_to_frame_fallback_and_custom_section_order(tmp_path):
    class Minimal:
        title = "Enkel"

        def to_frame(self):
            return pd.DataFrame({"estimate": [0.891], "ci_low": [0.842], "ci_high": [0.931]})

    report = Report("T")
    report.add(Minimal())
    report.add_section("discussion", "Diskussion", ["Resultaten tolkas försiktigt."])
    blocks = report.blocks()
    headings = [b.text for b in blocks if type(b).__name__ == "Heading" and b.level == 1]
    assert headings == ["Metod och material", "Resultat", "Diskussion", "Slutsatser", "Referenser", "Bilagor"]
    out = tmp_path / "m.docx"
    report.save(out)
    assert _table_cells(out, "Enkel")[1] == ["0,89", "0,84", "0,93"]


def test_figures_drawn_in_worker_processes_are_the_same_bytes():
    import matplotlib.pyplot as plt

    from evalkit.report._figures import render_all

    figures = [FakeResult().plot() for _ in range(4)]
    figures[1].axes[0].set_title("annan")
    serial = render_all(figures, dpi=50, workers=1)
    parallel = render_all(figures, dpi=50, workers=2)
    for f in figures:
        plt.close(f)
    assert serial == parallel
    assert serial[0] == serial[2] != serial[1]
    assert all(png.startswith(b"\x89PNG") and b"Software" not in png for png in serial)


def test_figures_drawn_early_in_a_child_are_the_same_bytes_and_a_failed_child_falls_back():
    """EarlyRenders: a figure drawn in a forked child while the report is built is the PNG render_all draws."""
    import multiprocessing

    import matplotlib.pyplot as plt

    from evalkit.report._figures import EarlyRenders, figure_png, render_all

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("early drawing needs fork")
    figures = [FakeResult().plot() for _ in range(3)]
    figures[1].axes[0].set_title("annan")
    early = EarlyRenders(dpi=50)
    for f in figures:
        early.add(f)
        assert id(f) in early.collect([f], 50)  # drawn by the child
    assert early.collect(figures, 60) == {}  # drawn at another dpi: not reused
    assert render_all(figures, dpi=50, workers=1, early=early) == [figure_png(f, 50) for f in figures]
    bad = plt.figure()
    bad.text(0.5, 0.5, r"$\frac{1}$")  # mathtext that cannot be drawn
    early.add(bad)
    assert early.collect([bad], 50) == {}  # the child failed: nothing collected …
    with pytest.raises(ReportError):  # … and the parent draws it, raising as without early drawing
        render_all([bad], dpi=50, workers=1, early=early)
    for f in [*figures, bad]:
        plt.close(f)


def test_p_value_columns_are_written_as_p_values(tmp_path):
    frame = pd.DataFrame({"effect": ["level", "slope"], "estimate": [0.893, 1.0004], "p_value": [0.00002, 0.7312]})
    report = Report("T")
    report.add(frame, title="Effekter")
    out, xlsx = tmp_path / "p.docx", tmp_path / "p.xlsx"
    report.save(out, xlsx=xlsx)
    assert _table_cells(out, "Effekter")[1:] == [["level", "0,89", "<0,001"], ["slope", "1,00", "0,731"]]
    ws = openpyxl.load_workbook(xlsx)["Tabell 1"]
    assert ws["C4"].value == pytest.approx(0.00002) and ws["C4"].number_format == "0.000"


def test_numbers_in_a_mixed_text_column_are_written_the_local_way():
    from evalkit.blocks import Table, TableSpec
    from evalkit.report._format import format_table

    frame = pd.DataFrame({"Mått": ["Perioder", "Durbin–Watson", "Autokorrelation"],
                          "Värde": ["45 / 27", 2.3456, -0.19]}).astype({"Värde": object})
    out = format_table(Table(frame, "Modellkontroll", TableSpec()), "sv", (5, 30))
    assert [row[1] for row in out.text] == ["45 / 27", "2,35", "\u22120,19"]
    assert out.values[1][1] == 2.3456  # Excel keeps the number
    out_en = format_table(Table(frame, "Model checks", TableSpec()), "en", (5, 30))
    assert out_en.text[2][1] == "-0.19"
