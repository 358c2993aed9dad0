"""ek.did in reports: title, sentences, methods, report tables and figures in sv/nb/en, rendered in a Word report."""
from __future__ import annotations

import math
import re
import warnings

import matplotlib
import numpy as np
import pytest

from evalkit import i18n
from evalkit.analysis._did_report import effect_table
from evalkit.analysis._did_text import decimals_for
from evalkit.analysis.did import EventStudyResult, did
from evalkit.errors import AnalysisError, AnalysisWarning
from evalkit.report import Report, Table, TableSpec

from tests.test_did import simulate

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MINUS = "\u2212"


def fit(frame, **kw):
    args = dict(outcome="y", unit="district", time="month", treated="pilot", intervention=6, seed=1, reps=199)
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return did(frame, **args)


@pytest.fixture(scope="module")
def orebro():
    """Two of six districts, as in the Örebro pilot: exact randomization inference over C(6, 2) = 15."""
    return fit(simulate(n_units=6, treated=2, effect=-3.0, seed=4), treated=["D00", "D01"])


@pytest.fixture(scope="module")
def wild():
    return fit(simulate(n_units=12, treated=4, effect=-2.0, seed=21))


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def quiet(func, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return func(*args, **kw)


# ----------------------------------------------------------------------------- sentences


def test_ri_sentences_state_the_exact_p_value_and_the_attainable_floor(orebro):
    p = orebro.effect["p_value"]
    assert orebro.inference["n_assignments"] == 15 and p >= 1 / 15
    en = quiet(orebro.sentences, "en")
    text = " ".join(en)
    assert i18n.fmt_p(p, "en") in en[0]                      # "p = 0.067" written by evalkit.i18n
    assert "the smallest p-value this design can give is 0.067, so no interval can be given" in en[0]
    assert "0.067 (1/15)" in text and "5% level" in text
    assert "15 ways to choose the treated units" in text
    sv = " ".join(quiet(orebro.sentences, "sv"))
    assert "0,067 (1/15)" in sv and "5-procentsnivån" in sv and "randomiseringsinferens" in sv
    nb = " ".join(quiet(orebro.sentences, "nb"))
    assert "0,067 (1/15)" in nb and "5-prosentnivået" in nb


def test_ri_at_the_floor_is_called_descriptive_evidence():
    # A large effect against small noise: no other assignment of 2 of 6 gives as large an estimate.
    res = fit(simulate(n_units=6, treated=2, effect=-8.0, unit_sd=0.1, seed=30), treated=["D00", "D01"])
    assert res.effect["p_value"] == pytest.approx(1 / 15)
    en = " ".join(quiet(res.sentences, "en"))
    assert "as much evidence as this design can give" in en and "descriptive" in en
    sv = " ".join(quiet(res.sentences, "sv"))
    assert "beskrivande" in sv


def test_estimate_and_interval_use_i18n_formats(wild):
    e = wild.effect
    d = 3 if wild.inference["se_cr1"] < 1 else 2
    sv = quiet(wild.sentences, "sv")[0]
    assert i18n.fmt_number(e["estimate"], d, "sv") in sv and sv.count(MINUS) >= 1
    assert i18n.fmt_interval(e["ci_low"], e["ci_high"], d, "sv") in sv
    en = quiet(wild.sentences, "en")[0]
    assert i18n.fmt_number(e["estimate"], d, "en") in en and MINUS not in en


def test_large_counts_get_thousands_separators():
    res = fit(simulate(n_units=30, treated=10, persons=40, seed=22), level="person")
    assert res.n_obs == 12_000
    assert "12\u202f000 observationer" in quiet(res.sentences, "sv")[1]
    assert "12,000 observations" in quiet(res.sentences, "en")[1]


def test_significance_sentence_follows_the_p_value():
    strong = fit(simulate(n_units=40, treated=15, effect=3.0, seed=23))
    null = fit(simulate(n_units=40, treated=15, effect=0.0, seed=24))
    assert strong.effect["p_value"] < 0.05 <= null.effect["p_value"]
    assert any("is statistically significant" in s for s in quiet(strong.sentences, "en"))
    assert any("is not statistically significant" in s for s in quiet(null.sentences, "en"))


def test_pretrend_verdict_in_sentences():
    bad = fit(simulate(n_units=40, treated=15, pre_trend=1.0, seed=25))
    with pytest.warns(AnalysisWarning, match="rejects parallel pre-trends"):
        assert bad.event_study().pretrend["p_value"] < 0.05
    assert any("rejects parallel trends" in s for s in quiet(bad.sentences, "en"))
    good = fit(simulate(n_units=40, treated=15, seed=26))
    p = quiet(good.event_study, leads=3).pretrend["p_value"]
    assert p > 0.05
    assert any("supports but cannot prove" in s and i18n.fmt_p(p, "en") in s for s in quiet(good.sentences, "en"))


def test_sentences_refuse_unknown_language(wild):
    with pytest.raises(AnalysisError, match="language"):
        wild.sentences("de")


# ----------------------------------------------------------------------------- title and methods


def test_title_default_and_explicit():
    frame = simulate(seed=27)
    assert "(skillnad i skillnader)" in fit(frame).title
    assert fit(frame, language="en").title.endswith("(difference-in-differences)")
    assert fit(frame, title="Timmar i piloten").title == "Timmar i piloten"
    with pytest.raises(AnalysisError, match="title"):
        fit(frame, title=3)


def test_methods_say_which_inference_and_why(orebro, wild):
    ri = " ".join(quiet(orebro.methods, "en"))
    assert "C(6, 2) = 15" in ri and "MacKinnon & Webb" in ri and "only 2 of 6 units treated" in ri
    assert "parallel trends" in ri and "no anticipation" in ri and "absorbing" in ri and "spill-over" in ri
    assert "joint test" in ri and "The joint pre-trend test gave p = " in ri
    wb = " ".join(quiet(wild.methods, "sv"))
    assert "Webbs sexpunktsvikter" in wb and "199 replikeringar" in wb and "frö 1" in wb
    assert "tvåvägs fixa effekter" in wb
    many = fit(simulate(n_units=40, treated=15, seed=28))
    assert "t-fordeling med 39 frihetsgrader" in " ".join(quiet(many.methods, "nb"))


def test_user_choice_is_stated_in_methods():
    res = fit(simulate(n_units=40, treated=15, seed=29), inference="wild")
    assert any("chosen by the user" in s for s in quiet(res.methods, "en"))


# ----------------------------------------------------------------------------- tables


def test_effect_table_holds_raw_numbers_with_localized_labels(orebro):
    tables = quiet(orebro.report_tables, "sv")
    caption, frame, spec = tables[0]
    # a design that cannot reject at 5 %: the exact p-value beside the smallest attainable one, no "−∞ to ∞"
    assert list(frame.columns) == ["Utfallsmått", "Skattning", "p-värde", "Minsta möjliga p-värde", "Inferens"]
    row = frame.iloc[0]
    e = orebro.effect
    assert row["Skattning"] == e["estimate"] and row["p-värde"] == e["p_value"]
    assert math.isinf(e["ci_low"]) and math.isinf(e["ci_high"])  # the API keeps the confidence set: all of R
    assert row["Minsta möjliga p-värde"] == pytest.approx(1 / 15)
    assert "Randomiseringsinferens (15 tilldelningar)" == row["Inferens"]
    assert "p-värde" in spec.pvalues
    en = quiet(orebro.report_tables, "en")[0][1]
    assert list(en.columns)[:4] == ["Outcome", "Estimate", "p-value", "Smallest attainable p-value"]


def test_effect_table_with_a_bounded_interval_shows_it(wild):
    frame = quiet(wild.report_tables, "en")[0][1]
    assert list(frame.columns)[:5] == ["Outcome", "Estimate", "95% CI, lower", "upper", "p-value"]
    assert frame.iloc[0]["95% CI, lower"] == pytest.approx(wild.effect["ci_low"] * 100 if "share" in wild.outcome
                                                           else wild.effect["ci_low"])


def test_means_table_equals_group_means_and_declares_counts(wild):
    frame = simulate(n_units=12, treated=4, effect=-2.0, seed=21)
    table = quiet(wild.report_tables, "en")[1]
    assert isinstance(table, Table)
    t = table.frame.set_index("Group")
    pilot = frame[frame["pilot"]]
    assert t.loc["Treated", "Units"] == 4 and t.loc["Comparison", "Units"] == 8
    assert t.loc["Treated", "Observations before"] == (pilot["month"] < 6).sum()
    assert t.loc["Treated", "Mean after"] == pytest.approx(pilot.loc[pilot["month"] >= 6, "y"].mean())
    comparison = frame[~frame["pilot"]]
    change = comparison.loc[comparison["month"] >= 6, "y"].mean() - comparison.loc[comparison["month"] < 6, "y"].mean()
    assert t.loc["Comparison", "Change"] == pytest.approx(change)
    assert set(table.spec.counts) == {"Observations before", "Observations after"}
    assert table.spec.guards["Mean before"] == "Observations before"


def test_event_study_table_in_appendix_and_placebo_only_when_computed():
    res = fit(simulate(seed=31))
    tables = quiet(res.report_tables, "nb")
    assert len(tables) == 3
    es = tables[2].frame
    assert es.columns[0] == "Periode i forhold til starten"
    assert list(es.iloc[:, 0]) == list(res.event_study().table.index)
    assert "Referanseperiode −1" in tables[2].note
    quiet(res.placebo)
    tables = quiet(res.report_tables, "nb")
    assert len(tables) == 4 and tables[3].frame.iloc[:, 0].isin(["Falsk startdato", "Falske pilotenheter"]).all()


def test_labels_name_the_groups_everywhere():
    res = fit(simulate(seed=32), labels={"treated": "Norr och Åsen", "comparison": "Övriga"})
    groups = quiet(res.report_tables, "sv")[1].frame["Grupp"].tolist()
    assert groups == ["Norr och Åsen", "Övriga"]
    legend = [t.get_text() for t in res.plot(event_study=False).axes[0].get_legend().get_texts()]
    assert legend[:2] == ["Norr och Åsen", "Övriga"]
    with pytest.raises(AnalysisError, match="labels"):
        fit(simulate(seed=32), labels={"pilot": "x"})


# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize("language, treated, comparison", [("sv", "Pilotområden", "Jämförelseområden"),
                                                           ("nb", "Pilotområder", "Sammenligningsområder"),
                                                           ("en", "Treated", "Comparison")])
