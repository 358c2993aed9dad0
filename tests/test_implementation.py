"""evalkit.implementation: the model, fidelity, implementation outcomes and the strategy log.

Golden values from R 4.2 (hard-coded below):

    x <- c(1, 0.5, 0.75, 1, 0.25, 0.5); t.test(x)$conf.int      # 0.348934247993 0.984399085340
    prop.test(7, 9, correct = FALSE)$conf.int                     # 0.452588969107 0.936774892882

The sample municipality's designed fidelity (data_samples/exempelkommun/effects.toml [ibic.fidelity]) is
recovered from the committed decisions file.
"""
from __future__ import annotations

import dataclasses
import re
import tomllib
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.implementation.fidelity import index_ci, score_decisions
from evalkit.implementation.model import Model
from evalkit.implementation.strategies import eric_strategies
from tests.conftest import SAMPLE

matplotlib.use("Agg")
EFFECTS = tomllib.loads((SAMPLE / "effects.toml").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sample_decisions() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)  # the planted data-quality faults are flagged
        return ek.load_decisions(SAMPLE / "beslut_procapita.csv")


@pytest.fixture(scope="module")
def sample_fidelity(sample_decisions):
    return ek.fidelity(sample_decisions, "ibic")


def tiny() -> pd.DataFrame:
    """Four decisions, two units; every component outcome chosen by hand."""
    return pd.DataFrame({
        "decision_id": ["D1", "D2", "D3", "D4"],
        "person_id": ["P1", "P2", "P3", "P3"],
        "unit": ["A", "A", "B", "B"],
        "decided_on": pd.to_datetime(["2020-01-10", "2020-01-20", "2020-02-05", "2020-02-06"]),
        "outcome": ["granted", "denied", "granted", "partly"],
        "service": ["Hemtjänst omsorg"] * 4,
        "case_officer_id": ["H1", "H1", "H2", "H2"],
        "life_area": ["self_care", "security", None, "domestic_life"],
        "icf_code": ["d510", None, None, "d630"],
        "qualifier": pd.array([2, pd.NA, pd.NA, 9], dtype="Int64"),
        "own_view_recorded": pd.array([True, True, True, True], dtype="boolean"),
        "goal_recorded": pd.array([True, True, False, pd.NA], dtype="boolean"),
        "follow_up_on": pd.to_datetime(["2020-04-10", None, "2020-05-05", None]),
        "birth_year": [1940, 1930, 1950, 1950],
    })


