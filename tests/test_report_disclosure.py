"""Disclosure control of report tables: a TableSpec applied through evalkit.privacy.

Expected masks are worked out by hand from the rules in DESIGN.md ("Disclosure
control") and the domain brief §2.4: a count 1–4 → hidden (zero only when the
rules say so); percentage on a denominator < 30 → hidden, and so is a share
whose count is hidden; a row/column with a visible total → the fewest further
cells that leave every hidden cell an interval of at least 5. The second half
checks that every other place a number leaves evalkit goes through the same
rules: sentences, the heatmap, group sizes, the joint display, the report's
methods text, and the config.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ReportError
from evalkit.report import TableSpec, disclosure_mask


def _hidden(mask: pd.DataFrame, columns) -> list[list[int]]:
    return mask[list(columns)].to_numpy().astype(int).tolist()


def test_primary_count_suppression_respects_k_and_shows_zero_unless_told():
    from evalkit.privacy import Disclosure

    t = pd.DataFrame({"n": [0, 4, 5, 30]})
    spec = TableSpec(counts=("n",))
    assert disclosure_mask(t, spec, (5, 30))["n"].tolist() == [False, True, False, False]
    assert disclosure_mask(t, spec, (10, 30))["n"].tolist() == [False, True, True, False]
    assert disclosure_mask(t, spec, Disclosure(5, 30, zero_is_small=True))["n"].tolist() == [True, True, False,
                                                                                             False]


def test_secondary_suppression_along_a_row_with_a_total_column():
    # row: 3 + 20 + 40 = 63; hiding only 3 would let a reader compute it as 63 − 20 − 40
    t = pd.DataFrame({"a": [3], "b": [20], "c": [40], "total": [63]})
    m = disclosure_mask(t, TableSpec(counts=("a", "b", "c"), total_column="total"), (5, 30))
    assert _hidden(m, ["a", "b", "c", "total"]) == [[1, 1, 0, 0]]


def test_secondary_suppression_down_a_column_with_a_total_row():
    t = pd.DataFrame({"unit": ["N", "S", "V", "All"], "n": [12, 2, 9, 23]})
    m = disclosure_mask(t, TableSpec(counts=("n",), total_row=True), (5, 30))
    assert m["n"].tolist() == [False, True, True, False]
    # the same table with a repeated index label (positions count, not labels)
    m = disclosure_mask(t.set_index(pd.Index(["x", "x", "y", "y"])), TableSpec(counts=("n",), total_row=True))
    assert m["n"].tolist() == [False, True, True, False]   # 2 primary, 9 the next smallest


def test_secondary_suppression_cascades_until_stable():
    t = pd.DataFrame({"a": [3, 10, 13], "b": [20, 25, 45], "total": [23, 35, 58]})
    m = disclosure_mask(t, TableSpec(counts=("a", "b"), total_row=True, total_column="total"), (5, 30))
    # 3 (primary) → 20 (row 0) and 10 (column a) → 25 (row 1 / column b); totals stay visible
    assert _hidden(m, ["a", "b", "total"]) == [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    # no line with a visible total is left with exactly one hidden cell
    values = t.to_numpy()
    hidden = m[["a", "b", "total"]].to_numpy()
    for r in range(2):
        assert hidden[r, :2].sum() != 1
    for c in range(2):
        assert hidden[:2, c].sum() != 1
    assert values.shape == hidden.shape


def test_no_secondary_suppression_without_totals():
    t = pd.DataFrame({"a": [3, 10], "b": [20, 25]})
    m = disclosure_mask(t, TableSpec(counts=("a", "b")), (5, 30))
    assert _hidden(m, ["a", "b"]) == [[1, 0], [0, 0]]


def test_two_hidden_cells_in_a_line_need_no_more():
    t = pd.DataFrame({"a": [3], "b": [2], "c": [40], "total": [45]})
    m = disclosure_mask(t, TableSpec(counts=("a", "b", "c"), total_column="total"), (5, 30))
    assert _hidden(m, ["a", "b", "c", "total"]) == [[1, 1, 0, 0]]


def test_percentages_hidden_on_small_denominators_column_or_fixed():
    t = pd.DataFrame({"n": [29, 30, np.nan], "share": [0.5, 0.8, 0.2]})
    def hidden(denominator):
        return disclosure_mask(t, TableSpec(percents={"share": denominator}), (5, 30))["share"].tolist()

    assert hidden("n") == [True, False, True]
    assert hidden(25) == [True, True, True]
    assert hidden(120) == [False, False, False]


def test_spec_combines_counts_percentages_numerators_and_guards():
    t = pd.DataFrame({
        "unit": ["A", "B", "C"],
        "yes": [3, 20, 40],
        "n": [40, 25, 60],
        "share": [3 / 40, 20 / 25, 40 / 60],
        "mean_hours": [12.5, 30.1, 22.0],
        "group_n": [4, 25, 60],
    })
    spec = TableSpec(counts=("yes", "n"), percents={"share": "n"}, numerators={"share": "yes"},
                     guards={"mean_hours": "group_n"})
    m = disclosure_mask(t, spec, (5, 30))
    assert m["yes"].tolist() == [True, False, False]
    assert m["n"].tolist() == [False, False, False]
    # row A: numerator hidden → share hidden (else 0.075 × 40 = 3); row B: denominator 25 < 30
    assert m["share"].tolist() == [True, True, False]
    assert m["mean_hours"].tolist() == [True, False, False]
    assert not m["unit"].any()


def test_spec_naming_missing_columns_is_a_report_error():
    t = pd.DataFrame({"n": [1]})
    with pytest.raises(ReportError, match="does not have"):
        disclosure_mask(t, TableSpec(counts=("antal",)), (5, 30))


@pytest.mark.parametrize("bad", [(0, 30), (5, 0), (5,), "five", None])
def test_thresholds_cannot_switch_suppression_off(bad):
    t = pd.DataFrame({"n": [1]})
    with pytest.raises(ReportError, match="thresholds"):
        disclosure_mask(t, TableSpec(counts=("n",)), bad)


# ----------------------------------------------------------------------------- the spec's finer rules
def test_a_total_of_some_columns_leaves_the_others_out_of_its_line():
    # applicable = yes + partly + no; "na" is beside it. A zero in "na" is not small and not in the line.
    t = pd.DataFrame({"yes": [10, 58], "partly": [15, 2], "no": [36, 1], "applicable": [61, 61], "na": [0, 4]})
    spec = TableSpec(counts=("yes", "partly", "no", "applicable", "na"), total_column="applicable",
                     summed=("yes", "partly", "no"))
    m = disclosure_mask(t, spec, (5, 30))
    assert _hidden(m, ["yes", "partly", "no", "applicable", "na"]) == [[0, 0, 0, 0, 0], [1, 1, 1, 0, 1]]


def test_a_share_that_gives_back_a_small_count_is_hidden_with_its_interval():
    t = pd.DataFrame({"n": [61, 61, 20], "share": [3 / 61, 10 / 61, 0.5], "lo": [0.02, 0.09, 0.3],
                      "hi": [0.13, 0.27, 0.7], "diff": [1.0, 2.0, 3.0]})
    spec = TableSpec(counts=("n",), percents={"share": "n", "lo": "n", "hi": "n"},
                     derived={"lo": ("share",), "hi": ("share",), "diff": ("share",)})
    m = disclosure_mask(t, spec, (5, 30))
    assert m["share"].tolist() == [True, False, True]   # 3 of 61 → count 3; 20 < 30
    assert m["lo"].tolist() == m["hi"].tolist() == m["diff"].tolist() == [True, False, True]
    zero = pd.DataFrame({"n": [61], "share": [0.0]})
    assert not disclosure_mask(zero, TableSpec(counts=("n",), percents={"share": "n"}), (5, 30)).any().any()


def test_interval_bounds_go_with_a_share_whose_count_is_hidden():
    # as in the survey's share table: the share has its count, the bounds only the denominator
    t = pd.DataFrame({"valid": [254, 240], "positive": [3, 200], "share": [3 / 254, 200 / 240],
                      "lo": [0.004, 0.78], "hi": [0.034, 0.87]})
    spec = TableSpec(counts=("valid", "positive"), percents={"share": "valid", "lo": "valid", "hi": "valid"},
                     numerators={"share": "positive"})
    m = disclosure_mask(t, spec, (5, 30))
    assert m["share"].tolist() == m["lo"].tolist() == m["hi"].tolist() == [True, False]


def test_a_p_value_is_hidden_only_where_a_count_it_rests_on_is_hidden():
    t = pd.DataFrame({"k_before": [0, 1, 9], "k_after": [9, 10, 5], "p": [0.004, 0.02, 0.3]})
    spec = TableSpec(counts=("k_before", "k_after"), derived={"p": ("k_before", "k_after")}, pvalues=("p",))
    assert disclosure_mask(t, spec, (5, 30))["p"].tolist() == [False, True, False]


# ----------------------------------------------------------------------------- sentences, figures, groups
def _interviews():
    """20 interviews: 12 before (chef ×10, politiker ×1, brukare ×1 … ) and 8 after; themes A and B."""
    from evalkit.io.codings import ImportReport, finish_tables, stable_guid

    groups = {f"s{i}": ("chef" if i < 15 else ("politiker" if i == 15 else "brukare")) for i in range(20)}
    periods = {f"s{i}": ("före" if i < 12 else "efter") for i in range(20)}
    raised = {"A": [f"s{i}" for i in (0, 1, 12, 13, 14, 15, 16)],      # 2 before, 5 after
              "B": [f"s{i}" for i in range(0, 12)] + ["s12"]}          # 12 before, 1 after
    sources = [{"source_guid": stable_guid("s", s), "name": s, "kind": "text", "text": f"Text om {s} här."}
               for s in groups]
    codes = [{"code_guid": stable_guid("k", c), "name": c, "parent_guid": None, "is_codable": True} for c in "AB"]
    segs = [{"segment_guid": stable_guid("g", s, c), "source_guid": stable_guid("s", s),
             "code_guid": stable_guid("k", c), "coder": stable_guid("user", "a"), "start": 0, "end": 4, "text": "Text"}
            for c, where in raised.items() for s in where]
    cases = [{"case_guid": stable_guid("case", s), "name": s, "source_guid": stable_guid("s", s)} for s in groups]
    attrs = [{"owner_guid": stable_guid("case", s), "owner_kind": "case", "variable": v, "type": "Text", "value": val}
             for s in groups for v, val in (("grupp", groups[s]), ("period", periods[s]))]
    users = [{"user_guid": stable_guid("user", "a"), "name": "a"}]
    return finish_tables(sources=sources, codes=codes, segments=segs, cases=cases, attributes=attrs, users=users,
                         report=ImportReport("test"), path=None, fmt="test", rows_read=len(segs))


@pytest.fixture(scope="module")
def interviews():
    from evalkit.analysis.qualitative import qualitative_analysis

    return qualitative_analysis(_interviews(), n_boot=0)


def test_interview_sentences_print_no_number_their_table_hides(interviews):
    text = " ".join(interviews.sentences("sv"))
    # before/after with 12 and 8 interviews: no percentage on those bases, and the counts 2 and 1 are hidden;
    # so are 5 and 12 beside them, because the same sentences give the themes' totals, 7 and 13 (7 − 5 = 2)
    assert "%" not in text.split("Två kodare")[0]
    assert "B (13), A (7)" in text
    assert "Temat A togs upp i .. av 12 intervjuer före och i .. av 8 efter" in text
    assert "Temat B togs upp i .. av 12 intervjuer före och i .. av 8 efter" in text
    # the same rules with k = 1 print every number, so the sentence really carries them
    from evalkit.privacy import Disclosure
    loose = " ".join(interviews.sentences("sv", disclosure=Disclosure(1, 1)))
    assert "17 %" in loose.replace("\u00a0", " ") or "17\u00a0%" in loose


def test_group_sizes_below_the_threshold_are_not_shown(interviews):
    caption, frame, spec = interviews.report_tables("sv")[1]
    m = disclosure_mask(frame, spec, (5, 30))
    size = "Intervjuer i gruppen"
    by_group = dict(zip(frame["Grupp"], m[size]))
    assert by_group == {"brukare": True, "chef": False, "politiker": True}   # 4 and 1 persons; 15
    assert frame.loc[frame["Grupp"] == "politiker", size].iloc[0] == 1


def test_the_heatmap_hides_what_the_table_hides(interviews):
    import matplotlib
    matplotlib.use("Agg")
    from evalkit.privacy import Disclosure

    fig = interviews.plot(language="sv")
    shown = fig.axes[0].images[-1].get_array()
    caption, frame, spec = interviews.report_tables("sv")[1]
    m = disclosure_mask(frame, spec, (5, 30))
    assert m["Andel"].all()                      # every group has fewer than 30 interviews
    assert np.ma.getmaskarray(shown).all() or np.isnan(np.ma.filled(shown, np.nan)).all()
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels.count("..") == shown.size
    from evalkit.privacy._disclosure import is_withheld
    assert is_withheld(fig)                      # a report prints "the figure is not shown …" instead
    fig = interviews.plot(language="sv", disclosure=Disclosure(1, 1))
    assert not np.isnan(np.ma.filled(fig.axes[0].images[-1].get_array(), np.nan)).any()
    assert not is_withheld(fig)


def test_the_joint_display_counts_go_through_the_rules(interviews):
    from evalkit.analysis.qualitative import joint_display

    class Effect:
        def sentences(self, language):
            return ["Effekten var stor."]

    jd = joint_display({"utfall": Effect()}, {"utfall": ["A", "B"]}, interviews, "sv")
    assert jd.table["themes"].iloc[0] == "A (7/20); B (13/20)"
    from evalkit.privacy import Disclosure
    jd = joint_display({"utfall": Effect()}, {"utfall": ["A"]}, interviews, "sv", disclosure=Disclosure(8, 30))
    assert jd.table["themes"].iloc[0] == "A (../20)"


def test_the_report_passes_its_rules_to_sentences_and_states_them(tmp_path):
    from docx import Document
    from evalkit.report import Report

    seen = {}

    class Result:
        title = "Resultat"

        def sentences(self, language, disclosure=None):
            seen["rules"] = disclosure
            return [f"Antal: {disclosure.count(4, language)} och {disclosure.count(3, language)}"]

    report = Report("R", thresholds=(4, 20), zero_is_small=True)
    report.add(Result())
    report.save(tmp_path / "r.docx")
    assert (seen["rules"].count_below, seen["rules"].denominator_below, seen["rules"].zero_is_small) == (4, 20, True)
    text = "\n".join(p.text for p in Document(tmp_path / "r.docx").paragraphs)
    assert "Antal: 4 och .." in text   # 3 is below 4, 4 is not
    assert "Antal från 1 till och med 3 redovisas som" in text and ", även noll" in text
    assert "mindre än 20" in text
    cells = [c.text for t in Document(tmp_path / "r.docx").tables for row in t.rows for c in row.cells]
    assert "Noll döljs som litet antal" in cells and "ja" in cells


@pytest.mark.parametrize("key, value", [("suppress_counts_below", 0), ("suppress_counts_below", -3),
                                        ("suppress_percent_denominator_below", 0),
                                        ("suppress_zero_counts", '"yes"')])
def test_config_refuses_thresholds_that_switch_control_off(tmp_path, key, value):
    import evalkit as ek
    from evalkit.config import Evaluation

    text = ('[evaluation]\ntitle = "T"\nlanguage = "sv"\nseed = 1\n[change]\nname = "C"\ndate = 2017-01-01\n'
            f'[report]\n{key} = {value}\n')
    path = tmp_path / "eval.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ek.ConfigError, match=f"report.{key}"):
        Evaluation.from_toml(path)


def test_config_reads_the_zero_rule(tmp_path):
    from evalkit.config import Evaluation

    path = tmp_path / "eval.toml"
    path.write_text('[evaluation]\ntitle = "T"\nlanguage = "sv"\nseed = 1\n[change]\nname = "C"\n'
                    'date = 2017-01-01\n[report]\nsuppress_zero_counts = true\n', encoding="utf-8")
    assert Evaluation.from_toml(path).report.suppress_zero_counts is True


def test_a_mask_asked_for_again_is_the_same_and_a_changed_cell_is_worked_out_anew():
    spec = TableSpec(counts=("n",), total_row=True, percents={"share": "n"})
    table = pd.DataFrame({"unit": ["A", "B", "Alla"], "n": [12, 2, 14], "share": [0.5, 0.5, 0.5]})
    first = disclosure_mask(table, spec, (5, 30))
    first.iloc[:, :] = False  # a caller changing its copy changes nothing for the next one
    again = disclosure_mask(table.set_axis([7, 8, 9]), spec, (5, 30))
    assert again.index.tolist() == [7, 8, 9]  # the asking frame's index, whatever the first one had
    assert again.astype(int).to_numpy().tolist() == [[0, 1, 1], [0, 1, 1], [0, 0, 1]]
    changed = table.assign(n=[12, 20, 32])
    assert not disclosure_mask(changed, spec, (5, 30))["n"].any()
    assert disclosure_mask(changed, spec, (25, 30))["n"].tolist() == [True, True, False]  # other rules
    assert disclosure_mask(table, TableSpec(counts=("n",)), (5, 30))["n"].tolist() == [False, True, False]
