"""Loaders for staff data: HR/scheduling exports (:func:`load_staff`) and staff surveys (:func:`load_staff_survey`).

:func:`load_staff` reads a Heroma, Personec, Visma/HRM or Medvind export (csv/xlsx/parquet; Swedish,
Norwegian or English headers, see :data:`evalkit.io.mapping.HEADER_ALIASES`) into the canonical
``staff`` table of :data:`evalkit.schemas.STAFF`: one row per employee × unit × month. It runs the same
steps as every canonical loader (:mod:`evalkit.io._canonical`): the robust reader, the identity-number
gate (employee numbers must already be pseudonyms; a personnummer/fødselsnummer anywhere refuses the
file with :class:`~evalkit.errors.IdentifierError`), header and value aliases, typed conversion that
collects every problem, duplicate keys, and the row accounting in the provenance record.

What this module adds to the canonical steps:

* months written ``2021-03``, ``202103``, ``2021-03-01``, ``mars 2021`` or ``mar 2021`` all become the first
  day of the month;
* ``sick_hours`` (total) is filled from ``sick_hours_short + sick_hours_long`` where the file gives only the
  split, and a total smaller than its parts is an error;
* rows whose employment ends before it starts are kept and flagged, as decisions that end before they start.
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from evalkit.errors import DataError, DataWarning, Problem
from evalkit.io._canonical import load_canonical
from evalkit.provenance import record_of
from evalkit.schemas import STAFF

__all__ = ["load_staff", "load_staff_survey", "STAFF_CODEBOOKS", "parse_months"]

#: the staff-survey codebooks shipped with evalkit (``evalkit/data/codebooks``)
STAFF_CODEBOOKS = ("hme", "stress_elo")

_MONTHS = {
    # sv, nb and en month names and abbreviations (folded: å→a, ä→a, ö→o)
    "januari": 1, "januar": 1, "january": 1, "jan": 1,
    "februari": 2, "februar": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "maj": 5, "mai": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "augusti": 8, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "desember": 12, "dec": 12, "des": 12,
}
_YM = re.compile(r"^\s*(\d{4})\s*[-/.]?\s*(\d{1,2})\s*$")
_NAMED = re.compile(r"^\s*([a-zåäöø]+)\.?\s+(\d{4})\s*$")
_YMD = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?\s*$")
_EXCEL_DT = re.compile(r"^\s*(\d{4})-(\d{2})-01 00:00:00\s*$")


def parse_months(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Months as the first day of the month (``datetime64[ns]``), and a mask of cells that are no month.

    Accepts ``2021-03``, ``202103``, ``2021/3``, ``2021-03-01`` (any day: the month it falls in),
    ``mars 2021`` / ``mar 2021`` / ``mars. 2021`` (Swedish, Norwegian or English month names).

    Examples
    --------
    >>> m, bad = parse_months(pd.Series(["2021-03", "202104", "maj 2021", "2021-06-15", "x", None]))
    >>> [str(d.date()) if pd.notna(d) else None for d in m], bad.tolist()
    (['2021-03-01', '2021-04-01', '2021-05-01', '2021-06-01', None, None], [False, False, False, False, True, False])
    """
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    bad = pd.Series(False, index=values.index)
    for idx, raw in values.items():
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw is pd.NA or str(raw).strip() == "":
            continue
        month = _one_month(str(raw))
        if month is None:
            bad[idx] = True
        else:
            out[idx] = month
    return out, bad


def _one_month(text: str) -> pd.Timestamp | None:
    folded = text.strip().casefold().replace("å", "a").replace("ä", "a").replace("ö", "o").replace("ø", "o")
    year = month = None
    if (m := _YMD.match(folded)) or (m := _EXCEL_DT.match(folded)):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _YM.match(folded):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _NAMED.match(folded):
        year, month = int(m.group(2)), _MONTHS.get(m.group(1))
    if year is None or month is None or not 1 <= month <= 12 or not 1900 <= year <= 2100:
        return None
    return pd.Timestamp(year=year, month=month, day=1)


