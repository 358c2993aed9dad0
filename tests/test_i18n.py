"""Golden tests of evalkit.i18n: every format in every language.

The expected strings follow the written conventions, not our own output:
* Swedish: Språkrådet, *Svenska skrivregler* (4th ed., 2017) §§ 12.3–12.6 — decimal
  comma, space as thousands separator from five digits ("12 800", but "4500"),
  space before the per cent sign ("85 %"), ISO 8601 dates ("2025-06-16");
* Norwegian bokmål: Språkrådet, "Tall og tallord" — decimal comma, space groups,
  "85 %", dates as 16.06.2025;
* English: point, comma groups from four digits, "85%".
* Intervals: estimate (low–high) with an en dash, as in the domain brief §7
  ("0,89 (0,84–0,93)").
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from evalkit import i18n
from evalkit.errors import ReportError

NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"


@pytest.mark.parametrize("language, value, decimals, expected", [
    ("sv", 15.27, 1, "15,3"),
    ("nb", 15.27, 1, "15,3"),
    ("en", 15.27, 1, "15.3"),
    ("sv", 12800, 0, f"12{NNBSP}800"),
    ("nb", 12800, 0, f"12{NNBSP}800"),
    ("en", 12800, 0, "12,800"),
    ("sv", 4500, 0, "4500"),            # four digits: no group (Svenska skrivregler)
    ("en", 4500, 0, "4,500"),
    ("sv", 1234567.891, 2, f"1{NNBSP}234{NNBSP}567,89"),
    ("en", 1234567.891, 2, "1,234,567.89"),
    ("sv", -4.83, 1, f"{MINUS}4,8"),
    ("nb", -4.83, 1, f"{MINUS}4,8"),
    ("en", -4.83, 1, "-4.8"),
    ("sv", -0.04, 1, "0,0"),            # rounds to zero: no minus sign
    ("sv", 0.5, 0, "0"),                # half to even, like R's round() and Python's format
    ("sv", 0, 2, "0,00"),
])
def test_fmt_number(language, value, decimals, expected):
    assert i18n.fmt_number(value, decimals, language) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_missing_values_show_two_dots(missing):
    assert i18n.fmt_number(missing, 1, "sv") == ".."
    assert i18n.fmt_percent(missing, 0, "sv") == ".."
    assert i18n.fmt_date(missing, "sv") == ".."


@pytest.mark.parametrize("language, expected", [("sv", f"12{NNBSP}800"), ("nb", f"12{NNBSP}800"),
                                                ("en", "12,800")])
def test_fmt_int(language, expected):
    assert i18n.fmt_int(12800, language) == expected
    assert i18n.fmt_int(12800.4, language) == expected


@pytest.mark.parametrize("language, share, decimals, expected", [
    ("sv", 0.85, 0, f"85{NBSP}%"),
    ("nb", 0.85, 0, f"85{NBSP}%"),
    ("en", 0.85, 0, "85%"),
    ("sv", 0.1534, 1, f"15,3{NBSP}%"),
    ("en", 0.1534, 1, "15.3%"),
    ("sv", 1.0, 0, f"100{NBSP}%"),
])
def test_fmt_percent(language, share, decimals, expected):
    assert i18n.fmt_percent(share, decimals, language) == expected


@pytest.mark.parametrize("language, expected", [
    ("sv", "0,89 (0,84–0,93)"), ("nb", "0,89 (0,84–0,93)"), ("en", "0.89 (0.84–0.93)")])
def test_fmt_ci(language, expected):
    assert i18n.fmt_ci(0.891, 0.842, 0.931, 2, language) == expected


@pytest.mark.parametrize("language, expected", [
    ("sv", f"{MINUS}0,5 ({MINUS}1,2 till 0,3)"),
    ("nb", f"{MINUS}0,5 ({MINUS}1,2 til 0,3)"),
    ("en", "-0.5 (-1.2 to 0.3)"),
])
def test_fmt_ci_with_negative_bound_uses_a_word(language, expected):
    assert i18n.fmt_ci(-0.5, -1.24, 0.31, 1, language) == expected


@pytest.mark.parametrize("value", [dt.date(2025, 6, 16), dt.datetime(2025, 6, 16, 13, 5),
                                   pd.Timestamp("2025-06-16"), np.datetime64("2025-06-16"), "2025-06-16"])
@pytest.mark.parametrize("language, expected", [("sv", "2025-06-16"), ("nb", "16.06.2025"), ("en", "2025-06-16")])
def test_fmt_date(value, language, expected):
    assert i18n.fmt_date(value, language) == expected


def test_fmt_date_refuses_non_dates():
    with pytest.raises(ReportError, match="not a date"):
        i18n.fmt_date("next tuesday", "sv")


@pytest.mark.parametrize("p, language, expected", [
    (0.0004, "sv", "p < 0,001"), (0.0004, "nb", "p < 0,001"), (0.0004, "en", "p < 0.001"),
    (0.0341, "sv", "p = 0,034"), (0.0341, "en", "p = 0.034"), (0.5, "sv", "p = 0,500"),
])
def test_fmt_p(p, language, expected):
    assert i18n.fmt_p(p, language) == expected


def test_labels_exist_in_every_language():
    for key, texts in i18n.LABELS.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert all(texts.values()), key


@pytest.mark.parametrize("key, expected", [
    ("table", {"sv": "Tabell", "nb": "Tabell", "en": "Table"}),
    ("figure", {"sv": "Figur", "nb": "Figur", "en": "Figure"}),
    ("source", {"sv": "Källa", "nb": "Kilde", "en": "Source"}),
    ("summary", {"sv": "Sammanfattning", "nb": "Sammendrag", "en": "Summary"}),
])
def test_caption_and_section_labels(key, expected):
    for language, text in expected.items():
        assert i18n.label(key, language) == text


def test_unknown_language_and_label_are_report_errors():
    with pytest.raises(ReportError, match="language"):
        i18n.fmt_number(1.0, 1, "de")
    with pytest.raises(ReportError, match="no label"):
        i18n.label("nonexistent", "sv")


def test_tick_formatter_uses_the_same_rules():
    f = i18n.tick_formatter("sv")
    assert f(12800.0, 0) == f"12{NNBSP}800"
    assert f(2.5, 0) == "2,5"
    assert f(-3.0, 0) == f"{MINUS}3"
    pct = i18n.tick_formatter("nb", percent=True)
    assert pct(0.25, 0) == f"25{NBSP}%"
    assert i18n.tick_formatter("en", decimals=2)(3.0, 0) == "3.00"


def test_tick_formatter_on_a_real_axis():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [10000, 30000])
    ax.yaxis.set_major_formatter(i18n.tick_formatter("sv"))
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    plt.close(fig)
    assert any(NNBSP in text for text in labels), labels
    assert not any("," in text and NNBSP not in text and "." in text for text in labels)


def test_fmt_value_dispatches_by_type():
    assert i18n.fmt_value(3, "sv") == "3"
    assert i18n.fmt_value(2.5, "sv") == "2,50"
    assert i18n.fmt_value(2.5, "en", decimals=1) == "2.5"
    assert i18n.fmt_value(dt.date(2025, 1, 2), "nb") == "02.01.2025"
    assert i18n.fmt_value(True, "sv") == "ja"
    assert i18n.fmt_value("Norr", "sv") == "Norr"
    assert i18n.fmt_value(math.nan, "sv") == ".."
