"""Exempelkommun's yearly user survey ("Vad tycker de äldre om äldreomsorgen?"), with known effects.

Run ``python data_samples/exempelkommun/generate_survey.py`` to rewrite the committed survey files; import
it and call :func:`generate_survey` to write them elsewhere and get the frames back.

Respondents are the home-care users aged 65+ of :func:`generate.build_world` who are in home care on the
survey day each year (2015–2022); a random ``sampled_share`` is sent a questionnaire and ``response_rate``
answer. Each item's answer is positive with the probability in ``survey_effects.toml``
(``share_before`` + ``change_after`` from the first IBIC wave on), "vet inte" with ``dont_know_share``; a
positive answer is split evenly between the two positive labels and a non-positive one between the
neutral and negative labels. The overall item does not change (negative control).

Random stream: ``numpy.random.default_rng([seed, SURVEY_STREAM])`` with ``SURVEY_STREAM = 101`` (a
number generate.STREAMS will never reuse; the lead should register ``"survey": 101`` there), so the
other sample files stay byte-identical.

Files: ``brukarundersokning.csv`` (UTF-8, ';', answer text), ``brukarundersokning_utskick.csv``
(questionnaires sent per wave and district) and ``brukarundersokning_2019.sav`` (one wave as numeric codes
with SPSS value labels; pyreadstat stamps the creation time into the file header, so the test compares the
data read back, not the bytes).
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import build_world, load_effects  # noqa: E402

__all__ = ["SURVEY_STREAM", "SURVEY_FILES", "load_survey_effects", "survey_table", "generate_survey"]

SURVEY_STREAM = 101
SURVEY_FILES = ("brukarundersokning.csv", "brukarundersokning_utskick.csv", "brukarundersokning_2019.sav")
EFFECTS = HERE / "survey_effects.toml"
WHO = {"self": "Den äldre själv", "with_help": "Den äldre med hjälp av någon annan", "other": "Någon annan"}


def load_survey_effects(path: str | Path = EFFECTS) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _active_users(world, day: np.datetime64) -> pd.DataFrame:
    p = world.persons
    start = p["start_on"].fillna(p["applied_on"])
    end = p["exit_on"].fillna(start + pd.to_timedelta(p["stay_days"], unit="D"))
    age = pd.Timestamp(day).year - p["birth_year"]
    keep = (start <= day) & (end > day) & (p["outcome"] != "denied") & (age >= 65)
    return p.loc[keep, ["person_id", "unit"]]


def survey_table(world, eff: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Respondents (one row each, answers as labels) and questionnaires sent per wave and district."""
    from evalkit.io.surveys import load_codebook

    cb = load_codebook("aldreomsorg_hemtjanst")
    s = eff["survey"]
    rng = np.random.default_rng([world.seed, SURVEY_STREAM])
    rows, sent = [], []
    who_p = np.array([s["answered_by"][k] for k in WHO])
    for wave in range(s["first_wave"], s["last_wave"] + 1):
        users = _active_users(world, np.datetime64(f"{wave}-{s['survey_day']}"))
        users = users[rng.random(len(users)) < s["sampled_share"]]
        for unit in world.districts:
            sent.append({"wave": wave, "unit": unit, "sent": int((users["unit"] == unit).sum())})
        resp = users[rng.random(len(users)) < s["response_rate"]].reset_index(drop=True)
        after = wave >= eff["ibic"]["first_after_wave"]
        frame = {"wave": wave, "unit": resp["unit"],
                 "vem_besvarade": [WHO[k] for k in rng.choice(list(WHO), len(resp), p=who_p)]}
        for item, spec in eff["items"].items():
            share = spec["share_before"] + (spec["change_after"] if after else 0.0)
            frame[item] = _answers(rng, cb.items[item].scale, share, s["dont_know_share"], len(resp))
        rows.append(pd.DataFrame(frame))
    table = pd.concat(rows, ignore_index=True)
    table.insert(0, "lopnr", [f"R{i:05d}" for i in range(1, len(table) + 1)])
    return table, pd.DataFrame(sent)


def _answers(rng, scale, share: float, dont_know: float, n: int) -> list[str]:
    u = rng.random(n)
    pos = list(scale.positive)
    rest = [lab for lab in scale.labels if lab not in scale.positive]
    out = np.where(u < share, np.array(pos, dtype=object)[rng.integers(0, len(pos), n)],
                   np.array(rest, dtype=object)[rng.integers(0, len(rest), n)])
    dk = rng.random(n) < dont_know
    out = np.where(dk & bool(scale.dont_know), scale.dont_know[0] if scale.dont_know else "", out)
    return list(out)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    lines = [";".join(frame.columns)] + [";".join(str(v) for v in row) for row in frame.itertuples(index=False)]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def _write_sav(frame: pd.DataFrame, path: Path) -> None:
    import pyreadstat
    from evalkit.io.surveys import load_codebook

    cb = load_codebook("aldreomsorg_hemtjanst")
    out = pd.DataFrame({"lopnr": frame["lopnr"], "wave": frame["wave"].astype(float), "unit": frame["unit"]})
    labels, missing = {}, {}
    who_codes = {v: float(k) for k, v in cb.answered_by_codes.items()}
    out["vem_besvarade"] = frame["vem_besvarade"].map(who_codes)
    labels["vem_besvarade"] = {c: lab for lab, c in who_codes.items()}
    for item in frame.columns:
        if item not in cb.items:
            continue
        scale = cb.items[item].scale
        code_of = {lab: c for c, lab in scale.code_map().items()}
        out[item] = frame[item].map(code_of)
        labels[item] = {c: lab for lab, c in code_of.items()}
        missing[item] = [code_of[d] for d in scale.dont_know]
    pyreadstat.write_sav(out, str(path), variable_value_labels=labels,
                         missing_ranges={k: v for k, v in missing.items() if v},
                         column_labels={i: cb.items[i].text for i in frame.columns if i in cb.items})


def generate_survey(out_dir: str | Path = HERE, seed: int | None = None) -> dict:
    """Write the survey files into ``out_dir``; return the frames."""
    out = Path(out_dir)
    world = build_world(load_effects(), seed=seed)
    eff = load_survey_effects()
    table, sent = survey_table(world, eff)
    _write_csv(table, out / SURVEY_FILES[0])
    _write_csv(sent, out / SURVEY_FILES[1])
    _write_sav(table[table["wave"] == eff["survey"]["sav_wave"]], out / SURVEY_FILES[2])
    return {"responses": table, "sent": sent}


if __name__ == "__main__":
    generate_survey()
