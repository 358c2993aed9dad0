"""The registry of analysis kinds: one entry per ``kind = "…"`` of a config's ``[[analyses]]``.

Each kind says, in one place,

* how its config entry is read (``panel=True``: the typed keys of a panel analysis — outcome, family,
  window …; otherwise every key but ``id``/``kind``/``title`` is passed to the runner as ``options``, and
  the runner checks their names);
* what it reads (:class:`Need`), which ``evalkit check`` consults before running anything and the report
  uses to name the source files of its tables;
* how it runs on a :class:`evalkit.pipeline.Run`.

Rendering needs no entry: every result object carries its own ``sentences``/``methods``/``report_tables``/
``plot`` that :class:`evalkit.report.Report` calls. A new kind is one :func:`register` call; the config
parser, the pipeline and ``evalkit check`` find it here instead of in ``if kind == …`` chains.

This module sits on top with config, pipeline and cli: it imports analysis modules lazily, inside the runners.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from evalkit import i18n
from evalkit.config import PANEL_KEYS, Key
from evalkit import findings as _findings
from evalkit.errors import AnalysisError
from evalkit.schemas import ORDERS

if TYPE_CHECKING:
    from evalkit.config import AnalysisSpec
    from evalkit.privacy import Disclosure
    from evalkit.pipeline import Run

__all__ = ["AnalysisKind", "Need", "KINDS", "register", "kind_of", "panel_needs", "disclosure_of"]


@dataclass(frozen=True)
class Need:
    """What one analysis reads: a ``[data.<source>]`` and, of its canonical table, columns with values."""

    source: str
    columns: tuple[str, ...] = ()
    #: what in the analysis needs it, for the message ("outcome 'hours_per_user'")
    why: str = ""


@dataclass(frozen=True)
class AnalysisKind:
    """One kind of configured analysis.

    Attributes
    ----------
    name : str
        The config's ``kind`` value.
    run : callable ``(spec, run) -> result``
        Runs the analysis; raises :class:`~evalkit.errors.AnalysisError` naming ``analyses '<id>'``.
    needs : callable ``(spec) -> list[Need]``
        What it reads (for ``evalkit check``).
    sources : tuple of str, optional
        The ``[data.*]`` sources whose files its tables and figures cite; by default those its ``needs`` name
        for the configured entry (so a DiD on staff continuity cites the visit log, not the decisions).
    panel : bool
        The entry has the typed keys of a panel analysis (``outcome``, ``family``, ``start`` …).
    options : tuple of :class:`~evalkit.config.Key`
        Every key the entry may have besides ``id``/``kind``/``title``: the config parser refuses others
        (with the closest one), the runner reads them, docs/config.md lists them.
    doc : str
        One line for docs/config.md.
    """

    name: str
    run: Callable[["AnalysisSpec", "Run"], Any]
    needs: Callable[["AnalysisSpec"], list[Need]]
    sources: tuple[str, ...] = ()
    panel: bool = False
    #: the report chapter its results go to: "results" (outcomes) or "implementation" (how the change was made)
    section: str = "results"
    options: tuple[Key, ...] = ()
    doc: str = ""
    #: ``(analysis_id, result, language, disclosure) -> list[evalkit.findings.Finding]``: the structured findings
    #: a research question's answer is written from (None: the kind gives none; it is shown under the question)
    findings: Callable[..., list] | None = None
    #: ``(spec) -> set of analysis ids``: the earlier results the entry reads (a joint display's, the effects a
    #: documents analysis compares with); None: it may read any earlier result. The two-process run
    #: (:mod:`evalkit._parallel`) lets an entry start as soon as exactly these are there.
    results_read: Callable[["AnalysisSpec"], set[str]] | None = None

    def cited(self, spec: "AnalysisSpec") -> tuple[str, ...]:
        """The ``[data.*]`` sources the entry ``spec`` reads, for its tables' source lines."""
        return self.sources or tuple(dict.fromkeys(n.source for n in self.needs(spec)))

    def option(self, name: str) -> Key:
        return next(k for k in self.options if k.name == name)


KINDS: dict[str, AnalysisKind] = {}


def register(kind: AnalysisKind) -> AnalysisKind:
    """Add (or replace) a kind; returns it so a module can keep a reference."""
    KINDS[kind.name] = kind
    return kind


def disclosure_of(evaluation) -> "Disclosure":
    """The config's disclosure rules, for text an analysis builds before the report exists."""
    from evalkit.privacy import Disclosure

    r = evaluation.report
    return Disclosure(r.suppress_counts_below, r.suppress_percent_denominator_below, r.suppress_zero_counts)


def kind_of(spec: "AnalysisSpec") -> AnalysisKind:
    try:
        return KINDS[spec.kind]
    except KeyError:
        raise AnalysisError(f"analyses '{spec.id}': unknown kind {spec.kind!r}; known: {', '.join(KINDS)}") from None


