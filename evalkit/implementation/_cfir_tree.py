"""The CFIR 2.0 construct tree (data in ``evalkit/data/cfir/cfir2.toml``) and its mapping onto codings.

Structure from Damschroder, Reardon, Opra Widerquist & Lowery (2022), *The updated Consolidated
Framework for Implementation Research based on user feedback*, Implementation Science 17:75
(doi:10.1186/s13012-022-01245-0): 5 domains, 48 constructs, 19 subconstructs. Labels and
definitions are evalkit's own paraphrases in sv/nb/en (see the data file's header).
"""
from __future__ import annotations

import functools
import hashlib
import re
import uuid
from importlib import resources

import pandas as pd

from evalkit.errors import AnalysisError, ConfigError

__all__ = ["tree", "CFIR_NAMESPACE", "construct_guid", "data_sha256", "CITATION", "match_codes", "LANGUAGES",
           "DOMAIN_COLORS", "parse_id"]

LANGUAGES = ("sv", "nb", "en")
#: namespace of the CFIR GUIDs: guid = uuid5(CFIR_NAMESPACE, construct id), the same in every language.
#: It is uuid5(evalkit.io.codings.EVALKIT_NAMESPACE, "CFIR 2.0 (Damschroder et al. 2022)"), written out so this
#: analysis-level module needs no io import (tests/test_cfir_codebook.py checks the derivation).
CFIR_NAMESPACE = uuid.UUID("807513fc-bcf9-5753-b5d8-d9f418700ed4")
DOMAIN_COLORS = {"I": "#4E79A7", "II": "#59A14F", "III": "#F28E2B", "IV": "#B07AA1", "V": "#E15759"}
_ID = re.compile(r"^(IV|V|I{1,3})(?:\.([A-M])(?:\.(\d))?)?$")
# a code name that starts with a CFIR id: "III.J.1 Budget", "IV.B - Mid-level leaders", "II.G.3: …"
_NAME_ID = re.compile(r"^\s*((?:IV|V|I{1,3})(?:\.[A-M](?:\.\d)?)?)(?=$|[\s:–\-)])")


def _data_text() -> str:
    return resources.files("evalkit").joinpath("data/cfir/cfir2.toml").read_text(encoding="utf-8")


def data_sha256() -> str:
    """sha256 of the shipped CFIR data file (stored in rating forms, so a form meets the tree it was made with)."""
    return hashlib.sha256(_data_text().encode("utf-8")).hexdigest()


def construct_guid(construct_id: str) -> str:
    """The stable GUID of a CFIR code: ``uuid5(CFIR_NAMESPACE, id)``.

    >>> construct_guid("III.J") == construct_guid("III.J")
    True
    """
    return str(uuid.uuid5(CFIR_NAMESPACE, construct_id))


def parse_id(construct_id: str) -> tuple[str, str | None, str | None]:
    """(domain, construct letter, subconstruct number) of an id such as ``"III.J.1"``."""
    m = _ID.match(construct_id)
    if not m:
        raise AnalysisError(f"{construct_id!r} is not a CFIR 2.0 id (e.g. 'III.J' or 'III.J.1')")
    return m.group(1), m.group(2), m.group(3)


@functools.lru_cache(maxsize=1)
def _load() -> tuple[pd.DataFrame, dict]:
    import tomllib

    data = tomllib.loads(_data_text())
    rows = []
    for order, entry in enumerate(data["code"]):
        cid = entry["id"]
        m = _ID.match(cid)
        if not m:
            raise ConfigError(f"cfir2.toml: code id {cid!r} does not follow the CFIR scheme")
        kind = "domain" if m.group(2) is None else ("construct" if m.group(3) is None else "subconstruct")
        parent = None if kind == "domain" else cid.rsplit(".", 1)[0]
        row = {"id": cid, "kind": kind, "parent_id": parent, "domain": m.group(1),
               "subdomain": entry.get("subdomain"), "guid": construct_guid(cid), "order": order}
        for lang in LANGUAGES:
            try:
                row[f"label_{lang}"] = entry["label"][lang]
                row[f"definition_{lang}"] = entry["definition"][lang]
            except KeyError:
                raise ConfigError(f"cfir2.toml: code {cid} lacks its {lang} label or definition") from None
        rows.append(row)
    frame = pd.DataFrame(rows)
    ids = set(frame["id"])
    orphans = [p for p in frame["parent_id"].dropna() if p not in ids]
    if orphans or frame["id"].duplicated().any():
        raise ConfigError("cfir2.toml: duplicate ids or parents that are not in the file")
    return frame, data["meta"]


def tree() -> pd.DataFrame:
    """The CFIR 2.0 tree, one row per code in framework order.

    Columns: ``id, kind ("domain"|"construct"|"subconstruct"), parent_id, domain, subdomain, guid,
    order, label_sv, label_nb, label_en, definition_sv, definition_nb, definition_en``.
    """
    return _load()[0].copy()


def meta() -> dict:
    return dict(_load()[1])


CITATION = ("Damschroder LJ, Reardon CM, Opra Widerquist MA, Lowery J. The updated Consolidated Framework for "
            "Implementation Research based on user feedback. Implementation Science 2022;17:75. "
            "doi:10.1186/s13012-022-01245-0")


def label(construct_id: str, language: str) -> str:
    t = _load()[0].set_index("id")
    return str(t.at[construct_id, f"label_{language}"])


def match_codes(codes: pd.DataFrame) -> dict[str, str]:
    """code_guid → CFIR id for the codes of a Codings that are CFIR codes.

    A code is matched (in this order) by its GUID (a codebook from :func:`evalkit.cfir.codebook`, in
    any language), by a name starting with a CFIR id ("III.J Tillgängliga resurser"), or by a
    name equal to a CFIR label in sv/nb/en (case-insensitive; labels that several codes share, such
    as "Innovation Deliverers", are matched only through their id).
    """
    t = _load()[0]
    by_guid = dict(zip(t["guid"], t["id"]))
    labels: dict[str, set] = {}
    for lang in LANGUAGES:
        for cid, lab in zip(t["id"], t[f"label_{lang}"]):
            labels.setdefault(lab.casefold(), set()).add(cid)
    known = set(t["id"])
    out = {}
    for guid, name in zip(codes["code_guid"], codes["name"]):
        name = str(name or "")
        if guid in by_guid:
            out[guid] = by_guid[guid]
            continue
        m = _NAME_ID.match(name)
        if m and m.group(1) in known:
            out[guid] = m.group(1)
            continue
        hit = labels.get(name.strip().casefold())
        if hit and len(hit) == 1:
            out[guid] = next(iter(hit))
    return out
