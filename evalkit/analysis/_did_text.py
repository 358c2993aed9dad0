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
           "points_word", "outcome_label", "check_language", "LANGUAGES"]

LANGUAGES = ("sv", "nb", "en")

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
        "main": "The difference-in-differences estimate of the effect on {outcome} is {est} ({ci}; {p}).",
        "ci": "95% confidence interval {interval}",
        "ci_inf": "the smallest p-value this design can give is {floor}, so no interval can be given",
        "design": ("It compares {n_treated} treated with {n_control} comparison units over {n_periods} periods "
                   "({n_pre} before the change and {n_post} from it on), {n_obs} observations in all."),
        "cluster": "The interval and p-value use cluster-robust standard errors by unit (CR1).",
        "cluster_bjs": ("The interval and p-value use the conservative cluster-robust standard errors of Borusyak, "
                        "Jaravel & Spiess, by unit."),
        "wild": ("With only {g} units, the p-value and interval come from a restricted wild cluster bootstrap, "
                 "because ordinary cluster-robust standard errors are too small with few clusters."),
        "ri": ("With only {n_treated} treated of {g} units, the p-value comes from randomization inference: the "
               "estimate is compared with the estimates from {m} ways to choose the treated units{sampled}."),
        "ri_floor": ("The smallest p-value this design can give is {pmin} (1/{m}), so no result can be "
                     "statistically significant at the 5% level."),
        "ri_ok": "The smallest p-value this design can give is {pmin}.",
        "sampled": ", sampled from {n_possible} possible",
        "at_floor": ("None of the other assignments gave an estimate as large as the observed one; that is as much "
                     "evidence as this design can give. Read the estimate as descriptive evidence of a difference, "
                     "not as a significance test."),
        "floor_not": ("The estimate is not among the most extreme assignments. Read it as descriptive: the design "
                      "cannot separate it from chance."),
        "significant": ("The effect is statistically significant at the 5% level: a difference this large would be "
                        "unlikely if the change had no effect, provided the assumptions below hold."),
        "not_significant": ("The effect is not statistically significant at the 5% level: the data cannot tell it "
                            "apart from chance variation, which does not show that there was no effect."),
        "ri_constant": "The interval assumes the same effect in every treated unit.",
        "assume": "The estimate rests on these assumptions: {items}.",
        "pt_reject": ("The joint test of the periods before the start rejects parallel trends ({p}): the groups "
                      "were already drifting apart, so the estimate should not be read as the effect of the change."),
        "pt_floor": ("The joint test of the periods before the start gave {p}, the smallest this design allows: the "
                     "groups differed more before the start than under any other assignment, so parallel trends are "
                     "doubtful (see the event-study figure)."),
        "pt_ok": ("The joint test of the periods before the start gave {p}: no clear sign of diverging trends, which "
                  "supports but cannot prove the parallel-trends assumption."),
        "one_pre": ("With a single period before the change, whether the groups were on parallel trends cannot be "
                    "tested; the estimate rests on that assumption alone."),
    },
    "sv": {
        "imputation": ("Enheterna startade vid olika tidpunkter ({cohorts}); skattningen är den genomsnittliga "
                       "effekten över alla behandlade enhetsperioder enligt imputationsskattaren av Borusyak, "
                       "Jaravel & Spiess (2024), som bara jämför med ännu inte och aldrig behandlade observationer."),
        "main": "Skillnad-i-skillnader-skattningen av effekten på {outcome} är {est} ({ci}; {p}).",
        "ci": "95 % konfidensintervall {interval}",
        "ci_inf": "med den här designen kan p-värdet inte bli lägre än {floor}, så inget intervall kan anges",
        "design": ("Jämförelsen gäller {n_treated} enheter med förändringen och {n_control} jämförelseenheter under "
                   "{n_periods} perioder ({n_pre} före och {n_post} från och med förändringen), totalt {n_obs} "
                   "observationer."),
        "cluster": "Intervall och p-värde bygger på klusterrobusta standardfel per enhet (CR1).",
        "cluster_bjs": ("Intervall och p-värde bygger på de konservativa klusterrobusta standardfelen enligt "
                        "Borusyak, Jaravel & Spiess, per enhet."),
        "wild": ("Eftersom det bara finns {g} enheter bygger p-värdet och intervallet på en restrikterad vild "
                 "klusterbootstrap; vanliga klusterrobusta standardfel blir för små med få kluster."),
        "ri": ("Eftersom bara {n_treated} av {g} enheter fick förändringen bygger p-värdet på "
               "randomiseringsinferens: skattningen jämförs med skattningarna för {m} sätt att välja dessa "
               "enheter{sampled}."),
        "ri_floor": ("Det minsta p-värde som designen kan ge är {pmin} (1/{m}), så inget resultat kan bli "
                     "statistiskt signifikant på 5-procentsnivån."),
        "ri_ok": "Det minsta p-värde som designen kan ge är {pmin}.",
        "sampled": ", slumpvis valda bland {n_possible} möjliga",
        "at_floor": ("Ingen annan tilldelning gav en lika stor skattning som den observerade; starkare stöd än så kan "
                     "designen inte ge. Skattningen bör läsas som ett beskrivande tecken på en skillnad, inte som ett "
                     "signifikanstest."),
        "floor_not": ("Skattningen hör inte till de mest extrema tilldelningarna. Den bör läsas som beskrivande: "
                      "designen kan inte skilja den från slumpen."),
        "significant": ("Effekten är statistiskt signifikant på 5-procentsnivån: en så stor skillnad vore osannolik "
                        "om förändringen inte hade haft någon effekt, förutsatt att antagandena håller."),
        "not_significant": ("Effekten är inte statistiskt signifikant på 5-procentsnivån: data kan inte skilja den "
                            "från slumpmässig variation, vilket inte visar att förändringen saknade effekt."),
        "ri_constant": "Intervallet förutsätter samma effekt i alla enheter med förändringen.",
        "assume": "Skattningen bygger på antagandena: {items}.",
        "pt_reject": ("Det gemensamma testet av perioderna före starten förkastar parallella trender ({p}): grupperna "
                      "gled isär redan före starten, så skattningen bör inte läsas som förändringens effekt."),
        "pt_floor": ("Det gemensamma testet av perioderna före starten gav {p}, det minsta designen medger: grupperna "
                     "skilde sig mer före starten än vid någon annan tilldelning, så antagandet om parallella trender "
                     "är tveksamt (se figuren med event study)."),
        "pt_ok": ("Det gemensamma testet av perioderna före starten gav {p}: inget tydligt tecken på olika trender, "
                  "vilket stöder men inte bevisar antagandet om parallella trender."),
        "one_pre": ("Med bara en period före förändringen går det inte att pröva om grupperna följde parallella "
                    "trender; skattningen vilar helt på det antagandet."),
    },
    "nb": {
        "imputation": ("Enhetene startet på ulike tidspunkter ({cohorts}); estimatet er den gjennomsnittlige "
                       "effekten over alle behandlede enhetsperioder fra imputasjonsestimatoren til Borusyak, "
                       "Jaravel & Spiess (2024), som bare sammenligner med ennå ikke og aldri behandlede "
                       "observasjoner."),
        "main": "Forskjell-i-forskjeller-estimatet av effekten på {outcome} er {est} ({ci}; {p}).",
        "ci": "95 % konfidensintervall {interval}",
        "ci_inf": "med dette designet kan p-verdien ikke bli lavere enn {floor}, så intet intervall kan angis",
        "design": ("Sammenligningen gjelder {n_treated} enheter med endringen og {n_control} sammenligningsenheter "
                   "over {n_periods} perioder ({n_pre} før og {n_post} fra og med endringen), til sammen {n_obs} "
                   "observasjoner."),
        "cluster": "Intervall og p-verdi bygger på klyngerobuste standardfeil per enhet (CR1).",
        "cluster_bjs": ("Intervall og p-verdi bygger på de konservative klyngerobuste standardfeilene til Borusyak, "
                        "Jaravel & Spiess, per enhet."),
        "wild": ("Fordi det bare er {g} enheter, bygger p-verdien og intervallet på en restriktert vill "
                 "klyngebootstrap; vanlige klyngerobuste standardfeil blir for små med få klynger."),
        "ri": ("Fordi bare {n_treated} av {g} enheter fikk endringen, bygger p-verdien på randomiseringsinferens: "
               "estimatet sammenlignes med estimatene for {m} måter å velge disse enhetene på{sampled}."),
        "ri_floor": ("Den minste p-verdien designet kan gi er {pmin} (1/{m}), så ingen resultater kan bli statistisk "
                     "signifikante på 5-prosentnivået."),
        "ri_ok": "Den minste p-verdien designet kan gi er {pmin}.",
        "sampled": ", trukket tilfeldig blant {n_possible} mulige",
        "at_floor": ("Ingen annen tildeling ga et like stort estimat som det observerte; sterkere støtte kan ikke "
                     "designet gi. Estimatet bør leses som et beskrivende tegn på en forskjell, ikke som en "
                     "signifikanstest."),
        "floor_not": ("Estimatet er ikke blant de mest ekstreme tildelingene. Det bør leses som beskrivende: "
                      "designet kan ikke skille det fra tilfeldigheter."),
        "significant": ("Effekten er statistisk signifikant på 5-prosentnivået: en så stor forskjell ville vært "
                        "usannsynlig om endringen ikke hadde hatt noen effekt, forutsatt at forutsetningene holder."),
        "not_significant": ("Effekten er ikke statistisk signifikant på 5-prosentnivået: dataene kan ikke skille den "
                            "fra tilfeldig variasjon, noe som ikke viser at endringen var uten effekt."),
        "ri_constant": "Intervallet forutsetter samme effekt i alle enheter med endringen.",
        "assume": "Estimatet bygger på forutsetningene: {items}.",
        "pt_reject": ("Den felles testen av periodene før starten forkaster parallelle trender ({p}): gruppene gled "
                      "fra hverandre allerede før starten, så estimatet bør ikke leses som endringens effekt."),
        "pt_floor": ("Den felles testen av periodene før starten ga {p}, det minste designet tillater: gruppene "
                     "skilte seg mer før starten enn ved noen annen tildeling, så forutsetningen om parallelle "
                     "trender er tvilsom (se figuren med event study)."),
        "pt_ok": ("Den felles testen av periodene før starten ga {p}: ingen tydelige tegn på ulike trender, noe som "
                  "støtter, men ikke beviser, forutsetningen om parallelle trender."),
        "one_pre": ("Med bare én periode før endringen kan det ikke testes om gruppene fulgte parallelle trender; "
                    "estimatet hviler helt på den forutsetningen."),
    },
}

