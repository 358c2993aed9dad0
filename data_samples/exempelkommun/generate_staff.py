"""Exempelkommun's home-care staff: an HR export (Heroma-style) and two staff-survey waves, with known effects.

Run ``python data_samples/exempelkommun/generate_staff.py`` to rewrite the committed files; import it and
call :func:`generate_staff` to write them elsewhere and get the frames back. Every number comes from
``staff_effects.toml``; :func:`truths` derives the effects the analyses should recover from it.

The model (fictional, deliberately simple so that the truths are exact expectations):

* Each district's home-care team keeps its size. A permanent employee leaves the employer in a month with
  ``leave_probability_before`` (treated teams from the change date: ``leave_probability_after_treated``); a
  temporary one with the same probability; every leaver is replaced the next month by a new employee.
  The new employee takes the same post (profession, form of employment, employment rate).
* A monthly employee's scheduled hours are ``rate/100 × full_time_hours``; hourly-paid staff have no
  schedule and work gamma-distributed hours.
* Short-term sick hours are scheduled hours × an exponential share with the expected short share (winter
  extra in December–March); long-term sick hours × a gamma share (shape ``long_gamma_shape``) with the
  expected long share. In the treated teams both expected shares change by the configured level change
  from the change date. Months are independent (no spells, and a share is capped at the month's scheduled
  hours, which the expected shares are far from): the sample is for checking the estimators, not for
  modelling absence.
* Survey: a census of the staff employed on the survey day of each wave (hourly-paid staff included, as SKR
  recommends for HME); ``response_rate`` answer. Each item is
  1 + the number of cut points (1.5, 2.5, 3.5, 4.5) below ``mu + person + noise``; the treated teams' latent
  mean shifts in the wave after the change.

Random stream: ``numpy.random.default_rng([seed, STAFF_STREAM])`` with its own seed in staff_effects.toml
(``STAFF_STREAM = 301``, a number generate.STREAMS never uses), so no other sample file changes.

Files: ``personal_heroma.csv`` (cp1252, ';', CRLF, decimal comma, Heroma-like Swedish headers, period as
``202103``) and ``medarbetarenkat.csv`` (UTF-8, ';', answer codes 1–5).
"""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
EFFECTS = HERE / "staff_effects.toml"
STAFF_STREAM = 301
STAFF_FILES = ("personal_heroma.csv", "medarbetarenkat.csv")
HME_ITEMS = ("hme_meningsfullt", "hme_utvecklas", "hme_fram_emot", "hme_uppskattning", "hme_fortroende",
             "hme_ansvar", "hme_mal", "hme_forvantningar", "hme_uppfoljning")
CUTS = (1.5, 2.5, 3.5, 4.5)
HEADERS = {
    "employee_id": "Anst.nr", "unit": "Arbetsplats", "month": "Period", "profession": "Befattning",
    "employment": "Anställningsform", "employment_rate": "Sysselsättningsgrad", "start": "Anställd from",
    "end": "Anställd tom", "scheduled": "Schemalagd tid", "worked": "Arbetad tid",
    "short": "Sjuk dag 1-14", "long": "Sjuk dag 15-", "overtime": "Övertid", "extra": "Mertid",
}

__all__ = ["load_staff_effects", "truths", "hr_table", "survey_table", "generate_staff", "STAFF_FILES"]


def load_staff_effects(path: str | Path = EFFECTS) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def expected_answer(mu: float, sd: float) -> float:
    """E[answer] on 1–5 when answer = 1 + #cut points below N(mu, sd)."""
    return 1.0 + sum(_phi((mu - c) / sd) for c in CUTS)


