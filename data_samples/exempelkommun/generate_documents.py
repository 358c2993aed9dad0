"""Generate the governing documents (styrdokument) of Exempelkommun, with known component mentions.

Run ``python data_samples/exempelkommun/generate_documents.py`` to rewrite the folder ``styrdokument/``,
the metadata file ``styrdokument.toml`` and the truths ``documents_effects.toml``. DOCX files are written
with python-docx; PDF and ODT files are converted from them by LibreOffice
(``soffice --headless --convert-to pdf|odt``), so their pages are laid out by a real renderer. Every page
of a document starts with an explicit page break, so a paragraph's page is known in advance.

The four documents (fictional; the IBIC timeline of ``effects.toml``):

* ``riktlinje_bistand_2014.odt`` — the needs-assessment policy of 2014 (before IBIC): decisions are to be
  followed up; it says nothing about goals, the person's own view or life areas.
* ``namndbeslut_2016-11-22_ibic.pdf`` — the committee decision of 2016-11-22 introducing IBIC from
  2017-01-01: life areas and the person's own view on page 1, goals and follow-up on page 2.
* ``rutin_handlaggning_ibic_2017.pdf`` — the 2017 routine for needs assessment under IBIC: page 1 has
  no component, page 2 life areas and own view, page 3 goals and follow-up.
* ``handbok_ibic_2019.docx`` — the 2019 manual: life areas (page 2), goals and own view (page 3), and it
  never mentions follow-up. It is left out of ``styrdokument.toml``: its type, date and issuer come from
  the DOCX's own metadata (core properties), to show that fallback. (Every file carries its title,
  issuer, type and date in its own metadata too, the PDFs with the document's date as ``/CreationDate``.)

Each paragraph below is tagged with the components it mentions (the component ids of the built-in IBIC
model, ``evalkit/data/models/ibic.toml``); ``documents_effects.toml`` lists every tagged (document,
component, page) and the pages that mention nothing, which tests/test_documents_sample.py checks the
reader and the mention search against. Texts use no other inflection of the component terms, so the
untagged pages are true negatives.
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "styrdokument"
META = HERE / "styrdokument.toml"
EFFECTS = HERE / "documents_effects.toml"

GOAL, OWN, AREA, FOLLOW = "goal_recorded", "own_view_recorded", "needs_by_life_area", "follow_up_planned"

# document -> metadata and pages; a page is a list of (style, text, components); style "h" = heading
DOCUMENTS = {
    "riktlinje_bistand_2014": {
        "format": "odt", "type": "policy", "date": "2014-06-10", "in_force": "2014-07-01",
        "issuer": "Vård- och omsorgsnämnden", "title": "Riktlinje för biståndsbedömning inom äldreomsorgen",
        "in_meta": True,
        "pages": [
            [("h", "Riktlinje för biståndsbedömning inom äldreomsorgen", ()),
             ("p", "Riktlinjen gäller handläggning av ansökningar om bistånd enligt socialtjänstlagen för "
                   "personer som är 65 år eller äldre.", ()),
             ("p", "Ett beslut om hemtjänst ska följas upp senast tolv månader efter att insatsen har "
                   "börjat.", (FOLLOW,))],
            [("h", "Dokumentation", ()),
             ("p", "Utredningen dokumenteras i verksamhetssystemet enligt socialtjänstlagens krav på "
                   "dokumentation.", ())],
        ],
    },
    "namndbeslut_2016-11-22_ibic": {
        "format": "pdf", "type": "decision", "date": "2016-11-22", "in_force": "2017-01-01",
        "issuer": "Vård- och omsorgsnämnden", "title": "Protokollsutdrag § 87: Införande av IBIC",
        "in_meta": True,
        "pages": [
            [("h", "Protokollsutdrag, Vård- och omsorgsnämnden, 2016-11-22", ()),
             ("h", "§ 87 Införande av arbetssättet Individens behov i centrum (IBIC)", ()),
             ("p", "Vård- och omsorgsnämnden beslutar att biståndshandläggningen inom äldreomsorgen från och "
                   "med den 1 januari 2017 ska bedrivas enligt arbetssättet Individens behov i centrum.", ()),
             ("p", "Den enskildes behov ska beskrivas per livsområde.", (AREA,)),
             ("p", "Den enskildes egen uppfattning om sina behov ska dokumenteras i varje utredning.", (OWN,))],
            [("h", "Ärendebeskrivning", ()),
             ("p", "Varje beslut ska innehålla ett mål för insatsen som är formulerat tillsammans med den "
                   "enskilde.", (GOAL,)),
             ("p", "Insatserna ska ha en uppföljning minst en gång per år.", (FOLLOW,)),
             ("p", "Förvaltningen får i uppdrag att ta fram en rutin för handläggningen.", ())],
        ],
    },
    "rutin_handlaggning_ibic_2017": {
        "format": "pdf", "type": "routine", "date": "2017-03-15", "in_force": "2017-04-01",
        "issuer": "Förvaltningen för vård och omsorg", "title": "Rutin för handläggning enligt IBIC",
        "in_meta": True,
        "pages": [
            [("h", "Rutin för handläggning enligt IBIC", ()),
             ("p", "Rutinen beskriver hur biståndshandläggarna arbetar från ansökan till beslut. Den gäller "
                   "från den 1 april 2017 och ersätter tidigare lokala anvisningar.", ())],
            [("h", "Utredning", ()),
             ("p", "Handläggaren beskriver behoven per livsområde och gör en bedömning enligt ICF.", (AREA,)),
             ("p", "Handläggaren dokumenterar den enskildes egen uppfattning med den enskildes egna ord.",
              (OWN,))],
            [("h", "Beslut", ()),
             ("p", "I beslutet anges målen för insatsen.", (GOAL,)),
             ("p", "Handläggaren planerar uppföljningen redan vid beslutet och för in datumet i "
                   "verksamhetssystemet.", (FOLLOW,))],
        ],
    },
    "handbok_ibic_2019": {
        "format": "docx", "type": "manual", "date": "2019-05-02", "in_force": None,
        "issuer": "Förvaltningen för vård och omsorg", "title": "Handbok IBIC",
        "in_meta": False,  # type, date and issuer from the DOCX core properties
        "pages": [
            [("h", "Handbok IBIC", ()),
             ("p", "Handboken är ett stöd för nya medarbetare. Den beskriver arbetssättet steg för steg "
                   "med exempel från kommunens verksamhet.", ())],
            [("h", "Livsområden", ()),
             ("p", "IBIC använder nio livsområden, bland annat lärande, kommunikation och personlig vård.",
              (AREA,))],
            [("h", "Mål och delaktighet", ()),
             ("p", "Ett mål beskriver det resultat den enskilde vill uppnå.", (GOAL,)),
             ("p", "Den enskildes egen uppfattning väger tungt i utredningen.", (OWN,))],
        ],
    },
}


def _docx(name: str, doc: dict, path: Path) -> None:
    from docx import Document

    d = Document()
    props = d.core_properties
    # the file's own metadata agrees with styrdokument.toml, so either source gives the same answer
    props.title = doc["title"]
    props.author = doc["issuer"]
    props.category = doc["type"]
    props.created = dt.datetime.fromisoformat(doc["date"])
    props.modified = props.created
    props.last_modified_by = ""
    props.revision = 1
    for i, page in enumerate(doc["pages"]):
        if i:
            d.add_page_break()
        for style, text, _ in page:
            if style == "h":
                d.add_heading(text, level=1)
            else:
                d.add_paragraph(text)
    d.save(path)


def _convert(docx: Path, fmt: str, out_dir: Path) -> Path:
    with tempfile.TemporaryDirectory() as profile:  # a private profile: runs beside an open LibreOffice
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(out_dir), str(docx)], check=True, capture_output=True, timeout=180)
    return out_dir / f"{docx.stem}.{fmt}"


def _pdf_metadata(made: Path, doc: dict, target: Path) -> None:
    """LibreOffice stamps the PDF with the time of conversion; give it the document's own date instead."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=made)
    stamp = "D:" + doc["date"].replace("-", "") + "000000Z"
    writer.add_metadata({"/Title": doc["title"], "/Author": doc["issuer"], "/CreationDate": stamp,
                         "/ModDate": stamp})
    with target.open("wb") as fh:
        writer.write(fh)


