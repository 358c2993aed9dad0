"""Canonical tables: the columns, types and allowed values every loader produces.

One place defines what a canonical table is; loaders, the sample-data
generator, outcome panels and tests all read it from here.

Types (pandas dtypes of the canonical frame):

* ``id``      – ``string`` (pseudonymous identifiers; never identity numbers)
* ``str``     – ``string``
* ``date``    – ``datetime64[ns]`` at midnight (no time part); missing = NaT
* ``datetime``– ``datetime64[ns]``
* ``float``   – ``Float64`` (nullable)
* ``int``     – ``Int64`` (nullable)
* ``bool``    – ``boolean`` (nullable)
* ``category``– ``string`` restricted to ``allowed``
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from evalkit.errors import AnalysisError

__all__ = ["Column", "TableSchema", "DECISIONS", "ORDERS", "VISITS", "STAFF", "SCHEMAS", "PANDAS_DTYPES",
           "PANEL_TOTAL", "IN_FORCE_OUTCOMES", "MISSING_START_RULES", "month_number"]

PANDAS_DTYPES = {
    "id": "string",
    "str": "string",
    "category": "string",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "float": "Float64",
    "int": "Int64",
    "bool": "boolean",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    allowed: tuple[str, ...] | None = None
    description: str = ""
    #: may a cell be empty?
    nullable: bool = False
    #: an optional extra (e.g. IBIC fields): in the canonical table only when the file has it
    extra: bool = False


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Columns the input file must have."""
        return [c.name for c in self.columns if c.required]

    @property
    def core(self) -> list[str]:
        """Columns always present in the canonical table (empty when the file lacks a non-required one)."""
        return [c.name for c in self.columns if not c.extra]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


OUTCOMES = ("granted", "partly", "denied")
LIFE_AREAS = (
    "learning", "general_tasks", "communication", "mobility", "self_care",
    "domestic_life", "relationships", "work_economy", "community",
    "security", "carer_support",
)
QUALIFIERS = ("0", "1", "2", "3", "4", "8", "9")

DECISIONS = TableSchema(
    name="decisions",
    key=("decision_id",),
    description="One row per needs-assessment decision (biståndsbeslut / vedtak).",
    columns=(
        Column("decision_id", "id", description="pseudonymous decision id, unique"),
        Column("person_id", "id", description="pseudonymous person id"),
        Column("unit", "str", description="district / unit / area"),
        Column("applied_on", "date", required=False, nullable=True, description="application received (ansökningsdatum)"),
        Column("decided_on", "date", description="decision date (beslutsdatum)"),
        Column("start_on", "date", required=False, nullable=True, description="implementation start (verkställighetsdatum)"),
        Column("end_on", "date", required=False, nullable=True, description="decision end / time limit"),
        Column("follow_up_on", "date", required=False, nullable=True, description="planned follow-up date"),
        Column("outcome", "category", allowed=OUTCOMES, description="granted | partly | denied"),
        Column("service", "str", description="service (insats / tjeneste)"),
        Column("hours_per_month", "float", required=False, nullable=True, description="granted hours per month"),
        Column("law", "str", required=False, nullable=True, description="legal basis, e.g. 'SoL 4:1', 'LSS 9 §'"),
        Column("case_officer_id", "id", required=False, nullable=True, description="pseudonymous case officer"),
        # optional fields
        Column("followed_up_on", "date", required=False, extra=True, nullable=True, description="date the follow-up was done"),
        Column("birth_year", "int", required=False, extra=True, nullable=True, description="birth year (for age bands)"),
        Column("life_area", "category", required=False, extra=True, nullable=True, allowed=LIFE_AREAS, description="IBIC life area"),
        Column("icf_code", "str", required=False, extra=True, nullable=True, description="ICF code, e.g. d510"),
        Column("qualifier", "int", required=False, extra=True, nullable=True, description="ICF qualifier 0-4, 8, 9"),
        Column("goal_recorded", "bool", required=False, extra=True, nullable=True, description="a followable goal is recorded"),
        Column("own_view_recorded", "bool", required=False, extra=True, nullable=True, description="the person's own view is recorded"),
    ),
)

CHANGE_TYPES = ("time", "service", "new_decision", "start", "end", "other")

ORDERS = TableSchema(
    name="orders",
    key=(),  # several changes of one order on one day are legitimate
    description="One row per change to an order to a provider (ändrad beställning).",
    columns=(
        Column("order_id", "id"),
        Column("person_id", "id"),
        Column("unit", "str"),
        Column("changed_on", "date"),
        Column("change_type", "category", allowed=CHANGE_TYPES),
    ),
)

