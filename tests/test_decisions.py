"""Canonical loaders on export-shaped files: types, row numbers, accounting, errors, privacy gate."""
from __future__ import annotations

import hashlib
import warnings

import openpyxl
import pandas as pd
import pytest

import evalkit as ek
from evalkit.io.decisions import load_decisions, load_orders, load_visits
from evalkit.provenance import record_of

HEADER = ("Beslutsid;Brukare;Enhet;Ansökningsdatum;Beslutsdatum;Verkställighetsdatum;Avslutsdatum;"
          "Uppföljningsdatum;Beslut;Insats;Beviljade timmar/mån;Lagrum;Handläggare")
ROWS = [
    "B0001;P0001;Åsen;2019-01-03;2019-01-20;2019-01-25;;2019-07-25;Bifall;Hemtjänst omsorg;41,5;SoL 4 kap. 1 §;H01",
    "B0002;P0002;Norr;2019-02-01;2019-02-11;2019-02-12;2019-12-31;2019-08-11;Delvis bifall;Hemtjänst service;12,25;SoL 4 kap. 1 §;H02",
    "B0003;P0003;Söder;2019-02-05;2019-02-19;;;;Avslag;Dagverksamhet;;SoL 4 kap. 1 §;H01",
    "B0004;P0001;Åsen;2019-03-01;2019-03-08;2019-03-09;;2019-09-08;Bifall;Trygghetslarm;;SoL 4 kap. 1 §;H03",
]
PREAMBLE = ["Sammanställning beslut hemtjänst;;;", "Urval: Beslutsdatum 2019-01-01 -- 2019-12-31;;;", ""]


def write_export(tmp_path, rows=ROWS, header=HEADER, preamble=PREAMBLE, name="beslut.csv", encoding="cp1252"):
    p = tmp_path / name
    p.write_bytes("\r\n".join([*preamble, header, *rows, ""]).encode(encoding))
    return p


def test_messy_procapita_export_loads_into_canonical_types(tmp_path):
    p = write_export(tmp_path)
    d = load_decisions(p)
    assert list(d.columns[:13]) == ek.schemas.DECISIONS.core
    assert str(d["decided_on"].dtype) == "datetime64[ns]"
    assert str(d["hours_per_month"].dtype) == "Float64"
    assert d.loc[5, "hours_per_month"] == 41.5 and d.loc[6, "hours_per_month"] == 12.25
    assert d.loc[5, "unit"] == "Åsen"  # cp1252 decoded
    assert list(d["outcome"]) == ["granted", "partly", "denied", "granted"]
    assert pd.isna(d.loc[7, "start_on"]) and pd.isna(d.loc[7, "hours_per_month"])
    # the index is the line number a user sees in the file (3 preamble lines, header on line 4)
    assert list(d.index) == [5, 6, 7, 8]


def test_row_accounting_and_sha256(tmp_path):
    p = write_export(tmp_path, rows=ROWS[:2] + ["", ";;;;;;;;;;;;"] + ROWS[2:])
    d = load_decisions(p)
    rec = record_of(d)
    assert rec.source.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert rec.rows_kept == len(d) == 4
    assert rec.rows_read == rec.rows_kept + rec.rows_excluded
    assert rec.rows_excluded == 2  # the blank and the all-empty line, each with a reason
    assert all(e.reason for e in rec.exclusions)


def test_impossible_dates_are_flagged_not_dropped(tmp_path):
    bad = ROWS[0].replace("2019-01-03;2019-01-20;2019-01-25;", "2019-01-30;2019-01-20;2019-01-25;")
    bad2 = ROWS[1].replace("2019-02-12;2019-12-31", "2019-02-12;2019-01-31")
    p = write_export(tmp_path, rows=[bad, bad2] + ROWS[2:])
    with pytest.warns(ek.DataWarning, match="decided before applied"):
        d = load_decisions(p)
    assert len(d) == 4
    flags = record_of(d).flags
    assert flags["decided before applied"] == (5,)
    assert flags["ends before it starts"] == (6,)


def test_all_problems_reported_together_with_row_and_column(tmp_path):
    rows = [ROWS[0].replace("2019-01-20", "2019-13-20"),
            ROWS[1].replace("12,25", "tolv"),
            ROWS[2].replace("Avslag", "Avvisad"),
            ROWS[3].replace("B0004", "B0001")]
    p = write_export(tmp_path, rows=rows)
    with pytest.raises(ek.DataError) as info:
        load_decisions(p)
    text = str(info.value)
    assert "beslut.csv" in text
    assert "row 5, column 'Beslutsdatum'" in text and "2019-13-20" in text
    assert "row 6, column 'Beviljade timmar/mån'" in text
    assert "row 7, column 'Beslut'" in text and "Avvisad" in text
    assert "row 8, column 'Beslutsid'" in text and "also on row 5" in text
    assert len(info.value.problems) == 4


