"""The report as a reader sees it: converted to PDF by LibreOffice, every page rendered.

Needs ``soffice``/``libreoffice`` and poppler's ``pdftotext``/``pdftoppm``
(Debian: ``apt-get install libreoffice-writer poppler-utils``); skipped with a
reason when they are missing.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_report_support import build_report

pytestmark = pytest.mark.slow

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdftoppm", "pdfinfo", "pdfimages"))


def _normalise_spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ").replace("\u2009", " ")


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not on PATH: apt-get install libreoffice-writer")
    if not POPPLER:
        pytest.skip("poppler-utils (pdftotext, pdftoppm) are not on PATH: apt-get install poppler-utils")
    folder = tmp_path_factory.mktemp("render")
    docx_path = folder / "rapport.docx"
    build_report("sv", figure_width_cm=15).save(docx_path, xlsx=folder / "rapport.xlsx")
    profile = folder / "lo-profile"  # a private profile: other LibreOffice processes may be running
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), str(docx_path)],
        capture_output=True, text=True, timeout=180)
    out = folder / "rapport.pdf"
    assert out.exists(), f"LibreOffice did not convert the report: {result.stdout} {result.stderr}"
    return out


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_pdf_text_holds_headings_captions_and_numbers(pdf):
    text = _normalise_spaces(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                            text=True, check=True).stdout)
    for heading in ("Innehåll", "Sammanfattning", "Bakgrund", "Metod och material", "Resultat", "Slutsatser",
                    "Bilagor", "Underlag och spårbarhet"):
        assert heading in text, heading
    for caption in ("Tabell 1. Beslut per område", "Figur 1. Handläggningstid", "Tabell 2. Antal per enhet",
                    "Källa: Procapita"):
        assert caption in text, caption
    assert "−4,8 (−7,5 till −2,1)" in text
    assert "12 800" in text and "100 %" in text
    assert "Norr" in text and ".." in text


def test_every_page_renders_with_content(pdf, tmp_path):
    n = _pages(pdf)
    assert n >= 4
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) == n
    import matplotlib.image as mpimg

    for png in pngs:
        pixels = mpimg.imread(png)[..., :3]
        ink = float((pixels.mean(axis=2) < 0.6).mean())
        # a page with only its number has ~0.00016 ink at 30 dpi; a heading and three lines ~0.0007
        assert ink > 0.0004, f"{png.name} is blank"


def test_the_figure_is_embedded_at_full_resolution(pdf):
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    images = [r for r in rows if r[2] == "image"]
    assert len(images) == 1
    # a 7 × 3.5 inch figure drawn at 200 dpi
    assert (int(images[0][3]), int(images[0][4])) == (1400, 700)


def test_only_the_longest_header_words_give_way_when_a_table_is_too_wide():
    import numpy as np

    from evalkit.report._docx import _CELL_PADDING, _column_widths, _width
    from evalkit.report._format import FormattedTable

    # the sample report's survey table rendered "Sv|ar", "And|el" and "85|%" when it was too wide
    header = ["Svar före", "Andel före", "Skillnad (procentenheter)"]
    row = ["1\u202f535", "85\u00a0%", "−3"]
    table = FormattedTable(header, [row], [row], np.zeros((1, 3), bool), ["text"] * 3, [0] * 3, False)
    words = [_width(w, 9, True) + _CELL_PADDING for w in ("Svar", "Andel", "(procentenheter)")]
    total = int(sum(words)) - 300      # the header words do not all fit; the numbers do
    widths = _column_widths(table, total)
    assert sum(widths) == total
    assert widths[0] >= words[0] - 1 and widths[1] >= words[1] - 1     # short header words stay whole
    for c in (0, 1):                                                     # "1 535" and "85 %" stay one token
        assert widths[c] >= _width(row[c], 9) + _CELL_PADDING - 1
    assert widths[2] <= words[2] - 300 + 1                              # the long word is what wraps


def test_text_widths_follow_the_font_metrics():
    from evalkit.report._metrics import text_twips

    # Helvetica advance widths (Adobe AFM, 1/1000 em): i 222, m 833; bold digits 556
    assert text_twips("i", 10) == 222 * 10 / 1000 * 20
    assert text_twips("m", 10) > 3.5 * text_twips("i", 10)
    assert text_twips("ö", 9) == text_twips("o", 9)          # accented letters as their base letter
    assert text_twips("1\u202f535", 9, bold=True) == (3 * 556 + 556 + 167) * 9 / 1000 * 20
