"""The FoU report structure (issue 14, items 3 and 5).

Title page, foreword, headings in the FoU order, method per data source, ethics,
limitations from the design and the config's events, discussion draft, references
only for the methods used, outcome definitions, a table of contents filled at write
time, figure captions that say what the figure shows, the user's Word template
checked and its header kept, table headers that never break inside a word.

The sample IBIC report is built once (module fixture, ~30 s under load).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pytest
from docx.oxml.ns import qn

import evalkit as ek
from evalkit import _fou, pipeline
from evalkit.errors import ConfigError, ReportError
from evalkit.report import Report, TableSpec
from evalkit.report._docx import _COMPACT_POINTS, _STYLE_POINTS, _header_words_fit, _tokens, _width, table_xml
from evalkit.report._format import FormattedTable
from evalkit.report._references import WORKS, cite_methods, cited, reference_list

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def ibic(tmp_path_factory):
    """The sample IBIC report in Swedish: (docx path, Run)."""
    import warnings

    import matplotlib.pyplot as plt

    ev = ek.Evaluation.from_toml(SAMPLE / "ibic.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = pipeline.run(ev)
        path = tmp_path_factory.mktemp("ibic") / "ibic.docx"
        pipeline.build_report(run).save(path)
    plt.close("all")
    return path, run


def _paragraphs(path):
    return docx.Document(str(path)).paragraphs


def _headings(path, level):
    return [p.text for p in _paragraphs(path) if p.style.name == f"Heading {level}"]


def _text(path):
    return "\n".join(p.text for p in _paragraphs(path))


def _section(path, title) -> list[str]:
    """The paragraphs of chapter ``title`` (from its Heading 1 to the next; the TOC entries are not it)."""
    paragraphs = _paragraphs(path)
    start = next(i for i, p in enumerate(paragraphs) if p.style.name == "Heading 1" and p.text == title)
    end = next((i for i in range(start + 1, len(paragraphs)) if paragraphs[i].style.name == "Heading 1"),
               len(paragraphs))
    return [p.text for p in paragraphs[start + 1:end]]


def _before(path, title) -> str:
    paragraphs = _paragraphs(path)
    start = next(i for i, p in enumerate(paragraphs) if p.style.name == "Heading 1" and p.text == title)
    return "\n".join(p.text for p in paragraphs[:start])


# -- the sample report ------------------------------------------------------------------------

def test_title_page_carries_the_report_metadata(ibic):
    path, run = ibic
    paragraphs = _paragraphs(path)
    first_break = next(i for i, p in enumerate(paragraphs) if "w:br" in p._p.xml and 'w:type="page"' in p._p.xml)
    title_page = [p.text for p in paragraphs[:first_break] if p.text]
    assert title_page == ["Införandet av IBIC i Exempelkommun", "Exempelkommun", "FoU-rapport 2024:1",
                          "Uppdragsgivare: Vård- och omsorgsnämnden i Exempelkommun",
                          "Författare: Anna Andersson och Bo Berg", "Version 1.0", "Datum: 2024-06-01"]
    core = docx.Document(str(path)).core_properties
    assert core.author == "Anna Andersson, Bo Berg"
    assert core.created.replace(tzinfo=None) == dt.datetime(2024, 6, 1)


def test_headings_follow_the_fou_order(ibic):
    path, _ = ibic
    assert _headings(path, 1) == ["Förord", "Sammanfattning", "Bakgrund", "Syfte och frågeställningar",
                                  "Metod och material", "Resultat", "Genomförandet", "Diskussion", "Begränsningar",
                                  "Slutsatser", "Referenser", "Bilagor"]
    level2 = _headings(path, 2)
    methods = level2[level2.index("Data"):level2.index("Etiska överväganden") + 1]
    assert methods == ["Data", "Statistiska metoder", "Skydd mot röjande av uppgifter", "Etiska överväganden"]
    assert "Utfallsmått" in level2 and "Checklista: Aktgranskning enligt IBIC" in level2


def test_foreword_names_commissioner_and_authors(ibic):
    text = _text(ibic[0])
    assert ("Utvärderingen har gjorts på uppdrag av Vård- och omsorgsnämnden i Exempelkommun och genomförts av "
            "Anna Andersson och Bo Berg.") in text


def test_method_per_data_source(ibic):
    path, run = ibic
    text = _text(path)
    respondents = run.results["user_survey"].respondents
    answers, sent = int(respondents["n_respondents"].sum()), int(respondents["sent"].sum())
    assert f"{answers} svar på {sent} utskickade enkäter under 2015–2022" in text
    sizes = run.results["interviews"].group_sizes
    assert f"{sum(sizes)} intervjuer med anhörig ({sizes['anhörig']})" in text
    assert re.search(r"genomförda 2016-\d\d-\d\d–2021-\d\d-\d\d", text)  # the interview period
    design = run.results["decision_audit"].design
    assert f"Aktgranskningen: {design['n_reviewed']} slumpvis valda beslut" in text
    assert "Cohens kappa 0,82" in text
    scores = run.results["nomad"].scores
    assert f"Personalenkäten (nomad_personal.csv, NoMAD): {len(scores)} svar" in text
    assert "Personuppgifter pseudonymiserades" in text  # the generated ethics paragraph


def test_limitations_list_the_pandemic(ibic):
    path, _ = ibic
    limits = "\n".join(_section(path, "Begränsningar"))
    assert "Covid-19-pandemin" in limits and "(2020-03-01–2021-06-30)" in limits
    assert "intervjuerna" in limits and "brukarundersökningen" in limits


def test_discussion_is_a_marked_draft(ibic):
    assert _section(ibic[0], "Diskussion")[0].startswith("[Utkast genererat av evalkit")


def test_references_only_for_methods_used(ibic):
    path, _ = ibic
    references = [r for r in _section(path, "Referenser") if r]
    assert references == sorted(references, key=lambda r: r.split(".")[0].lower())
    joined = "\n".join(references)
    assert "Bernal JL, Cummins S, Gasparrini A." in joined  # ITS is used
    assert "Kenward MG, Roger JH." in joined
    for absent in ("Callaway B", "Cameron AC", "Webb MD"):  # no difference-in-differences in the IBIC report
        assert absent not in joined
    assert "(Bernal m.fl. 2017)" in _before(path, "Referenser")


def test_every_citation_in_the_text_is_in_the_reference_list(ibic):
    path, _ = ibic
    body = _before(path, "Referenser")
    listed = {w.key for w in cited(body)}
    # "(Surname[ m.fl.| och Other] 2017)" and "Surname (2013)" forms
    found = re.findall(r"([A-ZÅÄÖ][\w'-]+)(?: m\.fl\.| och [A-ZÅÄÖ][\w'-]+| & [A-ZÅÄÖ][\w'-]+)? \(?((?:19|20)\d\d)\b",
                       body)
    known_names = {w.authors[0] for w in WORKS}
    missing = {(name, year) for name, year in found if name in known_names
               and not any(w.authors[0] == name and w.year == year and w.key in listed for w in WORKS)}
    assert not missing
    assert len(listed) >= 8


def test_table_of_contents_is_filled_and_linked(ibic):
    path, _ = ibic
    body = docx.Document(str(path)).element.body
    links = body.findall(f".//{W}hyperlink")
    anchors = [h.get(qn("w:anchor")) for h in links]
    entries = ["".join(t.text for t in h.iter(f"{W}t")) for h in links]
    headings = [p.text for p in _paragraphs(path) if p.style.name in ("Heading 1", "Heading 2")]
    assert entries[:len(headings)] == headings
    bookmarks = {b.get(qn("w:name")): b.getparent() for b in body.iter(f"{W}bookmarkStart")}
    for anchor, text in zip(anchors, headings):
        paragraph = bookmarks[anchor]
        assert "".join(t.text for t in paragraph.iter(f"{W}t")) == text
    instr = [t.text for t in body.iter(f"{W}instrText")]
    assert instr[0].strip() == 'TOC \\o "1-2" \\h \\z \\u'


def test_figure_captions_say_what_the_figure_shows(ibic):
    path, _ = ibic
    captions = [p.text for p in _paragraphs(path) if p.style.name == "Caption" and p.text.startswith("Figur")]
    assert any(c.startswith("Figur 1. Handläggningstid från ansökan till beslut") and
               "per månad 2014–2019 med anpassad trend före och efter IBIC (streckad linje" in c for c in captions)


def test_outcome_definitions_appendix(ibic):
    path, _ = ibic
    document = docx.Document(str(path))
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells] ==
                 ["Mått", "Definition", "Enhet", "Källkolumner"])
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[3] for r in rows][0] == "applied_on, decided_on"
    assert len(rows) == 3  # the three outcomes of the IBIC analyses


def test_audit_table_has_item_wording_and_no_leading_zero_rows(ibic):
    path, run = ibic
    document = docx.Document(str(path))
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["Punkt", "Fråga"])
    first = [c.text for c in table.rows[1].cells]
    wording = {i.id: i.question("sv") for i in run.results["decision_audit"].checklist.items}
    assert first[1] == wording[first[0]]
    assert not (first[3] == "0 %" and first[5] == "0 %")


# -- limitations from the design -----------------------------------------------------------------

def _config(tmp_path, events="") -> ek.Evaluation:
    (tmp_path / "beslut.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / "e.toml").write_text(f"""
