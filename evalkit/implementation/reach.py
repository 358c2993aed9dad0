"""Implementation outcomes from the registers: reach, adoption, penetration, maintenance (RE-AIM, Proctor).

:func:`implementation_outcomes` builds on :func:`~evalkit.implementation.fidelity.fidelity`: a decision
is *made under the new model* when its fidelity index reaches the threshold, and every outcome below
counts persons, decisions, units or case officers by that rule. Pure analysis: takes tables, reads no files.
"""
from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from evalkit.errors import AnalysisError
from evalkit.implementation import _text
from evalkit.implementation.fidelity import FidelityResult, _wilson, fidelity, index_ci
from evalkit.implementation.model import Model, _rule, evaluate_rule
from evalkit.privacy import suppress_counts, suppress_percentages

__all__ = ["implementation_outcomes", "ImplementationResult", "AGE_BANDS", "OUTCOME_COLUMNS",
           "REPRESENTATIVENESS_COLUMNS", "ADOPTION_COLUMNS", "MAINTENANCE_COLUMNS"]

#: age bands of the representativeness table (age at the decision, from ``birth_year``)
AGE_BANDS = ((0, 64, "-64"), (65, 79, "65-79"), (80, 89, "80-89"), (90, 200, "90-"))
OUTCOME_COLUMNS = ["outcome", "level", "n", "n_met", "share", "ci_low", "ci_high"]
REPRESENTATIVENESS_COLUMNS = ["variable", "category", "n_eligible", "share_of_eligible", "n_reached",
                              "share_of_reached", "reach", "ci_low", "ci_high"]
ADOPTION_COLUMNS = ["level", "id", "unit", "n_decisions", "mean_index", "ci_low", "ci_high", "adopted"]
MAINTENANCE_COLUMNS = ["window", "first_month", "last_month", "n_decisions", "mean_index", "ci_low", "ci_high",
                       "n_met", "share_met", "units_high", "n_units"]


