"""``evalkit init``: from a user's own files to an evaluation config that runs as it is.

:func:`propose` looks at each file (:func:`evalkit.pipeline.classify`), and for a decisions, orders or visits
table guesses the canonical column of every header, each guess with how sure it is:

``exact``
    the header is a canonical name or a known alias (:data:`evalkit.io.mapping.HEADER_ALIASES`), matched as
    the loaders match it (:func:`evalkit.pipeline.match_columns`);
``fuzzy``
    the folded header is close to an alias (:class:`difflib.SequenceMatcher` ratio ≥ 0.75, or one starts with
    the other) *and* the column's values fit the canonical type (dates for a date column, numbers for hours …);
``values``
    no header fits, but the values do and only one column's values do: a column of outcome words (Innvilget,
    Avslag …) is the outcome, a column of plausible monthly hours the granted hours, of birth years the birth
    year.

A canonical column that several columns' values fit (two yes/no columns, three date columns) is not
guessed: it becomes a ``TODO`` comment naming the candidate headers. :func:`write` turns the proposal into a
commented ``evaluation.toml`` (and ``mapping.toml`` where headers needed mapping) with the analyses the
columns found support; an analysis that lacks a column is written commented out under its TODO.

The date of the change cannot be read from data: it is ``--change-date``, or a placeholder in the middle of
the decisions' months written with ``placeholder = true`` under ``[change]``, which ``evalkit check`` and
``evalkit report`` warn about until it is replaced.

This module sits on top with :mod:`evalkit.cli` and :mod:`evalkit.pipeline`.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit import i18n
from evalkit.errors import ConfigError, DataError, IdentifierError
from evalkit.io.mapping import HEADER_ALIASES, VALUE_ALIASES, normalise_header, normalise_value
from evalkit.schemas import SCHEMAS

__all__ = ["Guess", "FileProposal", "Proposal", "propose", "write", "CONFIDENCE"]

#: how sure a guess is, in the words `evalkit init` prints
CONFIDENCE = {"exact": "exact (known header)", "fuzzy": "fuzzy header match", "values": "inferred from the values"}
FUZZY_CUTOFF = 0.75
#: share of a column's non-empty values that must fit a canonical column's values for a value-pattern guess
VALUE_SHARE = 0.95
#: plausible granted hours per month (a month has at most 744 hours)
HOURS_RANGE = (0.0, 744.0)
CONFIG_NAME, MAPPING_NAME = "evaluation.toml", "mapping.toml"


@dataclass(frozen=True)
class Guess:
    """One canonical column and the file header proposed for it (``header`` None: a TODO)."""

    column: str
    header: str | None
    confidence: str | None  # exact | fuzzy | values | None
    note: str = ""
    #: for a TODO: headers whose values would fit
    candidates: tuple[str, ...] = ()


@dataclass
class FileProposal:
    """What :func:`propose` made of one file."""

    path: Path
    kind: str | None
    rows: int | None = None
    guesses: list[Guess] = field(default_factory=list)
    unused: tuple[str, ...] = ()
    #: first and last value of the table's date column (decided_on, changed_on, visit_start)
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None
    units: tuple[str, ...] = ()
    #: why a file was not recognised, when reading it failed
    note: str = ""

    @property
    def found(self) -> dict[str, Guess]:
        return {g.column: g for g in self.guesses if g.header is not None}

    @property
    def todo(self) -> list[Guess]:
        return [g for g in self.guesses if g.header is None]

    @property
    def needs_mapping(self) -> bool:
        return any(g.confidence in ("fuzzy", "values") for g in self.guesses) or bool(self.todo)

    @property
    def missing_required(self) -> list[str]:
        if self.kind not in SCHEMAS:
            return []
        return [c for c in SCHEMAS[self.kind].required if c not in self.found]


@dataclass
class Proposal:
    files: list[FileProposal]

    def of(self, kind: str) -> FileProposal | None:
        return next((f for f in self.files if f.kind == kind), None)


# -- looking at the files ----------------------------------------------------------------------------------


def propose(paths: list[str | Path], *, sheet: str | None = None) -> Proposal:
    """Classify each file and guess the column mapping of each table (see the module docstring).

    Raises
    ------
    ConfigError
        Two files of one kind (a config has one ``[data.<kind>]`` each).
    IdentifierError
        A file holds identity numbers (the privacy gate runs before any value is looked at).
    """
    from evalkit import pipeline

    files = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise ConfigError(f"{p}: no such file or folder")
        try:
            found = pipeline.classify(path, sheet=sheet)
        except IdentifierError:
            raise
        except DataError as exc:  # not a table evalkit can read: say so, and go on with the other files
            files.append(FileProposal(path=path, kind=None, note=str(exc).splitlines()[0]))
            continue
        fp = FileProposal(path=path, kind=found.kind)
        if found.kind is None and found.matches and found.matches[0].found:
            # not recognised by its headers alone: the values may tell the missing columns
            fp.kind = found.matches[0].table
            _guess_table(fp, found.matches[0], sheet)
            if fp.missing_required and len(fp.missing_required) * 2 > len(SCHEMAS[fp.kind].required):
                fp.kind, fp.guesses = None, []
        elif found.kind in pipeline.LOADABLE:
            _guess_table(fp, found.match, sheet)
        files.append(fp)
    kinds = [f.kind for f in files if f.kind and f.kind != "audit"]  # [data.audit] takes several forms
    twice = sorted({k for k in kinds if kinds.count(k) > 1})
    if twice:
        names = {k: [f.path.name for f in files if f.kind == k] for k in twice}
        raise ConfigError("a config reads one file of each kind; these files are of one kind: "
                          + "; ".join(f"{k}: {', '.join(v)}" for k, v in names.items())
                          + ". Run evalkit init with one of each (combine the exports first).")
    return Proposal(files)


def _guess_table(fp: FileProposal, match, sheet: str | None) -> None:
    from evalkit.io.read import read_table
    from evalkit.privacy import check_identifiers

    frame = read_table(fp.path, sheet=sheet)
    check_identifiers(frame, file=str(fp.path))
    fp.rows = len(frame)
    schema = SCHEMAS[fp.kind]
    guesses = {c: Guess(c, h, "exact", "known header") for c, h in match.found.items()}
    free = [h for h in match.headers if h not in match.found.values()]
    missing = [c for c in schema.names if c not in guesses]
    guesses.update(_fuzzy_guesses(frame, free, missing, schema))
    free = [h for h in free if h not in {g.header for g in guesses.values()}]
    missing = [c for c in missing if c not in guesses]
    guesses.update(_value_guesses(frame, free, missing, schema))
    fp.guesses = [guesses[c] for c in schema.names if c in guesses]
    used = {g.header for g in fp.guesses}
    fp.unused = tuple(h for h in match.headers if h not in used)
    date_col = {"decisions": "decided_on", "orders": "changed_on", "visits": "visit_start"}.get(fp.kind)
    if date_col in fp.found:
        dates = pd.to_datetime(frame[fp.found[date_col].header], errors="coerce").dropna()
        if len(dates):
            fp.span = (dates.min(), dates.max())
    if "unit" in fp.found:
        fp.units = tuple(sorted(frame[fp.found["unit"].header].dropna().astype(str).unique()))


def _fuzzy_score(header: str, column: str) -> tuple[float, str]:
    h = normalise_header(header)
    best = (0.0, "")
    for alias in HEADER_ALIASES.get(column, (column,)):
        a = normalise_header(alias)
        if len(a) < 4 or len(h) < 4:  # "tom", "ut", "from": too short to be near anything by chance
            continue
        score = difflib.SequenceMatcher(None, h, a).ratio()
        if min(len(a), len(h)) >= 5 and (h.startswith(a) or a.startswith(h)):
            # "Brukernummer" starts with the alias "bruker": the closer in length, the surer
            score = max(score, 0.7 + 0.3 * min(len(a), len(h)) / max(len(a), len(h)))
        if score > best[0]:
            best = (score, alias)
    return best


def _fuzzy_guesses(frame: pd.DataFrame, free: list[str], missing: list[str], schema) -> dict[str, Guess]:
    """Headers close to an alias of a missing column whose values fit it; the best pairs first, each once."""
    kinds = {c.name: c for c in schema.columns}
    pairs = []
    for column in missing:
        for header in free:
            score, alias = _fuzzy_score(header, column)
            if score >= FUZZY_CUTOFF and _values_fit(frame[header], kinds[column]):
                pairs.append((score, column, header, alias))
    out: dict[str, Guess] = {}
    taken: set[str] = set()
    for score, column, header, alias in sorted(pairs, key=lambda p: -p[0]):
        if column not in out and header not in taken:
            out[column] = Guess(column, header, "fuzzy", f"{score:.2f} similar to the known header '{alias}'")
            taken.add(header)
    return out


def _value_guesses(frame: pd.DataFrame, free: list[str], missing: list[str], schema) -> dict[str, Guess]:
    """Columns whose values fit a missing column: a guess when one column fits, a TODO when several do."""
    kinds = {c.name: c for c in schema.columns}
    out: dict[str, Guess] = {}
    taken: set[str] = set()
    for column in missing:
        col = kinds[column]
        fits = [h for h in free if h not in taken and _values_fit(frame[h], col, strict=True)]
        if len(fits) == 1 and _guessable_by_values(col):
            out[column] = Guess(column, fits[0], "values", _values_note(frame[fits[0]], col))
            taken.add(fits[0])
        elif fits or col.required or _needed(column):
            out[column] = Guess(column, None, None, _values_note(None, col), tuple(fits))
    return out


def _guessable_by_values(col) -> bool:
    """Values alone name the column: its own words (outcome, change type …), hours, birth years. Two date or
    yes/no columns cannot be told apart by their values, so those stay TODOs even when one fits."""
    return col.allowed is not None or col.name in ("hours_per_month", "birth_year")


def _needed(column: str) -> bool:
    """A column some proposed analysis reads (a TODO is worth writing for it)."""
    return any(column in cols for _, cols, _ in _DECISION_ANALYSES)


def _kind_of_values(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "number"
    values = {normalise_value(v) for v in series.dropna().astype(str).unique()[:200]}
    if values and values <= set(VALUE_ALIASES["bool"]["true"] + VALUE_ALIASES["bool"]["false"]):
        return "bool"
    return "text"


def _values_fit(series: pd.Series, col, *, strict: bool = False) -> bool:
    """Could ``series`` be the canonical column ``col``? ``strict``: the values alone must point to it."""
    values = series.dropna()
    if not len(values):
        return False
    kind = _kind_of_values(values)
    if col.kind in ("date", "datetime"):
        return kind == "date"
    if col.kind == "bool":
        return kind == "bool"
    if col.allowed is not None:
        if kind == "bool":  # "Ja/Nej" is a yes/no column even though "ja" is also an outcome word
            return False
        known = {normalise_value(a) for spellings in VALUE_ALIASES.get(col.name, {}).values() for a in spellings}
        known |= {normalise_value(a) for a in col.allowed}
        share = values.astype(str).map(lambda v: normalise_value(v) in known).mean()
        distinct = values.astype(str).map(normalise_value).nunique()
        return share >= VALUE_SHARE and (distinct >= 2 or not strict)
    if col.name == "hours_per_month":
        numbers = pd.to_numeric(values, errors="coerce")
        ok = kind == "number" and numbers.between(*HOURS_RANGE).all()
        # hours come in halves and quarters, not as whole codes only
        return bool(ok and (not strict or (numbers % 1 != 0).mean() > 0.05))
    if col.name == "birth_year":
        numbers = pd.to_numeric(values, errors="coerce")
        return bool(kind == "number" and (numbers % 1 == 0).all() and numbers.between(1890, 2030).all())
    if col.kind in ("float", "int"):
        return kind == "number" and not strict
    return kind in ("text", "number") and not strict


def _values_note(series: pd.Series | None, col) -> str:
    what = {"date": "dates", "datetime": "date-times", "bool": "yes/no values", "float": "numbers",
            "int": "whole numbers"}.get(col.kind, "text")
    if col.allowed is not None:
        what = f"{col.name.replace('_', ' ')} words ({', '.join(col.allowed)})"
    if col.name == "hours_per_month":
        what = f"hours between {HOURS_RANGE[0]:g} and {HOURS_RANGE[1]:g}"
    if series is None:
        return what
    sample = ", ".join(repr(str(v)) for v in series.dropna().astype(str).unique()[:3])
    return f"its values are {what}: {sample} …"


# -- the analyses the data supports --------------------------------------------------------------------------

#: (analysis id, decisions columns it reads, panel outcome) — the ITS analyses init proposes, in this order
_DECISION_ANALYSES = (
    ("processing_time", ("applied_on", "decided_on"), "processing_days_median"),
    ("time_to_start", ("decided_on", "start_on"), "start_days_median"),
    ("hours_per_user", ("hours_per_month",), "hours_per_user"),
    ("denial_share", ("outcome",), "denial_share"),
    ("goal_recorded", ("goal_recorded",), "goal_recorded_share"),
    ("own_view_recorded", ("own_view_recorded",), "own_view_recorded_share"),
)

_t = i18n.translator("init")


def guess_language(proposal: Proposal) -> str:
    """``nb`` when a header is Norwegian (ø, æ, or a Norwegian alias matched), else ``sv``."""
    nb_words = {"vedtak", "bydel", "tjeneste", "bruker", "søknad", "timer", "måned", "hjemmel", "saksbehandler"}
    for f in proposal.files:
        for g in f.guesses:
            header = (g.header or "").casefold()
            if any(ch in header for ch in "øæ") or any(w in header for w in nb_words):
                return "nb"
    return "sv"


def _placeholder_date(proposal: Proposal) -> dt.date | None:
    """The first day of the middle month of the decisions (or orders, visits): a placeholder, never a fact."""
    spans = [f.span for f in proposal.files if f.span]
    if not spans:
        return None
    first, last = min(s[0] for s in spans), max(s[1] for s in spans)
    middle = first + (last - first) / 2
    return dt.date(middle.year, middle.month, 1)


def _window(proposal: Proposal, also: FileProposal | None = None) -> tuple[dt.date, dt.date] | None:
    """Whole months only: the months of the first and last decision are usually cut by the export's dates.
    With ``also`` (the orders), the months both tables cover."""
    f = proposal.of("decisions")
    if f is None or f.span is None or (also is not None and also.span is None):
        return None
    first, last = f.span
    if also is not None:
        first, last = max(first, also.span[0]), min(last, also.span[1])
    start = (first + pd.offsets.MonthBegin(1)).date()
    end = (last.to_period("M").to_timestamp() - pd.offsets.MonthBegin(1)).date()
    return (start, end) if start < end else None


# -- writing ------------------------------------------------------------------------------------------------


def _q(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(value), ensure_ascii=False)


def _rel(path: Path, base: Path) -> str:
    """The path as the config names it: relative when inside the config's folder (configs refuse '..')."""
    path, base = path.resolve(), base.resolve()
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


