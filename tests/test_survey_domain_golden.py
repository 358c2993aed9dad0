"""Domain estimates (subsets, missing answers) of survey_estimate against R ``survey``.

Golden values: tests/data/survey/domain_golden.csv, written by tests/data/survey/domain_golden.R
(R 4.1 + survey 4.1.1, default options) from the same CSVs — regenerate with
``Rscript tests/data/survey/domain_golden.R > tests/data/survey/domain_golden.csv``. Each R case is
``svymean``/``svytotal`` on ``subset(design, <domain> & !is.na(y))`` of the FULL design (for domain "all"
the R script also asserts it equals ``na.rm = TRUE``), with ``confint()`` (normal) and
``confint(est, df = degf(subset))``.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.surveys import design_share_positive, survey_estimate
from evalkit.errors import AnalysisError
from evalkit.io.surveys import Survey, load_codebook

DATA = Path(__file__).parent / "data" / "survey"
REL = 1e-10  # measured: 4e-15 (R survey 4.1.1)


def _strat():
    d = pd.read_csv(DATA / "apistrat.csv")
    return d.assign(big_class=(d["acs.k3"] > 20).astype(float).where(d["acs.k3"].notna()))


def _clus():
    d = pd.read_csv(DATA / "apiclus1.csv")
    band = np.where(d["dnum"] < 400, "low", "high")
    return d.assign(yes=(d["sch.wide"] == "Yes").astype(float), band=band,
                    nclus=np.where(band == "low", 300, 457))


# the designs of domain_golden.R, as survey_estimate keywords
DESIGNS = {
    "strat": (_strat, dict(weights="pw", strata="stype", fpc="fpc")),
    "strat_nofpc": (_strat, dict(weights="pw", strata="stype")),
    "weighted": (_strat, dict(weights="pw")),
    "clus": (_clus, dict(weights="pw", cluster="dnum", fpc="fpc")),
    "clus_nofpc": (_clus, dict(weights="pw", cluster="dnum")),
    "sclus": (_clus, dict(weights="pw", cluster="dnum", strata="band", fpc="nclus")),
}
# case: design, column, kind, domain (None = every row; rows with a missing value are out of the domain)
CASES = {
    "strat_missing_mean": ("strat", "acs.k3", "mean", None),
    "strat_missing_total": ("strat", "acs.k3", "total", None),
    "strat_missing_prop": ("strat", "big_class", "proportion", None),
    "strat_yes_mean": ("strat", "api00", "mean", lambda d: d["sch.wide"] == "Yes"),
    "strat_yes_total": ("strat", "api00", "total", lambda d: d["sch.wide"] == "Yes"),
    "strat_E_mean": ("strat", "api00", "mean", lambda d: d["stype"] == "E"),
    "strat_E_total": ("strat", "enroll", "total", lambda d: d["stype"] == "E"),
    "strat_lonely_mean": ("strat", "api00", "mean", lambda d: d["api00"] > 820),
    "strat_lonely_total": ("strat", "api00", "total", lambda d: d["api00"] > 820),
    "strat_nofpc_yes_mean": ("strat_nofpc", "api00", "mean", lambda d: d["sch.wide"] == "Yes"),
    "strat_nofpc_missing_total": ("strat_nofpc", "acs.k3", "total", None),
    "weighted_no_mean": ("weighted", "api99", "mean", lambda d: d["sch.wide"] == "No"),
    "weighted_no_total": ("weighted", "api99", "total", lambda d: d["sch.wide"] == "No"),
    "clus_H_mean": ("clus", "api00", "mean", lambda d: d["stype"] == "H"),
    "clus_H_total": ("clus", "api00", "total", lambda d: d["stype"] == "H"),
    "clus_missing_mean": ("clus", "avg.ed", "mean", None),
    "clus_missing_total": ("clus", "avg.ed", "total", None),
    "clus_M_prop": ("clus", "yes", "proportion", lambda d: d["stype"] == "M"),
    "clus_onepsu_mean": ("clus", "api00", "mean", lambda d: d["dnum"] == 637),
    "clus_onepsu_total": ("clus", "enroll", "total", lambda d: d["dnum"] == 637),
    "clus_nofpc_H_mean": ("clus_nofpc", "meals", "mean", lambda d: d["stype"] == "H"),
    "clus_nofpc_missing_prop": ("clus_nofpc", "yes", "proportion", lambda d: d["avg.ed"].notna()),
    "sclus_M_mean": ("sclus", "api00", "mean", lambda d: d["stype"] == "M"),
    "sclus_M_total": ("sclus", "api00", "total", lambda d: d["stype"] == "M"),
    "sclus_lonely_mean": ("sclus", "api00", "mean", lambda d: d["dnum"].isin([61, 406, 413])),
    "sclus_lonely_total": ("sclus", "enroll", "total", lambda d: d["dnum"].isin([61, 406, 413])),
    "sclus_missing_mean": ("sclus", "avg.ed", "mean", None),
}


@pytest.fixture(scope="module")
def golden():
    return pd.read_csv(DATA / "domain_golden.csv").set_index("case")


def _estimate(case, **extra):
    design, column, kind, domain = CASES[case]
    load, keywords = DESIGNS[design]
    d = load()
    return survey_estimate(d, column, kind=kind, domain=None if domain is None else domain(d), **keywords, **extra)


def test_every_r_case_is_run(golden):
    assert sorted(golden.index) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_domain_estimate_matches_r_survey(golden, case):
    ref = golden.loc[case]
    got = _estimate(case)
    assert got["n"] == ref["n"]
    assert got["estimate"] == pytest.approx(ref["estimate"], rel=REL)
    # a mean within one PSU has SE 0 (R: 5e-16 rounding noise)
    assert got["se"] == pytest.approx(ref["se"], rel=REL, abs=1e-12 * abs(ref["estimate"]))
    assert [got["ci_low"], got["ci_high"]] == pytest.approx([ref["ci_low"], ref["ci_high"]], rel=REL)


@pytest.mark.parametrize("case", sorted(c for c in CASES if "onepsu" not in c))
def test_design_degrees_of_freedom_match_r_degf(golden, case):
    ref = golden.loc[case]
    got = _estimate(case, df="design")
    assert [got["ci_low"], got["ci_high"]] == pytest.approx([ref["ci_t_low"], ref["ci_t_high"]], rel=REL)
    fixed = _estimate(case, df=float(ref["degf"]))
    assert fixed["ci_low"] == pytest.approx(got["ci_low"], rel=1e-12)


def test_domain_in_one_psu_has_no_design_degrees_of_freedom(golden):
    assert golden.loc["clus_onepsu_mean", "degf"] == 0
    with pytest.raises(AnalysisError, match="no degrees of freedom"):
        _estimate("clus_onepsu_mean", df="design")


def test_dropping_the_rows_first_is_not_a_domain_estimate(golden):
    """The bug this fixes: estimating on the answered rows alone loses the empty strata's PSU counts."""
    d = _strat()
    answered = d[d["acs.k3"].notna()]
    naive = survey_estimate(answered, "acs.k3", kind="total", weights="pw", strata="stype", fpc="fpc")
    full = survey_estimate(d, "acs.k3", kind="total", weights="pw", strata="stype", fpc="fpc")
    assert full["se"] == pytest.approx(golden.loc["strat_missing_total", "se"], rel=REL)
    assert abs(naive["se"] / full["se"] - 1) > 0.005
    # a domain given as a column, a mask and an aligned Series are the same domain
    d["yes"] = d["sch.wide"] == "Yes"
    by_column = survey_estimate(d, "api00", weights="pw", strata="stype", fpc="fpc", domain="yes")
    by_mask = survey_estimate(d, "api00", weights="pw", strata="stype", fpc="fpc", domain=d["yes"].to_numpy())
    shuffled = d["yes"].sample(frac=1, random_state=1)
    by_series = survey_estimate(d, "api00", weights="pw", strata="stype", fpc="fpc", domain=shuffled)
    for r in (by_column, by_mask, by_series):
        assert r["se"] == pytest.approx(golden.loc["strat_yes_mean", "se"], rel=REL)