_METHODS = {
    "en": {
        "twfe": ("The effect was estimated by difference-in-differences: a regression of {outcome} on unit and "
                 "period fixed effects (two-way fixed effects, absorbed by the within transformation) and an "
                 "indicator for treated units from the start of the change on; the effect is that indicator's "
                 "coefficient (the same estimate as Stata reghdfe or xtreg, fe with period dummies)."),
        "imputation": ("Because units started at different dates, the effect was estimated by the imputation "
                       "estimator of Borusyak, Jaravel & Spiess (2024; Stata did_imputation): unit and period "
                       "effects fitted on untreated observations only, the untreated outcome imputed for every "
                       "treated observation and the differences averaged. Two-way fixed effects would use "
                       "already-treated units as comparisons and can be biased (Goodman-Bacon 2021)."),
        "cluster": ("Inference: cluster-robust standard errors by unit (CR1) with a t distribution on {df} degrees "
                    "of freedom; with {g} units ({n_treated} treated) there are enough clusters for them."),
        "wild": ("Inference: with {g} units ({n_treated} treated) cluster-robust standard errors are too small "
                 "(Cameron, Gelbach & Miller 2008), so p-values and intervals come from a restricted wild cluster "
                 "bootstrap with Webb's six-point weights, {reps} replications, seed {seed} (Roodman et al. 2019; "
                 "Stata boottest); the interval is found by inverting the test."),
        "ri": ("Inference: with only {fewest} of {g} units {side}, the wild cluster bootstrap is unreliable "
               "(MacKinnon & Webb 2017), so the p-value comes from randomization inference over {assign}; the "
               "95% interval holds the constant effects the test does not reject."),
        "ri_exact": "all C({g}, {g1}) = {m} assignments of the change to units (exact)",
        "ri_sampled": "{m} assignments of the change to units sampled from {n_possible} (seed {seed})",
        "ri_stagger": " With different start dates the test re-assigns the start dates to units.",
        "side_treated": "treated",
        "side_comparison": "in the comparison group",
        "user": " The method was chosen by the user.",
        "assume": "The design assumes {items}.",
        "pretrend": ("Parallel trends were checked with an event study: one coefficient per period before and after "
                     "the start (reference: the period before the start) and a joint test that all coefficients "
                     "before the start are zero ({test})."),
        "pretrend_result": "The joint pre-trend test gave {p}.",
        "pretrend_none": "The joint pre-trend test could not be computed: {why}.",
    },
    "sv": {
        "twfe": ("Effekten skattades med skillnad-i-skillnader: en regression av {outcome} på fixa effekter för "
                 "enhet och period (tvåvägs fixa effekter, absorberade genom within-transformation) och en "
                 "indikator för enheterna med förändringen från starten; effekten är indikatorns koefficient "
                 "(samma skattning som Stata reghdfe eller xtreg, fe med periodindikatorer)."),
        "imputation": ("Eftersom enheterna startade vid olika tidpunkter skattades effekten med imputationsskattaren "
                       "av Borusyak, Jaravel & Spiess (2024; Stata did_imputation): enhets- och periodeffekter "
                       "skattas på obehandlade observationer, utfallet utan förändring imputeras för varje behandlad "
                       "observation och skillnaderna medelvärdesbildas. Tvåvägs fixa effekter skulle använda redan "
                       "behandlade enheter som jämförelse och kan ge snedvridna skattningar (Goodman-Bacon 2021)."),
        "cluster": ("Inferens: klusterrobusta standardfel per enhet (CR1) med t-fördelning med {df} frihetsgrader; "
                    "med {g} enheter ({n_treated} med förändringen) finns tillräckligt många kluster för dem."),
        "wild": ("Inferens: med {g} enheter ({n_treated} med förändringen) blir klusterrobusta standardfel för små "
                 "(Cameron, Gelbach & Miller 2008), så p-värden och intervall kommer från en restrikterad vild "
                 "klusterbootstrap med Webbs sexpunktsvikter, {reps} replikeringar, frö {seed} (Roodman m.fl. 2019; "
                 "Stata boottest); intervallet fås genom att invertera testet."),
        "ri": ("Inferens: när bara {fewest} av {g} enheter {side} är den vilda klusterbootstrapen opålitlig "
               "(MacKinnon & Webb 2017), så p-värdet kommer från randomiseringsinferens över {assign}; "
               "95 %-intervallet består av de konstanta effekter som testet inte förkastar."),
        "ri_exact": "alla C({g}, {g1}) = {m} sätt att tilldela förändringen till enheterna (exakt)",
        "ri_sampled": "{m} tilldelningar av förändringen slumpvis valda bland {n_possible} (frö {seed})",
        "ri_stagger": " Med olika startdatum fördelar testet om startdatumen mellan enheterna.",
        "side_treated": "fick förändringen",
        "side_comparison": "var jämförelseenheter",
        "user": " Metoden valdes av användaren.",
        "assume": "Designen förutsätter {items}.",
        "pretrend": ("Antagandet om parallella trender prövades med en event study: en koefficient per period före "
                     "och efter starten (referens: perioden före starten) och ett gemensamt test av att alla "
                     "koefficienter före starten är noll ({test})."),
        "pretrend_result": "Det gemensamma testet av trenderna före starten gav {p}.",
        "pretrend_none": "Det gemensamma testet av trenderna före starten kunde inte beräknas: {why}.",
    },
    "nb": {
        "twfe": ("Effekten ble estimert med forskjell-i-forskjeller: en regresjon av {outcome} på faste effekter for "
                 "enhet og periode (toveis faste effekter, absorbert ved within-transformasjon) og en indikator for "
                 "enhetene med endringen fra starten; effekten er indikatorens koeffisient (samme estimat som Stata "
                 "reghdfe eller xtreg, fe med periodeindikatorer)."),
        "imputation": ("Fordi enhetene startet på ulike tidspunkter, ble effekten estimert med imputasjonsestimatoren "
                       "til Borusyak, Jaravel & Spiess (2024; Stata did_imputation): enhets- og periodeeffekter "
                       "estimeres på ubehandlede observasjoner, utfallet uten endring imputeres for hver behandlet "
                       "observasjon og forskjellene gjennomsnittberegnes. Toveis faste effekter ville brukt allerede "
                       "behandlede enheter som sammenligning og kan gi skjeve estimater (Goodman-Bacon 2021)."),
        "cluster": ("Inferens: klyngerobuste standardfeil per enhet (CR1) med t-fordeling med {df} frihetsgrader; "
                    "med {g} enheter ({n_treated} med endringen) er det nok klynger til dem."),
        "wild": ("Inferens: med {g} enheter ({n_treated} med endringen) blir klyngerobuste standardfeil for små "
                 "(Cameron, Gelbach & Miller 2008), så p-verdier og intervaller kommer fra en restriktert vill "
                 "klyngebootstrap med Webbs sekspunktsvekter, {reps} replikasjoner, frø {seed} (Roodman mfl. 2019; "
                 "Stata boottest); intervallet finnes ved å invertere testen."),
        "ri": ("Inferens: når bare {fewest} av {g} enheter {side}, er den ville klyngebootstrapen upålitelig "
               "(MacKinnon & Webb 2017), så p-verdien kommer fra randomiseringsinferens over {assign}; "
               "95 %-intervallet består av de konstante effektene testen ikke forkaster."),
        "ri_exact": "alle C({g}, {g1}) = {m} måter å tildele endringen til enhetene på (eksakt)",
        "ri_sampled": "{m} tildelinger av endringen trukket tilfeldig blant {n_possible} (frø {seed})",
        "ri_stagger": " Med ulike startdatoer fordeler testen startdatoene på nytt mellom enhetene.",
        "side_treated": "fikk endringen",
        "side_comparison": "var sammenligningsenheter",
        "user": " Metoden ble valgt av brukeren.",
        "assume": "Designet forutsetter {items}.",
        "pretrend": ("Forutsetningen om parallelle trender ble undersøkt med en event study: én koeffisient per "
                     "periode før og etter starten (referanse: perioden før starten) og en felles test av at alle "
                     "koeffisientene før starten er null ({test})."),
        "pretrend_result": "Den felles testen av trendene før starten ga {p}.",
        "pretrend_none": "Den felles testen av trendene før starten kunne ikke beregnes: {why}.",
    },
}

