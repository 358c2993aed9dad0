"""The words of the answers to the research questions and of the drafted conclusions (sv, nb, en).

Everything here is written from :class:`evalkit.findings.Finding` numbers: an interval in an answer is the
finding's, which is the table's (same row, same columns, same decimals), bounds low to high. A finding that
is not clear is told as "no clear change", never as a rise or a fall. All wording is in :data:`_TEXT` (one
module, for the catalogue migration); numbers are formatted by :mod:`evalkit.i18n`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from evalkit import i18n
from evalkit.blocks import Bullets, Heading, Paragraph
from evalkit.findings import Finding

__all__ = ["finding_sentence", "answer", "summary_paragraph", "conclusions_blocks", "interval_text",
           "split_paragraphs", "CAVEAT_KEYS"]

_TEXT = {
    # -- units -------------------------------------------------------------------------------------------
    "unit_days": {"sv": "dagar", "nb": "dager", "en": "days"},
    "unit_hours": {"sv": "timmar", "nb": "timer", "en": "hours"},
    "unit_staff": {"sv": "personer", "nb": "personer", "en": "staff"},
    "unit_points": {"sv": "procentenheter", "nb": "prosentpoeng", "en": "percentage points"},
    "ci": {"sv": "95 % KI", "nb": "95 % KI", "en": "95% CI"},
    "per_month": {"sv": "per månad", "nb": "per måned", "en": "per month"},
    "per_year": {"sv": "per år", "nb": "per år", "en": "per year"},
    "per_period": {"sv": "per period", "nb": "per periode", "en": "per period"},
    "up": {"sv": "ökade", "nb": "økte", "en": "rose"},
    "down": {"sv": "minskade", "nb": "sank", "en": "fell"},
    # -- one finding ---------------------------------------------------------------------------------------
    "level_clear": {
        "sv": "{label} {verb} efter {change}: från {before} till {after} vid införandet, en förändring med "
              "omkring {size} ({ci} {interval}).",
        "nb": "{label} {verb} etter {change}: fra {before} til {after} ved innføringen, en endring på omkring "
              "{size} ({ci} {interval}).",
        "en": "{label} {verb} after {change}: from {before} to {after} at the change, a change of about {size} "
              "({ci} {interval})."},
    "level_unclear": {
        "sv": "{label}: ingen tydlig förändring efter {change} (skattad förändring {signed}; {ci} {interval}); "
              "nivån vid införandet var omkring {before}.",
        "nb": "{label}: ingen tydelig endring etter {change} (anslått endring {signed}; {ci} {interval}); "
              "nivået ved innføringen var omkring {before}.",
        "en": "{label}: no clear change after {change} (estimated change {signed}; {ci} {interval}); the level at "
              "the change was about {before}."},
    "ratio_clear": {
        "sv": "{label} {verb} efter {change} med omkring {pct} (kvot {ratio}; {ci} {interval}): från {before} "
              "till {after} {per} vid införandet.",
        "nb": "{label} {verb} etter {change} med omkring {pct} (ratio {ratio}; {ci} {interval}): fra {before} "
              "til {after} {per} ved innføringen.",
        "en": "{label} {verb} after {change} by about {pct} (rate ratio {ratio}; {ci} {interval}): from {before} "
              "to {after} {per} at the change."},
    "ratio_unclear": {
        "sv": "{label}: ingen tydlig förändring efter {change} (kvot {ratio}; {ci} {interval}).",
        "nb": "{label}: ingen tydelig endring etter {change} (ratio {ratio}; {ci} {interval}).",
        "en": "{label}: no clear change after {change} (rate ratio {ratio}; {ci} {interval})."},
    "slope_clear": {
        "sv": "Därefter {verb} trenden med {size} {per} ({ci} {interval}).",
        "nb": "Deretter {verb} trenden med {size} {per} ({ci} {interval}).",
        "en": "After that the trend {verb} by {size} {per} ({ci} {interval})."},
    "slope_unclear": {
        "sv": "Trenden förändrades inte tydligt därefter ({signed} {per}; {ci} {interval}).",
        "nb": "Trenden endret seg ikke tydelig deretter ({signed} {per}; {ci} {interval}).",
        "en": "The trend did not change clearly after that ({signed} {per}; {ci} {interval})."},
    "did_clear": {
        "sv": "{label} {verb} i enheterna med förändringen jämfört med jämförelseenheterna: från {before} till "
              "{after} i enheterna med förändringen, en skillnad på omkring {size} utöver förändringen i "
              "jämförelseenheterna ({stat}).",
        "nb": "{label} {verb} i enhetene med endringen sammenlignet med sammenligningsenhetene: fra {before} "
              "til {after} i enhetene med endringen, en forskjell på omkring {size} utover endringen i "
              "sammenligningsenhetene ({stat}).",
        "en": "{label} {verb} in the units with the change relative to the comparison units: from {before} to "
              "{after} in the units with the change, a difference of about {size} beyond the change in the "
              "comparison units ({stat})."},
    "did_unclear": {
        "sv": "{label}: ingen tydlig skillnad mot jämförelseenheterna (i enheterna med förändringen från {before} "
              "till {after}; skillnad i skillnader {signed}; {stat}).",
        "nb": "{label}: ingen tydelig forskjell mot sammenligningsenhetene (i enhetene med endringen fra {before} "
              "til {after}; forskjell i forskjeller {signed}; {stat}).",
        "en": "{label}: no clear difference from the comparison units (in the units with the change from {before} "
              "to {after}; difference-in-differences {signed}; {stat})."},
    "did_clear_nolevels": {
        "sv": "{label} {verb} i enheterna med förändringen jämfört med jämförelseenheterna, med omkring {size} "
              "({stat}).",
        "nb": "{label} {verb} i enhetene med endringen sammenlignet med sammenligningsenhetene, med omkring {size} "
              "({stat}).",
        "en": "{label} {verb} in the units with the change relative to the comparison units, by about {size} "
              "({stat})."},
    "did_unclear_nolevels": {
        "sv": "{label}: ingen tydlig skillnad mot jämförelseenheterna (skillnad i skillnader {signed}; {stat}).",
        "nb": "{label}: ingen tydelig forskjell mot sammenligningsenhetene (forskjell i forskjeller {signed}; "
              "{stat}).",
        "en": "{label}: no clear difference from the comparison units (difference-in-differences {signed}; "
              "{stat})."},
    "exact_p": {"sv": "exakt {p}; det minsta p-värde utformningen medger är {floor}",
                "nb": "eksakt {p}; den minste p-verdien designet tillater, er {floor}",
                "en": "exact {p}; the smallest p-value the design allows is {floor}"},
    "pretrend_ok": {"sv": "Före starten utvecklades {label} parallellt hos enheterna med förändringen och "
                          "jämförelseenheterna, så långt testet kan visa (gemensamt test av perioderna före "
                          "starten: {p}).",
                    "nb": "Før starten utviklet {label} seg parallelt i enhetene med endringen og "
                          "sammenligningsenhetene, så langt testen kan vise (felles test av periodene før starten: "
                          "{p}).",
                    "en": "Before the start, {label} moved in parallel in the units with the change and the "
                          "comparison units, as far as the test can show (joint test of the periods before the "
                          "start: {p})."},
    "pretrend_cannot": {"sv": "Testet av om {label} utvecklades parallellt före starten gav {p}; med så få enheter "
                              "kan det inte ge ett p-värde under {floor}, så det kan varken visa eller utesluta "
                              "olika trender.",
                        "nb": "Testen av om {label} utviklet seg parallelt før starten, ga {p}; med så få enheter "
                              "kan den ikke gi en p-verdi under {floor}, så den kan verken vise eller utelukke "
                              "ulike trender.",
                        "en": "The test of whether {label} moved in parallel before the start gave {p}; with so few "
                              "units it cannot give a p-value below {floor}, so it can neither show nor rule out "
                              "different trends."},
    "pretrend_bad": {"sv": "Före starten utvecklades {label} inte parallellt hos enheterna med förändringen och "
                           "jämförelseenheterna (gemensamt test av perioderna före starten: {p}).",
                     "nb": "Før starten utviklet {label} seg ikke parallelt i enhetene med endringen og "
                           "sammenligningsenhetene (felles test av periodene før starten: {p}).",
                     "en": "Before the start, {label} did not move in parallel in the units with the change and "
                           "the comparison units (joint test of the periods before the start: {p})."},
    "item_clear": {
        "sv": "{label} {verb} från {before} till {after} ({signed} {unit}, {ci} {interval})",
        "nb": "{label} {verb} fra {before} til {after} ({signed} {unit}, {ci} {interval})",
        "en": "{label} {verb} from {before} to {after} ({signed} {unit}, {ci} {interval})"},
    "adjusted_p": {"sv": " – inte säkerställd efter justering för flera jämförelser ({p})",
                   "nb": " – ikke sikker etter justering for flere sammenligninger ({p})",
                   "en": " – not confirmed after adjustment for multiple comparisons ({p})"},
    "items_lead": {"sv": "{title}: ", "nb": "{title}: ", "en": "{title}: "},
    "items_rest": {
        "sv": "ingen tydlig förändring för {n} av {total} {what}.",
        "nb": "ingen tydelig endring for {n} av {total} {what}.",
        "en": "no clear change for {n} of {total} {what}."},
    "items_none_clear": {
        "sv": "ingen tydlig förändring för någon av {total} {what}.",
        "nb": "ingen tydelig endring for noen av {total} {what}.",
        "en": "no clear change for any of the {total} {what}."},
    "items_better": {"sv": "{n} av {total} {what} förbättrades tydligt", "nb": "{n} av {total} {what} ble tydelig "
                     "bedre", "en": "{n} of {total} {what} clearly improved"},
    "items_worse": {"sv": "men {items}", "nb": "men {items}", "en": "but {items}"},
    "items_others": {"sv": "för övriga {n} syntes ingen tydlig förändring",
                     "nb": "for de øvrige {n} var det ingen tydelig endring",
                     "en": "the other {n} showed no clear change"},
    "what_survey": {"sv": "frågor", "nb": "spørsmål", "en": "questions"},
    "what_audit": {"sv": "granskningspunkter", "nb": "gjennomgangspunkter", "en": "audit items"},
    "withheld": {"sv": "{label}: redovisas inte (för få fall).", "nb": "{label}: vises ikke (for få tilfeller).",
                 "en": "{label}: not shown (too few cases)."},
    # -- how sure --------------------------------------------------------------------------------------------
    "sure_all": {"sv": "Resultatet är tydligt: intervallen utesluter att ingenting förändrades.",
                 "nb": "Resultatet er tydelig: intervallene utelukker at ingenting endret seg.",
                 "en": "The result is clear: the intervals rule out no change."},
    "sure_some": {"sv": "Resultaten är tydliga för en del av måtten, men inte för alla.",
                  "nb": "Resultatene er tydelige for noen av målene, men ikke for alle.",
                  "en": "The results are clear for some of the measures, but not for all."},
    "sure_none": {"sv": "Underlaget visar ingen tydlig förändring; det betyder inte att det säkert inte skett "
                        "någon förändring.",
                  "nb": "Materialet viser ingen tydelig endring; det betyr ikke at det sikkert ikke har skjedd "
                        "noen endring.",
                  "en": "The data show no clear change; that does not mean there certainly was none."},
    "no_findings": {"sv": "Analyserna som besvarar frågan redovisas nedan; de ger inga sammanfattande skattningar.",
                    "nb": "Analysene som besvarer spørsmålet, vises nedenfor; de gir ingen oppsummerende estimater.",
                    "en": "The analyses answering the question are shown below; they give no summary estimates."},
    "not_answered": {"sv": "Frågan besvaras inte av någon analys i utvärderingen.",
                     "nb": "Spørsmålet besvares ikke av noen analyse i evalueringen.",
                     "en": "No analysis of the evaluation answers this question."},
    "see_results": {"sv": "Övriga analyser ({titles}) redovisas i resultat- och genomförandekapitlen.",
                    "nb": "Øvrige analyser ({titles}) vises i resultat- og gjennomføringskapitlene.",
                    "en": "The other analyses ({titles}) are reported in the results and implementation chapters."},
    "design_did": {"sv": "Jämförelsen med områden utan förändringen tar hänsyn till det som hände i hela kommunen "
                         "under samma tid.",
                   "nb": "Sammenligningen med områder uten endringen tar hensyn til det som skjedde i hele kommunen "
                         "i samme tidsrom.",
                   "en": "Comparing with areas without the change allows for what happened in the whole "
                         "municipality at the same time."},
    "design_survey": {"sv": "Enkäten jämför olika svarande före och efter, inte samma personer.",
                      "nb": "Undersøkelsen sammenligner ulike svarere før og etter, ikke de samme personene.",
                      "en": "The survey compares different respondents before and after, not the same people."},
    "design_audit": {"sv": "Granskningen bygger på ett slumpmässigt urval av ärenden före och efter.",
                     "nb": "Gjennomgangen bygger på et tilfeldig utvalg saker før og etter.",
                     "en": "The audit rests on a random sample of cases before and after."},
    "no_comparison": {"sv": "Utformningen är en avbruten tidsserie utan jämförelsegrupp: andra händelser vid samma "
                            "tid kan ha bidragit till förändringen.",
                      "nb": "Designet er en avbrutt tidsserie uten sammenligningsgruppe: andre hendelser på samme "
                            "tid kan ha bidratt til endringen.",
                      "en": "The design is an interrupted time series without a comparison group: other events at "
                            "the same time may have contributed to the change."},
    "few_periods": {"sv": "Serien har färre än 12 perioder på ena sidan om införandet, så trenderna är osäkra.",
                    "nb": "Serien har færre enn 12 perioder på den ene siden av innføringen, så trendene er usikre.",
                    "en": "The series has fewer than 12 periods on one side of the change, so the trends are "
                          "uncertain."},
    "autocorrelation": {"sv": "Residualerna visar kvarvarande autokorrelation; intervallen kan vara något för "
                              "smala.",
                        "nb": "Residualene viser gjenværende autokorrelasjon; intervallene kan være litt for smale.",
                        "en": "The residuals show remaining autocorrelation; the intervals may be somewhat too "
                              "narrow."},
    "few_clusters": {"sv": "Jämförelsen bygger på få områden, så osäkerheten är stor; den beräknas med metoder "
                           "för få kluster.",
                     "nb": "Sammenligningen bygger på få områder, så usikkerheten er stor; den beregnes med metoder "
                           "for få klynger.",
                     "en": "The comparison rests on few areas, so the uncertainty is large; it is computed with "
                           "methods for few clusters."},
    "one_pre_period": {"sv": "Det finns bara en mätning före starten, så det går inte att pröva om områdena "
                             "utvecklades parallellt innan.",
                       "nb": "Det finnes bare én måling før starten, så det er ikke mulig å prøve om områdene "
                             "utviklet seg parallelt før.",
                       "en": "There is only one measurement before the start, so whether the areas moved in "
                             "parallel before cannot be tested."},
    "few_pre_periods": {"sv": "Det finns bara två mätningar före starten, så prövningen av parallella trender är "
                              "svag.",
                        "nb": "Det finnes bare to målinger før starten, så testen av parallelle trender er svak.",
                        "en": "There are only two measurements before the start, so the test of parallel trends "
                              "is weak."},
    "pretrend_rejected": {"sv": "Områdena utvecklades inte parallellt före starten (testet av trenderna före "
                                "starten förkastade det), så skillnaden kan delvis bero på det.",
                          "nb": "Områdene utviklet seg ikke parallelt før starten (testen av trendene før starten "
                                "forkastet det), så forskjellen kan delvis skyldes det.",
                          "en": "The areas did not move in parallel before the start (the pre-trend test rejected "
                                "it), so the difference may partly reflect that."},
    "no_interval": {"sv": "Med så få områden kan inget konfidensintervall anges; resultatet redovisas med exakt "
                          "p-värde.",
                    "nb": "Med så få områder kan det ikke angis noe konfidensintervall; resultatet vises med eksakt "
                          "p-verdi.",
                    "en": "With so few areas no confidence interval can be given; the result is shown with an exact "
                          "p-value."},
    "low_response": {"sv": "Svarsfrekvensen var under 50 %, så de som svarade behöver inte vara representativa.",
                     "nb": "Svarprosenten var under 50 %, så de som svarte, trenger ikke være representative.",
                     "en": "The response rate was below 50%, so those who answered need not be representative."},
    "proxy_answers": {"sv": "En femtedel eller mer av enkäterna besvarades av någon annan än brukaren.",
                      "nb": "En femtedel eller mer av skjemaene ble besvart av noen andre enn brukeren.",
                      "en": "A fifth or more of the questionnaires were answered by someone other than the user."},
    "multiple_comparisons": {"sv": "p-värdena är justerade för att flera frågor prövades samtidigt (Holm).",
                             "nb": "p-verdiene er justert fordi flere spørsmål ble prøvd samtidig (Holm).",
                             "en": "The p-values are adjusted because several items were tested at once (Holm)."},
    "low_power": {"sv": "För en del mått är intervallen breda (mer än ±10 procentenheter): en verklig förändring "
                        "kan ha missats.",
                  "nb": "For noen mål er intervallene brede (mer enn ±10 prosentpoeng): en reell endring kan ha "
                        "blitt oversett.",
                  "en": "For some measures the intervals are wide (more than ±10 percentage points): a real change "
                        "may have been missed."},
    "withheld_caveat": {"sv": "Vissa tal redovisas inte eftersom de bygger på för få fall.",
                        "nb": "Noen tall vises ikke fordi de bygger på for få tilfeller.",
                        "en": "Some numbers are not shown because they rest on too few cases."},
    # -- conclusions -------------------------------------------------------------------------------------------
    "draft": {"sv": "Utkast – skrivet automatiskt utifrån resultaten. Utvärderaren granskar, ändrar eller ersätter "
                    "texten ([report] conclusions och recommendations i konfigurationen).",
              "nb": "Utkast – skrevet automatisk ut fra resultatene. Evaluereren går gjennom, endrer eller erstatter "
                    "teksten ([report] conclusions og recommendations i konfigurasjonen).",
              "en": "Draft – written automatically from the results. The evaluator reviews, edits or replaces the "
                    "text ([report] conclusions and recommendations in the config)."},
    "purpose_lead": {"sv": "Syftet var {purpose}", "nb": "Formålet var {purpose}", "en": "The aim was {purpose}"},
    "works": {"sv": "Det som fungerar", "nb": "Det som fungerer", "en": "What works"},
    "remains": {"sv": "Det som återstår", "nb": "Det som gjenstår", "en": "What remains"},
    "next": {"sv": "Rekommendationer och nästa steg", "nb": "Anbefalinger og neste steg",
             "en": "Recommendations and next steps"},
    "c_better": {"sv": "{label} förbättrades: från {before} till {after}.",
                 "nb": "{label} ble bedre: fra {before} til {after}.",
                 "en": "{label} improved: from {before} to {after}."},
    "c_changed": {"sv": "{label} {verb}: från {before} till {after}.",
                  "nb": "{label} {verb}: fra {before} til {after}.",
                  "en": "{label} {verb}: from {before} to {after}."},
    "c_worse": {"sv": "{label} blev sämre: från {before} till {after}.",
                "nb": "{label} ble dårligere: fra {before} til {after}.",
                "en": "{label} got worse: from {before} to {after}."},
    "c_unclear": {"sv": "{label}: ingen tydlig förändring.", "nb": "{label}: ingen tydelig endring.",
                  "en": "{label}: no clear change."},
    "c_items_unclear": {"sv": "{title}: ingen tydlig förändring för {n} av {total} {what}.",
                        "nb": "{title}: ingen tydelig endring for {n} av {total} {what}.",
                        "en": "{title}: no clear change for {n} of {total} {what}."},
    "c_no_better": {"sv": "Inget av de undersökta måtten förbättrades tydligt.",
                    "nb": "Ingen av de undersøkte målene ble tydelig bedre.",
                    "en": "None of the measures examined clearly improved."},
    "c_nothing_remains": {"sv": "Alla undersökta mått förbättrades tydligt.",
                          "nb": "Alle undersøkte mål ble tydelig bedre.",
                          "en": "All measures examined clearly improved."},
    "r_keep": {"sv": "Behåll och befäst det som fungerar ({labels}) och följ upp måtten regelbundet.",
               "nb": "Behold og befest det som fungerer ({labels}), og følg opp målene jevnlig.",
               "en": "Keep and consolidate what works ({labels}) and follow the measures up regularly."},
    "r_worse": {"sv": "Ta reda på varför {label} blev sämre och vad som kan göras åt det.",
                "nb": "Finn ut hvorfor {label} ble dårligere, og hva som kan gjøres med det.",
                "en": "Find out why {label} got worse and what can be done about it."},
    "r_unclear": {"sv": "Följ upp {labels} under längre tid eller med större underlag innan slutsatser dras.",
                  "nb": "Følg opp {labels} over lengre tid eller med større materiale før konklusjoner trekkes.",
                  "en": "Follow {labels} up for longer or with more data before drawing conclusions."},
    "r_few_clusters": {"sv": "Utvidga piloten till fler områden eller följ upp fler perioder, så att effekten kan "
                             "skattas säkrare.",
                       "nb": "Utvid piloten til flere områder eller følg opp flere perioder, slik at effekten kan "
                             "anslås sikrere.",
                       "en": "Extend the pilot to more areas or follow it up for more periods, so that the effect "
                             "can be estimated more surely."},
    "r_no_comparison": {"sv": "Jämför med områden eller kommuner som inte gjort förändringen, för att skilja "
                              "effekten från annat som hänt samtidigt.",
                        "nb": "Sammenlign med områder eller kommuner som ikke har gjort endringen, for å skille "
                              "effekten fra annet som har skjedd samtidig.",
                        "en": "Compare with areas or municipalities that did not make the change, to tell its "
                              "effect from other things that happened at the same time."},
    "r_pretrend": {"sv": "Pröva resultatet med andra jämförelseområden eller en längre förperiod.",
                   "nb": "Prøv resultatet med andre sammenligningsområder eller en lengre forperiode.",
                   "en": "Check the result with other comparison areas or a longer pre-period."},
    "r_low_response": {"sv": "Höj svarsfrekvensen i nästa enkät, till exempel med påminnelser.",
                       "nb": "Øk svarprosenten i neste undersøkelse, for eksempel med påminnelser.",
                       "en": "Raise the response rate of the next survey, for example with reminders."},
    "r_withheld": {"sv": "Samla större underlag för de mått som nu inte kan redovisas.",
                   "nb": "Samle større materiale for de målene som nå ikke kan vises.",
                   "en": "Collect more data for the measures that cannot be shown now."},
}
_t = i18n.translator(_TEXT)

#: caveat code → its sentence key, in the order the "how sure" text tells them
CAVEAT_KEYS = {"no_comparison": "no_comparison", "few_periods": "few_periods", "autocorrelation": "autocorrelation",
               "few_clusters": "few_clusters", "one_pre_period": "one_pre_period",
               "few_pre_periods": "few_pre_periods", "pretrend_rejected": "pretrend_rejected",
               "no_interval": "no_interval", "low_response": "low_response", "proxy_answers": "proxy_answers",
               "multiple_comparisons": "multiple_comparisons", "low_power": "low_power",
               "withheld": "withheld_caveat", "levels_withheld": "withheld_caveat"}
_DESIGN = {"did": "design_did", "survey": "design_survey", "audit": "design_audit",
           "staff_survey": "design_survey"}


# -- numbers -------------------------------------------------------------------------------------------------


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_QUOTES = {"sv": ("”", "”"), "nb": ("«", "»"), "en": ("“", "”")}


def _name(f: Finding, language: str) -> str:
    """How a finding's outcome is named in a sentence: an item (a question of a form) in the language's
    quotation marks, an outcome with a capital letter."""
    if f.effect == "item":
        left, right = _QUOTES[language]
        return f"{left}{f.label}{right}"
    return _cap(f.label)


def _unit(f: Finding, language: str) -> str:
    key = f"unit_{f.unit}"
    return " " + _t(key, language) if key in _TEXT else ""


def interval_text(f: Finding, language: str) -> str:
    """The finding's interval as the table prints it (its decimals), low to high."""
    return i18n.fmt_interval(f.ci_low, f.ci_high, f.decimals, language)


