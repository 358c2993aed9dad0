"""Exempelkommun's implementation data: reproducible to the byte, and evalkit recovers the truths built into it.

The truths are in ``implementation_effects.toml``; the checks below read the committed files through the public
API (``ek.cfir.load_ratings``, ``ek.cfir.matrix``, ``ek.score_instrument``) and compare with independent
computations (statsmodels' weighted kappa, the ``krippendorff`` package) on what the raters wrote.
"""
from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

import evalkit as ek
from evalkit.implementation import compare_instrument, instrument_alpha

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"
EFFECTS = tomllib.loads((SAMPLE / "implementation_effects.toml").read_text(encoding="utf-8"))
FILES = ("cfir_intervjuer.qdpx", "cfir_bedomning_A.xlsx", "cfir_bedomning_B.xlsx", "cfir_sanna_bedomningar.csv",
         "nomad_personal.csv")
GROUPS = {"high": EFFECTS["cfir"]["high"], "low": EFFECTS["cfir"]["low"]}


def _generator():
    spec = importlib.util.spec_from_file_location("exempelkommun_implementation",
                                                  SAMPLE / "generate_implementation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("implementation")
    _generator().generate(out)
    return out


@pytest.mark.parametrize("name", FILES)
def test_committed_files_are_what_the_generator_writes(regenerated, name):
    assert (regenerated / name).read_bytes() == (SAMPLE / name).read_bytes(), \
        f"{name} differs: run python data_samples/exempelkommun/generate_implementation.py"


def test_units_are_the_districts_of_the_decisions_file():
    raw = pd.read_csv(SAMPLE / "beslut_procapita.csv", sep=";", encoding="cp1252", skiprows=3, usecols=["Enhet"],
                      dtype=str)
    units = set(raw["Enhet"].dropna()) - {"Enhet"}   # the header is repeated in the file
    assert units == set(EFFECTS["cfir"]["units"])


@pytest.fixture(scope="module")
def ratings():
    return ek.cfir.load_ratings([SAMPLE / "cfir_bedomning_A.xlsx", SAMPLE / "cfir_bedomning_B.xlsx"])


def test_forms_read_back_to_what_the_raters_wrote(ratings):
    written = pd.read_csv(SAMPLE / "cfir_sanna_bedomningar.csv", dtype=str)
    got = ratings[["unit", "construct", "rater", "code"]].astype(str).sort_values(["rater", "unit", "construct"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  written.sort_values(["rater", "unit", "construct"]).reset_index(drop=True))
    truth = EFFECTS["cfir"]["truth"]
    a = ratings[ratings["rater"] == "A"].set_index(["construct", "unit"])["code"]
    for cid, codes in truth.items():
        assert [a[(cid, u)] for u in EFFECTS["cfir"]["units"]] == codes
    assert ratings.attrs["checks"] == [] and ek.cfir.rating_checks(ratings).empty   # every ±2 rests on ≥ 2 informants, no "missing" with passages
    # the memo of the one unit without data is empty; names in the interviews are masked
    assert ratings.loc[(ratings["unit"] == "Åsen") & (ratings["construct"] == "II.E"), "n_segments"].eq(0).all()


def test_agreement_is_the_designed_one(ratings):
    written = pd.read_csv(SAMPLE / "cfir_sanna_bedomningar.csv", dtype=str)
    wide = written.pivot_table(index=["unit", "construct"], columns="rater", values="code", aggfunc="first")
    numeric = wide[~wide.isin(["X", "missing"]).any(axis=1)].astype(int)
    cats = [-2, -1, 0, 1, 2]
    table = pd.crosstab(pd.Categorical(numeric["A"], cats), pd.Categorical(numeric["B"], cats), dropna=False)
    kappa = cohens_kappa(table.to_numpy(), wt="linear", return_results=False)
    alpha = krippendorff.alpha(reliability_data=numeric[["A", "B"]].T.to_numpy(), level_of_measurement="ordinal",
                               value_domain=cats)
    res = ek.cfir.rating_agreement(ratings, n_boot=200)
    assert res.cohen.value == pytest.approx(kappa, abs=1e-12) and res.krippendorff.value == pytest.approx(alpha)
    c = EFFECTS["cfir"]
    n_cells = len(c["truth"]) * len(c["units"])
    n_x = sum(v.count("X") for v in c["truth"].values())
    n_missing = sum(v.count("missing") for v in c["truth"].values())
    # designed: cells rated on the scale by both = all − X − missing − B's extra X
    assert res.n_pairs == n_cells - n_x - n_missing - len(c["rater_b"]["mixed"]) == len(numeric)
    assert (res.excluded_mixed, res.excluded_missing) == (2 * n_x + len(c["rater_b"]["mixed"]), 2 * n_missing)
    # B is off by one step in `shifted` cells and says X in the `mixed` ones: the rest agree exactly
    assert res.exact == pytest.approx(1 - (c["rater_b"]["shifted"] + len(c["rater_b"]["mixed"])) / n_cells)
    assert 0.8 < res.cohen.value < 0.95


@pytest.mark.parametrize("rule", ["agreed", "rater:A", "conservative"])
def test_distinguishing_constructs_are_recovered(ratings, rule):
    res = ek.cfir.matrix(ratings, outcome_groups=GROUPS, rule=rule, n_boot=100)
    assert res.distinguishing_constructs("strong") == EFFECTS["cfir"]["distinguishing"]["strong"]
    assert res.distinguishing_constructs("weak") == EFFECTS["cfir"]["distinguishing"]["weak"]
    cons = res.consensus.set_index(["construct", "unit"])
    assert cons.loc[("III.J", "Norr"), "rating"] == 2 and cons.loc[("IV.B", "Väster"), "rating"] == -2
    assert cons.loc[("II.E", "Åsen"), "status"] == "missing" and cons.loc[("III.C", "Centrum"), "status"] == "mixed"
    if rule == "agreed":
        # B's shifted cells and its X-versus-number cell are the disagreements, nothing else
        b = EFFECTS["cfir"]["rater_b"]
        assert (cons["status"] == "disagreement").sum() == b["shifted"] + len(b["mixed"])
        assert cons.loc[("IV.M", "Centrum"), "status"] == "disagreement"
    else:
        assert cons.loc[("IV.M", "Centrum"), "status"] == ("rated" if rule == "rater:A" else "mixed")


def test_memos_of_the_sample_mask_the_name():
    c = ek.load_codings(SAMPLE / "cfir_intervjuer.qdpx")
    m = ek.cfir.memos(c, constructs=["IV.B"], units=["Söder"])
    assert "Lena Berg" in " ".join(c.segments["text"]) and "Lena Berg" not in m["memo"].iloc[0]
    assert "[namn]" in m["memo"].iloc[0] and m["informants"].iloc[0] >= 2


@pytest.fixture(scope="module")
def nomad():
    return pd.read_csv(SAMPLE / "nomad_personal.csv")


def test_nomad_wave_shifts_are_recovered(nomad):
    scores = ek.score_instrument(nomad, "nomad")
    diff = compare_instrument(scores, by="wave", before=2019, after=2021)
    diff = diff[diff["wave"] == "2021 − 2019"].set_index("construct")
    for construct, shift in EFFECTS["nomad"]["shift"].items():
        low, high = diff.loc[construct, ["ci_low", "ci_high"]]
        assert low < shift < high, f"{construct}: true shift {shift} outside ({low:.3f}, {high:.3f})"
        assert (diff.loc[construct, "p_value"] < 0.001) == (shift != 0)
    # "not relevant" answers are missing and counted: about 3 % of 800 × 20 answers
    share = sum(sum(v.values()) for v in scores.attrs["not_relevant"].values()) / (len(nomad) * 20)
    assert abs(share - EFFECTS["nomad"]["not_relevant"]) < 0.006


def test_nomad_reverse_item_and_alpha(nomad):
    # CA2 is negatively worded: raw answers correlate negatively with the other collective-action items ...
    raw_r = nomad[["CA2", "CA1"]].where(nomad[["CA2", "CA1"]] <= 5).corr().iloc[0, 1]
    assert raw_r < -0.2
    # ... and after reversal it belongs to the scale
    a = instrument_alpha(nomad, "nomad")
    assert (a["alpha"] > 0.7).all()
    assert instrument_alpha(nomad, "nomad", reverse=()).loc["collective_action", "alpha"] < \
        a.loc["collective_action", "alpha"] - 0.05


def test_pipeline_entry_points_give_report_ready_results(nomad, tmp_path):
    from evalkit.implementation.instruments import InstrumentResult, run_instrument

    forms = [SAMPLE / "cfir_bedomning_A.xlsx", SAMPLE / "cfir_bedomning_B.xlsx"]
    res = ek.cfir.run_cfir(forms, {"outcome_groups": GROUPS, "distinguish": {"min_difference": 3}, "n_boot": 50,
                                   "language": "en"})
    # a stricter rule: III.J and IV.B (difference 3, 3.5) stay strong; V.H (difference 2) becomes weak
    assert res.distinguishing_constructs("strong") == ["III.J", "IV.B"]
    assert res.distinguishing_constructs("weak") == ["III.G", "V.H"]
    with pytest.raises(ek.AnalysisError, match="unknown cfir option"):
        ek.cfir.run_cfir(forms, {"groups": GROUPS})
    with pytest.raises(ek.AnalysisError, match="unknown distinguish key"):
        ek.cfir.run_cfir(forms, {"distinguish": {"min_diff": 3}})
    inst = run_instrument(nomad, {"instrument": "nomad", "before": 2019, "after": 2021})
    assert isinstance(inst, InstrumentResult) and inst.by == ["wave"]
    changes = inst.changes().set_index("construct")["mean"]
    assert changes["coherence"] == pytest.approx(
        compare_instrument(ek.score_instrument(nomad, "nomad"), by="wave", before=2019, after=2021)
        .set_index(["construct", "wave"]).loc[("coherence", "2021 − 2019"), "mean"])
    s = inst.sentences("sv")
    assert len(s) == 4 and s[0].startswith("Koherens (meningsskapande) (NoMAD) ändrades med 0,")
    assert "(Finch m.fl.)" in inst.methods("sv")[0] and "50\u00a0%" in inst.methods("sv")[0] and "reversed item: CA2" in inst.methods("en")[0]
    assert len(inst.report_tables("nb")) == 2 and inst.plot().axes
    with pytest.raises(ek.AnalysisError, match="give instrument"):
        run_instrument(nomad, {})
    report = ek.Report("Implementering", language="sv")
    report.add(res)
    report.add(inst)
    report.save(tmp_path / "impl.docx")
    assert (tmp_path / "impl.docx").stat().st_size > 20_000
