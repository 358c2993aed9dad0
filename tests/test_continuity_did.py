"""The pilot report analyses what its purpose says: staff continuity from the visit log as a second DiD outcome
(issue 14, item 6), with the visit log cited as its source."""
from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import pytest

from evalkit import pipeline
from evalkit.config import Evaluation
from evalkit.errors import AnalysisError, AnalysisWarning, DataWarning

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"


@pytest.fixture(scope="module")
def pilot_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (AnalysisWarning, DataWarning))
        return pipeline.run(Evaluation.from_toml(SAMPLE / "rehab_pilot.toml"))


def test_continuity_did_recovers_the_planted_fall(pilot_run):
    truth = tomllib.loads((SAMPLE / "effects.toml").read_text(encoding="utf-8"))
    pilot = next(v for v in truth.values() if isinstance(v, dict) and "continuity_effect" in v)
    res = pilot_run.results["continuity_pilot"]
    assert res.n_units == 6 and res.n_periods == len(pilot["visit_windows"])
    # SD across seeds of this estimate is about 0.5 (18 users per district and window)
    assert res.effect["estimate"] == pytest.approx(pilot["continuity_effect"], abs=1.6)
    assert res.effect["estimate"] < 0


def test_continuity_cites_the_visit_log(pilot_run):
    spec = next(s for s in pilot_run.evaluation.analyses if s.id == "continuity_pilot")
    assert "besok.csv" in pipeline._source_files(pilot_run.evaluation, spec)
    hours = next(s for s in pilot_run.evaluation.analyses if s.id == "hours_pilot")
    assert "besok.csv" not in pipeline._source_files(pilot_run.evaluation, hours)


def test_continuity_without_windows_says_what_to_add(pilot_run):
    import dataclasses

    spec = next(s for s in pilot_run.evaluation.analyses if s.id == "continuity_pilot")
    with pytest.raises(AnalysisError, match=r"windows = \["):
        pipeline.run_analysis(dataclasses.replace(spec, windows=()), pilot_run)