# The event-study test names, keyed by what EventStudyResult.pretrend["test"] says in English.
_TESTS = {
    "F": {"en": "F test, CR1", "sv": "F-test, CR1", "nb": "F-test, CR1"},
    "wild": {"en": "restricted wild cluster bootstrap of the Wald statistic", "sv": "restrikterad vild "
             "klusterbootstrap av Wald-statistikan", "nb": "restriktert vill klyngebootstrap av Wald-statistikken"},
    "ri_wald": {"en": "randomization inference of the Wald statistic", "sv": "randomiseringsinferens av "
                "Wald-statistikan", "nb": "randomiseringsinferens av Wald-statistikken"},
    "ri_sum": {"en": "randomization inference of the sum of squared coefficients", "sv": "randomiseringsinferens "
               "av summan av de kvadrerade koefficienterna", "nb": "randomiseringsinferens av summen av de "
               "kvadrerte koeffisientene"},
    "bjs": {"en": "the pre-trend test of Borusyak, Jaravel & Spiess on untreated observations", "sv": "förtrendtestet "
            "enligt Borusyak, Jaravel & Spiess på obehandlade observationer", "nb": "fortrendtesten til Borusyak, "
            "Jaravel & Spiess på ubehandlede observasjoner"},
    "too_many": {"en": "more periods before the start than the clusters allow; fewer leads would be needed",
                 "sv": "fler perioder före starten än klustren medger; färre ledperioder skulle behövas",
                 "nb": "flere perioder før starten enn klyngene tillater; færre ledperioder ville vært nødvendig"},
    "none": {"en": "no periods before the start to test", "sv": "inga perioder före starten att pröva",
             "nb": "ingen perioder før starten å teste"},
}

