"""Outcome panels: canonical tables → monthly panels and staff-continuity measures.

This module sits between :mod:`evalkit.io` and :mod:`evalkit.analysis`: it takes
canonical tables (:data:`evalkit.schemas.DECISIONS`, ``ORDERS``, ``VISITS``) and
returns tidy frames with one row per (unit, period), ready for
``ek.its`` and ``ek.did``. It reads no files and computes no inference.

Public functions
----------------
monthly_panel
    Decisions (and order changes) → one row per (unit, month) with counts,
    rates, medians and the denominators of every share.
staff_continuity
    The Kolada U21401 rule (distinct staff a home-care user meets in 14 days)
    on a visit log, for one window.
continuity_panel
    :func:`staff_continuity` over many windows → one row per (unit, window).

Every share or rate comes with its denominator column so that the report can
apply disclosure control (count < 5, denominator < 30) later; nothing is
suppressed here.
"""
from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit._dates import parse_user_date
from evalkit.errors import AnalysisError, DataError, DataWarning, Problem
from evalkit.schemas import (
    CHANGE_TYPES,
    DECISIONS,
    IN_FORCE_OUTCOMES,
    MISSING_START_RULES,
    PANEL_TOTAL,
    month_number,
)

__all__ = [
    "TOTAL",
    "PANEL_COLUMNS",
    "EXCLUSION_REASONS",
    "ContinuityResult",
    "monthly_panel",
    "staff_continuity",
    "continuity_panel",
]

#: Label of the rows that cover the whole municipality (all decisions passed in).
TOTAL = PANEL_TOTAL

#: Columns of :func:`monthly_panel` after the group column and ``period``, in order.
PANEL_COLUMNS = (
    "active_users",
    "new_decisions",
    "granted_hours",
    "hours_per_user",
    "hours_per_user_n",
    "order_changes",
    "order_changes_per_100",
    *(f"order_changes_{t}" for t in CHANGE_TYPES),
    "processing_days_median",
    "processing_days_p90",
    "processing_n",
    "processing_excluded",
    "start_days_median",
    "start_n",
    "start_excluded",
    "followed_up_share",
    "followed_up_n",
    "followed_up_due",
    "denial_share",
    "denials",
    "decisions",
    "goal_recorded_share",
    "goal_recorded",
    "goal_recorded_n",
    "own_view_recorded_share",
    "own_view_recorded",
    "own_view_recorded_n",
)

#: Why a home-care user is left out of the continuity measure, in the order the rules apply.
EXCLUSION_REASONS = ("age_unknown", "under_age", "not_every_day")



# --------------------------------------------------------------------------- #
# input checks shared by both measures
# --------------------------------------------------------------------------- #
def _require_frame(frame, table: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{table} must be a pandas DataFrame, got {type(frame).__name__}")
    return frame


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"the {table} table lacks column(s) {', '.join(missing)}; load it with the evalkit "
            "loader or rename the columns to the canonical names (evalkit.schemas)",
            [Problem(f"column '{c}' is missing", column=c) for c in missing],
        )


def _as_dates(series: pd.Series, table: str) -> np.ndarray:
    """A date column as a numpy datetime64 array (NaT for missing); DataError if not dates."""
    if not pd.api.types.is_datetime64_any_dtype(series):
        with warnings.catch_warnings():
            # pandas warns when it parses element by element; the loaders own date formats
            warnings.simplefilter("ignore", UserWarning)
            converted = pd.to_datetime(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())[:20]
            raise DataError(
                f"column '{series.name}' of the {table} table holds values that are not dates; "
                "load the table with the evalkit loader, which parses Swedish/Norwegian date formats",
                [Problem("not a date", row=int(r) + 1, column=str(series.name)) for r in rows],
            )
        series = converted
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    return series.to_numpy(dtype="datetime64[ns]")


def _months(dates: np.ndarray) -> np.ndarray:
    """Months since 1970-01 as int64 (NaT → a large negative sentinel; mask with ``np.isnat``)."""
    return dates.astype("datetime64[M]").astype(np.int64)


def _month_start(month: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(month), "M"))


def _to_float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _to_bool_float(series: pd.Series) -> np.ndarray:
    """A boolean column as floats 1/0 with NaN for missing."""
    return series.astype("boolean").to_numpy(dtype=float, na_value=np.nan)


def _labels(series: pd.Series) -> np.ndarray:
    """Group labels as an object array of str, with None for missing."""
    values = series.astype("string")
    return np.where(values.isna().to_numpy(), None, values.to_numpy(dtype=object, na_value=None))


# --------------------------------------------------------------------------- #
# monthly panel: helpers on integer month offsets
# --------------------------------------------------------------------------- #
def _cell_count(code: np.ndarray, month: np.ndarray, n_groups: int, n_months: int,
                weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum ``weights``) per (group, month) cell; rows with code < 0 are ignored."""
    keep = code >= 0
    flat = code[keep] * n_months + month[keep]
    w = None if weights is None else weights[keep]
    return np.bincount(flat, weights=w, minlength=n_groups * n_months).reshape(n_groups, n_months)


def _cell_quantiles(code: np.ndarray, month: np.ndarray, values: np.ndarray, n_groups: int,
                    n_months: int, quantiles: Iterable[float]) -> list[np.ndarray]:
    """Per-cell quantiles (linear interpolation, R type 7); NaN where a cell is empty."""
    keep = code >= 0
    flat = code[keep] * n_months + month[keep]
    grouped = pd.Series(values[keep]).groupby(flat)
    out = []
    for q in quantiles:
        cells = np.full(n_groups * n_months, np.nan)
        if len(flat):
            by_cell = grouped.quantile(q)
            cells[by_cell.index.to_numpy()] = by_cell.to_numpy()
        out.append(cells.reshape(n_groups, n_months))
    return out


def _interval_sum(code: np.ndarray, begin: np.ndarray, end: np.ndarray, n_groups: int,
                  n_months: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``weights`` (default 1) over intervals [begin, end] covering each month.

    A difference array: +w at the first month, −w after the last, cumulative sum.
    """
    keep = code >= 0
    width = n_months + 1
    w = np.ones(keep.sum()) if weights is None else weights[keep]
    starts = np.bincount(code[keep] * width + begin[keep], weights=w, minlength=n_groups * width)
    stops = np.bincount(code[keep] * width + end[keep] + 1, weights=w, minlength=n_groups * width)
    return np.cumsum((starts - stops).reshape(n_groups, width), axis=1)[:, :n_months]


