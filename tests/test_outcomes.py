"""Tests of evalkit.outcomes: monthly panels and staff continuity.

Every expected number below is worked out by hand in the comments next to the
data; none is copied from the code's output.
"""
from __future__ import annotations

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit.outcomes as outcomes
from evalkit.errors import AnalysisError, DataError, DataWarning
from evalkit.outcomes import (
    EXCLUSION_REASONS,
    PANEL_COLUMNS,
    TOTAL,
    continuity_panel,
    monthly_panel,
    staff_continuity,
)
from evalkit.schemas import DECISIONS, ORDERS, PANDAS_DTYPES, VISITS

NaT = None


def canonical(rows: list[dict], schema) -> pd.DataFrame:
    """A frame with exactly the dtypes the loaders produce (evalkit.schemas)."""
    frame = pd.DataFrame(rows)
    for column in schema.columns:
        if column.name in frame.columns:
            dtype = PANDAS_DTYPES[column.kind]
            if dtype.startswith("datetime"):
                frame[column.name] = pd.to_datetime(frame[column.name]).astype(dtype)
            else:
                frame[column.name] = frame[column.name].astype(dtype)
    return frame


def decision(decision_id, person, unit, applied, decided, start, end, outcome, service="home care",
             hours=None, follow_up=None, followed_up=None, goal=None):
    return {"decision_id": decision_id, "person_id": person, "unit": unit, "applied_on": applied,
            "decided_on": decided, "start_on": start, "end_on": end, "follow_up_on": follow_up,
            "outcome": outcome, "service": service, "hours_per_month": hours, "law": "SoL 4:1",
            "case_officer_id": "h1", "followed_up_on": followed_up, "goal_recorded": goal}


# The worked example. Months 2024-01 … 2024-04; units North and South.
EXAMPLE = [
    # p1: Jan 10 – Feb 15, 10 h; processing Dec 20 → Jan 5 = 16 days; start 5 days.
    # Follow-up due Feb 1, done Jan 30 (on time).
    decision("d1", "p1", "North", "2023-12-20", "2024-01-05", "2024-01-10", "2024-02-15", "granted",
             hours=10.0, follow_up="2024-02-01", followed_up="2024-01-30", goal=True),
    # p2: partly granted, no start date → in force from decided_on Jan 20, open-ended; 20 h.
    # processing Jan 2 → Jan 20 = 18 days. Follow-up due Mar 15, never done.
    decision("d2", "p2", "North", "2024-01-02", "2024-01-20", NaT, NaT, "partly", hours=20.0,
             follow_up="2024-03-15", goal=False),
    # p3: denied, decided before applied (−5 days): impossible → excluded from processing, counted.
    decision("d3", "p3", "North", "2024-02-10", "2024-02-05", NaT, NaT, "denied", goal=True),
    # p1 re-assessed: 30 h from Feb 16, open-ended; processing 9 days; start 6 days.
    # Same person and service as d1 → replaces d1's hours from February.
    decision("d4", "p1", "North", "2024-02-01", "2024-02-10", "2024-02-16", NaT, "granted", hours=30.0,
             goal=True),
    # p4 (South): meals without hours, Mar 1 – Mar 20 (ends mid-month); started 10 days before the
    # decision (start_excluded); processing 10 days; follow-up due Mar 31, done Apr 2 (late).
    decision("d5", "p4", "South", "2024-03-01", "2024-03-11", "2024-03-01", "2024-03-20", "granted",
             service="meals", follow_up="2024-03-31", followed_up="2024-04-02"),
    # p5 (South): two services from Apr 1, 8 h + 4 h = 12 h; processing 10 days each; start 17 days.
    decision("d6", "p5", "South", "2024-03-05", "2024-03-15", "2024-04-01", NaT, "granted", hours=8.0,
             goal=True),
    decision("d7", "p5", "South", "2024-03-05", "2024-03-15", "2024-04-01", NaT, "granted",
             service="domestic help", hours=4.0, goal=False),
    # p6: denied in April, processing 2 days.
    decision("d8", "p6", "North", "2024-04-01", "2024-04-03", NaT, NaT, "denied"),
]

