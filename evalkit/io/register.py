"""Register-scale decisions: out-of-core loading and unit × month aggregation in DuckDB.

National registers (e.g. Socialstyrelsen's elderly-care register, about
5·10⁷ person-month rows) do not fit the in-memory loader. This module runs the
same steps as :func:`evalkit.io.decisions.load_decisions` — privacy gate,
column mapping by the same aliases, type conversion, validation, row
accounting — inside an embedded DuckDB database that reads CSV and Parquet
lazily and spills to disk, and aggregates to the unit × month panel of
:func:`evalkit.outcomes.monthly_panel` in SQL.

* :func:`load_decisions_large` — the canonical decisions table (pandas, via Arrow).
* :func:`register_panel` — the monthly panel straight from the file(s), without
  materialising the decisions in pandas.
* :func:`choose_engine` — which path ``engine="auto"`` takes for a path.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import DataError
from evalkit.io._canonical import warn_flags
from evalkit.io._duckdb_stage import (
    DEFAULT_MEMORY_LIMIT,
    PARQUET_SUFFIXES,
    TEXT_SUFFIXES,
    Clock,
    engine_errors,
    prepare,
    run,
    sql_str,
)
from evalkit.provenance import LoadRecord, attach
from evalkit.schemas import DECISIONS, MISSING_START_RULES, PANDAS_DTYPES, PANEL_TOTAL, month_number

__all__ = [
    "AUTO_THRESHOLD_BYTES",
    "DEFAULT_MEMORY_LIMIT",
    "REGISTER_PANEL_COLUMNS",
    "choose_engine",
    "load_decisions_large",
    "panel_sql",
    "register_panel",
    "write_canonical",
]

#: Inputs at least this large (bytes, summed over a directory) go to DuckDB under ``engine="auto"``.
AUTO_THRESHOLD_BYTES = 256 * 2**20

#: Panel columns :func:`register_panel` computes (a subset of ``evalkit.outcomes.PANEL_COLUMNS``).
REGISTER_PANEL_COLUMNS = (
    "active_users", "granted_hours", "hours_per_user", "hours_per_user_n", "new_decisions",
    "processing_days_median", "processing_days_p90", "processing_n", "processing_excluded",
    "start_days_median", "start_n", "start_excluded", "denial_share", "denials", "decisions",
)


def choose_engine(path, engine: str = "auto") -> str:
    """Return ``"pandas"`` or ``"duckdb"`` for ``path``.

    ``"auto"`` picks DuckDB for directories of Parquet partitions and for
    files of at least :data:`AUTO_THRESHOLD_BYTES`; the in-memory path
    otherwise (it reads every format and sniffs harder).
    """
    if engine not in ("auto", "pandas", "duckdb"):
        raise DataError(f"engine must be 'auto', 'pandas' or 'duckdb', got {engine!r}")
    if engine != "auto":
        return engine
    path = Path(path)
    if path.is_dir():
        return "duckdb"
    if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES + PARQUET_SUFFIXES:
        return "duckdb" if path.stat().st_size >= AUTO_THRESHOLD_BYTES else "pandas"
    return "pandas"


# --------------------------------------------------------------------------- #
# public functions
# --------------------------------------------------------------------------- #
def load_decisions_large(path, mapping=None, *, memory_limit: str | None = None,
                         temp_directory: str | Path | None = None, threads: int | None = None) -> pd.DataFrame:
    """Load a large decisions file or Parquet directory out of core into the canonical table.

    Parameters
    ----------
    path : str or Path
        A UTF-8 or cp1252 .csv/.txt/.tsv file, a .parquet file, or a directory
        of .parquet partitions (read recursively, columns united by name).
    mapping : str, Path, dict or ColumnMapping, optional
        As for :func:`evalkit.load_decisions`.
    memory_limit : str, optional
        DuckDB's working-memory cap, e.g. ``"2GB"`` (default
        :data:`DEFAULT_MEMORY_LIMIT` or ``$EVALKIT_DUCKDB_MEMORY``). Beyond it
        DuckDB spills to ``temp_directory``.
    temp_directory : str or Path, optional
        Where DuckDB spills (default ``<tmp>/evalkit_duckdb``).
    threads : int, optional
        DuckDB threads (default: all cores).

    Returns
    -------
    pandas.DataFrame
        The same canonical table (columns, dtypes, file-row index,
        :class:`~evalkit.provenance.LoadRecord`) as the in-memory loader.

    Raises
    ------
    IdentifierError
        Identity numbers anywhere (scanned in record batches of
        :data:`SCAN_BATCH_ROWS` rows; the first batch with hits is reported).
    DataError
        Unmappable columns, bad cells (counted per check, the first 20 of each
        listed with file row), duplicate decision ids, a full spill disk.

    Notes
    -----
    Conversions run in SQL: dates by ``try_strptime`` over the forms the
    in-memory reader accepts (ISO, ``20190305``, day-first ``5.3.2019``);
    numbers with decimal comma or point, space-grouped thousands and
    ``hh:mm`` durations; categories by mapping each *distinct* spelling with
    the same aliases. The result leaves DuckDB through Arrow (DuckDB's
    ``.df()`` on wide string tables is several times slower and larger).
    Row numbers of CSV files are the header line plus the record's position,
    exact unless quoted fields span lines. Not yet supported here: the ICF
    ``qualifier``/``icf_code`` columns, Excel files, the sniffer's footnote
    and preamble handling beyond the first 64 KiB.
    """
    con, record, names = prepare(path, mapping, memory_limit, temp_directory, threads)
    try:
        _refuse_if_too_large(record, len(names))
        with engine_errors(str(path)):
            # the view keeps file order (insertion order is preserved); no sort needed
            table = con.sql("SELECT * FROM decisions").to_arrow_table()
    finally:
        con.close()
    if hasattr(table, "read_all"):
        table = table.read_all()
    frame = to_canonical_frame(table, names)
    warn_flags(record, record.source.path, stacklevel=3)
    return attach(frame, record)


def write_canonical(path, out, mapping=None, *, memory_limit: str | None = None,
                    temp_directory: str | Path | None = None, threads: int | None = None) -> LoadRecord:
    """Gate, validate and write the canonical decisions table to one Parquet file, out of core.

    The table :func:`panel_sql` reads (canonical columns; dates as DATE), streamed by DuckDB's
    ``COPY … TO … (FORMAT parquet)`` without building it in pandas: the hand-over to another engine
    (README, "Beyond one machine"). The identity-number gate and validation run first, as for
    :func:`load_decisions_large`; nothing is written if they refuse the input.

    Returns
    -------
    LoadRecord
        Row accounting of the input (what was read, kept and excluded).
    """
    out = Path(out)
    if out.suffix.lower() not in PARQUET_SUFFIXES:
        raise DataError(f"the canonical table is written as Parquet: give a .parquet path, not {out.name}")
    con, record, names = prepare(path, mapping, memory_limit, temp_directory, threads)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(f'"{n}"' for n in names)
        with engine_errors(str(path)):
            run(con, f"COPY (SELECT {columns} FROM decisions) TO {sql_str(out)} (FORMAT parquet)")
    finally:
        con.close()
    warn_flags(record, record.source.path, stacklevel=3)
    return record


#: Peak bytes per cell when the canonical table is handed to pandas (Arrow result plus the frame;
#: measured 5.2 GiB for 10⁷ rows × 13 columns).
BYTES_PER_CELL = 40


def _available_memory() -> int | None:
    """MemAvailable from /proc/meminfo (bytes), or None where there is no such file."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _refuse_if_too_large(record: LoadRecord, columns: int) -> None:
    """A table that would not fit in memory is refused before it is built, not after the machine swaps."""
    need, available = record.rows_kept * columns * BYTES_PER_CELL, _available_memory()
    if available is not None and need > 0.8 * available:
        raise DataError(
            f"{Path(record.source.path).name}: {record.rows_kept:,} decisions would need about "
            f"{need / 2**30:.1f} GiB as a pandas table and {available / 2**30:.1f} GiB is available. "
            "Aggregate in the engine instead: ek.register_panel(path) returns the unit × month panel "
            "without building the table in memory.")


