"""Checking and coding the input of :func:`evalkit.did` (one place for every message a user sees)."""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit._dates import parse_user_date
from evalkit.analysis._units import drop_total_rows, refuse_total_as_named_unit
from evalkit.errors import AnalysisError, AnalysisWarning
from evalkit.schemas import PANEL_TOTAL

__all__ = ["Panel", "prepare_panel"]

LEVELS = ("auto", "aggregated", "person")
MAX_LISTED = 10


@dataclass(frozen=True)
class Panel:
    """A checked DiD panel with integer codes; ``frame`` has one row per observation."""

    frame: pd.DataFrame  # columns: y, unit, time, unit_code, time_code, treated_unit, post, d
    units: pd.Index
    times: pd.Index
    treated_units: tuple
    first_post: object
    first_post_code: int
    level: str
    outcome: str
    min_pre: int = 1
    starts: dict | None = None  # unit → first treated period, for staggered adoption

    @property
    def staggered(self) -> bool:
        return self.starts is not None

    @property
    def start_codes(self) -> np.ndarray:
        """First treated period code per unit code (``n_periods`` for never-treated units)."""
        out = np.full(self.n_units, self.n_periods, dtype=np.int64)
        if self.starts is None:
            out[self.units.get_indexer(list(self.treated_units))] = self.first_post_code
            return out
        arr = self.times.to_numpy()
        for u, date in self.starts.items():
            out[self.units.get_loc(u)] = int(np.searchsorted(arr, _comparable(date, self.times), side="left"))
        return out

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def n_treated(self) -> int:
        return len(self.treated_units)

    @property
    def n_periods(self) -> int:
        return len(self.times)

    @property
    def n_obs(self) -> int:
        return len(self.frame)

    @property
    def n_pre(self) -> int:
        return self.first_post_code

    def subset(self, rows: np.ndarray, first_post=None, treated=None) -> "Panel":
        """A re-coded panel from a row subset, optionally with a new start date or treated set."""
        sub = self.frame.loc[rows, ["y", "unit", "time"]]
        treated = self.treated_units if treated is None else tuple(treated)
        first_post = self.first_post if first_post is None else first_post
        starts = None if self.starts is None else {u: d for u, d in self.starts.items() if u in set(treated)}
        return _code(sub, treated, first_post, self.level, self.outcome, self.min_pre, starts)


def prepare_panel(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treated, intervention,
                  level: str = "auto", min_pre: int = 1) -> Panel:
    """Check the arguments of :func:`evalkit.did` and code the panel, or raise AnalysisError saying what to change."""
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
    if level not in LEVELS:
        raise AnalysisError(f"level must be one of {', '.join(LEVELS)}; got {level!r}.")
    _require_columns(data, [outcome, unit, time])
    if _holds_total(data, unit):
        data = drop_total_rows(data, unit, "ek.did")
    refuse_total_as_named_unit(treated if not isinstance(treated, str) else None, "treated")
    data = _drop_missing_outcome(data, outcome, unit, time)
    y = _numeric_outcome(data, outcome, unit, time)
    frame = pd.DataFrame({"y": y, "unit": data[unit].to_numpy(), "time": data[time].to_numpy()})
    _check_keys(frame, unit, time)
    codes = _Codes.of(frame)
    treated_units = _treated_units(data, frame, treated, unit, codes)
    first_post, starts = _intervention_date(data, frame, intervention, treated_units, unit, time)
    level = _panel_level(frame, level, unit, time, codes)
    if not isinstance(min_pre, (int, np.integer)) or min_pre < 1:
        raise AnalysisError(f"min_pre_periods must be a positive integer; got {min_pre!r}.")
    return _code(frame, treated_units, first_post, level, outcome, int(min_pre), starts, codes)


def _holds_total(data: pd.DataFrame, unit: str) -> bool:
    """Whether any unit is the municipality total, tested on the distinct units (not on every row)."""
    distinct = pd.Series(pd.unique(data[unit]))
    return bool(distinct.astype("string").str.strip().eq(PANEL_TOTAL).fillna(False).any())


