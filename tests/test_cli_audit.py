"""`evalkit audit draw / form / score` on the sample municipality."""
from __future__ import annotations

import json

import openpyxl

from evalkit.cli import main
from tests.conftest import SAMPLE

CONFIG = str(SAMPLE / "ibic.toml")
WINDOW = ["--from", "2015-01-01", "--to", "2018-12-31"]


def test_draw_is_reproducible_and_refuses_to_overwrite(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["audit", "draw", CONFIG, "--margin", "0.15", *WINDOW, "-o", str(a)]) == 0
    assert main(["audit", "draw", CONFIG, "--margin", "0.15", *WINDOW, "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()  # same config, data and seed -> the same sample, to the byte
    manifest = json.loads(a.read_text("utf-8"))
    assert manifest["strata"] == ["period"] and manifest["seed"] == 20240601
    assert len(manifest["sample"]) > 0
    assert main(["audit", "draw", CONFIG, *WINDOW, "-o", str(a)]) == 1
    assert "--force" in capsys.readouterr().err


def test_form_for_the_drawn_sample_and_refusal_on_another_frame(tmp_path, capsys):
    manifest, form = tmp_path / "urval.json", tmp_path / "g1.xlsx"
    assert main(["audit", "draw", CONFIG, "--margin", "0.15", *WINDOW, "-o", str(manifest)]) == 0
    assert main(["audit", "form", CONFIG, "--manifest", str(manifest), *WINDOW, "-o", str(form)]) == 0
    wb = openpyxl.load_workbook(form)
    assert {"_meta"} <= set(wb.sheetnames)
    # the frame must be the one drawn from: another window is refused, naming what changed (without --from/--to
    # the window is the manifest's)
    assert main(["audit", "form", CONFIG, "--manifest", str(manifest), "--from", "2016-01-01",
                 "-o", str(tmp_path / "g2.xlsx")]) == 1
    assert "not the one this sample was drawn from" in capsys.readouterr().err
    assert not (tmp_path / "g2.xlsx").exists()


def test_score_prints_the_audit_sentences(capsys):
    assert main(["audit", "score", CONFIG, "--language", "en"]) == 0
    out = capsys.readouterr().out
    assert "kappa" in out and "percentage points" in out
