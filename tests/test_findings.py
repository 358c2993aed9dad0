"""Findings per research question: config mapping, structured findings, their wording, drafted conclusions."""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit import findings_text as ft
from evalkit import i18n
from evalkit.blocks import Bullets, Paragraph
from evalkit.config import Evaluation
from evalkit.errors import ConfigError
from evalkit.findings import Finding, did_findings, its_findings, judge

LANGS = ("sv", "nb", "en")
DIRECTION_WORDS = {"sv": ("ökade", "minskade"), "nb": ("økte", "sank"), "en": ("rose", "fell")}
NO_CLEAR = {"sv": "ingen tydlig", "nb": "ingen tydelig", "en": "no clear"}

_CONFIG = """
[evaluation]
title = "T"
seed = 1
{questions}

[change]
name = "IBIC"
date = 2017-01-01

[data.decisions]
path = "d.csv"

[[analyses]]
id = "processing_time"
kind = "its"
outcome = "processing_days_median"

[[analyses]]
id = "goal"
kind = "its"
outcome = "goal_recorded_share"

[report]
{report}
"""


def _config(tmp_path, questions="", report="", files=()):
    (tmp_path / "d.csv").write_text("x\n1\n", encoding="utf-8")
    for name, text in files:
        (tmp_path / name).write_text(text, encoding="utf-8")
    path = tmp_path / "ev.toml"
    path.write_text(_CONFIG.format(questions=questions, report=report), encoding="utf-8")
    return Evaluation.from_toml(path)


# -- config ----------------------------------------------------------------------------------------------


def test_questions_map_to_analyses(tmp_path):
    ev = _config(tmp_path, 'questions = ["Plain?", { text = "Faster?", analyses = ["processing_time", "goal"] }]')
    assert ev.questions == ("Plain?", "Faster?")
    assert ev.question_analyses == ((), ("processing_time", "goal"))


def test_array_of_tables_syntax(tmp_path):
    ev = _config(tmp_path, '[[evaluation.questions]]\ntext = "Faster?"\nanalyses = ["goal"]')
    assert ev.question_analyses == (("goal",),)


def test_unknown_analysis_id_names_the_key(tmp_path):
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, 'questions = [{ text = "Q?", analyses = ["procesing_time"] }]')
    text = str(err.value)
    assert "evaluation.questions[0].analyses" in text
    assert "procesing_time" in text and "did you mean 'processing_time'" in text


def test_unknown_question_key_and_bad_item(tmp_path):
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, 'questions = [{ text = "Q?", analysis = ["goal"] }, 3]')
    text = str(err.value) + " ".join(getattr(err.value, "args", ())[1] if len(err.value.args) > 1 else [])
    assert "evaluation.questions[0].analysis: unknown key" in text
    assert "evaluation.questions[1]" in text


def test_conclusions_text_and_file(tmp_path):
    ev = _config(tmp_path, report='conclusions = "Det fungerar."\nrecommendations_file = "rek.md"',
                 files=[("rek.md", "Följ upp.\n\nUtvidga.\n")])
    assert ev.report.conclusions == "Det fungerar."
    assert ev.report.recommendations == "Följ upp.\n\nUtvidga.\n"


def test_conclusions_text_and_file_together_refused(tmp_path):
    with pytest.raises(ConfigError, match="report.conclusions_file: give conclusions or conclusions_file"):
        _config(tmp_path, report='conclusions = "A"\nconclusions_file = "s.md"', files=[("s.md", "B")])


def test_missing_conclusions_file_refused(tmp_path):
    with pytest.raises(ConfigError, match="report.conclusions_file: 'nope.md' not found"):
        _config(tmp_path, report='conclusions_file = "nope.md"')


# -- clear / not clear -------------------------------------------------------------------------------------


def test_judge():
    assert judge(2.0, 0.5, 3.5, 0.01) == (True, "up")
    assert judge(-2.0, -3.5, -0.5, 0.01) == (True, "down")
    assert judge(0.4, -0.2, 1.0, 0.2) == (False, "none")
    assert judge(0.8, 0.7, 0.9, 0.001, null=1.0) == (True, "down")
    assert judge(0.9, 0.8, 1.05, 0.2, null=1.0) == (False, "none")
    # no interval (randomization inference): p decides
    assert judge(-1.6, math.nan, math.nan, 0.067) == (False, "none")
    assert judge(-1.6, math.nan, math.nan, 0.01) == (True, "down")


def _finding(**kw):
    base = dict(analysis_id="a", kind="its", effect="level_change", outcome="processing_days_median",
                label="handläggningstid", unit="days", before=16.0, after=16.4, estimate=0.4, ci_low=-0.9,
                ci_high=1.7, p=0.5, decimals=1, clear=False, direction="none", better="down")
    base.update(kw)
    return Finding(**base)


@pytest.mark.parametrize("language", LANGS)
def test_interval_including_zero_is_no_clear_change(language):
    f = _finding()
    text = finding_sentence_and_certainty(f, language)
    assert NO_CLEAR[language] in text
    assert not any(re.search(rf"\b{w}\b", text) for w in DIRECTION_WORDS[language])
    # the interval is printed low to high, as the table would
    assert ft.interval_text(f, language) in text


