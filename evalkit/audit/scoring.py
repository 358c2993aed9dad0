"""Scores of a case-file audit: compliance per item and stage, before vs after, per unit, agreement.

Pure analysis: takes the answers (from :func:`evalkit.load_audit`, several
forms concatenated for double review or extension rounds) and the
:class:`~evalkit.audit.AuditSample`; reads no files.
"""
from __future__ import annotations

import html
import math
import warnings

import numpy as np
import pandas as pd

from evalkit.analysis._multitest import adjust_p
from evalkit.analysis.agreement import agreement
from evalkit.analysis.proportions import fisher_exact, proportion_ci, stratified_proportion
from evalkit.audit import _text
from evalkit.audit.checklists import ANSWER_CODES, Checklist, load_checklist
from evalkit.audit.sampling import AuditSample
from evalkit.errors import AnalysisError, AnalysisWarning

__all__ = ["score", "AuditResult", "ITEM_COLUMNS"]

ITEM_COLUMNS = ["group", "stage", "item", "n_yes", "n_partly", "n_no", "n_na", "n", "share", "ci_low", "ci_high",
                "weighted"]
COMPARE_COLUMNS = ["stage", "item", "group_a", "group_b", "n_a", "share_a", "n_b", "share_b", "difference",
                   "ci_low", "ci_high", "p_fisher", "p_holm"]
UNIT_COLUMNS = ["group", "unit", "item", "n", "n_yes", "share", "ci_low", "ci_high", "suppressed"]
AGREEMENT_COLUMNS = ["item", "method", "value", "ci_low", "ci_high", "n_units", "n_raters", "percent_agreement"]
ALL = "all"
OVERALL = "all items"


