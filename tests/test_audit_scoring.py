"""Audit scoring: hand-checked small cases, simulations with known compliance, agreement, views."""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import evalkit.audit as audit
from evalkit.analysis.agreement import agreement
from evalkit.analysis.proportions import fisher_exact, newcombe_diff_ci, proportion_ci
from evalkit.errors import AnalysisError

matplotlib.use("Agg")
ITEMS = audit.load_checklist("ibic").item_ids


def make_frame(n=400, seed=0, units=("Nord", "Syd")):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({
        "decision_id": [f"b{i:05d}" for i in range(n)],
        "unit": rng.choice(list(units), n),
        "decided_on": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
        "service": "hemtjänst",
    })
    f["period"] = np.where(f["decided_on"] < "2023-01-01", "before", "after")
    return f


def answers_for(sample, rule, reviewer="R1", items=ITEMS):
    """Long answers as load_audit returns them; rule(row_of_sample, item) -> code."""
    rows = []
    stage = {i.id: i.stage for i in audit.load_checklist("ibic").items}
    for _, d in sample.frame.iterrows():
        for item in items:
            rows.append({"decision_id": d["decision_id"], "reviewer": reviewer, "item": item,
                         "stage": stage[item], "answer": rule(d, item)})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- hand-checked
def test_counts_shares_and_na_out_of_the_denominator():
    s = audit.draw(make_frame(), 20, seed=1)  # simple random sample: plain Wilson
    ids = s.ids
    codes = ["yes"] * 8 + ["partly"] * 3 + ["no"] * 4 + ["na"] * 5

    def rule(d, item):
        return codes[ids.index(d["decision_id"])] if item == "A1" else "yes"

    res = audit.score(answers_for(s, rule), s, unit=None, n_boot=0)
    a1 = res.items.set_index("item").loc["A1"]
    assert (a1["n_yes"], a1["n_partly"], a1["n_no"], a1["n_na"], a1["n"]) == (8, 3, 4, 5, 15)
    assert a1["share"] == pytest.approx(8 / 15)
    assert (a1["ci_low"], a1["ci_high"]) == pytest.approx(proportion_ci(8, 15))
    assert not a1["weighted"]
    # Stage A met in full only where A1 is yes or not applicable: 8 + 5 of 20 decisions.
    stage_a = res.stages.set_index("item").loc["stage A"]
    assert (stage_a["n_yes"], stage_a["n"]) == (13, 20)
    overall = res.stages.set_index("item").loc["all items"]
    assert (overall["n_yes"], overall["n"]) == (13, 20)


def test_before_after_equals_newcombe_and_fisher_when_unweighted():
    f = make_frame()
    s = audit.draw(f, 60, seed=2)

    def rule(d, item):
        k = int(d["decision_id"][1:])
        return "yes" if (k % 3 != 0 if d["period"] == "after" else k % 2 == 0) else "no"

    res = audit.score(answers_for(s, rule), s, compare="period", order=("before", "after"), unit=None, n_boot=0)
    row = res.comparison.set_index("item").loc["A1"]
    sub = s.frame
    after = sub[sub["period"] == "after"]["decision_id"].str[1:].astype(int)
    before = sub[sub["period"] == "before"]["decision_id"].str[1:].astype(int)
    xa, na = int((after % 3 != 0).sum()), len(after)
    xb, nb = int((before % 2 == 0).sum()), len(before)
    assert row["difference"] == pytest.approx(xa / na - xb / nb)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(newcombe_diff_ci(xa, na, xb, nb), abs=1e-12)
    assert row["p_fisher"] == pytest.approx(fisher_exact(xa, na, xb, nb))