# ----------------------------------------------------------------------------- the model
@pytest.mark.parametrize("name", ["ibic", "rehab", "ip"])
def test_builtin_models_load_with_three_languages_and_are_immutable(name):
    m = ek.Model.builtin(name)
    assert m.name == name and len(m.components) >= 4
    for c in m.components:
        assert all(c.labels[lang] for lang in ("sv", "nb", "en")), c.id
    assert {c.source for c in m.components} <= {"decisions", "audit", "visits", "survey"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.name = "other"
    with pytest.raises(TypeError):
        m.components[0].labels["sv"] = "x"


def test_builtin_models_refer_to_existing_checklist_items():
    for name in ("ibic", "rehab", "ip"):
        m = ek.Model.builtin(name)
        items = set(ek.audit.load_checklist(m.checklist).item_ids)
        referenced = {c.audit_item for c in m.components if c.audit_item}
        referenced |= {c.observation.item for c in m.components if c.source == "audit"}
        assert referenced <= items, (name, referenced - items)


def test_model_from_dict_and_load_accept_the_config_shape():
    spec = {"name": "mini", "title": {"sv": "Mini", "nb": "Mini", "en": "Mini"},
            "components": [{"id": "goal", "sv": "Mål", "nb": "Mål", "en": "Goal",
                            "observation": {"source": "decisions", "met": [{"field": "goal_recorded", "is": "true"}]}}]}
    m = ek.Model.load(spec)
    assert m.component_ids == ["goal"] and ek.Model.load(m) is m
    spec["components"][0]["observation"]["met"][0]["is"] = True  # a TOML boolean means the same
    assert ek.Model.load(spec).components[0].observation.met[0].value == "true"
    assert ek.Model.load("ibic") == ek.Model.builtin("ibic")


@pytest.mark.parametrize("change, message", [
    ({"components": []}, "at least one"),
    ({"components": [{"id": "x", "sv": "a", "nb": "a", "observation": {"source": "decisions", "met": []}}]},
     "label(s) en missing"),
    ({"components": [{"id": "x", "sv": "a", "nb": "a", "en": "a", "observation": {"source": "register"}}]},
     "source must be one of"),
    ({"components": [{"id": "x", "sv": "a", "nb": "a", "en": "a",
                      "observation": {"source": "decisions", "met": [{"field": "goal_recorded", "is": "yes"}]}}]},
     "'is' must be one of"),
    ({"components": [{"id": "x", "sv": "a", "nb": "a", "en": "a",
                      "observation": {"source": "visits", "measure": "continuity"}}]}, "at_most"),
])
def test_bad_model_specs_are_config_errors_that_say_where(change, message):
    spec = {"name": "bad", **change}
    with pytest.raises(ek.ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ek.Model.from_dict(spec)


def test_unknown_builtin_is_a_config_error():
    with pytest.raises(ek.ConfigError, match="ibic, rehab, ip"):
        ek.Model.builtin("ebp")


def test_conditions_follow_their_stated_semantics():
    d = tiny()
    m = ek.Model.builtin("ibic")
    scored = score_decisions(d, m)
    # needs_by_life_area: D1 code + qualifier 2 → met; D2 security (IBIC's own area) → met; D3 no area → not;
    # D4 qualifier 9 ("not applicable") is no assessment → not met
    assert scored["needs_by_life_area"].tolist() == [True, True, False, False]
    # goal applies to granted/partly only (D2 denied → NA); D4's missing flag is "not recorded"
    assert scored["goal_recorded"].tolist()[0] is True and pd.isna(scored["goal_recorded"].iloc[1])
    assert scored["goal_recorded"].tolist()[2:] == [False, False]
    # follow-up planned: D4 partly granted without a date → not met
    assert scored["follow_up_planned"].iloc[3] == False  # noqa: E712  (pandas boolean)
    # index = met / applying: D1 4/4, D2 2/2 (needs, own view), D3 2/4 (own view, follow-up), D4 1/4 (own view)
    assert scored["index"].tolist() == [1.0, 1.0, 0.5, 0.25]
    assert scored["full"].tolist() == [True, True, False, False]


def test_on_or_before_and_at_most_conditions():
    spec = {"name": "m", "components": [
        {"id": "fu", "sv": "a", "nb": "a", "en": "a", "applies": [{"field": "follow_up_on", "is": "present"}],
         "observation": {"source": "decisions",
                         "met": [{"field": "followed_up_on", "on_or_before": "follow_up_on", "plus_days": 30}]}},
        {"id": "q", "sv": "b", "nb": "b", "en": "b",
         "observation": {"source": "decisions", "met": [{"field": "qualifier", "at_most": 4}]}}]}
    d = tiny().assign(followed_up_on=pd.to_datetime(["2020-05-10", None, "2020-06-05", None]))
    s = score_decisions(d, ek.Model.from_dict(spec))
    # D1 done 30 days after the plan (counts), D3 31 days after (does not); D2/D4 have no plan
    assert s["fu"].tolist()[0] is True and s["fu"].tolist()[2] is False
    assert pd.isna(s["fu"].iloc[1]) and pd.isna(s["fu"].iloc[3])
    assert s["q"].tolist() == [True, False, False, False]  # 2 ≤ 4; missing fails; 9 > 4


def test_a_decision_column_the_model_needs_is_named_when_missing():
    with pytest.raises(ek.AnalysisError, match="own_view_recorded"):
        ek.fidelity(tiny().drop(columns="own_view_recorded"), "ibic")


# ----------------------------------------------------------------------------- fidelity on hand data
def test_fidelity_tables_on_hand_data():
    r = ek.fidelity(tiny(), "ibic", by=("unit",), window_months=2)
    idx = r.index.set_index("unit")
    assert idx.loc["A", "mean_index"] == 1.0 and idx.loc["B", "mean_index"] == 0.375
    assert idx.loc["A", "n_full"] == 2 and idx.loc["B", "n_full"] == 0
    a = r.adherence.set_index(["unit", "component"])
    assert (a.loc[("A", "goal_recorded"), "n"], a.loc[("A", "goal_recorded"), "n_met"]) == (1, 1)
    assert (a.loc[("B", "own_view_recorded"), "n"], a.loc[("B", "own_view_recorded"), "n_met"]) == (2, 2)
    assert r.classification.set_index("unit")["class"].to_dict() == {"A": "high", "B": "low"}
    assert r.officers.set_index("case_officer_id").loc["H2", "mean_index"] == 0.375
    assert any("survey" in n for n in r.notes)  # the survey component was not observed


def test_unit_matrix_is_remembered_and_recomputed_when_its_inputs_change():
    """The report asks for ``unit_matrix`` three times; a changed window, level or table is computed anew."""
    r = ek.fidelity(tiny(), "ibic", by=("unit",), window_months=2)
    first = r.unit_matrix()
    first.loc[0, "share"] = -1.0  # a caller changing its copy does not change the remembered one
    again = r.unit_matrix()
    assert again.loc[0, "share"] != -1.0
    whole = r.unit_matrix(window=False)
    r.window = (pd.Timestamp("2020-02-01"), pd.Timestamp("2020-02-01"))  # February only: unit B
    february = r.unit_matrix()
    assert not february.equals(again)
    assert february.equals(r._unit_matrix(True)) and whole.equals(r._unit_matrix(False))
    assert set(february.loc[february["component"] == "index", "unit"]) == {"B", "all units"}
    r.level = 0.5
    assert r.unit_matrix().equals(r._unit_matrix(True)) and not r.unit_matrix().equals(february)


def test_index_interval_matches_r_t_test_and_adherence_uses_wilson():
    mean, low, high = index_ci(np.array([1, 0.5, 0.75, 1, 0.25, 0.5]), 0.95)
    assert mean == pytest.approx(0.6666666667)
    assert (low, high) == pytest.approx((0.348934247993, 0.984399085340), abs=1e-10)
    d = pd.DataFrame({"decision_id": [f"D{i}" for i in range(9)], "unit": "A",
                      "decided_on": pd.Timestamp("2021-03-01"), "outcome": "granted",
                      "goal_recorded": pd.array([True] * 7 + [False] * 2, dtype="boolean")})
    spec = {"name": "g", "components": [{"id": "goal", "sv": "a", "nb": "a", "en": "a", "observation": {
        "source": "decisions", "met": [{"field": "goal_recorded", "is": "true"}]}}]}
    row = ek.fidelity(d, spec, by=("unit",)).adherence.iloc[0]
    assert (row["n_met"], row["n"]) == (7, 9)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.452588969107, 0.936774892882), abs=1e-10)


