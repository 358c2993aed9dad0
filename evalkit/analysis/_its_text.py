"""Plain-language sentences and number formatting for interrupted time series results.

Private to :mod:`evalkit.analysis.its`. The number formatting lives in one small
function, :func:`format_number`, so that the report layer can later swap in the
project-wide ``i18n`` formatter without touching the statistics.
"""
from __future__ import annotations

import math

from evalkit import i18n
from evalkit.analysis._labels import unit_word

__all__ = ["format_number", "format_interval", "decimals_for", "sentences_for", "LANGUAGES"]

LANGUAGES = ("sv", "nb", "en")

def format_number(value: float, decimals: int, language: str = "sv") -> str:
    """Format a number with a fixed count of decimals in the language's style.

    :func:`evalkit.i18n.fmt_number`: Swedish and Norwegian use a decimal comma
    and a true minus sign; English a decimal point and a hyphen-minus.

    >>> format_number(-4.83, 1, "sv")
    '−4,8'
    >>> format_number(0.8851, 3, "en")
    '0.885'
    """
    return i18n.fmt_number(value, decimals, language)


def format_interval(low: float, high: float, decimals: int, language: str) -> str:
    """An interval ``a–b``, or ``a till b`` when a bound is negative (:func:`evalkit.i18n.fmt_interval`)."""
    return i18n.fmt_interval(low, high, decimals, language)


def decimals_for(spread: float) -> int:
    """Decimals that show two significant digits of an interval's half-width (0–4)."""
    if not spread or math.isnan(spread) or spread <= 0:
        return 2
    return int(min(4, max(0, 1 - math.floor(math.log10(spread)))))


def _p_text(p: float, language: str) -> str:
    return i18n.fmt_p(p, language)


def _ci_label(language: str) -> str:
    return i18n.text("its", "ci_label", language)


def sentences_for(effects, *, outcome: str, intervention_label: str, period_kind: str,
                  log_link: bool, controlled: bool, language: str, points: bool = False,
                  unit: str = "") -> list[str]:
    """Build the summary sentences for an effects table (rows as in ITSResult.effects).

    ``effects`` is a DataFrame indexed ``pre_trend, level_change, slope_change,
    post_trend`` with columns ``estimate, ci_low, ci_high, p_value``; NaN rows
    (effects not estimated under the chosen impact model) are skipped. With
    ``points`` the outcome is a share 0–1 and differences are said in percentage points; else ``unit``
    (e.g. "dagar") follows each difference.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    period = i18n.text("its", f"period_words.{period_kind}", language)
    out: list[str] = []
    for name in ("level_change", "slope_change", "post_trend"):
        row = effects.loc[name]
        if math.isnan(row["estimate"]):
            continue
        if points and not log_link:
            row = row.copy()
            row[["estimate", "ci_low", "ci_high"]] = row[["estimate", "ci_low", "ci_high"]] * 100.0
        words = "" if log_link else unit_word("points", language) if points else unit
        out.append(_sentence(name, row, outcome, intervention_label, period, log_link, controlled, language, words))
    return out


def _clear(lo: float, hi: float, null: float) -> bool:
    """A change is stated as a direction only when its interval lies wholly on one side of no change."""
    return (lo > null and hi > null) or (lo < null and hi < null)


def _sentence(name, row, outcome, when, period, log_link, controlled, language, unit="") -> str:
    """One effect in words. The interval is the table's own (signed, low to high): the text never shows bounds
    the table does not, and an interval that includes no change is said as "no clear change", not as a rise
    or fall."""
    est, lo, hi, p = row["estimate"], row["ci_low"], row["ci_high"], row["p_value"]
    ci = _ci_label(language)
    if log_link:
        d = 3
        change = (est - 1.0) * 100.0
        pct = format_number(abs(change), 1, language)
        ratio = format_number(est, d, language)
        interval = format_interval(lo, hi, d, language)
        return _ratio_sentence(name, ratio, interval, pct, change, p, outcome, when, period,
                               controlled, ci, language, _clear(lo, hi, 1.0))
    d = decimals_for((hi - lo) / 2.0)
    magnitude, interval = format_number(abs(est), d, language), format_interval(lo, hi, d, language)
    signed = format_number(est, d, language)
    if unit:
        magnitude, signed = f"{magnitude} {unit}", f"{signed} {unit}"
    return _difference_sentence(name, est, magnitude, signed, interval, p, outcome, when, period,
                                controlled, ci, language, _clear(lo, hi, 0.0))


def _direction(value: float, language: str, *, rate: bool = False) -> str:
    return i18n.text("its", "direction.up" if value >= (1.0 if rate else 0.0) else "direction.down", language)


def _relative(controlled: bool, language: str) -> str:
    return i18n.text("its", "relative", language) if controlled else ""


def _difference_sentence(name, est, magnitude, signed, interval, p, outcome, when, period, controlled,
                         ci, language, clear: bool = True) -> str:
    pt = _p_text(p, language)
    rel = _relative(controlled, language)
    if not clear:
        return i18n.text("its", f"no_clear.{name}", language, when=when, outcome=outcome, rel=rel, signed=signed,
                         ci=ci, interval=interval, pt=pt, period=period)
    ci = i18n.text("its", "difference_sentence.ci", language, ci=ci)
    if name == "level_change":
        verb = _direction(est, language)
        return i18n.text("its", "difference_sentence", language, when=when, verb=verb, outcome=outcome, rel=rel,
                         magnitude=magnitude, ci=ci, interval=interval, pt=pt)
    if name == "slope_change":
        # "the slope rose/fell" is right whatever the sign of the trend before; "steeper" would not be
        verb = _direction(est, language)
        return i18n.text("its", "difference_sentence_2", language, outcome=outcome, rel=rel, verb=verb,
                         magnitude=magnitude, period=period, ci=ci, interval=interval, pt=pt)
    verb = _direction(est, language)
    ci = _ci_label(language)
    return i18n.text("its", "difference_sentence_3", language, verb=verb, outcome=outcome, rel=rel,
                     magnitude=magnitude, period=period, ci=ci, interval=interval)


def _ratio_sentence(name, ratio, interval, pct, change, p, outcome, when, period, controlled, ci,
                    language, clear: bool = True) -> str:
    pt = _p_text(p, language)
    verb = _direction(change, language)
    pct_sign = i18n.text("its", "ratio_sentence.pct_sign", language, pct=pct)
    rel = _relative(controlled, language)
    if not clear:
        return i18n.text("its", f"no_clear_rate.{name}", language, when=when, outcome=outcome, rel=rel, ratio=ratio,
                         ci=ci, interval=interval, pt=pt, period=period)
    if name == "level_change":
        return i18n.text("its", "ratio_sentence", language, when=when, verb=verb, outcome=outcome, rel=rel,
                         pct_sign=pct_sign, ratio=ratio, ci=ci, interval=interval, pt=pt)
    if name == "slope_change":
        return i18n.text("its", "ratio_sentence_2", language, outcome=outcome, rel=rel, ratio=ratio, period=period,
                         ci=ci, interval=interval, pt=pt)
    return i18n.text("its", "ratio_sentence_3", language, verb=verb, outcome=outcome, rel=rel, pct_sign=pct_sign,
                     period=period, ratio=ratio, ci=ci, interval=interval)
