"""evalkit.io.read on real files made by agencies and tools (see ../shared/fixtures/real/SOURCES.md).

Expected shapes, header rows, marker counts and separators come from SOURCES.md;
cell values were looked up in the files with a text editor / Excel row numbers.
"""
from __future__ import annotations

import pandas as pd
import pytest

from evalkit.errors import DataError
from evalkit.io.read import read_raw, read_table
from evalkit.provenance import record_of

NORDIC = "nordic_opendata"
SAV = "spss_sav"


def _info(t):
    return t.attrs["evalkit_read"]


def _accounting(t):
    rec = record_of(t)
    assert rec.rows_read == rec.rows_kept + rec.rows_excluded == _info(t).rows_read
    assert rec.rows_kept == len(t)


def test_ssb_12817_title_line_decimal_point_and_dot_markers(real_dir):
    t = read_table(real_dir / NORDIC / "ssb_12817_omsetning.csv")
    info = _info(t)
    assert t.shape == (21, 8)
    assert info.source.header_row == 3
    assert info.source.delimiter == ";"
    assert info.source.decimal == "."  # ';' separated yet decimal POINT
    # ISO-8859-1 per SOURCES.md; read as cp1252, identical for every byte in this file (no 0x80-0x9F)
    assert info.source.encoding == "cp1252"
    assert info.preamble[0].startswith("12817: Foreløpige tall for antall foretak")
    assert list(t.columns[:2]) == ["næring (SN2007)", "sysselsettingsgruppe"]
    assert t.columns[-1] == "Omsetning (mill. kr) 2021"
    assert sum(_info(t).markers.values()) == 96  # SOURCES.md: '.' as missing marker (96 cells)
    assert t.loc[4, "Omsetning (mill. kr) 2016"] == 771055.9
    assert t.loc[4, "Omsetning (mill. kr) 2021"] == 885480.0
    assert pd.isna(t.loc[5, "Omsetning (mill. kr) 2016"])
    assert t.loc[24, "sysselsettingsgruppe"] == "250 eller flere sysselsatte"
    assert t.loc[24, "Omsetning (mill. kr) 2021"] == 77866.6
    assert all(t[c].dtype == "Float64" for c in t.columns[2:])
    _accounting(t)


def test_valg_2023_decimal_comma_trailing_delimiter_leading_zeros(real_dir):
    t = read_table(real_dir / NORDIC / "valg_2023_valgresultat.csv")
    info = _info(t)
    assert len(t) == 2805 and t.shape[1] == 17  # the empty 18th column is dropped …
    assert any("dropped column 18" in n for n in info.notes)  # … and recorded
    assert info.source.encoding == "utf-8" and info.source.header_row == 1
    assert info.source.decimal == ","
    assert t.loc[2, "Fylkenummer"] == "03" and t.loc[2, "Kommunenummer"] == "0301"
    assert t["Kommunenummer"].dtype == "string"
    assert t.loc[2, "Oppslutning prosentvis"] == 18.43454
    assert t.loc[2, "Endring % siste tilsvarende valg"] == -1.57329
    assert t.loc[4, "Partinavn"] == "Rødt" and t.loc[4, "Partikode"] == "RØDT"
    assert t["Antall stemmeberettigede"].dtype == "Int64"
    assert t.loc[2806, "Kommunenavn"] == "Unjárga - Nesseby"
    assert t.loc[2806, "Oppslutning prosentvis"] == 48.36957
    assert t["Stemmekretsnummer"].isna().sum() > 0
    _accounting(t)


def test_scb_energy_latin1_comma_delimited_double_dot_markers(real_dir):
    t = read_table(real_dir / NORDIC / "scb_energyUsageHousesOld2.csv")
    info = _info(t)
    assert t.shape == (2835, 14)
    assert info.source.delimiter == "," and info.source.header_row == 1
    assert sum(info.markers.values()) == 1933  # SOURCES.md: '..' missing marker (1933 cells)
    assert t.loc[2, "region"] == "00 Riket"
    assert t.loc[2, "kategori"] == "9.6.1 slutanv. Spec Hushåll småhus"
    assert t.loc[2, "energityp"] == "fjärrvärme"
    assert t.loc[2, "1990"] == 2057436
    assert all(t[c].dtype == "Int64" for c in t.columns[3:])
    assert t.loc[2836, "region"] == "2584 Kiruna" and t.loc[2836, "2008"] == 7285
    _accounting(t)


