"""The model of a change: its core components (kärnkomponenter) and how each one is observed.

A :class:`Model` lists the components that must be delivered for the change to count as carried out
as intended (metodtrohet, Carroll et al. 2007 "adherence/content"), and for each one *where* it is
observed and *by which rule*:

``decisions``
    a rule on the columns of the decisions table (``goal_recorded`` is true, ``life_area`` is present,
    ``follow_up_on`` is set …), evaluated per decision;
``audit``
    an item of a case-file audit checklist (``evalkit/data/checklists``): met when the reviewer answered
    "yes", not applicable when "not applicable", not observed for decisions outside the sample;
``visits``
    a visit-log measure per user and window (``continuity``: distinct staff in 14 days by Kolada's
    U21401 rule, met when at most ``at_most``);
``survey``
    a survey item: the share of positive answers per unit and wave.

Decision and audit components are observed per decision and make up the fidelity index; visit-log and
survey components are observed per unit and period and are reported beside it.

A model is read from a dict (what an evaluation config passes), a TOML file or a built-in name
(``"ibic"``, ``"rehab"``, ``"ip"`` — ``evalkit/data/models/*.toml``). It is immutable.

Rules
-----
A rule is a list of conditions that must all hold. A condition names a ``field`` and one test::

    { field = "goal_recorded", is = "true" }          # also "false", "present", "missing"
    { field = "outcome", in = ["granted", "partly"] }  # also not_in
    { field = "qualifier", at_most = 4 }               # also at_least
    { field = "followed_up_on", on_or_before = "follow_up_on", plus_days = 30 }
    { any = [[cond, …], [cond, …]] }                   # at least one group holds (OR of ANDs)

A missing value fails every test except ``is = "missing"`` and ``not_in``.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.errors import AnalysisError, ConfigError

__all__ = ["Condition", "Observation", "Component", "Model", "MODELS_DIR", "BUILTIN_MODELS", "SOURCES",
           "DECISION_SOURCES", "UNIT_SOURCES"]

MODELS_DIR = Path(__file__).resolve().parents[1] / "data" / "models"
BUILTIN_MODELS = ("ibic", "rehab", "ip")
SOURCES = ("decisions", "audit", "visits", "survey")
#: sources observed per decision (they make up the fidelity index)
DECISION_SOURCES = ("decisions", "audit")
#: sources observed per unit and period (reported beside the index)
UNIT_SOURCES = ("visits", "survey")
LANGUAGES = ("sv", "nb", "en")
_IS = ("true", "false", "present", "missing")
_TESTS = ("is", "in", "not_in", "at_most", "at_least", "on_or_before")
VISIT_MEASURES = ("continuity",)


# ----------------------------------------------------------------------------- conditions
@dataclass(frozen=True)
class Condition:
    """One test on one column (or, with ``op="any"``, an OR over AND groups of conditions)."""

    field: str
    op: str
    value: Any = None
    plus_days: int = 0

    @classmethod
    def from_dict(cls, spec: Any, where: str) -> "Condition":
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where}: a condition is a table like {{ field = \"goal_recorded\", is = \"true\" }}, "
                              f"not {spec!r}")
        if "any" in spec:
            groups = spec["any"]
            if not isinstance(groups, list) or not groups:
                raise ConfigError(f"{where}: 'any' needs a list of condition groups")
            parsed = tuple(_rule(g if isinstance(g, list) else [g], f"{where}.any[{i}]") for i, g in enumerate(groups))
            return cls("", "any", parsed)
        name = spec.get("field")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: a condition needs 'field' (a column name)")
        tests = [k for k in _TESTS if k in spec]
        unknown = sorted(set(spec) - {"field", "plus_days", *_TESTS})
        if unknown or len(tests) != 1:
            raise ConfigError(f"{where}: give exactly one of {', '.join(_TESTS)} for field {name!r}"
                              + (f" (unknown keys: {', '.join(unknown)})" if unknown else ""))
        op = tests[0]
        value = spec[op]
        if op == "is" and isinstance(value, bool):  # TOML `is = true` reads as naturally as `is = "true"`
            value = "true" if value else "false"
        if op == "is" and value not in _IS:
            raise ConfigError(f"{where}: 'is' must be one of {', '.join(_IS)}, not {value!r}")
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                raise ConfigError(f"{where}: '{op}' needs a list of values")
            value = tuple(value)
        if op in ("at_most", "at_least") and not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: '{op}' needs a number")
        if op == "on_or_before" and not isinstance(value, str):
            raise ConfigError(f"{where}: 'on_or_before' needs the name of a date column")
        plus = spec.get("plus_days", 0)
        if not isinstance(plus, int) or op != "on_or_before" and "plus_days" in spec:
            raise ConfigError(f"{where}: 'plus_days' is a whole number of days and goes with 'on_or_before'")
        return cls(name, op, value, plus)

    def fields(self) -> set[str]:
        if self.op == "any":
            return {f for group in self.value for c in group for f in c.fields()}
        return {self.field} | ({self.value} if self.op == "on_or_before" else set())

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean array, one value per row of ``frame`` (missing values fail the test)."""
        if self.op == "any":
            out = np.zeros(len(frame), dtype=bool)
            for group in self.value:
                out |= evaluate_rule(group, frame)
            return out
        col = frame[self.field]
        present = col.notna().to_numpy()
        if self.op == "is":
            if self.value == "present":
                return present & _non_blank(col)
            if self.value == "missing":
                return ~(present & _non_blank(col))
            truth = col.astype("boolean").fillna(not (self.value == "true")).to_numpy(dtype=bool)
            return truth if self.value == "true" else ~truth & present
        if self.op in ("in", "not_in"):
            values = _match_values(col, self.value)
            inside = col.isin(values).to_numpy() & present
            return inside if self.op == "in" else ~inside
        if self.op in ("at_most", "at_least"):
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                ok = x <= self.value if self.op == "at_most" else x >= self.value
            return ok & ~np.isnan(x)
        other = pd.to_datetime(frame[self.value], errors="coerce") + pd.Timedelta(days=self.plus_days)
        mine = pd.to_datetime(col, errors="coerce")
        return (mine <= other).fillna(False).to_numpy(dtype=bool)

    def describe(self, language: str = "en") -> str:
        """The condition in compact notation: column names and operators as written in the model, the few
        words between them (recorded, missing, true, false) in ``language``."""
        if self.op == "any":
            return "(" + " | ".join(" & ".join(c.describe(language) for c in g) for g in self.value) + ")"
        if self.op == "is":
            return i18n.text("implementation", f"rule.{self.value}", language, field=self.field)
        if self.op in ("in", "not_in"):
            sign = "∈" if self.op == "in" else "∉"
            return f"{self.field} {sign} {{{', '.join(str(v) for v in self.value)}}}"
        if self.op in ("at_most", "at_least"):
            return f"{self.field} {'≤' if self.op == 'at_most' else '≥'} {self.value:g}"
        plus = f" + {self.plus_days} d" if self.plus_days else ""
        return f"{self.field} ≤ {self.value}{plus}"