# -- what the panel outcomes read ---------------------------------------------------------------

#: Panel outcomes (evalkit.outcomes.PANEL_COLUMNS) that read more than the decisions' required columns, and
#: what they read. Every other panel column is computed from the required columns alone.
PANEL_INPUTS: dict[tuple[str, ...], Need] = {
    ("granted_hours", "hours_per_user", "hours_per_user_n"): Need("decisions", ("hours_per_month",)),
    ("processing_days_median", "processing_days_p90", "processing_n", "processing_excluded"):
        Need("decisions", ("applied_on", "decided_on")),
    ("start_days_median", "start_n", "start_excluded"): Need("decisions", ("start_on", "decided_on")),
    ("followed_up_share", "followed_up_n", "followed_up_due"): Need("decisions", ("follow_up_on", "followed_up_on")),
    ("goal_recorded_share", "goal_recorded", "goal_recorded_n"): Need("decisions", ("goal_recorded",)),
    ("own_view_recorded_share", "own_view_recorded", "own_view_recorded_n"):
        Need("decisions", ("own_view_recorded",)),
    ("order_changes", "order_changes_per_100", *(f"order_changes_{t}" for t in ORDERS.column("change_type").allowed)):
        Need("orders"),
}
#: Staff outcomes (evalkit.staff.STAFF_PANEL_COLUMNS, joined onto the panel from a [data.staff] HR export) and
#: the columns of the staff table they read beyond its required ones (employee, unit, month, scheduled hours).
STAFF_INPUTS: dict[tuple[str, ...], Need] = {
    ("employees", "fte", "scheduled_hours"): Need("staff"),
    ("sick_hours", "sick_leave"): Need("staff", ("sick_hours",)),
    ("sick_hours_short", "sick_leave_short"): Need("staff", ("sick_hours_short",)),
    ("sick_hours_long", "sick_leave_long"): Need("staff", ("sick_hours_long",)),
    ("employees_permanent", "leavers_permanent", "turnover_permanent"):
        Need("staff", ("employment", "employment_end")),
    ("worked_hours", "hourly_hours", "hourly_share"): Need("staff", ("worked_hours",)),
    ("overtime_hours", "overtime_per_fte"): Need("staff", ("overtime_hours",)),
    ("extra_hours", "extra_per_fte"): Need("staff", ("extra_hours",)),
    ("overtime_extra_per_fte",): Need("staff", ("overtime_hours", "extra_hours")),
}
STAFF_OUTCOMES = frozenset(c for outcomes in STAFF_INPUTS for c in outcomes)
#: Panel columns computed from the decisions' required columns alone.
PANEL_BASE = ("active_users", "new_decisions", "denial_share", "denials", "decisions")


#: Outcomes measured from the visit log in the analysis's ``windows`` (Kolada's staff-continuity rule) rather
#: than per month from the decisions; their panel is one row per unit and window.
CONTINUITY_OUTCOMES = ("continuity_mean", "continuity_median", "continuity_users")
#: the date column that gives the period a loaded table covers (the report's method text and limitations)
PERIOD_COLUMNS = {"decisions": "decided_on", "orders": "changed_on", "visits": "visit_start", "staff": "month"}


def outcome_columns() -> tuple[str, ...]:
    """Every column an its/did ``outcome`` or ``exposure`` may name: the decisions panel, the staff panel and
    the staff-continuity outcomes (the config parser and docs/config.md use this)."""
    from evalkit.outcomes import PANEL_COLUMNS
    from evalkit.staff import STAFF_PANEL_COLUMNS

    return tuple(dict.fromkeys((*PANEL_COLUMNS, *STAFF_PANEL_COLUMNS, *CONTINUITY_OUTCOMES)))


def panel_needs(spec: "AnalysisSpec") -> list[Need]:
    if spec.outcome in CONTINUITY_OUTCOMES:
        return [Need("visits", why=f"outcome '{spec.outcome}'"),
                Need("decisions", ("birth_year",), why="the age rule of the continuity measure")]
    # staff outcomes come from the HR export alone (the panel is built from it when there are no decisions)
    staff_only = spec.outcome in STAFF_OUTCOMES and (spec.exposure is None or spec.exposure in STAFF_OUTCOMES)
    needs = [] if staff_only else [Need("decisions", why="the outcome panel")]
    for role, column in (("outcome", spec.outcome), ("exposure", spec.exposure)):
        for outcomes, need in {**PANEL_INPUTS, **STAFF_INPUTS}.items():
            if column in outcomes:
                needs.append(Need(need.source, need.columns, f"{role} '{column}'"))
    return needs


# -- runners ------------------------------------------------------------------------------------


