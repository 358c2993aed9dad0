"""Paired before/after survey analysis and the Norwegian IP questionnaire example (data_samples/bergen).

The example is generated with known true effects (data_samples/bergen/ip_effects.toml): latent shifts
0.8, 0.6 and 0.7 on the three participation items and none on the control item ``trives``.
"""
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.surveys import PairedResult, paired_analysis, run
from evalkit.errors import AnalysisError
from evalkit.io.surveys import Survey, load_codebook, load_survey

BERGEN = Path(__file__).resolve().parent.parent / "data_samples" / "bergen"
CHANGED = ["mal_egne_ord", "bruker_evaluerer", "vet_hvordan"]


def _generator():
    spec = importlib.util.spec_from_file_location("generate_bergen", BERGEN / "generate_bergen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def survey():
    return load_survey(BERGEN / "ip_sporreskjema.csv", codebook=BERGEN / "kodebok_ip.toml")


@pytest.fixture(scope="module")
def result(survey):
    return run(survey, {"paired": True, "before": "før", "after": "etter", "language": "nb"})


def test_generator_is_deterministic_and_the_committed_file_is_its_output(tmp_path):
    gen = _generator()
    first = gen.write(tmp_path).read_bytes()
    assert gen.write(tmp_path).read_bytes() == first
    assert (BERGEN / "ip_sporreskjema.csv").read_bytes() == first
    assert gen.write(tmp_path, seed=1).read_bytes() != first


def test_ids_are_pseudonyms_paired_once_per_period(survey):
    r = survey.responses
    assert r["respondent_id"].str.fullmatch(r"P-\d{5}").all()
    assert not r.duplicated(["respondent_id", "wave"]).any()
    assert set(r["wave"]) == {"før", "etter"}
    assert set(r.loc[r["wave"] == "etter", "respondent_id"]) <= set(r.loc[r["wave"] == "før", "respondent_id"])


def test_known_effects_are_found_and_the_control_item_is_not(result):
    t = result.table.set_index("item")
    assert (t.loc[CHANGED, "p_adjusted"] < 0.05).all()
    assert (t.loc[CHANGED, "n_better"] > t.loc[CHANGED, "n_worse"]).all()
    assert t.loc["trives", "p_adjusted"] > 0.05
    assert (t.loc[CHANGED, "share_after"] > t.loc[CHANGED, "share_before"]).all()


def test_paired_counts_agree_with_a_hand_pairing(survey, result):
    r = survey.responses
    scale = survey.codebook.items["vet_hvordan"].scale
    b = r[r["wave"] == "før"].set_index("respondent_id")["vet_hvordan"].astype(object)
    a = r[r["wave"] == "etter"].set_index("respondent_id")["vet_hvordan"].astype(object)
    both = pd.concat([b.rename("b"), a.rename("a")], axis=1).dropna()
    both = both[~both["b"].isin(scale.dont_know) & ~both["a"].isin(scale.dont_know)]
    rank = scale.rank()
    d = both["a"].map(rank) - both["b"].map(rank)
    row = result.table.set_index("item").loc["vet_hvordan"]
    assert row["n_pairs"] == len(both)
    assert (row["n_better"], row["n_worse"]) == ((d > 0).sum(), (d < 0).sum())
    assert row["share_after"] == pytest.approx(both["a"].isin(scale.positive).mean())


def test_mcnemar_and_wilcoxon_match_textbook_values():
    # Agresti (2013, Categorical Data Analysis, 3rd ed., §11.1): presidential approval, 794 pairs with
    # discordant cells 150 and 86 -> McNemar z^2 = (86 - 150)^2 / (86 + 150) = 17.36; exact p far below 0.001.
    cb = load_codebook({"scales": {"s": {"labels": ["Ja", "Nei"], "positive": ["Ja"]}},
                        "items": [{"item": "q", "scale": "s"}]})
    cells = {("Ja", "Ja"): 794, ("Ja", "Nei"): 150, ("Nei", "Ja"): 86, ("Nei", "Nei"): 570}
    pairs = [k for k, n in cells.items() for _ in range(n)]
    ids = [f"P{i}" for i in range(len(pairs))]
    frame = pd.DataFrame({"respondent_id": ids * 2, "wave": [1] * len(ids) + [2] * len(ids),
                          "q": [p[0] for p in pairs] + [p[1] for p in pairs]})
    frame["q"] = pd.Categorical(frame["q"], categories=["Ja", "Nei"])
    res = paired_analysis(Survey(responses=frame, codebook=cb), 1, 2)
    row = res.table.iloc[0]
    assert row["n_pairs"] == 1600 and (row["n_better"], row["n_worse"]) == (86, 150)
    assert row["diff"] == pytest.approx((86 - 150) / 1600)  # 880/1600 - 944/1600 = 0.55 - 0.59
    assert row["p_mcnemar"] < 1e-3


def test_duplicate_ids_within_a_period_are_refused(survey):
    r = survey.responses.copy()
    r.loc[r.index[2], "respondent_id"] = r.loc[r.index[0], "respondent_id"]  # second før row, same id
    r.loc[r.index[2], "wave"] = "før"
    with pytest.raises(AnalysisError, match="not unique"):
        paired_analysis(Survey(responses=r, codebook=survey.codebook), "før", "etter")


def test_sentences_and_tables_are_norwegian_with_decimal_comma(result):
    text = " ".join(result.sentences("nb"))
    assert "svarte på skjemaet både før og etter" in text
    assert re.search(r"p = 0,\d{3}", text) and "prosentpoeng" in text and "Holms metode" in text
    caption, frame, spec = result.report_tables("nb")[0]
    assert "Spørsmål" in frame.columns and "Bedre" in frame.columns
    assert "Par" in spec.counts and spec.percents["Andel positive før"] == "Par"
    assert frame["Spørsmål"].tolist()[-1] == "Trives i jobben"


def test_renders_in_a_norwegian_word_report(result, tmp_path):
    import docx
    from evalkit.report import Report

    report = Report("Brukermedvirkning i individuell plan", language="nb")
    report.add(result)
    path = report.save(tmp_path / "ip.docx")
    doc = docx.Document(str(path))
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "De samme svarerne før og etter" in body
    assert "Wilcoxons fortegnsrangtest" in body and "McNemars eksakte test" in body
    assert "Andel positive før" in cells and "Dårligere" in cells and "Mål i brukerens egne ord" in cells
    assert any(re.fullmatch(r"\d+,\d", c) for c in cells)                 # e.g. 29,6 percentage points
    assert any(re.fullmatch(r"\d+\u00a0%", c) for c in cells)             # 22 %
    assert any(p._element.xpath(".//pic:pic") for p in doc.paragraphs)     # the figure is placed
