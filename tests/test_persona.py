"""Persona: an evaluator in another municipality, with an export from another case-management system.

Her export is unlike the sample: Norwegian Gerica-style headers (Vedtaksdato, Søknadsdato, Bydel, Tjeneste,
Timer per måned …, and a few no alias knows: Brukernummer, Iverksatt, Avgjørelse), dates as 05.03.2019,
UTF-8 with a byte-order mark, a title row above the header, ';' as delimiter and a decimal comma. From that
file alone, with no hand edits, ``evalkit init``, ``evalkit check`` and ``evalkit report`` must give her a
report — three commands.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import evalkit as ek
from evalkit.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun" / "beslut_procapita.csv"

#: canonical column -> the header of her export (None: not in it)
GERICA_HEADERS = {
    "decision_id": "Vedtaks-ID", "person_id": "Brukernummer", "unit": "Bydel", "applied_on": "Søknadsdato",
    "decided_on": "Vedtaksdato", "start_on": "Iverksatt", "end_on": "Sluttdato",
    "follow_up_on": "Evalueringsdato", "outcome": "Avgjørelse", "service": "Tjeneste",
    "hours_per_month": "Timer per måned", "law": "Hjemmel", "case_officer_id": "Saksbehandler",
    "goal_recorded": "Mål registrert", "own_view_recorded": "Brukers syn dokumentert",
}
OUTCOME_WORDS = {"granted": "Innvilget", "partly": "Delvis innvilget", "denied": "Avslått"}


def write_gerica_export(path: Path, decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Write the sample's decisions as a Gerica-style export; returns the decisions it was made from."""
    d = ek.load_decisions(SAMPLE) if decisions is None else decisions

    def day_first(s):
        return s.dt.strftime("%d.%m.%Y").fillna("")

    def yes_no(s):
        return s.map({True: "Ja", False: "Nei"}).fillna("")

    columns = {}
    for canonical, header in GERICA_HEADERS.items():
        s = d[canonical]
        if pd.api.types.is_datetime64_any_dtype(s):
            s = day_first(s)
        elif canonical == "hours_per_month":
            s = s.map(lambda v: "" if pd.isna(v) else f"{v:.1f}".replace(".", ","))
        elif canonical == "outcome":
            s = s.map(OUTCOME_WORDS)
        elif canonical in ("goal_recorded", "own_view_recorded"):
            s = yes_no(s)
        columns[header] = s
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write("Vedtak hjemmetjenester 2012–2022 (uttrekk fra Gerica)\n")
        pd.DataFrame(columns).to_csv(fh, sep=";", index=False, lineterminator="\n")
    return d


@pytest.fixture(scope="module")
def persona(tmp_path_factory):
    """Her folder with the export; the three commands run once, timed."""
    folder = tmp_path_factory.mktemp("bydel")
    export = folder / "vedtak_gerica.csv"
    decisions = write_gerica_export(export)
    config = folder / "evaluation.toml"
    docx = folder / "rapport.docx"
    commands = [["init", str(export), "--output", str(folder)], ["check", str(config)],
                ["report", str(config), "--output", str(docx)]]
    t0 = time.perf_counter()
    statuses = [main(c) for c in commands]
    return dict(folder=folder, export=export, config=config, docx=docx, statuses=statuses, commands=commands,
                seconds=time.perf_counter() - t0, decisions=decisions)


