"""Report text, tables, figure and appendix of an :class:`~evalkit.audit.AuditResult` in sv, nb and en.

Kept apart from :mod:`evalkit.audit.scoring` so the numbers and the words can be read separately.
Every number a reader sees is written by :mod:`evalkit.i18n`; tables hold raw numbers and declare
their counts and denominators in a :class:`~evalkit.blocks.TableSpec`, so the renderer applies
disclosure control.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from evalkit import i18n
from evalkit.audit.checklists import ANSWER_CODES, ANSWER_DEFINITIONS, ANSWERS

__all__ = ["title", "sentences", "methods", "report_tables", "appendix_blocks", "plot", "group_label"]

OVERALL = "all items"

#: Group values that have a word in each language (other values are shown as they are).
#: every language's word for before/after → the key (a frame may carry the words of the language it was made in)
_GROUP_ALIASES = {word: key for lang in i18n.LANGUAGES for key, word in i18n.words("audit", lang, "group").items()}

_t = i18n.translator("audit")


def group_label(group, language: str) -> str:
    """``before``/``after`` (or their sv/nb words) in ``language``; other values as they are."""
    key = _GROUP_ALIASES.get(str(group).lower())
    return i18n.text("audit", f"group.{key}", language) if key else str(group)


def _stage_label(res, stage: str, language: str) -> str:
    if stage == OVERALL:
        return _t("all_items", language)
    if res.checklist is not None:
        try:
            return f"{res.checklist.stage_label(stage, language)} ({stage})"
        except StopIteration:
            pass
    return str(stage)


def _pct(x, language) -> str:
    return i18n.fmt_percent(x, 0, language)


def _pct_ci(share, low, high, language, hidden: bool = False) -> str:
    """``48 % (95 % KI 36–60 %)``; ``..`` when disclosure control hides the share (its interval goes with it)."""
    if hidden:
        return i18n.SUPPRESSED
    interval = i18n.fmt_interval(100 * low, 100 * high, 0, language)
    unit = "\u00a0%" if language in ("sv", "nb") else "%"
    return f"{_pct(share, language)} ({_t('ci95', language)} {interval}{unit})"


def _points(d, language) -> str:
    text = i18n.fmt_number(100 * d, 0, language)
    return text if text.startswith((i18n.MINUS, "-")) or text == i18n.MISSING or text in ("0", "0,0") \
        else "+" + text


def _points_ci(d, low, high, language, hidden: bool = False) -> str:
    if hidden:
        return f"{i18n.SUPPRESSED} {_t('points', language)}"
    word = _t("point" if round(abs(100 * d)) == 1 else "points", language)  # "+1 procentenhet"
    return (f"{_points(d, language)} {word} ({_t('ci95', language)} "
            f"{i18n.fmt_interval(100 * low, 100 * high, 0, language)})")


# ----------------------------------------------------------------------------- title and sentences
def title(res, language: str) -> str:
    if res.checklist is not None and res.checklist.title.get(language):
        return res.checklist.title[language]
    return _t("title", language)


def _rules(disclosure):
    from evalkit.privacy import Disclosure

    return disclosure if disclosure is not None else Disclosure()


def _share_hidden(row, d) -> bool:
    """Disclosure control of one share (a row of ``items`` or ``stages``): its count of "yes" and its base."""
    return d.hides_share(row["share"], row["n"], numerator=row["n_yes"])


def sentences(res, language: str = "sv", disclosure=None) -> list[str]:
    """The key results; every count and share goes through ``disclosure`` (default rules 5 and 30)."""
    i18n.check_language(language)
    d = _rules(disclosure)
    out = [_stage_sentence(res, stage, language, d) for stage in res.stages["stage"].drop_duplicates()]
    if res.compare and len(res.comparison):
        out.extend(_change_sentences(res, language, d))
    agreement = _agreement_sentence(res, language, d)
    if agreement:
        out.append(agreement)
    return [s for s in out if s]


def _stage_sentence(res, stage: str, language: str, d) -> str:
    rows = res.stages[res.stages["stage"] == stage].set_index("group")
    label = _stage_label(res, stage, language)
    if not res.compare:
        r = rows.iloc[0]
        share = _pct_ci(r['share'], r['ci_low'], r['ci_high'], language, _share_hidden(r, d))
        n = d.count(r["n"], language)
        return i18n.text("audit", "stage_sentence", language, label=label, share=share, n=n)
    a, b = res.groups
    ra, rb = rows.loc[a], rows.loc[b]
    c = res.comparison[res.comparison["stage"] == stage]
    c = c[~c["item"].isin(res.items["item"])].iloc[0]
    ga, gb = group_label(a, language), group_label(b, language)
    hide_a, hide_b = _share_hidden(ra, d), _share_hidden(rb, d)
    before = _pct_ci(ra["share"], ra["ci_low"], ra["ci_high"], language, hide_a)
    after = _pct_ci(rb["share"], rb["ci_low"], rb["ci_high"], language, hide_b)
    # the change and its interval are computed from both shares: hidden with either
    change = _points_ci(c["difference"], c["ci_low"], c["ci_high"], language, hide_a or hide_b)
    na, nb_ = d.count(ra["n"], language), d.count(rb["n"], language)
    tail = i18n.text("audit", "stage_sentence.tail", language, change=change)
    return i18n.text("audit", "stage_sentence_2", language, label=label, before=before, ga=ga, na=na, after=after,
                     gb=gb, nb_=nb_, tail=tail)


def _item_hidden(res, item, d) -> bool:
    rows = res.items[res.items["item"] == item]
    return any(_share_hidden(r, d) for _, r in rows.iterrows())


def _change_sentences(res, language: str, d) -> list[str]:
    c = res.comparison[res.comparison["item"].isin(res.items["item"]) & res.comparison["p_holm"].notna()]
    if c.empty:
        return []
    changed = set(res.changed_items())
    k = len(c)
    named = _named_items(res, language)
    moved = [f"{named[r['item']]} " + _points_ci(r["difference"], r["ci_low"], r["ci_high"], language,
                                                  _item_hidden(res, r["item"], d))
             for _, r in c.iterrows() if r["item"] in changed]
    still = [r["item"] for _, r in c.iterrows() if r["item"] not in changed]
    out = []
    if moved:
        out.append(i18n.text("audit", "change_sentences", language, k=k, moved=len(moved), moved2='; '.join(moved)))
    else:
        out.append(i18n.text("audit", "change_sentences_2", language, k=k))
    if still and moved:
        out.append(i18n.text("audit", "change_sentences_3", language, still=len(still),
                             still2=i18n.join_words(still, language)))
    return out


def item_names(res, language: str) -> dict[str, str]:
    """Item id → how text names it: its wording with the code after ("Är målen uppföljningsbara? (A7)"), so it
    reads without the checklist beside it; the code alone when the checklist is not known."""
    wording = _wording(res, language)
    return {i: f"{wording[i]} ({i})" if i in wording else i for i in res.comparison["item"]}


def _named_items(res, language: str) -> dict[str, str]:
    """:func:`item_names` in the language's quotation marks, as a sentence names an item (a bare code as is)."""
    return {i: name if name == i else i18n.label("quoted", language, text=name)
            for i, name in item_names(res, language).items()}


