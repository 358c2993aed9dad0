"""evalkit.io.read on small hand-written files shaped like real municipal exports."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from evalkit.errors import DataWarning
from evalkit.io.read import parse_dates, parse_numbers, read_raw, read_table
from evalkit.provenance import record_of


def _accounting_holds(frame_or_raw):
    info = frame_or_raw.attrs["evalkit_read"] if isinstance(frame_or_raw, pd.DataFrame) else frame_or_raw.info
    kept = len(frame_or_raw if isinstance(frame_or_raw, pd.DataFrame) else frame_or_raw.frame)
    return info.rows_read == kept + sum(e.count for e in info.exclusions)


# A Procapita/Lifecare-style decision export: cp1252, ';', decimal comma, CRLF.
BESLUT = (
    "Beslutsdatum;Ansökningsdatum;Enhet;Beviljade timmar;Kommunkod\r\n"
    "2023-03-05;2023-02-20;Hemtjänst Öst;12,5;0180\r\n"
    "2023-03-07;2023-02-27;Hemtjänst Väst;3;0180\r\n"
    "\r\n"
    "2023-04-11;2023-03-30;Särskilt boende Åsen;..;0114\r\n"
    "Beslutsdatum;Ansökningsdatum;Enhet;Beviljade timmar;Kommunkod\r\n"
    "2023-05-02;2023-04-28;Hemtjänst Öst;1 234,75;0180\r\n"
)


@pytest.fixture
def beslut_cp1252(tmp_path):
    p = tmp_path / "beslut.csv"
    p.write_bytes(BESLUT.encode("cp1252"))
    return p


def test_cp1252_semicolon_decimal_comma_export(beslut_cp1252):
    t = read_table(beslut_cp1252)
    info = t.attrs["evalkit_read"]
    assert info.source.encoding == "cp1252"
    assert info.source.delimiter == ";"
    assert info.source.decimal == ","
    assert list(t.columns) == ["Beslutsdatum", "Ansökningsdatum", "Enhet", "Beviljade timmar", "Kommunkod"]
    # index = the line a user sees in the file; blank line 4 and repeated header line 6 excluded
    assert list(t.index) == [2, 3, 5, 7]
    assert t.index.name == "row"
    assert t.loc[5, "Enhet"] == "Särskilt boende Åsen"
    assert t["Beviljade timmar"].dtype == "Float64"
    assert t.loc[2, "Beviljade timmar"] == 12.5
    assert t.loc[7, "Beviljade timmar"] == 1234.75
    assert pd.isna(t.loc[5, "Beviljade timmar"])
    assert t.attrs["evalkit_markers"] == {"Beviljade timmar": 1}
    assert t["Beslutsdatum"].dtype == "datetime64[ns]"
    assert t.loc[7, "Ansökningsdatum"] == pd.Timestamp("2023-04-28")
    assert t["Kommunkod"].dtype == "string" and t.loc[5, "Kommunkod"] == "0114"
    reasons = {e.reason: e.rows for e in info.exclusions}
    assert reasons == {"blank row": (4,), "repeated header row": (6,)}
    assert info.rows_read == 6 and _accounting_holds(t)
    rec = record_of(t)
    assert rec.table == "table" and rec.rows_kept == 4 and rec.rows_excluded == 2
    assert len(rec.source.sha256) == 64


def test_utf8_bom_is_stripped(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffEnhet,Antal\nÖst,3\n".encode("utf-8"))
    raw = read_raw(p)
    assert list(raw.frame.columns) == ["Enhet", "Antal"]
    assert raw.info.source.encoding == "utf-8-sig"


def test_utf16_with_bom_tab_separated(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("Enhet\tTimmar\nÅsen\t2,5\nVäst\t4\n".encode("utf-16"))
    t = read_table(p)
    assert t.attrs["evalkit_read"].source.delimiter == "\t"
    assert t.loc[2, "Enhet"] == "Åsen" and t.loc[2, "Timmar"] == 2.5


def test_cr_only_line_ends_number_lines(tmp_path):
    p = tmp_path / "mac.csv"
    p.write_bytes(b"a,b\r1,2\r\r3,4\r")
    raw = read_raw(p)
    assert list(raw.frame.index) == [2, 4]
    assert raw.info.exclusions[0].rows == (3,)


def test_quoted_line_breaks_keep_line_numbers(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('id,text\n1,"rad ett\nrad två\nrad tre"\n2,kort\n', encoding="utf-8")
    raw = read_raw(p)
    assert list(raw.frame.index) == [2, 5]
    assert raw.frame.loc[2, "text"] == "rad ett\nrad två\nrad tre"


def test_title_lines_and_footnotes(tmp_path):
    p = tmp_path / "ssb.csv"
    p.write_text('"Tabell 1: Beslut per enhet"\n\n"Enhet";"Antal"\n"Öst";5\n"Väst";7\n\n'
                 '"Källa: Exempelkommun"\n"Anm. Preliminära tal"\n', encoding="utf-8")
    raw = read_raw(p)
    info = raw.info
    assert info.preamble == ["Tabell 1: Beslut per enhet"]
    assert info.source.header_row == 3
    assert list(raw.frame.index) == [4, 5]
    assert {e.reason: e.rows for e in info.exclusions} == {
        "blank row": (6,), "footnote/source row after the data": (7, 8)}
    assert info.rows_read == 5 and _accounting_holds(raw)


def test_duplicate_and_messy_header_names(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text('x;" Beviljade\ntimmar ";x;;x\n1;2;3;4;5\n', encoding="utf-8")
    raw = read_raw(p)
    assert list(raw.frame.columns) == ["x", "Beviljade timmar", "x.2", "unnamed_4", "x.3"]


def test_every_date_form(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("iso;kompakt;punkt;punkt2;tid\n"
                 "2019-03-05;20190305;5.3.2019;05.03.2019;2019-03-05 12:30\n"
                 "2020-12-31;20201231;31.12.2020;31.12.2020;2020-12-31 23:59:59\n", encoding="utf-8")
    t = read_table(p)
    for col in t.columns:
        assert t[col].dtype == "datetime64[ns]", col
    assert (t.loc[2, ["iso", "kompakt", "punkt", "punkt2"]] == pd.Timestamp("2019-03-05")).all()
    assert t.loc[2, "tid"] == pd.Timestamp("2019-03-05 12:30")
    assert t.loc[3, "tid"] == pd.Timestamp("2020-12-31 23:59:59")


def test_eight_digits_not_all_dates_stay_numbers(tmp_path):
    p = tmp_path / "n.csv"
    p.write_text("belopp\n20190305\n20191399\n", encoding="utf-8")
    assert read_table(p)["belopp"].dtype == "Int64"


def test_impossible_dates_warn_and_stay_text(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("Beslutsdatum;n\n2023-02-28;1\n2023-02-30;2\n", encoding="utf-8")
    with pytest.warns(DataWarning, match=r"Beslutsdatum.*rows \[3\]"):
        t = read_table(p)
    assert t["Beslutsdatum"].dtype == "string"


def test_thousands_with_nbsp_and_thin_spaces(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("Enhet;Kostnad\nA;12\u00a0800,5\nB;1\u2009234\u202f567,25\nC;4 000,0\n", encoding="utf-8")
    t = read_table(p)
    assert t["Kostnad"].tolist() == [12800.5, 1234567.25, 4000.0]


def test_decimal_point_with_semicolon_is_not_comma(tmp_path):
    # SSB style: ';' delimiter yet decimal POINT; the delimiter must not decide.
    p = tmp_path / "ssb.csv"
    p.write_text('"a";"v"\n"x";771055.9\n"y";.\n"z";1.234\n', encoding="utf-8")
    t = read_table(p)
    assert t.attrs["evalkit_read"].source.decimal == "."
    assert t["v"].tolist()[0] == 771055.9 and t["v"].tolist()[2] == 1.234


def test_ambiguous_column_follows_file_majority(tmp_path):
    p = tmp_path / "amb.csv"
    p.write_text("a;b\n1,5;1,234\n2,25;2,500\n", encoding="utf-8")
    t = read_table(p)
    # column b alone proves nothing ("1,234"); column a proves a decimal comma
    assert t["b"].tolist() == [1.234, 2.5]
    p.write_text("a;b\n1.5;1,234\n2.25;2,500\n", encoding="utf-8")
    t = read_table(p)
    assert t["b"].tolist() == [1234, 2500]


def test_parse_numbers_marks_bad_cells_and_markers():
    values, bad = parse_numbers(pd.Series(["1,5", "..", "", None, "abc", "-2", "\u22123,25", "–"]))
    assert values.dtype == "Float64"
    assert values.tolist()[:2] == [1.5, pd.NA] or pd.isna(values.iloc[1])
    assert bad.tolist() == [False, False, False, False, True, False, False, False]
    assert values.iloc[6] == -3.25
    v, bad = parse_numbers(pd.Series(["12.800,5", "1.234.567"]), decimal=",")
    assert v.tolist() == [12800.5, 1234567.0] and not bad.any()


def test_parse_dates_flags_impossible_dates():
    s = pd.Series(["2023-13-01", "2023-02-30", "2023-02-28", "", None, "31.4.2023", "imorgon"],
                  index=[10, 11, 12, 13, 14, 15, 16])
    d, bad = parse_dates(s)
    assert str(d.dtype) == "datetime64[ns]"
    assert bad[bad].index.tolist() == [10, 11, 15, 16]
    assert d[12] == pd.Timestamp("2023-02-28")


def test_parse_dates_excel_native_and_custom_format():
    d, bad = parse_dates(pd.Series([dt.datetime(2019, 3, 5, 12, 30), dt.date(2020, 1, 2), None]))
    assert d.tolist()[:2] == [pd.Timestamp("2019-03-05 12:30"), pd.Timestamp("2020-01-02")]
    assert not bad.any()
    d, bad = parse_dates(pd.Series(["03/05/2019", "13/13/2019"]), formats=["%m/%d/%Y"])
    assert d[0] == pd.Timestamp("2019-03-05") and bad.tolist() == [False, True]


def test_xlsx_title_rows_merged_header_and_dates(tmp_path):
    p = tmp_path / "export.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Beslut"
    ws["A1"] = "Beslut 2023"
    ws.merge_cells("A1:D1")
    ws["A3"] = "Enhet"
    ws.merge_cells("A3:A4")
    ws["B3"] = "Timmar"
    ws.merge_cells("B3:C3")
    ws["B4"], ws["C4"] = "Beviljade", "Utförda"
    ws["D3"] = "Beslutsdatum"
    ws.merge_cells("D3:D4")
    ws.append(["Öst", 12.5, 10, dt.datetime(2023, 3, 5)])
    ws.append(["Väst", 3, 3, dt.datetime(2023, 3, 7)])
    ws.append([None, None, None, None])
    ws.append(["Källa: verksamhetssystemet"])
    wb.save(p)
    t = read_table(p)
    info = t.attrs["evalkit_read"]
    assert list(t.columns) == ["Enhet", "Timmar – Beviljade", "Timmar – Utförda", "Beslutsdatum"]
    assert info.source.header_row == 3 and info.source.sheet == "Beslut"
    assert info.preamble == ["Beslut 2023"]
    assert list(t.index) == [5, 6]
    assert t["Timmar – Beviljade"].tolist() == [12.5, 3.0]
    assert t["Timmar – Utförda"].dtype == "Int64"
    assert t.loc[6, "Beslutsdatum"] == pd.Timestamp("2023-03-07")
    assert {e.reason: e.rows for e in info.exclusions} == {
        "blank row": (7,), "footnote/source row after the data": (8,)}
    assert _accounting_holds(t)


def test_explicit_header_row_and_skip_rows(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("a,b\n1,2\n3,4\n5,6\n", encoding="utf-8")
    raw = read_raw(p, skip_rows=[3])
    assert list(raw.frame.index) == [2, 4]
    assert raw.info.exclusions[0].reason.startswith("skipped") and _accounting_holds(raw)
    raw = read_raw(p, header_row=2)
    assert list(raw.frame.columns) == ["1", "2"] and list(raw.frame.index) == [3, 4]


def test_parquet_keeps_types(tmp_path):
    p = tmp_path / "t.parquet"
    df = pd.DataFrame({"kod": ["0301", "03"], "n": pd.array([1, None], dtype="Int64"),
                       "d": pd.to_datetime(["2023-01-01", "2023-02-01"])})
    df.to_parquet(p)
    t = read_table(p)
    assert t["kod"].tolist() == ["0301", "03"] and t["n"].dtype == "Int64"
    assert list(t.index) == [1, 2] and record_of(t).rows_kept == 2
    raw = read_raw(p)
    assert raw.frame.loc[1, "d"] == "2023-01-01" and raw.frame["n"].dtype == "string"


def test_long_digit_strings_stay_text(tmp_path):
    p = tmp_path / "ids.csv"
    p.write_text("konto;belopp\n1234567890123456789012;1,5\n12;2,5\n", encoding="utf-8")
    t = read_table(p)
    assert t["konto"].dtype == "string" and t.loc[2, "konto"] == "1234567890123456789012"
    assert t["belopp"].dtype == "Float64"


def test_two_row_header_given_explicitly(tmp_path):
    p = tmp_path / "h2.csv"
    p.write_text("Timmar;Timmar\nBeviljade;Utförda\n3;2\n", encoding="utf-8")
    t = read_table(p, header_row=(1, 2))
    assert list(t.columns) == ["Timmar – Beviljade", "Timmar – Utförda"]
    assert list(t.index) == [3] and t.attrs["evalkit_read"].rows_read == 1
