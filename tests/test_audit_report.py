"""The audit result in a Word report: sentences with numbers, localized tables, figure, methods, checklist appendix.

Simulated audits with known compliance: item A2 moves 0.20 -> 0.80, every other item stays at 0.70,
so A2 must be the one item "changed" and the rest indistinguishable from noise.
"""
from __future__ import annotations

import shutil
import subprocess

import matplotlib
import numpy as np
import pandas as pd
import pytest
from docx import Document

import evalkit.audit as audit
from evalkit.audit import _text
from evalkit.report import Report, disclosure_mask

matplotlib.use("Agg")
CHECKLIST = audit.load_checklist("ibic")
STAGE = {i.id: i.stage for i in CHECKLIST.items}


def make_frame(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"decision_id": [f"b{i:05d}" for i in range(n)],
                      "unit": rng.choice(["Nord", "Syd"], n), "service": "Hemtjänst"})
    f["period"] = np.where(np.arange(n) < n // 2, "before", "after")
    return f


def simulate(sample, seed=1, double=0.3, flip=0.1):
    """Answers of two reviewers: R1 all, R2 a share `double`; R2 differs from R1 with probability `flip`."""
    rng = np.random.default_rng(seed)
    rows = []
    for _, d in sample.frame.iterrows():
        second = rng.random() < double
        for item in CHECKLIST.item_ids:
            p = (0.80 if d["period"] == "after" else 0.20) if item == "A2" else 0.70
            answer = "yes" if rng.random() < p else "no"
            rows.append((d["decision_id"], "R1", item, STAGE[item], answer))
            if second:
                other = answer if rng.random() > flip else ("no" if answer == "yes" else "yes")
                rows.append((d["decision_id"], "R2", item, STAGE[item], other))
    return pd.DataFrame(rows, columns=["decision_id", "reviewer", "item", "stage", "answer"])


@pytest.fixture(scope="module")
def result():
    s = audit.draw(make_frame(), strata="period", margin=0.12, precision="stratum", seed=4)
    return audit.score(simulate(s), s, compare="period", order=("before", "after"), checklist="ibic",
                       n_boot=200, seed=1)


def test_changed_items_are_the_true_effect_only(result):
    # Known truth: only A2 changes (by 60 points); B..E and the other A items are negative controls.
    assert result.changed_items() == ["A2"]
    a2 = result.comparison.set_index("item").loc["A2"]
    # SE of the difference is about 0.08 with 63 per group; this draw lands 2.3 SE from the truth
    # (before: 22 of 63 against p = 0.20), so the check allows 0.25 rather than the 95 % interval.
    assert a2["ci_low"] > 0 and abs(a2["difference"] - 0.60) < 0.25
    holm = result.comparison.dropna(subset=["p_holm"])
    assert len(holm) == 20 and (holm["p_holm"] >= holm["p_fisher"] - 1e-12).all()


@pytest.mark.parametrize("language, word, decimal", [("sv", "procentenheter", ","), ("nb", "prosentpoeng", ","),
                                                     ("en", "percentage points", ".")])
def test_sentences_have_numbers_in_the_language(result, language, word, decimal):
    from evalkit.privacy import Disclosure

    # count_below=1: no count is small, so every number is printed (the formatting is what is tested here)
    text = result.sentences(language, disclosure=Disclosure(1, 1))
    # one sentence per stage (5) and all items, then changed / unchanged items, then agreement
    assert len(text) == 6 + 2 + 1
    assert all(word in t for t in text[:6])
    assert "A2" in text[6] and "A1" in text[7] and "A2" not in text[7]
    kappa = result.agreement.set_index("item").loc["all items", "value"]
    assert f"{kappa:.2f}".replace(".", decimal) in text[8]
    share = result.stages.query("stage == 'A' and group == 'before'")["share"].iloc[0]
    assert f"{100 * share:.0f}" in text[0]


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_a_changed_item_is_named_by_its_wording(result, language):
    # the changed item is told with its question, so the sentence reads without the checklist beside it
    from evalkit.privacy import Disclosure

    text = result.sentences(language, disclosure=Disclosure(1, 1))[6]
    question = next(i for i in CHECKLIST.items if i.id == "A2").question(language)
    assert f"{question} (A2)" in text and question not in result.sentences(language)[7]


def test_sentences_hide_a_share_whose_count_the_tables_hide(result):
    # stage A before: every one of 8 items met in ~6 % of 63 case files, i.e. fewer than 5 case files
    row = result.stages.query("stage == 'A' and group == 'before'").iloc[0]
    assert 0 < row["n_yes"] < 5
    text = result.sentences("sv")[0]
    assert f"{100 * row['share']:.0f}\u00a0%" not in text and "i .. av ärendena" in text
    assert "förändring med .. procentenheter" in text   # the change is computed from the hidden share


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_methods_name_the_design(result, language):
    text = " ".join(result.methods(language))
    d = result.design
    assert str(d["seed"]) in text and d["manifest_sha256"][:12] in text
    assert "Wilson" in text and "Newcombe" in text and "Fisher" in text and "Holm" in text
    assert "Cochran" in text and "kappa" in text
    assert str(d["n_double"]) in text


def test_methods_margin_when_n_fixed():
    s = audit.draw(make_frame(), 200, strata="period", seed=2)
    res = audit.score(simulate(s, double=0), s, compare="period", order=("before", "after"), n_boot=0)
    text = " ".join(res.methods("en"))
    # 100 per group of N = 1000: 1.96 * sqrt(0.25/100) * sqrt(900/999) = 0.093 -> ±9 points
    assert "±9 percentage points" in text and "No case file was reviewed twice" in text


def test_tables_declare_counts_and_denominators(result):
    tables = result.report_tables("sv")
    caption, frame, spec = tables[0]
    assert list(frame.columns) == ["Punkt", "Fråga", "n före", "Andel ja före", "n efter", "Andel ja efter",
                                   "Skillnad", "KI nedre", "KI övre", "p (Holm)"]
    assert spec.percents["Andel ja före"] == "n före" and "n efter" in spec.counts
    by_item = frame.set_index("Punkt")
    assert len(frame) == 20 and by_item.loc["A2", "Skillnad"] == pytest.approx(
        100 * result.comparison.set_index("item").loc["A2", "difference"])
    # the wording stands beside the code, and the largest changes (either way) come first
    assert by_item.loc["A2", "Fråga"] == next(i.question("sv") for i in result.checklist.items if i.id == "A2")
    assert by_item.loc["A2", "Fråga"]
    from evalkit.privacy import Disclosure

    rules = Disclosure()
    hidden = [rules.hides_share(r["Andel ja före"], r["n före"]) or rules.hides_share(r["Andel ja efter"], r["n efter"])
              for _, r in frame.iterrows()]
    sizes = [-1.0 if h else abs(x) for h, x in zip(hidden, frame["Skillnad"])]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 0
    # changes the rules hide follow in checklist order: their place tells nothing about them
    order = [i.id for i in result.checklist.items]
    hidden_items = [i for i, h in zip(frame["Punkt"], hidden) if h]
    assert hidden_items == sorted(hidden_items, key=order.index)
    # the renderer would hide a share on fewer than 30 applicable answers
    small = frame.assign(**{"n före": 12})
    assert disclosure_mask(small, spec)["Andel ja före"].all()
    counts = tables[3]
    assert counts[2].total_column == "Tillämpliga" and "Ej tillämpligt" in counts[1].columns
    en = result.report_tables("en")[0][1]
    assert "Share yes before".replace("Share yes", "% yes") in en.columns


def test_plot_is_localized(result):
    import matplotlib.pyplot as plt

    fig = result.plot(language="nb")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Andel ja (av aktuelle svar)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["før", "etter"]
    assert ax.xaxis.get_major_formatter()(0.5, 0) == "50\u00a0%"
    plt.close(fig)


def test_appendix_is_the_checklist(result):
    blocks = result.appendix_blocks("en")
    items = blocks[2].frame
    assert list(items.columns) == ["Item", "Stage", "Question"] and len(items) == 20
    assert items.iloc[1].tolist() == ["A2", "Investigation", "Are needs described by life area, not by service?"]
    assert blocks[3].frame.iloc[3, 0] == "Not applicable"


def test_report_renders_audit_section(result, tmp_path):
    import matplotlib.pyplot as plt

    report = Report("Aktgranskning", language="sv", workers=1)
    report.add(result)
    path = report.save(tmp_path / "audit.docx")
    plt.close("all")
    doc = Document(path)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Aktgranskning enligt IBIC" in headings
    assert "Checklista: Aktgranskning enligt IBIC" in headings
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Holms korrektion" in text and "slumpfröet 4" in text
    header_rows = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    assert ["Punkt", "Fråga", "n före", "Andel ja före", "n efter"] in [h[:5] for h in header_rows]
    assert ["Punkt", "Steg", "Fråga"] in header_rows
    if shutil.which("soffice"):
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                       check=True, capture_output=True, timeout=180)
        assert (tmp_path / "audit.pdf").stat().st_size > 10_000


def test_group_words():
    assert _text.group_label("efter", "en") == "after" and _text.group_label("2017", "sv") == "2017"