def _agreement_sentence(res, language: str, rules) -> str | None:
    d = res.design
    if res.agreement is None or res.agreement.empty:
        return None
    a = res.agreement[res.agreement["item"] == OVERALL]
    if a.empty:
        return None
    a = a.iloc[0]
    name = _t(a["method"], language)
    # the same rules as the agreement table: kappa is guarded by its number of cases, the share identical
    # is a percentage on that number
    few = float(a["n_units"]) < rules.count_below
    value = i18n.SUPPRESSED if few else i18n.fmt_number(a["value"], 2, language)
    interval = i18n.SUPPRESSED if few else i18n.fmt_interval(a["ci_low"], a["ci_high"], 2, language)
    double, total = d.get("n_double"), d.get("n_reviewed")
    who = ""
    if double and total:
        n2, nt = rules.count(double, language), rules.count(total, language)
        share = rules.share(double / total, total, language, numerator=double)
        who = i18n.text("audit", "agreement_sentence.who", language, n2=n2, nt=nt, share=share)
    agree = rules.base_share(a["percent_agreement"], a["n_units"], language)  # judgements, not people
    return who + i18n.text("audit", "agreement_sentence", language, name=name, value=value, interval=interval,
                           agree=agree)


# ----------------------------------------------------------------------------- methods
def methods(res, language: str = "sv") -> list[str]:
    i18n.check_language(language)
    d = res.design
    out = []
    if d:
        out.append(_design_sentence(d, language))
        out.append(_size_sentence(res, d, language))
        out.append(i18n.text("audit", "methods", language, seed=d['seed'], v1=d['manifest_sha256'][:12]))
        if d["strata"]:
            weights = [s["weight"] for s in d["strata_table"] if s["weight"]]
            lo, hi = (i18n.fmt_number(w, 1, language) for w in (min(weights), max(weights)))
            out.append(i18n.text("audit", "methods_2", language, lo=lo, hi=hi))
    out.append(i18n.text("audit", "methods_3", language))
    out.append(_review_sentence(res, d, language))
    return out


