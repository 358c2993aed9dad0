"""Generate the fictional municipality Exempelkommun, with known true effects.

Run ``python data_samples/exempelkommun/generate.py`` (or ``make sample``) to rewrite the committed
files in this folder; import it and call :func:`generate` to write them elsewhere and get the clean
canonical tables and the realised truth back in memory.

The municipality is a small *world* (:class:`World`: six home-care districts, persons with birth year
and sex, case officers, the timeline 2013-01-01 … 2022-12-31) from which each table is drawn by its
own function:

==================  ==========================  ===================================================
table               function                    file written
==================  ==========================  ===================================================
decisions           :func:`decisions_table`     ``beslut_procapita.csv`` (cp1252, ';', decimal comma)
order changes       :func:`orders_table`        ``andrade_bestallningar.csv`` (UTF-8 BOM, ';')
visit log           :func:`visits_table`        ``besok.csv`` (UTF-8, ',')
==================  ==========================  ===================================================

Every number that carries an effect is read from ``effects.toml`` beside this file.

Adding a table later (survey waves, interviews, audit forms)
------------------------------------------------------------
Write ``def survey_table(world, decisions) -> pd.DataFrame`` drawing ONLY from
``world.rng("survey")`` (add the name to :data:`STREAMS` with a new, never reused number), a writer
``_write_survey(frame, path)`` with explicit formatting, and one line in :func:`generate`. Each
table has its own random stream (``numpy.random.default_rng([seed, stream])``), so a new table
leaves every existing file byte-identical. Persons, districts and case officers come from the
world, so survey respondents and audited decisions are the same people as in the decisions file.

Determinism: only ``numpy.random.default_rng`` seeded from the seed; no wall-clock time; CSV written
by hand with explicit line endings and number formats, so the same seed gives the same bytes.
"""
from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "STREAMS", "FILES", "World", "load_effects", "build_world", "decisions_table", "orders_table",
    "visits_table", "person_months", "realised_truth", "render_effects_table", "render_truth_table",
    "update_readme", "generate",
]

HERE = Path(__file__).resolve().parent
EFFECTS_PATH = HERE / "effects.toml"

#: one random stream per table; never renumber, only append (survey, interviews, audits …)
STREAMS = {"world": 1, "decisions": 2, "orders": 3, "visits": 4,
           # generators beside this one (generate_survey.py, generate_interviews.py, generate_audit.py)
           "survey": 101, "interviews": 102, "audit": 103,
           # per-unit fidelity of the IBIC documentation after the IBIC date (effects.toml [ibic.fidelity]);
           # its own stream, so adding it left every other column of every file unchanged
           "fidelity": 201}

#: the files :func:`generate` writes (the test hashes exactly these)
FILES = ("beslut_procapita.csv", "andrade_bestallningar.csv", "besok.csv")

DAY = np.timedelta64(1, "D")

# services that carry granted hours (the Kolada "hemtjänsttimmar")
HOME_CARE = ("Hemtjänst service", "Hemtjänst omsorg")
# extra services granted at the first decision: (name, probability, life area, ICF codes)
EXTRAS = (
    ("Trygghetslarm", 0.55, "security", ()),
    ("Matdistribution", 0.22, "domestic_life", ("d630",)),
    ("Dagverksamhet", 0.07, "community", ("d910", "d920", "d750")),
    ("Ledsagning", 0.05, "community", ("d920", "d460")),
    ("Avlösning", 0.05, "carer_support", ()),
)
HOME_CARE_ICF = {
    "Hemtjänst service": ("domestic_life", ("d620", "d630", "d640")),
    "Hemtjänst omsorg": ("self_care", ("d510", "d520", "d530", "d540", "d550", "d570")),
}
LAW = "SoL 4 kap. 1 §"
#: spread of the person-level need (log scale); hours are proportional to need
NEED_SIGMA = 0.45
#: person-level spread (SD) of the expected number of distinct staff around the district mean
CONTINUITY_SD = 1.0

LIFE_AREA_SV = {
    "learning": "Lärande och att tillämpa kunskap",
    "general_tasks": "Allmänna uppgifter och krav",
    "communication": "Kommunikation",
    "mobility": "Förflyttning",
    "self_care": "Personlig vård",
    "domestic_life": "Hemliv",
    "relationships": "Mellanmänskliga interaktioner och relationer",
    "work_economy": "Utbildning, arbete, sysselsättning och ekonomiskt liv",
    "community": "Samhällsgemenskap, socialt och medborgerligt liv",
    "security": "Känsla av trygghet",
    "carer_support": "Personligt stöd från person som vårdar eller stödjer en närstående",
}
OUTCOME_SV = {"granted": "Bifall", "partly": "Delvis bifall", "denied": "Avslag"}
CHANGE_TYPE_SV = {"time": "Tid", "service": "Insats", "new_decision": "Nytt beslut", "start": "Start",
                  "end": "Avslut", "other": "Övrigt"}
# share of each change type before flexible codes; the drop is carried by time and service changes
CHANGE_TYPE_SHARE = {"time": 0.42, "service": 0.22, "new_decision": 0.12, "start": 0.09, "end": 0.08,
                     "other": 0.07}
VISIT_KIND_SV = {"planned": "Planerat", "alarm": "Larm", "meal": "Matleverans", "health": "HSL"}

DECISION_HEADER = (
    "Beslutsid", "Brukare", "Enhet", "Ansökningsdatum", "Beslutsdatum", "Verkställighetsdatum",
    "Avslutsdatum", "Uppföljningsdatum", "Uppföljning utförd", "Beslut", "Insats",
    "Beviljade timmar/mån", "Lagrum", "Handläggare", "Födelseår", "Livsområde", "ICF-kod",
    "Bedömning", "Mål dokumenterat", "Egen uppfattning dokumenterad",
)
ORDER_HEADER = ("Beställnings-id", "Brukare", "Enhet", "Ändringsdatum", "Ändringstyp")
VISIT_HEADER = ("Kund", "Personal", "Start", "Slut", "Besökstyp", "Enhet")
#: data rows per "page" of the decisions report; the header is repeated after a blank line
PAGE_ROWS = 2500


# --------------------------------------------------------------------------------------------- world
def load_effects(path: str | Path = EFFECTS_PATH) -> dict:
    """Read ``effects.toml`` (the true effects and world parameters)."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)


@dataclass
class World:
    """The municipality every table is drawn from.

    Attributes
    ----------
    params : dict
        ``effects.toml`` as read.
    seed : int
    districts : list of str
    persons : DataFrame
        One row per person who ever applied: ``person_id, unit, birth_year, sex, need, applied_on,
        decided_on, start_on, exit_on, outcome, stock`` (``stock`` = already a user on the first day;
        their current decision was made in 2012).
    """

    params: dict
    seed: int
    districts: list[str]
    persons: pd.DataFrame

    @property
    def first_day(self) -> np.datetime64:
        return np.datetime64(self.params["world"]["first_day"], "D")

    @property
    def last_day(self) -> np.datetime64:
        return np.datetime64(self.params["world"]["last_day"], "D")

    def rng(self, stream: str) -> np.random.Generator:
        """The random generator of one table (independent of every other table's draws)."""
        return np.random.default_rng([self.seed, STREAMS[stream]])


def _months(first: np.datetime64, last: np.datetime64) -> np.ndarray:
    return np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1)


