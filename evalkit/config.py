"""The evaluation config: one TOML file describes one evaluation.

.. code-block:: toml

    [evaluation]
    title = "Införandet av IBIC i Exempelkommun"
    language = "sv"            # sv | nb | en
    seed = 20240601

    [change]
    name = "IBIC"
    date = 2017-01-01          # first day of the post period

    [data.decisions]
    path = "beslut_procapita.csv"

    [[analyses]]
    id = "processing_time"
    kind = "its"
    outcome = "processing_days_median"

    [report]
    name = "ibic"

Every mistake raises :class:`~evalkit.errors.ConfigError` naming the key path
(``analyses[2].family``) and what was expected; unknown keys are refused with
the closest known key, because a misspelt option silently ignored is a wrong
report.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit._dates import parse_user_date
from evalkit._files import read_toml
from evalkit.errors import ConfigError

__all__ = ["Evaluation", "Change", "DataSource", "AnalysisSpec", "ReportOptions"]

LANGUAGES = ("sv", "nb", "en")
DATA_KINDS = ("decisions", "orders", "visits", "survey", "codings", "audit")
#: keys of [data.<kind>] beyond path/mapping/sheet; "path" = a file relative to the config, "paths" = a list
_DATA_KEYS: dict[str, dict[str, str]] = {
    "survey": {"codebook": "path_or_name", "sent": "path"},
    "audit": {"forms": "paths", "manifest": "path", "checklist": "path_or_name"},
    # external REFI-QDA sources (relative:// and absolute://) are read only from this folder
    "codings": {"sources_dir": "folder"},
}
#: keys every analysis has; the other keys of a survey/audit/qualitative analysis go to its options
_COMMON_ANALYSIS_KEYS = ("id", "kind", "title")
FAMILIES = ("gaussian", "poisson", "quasipoisson", "negative_binomial")
INFERENCE = ("auto", "cluster", "wild", "ri")
_ID = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Change:
    name: str
    date: dt.date
    description: str = ""
    units: tuple[str, ...] | None = None  # None = all units
    comparison_units: tuple[str, ...] = ()
    #: the date is a placeholder written by `evalkit init`; check and report warn until it is set
    placeholder: bool = False


@dataclass(frozen=True)
class DataSource:
    kind: str
    path: Path | None
    mapping: Path | None = None
    sheet: str | None = None
    #: further keys of the source (survey: codebook, sent; audit: forms, manifest, checklist)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisSpec:
    id: str
    kind: str
    outcome: str
    title: str = ""
    family: str = "gaussian"
    exposure: str | None = None
    seasonality: str | None = None
    units: str = "pooled"
    treated: tuple[str, ...] = ()
    intervention: dt.date | None = None
    inference: str = "auto"
    start: dt.date | None = None
    end: dt.date | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportOptions:
    name: str
    suppress_counts_below: int = 5
    suppress_percent_denominator_below: int = 30


@dataclass(frozen=True)
class Evaluation:
    """A parsed, checked evaluation config.

    Examples
    --------
    >>> import evalkit as ek
    >>> ev = ek.Evaluation.from_toml("data_samples/exempelkommun/ibic.toml")  # doctest: +SKIP
    >>> ev.change.date  # doctest: +SKIP
    datetime.date(2017, 1, 1)
    """

    title: str
    language: str
    seed: int
    change: Change
    data: dict[str, DataSource]
    analyses: tuple[AnalysisSpec, ...]
    report: ReportOptions
    municipality: str = ""
    purpose: str = ""
    questions: tuple[str, ...] = ()
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Evaluation":
        """Read and check an evaluation config (paths are relative to the file's folder)."""
        path = Path(path)
        return _parse(read_toml(path, "config file"), path)


class _Reader:
    """Typed access to one TOML table, with key paths in every error."""

    def __init__(self, table: Any, where: str, file: str):
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: [{where}] must be a table, got {type(table).__name__}")
        self.table, self.where, self.file = table, where, file
        self.seen: set[str] = set()

    def _err(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.where}.{key}: {message}")

    def get(self, key, types, default=..., choices=None):
        self.seen.add(key)
        if key not in self.table:
            if default is ...:
                raise self._err(key, "required key is missing")
            return default
        value = self.table[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise self._err(key, f"expected {_type_names(types)}, got {value!r}")
        if choices is not None and value not in choices:
            raise self._err(key, f"expected one of {list(choices)}, got {value!r}")
        return value

    def date(self, key, default=...):
        value = self.get(key, (dt.date, str), default)
        if isinstance(value, str):
            try:
                return parse_user_date(value, what="date").date()
            except ValueError as exc:
                raise self._err(key, f"expected a date; {exc}") from None
        if isinstance(value, dt.datetime):
            return value.date()
        return value

    def strings(self, key, default=()):
        value = self.get(key, (list, tuple), default)
        if not all(isinstance(v, str) for v in value):
            raise self._err(key, f"expected a list of strings, got {value!r}")
        return tuple(value)

    def finish(self, known: tuple[str, ...] = ()) -> None:
        for key in self.table:
            if key not in self.seen and key not in known:
                close = difflib.get_close_matches(key, sorted(self.seen | set(known)), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise self._err(key, f"unknown key{hint}")


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types,)


def _type_names(types) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false", list: "a list",
             dict: "a table", dt.date: "a date", tuple: "a list"}
    return " or ".join(names.get(t, t.__name__) for t in _as_tuple(types))


def _parse(raw: dict, path: Path) -> Evaluation:
    file = path.name
    base = path.parent
    top = _Reader(raw, "(top level)", file)
    ev = _Reader(top.get("evaluation", dict), "evaluation", file)
    title = ev.get("title", str)
    language = ev.get("language", str, "sv", LANGUAGES)
    seed = ev.get("seed", int)
    municipality = ev.get("municipality", str, "")
    purpose = ev.get("purpose", str, "")
    questions = ev.strings("questions")
    ev.finish()

    change = _parse_change(_Reader(top.get("change", dict), "change", file))
    data = _parse_data(top.get("data", dict, {}), base, file)
    analyses = _parse_analyses(top.get("analyses", list, []), change, file)
    rep = _Reader(top.get("report", dict, {}), "report", file)
    report = ReportOptions(
        name=rep.get("name", str, path.stem),
        suppress_counts_below=rep.get("suppress_counts_below", int, 5),
        suppress_percent_denominator_below=rep.get("suppress_percent_denominator_below", int, 30),
    )
    rep.finish()
    top.finish()
    if not re.match(r"^[\w.-]+$", report.name):
        raise ConfigError(f"{file}: report.name: use letters, digits, '-', '_' or '.', got {report.name!r}")
    return Evaluation(title=title, language=language, seed=seed, change=change, data=data,
                      analyses=analyses, report=report, municipality=municipality, purpose=purpose,
                      questions=questions, path=path.resolve(), raw=raw)


def _parse_change(r: _Reader) -> Change:
    units = r.get("units", (str, list), "all")
    if isinstance(units, str):
        if units != "all":
            raise r._err("units", f"expected \"all\" or a list of units, got {units!r}")
        units = None
    else:
        units = r.strings("units")
    change = Change(name=r.get("name", str), date=r.date("date"), description=r.get("description", str, ""),
                    units=units, comparison_units=r.strings("comparison_units"),
                    placeholder=r.get("placeholder", bool, False))
    r.finish()
    return change


def _parse_data(table: dict, base: Path, file: str) -> dict[str, DataSource]:
    out = {}
    for kind, spec in table.items():
        if kind not in DATA_KINDS:
            close = difflib.get_close_matches(kind, DATA_KINDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{file}: data.{kind}: unknown data source{hint}; known: {list(DATA_KINDS)}")
        r = _Reader(spec, f"data.{kind}", file)
        extra = _DATA_KEYS.get(kind, {})
        options = {}
        for key, how in extra.items():
            if how == "paths":
                options[key] = tuple(_existing_value(r, key, v, base) for v in r.strings(key))
            elif how in ("path", "folder"):
                options[key] = _existing(r, key, base, optional=True, expect="folder" if how == "folder" else "file")
            else:  # a file next to the config, or the name of a built-in one
                value = r.get(key, str, None)
                if value is not None and ((base / value).exists() or "/" in value or value.endswith(".toml")):
                    value = _existing_value(r, key, value, base)
                options[key] = value
        table_like = kind in ("decisions", "orders", "visits")  # may be a folder of Parquet files
        source = DataSource(kind=kind, path=_existing(r, "path", base, optional=kind == "audit",
                                                      expect="any" if table_like else "file"),
                            mapping=_existing(r, "mapping", base, optional=True),
                            sheet=r.get("sheet", str, None),
                            options={k: v for k, v in options.items() if v not in (None, ())})
        r.finish()
        out[kind] = source
    return out


def _existing(r: _Reader, key: str, base: Path, optional: bool = False, expect: str = "file") -> Path | None:
    value = r.get(key, str, None if optional else ...)
    if value is None:
        return None
    return _existing_value(r, key, value, base, expect=expect)


def _existing_value(r: _Reader, key: str, value: str, base: Path, *, expect: str = "file") -> Path:
    """The file (or folder) a config key names, refused with a clear message when it is not one.

    A relative path is read only inside the config's folder: one that leaves it through ``..`` or a symbolic
    link is refused, so that a config handed on cannot make evalkit read a file elsewhere on the machine. An
    absolute path is the user naming the file explicitly and is taken as it is. ``expect`` is ``"file"``,
    ``"folder"`` or ``"any"`` (a table may be a folder of Parquet files).
    """
    given = Path(value)
    if given.is_absolute():
        p = given.resolve()
    else:
        root = base.resolve()
        p = (root / given).resolve()
        if not p.is_relative_to(root):
            raise r._err(key, f"'{value}' leads outside the config's folder (through '..' or a symbolic link); "
                              "relative paths are read only inside it. Give the absolute path if you mean that "
                              "file.")
    if not p.exists():
        raise r._err(key, f"'{value}' not found (relative paths are read from the config's folder)")
    if expect == "file" and p.is_dir():
        raise r._err(key, f"'{value}' is a folder; give the file")
    if expect == "folder" and not p.is_dir():
        raise r._err(key, f"'{value}' is a file; give the folder")
    return p


def _parse_analyses(items: list, change: Change, file: str) -> tuple[AnalysisSpec, ...]:
    specs, ids = [], set()
    for i, item in enumerate(items):
        r = _Reader(item, f"analyses[{i}]", file)
        aid = r.get("id", str)
        if not _ID.match(aid):
            raise r._err("id", f"use lower-case letters, digits and '_', got {aid!r}")
        if aid in ids:
            raise r._err("id", f"duplicated id {aid!r}")
        ids.add(aid)
        from evalkit.kinds import KINDS  # the registry imports config's spec type; read it at parse time

        kind = r.get("kind", str, choices=tuple(KINDS))
        if not KINDS[kind].panel:
            # survey/audit/qualitative analyses check their own option names when they run
            options = {k: v for k, v in item.items() if k not in _COMMON_ANALYSIS_KEYS}
            specs.append(AnalysisSpec(id=aid, kind=kind, outcome="", title=r.get("title", str, ""),
                                      options=options))
            continue
        seasonality = r.get("seasonality", str, None)
        if seasonality is not None and not re.match(r"^(month|fourier:[1-6])$", seasonality):
            raise r._err("seasonality", f"expected \"month\" or \"fourier:K\" with K 1–6, got {seasonality!r}")
        spec = AnalysisSpec(
            id=aid, kind=kind, outcome=r.get("outcome", str), title=r.get("title", str, ""),
            family=r.get("family", str, "gaussian", FAMILIES),
            exposure=r.get("exposure", str, None), seasonality=seasonality,
            units=r.get("units", str, "pooled", ("pooled", "each")),
            treated=r.strings("treated"), intervention=r.date("intervention", None) or change.date,
            inference=r.get("inference", str, "auto", INFERENCE),
            start=r.date("start", None), end=r.date("end", None),
            options=dict(r.get("options", dict, {})),
        )
        if kind == "did" and not spec.treated:
            if change.units:
                spec = AnalysisSpec(**{**spec.__dict__, "treated": change.units})
            else:
                raise r._err("treated", "a did analysis needs the treated units (here or as [change].units)")
        if spec.start and spec.end and spec.start >= spec.end:
            raise r._err("end", f"must be after start ({spec.start})")
        r.finish()
        specs.append(spec)
    return tuple(specs)