# ----------------------------------------------------------------------------- simulations
def test_simulated_audit_recovers_known_compliance_and_change():
    # Truth: each item met with p = 0.40 before and 0.70 after, independently per decision.
    f = make_frame(n=2000, seed=5)
    s = audit.draw(f, 300, strata="period", seed=5)
    rng = np.random.default_rng(5)
    truth = {"before": 0.40, "after": 0.70}
    ans = answers_for(s, lambda d, item: "yes" if rng.random() < truth[d["period"]] else "no")
    res = audit.score(ans, s, compare="period", order=("before", "after"), unit=None, n_boot=0)
    items = res.items
    for g, p in truth.items():
        t = items[items["group"] == g]
        covered = ((t["ci_low"] <= p) & (p <= t["ci_high"])).mean()
        assert covered >= 0.8  # 20 items, 95 % intervals
        assert t["share"].mean() == pytest.approx(p, abs=0.03)
    comp = res.comparison[res.comparison["item"].isin(ITEMS)]
    assert comp["difference"].mean() == pytest.approx(0.30, abs=0.03)
    assert ((comp["ci_low"] <= 0.30) & (0.30 <= comp["ci_high"])).mean() >= 0.8
    assert (comp["p_fisher"] < 0.05).mean() > 0.9


def test_design_weighting_removes_the_bias_of_equal_allocation():
    # Two units of very different size and compliance; equal allocation over-samples the small one.
    # Population share = (1600 * 0.8 + 400 * 0.2) / 2000 = 0.68; the unweighted sample share ≈ 0.5.
    f = make_frame(n=2000, seed=6)
    f["unit"] = ["Stor"] * 1600 + ["Liten"] * 400
    truth = {"Stor": 0.8, "Liten": 0.2}
    hits = 0
    estimates = []
    for seed in range(20):
        s = audit.draw(f, 200, strata="unit", allocation="equal", seed=seed)
        rng = np.random.default_rng(seed)
        ans = answers_for(s, lambda d, item: "yes" if rng.random() < truth[d["unit"]] else "no", items=["A1"])
        a1 = audit.score(ans, s, unit=None, n_boot=0).items.iloc[0]
        assert a1["weighted"]
        estimates.append(a1["share"])
        hits += a1["ci_low"] <= 0.68 <= a1["ci_high"]
        assert a1["n_yes"] / a1["n"] < 0.6  # the naive share is far off
    assert np.mean(estimates) == pytest.approx(0.68, abs=0.02)
    assert hits >= 17


# ----------------------------------------------------------------------------- units, agreement
def test_per_unit_shares_are_suppressed_below_min_n():
    f = make_frame(units=("Nord", "Syd", "Öst"))
    f.loc[f.index[:10], "unit"] = "Liten"
    s = audit.draw(f, 200, strata="unit", seed=3)
    res = audit.score(answers_for(s, lambda d, item: "yes"), s, min_n=30, n_boot=0)
    units = res.units[res.units["item"] == "A1"].set_index("unit")
    assert units.loc["Liten", "suppressed"] and np.isnan(units.loc["Liten", "share"])
    assert np.isnan(units.loc["Liten", "n_yes"])
    big = units.drop("Liten")
    assert (~big["suppressed"]).all() and (big["share"] == 1).all() and (big["n"] >= 30).all()


def test_agreement_of_double_review_matches_agreement_function():
    s = audit.draw(make_frame(), 40, seed=4)
    rng = np.random.default_rng(4)
    first = answers_for(s, lambda d, item: rng.choice(["yes", "partly", "no", "na"], p=[0.5, 0.2, 0.2, 0.1]),
                        reviewer="R1")
    second = first.assign(reviewer="R2")
    flip = rng.random(len(second)) < 0.25
    second.loc[flip, "answer"] = rng.choice(["yes", "no"], flip.sum())
    res = audit.score(pd.concat([first, second]), s, unit=None, n_boot=100, seed=1)
    a = res.agreement.set_index("item")
    assert set(a["method"]) == {"cohen"}
    both = pd.concat([first, second])
    direct = agreement(both[both["item"] == "B2"], unit="decision_id", rater="reviewer", value="answer",
                       method="cohen", n_boot=100, seed=1)
    assert a.loc["B2", "value"] == pytest.approx(direct.value)
    assert a.loc["B2", "n_units"] == 40
    assert a.loc["all items", "n_units"] == 40 * 20
    assert 0.5 < a.loc["all items", "value"] < 0.9
    # Compliance is scored from the primary reviewer (most answers, then name): R1.
    assert res.reviewers[0] == "R1"
    r2 = audit.score(pd.concat([first, second]), s, unit=None, n_boot=0, primary="R2")
    assert r2.items.set_index("item").loc["B2", "n_yes"] == (second[second["item"] == "B2"]["answer"] == "yes").sum()


