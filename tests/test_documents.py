"""Governing documents: reading PDF/DOCX/ODT/text with page and paragraph anchors, the identity-number gate,
broken and hostile files, the round trip through a REFI-QDA project, mention search and intended vs enacted."""
from __future__ import annotations

import io
import zipfile
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.analysis.documents import find_mentions, intended_vs_enacted, stem
from evalkit.io.documents import load_documents, page_at, segment_anchors
from evalkit.io.refi_write import validate_refi

from .conftest import SAMPLE

DOCS = SAMPLE / "styrdokument"
META = SAMPLE / "styrdokument.toml"
PNR = "640823-3234"  # a valid personnummer (Luhn) used throughout evalkit's tests
TERMS = {"goal_recorded": {"sv": ["mål"], "nb": ["mål"]},
         "own_view_recorded": {"sv": ["egen uppfattning"], "nb": ["egen oppfatning"]},
         "needs_by_life_area": {"sv": ["livsområde", "ICF"], "nb": ["livsområde"]},
         "follow_up_planned": {"sv": ["uppföljning", "följa upp"], "nb": ["oppfølging", "følge opp"]}}


def _docx(path, pages, *, subject=None, table=None):
    from docx import Document

    d = Document()
    if subject:
        d.core_properties.subject = subject
    for i, page in enumerate(pages):
        if i:
            d.add_page_break()
        for text in page:
            if text.startswith("# "):
                d.add_heading(text[2:], level=1)
            else:
                d.add_paragraph(text)
    if table:
        t = d.add_table(rows=1, cols=len(table))
        for cell, text in zip(t.rows[0].cells, table):
            cell.text = text
    d.save(path)
    return path


# ----------------------------------------------------------------------------- reading
def test_docx_pages_paragraphs_headings_and_tables(tmp_path):
    p = _docx(tmp_path / "rutin.docx", [["# Inledning", "Första stycket."], ["# Uppföljning", "Andra sidan."]],
              table=["Cell ett", "Cell två"])
    docs = load_documents(p)
    a = docs.anchors
    assert a["page"].tolist() == [1, 1, 2, 2, 2, 2]
    assert a["paragraph"].tolist() == [1, 2, 3, 4, 5, 6]
    assert a["is_heading"].tolist() == [True, False, True, False, False, False]
    assert a["heading"].tolist()[3] == "Uppföljning"
    text = docs.text("rutin.docx")
    assert text == "Inledning\nFörsta stycket.\fUppföljning\nAndra sidan.\nCell ett\nCell två"
    for r in a.to_dict("records"):  # every anchor's span is its paragraph, on the page it claims
        assert "\n" not in text[r["start"]:r["end"]] and page_at(text, r["start"]) == r["page"]
    assert docs.sources["kind"].tolist() == ["text"]
    assert docs.documents["pages"].tolist() == [2]


def test_pdf_pages_and_paragraphs_follow_the_rendered_layout():
    docs = load_documents(DOCS / "namndbeslut_2016-11-22_ibic.pdf")
    a = docs.anchors
    text = docs.text("namndbeslut_2016-11-22_ibic.pdf")
    paras = [text[s:e] for s, e in zip(a["start"], a["end"])]
    # the DOCX it was converted from has 5 paragraphs on page 1 and 4 on page 2; the heading's wrapped line
    # and the date broken at its hyphen are joined again
    assert a.groupby("page").size().tolist() == [5, 4]
    assert paras[0] == "Protokollsutdrag, Vård- och omsorgsnämnden, 2016-11-22"
    assert paras[1] == "§ 87 Införande av arbetssättet Individens behov i centrum (IBIC)"
    assert a["is_heading"].tolist() == [True, True, False, False, False, True, False, False, False]
    assert paras[6] == ("Varje beslut ska innehålla ett mål för insatsen som är formulerat tillsammans med den "
                        "enskilde.")
    assert docs.sources["kind"].tolist() == ["pdf"]


def test_odt_pages_from_explicit_breaks_and_text_pages(tmp_path):
    docs = load_documents(DOCS / "riktlinje_bistand_2014.odt")
    a = docs.anchors
    assert a["page"].tolist() == [1, 1, 1, 2, 2]
    assert a.loc[a["page"] == 2, "heading"].iloc[0] == "Dokumentation"
    txt = tmp_path / "anteckning.txt"
    txt.write_text("\ufeffRubrik\r\n\r\nEtt stycke\r\növer två rader.\fSida två.", encoding="utf-8")
    t = load_documents(txt)
    assert t.text("anteckning.txt") == "Rubrik\nEtt stycke över två rader.\fSida två."
    assert t.anchors["page"].tolist() == [1, 1, 2]