ORDER_ROWS = [
    {"order_id": "o1", "person_id": "p1", "unit": "North", "changed_on": "2024-01-15", "change_type": "time"},
    {"order_id": "o2", "person_id": "p2", "unit": "North", "changed_on": "2024-01-20", "change_type": "service"},
    {"order_id": "o3", "person_id": "p4", "unit": "South", "changed_on": "2024-03-03", "change_type": "time"},
    {"order_id": "o4", "person_id": "p1", "unit": "North", "changed_on": "2023-12-01", "change_type": "other"},
    {"order_id": "o5", "person_id": "p9", "unit": "West", "changed_on": "2024-02-02", "change_type": "other"},
]


@pytest.fixture
def decisions() -> pd.DataFrame:
    return canonical(EXAMPLE, DECISIONS)


@pytest.fixture
def orders() -> pd.DataFrame:
    return canonical(ORDER_ROWS, ORDERS)


@pytest.fixture
def panel(decisions, orders) -> pd.DataFrame:
    return monthly_panel(decisions, orders, start="2024-01", end="2024-04", units=["North", "South"])


def column(panel, unit, name):
    rows = panel[panel["unit"] == unit].sort_values("period")
    return rows[name].tolist()


def assert_series(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               equal_nan=True)


# --------------------------------------------------------------------------- #
# monthly_panel: shape
# --------------------------------------------------------------------------- #
def test_panel_has_one_row_per_unit_and_month_plus_total(panel):
    assert list(panel.columns) == ["unit", "period", *PANEL_COLUMNS]
    assert panel["unit"].tolist() == ["North"] * 4 + ["South"] * 4 + [TOTAL] * 4
    assert panel["period"].dt.strftime("%Y-%m").tolist()[:4] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert str(panel["period"].dtype) == "datetime64[ns]"
    assert str(panel["unit"].dtype) == "string"


def test_months_without_data_are_present_with_zero_counts(decisions):
    p = monthly_panel(decisions, start="2023-11", end="2024-04", units=["North", "South", "East"])
    east = p[p["unit"] == "East"]
    assert len(east) == 6  # Nov … Apr
    assert (east[["active_users", "new_decisions", "processing_n", "denials", "decisions"]] == 0).all().all()
    assert east["processing_days_median"].isna().all()
    assert east["hours_per_user"].isna().all()
    # South has nothing in Jan and Feb: rows are there with zeros
    assert_series(column(p, "South", "active_users"), [0, 0, 0, 0, 1, 1])
    assert_series(column(p, "South", "granted_hours"), [0, 0, 0, 0, 0, 12])


def test_default_range_spans_decision_and_order_dates(decisions, orders):
    without = monthly_panel(decisions)
    assert without["period"].min() == pd.Timestamp("2024-01-01")
    assert without["period"].max() == pd.Timestamp("2024-04-01")
    # o4 was changed in December 2023 → the panel starts there
    with_orders = monthly_panel(decisions, orders)
    assert with_orders["period"].min() == pd.Timestamp("2023-12-01")
    # West appears only in the orders table and gets its own rows by default
    assert set(with_orders["unit"]) == {"North", "South", "West", TOTAL}


# --------------------------------------------------------------------------- #
# monthly_panel: stock measures (in force)
# --------------------------------------------------------------------------- #
def test_active_users_across_month_boundaries(panel):
    # North: Jan p1 (from Jan 10) + p2 (from Jan 20) = 2; Feb p1 (d1 to Feb 15, d4 from Feb 16) + p2 = 2;
    # Mar, Apr: p1 (d4 open-ended) + p2 (open-ended) = 2. p3, p6 are denied → never active.
    assert column(panel, "North", "active_users") == [2, 2, 2, 2]
    # South: p4 only in March (ends Mar 20); p5 from April 1 (not in March).
    assert column(panel, "South", "active_users") == [0, 0, 1, 1]
    # Total: Jan 2, Feb 2, Mar p1 p2 p4 = 3, Apr p1 p2 p5 = 3
    assert column(panel, TOTAL, "active_users") == [2, 2, 3, 3]


