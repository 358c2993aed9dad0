"""docs/config.md is generated from the config schema (evalkit.config tables + evalkit.kinds option tables),
and the schema is the one the parser and the runners use."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from evalkit import config as cfg
from evalkit.config import Evaluation
from evalkit.errors import ConfigError
from evalkit.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]
BASE = """
[evaluation]
title = "t"
seed = 1

[change]
name = "c"
date = 2017-01-01
"""


def test_docs_config_md_is_in_sync():
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    assert text == cfg.config_reference(), (
        "docs/config.md is out of date: python -c \"from evalkit.config import write_reference; write_reference()\"")


def test_reference_names_every_key_and_kind():
    text = cfg.config_reference()
    for keys in (cfg.EVALUATION_KEYS, cfg.CHANGE_KEYS, cfg.REPORT_KEYS, cfg.PANEL_KEYS, cfg.DATA_COMMON_KEYS):
        for key in keys:
            assert f"| `{key.name}` |" in text
    for name, kind in KINDS.items():
        assert f'### kind = "{name}"' in text
        for key in kind.options:
            assert f"| `{key.name}` |" in text, (name, key.name)
    assert "| `hours_per_month` | float |" in text and "`processing_days_median`" in text


def test_readme_links_the_reference():
    assert "(docs/config.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def _parse(tmp_path, text: str) -> Evaluation:
    path = tmp_path / "e.toml"
    path.write_text(text, encoding="utf-8")
    return Evaluation.from_toml(path)


def test_defaults_are_the_parsers(tmp_path):
    ev = _parse(tmp_path, BASE + '\n[[analyses]]\nid = "a"\nkind = "its"\noutcome = "denial_share"\n')
    for key in cfg.EVALUATION_KEYS:
        if not key.required:
            assert getattr(ev, key.name) == key.default, key.name
    for key in cfg.CHANGE_KEYS:
        if key.name == "units":
            assert ev.change.units is None  # "all"
        elif not key.required:
            assert getattr(ev.change, key.name) == key.default, key.name
    spec = ev.analyses[0]
    for key in cfg.PANEL_KEYS:
        if key.name == "intervention":
            assert spec.intervention == ev.change.date
        elif not key.required:
            assert getattr(spec, key.name) == key.default, key.name
    for key in cfg.REPORT_KEYS[1:]:
        if key.name.removesuffix("_file") in cfg.REPORT_TEXTS and key.name.endswith("_file"):
            assert getattr(ev.report, key.name.removesuffix("_file")) == ""  # read into its text key
        else:
            assert getattr(ev.report, key.name) == key.default, key.name


def test_every_example_parses(tmp_path):
    """A config with every panel key at its documented example is valid; so is every [evaluation] key."""
    evaluation = "\n".join(f"{k.name} = {cfg._example(k, '').strip('`').split(' = ', 1)[1]}"
                           for k in cfg.EVALUATION_KEYS)
    panel = "\n".join(f"{k.name} = {cfg._example(k, '').strip('`').split(' = ', 1)[1]}"
                      for k in cfg.PANEL_KEYS if k.name not in ("treated", "inference"))
    text = (f"[evaluation]\n{evaluation}\n[change]\nname = \"c\"\ndate = 2017-01-01\n"
            f"[[analyses]]\nid = \"a\"\nkind = \"its\"\n{panel}\n")
    tomllib.loads(text)
    spec = _parse(tmp_path, text).analyses[0]
    assert spec.seasonality == "month" and spec.options == {"hac_lags": 3}


@pytest.mark.parametrize("section,key", [("analyses", k) for k in cfg.PANEL_KEYS if k.choices]
                         + [("evaluation", k) for k in cfg.EVALUATION_KEYS if k.choices])
def test_choices_are_the_parsers(tmp_path, section, key):
    text = BASE + '\n[[analyses]]\nid = "a"\nkind = "its"\noutcome = "denial_share"\n'
    if section == "analyses":
        text += f'{key.name} = "nonsense"\n'
    else:
        text = text.replace("seed = 1", f'seed = 1\n{key.name} = "nonsense"')
    with pytest.raises(ConfigError) as err:
        _parse(tmp_path, text)
    assert str(list(key.choices)) in str(err.value)


def test_runner_tables_match_the_runners():
    from evalkit.analysis.surveys import OPTIONS
    from evalkit.audit.pipeline import CONFIG_KEYS

    assert {k.name for k in KINDS["survey"].options} == set(OPTIONS)
    assert {k.name for k in KINDS["audit"].options} == set(CONFIG_KEYS)
    for key in KINDS["audit"].options:
        if key.name != "seed":
            assert key.default == CONFIG_KEYS[key.name], key.name
    qualitative = {"group", "period", "codes", "coder", "works_well", "remains", "unit", "quotes_per_cell",
                   "role_names", "min_exact", "language", "seed", "n_boot",
                   "quote_min_chars", "quote_max_chars", "mask_names", "joint"}
    assert {k.name for k in KINDS["qualitative"].options} == qualitative


def test_implementation_kinds_tables_match_their_runners():
    """Every key of the staff_survey, cfir and instrument tables passes the runner's own name check."""
    import pandas as pd

    from evalkit.analysis.staff_survey import OPTIONS as STAFF_SURVEY
    from evalkit.implementation.cfir import run_cfir
    from evalkit.implementation.instruments import run_instrument

    assert {k.name for k in KINDS["staff_survey"].options} == set(STAFF_SURVEY)
    for kind, runner, data in (("cfir", run_cfir, []), ("instrument", run_instrument, pd.DataFrame())):
        names = {k.name for k in KINDS[kind].options}
        try:
            runner(data, {**{n: None for n in names}, "not_an_option": 1})
        except Exception as exc:  # the name check comes first: only the made-up key is unknown
            assert "not_an_option" in str(exc) and not any(f"{n}," in str(exc).split("known")[0] for n in names)
        else:
            raise AssertionError(f"{kind}: an unknown option passed")
