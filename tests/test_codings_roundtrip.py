"""REFI-QDA round trip with the two things tools count differently: characters beyond the BMP (an emoji is one
code point but two UTF-16 units) and Windows line ends (a CRLF is one character to ATLAS.ti, two to NVivo).

evalkit promises LF texts and code-point offsets; what write_qdpx writes must read back to the same offsets and
the same segment texts, and must be self-consistent for other tools: the offsets in project.qde slice exactly the
Sources/<guid>.txt in the zip.
"""
from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
import zipfile

import pandas as pd

from evalkit.io.codings import Codings, ImportReport, finish_tables, load_codings, stable_guid
from evalkit.io.refi_write import write_qdpx

RAW = "Intervju 1\r\nJag 😀 tycker att väntetiden blev längre.\r\nSedan 👍🏽 kom målen.\r\n"
PIECES = ["😀 tycker att väntetiden", "längre.\r\nSedan 👍🏽 kom", "målen."]
SOURCE, CODE, USER = stable_guid("s", "x"), stable_guid("code", "A"), stable_guid("user", "a")


def _segments():
    rows = []
    for i, piece in enumerate(PIECES):
        start = RAW.index(piece)  # Python indexes code points on the CRLF string
        rows.append({"segment_guid": stable_guid("g", i), "selection_guid": stable_guid("sel", i),
                     "source_guid": SOURCE, "code_guid": CODE, "coder": USER, "start": start,
                     "end": start + len(piece), "text": piece, "created": None})
    return rows


def _codings() -> Codings:
    return finish_tables(sources=[{"source_guid": SOURCE, "name": "x", "kind": "text", "text": RAW}],
                         codes=[{"code_guid": CODE, "name": "A", "parent_guid": None, "is_codable": True}],
                         segments=_segments(), users=[{"user_guid": USER, "name": "a"}], report=ImportReport("t"),
                         path=None, fmt="t", rows_read=len(PIECES))


def _zip_slices(path):
    """The texts the written offsets select in the written source file, read without evalkit."""
    with zipfile.ZipFile(path) as zf:
        text = zf.read(f"Sources/{SOURCE}.txt").decode("utf-8")
        root = ET.fromstring(zf.read("project.qde"))
    sel = root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection")
    return text, [text[int(s.get("startPosition")):int(s.get("endPosition"))] for s in sel]


def test_astral_and_crlf_round_trip_keeps_offsets_and_texts(tmp_path):
    c = _codings()
    # the in-memory tables follow the contract: LF text, code points ("Intervju 1\nJag " is 15 characters)
    assert "\r" not in c.sources["text"].iloc[0]
    assert c.segments["start"].tolist()[0] == 15
    assert c.segments["text"].tolist() == [p.replace("\r\n", "\n") for p in PIECES]
    d = load_codings(write_qdpx(c, tmp_path / "astral.qdpx"))
    assert d.sources["text"].tolist() == c.sources["text"].tolist()
    pd.testing.assert_frame_equal(d.segments[["selection_guid", "start", "end", "text"]],
                                  c.segments[["selection_guid", "start", "end", "text"]], check_dtype=False)
    # no convention guessing needed on our own file: the stored previews match with plain code points
    offsets = d.report.offsets.iloc[0]
    assert offsets["convention"] == "lf" and offsets["preview_match"] == len(PIECES)
    assert offsets["preview_mismatch"] == 0 and offsets["out_of_range"] == 0


def test_written_file_is_self_consistent_for_other_tools(tmp_path):
    text, slices = _zip_slices(write_qdpx(_codings(), tmp_path / "astral.qdpx"))
    assert "\r" not in text
    assert slices == [p.replace("\r\n", "\n") for p in PIECES]


def test_codings_built_without_finish_tables_are_written_with_lf(tmp_path):
    # a Codings made directly from frames still holds the CRLF text and the offsets on it
    c = _codings()
    raw = dataclasses.replace(c, sources=c.sources.assign(text=[RAW]), segments=pd.DataFrame(_segments()))
    text, slices = _zip_slices(write_qdpx(raw, tmp_path / "raw.qdpx"))
    assert text == RAW.replace("\r\n", "\n")
    assert slices == [p.replace("\r\n", "\n") for p in PIECES]