def test_granted_hours_replace_same_service_and_add_different_services(panel):
    # North Jan: 10 + 20; Feb: d4 (30) replaces d1 (10) for p1 → 30 + 20 = 50 (not 60); Mar/Apr 50.
    assert_series(column(panel, "North", "granted_hours"), [30, 50, 50, 50])
    assert_series(column(panel, "North", "hours_per_user"), [15, 25, 25, 25])
    assert column(panel, "North", "hours_per_user_n") == [2, 2, 2, 2]
    # South Mar: p4 has meals without hours → 0 hours, no user with hours → NaN per user.
    # South Apr: p5 has 8 h + 4 h for two services → 12 h, one user.
    assert_series(column(panel, "South", "granted_hours"), [0, 0, 0, 12])
    assert_series(column(panel, "South", "hours_per_user"), [np.nan, np.nan, np.nan, 12])
    assert column(panel, "South", "hours_per_user_n") == [0, 0, 0, 1]
    # Total Apr: 50 + 12 = 62 over 3 users with hours
    assert_series(column(panel, TOTAL, "hours_per_user"), [15, 25, 25, 62 / 3])


def test_missing_start_exclude_drops_decisions_without_start(decisions):
    p = monthly_panel(decisions, start="2024-01", end="2024-04", units=["North"], total=False,
                      missing_start="exclude")
    # d2 (p2) has no start_on → never in force; North is p1 only
    assert column(p, "North", "active_users") == [1, 1, 1, 1]
    assert any("missing_start" in note for note in p.attrs["notes"])


def test_decision_ending_before_month_start_is_not_in_force():
    rows = [decision("a", "p1", "U", "2024-01-01", "2024-01-02", "2024-01-02", "2024-01-31", "granted", hours=5.0),
            decision("b", "p2", "U", "2024-01-01", "2024-01-02", "2024-02-01", "2024-02-01", "granted", hours=7.0)]
    p = monthly_panel(canonical(rows, DECISIONS), start="2024-01", end="2024-03", total=False)
    # a: Jan 2 – Jan 31 → January only; b: one day, Feb 1 → February only
    assert column(p, "U", "active_users") == [1, 1, 0]
    assert_series(column(p, "U", "granted_hours"), [5, 7, 0])


# --------------------------------------------------------------------------- #
# monthly_panel: flow measures (decided in the month)
# --------------------------------------------------------------------------- #
def test_new_decisions_and_denials(panel):
    # North: Jan d1 d2; Feb d3 (denied) d4; Apr d8 (denied). South: Mar d5 d6 d7.
    assert column(panel, "North", "new_decisions") == [2, 2, 0, 1]
    assert column(panel, "North", "decisions") == [2, 2, 0, 1]
    assert column(panel, "North", "denials") == [0, 1, 0, 1]
    assert_series(column(panel, "North", "denial_share"), [0, 0.5, np.nan, 1.0])
    assert column(panel, "South", "new_decisions") == [0, 0, 3, 0]
    assert column(panel, TOTAL, "new_decisions") == [2, 2, 3, 1]


def test_partly_granted_is_in_force_and_denied_is_not(panel):
    # p2 (partly) is active; p3 and p6 (denied) never are: North has 2 active users although
    # 4 persons had decisions there.
    assert max(column(panel, "North", "active_users")) == 2


def test_processing_time_excludes_and_counts_impossible_dates(panel):
    # Jan: 16 and 18 days → median 17, P90 = 16 + 0.9·(18 − 16) = 17.8
    # Feb: d3 is −5 days (excluded, counted); d4 9 days. Apr: d8 2 days.
    assert_series(column(panel, "North", "processing_days_median"), [17, 9, np.nan, 2])
    assert_series(column(panel, "North", "processing_days_p90"), [17.8, 9, np.nan, 2])
    assert column(panel, "North", "processing_n") == [2, 1, 0, 1]
    assert column(panel, "North", "processing_excluded") == [0, 1, 0, 0]
    assert column(panel, TOTAL, "processing_excluded") == [0, 1, 0, 0]


def test_start_days(panel):
    # North: Jan d1 5 days (d2 has no start); Feb d4 6 days.
    assert_series(column(panel, "North", "start_days_median"), [5, 6, np.nan, np.nan])
    assert column(panel, "North", "start_n") == [1, 1, 0, 0]
    # South Mar: d5 started before its decision (excluded, counted); d6, d7 17 days.
    assert_series(column(panel, "South", "start_days_median"), [np.nan, np.nan, 17, np.nan])
    assert column(panel, "South", "start_n") == [0, 0, 2, 0]
    assert column(panel, "South", "start_excluded") == [0, 0, 1, 0]


