"""Page numbers in the table of contents, taken from a LibreOffice rendering of the finished document.

A .docx does not know its page breaks: only a layout engine does. Word fills the page numbers of a TOC field
when the user updates fields; a document read in another program, or printed straight away, shows none. When
``[report] toc_page_numbers = true``, the report is written twice:

1. with a ``PAGEREF`` field after every entry whose cached result is a placeholder as wide as any page number
   (three digits), so the layout already holds the numbers' space;
2. converted to PDF by LibreOffice (``soffice --headless --convert-to pdf``); the PDF's outline — LibreOffice
   writes one bookmark per heading, in document order, with its page — gives each heading's page;
3. the placeholders are replaced by those pages and the document is saved again.

Replacing three tabular digits by one to three does not move a line, so the pages found in step 2 are the
pages of the final document. Page numbers are the physical page (the footer's PAGE field counts the title
page as 1); a user template that restarts numbering would print other numbers — the fields stay PAGEREF
fields, so Word's "update fields" puts its own numbers in.

Written by hand because no Python library lays out a .docx; LibreOffice does, and pypdf reads its outline.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from docx.oxml.ns import qn

from evalkit.errors import ReportError

__all__ = ["PLACEHOLDER", "heading_pages", "fill_page_numbers"]

#: the cached result of every PAGEREF field before the pages are known
PLACEHOLDER = "000"
#: LibreOffice converting a 50-page report takes about 5 s on the project machine
TIMEOUT_S = 180


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise ReportError("[report] toc_page_numbers = true needs LibreOffice (soffice) to lay the document out; "
                          "install it (apt-get install libreoffice-writer) or set toc_page_numbers = false "
                          "(Word then fills the page numbers when fields are updated)")
    return exe


def heading_pages(docx: Path, levels: int = 2) -> list[tuple[int, str, int]]:
    """``(level, title, page)`` of every heading down to ``levels``, in document order, as LibreOffice lays
    ``docx`` out (page counted from 1)."""
    from pypdf import PdfReader

    exe = _soffice()
    with tempfile.TemporaryDirectory(prefix="evalkit-toc-") as tmp:
        # a profile of its own, so a LibreOffice the user has open does not take the job over
        profile = Path(tmp, "profile").as_uri()
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", tmp,
               str(docx)]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise ReportError(f"LibreOffice did not lay out {docx.name} within {TIMEOUT_S} s; "
                              "set [report] toc_page_numbers = false") from None
        pdf = Path(tmp, docx.with_suffix(".pdf").name)
        if done.returncode != 0 or not pdf.exists():
            raise ReportError(f"LibreOffice could not convert {docx.name} to PDF (exit {done.returncode}); "
                              "set [report] toc_page_numbers = false")
        reader = PdfReader(pdf)
        out: list[tuple[int, str, int]] = []

        def walk(items, depth):
            for item in items:
                if isinstance(item, list):
                    walk(item, depth + 1)
                elif depth < levels:
                    out.append((depth + 1, " ".join(item.title.split()), reader.get_destination_page_number(item) + 1))

        walk(reader.outline, 0)
    return out


def _toc_links(document) -> list:
    """The TOC's hyperlinks (anchored on ``_Toc`` bookmarks), in order."""
    body = document.element.body
    return [h for h in body.iter(qn("w:hyperlink")) if (h.get(qn("w:anchor")) or "").startswith("_Toc")]


def fill_page_numbers(document, entries, pages) -> bool:
    """Put ``pages`` (from :func:`heading_pages`) in the TOC entries' PAGEREF results.

    ``entries``: the ``(level, text)`` the TOC was written from. Returns False, leaving the placeholders,
    when the rendering's headings are not the TOC's (then the caller says so)."""
    if [(lvl, " ".join(text.split())) for lvl, text in entries] != [(lvl, title) for lvl, title, _ in pages]:
        return False
    links = _toc_links(document)
    if len(links) != len(pages):
        return False
    for link, (_, _, page) in zip(links, pages):
        cached = [t for t in link.iter(qn("w:t")) if t.text == PLACEHOLDER]
        if len(cached) != 1:
            return False
        cached[0].text = str(page)
    return True