def _continuity_panel(spec: "AnalysisSpec", run: "Run") -> pd.DataFrame:
    """Staff continuity per unit and visit-log window (:func:`evalkit.continuity_panel`), ``period`` = the
    window's month, so it runs through ITS and DiD like a monthly outcome."""
    from evalkit.outcomes import continuity_panel

    visits = _require_table(spec, run, "visits", f"outcome '{spec.outcome}'")
    if not spec.windows:
        raise AnalysisError(f"analyses '{spec.id}': outcome '{spec.outcome}' is measured in visit-log windows; "
                            "give their first days as windows = [2018-10-01, 2019-10-07, …]")
    decisions = run.tables.get("decisions")
    persons = (decisions[["person_id", "birth_year"]].dropna().drop_duplicates("person_id")
               if decisions is not None and "birth_year" in decisions else None)
    return continuity_panel(visits, persons, [pd.Timestamp(w) for w in spec.windows])


def _panel_window(spec: "AnalysisSpec", run: "Run") -> pd.DataFrame:
    if spec.outcome in CONTINUITY_OUTCOMES:
        panel = _continuity_panel(spec, run)
        return panel[["unit", "period", *CONTINUITY_OUTCOMES]]
    panel = run.panel
    if panel is None:
        raise AnalysisError(f"analyses '{spec.id}': {spec.kind} analyses use the outcome panel, which is built "
                            "from a [data.decisions] source")
    if spec.outcome not in panel.columns:
        raise AnalysisError(f"analyses '{spec.id}': outcome '{spec.outcome}' is not a panel column; "
                            f"available: {sorted(c for c in panel.columns if c not in ('unit', 'period'))}")
    out = panel
    if spec.start:
        out = out[out["period"] >= pd.Timestamp(spec.start)]
    if spec.end:
        out = out[out["period"] <= pd.Timestamp(spec.end)]
    return out


def _intervention(spec: "AnalysisSpec", run: "Run") -> pd.Timestamp:
    return pd.Timestamp(spec.intervention or run.evaluation.change.date)


def _run_its(spec: "AnalysisSpec", run: "Run"):
    from evalkit.analysis.its import its
    from evalkit.schemas import PANEL_TOTAL

    data = _panel_window(spec, run)
    data = data[data["unit"] == PANEL_TOTAL] if spec.units == "pooled" else data[data["unit"] != PANEL_TOTAL]
    if spec.units == "each" and spec.outcome in STAFF_OUTCOMES:
        data = _without_small_teams(spec, run, data)
    kwargs = dict(outcome=spec.outcome, time="period", intervention=_intervention(spec, run), family=spec.family,
                  exposure=spec.exposure, seasonality=spec.seasonality)
    if spec.units == "each":
        kwargs["unit"] = "unit"
    return its(data.reset_index(drop=True), **kwargs, **spec.options)


def _run_did(spec: "AnalysisSpec", run: "Run"):
    from evalkit.analysis.did import did
    from evalkit.schemas import PANEL_TOTAL

    data = _panel_window(spec, run)
    data = data[data["unit"] != PANEL_TOTAL]  # the municipality total is not a comparison unit
    return did(data.reset_index(drop=True), outcome=spec.outcome, unit="unit", time="period",
               treated=list(spec.treated), intervention=_intervention(spec, run), inference=spec.inference,
               seed=run.evaluation.seed, **spec.options)


def _without_small_teams(spec: "AnalysisSpec", run: "Run", data: pd.DataFrame) -> pd.DataFrame:
    """Per-unit results of a staff outcome show each team's rates: teams with fewer employees than
    ``[report] suppress_staff_below`` in any month of the window are left out (with a warning)."""
    import warnings

    from evalkit.errors import AnalysisWarning

    k = run.evaluation.report.suppress_staff_below
    smallest = data.groupby("unit")["employees"].min()
    small = sorted(str(u) for u in smallest.index[smallest.fillna(0) < k])
    if small:
        warnings.warn(f"analyses '{spec.id}': unit(s) {small} have fewer than {k} employees in some month, so "
                      "their own series would disclose individual sick leave; they are left out of the per-unit "
                      "results (the pooled analysis, units = \"pooled\", keeps them)", AnalysisWarning, stacklevel=2)
    return data[~data["unit"].isin(small)]


def _run_staff(spec: "AnalysisSpec", run: "Run"):
    from evalkit.staff import staff_panel, staff_summary

    staff = _require_table(spec, run, "staff", "a staff analysis")
    unknown = sorted(set(spec.options) - {"full_time_hours"})
    if unknown:
        raise AnalysisError(f"analyses '{spec.id}': unknown key(s) {unknown} for a staff analysis; known: "
                            "full_time_hours")
    panel = staff_panel(staff, **spec.options)
    return staff_summary(panel, min_employees=run.evaluation.report.suppress_staff_below,
                         change_date=run.evaluation.change.date)