@dataclass(frozen=True)
class _Codes:
    """Unit and period of each row as integer codes, factorised once (hashing, no sort of the rows).

    ``unit`` indexes ``units`` (order of first appearance, as ``pd.unique``); ``time`` indexes
    ``times`` (sorted). Every per-unit check and the coding below are then ``bincount``s and takes.
    """

    unit: np.ndarray
    units: pd.Index
    time: np.ndarray
    times: pd.Index

    @classmethod
    def of(cls, frame: pd.DataFrame) -> "_Codes":
        unit, units = pd.factorize(frame["unit"].to_numpy())
        values = frame["time"].to_numpy()
        times = pd.Index(np.sort(pd.unique(values)))
        time, seen = pd.factorize(values)
        return cls(unit, pd.Index(units), times.get_indexer(seen)[time], times)

    def has_duplicates(self) -> bool:
        cell = np.asarray(self.unit, dtype=np.int64) * len(self.times) + self.time
        return bool(np.bincount(cell).max(initial=0) > 1)


def _code(frame: pd.DataFrame, treated_units: tuple, first_post, level: str, outcome: str,
          min_pre: int = 1, starts: dict | None = None, codes: _Codes | None = None) -> Panel:
    codes = _Codes.of(frame) if codes is None else codes
    units, times = codes.units, codes.times
    for date in ([first_post] if starts is None else list(starts.values())):
        _check_intervention_in_range(times, date, min_pre)
    treated_set = set(treated_units)
    treated_unit = np.asarray([u in treated_set for u in units], dtype=bool)[codes.unit]
    first_post_code = int(np.searchsorted(times.to_numpy(), _comparable(first_post, times), side="left"))
    post = codes.time >= first_post_code
    d = (treated_unit & post).astype(float)
    if starts is not None:
        arr = times.to_numpy()
        start_of_unit = np.full(len(units), len(times), dtype=np.int64)
        for u, date in starts.items():
            if u in units:
                start_of_unit[units.get_loc(u)] = int(np.searchsorted(arr, _comparable(date, times), side="left"))
        d = (codes.time >= start_of_unit[codes.unit]).astype(float)
    # the new columns are set one by one: a frame built from a dict would consolidate the integer
    # columns into one block, a transient copy that set the peak at 3·10⁷ rows
    out = frame[["y", "unit", "time"]].reset_index(drop=True)
    for name, values in (("unit_code", np.asarray(codes.unit, dtype=np.intp)),
                         ("time_code", np.asarray(codes.time, dtype=np.intp)),
                         ("treated_unit", treated_unit), ("post", post), ("d", d)):
        out[name] = values
    present = tuple(u for u in units if u in treated_set)
    if not present:
        raise AnalysisError("No treated unit is left in the data; name at least one unit in `treated`.")
    if len(present) == len(units):
        raise AnalysisError("Every unit is treated, so there is no comparison group; name the treated units only.")
    return Panel(out, units, times, present, first_post, first_post_code, level, outcome, min_pre, starts)


def _require_columns(data: pd.DataFrame, columns: list) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise AnalysisError(
            f"Column(s) {', '.join(map(repr, missing))} not found; the data has: {', '.join(map(str, data.columns))}."
        )


def _drop_missing_outcome(data: pd.DataFrame, outcome: str, unit: str, time: str) -> pd.DataFrame:
    """Rows whose outcome is empty are left out, with a warning saying how many and where.

    A unit-period with no users has no hours per user: the outcome is undefined there, not zero. Like
    ``fixest::feols`` (which drops NA observations and says so) the estimate then uses the unbalanced panel;
    the two-way fixed-effects estimator and its inference do not need balance.
    """
    missing = data[outcome].isna()
    if not missing.any():
        return data
    warnings.warn(
        f"Outcome {outcome!r} is missing in {int(missing.sum())} of {len(data)} rows "
        f"({_where(data, missing, unit, time)}); those rows are left out and the panel is unbalanced. "
        "If a missing value means zero, fill it before ek.did.", AnalysisWarning, stacklevel=4)
    return data.loc[~missing]


