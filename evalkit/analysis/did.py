"""Difference-in-differences: ``ek.did`` and its result objects.

A pilot area against comparison areas, before and after a change in working
method (e.g. the Örebro rehabilitative model tested in two of six districts).
The estimator is two-way fixed effects (unit and period effects absorbed, never
dummy-coded); the inference is chosen for the number of clusters, because
municipal panels rarely have the 30–50 clusters that cluster-robust standard
errors need.

Examples
--------
>>> import numpy as np, pandas as pd, warnings
>>> import evalkit as ek
>>> from evalkit.analysis.did import did
>>> rng = np.random.default_rng(1)
>>> rows = [(u, t, 10 + u + 0.2 * t + (2.0 if u < 10 and t >= 6 else 0.0) + rng.normal())
...         for u in range(40) for t in range(10)]
>>> panel = pd.DataFrame(rows, columns=["district", "month", "visits"])
>>> res = did(panel, outcome="visits", unit="district", time="month",
...           treated=range(10), intervention=6, seed=1)
>>> res.inference["method"]
'cluster'
>>> bool(res.effect["ci_low"] < 2.0 < res.effect["ci_high"])
True

The result renders itself in a report (:mod:`evalkit.report`): title, sentences, methods, tables, figure.

>>> res.title
'Visits (skillnad i skillnader)'
>>> res.sentences("en")[0][:66]
'The difference-in-differences estimate of the effect on visits is '
>>> [table[0] if isinstance(table, tuple) else table.caption for table in res.report_tables("en")]
... # doctest: +NORMALIZE_WHITESPACE
['Effect of the change, difference-in-differences', 'Visits: mean before and after the start',
 'Visits: event study, effect per period']
>>> len(res.plot().axes)   # means over time and the event study
2
"""
from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from evalkit import i18n
from evalkit.analysis._bootstrap import WildBootstrap, fit_absorbed, webb_weights
from evalkit.analysis._did_impute import StaggeredRI, fit_imputation
from evalkit.analysis._did_panel import Panel, prepare_panel
from evalkit.analysis._did_ri import RandomizationInference
from evalkit.analysis import _did_report as rep
from evalkit.analysis._did_text import (assumptions, check_language, event_study_sentences, methods_sentences,
                                        outcome_label, pretrend_sentences, result_sentences)
from evalkit.analysis._fe import TwoWayFE
from evalkit.blocks import Table
from evalkit.errors import AnalysisError, AnalysisWarning

__all__ = ["did", "DiDResult", "EventStudyResult", "choose_inference",
           "MANY_CLUSTERS", "FEW_TREATED", "MIN_TREATED_FOR_CR1"]

#: With at least this many units (clusters) CR1 with t(G−1) is trusted (Cameron & Miller 2015 say 30–50).
MANY_CLUSTERS = 30
#: Fewer treated (or control) units than this → randomization inference (MacKinnon & Webb 2017, 2018).
FEW_TREATED = 4
#: CR1 also needs enough treated and control clusters: with fewer than this many, use WCR even when G ≥ 30.
MIN_TREATED_FOR_CR1 = 10
METHODS = ("auto", "cluster", "wild", "ri")
EFFECT_FIELDS = ["estimate", "ci_low", "ci_high", "p_value"]


def choose_inference(n_units: int, n_treated: int, inference: str = "auto") -> tuple[str, str]:
    """The inference method for a panel of ``n_units`` clusters of which ``n_treated`` are treated, and why.

    Rules for ``"auto"``:

    1. fewer than ``FEW_TREATED`` (4) treated or control units → ``"ri"``: with so few treated clusters the
       wild cluster bootstrap can be badly mis-sized (MacKinnon & Webb 2017, *J. Applied Econometrics*
       32(2); 2018, *Econometrics Journal* 21(2)), while randomization inference is exact by construction;
    2. fewer than ``MANY_CLUSTERS`` (30) units → ``"wild"``: CR1 over-rejects with few clusters
       (Cameron, Gelbach & Miller 2008) and the restricted wild cluster bootstrap is the standard remedy;
    3. 30 or more units but fewer than ``MIN_TREATED_FOR_CR1`` (10) treated or control units → ``"wild"``
       (CR1 over-rejects when the treated clusters are few even if G is large; MacKinnon & Webb 2017);
    4. otherwise → ``"cluster"`` (CR1, t(G−1)).
    """
    n_control = n_units - n_treated
    fewest = min(n_treated, n_control)
    if inference not in METHODS:
        raise AnalysisError(f"inference must be one of {', '.join(METHODS)}; got {inference!r}.")
    if inference != "auto":
        return inference, f"chosen by the user (inference={inference!r})"
    if fewest < FEW_TREATED:
        side = "treated" if n_treated <= n_control else "comparison"
        return "ri", (f"only {fewest} {side} unit(s) of {n_units}: the wild cluster bootstrap is unreliable with "
                      f"fewer than {FEW_TREATED} treated or comparison clusters, so p-values come from "
                      "randomization inference over all re-assignments of treatment to units")
    if n_units < MANY_CLUSTERS:
        return "wild", (f"only {n_units} units (clusters): cluster-robust standard errors over-reject with fewer "
                        f"than {MANY_CLUSTERS} clusters, so p-values and intervals come from a restricted wild "
                        "cluster bootstrap (Webb weights)")
    if fewest < MIN_TREATED_FOR_CR1:
        return "wild", (f"{n_units} units but only {fewest} treated or comparison units: cluster-robust standard "
                        "errors over-reject with few treated clusters, so a restricted wild cluster bootstrap is used")
    return "cluster", (f"{n_units} units ({n_treated} treated): enough clusters for cluster-robust (CR1) standard "
                       f"errors with a t({n_units - 1}) reference")


