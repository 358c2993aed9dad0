"""Register scale: decisions files of 10⁵ … 3·10⁷ rows from CSV/Parquet to ITS and DiD results.

Generates synthetic decisions (Parquet with pyarrow, CSV with ``pyarrow.csv`` — never
``DataFrame.to_csv``, 53 s at 10⁷ rows) under ``benchmarks/_data/`` (git-ignored), then times each
step in its own child process and records wall time and that process's peak resident memory
(``VmHWM`` of the child, read at its end):

* ``pyarrow_read``   bare ``pyarrow.csv.read_csv`` of the CSV — the practical floor;
* ``pandas_read``    naive ``pd.read_csv`` (skipped above 10⁷ rows: it needs ~3 GB per 10⁷);
* ``stage_nogate``   the staging pass alone, without the identity-number candidates (what the
                     privacy gate adds is ``load_csv``'s stage + privacy minus this; run it after
                     ``load_csv``, or the first of the two reads the file from a cold cache);
* ``load_csv``       ``evalkit.io.register.load_decisions_large`` from CSV, its phases timed inside:
                     the staging pass, the wait for sha256 + line count (a thread beside DuckDB),
                     privacy gate, validation + view, Arrow, pandas (the last two only up to 10⁷
                     rows: a 3·10⁷-row table does not belong in pandas);
* ``panel_csv`` / ``panel_parquet``  ``register_panel`` (load, gate, validate, aggregate to unit-month),
                     its phases timed inside (``stage`` … ``validate`` as for ``load_csv``, then the
                     aggregation: ``intervals``, ``persons``, ``hours``, ``flow``);
* ``panel_parquet_staged`` / ``panel_parquet_in_place``  the same from Parquet with the choice between
                     a staged copy and reading the file in place forced (``panel_parquet`` lets
                     ``_duckdb_stage.PARQUET_IN_PLACE = "auto"`` choose by size);
* ``its``            ``ek.its`` on the municipality series of the panel;
* ``parquet_read``   bare ``pyarrow.parquet.read_table`` of the Parquet file — the floor of a re-run;
* ``duckdb_floor``   what DuckDB itself needs for the parts of ``register_panel`` no formulation avoids,
                     timed as phases in one child (same connection settings: 3 GB, all cores): ``parse``
                     (count the CSV's records, nothing kept), ``table`` (the CSV into a table with plain
                     casts: no cleaning, no checks, no identity-number scan), ``unique`` (distinct decision
                     ids, as validation counts them), ``lead`` (the replacement rule's window over that
                     table, over the services granted with hours as ``register_panel`` runs it), and
                     ``unique_parquet`` / ``lead_parquet`` (the same two straight from the Parquet file);
* ``did_cluster`` / ``did_wild``  ``ek.did`` on a person-month panel of the same row count
                     (absorbed two-way fixed effects; CR1 and wild cluster bootstrap, 999 reps), which
                     computes from the unit × month cells (counts and sums);
* ``did_wild_rows``  the same wild bootstrap with the cell path switched off (every row in the fit);
* ``twfe_fit``       the absorbed two-way fixed-effects fit alone (``TwoWayFE`` + CR1 cluster SE),
                     the like-for-like counterpart of ``did_dummies``;
* ``did_dummies``    statsmodels OLS with unit and month dummies (only at ≤ 10⁶ rows).

Each step also records the child's CPU time (all threads; ``cpu_s``) and the 1-minute load average
before and after it: on a shared machine wall time grows with the load, CPU time much less.
At the end the ratios of issue 18 are printed per size: loading (to the validated view) and the
privacy gate over the bare pyarrow CSV read, the Parquet re-run over the bare Parquet read.

Run: ``.venv/bin/python benchmarks/register_scale.py 1e5 1e6 1e7`` (add ``--keep`` to keep the data,
``--steps a,b`` to choose steps). Data go to ``$EVALKIT_BENCH_DATA`` (default
``/tmp/evalkit_register_scale``); results are printed as a table and written there as
``register_scale.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
# generated files are gigabytes: under /tmp, never in the repository (override with EVALKIT_BENCH_DATA)
DATA = Path(os.environ.get("EVALKIT_BENCH_DATA", Path(tempfile.gettempdir()) / "evalkit_register_scale"))
STEPS = ("pyarrow_read", "parquet_read", "duckdb_floor", "pandas_read", "stage_nogate", "load_csv", "panel_csv",
         "panel_parquet", "panel_parquet_staged", "panel_parquet_in_place", "its", "did_cluster", "did_wild",
         "did_wild_rows", "twfe_fit", "did_dummies")
UNITS = 60
START = np.datetime64("2014-01-01")
DAYS = 3650
#: Services the generator writes without granted hours (register_panel leaves them out of its window)
NO_HOURS = ("Trygghetslarm", "Matdistribution")


# --------------------------------------------------------------------------- data
def _ids(prefix: str, numbers: np.ndarray, width: int):
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, text, "")


def _decisions_table(n: int, seed: int = 1):
    """n decisions: ~25 per person, 60 units, 2014–2023, ~6 % denied, 20 % open-ended."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    persons = max(n // 25, 1)
    person = rng.integers(0, persons, n)
    unit = person % UNITS
    applied = START + rng.integers(0, DAYS, n).astype("timedelta64[D]")
    decided = applied + rng.integers(0, 60, n).astype("timedelta64[D]")
    start = decided + rng.integers(0, 21, n).astype("timedelta64[D]")
    end = start + rng.integers(30, 720, n).astype("timedelta64[D]")
    open_ended = rng.random(n) < 0.2
    outcome = np.array(["Bifall", "Delvis bifall", "Avslag"])[rng.choice(3, n, p=[0.84, 0.10, 0.06])]
    service = np.array(["Hemtjänst omsorg", "Hemtjänst service", "Trygghetslarm", "Matdistribution",
                        "Dagverksamhet"])[rng.integers(0, 5, n)]
    hours = np.round(rng.gamma(2.0, 12.0, n), 1)
    hours_mask = np.isin(service, NO_HOURS)
    return pa.table({
        "Beslutsid": _ids("B", np.arange(n), 9),
        "Brukare": _ids("P", person, 8),
        "Enhet": _ids("U", unit, 2),
        "Ansökningsdatum": pa.array(applied),
        "Beslutsdatum": pa.array(decided),
        "Verkställighetsdatum": pa.array(start),
        "Avslutsdatum": pa.array(end, mask=open_ended),
        "Beslut": pa.array(outcome),
        "Insats": pa.array(service),
        # Swedish exports write decimal commas
        "Beviljade timmar/mån": pc.replace_substring(pc.cast(pa.array(hours, mask=hours_mask), pa.string()), ".", ","),
        "Handläggare": _ids("HL", rng.integers(0, 400, n), 3),
    })