def to_canonical_frame(table, names: list[str]) -> pd.DataFrame:
    """Arrow table from the ``decisions`` view -> the in-memory loader's dtypes, column by column.

    Each column is converted with a types mapper (strings stay Arrow-backed,
    numbers become nullable extension arrays) rather than through NumPy
    objects, which took 25 s and 8 GB at 10⁷ rows.
    """
    import pyarrow as pa

    mapper = {pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype(), pa.float64(): pd.Float64Dtype(),
              pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get
    index = pd.Index(table.column("__row").to_numpy().astype(np.int64), name="row")
    out = {}
    for name in names:
        column = table.column(name)
        kind = DECISIONS.column(name).kind
        if kind in ("date", "datetime"):
            values = column.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False)
            out[name] = pd.array(values, dtype="datetime64[ns]")
        elif pa.types.is_null(column.type):
            out[name] = pd.array([None] * len(column), dtype=PANDAS_DTYPES[kind])
        else:
            series = pa.table({name: column}).to_pandas(types_mapper=mapper)[name]
            out[name] = series.astype(PANDAS_DTYPES[kind]).array
    return pd.DataFrame(out, index=index)


# --------------------------------------------------------------------------- #
# unit × month panel in SQL
# --------------------------------------------------------------------------- #
def _month(column: str) -> str:
    return f"(year({column}) * 12 + month({column}) - 1)"