def did(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treated, intervention,
        inference: str = "auto", reps: int = 9999, seed: int | None = None, level: str = "auto",
        min_pre_periods: int = 1, title: str | None = None, labels=None, language: str = "sv") -> "DiDResult":
    """Difference-in-differences by two-way fixed effects with few-cluster-safe inference.

    Parameters
    ----------
    data : DataFrame
        Long panel: one row per unit and period (``level="aggregated"``) or several rows per unit and period,
        e.g. one per person (``level="person"``). Clusters are always the units.
    outcome, unit, time : str
        Column names. ``time`` holds dates, periods or integers.
    treated : str or collection
        A boolean column marking treated units (constant within unit), or the treated unit ids.
    intervention : scalar, mapping or str
        The first post period (same type as ``time``; a date between periods means the next period).
        A mapping unit → date or a column name (one date per treated unit) is accepted; when treated units
        start at different dates the imputation estimator is used instead of TWFE (see Notes).
    inference : {"auto", "cluster", "wild", "ri"}
        See :func:`choose_inference` for the automatic rule.
    reps : int
        Bootstrap replications, or sampled assignments when randomization inference cannot enumerate.
    seed : int, optional
        Seed of every random step. When omitted a seed is drawn and recorded in ``result.inference["seed"]``
        so that the run can be repeated.
    level : {"auto", "aggregated", "person"}
        ``"auto"`` treats data with repeated (unit, time) pairs as person-level; ``"aggregated"`` refuses them.
    min_pre_periods : int
        Periods required before the intervention (default 1: the classic two-period 2 × 2 design of most
        published DiD studies, as in fixest, pyfixest and Stata). With one pre period an AnalysisWarning and a
        report sentence say that parallel trends cannot be tested. Pass 2 or more to refuse such data.
    title : str, optional
        Heading of the result in a report; default derived from the outcome's label
        (e.g. "Beviljade timmar per brukare och månad: skillnad i skillnader").
    labels : mapping, optional
        Names of the two groups in tables and figures, keys ``"treated"`` and ``"comparison"``
        (default sv "Pilotområden"/"Jämförelseområden", nb "Pilotområder"/"Sammenligningsområder",
        en "Treated"/"Comparison").
    language : {"sv", "nb", "en"}
        Language of the default title and of ``plot()`` when it is called without one (a report passes
        its own language to ``sentences``, ``methods`` and ``report_tables``).

    Returns
    -------
    DiDResult

    Raises
    ------
    AnalysisError
        Bad input (the message says what to change) and staggered adoption.

    Notes
    -----
    Model: ``y_it = α_unit(i) + γ_t + β·D_it + ε_it`` with ``D_it = 1`` for treated units from the
    intervention on; ``β`` is the DiD effect. The unit and period effects are absorbed (exact within
    transformation, :mod:`evalkit.analysis._fe`); estimates equal the dummy-variable OLS fit, and the CR1
    variance matches Stata ``xtreg y d i.t, fe vce(cluster unit)`` / ``reghdfe y d, absorb(unit t)
    vce(cluster unit)``. With two periods and a balanced panel it is the classic 2×2 DiD.

    * ``"cluster"``: ``V = G/(G−1)·(N−1)/(N−K)·A(Σ s_g s_g')A``, t(G−1) reference.
    * ``"wild"``: restricted wild cluster bootstrap (null imposed), Webb six-point weights, symmetric
      p-value from the bootstrap t distribution; interval by test inversion — Stata ``boottest d,
      weight(webb) reps(9999)`` (Roodman et al. 2019).
    * ``"ri"``: randomization inference over all ``C(G, G1)`` assignments of treatment to units (exact up to
      100,000, else ``reps`` sampled with the seed); interval = constant effects not rejected. The smallest
      attainable p-value is ``1/C(G, G1)``; when it exceeds 0.05 the 95 % interval is unbounded.

    Assumptions: parallel trends (without the change, treated and comparison units would have moved in
    parallel); no anticipation; absorbing treatment (once started it stays on); no spill-over between units.
    Staggered adoption (different start dates) is never estimated by TWFE, which then uses already-treated
    units as controls and can even get the sign wrong (Goodman-Bacon 2021; de Chaisemartin & D'Haultfœuille
    2020). evalkit uses the imputation estimator of Borusyak, Jaravel & Spiess (2024, *Review of Economic
    Studies*; Stata ``did_imputation``, R ``didimputation``): unit and period effects fitted on untreated
    observations only, effects imputed for every treated observation and averaged with equal weights
    (:mod:`evalkit.analysis._did_impute`). Inference: the BJS conservative cluster variance with t(G−1) when
    the rule says "cluster"; otherwise randomization inference over re-assignments of the start dates (there
    is no wild bootstrap for it, and ``inference="wild"`` is refused). ``placebo()`` is not available for
    staggered designs; ``event_study()`` gives the effect by horizon and the BJS pre-trend test.
    Never-treated comparison units are required.
    """
    check_language(language)
    labels = _check_labels(labels)
    if title is not None and not isinstance(title, str):
        raise AnalysisError(f"title must be a string; got {title!r}.")
    panel = prepare_panel(data, outcome=outcome, unit=unit, time=time, treated=treated,
                          intervention=intervention, level=level, min_pre=min_pre_periods)
    _check_reps(reps)
    if panel.n_pre < 2:
        warnings.warn("Only one period before the intervention: parallel pre-trends cannot be checked, so the "
                      "estimate rests on that assumption alone. Add earlier periods if they exist.",
                      AnalysisWarning, stacklevel=2)
    seed = _resolve_seed(seed)
    method, reason = choose_inference(panel.n_units, panel.n_treated, inference)
    if panel.staggered:
        method, reason = _staggered_method(method, reason, inference)
        effect, details = _estimate_staggered(panel, method, reps, seed)
    else:
        effect, details = _estimate(panel, method, reps, seed)
    details.update(method=method, reason=reason, reps=reps, seed=seed)
    _warn_about_inference(panel, details)
    return DiDResult(_effect=effect, _inference=details, n_units=panel.n_units, n_treated=panel.n_treated,
                     n_periods=panel.n_periods, n_obs=panel.n_obs, _panel=panel, _unit_name=unit,
                     _time_name=time, _title=title, _labels=labels, language=language)


def _check_labels(labels) -> dict | None:
    if labels is None:
        return None
    if not isinstance(labels, Mapping) or not set(labels) <= {"treated", "comparison"}:
        raise AnalysisError("labels must be a mapping with the keys 'treated' and/or 'comparison', e.g. "
                            f"{{'treated': 'Norr och Åsen', 'comparison': 'Övriga områden'}}; got {labels!r}.")
    return {k: str(v) for k, v in labels.items()}


def _check_reps(reps) -> None:
    if not isinstance(reps, (int, np.integer)) or reps < 99:
        raise AnalysisError(f"reps must be an integer of at least 99 (9999 recommended); got {reps!r}.")


def _resolve_seed(seed) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise AnalysisError(f"seed must be a non-negative integer; got {seed!r}.")
    return int(seed)


# --------------------------------------------------------------------------- estimation core