[evaluation]
title = "Pilot"
seed = 1
[change]
name = "Pilot"
date = 2020-01-01
units = ["A", "B"]
{events}
[data.decisions]
path = "beslut.csv"
[[analyses]]
id = "pilot"
kind = "did"
title = "Timmar per brukare"
outcome = "hours_per_user"
[report]
name = "p"
""", encoding="utf-8")
    return ek.Evaluation.from_toml(tmp_path / "e.toml")


def _one_pre_did():
    rng = np.random.default_rng(3)
    rows = [{"unit": u, "period": p, "y": 10 + (2 if u in "AB" and p == 2 else 0) + rng.normal(0, 0.1)}
            for u in "ABCDEF" for p in (1, 2)]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ek.did(pd.DataFrame(rows), outcome="y", unit="unit", time="period", treated=["A", "B"],
                      intervention=2, seed=1, reps=99)


def test_one_pre_period_and_few_clusters_are_limitations(tmp_path):
    ev = _config(tmp_path)
    result = _one_pre_did()
    assert result.n_pre == 1 and result.n_units == 6
    run = pipeline.Run(evaluation=ev, tables={}, results={"pilot": result})
    limits = _fou.limitations(run, "sv")
    assert any(s.startswith("Timmar per brukare: det finns bara en mätning före") for s in limits)
    assert any("jämförelsen bygger på 6 områden" in s for s in limits)
    assert any("there is only one measurement before the change" in s for s in _fou.limitations(run, "en"))


def test_a_failed_pre_trend_test_is_a_limitation(tmp_path):
    """Treated units trending up before the start: the event study's joint test rejects parallel trends."""
    import warnings

    rng = np.random.default_rng(5)
    rows = [{"unit": u, "period": p, "y": 10 + (1.5 * p if u in "ABC" else 0) + rng.normal(0, 0.05)}
            for u in "ABCDEFGH" for p in range(1, 9)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ek.did(pd.DataFrame(rows), outcome="y", unit="unit", time="period", treated=["A", "B", "C"],
                        intervention=5, seed=1, reps=199)
    run = pipeline.Run(evaluation=_config(tmp_path), tables={}, results={"pilot": result})
    assert not any("parallellt" in s for s in _fou.limitations(run, "sv"))  # no event study drawn: no test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = result.event_study().pretrend["p_value"]
    assert p < _fou.PRETREND_ALPHA
    limits = _fou.limitations(run, "sv")
    assert any(s.startswith("Timmar per brukare: före starten utvecklades områdena inte parallellt") for s in limits)


def test_events_in_a_covered_period_are_limitations(tmp_path):
    events = ('events = [{ start = 2020-03-01, end = 2021-06-30, text = "Pandemin" }, '
              '{ start = 2030-01-01, text = "Senare" }]')
    ev = _config(tmp_path, events)
    assert [e.text for e in ev.change.events] == ["Pandemin", "Senare"]
    decisions = pd.DataFrame({"decided_on": pd.to_datetime(["2019-01-05", "2021-02-01"])})
    run = pipeline.Run(evaluation=ev, tables={"decisions": decisions}, results={})
    limits = _fou.limitations(run, "nb")
    assert len(limits) == 1 and limits[0].startswith("Pandemin (01.03.2020–30.06.2021) falt i perioden som "
                                                     "vedtaksdata dekker")
    # before the data begin: not a limitation
    early = pipeline.Run(evaluation=ev, tables={"decisions": decisions.assign(
        decided_on=pd.to_datetime(["2010-01-01", "2011-01-01"]))}, results={})
    assert _fou.limitations(early, "sv") == []


def test_bad_events_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"change\.events\[0\]\.end: must not be before start"):
        _config(tmp_path, 'events = [{ start = 2020-03-01, end = 2020-01-01, text = "x" }]')
    with pytest.raises(ConfigError, match=r"change\.events\[0\]\.text: required key is missing"):
        _config(tmp_path, "events = [{ start = 2020-03-01 }]")


