"""Reader of REFI-QDA projects (.qdpx/.qde) and codebooks (.qdc).

Follows the QDA-XML 1.0 schema (ecosystem.md §A3–A5): namespace version read
from the root tag, ``Sources/`` or ``sources/`` in the zip, ``internal://``,
``relative://`` and ``absolute://`` paths, nameless single-source cases as source
variables (MAXQDA), code GUIDs that equal case GUIDs (NVivo), per-vendor offset
conventions with every selection checked against its stored preview.
"""
from __future__ import annotations

import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pandas as pd

from evalkit.errors import DataError, Problem
from evalkit.io._offsets import choose_convention, normalise_text, preview_matches
from evalkit.io.codings import Codings, ImportReport, finish_tables, normalise_guid
from evalkit.provenance import Exclusion

__all__ = ["read_refi"]

_NON_TEXT = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")


class _Ctx:
    """Where we are reading from: the zip members or the folder beside a bare .qde."""

    def __init__(self, path: Path, zf: zipfile.ZipFile | None, base_path: str | None):
        self.path, self.zf, self.base_path = path, zf, base_path
        self.members = {n.lower(): n for n in zf.namelist()} if zf else {}

    def read(self, ref: str, what: str) -> bytes:
        scheme, _, rest = ref.partition("://")
        scheme = scheme.lower()
        rest = unquote(rest)
        if scheme == "internal":
            name = PurePosixPath(rest.lstrip("/")).name
            if self.zf:
                for folder in ("sources/", ""):
                    key = (folder + name).lower()
                    if key in self.members:
                        return self.zf.read(self.members[key])
            else:
                for folder in ("Sources", "sources", "."):
                    cand = self.path.parent / folder / name
                    if cand.is_file():
                        return cand.read_bytes()
        elif scheme == "relative":
            base = Path(self.base_path or self.path.parent)
            cand = base / rest.lstrip("/")
            if cand.is_file():
                return cand.read_bytes()
        elif scheme == "absolute":
            cand = Path(rest if not rest.startswith("/") or len(rest) < 3 or rest[2] != ":" else rest[1:])
            if cand.is_file():
                return cand.read_bytes()
        raise DataError(f"{self.path.name}: {what} refers to {ref!r}, which is not in the project "
                        "(export the project again with its sources included)",
                        [Problem(f"{what}: missing source file {ref!r}", str(self.path))])


