"""The out-of-core (DuckDB) decisions loader gives the in-memory loader's table, record and errors."""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("duckdb")

from evalkit.errors import DataError, IdentifierError  # noqa: E402
from evalkit.io import _duckdb_stage, register  # noqa: E402
from evalkit.io.decisions import load_decisions  # noqa: E402
from evalkit.provenance import record_of  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun" / "beslut_procapita.csv"

CLEAN = (
    "Beslutsid;Brukare;Enhet;Ansökningsdatum;Beslutsdatum;Verkställighetsdatum;Avslutsdatum;"
    "Uppföljningsdatum;Beslut;Insats;Beviljade timmar/mån\n"
    "B1;P1;Norr;2023-01-02;2023-01-20;2023-02-01;;2023-08-01;Bifall;Hemtjänst;12,5\n"
    "B2;P2;Söder;5.1.2023;20230125;;;;Avslag;Hemtjänst;\n"
    "B3;P1;Norr;2023-03-01;2023-03-10;2023-03-15;2023-12-31;;Delvis bifall;Trygghetslarm;41:30\n"
)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def both():
    small = _quiet(load_decisions, SAMPLE)
    large = _quiet(register.load_decisions_large, SAMPLE)
    return small, large


def test_sample_file_same_table_as_in_memory(both):
    # the sample has a cp1252 preamble, CRLF blank lines and repeated headers
    small, large = both
    pd.testing.assert_frame_equal(large, small[large.columns])
    assert list(large.columns) == list(small.columns)


def test_sample_file_same_row_accounting(both):
    small, large = (record_of(f) for f in both)
    assert (large.rows_read, large.rows_kept) == (small.rows_read, small.rows_kept)
    assert {e.reason: e.rows for e in large.exclusions} == {e.reason: e.rows for e in small.exclusions}
    assert large.flags == small.flags
    assert large.source.sha256 == small.source.sha256


def test_parquet_partition_directory(tmp_path, both):
    small, _ = both
    parts = tmp_path / "register"
    for unit, frame in small.groupby("unit"):
        (parts / f"unit={unit}").mkdir(parents=True)
        frame = frame.reset_index(drop=True)
        frame.attrs = {}
        frame.to_parquet(parts / f"unit={unit}" / "part-0.parquet")
    large = _quiet(register.load_decisions_large, parts)
    expected = pd.concat([f for _, f in small.groupby("unit")])
    key = ["decision_id"]
    got = large.sort_values(key).reset_index(drop=True)
    want = expected.sort_values(key).reset_index(drop=True)[large.columns]
    pd.testing.assert_frame_equal(got, want)
    assert record_of(large).rows_read == len(small)


def test_clean_csv_matches_in_memory(tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN, encoding="utf-8")
    small = load_decisions(path)
    large = register.load_decisions_large(path)
    pd.testing.assert_frame_equal(large, small[large.columns])
    assert large.loc[4, "hours_per_month"] == 41.5


def test_identity_number_is_refused_with_its_row(tmp_path):
    path = tmp_path / "beslut.csv"
    # 19640823-3234: a valid personnummer (Skatteverket's example), in free text on file row 3
    path.write_text(CLEAN.replace(";Hemtjänst;\n", ";Hemtjänst 19640823-3234;\n"), encoding="utf-8")
    with pytest.raises(IdentifierError) as info:
        register.load_decisions_large(path)
    assert [(p.column, p.message) for p in info.value.problems] == [("Insats", "personnummer in row 3")]
    assert "3234" not in str(info.value)


