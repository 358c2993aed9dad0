"""Disclosure control of report tables: a :class:`TableSpec` applied through :mod:`evalkit.privacy`.

Applied by the renderers, once, to every table and figure of every output, so
no section can forget it. The rules themselves live in
:class:`evalkit.privacy.Disclosure` and :func:`evalkit.privacy.suppress_counts`
(DESIGN.md "Disclosure control"; domain brief §2.4; defaults 5 and 30,
configurable); this module maps a table's spec onto them:

1. Counts ``0 < n < k`` are hidden (zero too when the rules say so), with
   secondary suppression chosen by optimisation against a total column
   (the sum of ``spec.summed``) and/or a total (last) row.
2. A percentage whose denominator (a column, or a fixed number) is below ``m``
   is hidden; so is a percentage whose count is hidden (its numerator column,
   or for a share without one ``round(share × denominator)`` when that is
   small), because share × denominator gives the count back, and (for a
   share without its count column, on a count of people) one whose rest
   ``denominator − count`` is small: another table may show or hide those
   counts. Percentages on the same denominator column as a hidden one (its
   interval bounds) go with it.
3. Guards: any other statistic of a group (mean, median) is hidden when the
   group's count is below ``k``; derived columns (differences, p-values) are
   hidden wherever a column they are computed from is hidden.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError, ReportError
from evalkit.privacy._disclosure import Disclosure, suppress_counts
from evalkit.report._blocks import TableSpec

__all__ = ["disclosure_mask", "DEFAULT_THRESHOLDS", "rules_of"]

#: (smallest count shown, smallest denominator of a percentage shown).
DEFAULT_THRESHOLDS = (5, 30)


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def rules_of(thresholds) -> Disclosure:
    """A :class:`Disclosure` from a ``Disclosure`` or a ``(k, m)`` pair (ReportError when invalid)."""
    if isinstance(thresholds, Disclosure):
        return thresholds
    k, m = _check_thresholds(thresholds)
    return Disclosure(k, m)


#: Masks already worked out, by (the table's content, spec, rules): the findings ask for the mask of a table for
#: each of its rows, and the renderers again for the whole table (82 requests for 50 tables in the sample IBIC
#: report; each solves an integer programme for the secondary suppression). Bounded, oldest dropped first.
_MASKS: dict[tuple, pd.DataFrame] = {}
_MASKS_KEPT = 256


def _content_key(frame: pd.DataFrame) -> tuple | None:
    """A key equal for two frames with the same cells, columns and dtypes (None: cells not hashable).

    Not the index: the mask is worked out on positions (a report table's index may be anything)."""
    try:
        cells = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    except TypeError:  # a cell holding a list or dict: not worth a key
        return None
    return cells, tuple(map(str, frame.columns)), tuple(map(str, frame.dtypes)), len(frame)


def disclosure_mask(frame: pd.DataFrame, spec: TableSpec, thresholds=DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Every cell of ``frame`` to hide under ``spec`` and the rules (a ``Disclosure`` or ``(k, m)``).

    Returns a boolean DataFrame with the frame's index and columns (True = show "..").
    The mask depends on nothing but the cells, the spec and the rules, so it is worked out once for each and
    handed out as a copy after that.

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["A", "B", "Alla"], "n": [12, 2, 14], "share": [0.5, 0.5, 0.5]})
    >>> spec = TableSpec(counts=("n",), total_row=True, percents={"share": "n"})
    >>> disclosure_mask(t, spec, (5, 30)).astype(int).to_numpy().tolist()
    [[0, 1, 1], [0, 1, 1], [0, 0, 1]]
    """
    rules = rules_of(thresholds)
    content = _content_key(frame)
    key = None if content is None else (content, repr(spec), repr(rules))
    if key in _MASKS:
        return _MASKS[key].set_axis(frame.index, axis=0).copy()
    mask = _mask(frame, spec, rules)
    if key is not None:
        if len(_MASKS) >= _MASKS_KEPT:
            del _MASKS[next(iter(_MASKS))]
        _MASKS[key] = mask.copy()
    return mask


def _mask(frame: pd.DataFrame, spec: TableSpec, rules: Disclosure) -> pd.DataFrame:
    k, m = rules.count_below, rules.denominator_below
    _require_columns(frame, sorted(spec.columns_named(), key=str))
    # positions, not labels: a report table's index may repeat or be anything
    table = frame.reset_index(drop=True)
    counts = list(spec.counts)
    if spec.total_column and spec.total_column not in counts:
        counts.append(spec.total_column)
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    if counts:
        total_row = table.index[-1] if spec.total_row and len(table) > 1 else None
        summed = list(spec.summed) or None
        try:
            mask |= suppress_counts(table, counts, k, total_col=spec.total_column, total_row=total_row,
                                    summed=summed, zero_is_small=rules.zero_is_small,
                                    totals_by=dict(spec.totals_by)).mask
        except EvalkitError as exc:
            raise ReportError(f"table spec: {exc}") from None
    _percentages(table, spec, rules, mask, m)
    for column, n_column in spec.guards.items():
        mask[column] |= np.nan_to_num(_numeric(table, n_column), nan=0.0) < k
    for column, sources in spec.derived.items():
        for source in sources:
            mask[column] |= mask[source]
    mask.index = frame.index
    return mask


def _percentages(table: pd.DataFrame, spec: TableSpec, rules: Disclosure, mask: pd.DataFrame, m: int) -> None:
    scale = 1.0 if spec.shares else 100.0
    tied: dict[str, list[str]] = {}
    for column, denominator in spec.percents.items():
        if isinstance(denominator, str):
            base = _numeric(table, denominator)
            mask[column] |= ~(base >= m)
            tied.setdefault(denominator, []).append(column)
            if column in spec.numerators or column in spec.derived:
                continue
            if any(c in spec.numerators for c in spec.percents if spec.percents[c] == denominator):
                continue  # an interval bound beside a share with its own count: it goes with that share
            if denominator not in spec.counts:
                continue  # a share of judgements or units (agreement), not of people: the base rule only
            # the share and its base give back the count and the rest of the base, which other tables may
            # show or hide (a count table beside a share table): both must not be small
            implied = np.round(_numeric(table, column) / scale * base)
            mask[column] |= rules.small(implied) | rules.small(base - implied)
        else:
            mask[column] |= float(denominator) < m
    for column, numerator in spec.numerators.items():
        mask[column] |= mask[numerator]
        denominator = spec.percents.get(column)
        if isinstance(denominator, str) and denominator in spec.counts:
            mask[column] |= mask[denominator]  # with the share and its count shown, the base is count / share
    for columns in tied.values():
        if len(columns) > 1 and any(c in spec.numerators for c in columns):
            with_count = [c for c in columns if c in spec.numerators]
            hidden = np.logical_or.reduce([mask[c].to_numpy() for c in with_count])
            for column in columns:
                if column not in spec.numerators:
                    mask[column] |= hidden


def _check_thresholds(thresholds) -> tuple[int, int]:
    try:
        k, m = (int(t) for t in thresholds)
    except (TypeError, ValueError):
        raise ReportError(f"thresholds must be two whole numbers (count, denominator), got {thresholds!r}") from None
    if k < 1 or m < 1:
        raise ReportError(f"thresholds must be at least 1, got {thresholds!r}: disclosure control cannot be "
                          "switched off in a report")
    return k, m


def _require_columns(frame: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"table spec names column(s) {missing} that the table does not have; "
                          f"its columns are {list(map(str, frame.columns))}")
