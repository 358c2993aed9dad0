"""Simulated case-file audit of Exempelkommun: sample manifest and two filled review forms.

Run ``python data_samples/exempelkommun/generate_audit.py`` to rewrite, beside this file:

==========================  ==============================================================
``audit_urval.json``        the sample manifest (:func:`evalkit.audit.draw`, seeded)
``granskning_R1.xlsx``      reviewer R1's form, filled in (Swedish, IBIC checklist)
``granskning_R2.xlsx``      reviewer R2's form, filled in
==========================  ==============================================================

The frame is the decisions of ``beslut_procapita.csv`` (read through :func:`evalkit.load_decisions`)
made 2015-01-01 … 2018-12-31, stratified by period (before / after IBIC on 2017-01-01). Each period's
sample is sized for ±12.5 points (Cochran, finite-population corrected). The first 20 % of each
period in the random draw order is read by both reviewers; the rest is split between them.

Every case file has a *true* answer per item (``audit_effects.toml``: fixed shares before/after, or
the decisions' own fields for A3, A4, A7 and E1); each reviewer records it with probability ``q``
and otherwise an answer drawn from the item's distribution over the sample, so Cohen's kappa is
``q**2`` in expectation. Answers are written into the answer cells only, as a reviewer would.

Randomness: the draw uses ``draw_seed``; the answers use ``numpy.random.default_rng([world seed,
101])`` (stream "audit", a number generate.py's :data:`STREAMS` never uses). Determinism: the
workbooks are re-zipped with fixed entry times and fixed created/modified properties, so the same
seed gives byte-identical files (tested in ``tests/test_audit_sample.py``).
"""
from __future__ import annotations

import math
import re
import sys
import tomllib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from generate import load_effects  # noqa: E402  (the world's seed lives in effects.toml)

__all__ = ["AUDIT_EFFECTS_PATH", "FILES", "STREAM_NAME", "load_audit_effects", "audit_frame", "draw_sample",
           "review_split", "true_answers", "reviewer_answers", "fill_form", "generate", "expected_kappa",
           "realised_truth", "render_readme", "README_PATH"]

AUDIT_EFFECTS_PATH = HERE / "audit_effects.toml"
README_PATH = HERE / "README_audit.md"
MANIFEST = "audit_urval.json"
FORMS = {"R1": "granskning_R1.xlsx", "R2": "granskning_R2.xlsx"}
FILES = (MANIFEST, *FORMS.values())
STREAM_NAME = "audit"
LANGUAGE = "sv"
CHECKLIST = "ibic"
#: fixed time written into the workbooks (zip entries and docProps/core.xml)
FIXED_TIME = (2019, 3, 1, 0, 0, 0)
_STAMP = b"2019-03-01T00:00:00Z"
FRAME_COLUMNS = ["decision_id", "unit", "decided_on", "service", "outcome", "end_on", "followed_up_on",
                 "life_area", "icf_code", "qualifier", "goal_recorded", "own_view_recorded"]
NOT_APPLICABLE_IF_DENIED = ("C", "D", "E")


def load_audit_effects(path: str | Path = AUDIT_EFFECTS_PATH) -> dict:
    """The audit's true values (``audit_effects.toml``)."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def audit_frame(decisions: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Decisions in the frame window with a ``period`` column (``before``/``after``)."""
    a = params["audit"]
    decided = decisions["decided_on"]
    keep = (decided >= pd.Timestamp(a["frame_first"])) & (decided <= pd.Timestamp(a["frame_last"]))
    frame = decisions.loc[keep, FRAME_COLUMNS].reset_index(drop=True)
    frame["period"] = np.where(frame["decided_on"] < pd.Timestamp(a["ibic_date"]), "before", "after")
    return frame


def draw_sample(frame: pd.DataFrame, params: dict):
    """The audit sample: stratified by period, each period sized for ``margin`` (seeded)."""
    import evalkit.audit as audit

    a = params["audit"]
    return audit.draw(frame, strata="period", precision="stratum", margin=a["margin"],
                      confidence=a["confidence"], seed=a["draw_seed"])


