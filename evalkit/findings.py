"""Structured findings: what one analysis says about a research question, in numbers (no prose).

A :class:`Finding` is drawn from the SAME table a result shows in the report (its ``report_tables``): the
extractor reads the row and columns of the effect the table prints, and keeps where it read them
(:attr:`Finding.source`), so the answer written from a finding and the table beside it cannot disagree —
``tests/test_findings_intervals.py`` parses both and compares them.

One extractor per analysis kind, registered beside the kind in :mod:`evalkit.kinds` (``AnalysisKind.findings``);
the wording is in :mod:`evalkit.findings_text`.

What "clear", "before" and "after" mean, per kind
-------------------------------------------------
clear
    The 95 % interval of the table excludes no change (0 for differences, 1 for rate ratios). Without an
    interval (randomization inference that cannot reject) ``p < alpha`` decides. Survey and audit items whose
    interval excludes 0 but whose Holm-adjusted p (the table's) is not below ``alpha`` are clear with the
    caveat ``adjusted_p``: the text says the difference does not hold after the adjustment.
    A finding that is not clear has ``direction = "none"``: it is told as "no clear change", never as a rise
    or a fall.
its (level change)
    ``before`` = the counterfactual (the pre-period trend carried on) and ``after`` = the fitted level, both
    in the first period from the change (averaged over units); ``after - before`` is the level change the
    table prints. The slope change is a second, non-primary finding without levels.
did
    ``before``/``after`` = the treated units' mean before and from the start (the means table); the estimate
    is the difference in differences relative to the comparison units.
survey, audit
    One finding per item: the share positive (survey) or meeting the item (audit) before and after; the
    estimate is the difference in percentage points.
Shares (0–1) have ``unit = "points"``: estimates and intervals in percentage points, before/after as shares
(the text writes them as percent).

Caveat codes
------------
``no_comparison`` (time series without a comparison group), ``few_periods`` (fewer than 12 periods on a side),
``autocorrelation`` (Ljung–Box p < 0.05 after the error model), ``few_clusters`` (fewer than 30 units),
``one_pre_period`` / ``few_pre_periods`` (1 / fewer than 3 periods before), ``pretrend_rejected`` (joint
pre-trend test p < 0.05), ``no_interval`` (randomization inference: exact p only), ``low_response`` (survey
response rate below 50 %), ``proxy_answers`` (20 % or more of questionnaires answered by someone else),
``levels_withheld`` (the did means table hides the treated group's levels), ``multiple_comparisons`` (p adjusted,
Holm), ``adjusted_p`` (this item's adjusted p ≥ alpha), ``low_power`` (no clear change and an interval wider than
± 10 percentage points), ``withheld`` (disclosure control hides a number the finding needs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.analysis._labels import OUTCOME_UNITS, SHARE_SCORE

__all__ = ["Finding", "its_findings", "did_findings", "survey_findings", "audit_findings", "staff_survey_findings",
           "ALPHA",
           "BETTER", "judge"]

ALPHA = 0.05

#: The direction that is an improvement, per outcome column ("up" | "down"); outcomes not listed have none
#: (a clear change is then told without calling it better or worse). Hours per user fall by design in a
#: rehabilitative way of working; fewer different staff per user is better continuity.
BETTER: dict[str, str] = {
    "processing_days_median": "down", "processing_days_p90": "down", "start_days_median": "down",
    "goal_recorded_share": "up", "own_view_recorded_share": "up", "followed_up_share": "up",
    "order_changes": "down", "order_changes_per_100": "down", "hours_per_user": "down",
    "continuity_mean": "down", "continuity_median": "down",
    "sick_leave": "down", "sick_leave_short": "down", "sick_leave_long": "down", "turnover_permanent": "down",
    "overtime_per_fte": "down", "extra_per_fte": "down", "overtime_extra_per_fte": "down",
    # staff survey scores: engagement (HME) up, stress down
    "hme_total": "up", "hme_motivation": "up", "hme_leadership": "up", "hme_governance": "up",
    "stress": "down", "stress_high": "down",
}


@dataclass(frozen=True)
class Finding:
    """One effect an analysis found, in numbers, as its report table shows it.

    Attributes
    ----------
    analysis_id : str
        The ``[[analyses]]`` id.
    kind : str
        The analysis kind (its, did, survey, audit).
    effect : str
        ``level_change`` | ``slope_change`` (its), ``did`` | ``pretrend`` (did: the joint pre-trend test; clear =
        parallel trends rejected; only ``p``), ``item`` (survey, audit).
    outcome : str
        The outcome column or item id.
    label : str
        The outcome's or item's name for a reader (in the language the finding was drawn in).
    unit : str
        ``days`` | ``hours`` | ``staff`` | ``count`` | ``number`` | ``points`` (percentage points; the levels
        are shares 0–1) | ``ratio`` (rate ratio; the levels are counts per period).
    before, after : float
        The levels before and after (NaN when the analysis gives none); see the module notes.
    estimate, ci_low, ci_high, p : float
        As the table prints them (points ×100, ratios as ratios); NaN when the table has none.
    decimals : int
        Decimals of the table's estimate column (the text uses the same).
    clear : bool
        The interval excludes no change (and p < alpha where given).
    direction : {"up", "down", "none"}
        ``none`` whenever not clear.
    better : {"up", "down", None}
        Which direction is an improvement (:data:`BETTER`).
    caveats : tuple of str
        Codes (module notes) the "how sure" text explains.
    source : (int, int, tuple of int)
        Table index in ``report_tables``, row, and the columns of estimate, low, high (-1 = none).
    primary : bool
        The headline effect of its analysis (the its slope change is not).
    period : str
        The period of a time series (month | year | period): of the slope change and of a rate's levels.
    """

    analysis_id: str
    kind: str
    effect: str
    outcome: str
    label: str
    unit: str
    before: float
    after: float
    estimate: float
    ci_low: float
    ci_high: float
    p: float
    decimals: int
    clear: bool
    direction: str
    better: str | None = None
    caveats: tuple[str, ...] = ()
    source: tuple[int, int, tuple[int, ...]] = (0, 0, ())
    primary: bool = True
    period: str = ""
    #: the smallest p-value the design can give (randomization inference), as the effect table prints it
    p_min: float = math.nan

    @property
    def verdict(self) -> str:
        """``better`` | ``worse`` | ``changed`` (clear, no better direction) | ``unclear``."""
        if not self.clear:
            return "unclear"
        if self.better is None:
            return "changed"
        return "better" if self.direction == self.better else "worse"


def judge(estimate: float, low: float, high: float, p: float, *, null: float = 0.0,
          alpha: float = ALPHA) -> tuple[bool, str]:
    """(clear, direction) of an effect: clear when the interval lies wholly on one side of ``null``; without an
    interval (NaN bounds), when ``p < alpha``. Not clear → direction ``"none"``."""
    if np.isfinite([low, high]).all():
        clear = bool((low > null and high > null) or (low < null and high < null))
    else:
        clear = bool(np.isfinite(p) and p < alpha)
    if not clear:
        return False, "none"
    return True, "up" if estimate > null else "down"


def _float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _table(result: Any, language: str, index: int):
    """(frame, spec) of the ``index``-th table of ``result.report_tables(language)`` (tuples or Table blocks)."""
    item = result.report_tables(language)[index]
    if hasattr(item, "frame"):
        return item.frame, item.spec
    return item[1], (item[2] if len(item) == 3 else None)


def _decimals(spec, column, default: int = 2, row: int | None = None) -> int:
    """The decimals the report gives the cell (``row_decimals`` of the spec when it has them)."""
    if spec is None:
        return default
    if row is not None and spec.row_decimals and column in spec.decimals:
        return int(spec.row_decimals[row])
    return int(spec.decimals.get(column, default))


def _withheld(frame: pd.DataFrame, spec, disclosure, row: int, columns) -> bool:
    """Whether the report's disclosure control hides any of the cells a finding reads."""
    if disclosure is None or spec is None:
        return False
    from evalkit.report._disclosure import disclosure_mask

    mask = disclosure_mask(frame.reset_index(drop=True), spec, disclosure).to_numpy(dtype=bool)
    return bool(any(mask[row, c] for c in columns if c >= 0))


