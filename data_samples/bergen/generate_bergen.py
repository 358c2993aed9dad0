"""Generate the Bergen-style pre/post staff questionnaire on user participation in IP goals.

Staff in two units answer the same questionnaire before and after a training in user participation in
the goals of the individual plan (individuell plan, IP). Each staff member has a pseudonymous id
(``P-`` + five digits, drawn at random, the same before and after) so the answers can be paired.
True effects, response rates and the latent model are in ``ip_effects.toml``; the codebook (Norwegian
wording and labels) is ``kodebok_ip.toml``.

Run from the project root::

    .venv/bin/python data_samples/bergen/generate_bergen.py

Same seed → identical bytes (``tests/test_survey_paired.py`` checks it). The generator does not use the
Swedish sample world (``data_samples/exempelkommun/generate.py``): this is a separate, Norwegian example.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUTPUT = "ip_sporreskjema.csv"
COLUMNS = ["respondent_id", "enhet", "tidspunkt", "mal_egne_ord", "bruker_evaluerer", "vet_hvordan", "trives"]
PERIODS = ("før", "etter")


def load_effects(path: Path = HERE / "ip_effects.toml") -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def load_scales(path: Path = HERE / "kodebok_ip.toml") -> tuple[dict, dict]:
    """Scale labels worst → best per scale, and each item's scale name."""
    with open(path, "rb") as f:
        cb = tomllib.load(f)
    scales = {name: list(spec["labels"])[::-1] for name, spec in cb["scales"].items()}
    return scales, {it["item"]: it["scale"] for it in cb["items"]}


def staff(effects: dict, rng: np.random.Generator) -> list[tuple[str, str]]:
    """(pseudonymous id, unit) for every staff member asked; ids unique, in random order within unit."""
    n = sum(effects["units"].values())
    ids = rng.choice(np.arange(10000, 100000), size=n, replace=False)
    units = [u for u, k in effects["units"].items() for _ in range(k)]
    return [(f"P-{i}", u) for i, u in zip(ids, units)]


def answer(latent: float, cuts: list[float], labels: list[str], dont_know: bool) -> str:
    return "Vet ikke" if dont_know else labels[int(np.searchsorted(cuts, latent))]


def rows(effects: dict | None = None, seed: int | None = None) -> list[list[str]]:
    effects = effects or load_effects()
    rng = np.random.default_rng(effects["seed"] if seed is None else seed)
    scales, item_scale = load_scales()
    items = list(effects["items"])
    out = []
    for pid, unit in staff(effects, rng):
        person = rng.normal(size=len(items))
        answered_before = rng.random() < effects["answer_before"]
        answered_after = answered_before and rng.random() < effects["answer_after"]
        for t, (period, took_part) in enumerate(zip(PERIODS, (answered_before, answered_after))):
            noise = rng.normal(size=len(items))
            dk = rng.random(len(items)) < effects["dont_know"]
            if not took_part:
                continue
            answers = []
            for j, item in enumerate(items):
                spec = effects["items"][item]
                latent = spec["mean"] + 0.7 * person[j] + 0.7 * noise[j] + spec["shift"] * t
                scale = item_scale[item]
                answers.append(answer(latent, effects["thresholds"][scale], scales[scale], dk[j]))
            out.append([pid, unit, period, *answers])
    return out


def write(out_dir: Path = HERE, seed: int | None = None) -> Path:
    path = Path(out_dir) / OUTPUT
    lines = [";".join(COLUMNS)] + [";".join(r) for r in rows(seed=seed)]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


if __name__ == "__main__":
    print(write())