def _level(value: float, f: Finding, language: str) -> str:
    """A level before/after: a share as percent, a count as a whole number, else in the table's decimals."""
    if f.unit == "points":
        return i18n.fmt_percent(value, 0, language)
    if f.unit in ("ratio", "count"):
        return i18n.fmt_number(value, 0, language)
    return i18n.fmt_number(value, _precision(f), language) + _unit(f, language)


def _precision(f: Finding) -> int:
    """Decimals for a level or an effect's size in running text: two significant digits of the interval's
    half-width (0–3), never more than the table's. The interval itself keeps the table's decimals."""
    if not (math.isfinite(f.ci_low) and math.isfinite(f.ci_high)) or f.ci_high <= f.ci_low:
        return min(f.decimals, 1)
    return int(min(f.decimals, 3, max(0, 1 - math.floor(math.log10((f.ci_high - f.ci_low) / 2)))))


def _size(f: Finding, language: str) -> str:
    return i18n.fmt_number(abs(f.estimate), _precision(f), language) + _unit(f, language)


def _signed(f: Finding, language: str) -> str:
    return i18n.fmt_number(f.estimate, _precision(f), language) + _unit(f, language)


def _per(f: Finding, language: str) -> str:
    return _t(f"per_{f.period}", language) if f.period in ("month", "year", "period") else ""