def implementation_outcomes(
    decisions: pd.DataFrame,
    model: "Model | dict | str" = "ibic",
    *,
    change_date,
    eligible=None,
    support_ended=None,
    threshold: float = 0.8,
    end=None,
    window_months: int = 3,
    min_officer_decisions: int = 10,
    audit: pd.DataFrame | None = None,
    level: float = 0.95,
) -> "ImplementationResult":
    """Reach, adoption, penetration and maintenance of a change, from the decisions register.

    Parameters
    ----------
    decisions : DataFrame
        Canonical decisions with the columns the model reads; ``person_id`` for reach, ``birth_year``
        (and ``sex`` where the export has it) and ``service`` for the representativeness table.
    model : Model, dict or str
        As in :func:`~evalkit.implementation.fidelity.fidelity`.
    change_date : date-like
        The first day of the new model; outcomes count decisions made from this day on.
    eligible : list of conditions, dict, boolean Series or None
        Who the model is meant for, on top of the model's own eligible rule: a rule (the TOML form,
        e.g. ``[{"field": "service", "in": ["Hemtjänst omsorg"]}]``) or a boolean Series aligned
        with ``decisions``. Default: the model's eligible rule alone.
    support_ended : date-like, optional
        When implementation support (coach, project funding) ended; adds maintenance windows after it.
    threshold : float
        Fidelity index a decision, unit or officer must reach to count as delivering the model (0.8).
    end : date-like, optional
        Last day counted (default: the last decision).
    window_months : int
        Length of each maintenance window (default 3 months).
    min_officer_decisions : int
        Case officers with fewer eligible decisions from the change date are left out of adoption.
    audit : DataFrame, optional
        Audit answers, for models with audit components.
    level : float

    Returns
    -------
    ImplementationResult

    Notes
    -----
    Definitions (RE-AIM, Glasgow et al. 2019; Proctor et al. 2011), all from ``change_date`` to ``end``:

    * **Reach** — eligible persons (with at least one eligible decision) who were served under the
      new model: at least one of their decisions has a fidelity index ≥ ``threshold``. Wilson interval.
      The representativeness table compares reached persons with all eligible persons by age band
      (age at the person's first eligible decision), sex (when the decisions have a ``sex`` column)
      and service (of that first decision).
    * **Adoption** — units and case officers whose mean fidelity index over the period is
      ≥ ``threshold`` (officers with at least ``min_officer_decisions`` decisions).
    * **Penetration** — eligible decisions with a fidelity index ≥ ``threshold`` (Wilson interval).
    * **Maintenance** — mean fidelity index in ``window_months``-month windows starting 0, 6 and 12
      months after the change and, with ``support_ended``, 0 and 6 months after support ended; with
      the share of decisions meeting the threshold and the units at or above it.
    """
    m = Model.load(model)
    change = pd.Timestamp(change_date)
    data = _restrict(decisions, eligible)
    fid = fidelity(data, m, start=change, end=end, audit=audit, threshold=threshold, level=level, by=("unit",))
    s = fid.scored
    s = s[s["index"].notna()].copy()
    s["delivered"] = s["index"] >= threshold
    outcomes, reach_table, notes = [], pd.DataFrame(columns=REPRESENTATIVENESS_COLUMNS), list(fid.notes)
    if "person_id" in s.columns:
        persons = _persons(s)
        outcomes.append(_row("reach", "persons", persons["reached"], level))
        reach_table, skipped = _representativeness(persons, level)
        notes += skipped
    else:
        notes.append("no person_id column: reach (persons) is left out")
    adoption = _adoption(s, threshold, min_officer_decisions, level)
    for lvl in ("unit", "case_officer"):
        a = adoption[adoption["level"] == lvl]
        if len(a):
            outcomes.append(_row("adoption", lvl, a["adopted"], level))
    outcomes.append(_row("penetration", "decisions", s["delivered"], level))
    maintenance = _maintenance(s, change, support_ended, window_months, threshold, level)
    return ImplementationResult(model=m, fidelity=fid, outcomes=pd.DataFrame(outcomes, columns=OUTCOME_COLUMNS),
                                representativeness=reach_table, adoption=adoption, maintenance=maintenance,
                                change_date=change, support_ended=pd.Timestamp(support_ended) if support_ended
                                else None, threshold=threshold, window_months=window_months,
                                min_officer_decisions=min_officer_decisions, level=level, notes=notes)


def _restrict(decisions: pd.DataFrame, eligible) -> pd.DataFrame:
    if not isinstance(decisions, pd.DataFrame):
        raise AnalysisError("decisions must be a DataFrame (what evalkit.load_decisions returns)")
    if eligible is None:
        return decisions
    if isinstance(eligible, pd.Series):
        if not eligible.index.equals(decisions.index):
            raise AnalysisError("eligible: a boolean Series must have the decisions' index")
        return decisions[eligible.fillna(False).astype(bool).to_numpy()]
    rule = _rule(eligible, "eligible")
    missing = sorted({f for c in rule for f in c.fields()} - set(decisions.columns))
    if missing:
        raise AnalysisError(f"eligible reads column(s) {', '.join(missing)}, which the decisions lack")
    return decisions[evaluate_rule(rule, decisions)]


def _row(outcome: str, level_name: str, flags: pd.Series, level: float) -> dict:
    flags = pd.Series(flags).astype(bool)
    share, low, high = _wilson(int(flags.sum()), len(flags), level)
    return {"outcome": outcome, "level": level_name, "n": len(flags), "n_met": int(flags.sum()), "share": share,
            "ci_low": low, "ci_high": high}


def _persons(s: pd.DataFrame) -> pd.DataFrame:
    """One row per eligible person: reached, and the age, sex and service of the first eligible decision."""
    first = s.sort_values(["decided_on", "decision_id"]).drop_duplicates("person_id")
    reached = s.groupby("person_id")["delivered"].any()
    p = first.set_index("person_id")
    out = pd.DataFrame({"reached": reached.reindex(p.index).fillna(False).astype(bool)}, index=p.index)
    if "birth_year" in p.columns:
        age = p["decided_on"].dt.year - pd.to_numeric(p["birth_year"], errors="coerce")
        out["age_band"] = _age_band(age)
    if "sex" in p.columns:
        out["sex"] = p["sex"].astype("string")
    if "service" in p.columns:
        out["service"] = p["service"].astype("string")
    return out.reset_index()