def _design_sentence(d, language) -> str:
    frame = i18n.fmt_int(d["frame_rows"] - d["excluded"], language)
    n = i18n.fmt_int(d["n_sample"], language)
    if not d["strata"]:
        return i18n.text("audit", "design_sentence", language, frame=frame, n=n)
    strata = " × ".join(d["strata"])
    h = i18n.fmt_int(len(d["strata_table"]), language)
    alloc = i18n.words("audit", language, "allocation").get(d["allocation"], d["allocation"])
    if (d.get("size_rule") or {}).get("precision") == "stratum":  # each stratum sized on its own, nothing allocated
        alloc = i18n.text("audit", "design_sentence.alloc", language)
    excluded = ""
    if d["excluded"]:
        excluded = i18n.text("audit", "design_sentence.excluded", language,
                             excluded=i18n.fmt_int(d['excluded'], language))
    return i18n.text("audit", "design_sentence_2", language, frame=frame, excluded=excluded, n=n, strata=strata,
                     h=h, alloc=alloc)


def _size_sentence(res, d, language) -> str:
    rule = d.get("size_rule")
    if rule:
        m = i18n.fmt_number(100 * rule["margin"], 0 if float(100 * rule["margin"]).is_integer() else 1, language)
        conf = _pct(rule["confidence"], language)
        p = rule["p"] if not isinstance(rule["p"], dict) else 0.5
        per = rule["precision"] == "stratum"
        where = i18n.text("audit", "size_where." + ("stratum" if per else "sample"), language)
        return i18n.text("audit", "size_sentence", language, where=where, m=m, conf=conf, p=_pct(p, language))
    n_g, big_n = _smallest_group(res, d)
    z = stats.norm.ppf(0.975)
    margin = z * math.sqrt(0.25 / n_g) * math.sqrt(max(big_n - n_g, 0) / max(big_n - 1, 1))
    m = i18n.fmt_number(100 * margin, 0, language)
    n = i18n.fmt_int(d["n_sample"], language)
    ng = i18n.fmt_int(n_g, language)
    return i18n.text("audit", "size_sentence_2", language, n=n, ng=ng, m=m)


def _smallest_group(res, d) -> tuple[int, int]:
    """(n, N) of the smallest compared group (the whole sample when not comparing strata)."""
    compare = d.get("compare")
    table = d["strata_table"]
    if compare and compare in d["strata"]:
        sizes = {}
        for s in table:
            g = s["values"][compare]
            n, big_n = sizes.get(g, (0, 0))
            sizes[g] = (n + s["sample"], big_n + s["population"])
        return min(sizes.values())
    return d["n_sample"], sum(s["population"] for s in table)


