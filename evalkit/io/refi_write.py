"""Write :class:`~evalkit.io.codings.Codings` as REFI-QDA project (.qdpx) or codebook (.qdc).

So that evalkit can hand a codebook (or a whole coded project) back to the
researcher's tool. Output follows QDA-XML 1.0 (``urn:QDA-XML:project:1.0`` /
``urn:QDA-XML:codebook:1.0``): elements in ``xsd:sequence`` order, required
attributes always present, UTF-8 without BOM, LF line ends, source texts in
``Sources/<guid>.txt`` with offsets counted in code points on exactly that text
(what MAXQDA and QualCoder expect). GUIDs are kept from the input; anything
without one gets a uuid5 GUID from its names, so re-exports keep identities.

Validation is structural and written by hand (lxml is not a dependency and
QualCoder's XSD string has typos, ecosystem.md §A4): :func:`validate_refi`
checks, for every element this writer emits, the allowed children in schema
order, the required attributes, the GUID pattern and the typed attributes
(isCodable boolean, integer positions, typeOfVariable enumeration), and that
every reference points at a declared element.
"""
from __future__ import annotations

import dataclasses
import io
import re
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import defusedxml.ElementTree as DET

import pandas as pd

from evalkit.errors import DataError, Problem
from evalkit.io.codings import Codings, lf_tables

__all__ = ["write_qdpx", "write_qdc", "validate_refi", "project_xml", "codebook_xml", "SCHEMA"]

P_NS = "urn:QDA-XML:project:1.0"
C_NS = "urn:QDA-XML:codebook:1.0"
_STAMP = "2000-01-01T00:00:00Z"  # fixed, so the same input gives the same bytes
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
_VAR_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
_ANY_ORDER = ("Sources",)  # xsd:choice maxOccurs=unbounded: any mix of source kinds
_MEDIA_TAGS = {"pdf": "PDFSource", "picture": "PictureSource", "audio": "AudioSource", "video": "VideoSource"}

#: Hand transcription of Project.xsd / Codebook.xsd for the elements written here:
#: element -> (children in sequence order, required attributes, GUID attributes, integer attributes)
SCHEMA = {
    "Project": (("Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs",
                 "Description", "NoteRef"), ("name",), ("creatingUserGUID", "modifyingUserGUID"), ()),
    "Users": (("User",), (), (), ()),
    "User": ((), ("guid",), ("guid",), ()),
    "CodeBook": (("Codes", "Sets"), (), (), ()),
    "Codes": (("Code",), (), (), ()),
    "Code": (("Description", "NoteRef", "Code"), ("guid", "name", "isCodable"), ("guid",), ()),
    "Description": ((), (), (), ()),
    "Variables": (("Variable",), (), (), ()),
    "Variable": (("Description",), ("guid", "name", "typeOfVariable"), ("guid",), ()),
    "Cases": (("Case",), (), (), ()),
    "Case": (("Description", "CodeRef", "VariableValue", "SourceRef", "SelectionRef"), ("guid",), ("guid",), ()),
    "VariableValue": (("VariableRef", "TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue",
                       "DateTimeValue"), (), (), ()),
    "VariableRef": ((), ("targetGUID",), ("targetGUID",), ()),
    "SourceRef": ((), ("targetGUID",), ("targetGUID",), ()),
    "CodeRef": ((), ("targetGUID",), ("targetGUID",), ()),
    "TextValue": ((), (), (), ()), "BooleanValue": ((), (), (), ()), "IntegerValue": ((), (), (), ()),
    "FloatValue": ((), (), (), ()), "DateValue": ((), (), (), ()), "DateTimeValue": ((), (), (), ()),
    "Sources": (("TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource"), (), (), ()),
    "TextSource": (("Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef", "VariableValue"),
                   ("guid",), ("guid", "creatingUser", "modifyingUser"), ()),
    "Representation": (("Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef",
                        "VariableValue"), ("guid",), ("guid", "creatingUser", "modifyingUser"), ()),
    "PDFSource": (("Description", "PDFSelection", "Representation", "Coding", "NoteRef", "VariableValue"),
                  ("guid",), ("guid", "creatingUser", "modifyingUser"), ()),
    "PictureSource": (("Description", "TextDescription", "PictureSelection", "Coding", "NoteRef", "VariableValue"),
                      ("guid",), ("guid", "creatingUser", "modifyingUser"), ()),
    "AudioSource": (("Description", "Transcript", "AudioSelection", "Coding", "NoteRef", "VariableValue"),
                    ("guid",), ("guid", "creatingUser", "modifyingUser"), ()),
    "VideoSource": (("Description", "Transcript", "VideoSelection", "Coding", "NoteRef", "VariableValue"),
                    ("guid",), ("guid", "creatingUser", "modifyingUser"), ()),
    "PlainTextSelection": (("Description", "Coding", "NoteRef"), ("guid", "startPosition", "endPosition"),
                           ("guid", "creatingUser", "modifyingUser"), ("startPosition", "endPosition")),
    "Coding": (("CodeRef", "NoteRef"), ("guid",), ("guid", "creatingUser"), ()),
}


