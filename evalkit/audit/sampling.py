"""Reproducible random samples of decisions for a case-file audit.

The sample is a stratified (or simple) random sample without replacement.
Inside each stratum the decisions are sorted by id and given uniform random
keys from a seeded PCG64 generator; the sample is the ``n_h`` smallest keys.
So the same frame, seed and sizes give the same sample whatever the row
order, and :func:`extend` continues the same random order, never repeating a
decision.

Everything needed to draw the sample again goes into a JSON manifest: seed,
sha256 of the frame (and of each column, to say what changed), frame and
sample size per stratum, the sampled ids, their design weights and the ids
excluded beforehand.
"""
from __future__ import annotations

import hashlib
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import AnalysisError, DataError, Problem

__all__ = ["AuditSample", "draw", "redraw", "extend", "from_manifest", "sample_size", "allocate",
           "frame_fingerprint", "MANIFEST_VERSION"]

MANIFEST_VERSION = 1
ALLOCATIONS = ("proportional", "equal", "neyman")
_ALL = "(all)"


# ----------------------------------------------------------------------------- sizes
def sample_size(population: int, margin: float = 0.10, confidence: float = 0.95, p: float = 0.5) -> int:
    """Sample size for estimating a share within ``± margin``, with finite-population correction.

    Parameters
    ----------
    population : int
        Number of decisions in the frame (or stratum), N.
    margin : float
        Half-width of the confidence interval wanted, e.g. 0.10 for ±10 points.
    confidence : float
        Confidence level.
    p : float
        Anticipated share; 0.5 is the conservative choice.

    Returns
    -------
    int

    Notes
    -----
    Cochran (1977, eqs. 4.2 and 4.3): :math:`n_0 = z^2 p(1-p)/e^2` and
    :math:`n = \\lceil n_0 / (1 + (n_0 - 1)/N) \\rceil`, never more than N.

    Examples
    --------
    >>> sample_size(10**9, margin=0.05)
    385
    >>> sample_size(200, margin=0.10)
    66
    """
    if not (isinstance(population, (int, np.integer)) and population >= 0):
        raise AnalysisError(f"population must be a whole number >= 0, got {population!r}")
    if not 0 < margin < 1:
        raise AnalysisError(f"margin must lie between 0 and 1 (e.g. 0.10 for ±10 points), got {margin!r}")
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence must lie between 0 and 1, got {confidence!r}")
    if not 0 < p < 1:
        raise AnalysisError(f"anticipated share p must lie strictly between 0 and 1, got {p!r}")
    if population == 0:
        return 0
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    n0 = z**2 * p * (1 - p) / margin**2
    return int(min(population, math.ceil(n0 / (1 + (n0 - 1) / population) - 1e-9)))


def allocate(population: Mapping[str, int], n: int, method: str = "proportional",
             p: float | Mapping[str, float] = 0.5) -> dict[str, int]:
    """Split a total sample size over strata.

    Parameters
    ----------
    population : mapping
        Stratum → number of decisions N_h.
    n : int
        Total sample size.
    method : {"proportional", "equal", "neyman"}
        ``n_h ∝ N_h``, ``n_h = n/H`` or ``n_h ∝ N_h S_h`` with
        :math:`S_h = \\sqrt{p_h(1-p_h)}` from the anticipated shares ``p``.
    p : float or mapping
        Anticipated share per stratum (Neyman only).

    Returns
    -------
    dict
        Stratum → n_h; sums to ``min(n, N)``; no stratum gets more than
        N_h or, where N_h > 0, fewer than one.

    Notes
    -----
    Rounding by largest remainders (Hamilton), then capping at N_h with the
    excess handed on to the other strata in the same proportions (Cochran
    1977, §5.5 and §5.9 for Neyman allocation).

    Examples
    --------
    >>> allocate({"a": 100, "b": 300}, 40)
    {'a': 10, 'b': 30}
    >>> allocate({"a": 100, "b": 300}, 40, "equal")
    {'a': 20, 'b': 20}
    """
    if method not in ALLOCATIONS:
        raise AnalysisError(f"unknown allocation {method!r}; choose one of {', '.join(ALLOCATIONS)}")
    keys = list(population)
    big_n = np.array([int(population[k]) for k in keys], dtype=float)
    total = int(min(n, big_n.sum()))
    if method == "proportional":
        share = big_n
    elif method == "equal":
        share = (big_n > 0).astype(float)
    else:
        ps = np.array([p[k] if isinstance(p, Mapping) else p for k in keys], dtype=float)
        if np.any((ps <= 0) | (ps >= 1)):
            raise AnalysisError("Neyman allocation needs anticipated shares strictly between 0 and 1")
        share = big_n * np.sqrt(ps * (1 - ps))
    n_h = np.zeros(len(keys), dtype=int)
    remaining = total
    while remaining > 0:
        room = big_n - n_h
        weight = np.where(room > 0, share, 0.0)
        if weight.sum() == 0:
            weight = (room > 0).astype(float)
        ideal = weight / weight.sum() * remaining
        add = np.minimum(np.floor(ideal).astype(int), room.astype(int))
        left = remaining - add.sum()
        for i in np.argsort(-(ideal - np.floor(ideal)), kind="stable"):
            if left == 0:
                break
            if add[i] < room[i]:
                add[i] += 1
                left -= 1
        n_h += add
        remaining = total - n_h.sum()
    # Every non-empty stratum gets at least one case (else it cannot be estimated at all),
    # taken from the stratum with the most cases.
    if total >= (big_n > 0).sum():
        for i in np.flatnonzero((n_h == 0) & (big_n > 0)):
            donor = int(np.argmax(n_h))
            n_h[donor] -= 1
            n_h[i] += 1
    return {k: int(v) for k, v in zip(keys, n_h)}


