"""The parts of an FoU evaluation report that come from the config and the run as a whole.

Foreword, background, method per data source, ethics, limitations, discussion,
outcome definitions and figure captions: :func:`evalkit.pipeline.build_report`
adds them to the :class:`evalkit.report.Report`. Each takes the config's own text
where it gives one (``[report] foreword``/``foreword_file`` …) and otherwise
writes a short neutral text from what the run knows; generated text that needs
the evaluator's judgement (the discussion) is marked as a draft.

Decisions taken here (documented in docs/config.md through the keys):

* the report date is ``[report] date``, else the last date in the loaded data —
  never today's date, so a rebuild is byte-identical;
* without ``[report] foreword`` a two-sentence foreword names the commissioner and
  the authors; with neither given there is no foreword;
* limitations come from the design: a DiD with fewer than :data:`FEW_CLUSTERS` units
  or one period before the start, or a joint pre-trend test p < 0.10; an ITS with fewer than
  :data:`~evalkit.analysis.its.RECOMMENDED_PERIODS_PER_SIDE` points on a side
  (Wagner et al. 2002 recommend 12; 8 is the hard minimum, Penfold & Zhang 2013);
  residual autocorrelation an ITS reports (Ljung–Box p < 0.05); a survey wave with
  a response rate below :data:`LOW_RESPONSE` (50 %); and each ``[change] events``
  entry that overlaps a period the data cover.

This module sits on top with pipeline and config (it reads the run's tables and results).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import i18n

__all__ = ["report_date", "foreword", "background", "source_sentences", "ethics", "limitations", "discussion",
           "outcome_definitions", "figure_caption", "FEW_CLUSTERS", "LOW_RESPONSE"]

#: A DiD with fewer units than this has few clusters: cluster-robust inference is unreliable and even the
#: wild cluster bootstrap is coarse (Cameron, Gelbach & Miller 2008 study 5–30 clusters; below ~10 the
#: bootstrap p-value takes few distinct values, Webb 2023).
FEW_CLUSTERS = 10
#: A joint pre-trend test below this p-value makes parallel trends doubtful (a lenient level: the test has
#: little power with few units, so a p-value near 0.05 already says something)
PRETREND_ALPHA = 0.10
#: A survey wave answered by fewer than this share of those asked has a low response rate.
LOW_RESPONSE = 0.5

_TEXT = {
    "foreword_both": {
        "sv": "Den här rapporten redovisar en utvärdering av {change} i {where}. Utvärderingen har gjorts på "
              "uppdrag av {commissioner} och genomförts av {authors}.",
        "nb": "Denne rapporten presenterer en evaluering av {change} i {where}. Evalueringen er gjort på oppdrag "
              "fra {commissioner} og gjennomført av {authors}.",
        "en": "This report presents an evaluation of {change} in {where}. The evaluation was commissioned by "
              "{commissioner} and carried out by {authors}.",
    },
    "foreword_commissioner": {
        "sv": "Den här rapporten redovisar en utvärdering av {change} i {where}, gjord på uppdrag av "
              "{commissioner}.",
        "nb": "Denne rapporten presenterer en evaluering av {change} i {where}, gjort på oppdrag fra "
              "{commissioner}.",
        "en": "This report presents an evaluation of {change} in {where}, commissioned by {commissioner}.",
    },
    "foreword_authors": {
        "sv": "Den här rapporten redovisar en utvärdering av {change} i {where}, genomförd av {authors}.",
        "nb": "Denne rapporten presenterer en evaluering av {change} i {where}, gjennomført av {authors}.",
        "en": "This report presents an evaluation of {change} in {where}, carried out by {authors}.",
    },
    "foreword_thanks": {
        "sv": "Vi tackar de brukare, anhöriga och medarbetare som har delat med sig av sina erfarenheter.",
        "nb": "Vi takker brukerne, de pårørende og de ansatte som har delt sine erfaringer.",
        "en": "We thank the users, relatives and staff who shared their experience.",
    },
    "the_municipality": {"sv": "kommunen", "nb": "kommunen", "en": "the municipality"},
    "and": {"sv": "och", "nb": "og", "en": "and"},
    "survey": {
        "sv": "Brukarundersökningen ({name}): {answers} svar på {sent} utskickade enkäter under {first}–{last} "
              "(svarsfrekvens {rate}; per år mellan {low} och {high}).",
        "nb": "Brukerundersøkelsen ({name}): {answers} svar på {sent} utsendte skjemaer i {first}–{last} "
              "(svarprosent {rate}; per år mellom {low} og {high}).",
        "en": "The user survey ({name}): {answers} answers to {sent} questionnaires sent in {first}–{last} "
              "(response rate {rate}; by year between {low} and {high}).",
    },
    "survey_no_sent": {
        "sv": "Brukarundersökningen ({name}): {answers} svar under {first}–{last}; antalet utskickade enkäter är "
              "inte känt, så svarsfrekvensen kan inte anges.",
        "nb": "Brukerundersøkelsen ({name}): {answers} svar i {first}–{last}; antallet utsendte skjemaer er ikke "
              "kjent, så svarprosenten kan ikke oppgis.",
        "en": "The user survey ({name}): {answers} answers in {first}–{last}; the number of questionnaires sent "
              "is not known, so no response rate can be given.",
    },
    "interviews": {
        "sv": "Intervjuerna ({name}): {n} intervjuer med {roles}{period}.",
        "nb": "Intervjuene ({name}): {n} intervjuer med {roles}{period}.",
        "en": "The interviews ({name}): {n} interviews with {roles}{period}.",
    },
    "staff_survey": {
        "sv": "Personalenkäten ({name}, {instrument}): {n} svar, per omgång {waves}.",
        "nb": "Personalundersøkelsen ({name}, {instrument}): {n} svar, per runde {waves}.",
        "en": "The staff survey ({name}, {instrument}): {n} answers, by round {waves}.",
    },
    "wave_count": {"sv": "{wave}: {n}", "nb": "{wave}: {n}", "en": "{wave}: {n}"},
    "interview_period": {"sv": ", genomförda {first}–{last}", "nb": ", gjennomført {first}–{last}",
                         "en": ", held {first}–{last}"},
    "role_count": {"sv": "{role} ({n})", "nb": "{role} ({n})", "en": "{role} ({n})"},
    "audit": {
        "sv": "Aktgranskningen: {n} slumpvis valda beslut granskades ({strata}); {double} av dem granskades av "
              "två granskare oberoende av varandra, och överensstämmelsen över alla punkter var {method} {value}.",
        "nb": "Journalgranskingen: {n} tilfeldig valgte vedtak ble gransket ({strata}); {double} av dem ble "
              "gransket av to granskere uavhengig av hverandre, og samsvaret over alle punkter var {method} {value}.",
        "en": "The case-file audit: {n} randomly drawn decisions were reviewed ({strata}); {double} of them by two "
              "reviewers independently, and agreement over all items was {method} {value}.",
    },
    "audit_stratum": {"sv": "{n} av {population} beslut {stratum}", "nb": "{n} av {population} vedtak {stratum}",
                      "en": "{n} of {population} decisions {stratum}"},
    "before": {"sv": "före", "nb": "før", "en": "before"},
    "after": {"sv": "efter", "nb": "etter", "en": "after"},
    "ethics": {
        "sv": "Utvärderingen bygger på uppgifter som kommunen redan har i sina verksamhetssystem, på en "
              "brukarundersökning och på intervjuer med personer som har gett sitt samtycke. Personuppgifter "
              "pseudonymiserades innan analysen: personnummer och namn ersattes med koder, och en fil med "
              "personnummer avvisas av programmet. I rapporten visas inga uppgifter om enskilda; små tal döljs "
              "enligt reglerna i avsnittet om skydd mot röjande, och citat återges med roll, inte namn.",
        "nb": "Evalueringen bygger på opplysninger kommunen allerede har i sine fagsystemer, på en "
              "brukerundersøkelse og på intervjuer med personer som har gitt samtykke. Personopplysninger ble "
              "pseudonymisert før analysen: fødselsnumre og navn ble erstattet med koder, og en fil med "
              "fødselsnumre avvises av programmet. Rapporten viser ingen opplysninger om enkeltpersoner; små tall "
              "skjules etter reglene i avsnittet om skjerming, og sitater gjengis med rolle, ikke navn.",
        "en": "The evaluation uses data the municipality already holds in its case systems, a user survey and "
              "interviews with people who gave their consent. Personal data were pseudonymised before the "
              "analysis: identity numbers and names were replaced by codes, and a file holding identity numbers "
              "is refused by the software. The report shows nothing about individuals; small numbers are hidden "
              "by the rules in the section on disclosure control, and quotes carry a role, not a name.",
    },
    "ethics_heading": {"sv": "Etiska överväganden", "nb": "Etiske vurderinger", "en": "Ethical considerations"},
    "sources_heading": {"sv": "Datakällor", "nb": "Datakilder", "en": "Data sources"},
    "few_clusters": {
        "sv": "{title}: jämförelsen bygger på {n} områden. Med så få områden är osäkerheten svår att skatta, och "
              "en skillnad mellan områdena som inte beror på förändringen kan inte skiljas från dess effekt; "
              "resultatet bör läsas som en indikation, inte som ett säkert mått.",
        "nb": "{title}: sammenligningen bygger på {n} områder. Med så få områder er usikkerheten vanskelig å anslå, "
              "og en forskjell mellom områdene som ikke skyldes endringen, kan ikke skilles fra effekten; "
              "resultatet bør leses som en indikasjon, ikke som et sikkert mål.",
        "en": "{title}: the comparison rests on {n} areas. With so few areas the uncertainty is hard to estimate, "
              "and a difference between the areas that is not due to the change cannot be told from its effect; "
              "read the result as an indication, not a firm measure.",
    },
    "one_pre": {
        "sv": "{title}: det finns bara en mätning före förändringen, så det går inte att pröva om områdena "
              "utvecklades likadant innan (antagandet om parallella trender).",
        "nb": "{title}: det finnes bare én måling før endringen, så det er ikke mulig å teste om områdene "
              "utviklet seg likt før (antakelsen om parallelle trender).",
        "en": "{title}: there is only one measurement before the change, so whether the areas developed alike "
              "beforehand (the parallel-trends assumption) cannot be tested.",
    },
    "pretrend": {
        "sv": "{title}: före starten utvecklades områdena inte parallellt (gemensamt test av perioderna före: "
              "{p}); antagandet om parallella trender är tveksamt, och effekten kan vara över- eller underskattad.",
        "nb": "{title}: før starten utviklet områdene seg ikke parallelt (felles test av periodene før: {p}); "
              "antakelsen om parallelle trender er tvilsom, og effekten kan være over- eller undervurdert.",
        "en": "{title}: before the start the areas did not develop in parallel (joint test of the periods before: "
              "{p}); the parallel-trends assumption is doubtful and the effect may be over- or underestimated.",
    },
    "short_series": {
        "sv": "{title}: tidsserien har {pre} mätpunkter före och {post} efter förändringen; minst {k} på varje "
              "sida rekommenderas (Wagner m.fl. 2002), så trenderna är osäkert skattade.",
        "nb": "{title}: tidsserien har {pre} målepunkter før og {post} etter endringen; minst {k} på hver side "
              "anbefales (Wagner mfl. 2002), så trendene er usikkert anslått.",
        "en": "{title}: the series has {pre} points before and {post} after the change; at least {k} on each side "
              "are recommended (Wagner et al. 2002), so the trends are estimated with little precision.",
    },
    "autocorrelation": {
        "sv": "{title}: det finns kvarvarande samvariation mellan månaderna (Ljung–Box, {p}), så "
              "konfidensintervallen kan vara för smala.",
        "nb": "{title}: det er gjenværende samvariasjon mellom månedene (Ljung–Box, {p}), så "
              "konfidensintervallene kan være for smale.",
        "en": "{title}: correlation between months remains in the residuals (Ljung–Box, {p}), so the "
              "confidence intervals may be too narrow.",
    },
    "low_response": {
        "sv": "Brukarundersökningen: svarsfrekvensen var under {limit} år {years}; de som svarade kan skilja sig "
              "från dem som inte svarade.",
        "nb": "Brukerundersøkelsen: svarprosenten var under {limit} i {years}; de som svarte, kan skille seg fra "
              "dem som ikke svarte.",
        "en": "The user survey: the response rate was below {limit} in {years}; those who answered may differ "
              "from those who did not.",
    },
    "event": {
        "sv": "{text} ({when}) inföll under den period som {what} täcker; det som mättes då kan ha påverkats av "
              "händelsen och inte bara av förändringen.",
        "nb": "{text} ({when}) falt i perioden som {what} dekker; det som ble målt da, kan være påvirket av "
              "hendelsen og ikke bare av endringen.",
        "en": "{text} ({when}) fell in the period that {what} cover; what was measured then may reflect the "
              "event as well as the change.",
    },
    "what_decisions": {"sv": "beslutsdata", "nb": "vedtaksdata", "en": "the decision data"},
    "what_orders": {"sv": "beställningarna", "nb": "bestillingene", "en": "the orders"},
    "what_visits": {"sv": "besöksloggen", "nb": "besøksloggen", "en": "the visit log"},
    "what_staff": {"sv": "personaldata", "nb": "personaldata", "en": "the staff data"},
    "what_survey": {"sv": "brukarundersökningen", "nb": "brukerundersøkelsen", "en": "the user survey"},
    "what_codings": {"sv": "intervjuerna", "nb": "intervjuene", "en": "the interviews"},
    "no_limitations": {
        "sv": "Utöver det som sägs i metodavsnittet har inga särskilda begränsningar i underlaget identifierats.",
        "nb": "Utover det som står i metodeavsnittet, er ingen særlige begrensninger i grunnlaget identifisert.",
        "en": "Beyond what the methods section says, no particular limitations of the data were identified.",
    },
    "limitations_intro": {
        "sv": "Följande begränsningar följer av utvärderingens upplägg och underlag:",
        "nb": "Følgende begrensninger følger av evalueringens opplegg og grunnlag:",
        "en": "The following limitations follow from the design and the data of the evaluation:",
    },
    "draft": {
        "sv": "[Utkast genererat av evalkit – utvärderaren ersätter det med sin diskussion ([report] discussion "
              "eller discussion_file).]",
        "nb": "[Utkast generert av evalkit – evaluator erstatter det med sin diskusjon ([report] discussion "
              "eller discussion_file).]",
        "en": "[Draft generated by evalkit – the evaluator replaces it with their discussion ([report] discussion "
              "or discussion_file).]",
    },
    "discussion_purpose": {
        "sv": "Utvärderingens syfte var: {purpose}",
        "nb": "Evalueringens formål var: {purpose}",
        "en": "The purpose of the evaluation was: {purpose}",
    },
    "discussion_results": {
        "sv": "Resultatkapitlet besvarar frågeställningarna med {n} analyser av utfall ({titles}). Här bör "
              "utvärderaren väga samman vad de visar: vilka förändringar som är tydliga, vilka som är osäkra och "
              "om de pekar åt samma håll.",
        "nb": "Resultatkapitlet besvarer problemstillingene med {n} analyser av utfall ({titles}). Her bør "
              "evaluator veie sammen hva de viser: hvilke endringer som er tydelige, hvilke som er usikre, og om "
              "de peker i samme retning.",
        "en": "The results chapter answers the questions with {n} outcome analyses ({titles}). Here the evaluator "
              "weighs what they show: which changes are clear, which are uncertain, and whether they point the "
              "same way.",
    },
    "discussion_implementation": {
        "sv": "Genomförandekapitlet ({titles}) visar hur {change} infördes. Diskutera om resultaten kan förklaras "
              "av hur väl arbetssättet genomfördes, och vilka hinder och främjande faktorer som var viktigast.",
        "nb": "Gjennomføringskapitlet ({titles}) viser hvordan {change} ble innført. Diskuter om resultatene kan "
              "forklares av hvor godt arbeidsmåten ble gjennomført, og hvilke hindringer og fremmende faktorer "
              "som var viktigst.",
        "en": "The implementation chapter ({titles}) shows how {change} was introduced. Discuss whether the "
              "results can be explained by how fully the way of working was implemented, and which barriers and "
              "facilitators mattered most.",
    },
    "discussion_limits": {
        "sv": "Resultaten ska läsas mot begränsningarna i nästa kapitel.",
        "nb": "Resultatene må leses i lys av begrensningene i neste kapittel.",
        "en": "Read the results against the limitations in the next chapter.",
    },
    "definitions_heading": {"sv": "Utfallsmått", "nb": "Utfallsmål", "en": "Outcome measures"},
    "definitions_caption": {"sv": "Definitioner av utfallsmåtten", "nb": "Definisjoner av utfallsmålene",
                            "en": "Definitions of the outcome measures"},
    "col_measure": {"sv": "Mått", "nb": "Mål", "en": "Measure"},
    "col_definition": {"sv": "Definition", "nb": "Definisjon", "en": "Definition"},
    "col_unit": {"sv": "Enhet", "nb": "Enhet", "en": "Unit"},
    "col_columns": {"sv": "Källkolumner", "nb": "Kildekolonner", "en": "Source columns"},
    "caption_its": {
        "sv": "{label} per månad {first}–{last} med anpassad trend före och efter {change} (streckad linje: "
              "förväntad utveckling utan förändringen)",
        "nb": "{label} per måned {first}–{last} med tilpasset trend før og etter {change} (stiplet linje: "
              "forventet utvikling uten endringen)",
        "en": "{label} by month {first}–{last} with the fitted trend before and after {change} (dashed line: "
              "expected course without the change)",
    },
    "caption_did": {
        "sv": "{label} per period i {treated} och i jämförelseområdena, före och efter {change} (överst), och "
              "skillnaden mellan dem per period jämfört med perioden före starten, med 95 % konfidensintervall "
              "(nederst)",
        "nb": "{label} per periode i {treated} og i sammenligningsområdene, før og etter {change} (øverst), og "
              "forskjellen mellom dem per periode sammenlignet med perioden før starten, med 95 % "
              "konfidensintervall (nederst)",
        "en": "{label} by period in {treated} and in the comparison areas, before and after {change} (top), and "
              "the difference between them by period relative to the period before the start, with 95% "
              "confidence intervals (bottom)",
    },
}
_t = i18n.translator(_TEXT)

#: definition, unit and source columns of the panel outcomes (evalkit/outcomes.py and evalkit/staff.py document
#: the rules in full)
_DEFINITIONS: dict[str, tuple[dict[str, str], dict[str, str], str]] = {
    "processing_days_median": (
        {"sv": "Median av antalet dagar från ansökan till beslut, för beslut fattade under månaden",
         "nb": "Median av antall dager fra søknad til vedtak, for vedtak fattet i måneden",
         "en": "Median number of days from application to decision, over decisions made in the month"},
        {"sv": "dagar", "nb": "dager", "en": "days"}, "applied_on, decided_on"),
    "processing_days_p90": (
        {"sv": "90:e percentilen av antalet dagar från ansökan till beslut, för beslut fattade under månaden",
         "nb": "90-persentilen av antall dager fra søknad til vedtak, for vedtak fattet i måneden",
         "en": "90th percentile of days from application to decision, over decisions made in the month"},
        {"sv": "dagar", "nb": "dager", "en": "days"}, "applied_on, decided_on"),
    "start_days_median": (
        {"sv": "Median av antalet dagar från beslut till start av insatsen",
         "nb": "Median av antall dager fra vedtak til oppstart av tjenesten",
         "en": "Median number of days from decision to the start of the service"},
        {"sv": "dagar", "nb": "dager", "en": "days"}, "decided_on, start_on"),
    "goal_recorded_share": (
        {"sv": "Andel av månadens beslut där ett mål är dokumenterat",
         "nb": "Andel av månedens vedtak der et mål er dokumentert",
         "en": "Share of the month's decisions with a recorded goal"},
        {"sv": "andel (procent)", "nb": "andel (prosent)", "en": "share (per cent)"}, "decided_on, goal_recorded"),
    "own_view_recorded_share": (
        {"sv": "Andel av månadens beslut där den enskildes egen uppfattning är dokumenterad",
         "nb": "Andel av månedens vedtak der den enkeltes egen oppfatning er dokumentert",
         "en": "Share of the month's decisions recording the person's own view"},
        {"sv": "andel (procent)", "nb": "andel (prosent)", "en": "share (per cent)"},
        "decided_on, own_view_recorded"),
    "followed_up_share": (
        {"sv": "Andel av de beslut som skulle följas upp under månaden som följdes upp",
         "nb": "Andel av vedtakene som skulle følges opp i måneden, som ble fulgt opp",
         "en": "Share of the decisions due for follow-up in the month that were followed up"},
        {"sv": "andel (procent)", "nb": "andel (prosent)", "en": "share (per cent)"}, "follow_up_on"),
    "denial_share": (
        {"sv": "Andel avslag bland månadens beslut", "nb": "Andel avslag blant månedens vedtak",
         "en": "Share of the month's decisions that were denials"},
        {"sv": "andel (procent)", "nb": "andel (prosent)", "en": "share (per cent)"}, "decided_on, outcome"),
    "hours_per_user": (
        {"sv": "Beviljade timmar per månad i gällande beslut delat med antalet brukare med timmar (Koladas "
               "definition av beviljade hemtjänsttimmar per brukare och månad)",
         "nb": "Innvilgede timer per måned i gjeldende vedtak delt på antall brukere med timer",
         "en": "Hours per month granted in decisions in force, divided by the users with hours"},
        {"sv": "timmar per brukare och månad", "nb": "timer per bruker og måned", "en": "hours per user and month"},
        "person_id, start_on, end_on, hours_per_month"),
    "active_users": (
        {"sv": "Antal olika brukare med minst ett gällande beslut under månaden",
         "nb": "Antall ulike brukere med minst ett gjeldende vedtak i måneden",
         "en": "Distinct users with at least one decision in force in the month"},
        {"sv": "antal", "nb": "antall", "en": "count"}, "person_id, start_on, end_on, outcome"),
    "new_decisions": (
        {"sv": "Antal beslut fattade under månaden", "nb": "Antall vedtak fattet i måneden",
         "en": "Decisions made in the month"}, {"sv": "antal", "nb": "antall", "en": "count"}, "decided_on"),
    "continuity_mean": (
        {"sv": "Medelvärdet av antalet olika personal som en hemtjänsttagare med besök varje dag möter under 14 "
               "dagar (Kolada U21401)",
         "nb": "Gjennomsnittlig antall ulike ansatte en hjemmetjenestebruker med besøk hver dag møter i løpet av "
               "14 dager (Kolada U21401)",
         "en": "Mean number of different staff a home-care user visited every day meets in 14 days (Kolada U21401)"},
        {"sv": "antal personal", "nb": "antall ansatte", "en": "staff"}, "person_id, staff_id, visit_start"),
    "continuity_median": (
        {"sv": "Medianen av antalet olika personal som en hemtjänsttagare med besök varje dag möter under 14 dagar "
               "(Kolada U21401)",
         "nb": "Medianen av antall ulike ansatte en hjemmetjenestebruker med besøk hver dag møter i løpet av 14 "
               "dager (Kolada U21401)",
         "en": "Median number of different staff a home-care user visited every day meets in 14 days "
               "(Kolada U21401)"},
        {"sv": "antal personal", "nb": "antall ansatte", "en": "staff"}, "person_id, staff_id, visit_start"),
}
_GENERIC = {"sv": "Se evalkit/outcomes.py (kolumnen {column})", "nb": "Se evalkit/outcomes.py (kolonnen {column})",
            "en": "See evalkit/outcomes.py (column {column})"}

_PERIOD_COLUMN = {"decisions": "decided_on", "orders": "changed_on", "visits": "visit_start", "staff": "month"}


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def _names(names, language: str) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {_t('and', language)} {names[-1]}"


def _dates(run) -> list[dt.date]:
    out = []
    for kind, column in _PERIOD_COLUMN.items():
        frame = run.tables.get(kind)
        if isinstance(frame, pd.DataFrame) and column in frame:
            values = pd.to_datetime(frame[column], errors="coerce").dropna()
            if len(values):
                out += [values.min().date(), values.max().date()]
    first, last = _interview_dates(run)
    return out + [d for d in (first, last) if d]


def report_date(run) -> dt.date | None:
    """``[report] date``, else the last date in the loaded data (never today: rebuilds stay identical)."""
    given = run.evaluation.report.date
    if given:
        return given
    dates = _dates(run)
    return max(dates) if dates else None


def foreword(evaluation, language: str) -> list[str]:
    """``[report] foreword``, else a short one naming commissioner and authors; [] when neither is given."""
    rep = evaluation.report
    if rep.foreword:
        return _paragraphs(rep.foreword)
    where = evaluation.municipality or _t("the_municipality", language)
    values = dict(change=evaluation.change.name, where=where, commissioner=rep.commissioner,
                  authors=_names(rep.authors, language) if rep.authors else "")
    key = ("foreword_both" if rep.commissioner and rep.authors else "foreword_commissioner" if rep.commissioner
           else "foreword_authors" if rep.authors else None)
    if key is None:
        return []
    return [_t(key, language, **values), _t("foreword_thanks", language)]


def background(evaluation) -> list[str]:
    """The config's longer background text (``[report] background``), paragraph by paragraph."""
    return _paragraphs(evaluation.report.background)


