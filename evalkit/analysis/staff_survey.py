"""Staff surveys: SKR's HME index and Elo's single-item stress measure, by wave, unit and profession.

Scoring
-------
HME (Hållbart medarbetarengagemang, SKR/RKA; built-in codebook ``hme``): nine statements on a 1–5 scale
in three sub-indices of three items — motivation, leadership (ledarskap), governance (styrning). SKR's
rule turns a mean on 1–5 into an index on 0–100: ``index = (mean − 1) × 25``.

* A respondent's index is the mean of his or her answers to the items of the index, rescaled so.
* **Missing items (evalkit's decision; SKR's own rule could not be verified offline):** a respondent's
  sub-index needs all three of its items, the total index all nine (``missing="complete"``). Complete
  answers make the mean of respondents' indices equal SKR's aggregate — the mean over items of each item's
  index, which is how SKR's Kolada calculation template (beräkningsmall) works from answer counts per item;
  that aggregate is also given (``index_skr``, available answers per item) so a unit's figure can be
  compared with Kolada's. ``missing="available"`` scores every respondent with at least
  ``min_items`` answered items instead.
* Kolada publishes HME as the U00200 series (total, motivation, leadership, governance) [T, domain.md §6]:
  the ids could not be verified against api.kolada.se offline.

Stress (Elo, Leppänen & Jahkola 2003, Scand J Work Environ Health 29(6):444–451; codebook ``stress_elo``):
one item, 1 = not at all … 5 = very much. ``stress`` is that score (a mean) and ``stress_high`` the share
answering 4–5 ("rather much" or "very much").

Estimates
---------
Every mean and share is a design-based domain estimate (:func:`evalkit.analysis.surveys.survey_estimate`,
Taylor linearisation, matching R ``svymean`` on ``subset(svydesign(...), domain)``): the design has the
waves as strata, the survey's ``weight`` (default 1) and, with ``finite_population=True``, its ``fpc``
(staff in the stratum) as a finite-population correction. Domains are wave × unit, wave × profession
(``group``) and wave × {changed, comparison} units.

The difference-in-differences of a score — (changed after − before) − (comparison after − before) — has
variance the sum of the four domain variances: the waves are independent strata, and within a stratum
the linearised values of two disjoint domains' means have zero covariance (each sums to zero over the
stratum's rows), so in an unclustered design the cross terms vanish exactly. Staff of one team are not
independent of each other (same manager, same schedule); treating them as independent respondents is
the design assumption stated in the report. Normal 95 % intervals and z tests.

Default ``finite_population=False``: the question is whether the change altered how staff fare, a
statement about the process rather than about the staff who happened to be employed, so the sampling
variance of a census is kept (the finite-population correction would shrink it towards zero).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalkit import i18n
from evalkit.analysis._labels import SHARE_SCORE, unit_word
from evalkit.analysis.surveys import survey_estimate
from evalkit.errors import AnalysisError, ConfigError

if TYPE_CHECKING:
    from evalkit.io.surveys import Survey

__all__ = ["HME_SUBINDICES", "HME_ITEMS", "STRESS_ITEM", "SCORES", "score_staff_survey", "staff_survey_estimates",
           "staff_survey_analysis", "StaffSurveyResult", "run", "OPTIONS"]

#: HME sub-index → its items (the item names of the built-in codebook ``hme``)
HME_SUBINDICES: dict[str, tuple[str, ...]] = {
    "hme_motivation": ("hme_meningsfullt", "hme_utvecklas", "hme_fram_emot"),
    "hme_leadership": ("hme_uppskattning", "hme_fortroende", "hme_ansvar"),
    "hme_governance": ("hme_mal", "hme_forvantningar", "hme_uppfoljning"),
}
HME_ITEMS = tuple(i for items in HME_SUBINDICES.values() for i in items)
STRESS_ITEM = "stress"
#: score columns of :func:`score_staff_survey`
SCORES = ("hme_total", *HME_SUBINDICES, "stress", "stress_high")
MISSING_RULES = ("complete", "available")
#: the reported group columns of the responses
_GROUPS = ("unit", "group")


def _item_values(survey: "Survey", items: Sequence[str]) -> pd.DataFrame:
    """Answers as 1–5 (1 = the scale's worst label) from the codebook ranks."""
    r = survey.responses
    return pd.DataFrame({i: r[i].astype(object).map(survey.codebook.items[i].scale.rank()).astype(float)
                         for i in items}, index=r.index)


def score_staff_survey(survey: "Survey", *, missing: str = "complete", min_items: int = 1) -> pd.DataFrame:
    """Per respondent: HME total and sub-indices (0–100), stress (1–5) and high stress (0/1).

    Parameters
    ----------
    survey : Survey
        From :func:`evalkit.io.staff.load_staff_survey` (HME items and/or the stress item).
    missing : {"complete", "available"}
        ``"complete"``: an index only for respondents who answered all its items (default; module docstring).
        ``"available"``: the mean of the answered items when at least ``min_items`` are answered.
    min_items : int
        For ``missing="available"``.

    Returns
    -------
    DataFrame
        The responses' meta columns (wave, unit, group, weight, stratum, fpc when present) and the
        :data:`SCORES` the survey has items for; NaN where a respondent has no score.

    Examples
    --------
    >>> from evalkit.io.surveys import Survey, load_codebook
    >>> cb = load_codebook("hme")
    >>> labels = {5: "Stämmer mycket bra", 4: "4", 3: "3", 2: "2", 1: "Stämmer mycket dåligt"}
    >>> answers = {i: [5, 3] for i in HME_ITEMS}
    >>> answers["hme_mal"] = [5, None]
    >>> r = pd.DataFrame({i: pd.Categorical([labels.get(v) for v in vals], categories=list(labels.values()))
    ...                   for i, vals in answers.items()})
    >>> s = score_staff_survey(Survey(responses=r, codebook=cb))
    >>> s["hme_total"].tolist(), s["hme_governance"].tolist(), s["hme_motivation"].tolist()
    ([100.0, nan], [100.0, nan], [100.0, 50.0])
    """
    if missing not in MISSING_RULES:
        raise AnalysisError(f"missing must be one of {MISSING_RULES}, got {missing!r}")
    r = survey.responses
    out = r[[c for c in ("respondent_id", "wave", *_GROUPS, "weight", "stratum", "cluster", "fpc")
             if c in r.columns]].copy()
    have = [i for i in HME_ITEMS if i in r.columns and i in survey.codebook.items]
    if have and len(have) < len(HME_ITEMS):
        raise AnalysisError(f"the survey has {len(have)} of the nine HME items; missing: "
                            f"{[i for i in HME_ITEMS if i not in have]} (the index needs all nine)")
    if have:
        values = _item_values(survey, HME_ITEMS)
        out["hme_total"] = _index(values, HME_ITEMS, missing, min_items)
        for name, items in HME_SUBINDICES.items():
            out[name] = _index(values, items, missing, min_items)
    if STRESS_ITEM in r.columns and STRESS_ITEM in survey.codebook.items:
        rank = _item_values(survey, [STRESS_ITEM])[STRESS_ITEM]
        out["stress"] = 6.0 - rank   # codebook ranks run best (no stress) = 5; Elo's score: 5 = very much
        out["stress_high"] = np.where(out["stress"].isna(), np.nan, (out["stress"] >= 4).astype(float))
    if not any(s in out for s in SCORES):
        raise AnalysisError("the survey has neither the HME items nor the stress item; load it with "
                            "evalkit.io.staff.load_staff_survey (codebooks 'hme' and 'stress_elo')")
    return out


def _index(values: pd.DataFrame, items: Sequence[str], missing: str, min_items: int) -> pd.Series:
    v = values[list(items)]
    answered = v.notna().sum(axis=1)
    need = len(items) if missing == "complete" else max(1, int(min_items))
    return ((v.mean(axis=1) - 1.0) * 25.0).where(answered >= need)


def _design_frame(scores: pd.DataFrame, finite_population: bool) -> tuple[pd.DataFrame, dict]:
    if "wave" not in scores or scores["wave"].isna().any():
        raise AnalysisError("every respondent needs a wave (column 'wave' / 'omgång')")
    frame = scores.copy()
    frame["_stratum"] = frame["wave"].astype(str)
    if "stratum" in frame:
        frame["_stratum"] = frame["_stratum"] + " / " + frame["stratum"].astype(str)
    design = {"weights": "weight" if "weight" in frame else None, "strata": "_stratum", "cluster": None,
              "fpc": None}
    if finite_population:
        if "fpc" not in frame:
            raise AnalysisError("finite_population=True needs an fpc column (staff in the stratum)")
        if "stratum" not in frame:  # fpc given per unit: the wave's population is the sum over its units
            per_unit = frame.groupby(["wave", "unit"])["fpc"].first().groupby(level=0).sum()
            frame["_fpc"] = frame["wave"].map(per_unit).astype(float)
            design["fpc"] = "_fpc"
        else:
            design["fpc"] = "fpc"
    return frame, design


def _estimate(frame, design, column, mask, kind, level) -> dict:
    if not (mask & frame[column].notna()).any():
        return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0.0}
    est = survey_estimate(frame, column, kind=kind, domain=mask, level=level, **design).to_dict()
    if kind == "proportion":
        est["ci_low"], est["ci_high"] = _proportion_interval(frame, design, column, mask, est, level)
    return est


