"""Plain-language sentences for DiD results in Swedish, Norwegian bokmål and English.

>>> fmt(-2.754, "sv")
'−2,75'
>>> fmt(2.754, "en")
'2.75'
"""
from __future__ import annotations

import math

import numpy as np

from evalkit.errors import AnalysisError

__all__ = ["fmt", "fmt_p", "assumptions", "result_sentences", "inference_sentence", "LANGUAGES"]

LANGUAGES = ("sv", "nb", "en")
MINUS = "\u2212"
NBSP = "\u00a0"

_ASSUMPTIONS = {
    "en": [
        "parallel trends (without the change, treated and comparison units would have moved in parallel)",
        "no anticipation (nothing changed in the treated units ahead of the start)",
        "absorbing treatment (once started, the change stayed in place)",
        "no spill-over between districts (the comparison units were not affected by the change)",
    ],
    "sv": [
        "parallella trender (utan förändringen hade enheterna utvecklats parallellt)",
        "inga förväntanseffekter (inget ändrades i förväg inför starten)",
        "bestående behandling (förändringen upphörde inte efter starten)",
        "ingen spridning mellan distrikten (jämförelseenheterna påverkades inte av förändringen)",
    ],
    "nb": [
        "parallelle trender (uten endringen ville enhetene ha utviklet seg parallelt)",
        "ingen forventningseffekter (ingenting endret seg i forkant av starten)",
        "varig behandling (endringen opphørte ikke etter starten)",
        "ingen smitte mellom distriktene (sammenligningsenhetene ble ikke påvirket av endringen)",
    ],
}

_TEXT = {
    "en": {
        "imputation": ("Units started at different dates ({cohorts}); the estimate is the average effect over all "
                       "treated unit-periods from the imputation estimator of Borusyak, Jaravel & Spiess (2024), "
                       "which compares only with not-yet-treated and never-treated observations."),
        "cluster_bjs": ("Standard errors are the conservative cluster-robust ones of Borusyak, Jaravel & Spiess, "
                        "by unit, with a t distribution on {df} degrees of freedom."),
        "main": "The difference-in-differences estimate of the effect on {outcome} is {est} ({ci}; p {p}).",
        "ci": "95%{sp}confidence interval {lo} to {hi}",
        "ci_inf": "the 95% confidence interval is unbounded",
        "design": ("It compares {n_treated} treated with {n_control} comparison units over {n_periods} periods "
                   "({n_pre} before the change and {n_post} from it on), {n_obs} observations in all."),
        "cluster": ("Standard errors are cluster-robust by unit (CR1) with a t distribution on {df} degrees of "
                    "freedom."),
        "wild": ("With only {g} units, the p-value and interval come from a restricted wild cluster bootstrap with "
                 "Webb weights ({reps} replications, seed {seed}), because ordinary cluster-robust standard errors "
                 "are too small with few clusters."),
        "ri": ("With only {n_treated} treated of {g} units, the p-value comes from randomization inference over "
               "{m} ways to choose the treated units{sampled} (seed {seed})."),
        "ri_floor": ("The smallest p-value this design can give is {pmin}, so no result can be statistically "
                     "significant at the 5% level."),
        "ri_ok": "The smallest p-value this design can give is {pmin}.",
        "sampled": ", sampled from {n_possible} possible",
        "assume": "The estimate rests on these assumptions: {items}.",
    },
    "sv": {
        "imputation": ("Enheterna startade vid olika tidpunkter ({cohorts}); skattningen är den genomsnittliga "
                       "effekten över alla behandlade enhetsperioder enligt imputationsskattaren av Borusyak, "
                       "Jaravel & Spiess (2024), som bara jämför med ännu inte och aldrig behandlade observationer."),
        "cluster_bjs": ("Standardfelen är de konservativa klusterrobusta standardfelen enligt Borusyak, Jaravel & "
                        "Spiess, per enhet, med t-fördelning med {df} frihetsgrader."),
        "main": "Skillnad-i-skillnader-skattningen av effekten på {outcome} är {est} ({ci}; p {p}).",
        "ci": "95{sp}% konfidensintervall {lo} till {hi}",
        "ci_inf": "95{sp}% konfidensintervall obegränsat",
        "design": ("Jämförelsen gäller {n_treated} enheter med förändringen och {n_control} jämförelseenheter under "
                   "{n_periods} perioder ({n_pre} före och {n_post} från och med förändringen), totalt {n_obs} "
                   "observationer."),
        "cluster": "Standardfelen är klusterrobusta per enhet (CR1) med t-fördelning med {df} frihetsgrader.",
        "wild": ("Eftersom det bara finns {g} enheter bygger p-värdet och intervallet på en restrikterad vild "
                 "klusterbootstrap med Webb-vikter ({reps} replikeringar, frö {seed}); vanliga klusterrobusta "
                 "standardfel blir för små med få kluster."),
        "ri": ("Eftersom bara {n_treated} av {g} enheter fick förändringen bygger p-värdet på "
               "randomiseringsinferens över {m} sätt att välja dessa enheter{sampled} (frö {seed})."),
        "ri_floor": ("Det minsta p-värde som designen kan ge är {pmin}, så inget resultat kan bli statistiskt "
                     "signifikant på 5-procentsnivån."),
        "ri_ok": "Det minsta p-värde som designen kan ge är {pmin}.",
        "sampled": ", slumpvis valda bland {n_possible} möjliga",
        "assume": "Skattningen bygger på antagandena: {items}.",
    },
    "nb": {
        "imputation": ("Enhetene startet på ulike tidspunkter ({cohorts}); estimatet er den gjennomsnittlige "
                       "effekten over alle behandlede enhetsperioder fra imputasjonsestimatoren til Borusyak, "
                       "Jaravel & Spiess (2024), som bare sammenligner med ennå ikke og aldri behandlede "
                       "observasjoner."),
        "cluster_bjs": ("Standardfeilene er de konservative klyngerobuste standardfeilene til Borusyak, Jaravel & "
                        "Spiess, per enhet, med t-fordeling med {df} frihetsgrader."),
        "main": "Forskjell-i-forskjeller-estimatet av effekten på {outcome} er {est} ({ci}; p {p}).",
        "ci": "95{sp}% konfidensintervall {lo} til {hi}",
        "ci_inf": "95{sp}% konfidensintervall ubegrenset",
        "design": ("Sammenligningen gjelder {n_treated} enheter med endringen og {n_control} sammenligningsenheter "
                   "over {n_periods} perioder ({n_pre} før og {n_post} fra og med endringen), til sammen {n_obs} "
                   "observasjoner."),
        "cluster": "Standardfeilene er klyngerobuste per enhet (CR1) med t-fordeling med {df} frihetsgrader.",
        "wild": ("Fordi det bare er {g} enheter, bygger p-verdien og intervallet på en restriktert vill "
                 "klyngebootstrap med Webb-vekter ({reps} replikasjoner, frø {seed}); vanlige klyngerobuste "
                 "standardfeil blir for små med få klynger."),
        "ri": ("Fordi bare {n_treated} av {g} enheter fikk endringen, bygger p-verdien på randomiseringsinferens "
               "over {m} måter å velge disse enhetene på{sampled} (frø {seed})."),
        "ri_floor": ("Den minste p-verdien designet kan gi er {pmin}, så ingen resultater kan bli statistisk "
                     "signifikante på 5-prosentnivået."),
        "ri_ok": "Den minste p-verdien designet kan gi er {pmin}.",
        "sampled": ", trukket tilfeldig blant {n_possible} mulige",
        "assume": "Estimatet bygger på forutsetningene: {items}.",
    },
}


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise AnalysisError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}.")
    return language