def _sub(parent: ET.Element, tag: str, ns: str, **attrs) -> ET.Element:
    clean = {k: str(v) for k, v in attrs.items() if v is not None and not (isinstance(v, float) and pd.isna(v))
             and v is not pd.NA}
    return ET.SubElement(parent, f"{{{ns}}}{tag}", clean)


def _code_tree(parent: ET.Element, codes: pd.DataFrame, ns: str) -> None:
    children: dict = {}
    for r in codes.to_dict("records"):
        p = r["parent_guid"] if isinstance(r["parent_guid"], str) else None
        children.setdefault(p, []).append(r)

    def emit(el: ET.Element, rows: list[dict]) -> None:
        for r in rows:
            color = r.get("color") if isinstance(r.get("color"), str) and re.match(r"^#[0-9A-Fa-f]{3,6}$",
                                                                                  r["color"]) else None
            c = _sub(el, "Code", ns, guid=r["code_guid"], name=r["name"],
                     isCodable="true" if r["is_codable"] else "false", color=color)
            if isinstance(r.get("description"), str) and r["description"]:
                _sub(c, "Description", ns).text = r["description"]
            emit(c, children.get(r["code_guid"], []))

    emit(_sub(parent, "Codes", ns), children.get(None, []))


def codebook_xml(codings: Codings, origin: str = "evalkit") -> bytes:
    """The .qdc document (UTF-8 bytes)."""
    root = ET.Element(f"{{{C_NS}}}CodeBook", {"origin": origin})
    _code_tree(root, codings.codes, C_NS)
    return _serialise(root, C_NS)


def project_xml(codings: Codings, *, name: str | None = None, origin: str = "evalkit") -> bytes:
    """The project.qde document (UTF-8 bytes); source texts are referenced as ``internal://<guid>.txt``."""
    ns = P_NS
    codings = _lf(codings)
    root = ET.Element(f"{{{ns}}}Project", {"name": name or codings.name, "origin": origin,
                                          "creationDateTime": _STAMP})
    if len(codings.users):
        users = _sub(root, "Users", ns)
        for u in codings.users.to_dict("records"):
            _sub(users, "User", ns, guid=u["user_guid"], name=u["name"])
    if len(codings.codes):
        _code_tree(_sub(root, "CodeBook", ns), codings.codes, ns)
    att = codings.attributes
    variables = _variables(att)
    if variables:
        vs = _sub(root, "Variables", ns)
        for vname, (vg, vtype) in variables.items():
            _sub(vs, "Variable", ns, guid=vg, name=vname, typeOfVariable=vtype)
    cases = codings.cases.dropna(subset=["case_guid"])
    if len(cases):
        cs = _sub(root, "Cases", ns)
        for cg, members in cases.groupby("case_guid", sort=False):
            c = _sub(cs, "Case", ns, guid=cg, name=members["name"].iloc[0])
            _values(c, att[(att["owner_kind"] == "case") & (att["owner_guid"] == cg)], variables, ns)
            for sg in members["source_guid"].dropna():
                _sub(c, "SourceRef", ns, targetGUID=sg)
    if len(codings.sources):
        srcs = _sub(root, "Sources", ns)
        segs = codings.segments
        for s in codings.sources.to_dict("records"):
            _source(srcs, s, segs[segs["source_guid"] == s["source_guid"]], ns)
            el = srcs[-1]
            _values(el, att[(att["owner_kind"] == "source") & (att["owner_guid"] == s["source_guid"])],
                    variables, ns)
    return _serialise(root, ns)


