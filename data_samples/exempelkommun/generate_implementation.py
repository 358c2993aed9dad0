"""Generate Exempelkommun's implementation data: CFIR-coded interviews, two raters' filled CFIR rating forms,
and a NoMAD staff survey in two waves — all with known truths (``implementation_effects.toml``).

Run ``python data_samples/exempelkommun/generate_implementation.py`` to rewrite:

* ``cfir_intervjuer.qdpx`` – 18 fictional interviews (3 roles × 6 districts), CFIR 2.0 codes from
  ``ek.cfir.codebook("sv")``; each passage's tone follows the true rating of its district × construct.
* ``cfir_bedomning_A.xlsx``, ``cfir_bedomning_B.xlsx`` – rating forms made by ``ek.cfir.rating_form`` and
  filled in by script: rater A gives exactly the true ratings, rater B the same except a known number of
  cells one step off and a known X-versus-number cell.
* ``cfir_sanna_bedomningar.csv`` – what each rater wrote (unit, construct, rater, code), for the tests.
* ``nomad_personal.csv`` – NoMAD answers of ~160 staff per wave (2019, 2021) in the original coding
  (1 = strongly agree … 5 = strongly disagree, 6–8 not relevant; CA2 negatively worded), with true
  construct shifts (coherence +0.5, collective action +0.3).
* the block between the markers in ``README_implementation.md``.

Random draws come only from ``numpy.random.default_rng([seed, stream])`` with the seed and streams of
``implementation_effects.toml`` (streams 201/202, unused elsewhere), so the same file gives the same
bytes and the other sample files are untouched.

>>> import tempfile, pathlib
>>> out = generate(pathlib.Path(tempfile.mkdtemp()))
>>> sorted(out["paths"])[:2]
['cfir_bedomning_A.xlsx', 'cfir_bedomning_B.xlsx']
"""
from __future__ import annotations

import re
import sys
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from evalkit.implementation import cfir  # noqa: E402
from evalkit.io.codings import ImportReport, finish_tables, stable_guid  # noqa: E402
from evalkit.io.refi_write import write_qdpx  # noqa: E402

__all__ = ["EFFECTS", "load_effects", "cfir_codings", "rater_codes", "nomad_survey", "generate", "render_readme"]

EFFECTS = HERE / "implementation_effects.toml"
README = HERE / "README_implementation.md"
FIXED_TIME = (2021, 6, 1, 0, 0, 0)
_STAMP = b"2021-06-01T00:00:00Z"
CODER = "analytiker_a"
ROLE_OPENING = {
    "enhetschef": "Jag är enhetschef för hemtjänsten i {unit}.",
    "handläggare": "Jag är biståndshandläggare och har ärenden i {unit}.",
    "hemtjänstpersonal": "Jag arbetar som undersköterska i hemtjänsten i {unit}.",
}
# per construct: tone -> passage (tone: pos2 = concrete positive example, pos1 = general positive, neu, neg1, neg2)
TEXTS = {
    "I.C": {"pos": "IBIC är bättre än det gamla sättet, vi ser mer av hela personen.",
            "neu": "IBIC är ett annat sätt att skriva utredningar, varken bättre eller sämre.",
            "neg": "Jag ser inte att IBIC är bättre än hur vi arbetade förut."},
    "I.F": {"pos": "Modellen är ganska enkel att förstå när man väl har kommit in i den.",
            "neu": "Modellen har många delar, livsområden och bedömningar.",
            "neg": "Modellen är krånglig, det är många steg och begrepp att hålla reda på."},
    "II.E": {"pos": "Socialstyrelsens stöd och föreskrifterna om dokumentation stärker arbetet med IBIC.",
             "neu": "Det finns nationella riktlinjer som vi följer.",
             "neg": "Lagstiftningen säger en sak och IBIC en annan, det skaver."},
    "III.C": {"pos": "Informationen om IBIC kommer ut bra, vi får veta det vi behöver på träffarna.",
              "neu": "Vi får information om IBIC på arbetsplatsträffarna.",
              "neg": "Informationen om IBIC når inte ut, vi hör saker i korridoren i stället."},
    "III.G": {"pos": "IBIC har varit högt prioriterat här, det går före andra projekt.",
              "neu": "IBIC är ett av flera utvecklingsarbeten vi har just nu.",
              "neg": "Det finns så mycket annat som går före, IBIC hamnar långt ner."},
    "III.J": {"pos": "Vi fick avsatt tid för utbildningen och extra bemanning de veckor vi gick över till IBIC.",
              "neu": "Resurserna är ungefär desamma som tidigare.",
              "neg": "Det finns ingen tid avsatt, vi ska lära oss IBIC ovanpå allt annat med samma bemanning."},
    "IV.B": {"pos": "Enhetschefen går igenom genomförandeplanerna med oss varje vecka och följer upp målen.",
             "neu": "Chefen har informerat om att vi ska arbeta enligt IBIC.",
             "neg": "Vår chef har knappt nämnt IBIC, det är inget som efterfrågas av ledningen här."},
    "IV.M": {"pos": "Jag vill verkligen att det här ska fungera, det känns meningsfullt.",
             "neu": "Jag gör det som förväntas av mig.",
             "neg": "Jag orkar inte engagera mig i ännu en ny modell."},
    "V.D": {"pos": "Vi hade en tydlig plan med delmål för införandet.",
            "neu": "Det fanns en plan för införandet på förvaltningsnivå.",
            "neg": "Det fanns ingen plan, vi fick bara höra att vi skulle börja."},
    "V.H": {"pos": "Vi går igenom uppföljningarna varje månad och ändrar arbetssättet när vi ser att något inte fungerar.",
            "neu": "Det görs någon form av uppföljning centralt.",
            "neg": "Ingen har frågat hur det går, vi vet inte om det fungerar."},
}
RATIONALE = {
    "+2": "Flera intervjupersoner ger konkreta exempel på positivt inflytande.",
    "+1": "Positiva men allmänna uttalanden.",
    "0": "Beskrivande, inget inflytande åt något håll.",
    "-1": "- negativa men allmänna uttalanden",  # starts with "-": must stay text, never a formula
    "-2": "Flera intervjupersoner ger konkreta exempel på hinder.",
    "X": "Positiva och negativa uttalanden väger jämnt.",
    "missing": "Inget underlag.",
}


