"""The audit journey from the command line (draw → form without --from/--to → extend → form of the new
round), the printed form's page setup, and each subcommand's own examples in --help."""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evalkit import audit
from evalkit.cli import _parser, main

CONFIG = str(Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun" / "ibic.toml")


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit")
    first, second = d / "urval.json", d / "urval_runda2.json"
    statuses = [
        main(["audit", "draw", CONFIG, "--n", "30", "--strata", "period", "--from", "2015-01-01",
              "--to", "2018-12-31", "-o", str(first)]),
        main(["audit", "form", CONFIG, "--manifest", str(first), "-o", str(d / "g1.xlsx")]),
        main(["audit", "extend", CONFIG, "--manifest", str(first), "--n", "10", "-o", str(second)]),
        main(["audit", "form", CONFIG, "--manifest", str(second), "--new-only", "-o", str(d / "g2.xlsx")]),
    ]
    return dict(dir=d, first=first, second=second, statuses=statuses)


def test_the_journey_runs_without_repeating_the_window(rounds):
    assert rounds["statuses"] == [0, 0, 0, 0]
    m1 = json.loads(rounds["first"].read_text(encoding="utf-8"))
    assert m1["window"] == {"from": "2015-01-01", "to": "2018-12-31"}


def test_extend_keeps_the_first_rounds_design(rounds):
    m1 = json.loads(rounds["first"].read_text(encoding="utf-8"))
    m2 = json.loads(rounds["second"].read_text(encoding="utf-8"))
    for key in ("seed", "strata", "allocation", "frame", "window", "id_column"):
        assert m2[key] == m1[key], key
    assert m2["rounds"][0] == m1["rounds"][0] and sum(m2["rounds"][1].values()) == 10
    s1, s2 = audit.from_manifest(rounds["first"]), audit.from_manifest(rounds["second"])
    assert set(s1.ids) < set(s2.ids)  # the first round's decisions stay in
    assert len(set(s2.ids)) == 40  # no decision drawn twice
    assert s1.manifest_sha256 in s2.accepted_manifests  # first-round forms stay valid


def test_new_only_form_holds_the_new_round(rounds):
    s1, s2 = audit.from_manifest(rounds["first"]), audit.from_manifest(rounds["second"])
    ws = load_workbook(rounds["dir"] / "g2.xlsx").worksheets[1]
    ids = [ws.cell(row=r, column=1).value for r in range(3, ws.max_row + 1)]
    assert len(ids) == 10 and set(ids) == set(s2.ids) - set(s1.ids)


def test_extend_refuses_to_replace_the_first_manifest(rounds, capsys):
    assert main(["audit", "extend", CONFIG, "--manifest", str(rounds["first"]), "--n", "5",
                 "-o", str(rounds["first"]), "--force"]) == 1
    assert "--output must be a new file" in capsys.readouterr().err


def test_printed_form_fits_a4_landscape_with_the_id_on_every_page(rounds):
    ws = load_workbook(rounds["dir"] / "g1.xlsx").worksheets[1]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows == "$1:$2"  # header and question rows on every page
    assert ws.print_title_cols == "$A:$A"  # the decision id on every page
    assert ws.cell(row=3, column=1).value.startswith("B")  # column A holds decision ids


SUBCOMMANDS = [["init"], ["check"], ["report"], ["audit", "draw"], ["audit", "extend"], ["audit", "form"],
               ["audit", "score"]]


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", SUBCOMMANDS, ids=" ".join)
def test_each_subcommand_shows_its_own_examples(argv, capsys):
    text = _help(argv, capsys)
    examples = text[text.index("examples:"):]
    lines = [line.strip() for line in examples.splitlines() if line.strip().startswith("evalkit ")]
    own = [line for line in lines if line.startswith("evalkit " + " ".join(argv) + " ")]
    assert len(own) >= 2, text
    for line in own:  # every example is a valid command line
        words = shlex.split(line.split(" && ")[0], comments=True)
        _parser().parse_args(words[1:])
