"""Config errors are reported all at once, each with its key path and the closest valid key or value."""
from __future__ import annotations

import pytest

from evalkit.config import Evaluation
from evalkit.errors import ConfigError

GOOD = """
[evaluation]
title = "t"
seed = 1

[change]
name = "c"
date = 2017-01-01

[data.decisions]
path = "beslut.csv"

[[analyses]]
id = "a"
kind = "its"
outcome = "denial_share"
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "beslut.csv").write_text("x\n", encoding="utf-8")
    return tmp_path


def _problems(folder, text: str) -> ConfigError:
    path = folder / "e.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Evaluation.from_toml(path)
    return err.value


def test_good_config_parses(folder):
    (folder / "e.toml").write_text(GOOD, encoding="utf-8")
    assert Evaluation.from_toml(folder / "e.toml").analyses[0].outcome == "denial_share"


def test_every_problem_at_once(folder):
    text = (GOOD.replace('outcome = "denial_share"', 'outcom = "denial_share"\nfamily = "poison"')
            .replace("seed = 1", 'seed = "one"\nlanguge = "sv"')
            .replace('path = "beslut.csv"', 'path = "saknas.csv"')
            + '\n[[analyses]]\nid = "b"\nkind = "itss"\n'
            + '\n[[analyses]]\nid = "c"\nkind = "its"\noutcome = "procesing_days_median"\n'
            + '\n[[analyses]]\nid = "d"\nkind = "survey"\nbefor = [2015]\n'
            + '\n[data.decisons]\npath = "beslut.csv"\n'
            + '\n[reprot]\nname = "x"\n')
    err = _problems(folder, text)
    problems = "\n".join(err.problems)
    expected = [
        "evaluation.seed: expected an integer, got 'one'",
        "evaluation.languge: unknown key (did you mean 'language'?)",
        "data.decisions.path: 'saknas.csv' not found",
        "data.decisons: unknown data source (did you mean 'decisions'?)",
        "analyses[0].outcome: required key is missing",
        "analyses[0].outcom: unknown key (did you mean 'outcome'?)",
        "analyses[0].family: expected one of ['gaussian', 'poisson', 'quasipoisson', 'negative_binomial'], "
        "got 'poison' (did you mean 'poisson'?)",
        "analyses[1].kind: expected one of",
        "(did you mean 'its'?)",
        "analyses[2].outcome: 'procesing_days_median' is not an outcome panel column (did you mean "
        "'processing_days_median'?)",
        "analyses[3].befor: unknown key for a survey analysis (did you mean 'before'?)",
        "(top level).reprot: unknown key (did you mean 'report'?)",
    ]
    for text in expected:
        assert text in problems, text
    assert len(err.problems) == 11
    assert str(err).startswith("e.toml: 11 problems")
    assert all(p in str(err) for p in err.problems)  # the message a user sees lists them all


def test_one_problem_keeps_its_message(folder):
    err = _problems(folder, GOOD.replace('kind = "its"', 'kind = "its"\nfamly = "gaussian"'))
    assert str(err) == "e.toml: analyses[0].famly: unknown key (did you mean 'family'?)"


def test_problems_come_before_any_data_is_read(folder, monkeypatch):
    """A wrong config is refused without reading its data files."""
    import evalkit.io.read as read

    def no_reading(*args, **kwargs):
        raise AssertionError("data was read")

    monkeypatch.setattr(read, "read_raw", no_reading)
    err = _problems(folder, GOOD.replace('outcome = "denial_share"', 'outcome = "nope"'))
    assert "analyses[0].outcome: 'nope' is not an outcome panel column" in str(err)
