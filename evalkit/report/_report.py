"""The public :class:`Report`: collects results and text, lays out the document, saves it."""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import inspect
import os
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from evalkit import i18n
from evalkit._files import temp_beside
from evalkit.errors import EvalkitError, EvalkitWarning, ReportError
from evalkit.report._blocks import Bullets, Code, Figure, Heading, PageBreak, Paragraph, Table, TableSpec
from evalkit.privacy._disclosure import Disclosure, is_withheld
from evalkit.report._disclosure import DEFAULT_THRESHOLDS, _check_thresholds, disclosure_mask
from evalkit.report._figures import DEFAULT_DPI, Beside, EarlyRenders, render_all
from evalkit.report._format import format_table
from evalkit.report._references import cite_methods, reference_list
from evalkit.report._toc_pages import PLACEHOLDER, fill_page_numbers, heading_pages

__all__ = ["Report", "SECTION_ORDER", "TEMPLATE"]

TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "template.docx"
#: Sections in document order (the FoU report's structure); keys added with add_section that are not here go
#: after "implementation", before the discussion. "references" is built from the text (see _references.py).
SECTION_ORDER = ("foreword", "summary", "background", "purpose", "methods", "results", "implementation",
                 "discussion", "limitations", "conclusions", "references", "appendix")
#: Sections after the custom ones
_CLOSING = ("discussion", "limitations", "conclusions", "references", "appendix")

_t = i18n.translator("document")
#: Core-property time when no report date is given: fixed, so two builds are identical.
FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class _ResultEntry:
    title: str
    sentences: list[str]
    methods: list[str]


@dataclass
class _Provenance:
    records: list = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    seeds: dict[str, Any] = field(default_factory=dict)
    config_text: str | None = None


def _is_result(obj: Any) -> bool:
    return any(hasattr(obj, name) for name in ("sentences", "report_tables", "to_frame")) and not isinstance(
        obj, (pd.DataFrame, pd.Series, str))


def _is_figure(obj: Any) -> bool:
    return hasattr(obj, "savefig") and hasattr(obj, "axes")


