"""`evalkit init`: what it guesses, how sure it says it is, and that it never overwrites a file."""
from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import init
from evalkit.cli import main
from evalkit.config import Evaluation

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"


def _decisions(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    decided = pd.Timestamp("2015-01-05") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    applied = decided - pd.to_timedelta(rng.integers(5, 60, n), unit="D")
    return pd.DataFrame({
        "decision_id": [f"V{i:05d}" for i in range(n)],
        "person_id": [f"B{i % 150:04d}" for i in range(n)],
        "unit": rng.choice(["Nord", "Sør"], n),
        "applied_on": applied, "decided_on": decided,
        "outcome": rng.choice(["granted", "denied"], n, p=[0.9, 0.1]),
        "service": rng.choice(["Hjemmehjelp", "Trygghetsalarm"], n),
        "hours_per_month": rng.integers(2, 80, n) / 2,
        "goal_recorded": rng.random(n) < 0.5, "own_view_recorded": rng.random(n) < 0.5,
    })


def _write(path: Path, d: pd.DataFrame, headers: dict[str, str]) -> Path:
    out = pd.DataFrame({
        header: (d[c].dt.strftime("%d.%m.%Y") if pd.api.types.is_datetime64_any_dtype(d[c])
                 else d[c].map({True: "Ja", False: "Nei"}) if d[c].dtype == bool
                 else d[c].map({"granted": "Innvilget", "denied": "Avslag"}) if c == "outcome"
                 else d[c].map(lambda v: f"{v:.1f}".replace(".", ",")) if c == "hours_per_month"
                 else d[c])
        for c, header in headers.items()})
    out.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


HEADERS = {"decision_id": "Vedtaksnr", "person_id": "Brukernummer", "unit": "Bydel", "applied_on": "Søknadsdato",
           "decided_on": "Vedtaksdato", "outcome": "Avgjørelse", "service": "Tjeneste",
           "hours_per_month": "Tildelt tid", "goal_recorded": "Mål satt", "own_view_recorded": "Brukers syn"}


@pytest.fixture
def export(tmp_path):
    return _write(tmp_path / "vedtak.csv", _decisions(), HEADERS)


def test_confidence_of_each_guess(export):
    f = init.propose([export]).files[0]
    assert f.kind == "decisions"
    how = {g.column: (g.header, g.confidence) for g in f.guesses}
    assert how["decided_on"] == ("Vedtaksdato", "exact")
    assert how["unit"] == ("Bydel", "exact")
    assert how["person_id"] == ("Brukernummer", "fuzzy")
    # no header fits these; their values do, and no other column's
    assert how["outcome"] == ("Avgjørelse", "values")
    assert how["hours_per_month"] == ("Tildelt tid", "values")
    # two yes/no columns: a TODO naming both, never a guess
    todo = {g.column: g.candidates for g in f.todo}
    assert set(todo["goal_recorded"]) == {"Mål satt", "Brukers syn"}
    assert "goal_recorded" not in f.found


def test_fuzzy_needs_fitting_values(tmp_path):
    """A header close to a date alias whose values are no dates is not taken for that date."""
    d = _decisions()
    path = _write(tmp_path / "v.csv", d.assign(start=d["service"]),
                  {**HEADERS, "start": "Iverksatt"})
    f = init.propose([path]).files[0]
    assert "start_on" not in f.found
    d2 = d.assign(start=d["decided_on"] + pd.Timedelta(days=10))
    f2 = init.propose([_write(tmp_path / "w.csv", d2, {**HEADERS, "start": "Iverksatt"})]).files[0]
    assert f2.found["start_on"].header == "Iverksatt" and f2.found["start_on"].confidence == "fuzzy"


def test_writes_a_config_that_parses(export, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["init", str(export), "--output", str(out), "--change-date", "2017-01-01", "--language", "en"]) == 0
    printed = capsys.readouterr().out
    assert "person_id" in printed and "fuzzy header match" in printed and "inferred from the values" in printed
    ev = Evaluation.from_toml(out / "evaluation.toml")
    assert ev.change.date.isoformat() == "2017-01-01" and not ev.change.placeholder
    assert ev.language == "en"
    assert ev.data["decisions"].mapping == (out / "mapping.toml").resolve()
    # the config sits elsewhere than the data: the path is absolute, so it is read as it is
    assert ev.data["decisions"].path == export.resolve()
    kinds = {a.id: a.outcome for a in ev.analyses}
    assert kinds["processing_time"] == "processing_days_median"
    assert "time_to_start" not in kinds  # no start_on in the file
    text = (out / "evaluation.toml").read_text(encoding="utf-8")
    assert "placeholder" not in text


def test_placeholder_date_without_change_date(export, tmp_path):
    assert main(["init", str(export), "--output", str(tmp_path)]) == 0
    ev = Evaluation.from_toml(tmp_path / "evaluation.toml")
    assert ev.change.placeholder is True
    decided = pd.read_csv(export, sep=";")["Vedtaksdato"].map(lambda s: pd.Timestamp(s[6:] + s[3:5] + s[:2]))
    assert decided.min() < pd.Timestamp(ev.change.date) < decided.max()
    assert ev.language == "nb"  # Norwegian headers


def test_never_overwrites(export, tmp_path, capsys):
    assert main(["init", str(export), "--output", str(tmp_path)]) == 0
    config = tmp_path / "evaluation.toml"
    config.write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(export), "--output", str(tmp_path)]) == 1
    assert "--force" in capsys.readouterr().err
    assert config.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", str(export), "--output", str(tmp_path), "--force"]) == 0
    assert "[evaluation]" in config.read_text(encoding="utf-8")