_EVENT = {
    "en": {"pre": "Before the start the coefficients' joint test gave {p} ({test}).",
           "post": "After the start the estimated effect per period ranged from {lo} to {hi}.",
           "intro": "Event study of {outcome}: the difference between treated and comparison units in each period "
                    "relative to the period before the start."},
    "sv": {"pre": "Före starten gav det gemensamma testet av koefficienterna {p} ({test}).",
           "post": "Efter starten låg den skattade effekten per period mellan {lo} och {hi}.",
           "intro": "Event study av {outcome}: skillnaden mellan enheterna med förändringen och jämförelseenheterna "
                    "i varje period, i förhållande till perioden före starten."},
    "nb": {"pre": "Før starten ga den felles testen av koeffisientene {p} ({test}).",
           "post": "Etter starten lå den estimerte effekten per periode mellom {lo} og {hi}.",
           "intro": "Event study av {outcome}: forskjellen mellom enhetene med endringen og "
                    "sammenligningsenhetene i hver periode, i forhold til perioden før starten."},
}


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise AnalysisError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}.")
    return language


def outcome_label(column: str, language: str) -> str:
    """The human label of an outcome-panel column (e.g. "beviljade timmar per brukare och månad")."""
    return _labels.outcome_label(column, language)


_POINTS = {"sv": "procentenheter", "nb": "prosentpoeng", "en": "percentage points"}


