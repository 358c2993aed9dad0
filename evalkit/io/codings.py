"""Interview codings from qualitative-analysis tools: ``ek.load_codings(path) -> ek.Codings``.

One loader for every file a coding tool exports, all turned into the same tidy
tables keyed by GUID (never by name — MAXQDA allows duplicate names):

=====================================  ==============================================================
input                                  read as
=====================================  ==============================================================
``.qdpx`` (REFI-QDA project, zip)      sources with text, code tree, selections, codings, cases, variables
``.qde`` (bare REFI-QDA project XML)   the same, source files looked up beside it
``.qdc`` (REFI-QDA codebook)           code tree only
QualCoder ``.qda`` (SQLite or folder)  core columns of source, code_cat, code_name, code_text, cases, attribute
Taguette ``.sqlite3`` project          documents (HTML → text), tags, highlights
coded-segments export (.xlsx/.xls/.csv) MAXQDA "coded segments", Taguette highlights, a long CSV
                                       (source, code, coder, start, end, text)
coding matrix (.xlsx/.csv)             sources × codes with 0/1 or counts (NVivo/MAXQDA/ATLAS.ti)
ATLAS.ti code list (.csv/.xlsx)        code tree (hierarchy by column) with groundedness
=====================================  ==============================================================

Every text column goes through the identity-number gate
(:func:`evalkit.privacy.check_identifiers`); the segments table carries a
:class:`~evalkit.provenance.LoadRecord` (codings read → kept, non-text
selections excluded with a reason), and :attr:`Codings.report` lists what was
checked: per source the offset convention used and how many stored previews the
sliced text matched.
"""
from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.errors import ConfigError, DataError, Problem
from evalkit.io._offsets import normalise_text, to_lf
from evalkit.privacy import check_identifiers
from evalkit.provenance import LoadRecord, SourceFile, attach, record_of

__all__ = ["Codings", "ImportReport", "ArchiveLimits", "load_codings", "EVALKIT_NAMESPACE", "stable_guid",
           "SOURCE_COLUMNS", "CODE_COLUMNS", "SEGMENT_COLUMNS", "CASE_COLUMNS", "ATTRIBUTE_COLUMNS"]

#: namespace of evalkit's uuid5 GUIDs (codes, sources, selections made from names)
EVALKIT_NAMESPACE = uuid.UUID("6f1c4a52-2f0e-5b7a-9a53-65766b616c6b")

SOURCE_COLUMNS = ("source_guid", "name", "kind", "text", "created", "creator")
CODE_COLUMNS = ("code_guid", "name", "parent_guid", "is_codable", "color", "description", "path", "depth")
SEGMENT_COLUMNS = ("segment_guid", "selection_guid", "source_guid", "code_guid", "coder", "start", "end",
                   "text", "created")
CASE_COLUMNS = ("case_guid", "name", "source_guid")
ATTRIBUTE_COLUMNS = ("owner_guid", "owner_kind", "variable", "type", "value")
USER_COLUMNS = ("user_guid", "name")