def generate(n: int) -> tuple[Path, Path]:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    DATA.mkdir(exist_ok=True)
    csv, parquet = DATA / f"beslut_{n}.csv", DATA / f"beslut_{n}.parquet"
    if csv.exists() and parquet.exists():
        return csv, parquet
    t = time.perf_counter()
    table = _decisions_table(n)
    pq.write_table(table, parquet)
    pcsv.write_csv(table, csv, pcsv.WriteOptions(delimiter=";", quoting_style="none"))
    print(f"generated {n:,} rows in {time.perf_counter() - t:.1f} s "
          f"(CSV {csv.stat().st_size / 2**20:,.0f} MiB, Parquet {parquet.stat().st_size / 2**20:,.0f} MiB)")
    return csv, parquet


def person_month_panel(n: int, seed: int = 2):
    """n person-month rows: 300 units, 120 months, a third of units treated from month 60, effect 0.5."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    months = 120
    persons = -(-n // months)
    unit = np.repeat(rng.integers(0, 300, persons), months)[:n]
    month = np.tile(np.arange(months), persons)[:n]
    person = np.repeat(np.arange(persons), months)[:n]
    treated = unit % 3 == 0
    y = (rng.normal(0, 1, persons)[person] + 0.01 * month + 0.5 * (treated & (month >= 60))
         + rng.normal(0, 1, n))
    return pd.DataFrame({"unit": unit, "month": month, "person": person, "treated": treated, "y": y})


# --------------------------------------------------------------------------- steps (run in a child)
def run_step(step: str, n: int) -> dict:
    warnings.simplefilter("ignore")
    csv, parquet = DATA / f"beslut_{n}.csv", DATA / f"beslut_{n}.parquet"
    out: dict = {}
    t, cpu = time.perf_counter(), time.process_time()
    if step == "pyarrow_read":
        import pyarrow.csv as pcsv
        pcsv.read_csv(csv, parse_options=pcsv.ParseOptions(delimiter=";"))
    elif step == "parquet_read":
        import pyarrow.parquet as pq
        pq.read_table(parquet)
    elif step == "pandas_read":
        import pandas as pd
        pd.read_csv(csv, sep=";")
    elif step == "duckdb_floor":
        out.update(_duckdb_floor(csv, parquet))
    elif step == "load_csv":
        out.update(_load_phases(csv, n))
    elif step == "stage_nogate":
        out.update(_load_phases(csv, n, gate=False))
    elif step.startswith("panel_"):
        from evalkit.io import _duckdb_stage
        from evalkit.io.register import register_panel
        if step in ("panel_parquet_staged", "panel_parquet_in_place"):   # the choice forced either way
            _duckdb_stage.PARQUET_IN_PLACE = step.endswith("in_place")
        timings: dict = {}
        panel = register_panel(csv if step == "panel_csv" else parquet, timings=timings)
        out.update({f"{k}_s": v for k, v in timings.items()})
        panel.attrs = {}
        panel.to_parquet(DATA / f"panel_{n}.parquet")
    elif step == "its":
        import pandas as pd
        import evalkit as ek
        panel = pd.read_parquet(DATA / f"panel_{n}.parquet")
        series = panel[panel["unit"] == "Total"].iloc[12:-1]
        t = time.perf_counter()
        res = ek.its(series, outcome="active_users", time="period", intervention=pd.Timestamp("2019-01-01"))
        out["level_change"] = float(res.effects.loc["level_change", "estimate"])
    elif step.startswith("did") or step == "twfe_fit":
        import evalkit as ek
        data = person_month_panel(n)
        t, cpu = time.perf_counter(), time.process_time()
        if step == "twfe_fit":
            from evalkit.analysis._bootstrap import fit_absorbed
            from evalkit.analysis._fe import TwoWayFE
            t, cpu = time.perf_counter(), time.process_time()
            fe = TwoWayFE.from_codes(data["unit"].to_numpy(), data["month"].to_numpy())
            post = (data["treated"] & (data["month"] >= 60)).to_numpy(dtype=float)
            fit = fit_absorbed(fe, fe.residualize(post)[:, None], fe.residualize(data["y"].to_numpy()),
                               data["unit"].to_numpy(), 300)
            out["estimate"] = float(np.ravel(fit.beta)[0])
        elif step == "did_dummies":
            import statsmodels.formula.api as smf
            data["post"] = (data["treated"] & (data["month"] >= 60)).astype(float)
            fit = smf.ols("y ~ post + C(unit) + C(month)", data).fit(
                cov_type="cluster", cov_kwds={"groups": data["unit"]})
            out["estimate"] = float(fit.params["post"])
        else:
            if step == "did_wild_rows":
                from evalkit.analysis import did as did_module
                did_module._cells = lambda panel: None
            res = ek.did(data, outcome="y", unit="unit", time="month", treated="treated", intervention=60,
                         inference="cluster" if step == "did_cluster" else "wild", reps=999, seed=1)
            out["estimate"] = float(res.effect["estimate"])
    else:
        raise SystemExit(f"unknown step {step}")
    out["seconds"] = time.perf_counter() - t
    out["cpu_s"] = time.process_time() - cpu
    out["peak_rss_mib"] = _peak_rss_mib()
    return out


def _peak_rss_mib() -> int:
    """This process's peak resident memory (VmHWM). Unlike rusage's ru_maxrss it starts afresh at
    exec, so the parent's generated data does not count."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _load_phases(csv: Path, n: int, gate: bool = True) -> dict:
    """load_decisions_large with its phases timed by ``_duckdb_stage.prepare`` itself.

    ``gate=False`` drops the identity-number candidates from the staging pass and skips the
    gate: the difference is what the privacy gate costs.
    """
    from evalkit.io import _duckdb_stage as st
    from evalkit.io.register import to_canonical_frame

    if not gate:
        st._candidate_sql = lambda *args: None
        st.privacy_gate = lambda staged: None
    phases: dict = {}
    con, _, names = st.prepare(csv, None, None, None, None, timings=phases)
    phases = {f"{k}_s": v for k, v in phases.items()}
    if n <= 10_000_000:
        t = time.perf_counter()
        table = con.sql("SELECT * FROM decisions").to_arrow_table()
        phases["to_arrow_s"] = time.perf_counter() - t
        t = time.perf_counter()
        to_canonical_frame(table, names)
        phases["to_pandas_s"] = time.perf_counter() - t
    return phases