def _run_staff_survey(spec: "AnalysisSpec", run: "Run"):
    from evalkit.analysis import staff_survey

    from evalkit.io.staff import STAFF_CODEBOOKS, staff_survey_from_table

    # [data.staff_survey] is read once as a table (kind = "instrument" scores NoMAD from it); the HME and stress
    # items are taken from it with their codebooks
    table = _require_table(spec, run, "staff_survey", "a staff_survey analysis")
    codebook = run.evaluation.data["staff_survey"].options.get("codebook") or STAFF_CODEBOOKS
    survey = staff_survey_from_table(table, codebook)
    options = {"language": run.evaluation.language, "min_n": run.evaluation.report.suppress_staff_below,
               "treated": list(run.evaluation.change.units or ()), **spec.options}
    return staff_survey.run(survey, options)


def _require_table(spec: "AnalysisSpec", run: "Run", source: str, what: str) -> Any:
    if source not in run.tables:
        raise AnalysisError(f"analyses '{spec.id}': {what} needs a [data.{source}] source")
    return run.tables[source]


def _run_survey(spec: "AnalysisSpec", run: "Run"):
    from evalkit.analysis import surveys

    survey = _require_table(spec, run, "survey", "a survey analysis")
    return surveys.run(survey, {"language": run.evaluation.language, **spec.options})


def _run_qualitative(spec: "AnalysisSpec", run: "Run"):
    from evalkit.analysis.qualitative import joint_display, run_qualitative

    codings = _require_table(spec, run, "codings", "a qualitative analysis")
    language = run.evaluation.language
    options = dict(spec.options)
    joint = options.pop("joint", None)
    result = run_qualitative(codings, {"language": language, "seed": run.evaluation.seed, **options})
    if joint:
        unknown = [k for k in joint if k not in run.results]
        if unknown:
            raise AnalysisError(f"analyses '{spec.id}'.joint: {unknown} are not ids of analyses listed "
                                f"before this one; known: {list(run.results)}")
        # rows are named by the analyses' titles, which the reader knows, not by their config ids
        specs = {a.id: a for a in run.evaluation.analyses}
        name = {k: specs[k].title or getattr(run.results[k], "title", k) for k in joint}
        run.extra[f"{spec.id}_joint"] = joint_display({name[k]: run.results[k] for k in joint},
                                                      {name[k]: v for k, v in joint.items()}, result, language,
                                                      disclosure_of(run.evaluation))
    return result


def _run_audit(spec: "AnalysisSpec", run: "Run"):
    from evalkit.audit import audit_analysis

    source = run.evaluation.data.get("audit")
    if source is None or not source.options.get("forms") or not source.options.get("manifest"):
        raise AnalysisError(f"analyses '{spec.id}': an audit analysis needs [data.audit] with forms = [...] "
                            "and manifest = \"...\"")
    options = {"seed": run.evaluation.seed, **spec.options}
    return audit_analysis(list(source.options["forms"]), source.options["manifest"], options,
                          language=run.evaluation.language)


_LANGUAGE = Key("language", str, None, ("sv", "nb", "en"), "language of the result's words",
                default_text="[evaluation].language")
_SEED = Key("seed", int, None, doc="seed of the bootstrap", default_text="[evaluation].seed")
_WAVES = (int, str, list)

