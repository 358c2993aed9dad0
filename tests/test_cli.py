"""The command line: verdicts, exit codes, one clear message per error."""
from __future__ import annotations

import subprocess
import sys

from evalkit.cli import main

from tests.test_decisions import ROWS, write_export


def test_check_data_file_ok(tmp_path, capsys):
    p = write_export(tmp_path)
    assert main(["check", str(p)]) == 0
    out = capsys.readouterr().out
    assert "decisions: beslut.csv: 4 rows read, 4 kept, 0 excluded" in out
    assert "1 of 1 passed" in out


def test_check_refuses_identity_numbers_without_printing_them(tmp_path, capsys):
    rows = list(ROWS)
    rows[0] = rows[0].replace("P0001", "19640823-3234")  # Skatteverket's documented example number
    p = write_export(tmp_path, rows=rows)
    assert main(["check", str(p)]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "Brukare" in out
    assert "3234" not in out


def test_check_broken_file_and_missing_file(tmp_path, capsys):
    p = tmp_path / "tom.csv"
    p.write_bytes(b"")
    assert main(["check", str(p), str(tmp_path / "finns_inte.csv")]) == 1
    out = capsys.readouterr().out
    assert out.count("FAILED") == 2
    assert "0 of 2 passed" in out
    assert "Traceback" not in out


def test_usage_errors_exit_2():
    r = subprocess.run([sys.executable, "-m", "evalkit.cli", "check"], capture_output=True, text=True)
    assert r.returncode == 2 and "PATH" in r.stderr
    r = subprocess.run([sys.executable, "-m", "evalkit.cli"], capture_output=True, text=True)
    assert r.returncode == 2


def _program(tmp_path, *args: str, before: str = "") -> subprocess.CompletedProcess:
    """The ``evalkit`` program as its console script runs it (``evalkit.cli:console``), output piped."""
    code = (f"import sys; sys.argv = ['evalkit', *{list(args)!r}]\n{before}\n"
            "from evalkit.cli import console\nconsole()\nprint('after console()')")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)


def test_the_program_exits_with_the_status_and_all_of_its_output(tmp_path):
    ok = write_export(tmp_path)
    r = _program(tmp_path, "check", str(ok))
    assert r.returncode == 0 and "1 of 1 passed" in r.stdout  # block-buffered into a pipe, flushed before exit
    assert "after console()" not in r.stdout  # the process ends there
    r = _program(tmp_path, "check", str(ok), str(tmp_path / "finns_inte.csv"))
    assert r.returncode == 1 and "1 of 2 passed" in r.stdout


def test_the_program_runs_exit_handlers_before_it_leaves(tmp_path):
    handler = ("import atexit, pathlib, tempfile, weakref\n"
               "atexit.register(lambda: print('handler ran'))\n"
               "folder = tempfile.TemporaryDirectory(dir='.')\n"  # removed by a weakref.finalize at exit
               "pathlib.Path('folder.txt').write_text(folder.name)")
    r = _program(tmp_path, "check", str(write_export(tmp_path)), before=handler)
    assert r.returncode == 0 and r.stdout.rstrip().endswith("handler ran")
    assert not (tmp_path / (tmp_path / "folder.txt").read_text()).exists()


def test_a_reader_that_stops_reading_is_no_internal_error(tmp_path):
    ok = write_export(tmp_path)
    code = ("import sys; sys.argv = ['evalkit', 'check'] + [sys.argv[1]] * 400\n"
            "from evalkit.cli import console\nconsole()")
    r = subprocess.run(f"{sys.executable} -c \"{code}\" {ok} | head -c 10", shell=True, capture_output=True,
                       text=True, executable="/bin/bash")
    assert len(r.stdout) == 10 and "internal error" not in r.stderr and "Traceback" not in r.stderr