def test_local_spelling_can_be_mapped(tmp_path):
    p = write_export(tmp_path, rows=[ROWS[2].replace("Avslag", "Avslag enl. 4:1")])
    with pytest.raises(ek.DataError, match="unknown value 'Avslag enl. 4:1'"):
        load_decisions(p)
    m = tmp_path / "mapping.toml"
    m.write_text('[values.outcome]\n"Avslag enl. 4:1" = "denied"\n', encoding="utf-8")
    assert list(load_decisions(p, mapping=m)["outcome"]) == ["denied"]


def test_missing_required_column(tmp_path):
    header = HEADER.replace("Beslutsdatum", "Datum")
    p = write_export(tmp_path, header=header)
    with pytest.raises(ek.DataError, match="required column 'decided_on' not found"):
        load_decisions(p)


def test_identity_number_in_free_text_refuses_the_file(tmp_path):
    # 640823-3234 is Skatteverket's documented example personnummer (domain.md §3.1)
    header = HEADER + ";Anteckning"
    rows = [r + ";" for r in ROWS]
    rows[2] = rows[2] + "Ring brukaren 640823-3234 efter beslut"
    p = write_export(tmp_path, rows=rows, header=header)
    with pytest.raises(ek.IdentifierError) as info:
        load_decisions(p)
    text = str(info.value)
    assert "Anteckning" in text and "7" in text
    assert "6408233234" not in text.replace("-", "")


def test_norwegian_export_with_day_first_dates(tmp_path):
    header = ("Vedtaksnummer;Bruker;Bydel;Søknadsdato;Vedtaksdato;Startdato;Sluttdato;Evalueringsdato;"
              "Vedtaksresultat;Tjeneste;Timer per måned;Hjemmel;Saksbehandler")
    rows = ["V1;B1;Årstad;3.1.2019;20.01.2019;25.01.2019;;25.07.2019;Innvilget;Hjemmesykepleie;10,5;hol § 3-2;S1",
            "V2;B2;Fana;01.02.2019;11.02.2019;;;;Avslått;Praktisk bistand;;hol § 3-2;S2"]
    p = write_export(tmp_path, rows=rows, header=header, preamble=[], encoding="utf-8-sig")
    d = load_decisions(p)
    assert d["applied_on"].tolist()[0] == pd.Timestamp("2019-01-03")
    assert d["decided_on"].tolist()[1] == pd.Timestamp("2019-02-11")
    assert list(d["outcome"]) == ["granted", "denied"]


def test_xlsx_with_title_rows_gives_the_same_table_as_csv(tmp_path):
    csv = write_export(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Beslut"
    ws.append(["Sammanställning beslut hemtjänst"])
    ws.append(["Urval: Beslutsdatum 2019-01-01 -- 2019-12-31"])
    ws.append([])
    ws.append(HEADER.split(";"))
    for r in ROWS:
        cells = r.split(";")
        cells[10] = float(cells[10].replace(",", ".")) if cells[10] else None
        ws.append([c if c != "" else None for c in cells])
    xlsx = tmp_path / "beslut.xlsx"
    wb.save(xlsx)
    a, b = load_decisions(csv), load_decisions(xlsx)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=True)


def test_hours_as_hh_mm(tmp_path):
    p = write_export(tmp_path, rows=[ROWS[0].replace("41,5", "41:30")])
    assert load_decisions(p)["hours_per_month"].tolist() == [41.5]


def test_orders_and_visits(tmp_path):
    orders = tmp_path / "andrade_bestallningar.csv"
    orders.write_bytes(("Beställnings-id;Brukare;Enhet;Ändringsdatum;Ändringstyp\r\n"
                        "O1;P1;Norr;2021-03-01;Tid\r\nO1;P1;Norr;2021-03-09;Nytt beslut\r\n").encode("utf-8-sig"))
    o = load_orders(orders)
    assert list(o["change_type"]) == ["time", "new_decision"]
    visits = tmp_path / "besok.csv"
    visits.write_text("Kund,Personal,Start,Slut,Besökstyp\nP1,S1,2021-03-01 07:45,2021-03-01 08:10,Planerat\n"
                      "P1,S2,2021-03-01 21:50,2021-03-01 22:05,Larm\n", encoding="utf-8")
    v = load_visits(visits)
    assert v["visit_start"].tolist()[0] == pd.Timestamp("2021-03-01 07:45")
    assert list(v["visit_kind"]) == ["planned", "alarm"]
