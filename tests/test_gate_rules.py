"""The whole-file gate's rules: normalisation, numbers that lost zeros, false positives, masking, prefilter.

The planted corpus (``test_gate_planted.py``) shows that numbers are refused
everywhere; this file shows the rules behind it and that ordinary values
(phone numbers, order ids, dates, amounts, real exports) still pass.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.errors import ConfigError, DataError, DataWarning, IdentifierError
from evalkit.privacy import (
    NUMBER_RANGE,
    TOKEN_PREFILTER,
    Gate,
    classify_number,
    holds_identifier,
    identifier_kinds,
    normalise_text,
    redact,
    safe_path,
    safe_value,
    scan_identifiers,
)
from tests.test_gate_planted import CLEAN, NO_FORMS, SE_FORMS, no_number, se_number
from tests.test_privacy import SE_WORKED, se_check

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


# ----------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("６４０８２３－３２３４", "640823-3234"),  # full-width digits and hyphen-minus
        ("640823\u20133234", "640823-3234"),  # en dash
        ("640823\u20113234", "640823-3234"),  # non-breaking hyphen
        ("640823\u22123234", "640823-3234"),  # minus sign
        ("640823\u00a03234", "640823 3234"),  # no-break space
        ("640823\u202f3234", "640823 3234"),  # narrow no-break space
        ("640823\u00ad-3234", "640823-3234"),  # soft hyphen removed
        ("640823\u200b3234", "6408233234"),  # zero-width space removed
        ("٦٤٠٨٢٣-٣٢٣٤", "640823-3234"),  # Arabic-Indic digits
        ("plain ASCII 640823-3234", "plain ASCII 640823-3234"),
    ],
)
def test_normalise_text(text, folded):
    assert normalise_text(text) == folded
    assert identifier_kinds(text) == ("personnummer",)  # Skatteverket's worked example in every spelling


@pytest.mark.parametrize("text", ["640823 - 3234", "640823  3234", "19 640823-3234", "19640823 - 3234",
                                  "1.6408233234E9", "6408233234.0", "1,6408233234E+09"])
def test_separators_and_number_spellings_are_found(text):
    assert identifier_kinds(f"ref {text}" if "E" not in text and ".0" not in text else text) == ("personnummer",)


# ----------------------------------------------------------------------------- lost leading zeros
def _lost(digits12: str) -> int:
    return int(digits12[2:])  # the 10-digit form as an integer: its leading zeros are gone


@pytest.mark.parametrize(("year", "month", "n_digits"), [(2005, None, 9), (1903, None, 9), (2000, 11, 8),
                                                         (2000, 3, 7)])
def test_swedish_numbers_that_lost_their_zeros(year, month, n_digits):
    rng = np.random.default_rng(year + (month or 0))
    numbers = [se_number(rng, "personnummer", year=year, month=month) for _ in range(20)]
    ints = [_lost(n) for n in numbers]
    assert all(len(str(i)) == n_digits for i in ints)
    frame = pd.DataFrame({"pnr": pd.array(ints, dtype="Int64"), "text": [str(i) for i in ints]})
    hits = scan_identifiers(frame)
    assert {h.row for h in hits if h.column == "pnr"} == set(range(20))
    assert {h.row for h in hits if h.column == "text"} == set(range(20))  # digits read from a CSV


def test_norwegian_numbers_that_lost_their_zero():
    rng = np.random.default_rng(4)
    ints = [int(no_number(rng, "fødselsnummer", day_below_10=True)) for _ in range(20)]
    assert all(len(str(i)) == 10 for i in ints)
    assert {h.row for h in scan_identifiers(pd.DataFrame({"fnr": ints}))} == set(range(20))


def test_one_lost_zero_number_among_small_counters_is_found():
    number = _lost(se_number(np.random.default_rng(8), "personnummer", year=2000, month=5))
    frame = pd.DataFrame({"nr": [1, 2, number, 4, 5]})
    assert [h.row for h in scan_identifiers(frame)] == [2]


def test_random_short_ids_are_not_read_as_numbers_that_lost_zeros():
    rng = np.random.default_rng(5)
    for low, high in ((10**6, 10**7), (10**7, 10**8), (10**8, 10**9), (10**9, 10**10)):
        ids = rng.integers(low, high, 2000)
        # share of ids that *would* pass if read with zeros restored: about 6 %, 0.2 %, 0.7 % for 7/8/9 digits
        hits = scan_identifiers(pd.DataFrame({"order": ids}))
        if low < 10**9:
            assert hits == [], (low, len(hits))
        else:  # 10 digits are read as written (a Swedish number); the Luhn digit lets ~0.7 % through
            assert len(hits) < 0.02 * len(ids)
    assert NUMBER_RANGE == (1e6, 1e12)


def test_loose_values_are_not_read_as_numbers_that_lost_zeros():
    number = _lost(se_number(np.random.default_rng(9), "personnummer", year=2004))
    assert len(str(number)) == 9
    assert identifier_kinds(number) == () and identifier_kinds(str(number)) == ()  # a seed, a label
    assert scan_identifiers(pd.DataFrame({"x": [number]}))  # but a column of it is refused


# ----------------------------------------------------------------------------- false positives
ORDINARY = [
    "070-123 45 67", "070\u2013123 45 67", "070\u00a0123\u00a045\u00a067", "０７０－１２３ ４５ ６７",
    "+46 70 123 45 67", "+46701234567", "08-123 456 78", "2019-03-05", "2019\u201303\u201305",
    "2019-03-05 07:45:00", "20190305", "20190305123456", "123 45", "SE-123 45", "1.5E3", "2.5e+06",
    "12 345 678,50", "ORD-2019-000123", "1234567 - 890123", "v. 2.3.1", "Tabell 12, rad 4–9",
    "1964082332345", "640823-3235", "19640823-32345", "m²", "½ timme", "①②③",
]


def test_ordinary_values_pass():
    assert [v for v in ORDINARY if holds_identifier(v)] == []
    frame = pd.DataFrame({"v": ORDINARY})
    assert scan_identifiers(frame) == []


def test_generated_phone_numbers_dates_and_ids_pass_in_every_spelling():
    rng = np.random.default_rng(21)
    n = 400
    dashes = np.array(["-", "\u2013", "\u2011", " - "])
    frame = pd.DataFrame({
        "phone": [f"07{rng.integers(0, 10)}{d}{rng.integers(100, 999)} {rng.integers(10, 99)} {rng.integers(10, 99)}"
                  for d in rng.choice(dashes, n)],
        "date": [f"20{rng.integers(10, 30)}{d}{rng.integers(1, 13):02d}{d}{rng.integers(1, 29):02d}"
                 for d in rng.choice(dashes, n)],
        "order": [f"ORD{d}{rng.integers(10**12, 10**13)}" for d in rng.choice(dashes, n)],
        "amount": [f"{rng.gamma(2, 5000):.2f}".replace(".", ",") for _ in range(n)],
        "sci": [f"{rng.gamma(2, 5000):.4E}" for _ in range(n)],
    })
    assert scan_identifiers(frame) == []


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared real fixtures are not here")
def test_real_exports_pass_the_whole_file_gate():
    files = sorted(p for p in REAL.rglob("*") if p.suffix.lower() in (".csv", ".xlsx", ".xls", ".sav",
                                                                        ".parquet", ".tsv", ".txt"))
    assert len(files) >= 5
    read = 0
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ek.read_table(path)
            except IdentifierError as exc:  # a false positive on a real export
                pytest.fail(f"{path.name}: {exc}")
            except DataError:
                continue  # not a table this reader takes (e.g. a codebook text file)
        read += 1
    assert read >= 5


def test_a_clean_workbook_with_comments_properties_and_sheets_passes(tmp_path):
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    wb = Workbook()
    ws = wb.active
    for row in (["id", "telefon", "datum"], [1, "070-123 45 67", "2019-03-05"], [2, "08\u2013123 456 78", 20190305]):
        ws.append(row)
    ws["B2"].comment = Comment("ring efter 12.00, ärende 2019-0345", "Handläggare")
    wb.properties.title = "Uttag 2023-01-01 – 2023-12-31"
    wb.create_sheet("Noter 2023")["A1"] = "Order 1234567890123"
    ws.oddFooter.center.text = "Sida &P av &N"
    path = tmp_path / "ren.xlsx"
    wb.save(path)
    assert len(ek.read_table(path)) == 2


# ----------------------------------------------------------------------------- masking
def test_redact_masks_valid_numbers_in_every_spelling():
    for write in list(SE_FORMS.values()):
        text = f"got '{write('19' + SE_WORKED)}' on row 12"
        masked = redact(text)
        assert "3234" not in normalise_text(masked) and "on row 12" in masked, masked
    assert redact("row 1234567 of 2000000") == "row 1234567 of 2000000"  # not a number: kept


def test_safe_value_masks_every_long_digit_run():
    assert safe_value("19640823-3235") == "••••••••-••••"  # wrong check digit, still masked
    assert safe_value("1.6408233235E9") == "•.••••••••••E•" and safe_value("1234567") == "•••••••"
    assert safe_value("B12") == "B12" and safe_value("2019-03-05") == "2019-03-05"  # dates stay readable
    assert safe_value("070-123 45 67") == "070-123 45 67"
    assert safe_path(Path("/data/beslut.csv")) == "/data/beslut.csv"
    assert "3234" not in safe_path(Path("/data/640823-3234/beslut.csv"))


def test_every_error_and_warning_masks_valid_numbers():
    for err in (DataError("x: got '640823–3234'"), ConfigError("got 19640823 - 3234"),
                ek.AnalysisError("id 6408233234"), DataWarning("row 2: 640823-3234")):
        assert "3234" not in normalise_text(str(err)), str(err)


def test_bad_cells_are_quoted_masked(tmp_path):
    path = tmp_path / "beslut.csv"
    # a personnummer with a typo in its check digit passes the gate (it is no valid number) but is masked
    path.write_text(CLEAN.replace("2023-03-10", "19640823-3235"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        ek.load_decisions(path)
    assert "3235" not in str(info.value) and "••••••••-••••" in str(info.value)


def test_unknown_sheet_lists_masked_names(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Data 2023"
    wb.create_sheet("Kund 19640823-3235")  # not valid: the gate lets it through, the message masks it
    path = tmp_path / "x.xlsx"
    wb.save(path)
    with pytest.raises(DataError) as info:
        ek.read_table(path, sheet="Saknas")
    assert "3235" not in str(info.value) and "Data 2023" in str(info.value)


# ----------------------------------------------------------------------------- mapping values
def test_a_value_map_to_an_unknown_outcome_is_refused(tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN, encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[values.outcome]\n"Bifall" = "approved"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        ek.load_decisions(path, mapping)
    assert "granted, partly, denied" in str(info.value) and "approved" in str(info.value)
    mapping.write_text('[values.outcome]\n"Bifall" = "granted"\n[values.goal_recorded]\n"Ja" = true\n',
                       encoding="utf-8")
    assert ek.load_decisions(path, mapping)["outcome"].tolist() == ["granted", "denied", "partly"]


def test_a_value_map_on_a_column_without_fixed_values_is_refused(tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN, encoding="utf-8")
    with pytest.raises(ConfigError, match="no fixed set of values"):
        ek.load_decisions(path, {"values": {"service": {"HT": "Hemtjänst"}}})


# ----------------------------------------------------------------------------- the RE2 prefilter
def _prefilter_hits(values: list[str]) -> list[bool]:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.match_substring_regex(pa.array(values), TOKEN_PREFILTER).to_pylist()


def test_prefilter_lets_every_written_form_through_in_pyarrow_and_duckdb():
    rng = np.random.default_rng(17)
    values = []
    for write in SE_FORMS.values():
        values += [f"x {write(se_number(rng, k))} y" for k in ("personnummer", "samordningsnummer")]
    for write in NO_FORMS.values():
        values += [f"x {write(no_number(rng, k))} y" for k in ("fødselsnummer", "D-nummer", "H-nummer")]
    values += ["1.6408233234E9", "6408233234.0", "502072390",
               f" {_lost(se_number(rng, 'personnummer', year=2000, month=11))} "]
    assert all(holds_identifier(v.strip()) or scan_identifiers(pd.DataFrame({"v": [v]})) for v in values)
    assert all(_prefilter_hits(values))
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    matched = con.execute("SELECT bool_and(regexp_matches(v, ?)) FROM (SELECT unnest(?) AS v)",
                          [TOKEN_PREFILTER, values]).fetchone()[0]
    assert matched


def test_prefilter_is_a_superset_on_random_text():
    rng = np.random.default_rng(23)
    alphabet = np.array(list("0123456789") + [" ", "-", "\u2013", "\u00a0", "+", "a", "."])
    p = [0.08] * 10 + [0.06, 0.04, 0.03, 0.03, 0.02, 0.01, 0.01]
    texts = ["".join(rng.choice(alphabet, size=int(rng.integers(8, 30)), p=np.array(p) / sum(p)))
             for _ in range(5000)]
    flagged = {h.row for h in scan_identifiers(pd.DataFrame({"t": texts}), max_hits=10**6)}
    passing = _prefilter_hits(texts)
    assert flagged and all(passing[i] for i in flagged)
    assert sum(passing) < len(texts)  # a filter, not everything


def test_register_path_refuses_the_new_spellings(tmp_path):
    pytest.importorskip("duckdb")
    from evalkit.io import register

    cases = {
        "en dash in a mapped text column": CLEAN.replace(";Hemtjänst;\n", ";Hemtjänst 640823\u20133234;\n"),
        "full-width in an unmapped column": CLEAN.replace("Beviljade timmar/mån\n", "Beviljade timmar/mån;Not\n")
        .replace(";12,5\n", ";12,5;６４０８２３－３２３４\n").replace(";\nB3", ";;\nB3").replace(";41:30\n", ";41:30;\n"),
        "scientific notation in an unmapped column": CLEAN.replace("Beviljade timmar/mån\n", "Beviljade timmar/mån;Nr\n")
        .replace(";12,5\n", ";12,5;1.6408233234E9\n").replace(";\nB3", ";;\nB3").replace(";41:30\n", ";41:30;\n"),
    }
    for name, text in cases.items():
        path = tmp_path / f"{len(name)}.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(IdentifierError) as info:
            register.load_decisions_large(path)
        assert "3234" not in str(info.value), name


def test_register_parquet_integers_that_lost_zeros(tmp_path):
    pytest.importorskip("duckdb")
    from evalkit.io import register

    clean = tmp_path / "c.csv"
    clean.write_text(CLEAN, encoding="utf-8")
    frame = ek.load_decisions(clean).reset_index(drop=True)
    frame.attrs = {}
    rng = np.random.default_rng(3)
    frame["kund_nr"] = [_lost(se_number(rng, "personnummer", year=2003)) for _ in range(len(frame))]
    frame.to_parquet(tmp_path / "r.parquet")
    with pytest.raises(IdentifierError) as info:
        register.load_decisions_large(tmp_path / "r.parquet")
    assert [p.column for p in info.value.problems] == ["kund_nr"]


# ----------------------------------------------------------------------------- the Gate itself
def test_gate_groups_places_and_never_names_a_number():
    gate = Gate("x.xlsx")
    gate.values([("the name of sheet 2", "640823-3234"), ("the name of sheet 3", "Kund 701063\u20132391"),
                 ("the title", "Uttag 2023")])
    with pytest.raises(IdentifierError) as info:
        gate.refuse_if_any()
    messages = [p.message for p in info.value.problems]
    assert messages == ["personnummer in the name of sheet 2", "samordningsnummer in the name of sheet 3"]
    assert not re.search(r"3234|2391", str(info.value))
    Gate("y.csv").refuse_if_any()  # nothing found: passes