def test_audit_components_use_the_primary_reviewers_answers():
    d = tiny()
    spec = {"name": "a", "components": [{"id": "g", "sv": "a", "nb": "a", "en": "a",
                                         "observation": {"source": "audit", "item": "A7"}}]}
    answers = pd.DataFrame({"decision_id": ["D1", "D1", "D2", "D3", "D3"], "reviewer": ["R1", "R2", "R1", "R1", "R2"],
                            "item": "A7", "answer": ["yes", "no", "na", "no", "no"]})
    s = ek.fidelity(d, spec, audit=answers).scored.set_index("decision_id")["g"]
    # R1 has most answers → D1 "yes" counts; D2 "na" does not apply; D4 was not audited
    assert s["D1"] == True and s["D3"] == False  # noqa: E712
    assert pd.isna(s["D2"]) and pd.isna(s["D4"])


# ----------------------------------------------------------------------------- the sample's known truths
@pytest.mark.parametrize("flag", ["goal_recorded", "own_view_recorded"])
def test_sample_designed_unit_fidelity_is_recovered(sample_decisions, flag):
    """Per unit, decisions from the IBIC date: the designed share lies in the interval.

    Twelve intervals (6 units × 2 flags) are checked, so each is a Bonferroni 99.6 % interval (family 95 %).
    """
    designed = EFFECTS["ibic"]["fidelity"][flag]
    spec = {"name": flag, "components": [{"id": flag, "sv": "a", "nb": "a", "en": "a", "observation": {
        "source": "decisions", "met": [{"field": flag, "is": "true"}]}}]}
    r = ek.fidelity(sample_decisions, spec, by=("unit",), start=EFFECTS["ibic"]["date"], level=1 - 0.05 / 12)
    got = r.adherence.set_index("unit")
    assert set(got.index) == set(designed)
    for unit, p in designed.items():
        assert got.loc[unit, "ci_low"] <= p <= got.loc[unit, "ci_high"], (unit, p, got.loc[unit].to_dict())
    # before the date no unit differs by design: all share one level
    pre = ek.fidelity(sample_decisions, spec, by=("unit",), start="2014-01-01", end="2016-12-31").adherence
    assert pre["share"].max() - pre["share"].min() < 0.08