def _review_sentence(res, d, language) -> str:
    double = d.get("n_double", 0)
    if not double:
        return i18n.text("audit", "review_sentence", language)
    share = _pct(double / d["n_reviewed"], language)
    first = res.reviewers[0]
    boot = i18n.fmt_int(d.get("n_boot", 0), language)
    return i18n.text("audit", "review_sentence_2", language, double=i18n.fmt_int(double, language), share=share,
                     boot=boot, first=first)


# ----------------------------------------------------------------------------- tables
def report_tables(res, language: str = "sv", disclosure=None) -> list:
    from evalkit.blocks import TableSpec

    i18n.check_language(language)
    tables = [_items_table(res, language, TableSpec, disclosure), _stages_table(res, language, TableSpec)]
    if res.agreement is not None and not res.agreement.empty:
        tables.append(_agreement_table(res, language, TableSpec))
    tables.append(_counts_table(res, language, TableSpec))
    if res.design.get("strata"):
        tables.append(_strata_table(res, language, TableSpec))
    return tables


def _wording(res, language: str) -> dict[str, str]:
    """Item id → its question in ``language`` (the checklist's first language when it lacks this one)."""
    cl = res.checklist
    if cl is None:
        return {}
    lang = language if language in cl.languages else cl.languages[0] if cl.languages else "sv"
    return {i.id: i.question(lang) for i in cl.items}


def _change_shown(c: pd.DataFrame, disclosure) -> np.ndarray:
    """Whether each item's change is shown under ``disclosure``: both its shares are (it is derived from them)."""
    rules = _rules(disclosure)
    return np.array([not (rules.hides_share(sa, na) or rules.hides_share(sb, nb))
                     for sa, na, sb, nb in zip(c["share_a"], c["n_a"], c["share_b"], c["n_b"])], dtype=bool)


def _items_table(res, language, TableSpec, disclosure=None):
    item, stage = _t("item", language), _t("stage", language)
    stage_of = dict(zip(res.items["item"], res.items["stage"]))
    cap = _t("cap_items", language)
    # the item's wording beside its result, so a reader need not look codes up in the appendix
    wording, question = _wording(res, language), _t("question", language)
    if not res.compare or res.comparison.empty:
        t = res.items
        n, share, lo, hi = "n", _t("share_yes", language), _t("ci_low", language), _t("ci_high", language)
        columns = {item: t["item"]}
        if wording:
            columns[question] = [wording.get(i, "") for i in t["item"]]
        frame = pd.DataFrame({**columns, stage: [_stage_label(res, s, language) for s in t["stage"]],
                              n: t["n"].astype(int), share: t["share"], lo: t["ci_low"], hi: t["ci_high"]})
        return cap, frame.reset_index(drop=True), TableSpec(counts=(n,), percents={share: n, lo: n, hi: n},
                                                            derived={lo: (share,), hi: (share,)})
    a, b = (group_label(g, language) for g in res.groups)
    c = res.comparison[res.comparison["item"].isin(res.items["item"])]
    # the largest changes first (a worsening too), items without change after them: the table does not lead
    # with "0 % → 0 %" rows. Items whose change disclosure control hides come last in checklist order, so that
    # their place says nothing about the hidden value.
    shown = _change_shown(c, disclosure)
    size = np.where(shown, c["difference"].astype(float).abs(), -1.0)
    c = c.assign(_size=np.nan_to_num(size, nan=-1.0)).sort_values("_size", ascending=False, kind="stable")
    na, nb_ = f"n {a}", f"n {b}"
    sa, sb = f"{_t('share_yes', language)} {a}", f"{_t('share_yes', language)} {b}"
    diff, lo, hi, p = (_t(k, language) for k in ("diff", "ci_low", "ci_high", "p_holm"))
    # No stage column: the item id carries its stage letter, and the checklist appendix names the stages.
    columns = {item: c["item"].to_numpy()}
    if wording:
        columns[question] = [wording.get(i, "") for i in c["item"]]
    frame = pd.DataFrame({
        **columns,
        na: c["n_a"].astype(int).to_numpy(), sa: c["share_a"].to_numpy(dtype=float),
        nb_: c["n_b"].astype(int).to_numpy(), sb: c["share_b"].to_numpy(dtype=float),
        diff: 100 * c["difference"].to_numpy(dtype=float), lo: 100 * c["ci_low"].to_numpy(dtype=float),
        hi: 100 * c["ci_high"].to_numpy(dtype=float), p: c["p_holm"].to_numpy(dtype=float),
    })
    # The difference, its interval and the test rest on both groups' shares: hidden with either (a share is
    # hidden when its base or its count of "yes", share × n, is small).
    smaller = na if frame[na].sum() <= frame[nb_].sum() else nb_
    spec = TableSpec(counts=(na, nb_), percents={sa: na, sb: nb_}, guards={diff: smaller, lo: smaller, hi: smaller},
                     derived={diff: (sa, sb), lo: (sa, sb), hi: (sa, sb), p: (sa, sb)},
                     decimals={diff: 0, lo: 0, hi: 0}, pvalues=(p,))
    return (f"{cap}, {a} {_t('and', language)} {b}; {_t('diff_note', language)}; {_t('largest_first', language)}",
            frame, spec)


