"""Published ordinal-model example: the UCLA "ologit" data (apply ~ pared + public + gpa).

Golden values: R ``MASS::polr`` on the UCLA IDRE page "Ordinal logistic regression | R data analysis
examples" (logit: pared 1.0477, public -0.0587, gpa 0.6158; intercepts 2.2033 and 4.2988) and
statsmodels' "Ordinal Regression" example notebook (probit: pared 0.5981, public 0.0102, gpa 0.3582,
thresholds 1.2968 and log-increment 0.1873, log-likelihood -358.75). Data: tests/data/survey/README.md.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.miscmodels.ordinal_model import OrderedModel

from evalkit.analysis.surveys import ordinal_compare
from evalkit.io.surveys import Survey, load_codebook

DATA = Path(__file__).parent / "data" / "survey" / "ologit.csv"
LEVELS = ["unlikely", "somewhat likely", "very likely"]


@pytest.fixture(scope="module")
def students():
    d = pd.read_csv(DATA)
    assert len(d) == 400
    return d


def _fit(d, columns, distr):
    y = pd.Series(pd.Categorical(d["apply"], categories=LEVELS, ordered=True))
    return OrderedModel(y, d[columns].astype(float), distr=distr).fit(method="bfgs", disp=False)


def test_data_are_the_published_sample(students):
    # UCLA page: 220 unlikely, 140 somewhat likely, 40 very likely
    assert students["apply"].value_counts().reindex(LEVELS).tolist() == [220, 140, 40]


def test_logit_coefficients_and_thresholds_match_r_polr(students):
    fit = _fit(students, ["pared", "public", "gpa"], "logit")
    p = fit.params
    assert p["pared"] == pytest.approx(1.0477, abs=5e-4)
    assert p["public"] == pytest.approx(-0.0587, abs=5e-4)
    assert p["gpa"] == pytest.approx(0.6158, abs=5e-4)
    # statsmodels stores the later thresholds as log increments; polr prints the cut points
    cuts = [p.iloc[3], p.iloc[3] + np.exp(p.iloc[4])]
    assert cuts == pytest.approx([2.2033, 4.2988], abs=5e-4)


def test_probit_matches_the_statsmodels_example(students):
    fit = _fit(students, ["pared", "public", "gpa"], "probit")
    assert fit.params.iloc[:5].tolist() == pytest.approx([0.5981, 0.0102, 0.3582, 1.2968, 0.1873], abs=1e-4)
    assert fit.llf == pytest.approx(-358.75, abs=5e-3)


def test_ordinal_compare_is_the_same_model_with_one_indicator(students):
    """ordinal_compare(after vs before) = polr(apply ~ pared) with pared as the 'after' indicator."""
    cb = load_codebook({"scales": {"apply": {"labels": LEVELS[::-1], "positive": ["very likely"]}},
                        "items": [{"item": "apply", "text": "Apply to graduate school", "scale": "apply"}]})
    resp = students.assign(apply=pd.Categorical(students["apply"], categories=LEVELS[::-1]),
                           wave=students["pared"])
    got = ordinal_compare(Survey(responses=resp, codebook=cb), "apply", before=0, after=1)
    ref = _fit(students, ["pared"], "logit")
    assert np.log(got["odds_ratio"]) == pytest.approx(ref.params["pared"], abs=1e-4)
    assert got["p_value"] == pytest.approx(ref.pvalues["pared"], rel=1e-3)
    assert got["odds_ratio"] > 1 and got["n"] == 400
