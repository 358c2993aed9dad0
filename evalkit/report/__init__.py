"""Word reports (and their Excel appendix) with disclosure control built in.

>>> import evalkit.report as rp
>>> report = rp.Report("Införandet av IBIC", language="sv")   # doctest: +SKIP
>>> report.add(its_result)                                    # doctest: +SKIP
>>> report.save("reports/ibic.docx", xlsx="reports/ibic.xlsx")  # doctest: +SKIP

The document follows the structure FoU units publish: title page (title,
subtitle, report number, commissioner, authors, version, date) → table of
contents (a TOC field written with its entries filled in and linked to the
headings; Word adds page numbers when it updates the field on open) → Förord →
Sammanfattning (the sentences of every result) → Bakgrund → Syfte och
frågeställningar → Metod och material (data sources with row counts and
exclusions, statistical methods with the works they follow cited, disclosure
control, ethics) → Resultat (one subsection per result: text, table, figure) →
Genomförandet → Diskussion → Begränsningar → Slutsatser (a placeholder for the
evaluator unless given) → Referenser (exactly the works the text cites,
:mod:`evalkit.report._references`) → Bilagor (further tables, outcome
definitions, audit checklist, provenance). A section without content is left
out. Labels are Swedish by default; ``language="nb"`` or ``"en"`` switches every
label and number format (:mod:`evalkit.i18n`).

Result protocol
---------------
:meth:`Report.add` renders any object that has some of these (duck-typed;
everything but ``title`` is optional):

``title`` : str
    Heading of the result's subsection (``add(..., title=)`` overrides it).
``sentences(language) -> list[str]``
    Key results in plain sentences *with numbers*, written with
    :mod:`evalkit.i18n` formatters; shown in the subsection and in the summary.
``report_tables(language) -> list``
    Tables, each a :class:`Table` block or a ``(caption, DataFrame[, TableSpec])``
    tuple holding **raw numbers** (never pre-formatted text): the renderer
    applies disclosure control and number formats. The first table goes into
    the results section, the others into the appendix. Without it,
    ``to_frame()`` is used as the one table.
``to_frame() -> DataFrame``
    The fixed-column view of the result (fallback table).
``plot(language=…) -> matplotlib.figure.Figure``
    The result's figure, placed after its table; called with ``language=`` when
    the method takes that keyword (so labels follow the report's language),
    otherwise without arguments.
``methods(language) -> list[str]``
    Sentences for "Metod och material": the method in words with its
    assumptions (duplicates across results are shown once).
``appendix_blocks(language) -> list``
    Blocks for the appendix (e.g. an audit checklist).

Disclosure control
------------------
One :class:`evalkit.privacy.Disclosure` (``Report.disclosure``: the thresholds
and ``zero_is_small``) governs every number the report prints. Every table
passes through :func:`disclosure_mask` at render time, in the .docx and the
.xlsx alike: counts 1 to ``thresholds[0] − 1`` and percentages on denominators
below ``thresholds[1]`` become "..", with secondary suppression against totals
chosen by optimisation (:func:`evalkit.privacy.protect`, audited by
:func:`evalkit.privacy.audit_intervals`). A :class:`TableSpec` says which
columns are counts, percentages (with their denominators), guarded and derived
statistics and totals. A result's ``sentences``, ``report_tables`` and ``plot``
that take a ``disclosure`` keyword get the report's rules, so the text and the
figures hide what the tables hide; a figure marked with
:func:`evalkit.privacy._disclosure.mark_withheld` is replaced by a sentence.
Text written to the .xlsx is always a text cell, never a formula.
"""
from __future__ import annotations

from evalkit.report._blocks import Bullets, Code, Figure, Heading, PageBreak, Paragraph, Table, TableSpec
from evalkit.report._disclosure import DEFAULT_THRESHOLDS, disclosure_mask
from evalkit.report._docx import REQUIRED_STYLES, TABLE_STYLES
from evalkit.report._figures import figure_png
from evalkit.report._report import SECTION_ORDER, TEMPLATE, Report

__all__ = [
    "Report",
    "TableSpec",
    "Heading",
    "Paragraph",
    "Bullets",
    "Code",
    "PageBreak",
    "Table",
    "Figure",
    "DEFAULT_THRESHOLDS",
    "disclosure_mask",
    "figure_png",
    "REQUIRED_STYLES",
    "TABLE_STYLES",
    "SECTION_ORDER",
    "TEMPLATE",
]
