"""Run an evaluation config: load its data, build outcome panels, run its analyses.

This sits on top with :mod:`evalkit.config` and :mod:`evalkit.cli`; nothing in
``io``, ``analysis`` or ``report`` imports it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import i18n
from evalkit.config import AnalysisSpec, Evaluation
from evalkit.errors import AnalysisError, DataError
from evalkit.io.mapping import ColumnMapping, resolve_columns
from evalkit.schemas import DECISIONS, ORDERS, SCHEMAS, VISITS

__all__ = ["Run", "load_sources", "guess_table", "load_file", "build_panel", "run_analysis", "run", "audit_frame",
           "build_report"]

LOADABLE = ("decisions", "orders", "visits")


def _loader(kind: str):
    from evalkit.io import decisions as d

    return {"decisions": d.load_decisions, "orders": d.load_orders, "visits": d.load_visits}[kind]


def guess_table(path: Path, sheet: str | None = None) -> str | None:
    """Which canonical table a file's headers fit best (None if none fits)."""
    from evalkit.io.read import read_raw

    headers = [str(c) for c in read_raw(path, sheet=sheet).frame.columns]
    best, best_score = None, 0
    for schema in (DECISIONS, ORDERS, VISITS):
        try:
            chosen = resolve_columns(headers, schema, ColumnMapping())
        except DataError:
            continue
        if len(chosen) > best_score:
            best, best_score = schema.name, len(chosen)
    return best


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
        elif kind == "codings":
            from evalkit.io.codings import load_codings

            tables[kind] = load_codings(source.path)
    return tables


def input_records(run: "Run") -> list:
    """LoadRecords of every file the run read: the loaded tables and what analyses read themselves
    (the audit forms), each file once."""
    from evalkit.provenance import records_of

    records = [r for obj in [*run.tables.values(), *run.results.values()] for r in records_of(obj)]
    return list({(r.table, r.source.path if r.source else None): r for r in records}.values())