def _proportion_interval(frame, design, column, mask, est: dict, level: float) -> tuple[float, float]:
    r"""A share's interval inside 0–1: the logit interval of R ``svyciprop(method = "logit")``.

    .. math:: \operatorname{expit}\bigl(\operatorname{logit}\hat p \pm t_{df}\,
              \widehat{SE}(\hat p) / (\hat p (1 - \hat p))\bigr)

    with *df* = R ``degf`` of the domain (its PSUs minus its strata) — the delta-method SE of the
    intercept of R's ``svyglm(y ~ 1, family = quasibinomial)``, which svyciprop transforms; equal to R
    survey 4.1 to 7e-10, the tolerance of R's glm (``tests/test_staff_survey.py``). The Wald interval of
    ``svymean`` gave shares below zero ("−0,04") for small units. At a share of exactly 0 or 1 the logit is
    not defined; there the interval is Clopper–Pearson on the domain's answers (R ``binom.test(x, n)``).
    """
    p, n = est["estimate"], int(est["n"])
    in_domain = mask & frame[column].notna().to_numpy()
    if p <= 0.0 or p >= 1.0:
        x = int(round(p * n))
        return tuple(float(v) for v in stats.binomtest(x, n).proportion_ci(level, method="exact"))
    psus = frame.loc[in_domain, design["cluster"]].nunique() if design.get("cluster") else int(in_domain.sum())
    strata = frame.loc[in_domain, design["strata"]].nunique() if design.get("strata") else 1
    df = max(psus - strata, 1)
    q = float(stats.t.ppf(0.5 + level / 2, df))
    centre, half = np.log(p / (1 - p)), q * est["se"] / (p * (1 - p))
    return float(1 / (1 + np.exp(-(centre - half)))), float(1 / (1 + np.exp(-(centre + half))))