def _stat(f: Finding, language: str) -> str:
    """``95 % KI a–b`` — or, without an interval (randomization inference), the exact p-value."""
    if math.isfinite(f.ci_low) and math.isfinite(f.ci_high):
        return f"{_t('ci', language)} {interval_text(f, language)}"
    return _t("exact_p", language, p=i18n.fmt_p(f.p, language), floor=i18n.fmt_number(f.p_min, 3, language))


# -- one finding in words ---------------------------------------------------------------------------------


def finding_sentence(f: Finding, language: str, change: str) -> str:
    """One sentence for an its or did finding (items are told per analysis by :func:`answer`)."""
    label, ci = _cap(f.label), _t("ci", language)
    if "withheld" in f.caveats:
        return _t("withheld", language, label=_name(f, language))
    verb = _t(f.direction, language) if f.clear else ""
    if f.effect == "pretrend":
        floor = math.isfinite(f.p_min) and f.p_min >= 0.05  # randomization inference that cannot reject
        key = "pretrend_bad" if f.clear else "pretrend_cannot" if floor else "pretrend_ok"
        return _t(key, language, label=f.label, p=i18n.fmt_p(f.p, language),
                  floor=i18n.fmt_number(f.p_min, 3, language))
    if f.effect == "did":
        key = ("did_clear" if f.clear else "did_unclear") + ("" if _has_levels(f) else "_nolevels")
        return _t(key, language, label=label, verb=verb,
                  before=_level(f.before, f, language), after=_level(f.after, f, language), size=_size(f, language),
                  signed=_signed(f, language), stat=_stat(f, language))
    if f.effect == "slope_change":
        return _t("slope_clear" if f.clear else "slope_unclear", language, verb=verb, size=_size(f, language),
                  signed=_signed(f, language), per=_per(f, language), ci=ci, interval=interval_text(f, language))
    if f.unit == "ratio":
        pct = i18n.fmt_number(abs(f.estimate - 1.0) * 100.0, 0, language) + ("%" if language == "en" else " %")
        return _t("ratio_clear" if f.clear else "ratio_unclear", language, label=label, verb=verb, change=change,
                  pct=pct, ratio=i18n.fmt_number(f.estimate, f.decimals, language), ci=ci,
                  interval=interval_text(f, language), before=_level(f.before, f, language),
                  after=_level(f.after, f, language), per=_per(f, language))
    return _t("level_clear" if f.clear else "level_unclear", language, label=label, verb=verb, change=change,
              before=_level(f.before, f, language), after=_level(f.after, f, language), size=_size(f, language),
              signed=_signed(f, language), ci=ci, interval=interval_text(f, language))