def _non_blank(col: pd.Series) -> np.ndarray:
    if col.dtype == object or pd.api.types.is_string_dtype(col):
        return (col.astype("string").str.strip().fillna("") != "").to_numpy(dtype=bool)
    return np.ones(len(col), dtype=bool)


def _match_values(col: pd.Series, values: tuple) -> list:
    """Values to compare with ``isin``: numbers as numbers for numeric columns, else as text too."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return list(values) + [str(v) for v in values]


def _rule(items: Any, where: str) -> tuple[Condition, ...]:
    if items is None:
        return ()
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list):
        raise ConfigError(f"{where}: a rule is a list of conditions")
    return tuple(Condition.from_dict(c, f"{where}[{i}]") for i, c in enumerate(items))


def evaluate_rule(rule: tuple[Condition, ...], frame: pd.DataFrame) -> np.ndarray:
    """All conditions hold (an empty rule holds everywhere)."""
    out = np.ones(len(frame), dtype=bool)
    for condition in rule:
        out &= condition.evaluate(frame)
    return out


def describe_rule(rule: tuple[Condition, ...], language: str = "en") -> str:
    return " & ".join(c.describe(language) for c in rule) if rule else "—"


# ----------------------------------------------------------------------------- components
@dataclass(frozen=True)
class Observation:
    """Where and by which rule a component is observed.

    Attributes
    ----------
    source : {"decisions", "audit", "visits", "survey"}
    met : tuple of Condition
        ``decisions``: the rule a decision meets.
    item : str, optional
        ``audit``: the checklist item id (met = "yes"); ``survey``: the survey item (met = positive).
    measure : str, optional
        ``visits``: ``"continuity"`` (distinct staff in 14 days, Kolada U21401).
    at_most : float, optional
        ``visits``: the user meets the component with at most this many distinct staff.
    """

    source: str
    met: tuple[Condition, ...] = ()
    item: str | None = None
    measure: str | None = None
    at_most: float | None = None

    @classmethod
    def from_dict(cls, spec: Any, where: str) -> "Observation":
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where}: 'observation' is a table with 'source' and its rule")
        source = spec.get("source")
        if source not in SOURCES:
            raise ConfigError(f"{where}: source must be one of {', '.join(SOURCES)}, not {source!r}")
        allowed = {"decisions": {"source", "met"}, "audit": {"source", "item"}, "survey": {"source", "item"},
                   "visits": {"source", "measure", "at_most"}}[source]
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} for source {source!r} "
                              f"(it takes {', '.join(sorted(allowed - {'source'}))})")
        if source == "decisions":
            met = _rule(spec.get("met"), f"{where}.met")
            if not met:
                raise ConfigError(f"{where}: a decisions observation needs 'met' (a list of conditions)")
            return cls(source, met=met)
        if source in ("audit", "survey"):
            item = spec.get("item")
            if not isinstance(item, str) or not item:
                raise ConfigError(f"{where}: a {source} observation needs 'item'")
            return cls(source, item=item)
        measure = spec.get("measure", "continuity")
        if measure not in VISIT_MEASURES:
            raise ConfigError(f"{where}: measure must be one of {', '.join(VISIT_MEASURES)}")
        at_most = spec.get("at_most")
        if not isinstance(at_most, (int, float)) or isinstance(at_most, bool):
            raise ConfigError(f"{where}: a visits observation needs 'at_most' (a number of staff)")
        return cls(source, measure=measure, at_most=float(at_most))

    def describe(self, language: str = "en") -> str:
        if self.source == "decisions":
            return describe_rule(self.met, language)
        values = {"item": self.item, "measure": self.measure,
                  "at_most": f"{self.at_most:g}" if self.at_most is not None else ""}
        return i18n.text("implementation", f"rule.{self.source}", language, **values)


@dataclass(frozen=True)
class Component:
    """A core component: id, labels in sv/nb/en, how it is observed, and to which cases it applies.

    ``applies`` is a rule on the decisions (empty: every eligible decision); ``audit_item`` names the
    checklist item that checks the same thing in a case-file audit (a cross-reference for the report).
    """

    id: str
    labels: Mapping[str, str]
    observation: Observation
    applies: tuple[Condition, ...] = ()
    audit_item: str | None = None

    def label(self, language: str = "sv") -> str:
        return self.labels.get(language) or self.labels.get("en") or self.id

    @property
    def source(self) -> str:
        return self.observation.source

    @property
    def per_decision(self) -> bool:
        return self.source in DECISION_SOURCES


@dataclass(frozen=True)
class Model:
    """The core components of a change and its eligible population; immutable.

    Attributes
    ----------
    name, version : str
    labels : mapping
        The model's name per language (``sv``, ``nb``, ``en``).
    components : tuple of Component
    eligible : tuple of Condition
        The rule that makes a decision part of the population the model applies to.
    eligible_text : mapping
        The eligible population in words per language.
    checklist : str, optional
        The audit checklist whose items the components refer to.
    source : str
        Where the components come from (citation).

    Examples
    --------
    >>> m = Model.builtin("ibic")
    >>> [c.id for c in m.components][:2]
    ['needs_by_life_area', 'own_view_recorded']
    >>> m.component("goal_recorded").label("sv")
    'Mål dokumenterat'
    """

    name: str
    version: str
    labels: Mapping[str, str]
    components: tuple[Component, ...]
    eligible: tuple[Condition, ...] = ()
    eligible_text: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    checklist: str | None = None
    source: str = ""

    # -- construction ----------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping, where: str = "model") -> "Model":
        """A model from a dict shaped like the built-in TOML files (an evaluation config passes one)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: a model is a table with name, title and [[components]]")
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: the model needs a 'name'")
        raw = data.get("components")
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f"{where}: the model needs at least one [[components]] entry")
        components = tuple(_component(c, f"{where}.components[{i}]") for i, c in enumerate(raw))
        ids = [c.id for c in components]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ConfigError(f"{where}: component id(s) {', '.join(dup)} appear more than once")
        eligible = data.get("eligible", {})
        if not isinstance(eligible, Mapping):
            raise ConfigError(f"{where}.eligible: a table with 'rule' and labels sv/nb/en")
        return cls(name=name, version=str(data.get("version", "1")), labels=_labels(data.get("title", {}), name),
                   components=components, eligible=_rule(eligible.get("rule"), f"{where}.eligible.rule"),
                   eligible_text=_labels({k: v for k, v in eligible.items() if k in LANGUAGES}, ""),
                   checklist=data.get("checklist"), source=str(data.get("source", "")))

    @classmethod
    def from_toml(cls, path: str | Path) -> "Model":
        """Read a model from a TOML file (the format of ``evalkit/data/models/ibic.toml``)."""
        path = Path(path)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"model file {path} not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"model file {path}: not valid TOML ({exc})") from None
        return cls.from_dict(data, where=str(path.name))

    @classmethod
    def builtin(cls, name: str) -> "Model":
        """One of the shipped models: ``"ibic"``, ``"rehab"`` or ``"ip"`` (Norway's individuell plan)."""
        if name not in BUILTIN_MODELS:
            raise ConfigError(f"no built-in model {name!r}; choose one of {', '.join(BUILTIN_MODELS)} "
                              "or give a dict / TOML file")
        return cls.from_toml(MODELS_DIR / f"{name}.toml")

    @classmethod
    def load(cls, model: "Model | Mapping | str | Path") -> "Model":
        """A Model as it is, a dict, a built-in name or a path to a TOML file."""
        if isinstance(model, Model):
            return model
        if isinstance(model, Mapping):
            return cls.from_dict(model)
        if isinstance(model, str) and model in BUILTIN_MODELS:
            return cls.builtin(model)
        if isinstance(model, (str, Path)) and str(model).endswith(".toml"):
            return cls.from_toml(model)
        raise ConfigError(f"model must be a Model, a dict, one of {', '.join(BUILTIN_MODELS)} or a .toml path, "
                          f"not {model!r}")

    # -- access ----------------------------------------------------------
    def label(self, language: str = "sv") -> str:
        return self.labels.get(language) or self.labels.get("en") or self.name

    def component(self, component_id: str) -> Component:
        for c in self.components:
            if c.id == component_id:
                return c
        raise KeyError(component_id)

    @property
    def component_ids(self) -> list[str]:
        return [c.id for c in self.components]

    @property
    def decision_components(self) -> tuple[Component, ...]:
        """Components observed per decision (decisions file or audit): they make up the fidelity index."""
        return tuple(c for c in self.components if c.per_decision)

    @property
    def unit_components(self) -> tuple[Component, ...]:
        """Components observed per unit and period (visit log, survey)."""
        return tuple(c for c in self.components if not c.per_decision)

    def fields(self) -> set[str]:
        """Decision columns the model's rules read."""
        out = {f for c in self.eligible for f in c.fields()}
        for comp in self.components:
            out |= {f for c in comp.applies for f in c.fields()}
            out |= {f for c in comp.observation.met for f in c.fields()}
        return out

    def to_frame(self, language: str = "sv") -> pd.DataFrame:
        """One row per component: ``id, label, source, rule, applies, audit_item``."""
        return pd.DataFrame([{"id": c.id, "label": c.label(language), "source": c.source,
                              "rule": c.observation.describe(language),
                              "applies": describe_rule(c.applies, language),
                              "audit_item": c.audit_item or ""} for c in self.components])

    def check_columns(self, frame: pd.DataFrame, what: str = "decisions") -> None:
        """Refuse a table lacking a column the eligible rule or a decisions-sourced rule reads."""
        need = {f for c in self.eligible for f in c.fields()}
        for comp in self.decision_components:
            need |= {f for c in comp.applies for f in c.fields()}
            need |= {f for c in comp.observation.met for f in c.fields()}
        missing = sorted(need - set(frame.columns))
        if missing:
            raise AnalysisError(f"model {self.name!r} reads column(s) {', '.join(missing)}, which the {what} "
                                f"table lacks; it has {', '.join(map(str, frame.columns))}")

    def __repr__(self) -> str:
        return f"Model({self.name!r}, components={self.component_ids})"