@dataclass(frozen=True)
class _Design:
    """Residualized design of one regression: rows of the panel, or its (unit, period) cells.

    ``counts`` is None for rows. For cells it holds each cell's number of observations, ``x_t`` the
    cell's residualized regressors, ``y_t`` the cell's sum of the residualized outcome and ``y_sum``
    the cell's sum of the outcome (see :func:`evalkit.analysis._bootstrap.fit_absorbed`).
    """

    fe: TwoWayFE
    y_t: np.ndarray
    x_t: np.ndarray
    cluster: np.ndarray
    counts: np.ndarray | None = None
    y_sum: np.ndarray | None = None


def _design(panel: Panel, x: np.ndarray) -> _Design:
    """Design of ``x`` (rows × k, constant within each unit and period for a person-level panel)."""
    x = x[:, None] if x.ndim == 1 else x
    if panel.level == "person":
        cells = _cells(panel)
        if cells is not None and _constant_within_cells(x, cells):
            return _cell_design(panel, x, cells)
    frame = panel.frame
    fe = TwoWayFE.from_codes(frame["unit_code"].to_numpy(), frame["time_code"].to_numpy())
    x_t = fe.residualize(x)
    y_t = fe.residualize(frame["y"].to_numpy())
    _refuse_collinear(x, x_t)
    return _Design(fe, y_t, x_t, frame["unit_code"].to_numpy())


def _refuse_collinear(x: np.ndarray, x_t: np.ndarray) -> None:
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    if (np.abs(x_t).max(axis=0) <= 1e-9 * scale).any():
        raise AnalysisError("The treatment indicator is collinear with the unit and period effects; "
                            "check that treated units are observed both before and after the intervention.")


@dataclass(frozen=True)
class _Cells:
    """The non-empty (unit, period) cells of a panel: the cell of each row, one row standing for each cell."""

    of_row: np.ndarray    # index into the cells, per row
    first: np.ndarray     # one row of each cell
    counts: np.ndarray    # observations per cell (float)
    unit: np.ndarray
    time: np.ndarray