def _parse(data: bytes, path: Path, member: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as err:
        raise DataError(f"{path.name}: {member} is not well-formed XML ({err})",
                        [Problem(f"malformed XML in {member}: {err}", str(path))]) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kids(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _kid(el: ET.Element, name: str) -> ET.Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _text_of(el: ET.Element | None) -> str | None:
    return None if el is None else (el.text or "")


def read_refi(path: Path) -> Codings:
    """Read a .qdpx, .qde or .qdc file into :class:`Codings`."""
    zf = None
    if zipfile.is_zipfile(path):
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as err:
            raise DataError(f"{path.name}: not a readable zip ({err})") from None
        qde = [n for n in zf.namelist() if n.lower().endswith(".qde") and "/" not in n.strip("/")]
        if not qde:
            raise DataError(f"{path.name}: the zip holds no project.qde; is this a REFI-QDA project export?",
                            [Problem("no .qde file in the archive", str(path))])
        root = _parse(zf.read(qde[0]), path, qde[0])
    else:
        root = _parse(path.read_bytes(), path, path.name)
    kind = _local(root.tag)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if kind == "CodeBook":
        return _codebook(root, path, ns)
    if kind != "Project":
        raise DataError(f"{path.name}: root element <{kind}> is neither a REFI-QDA Project nor a CodeBook",
                        [Problem(f"unexpected root element {kind}", str(path))])
    return _project(root, path, zf, ns)


class _Guids:
    """Registry that refuses duplicate GUIDs per kind (codes may equal cases: NVivo case nodes)."""

    def __init__(self, path: Path):
        self.path, self.seen = path, {}

    def add(self, raw: str | None, element: str, family: str) -> str:
        g = normalise_guid(raw, what=f"<{element}>", file=str(self.path))
        key = (family, g)
        if key in self.seen:
            raise DataError(f"{self.path.name}: duplicate GUID {g} on <{element}> (first used on "
                            f"<{self.seen[key]}>); every element needs its own GUID",
                            [Problem(f"duplicate GUID {g} on <{element}>", str(self.path))])
        self.seen[key] = element
        return g


def _codes(codes_el: ET.Element | None, guids: _Guids) -> list[dict]:
    rows: list[dict] = []

    def walk(el: ET.Element, parent: str | None) -> None:
        g = guids.add(el.get("guid"), "Code", "code")
        codable = (el.get("isCodable") or "true").strip().lower() in ("true", "1")
        rows.append({"code_guid": g, "name": el.get("name") or "", "parent_guid": parent, "is_codable": codable,
                     "color": el.get("color"), "description": _text_of(_kid(el, "Description"))})
        for child in _kids(el, "Code"):
            walk(child, g)

    if codes_el is not None:
        for top in _kids(codes_el, "Code"):
            walk(top, None)
    return rows


def _codebook(root: ET.Element, path: Path, ns: str) -> Codings:
    guids = _Guids(path)
    codes = _codes(_kid(root, "Codes"), guids)
    report = ImportReport("REFI-QDA codebook (.qdc)", origin=root.get("origin") or "",
                          notes=[f"namespace {ns or '(none)'}; a codebook holds codes only"])
    return finish_tables(sources=[], codes=codes, segments=[], report=report, path=path, fmt="qdc", rows_read=0)


def _value(vv: ET.Element) -> tuple[str | None, str | None, str | None]:
    ref = _kid(vv, "VariableRef")
    target = ref.get("targetGUID") if ref is not None else None
    for tag in _VALUE_TAGS:
        v = _kid(vv, tag)
        if v is not None:
            return target, tag.removesuffix("Value"), (v.text or "")
    return target, None, None


def _project(root: ET.Element, path: Path, zf, ns: str) -> Codings:
    origin = root.get("origin") or ""
    ctx = _Ctx(path, zf, root.get("basePath"))
    guids = _Guids(path)
    report = ImportReport("REFI-QDA project (.qdpx)" if zf else "REFI-QDA project (.qde)", origin=origin,
                          notes=[f"namespace {ns or '(none)'}"])
    users = [{"user_guid": guids.add(u.get("guid"), "User", "user"), "name": u.get("name")}
             for u in _kids(_kid(root, "Users") or ET.Element("x"), "User")]
    book = _kid(root, "CodeBook")
    codes = _codes(_kid(book, "Codes") if book is not None else None, guids)
    variables = {}
    for v in _kids(_kid(root, "Variables") or ET.Element("x"), "Variable"):
        variables[guids.add(v.get("guid"), "Variable", "variable")] = (v.get("name") or "", v.get("typeOfVariable"))
    code_ids = {c["code_guid"] for c in codes}
    sources, segments, attributes, offsets, drift = [], [], [], [], []
    exclusions: list[Exclusion] = []
    n_codings = 0
    for el in _kid(root, "Sources") or []:
        tag = _local(el.tag)
        if tag in _NON_TEXT:
            g = guids.add(el.get("guid"), tag, "source")
            k = len(el.findall(".//{*}Coding"))
            n_codings += k
            if k:
                exclusions.append(Exclusion(f"codings on a {tag} ({el.get('name')}) — evalkit analyses text "
                                            "only; code a transcript instead", tuple(range(n_codings - k + 1,
                                                                                             n_codings + 1))))
            sources.append({"source_guid": g, "name": el.get("name"), "kind": tag.removesuffix("Source").lower(),
                            "text": None, "created": el.get("creationDateTime"), "creator": el.get("creatingUser")})
            attributes += _var_values(el, g, "source", variables, path)
            continue
        if tag != "TextSource":
            report.notes.append(f"skipped unknown element <{tag}> in <Sources>")
            continue
        g = guids.add(el.get("guid"), "TextSource", "source")
        raw = _source_text(el, ctx)
        text = normalise_text(raw)
        sources.append({"source_guid": g, "name": el.get("name"), "kind": "text", "text": text,
                        "created": el.get("creationDateTime"), "creator": el.get("creatingUser")})
        attributes += _var_values(el, g, "source", variables, path)
        sels = _kids(el, "PlainTextSelection")
        spans_in = []
        for s in sels:
            try:
                spans_in.append((int(s.get("startPosition")), int(s.get("endPosition")), s.get("name")))
            except (TypeError, ValueError):
                raise DataError(f"{path.name}: <PlainTextSelection guid={s.get('guid')}> has no integer "
                                "startPosition/endPosition",
                                [Problem(f"PlainTextSelection {s.get('guid')}: bad positions", str(path))]) from None
        conv, spans, details = choose_convention(raw, spans_in, origin)
        checks = details[conv]["checks"]
        out_of_range = 0
        for s, (a, b), (ra, rb, preview), ok in zip(sels, spans, spans_in, checks):
            sg = guids.add(s.get("guid"), "PlainTextSelection", "selection")
            inside = 0 <= a <= b <= len(text)
            out_of_range += not inside
            sliced = text[a:b] if inside else None
            if not inside or ok is False:
                drift.append({"source_guid": g, "selection_guid": sg, "start": ra, "end": rb,
                              "preview": preview, "sliced": sliced})
            for c in _kids(s, "Coding"):
                n_codings += 1
                segments.append(_coding(c, sg, g, a if inside else None, b if inside else None, sliced,
                                        code_ids, guids, path))
        offsets.append({"source_guid": g, "name": el.get("name"), "convention": conv, "selections": len(sels),
                        "preview_match": details[conv]["match"], "preview_mismatch": details[conv]["mismatch"],
                        "no_preview": sum(c is None for c in checks), "out_of_range": out_of_range})
        for c in _kids(el, "Coding"):  # whole-source codings
            n_codings += 1
            segments.append(_coding(c, None, g, 0, len(text), text, code_ids, guids, path))
    source_ids = {s["source_guid"] for s in sources}
    cases = []
    for case in _kids(_kid(root, "Cases") or ET.Element("x"), "Case"):
        cg = guids.add(case.get("guid"), "Case", "case")
        members = []
        for ref in _kids(case, "SourceRef"):
            sg = normalise_guid(ref.get("targetGUID"), what="<SourceRef>", file=str(path))
            if sg not in source_ids:
                raise DataError(f"{path.name}: <Case guid={cg}> has a <SourceRef> to {sg}, which is no source",
                                [Problem(f"dangling SourceRef {sg} in Case {cg}", str(path))])
            members.append(sg)
        values = _var_values(case, cg, "case", variables, path)
        if not case.get("name") and len(members) == 1:
            # MAXQDA/Quirkos: document variables as a nameless single-source case
            attributes += [{**v, "owner_guid": members[0], "owner_kind": "source"} for v in values]
            continue
        attributes += values
        cases += [{"case_guid": cg, "name": case.get("name"), "source_guid": m} for m in members] or \
                 [{"case_guid": cg, "name": case.get("name"), "source_guid": None}]
    report.offsets = pd.DataFrame(offsets, columns=report.offsets.columns)
    report.drift = pd.DataFrame(drift, columns=report.drift.columns)
    if len(report.drift):
        report.notes.append(f"{len(report.drift)} selection(s) whose text does not match the stored preview "
                            "or falls outside the source: see report.drift")
    for extra in ("Notes", "Links", "Sets", "Graphs"):
        el = _kid(root, extra)
        if el is not None and len(el):
            report.notes.append(f"{len(el)} element(s) in <{extra}> not imported")
    report.counts = {"selections": len(offsets) and sum(o["selections"] for o in offsets), "codings": n_codings,
                     "users": len(users)}
    return finish_tables(sources=sources, codes=codes, segments=segments, cases=cases, attributes=attributes,
                         users=users, report=report, path=path, fmt="qdpx" if zf else "qde",
                         rows_read=n_codings, exclusions=exclusions, name=root.get("name"))


def _source_text(el: ET.Element, ctx: _Ctx) -> str:
    content = _kid(el, "PlainTextContent")
    if content is not None:
        return content.text or ""
    ref = el.get("plainTextPath")
    if not ref:
        raise DataError(f"{ctx.path.name}: <TextSource guid={el.get('guid')} name={el.get('name')!r}> has "
                        "neither PlainTextContent nor plainTextPath",
                        [Problem(f"TextSource {el.get('guid')}: no plain text", str(ctx.path))])
    data = ctx.read(ref, f"<TextSource guid={el.get('guid')} name={el.get('name')!r}>")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig", errors="replace")


def _var_values(el: ET.Element, owner: str, kind: str, variables: dict, path: Path) -> list[dict]:
    out = []
    for vv in _kids(el, "VariableValue"):
        target, typ, value = _value(vv)
        vg = normalise_guid(target, what="<VariableRef>", file=str(path))
        if vg not in variables:
            raise DataError(f"{path.name}: <VariableValue> of {owner} refers to variable {vg}, which is not "
                            "declared in <Variables>", [Problem(f"dangling VariableRef {vg}", str(path))])
        name, declared = variables[vg]
        out.append({"owner_guid": owner, "owner_kind": kind, "variable": name, "type": declared or typ,
                    "value": value})
    return out


def _coding(c: ET.Element, sel: str | None, src: str, a, b, sliced, code_ids, guids: _Guids, path: Path) -> dict:
    cg = guids.add(c.get("guid"), "Coding", "coding")
    ref = _kid(c, "CodeRef")
    if ref is None:
        raise DataError(f"{path.name}: <Coding guid={cg}> has no <CodeRef>",
                        [Problem(f"Coding {cg}: no CodeRef", str(path))])
    code = normalise_guid(ref.get("targetGUID"), what="<CodeRef>", file=str(path))
    if code not in code_ids:
        raise DataError(f"{path.name}: <Coding guid={cg}> refers to code {code}, which is not in the codebook",
                        [Problem(f"dangling CodeRef {code} in Coding {cg}", str(path))])
    user = c.get("creatingUser")
    return {"segment_guid": cg, "selection_guid": sel, "source_guid": src, "code_guid": code,
            "coder": user.strip("{}").lower() if user else None, "start": a, "end": b, "text": sliced,
            "created": c.get("creationDateTime")}


_ = preview_matches  # re-exported for tests of the preview rule
