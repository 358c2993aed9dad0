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


def test_check_reads_a_coded_interview_project(capsys):
    from tests.conftest import SAMPLE

    assert main(["check", str(SAMPLE / "intervjuer.qdpx")]) == 0
    out = capsys.readouterr().out
    assert "30 sources" in out and "108 selections match their preview, 0 drift" in out
