"""The cell-weighted path of ek.did (person-level panels from unit × period counts and sums) equals the row path.

A person-month panel has many rows per (unit, period) cell, and the DiD regressors are constant within
a cell. Then the TWFE estimate, the CR1 cluster scores and every piece of the wild-bootstrap score map
are sums over observations that group by cell; :func:`evalkit.analysis.did._design` uses that. These
tests compute the same regressions on the rows (the path checked against statsmodels' dummy-variable
OLS and refitting in ``test_did_algebra.py``) and on the cells, and require agreement to 1e-9.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.analysis import did as did_module
from evalkit.analysis._bootstrap import WildBootstrap, fit_absorbed, webb_weights
from evalkit.analysis._fe import TwoWayFE

TOL = 1e-9


def person_panel(n_units=24, n_times=10, start=5, persons=(1, 9), seed=0) -> pd.DataFrame:
    """Unbalanced person-level rows: 1–8 persons per unit and period, a third of units treated."""
    rng = np.random.default_rng(seed)
    unit_fx = rng.normal(0, 1, n_units)
    rows = []
    for u in range(n_units):
        for t in range(n_times):
            for _ in range(rng.integers(*persons)):
                d = float(u % 3 == 0 and t >= start)
                rows.append((f"U{u:02d}", t, u % 3 == 0, 5 + unit_fx[u] + 0.2 * t + 0.8 * d + rng.normal()))
    return pd.DataFrame(rows, columns=["unit", "month", "treated", "y"])


def cells_of(frame: pd.DataFrame, cols: list[str]):
    """Codes, counts, outcome sums and cell-constant regressors of each (unit, period) cell."""
    unit = frame["unit"].astype("category").cat.codes.to_numpy().astype(np.int64)
    time = frame["month"].to_numpy().astype(np.int64)
    grouped = frame.assign(u=unit, t=time).groupby(["u", "t"], sort=True)
    agg = grouped.agg(n=("y", "size"), s=("y", "sum"), **{c: (c, "first") for c in cols}).reset_index()
    return unit, time, agg


def row_and_cell_fits(frame, cols):
    unit, time, agg = cells_of(frame, cols)
    fe_rows = TwoWayFE.from_codes(unit, time)
    x_rows = fe_rows.residualize(frame[cols].to_numpy(dtype=float))
    y_rows = fe_rows.residualize(frame["y"].to_numpy())
    counts = agg["n"].to_numpy(dtype=float)
    fe_cells = TwoWayFE.from_cells(agg["u"].to_numpy(), agg["t"].to_numpy(), counts)
    x_c = agg[cols].to_numpy(dtype=float)
    x_cells = x_c - fe_cells.fitted_from_sums(x_c * counts[:, None])
    y_cells = agg["s"].to_numpy() - counts * fe_cells.fitted_from_sums(agg["s"].to_numpy())
    rows = (fe_rows, x_rows, y_rows, unit, None)
    cells = (fe_cells, x_cells, y_cells, agg["u"].to_numpy(), counts)
    return rows, cells


def with_lead(frame):
    """Two cell-constant regressors: the treatment and a treated-unit lead one period before the start."""
    return frame.assign(d=(frame["treated"] & (frame["month"] >= 5)).astype(float),
                        lead=(frame["treated"] & (frame["month"] == 4)).astype(float))


def test_cell_counts_give_the_row_panels_effects():
    frame = with_lead(person_panel(seed=1))
    (fe_r, x_r, y_r, *_), (fe_c, x_c, y_c, *_) = row_and_cell_fits(frame, ["d"])
    np.testing.assert_array_equal(fe_c.counts, fe_r.counts)
    np.testing.assert_allclose(fe_c.q_pinv, fe_r.q_pinv, rtol=0, atol=TOL)
    # the residualized outcome summed over each cell's rows is the cell path's y_t
    _, _, agg = cells_of(frame, ["d"])
    sums = pd.Series(y_r).groupby([frame["unit"].to_numpy(), frame["month"].to_numpy()]).sum().to_numpy()
    np.testing.assert_allclose(y_c, sums, rtol=0, atol=TOL)
    assert np.abs(y_c).max() > 0.1   # not trivially zero


@pytest.mark.parametrize("cols", [["d"], ["d", "lead"]])
def test_cell_fit_equals_row_fit(cols):
    frame = with_lead(person_panel(seed=2))
    rows, cells = row_and_cell_fits(frame, cols)
    g = frame["unit"].nunique()
    fit_r = fit_absorbed(rows[0], rows[1], rows[2], rows[3], g)
    fit_c = fit_absorbed(cells[0], cells[1], cells[2], cells[3], g, cells[4])
    assert fit_c.n_obs == fit_r.n_obs == len(frame)
    np.testing.assert_allclose(fit_c.beta, fit_r.beta, rtol=0, atol=TOL)
    np.testing.assert_allclose(fit_c.vcov, fit_r.vcov, rtol=0, atol=TOL)
    assert fit_c.cr1_factor == pytest.approx(fit_r.cr1_factor, abs=1e-15)


@pytest.mark.parametrize("idx, null", [([0], 0.0), ([0], 0.7), ([1], 0.0), ([0, 1], 0.0)])
def test_cell_wild_bootstrap_equals_row_wild_bootstrap(idx, null):
    frame = with_lead(person_panel(seed=3))
    rows, cells = row_and_cell_fits(frame, ["d", "lead"])
    g = frame["unit"].nunique()
    weights = webb_weights(g, 399, np.random.default_rng(4))
    wb_r = WildBootstrap(rows[0], rows[1], rows[2], rows[3], g, idx, weights)
    wb_c = WildBootstrap(cells[0], cells[1], cells[2], cells[3], g, idx, weights, cells[4])
    if len(idx) == 1:
        t_r, t_c = wb_r.t_stats(null), wb_c.t_stats(null)
        np.testing.assert_allclose(t_c, t_r, rtol=0, atol=TOL * max(1.0, np.abs(t_r).max()))
        assert wb_c.p_value(null) == wb_r.p_value(null)
    else:
        w_r, w_c = wb_r.wald_p_value(), wb_c.wald_p_value()
        assert w_c[0] == pytest.approx(w_r[0], abs=TOL) and w_c[1:] == w_r[1:]


def _did_both_ways(monkeypatch, frame, **options):
    """ek.did on the person-level rows through the cell path, and with the cell path switched off."""
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ek.did(frame, outcome="y", unit="unit", time="month", treated="treated", intervention=5,
                          reps=499, seed=7, **options)
    built = []
    real_cell_design = did_module._cell_design
    monkeypatch.setattr(did_module, "_cell_design", lambda *a: built.append(1) or real_cell_design(*a))
    cells = run()
    assert built, "the person-level panel did not take the cell path"
    monkeypatch.setattr(did_module, "_cells", lambda panel: None)
    return cells, run()


@pytest.mark.parametrize("inference", ["cluster", "wild", "ri"])
def test_did_on_person_rows_equals_the_row_path(monkeypatch, inference):
    frame = person_panel(seed=5)
    cells, rows = _did_both_ways(monkeypatch, frame, inference=inference)
    np.testing.assert_allclose(cells.effect.to_numpy(), rows.effect.to_numpy(), rtol=0, atol=TOL)
    assert cells.inference["se_cr1"] == pytest.approx(rows.inference["se_cr1"], abs=TOL)
    assert cells.n_obs == rows.n_obs == len(frame)
    assert abs(cells.effect["estimate"] - 0.8) < 0.3   # the planted effect, so the fit is not degenerate


@pytest.mark.parametrize("inference", ["cluster", "wild"])
def test_event_study_on_person_rows_equals_the_row_path(monkeypatch, inference):
    frame = person_panel(seed=6)
    cells, rows = _did_both_ways(monkeypatch, frame, inference=inference)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es_c = cells.event_study(leads=2, lags=2)
        monkeypatch.setattr(did_module, "_cells", lambda panel: None)
        es_r = rows.event_study(leads=2, lags=2)
    pd.testing.assert_frame_equal(es_c.table, es_r.table, rtol=0, atol=TOL)
    assert es_c.pretrend["p_value"] == pytest.approx(es_r.pretrend["p_value"], abs=TOL)


def test_a_regressor_that_varies_within_a_cell_keeps_the_row_path():
    frame = person_panel(seed=8)
    panel = did_module.prepare_panel(frame, outcome="y", unit="unit", time="month", treated="treated",
                                     intervention=5)
    x = np.random.default_rng(0).normal(size=len(panel.frame))
    assert did_module._design(panel, x).counts is None
    assert did_module._design(panel, panel.frame["d"].to_numpy()).counts is not None


# --------------------------------------------------------------------------- coding the panel (issue 18)
def test_coded_panel_equals_a_groupby_coding_in_shuffled_order():
    """prepare_panel codes by factorising once; the codes, treated units and flags equal pandas' own."""
    from evalkit.analysis._did_panel import prepare_panel

    frame = person_panel(seed=4).sample(frac=1.0, random_state=1).reset_index(drop=True)
    panel = prepare_panel(frame, outcome="y", unit="unit", time="month", treated="treated", intervention=5)
    coded = panel.frame
    units = pd.Index(pd.unique(frame["unit"]))          # first appearance, as before
    times = pd.Index(np.sort(pd.unique(frame["month"])))
    assert list(panel.units) == list(units) and list(panel.times) == list(times)
    np.testing.assert_array_equal(coded["unit_code"], units.get_indexer(frame["unit"]))
    np.testing.assert_array_equal(coded["time_code"], times.get_indexer(frame["month"]))
    by_unit = frame.groupby("unit")["treated"].first()
    assert panel.treated_units == tuple(u for u in units if by_unit[u])
    np.testing.assert_array_equal(coded["d"], (frame["treated"] & (frame["month"] >= 5)).astype(float))
    assert panel.level == "person"


def test_units_whose_treatment_flag_varies_are_listed_in_sorted_order():
    from evalkit.analysis._did_panel import prepare_panel
    from evalkit.errors import AnalysisError

    frame = person_panel(seed=5).sample(frac=1.0, random_state=2).reset_index(drop=True)
    for unit in ("U17", "U02", "U11"):
        frame.loc[frame.index[frame["unit"] == unit][0], "treated"] ^= True
    with pytest.raises(AnalysisError, match=r"changes within unit\(s\) \['U02', 'U11', 'U17'\]"):
        prepare_panel(frame, outcome="y", unit="unit", time="month", treated="treated", intervention=5)