def test_report_texts_from_files_and_date_default(tmp_path):
    ev = _config(tmp_path)
    assert ev.report.date is None and ev.report.foreword == ""
    assert _fou.foreword(ev, "sv") == []  # no commissioner, no authors: no foreword
    (tmp_path / "forord.txt").write_text("Första stycket\nfortsätter.\n\nAndra stycket.", encoding="utf-8")
    text = (tmp_path / "e.toml").read_text(encoding="utf-8").replace(
        'name = "p"', 'name = "p"\nforeword_file = "forord.txt"\ndiscussion = "Vår diskussion."')
    (tmp_path / "e.toml").write_text(text, encoding="utf-8")
    ev = ek.Evaluation.from_toml(tmp_path / "e.toml")
    assert _fou.foreword(ev, "sv") == ["Första stycket fortsätter.", "Andra stycket."]
    decisions = pd.DataFrame({"decided_on": pd.to_datetime(["2019-01-05", "2021-02-01"])})
    run = pipeline.Run(evaluation=ev, tables={"decisions": decisions}, results={})
    assert _fou.discussion(run, "sv") == ["Vår diskussion."]
    assert _fou.report_date(run) == dt.date(2021, 2, 1)  # the data's last date, not today


# -- references --------------------------------------------------------------------------------

