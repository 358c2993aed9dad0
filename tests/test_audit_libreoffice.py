"""Real client: the audit form opens in LibreOffice, and a form saved by LibreOffice reads back.

Needs `soffice` (Debian: libreoffice-calc; `make sysdeps` installs it). Skipped with a reason otherwise.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

import evalkit.audit as audit
from evalkit.errors import DataError

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from evalkit.audit.forms import FIRST_DATA_ROW

ANSWERS_SV = ["Ja", "Delvis", "Nej", "Ej tillämpligt"]


def make_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({
        "decision_id": [f"b{i:05d}" for i in range(n)],
        "unit": rng.choice(["Nord", "Syd"], n),
        "decided_on": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
        "service": rng.choice(["hemtjänst", "trygghetslarm"], n),
    })
    f["period"] = np.where(f["decided_on"] < "2023-01-01", "before", "after")
    return f


def fill(path, out, answer, comment=None):
    """Fill only the answer and comment cells, as a reviewer would (4 context columns, 20 IBIC items)."""
    wb = load_workbook(path)
    ws = wb["Granskning"]
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        for c in range(5, 25):
            ws.cell(r, c).value = answer(r, c)
        if comment:
            ws.cell(r, 25).value = comment(r)
    wb.save(out)
    return out

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; `make sysdeps` installs it"),
]


def convert(src: Path, fmt: str, tmp_path: Path) -> Path:
    out = tmp_path / f"lo_{fmt}"
    profile = (tmp_path / "lo_profile").as_uri()  # own profile: safe beside other soffice runs
    done = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", fmt, "--outdir", str(out), str(src)],
        capture_output=True, text=True, timeout=180,
    )
    target = out / f"{src.stem}.{fmt}"
    assert done.returncode == 0, done.stderr
    assert target.is_file(), f"LibreOffice wrote nothing: {done.stdout} {done.stderr}"
    return target


@pytest.fixture(scope="module")
def sample():
    return audit.draw(make_frame(), 12, strata="period", seed=3)


def test_form_converts_to_pdf(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    pdf = convert(path, "pdf", tmp_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2  # instructions and review sheets


def test_libreoffice_saved_form_keeps_dropdowns_and_reads_back(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    filled = fill(path, tmp_path / "filled.xlsx", answer=lambda r, c: ANSWERS_SV[(r * c) % 4],
                  comment=lambda r: "ok" if r == 3 else None)
    direct = audit.load_audit(filled, sample)
    resaved = convert(filled, "xlsx", tmp_path)
    with zipfile.ZipFile(resaved) as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
        review = z.read("xl/worksheets/sheet2.xml").decode("utf-8")
    # Hidden sheets stay hidden, the review sheet stays protected, the dropdown still points to the list.
    assert re.search(r'name="Listor"[^>]*state="hidden"', workbook)
    assert re.search(r'name="_meta"[^>]*state="hidden"', workbook)
    assert "<sheetProtection" in review
    validation = re.search(r'<dataValidation [^>]*type="list"[^>]*>.*?</dataValidation>', review, re.S)
    assert validation and "Listor!$A$1:$A$4" in validation.group(0)
    assert 'sqref="E3:X14"' in validation.group(0)
    # The LibreOffice-saved form reads back to exactly the same answers.
    back = audit.load_audit(resaved, sample)
    cols = ["decision_id", "item", "answer", "comment", "form_row"]
    assert back[cols].equals(direct[cols])


def test_libreoffice_saved_form_is_still_revalidated(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    filled = fill(path, tmp_path / "filled.xlsx", answer=lambda r, c: "Kanske" if (r, c) == (4, 5) else "Ja")
    resaved = convert(filled, "xlsx", tmp_path)
    with pytest.raises(DataError, match="cell E4: 'Kanske' is not one of"):
        audit.load_audit(resaved, sample)