def load_effects(path: str | Path = EFFECTS) -> dict:
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


def _rng(params: dict, stream: str) -> np.random.Generator:
    return np.random.default_rng([params["random"]["seed"], params["random"][stream]])


# ----------------------------------------------------------------------------- CFIR
def cfir_codings(params: dict, rng: np.random.Generator):
    """18 interviews coded with CFIR 2.0; every non-missing unit × construct cell gets 2–3 informants' passages."""
    c = params["cfir"]
    codebook = cfir.codebook("sv")
    guid_of = dict(zip(codebook.codes["name"].str.split(" ", n=1).str[0], codebook.codes["code_guid"]))
    sources, cases, attributes, segments = [], [], [], []
    user = stable_guid("user", CODER)
    for u_i, unit in enumerate(c["units"]):
        # which informants speak about each construct: 2 or 3 of the unit's interviews
        speakers = {cid: sorted(rng.choice(3, size=int(rng.integers(2, 4)), replace=False).tolist())
                    for cid in c["truth"]}
        for r_i, role in enumerate(c["roles"]):
            number = u_i * len(c["roles"]) + r_i + 1
            sg = stable_guid("cfir-source", number)
            text = ROLE_OPENING[role].format(unit=unit) + "\n\n"
            for cid, codes in c["truth"].items():
                code = codes[u_i]
                if code == "missing" or r_i not in speakers[cid]:
                    continue
                passage = _passage(cid, code, speakers[cid].index(r_i))
                if unit == "Söder" and cid == "IV.B" and role == "hemtjänstpersonal":
                    passage += " Jag har sagt det till Lena Berg flera gånger."  # a name, masked in every memo
                start = len(text)
                text += passage + "\n\n"
                segments.append({"segment_guid": stable_guid("cfir-seg", number, cid), "selection_guid":
                                 stable_guid("cfir-sel", number, cid), "source_guid": sg, "code_guid": guid_of[cid],
                                 "coder": user, "start": start, "end": start + len(passage), "text": passage,
                                 "created": None})
            sources.append({"source_guid": sg, "name": f"CFIR-intervju {number:02d}", "kind": "text",
                            "text": text.rstrip("\n") + "\n"})
            case = stable_guid("cfir-case", number)
            cases.append({"case_guid": case, "name": f"Intervjuperson {number:02d}", "source_guid": sg})
            for var, val in (("enhet", unit), ("roll", role)):
                attributes.append({"owner_guid": case, "owner_kind": "case", "variable": var, "type": "Text",
                                   "value": val})
    return finish_tables(sources=sources, codes=codebook.codes, segments=segments, cases=cases,
                         attributes=attributes, users=[{"user_guid": user, "name": CODER}],
                         report=ImportReport("generated"), path=None, fmt="generated", rows_read=len(segments),
                         name="CFIR-intervjuer Exempelkommun")