def test_check_reads_a_coded_interview_project(capsys):
    from tests.conftest import SAMPLE

    assert main(["check", str(SAMPLE / "intervjuer.qdpx")]) == 0
    out = capsys.readouterr().out
    assert "30 sources" in out and "108 selections match their preview, 0 drift" in out


# -- what `evalkit check` recognises, and what it says is missing ------------------------------------

import pytest  # noqa: E402

from evalkit import pipeline  # noqa: E402
from evalkit.config import Evaluation  # noqa: E402
from tests.conftest import SAMPLE  # noqa: E402
from tests.test_decisions import HEADER  # noqa: E402

#: the IBIC fields and the hours under headers no alias knows, as a municipality's own export might name them
IBIC_HEADER = HEADER.replace("Beviljade timmar/mån", "Tid per månad") + ";IBIC mål;IBIC egen"
IBIC_ROWS = [r + (";Ja;Nej" if i % 2 else ";Nej;Ja") for i, r in enumerate(ROWS)]

CONFIG = """\
[evaluation]
title = "IBIC i Provkommun"
seed = 1

[change]
name = "IBIC"
date = 2019-02-01

[data.decisions]
path = "beslut.csv"
{mapping}
[[analyses]]
id = "goal_recorded"
kind = "its"
outcome = "goal_recorded_share"

[[analyses]]
id = "own_view_recorded"
kind = "its"
outcome = "own_view_recorded_share"

[[analyses]]
id = "hours_pilot"
kind = "did"
outcome = "hours_per_user"
treated = ["Åsen"]
"""


def _ibic_config(tmp_path, mapping: str = "") -> str:
    write_export(tmp_path, rows=IBIC_ROWS, header=IBIC_HEADER)
    path = tmp_path / "ibic.toml"
    path.write_text(CONFIG.format(mapping=mapping), encoding="utf-8")
    return str(path)


def test_check_config_names_the_analyses_that_cannot_run_and_the_columns_they_lack(tmp_path, capsys):
    assert main(["check", _ibic_config(tmp_path)]) == 1
    out = capsys.readouterr().out
    for analysis, column in (("goal_recorded", "goal_recorded"), ("own_view_recorded", "own_view_recorded"),
                             ("hours_pilot", "hours_per_month")):
        assert f"analysis '{analysis}'" in out and f"needs the decisions column {column} " in out
    assert out.count("CANNOT RUN") == 3
    assert "3 of 3 analyses cannot run on the data found: goal_recorded, own_view_recorded, hours_pilot" in out
    assert "Missing decisions columns: goal_recorded, own_view_recorded, hours_per_month" in out
    # the way out: the mapping file, and the headers that may hold them
    assert 'mapping = "mapping.toml"' in out and '[columns] "<header in the file>"' in out
    assert "file columns not used: 'Tid per månad', 'IBIC mål', 'IBIC egen'" in out
    assert "OK" not in out.split("== ")[-1]


def test_the_mapping_the_hint_asks_for_makes_the_analyses_runnable(tmp_path):
    (tmp_path / "mapping.toml").write_text('[columns]\n"Tid per månad" = "hours_per_month"\n'
                                           '"IBIC mål" = "goal_recorded"\n"IBIC egen" = "own_view_recorded"\n',
                                           encoding="utf-8")
    evaluation = Evaluation.from_toml(_ibic_config(tmp_path, 'mapping = "mapping.toml"'))
    run = pipeline.run(evaluation, analyses=False)
    assert pipeline.unmet_needs(evaluation, run) == []
    (tmp_path / "plain").mkdir()
    without = Evaluation.from_toml(_ibic_config(tmp_path / "plain"))  # the same data without the mapping
    unmet = pipeline.unmet_needs(without, pipeline.run(without, analyses=False))
    assert [(u.analysis, [c[1] for c in u.columns]) for u in unmet] == [
        ("goal_recorded", ["goal_recorded"]), ("own_view_recorded", ["own_view_recorded"]),
        ("hours_pilot", ["hours_per_month"])]


