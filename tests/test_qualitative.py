"""Qualitative analysis: hand-checkable frequencies, Fisher's exact test (R golden value), coder agreement
(hand-computed kappa), the sample interviews' planted patterns, joint display and the report section."""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.analysis.qualitative import ALL, coding_agreement, joint_display, qualitative_analysis, run_qualitative
from evalkit.errors import AnalysisError
from evalkit.io.codings import ImportReport, finish_tables, stable_guid


def _codings(presence: dict[tuple[str, str], list[str]], groups: dict[str, str], periods: dict[str, str],
             codes=("A", "B")):
    """presence: (source, coder) -> codes coded; each code one segment covering the text."""
    sources = [{"source_guid": stable_guid("s", s), "name": s, "kind": "text", "text": f"Text om {s} här."}
               for s in groups]
    cat = stable_guid("cat")
    code_rows = [{"code_guid": cat, "name": "Fungerar bra", "parent_guid": None, "is_codable": False}] + \
        [{"code_guid": stable_guid("k", c), "name": c, "parent_guid": cat if c == "A" else None, "is_codable": True}
         for c in codes]
    segs = [{"segment_guid": stable_guid("g", s, who, c), "source_guid": stable_guid("s", s),
             "code_guid": stable_guid("k", c), "coder": stable_guid("user", who), "start": 0, "end": 4, "text": "Text"}
            for (s, who), cs in presence.items() for c in cs]
    cases = [{"case_guid": stable_guid("case", s), "name": s, "source_guid": stable_guid("s", s)} for s in groups]
    attrs = [{"owner_guid": stable_guid("case", s), "owner_kind": "case", "variable": v, "type": "Text", "value": val}
             for s in groups for v, val in (("grupp", groups[s]), ("period", periods[s]))]
    users = [{"user_guid": stable_guid("user", w), "name": w} for w in ("a", "b")]
    return finish_tables(sources=sources, codes=code_rows, segments=segs, cases=cases, attributes=attrs, users=users,
                         report=ImportReport("test"), path=None, fmt="test", rows_read=len(segs))


def test_frequency_counts_sources_and_segments_with_group_sizes():
    c = _codings({("s1", "a"): ["A", "B"], ("s2", "a"): ["A"], ("s3", "a"): [], ("s3", "b"): ["A"]},
                 {"s1": "chef", "s2": "chef", "s3": "brukare"}, {"s1": "före", "s2": "efter", "s3": "efter"})
    r = qualitative_analysis(c, coder="a", n_boot=0)
    f = r.frequency.set_index(["code", "group"])
    assert f.loc[("A", "chef"), "n_sources"] == 2 and f.loc[("A", "chef"), "group_size"] == 2
    assert f.loc[("A", "brukare"), "n_sources"] == 0  # coder b's coding is not counted
    assert f.loc[("B", "chef"), "share"] == 0.5
    assert r.cooccurrence.loc["A", "B"] == 1 and r.cooccurrence.loc["A", "A"] == 2
    assert list(r.works_well["code"]) == ["A"]  # A sits under the category "Fungerar bra"


def test_before_after_fisher_matches_r():
    # R: fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value == 0.4857 (Fisher's tea-tasting table)
    srcs = [f"s{i}" for i in range(8)]
    periods = {s: ("före" if i < 4 else "efter") for i, s in enumerate(srcs)}
    raised = {"s0", "s1", "s2", "s4"}
    c = _codings({(s, "a"): (["A"] if s in raised else []) for s in srcs}, {s: "chef" for s in srcs}, periods)
    r = qualitative_analysis(c, n_boot=0, min_exact=4)
    row = r.before_after.set_index("code").loc["A"]
    assert (row["n_before"], row["N_before"], row["n_after"], row["N_after"]) == (3, 4, 1, 4)
    assert row["p_value"] == pytest.approx(0.4857, abs=1e-4)
    # below the minimum group size the test is not shown
    assert np.isnan(qualitative_analysis(c, n_boot=0, min_exact=5).before_after["p_value"]).all()


def test_coder_agreement_equals_hand_computed_kappa():
    # 5 double-coded sources x 2 codes = 10 units: both yes 4, a-only 1, b-only 1, both no 4:
    # po = 0.8, pe = 0.5*0.5 + 0.5*0.5 = 0.5, kappa = (0.8 - 0.5) / 0.5 = 0.6
    a = {"s1": ["A", "B"], "s2": ["A", "B"], "s3": ["A"], "s4": [], "s5": []}
    b = {"s1": ["A", "B"], "s2": ["A", "B"], "s3": [], "s4": ["B"], "s5": []}
    pres = {**{(s, "a"): v for s, v in a.items()}, **{(s, "b"): v for s, v in b.items()}}
    groups = {s: "chef" for s in a}
    c = _codings(pres, groups, {s: "efter" for s in a})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = coding_agreement(c, n_boot=0, double_coded=list(a))
    overall = table.set_index("code").loc[ALL]
    assert overall["value"] == pytest.approx(0.6) and overall["n_units"] == 10
    assert overall["percent_agreement"] == pytest.approx(0.8)
    # per code A: units yes/yes x2, yes/no x1, no/no x2 -> po 0.8, pe = .6*.4 + .4*.6 = .48 -> kappa 0.6154
    assert table.set_index("code").loc["A", "value"] == pytest.approx((0.8 - 0.48) / 0.52)