def _interview_dates(run) -> tuple[dt.date | None, dt.date | None]:
    codings = run.tables.get("codings")
    attributes = getattr(codings, "attributes", None)
    if not isinstance(attributes, pd.DataFrame) or "type" not in attributes:
        return None, None
    dates = pd.to_datetime(attributes.loc[attributes["type"] == "Date", "value"], errors="coerce").dropna()
    if not len(dates):
        return None, None
    return dates.min().date(), dates.max().date()


def _file_name(obj) -> str:
    from evalkit.provenance import records_of

    records = [r for r in records_of(obj) if r.source]
    return Path(records[0].source.path).name if records else ""


def source_sentences(run, language: str) -> list[str]:
    """Per survey, interview and audit source: sample, period, response rate or agreement."""
    out = []
    lang = language
    for spec in run.evaluation.analyses:
        result = run.results.get(spec.id)
        if spec.kind == "survey" and result is not None:
            out.append(_survey_sentence(run, result, lang))
        elif spec.kind == "qualitative" and result is not None:
            out.append(_interview_sentence(run, result, lang))
        elif spec.kind == "instrument" and result is not None:
            out.append(_staff_survey_sentence(run, result, lang))
        elif spec.kind == "audit" and result is not None:
            sentence = _audit_sentence(result, lang)
            if sentence:
                out.append(sentence)
    return [s for s in out if s]