def _stages_table(res, language, TableSpec):
    t = res.stages
    stage, group = _t("stage", language), _t("group", language)
    met, share = _t("met", language), _t("share_yes", language)
    lo, hi = _t("ci_low", language), _t("ci_high", language)
    columns = {stage: [_stage_label(res, s, language) for s in t["stage"]]}
    if res.compare:
        columns[group] = [group_label(g, language) for g in t["group"]]
    columns.update({"n": t["n"].astype(int).to_numpy(), met: t["n_yes"].astype(int).to_numpy(),
                    share: t["share"].to_numpy(dtype=float), lo: t["ci_low"].to_numpy(dtype=float),
                    hi: t["ci_high"].to_numpy(dtype=float)})
    spec = TableSpec(counts=("n", met), percents={share: "n", lo: "n", hi: "n"},
                     numerators={share: met, lo: met, hi: met})
    return _t("cap_stages", language), pd.DataFrame(columns), spec


def _agreement_table(res, language, TableSpec):
    a = res.agreement
    item, value = _t("item", language), _t("value", language)
    lo, hi, cases, same = (_t(k, language) for k in ("ci_low", "ci_high", "cases", "identical"))
    frame = pd.DataFrame({
        item: [_t("all_items", language) if i == OVERALL else i for i in a["item"]],
        value: a["value"].to_numpy(dtype=float), lo: a["ci_low"].to_numpy(dtype=float),
        hi: a["ci_high"].to_numpy(dtype=float), cases: a["n_units"].astype(int).to_numpy(),
        same: a["percent_agreement"].to_numpy(dtype=float),
    })
    spec = TableSpec(counts=(cases,), percents={same: cases}, guards={value: cases, lo: cases, hi: cases},
                     decimals={value: 2, lo: 2, hi: 2})
    measures = ", ".join(dict.fromkeys(_t(m, language) for m in a["method"]))
    return f"{_t('cap_agreement', language)} ({measures})", frame, spec


def _counts_table(res, language, TableSpec):
    t = res.items
    labels = ANSWERS[language]
    item, group = _t("item", language), _t("group", language)
    applicable = _t("applicable", language)
    columns = {item: t["item"].to_numpy()}
    if res.compare:
        columns[group] = [group_label(g, language) for g in t["group"]]
    for code in ("yes", "partly", "no"):
        columns[labels[code]] = t[f"n_{code}"].astype(int).to_numpy()
    columns[applicable] = t["n"].astype(int).to_numpy()
    columns[labels["na"]] = t["n_na"].astype(int).to_numpy()
    counts = (labels["yes"], labels["partly"], labels["no"], applicable, labels["na"])
    # "applicable" is yes + partly + no; "not applicable" stands beside it, outside that sum
    spec = TableSpec(counts=counts, total_column=applicable, summed=(labels["yes"], labels["partly"], labels["no"]))
    return _t("cap_counts", language), pd.DataFrame(columns), spec


