"""Fidelity (metodtrohet): did each decision carry the model's core components?

:func:`fidelity` scores every eligible decision against the components of a :class:`~evalkit.Model`
and summarises adherence per component and a fidelity index per unit × month and per case officer,
classifies units as high or low implementers, and observes the unit-level components (visit log,
survey) beside them. Pure analysis: takes tables, reads no files.
"""
from __future__ import annotations

import html
import math
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.analysis.proportions import proportion_ci
from evalkit.errors import AnalysisError
from evalkit.implementation import _text
from evalkit.implementation.model import Component, Model, evaluate_rule
from evalkit.privacy import suppress_counts

__all__ = ["fidelity", "FidelityResult", "score_decisions", "ADHERENCE_COLUMNS", "INDEX_COLUMNS",
           "CLASS_COLUMNS", "UNIT_COMPONENT_COLUMNS", "index_ci"]

ADHERENCE_COLUMNS = ["component", "source", "n", "n_met", "share", "ci_low", "ci_high"]
INDEX_COLUMNS = ["n_decisions", "mean_index", "ci_low", "ci_high", "n_full", "share_full"]
CLASS_COLUMNS = ["unit", "n_decisions", "mean_index", "ci_low", "ci_high", "class"]
UNIT_COMPONENT_COLUMNS = ["component", "source", "unit", "period", "n", "n_met", "share", "ci_low", "ci_high"]
ALL_UNITS = "all units"
AUDIT_ANSWERS = ("yes", "partly", "no")


def fidelity(
    decisions: pd.DataFrame,
    model: "Model | dict | str" = "ibic",
    *,
    by: Sequence[str] = ("unit", "month"),
    audit: pd.DataFrame | None = None,
    visits: pd.DataFrame | None = None,
    visit_windows: Iterable | None = None,
    survey=None,
    start=None,
    end=None,
    threshold: float = 0.8,
    window_months: int = 6,
    officer: str = "case_officer_id",
    level: float = 0.95,
) -> "FidelityResult":
    """Adherence to each core component and a fidelity index, per unit × month and per case officer.

    Parameters
    ----------
    decisions : DataFrame
        Canonical decisions (:data:`evalkit.schemas.DECISIONS`): ``decision_id, unit, decided_on`` and
        the columns the model's rules read (e.g. ``goal_recorded``, ``life_area``, ``follow_up_on``).
    model : Model, dict, or str
        The model (:class:`~evalkit.Model`), a dict in its TOML shape, a built-in name (``"ibic"``,
        ``"rehab"``, ``"ip"``) or a path to a TOML file.
    by : sequence of str
        Grouping of the main tables: columns of the decisions and/or ``"month"`` (month of ``decided_on``).
    audit : DataFrame, optional
        Audit answers (what :func:`evalkit.load_audit` returns; several forms concatenated): one row per
        ``decision_id, reviewer, item`` with ``answer`` yes/partly/no/na. Needed for audit components.
    visits : DataFrame, optional
        Canonical visit log, for visit-log components; with ``visit_windows`` (first days of the
        14-day windows, Mondays as in Kolada's measurement).
    survey : evalkit.Survey, optional
        For survey components: share positive per unit and wave.
    start, end : date-like, optional
        Only decisions made in ``[start, end]``.
    threshold : float
        A unit is a *high implementer* when its mean fidelity index over the last ``window_months``
        months of the period is at least this (default 0.8, implementation.md §1.5).
    window_months : int
        Length of the classification window (default 6 months, ending with the last month with data).
    officer : str
        Column of the case officer (``case_officer_id``); the per-officer tables are skipped without it.
    level : float
        Confidence level of every interval.

    Returns
    -------
    FidelityResult

    Notes
    -----
    *Eligible decisions* are those meeting the model's eligible rule. A component *applies* to a
    decision when its ``applies`` rule holds and it is observed for that decision (an audit component
    is observed only for decisions in the audit sample, with an answer other than "not applicable";
    the primary reviewer's answer counts — the reviewer with most answers, as in
    :func:`evalkit.audit.score`).

    *Adherence* to a component is the share of decisions it applies to that meet it, with a Wilson
    interval (:func:`evalkit.proportion_ci`; R ``prop.test(x, n, correct = FALSE)``).

    *Fidelity index* of a decision (Carroll et al. 2007, adherence/content) =
    components met / components that apply, over the decision-level components (decisions file and
    audit). A unit's or officer's index is the mean over its decisions, with a t interval
    (R ``t.test(x)$conf.int``), clipped to [0, 1]; it treats decisions as independent, so with strong
    clustering by case officer the interval is too narrow. *Full adherence*: every component that
    applies is met. Decisions to which no component applies have no index.

    Visit-log and survey components are observed per unit and window/wave, not per decision; they are
    reported beside the index (:attr:`FidelityResult.unit_components`), never averaged into it.
    """
    m = Model.load(model)
    frame = _eligible(decisions, m, start, end)
    scored = score_decisions(frame, m, audit=audit)
    if scored.empty:
        raise AnalysisError("no eligible decisions in the period: check start/end and the model's eligible rule "
                            f"({m.name})")
    by = _check_by(scored, by)
    comps = [c for c in m.decision_components]
    adherence = _adherence(scored, comps, by, level)
    index = _index(scored, by, level)
    has_officer = officer in scored.columns and scored[officer].notna().any()
    officer_adherence = _adherence(scored, comps, [officer], level) if has_officer else None
    officers = _officer_index(scored, officer, level) if has_officer else None
    window = _window(scored, window_months)
    classification = _classify(scored, window, threshold, level)
    unit_components = _unit_components(m, decisions, visits, visit_windows, survey, level)
    notes = _notes(m, audit, visits, visit_windows, survey, has_officer, officer)
    return FidelityResult(model=m, scored=scored, by=tuple(by), adherence=adherence, index=index,
                          officer_adherence=officer_adherence, officers=officers, classification=classification,
                          unit_components=unit_components, threshold=threshold, window=window,
                          window_months=window_months, level=level, notes=notes, officer=officer)


