"""REFI-QDA sources beyond plain TextSources: bare file names, PDFSource through its plain-text Representation,
PDFSelection rectangles, pictures/audio/video, and everything not imported listed in ``report.skipped``.

The generated project is shaped like the real MAXQDA 24 export in ../shared/fixtures/real/refi_qda (lower-case
``sources/``, upper-case GUIDs, codes with colour and Description, origin "MAXQDA 24 (Release 24.7.0)"), with the
PDF and media elements of Project.xsd (ecosystem.md §A3) added; the real exports are checked at the end.
"""
from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from evalkit import i18n
from evalkit.errors import DataWarning
from evalkit.io.codings import load_codings
from evalkit.io.refi_write import validate_refi, write_qdpx
from evalkit.provenance import record_of

G = [f"{i:08X}-5296-4FDE-8C63-{i:012X}" for i in range(1, 60)]  # MAXQDA writes upper-case GUIDs
g = [x.lower() for x in G]
TEXT = "Intervju med handläggare\nVi började med IBIC förra året.\nNu är målen tydligare.\n"
PDF_TEXT = "Riktlinje för biståndshandläggning\nSida 1: Syfte\nBeslut ska följas upp inom tre månader.\n"
USER = G[50]


def _sel(guid: str, text: str, piece: str, coding: str, code: str = G[0], name: str | None = None) -> str:
    a = text.index(piece)
    return (f'<PlainTextSelection guid="{guid}" name="{piece if name is None else name}" startPosition="{a}" '
            f'endPosition="{a + len(piece)}" creatingUser="{USER}">'
            f'<Coding guid="{coding}" creatingUser="{USER}"><CodeRef targetGUID="{code}"/></Coding>'
            '</PlainTextSelection>')


def _coding(guid: str, code: str = G[0]) -> str:
    return f'<Coding guid="{guid}" creatingUser="{USER}"><CodeRef targetGUID="{code}"/></Coding>'


def _maxqda_like(tmp_path: Path, text_ref: str = f"internal://{G[10]}.txt", folder: str = "sources") -> Path:
    body = (
        f'<Users><User guid="{USER}" name="anna"/></Users>'
        f'<CodeBook><Codes><Code guid="{G[0]}" name="Uppföljning" isCodable="true" color="#ff0000">'
        '<Description>Beslut följs upp</Description></Code>'
        f'<Code guid="{G[1]}" name="Mål" isCodable="true" color="#00ff00"><Description>Mål i planen</Description>'
        '</Code></Codes></CodeBook>'
        f'<Variables><Variable guid="{G[2]}" name="grupp" typeOfVariable="Text"/></Variables>'
        f'<Cases><Case guid="{G[3]}" name="Dokument"><CodeRef targetGUID="{G[0]}"/>'
        f'<SourceRef targetGUID="{G[20]}"/><SourceRef targetGUID="{G[21]}"/></Case></Cases>'
        '<Sources>'
        # 1: a text source (interview), one coded selection, one annotation (no Coding), one NoteRef
        f'<TextSource guid="{G[10]}" name="Intervju 1" plainTextPath="{text_ref}" creatingUser="{USER}">'
        + _sel(G[11], TEXT, "började med IBIC", G[12], G[1])
        + f'<PlainTextSelection guid="{G[13]}" name="" startPosition="0" endPosition="8">'
          '<Description>Kommentar om inledningen</Description></PlainTextSelection>'
        f'<NoteRef targetGUID="{G[40]}"/>'
        f'<VariableValue><VariableRef targetGUID="{G[2]}"/><TextValue>handläggare</TextValue></VariableValue>'
        '</TextSource>'
        # 2: a PDF with its plain-text representation (bare file name, as the qc tool writes it)
        f'<PDFSource guid="{G[20]}" name="riktlinje.pdf" path="internal://{G[20]}.pdf">'
        f'<PDFSelection guid="{G[24]}" name="ruta" page="1" firstX="10" firstY="20" secondX="300" secondY="60">'
        f'<Representation guid="{G[25]}"><PlainTextContent>Beslut ska följas upp</PlainTextContent>'
        '</Representation>' + _coding(G[26]) + '</PDFSelection>'
        f'<PDFSelection guid="{G[27]}" name="bild" page="2" firstX="0" firstY="0" secondX="100" secondY="100">'
        + _coding(G[28]) + _coding(G[29], G[1]) + '</PDFSelection>'
        f'<Representation guid="{G[21]}" plainTextPath="{G[21]}.txt">'
        + _sel(G[22], PDF_TEXT, "inom tre månader", G[23])
        + '</Representation>' + _coding(G[30], G[1])
        + f'<VariableValue><VariableRef targetGUID="{G[2]}"/><TextValue>riktlinje</TextValue></VariableValue>'
        '</PDFSource>'
        # 3-5: media sources with their own selections
        f'<PictureSource guid="{G[31]}" name="karta.png" path="internal://{G[31]}.png">'
        f'<PictureSelection guid="{G[32]}" name="del" firstX="1" firstY="1" secondX="5" secondY="5">'
        + _coding(G[33]) + '</PictureSelection></PictureSource>'
        f'<AudioSource guid="{G[34]}" name="intervju2.m4a" path="internal://{G[34]}.m4a">'
        f'<Transcript guid="{G[35]}" plainTextPath="internal://{G[35]}.txt"/>'
        f'<AudioSelection guid="{G[36]}" name="bit" begin="0" end="1000">' + _coding(G[37]) + '</AudioSelection>'
        '</AudioSource>'
        f'<VideoSource guid="{G[38]}" name="film.mp4" path="internal://{G[38]}.mp4"/>'
        f'<ThreeDSource guid="{G[39]}" name="okänd"/>'
        '</Sources>'
        f'<Notes><Note guid="{G[40]}" name="Memo"><PlainTextContent>Memo om intervjun</PlainTextContent>'
        f'<PlainTextSelection guid="{G[41]}" name="Memo" startPosition="0" endPosition="4">' + _coding(G[42])
        + '</PlainTextSelection></Note></Notes>'
        f'<Links><Link guid="{G[43]}" name="l" direction="OneWay" originGUID="{G[40]}" targetGUID="{G[11]}"/></Links>'
        f'<Sets><Set guid="{G[44]}" name="Riktlinjer"><MemberSource targetGUID="{G[20]}"/></Set></Sets>'
        f'<Description>Projekt om IBIC</Description>')
    xml = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" '
           f'name="IBIC-utvärdering" origin="MAXQDA 24 (Release 24.7.0)">{body}</Project>')
    path = tmp_path / "maxqda_like.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", xml.encode("utf-8"))
        zf.writestr(f"{folder}/{G[10]}.txt", TEXT.encode("utf-8"))
        zf.writestr(f"{folder}/{G[21]}.txt", PDF_TEXT.encode("utf-8"))
        zf.writestr(f"{folder}/{G[20]}.pdf", b"%PDF-1.4 not read")
    return path


