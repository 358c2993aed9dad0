"""ek.load_codings: real exports from NVivo, MAXQDA, ATLAS.ti, Taguette and QualCoder; crafted REFI-QDA
projects for vendor offset conventions and broken files; writer round trip and determinism."""
from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import DataError, IdentifierError
from evalkit.io.codings import load_codings, stable_guid
from evalkit.io.refi_write import codebook_xml, project_xml, validate_refi, write_qdc, write_qdpx
from evalkit.provenance import record_of

G = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 40)]


def _qdpx(tmp_path: Path, body: str, files: dict[str, bytes] | None = None, origin: str = "evalkit",
          name: str = "p.qdpx") -> Path:
    xml = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="t" '
           f'origin="{origin}">{body}</Project>')
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml.encode("utf-8"))
        for n, data in (files or {}).items():
            zf.writestr(n, data)
    return path


def _book(*codes: tuple[str, str]) -> str:
    return "<CodeBook><Codes>" + "".join(f'<Code guid="{g}" name="{n}" isCodable="true"/>' for g, n in codes) + \
        "</Codes></CodeBook>"


def _source(text_guid: str, selections: list[tuple[str, int, int, str, str]], path: str | None = None) -> str:
    sels = "".join(f'<PlainTextSelection guid="{sg}" name="{name}" startPosition="{a}" endPosition="{b}">'
                   f'<Coding guid="{stable_guid("c", sg)}" creatingUser="{G[30]}"><CodeRef targetGUID="{code}"/>'
                   f'</Coding></PlainTextSelection>' for sg, a, b, name, code in selections)
    return (f'<Sources><TextSource guid="{text_guid}" name="int" plainTextPath="{path or f"internal://{text_guid}.txt"}">'
            f'{sels}</TextSource></Sources>')


# ----------------------------------------------------------------------------- real files
def test_nvivo_project_crlf_bom_hungarian(real_dir):
    c = load_codings(real_dir / "refi_qda" / "nvivo_win12_oltas.qdpx")
    assert len(c.sources) == 1 and len(c.codes) == 60 and len(c.segments) == 97
    assert c.codes["depth"].max() == 2 and c.codes["parent_guid"].isna().sum() == 11
    text = c.sources["text"].iloc[0]
    assert "\r" not in text and not text.startswith("\ufeff")
    # NVivo counts CRLF as two characters: the vendor rule maps every selection onto the LF text and the
    # word-boundary check agrees (NVivo leaves the preview name empty, so previews cannot be used)
    row = c.report.offsets.iloc[0]
    assert row["convention"] == "crlf2" and row["no_preview"] == 97 and row["out_of_range"] == 0
    seg = c.segments
    assert (seg["text"] == [text[a:b] for a, b in zip(seg["start"], seg["end"])]).all()
    assert seg["text"].str.len().gt(0).all()
    rec = record_of(c.segments)
    assert rec.rows_read == 97 and rec.rows_kept == 97 and rec.source.format == "qdpx"


def test_maxqda_project_lowercase_sources_and_descriptions(real_dir):
    c = load_codings(real_dir / "refi_qda" / "maxqda24_ICLS_Conf_Themes_just10.qdpx")
    assert len(c.sources) == 10 and len(c.codes) == 307 and c.segments.empty
    assert c.sources["text"].str.len().min() > 1000
    assert c.codes["description"].notna().all() and (c.codes["parent_guid"].isna().sum() == 18)
    # the two document Sets are not imported, and say so (in the table and in the notes/provenance)
    sets = c.report.skipped.set_index("element").loc["Sets"]
    assert (sets["count"], sets["codings"]) == (1, 0)
    assert any("Sets" in n for n in c.report.notes)


@pytest.mark.parametrize("name, n_codes", [("atlasti23_win_blank-atlas-project.qdpx", 0),
                                           ("atlasti23_win_target-atlas-project.qdpx", 3)])
def test_atlas_projects(real_dir, name, n_codes):
    c = load_codings(real_dir / "refi_qda" / name)
    assert len(c.codes) == n_codes and len(c.users) == 2
    if n_codes:
        assert c.codes["path"].iloc[1] == "Commits > 2022-05-10T02:05:59Z 19e4dce"


def test_taguette_codebook_uppercase_guids(real_dir):
    c = load_codings(real_dir / "refi_qda" / "taguette141_codebook.qdc")
    assert list(c.codes["name"]) == ["xsd:element name", "CodeBook", "Variables"]
    assert c.codes["code_guid"].iloc[0] == "098ac082-a9c7-50f4-9728-48730081a95e"


def test_qualcoder_database(real_dir):
    c = load_codings(real_dir / "qda_project_db" / "qualcoder36_mannheimer_data.qda")
    assert len(c.sources) == 30 and len(c.segments) == 753
    assert (~c.codes["is_codable"]).sum() == 55 and c.codes["is_codable"].sum() == 230
    assert c.report.drift.empty  # every stored seltext equals the slice of fulltext
    assert c.segments["coder"].nunique() == 1


