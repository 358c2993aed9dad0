"""CFIR ratings → agreement, consensus matrix, distinguishing constructs and the report hooks."""
from __future__ import annotations

import krippendorff
import matplotlib
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

import evalkit as ek
from evalkit.implementation.cfir import DistinguishRule

matplotlib.use("Agg")


def _ratings(rows):
    """rows: (unit, construct, rater, code) with code "+2" … "-2", "X", "missing"."""
    out = []
    for unit, construct, rater, code in rows:
        num = pd.NA if code in ("X", "missing") else int(code)
        out.append({"unit": unit, "construct": construct, "label": construct, "rater": rater, "rating": num,
                    "code": code, "mixed": code == "X", "missing": code == "missing", "rationale": None,
                    "n_segments": 2, "n_informants": 2, "form": f"{rater}.xlsx", "form_row": 2})
    return pd.DataFrame(out).astype({"rating": "Int64"})


UNITS = ["Hög1", "Hög2", "Mitt", "Låg1", "Låg2"]
GROUPS = {"high": ["Hög1", "Hög2"], "low": ["Låg1", "Låg2"]}
TRUE = {  # construct -> codes per unit in UNITS order
    "III.J": ["+2", "+1", "0", "-1", "-2"],    # strong: highs >= 1, lows <= 0, difference 3
    "III.G": ["+1", "+1", "0", "0", "0"],      # weak: difference 1
    "IV.B": ["+1", "+2", "0", "0", "+1"],      # difference 1 but a low unit is positive: still weak
    "I.F": ["-1", "-1", "-1", "-1", "-1"],     # no difference
    "III.C": ["X", "+1", "0", "missing", "-1"],  # one unit per group rated: difference 2, all rules met
    "V.H": ["X", "X", "0", "-1", "-1"],        # no high unit rated: insufficient
}


def _one_rater(codes=TRUE, rater="A"):
    return _ratings([(u, c, rater, v[i]) for c, v in codes.items() for i, u in enumerate(UNITS)])


def test_distinguishing_rule_strong_weak_no_insufficient():
    res = ek.cfir.matrix(_one_rater(), outcome_groups=GROUPS, language="en")
    verdict = res.distinguishing.set_index("construct")["verdict"].to_dict()
    assert verdict == {"III.J": "strong", "III.G": "weak", "IV.B": "weak", "I.F": "no", "III.C": "strong",
                       "V.H": "insufficient"}
    d = res.distinguishing.set_index("construct")
    assert d.loc["III.J", ["mean_high", "mean_low", "difference"]].tolist() == [1.5, -1.5, 3.0]
    assert (d.loc["III.C", "n_high"], d.loc["III.C", "n_low"]) == (1, 1)
    # a stricter rule: two rated units per group, and a difference of 3
    strict = ek.cfir.matrix(_one_rater(), outcome_groups=GROUPS,
                            distinguish=DistinguishRule(min_difference=3, min_units=2))
    v2 = strict.distinguishing.set_index("construct")["verdict"]
    assert (v2["III.J"], v2["III.C"]) == ("strong", "insufficient")
    assert res.distinguishing_constructs("strong") == ["III.C", "III.J"]  # framework order
    assert "at least 2 points" in res.methods("en")[1] and "minst 2" in res.methods("sv")[1]


def test_outcome_groups_as_mapping_or_series_and_checked():
    groups = pd.Series({"Hög1": "High", "Hög2": "high", "Mitt": "mid", "Låg1": "low", "Låg2": "LOW"})
    res = ek.cfir.matrix(_one_rater(), outcome_groups=groups)
    assert res.groups == {"Hög1": "high", "Hög2": "high", "Mitt": "mid", "Låg1": "low", "Låg2": "low"}
    assert res.units == ["Hög1", "Hög2", "Mitt", "Låg1", "Låg2"]
    with pytest.raises(ek.AnalysisError, match="Nord"):
        ek.cfir.matrix(_one_rater(), outcome_groups={"Nord": "high", "Låg1": "low"})
    with pytest.raises(ek.AnalysisError, match="one 'high' and one 'low'"):
        ek.cfir.matrix(_one_rater(), outcome_groups={"Hög1": "high"})


def _two(a_codes, b_codes, units=("U1",), construct="III.J"):
    return _ratings([(u, construct, "A", a) for u, a in zip(units, a_codes)]
                    + [(u, construct, "B", b) for u, b in zip(units, b_codes)])


@pytest.mark.parametrize("rule, expected", [
    ("agreed", [(2.0, "rated"), (np.nan, "disagreement"), (np.nan, "disagreement"), (np.nan, "disagreement"),
                (np.nan, "disagreement"), (np.nan, "mixed"), (np.nan, "missing")]),
    ("conservative", [(2.0, "rated"), (1.0, "rated"), (0.0, "rated"), (np.nan, "mixed"), (1.0, "rated"),
                      (np.nan, "mixed"), (np.nan, "missing")]),
    ("mean", [(2.0, "rated"), (1.5, "rated"), (0.5, "rated"), (np.nan, "mixed"), (1.0, "rated"),
              (np.nan, "mixed"), (np.nan, "missing")]),
    ("rater:B", [(2.0, "rated"), (1.0, "rated"), (-1.0, "rated"), (np.nan, "mixed"), (np.nan, "missing"),
                 (np.nan, "mixed"), (np.nan, "missing")]),
])
def test_consensus_rules(rule, expected):
    units = [f"U{i}" for i in range(7)]
    r = _two(["+2", "+2", "+2", "+1", "+1", "X", "missing"], ["+2", "+1", "-1", "X", "missing", "X", "missing"],
             units=units)
    cons = ek.cfir.matrix(r, rule=rule, agreement_stats=False).consensus.set_index("unit")
    got = [(cons.at[u, "rating"], cons.at[u, "status"]) for u in units]
    for (gv, gs), (ev, es) in zip(got, expected):
        assert gs == es and (np.isnan(ev) and np.isnan(gv) or gv == ev)
    with pytest.raises(ek.AnalysisError, match="rule"):
        ek.cfir.matrix(r, rule="median")