@pytest.mark.parametrize("language", LANGS)
def test_summary_tells_each_caveat_once(language):
    # two questions with the same design: the second answer says the reservations above apply, and tells
    # only its own new caveat
    first = _finding(kind="did", effect="did", caveats=("few_clusters",))
    second = _finding(kind="did", effect="did", caveats=("few_clusters", "one_pre_period"))
    said: set[str] = set()
    how_sure_1 = ft.answer([first], language, "IBIC", {}, brief=True, said=said)[1]
    how_sure_2 = ft.answer([second], language, "IBIC", {}, brief=True, said=said)[1]
    few, design = (i18n.text("findings", k, language) for k in ("few_clusters", "design_did"))
    assert few in how_sure_1 and design in how_sure_1
    assert few not in how_sure_2 and design not in how_sure_2
    assert i18n.text("findings", "one_pre_period", language) in how_sure_2
    assert how_sure_2.endswith(i18n.text("findings", "same_caveats", language))
    # the results chapter (no ``said``) keeps every caveat
    assert few in ft.answer([second], language, "IBIC", {})[1]


def finding_sentence_and_certainty(f, language):
    return " ".join(ft.answer([f], language, "IBIC", {}))


def _its_data(level: float, seed: int = 3, base: float = 18.0, share: bool = False):
    rng = np.random.default_rng(seed)
    t = np.arange(60)
    y = base + 0.0 * t + level * (t >= 30) + rng.normal(0, 0.8 if not share else 0.02, 60)
    return pd.DataFrame({"period": pd.date_range("2014-01-01", periods=60, freq="MS"), "processing_days_median" if
                         not share else "goal_recorded_share": y})


def test_its_without_effect_is_no_clear_change():
    from evalkit.analysis.its import its

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = its(_its_data(0.0), outcome="processing_days_median", time="period", intervention="2016-07-01")
    level = next(f for f in its_findings("p", res, "sv") if f.effect == "level_change")
    lo, hi = res.effects.loc["level_change", ["ci_low", "ci_high"]]
    assert lo < 0 < hi  # the simulated series has no level change and its interval includes 0
    assert (level.clear, level.direction) == (False, "none")
    assert "ingen tydlig förändring" in ft.finding_sentence(level, "sv", "IBIC")


def test_its_clear_increase_has_direction_and_levels():
    """A level change of +5 days from 18 (known truth): "up", before ≈ 18, after ≈ 23 and the estimate's
    interval covers 5; after − before equals the table's estimate."""
    from evalkit.analysis.its import its

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = its(_its_data(5.0), outcome="processing_days_median", time="period", intervention="2016-07-01")
    level = next(f for f in its_findings("p", res, "en") if f.effect == "level_change")
    assert (level.clear, level.direction, level.verdict) == (True, "up", "worse")
    assert level.before == pytest.approx(18.0, abs=1.0)
    assert level.after == pytest.approx(23.0, abs=1.0)
    assert level.ci_low < 5.0 < level.ci_high
    assert level.after - level.before == pytest.approx(level.estimate, abs=1e-6)
    sentence = ft.finding_sentence(level, "en", "IBIC")
    assert "rose after IBIC" in sentence and "days" in sentence