def test_three_reviewers_use_krippendorff():
    s = audit.draw(make_frame(), 15, seed=4)
    parts = [answers_for(s, lambda d, item: "yes" if int(d["decision_id"][1:]) % 2 else "no", reviewer=r)
             for r in ("A", "B", "C")]
    res = audit.score(pd.concat(parts), s, unit=None, n_boot=50)
    a = res.agreement.set_index("item")
    assert set(a["method"]) == {"krippendorff"} and a.loc["A1", "value"] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- errors, views
def test_errors():
    f = make_frame()
    s = audit.draw(f, 20, seed=1)
    other = audit.draw(f, 20, seed=2)
    ans = answers_for(other, lambda d, item: "yes")
    with pytest.raises(AnalysisError, match="not in the sample"):
        audit.score(ans, s)
    good = answers_for(s, lambda d, item: "yes")
    with pytest.raises(AnalysisError, match="not a column"):
        audit.score(good, s, compare="quarter")
    with pytest.raises(AnalysisError, match="exactly two groups"):
        audit.score(good, s, compare="unit") if s.frame["unit"].nunique() != 2 else \
            audit.score(good, s, compare="decision_id")
    with pytest.raises(AnalysisError, match="twice"):
        audit.score(pd.concat([good, good.head(1)]), s)
    with pytest.raises(AnalysisError, match="coded"):
        audit.score(good.assign(answer="Ja"), s)


def test_result_views():
    s = audit.draw(make_frame(), 60, strata="period", seed=9)
    rng = np.random.default_rng(9)
    ans = answers_for(s, lambda d, item: "yes" if rng.random() < (0.8 if d["period"] == "after" else 0.5)
                      else "no")
    res = audit.score(ans, s, compare="period", order=("before", "after"), n_boot=0)
    frame = res.to_frame()
    assert list(frame.columns) == audit.scoring.ITEM_COLUMNS
    assert len(frame) == 2 * (20 + 6)
    assert "compared by period" in res.summary()
    assert "<table" in res._repr_html_()
    sv = res.sentences("sv")
    assert any("procentenheter" in t for t in sv) and all("%" in t for t in sv[:2])
    assert any("prosentpoeng" in t for t in res.sentences("nb"))
    assert any("percentage points" in t for t in res.sentences("en"))
    fig = res.plot()
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 20 and ax.get_legend() is not None
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_end_to_end_form_fill_read_score(tmp_path):
    f = make_frame()
    s = audit.draw(f, 24, strata="period", seed=12)
    forms = [audit.form(s, "ibic", tmp_path / f"{r}.xlsx", reviewer=r) for r in ("R1", "R2")]
    labels = ["Ja", "Delvis", "Nej", "Ej tillämpligt"]
    read = []
    for k, path in enumerate(forms):
        wb = load_workbook(path)
        ws = wb["Granskning"]
        for r in range(3, 27):
            for c in range(5, 25):
                ws.cell(r, c).value = labels[(r + c + (k if c == 5 else 0)) % 4]
        wb.save(tmp_path / f"filled{k}.xlsx")
        read.append(audit.load_audit(tmp_path / f"filled{k}.xlsx", s))
    answers = pd.concat(read)
    answers.attrs = read[0].attrs
    res = audit.score(answers, s, compare="period", order=("before", "after"), n_boot=50)
    a1 = res.agreement.set_index("item")
    assert a1.loc["A2", "percent_agreement"] == 1.0  # identical answers except item A1
    assert a1.loc["A1", "percent_agreement"] == 0.0
    assert res.items["n"].sum() > 0