def test_median_and_p90_on_a_known_list():
    # R: quantile(1:10, c(0.5, 0.9)) → 5.5, 9.1 (type 7, R's default)
    rows = [decision(f"d{k}", f"p{k}", "U", "2024-05-01", f"2024-05-{1 + k:02d}", NaT, NaT, "granted")
            for k in range(1, 11)]
    p = monthly_panel(canonical(rows, DECISIONS), total=False)
    assert p["processing_days_median"].tolist() == [5.5]
    assert p["processing_days_p90"].iloc[0] == pytest.approx(9.1)
    assert p["processing_n"].tolist() == [10]


def test_follow_up_on_time_share(panel):
    # North: Feb d1 due, done on time; Mar d2 due, not done. South Mar: d5 due, done late.
    assert column(panel, "North", "followed_up_due") == [0, 1, 1, 0]
    assert column(panel, "North", "followed_up_n") == [0, 1, 0, 0]
    assert_series(column(panel, "North", "followed_up_share"), [np.nan, 1, 0, np.nan])
    assert column(panel, "South", "followed_up_n") == [0, 0, 0, 0]
    assert column(panel, "South", "followed_up_due") == [0, 0, 1, 0]


def test_follow_up_columns_are_nan_with_a_note_when_column_absent(decisions):
    p = monthly_panel(decisions.drop(columns=["followed_up_on"]), start="2024-01", end="2024-04")
    assert p[["followed_up_share", "followed_up_n", "followed_up_due"]].isna().all().all()
    assert any("followed_up_on" in note for note in p.attrs["notes"])


def test_goal_and_own_view_shares(panel):
    # goal among granted/partly with a known value: Jan d1 True, d2 False → 1/2; Feb d4 True
    # (d3 is denied) → 1/1. South Mar: d5 unknown, d6 True, d7 False → 1/2.
    assert_series(column(panel, "North", "goal_recorded_share"), [0.5, 1, np.nan, np.nan])
    assert column(panel, "North", "goal_recorded_n") == [2, 1, 0, 0]
    assert column(panel, "South", "goal_recorded") == [0, 0, 1, 0]
    assert column(panel, "South", "goal_recorded_n") == [0, 0, 2, 0]
    # own_view_recorded is absent → NaN with a note
    assert panel["own_view_recorded_share"].isna().all()
    assert any("own_view_recorded" in note for note in panel.attrs["notes"])


def test_order_changes_per_100_users(panel):
    # North Jan: o1 (time) + o2 (service) over 2 active users → 100 per 100
    assert column(panel, "North", "order_changes") == [2, 0, 0, 0]
    assert_series(column(panel, "North", "order_changes_per_100"), [100, 0, 0, 0])
    assert column(panel, "North", "order_changes_time") == [1, 0, 0, 0]
    assert column(panel, "North", "order_changes_service") == [1, 0, 0, 0]
    # South: o3 in March over 1 user; no active users in Jan/Feb → rate NaN there
    assert_series(column(panel, "South", "order_changes_per_100"), [np.nan, np.nan, 100, 0])
    # West is not among units= but counts in the total: Feb o5 over 2 users → 50.
    # o4 (December) is outside the panel.
    assert column(panel, TOTAL, "order_changes") == [2, 1, 1, 0]
    assert_series(column(panel, TOTAL, "order_changes_per_100"), [100, 50, 100 / 3, 0])


def test_order_columns_are_nan_without_orders(decisions):
    p = monthly_panel(decisions)
    assert p["order_changes"].isna().all() and p["order_changes_per_100"].isna().all()
    assert any("orders" in note for note in p.attrs["notes"])


def test_by_none_gives_total_only(decisions):
    p = monthly_panel(decisions, by=None, start="2024-01", end="2024-04")
    assert p["unit"].unique().tolist() == [TOTAL]
    assert p["active_users"].tolist() == [2, 2, 3, 3]


# --------------------------------------------------------------------------- #
# monthly_panel: bad input
# --------------------------------------------------------------------------- #
def test_missing_column_is_a_data_error(decisions):
    with pytest.raises(DataError, match="hours_per_month"):
        monthly_panel(decisions.drop(columns=["hours_per_month"]))


def test_unknown_outcome_is_a_data_error(decisions):
    bad = decisions.copy()
    bad.loc[2, "outcome"] = "bifall"
    with pytest.raises(DataError, match="outcome") as info:
        monthly_panel(bad)
    assert info.value.problems[0].row == 3


