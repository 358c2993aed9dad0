"""Register path = in-memory path, through to ITS and DiD (issue 18).

* The sample municipality: ``register_panel`` and ``monthly_panel`` give the same panel, and ITS and
  DiD on either give identical results.
* A generated 10⁶-row decisions file (the benchmark's generator, ``benchmarks/register_scale.py``) run
  both ways: panel, ITS and DiD equal within 1e-9 (relative); a person-month DiD of 10⁶ rows from
  unit × month cells equals the row computation within 1e-9. Marked slow (the in-memory loader takes
  30–45 s on 10⁶ rows); ``make test`` still runs it.
"""
from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb")

import evalkit as ek  # noqa: E402
from evalkit.analysis import did as did_module  # noqa: E402
from evalkit.io.decisions import load_decisions  # noqa: E402
from evalkit.io.register import REGISTER_PANEL_COLUMNS, register_panel  # noqa: E402
from evalkit.outcomes import monthly_panel  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data_samples" / "exempelkommun" / "beslut_procapita.csv"
COLUMNS = ["unit", "period", *REGISTER_PANEL_COLUMNS]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _bench():
    spec = importlib.util.spec_from_file_location("register_scale", ROOT / "benchmarks" / "register_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _its(panel: pd.DataFrame, outcome: str, intervention: str) -> pd.DataFrame:
    series = panel[panel["unit"] == "Total"].reset_index(drop=True)
    return _quiet(ek.its, series, outcome=outcome, time="period",
                  intervention=pd.Timestamp(intervention)).effects


def _did(panel: pd.DataFrame, outcome: str, treated, intervention: str, inference: str) -> pd.Series:
    units = panel[panel["unit"] != "Total"]
    return _quiet(ek.did, units, outcome=outcome, unit="unit", time="period", treated=treated,
                  intervention=pd.Timestamp(intervention), inference=inference, reps=999, seed=3).effect


# --------------------------------------------------------------------------- the sample municipality
@pytest.fixture(scope="module")
def sample_panels():
    want = monthly_panel(_quiet(load_decisions, SAMPLE))[COLUMNS]
    return _quiet(register_panel, SAMPLE), want


def test_sample_panel_its_and_did_are_identical(sample_panels):
    got, want = sample_panels
    pd.testing.assert_frame_equal(got, want, rtol=1e-12)
    its_got, its_want = _its(got, "active_users", "2017-01-01"), _its(want, "active_users", "2017-01-01")
    pd.testing.assert_frame_equal(its_got, its_want, rtol=0, atol=0)
    treated = sorted(set(got["unit"]) - {"Total"})[:2]
    for inference in ("ri", "wild"):
        d_got = _did(got, "active_users", treated, "2017-01-01", inference)
        d_want = _did(want, "active_users", treated, "2017-01-01", inference)
        pd.testing.assert_series_equal(d_got, d_want, rtol=0, atol=0)
    assert np.isfinite(its_got["estimate"]).all() and np.isfinite(d_got["estimate"])


# --------------------------------------------------------------------------- 10⁶ generated rows, both ways
@pytest.fixture(scope="module")
def million(tmp_path_factory):
    import pyarrow.csv as pcsv

    path = tmp_path_factory.mktemp("register") / "beslut_1000000.csv"
    pcsv.write_csv(_bench()._decisions_table(1_000_000), path, pcsv.WriteOptions(delimiter=";", quoting_style="none"))
    got = _quiet(register_panel, path)
    want = monthly_panel(_quiet(load_decisions, path, engine="pandas"))[COLUMNS]
    return got, want


@pytest.mark.slow
def test_million_rows_panel_its_and_did_agree_to_1e9(million):
    got, want = million
    assert len(got) == 61 * got["period"].nunique()   # 60 units and the total, every month
    assert got.loc[got["unit"] == "Total", "decisions"].sum() == 1_000_000   # every decision in its month
    pd.testing.assert_frame_equal(got, want, rtol=1e-9, atol=0)
    for outcome in ("active_users", "hours_per_user"):
        pd.testing.assert_frame_equal(_its(got, outcome, "2019-01-01"), _its(want, outcome, "2019-01-01"),
                                      rtol=1e-9, atol=1e-12)
    treated = [f"U{u:02d}" for u in range(0, 60, 3)]
    for inference in ("cluster", "wild"):
        pd.testing.assert_series_equal(_did(got, "hours_per_user", treated, "2019-01-01", inference),
                                       _did(want, "hours_per_user", treated, "2019-01-01", inference),
                                       rtol=1e-9, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("inference", ["cluster", "wild"])
def test_million_person_months_did_from_cells_equals_rows(monkeypatch, inference):
    data = _bench().person_month_panel(1_000_000)

    def run():
        return _quiet(ek.did, data, outcome="y", unit="unit", time="month", treated="treated", intervention=60,
                      inference=inference, reps=999, seed=1)
    cells = run()
    monkeypatch.setattr(did_module, "_cells", lambda panel: None)
    rows = run()
    pd.testing.assert_series_equal(cells.effect, rows.effect, rtol=1e-9, atol=1e-12)
    assert cells.inference["se_cr1"] == pytest.approx(rows.inference["se_cr1"], rel=1e-9)
    assert abs(cells.effect["estimate"] - 0.5) < 0.05   # the generator's effect
