"""Staff outcomes: panel definitions, the yearly summary, small-team disclosure, the pipeline and the sample."""
from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.errors import AnalysisError, ConfigError, DataError
from evalkit.staff import STAFF_PANEL_COLUMNS, staff_panel, staff_summary

from tests.conftest import SAMPLE

sys.path.insert(0, str(SAMPLE))
import generate_staff  # noqa: E402

TRUTH = generate_staff.truths()


def table(rows) -> pd.DataFrame:
    cols = ["employee_id", "unit", "month", "scheduled_hours", "worked_hours", "sick_hours_short", "sick_hours_long",
            "overtime_hours", "extra_hours", "employment", "employment_rate", "employment_end"]
    t = pd.DataFrame(rows, columns=cols)
    t["month"] = pd.to_datetime(t["month"])
    t["employment_end"] = pd.to_datetime(t["employment_end"])
    t["sick_hours"] = np.nan
    return t


HAND = table([
    # employee, unit, month, scheduled, worked, short, long, overtime, extra, form, rate, end
    ("a", "Norr", "2024-01-01", 160.0, 150.0, 10.0, 0.0, 4.0, 0.0, "permanent", 100.0, None),
    ("b", "Norr", "2024-01-01", 80.0, 60.0, 0.0, 20.0, 0.0, 2.0, "permanent", 50.0, "2024-01-20"),
    ("c", "Norr", "2024-01-01", 0.0, 40.0, 0.0, 0.0, 0.0, 0.0, "hourly", None, None),
    ("a", "Söder", "2024-01-01", 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, "permanent", None, None),
    ("d", "Söder", "2024-02-01", 120.0, 120.0, 0.0, 0.0, 0.0, 0.0, "temporary", None, "2024-02-10"),
])


def test_the_panel_follows_the_definitions():
    p = staff_panel(HAND, full_time_hours=160.0).set_index(["unit", "period"])
    n = p.loc[("Norr", pd.Timestamp("2024-01-01"))]
    assert n["employees"] == 3 and n["employees_permanent"] == 2
    assert n["sick_leave"] == pytest.approx(30 / 240)            # N00090: sick hours / scheduled hours
    assert n["sick_leave_short"] == pytest.approx(10 / 240) and n["sick_leave_long"] == pytest.approx(20 / 240)
    assert n["leavers_permanent"] == 1 and n["turnover_permanent"] == pytest.approx(1 / 2)
    assert n["hourly_share"] == pytest.approx(40 / 250)          # hourly-paid hours / all worked hours
    assert n["fte"] == pytest.approx(1.5)                        # employment rates 100 + 50; hourly staff 0
    assert n["overtime_extra_per_fte"] == pytest.approx(6 / 1.5)
    # a unit with no row in a month is in the panel with no employees and no rates
    empty = p.loc[("Norr", pd.Timestamp("2024-02-01"))]
    assert empty["employees"] == 0 and np.isnan(empty["sick_leave"])
    # the temporary employee who leaves is no permanent leaver; without a rate FTE = scheduled / full time
    s = p.loc[("Söder", pd.Timestamp("2024-02-01"))]
    assert s["leavers_permanent"] == 0 and s["fte"] == pytest.approx(120 / 160)
    # the municipality counts employee "a" once though she worked in two units (3 + 1 unit rows, 3 people)
    assert p.loc[("Söder", pd.Timestamp("2024-01-01")), "employees"] == 1
    assert p.loc[("Total", pd.Timestamp("2024-01-01")), "employees"] == 3
    assert list(staff_panel(HAND).columns) == ["unit", "period", *STAFF_PANEL_COLUMNS]


def test_bad_tables_are_refused():
    with pytest.raises(DataError, match="scheduled_hours"):
        staff_panel(HAND.drop(columns="scheduled_hours"))
    with pytest.raises(DataError, match="Total"):
        staff_panel(HAND.assign(unit="Total"))
    with pytest.raises(AnalysisError, match="full_time_hours"):
        staff_panel(HAND, full_time_hours=0)


