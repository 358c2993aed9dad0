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

import contextvars
import dataclasses
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit._dates import parse_user_date
from evalkit._files import read_toml
from evalkit.errors import ConfigError

__all__ = ["Evaluation", "Change", "Event", "DataSource", "AnalysisSpec", "ReportOptions"]

LANGUAGES = ("sv", "nb", "en")
DATA_KINDS = ("decisions", "orders", "visits", "survey", "codings", "audit", "cfir", "staff_survey", "strategies",
              "staff", "documents")
#: keys of [data.<kind>] beyond path/mapping/sheet; "path" = a file relative to the config, "paths" = a list
_DATA_KEYS: dict[str, dict[str, str]] = {
    "survey": {"codebook": "path_or_name", "sent": "path"},
    # the staff survey (instruments such as NoMAD, and HME/stress): for kind = "staff_survey" one codebook file
    # or built-in name (default: the built-in "hme" and "stress_elo")
    "staff_survey": {"codebook": "path_or_name"},
    "audit": {"forms": "paths", "manifest": "path", "checklist": "path_or_name"},
    # external REFI-QDA sources (relative:// and absolute://) are read only from this folder
    "codings": {"sources_dir": "folder"},
    # two (or more) raters' filled CFIR rating forms (ek.cfir.rating_form)
    "cfir": {"forms": "paths"},
    # governing documents: path = a folder or one file; meta = their type/date/issuer per file name
    "documents": {"meta": "path"},
}
#: keys every analysis has; the other keys of a survey/audit/qualitative analysis go to its options
_COMMON_ANALYSIS_KEYS = ("id", "kind", "title")
FAMILIES = ("gaussian", "poisson", "quasipoisson", "negative_binomial")
INFERENCE = ("auto", "cluster", "wild", "ri")
_ID = re.compile(r"^[a-z0-9_]+$")


# -- the schema: every key of every section, declared once (the parser, the runners and docs/config.md use it) --


@dataclass(frozen=True)
class Key:
    """One config key: its name, accepted TOML types, default (``...`` = required), allowed values, meaning.

    ``type_name`` overrides the type's description in docs/config.md (``"path"``, ``"list of strings"``);
    ``example`` is a TOML value for the docs (default: the default or the first allowed value).
    """

    name: str
    types: Any
    default: Any = ...
    choices: tuple | None = None
    doc: str = ""
    example: str | None = None
    type_name: str = ""
    #: the default as docs/config.md states it, where it is not a constant
    default_text: str = ""

    @property
    def required(self) -> bool:
        return self.default is ...


#: user text (titles, purpose, questions, the change's name and description) is a string in the report's
#: language, or a table with one text per language, so that one config gives a report in sv, nb or en
_TEXT = "text"
_TEXTS = "list of texts"
_PER_LANGUAGE = ' (a string, or one per language `{ sv = "…", nb = "…", en = "…" }`: each report uses its own)'

EVALUATION_KEYS = (
    Key("title", (str, dict), doc="the report's title" + _PER_LANGUAGE, type_name=_TEXT,
        example='"Införandet av IBIC i Exempelkommun"'),
    Key("language", str, "sv", LANGUAGES, "the report's language"),
    Key("seed", int, doc="seed of every random step (bootstrap, permutations, audit samples); it goes into the "
                         "provenance appendix", example="20240601"),
    Key("municipality", str, "", doc="the report's subtitle", example='"Exempelkommun"'),
    Key("purpose", (str, dict), "", doc="the purpose paragraph of the report" + _PER_LANGUAGE, type_name=_TEXT,
        example='"Att undersöka …"'),
    Key("questions", (list, tuple), (), doc="the research questions, one bullet each: a text (a string or a table "
        "by language as for title), or a table { text = …, analyses = [\"<analysis id>\", …] } naming the "
        "analyses that answer it (the report then answers the question in the summary and leads its results "
        "with the answer)",
        type_name="list of texts or tables",
        example='["Förändrades handläggningstiden?"]'),
)
#: keys of one { text, analyses } entry of [evaluation] questions
QUESTION_KEYS = (
    Key("text", (str, dict), doc="the question as the report states it" + _PER_LANGUAGE, type_name=_TEXT,
        example='"Förändrades handläggningstiden?"'),
    Key("analyses", (list, tuple), (), doc="ids of the [[analyses]] that answer it, in the order their findings "
        "are told; \"id:part\" tells only the findings of one effect (its: level_change, slope_change; did: did, "
        "pretrend) or one item (survey, audit: the item id)", type_name="list of strings",
        example='["processing_time", "user_survey:hansyn_asikter"]'),
)
CHANGE_KEYS = (
    Key("name", (str, dict), doc="the care-model change evaluated" + _PER_LANGUAGE, type_name=_TEXT,
        example='"IBIC"'),
    Key("date", (dt.date, str), doc="first day of the post period (the intervention date of every analysis "
                                    "that does not set its own)", example="2017-01-01", type_name="date"),
    Key("description", (str, dict), "", doc="a background paragraph" + _PER_LANGUAGE, type_name=_TEXT),
    Key("units", (str, list), "all", doc='"all", or the units that made the change (the treated units of a '
                                         "did analysis)", type_name='"all" or list of strings',
        example='["Norr", "Söder"]'),
    Key("comparison_units", (list, tuple), (), doc="units that did not make the change",
        type_name="list of strings", example='["Väster"]'),
    Key("placeholder", bool, False, doc="the date is a placeholder written by `evalkit init`; check and report "
                                        "warn until the real date is set and this key deleted", example="true"),
    Key("events", (list, tuple), (), doc="events during the evaluated periods that may have affected the results "
                                         "(listed as limitations when they fall in a period the data cover): a "
                                         "list of tables with start (date), end (date, optional) and text (a string or { sv, nb, en })",
        type_name="list of tables", example='[{ start = 2020-03-01, end = 2021-06-30, text = "Covid-19-pandemin" }]'),
)
#: keys of every [data.<kind>]
DATA_COMMON_KEYS = (
    Key("path", str, doc="the file (relative to the config's folder; decisions, orders and visits may be a "
                         "folder of Parquet files); optional for audit", type_name="path",
        example='"beslut_procapita.csv"'),
    Key("mapping", str, None, doc="a column mapping file ([columns] \"<header>\" = \"<canonical column>\", "
                                  "[values.<column>])", type_name="path", example='"mapping.toml"'),
    Key("sheet", str, None, doc="Excel sheet (default: the first)", example='"Beslut"'),
)
_DATA_DOCS = {
    ("survey", "codebook"): ("the survey's codebook: a .toml file or a built-in name", '"aldreomsorg_hemtjanst"'),
    ("survey", "sent"): ("questionnaires sent per wave (and unit), for the response rate",
                         '"brukarundersokning_utskick.csv"'),
    ("audit", "forms"): ("the filled audit forms (.xlsx), one per reviewer and round",
                         '["granskning_R1.xlsx", "granskning_R2.xlsx"]'),
    ("audit", "manifest"): ("the sample manifest written by `evalkit audit draw`", '"audit_urval.json"'),
    ("audit", "checklist"): ("the checklist: a built-in name or a .toml file", '"ibic"'),
    ("codings", "sources_dir"): ("folder that external REFI-QDA sources are read from", '"sources"'),
    ("staff_survey", "codebook"): ("the staff survey's codebook: a .toml file or a built-in name (default: the "
                                   "built-in hme and stress_elo)", '"hme"'),
    ("cfir", "forms"): ("two (or more) raters' filled CFIR rating forms", '["cfir_R1.xlsx", "cfir_R2.xlsx"]'),
}
_HOW_TYPE = {"path": "path", "paths": "list of paths", "folder": "path (folder)", "path_or_name": "path or name"}