def test_export_is_unlike_the_sample(persona):
    raw = persona["export"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    lines = raw.decode("utf-8-sig").splitlines()
    assert ";" not in lines[0] and lines[1].startswith("Vedtaks-ID;Brukernummer;Bydel;Søknadsdato")
    assert any(",5;" in line for line in lines[2:50])  # decimal comma
    assert lines[2].split(";")[4].count(".") == 2  # 12.01.2012


def test_three_commands_no_hand_edits(persona):
    assert persona["statuses"] == [0, 0, 0], persona["commands"]
    assert len(persona["commands"]) == 3
    assert persona["docx"].exists() and persona["docx"].stat().st_size > 10_000
    assert persona["docx"].with_suffix(".xlsx").exists()


def test_config_is_what_she_needs(persona):
    config = tomllib.loads(persona["config"].read_text(encoding="utf-8"))
    assert config["evaluation"]["language"] == "nb"  # Norwegian headers
    assert config["change"]["placeholder"] is True  # no --change-date: the date is marked, not invented silently
    ids = [a["id"] for a in config["analyses"]]
    # applied_on and decided_on were found: the processing-time ITS is there
    assert "processing_time" in ids and "time_to_start" in ids and "hours_per_user" in ids
    # two yes/no columns cannot be told apart by their values: those analyses stay TODOs
    assert "goal_recorded" not in ids
    text = persona["config"].read_text(encoding="utf-8")
    assert "# TODO: this analysis needs goal_recorded — goal_recorded: candidates 'Mål registrert', " in text
    mapping = tomllib.loads((persona["folder"] / "mapping.toml").read_text(encoding="utf-8"))
    assert mapping["columns"] == {"Brukernummer": "person_id", "Iverksatt": "start_on", "Avgjørelse": "outcome"}
    mapping_text = (persona["folder"] / "mapping.toml").read_text(encoding="utf-8")
    assert '"Avgjørelse" = "outcome"    # inferred from the values' in mapping_text
    assert '"Brukernummer" = "person_id"    # fuzzy header match' in mapping_text


def test_loaded_as_the_sample(persona):
    """The mapping init wrote loads her export to the same decisions the export was made from."""
    loaded = ek.load_decisions(persona["export"], persona["folder"] / "mapping.toml")
    original = persona["decisions"]
    assert len(loaded) == len(original)
    for column in ("decision_id", "person_id", "unit", "applied_on", "decided_on", "start_on", "outcome"):
        assert loaded[column].reset_index(drop=True).equals(original[column].reset_index(drop=True)), column
    assert (loaded["hours_per_month"].reset_index(drop=True).round(1)
            .equals(original["hours_per_month"].reset_index(drop=True).round(1)))


def test_check_warns_and_ends_with_a_summary_table(persona, capsys):
    assert main(["check", str(persona["config"]), str(persona["export"])]) == 1  # the export alone lacks a mapping
    captured = capsys.readouterr()
    out = captured.out
    assert "is a placeholder written by evalkit init" in out
    summary = out[out.index("== summary"):]
    rows = len(persona["decisions"])
    # the config's source, read with the mapping init wrote: every row kept, 13 of 20 canonical columns
    assert re.search(rf"vedtak_gerica\.csv +decisions +{rows} +{rows} +0 +13 of 20 +followed_up_on, ", summary)
    # the bare export, without the mapping: the two required columns no known header names
    assert re.search(r"vedtak_gerica\.csv +decisions — FAILED .* person_id \(required\), outcome \(required\)",
                     summary)
    for analysis in ("processing_time", "time_to_start", "hours_per_user", "denial_share"):
        assert re.search(rf"evaluation\.toml +{analysis} +yes", summary), analysis
    assert "evalkit: analysis 'processing_time' (its) …" in captured.err  # progress on the long steps
    # advice written in Python's words is also given in the config's
    assert "errors='hac' (in the config: options = { errors = \"hac\" } in the analysis's [[analyses]] entry)" in out


def test_report_renders(persona, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; the .docx was checked to exist above")
    done = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                           str(persona["docx"])], capture_output=True, timeout=240)
    pdf = tmp_path / "rapport.pdf"
    assert done.returncode == 0 and pdf.exists() and pdf.stat().st_size > 10_000, done.stderr[-500:]


def test_time(persona):
    """The three commands of the persona run well inside the issue's ten minutes (measured: see the report)."""
    print(f"persona: {len(persona['commands'])} commands, {persona['seconds']:.1f} s")
    assert persona["seconds"] < 600