def test_yearly_summary_sums_hours_and_hides_small_units():
    summary = staff_summary(staff_panel(HAND), min_employees=3)
    t = summary.table.set_index("unit")
    assert t.loc["Norr", "sick_leave"] == pytest.approx(30 / 240)
    assert t.loc["Total", "sick_leave"] == pytest.approx(30 / 360)
    frame = summary.report_tables("en")[0].frame.set_index("Unit")
    # Söder has 1.5 employees a month on average: none of its rates is shown, Norr's (3) are
    assert frame.loc["Söder"].iloc[2:].isna().all() and frame.loc["Norr", "Sick leave"] == pytest.approx(0.125)
    assert summary.small_units() == ["Söder"]
    with pytest.raises(AnalysisError):
        staff_summary(staff_panel(HAND), min_employees=0)


@pytest.fixture(scope="module")
def sample():
    staff = ek.load_staff(SAMPLE / "personal_heroma.csv")
    return staff, staff_panel(staff)


def _rendered(tmp_path, summary, thresholds=(5, 30)):
    import docx
    import openpyxl

    report = ek.Report("Personal", thresholds=thresholds)
    report.add(summary)
    path = report.save(tmp_path / "r.docx", xlsx=tmp_path / "r.xlsx")
    document = docx.Document(str(path))
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    book = openpyxl.load_workbook(path.with_suffix(".xlsx"))
    cells = [[c for c in r] for ws in book.worksheets for r in ws.iter_rows(values_only=True)]
    return rows, cells


def test_a_small_teams_sick_leave_never_appears_in_the_report(tmp_path, sample):
    _, panel = sample
    summary = staff_summary(panel, min_employees=5)
    asen = summary.table[summary.table["unit"] == "Åsen"]
    assert (asen["employees"] < 5).all() and asen["sick_leave"].notna().all()  # there is something to hide
    rows, cells = _rendered(tmp_path, summary)
    word = [r for r in rows if r and r[0] == "Åsen"]
    excel = [r for r in cells if r and r[0] == "Åsen"]
    assert len(word) == len(excel) == 5
    assert all(set(r[2:]) == {".."} for r in word)            # headcount and every rate hidden in Word
    assert all(all(v is None or v == ".." for v in r[2:]) for r in excel)   # and in the Excel appendix
    # a large team's sick leave is shown, in both
    norr = [r for r in rows if r and r[0] == "Norr"]
    assert all(r[3] != ".." and r[3].endswith("%") for r in norr)
    assert all(isinstance(r[3], float) for r in cells if r and r[0] == "Norr")


def test_the_staff_threshold_is_configurable_above_the_count_threshold(tmp_path, sample):
    _, panel = sample
    # Öster has 20 employees: hidden with a staff threshold of 21, while the report's count threshold stays 5
    rows, cells = _rendered(tmp_path, staff_summary(panel, min_employees=21))
    oster = [r for r in rows if r and r[0] == "Öster"]
    assert oster and all(r[2] == "20" and set(r[3:]) == {".."} for r in oster)
    assert all(all(v is None or v == ".." for v in r[3:]) for r in cells if r and r[0] == "Öster")
    assert any(r[0] == "Centrum" and r[3] != ".." for r in rows)
    # the municipality rows are named in the report's language, not by the panel's internal key
    assert any(r[0] == "Hela kommunen" for r in rows) and not any(r[0] == "Total" for r in rows)


def test_the_figure_leaves_small_teams_out(sample):
    _, panel = sample
    summary = staff_summary(panel, min_employees=5)
    assert "Åsen" not in set(summary.plot_data()["unit"]) and "Total" in set(summary.plot_data()["unit"])
    legend = [t.get_text() for t in summary.plot(language="nb").axes[0].get_legend().get_texts()]
    assert "Hele kommunen" in legend and "Total" not in legend


