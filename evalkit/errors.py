"""Exceptions and warnings raised by evalkit.

Every error a user can trigger is an :class:`EvalkitError`. Errors about input
data carry a list of :class:`Problem` records so that *all* problems of a file
are reported together, each with the place a user can find it (file, sheet,
row number as shown in the file, column).

Exceptions from dependencies (pandas, openpyxl, pyreadstat, statsmodels …) are
translated at the boundary; a user never sees their tracebacks.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "EvalkitError",
    "DataError",
    "IdentifierError",
    "ConfigError",
    "AnalysisError",
    "ReportError",
    "EvalkitWarning",
    "DataWarning",
    "AnalysisWarning",
    "Problem",
]

#: How many problems a DataError message lists before it summarises the rest.
MAX_LISTED_PROBLEMS = 50


def _redact(text: str) -> str:
    """Mask any valid identity number in a message: the last line of defence, whatever the caller quoted."""
    try:
        from evalkit.privacy._gate import redact
    except ImportError:  # privacy is still importing (an error raised while it loads)
        return text
    return redact(text)


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    ``row`` is the row number a user sees in the file: for CSV the 1-based line
    number, for Excel the sheet's row number. ``None`` where a problem concerns
    the whole file or a whole column.
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(Path(self.file).name)
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        return _redact(f"{loc}: {self.message}" if loc else self.message)


class EvalkitError(Exception):
    """Base class of every error evalkit raises on purpose.

    A message never shows a personal identity number: any valid one in it
    has its digits masked (``•``), wherever the text came from.
    """

    def __init__(self, *args):
        super().__init__(*(_redact(a) if isinstance(a, str) else a for a in args))


class DataError(EvalkitError, ValueError):
    """Input data cannot be used as it is.

    Parameters
    ----------
    message : str
        A one-line summary.
    problems : list of Problem, optional
        Every problem found (the message lists the first
        ``MAX_LISTED_PROBLEMS`` and counts the rest).
    """

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.summary = message
        self.problems: list[Problem] = list(problems or [])
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.problems:
            return self.summary
        lines = [self.summary]
        for p in self.problems[:MAX_LISTED_PROBLEMS]:
            lines.append(f"  - {p}")
        rest = len(self.problems) - MAX_LISTED_PROBLEMS
        if rest > 0:
            lines.append(f"  … and {rest} more problem(s) of the same kinds")
        return "\n".join(lines)


class IdentifierError(DataError):
    """A file holds personal identity numbers and is refused.

    The message names the file, columns, row numbers and the kind of number;
    it never contains the number itself.
    """


class ConfigError(EvalkitError, ValueError):
    """An evaluation config (TOML) or mapping file is wrong; the message names the key path.

    Parameters
    ----------
    message : str
        A one-line summary (the whole message when there is one problem).
    problems : list of str, optional
        Every problem found, each naming its key path and, where one is close, the valid key or value
        (``analyses[0].outcom: unknown key (did you mean 'outcome'?)``); the message lists them all.
    """

    def __init__(self, message: str = "", problems: list[str] | None = None):
        self.summary = message
        self.problems: list[str] = list(problems or [])
        super().__init__(message + "".join(f"\n  - {p}" for p in self.problems[:MAX_LISTED_PROBLEMS]))


class AnalysisError(EvalkitError, ValueError):
    """An analysis cannot be run on the data given; the message says what to change."""


class ReportError(EvalkitError):
    """A report cannot be built or written."""


class EvalkitWarning(UserWarning):
    """Base class of evalkit warnings; the text always says what to do instead (and never shows an
    identity number: see :class:`EvalkitError`)."""

    def __init__(self, *args):
        super().__init__(*(_redact(a) if isinstance(a, str) else a for a in args))


class DataWarning(EvalkitWarning):
    """Something in the input data is suspicious but usable (e.g. flagged dates)."""


class AnalysisWarning(EvalkitWarning):
    """A statistical caveat: few clusters, autocorrelation, overdispersion, failed pre-trends."""
