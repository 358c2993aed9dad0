"""Human labels (sv, nb, en) for the outcome columns of :func:`evalkit.outcomes.monthly_panel`.

Report sentences name an outcome in words ("handläggningstid från ansökan till
beslut (median, dagar)"), never by its column name. Labels are lower case so
they read inside a sentence; :func:`outcome_title` capitalises one for a
heading or an axis. Used by the ITS and DiD results.

>>> outcome_label("order_changes_per_100", "sv")
'ändrade beställningar per 100 brukare'
>>> outcome_label("my_own_column", "en")
'my_own_column'
>>> outcome_title("hours_per_user", "nb")
'Innvilgede timer per bruker og måned'
"""
from __future__ import annotations

from evalkit.errors import AnalysisError

__all__ = ["OUTCOME_LABELS", "LANGUAGES", "outcome_label", "outcome_title", "is_share"]

LANGUAGES = ("sv", "nb", "en")

_CHANGE_TYPES = {
    "time": ("tid", "tid", "time"),
    "service": ("insats", "tjeneste", "service"),
    "new_decision": ("nytt beslut", "nytt vedtak", "new decision"),
    "start": ("start", "oppstart", "start"),
    "end": ("avslut", "avslutning", "end"),
    "other": ("annat", "annet", "other"),
}