def test_sample_high_and_low_implementers_are_classified(sample_fidelity):
    truth = EFFECTS["ibic"]["fidelity"]
    assert sample_fidelity.threshold == truth["index_threshold"]
    assert sorted(sample_fidelity.high) == sorted(truth["high_implementers"])
    assert sorted(sample_fidelity.low) == sorted(truth["low_implementers"])
    c = sample_fidelity.classification.set_index("unit")
    # the designed index is about 0.73 in Söder and 0.95 in Norr and Åsen (effects.toml comment)
    assert c.loc["Söder", "ci_low"] <= 0.74 <= c.loc["Söder", "ci_high"] + 0.02
    assert c.loc["Norr", "mean_index"] > 0.9 and c.loc["Åsen", "mean_index"] > 0.9


def test_sample_index_jumps_at_the_ibic_date(sample_fidelity):
    s = sample_fidelity.scored
    before = s.loc[s["decided_on"].dt.year == 2016, "index"].mean()
    after = s.loc[s["decided_on"].dt.year == 2017, "index"].mean()
    assert before < 0.5 < 0.8 < after


@pytest.mark.parametrize("language, recorded, survey", [("sv", "ifyllt", "enkätfråga"), ("nb", "utfylt", "spørsmål"),
                                                      ("en", "recorded", "survey item")])
def test_component_rules_read_in_the_report_language(sample_fidelity, language, recorded, survey):
    # the rule notation keeps column names and operators; its few words are the report's language
    frame = sample_fidelity.report_tables(language)[3][1]
    rules = " ".join(frame.iloc[:, 2])
    assert f"follow_up_on {recorded}" in rules and survey in rules
    others = {"sv": "ifyllt", "nb": "utfylt", "en": "recorded"}
    assert not any(re.search(rf"\b{word}\b", rules) for lang, word in others.items() if lang != language)