def _days_in_month(months: np.ndarray) -> np.ndarray:
    return ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(int)


def _month_end(days: np.ndarray, months_ahead: int = 0) -> np.ndarray:
    """Last day of the month ``months_ahead`` after the month of each date."""
    return (days.astype("datetime64[M]") + months_ahead + 1).astype("datetime64[D]") - DAY


def _in_window(days: np.ndarray, start, end) -> np.ndarray:
    return (days >= np.datetime64(start, "D")) & (days <= np.datetime64(end, "D"))


def build_world(params: dict | None = None, seed: int | None = None) -> World:
    """Draw the persons of Exempelkommun: the stock on the first day and every later applicant.

    Notes
    -----
    New applications per district and month are Poisson with mean
    ``initial_users / mean_stay_months × (1 + g)^years × season × covid``, so the stock of users is
    roughly stable and grows with the inflow growth ``g``. Stays are exponential (mean
    ``mean_stay_months``). Need is log-normal (σ = ``NEED_SIGMA``). Age at application: 93 % N(83, 6.5) clipped to 65–101, 7 % uniform 40–64.
    """
    params = load_effects() if params is None else params
    seed = int(params["world"]["seed"] if seed is None else seed)
    w = params["world"]
    rng = np.random.default_rng([seed, STREAMS["world"]])
    first = np.datetime64(w["first_day"], "D")
    last = np.datetime64(w["last_day"], "D")
    stay_days = w["mean_stay_months"] * 30.44
    districts = list(w["districts"])

    frames = []
    # the stock on the first day: current decision started Feb-Dec of the year before, so that its
    # time limit (month end, time_limit_months later) is on or after the first day
    for d, n0 in zip(districts, w["initial_users"]):
        earliest = (first.astype("datetime64[M]") - w["time_limit_months"] + 1).astype("datetime64[D]")
        start = earliest + rng.integers(0, (first - earliest).astype(int), n0) * DAY
        frames.append(pd.DataFrame({
            "unit": d, "start_on": start, "applied_on": pd.NaT, "stock": True,
            "exit_on": first + np.round(rng.exponential(stay_days, n0)).astype(int) * DAY,
        }))
    # later applicants
    months = _months(first, last)
    years = (months - months[0]).astype(int) / 12.0
    season = np.array([1.10, 1.05, 1.05, 1.00, 1.00, 0.95, 0.80, 0.90, 1.00, 1.05, 1.05, 1.05])
    season = season / season.mean()
    month_of_year = months.astype(int) % 12
    cov = params["distractors"]["covid"]
    covid = np.where(_in_window(months.astype("datetime64[D]"), cov["start"], cov["end"]),
                     cov["new_applications_ratio"], 1.0)
    for d, n0 in zip(districts, w["initial_users"]):
        lam = n0 / w["mean_stay_months"] * (1 + w["inflow_growth_per_year"]) ** years
        lam = lam * season[month_of_year] * covid
        counts = rng.poisson(lam)
        month_of_app = np.repeat(months, counts)
        day = rng.integers(0, _days_in_month(month_of_app))
        applied = month_of_app.astype("datetime64[D]") + day * DAY
        frames.append(pd.DataFrame({
            "unit": d, "start_on": pd.NaT, "applied_on": applied, "stock": False,
            "exit_on": pd.NaT,
        }))
    persons = pd.concat(frames, ignore_index=True)
    n = len(persons)
    persons["sex"] = np.where(rng.random(n) < 0.62, "F", "M")
    young = rng.random(n) < 0.07
    age = np.where(young, rng.integers(40, 65, n), np.clip(np.round(rng.normal(83, 6.5, n)), 65, 101))
    ref_year = np.where(persons["stock"], 2012, persons["applied_on"].dt.year.fillna(2012))
    persons["birth_year"] = (ref_year - age).astype(int)
    persons["need"] = np.exp(rng.normal(0.0, NEED_SIGMA, n))
    u = rng.random(n)
    outcome = np.where(u < w["denial_share"], "denied",
                       np.where(u < w["denial_share"] + w["partly_share"], "partly", "granted"))
    persons["outcome"] = np.where(persons["stock"], "granted", outcome)
    persons["stay_days"] = np.round(rng.exponential(stay_days, n)).astype(int)
    # stable pseudonyms in order of first contact; never anything that looks like an identity number
    order = np.lexsort((persons["unit"].map(districts.index).to_numpy(),
                        persons["applied_on"].fillna(persons["start_on"]).to_numpy()))
    persons = persons.iloc[order].reset_index(drop=True)
    persons.insert(0, "person_id", [f"P{i:06d}" for i in range(1, n + 1)])
    return World(params=params, seed=seed, districts=districts, persons=persons)


# ----------------------------------------------------------------------------------------- decisions
def _base_days(rng, n: int, ibic: dict) -> np.ndarray:
    """Processing days without IBIC or holidays: 4 + Gamma(2.2, θ) with mean ``processing_days_mean_before``."""
    return 4.0 + rng.gamma(2.2, (ibic["processing_days_mean_before"] - 4.0) / 2.2, n)


def _shift_days(decided: np.ndarray, ibic: dict) -> np.ndarray:
    """Extra days for a decision made on ``decided``: IBIC level (and slope) change, July holidays."""
    date = np.datetime64(ibic["date"], "D")
    post = decided >= date
    years_post = np.where(post, (decided - date).astype(int) / 365.25, 0.0)
    july = decided.astype("datetime64[M]").astype(int) % 12 == 6
    return (post * ibic["processing_days_level_change"]
            + years_post * ibic["processing_days_slope_change_per_year"]
            + july * ibic["processing_days_july_extra"])


def _processing_days(rng, decided: np.ndarray, ibic: dict) -> np.ndarray:
    """Days from application to a decision made on ``decided`` (to date applications backwards)."""
    return np.round(_base_days(rng, len(decided), ibic) + _shift_days(decided, ibic)).astype(int)


def _decide(rng, applied: np.ndarray, ibic: dict) -> np.ndarray:
    """Decision dates for applications.

    The base time gives a provisional date d0; the IBIC and July extras are those of d0. So every
    decision made from the IBIC date on carries the level change and none before it, and every
    July decision carries the July extra (a few pushed into early August carry it too).
    """
    d0 = applied + np.round(_base_days(rng, len(applied), ibic)).astype(int) * DAY
    return d0 + np.round(_shift_days(d0, ibic)).astype(int) * DAY


def _hours(rng, world: World, persons: pd.DataFrame, decided: np.ndarray, outcome: np.ndarray):
    """Granted hours per month (factual and without the pilot), rounded to half hours."""
    pilot = world.params["rehab_pilot"]
    base = {"Centrum": 20.0, "Norr": 22.0, "Söder": 21.0, "Öster": 22.0, "Väster": 20.0, "Åsen": 24.0}
    years = (decided - world.first_day).astype(int) / 365.25
    raw = (persons["unit"].map(base).to_numpy() * persons["need"].to_numpy()
           * np.exp(rng.normal(0.0, 0.12, len(decided))) + 0.25 * years)
    raw = np.where(outcome == "partly", raw * world.params["world"]["partly_hours_ratio"], raw)
    treated = (persons["unit"].isin(pilot["treated"]).to_numpy()
               & (decided >= np.datetime64(pilot["date"], "D")))
    factual = np.where(treated, raw * pilot["hours_ratio"], raw)
    half = lambda x: np.maximum(np.round(x * 2) / 2, 2.0)  # noqa: E731  (exports show half hours)
    return half(factual), half(raw)