def _survey_sentence(run, result, lang: str) -> str:
    table = result.respondents
    name = _file_name(run.tables.get("survey")) or "survey"
    waves = table["wave"].astype(int)
    values = dict(name=name, answers=i18n.fmt_int(int(table["n_respondents"].sum()), lang),
                  first=str(waves.min()), last=str(waves.max()))
    if "sent" not in table or table["sent"].isna().all():
        return _t("survey_no_sent", lang, **values)
    rate = table["response_rate"].astype(float)
    return _t("survey", lang, sent=i18n.fmt_int(int(table["sent"].sum()), lang),
              rate=i18n.fmt_percent(table["n_respondents"].sum() / table["sent"].sum(), 0, lang),
              low=i18n.fmt_percent(rate.min(), 0, lang), high=i18n.fmt_percent(rate.max(), 0, lang), **values)


def _instrument_name(result) -> str:
    instrument = getattr(result, "instrument", None)
    return str(getattr(instrument, "name", None) or instrument or "")


def _staff_survey_sentence(run, result, lang: str) -> str:
    scores = getattr(result, "scores", None)
    if not isinstance(scores, pd.DataFrame) or "wave" not in scores:
        return ""
    counts = scores.groupby("wave", sort=True).size()
    waves = _names([_t("wave_count", lang, wave=str(w), n=i18n.fmt_int(int(k), lang)) for w, k in counts.items()],
                   lang)
    return _t("staff_survey", lang, name=_file_name(run.tables.get("staff_survey")) or "staff_survey",
              instrument=_instrument_name(result), n=i18n.fmt_int(len(scores), lang),
              waves=waves)