def _has_text(source: dict) -> bool:
    return isinstance(source.get("text"), str)


def _source(parent: ET.Element, s: dict, segs: pd.DataFrame, ns: str) -> None:
    """A TextSource; a PDF with text as a PDFSource with its plain-text Representation; a source without text
    (picture, recording, PDF without text) as its own element, without a path (evalkit holds no media files)."""
    from evalkit.io.codings import stable_guid
    guid, kind = s["source_guid"], s.get("kind") if isinstance(s.get("kind"), str) else "text"
    tag = _MEDIA_TAGS.get(kind)
    if tag is not None and not (kind == "pdf" and _has_text(s)):
        if len(segs):
            raise DataError(f"source {s['name']!r} ({kind}) has no text but {len(segs)} segment(s); only text "
                            "selections can be written")
        _sub(parent, tag, ns, guid=guid, name=s["name"])
        return
    if kind == "pdf":
        el = _sub(parent, "PDFSource", ns, guid=guid, name=s["name"])
        rep = _sub(el, "Representation", ns, guid=stable_guid("representation", guid),
                   plainTextPath=f"internal://{guid}.txt")
        _selections(rep, segs, ns)
        return
    el = _sub(parent, "TextSource", ns, guid=guid, name=s["name"], plainTextPath=f"internal://{guid}.txt")
    _selections(el, segs, ns)


def _lf(codings: Codings) -> Codings:
    # A Codings built by hand may hold CRLF texts; the written text must be exactly the one the offsets index.
    sources, segments = lf_tables(codings.sources, codings.segments)
    return dataclasses.replace(codings, sources=sources, segments=segments)


def _variables(att: pd.DataFrame) -> dict:
    from evalkit.io.codings import stable_guid
    out = {}
    for vname, rows in att.groupby("variable", sort=False):
        vtype = rows["type"].dropna().iloc[0] if rows["type"].notna().any() else "Text"
        out[vname] = (stable_guid("variable", vname), vtype if vtype in _VAR_TYPES else "Text")
    return out


def _values(el: ET.Element, rows: pd.DataFrame, variables: dict, ns: str) -> None:
    for r in rows.to_dict("records"):
        vg, vtype = variables[r["variable"]]
        vv = _sub(el, "VariableValue", ns)
        _sub(vv, "VariableRef", ns, targetGUID=vg)
        _sub(vv, f"{vtype}Value", ns).text = "" if r["value"] is None else str(r["value"])


def _selections(el: ET.Element, segs: pd.DataFrame, ns: str) -> None:
    from evalkit.io.codings import stable_guid
    if segs["start"].isna().any():
        raise DataError("segments without offsets cannot be written as PlainTextSelections; write a .qdc "
                        "codebook instead or load the project with its texts")
    key = segs["selection_guid"].where(segs["selection_guid"].notna(),
                                       [stable_guid("selection", s, a, b) for s, a, b in
                                        zip(segs["source_guid"], segs["start"], segs["end"])])
    for sg, group in segs.assign(_sel=key).groupby("_sel", sort=False):
        first = group.iloc[0]
        # a preview is an XML attribute: control characters (the form feed between a document's pages) are
        # not allowed in XML 1.0, and readers compare previews with white space squeezed anyway
        preview = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", " ", (first["text"] or "")[:40])
        sel = _sub(el, "PlainTextSelection", ns, guid=sg, name=preview, startPosition=int(first["start"]),
                   endPosition=int(first["end"]))
        for r in group.to_dict("records"):
            coding = _sub(sel, "Coding", ns, guid=r["segment_guid"], creatingUser=r["coder"],
                          creationDateTime=r["created"] if isinstance(r["created"], str) else None)
            _sub(coding, "CodeRef", ns, targetGUID=r["code_guid"])