@pytest.fixture
def project(tmp_path):
    with pytest.warns(DataWarning, match="5 coding"):
        return load_codings(_maxqda_like(tmp_path))


def test_sources_keep_their_kind_and_the_pdf_reads_through_its_representation(project):
    src = project.sources.set_index("source_guid")
    assert list(project.sources["kind"]) == ["text", "pdf", "picture", "audio", "video"]
    assert src.loc[g[10], "text"] == TEXT and src.loc[g[20], "text"] == PDF_TEXT
    assert src.loc[[g[31], g[34], g[38]], "text"].isna().all()
    assert project.source_attributes().loc[g[20], "grupp"] == "riktlinje"


def test_pdf_selections_become_segments_like_text_ones(project):
    seg = project.segments.set_index("segment_guid")
    on_text = seg.loc[g[23]]
    assert (on_text["source_guid"], on_text["text"]) == (g[20], "inom tre månader")
    assert PDF_TEXT[on_text["start"]:on_text["end"]] == "inom tre månader"
    whole = seg.loc[g[30]]  # a coding of the whole PDF covers its whole text
    assert (whole["start"], whole["end"], whole["code_guid"]) == (0, len(PDF_TEXT), g[1])
    rect = seg.loc[g[26]]  # a rectangle with a text representation, found once in the PDF's text
    assert rect["selection_guid"] == g[24] and rect["text"] == "Beslut ska följas upp"
    assert PDF_TEXT[rect["start"]:rect["end"]] == "Beslut ska följas upp"
    assert project.report.offsets.set_index("source_guid").loc[g[20], "preview_match"] == 1


def test_pdf_rectangles_are_recorded_with_page_and_corners(project):
    pdf = project.report.pdf_selections.set_index("selection_guid")
    assert list(pdf["page"]) == [1, 2]
    assert tuple(pdf.loc[g[24], ["first_x", "first_y", "second_x", "second_y"]]) == (10, 20, 300, 60)
    assert list(pdf["imported"]) == [True, False] and list(pdf["located"]) == [True, False]
    assert list(pdf["codings"]) == [1, 2]


def test_everything_not_imported_is_listed_with_counts(project):
    sk = project.report.skipped
    got = {(r.element, r.count, r.codings) for r in sk.itertuples()}
    assert got == {
        ("PDFSelection in PDFSource", 1, 2),
        ("PictureSelection in PictureSource", 1, 1),
        ("Transcript in AudioSource", 1, 0),
        ("AudioSelection in AudioSource", 1, 1),
        ("ThreeDSource", 1, 0),
        ("PlainTextSelection in TextSource", 1, 0),
        ("NoteRef in TextSource", 1, 0),
        ("CodeRef in Case", 1, 0),
        ("Notes", 1, 1),
        ("Links", 1, 0),
        ("Sets", 1, 0),
        ("Description", 1, 0),
    }
    by = sk.set_index("element")
    assert by.loc["PDFSelection in PDFSource", "source_guid"] == g[20]
    assert "unknown source element" in by.loc["ThreeDSource", "reason"]
    assert pd.isna(by.loc["Notes", "source_guid"])
    assert "not imported:" in project.summary() and "PDFSelection in PDFSource (2 codings)" in project.summary()


