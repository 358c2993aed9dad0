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

from evalkit.config import AnalysisSpec, Evaluation
from evalkit.errors import AnalysisError, DataError
from evalkit.io.mapping import ColumnMapping, resolve_columns
from evalkit.schemas import DECISIONS, ORDERS, SCHEMAS, VISITS

__all__ = ["Run", "load_sources", "guess_table", "load_file", "build_panel", "run_analysis", "run"]

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


def load_sources(evaluation: Evaluation) -> dict[str, pd.DataFrame]:
    """Load every data source of the config that evalkit has a loader for."""
    tables = {}
    for kind, source in evaluation.data.items():
        if kind in LOADABLE:
            tables[kind] = _loader(kind)(source.path, source.mapping, sheet=source.sheet)
    return tables


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


def run_analysis(spec: AnalysisSpec, panel: pd.DataFrame, evaluation: Evaluation) -> Any:
    """Run one configured analysis on the panel and return its result object."""
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
    tables: dict[str, pd.DataFrame]
    panel: pd.DataFrame | None = None
    results: dict[str, Any] = field(default_factory=dict)
    started: dt.datetime | None = None


def run(evaluation: Evaluation, *, analyses: bool = True) -> Run:
    """Load, build the panel and run every analysis of ``evaluation``."""
    tables = load_sources(evaluation)
    out = Run(evaluation=evaluation, tables=tables)
    if "decisions" in tables:
        out.panel = build_panel(evaluation, tables)
        if analyses:
            for spec in evaluation.analyses:
                out.results[spec.id] = run_analysis(spec, out.panel, evaluation)
    return out