_BASE = {
    "active_users": ("aktiva brukare", "aktive brukere", "active users"),
    "continuity_mean": ("personalkontinuitet (olika personal per brukare under 14 dagar, medelvärde)",
                        "personalkontinuitet (ulike ansatte per bruker i løpet av 14 dager, gjennomsnitt)",
                        "staff continuity (different staff per user in 14 days, mean)"),
    "continuity_median": ("personalkontinuitet (olika personal per brukare under 14 dagar, median)",
                          "personalkontinuitet (ulike ansatte per bruker i løpet av 14 dager, median)",
                          "staff continuity (different staff per user in 14 days, median)"),
    "continuity_users": ("brukare i kontinuitetsmåttet", "brukere i kontinuitetsmålet",
                         "users in the continuity measure"),
    "new_decisions": ("nya beslut", "nye vedtak", "new decisions"),
    "granted_hours": ("beviljade timmar per månad", "innvilgede timer per måned", "granted hours per month"),
    "hours_per_user": ("beviljade timmar per brukare och månad", "innvilgede timer per bruker og måned",
                       "granted hours per user and month"),
    "hours_per_user_n": ("brukare med beviljade timmar", "brukere med innvilgede timer",
                         "users with granted hours"),
    "order_changes": ("ändrade beställningar", "endrede bestillinger", "order changes"),
    "order_changes_per_100": ("ändrade beställningar per 100 brukare", "endrede bestillinger per 100 brukere",
                              "order changes per 100 users"),
    "processing_days_median": ("handläggningstid från ansökan till beslut (median, dagar)",
                               "saksbehandlingstid fra søknad til vedtak (median, dager)",
                               "processing time from application to decision (median, days)"),
    "processing_days_p90": ("handläggningstid från ansökan till beslut (90:e percentilen, dagar)",
                            "saksbehandlingstid fra søknad til vedtak (90-persentil, dager)",
                            "processing time from application to decision (90th percentile, days)"),
    "processing_n": ("beslut med känd handläggningstid", "vedtak med kjent saksbehandlingstid",
                     "decisions with a known processing time"),
    "processing_excluded": ("beslut uteslutna (beslutsdatum före ansökan)",
                            "vedtak utelatt (vedtaksdato før søknad)",
                            "decisions left out (decided before applied)"),
    "start_days_median": ("tid från beslut till verkställighet (median, dagar)",
                          "tid fra vedtak til iverksetting (median, dager)",
                          "time from decision to start of service (median, days)"),
    "start_n": ("beviljade beslut med känt startdatum", "innvilgede vedtak med kjent startdato",
                "granted decisions with a known start date"),
    "start_excluded": ("beslut uteslutna (start före beslut)", "vedtak utelatt (start før vedtak)",
                       "decisions left out (start before decision)"),
    "followed_up_share": ("andel beslut som följts upp i tid", "andel vedtak fulgt opp i tide",
                          "share of decisions followed up on time"),
    "followed_up_n": ("beslut som följts upp i tid", "vedtak fulgt opp i tide", "decisions followed up on time"),
    "followed_up_due": ("beslut som skulle följas upp", "vedtak som skulle følges opp",
                        "decisions due for follow-up"),
    "denial_share": ("andel avslag", "andel avslag", "share of decisions that were denials"),
    "denials": ("avslag", "avslag", "denials"),
    "decisions": ("beslut", "vedtak", "decisions"),
    "goal_recorded_share": ("andel beslut med dokumenterat mål", "andel vedtak med dokumentert mål",
                            "share of decisions with a documented goal"),
    "goal_recorded": ("beslut med dokumenterat mål", "vedtak med dokumentert mål",
                      "decisions with a documented goal"),
    "goal_recorded_n": ("beviljade beslut med känd måluppgift", "innvilgede vedtak med kjent måloppføring",
                        "granted decisions with a known goal entry"),
    "own_view_recorded_share": ("andel beslut där den enskildes synpunkter dokumenterats",
                                "andel vedtak der brukerens syn er dokumentert",
                                "share of decisions recording the person's own view"),
    "own_view_recorded": ("beslut där den enskildes synpunkter dokumenterats",
                          "vedtak der brukerens syn er dokumentert",
                          "decisions recording the person's own view"),
    "own_view_recorded_n": ("beslut med känd uppgift om den enskildes synpunkter",
                            "vedtak med kjent oppføring av brukerens syn",
                            "decisions with a known own-view entry"),
}
# staff outcomes of evalkit.staff.staff_panel (joined onto the panel from a [data.staff] HR export)
_BASE.update({
    "employees": ("anställda", "ansatte", "employees"),
    "employees_permanent": ("tillsvidareanställda", "fast ansatte", "permanent employees"),
    "fte": ("årsarbetare", "årsverk", "full-time equivalents"),
    "scheduled_hours": ("schemalagda timmar", "planlagte timer", "scheduled hours"),
    "worked_hours": ("arbetade timmar", "arbeidede timer", "hours worked"),
    "sick_hours": ("sjukfrånvarotimmar", "sykefraværstimer", "sick-leave hours"),
    "sick_hours_short": ("sjukfrånvarotimmar dag 1–14", "korttidsfraværstimer", "sick-leave hours, day 1–14"),
    "sick_hours_long": ("sjukfrånvarotimmar från dag 15", "langtidsfraværstimer", "sick-leave hours from day 15"),
    "sick_leave": ("sjukfrånvaro (andel av schemalagd tid)", "sykefravær (andel av planlagt tid)",
                   "sick leave (share of scheduled hours)"),
    "sick_leave_short": ("korttidssjukfrånvaro, dag 1–14 (andel av schemalagd tid)",
                         "korttidssykefravær (andel av planlagt tid)",
                         "short-term sick leave, day 1–14 (share of scheduled hours)"),
    "sick_leave_long": ("sjukfrånvaro från dag 15 (andel av schemalagd tid)",
                        "langtidssykefravær (andel av planlagt tid)",
                        "sick leave from day 15 (share of scheduled hours)"),
    "leavers_permanent": ("tillsvidareanställda som slutat", "faste ansatte som har sluttet",
                          "permanent employees who left"),
    "turnover_permanent": ("personalomsättning bland tillsvidareanställda (per månad)",
                           "turnover blant faste ansatte (per måned)", "turnover of permanent staff (per month)"),
    "hourly_hours": ("timavlönades timmar", "timelønnedes timer", "hours of hourly-paid staff"),
    "hourly_share": ("andel timavlönad tid", "andel timelønnet tid", "share of hours worked by hourly-paid staff"),
    "overtime_hours": ("övertidstimmar", "overtidstimer", "overtime hours"),
    "extra_hours": ("mertidstimmar", "merarbeidstimer", "extra hours"),
    "overtime_per_fte": ("övertid per årsarbetare och månad (timmar)", "overtid per årsverk og måned (timer)",
                         "overtime per FTE and month (hours)"),
    "extra_per_fte": ("mertid per årsarbetare och månad (timmar)", "merarbeid per årsverk og måned (timer)",
                      "extra hours per FTE and month (hours)"),
    "overtime_extra_per_fte": ("över- och mertid per årsarbetare och månad (timmar)",
                               "overtid og merarbeid per årsverk og måned (timer)",
                               "overtime and extra hours per FTE and month (hours)"),
})
#: staff panel columns that hold shares 0–1 without the "_share" suffix
_STAFF_SHARES = frozenset({"sick_leave", "sick_leave_short", "sick_leave_long", "turnover_permanent"})

for _key, (_sv, _nb, _en) in _CHANGE_TYPES.items():
    _BASE[f"order_changes_{_key}"] = (f"ändrade beställningar ({_sv})", f"endrede bestillinger ({_nb})",
                                      f"order changes ({_en})")

#: column -> {language: label}
OUTCOME_LABELS = {column: dict(zip(LANGUAGES, texts)) for column, texts in _BASE.items()}


def _check(language: str) -> str:
    if language not in LANGUAGES:
        raise AnalysisError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return language


def outcome_label(column: str, language: str = "sv") -> str:
    """The outcome's label for use inside a sentence; the column name when none is known."""
    return OUTCOME_LABELS.get(column, {}).get(_check(language), str(column))


def outcome_title(column: str, language: str = "sv") -> str:
    """The label with a capital first letter, for headings and axis titles."""
    text = outcome_label(column, language)
    return text[:1].upper() + text[1:]


def is_share(column: str) -> bool:
    """Whether the panel column holds a share 0–1 (effects then read in percentage points)."""
    return str(column).endswith("_share") or str(column) in _STAFF_SHARES
