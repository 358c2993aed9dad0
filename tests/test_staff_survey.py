"""Staff surveys: HME and Elo stress codebooks, scoring rules, design-based estimates against R, coverage."""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.analysis.staff_survey import (
    HME_ITEMS,
    HME_SUBINDICES,
    run,
    score_staff_survey,
    staff_survey_analysis,
    staff_survey_estimates,
)
from evalkit.errors import AnalysisError, ConfigError
from evalkit.io.surveys import Survey, load_codebook

from tests.conftest import SAMPLE

sys.path.insert(0, str(SAMPLE))
import generate_staff  # noqa: E402

HME_LABELS = {5: "Stämmer mycket bra", 4: "4", 3: "3", 2: "2", 1: "Stämmer mycket dåligt"}
ELO_LABELS = {1: "Inte alls", 2: "Bara lite", 3: "I viss mån", 4: "Ganska mycket", 5: "Väldigt mycket"}


@pytest.fixture(scope="module")
def sample():
    return ek.load_staff_survey(SAMPLE / "medarbetarenkat.csv")


def survey_of(codes: dict, meta: dict | None = None) -> Survey:
    cb = load_codebook("hme")
    cb.items.update(load_codebook("stress_elo").items)
    cols = {}
    for item, values in codes.items():
        labels = ELO_LABELS if item == "stress" else HME_LABELS
        cols[item] = pd.Categorical([labels.get(v) for v in values], categories=list(labels.values()))
    return Survey(responses=pd.DataFrame({**(meta or {}), **cols}), codebook=cb)


def test_the_codebooks_have_skrs_structure_and_elos_scale():
    hme, elo = load_codebook("hme"), load_codebook("stress_elo")
    assert list(hme.items) == list(HME_ITEMS) and len(HME_ITEMS) == 9
    assert {it.domain for it in hme.items.values()} == {"Motivation", "Ledarskap", "Styrning"}
    assert [hme.items[i].domain for i in HME_SUBINDICES["hme_leadership"]] == ["Ledarskap"] * 3
    assert hme.items["hme_meningsfullt"].text == "Mitt arbete känns meningsfullt."
    assert hme.items["hme_meningsfullt"].scale.code_map()[5.0] == "Stämmer mycket bra"
    assert elo.items["stress"].scale.labels[0] == "Inte alls" and len(elo.items["stress"].scale.labels) == 5
    assert "Do you feel this kind of stress these days?" in elo.items["stress"].text_in("en")


def test_skrs_rule_and_the_missing_item_rules():
    codes = {i: [5, 1, 3] for i in HME_ITEMS}
    codes["hme_mal"] = [5, 1, None]         # third respondent skips one governance item
    codes["stress"] = [1, 5, 4]
    s = score_staff_survey(survey_of(codes))
    assert s["hme_total"].tolist()[:2] == [100.0, 0.0] and np.isnan(s["hme_total"].iloc[2])   # (mean − 1) × 25
    assert s["hme_motivation"].tolist() == [100.0, 0.0, 50.0] and np.isnan(s["hme_governance"].iloc[2])
    assert s["stress"].tolist() == [1.0, 5.0, 4.0] and s["stress_high"].tolist() == [0.0, 1.0, 1.0]
    available = score_staff_survey(survey_of(codes), missing="available", min_items=2)
    assert available["hme_total"].iloc[2] == 50.0 and available["hme_governance"].iloc[2] == 50.0
    with pytest.raises(AnalysisError, match="missing"):
        score_staff_survey(survey_of(codes), missing="pairwise")


def test_a_survey_with_part_of_hme_is_refused():
    with pytest.raises(AnalysisError, match="nine"):
        score_staff_survey(survey_of({"hme_meningsfullt": [5], "stress": [2]}))