def _duckdb_floor(csv: Path, parquet: Path) -> dict:
    """Phases of what DuckDB needs at least (see ``duckdb_floor`` in the module docstring).

    The window runs over the decisions ``register_panel`` sorts: granted, of a service granted with hours
    (``_hv_sql`` leaves out the others; here :data:`NO_HOURS`).
    """
    from evalkit.io import _duckdb_stage as st

    con = st.connect(None, None, None)
    timings: dict = {}
    clock = st.Clock(timings)
    reader = (f"read_csv({st.sql_str(csv)}, all_varchar = true, header = true, delim = ';', quote = '\"', "
              "escape = '\"', strict_mode = true, null_padding = false)")
    dates = ", ".join(f"TRY_CAST({st.ident(h)} AS DATE) AS {a}" for h, a in (
        ("Ansökningsdatum", "ap"), ("Beslutsdatum", "dec"), ("Verkställighetsdatum", "st"), ("Avslutsdatum", "en")))
    lead = ("SELECT count(nb) FROM (SELECT lead(b) OVER (PARTITION BY p, s ORDER BY bd, dec, id) AS nb FROM "
            "(SELECT p, s, id, dec, COALESCE(st, dec) AS bd, "
            "year(COALESCE(st, dec)) * 12 + month(COALESCE(st, dec)) AS b FROM {} "
            f"WHERE o <> 'Avslag' AND s NOT IN ({', '.join(st.sql_str(v) for v in NO_HOURS)})))")
    st.run(con, f"SELECT count(*) FROM {reader}")
    clock.lap("parse")
    st.run(con, f"""CREATE TABLE t AS SELECT "Beslutsid" AS id, "Brukare" AS p, "Enhet" AS g, "Insats" AS s,
        "Beslut" AS o, "Handläggare" AS hl, {dates},
        TRY_CAST(replace("Beviljade timmar/mån", ',', '.') AS DOUBLE) AS h FROM {reader}""")
    clock.lap("table")
    st.run(con, "SELECT count(DISTINCT hash(id)) FROM t")
    clock.lap("unique")
    st.run(con, lead.format("t"))
    clock.lap("lead")
    st.run(con, "DROP TABLE t")
    clock.lap("drop")
    renamed = (f"(SELECT \"Beslutsid\" AS id, \"Brukare\" AS p, \"Insats\" AS s, \"Beslut\" AS o, "
               f"\"Beslutsdatum\" AS dec, \"Verkställighetsdatum\" AS st FROM read_parquet({st.sql_str(parquet)}))")
    st.run(con, f"SELECT count(DISTINCT hash(id)) FROM {renamed}")
    clock.lap("unique_parquet")
    st.run(con, lead.format(renamed))
    clock.lap("lead_parquet")
    con.close()
    return {f"{k}_s": v for k, v in timings.items()}