def build_panel(evaluation: Evaluation, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The monthly unit × period outcome panel for the config's analyses."""
    from evalkit.outcomes import monthly_panel

    if "decisions" not in tables:
        raise DataError("the evaluation has no [data.decisions] source; outcome panels are built from decisions")
    return monthly_panel(tables["decisions"], tables.get("orders"))


def _window(panel: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    out = panel
    if spec.start:
        out = out[out["period"] >= pd.Timestamp(spec.start)]
    if spec.end:
        out = out[out["period"] <= pd.Timestamp(spec.end)]
    return out


def run_analysis(spec: AnalysisSpec, run: "Run") -> Any:
    """Run one configured analysis of ``run.evaluation`` and return its result object."""
    evaluation = run.evaluation
    if spec.kind == "survey":
        from evalkit.analysis import surveys

        if "survey" not in run.tables:
            raise AnalysisError(f"analyses '{spec.id}': a survey analysis needs a [data.survey] source")
        options = {"language": evaluation.language, **spec.options}
        result = surveys.run(run.tables["survey"], options)
        return _titled(result, spec)
    if spec.kind in ("audit", "qualitative"):
        return _titled(_run_other(spec, run), spec)
    panel = run.panel
    if panel is None:
        raise AnalysisError(f"analyses '{spec.id}': {spec.kind} analyses use the outcome panel, which is built "
                            "from a [data.decisions] source")
    return _run_panel_analysis(spec, panel, evaluation)


def _titled(result: Any, spec: AnalysisSpec) -> Any:
    if spec.title:
        try:
            result.title = spec.title
        except (AttributeError, TypeError):  # frozen results take the title from the report instead
            pass
    return result


def _run_other(spec: AnalysisSpec, run: "Run") -> Any:
    language = run.evaluation.language
    if spec.kind == "qualitative":
        from evalkit.analysis.qualitative import joint_display, run_qualitative

        if "codings" not in run.tables:
            raise AnalysisError(f"analyses '{spec.id}': a qualitative analysis needs a [data.codings] source")
        options = dict(spec.options)
        joint = options.pop("joint", None)
        result = run_qualitative(run.tables["codings"], {"language": language, "seed": run.evaluation.seed,
                                                          **options})
        if joint:
            unknown = [k for k in joint if k not in run.results]
            if unknown:
                raise AnalysisError(f"analyses '{spec.id}'.joint: {unknown} are not ids of analyses listed "
                                    f"before this one; known: {list(run.results)}")
            # rows are named by the analyses' titles, which the reader knows, not by their config ids
            specs = {a.id: a for a in run.evaluation.analyses}
            name = {k: specs[k].title or getattr(run.results[k], "title", k) for k in joint}
            run.extra[f"{spec.id}_joint"] = joint_display({name[k]: run.results[k] for k in joint},
                                                          {name[k]: v for k, v in joint.items()}, result,
                                                          language, _disclosure(run.evaluation))
        return result
    if spec.kind == "audit":
        from evalkit.audit import audit_analysis

        source = run.evaluation.data.get("audit")
        if source is None or not source.options.get("forms") or not source.options.get("manifest"):
            raise AnalysisError(f"analyses '{spec.id}': an audit analysis needs [data.audit] with forms = [...] "
                                "and manifest = \"...\"")
        options = {"seed": run.evaluation.seed, **spec.options}
        return audit_analysis(list(source.options["forms"]), source.options["manifest"], options,
                              language=language)
    raise AnalysisError(f"analyses '{spec.id}': unknown kind {spec.kind!r}")


def _run_panel_analysis(spec: AnalysisSpec, panel: pd.DataFrame, evaluation: Evaluation) -> Any:
    from evalkit.outcomes import TOTAL

    if spec.outcome not in panel.columns:
        raise AnalysisError(f"analyses '{spec.id}': outcome '{spec.outcome}' is not a panel column; "
                            f"available: {sorted(c for c in panel.columns if c not in ('unit', 'period'))}")
    data = _window(panel, spec)
    intervention = pd.Timestamp(spec.intervention or evaluation.change.date)
    if spec.kind == "its":
        from evalkit.analysis.its import its

        if spec.units == "pooled":
            data = data[data["unit"] == TOTAL]
        else:
            data = data[data["unit"] != TOTAL]
        kwargs = dict(outcome=spec.outcome, time="period", intervention=intervention, family=spec.family,
                      exposure=spec.exposure, seasonality=spec.seasonality)
        if spec.units == "each":
            kwargs["unit"] = "unit"
        return its(data.reset_index(drop=True), **kwargs, **spec.options)
    if spec.kind == "did":
        from evalkit.analysis.did import did

        data = data[data["unit"] != TOTAL]
        return did(data.reset_index(drop=True), outcome=spec.outcome, unit="unit", time="period",
                   treated=list(spec.treated), intervention=intervention, inference=spec.inference,
                   seed=evaluation.seed, **spec.options)
    raise AnalysisError(f"analyses '{spec.id}': unknown kind {spec.kind!r}")


@dataclass
class Run:
    """Everything one run of a config produced."""

    evaluation: Evaluation
    tables: dict[str, Any]
    panel: pd.DataFrame | None = None
    results: dict[str, Any] = field(default_factory=dict)
    #: further report sections produced by analyses (e.g. the mixed-methods joint display)
    extra: dict[str, Any] = field(default_factory=dict)
    started: dt.datetime | None = None


def run(evaluation: Evaluation, *, analyses: bool = True) -> Run:
    """Load, build the panel and run every analysis of ``evaluation``."""
    tables = load_sources(evaluation)
    out = Run(evaluation=evaluation, tables=tables)
    if "decisions" in tables:
        out.panel = build_panel(evaluation, tables)
    if analyses:
        for spec in evaluation.analyses:
            out.results[spec.id] = run_analysis(spec, out)
    return out


# -- the report -------------------------------------------------------------------------------

_PERIOD_COLUMN = {"decisions": "decided_on", "orders": "changed_on", "visits": "visit_start"}

_TEXT = {
    "change": {
        "sv": "Förändringen som utvärderas är {name}, införd {date} i {where}.",
        "nb": "Endringen som evalueres er {name}, innført {date} i {where}.",
        "en": "The change evaluated is {name}, introduced on {date} in {where}.",
    },
    "all_units": {"sv": "hela kommunen", "nb": "hele kommunen", "en": "the whole municipality"},
    "comparison": {
        "sv": "Jämförelseområden: {units}.",
        "nb": "Sammenligningsområder: {units}.",
        "en": "Comparison areas: {units}.",
    },
    "period": {
        "sv": "{name} omfattar {what} från {first} till {last}.",
        "nb": "{name} omfatter {what} fra {first} til {last}.",
        "en": "{name} covers {what} from {first} to {last}.",
    },
    "what": {
        "decisions": {"sv": "beslut fattade", "nb": "vedtak fattet", "en": "decisions made"},
        "orders": {"sv": "ändrade beställningar", "nb": "endrede bestillinger", "en": "order changes"},
        "visits": {"sv": "besök", "nb": "besøk", "en": "visits"},
    },
    "panel": {
        "sv": "Utfallsmåtten beräknas per område och månad ({n} område-månader). Definitionerna står i "
              "bilagan med utfallsmått.",
        "nb": "Utfallsmålene beregnes per område og måned ({n} område-måneder). Definisjonene står i vedlegget "
              "om utfallsmål.",
        "en": "Outcome measures are computed per area and month ({n} area-months). The definitions are in the "
              "appendix on outcome measures.",
    },
    "flags": {
        "sv": "{name}: {count} rader flaggades ({flag}); de behålls men ingår inte i mått som kräver båda datumen.",
        "nb": "{name}: {count} rader ble flagget ({flag}); de beholdes, men inngår ikke i mål som krever begge "
              "datoene.",
        "en": "{name}: {count} rows were flagged ({flag}); they are kept but left out of measures that need both "
              "dates.",
    },
    "source": {"sv": "{files}, egna beräkningar", "nb": "{files}, egne beregninger", "en": "{files}, own calculations"},
}


_t = i18n.translator(_TEXT)


#: The [data.*] sources each kind of analysis reads: its tables' and figures' source line names their files.
_SOURCES_OF = {"its": ("decisions", "orders"), "did": ("decisions", "orders"), "survey": ("survey",),
               "qualitative": ("codings",), "audit": ("audit",)}


def _source_files(evaluation: Evaluation, kind: str) -> str:
    names = []
    for data_kind in _SOURCES_OF.get(kind, ()):
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
        dates = frame[_PERIOD_COLUMN[kind]].dropna()
        if len(dates):
            out.append(_t("period", language, name=name, what=_TEXT["what"][kind][language],
                          first=i18n.fmt_date(dates.min().date(), language),
                          last=i18n.fmt_date(dates.max().date(), language)))
        for flag, rows in (rec.flags.items() if rec else ()):
            out.append(_t("flags", language, name=name, count=i18n.fmt_int(len(rows), language), flag=flag))
    return out


def _disclosure(ev):
    """The report's disclosure rules from the config (also used by text built before the report)."""
    from evalkit.privacy import Disclosure

    r = ev.report
    return Disclosure(r.suppress_counts_below, r.suppress_percent_denominator_below, r.suppress_zero_counts)


def build_report(result: Run, *, language: str | None = None):
    """The :class:`evalkit.report.Report` of a finished run (not yet saved)."""
    from evalkit.report import Report

    ev = result.evaluation
    lang = language or ev.language
    report = Report(ev.title, language=lang, subtitle=ev.municipality or None,
                    thresholds=(ev.report.suppress_counts_below, ev.report.suppress_percent_denominator_below),
                    zero_is_small=ev.report.suppress_zero_counts)
    change = ev.change
    where = ", ".join(change.units) if change.units else _t("all_units", lang)
    background = [p for p in (change.description,) if p]
    background.append(_t("change", lang, name=change.name, date=i18n.fmt_date(change.date, lang), where=where))
    if change.comparison_units:
        background.append(_t("comparison", lang, units=", ".join(change.comparison_units)))
    report.add_section("background", blocks=background)
    if ev.purpose or ev.questions:
        from evalkit.report import Bullets

        blocks = [ev.purpose] if ev.purpose else []
        if ev.questions:
            blocks.append(Bullets(tuple(ev.questions)))
        report.add_section("purpose", blocks=blocks)
    methods = _data_sentences({k: v for k, v in result.tables.items() if k in _PERIOD_COLUMN}, lang)
    if result.panel is not None:
        methods.append(_t("panel", lang, n=i18n.fmt_int(len(result.panel), lang)))
    report.add_section("methods", blocks=methods)
    records = input_records(result)
    for spec in ev.analyses:
        source = _t("source", lang, files=_source_files(ev, spec.kind))
        report.add(result.results[spec.id], title=spec.title or None, source=source)
    for extra in result.extra.values():
        report.add(extra)
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
        keep &= decided >= pd.Timestamp(first)
    if last is not None:
        keep &= decided <= pd.Timestamp(last)
    frame = decisions.loc[keep].reset_index(drop=True)
    after = frame["decided_on"] >= pd.Timestamp(evaluation.change.date)
    frame["period"] = after.map({False: PERIODS[0], True: PERIODS[1]}).astype("string")
    return frame