def write(proposal: Proposal, output: str | Path = ".", *, language: str | None = None,
          change_date: dt.date | None = None, force: bool = False) -> list[Path]:
    """Write ``evaluation.toml`` (and a mapping file per table whose headers needed one) into ``output``.

    Returns the paths written. Refuses to replace an existing file unless ``force``; nothing is written then.
    """
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    language = language or guess_language(proposal)
    i18n.check_language(language)
    mappings = {f.kind: out / (MAPPING_NAME if f.kind == "decisions" or len(_mapped(proposal)) == 1
                                else f"mapping_{f.kind}.toml")
                for f in _mapped(proposal)}
    targets = [out / CONFIG_NAME, *mappings.values()]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise ConfigError(f"{existing[0]} exists; evalkit init never replaces a file: add --force to replace it, "
                          "or --output DIR to write elsewhere")
    texts = {p: mapping_text(f, p) for f in _mapped(proposal) for p in (mappings[f.kind],)}
    texts[out / CONFIG_NAME] = config_text(proposal, out, language=language, change_date=change_date,
                                           mappings=mappings)
    for path, text in texts.items():
        _write_atomic(path, text)
    return list(texts)


def _mapped(proposal: Proposal) -> list[FileProposal]:
    return [f for f in proposal.files if f.kind in SCHEMAS and f.needs_mapping]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def mapping_text(f: FileProposal, path: Path) -> str:
    """The mapping file of one table: guessed headers as active lines, TODOs as comments with candidates."""
    lines = [f"# Column mapping for {f.path.name} ({f.kind} table), written by `evalkit init`.",
             "# [columns] \"<header in the file>\" = \"<canonical column>\"; the canonical columns are listed in",
             "# docs/config.md. Headers evalkit knows need no line (they are listed as comments).",
             "", "[columns]"]
    for g in f.guesses:
        if g.confidence in ("fuzzy", "values"):
            lines.append(f"{_q(g.header)} = {_q(g.column)}    # {CONFIDENCE[g.confidence]}: {g.note} — check it")
    for g in f.guesses:
        if g.confidence == "exact":
            lines.append(f"# {_q(g.header)} = {_q(g.column)}    # exact: a known header, no line needed")
    for g in f.todo:
        need = "REQUIRED — the table cannot be loaded without it" if g.column in _required(f) else "optional"
        if g.candidates:
            lines.append(f"# TODO {g.column} ({need}): which column holds it? candidates with {g.note}: "
                         f"{', '.join(map(repr, g.candidates))}")
            lines.append(f"# {_q(g.candidates[0])} = {_q(g.column)}")
        else:
            lines.append(f"# TODO {g.column} ({need}): no column with {g.note} found; unused headers: "
                         f"{', '.join(map(repr, f.unused)) or 'none'}")
    return "\n".join(lines) + "\n"


