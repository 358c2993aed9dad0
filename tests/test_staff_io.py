"""ek.load_staff: HR/scheduling exports → the canonical staff table (aliases, months, gate, provenance)."""
from __future__ import annotations

import warnings

import pandas as pd
import pytest

import evalkit as ek
from evalkit.errors import DataError, DataWarning, IdentifierError
from evalkit.io.staff import parse_months
from evalkit.provenance import record_of
from evalkit.schemas import STAFF

from tests.conftest import SAMPLE

HEROMA = "Anst.nr;Arbetsplats;Period;Befattning;Anställningsform;Schemalagd tid;Sjuk dag 1-14;Sjuk dag 15-\n"


def write(tmp_path, text: str, name: str = "hr.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_the_sample_export_loads_into_the_canonical_table():
    staff = ek.load_staff(SAMPLE / "personal_heroma.csv")
    assert list(staff.columns) == STAFF.names
    assert staff["month"].dt.day.eq(1).all() and staff["month"].min() == pd.Timestamp("2018-01-01")
    assert set(staff["unit"]) == {"Centrum", "Norr", "Söder", "Öster", "Väster", "Åsen"}
    assert set(staff["employment"]) == {"permanent", "temporary", "hourly"}
    assert {"assistant_nurse", "manager", "nurse", "scheduler"} <= set(staff["profession"])
    # the total is filled from the two parts the export gives
    assert (staff["sick_hours"] - staff["sick_hours_short"] - staff["sick_hours_long"]).abs().max() < 1e-9
    record = record_of(staff)
    assert record.table == "staff" and record.rows_read == record.rows_kept == len(staff) == 7560
    assert record.source.sha256 and not staff.duplicated(["employee_id", "unit", "month"]).any()


def test_swedish_headers_months_decimal_comma_and_hh_mm(tmp_path):
    path = write(tmp_path, HEROMA + "A1;Norr;202103;Undersköterska;Tillsvidare;160:30;8,5;0\n"
                                    "A1;Norr;2021-04;USK;TV;160;0;\n"
                                    "A2;Norr;mars 2021;Vårdbiträde;Timavlönad;0;;\n", encoding="cp1252")
    s = ek.load_staff(path)
    assert s["month"].dt.strftime("%Y-%m").tolist() == ["2021-03", "2021-04", "2021-03"]
    assert s["scheduled_hours"].tolist() == [160.5, 160.0, 0.0]
    assert s["sick_hours"].tolist()[:2] == [8.5, 0.0] and pd.isna(s["sick_hours"].iloc[2])
    assert s["profession"].tolist() == ["assistant_nurse", "assistant_nurse", "care_aide"]
    assert s["employment"].tolist() == ["permanent", "permanent", "hourly"]


def test_norwegian_headers_and_values(tmp_path):
    text = ("Ansattnummer;Arbeidssted;Måned;Stilling;Ansettelsesform;Planlagte timer;Sykefravær timer;"
            "Overtidstimer;Merarbeidstimer;Stillingsprosent;Ansatt fra;Ansatt til\n"
            "N7;Sone Vest;2022-01;Helsefagarbeider;Fast ansatt;150;12;3;0;80;01.02.2015;\n"
            "N8;Sone Vest;2022-01;Sykepleier;Midlertidig;100;0;0;5;60;01.09.2021;31.01.2022\n"
            "N9;Sone Vest;2022-01;Assistent;Tilkallingsvikar;0;0;0;0;;01.01.2020;\n")
    s = ek.load_staff(write(tmp_path, text))
    assert s["profession"].tolist() == ["assistant_nurse", "nurse", "care_aide"]
    assert s["employment"].tolist() == ["permanent", "temporary", "hourly"]
    assert s["sick_hours"].tolist() == [12.0, 0.0, 0.0] and s["extra_hours"].tolist() == [0.0, 5.0, 0.0]
    assert s["employment_end"].iloc[1] == pd.Timestamp("2022-01-31")
    assert s["employment_rate"].iloc[0] == 80.0


def test_a_local_spelling_is_mapped_by_a_mapping_file(tmp_path):
    path = write(tmp_path, HEROMA + "A1;Norr;202103;Hemtjänstassistent;Tillsvidare;160;0;0\n")
    with pytest.raises(DataError, match="Hemtjänstassistent"):
        ek.load_staff(path)
    s = ek.load_staff(path, {"values": {"profession": {"Hemtjänstassistent": "care_aide"}}})
    assert s["profession"].tolist() == ["care_aide"]


def test_an_identity_number_anywhere_refuses_the_file_without_echoing_it(tmp_path):
    # employee numbers must be pseudonyms: a personnummer as employee number is refused by the canonical gate
    path = write(tmp_path, HEROMA + "A1;Norr;202103;USK;TV;160;0;0\n19640823-3234;Norr;202103;USK;TV;160;0;0\n")
    with pytest.raises(IdentifierError) as err:
        ek.load_staff(path)
    assert "19640823" not in str(err.value) and "Anst.nr" in str(err.value)


def test_bad_months_and_sick_totals_are_listed_with_rows(tmp_path):
    text = ("Anst.nr;Arbetsplats;Period;Schemalagd tid;Sjukfrånvaro timmar;Sjuk dag 1-14;Sjuk dag 15-\n"
            "A1;Norr;2021-13;160;0;0;0\nA2;Norr;202103;160;4;8;0\nA3;Norr;202103;-5;0;0;0\n")
    with pytest.raises(DataError) as err:
        ek.load_staff(write(tmp_path, text))
    rows = {(p.row, p.column) for p in err.value.problems}
    assert (2, "month") not in rows  # the negative number is found first; months are parsed after the types
    assert (4, "Schemalagd tid") in rows
    text = text.replace("-5", "5")
    with pytest.raises(DataError) as err:
        ek.load_staff(write(tmp_path, text))
    rows = {(p.row, p.column) for p in err.value.problems}
    assert rows == {(2, "month"), (3, "sick_hours")}


def test_two_rows_of_one_employee_unit_and_month_are_an_error(tmp_path):
    path = write(tmp_path, HEROMA + "A1;Norr;202103;USK;TV;80;0;0\nA1;Norr;2021-03-01;USK;TV;80;0;0\n")
    with pytest.raises(DataError, match="same employee, unit and month") as err:
        ek.load_staff(path)
    assert [p.row for p in err.value.problems] == [3]


def test_employment_ending_before_it_starts_is_kept_and_flagged(tmp_path):
    text = ("Anst.nr;Arbetsplats;Period;Schemalagd tid;Anställd from;Anställd tom\n"
            "A1;Norr;202103;160;2021-03-10;2021-03-01\nA2;Norr;202103;160;2020-01-01;\n")
    with pytest.warns(DataWarning, match="ends before it starts"):
        s = ek.load_staff(write(tmp_path, text))
    assert len(s) == 2 and record_of(s).flags == {"employment ends before it starts": (2,)}


def test_a_file_without_the_required_columns_names_them(tmp_path):
    with pytest.raises(DataError, match="scheduled_hours"):
        ek.load_staff(write(tmp_path, "Anst.nr;Arbetsplats;Period\nA1;Norr;202103\n"))


def test_parse_months_refuses_what_is_no_month():
    months, bad = parse_months(pd.Series(["2021-00", "2021-12", "december 2021", "13 2021", "2021-06-31"]))
    assert bad.tolist() == [True, False, False, True, False]  # a day of the month is not checked, only the month
    assert months.iloc[1] == months.iloc[2] == pd.Timestamp("2021-12-01")


def test_the_staff_survey_loads_with_both_codebooks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        survey = ek.load_staff_survey(SAMPLE / "medarbetarenkat.csv")
    assert len(survey.items) == 10 and "stress" in survey.items
    assert {"wave", "unit", "group", "fpc"} <= set(survey.responses.columns)
    assert survey.responses["hme_meningsfullt"].cat.categories[0] == "Stämmer mycket bra"


def test_hme_items_are_taken_from_a_table_shared_with_other_instruments(tmp_path):
    from evalkit.io.read import read_table
    from evalkit.io.staff import staff_survey_from_table

    items = ";".join(["hme_meningsfullt", "stress", "G1", "C1"])
    path = write(tmp_path, f"respondent_id;wave;unit;group;{items}\nR1;2019;Norr;usk;5;2;7;3\n"
                           "R2;2021;Norr;usk;4;;6;2\n", "s.csv")
    survey = staff_survey_from_table(read_table(path), ("hme", "stress_elo"))
    assert survey.items == ["hme_meningsfullt", "stress"] and "G1" not in survey.responses
    assert survey.responses["stress"].tolist()[0] == "Bara lite" and pd.isna(survey.responses["stress"].iloc[1])
    assert any("G1" in n for n in record_of(survey.responses).notes)
    bad = write(tmp_path, "wave;unit;stress\n2019;Norr;7\n", "bad.csv")
    with pytest.raises(DataError, match="stress"):
        staff_survey_from_table(read_table(bad), "stress_elo")
    with pytest.raises(DataError, match="none of the items"):
        staff_survey_from_table(read_table(bad), "hme")
