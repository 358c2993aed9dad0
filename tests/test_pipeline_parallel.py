"""The two-process run (evalkit._parallel) gives the serial run's report, output, warnings and errors."""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import warnings
from pathlib import Path

import pytest

import evalkit as ek
from evalkit import _parallel, pipeline
from evalkit.cli import main
from evalkit.errors import EvalkitError, ReportError

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the platform cannot fork: the report is built serially there")


@pytest.fixture(autouse=True)
def _two_processes(monkeypatch):
    """The parallel path is what these tests check, whatever the environment says."""
    monkeypatch.delenv("EVALKIT_SERIAL", raising=False)
    assert _parallel.wanted()


def _report(tmp_path: Path, name: str, monkeypatch, capsys, serial: bool) -> tuple[bytes, bytes, str, str]:
    if serial:
        monkeypatch.setenv("EVALKIT_SERIAL", "1")
    else:
        monkeypatch.delenv("EVALKIT_SERIAL", raising=False)
    out = tmp_path / name
    assert main(["report", str(SAMPLE / "ibic.toml"), "--output", str(out / "ibic.docx")]) == 0
    captured = capsys.readouterr()
    # the paths differ by the folder and the last line gives the seconds taken; everything else must agree
    stdout = captured.out.replace(str(out), "OUT").rsplit("(", 1)[0]
    stderr = captured.err.replace(str(out), "OUT")
    return (out / "ibic.docx").read_bytes(), (out / "ibic.xlsx").read_bytes(), stdout, stderr


def test_cli_report_parallel_is_byte_identical_to_serial(tmp_path, monkeypatch, capsys):
    assert any(step.child for step in _parallel._steps(ek.Evaluation.from_toml(SAMPLE / "ibic.toml"), True))
    parallel = _report(tmp_path, "parallel", monkeypatch, capsys, serial=False)
    serial = _report(tmp_path, "serial", monkeypatch, capsys, serial=True)
    assert parallel[0] == serial[0], "the .docx differs"
    assert parallel[1] == serial[1], "the .xlsx differs"
    assert parallel[2] == serial[2]
    assert parallel[3] == serial[3]  # progress lines and warnings, in the same order
    assert "analysis 'decision_audit' (audit)" in parallel[3]


def _run(evaluation, parallel: bool):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pipeline.run(evaluation, parallel=parallel)
        except EvalkitError as exc:
            error = exc
        else:
            error = None
    return error, [(w.category, str(w.message)) for w in caught]


def test_error_in_the_child_arrives_as_the_serial_error(tmp_path):
    folder = tmp_path / "kommun"
    shutil.copytree(SAMPLE, folder)
    survey = folder / "brukarundersokning.csv"
    lines = survey.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("R00003", "19121212-1212", 1)  # an identity number: the privacy gate refuses it
    survey.write_text("".join(lines), encoding="utf-8")
    evaluation = ek.Evaluation.from_toml(folder / "ibic.toml")
    step = next(s for s in _parallel._steps(evaluation, True) if s.what == "load" and s.key == "survey")
    assert step.lane == "early"  # the survey is loaded by the child forked before the imports

    parallel_error, parallel_warnings = _run(evaluation, parallel=True)
    serial_error, serial_warnings = _run(evaluation, parallel=False)
    assert serial_error is not None
    assert type(parallel_error) is type(serial_error)
    assert str(parallel_error) == str(serial_error)
    assert "brukarundersokning.csv" in str(parallel_error) and "1212-1212" not in str(parallel_error)
    assert parallel_warnings == serial_warnings


def test_error_in_a_child_analysis_comes_after_the_earlier_parent_steps(tmp_path):
    """A child analysis fails (an audit form that is no workbook); the parent's analyses before it ran, those after did not
    matter: the error and the warnings are the serial run's."""
    folder = tmp_path / "kommun"
    shutil.copytree(SAMPLE, folder)
    (folder / "granskning_R2.xlsx").write_bytes(b"not a workbook")
    evaluation = ek.Evaluation.from_toml(folder / "ibic.toml")
    step = next(s for s in _parallel._steps(evaluation, True) if s.what == "analysis" and s.key.kind == "audit")
    assert step.child

    parallel_error, parallel_warnings = _run(evaluation, parallel=True)
    serial_error, serial_warnings = _run(evaluation, parallel=False)
    assert serial_error is not None and "granskning_R2" in str(serial_error)
    assert (type(parallel_error), str(parallel_error)) == (type(serial_error), str(serial_error))
    assert parallel_warnings == serial_warnings


def test_a_child_that_dies_leaves_its_steps_to_the_parent(monkeypatch):
    """The child exits at once: the parent runs the child's steps itself, with the serial run's results."""
    def dying(*args):
        return lambda send: os._exit(3)

    monkeypatch.setattr(_parallel, "_child_work", dying)
    evaluation = ek.Evaluation.from_toml(SAMPLE / "ibic.toml")
    evaluation = dataclasses.replace(evaluation, analyses=type(evaluation.analyses)(
        a for a in evaluation.analyses if a.kind in ("survey", "its")))
    run = pipeline.run(evaluation, parallel=True)
    serial = pipeline.run(evaluation, parallel=False)
    assert list(run.tables) == list(serial.tables)
    assert list(run.results) == list(serial.results) == [a.id for a in evaluation.analyses]
    for key in serial.results:
        assert run.results[key].sentences("sv") == serial.results[key].sentences("sv")


