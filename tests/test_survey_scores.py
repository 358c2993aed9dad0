"""item_scores: codebook ranks, "don't know" missing (it used to be scored as the worst answer)."""
import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.scales import cronbach_alpha
from evalkit.analysis.surveys import item_scores
from evalkit.io.surveys import Survey, load_codebook

CB = load_codebook("aldreomsorg_hemtjanst")


def test_dont_know_is_missing_and_ranks_run_worst_to_best():
    scale = CB.items["hansyn_asikter"].scale
    answers = [scale.labels[0], scale.labels[-1], scale.dont_know[0], None]
    r = pd.DataFrame({"hansyn_asikter": pd.Categorical(answers, categories=list(scale.all_labels))})
    got = item_scores(Survey(responses=r, codebook=CB))["hansyn_asikter"]
    assert got.iloc[0] == len(scale.labels) and got.iloc[1] == 1
    assert got.iloc[2:].isna().all()


def test_alpha_of_one_common_factor_is_recovered_from_scores():
    # k parallel items with loading 1 and error sd 1: true alpha = k/(k-1) * (1 - k*2 / (k^2 + k)) = 0.8 for k=4
    rng = np.random.default_rng(5)
    scale = CB.items["hansyn_asikter"].scale
    f = rng.normal(size=3000)
    cols = {}
    for j in range(4):
        latent = f + rng.normal(size=3000)
        rank = np.digitize(latent, [-1.5, -0.5, 0.5, 1.5])  # 0 worst … 4 best
        cols[f"q{j}"] = [scale.labels[len(scale.labels) - 1 - k] for k in rank]
    raw = {"scales": {"s": {"labels": list(scale.labels), "dont_know": list(scale.dont_know)}},
           "items": [{"item": c, "scale": "s"} for c in cols]}
    survey = Survey(responses=pd.DataFrame(cols).astype("category"), codebook=load_codebook(raw))
    a = cronbach_alpha(item_scores(survey))
    assert a.value == pytest.approx(0.8, abs=0.04)  # coarsening to 5 levels costs a little
