"""A loaded table can be saved as Parquet and read back (provenance kept), and a Parquet folder holding a
single partition is read like any other (issue 13: it crashed with IsADirectoryError before the gate ran)."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import evalkit as ek
from evalkit.errors import DataWarning, IdentifierError
from evalkit.provenance import record_of

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun" / "beslut_procapita.csv"


@pytest.fixture(scope="module")
def decisions():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return ek.load_decisions(SAMPLE)


def test_a_loaded_frame_saves_to_parquet_and_its_record_comes_back(decisions, tmp_path):
    path = tmp_path / "beslut.parquet"
    decisions.head(300).to_parquet(path)
    import pandas as pd

    again = pd.read_parquet(path)
    rec, original = record_of(again), record_of(decisions)
    assert rec is not None and rec.table == "decisions"
    assert (rec.rows_read, rec.rows_kept, rec.source.sha256) == (original.rows_read, original.rows_kept,
                                                                 original.source.sha256)
    assert rec.flags == original.flags and rec.exclusions == original.exclusions


def test_a_parquet_folder_with_one_partition_loads_and_is_gated(decisions, tmp_path):
    folder = tmp_path / "register"
    folder.mkdir()
    part = decisions.head(400).copy()
    part.attrs = {}
    part.to_parquet(folder / "part-0.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        loaded = ek.load_decisions(folder)
        panel = ek.register_panel(folder)
    assert len(loaded) == 400 and len(panel) > 0
    bad = part.astype({"person_id": "string"})
    bad.loc[bad.index[7], "person_id"] = "19640823-3234"  # Skatteverket's documented test personnummer
    bad.to_parquet(folder / "part-0.parquet")
    with pytest.raises(IdentifierError) as info:
        ek.load_decisions(folder)
    assert "3234" not in str(info.value)