# -- its -------------------------------------------------------------------------------------------------


def its_findings(analysis_id: str, result: Any, language: str, disclosure=None) -> list["Finding"]:
    """The level change (primary) and the slope change of an ITS result, from its effects table."""
    frame, spec = _table(result, language, 0)
    kept = [name for name in result.effects.index if np.isfinite(result.effects.loc[name, "estimate"])]
    log_link = result.measure == "rate ratio"
    outcome = result.spec["outcome"]
    points = bool(result._meta["points"]) and not log_link
    unit = "ratio" if log_link else "points" if points else OUTCOME_UNITS.get(outcome, "number")
    caveats = _its_caveats(result)
    before, after = _its_levels(result)
    label = _outcome_label(outcome, language)
    out = []
    for effect in ("level_change", "slope_change"):
        if effect not in kept:
            continue
        row = kept.index(effect)
        est, lo, hi, p = (_float(frame.iloc[row, c]) for c in (1, 2, 3, 4))
        clear, direction = judge(est, lo, hi, p, null=1.0 if log_link else 0.0)
        extra = ("withheld",) if _withheld(frame, spec, disclosure, row, (1, 2, 3)) else ()
        level = effect == "level_change"
        out.append(Finding(
            analysis_id, "its", effect, outcome, label, unit, before if level else math.nan,
            after if level else math.nan, est, lo, hi, p, _decimals(spec, frame.columns[1], row=row), clear, direction,
            BETTER.get(outcome), caveats + extra, (0, row, (1, 2, 3)), primary=level,
            period=result._meta["period_kind"]))
    return out