def _chains(world: World, rng) -> pd.DataFrame:
    """Home-care (hours) decisions: first decision, then a renewal every time limit until exit."""
    w, ibic = world.params["world"], world.params["ibic"]
    p = world.persons[world.persons["outcome"] != "denied"].reset_index(drop=True)
    stock = p["stock"].to_numpy()
    applied = p["applied_on"].to_numpy().astype("datetime64[D]")
    start = p["start_on"].to_numpy().astype("datetime64[D]")
    # new users: application -> decision -> start; stock users: back-date from the 2012 start
    lag = np.round(1 + rng.gamma(1.5, 3.0, len(p))).astype(int)
    decided = np.where(stock, start - lag * DAY, _decide(rng, np.where(stock, start, applied), ibic))
    back = _processing_days(rng, decided, ibic)
    applied = np.where(stock, decided - back * DAY, applied)
    start = np.where(stock, start, decided + lag * DAY)
    exit_on = np.where(stock, p["exit_on"].to_numpy().astype("datetime64[D]"),
                       start + p["stay_days"].to_numpy() * DAY)
    rows = [pd.DataFrame({"pidx": np.arange(len(p)), "applied_on": applied, "decided_on": decided,
                          "start_on": start, "renewal": 0})]
    limit_end = _month_end(start, w["time_limit_months"] - 1)
    alive = exit_on > limit_end
    k = 0
    while alive.any():
        k += 1
        idx = np.flatnonzero(alive)
        app = limit_end[idx] - rng.integers(30, 61, len(idx)) * DAY
        dec = _decide(rng, app, ibic)
        st = np.maximum(limit_end[idx] + DAY, dec)
        # a renewal is only decided for a person still there when it would start
        made = (dec <= world.last_day) & (st <= exit_on[idx])
        idx, app, dec, st = idx[made], app[made], dec[made], st[made]
        rows.append(pd.DataFrame({"pidx": idx, "applied_on": app, "decided_on": dec, "start_on": st,
                                  "renewal": k}))
        new_limit = limit_end.copy()
        new_limit[idx] = _month_end(st, w["time_limit_months"] - 1)
        alive = np.zeros(len(p), bool)
        alive[idx] = exit_on[idx] > new_limit[idx]
        limit_end = new_limit
    chain = pd.concat(rows, ignore_index=True).sort_values(["pidx", "renewal"], ignore_index=True)
    limit = _month_end(chain["start_on"].to_numpy().astype("datetime64[D]"), w["time_limit_months"] - 1)
    ex = exit_on[chain["pidx"].to_numpy()]
    chain["end_on"] = np.minimum(limit, ex)
    chain["exit_on"] = ex
    chain = chain.join(p.drop(columns=["applied_on", "start_on", "exit_on"]), on="pidx")
    chain["outcome"] = np.where(chain["renewal"] == 0, chain["outcome"], "granted")
    chain["service"] = np.where(chain["need"] < np.exp(-0.29), HOME_CARE[0], HOME_CARE[1])
    return chain


def _extras(world: World, rng, first: pd.DataFrame) -> pd.DataFrame:
    """Alarm, meals, day care … granted with the first decision; open-ended until the person leaves."""
    out = []
    for name, prob, _, _ in EXTRAS:
        take = rng.random(len(first)) < prob
        e = first.loc[take].copy()
        e["service"] = name
        e["outcome"] = "granted"
        e["end_on"] = np.where(e["exit_on"] <= world.last_day, e["exit_on"], np.datetime64("NaT"))
        out.append(e)
    return pd.concat(out, ignore_index=True)


def _denials(world: World, rng) -> pd.DataFrame:
    d = world.persons[world.persons["outcome"] == "denied"].reset_index(drop=True).copy()
    applied = d["applied_on"].to_numpy().astype("datetime64[D]")
    d["decided_on"] = _decide(rng, applied, world.params["ibic"])
    d["start_on"] = d["end_on"] = d["exit_on"] = np.datetime64("NaT")
    d["service"] = np.where(d["need"] < np.exp(-0.29), HOME_CARE[0], HOME_CARE[1])
    return d


def _ibic_fields(world: World, rng, dec: pd.DataFrame) -> pd.DataFrame:
    """Life area, ICF code and qualifier (from the IBIC date on); documentation flags (all years)."""
    ibic = world.params["ibic"]
    n = len(dec)
    post = dec["decided_on"].to_numpy() >= np.datetime64(ibic["date"], "D")
    areas = {s: (a, c) for s, _, a, c in EXTRAS} | HOME_CARE_ICF
    area = dec["service"].map(lambda s: areas[s][0]).to_numpy(object)
    codes = dec["service"].map(lambda s: areas[s][1]).to_numpy(object)
    pick = rng.random(n)
    icf = np.array([c[int(u * len(c))] if c else None for c, u in zip(codes, pick)], dtype=object)
    z = np.log(dec["need"].to_numpy()) / NEED_SIGMA
    qual = np.clip(np.round(2 + 0.9 * z + rng.normal(0, 0.5, n)), 0, 4).astype(int)
    u = rng.random(n)
    qual = np.where(u < 0.02, 8, np.where(u < 0.03, 9, qual)).astype(float)
    qual = np.where(icf == None, np.nan, qual)  # noqa: E711  (IBIC's own areas have no ICF qualifier)
    dec["life_area"] = np.where(post, area, None)
    dec["icf_code"] = np.where(post, icf, None)
    dec["qualifier"] = np.where(post, qual, np.nan)
    p_goal = np.where(post, ibic["goal_recorded_after"], ibic["goal_recorded_before"])
    p_view = np.where(post, ibic["own_view_recorded_after"], ibic["own_view_recorded_before"])
    dec["goal_recorded"] = rng.random(n) < p_goal
    dec["own_view_recorded"] = rng.random(n) < p_view
    return _unit_fidelity(world, dec, post)


def _unit_fidelity(world: World, dec: pd.DataFrame, post: np.ndarray) -> pd.DataFrame:
    """After the IBIC date, redraw the two documentation flags with each unit's designed share.

    The draws above stay in the "decisions" stream (so everything drawn after them is unchanged);
    the redraw uses its own stream "fidelity", one uniform per decision and flag, and replaces the
    flags of post-IBIC decisions only. Units thereby differ in fidelity by design (effects.toml
    ``[ibic.fidelity]``), and the decision-weighted mean stays at ``*_after``.
    """
    spec = world.params["ibic"].get("fidelity")
    if not spec:
        return dec
    rng = world.rng("fidelity")
    unit = dec["unit"].astype(str)
    for flag in ("goal_recorded", "own_view_recorded"):
        u = rng.random(len(dec))
        p = unit.map(spec[flag]).to_numpy(float)
        dec[flag] = np.where(post, u < p, dec[flag].to_numpy(bool))
    return dec