def _skr_index(values: np.ndarray, columns: list[int], mask: np.ndarray, weights: np.ndarray) -> float:
    """SKR's aggregate: the mean over items of (the item's mean − 1) × 25, each item over its answers."""
    v = values[np.ix_(mask, columns)]
    w = np.where(np.isnan(v), 0.0, weights[mask][:, None])
    answered = w.sum(axis=0)
    if not (answered > 0).all():
        return np.nan
    means = np.nansum(v * w, axis=0) / answered
    return (float(means.mean()) - 1.0) * 25.0


def staff_survey_estimates(survey: "Survey", *, by: Sequence[str] = ("unit", "group"), missing: str = "complete",
                           min_items: int = 1, finite_population: bool = False, level: float = 0.95,
                           domains: Mapping[str, pd.Series] | None = None) -> pd.DataFrame:
    """Design-based means per score × wave × domain (all staff, each ``by`` column, named extra domains).

    Returns one row per (score, wave, dimension, domain) with ``estimate, se, ci_low, ci_high, n`` and,
    for HME scores, ``index_skr`` (SKR's item-mean aggregate). ``dimension`` is ``"all"``, a ``by``
    column or a key of ``domains`` (a boolean Series over the respondents, e.g. the changed units).
    """
    scores = score_staff_survey(survey, missing=missing, min_items=min_items)
    frame, design = _design_frame(scores, finite_population)
    values = _item_values(survey, HME_ITEMS).to_numpy(dtype=float) if "hme_total" in scores else None
    weights = frame["weight"].to_numpy(dtype=float) if "weight" in frame else np.ones(len(frame))
    dims: list[tuple[str, Any, pd.Series]] = [("all", "all", pd.Series(True, index=frame.index))]
    for col in by:
        if col in frame:
            dims += [(col, v, frame[col] == v) for v in sorted(frame[col].dropna().unique(), key=str)]
    for name, mask in (domains or {}).items():
        dims += [(name, value, mask.reindex(frame.index).fillna(False) == value) for value in (True, False)]
    rows = []
    for score in [s for s in SCORES if s in frame]:
        kind = "proportion" if score == SHARE_SCORE else "mean"
        items = HME_ITEMS if score == "hme_total" else HME_SUBINDICES.get(score)
        for wave in sorted(frame["wave"].unique()):
            in_wave = frame["wave"] == wave
            for dim, value, mask in dims:
                m = (in_wave & mask).to_numpy(dtype=bool)
                row = {"score": score, "wave": wave, "dimension": dim, "domain": value,
                       **_estimate(frame, design, score, m, kind, level)}
                if items is not None and values is not None:
                    row["index_skr"] = _skr_index(values, [HME_ITEMS.index(i) for i in items], m, weights)
                rows.append(row)
    out = pd.DataFrame(rows)
    out["n"] = out["n"].astype(int)
    return out