def test_its_share_in_points_and_percent_levels():
    from evalkit.analysis.its import its

    data = _its_data(0.40, base=0.35, share=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = its(data, outcome="goal_recorded_share", time="period", intervention="2016-07-01")
    level = next(f for f in its_findings("g", res, "sv") if f.effect == "level_change")
    assert level.unit == "points" and level.estimate == pytest.approx(40, abs=3)
    assert (level.direction, level.verdict) == ("up", "better")
    assert level.before == pytest.approx(0.35, abs=0.02) and level.after == pytest.approx(0.75, abs=0.02)
    text = ft.finding_sentence(level, "sv", "IBIC")
    before, after = (round(100 * x) for x in (level.before, level.after))
    assert f"från {before}\u00a0% till {after}\u00a0%" in text and "procentenheter" in text


def test_did_clear_decrease_levels_are_treated_means():
    from evalkit.analysis.did import did

    rng = np.random.default_rng(5)
    rows = []
    for u in range(40):
        treated = u < 20
        for t in range(12):
            y = 20 + 0.1 * t + (-3.0 if treated and t >= 6 else 0.0) + rng.normal(0, 0.5)
            rows.append({"unit": f"u{u}", "period": pd.Timestamp(2018, 1 + t, 1), "hours_per_user": y,
                         "treated": treated})
    data = pd.DataFrame(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = did(data, outcome="hours_per_user", unit="unit", time="period", treated="treated",
                  intervention="2018-07-01", seed=1)
    main = did_findings("h", res, "nb")[0]
    assert (main.clear, main.direction, main.verdict) == (True, "down", "better")
    assert main.ci_low < -3.0 < main.ci_high
    tr = data[data["treated"]]
    assert main.before == pytest.approx(tr[tr["period"] < "2018-07-01"]["hours_per_user"].mean())
    assert main.after == pytest.approx(tr[tr["period"] >= "2018-07-01"]["hours_per_user"].mean())
    assert "few_clusters" not in main.caveats
    assert "sank i enhetene med endringen" in ft.finding_sentence(main, "nb", "x")


# -- conclusions -------------------------------------------------------------------------------------------


def _texts(blocks):
    out = []
    for b in blocks:
        out += list(b.items) if isinstance(b, Bullets) else [getattr(b, "text", "")]
    return out


@pytest.mark.parametrize("language", LANGS)
def test_one_outcome_of_two_designs_is_named_with_its_design(language):
    # sick leave fell in the time series but showed no clear change against comparison units: the drafted
    # conclusions name the design each time, so the two do not read as a contradiction
    its = _finding(analysis_id="sick_its", label="Sjukfrånvaro (andel)", unit="points", before=0.09, after=0.08,
                   estimate=-1.0, ci_low=-1.9, ci_high=-0.1, clear=True, direction="down", better="down")
    did_ = _finding(analysis_id="sick_did", kind="did", effect="did", label="Sjukfrånvaro (andel)", unit="points",
                    before=0.09, after=0.07, estimate=-1.9, ci_low=math.nan, ci_high=math.nan, p=0.067)
    other = _finding(analysis_id="other", label="Stress (medel 1–5)", clear=True, direction="down",
                     estimate=-0.8, ci_low=-1.3, ci_high=-0.3, better="down")
    texts = " ".join(_texts(ft.conclusions_blocks([its, did_, other], language)))
    for kind in ("its", "did"):
        assert f"Sjukfrånvaro (andel; {ft._t('tag_' + kind, language)})" in texts
    assert "Stress (medel 1–5;" not in texts and "stress (medel 1–5)" in texts   # one design: no tag
    # the kept measures are listed as a sentence lists them: "a, b och c", lower-case inside the sentence
    assert f" {i18n.label('and', language)} " in texts


@pytest.mark.parametrize("language", LANGS)
def test_draft_mark_only_when_not_overridden(language):
    worse = _finding(clear=True, direction="up", ci_low=3.9, ci_high=6.2, estimate=5.0, after=21.0)
    better = _finding(outcome="goal_recorded_share", label="goal", unit="points", before=0.35, after=0.75,
                      estimate=40.0, ci_low=36.5, ci_high=44.0, clear=True, direction="up", better="up")
    mark = ft._t("draft", language)
    drafted = _texts(ft.conclusions_blocks([worse, better], language, purpose="Att undersöka X."))
    assert drafted[0] == mark
    assert any("goal" in t for t in drafted)
    # the worse result appears under what remains and gets a recommendation
    remains_at = drafted.index(ft._t("remains", language))
    assert any("handläggningstid" in t.lower() for t in drafted[remains_at:])
    own = ft.conclusions_blocks([worse], language, conclusions="Första.\n\nAndra\nraden.", recommendations="Gör Y.")
    assert mark not in _texts(own)
    assert [b.text for b in own if isinstance(b, Paragraph)] == ["Första.", "Andra raden.", "Gör Y."]
    half = ft.conclusions_blocks([worse], language, conclusions="Egen text.")
    assert _texts(half)[0] == mark  # the drafted recommendations still carry the mark


def test_override_from_file_reaches_the_report(tmp_path):
    ev = _config(tmp_path, report='conclusions_file = "slutsatser.md"',
                 files=[("slutsatser.md", "IBIC fungerar.\n\nMen följ upp E1.\n")])
    blocks = ft.conclusions_blocks([_finding()], "sv", conclusions=ev.report.conclusions,
                                   recommendations="Inga.")
    assert [b.text for b in blocks if isinstance(b, Paragraph)] == ["IBIC fungerar.", "Men följ upp E1.", "Inga."]


def test_split_paragraphs():
    assert ft.split_paragraphs("a\nb\n\n\n c \r\n\r\nd") == ["a b", "c", "d"]


def test_question_entry_with_a_part(tmp_path):
    ev = _config(tmp_path, 'questions = [{ text = "Q?", analyses = ["processing_time:level_change"] }]')
    assert ev.question_analyses == (("processing_time:level_change",),)
    with pytest.raises(ConfigError, match=r"evaluation.questions\[0\].analyses: 'nope' is not the id"):
        _config(tmp_path, 'questions = [{ text = "Q?", analyses = ["nope:level_change"] }]')


def test_a_part_selects_findings_and_an_unknown_part_is_refused():
    from evalkit.pipeline import _told

    level, slope = _finding(), _finding(effect="slope_change", primary=False)
    item = _finding(kind="audit", effect="item", outcome="E1", analysis_id="b")
    findings = {"a": [level, slope], "b": [item]}
    assert _told(findings, "a", "q") == [level, slope]
    assert _told(findings, "a:slope_change", "q") == [slope]
    assert _told(findings, "b:E1", "q") == [item]
    with pytest.raises(ConfigError, match="'a:pretrend' names no finding of analysis 'a'; its parts: level_change, "
                                          "slope_change"):
        _told(findings, "a:pretrend", "q")