SURVEY_OPTIONS = (
    Key("items", list, None, doc="item names (default: every codebook item with positive answers)",
        type_name="list of strings", example='["q1", "q2"]'),
    Key("before", _WAVES, None, doc="wave or list of waves before the change (default: the first wave)",
        type_name="wave or list of waves", example="[2015, 2016]"),
    Key("after", _WAVES, None, doc="wave or list of waves after the change (default: the last wave)",
        type_name="wave or list of waves", example="[2017, 2018]"),
    Key("by", str, None, doc="column for small multiples", example='"unit"'),
    Key("adjust", str, "auto", ("auto", "holm", "fdr_bh", "none"), "multiple-comparison adjustment"),
    Key("level", float, 0.95, doc="confidence level"),
    Key("min_n", int, 30, doc="smallest denominator shown in figures"),
    _LANGUAGE,
    Key("paired", bool, False, doc="the same respondents before and after (Wilcoxon + McNemar); needs before, "
                                   "after and respondent ids", example="true"),
    Key("id", str, "respondent_id", doc="column pairing the respondents when paired"),
)
QUALITATIVE_OPTIONS = (
    Key("group", str, None, doc="source/case variable with the stakeholder group", example='"grupp"'),
    Key("period", str, None, doc="source/case variable with the period (före/before/før/pre = before)",
        example='"period"'),
    Key("codes", list, None, doc="codes analysed (names, paths or GUIDs; default every codable code)",
        type_name="list of strings", example='["Mål dokumenteras"]'),
    Key("coder", str, None, doc="whose coding counts (default: the coder with most segments)", example='"Coder A"'),
    Key("works_well", list, None, doc='codes for the "what works well" table', type_name="list of strings",
        example='["Fungerar bra"]'),
    Key("remains", list, None, doc='codes for the "what remains" table', type_name="list of strings",
        example='["Återstår"]'),
    Key("unit", str, "source", ("source", "segment"), "what a count counts"),
    Key("quotes_per_cell", int, 1, doc="quotes per group × period cell"),
    Key("quote_min_chars", int, 40, doc="shortest quote"),
    Key("quote_max_chars", int, 300, doc="longest quote"),
    Key("mask_names", list, (), doc="names masked in quotes", type_name="list of strings", example='["Anna"]'),
    Key("role_names", dict, None, doc="group → role label in quotes", type_name="table",
        example='{ chefer = "chef" }'),
    Key("min_exact", int, 5, doc="below this many sources per cell, exact tests"),
    _LANGUAGE, _SEED,
    Key("n_boot", int, 500, doc="bootstrap replicates"),
    Key("joint", dict, None, doc="mixed-methods joint display: analysis id (listed before this one) → list of "
                                 "interview themes", type_name="table",
        example='{ processing_time = ["Längre handläggningstid"] }'),
)
AUDIT_OPTIONS = (
    Key("compare", str, "period", doc="strata or decision column compared (before/after)"),
    Key("order", list, None, doc="order of the compared groups", type_name="list of strings",
        example='["before", "after"]'),
    Key("checklist", str, None, doc="checklist of the forms (default: the one the forms name)", example='"ibic"'),
    Key("primary", str, None, doc="the primary item (default: the checklist's)", example='"goal"'),
    Key("unit", str, "unit", doc="decision column for per-unit results"),
    Key("min_n", int, 30, doc="smallest denominator shown"),
    Key("level", float, 0.95, doc="confidence level"),
    Key("n_boot", int, 1000, doc="bootstrap replicates of the agreement intervals"),
    Key("seed", int, None, doc="seed of the bootstrap", default_text="[evaluation].seed"),
)
FIDELITY_OPTIONS = (
    Key("model", str, "ibic", doc='the model: a built-in name ("ibic", "rehab", "ip") or a .toml file'),
    Key("by", list, None, doc='grouping: decision columns and/or "month"', type_name="list of strings",
        default_text='["unit", "month"]', example='["unit", "month"]'),
    Key("start", (dt.date, str), None, doc="first decision date counted", type_name="date", example="2017-01-01"),
    Key("end", (dt.date, str), None, doc="last decision date counted", type_name="date", example="2019-12-31"),
    Key("threshold", float, 0.8, doc="a unit is a high implementer at a mean index at least this"),
    Key("window_months", int, 6, doc="months at the end of the period the high-implementer test averages"),
    Key("use_audit", bool, False, doc="score audit components from [data.audit] forms", example="true"),
    Key("use_survey", bool, False, doc="score survey components from [data.survey]", example="true"),
    Key("visit_windows", list, None, doc="first days of 14-day visit-log windows (visit components)",
        type_name="list of dates", example="[2018-03-05]"),
    Key("outcomes", dict, None, doc="reach, adoption, penetration and maintenance (RE-AIM, Proctor): a table of "
                                    "ek.implementation_outcomes arguments, e.g. support_ended",
        type_name="table", example="{ support_ended = 2018-01-01 }"),
)
_FIDELITY_KEYS = tuple(k.name for k in FIDELITY_OPTIONS)
STAFF_OPTIONS = (
    Key("full_time_hours", (int, float), None, doc="hours of a full-time post (for full-time equivalents)",
        default_text="the staff panel's", example="165"),
)
STAFF_SURVEY_OPTIONS = (
    Key("treated", list, None, doc="units that changed", type_name="list of strings",
        default_text="[change].units", example='["Norr"]'),
    Key("before", _WAVES, None, doc="the wave before (default: the first)", type_name="wave", example="2018"),
    Key("after", _WAVES, None, doc="the wave after (default: the last)", type_name="wave", example="2020"),
    Key("missing", str, "complete", ("complete", "available"), "how an index treats unanswered items"),
    Key("min_items", int, None, doc="with missing = \"available\": fewest answered items for an index",
        example="3"),
    Key("finite_population", bool, False, doc="finite-population correction from the fpc column",
        example="true"),
    Key("level", float, 0.95, doc="confidence level"),
    Key("min_n", int, None, doc="fewest respondents an estimate is shown for",
        default_text="[report].suppress_staff_below"),
    _LANGUAGE,
)
CFIR_OPTIONS = (
    Key("outcome_groups", dict, None, doc='{ high = [...], low = [...] } or { unit = group }', type_name="table",
        example='{ high = ["Norr"], low = ["Söder"] }'),
    Key("rule", str, None, doc="how the raters' ratings combine: agreed | conservative | mean | rater:<id>",
        example='"agreed"'),
    Key("distinguish", dict, None, doc="the distinguishing rule: high_min, low_max, min_difference, "
                                       "weak_difference, min_units", type_name="table",
        example="{ min_difference = 2 }"),
    Key("weights", str, None, ("linear", "quadratic"), "weights of the weighted kappa"),
    Key("n_boot", int, None, doc="bootstrap replicates of the agreement intervals", example="1000"),
    _SEED,
    Key("allow_blank", bool, False, doc="accept forms with unrated constructs", example="true"),
    _LANGUAGE,
)
INSTRUMENT_OPTIONS = (
    Key("instrument", str, doc="nomad | s-nomad | aim | iam | fim | a .toml file", example='"nomad"'),
    Key("items", dict, None, doc="item id → column of the table", type_name="table", example='{ q1 = "F1" }'),
    Key("min_answered", int, None, doc="fewest answered items for a score", example="5"),
    Key("raw_direction", str, None, doc="the direction of the raw answers", example='"agree_high"'),
    Key("reverse", list, None, doc="items scored in reverse", type_name="list of strings", example='["q3"]'),
    Key("by", str, None, doc="column of the comparison", default_text='"wave" when the data has it',
        example='"wave"'),
    Key("before", _WAVES, None, doc="the wave before", type_name="wave", example="2019"),
    Key("after", _WAVES, None, doc="the wave after", type_name="wave", example="2021"),
    _LANGUAGE,
)