# ----------------------------------------------------------------------------- fingerprint
def frame_fingerprint(frame: pd.DataFrame, id_column: str) -> dict:
    """sha256 of a frame (rows sorted by id, columns by name) and of each column.

    Row order does not matter; any changed value, added or removed row or
    column does. Values are hashed as their text representation.
    """
    ordered = frame.sort_values(id_column, key=lambda s: s.astype(str), kind="stable")
    columns = {}
    for col in sorted(map(str, frame.columns)):
        text = ordered[col].astype("string").fillna("\x00").tolist()
        columns[col] = hashlib.sha256("\x1f".join(text).encode("utf-8")).hexdigest()
    ids = sorted(ordered[id_column].astype(str).tolist())
    whole = hashlib.sha256(json.dumps(columns, sort_keys=True).encode()).hexdigest()
    return {
        "rows": int(len(frame)),
        "sha256": whole,
        "ids_sha256": hashlib.sha256("\x1f".join(ids).encode("utf-8")).hexdigest(),
        "columns": columns,
    }


# ----------------------------------------------------------------------------- the sample
@dataclass
class AuditSample:
    """A drawn audit sample: the sampled rows and the manifest to draw it again.

    Attributes
    ----------
    frame : DataFrame
        The sampled decisions with their columns plus ``stratum``, ``weight``
        (design weight N_h/n_h), ``round`` (1, or 2… after :func:`extend`) and
        ``draw_order``.
    manifest : dict
        JSON-ready record (see :meth:`save`).
    """

    frame: pd.DataFrame
    manifest: dict
    rounds: tuple[int, ...] | None = None

    @property
    def id_column(self) -> str:
        return self.manifest["id_column"]

    @property
    def strata(self) -> list[str]:
        return list(self.manifest["strata"])

    @property
    def seed(self) -> int:
        return self.manifest["seed"]

    @property
    def ids(self) -> list[str]:
        return self.frame[self.id_column].astype(str).tolist()

    @property
    def manifest_sha256(self) -> str:
        """sha256 of the manifest's canonical JSON; forms carry it to tie answers to this sample."""
        return manifest_sha256(self.manifest)

    @property
    def accepted_manifests(self) -> set[str]:
        """This manifest's hash and those of the samples it extends."""
        return {self.manifest_sha256, *self.manifest.get("parents", [])}

    @property
    def strata_table(self) -> pd.DataFrame:
        """One row per stratum: population, sample, weight (and the strata columns)."""
        rows = []
        for s in self.manifest["strata_table"]:
            rows.append({**s["values"], "stratum": s["key"], "population": s["population"],
                         "sample": s["sample"], "weight": s["weight"]})
        return pd.DataFrame(rows)

    def new_cases(self) -> "AuditSample":
        """Only the decisions of the latest round (to make a form after :func:`extend`)."""
        last = int(self.frame["round"].max())
        return AuditSample(self.frame[self.frame["round"] == last].reset_index(drop=True), self.manifest, (last,))

    def to_frame(self) -> pd.DataFrame:
        """The sampled decisions (a copy)."""
        return self.frame.copy()

    def summary(self) -> str:
        m = self.manifest
        design = "simple random sample" if not m["strata"] else f"stratified by {', '.join(m['strata'])} " \
                                                             f"({m['allocation']} allocation)"
        lines = [f"Audit sample: {len(self.frame)} of {m['frame']['rows'] - m['excluded']['count']} decisions, "
                 f"{design}, seed {m['seed']}."]
        if m["excluded"]["count"]:
            lines.append(f"{m['excluded']['count']} previously audited decisions were excluded before drawing.")
        if m.get("size_rule"):
            r = m["size_rule"]
            lines.append(f"Sample size for ±{r['margin']:.0%} at {r['confidence']:.0%} confidence "
                         f"(p = {r['p']}, finite-population corrected, per {r['precision']}).")
        for s in m["strata_table"]:
            lines.append(f"  {s['key']}: {s['sample']} of {s['population']} (weight {s['weight']:.2f})")
        lines.append(f"Frame sha256 {m['frame']['sha256'][:12]}…, manifest sha256 {self.manifest_sha256[:12]}…")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>" + self.strata_table.to_html(index=False)

    def __repr__(self) -> str:
        return f"AuditSample(n={len(self.frame)}, seed={self.seed}, strata={self.strata})"

    def to_json(self) -> str:
        return json.dumps(self.manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write the manifest as JSON (UTF-8); written to a temporary file first, then renamed."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
        return path


def manifest_sha256(manifest: dict) -> str:
    blob = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- draw
def draw(
    frame: pd.DataFrame,
    n: int | None = None,
    *,
    strata: str | list[str] | None = None,
    seed: int,
    allocation: str = "proportional",
    margin: float = 0.10,
    confidence: float = 0.95,
    p: float | Mapping[str, float] = 0.5,
    precision: str = "overall",
    id_column: str = "decision_id",
    exclude: Iterable | pd.DataFrame | AuditSample | None = None,
) -> AuditSample:
    """Draw a reproducible random sample of decisions to audit.

    Parameters
    ----------
    frame : DataFrame
        The sampling frame, one row per decision (e.g. from ``ek.load_decisions``).
    n : int, optional
        Total sample size. When omitted, computed with :func:`sample_size` from
        ``margin``, ``confidence`` and ``p``.
    strata : str or list of str, optional
        Column(s) defining strata, e.g. ``["period", "unit"]``.
    seed : int
        Seed of the random draw (required; it goes into the manifest).
    allocation : {"proportional", "equal", "neyman"}
        How a total ``n`` is split over strata (see :func:`allocate`).
    margin, confidence, p : float
        Target precision when ``n`` is omitted.
    precision : {"overall", "stratum"}
        When ``n`` is omitted: size the whole sample for the overall share, or
        size every stratum for its own share (needed to compare strata).
    id_column : str
        Unique decision id.
    exclude : iterable of ids, DataFrame, or AuditSample, optional
        Decisions audited before; they are removed from the frame first.

    Returns
    -------
    AuditSample

    Notes
    -----
    Design weights are :math:`N_h / n_h` (frame size over sample size in the
    stratum, after exclusions). Draw the same sample again with
    :func:`redraw`; draw more with :func:`extend`. The same procedure in R:
    ``sampling::strata(method = "srswor")`` (with its own random numbers).

    Examples
    --------
    >>> frame = pd.DataFrame({"decision_id": [f"d{i:03d}" for i in range(200)],
    ...                       "unit": ["Nord", "Syd"] * 100})
    >>> s = draw(frame, 20, strata="unit", seed=1)
    >>> s.strata_table[["stratum", "population", "sample"]].values.tolist()
    [['Nord', 100, 10], ['Syd', 100, 10]]
    >>> draw(frame.sample(frac=1, random_state=3), 20, strata="unit", seed=1).ids == s.ids
    True
    """
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    _check_frame(frame, id_column, strata_cols)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise AnalysisError(f"seed must be a whole number, got {seed!r}; it is recorded in the manifest")
    if precision not in ("overall", "stratum"):
        raise AnalysisError(f"precision must be 'overall' or 'stratum', got {precision!r}")
    excluded = _excluded_ids(exclude, id_column)
    fingerprint = frame_fingerprint(frame, id_column)
    eligible = frame[~frame[id_column].astype(str).isin(excluded)]
    groups = _strata(eligible, id_column, strata_cols)
    population = {k: len(g["ids"]) for k, g in groups.items()}
    size_rule = None
    if n is None:
        size_rule = {"margin": margin, "confidence": confidence, "p": p if not isinstance(p, Mapping) else dict(p),
                     "precision": "stratum" if precision == "stratum" and strata_cols else "whole sample"}
        if precision == "stratum" and strata_cols:
            sizes = {k: sample_size(N, margin, confidence, _p_of(p, k)) for k, N in population.items()}
        else:
            total = sample_size(sum(population.values()), margin, confidence, p if not isinstance(p, Mapping) else 0.5)
            sizes = allocate(population, total, allocation, p)
    else:
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise AnalysisError(f"n must be a whole number >= 1, got {n!r}")
        if n > sum(population.values()):
            raise AnalysisError(f"n = {n} is larger than the {sum(population.values())} eligible decisions")
        sizes = allocate(population, int(n), allocation, p)
    manifest = {
        "evalkit_manifest": MANIFEST_VERSION,
        "seed": int(seed),
        "id_column": id_column,
        "strata": strata_cols,
        "allocation": allocation,
        "p": p if not isinstance(p, Mapping) else dict(p),
        "size_rule": size_rule,
        "n_requested": None if n is None else int(n),
        "frame": fingerprint,
        "excluded": {"count": len(excluded), "ids": sorted(excluded)},
        "rounds": [sizes],
        "parents": [],
    }
    return _build(frame, manifest, groups)


def _p_of(p, key):
    return p.get(key, 0.5) if isinstance(p, Mapping) else p


def _check_frame(frame, id_column, strata_cols):
    if not isinstance(frame, pd.DataFrame):
        raise AnalysisError("frame must be a DataFrame with one row per decision")
    missing = [c for c in [id_column, *strata_cols] if c not in frame.columns]
    if missing:
        raise AnalysisError(f"column(s) {missing} not in the frame; columns are {list(frame.columns)}")
    problems = []
    ids = frame[id_column]
    if ids.isna().any():
        problems.append(Problem(f"{int(ids.isna().sum())} decisions have no id", column=id_column))
    dup = ids.astype(str).duplicated(keep=False) & ids.notna()
    if dup.any():
        problems.append(Problem(f"{int(dup.sum())} rows share an id, e.g. {ids[dup].iloc[0]!r}", column=id_column))
    for c in strata_cols:
        if frame[c].isna().any():
            problems.append(Problem(f"{int(frame[c].isna().sum())} decisions have no value; fill them or "
                                    "drop those rows before sampling", column=c))
    if problems:
        raise DataError("the sampling frame cannot be used", problems)


def _excluded_ids(exclude, id_column) -> set[str]:
    if exclude is None:
        return set()
    if isinstance(exclude, AuditSample):
        return set(exclude.ids)
    if isinstance(exclude, pd.DataFrame):
        if id_column not in exclude.columns:
            raise AnalysisError(f"exclude has no column {id_column!r}")
        return set(exclude[id_column].astype(str))
    if isinstance(exclude, (str, bytes)):
        raise AnalysisError("exclude must be a collection of ids, a DataFrame or an AuditSample, not one string")
    return {str(x) for x in exclude}


def _strata(frame, id_column, strata_cols) -> dict:
    """Stratum key → {"values": {...}, "ids": sorted ids}; keys sorted."""
    if not strata_cols:
        return {_ALL: {"values": {}, "ids": sorted(frame[id_column].astype(str))}}
    out = {}
    for values, g in frame.groupby(strata_cols, sort=True, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        key = " × ".join(str(v) for v in values)
        out[key] = {"values": {c: _plain(v) for c, v in zip(strata_cols, values)},
                    "ids": sorted(g[id_column].astype(str))}
    return dict(sorted(out.items()))


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    return v if isinstance(v, (int, float, str, bool)) else str(v)


def _random_order(seed: int, key_index: int, ids: list[str]) -> list[str]:
    # One generator per stratum (seeded by the seed and the stratum's position) so that adding
    # rounds or changing another stratum's size never shifts this stratum's random order.
    rng = np.random.Generator(np.random.PCG64([int(seed), key_index]))
    keys = rng.random(len(ids))
    return [ids[i] for i in np.argsort(keys, kind="stable")]


def _build(frame, manifest, groups) -> AuditSample:
    id_column = manifest["id_column"]
    totals = {k: sum(r.get(k, 0) for r in manifest["rounds"]) for k in groups}
    records, strata_table = [], []
    for index, (key, g) in enumerate(groups.items()):
        order = _random_order(manifest["seed"], index, g["ids"])
        n_h = totals[key]
        weight = len(g["ids"]) / n_h if n_h else float("nan")
        start = 0
        for r, sizes in enumerate(manifest["rounds"], start=1):
            take = sizes.get(key, 0)
            for pos, i in enumerate(order[start:start + take], start=start):
                records.append({"id": i, "stratum": key, "weight": weight, "round": r, "draw_order": pos + 1})
            start += take
        strata_table.append({"key": key, "values": g["values"], "population": len(g["ids"]), "sample": n_h,
                             "weight": weight if n_h else None})
    manifest["strata_table"] = strata_table
    manifest["sample"] = records
    manifest["sample_sha256"] = hashlib.sha256("\x1f".join(r["id"] for r in records).encode()).hexdigest()
    design = pd.DataFrame(records, columns=["id", "stratum", "weight", "round", "draw_order"])
    rows = frame.assign(_id=frame[id_column].astype(str)).set_index("_id").loc[design["id"]]
    sampled = rows.reset_index(drop=True)
    for col in ("stratum", "weight", "round", "draw_order"):
        sampled[col] = design[col].to_numpy()
    return AuditSample(sampled, manifest)


# ----------------------------------------------------------------------------- again and more
def _read_manifest(manifest) -> dict:
    if isinstance(manifest, AuditSample):
        return json.loads(json.dumps(manifest.manifest))
    if isinstance(manifest, dict):
        return json.loads(json.dumps(manifest))
    path = Path(manifest)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DataError(f"manifest file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name} is not a JSON manifest ({exc})",
                        [Problem(str(exc), file=str(path))]) from None
    if not isinstance(data, dict) or data.get("evalkit_manifest") != MANIFEST_VERSION:
        raise DataError(f"{path.name} is not an evalkit audit manifest (version {MANIFEST_VERSION})")
    return data


def redraw(frame: pd.DataFrame, manifest: "AuditSample | dict | str | Path") -> AuditSample:
    """Draw the sample of a manifest again from the same frame.

    Parameters
    ----------
    frame : DataFrame
        The frame the manifest was drawn from (row order may differ).
    manifest : AuditSample, dict, or path of a saved manifest (JSON)

    Returns
    -------
    AuditSample
        Identical ids, order and weights.

    Raises
    ------
    DataError
        When the frame is not the one the manifest was drawn from; the message
        says what changed (rows, strata sizes, sampled decisions now missing,
        columns whose values changed).
    """
    m = _read_manifest(manifest)
    id_column = m["id_column"]
    _check_frame(frame, id_column, m["strata"])
    now = frame_fingerprint(frame, id_column)
    if now["sha256"] != m["frame"]["sha256"]:
        raise DataError("the frame is not the one this sample was drawn from; refusing to redraw",
                        _differences(frame, m, now))
    eligible = frame[~frame[id_column].astype(str).isin(set(m["excluded"]["ids"]))]
    sample = _build(frame, m, _strata(eligible, id_column, m["strata"]))
    if [r["id"] for r in sample.manifest["sample"]] != [r["id"] for r in _read_manifest(manifest)["sample"]]:
        # Same data but another result can only mean a different evalkit sampling algorithm.
        raise DataError("the frame matches the manifest but the draw differs; the manifest was written by "
                        "another version of evalkit's sampler — use the sampled ids in the manifest directly")
    return sample


def from_manifest(manifest: "AuditSample | dict | str | Path") -> AuditSample:
    """The sample recorded in a manifest, without the frame it was drawn from.

    Parameters
    ----------
    manifest : AuditSample, dict, or path of a saved manifest (JSON)

    Returns
    -------
    AuditSample
        Its frame holds the id column, the strata columns, ``stratum``,
        ``weight``, ``round`` and ``draw_order`` — all that scoring needs when
        the comparison is between strata (e.g. ``compare="period"`` with
        ``strata="period"``). Other columns of the decisions (unit, service)
        need :func:`redraw` with the frame.

    Notes
    -----
    Nothing is drawn: the ids, their order and weights are read as recorded,
    so this works even where the frame is no longer available (the sampled
    decisions' rows may have been changed or archived since).

    Examples
    --------
    >>> frame = pd.DataFrame({"decision_id": [f"d{i:03d}" for i in range(40)], "period": ["a", "b"] * 20})
    >>> s = draw(frame, 6, strata="period", seed=3)
    >>> again = from_manifest(s.manifest)
    >>> again.ids == s.ids, again.manifest_sha256 == s.manifest_sha256
    (True, True)
    """
    m = _read_manifest(manifest)
    if "sample" not in m or "strata_table" not in m:
        raise DataError("the manifest has no recorded sample (keys 'sample' and 'strata_table')")
    values = {s["key"]: s["values"] for s in m["strata_table"]}
    rows = []
    for r in m["sample"]:
        rows.append({m["id_column"]: r["id"], **values.get(r["stratum"], {}), "stratum": r["stratum"],
                     "weight": r["weight"], "round": r["round"], "draw_order": r["draw_order"]})
    columns = [m["id_column"], *m["strata"], "stratum", "weight", "round", "draw_order"]
    return AuditSample(pd.DataFrame(rows, columns=columns), m)


def _differences(frame, m, now) -> list[Problem]:
    id_column = m["id_column"]
    problems = []
    if now["rows"] != m["frame"]["rows"]:
        problems.append(Problem(f"the frame has {now['rows']} rows; the manifest's had {m['frame']['rows']}"))
    ids_now = set(frame[id_column].astype(str))
    gone = [r["id"] for r in m["sample"] if r["id"] not in ids_now]
    if gone:
        shown = ", ".join(gone[:10]) + (" …" if len(gone) > 10 else "")
        problems.append(Problem(f"{len(gone)} sampled decision(s) are no longer in the frame: {shown}",
                                column=id_column))
    if now["ids_sha256"] != m["frame"]["ids_sha256"] and not gone and now["rows"] == m["frame"]["rows"]:
        problems.append(Problem("the same number of decisions but other ids", column=id_column))
    if all(c in frame.columns for c in m["strata"]):
        eligible = frame[~frame[id_column].astype(str).isin(set(m["excluded"]["ids"]))]
        sizes = {k: len(g["ids"]) for k, g in _strata(eligible, id_column, m["strata"]).items()}
        for s in m["strata_table"]:
            if sizes.get(s["key"], 0) != s["population"]:
                problems.append(Problem(f"stratum {s['key']}: {sizes.get(s['key'], 0)} decisions now, "
                                        f"{s['population']} when drawn"))
        for k in sizes.keys() - {s["key"] for s in m["strata_table"]}:
            problems.append(Problem(f"stratum {k}: new ({sizes[k]} decisions)"))
    old_cols, new_cols = m["frame"]["columns"], now["columns"]
    for c in sorted(old_cols.keys() - new_cols.keys()):
        problems.append(Problem("column removed", column=c))
    for c in sorted(new_cols.keys() - old_cols.keys()):
        problems.append(Problem("column added", column=c))
    if now["ids_sha256"] == m["frame"]["ids_sha256"]:
        for c in sorted(old_cols.keys() & new_cols.keys()):
            if old_cols[c] != new_cols[c]:
                problems.append(Problem("values changed", column=c))
    return problems


def extend(sample: AuditSample, frame: pd.DataFrame, n: int) -> AuditSample:
    """Draw ``n`` more decisions, continuing the same random order (no overlap).

    Parameters
    ----------
    sample : AuditSample
        The sample to extend (its manifest must match ``frame``).
    frame : DataFrame
        The same frame the sample was drawn from.
    n : int
        How many more decisions, split over strata by the sample's allocation
        rule applied to the decisions not yet sampled.

    Returns
    -------
    AuditSample
        The combined sample (``round`` column tells the rounds apart; use
        :meth:`AuditSample.new_cases` to make a form for the new ones only).
        Its weights are those of the combined sample; forms made from the
        earlier sample are still accepted by ``load_audit(path, sample=...)``.
    """
    current = redraw(frame, sample)
    m = current.manifest
    left = {s["key"]: s["population"] - s["sample"] for s in m["strata_table"]}
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise AnalysisError(f"n must be a whole number >= 1, got {n!r}")
    if n > sum(left.values()):
        raise AnalysisError(f"only {sum(left.values())} decisions are left to sample; asked for {n} more")
    more = allocate(left, int(n), m["allocation"], m.get("p", 0.5))
    new_manifest = {k: v for k, v in m.items() if k not in ("strata_table", "sample", "sample_sha256")}
    new_manifest["rounds"] = [*m["rounds"], more]
    new_manifest["parents"] = [*m.get("parents", []), current.manifest_sha256]
    id_column = m["id_column"]
    eligible = frame[~frame[id_column].astype(str).isin(set(m["excluded"]["ids"]))]
    return _build(frame, new_manifest, _strata(eligible, id_column, m["strata"]))