def test_the_config_key_and_its_default(tmp_path):
    base = ('[evaluation]\ntitle = "t"\nseed = 1\n[change]\nname = "x"\ndate = 2020-10-01\n'
            f'[data.staff]\npath = "{SAMPLE / "personal_heroma.csv"}"\n')
    (tmp_path / "a.toml").write_text(base, encoding="utf-8")
    assert ek.Evaluation.from_toml(tmp_path / "a.toml").report.suppress_staff_below == 5
    (tmp_path / "b.toml").write_text(base + "[report]\nsuppress_staff_below = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="suppress_staff_below"):
        ek.Evaluation.from_toml(tmp_path / "b.toml")


def test_a_staff_only_config_runs_its_on_the_staff_panel(tmp_path):
    from evalkit import pipeline
    from evalkit.kinds import KINDS

    (tmp_path / "c.toml").write_text(
        '[evaluation]\ntitle = "t"\nseed = 1\n[change]\nname = "x"\ndate = 2020-10-01\n'
        f'[data.staff]\npath = "{SAMPLE / "personal_heroma.csv"}"\n'
        '[[analyses]]\nid = "s"\nkind = "its"\noutcome = "sick_leave_short"\nunits = "each"\n'
        '[report]\nsuppress_staff_below = 5\n', encoding="utf-8")
    ev = ek.Evaluation.from_toml(tmp_path / "c.toml")
    assert [n.source for n in KINDS["its"].needs(ev.analyses[0])] == ["staff"]   # no decisions needed
    run = pipeline.run(ev, analyses=False)
    with pytest.warns(ek.AnalysisWarning, match="Åsen"):
        result = pipeline.run_analysis(ev.analyses[0], run)
    units = set(result.by_unit.index.get_level_values("unit"))
    assert "Åsen" not in units and {"Norr", "Centrum"} <= units


def test_every_staff_outcome_declares_what_it_reads():
    from evalkit.kinds import STAFF_INPUTS

    assert sorted(c for cols in STAFF_INPUTS for c in cols) == sorted(STAFF_PANEL_COLUMNS)


# ---------------------------------------------------------------------------- the sample: known effects

@pytest.fixture(scope="module")
def flexible():
    from evalkit import pipeline

    ev = ek.Evaluation.from_toml(SAMPLE / "flexible_codes.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipeline.run(ev)


def test_the_panel_joins_staff_onto_the_decisions(flexible):
    panel = flexible.panel
    assert {"order_changes", "sick_leave", "employees"} <= set(panel.columns)
    norr = panel[(panel["unit"] == "Norr") & (panel["period"] == pd.Timestamp("2021-03-01"))]
    assert len(norr) == 1 and norr["active_users"].iloc[0] > 0 and norr["employees"].iloc[0] == 24
    # months before the HR export have decisions only
    assert panel.loc[panel["period"] < pd.Timestamp("2018-01-01"), "sick_leave"].isna().all()


def test_sick_leave_falls_in_the_teams_that_changed_first(flexible):
    d = flexible.results["sick_leave_did"].effect
    assert d["estimate"] == pytest.approx(TRUTH["sick_leave_did"], abs=0.005)   # −1.8 points; measured −1.86
    assert d["estimate"] < 0


def test_the_municipality_series_shows_the_diluted_drop(flexible):
    e = flexible.results["sick_leave_its"].effects.loc["level_change"]
    assert e["ci_low"] <= TRUTH["sick_leave_total_level_change"] <= e["ci_high"]   # −0.71 points
    assert e["estimate"] < 0


def test_stress_falls_and_engagement_rises_in_the_staff_survey(flexible):
    c = flexible.results["staff_survey"].comparison.set_index("score")
    for score, truth in (("hme_total", TRUTH["hme_index_did"]), ("stress", TRUTH["stress_mean_did"]),
                         ("stress_high", TRUTH["stress_high_did"])):
        assert c.loc[score, "ci_low"] <= truth <= c.loc[score, "ci_high"], score
        assert np.sign(c.loc[score, "did"]) == np.sign(truth), score
    assert c.loc["hme_total", "ci_low"] > 0 and c.loc["stress", "ci_high"] < 0   # both detected in this draw


def test_the_generator_is_deterministic(tmp_path):
    generate_staff.generate_staff(tmp_path)
    for name in generate_staff.STAFF_FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_the_docstring_examples_run():
    import doctest

    from evalkit import staff
    from evalkit.analysis import staff_survey
    from evalkit.io import staff as io_staff

    for module in (staff, io_staff, staff_survey):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