def effect_scale(column: str) -> float:
    """100 for share outcomes (0–1), whose effects read in percentage points; else 1."""
    return 100.0 if _labels.is_share(column) else 1.0


def points_word(column: str, language: str) -> str:
    """" procentenheter" after a share outcome's effect (empty for other outcomes)."""
    return " " + _POINTS[language] if _labels.is_share(column) else ""


def decimals_for(scale: float) -> int:
    """Decimals that show a quantity of this size to about three significant digits (0–4)."""
    if not np.isfinite(scale) or scale <= 0:
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(scale)))))


def assumptions(language: str = "en") -> list[str]:
    """The identifying assumptions of DiD in plain words."""
    return list(_ASSUMPTIONS[check_language(language)])


def _n(x, language: str) -> str:
    return i18n.fmt_int(x, language)


def inference_sentences(result, language: str) -> list[str]:
    """What the inference method is, in words, and (for RI) the smallest attainable p-value."""
    text, inf = _TEXT[language], result.inference
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
    text, inf, p = _TEXT[language], result.inference, float(result.effect["p_value"])
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
        return [_TEXT[language]["one_pre"]]
    if event_study is None:
        return []
    pretrend = event_study.pretrend
    if not pretrend_test_name(pretrend, language)[1] or not np.isfinite(pretrend["p_value"]):
        return []
    text, p = _TEXT[language], float(pretrend["p_value"])
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
    text = _TEXT[check_language(language)]
    scale, unit = effect_scale(result.outcome), points_word(result.outcome, language)
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
    return [_TEXT[language]["imputation"].format(cohorts=cohorts)]