def _did(est: pd.DataFrame, before, after, level: float) -> pd.DataFrame:
    """(changed after − before) − (comparison after − before) per score, variances summed (module docstring)."""
    q = float(stats.norm.ppf(0.5 + level / 2))
    rows = []
    cells = est[est["dimension"] == "changed"].set_index(["score", "wave", "domain"])
    for score in dict.fromkeys(est["score"]):
        try:
            t0, t1 = cells.loc[(score, before, True)], cells.loc[(score, after, True)]
            c0, c1 = cells.loc[(score, before, False)], cells.loc[(score, after, False)]
        except KeyError:
            continue
        d = (t1["estimate"] - t0["estimate"]) - (c1["estimate"] - c0["estimate"])
        se = float(np.sqrt(t0["se"] ** 2 + t1["se"] ** 2 + c0["se"] ** 2 + c1["se"] ** 2))
        p = float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else np.nan
        rows.append({"score": score, "n_changed_before": int(t0["n"]), "changed_before": t0["estimate"],
                     "n_changed_after": int(t1["n"]), "changed_after": t1["estimate"],
                     "n_comparison_before": int(c0["n"]), "comparison_before": c0["estimate"],
                     "n_comparison_after": int(c1["n"]), "comparison_after": c1["estimate"],
                     "did": d, "se": se, "ci_low": d - q * se, "ci_high": d + q * se, "p_value": p})
    return pd.DataFrame(rows)


def _change(est: pd.DataFrame, before, after, level: float) -> pd.DataFrame:
    """After − before per score for all staff (no comparison units)."""
    q = float(stats.norm.ppf(0.5 + level / 2))
    cells = est[est["dimension"] == "all"].set_index(["score", "wave"])
    rows = []
    for score in dict.fromkeys(est["score"]):
        b, a = cells.loc[(score, before)], cells.loc[(score, after)]
        d, se = a["estimate"] - b["estimate"], float(np.hypot(a["se"], b["se"]))
        rows.append({"score": score, "n_before": int(b["n"]), "before": b["estimate"], "n_after": int(a["n"]),
                     "after": a["estimate"], "diff": d, "se": se, "ci_low": d - q * se, "ci_high": d + q * se,
                     "p_value": float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else np.nan})
    return pd.DataFrame(rows)


def _score_label(score: str, language: str, change: bool = False) -> str:
    """A score's row label; the share says its unit (per cent, or percentage points for a change)."""
    if score != SHARE_SCORE:
        return i18n.text("staff_survey", score, language)
    return i18n.text("staff_survey", "stress_high_points" if change else "stress_high_percent", language)


def _row_decimals(share) -> tuple[int, ...]:
    """Two decimals for a score's mean, one for a share in per cent (20,2 % — not 20,20)."""
    return tuple(1 if s else 2 for s in share)