def test_taguette_database_byte_offsets(real_dir):
    c = load_codings(real_dir / "qda_project_db" / "taguette_sample-project.sqlite3")
    assert len(c.sources) == 10 and len(c.codes) == 6 and len(c.segments) == 24
    # Taguette offsets count UTF-8 bytes; converted, all 18 highlights slice their snippet exactly
    assert c.report.drift.empty
    assert c.segments["selection_guid"].nunique() == 18


def test_maxqda_coded_segments_xls(real_dir):
    c = load_codings(real_dir / "coding_exports" / "maxqda_coded_segments_pl.xls")
    assert len(c.sources) == 39 and len(c.codes) == 7 and len(c.segments) == 402
    assert c.segments["start"].isna().all()  # paragraph numbers are not character offsets
    assert any("paragraph" in n for n in c.report.notes)
    assert list(c.users["name"]) == ["agata"]


def test_taguette_highlights_csv(real_dir):
    c = load_codings(real_dir / "coding_exports" / "taguette_highlights_all_tags_20220303.csv")
    assert len(c.segments) == 1930 and len(c.sources) == 17 and len(c.codes) == 22
    assert c.report.origin == "Taguette highlights export"


def test_atlas_code_list_is_a_codebook(real_dir):
    c = load_codings(real_dir / "coding_exports" / "atlasti_code_list_frequencies.csv")
    assert len(c.codes) == 465 and c.segments.empty
    top = c.codes[c.codes["depth"] == 0]
    assert top["name"].iloc[0] == "T1. Edge Connectivity & Communication Protocols"
    assert c.codes["groundedness"].iloc[0] == 112


# ----------------------------------------------------------------------------- offsets per vendor
def test_crlf_offsets_nvivo_counts_two_atlas_counts_one(tmp_path):
    text = "Rad ett\r\nAndra raden om handläggning\r\n"
    target = "handläggning"
    cp_lf = text.replace("\r\n", "\n").index(target)
    cp_raw = text.index(target)
    for origin, start in (("NVivo for Windows 12.6", cp_raw), ("ATLAS.ti for Windows 23", cp_lf)):
        body = _book((G[0], "Tid")) + _source(G[1], [(G[2], start, start + len(target), target, G[0])])
        c = load_codings(_qdpx(tmp_path, body, {f"Sources/{G[1]}.txt": text.encode()}, origin, f"{start}.qdpx"))
        assert c.segments["text"].iloc[0] == target
        assert c.segments["start"].iloc[0] == cp_lf
        assert c.report.drift.empty


def test_utf16_drift_detected_by_preview_and_corrected(tmp_path):
    text = "Glad 😀 idag. Sedan kom beslutet sent.\n"
    target = "beslutet sent"
    cp = text.index(target)
    utf16 = cp + 1  # the emoji takes two UTF-16 code units
    body = _book((G[0], "Tid")) + _source(G[1], [(G[2], utf16, utf16 + len(target), target, G[0])])
    c = load_codings(_qdpx(tmp_path, body, {f"Sources/{G[1]}.txt": text.encode()}, "SomeQtTool"))
    assert c.report.offsets["convention"].iloc[0] == "utf16"
    assert c.segments["text"].iloc[0] == target


def test_remaining_drift_is_listed_not_hidden(tmp_path):
    text = "Ett två tre fyra fem sex sju.\n"
    body = _book((G[0], "A")) + _source(G[1], [(G[2], 4, 7, "två", G[0]), (G[3], 8, 11, "sju", G[0]),
                                                  (G[4], 25, 90, "", G[0])])
    c = load_codings(_qdpx(tmp_path, body, {f"Sources/{G[1]}.txt": text.encode()}))
    drift = c.report.drift
    assert set(drift["selection_guid"]) == {G[3], G[4]}
    row = c.report.offsets.iloc[0]
    assert (row["preview_match"], row["preview_mismatch"], row["out_of_range"]) == (1, 1, 1)
    assert pd.isna(c.segments.set_index("selection_guid").loc[G[4], "text"])


def test_plain_text_content_relative_path_and_maxqda_nameless_case(tmp_path):
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "a.txt").write_text("Hej hopp\n", encoding="utf-8")
    body = (_book((G[0], "A")) + f'<Variables><Variable guid="{G[5]}" name="grupp" typeOfVariable="Text"/></Variables>'
            f'<Cases><Case guid="{G[6]}"><VariableValue><VariableRef targetGUID="{G[5]}"/><TextValue>chef</TextValue>'
            f'</VariableValue><SourceRef targetGUID="{G[1]}"/></Case></Cases>'
            f'<Sources><TextSource guid="{G[1]}" name="a" plainTextPath="relative:///txt/a.txt"/>'
            f'<TextSource guid="{G[2]}" name="b"><PlainTextContent>Inline text</PlainTextContent></TextSource></Sources>')
    path = _qdpx(tmp_path, body)
    xml = zipfile.ZipFile(path).read("project.qde").decode().replace('origin="evalkit"',
                                                                     'origin="MAXQDA 24" basePath="/elsewhere"')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml)
    c = load_codings(path, sources_dir=tmp_path)  # relative:// is read from sources_dir, never from basePath
    assert list(c.sources["text"]) == ["Hej hopp\n", "Inline text"]
    assert c.cases.empty  # a nameless single-source case is the source's variables
    assert c.source_attributes().loc[G[1], "grupp"] == "chef"