def test_plot_has_means_and_event_study_panels_in_the_language(language, treated, comparison):
    res = fit(simulate(effect=-2.0, seed=33), language=language)
    fig = quiet(res.plot)
    assert len(fig.axes) == 2
    means, es = fig.axes
    legend = [t.get_text() for t in means.get_legend().get_texts()]
    assert legend[:2] == [treated, comparison] and legend[2].startswith("Start")
    fig.canvas.draw()
    ticks = [t.get_text() for t in es.get_xticklabels() if t.get_text()]
    negative = [t for t in ticks if t[:1] in (MINUS, "-")]
    assert negative and all(t.startswith(MINUS if language != "en" else "-") for t in negative)
    assert es.get_xlabel() == {"sv": "Period i förhållande till starten (referens −1)",
                               "nb": "Periode i forhold til starten (referanse −1)",
                               "en": "Period relative to the start (reference −1)"}[language]


def test_plot_into_given_axes_draws_means_only_and_language_can_be_overridden(wild):
    fig, ax = plt.subplots()
    assert wild.plot(ax=ax, language="en") is fig and len(fig.axes) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["Treated", "Comparison"]


def test_event_study_result_implements_the_protocol(wild):
    es = quiet(wild.event_study, leads=2, lags=2)
    assert isinstance(es, EventStudyResult) and es.title.endswith("(händelsestudie)")
    assert any("Webb" in s or "wild" in s for s in es.methods("en"))
    sv = es.sentences("sv")
    assert sv[0].startswith("Händelsestudie av") and "p = " in sv[1]
    table = es.report_tables("sv")[0]
    assert "händelsestudie" in table.caption and table.frame.shape[0] == len(es.table)
    ax = es.plot(language="en").axes[0]
    assert ax.get_ylabel() == "Effect"


