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
from evalkit.kinds import PERIOD_COLUMNS, kind_of

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

_t = i18n.translator("fou")

#: source columns of the panel outcomes whose definition and unit the catalogue ([fou] definition.*, unit.*) gives
#: (evalkit/outcomes.py and evalkit/staff.py document the rules in full)
_SOURCES = {
    'processing_days_median': 'applied_on, decided_on',
    'processing_days_p90': 'applied_on, decided_on',
    'start_days_median': 'decided_on, start_on',
    'goal_recorded_share': 'decided_on, goal_recorded',
    'own_view_recorded_share': 'decided_on, own_view_recorded',
    'followed_up_share': 'follow_up_on',
    'denial_share': 'decided_on, outcome',
    'hours_per_user': 'person_id, start_on, end_on, hours_per_month',
    'active_users': 'person_id, start_on, end_on, outcome',
    'new_decisions': 'decided_on',
    'continuity_mean': 'person_id, staff_id, visit_start',
    'continuity_median': 'person_id, staff_id, visit_start',
}



def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def _dates(run) -> list[dt.date]:
    out = []
    for kind, column in PERIOD_COLUMNS.items():
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
    values = dict(change=i18n.in_language(evaluation.change.name, language), where=where, commissioner=rep.commissioner,
                  authors=i18n.join_words(rep.authors, language) if rep.authors else "")
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
    waves = i18n.join_words([_t("wave_count", lang, wave=str(w), n=i18n.fmt_int(int(k), lang))
                             for w, k in counts.items()], lang)
    return _t("staff_survey", lang, name=_file_name(run.tables.get("staff_survey")) or "staff_survey",
              instrument=_instrument_name(result), n=i18n.fmt_int(len(scores), lang),
              waves=waves)


def _interview_sentence(run, result, lang: str) -> str:
    sizes = getattr(result, "group_sizes", None)
    n = getattr(result, "n_sources", None)
    if sizes is None or n is None:
        return ""
    roles = i18n.join_words([_t("role_count", lang, role=str(role), n=i18n.fmt_int(int(k), lang))
                             for role, k in sizes.items()], lang)
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
    ordered = sorted(design.get("strata_table", ()),
                     key=lambda s: (s["key"] != "before", s["key"] != "after", s["key"]))
    strata = i18n.join_words([_t("audit_stratum", lang, n=i18n.fmt_int(s["sample"], lang),
                                 stratum=_t(s["key"], lang) if s["key"] in ("before", "after") else s["key"],
                                 population=i18n.fmt_int(s["population"], lang)) for s in ordered], lang)
    overall = agreement.iloc[-1]

    # the agreement method's name in the report's language (cohen, krippendorff), else as the result names it
    method = i18n.words("audit", lang).get(str(overall["method"]), str(overall["method"]))
    return _t("audit", lang, n=i18n.fmt_int(design["n_reviewed"], lang), strata=strata,
              double=i18n.fmt_int(design.get("n_double", 0), lang), method=method,
              value=i18n.fmt_number(float(overall["value"]), 2, lang))


def ethics(evaluation, language: str) -> list[str]:
    """``[report] ethics``, else a neutral paragraph on pseudonymisation and suppression."""
    return _paragraphs(evaluation.report.ethics) or [_t("ethics", language)]


def _periods(run) -> dict[str, tuple[dt.date, dt.date]]:
    """The period each loaded source covers (for events during it)."""
    out = {}
    for kind, column in PERIOD_COLUMNS.items():
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
        title = i18n.in_language(spec.title, lang) or getattr(result, "title", spec.id)
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
                                  years=i18n.join_words([str(int(w)) for w in low], lang)))
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
            out.append(_t("event", lang, text=i18n.in_language(event.text, lang), when=_when(event, lang),
                          what=i18n.join_words(hit, lang)))
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

    ev = run.evaluation
    if ev.report.discussion:
        return _paragraphs(ev.report.discussion)
    lang = language
    out = [_t("draft", lang)]
    if ev.purpose:
        out.append(_t("discussion_purpose", lang, purpose=i18n.in_language(ev.purpose, lang)))
    by_section: dict[str, list[str]] = {}
    for spec in ev.analyses:
        if spec.id in run.results:
            by_section.setdefault(kind_of(spec).section, []).append(i18n.in_language(spec.title, lang) or spec.id)
    if by_section.get("results"):
        titles = by_section["results"]
        out.append(_t("discussion_results", lang, n=i18n.fmt_int(len(titles), lang), titles="; ".join(titles)))
    if by_section.get("implementation"):
        out.append(_t("discussion_implementation", lang, titles="; ".join(by_section["implementation"]),
                      change=i18n.in_language(ev.change.name, lang)))
    out.append(_t("discussion_limits", lang))
    return out


def outcome_definitions(evaluation, language: str):
    """The appendix table of the outcome measures the config's its/did analyses use (None if none)."""
    from evalkit.analysis._labels import outcome_title

    rows = []
    for column in dict.fromkeys(s.outcome for s in evaluation.analyses if s.kind in ("its", "did") and s.outcome):
        known = column in _SOURCES
        rows.append((outcome_title(column, language),
                     _t(f"definition.{column}", language) if known else _t("generic_definition", language,
                                                                          column=column),
                     _t(f"unit.{column}", language) if known else "", _SOURCES.get(column, "")))
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
    label = outcome_title(spec.outcome, lang) if spec.outcome else (i18n.in_language(spec.title, lang) or "")
    change = i18n.in_language(evaluation.change.name, lang)
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
        treated = i18n.join_words(spec.treated, lang) if spec.treated else change
        return _t("caption_did", lang, label=label, treated=treated, change=change)
    return None
