"""The building blocks of a report: plain data, no rendering.

They live in the shared base (beside ``errors`` and ``privacy``) because result
objects in :mod:`evalkit.analysis` describe their tables with them; the
renderers in :mod:`evalkit.report` consume them.

A report is a list of sections, each a list of blocks. Renderers (Word, Excel)
turn blocks into output; sections never format numbers themselves — a
:class:`Table` carries raw values and a :class:`TableSpec` saying which
columns are counts and percentages, and the renderer applies disclosure
control and the language's number format in one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

__all__ = ["TableSpec", "Heading", "Paragraph", "Bullets", "Table", "Figure", "PageBreak", "Code", "Block"]


@dataclass(frozen=True)
class TableSpec:
    """What the columns of a table are, for disclosure control and formatting.

    Parameters
    ----------
    counts : tuple of str
        Columns holding counts of people or cases; a count below the count
        threshold is shown as ``..``.
    percents : mapping of str to (str or int)
        Percentage column → its denominator: a count column's name or a fixed
        number. A percentage whose denominator is below the percentage
        threshold is shown as ``..``.
    numerators : mapping of str to str
        Percentage column → the count column it was computed from; when that
        count is hidden the percentage is hidden too (else count = share × n).
    guards : mapping of str to str
        Any other column (a mean, a median) → the count column of the group it
        describes; hidden when that count is below the count threshold.
    total_row : bool
        The last row is the sum of the rows above it (enables secondary suppression down columns).
    total_column : str, optional
        The count column that is the sum of the other count columns of its row
        (enables secondary suppression along rows).
    summed : tuple of str
        The count columns that ``total_column`` adds up, when not all of the
        others do (e.g. "applicable" = yes + partly + no, beside "not applicable").
    derived : mapping of str to tuple of str
        Column → the columns it is computed from (a difference, a p-value, an
        interval): hidden in every row where any of them is hidden.
    totals_by : mapping of str to str
        Count column → key column: the counts of the rows sharing a key add up
        to a total published elsewhere (a long theme × group table whose theme
        totals the text prints); secondary suppression protects against it.
    shares : bool
        Percentage columns hold shares 0–1 (True, default) or percentages 0–100.
    decimals : mapping of str to int
        Decimals per column (default: 0 for counts, ``percent_decimals`` for
        percentages, 2 for other non-integer numbers).
    row_decimals : tuple of int
        Decimals per row for the columns named in ``decimals`` (they override ``decimals`` row by row), for
        a table whose rows measure different things — an ITS level change in days beside a slope change in
        days per month — so that each row shows two significant digits of its own interval.
    percent_decimals : int
        Decimals of percentages (default 0: "85 %").
    pvalues : tuple of str
        Columns holding p-values, written "<0,001" or "0,034" (a column named
        ``p_value`` is treated so without being listed).
    index : bool
        Show the frame's index as the first column.
    """

    counts: tuple[str, ...] = ()
    percents: Mapping[str, str | int] = field(default_factory=dict)
    numerators: Mapping[str, str] = field(default_factory=dict)
    guards: Mapping[str, str] = field(default_factory=dict)
    total_row: bool = False
    total_column: str | None = None
    summed: tuple[str, ...] = ()
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    totals_by: Mapping[str, str] = field(default_factory=dict)
    shares: bool = True
    decimals: Mapping[str, int] = field(default_factory=dict)
    row_decimals: tuple[int, ...] = ()
    percent_decimals: int = 0
    pvalues: tuple[str, ...] = ()
    index: bool = False

    def columns_named(self) -> set[str]:
        """Every column the spec mentions (to check them against a frame)."""
        named = set(self.counts) | set(self.percents) | set(self.numerators) | set(self.guards)
        named |= {v for v in self.percents.values() if isinstance(v, str)}
        named |= set(self.numerators.values()) | set(self.guards.values())
        if self.total_column:
            named.add(self.total_column)
        named |= set(self.summed) | set(self.derived) | set(self.totals_by) | set(self.totals_by.values())
        named |= {c for sources in self.derived.values() for c in sources}
        return named


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str | None = None


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Code:
    """Pre-formatted text (a config file) in a monospace style."""

    text: str


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(eq=False)
class Table:
    """A table: raw values, a caption (above it) and a source line (below it)."""

    frame: pd.DataFrame
    caption: str
    spec: TableSpec = field(default_factory=TableSpec)
    source: str | None = None
    note: str | None = None


@dataclass(eq=False)
class Figure:
    """A matplotlib figure with its caption (below it) and source line.

    ``data``/``spec`` describe the numbers the figure shows; when disclosure
    control would hide any of them the figure is withheld and a sentence says so.
    """

    figure: Any
    caption: str
    source: str | None = None
    width_cm: float | None = None
    data: pd.DataFrame | None = None
    spec: TableSpec | None = None


Block = Heading | Paragraph | Bullets | Code | PageBreak | Table | Figure