# ----------------------------------------------------------------------------- the Word report


def _docx_text(path):
    from docx import Document

    document = Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return document, paragraphs, tables


def test_report_section_renders_text_tables_and_figure(tmp_path, orebro):
    report = Report("Rehabiliterande arbetssätt", language="sv")
    quiet(report.add, orebro)
    path = quiet(report.save, tmp_path / "did.docx")
    document, paragraphs, tables = _docx_text(path)
    assert orebro.title in paragraphs
    assert any("0,067 (1/15)" in p for p in paragraphs)
    assert any("C(6, 2) = 15" in p for p in paragraphs)                       # methods section
    effect = next(t for t in tables if t[0][0] == "Utfallsmått")
    assert effect[0][1:4] == ["Skattning", "p-värde", "Minsta möjliga p-värde"]
    assert effect[1][2] == "0,067" and effect[1][3] == "0,067" and "∞" not in " ".join(effect[1])
    means = next(t for t in tables if t[0][0] == "Grupp")
    assert [r[0] for r in means[1:]] == ["Pilotområden", "Jämförelseområden"]
    assert any(t[0][0] == "Period i förhållande till starten" for t in tables)  # appendix
    assert len(document.inline_shapes) == 1                                    # the two-panel figure


def test_report_suppresses_small_observation_counts(tmp_path):
    # Person level, one treated district with 3 people per month: observation counts stay ≥ 5, so take
    # a single period before the start to get 3 observations before the start in the treated group.
    frame = simulate(n_units=8, treated=1, n_times=3, start=1, persons=3, seed=34)
    res = quiet(did, frame, outcome="y", unit="district", time="month", treated="pilot", intervention=1,
                seed=1, reps=199, min_pre_periods=1, level="person")
    report = Report("Liten", language="en")
    quiet(report.add, res)
    _, _, tables = _docx_text(quiet(report.save, tmp_path / "small.docx"))
    means = next(t for t in tables if t[0][0] == "Group")
    header = means[0]
    treated = dict(zip(header, means[1]))
    assert treated["Observations before"] == ".." and treated["Mean before"] == ".."
    assert treated["Observations after"] == "6"