def _follow_up(world: World, rng, dec: pd.DataFrame) -> pd.DataFrame:
    """Planned follow-up (start + 91 days for home care, + 182 for other services) and when done.

    A follow-up is due if the planned date comes before the person leaves and before the last day;
    ``followed_up_share`` of due follow-ups are done, on the planned date + N(-5, 10²) days.
    """
    start = dec["start_on"].to_numpy().astype("datetime64[D]")
    months = np.where(dec["service"].isin(HOME_CARE), 91, 182)
    planned = start + months * DAY
    ends = np.minimum(dec["exit_on"].to_numpy().astype("datetime64[D]"), world.last_day)
    possible = ~np.isnat(planned) & (planned <= ends)
    done = possible & (rng.random(len(dec)) < world.params["world"]["followed_up_share"])
    # most follow-ups are done by the planned date (about 69 % of those done), the rest late
    delay = np.round(rng.normal(-5, 10, len(dec))).astype(int)
    done_on = np.minimum(planned + delay * DAY, ends)  # never after the person left or the export
    dec["follow_up_on"] = planned
    dec["followed_up_on"] = np.where(done, done_on, np.datetime64("NaT"))
    return dec


def _officers(world: World, rng, dec: pd.DataFrame) -> np.ndarray:
    """Three of five officers per district are active at a time; the team rotates every 3 years."""
    di = dec["unit"].map(world.districts.index).to_numpy()
    era = (dec["decided_on"].dt.year.to_numpy() - 2012) // 3
    k = (era + rng.integers(0, 3, len(dec))) % 5
    return np.array([f"HL{i * 5 + j + 1:02d}" for i, j in zip(di, k)], dtype=object)