def test_cite_methods_puts_the_citation_after_the_method_name():
    out = cite_methods(["Intervall enligt Wilson.", "Newey–West-standardfel användes."], "sv")
    assert out == ["Intervall enligt Wilson (1927).", "Newey–West-standardfel (Newey och West 1987) användes."]
    # a method named by its authors gets the year only, after the possessive: never "Wilson (Wilson 1927)"
    assert cite_methods(["Newcombe's interval and Kenward–Roger errors."], "en") == [
        "Newcombe's (1998) interval and Kenward–Roger (1997) errors."]
    assert [w.key for w in cited("Newcombe's (1998) interval")] == ["newcombe1998"]
    # cited once, and not again where the text cites the work itself
    assert cite_methods(["Wilson (Wilson 1927) igen; Wilson."], "en") == ["Wilson (Wilson 1927) igen; Wilson."]
    assert reference_list("ingen metod här") == []
    assert [w.key for w in cited("(Callaway och Sant'Anna 2021)")] == ["callaway2021"]


# -- the user's template -------------------------------------------------------------------------

def _logo_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (31, 58, 95)).save(buffer, format="PNG")
    return buffer.getvalue()


def _user_template(path: Path, drop: str | None = None) -> Path:
    document = docx.Document()
    header = document.sections[0].header
    header.paragraphs[0].add_run("Exempelkommun – Vård och omsorg ").add_picture(io.BytesIO(_logo_png()))
    document.sections[0].footer.paragraphs[0].text = "Exempelkommun, 123 45 Exempelstad"
    if drop:
        element = document.styles[drop].element
        element.getparent().remove(element)
    document.save(str(path))
    return path


def _small_report(template) -> Report:
    report = Report("Mall", template=template, workers=1)
    report.add(pd.DataFrame({"Område": ["Norr", "Söder"], "Antal": [30, 41]}), title="Antal",
               spec=TableSpec(counts=("Antal",)))
    return report


def test_user_template_keeps_header_logo_and_footer(tmp_path):
    template = _user_template(tmp_path / "mall.docx")
    out = _small_report(template).save(tmp_path / "r.docx")
    document = docx.Document(str(out))
    header = document.sections[0].header
    assert "Exempelkommun – Vård och omsorg" in header.paragraphs[0].text
    assert header._element.findall(".//" + qn("a:blip")), "the logo picture is gone"
    footer_text = "\n".join(p.text for p in document.sections[0].footer.paragraphs)
    assert "Exempelkommun, 123 45 Exempelstad" in footer_text
    caption = next(p for p in document.paragraphs if p.style.name == "Caption" and p.text.endswith(". Antal"))
    # the python-docx default Caption style has no keep-with-next: the caption paragraph carries it itself,
    # so it never stays alone at a page foot above its table; the header row repeats on every page
    assert caption.paragraph_format.keep_with_next is True
    assert document.tables[0].rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None


def test_template_lacking_styles_is_refused_naming_them(tmp_path):
    template = _user_template(tmp_path / "mall.docx", drop="Caption")
    with pytest.raises(ReportError, match=r"lacks the style\(s\) Caption"):
        _small_report(template).save(tmp_path / "r.docx")