def _run_fidelity(spec: "AnalysisSpec", run: "Run"):
    """Fidelity per component and unit; with an ``[analyses.outcomes]`` table also reach, adoption,
    penetration and maintenance (added to the report after it)."""
    from evalkit.implementation import fidelity, implementation_outcomes

    options = dict(spec.options)
    unknown = sorted(set(options) - set(_FIDELITY_KEYS))
    if unknown:
        raise AnalysisError(f"analyses '{spec.id}': unknown key(s) {unknown} for a fidelity analysis; "
                            f"known: {', '.join(_FIDELITY_KEYS)}")
    decisions = _require_table(spec, run, "decisions", "a fidelity analysis")
    model = options.pop("model", "ibic")
    audit = _audit_answers(run) if options.pop("use_audit", False) else None
    survey = run.tables.get("survey") if options.pop("use_survey", False) else None
    outcomes = options.pop("outcomes", None)
    visits = run.tables.get("visits")
    result = fidelity(decisions, model, audit=audit, survey=survey,
                      visits=visits if options.get("visit_windows") else None, **options)
    if outcomes is not None:
        outcomes = dict(outcomes)
        outcomes.setdefault("change_date", run.evaluation.change.date)
        threshold = options.get("threshold")
        if threshold is not None:
            outcomes.setdefault("threshold", threshold)
        run.extra[f"{spec.id}_outcomes"] = implementation_outcomes(decisions, model, audit=audit, **outcomes)
        run.extra_sections[f"{spec.id}_outcomes"] = "implementation"
    return result


def _audit_answers(run: "Run") -> pd.DataFrame | None:
    from evalkit.audit import load_audit

    source = run.evaluation.data.get("audit")
    if source is None or not source.options.get("forms"):
        return None
    return pd.concat([load_audit(path) for path in source.options["forms"]], ignore_index=True)

DOCUMENT_OPTIONS = (
    Key("terms", dict, doc="search terms per core component: component = [terms] or { sv = [...], nb = [...] }",
        type_name="table", example='{ goal_recorded = { sv = ["mål"], nb = ["mål"] } }'),
    Key("language", str, None, ("sv", "nb", "en"), doc="language of the documents", default_text="the report's"),
    Key("model", str, None, doc="model whose components label the rows and score documented practice",
        example='"ibic"'),
    Key("fidelity", str, None, doc="id of a fidelity analysis listed before, used for the practice columns",
        example='"ibic_fidelity"'),
    Key("effects", dict, None, doc="component = id of an ITS/DiD analysis listed before", type_name="table",
        example='{ goal_recorded = "goal_recorded" }'),
    Key("interview_codes", dict, None, doc="component = code name in [data.codings]", type_name="table",
        example='{ goal_recorded = "Mål dokumenteras" }'),
    Key("group", str, None, doc="case attribute of the interviews that holds the stakeholder group",
        example='"grupp"'),
    Key("timeline", str, None, doc="outcome panel column drawn under the document dates",
        example='"goal_recorded_share"'),
    Key("threshold", float, 0.5, doc="a documented-practice share below this is flagged as a gap"),
    Key("practice", dict, None, doc="component = decision column that shows it in practice", type_name="table",
        example='{ goal_recorded = "goal_recorded" }'),
    Key("codes", dict, None, doc="component = code, when [data.documents] was coded in a QDA tool",
        type_name="table", example='{ goal_recorded = "Mål" }'),
)
_DOCUMENT_OPTIONS = tuple(k.name for k in DOCUMENT_OPTIONS)