def _required(f: FileProposal) -> list[str]:
    return SCHEMAS[f.kind].required if f.kind in SCHEMAS else []


def config_text(proposal: Proposal, out: Path, *, language: str, change_date: dt.date | None,
                mappings: dict[str, Path]) -> str:
    """The commented evaluation config for ``proposal`` (see :func:`write`)."""
    placeholder = change_date is None
    date = change_date or _placeholder_date(proposal) or dt.date.today().replace(day=1)
    change_name = _t("change", language)
    lines = ["# Evaluation config written by `evalkit init` from: "
             + ", ".join(f.path.name for f in proposal.files) + ".",
             "# Every key is described in docs/config.md. Run `evalkit check evaluation.toml`, then",
             "# `evalkit report evaluation.toml`. Lines marked TODO are for you to complete.",
             "", "[evaluation]",
             f"title = {_q(_t('title', language, change=change_name))}    # TODO: the report's title",
             f"language = {_q(language)}    # sv | nb | en",
             f"seed = {int(dt.date.today().strftime('%Y%m%d'))}    # every random step uses it; keep it fixed",
             "", "[change]",
             f"name = {_q(change_name)}    # TODO: the name of the care-model change (e.g. \"IBIC\")",
             f"date = {date.isoformat()}    # first day of the post period"]
    if placeholder:
        lines += ["# TODO: the date above is a PLACEHOLDER (the middle month of the data), not the date of the",
                  "# change. Set the real date and delete the next line; check and report warn until then.",
                  "placeholder = true"]
    lines += ["units = \"all\"    # or the units that made the change, e.g. [\"Nord\", \"Sør\"]"]
    units = sorted({u for f in proposal.files for u in f.units})
    if units:
        lines.append(f"# units in the data: {', '.join(units)}")
    lines += _data_lines(proposal, out, mappings)
    lines += _analysis_lines(proposal, language)
    lines += ["", "[report]", "name = \"evaluation\"    # writes reports/evaluation.docx and .xlsx",
              "suppress_counts_below = 5", "suppress_percent_denominator_below = 30"]
    return "\n".join(lines) + "\n"