def _serialise(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    ET.indent(root, space=" ")
    buf = io.BytesIO()
    ET.ElementTree(root).write(buf, encoding="utf-8", xml_declaration=True)
    return buf.getvalue().replace(b"\r\n", b"\n")


def validate_refi(xml: bytes) -> list[str]:
    """Structural check of a REFI-QDA document against the hand-transcribed schema; [] when valid.

    Examples
    --------
    >>> validate_refi(b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="x" name="a" '
    ...               b'isCodable="true"/></Codes></CodeBook>')
    ["<Code name='a'>: guid 'x' is not a GUID"]
    """
    root = DET.fromstring(xml, forbid_dtd=True)  # may be a file from elsewhere: no DTDs or entities
    problems: list[str] = []
    declared: set[str] = set()
    refs: list[tuple[str, str]] = []
    if root.tag not in (f"{{{P_NS}}}Project", f"{{{C_NS}}}CodeBook"):
        return [f"root element {root.tag} is not a QDA-XML 1.0 Project or CodeBook"]

    def walk(el: ET.Element) -> None:
        tag = el.tag.rsplit("}", 1)[-1]
        label = f"<{tag}" + (f" name={el.get('name')!r}>" if el.get("name") else ">")
        if tag not in SCHEMA:
            problems.append(f"{label}: element not allowed here")
            return
        order, required, guid_attrs, int_attrs = SCHEMA[tag]
        for a in required:
            if el.get(a) is None:
                problems.append(f"{label}: required attribute {a} missing")
        for a in guid_attrs:
            v = el.get(a)
            if v is not None and not _GUID.match(v):
                problems.append(f"{label}: {a} {v!r} is not a GUID")
            elif v is not None and a == "guid":
                declared.add(v.strip("{}").lower())
            elif v is not None and a == "targetGUID":
                refs.append((label, v.strip("{}").lower()))
        for a in int_attrs:
            if el.get(a) is not None and not re.fullmatch(r"-?\d+", el.get(a)):
                problems.append(f"{label}: {a} must be an integer")
        if tag == "Code" and el.get("isCodable") not in ("true", "false", "1", "0"):
            problems.append(f"{label}: isCodable must be true or false")
        if tag == "Variable" and el.get("typeOfVariable") not in _VAR_TYPES:
            problems.append(f"{label}: typeOfVariable must be one of {', '.join(_VAR_TYPES)}")
        last = -1
        for child in el:
            ctag = child.tag.rsplit("}", 1)[-1]
            if ctag not in order:
                problems.append(f"{label}: child <{ctag}> not allowed")
                continue
            pos = order.index(ctag)
            if pos < last and tag not in _ANY_ORDER:
                problems.append(f"{label}: child <{ctag}> out of schema order")
            last = pos
            walk(child)

    walk(root)
    problems += [f"{label}: reference {g} points at no element" for label, g in refs if g not in declared]
    return problems


def _check(xml: bytes, what: str) -> None:
    problems = validate_refi(xml)
    if problems:
        raise DataError(f"the {what} evalkit wrote does not follow the REFI-QDA schema",
                        [Problem(p) for p in problems])


def write_qdc(codings: Codings, path, *, origin: str = "evalkit") -> Path:
    """Write the code tree as a REFI-QDA codebook (.qdc); returns the path."""
    xml = codebook_xml(codings, origin)
    _check(xml, "codebook")
    p = Path(path)
    p.write_bytes(xml)
    return p


def write_qdpx(codings: Codings, path, *, name: str | None = None, origin: str = "evalkit") -> Path:
    """Write a REFI-QDA project (.qdpx: project.qde + Sources/<guid>.txt); same input → same bytes.

    ``codings`` may also be governing documents (``ek.load_documents``): they are written through their
    ``to_codings()`` (PDFs as PDFSource with a plain-text Representation, others as TextSource).
    """
    if not isinstance(codings, Codings) and hasattr(codings, "to_codings"):
        codings = codings.to_codings()
    codings = _lf(codings)
    xml = project_xml(codings, name=name, origin=origin)
    _check(xml, "project")
    p = Path(path)
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _write(zf, "project.qde", xml)
        for s in codings.sources.to_dict("records"):
            if _has_text(s) or s.get("kind") in (None, "text") or not isinstance(s.get("kind"), str):
                _write(zf, f"Sources/{s['source_guid']}.txt", (s["text"] if _has_text(s) else "").encode("utf-8"))
    return p


def _write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))  # fixed stamp: byte-identical output
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)