def _cells(panel: Panel) -> _Cells | None:
    """Cells by counting codes (``U·T`` is small; no sort of the rows)."""
    frame = panel.frame
    size = panel.n_units * panel.n_periods
    code = frame["unit_code"].to_numpy() * panel.n_periods + frame["time_code"].to_numpy()
    counts = np.bincount(code, minlength=size)
    present = np.flatnonzero(counts)
    if len(present) == len(code):
        return None   # one row per cell: the row path is the cell path
    index = np.full(size, -1, dtype=np.int64)
    index[present] = np.arange(len(present))
    first = np.zeros(size, dtype=np.int64)
    first[code] = np.arange(len(code))   # some row of each cell; which one does not matter
    return _Cells(index[code], first[present], counts[present].astype(float),
                  present // panel.n_periods, present % panel.n_periods)


def _constant_within_cells(x: np.ndarray, cells: _Cells) -> bool:
    """Every regressor takes one value per cell (then the cell path is exact), checked row by row."""
    return bool(np.array_equal(x, x[cells.first][cells.of_row]))


def _cell_design(panel: Panel, x: np.ndarray, cells: _Cells) -> _Design:
    """The regression of the person-level rows computed from per-cell counts and sums.

    With ``x`` constant within each (unit, period) cell, the projection on the unit and period effects,
    ``X̃'X̃``, ``X̃'ỹ``, the cluster scores and every piece of the wild-bootstrap score map are sums over
    observations that group by cell, so only ``n_c`` and ``Σ_{i∈c} y_i`` are needed: memory and time after
    this step are O(cells), not O(rows).
    """
    fe = TwoWayFE.from_cells(cells.unit, cells.time, cells.counts, panel.n_units, panel.n_periods)
    y_sum = np.bincount(cells.of_row, weights=panel.frame["y"].to_numpy(), minlength=len(cells.counts))
    x_c = x[cells.first]
    x_t = x_c - fe.fitted_from_sums(x_c * cells.counts[:, None])
    y_t = y_sum - cells.counts * fe.fitted_from_sums(y_sum)
    _refuse_collinear(x_c, x_t)
    return _Design(fe, y_t, x_t, cells.unit, cells.counts, y_sum)


def _treated_codes(panel: Panel) -> np.ndarray:
    return panel.units.get_indexer(list(panel.treated_units))


def _post_by_period(panel: Panel) -> np.ndarray:
    return np.arange(panel.n_periods) >= panel.first_post_code


def _estimate(panel: Panel, method: str, reps: int, seed: int) -> tuple[pd.Series, dict]:
    """Effect Series and inference details for the main DiD coefficient."""
    design = _design(panel, panel.frame["d"].to_numpy())
    fit = fit_absorbed(design.fe, design.x_t, design.y_t, design.cluster, panel.n_units, design.counts)
    rng = np.random.default_rng(seed)
    details = {"estimator": "twfe", "se_cr1": float(fit.se[0]), "n_clusters": panel.n_units}
    if method == "cluster":
        _, p, low, high = fit.t_test(0)
        details["df"] = panel.n_units - 1
    elif method == "wild":
        wb = WildBootstrap(design.fe, design.x_t, design.y_t, design.cluster, panel.n_units, [0],
                           webb_weights(panel.n_units, reps, rng), design.counts)
        p = wb.p_value(0.0)
        low, high = wb.confidence_interval()
        details.update(weights="webb", t_stat=wb.t_observed())
    else:
        y = panel.frame["y"].to_numpy() if design.counts is None else design.y_sum   # fe.cell_sums(y) either way
        ri = RandomizationInference(design.fe, y, _post_by_period(panel),
                                    _treated_codes(panel), reps, rng)
        p = ri.p_value(0.0)
        low, high = ri.confidence_interval(scale=max(float(fit.se[0]), 1e-12))
        details.update(n_assignments=ri.n_assignments, n_possible=ri.n_possible, exact=ri.exact,
                       smallest_p=ri.smallest_p)
    effect = pd.Series([float(fit.beta[0]), float(low), float(high), float(p)], index=EFFECT_FIELDS,
                       name=panel.outcome, dtype=float)
    return effect, details


def _staggered_method(method: str, reason: str, inference: str) -> tuple[str, str]:
    """Inference for the imputation estimator: BJS cluster variance with many clusters, else RI."""
    if method == "wild":
        if inference == "wild":
            raise AnalysisError("inference='wild' is not available for staggered adoption (imputation estimator); "
                                "use 'cluster' with many units or 'ri'.")
        return "ri", (reason.split(":")[0] + ": with staggered adoption evalkit has no wild bootstrap, so p-values "
                      "come from randomization inference over re-assignments of the start dates to units")
    return method, reason


def _staggered_cells(panel: Panel):
    frame = panel.frame
    fe = TwoWayFE.from_codes(frame["unit_code"].to_numpy(), frame["time_code"].to_numpy())
    return fe.counts, fe.cell_sums(frame["y"].to_numpy())[:, :, 0], panel.start_codes


def _max_horizon(panel: Panel) -> int:
    start = panel.start_codes
    return int(panel.n_periods - 1 - start[start < panel.n_periods].min())


def _estimate_staggered(panel: Panel, method: str, reps: int, seed: int) -> tuple[pd.Series, dict]:
    """Borusyak–Jaravel–Spiess imputation ATT with BJS cluster variance or start-date RI."""
    counts, ysum, start = _staggered_cells(panel)
    fit = fit_imputation(counts, ysum, start)
    att = fit.average(fit.treated)
    se = float(np.sqrt(fit.variance(fit.treated)))
    cohorts = pd.Series(panel.starts).astype(str).value_counts().sort_index()
    details = {"estimator": "imputation", "se_bjs": se, "se_cr1": se, "n_clusters": panel.n_units,
               "cohorts": cohorts.to_dict()}
    if method == "cluster":
        df = panel.n_units - 1
        crit = stats.t.ppf(0.975, df)
        p = 2 * stats.t.sf(abs(att / se), df)
        low, high = att - crit * se, att + crit * se
        details["df"] = df
    else:
        ri = StaggeredRI(counts, ysum, start, 20_000, reps, np.random.default_rng(seed), _max_horizon(panel))
        p = ri.p_value(0.0)
        low, high = ri.confidence_interval(scale=max(se, 1e-12))
        details.update(n_assignments=ri.n_assignments, n_possible=ri.n_possible, exact=ri.exact,
                       smallest_p=ri.smallest_p, skipped_assignments=ri.n_skipped)
    effect = pd.Series([att, float(low), float(high), float(p)], index=EFFECT_FIELDS, name=panel.outcome,
                       dtype=float)
    return effect, details


def _warn_about_inference(panel: Panel, details: dict) -> None:
    method = details["method"]
    if method == "ri":
        p_min = details["smallest_p"]
        basis = (f"exact over all {details['n_assignments']} possible assignments" if details["exact"]
                 else f"estimated from {details['n_assignments']} sampled assignments")
        msg = (f"DiD with {panel.n_treated} treated of {panel.n_units} units: {details['reason']}. "
               f"The p-value is {basis}; the smallest attainable p-value is {p_min:.3f}")
        if p_min > 0.05:
            msg += (", so no result can be 'significant at 5 %' with this design and the 95 % interval is "
                    "unbounded. Report the estimate with its exact p-value as descriptive evidence; to test, add "
                    "comparison units or more treated units.")
        else:
            msg += ". You can conclude about a constant effect; not about effects that differ between units."
        if details.get("estimator") == "imputation":
            msg += (" With staggered adoption the test re-assigns the start dates, which assumes they were as good "
                    "as random across units.")
        warnings.warn(msg, AnalysisWarning, stacklevel=3)
    elif method == "wild" and (panel.n_units < MANY_CLUSTERS or
                               min(panel.n_treated, panel.n_units - panel.n_treated) < MIN_TREATED_FOR_CR1):
        warnings.warn(
            f"DiD with {panel.n_units} units: {details['reason']}. The p-value and interval are reliable for "
            "testing 'no effect'; the CR1 standard error in the details is not (do not build ±1.96·SE intervals "
            "from it). With fewer treated units than about 5 even the bootstrap can mislead.",
            AnalysisWarning, stacklevel=3)
    elif method == "cluster" and panel.n_units < MANY_CLUSTERS:
        warnings.warn(
            f"inference='cluster' with only {panel.n_units} clusters: CR1 standard errors over-reject. "
            "Use inference='wild' (or 'auto').", AnalysisWarning, stacklevel=3)


# --------------------------------------------------------------------------- result objects


@dataclass(frozen=True, eq=False)
class DiDResult:
    """Result of :func:`did`. Immutable: the accessors return copies.

    Implements the report protocol of :mod:`evalkit.report` (``title``, ``sentences``, ``methods``,
    ``report_tables``, ``plot``), so ``report.add(result)`` writes its subsection.

    Attributes
    ----------
    effect : Series
        ``estimate, ci_low, ci_high, p_value`` of the DiD coefficient (95 % interval).
    inference : dict
        ``method`` (cluster | wild | ri), ``reason``, ``reps``, ``seed`` and method details (``se_cr1``;
        ``smallest_p`` and ``n_assignments`` for RI).
    n_units, n_treated, n_periods, n_obs : int
    language : str
        Language of the default title and of ``plot()`` without a language.
    """

    _effect: pd.Series
    _inference: dict
    n_units: int
    n_treated: int
    n_periods: int
    n_obs: int
    _panel: Panel = field(repr=False)
    _unit_name: str = "unit"
    _time_name: str = "time"
    _title: str | None = None
    _labels: dict | None = None
    language: str = "sv"
    # event study and placebo, kept once computed so that a report shows what the user looked at
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def effect(self) -> pd.Series:
        return self._effect.copy()

    @property
    def inference(self) -> dict:
        return dict(self._inference)

    @property
    def outcome(self) -> str:
        return self._panel.outcome

    @property
    def intervention(self):
        return self._panel.first_post

    @property
    def n_pre(self) -> int:
        return self._panel.n_pre

    @property
    def title(self) -> str:
        """The heading in a report: ``did(title=...)`` or derived from the outcome's label."""
        return self._title or rep.default_title(self.outcome_label(self.language), self.language)

    def outcome_label(self, language: str = "sv") -> str:
        """The outcome's human label (e.g. "beviljade timmar per brukare och månad"), else its column name."""
        return outcome_label(self.outcome, check_language(language))

    def to_frame(self) -> pd.DataFrame:
        """One-row table: outcome, estimate, ci_low, ci_high, p_value, method, n_units, n_treated, n_periods, n_obs."""
        row = {"outcome": self.outcome, **self._effect.to_dict(), "method": self._inference["method"],
               "n_units": self.n_units, "n_treated": self.n_treated, "n_periods": self.n_periods,
               "n_obs": self.n_obs}
        return pd.DataFrame([row]).set_index("outcome")

    def means(self) -> pd.DataFrame:
        """Mean outcome by period for treated and comparison units (rows: periods)."""
        frame = self._panel.frame
        group = np.where(frame["treated_unit"], "treated", "comparison")
        table = frame.groupby([frame["time"], group])["y"].mean().unstack()
        table = table.reindex(columns=["treated", "comparison"])
        table.index.name = self._time_name
        table.columns.name = None
        return table

    def summary(self) -> str:
        e, inf = self._effect, self._inference
        lines = [
            f"Difference-in-differences: {self.outcome}",
            f"  units {self.n_units} ({self.n_treated} treated), periods {self.n_periods} "
            f"({self.n_pre} before), observations {self.n_obs} ({self._panel.level} panel)",
            f"  intervention (first post period): {self.intervention}",
            f"  estimate {e['estimate']:.4g}, 95 % CI {e['ci_low']:.4g} to {e['ci_high']:.4g}, p = {e['p_value']:.3g}",
            f"  inference: {inf['method']} — {inf['reason']}",
        ]
        if inf.get("estimator") == "imputation":
            starts = ", ".join(f"{date} ({n} units)" for date, n in inf["cohorts"].items())
            lines.insert(4, f"  estimator: imputation (Borusyak, Jaravel & Spiess 2024); start dates {starts}")
        if inf["method"] == "ri":
            lines.append(f"  smallest attainable p-value: {inf['smallest_p']:.3g} "
                         f"({inf['n_assignments']} assignments{'' if inf['exact'] else ', sampled'})")
        if inf["method"] in ("wild", "ri"):
            lines.append(f"  replications/seed: {inf['reps']}/{inf['seed']}")
        lines.append("  assumptions: " + "; ".join(assumptions("en")))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(float_format=lambda v: f"{v:.4g}")
        note = html.escape(f"Inference: {self._inference['method']} — {self._inference['reason']}.")
        return f"<div><strong>Difference-in-differences</strong>{table}<p>{note}</p></div>"

    # -- report protocol ----------------------------------------------------------------------------

    def sentences(self, language: str = "sv") -> list[str]:
        """Key results in sentences: estimate, interval, p-value, design, inference and what it allows to conclude.

        Numbers are written by :mod:`evalkit.i18n` (decimal comma and U+2212 minus in sv/nb). With
        randomization inference the smallest attainable p-value (e.g. 1/15 for 2 of 6 units) is stated.
        The last sentence judges the joint pre-trend test of the event study, which is computed (default
        leads and lags) if it has not been yet.
        """
        check_language(language)
        return result_sentences(self, language, self._report_event_study())

    def methods(self, language: str = "sv") -> list[str]:
        """The method in sentences: estimator, inference and why, assumptions, and the pre-trend test result.

        Computes the event study (default leads and lags) if it has not been computed yet.
        """
        check_language(language)
        return methods_sentences(self, language, self._report_event_study())

    def report_tables(self, language: str = "sv") -> list:
        """Report tables of raw numbers: the effect, the group means, and (appendix) event study and placebo.

        The first table (effect) goes into the results section; the others into the appendix. Counts of
        units and observations are declared as counts, so the report's disclosure control applies.
        The placebo table is included only when :meth:`placebo` has been called.
        """
        check_language(language)
        tables = [rep.effect_table(self, language)]
        caption, frame, spec, note = rep.means_table(self, language)
        tables.append(Table(frame, caption, spec, note=note))
        es = self._report_event_study()
        if es is not None:
            caption, frame, spec, note = rep.event_study_table(es, language)
            tables.append(Table(frame, caption, spec, note=note))
        if "placebo" in self._cache:
            caption, frame, spec, note = rep.placebo_table(self, self._cache["placebo"], language)
            tables.append(Table(frame, caption, spec, note=note))
        return tables

    def plot(self, ax=None, *, language: str | None = None, event_study: bool | None = None):
        """Treated and comparison means over time with the start marked, and the event study beneath.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw the means panel only, into this Axes.
        language : {"sv", "nb", "en"}, optional
            Labels and tick formats; default ``self.language`` (set by ``did(language=...)``).
        event_study : bool, optional
            Add the event-study panel (default: yes unless ``ax`` is given). The event study is computed
            with default leads and lags if it has not been computed yet (with the wild bootstrap this can
            take seconds per coefficient on long panels).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        language = check_language(language or self.language)
        show_es = (ax is None) if event_study is None else bool(event_study)
        es = self._report_event_study() if show_es and ax is None else None
        if es is None:
            fig, ax = _figure(ax, plt)
            rep.draw_means(self, ax, language)
            return fig
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7.5), constrained_layout=True)
        rep.draw_means(self, top, language)
        rep.draw_event_study(es, bottom, language)
        return fig

    def _report_event_study(self) -> "EventStudyResult | None":
        """The cached event study, computed with default leads and lags when missing (None if impossible)."""
        if "event_study" not in self._cache:
            try:
                self.event_study()
            except AnalysisError:
                self._cache["event_study"] = None
        return self._cache["event_study"]

    def event_study(self, leads: int | None = None, lags: int | None = None) -> "EventStudyResult":
        """Coefficients per period relative to the intervention (reference: the period before, −1).

        Parameters
        ----------
        leads : int, optional
            Number of pre periods before −1 with their own coefficient (−2, −3, …); earlier periods are
            binned into the earliest. Default: all.
        lags : int, optional
            Number of post periods after 0 with their own coefficient; later ones binned into the last.
            Default: all.

        Notes
        -----
        Regression of the outcome on unit and period effects and treated × relative-period dummies. The joint
        pre-trend test is a Wald test of all leads = 0: with CR1 the Hotelling-corrected
        ``W·(G−q)/(q·(G−1))`` against F(q, G−q) (Stata's ``test`` uses ``W/q`` against F(q, G−1), which
        over-rejects badly when the leads are many relative to the clusters), a restricted wild bootstrap Wald
        test with few clusters, or randomization inference of the Wald statistic with very few treated units
        — the same method as the main result. With randomization inference the coefficients get exact
        p-values but no intervals (``ci_low``/``ci_high`` are NaN). A failed test gives an AnalysisWarning,
        not an error. The reference period −1 is included in the table with estimate 0 for the plot.
        The latest event study is kept and shown by :meth:`plot` and :meth:`report_tables`.
        """
        es = _event_study(self, leads, lags)
        es = EventStudyResult(es._table, es._pretrend, es.method, es.outcome, language=self.language,
                              _base_title=self._title)
        self._cache["event_study"] = es
        return es

    def placebo(self, max_unit_sets: int = 200) -> pd.DataFrame:
        """Placebo estimates: fake dates in the pre period and fake treated sets among comparison units.

        Rows of ``kind == "time"`` re-estimate on pre-period data only with each possible fake start date
        (keeping at least 2 periods before it), with the main result's inference method. Rows of
        ``kind == "unit"`` drop the treated units and treat every set of the same size among the comparison
        units (at most ``max_unit_sets``, sampled with the seed); they report the estimate only, and
        ``attrs["share_as_large"]`` is the share of fake sets whose |estimate| reaches the real one.
        Once computed, the table is included in :meth:`report_tables` (appendix).
        """
        table = _placebo(self, max_unit_sets)
        self._cache["placebo"] = table
        return table.copy()


@dataclass(frozen=True, eq=False)
class EventStudyResult:
    """Event-study coefficients and the joint pre-trend test (implements the report protocol too)."""

    _table: pd.DataFrame
    _pretrend: pd.Series
    method: str
    outcome: str
    language: str = "sv"
    _title: str | None = None
    #: the DiD's own title (the user's): the event study is titled "<it> (event study)" in its language
    _base_title: str | None = None

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    @property
    def pretrend(self) -> pd.Series:
        return self._pretrend.copy()

    @property
    def title(self) -> str:
        if self._title is None and self._base_title:
            return rep.label("es_title", self.language, label=i18n.in_language(self._base_title, self.language))
        return self._title or rep.default_title(self.outcome_label(self.language), self.language, "es_title")

    def outcome_label(self, language: str = "sv") -> str:
        return outcome_label(self.outcome, check_language(language))

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> str:
        pt = self._pretrend
        body = self._table.to_string(float_format=lambda v: f"{v:.4g}")
        if not pt["n_leads"]:
            test = "no leads to test"
        elif pd.isna(pt["p_value"]):
            test = f"joint pre-trend test {pt['test']}"
        else:
            test = f"joint pre-trend test ({pt['test']}): statistic {pt['statistic']:.3g}, p = {pt['p_value']:.3g}"
        return f"Event study: {self.outcome} (reference period −1; inference {self.method})\n{body}\n{test}"

    def _repr_html_(self) -> str:
        return f"<div><strong>Event study</strong>{self._table.to_html(float_format=lambda v: f'{v:.4g}')}" \
               f"<p>{html.escape(self.summary().splitlines()[-1])}</p></div>"

    def sentences(self, language: str = "sv") -> list[str]:
        """What the event study shows, the joint pre-trend test and the range of the effects after the start."""
        return event_study_sentences(self, language)

    def methods(self, language: str = "sv") -> list[str]:
        """The event-study regression and its joint pre-trend test in sentences."""
        return pretrend_sentences(self.pretrend, check_language(language))

    def report_tables(self, language: str = "sv") -> list:
        caption, frame, spec, note = rep.event_study_table(self, check_language(language))
        return [Table(frame, caption, spec, note=note)]

    def plot(self, ax=None, *, language: str | None = None):
        """Coefficients with 95 % intervals, zero line and the change marked; returns the Figure."""
        import matplotlib.pyplot as plt

        fig, ax = _figure(ax, plt)
        rep.draw_event_study(self, ax, check_language(language or self.language))
        return fig


def _figure(ax, plt):
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
        return fig, ax
    return ax.figure, ax



# --------------------------------------------------------------------------- event study


def _relative_periods(panel: Panel, leads: int | None, lags: int | None) -> tuple[np.ndarray, list[int]]:
    """Binned relative period per row (NaN for comparison units) and the periods with a coefficient."""
    n_pre, n_post = panel.n_pre, panel.n_periods - panel.n_pre
    max_leads, max_lags = n_pre - 1, n_post - 1
    leads = max_leads if leads is None else leads
    lags = max_lags if lags is None else lags
    for name, value, most in (("leads", leads, max_leads), ("lags", lags, max_lags)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise AnalysisError(f"{name} must be a non-negative integer; got {value!r}.")
        if value > most:
            raise AnalysisError(f"{name}={value} but the data allow at most {most}.")
    rel = (panel.frame["time_code"] - panel.first_post_code).to_numpy()
    rel = np.where(rel < -1, np.maximum(rel, -(leads + 1)) if leads > 0 else -1, rel)
    rel = np.minimum(rel, lags)
    periods = list(range(-(leads + 1), -1)) + list(range(0, lags + 1))
    return rel, periods


def _event_design(panel: Panel, rel: np.ndarray, periods: list[int], treated_mask: np.ndarray) -> np.ndarray:
    return np.column_stack([(treated_mask & (rel == p)).astype(float) for p in periods])


def _event_study(result: DiDResult, leads, lags) -> EventStudyResult:
    panel, inf = result._panel, result._inference
    if panel.staggered:
        return _event_study_staggered(result, leads, lags)
    rel, periods = _relative_periods(panel, leads, lags)
    lead_idx = [i for i, p in enumerate(periods) if p < -1]
    x = _event_design(panel, rel, periods, panel.frame["treated_unit"].to_numpy())
    design = _design(panel, x)
    fit = fit_absorbed(design.fe, design.x_t, design.y_t, design.cluster, panel.n_units, design.counts)
    rng = np.random.default_rng(inf["seed"] + 1)
    method = inf["method"]
    wald_ok = 0 < len(lead_idx) <= panel.n_units - 1  # the cluster covariance has rank ≤ G − 1
    too_many = (f"not computed: {len(lead_idx)} leads but only {panel.n_units} clusters (a cluster-robust Wald "
                f"test allows at most {panel.n_units - 1}); pass leads={max(panel.n_units - 2, 0)} or fewer, "
                "earlier periods are then binned")
    rank = _lead_rank(fit, lead_idx, panel.n_units) if wald_ok else len(lead_idx)
    if method == "cluster":
        rows = [fit.t_test(i)[1:] for i in range(len(periods))]
        stat, p_joint, _ = fit.wald(lead_idx) if wald_ok else (np.nan, np.nan, 0)
        test = (f"F({rank}, {panel.n_units - rank}), CR1, Hotelling-corrected"
                if wald_ok or not lead_idx else too_many)
    elif method == "wild":
        weights = webb_weights(panel.n_units, inf["reps"], rng)
        rows = []
        for i in range(len(periods)):
            wb = WildBootstrap(design.fe, design.x_t, design.y_t, design.cluster, panel.n_units, [i], weights,
                               design.counts)
            rows.append((wb.p_value(0.0), *wb.confidence_interval()))
        if wald_ok:
            wb = WildBootstrap(design.fe, design.x_t, design.y_t, design.cluster, panel.n_units, lead_idx, weights,
                               design.counts)
            stat, p_joint, _ = wb.wald_p_value()
        else:
            stat, p_joint = np.nan, np.nan
        test = "restricted wild cluster bootstrap Wald (Webb weights)" if wald_ok or not lead_idx else too_many
    else:
        rows, stat, p_joint = _event_study_ri(panel, rel, periods, lead_idx, fit, inf, rng, wald_ok)
        test = ("randomization inference of the Wald statistic" if wald_ok else
                "randomization inference of the sum of squared leads (too many leads for a Wald statistic)")
    table = pd.DataFrame(
        [(float(fit.beta[i]), float(r[1]), float(r[2]), float(r[0])) for i, r in enumerate(rows)],
        index=pd.Index(periods, name="relative_period"), columns=EFFECT_FIELDS)
    table.loc[-1] = [0.0, np.nan, np.nan, np.nan]  # the reference period, shown for the plot
    table = table.sort_index()
    pretrend = pd.Series({"statistic": stat, "p_value": p_joint, "n_leads": len(lead_idx), "rank": rank,
                          "test": test})
    if lead_idx and np.isfinite(p_joint) and p_joint < 0.05:
        warnings.warn(
            f"The joint pre-trend test rejects parallel pre-trends (p = {p_joint:.3g}). The DiD estimate assumes "
            "parallel trends; look at the event-study plot, consider comparison units with similar trends, or "
            "report the result as not credible.", AnalysisWarning, stacklevel=3)
    return EventStudyResult(table, pretrend, method, panel.outcome)


def _lead_rank(fit, lead_idx: list[int], n_clusters: int) -> int:
    """Rank of the leads' cluster covariance, with a warning when it is below the number of leads."""
    rank = fit.wald(lead_idx)[2]
    _warn_if_rank_deficient(rank, len(lead_idx), n_clusters)
    return rank


def _warn_if_rank_deficient(rank: int, n_leads: int, n_clusters: int) -> None:
    if rank < n_leads:
        warnings.warn(
            f"The cluster-robust covariance of the {n_leads} leads has rank {rank} (with {n_clusters} clusters it "
            f"can be at most {n_clusters - 1}), so the joint pre-trend test uses the {rank} linearly independent "
            f"combinations and drops the rest, as Stata's `test` does. For a test of every lead, pass fewer leads "
            f"(event_study(leads=...)): earlier periods are then binned.", AnalysisWarning, stacklevel=4)


def _event_study_ri(panel, rel, periods, lead_idx, fit, inf, rng, wald_ok=True):
    """RI per coefficient and for the joint lead statistic by refitting for every assignment.

    The joint statistic is the CR1 Wald statistic when the leads are at most G − 1, else the plain sum of
    squared lead coefficients (any statistic gives a valid randomization test).
    """
    def joint(f):
        if not lead_idx:
            return np.nan
        return f.wald(lead_idx)[0] if wald_ok else float(np.sum(f.beta[lead_idx] ** 2))

    treated_codes = _treated_codes(panel)
    n_possible = math.comb(panel.n_units, len(treated_codes))
    cap = min(inf["reps"], 1999)
    if n_possible <= cap:
        import itertools
        sets = [np.array(c) for c in itertools.combinations(range(panel.n_units), len(treated_codes))]
    else:
        sets = [np.sort(treated_codes)] + [np.sort(rng.choice(panel.n_units, len(treated_codes), replace=False))
                                           for _ in range(cap)]
    codes = panel.frame["unit_code"].to_numpy()
    fe = TwoWayFE.from_codes(codes, panel.frame["time_code"].to_numpy())
    y_t = fe.residualize(panel.frame["y"].to_numpy())
    betas, walds = [], []
    for s in sets:
        mask = np.isin(codes, s)
        x_t = fe.residualize(_event_design(panel, rel, periods, mask))
        f = fit_absorbed(fe, x_t, y_t, codes, panel.n_units)
        betas.append(f.beta)
        walds.append(joint(f))
    betas = np.array(betas)
    obs = fit.beta
    rows = []
    for i in range(len(periods)):
        p = float(np.mean(np.abs(betas[:, i]) >= abs(obs[i]) - 1e-10 * max(1.0, abs(obs[i]))))
        rows.append((p, np.nan, np.nan))
    if lead_idx:
        w_obs = joint(fit)
        p_joint = float(np.mean(np.array(walds) >= w_obs - 1e-10 * max(1.0, w_obs)))
        stat = w_obs
    else:
        stat = p_joint = np.nan
    return rows, stat, p_joint


def _event_study_staggered(result: DiDResult, leads, lags) -> EventStudyResult:
    """Imputation effects by horizon (h ≥ 0) and the BJS pre-trend regression on untreated observations."""
    panel, inf = result._panel, result._inference
    counts, ysum, start = _staggered_cells(panel)
    fit = fit_imputation(counts, ysum, start)
    max_h = _max_horizon(panel)
    max_leads = int(start[start < panel.n_periods].min()) - 1
    lags = max_h if lags is None else lags
    leads = max_leads if leads is None else leads
    for name, value, most in (("leads", leads, max_leads), ("lags", lags, max_h)):
        if not isinstance(value, (int, np.integer)) or value < 0 or value > most:
            raise AnalysisError(f"{name} must be an integer from 0 to {most}; got {value!r}.")
    h = fit.horizon()
    est = np.array([fit.average(fit.treated & (h == k)) for k in range(lags + 1)])
    rng = np.random.default_rng(inf["seed"] + 1)
    if inf["method"] == "cluster":
        df = panel.n_units - 1
        crit = stats.t.ppf(0.975, df)
        se = np.sqrt([fit.variance(fit.treated & (h == k)) for k in range(lags + 1)])
        post = [(2 * stats.t.sf(abs(e / s), df), e - crit * s, e + crit * s) for e, s in zip(est, se)]
        ri = None
    else:
        ri = StaggeredRI(counts, ysum, start, 20_000, min(inf["reps"], 1999), rng, max_h)
        post = [(p, np.nan, np.nan) for p in ri.horizon_p_values(est)[: lags + 1]]
    lead_rows, stat, p_joint, test = _bjs_pretrend(panel, start, leads, inf["method"], ri)
    rows = lead_rows + [(k, e, *r) for k, (e, r) in enumerate(zip(est, post))]
    table = pd.DataFrame([(e, lo, hi, p) for _, e, p, lo, hi in rows],
                         index=pd.Index([k for k, *_ in rows], name="relative_period"), columns=EFFECT_FIELDS)
    pretrend = pd.Series({"statistic": stat, "p_value": p_joint, "n_leads": leads, "test": test})
    if leads and np.isfinite(p_joint) and p_joint < 0.05:
        warnings.warn(
            f"The pre-trend test rejects (p = {p_joint:.3g}): untreated outcomes of units about to start differ "
            "from what unit and period effects predict. Look at the leads in the event-study table and consider "
            "whether the start dates were chosen because of the outcome.", AnalysisWarning, stacklevel=3)
    return EventStudyResult(table.sort_index(), pretrend, inf["method"], panel.outcome)


def _bjs_pretrend(panel: Panel, start: np.ndarray, leads: int, method: str, ri):
    """BJS test: on untreated observations, unit and period effects plus dummies for 1..K periods before start.

    The lead coefficients are reported at relative periods −1..−K (reference: untreated periods more than K
    before the start, and never-treated units); the joint test is the Hotelling-corrected F(K, G−K) with CR1
    (see ``ClusterFit.wald``) or, with randomization inference, the share of start-date re-assignments with a
    Wald statistic at least as large.
    """
    if leads == 0:
        return [], np.nan, np.nan, "no leads"
    frame = panel.frame
    codes, times = frame["unit_code"].to_numpy(), frame["time_code"].to_numpy()
    y = frame["y"].to_numpy()

    def fit_for(starts: np.ndarray):
        untreated = times < starts[codes]
        to_start = starts[codes][untreated] - times[untreated]
        x = np.column_stack([(to_start == k).astype(float) for k in range(1, leads + 1)])
        u_codes = codes[untreated]
        fe = TwoWayFE.from_codes(u_codes, times[untreated])
        return fit_absorbed(fe, fe.residualize(x), fe.residualize(y[untreated]), u_codes, panel.n_units)

    fit = fit_for(start)
    idx = list(range(leads))
    wald_ok = leads <= panel.n_units - 1  # the cluster covariance has rank ≤ G − 1

    def joint(f):
        return f.wald(idx)[0] if wald_ok else float(np.sum(f.beta[idx] ** 2))

    if method == "cluster":
        rows = [(-k, float(fit.beta[k - 1]), *fit.t_test(k - 1)[1:]) for k in range(1, leads + 1)]
        if not wald_ok:
            return (rows, np.nan, np.nan, f"not computed: {leads} leads but only {panel.n_units} clusters; "
                    f"pass leads={panel.n_units - 2} or fewer")
        f_stat, p_f, rank = fit.wald(idx)
        _warn_if_rank_deficient(rank, leads, panel.n_units)
        return rows, f_stat, p_f, f"BJS pre-trend test, F({rank}, {panel.n_units - rank}), CR1, Hotelling-corrected"
    f_stat = joint(fit)
    perms = ri.permutations[: min(len(ri.permutations), 1000)]
    walds, betas = [], []
    for s in perms:
        try:
            f = fit_for(s)
            walds.append(joint(f))
            betas.append(f.beta)
        except (np.linalg.LinAlgError, AnalysisError):
            continue
    walds, betas = np.array(walds), np.array(betas)
    p_joint = float(np.mean(walds >= f_stat - 1e-10 * max(1.0, f_stat)))
    rows = []
    for k in range(1, leads + 1):
        b = float(fit.beta[k - 1])
        p = float(np.mean(np.abs(betas[:, k - 1]) >= abs(b) - 1e-10 * max(1.0, abs(b))))
        rows.append((-k, b, p, np.nan, np.nan))
    statistic = "Wald statistic" if wald_ok else "sum of squared leads"
    return rows, f_stat, p_joint, f"BJS pre-trend test, randomization inference of the {statistic}"


# --------------------------------------------------------------------------- placebo


def _placebo(result: DiDResult, max_unit_sets: int) -> pd.DataFrame:
    panel, inf = result._panel, result._inference
    if panel.staggered:
        raise AnalysisError("placebo() is not available for staggered adoption; use event_study(), whose pre-trend "
                            "test (Borusyak, Jaravel & Spiess 2024) checks the untreated periods.")
    rows = []
    pre_rows = (panel.frame["time_code"] < panel.first_post_code).to_numpy()
    for code in range(2, panel.n_pre):
        fake = panel.times[code]
        sub = panel.subset(pre_rows, first_post=fake)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AnalysisWarning)
            effect, _ = _estimate(sub, inf["method"], inf["reps"], inf["seed"])
        rows.append({"kind": "time", "fake_intervention": fake, "fake_treated": None, **effect.to_dict()})
    rows += _unit_placebos(result, max_unit_sets)
    table = pd.DataFrame(rows, columns=["kind", "fake_intervention", "fake_treated", *EFFECT_FIELDS])
    unit_rows = table[table["kind"] == "unit"]
    actual = float(result._effect["estimate"])
    table.attrs["actual_estimate"] = actual
    table.attrs["share_as_large"] = (float(np.mean(np.abs(unit_rows["estimate"]) >= abs(actual)))
                                     if len(unit_rows) else np.nan)
    return table


def _unit_placebos(result: DiDResult, max_unit_sets: int) -> list[dict]:
    panel = result._panel
    controls = [u for u in panel.units if u not in set(panel.treated_units)]
    size = panel.n_treated
    if len(controls) <= size:
        return []
    n_sets = math.comb(len(controls), size)
    rng = np.random.default_rng(result._inference["seed"] + 2)
    if n_sets <= max_unit_sets:
        import itertools
        sets = list(itertools.combinations(controls, size))
    else:
        sets = [tuple(controls[i] for i in sorted(rng.choice(len(controls), size, replace=False)))
                for _ in range(max_unit_sets)]
    keep = (~panel.frame["treated_unit"]).to_numpy()
    out = []
    for fake in sets:
        sub = panel.subset(keep, treated=fake)
        design = _design(sub, sub.frame["d"].to_numpy())
        fit = fit_absorbed(design.fe, design.x_t, design.y_t, design.cluster, sub.n_units, design.counts)
        out.append({"kind": "unit", "fake_intervention": panel.first_post, "fake_treated": tuple(fake),
                    "estimate": float(fit.beta[0]), "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan})
    return out

