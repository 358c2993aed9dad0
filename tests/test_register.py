"""The out-of-core (DuckDB) decisions loader gives the in-memory loader's table, record and errors."""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("duckdb")

from evalkit.errors import DataError, IdentifierError  # noqa: E402
from evalkit.io import register  # noqa: E402
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
        with register._engine_errors("register.csv"):
            raise duckdb.IOException("Could not write file: No space left on device")


def test_memory_limit_reaches_duckdb(tmp_path):
    con = register._connect("123MB", tmp_path, 1)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    spill = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    con.close()
    assert limit.replace(" ", "").upper().startswith(("117", "123")) and spill == str(tmp_path)