def _facts(con) -> tuple:
    """One scan of ``decisions``: the first and last decision month, the units (sorted), and the services
    of granted decisions with hours (which :func:`_hv_sql` needs to leave the others out of its window)."""
    lo, hi, units, with_hours = run(con, f"""SELECT min(m), max(m), list(DISTINCT unit) FILTER (WHERE unit IS NOT NULL),
       list(DISTINCT service) FILTER (WHERE hours_per_month IS NOT NULL AND outcome IN ('granted', 'partly'))
FROM (SELECT {_month('decided_on')} AS m, unit, service, hours_per_month, outcome FROM decisions) AS d""")[0]
    return lo, hi, sorted(units or ()), sorted(with_hours or ())


def _month_bounds(lo, hi, start, end) -> tuple[int, int]:
    """The panel's first and last month (DuckDB's month numbers) from ``start``/``end`` or the data's."""
    first, last = month_number(start, "start"), month_number(end, "end")
    if (first is None and lo is None) or (last is None and hi is None):
        raise DataError("no dated decisions: the panel's months cannot be inferred; give start= and end=")
    # outcomes counts months from 1970-01; DuckDB's year*12+month from year 0
    offset = 1970 * 12
    first = int(lo) - offset if first is None else first
    last = int(hi) - offset if last is None else last
    if last < first:
        raise DataError(f"end is before start ({start!r}, {end!r})")
    return first + offset, last + offset


def _iv_sql(missing_start: str, last: int) -> str:
    """View ``iv``: in-force month intervals [b, e] of granted/partly decisions (outcomes' rules)."""
    begin = "COALESCE(start_on, decided_on)" if missing_start == "decided_on" else "start_on"
    return f"""CREATE TEMP VIEW iv AS
SELECT *, {_month('bd')} AS b, COALESCE({_month('end_on')}, {last}) AS e FROM (
    SELECT unit AS g, person_id AS p, service AS s, decision_id, decided_on, end_on,
           hours_per_month AS h, {begin} AS bd
    FROM decisions WHERE outcome IN ('granted', 'partly')) AS d
WHERE bd IS NOT NULL AND NOT (end_on IS NOT NULL AND end_on < bd)"""


def _hv_sql(services: list[str] | None) -> str:
    """Table ``hv``: intervals with hours, each ended where a later decision for the same person and
    service begins (the replacement rule).

    The window sorts each person and service's decisions; a service never granted with hours (safety
    alarms, meals) has no row in ``hv``, so its decisions are left out of the sort — exactly, since a
    partition holds one service. ``services`` lists those granted with hours (a superset is as good);
    None writes the same condition as a subquery, for engines that run the SQL without evalkit
    (:func:`panel_sql`). A literal list halves the window at 10⁷ rows where 40 % of decisions are
    alarms and meals (7.5–8.3 → 4.3–4.7 s); the subquery in DuckDB saves nothing.
    """
    if services is None:
        keep = "s IN (SELECT DISTINCT s FROM iv WHERE h IS NOT NULL)"
    else:
        keep = f"s IN ({', '.join(sql_str(v) for v in services)})" if services else "false"
    return f"""CREATE TEMP TABLE hv AS
SELECT g, p, b, CASE WHEN nb IS NULL THEN e ELSE least(e, nb - 1) END AS e, h FROM (
    SELECT g, p, b, e, h, lead(b) OVER (PARTITION BY p, s ORDER BY bd, decided_on, decision_id) AS nb
    FROM iv WHERE {keep}) AS w
WHERE h IS NOT NULL"""


