"""Qualitative analysis of coded interviews, and the mixed-methods joint display.

:func:`qualitative_analysis` turns :class:`~evalkit.io.codings.Codings` into the
tables evaluators build by hand: theme frequency by stakeholder group (as
interviews mentioning *and* as segments, with the group sizes), before/after
shares of interviews raising each theme, the code co-occurrence matrix, a
theme × group heatmap, "what works well / what remains" tables, inter-coder
agreement per code (:func:`evalkit.analysis.agreement.agreement`) and masked,
role-labelled quotes. :func:`joint_display` puts each outcome's quantitative
effect beside the themes mapped to it.

Pipeline entry point: :func:`run_qualitative` (config keys documented there).
"""
from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from evalkit import i18n
from evalkit.analysis.agreement import agreement
from evalkit.analysis.quotes import role_labels, select_quotes
from evalkit.errors import AnalysisError, AnalysisWarning
from evalkit.i18n import SUPPRESSED, check_language, fmt_int, fmt_number, fmt_percent, in_language, translator

__all__ = ["qualitative_analysis", "QualitativeResult", "coding_agreement", "joint_display", "JointDisplay",
           "run_qualitative", "GROUP_VARIABLES", "PERIOD_VARIABLES", "ALL"]

#: variable names tried (in order) when ``group``/``period`` is not given
GROUP_VARIABLES = ("stakeholder", "grupp", "intressentgrupp", "gruppe", "group", "roll", "rolle", "role")
PERIOD_VARIABLES = ("period", "periode", "wave", "våg")
#: row key of the all-codes agreement row
ALL = "(all)"
_BEFORE = ("före", "before", "før", "pre", "0", "1 före")
_WORKS = ("fungerar bra", "fungerer godt", "works well", "what works well", "styrkor", "styrker", "strengths")
_REMAINS = ("återstår", "gjenstår", "remains", "what remains", "utmaningar", "utfordringer", "challenges")

_t = translator("qualitative")


