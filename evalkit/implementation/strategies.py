"""The strategy log: what was done to implement the change, when, by whom — ERIC names, Proctor's fields.

Each implementation strategy is named with its ERIC name (Powell et al. 2015; the 73 names ship in
``evalkit/data/eric_strategies.toml`` with Swedish and Norwegian labels) and specified with the seven
dimensions of Proctor, Powell & McMillen (2013): actor, action, action target, temporality (start, end,
timing), dose, implementation outcome affected and justification. The last two are reported for under
one in ten strategies in published studies (implementation.md §1.6); the log requires them.

:func:`load_strategies` reads a TOML or Excel (or CSV) log and validates it (errors name the file, the
row and the column); :class:`StrategyLog` shows it as a table and :func:`mark_strategies` draws its
strategies as vertical marks with short labels on a time-series plot (an ITS figure, a fidelity trend).
"""
from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from evalkit.errors import DataError
from evalkit.implementation import _text
from evalkit.privacy import check_identifiers

__all__ = ["load_strategies", "StrategyLog", "mark_strategies", "eric_strategies", "ERIC_PATH", "FIELDS",
           "REQUIRED", "IMPLEMENTATION_OUTCOMES"]

ERIC_PATH = Path(__file__).resolve().parents[1] / "data" / "eric_strategies.toml"
#: columns of a strategy log, in order (Proctor et al. 2013's seven dimensions, with temporality as
#: start/end/timing and the strategy named by ERIC and locally)
FIELDS = ("eric", "name", "actor", "action", "target", "start", "end", "timing", "dose", "outcome",
          "justification", "units", "label")
REQUIRED = ("eric", "actor", "action", "target", "start", "dose", "outcome", "justification")
#: Proctor et al. (2011) implementation outcomes a strategy can aim at
IMPLEMENTATION_OUTCOMES = ("acceptability", "adoption", "appropriateness", "feasibility", "fidelity",
                           "implementation_cost", "penetration", "sustainability")
#: header aliases in Excel/CSV logs (lower case) → field
ALIASES = {
    "eric": ("eric", "eric-strategi", "eric strategy", "strategi (eric)", "strategy"),
    "name": ("name", "namn", "navn", "lokalt namn", "lokalt navn"),
    "actor": ("actor", "aktör", "aktør", "vem", "hvem"),
    "action": ("action", "handling", "vad", "hva"),
    "target": ("target", "action target", "mål för handlingen", "målgrupp", "målgruppe"),
    "start": ("start", "från", "fra", "startdatum", "startdato"),
    "end": ("end", "till", "til", "slutdatum", "sluttdato"),
    "timing": ("timing", "temporality", "tidpunkt", "tidspunkt", "när", "når"),
    "dose": ("dose", "dos", "omfattning", "omfang"),
    "outcome": ("outcome", "implementation outcome", "utfall", "implementeringsutfall", "påverkar",
                "påvirker"),
    "justification": ("justification", "motivering", "begrunnelse", "varför", "hvorfor"),
    "units": ("units", "enheter", "enheter/områden", "enhet", "område"),
    "label": ("label", "etikett", "kort namn", "kort navn"),
}
OUTCOME_ALIASES = {
    "acceptability": ("acceptans", "akseptabilitet", "acceptability"),
    "adoption": ("adoption", "adopsjon", "införande", "innføring"),
    "appropriateness": ("lämplighet", "hensiktsmessighet", "appropriateness"),
    "feasibility": ("genomförbarhet", "gjennomførbarhet", "feasibility"),
    "fidelity": ("metodtrohet", "fidelity", "troskap"),
    "implementation_cost": ("kostnad", "kostnad för implementeringen", "implementation cost", "implementation_cost",
                            "kostnad"),
    "penetration": ("penetration", "spridning", "spredning", "integrering"),
    "sustainability": ("hållbarhet", "bærekraft", "vidmakthållande", "opprettholdelse", "sustainability"),
}