def _date(value, language: str) -> str:
    if isinstance(value, (int, np.integer, float)) or (isinstance(value, str) and "-" not in value):
        return str(value)  # period numbers and years are not dates
    try:
        return i18n.fmt_date(value, language)
    except Exception:  # noqa: BLE001 - integer or period codes are shown as they are
        return str(value)


def methods_sentences(result, language: str, event_study=None) -> list[str]:
    """The estimator, the inference chosen and why, the assumptions and the pre-trend test."""
    m, inf = _METHODS[check_language(language)], result.inference
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
        return _TESTS["none"][language], False
    if test.startswith("not computed"):
        return _TESTS["too_many"][language], False
    if "BJS" in test:
        name = _TESTS["bjs"][language]
        if "randomization" in test:
            name += ", " + _TESTS["ri_sum" if "squared" in test else "ri_wald"][language]
        elif "F(" in test:
            name += ", " + test[test.index("F("):].replace("-corrected", "")
        return name, True
    if test.startswith("F("):
        return test.replace("-corrected", ""), True  # "F(3, 9), CR1, Hotelling" reads the same in every language
    if "wild" in test:
        return _TESTS["wild"][language], True
    return _TESTS["ri_sum" if "squared" in test else "ri_wald"][language], True


def pretrend_sentences(pretrend, language: str) -> list[str]:
    m = _METHODS[language]
    name, computed = pretrend_test_name(pretrend, language)
    if not computed:
        return [m["pretrend_none"].format(why=name)]
    return [m["pretrend"].format(test=name), m["pretrend_result"].format(p=i18n.fmt_p(pretrend["p_value"], language))]


def event_study_sentences(es, language: str) -> list[str]:
    """The event study in words: what it shows, the pre-trend test and the range of the post-period effects."""
    text = _EVENT[check_language(language)]
    out = [text["intro"].format(outcome=es.outcome_label(language))]
    name, computed = pretrend_test_name(es.pretrend, language)
    if computed:
        out.append(text["pre"].format(p=i18n.fmt_p(es.pretrend["p_value"], language), test=name))
    else:
        out.append(_METHODS[language]["pretrend_none"].format(why=name))
    post = es.table.loc[es.table.index >= 0, "estimate"].to_numpy(dtype=float)
    if post.size:
        d = decimals_for(float(np.nanstd(post)) or abs(float(np.nanmean(post))))
        out.append(text["post"].format(lo=i18n.fmt_number(post.min(), d, language),
                                       hi=i18n.fmt_number(post.max(), d, language)))
    return out