def _data_lines(proposal: Proposal, out: Path, mappings: dict[str, Path]) -> list[str]:
    lines = []
    manifest = proposal.of("audit_manifest")
    sent = proposal.of("survey_sent")
    for f in proposal.files:
        if f.kind is None or f.kind in ("audit_manifest", "survey_sent"):
            continue
        if f.kind == "audit":
            continue  # all forms go into one [data.audit] below
        lines += ["", f"[data.{f.kind}]", f"path = {_q(_rel(f.path, out))}"]
        if f.rows is not None:
            lines[-1] += f"    # {f.rows} rows"
        if f.kind in mappings:
            lines.append(f"mapping = {_q(_rel(mappings[f.kind], out))}    # headers evalkit did not know")
        if f.kind == "survey" and sent is not None:
            lines.append(f"sent = {_q(_rel(sent.path, out))}    # questionnaires sent, for the response rate")
    forms = [f for f in proposal.files if f.kind == "audit"]
    if forms or manifest:
        lines += ["", "[data.audit]"]
        if forms:
            lines.append(f"forms = [{', '.join(_q(_rel(f.path, out)) for f in forms)}]")
        if manifest:
            lines.append(f"manifest = {_q(_rel(manifest.path, out))}")
    unknown = [f.path.name for f in proposal.files if f.kind is None]
    if unknown:
        lines += ["", f"# TODO: not recognised, so not used: {', '.join(unknown)} (`evalkit check FILE` says why)"]
    return lines