# --------------------------------------------------------------------------- driver
def _child(step: str, n: int) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--child", step, str(n)], stdout=subprocess.PIPE,
                            text=True)
    wall, load = time.perf_counter(), os.getloadavg()[0]
    output = proc.stdout.read()
    proc.wait()
    wall = time.perf_counter() - wall
    result = json.loads(output.strip().splitlines()[-1]) if proc.returncode == 0 else {"error": proc.returncode}
    result.update(step=step, rows=n, wall_s=round(wall, 2), load_before=round(load, 2),
                  load_after=round(os.getloadavg()[0], 2))
    result.setdefault("peak_rss_mib", None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="*", default=["1e5", "1e6"])
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_step(args.child[0], int(args.child[1]))))
        return
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, python {platform.python_version()}")
    results = []
    for n in (int(float(x)) for x in args.rows):
        csv, parquet = generate(n)
        for step in args.steps.split(","):
            if ((step == "pandas_read" and n > 10_000_000) or (step == "did_dummies" and n > 1_000_000)
                    or (step == "did_wild_rows" and n > 10_000_000)):
                continue
            res = _child(step, n)
            results.append(res)
            extra = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in res.items()
                     if k not in ("step", "rows", "wall_s", "peak_rss_mib")}
            print(f"{n:>11,} {step:<14} wall {res['wall_s']:7.2f} s  peak {res['peak_rss_mib'] or 0:6,} MiB  {extra}",
                  flush=True)
        if not args.keep:
            for p in (csv, parquet, DATA / f"panel_{n}.parquet"):
                p.unlink(missing_ok=True)
        _ratios([r for r in results if r["rows"] == n])
    (DATA / "register_scale.json").write_text(json.dumps(results, indent=1))