def test_missing_domain_values_are_outside_and_bad_domains_are_refused():
    d = _strat()
    dom = (d["sch.wide"] == "Yes").astype("boolean")
    dom[d["stype"] == "H"] = pd.NA
    got = survey_estimate(d, "api00", weights="pw", strata="stype", domain=dom)
    same = survey_estimate(d, "api00", weights="pw", strata="stype",
                           domain=(d["sch.wide"] == "Yes") & (d["stype"] != "H"))
    assert got["se"] == pytest.approx(same["se"], rel=1e-12) and got["n"] == same["n"]
    with pytest.raises(AnalysisError, match="one\\s+true/false per row"):
        survey_estimate(d, "api00", domain=[True, False])
    with pytest.raises(AnalysisError, match="no values in the domain"):
        survey_estimate(d, "acs.k3", strata="stype", domain=d["stype"] == "H")
    with pytest.raises(AnalysisError, match="0/1"):
        survey_estimate(d, "api00", kind="proportion")
    with pytest.raises(AnalysisError, match="complete for the whole sample"):
        survey_estimate(d.assign(pw=d["pw"].where(d["acs.k3"].notna())), "acs.k3", weights="pw")


# --------------------------------------------------------------------------- design-based share positive

LABELS = ["Mycket bra", "Ganska bra", "Varken bra eller dåligt", "Ganska dåligt", "Mycket dåligt"]


