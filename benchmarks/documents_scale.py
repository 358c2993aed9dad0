"""Speed of ek.load_documents and ek.find_mentions on long governing documents.

Run: .venv/bin/python benchmarks/documents_scale.py
Scenario: a 500-page PDF (the sample committee decision's two pages repeated: a real LibreOffice text
layer, so pypdf does the work it does on a municipal PDF) and a 1 000-page plain text of 1.9 million
characters; mentions of the four IBIC components with the sample config's terms. Prints the best of 3.

Recorded 2026-12-03 on the 2-core shared build machine (other jobs running):
    PDF 500 pages, 2 250 paragraphs: load 4.3 s, mentions 0.1 s (best of 3)
    text 1 001 pages, 10 000 paragraphs, 1 904 000 characters: load 0.7 s, mentions 0.8 s (best of 3)
"""
from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import pypdf

import evalkit as ek

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"
TERMS = {"goal_recorded": ["mål"], "own_view_recorded": ["egen uppfattning", "egna uppfattning"],
         "needs_by_life_area": ["livsområde", "ICF"], "follow_up_planned": ["uppföljning", "följa upp"]}


def best(fn, n=3):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    warnings.simplefilter("ignore", ek.DataWarning)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "lang.pdf"
        source = pypdf.PdfReader(SAMPLE / "styrdokument" / "namndbeslut_2016-11-22_ibic.pdf")
        writer = pypdf.PdfWriter()
        for _ in range(250):
            for page in source.pages:
                writer.add_page(page)
        writer.write(pdf)
        t_load, docs = best(lambda: ek.load_documents(pdf))
        t_find, _ = best(lambda: ek.find_mentions(docs, TERMS))
        d = docs.documents.iloc[0]
        print(f"PDF {d['pages']} pages, {d['paragraphs']} paragraphs: load {t_load:.1f} s, mentions {t_find:.1f} s")
        sample = ek.load_documents(SAMPLE / "styrdokument")
        text = "\n\n".join(sample.sources["text"].str.replace("\f", "\n\n"))
        big = Path(tmp) / "lang.txt"
        big.write_text(("\f".join([text] * 40) + "\f") * 25, encoding="utf-8")
        t_load, docs = best(lambda: ek.load_documents(big))
        t_find, _ = best(lambda: ek.find_mentions(docs, TERMS))
        d = docs.documents.iloc[0]
        print(f"text {d['pages']} pages, {d['paragraphs']} paragraphs, {d['chars']} characters: "
              f"load {t_load:.1f} s, mentions {t_find:.1f} s")


if __name__ == "__main__":
    main()