def test_unit_called_total_is_refused(decisions):
    bad = decisions.copy()
    bad["unit"] = bad["unit"].replace({"South": TOTAL})
    with pytest.raises(DataError, match="Total"):
        monthly_panel(bad)
    assert TOTAL in set(monthly_panel(bad, total=False)["unit"])


def test_text_dates_are_parsed_and_garbage_refused(decisions):
    text = decisions.copy()
    text["decided_on"] = text["decided_on"].dt.strftime("%Y-%m-%d")
    p = monthly_panel(text, start="2024-01", end="2024-04")
    assert column(p, TOTAL, "new_decisions") == [2, 2, 3, 1]
    text.loc[0, "decided_on"] = "soon"
    with pytest.raises(DataError, match="not dates"):
        monthly_panel(text)


def test_bad_arguments_are_analysis_errors(decisions):
    with pytest.raises(AnalysisError):
        monthly_panel(decisions, start="2024-05", end="2024-01")
    with pytest.raises(AnalysisError):
        monthly_panel(decisions, start="not a month")
    with pytest.raises(AnalysisError):
        monthly_panel(decisions, missing_start="applied_on")


# --------------------------------------------------------------------------- #
# monthly_panel: property test and an independent brute-force check
# --------------------------------------------------------------------------- #
def random_decisions(n: int, seed: int, n_persons: int = 400, units=("A", "B", "C")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    person = rng.integers(0, n_persons, n)
    unit_of_person = rng.choice(units, n_persons)  # each person in one unit
    decided = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")
    applied = decided - pd.to_timedelta(rng.integers(-5, 60, n), unit="D")  # some impossible
    start = decided + pd.to_timedelta(rng.integers(-3, 40, n), unit="D")
    length = rng.integers(1, 700, n)
    end = start + pd.to_timedelta(length, unit="D")
    rows = pd.DataFrame({
        "decision_id": [f"d{i}" for i in range(n)],
        "person_id": [f"p{k}" for k in person],
        "unit": unit_of_person[person],
        "applied_on": applied.where(rng.random(n) > 0.1),
        "decided_on": decided,
        "start_on": start.where(rng.random(n) > 0.2),
        "end_on": end.where(rng.random(n) > 0.3),
        "follow_up_on": (decided + pd.to_timedelta(180, unit="D")).where(rng.random(n) > 0.5),
        "followed_up_on": (decided + pd.to_timedelta(rng.integers(150, 220, n), unit="D")).where(rng.random(n) > 0.3),
        "outcome": rng.choice(["granted", "partly", "denied"], n, p=[0.7, 0.15, 0.15]),
        "service": rng.choice(["home care", "meals", "domestic"], n),
        "hours_per_month": np.where(rng.random(n) > 0.2, rng.integers(1, 80, n).astype(float), np.nan),
        "law": "SoL 4:1",
        "case_officer_id": "h1",
        "goal_recorded": np.where(rng.random(n) > 0.5, True, False),
    })
    rows = rows.to_dict("records")
    for r in rows:
        for k, v in r.items():
            if isinstance(v, float) and np.isnan(v):
                r[k] = None
    return canonical(rows, DECISIONS)


def random_orders(n: int, seed: int, units=("A", "B", "C")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return canonical([{"order_id": f"o{i}", "person_id": f"p{i}", "unit": str(rng.choice(units)),
                       "changed_on": pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 1000))),
                       "change_type": str(rng.choice(["time", "service", "other"]))} for i in range(n)], ORDERS)


COUNT_COLUMNS = ["active_users", "new_decisions", "hours_per_user_n", "order_changes", "processing_n",
                 "processing_excluded", "start_n", "start_excluded", "followed_up_n", "followed_up_due",
                 "denials", "decisions", "goal_recorded", "goal_recorded_n",
                 *(f"order_changes_{t}" for t in ("time", "service", "other"))]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unit_rows_sum_to_total_for_counts(seed):
    p = monthly_panel(random_decisions(2000, seed), random_orders(300, seed), start="2020-01", end="2023-06")
    units = p[p["unit"] != TOTAL].groupby("period")[COUNT_COLUMNS + ["granted_hours"]].sum()
    total = p[p["unit"] == TOTAL].set_index("period")[COUNT_COLUMNS + ["granted_hours"]]
    pd.testing.assert_frame_equal(units[COUNT_COLUMNS], total[COUNT_COLUMNS], check_dtype=False,
                                  check_names=False)
    np.testing.assert_allclose(units["granted_hours"], total["granted_hours"])
    # the frame is not trivial: every count column is non-zero somewhere
    assert (total[COUNT_COLUMNS].sum() > 0).all()


