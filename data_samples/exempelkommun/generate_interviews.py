"""Generate the ~30 coded interviews of Exempelkommun as a REFI-QDA project (``intervjuer.qdpx``).

Run ``python data_samples/exempelkommun/generate_interviews.py`` to rewrite ``intervjuer.qdpx`` and
the README block in ``README_interviews.md``. The true patterns (probability that an interview of a
stakeholder group raises a theme, before and after IBIC) are in ``interview_effects.toml``; the
world's seed and dates come from ``effects.toml`` through :func:`generate.load_effects`.

Each interview is a few short Swedish paragraphs written from templates: an opening, one paragraph
per theme raised (coded with that theme by coder A, the paragraph being the segment), and filler
paragraphs. About 20 % are coded again by coder B, who leaves out a coded theme with a known
probability and now and then codes an absent theme on a filler paragraph — so the agreement between
coders is known in advance. Some relatives' and users' paragraphs name staff ("Lena Berg") or give
a phone number, to show that quotes are masked.

Random draws come only from ``numpy.random.default_rng([world seed, stream])`` with the stream of
``interview_effects.toml`` (101, unused by generate.py), so the same seed gives the same bytes and
the other sample files are untouched.

>>> import tempfile, pathlib
>>> out = generate(pathlib.Path(tempfile.mkdtemp()))
>>> len(out["codings"].sources), out["codings"].segments["coder"].nunique()
(30, 2)
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from generate import load_effects  # noqa: E402

from evalkit.io.codings import Codings, ImportReport, finish_tables, stable_guid  # noqa: E402
from evalkit.io.refi_write import write_qdpx  # noqa: E402

__all__ = ["INTERVIEW_EFFECTS", "FILE", "load_interview_effects", "interviews", "generate", "render_readme"]

INTERVIEW_EFFECTS = HERE / "interview_effects.toml"
FILE = "intervjuer.qdpx"
CODERS = ("kodare_a", "kodare_b")

ROLE_SV = {"handläggare": "Handläggare", "hemtjänstpersonal": "Hemtjänstpersonal", "chef": "Chef",
           "politiker": "Politiker", "anhörig": "Anhörig", "brukare": "Brukare"}

OPENING = {
    "handläggare": "Jag har arbetat som biståndshandläggare i {unit} i några år och gör utredningar om hemtjänst.",
    "hemtjänstpersonal": "Jag jobbar i hemtjänsten i {unit}, mest dagpass, och har ett tiotal brukare.",
    "chef": "Jag är enhetschef för hemtjänsten i {unit} och har ansvar för personal och budget.",
    "politiker": "Jag sitter i socialnämnden och följer äldreomsorgen i hela kommunen, även {unit}.",
    "anhörig": "Min mamma har haft hemtjänst i {unit} i ungefär två år, och jag hjälper henne med kontakterna.",
    "brukare": "Jag bor kvar hemma i {unit} och får hjälp av hemtjänsten flera gånger om dagen.",
}
FILLER = (
    "Det är mycket som har hänt de senaste åren, både i organisationen och i vardagen.",
    "Vi pratar ofta om det här på arbetsplatsträffarna, men det tar tid innan något ändras.",
    "Jag vet inte om jag har så mycket mer att säga om det, det mesta fungerar som vanligt.",
    "Ibland känns det som att besluten fattas långt bort från dem det gäller.",
    "Vintern är alltid svårast, då är det fler som behöver hjälp och färre som kan jobba.",
)
THEME_TEXT = {
    "langre_handlaggningstid": (
        "Utredningarna tar längre tid nu, vi ska beskriva behoven per livsområde och det blir fler samtal innan beslut.",
        "Det dröjde flera veckor innan beslutet kom, längre än jag hade trott.",
        "Handläggningen har blivit grundligare men också långsammare, ärendena ligger kvar längre hos oss.",
    ),
    "mal_dokumenteras": (
        "Nu står det mål i beslutet, till exempel att kunna gå till affären själv, och det gör att vi vet vad vi ska sträva efter.",
        "I genomförandeplanen finns målen med, så alla vet vad insatsen ska leda till.",
        "Vi skriver in målen i utredningen på ett annat sätt än förut, de blir tydligare.",
    ),
    "egen_uppfattning": (
        "Jag fick berätta själv hur jag ville ha det, och det skrevs ner med mina egna ord.",
        "Den enskildes egen bild av sina behov kommer fram bättre i samtalen nu.",
        "Man frågade vad jag själv tyckte var viktigast, det hade ingen gjort förut.",
    ),
    "minutstyrning": (
        "Allt är uppdelat i minuter, sju minuter för dusch och fem för frukost, och man hinner aldrig prata.",
        "Vi måste ringa och ändra beställningen så fort något tar längre tid, det är väldigt styrt.",
        "De springer hela tiden och tittar på klockan, det är tiden som bestämmer och inte behoven.",
    ),
    "bemotande": (
        "Personalen är vänlig och lyhörd, de tar sig tid att fråga hur man mår.",
        "Bemötandet är bra, det säger nästan alla vi träffar.",
        "De är alltid trevliga när de kommer, det betyder mycket.",
    ),
    "samarbete": (
        "Samarbetet mellan handläggare och utförare har blivit bättre, vi pratar med varandra om målen.",
        "Det är lättare att nå handläggaren nu och vi löser saker tillsammans.",
        "Vi har gemensamma möten med biståndsenheten och det märks i ärendena.",
    ),
    "kontinuitet": (
        "Det kommer nya ansikten hela tiden, ibland fem olika personer på en dag.",
        "Vår kontaktperson Lena Berg kommer ibland, men oftast är det vikarier som inte känner mamma.",
        "Kontinuiteten är fortfarande ett problem, särskilt på helgerna och under semestern.",
    ),
    "uppfoljning": (
        "Målen skrivs in men de följs sällan upp, det saknas tid för uppföljning.",
        "Ingen har frågat efter ett år om målen nåddes, jag ringde själv till 070-123 45 67 men fick inget svar.",
        "Uppföljningen av målen är det som återstår, där har vi inte kommit långt.",
    ),
}


def load_interview_effects(path: str | Path = INTERVIEW_EFFECTS) -> dict:
    """Read ``interview_effects.toml``."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _dates(rng, window, n):
    lo, hi = (np.datetime64(str(d), "D") for d in window)
    return lo + rng.integers(0, int((hi - lo).astype(int)) + 1, size=n).astype("timedelta64[D]")


