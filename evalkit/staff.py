"""Staff outcomes: the canonical ``staff`` table → a unit × month panel, and a yearly summary for the report.

This module sits at the layer of :mod:`evalkit.outcomes`: it takes the canonical table of
:data:`evalkit.schemas.STAFF` (from :func:`evalkit.io.staff.load_staff`), reads no files and fits no models.
The panel feeds ``ek.its`` and ``ek.did`` like the decisions panel (the pipeline joins it onto
:func:`evalkit.outcomes.monthly_panel` by unit and month).

Definitions (per unit × month; the ``Total`` rows count every employee once)
---------------------------------------------------------------------------
``sick_leave``
    sick hours / scheduled (ordinary) hours — Kolada **N00090** "Sjukfrånvaro kommunalt anställda, %"
    defines municipal sick leave as total sick-leave hours over total ordinary working time (the definition
    of the annual-report disclosure, kommunal redovisning); ``sick_leave_short`` and ``sick_leave_long`` split
    the numerator into day 1–14 and day 15 on of a spell (Norway: the employer period, day 1–16). Kolada's
    **N00091** is the share of sick leave that is long-term by the 60-day rule; evalkit's ``long`` is day 15
    on, so it is *not* N00091 (a 60-day split needs spell data the export rarely has).
``turnover_permanent``
    permanent employees whose employment ended in the month / permanent employees that month — SKR's
    personnel-statistics rule ("personalomsättning": tillsvidareanställda som slutat / genomsnittligt antal
    tillsvidareanställda). A move between units is not a leaver (the employment did not end). Monthly; the
    yearly rate of :func:`staff_summary` is leavers in the year / mean monthly headcount.
``hourly_share``
    hours of hourly-paid staff (timavlönade) / all worked hours.
``overtime_per_fte``, ``extra_per_fte``, ``overtime_extra_per_fte``
    overtime (övertid), extra hours of part-timers (mertid/merarbeid) and both, per full-time equivalent:
    ``fte`` = Σ employment_rate / 100 of employees with a contracted rate, else scheduled hours /
    ``full_time_hours`` (default 165 h a month: 38.25 h a week × 52 / 12 ≈ 165.75).

KPI ids: N00090 and N00091 are taken from domain.md §6 ([T], several public repositories) and could
**not** be verified against ``api.kolada.se/v3/kpi`` offline. No Kolada id was found offline for
turnover, hourly-paid hours or overtime/extra hours of care staff: those follow SKR's personnel-statistics
definitions as described here, not a Kolada KPI. HME (Kolada's U00200-series [T], unverified) is scored
by :mod:`evalkit.analysis.staff_survey`.

Every rate comes with its denominator column (``employees``, ``employees_permanent``, ``scheduled_hours``,
``worked_hours``, ``fte``), so exposure offsets and disclosure control can use it; nothing is suppressed in
the panel itself. :class:`StaffSummary` declares its denominators for the report's disclosure control and
hides every rate of a team with fewer than ``min_employees`` employees (``[report] suppress_staff_below``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.errors import AnalysisError, DataError, Problem
from evalkit.schemas import PANEL_TOTAL, STAFF

__all__ = ["STAFF_PANEL_COLUMNS", "STAFF_RATES", "FULL_TIME_HOURS", "staff_panel", "staff_summary",
           "StaffSummary", "DEFAULT_MIN_EMPLOYEES"]

#: hours a month of one full-time equivalent when the export has no employment rate (38.25 h × 52 / 12)
FULL_TIME_HOURS = 165.0
#: teams with fewer employees than this have their rates hidden (``[report] suppress_staff_below``)
DEFAULT_MIN_EMPLOYEES = 5

#: columns of :func:`staff_panel` after ``unit`` and ``period``
STAFF_PANEL_COLUMNS = (
    "employees", "employees_permanent", "fte",
    "scheduled_hours", "worked_hours", "sick_hours", "sick_hours_short", "sick_hours_long",
    "sick_leave", "sick_leave_short", "sick_leave_long",
    "leavers_permanent", "turnover_permanent",
    "hourly_hours", "hourly_share",
    "overtime_hours", "extra_hours", "overtime_per_fte", "extra_per_fte", "overtime_extra_per_fte",
)
#: rate → (numerator, denominator) columns of the panel
STAFF_RATES = {
    "sick_leave": ("sick_hours", "scheduled_hours"),
    "sick_leave_short": ("sick_hours_short", "scheduled_hours"),
    "sick_leave_long": ("sick_hours_long", "scheduled_hours"),
    "turnover_permanent": ("leavers_permanent", "employees_permanent"),
    "hourly_share": ("hourly_hours", "worked_hours"),
    "overtime_per_fte": ("overtime_hours", "fte"),
    "extra_per_fte": ("extra_hours", "fte"),
    "overtime_extra_per_fte": ("overtime_extra_hours", "fte"),
}
_HOUR_COLUMNS = ("scheduled_hours", "worked_hours", "sick_hours", "sick_hours_short", "sick_hours_long",
                 "overtime_hours", "extra_hours", "hourly_hours")


def _check_table(staff: pd.DataFrame) -> None:
    if not isinstance(staff, pd.DataFrame):
        raise DataError(f"staff must be a pandas DataFrame (ek.load_staff), got {type(staff).__name__}")
    missing = [c for c in STAFF.required if c not in staff.columns]
    if missing:
        raise DataError(f"the staff table lacks column(s) {', '.join(missing)}; load it with ek.load_staff or "
                        "rename the columns to the canonical names (evalkit.schemas.STAFF)",
                        [Problem(f"column '{c}' is missing", column=c) for c in missing])
    if (staff["unit"].astype("string") == PANEL_TOTAL).any():
        raise DataError(f"a unit is called '{PANEL_TOTAL}', the label of the municipality rows; rename it")


def _prepared(staff: pd.DataFrame, full_time_hours: float) -> pd.DataFrame:
    """One row per input row with the per-row quantities the panel sums."""
    f = pd.DataFrame({"employee_id": staff["employee_id"].astype("string"),
                      "unit": staff["unit"].astype("string"),
                      "period": pd.to_datetime(staff["month"]).dt.to_period("M").dt.to_timestamp()})
    for c in _HOUR_COLUMNS:
        f[c] = (pd.to_numeric(staff[c], errors="coerce").astype(float) if c in staff
                else np.nan)
    employment = staff["employment"].astype("string") if "employment" in staff else pd.Series(
        pd.NA, index=staff.index, dtype="string")
    f["permanent"] = (employment == "permanent").fillna(False).astype(bool)
    hourly = (employment == "hourly").fillna(False).astype(bool)
    if f["sick_hours"].isna().all() and not (f["sick_hours_short"].isna().all() and f["sick_hours_long"].isna().all()):
        f["sick_hours"] = f["sick_hours_short"].fillna(0) + f["sick_hours_long"].fillna(0)
    if f["hourly_hours"].isna().all() and "employment" in staff:
        f["hourly_hours"] = np.where(hourly, f["worked_hours"].fillna(0), 0.0)
        f.loc[f["worked_hours"].isna(), "hourly_hours"] = np.nan
    rate = pd.to_numeric(staff["employment_rate"], errors="coerce").astype(float) if "employment_rate" in staff \
        else pd.Series(np.nan, index=staff.index)
    by_hours = f["scheduled_hours"] / float(full_time_hours)
    f["fte"] = np.where(rate.notna() & ~hourly, rate / 100.0, by_hours)
    f.loc[hourly & rate.isna(), "fte"] = 0.0  # hourly staff have no contracted time (their hours count below)
    end = pd.to_datetime(staff["employment_end"]) if "employment_end" in staff else pd.Series(pd.NaT, index=staff.index)
    f["leaver"] = f["permanent"] & (end.dt.to_period("M").dt.to_timestamp() == f["period"]).fillna(False).to_numpy()
    f["overtime_extra_hours"] = f["overtime_hours"].fillna(0) + f["extra_hours"].fillna(0)
    f.loc[f["overtime_hours"].isna() & f["extra_hours"].isna(), "overtime_extra_hours"] = np.nan
    return f


def _sum(g, column: str) -> pd.Series:
    # a column absent from the export stays NaN (min_count=1), a column with zeros sums to 0
    return g[column].sum(min_count=1)


def _aggregate(f: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = f.groupby(keys, sort=True, observed=True)
    out = pd.DataFrame({
        "employees": g["employee_id"].nunique(),
        "employees_permanent": f[f["permanent"]].groupby(keys, observed=True)["employee_id"].nunique(),
        "fte": _sum(g, "fte"),
        **{c: _sum(g, c) for c in (*_HOUR_COLUMNS, "overtime_extra_hours")},
        "leavers_permanent": f[f["leaver"]].groupby(keys, observed=True)["employee_id"].nunique(),
    })
    out[["employees_permanent", "leavers_permanent"]] = out[["employees_permanent", "leavers_permanent"]].fillna(0)
    for rate, (num, den) in STAFF_RATES.items():
        d = out[den].astype(float)
        out[rate] = np.where(d > 0, out[num].astype(float) / d.where(d > 0), np.nan)
    return out.reset_index()


def staff_panel(staff: pd.DataFrame, *, start=None, end=None, total: bool = True,
                full_time_hours: float = FULL_TIME_HOURS) -> pd.DataFrame:
    """Staff outcomes per unit × month (module docstring: definitions and KPI ids).

    Parameters
    ----------
    staff : DataFrame
        The canonical staff table (:func:`evalkit.io.staff.load_staff`).
    start, end : date-like, optional
        First and last month (default: the months of the table). Months without a row of a unit are in the
        panel with zero employees and NaN rates, so the series are regularly spaced for ITS.
    total : bool
        Add the municipality rows (``unit == "Total"``), counting each employee once.
    full_time_hours : float
        Monthly hours of one FTE when the export has no ``employment_rate``.

    Returns
    -------
    DataFrame
        ``unit, period`` (first day of the month) and :data:`STAFF_PANEL_COLUMNS`, one row per unit and month.

    Examples
    --------
    >>> s = pd.DataFrame({"employee_id": ["a", "b", "a"], "unit": ["Norr", "Norr", "Norr"],
    ...                   "month": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
    ...                   "scheduled_hours": [160.0, 80.0, 160.0], "sick_hours_short": [16.0, 0.0, 0.0],
    ...                   "sick_hours_long": [0.0, 8.0, 0.0]})
    >>> p = staff_panel(s, total=False)
    >>> p["employees"].tolist(), p["sick_leave"].round(3).tolist(), p["sick_leave_long"].round(3).tolist()
    ([2, 1], [0.1, 0.0], [0.033, 0.0])
    """
    _check_table(staff)
    if not full_time_hours or full_time_hours <= 0:
        raise AnalysisError(f"full_time_hours must be a positive number of hours a month, got {full_time_hours!r}")
    f = _prepared(staff, full_time_hours)
    if f["period"].isna().all():
        raise DataError("the staff table has no months")
    first = pd.Timestamp(start).to_period("M").to_timestamp() if start is not None else f["period"].min()
    last = pd.Timestamp(end).to_period("M").to_timestamp() if end is not None else f["period"].max()
    f = f[(f["period"] >= first) & (f["period"] <= last)]
    months = pd.date_range(first, last, freq="MS")
    units = sorted(f["unit"].dropna().unique())
    parts = []
    if units:
        grid = pd.MultiIndex.from_product([units, months], names=["unit", "period"]).to_frame(index=False)
        parts.append(grid.merge(_aggregate(f, ["unit", "period"]), on=["unit", "period"], how="left"))
    if total:
        tot = _aggregate(f.assign(unit=PANEL_TOTAL), ["unit", "period"])
        grid = pd.DataFrame({"unit": PANEL_TOTAL, "period": months})
        parts.append(grid.merge(tot, on=["unit", "period"], how="left"))
    panel = pd.concat(parts, ignore_index=True)
    for c in ("employees", "employees_permanent", "leavers_permanent"):
        panel[c] = panel[c].fillna(0).astype(np.int64)
    panel["unit"] = panel["unit"].astype("string")
    return panel[["unit", "period", *STAFF_PANEL_COLUMNS]]


# --------------------------------------------------------------------------- the report's summary

_t = i18n.translator("staff")
_SUMMARY_RATES = ("sick_leave", "sick_leave_short", "sick_leave_long", "turnover_permanent", "hourly_share")


@dataclass
class StaffSummary:
    """Yearly staff measures per unit (and the municipality) for the report, small teams hidden.

    Attributes
    ----------
    table : DataFrame
        ``unit, year, employees`` (mean monthly headcount) and the yearly rates: sick leave (total, short,
        long) = Σ sick hours / Σ scheduled hours; turnover = Σ leavers / mean permanent headcount;
        hourly share; overtime + extra hours per FTE and month.
    min_employees : int
        Rates of a unit-year with a mean headcount below this are hidden in every table and figure.
    """

    panel: pd.DataFrame = field(repr=False)
    table: pd.DataFrame
    min_employees: int = DEFAULT_MIN_EMPLOYEES
    change_date: pd.Timestamp | None = None
    title_text: str | None = None

    @property
    def title(self) -> str:
        return self.title_text or _t("title", "sv")

    @title.setter
    def title(self, value: str) -> None:
        self.title_text = value

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        return "\n".join(self.sentences("en"))

    def small_units(self) -> list[str]:
        """Units with at least one year below ``min_employees`` (their rates are hidden)."""
        t = self.table
        return sorted(t.loc[(t["employees"] < self.min_employees) & (t["unit"] != PANEL_TOTAL), "unit"].unique())

    def sentences(self, language: str = "sv") -> list[str]:
        i18n.check_language(language)
        t = self.table[self.table["unit"] == PANEL_TOTAL].sort_values("year")
        if t.empty:
            return []
        first, last = t.iloc[0], t.iloc[-1]
        pct = lambda v: i18n.fmt_percent(v, 1, language)  # noqa: E731
        out = [i18n.text("staff", "staff_summary_sentences", language, sick_leave=pct(first['sick_leave']),
                         year=int(first['year']), sick_leave2=pct(last['sick_leave']), year2=int(last['year']))]
        small = self.small_units()
        if small:
            k = self.min_employees
            out.append(i18n.text("staff", "staff_summary_sentences_2", language, k=k, small=len(small)))
        return out

    def methods(self, language: str = "sv") -> list[str]:
        return [i18n.text("staff", "staff_summary_methods", language, min_employees=self.min_employees)]

    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import Table, TableSpec
        from evalkit.privacy import suppress_percentages

        t = self.table.copy()
        rates = [*_SUMMARY_RATES, "overtime_extra_per_fte"]
        # the staff threshold: every rate of a unit-year with fewer employees than min_employees is hidden by
        # the same rule as a percentage on a small base (evalkit.privacy); the report's own control then applies
        # its thresholds through the spec below (headcount as a count, every rate guarded by the headcount)
        hidden = suppress_percentages(t, rates, "employees", self.min_employees).mask
        for r in rates:
            t[r] = t[r].mask(hidden[r].to_numpy())
        t["unit"] = t["unit"].map(lambda u: _unit_name(u, language))
        names = {c: _t(c, language) for c in ["unit", "year", "employees", *rates]}
        frame = t[list(names)].rename(columns=names)
        emp = names["employees"]
        spec = TableSpec(counts=(emp,),
                         guards={names[r]: emp for r in rates},
                         # shares of hours, not of people: their base is never a small count of persons
                         percents={names[r]: math.inf for r in _SUMMARY_RATES},
                         decimals={emp: 0, names["overtime_extra_per_fte"]: 1},
                         percent_decimals=1)
        return [Table(frame, _t("caption", language), spec, note=_t("note", language, k=self.min_employees))]

    def plot_data(self) -> pd.DataFrame:
        """The monthly series the figure shows: units with at least ``min_employees`` in every month, and Total."""
        p = self.panel
        smallest = p.groupby("unit")["employees"].min()
        shown = [u for u in smallest.index if smallest[u] >= self.min_employees]
        return p[p["unit"].isin(shown)][["unit", "period", "employees", "sick_leave"]]

    def plot(self, ax=None, language: str = "sv"):
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        data = self.plot_data()
        for unit, g in data.groupby("unit", sort=True):
            lw, color = (2.4, "black") if unit == PANEL_TOTAL else (1.0, None)
            ax.plot(g["period"], g["sick_leave"] * 100, label=_unit_name(unit, language), linewidth=lw, color=color)
        if self.change_date is not None:
            ax.axvline(self.change_date, color="grey", linestyle="--", linewidth=1)
        ax.set_ylabel("%")
        ax.set_title(_t("figure", language))
        ax.legend(fontsize=7, ncol=3)
        return fig

    def _repr_html_(self) -> str:
        return f"<h4>{self.title}</h4>" + self.report_tables("en")[0].frame.to_html(index=False, na_rep="..")


def _unit_name(unit, language: str) -> str:
    """A unit as the reader sees it: the municipality rows by name in the report's language."""
    return i18n.label("whole_municipality", language) if unit == PANEL_TOTAL else str(unit)