def _analysis_lines(proposal: Proposal, language: str) -> list[str]:
    lines = []
    decisions = proposal.of("decisions")
    window = _window(proposal)
    if decisions is not None and not decisions.missing_required:
        found = decisions.found
        for aid, columns, outcome in _DECISION_ANALYSES:
            block = ["[[analyses]]", f"id = {_q(aid)}", "kind = \"its\"", f"title = {_q(_t(aid, language))}",
                     f"outcome = {_q(outcome)}", "family = \"gaussian\"", "units = \"pooled\"    # or \"each\""]
            if aid == "processing_time":
                block.append("seasonality = \"month\"")
            if window:
                block += [f"start = {window[0].isoformat()}", f"end = {window[1].isoformat()}"]
            lacking = [c for c in columns if c not in found]
            lines.append("")
            if not lacking:
                lines += block
                continue
            todo = [g for g in decisions.todo if g.column in lacking]
            where = "; ".join(f"{g.column}: candidates {', '.join(map(repr, g.candidates))}" if g.candidates
                              else f"{g.column}: no candidate column" for g in todo) or ", ".join(lacking)
            lines += [f"# TODO: this analysis needs {', '.join(lacking)} — {where}.",
                      "# Map it in the mapping file, then remove the '# ' before the lines below:"]
            lines += [f"# {line}" for line in block]
        orders = proposal.of("orders")
        if orders is not None and not orders.missing_required:
            lines += ["", "[[analyses]]", "id = \"order_changes\"", "kind = \"its\"",
                      f"title = {_q(_t('order_changes', language))}", "outcome = \"order_changes_per_100\"",
                      "family = \"gaussian\"", "units = \"pooled\""]
            both = _window(proposal, orders)
            if both:  # months with decisions but before the first order change have no rate
                lines += [f"start = {both[0].isoformat()}", f"end = {both[1].isoformat()}"]
        if decisions.units and len(decisions.units) > 1:
            lines += ["", "# A difference-in-differences analysis compares the units that made the change with the",
                      "# others; set [change].units and remove the '# ' before these lines:",
                      "# [[analyses]]", "# id = \"processing_time_did\"", "# kind = \"did\"",
                      "# outcome = \"processing_days_median\"", f"# treated = [{_q(decisions.units[0])}]"]
    elif decisions is not None:
        lines += ["", f"# TODO: {decisions.path.name} lacks the required decisions column(s) "
                  f"{', '.join(decisions.missing_required)}; map them in the mapping file, then run evalkit init "
                  "again with --force to get the analyses."]
    if proposal.of("survey") is not None:
        lines += ["", "[[analyses]]", "id = \"user_survey\"", "kind = \"survey\"",
                  f"title = {_q(_t('user_survey', language))}",
                  "# TODO: compare waves before and after the change: before = [2015, 2016], after = [2017, 2018]"]
    if proposal.of("codings") is not None:
        lines += ["", "[[analyses]]", "id = \"interviews\"", "kind = \"qualitative\"",
                  f"title = {_q(_t('interviews', language))}"]
    if proposal.of("audit") is not None and proposal.of("audit_manifest") is not None:
        lines += ["", "[[analyses]]", "id = \"decision_audit\"", "kind = \"audit\"",
                  f"title = {_q(_t('decision_audit', language))}", "compare = \"period\"",
                  "order = [\"before\", \"after\"]"]
    if not any(line.startswith("[[analyses]]") for line in lines):
        lines += ["", "# TODO: no analysis could be chosen from these files; see docs/config.md for the kinds."]
    return lines