def _item_sentence(f: Finding, language: str) -> str:
    signed = ("+" if f.estimate > 0 else "") + i18n.fmt_number(f.estimate, f.decimals, language)
    text = _t("item_clear", language, label=_name(f, language), verb=_t(f.direction, language),
              before=_level(f.before, f, language), after=_level(f.after, f, language), signed=signed,
              unit=_t("unit_points", language), ci=_t("ci", language), interval=interval_text(f, language))
    if "adjusted_p" in f.caveats:
        text += _t("adjusted_p", language, p=i18n.fmt_p(f.p, language))
    return text


def _items_paragraph(findings: Sequence[Finding], title: str, language: str, brief: bool = False) -> str:
    """An item analysis (survey, audit): its clear items one by one, then how many showed no clear change.

    ``brief`` (the summary): how many items improved, the ones that got worse one by one (with their
    intervals), how many showed no clear change."""
    what = _t(f"what_{findings[0].kind}", language)
    shown = [f for f in findings if "withheld" not in f.caveats]  # hidden items are told by the caveat
    clear = [f for f in shown if f.clear]
    rest = len(shown) - len(clear)
    text = _t("items_lead", language, title=title)
    if not clear:
        return text + _t("items_none_clear", language, total=len(shown), what=what)
    if brief:
        better = [f for f in clear if f.verdict == "better"]
        others = [f for f in clear if f.verdict != "better"]
        parts = [_t("items_better", language, n=len(better), total=len(shown), what=what)] if better else []
        if others:
            sentences = "; ".join(_item_sentence(f, language) for f in others)
            parts.append(_t("items_worse", language, items=sentences) if better else sentences)
        if rest:
            parts.append(_t("items_others", language, n=rest))
        return text + "; ".join(parts) + "."
    text += "; ".join(_item_sentence(f, language) for f in clear)
    if rest:
        text += "; " + _t("items_rest", language, n=rest, total=len(shown), what=what)
    else:
        text += "."
    return text


