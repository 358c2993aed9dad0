"""Dates passed as text are read ISO or day first, never month first (issue 12, item 3)."""
from __future__ import annotations

import datetime as dt
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit._dates import parse_user_date
from evalkit.config import Evaluation
from evalkit.errors import AnalysisError, AnalysisWarning, ConfigError, DataError

FEB_1 = pd.Timestamp("2017-02-01")


@pytest.mark.parametrize("text", ["1.2.2017", "01.02.2017", "01/02/2017", "1/2/2017", "1-2-2017", "2017-02-01",
                                  "2017-2-1", "20170201", "2017/02/01", " 2017-02-01 ", "2017-02-01T00:00",
                                  "2017-02"])
def test_each_accepted_form_is_the_first_of_february(text):
    assert parse_user_date(text) == FEB_1


@pytest.mark.parametrize("text, says", [
    ("12/31/2017", "read day first it is day 12, month 31"),  # US order: refused, and says how it was read
    ("31.02.2017", "day 31, month 2, year 2017, which does not exist"),
    ("01.02.17", "two-digit year"),
    ("17-02-01", "two-digit year"),
    ("Feb 1 2017", "never reads month first"),
    ("1 februari 2017", "never reads month first"),
    ("20171301", "read as year-month-day it is day 1, month 13"),
])
def test_ambiguous_or_impossible_text_is_an_error_that_shows_how_it_was_read(text, says):
    with pytest.raises(ValueError, match=says):
        parse_user_date(text)


def _series() -> pd.DataFrame:
    months = pd.date_range("2015-01-01", periods=48, freq="MS")
    t = np.arange(48)
    y = 20 + 0.1 * t - 4.0 * (months >= FEB_1) + np.random.default_rng(3).normal(0, 0.5, 48)
    return pd.DataFrame({"month": months, "y": y})


def _its(frame, intervention):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return ek.its(frame, outcome="y", time="month", intervention=intervention)


@pytest.mark.parametrize("text", ["1.2.2017", "01/02/2017", "2017-02-01", "20170201"])
def test_its_intervention_text_means_february_whatever_the_form(text):
    want = _its(_series(), pd.Timestamp("2017-02-01")).effects
    pd.testing.assert_frame_equal(_its(_series(), text).effects, want)
    # 2 January would have been read as January by a month-first reader: a different fit
    assert not _its(_series(), "2017-01-01").effects.equals(want)


def test_its_intervention_that_is_not_a_date_names_the_forms():
    with pytest.raises(AnalysisError, match=r"2017-02-01 \(ISO\), 20170201 or 1\.2\.2017"):
        _its(_series(), "02/31/2017")


def test_its_time_column_of_day_first_text_is_read_day_first():
    frame = _series()
    text = frame.assign(month=frame["month"].dt.strftime("%d.%m.%Y"))
    pd.testing.assert_frame_equal(_its(text, "1.2.2017").effects, _its(frame, "2017-02-01").effects)
    bad = text.copy()
    bad.loc[5, "month"] = "06/31/2015"
    with pytest.raises(DataError, match="06/31/2015"):
        _its(bad, "1.2.2017")


@pytest.mark.parametrize("text", ["1.2.2017", "01/02/2017", "2017-02-01", "20170201"])
def test_did_intervention_text_is_read_day_first(text):
    months = pd.date_range("2016-01-01", periods=24, freq="MS")
    rng = np.random.default_rng(1)
    rows = [(u, m, rng.normal() + 2.0 * (u < 15 and m >= FEB_1)) for u in range(40) for m in months]
    panel = pd.DataFrame(rows, columns=["unit", "month", "y"]).assign(treated=lambda d: d["unit"] < 15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        res = ek.did(panel, outcome="y", unit="unit", time="month", treated="treated", intervention=text, seed=1)
    assert res.n_pre == 13  # January 2016 .. January 2017: February is the first period after


def test_config_dates_given_as_text_are_read_day_first(tmp_path):
    path = tmp_path / "eval.toml"
    base = """
        [evaluation]
        title = "t"
        seed = 1
        [change]
        name = "IBIC"
        date = "{date}"
        """
    path.write_text(textwrap.dedent(base.format(date="1.2.2017")), encoding="utf-8")
    assert Evaluation.from_toml(path).change.date == dt.date(2017, 2, 1)
    path.write_text(textwrap.dedent(base.format(date="02/31/2017")), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"change\.date: .*month 31"):
        Evaluation.from_toml(path)