class Report:
    """A Word report (and its Excel appendix) built from results, tables, figures and text.

    Parameters
    ----------
    title : str
        The report's title (cover page and document properties).
    language : {"sv", "nb", "en"}
        Language of every label and number format (default Swedish).
    template : path, optional
        A .docx whose styles are used (the municipality's own template); by
        default evalkit's template. A template lacking a required style is
        refused with :class:`~evalkit.ReportError` naming the styles.
    thresholds : (int, int)
        Disclosure control: the smallest count shown and the smallest
        denominator of a percentage shown (default ``(5, 30)``).
    zero_is_small : bool
        Hide zero counts too (default False: zero is shown).
    subtitle, author : str, optional
        Shown on the cover page.
    commissioner, version, report_number : str, optional
        Shown on the title page (who commissioned the evaluation, the report's version, its number in a series).
    authors : sequence of str, optional
        The authors, on the title page and in the document properties (``author`` is one author).
    date : datetime.date, optional
        The report date, shown on the cover and used as the document's created/
        modified time; without it a fixed time is used so that builds repeat.
    figure_width_cm : float, optional
        Width of every figure (default: the text width of the template).
    dpi : int
        Pixel density of figures (default 200).
    workers : int
        Worker processes that draw figures (default 2; one where fork is unavailable).

    Examples
    --------
    >>> import pandas as pd, evalkit.report as rp
    >>> report = rp.Report("Uppföljning av hemtjänst", language="sv")
    >>> t = pd.DataFrame({"Område": ["Norr", "Söder"], "Antal": [3, 41]})
    >>> report.add(t, title="Beslut per område", source="Procapita", spec=rp.TableSpec(counts=("Antal",)))
    >>> report.save("/tmp/doctest_report.docx")  # doctest: +SKIP
    """

    def __init__(self, title: str, language: str = "sv", template=None, thresholds=DEFAULT_THRESHOLDS,
                 zero_is_small: bool = False, subtitle: str | None = None, author: str | None = None, date: dt.date | None = None,
                 figure_width_cm: float | None = None, dpi: int = DEFAULT_DPI, workers: int = 2,
                 commissioner: str | None = None, authors: Iterable[str] = (), version: str | None = None,
                 report_number: str | None = None, toc_page_numbers: bool = False):
        self.title = str(title)
        self.language = i18n.check_language(language)
        self.template = Path(template) if template is not None else TEMPLATE
        self.thresholds = _check_thresholds(thresholds)
        #: The one set of rules applied to every table, sentence, figure and the Excel appendix.
        self.disclosure = Disclosure(*self.thresholds, zero_is_small=bool(zero_is_small))
        self.subtitle, self.author, self.date = subtitle, author, date
        self.commissioner, self.version, self.report_number = commissioner, version, report_number
        self.authors = tuple(authors) or ((author,) if author else ())
        self.figure_width_cm, self.dpi, self.workers = figure_width_cm, int(dpi), int(workers)
        #: page numbers in the table of contents from a LibreOffice layout (evalkit.report._toc_pages)
        self.toc_page_numbers = bool(toc_page_numbers)
        self._toc: list[tuple[int, str]] = []
        # results' figures are drawn in a forked child while the report is assembled (speed, issue 14)
        self._early = EarlyRenders(self.dpi) if self.workers > 1 else None
        self._sections: dict[str, list] = {key: [] for key in SECTION_ORDER}
        #: the ethics subsection, last in "Metod och material" (add_section("ethics", blocks=…))
        self._sections["ethics"] = []
        self._titles: dict[str, str] = {}
        self._results: list[_ResultEntry] = []
        self._appendix_tables: list[Table] = []
        self._provenance = _Provenance()
        #: the summary's paragraphs when the answers to the research questions are set (set_summary)
        self._summary: list[str] | None = None

    # -- collecting -----------------------------------------------------
    def add(self, obj: Any, *, title: str | None = None, source: str | None = None, section: str = "results",
            spec: TableSpec | None = None, decorate=None, level: int = 2,
            figure_caption: str | None = None, figure=None) -> None:
        """Add a result object, a DataFrame, a matplotlib Figure, text or a block to a section.

        Parameters
        ----------
        obj
            * a result object (see the protocol in :mod:`evalkit.report`): a
              subsection with its sentences, its first table, its figure; its
              other tables go to the appendix; its sentences also go into the summary;
            * a DataFrame: a table captioned ``title``, disclosure-controlled by ``spec``;
            * a matplotlib Figure: a figure captioned ``title``;
            * a str: a paragraph; a block from :mod:`evalkit.report` as it is.
        title : str, optional
            Caption of a table or figure; heading of a result (default ``obj.title``).
        source : str, optional
            The source line under a table or figure ("Källa: …").
        section : str
            Section key (``results`` by default; see :data:`SECTION_ORDER`).
        spec : TableSpec, optional
            Which columns of a DataFrame are counts and percentages.
        decorate : callable, optional
            Called with a result's figure before it is placed (e.g. marks for the implementation strategies
            on a time series: ``decorate=lambda fig: log.mark(fig.axes[0])``).
        level : int
            Heading level of a result (2; 3 under a research question, see :meth:`add_question`).
        figure_caption : str, optional
            Caption of a result's figure, saying what it shows (default: the result's ``figure_caption(language)``
            when it has one, else its heading).
        figure : :class:`~evalkit.report._figures.Prerendered`, optional
            A result's figure drawn ahead (``plot()`` in the report's language and rules, at its dpi), used
            instead of calling ``plot()`` when nothing is to decorate it (speed, issue 14).
        """
        blocks = self._section(section)
        if _is_result(obj):
            blocks.extend(self._result_blocks(obj, title, source, decorate, level, figure_caption, figure))
        elif isinstance(obj, pd.DataFrame):
            if not title:
                raise ReportError("a table needs a caption: report.add(frame, title='…')")
            blocks.append(Table(obj, title, spec or TableSpec(), source))
        elif isinstance(obj, pd.Series):
            self.add(obj.to_frame(), title=title or str(obj.name or ""), source=source, section=section,
                     spec=spec)
        elif _is_figure(obj):
            if not title:
                raise ReportError("a figure needs a caption: report.add(fig, title='…')")
            blocks.append(Figure(obj, title, source, self.figure_width_cm))
        elif isinstance(obj, str):
            blocks.append(Paragraph(obj))
        elif isinstance(obj, (Heading, Paragraph, Bullets, Code, PageBreak, Table, Figure)):
            blocks.append(obj)
        else:
            raise ReportError(f"cannot add a {type(obj).__name__} to a report: give a result object, a "
                              "DataFrame, a matplotlib Figure, text or a report block")

    def add_section(self, key: str, title: str | None = None, blocks: Iterable = ()) -> None:
        """Add ``blocks`` (blocks or strings) to section ``key``, creating it with ``title`` if new.

        Standard keys (:data:`SECTION_ORDER`) have titles in the report's
        language; a new key needs a title and is placed before the conclusions.
        """
        if key not in self._sections and not title:
            raise ReportError(f"new section {key!r} needs a title")
        target = self._section(key, create=True)
        if title:
            self._titles[key] = title
        for block in blocks:
            target.append(Paragraph(block) if isinstance(block, str) else block)

    def set_provenance(self, records=(), versions: dict | None = None, seeds: dict | None = None,
                       config_text: str | None = None) -> None:
        """Record what the provenance appendix shows.

        Parameters
        ----------
        records : list of evalkit.provenance.LoadRecord
            One per loaded table (files, sha256, rows read/kept/excluded with reasons).
        versions : dict, optional
            Package → version (default :func:`evalkit.provenance.versions`).
        seeds : dict, optional
            Random step → seed.
        config_text : str, optional
            The full evaluation config, shown verbatim.
        """
        if versions is None:
            from evalkit.provenance import versions as _versions

            versions = _versions()
        self._provenance = _Provenance(list(records), dict(versions), dict(seeds or {}), config_text)

    def _section(self, key: str, create: bool = False) -> list:
        if key == "summary":
            raise ReportError("the summary is written from the results' sentences; add results instead")
        if key not in self._sections:
            if not create:
                raise ReportError(f"no section {key!r}; use one of {', '.join(self._sections)} or add_section()")
            self._sections[key] = []
        return self._sections[key]

    def add_question(self, question: str, answer: Iterable[str], section: str = "results") -> None:
        """A research question as a level-2 heading of ``section`` with its answer's paragraphs; add the
        analyses that answer it next, with ``level=3``."""
        blocks = self._section(section)
        blocks.append(Heading(str(question), 2))
        blocks.extend(Paragraph(p) for p in answer)

    def set_summary(self, paragraphs: Iterable[str]) -> None:
        """The summary's paragraphs (one answer per research question), instead of the results' sentences."""
        self._summary = [str(p) for p in paragraphs]

    def _result_blocks(self, result: Any, title: str | None, source: str | None, decorate=None,
                       level: int = 2, figure_caption: str | None = None, drawn=None) -> list:
        heading = title or _title_of(result, self.language) or type(result).__name__
        sentences = list(_call_disclosed(result, "sentences", self.language, self.disclosure) or [])
        methods = list(_call(result, "methods", self.language) or [])
        self._results.append(_ResultEntry(heading, sentences, methods))
        blocks: list = [Heading(heading, level)]
        blocks.extend(Paragraph(s) for s in sentences)
        tables = self._result_tables(result, heading, source)
        if tables:
            blocks.append(tables[0])
            self._appendix_tables.extend(tables[1:])
        usable = drawn is not None and decorate is None and drawn.dpi == self.dpi
        figure = drawn if usable else _plot(result, self.language, self.disclosure)
        if figure is not None:
            if not _is_figure(figure):
                raise ReportError(f"{type(result).__name__}.plot() must return a matplotlib Figure")
            if decorate is not None:
                decorate(figure)
            _detach_from_pyplot(figure)
            if self._early is not None and not is_withheld(figure):
                self._early.add(figure)
            caption = figure_caption or _call(result, "figure_caption", self.language) or heading
            blocks.append(Figure(figure, caption, source, self.figure_width_cm))
        for block in _call(result, "appendix_blocks", self.language) or []:
            self._sections["appendix"].append(block)
        return blocks

    def _result_tables(self, result: Any, heading: str, source: str | None) -> list[Table]:
        if hasattr(result, "report_tables"):
            raw = _call_disclosed(result, "report_tables", self.language, self.disclosure) or []
        elif hasattr(result, "to_frame"):
            raw = [(heading, result.to_frame())]
        else:
            raw = []
        tables = []
        for item in raw:
            if isinstance(item, Table):
                tables.append(item if item.source or not source else
                              Table(item.frame, item.caption, item.spec, source, item.note))
            elif isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[1], pd.DataFrame):
                spec = item[2] if len(item) == 3 else TableSpec()
                tables.append(Table(item[1], str(item[0]), spec, source))
            else:
                raise ReportError(f"{type(result).__name__}.report_tables() must return Table blocks or "
                                  "(caption, DataFrame[, TableSpec]) tuples")
        return tables

    # -- layout ---------------------------------------------------------
    def _label(self, key: str, **values) -> str:
        return _t(key, self.language, **values)

    def blocks(self) -> list:
        """The whole document as a flat list of blocks, in order (what the renderers draw)."""
        out: list = []
        keys = [k for k in SECTION_ORDER if k not in _CLOSING]
        keys += [k for k in self._sections if k not in SECTION_ORDER and k != "ethics"]
        keys += list(_CLOSING)
        bodies = {key: self._section_body(key) for key in keys if key != "references"}
        bodies["references"] = self._references_body(bodies)
        for key in keys:
            body = bodies[key]
            if body is None:
                continue
            out.append(Heading(self._titles.get(key) or self._label(key), 1))
            out.extend(body)
        return out

    def _section_body(self, key: str) -> list | None:
        if key == "summary":
            if self._summary is not None:
                return [Paragraph(p) for p in self._summary] or None
            return [Paragraph(" ".join([e.title + ":"] + e.sentences)) for e in self._results if e.sentences] or None
        if key == "methods":
            return list(self._sections["methods"]) + self._methods_blocks()
        if key == "references":
            return None
        if key == "conclusions":
            return list(self._sections["conclusions"]) or [Paragraph(self._label("conclusions_placeholder"))]
        if key == "appendix":
            return self._appendix_blocks()
        body = list(self._sections[key])
        return body or None

    def _methods_blocks(self) -> list:
        blocks: list = []
        records = self._provenance.records
        if records:
            blocks.append(Heading(self._label("data_sources"), 2))
            for record in records:
                blocks.append(Paragraph(self._rows_sentence(record)))
                reasons = [self._label("excluded_sentence", count=i18n.fmt_int(e.count, self.language),
                                       reason=i18n.reason(e.reason, self.language))
                           for e in record.exclusions]
                if reasons:
                    blocks.append(Bullets(tuple(reasons)))
        methods = list(dict.fromkeys(s for e in self._results for s in e.methods))
        if methods:
            blocks.append(Heading(self._label("statistical_methods"), 2))
            blocks.extend(Paragraph(s) for s in cite_methods(methods, self.language))
        blocks.append(Heading(self._label("disclosure_heading"), 2))
        blocks.append(Paragraph(self._disclosure_text()))
        if self._sections["ethics"]:
            blocks.append(Heading(self._titles.get("ethics") or self._label("ethics"), 2))
            blocks.extend(self._sections["ethics"])
        return blocks

    def _references_body(self, bodies: dict) -> list | None:
        """One paragraph per work the report's text cites, sorted by first author (none: no section)."""
        text = "\n".join(_block_text(b) for body in bodies.values() if body for b in body)
        references = reference_list(text)
        return [Paragraph(r) for r in references] or None

    def title_lines(self) -> list[str]:
        """The title page's lines under the title and subtitle: report number, commissioner, authors,
        version, date (those given)."""
        lines = [self.report_number] if self.report_number else []
        if self.commissioner:
            lines.append(self._label("commissioner", value=self.commissioner))
        if self.authors:
            names = i18n.join_words(self.authors, self.language)
            lines.append(self._label("authors" if len(self.authors) > 1 else "author", value=names))
        if self.version:
            lines.append(self._label("version", value=self.version))
        if self.date:
            lines.append(self._label("date", value=i18n.fmt_date(self.date, self.language)))
        return lines

    def _disclosure_text(self) -> str:
        k, m = self.thresholds
        zero = self._label("disclosure_zero_hidden" if self.disclosure.zero_is_small else "disclosure_zero")
        return self._label("disclosure_text", k=i18n.fmt_int(k, self.language),
                           k_minus=i18n.fmt_int(k - 1, self.language), m=i18n.fmt_int(m, self.language), zero=zero)

    def _rows_sentence(self, record) -> str:
        name = Path(record.source.path).name if record.source else record.table
        f = i18n.fmt_int
        return self._label("rows_sentence", name=name, read=f(record.rows_read, self.language),
                           kept=f(record.rows_kept, self.language), excluded=f(record.rows_excluded, self.language))

    def _appendix_blocks(self) -> list:
        blocks: list = []
        if self._appendix_tables:
            blocks.append(Heading(self._label("appendix_tables"), 2))
            blocks.extend(self._appendix_tables)
        blocks.extend(self._sections["appendix"])
        blocks.extend(self._provenance_blocks())
        return blocks

    def _provenance_blocks(self) -> list:
        p, lab, lang = self._provenance, self._label, self.language
        blocks: list = [Heading(lab("provenance"), 2)]
        k, m = self.thresholds
        blocks.append(Paragraph(self._disclosure_text()))
        no, yes = lab("yes_no").split("|")
        thresholds = pd.DataFrame({lab("col_rule"): [lab("rule_count"), lab("rule_denominator"), lab("rule_zero"),
                                                     lab("rule_protection")],
                                   lab("col_value"): [str(k), str(m), yes if self.disclosure.zero_is_small else no,
                                                      str(k)]})
        blocks.append(Table(thresholds, lab("thresholds")))
        if p.records:
            files = pd.DataFrame({
                lab("col_file"): [Path(r.source.path).name if r.source else r.table for r in p.records],
                lab("col_sha256"): [r.source.sha256 if r.source else "" for r in p.records],
                lab("col_rows_read"): [r.rows_read for r in p.records],
                lab("col_rows_kept"): [r.rows_kept for r in p.records],
                lab("col_rows_excluded"): [r.rows_excluded for r in p.records],
            })
            blocks.append(Table(files, lab("input_files")))
            rows = [(Path(r.source.path).name if r.source else r.table, i18n.reason(e.reason, self.language), e.count)
                    for r in p.records for e in r.exclusions]
            if rows:
                frame = pd.DataFrame(rows, columns=[lab("col_file"), lab("col_reason"), lab("col_count")])
                blocks.append(Table(frame, lab("exclusions")))
        if p.versions:
            frame = pd.DataFrame(sorted(p.versions.items()), columns=[lab("col_package"), lab("col_version")])
            blocks.append(Table(frame, lab("versions")))
        if p.seeds:
            frame = pd.DataFrame([(str(a), str(b)) for a, b in p.seeds.items()],
                                 columns=[lab("col_step"), lab("col_seed")])
            blocks.append(Table(frame, lab("seeds")))
        if p.config_text:
            blocks.append(Heading(lab("config"), 3))
            blocks.append(Code(p.config_text))
        return blocks

    # -- output ---------------------------------------------------------
    def _core_time(self) -> dt.datetime:
        if self.date is None:
            return FIXED_TIME
        return dt.datetime(self.date.year, self.date.month, self.date.day)

    def build(self, xlsx_name: str | None = None, tables_ready: Callable | None = None):
        """Lay out and render the Word document; return ``(document, xlsx_tables)`` without saving.

        ``tables_ready(xlsx_tables)`` is called as soon as the tables are formatted, before the figures are
        collected and the Word document laid out (the Excel appendix can be written meanwhile)."""
        from evalkit.report._docx import DocxRenderer, open_template

        blocks = self.blocks()
        if xlsx_name:
            note = Paragraph(self._label("xlsx_note", name=xlsx_name))
            at = next((i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.level == 1
                       and b.text == (self._titles.get("appendix") or self._label("appendix"))), None)
            if at is not None:
                blocks.insert(at + 1, note)
        if self._early is not None:
            self._early.flush()  # the last figures are drawn while the tables are formatted
        formatted = {id(b): format_table(b, self.language, self.disclosure) for b in blocks if isinstance(b, Table)}
        tables = [(n, b.caption, formatted[id(b)], b.source)
                  for n, b in enumerate((b for b in blocks if isinstance(b, Table)), start=1)]
        if tables_ready is not None:
            tables_ready(tables)
        figures = [b for b in blocks if isinstance(b, Figure)]
        shown = [f for f in figures if not self._withheld(f)]
        drawn = render_all([f.figure for f in shown], self.dpi, self.workers, self._early)
        pngs = dict(zip((id(f) for f in shown), drawn))
        document = open_template(self.template)
        renderer = DocxRenderer(document, self.language, formatted, pngs, self.figure_width_cm)
        self._toc = [(b.level, b.text) for b in blocks if isinstance(b, Heading) and b.level <= 2]
        renderer.prepare(title=self.title, subtitle=self.subtitle, author=", ".join(self.authors) or None,
                         lines=self.title_lines(), core_time=self._core_time(), toc=self._toc,
                         toc_pages=PLACEHOLDER if self.toc_page_numbers else None)
        renderer.render(blocks)
        return document, tables

    def _number_toc(self, document, docx_tmp: Path) -> None:
        """Lay the written document out, put each heading's page in the TOC and write it again."""
        if not fill_page_numbers(document, self._toc, heading_pages(docx_tmp)):
            warnings.warn("the headings LibreOffice laid out are not those of the table of contents, so it has "
                          "no page numbers ('000'); update fields in Word, or report the template you used",
                          EvalkitWarning, stacklevel=3)
        document.save(str(docx_tmp))
        _normalise_zip(docx_tmp, self._core_time())

    def _withheld(self, figure: Figure) -> bool:
        if is_withheld(figure.figure):
            return True
        if figure.data is None or figure.spec is None:
            return False
        return bool(disclosure_mask(figure.data, figure.spec, self.disclosure).to_numpy().any())

    def save(self, path, xlsx=None) -> Path:
        """Write the .docx (and the .xlsx appendix when ``xlsx`` is given) atomically.

        Each file is written to a temporary file in its folder and moved into
        place only when every output is complete, so a failure never leaves a
        half-written report. Zip entry times and document properties are fixed,
        so the same inputs give byte-identical files.
        """
        path = Path(path)
        xlsx_path = Path(xlsx) if xlsx is not None else None
        temps: list[Path] = []
        beside = None
        try:
            docx_tmp = _temp_beside(path)
            temps.append(docx_tmp)
            if xlsx_path is not None:
                xlsx_tmp = _temp_beside(xlsx_path)
                temps.append(xlsx_tmp)

            def write_xlsx(tables) -> None:
                from evalkit.report._xlsx import write_workbook  # openpyxl: only where the appendix is written

                write_workbook(xlsx_tmp, tables, self.language, self._core_time(), self.title)
                _normalise_zip(xlsx_tmp, self._core_time())

            def write_xlsx_beside(tables) -> None:
                nonlocal beside  # in a forked child while the figures are collected and the Word file laid out
                beside = Beside(lambda: write_xlsx(tables))
            early_xlsx = write_xlsx_beside if xlsx_path is not None and self.workers > 1 else None
            document, tables = self.build(xlsx_path.name if xlsx_path else None, early_xlsx)
            document.save(str(docx_tmp))
            _normalise_zip(docx_tmp, self._core_time())
            if self.toc_page_numbers:
                self._number_toc(document, docx_tmp)
            if xlsx_path is not None:
                if beside is None or not beside.join():
                    write_xlsx(tables)  # serial, or the child failed: written here, so its error is raised as before
                os.replace(xlsx_tmp, xlsx_path)
            os.replace(docx_tmp, path)
        except EvalkitError:
            raise
        except OSError as exc:
            raise ReportError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
        finally:
            if beside is not None:
                beside.join()  # never leave the child writing a file about to be removed
            for tmp in temps:
                if tmp.exists():
                    tmp.unlink()
        return path


