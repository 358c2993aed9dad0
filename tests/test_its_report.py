"""ek.its in a Word report: title, sentences with outcome labels, localized tables, methods, figure."""
from __future__ import annotations

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from evalkit.analysis._labels import OUTCOME_LABELS, outcome_label, outcome_title
from evalkit.analysis.its import its
from evalkit.errors import AnalysisError, AnalysisWarning
from evalkit.outcomes import PANEL_COLUMNS

matplotlib.use("Agg")


def _panel(column="processing_days_median", share=False, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(36)
    if share:
        y = 0.6 + 0.002 * t + 0.08 * (t >= 18) + rng.normal(0, 0.02, 36)
    else:
        y = 30 + 0.1 * t - 4 * (t >= 18) + rng.normal(0, 1, 36)
    return pd.DataFrame({"period": pd.date_range("2022-01-01", periods=36, freq="MS"), column: y})


def _fit(column="processing_days_median", share=False, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return its(_panel(column, share), outcome=column, time="period", intervention="2023-07-01", **kw)


def test_every_panel_column_has_a_label_in_each_language():
    for column in PANEL_COLUMNS:
        for language in ("sv", "nb", "en"):
            text = outcome_label(column, language)
            assert column in OUTCOME_LABELS and text, (column, language)
            assert "_" not in text, (column, language)
    assert outcome_label("processing_days_median", "sv") == \
        "handläggningstid från ansökan till beslut (median, dagar)"
    assert outcome_title("order_changes", "sv") == "Ändrade beställningar"
    assert outcome_label("unknown_col", "nb") == "unknown_col"
    assert set(OUTCOME_LABELS) >= set(PANEL_COLUMNS)
    with pytest.raises(AnalysisError):
        outcome_label("order_changes", "de")


def test_title_sentences_and_methods_use_the_label_not_the_column():
    res = _fit()
    sv = res.sentences("sv")
    assert res.title == "Avbruten tidsserie: handläggningstid från ansökan till beslut (median, dagar)"
    assert all("processing_days_median" not in s for s in sv)
    assert "minskade nivån för handläggningstid från ansökan till beslut (median, dagar) med" in sv[0]
    # the size of a change says its unit, in every language ("med 2,1 dagar", "by 2.1 days")
    assert re.search(r" med [0-9,]+ dagar \(", sv[0]) and re.search(r"dagar per månad", sv[1])
    assert re.search(r" by [0-9.]+ days \(", res.sentences("en")[0])
    methods = " ".join(res.methods("sv"))
    for needle in ("segmenterad regression", "AR(1)", "REML", "Kenward–Roger", "minst 8 perioder",
                   "Ingen säsongsvariation", "18 perioder före och 18 från förändringen"):
        assert needle in methods, needle
    assert res.title.startswith("Avbruten")  # last language asked for was sv
    en = " ".join(res.methods("en"))
    assert "Kenward–Roger" in en and res.title.startswith("Interrupted time series:")
    hac = _fit(errors="hac")
    assert "Newey–West" in " ".join(hac.methods("nb")) and "3 lagger" in " ".join(hac.methods("nb"))
    assert _fit(title="Handläggningstid").title == "Handläggningstid"


def test_count_family_methods_and_rate_ratio_table():
    rng = np.random.default_rng(4)
    t = np.arange(36)
    users = 400 + 2 * t
    y = rng.poisson(users * 1.0 * np.exp(-0.3 * (t >= 18)))
    df = pd.DataFrame({"period": pd.date_range("2022-01-01", periods=36, freq="MS"),
                       "order_changes": y, "active_users": users})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        res = its(df, outcome="order_changes", time="period", intervention="2023-07-01",
                  family="quasipoisson", exposure="active_users", seasonality="fourier:1")
    methods = " ".join(res.methods("sv"))
    assert "kvasi-Poisson" in methods and "logaritmen av aktiva brukare som offset" in methods
    assert "1 par sinus- och cosinustermer" in methods
    (caption, table, spec), _ = res.report_tables("sv")
    assert "Kvot (rate ratio)" in table.columns
    level = table.set_index("Effekt").loc["Nivåförändring", "Kvot (rate ratio)"]
    assert level == pytest.approx(res.effects.loc["level_change", "estimate"])
    assert 0.6 < level < 0.9  # true rate ratio exp(-0.3) = 0.74


def test_share_outcome_in_percentage_points():
    res = _fit("goal_recorded_share", share=True)
    sv = res.sentences("sv")[0]
    assert "procentenheter" in sv and "andel beslut med dokumenterat mål" in sv
    (_, table, _), _ = res.report_tables("en")
    est = table.set_index("Effect").loc["Level change", "Estimate (percentage points)"]
    assert est == pytest.approx(100 * res.effects.loc["level_change", "estimate"])
    assert 5 < est < 11  # true step 8 percentage points


def test_tables_are_localized_raw_numbers():
    res = _fit()
    (caption, table, spec), (dcap, diag, dspec) = res.report_tables("sv")
    assert list(table.columns) == ["Effekt", "Skattning", "95\u00a0% KI, nedre", "95\u00a0% KI, övre", "p-värde"]
    assert list(table["Effekt"]) == ["Före: trend per månad", "Nivåförändring", "Trendförändring per månad",
                                     "Efter: trend per månad"]
    assert table["Skattning"].dtype == float and "p-värde" in spec.pvalues
    assert table.loc[1, "Skattning"] == res.effects.loc["level_change", "estimate"]
    assert "handläggningstid" in caption
    assert "AR(1)-koefficient ρ (REML)" in set(diag["Mått"])
    nb = res.report_tables("nb")[0][1]
    assert "Nivåendring" in set(nb["Effekt"]) and "p-verdi" in nb.columns
    level_only = _fit(impact="level").report_tables("en")[0][1]
    assert list(level_only["Effect"]) == ["Before: trend per month", "Level change"]


def test_report_docx_has_heading_sentences_tables_and_figure(tmp_path):
    docx = pytest.importorskip("docx")
    from evalkit.report import Report

    res = _fit()
    report = Report("Utvärdering av IBIC", language="sv")
    report.add(res)
    path = tmp_path / "its.docx"
    report.save(path)
    doc = docx.Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Avbruten tidsserie: handläggningstid från ansökan till beslut (median, dagar)" in text
    assert "minskade nivån för handläggningstid" in text and "processing_days_median" not in text
    assert "Kenward–Roger" in text  # the methods section
    headers = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    assert ["Effekt", "Skattning", "95\u00a0% KI, nedre", "95\u00a0% KI, övre", "p-värde"] in headers
    assert any(h[:2] == ["Mått", "Värde"] for h in headers)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "Nivåförändring" in cells and any("," in c and c.startswith("\u2212") for c in cells)
    assert len(doc.inline_shapes) >= 1


def test_each_effect_row_shows_two_significant_digits_of_its_own_interval():
    """A level change in days and a slope in days per month get their own decimals (issue 14: "3,922–6,168")."""
    from evalkit.analysis._its_text import decimals_for
    from evalkit.blocks import Table
    from evalkit.report._format import format_table

    res = _fit()
    caption, frame, spec = res.report_tables("sv")[0]
    half = (frame.iloc[:, 3] - frame.iloc[:, 2]).to_numpy() / 2
    expected = tuple(decimals_for(float(h)) for h in half)
    assert spec.row_decimals == expected
    assert expected[1] < expected[0]  # the level change is coarser than the pre-period slope
    formatted = format_table(Table(frame, caption, spec), "sv", (5, 10))
    level = formatted.text[1][1]
    assert level == f"{frame.iloc[1, 1]:.{expected[1]}f}".replace(".", ",").replace("-", "\u2212")
    slope = formatted.text[0][1]
    assert len(slope.split(",")[1]) == expected[0]
