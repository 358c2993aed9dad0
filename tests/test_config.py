"""Evaluation config: parsing and errors that name the key path."""
from __future__ import annotations

import datetime as dt
import textwrap

import pytest

import evalkit as ek
from evalkit.config import Evaluation

BASE = """
[evaluation]
title = "Införandet av IBIC"
language = "sv"
seed = 20240601

[change]
name = "IBIC"
date = 2017-01-01
"""


def write(tmp_path, text, name="eval.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_minimal_config_parses(tmp_path):
    ev = Evaluation.from_toml(write(tmp_path, BASE))
    assert ev.title == "Införandet av IBIC"
    assert ev.seed == 20240601
    assert ev.change.date == dt.date(2017, 1, 1)
    assert ev.change.units is None
    assert ev.report.name == "eval"
    assert ev.report.suppress_counts_below == 5
    assert ev.report.suppress_percent_denominator_below == 30


def test_data_paths_are_relative_to_config(tmp_path):
    (tmp_path / "beslut.csv").write_text("x\n1\n", encoding="utf-8")
    ev = Evaluation.from_toml(write(tmp_path, BASE + '\n[data.decisions]\npath = "beslut.csv"\n'))
    assert ev.data["decisions"].path == (tmp_path / "beslut.csv").resolve()


def test_did_takes_treated_from_change_units(tmp_path):
    text = BASE.replace('date = 2017-01-01', 'date = 2017-01-01\nunits = ["Norr", "Åsen"]') + """
[[analyses]]
id = "hours"
kind = "did"
outcome = "hours_per_user"
"""
    ev = Evaluation.from_toml(write(tmp_path, text))
    assert ev.analyses[0].treated == ("Norr", "Åsen")
    assert ev.analyses[0].intervention == dt.date(2017, 1, 1)


@pytest.mark.parametrize("extra, where", [
    ('[[analyses]]\nid = "a"\nkind = "its"\noutcome = "x"\nfamly = "poisson"\n', "analyses[0].famly"),
    ('[[analyses]]\nid = "a"\nkind = "itz"\noutcome = "x"\n', "analyses[0].kind"),
    ('[[analyses]]\nid = "a"\nkind = "its"\noutcome = "x"\nseasonality = "weekly"\n', "analyses[0].seasonality"),
    ('[[analyses]]\nid = "a"\nkind = "its"\noutcome = "x"\n[[analyses]]\nid = "a"\nkind = "its"\noutcome = "y"\n',
     "analyses[1].id"),
    ('[data.decisions]\npath = "missing.csv"\n', "data.decisions.path"),
    ('[data.decison]\npath = "x.csv"\n', "data.decison"),
    ('[report]\nsuppress_counts_below = "five"\n', "report.suppress_counts_below"),
])
def test_mistakes_name_the_key_path(tmp_path, extra, where):
    with pytest.raises(ek.ConfigError) as info:
        Evaluation.from_toml(write(tmp_path, BASE + extra))
    assert where in str(info.value)


def test_missing_required_keys(tmp_path):
    with pytest.raises(ek.ConfigError, match=r"evaluation\.seed: required key is missing"):
        Evaluation.from_toml(write(tmp_path, BASE.replace("seed = 20240601", "")))
    with pytest.raises(ek.ConfigError, match=r"change\.date: expected a date"):
        Evaluation.from_toml(write(tmp_path, BASE.replace("date = 2017-01-01", 'date = "2017-13-01"')))


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(ek.ConfigError, match="not valid TOML"):
        Evaluation.from_toml(write(tmp_path, "[evaluation\ntitle = 1"))
    with pytest.raises(ek.ConfigError, match="not found"):
        Evaluation.from_toml(tmp_path / "nope.toml")


def test_language_must_be_known(tmp_path):
    with pytest.raises(ek.ConfigError, match=r"evaluation\.language: expected one of \['sv', 'nb', 'en'\]"):
        Evaluation.from_toml(write(tmp_path, BASE.replace('language = "sv"', 'language = "da"')))