def test_missing_required_column_is_a_todo(tmp_path, capsys):
    d = _decisions()
    headers = {k: v for k, v in HEADERS.items() if k != "service"}
    path = _write(tmp_path / "v.csv", d, headers)
    assert main(["init", str(path), "--output", str(tmp_path)]) == 1
    assert "NOT READY" in capsys.readouterr().out
    mapping = (tmp_path / "mapping.toml").read_text(encoding="utf-8")
    assert "# TODO service (REQUIRED" in mapping
    tomllib.loads(mapping)  # still valid TOML
    config = (tmp_path / "evaluation.toml").read_text(encoding="utf-8")
    assert "[[analyses]]\nid" not in config  # no analysis can run before the table loads


def test_every_kind_of_sample_file(tmp_path):
    """Decisions, orders, visits, survey + mailing list, codings, audit forms + manifest: one config."""
    names = ["beslut_procapita.csv", "andrade_bestallningar.csv", "besok.csv", "brukarundersokning.csv",
             "brukarundersokning_utskick.csv", "intervjuer.qdpx", "granskning_R1.xlsx", "granskning_R2.xlsx",
             "audit_urval.json"]
    for name in names:
        shutil.copy(SAMPLES / name, tmp_path / name)
    proposal = init.propose([tmp_path / n for n in names])
    assert [f.kind for f in proposal.files] == ["decisions", "orders", "visits", "survey", "survey_sent",
                                                 "codings", "audit", "audit", "audit_manifest"]
    init.write(proposal, tmp_path, change_date=pd.Timestamp("2017-01-01").date())
    assert not (tmp_path / "mapping.toml").exists()  # every header was known
    ev = Evaluation.from_toml(tmp_path / "evaluation.toml")
    assert set(ev.data) == {"decisions", "orders", "visits", "survey", "codings", "audit"}
    assert len(ev.data["audit"].options["forms"]) == 2
    assert ev.data["survey"].options["sent"].name == "brukarundersokning_utskick.csv"
    kinds = {a.kind for a in ev.analyses}
    assert {"its", "survey", "qualitative", "audit"} <= kinds
    ids = [a.id for a in ev.analyses]
    assert "goal_recorded" in ids and "order_changes" in ids


def test_two_files_of_one_kind_refused(export, tmp_path):
    other = _write(tmp_path / "vedtak2.csv", _decisions(seed=2), HEADERS)
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError, match="one file of each kind"):
        init.propose([export, other])