def _passage(cid: str, code: str, k: int) -> str:
    t = TEXTS[cid]
    if code == "X":  # mixed: the first speaker positive, the next negative, a third neutral
        return [t["pos"], t["neg"], t["neu"]][k]
    if code in ("+2", "+1"):
        return t["pos"] if code == "+2" or k == 0 else t["neu"]
    if code in ("-2", "-1"):
        return t["neg"] if code == "-2" or k == 0 else t["neu"]
    return t["neu"]


def rater_codes(params: dict, rng: np.random.Generator) -> pd.DataFrame:
    """What raters A and B write: A = truth; B = truth with `shifted` cells one step off and the `mixed` cells X."""
    c = params["cfir"]
    rows = [{"unit": u, "construct": cid, "rater": "A", "code": codes[i]}
            for cid, codes in c["truth"].items() for i, u in enumerate(c["units"])]
    a = pd.DataFrame(rows)
    b = a.assign(rater="B")
    pool = b.index[b["construct"].isin(c["rater_b"]["shift_constructs"]) & ~b["code"].isin(["X", "missing"])]
    for i in rng.choice(pool, size=c["rater_b"]["shifted"], replace=False):
        v = int(b.at[i, "code"])
        step = -1 if v == 2 else 1 if v == -2 else int(rng.choice([-1, 1]))
        w = v + step
        b.at[i, "code"] = f"+{w}" if w > 0 else str(w)
    for cid, unit in c["rater_b"]["mixed"]:
        b.loc[(b["construct"] == cid) & (b["unit"] == unit), "code"] = "X"
    return pd.concat([a, b], ignore_index=True)


def fill_form(path: Path, codes: pd.DataFrame) -> Path:
    """Write the rater's codes and rationales into the form's rating cells only, then fix the timestamps."""
    from openpyxl import load_workbook

    from evalkit.implementation._cfir_form import FIRST_DATA_ROW
    from evalkit.implementation._cfir_text import MISSING_LABEL, SHEETS
    from evalkit.privacy._cells import set_value

    wb = load_workbook(path)
    ws = wb[SHEETS["sv"]["rating"]]
    lookup = {(r.unit, r.construct): r.code for r in codes.itertuples(index=False)}
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        key = (ws.cell(r, 1).value, ws.cell(r, 2).value)
        code = lookup[key]
        for col, value in ((8, MISSING_LABEL["sv"] if code == "missing" else code), (9, RATIONALE[code])):
            set_value(ws.cell(r, col), value)  # text stays text, as a rater's typing would
    wb.save(path)
    _fix_timestamps(path)
    return path