# ----------------------------------------------------------------------------- scoring
def _eligible(decisions: pd.DataFrame, m: Model, start, end) -> pd.DataFrame:
    if not isinstance(decisions, pd.DataFrame):
        raise AnalysisError("decisions must be a DataFrame (what evalkit.load_decisions returns)")
    need = [c for c in ("decision_id", "unit", "decided_on") if c not in decisions.columns]
    if need:
        raise AnalysisError(f"decisions lack column(s) {', '.join(need)}")
    m.check_columns(decisions)
    d = decisions.copy()
    d["decided_on"] = pd.to_datetime(d["decided_on"], errors="coerce")
    keep = evaluate_rule(m.eligible, d) & d["decided_on"].notna().to_numpy()
    if start is not None:
        keep &= (d["decided_on"] >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (d["decided_on"] <= pd.Timestamp(end)).to_numpy()
    d = d[keep].reset_index(drop=True)
    d["month"] = d["decided_on"].dt.to_period("M").dt.to_timestamp()
    return d


def score_decisions(frame: pd.DataFrame, model: Model, *, audit: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per decision: each decision-level component met (True/False, NA where it does not apply), the
    number that apply and are met, the fidelity index and full adherence.

    Columns: the decision's own columns, then ``<component>`` (boolean with NA), ``n_applicable``,
    ``n_met``, ``index`` (NaN when nothing applies) and ``full``.
    """
    answers = _audit_answers(audit)
    out = frame.copy()
    applicable = np.zeros(len(frame), dtype=int)
    met_total = np.zeros(len(frame), dtype=int)
    for comp in model.decision_components:
        app, met = _observe(comp, frame, answers)
        applicable += app
        met_total += app & met
        out[comp.id] = pd.array(np.where(app, met, False), dtype="boolean")
        out.loc[~app, comp.id] = pd.NA
    out["n_applicable"] = applicable
    out["n_met"] = met_total
    with np.errstate(invalid="ignore", divide="ignore"):
        out["index"] = np.where(applicable > 0, met_total / np.maximum(applicable, 1), np.nan)
    out["full"] = pd.array(np.where(applicable > 0, met_total == applicable, False), dtype="boolean")
    out.loc[applicable == 0, "full"] = pd.NA
    return out


def _observe(comp: Component, frame: pd.DataFrame, answers: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    applies = evaluate_rule(comp.applies, frame)
    if comp.source == "decisions":
        return applies, evaluate_rule(comp.observation.met, frame)
    # audit: the primary reviewer's answer to the item, where the decision was audited
    if answers is None:
        return np.zeros(len(frame), dtype=bool), np.zeros(len(frame), dtype=bool)
    item = answers[answers["item"] == comp.observation.item].set_index("decision_id")["answer"]
    answer = frame["decision_id"].astype(str).map(item).astype(object)
    observed = answer.isin(AUDIT_ANSWERS).to_numpy(dtype=bool)
    return applies & observed, (answer == "yes").fillna(False).to_numpy(dtype=bool)


def _audit_answers(audit: pd.DataFrame | None) -> pd.DataFrame | None:
    if audit is None:
        return None
    need = ["decision_id", "reviewer", "item", "answer"]
    if not isinstance(audit, pd.DataFrame) or any(c not in audit.columns for c in need):
        raise AnalysisError(f"audit must be a DataFrame with columns {need} (what evalkit.load_audit returns)")
    a = audit.dropna(subset=["answer"]).astype({"decision_id": str, "reviewer": str, "item": str, "answer": str})
    counts = a.groupby("reviewer").size()
    rank = {r: k for k, r in enumerate(sorted(counts.index, key=lambda r: (-counts[r], r)))}
    a = a.assign(_rank=a["reviewer"].map(rank)).sort_values("_rank", kind="stable")
    return a.drop_duplicates(["decision_id", "item"])[["decision_id", "item", "answer"]]


def _check_by(scored: pd.DataFrame, by: Sequence[str]) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    missing = [b for b in by if b not in scored.columns]
    if missing:
        raise AnalysisError(f"by: no column(s) {', '.join(missing)} in the decisions (or 'month')")
    return by


# ----------------------------------------------------------------------------- tables
def index_ci(values: np.ndarray, level: float) -> tuple[float, float, float]:
    """Mean of decision indices with a t interval clipped to [0, 1] (R ``t.test(x)$conf.int``)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


@lru_cache(maxsize=65536)
def _wilson(x: int, n: int, level: float) -> tuple[float, float, float]:
    """Share and Wilson interval (cached: tables repeat the same counts many times)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    low, high = proportion_ci(int(x), int(n), level=level)
    return x / n, low, high


def _adherence(scored: pd.DataFrame, comps: list[Component], keys: list[str], level: float) -> pd.DataFrame:
    cols = [c.id for c in comps]
    applies = scored[cols].notna().astype(int)
    met = scored[cols].fillna(False).astype(bool).astype(int)
    if keys:
        n = applies.groupby([scored[k] for k in keys], sort=True, dropna=False).sum()
        x = met.groupby([scored[k] for k in keys], sort=True, dropna=False).sum()
    else:
        n, x = applies.sum().to_frame().T, met.sum().to_frame().T
    long = pd.DataFrame({"n": n.stack(), "n_met": x.stack()}).reset_index()
    long.columns = [*keys, "component", "n", "n_met"] if keys else ["_", "component", "n", "n_met"]
    ci = [_wilson(int(a), int(b), level) for a, b in zip(long["n_met"], long["n"])]
    long["share"], long["ci_low"], long["ci_high"] = zip(*ci) if ci else ((), (), ())
    long["source"] = long["component"].map({c.id: c.source for c in comps})
    order = {c: i for i, c in enumerate(cols)}
    long = long.sort_values([*keys, "component"], key=lambda s: s.map(order) if s.name == "component" else s,
                            kind="stable")
    return long[[*keys, *ADHERENCE_COLUMNS]].reset_index(drop=True).astype({"n": int, "n_met": int})


def _index_row(g: pd.DataFrame, level: float) -> dict:
    idx = g["index"].to_numpy(dtype=float)
    mean, low, high = index_ci(idx, level)
    full = g["full"].dropna().astype(bool)
    return {"n_decisions": int((~np.isnan(idx)).sum()), "mean_index": mean, "ci_low": low, "ci_high": high,
            "n_full": int(full.sum()), "share_full": float(full.mean()) if len(full) else math.nan}


def _index(scored: pd.DataFrame, keys: list[str], level: float) -> pd.DataFrame:
    """Mean index with its t interval per group (vectorised: mean, sd and n per group, then t quantiles)."""
    d = pd.DataFrame({"index": scored["index"].to_numpy(float),
                      "full": scored["full"].astype("Float64").to_numpy(float, na_value=np.nan)})
    for k in keys:
        d[k] = scored[k].to_numpy()
    g = d.groupby(keys, sort=True, dropna=False) if keys else d.assign(_k=0).groupby("_k")
    agg = g.agg(n_decisions=("index", "count"), mean_index=("index", "mean"), sd=("index", "std"),
                n_full=("full", "sum"), n_full_obs=("full", "count")).reset_index()
    n = agg["n_decisions"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + level / 2, n - 1) * agg["sd"].to_numpy(float) / np.sqrt(n)
        agg["ci_low"] = np.clip(agg["mean_index"] - half, 0, 1)
        agg["ci_high"] = np.clip(agg["mean_index"] + half, 0, 1)
        agg["share_full"] = agg["n_full"] / agg["n_full_obs"]
    agg["n_full"] = agg["n_full"].astype(int)
    agg["n_decisions"] = agg["n_decisions"].astype(int)
    return agg[[*keys, *INDEX_COLUMNS]]


def _officer_index(scored: pd.DataFrame, officer: str, level: float) -> pd.DataFrame:
    rows = []
    for who, g in scored.groupby(officer, sort=True):
        units = g["unit"].astype(str).value_counts()
        rows.append({officer: who, "unit": units.index[0], **_index_row(g, level)})
    return pd.DataFrame(rows, columns=[officer, "unit", *INDEX_COLUMNS])


def _window(scored: pd.DataFrame, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    if months < 1:
        raise AnalysisError("window_months must be at least 1")
    last = scored["month"].max()
    return last - pd.DateOffset(months=months - 1), last


def _classify(scored: pd.DataFrame, window, threshold: float, level: float) -> pd.DataFrame:
    """Units' mean index over the window; ``high`` when at least ``threshold``."""
    first, last = window
    w = scored[(scored["month"] >= first) & (scored["month"] <= last)]
    rows = []
    for unit, g in w.groupby("unit", sort=True):
        r = _index_row(g, level)
        cls = "high" if r["mean_index"] >= threshold else "low"
        rows.append({"unit": unit, "n_decisions": r["n_decisions"], "mean_index": r["mean_index"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "class": cls})
    return pd.DataFrame(rows, columns=CLASS_COLUMNS)


# ----------------------------------------------------------------------------- unit-level components
def _unit_components(m: Model, decisions, visits, windows, survey, level) -> pd.DataFrame:
    rows: list[dict] = []
    for comp in m.unit_components:
        if comp.source == "visits" and visits is not None and windows is not None:
            rows += _continuity_rows(comp, visits, decisions, windows, level)
        elif comp.source == "survey" and survey is not None:
            rows += _survey_rows(comp, survey, level)
    return pd.DataFrame(rows, columns=UNIT_COMPONENT_COLUMNS)


def _continuity_rows(comp: Component, visits, decisions, windows, level) -> list[dict]:
    from evalkit.outcomes import staff_continuity

    rows = []
    for w in windows:
        res = staff_continuity(visits, decisions, window_start=w)
        per = res.per_user
        for unit, g in per.groupby("unit", sort=True):
            x, n = int((g["n_staff"] <= comp.observation.at_most).sum()), len(g)
            share, low, high = _wilson(x, n, level)
            rows.append({"component": comp.id, "source": "visits", "unit": unit, "period": pd.Timestamp(w),
                         "n": n, "n_met": x, "share": share, "ci_low": low, "ci_high": high})
    return rows


def _survey_rows(comp: Component, survey, level) -> list[dict]:
    from evalkit.analysis.surveys import share_positive

    item = comp.observation.item
    if item not in survey.codebook.items:
        raise AnalysisError(f"component {comp.id}: the survey has no item {item!r}")
    by = [b for b in ("unit", "wave") if b in survey.responses.columns]
    t = share_positive(survey, [item], by=by, level=level)
    rows = []
    for r in t.itertuples(index=False):
        n, x = int(r.n_valid), int(r.n_positive)
        share, low, high = _wilson(x, n, level)
        rows.append({"component": comp.id, "source": "survey", "unit": getattr(r, "unit", ALL_UNITS),
                     "period": getattr(r, "wave", None), "n": n, "n_met": x, "share": share,
                     "ci_low": low, "ci_high": high})
    return rows


def _notes(m: Model, audit, visits, windows, survey, has_officer, officer) -> list[str]:
    notes = []
    for comp in m.components:
        if comp.source == "audit" and audit is None:
            notes.append(f"component {comp.id} is observed in an audit: pass audit= (evalkit.load_audit) to score it")
        if comp.source == "visits" and (visits is None or windows is None):
            notes.append(f"component {comp.id} is observed in the visit log: pass visits= and visit_windows=")
        if comp.source == "survey" and survey is None:
            notes.append(f"component {comp.id} is observed in a survey: pass survey= (evalkit.load_survey)")
    if not has_officer:
        notes.append(f"no {officer} column: the per-officer tables are left out")
    return notes


# ----------------------------------------------------------------------------- result
class FidelityResult:
    """Fidelity to a model's core components; implements the report protocol of :mod:`evalkit.report`.

    Attributes
    ----------
    model : Model
    scored : DataFrame
        One row per eligible decision with each component met (NA where it does not apply), ``index``
        and ``full`` (:func:`score_decisions`). Holds pseudonymous ids only.
    adherence : DataFrame
        ``<by…>, component, source, n, n_met, share, ci_low, ci_high`` (Wilson).
    index : DataFrame
        ``<by…>, n_decisions, mean_index, ci_low, ci_high, n_full, share_full``.
    officer_adherence, officers : DataFrame or None
        The same per case officer (``officers`` adds the officer's main unit).
    classification : DataFrame
        Per unit over :attr:`window`: ``unit, n_decisions, mean_index, ci_low, ci_high, class``
        (``high`` when ``mean_index >= threshold``).
    unit_components : DataFrame
        Visit-log and survey components per unit and window/wave (:data:`UNIT_COMPONENT_COLUMNS`).
    notes : list of str
        What could not be observed and why.
    """

    def __init__(self, *, model, scored, by, adherence, index, officer_adherence, officers, classification,
                 unit_components, threshold, window, window_months, level, notes, officer, language="sv"):
        self.model, self.scored, self.by = model, scored, by
        self.adherence, self.index = adherence, index
        self.officer_adherence, self.officers = officer_adherence, officers
        self.classification, self.unit_components = classification, unit_components
        self.threshold, self.window, self.window_months = threshold, window, window_months
        self.level, self.notes, self.officer = level, notes, officer
        self.language = language

    # -- derived ---------------------------------------------------------
    @property
    def title(self) -> str:
        return _text.t("fidelity_title", self.language, model=self.model.label(self.language))

    @property
    def high(self) -> list[str]:
        """Units classified as high implementers."""
        return self.classification.loc[self.classification["class"] == "high", "unit"].astype(str).tolist()

    @property
    def low(self) -> list[str]:
        return self.classification.loc[self.classification["class"] == "low", "unit"].astype(str).tolist()

    def in_window(self) -> pd.DataFrame:
        """The scored decisions of the classification window."""
        first, last = self.window
        s = self.scored
        return s[(s["month"] >= first) & (s["month"] <= last)]

    def unit_matrix(self, window: bool = True) -> pd.DataFrame:
        """Component × unit adherence over the classification window (or the whole period), plus all units.

        Columns: ``unit, component, n, n_met, share, ci_low, ci_high``, then the index rows with
        ``component = "index"`` (``n`` = decisions, ``share`` = mean index).
        """
        # sentences, tables and the figure all ask for it; it is a pure function of these inputs
        key = (bool(window), id(self.scored), self.window, self.level, id(self.model))
        cached = getattr(self, "_unit_matrices", {}).get(key)
        if cached is not None and cached[0] is self.scored and cached[1] is self.model:
            return cached[2].copy()
        matrix = self._unit_matrix(window)
        self._unit_matrices = {key: (self.scored, self.model, matrix)}
        return matrix.copy()

    def _unit_matrix(self, window: bool) -> pd.DataFrame:
        s = self.in_window() if window else self.scored
        comps = list(self.model.decision_components)
        per_unit = _adherence(s, comps, ["unit"], self.level)
        overall = _adherence(s, comps, [], self.level).assign(unit=ALL_UNITS)
        idx = _index(s, ["unit"], self.level)
        idx_all = _index(s, [], self.level).assign(unit=ALL_UNITS)
        idx = pd.concat([idx, idx_all], ignore_index=True).rename(columns={"n_decisions": "n", "mean_index": "share"})
        idx = idx.assign(component="index", source="", n_met=np.nan)
        cols = ["unit", "component", "n", "n_met", "share", "ci_low", "ci_high"]
        return pd.concat([per_unit[cols], overall[cols], idx[cols]], ignore_index=True)

    # -- protocol ----------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Adherence per ``by`` group and component, fixed columns ``<by…>`` + :data:`ADHERENCE_COLUMNS`."""
        return self.adherence.copy()

    def summary(self) -> str:
        return _text.fidelity_summary(self)

    def sentences(self, language: str = "sv") -> list[str]:
        return _text.fidelity_sentences(self, language)

    def methods(self, language: str = "sv") -> list[str]:
        return _text.fidelity_methods(self, language)

    def report_tables(self, language: str = "sv") -> list:
        return _text.fidelity_tables(self, language)

    def plot(self, ax=None, language: str | None = None):
        """Trend per component (one panel each, plus the index), one line per unit; with ``ax``, the index only."""
        return _text.fidelity_plot(self, ax, language or self.language)

    def _repr_html_(self) -> str:
        hidden = suppress_counts(self.classification, ["n_decisions"])
        shown = hidden.display
        for col in ("mean_index", "ci_low", "ci_high"):  # a mean over fewer than 5 decisions is hidden with its n
            shown[col] = shown[col].astype(object).where(~hidden.mask["n_decisions"], "..")
        return f"<pre>{html.escape(self.summary())}</pre>" + shown.to_html(index=False, na_rep="..")

    def __repr__(self) -> str:
        return (f"FidelityResult(model={self.model.name!r}, decisions={len(self.scored)}, high={self.high}, "
                f"low={self.low})")
