"""Speed of the privacy gate: cells scanned per second by ek.privacy.scan_identifiers.

Scenario "export": a table of ``--rows`` rows and 10 columns that looks like a
needs-assessment export (pseudonymised ids, free-text notes with phone numbers,
dates and 13-digit case numbers, amounts, order numbers, dates as text,
categories) — no identity numbers, so every cell is searched to the end.

Worst cases, one column of ``10 x --rows`` cells where every value is distinct and
is a candidate: 10-digit strings, 10-digit integers, and free text with a
10-digit number inside each note (about 1 in 100 of the random candidates is a
valid number, so these also measure building the hit list). Run:

    .venv/bin/python benchmarks/privacy_scan.py --rows 100000
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from evalkit.privacy import scan_identifiers


def build_table(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    pseudonyms = ["p" + "".join(rng.choice(letters, 10)) for _ in range(min(rows, 20_000))]
    notes = [
        f"Samtal med brukaren {i % 97} den 2019-03-{1 + i % 28:02d}, tel 070-{rng.integers(100, 999)} "
        f"{rng.integers(10, 99)} {rng.integers(10, 99)}, beslut {rng.integers(10**12, 10**13)}"
        for i in range(rows)
    ]
    return pd.DataFrame(
        {
            "person_id": pd.Series(rng.choice(pseudonyms, rows), dtype="str"),
            "decision_id": rng.integers(10**12, 10**13, rows),  # 13-digit order numbers
            "unit": pd.Series(rng.choice(["Norr", "Söder", "Väster", "Öster"], rows), dtype="str"),
            "note": pd.Series(notes, dtype="str"),
            "hours_per_month": rng.gamma(2.0, 15.0, rows).round(1),
            "amount": rng.integers(100, 100_000, rows).astype(float),
            "decided_on": pd.Series(pd.date_range("2019-01-01", periods=rows, freq="h").strftime("%Y-%m-%d"), dtype="str"),
            "postcode": pd.Series([f"{rng.integers(100, 999)} {rng.integers(10, 99)}" for _ in range(rows)], dtype="str"),
            "service": pd.Series(rng.choice(["hemtjänst", "trygghetslarm", "matdistribution"], rows), dtype="category"),
            "phone": pd.Series([f"070{rng.integers(1000000, 9999999)}"[:3] + "-" + str(rng.integers(1000000, 9999999)) for _ in range(rows)], dtype="str"),
        },
        index=pd.RangeIndex(2, rows + 2),
    )


def worst_cases(cells: int, seed: int = 2) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ten = rng.integers(10**9, 10**10, cells)
    return {
        "distinct 10-digit strings": pd.DataFrame({"x": pd.Series(ten.astype(str), dtype="str")}),
        "distinct 10-digit integers": pd.DataFrame({"x": ten}),
        "distinct notes with a 10-digit number": pd.DataFrame(
            {"x": pd.Series([f"anteckning {i}: nr {v} ringde" for i, v in enumerate(ten)], dtype="str")}
        ),
    }


def time_scan(name: str, table: pd.DataFrame, repeat: int) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        hits = scan_identifiers(table, max_hits=10**9)
        times.append(time.perf_counter() - start)
    best = min(times)
    print(f"{name}: {table.size:,} cells ({len(table):,} rows x {table.shape[1]} columns), "
          f"{len(hits):,} hits, best of {repeat}: {best:.2f} s = {table.size / best:,.0f} cells/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    time_scan("export", build_table(args.rows), args.repeat)
    for name, table in worst_cases(10 * args.rows).items():
        time_scan(name, table, args.repeat)


if __name__ == "__main__":
    main()
