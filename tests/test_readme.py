"""The README's examples run as written.

* Every ```python block runs, in order, in one namespace, with the repository root as the working
  directory (the blocks build on each other: the audit block uses the researcher block's ``decisions``).
  Files the blocks write go to ``reports/`` (git-ignored); the test removes the ones it created.
* Every ``evalkit …`` line of the shell blocks parses with the real command-line parser, and its files
  exist. The ``audit`` lines then run for real, in order, with what they write under ``reports/``
  redirected into ``tmp_path``. ``check`` and ``report`` on the sample configs run in
  tests/test_cli.py::test_the_sample_configs_pass_check and tests/test_report_sample.py; running them again
  here would add half a minute, so for them this test checks the parse, the config, and that the output
  path the README promises is the one ``evalkit report`` computes.
* ``make demo`` / ``make test`` are not run: ``make test`` is this suite, and ``make demo`` is
  ``evalkit check`` + ``evalkit report`` on the three sample configs, exercised as above.
* The TOML block is a valid config, and the misspelt-key message the README quotes is the one given.
"""
from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from evalkit.cli import _parser, _report_path, main
from evalkit.config import Evaluation
from evalkit.errors import ConfigError
from tests.conftest import PROJECT, SAMPLE

README = PROJECT / "README.md"
REPORTS = PROJECT / "reports"


def _blocks(language: str) -> list[str]:
    """The fenced blocks of README.md opened with ```<language> ("" = a bare fence)."""
    text = README.read_text(encoding="utf-8")
    return [m.group(2) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)
            if m.group(1) == language]


def _evalkit_lines() -> list[list[str]]:
    """Every `evalkit …` command of the README's shell blocks, as argv lists (comments stripped)."""
    lines = []
    for block in _blocks("") + _blocks("sh") + _blocks("bash") + _blocks("console"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "evalkit":
                lines.append(words[1:])
    return lines


def test_the_readme_has_the_examples_this_test_runs():
    assert len(_blocks("python")) >= 3
    commands = [argv[0] for argv in _evalkit_lines()]
    assert commands.count("check") >= 1 and commands.count("report") >= 2 and commands.count("audit") == 3


def test_every_python_block_runs_as_written(monkeypatch):
    monkeypatch.chdir(PROJECT)
    before = set(REPORTS.rglob("*"))
    namespace: dict = {"__name__": "__readme__"}
    try:
        for i, block in enumerate(_blocks("python"), start=1):
            exec(compile(block, f"README.md python block {i}", "exec"), namespace)  # noqa: S102 - the README
    finally:
        for path in sorted(set(REPORTS.rglob("*")) - before, reverse=True):
            path.unlink() if path.is_file() else shutil.rmtree(path)
        plt.close("all")
    # what the blocks promise in their comments
    assert set(namespace["res"].effects.index) == {"pre_trend", "level_change", "slope_change", "post_trend"}
    assert {"estimate", "ci_low", "ci_high", "p_value"} <= set(namespace["res"].effects.columns)
    assert len(namespace["decisions"]) > 0 and "Total" in set(namespace["panel"]["unit"])


def _in_tmp(argv: list[str], tmp_path: Path) -> list[str]:
    """The command with what it would write under reports/ written into tmp_path instead."""
    return [str(tmp_path / a.removeprefix("reports/")) if a.startswith("reports/") else a for a in argv]


def test_every_evalkit_command_line_parses_and_names_existing_files(monkeypatch):
    monkeypatch.chdir(PROJECT)
    for argv in _evalkit_lines():
        args = _parser().parse_args(argv)  # SystemExit (exit 2) on a wrong option
        config = getattr(args, "config", None) or next(p for p in args.paths if p.endswith(".toml"))
        assert Path(config).is_file(), f"evalkit {' '.join(argv)}: {config} does not exist"


def test_the_report_lines_write_where_the_readme_says(monkeypatch):
    monkeypatch.chdir(PROJECT)
    text = README.read_text(encoding="utf-8")
    for argv in (a for a in _evalkit_lines() if a[0] == "report"):
        args = _parser().parse_args(argv)
        docx = _report_path(args, Evaluation.from_toml(args.config))
        line = next(li for li in text.splitlines() if li.startswith("evalkit " + " ".join(argv)))
        promised = re.findall(r"reports/\S+\.docx", line)
        assert promised and Path(promised[-1]) == docx, line


@pytest.mark.slow
def test_the_audit_command_lines_run_in_order(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(PROJECT)
    audit = [a for a in _evalkit_lines() if a[0] == "audit"]
    assert [a[1] for a in audit] == ["draw", "form", "score"]
    for argv in audit:
        assert main(_in_tmp(argv, tmp_path)) == 0, " ".join(argv)
    assert (tmp_path / "urval.json").is_file() and (tmp_path / "granskning_1.xlsx").is_file()
    assert "kappa" in capsys.readouterr().out.lower()


def test_the_config_block_is_a_valid_config_and_a_misspelt_key_is_named(tmp_path):
    (toml,) = _blocks("toml")
    shutil.copy(SAMPLE / "beslut_procapita.csv", tmp_path)  # a symbolic link out of the folder is refused
    (tmp_path / "ibic.toml").write_text(toml, encoding="utf-8")
    evaluation = Evaluation.from_toml(tmp_path / "ibic.toml")
    assert [a.id for a in evaluation.analyses] == ["processing_time"]
    quoted = re.search(r"`(analyses\[0\]\.famly: unknown key \(did you mean 'family'\?\))`",
                       " ".join(README.read_text(encoding="utf-8").split())).group(1)
    (tmp_path / "ibic.toml").write_text(toml.replace('kind = "its"', 'kind = "its"\nfamly = "poisson"'),
                                        encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Evaluation.from_toml(tmp_path / "ibic.toml")
    assert str(err.value) == f"ibic.toml: {quoted}"