def _faults(world: World, rng, dec: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Plant the documented data-quality faults (typed years) and return their decision ids."""
    f = world.params["faults"]
    later = dec["decided_on"] >= np.datetime64("2014-01-01")
    home = dec["service"].isin(HOME_CARE) & (dec["outcome"] != "denied") & later
    pools = {
        "decided_before_applied": np.flatnonzero(home & dec["applied_on"].notna()),
        "end_before_start": np.flatnonzero(home & dec["end_on"].notna()),
        "granted_home_care_without_hours": np.flatnonzero(home),
    }
    chosen, used = {}, set()
    for name, pool in pools.items():
        pool = np.setdiff1d(pool, np.fromiter(used, int, len(used)))
        rows = np.sort(rng.choice(pool, f[name], replace=False))
        used.update(rows.tolist())
        chosen[name] = rows
    r = chosen["decided_before_applied"]
    dec.loc[r, "applied_on"] = dec.loc[r, "applied_on"] + pd.Timedelta(days=365)  # year typed +1
    r = chosen["end_before_start"]
    dec.loc[r, "end_on"] = dec.loc[r, "end_on"] - pd.Timedelta(days=366 * 2)    # year typed -2
    r = chosen["granted_home_care_without_hours"]
    dec.loc[r, "hours_per_month"] = np.nan
    dec.loc[r, "hours_no_pilot"] = np.nan
    return dec, {k: dec.loc[v, "decision_id"].tolist() for k, v in chosen.items()}


def decisions_table(world: World) -> tuple[pd.DataFrame, dict]:
    """All needs-assessment decisions, canonical columns plus truth helpers.

    Returns the decisions (canonical columns of ``evalkit.schemas.DECISIONS`` plus ``hours_no_pilot``,
    the hours the decision would have had without the rehab pilot, and ``exit_on``) and the ids of
    the planted faults. Decisions dated after the last day are not in the export; decisions made in
    2012 that are still in force on the first day are (the report's "Urval" says so).
    """
    rng = world.rng("decisions")
    chain = _chains(world, rng)
    first = chain[chain["renewal"] == 0]
    extras = _extras(world, rng, first)
    denials = _denials(world, rng)
    dec = pd.concat([chain, extras, denials], ignore_index=True)
    home = dec["service"].isin(HOME_CARE).to_numpy() & (dec["outcome"] != "denied").to_numpy()
    fact, cf = _hours(rng, world, dec, dec["decided_on"].to_numpy().astype("datetime64[D]"),
                      dec["outcome"].to_numpy())
    dec["hours_per_month"] = np.where(home, fact, np.nan)
    dec["hours_no_pilot"] = np.where(home, cf, np.nan)
    dec = dec[dec["decided_on"] <= world.last_day]
    dec = _follow_up(world, rng, dec.reset_index(drop=True))
    dec = _ibic_fields(world, rng, dec)
    dec["case_officer_id"] = _officers(world, rng, dec)
    dec["law"] = LAW
    service_rank = dec["service"].map({s: i for i, s in enumerate(HOME_CARE + tuple(e[0] for e in EXTRAS))})
    dec = dec.assign(_r=service_rank).sort_values(["decided_on", "person_id", "_r"], ignore_index=True)
    dec["decision_id"] = [f"B{i:06d}" for i in range(1, len(dec) + 1)]
    dec, faults = _faults(world, rng, dec)
    return _canonical_decisions(dec), faults


def _canonical_decisions(dec: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "decision_id": dec["decision_id"].astype("string"),
        "person_id": dec["person_id"].astype("string"),
        "unit": dec["unit"].astype("string"),
    })
    for col in ("applied_on", "decided_on", "start_on", "end_on", "follow_up_on"):
        out[col] = pd.to_datetime(dec[col]).astype("datetime64[ns]")
    out["outcome"] = dec["outcome"].astype("string")
    out["service"] = dec["service"].astype("string")
    out["hours_per_month"] = dec["hours_per_month"].astype("Float64")
    out["law"] = dec["law"].astype("string")
    out["case_officer_id"] = dec["case_officer_id"].astype("string")
    out["followed_up_on"] = pd.to_datetime(dec["followed_up_on"]).astype("datetime64[ns]")
    out["birth_year"] = dec["birth_year"].astype("Int64")
    out["life_area"] = dec["life_area"].astype("string")
    out["icf_code"] = dec["icf_code"].astype("string")
    out["qualifier"] = pd.array(dec["qualifier"].to_numpy(float), dtype="Float64").astype("Int64")
    out["goal_recorded"] = dec["goal_recorded"].astype("boolean")
    out["own_view_recorded"] = dec["own_view_recorded"].astype("boolean")
    # truth helpers (not in the export)
    out["hours_no_pilot"] = dec["hours_no_pilot"].astype("Float64")
    out["exit_on"] = pd.to_datetime(dec["exit_on"]).astype("datetime64[ns]")
    return out


# ---------------------------------------------------------------------------------- monthly stock
def person_months(decisions: pd.DataFrame, first, last, hours_col: str | None = None) -> pd.DataFrame:
    """Persons with a granted or partly granted decision in force in each month.

    In force in a month: ``start_on ≤ month end`` and (``end_on`` missing or ``≥ month start``) — the
    same rule as ``evalkit.outcomes.monthly_panel``. Returns ``person_id, unit, month, first_day,
    last_day`` (the person's first and last day in force within the month) and, with ``hours_col``,
    the sum of that column over the person's decisions in force (NaN when none carries hours).
    """
    d = decisions[decisions["outcome"].isin(["granted", "partly"]) & decisions["start_on"].notna()]
    first, last = np.datetime64(first, "D"), np.datetime64(last, "D")
    start = d["start_on"].to_numpy().astype("datetime64[D]")
    end = d["end_on"].to_numpy().astype("datetime64[D]")
    end = np.where(np.isnat(end), last, np.minimum(end, last))
    ok = end >= np.maximum(start, first)
    d, start, end = d[ok], start[ok], end[ok]
    m0 = np.maximum(start, first).astype("datetime64[M]")
    m1 = end.astype("datetime64[M]")
    n = (m1 - m0).astype(int) + 1
    row = np.repeat(np.arange(len(d)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    month = m0[row] + offset
    mstart = month.astype("datetime64[D]")
    mend = (month + 1).astype("datetime64[D]") - DAY
    pm = pd.DataFrame({
        "person_id": d["person_id"].to_numpy()[row], "unit": d["unit"].to_numpy()[row],
        "month": mstart, "first_day": np.maximum(start[row], mstart), "last_day": np.minimum(end[row], mend),
    })
    if hours_col is not None:
        pm[hours_col] = d[hours_col].to_numpy(float, na_value=np.nan)[row]
    gb = pm.groupby(["person_id", "unit", "month"], sort=True)
    out = gb.agg(first_day=("first_day", "min"), last_day=("last_day", "max"))
    if hours_col is not None:
        out[hours_col] = gb[hours_col].sum(min_count=1)
    return out.reset_index()


# --------------------------------------------------------------------------------------------- orders
def orders_table(world: World, decisions: pd.DataFrame) -> pd.DataFrame:
    """Changes to orders to home-care providers (ändrade beställningar).

    Notes
    -----
    Per district d and month t with ``A`` active users (persons with a decision in force), the count
    of changes of type k is Poisson with mean
    ``A · r0/100 · season[month] · (1+trend)^(t/12) · share_k · f_k(t) · G``, ``G ~ Gamma(shape, 1/shape)``
    shared by the district-month (negative-binomial counts, var = μ + μ²/shape). From the
    flexible-codes date ``f_k`` cuts time and service changes so that the total falls by exactly
    ``rate_ratio``; other types are unchanged. Each change goes to a random person active in the
    district-month, on a day when that person's decision is in force.
    """
    rng = world.rng("orders")
    fc = world.params["flexible_codes"]
    pm = person_months(decisions, world.first_day, world.last_day)
    pm = pm.sort_values(["unit", "month", "person_id"], ignore_index=True)
    groups = pm.groupby(["unit", "month"], sort=True).indices
    season = np.asarray(fc["season"], float)
    season = season / season.mean()
    cut = {"time", "service"}
    cut_share = sum(CHANGE_TYPE_SHARE[k] for k in cut)
    f_cut = (fc["rate_ratio"] - (1 - cut_share)) / cut_share
    types = list(CHANGE_TYPE_SHARE)
    person = pm["person_id"].to_numpy()
    first_day = pm["first_day"].to_numpy().astype("datetime64[D]")
    last_day = pm["last_day"].to_numpy().astype("datetime64[D]")
    out = []
    for unit in world.districts:
        for month in _months(world.first_day, world.last_day):
            idx = groups.get((unit, pd.Timestamp(month)))
            if idx is None:
                continue
            t = (month - world.first_day.astype("datetime64[M]")).astype(int)
            post = month.astype("datetime64[D]") >= np.datetime64(fc["date"], "D")
            mu = (len(idx) * fc["order_changes_per_100_base"] / 100 * season[t % 12]
                  * (1 + fc["trend_per_year"]) ** (t / 12)
                  * rng.gamma(fc["overdispersion_shape"], 1 / fc["overdispersion_shape"]))
            for k in types:
                lam = mu * CHANGE_TYPE_SHARE[k] * (f_cut if (post and k in cut) else 1.0)
                n = rng.poisson(lam)
                if n == 0:
                    continue
                who = idx[rng.integers(0, len(idx), n)]
                lo, hi = first_day[who], last_day[who]
                day = lo + (rng.random(n) * ((hi - lo).astype(int) + 1)).astype(int) * DAY
                out.append((person[who], np.full(n, unit, object), day, np.full(n, k, object)))
    orders = pd.DataFrame({c: np.concatenate([o[i] for o in out])
                           for i, c in enumerate(["person_id", "unit", "changed_on", "change_type"])})
    orders["order_id"] = "BE" + orders["person_id"].str[1:]
    orders = orders.sort_values(["changed_on", "order_id", "change_type"], ignore_index=True)
    return pd.DataFrame({
        "order_id": orders["order_id"].astype("string"), "person_id": orders["person_id"].astype("string"),
        "unit": orders["unit"].astype("string"),
        "changed_on": pd.to_datetime(orders["changed_on"]).astype("datetime64[ns]"),
        "change_type": orders["change_type"].astype("string"),
    })


# --------------------------------------------------------------------------------------------- visits
TEAM_SIZE, POOL_SIZE = 4, 40
SLOTS = {2: (8.0, 19.0), 3: (8.0, 12.5, 19.0), 4: (7.75, 12.0, 16.5, 20.5),
         5: (7.5, 10.5, 12.5, 17.0, 21.0)}


def _expected_distinct(p: float, n: float) -> float:
    """E[distinct staff] after n visits: team member w.p. p (uniform of 4), else uniform of the 36 others."""
    others = POOL_SIZE - TEAM_SIZE
    return TEAM_SIZE * (1 - (1 - p / TEAM_SIZE) ** n) + others * (1 - (1 - (1 - p) / others) ** n)


def _team_probability(target: float, n: float) -> float:
    """Solve E[distinct](p, n) = target for p by bisection (E falls as p rises)."""
    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if _expected_distinct(mid, n) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def visits_table(world: World, decisions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Phoniro-like visit log for 14-day windows, and the design truth per user.

    Notes
    -----
    In each window and district up to ``visit_users_per_district`` home-care users whose decision is
    in force the whole window are logged. 75 % are frequent users (2–5 planned visits a day at fixed
    slots ± 20 min); the rest get one visit on about half the days. 10 % of frequent users spend 2–5
    days in hospital (no visits). Planned daytime visits are made by the user's team of 4 with
    probability p, otherwise by one of 36 other district staff; p is solved per user so that the
    expected number of distinct staff equals ``continuity_mean`` (+ ``continuity_effect`` in pilot
    districts after the pilot date) + N(0, CONTINUITY_SD²). Alarm responses (0.12 a day, any hour), meal
    deliveries (25 % of users, by 3 municipal drivers), home-health (HSL) visits by nurses and
    night-patrol visits (22:00–23:30) are logged too; the Kolada rule must exclude them.
    """
    rng = world.rng("visits")
    pilot = world.params["rehab_pilot"]
    per = pilot["visit_users_per_district"]
    home = decisions[decisions["service"].isin(HOME_CARE) & decisions["outcome"].isin(["granted", "partly"])]
    birth = decisions.groupby("person_id")["birth_year"].first()
    parts, truth = [], []
    for window in pilot["visit_windows"]:
        w0 = np.datetime64(window, "D")
        w1 = w0 + 13 * DAY
        inforce = home[(home["start_on"] <= w0) & (home["end_on"] >= w1)]
        for di, unit in enumerate(world.districts):
            cand = np.sort(inforce.loc[inforce["unit"] == unit, "person_id"].unique())
            users = np.sort(rng.choice(cand, min(per, len(cand)), replace=False))
            post = w0 >= np.datetime64(pilot["date"], "D")
            shift = pilot["continuity_effect"] if (post and unit in pilot["treated"]) else 0.0
            for person in users:
                minutes, duration, staff, kind, info = _visits_of_user(rng, di, shift, pilot)
                start = w0.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
                parts.append(pd.DataFrame({
                    "person_id": person, "staff_id": staff, "visit_start": start,
                    "visit_end": start + duration.astype("timedelta64[m]"), "visit_kind": kind, "unit": unit}))
                truth.append({"window": w0, "person_id": person, "unit": unit,
                              "birth_year": int(birth[person]), **info})
    visits = pd.concat(parts, ignore_index=True).sort_values(["visit_start", "person_id", "staff_id"],
                                                             ignore_index=True)
    visits = visits.astype({"person_id": "string", "staff_id": "string", "visit_kind": "string",
                            "unit": "string", "visit_start": "datetime64[ns]", "visit_end": "datetime64[ns]"})
    return visits, pd.DataFrame(truth)


def _visits_of_user(rng, di: int, shift: float, pilot: dict):
    """One user's visits in a window: minutes from the window start, durations, staff, kinds."""
    frequent = rng.random() < 0.75
    k = int(rng.choice([2, 3, 4, 5], p=[0.2, 0.35, 0.3, 0.15])) if frequent else 1
    days = np.arange(14)
    if frequent and rng.random() < 0.10:  # a hospital stay: no visits for 2-5 days
        gone = rng.integers(0, 12)
        days = days[(days < gone) | (days >= gone + rng.integers(2, 6))]
    elif not frequent:
        days = days[rng.random(14) < 0.5]
    day_staff = np.array([f"S{di + 1}{j:03d}" for j in range(1, POOL_SIZE + 1)], dtype=object)
    night_staff = np.array([f"S{di + 1}1{j:02d}" for j in range(1, 9)], dtype=object)
    team = rng.choice(POOL_SIZE, TEAM_SIZE, replace=False)
    others = np.setdiff1d(np.arange(POOL_SIZE), team)
    n_planned = k * len(days)
    top = _expected_distinct(0.0, float(n_planned))
    target = pilot["continuity_mean"] + shift + rng.normal(0, CONTINUITY_SD)
    target = float(np.clip(target, TEAM_SIZE + 0.5, max(top - 0.5, TEAM_SIZE + 0.5)))
    p_team = _team_probability(target, float(n_planned))

    hours, dur, staff, kind = [], [], [], []

    def add(h, d, s, kd):
        hours.append(np.asarray(h, float).ravel())
        dur.append(np.asarray(d).ravel())
        staff.append(np.asarray(s, dtype=object).ravel())
        kind.append(np.full(np.asarray(h).size, kd, dtype=object))

    slots = np.asarray(SLOTS.get(k, (10.0,)))
    t = days[:, None] * 24 + slots[None, :] + rng.normal(0, 20 / 60, (len(days), len(slots)))
    from_team = rng.random(t.size) < p_team
    who = np.where(from_team, day_staff[team[rng.integers(0, TEAM_SIZE, t.size)]],
                   day_staff[others[rng.integers(0, len(others), t.size)]])
    add(t, rng.integers(15, 46, t.size), who, "planned")
    if frequent:  # night patrol, outside 07-22
        night = days[rng.random(len(days)) < 0.15]
        add(night * 24 + 22 + rng.uniform(0.1, 1.5, len(night)), rng.integers(10, 21, len(night)),
            night_staff[rng.integers(0, 8, len(night))], "planned")
    n_alarm = rng.poisson(0.12 * len(days))
    t_alarm = rng.choice(days, n_alarm) * 24 + rng.uniform(0, 24, n_alarm)
    at_night = (t_alarm % 24 < 7) | (t_alarm % 24 >= 22)
    add(t_alarm, rng.integers(10, 31, n_alarm),
        np.where(at_night, night_staff[rng.integers(0, 8, n_alarm)], day_staff[rng.integers(0, POOL_SIZE, n_alarm)]),
        "alarm")
    if rng.random() < 0.25:
        add(days * 24 + rng.uniform(11, 12.5, len(days)), rng.integers(3, 9, len(days)),
            np.array([f"S9{j:03d}" for j in rng.integers(1, 4, len(days))], dtype=object), "meal")
    if rng.random() < 0.30:
        hsl = np.sort(rng.choice(days, min(len(days), int(rng.integers(2, 6))), replace=False))
        add(hsl * 24 + rng.uniform(9, 15, len(hsl)), rng.integers(15, 40, len(hsl)),
            np.array([f"S{di + 1}2{j:02d}" for j in rng.integers(1, 6, len(hsl))], dtype=object), "health")
    minutes = np.round(np.concatenate(hours) * 60).astype(np.int64)
    info = {"frequent": frequent, "days_with_visits": len(days), "visits_per_day": k,
            "target_distinct": target, "p_team": p_team}
    return (minutes, np.concatenate(dur).astype(np.int64), np.concatenate(staff), np.concatenate(kind), info)


# ------------------------------------------------------------------------------------------ writers
def _fmt_date(values: pd.Series, fmt: str = "%Y-%m-%d") -> list[str]:
    return values.dt.strftime(fmt).fillna("").tolist()


def _fmt_hours(values: pd.Series) -> list[str]:
    """Swedish decimal comma, no trailing ',0' (as the case system prints: '24', '41,5')."""
    out = []
    for v in values:
        if pd.isna(v):
            out.append("")
        elif float(v).is_integer():
            out.append(str(int(v)))
        else:
            out.append(f"{float(v):.1f}".replace(".", ","))
    return out


def _ja_nej(values: pd.Series) -> list[str]:
    return [("" if pd.isna(v) else ("Ja" if v else "Nej")) for v in values]


def _write_lines(path: Path, lines: list[str], encoding: str, newline: str, bom: bool = False) -> None:
    text = newline.join(lines) + newline
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def _write_decisions(dec: pd.DataFrame, path: Path, world: World) -> None:
    """Procapita-style report: cp1252, ';', CRLF, 3-line preamble, header repeated per page."""
    cols = [
        dec["decision_id"].tolist(), dec["person_id"].tolist(), dec["unit"].tolist(),
        _fmt_date(dec["applied_on"]), _fmt_date(dec["decided_on"]), _fmt_date(dec["start_on"]),
        _fmt_date(dec["end_on"]), _fmt_date(dec["follow_up_on"]), _fmt_date(dec["followed_up_on"]),
        [OUTCOME_SV[o] for o in dec["outcome"]], dec["service"].tolist(), _fmt_hours(dec["hours_per_month"]),
        dec["law"].tolist(), dec["case_officer_id"].tolist(), [str(int(b)) for b in dec["birth_year"]],
        [("" if pd.isna(a) else LIFE_AREA_SV[a]) for a in dec["life_area"]],
        [("" if pd.isna(c) else c) for c in dec["icf_code"]],
        [("" if pd.isna(q) else str(int(q))) for q in dec["qualifier"]],
        _ja_nej(dec["goal_recorded"]), _ja_nej(dec["own_view_recorded"]),
    ]
    header = ";".join(DECISION_HEADER)
    first, last = world.first_day, world.last_day
    lines = [
        f"Sammanställning beslut Äldreomsorg {first} – {last}",
        f"Urval: Beslut gällande någon gång {first} – {last}; Verksamhet: Hemtjänst m.fl. insatser "
        f"SoL; Enhet: Alla",
        "",
        header,
    ]
    for i, row in enumerate(zip(*cols)):
        if i and i % PAGE_ROWS == 0:
            lines.extend(["", header])
        lines.append(";".join(row))
    _write_lines(path, lines, "cp1252", "\r\n")


def _write_orders(orders: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM, ';', CRLF."""
    lines = [";".join(ORDER_HEADER)]
    lines += [";".join(r) for r in zip(orders["order_id"].tolist(), orders["person_id"].tolist(),
                                       orders["unit"].tolist(),
                                       _fmt_date(orders["changed_on"]),
                                       [CHANGE_TYPE_SV[k] for k in orders["change_type"].tolist()])]
    _write_lines(path, lines, "utf-8", "\r\n", bom=True)


def _write_visits(visits: pd.DataFrame, path: Path) -> None:
    """UTF-8 without BOM, ',', LF, datetimes 'YYYY-MM-DD HH:MM'."""
    fmt = lambda s: _fmt_date(s, "%Y-%m-%d %H:%M")  # noqa: E731
    lines = [",".join(VISIT_HEADER)]
    lines += [",".join(r) for r in zip(visits["person_id"].tolist(), visits["staff_id"].tolist(),
                                       fmt(visits["visit_start"]), fmt(visits["visit_end"]),
                                       [VISIT_KIND_SV[k] for k in visits["visit_kind"].tolist()],
                                       visits["unit"].tolist())]
    _write_lines(path, lines, "utf-8", "\n")


# -------------------------------------------------------------------------------------------- truth
def _continuity(visits: pd.DataFrame, birth: pd.Series, window: np.datetime64) -> pd.DataFrame:
    """Kolada U21401 rule: 65+, ≥ 2 counted visits every day, 07–22, no alarm/meal/health visits."""
    w0 = pd.Timestamp(window)
    v = visits[(visits["visit_start"] >= w0) & (visits["visit_start"] < w0 + pd.Timedelta(days=14))]
    hour = v["visit_start"].dt.hour + v["visit_start"].dt.minute / 60
    counted = v[(v["visit_kind"] == "planned") & (hour >= 7) & (hour <= 22)]
    counted = counted.assign(day=(counted["visit_start"] - w0).dt.days)
    per_day = counted.groupby(["person_id", "day"]).size().unstack(fill_value=0)
    per_day = per_day.reindex(columns=range(14), fill_value=0)
    every_day = (per_day >= 2).all(axis=1)
    age_ok = (w0.year - birth.reindex(per_day.index)) >= 65
    ok = per_day.index[every_day & age_ok]
    staff = counted[counted["person_id"].isin(ok)].groupby(["person_id", "unit"])["staff_id"].nunique()
    return staff.rename("n_staff").reset_index()


def realised_truth(world: World, decisions: pd.DataFrame, orders: pd.DataFrame, visits: pd.DataFrame,
                   faults: dict) -> dict:
    """The effects as they came out in this draw, measured straight from the canonical truth."""
    p = world.params
    d = decisions
    days = (d["decided_on"] - d["applied_on"]).dt.days
    bad = set(faults["decided_before_applied"])
    ok = d["applied_on"].notna() & ~d["decision_id"].isin(bad)
    yr = d["decided_on"].dt.year
    r = {}
    r["processing_mean_2016"] = float(days[ok & (yr == 2016)].mean())
    r["processing_mean_2017"] = float(days[ok & (yr == 2017)].mean())
    r["processing_median_2014_2016"] = float(days[ok & yr.between(2014, 2016)].median())
    r["processing_median_2017_2019"] = float(days[ok & yr.between(2017, 2019)].median())
    for flag in ("goal_recorded", "own_view_recorded"):
        r[f"{flag}_2014_2016"] = float(d.loc[yr.between(2014, 2016), flag].astype(float).mean())
        r[f"{flag}_2017_2019"] = float(d.loc[yr.between(2017, 2019), flag].astype(float).mean())
    # hours per user (stock): factual vs without the pilot, same persons and decisions
    pm = person_months(d, "2016-01-01", "2021-12-31", "hours_per_month")
    cf = person_months(d, "2016-01-01", "2021-12-31", "hours_no_pilot")
    panel = pd.DataFrame({"unit": pm["unit"], "month": pm["month"], "h": pm["hours_per_month"],
                          "h0": cf["hours_no_pilot"]}).dropna()
    panel = panel.groupby(["unit", "month"], as_index=False)[["h", "h0"]].mean()
    treated = panel["unit"].isin(p["rehab_pilot"]["treated"])
    post = panel["month"] >= pd.Timestamp(p["rehab_pilot"]["date"])
    r["hours_att_stock_2019_2021"] = float((panel["h"] - panel["h0"])[treated & post].mean())
    r["hours_att_stock_2020_2021"] = float(
        (panel["h"] - panel["h0"])[treated & (panel["month"] >= pd.Timestamp("2020-01-01"))].mean())
    m = panel.groupby([treated, post])["h"].mean()
    r["hours_did_of_means_2016_2021"] = float((m[True, True] - m[True, False]) - (m[False, True] - m[False, False]))
    m0 = panel.groupby([treated, post])["h0"].mean()
    # the same DiD without the pilot: how far this draw's trends are from parallel (pure noise)
    r["hours_did_of_means_no_pilot"] = float((m0[True, True] - m0[True, False]) - (m0[False, True] - m0[False, False]))
    r["hours_per_user_2016_2018"] = float(panel.loc[~post, "h"].mean())
    new = d[d["service"].isin(HOME_CARE) & d["hours_per_month"].notna()
            & d["unit"].isin(p["rehab_pilot"]["treated"]) & (d["decided_on"] >= pd.Timestamp(p["rehab_pilot"]["date"]))]
    r["hours_effect_new_decisions"] = float((new["hours_per_month"] - new["hours_no_pilot"]).mean())
    # order changes per 100 active users, same 12 calendar months before and after
    act = person_months(d, world.first_day, world.last_day).groupby("month").size()
    chg = orders.groupby(orders["changed_on"].dt.to_period("M").dt.to_timestamp()).size()
    rate = 100 * chg.reindex(act.index, fill_value=0) / act
    fc = pd.Timestamp(p["flexible_codes"]["date"])
    before = rate[(rate.index >= fc - pd.DateOffset(months=12)) & (rate.index < fc)]
    after = rate[(rate.index >= fc) & (rate.index < fc + pd.DateOffset(months=12))]
    r["order_changes_per_100_2019_10_2020_09"] = float(before.mean())
    r["order_changes_rate_ratio_12m"] = float(after.mean() / before.mean())
    r["active_users_2013_01"] = int(act.iloc[0])
    r["active_users_2022_12"] = int(act.iloc[-1])
    # continuity (Kolada rule)
    birth = d.groupby("person_id")["birth_year"].first().astype(float)
    cont = []
    for w in p["rehab_pilot"]["visit_windows"]:
        c = _continuity(visits, birth, np.datetime64(w, "D"))
        cont.append(c.assign(window=pd.Timestamp(w)))
    cont = pd.concat(cont, ignore_index=True)
    tr = cont["unit"].isin(p["rehab_pilot"]["treated"])
    pre = cont["window"] < pd.Timestamp(p["rehab_pilot"]["date"])
    r["continuity_eligible_users"] = int(len(cont))
    r["continuity_mean_all"] = float(cont["n_staff"].mean())
    r["continuity_mean_pre"] = float(cont.loc[pre, "n_staff"].mean())
    c = cont.groupby([tr, pre])["n_staff"].mean()
    r["continuity_did"] = float((c[True, False] - c[True, True]) - (c[False, False] - c[False, True]))
    r["rows_decisions"] = int(len(d))
    r["rows_orders"] = int(len(orders))
    r["rows_visits"] = int(len(visits))
    for k, v in faults.items():
        r[f"fault_{k}"] = len(v)
    return r


# ------------------------------------------------------------------------------------ README tables
FAULT_TEXT = {
    "decided_before_applied": "Beslutsdatum before Ansökningsdatum (application year typed one too high)",
    "end_before_start": "Avslutsdatum before Verkställighetsdatum (end year typed two too low)",
    "granted_home_care_without_hours": "granted Hemtjänst decision with empty Beviljade timmar/mån",
}


def _fidelity_rows(ibic: dict) -> list[tuple[str, ...]]:
    """README rows of the per-unit documentation shares after the IBIC date (``[ibic.fidelity]``)."""
    f = ibic.get("fidelity")
    if not f:
        return []
    rows = []
    for flag in ("goal_recorded", "own_view_recorded"):
        shares = ", ".join(f"{u} {p:g}" for u, p in f[flag].items())
        rows.append(("IBIC fidelity", f"{ibic['date']}", "per unit", f"{flag} after the date", shares))
    rows.append(("IBIC fidelity", f"{ibic['date']}", "per unit", "high / low implementers (model \"ibic\")",
                 f"high: {', '.join(f['high_implementers'])}; low: {', '.join(f['low_implementers'])} "
                 f"(mean fidelity index ≥ {f['index_threshold']:g} in the last 6 months)"))
    return rows


def render_effects_table(effects: dict) -> str:
    """The README's table of true effects, rendered from ``effects.toml``."""
    i, rp, fc, cv = effects["ibic"], effects["rehab_pilot"], effects["flexible_codes"], effects["distractors"]["covid"]
    rows = [
        ("IBIC", f"{i['date']}", "all", "processing_days (application → decision)",
         f"level change +{i['processing_days_level_change']:g} days on a mean of "
         f"{i['processing_days_mean_before']:g} (whole distribution shifts; slope change "
         f"{i['processing_days_slope_change_per_year']:g}/yr; July +{i['processing_days_july_extra']:g} days every year)"),
        ("IBIC", f"{i['date']}", "all", "goal_recorded_share",
         f"{i['goal_recorded_before']:g} → {i['goal_recorded_after']:g} (level change "
         f"+{i['goal_recorded_after'] - i['goal_recorded_before']:.2f})"),
        ("IBIC", f"{i['date']}", "all", "own_view_recorded_share",
         f"{i['own_view_recorded_before']:g} → {i['own_view_recorded_after']:g} (level change "
         f"+{i['own_view_recorded_after'] - i['own_view_recorded_before']:.2f})"),
        *_fidelity_rows(i),
        ("Rehab pilot", f"{rp['date']}", " and ".join(rp["treated"]), "hours_per_month of new home-care decisions",
         f"× {rp['hours_ratio']:g} ({(rp['hours_ratio'] - 1) * 100:+.0f} %); the monthly stock "
         f"hours_per_user follows as decisions are renewed (time limit {effects['world']['time_limit_months']} months)"),
        ("Rehab pilot", f"{rp['date']}", " and ".join(rp["treated"]), "staff continuity (distinct staff in 14 days)",
         f"{rp['continuity_mean']:g} expected everywhere; {rp['continuity_effect']:+g} in the pilot districts "
         f"in windows after the date"),
        ("Flexible codes", f"{fc['date']}", "all", "order_changes per active user",
         f"rate ratio {fc['rate_ratio']:g} on a base of {fc['order_changes_per_100_base']:g} per 100 users "
         f"a month; trend ×{1 + fc['trend_per_year']:g}/yr; NB shape {fc['overdispersion_shape']:g}"),
        ("COVID (distractor)", f"{cv['start']} – {cv['end']}", "all", "new applications",
         f"× {cv['new_applications_ratio']:g}; none of the outcomes above is affected"),
    ]
    lines = ["| change | from | units | outcome | true effect |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "| planted data-quality fault (decision rows; flag, do not drop) | rows |", "|---|---|"]
    lines += [f"| {FAULT_TEXT[k]} | {v} |" for k, v in effects["faults"].items()]
    return "\n".join(lines)


def render_truth_table(truth: dict) -> str:
    """The README's table of what the committed draw realised (measured from the canonical truth)."""
    lines = ["| quantity | realised |", "|---|---|"]
    for k, v in truth.items():
        lines.append(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |")
    return "\n".join(lines)


def _replace_block(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    a, b = text.index(start) + len(start), text.index(end)
    return text[:a] + "\n" + body + "\n" + text[b:]


def update_readme(truth: dict, effects: dict, readme: Path = HERE / "README.md") -> None:
    """Rewrite the two generated tables in the README (between their markers)."""
    text = readme.read_text(encoding="utf-8")
    text = _replace_block(text, "effects", render_effects_table(effects))
    text = _replace_block(text, "realised", render_truth_table(truth))
    readme.write_bytes(text.encode("utf-8"))


# ---------------------------------------------------------------------------------------- generate
def generate(out_dir: str | Path = HERE, seed: int | None = None, effects: dict | None = None) -> dict:
    """Simulate Exempelkommun and write its export files into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Folder to write :data:`FILES` into (created if missing).
    seed : int, optional
        Defaults to ``[world] seed`` of ``effects.toml`` (the committed files use it).
    effects : dict, optional
        Parameters; defaults to ``effects.toml`` beside this script.

    Returns
    -------
    dict
        ``world``, the canonical ``decisions`` (with truth helpers ``hours_no_pilot`` and ``exit_on``),
        ``orders``, ``visits``, ``visit_truth``, ``faults`` (decision ids per planted fault),
        ``truth`` (realised effects) and ``files`` (paths written).

    Examples
    --------
    >>> import tempfile
    >>> out = generate(tempfile.mkdtemp())
    >>> sorted(p.name for p in out["files"])
    ['andrade_bestallningar.csv', 'beslut_procapita.csv', 'besok.csv']
    >>> round(out["truth"]["goal_recorded_2017_2019"], 2)
    0.75
    """
    world = build_world(effects, seed)
    decisions, faults = decisions_table(world)
    orders = orders_table(world, decisions)
    visits, visit_truth = visits_table(world, decisions)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_decisions(decisions, out / FILES[0], world)
    _write_orders(orders, out / FILES[1])
    _write_visits(visits, out / FILES[2])
    truth = realised_truth(world, decisions, orders, visits, faults)
    return {"world": world, "decisions": decisions, "orders": orders, "visits": visits,
            "visit_truth": visit_truth, "faults": faults, "truth": truth,
            "files": [out / f for f in FILES]}


if __name__ == "__main__":
    result = generate(HERE)
    update_readme(result["truth"], result["world"].params)
    for f in result["files"]:
        print(f"{f.name}: {f.stat().st_size:,} bytes", file=sys.stderr)