def test_figures_drawn_ahead_are_the_reports_bytes():
    """What the child draws ahead for an analysis it ran (user_survey), for a report in English, after the trip
    through pickle: the PNG the report draws from the serial run's result, and not the Swedish one."""
    import pickle

    from evalkit.kinds import disclosure_of
    from evalkit.report._figures import figure_png
    from evalkit.report._report import _plot

    evaluation = ek.Evaluation.from_toml(SAMPLE / "ibic.toml")
    evaluation = dataclasses.replace(evaluation, analyses=type(evaluation.analyses)(
        a for a in evaluation.analyses if a.id == "user_survey"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = pipeline.run(evaluation, parallel=False)
    result = serial.results["user_survey"]
    assert next(s for s in _parallel._steps(evaluation, True) if s.what == "analysis").child
    drawn = pickle.loads(pickle.dumps(_parallel._drawn_ahead(pickle.loads(pickle.dumps(result)), evaluation, "en")))
    assert drawn.language == "en" and not drawn.evalkit_withheld
    assert drawn.png == figure_png(_plot(result, "en", disclosure_of(evaluation)), drawn.dpi)
    assert drawn.png != figure_png(_plot(result, "sv", disclosure_of(evaluation)), drawn.dpi)
    assert figure_png(drawn, drawn.dpi) == drawn.png  # the report takes its bytes
    with pytest.raises(ReportError, match="drawn ahead"):
        figure_png(drawn, drawn.dpi + 1)


def test_an_identity_number_in_the_decisions_arrives_from_the_early_child_as_in_serial(tmp_path):
    folder = tmp_path / "kommun"
    shutil.copytree(SAMPLE, folder)
    decisions = folder / "beslut_procapita.csv"
    text = decisions.read_bytes().decode("cp1252").replace("P000009", "19121212-1212", 1)
    decisions.write_bytes(text.encode("cp1252"))
    evaluation = ek.Evaluation.from_toml(folder / "ibic.toml")
    assert next(s for s in _parallel._steps(evaluation, True) if s.key == "decisions").lane == "early"
    parallel_error, parallel_warnings = _run(evaluation, parallel=True)
    serial_error, serial_warnings = _run(evaluation, parallel=False)
    assert serial_error is not None and "beslut_procapita.csv" in str(serial_error)
    assert (type(parallel_error), str(parallel_error)) == (type(serial_error), str(serial_error))
    assert "1212-1212" not in str(parallel_error)
    assert parallel_warnings == serial_warnings


def test_an_early_child_that_dies_leaves_its_loads_to_the_parent_and_the_child_gets_the_tables(monkeypatch):
    """Only the early child dies: the parent loads the decisions, survey, codings and staff survey itself, and the
    child forked after it still runs the survey analysis on the survey table (loaded by the parent)."""
    work = _parallel._child_work

    def early_dies(evaluation, steps, *args):
        return (lambda send: os._exit(3)) if steps[0].lane == "early" else work(evaluation, steps, *args)

    monkeypatch.setattr(_parallel, "_child_work", early_dies)
    evaluation = ek.Evaluation.from_toml(SAMPLE / "ibic.toml")
    evaluation = dataclasses.replace(evaluation, analyses=type(evaluation.analyses)(
        a for a in evaluation.analyses if a.kind in ("survey", "its")))
    assert next(s for s in _parallel._steps(evaluation, True) if s.what == "analysis"
                and s.key.kind == "survey").lane == "child"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = pipeline.run(evaluation, parallel=True)
        serial = pipeline.run(evaluation, parallel=False)
    assert list(run.tables) == list(serial.tables)
    assert run.tables["decisions"].equals(serial.tables["decisions"])
    for key in serial.results:
        assert run.results[key].sentences("sv") == serial.results[key].sentences("sv")


def test_each_source_is_loaded_where_it_is_read():
    """Pandas-only sources by the early child; a source only the parent's analyses read (the documents) by the
    parent; the rest by the child, beside the analyses that read them; without analyses, off the parent."""
    evaluation = ek.Evaluation.from_toml(SAMPLE / "ibic.toml")
    lanes = {s.key: s.lane for s in _parallel._steps(evaluation, True) if s.what == "load"}
    assert lanes == {"decisions": "early", "survey": "early", "codings": "early", "staff_survey": "early",
                     "documents": "parent", "strategies": "child", "cfir": "child", "audit": "child"}
    assert {s.key: s.lane for s in _parallel._steps(evaluation, False) if s.what == "load"}["documents"] == "child"


def test_each_kind_says_which_earlier_results_it_reads():
    """The registry says what an entry waits for: a joint display its results, a documents analysis its effects
    and fidelity, every other built-in kind none; a kind added without saying waits for all earlier ones."""
    from evalkit.kinds import KINDS, AnalysisKind, register

    evaluation = ek.Evaluation.from_toml(SAMPLE / "ibic.toml")
    spec = {a.id: a for a in evaluation.analyses}
    assert _parallel._reads(spec["interviews"]) == set(spec["interviews"].options["joint"]) != set()
    documents = dataclasses.replace(spec["governing_documents"], options={
        **spec["governing_documents"].options, "fidelity": "ibic_fidelity"})
    assert _parallel._reads(documents) == {str(v) for v in documents.options["effects"].values()} | {"ibic_fidelity"}
    assert all(_parallel._reads(spec[a]) == set() for a in ("processing_time", "ibic_fidelity", "decision_audit"))
    assert all(k.results_read is not None for k in KINDS.values())
    added = register(AnalysisKind("test_kind_reads", KINDS["its"].run, KINDS["its"].needs))
    try:
        assert _parallel._reads(dataclasses.replace(spec["processing_time"], kind=added.name)) is None
    finally:
        del KINDS[added.name]