def truths(eff: dict | None = None) -> dict:
    """The effects the analyses should recover, derived exactly from the generating parameters."""
    eff = eff or load_staff_effects()
    s, ch, sv = eff["staff"], eff["staff"]["change"], eff["staff"]["survey"]
    sd = math.hypot(sv["sd_person"], sv["sd_item"])
    hme = lambda mu: (expected_answer(mu, sd) - 1.0) * 25.0  # noqa: E731
    high = lambda mu: 1.0 - _phi((3.5 - mu) / sd)  # noqa: E731
    sizes = dict(zip(s["teams"], s["team_sizes"]))
    treated_share = sum(sizes[t] for t in ch["treated"]) / sum(sizes.values())
    effect = ch["short_change"] + ch["long_change"]
    return {
        "sick_leave_did": effect,
        "sick_leave_short_did": ch["short_change"],
        "sick_leave_long_did": ch["long_change"],
        # the municipality's level change, in expectation (scheduled hours are proportional to team size)
        "sick_leave_total_level_change": effect * treated_share,
        "turnover_permanent_did": ch["leave_probability_after_treated"] - ch["leave_probability_before"],
        "hme_index_did": hme(sv["hme_mu"] + sv["hme_shift_treated_after"]) - hme(sv["hme_mu"]),
        "stress_mean_did": expected_answer(sv["stress_mu"] + sv["stress_shift_treated_after"], sd)
        - expected_answer(sv["stress_mu"], sd),
        "stress_high_did": high(sv["stress_mu"] + sv["stress_shift_treated_after"]) - high(sv["stress_mu"]),
        "hme_index_before": hme(sv["hme_mu"]),
    }


def _draw(rng, table: dict, n: int) -> np.ndarray:
    labels = list(table)
    p = np.array([table[k] for k in labels], dtype=float)
    return np.array(labels, dtype=object)[rng.choice(len(labels), size=n, p=p / p.sum())]


def _new_employee(rng, s: dict, next_id: list[int], hired: pd.Timestamp, initial: bool) -> dict:
    next_id[0] += 1
    form = _draw(rng, s["employment"], 1)[0]
    start = hired - pd.Timedelta(days=int(rng.integers(30, 4000))) if initial else hired
    return {"id": f"M{next_id[0]:04d}", "profession": _draw(rng, s["professions"], 1)[0], "employment": form,
            "rate": int(rng.choice(s["employment_rates"])) if form != "Timavlönad" else None, "start": start}


def hr_table(eff: dict | None = None) -> pd.DataFrame:
    """One row per employee × team × month, with the export's Swedish headers' canonical meaning."""
    eff = eff or load_staff_effects()
    s, sick, ch = eff["staff"], eff["staff"]["sick_leave"], eff["staff"]["change"]
    rng = np.random.default_rng([int(s["seed"]), STAFF_STREAM])
    months = pd.date_range(pd.Timestamp(s["first_month"] + "-01"), pd.Timestamp(s["last_month"] + "-01"), freq="MS")
    change = pd.Timestamp(ch["date"])
    next_id = [0]
    rows = []
    for team, size in zip(s["teams"], s["team_sizes"]):
        treated = team in ch["treated"]
        # every team has one manager (enhetschef, permanent, full time) besides its care staff
        staff = [{**_new_employee(rng, s, next_id, months[0], True), "profession": "Enhetschef",
                  "employment": "Tillsvidare", "rate": 100}]
        staff += [_new_employee(rng, s, next_id, months[0], True) for _ in range(size - 1)]
        for month in months:
            post = treated and month >= change
            leave_p = ch["leave_probability_after_treated"] if post else ch["leave_probability_before"]
            short = sick["short_before"] + (sick["winter_short_extra"] if month.month in (12, 1, 2, 3) else 0.0)
            long = sick["long_before"] + (ch["long_change"] if post else 0.0)
            short += ch["short_change"] if post else 0.0
            replaced = []
            for e in staff:
                row = _month_row(rng, s, sick, ch, e, team, month, short, long)
                leaves = e["employment"] != "Timavlönad" and rng.random() < leave_p
                if leaves:
                    day = int(rng.integers(1, month.days_in_month + 1))
                    row["end"] = month + pd.Timedelta(days=day - 1)
                    replaced.append(e)
                rows.append(row)
            for e in replaced:  # the post is filled again: same profession and form of employment
                staff.remove(e)
                hire = _new_employee(rng, s, next_id, month + pd.offsets.MonthBegin(1), False)
                staff.append({**hire, "profession": e["profession"], "employment": e["employment"],
                              "rate": e["rate"]})
    return pd.DataFrame(rows)