def review_split(sample, share: float) -> dict:
    """Reviewer → the sub-sample on their form: the first ``share`` of each stratum (draw order) to both,
    the rest alternately to R1 and R2."""
    from evalkit.audit import AuditSample

    f = sample.frame
    size = f.groupby("stratum")["draw_order"].transform("size")
    both = f["draw_order"] <= np.ceil(share * size)
    rest_rank = f["draw_order"] - np.ceil(share * size)
    mine = {"R1": both | (~both & (rest_rank % 2 == 1)), "R2": both | (~both & (rest_rank % 2 == 0))}
    return {r: AuditSample(f[m].reset_index(drop=True), sample.manifest, (1,)) for r, m in mine.items()}


def _item_truth(frame: pd.DataFrame, item: str, spec, rng, params) -> np.ndarray:
    """True answer codes of one item for every sampled decision."""
    n = len(frame)
    partly = params["audit"]["partly_share"]
    if spec == "data":
        met, half = _from_data(frame, item)
    else:
        p = np.where(frame["period"] == "after", spec[1], spec[0])
        met, half = rng.random(n) < p, np.zeros(n, dtype=bool)
    other = np.where(half | (rng.random(n) < partly), "partly", "no")
    return np.where(met, "yes", other)


def _from_data(frame: pd.DataFrame, item: str) -> tuple[np.ndarray, np.ndarray]:
    """(met, partly) from the decisions' own fields for the items the decisions file records."""
    if item == "A3":
        icf = frame["icf_code"].notna() & frame["qualifier"].notna()
        return icf.to_numpy(), frame["life_area"].notna().to_numpy()  # life areas without ICF codes: partly
    if item == "A4":
        return frame["own_view_recorded"].fillna(False).to_numpy(dtype=bool), np.zeros(len(frame), dtype=bool)
    if item == "A7":
        return frame["goal_recorded"].fillna(False).to_numpy(dtype=bool), np.zeros(len(frame), dtype=bool)
    if item == "E1":
        done = frame["followed_up_on"].notna() & (frame["followed_up_on"] <= frame["end_on"])
        return done.fillna(False).to_numpy(dtype=bool), np.zeros(len(frame), dtype=bool)
    raise ValueError(f"item {item} has no field in the decisions file; give [before, after] shares")


def true_answers(sample, params: dict, rng: np.random.Generator) -> pd.DataFrame:
    """One row per (decision_id, item): the answer a perfect reviewer would give."""
    from evalkit.audit import load_checklist

    cl = load_checklist(CHECKLIST)
    f = sample.frame
    denied = (f["outcome"] == "denied").to_numpy()
    no_carer = rng.random(len(f)) < params["audit"]["carer_not_applicable"]
    out = []
    for item in cl.items:
        codes = _item_truth(f, item.id, params["items"][item.id], rng, params)
        if item.stage in NOT_APPLICABLE_IF_DENIED:
            codes = np.where(denied, "na", codes)
        if item.id == "A8":
            codes = np.where(no_carer, "na", codes)
        out.append(pd.DataFrame({"decision_id": f["decision_id"].astype(str).to_numpy(), "item": item.id,
                                 "truth": codes, "period": f["period"].to_numpy()}))
    return pd.concat(out, ignore_index=True)


def reviewer_answers(truth: pd.DataFrame, ids: list[str], q: float, rng: np.random.Generator) -> pd.DataFrame:
    """A reviewer's answers to the decisions ``ids``: the truth with probability ``q``, else a draw from
    the item's answer distribution over the whole sample (so kappa between two reviewers is q**2)."""
    mine = truth.set_index("decision_id").loc[ids].reset_index()
    answers = mine["truth"].to_numpy().copy()
    for item, rows in mine.groupby("item", sort=False).groups.items():
        marginal = truth.loc[truth["item"] == item, "truth"].value_counts(normalize=True).sort_index()
        rows = np.asarray(rows)
        wrong = rng.random(len(rows)) >= q
        draws = rng.choice(marginal.index.to_numpy(), size=len(rows), p=marginal.to_numpy())
        answers[rows[wrong]] = draws[wrong]
    return mine.assign(answer=answers)[["decision_id", "item", "answer"]]