def _ratios(results: list[dict]) -> None:
    """Issue 18's ratios for one size, from this run's steps (wall and CPU seconds)."""
    by = {r["step"]: r for r in results if "error" not in r}
    if "pyarrow_read" not in by or "load_csv" not in by:
        return
    floor, load = by["pyarrow_read"], by["load_csv"]
    for clock in ("seconds", "cpu_s"):
        tag = "_s" if clock == "seconds" else "_cpu_s"   # the phases' wall / CPU seconds
        validated = sum(load.get(k + tag, 0) for k in ("stage", "file_facts", "privacy", "validate"))
        line = [f"load/read {validated / max(floor[clock], 1e-9):.2f}x"]
        if "stage_nogate" in by:
            gate = load["stage" + tag] + load["privacy" + tag] - by["stage_nogate"]["stage" + tag]
            line.append(f"privacy gate {100 * gate / floor[clock]:+.0f} % of the read "
                        f"(its own phase {100 * load['privacy' + tag] / floor[clock]:.0f} %)")
        if "panel_parquet" in by and "parquet_read" in by:
            line.append(f"parquet re-run/read {by['panel_parquet'][clock] / max(by['parquet_read'][clock], 1e-9):.1f}x")
        if "panel_csv" in by:
            total = by["panel_csv"][clock] + by.get("its", {}).get(clock, 0) + by.get("did_wild", {}).get(clock, 0)
            line.append(f"CSV -> panel + ITS + DiD (wild) {total:.1f} s")
        if "duckdb_floor" in by:
            low = by["duckdb_floor"]
            least = sum(low.get(k + tag, 0) for k in ("table", "unique", "lead"))
            least += by.get("its", {}).get(clock, 0) + by.get("did_wild", {}).get(clock, 0)
            rerun = sum(low.get(k + tag, 0) for k in ("unique_parquet", "lead_parquet"))
            line.append(f"floor of CSV -> panel + ITS + DiD (table + unique ids + lead + ITS + DiD) {least:.1f} s, "
                        f"of the Parquet re-run (unique ids + lead from Parquet) {rerun:.1f} s")
        print(f"{results[0]['rows']:>11,} ratios ({'wall' if clock == 'seconds' else 'CPU'}): "
              + "; ".join(x for x in line if x), flush=True)


if __name__ == "__main__":
    main()