# ----------------------------------------------------------------------------- result
@dataclass
class QualitativeResult:
    """Theme frequencies, before/after shares, co-occurrence, agreement and quotes.

    Attributes
    ----------
    frequency : DataFrame
        ``code_guid, code, group, n_sources, n_segments, group_size, share``
        (share = n_sources / group_size).
    before_after : DataFrame
        ``code_guid, code, n_before, N_before, share_before, n_after, N_after,
        share_after, difference, p_value`` (p only where both periods have at
        least ``min_exact`` interviews; else missing).
    cooccurrence : DataFrame
        Code × code: interviews in which both were coded (diagonal = interviews
        with the code).
    works_well, remains : DataFrame
        Rows of ``frequency`` (wide by group) for codes under a "works
        well"/"remains" category or listed in the options.
    agreement_table : DataFrame
        ``code_guid, code, method, value, ci_low, ci_high, n_units,
        percent_agreement`` per code and for all codes (``code == ALL``).
    quotes : DataFrame
        ``code_guid, code, group, label, quote``.
    """

    frequency: pd.DataFrame
    before_after: pd.DataFrame
    cooccurrence: pd.DataFrame
    works_well: pd.DataFrame
    remains: pd.DataFrame
    agreement_table: pd.DataFrame
    quotes: pd.DataFrame
    group_sizes: pd.Series
    group: str | None
    period: str | None
    coder: str | None
    unit: str = "source"
    language: str = "sv"
    seed: int = 0
    n_sources: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _t("title", self.language)

    # ------------------------------------------------------------ views
    def to_frame(self) -> pd.DataFrame:
        """The long frequency table (fixed columns)."""
        return self.frequency.copy()

    def summary(self) -> str:
        return "\n".join(self.sentences("en"))

    def _repr_html_(self) -> str:
        return "".join(f"<p>{html.escape(s)}</p>" for s in self.sentences("en")) + \
            self.before_after.to_html(index=False)

    def sentences(self, language: str = "sv", disclosure=None) -> list[str]:
        """Key findings: the themes most often raised, and the largest before/after changes.

        Every count and share goes through ``disclosure`` (an
        :class:`evalkit.privacy.Disclosure`, default 5 and 30), as in the tables.
        """
        language = check_language(language)
        d = _rules(disclosure)
        out = []
        top = self.frequency.groupby("code")["n_sources"].sum().sort_values(ascending=False)
        if len(top):
            n = d.count(self.n_sources, language)
            names = ", ".join(f"{c} ({d.count(v, language)})" for c, v in top.head(3).items())
            out.append(i18n.text("qualitative", "qualitative_result_sentences", language, n=n, names=names))
        ba = self.before_after.dropna(subset=["difference"])
        hidden = self._before_after_hidden(d)
        for i, r in ba.reindex(ba["difference"].abs().sort_values(ascending=False).index).head(2).iterrows():
            nb, na = d.count(r["N_before"], language), d.count(r["N_after"], language)
            if (hidden.at[i, "n_before"] or hidden.at[i, "n_after"]
                    or d.hides_share(r["share_before"], r["N_before"], r["n_before"])
                    or d.hides_share(r["share_after"], r["N_after"], r["n_after"])):
                # a share on fewer than the denominator threshold is not shown: the counts are, as in the table
                # (with the same secondary suppression against the theme's total)
                kb = SUPPRESSED if hidden.at[i, "n_before"] else fmt_int(r["n_before"], language)
                ka = SUPPRESSED if hidden.at[i, "n_after"] else fmt_int(r["n_after"], language)
                out.append(i18n.text("qualitative", "qualitative_result_sentences_2", language, code=r['code'],
                                     kb=kb, nb=nb, ka=ka, na=na))
                continue
            b, a = fmt_percent(r["share_before"], 0, language), fmt_percent(r["share_after"], 0, language)
            out.append(i18n.text("qualitative", "qualitative_result_sentences_3", language, code=r['code'], b=b,
                                 nb=nb, a=a, na=na))
        overall = self.agreement_table[self.agreement_table["code"] == ALL]
        if len(overall):
            r = overall.iloc[0]
            few = float(r["n_units"]) < d.count_below
            v = ".." if few else fmt_number(r["value"], 2, language)
            pa = d.base_share(r["percent_agreement"], r["n_units"], language)
            u = d.count(r["n_units"], language)
            out.append(i18n.text("qualitative", "qualitative_result_sentences_4", language, v1=v, u=u, pa=pa))
        return out

    def _frequency_hidden(self, d) -> np.ndarray:
        """Which theme × group counts the frequency table hides (secondary cells included)."""
        from evalkit.privacy import suppress_counts

        f = self.frequency.reset_index(drop=True)
        if f.empty:
            return np.zeros(0, dtype=bool)
        s = suppress_counts(f, ["n_sources", "group_size"], d.count_below, zero_is_small=d.zero_is_small,
                            totals_by={"n_sources": "code_guid"})
        return s.mask["n_sources"].to_numpy() | s.mask["group_size"].to_numpy()

    def _before_after_hidden(self, d) -> pd.DataFrame:
        """Which before/after counts the before/after table hides (its total is the theme's total)."""
        from evalkit.privacy import suppress_counts

        ba = self.before_after.assign(n_total=self.before_after["n_before"] + self.before_after["n_after"])
        if ba.empty:
            return pd.DataFrame(False, index=ba.index, columns=["n_before", "n_after"])
        s = suppress_counts(ba, ["n_before", "n_after", "N_before", "N_after", "n_total"], d.count_below,
                            total_col="n_total", summed=["n_before", "n_after"], zero_is_small=d.zero_is_small)
        return s.mask

    def methods(self, language: str = "sv") -> list[str]:
        language = check_language(language)
        return [i18n.text("qualitative", "qualitative_result_methods", language)]

    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import TableSpec
        language = check_language(language)
        tables = []
        ba = self.before_after.drop(columns=["code_guid", "difference"])
        # the theme's total is published anyway (the summary sentence, the co-occurrence diagonal, the joint
        # display): stated here as the row total so that secondary suppression protects a hidden count against it
        ba.insert(len(ba.columns) - 1, "n_total", ba["n_before"] + ba["n_after"])
        ba = ba.rename(columns={c: _t(c if c != "code" else "theme", language) for c in ba.columns})
        n_before, n_after, p = _t("n_before", language), _t("n_after", language), _t("p_value", language)
        n_total = _t("n_total", language)
        # The p-value rests on both counts: with the group sizes, it and one count give away the other, so it
        # is hidden wherever either count is. The interviews per period are group sizes: counts too.
        spec = TableSpec(counts=(n_before, _t("N_before", language), n_after, _t("N_after", language), n_total),
                         total_column=n_total, summed=(n_before, n_after),
                         percents={_t("share_before", language): _t("N_before", language),
                                   _t("share_after", language): _t("N_after", language)},
                         numerators={_t("share_before", language): n_before,
                                     _t("share_after", language): n_after},
                         derived={p: (n_before, n_after)},
                         pvalues=(p,))
        if self.period is not None:
            tables.append((_t("cap_ba", language), ba, spec))
        freq = self.frequency.drop(columns=["code_guid"]).rename(columns={
            "code": _t("theme", language), "group": _t("group", language), "n_sources": _t("interviews", language),
            "n_segments": _t("segments", language), "group_size": _t("group_size", language),
            "share": _t("share", language)})
        # a group's size is a count of people like any other: a group of 1–4 is shown as ".."
        tables.append((_t("cap_freq", language), freq, TableSpec(
            counts=(_t("interviews", language), _t("segments", language), _t("group_size", language)),
            # a theme's interviews over its groups add up to the theme's total, which the text prints
            totals_by={_t("interviews", language): _t("theme", language)},
            percents={_t("share", language): _t("group_size", language)},
            numerators={_t("share", language): _t("interviews", language)})))
        for key, frame in (("cap_works", self.works_well), ("cap_remains", self.remains)):
            if len(frame):
                f = frame.rename(columns={"code": _t("theme", language)})
                groups = [c for c in f.columns if c != _t("theme", language)]
                # the row total is the theme's total, printed elsewhere anyway: shown, and protected against
                f[_t("n_total", language)] = f[groups].sum(axis=1)
                tables.append((_t(key, language), f, TableSpec(counts=tuple(groups) + (_t("n_total", language),),
                                                               total_column=_t("n_total", language))))
        co = self.cooccurrence.reset_index().rename(columns={"index": _t("theme", language)})
        co = co.rename(columns={co.columns[0]: _t("theme", language)})
        tables.append((_t("cap_co", language), co, TableSpec(counts=tuple(co.columns[1:]))))
        if len(self.agreement_table):
            ag = self.agreement_table.drop(columns=["code_guid", "method"]).replace({"code": {ALL: _t("all", language)}})
            ag = ag.rename(columns={c: _t("theme" if c == "code" else c, language) for c in ag.columns})
            tables.append((_t("cap_agree", language), ag, TableSpec(decimals={_t("value", language): 2,
                                                                              _t("ci_low", language): 2,
                                                                              _t("ci_high", language): 2},
                                                                    percents={_t("percent_agreement", language):
                                                                              _t("n_units", language)})))
        if len(self.quotes):
            q = self.quotes[["code", "label", "quote"]].rename(columns={
                "code": _t("theme", language), "label": _t("label", language), "quote": _t("quote", language)})
            tables.append((_t("cap_quotes", language), q, TableSpec()))
        return tables

    def plot(self, language: str = "sv", disclosure=None):
        """Heatmap theme × group: share of the group's interviews raising the theme.

        A cell whose share ``disclosure`` hides (its group has fewer interviews
        than the denominator threshold, or the count is small) is drawn grey
        with "..", as in the frequency table (default rules 5 and 30). When
        every cell is hidden the figure is marked withheld
        (:func:`evalkit.privacy._disclosure.mark_withheld`) and a report shows a
        sentence in its place.
        """
        import matplotlib.pyplot as plt
        from evalkit.i18n import tick_formatter
        language = check_language(language)
        d = _rules(disclosure)
        f = self.frequency
        hidden = [d.hides_share(s, g, n) for s, g, n in zip(f["share"], f["group_size"], f["n_sources"])]
        hidden = np.asarray(hidden, dtype=bool) | self._frequency_hidden(d)
        f = f.assign(share=f["share"].where(~hidden))
        # themes in code-tree order (categories keep their themes together), not alphabetical
        wide = f.pivot(index="code", columns="group", values="share").reindex(f["code"].unique())
        values = wide.to_numpy(dtype=float)
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(wide) + 1.8))
        ax.imshow(np.where(np.isnan(values), 1.0, np.nan), cmap="Greys", vmin=0, vmax=4, aspect="auto")
        im = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        for i, j in zip(*np.nonzero(np.isnan(values))):
            ax.text(j, i, "..", ha="center", va="center", fontsize=8, color="0.3")
        ax.set_xticks(range(wide.shape[1]), [str(c) for c in wide.columns], rotation=30, ha="right")
        ax.set_yticks(range(wide.shape[0]), [str(i) for i in wide.index])
        ax.set_xlabel(_t("group", language))
        bar = fig.colorbar(im, ax=ax, format=tick_formatter(language, percent=True))
        bar.set_label(_t("share", language))
        fig.tight_layout()
        if np.isnan(values).all():
            from evalkit.privacy._disclosure import mark_withheld

            mark_withheld(fig)  # nothing left to show: a report says so instead of printing a grey grid
        return fig


