"""Run an evaluation config: load its data, build outcome panels, run its analyses.

This sits on top with :mod:`evalkit.config` and :mod:`evalkit.cli`; nothing in
``io``, ``analysis`` or ``report`` imports it.
"""
from __future__ import annotations

import datetime as dt
import difflib
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import i18n
from evalkit._dates import parse_user_date
from evalkit.config import AnalysisSpec, Evaluation
from evalkit.errors import ConfigError, DataError
from evalkit.io.mapping import ColumnMapping, resolve_columns
from evalkit.kinds import CONTINUITY_OUTCOMES, PERIOD_COLUMNS, Need, kind_of
from evalkit.schemas import SCHEMAS

__all__ = ["Run", "load_sources", "guess_table", "load_file", "build_panel", "run_analysis", "run", "audit_frame",
           "build_report", "classify", "Classification", "match_columns", "ColumnMatch", "read_headers",
           "Need", "Unmet", "unmet_needs", "findings_of"]

LOADABLE = ("decisions", "orders", "visits", "staff")


def _loader(kind: str):
    from evalkit.io import decisions as d
    from evalkit.io.staff import load_staff

    return {"decisions": d.load_decisions, "orders": d.load_orders, "visits": d.load_visits, "staff": load_staff}[kind]


def guess_table(path: Path, sheet: str | None = None) -> str | None:
    """Which canonical table (decisions, orders, visits) a file's headers fit (None if none fits);
    :func:`classify` tells the other kinds of input too."""
    kind = classify(path, sheet=sheet).kind
    return kind if kind in LOADABLE else None


def load_file(path: Path, table: str, mapping=None, sheet: str | None = None) -> pd.DataFrame:
    return _loader(table)(path, mapping, sheet=sheet)


def load_sources(evaluation: Evaluation) -> dict[str, Any]:
    """Load every data source of the config (audit forms are read by their analysis)."""
    tables: dict[str, Any] = {}
    for kind, source in evaluation.data.items():
        if kind in LOADABLE:
            tables[kind] = _loader(kind)(source.path, source.mapping, sheet=source.sheet)
        elif kind == "survey":
            from evalkit.io.surveys import load_survey

            tables[kind] = load_survey(source.path, source.options.get("codebook"), sheet=source.sheet,
                                       sent=source.options.get("sent"))
        elif kind == "strategies":  # implementation strategies (ERIC names, Proctor's fields): TOML or Excel
            from evalkit.implementation import load_strategies

            tables[kind] = load_strategies(source.path)
        elif kind == "staff_survey":  # a staff implementation survey (NoMAD, AIM/IAM/FIM), one row per respondent
            from evalkit.io.read import read_table

            tables[kind] = read_table(source.path, sheet=source.sheet)
        elif kind == "codings":
            from evalkit.io.codings import load_codings

            tables[kind] = load_codings(source.path, sources_dir=source.options.get("sources_dir"))
        elif kind == "documents":
            from evalkit.io.documents import load_documents

            tables[kind] = load_documents(source.path, meta=source.options.get("meta"))
    return tables


def input_records(run: "Run") -> list:
    """LoadRecords of every file the run read: the loaded tables and what analyses read themselves
    (the audit forms), each file once."""
    from evalkit.provenance import records_of

    records = [r for obj in [*run.tables.values(), *run.results.values()] for r in records_of(obj)]
    return list({(r.table, r.source.path if r.source else None): r for r in records}.values())


