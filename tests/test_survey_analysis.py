"""Survey estimators: R survey golden values, share positive, comparisons, ordinal/paired tests, report."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import i18n
from evalkit.analysis.surveys import (compare_shares, ordinal_compare, paired_prepost, run, share_positive,
                                      survey_analysis, survey_estimate)
from evalkit.analysis.proportions import newcombe_diff_ci
from evalkit.errors import AnalysisError, ConfigError
from evalkit.io.surveys import Survey, load_codebook, load_survey

DATA = Path(__file__).parent / "data" / "survey"
SAMPLE = Path(__file__).parent.parent / "data_samples" / "exempelkommun"


# R survey package, vignette survey.Rnw / ?svydesign with data(api):
#   dstrata <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
#   svymean(~api00, dstrata) -> 662.29, SE 9.4089;  svytotal(~api00, dstrata) -> 4102208, SE 58279
#   dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
#   svymean(~api00, dclus1) -> 644.17, SE 23.542
# Full-precision R outputs from xKDR/Survey.jl test/r_reference/est_basic.csv (rows strat_fpc, clus1_w,
# clus1_fpc mean). Data: api_strat.csv (samplics-org/samplics tests/regression) and clus1.csv
# (xKDR/Survey.jl assets), reduced to the columns used.
def test_stratified_mean_and_total_match_r_survey():
    d = pd.read_csv(DATA / "apistrat.csv")
    m = survey_estimate(d, "api00", weights="pw", strata="stype", fpc="fpc")
    assert m["estimate"] == pytest.approx(662.287363577655, abs=1e-6)
    assert m["se"] == pytest.approx(9.408940879434, abs=1e-6)
    t = survey_estimate(d, "api00", kind="total", weights="pw", strata="stype", fpc="fpc")
    assert t["estimate"] == pytest.approx(4102207.93, rel=1e-9)
    assert t["se"] == pytest.approx(58278.9798072143, rel=1e-8)
    no_fpc = survey_estimate(d, "api00", weights="pw", strata="stype")
    assert no_fpc["se"] == pytest.approx(9.53613229692516, rel=1e-3)  # R strat_w (float32 weights in R)


def test_one_stage_cluster_mean_matches_r_survey():
    d = pd.read_csv(DATA / "apiclus1.csv")
    m = survey_estimate(d, "api00", weights="pw", cluster="dnum", fpc="fpc")
    assert m["estimate"] == pytest.approx(644.169398907104, abs=1e-9)
    assert m["se"] == pytest.approx(23.5422406937812, abs=1e-6)
    w = survey_estimate(d, "api00", weights="pw", cluster="dnum")
    assert w["se"] == pytest.approx(23.7790107208869, abs=1e-6)
    t = survey_estimate(d, "api00", kind="total", weights="pw", cluster="dnum")
    assert t["estimate"] == pytest.approx(3989985.46570206, rel=1e-6)
    assert t["se"] == pytest.approx(907398.705597438, rel=1e-6)
    assert m["ci_low"] == pytest.approx(644.169398907104 - 1.959964 * 23.5422406937812, abs=1e-3)


def test_single_psu_stratum_is_refused():
    d = pd.DataFrame({"y": [1.0, 2, 3], "h": ["a", "a", "b"]})
    with pytest.raises(AnalysisError, match="single sampling unit"):
        survey_estimate(d, "y", strata="h")


def _survey(frame, cb="aldreomsorg_hemtjanst"):
    return Survey(responses=frame, codebook=load_codebook(cb))


def test_share_positive_leaves_dont_know_out_of_the_denominator():
    answers = ["Mycket nöjd"] * 30 + ["Ganska nöjd"] * 10 + ["Mycket missnöjd"] * 10 + ["Vet inte, ingen åsikt"] * 20
    s = _survey(pd.DataFrame({"wave": 2020, "helhet_nojd": pd.Categorical(answers)}))
    t = share_positive(s, ["helhet_nojd"])
    row = t.iloc[0]
    assert (row["n_answered"], row["n_dont_know"], row["n_valid"], row["n_positive"]) == (70, 20, 50, 40)
    assert row["share"] == pytest.approx(0.8)
    # Wilson interval for 40/50 (Newcombe 1998 method 3): 0.6696 to 0.8876
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.6696, 0.8876)


def test_compare_shares_newcombe_and_holm():
    rows = []
    for wave, pos, n in [(2016, 60, 100), (2020, 80, 100)]:
        rows += [{"wave": wave, "a": "Ja, alltid" if i < pos else "Sällan", "b": "Ja" if i < 50 else "Nej"}
                 for i in range(n)]
    f = pd.DataFrame(rows)
    cb = {"scales": {"f": {"labels": ["Ja, alltid", "Sällan"], "positive": ["Ja, alltid"]},
                     "j": {"labels": ["Ja", "Nej"], "positive": ["Ja"]}},
          "items": [{"item": "a", "scale": "f"}, {"item": "b", "scale": "j"}]}
    s = Survey(responses=f, codebook=load_codebook(cb))
    c = compare_shares(share_positive(s), 2016, 2020)
    a = c.set_index("item").loc["a"]
    assert a["diff"] == pytest.approx(0.2)
    # the interval is proportions.newcombe_diff_ci (golden-tested in test_proportions.py), after minus before
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(newcombe_diff_ci(80, 100, 60, 100))
    assert c.attrs["adjust"] == "holm"
    b = c.set_index("item").loc["b"]
    assert b["p_value"] == pytest.approx(1.0) and a["p_adjusted"] == pytest.approx(min(1, 2 * a["p_value"]))


def test_ordinal_model_recovers_a_known_log_odds_shift():
    # latent logistic model: P(Y >= j) shifts by beta = 0.8 after; OrderedModel must recover it
    rng = np.random.default_rng(3)
    n = 1500
    after = rng.random(n) < 0.5
    latent = 0.8 * after + rng.logistic(size=n)
    rank = np.digitize(latent, [-1.0, 0.0, 1.0, 2.0]) + 1  # 1..5, 5 = best
    labels = ["Mycket bra", "Ganska bra", "Varken bra eller dåligt", "Ganska dåligt", "Mycket dåligt"]
    ans = [labels[5 - r] for r in rank]
    s = _survey(pd.DataFrame({"wave": np.where(after, 2020, 2016), "utfor_arbetsuppgifter": pd.Categorical(ans)}))
    o = ordinal_compare(s, "utfor_arbetsuppgifter", 2016, 2020)
    assert o["ci_low"] < np.exp(0.8) < o["ci_high"]
    assert abs(np.log(o["odds_ratio"]) - 0.8) < 0.25


def test_paired_tests_match_scipy_and_counts():
    before = pd.Series([0, 0, 0, 1, 1, 0, 0, 0, 1, 0])
    after = pd.Series([1, 1, 1, 1, 1, 1, 0, 1, 1, 0])
    r = paired_prepost(before, after, kind="binary")
    # 5 discordant pairs all improving: exact McNemar p = 2 * 0.5**5 = 0.0625
    assert r["p_value"] == pytest.approx(0.0625) and r["n_improved"] == 5 and r["n_worse"] == 0
    b = pd.Series([1, 2, 3, 2, 3, 1, 2, 4])
    a = pd.Series([2, 4, 3, 3, 5, 2, 3, 4])
    w = paired_prepost(b, a)
    assert w["n_improved"] == 6 and w["estimate"] == 1.0 and w["p_value"] < 0.05


def test_run_rejects_unknown_options():
    with pytest.raises(ConfigError, match="unknown survey option"):
        run(None, {"pathh": "x"})


@pytest.fixture(scope="module")
def sample_result():
    s = load_survey(SAMPLE / "brukarundersokning.csv", sent=SAMPLE / "brukarundersokning_utskick.csv")
    return survey_analysis(s, before=[2015, 2016], after=list(range(2017, 2023)), by="unit")


def test_sample_recovers_ibic_effect_and_negative_control(sample_result):
    c = sample_result.comparison.set_index("item")
    # survey_effects.toml: +8 points (hänsyn), +6 (påverka tider), 0 for the overall item
    assert c.loc["hansyn_asikter", "ci_low"] < 0.08 < c.loc["hansyn_asikter", "ci_high"]
    assert c.loc["hansyn_asikter", "p_adjusted"] < 0.05
    assert c.loc["paverka_tider", "ci_low"] < 0.06 < c.loc["paverka_tider", "ci_high"]
    assert c.loc["helhet_nojd", "ci_low"] < 0 < c.loc["helhet_nojd", "ci_high"]
    assert c.loc["helhet_nojd", "p_adjusted"] > 0.05
    rate = sample_result.respondents["n_respondents"].sum() / sample_result.respondents["sent"].sum()
    assert 0.55 < rate < 0.65


def test_sample_generator_is_deterministic_and_sav_matches_csv(tmp_path):
    sys.path.insert(0, str(SAMPLE))
    import generate_survey
    generate_survey.generate_survey(tmp_path)
    for name in ("brukarundersokning.csv", "brukarundersokning_utskick.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes()
    # the .sav header carries a creation time: compare the data read back instead of the bytes
    new = load_survey(tmp_path / "brukarundersokning_2019.sav").responses.reset_index(drop=True)
    old = load_survey(SAMPLE / "brukarundersokning_2019.sav").responses.reset_index(drop=True)
    pd.testing.assert_frame_equal(new, old)
    csv = load_survey(SAMPLE / "brukarundersokning.csv").responses
    csv19 = csv[csv["wave"] == 2019].reset_index(drop=True)
    assert new["helhet_nojd"].astype(str).tolist() == csv19["helhet_nojd"].astype(str).tolist()


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_report_section_renders(sample_result, tmp_path, language):
    import docx
    from evalkit.report import Report
    rep = Report("Brukarundersökning", language=language)
    rep.add(sample_result)
    out = tmp_path / f"r_{language}.docx"
    rep.save(out)
    doc = docx.Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert {"sv": "positiva", "nb": "positive", "en": "positive"}[language] in text
    assert len(doc.tables) >= 1
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any(c.endswith("%") or c.endswith("\u00a0%") for c in cells)
    # the odds-ratio column is explained in the methods text, in the words of its header
    header = i18n.text("surveys", "odds_ratio", language)
    assert header in cells and header.lower() in text.lower() and "1" in text


def test_figures_draw(sample_result):
    import matplotlib
    matplotlib.use("Agg")
    assert sample_result.plot().axes
    assert sample_result.plot_likert(wave=2022).axes
    assert len(sample_result.plot_units().axes) >= 6