def _interview_sentence(run, result, lang: str) -> str:
    sizes = getattr(result, "group_sizes", None)
    n = getattr(result, "n_sources", None)
    if sizes is None or n is None:
        return ""
    roles = _names([_t("role_count", lang, role=str(role), n=i18n.fmt_int(int(k), lang)) for role, k in
                    sizes.items()], lang)
    first, last = _interview_dates(run)
    period = _t("interview_period", lang, first=i18n.fmt_date(first, lang), last=i18n.fmt_date(last, lang)) \
        if first else ""
    return _t("interviews", lang, name=_file_name(run.tables.get("codings")) or "codings",
              n=i18n.fmt_int(int(n), lang), roles=roles, period=period)


def _audit_sentence(result, lang: str) -> str:
    design = getattr(result, "design", None) or {}
    agreement = getattr(result, "agreement", None)
    if not design.get("n_reviewed") or not isinstance(agreement, pd.DataFrame) or agreement.empty:
        return ""
    strata = _names([_t("audit_stratum", lang, n=i18n.fmt_int(s["sample"], lang),
                        stratum=_t(s["key"], lang) if s["key"] in ("before", "after") else s["key"],
                        population=i18n.fmt_int(s["population"], lang))
                     for s in sorted(design.get("strata_table", ()),
                                     key=lambda s: (s["key"] != "before", s["key"] != "after", s["key"]))], lang)
    overall = agreement.iloc[-1]
    from evalkit.audit._text import T as AUDIT_TEXT  # the agreement method's name in each language

    method = AUDIT_TEXT.get(str(overall["method"]), {}).get(lang, str(overall["method"]))
    return _t("audit", lang, n=i18n.fmt_int(design["n_reviewed"], lang), strata=strata,
              double=i18n.fmt_int(design.get("n_double", 0), lang), method=method,
              value=i18n.fmt_number(float(overall["value"]), 2, lang))