def test_sample_report_hooks(sample_fidelity):
    for lang in ("sv", "nb", "en"):
        sentences = sample_fidelity.sentences(lang)
        assert any("Söder" in s for s in sentences)
        assert sample_fidelity.methods(lang)
        tables = sample_fidelity.report_tables(lang)
        cap, frame, spec = tables[0]
        assert len(frame) == 7 and spec.columns_named() <= set(frame.columns)
        cap, frame, spec = tables[1]  # unit × component adherence, 6 units + all units
        assert len(frame) == 7 * len(sample_fidelity.model.decision_components)
        assert spec.columns_named() <= set(frame.columns)
    fig = sample_fidelity.plot()
    assert len([a for a in fig.axes if a.get_visible()]) == len(sample_fidelity.model.decision_components) + 1
    assert "Söder" in sample_fidelity._repr_html_()


# ----------------------------------------------------------------------------- implementation outcomes
def test_outcomes_on_hand_data():
    d = tiny()
    r = ek.implementation_outcomes(d, "ibic", change_date="2020-01-01", threshold=0.8, min_officer_decisions=1)
    # index ≥ 0.8: D1, D2 (persons P1, P2); P3's two decisions score 0.5 and 0.25 → not reached
    reach = r.outcome("reach", "persons")
    assert (reach["n_met"], reach["n"]) == (2, 3)
    assert r.outcome("penetration", "decisions")[["n_met", "n"]].tolist() == [2, 4]
    assert r.outcome("adoption", "unit")[["n_met", "n"]].tolist() == [1, 2]
    assert r.outcome("adoption", "case_officer")[["n_met", "n"]].tolist() == [1, 2]
    rep = r.representativeness
    assert set(rep["variable"]) == {"age_band", "service"}  # no sex column → left out, with a note
    assert any("sex" in n for n in r.notes)
    shown = r.display_representativeness()
    # every count here is below 5: hidden by evalkit.privacy's rule, and the shares with them
    assert (shown["n_eligible"] == "..").all() and (shown["reach"] == "..").all()


def test_outcomes_eligible_rule_narrows_the_population():
    r = ek.implementation_outcomes(tiny(), "ibic", change_date="2020-01-01",
                                   eligible=[{"field": "outcome", "in": ["granted", "partly"]}])
    assert r.outcome("penetration", "decisions")["n"] == 3


def test_sample_outcomes(sample_decisions):
    r = ek.implementation_outcomes(sample_decisions, "ibic", change_date=EFFECTS["ibic"]["date"],
                                   support_ended="2018-01-01")
    adoption = r.adoption[r.adoption["level"] == "unit"].set_index("id")["adopted"]
    assert sorted(adoption[adoption].index) == sorted(EFFECTS["ibic"]["fidelity"]["high_implementers"])
    assert list(r.maintenance["window"]) == ["start", "6_months", "12_months", "support_ended",
                                             "6_months_after_support"]
    reach = r.outcome("reach", "persons")
    assert 0 < reach["share"] < 1 and reach["n"] > 1000
    age = r.representativeness[r.representativeness["variable"] == "age_band"]
    assert age["n_eligible"].sum() == reach["n"] and age["n_reached"].sum() == reach["n_met"]
    assert "5 av 6 enheter" in " ".join(r.sentences("sv")) and r.methods("nb")
    assert len(r.report_tables("en")) == 4
    assert r.plot().axes


# ----------------------------------------------------------------------------- strategies
def test_eric_list_has_73_unique_strategies_with_labels():
    e = eric_strategies("sv")
    assert len(e) == 73 and e["id"].is_unique and e["name"].is_unique and e["label"].str.len().gt(3).all()
    assert "Conduct educational meetings" in set(e["name"])


def test_sample_strategy_log_loads():
    log = ek.load_strategies(SAMPLE / "strategies.toml")
    assert len(log) == 4 and log.frame["start"].is_monotonic_increasing
    coach = log.frame.set_index("label").loc["Coach"]
    assert coach["eric"] == "Provide ongoing consultation" and coach["end"] == pd.Timestamp("2017-12-31")
    assert list(log.active("2017-06-01")["label"]) == ["Coach"]
    assert all(o in ("fidelity", "sustainability", "adoption", "appropriateness") for os_ in log.frame["outcome"]
               for o in os_)