_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def stable_guid(*parts: object) -> str:
    """A GUID derived from names with uuid5, so re-exports keep identities.

    >>> stable_guid("code", "Minutstyrning") == stable_guid("code", "Minutstyrning")
    True
    """
    return str(uuid.uuid5(EVALKIT_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def normalise_guid(value: str | None, *, what: str, file: str | None = None) -> str:
    """Lower-case GUID without braces; a malformed GUID is a DataError naming the element."""
    m = _GUID.match((value or "").strip())
    if not m:
        raise DataError(f"{what} has no valid GUID ({value!r}); REFI-QDA requires "
                        "8-4-4-4-12 hexadecimal digits", [Problem(f"{what}: guid {value!r}", file)])
    return m.group(1).lower()


_MIB = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits on what reading a REFI-QDA project may unpack (a zip bomb or a huge source is refused).

    A ``.qdpx`` is a zip whose members state their own sizes; every member
    evalkit reads (``project.qde`` and the plain texts of the sources; never the
    pictures, audio or rich-text files) is checked against these limits before
    a byte is inflated, and the reading stops at the declared size. Files read
    from ``sources_dir`` count towards the same limits.

    Attributes
    ----------
    max_members : int, default 50 000
        Entries in the zip's directory.
    max_member_bytes : int, default 256 MiB
        Uncompressed size of one member read (the project XML or one source text).
    max_total_bytes : int, default 1 GiB
        Uncompressed bytes read over the whole import.
    max_ratio : float, default 200
        Uncompressed / compressed size of a member read; plain text and XML
        deflate 3–20 times, zip bombs 1 000 times and more.
    ratio_floor : int, default 1 MiB
        Members smaller than this are not ratio-checked (a small file of
        repeated characters is harmless, whatever its ratio).

    Examples
    --------
    >>> ArchiveLimits(max_member_bytes=1024 * 1024 * 1024).max_member_bytes
    1073741824
    """

    max_members: int = 50_000
    max_member_bytes: int = 256 * _MIB
    max_total_bytes: int = 1024 * _MIB
    max_ratio: float = 200.0
    ratio_floor: int = _MIB

    def __post_init__(self):
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"limits: {name} must be a positive number, got {value!r}")

    @classmethod
    def of(cls, limits: "ArchiveLimits | dict | None") -> "ArchiveLimits":
        """The limits to use: the defaults, an ``ArchiveLimits``, or a dict overriding some defaults."""
        if limits is None:
            return cls()
        if isinstance(limits, cls):
            return limits
        if isinstance(limits, dict):
            unknown = sorted(set(limits) - set(cls.__dataclass_fields__))
            if unknown:
                raise ConfigError(f"limits: unknown key(s) {', '.join(unknown)}; allowed: "
                                  + ", ".join(cls.__dataclass_fields__))
            return cls(**limits)
        raise ConfigError(f"limits must be an ArchiveLimits or a dict, not {type(limits).__name__}")


SKIPPED_COLUMNS = ("element", "source_guid", "count", "codings", "reason")
PDF_SELECTION_COLUMNS = ("source_guid", "selection_guid", "page", "first_x", "first_y", "second_x", "second_y",
                         "codings", "imported", "located")


@dataclass
class ImportReport:
    """What an import checked and found.

    Attributes
    ----------
    format : str
        Detected input format.
    origin : str
        Producing tool (``Project/@origin`` or the export kind).
    counts : dict
        Elements read (sources, codes, selections, codings, cases, variables).
    offsets : DataFrame
        One row per source: ``source_guid, name, convention, selections,
        preview_match, preview_mismatch, no_preview, out_of_range``.
    drift : DataFrame
        Selections whose sliced text does not match their stored preview or
        that fall outside the text (``source_guid, selection_guid, start, end,
        preview, sliced``) — listed, never silently moved.
    skipped : DataFrame
        Everything in the file that was not imported, one row per kind of
        element and source: ``element`` (e.g. ``PictureSelection``,
        ``PDFSelection``, ``Notes``, ``Description in PlainTextSelection``),
        ``source_guid`` (the source it belongs to, missing for project-level
        elements), ``count`` (elements), ``codings`` (codings inside them that
        are therefore not segments) and ``reason``.
    pdf_selections : DataFrame
        One row per ``PDFSelection`` (a rectangle on a PDF page):
        ``source_guid, selection_guid, page, first_x, first_y, second_x,
        second_y, codings, imported`` (its codings became segments because it
        carries a text representation) and ``located`` (that text was found
        once in the PDF's plain text, so the segments have offsets). Segments
        from a PDFSelection have ``selection_guid`` equal to its GUID, so the
        page joins on that.
    notes : list of str
        Everything else worth knowing (unknown elements skipped, non-text
        selections left out, offsets that are paragraph numbers …).
    """

    format: str
    origin: str = ""
    counts: dict = field(default_factory=dict)
    offsets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["source_guid", "name", "convention", "selections", "preview_match", "preview_mismatch",
                 "no_preview", "out_of_range"]))
    drift: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["source_guid", "selection_guid", "start", "end", "preview", "sliced"]))
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(SKIPPED_COLUMNS)))
    pdf_selections: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(PDF_SELECTION_COLUMNS)))
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.format} from {self.origin or 'unknown tool'}: "
                 + ", ".join(f"{v} {k}" for k, v in self.counts.items())]
        if len(self.offsets):
            checked = int(self.offsets["preview_match"].sum())
            bad = int(self.offsets["preview_mismatch"].sum() + self.offsets["out_of_range"].sum())
            lines.append(f"offsets: {checked} selections match their preview, {bad} drift "
                         f"(conventions: {', '.join(sorted(set(self.offsets['convention'])))})")
        lines += self.notes
        return "\n".join(lines)


@dataclass
class Codings:
    """Coded interviews as tidy tables keyed by GUID.

    Attributes
    ----------
    sources : DataFrame
        ``source_guid, name, kind, text, created, creator`` — ``text`` is the
        plain text with LF line ends that the offsets index (missing for
        exports without texts).
    codes : DataFrame
        The code tree: ``code_guid, name, parent_guid, is_codable, color,
        description, path, depth``; categories are ``is_codable == False``;
        ``path`` joins the names from the root with " > ".
    segments : DataFrame
        One row per coding: ``segment_guid, selection_guid, source_guid,
        code_guid, coder, start, end, text, created``; start/end are 0-based,
        end-exclusive code points on ``sources.text`` (missing where the
        export holds none); ``text`` is the slice.
    cases : DataFrame
        ``case_guid, name, source_guid`` (one row per case member source).
    attributes : DataFrame
        ``owner_guid, owner_kind ("source"|"case"), variable, type, value``
        (value as text, type from ``typeOfVariable``).
    users : DataFrame
        ``user_guid, name``.
    report : ImportReport
    """

    sources: pd.DataFrame
    codes: pd.DataFrame
    segments: pd.DataFrame
    cases: pd.DataFrame = field(default_factory=lambda: _empty(CASE_COLUMNS))
    attributes: pd.DataFrame = field(default_factory=lambda: _empty(ATTRIBUTE_COLUMNS))
    users: pd.DataFrame = field(default_factory=lambda: _empty(USER_COLUMNS))
    report: ImportReport = field(default_factory=lambda: ImportReport("memory"))
    name: str = "codings"

    # ------------------------------------------------------------------ views
    @property
    def records(self) -> list[LoadRecord]:
        """The LoadRecord of the import (kept on the segments table), for the provenance appendix."""
        record = record_of(self.segments)
        return [record] if record is not None else []

    def source_attributes(self) -> pd.DataFrame:
        """Sources × variables (wide, text values), case variables carried to their member sources.

        A source's own value wins over its case's (MAXQDA keeps document
        variables on the source and, for other tools, on a nameless case).
        """
        att = self.attributes
        own = att[att["owner_kind"] == "source"][["owner_guid", "variable", "value"]]
        own = own.rename(columns={"owner_guid": "source_guid"})
        via = att[att["owner_kind"] == "case"].merge(self.cases, left_on="owner_guid", right_on="case_guid")
        via = via[["source_guid", "variable", "value"]]
        both = pd.concat([own.assign(_p=0), via.assign(_p=1)]).sort_values("_p", kind="stable")
        both = both.drop_duplicates(["source_guid", "variable"])
        wide = both.pivot(index="source_guid", columns="variable", values="value") if len(both) else pd.DataFrame()
        wide = wide.reindex(self.sources["source_guid"])
        wide.columns.name = None
        return wide

    def segments_named(self) -> pd.DataFrame:
        """Segments with code name/path and source name added (for reading, not for keys)."""
        seg = self.segments.merge(self.codes[["code_guid", "name", "path"]].rename(
            columns={"name": "code", "path": "code_path"}), on="code_guid", how="left")
        return seg.merge(self.sources[["source_guid", "name"]].rename(columns={"name": "source"}),
                         on="source_guid", how="left")

    def code_guid(self, name_or_path: str) -> str:
        """The GUID of the code with this name or path (a DataError when absent or ambiguous)."""
        hit = self.codes[(self.codes["name"] == name_or_path) | (self.codes["path"] == name_or_path)
                         | (self.codes["code_guid"] == name_or_path.lower())]
        if len(hit) != 1:
            what = "no code" if hit.empty else f"{len(hit)} codes"
            raise DataError(f"{what} named {name_or_path!r}; give the code's path (\"Parent > Child\") or GUID")
        return str(hit["code_guid"].iloc[0])

    def presence(self, unit: str = "source", coder: str | None = None) -> pd.DataFrame:
        """Sources × codable codes, 1 where the code was applied (by ``coder`` if given)."""
        seg = self.segments if coder is None else self.segments[self.segments["coder"] == coder]
        codable = self.codes.loc[self.codes["is_codable"], "code_guid"]
        tab = pd.crosstab(seg["source_guid"], seg["code_guid"]).clip(upper=1)
        return tab.reindex(index=self.sources["source_guid"], columns=codable, fill_value=0)

    def summary(self) -> str:
        return (f"Codings '{self.name}': {len(self.sources)} sources, {int(self.codes['is_codable'].sum())} "
                f"codable codes ({int((~self.codes['is_codable']).sum())} categories), {len(self.segments)} "
                f"coded segments by {self.segments['coder'].nunique()} coder(s), {len(self.cases)} case links, "
                f"{self.attributes['variable'].nunique()} variables\n" + self.report.summary())

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>" + self.segments_named().head(10).to_html()


def skipped_note(skipped: pd.DataFrame) -> str | None:
    """One line for the notes (and the provenance record): what was not imported, with counts."""
    if not len(skipped):
        return None
    by = skipped.groupby("element", sort=False)[["count", "codings"]].sum()
    return "not imported: " + "; ".join(
        f"{int(r['count'])} × {el}" + (f" ({int(r['codings'])} codings)" if r["codings"] else "")
        for el, r in by.iterrows()) + " — see report.skipped"


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def finish_tables(*, sources, codes, segments, cases=None, attributes=None, users=None, report: ImportReport,
                  path: Path | None, fmt: str, rows_read: int, exclusions=(), name: str | None = None,
                  gated: bool = False) -> Codings:
    """Type the tables, add code paths, run the privacy gate and attach provenance.

    ``gated=True``: the loader already passed every string it read through the gate, naming
    places in its own terms (the REFI reader names elements), so only the segment texts are
    scanned here (a slice can cut a longer digit run down to an identity number).
    """
    sources = _frame(sources, SOURCE_COLUMNS)
    codes = _with_paths(_frame(codes, CODE_COLUMNS))
    segments = _frame(segments, SEGMENT_COLUMNS)
    cases = _frame(cases if cases is not None else [], CASE_COLUMNS)
    attributes = _frame(attributes if attributes is not None else [], ATTRIBUTE_COLUMNS)
    users = _frame(users if users is not None else [], USER_COLUMNS)
    for col in ("start", "end"):
        segments[col] = pd.to_numeric(segments[col]).astype("Int64")
    sources, segments = lf_tables(sources, segments)
    codes["is_codable"] = codes["is_codable"].astype(bool)
    file = str(path) if path else None
    if not gated:
        _gate(sources[["name", "text"]], file, "sources")
        _gate(codes[["name", "description"]], file, "codes")
        _gate(attributes[["variable", "value"]], file, "attributes")
        _gate(cases[["name"]], file, "cases")
    _gate(segments[["text"]], file, "segments")
    report.counts = {"sources": len(sources), "codes": len(codes), "segments": len(segments),
                     "cases": cases["case_guid"].nunique(), "variables": attributes["variable"].nunique(),
                     **{k: v for k, v in report.counts.items() if k not in ("sources", "codes", "segments")}}
    source = SourceFile.from_path(path, fmt) if path and Path(path).is_file() else None
    record = LoadRecord(table="codings", source=source, rows_read=rows_read, rows_kept=len(segments),
                        exclusions=list(exclusions), notes=list(report.notes))
    attach(segments, record)
    return Codings(sources=sources, codes=codes, segments=segments, cases=cases, attributes=attributes,
                   users=users, report=report, name=name or (Path(path).stem if path else "codings"))


def lf_tables(sources: pd.DataFrame, segments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Source texts with LF line ends and segment offsets moved onto them.

    Loaders already hand over LF texts (this is then a no-op); texts built in
    memory may hold CRLF, with offsets counted on that string. Segment texts
    get LF line ends too, so they stay equal to the slice they index.
    """
    raw = sources["text"].map(lambda t: isinstance(t, str) and ("\r" in t or t.startswith("\ufeff")))
    if not raw.any() and not segments["text"].map(lambda t: isinstance(t, str) and "\r" in t).any():
        return sources, segments
    sources, segments = sources.copy(), segments.copy()
    for i in sources.index[raw.to_numpy(dtype=bool)]:
        guid, text = sources.at[i, "source_guid"], sources.at[i, "text"]
        rows = segments.index[(segments["source_guid"] == guid) & segments["start"].notna()
                              & segments["end"].notna()]
        new_text, spans = to_lf(text, [(int(segments.at[r, "start"]), int(segments.at[r, "end"])) for r in rows])
        sources.at[i, "text"] = new_text
        for r, (a, b) in zip(rows, spans):
            segments.at[r, "start"], segments.at[r, "end"] = a, b
    segments["text"] = segments["text"].map(lambda t: normalise_text(t) if isinstance(t, str) else t)
    return sources, segments


def _frame(rows, columns) -> pd.DataFrame:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=list(columns))
    for c in columns:
        if c not in frame:
            frame[c] = None
    return frame[list(columns)].reset_index(drop=True)


def _gate(frame: pd.DataFrame, file: str | None, table: str) -> None:
    # the gate reads row numbers from the index: 1-based element order within the table
    if len(frame):
        check_identifiers(frame.set_axis(range(1, len(frame) + 1)), file=file, sheet=table)


def _with_paths(codes: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(codes["code_guid"], codes["name"]))
    parent = dict(zip(codes["code_guid"], codes["parent_guid"]))
    paths, depths = [], []
    for g in codes["code_guid"]:
        chain, seen = [], set()
        while g is not None and isinstance(g, str) and g in names and g not in seen:
            seen.add(g)
            chain.append(str(names[g]))
            g = parent.get(g)
        paths.append(" > ".join(reversed(chain)))
        depths.append(len(chain) - 1)
    codes["path"] = paths
    codes["depth"] = depths
    return codes


# ---------------------------------------------------------------------------- dispatch
def load_codings(path, *, sheet: str | None = None, sources_dir=None, limits=None) -> Codings:
    """Read interview codings from any supported file (see the module table).

    Parameters
    ----------
    path : str or Path
        A ``.qdpx``/``.qde``/``.qdc`` file, a QualCoder project (``.qda`` file
        or folder holding ``data.qda``), a Taguette ``.sqlite3``, or a
        ``.csv``/``.xlsx``/``.xls`` export.
    sheet : str, optional
        Sheet of a workbook export.
    sources_dir : str or Path, optional
        REFI-QDA only: the folder holding the project's *external* sources
        (``relative://`` and ``absolute://`` paths). Without it, only texts
        inside the archive are read and an external source is a DataError:
        a project file never makes evalkit read a file the user did not name.
        ``relative://x/y.txt`` is read as ``sources_dir/x/y.txt`` (the
        project's own ``basePath`` is ignored); ``absolute://…/y.txt`` as that
        path if it lies inside ``sources_dir``, else as ``sources_dir/y.txt``.
        Nothing outside ``sources_dir`` is read, after ``..`` and symbolic
        links are resolved.
    limits : ArchiveLimits or dict, optional
        REFI-QDA only: size, ratio and count limits for unpacking (defaults in
        :class:`ArchiveLimits`; a dict overrides single limits).

    Returns
    -------
    Codings

    Raises
    ------
    DataError
        Malformed XML (or XML with a DTD or entities), missing source files,
        external sources without ``sources_dir``, a path that leaves the
        archive or ``sources_dir``, a source that is not UTF-8, an archive
        beyond the limits or with unsafe member names, dangling or duplicate
        GUIDs (the message names the element), or a file of a kind evalkit
        does not read (SPSS syntax …: the message says what to export instead).
    IdentifierError
        A personal identity number in any text (source texts, names, notes,
        descriptions, previews included); a REFI-QDA message names the
        element (kind and GUID), never the number.

    Notes
    -----
    Pictures, audio, video, PDF rectangles without text, notes, links and
    sets are not imported; :attr:`ImportReport.skipped` lists them with
    counts, and a :class:`~evalkit.errors.DataWarning` says how many codings
    that leaves out.

    Examples
    --------
    >>> from pathlib import Path
    >>> c = load_codings(Path("data_samples/exempelkommun/intervjuer.qdpx"))  # doctest: +SKIP
    >>> c.segments.columns.tolist()[:4]                                       # doctest: +SKIP
    ['segment_guid', 'selection_guid', 'source_guid', 'code_guid']
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found", [Problem("file not found", str(p))])
    if p.is_dir():
        inner = p / "data.qda"
        if inner.is_file():
            from evalkit.io._qualcoder import read_qualcoder
            return read_qualcoder(inner)
        raise DataError(f"{p} is a folder without data.qda; give a .qdpx, .qdc, .qda or a table export")
    suffix = p.suffix.lower()
    with p.open("rb") as fh:  # the head only: the file may be huge
        head = fh.read(16)
    if suffix in (".qdpx", ".qde", ".qdc", ".xml") or head.startswith(b"PK\x03\x04") and suffix != ".xlsx":
        from evalkit.io._refi import read_refi
        return read_refi(p, sources_dir=sources_dir, limits=ArchiveLimits.of(limits))
    if head.startswith(b"SQLite format 3"):
        from evalkit.io._qualcoder import read_sqlite_project
        return read_sqlite_project(p)
    if suffix in (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm"):
        from evalkit.io._coding_tables import read_coding_table
        return read_coding_table(p, sheet=sheet)
    raise DataError(f"{p.name}: unknown coding file type {suffix!r}; evalkit reads REFI-QDA .qdpx/.qdc, "
                    "QualCoder .qda, Taguette .sqlite3 and .csv/.xlsx coding exports",
                    [Problem(f"unsupported file type {suffix!r}", str(p))])


def strip_html(markup: str) -> str:
    """Plain text of Taguette's HTML documents (block ends become line ends)."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h[1-6]>|</li>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def provenance(codings: Codings) -> LoadRecord | None:
    """The LoadRecord of a Codings (attached to its segments table)."""
    return record_of(codings.segments)