def ethics(evaluation, language: str) -> list[str]:
    """``[report] ethics``, else a neutral paragraph on pseudonymisation and suppression."""
    return _paragraphs(evaluation.report.ethics) or [_t("ethics", language)]


def _periods(run) -> dict[str, tuple[dt.date, dt.date]]:
    """The period each loaded source covers (for events during it)."""
    out = {}
    for kind, column in _PERIOD_COLUMN.items():
        frame = run.tables.get(kind)
        if isinstance(frame, pd.DataFrame) and column in frame:
            values = pd.to_datetime(frame[column], errors="coerce").dropna()
            if len(values):
                out[kind] = (values.min().date(), values.max().date())
    survey = run.tables.get("survey")
    responses = getattr(survey, "responses", None)
    if isinstance(responses, pd.DataFrame) and "wave" in responses:
        waves = pd.to_numeric(responses["wave"], errors="coerce").dropna().astype(int)
        if len(waves):
            out["survey"] = (dt.date(waves.min(), 1, 1), dt.date(waves.max(), 12, 31))
    first, last = _interview_dates(run)
    if first:
        out["codings"] = (first, last)
    return out


def limitations(run, language: str) -> list[str]:
    """The limitations that follow from the design and the data (see the module's notes for the rules)."""
    from evalkit.analysis.its import RECOMMENDED_PERIODS_PER_SIDE

    lang = language
    out = []
    for spec in run.evaluation.analyses:
        result = run.results.get(spec.id)
        title = spec.title or getattr(result, "title", spec.id)
        if spec.kind == "did" and result is not None:
            if result.n_units < FEW_CLUSTERS:
                out.append(_t("few_clusters", lang, title=title, n=i18n.fmt_int(result.n_units, lang)))
            if result.n_pre <= 1:
                out.append(_t("one_pre", lang, title=title))
            p = _pretrend_p(result)
            if p is not None and p < PRETREND_ALPHA:
                out.append(_t("pretrend", lang, title=title, p=i18n.fmt_p(p, lang)))
        elif spec.kind == "its" and result is not None:
            if min(result.n_pre, result.n_post) < RECOMMENDED_PERIODS_PER_SIDE:
                out.append(_t("short_series", lang, title=title, pre=i18n.fmt_int(result.n_pre, lang),
                              post=i18n.fmt_int(result.n_post, lang),
                              k=i18n.fmt_int(RECOMMENDED_PERIODS_PER_SIDE, lang)))
            p = (result.diagnostics or {}).get("ljung_box_p")
            if p is not None and p == p and p < 0.05:
                out.append(_t("autocorrelation", lang, title=title, p=i18n.fmt_p(p, lang)))
        elif spec.kind == "survey" and result is not None:
            table = result.respondents
            if "response_rate" in table:
                low = table.loc[table["response_rate"].astype(float) < LOW_RESPONSE, "wave"]
                if len(low):
                    out.append(_t("low_response", lang, limit=i18n.fmt_percent(LOW_RESPONSE, 0, lang),
                                  years=_names([str(int(w)) for w in low], lang)))
    out += _event_limitations(run, lang)
    return out


