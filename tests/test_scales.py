"""Cronbach's alpha: golden values from pingouin's documented example and a simulation."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.scales import cronbach_alpha
from evalkit.errors import AnalysisError

HERE = Path(__file__).parent / "data" / "survey"


def test_alpha_and_feldt_interval_match_pingouin_documented_example():
    # pingouin.cronbach_alpha docstring (dataset 'cronbach_alpha', tested by pingouin against R psych):
    # (0.5917188485995826, array([0.195, 0.84 ]))
    long = pd.read_csv(HERE / "pingouin_cronbach_alpha.csv")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    res = cronbach_alpha(wide)
    assert res.value == pytest.approx(0.5917188485995826, abs=1e-9)
    assert (round(res.ci_low, 3), round(res.ci_high, 2)) == (0.195, 0.84)
    assert res.n == 15 and res.k == 10


def test_alpha_if_deleted_equals_alpha_of_remaining_items():
    long = pd.read_csv(HERE / "pingouin_cronbach_alpha.csv")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    res = cronbach_alpha(wide)
    assert res.items.loc["Q1", "alpha_if_deleted"] == pytest.approx(cronbach_alpha(wide.drop(columns="Q1")).value)
    rest = wide.drop(columns="Q3").sum(axis=1)
    assert res.items.loc["Q3", "item_rest_r"] == pytest.approx(np.corrcoef(wide["Q3"], rest)[0, 1])


def test_pairwise_and_listwise_differ_only_with_missing_answers():
    rng = np.random.default_rng(1)
    f = rng.normal(size=300)
    d = pd.DataFrame({f"q{i}": f + rng.normal(size=300) for i in range(4)})
    assert cronbach_alpha(d, "pairwise").value == pytest.approx(cronbach_alpha(d, "listwise").value)
    d.iloc[:60, 0] = np.nan
    pw, lw = cronbach_alpha(d, "pairwise"), cronbach_alpha(d, "listwise")
    assert lw.n == 240 and pw.n == 300 and pw.value != lw.value


def test_feldt_interval_covers_true_alpha_about_95_percent():
    # parallel items: true alpha = k*rho/(1+(k-1)rho) with rho = 1/(1+s2) for unit factor variance
    rng = np.random.default_rng(7)
    k, n, s2 = 5, 80, 1.5
    rho = 1 / (1 + s2)
    true = k * rho / (1 + (k - 1) * rho)
    hits = 0
    reps = 300
    for _ in range(reps):
        f = rng.normal(size=(n, 1))
        d = pd.DataFrame(f + rng.normal(scale=np.sqrt(s2), size=(n, k)))
        r = cronbach_alpha(d)
        hits += r.ci_low <= true <= r.ci_high
    assert 0.91 <= hits / reps <= 0.985


def test_categorical_answers_are_scored_by_rank():
    cats = ["Mycket bra", "Bra", "Dåligt"]
    d = pd.DataFrame({c: pd.Categorical(v, categories=cats) for c, v in
                      {"a": ["Mycket bra", "Bra", "Dåligt", "Bra"], "b": ["Bra", "Bra", "Dåligt", "Mycket bra"]}.items()})
    num = pd.DataFrame({"a": [3, 2, 1, 2], "b": [2, 2, 1, 3]})
    assert cronbach_alpha(d).value == pytest.approx(cronbach_alpha(num).value)


def test_bad_input_is_an_analysis_error():
    with pytest.raises(AnalysisError):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(AnalysisError):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 3]}), missing="some")