def test_skr_template_aggregate_equals_the_respondent_mean_when_answers_are_complete():
    rng = np.random.default_rng(3)
    codes = {i: list(rng.integers(1, 6, 40)) for i in HME_ITEMS}
    est = staff_survey_estimates(survey_of(codes, {"wave": [2021] * 40}), by=())
    row = est[est["score"] == "hme_total"].iloc[0]
    assert row["index_skr"] == pytest.approx(row["estimate"], abs=1e-12)
    # with a missing answer they differ: SKR's aggregate uses every item's available answers
    codes["hme_ansvar"][0] = None
    est = staff_survey_estimates(survey_of(codes, {"wave": [2021] * 40}), by=())
    row = est[est["score"] == "hme_total"].iloc[0]
    assert row["n"] == 39 and row["index_skr"] != pytest.approx(row["estimate"], abs=1e-9)


def test_difference_in_differences_matches_r_survey(sample):
    """Golden values from ``Rscript tests/data/staff/survey_did.R`` (R 4.2, survey 4.1): svytotal of y·1_D and
    1_D per cell with full covariance, svycontrast of the nonlinear DiD (delta method)."""
    r = staff_survey_analysis(sample, treated=["Norr", "Söder"], before=2019, after=2021)
    c = r.comparison.set_index("score")
    assert c.loc["hme_total", "did"] == pytest.approx(14.1425907823757, rel=1e-12)
    assert c.loc["hme_total", "se"] == pytest.approx(4.4380567177183, rel=1e-10)
    assert c.loc["stress", "did"] == pytest.approx(-0.798870056497176, rel=1e-12)
    assert c.loc["stress", "se"] == pytest.approx(0.27281387530145, rel=1e-10)
    e = r.estimates
    cell = e[(e["dimension"] == "changed") & (e["domain"] == True) & (e["wave"] == 2021)].set_index("score")  # noqa: E712
    assert cell.loc["hme_total", "estimate"] == pytest.approx(81.9444444444444, rel=1e-12)
    assert cell.loc["hme_total", "se"] == pytest.approx(1.84911393224826, rel=1e-10)
    assert cell.loc["stress", "se"] == pytest.approx(0.150357005897131, rel=1e-10)


def test_a_share_has_the_logit_interval_of_r_svyciprop(sample):
    """Golden values from ``Rscript tests/data/staff/svyciprop_logit.R`` (R 4.2, survey 4.1):
    ``svyciprop(~high, subset(svydesign(ids = ~1, strata = ~omgång, data = d), omgång == w & enhet == u),
    method = "logit")`` — R's estimate carries its glm's 1e-11 tolerance; respondents without a stress answer
    stay in the design, outside the domain."""
    e = staff_survey_analysis(sample).estimates
    share = e[(e["score"] == "stress_high") & (e["dimension"] == "unit")].set_index(["wave", "domain"])
    golden = {(2019, "Centrum"): (0.16, 0.0578720197908886, 0.371322127531393),
              (2019, "Väster"): (0.375, 0.16560480663219, 0.644615022444827),
              (2021, "Öster"): (0.25, 0.0882226369955053, 0.534521906218987),
              (2021, "Norr"): (0.157894736842105, 0.0473097463271599, 0.414503359524277)}
    for cell, (p, low, high) in golden.items():
        row = share.loc[cell]
        assert row["estimate"] == pytest.approx(p, rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-8)
    assert (share["ci_low"].dropna() >= 0).all() and (share["ci_high"].dropna() <= 1).all()
    # no very stressed respondent in a domain: Clopper–Pearson, R binom.test(0, n)$conf.int
    zero = share[share["estimate"] == 0].iloc[0]
    n = int(zero["n"])
    assert (zero["ci_low"], zero["ci_high"]) == pytest.approx((0.0, 1 - 0.025 ** (1 / n)), rel=1e-12)


