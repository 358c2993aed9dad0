"""Human labels (sv, nb, en) for the outcome columns of :func:`evalkit.outcomes.monthly_panel`.

Report sentences name an outcome in words ("handläggningstid från ansökan till
beslut (median, dagar)"), never by its column name. Labels are lower case so
they read inside a sentence; :func:`outcome_title` capitalises one for a
heading or an axis. Used by the ITS and DiD results.

>>> outcome_label("order_changes_per_100", "sv")
'ändrade beställningar per 100 brukare'
>>> outcome_label("my_own_column", "en")
'my_own_column'
>>> outcome_title("hours_per_user", "nb")
'Innvilgede timer per bruker og måned'
"""
from __future__ import annotations

from evalkit import i18n
from evalkit.errors import AnalysisError

__all__ = ["OUTCOME_LABELS", "OUTCOME_UNITS", "LANGUAGES", "outcome_label", "outcome_title", "outcome_unit",
           "unit_word", "is_share", "SHARE_SCORE"]

LANGUAGES = ("sv", "nb", "en")

#: the staff-survey score that is a share (of respondents highly stressed): shown in per cent, its change in
#: percentage points (evalkit.analysis.staff_survey, evalkit.findings)
SHARE_SCORE = "stress_high"
#: staff panel columns that hold shares 0–1 without the "_share" suffix
_STAFF_SHARES = frozenset({"sick_leave", "sick_leave_short", "sick_leave_long", "turnover_permanent"})

#: column -> {language: label}, read from table [outcomes] of the message catalogues
OUTCOME_LABELS = {column: {lang: i18n.words("outcomes", lang)[column] for lang in LANGUAGES}
                  for column in i18n.words("outcomes", "sv")}


#: The unit of an outcome column (its words are ``unit_<unit>`` in table [findings] of the catalogues);
#: shares are said in percentage points, other columns not listed are plain numbers
OUTCOME_UNITS = {"processing_days_median": "days", "processing_days_p90": "days", "start_days_median": "days",
                 "hours_per_user": "hours", "granted_hours": "hours", "continuity_mean": "staff",
                 "continuity_median": "staff", "order_changes": "count", "order_changes_per_100": "number"}


def unit_word(unit: str | None, language: str = "sv") -> str:
    """A unit in words ("days" → "dagar", "points" → "procentenheter"; table [labels] of the catalogues),
    "" for a unit said without a word (a count, a plain number).

    >>> unit_word("points", "nb"), unit_word("count", "sv")
    ('prosentpoeng', '')
    """
    key = f"unit_{unit}"
    return i18n.label(key, _check(language)) if key in i18n.words("labels", language) else ""


def outcome_unit(column: str, language: str = "sv") -> str:
    """The unit after a number of ``column`` in running text ("dagar"), "" when it has none in words.

    >>> outcome_unit("processing_days_median", "sv"), outcome_unit("order_changes_per_100", "en")
    ('dagar', '')
    """
    return unit_word(OUTCOME_UNITS.get(column), language)


def _check(language: str) -> str:
    if language not in LANGUAGES:
        raise AnalysisError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return language


def outcome_label(column: str, language: str = "sv") -> str:
    """The outcome's label for use inside a sentence; the column name when none is known."""
    return OUTCOME_LABELS.get(column, {}).get(_check(language), str(column))


def outcome_title(column: str, language: str = "sv") -> str:
    """The label with a capital first letter, for headings and axis titles."""
    text = outcome_label(column, language)
    return text[:1].upper() + text[1:]


def is_share(column: str) -> bool:
    """Whether the panel column holds a share 0–1 (effects then read in percentage points)."""
    return str(column).endswith("_share") or str(column) in _STAFF_SHARES