def _fix_timestamps(path: Path) -> None:
    """Re-zip with fixed entry times and created/modified dates: same ratings → same bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                for tag in (rb"dcterms:created", rb"dcterms:modified"):
                    data = re.sub(rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)", rb"\g<1>" + _STAMP + rb"\g<2>",
                                  data)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)


# ----------------------------------------------------------------------------- NoMAD
def nomad_survey(params: dict, rng: np.random.Generator) -> pd.DataFrame:
    """NoMAD answers in the original coding (1 = strongly agree), two waves, known construct shifts."""
    from evalkit.implementation.instruments import load_instrument

    p, c = params["nomad"], params["cfir"]
    inst = load_instrument("nomad")
    rows = []
    rid = 0
    for w_i, wave in enumerate(p["waves"]):
        for _ in range(p["per_wave"]):
            rid += 1
            row = {"respondent_id": f"R{rid:04d}", "wave": wave, "unit": str(rng.choice(c["units"])),
                   "group": str(rng.choice(p["professions"], p=p["profession_shares"]))}
            latent = {k: p["mean_before"][k] + w_i * p["shift"][k] + rng.normal(0, p["person_sd"])
                      for k in inst.constructs}
            for g in ("G1", "G2", "G3"):
                row[g] = int(np.clip(np.rint(2 * np.mean(list(latent.values())) - 1 + rng.normal(0, 1.5)), 0, 10))
            for item in inst.items.itertuples(index=False):
                agree = int(np.clip(np.rint(latent[item.construct] + rng.normal(0, p["item_sd"])), 1, 5))
                if item.reverse:
                    agree = 6 - agree  # a negatively worded item: agreeing means less normalisation
                raw = 6 - agree        # original NoMAD coding: 1 = strongly agree
                if rng.random() < p["not_relevant"]:
                    raw = int(rng.choice([6, 7, 8]))
                row[item.id] = raw
            rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- all files
def generate(out_dir: str | Path = HERE, params: dict | None = None) -> dict:
    """Write every implementation sample file to ``out_dir``; returns ``paths``, ``codings``, ``codes``, ``survey``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = params or load_effects()
    rng = _rng(params, "stream_cfir")
    codings = cfir_codings(params, rng)
    codes = rater_codes(params, rng)
    paths = {"cfir_intervjuer.qdpx": write_qdpx(codings, out_dir / "cfir_intervjuer.qdpx",
                                                 name="CFIR-intervjuer Exempelkommun")}
    memo = cfir.memos(codings, language="sv", constructs=list(params["cfir"]["truth"]))
    for rater in ("A", "B"):
        name = f"cfir_bedomning_{rater}.xlsx"
        form = cfir.rating_form(None, out_dir / name, rater=rater, language="sv", memo_table=memo)
        paths[name] = fill_form(form, codes[codes["rater"] == rater])
    truth_csv = out_dir / "cfir_sanna_bedomningar.csv"
    codes.to_csv(truth_csv, index=False, lineterminator="\n")
    paths[truth_csv.name] = truth_csv
    survey = nomad_survey(params, _rng(params, "stream_nomad"))
    survey_csv = out_dir / "nomad_personal.csv"
    survey.to_csv(survey_csv, index=False, lineterminator="\n")
    paths[survey_csv.name] = survey_csv
    if out_dir == HERE:
        _write_readme(render_readme(codes, survey, params))
    return {"paths": paths, "codings": codings, "codes": codes, "survey": survey, "params": params}


def render_readme(codes: pd.DataFrame, survey: pd.DataFrame, params: dict) -> str:
    """The generated README block: truths and the realised agreement, computed without evalkit."""
    from statsmodels.stats.inter_rater import cohens_kappa

    wide = codes.pivot_table(index=["unit", "construct"], columns="rater", values="code", aggfunc="first")
    numeric = wide[~wide.isin(["X", "missing"]).any(axis=1)].astype(int)
    scale = [-2, -1, 0, 1, 2]
    table = pd.crosstab(pd.Categorical(numeric["A"], scale), pd.Categorical(numeric["B"], scale), dropna=False)
    kappa = float(cohens_kappa(table.to_numpy(), wt="linear", return_results=False))
    c, p = params["cfir"], params["nomad"]
    lines = ["| konstrukt | " + " | ".join(c["units"]) + " |", "|---|" + "---|" * len(c["units"])]
    for cid, row in c["truth"].items():
        lines.append(f"| {cid} | " + " | ".join(row) + " |")
    return "\n".join([
        "### CFIR-bedömningar (sanning = bedömare A)", "",
        f"Hög implementering: {', '.join(c['high'])}; låg: {', '.join(c['low'])}.", "", *lines, "",
        f"Skiljer starkt (standardregeln): {', '.join(c['distinguishing']['strong'])}; svagt: "
        f"{', '.join(c['distinguishing']['weak'])}.", "",
        f"Bedömare B avviker ett steg i {c['rater_b']['shifted']} celler och säger X i "
        f"{len(c['rater_b']['mixed'])} cell där A ger en siffra. Par på skalan: {len(numeric)}; "
        f"exakt samma kod i {int((wide['A'] == wide['B']).sum())} av {len(wide)} celler; viktat Cohens kappa "
        f"(linjära vikter, statsmodels) = {kappa:.3f}.", "",
        "### NoMAD-enkät (nomad_personal.csv)", "",
        f"{p['per_wave']} svarande per våg ({', '.join(map(str, p['waves']))}); sann förändring: "
        + ", ".join(f"{k} {v:+.1f}" for k, v in p["shift"].items())
        + f"; 'inte relevant' (6–8) i {p['not_relevant']:.0%} av svaren; CA2 negativt formulerad.",
    ])


def _write_readme(block: str) -> None:
    start, end = "<!-- generated:start -->", "<!-- generated:end -->"
    text = README.read_text(encoding="utf-8") if README.exists() else f"# Implementation data\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    README.write_text(f"{head}{start}\n{block}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    out = generate()
    for name, path in sorted(out["paths"].items()):
        print(f"wrote {path}")