def score(
    answers: pd.DataFrame,
    sample: AuditSample,
    *,
    compare: str | None = None,
    order: tuple | list | None = None,
    unit: str | None = "unit",
    min_n: int = 30,
    level: float = 0.95,
    primary: str | None = None,
    checklist: "str | Checklist | None" = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> "AuditResult":
    """Compliance scores of an audit with intervals, comparisons and reviewer agreement.

    Parameters
    ----------
    answers : DataFrame
        Long answers, one row per (decision_id, reviewer, item) with ``answer``
        in yes/partly/no/na — what :func:`evalkit.load_audit` returns; concatenate
        the frames of several forms (two reviewers, or extension rounds).
    sample : AuditSample
        The sample the forms were made from (design weights, strata, units).
    compare : str, optional
        Column of the sample with exactly two groups to compare, e.g. ``"period"``.
    order : pair, optional
        Order of the two groups (first = before); the difference is second − first.
        Default: sorted values.
    unit : str or None
        Column of the sample for per-unit shares; None to skip.
    min_n : int
        Per-unit shares on fewer applicable answers are suppressed (".." in reports).
    level : float
        Confidence level.
    primary : str, optional
        Reviewer whose answers are scored when a decision was reviewed twice;
        default the reviewer with most answers (others fill in decisions the
        primary did not review). Agreement uses all reviewers.
    checklist : optional
        Checklist for item order and stage names; default from the answers' form.
    n_boot, seed : int
        Bootstrap settings for the agreement intervals.

    Returns
    -------
    AuditResult

    Notes
    -----
    *Compliance* of an item is the share "yes" among applicable answers
    (yes + partly + no; "not applicable" leaves the denominator), with a
    Wilson interval. In a stratified sample the share is design-weighted
    (stratum weights :math:`N_h/N`, within the compared group) with Cochran's
    stratified variance and a Wilson interval on the effective sample size
    (:func:`evalkit.analysis.proportions.stratified_proportion`); "not
    applicable" answers make each stratum a domain, whose size is estimated
    by the same weights.

    *Stage and overall compliance* is the share of decisions in which every
    applicable item of the stage (of the checklist) was answered "yes" — one
    binary outcome per decision, so the interval is valid although items of
    one decision are correlated.

    *Before vs after*: difference second − first with the MOVER interval
    (Zou & Donner 2008) built from the two groups' intervals; without
    weighting this is exactly Newcombe's (1998) method 10. Fisher's exact
    test uses the unweighted counts.

    *Which items changed*: Fisher's p-values of the items are adjusted for
    the number of items by Holm's (1979) step-down method
    (:func:`evalkit.analysis._multitest.adjust_p`, equal to R's
    ``p.adjust(method = "holm")``); stage rows are not adjusted.

    *Agreement*: Cohen's kappa for two reviewers, Krippendorff's alpha
    (nominal) for more, per item and pooled over items, on decisions
    reviewed more than once (:func:`evalkit.analysis.agreement.agreement`).
    """
    data = _prepare(answers, sample)
    cl = _resolve_checklist(checklist, answers)
    items_order = cl.item_ids if cl else sorted(data["item"].unique().tolist())
    data = data[data["item"].isin(items_order)]
    reviewers = _reviewer_order(data, primary)
    scored = _primary_answers(data, reviewers)
    design = _design(sample, compare, order)
    scored = scored.merge(design, on="decision_id", how="left")
    groups = design["group"].drop_duplicates().tolist() if compare else [ALL]
    if compare:
        groups = list(order) if order else sorted(groups, key=str)
    stage_of = dict(zip(data["item"], data["stage"]))
    items = _item_table(scored, items_order, stage_of, groups, sample, level)
    stages = _stage_table(scored, cl, stage_of, groups, sample, level)
    comparison = _comparison(items, stages, scored, groups, level) if compare else _empty(COMPARE_COLUMNS)
    units = _unit_table(scored, sample, unit, items_order, groups, min_n, level) if unit else _empty(UNIT_COLUMNS)
    agree = _agreement_table(data, items_order, n_boot, seed)
    return AuditResult(items=items, stages=stages, comparison=comparison, units=units, agreement=agree,
                       compare=compare, groups=groups, reviewers=reviewers, checklist=cl, level=level,
                       min_n=min_n, n_decisions=int(scored["decision_id"].nunique()),
                       design=_design_record(sample, data, compare, n_boot))


# ----------------------------------------------------------------------------- preparation
def _prepare(answers: pd.DataFrame, sample: AuditSample) -> pd.DataFrame:
    if not isinstance(sample, AuditSample):
        raise AnalysisError("sample must be the AuditSample the forms were made from")
    need = ["decision_id", "reviewer", "item", "answer"]
    if not isinstance(answers, pd.DataFrame) or any(c not in answers.columns for c in need):
        raise AnalysisError(f"answers must be a DataFrame with columns {need} (what evalkit.load_audit returns)")
    data = answers.copy()
    if "stage" not in data.columns:
        data["stage"] = ""
    data["decision_id"] = data["decision_id"].astype(str)
    data["reviewer"] = data["reviewer"].astype(str)
    bad = ~data["answer"].isna() & ~data["answer"].isin(ANSWER_CODES)
    if bad.any():
        raise AnalysisError(f"answers must be coded {', '.join(ANSWER_CODES)}; found {data.loc[bad, 'answer'].iloc[0]!r}")
    stray = sorted(set(data["decision_id"]) - set(sample.ids))
    if stray:
        raise AnalysisError(f"{len(stray)} answered decision(s) are not in the sample, e.g. {stray[0]!r}; "
                            "score the answers with the sample the forms were made from")
    dup = data.duplicated(["decision_id", "reviewer", "item"], keep=False)
    if dup.any():
        d = data[dup].iloc[0]
        raise AnalysisError(f"reviewer {d['reviewer']} answered item {d['item']} of decision {d['decision_id']} "
                            "twice (the same form read twice?)")
    return data.dropna(subset=["answer"])


def _resolve_checklist(checklist, answers) -> Checklist | None:
    if checklist is not None:
        return load_checklist(checklist)
    meta = answers.attrs.get("evalkit_audit_meta") if hasattr(answers, "attrs") else None
    if meta:
        try:
            return load_checklist(meta["checklist"])
        except Exception:  # a custom checklist: item order falls back to the answers
            return None
    return None


def _reviewer_order(data, primary) -> list[str]:
    counts = data.groupby("reviewer").size().sort_index()
    order = sorted(counts.index, key=lambda r: (-counts[r], r))
    if primary is not None:
        if str(primary) not in order:
            raise AnalysisError(f"primary reviewer {primary!r} has no answers; reviewers are {order}")
        order.remove(str(primary))
        order.insert(0, str(primary))
    return order


def _primary_answers(data, reviewers) -> pd.DataFrame:
    rank = {r: k for k, r in enumerate(reviewers)}
    d = data.assign(_rank=data["reviewer"].map(rank)).sort_values("_rank", kind="stable")
    return d.drop_duplicates(["decision_id", "item"]).drop(columns="_rank")


def _design(sample: AuditSample, compare, order) -> pd.DataFrame:
    f = sample.frame
    design = pd.DataFrame({"decision_id": f[sample.id_column].astype(str), "stratum": f["stratum"].astype(str)})
    if compare is None:
        design["group"] = ALL
        return design
    if compare not in f.columns:
        raise AnalysisError(f"compare={compare!r} is not a column of the sample; columns are {list(f.columns)}")
    design["group"] = f[compare].to_numpy()
    values = set(design["group"].dropna())
    if order is not None and (len(order) != 2 or set(order) != values):
        raise AnalysisError(f"order must name the two groups of {compare!r}: {sorted(values, key=str)}")
    if len(values) != 2:
        raise AnalysisError(f"compare={compare!r} must have exactly two groups in the sample, found "
                            f"{sorted(values, key=str)}")
    return design


def _population(sample: AuditSample) -> dict:
    return {s["key"]: s["population"] for s in sample.manifest["strata_table"]}


# ----------------------------------------------------------------------------- shares
def _share(x_h: pd.Series, n_h: pd.Series, answered: pd.Series, sample: AuditSample, level: float) -> tuple:
    """(n, x, share, low, high, weighted) from per-stratum successes and applicable counts.

    ``answered``: per stratum, the decisions answered for this item/stage in any group; the
    domain (group × applicable) population of stratum h is estimated as N_h × n_h / answered_h.
    """
    n, x = int(n_h.sum()), int(x_h.sum())
    if n == 0:
        return 0, 0, math.nan, math.nan, math.nan, False
    if not sample.strata:
        low, high = proportion_ci(x, n, level=level)
        return n, x, x / n, low, high, False
    pop = _population(sample)
    keep = n_h[n_h > 0]
    big_n = [max(int(round(pop[h] * c / answered[h])), int(c)) for h, c in keep.items()]
    r = stratified_proportion(x_h[keep.index].astype(int).tolist(), keep.astype(int).tolist(), big_n, level)
    return n, x, r.estimate, r.ci_low, r.ci_high, True


def _flags(scored: pd.DataFrame) -> pd.DataFrame:
    """Plain-object columns and 0/1 flags once, so the tables below are group-bys, not scans."""
    d = pd.DataFrame({c: scored[c].astype(object).to_numpy() for c in
                      ("decision_id", "group", "item", "stage", "stratum", "answer")})
    d["yes"] = (d["answer"] == "yes").astype(int)
    d["partly"] = (d["answer"] == "partly").astype(int)
    d["no"] = (d["answer"] == "no").astype(int)
    d["na"] = (d["answer"] == "na").astype(int)
    d["applicable"] = 1 - d["na"]
    return d


def _item_table(scored, items_order, stage_of, groups, sample, level) -> pd.DataFrame:
    d = _flags(scored)
    per = d.groupby(["group", "item", "stratum"])[["yes", "partly", "no", "na", "applicable"]].sum()
    answered = d.groupby(["item", "stratum"])["decision_id"].nunique()
    rows = []
    for g in groups:
        for item in items_order:
            t = per.loc[(g, item)] if (g, item) in per.index.droplevel(2) else per.iloc[:0]
            n, x, share, low, high, weighted = _share(t["yes"], t["applicable"],
                                                      answered.get(item, pd.Series(dtype=int)), sample, level)
            rows.append({"group": g, "stage": stage_of.get(item, ""), "item": item,
                         "n_yes": int(t["yes"].sum()), "n_partly": int(t["partly"].sum()),
                         "n_no": int(t["no"].sum()), "n_na": int(t["na"].sum()), "n": n,
                         "share": share, "ci_low": low, "ci_high": high, "weighted": weighted})
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def _stage_table(scored, cl, stage_of, groups, sample, level) -> pd.DataFrame:
    stages = [s.id for s in cl.stages] if cl else sorted(set(stage_of.values()))
    d = _flags(scored)
    # One 0/1 outcome per decision and stage: every applicable item "yes" (decisions with none applicable drop).
    per_stage = d.groupby(["decision_id", "group", "stratum", "stage"])[["yes", "applicable"]].sum().reset_index()
    overall = d.groupby(["decision_id", "group", "stratum"])[["yes", "applicable"]].sum().reset_index()
    both = pd.concat([per_stage, overall.assign(stage=OVERALL)], ignore_index=True)
    answered = both.groupby(["stage", "stratum"])["decision_id"].nunique()
    both = both[both["applicable"] > 0].assign(ok=lambda t: (t["yes"] == t["applicable"]).astype(int), one=1)
    per = both.groupby(["group", "stage", "stratum"])[["ok", "one"]].sum()
    rows = []
    for g in groups:
        for stage in [*stages, OVERALL]:
            t = per.loc[(g, stage)] if (g, stage) in per.index.droplevel(2) else per.iloc[:0]
            n, x, share, low, high, weighted = _share(t["ok"], t["one"],
                                                      answered.get(stage, pd.Series(dtype=int)), sample, level)
            rows.append({"group": g, "stage": stage, "item": OVERALL if stage == OVERALL else f"stage {stage}",
                         "n_yes": x, "n_partly": math.nan, "n_no": n - x, "n_na": math.nan, "n": n,
                         "share": share, "ci_low": low, "ci_high": high, "weighted": weighted})
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def _comparison(items, stages, scored, groups, level) -> pd.DataFrame:
    a, b = groups
    rows = []
    for table in (items, stages):
        for (stage, item), t in table.groupby(["stage", "item"], sort=False):
            ra = t[t["group"] == a].iloc[0]
            rb = t[t["group"] == b].iloc[0]
            if ra["n"] == 0 or rb["n"] == 0:
                diff = low = high = p = math.nan
            else:
                diff, low, high = _mover(ra, rb)
                p = fisher_exact(int(rb["n_yes"]), int(rb["n"]), int(ra["n_yes"]), int(ra["n"]))
            rows.append({"stage": stage, "item": item, "group_a": a, "group_b": b, "n_a": int(ra["n"]),
                         "share_a": ra["share"], "n_b": int(rb["n"]), "share_b": rb["share"],
                         "difference": diff, "ci_low": low, "ci_high": high, "p_fisher": p})
    out = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    is_item = out["item"].isin(items["item"].unique()) & out["p_fisher"].notna()
    if is_item.any():
        out.loc[is_item, "p_holm"] = adjust_p(out.loc[is_item, "p_fisher"].astype(float), "holm")
    out["p_holm"] = out["p_holm"].astype(float)
    return out


def _mover(ra, rb) -> tuple[float, float, float]:
    """Difference b − a with the MOVER interval from each share's own interval (Zou & Donner 2008)."""
    pa, la, ua = ra["share"], ra["ci_low"], ra["ci_high"]
    pb, lb, ub = rb["share"], rb["ci_low"], rb["ci_high"]
    d = pb - pa
    low = d - math.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
    high = d + math.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
    return d, max(low, -1.0), min(high, 1.0)


def _unit_table(scored, sample, unit, items_order, groups, min_n, level) -> pd.DataFrame:
    f = sample.frame
    if unit not in f.columns:
        return _empty(UNIT_COLUMNS)
    units = dict(zip(f[sample.id_column].astype(str), f[unit].astype(str)))
    d = _flags(scored)
    d["unit"] = d["decision_id"].map(units)
    per = d.groupby(["group", "unit", "item"])[["yes", "applicable"]].sum()
    rows = []
    for g in groups:
        for u in sorted(d["unit"].unique()):
            for item in items_order:
                x, n = (int(v) for v in per.loc[(g, u, item)]) if (g, u, item) in per.index else (0, 0)
                hide = n < min_n
                low, high = (math.nan, math.nan) if hide or n == 0 else proportion_ci(x, n, level=level)
                rows.append({"group": g, "unit": u, "item": item, "n": n, "n_yes": math.nan if hide else x,
                             "share": math.nan if hide or n == 0 else x / n, "ci_low": low, "ci_high": high,
                             "suppressed": bool(hide)})
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


def _agreement_table(data, items_order, n_boot, seed) -> pd.DataFrame:
    multi = data.groupby("decision_id")["reviewer"].nunique()
    twice = multi[multi >= 2].index
    d = data[data["decision_id"].isin(twice)]
    if d.empty:
        return _empty(AGREEMENT_COLUMNS)
    raters = d["reviewer"].nunique()
    method = "cohen" if raters == 2 else "krippendorff"
    rows = []
    pooled = d.assign(_unit=d["decision_id"] + "\x1f" + d["item"])
    targets = [(item, d[d["item"] == item], "decision_id", None) for item in items_order]
    # Pooled over items: units are decision × item, but items of one decision are not independent,
    # so the bootstrap resamples whole decisions.
    targets.append((OVERALL, pooled, "_unit", "decision_id"))
    for item, sub, unit_col, cluster in targets:
        if sub.empty:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AnalysisWarning)  # undefined kappa shows as NaN with percent agreement
            try:
                r = agreement(sub, unit=unit_col, rater="reviewer", value="answer", method=method,
                              n_boot=n_boot, seed=seed, cluster=cluster)
            except AnalysisError:
                continue
        rows.append({"item": item, "method": method, "value": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "n_units": r.n_units, "n_raters": r.n_raters, "percent_agreement": r.percent_agreement})
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _design_record(sample: AuditSample, data: pd.DataFrame, compare, n_boot) -> dict:
    """What the methods text needs about the sample and the review (plain values, no frames)."""
    m = sample.manifest
    per_decision = data.groupby("decision_id")["reviewer"].nunique()
    return {
        "seed": m["seed"], "strata": list(m["strata"]), "allocation": m["allocation"],
        "size_rule": m.get("size_rule"), "n_requested": m.get("n_requested"),
        "frame_rows": m["frame"]["rows"], "excluded": m["excluded"]["count"],
        "strata_table": [{"key": t["key"], "values": dict(t["values"]), "population": t["population"],
                          "sample": t["sample"], "weight": t["weight"]} for t in m["strata_table"]],
        "n_sample": len(sample.frame), "n_reviewed": int(len(per_decision)),
        "n_double": int((per_decision >= 2).sum()), "n_reviewers": int(data["reviewer"].nunique()),
        "manifest_sha256": sample.manifest_sha256, "rounds": len(m["rounds"]), "compare": compare,
        "n_boot": n_boot,
    }


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