def _labels(spec: Any, fallback: str) -> Mapping[str, str]:
    if isinstance(spec, str):
        return MappingProxyType({lang: spec for lang in LANGUAGES})
    if not isinstance(spec, Mapping):
        spec = {}
    out = {lang: str(spec[lang]) for lang in LANGUAGES if spec.get(lang)}
    if fallback and not out:
        out = {lang: fallback for lang in LANGUAGES}
    return MappingProxyType(out)


def _component(spec: Any, where: str) -> Component:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: a component is a table with id, sv/nb/en labels and an observation")
    cid = spec.get("id")
    if not isinstance(cid, str) or not cid.isidentifier():
        raise ConfigError(f"{where}: a component needs an 'id' (letters, digits and _), not {cid!r}")
    missing = [lang for lang in LANGUAGES if not spec.get(lang)]
    if missing:
        raise ConfigError(f"{where} ({cid}): label(s) {', '.join(missing)} missing (give sv, nb and en)")
    if "observation" not in spec:
        raise ConfigError(f"{where} ({cid}): 'observation' missing (source and rule)")
    observation = Observation.from_dict(spec["observation"], f"{where}.observation")
    applies = _rule(spec.get("applies"), f"{where}.applies")
    return Component(id=cid, labels=_labels({k: spec[k] for k in LANGUAGES}, cid), observation=observation,
                     applies=applies, audit_item=spec.get("audit_item"))