def _strata_table(res, language, TableSpec):
    rows = res.design["strata_table"]
    stratum, pop, sampled, weight = (_t(k, language) for k in ("stratum", "population", "sampled", "weight"))
    frame = pd.DataFrame({
        stratum: [" × ".join(group_label(v, language) for v in s["values"].values()) or s["key"] for s in rows],
        pop: [int(s["population"]) for s in rows], sampled: [int(s["sample"]) for s in rows],
        weight: [float(s["weight"]) if s["weight"] else np.nan for s in rows],
    })
    return _t("cap_strata", language), frame, TableSpec(counts=(pop, sampled), decimals={weight: 1})


# ----------------------------------------------------------------------------- appendix
def appendix_blocks(res, language: str = "sv") -> list:
    from evalkit.blocks import Heading, Paragraph, Table

    cl = res.checklist
    if cl is None:
        return []
    lang = language if language in cl.languages else cl.languages[0] if cl.languages else "sv"
    name = cl.title.get(language) or cl.name
    items = pd.DataFrame({
        _t("item", language): [i.id for i in cl.items],
        _t("stage", language): [cl.stage_label(i.stage, language) for i in cl.items],
        _t("question", language): [i.question(lang) for i in cl.items],
    })
    answers = pd.DataFrame({
        _t("answer", language): [ANSWERS[language][c] for c in ANSWER_CODES],
        _t("meaning", language): [ANSWER_DEFINITIONS[language][c] for c in ANSWER_CODES],
    })
    blocks = [Heading(_t("appendix", language, name=name), 2),
              Paragraph(_t("checklist_source", language, name=cl.name, version=cl.version,
                           source=cl.source_in(language) or "..")),
              Table(items, _t("cap_checklist", language)),
              Table(answers, _t("cap_answers", language))]
    return blocks


# ----------------------------------------------------------------------------- figure
def plot(res, ax=None, language: str = "sv", disclosure=None):
    """Compliance per item and group; a share that disclosure control hides is not drawn (its row says "..")."""
    import matplotlib.pyplot as plt

    rules = _rules(disclosure)
    items = res.items
    hidden = items.apply(lambda r: _share_hidden(r, rules), axis=1) if len(items) else pd.Series(dtype=bool)
    items = items.assign(share=items["share"].where(~hidden))
    order = items["item"].drop_duplicates().tolist()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 0.3 * len(order) + 1.4))
    else:
        fig = ax.figure
    y = {item: len(order) - k for k, item in enumerate(order)}
    offsets = np.linspace(-0.18, 0.18, len(res.groups)) if len(res.groups) > 1 else [0.0]
    markers = ["o", "s", "D", "^"]
    for k, (off, g) in enumerate(zip(offsets, res.groups)):
        t = items[(items["group"] == g) & items["share"].notna()]
        ys = [y[i] + off for i in t["item"]]
        ax.errorbar(t["share"], ys, xerr=[t["share"] - t["ci_low"], t["ci_high"] - t["share"]],
                    fmt=markers[k % 4], ms=4, capsize=2,
                    label=None if not res.compare else group_label(g, language))
    stages = items.drop_duplicates("item").set_index("item")["stage"]
    for above, below in zip(order[:-1], order[1:]):
        if stages[above] != stages[below]:
            ax.axhline(y[below] + 0.5, color="0.8", lw=0.6)
    ax.set_yticks(list(y.values()), list(y.keys()))
    for item in items.loc[hidden, "item"].drop_duplicates() if len(items) else []:
        ax.annotate(i18n.SUPPRESSED, (0.01, y[item]), va="center", fontsize=8, color="0.35")
    ax.set_ylim(0.4, len(order) + 0.6)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(i18n.tick_formatter(language, 0, percent=True))
    ax.set_xlabel(_t("xlabel", language))
    ax.grid(axis="x", alpha=0.3)
    if res.compare:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(res.groups), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