def load_staff(path: str | Path, mapping=None, *, sheet: str | None = None, **read_options) -> pd.DataFrame:
    """Load an HR/scheduling export into the canonical ``staff`` table (employee × unit × month).

    Parameters
    ----------
    path : str or Path
        A .csv/.txt (any of , ; tab; UTF-8, UTF-8 BOM or cp1252), .xlsx or .parquet export with one row
        per employee, unit and month (a Heroma/Personec "tidsammanställning" or a Visma/HRM "timer per
        ansatt og måned"). Hours may be written with decimal comma or as ``hh:mm``.
    mapping : str, Path, dict or ColumnMapping, optional
        A TOML mapping (``[columns]``, ``[values.profession]``, ``[values.employment]``) for local
        headers and spellings the built-in aliases do not know.
    sheet : str, optional
        Excel sheet (default: the first).
    **read_options
        Overrides for the sniffer (``encoding``, ``delimiter``, ``header_row``).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`evalkit.schemas.STAFF`, ``month`` the first day of the month, indexed by file
        row number; provenance (rows read/kept, sha256, flags) in ``attrs["evalkit_provenance"]``.

    Raises
    ------
    IdentifierError
        The file holds a Swedish or Norwegian personal identity number anywhere (employee numbers must be
        pseudonyms before the file reaches evalkit).
    DataError
        Columns cannot be mapped, a cell cannot be read, a month is not a month, a total of sick hours is
        smaller than its short and long parts, or one employee has two rows for one unit and month; every
        problem is listed with file, row and column.

    Notes
    -----
    The short/long split follows the Swedish employer sick-pay period (day 1–14 of a spell, paid by the
    employer, and day 15 on). A Norwegian export's *arbeidsgiverperiode* is day 1–16; its columns map to
    the same canonical columns, so say which rule the source used when comparing across countries.

    Examples
    --------
    >>> import evalkit as ek
    >>> s = ek.load_staff("data_samples/exempelkommun/personal_heroma.xlsx")  # doctest: +SKIP
    >>> ek.staff_panel(s).head()  # doctest: +SKIP
    """
    reading = dataclasses.replace(STAFF, columns=tuple(
        dataclasses.replace(c, kind="str") if c.name == "month" else c for c in STAFF.columns))
    # the month is read as text and parsed here (exports write "202103"); keys are checked after parsing
    reading = dataclasses.replace(reading, key=())
    frame = load_canonical(path, reading, mapping=mapping, sheet=sheet, **read_options)
    record = record_of(frame)
    file = str(path)
    sheet_name = record.source.sheet if record and record.source else sheet
    problems: list[Problem] = []
    months, bad = parse_months(frame["month"].astype(object))
    problems += [Problem(f"expected a month (2021-03, 202103 or 'mars 2021'), got '{frame.at[r, 'month']}'",
                         file=file, sheet=sheet_name, row=int(r), column="month") for r in frame.index[bad]]
    frame["month"] = months
    problems += _sick_total(frame, file, sheet_name)
    problems += _duplicates(frame, file, sheet_name)
    if problems:
        raise DataError(f"{Path(file).name}: {len(problems)} problem(s) found in the staff table; nothing was "
                        "loaded", problems[:500])
    _flag_employment(frame, record, file)
    return frame


def _sick_total(frame: pd.DataFrame, file: str, sheet) -> list[Problem]:
    parts = frame["sick_hours_short"].fillna(0) + frame["sick_hours_long"].fillna(0)
    has_parts = frame["sick_hours_short"].notna() | frame["sick_hours_long"].notna()
    total = frame["sick_hours"]
    short = (total.notna() & has_parts & (total + 1e-6 < parts)).fillna(False)
    frame["sick_hours"] = total.where(total.notna(), parts.where(has_parts))
    return [Problem(f"sick hours {total[r]} are fewer than the short + long parts {parts[r]}",
                    file=file, sheet=sheet, row=int(r), column="sick_hours") for r in frame.index[short]]


def _duplicates(frame: pd.DataFrame, file: str, sheet) -> list[Problem]:
    key = list(STAFF.key)
    dup = frame.duplicated(key, keep=False) & frame[key].notna().all(axis=1)
    out = []
    for _, rows in frame[dup].groupby(key, sort=False).groups.items():
        rows = [int(r) for r in rows]
        out += [Problem(f"a second row for the same employee, unit and month (also on row {rows[0]}); "
                        "sum the hours in the export or map the rows to different units",
                        file=file, sheet=sheet, row=r, column="employee_id") for r in rows[1:]]
    return out


