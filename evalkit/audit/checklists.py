"""Audit checklists: the items a reviewer checks in each sampled case file.

A checklist is data, kept as TOML (``evalkit/data/checklists/*.toml`` for the
built-in ones): a name, a version, stages and items, each with text in
Swedish (``sv``), Norwegian bokmål (``nb``) and English (``en``). The same
:class:`Checklist` object makes the dropdowns of a form and re-validates the
answers read back from it, so the two cannot drift apart.

Answers are on one fixed four-level scale, stored as codes ``yes``,
``partly``, ``no``, ``na`` and shown in the form's language.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from evalkit import i18n
from evalkit._files import read_toml
from evalkit.errors import ConfigError

__all__ = ["Checklist", "Item", "Stage", "load_checklist", "BUILTIN", "ANSWERS", "ANSWER_CODES", "LANGUAGES"]

LANGUAGES = ("sv", "nb", "en")
BUILTIN = ("ibic", "genomforandeplan", "individuell_plan")

#: Answer codes (stored) → label per language (shown in the form's dropdown).
ANSWERS = i18n.by_language("audit", "answers")
ANSWER_CODES = ("yes", "partly", "no", "na")

#: What each answer means; shown on the instructions sheet.
ANSWER_DEFINITIONS = i18n.by_language("audit", "answer_definitions")


@dataclass(frozen=True)
class Stage:
    id: str
    labels: dict

    def label(self, language: str) -> str:
        return self.labels.get(language) or next(iter(self.labels.values()))


@dataclass(frozen=True)
class Item:
    id: str
    stage: str
    text: dict

    def question(self, language: str) -> str:
        return self.text[language]


@dataclass(frozen=True)
class Checklist:
    """A named, versioned list of audit items grouped in stages."""

    name: str
    version: str
    title: dict
    stages: tuple[Stage, ...]
    items: tuple[Item, ...]
    source: str = ""
    #: the source as a report states it, per language (``[source_text]``); left out of :attr:`sha256`,
    #: which identifies the items reviewers answered, so filled forms stay valid when it is reworded
    source_text: dict = field(default_factory=dict, compare=False)

    def source_in(self, language: str) -> str:
        """The checklist's source in ``language`` (its ``[source_text]``), else the plain ``source``."""
        return self.source_text.get(language) or self.source

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.items]

    @property
    def languages(self) -> list[str]:
        """Languages in which every item has a text."""
        return [lang for lang in LANGUAGES if all(lang in i.text for i in self.items)]

    def stage_of(self, item_id: str) -> str:
        return next(i.stage for i in self.items if i.id == item_id)

    def stage_label(self, stage_id: str, language: str) -> str:
        return next(s.label(language) for s in self.stages if s.id == stage_id)

    def check_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
        if language not in self.languages:
            raise ConfigError(
                f"checklist {self.name!r} has no text in {language!r} for every item; "
                f"available: {', '.join(self.languages) or 'none complete'}"
            )

    def to_dict(self) -> dict:
        return {
            "name": self.name, "version": self.version, "title": dict(self.title), "source": self.source,
            "stages": [{"id": s.id, **s.labels} for s in self.stages],
            "items": [{"id": i.id, "stage": i.stage, **i.text} for i in self.items],
        }

    @property
    def sha256(self) -> str:
        """Hash of the checklist's content (any wording change gives a new hash)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def load_checklist(checklist: "str | Path | Checklist") -> Checklist:
    """A built-in checklist by name, or a custom one from a TOML file.

    Parameters
    ----------
    checklist : str, Path or Checklist
        ``"ibic"`` (IBIC case-file audit, A1–E3), ``"genomforandeplan"``
        (the eleven implementation-plan items of Botkyrka's guideline) or
        ``"individuell_plan"`` (Norway, § 19 content and Bergen's checks);
        otherwise the path of a TOML file of the same layout as the built-in
        ones (``name``, ``version``, ``[title]``, ``[[stages]]`` with ``id`` and
        one text per language, ``[[items]]`` with ``id``, ``stage`` and one
        text per language).

    Returns
    -------
    Checklist

    Raises
    ------
    ConfigError
        Naming the key path of the problem.

    Examples
    --------
    >>> c = load_checklist("ibic")
    >>> c.item_ids[:3], len(c.items)
    (['A1', 'A2', 'A3'], 20)
    """
    if isinstance(checklist, Checklist):
        return checklist
    if isinstance(checklist, str) and checklist in BUILTIN:
        text = resources.files("evalkit").joinpath("data", "checklists", f"{checklist}.toml").read_text("utf-8")
        return _parse(tomllib.loads(text), f"built-in checklist {checklist!r}")
    path = Path(checklist)
    if not path.is_file():
        raise ConfigError(f"checklist {str(checklist)!r} is neither a built-in checklist "
                          f"({', '.join(BUILTIN)}) nor an existing TOML file")
    return _parse(read_toml(path, "checklist"), path.name)


def _parse(data: dict, where: str) -> Checklist:
    def need(mapping: dict, key: str, path: str, kind=str):
        if key not in mapping:
            raise ConfigError(f"{where}: missing key '{path}{key}'")
        value = mapping[key]
        if not isinstance(value, kind):
            raise ConfigError(f"{where}: '{path}{key}' must be a {kind.__name__}")
        return value

    name = need(data, "name", "")
    version = str(data.get("version", "1"))
    stages = []
    for k, s in enumerate(need(data, "stages", "", list)):
        sid = need(s, "id", f"stages[{k}].")
        stages.append(Stage(sid, {lang: s[lang] for lang in LANGUAGES if lang in s}))
    stage_ids = {s.id for s in stages}
    items, seen = [], set()
    for k, it in enumerate(need(data, "items", "", list)):
        iid = need(it, "id", f"items[{k}].")
        stage = need(it, "stage", f"items[{k}].")
        if iid in seen:
            raise ConfigError(f"{where}: items[{k}].id {iid!r} is used twice")
        if stage not in stage_ids:
            raise ConfigError(f"{where}: items[{k}].stage {stage!r} is not one of the stages "
                              f"({', '.join(sorted(stage_ids))})")
        text = {lang: it[lang] for lang in LANGUAGES if lang in it}
        if not text:
            raise ConfigError(f"{where}: items[{k}] ({iid}) has no text; give one of keys {', '.join(LANGUAGES)}")
        seen.add(iid)
        items.append(Item(iid, stage, text))
    if not items:
        raise ConfigError(f"{where}: the checklist has no items")
    title = data.get("title", {})
    if isinstance(title, str):
        title = {lang: title for lang in LANGUAGES}
    source_text = data.get("source_text", {})
    if not isinstance(source_text, dict) or not all(isinstance(v, str) for v in source_text.values()):
        raise ConfigError(f"{where}: [source_text] must be a table of texts by language ({', '.join(LANGUAGES)})")
    return Checklist(name, version, dict(title), tuple(stages), tuple(items), str(data.get("source", "")),
                     {k: v for k, v in source_text.items() if k in LANGUAGES})