def test_segment_units_merge_overlapping_spans():
    c = _codings({("s1", "a"): ["A"], ("s1", "b"): ["A", "B"]}, {"s1": "chef"}, {"s1": "efter"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = coding_agreement(c, unit="segment", n_boot=0).set_index("code")
    assert t.loc[ALL, "n_units"] == 2 and t.loc[ALL, "percent_agreement"] == 0.5


def _sample():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data_samples" / "exempelkommun"))
    import generate_interviews
    return generate_interviews


def test_sample_interviews_show_planted_patterns(sample_dir):
    from evalkit.io.codings import load_codings
    c = load_codings(sample_dir / "intervjuer.qdpx")
    r = qualitative_analysis(c, seed=0, n_boot=200)
    ba = r.before_after.set_index("code")
    # planted: longer processing time and goals raised far more after IBIC, minute-control far less
    assert ba.loc["Längre handläggningstid", "difference"] > 0.25
    assert ba.loc["Mål dokumenteras", "difference"] > 0.25
    assert ba.loc["Minutstyrning", "difference"] < -0.25
    f = r.frequency.set_index(["code", "group"])
    assert f.loc[("Längre handläggningstid", "handläggare"), "n_sources"] >= 2
    # second coder misses 15 % of themes: agreement high but not perfect
    overall = r.agreement_table.set_index("code").loc[ALL]
    double_coded = c.segments.groupby("source_guid")["coder"].nunique().ge(2).sum()
    assert double_coded >= 4
    assert 0.5 < overall["value"] < 1 and overall["n_units"] == double_coded * 8
    # quotes: role labels only, staff name and phone number masked
    assert r.quotes["label"].str.fullmatch(r"[A-ZÅÄÖ][a-zåäö]+ \d+").all()
    assert not r.quotes["quote"].str.contains("Lena Berg|070-123").any()


def test_joint_display_puts_effect_beside_themes(sample_dir):
    from evalkit.io.codings import load_codings
    r = qualitative_analysis(load_codings(sample_dir / "intervjuer.qdpx"), n_boot=0)

    class FakeITS:
        def sentences(self, language):
            return [f"Handläggningstiden ökade med 5 dagar ({language})."]

    jd = joint_display({"processing_time": FakeITS()}, {"processing_time": ["Längre handläggningstid"],
                                                        "goal_recorded": ["Mål dokumenteras"]}, r, "sv")
    t = jd.table.set_index("outcome")
    assert t.loc["processing_time", "effect"] == "Handläggningstiden ökade med 5 dagar (sv)."
    assert t.loc["processing_time", "themes"].startswith("Längre handläggningstid (")
    assert "handläggare" in t.loc["processing_time", "raised_by"]
    assert t.loc["goal_recorded", "effect"] == "" and t.loc["goal_recorded", "quote"].startswith("\u201d")
    with pytest.raises(AnalysisError, match="not in the codings"):
        joint_display({}, {"x": ["Okänt tema"]}, r)


def test_run_qualitative_options():
    c = _sample().interviews()
    r = run_qualitative(c, {"group": "grupp", "period": "period", "mask_names": ["Berg"], "n_boot": 0,
                            "quote_max_chars": 80})
    assert r.quotes["quote"].str.len().max() <= 82
    with pytest.raises(AnalysisError, match="unknown qualitative option"):
        run_qualitative(c, {"grop": "x"})
    with pytest.raises(AnalysisError, match="no group variable"):
        run_qualitative(c, {"group": "saknas"})


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_report_section_renders(tmp_path, language):
    import docx
    from evalkit.report import Report
    c = _sample().interviews()
    r = qualitative_analysis(c, language=language, n_boot=50)
    jd = joint_display({}, {"processing_time": ["Längre handläggningstid"]}, r, language)
    report = Report("Intervjuer", language=language)
    report.add(r)
    report.add(jd)
    path = report.save(tmp_path / "q.docx", xlsx=tmp_path / "q.xlsx")
    doc = docx.Document(path)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert r.title in headings and jd.title in headings
    assert len(doc.tables) >= 5
    text = "\n".join(p.text for p in doc.paragraphs)
    assert r.sentences(language)[0] in text
    # disclosure control: counts of interviews below 5 are shown as ".."
    cells = [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    assert ".." in cells


def test_fisher_p_hidden_with_either_count_it_comes_from():
    from evalkit.report import disclosure_mask
    srcs = [f"s{i}" for i in range(20)]
    periods = {s: ("före" if i < 10 else "efter") for i, s in enumerate(srcs)}
    # interviews raising each theme, before (s0-s9) and after (s10-s19)
    raised = {"A": srcs[:6] + srcs[10:12],    # 6 / 2: the after count is hidden
              "B": srcs[:2] + srcs[10:17],    # 2 / 7: the before count is hidden
              "C": srcs[:6] + srcs[10:18]}    # 6 / 8: both shown
    pres = {(s, "a"): [c for c, where in raised.items() if s in where] for s in srcs}
    r = qualitative_analysis(_codings(pres, {s: "chef" for s in srcs}, periods, codes=("A", "B", "C")), n_boot=0)
    caption, table, spec = r.report_tables("sv")[0]
    assert caption == "Andel intervjuer som tar upp varje tema före och efter"
    hidden = disclosure_mask(table, spec, (5, 5)).set_axis(table.iloc[:, 0])
    p = "p-värde (Fishers exakta test)"
    assert table[p].notna().all()
    assert hidden[p].to_dict() == {"A": True, "B": True, "C": False}
    assert hidden.loc["C"].sum() == 0


def test_heatmap_rows_follow_the_code_tree(sample_dir):
    import matplotlib
    matplotlib.use("Agg")
    from evalkit.io.codings import load_codings
    c = load_codings(sample_dir / "intervjuer.qdpx")
    fig = qualitative_analysis(c, n_boot=0).plot(language="en")
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert rows == list(c.codes.loc[c.codes["is_codable"], "name"])
    assert fig.axes[0].get_xlabel() == "Group"
