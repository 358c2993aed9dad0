"""The sample municipality's governing documents: every planted mention is found on its page, nothing else is,
and the IBIC config runs the documents analysis.

The truths are in data_samples/exempelkommun/documents_effects.toml (written by generate_documents.py from the
texts it lays out; LibreOffice renders the PDF and ODT pages, so the pages checked here come from a real
renderer, not from evalkit)."""
from __future__ import annotations

import tomllib

import pandas as pd
import pytest

import evalkit as ek
from evalkit.config import Evaluation

from .conftest import SAMPLE

TRUTH = tomllib.loads((SAMPLE / "documents_effects.toml").read_text(encoding="utf-8"))
CONFIG = SAMPLE / "ibic.toml"


@pytest.fixture(scope="module")
def spec():
    ev = Evaluation.from_toml(CONFIG)
    return next(a for a in ev.analyses if a.kind == "documents")


@pytest.fixture(scope="module")
def docs():
    return ek.load_documents(SAMPLE / "styrdokument", meta=SAMPLE / "styrdokument.toml")


@pytest.fixture(scope="module")
def mentions(docs, spec):
    return ek.find_mentions(docs, spec.options["terms"], language="sv")


def test_documents_and_their_metadata_match_the_truth(docs):
    got = docs.documents.set_index("file")
    assert sorted(got.index) == sorted(d["file"] for d in TRUTH["documents"])
    for d in TRUTH["documents"]:
        row = got.loc[d["file"]]
        assert row["doc_type"] == d["type"]
        assert row["date"] == pd.Timestamp(d["date"])
        assert row["in_force"] == pd.Timestamp(d["in_force"])
        assert row["issuer"] == d["issuer"]
        assert row["pages"] == d["pages"]


def test_every_planted_mention_is_found_on_its_page(mentions):
    found = set(zip(mentions.mentions["file"], mentions.mentions["component"], mentions.mentions["page"]))
    planted = {(m["file"], m["component"], m["page"]) for m in TRUTH["mentions"]}
    missing = planted - found
    assert not missing, f"{len(planted) - len(missing)}/{len(planted)} planted mentions found; missing {missing}"
    extra = found - planted  # the texts use the terms nowhere else
    assert not extra, f"suggestions on pages without a planted mention: {extra}"
    # and the passage is the planted paragraph
    got = {(r["file"], r["component"], r["page"]): r["passage"] for r in mentions.mentions.to_dict("records")}
    for m in TRUTH["mentions"]:
        assert m["passage"] in got[(m["file"], m["component"], m["page"])]


def test_the_2019_manual_never_mentions_follow_up(mentions):
    m = mentions.mentions
    assert m[(m["file"] == "handbok_ibic_2019.docx") & (m["component"] == "follow_up_planned")].empty
    assert set(m.loc[m["file"] == "handbok_ibic_2019.docx", "component"]) == {
        "goal_recorded", "own_view_recorded", "needs_by_life_area"}
    matrix = mentions.matrix()
    assert matrix.loc["follow_up_planned", "handbok_ibic_2019.docx"] == ""
    assert matrix.loc["goal_recorded", "rutin_handlaggning_ibic_2017.pdf"] == "3"


def test_required_since_follows_the_committee_decision(mentions):
    r = ek.intended_vs_enacted(mentions)
    mx = r.matrix.set_index("component")
    for comp in ("goal_recorded", "own_view_recorded", "needs_by_life_area"):
        assert mx.loc[comp, "required_since"] == pd.Timestamp("2017-01-01")
        assert mx.loc[comp, "first_document"] == "Protokollsutdrag § 87: Införande av IBIC"
    first_pages = {m["component"]: m["page"] for m in TRUTH["mentions"]
                   if m["file"] == "namndbeslut_2016-11-22_ibic.pdf"}
    assert mx.loc["goal_recorded", "first_page"] == first_pages["goal_recorded"]
    assert mx.loc["follow_up_planned", "required_since"] == pd.Timestamp("2014-07-01")
    assert mx.loc["follow_up_planned", "not_in_later"] == "Handbok IBIC (2019)"
    assert (mx["gap"] == "no_practice_data").all()  # no decisions given