# ----------------------------------------------------------------------------- broken files
@pytest.mark.parametrize("body, files, needle", [
    ("<Users><User guid='x' name='a'/>", {}, "not well-formed XML"),
    (_book((G[0], "A")) + _source(G[1], []), {}, "missing source file"),
    (_book((G[0], "A")) + _source(G[1], [(G[2], 0, 2, "", G[9])]), {f"Sources/{G[1]}.txt": b"abc"},
     "dangling CodeRef"),
    (_book((G[0], "A"), (G[0], "B")), {}, "duplicate GUID"),
    (_book(("not-a-guid", "A")), {}, "<Code>: guid"),
    (f'<Cases><Case guid="{G[6]}" name="x"><SourceRef targetGUID="{G[7]}"/></Case></Cases>', {}, "dangling SourceRef"),
])
def test_broken_projects_are_data_errors_naming_the_element(tmp_path, body, files, needle):
    with pytest.raises(DataError) as err:
        load_codings(_qdpx(tmp_path, body, files))
    assert needle in str(err.value)


def test_identity_number_in_source_text_is_refused(tmp_path):
    body = _book((G[0], "A")) + _source(G[1], [])
    path = _qdpx(tmp_path, body, {f"Sources/{G[1]}.txt": "Brukaren har pnr 19640823-3234.".encode()})
    with pytest.raises(IdentifierError) as err:
        load_codings(path)
    assert "3234" not in str(err.value)
    assert f"<TextSource guid={G[1]}" in str(err.value) and "plain text" in str(err.value)


def test_unsupported_files_refused_clearly(tmp_path):
    p = tmp_path / "x.pdf"
    p.write_bytes(b"%PDF-1.4")
    with pytest.raises(DataError, match="unknown coding file type"):
        load_codings(p)
    q = tmp_path / "x.csv"
    q.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(DataError, match="neither a coded-segments table"):
        load_codings(q)


# ----------------------------------------------------------------------------- tables
def test_long_csv_and_matrix(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("source;code;coder;start;end;text\nI1;Tid>Lång;a;0;4;Lång\nI2;Mål;b;2;5;xyz\n", encoding="utf-8")
    c = load_codings(p)
    assert c.codes.set_index("name").loc["Lång", "path"] == "Tid > Lång"
    assert list(c.segments["start"]) == [0, 2] and list(c.segments["text"]) == ["Lång", "xyz"]
    m = tmp_path / "matrix.csv"
    m.write_text("Dokument;Tid;Mål;Total\nI1;2;0;2\nI2;1;1;2\nTotal;3;1;4\n", encoding="utf-8")
    c = load_codings(m)
    assert len(c.sources) == 2 and len(c.segments) == 4
    assert c.presence().to_numpy().tolist() == [[1, 0], [1, 1]]


# ----------------------------------------------------------------------------- writer
def _sample():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"))
    import generate_interviews
    return generate_interviews


def test_round_trip_write_read_identical_tables(tmp_path):
    c = _sample().interviews()
    d = load_codings(write_qdpx(c, tmp_path / "a.qdpx"))
    for table in ("sources", "codes", "segments", "cases", "attributes", "users"):
        a, b = getattr(c, table), getattr(d, table)
        pd.testing.assert_frame_equal(a.drop(columns=["created", "creator"], errors="ignore"),
                                      b.drop(columns=["created", "creator"], errors="ignore"), check_dtype=False)
    q = load_codings(write_qdc(c, tmp_path / "a.qdc"))
    pd.testing.assert_frame_equal(q.codes, c.codes, check_dtype=False)


def test_real_project_round_trip(real_dir, tmp_path):
    c = load_codings(real_dir / "refi_qda" / "nvivo_win12_oltas.qdpx")
    d = load_codings(write_qdpx(c, tmp_path / "n.qdpx"))
    pd.testing.assert_frame_equal(c.segments.drop(columns="created"), d.segments.drop(columns="created"),
                                  check_dtype=False)


def test_written_xml_validates_and_validator_catches_errors():
    c = _sample().interviews()
    assert validate_refi(project_xml(c)) == [] and validate_refi(codebook_xml(c)) == []
    bad = project_xml(c).replace(b'isCodable="true"', b'isCodable="yes"', 1)
    assert any("isCodable" in p for p in validate_refi(bad))
    swapped = (b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources/><Users/></Project>')
    assert any("out of schema order" in p for p in validate_refi(swapped))
    missing = b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="%s" isCodable="true"/></Codes></CodeBook>' \
        % G[0].encode()
    assert validate_refi(missing) == ["<Code>: required attribute name missing"]


def test_sample_qdpx_is_deterministic_and_committed(tmp_path, sample_dir):
    gen = _sample()
    a = gen.generate(tmp_path / "a")["files"][0].read_bytes()
    b = gen.generate(tmp_path / "b")["files"][0].read_bytes()
    assert a == b
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256((sample_dir / "intervjuer.qdpx").read_bytes()).hexdigest()
    assert len(a) < 60_000