VISIT_KINDS = ("planned", "alarm", "meal", "health", "other")

VISITS = TableSchema(
    name="visits",
    key=(),
    description="One row per home-care visit from a visit log (Phoniro, Mobipen …).",
    columns=(
        Column("person_id", "id"),
        Column("staff_id", "id"),
        Column("visit_start", "datetime"),
        Column("visit_end", "datetime", required=False, nullable=True),
        Column("visit_kind", "category", allowed=VISIT_KINDS, required=False, extra=True, nullable=True),
        Column("unit", "str", required=False, extra=True, nullable=True),
    ),
)

#: professions of home-care and assessment staff (sv/nb spellings in evalkit.io.mapping.VALUE_ALIASES)
PROFESSIONS = ("assistant_nurse", "care_aide", "nurse", "occupational_therapist", "physiotherapist",
               "case_officer", "manager", "scheduler", "other")
#: forms of employment: tillsvidare/fast, visstid/midlertidig, timavlönad/timelønnet
EMPLOYMENT_FORMS = ("permanent", "temporary", "hourly")

STAFF = TableSchema(
    name="staff",
    key=("employee_id", "unit", "month"),
    description="One row per employee × unit × month from an HR/scheduling export (Heroma, Personec, Visma).",
    columns=(
        Column("employee_id", "id", description="pseudonymous employee number (never an identity number)"),
        Column("unit", "str", description="team / unit / cost centre (arbetsplats, kostnadsställe)"),
        Column("month", "date", description="first day of the month the hours belong to"),
        Column("scheduled_hours", "float", description="ordinary scheduled hours (schemalagd/ordinarie arbetstid)"),
        Column("worked_hours", "float", required=False, nullable=True, description="hours actually worked"),
        Column("sick_hours", "float", required=False, nullable=True,
               description="all sick-leave hours (default: short + long)"),
        Column("sick_hours_short", "float", required=False, nullable=True,
               description="sick-leave hours on day 1–14 of a spell (Norway: the employer period, day 1–16)"),
        Column("sick_hours_long", "float", required=False, nullable=True,
               description="sick-leave hours from day 15 of a spell"),
        Column("overtime_hours", "float", required=False, nullable=True, description="overtime (övertid)"),
        Column("extra_hours", "float", required=False, nullable=True,
               description="extra hours of part-timers (mertid / merarbeid)"),
        Column("hourly_hours", "float", required=False, nullable=True,
               description="hours paid by the hour (timavlönad tid); default: worked hours of hourly employees"),
        Column("employment", "category", required=False, nullable=True, allowed=EMPLOYMENT_FORMS,
               description="permanent | temporary | hourly"),
        Column("employment_rate", "float", required=False, nullable=True,
               description="contracted share of full time in per cent (sysselsättningsgrad)"),
        Column("employment_start", "date", required=False, nullable=True, description="employment start"),
        Column("employment_end", "date", required=False, nullable=True,
               description="employment end (left the employer); empty while employed"),
        Column("profession", "category", required=False, nullable=True, allowed=PROFESSIONS,
               description="profession (yrke / stilling)"),
    ),
)

SCHEMAS = {s.name: s for s in (DECISIONS, ORDERS, VISITS, STAFF)}


# -- outcome panels: conventions shared by evalkit.outcomes (pandas) and evalkit.io.register (DuckDB) --------

#: label of the whole-municipality rows of an outcome panel
PANEL_TOTAL = "Total"
#: decision outcomes that put a service in force
IN_FORCE_OUTCOMES = ("granted", "partly")
#: what a granted decision without a start date counts from: its decision date, or not at all
MISSING_START_RULES = ("decided_on", "exclude")


def month_number(value, name: str) -> int | None:
    """Months since 1970-01 of a date or month (``"2023-01"``, a Timestamp, a Period); ``None`` stays ``None``.

    >>> month_number("1970-02-15", "start")
    1
    """
    if value is None:
        return None
    try:
        stamp = pd.Period(value, freq="M") if not isinstance(value, pd.Period) else value.asfreq("M")
    except (ValueError, TypeError) as exc:
        raise AnalysisError(f"{name}={value!r} is not a date or month; give e.g. '2023-01'") from exc
    return (stamp.year - 1970) * 12 + stamp.month - 1