def brute_force_active(frame: pd.DataFrame, month: pd.Timestamp, unit: str) -> tuple[int, int]:
    """Active users and users with hours in one month by the literal definition, row by row."""
    month_end = month + pd.offsets.MonthEnd(0)
    active, with_hours = set(), set()
    for r in frame.itertuples():
        if r.unit != unit or r.outcome not in ("granted", "partly"):
            continue
        begin = r.start_on if not pd.isna(r.start_on) else r.decided_on
        if begin <= month_end and (pd.isna(r.end_on) or r.end_on >= month) and (pd.isna(r.end_on) or r.end_on >= begin):
            active.add(r.person_id)
            if not pd.isna(r.hours_per_month):
                with_hours.add(r.person_id)
    return len(active), len(with_hours)


def test_active_users_match_a_brute_force_count():
    frame = random_decisions(600, seed=7, n_persons=150)
    p = monthly_panel(frame, start="2020-01", end="2022-12")
    for month in pd.date_range("2020-01-01", "2022-12-01", freq="7MS"):
        for unit in ("A", "B"):
            row = p[(p["unit"] == unit) & (p["period"] == month)].iloc[0]
            active, with_hours = brute_force_active(frame, month, unit)
            assert row["active_users"] == active
            # users with hours can differ from the literal definition only when a newer decision
            # without hours replaces an older one with hours; the sets are then smaller or equal
            assert row["hours_per_user_n"] <= with_hours