def test_config_runs_the_documents_analysis_with_practice_effects_and_interviews(spec):
    from evalkit import pipeline

    ev = Evaluation.from_toml(CONFIG)
    assert ev.data["documents"].path == (SAMPLE / "styrdokument").resolve()
    keep = {"goal_recorded", "own_view_recorded", "governing_documents"}
    ev = Evaluation(**{**ev.__dict__, "analyses": tuple(a for a in ev.analyses if a.id in keep),
                       "data": {k: v for k, v in ev.data.items() if k in ("decisions", "documents", "codings")}})
    with pytest.warns(ek.EvalkitWarning):
        run = pipeline.run(ev)
    r = run.results["governing_documents"]
    mx = r.matrix.set_index("component")
    # the sample's true shares (effects.toml [ibic]): goal 0.35 → 0.75, own view 0.40 → 0.80
    assert mx.loc["goal_recorded", "share_before"] == pytest.approx(0.35, abs=0.03)
    assert mx.loc["goal_recorded", "share_after"] == pytest.approx(0.75, abs=0.03)
    assert mx.loc["own_view_recorded", "share_after"] == pytest.approx(0.80, abs=0.03)
    assert mx.loc["goal_recorded", "estimate"] == pytest.approx(
        run.results["goal_recorded"].effects.loc["level_change", "estimate"])
    assert mx.loc["goal_recorded", "label"] == "Mål dokumenterat"
    assert mx.loc["goal_recorded", "interviews"] > 0
    assert (mx["gap"] == "").all()
    assert r.series is not None and len(r.series) > 100


def test_timelines_draw_one_marker_per_document_and_component(mentions):
    fig = mentions.plot()
    ax = fig.axes[0]
    # one marker per (component, document) pair that mentions it
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == mentions.mentions.drop_duplicates(["component", "source_guid"]).shape[0] == 12
    r = ek.intended_vs_enacted(mentions)
    lines = [ln for ln in r.plot(language="nb").axes[0].lines if ln.get_linestyle() == "--"]
    assert len(lines) == len(mentions.documents)  # a dashed line at each document's in-force date


def _config(tmp_path, analysis: str) -> Evaluation:
    (tmp_path / "e.toml").write_text(f"""
[evaluation]
title = "t"
seed = 1
[change]
name = "IBIC"
date = 2017-01-01
[data.decisions]
path = "{SAMPLE / 'beslut_procapita.csv'}"
[data.documents]
path = "{SAMPLE / 'styrdokument'}"
meta = "{SAMPLE / 'styrdokument.toml'}"
[[analyses]]
id = "fid"
kind = "fidelity"
model = "ibic"
{analysis}
""", encoding="utf-8")
    return Evaluation.from_toml(tmp_path / "e.toml")


def test_a_fidelity_analysis_can_be_the_practice_and_options_are_checked(tmp_path):
    from evalkit import pipeline

    ev = _config(tmp_path, """[[analyses]]
id = "docs"
kind = "documents"
fidelity = "fid"
terms = { goal_recorded = ["mål"], follow_up_planned = ["uppföljning"] }
""")
    with pytest.warns(ek.EvalkitWarning):
        run = pipeline.run(ev)
    r = run.results["docs"]
    mx = r.matrix.set_index("component")
    assert mx.loc["goal_recorded", "label"] == "Mål dokumenterat"  # from the fidelity result's model
    scored = run.results["fid"].scored
    after = scored["decided_on"] >= pd.Timestamp("2017-01-01")
    assert mx.loc["goal_recorded", "n_after"] == int(scored.loc[after, "goal_recorded"].notna().sum())
    # a misspelt option is refused when the config is read, before any data, with the closest key
    with pytest.raises(ek.ConfigError, match=r"analyses\[\d\]\.term: unknown key for a documents analysis \(did you mean 'terms'\?\)"):
        _config(tmp_path, """[[analyses]]
id = "docs"
kind = "documents"
term = { goal_recorded = ["mål"] }
""")