def test_template_key_in_the_config(tmp_path):
    ev = _config(tmp_path)
    text = (tmp_path / "e.toml").read_text(encoding="utf-8")
    (tmp_path / "e.toml").write_text(text.replace('name = "p"', 'name = "p"\ntemplate = "mall.docx"'),
                                     encoding="utf-8")
    with pytest.raises(ConfigError, match=r"report\.template: 'mall\.docx' not found"):
        ek.Evaluation.from_toml(tmp_path / "e.toml")
    _user_template(tmp_path / "mall.docx")
    assert ek.Evaluation.from_toml(tmp_path / "e.toml").report.template == (tmp_path / "mall.docx").resolve()
    assert ev.report.template is None


def test_same_inputs_give_the_same_bytes(tmp_path):
    template = _user_template(tmp_path / "mall.docx")
    a = _small_report(template).save(tmp_path / "a.docx").read_bytes()
    b = _small_report(template).save(tmp_path / "b.docx").read_bytes()
    assert a == b


# -- table headers -------------------------------------------------------------------------------

_HEADERS = ["Punkt", "n före", "Andel bemötande före", "n efter", "Andel bemötande efter",
            "Skillnad (procentenheter)", "Endring (prosentpoeng)", "KI nedre", "KI övre", "p (Holm)"]


def _formatted(headers, rows=3) -> FormattedTable:
    text = [["A1", "61", "85 %", "60", "90 %", "+5", "+5", "−3", "12", "0,210"][:len(headers)] for _ in range(rows)]
    return FormattedTable(header=list(headers), text=text, values=text, hidden=np.zeros((rows, len(headers)), bool),
                          kinds=["text"] * len(headers), decimals=[0] * len(headers), total_row=False)


def _widths_and_points(xml: str) -> tuple[list[int], float]:
    widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', xml)]
    points = int(re.search(r'<w:sz w:val="(\d+)"/>', xml).group(1)) / 2
    return widths, points


def test_header_words_never_break_inside_a_word():
    """Every header word fits its column at the size the table is set in (9 pt, or 8 pt when needed)."""
    table = _formatted(_HEADERS)
    widths, points = _widths_and_points(table_xml(table, "EvalkitTable", 9070))
    assert sum(widths) == 9070 and points in (_STYLE_POINTS, _COMPACT_POINTS)
    for head, width in zip(table.header, widths):
        for word in _tokens(head):
            assert _width(word, points, True) + 200 <= width + 1, (word, width)
    # the check itself tells a column too narrow for "procentenheter"
    assert not _header_words_fit(_formatted(["(procentenheter)"]), [600])
    assert _header_words_fit(_formatted(["(procentenheter)"]), [2400])


def _rows_kept_with_next(xml: str) -> list[bool]:
    """Per row (header first): whether every cell's paragraph is kept with the next."""
    rows = re.findall(r"<w:tr>.*?</w:tr>", xml)
    return [r.count("<w:keepNext/>") == r.count("<w:tc>") for r in rows]


def test_a_short_table_is_kept_on_one_page_and_a_long_one_may_break():
    short = _rows_kept_with_next(table_xml(_formatted(_HEADERS, rows=4), "EvalkitTable", 9070))
    assert short == [True, True, True, True, False]      # every row held to the next, except the last
    long = _rows_kept_with_next(table_xml(_formatted(_HEADERS, rows=40), "EvalkitTable", 9070))
    assert not any(long)                                  # 40 rows: may break; the header repeats overleaf


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")), reason="LibreOffice/poppler "
                    "not installed (apt-get install libreoffice-writer poppler-utils)")
def test_headers_render_without_broken_words(tmp_path):
    frame = pd.DataFrame([[f"A{i}", 61, 0.85, 60, 0.9, 5, 5, -3, 12, 0.21] for i in range(3)], columns=_HEADERS)
    report = Report("Rubriker", workers=1)
    report.add(frame, title="Rubriker som inte får brytas")
    report.save(tmp_path / "h.docx")
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(tmp_path / "h.docx")], check=True, capture_output=True,
                   timeout=180)
    text = subprocess.run(["pdftotext", str(tmp_path / "h.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    words = set(re.findall(r"[\wöäå()]+", text))
    for word in ("bemötande", "(procentenheter)", "(prosentpoeng)"):
        assert word in words, f"{word} was broken: {sorted(w for w in words if w[:4] == word[:4])}"