def _month_row(rng, s, sick, ch, e, team, month, short, long) -> dict:
    hourly = e["employment"] == "Timavlönad"
    scheduled = 0.0 if hourly else round(e["rate"] / 100.0 * s["full_time_hours"], 2)
    if hourly:
        worked, short_h, long_h = round(float(rng.gamma(3.0, s["hourly_mean_hours"] / 3.0)), 2), 0.0, 0.0
        overtime = extra = 0.0
    else:
        short_h = min(scheduled, scheduled * float(rng.exponential(short)))
        shape = sick["long_gamma_shape"]
        long_h = min(scheduled - short_h, scheduled * float(rng.gamma(shape, long / shape)))
        overtime = float(rng.exponential(ch["overtime_mean_hours"]))
        extra = float(rng.exponential(ch["extra_mean_hours"])) if e["rate"] < 100 else 0.0
        worked = scheduled - short_h - long_h + overtime + extra
    return {"employee_id": e["id"], "unit": team, "month": month, "profession": e["profession"],
            "employment": e["employment"], "employment_rate": e["rate"], "start": e["start"], "end": pd.NaT,
            "scheduled": scheduled, "worked": round(worked, 2), "short": round(short_h, 2), "long": round(long_h, 2),
            "overtime": round(overtime, 2), "extra": round(extra, 2)}


def survey_table(hr: pd.DataFrame, eff: dict | None = None) -> pd.DataFrame:
    """A census of the staff on each wave's survey day; answers as codes 1–5 (blank = no answer)."""
    eff = eff or load_staff_effects()
    sv, ch = eff["staff"]["survey"], eff["staff"]["change"]
    rng = np.random.default_rng([int(eff["staff"]["seed"]), STAFF_STREAM, 1])
    rows = []
    n = 0
    for wave in sv["waves"]:
        day = pd.Timestamp(year=int(wave), month=int(sv["survey_day_month"]), day=1)
        frame = hr[hr["month"] == day]
        population = frame.groupby("unit")["employee_id"].nunique()
        after = day >= pd.Timestamp(ch["date"])
        for _, e in frame.iterrows():
            if rng.random() >= sv["response_rate"]:
                continue
            n += 1
            shift = after and e["unit"] in ch["treated"]
            person = rng.normal(0.0, sv["sd_person"], 2)
            row = {"löpnr": f"R{n:04d}", "omgång": int(wave), "enhet": e["unit"], "yrke": e["profession"],
                   "populationsstorlek": int(population[e["unit"]])}
            mu = sv["hme_mu"] + (sv["hme_shift_treated_after"] if shift else 0.0)
            for item in HME_ITEMS:
                row[item] = _answer(rng, mu + person[0], sv)
            row["stress"] = _answer(rng, sv["stress_mu"] + (sv["stress_shift_treated_after"] if shift else 0.0)
                                    + person[1], sv)
            rows.append(row)
    return pd.DataFrame(rows)


def _answer(rng, latent: float, sv: dict):
    value = latent + rng.normal(0.0, sv["sd_item"])
    answer = 1 + sum(value > c for c in CUTS)
    return None if rng.random() < sv["item_missing"] else int(answer)


def _num(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.2f}".replace(".", ",") if isinstance(x, float) else str(x)


def _date(x) -> str:
    return "" if pd.isna(x) else pd.Timestamp(x).strftime("%Y-%m-%d")


def write_hr(hr: pd.DataFrame, path: Path) -> None:
    cols = list(HEADERS)
    lines = [";".join(HEADERS[c] for c in cols)]
    for r in hr.itertuples(index=False):
        d = r._asdict()
        cells = {**{k: _num(d[k]) for k in ("scheduled", "worked", "short", "long", "overtime", "extra")},
                 "employee_id": d["employee_id"], "unit": d["unit"], "month": d["month"].strftime("%Y%m"),
                 "profession": d["profession"], "employment": d["employment"],
                 "employment_rate": "" if d["employment_rate"] is None or pd.isna(d["employment_rate"])
                 else str(int(d["employment_rate"])),
                 "start": _date(d["start"]), "end": _date(d["end"])}
        lines.append(";".join(cells[c] for c in cols))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def write_survey(survey: pd.DataFrame, path: Path) -> None:
    lines = [";".join(survey.columns)]
    for r in survey.itertuples(index=False):
        lines.append(";".join("" if v is None or (isinstance(v, float) and math.isnan(v)) else
                              str(int(v)) if isinstance(v, float) else str(v) for v in r))
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def generate_staff(out: str | Path = HERE, eff: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write the HR export and the staff survey to ``out``; return both frames."""
    out = Path(out)
    hr = hr_table(eff)
    survey = survey_table(hr, eff)
    write_hr(hr, out / STAFF_FILES[0])
    write_survey(survey, out / STAFF_FILES[1])
    return hr, survey


if __name__ == "__main__":
    hr, survey = generate_staff()
    print(f"{len(hr)} HR rows, {len(survey)} survey respondents; truths: {truths()}")