def _outcome_label(outcome: str, language: str) -> str:
    from evalkit.analysis._labels import outcome_label

    return outcome_label(outcome, language)


def _its_levels(result: Any) -> tuple[float, float]:
    """Counterfactual and fitted level in the first period from the change (mean over units)."""
    fitted = result.fitted
    at = fitted[fitted["time"] >= result._meta["intervention_value"]]
    if at.empty:
        return math.nan, math.nan
    first = at[at["time"] == at["time"].min()]
    return float(first["counterfactual"].mean()), float(first["fitted"].mean())


def _its_caveats(result: Any) -> tuple[str, ...]:
    out = []
    if not result._meta["controlled"]:
        out.append("no_comparison")
    if min(result.n_pre, result.n_post) < 12:
        out.append("few_periods")
    d = result.diagnostics
    lb = d.get("ljung_box_p", d.get("ljung_box_p_min"))
    if lb is not None and np.isfinite(lb) and lb < ALPHA:
        out.append("autocorrelation")
    return tuple(out)


# -- did -------------------------------------------------------------------------------------------------


def did_findings(analysis_id: str, result: Any, language: str, disclosure=None) -> list["Finding"]:
    """The difference in differences from the effect table; the treated group's means from the means table."""
    from evalkit.analysis._did_text import effect_scale

    frame, spec = _table(result, language, 0)
    columns = list(frame.columns)
    est = _float(frame.iloc[0, 1])
    has_ci = len(columns) >= 6 and spec is not None and columns[2] in spec.decimals
    lo, hi = (_float(frame.iloc[0, 2]), _float(frame.iloc[0, 3])) if has_ci else (math.nan, math.nan)
    p = _float(frame.iloc[0, 4] if has_ci else frame.iloc[0, 2])
    clear, direction = judge(est, lo, hi, p)
    outcome = result.outcome
    unit = "points" if effect_scale(outcome) != 1.0 else OUTCOME_UNITS.get(outcome, "number")
    p_min = math.nan if has_ci else _float(frame.iloc[0, 3])
    means, means_spec = _table(result, language, 1)
    before, after = _float(means.iloc[0, 3]), _float(means.iloc[0, 5])
    caveats = list(_did_caveats(result))
    if not has_ci:
        caveats.append("no_interval")
    if _withheld(frame, spec, disclosure, 0, (1, 2, 3) if has_ci else (1,)):
        caveats.append("withheld")
    elif _withheld(means, means_spec, disclosure, 0, (3, 5)):
        # the means guard small groups of observations: the effect is told without the levels
        before, after = math.nan, math.nan
        caveats.append("levels_withheld")
    label = _outcome_label(outcome, language)
    out = [Finding(analysis_id, "did", "did", outcome, label, unit, before, after, est, lo, hi, p,
                   _decimals(spec, columns[1]), clear, direction, BETTER.get(outcome), tuple(caveats),
                   (0, 0, (1, 2, 3) if has_ci else (1, -1, -1)), p_min=p_min)]
    es = result._report_event_study()
    pre_p = _float(es.pretrend["p_value"]) if es is not None else math.nan
    if np.isfinite(pre_p):
        # the joint pre-trend test the event-study table's note prints; "clear" = parallel trends rejected
        rejected = bool(pre_p < ALPHA)
        out.append(Finding(analysis_id, "did", "pretrend", outcome, label, unit, math.nan, math.nan, math.nan,
                           math.nan, math.nan, pre_p, 3, rejected, "none", None, tuple(caveats), (2, -1, ()),
                           primary=False, p_min=p_min))
    return out


def _did_caveats(result: Any) -> tuple[str, ...]:
    out = []
    if result.n_units < 30:
        out.append("few_clusters")
    if result.n_pre == 1:
        out.append("one_pre_period")
    elif result.n_pre < 3:
        out.append("few_pre_periods")
    es = result._report_event_study()
    p = _float(es.pretrend["p_value"]) if es is not None else math.nan
    if np.isfinite(p) and p < ALPHA:
        out.append("pretrend_rejected")
    return tuple(out)


# -- survey and audit: one finding per item ----------------------------------------------------------------