def test_metadata_from_meta_file_and_from_the_document():
    with pytest.warns(ek.DataWarning, match="not among the documents"):
        one = load_documents(DOCS / "handbok_ibic_2019.docx", meta=META)
    d = one.documents.iloc[0]
    # not in the meta file: the DOCX core properties give type, date and issuer
    assert (d["doc_type"], d["date"], d["issuer"]) == ("manual", pd.Timestamp("2019-05-02"),
                                                       "Förvaltningen för vård och omsorg")
    docs = load_documents(DOCS, meta=META)
    row = docs.documents.set_index("file").loc["namndbeslut_2016-11-22_ibic.pdf"]
    assert (row["doc_type"], row["date"], row["in_force"]) == ("decision", pd.Timestamp("2016-11-22"),
                                                               pd.Timestamp("2017-01-01"))
    assert docs.documents["file"].tolist() == sorted(p.name for p in DOCS.iterdir())
    att = docs.attributes()
    assert set(att["variable"]) >= {"document_type", "date", "in_force", "issuer", "title"}
    # without meta: PDF /Title, /Author, /CreationDate and ODT dc:title, initial-creator, creation-date
    bare = load_documents([DOCS / "namndbeslut_2016-11-22_ibic.pdf", DOCS / "riktlinje_bistand_2014.odt"])
    got = bare.documents.set_index("file")[["title", "issuer", "date", "doc_type"]].to_dict("index")
    assert got["namndbeslut_2016-11-22_ibic.pdf"] == {
        "title": "Protokollsutdrag § 87: Införande av IBIC", "issuer": "Vård- och omsorgsnämnden",
        "date": pd.Timestamp("2016-11-22"), "doc_type": "other"}  # a PDF has no field for the type
    assert got["riktlinje_bistand_2014.odt"]["date"] == pd.Timestamp("2014-06-10")
    assert got["riktlinje_bistand_2014.odt"]["issuer"] == "Vård- och omsorgsnämnden"


def test_meta_dict_with_swedish_type_names_and_bad_entries(tmp_path):
    p = _docx(tmp_path / "beslut.docx", [["Text."]])
    docs = load_documents(p, meta={"beslut": {"type": "Nämndbeslut", "date": "2016-11-22", "issuer": "VON"}})
    assert docs.documents["doc_type"].iloc[0] == "decision"
    with pytest.raises(ek.DataError, match="document type 'memo' is not known"):
        load_documents(p, meta={"beslut.docx": {"type": "memo"}})
    with pytest.raises(ek.DataError, match="unknown key"):
        load_documents(p, meta={"beslut.docx": {"datum": "2016-11-22"}})


# ----------------------------------------------------------------------------- privacy gate
def test_identity_number_in_text_names_document_page_paragraph_and_kind(tmp_path):
    p = _docx(tmp_path / "rutin.docx", [["Inledning."], ["Exempel:", f"Ärendet gäller {PNR} och hennes make."]])
    with pytest.raises(ek.IdentifierError) as err:
        load_documents([p, DOCS / "handbok_ibic_2019.docx"])
    msg = str(err.value)
    assert "rutin.docx" in msg and "page 2, paragraph 3" in msg and "personnummer" in msg
    assert PNR not in msg and PNR.replace("-", "") not in msg
    assert "handbok_ibic_2019.docx" not in msg.split("\n", 1)[1]


def test_identity_number_in_metadata_is_refused_without_the_number(tmp_path):
    p = _docx(tmp_path / "rutin.docx", [["Inledning."]], subject=f"Ärende {PNR}")
    with pytest.raises(ek.IdentifierError, match="document metadata 'subject'") as err:
        load_documents(p)
    assert PNR not in str(err.value)
    q = _docx(tmp_path / "ok.docx", [["Inledning."]])
    with pytest.raises(ek.IdentifierError, match="meta 'ok.docx', key issuer"):
        load_documents(q, meta={"ok.docx": {"issuer": f"Handläggare {PNR}"}})