def _rules(disclosure):
    from evalkit.privacy import Disclosure

    return disclosure if disclosure is not None else Disclosure()


# ----------------------------------------------------------------------------- analysis
def _pick(attrs: pd.DataFrame, wanted: str | None, candidates, what: str) -> str | None:
    if wanted is not None:
        if wanted not in attrs.columns:
            raise AnalysisError(f"no {what} variable {wanted!r} in the codings; variables: "
                                f"{', '.join(map(str, attrs.columns)) or '(none)'}")
        return wanted
    lower = {str(c).lower(): c for c in attrs.columns}
    return next((lower[c] for c in candidates if c in lower), None)


def _primary_coder(segments: pd.DataFrame, coder: str | None, users: pd.DataFrame) -> str | None:
    if coder is not None:
        names = dict(zip(users["name"], users["user_guid"]))
        guid = names.get(coder, coder)
        if guid not in set(segments["coder"]):
            raise AnalysisError(f"coder {coder!r} coded nothing; coders: {', '.join(map(str, users['name']))}")
        return guid
    counts = segments["coder"].value_counts(dropna=False)
    return counts.index[0] if len(counts) else None


def qualitative_analysis(codings, *, group: str | None = None, period: str | None = None, codes=None,
                         coder: str | None = None, works_well=None, remains=None, unit: str = "source",
                         quotes_per_cell: int = 1, quote_chars: tuple[int, int] = (40, 300), names=(),
                         role_names: dict | None = None, min_exact: int = 5, language: str = "sv",
                         seed: int = 0, n_boot: int = 500) -> QualitativeResult:
    """Analyse coded interviews by stakeholder group and period.

    Parameters
    ----------
    codings : Codings
    group, period : str, optional
        Source/case variables holding the stakeholder group and the period
        (default: the first of :data:`GROUP_VARIABLES` / :data:`PERIOD_VARIABLES`
        present). Period values "före"/"before"/"før"/"pre" are *before*,
        everything else *after*.
    codes : list of str, optional
        Codes to analyse (names, paths or GUIDs); default every codable code.
    coder : str, optional
        Whose coding is counted (name or GUID); default the coder with most
        segments, so double-coded interviews are not counted twice.
    works_well, remains : list of str, optional
        Codes for the "what works well / what remains" tables; default the
        codes under a category named so ("Fungerar bra", "Återstår", …).
    unit : {"source", "segment"}
        Agreement units (see :func:`coding_agreement`).
    quotes_per_cell, quote_chars, names, role_names
        Quote selection: per theme and group, length limits, names to mask,
        display names of the groups.
    min_exact : int
        Fisher's exact test only where both periods have at least this many interviews.
    language : {"sv", "nb", "en"}
    seed, n_boot : int
        Bootstrap of the agreement intervals and quote tie-breaking.

    Returns
    -------
    QualitativeResult

    Notes
    -----
    A source "mentions" a code when the chosen coder coded at least one
    segment with it. Shares are n_sources / group size. The before/after
    test is Fisher's exact test on the 2 × 2 table (raised / not raised ×
    before / after), two-sided, as R ``fisher.test``; it treats interviews as
    independent draws, which purposive sampling is not — hence descriptive
    first.
    """
    language = check_language(language)
    attrs = codings.source_attributes()
    gvar = _pick(attrs, group, GROUP_VARIABLES, "group")
    pvar = _pick(attrs, period, PERIOD_VARIABLES, "period")
    text_sources = codings.sources["source_guid"]
    groups = attrs[gvar].fillna("?") if gvar else pd.Series("alla", index=text_sources)
    seg_all = codings.segments
    primary = _primary_coder(seg_all, coder, codings.users)
    seg = seg_all[seg_all["coder"] == primary] if primary is not None else seg_all.iloc[0:0]
    code_table = codings.codes[codings.codes["is_codable"]]
    if codes is not None:
        wanted = [codings.code_guid(c) for c in codes]
        code_table = code_table[code_table["code_guid"].isin(wanted)]
    code_names = dict(zip(code_table["code_guid"], code_table["name"]))
    seg = seg[seg["code_guid"].isin(code_names)].assign(group=lambda d: d["source_guid"].map(groups))
    sizes = groups.value_counts().sort_index()
    frequency = _frequency(seg, code_names, sizes)
    before_after = _before_after(seg, code_names, attrs[pvar] if pvar else None, min_exact)
    presence = pd.crosstab(seg["source_guid"], seg["code_guid"]).clip(upper=1).reindex(
        columns=list(code_names), fill_value=0)
    co = presence.T @ presence
    co.index = co.columns = [code_names[g] for g in co.columns]
    works = _marked(codings, code_names, frequency, works_well, _WORKS)
    remain = _marked(codings, code_names, frequency, remains, _REMAINS)
    agree = coding_agreement(codings, codes=list(code_names), unit=unit, seed=seed, n_boot=n_boot)
    labels = role_labels(groups, role_names)
    quotes = select_quotes(seg, labels, n=quotes_per_cell, min_chars=quote_chars[0], max_chars=quote_chars[1],
                           names=names, language=language, seed=seed)
    quotes.insert(1, "code", quotes["code_guid"].map(code_names))
    notes = [] if gvar else ["no group variable found: every interview in one group"]
    return QualitativeResult(frequency=frequency, before_after=before_after, cooccurrence=co, works_well=works,
                             remains=remain, agreement_table=agree, quotes=quotes, group_sizes=sizes, group=gvar,
                             period=pvar, coder=primary, unit=unit, language=language, seed=seed,
                             n_sources=len(text_sources), notes=notes)