def _item_findings(analysis_id: str, kind: str, frame, spec, labels, alpha: float, common: tuple,
                   disclosure, offset: int = 0) -> list["Finding"]:
    """Rows of an items table laid out label, n before, share before, n after, share after, difference (points),
    low, high, p (adjusted); ``offset`` text columns (the audit item's wording) stand after the label."""
    out = []
    c2, c4, c5, c6, c7, c8 = (c + offset for c in (2, 4, 5, 6, 7, 8))
    d = _decimals(spec, frame.columns[c5], 0)
    for row in range(len(frame)):
        est, lo, hi, p = (_float(frame.iloc[row, c]) for c in (c5, c6, c7, c8))
        clear, direction = judge(est, lo, hi, p, alpha=alpha)
        caveats = list(common)
        if clear and np.isfinite(p) and p >= alpha:
            caveats.append("adjusted_p")
        if not clear and np.isfinite([lo, hi]).all() and (hi - lo) / 2 >= 10:
            caveats.append("low_power")
        if _withheld(frame, spec, disclosure, row, (c2, c4, c5, c6, c7)):
            caveats.append("withheld")
        item, label = labels[row]
        out.append(Finding(analysis_id, kind, "item", item, label, "points", _float(frame.iloc[row, c2]),
                           _float(frame.iloc[row, c4]), est, lo, hi, p, d, clear, direction, "up", tuple(caveats),
                           (0, row, (c5, c6, c7))))
    return out


def survey_findings(analysis_id: str, result: Any, language: str, disclosure=None) -> list["Finding"]:
    """Share positive before and after per item (the comparison table; none without a comparison)."""
    if result.comparison is None:
        return []
    frame, spec = _table(result, language, 0)
    items = list(result.comparison["item"])
    labels = [(i, result._label(i, language)) for i in items]
    common = ["multiple_comparisons"] if result.comparison.attrs.get("adjust", "none") != "none" else []
    r = result.respondents
    if "response_rate" in r and r["sent"].notna().any() and r["sent"].sum() > 0:
        if r["n_respondents"].sum() / r["sent"].sum() < 0.5:
            common.append("low_response")
    if "n_other" in r and r["n_who_known"].sum() > 0 and r["n_other"].sum() / r["n_who_known"].sum() >= 0.2:
        common.append("proxy_answers")
    return _item_findings(analysis_id, "survey", frame, spec, labels, 1 - result.level, tuple(common), disclosure)


def audit_findings(analysis_id: str, result: Any, language: str, disclosure=None) -> list["Finding"]:
    """Share of cases meeting each checklist item, before and after (the items table; none without compare)."""
    if not result.compare or result.comparison is None or result.comparison.empty:
        return []
    frame, spec = _table(result, language, 0)
    from evalkit.audit._text import _t as audit_label, item_names

    names = item_names(result, language)
    labels = [(i, names.get(i, i)) for i in (str(i) for i in frame.iloc[:, 0])]

    # the items table shows each item's wording beside its code (evalkit.audit._text._items_table)
    offset = 1 if frame.shape[1] > 1 and frame.columns[1] == audit_label("question", language) else 0
    return _item_findings(analysis_id, "audit", frame, spec, labels, ALPHA, ("multiple_comparisons",),
                          disclosure, offset)


def staff_survey_findings(analysis_id: str, result: Any, language: str, disclosure=None) -> list["Finding"]:
    """The difference in change per score (changed against comparison units, the first table); the changed
    units' means before and after from the group-means table (its rows: per score, changed then comparison)."""
    if result.comparison is None:
        return []
    frame, spec = _table(result, language, 0)
    means, means_spec = _table(result, language, 1)
    scores = list(result.comparison["score"])
    out = []
    for row, score in enumerate(scores):
        est, lo, hi, p = (_float(frame.iloc[row, c]) for c in (2, 3, 4, 5))
        clear, direction = judge(est, lo, hi, p)
        before, after = _float(means.iloc[2 * row, 3]), _float(means.iloc[2 * row, 5])
        caveats = []
        if not np.isfinite(est) or _withheld(frame, spec, disclosure, row, (2, 3, 4)):
            caveats.append("withheld")
        elif not (np.isfinite(before) and np.isfinite(after)) or _withheld(means, means_spec, disclosure, 2 * row,
                                                                              (3, 5)):
            before, after = math.nan, math.nan
            caveats.append("levels_withheld")
        label, unit = str(frame.iloc[row, 0]), "number"
        if score == SHARE_SCORE:
            # the tables show the share in per cent and its change in points; a finding's levels are shares
            label, unit = i18n.text("staff_survey", "stress_high", language), "points"
            before, after = before / 100.0, after / 100.0
        out.append(Finding(analysis_id, "staff_survey", "did", str(score), label, unit,
                           before, after, est, lo, hi, p, _decimals(spec, frame.columns[2], 2, row), clear, direction,
                           BETTER.get(str(score)), tuple(caveats), (0, row, (2, 3, 4))))
    return out