def test_bad_cells_are_listed_by_row_and_column(tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN.replace("2023-03-10", "2023-02-30").replace("Avslag", "Kanske"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        register.load_decisions_large(path)
    where = {(p.row, p.column) for p in info.value.problems}
    assert (4, "Beslutsdatum") in where and (3, "Beslut") in where
    small = pytest.raises(DataError, load_decisions, path).value
    assert where == {(p.row, p.column) for p in small.problems}


def test_duplicate_decision_ids_are_refused(tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN.replace("B3;", "B1;"), encoding="utf-8")
    with pytest.raises(DataError, match="duplicated decision_id 'B1' \\(also on row 2\\)"):
        register.load_decisions_large(path)


def test_engine_choice_by_size(tmp_path, monkeypatch):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN, encoding="utf-8")
    assert register.choose_engine(path) == "pandas"
    assert register.choose_engine(tmp_path) == "duckdb"
    assert register.choose_engine(path, "duckdb") == "duckdb"
    monkeypatch.setattr(register, "AUTO_THRESHOLD_BYTES", 10)
    assert register.choose_engine(path) == "duckdb"
    with pytest.raises(DataError):
        register.choose_engine(path, "polars")


def test_unusable_spill_directory_is_a_data_error(tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN, encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataError, match="spill directory"):
        register.load_decisions_large(path, temp_directory=blocker / "sub")


def test_load_decisions_engine_keyword(tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN, encoding="utf-8")
    small = load_decisions(path, engine="pandas")
    large = load_decisions(path, engine="duckdb")
    pd.testing.assert_frame_equal(large, small[large.columns])
    assert "DuckDB" in " ".join(record_of(large).notes)
    assert "DuckDB" not in " ".join(record_of(load_decisions(path)).notes)


def test_engine_out_of_disk_becomes_a_data_error():
    import duckdb

    with pytest.raises(DataError, match="spill directory is full"):
        with _duckdb_stage.engine_errors("register.csv"):
            raise duckdb.IOException("Could not write file: No space left on device")


def test_memory_limit_reaches_duckdb(tmp_path):
    con = _duckdb_stage.connect("123MB", tmp_path, 1)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    spill = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    con.close()
    assert limit.replace(" ", "").upper().startswith(("117", "123")) and spill == str(tmp_path)


# --------------------------------------------------------------------------- the privacy gate, column by column
# 19640823-3234 and 6408233234 are Skatteverket's published example personnummer.
@pytest.mark.parametrize(
    ("old", "new", "column", "row"),
    [
        (";2023-01-20;", ";19640823-3234;", "Beslutsdatum", 2),      # in a date column: a cell that fails to convert
        (";12,5\n", ";6408233234\n", "Beviljade timmar/mån", 2),     # a number column: converts, but has 10 digits
        (";Avslag;", ";640823-3234;", "Beslut", 3),                  # a category column: its distinct spellings
        ("B3;P1;", "B3;640823-3234;", "Brukare", 4),                 # an id column, searched in the staged table
    ],
)
def test_identity_numbers_are_found_in_every_kind_of_column(tmp_path, old, new, column, row):
    path = tmp_path / "beslut.csv"
    path.write_text(CLEAN.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(IdentifierError) as info:
        register.load_decisions_large(path)
    assert [(p.column, p.message) for p in info.value.problems] == [(column, f"personnummer in row {row}")]
    small = pytest.raises(IdentifierError, load_decisions, path).value
    assert [(p.column, p.message) for p in small.problems] == [(column, f"personnummer in row {row}")]


def test_identity_numbers_in_an_unused_column_are_refused(tmp_path):
    path = tmp_path / "beslut.csv"
    text = CLEAN.replace("timmar/mån\n", "timmar/mån;Anteckning\n")
    lines = text.splitlines()
    lines = [lines[0]] + [line + (";ring 640823-3234" if i == 2 else ";") for i, line in enumerate(lines[1:], 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IdentifierError) as info:
        register.load_decisions_large(path)
    assert [(p.column, p.message) for p in info.value.problems] == [("Anteckning", "personnummer in row 3")]


def test_identity_numbers_as_parquet_integers_are_refused(tmp_path):
    # a spreadsheet-born register column: the number without its leading zero, stored as an integer
    small = load_decisions(_write(tmp_path, CLEAN))
    frame = small.reset_index(drop=True)
    frame.attrs = {}
    frame["extra_nummer"] = [1, 640823323, 3]     # 9 digits: 0640823323 is no valid number; 6408233234 is
    frame.loc[1, "extra_nummer"] = 6408233234
    frame.to_parquet(tmp_path / "beslut.parquet")
    with pytest.raises(IdentifierError) as info:
        register.load_decisions_large(tmp_path / "beslut.parquet")
    assert [(p.column, p.message) for p in info.value.problems] == [("extra_nummer", "personnummer in row 2")]


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "beslut.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_padded_cells_and_non_iso_dates_convert_as_in_memory(tmp_path):
    text = CLEAN.replace("B1;P1;Norr;", " B1 ;P1;  Norr ;").replace(";Bifall;", "; Bifall ;")
    text = text.replace("20230125", " 20230125 ").replace("2023-03-15", "15.3.2023 10:30")
    text = text.replace("2023-02-01", "2023-02-01T08:05").replace("2023-03-01", "2023-03-01 7:45:10")
    path = _write(tmp_path, text)
    small = load_decisions(path)
    large = register.load_decisions_large(path)
    pd.testing.assert_frame_equal(large, small[large.columns])
    assert large.loc[2, "decision_id"] == "B1" and large.loc[4, "start_on"] == pd.Timestamp("2023-03-15")
    assert large.loc[2, "start_on"] == pd.Timestamp("2023-02-01")
    assert large.loc[4, "applied_on"] == pd.Timestamp("2023-03-01")


def test_a_repeated_header_is_all_of_the_header_not_its_first_cell(tmp_path):
    header = CLEAN.splitlines()[0]
    # row 3 repeats the header; row 4 only begins with it (a decision whose id is "Beslutsid")
    text = CLEAN.replace("B2;P2;", header + "\nBeslutsid;P2;", 1)
    path = _write(tmp_path, text)
    small, large = load_decisions(path), register.load_decisions_large(path)
    pd.testing.assert_frame_equal(large, small[large.columns])
    assert {e.reason: e.rows for e in record_of(large).exclusions} == {"repeated header row": (3,)}
    assert large.loc[4, "decision_id"] == "Beslutsid"


def test_duckdb_draws_no_progress_bar_on_the_callers_stdout(tmp_path):
    # DuckDB draws one on stdout for queries over 2 s, even into a pipe (20 kB for one query)
    con = _duckdb_stage.connect(None, tmp_path, None)
    try:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
    finally:
        con.close()


def test_line_count_and_digest_of_a_text_file(tmp_path):
    path = _write(tmp_path, "a;b\n1;2\n\n3;4")          # no newline after the last line
    facts = _duckdb_stage.file_facts(path)
    assert facts.lines == 4
    assert facts.sha256 == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    assert _duckdb_stage.blank_lines(path, 1) == (3,)


# DuckDB's own date cast and strptime accept these; the in-memory reader does not, nor may this path
@pytest.mark.parametrize(("old", "new", "column"), [("2023-01-20", "2023/01/20", "Beslutsdatum"),
                                                    ("2023-01-02", "2023-1-2", "Ansökningsdatum")])
def test_dates_in_a_shape_the_reader_refuses_are_refused_here_too(tmp_path, old, new, column):
    path = _write(tmp_path, CLEAN.replace(old, new))
    large = pytest.raises(DataError, register.load_decisions_large, path).value
    small = pytest.raises(DataError, load_decisions, path).value
    assert {(p.row, p.column) for p in large.problems} == {(p.row, p.column) for p in small.problems} \
        == {(2, column)}


def test_a_table_too_large_for_memory_is_refused_before_it_is_built(tmp_path, monkeypatch):
    path = _write(tmp_path, CLEAN)
    monkeypatch.setattr(register, "_available_memory", lambda: 1000)
    with pytest.raises(DataError, match="register_panel"):
        register.load_decisions_large(path)
    monkeypatch.setattr(register, "_available_memory", lambda: None)
    assert len(register.load_decisions_large(path)) == 3