# ----------------------------------------------------------------------------- result
class AuditResult:
    """Scores of an audit; implements the report protocol of :mod:`evalkit.report`.

    Attributes
    ----------
    items : DataFrame
        Per group and item (:data:`ITEM_COLUMNS`).
    stages : DataFrame
        Per group and stage, plus "all items": share of decisions meeting every applicable item.
    comparison : DataFrame
        Second group minus first, per item and stage (:data:`COMPARE_COLUMNS`); empty without ``compare``.
    units : DataFrame
        Per group, unit and item, suppressed below ``min_n`` (:data:`UNIT_COLUMNS`).
    agreement : DataFrame
        Per item and overall (:data:`AGREEMENT_COLUMNS`); empty without double review.
    design : dict
        The sample's design (seed, strata, allocation, size rule, weights) and how many
        decisions were reviewed twice, for the methods text.
    language : {"sv", "nb", "en"}
        Language of :attr:`title` and :meth:`plot` (the report protocol calls them without one).
    records : tuple of LoadRecord
        The forms read (set by :func:`evalkit.audit.audit_analysis`), for the provenance appendix.
    """

    records: tuple = ()

    def __init__(self, *, items, stages, comparison, units, agreement, compare, groups, reviewers, checklist,
                 level, min_n, n_decisions, design=None, language="sv"):
        self.items, self.stages, self.comparison = items, stages, comparison
        self.units, self.agreement = units, agreement
        self.compare, self.groups, self.reviewers = compare, groups, reviewers
        self.checklist, self.level, self.min_n, self.n_decisions = checklist, level, min_n, n_decisions
        self.design = design or {}
        self.language = language

    @property
    def title(self) -> str:
        return _text.title(self, self.language)

    def to_frame(self) -> pd.DataFrame:
        """Items then stages, fixed columns :data:`ITEM_COLUMNS`."""
        return pd.concat([self.items, self.stages], ignore_index=True)

    def changed_items(self, alpha: float = 0.05) -> list[str]:
        """Items whose change is distinguishable from noise: Holm-adjusted Fisher p < ``alpha``."""
        c = self.comparison
        if c.empty:
            return []
        return c.loc[c["p_holm"].notna() & (c["p_holm"] < alpha), "item"].tolist()

    def summary(self) -> str:
        lines = [f"Audit of {self.n_decisions} decisions, {len(self.items['item'].unique())} items"
                 + (f", compared by {self.compare} ({self.groups[0]} → {self.groups[1]})" if self.compare else "")
                 + f"; reviewers {', '.join(self.reviewers)} (scored: {self.reviewers[0]})."]
        for _, r in self.stages.iterrows():
            lines.append(f"  {r['group']:>8} {r['item']:<12} {_pct(r['share'])} "
                         f"({_pct(r['ci_low'])}–{_pct(r['ci_high'])}), n = {r['n']}")
        if len(self.comparison):
            overall = self.comparison[self.comparison["item"] == OVERALL].iloc[0]
            lines.append(f"All items met: change {_pp(overall['difference'])} "
                         f"({_pp(overall['ci_low'])} to {_pp(overall['ci_high'])}), Fisher p = "
                         f"{overall['p_fisher']:.3f}")
            lines.append(f"Items changed (Holm-adjusted Fisher p < 0.05): {', '.join(self.changed_items()) or 'none'}")
        if len(self.agreement):
            a = self.agreement[self.agreement["item"] == OVERALL]
            if len(a):
                a = a.iloc[0]
                lines.append(f"Reviewer agreement ({a['method']}) over all items: {a['value']:.2f} "
                             f"({a['ci_low']:.2f}–{a['ci_high']:.2f}), {a['percent_agreement']:.0%} identical")
        return "\n".join(lines)

    def sentences(self, language: str = "sv", disclosure=None) -> list[str]:
        """Key results with numbers (sv, nb or en): compliance per stage, which items changed, agreement.

        Counts and shares go through ``disclosure`` (an :class:`evalkit.privacy.Disclosure`; default 5/30).
        """
        return _text.sentences(self, language, disclosure)

    def methods(self, language: str = "sv") -> list[str]:
        """The method in words: frame, sample size and why, seed, allocation, weights, double review, tests."""
        return _text.methods(self, language)

    def report_tables(self, language: str = "sv", disclosure=None) -> list:
        """Results per item (before vs after), then per stage, agreement, the sample's strata and counts.

        ``disclosure`` (the report's rules) decides which items' changes are shown: those are sorted by the
        size of the change, the hidden ones follow in checklist order (so the order reveals nothing they hide).
        """
        return _text.report_tables(self, language, disclosure=disclosure)

    def appendix_blocks(self, language: str = "sv") -> list:
        """The checklist: item id, stage, question in ``language``, and the answer definitions."""
        return _text.appendix_blocks(self, language)

    def plot(self, ax=None, language: str | None = None, disclosure=None):
        """Dot-and-interval chart of compliance per item, one colour per group (before vs after).

        Shares that ``disclosure`` hides are not drawn (default rules 5/30).
        """
        return _text.plot(self, ax, language or self.language, disclosure)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>" + self.to_frame().to_html(index=False, na_rep="..")

    def __repr__(self) -> str:
        return f"AuditResult(n_decisions={self.n_decisions}, groups={self.groups})"


def _pct(x, dec=".") -> str:
    return ".." if x is None or not np.isfinite(x) else f"{100 * x:.0f} %".replace(".", dec)


def _pp(x, dec=".") -> str:
    return ".." if x is None or not np.isfinite(x) else f"{100 * x:+.1f}".replace(".", dec)