def build_panel(evaluation: Evaluation, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The monthly unit × period outcome panel for the config's analyses.

    From the decisions (and order changes) by :func:`evalkit.outcomes.monthly_panel`; with a ``[data.staff]``
    source the staff outcomes of :func:`evalkit.staff.staff_panel` are joined on by unit and month (an outer
    join: months or units only one source has keep NaN in the other's columns), so ITS and DiD analyses
    take ``outcome = "sick_leave"`` like any other panel column.
    """
    from evalkit.outcomes import monthly_panel

    staff = _staff_panel(tables)
    if "decisions" not in tables:
        if staff is not None:
            return staff
        raise DataError("the evaluation has no [data.decisions] source; outcome panels are built from decisions "
                        "(or from a [data.staff] HR export)")
    panel = monthly_panel(tables["decisions"], tables.get("orders"))
    if staff is None:
        return panel
    joined = panel.merge(staff, on=["unit", "period"], how="outer", sort=False)
    joined.attrs = panel.attrs
    return joined


def _staff_panel(tables: dict[str, Any]) -> pd.DataFrame | None:
    from evalkit.staff import staff_panel

    return staff_panel(tables["staff"]) if "staff" in tables else None


def run_analysis(spec: AnalysisSpec, run: "Run") -> Any:
    """Run one configured analysis of ``run.evaluation`` (its kind from :mod:`evalkit.kinds`)."""
    return _titled(kind_of(spec).run(spec, run), spec)


def _titled(result: Any, spec: AnalysisSpec) -> Any:
    if spec.title:
        try:
            result.title = spec.title
        except (AttributeError, TypeError):  # frozen results take the title from the report instead
            pass
    return result


@dataclass
class Run:
    """Everything one run of a config produced."""

    evaluation: Evaluation
    tables: dict[str, Any]
    panel: pd.DataFrame | None = None
    results: dict[str, Any] = field(default_factory=dict)
    #: further report sections produced by analyses (e.g. the mixed-methods joint display)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the report chapter of each extra section (default "results")
    extra_sections: dict[str, str] = field(default_factory=dict)
    started: dt.datetime | None = None
    #: figures drawn ahead for the report, by analysis id (:class:`evalkit.report._figures.Prerendered`; the
    #: two-process run draws those of the analyses its child ran, see :func:`run`)
    figures: dict[str, Any] = field(default_factory=dict)


def run(evaluation: Evaluation, *, analyses: bool = True, parallel: bool = False, progress=None,
        figures: str | None = None) -> Run:
    """Load, build the panel and run every analysis of ``evaluation``.

    ``parallel=True`` (what ``evalkit report`` uses) runs the independent loaders and analyses in a forked child
    beside the parent (:mod:`evalkit._parallel`): same tables, results, warnings (in the same order) and errors
    as the serial run; serial where the platform cannot fork or ``EVALKIT_SERIAL=1``. With ``figures`` (the
    language of the report to come) the child also draws its results' figures for that report
    (``Run.figures``; :func:`build_report` in that language places them, same bytes). ``progress(spec)`` is
    called for each analysis, in config order.
    """
    if parallel:
        from evalkit import _parallel

        if _parallel.wanted():
            return _parallel.run(evaluation, analyses, progress, figures)
    tables = load_sources(evaluation)
    check_units(evaluation, tables)
    out = Run(evaluation=evaluation, tables=tables)
    if "decisions" in tables or "staff" in tables:
        out.panel = build_panel(evaluation, tables)
    if analyses:
        for spec in evaluation.analyses:
            if progress is not None:
                progress(spec)
            out.results[spec.id] = run_analysis(spec, out)
    return out


def named_units(evaluation: Evaluation) -> dict[str, tuple[str, ...]]:
    """Every unit the config names, by the key path that names it."""
    named = {"change.units": evaluation.change.units or (),
             "change.comparison_units": evaluation.change.comparison_units}
    for i, spec in enumerate(evaluation.analyses):
        named[f"analyses[{i}].treated"] = spec.treated
        comparison = spec.options.get("comparison")
        if comparison is not None:
            named[f"analyses[{i}].comparison"] = (comparison,) if isinstance(comparison, str) else tuple(comparison)
    return {key: tuple(map(str, units)) for key, units in named.items() if units}


def check_units(evaluation: Evaluation, tables: dict[str, Any]) -> None:
    """Refuse units named in the config that no loaded table has, listing the units that exist.

    Without this a misspelt district passed silently: the report said the change was made "in Nord, Sorr"
    while the analyses ran on the whole municipality.
    """
    known = sorted({str(u) for table in tables.values() if isinstance(table, pd.DataFrame) and "unit" in table
                    for u in table["unit"].dropna().unique()})
    if not known:
        return
    problems = []
    for key, units in named_units(evaluation).items():
        for unit in units:
            if unit not in known:
                close = difflib.get_close_matches(unit, known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"{key}: unit '{unit}' is not in the data{hint}")
    if problems:
        raise ConfigError(f"{evaluation.path}: " + "; ".join(problems) + f". Units in the data: {', '.join(known)}.")


# -- the report -------------------------------------------------------------------------------

_t = i18n.translator("pipeline")


def _source_files(evaluation: Evaluation, spec: AnalysisSpec) -> str:
    names = []
    for data_kind in kind_of(spec).cited(spec):
        source = evaluation.data.get(data_kind)
        if source is not None:
            paths = ([source.path] if source.path else []) + list(source.options.get("forms", ()))
            names += [Path(p).name for p in paths]
    return ", ".join(dict.fromkeys(names))


def _data_sentences(tables: dict[str, pd.DataFrame], language: str) -> list[str]:
    from evalkit.provenance import record_of

    out = []
    for kind, frame in tables.items():
        rec = record_of(frame)
        name = Path(rec.source.path).name if rec and rec.source else kind
        dates = frame[PERIOD_COLUMNS[kind]].dropna()
        if len(dates):
            out.append(_t("period", language, name=name, what=_t(f"what.{kind}", language),
                          first=i18n.fmt_date(dates.min().date(), language),
                          last=i18n.fmt_date(dates.max().date(), language)))
        for flag, rows in (rec.flags.items() if rec else ()):
            out.append(_t("flags", language, name=name, count=i18n.fmt_int(len(rows), language),
                          flag=i18n.reason(flag, language)))
    return out


def _strategy_marks(run: Run, spec: AnalysisSpec, language: str):
    """Marks of the implementation strategies on an ITS figure, so a reader sees what was done when."""
    log = run.tables.get("strategies")
    if log is None or spec.kind != "its":
        return None
    return lambda figure: log.mark(figure.axes[0], language=language)


def findings_of(result: Run, language: str, disclosure=None) -> dict[str, list]:
    """The structured findings (:class:`evalkit.findings.Finding`) of every analysis whose kind gives them,
    by analysis id, drawn from the tables the report shows in ``language``."""
    out = {}
    for spec in result.evaluation.analyses:
        extract = kind_of(spec).findings
        if extract is not None and spec.id in result.results:
            out[spec.id] = extract(spec.id, result.results[spec.id], language, disclosure)
    return out


def _titles(evaluation: Evaluation, result: Run, lang: str) -> dict[str, str]:
    return {spec.id: i18n.in_language(spec.title, lang) or getattr(result.results.get(spec.id), "title", spec.id)
            for spec in evaluation.analyses}


def _add_analysis(report, result: Run, spec: AnalysisSpec, lang: str, *, section: str, level: int = 2) -> None:
    source = _t("source", lang, files=_source_files(result.evaluation, spec))
    from evalkit import _fou

    drawn = result.figures.get(spec.id)
    report.add(result.results[spec.id], title=i18n.in_language(spec.title, lang) or None, source=source,
               section=section, decorate=_strategy_marks(result, spec, lang), level=level,
               figure_caption=_fou.figure_caption(spec, result.results[spec.id], result.evaluation, lang),
               figure=drawn if drawn is not None and drawn.language == lang else None)


def _told(findings: dict[str, list], entry: str, where: str) -> list:
    """The findings a question's ``analyses`` entry names: all of an analysis (``"id"``), or those of one effect
    or item (``"id:part"``; a part that matches none is a :class:`ConfigError` naming the key)."""
    aid, _, part = entry.partition(":")
    every = findings.get(aid, [])
    if not part:
        return list(every)
    chosen = [f for f in every if part in (f.effect, f.outcome)]
    if not chosen:
        # an analysis with findings on several outcomes (items, staff-survey scores) is also cut by outcome
        several = len({f.outcome for f in every}) > 1
        parts = sorted({f.effect for f in every} | ({f.outcome for f in every} if several else set()))
        raise ConfigError(f"{where}: '{entry}' names no finding of analysis '{aid}'; its parts: "
                          f"{', '.join(parts) or '(it gives no findings)'}")
    return chosen


def _add_questions(report, result: Run, findings: dict[str, list], lang: str) -> set[str]:
    """Each research question that names analyses: its answer in the summary, and in the results chapter a
    heading with the answer followed by those analyses (an analysis named twice is shown under the first).
    Returns the ids placed; without such questions nothing is added (the summary stays the results' sentences)."""
    from evalkit import findings_text as ft

    ev = result.evaluation
    mapped = [(q, ids) for q, ids in zip(ev.questions, ev.question_analyses or [()] * len(ev.questions))]
    if not any(ids for _, ids in mapped):
        return set()
    titles = _titles(ev, result, lang)
    change = i18n.in_language(ev.change.name, lang)
    placed: set[str] = set()
    summary, said = [], set()
    for i, (question, ids) in enumerate(mapped):
        question = i18n.in_language(question, lang)
        if not ids:
            summary.append(ft.summary_paragraph(question, [ft.not_answered(lang)]))
            continue
        where = f"{ev.path.name if ev.path else 'config'}: evaluation.questions[{i}].analyses"
        told = [f for entry in ids for f in _told(findings, entry, where)]
        summary.append(ft.summary_paragraph(question, ft.answer(told, lang, change, titles, brief=True, said=said)))
        report.add_question(question, ft.answer(told, lang, change, titles))
        for aid in dict.fromkeys(entry.split(":", 1)[0] for entry in ids):
            if aid not in placed:
                spec = next(s for s in ev.analyses if s.id == aid)
                _add_analysis(report, result, spec, lang, section="results", level=3)
                placed.add(aid)
    others = [titles[s.id] for s in ev.analyses if s.id not in placed]
    if others:
        summary.append(ft.see_results(others, lang))
    report.set_summary(summary)
    return placed


def _add_conclusions(report, ev: Evaluation, findings: dict[str, list], placed: set[str], lang: str) -> None:
    """Conclusions and recommendations: the evaluator's ([report] conclusions / recommendations) or drafted from
    every finding of the analyses that answer the questions (all of them, also where a question names one part:
    an item that got worse belongs in what remains), or of every analysis when no question names any."""
    from evalkit import findings_text as ft

    ids = [s.id for s in ev.analyses if (s.id in placed or not placed) and s.id in findings]
    chosen = [f for aid in ids for f in findings[aid]]
    if not chosen and ev.report.conclusions is None and ev.report.recommendations is None:
        return  # nothing to draft from: the placeholder stays
    titles = {s.id: i18n.in_language(s.title, lang) or s.id for s in ev.analyses}
    report.add_section("conclusions", blocks=ft.conclusions_blocks(
        chosen, lang, purpose=i18n.in_language(ev.purpose, lang), titles=titles, conclusions=ev.report.conclusions,
        recommendations=ev.report.recommendations))


def build_report(result: Run, *, language: str | None = None):
    """The :class:`evalkit.report.Report` of a finished run (not yet saved)."""
    from evalkit import _fou
    from evalkit.report import Heading, Report, Table

    ev = result.evaluation
    lang = language or ev.language
    own = functools.partial(i18n.in_language, language=lang)  # the user's text in the report's language
    meta = ev.report
    report = Report(own(ev.title), language=lang, subtitle=ev.municipality or None,
                    thresholds=(meta.suppress_counts_below, meta.suppress_percent_denominator_below),
                    zero_is_small=meta.suppress_zero_counts, template=meta.template,
                    commissioner=meta.commissioner or None, authors=meta.authors, version=meta.version or None,
                    report_number=meta.report_number or None, date=_fou.report_date(result),
                    toc_page_numbers=meta.toc_page_numbers)
    report.add_section("foreword", blocks=_fou.foreword(ev, lang))
    change = ev.change
    where = ", ".join(change.units) if change.units else _t("all_units", lang)
    background = _fou.background(ev) + [own(p) for p in (change.description,) if p]
    background.append(_t("change", lang, name=own(change.name), date=i18n.fmt_date(change.date, lang), where=where))
    if change.comparison_units:
        background.append(_t("comparison", lang, units=", ".join(change.comparison_units)))
    report.add_section("background", blocks=background)
    if ev.purpose or ev.questions:
        from evalkit.report import Bullets

        blocks = [own(ev.purpose)] if ev.purpose else []
        if ev.questions:
            blocks.append(Bullets(tuple(own(q) for q in ev.questions)))
        report.add_section("purpose", blocks=blocks)
    methods = _data_sentences({k: v for k, v in result.tables.items() if k in PERIOD_COLUMNS}, lang)
    methods += _fou.source_sentences(result, lang)
    if result.panel is not None:
        methods.append(_t("panel", lang, n=i18n.fmt_int(len(result.panel), lang)))
    report.add_section("methods", blocks=methods)
    report.add_section("ethics", blocks=_fou.ethics(ev, lang))
    definitions = _fou.outcome_definitions(ev, lang)
    if definitions is not None:
        report.add_section("appendix", blocks=[Heading(_fou.definitions_heading(lang), 2),
                                               Table(definitions, _fou.definitions_caption(lang))])
    records = input_records(result)
    findings = findings_of(result, lang, report.disclosure)
    placed = _add_questions(report, result, findings, lang)
    for spec in ev.analyses:
        if spec.id not in placed:
            _add_analysis(report, result, spec, lang, section=kind_of(spec).section)
    for key, extra in result.extra.items():
        report.add(extra, section=result.extra_sections.get(key, "results"))
    strategies = result.tables.get("strategies")
    if strategies is not None:
        report.add(strategies, section="implementation")
    _add_conclusions(report, ev, findings, placed, lang)
    report.add_section("discussion", blocks=_fou.discussion(result, lang))
    report.add_section("limitations", blocks=_fou.limitation_blocks(result, lang))
    config_text = ev.path.read_text(encoding="utf-8") if ev.path else None
    report.set_provenance(records, seeds={"evaluation.seed": ev.seed},
                          config_text=config_text)
    return report


# -- audits -----------------------------------------------------------------------------------

#: labels of the ``period`` column of an audit frame: decided before / on or after the change date
PERIODS = ("before", "after")


def audit_frame(evaluation: Evaluation, decisions: pd.DataFrame, *, first=None, last=None) -> pd.DataFrame:
    """The sampling frame for a decision audit: decisions decided in [first, last] with a ``period`` column.

    ``period`` is ``"before"`` for decisions made before ``[change].date`` and ``"after"`` from it, so
    ``strata = ["period"]`` gives the before/after audit design.
    """
    decided = decisions["decided_on"]
    keep = decided.notna()
    if first is not None:
        keep &= decided >= parse_user_date(first, what="--from", error=ConfigError)
    if last is not None:
        keep &= decided <= parse_user_date(last, what="--to", error=ConfigError)
    frame = decisions.loc[keep].reset_index(drop=True)
    after = frame["decided_on"] >= pd.Timestamp(evaluation.change.date)
    frame["period"] = after.map({False: PERIODS[0], True: PERIODS[1]}).astype("string")
    return frame


# -- what `evalkit check` inspects: which table a file is, which columns it has, what analyses need -------

#: Every kind of input `evalkit check` recognises: the canonical tables, survey responses and their mailing list
#: (questionnaires sent), interview codings, filled audit forms and audit sample manifests.
INPUT_KINDS = ("decisions", "orders", "visits", "staff", "survey", "survey_sent", "codings", "audit", "audit_manifest")
_CODING_SUFFIXES = (".qdpx", ".qdc", ".qda", ".qde", ".sqlite3")


@dataclass(frozen=True)
class ColumnMatch:
    """How a file's headers map onto one canonical table (:mod:`evalkit.schemas`).

    ``found`` maps canonical column → file header; required and optional columns
    follow :attr:`TableSchema.required`; ``unused`` are file headers no canonical
    column took (candidates for a ``[columns]`` entry in a mapping file).
    """

    table: str
    headers: tuple[str, ...]
    found: dict[str, str]
    missing_required: tuple[str, ...]
    missing_optional: tuple[str, ...]
    unused: tuple[str, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(SCHEMAS[self.table].required)

    @property
    def recognised(self) -> bool:
        """At least half of the table's required columns (and two or more) are there."""
        hit = len(self.required) - len(self.missing_required)
        return hit >= 2 and 2 * hit >= len(self.required)


def read_headers(path: Path, sheet: str | None = None) -> list[str]:
    """The header names of a table file or a folder of Parquet files, as the loaders see them."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".parquet":
        import pyarrow.dataset as pads

        try:
            return list(pads.dataset(path, format="parquet").schema.names)
        except Exception as exc:  # pyarrow raises several types for non-Parquet content
            raise DataError(f"{path}: cannot read it as Parquet ({type(exc).__name__}: {exc})") from None
    from evalkit.io.read import read_raw

    return [str(c) for c in read_raw(path, sheet=sheet).frame.columns]


def match_columns(headers: list[str], table: str, mapping=None) -> ColumnMatch:
    """Match ``headers`` to the canonical ``table`` as its loader would, without failing on a missing column.

    ``mapping`` is a mapping file (path), dict or :class:`ColumnMapping`; a mapping
    whose targets are not columns of ``table`` raises :class:`ConfigError`.
    """
    import dataclasses

    from evalkit.io.mapping import load_mapping

    schema = SCHEMAS[table]
    user = load_mapping(mapping, schema)
    relaxed = dataclasses.replace(schema, columns=tuple(dataclasses.replace(c, required=False)
                                                        for c in schema.columns))
    try:
        found = resolve_columns(list(headers), relaxed, user)
    except DataError:  # two headers claim one column: the loader says which; here the first one counts
        found = _first_claims(headers, schema, user)
    used = set(found.values())
    return ColumnMatch(
        table=table, headers=tuple(headers), found=found,
        missing_required=tuple(c for c in schema.required if c not in found),
        missing_optional=tuple(c.name for c in schema.columns if not c.required and c.name not in found),
        unused=tuple(h for h in headers if h not in used))


def _first_claims(headers, schema, user: ColumnMapping) -> dict[str, str]:
    from evalkit.io.mapping import HEADER_ALIASES, normalise_header

    targets = {normalise_header(k): v for k, v in user.columns.items()}
    found: dict[str, str] = {}
    for h in headers:
        target = targets.get(normalise_header(h))
        if target and target not in found:
            found[target] = h
    for col in schema.columns:
        aliases = {normalise_header(a) for a in HEADER_ALIASES.get(col.name, (col.name,))}
        hit = next((h for h in headers if normalise_header(h) in aliases and h not in found.values()), None)
        if col.name not in found and hit is not None:
            found[col.name] = hit
    return found


@dataclass(frozen=True)
class Classification:
    """What `evalkit check` takes a file for: one of :data:`INPUT_KINDS`, or ``None`` when it cannot tell."""

    kind: str | None
    headers: tuple[str, ...] = ()
    #: the canonical-table matches, best first (decisions/orders/visits files and unrecognised tables)
    matches: tuple[ColumnMatch, ...] = ()

    @property
    def match(self) -> ColumnMatch | None:
        return self.matches[0] if self.matches and self.matches[0].table == self.kind else None


def classify(path: Path, *, sheet: str | None = None, mapping=None, table: str | None = None) -> Classification:
    """Which kind of evalkit input ``path`` is.

    Coded-interview projects by their format; audit forms by the ``_meta`` sheet
    :func:`evalkit.audit.form` writes; tables by their headers: a decisions,
    orders or visits table when :attr:`ColumnMatch.recognised` (the one with the
    larger share of its required columns), else a survey when a column is an item
    of the built-in codebook (or the file is SPSS .sav), else a coded-segments
    export when it has source and code columns. ``table`` forces the kind.
    """
    path = Path(path)
    if table in ("codings", "audit", "survey"):
        return Classification(table)
    if table is None and (path.is_dir() and not _parquet_dir(path) or path.suffix.lower() in _CODING_SUFFIXES):
        return Classification("codings")
    if table is None and _is_audit_form(path):
        return Classification("audit")
    if table is None and path.suffix.lower() == ".json":
        return Classification("audit_manifest" if _is_manifest(path) else None)
    headers = read_headers(path, sheet=sheet)
    matches = []
    for name in ((table,) if table else LOADABLE):
        try:
            matches.append(match_columns(headers, name, mapping))
        except ConfigError:
            if table:  # a mapping made for another table is only an error for the table it should fit
                raise
    matches.sort(key=lambda m: (-(len(m.required) - len(m.missing_required)) / len(m.required),
                                -len(m.found)))
    if table or (matches and matches[0].recognised):
        return Classification(table or matches[0].table, tuple(headers), tuple(matches))
    kind = ("survey" if _looks_like_survey(path, headers) else "survey_sent" if _looks_like_sent(headers)
            else "codings" if _looks_like_codings(headers) else None)
    return Classification(kind, tuple(headers), tuple(matches))


def _parquet_dir(path: Path) -> bool:
    return any(path.rglob("*.parquet"))


def _is_audit_form(path: Path) -> bool:
    import zipfile

    if path.suffix.lower() not in (".xlsx", ".xlsm") or not zipfile.is_zipfile(path):
        return False
    from openpyxl import load_workbook

    from evalkit.audit.forms import META_SHEET

    try:
        wb = load_workbook(path, read_only=True)
    except Exception:  # not a readable workbook: the table reader reports it properly
        return False
    try:
        return META_SHEET in wb.sheetnames
    finally:
        wb.close()


def _looks_like_survey(path: Path, headers) -> bool:
    from evalkit.io.surveys import load_codebook

    items = load_codebook("aldreomsorg_hemtjanst").items
    return path.suffix.lower() == ".sav" or any(h in items for h in headers)


def _looks_like_sent(headers) -> bool:
    from evalkit.io.surveys import META_COLUMNS

    low = {str(h).strip().lower() for h in headers}
    return bool(low & set(META_COLUMNS["wave"])) and bool(low & {"sent", "utskick", "skickade", "antal_utskick"})


def _is_manifest(path: Path) -> bool:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and {"sample", "strata_table"} <= set(data)


def _looks_like_codings(headers) -> bool:
    from evalkit.io._coding_tables import HEADER_ALIASES as ROLES

    low = {str(h).strip().lower() for h in headers}
    return bool(low & set(ROLES["source"])) and bool(low & set(ROLES["code"]))


@dataclass(frozen=True)
class Unmet:
    """Why one configured analysis cannot run on what was found."""

    analysis: str
    #: [data.<source>] sections the config lacks
    sources: tuple[str, ...] = ()
    #: (source, canonical column, "absent" (no header maps to it) | "empty" (no row has a value) | "not given", why)
    columns: tuple[tuple[str, str, str, str], ...] = ()
    #: other text (an outcome that is no panel column, analyses joined that cannot run)
    other: tuple[str, ...] = ()


def unmet_needs(evaluation: Evaluation, run: "Run", matches: dict[str, ColumnMatch] | None = None) -> list[Unmet]:
    """The analyses of ``evaluation`` that cannot run on the tables of ``run``, each with what it lacks.

    A column counts as present when its table holds a value in at least one row;
    ``matches`` (source → :class:`ColumnMatch`) tells "not in the file" from "empty".
    """
    from evalkit.outcomes import PANEL_COLUMNS as DECISION_COLUMNS
    from evalkit.staff import STAFF_PANEL_COLUMNS

    PANEL_COLUMNS = (*DECISION_COLUMNS, *STAFF_PANEL_COLUMNS)

    out: list[Unmet] = []
    for spec in evaluation.analyses:
        sources, columns, other = [], [], []
        for need in kind_of(spec).needs(spec):
            source = evaluation.data.get(need.source)
            if source is None:
                sources.append(need.source)
                continue
            if need.source in ("audit", "cfir"):  # sources of form files, not tables
                columns += [(need.source, k, "not given", need.why) for k in need.columns if not source.options.get(k)]
                continue
            frame = run.tables.get(need.source)
            for c in need.columns:
                if isinstance(frame, pd.DataFrame) and (c not in frame.columns or not frame[c].notna().any()):
                    match = (matches or {}).get(need.source)
                    state = "absent" if match is None or c not in match.found else "empty"
                    columns.append((need.source, c, state, need.why))
        if kind_of(spec).panel:
            for role, column in (("outcome", spec.outcome), ("exposure", spec.exposure)):
                if column and column not in (*PANEL_COLUMNS, *CONTINUITY_OUTCOMES):
                    other.append(f"{role} '{column}' is not an outcome panel column")
        joined = [k for k in spec.options.get("joint", {}) if k in {u.analysis for u in out}] \
            if spec.kind == "qualitative" else []
        if joined:
            other.append(f"its joint display uses analyses that cannot run: {', '.join(joined)}")
        if sources or columns or other:
            out.append(Unmet(spec.id, tuple(dict.fromkeys(sources)), tuple(dict.fromkeys(columns)), tuple(other)))
    return out