def _distinct_in_force(code: np.ndarray, person: np.ndarray, begin: np.ndarray, end: np.ndarray,
                       n_groups: int, n_months: int) -> np.ndarray:
    """Distinct persons with at least one interval covering each month, per group.

    Overlapping intervals of the same (group, person) are merged first, so each
    person is counted once per month; then :func:`_interval_sum` counts them.
    """
    keep = code >= 0
    code, person, begin, end = code[keep], person[keep], begin[keep], end[keep]
    if not len(code):
        return np.zeros((n_groups, n_months))
    key = code.astype(np.int64) * (int(person.max()) + 1) + person
    order = np.lexsort((begin, key))
    key, begin, end, code = key[order], begin[order], end[order], code[order]
    reach = pd.Series(end).groupby(key).cummax().to_numpy()
    previous_reach = np.r_[-1, reach[:-1]]
    new_key = np.r_[True, key[1:] != key[:-1]]
    first = new_key | (begin > previous_reach)
    starts = np.flatnonzero(first)
    merged_end = np.maximum.reduceat(end, starts)
    return _interval_sum(code[starts], begin[starts], merged_end, n_groups, n_months)


def _share(numerator: np.ndarray, denominator: np.ndarray, scale: float = 1.0) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, scale * numerator / np.where(denominator > 0, denominator, 1), np.nan)


# --------------------------------------------------------------------------- #
# monthly panel: preparing the inputs
# --------------------------------------------------------------------------- #
@dataclass
class _Decisions:
    """Decisions as flat numpy arrays (one element per decision)."""

    group: np.ndarray          # object labels (None = missing)
    person: np.ndarray         # int codes
    service: np.ndarray        # int codes
    decision_key: np.ndarray   # int codes, for stable tie-breaking
    in_force: np.ndarray       # bool: granted or partly
    denied: np.ndarray         # bool
    applied: np.ndarray
    decided: np.ndarray
    start: np.ndarray
    end: np.ndarray
    follow_up: np.ndarray
    followed_up: np.ndarray | None
    hours: np.ndarray
    goal: np.ndarray | None
    own_view: np.ndarray | None


def _prepare_decisions(decisions, by: str | None) -> _Decisions:
    frame = _require_frame(decisions, "decisions")
    needed = ["decision_id", "person_id", "applied_on", "decided_on", "start_on", "end_on",
              "follow_up_on", "outcome", "service", "hours_per_month"]
    _require_columns(frame, needed + ([by] if by else []), "decisions")
    outcome = frame["outcome"].astype("string").str.strip().str.lower()
    unknown = outcome.notna() & ~outcome.isin(DECISIONS.column("outcome").allowed)
    if unknown.any():
        rows = np.flatnonzero(unknown.to_numpy())[:20]
        raise DataError(
            "column 'outcome' of the decisions table holds values other than granted/partly/denied; "
            "map them with the loader's value aliases",
            [Problem(f"outcome '{outcome.iloc[r]}'", row=int(r) + 1, column="outcome") for r in rows],
        )
    optional = {c: c in frame.columns for c in ("followed_up_on", "goal_recorded", "own_view_recorded")}
    return _Decisions(
        group=_labels(frame[by]) if by else np.full(len(frame), None, dtype=object),
        person=pd.factorize(frame["person_id"].astype("string"), use_na_sentinel=False)[0],
        service=pd.factorize(frame["service"].astype("string"), use_na_sentinel=False)[0],
        decision_key=pd.factorize(frame["decision_id"].astype("string"), sort=True,
                                  use_na_sentinel=False)[0],
        in_force=outcome.isin(IN_FORCE_OUTCOMES).to_numpy(dtype=bool, na_value=False),
        denied=(outcome == "denied").to_numpy(dtype=bool, na_value=False),
        applied=_as_dates(frame["applied_on"], "decisions"),
        decided=_as_dates(frame["decided_on"], "decisions"),
        start=_as_dates(frame["start_on"], "decisions"),
        end=_as_dates(frame["end_on"], "decisions"),
        follow_up=_as_dates(frame["follow_up_on"], "decisions"),
        followed_up=_as_dates(frame["followed_up_on"], "decisions") if optional["followed_up_on"] else None,
        hours=_to_float(frame["hours_per_month"]),
        goal=_to_bool_float(frame["goal_recorded"]) if optional["goal_recorded"] else None,
        own_view=_to_bool_float(frame["own_view_recorded"]) if optional["own_view_recorded"] else None,
    )