def test_a_column_in_the_file_but_empty_is_named_as_empty(tmp_path, capsys):
    rows = [r.rsplit(";", 2)[0] + ";;" for r in IBIC_ROWS]  # the IBIC columns are there, with no values
    write_export(tmp_path, rows=rows, header=HEADER + ";Mål dokumenterat;Egen uppfattning dokumenterad")
    (tmp_path / "ibic.toml").write_text(CONFIG.format(mapping=""), encoding="utf-8")
    assert main(["check", str(tmp_path / "ibic.toml")]) == 1
    out = capsys.readouterr().out
    assert "needs the decisions column goal_recorded (outcome 'goal_recorded_share'): empty in every row of beslut.csv" in out
    assert out.count("CANNOT RUN") == 2  # the hours are there: the DiD is not blocked by a column


def test_a_config_without_the_source_an_analysis_reads_fails(tmp_path, capsys):
    write_export(tmp_path)
    (tmp_path / "enkat.toml").write_text(
        '[evaluation]\ntitle = "t"\nseed = 1\n[change]\nname = "x"\ndate = 2019-02-01\n'
        '[data.decisions]\npath = "beslut.csv"\n[[analyses]]\nid = "users"\nkind = "survey"\n', encoding="utf-8")
    assert main(["check", str(tmp_path / "enkat.toml")]) == 1
    out = capsys.readouterr().out
    assert "analysis 'users' (survey): CANNOT RUN" in out and "needs [data.survey], which enkat.toml lacks" in out


def test_check_file_lists_canonical_columns_found_missing_and_unused(tmp_path, capsys):
    p = write_export(tmp_path, rows=IBIC_ROWS, header=IBIC_HEADER)
    assert main(["check", str(p)]) == 0  # a decisions table need not carry the IBIC fields
    out = capsys.readouterr().out
    assert "columns of the decisions table in beslut.csv:" in out
    assert "required found (6 of 6): decision_id ('Beslutsid'), person_id ('Brukare')" in out
    assert "required MISSING" not in out
    flat = " ".join(out.split())  # long lines are wrapped for the terminal
    missing = flat.split("optional missing: ")[1].split(" file columns")[0]
    assert {"hours_per_month", "goal_recorded", "own_view_recorded"} <= set(missing.split(", "))
    assert "applied_on" not in missing
    assert "file columns not used: 'Tid per månad', 'IBIC mål', 'IBIC egen'" in out
    assert "--mapping FILE.toml" in out


def test_check_file_names_a_missing_required_column(tmp_path, capsys):
    p = write_export(tmp_path, header=HEADER.replace("Beslutsdatum", "Datum"))
    assert main(["check", str(p)]) == 1
    out = capsys.readouterr().out
    assert "required found (5 of 6)" in out and "required MISSING: decided_on" in out
    assert "file columns not used: 'Datum'" in out
    assert "FAILED" in out


def test_a_file_of_no_known_kind_is_not_recognised_and_fails(tmp_path, capsys):
    p = tmp_path / "prislista.csv"
    p.write_text("Artikel;Pris;Moms;Enhet\nKaffe;45;12;kg\nTe;30;12;st\n", encoding="utf-8")
    assert main(["check", str(p)]) == 1
    out = capsys.readouterr().out
    assert "FAILED: prislista.csv: not recognised as a decisions table" in out
    assert "columns found: Artikel, Pris, Moms, Enhet" in out
    assert "--table" in out and "0 of 1 passed" in out