def staff_survey_analysis(survey: "Survey", *, treated: Sequence[str] | None = None, before=None, after=None,
                          missing: str = "complete", min_items: int = 1, finite_population: bool = False,
                          level: float = 0.95, min_n: int = 5, language: str = "sv",
                          by: Sequence[str] = ("unit", "group")) -> "StaffSurveyResult":
    """HME and stress by wave, unit and profession; after vs before, and against comparison units.

    Parameters
    ----------
    survey : Survey
    treated : list of str, optional
        Units that changed (first); the others are the comparison. Gives the difference-in-differences.
    before, after : wave values, optional
        Default: the first and the last wave.
    missing, min_items : see :func:`score_staff_survey`
    finite_population : bool
        Use the ``fpc`` column (module docstring; default False).
    min_n : int
        Estimates from fewer respondents are hidden in the report tables and figure (the staff threshold,
        ``[report] suppress_staff_below``).
    by : columns
        Domains estimated besides all staff and the changed/comparison units (default unit and profession).
    """
    i18n.check_language(language)
    r = survey.responses
    waves = sorted(r["wave"].dropna().unique()) if "wave" in r else []
    if len(waves) < 1:
        raise AnalysisError("the staff survey needs a wave column")
    before = waves[0] if before is None else before
    after = waves[-1] if after is None else after
    for name, value in (("before", before), ("after", after)):
        if value not in waves:
            raise AnalysisError(f"{name}={value!r} is not a wave of the survey; waves: {waves}")
    domains = None
    if treated:
        unknown = sorted(set(treated) - set(r["unit"].dropna().astype(str))) if "unit" in r else list(treated)
        if unknown:
            raise AnalysisError(f"treated unit(s) {unknown} are not units of the staff survey")
        domains = {"changed": r["unit"].astype(str).isin(list(treated))}
    est = staff_survey_estimates(survey, by=by, missing=missing, min_items=min_items,
                                 finite_population=finite_population, level=level, domains=domains)
    comparison = _did(est, before, after, level) if treated and before != after else None
    change = _change(est, before, after, level) if before != after else None
    return StaffSurveyResult(estimates=est, comparison=comparison, change=change, before=before, after=after,
                             treated=tuple(treated or ()), level=level, min_n=int(min_n), missing=missing,
                             codebook_source=survey.codebook.source)