def test_a_file_name_holding_an_identity_number_is_refused_before_anything_names_it(tmp_path):
    bad = _docx(tmp_path / f"beslut_{PNR}.docx", [["Inledning."]])
    ok = _docx(tmp_path / "ok.docx", [["Inledning."]])
    with pytest.raises(ek.IdentifierError, match="file name") as err:
        load_documents([ok, bad])
    assert PNR not in str(err.value) and PNR.replace("-", "") not in str(err.value)
    (tmp_path / f"anteckning_{PNR}.rtf").write_bytes(b"{\\rtf1}")
    with pytest.raises(ek.DataError) as err:  # an unsupported file: the message withholds the name too
        load_documents(tmp_path / f"anteckning_{PNR}.rtf")
    assert PNR not in str(err.value)


# ----------------------------------------------------------------------------- broken and hostile files
def test_scanned_encrypted_and_broken_pdfs_are_data_errors(tmp_path):
    import pypdf

    w = pypdf.PdfWriter()
    w.add_blank_page(595, 842)
    w.write(tmp_path / "skannad.pdf")
    with pytest.raises(ek.DataError, match="no text layer.*OCR"):
        load_documents(tmp_path / "skannad.pdf")
    w = pypdf.PdfWriter(clone_from=DOCS / "rutin_handlaggning_ibic_2017.pdf")
    w.encrypt(user_password="hemligt", owner_password="x", algorithm="RC4-128")
    w.write(tmp_path / "krypterad.pdf")
    with pytest.raises(ek.DataError, match="encrypted and needs a password"):
        load_documents(tmp_path / "krypterad.pdf")
    w = pypdf.PdfWriter(clone_from=DOCS / "rutin_handlaggning_ibic_2017.pdf")
    w.encrypt(user_password="", owner_password="x", algorithm="RC4-128")  # "no printing" protection only
    w.write(tmp_path / "skyddad.pdf")
    assert load_documents(tmp_path / "skyddad.pdf").anchors["page"].max() == 3
    good = (DOCS / "rutin_handlaggning_ibic_2017.pdf").read_bytes()
    for name, data in (("avkortad.pdf", good[: len(good) // 3]), ("skräp.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50),
                       ("tom.pdf", b"")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ek.DataError) as err:
            load_documents(tmp_path / name)
        assert name in str(err.value)


def test_aes_without_cryptography_says_what_to_install(tmp_path, monkeypatch):
    import pypdf

    w = pypdf.PdfWriter(clone_from=DOCS / "rutin_handlaggning_ibic_2017.pdf")
    w.encrypt(user_password="", owner_password="x", algorithm="RC4-128")
    w.write(tmp_path / "aes.pdf")

    def needs_cryptography(self, password):  # what pypdf raises for AES when cryptography is missing
        raise pypdf.errors.DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", needs_cryptography)
    with pytest.raises(ek.DataError, match="encrypted with AES.*pip install cryptography"):
        load_documents(tmp_path / "aes.pdf")


def test_broken_docx_odt_and_entity_xml_are_data_errors(tmp_path):
    (tmp_path / "trasig.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ek.DataError, match="trasig.docx: not a readable DOCX"):
        load_documents(tmp_path / "trasig.docx")
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with zipfile.ZipFile(tmp_path / "entitet.odt", "w") as zf:
        zf.writestr("content.xml", bomb)
    with pytest.raises(ek.DataError, match="entitet.odt: not a readable ODT"):
        load_documents(tmp_path / "entitet.odt")
    with zipfile.ZipFile(tmp_path / "utan.odt", "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    with pytest.raises(ek.DataError, match="no content.xml inside"):
        load_documents(tmp_path / "utan.odt")
    (tmp_path / "latin1.txt").write_bytes("Uppföljning".encode("latin-1"))
    with pytest.raises(ek.DataError, match="not UTF-8"):
        load_documents(tmp_path / "latin1.txt")
    (tmp_path / "gammal.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ek.DataError, match="save it as .docx"):
        load_documents(tmp_path / "gammal.doc")


def test_limits(tmp_path):
    with pytest.raises(ek.DataError, match="3 pages, more than the limit of 2"):
        load_documents(DOCS / "rutin_handlaggning_ibic_2017.pdf", limits={"max_pages": 2})
    with pytest.raises(ek.DataError, match="max_file_bytes"):
        load_documents(DOCS / "handbok_ibic_2019.docx", limits={"max_file_bytes": 1000})
    with pytest.raises(ek.DataError, match="max_chars"):
        load_documents(DOCS / "handbok_ibic_2019.docx", limits={"max_chars": 100})
    # a DOCX whose document.xml inflates far beyond its compressed size
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<w:document>" + b" " * (3 * 1024 * 1024) + b"</w:document>")
    (tmp_path / "bomb.docx").write_bytes(buf.getvalue())
    with pytest.raises(ek.DataError, match="would inflate"):
        load_documents(tmp_path / "bomb.docx")


# ----------------------------------------------------------------------------- round trip through REFI-QDA
def _add_coding(qdpx, source_guid, start, end, code_guid, text):
    """Add a PlainTextSelection with one Coding to a source, as a QDA tool does when a user codes a passage."""
    ns = "urn:QDA-XML:project:1.0"
    with zipfile.ZipFile(qdpx) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    root = ET.fromstring(members["project.qde"])
    src = next(el for el in root.iter() if el.get("guid") == source_guid)
    target = src.find(f"{{{ns}}}Representation")
    target = src if target is None else target
    sel = ET.SubElement(target, f"{{{ns}}}PlainTextSelection",
                        {"guid": "0b6c3c1e-8a3f-4f0e-9d61-3f5d8c2a7b10" if end % 2 else
                         "0b6c3c1e-8a3f-4f0e-9d61-3f5d8c2a7b11", "name": text[:20],
                         "startPosition": str(start), "endPosition": str(end)})
    coding = ET.SubElement(sel, f"{{{ns}}}Coding", {"guid": f"1c7d4d2f-9b40-4a1f-8e72-4a6e9d3b8c{end % 100:02d}"})
    ET.SubElement(coding, f"{{{ns}}}CodeRef", {"targetGUID": code_guid})
    ET.register_namespace("", ns)
    members["project.qde"] = ET.tostring(root, xml_declaration=True, encoding="utf-8")
    with zipfile.ZipFile(qdpx, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def test_round_trip_write_code_in_a_tool_read_back_keeps_pages(tmp_path):
    docs = load_documents(DOCS, meta=META)
    interviews = ek.load_codings(SAMPLE / "intervjuer.qdpx")
    path = ek.write_qdpx(docs.to_codings(codebook=interviews), tmp_path / "styrdokument.qdpx")
    xml = zipfile.ZipFile(path).read("project.qde")
    assert validate_refi(xml) == []
    assert xml.count(b"<PDFSource") == 2 and xml.count(b"<TextSource") == 2
    guid = docs.documents.set_index("file").loc["namndbeslut_2016-11-22_ibic.pdf", "source_guid"]
    text = docs.text(guid)
    a = text.index("Insatserna ska ha en uppföljning")
    b = a + len("Insatserna ska ha en uppföljning minst en gång per år.")
    code = interviews.code_guid("Mål dokumenteras")
    _add_coding(path, guid, a, b, code, text[a:b])
    back = ek.load_codings(path)
    assert back.sources.set_index("source_guid").loc[guid, "kind"] == "pdf"
    assert back.sources.set_index("source_guid").loc[guid, "text"] == text  # form feeds survive
    seg = segment_anchors(back)
    assert len(seg) == 1
    assert int(seg["page"].iloc[0]) == 2 == docs.locate(guid, a)["page"]
    assert int(seg["paragraph"].iloc[0]) == docs.locate(guid, a)["paragraph"] == 8
    assert page_at(text, a) == 2
    assert seg["text"].iloc[0] == "Insatserna ska ha en uppföljning minst en gång per år."
    att = back.source_attributes()
    assert att.loc[guid, "document_type"] == "decision" and att.loc[guid, "in_force"] == "2017-01-01"
    # coded segments replace the suggestions for that document only
    m = find_mentions(docs, TERMS, codings=back, codes={"follow_up_planned": "Mål dokumenteras"})
    mine = m.mentions[m.mentions["source_guid"] == guid]
    assert mine["origin"].tolist() == ["coded"] and mine["page"].tolist() == [2]
    assert (m.mentions.loc[m.mentions["source_guid"] != guid, "origin"] == "suggested").all()


def test_previews_across_a_page_break_stay_valid_xml(tmp_path):
    docs = load_documents(DOCS / "rutin_handlaggning_ibic_2017.pdf")
    guid = docs.sources["source_guid"].iloc[0]
    text = docs.text(guid)
    cut = text.index("\f")
    seg = pd.DataFrame([{"segment_guid": "2d8e5e3a-0c51-4b2a-9f83-5b7fae4c9d01", "selection_guid": None,
                         "source_guid": guid, "code_guid": "3e9f6f4b-1d62-4c3b-8a94-6c80bf5dae02", "coder": None,
                         "start": cut - 10, "end": cut + 10, "text": text[cut - 10:cut + 10], "created": None}])
    codes = pd.DataFrame([{"code_guid": "3e9f6f4b-1d62-4c3b-8a94-6c80bf5dae02", "name": "x", "parent_guid": None,
                           "is_codable": True, "color": None, "description": None}])
    path = ek.write_qdpx(docs.to_codings(codes, segments=seg), tmp_path / "p.qdpx")
    back = ek.load_codings(path)
    assert back.report.drift.empty
    assert back.segments["text"].iloc[0] == text[cut - 10:cut + 10]


# ----------------------------------------------------------------------------- mentions
def test_stems_match_inflections_and_prefixes(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("Livsområdena beskrivs.\n\nUppföljningen görs årligen.\n\nMålgruppen är äldre.\n\n"
                 "Egen\n\nuppfattning på två stycken.\n\nUppföljningsrutinen finns.", encoding="utf-8")
    docs = load_documents(p)
    m = find_mentions(docs, {"area": ["livsområde"], "follow": ["uppföljning"], "goal": ["mål"],
                             "own": ["egen uppfattning"], "compound": ["uppfölj*"]})
    found = m.mentions.groupby("component")["paragraph"].apply(list).to_dict()
    assert found["area"] == [1] and found["follow"] == [2]
    assert "goal" not in found          # "målgruppen" is another word, not an inflection of "mål"
    assert "own" not in found           # a two-word term never spans paragraphs
    assert found["compound"] == [2, 6]  # the prefix also catches the compound
    assert stem("uppföljningen") == stem("uppföljning") and stem("oppfølgingen", "nb") == stem("oppfølging", "nb")


def test_norwegian_terms(tmp_path):
    p = tmp_path / "rutine.txt"
    p.write_text("Vedtaket skal følges opp hvert år.\n\nBrukerens egen oppfatning skal dokumenteres.",
                 encoding="utf-8")
    m = find_mentions(load_documents(p), TERMS, language="nb")
    assert m.mentions.set_index("component")["paragraph"].to_dict() == {"own_view_recorded": 2,
                                                                        "follow_up_planned": 1}


# ----------------------------------------------------------------------------- intended vs enacted
def _decisions(n=400, seed=1):
    rng = np.random.default_rng(seed)
    decided = pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    after = decided >= pd.Timestamp("2017-01-01")
    return pd.DataFrame({
        "decision_id": [f"B{i}" for i in range(n)], "decided_on": decided,
        "goal_recorded": pd.array(rng.random(n) < np.where(after, 0.8, 0.3), dtype="boolean"),
        "own_view_recorded": pd.array(rng.random(n) < 0.2, dtype="boolean"),  # required, rarely done
        "life_area": pd.array(np.where(rng.random(n) < 0.9, "mobility", None), dtype="string"),
    })


def test_intended_vs_enacted_shares_and_both_gaps(tmp_path):
    p = tmp_path / "beslut.txt"
    p.write_text("Varje beslut ska ha ett mål.\n\nDen enskildes egen uppfattning ska dokumenteras.", encoding="utf-8")
    docs = load_documents(p, meta={"beslut.txt": {"type": "decision", "date": "2016-11-22",
                                                  "in_force": "2017-01-01"}})
    terms = {k: TERMS[k] for k in ("goal_recorded", "own_view_recorded", "needs_by_life_area")}
    m = find_mentions(docs, terms)
    dec = _decisions()
    r = intended_vs_enacted(m, decisions=dec, threshold=0.5)
    mx = r.matrix.set_index("component")
    after = dec["decided_on"] >= pd.Timestamp("2017-01-01")
    assert mx.loc["goal_recorded", "share_after"] == pytest.approx(dec.loc[after, "goal_recorded"].mean())
    assert mx.loc["goal_recorded", "n_before"] == int((~after).sum())
    assert mx.loc["goal_recorded", "required_since"] == pd.Timestamp("2017-01-01")
    assert mx.loc["goal_recorded", "gap"] == ""
    assert mx.loc["own_view_recorded", "gap"] == "required_not_practised"
    assert not mx.loc["needs_by_life_area", "required"]
    assert mx.loc["needs_by_life_area", "gap"] == "practised_not_decided"
    assert mx.loc["needs_by_life_area", "share_after"] == pytest.approx(dec["life_area"].notna().mean())
    text = " ".join(r.sentences("sv"))
    assert "Glapp" in text and "krävs från 2017-01-01" in text
    assert r.plot().axes


def test_effects_interviews_and_report_render(tmp_path):
    docs = load_documents(DOCS, meta=META)
    m = find_mentions(docs, TERMS)
    codings = ek.load_codings(SAMPLE / "intervjuer.qdpx")
    periods = pd.date_range("2014-01-01", periods=72, freq="MS")
    panel = pd.DataFrame({"period": periods, "y": np.where(periods >= "2017-01-01", 0.75, 0.35)
                          + np.random.default_rng(3).normal(0, 0.02, 72)})
    its = ek.its(panel, outcome="y", time="period", intervention=pd.Timestamp("2017-01-01"))
    r = intended_vs_enacted(m, codings=codings, interview_codes={"goal_recorded": "Mål dokumenteras"},
                            effects={"goal_recorded": ("Mål", its)}, series=panel.set_index("period")["y"])
    row = r.matrix.set_index("component").loc["goal_recorded"]
    assert row["estimate"] == pytest.approx(its.effects.loc["level_change", "estimate"])
    seg = codings.segments[codings.segments["code_guid"] == codings.code_guid("Mål dokumenteras")]
    assert row["interviews"] == seg["source_guid"].nunique()
    assert len(r.quotes) >= 1 and r.quotes["label"].str.match(r"^\w+ \d+$").all()
    # follow-up is in the 2014 policy, the decision and the routine, not in the 2019 manual
    assert r.matrix.set_index("component").loc["follow_up_planned", "not_in_later"] == "Handbok IBIC (2019)"
    report = ek.Report("Test", language="sv")
    report.add(r)
    out = report.save(tmp_path / "r.docx")
    from docx import Document

    body = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "Styrdokument" in body and "Handbok IBIC" in body


def test_fidelity_result_and_audit_items_give_the_practice(tmp_path):
    p = tmp_path / "beslut.txt"
    p.write_text("Varje beslut ska ha ett mål.", encoding="utf-8")
    docs = load_documents(p, meta={"beslut.txt": {"type": "decision", "date": "2016-11-22",
                                                  "in_force": "2017-01-01"}})
    m = find_mentions(docs, {"goal_recorded": ["mål"]})
    dec = _decisions().assign(unit="Norr", outcome=pd.array(["granted"] * 300 + ["denied"] * 100, dtype="string"))
    fid = ek.fidelity(dec, {"name": "t", "components": [
        {"id": "goal_recorded", "sv": "Mål", "nb": "Mål", "en": "Goal", "audit_item": "A7",
         "applies": [{"field": "outcome", "in": ["granted"]}],
         "observation": {"source": "decisions", "met": [{"field": "goal_recorded", "is": "true"}]}}]})
    audit = pd.DataFrame({"decision_id": ["B1", "B2", "B3", "B4"], "reviewer": "R1", "item": "A7",
                          "answer": ["yes", "no", "yes", "na"]})
    r = intended_vs_enacted(m, fidelity=fid, audit=audit)
    row = r.matrix.iloc[0]
    granted_after = (dec["outcome"] == "granted") & (dec["decided_on"] >= pd.Timestamp("2017-01-01"))
    # the fidelity result's rule applies: denied decisions do not count
    assert row["n_after"] == int(granted_after.sum())
    assert row["share_after"] == pytest.approx(dec.loc[granted_after, "goal_recorded"].mean())
    assert (row["audit_n"], row["audit_share"]) == (3, pytest.approx(2 / 3))  # "na" is left out


def test_a_page_without_text_keeps_the_page_numbers_of_the_rest(tmp_path):
    import pypdf

    w = pypdf.PdfWriter(clone_from=DOCS / "rutin_handlaggning_ibic_2017.pdf")
    w.insert_blank_page(index=1)
    w.write(tmp_path / "med_tom_sida.pdf")
    docs = load_documents(tmp_path / "med_tom_sida.pdf")
    assert any("page(s) 2 hold no text" in n for n in docs.notes)
    assert docs.anchors["page"].tolist() == [1, 1, 3, 3, 3, 4, 4, 4]
    guid = docs.sources["source_guid"].iloc[0]
    text = docs.text(guid)
    a = text.index("I beslutet anges")
    seg = pd.DataFrame([{"segment_guid": "4fa07a5c-2e73-4d4c-8ba5-7d91c06ebf03", "selection_guid": None,
                         "source_guid": guid, "code_guid": "3e9f6f4b-1d62-4c3b-8a94-6c80bf5dae02", "coder": None,
                         "start": a, "end": a + 16, "text": text[a:a + 16], "created": None}])
    codes = pd.DataFrame([{"code_guid": "3e9f6f4b-1d62-4c3b-8a94-6c80bf5dae02", "name": "x", "parent_guid": None,
                           "is_codable": True, "color": None, "description": None}])
    anchored = segment_anchors(docs.to_codings(codes, segments=seg))
    assert (int(anchored["page"].iloc[0]), int(anchored["paragraph"].iloc[0])) == (4, 7)
    assert docs.locate(guid, a) == {"page": 4, "paragraph": 7, "heading": "Beslut"}


def test_docx_text_boxes_are_read_once_as_their_own_paragraphs(tmp_path):
    from docx import Document
    from docx.oxml import parse_xml

    d = Document()
    para = d.add_paragraph("Före rutan.")
    box = parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<w:txbxContent><w:p><w:r><w:t>Uppföljning i rutan.</w:t></w:r></w:p></w:txbxContent></w:drawing>'
        '</mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>Uppföljning i '
        'rutan.</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>'
        '</mc:AlternateContent></w:r>')
    para._p.append(box)
    d.save(tmp_path / "ruta.docx")
    text = load_documents(tmp_path / "ruta.docx").text("ruta.docx")
    assert text.count("Uppföljning i rutan.") == 1
    assert "Före rutan." in text.split("\n")


def test_report_hooks_in_every_language(tmp_path):
    docs = load_documents(DOCS, meta=META)
    r = intended_vs_enacted(find_mentions(docs, TERMS), decisions=_decisions(), language="nb")
    for language, date in (("sv", "2017-01-01"), ("nb", "01.01.2017"), ("en", "2017-01-01")):
        text = " ".join(r.sentences(language) + r.methods(language))
        assert date in text
        tables = r.report_tables(language)
        assert len(tables) == 3  # matrix, documents, mentions (no interviews: no quotes)
        caption, matrix, spec = tables[0]
        assert len(matrix) == 4 and set(spec.counts) <= set(matrix.columns)
    assert "politisk vedtak" in " ".join(r.report_tables("nb")[1][1].iloc[:, 1])
    assert r.title == "Styringsdokumenter: tilsiktet og gjennomført"


def test_sentences_hide_small_decision_counts_like_the_tables(tmp_path):
    p = tmp_path / "beslut.txt"
    p.write_text("Varje beslut ska ha ett mål.", encoding="utf-8")
    docs = load_documents(p, meta={"beslut.txt": {"type": "decision", "date": "2016-11-22",
                                                  "in_force": "2017-01-01"}})
    dec = _decisions(n=400)
    before = dec["decided_on"] < pd.Timestamp("2017-01-01")
    few = pd.concat([dec[before].head(3), dec[~before]])
    n_before = int((few["decided_on"] < pd.Timestamp("2017-01-01")).sum())
    assert 0 < n_before < 5
    r = intended_vs_enacted(find_mentions(docs, {"goal_recorded": ["mål"]}), decisions=few)
    practice = next(s for s in r.sentences("sv") if s.startswith("I besluten"))
    assert "före (av ..)" in practice and ".. före" in practice  # the few before are hidden, share too
    n_after = int(r.matrix["n_after"].iloc[0])
    assert f"(av {ek.i18n.fmt_int(n_after, 'sv')})" in practice  # the large group is shown