def _pretrend_p(result) -> float | None:
    """The joint pre-trend test's p-value of the event study the report drew (none computed here: it can
    take seconds with the wild bootstrap)."""
    study = getattr(result, "_cache", {}).get("event_study")
    if study is None:
        return None
    p = study.pretrend.get("p_value")
    return float(p) if p is not None and p == p else None


def _when(event, lang: str) -> str:
    first = i18n.fmt_date(event.start, lang)
    return first if not event.end else f"{first}–{i18n.fmt_date(event.end, lang)}"


def _event_limitations(run, lang: str) -> list[str]:
    periods = _periods(run)
    out = []
    for event in run.evaluation.change.events:
        hit = [_t(f"what_{kind}", lang) for kind, (first, last) in periods.items() if event.overlaps(first, last)]
        if hit:
            out.append(_t("event", lang, text=event.text, when=_when(event, lang), what=_names(hit, lang)))
    return out


def limitation_blocks(run, language: str) -> list:
    from evalkit.report import Bullets

    items = limitations(run, language)
    if not items:
        return [_t("no_limitations", language)]
    return [_t("limitations_intro", language), Bullets(tuple(items))]


def discussion(run, language: str) -> list[str]:
    """``[report] discussion``, else a neutral scaffold relating results and implementation to the purpose,
    marked as a draft."""
    from evalkit.kinds import kind_of

    ev = run.evaluation
    if ev.report.discussion:
        return _paragraphs(ev.report.discussion)
    lang = language
    out = [_t("draft", lang)]
    if ev.purpose:
        out.append(_t("discussion_purpose", lang, purpose=ev.purpose))
    by_section: dict[str, list[str]] = {}
    for spec in ev.analyses:
        if spec.id in run.results:
            by_section.setdefault(kind_of(spec).section, []).append(spec.title or spec.id)
    if by_section.get("results"):
        titles = by_section["results"]
        out.append(_t("discussion_results", lang, n=i18n.fmt_int(len(titles), lang), titles="; ".join(titles)))
    if by_section.get("implementation"):
        out.append(_t("discussion_implementation", lang, titles="; ".join(by_section["implementation"]),
                      change=ev.change.name))
    out.append(_t("discussion_limits", lang))
    return out