def _title_of(result: Any, language: str) -> str | None:
    """The result's title in the report's language.

    ``result.title_for(language)`` when the result has it; else, for a dataclass result with a ``language``
    field (whose ``title`` is worded in the language it was run in), the title of a shallow copy in
    ``language``; else ``result.title``.
    """
    title_for = getattr(result, "title_for", None)
    if callable(title_for):
        return title_for(language)
    if dataclasses.is_dataclass(result) and any(f.name == "language" for f in dataclasses.fields(result)):
        twin = copy.copy(result)
        object.__setattr__(twin, "language", language)
        return getattr(twin, "title", None)
    return getattr(result, "title", None)


def _block_text(block) -> str:
    """The words of a block that may cite a work (paragraphs, bullets, table notes and sources)."""
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Bullets):
        return "\n".join(block.items)
    if isinstance(block, Table):
        return "\n".join(x for x in (block.note, block.source) if x)
    return ""


def _keywords(method) -> set:
    try:
        return set(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return set()


def _plot(result: Any, language: str, disclosure: Disclosure | None = None):
    """``result.plot(language=…, disclosure=…)`` with the keywords the result's plot takes.

    A plot that takes ``disclosure`` draws the cells those rules hide as ".."
    (the same cells its table hides); one that does not is drawn as it is.
    """
    plot = getattr(result, "plot", None)
    if not callable(plot):
        return None
    keywords = _keywords(plot)
    kwargs = {}
    if "language" in keywords:
        kwargs["language"] = language
    if "disclosure" in keywords and disclosure is not None:
        kwargs["disclosure"] = disclosure
    return plot(**kwargs)


def _call_disclosed(obj: Any, name: str, language: str, disclosure: Disclosure):
    """``obj.name(language[, disclosure=…])``: results whose text prints counts take the report's rules."""
    method = getattr(obj, name, None)
    if method is None:
        return None
    if "disclosure" in _keywords(method):
        return method(language, disclosure=disclosure)
    return method(language)


def _detach_from_pyplot(figure) -> None:
    """Stop pyplot holding the figure (it stays drawable): reports with many figures would leak memory."""
    import matplotlib.pyplot as plt

    if plt.fignum_exists(getattr(figure, "number", -1)):
        plt.close(figure)


def _call(obj: Any, name: str, *args):
    method = getattr(obj, name, None)
    if method is None:
        return None
    return method(*args)


def _temp_beside(path: Path) -> Path:
    if not path.parent.is_dir():
        raise ReportError(f"cannot write {path}: folder {path.parent} does not exist")
    return temp_beside(path)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_CREATED = re.compile(rb"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)")


def _normalise_zip(path: Path, when: dt.datetime) -> None:
    """Rewrite a zip package with fixed entry times and fixed created/modified properties."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
                data = _CREATED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            # PNGs are compressed already: deflating them again costs time and saves nothing
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
