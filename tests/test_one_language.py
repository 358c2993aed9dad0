"""One language per document: every report kind of the sample municipality, in sv, nb and en.

Each report is built as an evaluator gets it (``pipeline.run`` + ``pipeline.build_report``) and all the
text a reader sees is collected from its blocks: headings, paragraphs, bullets, table captions, sources,
notes, formatted headers and cells, figure captions and every text drawn in a figure (titles, axis
labels, legends, tick labels, annotations). The test fails on

(i)   a catalogue text of another language (a literal run of ≥ 3 words of a template that differs
      from every text of the report's own language) found in the document;
(ii)  a marker word of another language (lists below, chosen so that words Swedish and Norwegian
      share — "per", "av", "som", "eller", "Tabell" — never fire);
(iii) a missing translation: a lookup that the language's catalogue lacks raises ReportError (there
      is no silent fallback), so building the report fails — and the catalogues must agree (checked in
      tests/test_catalogue.py);
(iv)  a raw column name (``ci_low``, ``wave``) shown as a table header.

User text is not evalkit's to translate: the strings of the evaluation's config (titles, purpose,
questions, the change's description — the sample configs give them in all three languages, so the
document's language is used) and of the input files it names (implementation strategies, document
metadata, interview code names) are cut out of the document text before checking, as is the verbatim
copy of the config file in the provenance appendix. So are the reference list's entries: a work's
title stays in the language it was published in.
"""
from __future__ import annotations

import re
import string
import tomllib
import warnings
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree

import evalkit as ek
from evalkit import i18n, pipeline
from evalkit.blocks import Bullets, Code, Figure, Heading, Paragraph, Table
from evalkit.report._format import format_table
from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow

CONFIGS = ("ibic", "flexible_codes", "rehab_pilot")
LANGUAGES = ("sv", "nb", "en")

# Marker words: frequent function words of one language that the other two never use as words.
# sv/nb share a lot ("av", "som", "per", "eller", "andel", "antal"/"antall" differ) — only words that are
# wrong in the other Scandinavian language are listed. Matched whole-word, case-insensitive.
MARKERS = {
    "sv": ["och", "inte", "från", "efter", "ökade", "minskade", "källa", "är", "också", "mellan", "när",
           "till", "utan", "än", "vilket", "även", "ingen förändring", "procentenheter", "månad"],
    "nb": ["ikke", "etter", "økte", "kilde", "og", "også", "mellom", "når", "hvor", "uten", "fra", "til",
           "enn", "prosentpoeng", "måned", "endring"],
    "en": ["the", "and", "with", "after", "before", "decided", "blank row", "repeated header", "of", "from",
           "were", "was", "which", "between", "event study", "within-transformation", "change", "per cent",
           "percentage points", "month", "wave", "reconstructed"],
}
_IDENTIFIER = re.compile(r"^[a-z0-9_.\-/]+$")
_RAW_COLUMN = re.compile(r"^[a-z]+(_[a-z0-9]+)+$|^(wave|estimate|se|ci_low|ci_high|p|period|unit)$")


# ----------------------------------------------------------------------------- collecting the text
def _figure_texts(figure) -> list[str]:
    """Every text artist of a matplotlib figure (titles, labels, legends, ticks, annotations)."""
    from matplotlib.text import Text

    if figure is None or not hasattr(figure, "findobj"):
        return []
    return [t.get_text() for t in figure.findobj(Text) if t.get_text().strip()]


def document_texts(report) -> list[str]:
    """All the text a reader of ``report`` sees, one string per element (the config's echo left out)."""
    out: list[str] = []
    for block in report.blocks():
        if isinstance(block, (Heading, Paragraph)):
            out.append(block.text)
        elif isinstance(block, Bullets):
            out.extend(block.items)
        elif isinstance(block, Table):
            out += [t for t in (block.caption, block.source, block.note) if t]
            formatted = format_table(block, report.language, report.disclosure)
            out.extend(str(h) for h in formatted.header)
            out.extend(cell for row in formatted.text for cell in row)
        elif isinstance(block, Figure):
            out += [t for t in (block.caption, block.source) if t]
            out += _figure_texts(block.figure)
        elif isinstance(block, Code):
            continue  # the config file verbatim: the user's own text
    return out