def test_report_tables_show_the_share_in_percent(sample):
    r = staff_survey_analysis(sample, treated=["Norr", "Söder"], before=2019, after=2021)
    did = r.report_tables("sv")[0].frame.set_index("Mått")
    row = did.loc["Andel mycket stressade (procentenheter)"]
    c = r.comparison.set_index("score").loc["stress_high"]
    assert row["Skillnad i förändring"] == pytest.approx(100 * c["did"], rel=1e-12)
    assert did.loc["Stress (medel 1–5)", "Skillnad i förändring"] == pytest.approx(
        r.comparison.set_index("score").loc["stress", "did"], rel=1e-12)


@pytest.mark.slow
def test_the_interval_of_the_difference_covers_the_truth_about_95_percent():
    """Simulation: the sample's HR table, survey waves redrawn 200 times from the generator's model (fixed seeds,
    so the test is deterministic)."""
    eff = generate_staff.load_staff_effects()
    hr = generate_staff.hr_table(eff)
    truth = generate_staff.truths(eff)
    hits = {"hme_total": 0, "stress": 0}
    reps = 200
    for rep in range(reps):
        eff["staff"]["seed"] = 1000 + rep   # only the survey's stream depends on it here (hr is fixed)
        frame = generate_staff.survey_table(hr, eff)
        codes = {c: [None if pd.isna(v) else int(v) for v in frame[c]] for c in (*HME_ITEMS, "stress")}
        survey = survey_of(codes, {"wave": frame["omgång"].to_numpy(), "unit": frame["enhet"].to_numpy()})
        c = staff_survey_analysis(survey, treated=["Norr", "Söder"], by=()).comparison.set_index("score")
        hits["hme_total"] += c.loc["hme_total", "ci_low"] <= truth["hme_index_did"] <= c.loc["hme_total", "ci_high"]
        hits["stress"] += c.loc["stress", "ci_low"] <= truth["stress_mean_did"] <= c.loc["stress", "ci_high"]
    for score, n in hits.items():
        # binomial(200, 0.95) has sd 0.015: 0.91–0.99 is about ±2.6 sd
        assert 0.91 <= n / reps <= 0.99, (score, n / reps)


def test_report_tables_hide_values_from_few_respondents(sample):
    r = staff_survey_analysis(sample, treated=["Norr", "Söder"], min_n=5)
    tables = r.report_tables("en")
    units = next(t for t in tables if "by wave and unit" in t.caption).frame
    asen = units[units["Unit"] == "Åsen"]
    assert len(asen) and (asen["Respondents"] < 5).all() and asen[["Value", "CI low", "CI high"]].isna().all().all()
    centrum = units[units["Unit"] == "Centrum"]
    assert centrum["Value"].notna().all()
    did = tables[0].frame
    assert did["Difference in change"].notna().all()
    # with a threshold above the smallest group every difference is hidden
    hidden = staff_survey_analysis(sample, treated=["Norr", "Söder"], min_n=1000).report_tables("en")[0].frame
    assert hidden["Difference in change"].isna().all()


def test_without_comparison_units_the_change_is_reported(sample):
    r = staff_survey_analysis(sample)
    assert r.comparison is None and set(r.change["score"]) >= {"hme_total", "stress"}
    assert any("changed by" in s for s in r.sentences("en"))
    assert r.plot().axes


def test_options_are_checked(sample):
    with pytest.raises(ConfigError, match="unknown"):
        run(sample, {"treatd": ["Norr"]})
    with pytest.raises(AnalysisError, match="not units"):
        staff_survey_analysis(sample, treated=["Nord"])
    with pytest.raises(AnalysisError, match="not a wave"):
        staff_survey_analysis(sample, before=2018)
    with pytest.raises(AnalysisError, match="fpc"):
        staff_survey_analysis(survey_of({"stress": [1, 2, 3, 4]}, {"wave": [1, 1, 2, 2]}), finite_population=True)


def test_the_finite_population_correction_shrinks_the_error(sample):
    plain = staff_survey_estimates(sample, by=())
    fpc = staff_survey_estimates(sample, by=(), finite_population=True)
    a, b = plain.iloc[0], fpc.iloc[0]
    assert a["estimate"] == b["estimate"] and 0 < b["se"] < a["se"]
