"""register_panel (SQL aggregation in DuckDB) equals evalkit.outcomes.monthly_panel on the same decisions."""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("duckdb")

from evalkit.errors import DataError  # noqa: E402
from evalkit.io.decisions import load_decisions  # noqa: E402
from evalkit.io.register import REGISTER_PANEL_COLUMNS, register_panel  # noqa: E402
from evalkit.outcomes import monthly_panel  # noqa: E402
from evalkit.provenance import record_of  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun" / "beslut_procapita.csv"
COLUMNS = ["unit", "period", *REGISTER_PANEL_COLUMNS]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def decisions():
    return _quiet(load_decisions, SAMPLE)


@pytest.mark.parametrize("options", [{}, {"start": "2016-03", "end": "2024-06", "missing_start": "exclude"}])
def test_panel_equals_monthly_panel(decisions, options):
    want = monthly_panel(decisions, **options)[COLUMNS]
    got = _quiet(register_panel, SAMPLE, **options)
    pd.testing.assert_frame_equal(got, want, rtol=1e-12)
    assert got["active_users"].sum() > 0 and got["granted_hours"].sum() > 0


def test_panel_from_parquet_partitions(tmp_path, decisions):
    for unit, part in decisions.groupby("unit"):
        part = part.reset_index(drop=True)
        part.attrs = {}
        (tmp_path / f"unit={unit}").mkdir()
        part.to_parquet(tmp_path / f"unit={unit}" / "part-0.parquet")
    got = _quiet(register_panel, tmp_path)
    want = monthly_panel(decisions)[COLUMNS]
    pd.testing.assert_frame_equal(got, want, rtol=1e-12)
    assert record_of(got).rows_kept == len(decisions)


def test_panel_refuses_a_unit_called_total(tmp_path):
    path = tmp_path / "beslut.csv"
    path.write_text("decision_id;person_id;unit;decided_on;outcome;service\n"
                    "B1;P1;Total;2023-01-05;granted;home care\n", encoding="utf-8")
    with pytest.raises(DataError, match="Total"):
        register_panel(path)
    assert register_panel(path, total=False)["active_users"].tolist() == [1]


def test_quantiles_from_counts_equal_numpy():
    import numpy as np

    from evalkit.io.register import _quantiles_from_counts

    rng = np.random.default_rng(8)
    rows, expected = [], []
    for g in ("A", "B"):
        for m in range(5):
            values = rng.integers(0, 40, rng.integers(1, 30))
            v, n = np.unique(values, return_counts=True)
            rows += [(g, m, int(a), int(b)) for a, b in zip(v, n)]
            expected.append((g, m, np.quantile(values, 0.5), np.quantile(values, 0.9)))
    hist = pd.DataFrame(rows, columns=["g", "m", "v", "n"]).sample(frac=1, random_state=1)
    got = _quantiles_from_counts(hist, {0.5: "q50", 0.9: "q90"}).sort_values(["g", "m"]).reset_index(drop=True)
    want = pd.DataFrame(expected, columns=["g", "m", "q50", "q90"])
    pd.testing.assert_frame_equal(got, want, check_dtype=False, atol=1e-12, rtol=0)


def test_a_person_who_moves_counts_once_in_the_total_and_long_spans_cross_mask_words(tmp_path):
    # P1 moves from Norr to Söder with overlapping decisions; P2's decision runs 70 months
    # (more than one 63-month word of the month masks); P3 has two decisions in force at once
    text = (
        "Beslutsid;Brukare;Enhet;Ansökningsdatum;Beslutsdatum;Verkställighetsdatum;Avslutsdatum;Beslut;"
        "Insats;Beviljade timmar/mån\n"
        "B1;P1;Norr;2015-01-02;2015-01-10;2015-01-15;2015-06-30;Bifall;Hemtjänst;10\n"
        "B2;P1;Söder;2015-04-01;2015-04-10;2015-04-20;2015-12-31;Bifall;Hemtjänst;12\n"
        "B3;P2;Norr;2015-01-05;2015-02-01;2015-02-01;2020-11-30;Delvis bifall;Hemtjänst;5,5\n"
        "B4;P3;Söder;2016-03-01;2016-03-05;2016-03-05;;Bifall;Trygghetslarm;\n"
        "B5;P3;Söder;2016-05-01;2016-05-09;2016-06-01;2017-02-28;Bifall;Hemtjänst;20\n"
        "B6;P4;Norr;2019-12-01;2021-01-10;;;Avslag;Hemtjänst;\n"
    )
    path = tmp_path / "beslut.csv"
    path.write_text(text, encoding="utf-8")
    want = monthly_panel(load_decisions(path))[COLUMNS]
    got = register_panel(path)
    pd.testing.assert_frame_equal(got, want, rtol=1e-12)
    total = got[got["unit"] == "Total"].set_index("period")["active_users"]
    assert total[pd.Timestamp("2015-05-01")] == 2          # P1 (in both units) and P2
    assert got[got["unit"] == "Norr"].set_index("period")["active_users"][pd.Timestamp("2020-11-01")] == 1


def test_replacement_rule_with_services_never_granted_hours(tmp_path):
    # Hemtjänst: B2 (no hours) replaces B1 from 2018-05, so B1's 30 hours stop after April even though
    # B2 has none; Trygghetslarm is never granted with hours and is left out of the window (its
    # persons still count as active users)
    text = (
        "Beslutsid;Brukare;Enhet;Ansökningsdatum;Beslutsdatum;Verkställighetsdatum;Avslutsdatum;Beslut;"
        "Insats;Beviljade timmar/mån\n"
        "B1;P1;Norr;2018-01-02;2018-01-10;2018-02-01;;Bifall;Hemtjänst;30\n"
        "B2;P1;Norr;2018-04-20;2018-05-02;2018-05-02;;Bifall;Hemtjänst;\n"
        "B3;P2;Norr;2018-01-02;2018-02-10;2018-02-10;;Bifall;Trygghetslarm;\n"
        "B4;P2;Norr;2018-03-02;2018-03-10;2018-03-10;2018-09-30;Bifall;Trygghetslarm;\n"
        "B5;P3;Norr;2018-03-02;2018-03-12;;;Avslag;Matdistribution;8\n"
    )
    path = tmp_path / "beslut.csv"
    path.write_text(text, encoding="utf-8")
    want = monthly_panel(load_decisions(path), end="2018-08")[COLUMNS]
    got = register_panel(path, end="2018-08")
    pd.testing.assert_frame_equal(got, want, rtol=1e-12)
    norr = got[got["unit"] == "Norr"].set_index("period")
    assert norr["granted_hours"][pd.Timestamp("2018-04-01")] == 30
    assert norr["granted_hours"][pd.Timestamp("2018-05-01")] == 0
    assert norr["active_users"][pd.Timestamp("2018-06-01")] == 2


def test_the_hours_window_leaves_out_only_services_never_granted_with_hours():
    from evalkit.io.register import _hv_sql

    assert "s IN ('Hemtjänst', 'O''Brien')" in _hv_sql(["Hemtjänst", "O'Brien"])
    assert "WHERE false" in _hv_sql([])
    # printed for other engines: the same condition, found by the engine
    assert "s IN (SELECT DISTINCT s FROM iv WHERE h IS NOT NULL)" in _hv_sql(None)
