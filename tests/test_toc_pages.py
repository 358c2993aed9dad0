"""Page numbers in the table of contents (``[report] toc_page_numbers``), from a LibreOffice layout.

The check is independent of the code under test: the finished .docx is laid out again by LibreOffice and
every number in its TOC must be the page its heading is on in that second layout (read from the PDF outline).
"""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from evalkit import pipeline
from evalkit.config import Evaluation
from evalkit.errors import ReportError
from evalkit.report import _toc_pages
from evalkit.report._toc_pages import PLACEHOLDER, fill_page_numbers, heading_pages

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")


@pytest.fixture(scope="module")
def pilot_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipeline.run(Evaluation.from_toml(SAMPLE / "rehab_pilot.toml"))


def _report(run, numbered: bool, language: str = "sv"):
    report = pipeline.build_report(run, language=language)
    report.toc_page_numbers = numbered
    return report


def _toc_numbers(path: Path) -> list[tuple[str, str]]:
    """(entry text, page text) of each TOC entry: the text before the tab and the PAGEREF field's result."""
    out = []
    for link in Document(str(path)).element.body.iter(qn("w:hyperlink")):
        if not (link.get(qn("w:anchor")) or "").startswith("_Toc"):
            continue
        texts = [t.text for t in link.iter(qn("w:t"))]
        out.append((" ".join("".join(texts[:-1]).split()), texts[-1]))
    return out


@needs_soffice
@pytest.mark.parametrize("language", ["sv", "en"])
def test_toc_numbers_are_the_pages_of_the_finished_document(pilot_run, tmp_path, language):
    path = _report(pilot_run, True, language).save(tmp_path / "pilot.docx")
    numbers = _toc_numbers(path)
    laid_out = heading_pages(path)   # a second, independent layout of the file as written
    assert [text for text, _ in numbers] == [title for _, title, _ in laid_out]
    assert [page for _, page in numbers] == [str(p) for _, _, p in laid_out]
    pages = [int(p) for _, p in numbers]
    assert pages == sorted(pages) and pages[0] >= 2 and pages[-1] > pages[0]   # after the title page, in order


@needs_soffice
def test_numbered_report_is_reproducible(pilot_run, tmp_path):
    first = _report(pilot_run, True).save(tmp_path / "a.docx").read_bytes()
    second = _report(pilot_run, True).save(tmp_path / "b.docx").read_bytes()
    assert first == second


def test_without_the_option_the_toc_has_no_page_fields(pilot_run, tmp_path):
    path = _report(pilot_run, False).save(tmp_path / "plain.docx")
    instructions = [t.text for t in Document(str(path)).element.body.iter(qn("w:instrText"))]
    assert any("TOC" in i for i in instructions) and not any("PAGEREF" in i for i in instructions)


def test_mismatched_headings_leave_the_placeholders(pilot_run, tmp_path):
    report = _report(pilot_run, True)
    document, _ = report.build()
    pages = [(level, " ".join(text.split()), 3) for level, text in report._toc]
    wrong = pages[:-1] + [(pages[-1][0], "Another heading", 9)]
    assert not fill_page_numbers(document, report._toc, wrong)
    assert not fill_page_numbers(document, report._toc, pages[:-1])
    cached = [t.text for t in document.element.body.iter(qn("w:t")) if t.text == PLACEHOLDER]
    assert len(cached) == len(report._toc)
    assert fill_page_numbers(document, report._toc, pages)
    assert not [t for t in document.element.body.iter(qn("w:t")) if t.text == PLACEHOLDER]


def test_without_libreoffice_the_error_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(_toc_pages.shutil, "which", lambda name: None)
    with pytest.raises(ReportError, match="toc_page_numbers = false"):
        heading_pages(tmp_path / "x.docx")


def test_the_config_key(tmp_path):
    base = ('[evaluation]\ntitle = "t"\nseed = 1\n[change]\nname = "x"\ndate = 2020-10-01\n'
            f'[data.decisions]\npath = "{SAMPLE / "beslut_procapita.csv"}"\n[report]\n')
    (tmp_path / "a.toml").write_text(base, encoding="utf-8")
    assert Evaluation.from_toml(tmp_path / "a.toml").report.toc_page_numbers is False
    (tmp_path / "b.toml").write_text(base + "toc_page_numbers = true\n", encoding="utf-8")
    assert Evaluation.from_toml(tmp_path / "b.toml").report.toc_page_numbers is True
    (tmp_path / "c.toml").write_text(base + 'toc_page_numbers = "yes"\n', encoding="utf-8")
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError, match="toc_page_numbers"):
        Evaluation.from_toml(tmp_path / "c.toml")