def _write_toml(tmp_path, body: str):
    path = tmp_path / "log.toml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = """
[[strategies]]
eric = "Conduct educational meetings"
actor = "Utbildare"
action = "Utbildning"
target = "Handläggare"
start = 2017-01-09
dose = "1 dag"
outcome = ["fidelity"]
justification = "Kunskap"
"""


@pytest.mark.parametrize("edit, message", [
    (("justification = \"Kunskap\"\n", ""), r"log.toml, entry 2, column justification: required"),
    (("outcome = [\"fidelity\"]", "outcome = [\"happiness\"]"), r"entry 2, column outcome: 'happiness'"),
    (("eric = \"Conduct educational meetings\"", "eric = \"Hold a party\""), r"entry 2, column eric"),
    (("start = 2017-01-09", "start = 2017-01-09\nend = 2016-01-01"), r"entry 2, column end"),
])
def test_strategy_log_errors_name_file_entry_and_column(tmp_path, edit, message):
    bad = GOOD.replace(*edit)
    with pytest.raises(ek.DataError, match=message):
        ek.load_strategies(_write_toml(tmp_path, GOOD + bad))


def test_strategy_log_from_excel_with_swedish_headers(tmp_path):
    rows = pd.DataFrame({"ERIC-strategi": ["Håll utbildningsträffar", "Audit and provide feedback"],
                         "Aktör": ["Utbildare", "FoU"], "Handling": ["Utbildning", "Återkoppling"],
                         "Målgrupp": ["Handläggare", "Chefer"], "Start": ["2017-01-09", "15/03/2019"],
                         "Dos": ["3 dagar", "1 möte"], "Utfall": ["metodtrohet", "hållbarhet, fidelity"],
                         "Motivering": ["Kunskap", "Återkoppling ökar följsamhet"]})
    path = tmp_path / "log.xlsx"
    rows.to_excel(path, index=False)
    log = ek.load_strategies(path)
    assert list(log.frame["eric_id"]) == ["educational_meetings", "audit_feedback"]
    assert log.frame["start"].iloc[1] == pd.Timestamp("2019-03-15")  # day first, never month first
    assert log.frame["outcome"].iloc[1] == ("sustainability", "fidelity")
    rows.loc[1, "Motivering"] = None
    rows.to_excel(path, index=False)
    with pytest.raises(ek.DataError, match=r"log.xlsx, row 3, column justification"):
        ek.load_strategies(path)


def test_strategy_log_refuses_identity_numbers(tmp_path):
    body = GOOD.replace('actor = "Utbildare"', 'actor = "Utbildare 19121212-1212"')
    with pytest.raises(ek.IdentifierError):
        ek.load_strategies(_write_toml(tmp_path, body))


def test_strategies_are_marked_on_a_time_series_axes():
    import matplotlib.pyplot as plt

    log = ek.load_strategies(SAMPLE / "strategies.toml")
    fig, ax = plt.subplots()
    ax.plot(pd.date_range("2016-01-01", "2019-12-01", freq="MS"), np.arange(48))
    artists = ek.mark_strategies(ax, log)
    texts = [a for a in artists if isinstance(a, matplotlib.text.Text)]
    assert [t.get_text().strip() for t in texts] == [f"{k}. {lab}" for k, lab in enumerate(log.frame["label"], 1)]
    lines = [a for a in artists if isinstance(a, matplotlib.lines.Line2D)]
    assert [matplotlib.dates.num2date(ln.get_xdata()[0]).date() for ln in lines] == [
        d.date() for d in log.frame["start"]]
    plt.close(fig)
    what, who = (frame for _, frame, _ in log.report_tables("nb"))
    assert what.shape == (4, 5) and who.shape == (4, 5)
    assert "ERIC" in log.methods("en")[0]


def test_report_renders_the_three_results(sample_decisions, sample_fidelity, tmp_path):
    out = ek.implementation_outcomes(sample_decisions, "ibic", change_date="2017-01-01")
    log = ek.load_strategies(SAMPLE / "strategies.toml")
    report = ek.Report("Test", language="sv")
    for res in (sample_fidelity, out, log):
        report.add(res)
    path = report.save(tmp_path / "r.docx")
    assert path.stat().st_size > 10_000


# ----------------------------------------------------------------------------- other sources
def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        return fn(*args, **kwargs)


def test_survey_component_is_the_share_positive_per_unit_and_wave(sample_decisions):
    survey = _quiet(ek.load_survey, SAMPLE / "brukarundersokning.csv")
    r = ek.fidelity(sample_decisions, "ibic", survey=survey)
    got = r.unit_components.set_index(["unit", "period"])
    direct = ek.share_positive(survey, ["hansyn_asikter"], by=("unit", "wave")).set_index(["unit", "wave"])
    assert len(got) == len(direct) > 0
    for key, row in direct.iterrows():
        assert (got.loc[key, "n_met"], got.loc[key, "n"]) == (row["n_positive"], row["n_valid"])
    assert not any("survey" in n for n in r.notes)
    # a survey component is never part of the decisions' index
    assert "user_influence" not in r.scored.columns


def test_visit_component_counts_users_with_few_staff(sample_decisions):
    visits = _quiet(ek.load_visits, SAMPLE / "besok.csv")
    window = "2019-10-07"
    r = ek.fidelity(sample_decisions, "rehab", visits=visits, visit_windows=[window])
    per_user = ek.staff_continuity(visits, sample_decisions, window_start=window).per_user
    got = r.unit_components.set_index("unit")
    for unit, g in per_user.groupby("unit"):
        assert got.loc[unit, "n"] == len(g)
        assert got.loc[unit, "n_met"] == int((g["n_staff"] <= 12).sum())
    assert any("audit" in n for n in r.notes)  # rehab's audit component was not observed


def test_audit_component_on_the_sample_audit_agrees_with_the_decisions_file(sample_decisions):
    forms = [_quiet(ek.load_audit, SAMPLE / f) for f in ("granskning_R1.xlsx", "granskning_R2.xlsx")]
    answers = pd.concat(forms, ignore_index=True)
    spec = {"name": "goal_audit", "components": [
        {"id": "goal_audit", "sv": "a", "nb": "a", "en": "a", "observation": {"source": "audit", "item": "A7"}},
        {"id": "goal_field", "sv": "b", "nb": "b", "en": "b",
         "observation": {"source": "decisions", "met": [{"field": "goal_recorded", "is": "true"}]}}]}
    s = ek.fidelity(sample_decisions, spec, audit=answers).scored
    audited = s[s["goal_audit"].notna()]
    assert len(audited) == answers["decision_id"].nunique()  # every audited decision, nothing else
    # reviewers read the truth with probability 0.866 (audit_effects.toml): they agree with the field mostly
    agree = (audited["goal_audit"].astype(bool) == audited["goal_field"].astype(bool)).mean()
    assert agree > 0.85


def test_strategies_mark_an_its_plot(sample_decisions):
    panel = _quiet(ek.monthly_panel, sample_decisions, start="2014-01-01", end="2019-12-31")
    total = panel[panel["unit"] == "Total"]
    res = _quiet(ek.its, total, outcome="goal_recorded_share", time="period",
                 intervention=pd.Timestamp(EFFECTS["ibic"]["date"]))
    fig = res.plot()
    ax = fig.axes[0]
    xlim = ax.get_xlim()
    artists = ek.load_strategies(SAMPLE / "strategies.toml").mark(ax)
    starts = [a.get_xdata()[0] for a in artists if isinstance(a, matplotlib.lines.Line2D)]
    assert all(xlim[0] <= x <= xlim[1] for x in starts) and ax.get_xlim() == xlim
