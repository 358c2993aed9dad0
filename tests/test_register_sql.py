"""The aggregation SQL of the register path, as `evalkit register --print-sql` prints it.

* run statement by statement in a fresh DuckDB over the canonical Parquet that ``evalkit register
  --canonical`` writes (no evalkit staging, no evalkit views), it gives monthly_panel's counts: the
  printed SQL and that file are all another engine needs;
* it uses only ANSI functions and the constructs it names as not portable (``NON_PORTABLE``);
* the command prints exactly ``panel_sql`` and writes the same panel as ``ek.register_panel``.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

duckdb = pytest.importorskip("duckdb")

from evalkit.cli import main  # noqa: E402
from evalkit.io.decisions import load_decisions  # noqa: E402
from evalkit.io.register import NON_PORTABLE, panel_sql, register_panel  # noqa: E402
from evalkit.outcomes import monthly_panel  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun" / "beslut_procapita.csv"
START, END = "2014-01", "2020-12"   # 84 months: two mask words


@pytest.fixture(scope="module")
def decisions():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_decisions(SAMPLE)


def _wide_to_long(frame: pd.DataFrame, months: pd.DatetimeIndex) -> pd.Series:
    long = frame.melt(id_vars="g", var_name="m", value_name="n")
    long["period"] = months[long["m"].str[1:].astype(int)]
    return long.set_index(["g", "period"])["n"].astype(np.int64).sort_index()


def test_printed_sql_over_the_canonical_parquet_gives_monthly_panels_counts(tmp_path, decisions, capsys):
    canonical = tmp_path / "beslut.parquet"
    assert main(["register", str(SAMPLE), "--canonical", str(canonical)]) == 0
    assert f"{len(decisions):,} decisions" in capsys.readouterr().out
    con = duckdb.connect()   # a fresh engine: only the Parquet file and the printed SQL
    con.execute(f"CREATE VIEW decisions AS SELECT * FROM read_parquet('{canonical}')")
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE decisions)").fetchall())
    assert types["decided_on"] == "DATE" and types["hours_per_month"] == "DOUBLE"
    results = {}
    for statement in (s.strip() for s in panel_sql(START, END).split(";\n\n")):
        label = re.search(r"^-- \d+\. (.*)$", statement, re.M)
        if label is None:   # the header
            continue
        code = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).rstrip(";")
        if code.startswith("CREATE"):
            con.execute(code)
        else:
            results[label.group(1)] = con.execute(code).df()
    want = monthly_panel(decisions, start=START, end=END)
    want = want[want["unit"] != "Total"].set_index(["unit", "period"]).sort_index()
    months = pd.date_range(START, periods=84, freq="MS")
    got_users = _wide_to_long(results["active_users per unit and month (m0 = first month)"], months)
    np.testing.assert_array_equal(got_users.to_numpy(), want["active_users"].to_numpy())
    got_hours_n = _wide_to_long(results["hours_per_user_n per unit and month (m0 = first month)"], months)
    np.testing.assert_array_equal(got_hours_n.to_numpy(), want["hours_per_user_n"].to_numpy())
    flow = results["decisions, denials, processing and start counts per unit and month"]
    flow = flow[flow["tot"] == 0]
    flow = flow.assign(period=(flow["m"] - 1970 * 12).astype("datetime64[M]").astype("datetime64[ns]"))
    flow = flow.set_index(["g", "period"])[["decisions", "denials"]].reindex(want.index, fill_value=0)
    np.testing.assert_array_equal(flow["decisions"].to_numpy(), want["decisions"].to_numpy())
    np.testing.assert_array_equal(flow["denials"].to_numpy(), want["denials"].to_numpy())
    assert want["active_users"].sum() > 1000 and want["denials"].sum() > 0


# ANSI SQL functions and keywords followed by "(" in the statements; anything else must be named in NON_PORTABLE
_ANSI = {"count", "sum", "min", "max", "coalesce", "cast", "year", "month", "lead", "over", "grouping",
         "sets", "filter", "in", "as", "from", "select", "and", "or", "not", "where", "by", "all", "when", "then"}


def test_sql_uses_ansi_functions_and_names_the_rest():
    sql = "\n".join(line for line in panel_sql(START, END).splitlines() if not line.startswith("--"))
    called = {name.lower() for name in re.findall(r"\b([A-Za-z_]+)\s*\(", sql)}
    named = " ".join(what for what, _ in NON_PORTABLE).lower()
    unlisted = sorted(f for f in called - _ANSI if f not in named)
    assert unlisted == [], f"functions neither ANSI nor listed in NON_PORTABLE: {unlisted}"
    assert {"bit_or", "greatest", "least"} <= called   # the listed ones are really there
    assert "::" not in sql and "UBIGINT" not in sql      # DuckDB-only cast syntax and type


def test_print_sql_command_prints_panel_sql(capsys):
    assert main(["register", "--print-sql", "--start", START, "--end", END]) == 0
    assert capsys.readouterr().out == panel_sql(START, END)
    assert main(["register", "--print-sql", "--start", START]) == 2
    assert "--end" in capsys.readouterr().err


def test_register_command_writes_the_register_panel(tmp_path, capsys):
    out = tmp_path / "panel.parquet"
    assert main(["register", str(SAMPLE), "--output", str(out)]) == 0
    assert "decisions ->" in capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = register_panel(SAMPLE)
    want.attrs = {}
    pd.testing.assert_frame_equal(pd.read_parquet(out), want)