def outcome_definitions(evaluation, language: str):
    """The appendix table of the outcome measures the config's its/did analyses use (None if none)."""
    from evalkit.analysis._labels import outcome_title

    rows = []
    for column in dict.fromkeys(s.outcome for s in evaluation.analyses if s.kind in ("its", "did") and s.outcome):
        definition, unit, sources = _DEFINITIONS.get(column, (None, None, ""))
        rows.append((outcome_title(column, language),
                     definition[language] if definition else _GENERIC[language].format(column=column),
                     unit[language] if unit else "", sources))
    if not rows:
        return None
    columns = [_t(k, language) for k in ("col_measure", "col_definition", "col_unit", "col_columns")]
    return pd.DataFrame(rows, columns=columns)


def definitions_heading(language: str) -> str:
    return _t("definitions_heading", language)


def definitions_caption(language: str) -> str:
    return _t("definitions_caption", language)


def ethics_heading(language: str) -> str:
    return _t("ethics_heading", language)


def sources_heading(language: str) -> str:
    return _t("sources_heading", language)


def figure_caption(spec, result: Any, evaluation, language: str) -> str | None:
    """What a panel analysis' figure shows, from its config entry and result; None for other kinds."""
    from evalkit.analysis._labels import outcome_title

    lang = language
    label = outcome_title(spec.outcome, lang) if spec.outcome else (spec.title or "")
    change = evaluation.change.name
    if spec.kind == "its":
        fitted = getattr(result, "fitted", None)
        first = spec.start.year if spec.start else None
        last = spec.end.year if spec.end else None
        if isinstance(fitted, pd.DataFrame) and "period" in fitted and (first is None or last is None):
            periods = pd.to_datetime(fitted["period"], errors="coerce").dropna()
            if len(periods):
                first, last = first or periods.min().year, last or periods.max().year
        if first is None:
            return None
        return _t("caption_its", lang, label=label, first=str(first), last=str(last), change=change)
    if spec.kind == "did":
        treated = _names(spec.treated, lang) if spec.treated else change
        return _t("caption_did", lang, label=label, treated=treated, change=change)
    return None