def decimals_for(scale: float) -> int:
    """Decimals that show a quantity of this size to about three significant digits (0–4)."""
    if not np.isfinite(scale) or scale <= 0:
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(scale)))))


def fmt(x: float, language: str = "sv", decimals: int = 2) -> str:
    """A number with the language's decimal mark and minus sign."""
    if not np.isfinite(x):
        return "∞" if x > 0 else (MINUS if language != "en" else "-") + "∞"
    text = f"{abs(x):.{decimals}f}"
    if language != "en":
        text = text.replace(".", ",")
    if x < 0 and float(text.replace(",", ".")) != 0:
        text = (MINUS if language != "en" else "-") + text
    return text


def fmt_p(p: float, language: str = "sv") -> str:
    """``"= 0,041"`` or ``"< 0,001"`` (the relation included, to follow a ``p``)."""
    if p < 0.001:
        return "< " + fmt(0.001, language, 3)
    return "= " + fmt(p, language, 3)


def assumptions(language: str = "en") -> list[str]:
    """The identifying assumptions of DiD in plain words."""
    return list(_ASSUMPTIONS[check_language(language)])


def inference_sentence(result, language: str) -> list[str]:
    text, inf = _TEXT[language], result.inference
    method = inf["method"]
    if method == "cluster":
        key = "cluster_bjs" if inf.get("estimator") == "imputation" else "cluster"
        return [text[key].format(df=result.n_units - 1)]
    if method == "wild":
        return [text["wild"].format(g=result.n_units, reps=inf["reps"], seed=inf["seed"])]
    sampled = "" if inf["exact"] else text["sampled"].format(n_possible=inf["n_possible"])
    out = [text["ri"].format(n_treated=result.n_treated, g=result.n_units, m=inf["n_assignments"],
                             sampled=sampled, seed=inf["seed"])]
    pmin = fmt(inf["smallest_p"], language, 3)
    out.append((text["ri_floor"] if inf["smallest_p"] > 0.05 else text["ri_ok"]).format(pmin=pmin))
    return out


def result_sentences(result, language: str = "sv") -> list[str]:
    """Sentences stating the estimate, interval, p-value, design, inference and assumptions."""
    text = _TEXT[check_language(language)]
    e = result.effect
    sp = NBSP if language != "en" else " "
    finite = np.isfinite([e["ci_low"], e["ci_high"]])
    d = decimals_for(result.inference.get("se_cr1", abs(e["estimate"])))
    if finite.any():
        ci = text["ci"].format(sp=sp, lo=fmt(e["ci_low"], language, d), hi=fmt(e["ci_high"], language, d))
    else:
        ci = text["ci_inf"].format(sp=sp)
    n_post = result.n_periods - result.n_pre
    sentences = [
        text["main"].format(outcome=result.outcome, est=fmt(e["estimate"], language, d), ci=ci,
                            p=fmt_p(e["p_value"], language)),
        text["design"].format(n_treated=result.n_treated, n_control=result.n_units - result.n_treated,
                              n_periods=result.n_periods, n_pre=result.n_pre, n_post=n_post, n_obs=result.n_obs),
        *_staggered_sentence(result, language),
        *inference_sentence(result, language),
        text["assume"].format(items="; ".join(assumptions(language))),
    ]
    return sentences


def _staggered_sentence(result, language: str) -> list[str]:
    inf = result.inference
    if inf.get("estimator") != "imputation":
        return []
    cohorts = ", ".join(f"{date}: {n}" for date, n in inf["cohorts"].items())
    return [_TEXT[language]["imputation"].format(cohorts=cohorts)]
