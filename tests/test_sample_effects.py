"""The evaluation configs of the sample municipality recover its known true effects.

True values come from data_samples/exempelkommun/effects.toml (the file the generator reads);
each configured analysis must contain the truth inside its 95 % interval.
"""
from __future__ import annotations

import tomllib
import warnings

import numpy as np
import pytest

import evalkit as ek
from evalkit import pipeline
from tests.conftest import SAMPLE

EFFECTS = tomllib.loads((SAMPLE / "effects.toml").read_text(encoding="utf-8"))


def run(name: str) -> pipeline.Run:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        return pipeline.run(ek.Evaluation.from_toml(SAMPLE / f"{name}.toml"))


@pytest.fixture(scope="module")
def ibic():
    return run("ibic")


def covers(effects, row: str, truth: float) -> bool:
    low, high = effects.loc[row, "ci_low"], effects.loc[row, "ci_high"]
    return low <= truth <= high


def test_ibic_processing_time_level_change(ibic):
    truth = EFFECTS["ibic"]["processing_days_level_change"]
    effects = ibic.results["processing_time"].effects
    assert covers(effects, "level_change", truth), effects
    assert covers(effects, "slope_change", EFFECTS["ibic"]["processing_days_slope_change_per_year"] / 12)


@pytest.mark.parametrize("analysis, before, after", [
    ("goal_recorded", "goal_recorded_before", "goal_recorded_after"),
    ("own_view_recorded", "own_view_recorded_before", "own_view_recorded_after"),
])
def test_ibic_documentation_level_change(ibic, analysis, before, after):
    truth = EFFECTS["ibic"][after] - EFFECTS["ibic"][before]
    effects = ibic.results[analysis].effects
    assert covers(effects, "level_change", truth), effects


def test_flexible_codes_rate_ratio():
    res = run("flexible_codes").results["order_changes"]
    truth = EFFECTS["flexible_codes"]["rate_ratio"]
    assert covers(res.effects, "level_change", truth), res.effects
    # a rate ratio, not a difference: the interval lies inside (0, 1) for a real drop
    assert 0 < res.effects.loc["level_change", "ci_high"] < 1


def test_rehab_pilot_did_reports_the_exact_randomization_p_value():
    res = run("rehab_pilot").results["hours_pilot"]
    assert res.inference["method"] == "ri"
    # 2 treated of 6 districts: 15 assignments, so p is a multiple of 1/15 and at least 1/15
    p = res.effect["p_value"]
    assert p >= 1 / 15 - 1e-12
    assert np.isclose(p * 15, round(p * 15))
    # the true phased-in effect is negative (about -3 h/month); the estimate has the right sign
    assert res.effect["estimate"] < 0
    assert res.effect["ci_low"] <= -2.9 <= res.effect["ci_high"]
