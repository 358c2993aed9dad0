"""Support for the report tests (no tests here): a tiny result class implementing the report protocol, and a sample report."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from evalkit import i18n  # noqa: E402
from evalkit.provenance import Exclusion, LoadRecord, SourceFile  # noqa: E402
from evalkit.report import Report, TableSpec  # noqa: E402

NNBSP = "\u202f"

TITLES = {"sv": "Handläggningstid", "nb": "Saksbehandlingstid", "en": "Processing time"}


class FakeResult:
    """Implements title / sentences / methods / report_tables / plot like an analysis result would."""

    def __init__(self, language_title: str = "sv"):
        self.title = TITLES[language_title]

    def sentences(self, language):
        ci = i18n.fmt_ci(-4.83, -7.52, -2.14, 1, language)
        return {"sv": [f"Handläggningstiden ändrades med {ci} dagar."],
                "nb": [f"Saksbehandlingstiden endret seg med {ci} dager."],
                "en": [f"Processing time changed by {ci} days."]}[language]

    def methods(self, language):
        return {"sv": ["Segmenterad regression med Newey–West-standardfel."],
                "nb": ["Segmentert regresjon med Newey–West-standardfeil."],
                "en": ["Segmented regression with Newey–West standard errors."]}[language]

    def report_tables(self, language):
        frame = pd.DataFrame({
            "Område": ["Norr", "Söder", "Väst", "Totalt"],
            "Beviljade": [3, 12800, 40, 12843],
            "Avslag": [10, 25, 12, 47],
            "Totalt": [13, 12825, 52, 12890],
            "Andel beviljade": [3 / 13, 12800 / 12825, 40 / 52, 12843 / 12890],
        })
        spec = TableSpec(counts=("Beviljade", "Avslag"), total_column="Totalt", total_row=True,
                         percents={"Andel beviljade": "Totalt"}, numerators={"Andel beviljade": "Beviljade"})
        detail = pd.DataFrame({"Månad": pd.date_range("2017-01-01", periods=3, freq="MS"),
                               "Median (dagar)": [21.5, 19.25, 18.0]})
        return [("Beslut per område", frame, spec), ("Median per månad", detail)]

    def plot(self):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        x = np.arange(36)
        ax.plot(x, 20000 + 100 * x)
        ax.yaxis.set_major_formatter(i18n.tick_formatter("sv"))
        return fig


def sample_record() -> LoadRecord:
    return LoadRecord("decisions", SourceFile("data/beslut.csv", "ab" * 32, 100, "csv"), 100, 97,
                      [Exclusion("beslutsdatum saknas", (4, 5, 9))])


def build_report(language: str = "sv", **kwargs) -> Report:
    report = Report("Införandet av IBIC i Exempelkommun", language=language, subtitle="Utvärdering",
                    author="FoU Exempel", **kwargs)
    report.add_section("background", blocks=["Kommunen införde IBIC den 1 januari 2017."])
    report.add(FakeResult(language))
    report.add(pd.DataFrame({"Enhet": ["A", "B"], "Antal": [120, 4]}), title="Antal per enhet",
               source="Procapita", spec=TableSpec(counts=("Antal",)))
    report.set_provenance([sample_record()], versions={"evalkit": "0.1.0", "pandas": "3.1"},
                          seeds={"audit": 20240601}, config_text='[evaluation]\ntitle = "IBIC"\nseed = 20240601\n')
    return report


def test_years_print_as_years_and_counts_keep_their_separator():
    # a wave column is a year in every language ("2015", never "2,015"); a declared count keeps the
    # language's thousands separator, and a mixed column's years ("2021 − 2019" beside 2019) stay years too
    from evalkit.report._blocks import Table
    from evalkit.report._disclosure import Disclosure
    from evalkit.report._format import YEAR, format_table

    frame = pd.DataFrame({"Wave": [2015, 2016], "Answers": [2062, 1940], "Mean": [2015.0, 3.5],
                          "Label": [2019, "2021 − 2019"]})
    table = format_table(Table(frame, "t", TableSpec(counts=("Answers",))), "en", Disclosure(5, 30))
    assert table.kinds[0] == YEAR and table.kinds[2] != YEAR
    assert [row[0] for row in table.text] == ["2015", "2016"]
    assert [row[1] for row in table.text] == ["2,062", "1,940"]
    assert [row[3] for row in table.text] == ["2019", "2021 − 2019"]
    assert table.values[0][0] == 2015 and isinstance(table.values[0][0], int)