def summary_lines(proposal: Proposal) -> list[str]:
    """What init saw, one block per file: the kind, then each canonical column with its header and confidence."""
    words = {"decisions": "a decisions table", "orders": "an orders table", "visits": "a visits table",
             "staff": "a staff table (HR export)", "survey": "survey responses",
             "survey_sent": "a survey mailing list (questionnaires sent)", "codings": "interview codings",
             "audit": "an evalkit audit form", "audit_manifest": "an audit sample manifest"}
    out = []
    for f in proposal.files:
        what = words.get(f.kind, "not recognised (evalkit check FILE says what it lacks)")
        rows = f" ({f.rows} rows)" if f.rows is not None else ""
        out.append(f"{f.path.name}: {what}{rows}" + (f" — {f.note}" if f.note else ""))
        if not f.guesses:
            continue
        width = max(len(g.column) for g in f.guesses)
        for g in f.guesses:
            if g.header is not None:
                how = CONFIDENCE[g.confidence] + ("" if g.confidence == "exact" else f" ({g.note})")
                out.append(f"  {g.column:<{width}}  <- {g.header!r}: {how}")
            else:
                cand = (f"candidates {', '.join(map(repr, g.candidates))}" if g.candidates
                        else "no candidate column")
                req = "REQUIRED, " if g.column in _required(f) else ""
                out.append(f"  {g.column:<{width}}  TODO ({req}{cand})")
        if f.unused:
            out.append(f"  not used: {', '.join(map(repr, f.unused))}")
    return out