def interviews(params: dict | None = None, seed: int | None = None) -> Codings:
    """Draw the interviews and their codings (in memory)."""
    world = load_effects()
    p = params or load_interview_effects()
    cfg = p["interviews"]
    seed = world["world"]["seed"] if seed is None else seed
    rng = np.random.default_rng([seed, cfg["stream"]])
    districts = world["world"]["districts"]
    themes = p["themes"]
    codes, guid = _codebook(themes)
    sources, cases, attributes, segments, plan = [], [], [], [], []
    number = 0
    for gi, group in enumerate(cfg["groups"]):
        for period, n, window in (("före", cfg["per_group_before"], cfg["before_window"]),
                                  ("efter", cfg["per_group_after"], cfg["after_window"])):
            dates = np.sort(_dates(rng, window, n))
            for k in range(n):
                number += 1
                unit = districts[int(rng.integers(len(districts)))]
                raised = [t for t, spec in themes.items()
                          if rng.random() < spec["before" if period == "före" else "after"][gi]]
                plan.append((number, group, period, unit, str(dates[k]), raised))
    double = set(rng.choice(len(plan), size=round(cfg["double_coded_share"] * len(plan)), replace=False) + 1)
    for number, group, period, unit, date, raised in plan:
        sg = stable_guid("exempelkommun", "interview", number)
        paragraphs = [OPENING[group].format(unit=unit)]
        spans: dict[str, tuple[int, int]] = {}
        fillers = []
        order = list(raised) + [None] * int(rng.integers(1, 3))
        rng.shuffle(order)
        pos = len(paragraphs[0]) + 2
        for theme in order:
            text = THEME_TEXT[theme][int(rng.integers(3))] if theme else FILLER[int(rng.integers(len(FILLER)))]
            (spans.__setitem__(theme, (pos, pos + len(text))) if theme else fillers.append((pos, pos + len(text))))
            paragraphs.append(text)
            pos += len(text) + 2
        full = "\n\n".join(paragraphs) + "\n"
        sources.append({"source_guid": sg, "name": f"Intervju {number:02d}", "kind": "text", "text": full})
        case = stable_guid("exempelkommun", "case", number)
        cases.append({"case_guid": case, "name": f"Intervjuperson {number:02d}", "source_guid": sg})
        for var, typ, val in (("grupp", "Text", group), ("period", "Text", period), ("enhet", "Text", unit),
                              ("intervjudatum", "Date", date)):
            attributes.append({"owner_guid": case, "owner_kind": "case", "variable": var, "type": typ, "value": val})
        coders = CODERS if number in double else CODERS[:1]
        for coder in coders:
            coded = dict(spans)
            if coder == CODERS[1]:
                coded = {t: s for t, s in spans.items() if rng.random() >= cfg["second_coder_miss"]}
                for t in themes:
                    if t not in spans and fillers and rng.random() < cfg["second_coder_extra"]:
                        coded[t] = fillers[0]
            for t, (a, b) in coded.items():
                segments.append({"segment_guid": stable_guid("exempelkommun", "coding", number, coder, t),
                                 "selection_guid": stable_guid("exempelkommun", "selection", number, coder, t),
                                 "source_guid": sg, "code_guid": guid[t], "coder": stable_guid("user", coder),
                                 "start": a, "end": b, "text": full[a:b], "created": f"{date}T12:00:00Z"})
    users = [{"user_guid": stable_guid("user", c), "name": c} for c in CODERS]
    report = ImportReport("generated", origin="evalkit sample generator")
    return finish_tables(sources=sources, codes=codes, segments=segments, cases=cases, attributes=attributes,
                         users=users, report=report, path=None, fmt="generated", rows_read=len(segments),
                         name="Intervjuer Exempelkommun")