def generate(out: Path = OUT) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, doc in DOCUMENTS.items():
            src = Path(tmp) / f"{name}.docx"
            _docx(name, doc, src)
            target = out / f"{name}.{doc['format']}"
            made = src if doc["format"] == "docx" else _convert(src, doc["format"], Path(tmp))
            if doc["format"] == "pdf":
                _pdf_metadata(made, doc, target)
            else:
                shutil.copyfile(made, target)
            files[name] = target
    return files


def meta_toml() -> str:
    lines = ["# Metadata of the governing documents in styrdokument/ (generated by generate_documents.py).",
             "# One table per file name; handbok_ibic_2019.docx is left out on purpose: its type, date and",
             "# issuer are read from the document's own metadata.", ""]
    for name, doc in DOCUMENTS.items():
        if not doc["in_meta"]:
            continue
        lines += [f'["{name}.{doc["format"]}"]', f'type = "{doc["type"]}"', f'date = {doc["date"]}',
                  f'in_force = {doc["in_force"]}', f'issuer = "{doc["issuer"]}"', f'title = "{doc["title"]}"', ""]
    return "\n".join(lines)


def effects_toml() -> str:
    lines = ["# Truths of the governing documents (generated by generate_documents.py from its tagged texts).",
             "# [[documents]]: file, type, date, in_force (the date a requirement applies from), pages.",
             "# [[mentions]]: each planted mention of a core component (ids of evalkit/data/models/ibic.toml)",
             "# with its page; pages not listed for a component mention it nowhere.", ""]
    for name, doc in DOCUMENTS.items():
        lines += ["[[documents]]", f'file = "{name}.{doc["format"]}"', f'type = "{doc["type"]}"',
                  f'date = {doc["date"]}', f'in_force = {doc["in_force"] or doc["date"]}',
                  f'issuer = "{doc["issuer"]}"', f'pages = {len(doc["pages"])}', ""]
    for name, doc in DOCUMENTS.items():
        for page_no, page in enumerate(doc["pages"], start=1):
            for _, text, comps in page:
                for comp in comps:
                    lines += ["[[mentions]]", f'file = "{name}.{doc["format"]}"', f'component = "{comp}"',
                              f"page = {page_no}", f'passage = "{text}"', ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    made = generate()
    META.write_text(meta_toml(), encoding="utf-8")
    EFFECTS.write_text(effects_toml(), encoding="utf-8")
    for p in made.values():
        print(f"{p.relative_to(HERE)}: {p.stat().st_size} bytes")