def test_ssb_05803_crlf_title_quoted_year(real_dir):
    t = read_table(real_dir / NORDIC / "ssb_05803_befolkning.csv")
    info = _info(t)
    assert t.shape == (254, 2)
    assert info.source.header_row == 3 and info.source.encoding == "utf-8"
    assert list(t.columns) == ["år", "Befolkning 1. januar"]
    assert info.preamble == ["05803: Endringer i befolkningen i løpet av året, etter år og statistikkvariabel"]
    assert t.loc[4, "år"] == 1769 and t.loc[4, "Befolkning 1. januar"] == 739180
    assert t.loc[257, "år"] == 2022 and t.loc[257, "Befolkning 1. januar"] == 5425270
    _accounting(t)


def test_myh_xlsx_header_on_row_6(real_dir):
    path = real_dir / NORDIC / "myh_resultat-ansokningsomgang-2024.xlsx"
    t = read_table(path, "Tabell 3")
    info = _info(t)
    assert t.shape == (1272, 28)  # sheet dimension A1:AB1278, header on row 6
    assert info.source.header_row == 6 and info.source.sheet == "Tabell 3"
    assert info.preamble[0] == "Yrkeshögskolan"
    assert t.loc[7, "Utbildningsnamn"] == "AI Programmer" and t.loc[7, "YH-poäng"] == 550
    assert t.loc[7, "SUN5 inriktning"] == "481ab"
    assert t["Beviljade platser totalt"].dtype == "Int64"
    assert t.loc[1278, "Utbildningsnamn"] == "Lärlingsutbildning inom traditionellt hantverk"
    _accounting(t)
    t1 = read_table(path, "Tabell 1")
    assert t1.shape == (344, 9) and _info(t1).source.header_row == 6


def test_myh_unknown_sheet_lists_sheets(real_dir):
    with pytest.raises(DataError, match=r"myh_resultat.*'Tabell 9'.*Tabell 4"):
        read_raw(real_dir / NORDIC / "myh_resultat-ansokningsomgang-2024.xlsx", "Tabell 9")


def test_skolverket_multi_row_merged_header(real_dir):
    path = real_dir / NORDIC / "skolverket_betyg_o_prov_riksniva.xlsx"
    t = read_table(path, "Tabell 1A")
    info = _info(t)
    assert t.shape == (31, 10)  # data rows 11–41 under the header rows 6–10
    assert info.source.header_row == 6 and t.index[0] == 11
    assert t.columns[0] == "Läsår Huvudman Bakgrund"  # line breaks inside the cell → spaces
    assert t.columns[2] == "Elever som avslutat åk 9 – Flickor"
    assert t.columns[5] == "Elever som avslutat åk 9 – därav elever – med slutbetyg1 – Flickor"
    assert t.columns[9] == "Elever som avslutat åk 9 – därav elever – med godkända slutbetyg – Pojkar"
    assert any("med slutbetyg1" in n for n in info.notes)  # glued footnote digit reported
    assert t.loc[11, "Läsår Huvudman Bakgrund"] == "2018/19"
    assert t.loc[11, t.columns[1]] == 112731
    # row 19 'Internationella skolor': counts present, '.' in the six slutbetyg columns
    assert t.loc[19, t.columns[1]] == 213 and pd.isna(t.loc[19, t.columns[4]])
    assert info.markers == {c: 2 for c in t.columns[4:]}
    _accounting(t)
    b = read_table(path, "Tabell 1B")
    assert b.shape == (28, 10) and b.index[0] == 9
    assert b.columns[4].endswith("Genomsnittligt meritvärde beräknat på 17 ämnen3 – Totalt")
    assert b.loc[9, b.columns[1]] == 221.7 and b[b.columns[1]].dtype == "Float64"


