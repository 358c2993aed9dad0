"""Loaders for needs-assessment decisions, order changes and visit logs.

Each returns the canonical table of :mod:`evalkit.schemas` with a
:class:`~evalkit.provenance.LoadRecord` in ``frame.attrs["evalkit_provenance"]``
(row accounting, input sha256, flags). The index is the row number in the file.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit.io._canonical import load_canonical
from evalkit.schemas import DECISIONS, ORDERS, VISITS

__all__ = ["load_decisions", "load_orders", "load_visits"]


def load_decisions(path: str | Path, mapping=None, *, sheet: str | None = None, engine: str = "auto",
                   **read_options) -> pd.DataFrame:
    """Load needs-assessment decisions (biståndsbeslut / vedtak) into the canonical table.

    Parameters
    ----------
    path : str or Path
        A .csv/.txt (any of , ; tab; UTF-8, UTF-8 BOM or cp1252), .xlsx or
        .parquet file, e.g. a Procapita/Lifecare/Treserva export.
    mapping : str, Path, dict or ColumnMapping, optional
        A TOML mapping file (``[columns]`` and ``[values.<column>]``) for
        headers or values the built-in Swedish/Norwegian aliases do not know.
    sheet : str, optional
        Excel sheet (default: the first).
    engine : {"auto", "pandas", "duckdb"}, default "auto"
        ``"duckdb"`` loads out of core (:func:`evalkit.io.register.load_decisions_large`:
        CSV, Parquet, directories of Parquet partitions beyond memory size);
        ``"auto"`` takes it for directories and files of at least
        ``evalkit.io.register.AUTO_THRESHOLD_BYTES`` (256 MiB) unless ``sheet``
        or sniffer overrides are given. Both give the same table.
    **read_options
        Overrides for the sniffer (``encoding``, ``delimiter``, ``header_row``).

    Returns
    -------
    pandas.DataFrame
        Columns of ``evalkit.schemas.DECISIONS`` (optional IBIC columns when
        present), indexed by file row number.

    Raises
    ------
    IdentifierError
        The file holds personal identity numbers anywhere.
    DataError
        Columns cannot be mapped, or cells cannot be read; every problem is
        listed with file, row and column.

    Notes
    -----
    Rows whose dates contradict each other (decided before applied, ending
    before starting) are kept and flagged in the provenance record, with a
    :class:`~evalkit.errors.DataWarning`; outcome measures that need both
    dates leave them out and count them.

    Examples
    --------
    >>> import evalkit as ek
    >>> d = ek.load_decisions("data_samples/exempelkommun/beslut_procapita.csv")  # doctest: +SKIP
    >>> ek.provenance.record_of(d).summary()  # doctest: +SKIP
    """
    from evalkit.io.register import choose_engine, load_decisions_large

    chosen = choose_engine(path, engine) if not (engine == "auto" and (sheet or read_options)) else "pandas"
    if chosen == "duckdb":
        return load_decisions_large(path, mapping)
    return load_canonical(path, DECISIONS, mapping=mapping, sheet=sheet, **read_options)


def load_orders(path: str | Path, mapping=None, *, sheet: str | None = None, **read_options) -> pd.DataFrame:
    """Load order changes (ändrade beställningar) into the canonical ``orders`` table.

    Same behaviour as :func:`load_decisions`; columns of ``evalkit.schemas.ORDERS``.
    """
    return load_canonical(path, ORDERS, mapping=mapping, sheet=sheet, **read_options)


def load_visits(path: str | Path, mapping=None, *, sheet: str | None = None, **read_options) -> pd.DataFrame:
    """Load a home-care visit log (Phoniro, Mobipen …) into the canonical ``visits`` table.

    Same behaviour as :func:`load_decisions`; columns of ``evalkit.schemas.VISITS``.
    Used for staff continuity (:func:`evalkit.outcomes.staff_continuity`).
    """
    return load_canonical(path, VISITS, mapping=mapping, sheet=sheet, **read_options)
