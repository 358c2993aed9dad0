"""Plain-language sentences for DiD results in Swedish, Norwegian bokmål and English.

Every number goes through :mod:`evalkit.i18n` (decimal comma, U+2212 minus, thin-space thousands), so a
value reads the same in the text, the tables and the figures.

>>> decimals_for(0.42), decimals_for(3.1), decimals_for(250.0)
(3, 2, 0)
"""
from __future__ import annotations

import math

import numpy as np

from evalkit import i18n
from evalkit.analysis import _labels
from evalkit.errors import AnalysisError

__all__ = ["assumptions", "result_sentences", "inference_sentences", "methods_sentences", "event_study_sentences",
           "pretrend_sentences", "pretrend_verdict", "pretrend_test_name", "decimals_for", "effect_scale",
           "effect_unit", "outcome_label", "check_language", "LANGUAGES"]

LANGUAGES = ("sv", "nb", "en")

# The event-study test names, keyed by what EventStudyResult.pretrend["test"] says in English.

def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise AnalysisError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}.")
    return language


def outcome_label(column: str, language: str) -> str:
    """The human label of an outcome-panel column (e.g. "beviljade timmar per brukare och månad")."""
    return _labels.outcome_label(column, language)


def effect_scale(column: str) -> float:
    """100 for share outcomes (0–1), whose effects read in percentage points; else 1."""
    return 100.0 if _labels.is_share(column) else 1.0


def effect_unit(column: str, language: str) -> str:
    """The unit after an effect on ``column``: " procentenheter" for a share outcome, else the outcome's own
    (" timmar", " dagar"), or "" when it has none in words."""
    unit = _labels.unit_word("points", language) if _labels.is_share(column) else _labels.outcome_unit(column, language)
    return " " + unit if unit else ""


def decimals_for(scale: float) -> int:
    """Decimals that show a quantity of this size to about three significant digits (0–4)."""
    if not np.isfinite(scale) or scale <= 0:
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(scale)))))


def assumptions(language: str = "en") -> list[str]:
    """The identifying assumptions of DiD in plain words."""
    return list(i18n.words("did", check_language(language), "assumptions").values())


def _n(x, language: str) -> str:
    return i18n.fmt_int(x, language)


def inference_sentences(result, language: str) -> list[str]:
    """What the inference method is, in words, and (for RI) the smallest attainable p-value."""
    text, inf = i18n.words("did", language, "text"), result.inference
    method = inf["method"]
    if method == "cluster":
        return [text["cluster_bjs" if inf.get("estimator") == "imputation" else "cluster"]]
    if method == "wild":
        return [text["wild"].format(g=_n(result.n_units, language))]
    sampled = "" if inf["exact"] else text["sampled"].format(n_possible=_n(inf["n_possible"], language))
    m = _n(inf["n_assignments"], language)
    out = [text["ri"].format(n_treated=_n(result.n_treated, language), g=_n(result.n_units, language), m=m,
                             sampled=sampled)]
    pmin = i18n.fmt_number(inf["smallest_p"], 3, language)
    out.append((text["ri_floor"] if inf["smallest_p"] > 0.05 else text["ri_ok"]).format(pmin=pmin, m=m))
    return out


def _conclusion(result, language: str) -> list[str]:
    """What can and cannot be concluded from the p-value, given what the design can reach."""
    text, inf, p = i18n.words("did", language, "text"), result.inference, float(result.effect["p_value"])
    if inf["method"] == "ri" and inf["smallest_p"] > 0.05:
        at_floor = p <= inf["smallest_p"] * (1 + 1e-9)
        return [text["at_floor" if at_floor else "floor_not"]]
    out = [text["significant" if p <= 0.05 else "not_significant"]]
    if inf["method"] == "ri":
        out.append(text["ri_constant"])
    return out


def pretrend_verdict(result, event_study, language: str) -> list[str]:
    """One sentence on the joint pre-trend test: rejects, at the design's floor, or no clear sign — or, with one
    period before the change (the 2 × 2 design), that parallel trends cannot be tested at all."""
    if result.n_pre < 2:
        return [i18n.words("did", language, "text")["one_pre"]]
    if event_study is None:
        return []
    pretrend = event_study.pretrend
    if not pretrend_test_name(pretrend, language)[1] or not np.isfinite(pretrend["p_value"]):
        return []
    text, p = i18n.words("did", language, "text"), float(pretrend["p_value"])
    floor = result.inference.get("smallest_p", 0.0) if result.inference["method"] == "ri" else 0.0
    if p <= 0.05:
        key = "pt_reject"
    elif floor > 0.05 and p <= floor * (1 + 1e-9):
        key = "pt_floor"
    else:
        key = "pt_ok"
    return [text[key].format(p=i18n.fmt_p(p, language))]