# ----------------------------------------------------------------------------- ERIC
@lru_cache(maxsize=1)
def _eric() -> tuple[dict, ...]:
    with open(ERIC_PATH, "rb") as fh:
        return tuple(tomllib.load(fh)["strategies"])


def eric_strategies(language: str = "en") -> pd.DataFrame:
    """The 73 ERIC strategies: ``number, id, name`` (English) and ``label`` in ``language``."""
    rows = [{"number": s["number"], "id": s["id"], "name": s["en"], "label": s[language]} for s in _eric()]
    return pd.DataFrame(rows)


def _eric_lookup() -> dict[str, dict]:
    """Every spelling that names an ERIC strategy (id, number, English, sv, nb; case-insensitive) → entry."""
    out = {}
    for s in _eric():
        for key in (s["id"], str(s["number"]), s["en"], s["sv"], s["nb"]):
            out[_norm(key)] = s
    return out


def _norm(text: Any) -> str:
    return " ".join(str(text).strip().lower().replace("–", "-").split())


# ----------------------------------------------------------------------------- loading
def load_strategies(path: str | Path, sheet: str | int | None = None) -> "StrategyLog":
    """Read and validate a strategy log (TOML, .xlsx or .csv).

    Parameters
    ----------
    path : path
        * TOML: ``[[strategies]]`` tables with the fields of :data:`FIELDS`;
        * Excel/CSV: one row per strategy, headers in English, Swedish or Norwegian (``ERIC-strategi``,
          ``Aktör``, ``Handling``, ``Målgrupp``, ``Start``, ``Slut``/``Till``, ``Tidpunkt``, ``Dos``,
          ``Utfall``, ``Motivering``, ``Enheter``, ``Etikett``).
    sheet : str or int, optional
        Excel sheet (default the first).

    Returns
    -------
    StrategyLog

    Raises
    ------
    DataError
        Naming the file, the row (the TOML entry number, or the spreadsheet row) and the column: an
        unknown ERIC name, a missing required field (:data:`REQUIRED` — outcome and justification
        included), a date that cannot be read, an end before the start, an unknown implementation outcome.
    IdentifierError
        A personnummer or fødselsnummer anywhere in the log.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: strategy log not found")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        records, first_row, kind = _read_toml(path), 1, "entry"
    elif suffix in (".xlsx", ".xlsm", ".csv"):
        records, first_row, kind = _read_sheet(path, sheet), 2, "row"
    else:
        raise DataError(f"{path}: a strategy log is .toml, .xlsx or .csv, not {suffix or 'a file without suffix'}")
    if records:
        # free text (actor, action, justification) could hold an identity number: the same gate as the loaders
        frame = pd.DataFrame([{k: ("" if v is None else str(v)) for k, v in r.items()} for r in records])
        frame.index = frame.index + first_row
        check_identifiers(frame, file=str(path))
    rows = [_validate(r, path, first_row + i, kind) for i, r in enumerate(records)]
    if not rows:
        raise DataError(f"{path}: the strategy log has no strategies")
    return StrategyLog(pd.DataFrame(rows, columns=list(StrategyLog.COLUMNS)), source=str(path))


def _read_toml(path: Path) -> list[dict]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from None
    entries = data.get("strategies")
    if not isinstance(entries, list):
        raise DataError(f"{path}: no [[strategies]] entries")
    out = []
    for i, e in enumerate(entries, start=1):
        unknown = sorted(set(e) - set(FIELDS))
        if unknown:
            raise DataError(f"{path}, entry {i}: unknown field(s) {', '.join(unknown)}; fields are {', '.join(FIELDS)}")
        out.append(dict(e))
    return out


def _read_sheet(path: Path, sheet) -> list[dict]:
    try:
        if path.suffix.lower() == ".csv":
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python", encoding="utf-8-sig")
        else:
            raw = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=object)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the strategy log ({exc})") from None
    columns = {}
    for col in raw.columns:
        key = _norm(col)
        field = next((f for f, names in ALIASES.items() if key in names), None)
        if field is None:
            raise DataError(f"{path}: column {col!r} is not a strategy-log field; use {', '.join(FIELDS)} "
                            "(or their Swedish/Norwegian names)")
        columns[col] = field
    raw = raw.rename(columns=columns)
    out = []
    for _, r in raw.iterrows():
        rec = {k: (None if _blank(v) else v) for k, v in r.items()}
        if all(v is None for v in rec.values()):
            continue  # an empty spreadsheet row
        out.append(rec)
    return out


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()) or v is pd.NaT


def _validate(rec: Mapping, path: Path, row: int, kind: str) -> dict:
    where = f"{path.name}, {kind} {row}"
    for f in REQUIRED:
        if _blank(rec.get(f)):
            why = (" (Proctor et al. 2013: name the implementation outcome the strategy is meant to change)"
                   if f == "outcome" else " (why this strategy should work here)" if f == "justification" else "")
            raise DataError(f"{where}, column {f}: required{why}")
    eric = _eric_lookup().get(_norm(rec["eric"]))
    if eric is None:
        raise DataError(f"{where}, column eric: {rec['eric']!r} is not an ERIC strategy name (Powell et al. 2015); "
                        "see evalkit.implementation.eric_strategies()")
    start = _date(rec.get("start"), where, "start")
    end = _date(rec.get("end"), where, "end") if not _blank(rec.get("end")) else pd.NaT
    if pd.notna(end) and end < start:
        raise DataError(f"{where}, column end: {end.date()} is before the start {start.date()}")
    outcomes = _outcomes(rec["outcome"], where)
    units = _list(rec.get("units"))
    name = str(rec.get("name") or eric["en"]).strip()
    label = str(rec.get("label") or name).strip()
    return {"eric_id": eric["id"], "eric": eric["en"], "name": name, "actor": str(rec["actor"]).strip(),
            "action": str(rec["action"]).strip(), "target": str(rec["target"]).strip(), "start": start, "end": end,
            "timing": "" if _blank(rec.get("timing")) else str(rec["timing"]).strip(),
            "dose": str(rec["dose"]).strip(), "outcome": tuple(outcomes),
            "justification": str(rec["justification"]).strip(), "units": tuple(units), "label": label}


def _date(value, where: str, column: str) -> pd.Timestamp:
    if hasattr(value, "year") and not isinstance(value, str):
        return pd.Timestamp(value)
    text = str(value).strip()
    try:
        # ISO first; day first (the Swedish/Norwegian way) otherwise, never month first
        return pd.Timestamp(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError):
        try:
            return pd.Timestamp(pd.to_datetime(text, dayfirst=True, format="mixed"))
        except (ValueError, TypeError):
            raise DataError(f"{where}, column {column}: {text!r} is not a date (write 2017-01-09)") from None


def _list(value) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).replace(";", ",").split(",") if v.strip()]


def _outcomes(value, where: str) -> list[str]:
    known = {a: k for k, names in OUTCOME_ALIASES.items() for a in names} | {k: k for k in IMPLEMENTATION_OUTCOMES}
    out = []
    for v in _list(value):
        key = known.get(_norm(v).replace(" ", "_")) or known.get(_norm(v))
        if key is None:
            raise DataError(f"{where}, column outcome: {v!r} is not an implementation outcome (Proctor et al. 2011: "
                            f"{', '.join(IMPLEMENTATION_OUTCOMES)})")
        out.append(key)
    return out


# ----------------------------------------------------------------------------- the log
@dataclass(eq=False)
class StrategyLog:
    """A validated strategy log; implements the report protocol of :mod:`evalkit.report`.

    Attributes
    ----------
    frame : DataFrame
        One row per strategy (:attr:`COLUMNS`), sorted by start date; ``outcome`` and ``units`` are tuples.
    source : str
        The file it was read from.
    """

    frame: pd.DataFrame
    source: str = ""
    language: str = "sv"

    COLUMNS = ("eric_id", "eric", "name", "actor", "action", "target", "start", "end", "timing", "dose", "outcome",
               "justification", "units", "label")

    def __post_init__(self):
        self.frame = self.frame.sort_values(["start", "name"], kind="stable").reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def title(self) -> str:
        return _text.t("strategies_title", self.language)

    def to_frame(self) -> pd.DataFrame:
        """The log, fixed columns :attr:`COLUMNS`."""
        return self.frame.copy()

    def active(self, date) -> pd.DataFrame:
        """Strategies in force on ``date`` (started, and not ended before it)."""
        d = pd.Timestamp(date)
        f = self.frame
        return f[(f["start"] <= d) & (f["end"].isna() | (f["end"] >= d))]

    def summary(self) -> str:
        return _text.strategies_summary(self)

    def sentences(self, language: str = "sv") -> list[str]:
        return _text.strategies_sentences(self, language)

    def methods(self, language: str = "sv") -> list[str]:
        return _text.strategies_methods(self, language)

    def report_tables(self, language: str = "sv") -> list:
        return _text.strategies_tables(self, language)

    def plot(self, ax=None, language: str | None = None):
        """A timeline: one bar per strategy from start to end (a dot when it has no end)."""
        return _text.strategies_plot(self, ax, language or self.language)

    def mark(self, ax, language: str | None = None, **kwargs):
        """Vertical marks with short labels on ``ax`` (see :func:`mark_strategies`)."""
        return mark_strategies(ax, self, language=language or self.language, **kwargs)

    def _repr_html_(self) -> str:
        shown = self.frame.assign(outcome=self.frame["outcome"].map(", ".join),
                                  units=self.frame["units"].map(", ".join))
        return f"<pre>{html.escape(self.summary())}</pre>" + shown.to_html(index=False, na_rep="")

    def __repr__(self) -> str:
        return f"StrategyLog({len(self)} strategies from {self.source or 'memory'})"


def mark_strategies(ax, log: "StrategyLog", *, language: str = "sv", units: Iterable[str] | None = None,
                    spans: bool = True, color: str = "0.35", fontsize: float = 7.0, max_chars: int = 24,
                    top: float = 0.97):
    """Draw a strategy log on a time-series Axes: a dashed vertical line at each start, a shaded span to
    the end (when ``spans``), and the strategy's short label at the top.

    Parameters
    ----------
    ax : matplotlib Axes
        A plot with dates on the x axis (pandas Timestamps or matplotlib date numbers, as ITS plots have).
    log : StrategyLog
    units : iterable of str, optional
        Only strategies aimed at these units (or at every unit, i.e. ``units`` empty in the log).
    spans : bool
        Shade each strategy's period from start to end.
    max_chars : int
        Labels longer than this are shortened with "…".
    top : float
        Height of the highest label in axes coordinates (lower it when the plot has its own labels there).

    Returns
    -------
    list of matplotlib artists (lines, spans, texts), in the log's order.

    Notes
    -----
    Labels cycle through three heights so neighbouring marks stay readable, and are placed in axes
    coordinates (the top of the plot) whatever the y scale.
    """
    import matplotlib.dates as mdates

    f = log.frame
    if units is not None:
        wanted = set(units)
        f = f[f["units"].map(lambda u: not u or bool(wanted & set(u)))]
    artists = []
    trans = ax.get_xaxis_transform()
    for k, r in enumerate(f.itertuples(index=False)):
        x0 = mdates.date2num(r.start)
        artists.append(ax.axvline(x0, color=color, linestyle="--", linewidth=0.8, zorder=1))
        if spans and pd.notna(r.end):
            artists.append(ax.axvspan(x0, mdates.date2num(r.end), color=color, alpha=0.08, zorder=0, linewidth=0))
        label = r.label if len(r.label) <= max_chars else r.label[: max_chars - 1] + "…"
        y = top - 0.08 * (k % 3)  # three heights: neighbouring labels do not overlap
        artists.append(ax.text(x0, y, f" {k + 1}. {label}", transform=trans, fontsize=fontsize, color=color,
                               ha="left", va="top", clip_on=False,
                               bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5}))
    return artists