def _create_intervals(con, missing_start: str, last: int, services: list[str]) -> None:
    """Temp view ``iv`` and table ``hv`` of in-force month intervals (:func:`_iv_sql`, :func:`_hv_sql`)."""
    run(con, _iv_sql(missing_start, last))
    run(con, _hv_sql(services))


#: Months per word of a person's month mask: 62 keep ``1 << 62`` and every mask inside a signed
#: BIGINT, so the same SQL runs on engines without unsigned integers (Spark SQL, Trino).
_WORD = 62


def _pm_sql(source: str, first: int, last: int) -> str:
    """Table ``pm``: per unit and person, the months in force as bit masks (words of 62 months)."""
    words = -(-(last - first + 1) // _WORD)
    masks = []
    for j in range(words):
        base = first + j * _WORD
        lo, hi = f"greatest(b, {base})", f"least(e, {base + _WORD - 1})"
        masks.append(f"CASE WHEN {lo} <= {hi} THEN ((CAST(1 AS BIGINT) << ({hi} - {base} + 1)) - 1) "
                     f"- ((CAST(1 AS BIGINT) << ({lo} - {base})) - 1) ELSE CAST(0 AS BIGINT) END AS w{j}")
    return (f"CREATE OR REPLACE TEMP TABLE pm AS SELECT g, p, {_ors(first, last)} FROM (\n"
            f"    SELECT g, p, {', '.join(masks)}\n    FROM {source} WHERE b <= {last} AND e >= {first}) AS x\n"
            "GROUP BY g, p")


def _ors(first: int, last: int) -> str:
    return ", ".join(f"bit_or(w{j}) AS w{j}" for j in range(-(-(last - first + 1) // _WORD)))


def _bits_sql(first: int, last: int, total: bool) -> str:
    """Distinct persons per month (columns ``m0, m1, …``): per unit from ``pm``, or for the total after
    OR-ing each person's masks over units (a person who moved counts once)."""
    bits = ", ".join(f"sum(CAST((w{k // _WORD} >> {k % _WORD}) & 1 AS BIGINT)) AS m{k}"
                     for k in range(last - first + 1))
    if not total:
        return f"SELECT g, {bits} FROM pm GROUP BY g"
    return f"SELECT {sql_str(PANEL_TOTAL)} AS g, {bits} FROM (SELECT p, {_ors(first, last)} FROM pm GROUP BY p) AS t"


def _person_months(con, source: str, first: int, last: int, total: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Distinct persons in force per unit and month, and for the total, from ``source``'s intervals.

    Each person's months in force are a bit mask over the panel's months (words of 62 bits),
    OR-ed over the person's intervals: a month counts once however many decisions cover it,
    overlapping or not, and nothing has to be sorted. Counting the set bits per unit gives the
    distinct persons per unit and month; OR-ing a person's masks over units first gives the
    total, where a person who moved counts once. Returns long frames ``g, m, n``.
    """
    run(con, _pm_sql(source, first, last))
    units = _long(con.sql(_bits_sql(first, last, False)).df(), first)
    whole = pd.DataFrame(columns=["g", "m", "n"])
    if total:
        whole = _long(con.sql(_bits_sql(first, last, True)).df(), first)
    return units, whole


def _long(wide: pd.DataFrame, first: int) -> pd.DataFrame:
    """``g, m0, m1, …`` (one column per month) → ``g, m, n``."""
    long = wide.melt(id_vars="g", var_name="m", value_name="n")
    long["m"] = long["m"].str[1:].astype(np.int64) + first
    return long


def _by_unit_and_total(con, query: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a ``GROUP BY GROUPING SETS ((g, m), (m))`` query; split unit rows from the total rows."""
    frame = con.sql(query).df()
    total = frame["tot"].to_numpy() == 1
    units, whole = frame[~total].drop(columns="tot"), frame[total].drop(columns="tot")
    return units, whole.assign(g=PANEL_TOTAL)


def _hours_sql(first: int, last: int) -> str:
    """Granted hours as +h (first month) and −h (month after the last) events per unit and month."""
    return f"""WITH x AS (SELECT g, greatest(b, {first}) AS b, least(e, {last}) AS e, h FROM hv
           WHERE greatest(b, {first}) <= least(e, {last}))
SELECT g, m, sum(d) AS d, grouping(g) AS tot
FROM (SELECT g, b AS m, h AS d FROM x UNION ALL SELECT g, e + 1 AS m, -h AS d FROM x) AS ev
GROUP BY GROUPING SETS ((g, m), (m))"""


def _stock(con, missing_start: str, first: int, last: int, total: bool,
           services: list[str]) -> tuple[dict, dict]:
    """Per unit and for the total: distinct persons in force (``active_users``), distinct persons
    with hours (``hours_per_user_n``), as counts per month, and granted hours as +h/−h events.
    ``services``: those granted with hours (:func:`_hv_sql`)."""
    _create_intervals(con, missing_start, last, services)
    units, totals = {}, {}
    for name, source in (("active_users", "iv"), ("hours_per_user_n", "hv")):
        units[name], totals[name] = _person_months(con, source, first, last, total)
    sums = _hours_sql(first, last)
    units["granted_hours"], totals["granted_hours"] = _by_unit_and_total(con, sums)
    return units, totals


def _fl_sql(first: int, last: int) -> str:
    """Table ``fl``: one row per dated decision in the panel's months, with its processing and start days."""
    return f"""CREATE TEMP TABLE fl AS
SELECT unit AS g, {_month('decided_on')} AS m, outcome IN ('granted', 'partly') AS granted, outcome,
       CAST(decided_on - applied_on AS BIGINT) AS pd, CAST(start_on - decided_on AS BIGINT) AS sd
FROM decisions WHERE decided_on IS NOT NULL AND {_month('decided_on')} BETWEEN {first} AND {last}"""


_FLOW_COUNTS_SQL = """SELECT g, m, count(*) AS decisions, count(*) FILTER (WHERE outcome = 'denied') AS denials,
       count(*) FILTER (WHERE pd >= 0) AS processing_n, count(*) FILTER (WHERE pd < 0) AS processing_excluded,
       count(*) FILTER (WHERE granted AND sd >= 0) AS start_n,
       count(*) FILTER (WHERE granted AND sd < 0) AS start_excluded, grouping(g) AS tot
FROM fl GROUP BY GROUPING SETS ((g, m), (m))"""

#: The two day-count histograms of :func:`_flow`: (column, condition, quantile columns).
_HISTOGRAMS = (("pd", "pd >= 0", {0.5: "processing_days_median", 0.9: "processing_days_p90"}),
               ("sd", "granted AND sd >= 0", {0.5: "start_days_median"}))


def _histogram_sql(column: str, condition: str) -> str:
    return (f"SELECT g, m, {column} AS v, count(*) AS n, grouping(g) AS tot FROM fl WHERE {condition}\n"
            f"GROUP BY GROUPING SETS ((g, m, {column}), (m, {column}))")


def _flow(con, first: int, last: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decisions, denials and processing/start-time quantiles per decision month, per unit and total.

    Day counts are whole numbers, so instead of DuckDB's holistic
    ``quantile_cont`` (7 s at 10⁷ rows) the database returns how many
    decisions took each number of days per unit and month (a cheap hash
    aggregate), and the quantiles are read off those counts
    (:func:`_quantiles_from_counts`, the same linear interpolation).
    """
    run(con, _fl_sql(first, last))
    counts = _FLOW_COUNTS_SQL
    units, total = _by_unit_and_total(con, counts)
    for column, condition, names in _HISTOGRAMS:
        hist_units, hist_total = _by_unit_and_total(con, _histogram_sql(column, condition))
        units = units.merge(_quantiles_from_counts(hist_units, names), on=["g", "m"], how="left")
        total = total.merge(_quantiles_from_counts(hist_total, names), on=["g", "m"], how="left")
    return units, total


def _quantiles_from_counts(hist: pd.DataFrame, names: dict[float, str]) -> pd.DataFrame:
    """Quantiles per (g, m) of values given as (value, count) rows.

    Notes
    -----
    The type-7 quantile of n sorted values x₍₁₎…x₍ₙ₎ is
    x₍ⱼ₎ + (h − ⌊h⌋)(x₍ⱼ₊₁₎ − x₍ⱼ₎) with h = (n − 1)q and j = ⌊h⌋ + 1
    (R's default, ``numpy.quantile``, DuckDB's ``quantile_cont``). With
    values in counts, x₍ₖ₎ is the first value whose cumulative count reaches k.
    """
    hist = hist.dropna(subset=["g"])
    if hist.empty:
        return pd.DataFrame(columns=["g", "m", *names.values()])
    hist = hist.sort_values(["g", "m", "v"], kind="stable").reset_index(drop=True)
    g, m = hist["g"].to_numpy(dtype=object), hist["m"].to_numpy()
    starts = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (m[1:] != m[:-1])])
    values = hist["v"].to_numpy(dtype=float)
    counts = hist["n"].to_numpy(dtype=np.int64)
    cum = np.cumsum(counts)
    before = np.r_[0, cum[starts[1:] - 1]]          # values in earlier groups
    total = np.add.reduceat(counts, starts)
    out = hist.loc[starts, ["g", "m"]].reset_index(drop=True)
    for q, name in names.items():
        h = (total - 1) * q
        lo, frac = np.floor(h).astype(np.int64), h - np.floor(h)
        x_lo = values[np.searchsorted(cum, before + lo + 1)]
        x_hi = values[np.searchsorted(cum, before + np.minimum(lo + 1, total - 1) + 1)]
        out[name] = x_lo + frac * (x_hi - x_lo)
    return out


#: Constructs in :func:`panel_sql` that are not ANSI SQL, with the spelling on other engines
#: (printed in the header of ``evalkit register --print-sql``; README "Beyond one machine").
NON_PORTABLE = (
    ("CAST(1 AS BIGINT) << n, w >> k, & (64-bit unsigned shifts and masks)",
     "Spark SQL: shiftleft/shiftright/& on BIGINT; Trino: bitwise_left_shift/bitwise_right_shift/bitwise_and"),
    ("bit_or(w) (aggregate)", "Spark SQL: bit_or; Trino: bitwise_or_agg; PostgreSQL: bit_or"),
    ("decided_on - applied_on (days between two DATEs)",
     "Spark SQL: datediff(decided_on, applied_on); Trino: date_diff('day', applied_on, decided_on)"),
    ("greatest/least", "Spark SQL and Trino: the same; SQL Server 2022: GREATEST/LEAST"),
    ("CREATE TEMP VIEW / CREATE [OR REPLACE] TEMP TABLE",
     "Spark SQL: CREATE OR REPLACE TEMP VIEW (cache it); Trino: CREATE TABLE in a scratch schema"),
)


def panel_sql(start, end, *, missing_start: str = "decided_on", total: bool = True) -> str:
    """The aggregation SQL :func:`register_panel` runs, from table ``decisions`` to the panel's measures.

    ``decisions`` is the validated canonical table (columns of :data:`evalkit.schemas.DECISIONS`:
    ``decision_id, person_id, unit, service, outcome`` as text with the canonical outcome values,
    ``applied_on, decided_on, start_on, end_on`` as DATE, ``hours_per_month`` as DOUBLE). Reading,
    converting, the identity-number scan and validation are not in it: they stay in evalkit. The
    statements are the ones executed (the same builder functions), for the months ``start``–``end``
    (months are counted as ``year * 12 + month - 1``), except that ``hv``'s window finds the services
    granted with hours by a subquery where :func:`register_panel` writes the list it found. Constructs
    that are not ANSI SQL are listed in :data:`NON_PORTABLE`. The wide selects return one column per
    month (``m0`` = ``start``); the quantiles are read off the histograms as in
    :func:`_quantiles_from_counts` (type 7).
    """
    if missing_start not in MISSING_START_RULES:
        raise DataError(f"missing_start must be one of {MISSING_START_RULES}, got {missing_start!r}")
    first, last = month_number(start, "start"), month_number(end, "end")
    if first is None or last is None:
        raise DataError("the SQL depends on the panel's months: give start and end (e.g. 2014-01 and 2023-12)")
    if last < first:
        raise DataError(f"end is before start ({start!r}, {end!r})")
    first, last = first + 1970 * 12, last + 1970 * 12
    steps = [
        ("in-force intervals of granted decisions", _iv_sql(missing_start, last)),
        ("intervals with hours, ended by the next decision for the same person and service "
         "(register_panel writes the services granted with hours as a list)", _hv_sql(None)),
    ]
    for measure, source in (("active_users", "iv"), ("hours_per_user_n", "hv")):
        steps.append((f"{measure}: month masks per unit and person", _pm_sql(source, first, last)))
        steps.append((f"{measure} per unit and month (m0 = first month)", _bits_sql(first, last, False)))
        if total:
            steps.append((f"{measure} for the total (a person counts once)", _bits_sql(first, last, True)))
    steps += [
        ("granted_hours: +h/-h events; cumulate over months per unit (tot = 1: the total)", _hours_sql(first, last)),
        ("dated decisions of the panel's months", _fl_sql(first, last)),
        ("decisions, denials, processing and start counts per unit and month", _FLOW_COUNTS_SQL),
    ]
    steps += [(f"histogram of {c} (days) for the quantiles {sorted(n.values())}", _histogram_sql(c, cond))
              for c, cond, n in _HISTOGRAMS]
    header = ["-- evalkit register panel: aggregation SQL from the validated table `decisions`",
              f"-- months {start} .. {end} (month numbers {first} .. {last}); missing_start = {missing_start}",
              "-- not ANSI SQL (DuckDB spelling -> other engines):"]
    header += [f"--   {what}: {where}" for what, where in NON_PORTABLE]
    body = [f"-- {i}. {label}\n{sql};" for i, (label, sql) in enumerate(steps, 1)]
    return "\n".join(header) + "\n\n" + "\n\n".join(body) + "\n"


def _grid(groups: list[str], first: int, last: int) -> pd.MultiIndex:
    return pd.MultiIndex.from_product([groups, range(first, last + 1)], names=["g", "m"])


def _on_grid(frame: pd.DataFrame, column: str, groups: list[str], first: int, last: int) -> np.ndarray:
    frame = frame[frame["m"] <= last].dropna(subset=["g"])
    values = frame.set_index(["g", "m"])[column].astype(float).reindex(_grid(groups, first, last), fill_value=0.0)
    return values.to_numpy()


def _cumulative(events: pd.DataFrame, groups: list[str], first: int, last: int) -> np.ndarray:
    steps = _on_grid(events, "d", groups, first, last)
    return steps.reshape(len(groups), -1).cumsum(axis=1).reshape(-1)


def _panel_part(stock: dict, flow: pd.DataFrame, groups: list[str], first: int, last: int) -> dict:
    flow = flow.dropna(subset=["g"]).set_index(["g", "m"]).reindex(_grid(groups, first, last))
    cols = {"granted_hours": _cumulative(stock["granted_hours"], groups, first, last)}
    for name in ("active_users", "hours_per_user_n"):
        cols[name] = _on_grid(stock[name], "n", groups, first, last).astype(np.int64)
    counts = ("decisions", "denials", "processing_n", "processing_excluded", "start_n", "start_excluded")
    for name in flow.columns:
        values = flow[name].to_numpy(dtype=float, na_value=np.nan)
        cols[name] = np.nan_to_num(values).astype(np.int64) if name in counts else values
    cols["new_decisions"] = cols["decisions"]
    with np.errstate(invalid="ignore", divide="ignore"):
        cols["hours_per_user"] = np.where(cols["hours_per_user_n"] > 0,
                                          cols["granted_hours"] / np.maximum(cols["hours_per_user_n"], 1), np.nan)
        cols["denial_share"] = np.where(cols["decisions"] > 0,
                                        cols["denials"] / np.maximum(cols["decisions"], 1), np.nan)
    return cols


def register_panel(path, mapping=None, *, start=None, end=None, total: bool = True,
                   missing_start: str = "decided_on", memory_limit: str | None = None,
                   temp_directory: str | Path | None = None, threads: int | None = None,
                   timings: dict | None = None) -> pd.DataFrame:
    """Unit × month panel of a register-scale decisions file, aggregated in DuckDB.

    Loads ``path`` as :func:`load_decisions_large` does (privacy gate,
    validation, row accounting) but never builds the decisions table in
    pandas: the measures are computed in SQL and only the panel (units ×
    months rows) leaves the database.

    Parameters
    ----------
    path : str or Path
        CSV, Parquet file or directory of Parquet partitions.
    mapping : optional
        As for :func:`evalkit.load_decisions`.
    start, end : date-like or str, optional
        First and last month (default: the months of the first and last ``decided_on``).
    total : bool, default True
        Add the municipality rows (``unit`` = ``"Total"``).
    missing_start : {"decided_on", "exclude"}
        As in :func:`evalkit.outcomes.monthly_panel`.
    memory_limit, temp_directory, threads
        As for :func:`load_decisions_large`.
    timings : dict, optional
        Receives the seconds of each phase (loading as in ``_duckdb_stage.prepare``, then ``stock``
        and ``flow``), for ``benchmarks/register_scale.py``.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit``, ``period`` and :data:`REGISTER_PANEL_COLUMNS`, with
        the values, dtypes and row order of :func:`evalkit.outcomes.monthly_panel`
        for those columns; the :class:`~evalkit.provenance.LoadRecord` in
        ``attrs["evalkit_provenance"]``.

    Notes
    -----
    The definitions are :func:`evalkit.outcomes.monthly_panel`'s. ``active_users``
    and ``hours_per_user_n`` count distinct persons without expanding decisions
    into person-months: each person's months in force are a bit mask over the
    panel's months, OR-ed over the person's decisions (per unit, then over units
    for the total), and the set bits are counted per month.
    ``granted_hours`` cumulates +h/−h events at the intervals' ends, after the
    replacement rule (``lead`` of the begin month over person and service,
    ordered by begin date, ``decided_on`` and ``decision_id``). Medians and
    90th percentiles are read off per-day counts with linear interpolation
    (R type 7, as ``numpy.quantile``). Follow-up, documentation and order-change columns are
    not computed here; use ``monthly_panel`` on :func:`load_decisions_large`.
    """
    if missing_start not in MISSING_START_RULES:
        raise DataError(f"missing_start must be one of {MISSING_START_RULES}, got {missing_start!r}")
    con, record, _ = prepare(path, mapping, memory_limit, temp_directory, threads, timings)
    clock = Clock(timings)
    try:
        with engine_errors(str(path)):
            lo, hi, groups, with_hours = _facts(con)
            first, last = _month_bounds(lo, hi, start, end)
            if PANEL_TOTAL in groups and total:
                raise DataError(f"a unit is called '{PANEL_TOTAL}', the label of the municipality rows; "
                                "pass total=False")
            units_stock, total_stock = _stock(con, missing_start, first, last, total, with_hours)
            clock.lap("stock")
            units_flow, total_flow = _flow(con, first, last)
            clock.lap("flow")
    finally:
        con.close()
    parts = [(groups, _panel_part(units_stock, units_flow, groups, first, last))]
    if total:
        parts.append(([PANEL_TOTAL], _panel_part(total_stock, total_flow, [PANEL_TOTAL], first, last)))
    frames = [_assemble(groups_, cols, first, last) for groups_, cols in parts]
    panel = pd.concat(frames, ignore_index=True)
    warn_flags(record, record.source.path, stacklevel=3)
    return attach(panel, record)


def _assemble(groups: list[str], cols: dict, first: int, last: int) -> pd.DataFrame:
    n = last - first + 1
    months = (np.arange(first, last + 1) - 1970 * 12).astype("datetime64[M]").astype("datetime64[ns]")
    frame = pd.DataFrame({"unit": pd.array(np.repeat(np.array(groups, dtype=object), n), dtype="string"),
                          "period": np.tile(months, len(groups))})
    for name in REGISTER_PANEL_COLUMNS:
        frame[name] = cols[name]
    return frame