def test_report_in_english_and_norwegian_use_their_formats(tmp_path, wild):
    for language, word in (("en", "Estimate"), ("nb", "Estimat")):
        report = Report("Pilot", language=language)
        quiet(report.add, wild)
        _, paragraphs, tables = _docx_text(quiet(report.save, tmp_path / f"{language}.docx"))
        effect = next(t for t in tables if t[0][1] == word)
        decimal = "." if language == "en" else ","
        assert decimal in effect[1][1]
        assert any(i18n.fmt_p(wild.effect["p_value"], language) in p for p in paragraphs)


def test_tablespec_columns_exist_in_frames(orebro):
    quiet(orebro.placebo)
    for item in quiet(orebro.report_tables, "sv"):
        frame, spec = (item.frame, item.spec) if isinstance(item, Table) else (item[1], item[2])
        assert isinstance(spec, TableSpec)
        assert spec.columns_named() | set(spec.pvalues) | set(spec.decimals) <= set(frame.columns)
        assert not frame.select_dtypes(include="number").empty


# ----------------------------------------------------------------------------- the pre-trend test behind the verdict


def test_cr1_pretrend_test_keeps_its_size_with_many_leads():
    # 8 leads with 16 clusters: W/q against F(q, G−1) (Stata `test`) rejected 18 of 60 null panels here;
    # the Hotelling-corrected F(q, G−q) must stay near the nominal 5 %.
    rejections = []
    for s in range(60):
        res = fit(simulate(n_units=16, treated=8, n_times=20, start=10, seed=7000 + s), intervention=10,
                  inference="cluster")
        es = quiet(res.event_study, leads=8, lags=2)
        assert "F(8, 8)" in es.pretrend["test"]
        rejections.append(es.pretrend["p_value"] < 0.05)
    assert np.mean(rejections) <= 0.12


def test_one_restriction_wald_equals_the_t_test():
    res = fit(simulate(n_units=40, treated=15, seed=35))
    es = quiet(res.event_study, leads=1, lags=1)
    lead = es.table.loc[-2]
    assert es.pretrend["p_value"] == pytest.approx(lead["p_value"], rel=1e-9)


