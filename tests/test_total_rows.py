"""The municipality "Total" rows are never a unit (issue 12, item 4)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit import its
from evalkit.errors import AnalysisError, AnalysisWarning


def _panel(n_units=3, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2019-01-01", periods=48, freq="MS")
    parts = []
    for u in range(n_units):
        t = np.arange(48)
        y = 10 + u + 0.1 * t - 3.0 * (t >= 24) + rng.normal(0, 1, 48)
        parts.append(pd.DataFrame({"unit": f"u{u}", "month": months, "y": y}))
    panel = pd.concat(parts, ignore_index=True)
    total = panel.groupby("month", as_index=False)["y"].sum().assign(unit="Total")
    return pd.concat([panel, total], ignore_index=True)


def _quiet_its(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return its(data, outcome="y", time="month", intervention="2021-01-01", **kw)


def test_multi_unit_its_drops_the_total_with_a_warning_and_equals_the_fit_without_it():
    panel = _panel()
    with pytest.warns(AnalysisWarning, match=r"dropped 48 row\(s\) with unit = 'Total'"):
        with_total = its(panel, outcome="y", time="month", intervention="2021-01-01", unit="unit")
    without = _quiet_its(panel[panel.unit != "Total"], unit="unit")
    assert set(with_total.by_unit.index.get_level_values("unit")) == {"u0", "u1", "u2"}
    pd.testing.assert_frame_equal(with_total.effects, without.effects)


def test_a_comparison_named_total_is_refused():
    with pytest.raises(AnalysisError, match="municipality total"):
        _quiet_its(_panel(), unit="unit", comparison="Total")


def test_a_single_series_its_on_the_total_is_still_allowed():
    panel = _panel()
    res = _quiet_its(panel[panel.unit == "Total"].drop(columns="unit"))
    assert res.effects.loc["level_change", "ci_low"] < -9.0 < res.effects.loc["level_change", "ci_high"]


# ----------------------------------------------------------------------------- units named in the config

SAMPLE = __import__("pathlib").Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"


def _pilot_config(tmp_path, units: str) -> "__import__('pathlib').Path":
    text = (SAMPLE / "rehab_pilot.toml").read_text(encoding="utf-8")
    text = text.replace('units = ["Norr", "Åsen"]', f"units = {units}", 1)
    for name in ("beslut_procapita.csv", "andrade_bestallningar.csv", "besok.csv"):
        text = text.replace(f'"{name}"', f'"{(SAMPLE / name).as_posix()}"')
    path = tmp_path / "pilot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_unit_named_in_the_config_but_absent_from_the_data_is_a_config_error_listing_the_known_units(tmp_path):
    from evalkit.config import Evaluation
    from evalkit.errors import ConfigError
    from evalkit.pipeline import run

    evaluation = Evaluation.from_toml(_pilot_config(tmp_path, '["Norr", "Sorr"]'))
    with pytest.raises(ConfigError) as info:
        run(evaluation, analyses=False)
    message = str(info.value)
    assert "change.units: unit 'Sorr' is not in the data (did you mean 'Norr'?)" in message
    assert "Units in the data: Centrum, Norr, Söder, Väster, Åsen, Öster" in message