def _certainty(findings: Sequence[Finding], language: str) -> str:
    """How sure: clear for all / some / none of the headline findings, then each caveat once."""
    heads = [f for f in findings if f.primary and "withheld" not in f.caveats]
    n_clear = sum(f.clear for f in heads)
    lead = "sure_all" if heads and n_clear == len(heads) else "sure_none" if n_clear == 0 else "sure_some"
    keys = [lead] if heads else []  # a question answered by a pre-trend test alone has no effect to judge
    keys += list(dict.fromkeys(_DESIGN[f.kind] for f in findings if f.kind in _DESIGN))
    keys += list(dict.fromkeys(CAVEAT_KEYS[c] for f in findings for c in f.caveats if c in CAVEAT_KEYS))
    return " ".join(_t(k, language) for k in keys)


def answer(findings: Sequence[Finding], language: str, change: str, titles: dict[str, str],
           brief: bool = False) -> list[str]:
    """The answer to one research question: a paragraph of findings (analysis by analysis, in the order the
    config names them), then a paragraph on how sure one can be. ``titles``: analysis id → its title;
    ``brief`` (the summary): item analyses are told as counts, with the items that got worse named."""
    if not findings:
        return [_t("no_findings", language)]
    sentences = []
    for aid in dict.fromkeys(f.analysis_id for f in findings):
        own = [f for f in findings if f.analysis_id == aid]
        if own[0].effect == "item":
            sentences.append(_items_paragraph(own, titles.get(aid, aid), language, brief))
            continue
        sentences += [finding_sentence(f, language, change) for f in own
                      if f.primary or f.clear or f.effect == "pretrend"]
    return [" ".join(sentences), _certainty(findings, language)]