def test_agreement_matches_statsmodels_and_krippendorff_and_counts_exclusions():
    rng = np.random.default_rng(7)
    scale = ["-2", "-1", "0", "+1", "+2"]
    a = rng.choice(scale, 40).tolist()
    b = [v if rng.random() < 0.7 else rng.choice(scale) for v in a]
    # no rater ever uses -2 in these cells' pairs? make sure weights still follow the scale by dropping it
    a = [("-1" if v == "-2" else v) for v in a]
    b = [("-1" if v == "-2" else v) for v in b]
    a[:3], b[3:5] = ["X", "X", "missing"], ["X", "missing"]
    units = [f"U{i}" for i in range(40)]
    res = ek.cfir.rating_agreement(_two(a, b, units=units), n_boot=200)
    keep = [i for i in range(40) if a[i] not in ("X", "missing") and b[i] not in ("X", "missing")]
    cats = [-2, -1, 0, 1, 2]
    ai, bi = [int(a[i]) for i in keep], [int(b[i]) for i in keep]
    table = pd.crosstab(pd.Categorical(ai, cats), pd.Categorical(bi, cats), dropna=False).to_numpy()
    kappa = cohens_kappa(table, wt="linear", return_results=False)
    assert res.cohen.value == pytest.approx(kappa, abs=1e-12)
    alpha = krippendorff.alpha(reliability_data=[ai, bi], level_of_measurement="ordinal", value_domain=cats)
    assert res.krippendorff.value == pytest.approx(alpha, abs=1e-9)
    assert (res.n_pairs, res.excluded_mixed, res.excluded_missing) == (len(keep), 3, 2)
    assert res.cohen.n_units == len(keep)
    assert res.exact == pytest.approx(np.mean([x == y for x, y in zip(a, b)]))
    frame = res.to_frame()
    assert frame["method"].tolist() == ["cohen", "krippendorff"] and frame["excluded_mixed"].eq(3).all()
    assert "3 X-bedömningar och 2 saknade" in res.sentences("sv")[0]


def test_three_raters_give_alpha_only():
    r = pd.concat([_one_rater(rater=k) for k in "ABC"], ignore_index=True)
    res = ek.cfir.rating_agreement(r, n_boot=0)
    assert res.cohen is None and res.krippendorff.value == pytest.approx(1.0)
    assert res.n_raters == 3


def test_result_views_and_report_hooks(tmp_path):
    r = pd.concat([_one_rater(rater="A"), _one_rater({**TRUE, "I.F": ["-1", "-2", "-1", "-1", "-1"]}, rater="B")],
                  ignore_index=True)
    res = ek.cfir.matrix(r, outcome_groups=GROUPS, n_boot=100)
    assert isinstance(res, ek.CFIRResult)
    assert res.to_frame().columns.tolist() == list(ek.CFIRResult.COLUMNS)
    t = res.table("en")
    assert t.columns.tolist() == ["Construct id", "Construct", *UNITS, "Distinguishes high from low"]
    row = t.set_index("Construct id")
    assert row.loc["I.F", "Hög2"] == "≠" and row.loc["III.C", "Hög1"] == "X" and row.loc["III.C", "Låg1"] == "–"
    assert row.loc["III.J", "Hög1"] == "+2" and row.loc["III.J", "Låg2"] == "−2"
    assert row.loc["III.J", "Distinguishes high from low"] == "strong"
    for lang in ("sv", "nb", "en"):
        s = res.sentences(lang)
        assert len(s) == 3 and "III.J" in s[1]
        assert len(res.methods(lang)) == 3
        tables = res.report_tables(lang)
        assert len(tables) == 3 and all(isinstance(x[1], pd.DataFrame) for x in tables)
        # the agreement table names its measures in the report's language, not by their codes
        measures = tables[2][1].iloc[:, 0].tolist()
        assert measures == [ek.i18n.text("agreement", f"names.{m}", lang) for m in ("cohen", "krippendorff")]
    assert "<table" in res._repr_html_() and "strong III.C, III.J; weak III.G, IV.B" in res.summary()
    fig = res.plot()
    hatches = [p.get_hatch() for p in fig.axes[0].patches]
    assert hatches.count("///") == 3 and hatches.count("xx") == 1   # III.C Hög1, V.H Hög1/Hög2 ; I.F Hög2
    report = ek.Report("CFIR", language="sv")
    report.add(res)
    report.save(tmp_path / "cfir.docx")
    assert (tmp_path / "cfir.docx").stat().st_size > 10_000


def test_bad_ratings_frames_are_refused():
    with pytest.raises(ek.AnalysisError, match="load_ratings"):
        ek.cfir.matrix(pd.DataFrame({"unit": ["a"]}))
    r = _one_rater()
    with pytest.raises(ek.AnalysisError, match="repeat"):
        ek.cfir.matrix(pd.concat([r, r]))