_t = i18n.translator("staff_survey")
@dataclass
class StaffSurveyResult:
    """HME and stress estimates (:func:`staff_survey_analysis`), with the report's tables and figure.

    Attributes
    ----------
    estimates : DataFrame
        :func:`staff_survey_estimates`: score × wave × dimension (all, unit, group, changed) × domain.
    comparison : DataFrame or None
        Difference-in-differences per score (changed vs comparison units, after vs before).
    change : DataFrame or None
        After − before per score for all staff.
    """

    estimates: pd.DataFrame
    comparison: pd.DataFrame | None
    change: pd.DataFrame | None
    before: Any = None
    after: Any = None
    treated: tuple[str, ...] = ()
    level: float = 0.95
    min_n: int = 5
    missing: str = "complete"
    codebook_source: str = ""
    title_text: str | None = field(default=None)

    @property
    def title(self) -> str:
        return self.title_text or _t("title", "sv")

    @title.setter
    def title(self, value: str) -> None:
        self.title_text = value

    def to_frame(self) -> pd.DataFrame:
        return self.estimates.copy()

    def summary(self) -> str:
        return "\n".join(self.sentences("en"))

    def _fmt(self, score: str, value: float, language: str) -> str:
        if score == SHARE_SCORE:
            return i18n.fmt_percent(value, 0, language)
        return i18n.fmt_number(value, 1 if score.startswith("hme") else 2, language)

    def sentences(self, language: str = "sv") -> list[str]:
        i18n.check_language(language)
        out = []
        table = self.comparison if self.comparison is not None else self.change
        if table is None:
            return out
        key = "did" if self.comparison is not None else "diff"
        for _, row in table.iterrows():
            score = row["score"]
            if score not in ("hme_total", "stress", "stress_high"):
                continue
            small = min(int(row[c]) for c in row.index if str(c).startswith("n_")) < self.min_n
            if small:
                continue
            scale = 100 if score == SHARE_SCORE else 1
            dec = 0 if score == "stress_high" else (1 if score.startswith("hme") else 2)
            ci = i18n.fmt_ci(row[key] * scale, row["ci_low"] * scale, row["ci_high"] * scale, dec, language)
            p = i18n.fmt_p(row["p_value"], language)
            label = _t(score, language)
            if self.comparison is not None:
                points = " " + unit_word("points", language) if scale == 100 else ""
                out.append(i18n.text("staff_survey", "staff_survey_result_sentences_2", language, label=label,
                                     before=self.before, after=self.after, ci=ci, points=points, p=p))
            else:
                out.append(i18n.text("staff_survey", "staff_survey_result_sentences", language, label=label, ci=ci,
                                     before=self.before, after=self.after, p=p))
        return out

    def methods(self, language: str = "sv") -> list[str]:
        rule = i18n.text("staff_survey", f"staff_survey_result_methods.rule.{self.missing}", language)
        return [i18n.text("staff_survey", "staff_survey_result_methods", language, rule=rule, min_n=self.min_n)]

    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import Table, TableSpec
        from evalkit.privacy import suppress_percentages

        tables = []
        if self.comparison is not None:
            tables += self._comparison_tables(language)
        for dimension, head in (("unit", "domain"), ("group", "profession")):
            e = self.estimates[self.estimates["dimension"].isin([dimension, "all"])].copy()
            if dimension not in set(e["dimension"]):
                continue
            e["domain"] = [(_t("all", language) if d == "all" else str(v))
                           for d, v in zip(e["dimension"], e["domain"])]
            share = (e["score"] == SHARE_SCORE).to_numpy()
            e.loc[share, ["estimate", "ci_low", "ci_high"]] *= 100.0   # a share is shown in per cent
            e["score"] = [_score_label(s, language) for s in e["score"]]
            # SKR's template aggregate (index_skr) stays in estimates/to_frame(): in a table shared with the
            # stress rows it would be empty there, and an empty cell reads as a hidden one ("..")
            cols = ["score", "wave", "domain", "n", "estimate", "ci_low", "ci_high"]
            values = ["estimate", "ci_low", "ci_high"]
            hidden = suppress_percentages(e, values, "n", self.min_n).mask
            for v in values:
                e[v] = e[v].mask(hidden[v].to_numpy())
            names = {k: _t(k, language) for k in cols}
            names["domain"] = _t(head, language)
            frame = e[cols].rename(columns=names)
            spec = TableSpec(counts=(names["n"],), guards={names[v]: names["n"] for v in values},
                             decimals={names[v]: 2 for v in values}, row_decimals=_row_decimals(share))
            caption = i18n.text("staff_survey", f"staff_survey_result_report_tables.caption.{dimension}", language)
            tables.append(Table(frame, caption, spec))
        return tables

    def _comparison_tables(self, language: str) -> list:
        """The difference in change per score, and the group means it is built from (in long form)."""
        from evalkit.blocks import Table, TableSpec
        from evalkit.privacy import suppress_percentages

        c = self.comparison.copy()
        counts = ["n_changed_before", "n_changed_after", "n_comparison_before", "n_comparison_after"]
        c["n_smallest"] = c[counts].min(axis=1)
        # the staff threshold: a difference built from a group of fewer than min_n respondents is hidden
        cols = ["did", "ci_low", "ci_high", "p_value"]
        hidden = suppress_percentages(c, cols, "n_smallest", self.min_n).mask
        for col in cols:
            c[col] = c[col].mask(hidden[col].to_numpy())
        share = (c["score"] == SHARE_SCORE).to_numpy()
        c.loc[share, ["did", "ci_low", "ci_high"]] *= 100.0   # percentage points
        c["score"] = [_score_label(s, language, change=True) for s in c["score"]]
        names = {"score": _t("score", language), "n_smallest": _t("n_smallest", language),
                 **{k: _t(k, language) for k in cols}}
        frame = c[list(names)].rename(columns=names)
        spec = TableSpec(counts=(names["n_smallest"],), guards={names[k]: names["n_smallest"] for k in cols},
                         pvalues=(names["p_value"],), decimals={names[k]: 2 for k in ("did", "ci_low", "ci_high")},
                         row_decimals=_row_decimals(share))
        units = ", ".join(self.treated)
        caption = i18n.text("staff_survey", "staff_survey_result_comparison_tables.caption", language,
                            before=self.before, after=self.after, units=units)
        out = [Table(frame, caption, spec)]
        rows = []
        for _, r in self.comparison.iterrows():
            scale = 100.0 if r["score"] == SHARE_SCORE else 1.0
            for group in ("changed", "comparison"):
                rows.append({"score": _score_label(r["score"], language), "group": _t(group, language),
                             "n_before": r[f"n_{group}_before"], "before": r[f"{group}_before"] * scale,
                             "n_after": r[f"n_{group}_after"], "after": r[f"{group}_after"] * scale,
                             "_share": scale == 100.0})
        g = pd.DataFrame(rows)
        for n_col, v_col in (("n_before", "before"), ("n_after", "after")):
            g[v_col] = g[v_col].mask(suppress_percentages(g, [v_col], n_col, self.min_n).mask[v_col].to_numpy())
        g["change"] = g["after"] - g["before"]
        names = {k: _t(k, language) for k in ("score", "group", "n_before", "before", "n_after", "after", "change")}
        frame = g[list(names)].rename(columns=names)
        spec = TableSpec(counts=(names["n_before"], names["n_after"]),
                         guards={names["before"]: names["n_before"], names["after"]: names["n_after"],
                                 names["change"]: names["n_before"]},
                         decimals={names[k]: 2 for k in ("before", "after", "change")},
                         row_decimals=_row_decimals(g["_share"].to_numpy(dtype=bool)))
        caption = i18n.text("staff_survey", "staff_survey_result_comparison_tables.caption_2", language,
                            before=self.before, after=self.after)
        out.append(Table(frame, caption, spec))
        return out

    def plot(self, ax=None, language: str = "sv"):
        """HME total index by wave, changed vs comparison units (or all staff), with 95 % intervals."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        e = self.estimates
        score = "hme_total" if "hme_total" in set(e["score"]) else "stress"
        dim = "changed" if self.treated else "all"
        e = e[(e["score"] == score) & (e["dimension"] == dim) & (e["n"] >= self.min_n)]
        names = {True: i18n.text("staff_survey", "staff_survey_result_plot", language),
                 False: i18n.text("staff_survey", "staff_survey_result_plot_2", language),
                 "all": _t("all", language)}
        for offset, (domain, g) in zip((-0.05, 0.05, 0.0), e.groupby("domain", sort=False)):
            x = np.arange(len(g)) + offset
            ax.errorbar(x, g["estimate"], yerr=[g["estimate"] - g["ci_low"], g["ci_high"] - g["estimate"]],
                        marker="o", capsize=3, label=names[domain])
            ax.set_xticks(np.arange(len(g)), [str(w) for w in g["wave"]])
        ax.set_ylabel(_t(score, language))
        ax.legend(fontsize=8)
        return fig

    def _repr_html_(self) -> str:
        t = self.comparison if self.comparison is not None else self.estimates
        return f"<h4>{self.title}</h4>" + t.round(2).to_html(index=False, na_rep="..")


#: options of a ``kind = "staff_survey"`` analysis in the config
OPTIONS = {
    "treated": "units that changed (first); default [change].units",
    "before": "the wave before (default: the first)",
    "after": "the wave after (default: the last)",
    "missing": "complete | available: how an index treats unanswered items",
    "min_items": "with missing = 'available': fewest answered items for an index",
    "finite_population": "true: finite-population correction from the fpc column",
    "level": "confidence level (0.95)",
    "min_n": "fewest respondents an estimate is shown for (default [report].suppress_staff_below)",
    "language": "sv | nb | en",
}


def run(data: "Survey", options: Mapping[str, Any] | None = None) -> StaffSurveyResult:
    """Pipeline entry: a staff :class:`Survey` and the options in :data:`OPTIONS`."""
    opts = dict(options or {})
    unknown = set(opts) - set(OPTIONS)
    if unknown:
        raise ConfigError(f"unknown staff_survey option(s) {sorted(unknown)}; known: {', '.join(OPTIONS)}")
    return staff_survey_analysis(data, **opts)