def _age_band(age: pd.Series) -> pd.Series:
    band = pd.Series(pd.NA, index=age.index, dtype="string")
    for low, high, name in AGE_BANDS:
        band[(age >= low) & (age <= high)] = name
    return band


def _representativeness(persons: pd.DataFrame, level: float) -> tuple[pd.DataFrame, list[str]]:
    rows, skipped = [], []
    n_all, n_reached = len(persons), int(persons["reached"].sum())
    for var in ("age_band", "sex", "service"):
        if var not in persons.columns:
            skipped.append(f"the decisions have no {'birth_year' if var == 'age_band' else var} column: "
                           f"representativeness by {var} is left out")
            continue
        values = persons[var].fillna("unknown")
        order = [b[2] for b in AGE_BANDS if b[2] in set(values)] if var == "age_band" else sorted(set(values))
        if var == "age_band" and "unknown" in set(values):
            order.append("unknown")
        for cat in order:
            mask = (values == cat).to_numpy()
            n_e, n_r = int(mask.sum()), int(persons.loc[mask, "reached"].sum())
            share, low, high = _wilson(n_r, n_e, level)
            rows.append({"variable": var, "category": cat, "n_eligible": n_e,
                         "share_of_eligible": n_e / n_all if n_all else math.nan, "n_reached": n_r,
                         "share_of_reached": n_r / n_reached if n_reached else math.nan, "reach": share,
                         "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=REPRESENTATIVENESS_COLUMNS), skipped


def _adoption(s: pd.DataFrame, threshold: float, min_officer: int, level: float) -> pd.DataFrame:
    rows = []
    for unit, g in s.groupby("unit", sort=True):
        mean, low, high = index_ci(g["index"].to_numpy(float), level)
        rows.append({"level": "unit", "id": unit, "unit": unit, "n_decisions": len(g), "mean_index": mean,
                     "ci_low": low, "ci_high": high, "adopted": bool(mean >= threshold)})
    if "case_officer_id" in s.columns:
        for who, g in s.dropna(subset=["case_officer_id"]).groupby("case_officer_id", sort=True):
            if len(g) < min_officer:
                continue
            mean, low, high = index_ci(g["index"].to_numpy(float), level)
            rows.append({"level": "case_officer", "id": who, "unit": g["unit"].astype(str).value_counts().index[0],
                         "n_decisions": len(g), "mean_index": mean, "ci_low": low, "ci_high": high,
                         "adopted": bool(mean >= threshold)})
    return pd.DataFrame(rows, columns=ADOPTION_COLUMNS)


def _maintenance(s, change, support_ended, months, threshold, level) -> pd.DataFrame:
    starts = [("start", change), ("6_months", change + pd.DateOffset(months=6)),
              ("12_months", change + pd.DateOffset(months=12))]
    if support_ended is not None:
        ended = pd.Timestamp(support_ended)
        starts += [("support_ended", ended), ("6_months_after_support", ended + pd.DateOffset(months=6))]
    rows = []
    last_data = s["month"].max()
    for name, first in starts:
        first = first.to_period("M").to_timestamp()
        last = first + pd.DateOffset(months=months - 1)
        if first > last_data:
            continue
        w = s[(s["month"] >= first) & (s["month"] <= last)]
        mean, low, high = index_ci(w["index"].to_numpy(float), level)
        per_unit = w.groupby("unit")["index"].mean()
        rows.append({"window": name, "first_month": first, "last_month": min(last, last_data),
                     "n_decisions": len(w), "mean_index": mean, "ci_low": low, "ci_high": high,
                     "n_met": int(w["delivered"].sum()), "share_met": float(w["delivered"].mean()) if len(w) else np.nan,
                     "units_high": int((per_unit >= threshold).sum()), "n_units": int(len(per_unit))})
    return pd.DataFrame(rows, columns=MAINTENANCE_COLUMNS)


class ImplementationResult:
    """Reach, adoption, penetration and maintenance; implements the report protocol of :mod:`evalkit.report`.

    Attributes
    ----------
    outcomes : DataFrame
        The headline table (:data:`OUTCOME_COLUMNS`): one row per outcome and level with ``n`` (persons,
        units, officers or decisions), ``n_met``, ``share`` and its Wilson interval.
    representativeness : DataFrame
        Reached vs all eligible persons by age band, sex and service (:data:`REPRESENTATIVENESS_COLUMNS`);
        raw counts — :meth:`display_representativeness` gives the disclosure-controlled view.
    adoption : DataFrame
        Per unit and case officer (:data:`ADOPTION_COLUMNS`).
    maintenance : DataFrame
        Per window (:data:`MAINTENANCE_COLUMNS`).
    fidelity : FidelityResult
        The fidelity scores from the change date on.
    notes : list of str
    """

    def __init__(self, *, model, fidelity: FidelityResult, outcomes, representativeness, adoption, maintenance,
                 change_date, support_ended, threshold, window_months, min_officer_decisions, level, notes,
                 language="sv"):
        self.model, self.fidelity, self.outcomes = model, fidelity, outcomes
        self.representativeness, self.adoption, self.maintenance = representativeness, adoption, maintenance
        self.change_date, self.support_ended, self.threshold = change_date, support_ended, threshold
        self.window_months, self.min_officer_decisions = window_months, min_officer_decisions
        self.level, self.notes, self.language = level, notes, language

    @property
    def title(self) -> str:
        return _text.t("outcomes_title", self.language, model=self.model.label(self.language))

    def outcome(self, name: str, level: str | None = None) -> pd.Series:
        """The row of one outcome (``reach``, ``adoption`` with level ``unit``/``case_officer``, …)."""
        t = self.outcomes[self.outcomes["outcome"] == name]
        if level is not None:
            t = t[t["level"] == level]
        if t.empty:
            raise KeyError(name if level is None else (name, level))
        return t.iloc[0]

    def display_representativeness(self, count_threshold: float = 5, percent_threshold: float = 30) -> pd.DataFrame:
        """The representativeness table with small cells hidden ("..") by :mod:`evalkit.privacy`'s rules.

        Counts below ``count_threshold`` are hidden, and so are the shares computed from them; a reach
        share on fewer than ``percent_threshold`` eligible persons is hidden.
        """
        t = self.representativeness
        counts = suppress_counts(t, ["n_eligible", "n_reached"], count_threshold)
        pct = suppress_percentages(t, ["reach", "ci_low", "ci_high"], "n_eligible", percent_threshold)
        shown = counts.display.copy()
        hide_shares = counts.mask["n_eligible"] | counts.mask["n_reached"] | pct.mask["reach"]
        for col in ("share_of_eligible", "share_of_reached", "reach", "ci_low", "ci_high"):
            shown[col] = shown[col].astype(object)
            shown.loc[hide_shares | (counts.mask["n_eligible"] if col == "share_of_eligible" else False), col] = ".."
        return shown

    # -- protocol ----------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The headline outcomes, fixed columns :data:`OUTCOME_COLUMNS`."""
        return self.outcomes.copy()

    def summary(self) -> str:
        return _text.outcomes_summary(self)

    def sentences(self, language: str = "sv") -> list[str]:
        return _text.outcomes_sentences(self, language)

    def methods(self, language: str = "sv") -> list[str]:
        return _text.outcomes_methods(self, language)

    def report_tables(self, language: str = "sv") -> list:
        return _text.outcomes_tables(self, language)

    def plot(self, ax=None, language: str | None = None):
        """Bars of reach, adoption and penetration with intervals, and the maintenance windows."""
        return _text.outcomes_plot(self, ax, language or self.language)

    def _repr_html_(self) -> str:
        return (f"<pre>{html.escape(self.summary())}</pre>" + self.outcomes.to_html(index=False, na_rep="..")
                + self.display_representativeness().to_html(index=False, na_rep=".."))

    def __repr__(self) -> str:
        return f"ImplementationResult(model={self.model.name!r}, outcomes={self.outcomes['outcome'].tolist()})"
