"""The audit as one step of an evaluation: filled forms + sample manifest → :class:`AuditResult`.

What ``evalkit report`` calls for an analysis of ``kind = "audit"``::

    [data.audit]
    forms = ["granskning_R1.xlsx", "granskning_R2.xlsx"]   # filled forms, one per reviewer/round
    manifest = "audit_urval.json"                           # the sample manifest the forms were made from

    [[analyses]]
    id = "audit"
    kind = "audit"
    compare = "period"              # a column of the sample with two groups (a stratum column, or a
    order = ["before", "after"]     #   column of the decisions when they are passed); order = first, second
    checklist = "ibic"              # optional: built-in name or TOML path (default: the forms' own)
    primary = "R1"                  # optional: whose answers count for double-reviewed cases
    min_n = 30                      # optional: per-unit shares on fewer answers are suppressed
    n_boot = 1000                   # optional: bootstrap draws for the agreement intervals
    seed = 0                        # optional: seed of that bootstrap
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from evalkit.audit.forms import load_audit
from evalkit.audit.sampling import AuditSample, from_manifest, redraw
from evalkit.audit.scoring import AuditResult, score
from evalkit.errors import ConfigError
from evalkit.provenance import record_of

__all__ = ["audit_analysis", "CONFIG_KEYS"]

#: Options :func:`audit_analysis` accepts from an ``[[analyses]]`` table of kind "audit", with defaults.
CONFIG_KEYS = {"compare": "period", "order": None, "checklist": None, "primary": None, "unit": "unit",
               "min_n": 30, "level": 0.95, "n_boot": 1000, "seed": 0}


def audit_analysis(
    forms: "Iterable[str | Path | pd.DataFrame] | str | Path | pd.DataFrame",
    manifest: "AuditSample | Mapping | str | Path",
    options: Mapping[str, Any] | None = None,
    *,
    decisions: pd.DataFrame | None = None,
    language: str = "sv",
) -> AuditResult:
    """Score the filled audit forms of one sample: the pipeline's entry point.

    Parameters
    ----------
    forms : path, DataFrame, or a list of them
        Filled forms (.xlsx, read with :func:`evalkit.load_audit` against the
        sample) or answers already read; several forms are concatenated (two
        reviewers, extension rounds).
    manifest : AuditSample, dict or path
        The sample manifest the forms were made from (``audit_urval.json``).
    options : mapping, optional
        Keys of :data:`CONFIG_KEYS` (``compare``, ``order``, ``checklist``,
        ``primary``, ``unit``, ``min_n``, ``level``, ``n_boot``, ``seed``);
        unknown keys raise :class:`~evalkit.errors.ConfigError`.
    decisions : DataFrame, optional
        The frame the sample was drawn from. Given, the sample is redrawn from
        it (which checks that it is the same frame) and every decision column
        (unit, service) can be compared; omitted, the manifest alone is used
        and ``compare`` must be a strata column.
    language : {"sv", "nb", "en"}
        Language of the result's title and figure.

    Returns
    -------
    AuditResult

    Examples
    --------
    >>> r = audit_analysis(["granskning_R1.xlsx", "granskning_R2.xlsx"], "audit_urval.json",
    ...                    {"compare": "period", "order": ["before", "after"]})  # doctest: +SKIP
    """
    opts = dict(CONFIG_KEYS)
    unknown = sorted(set(options or {}) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"audit analysis: unknown option(s) {unknown}; known: {sorted(CONFIG_KEYS)}")
    opts.update(options or {})
    sample = _sample(manifest, decisions)
    answers, records = _answers(forms, sample, opts["checklist"])
    order = tuple(opts["order"]) if opts["order"] is not None else None
    result = score(answers, sample, compare=opts["compare"], order=order, unit=opts["unit"],
                   min_n=opts["min_n"], level=opts["level"], primary=opts["primary"],
                   checklist=opts["checklist"], n_boot=opts["n_boot"], seed=opts["seed"])
    result.language = language
    result.records = records
    return result


def _sample(manifest, decisions) -> AuditSample:
    if isinstance(manifest, AuditSample) and decisions is None:
        return manifest
    if decisions is not None:
        return redraw(decisions, manifest)
    return from_manifest(manifest)


def _answers(forms, sample: AuditSample, checklist) -> tuple[pd.DataFrame, tuple]:
    """The forms' answers, one table, and the LoadRecord of each form read."""
    if isinstance(forms, (str, Path, pd.DataFrame)):
        forms = [forms]
    frames = [f if isinstance(f, pd.DataFrame) else load_audit(f, sample, checklist=checklist) for f in forms]
    if not frames:
        raise ConfigError("audit analysis: no forms given ([data.audit] forms = [...])")
    answers = pd.concat(frames, ignore_index=True)
    answers.attrs = dict(frames[0].attrs)  # the form's checklist name lets score() order the items
    return answers, tuple(r for r in (record_of(f) for f in frames) if r is not None)
