"""Provenance: where a table came from and what happened to its rows.

Every loader attaches a :class:`LoadRecord` to the frame it returns
(``frame.attrs["evalkit_provenance"]``): the input file with its sha256, how it
was read, and the row accounting ``rows_read == rows_kept + rows_excluded``
with a reason for every excluded row. The report's provenance appendix is built
from these records plus :func:`versions` and the seeds of the run.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import platform
from dataclasses import dataclass, field, asdict
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

__all__ = [
    "SourceFile",
    "Exclusion",
    "LoadRecord",
    "sha256_file",
    "attach",
    "record_of",
    "collect",
    "records_of",
    "record_from_dict",
    "versions",
]

ATTR_KEY = "evalkit_provenance"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks (works for any size)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class SourceFile:
    """An input file and how it was read."""

    path: str
    sha256: str
    size_bytes: int
    format: str  # csv | xlsx | parquet | sav | ...
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    header_row: int | None = None  # 1-based row/line number of the header in the file

    @classmethod
    def from_path(cls, path: str | Path, fmt: str, **how: Any) -> "SourceFile":
        p = Path(path)
        return cls(path=str(p), sha256=sha256_file(p), size_bytes=p.stat().st_size, format=fmt, **how)


@dataclass(frozen=True)
class Exclusion:
    """Rows left out of a canonical table, and why. ``rows`` are file row numbers."""

    reason: str
    rows: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass
class LoadRecord:
    """Row accounting for one loaded table.

    Invariant: ``rows_read == rows_kept + rows_excluded``.
    ``flags`` maps a data-quality flag (kept rows) to the row numbers carrying it.
    """

    table: str
    source: SourceFile | None
    rows_read: int
    rows_kept: int
    exclusions: list[Exclusion] = field(default_factory=list)
    flags: dict[str, tuple[int, ...]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_excluded(self) -> int:
        return sum(e.count for e in self.exclusions)

    def check(self) -> None:
        """Raise ``RuntimeError`` if rows went missing without a reason (a bug, not user error)."""
        if self.rows_read != self.rows_kept + self.rows_excluded:
            raise RuntimeError(
                f"row accounting broken for {self.table}: read {self.rows_read}, kept "
                f"{self.rows_kept}, excluded {self.rows_excluded}"
            )

    def summary(self) -> str:
        name = Path(self.source.path).name if self.source else self.table
        text = f"{name}: {self.rows_read} rows read, {self.rows_kept} kept, {self.rows_excluded} excluded"
        for e in self.exclusions:
            text += f"\n  excluded {e.count}: {e.reason}"
        for flag, rows in self.flags.items():
            text += f"\n  flagged {len(rows)}: {flag}"
        return text

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rows_excluded"] = self.rows_excluded
        return d


class _StoredRecord(dict):
    """A LoadRecord as ``frame.attrs`` holds it: a plain dict of its fields, plus the object itself.

    pandas writes ``attrs`` into Parquet metadata with ``json.dumps`` (``DataFrame.to_parquet``), which fails
    on a dataclass; a dict subclass serialises as its items, so a loaded frame can be saved, and the record
    comes back (rebuilt from the dict) when the file is read again.
    """

    def __init__(self, record: LoadRecord):
        super().__init__(record.to_dict())
        self.record = record

    def __deepcopy__(self, memo) -> "_StoredRecord":
        # pandas deep-copies ``attrs`` into every frame or column derived from a loaded one (``__finalize__``);
        # the record describes the file, which every derived frame shares, so it is shared, not copied
        # (copying it took ≈ 0.5 s of a sample report: 4,000 copies of a record listing flagged rows).
        return self


def record_from_dict(d: dict) -> LoadRecord:
    """A LoadRecord from :meth:`LoadRecord.to_dict` (e.g. after a Parquet round trip)."""
    source = d.get("source")
    return LoadRecord(table=d["table"], source=SourceFile(**source) if source else None,
                      rows_read=int(d["rows_read"]), rows_kept=int(d["rows_kept"]),
                      exclusions=[Exclusion(e["reason"], tuple(e["rows"])) for e in d.get("exclusions", ())],
                      flags={k: tuple(v) for k, v in d.get("flags", {}).items()}, notes=list(d.get("notes", ())))


def attach(frame: pd.DataFrame, record: LoadRecord) -> pd.DataFrame:
    """Attach ``record`` to ``frame`` (in ``frame.attrs``) after checking the accounting."""
    record.check()
    frame.attrs[ATTR_KEY] = _StoredRecord(record)
    return frame


def record_of(frame: pd.DataFrame) -> LoadRecord | None:
    """The LoadRecord attached to a loaded frame (also after a Parquet round trip), or None."""
    stored = frame.attrs.get(ATTR_KEY)
    if stored is None or isinstance(stored, LoadRecord):
        return stored
    record = getattr(stored, "record", None)
    if record is None and isinstance(stored, dict):
        try:
            record = record_from_dict(stored)
        except (KeyError, TypeError, ValueError):
            return None  # metadata written by something else under our key
    return record


def collect(frames: Iterable[pd.DataFrame]) -> list[LoadRecord]:
    """All LoadRecords of the given frames, for the provenance appendix."""
    return [r for r in (record_of(f) for f in frames) if r is not None]


def records_of(obj: Any) -> list[LoadRecord]:
    """The LoadRecords behind a loaded object: a frame's own, or an object's ``records``.

    Objects that hold several tables (a survey with its mailing list, coded interviews, an
    audit scored from several forms) list the records of what was read in ``records``.
    """
    if isinstance(obj, pd.DataFrame):
        record = record_of(obj)
        return [record] if record is not None else []
    return [r for r in getattr(obj, "records", ()) or () if r is not None]


_DEPENDENCIES = (
    "evalkit", "pandas", "numpy", "scipy", "statsmodels", "matplotlib",
    "python-docx", "openpyxl", "pyreadstat", "pyarrow", "duckdb", "defusedxml", "pypdf", "snowballstemmer",
)


def versions() -> dict[str, str]:
    """Versions of Python, evalkit and its dependencies (for the provenance appendix)."""
    out = {"python": platform.python_version()}
    for name in _DEPENDENCIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
