"""Words, tables and figures of the implementation results (fidelity, implementation outcomes, strategy log).

Kept apart from the computations so the numbers and the words can be read separately; the wording sits
in per-language dicts like the neighbouring modules (to move to the catalogues later). Every number a
reader sees is written by :mod:`evalkit.i18n`; tables hold raw numbers and declare their counts and
denominators in a :class:`~evalkit.blocks.TableSpec`, so the renderer applies disclosure control.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.blocks import TableSpec

t = i18n.translator("implementation")


def _num(x, language, decimals=2) -> str:
    return i18n.fmt_number(x, decimals, language)


def _pct(x, language) -> str:
    return i18n.fmt_percent(x, 0, language)


def _ci(low, high, language, decimals=2) -> str:
    return f"{t('ci95', language)} {i18n.fmt_interval(low, high, decimals, language)}"


def _pct_ci(low, high, language) -> str:
    unit = "\u00a0%" if language in ("sv", "nb") else "%"
    return f"{t('ci95', language)} {i18n.fmt_interval(100 * low, 100 * high, 0, language)}{unit}"


def _month(ts, language) -> str:
    return i18n.fmt_date(pd.Timestamp(ts), language)[:7] if language != "nb" else pd.Timestamp(ts).strftime("%m.%Y")


def _join(items: list[str], language: str) -> str:
    if not items:
        return t("none", language)
    return i18n.join_words(items, language)


def _lower(text: str) -> str:
    """Lower-case the first letter for use inside a sentence, unless the word is an acronym (ICF, IBIC)."""
    return text[:1].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text


def _unit_name(u, language) -> str:
    return t("all_units", language) if u == "all units" else str(u)


# ----------------------------------------------------------------------------- fidelity
def fidelity_summary(res) -> str:
    first, last = res.window
    lines = [f"Fidelity to model {res.model.name!r}: {len(res.scored)} eligible decisions, "
             f"{res.scored['month'].min():%Y-%m} to {res.scored['month'].max():%Y-%m}; "
             f"index = components met / components applying, per decision."]
    lines.append(f"Classification over {first:%Y-%m}..{last:%Y-%m} (index >= {res.threshold:g} -> high):")
    for _, r in res.classification.iterrows():
        n = ".." if r["n_decisions"] < 5 else str(r["n_decisions"])
        mean = ".." if r["n_decisions"] < 5 else f"{r['mean_index']:.2f} ({r['ci_low']:.2f}-{r['ci_high']:.2f})"
        lines.append(f"  {str(r['unit']):<12} n = {n:>5}  index {mean}  {r['class']}")
    matrix = res.unit_matrix()
    overall = matrix[(matrix["unit"] == "all units") & (matrix["component"] != "index")]
    lines.append("Adherence in the window, all units: " + "; ".join(
        f"{r.component} {r.share:.0%}" for r in overall.itertuples(index=False)))
    lines += [f"Note: {n}" for n in res.notes]
    return "\n".join(lines)


def fidelity_sentences(res, language: str) -> list[str]:
    first, last = res.window
    w = res.in_window()
    from evalkit.implementation.fidelity import index_ci

    mean, low, high = index_ci(w["index"].to_numpy(float), res.level)
    out = [t("fid_sentence_index", language, model=res.model.label(language), n=i18n.fmt_int(len(res.scored), language),
             first=_month(res.scored["month"].min(), language), last=_month(res.scored["month"].max(), language),
             k=res.window_months, index=_pct(mean, language), ci=_ci(low, high, language))]
    out.append(t("fid_sentence_class", language, thr=_num(res.threshold, language),
                 high=_join(res.high, language), low=_join(res.low, language)))
    matrix = res.unit_matrix()
    overall = matrix[(matrix["unit"] == "all units") & (matrix["component"] != "index")]
    items = [f"{_lower(res.model.component(r.component).label(language))} {_pct(r.share, language)}"
             for r in overall.itertuples(index=False) if r.n >= 30]
    if items:
        out.append(t("fid_sentence_components", language, k=res.window_months, list=", ".join(items)))
    return out


def fidelity_methods(res, language: str) -> list[str]:
    m = res.model
    eligible = (m.eligible_text.get(language) or " & ".join(c.describe(language) for c in m.eligible)
                or t("every_case", language))
    out = [t("fid_methods", language, model=m.label(language), eligible=eligible[0].lower() + eligible[1:],
             k=res.window_months, thr=_num(res.threshold, language))]
    unit_level = [_lower(c.label(language)) for c in m.unit_components]
    if unit_level:
        out.append(t("fid_methods_unit_level", language, list=", ".join(unit_level)))
    if any(c.source == "audit" for c in m.components):
        out.append(t("fid_methods_audit", language))
    return out


def fidelity_tables(res, language: str) -> list:
    first, last = res.window
    when = dict(k=res.window_months, first=_month(first, language), last=_month(last, language))
    tables = [(t("cap_units", language, **when), *_unit_table(res, language)),
              (t("cap_adherence", language, **when), *_adherence_table(res, language))]
    tables.append((t("cap_years", language), *_year_table(res, language)))
    tables.append((t("cap_components", language), _component_table(res, language), TableSpec()))
    if len(res.unit_components):
        tables.append((t("cap_unit_components", language), *_unit_component_table(res, language)))
    return tables


def _unit_table(res, language):
    """Per unit over the window: decisions, mean index with its interval, and the class (one row each)."""
    matrix = res.unit_matrix()
    idx = matrix[matrix["component"] == "index"]
    cls = dict(zip(res.classification["unit"], res.classification["class"]))
    n, ix = t("decisions", language), t("index", language)
    lo, hi = i18n.label("ci_low", language), i18n.label("ci_high", language)
    frame = pd.DataFrame({t("unit", language): [_unit_name(u, language) for u in idx["unit"]],
                          n: idx["n"].astype(int).to_numpy(), ix: idx["share"].to_numpy(),
                          lo: idx["ci_low"].to_numpy(), hi: idx["ci_high"].to_numpy(),
                          t("class", language): [t(cls[u], language) if u in cls else "" for u in idx["unit"]]})
    return frame, TableSpec(counts=(n,), guards={ix: n, lo: n, hi: n}, decimals={ix: 2, lo: 2, hi: 2})


def _adherence_table(res, language):
    """Per unit and component over the window: decisions it applies to, share meeting it, Wilson interval."""
    matrix = res.unit_matrix()
    m = matrix[matrix["component"] != "index"]
    n, sh = t("n", language), t("share", language)
    lo, hi = i18n.label("ci_low", language), i18n.label("ci_high", language)
    frame = pd.DataFrame({t("unit", language): [_unit_name(u, language) for u in m["unit"]],
                          t("component", language): [res.model.component(c).label(language) for c in m["component"]],
                          n: m["n"].astype(int).to_numpy(), t("met", language): m["n_met"].astype(int).to_numpy(),
                          sh: m["share"].to_numpy(), lo: m["ci_low"].to_numpy(), hi: m["ci_high"].to_numpy()})
    met = t("met", language)
    return frame, TableSpec(counts=(n, met), percents={sh: n, lo: n, hi: n}, numerators={sh: met, lo: met, hi: met})


def _year_table(res, language):
    s = res.scored.assign(year=res.scored["month"].dt.year)
    from evalkit.implementation.fidelity import _index

    idx = _index(s, ["unit", "year"], res.level)
    frame = pd.DataFrame({t("unit", language): idx["unit"].astype(str), t("year", language): idx["year"].astype(int),
                          t("decisions", language): idx["n_decisions"], t("index", language): idx["mean_index"],
                          i18n.label("ci_low", language): idx["ci_low"], i18n.label("ci_high", language): idx["ci_high"]})
    n = t("decisions", language)
    guards = {c: n for c in (t("index", language), i18n.label("ci_low", language), i18n.label("ci_high", language))}
    return frame, TableSpec(counts=(n,), guards=guards, decimals={c: 2 for c in guards})


def _component_table(res, language) -> pd.DataFrame:
    rows = []
    for c in res.model.components:
        rows.append({t("component", language): c.label(language),
                     t("observed_by", language): t(f"src_{c.source}", language),
                     t("rule", language): c.observation.describe(language),
                     t("applies", language): " & ".join(x.describe(language) for x in c.applies)
                     or t("every_case", language),
                     t("audit_item", language): c.audit_item or ""})
    return pd.DataFrame(rows)


def _unit_component_table(res, language):
    u = res.unit_components
    frame = pd.DataFrame({t("component", language): [res.model.component(c).label(language) for c in u["component"]],
                          t("unit", language): u["unit"].astype(str), t("period", language): u["period"].astype(str),
                          t("n", language): u["n"], t("share", language): u["share"]})
    return frame, TableSpec(counts=(t("n", language),), percents={t("share", language): t("n", language)})


def fidelity_plot(res, ax, language: str):
    import matplotlib.pyplot as plt

    s = res.scored.assign(quarter=res.scored["decided_on"].dt.to_period("Q").dt.to_timestamp())
    panels = [(c.id, c.label(language)) for c in res.model.decision_components] + [("index", t("index", language))]
    if ax is not None:
        _trend(ax, s, "index", t("index", language), res.threshold, language)
        return ax.figure
    # two panels a row at the page's width (7 in), so the labels print at their size (a third column
    # shrank the 5-panel figure to half size and its ticks to 3.5 pt)
    ncols = 1 if len(panels) == 1 else 2
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.0, 2.1 * nrows + 0.7), sharex=True, sharey=True,
                             squeeze=False)
    for a, (col, title) in zip(axes.flat, panels):
        _trend(a, s, col, title, res.threshold if col == "index" else None, language)
    for a in list(axes.flat)[len(panels):]:
        a.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), frameon=False, fontsize=8)
    fig.suptitle(f"{res.model.label(language)} ({t('quarter_note', language)})", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    return fig


def _trend(ax, s, col, title, threshold, language):
    values = s[col].astype("Float64").astype(float) if col != "index" else s[col]
    t_ = s.assign(_v=values).groupby(["unit", "quarter"])["_v"].mean().reset_index()
    for unit, g in t_.groupby("unit", sort=True):
        ax.plot(g["quarter"], g["_v"], linewidth=1.2, label=str(unit))
    if threshold is not None:
        ax.axhline(threshold, color="0.3", linestyle=":", linewidth=0.9)
    ax.set_title(title, fontsize=9)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(i18n.tick_formatter(language, percent=True) if col != "index"
                                 else i18n.tick_formatter(language, 1))
    ax.tick_params(labelsize=7)


# ----------------------------------------------------------------------------- implementation outcomes
def _outcome_label(name, level, language):
    lvl = {"persons": "persons", "unit": "units_level", "case_officer": "case_officer",
           "decisions": "decisions_level"}[level]
    return t(name, language), t(lvl, language)


def outcomes_summary(res) -> str:
    lines = [f"Implementation outcomes of {res.model.name!r} from {res.change_date:%Y-%m-%d} "
             f"(delivered = fidelity index >= {res.threshold:g}):"]
    for r in res.outcomes.itertuples(index=False):
        n_met = ".." if r.level in ("persons", "decisions") and r.n_met < 5 else r.n_met
        lines.append(f"  {r.outcome:<12} {r.level:<13} {n_met} of {r.n}: {r.share:.0%} ({r.ci_low:.0%}-{r.ci_high:.0%})")
    for r in res.maintenance.itertuples(index=False):
        lines.append(f"  maintenance  {r.window:<26} {r.first_month:%Y-%m}: index {r.mean_index:.2f}, "
                     f"{r.units_high} of {r.n_units} units high")
    lines += [f"Note: {n}" for n in res.notes]
    return "\n".join(lines)


def outcomes_sentences(res, language: str) -> list[str]:
    out, date, thr = [], i18n.fmt_date(res.change_date, language), _num(res.threshold, language)
    o = res.outcomes.set_index(["outcome", "level"])
    if ("reach", "persons") in o.index:
        r = o.loc[("reach", "persons")]
        out.append(t("out_reach", language, pct=_pct(r["share"], language), n=i18n.fmt_int(r["n"], language),
                     ci=_pct_ci(r["ci_low"], r["ci_high"], language), thr=thr, date=date))
    if ("adoption", "unit") in o.index:
        u = o.loc[("adoption", "unit")]
        c = o.loc[("adoption", "case_officer")] if ("adoption", "case_officer") in o.index else {"n_met": 0, "n": 0}
        out.append(t("out_adoption", language, k=int(u["n_met"]), n=int(u["n"]), j=int(c["n_met"]), m=int(c["n"]),
                     thr=thr))
    p = o.loc[("penetration", "decisions")]
    out.append(t("out_penetration", language, pct=_pct(p["share"], language), n=i18n.fmt_int(p["n"], language),
                 ci=_pct_ci(p["ci_low"], p["ci_high"], language)))
    m = res.maintenance
    if len(m) >= 2:
        out.append(t("out_maintenance", language, first=_num(m["mean_index"].iloc[0], language),
                     last=_num(m["mean_index"].iloc[-1], language), window=t(f"win_{m['window'].iloc[-1]}", language)))
    return out


def outcomes_methods(res, language: str) -> list[str]:
    support = (t("support_clause", language, date=i18n.fmt_date(res.support_ended, language))
               if res.support_ended is not None else "")
    out = [t("out_methods", language, date=i18n.fmt_date(res.change_date, language), thr=_num(res.threshold, language),
             min=res.min_officer_decisions, w=res.window_months, support=support)]
    if not (res.representativeness["variable"] == "sex").any():
        out.append(t("no_sex", language))
    return out


def outcomes_tables(res, language: str) -> list:
    date = i18n.fmt_date(res.change_date, language)
    o = res.outcomes
    labels = [_outcome_label(r.outcome, r.level, language) for r in o.itertuples(index=False)]
    c_n, c_met, c_share = t("n", language), t("met", language), t("share", language)
    lo, hi = i18n.label("ci_low", language), i18n.label("ci_high", language)
    head = pd.DataFrame({t("outcome", language): [a for a, _ in labels], t("level", language): [b for _, b in labels],
                         c_n: o["n"], c_met: o["n_met"], c_share: o["share"], lo: o["ci_low"], hi: o["ci_high"]})
    tables = [(t("cap_outcomes", language, date=date), head,
               TableSpec(counts=(c_n, c_met), percents={c_share: c_n, lo: c_n, hi: c_n},
                         numerators={c_share: c_met, lo: c_met, hi: c_met}))]
    r = res.representativeness
    if len(r):
        var = {"age_band": t("age_band", language), "sex": t("sex", language), "service": t("service", language)}
        cat = [t("unknown", language) if c == "unknown" else str(c) for c in r["category"]]
        ne, pe, nr, pr, rc = (t("eligible_n", language), t("eligible_pct", language), t("reached_n", language),
                              t("reached_pct", language), t("reach", language))
        frame = pd.DataFrame({t("variable", language): r["variable"].map(var), t("category", language): cat,
                              ne: r["n_eligible"], pe: r["share_of_eligible"], nr: r["n_reached"],
                              pr: r["share_of_reached"], rc: r["reach"]})
        n_all = int(r.loc[r["variable"] == r["variable"].iloc[0], "n_eligible"].sum())
        n_reached = int(r.loc[r["variable"] == r["variable"].iloc[0], "n_reached"].sum())
        tables.append((t("cap_repr", language), frame,
                       TableSpec(counts=(ne, nr), percents={pe: n_all, pr: n_reached, rc: ne},
                                 numerators={pe: ne, pr: nr, rc: nr})))
    a = res.adoption[res.adoption["level"] == "unit"]
    c_unit, c_dec, c_idx, c_ad = t("unit", language), t("decisions", language), t("index", language), t("adopted", language)
    frame = pd.DataFrame({c_unit: a["id"].astype(str), c_dec: a["n_decisions"], c_idx: a["mean_index"], lo: a["ci_low"],
                          hi: a["ci_high"], c_ad: [t("yes" if x else "no", language) for x in a["adopted"]]})
    tables.append((t("cap_adoption", language, date=date), frame,
                   TableSpec(counts=(c_dec,), guards={c_idx: c_dec, lo: c_dec, hi: c_dec},
                             decimals={c_idx: 2, lo: 2, hi: 2})))
    m = res.maintenance
    c_win, c_per, c_high = t("window", language), t("period", language), t("units_high", language)
    frame = pd.DataFrame({c_win: [t(f"win_{w}", language) for w in m["window"]],
                          c_per: [f"{_month(a_, language)}–{_month(b_, language)}" for a_, b_ in
                                  zip(m["first_month"], m["last_month"])],
                          c_dec: m["n_decisions"], c_idx: m["mean_index"], lo: m["ci_low"], hi: m["ci_high"],
                          c_share: m["share_met"], c_high: [f"{h}/{n}" for h, n in zip(m["units_high"], m["n_units"])]})
    tables.append((t("cap_maintenance", language), frame,
                   TableSpec(counts=(c_dec,), percents={c_share: c_dec}, guards={c_idx: c_dec, lo: c_dec, hi: c_dec},
                             decimals={c_idx: 2, lo: 2, hi: 2})))
    return tables


def outcomes_plot(res, ax, language: str):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [1.1, 1]})
    else:
        fig, ax2 = ax.figure, None
    o = res.outcomes
    names = [" ".join(_outcome_label(r.outcome, r.level, language)) for r in o.itertuples(index=False)]
    y = np.arange(len(o))[::-1]
    ax.errorbar(o["share"], y, xerr=[o["share"] - o["ci_low"], o["ci_high"] - o["share"]], fmt="o", color="C0",
                capsize=3)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(i18n.tick_formatter(language, percent=True))
    ax.set_xlabel(t("share_axis", language), fontsize=8)
    if ax2 is not None:
        m = res.maintenance
        x = np.arange(len(m))
        ax2.errorbar(x, m["mean_index"], yerr=[m["mean_index"] - m["ci_low"], m["ci_high"] - m["mean_index"]],
                     fmt="s-", color="C1", capsize=3)
        ax2.axhline(res.threshold, color="0.3", linestyle=":", linewidth=0.9)
        ax2.set_xticks(x, [t(f"win_{w}", language) for w in m["window"]], fontsize=7, rotation=20, ha="right")
        ax2.set_ylim(0, 1.02)
        ax2.yaxis.set_major_formatter(i18n.tick_formatter(language, 1))
        ax2.set_ylabel(t("index", language), fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- strategies
def _eric_label(eric_id: str, language: str) -> str:
    from evalkit.implementation.strategies import _eric

    entry = next(s for s in _eric() if s["id"] == eric_id)
    return entry[language]


def _outcome_word(key: str, language: str) -> str:
    return t({"adoption": "adoption_outcome", "penetration": "penetration_outcome"}.get(key, key), language)


def _when(r, language) -> str:
    start = i18n.fmt_date(r.start, language)
    span = f"{start}–{i18n.fmt_date(r.end, language)}" if pd.notna(r.end) else start
    return f"{span} ({r.timing})" if r.timing else span


def strategies_summary(log) -> str:
    lines = [f"{len(log)} implementation strategies ({log.source or 'in memory'}):"]
    for k, r in enumerate(log.frame.itertuples(index=False), 1):
        end = f"..{r.end:%Y-%m-%d}" if pd.notna(r.end) else ""
        lines.append(f"  {k}. {r.start:%Y-%m-%d}{end}  {r.name} [{r.eric}] -> {', '.join(r.outcome)}")
    return "\n".join(lines)


def strategies_sentences(log, language: str) -> list[str]:
    f = log.frame
    last = f["end"].fillna(f["start"]).max()
    items = [f"{r.name} ({_eric_label(r.eric_id, language).lower()}, {i18n.fmt_date(r.start, language)})"
             for r in f.itertuples(index=False)]
    return [t("str_sentence", language, n=len(f), first=i18n.fmt_date(f["start"].min(), language),
              last=i18n.fmt_date(last, language), list="; ".join(items))]


def strategies_methods(log, language: str) -> list[str]:
    return [t("str_methods", language)]


def strategies_tables(log, language: str) -> list:
    """What was done and when (results), and who did what to whom and why (appendix): Proctor's seven fields."""
    f = log.frame
    nr = t("number", language)
    what = pd.DataFrame({
        nr: range(1, len(f) + 1),
        t("eric", language): [f"{r.name} ({_lower(_eric_label(r.eric_id, language))})" if r.name != r.eric
                              else _eric_label(r.eric_id, language) for r in f.itertuples(index=False)],
        t("when", language): [_when(r, language) for r in f.itertuples(index=False)],
        t("dose", language): f["dose"],
        t("affects", language): [", ".join(_outcome_word(o, language) for o in os_) for os_ in f["outcome"]],
    })
    who = pd.DataFrame({nr: range(1, len(f) + 1), t("actor", language): f["actor"],
                        t("action", language): f["action"], t("target", language): f["target"],
                        t("justification", language): f["justification"]})
    return [(t("cap_strategies", language), what, TableSpec()), (t("cap_strategies_who", language), who, TableSpec())]


def strategies_plot(log, ax, language: str):
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    f = log.frame
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(f) + 1.2))
    else:
        fig = ax.figure
    y = np.arange(len(f))[::-1]
    for yi, r in zip(y, f.itertuples(index=False)):
        x0 = mdates.date2num(r.start)
        if pd.notna(r.end):
            ax.barh(yi, mdates.date2num(r.end) - x0, left=x0, height=0.5, color="C0", alpha=0.7)
        else:
            ax.plot([x0], [yi], "o", color="C0")
    ax.set_yticks(y, [f"{k}. {r.label}" for k, r in enumerate(f.itertuples(index=False), 1)], fontsize=8)
    ax.xaxis_date()
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return fig