def _prepare_orders(orders, by: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = _require_frame(orders, "orders")
    _require_columns(frame, ["changed_on", "change_type"] + ([by] if by else []), "orders")
    group = _labels(frame[by]) if by else np.full(len(frame), None, dtype=object)
    change_type = frame["change_type"].astype("string").str.strip().str.lower()
    return group, _as_dates(frame["changed_on"], "orders"), change_type.to_numpy(dtype=object, na_value=None)




def _month_range(dec: _Decisions, changed: np.ndarray | None, start, end) -> tuple[int, int]:
    first, last = month_number(start, "start"), month_number(end, "end")
    events = [dec.decided] + ([changed] if changed is not None else [])
    dated = np.concatenate([d[~np.isnat(d)] for d in events])
    if (first is None or last is None) and not len(dated):
        raise DataError("no dated decisions or order changes: the panel's months cannot be inferred; "
                        "give start= and end=")
    if first is None:
        first = int(_months(dated.min(keepdims=True))[0])
    if last is None:
        last = int(_months(dated.max(keepdims=True))[0])
    if last < first:
        raise AnalysisError(f"end ({_month_start(last):%Y-%m}) is before start ({_month_start(first):%Y-%m})")
    return first, last


def _group_list(dec_group: np.ndarray, order_group: np.ndarray | None, units) -> list[str]:
    if units is not None:
        listed = [str(u) for u in units]
        if len(set(listed)) != len(listed):
            raise AnalysisError("units= lists a unit twice")
        return listed
    seen = set(g for g in dec_group if g is not None)
    if order_group is not None:
        seen |= set(g for g in order_group if g is not None)
    return sorted(seen)


def _codes(labels: np.ndarray, groups: list[str]) -> np.ndarray:
    index = {g: i for i, g in enumerate(groups)}
    return np.fromiter((index.get(g, -1) for g in labels), dtype=np.int64, count=len(labels))


# --------------------------------------------------------------------------- #
# monthly panel: the measures
# --------------------------------------------------------------------------- #
def _in_force_intervals(dec: _Decisions, last: int, missing_start: str, notes: list[str]):
    """Per decision: month offsets [begin, end] in force inside the range, hours end, validity."""
    begin_date = dec.start.copy()
    no_start = np.isnat(begin_date)
    if missing_start == "decided_on":
        begin_date[no_start] = dec.decided[no_start]
    usable = dec.in_force & ~np.isnat(begin_date)
    reversed_ = usable & ~np.isnat(dec.end) & (dec.end < begin_date)
    if reversed_.any():
        notes.append(f"{int(reversed_.sum())} granted decision(s) end before they start (end_on < start_on) "
                     "and are left out of active_users and granted_hours.")
    usable &= ~reversed_
    if missing_start == "exclude" and (dec.in_force & no_start).any():
        notes.append(f"{int((dec.in_force & no_start).sum())} granted decision(s) without start_on are not "
                     "counted as in force (missing_start='exclude').")
    begin = _months(begin_date)
    end = np.where(np.isnat(dec.end), last, _months(dec.end))
    hours_end = _hours_end(dec, begin_date, begin, end, usable)
    return begin, end, hours_end, usable


def _hours_end(dec, begin_date, begin, end, usable) -> np.ndarray:
    """Last month a decision's hours count: the month before the next decision for the
    same person and service begins (a new decision replaces the old one)."""
    idx = np.flatnonzero(usable)
    order = idx[np.lexsort((dec.decision_key[idx], dec.decided[idx], begin_date[idx],
                            dec.service[idx], dec.person[idx]))]
    same_next = np.r_[(dec.person[order][1:] == dec.person[order][:-1])
                      & (dec.service[order][1:] == dec.service[order][:-1]), False]
    next_begin = np.r_[begin[order][1:], 0]
    hours_end = end.copy()
    hours_end[order] = np.where(same_next, np.minimum(end[order], next_begin - 1), end[order])
    return hours_end


def _measures(dec: _Decisions, code: np.ndarray, intervals, orders, order_code, n_groups: int,
              first: int, last: int) -> dict[str, np.ndarray]:
    n_months = last - first + 1
    out: dict[str, np.ndarray] = {}
    out.update(_stock_measures(dec, code, intervals, n_groups, first, last))
    out.update(_order_measures(orders, order_code, out["active_users"], n_groups, first, n_months))
    out.update(_flow_measures(dec, code, n_groups, first, n_months))
    return out


def _clip(begin, end, keep, first, last):
    b = np.maximum(begin, first) - first
    e = np.minimum(end, last) - first
    keep = keep & (b <= e)
    return b, e, keep


def _stock_measures(dec, code, intervals, n_groups, first, last) -> dict[str, np.ndarray]:
    n_months = last - first + 1
    begin, end, hours_end, usable = intervals
    b, e, keep = _clip(begin, end, usable, first, last)
    active = _distinct_in_force(np.where(keep, code, -1), dec.person, b, e, n_groups, n_months)
    has_hours = ~np.isnan(dec.hours)
    hb, he, hkeep = _clip(begin, hours_end, usable & has_hours, first, last)
    hcode = np.where(hkeep, code, -1)
    hours = _interval_sum(hcode, hb, he, n_groups, n_months, np.nan_to_num(dec.hours))
    hours_users = _distinct_in_force(hcode, dec.person, hb, he, n_groups, n_months)
    return {
        "active_users": np.rint(active),
        "granted_hours": hours,
        "hours_per_user": _share(hours, hours_users),
        "hours_per_user_n": np.rint(hours_users),
    }


def _order_measures(orders, order_code, active, n_groups, first, n_months) -> dict[str, np.ndarray]:
    nan = np.full((n_groups, n_months), np.nan)
    if orders is None:
        cols = {"order_changes": nan, "order_changes_per_100": nan}
        cols.update({f"order_changes_{t}": nan for t in CHANGE_TYPES})
        return cols
    _, changed, change_type = orders
    month = np.where(np.isnat(changed), -1, _months(changed) - first)
    inside = (month >= 0) & (month < n_months)
    code = np.where(inside, order_code, -1)
    total = _cell_count(code, month, n_groups, n_months)
    cols = {"order_changes": total, "order_changes_per_100": _share(total, active, 100.0)}
    for t in CHANGE_TYPES:
        cols[f"order_changes_{t}"] = _cell_count(np.where(change_type == t, code, -1), month,
                                                 n_groups, n_months)
    return cols


def _days(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    return (later - earlier) / np.timedelta64(1, "D")


def _flow_measures(dec, code, n_groups, first, n_months) -> dict[str, np.ndarray]:
    month = np.where(np.isnat(dec.decided), -1, _months(dec.decided) - first)
    inside = (month >= 0) & (month < n_months)
    group_code = code
    code = np.where(inside, code, -1)

    def count(mask):
        return _cell_count(np.where(mask, code, -1), month, n_groups, n_months)

    cols: dict[str, np.ndarray] = {}
    decided = count(np.ones_like(inside))
    cols["new_decisions"] = decided

    processing = _days(dec.decided, dec.applied)
    has_both = ~np.isnan(processing)
    valid = has_both & (processing >= 0)
    median, p90 = _cell_quantiles(np.where(valid, code, -1), month, processing, n_groups, n_months, (0.5, 0.9))
    cols.update(processing_days_median=median, processing_days_p90=p90, processing_n=count(valid),
                processing_excluded=count(has_both & (processing < 0)))

    start_days = _days(dec.start, dec.decided)
    has_start = dec.in_force & ~np.isnan(start_days)
    valid = has_start & (start_days >= 0)
    (median,) = _cell_quantiles(np.where(valid, code, -1), month, start_days, n_groups, n_months, (0.5,))
    cols.update(start_days_median=median, start_n=count(valid), start_excluded=count(has_start & (start_days < 0)))

    cols.update(_follow_up_measures(dec, group_code, n_groups, first, n_months))

    denials = count(dec.denied)
    cols.update(denial_share=_share(denials, decided), denials=denials, decisions=decided)

    for name, values, eligible in (("goal_recorded", dec.goal, dec.in_force),
                                   ("own_view_recorded", dec.own_view, np.ones_like(dec.in_force))):
        if values is None:
            nan = np.full((n_groups, n_months), np.nan)
            cols.update({f"{name}_share": nan, name: nan, f"{name}_n": nan})
            continue
        known = eligible & ~np.isnan(values)
        yes = count(known & (values == 1))
        n = count(known)
        cols.update({f"{name}_share": _share(yes, n), name: yes, f"{name}_n": n})
    return cols


def _follow_up_measures(dec, code, n_groups, first, n_months) -> dict[str, np.ndarray]:
    """Follow-ups are placed in the month of follow_up_on, whenever the decision was made."""
    if dec.followed_up is None:
        nan = np.full((n_groups, n_months), np.nan)
        return {"followed_up_share": nan, "followed_up_n": nan, "followed_up_due": nan}
    month = np.where(np.isnat(dec.follow_up), -1, _months(dec.follow_up) - first)
    inside = (month >= 0) & (month < n_months)
    due_code = np.where(inside, code, -1)
    on_time = ~np.isnat(dec.followed_up) & (dec.followed_up <= dec.follow_up)
    due = _cell_count(due_code, month, n_groups, n_months)
    done = _cell_count(np.where(on_time, due_code, -1), month, n_groups, n_months)
    return {"followed_up_share": _share(done, due), "followed_up_n": done, "followed_up_due": due}


def _assemble(measures: dict[str, np.ndarray], groups: list[str], by: str, first: int,
              n_months: int) -> pd.DataFrame:
    periods = pd.DatetimeIndex(
        np.arange(first, first + n_months).astype("datetime64[M]").astype("datetime64[ns]"))
    n_groups = len(groups)
    frame = pd.DataFrame({
        by: pd.array(np.repeat(np.array(groups, dtype=object), n_months), dtype="string"),
        "period": np.tile(periods.to_numpy(), n_groups),
    })
    for name in PANEL_COLUMNS:
        values = measures[name].reshape(-1)
        if _is_count(name) and not np.isnan(values).any():
            values = np.rint(values).astype(np.int64)
        frame[name] = values
    return frame


def _is_count(name: str) -> bool:
    return not (name.endswith(("_share", "_median", "_p90", "_per_100")) or name in
                ("granted_hours", "hours_per_user"))


def monthly_panel(decisions: pd.DataFrame, orders: pd.DataFrame | None = None, *, start=None,
                  end=None, units: Iterable[str] | None = None, by: str | None = "unit",
                  total: bool = True, missing_start: str = "decided_on") -> pd.DataFrame:
    """Monthly outcome panel: one row per (unit, month), plus municipality totals.

    Parameters
    ----------
    decisions : DataFrame
        Canonical decisions table (:data:`evalkit.schemas.DECISIONS`). The optional
        columns ``followed_up_on``, ``goal_recorded`` and ``own_view_recorded`` feed
        the follow-up and documentation shares when present.
    orders : DataFrame, optional
        Canonical order-change table (:data:`evalkit.schemas.ORDERS`). Without it the
        ``order_changes*`` columns are NaN.
    start, end : date-like or str, optional
        First and last month of the panel (any day of the month; ``"2023-01"`` works).
        Defaults: the months of the earliest and latest ``decided_on`` /
        ``changed_on``. Every month in between gets a row, with 0 counts and NaN
        medians/shares where nothing happened (interrupted time series refuse gaps).
    units : iterable of str, optional
        The units to report, in this order. Listed units without data get rows of
        zeros; units not listed get no rows of their own but still count in the
        total. Default: every unit found, sorted.
    by : str or None, default "unit"
        Column (in decisions and orders) that defines the groups; the output's first
        column has this name. ``None`` gives the total rows only.
    total : bool, default True
        Add rows with ``by`` = :data:`TOTAL` (``"Total"``) covering *all* decisions
        and order changes passed in, whatever their unit.
    missing_start : {"decided_on", "exclude"}
        What a granted decision without ``start_on`` counts from: its decision date
        (default), or nothing (the decision is never in force).

    Returns
    -------
    DataFrame
        Columns ``by`` (``string``), ``period`` (month start, ``datetime64[ns]``) and
        :data:`PANEL_COLUMNS`. Counts are ``int64`` (``float64`` NaN when the input
        column they need is absent); medians, shares and rates are ``float64``.
        Rows are sorted by unit (listed order, then ``Total``) and period.
        ``panel.attrs["notes"]`` lists, in plain words, every column left NaN for want
        of an input column and every rule that dropped rows.

    Raises
    ------
    DataError
        A required column is missing, a date column is not dates, an outcome is not
        granted/partly/denied, or a unit is called ``"Total"``.
    AnalysisError
        ``start``/``end``/``units``/``missing_start`` are invalid.

    Notes
    -----
    Month *m* runs from its first day to its last day, inclusive. "In force": a
    decision with outcome granted or partly whose interval
    ``[start_on, end_on]`` meets the month, i.e. ``start_on ≤ last day of m`` and
    (``end_on`` missing or ``end_on ≥ first day of m``). ``start_on`` missing →
    ``decided_on`` is used (``missing_start``), because many exports carry no
    implementation date and a granted service normally starts within weeks; a
    decision with ``end_on < start_on`` is never in force (a note counts them).
    Denied decisions are never in force.

    * ``active_users`` – distinct ``person_id`` with at least one decision in force
      in the month. In unit rows a person counts in each unit where they have a
      decision in force; the total counts them once, so unit rows sum to the total
      only when each person belongs to one unit.
    * ``granted_hours`` – Σ ``hours_per_month`` over decisions in force. Overlaps:
      decisions for *different* services add up; for the *same* person and service
      a later decision replaces the earlier one from the month it begins (order:
      start date, then ``decided_on``, then ``decision_id``), so a re-assessment
      whose predecessor has no recorded end is not counted twice. Decisions with
      missing hours add nothing.
    * ``hours_per_user`` = ``granted_hours / hours_per_user_n``, where
      ``hours_per_user_n`` is the distinct persons with at least one in-force
      decision with non-missing hours (0 included). Users whose services carry no
      hours (alarm, meals) are thus outside the denominator, as in Kolada's
      "beviljade timmar per brukare" for users with registered hours.
    * ``new_decisions`` = ``decisions`` – decisions (any outcome) with
      ``decided_on`` in the month; ``denials`` – those denied;
      ``denial_share = denials / decisions``.
    * ``order_changes`` – order-change rows with ``changed_on`` in the month,
      and ``order_changes_<type>`` per ``change_type``;
      ``order_changes_per_100 = 100 · order_changes / active_users`` (domain
      brief §6.2).
    * ``processing_days_*`` – ``decided_on − applied_on`` in days over decisions
      decided in the month with both dates; median and 90th percentile (linear
      interpolation, ``numpy.quantile`` default = R ``quantile(type = 7)``);
      ``processing_n`` values used. Negative values (decided before applied) are
      impossible: left out and counted in ``processing_excluded``.
    * ``start_days_median`` – ``start_on − decided_on`` in days over granted/partly
      decisions decided in the month with a start date (*verkställighetstid*);
      ``start_n`` values used; a start before the decision (emergency or
      retroactive start) is left out and counted in ``start_excluded``.
    * ``followed_up_*`` – decisions whose ``follow_up_on`` falls in the month
      (``followed_up_due``, the denominator); ``followed_up_n`` of them have
      ``followed_up_on`` not missing and ``≤ follow_up_on`` (done on time);
      ``followed_up_share = followed_up_n / followed_up_due``. Months close to the
      extraction date are right-censored (follow-ups not yet registered). NaN when
      the ``followed_up_on`` column is absent.
    * ``goal_recorded_*`` – among granted/partly decisions decided in the month with
      a known value (``goal_recorded_n``), how many (``goal_recorded``) and which
      share have a followable goal; denied decisions have no goal to record.
      ``own_view_recorded_*`` – the same over decisions of any outcome.

    Counts are computed with difference arrays on integer month indices (no
    per-month loop), so 50 000 decisions over 120 months take a fraction of a
    second.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.outcomes import monthly_panel
    >>> d = pd.DataFrame({
    ...     "decision_id": ["d1", "d2"], "person_id": ["p1", "p2"], "unit": ["North", "North"],
    ...     "applied_on": pd.to_datetime(["2024-01-02", "2024-01-10"]),
    ...     "decided_on": pd.to_datetime(["2024-01-12", "2024-02-01"]),
    ...     "start_on": pd.to_datetime(["2024-01-15", pd.NaT]),
    ...     "end_on": pd.to_datetime([pd.NaT, pd.NaT]),
    ...     "follow_up_on": pd.to_datetime([pd.NaT, pd.NaT]),
    ...     "outcome": ["granted", "denied"], "service": ["home care", "home care"],
    ...     "hours_per_month": pd.array([20.0, None], dtype="Float64"),
    ... })
    >>> p = monthly_panel(d, end="2024-03", total=False)
    >>> cols = ["period", "active_users", "granted_hours", "denials", "processing_days_median"]
    >>> print(p[cols].to_string(index=False))
        period  active_users  granted_hours  denials  processing_days_median
    2024-01-01             1           20.0        0                    10.0
    2024-02-01             1           20.0        1                    22.0
    2024-03-01             1           20.0        0                     NaN
    """
    if missing_start not in MISSING_START_RULES:
        raise AnalysisError(f"missing_start must be one of {MISSING_START_RULES}, got {missing_start!r}")
    if by is None and not total:
        raise AnalysisError("by=None and total=False leave nothing to report; set one of them")
    dec = _prepare_decisions(decisions, by)
    ords = _prepare_orders(orders, by) if orders is not None else None
    first, last = _month_range(dec, None if ords is None else ords[1], start, end)
    n_months = last - first + 1
    groups = _group_list(dec.group, None if ords is None else ords[0], units) if by else []
    if TOTAL in groups and total:
        raise DataError(f"a unit is called '{TOTAL}', the label of the municipality rows; rename it "
                        "or pass total=False")
    notes: list[str] = []
    intervals = _in_force_intervals(dec, last, missing_start, notes)
    _note_absent(decisions, orders, notes)
    label = by or "unit"
    parts = []
    if groups:
        parts.append(_assemble(
            _measures(dec, _codes(dec.group, groups), intervals, ords,
                      None if ords is None else _codes(ords[0], groups), len(groups), first, last),
            groups, label, first, n_months))
    if total:
        zeros_d = np.zeros(len(dec.person), dtype=np.int64)
        zeros_o = None if ords is None else np.zeros(len(ords[0]), dtype=np.int64)
        parts.append(_assemble(_measures(dec, zeros_d, intervals, ords, zeros_o, 1, first, last),
                               [TOTAL], label, first, n_months))
    panel = pd.concat(parts, ignore_index=True)
    panel.attrs["notes"] = notes
    return panel


def _note_absent(decisions: pd.DataFrame, orders, notes: list[str]) -> None:
    if orders is None:
        notes.append("order_changes columns are empty: no orders table was given.")
    for column, outputs in (("followed_up_on", "followed_up_share/_n/_due"),
                            ("goal_recorded", "goal_recorded_share/goal_recorded/_n"),
                            ("own_view_recorded", "own_view_recorded_share/own_view_recorded/_n")):
        if column not in decisions.columns:
            notes.append(f"{outputs} are empty: the decisions table has no optional column '{column}'.")


# --------------------------------------------------------------------------- #
# staff continuity (Kolada U21401)
# --------------------------------------------------------------------------- #
@dataclass(frozen=True, repr=False)
class ContinuityResult:
    """Staff continuity in one window: per-user staff counts and their summary.

    Attributes
    ----------
    per_user : DataFrame
        One row per included user: ``person_id``, ``unit``, ``n_staff`` (distinct
        staff met), ``n_visits`` (visits counted).
    table : DataFrame
        The fixed-column view: ``unit``, ``n_users``, ``mean``, ``median`` – one row
        per unit (sorted) and a last row ``unit`` = :data:`TOTAL`.
    excluded : DataFrame
        One row per user left out: ``person_id``, ``unit``, ``reason`` (one of
        :data:`EXCLUSION_REASONS`, the first rule the user fails).
    window_start, window_end : Timestamp
        First and last day of the window (both included).
    rules : dict
        The parameters used (days, min_age, hours of day, excluded kinds, visits per day).
    notes : list of str
        Caveats in plain words (e.g. no ``visit_kind`` column to exclude alarms by).
    """

    per_user: pd.DataFrame
    table: pd.DataFrame
    excluded: pd.DataFrame
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    rules: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The summary table (``unit, n_users, mean, median``), a copy."""
        return self.table.copy()

    def exclusion_counts(self) -> pd.DataFrame:
        """Users excluded per reason: ``reason, n_users`` (every reason listed, zeros included)."""
        counts = self.excluded["reason"].value_counts()
        return pd.DataFrame({"reason": list(EXCLUSION_REASONS),
                             "n_users": [int(counts.get(r, 0)) for r in EXCLUSION_REASONS]})

    def summary(self) -> str:
        """A short text: window, rules, total mean/median and exclusions."""
        total = self.table.iloc[-1]
        excl = ", ".join(f"{r.reason} {r.n_users}" for r in self.exclusion_counts().itertuples())
        return (f"Staff continuity {self.window_start:%Y-%m-%d} – {self.window_end:%Y-%m-%d} "
                f"({self.rules.get('days')} days, Kolada U21401 rule): {int(total.n_users)} users, "
                f"mean {total['mean']:.1f}, median {total['median']:.1f} distinct staff. "
                f"Excluded: {excl}.")

    def __repr__(self) -> str:
        total = self.table.iloc[-1]
        return (f"<ContinuityResult {self.window_start:%Y-%m-%d}–{self.window_end:%Y-%m-%d}: "
                f"{int(total.n_users)} users, mean {total['mean']:.2f}, median {total['median']:.2f}>")

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + self.table.to_html(index=False, na_rep="")


def _seconds_of_day(value, name: str) -> int:
    if isinstance(value, _dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    try:
        parsed = _dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise AnalysisError(f"{name}={value!r} is not a time of day; give e.g. '07:00'") from exc
    return parsed.hour * 3600 + parsed.minute * 60 + parsed.second


def _birth_years(persons, birth_year) -> pd.Series:
    """person_id → birth year (float, NaN unknown) from a mapping or a persons/decisions frame."""
    if birth_year is not None:
        series = pd.Series(birth_year) if isinstance(birth_year, Mapping) else birth_year
        if not isinstance(series, pd.Series):
            raise AnalysisError("birth_year must be a mapping or Series from person_id to birth year")
        years = pd.to_numeric(series, errors="coerce").astype(float)
        years.index = series.index.astype(str)
        return years
    if persons is None or "birth_year" not in persons.columns:
        return pd.Series(dtype=float)
    _require_columns(_require_frame(persons, "persons"), ["person_id"], "persons")
    frame = persons[["person_id", "birth_year"]].dropna()
    frame = frame.assign(person_id=frame["person_id"].astype(str),
                         birth_year=pd.to_numeric(frame["birth_year"], errors="coerce"))
    distinct = frame.drop_duplicates().groupby("person_id")["birth_year"]
    conflicting = distinct.nunique() > 1
    years = distinct.first().astype(float)
    if conflicting.any():
        warnings.warn(f"{int(conflicting.sum())} person(s) have more than one birth_year in the persons "
                      "table; their age is treated as unknown. Correct the source data to include them.",
                      DataWarning, stacklevel=3)
        years[conflicting] = np.nan
    return years


def _person_units(persons) -> pd.Series:
    """person_id → unit from the persons frame (the latest decision's unit if it is a decisions table)."""
    if persons is None or "unit" not in persons.columns:
        return pd.Series(dtype=object)
    _require_columns(_require_frame(persons, "persons"), ["person_id"], "persons")
    frame = persons
    if "decided_on" in frame.columns:
        frame = frame.sort_values("decided_on", kind="stable")
    frame = frame.dropna(subset=["unit"])
    return frame.groupby(frame["person_id"].astype(str))["unit"].last().astype(str)


def _modal_unit(visits: pd.DataFrame) -> pd.Series:
    """person_id → most frequent unit among the visits (ties: alphabetically first)."""
    if "unit" not in visits.columns or visits.empty:
        return pd.Series(dtype=object)
    counts = visits.dropna(subset=["unit"]).groupby(["person_id", "unit"]).size().reset_index(name="n")
    counts = counts.sort_values(["person_id", "n", "unit"], ascending=[True, False, True])
    return counts.drop_duplicates("person_id").set_index("person_id")["unit"].astype(str)


def _prepare_visits(visits) -> pd.DataFrame:
    frame = _require_frame(visits, "visits")
    _require_columns(frame, ["person_id", "staff_id", "visit_start"], "visits")
    out = pd.DataFrame({
        "person_id": frame["person_id"].astype("string").astype(object),
        "staff_id": frame["staff_id"].astype("string").astype(object),
        "visit_start": pd.Series(_as_dates(frame["visit_start"], "visits"), index=frame.index),
    })
    if "visit_kind" in frame.columns:
        out["visit_kind"] = frame["visit_kind"].astype("string").str.strip().str.lower().astype(object)
    if "unit" in frame.columns:
        out["unit"] = frame["unit"].astype("string").astype(object)
    return out.dropna(subset=["person_id", "visit_start"])


def _summary_table(per_user: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    rows = []
    for unit in units + [TOTAL]:
        staff = per_user["n_staff"] if unit == TOTAL else per_user.loc[per_user["unit"] == unit, "n_staff"]
        rows.append({"unit": unit, "n_users": int(len(staff)),
                     "mean": float(staff.mean()) if len(staff) else np.nan,
                     "median": float(staff.median()) if len(staff) else np.nan})
    table = pd.DataFrame(rows)
    table["unit"] = table["unit"].astype("string")
    return table


def staff_continuity(visits: pd.DataFrame, persons: pd.DataFrame | None = None, *, window_start,
                     days: int = 14, min_age: int | None = 65,
                     birth_year: Mapping | pd.Series | None = None, day_start="07:00",
                     day_end="22:00", exclude_kinds: Iterable[str] = ("alarm", "meal", "health"),
                     min_visits_per_day: int = 2, units: Iterable[str] | None = None) -> ContinuityResult:
    """Distinct staff a home-care user meets in 14 days (Kolada U21401 rule).

    Parameters
    ----------
    visits : DataFrame
        Canonical visit log (:data:`evalkit.schemas.VISITS`): ``person_id``,
        ``staff_id``, ``visit_start``; optional ``visit_kind`` and ``unit``.
    persons : DataFrame, optional
        ``person_id`` and ``birth_year`` (and optionally ``unit``), one or more rows
        per person – a canonical decisions table works as is.
    window_start : date-like
        First day of the window. Kolada's window is two whole weeks Monday–Sunday,
        so pass a Monday to match it (any day is accepted).
    days : int, default 14
        Window length in days.
    min_age : int or None, default 65
        Users younger than this are left out; ``None`` keeps every age (and needs no
        birth year).
    birth_year : mapping or Series, optional
        ``person_id → birth year``; takes precedence over ``persons``.
    day_start, day_end : str or datetime.time, default "07:00", "22:00"
        Only visits *starting* within ``[day_start, day_end]`` (both ends included)
        count: 07:00:00 and 22:00:00 count, 06:59 and 22:01 do not.
    exclude_kinds : iterable of str, default ("alarm", "meal", "health")
        ``visit_kind`` values that never count: alarm responses (trygghetslarm),
        meal deliveries and home-health (hemsjukvård) visits.
    min_visits_per_day : int, default 2
        A user is included only with at least this many counted visits on *every*
        day of the window.
    units : iterable of str, optional
        Units to report (in this order) even without users. Default: units found.

    Returns
    -------
    ContinuityResult
        ``per_user`` (person_id, unit, n_staff, n_visits), ``table`` (unit, n_users,
        mean, median, with a ``Total`` row), ``excluded`` (person_id, unit, reason)
        and ``exclusion_counts()``.

    Raises
    ------
    DataError
        A required column is missing or ``visit_start`` is not date-times.
    AnalysisError
        A parameter is invalid (e.g. ``days < 1``, an unreadable time of day).

    Notes
    -----
    The rule follows the domain brief §2.6 (Kungälv's and Österåker's published
    definitions of Kolada KPI U21401):

    1. Candidates: every person with at least one visit (any kind, any hour)
       starting in ``[window_start, window_start + days)``.
    2. ``age_unknown`` / ``under_age``: age = (calendar year of ``window_start``) −
       ``birth_year``; users with no birth year, then users with age < ``min_age``,
       are excluded. (Age in whole years at the window's year, as birth dates are
       not in anonymised data; someone born late in the year may be counted a year
       older than they are.)
    3. Counted visits: start time of day within ``[day_start, day_end]`` and
       ``visit_kind`` not in ``exclude_kinds`` (all kinds count when the log has no
       ``visit_kind`` column; a note says so).
    4. ``not_every_day``: fewer than ``min_visits_per_day`` counted visits on at
       least one day. This also removes users who were not at home the whole period
       (hospital stay, short-term care): a day without visits fails the rule.
    5. ``n_staff`` = distinct non-missing ``staff_id`` over the counted visits;
       ``n_visits`` = counted visits (a visit with no staff id counts as a visit but
       adds no staff).

    The statistic is reported both as mean and as median because Kolada's
    published figure changed from mean (Kungälv) to median (Österåker); the median
    is ``numpy.median`` (R ``median``). A user's unit is the most frequent unit of
    their counted visits (else of all their window visits, else the ``persons``
    unit); a user without a unit appears only in the total.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.outcomes import staff_continuity
    >>> days = pd.date_range("2024-03-04", periods=14, freq="D")
    >>> v = pd.DataFrame({
    ...     "person_id": "p1",
    ...     "staff_id": [s for _ in days for s in ("a", "b")],
    ...     "visit_start": [d + pd.Timedelta(hours=h) for d in days for h in (8, 19)],
    ... })
    >>> r = staff_continuity(v, birth_year={"p1": 1940}, window_start="2024-03-04")
    >>> r.per_user[["person_id", "n_staff", "n_visits"]].to_dict("records")
    [{'person_id': 'p1', 'n_staff': 2, 'n_visits': 28}]
    """
    rules = _continuity_rules(days, min_age, day_start, day_end, exclude_kinds, min_visits_per_day)
    start = _window_start(window_start)
    stop = start + pd.Timedelta(days=rules["days"])
    prepared = _prepare_visits(visits)
    window = prepared[(prepared["visit_start"] >= start) & (prepared["visit_start"] < stop)]
    notes: list[str] = []
    counted = _counted_visits(window, rules, notes)
    candidates = pd.Index(sorted(window["person_id"].unique()), name="person_id", dtype=object)
    reason = _exclusion_reasons(candidates, counted, start, rules, persons, birth_year)
    unit = _user_units(candidates, counted, window, persons)
    included = candidates[reason.isna().to_numpy()]
    per_user = _per_user(included, counted, unit)
    excluded = pd.DataFrame({"person_id": pd.array(candidates[reason.notna().to_numpy()], dtype="string"),
                             "unit": pd.array(unit[reason.notna().to_numpy()].to_numpy(), dtype="string"),
                             "reason": pd.array(reason.dropna().to_numpy(), dtype="string")})
    unit_list = [str(u) for u in units] if units is not None else sorted(per_user["unit"].dropna().unique())
    return ContinuityResult(per_user=per_user, table=_summary_table(per_user, unit_list), excluded=excluded,
                            window_start=start, window_end=stop - pd.Timedelta(days=1), rules=rules,
                            notes=notes)


def _continuity_rules(days, min_age, day_start, day_end, exclude_kinds, min_visits_per_day) -> dict:
    if int(days) < 1:
        raise AnalysisError(f"days must be at least 1, got {days}")
    if int(min_visits_per_day) < 1:
        raise AnalysisError(f"min_visits_per_day must be at least 1, got {min_visits_per_day}")
    if isinstance(exclude_kinds, str):
        exclude_kinds = (exclude_kinds,)
    first, last = _seconds_of_day(day_start, "day_start"), _seconds_of_day(day_end, "day_end")
    if last < first:
        raise AnalysisError(f"day_end ({day_end}) is before day_start ({day_start})")
    return {"days": int(days), "min_age": None if min_age is None else int(min_age),
            "day_start": str(day_start), "day_end": str(day_end), "day_start_s": first,
            "day_end_s": last, "exclude_kinds": tuple(str(k).lower() for k in exclude_kinds),
            "min_visits_per_day": int(min_visits_per_day)}


def _window_start(value) -> pd.Timestamp:
    return parse_user_date(value, what="window_start", error=AnalysisError).normalize()


def _counted_visits(window: pd.DataFrame, rules: dict, notes: list[str]) -> pd.DataFrame:
    stamps = window["visit_start"]
    seconds = (stamps - stamps.dt.normalize()).dt.total_seconds()
    keep = (seconds >= rules["day_start_s"]) & (seconds <= rules["day_end_s"])
    if "visit_kind" in window.columns:
        keep &= ~window["visit_kind"].isin(rules["exclude_kinds"])
    elif rules["exclude_kinds"]:
        notes.append("the visit log has no visit_kind column, so alarm, meal and home-health visits "
                     "could not be excluded; every visit counts.")
    return window[keep.to_numpy()]


def _exclusion_reasons(candidates, counted, start, rules, persons, birth_year) -> pd.Series:
    reason = pd.Series(None, index=candidates, dtype=object)
    if rules["min_age"] is not None:
        years = _birth_years(persons, birth_year).reindex(candidates)
        age = start.year - years
        reason[age.isna().to_numpy()] = "age_unknown"
        reason[(reason.isna() & (age < rules["min_age"])).to_numpy()] = "under_age"
    day = (counted["visit_start"].dt.normalize() - start).dt.days
    per_day = counted.assign(day=day).groupby(["person_id", "day"]).size()
    full_days = (per_day >= rules["min_visits_per_day"]).groupby(level="person_id").sum()
    every_day = full_days.reindex(candidates, fill_value=0) == rules["days"]
    reason[(reason.isna() & ~every_day).to_numpy()] = "not_every_day"
    return reason


def _user_units(candidates, counted, window, persons) -> pd.Series:
    unit = _modal_unit(counted).reindex(candidates)
    unit = unit.fillna(_modal_unit(window).reindex(candidates))
    unit = unit.fillna(_person_units(persons).reindex(candidates))
    return unit.astype(object).where(unit.notna(), None)


def _per_user(included, counted, unit) -> pd.DataFrame:
    mine = counted[counted["person_id"].isin(included)]
    grouped = mine.groupby("person_id")
    n_staff = grouped["staff_id"].nunique().reindex(included, fill_value=0)
    n_visits = grouped.size().reindex(included, fill_value=0)
    return pd.DataFrame({
        "person_id": pd.array(included, dtype="string"),
        "unit": pd.array(unit.reindex(included).to_numpy(), dtype="string"),
        "n_staff": n_staff.to_numpy(dtype=np.int64),
        "n_visits": n_visits.to_numpy(dtype=np.int64),
    })


def continuity_panel(visits: pd.DataFrame, persons: pd.DataFrame | None, windows: Iterable, *,
                     units: Iterable[str] | None = None, total: bool = True, **rules) -> pd.DataFrame:
    """Staff continuity over many windows: one row per (unit, window), for ITS/DiD.

    Parameters
    ----------
    visits, persons
        As in :func:`staff_continuity`.
    windows : iterable of date-like
        First day of each window, e.g. ``pd.date_range("2022-01", "2024-12",
        freq="WOM-1MON")`` for the first Monday of every month.
    units : iterable of str, optional
        Units to report; default every unit with users in any window, so the panel is
        balanced (a unit without users in a window gets ``continuity_users`` = 0 and
        NaN mean/median).
    total : bool, default True
        Add the :data:`TOTAL` rows.
    **rules
        Passed to :func:`staff_continuity` (``days``, ``min_age``, ``birth_year``,
        ``day_start``, ``day_end``, ``exclude_kinds``, ``min_visits_per_day``).

    Returns
    -------
    DataFrame
        ``unit``, ``period`` (month start of the window, for joining with
        :func:`monthly_panel`), ``window_start``, ``window_end``,
        ``continuity_users``, ``continuity_mean``, ``continuity_median`` and
        ``excluded_<reason>`` for each of :data:`EXCLUSION_REASONS`. Sorted by unit
        (Total last) and window.

    Notes
    -----
    Each window is computed independently with :func:`staff_continuity`; see its
    Notes for the rule. The columns carry a ``continuity_`` prefix so the panel can
    be merged with :func:`monthly_panel` on ``(unit, period)``; with more than one
    window per month, ``period`` repeats and the merge is one-to-many.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.outcomes import continuity_panel
    >>> days = pd.date_range("2024-03-04", periods=28, freq="D")
    >>> v = pd.DataFrame({"person_id": "p1", "unit": "North",
    ...                   "staff_id": [s for _ in days for s in ("a", "b")],
    ...                   "visit_start": [d + pd.Timedelta(hours=h) for d in days for h in (8, 19)]})
    >>> p = continuity_panel(v, None, ["2024-03-04", "2024-03-18"], min_age=None)
    >>> p[["unit", "window_start", "continuity_users", "continuity_mean"]].to_dict("list")["continuity_mean"]
    [2.0, 2.0, 2.0, 2.0]
    """
    starts = [_window_start(w) for w in windows]
    if not starts:
        raise AnalysisError("windows is empty; give at least one window start date")
    # parse and sort the log once; each window then reads only its own slice
    prepared = _prepare_visits(visits).sort_values("visit_start", kind="stable")
    stamps = prepared["visit_start"].to_numpy()
    length = pd.Timedelta(days=int(rules.get("days", 14)))
    results = []
    for s in starts:
        lo, hi = np.searchsorted(stamps, [s.to_datetime64(), (s + length).to_datetime64()])
        results.append(staff_continuity(prepared.iloc[lo:hi], persons, window_start=s, units=units, **rules))
    unit_list = ([str(u) for u in units] if units is not None else
                 sorted({u for r in results for u in r.per_user["unit"].dropna()}))
    rows = []
    for result in results:
        table = _summary_table(result.per_user, unit_list).set_index("unit")
        excluded = result.excluded
        for unit in unit_list + ([TOTAL] if total else []):
            mine = excluded if unit == TOTAL else excluded[excluded["unit"] == unit]
            row = {"unit": unit, "period": result.window_start.to_period("M").start_time,
                   "window_start": result.window_start, "window_end": result.window_end,
                   "continuity_users": int(table.loc[unit, "n_users"]),
                   "continuity_mean": table.loc[unit, "mean"], "continuity_median": table.loc[unit, "median"]}
            counts = mine["reason"].value_counts()
            row.update({f"excluded_{r}": int(counts.get(r, 0)) for r in EXCLUSION_REASONS})
            rows.append(row)
    panel = pd.DataFrame(rows)
    panel["unit"] = panel["unit"].astype("string")
    for col in ("period", "window_start", "window_end"):
        panel[col] = panel[col].astype("datetime64[ns]")
    order = {u: i for i, u in enumerate(unit_list + [TOTAL])}
    panel = panel.sort_values(["unit", "window_start"], key=lambda s: s.map(order) if s.name == "unit" else s,
                              kind="stable").reset_index(drop=True)
    return panel