def staff_summary(panel: pd.DataFrame, *, min_employees: int = DEFAULT_MIN_EMPLOYEES,
                  change_date=None) -> StaffSummary:
    """Yearly staff measures per unit from :func:`staff_panel` (rates of small units hidden).

    Parameters
    ----------
    panel : DataFrame
        :func:`staff_panel` output (the pipeline's joined panel works too: its staff columns are used).
    min_employees : int
        Rates of unit-years with a mean monthly headcount below this are hidden (default 5).
    change_date : date-like, optional
        Marked in the figure.

    Examples
    --------
    >>> s = pd.DataFrame({"employee_id": ["a", "b", "c"], "unit": ["Norr"] * 3,
    ...                   "month": pd.to_datetime(["2024-01-01"] * 3), "scheduled_hours": [100.0] * 3,
    ...                   "sick_hours": [10.0, 0.0, 5.0]})
    >>> r = staff_summary(staff_panel(s, total=False), min_employees=5)
    >>> bool(pd.isna(r.report_tables("en")[0].frame.iloc[0, 3]))   # 3 employees < 5: the sick leave is hidden
    True
    """
    if int(min_employees) < 1:
        raise AnalysisError(f"min_employees must be at least 1, got {min_employees!r}")
    missing = [c for c in ("unit", "period", *STAFF_PANEL_COLUMNS) if c not in panel.columns]
    if missing:
        raise AnalysisError(f"the panel lacks the staff column(s) {missing}; build it with staff_panel()")
    p = panel[panel["employees"].fillna(0) > 0].copy()
    p["year"] = pd.to_datetime(p["period"]).dt.year
    g = p.groupby(["unit", "year"], sort=True)
    sums = g[["scheduled_hours", "sick_hours", "sick_hours_short", "sick_hours_long", "hourly_hours",
              "worked_hours", "overtime_hours", "extra_hours", "fte", "leavers_permanent"]].sum(min_count=1)
    table = pd.DataFrame({"employees": g["employees"].mean(),
                          "employees_permanent": g["employees_permanent"].mean()})
    div = lambda a, b: np.where(b > 0, a / b.where(b > 0), np.nan)  # noqa: E731
    table["sick_leave"] = div(sums["sick_hours"], sums["scheduled_hours"])
    table["sick_leave_short"] = div(sums["sick_hours_short"], sums["scheduled_hours"])
    table["sick_leave_long"] = div(sums["sick_hours_long"], sums["scheduled_hours"])
    table["turnover_permanent"] = div(sums["leavers_permanent"], table["employees_permanent"])
    table["hourly_share"] = div(sums["hourly_hours"], sums["worked_hours"])
    extra = sums["overtime_hours"].fillna(0) + sums["extra_hours"].fillna(0)
    table["overtime_extra_per_fte"] = div(extra, sums["fte"])
    table = table.reset_index()
    # the municipality last, as in every other evalkit table
    table = pd.concat([table[table["unit"] != PANEL_TOTAL], table[table["unit"] == PANEL_TOTAL]], ignore_index=True)
    return StaffSummary(panel=panel[["unit", "period", *STAFF_PANEL_COLUMNS]].copy(), table=table,
                        min_employees=int(min_employees),
                        change_date=pd.Timestamp(change_date) if change_date is not None else None)