def test_share_outcomes_read_in_percentage_points():
    frame = simulate(n_units=40, treated=15, effect=0.0, seed=36)
    frame["goal_recorded_share"] = 0.5 + frame["y"] / 100 + 0.08 * ((frame["pilot"]) & (frame["month"] >= 6))
    res = fit(frame, outcome="goal_recorded_share")
    e = res.effect
    assert 0.03 < e["estimate"] < 0.13                        # the estimate itself stays a share
    sv = quiet(res.sentences, "sv")[0]
    assert "andel beslut med dokumenterat mål" in sv
    d = decimals_for(100 * res.inference["se_cr1"])
    assert i18n.fmt_number(100 * e["estimate"], d, "sv") + " procentenheter (95 % konfidensintervall" in sv
    table = quiet(res.report_tables, "en")[0][1]
    assert table.iloc[0]["Estimate (percentage points)"] == pytest.approx(100 * e["estimate"])


# ----------------------------------------------------------------------------- staggered adoption


def test_staggered_result_renders_with_imputation_methods_and_each_start_marked(tmp_path):
    from tests.test_did_staggered import STARTS, run as run_staggered, staggered

    res = run_staggered(staggered(seed=37), STARTS)
    assert res.inference["estimator"] == "imputation"
    methods = " ".join(quiet(res.methods, "en"))
    assert "imputation estimator of Borusyak, Jaravel & Spiess" in methods
    assert "Borusyak, Jaravel & Spiess on untreated observations, F(" in methods
    sentences = " ".join(quiet(res.sentences, "sv"))
    assert "4: 10, 7: 10" in sentences                     # start periods and units per start
    fig = quiet(res.plot, language="en")
    means = fig.axes[0]
    assert len(means.lines) == 4 and "Starts" in [t.get_text() for t in means.get_legend().get_texts()]
    report = Report("Stegvis införande", language="sv")
    quiet(report.add, res)
    _, paragraphs, tables = _docx_text(quiet(report.save, tmp_path / "staggered.docx"))
    assert any("imputationsskattaren" in p for p in paragraphs)
    assert any(t[0][0] == "Period i förhållande till starten" for t in tables)


def test_report_draws_the_figure_in_the_report_language(tmp_path, monkeypatch):
    from evalkit.analysis import _did_report

    seen = []
    draw = _did_report.draw_means
    monkeypatch.setattr(_did_report, "draw_means", lambda result, ax, language: (seen.append(language),
                                                                                  draw(result, ax, language)))
    res = fit(simulate(seed=38), language="sv")
    report = Report("Pilot", language="en")
    quiet(report.add, res)
    quiet(report.save, tmp_path / "en.docx")
    assert seen == ["en"]


def test_event_study_table_under_randomization_inference_has_no_empty_interval_columns(orebro):
    """RI gives p-values, not intervals: the table must not carry columns of ".." (issue 14, pilot report)."""
    quiet(orebro.event_study)
    tables = quiet(orebro.report_tables, "en")
    es = next(t for t in tables if hasattr(t, "note") and "event study" in t.caption)
    assert not any("CI" in str(c) or "upper" in str(c) for c in es.frame.columns)
    estimated = es.frame.iloc[:, 0] != -1  # the reference period is 0 by construction
    assert es.frame.loc[estimated, "p-value"].notna().all() and "no intervals" in es.note
    wild_like = quiet(fit(simulate(seed=31)).report_tables, "en")[2].frame
    assert any("CI" in str(c) for c in wild_like.columns)  # an estimated interval keeps its columns


@pytest.mark.parametrize("language, word", [("sv", "timmar"), ("nb", "timer"), ("en", "hours")])
def test_the_effect_says_its_unit(language, word):
    # hours per user: the estimate in the sentence and the table's header carry the unit, a share its points
    frame = simulate(n_units=12, treated=4, effect=-2.0, seed=21).rename(columns={"y": "hours_per_user"})
    res = fit(frame, outcome="hours_per_user")
    first = quiet(res.sentences, language)[0]
    assert re.search(rf"{MINUS}?-?[0-9][0-9.,]* {word}\b", first), first
    caption, table, _ = effect_table(res, language)
    assert table.columns[1].endswith(f"({word})")