def test_maxqda_legacy_xls(real_dir):
    t = read_table(real_dir / "coding_exports" / "maxqda_coded_segments_pl.xls")
    assert t.shape == (402, 13)
    assert t.columns[2] == "Grupa dokumentów" and t.columns[5] == "Początek"
    assert t.loc[2, "Nazwa dokumentu"] == "0_229" and t.loc[2, "Autor"] == "agata"
    assert t["Data utworzenia"].dtype == "datetime64[ns]"  # 'dd.mm.yyyy hh:mm:ss' text
    assert t.loc[2, "Data utworzenia"] == pd.Timestamp("2017-11-30 20:55:14")
    _accounting(t)


def test_taguette_and_atlasti_csv(real_dir):
    t = read_table(real_dir / "coding_exports" / "taguette_highlights_all_tags_20220303.csv")
    assert t.shape == (1930, 4) and t["id"].nunique() == 1793
    assert t["document"].nunique() == 17 and t["tag"].nunique() == 22
    assert list(t.index) == list(range(2, 1932))  # CRLF; one line per record in this file
    a = read_table(real_dir / "coding_exports" / "atlasti_code_list_frequencies.csv")
    assert a.shape == (465, 9) and a.columns[1] == "unnamed_2"
    assert a.loc[2, "Code"].startswith("● T1.")


def test_ess9_sav_codes_labels_user_missing(real_dir):
    path = real_dir / SAV / "ess9_ESS9SE.sav"
    t = read_table(path)
    info = _info(t)
    assert t.shape == (1539, 557)
    meta = info.sav_meta
    assert meta["file_encoding"] == "UTF-8"
    assert len(meta["value_labels"]) == 544 and len(meta["user_missing"]) == 503
    assert sum(t[c].dtype == "string" for c in t.columns) == 11
    assert meta["value_labels"]["prtvtcse"][4.0] == "Miljöpartiet de gröna"
    assert meta["user_missing"]["prtvtcse"] == {"values": [], "ranges": [(66.0, 99.0)]}
    assert t["prtvtcse"].dtype == "Int64" and 66 in set(t["prtvtcse"].dropna())  # codes kept as values
    lab = read_table(path, labels=True)
    cats = lab["prtvtcse"].cat
    assert cats.ordered and "Vänsterpartiet" in cats.categories
    assert list(cats.categories[:2]) == [meta["value_labels"]["prtvtcse"][k] for k in sorted(
        meta["value_labels"]["prtvtcse"])[:2]]
    assert "Rødt" in lab["prtvtbno"].cat.categories
    first = t.loc[1, "prtvtcse"]
    assert lab.loc[1, "prtvtcse"] == meta["value_labels"]["prtvtcse"][float(first)]
    _accounting(t)


def test_pallant_sav_windows_1252(real_dir):
    t = read_table(real_dir / SAV / "pallant_survey.sav")
    meta = _info(t).sav_meta
    assert t.shape == (439, 134)
    assert meta["file_encoding"].lower() == "windows-1252"
    assert len(meta["value_labels"]) == 9
    assert sum(1 for v in meta["variable_labels"].values() if v) == 21
    assert t["sex"].dtype == "Int64"


def test_haven_umlauts_labels(real_dir):
    lab = read_table(real_dir / SAV / "haven_umlauts.sav", labels=True)
    assert lab.shape == (4, 1)
    assert list(lab["var1"].cat.categories) == ["the ä umlaut", "the ü umlaut", "the ö umlaut"]
    assert lab["var1"].tolist()[:2] == ["the ä umlaut", "the ü umlaut"]


def test_pyreadstat_simple_alltypes(real_dir):
    t = read_table(real_dir / SAV / "pyreadstat_simple_alltypes.sav")
    meta = _info(t).sav_meta
    assert t.shape == (6, 12)
    assert len(meta["value_labels"]) == 5
    assert set(meta["user_missing"]) == {"x", "z"}
    assert meta["user_missing"]["x"]["values"] == [7.0, 8.0, 99.0]
    assert t.loc[5, "x"] == 8  # a user-missing code stays a value
    assert t.loc[1, "str"] == "red" and t.loc[1, "y"] == pd.Timestamp("2000-01-01")
    raw = read_raw(real_dir / SAV / "pyreadstat_simple_alltypes.sav")
    assert raw.frame.loc[1, "x"] == "1" and raw.frame["x"].dtype == "string"