def summary_paragraph(question: str, paragraphs: Sequence[str]) -> str:
    """One summary paragraph: the question as lead-in, then its answer."""
    return " ".join([question.strip(), *paragraphs])


def not_answered(language: str) -> str:
    return _t("not_answered", language)


def see_results(titles: Sequence[str], language: str) -> str:
    return _t("see_results", language, titles=", ".join(titles))


# -- conclusions and recommendations -----------------------------------------------------------------------


def split_paragraphs(text: str) -> list[str]:
    """The evaluator's text as paragraphs: split on blank lines, lines of a paragraph joined."""
    blocks = [" ".join(line.strip() for line in part.splitlines() if line.strip())
              for part in text.replace("\r\n", "\n").split("\n\n")]
    return [b for b in blocks if b]


def _short(f: Finding, key: str, language: str) -> str:
    after = _level(f.after, f, language) + (" " + _per(f, language) if f.unit == "ratio" else "")
    text = _t(key, language, label=_name(f, language), verb=_t(f.direction, language) if f.clear else "",
              before=_level(f.before, f, language), after=after)
    if "adjusted_p" in f.caveats:
        text = text[:-1] + _t("adjusted_p", language, p=i18n.fmt_p(f.p, language)) + "."
    return text


def _has_levels(f: Finding) -> bool:
    return math.isfinite(f.before) and math.isfinite(f.after)