def headers(report) -> list[str]:
    return [str(h) for b in report.blocks() if isinstance(b, Table)
            for h in format_table(b, report.language, report.disclosure).header]


# ----------------------------------------------------------------------------- user text
def _strings(value, language: str) -> list[str]:
    """Every string of a TOML value; of a text given per language only the one in ``language``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        if set(value) == set(LANGUAGES):
            return [value[language]]
        return [s for v in value.values() for s in _strings(v, language)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, language)]
    return []


def _qdpx_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("project.qde"))
    return [el.get("name") for el in root.iter() if el.get("name")]


def user_strings(config: Path, language: str) -> list[str]:
    """Strings of the config and of the TOML/REFI-QDA files it names, longest first.

    A text the config gives per language counts only in ``language``: the other two must not appear.
    """
    with config.open("rb") as fh:
        top = tomllib.load(fh)
    found = _strings(top, language)
    for value in list(found):
        if not value.endswith((".toml", ".qdpx")) or "/" in value or not (config.parent / value).is_file():
            continue
        path = config.parent / value
        if path.suffix == ".toml":
            found += _strings(tomllib.loads(path.read_text(encoding="utf-8")), language)
        elif path.suffix == ".qdpx":
            found += _qdpx_names(path)
    # reference-list entries are bibliographic records in the language the work was published in
    from evalkit.report._references import WORKS

    found += [w.reference for w in WORKS]
    # a folder of documents: its metadata file is already named; its file names are user text too
    found += [p.stem for p in config.parent.glob("styrdokument/*")]
    # identifiers and file names ("month", "before", "beslut.csv") are settings, not text a reader sees
    text = {s.strip() for s in found if len(s.strip()) > 2 and not _IDENTIFIER.match(s.strip())}
    return sorted(text, key=len, reverse=True)


def strip_user_text(text: str, user: list[str], grams: frozenset = frozenset()) -> str:
    """``text`` with the user's strings, and any run of words of the user's data, replaced by "•"."""
    for s in user:
        if s in text:
            text = text.replace(s, " \u2022 ")
    return _mask_data_words(text, grams) if grams else text


_WORD = re.compile(r"\w+")
_N = 4  # a word is the user's when one of its 4-word runs occurs in the input data


def _grams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + _N]) for i in range(len(words) - _N + 1)}


def _frames_of(obj):
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        yield obj
        return
    named = ("frame", "segments", "codes", "sources", "documents", "anchors", "cases", "responses", "records")
    for value in [getattr(obj, attr, None) for attr in named] + list(getattr(obj, "__dict__", {}).values()):
        if isinstance(value, pd.DataFrame):
            yield value
    if callable(getattr(obj, "to_frame", None)):
        try:
            yield obj.to_frame()
        except TypeError:
            pass


def data_grams(run) -> frozenset:
    """The 4-word runs of every text cell of the run's input data (interview passages, documents …),
    and the cells themselves (a table cell that *is* such a value is the user's too)."""
    import pandas as pd

    out: set = set()
    for obj in run.tables.values():
        for frame in _frames_of(obj):
            for column in frame.columns:
                if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                    for value in frame[column].dropna().unique()[:5000]:
                        if isinstance(value, str) and " " in value:
                            out |= _grams(_WORD.findall(value.lower()))
                            out.add(("cell", value.strip().lower()))  # a short heading shown as it is
    return frozenset(out)


def _mask_data_words(text: str, grams: frozenset) -> str:
    if ("cell", text.strip().lower()) in grams:
        return "\u2022"
    matches = list(_WORD.finditer(text))
    words = [m.group().lower() for m in matches]
    user = [False] * len(words)
    for i in range(len(words) - _N + 1):
        if tuple(words[i:i + _N]) in grams:
            user[i:i + _N] = [True] * _N
    for m, is_user in sorted(zip(matches, user), key=lambda x: -x[0].start()):
        if is_user:
            text = text[:m.start()] + "\u2022" + text[m.end():]
    return text


# ----------------------------------------------------------------------------- catalogue runs
def _literal_runs(template: str) -> list[str]:
    return [lit.strip(" ,.;:()–-") for lit, *_ in string.Formatter().parse(template) if lit]


def foreign_phrases(language: str) -> list[str]:
    """Word runs (≥ 3 words) of the other languages' catalogue texts found in none of ``language``'s."""
    own = [v for table in i18n.catalogue(language).values() for v in table.values()]
    own_text = "\n".join(own)
    out = set()
    for other in LANGUAGES:
        if other == language:
            continue
        for table in i18n.catalogue(other).values():
            for template in table.values():
                for run in _literal_runs(template):
                    if len(run.split()) >= 3 and run not in own_text:
                        out.add(run)
    return sorted(out, key=len, reverse=True)


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def runs():
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        for name in CONFIGS:
            out[name] = pipeline.run(ek.Evaluation.from_toml(SAMPLE / f"{name}.toml"))
    return out


@pytest.fixture(scope="module")
def documents(runs):
    """{(config, language): (report, text with user strings cut out)}."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        for name, run in runs.items():
            grams = data_grams(run)
            for lang in LANGUAGES:
                user = user_strings(SAMPLE / f"{name}.toml", lang)
                report = pipeline.build_report(run, language=lang)
                text = "\n".join(strip_user_text(t, user, grams) for t in document_texts(report))
                out[name, lang] = report, text
    return out


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 60):end + 60].replace("\n", " | ")


CASES = [(name, lang) for name in CONFIGS for lang in LANGUAGES]


@pytest.mark.parametrize("name,language", CASES)
def test_no_catalogue_text_of_another_language(documents, name, language):
    _, text = documents[name, language]
    leaks = [f"{phrase!r} in …{_context(text, i, i + len(phrase))}…"
             for phrase in foreign_phrases(language) if (i := text.find(phrase)) >= 0]
    assert not leaks, f"{name} ({language}): " + "\n".join(leaks[:25])


@pytest.mark.parametrize("name,language", CASES)
def test_no_marker_word_of_another_language(documents, name, language):
    _, text = documents[name, language]
    leaks = []
    for other, words in MARKERS.items():
        if other == language:
            continue
        for word in words:
            for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, flags=re.IGNORECASE):
                leaks.append(f"{other} {word!r}: …{_context(text, m.start(), m.end())}…")
    assert not leaks, f"{name} ({language}): {len(leaks)} leaks\n" + "\n".join(leaks[:40])


@pytest.mark.parametrize("name,language", CASES)
def test_no_raw_column_names_in_table_headers(documents, name, language):
    report, _ = documents[name, language]
    raw = sorted({h for h in headers(report) if _RAW_COLUMN.match(h)})
    assert not raw, f"{name} ({language}): untranslated column names {raw}"


_PLACEHOLDER = re.compile(r"\{\{?[a-z_][a-z0-9_]*\}\}?")


@pytest.mark.parametrize("name,language", CASES)
def test_no_unfilled_placeholder(documents, name, language):
    """A catalogue template shown unformatted ("Ljung–Box p ({k} laggar)") is a wording bug too."""
    _, text = documents[name, language]
    left = [f"{m.group()!r}: …{_context(text, m.start(), m.end())}…" for m in _PLACEHOLDER.finditer(text)]
    assert not left, f"{name} ({language}): " + "\n".join(left[:10])


def test_the_checks_catch_a_planted_leak(documents):
    """The checks fire on real leaks: an English sentence in the Swedish report, a Swedish caption in nb."""
    _, sv_text = documents["ibic", "sv"]
    planted = sv_text + "\n" + i18n.label("figure_withheld", "en")
    assert any(p in planted for p in foreign_phrases("sv"))
    assert _PLACEHOLDER.search(sv_text + " Ljung–Box p ({k} laggar)")
    nb_marker = re.compile(r"(?<![\w-])källa(?![\w-])", re.IGNORECASE)
    assert not nb_marker.search(documents["ibic", "nb"][1])
    assert nb_marker.search(documents["ibic", "nb"][1] + "\nKälla: egna beräkningar")


def test_user_text_is_cut_out_only_where_the_config_has_it():
    user = user_strings(SAMPLE / "ibic.toml", "en")
    assert "Exempelkommun" in user and "Introducing IBIC in Exempelkommun" in user
    assert "Införandet av IBIC i Exempelkommun" not in user  # the sv title must not appear in an en report
    assert strip_user_text("Källa: Exempelkommun", user).startswith("Källa")