def _frequency(seg, code_names, sizes) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([list(code_names), list(sizes.index)], names=["code_guid", "group"])
    by = seg.groupby(["code_guid", "group"])
    out = pd.DataFrame({"n_sources": by["source_guid"].nunique(), "n_segments": by.size()}).reindex(grid, fill_value=0)
    out = out.reset_index()
    out.insert(1, "code", out["code_guid"].map(code_names))
    out["group_size"] = out["group"].map(sizes).astype(int)
    out["share"] = out["n_sources"] / out["group_size"]
    return out


def _is_before(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower().isin(_BEFORE)


def _before_after(seg, code_names, period: pd.Series | None, min_exact: int) -> pd.DataFrame:
    cols = ["code_guid", "code", "n_before", "N_before", "share_before", "n_after", "N_after", "share_after",
            "difference", "p_value"]
    if period is None:
        return pd.DataFrame(columns=cols)
    before = _is_before(period.dropna())
    nb, na = int(before.sum()), int((~before).sum())
    rows = []
    for g, name in code_names.items():
        srcs = set(seg.loc[seg["code_guid"] == g, "source_guid"])
        kb = sum(s in srcs for s in before.index[before])
        ka = sum(s in srcs for s in before.index[~before])
        p = fisher_exact([[kb, nb - kb], [ka, na - ka]])[1] if min(nb, na) >= min_exact else np.nan
        sb, sa = (kb / nb if nb else np.nan), (ka / na if na else np.nan)
        rows.append([g, name, kb, nb, sb, ka, na, sa, sa - sb, p])
    return pd.DataFrame(rows, columns=cols)


def _marked(codings, code_names, frequency, listed, category_names) -> pd.DataFrame:
    if listed is not None:
        guids = {codings.code_guid(c) for c in listed}
    else:
        cats = codings.codes[codings.codes["name"].str.strip().str.lower().isin(category_names)]["code_guid"]
        guids = set(codings.codes.loc[codings.codes["parent_guid"].isin(set(cats)), "code_guid"])
    f = frequency[frequency["code_guid"].isin(guids & set(code_names))]
    if f.empty:
        return pd.DataFrame()
    wide = f.pivot(index="code", columns="group", values="n_sources")
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


# ----------------------------------------------------------------------------- agreement
def _spans_units(seg: pd.DataFrame) -> pd.DataFrame:
    """Segment units: per (source, code), overlapping spans of any coder merged into one unit."""
    rows = []
    for (s, c), g in seg.dropna(subset=["start", "end"]).groupby(["source_guid", "code_guid"]):
        g = g.sort_values("start")
        unit_end, uid = -1, -1
        for r in g.itertuples():
            if r.start >= unit_end:
                uid += 1
            unit_end = max(unit_end, int(r.end))
            rows.append((f"{s}:{c}:{uid}", c, r.coder))
    return pd.DataFrame(rows, columns=["unit", "code_guid", "coder"])


def coding_agreement(codings, *, codes=None, unit: str = "source", double_coded=None, coders=None, seed: int = 0,
                     n_boot: int = 500) -> pd.DataFrame:
    """Agreement between coders per code and over all codes (presence/absence).

    Parameters
    ----------
    codings : Codings
    codes : list of str, optional
        Code GUIDs (default every codable code).
    unit : {"source", "segment"}
        ``"source"``: unit = (double-coded interview, code), value 1 if the
        coder applied the code anywhere in it. ``"segment"``: unit = a span
        coded by at least one coder (overlapping spans of the same code
        merged), value 1 if the coder coded it — units no coder coded do not
        exist, so agreement on absence is not counted and kappa is lower.
    double_coded : list of str, optional
        Sources (names or GUIDs) that every coder coded. Default: the sources
        with segments of at least two coders — a coder who found nothing to
        code in an interview cannot be told apart from one who never read it,
        so give the list when that can happen.
    coders : list of str, optional
        Coder GUIDs to compare (default every coder of the double-coded sources).
    seed, n_boot
        Bootstrap of the intervals (resampling interviews).

    Returns
    -------
    DataFrame
        ``code_guid, code, method, value, ci_low, ci_high, n_units,
        percent_agreement``; empty when fewer than two coders coded the same
        interview. The coefficient is Cohen's kappa for two coders, else
        Krippendorff's alpha (nominal), from :func:`evalkit.analysis.agreement.agreement`.
    """
    cols = ["code_guid", "code", "method", "value", "ci_low", "ci_high", "n_units", "percent_agreement"]
    seg = codings.segments
    if unit not in ("source", "segment"):
        raise AnalysisError(f"unit must be 'source' or 'segment', got {unit!r}")
    if double_coded is None:
        per_source = seg.groupby("source_guid")["coder"].nunique()
        double = per_source.index[per_source >= 2]
    else:
        by_name = dict(zip(codings.sources["name"], codings.sources["source_guid"]))
        double = pd.Index([by_name.get(s, s) for s in double_coded])
    if coders is None:
        coders = sorted(seg.loc[seg["source_guid"].isin(double), "coder"].dropna().unique())
    if len(double) == 0 or len(coders) < 2:
        return pd.DataFrame(columns=cols)
    codes = list(codings.codes.loc[codings.codes["is_codable"], "code_guid"]) if codes is None else list(codes)
    names = dict(zip(codings.codes["code_guid"], codings.codes["name"]))
    sub = seg[seg["source_guid"].isin(double) & seg["code_guid"].isin(codes)]
    if unit == "source":
        grid = pd.MultiIndex.from_product([list(double), codes, coders], names=["source_guid", "code_guid", "coder"])
        hit = sub.groupby(["source_guid", "code_guid", "coder"]).size().clip(upper=1)
        long = hit.reindex(grid, fill_value=0).rename("value").reset_index()
        long["unit"] = long["source_guid"] + ":" + long["code_guid"]
        cluster = "source_guid"
    else:
        units = _spans_units(sub)
        grid = units[["unit", "code_guid"]].drop_duplicates().merge(pd.DataFrame({"coder": coders}), how="cross")
        present = units.drop_duplicates().assign(value=1)
        long = grid.merge(present, on=["unit", "code_guid", "coder"], how="left").fillna({"value": 0})
        long["source_guid"] = long["unit"].str.split(":").str[0]
        cluster = "source_guid"
    method = "cohen" if len(coders) == 2 else "krippendorff"
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        for code, part in [(c, long[long["code_guid"] == c]) for c in codes] + [(ALL, long)]:
            if part["unit"].nunique() == 0:
                continue
            try:
                res = agreement(part, unit="unit", rater="coder", value="value", method=method, seed=seed,
                                n_boot=n_boot, cluster=cluster if code == ALL else None)
                rows.append([code, names.get(code, code), method, res.value, res.ci_low, res.ci_high,
                             res.n_units, res.percent_agreement])
            except AnalysisError:
                # too few units for a coefficient: the raw agreement is still defined
                same = part.groupby("unit")["value"].nunique().eq(1)
                rows.append([code, names.get(code, code), method, np.nan, np.nan, np.nan, len(same),
                             float(same.mean())])
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------- joint display
@dataclass
class JointDisplay:
    """Per outcome: the quantitative effect beside the interview themes mapped to it.

    ``table`` columns: ``outcome, effect, themes, raised_by, quote``.
    """

    table: pd.DataFrame
    language: str = "sv"
    #: per row: the outcome's name, its result, theme counts, groups and quote — worded again per language
    parts: list = field(default_factory=list, repr=False)
    disclosure: Any = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return _t("jd_title", self.language)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def sentences(self, language: str | None = None) -> list[str]:
        return []

    def methods(self, language: str = "sv") -> list[str]:
        return [_t("jd_methods", check_language(language))]

    def report_tables(self, language: str | None = None) -> list:
        from evalkit.blocks import TableSpec
        lang = check_language(language or self.language)
        table = self.table if lang == self.language or not self.parts else _joint_rows(self.parts, lang,
                                                                                         self.disclosure)
        t = table.rename(columns={"outcome": _t("outcome", lang), "effect": _t("effect", lang),
                                       "themes": _t("themes", lang), "raised_by": _t("raised_by", lang),
                                       "quote": _t("quote", lang)})
        return [(_t("jd_title", lang), t, TableSpec())]

    def summary(self) -> str:
        return self.table.to_string(index=False)

    def _repr_html_(self) -> str:
        return self.table.to_html(index=False)


def _effect_sentence(result, language: str) -> str:
    sentences = getattr(result, "sentences", None)
    if callable(sentences):
        try:
            found = sentences(language)
        except TypeError:
            found = sentences()
        if found:
            return str(found[0])
    return str(result)


def joint_display(quantitative: dict, mapping: dict, qualitative: QualitativeResult, language: str = "sv",
                  disclosure=None) -> JointDisplay:
    """Build the joint display.

    Parameters
    ----------
    quantitative : dict of str to result
        Outcome id → a result with ``sentences(language)`` (ITSResult, DiDResult, …).
    mapping : dict of str to list of str
        Outcome id → theme names (or GUIDs) in the codings.
    qualitative : QualitativeResult
    language : {"sv", "nb", "en"}
    disclosure : evalkit.privacy.Disclosure, optional
        The rules the counts go through (default 5 and 30).

    Returns
    -------
    JointDisplay
        One row per outcome in ``mapping``; themes listed with "n of N
        interviews"; groups ordered by how many of their interviews raised
        the themes; the first quote found for the themes.
    """
    language = check_language(language)
    d = _rules(disclosure)
    freq = qualitative.frequency
    parts = []
    for outcome, themes in mapping.items():
        themes = [themes] if isinstance(themes, str) else list(themes)
        f = freq[freq["code"].isin(themes) | freq["code_guid"].isin(themes)]
        unknown = sorted(set(themes) - set(f["code"]) - set(f["code_guid"]))
        if unknown:
            raise AnalysisError(f"joint display: theme(s) {', '.join(unknown)} mapped to {outcome!r} are not in "
                                "the codings")
        by_theme = f.groupby("code")["n_sources"].sum()
        groups = f[f["n_sources"] > 0].groupby("group")["n_sources"].sum().sort_values(ascending=False)
        q = qualitative.quotes[qualitative.quotes["code"].isin(by_theme.index)]
        parts.append({"outcome": outcome, "result": quantitative.get(outcome), "themes": by_theme,
                      "total": qualitative.n_sources, "groups": [str(g) for g in groups.index],
                      "quote": (q.iloc[0]["quote"], q.iloc[0]["label"]) if len(q) else None})
    return JointDisplay(_joint_rows(parts, language, d), language, parts, d)


def _joint_rows(parts: list, language: str, d) -> pd.DataFrame:
    """The joint display's table worded in ``language`` (effects, counts and quote marks of that language)."""
    rows = []
    for p in parts:
        themes = "; ".join(f"{c} ({d.count(n, language)}/{d.count(p['total'], language)})"
                           for c, n in p["themes"].items())
        quote = (_t("quoted", language, text=p["quote"][0]) + f" ({p['quote'][1]})") if p["quote"] else ""
        effect = _effect_sentence(p["result"], language) if p["result"] is not None else ""
        rows.append({"outcome": in_language(p["outcome"], language), "effect": effect, "themes": themes,
                     "raised_by": ", ".join(p["groups"]), "quote": quote})
    return pd.DataFrame(rows, columns=["outcome", "effect", "themes", "raised_by", "quote"])


# ----------------------------------------------------------------------------- pipeline
def run_qualitative(codings, options: dict | None = None) -> QualitativeResult:
    """Pipeline entry point: ``qualitative_analysis`` with options from the evaluation config.

    Keys of ``options`` (all optional): ``group``, ``period``, ``codes``,
    ``coder``, ``works_well``, ``remains``, ``unit`` ("source"|"segment"),
    ``quotes_per_cell``, ``quote_min_chars``, ``quote_max_chars``,
    ``mask_names`` (list), ``role_names`` (table group → label), ``min_exact``,
    ``language``, ``seed``, ``n_boot``. Unknown keys are an AnalysisError.
    """
    opts = dict(options or {})
    lo, hi = opts.pop("quote_min_chars", 40), opts.pop("quote_max_chars", 300)
    if "mask_names" in opts:
        opts["names"] = opts.pop("mask_names")
    allowed = {"group", "period", "codes", "coder", "works_well", "remains", "unit", "quotes_per_cell", "names",
               "role_names", "min_exact", "language", "seed", "n_boot"}
    unknown = sorted(set(opts) - allowed)
    if unknown:
        raise AnalysisError(f"unknown qualitative option(s) {', '.join(unknown)}; known: "
                            f"{', '.join(sorted(allowed | {'quote_min_chars', 'quote_max_chars', 'mask_names'}))}")
    return qualitative_analysis(codings, quote_chars=(lo, hi), **opts)