def test_row_accounting_covers_every_coding(project):
    rec = record_of(project.segments)
    rec.check()
    assert rec.rows_read == 9 and rec.rows_kept == 4 and rec.rows_excluded == 5
    assert {e.reason.split(":")[0]: e.count for e in rec.exclusions} == {
        "<PDFSource/PDFSelection>": 2, "<PictureSource/PictureSelection>": 1,
        "<AudioSource/AudioSelection>": 1, "<Notes>": 1}
    # the report shows each reason in its language, the element path as it stands in the XML
    for e in rec.exclusions:
        for language in ("sv", "nb"):
            shown = i18n.reason(e.reason, language)
            assert shown != e.reason and shown.split(":")[0] == e.reason.split(":")[0]
    assert any(n.startswith("not imported:") for n in rec.notes)


def test_case_links_to_a_pdf_by_its_own_guid_or_its_representation(project):
    assert list(project.cases["source_guid"]) == [g[20], g[20]]


@pytest.mark.parametrize("ref, folder", [(f"{G[10]}.txt", "sources"), (f"{G[10]}.txt", "Sources"),
                                         (f"internal://{G[10]}.txt", "Sources"), (f"/{G[10]}.txt", "sources")])
def test_bare_file_names_resolve_inside_sources(tmp_path, ref, folder):
    with pytest.warns(DataWarning):
        c = load_codings(_maxqda_like(tmp_path, text_ref=ref, folder=folder))
    assert c.sources.set_index("source_guid").loc[g[10], "text"] == TEXT
    assert c.segments.set_index("segment_guid").loc[g[12], "text"] == "började med IBIC"


def test_bare_qde_reads_bare_names_from_its_sources_folder(tmp_path):
    packed = _maxqda_like(tmp_path, text_ref=f"{G[10]}.txt")
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(packed) as zf:
        zf.extractall(folder)
    with pytest.warns(DataWarning):
        c = load_codings(folder / "project.qde")
    assert c.sources.set_index("source_guid").loc[g[10], "text"] == TEXT


def test_project_without_skips_warns_nothing(tmp_path):
    xml = ('<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="QualCoder">'
           f'<CodeBook><Codes><Code guid="{G[0]}" name="A" isCodable="true"/></Codes></CodeBook>'
           f'<Sources><TextSource guid="{G[10]}" name="i" plainTextPath="internal://{G[10]}.txt">'
           + _sel(G[11], TEXT, "IBIC", G[12]) + '<Description/></TextSource></Sources></Project>')
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml)
        zf.writestr(f"Sources/{G[10]}.txt", TEXT)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        c = load_codings(path)
    assert c.report.skipped.empty and len(c.segments) == 1  # an empty <Description/> loses nothing


def test_written_project_keeps_pdf_and_media_sources(project, tmp_path):
    out = write_qdpx(project, tmp_path / "out.qdpx")
    with zipfile.ZipFile(out) as zf:
        assert validate_refi(zf.read("project.qde")) == []
    back = load_codings(out)
    assert list(back.sources["kind"]) == list(project.sources["kind"])
    pd.testing.assert_frame_equal(back.sources.drop(columns=["created", "creator"]),
                                  project.sources.drop(columns=["created", "creator"]), check_dtype=False)
    # every segment has offsets here; a whole-text coding comes back as a selection spanning the text
    cols = ["segment_guid", "source_guid", "code_guid", "coder", "start", "end", "text"]
    pd.testing.assert_frame_equal(back.segments[cols], project.segments[cols], check_dtype=False)
    had = project.segments["selection_guid"].notna()
    assert (back.segments.loc[had, "selection_guid"] == project.segments.loc[had, "selection_guid"]).all()


# ----------------------------------------------------------------------------- real exports
@pytest.mark.parametrize("name, sources, segments, skipped", [
    ("nvivo_win12_oltas.qdpx", 1, 97, set()),
    ("maxqda24_ICLS_Conf_Themes_just10.qdpx", 10, 0, {("Sets", 1, 0)}),
    ("atlasti23_win_target-atlas-project.qdpx", 0, 0, set()),
    ("atlasti23_win_blank-atlas-project.qdpx", 0, 0, set()),
    ("taguette141_codebook.qdc", 0, 0, set()),
])
def test_real_exports_list_what_they_skip(real_dir, name, sources, segments, skipped):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # none of them loses a coding
        c = load_codings(real_dir / "refi_qda" / name)
    assert (len(c.sources), len(c.segments)) == (sources, segments)
    assert {(r.element, r.count, r.codings) for r in c.report.skipped.itertuples()} == skipped
    assert c.report.pdf_selections.empty and set(c.sources["kind"]) <= {"text"}
    if segments:
        rec = record_of(c.segments)
        rec.check()
        assert rec.rows_excluded == 0