def result_sentences(result, language: str = "sv", event_study=None) -> list[str]:
    """Sentences stating the estimate, interval, p-value, design, inference, what can be concluded and the
    pre-trend test (when ``event_study`` is given)."""
    text = i18n.words("did", check_language(language), "text")
    scale, unit = effect_scale(result.outcome), effect_unit(result.outcome, language)
    e = result.effect * scale
    d = decimals_for(result.inference.get("se_cr1", abs(e["estimate"])) * scale)
    if np.isfinite([e["ci_low"], e["ci_high"]]).any():
        interval = i18n.fmt_interval(e["ci_low"], e["ci_high"], d, language)
        ci = text["ci"].format(interval=interval + unit)
    else:
        ci = text["ci_inf"].format(floor=i18n.fmt_number(result.inference.get("smallest_p", float("nan")), 3,
                                                           language))
    n_post = result.n_periods - result.n_pre
    return [
        text["main"].format(outcome=result.outcome_label(language),
                            est=i18n.fmt_number(e["estimate"], d, language) + unit, ci=ci,
                            p=i18n.fmt_p(result.effect["p_value"], language)),
        text["design"].format(n_treated=_n(result.n_treated, language),
                              n_control=_n(result.n_units - result.n_treated, language),
                              n_periods=_n(result.n_periods, language), n_pre=_n(result.n_pre, language),
                              n_post=_n(n_post, language), n_obs=_n(result.n_obs, language)),
        *_staggered_sentence(result, language),
        *inference_sentences(result, language),
        *_conclusion(result, language),
        *pretrend_verdict(result, event_study, language),
    ]


def _staggered_sentence(result, language: str) -> list[str]:
    inf = result.inference
    if inf.get("estimator") != "imputation":
        return []
    cohorts = ", ".join(f"{_date(date, language)}: {_n(n, language)}" for date, n in inf["cohorts"].items())
    return [i18n.words("did", language, "text")["imputation"].format(cohorts=cohorts)]


def _date(value, language: str) -> str:
    if isinstance(value, (int, np.integer, float)) or (isinstance(value, str) and "-" not in value):
        return str(value)  # period numbers and years are not dates
    try:
        return i18n.fmt_date(value, language)
    except Exception:  # noqa: BLE001 - integer or period codes are shown as they are
        return str(value)


def methods_sentences(result, language: str, event_study=None) -> list[str]:
    """The estimator, the inference chosen and why, the assumptions and the pre-trend test."""
    m, inf = i18n.words("did", check_language(language), "methods"), result.inference
    g, g1 = result.n_units, result.n_treated
    out = [m["imputation"] if inf.get("estimator") == "imputation" else
           m["twfe"].format(outcome=result.outcome_label(language))]
    method = inf["method"]
    if method == "cluster":
        sentence = m["cluster"].format(df=_n(g - 1, language), g=_n(g, language), n_treated=_n(g1, language))
    elif method == "wild":
        sentence = m["wild"].format(g=_n(g, language), n_treated=_n(g1, language), reps=_n(inf["reps"], language),
                                    seed=inf["seed"])
    else:
        fewest = min(g1, g - g1)
        side = m["side_treated"] if g1 <= g - g1 else m["side_comparison"]
        assign = (m["ri_exact"].format(g=g, g1=g1, m=_n(inf["n_assignments"], language)) if inf["exact"] else
                  m["ri_sampled"].format(m=_n(inf["n_assignments"], language),
                                         n_possible=_n(inf["n_possible"], language), seed=inf["seed"]))
        sentence = m["ri"].format(fewest=_n(fewest, language), side=side, g=_n(g, language), assign=assign)
        if inf.get("estimator") == "imputation":
            sentence += m["ri_stagger"]
    if str(inf.get("reason", "")).startswith("chosen by the user"):
        sentence += m["user"]
    out.append(sentence)
    out.append(m["assume"].format(items="; ".join(assumptions(language))))
    if event_study is not None:
        out.extend(pretrend_sentences(event_study.pretrend, language))
    return out


def pretrend_test_name(pretrend, language: str) -> tuple[str, bool]:
    """The localized name of the joint pre-trend test and whether it was computed."""
    test = str(pretrend["test"])
    if not pretrend["n_leads"] or test == "no leads":
        return i18n.text("did", "tests.none", language), False
    if test.startswith("not computed"):
        return i18n.text("did", "tests.too_many", language), False
    if "BJS" in test:
        name = i18n.text("did", "tests.bjs", language)
        if "randomization" in test:
            name += ", " + i18n.text("did", "tests." + ("ri_sum" if "squared" in test else "ri_wald"), language)
        elif "F(" in test:
            name += ", " + test[test.index("F("):].replace("-corrected", "")
        return name, True
    if test.startswith("F("):
        return test.replace("-corrected", ""), True  # "F(3, 9), CR1, Hotelling" reads the same in every language
    if "wild" in test:
        return i18n.text("did", "tests.wild", language), True
    return i18n.text("did", "tests." + ("ri_sum" if "squared" in test else "ri_wald"), language), True


def pretrend_sentences(pretrend, language: str) -> list[str]:
    m = i18n.words("did", language, "methods")
    name, computed = pretrend_test_name(pretrend, language)
    if not computed:
        return [m["pretrend_none"].format(why=name)]
    return [m["pretrend"].format(test=name), m["pretrend_result"].format(p=i18n.fmt_p(pretrend["p_value"], language))]


def event_study_sentences(es, language: str) -> list[str]:
    """The event study in words: what it shows, the pre-trend test and the range of the post-period effects."""
    text = i18n.words("did", check_language(language), "event")
    out = [text["intro"].format(outcome=es.outcome_label(language))]
    name, computed = pretrend_test_name(es.pretrend, language)
    if computed:
        out.append(text["pre"].format(p=i18n.fmt_p(es.pretrend["p_value"], language), test=name))
    else:
        out.append(i18n.words("did", language, "methods")["pretrend_none"].format(why=name))
    post = es.table.loc[es.table.index >= 0, "estimate"].to_numpy(dtype=float)
    if post.size:
        d = decimals_for(float(np.nanstd(post)) or abs(float(np.nanmean(post))))
        out.append(text["post"].format(lo=i18n.fmt_number(post.min(), d, language),
                                       hi=i18n.fmt_number(post.max(), d, language)))
    return out
