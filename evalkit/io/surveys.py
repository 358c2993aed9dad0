"""Survey responses with their codebook: :func:`load_survey` → :class:`Survey`.

A survey file holds one row per respondent: the answers to each item (as text
labels or numeric codes) plus, where known, ``respondent_id, wave, unit, group,
weight, stratum, cluster, fpc, answered_by``. The :class:`Codebook` says, per
item, its text, its response scale in questionnaire order (best first), which
answers count as positive and which are "don't know / no opinion" (left out of
the denominator of the share positive, domain.md §2.3), and its domain.

Where the codebook comes from:

1. ``codebook=`` a TOML (or, with PyYAML installed, YAML) file or a
   :class:`Codebook`;
2. else the built-in codebook of the national elderly-care survey
   (``evalkit/data/codebooks/aldreomsorg_hemtjanst.toml``) when the file's
   columns are its item names;
3. else, for SPSS .sav, the file's own value labels: every labelled numeric
   column is an item, its labels in code order are the scale and labelled
   user-missing codes are "don't know" (no answer counts as positive, so
   share positive needs a codebook; distributions and ordinal models do not).

Every answer is checked: an unknown label, a code outside the scale or an
item missing from the codebook is a :class:`~evalkit.errors.DataError` naming
the item and the rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from evalkit._files import read_toml
from evalkit.errors import ConfigError, DataError, Problem
from evalkit.io.read import READ_ATTR, read_table
from evalkit.privacy import check_config, check_identifiers, check_path, safe_value
from evalkit.provenance import LoadRecord, attach, record_of

__all__ = [
    "Scale",
    "Item",
    "Codebook",
    "Survey",
    "load_survey",
    "load_codebook",
    "BUILTIN_CODEBOOKS",
    "META_COLUMNS",
    "ANSWERED_BY",
]

CODEBOOK_DIR = Path(__file__).resolve().parent.parent / "data" / "codebooks"
#: name → path of the codebooks shipped with evalkit
BUILTIN_CODEBOOKS = {name: CODEBOOK_DIR / f"{name}.toml" for name in ("aldreomsorg_hemtjanst", "hme", "stress_elo")}

#: canonical non-item columns and the header aliases (sv/nb/en) that map to them
META_COLUMNS: dict[str, tuple[str, ...]] = {
    "respondent_id": ("respondent_id", "löpnr", "lopnr", "id", "respondent", "idno", "respondent_nr"),
    "wave": ("wave", "år", "ar", "year", "omgång", "omgang", "period", "tidpunkt", "tidspunkt", "tid", "måling"),
    "unit": ("unit", "enhet", "distrikt", "district", "område", "omrade", "grupp_enhet", "avdeling"),
    "group": ("group", "grupp", "gruppe", "yrke", "yrkesgrupp", "profession", "stilling", "yrkesgruppe"),
    "weight": ("weight", "vikt", "vekt", "pw"),
    "stratum": ("stratum", "strata"),
    "cluster": ("cluster", "kluster", "psu"),
    "fpc": ("fpc", "populationsstorlek"),
    "answered_by": ("answered_by", "vem_besvarade", "besvarad_av", "hvem_svarte"),
}
#: canonical values of ``answered_by``
ANSWERED_BY = ("self", "with_help", "other")


@dataclass(frozen=True)
class Scale:
    """A response scale: answer labels best first, with the positive, negative and don't-know sets."""

    name: str
    labels: tuple[str, ...]
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    dont_know: tuple[str, ...] = ()
    codes: tuple[float, ...] | None = None
    #: labels run best first (codebooks) or in code order (scales read from .sav value labels)
    ascending: bool = False

    @property
    def neutral(self) -> tuple[str, ...]:
        return tuple(x for x in self.labels if x not in self.positive and x not in self.negative)

    @property
    def all_labels(self) -> tuple[str, ...]:
        return self.labels + self.dont_know

    def code_map(self) -> dict[float, str]:
        """Numeric code → label (labels first, then don't-know labels)."""
        if self.codes is None:
            return {}
        return {float(c): lab for c, lab in zip(self.codes, self.all_labels)}

    def rank(self) -> dict[str, int]:
        """Label → ordinal rank, 1 = worst … k = best (code order for .sav scales; don't know: none)."""
        k = len(self.labels)
        return {lab: (i + 1 if self.ascending else k - i) for i, lab in enumerate(self.labels)}