def _codebook(themes: dict) -> tuple[list[dict], dict]:
    codes, guid, cats = [], {}, {}
    for key, spec in themes.items():
        cat = spec["category"]
        if cat not in cats:
            cats[cat] = stable_guid("exempelkommun", "category", cat)
            codes.append({"code_guid": cats[cat], "name": cat, "parent_guid": None, "is_codable": False,
                          "color": None, "description": None})
        guid[key] = stable_guid("exempelkommun", "code", key)
        desc = f"Utfall: {spec['outcome']}" if "outcome" in spec else None
        codes.append({"code_guid": guid[key], "name": spec["name"], "parent_guid": cats[cat], "is_codable": True,
                      "color": "#4472C4", "description": desc})
    return codes, guid


def render_readme(codings: Codings, params: dict) -> str:
    """The markdown describing the interviews and their realised patterns."""
    from evalkit.analysis.qualitative import qualitative_analysis
    res = qualitative_analysis(codings, group="grupp", period="period", language="sv", seed=0)
    before_after = res.before_after.set_index("code")
    lines = ["## Intervjuer (intervjuer.qdpx)", "",
             f"{len(codings.sources)} fiktiva intervjuer (sex intressentgrupper, hösten 2016 före IBIC och våren 2021 "
             "efter IBIC och flexibla insatskoder), kodade i ett REFI-QDA-projekt skrivet av evalkit "
             "(`generate_interviews.py`, sanna sannolikheter i `interview_effects.toml`).", "",
             "| Tema | Kategori | Andel intervjuer före | Andel efter |", "|---|---|---|---|"]
    for key, spec in params["themes"].items():
        row = before_after.loc[spec["name"]]
        lines.append(f"| {spec['name']} | {spec['category']} | {row['n_before']}/{row['N_before']} | "
                     f"{row['n_after']}/{row['N_after']} |")
    agree = res.agreement_table
    overall = agree[agree["code"] == "(all)"].iloc[0] if len(agree) else None
    if overall is not None:
        lines += ["", f"Dubbelkodade: {int(overall['n_units'] // max(1, len(params['themes'])))} intervjuer; "
                  f"Cohens kappa över alla (intervju, tema) = {overall['value']:.2f}, "
                  f"procentuell överensstämmelse {overall['percent_agreement']:.0%}."]
    return "\n".join(lines) + "\n"


def generate(out_dir: str | Path = HERE, seed: int | None = None) -> dict:
    """Write ``intervjuer.qdpx`` into ``out_dir``; returns ``codings`` and ``files``."""
    codings = interviews(seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = write_qdpx(codings, out / FILE, name="Intervjuer Exempelkommun")
    return {"codings": codings, "files": [path]}


if __name__ == "__main__":
    result = generate(HERE)
    (HERE / "README_interviews.md").write_text(render_readme(result["codings"], load_interview_effects()),
                                              encoding="utf-8")
    for f in result["files"]:
        print(f"{f.name}: {f.stat().st_size:,} bytes", file=sys.stderr)