def conclusions_blocks(findings: Sequence[Finding], language: str, *, purpose: str = "", titles=None,
                       conclusions: str | None = None, recommendations: str | None = None) -> list:
    """The chapter's blocks: what works and what remains (the conclusions), then recommendations and next steps.

    Each part is the evaluator's text when given (no draft mark), else drafted from ``findings`` — headline
    effects and every item — and then the chapter opens with the draft mark.
    """
    titles = titles or {}
    usable = [f for f in findings if (f.primary or f.clear) and "withheld" not in f.caveats
              and f.effect != "pretrend"]
    blocks: list = []
    if conclusions is None or recommendations is None:
        blocks.append(Paragraph(_t("draft", language)))
    if conclusions is not None:
        blocks += [Paragraph(p) for p in split_paragraphs(conclusions)]
    else:
        if purpose:
            blocks.append(Paragraph(_t("purpose_lead", language, purpose=purpose[:1].lower() + purpose[1:])))
        blocks += _drafted_conclusions(usable, language, titles)
    blocks.append(Heading(_t("next", language), 2))
    if recommendations is not None:
        blocks += [Paragraph(p) for p in split_paragraphs(recommendations)]
    else:
        blocks.append(Bullets(tuple(_recommendations(usable, findings, language))))
    return blocks