@dataclass(frozen=True)
class Item:
    """One question: its name in the file, text (per language), scale and domain."""

    item: str
    text: str
    scale: Scale
    domain: str = ""
    overall: bool = False
    texts: Mapping[str, str] = field(default_factory=dict)
    #: short labels for tables and figure legends (codebook keys ``label``, ``label_en``, ``label_nb``)
    labels: Mapping[str, str] = field(default_factory=dict)

    def text_in(self, language: str) -> str:
        return self.texts.get(language) or self.text

    def label_in(self, language: str) -> str:
        """The short label in ``language`` (the Swedish one, else the full question, when missing)."""
        return self.labels.get(language) or self.labels.get("sv") or self.text_in(language)


@dataclass
class Codebook:
    """Items of a survey, their scales, and the coding of "who answered"."""

    items: dict[str, Item]
    answered_by: dict[str, str] = field(default_factory=dict)
    answered_by_codes: dict[float, str] = field(default_factory=dict)
    name: str = ""
    source: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item, text, scale, positive, dont_know, domain`` (DESIGN.md)."""
        rows = [{"item": it.item, "text": it.text, "scale": " / ".join(it.scale.labels),
                 "positive": " / ".join(it.scale.positive), "dont_know": " / ".join(it.scale.dont_know),
                 "domain": it.domain} for it in self.items.values()]
        return pd.DataFrame(rows, columns=["item", "text", "scale", "positive", "dont_know", "domain"])

    @property
    def overall_item(self) -> str | None:
        return next((k for k, it in self.items.items() if it.overall), None)


@dataclass
class Survey:
    """Survey responses (one row per respondent) with their codebook.

    Attributes
    ----------
    responses : DataFrame
        Canonical columns that exist among ``respondent_id, wave, unit, group,
        weight, stratum, cluster, fpc, answered_by`` plus one column per item
        holding the answer label as a Categorical (categories = scale labels
        best first, then don't-know labels); no answer is NA. Index = the
        file's row numbers. Provenance in ``attrs["evalkit_provenance"]``.
    codebook : Codebook
    sent : DataFrame or None
        Questionnaires sent, ``wave, unit, sent`` (for the response rate).
    user_missing : dict
        For .sav: item → user-missing codes declared in the file.
    """

    responses: pd.DataFrame
    codebook: Codebook
    sent: pd.DataFrame | None = None
    user_missing: dict = field(default_factory=dict)

    @property
    def items(self) -> list[str]:
        return [c for c in self.codebook.items if c in self.responses.columns]

    @property
    def records(self) -> list:
        """LoadRecords of the responses and the mailing list (for the provenance appendix)."""
        return [record_of(f) for f in (self.responses, self.sent) if f is not None]

    def __len__(self) -> int:
        return len(self.responses)

    def __repr__(self) -> str:
        waves = sorted(self.responses["wave"].dropna().unique()) if "wave" in self.responses else []
        return (f"Survey({len(self)} respondents, {len(self.items)} items"
                + (f", waves {waves[0]}–{waves[-1]}" if waves else "") + ")")


# ------------------------------------------------------------------------------------- codebooks

def load_codebook(source: str | Path | Mapping) -> Codebook:
    """Read a codebook from TOML/YAML, a built-in name or an already parsed mapping.

    Parameters
    ----------
    source : str, Path or mapping
        A built-in name (``"aldreomsorg_hemtjanst"``), a ``.toml``/``.yaml``
        path, or the parsed mapping with ``[scales.<name>]`` tables
        (``labels``, ``positive``, ``negative``, ``dont_know``, ``codes``), an
        ``[[items]]`` array (``item``, ``text``, ``scale``, ``domain``,
        ``overall``, ``text_en``/``text_nb``, a short ``label``/``label_en``/``label_nb`` for tables and
        figures) and optionally ``[answered_by]``.

    Examples
    --------
    >>> cb = load_codebook("aldreomsorg_hemtjanst")
    >>> cb.items["helhet_nojd"].scale.positive
    ('Mycket nöjd', 'Ganska nöjd')
    """
    if isinstance(source, Mapping):
        check_config(dict(source), what="The codebook")   # item texts and labels reach the report
        return _codebook_from_mapping(source, "codebook")
    name = str(source)
    path = BUILTIN_CODEBOOKS.get(name, Path(name))
    check_path(path, what="The codebook file")
    if not path.is_file():
        raise ConfigError(f"codebook {safe_value(repr(name))} not found; give a .toml/.yaml path or one of "
                          f"{', '.join(BUILTIN_CODEBOOKS)}")
    raw = _parse_codebook_file(path)
    check_config(raw if isinstance(raw, Mapping) else {"codebook": raw}, file=path, what="The codebook file")
    return _codebook_from_mapping(raw, path.name)


def _parse_codebook_file(path: Path) -> dict:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ConfigError(f"{path.name}: reading YAML codebooks needs PyYAML (pip install pyyaml); "
                              "or write the codebook as TOML") from None
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path.name}: not valid YAML ({exc})") from None
    return read_toml(path, "codebook")


def _codebook_from_mapping(raw: Mapping, where: str) -> Codebook:
    scales = {name: _scale(name, spec, where) for name, spec in (raw.get("scales") or {}).items()}
    items: dict[str, Item] = {}
    for i, spec in enumerate(raw.get("items") or [], start=1):
        name, scale = spec.get("item"), spec.get("scale")
        if not name or scale not in scales:
            raise ConfigError(f"{where}: item {i} needs 'item' and a 'scale' defined under [scales] "
                              f"(got item={name!r}, scale={scale!r})")
        texts = {lang: spec[f"text_{lang}"] for lang in ("sv", "nb", "en") if f"text_{lang}" in spec}
        labels = {lang: spec[key] for lang, key in (("sv", "label"), ("nb", "label_nb"), ("en", "label_en"))
                  if key in spec}
        items[name] = Item(item=name, text=spec.get("text", name), scale=scales[scale],
                           domain=spec.get("domain", ""), overall=bool(spec.get("overall", False)),
                           texts=texts, labels=labels)
    if not items:
        raise ConfigError(f"{where}: the codebook lists no [[items]]")
    by = dict(raw.get("answered_by") or {})
    codes = {float(k): v for k, v in (by.pop("codes", None) or {}).items()}
    by.pop("column", None)
    bad = {v for v in by.values() if v not in ANSWERED_BY}
    if bad:
        raise ConfigError(f"{where}: [answered_by] values must be one of {ANSWERED_BY}, got {sorted(bad)}")
    meta = raw.get("codebook") or {}
    return Codebook(items=items, answered_by=by, answered_by_codes=codes,
                    name=meta.get("name", ""), source=meta.get("source", ""))


def _scale(name: str, spec: Mapping, where: str) -> Scale:
    labels = tuple(str(x) for x in spec.get("labels") or ())
    dont_know = tuple(str(x) for x in spec.get("dont_know") or ())
    positive = tuple(str(x) for x in spec.get("positive") or ())
    negative = tuple(str(x) for x in spec.get("negative") or ())
    if len(labels) < 2:
        raise ConfigError(f"{where}: scale {name!r} needs at least two labels")
    stray = [x for x in positive + negative if x not in labels]
    if stray:
        raise ConfigError(f"{where}: scale {name!r}: positive/negative answers {stray} are not among its labels")
    codes = spec.get("codes")
    if codes is not None and len(codes) != len(labels) + len(dont_know):
        raise ConfigError(f"{where}: scale {name!r} has {len(labels) + len(dont_know)} labels "
                          f"(don't-know included) but {len(codes)} codes")
    return Scale(name, labels, positive, negative, dont_know,
                 tuple(float(c) for c in codes) if codes is not None else None)


def _codebook_from_sav(meta: dict, frame: pd.DataFrame) -> tuple[Codebook, dict]:
    """Items from .sav value labels: codes in order; labelled user-missing codes = don't know.

    A scale labelled only at its ends (ESS "0 No trust at all … 10 Complete
    trust") gets every whole number between them, unlabelled ones named by
    their code. A labelled column whose values fall outside its labelled range
    (a year with labelled missing codes) is not an item.
    """
    items, user_missing = {}, {}
    for col in frame.columns:
        labels = meta["value_labels"].get(col)
        if not labels:
            continue
        miss = meta["user_missing"].get(col, {"values": [], "ranges": []})
        codes = sorted(float(k) for k in labels if isinstance(k, (int, float)))
        if len(codes) < 2:
            continue
        is_missing = [_in_missing(c, miss) for c in codes]
        valid = [c for c, m in zip(codes, is_missing) if not m]
        dk = [c for c, m in zip(codes, is_missing) if m]
        lab = {float(k): str(v) for k, v in labels.items() if isinstance(k, (int, float))}
        if len(valid) < 2 or len({lab[c] for c in valid + dk}) != len(valid + dk):
            continue  # labels repeated across codes cannot name answers unambiguously
        valid = _filled_range(valid, frame[col], dk)
        if valid is None:
            continue
        names = tuple(lab.get(c, _code_name(c)) for c in valid)
        if len(set(names) | {lab[c] for c in dk}) != len(valid) + len(dk):
            continue
        scale = Scale(name=col, labels=names, dont_know=tuple(lab[c] for c in dk),
                      codes=tuple(valid + dk), ascending=True)
        items[col] = Item(item=col, text=meta["variable_labels"].get(col) or col, scale=scale)
        user_missing[col] = miss
    return Codebook(items=items, name="value labels of the .sav file"), user_missing


def _filled_range(valid: list[float], values: pd.Series, dk: list[float]) -> list[float] | None:
    if not pd.api.types.is_numeric_dtype(values.dtype):
        return None
    seen = values.dropna().astype(float)
    seen = seen[~seen.isin(dk)]
    if seen.isin(valid).all():
        return valid
    lo, hi = min(valid), max(valid)
    whole = all(float(c).is_integer() for c in valid) and (seen % 1 == 0).all()
    if whole and seen.between(lo, hi).all() and hi - lo <= 20:
        return [float(c) for c in range(int(lo), int(hi) + 1)]
    return None


def _code_name(code: float) -> str:
    return str(int(code)) if float(code).is_integer() else str(code)


def _in_missing(code: float, miss: dict) -> bool:
    return code in [float(v) for v in miss["values"] if isinstance(v, (int, float))] or any(
        lo <= code <= hi for lo, hi in miss["ranges"])


# ----------------------------------------------------------------------------------------- loading

def load_survey(path, codebook=None, *, sheet=None, sent=None) -> Survey:
    """Load survey responses (.csv, .xlsx or SPSS .sav) and check every answer against a codebook.

    Parameters
    ----------
    path : str or Path
        One row per respondent; items as answer text or numeric codes.
    codebook : str, Path, mapping or Codebook, optional
        See the module docstring for what is used when it is None.
    sheet : str, optional
        Excel sheet.
    sent : str, Path or DataFrame, optional
        Questionnaires sent per ``wave`` (and ``unit``): columns ``wave[, unit], sent``.

    Returns
    -------
    Survey

    Raises
    ------
    DataError
        Unknown answer labels, codes outside the scale, columns that are
        neither items of the codebook nor known meta columns, or a file
        without any codebook item (each naming item and rows).
    IdentifierError
        A personal identity number anywhere in the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "enkat.csv"
    >>> _ = p.write_text("år;enhet;helhet_nojd\\n2019;Norr;Mycket nöjd\\n2019;Norr;Vet inte, ingen åsikt\\n",
    ...                  encoding="utf-8")
    >>> s = load_survey(p)
    >>> s.responses["helhet_nojd"].tolist()
    ['Mycket nöjd', 'Vet inte, ingen åsikt']
    """
    p = Path(path)
    frame = read_table(p, sheet)
    info = frame.attrs[READ_ATTR]
    check_identifiers(frame, file=p.name, sheet=sheet)
    frame = _canonical_meta(frame)
    sav_meta = info.sav_meta
    user_missing: dict = {}
    if isinstance(codebook, Codebook):
        cb = codebook
    elif codebook is not None:
        cb = load_codebook(codebook)
    else:
        builtin = load_codebook("aldreomsorg_hemtjanst")
        if any(c in builtin.items for c in frame.columns):
            cb = builtin
        elif sav_meta is not None:
            cb, user_missing = _codebook_from_sav(sav_meta, frame)
        else:
            raise DataError(f"{p.name}: no codebook given and no column is an item of the built-in codebook "
                            f"({', '.join(list(builtin.items)[:4])}, …); pass codebook=",
                            [Problem("no codebook", file=str(p))])
    items = [c for c in cb.items if c in frame.columns]
    if not items:
        raise DataError(f"{p.name}: none of the codebook's items ({', '.join(list(cb.items)[:5])}, …) "
                        "is a column of the file", [Problem("no items", file=str(p))])
    if codebook is not None or sav_meta is None:
        _refuse_unknown_columns(frame, cb, p)
    out = {c: frame[c] for c in META_COLUMNS if c in frame.columns}
    for item in items:
        value_labels = (sav_meta or {}).get("value_labels", {}).get(item)
        out[item] = _answers(frame[item], cb.items[item].scale, value_labels, item, p)
    if "answered_by" in out:
        out["answered_by"] = _answered_by(frame["answered_by"], cb, p)
    responses = pd.DataFrame(out, index=frame.index)
    record = record_of(frame)
    attach(responses, LoadRecord(table="survey", source=record.source, rows_read=record.rows_read,
                                 rows_kept=len(responses), exclusions=list(record.exclusions),
                                 notes=list(record.notes) + [f"codebook: {cb.name or 'given'}"]))
    return Survey(responses=responses, codebook=cb, sent=_sent_table(sent), user_missing=user_missing)


def _canonical_meta(frame: pd.DataFrame) -> pd.DataFrame:
    rename = {}
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for canon, aliases in META_COLUMNS.items():
        hit = next((lower[a] for a in aliases if a in lower), None)
        if hit is not None and canon not in frame.columns:
            rename[hit] = canon
    out = frame.rename(columns=rename)
    out.attrs = frame.attrs
    return out


def _refuse_unknown_columns(frame: pd.DataFrame, cb: Codebook, p: Path) -> None:
    unknown = [c for c in frame.columns if c not in cb.items and c not in META_COLUMNS]
    if unknown:
        raise DataError(
            f"{p.name}: column(s) {unknown} are not items of the codebook nor known columns "
            f"({', '.join(META_COLUMNS)}); add them to the codebook or drop them",
            [Problem("item missing from codebook", file=str(p), column=str(c)) for c in unknown])


def _answers(col: pd.Series, scale: Scale, value_labels, item: str, p: Path) -> pd.Series:
    present = col.dropna()
    if pd.api.types.is_numeric_dtype(col.dtype):
        mapping = scale.code_map()
        if value_labels:  # the file's own labels first; they must name answers of the scale
            mapping = {**mapping, **{float(k): str(v) for k, v in value_labels.items()
                                     if str(v) in scale.all_labels}}
        if not mapping:
            raise DataError(f"{p.name}: item '{item}' holds numeric codes but its scale "
                            f"'{scale.name}' has no codes; add codes = [...] to the codebook",
                            [Problem("no codes", file=str(p), column=item)])
        codes = present.astype(float)
        bad = codes[~codes.isin(list(mapping))]
        _raise_bad(bad, item, p, f"codes outside the scale ({sorted(mapping)})")
        labels = col.astype("Float64").map(lambda v: mapping.get(float(v)) if pd.notna(v) else None)
    else:
        text = col.astype("string").str.strip()
        text = text.mask(text == "")
        bad = text.dropna()[~text.dropna().isin(scale.all_labels)]
        _raise_bad(bad, item, p, f"answers not in the scale ({' / '.join(scale.all_labels)})")
        labels = text
    return pd.Series(pd.Categorical(labels.astype(object).where(labels.notna(), None),
                                    categories=list(scale.all_labels)), index=col.index, name=item)


def _raise_bad(bad: pd.Series, item: str, p: Path, what: str) -> None:
    if bad.empty:
        return
    rows = [int(r) for r in bad.index]
    values = sorted({safe_value(v) for v in bad})[:5]   # a typed-in answer may hold a number
    raise DataError(f"{p.name}: item '{item}' has {len(rows)} {what}: {values} in rows {rows[:10]}",
                    [Problem(f"unknown answer {safe_value(repr(v))}", file=str(p), row=r, column=item)
                     for r, v in list(bad.items())[:50]])


def _answered_by(col: pd.Series, cb: Codebook, p: Path) -> pd.Series:
    if pd.api.types.is_numeric_dtype(col.dtype):
        text = col.astype("Float64").map(lambda v: cb.answered_by_codes.get(float(v)) if pd.notna(v) else None)
        unknown = col[col.notna() & text.isna()]
    else:
        text = col.astype("string").str.strip()
        unknown = pd.Series(dtype=object)
    mapped = text.map(lambda v: cb.answered_by.get(v, v if v in ANSWERED_BY else None) if pd.notna(v) else None)
    unknown = pd.concat([unknown, text[text.notna() & mapped.isna()]])
    _raise_bad(unknown, "answered_by", p, f"values not in the codebook's [answered_by] ({list(cb.answered_by)})")
    return pd.Series(pd.Categorical(mapped.astype(object), categories=list(ANSWERED_BY)), index=col.index)


def _sent_table(sent) -> pd.DataFrame | None:
    if sent is None:
        return None
    if isinstance(sent, pd.DataFrame):
        table = sent
        check_identifiers(table, file="the questionnaires-sent table")
    else:
        table = read_table(sent)   # gated like every file read (sheets, title rows, name …)
        record_of(table).table = "survey_sent"   # named in the provenance appendix
    table = _canonical_meta(table)
    if "sent" not in table.columns:
        alias = next((c for c in table.columns if str(c).lower() in ("utskick", "skickade", "antal_utskick")), None)
        if alias is None:
            raise DataError("the questionnaires-sent table needs a column 'sent' (or 'utskick')",
                            [Problem("no sent column")])
        table = table.rename(columns={alias: "sent"})
    return table.reset_index(drop=True)