def test_an_unrecognised_file_still_goes_through_the_privacy_gate(tmp_path, capsys):
    p = tmp_path / "lista.csv"
    p.write_text("Namn;Nummer\nAnna;19640823-3234\n", encoding="utf-8")  # Skatteverket's example number
    assert main(["check", str(p)]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "Nummer" in out and "3234" not in out


def test_a_toml_that_is_no_evaluation_config_is_not_recognised(tmp_path, capsys):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\n"Datum" = "decided_on"\n', encoding="utf-8")
    assert main(["check", str(mapping), str(SAMPLE / "effects.toml")]) == 1
    out = capsys.readouterr().out
    assert "mapping.toml: not recognised as an evaluation config" in out and "--mapping" in out
    assert "effects.toml: not recognised as an evaluation config" in out and "[world], [ibic]" in out
    assert "0 of 2 passed" in out


def test_check_help_documents_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out and "not recognised" in out and "cannot run" in out


@pytest.mark.parametrize("name, kind", [
    ("beslut_procapita.csv", "decisions"), ("andrade_bestallningar.csv", "orders"), ("besok.csv", "visits"),
    ("brukarundersokning.csv", "survey"), ("brukarundersokning_2019.sav", "survey"),
    ("brukarundersokning_utskick.csv", "survey_sent"), ("intervjuer.qdpx", "codings"),
    ("granskning_R1.xlsx", "audit"), ("audit_urval.json", "audit_manifest")])
def test_every_sample_input_is_classified_as_what_it_is(name, kind):
    assert pipeline.classify(SAMPLE / name).kind == kind


def test_every_sample_data_file_passes_check(capsys):
    files = [SAMPLE / n for n in ("andrade_bestallningar.csv", "besok.csv", "brukarundersokning_2019.sav",
                                  "brukarundersokning_utskick.csv", "granskning_R2.xlsx", "audit_urval.json")]
    assert main(["check", *map(str, files)]) == 0
    assert f"{len(files)} of {len(files)} passed" in capsys.readouterr().out


def test_every_panel_outcome_declares_what_it_reads():
    from evalkit.outcomes import PANEL_COLUMNS

    from evalkit import kinds

    declared = [c for outcomes in kinds.PANEL_INPUTS for c in outcomes] + list(kinds.PANEL_BASE)
    assert sorted(declared) == sorted(PANEL_COLUMNS)


SAMPLE_CONFIGS = sorted(p for p in SAMPLE.glob("*.toml") if "[evaluation]" in p.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_sample_configs_pass_check(capsys):
    assert [p.name for p in SAMPLE_CONFIGS] == ["flexible_codes.toml", "ibic.toml", "rehab_pilot.toml"]
    assert main(["check", *map(str, SAMPLE_CONFIGS)]) == 0
    out = capsys.readouterr().out
    assert "3 of 3 passed" in out and "CANNOT RUN" not in out and "MISSING" not in out


def test_column_lists_are_shown_only_for_headers_that_passed_the_gate(tmp_path, capsys):
    # the orders file fails validation before the decisions file is loaded; the decisions file's header holds
    # an identity number: its column list must not be printed, and the run is refused
    write_export(tmp_path, header=HEADER.replace("Handläggare", "19640823-3234"))
    (tmp_path / "order.csv").write_text("Beställnings-id;Brukare;Enhet;Ändringsdatum;Ändringstyp\n"
                                        "O1;P1;Norr;2019-13-45;Tid\n", encoding="utf-8")
    (tmp_path / "c.toml").write_text(
        '[evaluation]\ntitle = "t"\nseed = 1\n[change]\nname = "x"\ndate = 2019-02-01\n'
        '[data.orders]\npath = "order.csv"\n[data.decisions]\npath = "beslut.csv"\n', encoding="utf-8")
    assert main(["check", str(tmp_path / "c.toml")]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "3234" not in out


def test_no_cli_output_echoes_an_identity_number_even_in_a_path_the_user_gave(tmp_path, capsys):
    # Skatteverket's documented test personnummer, in the file name and in the content
    path = tmp_path / "Brukare 640823–3234.csv"
    path.write_text("Namn;Nummer\nAnna;19640823-3234\n", encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "personnummer" in text and "3234" not in text and "640823" not in text
