"""Scoring NoMAD, S-NoMAD and AIM/IAM/FIM: structure, recoding, reversal, "not relevant", minimum items, α, waves."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.errors import DataError
from evalkit.implementation import compare_instrument, instrument_alpha, load_instrument
from evalkit.implementation.instruments import item_scores

NOMAD_IDS = [f"C{i}" for i in range(1, 5)] + [f"CP{i}" for i in range(1, 5)] + [f"CA{i}" for i in range(1, 8)] \
    + [f"RM{i}" for i in range(1, 6)]


def test_structures_follow_the_sources():
    nomad = load_instrument("nomad")
    assert nomad.items["id"].tolist() == NOMAD_IDS and nomad.items["number"].tolist() == list(range(4, 24))
    assert [len(nomad.items_of(c)) for c in nomad.constructs] == [4, 4, 7, 5]
    assert nomad.general["key"].tolist() == ["familiar", "normal_now", "normal_future"]
    assert nomad.items.loc[nomad.items["reverse"], "id"].tolist() == ["CA2"]
    assert nomad.missing_codes == (6, 7, 8) and nomad.raw_direction == "agree_low"
    assert nomad.wording_shipped and nomad.items["text"].str.contains(r"\[intervention\]").all()
    s = load_instrument("s-nomad")
    assert s.items[["id", "construct", "reverse"]].equals(nomad.items[["id", "construct", "reverse"]])
    assert not s.wording_shipped and s.items["text"].isna().all() and s.general["text"].isna().all()
    assert "Elf" in s.citation and "Finch" in nomad.citation
    for name in ("aim", "iam", "fim"):
        w = load_instrument(name)
        assert w.constructs == (name,) and len(w.items) == 4 and w.raw_direction == "agree_high"
        assert w.items["text"].notna().all() and "Weiner" in w.citation and not w.missing_codes
    with pytest.raises(ek.AnalysisError, match="unknown instrument"):
        load_instrument("oric")


def _one(**answers):
    base = {i: 3 for i in NOMAD_IDS}
    base.update(answers)
    return base


def test_nomad_recoding_reversal_not_relevant_and_minimum_items():
    d = pd.DataFrame([
        {"respondent_id": "r1", "wave": 1, "G1": 7, "G2": 5, "G3": 10,
         **_one(C1=1, C2=2, C3=6, C4=5, CP1=2, CP2=2, CP3=2, CP4=2, CA1=1, CA2=1, RM1=7, RM2=7, RM3=8)},
        {"respondent_id": "r2", "wave": 2, "G1": 0, "G2": 0, "G3": 0, **_one(CA2=5)},
    ])
    s = ek.score_instrument(d, "nomad")
    assert s.columns.tolist()[:5] == ["respondent_id", "wave", "familiar", "normal_now", "normal_future"]
    r1 = s.iloc[0]
    assert r1["coherence"] == pytest.approx((5 + 4 + 1) / 3) and r1["n_coherence"] == 3   # 6 is missing
    assert r1["cognitive_participation"] == 4.0
    # CA1 strongly agree → 5; CA2 "disrupts" strongly agreed → 5 → reversed to 1; CA3–CA7 → 3
    assert r1["collective_action"] == pytest.approx((5 + 1 + 5 * 3) / 7)
    assert math.isnan(r1["reflexive_monitoring"]) and r1["n_reflexive_monitoring"] == 2   # 2 of 5 < ceil(2.5)
    assert s.iloc[1]["collective_action"] == pytest.approx((5 + 6 * 3) / 7)
    nr = pd.DataFrame(s.attrs["not_relevant"]).T
    assert s.astype({"wave": "string"})["wave"].tolist() == ["1", "2"]   # attrs do not get in pandas' way
    assert nr.loc["C3", "code_6"] == 1 and nr.loc["RM1", "code_7"] == 1 and nr.loc["RM3", "code_8"] == 1
    assert nr.to_numpy().sum() == 4
    assert "reversed: CA2" in s.attrs["rules"]
    # as worded, and with a lower bar for the minimum
    plain = ek.score_instrument(d, "nomad", reverse=(), min_answered=0.4)
    assert plain.iloc[0]["collective_action"] == pytest.approx((5 + 5 + 5 * 3) / 7)
    assert plain.iloc[0]["reflexive_monitoring"] == pytest.approx(3.0)   # 2 of 5 ≥ ceil(2.0)
    by_count = ek.score_instrument(d, "nomad", min_answered=3).iloc[0]   # a number > 1 is an item count
    assert math.isnan(by_count["reflexive_monitoring"]) and by_count["coherence"] == pytest.approx(10 / 3)


def test_labels_columns_and_directions():
    d = pd.DataFrame({"q4": ["Instämmer helt", "strongly disagree", None], "q5": [1, 5, 3], "Q6": [2, 4, 3],
                      "q7": ["Inte relevant för min roll", 1, 2]})
    s = ek.score_instrument(d, "s-nomad")
    # raw 1 = agree: row 1 → 5, 5, 4 (q7 not relevant); row 2 → 1, 1, 2, 5; row 3 → 3, 3, 4 (q4 blank)
    assert s["coherence"].tolist() == pytest.approx([(5 + 5 + 4) / 3, (1 + 1 + 2 + 5) / 4, 10 / 3])
    assert s.attrs["not_relevant"]["C4"]["code_6"] == 1
    assert "cognitive_participation" not in s.columns   # no items of it in the data
    flipped = ek.score_instrument(d[["q5", "Q6"]], "nomad", raw_direction="agree_high")
    assert flipped["coherence"].tolist() == pytest.approx([1.5, 4.5, 3.0])
    mapped = ek.score_instrument(pd.DataFrame({"x": [1, 2], "y": [1, 1]}), "nomad", items={"C1": "x", "C2": "y"})
    assert mapped["coherence"].tolist() == [5.0, 4.5] and mapped.columns.tolist() == ["coherence", "n_coherence"]


def test_aim_iam_fim_score_the_mean_with_three_of_four():
    d = pd.DataFrame({"aim1": [5, 4, 1], "aim2": [5, 4, None], "aim3": [4, None, None], "aim4": [4, 2, 2],
                      "fim1": [1, 2, 3], "fim2": [1, 2, 3], "fim3": [1, 2, 3], "fim4": [1, 2, 3]})
    aim = ek.score_instrument(d, "aim")
    assert aim["aim"].tolist()[:2] == pytest.approx([4.5, 10 / 3]) and math.isnan(aim["aim"].iloc[2])
    assert "fim1" in aim.columns   # other columns kept
    assert ek.score_instrument(d, "fim")["fim"].tolist() == [1.0, 2.0, 3.0]


def test_answers_off_the_scale_name_column_and_row():
    d = pd.DataFrame({"C1": [1, 9, 2.5], "C2": [1, 1, 1], "G1": [3, 4, 5]})
    with pytest.raises(DataError) as exc:
        ek.score_instrument(d, "nomad")
    problems = [str(p) for p in exc.value.problems]
    assert problems == ["row 1, column 'C1': 9 is outside 1–5 (and not a 'not relevant' code [6, 7, 8])",
                        "row 2, column 'C1': 2.5 is outside 1–5 (and not a 'not relevant' code [6, 7, 8])"]
    with pytest.raises(DataError, match="0–10"):
        ek.score_instrument(pd.DataFrame({"C1": [1], "G1": [11]}), "nomad")
    with pytest.raises(DataError, match="'kanske'"):
        ek.score_instrument(pd.DataFrame({"C1": ["kanske"]}), "nomad")
    with pytest.raises(ek.AnalysisError, match="no NoMAD item columns"):
        ek.score_instrument(pd.DataFrame({"a": [1]}), "nomad")


def test_alpha_per_construct_is_cronbach_on_the_scored_items():
    rng = np.random.default_rng(3)
    latent = rng.normal(3, 0.8, 200)
    d = pd.DataFrame({i: np.clip(np.rint(6 - (latent + rng.normal(0, 0.7, 200))), 1, 5) for i in NOMAD_IDS})
    d["CA2"] = 6 - d["CA2"]  # negatively worded
    a = instrument_alpha(d, "nomad")
    scored, _ = item_scores(d, "nomad")
    for c, items in (("coherence", NOMAD_IDS[:4]), ("collective_action", NOMAD_IDS[8:15])):
        ref = ek.cronbach_alpha(scored[items])
        assert a.loc[c, "alpha"] == pytest.approx(ref.value) and a.loc[c, "ci_low"] == pytest.approx(ref.ci_low)
    # not reversing the negatively worded item lowers collective action's alpha
    assert instrument_alpha(d, "nomad", reverse=()).loc["collective_action", "alpha"] < a.loc["collective_action",
                                                                                               "alpha"] - 0.05
    assert a["k"].tolist() == [4, 4, 7, 5] and (a["n"] == 200).all()


def test_compare_waves_matches_r_welch_t_test():
    # R: x <- c(3.25,2.5,4,3.75,2.75); y <- c(3.5,4.25,4,3.75,4.5,3); t.test(y, x)
    #    mean diff 0.583333333333, 95% CI -0.248695111423 1.415361778089, p-value 0.144432326675
    x, y = [3.25, 2.5, 4, 3.75, 2.75], [3.5, 4.25, 4, 3.75, 4.5, 3]
    scores = pd.DataFrame({"wave": [2019] * 5 + [2021] * 6, "coherence": x + y, "group": ["usk"] * 11})
    scores.attrs["instrument"] = "nomad"
    c = compare_instrument(scores, by="wave", before=2019, after=2021)
    diff = c[c["wave"] == "2021 − 2019"].iloc[0]
    assert diff["mean"] == pytest.approx(0.583333333333, abs=1e-10)
    assert (diff["ci_low"], diff["ci_high"]) == pytest.approx((-0.248695111423, 1.415361778089), abs=1e-10)
    assert diff["p_value"] == pytest.approx(0.144432326675, abs=1e-10)
    before = c[c["wave"] == 2019].iloc[0]
    se = np.std(x, ddof=1) / np.sqrt(5)   # svymean on a simple random sample: s / sqrt(n)
    assert before["ci_low"] == pytest.approx(np.mean(x) - 1.959963984540054 * se)
    by_group = compare_instrument(scores, by=["wave", "group"], before=2019, after=2021)
    assert by_group.loc[by_group["wave"] == "2021 − 2019", "mean"].iloc[0] == pytest.approx(0.583333333333)
    with pytest.raises(ek.AnalysisError, match="profession"):
        compare_instrument(scores, by="profession")