def _run_documents(spec: "AnalysisSpec", run: "Run"):
    """Governing documents: mentions per core component, then intended vs enacted.

    Options: ``terms`` (component -> terms, or -> {sv, nb}; required), ``language`` (of the documents; default
    the report's), ``model`` (built-in name or TOML: component labels, audit items, and the documented
    practice scored by ``ek.fidelity`` on the decisions), ``fidelity`` (id of an analysis whose result is a
    fidelity result, instead), ``effects`` (component -> id of an ITS/DiD analysis listed before),
    ``interview_codes`` (component -> code name/path in [data.codings]), ``group``, ``timeline`` (outcome
    panel column drawn under the document dates), ``threshold``, ``practice`` (component -> decision column),
    ``codes`` (component -> code, when [data.documents] was coded in a QDA tool and read back as codings).
    """
    from evalkit.analysis.documents import find_mentions, intended_vs_enacted
    from evalkit.schemas import PANEL_TOTAL

    where = f"analyses '{spec.id}'"
    opts = dict(spec.options)
    unknown = sorted(set(opts) - set(_DOCUMENT_OPTIONS))
    if unknown:
        raise AnalysisError(f"{where}: unknown option(s) {', '.join(unknown)}; known: {', '.join(_DOCUMENT_OPTIONS)}")
    if not opts.get("terms"):
        raise AnalysisError(f"{where}: give the terms per core component ([analyses.terms] component = [...])")
    documents = _require_table(spec, run, "documents", "a documents analysis")
    language = opts.get("language", run.evaluation.language)
    search_language = language if language in ("sv", "nb") else "sv"
    model, fidelity, labels = None, None, None
    if opts.get("model"):
        from evalkit.implementation import Model

        model = Model.load(opts["model"])
        labels = {c.id: c.label(run.evaluation.language) for c in model.components}
    decisions = run.tables.get("decisions")
    if opts.get("fidelity"):
        fidelity = _earlier(spec, run, opts["fidelity"], "fidelity")
        if labels is None and getattr(fidelity, "model", None) is not None:
            # each label in every language, so that a report in another language names the components in it
            labels = {c.id: i18n.Localized(c.label(run.evaluation.language), {lang: c.label(lang) for lang in
                                                                               i18n.LANGUAGES})
                      for c in fidelity.model.components}
    elif model is not None and decisions is not None:
        from evalkit.implementation import fidelity as fidelity_of

        fidelity = fidelity_of(decisions, model)
    mentions = find_mentions(documents, opts["terms"], language=search_language,
                             labels={c: (labels or {}).get(c, c) for c in opts["terms"]},
                             codings=run.tables.get("codings") if opts.get("codes") else None,
                             codes=opts.get("codes"))
    effects = {comp: (specs_title(run, aid), _earlier(spec, run, aid, "effects"))
               for comp, aid in (opts.get("effects") or {}).items()}
    series, series_label = None, ""
    if opts.get("timeline"):
        column = opts["timeline"]
        if run.panel is None or column not in run.panel.columns:
            raise AnalysisError(f"{where}.timeline: '{column}' is not a column of the outcome panel")
        total = run.panel[run.panel["unit"] == PANEL_TOTAL]
        series = total[["period", column]].rename(columns={column: "value"})
        series_label = specs_title(run, next((a.id for a in run.evaluation.analyses if a.outcome == column), column))
    return intended_vs_enacted(
        mentions, fidelity=fidelity, decisions=decisions, codings=run.tables.get("codings"), effects=effects,
        components={c: mentions.labels[c] for c in opts["terms"]}, practice=opts.get("practice"),
        interview_codes=opts.get("interview_codes"), group=opts.get("group"), series=series,
        series_label=series_label, threshold=float(opts.get("threshold", 0.5)),
        language=run.evaluation.language, seed=run.evaluation.seed)


def _earlier(spec: "AnalysisSpec", run: "Run", aid: str, key: str):
    if aid not in run.results:
        raise AnalysisError(f"analyses '{spec.id}'.{key}: '{aid}' is not the id of an analysis listed before this "
                            f"one; known: {list(run.results)}")
    return run.results[aid]


def specs_title(run: "Run", aid: str) -> str:
    """The title a reader sees for an analysis id (its config title, else the id)."""
    spec = next((a for a in run.evaluation.analyses if a.id == aid), None)
    return (spec.title if spec is not None and spec.title else aid)


def _reads_no_results(spec: "AnalysisSpec") -> set[str]:
    return set()


def _joint_results(spec: "AnalysisSpec") -> set[str]:
    """The results a qualitative analysis sets beside its themes (``joint``)."""
    return {str(k) for k in spec.options.get("joint") or {}}


