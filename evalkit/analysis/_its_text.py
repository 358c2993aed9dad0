"""Plain-language sentences and number formatting for interrupted time series results.

Private to :mod:`evalkit.analysis.its`. The number formatting lives in one small
function, :func:`format_number`, so that the report layer can later swap in the
project-wide ``i18n`` formatter without touching the statistics.
"""
from __future__ import annotations

import math

from evalkit import i18n

__all__ = ["format_number", "format_interval", "decimals_for", "sentences_for", "LANGUAGES"]

LANGUAGES = ("sv", "nb", "en")

_PERIOD_WORDS = {
    "month": {"sv": "månad", "nb": "måned", "en": "month"},
    "year": {"sv": "år", "nb": "år", "en": "year"},
    "period": {"sv": "period", "nb": "periode", "en": "period"},
}


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
    return {"sv": "95 % KI", "nb": "95 % KI", "en": "95% CI"}[language]


_POINTS = {"sv": "procentenheter", "nb": "prosentpoeng", "en": "percentage points"}


def sentences_for(effects, *, outcome: str, intervention_label: str, period_kind: str,
                  log_link: bool, controlled: bool, language: str, points: bool = False) -> list[str]:
    """Build the summary sentences for an effects table (rows as in ITSResult.effects).

    ``effects`` is a DataFrame indexed ``pre_trend, level_change, slope_change,
    post_trend`` with columns ``estimate, ci_low, ci_high, p_value``; NaN rows
    (effects not estimated under the chosen impact model) are skipped. With
    ``points`` the outcome is a share 0–1 and differences are said in percentage points.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    period = _PERIOD_WORDS[period_kind][language]
    out: list[str] = []
    for name in ("level_change", "slope_change", "post_trend"):
        row = effects.loc[name]
        if math.isnan(row["estimate"]):
            continue
        if points and not log_link:
            row = row.copy()
            row[["estimate", "ci_low", "ci_high"]] = row[["estimate", "ci_low", "ci_high"]] * 100.0
        out.append(_sentence(name, row, outcome, intervention_label, period, log_link,
                             controlled, language, _POINTS[language] if points and not log_link else ""))
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
    up = {"sv": "ökade", "nb": "økte", "en": "rose"}
    down = {"sv": "minskade", "nb": "sank", "en": "fell"}
    return (up if value >= (1.0 if rate else 0.0) else down)[language]


_NO_CLEAR = {
    "level_change": {
        "sv": "Direkt efter införandet ({when}) syntes ingen tydlig förändring i {outcome}{rel} (förändring {signed}; "
              "{ci} {interval}; {pt}).",
        "nb": "Rett etter innføringen ({when}) var det ingen tydelig endring i {outcome}{rel} (endring {signed}; "
              "{ci} {interval}; {pt}).",
        "en": "Immediately after the change ({when}) there was no clear change in {outcome}{rel} (change {signed}; "
              "{ci} {interval}; {pt}).",
    },
    "slope_change": {
        "sv": "Lutningen i trenden för {outcome}{rel} förändrades inte tydligt (förändring {signed} per {period}; "
              "{ci} {interval}; {pt}).",
        "nb": "Stigningstallet i trenden for {outcome}{rel} endret seg ikke tydelig (endring {signed} per {period}; "
              "{ci} {interval}; {pt}).",
        "en": "The slope of the trend in {outcome}{rel} did not change clearly (change {signed} per {period}; "
              "{ci} {interval}; {pt}).",
    },
    "post_trend": {
        "sv": "Efter införandet fanns ingen tydlig trend i {outcome}{rel} ({signed} per {period}; {ci} {interval}).",
        "nb": "Etter innføringen var det ingen tydelig trend i {outcome}{rel} ({signed} per {period}; {ci} {interval}).",
        "en": "After the change there was no clear trend in {outcome}{rel} ({signed} per {period}; {ci} {interval}).",
    },
}


def _relative(controlled: bool, language: str) -> str:
    return {"sv": " jämfört med jämförelsegruppen", "nb": " sammenlignet med sammenligningsgruppen",
            "en": " relative to the comparison group"}[language] if controlled else ""


def _difference_sentence(name, est, magnitude, signed, interval, p, outcome, when, period, controlled,
                         ci, language, clear: bool = True) -> str:
    pt = _p_text(p, language)
    rel = _relative(controlled, language)
    if not clear:
        return _NO_CLEAR[name][language].format(when=when, outcome=outcome, rel=rel, signed=signed, ci=ci,
                                                interval=interval, pt=pt, period=period)
    ci = {"sv": f"{ci} för förändringen", "nb": f"{ci} for endringen", "en": f"{ci} of the change"}[language]
    if name == "level_change":
        verb = _direction(est, language)
        return {
            "sv": f"Direkt efter införandet ({when}) {verb} {outcome}{rel} med {magnitude} ({ci} {interval}; {pt}).",
            "nb": f"Rett etter innføringen ({when}) {verb} {outcome}{rel} med {magnitude} ({ci} {interval}; {pt}).",
            "en": f"Immediately after the change ({when}), {outcome} {verb}{rel} by {magnitude} ({ci} {interval}; {pt}).",
        }[language]
    if name == "slope_change":
        # "the slope rose/fell" is right whatever the sign of the trend before; "steeper" would not be
        verb = _direction(est, language)
        return {
            "sv": f"Lutningen i trenden för {outcome}{rel} {verb} med {magnitude} per {period} ({ci} {interval}; {pt}).",
            "nb": f"Stigningstallet i trenden for {outcome}{rel} {verb} med {magnitude} per {period} "
                  f"({ci} {interval}; {pt}).",
            "en": f"The slope of the trend in {outcome} {verb}{rel} by {magnitude} per {period} ({ci} {interval}; {pt}).",
        }[language]
    verb = {"sv": ("ökade", "minskade"), "nb": ("økte", "sank"), "en": ("rose", "fell")}[language][0 if est >= 0 else 1]
    ci = _ci_label(language)
    return {
        "sv": f"Efter införandet {verb} {outcome}{rel} med {magnitude} per {period} ({ci} {interval}).",
        "nb": f"Etter innføringen {verb} {outcome}{rel} med {magnitude} per {period} ({ci} {interval}).",
        "en": f"After the change, {outcome} {verb}{rel} by {magnitude} per {period} ({ci} {interval}).",
    }[language]


_NO_CLEAR_RATE = {
    "level_change": {
        "sv": "Direkt efter införandet ({when}) syntes ingen tydlig förändring i takten för {outcome}{rel} "
              "(kvot {ratio}; {ci} {interval}; {pt}).",
        "nb": "Rett etter innføringen ({when}) var det ingen tydelig endring i raten for {outcome}{rel} "
              "(ratio {ratio}; {ci} {interval}; {pt}).",
        "en": "Immediately after the change ({when}) there was no clear change in the rate of {outcome}{rel} "
              "(rate ratio {ratio}; {ci} {interval}; {pt}).",
    },
    "slope_change": {
        "sv": "Trenden för {outcome}{rel} förändrades inte tydligt (kvot {ratio} per {period}; {ci} {interval}; {pt}).",
        "nb": "Trenden for {outcome}{rel} endret seg ikke tydelig (ratio {ratio} per {period}; {ci} {interval}; {pt}).",
        "en": "The trend in the rate of {outcome}{rel} did not change clearly (ratio {ratio} per {period}; {ci} "
              "{interval}; {pt}).",
    },
    "post_trend": {
        "sv": "Efter införandet fanns ingen tydlig trend i takten för {outcome}{rel} (kvot {ratio} per {period}; "
              "{ci} {interval}).",
        "nb": "Etter innføringen var det ingen tydelig trend i raten for {outcome}{rel} (ratio {ratio} per {period}; "
              "{ci} {interval}).",
        "en": "After the change there was no clear trend in the rate of {outcome}{rel} (rate ratio {ratio} per "
              "{period}; {ci} {interval}).",
    },
}


def _ratio_sentence(name, ratio, interval, pct, change, p, outcome, when, period, controlled, ci,
                    language, clear: bool = True) -> str:
    pt = _p_text(p, language)
    verb = _direction(change, language)
    pct_sign = {"sv": f"{pct} %", "nb": f"{pct} %", "en": f"{pct}%"}[language]
    rel = _relative(controlled, language)
    if not clear:
        return _NO_CLEAR_RATE[name][language].format(when=when, outcome=outcome, rel=rel, ratio=ratio, ci=ci,
                                                     interval=interval, pt=pt, period=period)
    if name == "level_change":
        return {
            "sv": f"Direkt efter införandet ({when}) {verb} takten för {outcome}{rel} med {pct_sign} "
                  f"(kvot {ratio}; {ci} {interval}; {pt}).",
            "nb": f"Rett etter innføringen ({when}) {verb} raten for {outcome}{rel} med {pct_sign} "
                  f"(ratio {ratio}; {ci} {interval}; {pt}).",
            "en": f"Immediately after the change ({when}), the rate of {outcome} {verb}{rel} by {pct_sign} "
                  f"(rate ratio {ratio}; {ci} {interval}; {pt}).",
        }[language]
    if name == "slope_change":
        return {
            "sv": f"Trenden för {outcome}{rel} ändrades med en kvot på {ratio} per {period} ({ci} {interval}; {pt}).",
            "nb": f"Trenden for {outcome}{rel} endret seg med en ratio på {ratio} per {period} ({ci} {interval}; {pt}).",
            "en": f"The trend in the rate of {outcome}{rel} changed by a ratio of {ratio} per {period} "
                  f"({ci} {interval}; {pt}).",
        }[language]
    return {
        "sv": f"Efter införandet {verb} takten för {outcome}{rel} med {pct_sign} per {period} (kvot {ratio}; {ci} {interval}).",
        "nb": f"Etter innføringen {verb} raten for {outcome}{rel} med {pct_sign} per {period} (ratio {ratio}; {ci} {interval}).",
        "en": f"After the change, the rate of {outcome} {verb}{rel} by {pct_sign} per {period} "
              f"(rate ratio {ratio}; {ci} {interval}).",
    }[language]
