"""Reader of REFI-QDA projects (.qdpx/.qde) and codebooks (.qdc).

Follows the QDA-XML 1.0 schema (ecosystem.md §A3–A5): namespace version read
from the root tag, ``Sources/`` or ``sources/`` in the zip, nameless
single-source cases as source variables (MAXQDA), code GUIDs that equal case
GUIDs (NVivo), per-vendor offset conventions with every selection checked
against its stored preview.

What a project file may make evalkit read (the file is untrusted input):

* ``internal://x.txt`` and a bare ``x.txt`` — the archive's ``Sources/`` (or
  ``sources/``) folder, or the root of the archive; beside a bare ``.qde``, its
  ``Sources/`` folder. A path with ``..`` or a drive is refused.
* ``relative://`` and ``absolute://`` — only inside the ``sources_dir`` the user
  passed (never via the project's ``basePath``, never outside the folder after
  ``..`` and symbolic links are resolved); without it, a DataError naming the
  source by GUID and name.
* The archive is unpacked within :class:`~evalkit.io.codings.ArchiveLimits`
  (member count, per-member and total uncompressed bytes, compression ratio);
  members with absolute or ``..`` names (zip slip) refuse the archive. The
  XML is parsed with defusedxml, DTDs and entities forbidden.
* Every string taken in — attributes and texts of every element (names,
  previews, notes, descriptions, user names), archive member names and the
  source texts — passes the identity-number gate
  (:func:`evalkit.privacy.scan_identifiers`); a hit names the element kind
  and GUID, never the number.

Sources: ``TextSource``; ``PDFSource`` through its plain-text
``Representation`` (kind ``"pdf"``, its PlainTextSelections become segments;
a ``PDFSelection`` rectangle becomes a segment when it carries a text
representation, and its page and coordinates are kept in
``report.pdf_selections``); pictures, audio and video are source rows without
text. Everything not imported is listed in ``report.skipped`` with counts.
"""
from __future__ import annotations

import re
import warnings
import zipfile
import zlib
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote

import defusedxml
import defusedxml.ElementTree as DET
import pandas as pd

from evalkit.errors import DataError, DataWarning, IdentifierError, Problem
from evalkit.io._offsets import choose_convention, normalise_text, preview_matches, vendor_convention
from evalkit.io.codings import (PDF_SELECTION_COLUMNS, SKIPPED_COLUMNS, ArchiveLimits, Codings, ImportReport,
                                finish_tables, normalise_guid, skipped_note)
from evalkit.privacy import KINDS, scan_identifiers
from evalkit.provenance import Exclusion

__all__ = ["read_refi"]


def _path(element: str) -> str:
    """"PDFSelection in PDFSource" (the skipped table's words) as an element path: "PDFSource/PDFSelection"."""
    tag, _, parent = element.partition(" in ")
    return f"{parent}/{tag}" if parent else tag