def _documents_results(spec: "AnalysisSpec") -> set[str]:
    """The results a documents analysis compares the documents with (``effects``, ``fidelity``)."""
    effects = spec.options.get("effects") or {}
    fidelity = spec.options.get("fidelity")
    return {str(v) for v in effects.values()} | ({str(fidelity)} if fidelity else set())


register(AnalysisKind("its", _run_its, panel_needs, panel=True, options=PANEL_KEYS,
                      findings=_findings.its_findings,
                      doc="interrupted time series (segmented regression) of a monthly outcome panel column",
                      results_read=_reads_no_results))
register(AnalysisKind("did", _run_did, panel_needs, panel=True, options=PANEL_KEYS,
                      findings=_findings.did_findings,
                      doc="difference-in-differences of treated against comparison units (two-way fixed "
                          "effects); needs treated or [change].units",
                      results_read=_reads_no_results))
register(AnalysisKind("staff", _run_staff, lambda spec: [Need("staff", why="the HR export")], ("staff",),
                      options=STAFF_OPTIONS, doc="staffing, sick leave and turnover per unit ([data.staff])",
                      results_read=_reads_no_results))
register(AnalysisKind("staff_survey", _run_staff_survey,
                      lambda spec: [Need("staff_survey", why="the staff survey responses")], ("staff_survey",),
                      options=STAFF_SURVEY_OPTIONS, findings=_findings.staff_survey_findings,
                      doc="HME and stress indices of the staff survey, before against after ([data.staff_survey])",
                      results_read=_reads_no_results))
register(AnalysisKind("survey", _run_survey, lambda spec: [Need("survey", why="the survey responses")],
                      ("survey",), options=SURVEY_OPTIONS, findings=_findings.survey_findings,
                      doc="share positive per item and wave, before against after ([data.survey])",
                      results_read=_reads_no_results))
register(AnalysisKind("qualitative", _run_qualitative, lambda spec: [Need("codings", why="the coded interviews")],
                      ("codings",), options=QUALITATIVE_OPTIONS,
                      doc="themes of coded interviews by stakeholder group and period ([data.codings])",
                      results_read=_joint_results))
register(AnalysisKind("audit", _run_audit,
                      lambda spec: [Need("audit", ("forms", "manifest"),
                                         why="the filled audit forms and their manifest")],
                      ("audit",), options=AUDIT_OPTIONS, findings=_findings.audit_findings,
                      doc="scores of filled audit forms with intervals and reviewer agreement ([data.audit])",
                      results_read=_reads_no_results))
register(AnalysisKind("fidelity", _run_fidelity,
                      lambda spec: [Need("decisions", why="the decisions register (the model's fields)")],
                      ("decisions",), section="implementation", options=FIDELITY_OPTIONS,
                      doc="fidelity to the model's core components per unit and month ([data.decisions])",
                      results_read=_reads_no_results))


def _run_cfir(spec: "AnalysisSpec", run: "Run"):
    from evalkit.implementation.cfir import run_cfir

    source = run.evaluation.data.get("cfir")
    if source is None or not source.options.get("forms"):
        raise AnalysisError(f"analyses '{spec.id}': a cfir analysis needs [data.cfir] with forms = [...] (the "
                            "raters' filled rating forms)")
    options = {"seed": run.evaluation.seed, "language": run.evaluation.language, **spec.options}
    return run_cfir(list(source.options["forms"]), options)


def _run_instrument(spec: "AnalysisSpec", run: "Run"):
    from evalkit.implementation.instruments import run_instrument

    table = _require_table(spec, run, "staff_survey", "an instrument analysis (NoMAD, AIM/IAM/FIM)")
    return run_instrument(table, {"language": run.evaluation.language, **spec.options})


register(AnalysisKind("cfir", _run_cfir,
                      lambda spec: [Need("cfir", ("forms",), why="the raters' filled CFIR rating forms")], ("cfir",),
                      section="implementation", options=CFIR_OPTIONS,
                      doc="CFIR construct × unit matrix from raters' forms ([data.cfir])",
                      results_read=_reads_no_results))
register(AnalysisKind("instrument", _run_instrument,
                      lambda spec: [Need("staff_survey", why="the staff implementation survey")], ("staff_survey",),
                      section="implementation", options=INSTRUMENT_OPTIONS,
                      doc="implementation instrument scores (NoMAD, AIM/IAM/FIM) ([data.staff_survey])",
                      results_read=_reads_no_results))
# intended against enacted is the implementation question ("did it turn out as intended?"): that chapter
register(AnalysisKind("documents", _run_documents,
                      lambda spec: [Need("documents", why="the governing documents")],
                      ("documents", "decisions", "codings"), section="implementation", options=DOCUMENT_OPTIONS,
                      doc="governing documents: what they require per core component against practice",
                      results_read=_documents_results))