def _drafted_conclusions(findings: Sequence[Finding], language: str, titles) -> list:
    works = [f for f in findings if f.verdict in ("better", "changed") and f.effect != "slope_change"]
    worse = [f for f in findings if f.verdict == "worse" and f.effect != "slope_change"]
    unclear = [f for f in findings if f.verdict == "unclear" and f.primary]
    good = [_short(f, "c_better" if f.verdict == "better" else "c_changed", language) if _has_levels(f)
            else finding_sentence(f, language, "") for f in works]
    remains = [_short(f, "c_worse", language) if _has_levels(f) else finding_sentence(f, language, "")
               for f in worse]
    remains += [_t("c_unclear", language, label=_name(f, language)) for f in unclear if f.effect != "item"]
    for aid in dict.fromkeys(f.analysis_id for f in unclear if f.effect == "item"):
        own = [f for f in unclear if f.analysis_id == aid]
        total = sum(1 for f in findings if f.analysis_id == aid)
        remains.append(_t("c_items_unclear", language, title=titles.get(aid, aid), n=len(own), total=total,
                          what=_t(f"what_{own[0].kind}", language)))
    return [Heading(_t("works", language), 2), Bullets(tuple(good or [_t("c_no_better", language)])),
            Heading(_t("remains", language), 2), Bullets(tuple(remains or [_t("c_nothing_remains", language)]))]


def _labels(findings: Sequence[Finding]) -> str:
    return ", ".join(dict.fromkeys(f.label for f in findings))


def _recommendations(usable: Sequence[Finding], every: Sequence[Finding], language: str) -> list[str]:
    out = []
    better = [f for f in usable if f.verdict == "better" and f.effect != "item"]
    if better:
        out.append(_t("r_keep", language, labels=_labels(better)))
    out += [_t("r_worse", language, label=_name(f, language) if f.effect == "item" else f.label)
            for f in usable if f.verdict == "worse"]
    unclear = [f for f in usable if f.verdict == "unclear" and f.primary and f.effect != "item"]
    if unclear:
        out.append(_t("r_unclear", language, labels=_labels(unclear)))
    codes = {c for f in every for c in f.caveats} | {"pretrend_rejected" for f in every
                                                    if f.effect == "pretrend" and f.clear}
    for code, key in (("few_clusters", "r_few_clusters"), ("no_comparison", "r_no_comparison"),
                      ("pretrend_rejected", "r_pretrend"), ("low_response", "r_low_response"),
                      ("withheld", "r_withheld"), ("levels_withheld", "r_withheld")):
        if code in codes:
            out.append(_t(key, language))
    return out
