"""Speed of evalkit.outcomes.monthly_panel and staff_continuity at municipal scale.

Run: .venv/bin/python benchmarks/bench_outcomes.py
Scenario: 50,000 decisions over 10 years (120 months), 20 units, 15,000 persons,
20,000 order changes; 30 % of decisions open-ended (the worst case for a per-month
expansion, which this implementation avoids). Prints the best of 3 wall-clock runs.
Continuity: 2,000 users × 14 days × ~3.5 visits a day (~97,500 visits in the window).

Recorded 2026-11-22 on the 2-core shared build machine (other jobs running):
    monthly_panel 50,000 decisions + 20,000 order changes × 120 months: 0.36 s (best of 3)
    staff_continuity 2,000 users × 14 days (97,515 visits):              0.33 s (best of 3)
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from evalkit.outcomes import monthly_panel, staff_continuity


def decisions(n: int = 50_000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_persons = 15_000
    person = rng.integers(0, n_persons, n)
    unit_of = rng.choice([f"unit{k:02d}" for k in range(20)], n_persons)
    decided = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), unit="D")
    start = decided + pd.to_timedelta(rng.integers(0, 40, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(30, 1500, n), unit="D")
    frame = pd.DataFrame({
        "decision_id": pd.array([f"d{i}" for i in range(n)], dtype="string"),
        "person_id": pd.array([f"p{k}" for k in person], dtype="string"),
        "unit": pd.array(unit_of[person], dtype="string"),
        "applied_on": (decided - pd.to_timedelta(rng.integers(-2, 60, n), unit="D")).astype("datetime64[ns]"),
        "decided_on": decided.astype("datetime64[ns]"),
        "start_on": pd.Series(start).where(rng.random(n) > 0.1).astype("datetime64[ns]"),
        "end_on": pd.Series(end).where(rng.random(n) > 0.3).astype("datetime64[ns]"),
        "follow_up_on": (decided + pd.Timedelta(days=180)).astype("datetime64[ns]"),
        "followed_up_on": (decided + pd.to_timedelta(rng.integers(150, 230, n), unit="D")).astype("datetime64[ns]"),
        "outcome": pd.array(rng.choice(["granted", "partly", "denied"], n, p=[0.7, 0.15, 0.15]), dtype="string"),
        "service": pd.array(rng.choice(["home care", "meals", "domestic", "alarm"], n), dtype="string"),
        "hours_per_month": pd.array(np.where(rng.random(n) > 0.2, rng.integers(1, 120, n), np.nan), dtype="Float64"),
        "law": pd.array(["SoL 4:1"] * n, dtype="string"),
        "case_officer_id": pd.array(["h1"] * n, dtype="string"),
        "goal_recorded": pd.array(rng.random(n) > 0.4, dtype="boolean"),
    })
    return frame


def orders(n: int = 20_000, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "order_id": pd.array([f"o{i}" for i in range(n)], dtype="string"),
        "person_id": pd.array([f"p{i}" for i in range(n)], dtype="string"),
        "unit": pd.array(rng.choice([f"unit{k:02d}" for k in range(20)], n), dtype="string"),
        "changed_on": (pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), unit="D")).astype("datetime64[ns]"),
        "change_type": pd.array(rng.choice(["time", "service", "other"], n), dtype="string"),
    })


def visits(n_users: int = 2_000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-03-04", periods=14, freq="D")
    per_day = rng.integers(1, 7, (n_users, 14))
    person = np.repeat(np.repeat(np.arange(n_users), 14), per_day.ravel())
    day = np.repeat(np.tile(np.arange(14), n_users), per_day.ravel())
    hours = rng.uniform(6, 23, len(person))
    return pd.DataFrame({
        "person_id": pd.array([f"p{k}" for k in person], dtype="string"),
        "staff_id": pd.array([f"s{k}" for k in rng.integers(0, 300, len(person))], dtype="string"),
        "visit_start": (days[day] + pd.to_timedelta(hours, unit="h")).astype("datetime64[ns]"),
        "visit_kind": pd.array(rng.choice(["planned", "alarm", "meal"], len(person), p=[0.8, 0.1, 0.1]), dtype="string"),
        "unit": pd.array([f"unit{k % 20:02d}" for k in person], dtype="string"),
    }), {f"p{k}": int(rng.integers(1925, 1965)) for k in range(n_users)}


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


if __name__ == "__main__":
    d, o = decisions(), orders()
    panel = monthly_panel(d, o, start="2015-01", end="2024-12")
    print(f"panel rows: {len(panel)} (21 groups × {panel['period'].nunique()} months)")
    print(f"monthly_panel 50,000 decisions + 20,000 order changes × 120 months: "
          f"{best_of(lambda: monthly_panel(d, o, start='2015-01', end='2024-12')):.2f} s (best of 3)")
    v, birth = visits()
    print(f"visits in the window: {len(v)}")
    print(f"staff_continuity 2,000 users × 14 days: "
          f"{best_of(lambda: staff_continuity(v, birth_year=birth, window_start='2024-03-04')):.2f} s (best of 3)")