def data_keys(kind: str) -> tuple[Key, ...]:
    """The keys of ``[data.<kind>]``: :data:`DATA_COMMON_KEYS` and the kind's own (:data:`_DATA_KEYS`)."""
    extra = tuple(Key(name, (list, tuple) if how == "paths" else str, () if how == "paths" else None,
                      doc=_DATA_DOCS.get((kind, name), ("", None))[0], example=_DATA_DOCS.get((kind, name), ("", None))[1],
                      type_name=_HOW_TYPE[how])
                  for name, how in _DATA_KEYS.get(kind, {}).items())
    common = DATA_COMMON_KEYS if kind not in ("audit", "cfir") else (
        dataclasses.replace(DATA_COMMON_KEYS[0], default=None), *DATA_COMMON_KEYS[1:])
    return common + extra


REPORT_KEYS = (
    Key("name", str, None, default_text="the config file's name", doc="file name of the report: reports/<name>.docx and .xlsx; "
                                                    "letters, digits, '-', '_', '.'", example='"ibic"'),
    Key("suppress_counts_below", int, 5, doc="counts below this are shown as '..' in every table"),
    Key("suppress_percent_denominator_below", int, 30,
        doc="percentages on a denominator below this are shown as '..'"),
    Key("suppress_zero_counts", bool, False, doc="zero counts are hidden too (a zero can disclose)",
        example="true"),
    Key("suppress_staff_below", int, 5, doc="staff figures of units with fewer employees (or staff-survey "
                                            "respondents) than this are hidden"),
    Key("commissioner", str, "", doc="who commissioned the evaluation (title page, foreword)",
        example='"Vård- och omsorgsnämnden, Exempelkommun"'),
    Key("authors", (list, tuple), (), doc="the authors (title page, foreword, document properties)",
        type_name="list of strings", example='["Anna Andersson", "Bo Berg"]'),
    Key("version", str, "", doc="the report's version (title page)", example='"1.0"'),
    Key("report_number", str, "", doc="the report's number in a series (title page)", example='"FoU-rapport 2024:3"'),
    Key("date", (dt.date, str), None, type_name="date", example="2024-06-01",
        default_text="the last date in the loaded data (never today's date, so that rebuilds are identical)",
        doc="the report's date (title page and document properties)"),
    Key("template", str, None, type_name="path", example='"mall.docx"',
        doc="your own Word template (.docx): its styles, logo, header and footer are used; it must define the "
            "styles the report needs (the error names those it lacks)"),
    Key("toc_page_numbers", bool, False, example="true",
        doc="page numbers in the table of contents, from a LibreOffice layout of the written document (needs "
            "soffice; adds about 5 s). Without them Word fills the numbers when fields are updated"),
    *(k for name, what in (
        ("foreword", "the foreword (default: a short one naming the commissioner and the authors)"),
        ("background", "a longer background, before the change's description"),
        ("ethics", "the ethics paragraph (default: a neutral one on pseudonymisation and suppression)"),
        ("discussion", "the discussion (default: a generated scaffold marked as a draft)"))
      for k in (Key(name, str, "", doc=f"{what}; paragraphs separated by a blank line", example='"…"'),
                Key(f"{name}_file", str, None, type_name="path", example=f'"{name}.txt"',
                    doc=f"a UTF-8 text file holding {name} (instead of {name} = …)"))),
    Key("conclusions", str, None, doc="the evaluator's conclusions (paragraphs split on blank lines); replaces "
        "the conclusions drafted from the findings", example='"IBIC har gett …"'),
    Key("conclusions_file", str, None, doc="the conclusions in a text file instead (UTF-8; paragraphs split on "
        "blank lines)", type_name="path", example='"slutsatser.md"'),
    Key("recommendations", str, None, doc="the evaluator's recommendations (paragraphs split on blank lines); "
        "replaces the drafted next steps", example='"Följ upp …"'),
    Key("recommendations_file", str, None, doc="the recommendations in a text file instead", type_name="path",
        example='"rekommendationer.md"'),
)
#: [report] keys that hold a text or name a file holding it
REPORT_TEXTS = ("foreword", "background", "ethics", "discussion")
#: keys every [[analyses]] entry has
ANALYSIS_COMMON_KEYS = (
    Key("id", str, doc="unique id: lower-case letters, digits and '_'", example='"processing_time"'),
    Key("kind", str, choices=None, doc="the kind of analysis (see the kinds below)", example='"its"'),
    Key("title", (str, dict), "", doc="the section's title in the report" + _PER_LANGUAGE, type_name=_TEXT,
        example='"Handläggningstid (median, dagar)"'),
)
#: the typed keys of a panel analysis (kind its and did), read from the monthly outcome panel
PANEL_KEYS = (
    Key("outcome", str, doc="an outcome panel column (see the outcome columns below)",
        example='"processing_days_median"'),
    Key("family", str, "gaussian", FAMILIES, "error distribution; poisson and negative_binomial model counts"),
    Key("exposure", str, None, doc="panel column used as log offset (counts per exposure)",
        example='"active_users"'),
    Key("seasonality", str, None, doc='"month" (month dummies) or "fourier:K" with K 1–6', example='"month"'),
    Key("units", str, "pooled", ("pooled", "each"), 'the municipality total, or each unit'),
    Key("treated", (list, tuple), (), doc="treated units of a did analysis (default: [change].units)",
        type_name="list of strings", example='["Norr"]'),
    Key("intervention", (dt.date, str), None, doc="first post period (default: [change].date)",
        example="2017-01-01", type_name="date"),
    Key("inference", str, "auto", INFERENCE, "did inference: auto picks the wild cluster bootstrap below 30 units"),
    Key("start", (dt.date, str), None, doc="first month of the series", example="2014-01-01", type_name="date"),
    Key("end", (dt.date, str), None, doc="last month of the series (after start)", example="2019-12-31",
        type_name="date"),
    Key("windows", (list, tuple), (), doc="first days of the visit-log windows, for staff-continuity outcomes "
                                          "(Kolada's 14-day rule)", type_name="list of dates",
        example="[2018-03-05, 2019-03-04]"),
    Key("options", dict, {}, doc="further keyword arguments of ek.its / ek.did (e.g. hac_lags)",
        example="{ hac_lags = 3 }"),
)
_SECTIONS = {"evaluation": EVALUATION_KEYS, "change": CHANGE_KEYS, "report": REPORT_KEYS}
TOP_KEYS = ("evaluation", "change", "data", "analyses", "report")


