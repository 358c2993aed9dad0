"""The municipality-total rows of a panel are never a unit of analysis.

:func:`evalkit.monthly_panel` appends rows with ``unit == "Total"`` (:data:`evalkit.schemas.PANEL_TOTAL`)
that aggregate every district. Left in a unit-level analysis they enter as one more district that contains
all the others: in a difference-in-differences with six districts the Total became a seventh comparison
unit and moved an exact randomization p-value from 0.067 to 0.048. Every unit-level analysis therefore
drops them here, once, with a warning that says so.
"""
from __future__ import annotations

import warnings

import pandas as pd

from evalkit.errors import AnalysisError, AnalysisWarning
from evalkit.schemas import PANEL_TOTAL

__all__ = ["drop_total_rows", "refuse_total_as_named_unit"]


def drop_total_rows(data: pd.DataFrame, unit: str, analysis: str) -> pd.DataFrame:
    """``data`` without the rows whose ``unit`` is the municipality total, warning when there were any."""
    if unit not in data.columns:
        return data
    is_total = data[unit].astype("string").str.strip().eq(PANEL_TOTAL).fillna(False).to_numpy(dtype=bool)
    if not is_total.any():
        return data
    warnings.warn(
        f"{analysis}: dropped {int(is_total.sum())} row(s) with {unit} = '{PANEL_TOTAL}' — the municipality total "
        "aggregates all units, so it cannot be one of them. Analyse the total on its own (e.g. ek.its on "
        f"panel[panel.{unit} == '{PANEL_TOTAL}']) if that is what you want.", AnalysisWarning, stacklevel=3)
    return data.loc[~is_total]


def refuse_total_as_named_unit(units, role: str) -> None:
    """A treated or comparison list that names the total is a mistake in the call, not something to drop."""
    if units is None or isinstance(units, str):
        return
    if any(str(u).strip() == PANEL_TOTAL for u in units):
        raise AnalysisError(
            f"'{PANEL_TOTAL}' is named among the {role} units, but it is the municipality total of all units "
            "(the treated ones included); name districts only.")