def _flag_employment(frame: pd.DataFrame, record, file: str) -> None:
    wrong = (frame["employment_end"] < frame["employment_start"]).fillna(False)
    if record is None or not wrong.any():
        return
    rows = tuple(int(r) for r in frame.index[wrong])
    record.flags["employment ends before it starts"] = rows
    warnings.warn(f"{Path(file).name}: {len(rows)} row(s) whose employment ends before it starts (e.g. row "
                  f"{rows[0]}). They are kept and flagged; turnover counts them by their end date. Correct them "
                  "in the HR system if you can.", DataWarning, stacklevel=3)


def load_staff_survey(path: str | Path, codebooks: str | Path | Iterable = STAFF_CODEBOOKS, *,
                      sheet: str | None = None):
    """Load a staff survey (HME items, Elo's stress item …): the robust reader, the identity-number gate, then
    :func:`staff_survey_from_table`.

    Parameters
    ----------
    path : str or Path
        One row per respondent: the items (answer codes 1–5 or labels) and ``wave``, ``unit``, ``group``
        (profession, header ``yrke``/``yrkesgrupp``/``stilling``), optionally ``weight``/``stratum``/``fpc``
        (staff in the unit). Columns of other instruments in the same file (NoMAD …) are left alone.
    codebooks : name, path or list of them
        Built-in ``"hme"`` and ``"stress_elo"`` (default: both) or codebook files; their items are merged.
    sheet : str, optional
        Excel sheet.

    Returns
    -------
    evalkit.io.surveys.Survey
        Scored by :func:`evalkit.analysis.staff_survey.staff_survey_analysis`.

    Raises
    ------
    IdentifierError
        An identity number anywhere in the file.
    DataError
        No item of the codebooks in the file, or an answer outside an item's scale (item and rows named).
    """
    from evalkit.io.read import read_table
    from evalkit.privacy import check_identifiers

    frame = read_table(Path(path), sheet)
    check_identifiers(frame, file=Path(path).name, sheet=sheet)
    return staff_survey_from_table(frame, codebooks)


def staff_survey_from_table(frame: pd.DataFrame, codebooks: str | Path | Iterable = STAFF_CODEBOOKS):
    """The HME/stress part of a staff-survey table already read (and gated) by :func:`evalkit.io.read.read_table`.

    The config's ``[data.staff_survey]`` is read once as a table: ``kind = "instrument"`` scores NoMAD from it
    and ``kind = "staff_survey"`` takes its HME and stress items through this function. Meta columns
    (``wave``/``omgång``, ``unit``/``enhet``, ``group``/``yrke`` …, see
    :data:`evalkit.io.surveys.META_COLUMNS`) and the codebooks' items are kept; every answer is checked
    against its scale.
    """
    from evalkit.io.surveys import META_COLUMNS, Codebook, Survey, _answers, _canonical_meta, load_codebook
    from evalkit.provenance import LoadRecord, attach

    names = [codebooks] if isinstance(codebooks, (str, Path, Codebook)) else list(codebooks)
    books = [c if isinstance(c, Codebook) else load_codebook(c) for c in names]
    merged = Codebook(items={k: v for b in books for k, v in b.items.items()},
                      name=" + ".join(b.name for b in books if b.name),
                      source="; ".join(b.source for b in books if b.source))
    record = record_of(frame)
    file = Path(record.source.path).name if record and record.source else "the staff survey"
    table = _canonical_meta(frame)
    items = [c for c in merged.items if c in table.columns]
    if not items:
        raise DataError(f"{file}: none of the items of {merged.name or 'the codebooks'} "
                        f"({', '.join(list(merged.items)[:4])}, …) is a column of the file",
                        [Problem("no items", file=file)])
    out = {c: table[c] for c in META_COLUMNS if c in table.columns}
    for item in items:
        out[item] = _answers(table[item], merged.items[item].scale, None, item, Path(file))
    responses = pd.DataFrame(out, index=table.index)
    other = [str(c) for c in table.columns if c not in out]
    notes = [f"codebook: {merged.name}"] + ([f"columns not used here: {other}"] if other else [])
    if record is not None:
        attach(responses, LoadRecord(table="staff_survey", source=record.source, rows_read=record.rows_read,
                                     rows_kept=len(responses), exclusions=list(record.exclusions),
                                     notes=list(record.notes) + notes))
    return Survey(responses=responses, codebook=merged)