@dataclass(frozen=True)
class Change:
    name: str
    date: dt.date
    description: str = ""
    units: tuple[str, ...] | None = None  # None = all units
    comparison_units: tuple[str, ...] = ()
    #: the date is a placeholder written by `evalkit init`; check and report warn until it is set
    placeholder: bool = False
    #: events during the evaluated periods (``[change] events``), listed as limitations
    events: tuple["Event", ...] = ()


@dataclass(frozen=True)
class Event:
    """Something that happened during the evaluated periods and may have affected the results."""

    start: dt.date
    text: str
    end: dt.date | None = None

    def overlaps(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and (self.end or self.start) >= first


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
    #: first days of the visit-log windows, for staff-continuity outcomes (Kolada's 14-day rule)
    windows: tuple[dt.date, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportOptions:
    name: str
    suppress_counts_below: int = 5
    suppress_percent_denominator_below: int = 30
    suppress_zero_counts: bool = False
    #: staff rates (sick leave, turnover …) and staff-survey values from fewer employees/respondents are hidden
    suppress_staff_below: int = 5
    commissioner: str = ""
    authors: tuple[str, ...] = ()
    version: str = ""
    report_number: str = ""
    date: dt.date | None = None
    template: Path | None = None
    toc_page_numbers: bool = False
    #: texts given in the config (or read from their files); "" when absent
    foreword: str = ""
    background: str = ""
    ethics: str = ""
    discussion: str = ""
    #: the evaluator's own conclusions / recommendations (from the text key or the file); None = drafted
    conclusions: str | None = None
    recommendations: str | None = None
    #: the files they were read from, when given as ``conclusions_file`` / ``recommendations_file``
    conclusions_file: Path | None = None
    recommendations_file: Path | None = None


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
    #: per question (same order as ``questions``), the ids of the analyses that answer it
    question_analyses: tuple[tuple[str, ...], ...] = ()
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Evaluation":
        """Read and check an evaluation config (paths are relative to the file's folder)."""
        path = Path(path)
        raw = read_toml(path, "config file")
        _gate_config(raw, path)
        return _parse(raw, path)


def _gate_config(raw: dict, path: Path) -> None:
    """Refuse a config holding a personal identity number in any key or value, or in its file name.

    Titles, purpose, questions, the change's name and description, analysis
    titles, the report name, unit lists and data paths all reach the report
    or its provenance appendix; so every string (and number) of the file is
    searched, at every depth (:func:`evalkit.privacy.check_config`).
    """
    from evalkit.privacy import check_config

    check_config(raw, file=path, what="The config file")


#: the problems of the config being parsed: while set, a reader records a problem and goes on (so that every
#: problem is reported at once); unset (a reader used on its own), it raises the first
_PROBLEMS: contextvars.ContextVar[list[ConfigError] | None] = contextvars.ContextVar("config_problems",
                                                                                   default=None)


def _record(error: ConfigError) -> None:
    problems = _PROBLEMS.get()
    if problems is None:
        raise error
    problems.append(error)


def _closest_hint(value: Any, candidates) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


#: the evaluation's language while its config is parsed: the text a :class:`~evalkit.i18n.Localized` *is*
_TEXT_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("config_language", default="sv")


class _Reader:
    """Typed access to one TOML table, with key paths in every error."""

    def __init__(self, table: Any, where: str, file: str):
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: [{where}] must be a table, got {type(table).__name__}")
        self.table, self.where, self.file = table, where, file
        self.seen: set[str] = set()

    def _err(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.where}.{key}: {message}")

    def problem(self, key: str, message: str) -> None:
        """Record a problem with ``key`` (raised at the end of parsing, with every other problem)."""
        _record(self._err(key, message))

    def get(self, key, types, default=..., choices=None):
        """The value of ``key``; a problem is recorded (and the default, or None, returned) when it is missing,
        of the wrong type or not one of ``choices``."""
        self.seen.add(key)
        fallback = None if default is ... else default
        if key not in self.table:
            if default is ...:
                self.problem(key, "required key is missing")
            return fallback
        value = self.table[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            self.problem(key, f"expected {_type_names(types)}, got {value!r}")
            return fallback
        if choices is not None and value not in choices:
            self.problem(key, f"expected one of {list(choices)}, got {value!r}{_closest_hint(value, choices)}")
            return fallback
        return value

    def date(self, key, default=...):
        value = self.get(key, (dt.date, str), default)
        if isinstance(value, str):
            try:
                return parse_user_date(value, what="date").date()
            except ValueError as exc:
                self.problem(key, f"expected a date; {exc}")
                return None
        if isinstance(value, dt.datetime):
            return value.date()
        return value

    def take(self, keys: tuple[Key, ...], name: str):
        """The value of the declared key ``name`` of ``keys``, read by its declared type, default and choices."""
        key = next(k for k in keys if k.name == name)
        if key.type_name == "date":
            return self.date(name, key.default)
        if key.type_name == "list of strings":
            return self.strings(name, key.default)
        if key.type_name == _TEXT:
            return self.text(name, self.get(name, key.types, key.default))
        if key.type_name == _TEXTS:
            values = self.get(name, key.types, key.default) or ()
            return tuple(self.text(f"{name}[{i}]", v) for i, v in enumerate(values))
        return self.get(name, key.types, key.default, key.choices)

    def text(self, key: str, value: Any) -> Any:
        """A user's text: a string as it is, or ``{sv, nb, en}`` as :class:`evalkit.i18n.Localized`."""
        from evalkit.i18n import Localized

        if value is None or isinstance(value, str):
            return value
        if not isinstance(value, dict):
            self.problem(key, f"expected a string or a table {{ sv = …, nb = …, en = … }}, got {value!r}")
            return None
        missing = [lang for lang in LANGUAGES if not isinstance(value.get(lang), str) or not value[lang].strip()]
        extra = sorted(set(value) - set(LANGUAGES))
        if missing or extra:
            what = [f"no text in {', '.join(missing)}"] if missing else []
            what += [f"unknown language(s) {', '.join(extra)}"] if extra else []
            self.problem(key, f"a text by language needs sv, nb and en: {'; '.join(what)}")
            return None
        return Localized(value[_TEXT_LANGUAGE.get()], value)

    def dates(self, key) -> tuple[dt.date, ...]:
        value = self.get(key, (list, tuple), ())
        out = []
        for i, v in enumerate(value):
            try:
                out.append(v if isinstance(v, dt.date) and not isinstance(v, dt.datetime)
                           else parse_user_date(v, what="date").date())
            except ValueError as exc:
                raise self._err(f"{key}[{i}]", f"expected a date; {exc}") from None
        return tuple(out)

    def strings(self, key, default=()):
        value = self.get(key, (list, tuple), default)
        if value is None:
            return ()
        if not all(isinstance(v, str) for v in value):
            self.problem(key, f"expected a list of strings, got {value!r}")
            return ()
        return tuple(value)

    def finish(self, known: tuple[str, ...] = ()) -> None:
        """Record every key of the table that was not read and is not in ``known``, with the closest known key."""
        for key in self.table:
            if key not in self.seen and key not in known:
                close = difflib.get_close_matches(key, sorted(self.seen | set(known)), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.problem(key, f"unknown key{hint}")


def _gather(step, *args, fallback=None):
    """Run one independent step of the parse; a problem it raises is recorded and the parse goes on."""
    try:
        return step(*args)
    except ConfigError as exc:
        _record(exc)
        return fallback


def _raise_problems(file: str, problems: list[ConfigError]) -> None:
    if len(problems) == 1:
        raise problems[0]
    if problems:
        lines = [str(p).removeprefix(f"{file}: ") for p in problems]
        raise ConfigError(f"{file}: {len(lines)} problems (fix them all, then run again):", lines)


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types,)


def _type_names(types) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false", list: "a list",
             dict: "a table", dt.date: "a date", tuple: "a list"}
    return " or ".join(names.get(t, t.__name__) for t in _as_tuple(types))


def _parse(raw: dict, path: Path) -> Evaluation:
    """Every problem of the config is collected (unknown keys, wrong types, values not allowed, missing files)
    and raised together in one :class:`ConfigError`, before any data is read."""
    problems: list[ConfigError] = []
    token, language_token = _PROBLEMS.set(problems), _TEXT_LANGUAGE.set("sv")
    try:
        evaluation = _parse_all(raw, path)
    finally:
        _PROBLEMS.reset(token)
        _TEXT_LANGUAGE.reset(language_token)
    _raise_problems(path.name, problems)
    return evaluation


def _parse_all(raw: dict, path: Path) -> Evaluation | None:
    file = path.name
    base = path.parent
    top = _Reader(raw, "(top level)", file)
    ev = _table_reader(top, "evaluation", file)
    language = ev.take(EVALUATION_KEYS, "language") if ev else None
    _TEXT_LANGUAGE.set(language or "sv")  # reset by the caller's context (see _parse)
    title, seed, municipality, purpose = (
        ev.take(EVALUATION_KEYS, k) if ev else None
        for k in ("title", "seed", "municipality", "purpose"))
    raw_questions = ev.get("questions", (list, tuple), ()) if ev else ()
    if ev:
        ev.finish()

    change_reader = _table_reader(top, "change", file)
    change = _gather(_parse_change, change_reader) if change_reader else None
    data = _gather(_parse_data, top.get("data", dict, {}), base, file, fallback={})
    raw_analyses = top.get("analyses", list, []) or []
    analyses = _gather(_parse_analyses, raw_analyses, change, file, fallback=())
    # ids as written (an entry with another problem still has its id), so one mistake is not reported twice
    ids = [item["id"] for item in raw_analyses if isinstance(item, dict) and isinstance(item.get("id"), str)]
    questions, question_analyses = _parse_questions(raw_questions or (), ids, file)
    rep = _gather(_Reader, top.get("report", dict, {}), "report", file)
    report = None
    if rep:
        report = ReportOptions(
            name=rep.get("name", str, path.stem),
            suppress_counts_below=_gather(_positive, rep, "suppress_counts_below", 5),
            suppress_percent_denominator_below=_gather(_positive, rep, "suppress_percent_denominator_below", 30),
            suppress_zero_counts=rep.take(REPORT_KEYS, "suppress_zero_counts"),
            suppress_staff_below=_gather(_positive, rep, "suppress_staff_below", 5),
            commissioner=rep.take(REPORT_KEYS, "commissioner"), authors=rep.strings("authors"),
            version=rep.take(REPORT_KEYS, "version"), report_number=rep.take(REPORT_KEYS, "report_number"),
            date=rep.take(REPORT_KEYS, "date"), template=_gather(_existing, rep, "template", base, True),
            toc_page_numbers=rep.take(REPORT_KEYS, "toc_page_numbers"),
            **{name: _report_text(rep, name, base) for name in REPORT_TEXTS},
            **_own_text(rep, "conclusions", base), **_own_text(rep, "recommendations", base),
        )
        rep.finish()
        if report.name is not None and not re.match(r"^[\w.-]+$", report.name):
            _record(ConfigError(f"{file}: report.name: use letters, digits, '-', '_' or '.', got {report.name!r}"))
    top.finish(TOP_KEYS)
    if _PROBLEMS.get():
        return None
    return Evaluation(title=title, language=language, seed=seed, change=change, data=data,
                      analyses=analyses, report=report, municipality=municipality, purpose=purpose,
                      questions=questions, question_analyses=question_analyses, path=path.resolve(), raw=raw)


def _parse_questions(items, known: list[str], file: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """``[evaluation] questions``: each a string or a ``{ text, analyses }`` table whose analysis ids must be
    ids of ``[[analyses]]`` entries (an unknown id is a problem naming ``evaluation.questions[i].analyses``)."""
    texts, answered = [], []
    for i, item in enumerate(items):
        where = f"evaluation.questions[{i}]"
        if isinstance(item, str) or (isinstance(item, dict) and "text" not in item and "analyses" not in item
                                     and set(item) & set(LANGUAGES)):
            # a plain question: a string, or { sv = "…", nb = "…", en = "…" }
            texts.append(_Reader({}, "evaluation", file).text(f"questions[{i}]", item) or "")
            answered.append(())
            continue
        if not isinstance(item, dict):
            _record(ConfigError(f"{file}: {where}: expected a string or a table {{ text = \"…\", analyses = "
                                f"[…] }}, got {item!r}"))
            continue
        r = _Reader(item, where, file)
        text = r.take(QUESTION_KEYS, "text")
        ids = r.take(QUESTION_KEYS, "analyses")
        r.finish()
        for entry in ids:
            aid = entry.split(":", 1)[0]
            if aid not in known:
                r.problem("analyses", f"'{aid}' is not the id of an [[analyses]] entry{_closest_hint(aid, known)}; "
                                      f"known: {', '.join(known) or '(none)'}")
        if len(set(ids)) != len(ids):
            r.problem("analyses", f"an analysis is named twice: {list(ids)}")
        texts.append(text or "")
        answered.append(tuple(ids))
    return tuple(texts), tuple(answered)


def _own_text(r: _Reader, key: str, base: Path) -> dict[str, Any]:
    """``{key: text, key_file: path}`` of the evaluator's ``[report] key``, given inline or as ``key_file``
    (not both); the file is read here, so a missing or unreadable one is a config problem."""
    text = r.take(REPORT_KEYS, key)
    path = _gather(_existing, r, f"{key}_file", base, True)
    if text is not None and path is not None:
        r.problem(f"{key}_file", f"give {key} or {key}_file, not both")
    elif path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            r.problem(f"{key}_file", f"cannot read '{path.name}' as UTF-8 text ({exc})")
    return {key: text, f"{key}_file": path}


def _table_reader(top: _Reader, key: str, file: str) -> _Reader | None:
    """The reader of a required top-level table; None (the problem recorded once) when it is missing."""
    table = top.get(key, dict)
    return None if table is None else _Reader(table, key, file)


def _report_text(r: _Reader, name: str, base: Path) -> str:
    """``name = "text"`` or ``name_file = "file.txt"`` (not both); the text, or "" when neither is given."""
    text = r.get(name, str, "")
    path = _gather(_existing, r, f"{name}_file", base, True)
    if path is None:
        return text
    if text:
        r.problem(f"{name}_file", f"give {name} or {name}_file, not both")
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        r.problem(f"{name}_file", f"cannot read '{path.name}' as UTF-8 text: {exc}")
        return ""


def _parse_events(r: _Reader) -> tuple[Event, ...]:
    """``[change] events``: tables with start, end (optional) and text, each problem with its index."""
    out = []
    for i, item in enumerate(r.get("events", (list, tuple), ()) or ()):
        er = _Reader(item, f"{r.where}.events[{i}]", r.file)
        start, end = er.date("start"), er.date("end", None)
        text = er.text("text", er.get("text", (str, dict)))
        er.finish()
        if start and end and end < start:
            er.problem("end", f"must not be before start ({start})")
        elif start and text:
            out.append(Event(start=start, text=text, end=end))
    return tuple(out)


def _positive(r: _Reader, key: str, default: int) -> int:
    """A disclosure threshold: a whole number ≥ 1 (0 or less would switch disclosure control off)."""
    value = r.get(key, int, default)
    if value is not None and value < 1:
        raise r._err(key, f"must be at least 1, got {value!r}: disclosure control cannot be switched off")
    return value


def _parse_change(r: _Reader) -> Change:
    units = r.get("units", (str, list), "all")
    if isinstance(units, str):
        if units != "all":
            raise r._err("units", f"expected \"all\" or a list of units, got {units!r}")
        units = None
    else:
        units = r.strings("units")
    change = Change(name=r.take(CHANGE_KEYS, "name"), date=r.take(CHANGE_KEYS, "date"),
                    description=r.take(CHANGE_KEYS, "description"), units=units,
                    comparison_units=r.take(CHANGE_KEYS, "comparison_units"),
                    placeholder=r.take(CHANGE_KEYS, "placeholder"), events=_gather(_parse_events, r, fallback=()))
    r.finish()
    return change


def _parse_data(table: dict, base: Path, file: str) -> dict[str, DataSource]:
    out = {}
    for kind, spec in table.items():
        if kind not in DATA_KINDS:
            close = difflib.get_close_matches(kind, DATA_KINDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            _record(ConfigError(f"{file}: data.{kind}: unknown data source{hint}; known: {list(DATA_KINDS)}"))
            continue
        source = _gather(_parse_source, kind, spec, base, file)
        if source is not None:
            out[kind] = source
    return out


def _parse_source(kind: str, spec: Any, base: Path, file: str) -> DataSource:
    """One ``[data.<kind>]``; each missing or misplaced file is a problem of its own."""
    r = _Reader(spec, f"data.{kind}", file)
    extra = _DATA_KEYS.get(kind, {})
    options = {}
    for key, how in extra.items():
        if how == "paths":
            found = (_gather(_existing_value, r, key, v, base) for v in r.strings(key))
            options[key] = tuple(p for p in found if p is not None)
        elif how in ("path", "folder"):
            options[key] = _gather(_existing, r, key, base, True, "folder" if how == "folder" else "file")
        else:  # a file next to the config, or the name of a built-in one
            value = r.get(key, str, None)
            if value is not None and ((base / value).exists() or "/" in value or value.endswith(".toml")):
                value = _gather(_existing_value, r, key, value, base)
            options[key] = value
    table_like = kind in ("decisions", "orders", "visits", "staff", "documents")  # may be a folder
    source = DataSource(kind=kind, path=_gather(_existing, r, "path", base, kind in ("audit", "cfir"),
                                                "any" if table_like else "file"),
                        mapping=_gather(_existing, r, "mapping", base, True),
                        sheet=r.get("sheet", str, None),
                        options={k: v for k, v in options.items() if v not in (None, ())})
    r.finish()
    return source


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
        spec = _gather(_parse_analysis, i, item, change, file, ids)
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


def _parse_analysis(i: int, item: Any, change: Change | None, file: str, ids: set[str]) -> AnalysisSpec | None:
    """One ``[[analyses]]`` entry: its keys are the kind's option table (:attr:`evalkit.kinds.AnalysisKind.options`)."""
    from evalkit.kinds import KINDS  # the registry imports config's spec type; read it at parse time

    r = _Reader(item, f"analyses[{i}]", file)
    aid = r.get("id", str)
    if aid is not None and not _ID.match(aid):
        r.problem("id", f"use lower-case letters, digits and '_', got {aid!r}")
    if aid in ids:
        r.problem("id", f"duplicated id {aid!r}")
    ids.add(aid)
    kind = r.get("kind", str, choices=tuple(KINDS))
    if kind is None:
        return None
    if not KINDS[kind].panel:
        # survey/audit/qualitative/fidelity options are passed to the runner; their names are checked here
        options = {k: v for k, v in item.items() if k not in _COMMON_ANALYSIS_KEYS}
        r.seen |= set(options)
        known = tuple(k.name for k in KINDS[kind].options)
        for key in options:
            if key not in known:
                r.problem(key, f"unknown key for a {kind} analysis{_closest_hint(key, known)}; known: "
                               f"{', '.join(known)}")
        title = r.take(ANALYSIS_COMMON_KEYS, "title")
        r.finish()
        return AnalysisSpec(id=aid, kind=kind, outcome="", title=title, options=options)
    return _parse_panel_analysis(r, aid, kind, change)


def _parse_panel_analysis(r: _Reader, aid: str, kind: str, change: Change | None) -> AnalysisSpec:
    from evalkit.kinds import KINDS, outcome_columns

    panel_columns = outcome_columns()
    seasonality = r.get("seasonality", str, None)
    if seasonality is not None and not re.match(r"^(month|fourier:[1-6])$", seasonality):
        r.problem("seasonality", f"expected \"month\" or \"fourier:K\" with K 1–6, got {seasonality!r}")
    keys = KINDS[kind].options
    spec = AnalysisSpec(
        id=aid, kind=kind, outcome=r.take(keys, "outcome"), title=r.take(ANALYSIS_COMMON_KEYS, "title"),
        family=r.take(keys, "family"), exposure=r.take(keys, "exposure"), seasonality=seasonality,
        units=r.take(keys, "units"), treated=r.take(keys, "treated"),
        intervention=r.take(keys, "intervention") or (change.date if change else None),
        inference=r.take(keys, "inference"), start=r.take(keys, "start"), end=r.take(keys, "end"),
        windows=_gather(r.dates, "windows", fallback=()), options=dict(r.take(keys, "options") or {}),
    )
    for role in ("outcome", "exposure"):
        column = getattr(spec, role)
        if column is not None and column not in panel_columns:
            r.problem(role, f"'{column}' is not an outcome panel column{_closest_hint(column, panel_columns)}; "
                            "the columns are listed in docs/config.md")
    if kind == "did" and not spec.treated:
        if change and change.units:
            spec = AnalysisSpec(**{**spec.__dict__, "treated": change.units})
        elif change:
            r.problem("treated", "a did analysis needs the treated units (here or as [change].units)")
    if spec.start and spec.end and spec.start >= spec.end:
        r.problem("end", f"must be after start ({spec.start})")
    r.finish()
    return spec


# -- docs/config.md, generated from the tables above and the registry of analysis kinds -----------------------

REFERENCE_PATH = Path(__file__).resolve().parents[1] / "docs" / "config.md"
_TYPE_WORDS = {str: "string", int: "integer", float: "number", bool: "true/false", list: "list", tuple: "list",
               dict: "table", dt.date: "date"}


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _key_type(key: Key) -> str:
    if key.type_name:
        return key.type_name
    return " or ".join(dict.fromkeys(_TYPE_WORDS.get(t, t.__name__) for t in _as_tuple(key.types)))


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ }" if not value else "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def _default(key: Key) -> str:
    if key.required:
        return "**required**"
    if key.default_text:
        return key.default_text
    return "(none)" if key.default is None else f"`{_toml(key.default)}`"


def _example(key: Key, section: str) -> str:
    value = key.example or (_toml(key.choices[0]) if key.choices else
                            _toml(key.default) if key.default not in (None, ..., (), {}, "") else None)
    return f"`{key.name} = {value}`" if value is not None else ""


def _table(keys: tuple[Key, ...], section: str) -> list[str]:
    lines = ["| key | type | default | allowed values | meaning | example |", "|---|---|---|---|---|---|"]
    for k in keys:
        allowed = ", ".join(f"`{c}`" for c in k.choices) if k.choices else ""
        lines.append("| " + " | ".join(_cell(x) for x in (f"`{k.name}`", _key_type(k), _default(k), allowed,
                                                          k.doc, _example(k, section))) + " |")
    return lines


def config_reference() -> str:
    """The complete config reference (docs/config.md): every key of every section and analysis kind, with type,
    default, allowed values and an example, the canonical columns a mapping file may name and the outcome panel
    columns an ``outcome`` may name. Generated from :data:`EVALUATION_KEYS` … and :data:`evalkit.kinds.KINDS`."""
    from evalkit.kinds import KINDS, outcome_columns
    from evalkit.schemas import SCHEMAS

    out = ["# The evaluation config: complete reference", "",
           "<!-- Generated from evalkit/config.py and evalkit/kinds.py; do not edit by hand. Regenerate with",
           "     python -c \"from evalkit.config import write_reference; write_reference()\"",
           "     (tests/test_config_reference.py fails when this file is out of date). -->", "",
           "One TOML file describes one evaluation. `evalkit init FILE…` writes one from your files; "
           "`evalkit check CONFIG` checks it and everything it reads. Every key is listed here. An unknown key, "
           "a wrong type or a value not allowed is an error naming its path (`analyses[2].family`) and the "
           "closest valid key or value; all such errors are reported at once. Relative paths are read from the "
           "config's folder and may not leave it (`..`); an absolute path is taken as it is.", "",
           "Top-level tables: " + ", ".join(f"`[{t}]`" if t != "analyses" else "`[[analyses]]`"
                                             for t in TOP_KEYS) + ".", ""]
    for section, keys in (("evaluation", EVALUATION_KEYS), ("change", CHANGE_KEYS)):
        out += [f"## [{section}]", "", *_table(keys, section), ""]
        if section == "evaluation":
            out += ["### [evaluation] questions: a question with the analyses that answer it", "",
                    "A question given as a table names the analyses that answer it. The report's summary then has "
                    "one paragraph per question: its answer, drawn from the findings of those analyses (direction, "
                    "size in the outcome's unit with the levels before and after, the 95 % interval, and how sure "
                    "one can be). In the results chapter each such question is a heading with the answer, followed "
                    "by the analyses that answer it; an analysis named by two questions is shown under the first. "
                    "Analyses that answer no question keep their place. Findings are drawn from kinds its, did, "
                    "survey, audit and staff_survey (what their before/after levels are: evalkit/findings.py); "
                    "other kinds answering a question are shown under it without a finding.", "",
                    "```toml", "[[evaluation.questions]]",
                    'text = "Förändrades handläggningstiden när IBIC infördes?"',
                    'analyses = ["processing_time"]', "```", "", *_table(QUESTION_KEYS, "evaluation.questions"), ""]
    out += ["## [data.&lt;kind&gt;]", "",
            "One table per kind of input: " + ", ".join(f"`[data.{k}]`" for k in DATA_KINDS) + ". "
            "Every kind takes these keys:", "", *_table(DATA_COMMON_KEYS, "data"), ""]
    for kind in DATA_KINDS:
        own = data_keys(kind)[len(DATA_COMMON_KEYS):]
        if own:
            out += [f"### [data.{kind}]: further keys", "", *_table(own, f"data.{kind}"), ""]
    common = tuple(dataclasses.replace(k, choices=tuple(KINDS)) if k.name == "kind" else k
                   for k in ANALYSIS_COMMON_KEYS)
    out += ["## [[analyses]]", "",
            "Each `[[analyses]]` entry is one section of the report. Every entry has:", "",
            *_table(common, "analyses"), "",
            "`kind` is one of " + ", ".join(f"`{k}`" for k in KINDS) + "; the other keys depend on it.", ""]
    for name, kind in KINDS.items():
        out += [f"### kind = \"{name}\"", "", kind.doc + ("." if kind.doc else ""), "",
                *_table(kind.options, f"analyses ({name})"), ""]
    out += ["### Outcome panel columns", "",
            "What `outcome` and `exposure` of an its or did analysis may name (one row per unit and month; "
            "see evalkit/outcomes.py and evalkit/staff.py for the definitions):", "",
            ", ".join(f"`{c}`" for c in outcome_columns()), ""]
    out += ["## [report]", "", *_table(REPORT_KEYS, "report"), "",
            "Without `conclusions` and `recommendations` the chapter \"Conclusions and recommendations\" is "
            "drafted from the findings (what works, what remains, what to do next) and marked as a draft for the "
            "evaluator. Each key given replaces its part; the draft mark goes when both parts are the evaluator's, "
            "so a run can produce the final document. A `*_file` path is read like every other config path (relative to the config's "
            "folder); give the text or the file, not both.", ""]
    out += ["## Mapping files", "",
            "A `mapping = \"mapping.toml\"` under `[data.decisions]`, `[data.orders]` or `[data.visits]` names a "
            "file that maps the headers of your export to canonical columns, and your values to canonical "
            "values. Headers known to evalkit (Swedish, Norwegian and English aliases) need no line; "
            "`evalkit init` writes this file for the headers it had to guess.", "",
            "```toml", "[columns]                    # \"<header in the file>\" = \"<canonical column>\"",
            "\"Brukernummer\" = \"person_id\"", "", "[values.outcome]             # \"<value in the file>\" = "
            "\"<canonical value>\"", "\"Bevilget\" = \"granted\"", "```", ""]
    for name, schema in SCHEMAS.items():
        out += [f"### Canonical columns of the {name} table", "", schema.description, "",
                "| column | type | required | allowed values | meaning |", "|---|---|---|---|---|"]
        for c in schema.columns:
            allowed = ", ".join(f"`{a}`" for a in c.allowed) if c.allowed else ""
            out.append("| " + " | ".join(_cell(x) for x in (f"`{c.name}`", c.kind, "yes" if c.required else "",
                                                              allowed, c.description)) + " |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def write_reference(path: str | Path = REFERENCE_PATH) -> Path:
    """Write :func:`config_reference` to ``path`` (docs/config.md)."""
    path = Path(path)
    path.write_text(config_reference(), encoding="utf-8")
    return path