def _numeric_outcome(data: pd.DataFrame, outcome: str, unit: str, time: str) -> np.ndarray:
    raw = data[outcome]
    values = pd.to_numeric(raw, errors="coerce")
    bad_text = values.isna() & raw.notna()
    if bad_text.any():
        raise AnalysisError(
            f"Outcome {outcome!r} has {int(bad_text.sum())} value(s) that are not numbers "
            f"(first at {_where(data, bad_text, unit, time)}); convert or remove them."
        )
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        raise AnalysisError(f"Outcome {outcome!r} has infinite values; remove them.")
    return values.to_numpy(dtype=float)


def _where(data: pd.DataFrame, mask: pd.Series, unit: str, time: str) -> str:
    rows = data.loc[mask, [unit, time]].head(MAX_LISTED)
    listed = "; ".join(f"{unit}={u}, {time}={t}" for u, t in rows.itertuples(index=False))
    more = int(mask.sum()) - len(rows)
    return listed + (f"; and {more} more" if more > 0 else "")


def _check_keys(frame: pd.DataFrame, unit: str, time: str) -> None:
    for col, name in (("unit", unit), ("time", time)):
        if frame[col].isna().any():
            raise AnalysisError(f"Column {name!r} is empty in {int(frame[col].isna().sum())} rows; fill or drop them.")


def _treated_units(data: pd.DataFrame, frame: pd.DataFrame, treated, unit: str, codes: _Codes) -> tuple:
    units = codes.units
    if isinstance(treated, str):
        if treated not in data.columns:
            raise AnalysisError(
                f"treated={treated!r} is not a column. Give a boolean column name or a list of treated unit ids."
            )
        flag = data[treated]
        if flag.isna().any():
            raise AnalysisError(f"Column {treated!r} is empty in {int(flag.isna().sum())} rows; mark every row.")
        values = set(pd.unique(flag))
        if not values <= {True, False, 0, 1}:
            raise AnalysisError(f"Column {treated!r} must be boolean (True/False or 1/0); it holds {sorted(map(str, values))[:5]}.")
        # rows marked treated per unit against rows per unit: all, none, or it varies within the unit
        marked = np.bincount(codes.unit, weights=flag.astype(bool).to_numpy(), minlength=len(units))
        rows = np.bincount(codes.unit, minlength=len(units))
        # listed in sorted unit order, as a groupby over the units lists them
        order = _sorted_order(units)
        varying = [units[k] for k in order if 0 < marked[k] < rows[k]]
        if varying:
            raise AnalysisError(
                f"Column {treated!r} changes within unit(s) {varying[:MAX_LISTED]}. It must mark treated UNITS "
                "(constant over time); the start date goes in `intervention`."
            )
        return tuple(units[k] for k in order if marked[k] > 0)
    if treated is None or isinstance(treated, (bytes, Mapping)) or not hasattr(treated, "__iter__"):
        raise AnalysisError("treated must be a boolean column name or a collection of unit ids.")
    wanted = list(dict.fromkeys(treated))
    if not wanted:
        raise AnalysisError("treated is empty; name at least one treated unit.")
    known = set(units)
    unknown = [u for u in wanted if u not in known]
    if unknown:
        raise AnalysisError(
            f"Unknown unit(s) in treated: {unknown[:MAX_LISTED]}. Units in the data: {list(units)[:20]}"
            + (" …" if len(units) > 20 else "") + "."
        )
    return tuple(wanted)