def fill_form(path: Path, answers: pd.DataFrame, language: str = LANGUAGE) -> Path:
    """Write the answer labels into the form's answer cells (nothing else), then fix the file's timestamps."""
    from openpyxl import load_workbook

    from evalkit.audit.checklists import ANSWERS
    from evalkit.audit.forms import FIRST_DATA_ROW, HEADER_ROW, SHEETS

    wb = load_workbook(path)
    ws = wb[SHEETS[language]["review"]]
    column = {c.value: c.column for c in ws[HEADER_ROW] if c.value}
    row = {}
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        value = ws.cell(r, 1).value
        if value is not None:
            row[str(value)] = r
    labels = ANSWERS[language]
    for rec in answers.itertuples(index=False):
        ws.cell(row[rec.decision_id], column[rec.item]).value = labels[rec.answer]
    wb.save(path)
    _fix_timestamps(path)
    return path


def _fix_timestamps(path: Path) -> None:
    """Re-zip with fixed entry times and created/modified dates: same answers → same bytes."""
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


def generate(out_dir: str | Path = HERE, decisions: pd.DataFrame | None = None, params: dict | None = None) -> dict:
    """Write the manifest and the two filled forms to ``out_dir``; return what was made, with the truth.

    Returns
    -------
    dict
        ``sample`` (AuditSample), ``forms`` (reviewer → AuditSample), ``truth`` (true answers),
        ``answers`` (reviewer → answers written), ``paths`` (file → Path), ``params``.

    Examples
    --------
    >>> import tempfile
    >>> out = generate(tempfile.mkdtemp())            # doctest: +SKIP
    >>> sorted(p.name for p in out["paths"].values())  # doctest: +SKIP
    ['audit_urval.json', 'granskning_R1.xlsx', 'granskning_R2.xlsx']
    """
    import evalkit as ek
    import evalkit.audit as audit

    out_dir = Path(out_dir)
    params = params or load_audit_effects()
    if decisions is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the sample file's deliberate faults are reported by `evalkit check`
            decisions = ek.load_decisions(HERE / "beslut_procapita.csv")
    sample = draw_sample(audit_frame(decisions, params), params)
    paths = {MANIFEST: sample.save(out_dir / MANIFEST)}
    rng = np.random.default_rng([load_effects()["world"]["seed"], params["audit"]["stream"]])
    truth = true_answers(sample, params, rng)
    split = review_split(sample, params["audit"]["double_review_share"])
    answers = {}
    for reviewer, sub in split.items():
        path = audit.form(sub, CHECKLIST, out_dir / FORMS[reviewer], LANGUAGE, reviewer=reviewer)
        answers[reviewer] = reviewer_answers(truth, sub.ids, params["audit"]["reviewer_accuracy"], rng)
        paths[FORMS[reviewer]] = fill_form(path, answers[reviewer])
    return {"sample": sample, "forms": split, "truth": truth, "answers": answers, "paths": paths, "params": params}


def expected_kappa(params: dict | None = None) -> float:
    """Cohen's kappa per item expected from the answer model: q**2."""
    q = (params or load_audit_effects())["audit"]["reviewer_accuracy"]
    return q * q


def realised_truth(truth: pd.DataFrame) -> pd.DataFrame:
    """Per item and period: true share "yes" among applicable answers in the sample (what a perfect reviewer finds)."""
    t = truth[truth["truth"] != "na"].assign(yes=lambda d: d["truth"] == "yes")
    return t.groupby(["item", "period"])["yes"].mean().unstack()[["before", "after"]]


def _share_text(x: float) -> str:
    return f"{x:.2f}"