_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")
_MEDIA = {"PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
#: attributes that hold GUIDs; a well-formed GUID is a key, not text, so the identity gate passes over it
_GUID_ATTRS = frozenset({"guid", "targetGUID", "creatingUser", "modifyingUser", "creatingUserGUID",
                         "modifyingUserGUID", "originGUID", "representedGUID", "sourceVertex", "targetVertex",
                         "fromSyncPoint", "toSyncPoint"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.S)
# why an element is not imported (the generic reason covers the rest)
_REASONS = {
    "PictureSelection": "rectangle on a picture: evalkit analyses text only",
    "AudioSelection": "time span of a recording: evalkit analyses text only; code the transcript as a text",
    "VideoSelection": "time span of a recording: evalkit analyses text only; code the transcript as a text",
    "Transcript": "transcripts of audio/video are not imported; export the transcript as a text source",
    "PDFSelection": "rectangle on a PDF page without a text representation: no text to analyse",
    "Coding": "coding of a whole picture, recording or PDF without text: no text to analyse",
    "Notes": "notes/memos are not imported",
    "NoteRef": "references to notes/memos (not imported)",
    "Links": "links between elements are not imported",
    "Sets": "sets (document/code groups) are not imported; use variables for groups",
    "Graphs": "graphs are not imported",
    "Description": "descriptions/memos of this element are not imported",
    "TextDescription": "text descriptions of pictures are not imported",
    "CodeRef": "codes attached to a case are not imported",
    "SelectionRef": "selections attached to a case are not imported",
    "PlainTextSelection": "selection without a Coding (an annotation or an empty span)",
}


def read_refi(path: Path, *, sources_dir=None, limits: ArchiveLimits | None = None) -> Codings:
    """Read a .qdpx, .qde or .qdc file into :class:`Codings` (see the module docstring for the rules)."""
    limits = limits or ArchiveLimits()
    gate = _Gate(path)
    archive = _Archive.open(path, limits, gate) if zipfile.is_zipfile(path) else None
    try:
        return _read(path, archive, gate, sources_dir, limits)
    finally:
        if archive is not None:
            archive.zf.close()


def _read(path: Path, archive: "_Archive | None", gate: "_Gate", sources_dir, limits: ArchiveLimits) -> Codings:
    if archive is not None:
        member = archive.project_member()
        data = archive.read(member, f"the project XML {member.filename}")
        label = member.filename
    else:
        data, label = _read_bare(path, limits), path.name
    root = _parse(data, path, label)
    gate.add_tree(root)
    gate.check()  # names, previews and notes before any of them can reach a message
    kind = _local(root.tag)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if kind == "CodeBook":
        return _codebook(root, path, ns)
    if kind != "Project":
        raise DataError(f"{path.name}: root element <{kind}> is neither a REFI-QDA Project nor a CodeBook",
                        [Problem(f"unexpected root element {kind}", str(path))])
    ctx = _Sources(path, archive, sources_dir, limits)
    return _Project(root, path, ctx, gate, ns).read()


# ---------------------------------------------------------------------------- archive and files
class _Archive:
    """A zip opened for reading within limits: member names checked, sizes checked before inflating."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, limits: ArchiveLimits):
        self.path, self.zf, self.limits = path, zf, limits
        self.infos = {i.filename.lower(): i for i in zf.infolist() if not i.is_dir()}
        self.total = 0

    @classmethod
    def open(cls, path: Path, limits: ArchiveLimits, gate: "_Gate") -> "_Archive":
        try:
            zf = zipfile.ZipFile(path)
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, OverflowError) as err:
            raise DataError(f"{path.name}: not a readable zip archive ({err})",
                            [Problem("unreadable zip", str(path))]) from None
        try:
            cls._check(path, infos, limits, gate)
        except BaseException:
            zf.close()
            raise
        return cls(path, zf, limits)

    @staticmethod
    def _check(path: Path, infos: list, limits: ArchiveLimits, gate: "_Gate") -> None:
        if len(infos) > limits.max_members:
            raise DataError(f"{path.name}: the archive lists {len(infos)} members, above the limit of "
                            f"{limits.max_members} (ArchiveLimits.max_members); pass limits={{'max_members': …}} "
                            "to load_codings if the project really is that large",
                            [Problem("too many archive members", str(path))])
        for i, info in enumerate(infos, start=1):
            gate.add(info.filename, None, f"archive member no. {i}", "name")
        gate.check()
        bad = [info.filename for info in infos if _unsafe_member(info.filename)]
        if bad:
            raise DataError(f"{path.name}: refused — {len(bad)} archive member(s) have absolute paths or '..' "
                            "in their names (a zip-slip archive); a REFI-QDA export never does",
                            [Problem(f"unsafe member name {b!r}", str(path)) for b in bad])

    def project_member(self) -> zipfile.ZipInfo:
        qde = [i for key, i in self.infos.items() if key.endswith(".qde") and "/" not in key.strip("/")]
        if not qde:
            raise DataError(f"{self.path.name}: the zip holds no project.qde; is this a REFI-QDA project export?",
                            [Problem("no .qde file in the archive", str(self.path))])
        return qde[0]

    def find(self, *names: str) -> zipfile.ZipInfo | None:
        for n in names:
            info = self.infos.get(n.lower())
            if info is not None:
                return info
        return None

    def read(self, info: zipfile.ZipInfo, what: str) -> bytes:
        lim = self.limits
        _check_size(info.file_size, self.total, lim, what, self.path)
        if info.file_size >= lim.ratio_floor and info.file_size > lim.max_ratio * max(info.compress_size, 1):
            raise DataError(f"{self.path.name}: {what} inflates {info.file_size / max(info.compress_size, 1):.0f} "
                            f"times (limit ArchiveLimits.max_ratio = {lim.max_ratio:g}); refused as a possible "
                            "zip bomb", [Problem("compression ratio above the limit", str(self.path))])
        if info.flag_bits & 0x1:
            raise DataError(f"{self.path.name}: {what} is encrypted; export the project without a password",
                            [Problem("encrypted archive member", str(self.path))])
        try:
            with self.zf.open(info) as fh:
                data = fh.read(info.file_size + 1)  # zipfile stops at the declared size; +1 proves it
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
                OverflowError, ValueError) as err:
            raise DataError(f"{self.path.name}: {what} cannot be unpacked ({type(err).__name__}: {err})",
                            [Problem("damaged archive member", str(self.path))]) from None
        if len(data) > info.file_size:
            raise DataError(f"{self.path.name}: {what} is longer than its declared size; damaged archive",
                            [Problem("archive member longer than declared", str(self.path))])
        self.total += len(data)
        return data


def _unsafe_member(name: str) -> bool:
    norm = name.replace("\\", "/")
    parts = norm.split("/")
    return norm.startswith("/") or bool(re.match(r"^[A-Za-z]:", norm)) or ".." in parts or "\x00" in name


def _check_size(size: int, total: int, lim: ArchiveLimits, what: str, path: Path) -> None:
    mib = 1024 * 1024
    if size > lim.max_member_bytes:
        raise DataError(f"{path.name}: {what} is {size / mib:.1f} MiB uncompressed, above the limit of "
                        f"{lim.max_member_bytes / mib:g} MiB per file (ArchiveLimits.max_member_bytes); pass "
                        "limits={'max_member_bytes': …} to load_codings to read it",
                        [Problem("file above the size limit", str(path))])
    if total + size > lim.max_total_bytes:
        raise DataError(f"{path.name}: reading {what} would unpack {(total + size) / mib:.1f} MiB in all, above "
                        f"the limit of {lim.max_total_bytes / mib:g} MiB (ArchiveLimits.max_total_bytes); pass "
                        "limits={'max_total_bytes': …} to load_codings to read it",
                        [Problem("total size above the limit", str(path))])


def _read_bare(path: Path, limits: ArchiveLimits) -> bytes:
    _check_size(path.stat().st_size, 0, limits, "the file", path)
    return path.read_bytes()


def _parse(data: bytes, path: Path, member: str) -> ET.Element:
    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ET.ParseError as err:
        raise DataError(f"{path.name}: {member} is not well-formed XML ({err})",
                        [Problem(f"malformed XML in {member}: {err}", str(path))]) from None
    except defusedxml.DefusedXmlException as err:
        raise DataError(f"{path.name}: {member} is refused: it declares a DTD or entities ({type(err).__name__}); "
                        "REFI-QDA files have neither, and entities can expand into gigabytes",
                        [Problem(f"DTD/entity in {member}", str(path))]) from None


class _Sources:
    """Resolves a source's ``plainTextPath`` under the rules of the module docstring."""

    def __init__(self, path: Path, archive: _Archive | None, sources_dir, limits: ArchiveLimits):
        self.path, self.archive, self.limits = path, archive, limits
        self.external: list[str] = []   # sources that need sources_dir (reported together)
        self.total = 0
        self.base = None
        if sources_dir is not None:
            base = Path(sources_dir)
            if not base.is_dir():
                raise DataError(f"sources_dir {str(base)!r} is not a folder",
                                [Problem("sources_dir is not a folder", str(base))])
            self.base = base.resolve()

    def read(self, ref: str, owner: str) -> bytes | None:
        m = _SCHEME.match(ref.strip())
        scheme, rest = (m.group(1).lower(), m.group(2)) if m else ("internal", ref.strip())
        rest = unquote(rest)
        if "\x00" in rest:
            raise DataError(f"{self.path.name}: {owner} has a plainTextPath with a NUL character; refused",
                            [Problem(f"{owner}: NUL in path", str(self.path))])
        if scheme == "internal":
            return self._internal(rest, ref, owner)
        if scheme not in ("relative", "absolute"):
            raise DataError(f"{self.path.name}: {owner} has a plainTextPath with scheme {scheme!r}; REFI-QDA "
                            "knows internal://, relative:// and absolute://",
                            [Problem(f"{owner}: unsupported path scheme {scheme!r}", str(self.path))])
        if self.base is None:
            self.external.append(owner)
            return None
        return self._external(scheme, rest, owner)

    def _internal(self, rest: str, ref: str, owner: str) -> bytes:
        rel = rest.replace("\\", "/").lstrip("/")
        parts = PurePosixPath(rel).parts
        if not parts or ".." in parts or re.match(r"^[A-Za-z]:", rel):
            raise DataError(f"{self.path.name}: {owner} has a plainTextPath that leaves the project's sources "
                            "('..' or a drive in an internal:// path); refused",
                            [Problem(f"{owner}: internal path leaves the archive", str(self.path))])
        what = f"the plain text of {owner}"
        if self.archive is not None:
            info = self.archive.find(f"sources/{rel}", rel)
            if info is not None:
                return self.archive.read(info, what)
        else:
            folder = self.path.parent.resolve()
            for sub in ("Sources", "sources", "."):
                try:
                    cand = (folder / sub / rel).resolve()
                    found = cand.is_relative_to(folder) and cand.is_file()
                except (OSError, ValueError, RuntimeError):
                    found = False
                if found:
                    return self._file(cand, what)
        raise DataError(f"{self.path.name}: {owner} refers to {ref!r}, which is not in the project "
                        "(export the project again with its sources included)",
                        [Problem(f"{owner}: missing source file {ref!r}", str(self.path))])

    def _external(self, scheme: str, rest: str, owner: str) -> bytes:
        try:
            return self._external_file(scheme, rest, owner)
        except (OSError, ValueError, RuntimeError) as err:  # name too long, link loop …
            if isinstance(err, DataError):
                raise
            raise DataError(f"{self.path.name}: {owner} has a path that cannot be resolved "
                            f"({type(err).__name__}); refused",
                            [Problem(f"{owner}: unresolvable path", str(self.path))]) from None

    def _external_file(self, scheme: str, rest: str, owner: str) -> bytes:
        what = f"the plain text of {owner}"
        if scheme == "relative":
            rel = rest.replace("\\", "/").lstrip("/")
            cand = (self.base / rel).resolve()
            if not cand.is_relative_to(self.base):
                raise DataError(f"{self.path.name}: {owner} has a relative:// path that leads outside sources_dir "
                                "(after '..' and links are resolved); refused",
                                [Problem(f"{owner}: path leaves sources_dir", str(self.path))])
            candidates = [cand]
        else:
            win = PureWindowsPath(rest.lstrip("/") if re.match(r"^/[A-Za-z]:", rest) else rest)
            here = Path(rest).resolve() if rest.startswith("/") else None
            candidates = [here] if here is not None and here.is_relative_to(self.base) else []
            if win.name and win.name not in (".", ".."):
                candidates.append((self.base / win.name).resolve())
        for cand in candidates:
            if cand.is_relative_to(self.base) and cand.is_file():
                return self._file(cand, what)
        raise DataError(f"{self.path.name}: {owner} is an external file ({scheme}://) that is not in sources_dir; "
                        "copy it there (relative paths keep their folders, absolute ones are looked up by file "
                        "name)", [Problem(f"{owner}: external source not found in sources_dir", str(self.path))])

    def _file(self, path: Path, what: str) -> bytes:
        size = path.stat().st_size
        spent = self.total + (self.archive.total if self.archive else 0)
        _check_size(size, spent, self.limits, what, self.path)
        with path.open("rb") as fh:
            data = fh.read(size + 1)
        if len(data) > size:  # grew while reading: read no further than the limit allowed
            data = data[:size]
        self.total += len(data)
        return data

    def raise_external(self) -> None:
        if not self.external:
            return
        raise DataError(
            f"{self.path.name}: {len(self.external)} source(s) are external files (relative:// or absolute:// "
            "paths), which evalkit reads only from a folder you name: copy them into one folder and call "
            "ek.load_codings(path, sources_dir=folder), or export the project with its sources embedded",
            [Problem(f"{o}: external source, pass sources_dir", str(self.path)) for o in self.external])


# ---------------------------------------------------------------------------- identity gate
class _Gate:
    """Every string the reader takes in, with the element it came from, checked for identity numbers."""

    def __init__(self, path: Path):
        self.path = path
        self.values: list[str] = []
        self.places: list[tuple] = []   # (element or None, label, field)
        self.parents: dict | None = None
        self.root: ET.Element | None = None

    def add(self, value: str | None, element, label: str | None, field: str) -> None:
        if value and any(ch.isdigit() for ch in value):  # no digit, no number
            self.values.append(value)
            self.places.append((element, label, field))

    def add_tree(self, root: ET.Element) -> None:
        self.root = root
        for el in root.iter():
            self.add(el.text, el, None, "text")
            self.add(el.tail, el, None, "text after it")
            for name, value in el.attrib.items():
                local = _local(name)
                if local in _GUID_ATTRS and _GUID.match(value.strip()):
                    continue
                self.add(value, el, None, f"attribute {local}")

    def check(self) -> None:
        if not self.values:
            return
        hits = scan_identifiers(pd.DataFrame({"value": self.values}))
        found = [(int(h.row), h.kind) for h in hits if h.row is not None]
        self.values, places = [], self.places
        self.places = []
        if not found:
            return
        grouped: dict[tuple[str, str], list[str]] = {}
        for row, kind in found:
            el, label, field = places[row]
            grouped.setdefault((self._label(el) if label is None else label, field), []).append(kind)
        problems = [Problem(f"{', '.join(sorted(set(k), key=KINDS.index))} in {where}, {field}", str(self.path))
                    for (where, field), k in grouped.items()]
        kinds = sorted({k for _, k in found}, key=KINDS.index)
        raise IdentifierError(
            f"{self.path.name} is refused: it holds personal identity numbers ({', '.join(kinds)}) in "
            f"{len(grouped)} place(s). Remove or pseudonymise them in the coding tool and export the project "
            "again. The numbers themselves are not shown.", problems)

    def _label(self, el: ET.Element) -> str:
        if self.parents is None:
            self.parents = {c: p for p in self.root.iter() for c in p} if self.root is not None else {}
        tag = _local(el.tag)
        if _GUID.match((el.get("guid") or "").strip()):
            return f"<{tag} guid={el.get('guid').strip('{}').lower()}>"
        anc = self.parents.get(el)
        while anc is not None:
            g = (anc.get("guid") or "").strip()
            if _GUID.match(g):
                return f"<{tag}> in <{_local(anc.tag)} guid={g.strip('{}').lower()}>"
            anc = self.parents.get(anc)
        return f"<{tag}>"


# ---------------------------------------------------------------------------- XML helpers
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _kid(el: ET.Element | None, name: str) -> ET.Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _text_of(el: ET.Element | None) -> str | None:
    return None if el is None else (el.text or "")


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


def _codes(codes_el: ET.Element | None, guids: _Guids, used: set) -> list[dict]:
    rows: list[dict] = []
    # iterative walk: a hostile file may nest codes deeper than Python's recursion limit
    stack = [(c, None) for c in reversed(_kids(codes_el, "Code"))]
    if codes_el is not None:
        used.add(codes_el)
    while stack:
        el, parent = stack.pop()
        used.add(el)
        g = guids.add(el.get("guid"), "Code", "code")
        codable = (el.get("isCodable") or "true").strip().lower() in ("true", "1")
        desc = _kid(el, "Description")
        if desc is not None:
            used.add(desc)
        rows.append({"code_guid": g, "name": el.get("name") or "", "parent_guid": parent, "is_codable": codable,
                     "color": el.get("color"), "description": _text_of(desc)})
        stack.extend((c, g) for c in reversed(_kids(el, "Code")))
    return rows


def _codebook(root: ET.Element, path: Path, ns: str) -> Codings:
    guids = _Guids(path)
    used = {root}
    codes = _codes(_kid(root, "Codes"), guids, used)
    report = ImportReport("REFI-QDA codebook (.qdc)", origin=root.get("origin") or "",
                          notes=[f"namespace {ns or '(none)'}; a codebook holds codes only"])
    report.skipped, _ = _skipped(root, used, {})
    if skipped_note(report.skipped):
        report.notes.append(skipped_note(report.skipped))
    return finish_tables(sources=[], codes=codes, segments=[], report=report, path=path, fmt="qdc", rows_read=0,
                         gated=True)


def _value(vv: ET.Element) -> tuple[str | None, str | None, str | None]:
    ref = _kid(vv, "VariableRef")
    target = ref.get("targetGUID") if ref is not None else None
    for tag in _VALUE_TAGS:
        v = _kid(vv, tag)
        if v is not None:
            return target, tag.removesuffix("Value"), (v.text or "")
    return target, None, None


def _owner_label(el: ET.Element) -> str:
    return f"<{_local(el.tag)} guid={(el.get('guid') or '').strip('{}').lower()} name={el.get('name')!r}>"


# ---------------------------------------------------------------------------- project
class _Project:
    """One pass over a Project element; ``used`` collects every element imported, the rest is listed."""

    def __init__(self, root: ET.Element, path: Path, ctx: _Sources, gate: _Gate, ns: str):
        self.root, self.path, self.ctx, self.gate, self.ns = root, path, ctx, gate, ns
        self.origin = root.get("origin") or ""
        self.guids = _Guids(path)
        self.used: set = {root}
        self.sources, self.segments, self.attributes, self.offsets, self.drift = [], [], [], [], []
        self.pdf_rows: list[dict] = []
        self.aliases: dict[str, str] = {}   # Representation GUID -> its PDFSource GUID
        self.texts: list[tuple[str, str]] = []   # (owner label, text) for the identity gate

    def read(self) -> Codings:
        root, path, used = self.root, self.path, self.used
        report = ImportReport("REFI-QDA project (.qdpx)" if self.ctx.archive else "REFI-QDA project (.qde)",
                              origin=self.origin, notes=[f"namespace {self.ns or '(none)'}"])
        users_el = _kid(root, "Users")
        used.update([users_el] + _kids(users_el, "User"))
        users = [{"user_guid": self.guids.add(u.get("guid"), "User", "user"), "name": u.get("name")}
                 for u in _kids(users_el, "User")]
        book = _kid(root, "CodeBook")
        used.add(book)
        self.codes = _codes(_kid(book, "Codes"), self.guids, used)
        self.code_ids = {c["code_guid"] for c in self.codes}
        self.variables = {}
        vars_el = _kid(root, "Variables")
        used.add(vars_el)
        for v in _kids(vars_el, "Variable"):
            used.add(v)
            self.variables[self.guids.add(v.get("guid"), "Variable", "variable")] = (v.get("name") or "",
                                                                                     v.get("typeOfVariable"))
        sources_el = _kid(root, "Sources")
        used.add(sources_el)
        for el in list(sources_el) if sources_el is not None else []:
            self._source(el)
        self.ctx.raise_external()
        for owner, text in self.texts:
            self.gate.add(text, None, owner, "plain text")
        self.gate.check()
        cases = self._cases()
        report.offsets = pd.DataFrame(self.offsets, columns=report.offsets.columns)
        report.drift = pd.DataFrame(self.drift, columns=report.drift.columns)
        report.pdf_selections = pd.DataFrame(self.pdf_rows, columns=list(PDF_SELECTION_COLUMNS))
        if len(report.drift):
            report.notes.append(f"{len(report.drift)} selection(s) whose text does not match the stored preview "
                                "or falls outside the source: see report.drift")
        report.skipped, lost = _skipped(root, used, self._source_of())
        if skipped_note(report.skipped):
            report.notes.append(skipped_note(report.skipped))
        # "<element path>: reason": the path is XML, the same in every language; the reason is one of a fixed
        # set, which the report shows in its language (catalogue table [reasons]); the count is the rows'
        exclusions = [Exclusion(f"<{_path(el)}>: {reason}", tuple(sorted(rows))) for (el, reason), rows in lost.items()]
        if lost:
            n = sum(len(r) for r in lost.values())
            where = "; ".join(f"{len(rows)} in {el}" for (el, _), rows in lost.items())
            warnings.warn(f"{path.name}: {n} coding(s) were not imported ({where}): evalkit analyses text, and "
                          "these code pictures, recordings, PDF areas without text or notes. codings.report.skipped "
                          "lists them; code a text version of those sources if they matter",
                          DataWarning, stacklevel=4)
        n_codings = sum(1 for e in root.iter() if _local(e.tag) == "Coding")
        report.counts = {"selections": sum(o["selections"] for o in self.offsets), "codings": n_codings,
                         "users": len(users)}
        return finish_tables(sources=self.sources, codes=self.codes, segments=self.segments, cases=cases,
                             attributes=self.attributes, users=users, report=report, path=path,
                             fmt="qdpx" if self.ctx.archive else "qde", rows_read=n_codings, exclusions=exclusions,
                             name=root.get("name"), gated=True)

    # -- sources
    def _source(self, el: ET.Element) -> None:
        tag = _local(el.tag)
        if tag == "TextSource":
            self.used.add(el)
            g = self.guids.add(el.get("guid"), tag, "source")
            self._text(el, el, g, "text")
        elif tag == "PDFSource":
            self.used.add(el)
            g = self.guids.add(el.get("guid"), tag, "source")
            rep = _kid(el, "Representation")
            if rep is not None:
                self.aliases[self.guids.add(rep.get("guid"), "Representation", "source")] = g
                self._text(el, rep, g, "pdf")
            else:
                self._row(el, g, "pdf", None)
            self._pdf_selections(el, g)
        elif tag in _MEDIA:
            self.used.add(el)
            g = self.guids.add(el.get("guid"), tag, "source")
            self._row(el, g, _MEDIA[tag], None)
        # anything else stays unused and is listed in report.skipped

    def _row(self, el: ET.Element, g: str, kind: str, text: str | None) -> None:
        self.sources.append({"source_guid": g, "name": el.get("name"), "kind": kind, "text": text,
                             "created": el.get("creationDateTime"), "creator": el.get("creatingUser")})
        for vv in _kids(el, "VariableValue"):
            self.used.update([vv, *vv])
        self.attributes += _var_values(el, g, "source", self.variables, self.path)

    def _text(self, el: ET.Element, text_el: ET.Element, g: str, kind: str) -> None:
        """A TextSource, or a PDFSource read through its Representation (``text_el``)."""
        owner = _owner_label(text_el if text_el is el else el)
        raw = self._plain_text(text_el, owner)
        text = normalise_text(raw) if raw is not None else None
        self._row(el, g, kind, text)
        if raw is None:
            return  # external source without sources_dir: reported together after the loop
        self.texts.append((owner, raw))
        sels = _kids(text_el, "PlainTextSelection")
        spans_in = []
        for s in sels:
            try:
                spans_in.append((int(s.get("startPosition")), int(s.get("endPosition")), s.get("name")))
            except (TypeError, ValueError):
                raise DataError(f"{self.path.name}: <PlainTextSelection guid={s.get('guid')}> has no integer "
                                "startPosition/endPosition",
                                [Problem(f"PlainTextSelection {s.get('guid')}: bad positions",
                                         str(self.path))]) from None
        if spans_in:
            conv, spans, details = choose_convention(raw, spans_in, self.origin)
        else:  # nothing to map: skip the per-character scan of the text
            conv, spans, details = vendor_convention(self.origin), [], {}
            details[conv] = {"match": 0, "mismatch": 0, "checks": []}
        checks = details[conv]["checks"]
        out_of_range = 0
        for s, (a, b), (ra, rb, preview), ok in zip(sels, spans, spans_in, checks):
            sg = self.guids.add(s.get("guid"), "PlainTextSelection", "selection")
            codings = _kids(s, "Coding")
            if codings:  # a selection without a coding stays unused: listed as an annotation/empty span
                self.used.add(s)
            inside = 0 <= a <= b <= len(text)
            out_of_range += not inside
            sliced = text[a:b] if inside else None
            if not inside or ok is False:
                self.drift.append({"source_guid": g, "selection_guid": sg, "start": ra, "end": rb,
                                   "preview": preview, "sliced": sliced})
            for c in codings:
                self.segments.append(self._coding(c, sg, g, a if inside else None, b if inside else None, sliced))
        self.offsets.append({"source_guid": g, "name": el.get("name"), "convention": conv, "selections": len(sels),
                             "preview_match": details[conv]["match"], "preview_mismatch": details[conv]["mismatch"],
                             "no_preview": sum(c is None for c in checks), "out_of_range": out_of_range})
        whole = _kids(text_el, "Coding") + (_kids(el, "Coding") if text_el is not el else [])
        for c in whole:  # codings of the whole text (for a PDF: of the representation or the whole document)
            self.segments.append(self._coding(c, None, g, 0, len(text), text))

    def _plain_text(self, el: ET.Element, owner: str) -> str | None:
        self.used.add(el)
        content = _kid(el, "PlainTextContent")
        if content is not None:
            self.used.add(content)
            return content.text or ""
        ref = el.get("plainTextPath")
        if not ref:
            raise DataError(f"{self.path.name}: {owner} has neither PlainTextContent nor plainTextPath",
                            [Problem(f"{owner}: no plain text", str(self.path))])
        data = self.ctx.read(ref, owner)
        return None if data is None else _decode(data, owner, self.path)

    def _pdf_selections(self, el: ET.Element, g: str) -> None:
        """PDFSelection rectangles: page and corners recorded; segments where a text representation exists."""
        pdf_text = next((s["text"] for s in reversed(self.sources) if s["source_guid"] == g), None)
        for sel in _kids(el, "PDFSelection"):
            sg = self.guids.add(sel.get("guid"), "PDFSelection", "selection")
            codings = _kids(sel, "Coding")
            rep = _kid(sel, "Representation")
            row = {"source_guid": g, "selection_guid": sg, "page": _int(sel.get("page")),
                   **{k: _int(sel.get(a)) for k, a in (("first_x", "firstX"), ("first_y", "firstY"),
                                                         ("second_x", "secondX"), ("second_y", "secondY"))},
                   "codings": len(codings), "imported": False, "located": False}
            self.pdf_rows.append(row)
            if rep is None or not codings:
                continue
            owner = _owner_label(sel)
            raw = self._plain_text(rep, owner)
            if raw is None or not raw.strip():
                continue
            if rep.get("guid"):
                self.guids.add(rep.get("guid"), "Representation", "source")
            self.texts.append((owner, raw))
            piece = normalise_text(raw)
            a = pdf_text.find(piece) if pdf_text else -1
            unique = a >= 0 and pdf_text.find(piece, a + 1) < 0
            row.update(imported=True, located=unique)
            self.used.update([sel, rep])
            for c in codings:
                self.segments.append(self._coding(c, sg, g, a if unique else None,
                                                  a + len(piece) if unique else None, piece))

    def _coding(self, c: ET.Element, sel: str | None, src: str, a, b, sliced) -> dict:
        self.used.add(c)
        cg = self.guids.add(c.get("guid"), "Coding", "coding")
        ref = _kid(c, "CodeRef")
        if ref is None:
            raise DataError(f"{self.path.name}: <Coding guid={cg}> has no <CodeRef>",
                            [Problem(f"Coding {cg}: no CodeRef", str(self.path))])
        self.used.add(ref)
        code = normalise_guid(ref.get("targetGUID"), what="<CodeRef>", file=str(self.path))
        if code not in self.code_ids:
            raise DataError(f"{self.path.name}: <Coding guid={cg}> refers to code {code}, which is not in the "
                            "codebook", [Problem(f"dangling CodeRef {code} in Coding {cg}", str(self.path))])
        user = c.get("creatingUser")
        return {"segment_guid": cg, "selection_guid": sel, "source_guid": src, "code_guid": code,
                "coder": user.strip("{}").lower() if user else None, "start": a, "end": b, "text": sliced,
                "created": c.get("creationDateTime")}

    # -- cases
    def _cases(self) -> list[dict]:
        source_ids = {s["source_guid"] for s in self.sources}
        cases_el = _kid(self.root, "Cases")
        self.used.add(cases_el)
        cases = []
        for case in _kids(cases_el, "Case"):
            self.used.add(case)
            cg = self.guids.add(case.get("guid"), "Case", "case")
            members = []
            for ref in _kids(case, "SourceRef"):
                self.used.add(ref)
                sg = normalise_guid(ref.get("targetGUID"), what="<SourceRef>", file=str(self.path))
                sg = self.aliases.get(sg, sg)
                if sg not in source_ids:
                    raise DataError(f"{self.path.name}: <Case guid={cg}> has a <SourceRef> to {sg}, which is no "
                                    "source", [Problem(f"dangling SourceRef {sg} in Case {cg}", str(self.path))])
                members.append(sg)
            for vv in _kids(case, "VariableValue"):
                self.used.update([vv, *vv])
            values = _var_values(case, cg, "case", self.variables, self.path)
            if not case.get("name") and len(members) == 1:
                # MAXQDA/Quirkos: document variables as a nameless single-source case
                self.attributes += [{**v, "owner_guid": members[0], "owner_kind": "source"} for v in values]
                continue
            self.attributes += values
            cases += [{"case_guid": cg, "name": case.get("name"), "source_guid": m} for m in members] or \
                     [{"case_guid": cg, "name": case.get("name"), "source_guid": None}]
        return cases

    def _source_of(self) -> dict:
        """Element -> GUID of the source it lies in (for report.skipped)."""
        out = {}
        sources_el = _kid(self.root, "Sources")
        for el in list(sources_el) if sources_el is not None else []:
            g = (el.get("guid") or "").strip().strip("{}").lower() or None
            for d in el.iter():
                out[d] = g
        return out


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _decode(data: bytes, owner: str, path: Path) -> str:
    """Source bytes as text: UTF-16 with a BOM, else UTF-8 (a BOM is dropped); anything else is refused."""
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        shown = encoding.removesuffix("-sig").upper()
        raise DataError(f"{path.name}: the plain text of {owner} is not valid {shown} (byte {err.start}, line "
                        f"{line}); REFI-QDA texts are UTF-8 — export the project again or re-save the text as UTF-8",
                        [Problem(f"{owner}: invalid {shown} at byte {err.start}", str(path), row=line)]) from None


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


def _has_content(el: ET.Element) -> bool:
    """Does an unused element carry anything (an empty ``<Description/>`` loses nothing)?"""
    return bool(el.attrib) or len(el) > 0 or bool((el.text or "").strip())


def _skipped(root: ET.Element, used: set, source_of: dict) -> tuple[pd.DataFrame, dict]:
    """Tops of the unused subtrees, counted per (element, source), and the codings inside them by reason."""
    rows: dict[tuple, list[int]] = {}
    lost: dict[tuple[str, str], list[int]] = {}
    coding_no = {el: i for i, el in enumerate((e for e in root.iter() if _local(e.tag) == "Coding"), start=1)}
    stack = [root]
    while stack:
        el = stack.pop()
        for child in el:
            if child in used:
                stack.append(child)
                continue
            if not _has_content(child):
                continue
            tag, parent = _local(child.tag), _local(el.tag)
            name = tag if parent in ("Project", "Sources", "CodeBook") else f"{tag} in {parent}"
            if parent == "Sources" and tag not in _MEDIA and tag not in ("TextSource", "PDFSource"):
                reason = "unknown source element (REFI-QDA 1.0 has Text/PDF/Picture/Audio/Video sources)"
            else:
                reason = _REASONS.get(tag, "element not read by evalkit")
            if tag.endswith("Selection") and not _kids(child, "Coding"):
                reason = "selection without a Coding (an annotation or an empty span)"
            inner = [coding_no[d] for d in child.iter() if d in coding_no]
            key = (name, source_of.get(child), reason)
            entry = rows.setdefault(key, [0, 0])
            entry[0] += 1
            entry[1] += len(inner)
            if inner:
                lost.setdefault((name, reason), []).extend(inner)
    table = pd.DataFrame([{"element": k[0], "source_guid": k[1], "count": v[0], "codings": v[1], "reason": k[2]}
                          for k, v in rows.items()], columns=list(SKIPPED_COLUMNS))
    return table, lost


_ = preview_matches  # re-exported for tests of the preview rule