def _intervention_date(data, frame, intervention, treated_units, unit: str, time: str):
    """The common first post period and None, or the earliest start and a unit → start mapping (staggered)."""
    if isinstance(intervention, str) and intervention in data.columns:
        col = pd.Series(data[intervention].to_numpy()).groupby(frame["unit"].to_numpy()).agg(
            lambda s: pd.unique(s.dropna()))
        mapping = {}
        for u in treated_units:
            dates = col.get(u, np.array([]))
            if len(dates) != 1:
                raise AnalysisError(
                    f"Column {intervention!r} must hold one start date per treated unit; unit {u!r} has {len(dates)}."
                )
            mapping[u] = dates[0]
        intervention = mapping
    if isinstance(intervention, Mapping):
        missing = [u for u in treated_units if u not in intervention]
        if missing:
            raise AnalysisError(f"intervention has no start date for treated unit(s) {missing[:MAX_LISTED]}.")
        dates = pd.unique(pd.Series([intervention[u] for u in treated_units]))
        if len(dates) > 1:
            starts = {u: intervention[u] for u in treated_units}
            return min(starts.values()), starts
        intervention = dates[0]
    if intervention is None or (np.ndim(intervention) == 0 and pd.isna(intervention)):
        raise AnalysisError("intervention is missing; give the first post period, of the same type as the time column.")
    return intervention, None


def _comparable(value, times: pd.Index):
    """``value`` converted to the type of the time column, or AnalysisError."""
    sample = times[0]
    try:
        if isinstance(sample, (pd.Timestamp, np.datetime64)):
            stamp = parse_user_date(value, what="intervention", error=AnalysisError)
            return np.datetime64(stamp, "ns").astype(times.to_numpy().dtype)
        if isinstance(sample, pd.Period):
            return pd.Period(value, freq=sample.freq)
        if isinstance(sample, (int, float, np.integer, np.floating)) and not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError
        return value
    except (TypeError, ValueError) as exc:
        raise AnalysisError(
            f"intervention {value!r} is not comparable with the time column (e.g. {sample!r}); "
            "give it in the same type."
        ) from exc


def _check_intervention_in_range(times: pd.Index, first_post, min_pre: int = 1) -> None:
    point = _comparable(first_post, times)
    arr = times.to_numpy()
    try:
        code = int(np.searchsorted(arr, point, side="left"))
    except TypeError as exc:
        raise AnalysisError(f"intervention {first_post!r} is not comparable with the time column.") from exc
    if code >= len(arr):
        raise AnalysisError(
            f"intervention {first_post!r} is after the last period in the data ({times[-1]!r}); "
            "there is no post period."
        )
    if code < min_pre:
        raise AnalysisError(
            f"intervention {first_post!r} leaves {code} pre period(s) (first period {times[0]!r}); "
            f"DiD needs at least {min_pre} period(s) before the change. Add earlier data or move "
            "the date, or lower min_pre_periods."
        )


def _sorted_order(units: pd.Index) -> list[int]:
    """Positions of ``units`` in sorted order (pandas' safe sort: mixed types fall back to their own order)."""
    from pandas.core.algorithms import safe_sort

    ranks = pd.Index(safe_sort(units.to_numpy())).get_indexer(units)
    return list(np.argsort(ranks, kind="stable"))


def _panel_level(frame: pd.DataFrame, level: str, unit: str, time: str, codes: _Codes) -> str:
    if not codes.has_duplicates():
        return "aggregated" if level == "auto" else level
    if level != "aggregated":
        return "person"
    dup = frame.duplicated(["unit", "time"], keep=False)   # only to say which pairs repeat
    if dup.any():
        pairs = frame.loc[dup, ["unit", "time"]].drop_duplicates()
        listed = "; ".join(f"{unit}={u}, {time}={t}" for u, t in pairs.head(MAX_LISTED).itertuples(index=False))
        raise AnalysisError(
            f"level='aggregated' but {len(pairs)} ({unit}, {time}) pair(s) occur more than once "
            f"({int(dup.sum())} rows; {listed}). "
            "Aggregate to one row per unit and period, or pass level='person' for person-level rows."
        )
    return level   # pragma: no cover - has_duplicates and duplicated agree