def test_docstring_examples_run():
    result = doctest.testmod(outcomes, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- #
# staff continuity
# --------------------------------------------------------------------------- #
WINDOW = pd.Timestamp("2024-03-04")  # a Monday
DAYS = pd.date_range(WINDOW, periods=14, freq="D")


def visit(person, staff, when, kind="planned", unit="North"):
    return {"person_id": person, "staff_id": staff, "visit_start": when, "visit_end": None,
            "visit_kind": kind, "unit": unit}


def full_user(person, staff_cycle, unit="North", hours=(8, 18)):
    """Two (or more) planned visits every day of the window; staff taken in turn from staff_cycle."""
    rows, k = [], 0
    for day in DAYS:
        for h in hours:
            rows.append(visit(person, staff_cycle[k % len(staff_cycle)], day + pd.Timedelta(hours=h), unit=unit))
            k += 1
    return rows


def continuity_visits() -> tuple[pd.DataFrame, dict]:
    rows = []
    # u1, 80 years: 3 staff (a, b, c) over 28 visits; visits just outside the window by q and r don't count
    rows += full_user("u1", ["a", "b", "c"])
    rows += [visit("u1", "q", WINDOW - pd.Timedelta(hours=2)), visit("u1", "r", WINDOW + pd.Timedelta(days=14, hours=8))]
    # u2, 70 years: day 5 has a single visit → excluded (not every day)
    rows += [r for r in full_user("u2", ["a"]) if r["visit_start"] != DAYS[5] + pd.Timedelta(hours=18)]
    # u3, 75 years: visits at exactly 07:00 and 22:00 count (staff d); 06:59 (x) and 22:01 (y) do not
    rows += full_user("u3", ["d"], hours=(7, 22))
    rows += [visit("u3", "x", d + pd.Timedelta(hours=6, minutes=59)) for d in DAYS]
    rows += [visit("u3", "y", d + pd.Timedelta(hours=22, minutes=1)) for d in DAYS]
    # u4, 90 years: one planned visit and one alarm response a day → only 1 counted visit → excluded
    rows += [visit("u4", "e", d + pd.Timedelta(hours=9)) for d in DAYS]
    rows += [visit("u4", "z", d + pd.Timedelta(hours=12), kind="alarm") for d in DAYS]
    # u5, 68 years (South): 2 planned visits a day by e and f, plus alarm (z), meal (m), home-health (n)
    # visits that must not add staff → 2 staff
    rows += full_user("u5", ["e", "f"], unit="South")
    rows += [visit("u5", s, DAYS[3] + pd.Timedelta(hours=12), kind=k, unit="South")
             for s, k in (("z", "alarm"), ("m", "meal"), ("n", "health"))]
    # u6, 64 years: complete visits but too young
    rows += full_user("u6", ["a", "b"])
    # u7, birth year unknown
    rows += full_user("u7", ["a", "b"])
    # u8, 85 years: visits at 06:59 and 08:00 each day → one counted visit a day → excluded
    rows += full_user("u8", ["g"], hours=(6.99, 8))
    birth = {"u1": 1944, "u2": 1954, "u3": 1949, "u4": 1934, "u5": 1956, "u6": 1960, "u8": 1939}
    return canonical(rows, VISITS), birth


def test_continuity_applies_each_rule():
    visits, birth = continuity_visits()
    r = staff_continuity(visits, birth_year=birth, window_start=WINDOW)
    got = dict(zip(r.per_user["person_id"], r.per_user["n_staff"]))
    assert got == {"u1": 3, "u3": 1, "u5": 2}
    # u3: 2 counted visits a day × 14 days (06:59 and 22:01 are not counted)
    assert dict(zip(r.per_user["person_id"], r.per_user["n_visits"]))["u3"] == 28
    reasons = dict(zip(r.excluded["person_id"], r.excluded["reason"]))
    assert reasons == {"u2": "not_every_day", "u4": "not_every_day", "u6": "under_age",
                       "u7": "age_unknown", "u8": "not_every_day"}
    counts = r.exclusion_counts().set_index("reason")["n_users"].to_dict()
    assert counts == {"age_unknown": 1, "under_age": 1, "not_every_day": 3}
    assert list(r.exclusion_counts()["reason"]) == list(EXCLUSION_REASONS)


def test_continuity_summary_by_unit_and_total():
    visits, birth = continuity_visits()
    r = staff_continuity(visits, birth_year=birth, window_start=WINDOW)
    table = r.to_frame().set_index("unit")
    # North: u1 (3) and u3 (1) → mean 2, median 2; South: u5 (2); total 3, 1, 2 → mean 2, median 2
    assert table.loc["North", "n_users"] == 2 and table.loc["North", "mean"] == 2.0
    assert table.loc["South", "n_users"] == 1 and table.loc["South", "median"] == 2.0
    assert table.loc[TOTAL, "n_users"] == 3
    assert list(table.index) == ["North", "South", TOTAL]
    assert "3 users" in r.summary() and "<table" in r._repr_html_()


def test_continuity_mean_and_median_differ_on_a_skewed_set():
    # staff counts 1, 2, 3, 10 → mean 16/4 = 4, median (2 + 3)/2 = 2.5
    rows = []
    for person, n in (("a", 1), ("b", 2), ("c", 3), ("d", 10)):
        rows += full_user(person, [f"{person}{k}" for k in range(n)])
    r = staff_continuity(canonical(rows, VISITS), min_age=None, window_start=WINDOW)
    total = r.to_frame().set_index("unit").loc[TOTAL]
    assert total["mean"] == 4.0 and total["median"] == 2.5 and total["n_users"] == 4


def test_continuity_reads_birth_year_from_a_decisions_like_frame():
    visits, birth = continuity_visits()
    persons = pd.DataFrame({"person_id": [p for p in birth for _ in range(2)],
                            "birth_year": pd.array([birth[p] for p in birth for _ in range(2)], dtype="Int64")})
    r = staff_continuity(visits, persons, window_start=WINDOW)
    assert set(r.per_user["person_id"]) == {"u1", "u3", "u5"}


def test_conflicting_birth_years_warn_and_count_as_unknown():
    visits, birth = continuity_visits()
    persons = pd.DataFrame({"person_id": ["u1", "u1"], "birth_year": [1944, 1950]})
    with pytest.warns(DataWarning, match="birth_year"):
        r = staff_continuity(visits, persons, window_start=WINDOW)
    assert dict(zip(r.excluded["person_id"], r.excluded["reason"]))["u1"] == "age_unknown"


def test_continuity_without_visit_kind_counts_everything_and_says_so():
    visits, birth = continuity_visits()
    r = staff_continuity(visits.drop(columns=["visit_kind"]), birth_year=birth, window_start=WINDOW)
    # u4's alarm visits now count → 2 a day → included with staff e and z
    assert dict(zip(r.per_user["person_id"], r.per_user["n_staff"]))["u4"] == 2
    assert any("visit_kind" in note for note in r.notes)


def test_continuity_bad_arguments():
    visits, birth = continuity_visits()
    with pytest.raises(AnalysisError):
        staff_continuity(visits, birth_year=birth, window_start=WINDOW, day_start="7 o'clock")
    with pytest.raises(AnalysisError):
        staff_continuity(visits, birth_year=birth, window_start=WINDOW, days=0)
    with pytest.raises(DataError, match="staff_id"):
        staff_continuity(visits.drop(columns=["staff_id"]), birth_year=birth, window_start=WINDOW)


def test_continuity_panel_is_balanced_over_windows():
    visits, birth = continuity_visits()
    second = visits.copy()
    second["visit_start"] = second["visit_start"] + pd.Timedelta(days=28)
    second = second[second["unit"] == "North"]  # South has nobody in the second window
    both = pd.concat([visits, second], ignore_index=True)
    p = continuity_panel(both, None, [WINDOW, WINDOW + pd.Timedelta(days=28)], birth_year=birth)
    assert p["unit"].tolist() == ["North", "North", "South", "South", TOTAL, TOTAL]
    south = p[p["unit"] == "South"]
    assert south["continuity_users"].tolist() == [1, 0]
    assert np.isnan(south["continuity_mean"].iloc[1])
    north = p[p["unit"] == "North"]
    assert north["continuity_users"].tolist() == [2, 2] and north["continuity_mean"].tolist() == [2.0, 2.0]
    assert p["period"].dt.strftime("%Y-%m").tolist()[:2] == ["2024-03", "2024-04"]
    # excluded counts per unit: North has u2, u4, u6, u7, u8 in both windows (all North)
    assert north["excluded_not_every_day"].tolist() == [3, 3]
    assert p[p["unit"] == TOTAL]["excluded_under_age"].tolist() == [1, 1]


def test_person_in_two_units_counts_once_in_total():
    rows = [decision("a", "p1", "North", "2024-01-01", "2024-01-05", "2024-01-05", NaT, "granted", hours=5.0),
            decision("b", "p1", "South", "2024-01-01", "2024-01-05", "2024-01-05", NaT, "granted",
                     service="meals", hours=2.0)]
    p = monthly_panel(canonical(rows, DECISIONS))
    assert p.set_index("unit")["active_users"].to_dict() == {"North": 1, "South": 1, TOTAL: 1}
    # hours are not distinct-counted: 5 + 2 for the one person
    assert p.set_index("unit").loc[TOTAL, "granted_hours"] == 7.0


def test_decision_ending_before_it_starts_is_never_in_force_and_noted():
    rows = [decision("a", "p1", "U", "2024-01-01", "2024-01-05", "2024-02-10", "2024-01-20", "granted", hours=5.0),
            decision("b", "p2", "U", "2024-01-01", "2024-01-05", "2024-01-05", NaT, "granted", hours=3.0)]
    p = monthly_panel(canonical(rows, DECISIONS), end="2024-02", total=False)
    assert column(p, "U", "active_users") == [1, 1]
    assert_series(column(p, "U", "granted_hours"), [3, 3])
    assert any("end before they start" in note for note in p.attrs["notes"])


def test_units_order_is_kept():
    p = monthly_panel(canonical(EXAMPLE, DECISIONS), units=["South", "North"])
    assert p["unit"].unique().tolist() == ["South", "North", TOTAL]


def test_birth_year_series_given_by_the_user_is_not_modified():
    visits, birth = continuity_visits()
    series = pd.Series(birth)
    series.index = pd.Index(list(birth), dtype="string")
    before = series.copy()
    staff_continuity(visits, birth_year=series, window_start=WINDOW)
    pd.testing.assert_series_equal(series, before)


def test_continuity_result_repr_is_short():
    visits, birth = continuity_visits()
    r = staff_continuity(visits, birth_year=birth, window_start=WINDOW)
    assert repr(r) == "<ContinuityResult 2024-03-04–2024-03-17: 3 users, mean 2.00, median 2.00>"