def render_readme(made: dict) -> str:
    """The text of README_audit.md, with the true and realised shares of this draw."""
    from evalkit.audit import load_checklist

    params, sample = made["params"], made["sample"]
    a = params["audit"]
    realised = realised_truth(made["truth"])
    cl = load_checklist(CHECKLIST)
    lines = [
        "## The case-file audit (aktgranskning)",
        "",
        "`audit_urval.json`, `granskning_R1.xlsx` and `granskning_R2.xlsx` are a simulated IBIC case-file audit,",
        "written by `generate_audit.py` from `audit_effects.toml` (do not edit them by hand; rerun the generator).",
        "",
        f"* **Frame**: the decisions in `beslut_procapita.csv` made {a['frame_first']} … {a['frame_last']}, "
        f"{sample.manifest['frame']['rows']} decisions, split into *before* and *after* IBIC ({a['ibic_date']}).",
        f"* **Sample**: stratified by period, each period sized for ±{100 * a['margin']:g} percentage points at "
        f"{100 * a['confidence']:g} % confidence (p = 0.5, finite-population corrected): "
        + ", ".join(f"{s['key']} {s['sample']} of {s['population']}" for s in sample.manifest["strata_table"])
        + f"; seed {a['draw_seed']}.",
        f"* **Review**: the first {100 * a['double_review_share']:g} % of each period in draw order is on both "
        f"forms ({len(made['forms']['R1'].frame) + len(made['forms']['R2'].frame) - len(sample.frame)} case files); "
        "the rest is split between R1 and R2.",
        f"* **Reviewers**: each records the true answer with probability q = {a['reviewer_accuracy']} and otherwise "
        "an answer drawn from the item's distribution over the sample, so Cohen's kappa per item is "
        f"q² = {expected_kappa(params):.2f} in expectation, and a measured share is about "
        "q × true + (1 − q) × the item's pooled share (differences shrink by the factor q).",
        "* **Not applicable**: stages C, D and E for denied decisions; A8 (informal carer) in "
        f"{100 * a['carer_not_applicable']:g} % of decisions.",
        "",
        "True share 'yes' among applicable answers. *Set* is the number in `audit_effects.toml` ('data': "
        "from the decisions file's own fields); *in sample* is what a perfect reviewer would find in this draw.",
        "B-items do not change (negative controls).",
        "",
        "| Item | Question | Set before | Set after | In sample before | In sample after |",
        "|---|---|---|---|---|---|",
    ]
    for item in cl.items:
        spec = params["items"][item.id]
        before, after = ("data", "data") if spec == "data" else (_share_text(spec[0]), _share_text(spec[1]))
        lines.append(f"| {item.id} | {item.question('en')} | {before} | {after} | "
                     f"{_share_text(realised.loc[item.id, 'before'])} | {_share_text(realised.loc[item.id, 'after'])} |")
    lines += [
        "",
        "With about 60 case files per period, the 95 % interval of a share is about ±12 points and of a "
        "difference about ±17 points, so only changes of roughly 25 points or more are told apart from chance "
        "after Holm's correction for 20 items. In this draw A4 (own view) and A7 (goal) moved less in the "
        "sample than in the whole frame (see the table), which is what a sample of this size does now and then; "
        "A7's rise is clear before Holm's correction but not after it.",
        "",
        "```python",
        "import evalkit.audit as audit",
        "d = \"data_samples/exempelkommun/\"",
        "result = audit.audit_analysis([d + \"granskning_R1.xlsx\", d + \"granskning_R2.xlsx\"], d + \"audit_urval.json\",",
        "                              {\"compare\": \"period\", \"order\": [\"before\", \"after\"]})",
        "```",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    made = generate()
    README_PATH.write_text(render_readme(made), encoding="utf-8", newline="\n")
    s = made["sample"]
    print(s.summary())
    for reviewer, sub in made["forms"].items():
        print(f"{reviewer}: {len(sub.frame)} case files on the form")
    print("expected kappa per item:", round(expected_kappa(made["params"]), 3), "; sizes:",
          {k: math.ceil(v) for k, v in s.strata_table.set_index("stratum")["sample"].items()})