@pytest.fixture(scope="module")
def weighted_survey():
    d = pd.read_csv(DATA / "weighted_survey.csv")
    cb = load_codebook({"scales": {"s": {"labels": LABELS, "positive": LABELS[:2], "negative": LABELS[3:],
                                         "dont_know": ["Vet ej"]}},
                        "items": [{"item": "q", "text": "Hur nöjd är du?", "scale": "s"}]})
    return Survey(responses=d.assign(q=pd.Categorical(d["q"], categories=LABELS + ["Vet ej"])), codebook=cb)


def test_design_share_positive_matches_r_domains(weighted_survey):
    """tests/data/survey/design_shares_golden.R: svymean(~pos, subset(design, wave & unit & answered))."""
    ref = pd.read_csv(DATA / "design_shares_golden.csv", dtype={"unit": str}, keep_default_na=False)
    r_units, r_waves = ref[ref["unit"] != ""], ref[ref["unit"] == ""].drop(columns="unit")
    units = design_share_positive(weighted_survey, by=("wave", "unit"))
    waves = design_share_positive(weighted_survey, by=("wave",))
    assert len(units) == len(r_units) == 6 and len(waves) == len(r_waves) == 2
    for got, exp, keys in ((units, r_units, ["wave", "unit"]), (waves, r_waves, ["wave"])):
        m = got.merge(exp, on=keys, suffixes=("", "_r"), validate="1:1")
        assert (m["n_valid"] == m["n_valid_r"].astype(int)).all()
        for c in ("share", "se", "ci_low", "ci_high"):
            assert m[c].tolist() == pytest.approx(m[f"{c}_r"].astype(float).tolist(), rel=REL)
    t = design_share_positive(weighted_survey, by=("wave", "unit"), df="design")
    m = t.merge(r_units, on=["wave", "unit"], suffixes=("", "_r"))
    assert m["ci_low"].tolist() == pytest.approx(m["ci_t_low"].astype(float).tolist(), rel=REL)
    assert m["ci_high"].tolist() == pytest.approx(m["ci_t_high"].astype(float).tolist(), rel=REL)
    # the strata's weights differ (900/60 and 600/45), so a wave's share is not the count ratio
    assert not np.allclose(waves["share"], waves["n_positive"] / waves["n_valid"])


def test_design_share_positive_refuses_a_stratum_with_one_respondent(weighted_survey):
    r = weighted_survey.responses
    one = r.iloc[[0]].assign(stratum="90+")
    s = Survey(responses=pd.concat([r, one]), codebook=weighted_survey.codebook)
    with pytest.raises(AnalysisError, match="stratum 'wave 2021, stratum 90\\+' has a single sampling unit"):
        design_share_positive(s)


def test_survey_analysis_says_it_ignores_the_design(weighted_survey):
    from evalkit.analysis.surveys import survey_analysis
    from evalkit.errors import AnalysisWarning
    with pytest.warns(AnalysisWarning, match=r"\['weight', 'stratum', 'fpc'\].*design_share_positive"):
        survey_analysis(weighted_survey, before=2021, after=2022)
