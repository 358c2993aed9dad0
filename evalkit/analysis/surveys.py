"""Survey analysis: share positive, design-based estimates, wave comparisons, ordinal and paired tests.

Entry points:

- :func:`survey_estimate` — design-based mean, total or proportion of the
  sample or a domain of it, with a Taylor-linearised standard error (stratified
  and one-stage cluster samples, finite-population correction), matching R
  ``survey::svymean``/``svytotal`` on ``subset()`` of the design.
- :func:`share_positive` — share of positive answers per item × wave (× unit),
  "don't know" out of the denominator (domain.md §2.3), Wilson intervals;
  :func:`design_share_positive` — the same as design-based domain estimates
  for a sampled survey (weights, strata, clusters, fpc).
- :func:`compare_shares` — difference in share positive between two waves or
  groups: Newcombe interval, Fisher's exact or χ² test, Holm/Benjamini–Hochberg
  adjustment across items.
- :func:`ordinal_compare` — proportional-odds (ordinal logistic) model of the
  whole answer scale, after vs before (:func:`cumulative_logit`, Newton–Raphson,
  matching R ``ordinal::clm``).
- :func:`paired_prepost` — the same respondents before and after: McNemar
  (binary) or Wilcoxon signed-rank (ordinal).
- :func:`paired_analysis` — every item for the same respondents before and
  after, returning a :class:`PairedResult` for the report.
- :func:`survey_analysis` — all of it for a :class:`~evalkit.io.surveys.Survey`,
  returning a :class:`SurveyResult` for the report; :func:`run` is the
  pipeline's entry (data + options dict).
"""
from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalkit import i18n
from evalkit.analysis._multitest import adjust_p
from evalkit.analysis.proportions import fisher_exact, newcombe_diff_ci, proportion_ci
from evalkit.errors import AnalysisError, AnalysisWarning
if TYPE_CHECKING:  # the container type only; analysis never reads files (DESIGN.md)
    from evalkit.io.surveys import Survey

__all__ = [
    "survey_estimate",
    "share_positive",
    "design_share_positive",
    "compare_shares",
    "ordinal_compare",
    "cumulative_logit",
    "OrdinalFit",
    "paired_prepost",
    "answered_by_table",
    "item_scores",
    "survey_analysis",
    "SurveyResult",
    "paired_analysis",
    "PairedResult",
    "run",
    "OPTIONS",
]

KINDS = ("mean", "total", "proportion")
ADJUST = ("auto", "holm", "fdr_bh", "none")


# --------------------------------------------------------------------------- design-based estimates

def survey_estimate(data: pd.DataFrame, column: str, *, kind: str = "mean", weights: str | None = None,
                    strata: str | None = None, fpc: str | None = None, cluster: str | None = None,
                    domain: str | Sequence[bool] | pd.Series | None = None, level: float = 0.95,
                    df: float | str | None = None) -> pd.Series:
    """Design-based mean, total or proportion of a domain, with a Taylor-linearised standard error.

    Parameters
    ----------
    data : DataFrame
        The whole sample, one row per sampled unit — not a subset of it: the
        design (strata, PSUs, fpc) is that of every row.
    column : str
        The variable (for ``kind="proportion"`` a 0/1 or boolean column).
        Missing values (e.g. "don't know" coded as missing) are out of the
        domain, as R ``na.rm = TRUE``.
    kind : {"mean", "total", "proportion"}
    weights : str, optional
        Sampling weights (inverse inclusion probabilities); default 1.
    strata : str, optional
        Stratum of each row.
    fpc : str, optional
        Population size of the row's stratum (number of clusters when
        ``cluster`` is given), or a sampling fraction (values ≤ 1).
    cluster : str, optional
        Primary sampling unit (one-stage cluster sample), nested in strata.
    domain : str or boolean array-like, optional
        The subpopulation estimated: a boolean column of ``data`` or a mask
        aligned with it (a Series by index, else by position), e.g. one unit
        or one wave. Missing counts as outside (R ``subset()``). Default: all rows.
    level : float
    df : None, number or "design"
        Reference distribution of the interval. ``None`` (default): normal,
        as R ``confint()`` on ``svymean``/``svytotal``. A number: Student's
        *t* with that many degrees of freedom (R ``confint(est, df = …)``).
        ``"design"``: *t* with R ``degf(subset(design, domain))`` = PSUs with
        a row in the domain minus strata with a row in the domain, the
        default of R ``svyciprop(method = "mean")`` (its other methods —
        logit, likelihood, beta … — are not implemented here).

    Returns
    -------
    Series
        ``estimate, se, ci_low, ci_high, n`` (``n`` = rows in the domain with a value).

    Notes
    -----
    A domain estimate keeps the full sample's design: rows outside the domain
    stay in the variance with linearised value zero. Mean (and proportion)
    :math:`\\hat\\mu = \\sum_{i \\in D} w_i y_i / \\sum_{i \\in D} w_i`, linearised
    :math:`z_i = 1_D(i)\\, w_i (y_i - \\hat\\mu) / \\sum_{i \\in D} w_i`; total
    :math:`z_i = 1_D(i)\\, w_i y_i`. With PSU totals :math:`z_{hc}` in stratum
    *h* (:math:`n_h` PSUs **of the whole sample**, sampling fraction :math:`f_h`),

    .. math:: \\widehat{V} = \\sum_h (1 - f_h) \\frac{n_h}{n_h - 1} \\sum_c (z_{hc} - \\bar z_h)^2 ,

    the with-replacement variance times the finite-population correction.
    This is R ``svymean``/``svytotal`` on
    ``subset(svydesign(id = ~cluster, strata = ~strata, weights = ~weights, fpc = ~fpc), domain)``,
    and on the full design with ``na.rm = TRUE`` (R implements that as the
    same subset); golden-tested against R survey 4.1 to 1e-10 relative (measured 4e-15) on
    estimates, SEs and intervals (``tests/test_survey_domain_golden.py``).
    Treating "don't know" as outside the domain assumes it is missing at
    random given the design.

    Lonely PSUs, with R's default options: a stratum with one PSU in the
    whole sample is refused (``survey.lonely.psu = "fail"``; merge it with a
    similar stratum). A stratum with several PSUs of which only one, or none,
    lies in the domain is *not* lonely: the other PSUs contribute zeros
    (``survey.adjust.domain.lonely = FALSE``, the default, under which every
    ``survey.lonely.psu`` setting gives this same value; R departs from it only
    with ``survey.adjust.domain.lonely = TRUE`` and ``"adjust"`` or
    ``"average"``, not offered here). A domain within a
    single PSU of an unstratified cluster sample therefore has a mean with
    standard error 0, and ``df="design"`` has no degrees of freedom and is
    refused.

    Examples
    --------
    >>> d = pd.DataFrame({"y": [1.0, 2, 3, 4], "h": ["a", "a", "b", "b"], "N": [10, 10, 20, 20]})
    >>> r = survey_estimate(d, "y", weights=None, strata="h")
    >>> float(r["estimate"]), round(float(r["se"]), 4)
    (2.5, 0.3536)
    >>> # R: SE(svymean(~y, subset(svydesign(id = ~1, strata = ~h, data = d), y > 1))) = 0.4714
    >>> round(float(survey_estimate(d, "y", strata="h", domain=d["y"] > 1)["se"]), 4)
    0.4714
    """
    if kind not in KINDS:
        raise AnalysisError(f"kind must be one of {KINDS}, got {kind!r}")
    for col in [column, weights, strata, fpc, cluster] + ([domain] if isinstance(domain, str) else []):
        if col is not None and col not in data.columns:
            raise AnalysisError(f"column {col!r} not in the data")
    design = _Design.of(data, weights, strata, cluster, fpc)
    inside = _domain_mask(data, domain) & data[column].notna().to_numpy()
    if not inside.any():
        raise AnalysisError(f"column {column!r} has no values in the domain")
    y = np.zeros(len(data))
    y[inside] = _values(data.loc[inside, column], column, kind)
    est, se = _domain_estimate(design, y, inside, kind)
    q = _quantile(level, df, design, inside)
    return pd.Series({"estimate": est, "se": se, "ci_low": est - q * se, "ci_high": est + q * se,
                      "n": float(inside.sum())}, name=column)


def _domain_estimate(design: "_Design", y: np.ndarray, inside: np.ndarray, kind: str) -> tuple[float, float]:
    """Estimate and linearised SE of the domain ``inside``; rows outside score zero in the full design."""
    w = np.where(inside, design.w, 0.0)
    y = np.where(inside, y, 0.0)
    if kind == "total":
        est = float(np.sum(w * y))
        z = w * y
    else:
        est = float(np.sum(w * y) / np.sum(w))
        z = w * (y - est) / np.sum(w)
    return est, float(np.sqrt(design.variance(z)))


def _values(x: pd.Series, column: str, kind: str) -> np.ndarray:
    try:
        y = x.astype(float).to_numpy() if kind == "proportion" else pd.to_numeric(x).to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise AnalysisError(f"column {column!r} is not numeric") from None
    if kind == "proportion" and not np.isin(y, (0.0, 1.0)).all():
        raise AnalysisError(f"column {column!r}: a proportion needs 0/1 or true/false values")
    return y


def _domain_mask(data: pd.DataFrame, domain) -> np.ndarray:
    """Boolean per row; missing = outside, as R ``subset()`` (``r & !is.na(r)``)."""
    if domain is None:
        return np.ones(len(data), dtype=bool)
    if isinstance(domain, str):
        domain = data[domain]
    elif isinstance(domain, pd.Series):
        if not domain.index.equals(data.index):
            domain = domain.reindex(data.index)
    elif len(domain) == len(data):
        domain = pd.Series(list(domain), index=data.index)
    else:
        raise AnalysisError(f"domain has {len(domain)} values for {len(data)} rows; give a column name or one "
                            "true/false per row")
    try:
        return domain.astype("boolean").fillna(False).to_numpy(dtype=bool)
    except (TypeError, ValueError):
        raise AnalysisError("domain must be true/false per row (or a boolean column)") from None


def _quantile(level: float, df, design: "_Design", inside: np.ndarray) -> float:
    if df is None:
        return float(stats.norm.ppf(0.5 + level / 2))
    if isinstance(df, str):
        if df != "design":
            raise AnalysisError(f"df must be None, a number or 'design', got {df!r}")
        df = design.degf(inside)
        if df < 1:
            raise AnalysisError("the domain lies in a single sampling unit per stratum, so the design has no "
                                "degrees of freedom for a t interval; use df=None (normal interval)")
    return float(stats.t.ppf(0.5 + level / 2, df))


@dataclass(frozen=True)
class _Design:
    """The whole sample's design: weight, stratum and PSU of each row, PSUs and sampling fraction per stratum."""

    w: np.ndarray
    stratum: np.ndarray      # stratum code per row
    psu: np.ndarray          # PSU code per row, unique across strata (nest = TRUE)
    psu_stratum: np.ndarray  # stratum code per PSU
    scale: np.ndarray        # (1 - f_h) n_h / (n_h - 1) per stratum

    @classmethod
    def of(cls, data, weights, strata, cluster, fpc) -> "_Design":
        for col in (weights, strata, cluster, fpc):
            if col is not None and data[col].isna().any():
                raise AnalysisError(f"column {col!r} has missing values; a design column must be complete for the "
                                    "whole sample (domain estimates keep every row's design)")
        w = np.ones(len(data)) if weights is None else pd.to_numeric(data[weights]).to_numpy(dtype=float)
        if (w <= 0).any() or np.isnan(w).any():
            raise AnalysisError("weights must be positive numbers")
        stratum, strata_names = pd.factorize(data[strata]) if strata else (np.zeros(len(data), dtype=np.int64),
                                                                          pd.Index([0]))
        unit = data[cluster].to_numpy() if cluster else np.arange(len(data))
        psu, psu_keys = pd.factorize(pd.MultiIndex.from_arrays([stratum, unit]))
        psu_stratum = psu_keys.get_level_values(0).to_numpy()
        n_h = np.bincount(psu_stratum, minlength=len(strata_names))
        lonely = np.flatnonzero(n_h < 2)
        if lonely.size:
            raise AnalysisError(f"stratum {strata_names[lonely[0]]!r} has a single sampling unit; its variance "
                                "cannot be estimated (merge it with a similar stratum)")
        f = np.array([0.0 if fpc is None else _sampling_fraction(data.loc[stratum == h, fpc], strata_names[h], n_h[h])
                      for h in range(len(n_h))])
        return cls(w=w, stratum=stratum, psu=psu, psu_stratum=psu_stratum, scale=(1 - f) * n_h / (n_h - 1))

    def variance(self, z: np.ndarray) -> float:
        """Σ_h scale_h Σ_c (z_hc − z̄_h)²; every PSU of the sample is present, zeros where outside the domain."""
        z_psu = np.bincount(self.psu, weights=z)
        n_h = np.bincount(self.psu_stratum)
        mean_h = np.bincount(self.psu_stratum, weights=z_psu) / n_h
        return float(np.sum(self.scale[self.psu_stratum] * (z_psu - mean_h[self.psu_stratum]) ** 2))

    def degf(self, inside: np.ndarray) -> int:
        """R ``degf(subset(design, inside))``: PSUs with a row inside minus strata with a row inside."""
        return len(np.unique(self.psu[inside])) - len(np.unique(self.stratum[inside]))


def _sampling_fraction(values: pd.Series, name, n_h: int) -> float:
    """f_h from the stratum's fpc column: a fraction (≤ 1) or the population size (R ``svydesign(fpc = )``)."""
    values = pd.to_numeric(values)
    if values.nunique() > 1:
        raise AnalysisError(f"fpc must be constant within a stratum; stratum {name!r} has several values")
    pop = float(values.iloc[0])
    f = pop if pop <= 1 else n_h / pop
    if not 0 <= f <= 1:
        raise AnalysisError(f"fpc of stratum {name!r} ({pop}) is smaller than its sample ({n_h})")
    return f


# --------------------------------------------------------------------------- shares of positive answers

def share_positive(survey: Survey, items: Sequence[str] | None = None, by: Sequence[str] = ("wave",),
                   method: str = "wilson", level: float = 0.95) -> pd.DataFrame:
    """Share of positive answers per item and group, "don't know" out of the denominator.

    Returns
    -------
    DataFrame
        ``item, <by…>, n_answered, n_dont_know, n_valid, n_positive, n_neutral,
        n_negative, share, ci_low, ci_high``; ``n_answered`` counts every answer
        (don't know included), ``n_valid = n_answered - n_dont_know`` is the
        denominator; the interval is :func:`~evalkit.analysis.proportions.proportion_ci`.
    """
    items = _check_items(survey, items, need_positive=True)
    by = [b for b in by if b]
    missing = [b for b in by if b not in survey.responses.columns]
    if missing:
        raise AnalysisError(f"the survey has no column(s) {missing} to group by")
    rows = []
    groups = survey.responses.groupby(by, observed=True, sort=True) if by else [((), survey.responses)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        for item in items:
            rows.append({"item": item, **dict(zip(by, key)), **_counts(g[item], survey.codebook.items[item].scale,
                                                                      method, level)})
    return pd.DataFrame(rows)


#: the Survey columns that describe its sampling design (evalkit.io.surveys.META_COLUMNS)
DESIGN_COLUMNS = ("weight", "stratum", "cluster", "fpc")


def design_share_positive(survey: Survey, items: Sequence[str] | None = None, by: Sequence[str] = ("wave",), *,
                          level: float = 0.95, df: float | str | None = None) -> pd.DataFrame:
    """Share positive per item and group as design-based domain estimates, "don't know" out of the domain.

    For a survey drawn as a sample (``weight``, ``stratum``, ``cluster``,
    ``fpc`` columns, any of them); :func:`share_positive` is the count-based
    table for a total survey.

    Parameters
    ----------
    survey : Survey
    items : list of str, optional
        Default: every item with positive answers in the codebook.
    by : sequence of str
        Groups (e.g. ``("wave", "unit")``); each group × item is a domain of the
        whole design, not a separate sample.
    level : float
    df : None, number or "design"
        As :func:`survey_estimate`; with ``"design"`` a domain in one PSU per
        stratum has no interval (missing).

    Returns
    -------
    DataFrame
        ``item, <by…>, n_valid, n_positive, share, se, ci_low, ci_high``;
        ``n_valid`` = answers with a view in the group (the domain).

    Notes
    -----
    The design is the whole ``survey.responses``: weights ``weight``
    (default 1), PSUs ``cluster`` (default the respondent), strata every
    combination of ``wave`` and ``stratum`` — waves are independent samples,
    so each is a stratum of the pooled design (without either, one stratum) —
    and ``fpc`` per such stratum. Per item and group the domain is the group's
    respondents who answered with a view (not "don't know", not blank), and the
    estimate is :func:`survey_estimate` (``kind="proportion"``) of the
    indicator "positive" on it: R
    ``svymean(~positive, subset(svydesign(id = ~cluster, strata = ~interaction(wave, stratum),
    weights = ~weight, fpc = ~fpc), <group> & answered))`` (golden-tested).
    Assumes "don't know" and no answer are missing at random given the design.
    """
    items = _check_items(survey, items, need_positive=True)
    r = survey.responses
    by = [b for b in by if b]
    missing = [b for b in by if b not in r.columns]
    if missing:
        raise AnalysisError(f"the survey has no column(s) {missing} to group by")
    design = _survey_design(r)
    groups = r.groupby(by, observed=True, sort=True).indices if by else {(): np.arange(len(r))}
    rows = []
    for key, positions in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        in_group = np.zeros(len(r), dtype=bool)
        in_group[positions] = True
        for item in items:
            scale = survey.codebook.items[item].scale
            answer = r[item].astype(object)
            positive = answer.isin(scale.positive).to_numpy()
            inside = in_group & (answer.notna() & ~answer.isin(scale.dont_know)).to_numpy()
            row = {"item": item, **dict(zip(by, key)), "n_valid": int(inside.sum()),
                   "n_positive": int((inside & positive).sum()), "share": np.nan, "se": np.nan,
                   "ci_low": np.nan, "ci_high": np.nan}
            if inside.any():
                est, se = _domain_estimate(design, positive.astype(float), inside, "proportion")
                q = _quantile_or_nan(level, df, design, inside)
                row.update(share=est, se=se, ci_low=est - q * se, ci_high=est + q * se)
            rows.append(row)
    return pd.DataFrame(rows)


def _survey_design(r: pd.DataFrame) -> "_Design":
    cols = [c for c in ("wave", "stratum") if c in r.columns]
    frame = pd.DataFrame(index=r.index)
    for c in ("weight", "cluster", "fpc"):
        if c in r.columns:
            frame[c] = r[c]
    if cols:
        if r[cols].isna().any().any():
            raise AnalysisError(f"column(s) {cols} have missing values; every respondent needs a wave and stratum "
                                "for a design-based estimate")
        label = pd.Series("", index=r.index)
        for c in cols:  # "wave 2021, stratum 80+": named in the error about a stratum with one respondent
            label = label + ("" if c == cols[0] else ", ") + c + " " + r[c].astype(str)
        frame["stratum"] = label
    return _Design.of(frame, *(c if c in frame.columns else None for c in ("weight", "stratum", "cluster", "fpc")))


def _quantile_or_nan(level, df, design, inside) -> float:
    if df == "design" and design.degf(inside) < 1:
        return np.nan
    return _quantile(level, df, design, inside)


def _counts(answers: pd.Series, scale, method: str, level: float) -> dict:
    a = answers.dropna().astype(str)
    n_dk = int(a.isin(scale.dont_know).sum())
    n_pos, n_neg = int(a.isin(scale.positive).sum()), int(a.isin(scale.negative).sum())
    n_valid = len(a) - n_dk
    share, low, high = np.nan, np.nan, np.nan
    if n_valid > 0:
        share = n_pos / n_valid
        low, high = proportion_ci(n_pos, n_valid, method=method, level=level)
    return {"n_answered": len(a), "n_dont_know": n_dk, "n_valid": n_valid, "n_positive": n_pos,
            "n_neutral": n_valid - n_pos - n_neg, "n_negative": n_neg, "share": share,
            "ci_low": low, "ci_high": high}


def _check_items(survey: Survey, items, need_positive: bool = False) -> list[str]:
    items = list(items) if items is not None else survey.items
    unknown = [i for i in items if i not in survey.codebook.items or i not in survey.responses.columns]
    if unknown:
        raise AnalysisError(f"item(s) {unknown} are not in the survey; items: {survey.items[:10]}")
    if need_positive:
        without = [i for i in items if not survey.codebook.items[i].scale.positive]
        if without:
            raise AnalysisError(f"item(s) {without} have no positive answers in the codebook; "
                                "give a codebook that says which answers are positive")
    return items


def answered_by_table(survey: Survey, by: Sequence[str] = ("wave",)) -> pd.DataFrame:
    """Respondents and who answered (alone, with help, someone else) per group, with the response rate."""
    r = survey.responses
    by = [b for b in by if b in r.columns]
    groups = r.groupby(by, observed=True, sort=True) if by else [((), r)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        row = {**dict(zip(by, key)), "n_respondents": len(g)}
        if "answered_by" in g:
            for v in ("self", "with_help", "other"):
                row[f"n_{v}"] = int((g["answered_by"] == v).sum())
            row["n_who_known"] = int(g["answered_by"].notna().sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    if survey.sent is not None and by:
        keys = [b for b in by if b in survey.sent.columns]
        sent = survey.sent.groupby(keys, as_index=False)["sent"].sum()
        for k in keys:
            sent[k] = sent[k].astype(out[k].dtype) if k in out else sent[k]
        out = out.merge(sent, on=keys, how="left")
        out["response_rate"] = out["n_respondents"] / out["sent"]
    return out


def item_scores(survey: Survey, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Answers as ordinal ranks from the codebook: 1 = worst … k = best, "don't know" and no answer missing.

    The input for :func:`evalkit.analysis.scales.cronbach_alpha` and for
    paired tests of ordinal items.

    Examples
    --------
    >>> from evalkit.io.surveys import Survey, load_codebook
    >>> cb = load_codebook({"scales": {"s": {"labels": ["Bra", "Dåligt"], "dont_know": ["Vet ej"]}},
    ...                     "items": [{"item": "q", "scale": "s"}]})
    >>> r = pd.DataFrame({"q": pd.Categorical(["Bra", "Vet ej", "Dåligt"], categories=["Bra", "Dåligt", "Vet ej"])})
    >>> item_scores(Survey(responses=r, codebook=cb))["q"].tolist()
    [2.0, nan, 1.0]
    """
    items = _check_items(survey, items)
    r = survey.responses
    return pd.DataFrame({i: r[i].astype(object).map(survey.codebook.items[i].scale.rank()).astype(float)
                         for i in items}, index=r.index)


# --------------------------------------------------------------------------- comparisons

def compare_shares(table: pd.DataFrame, before, after, *, column: str = "wave", adjust: str = "auto",
                   level: float = 0.95) -> pd.DataFrame:
    """Difference in share positive (after − before) per item, with Newcombe interval and test.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`share_positive` with ``column`` among its groups.
    before, after : value or list of values of ``column``
        Pooled when a list (e.g. all waves before an intervention).
    adjust : {"auto", "holm", "fdr_bh", "none"}
        Multiple-comparison adjustment of the p-values across items; ``"auto"``
        = Holm when more than one item is compared.

    Notes
    -----
    Test: Fisher's exact test when an expected count of the 2×2 table is below
    5, else Pearson's χ² without continuity correction; adjusted p-values by
    :func:`evalkit.analysis._multitest.adjust_p` (Holm 1979; Benjamini &
    Hochberg 1995). The Newcombe interval is not adjusted.
    """
    if adjust not in ADJUST:
        raise AnalysisError(f"adjust must be one of {ADJUST}, got {adjust!r}")
    b_vals, a_vals = _as_list(before), _as_list(after)
    rows = []
    for item, g in table.groupby("item", sort=False):
        b = g[g[column].isin(b_vals)][["n_positive", "n_valid"]].sum()
        a = g[g[column].isin(a_vals)][["n_positive", "n_valid"]].sum()
        if b["n_valid"] == 0 or a["n_valid"] == 0:
            continue
        x1, n1, x2, n2 = int(a["n_positive"]), int(a["n_valid"]), int(b["n_positive"]), int(b["n_valid"])
        low, high = newcombe_diff_ci(x1, n1, x2, n2, level=level)
        p, test = _two_by_two_p(x1, n1, x2, n2)
        rows.append({"item": item, "n_before": n2, "share_before": x2 / n2, "n_after": n1,
                     "share_after": x1 / n1, "diff": x1 / n1 - x2 / n2, "ci_low": low, "ci_high": high,
                     "p_value": p, "test": test})
    out = pd.DataFrame(rows)
    if out.empty:
        raise AnalysisError(f"no item has answers in both {before!r} and {after!r}")
    method = ("holm" if len(out) > 1 else "none") if adjust == "auto" else adjust
    out["p_adjusted"] = (adjust_p(out["p_value"], method) if method != "none"
                         else out["p_value"])
    out.attrs["adjust"] = method
    return out


def _two_by_two_p(x1, n1, x2, n2) -> tuple[float, str]:
    t = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    expected = t.sum(1, keepdims=True) * t.sum(0, keepdims=True) / t.sum()
    if (expected < 5).any():
        return fisher_exact(x1, n1, x2, n2), "fisher"
    if (t.sum(0) == 0).any():
        return 1.0, "chi2"
    return float(stats.chi2_contingency(t, correction=False)[1]), "chi2"


def _as_list(v) -> list:
    return list(v) if isinstance(v, (list, tuple, set, np.ndarray, pd.Index)) else [v]


def ordinal_compare(survey: Survey, item: str, before, after, *, column: str = "wave",
                    level: float = 0.95) -> pd.Series:
    """Proportional-odds model of an item's whole scale: odds ratio of a better answer, after vs before.

    Returns
    -------
    Series
        ``odds_ratio, ci_low, ci_high, p_value, n``.

    Notes
    -----
    :func:`cumulative_logit` of the answer rank (1 = worst; don't know left
    out) on an indicator of the *after* group:
    :math:`\\operatorname{logit} P(Y \\le j) = \\theta_j - \\beta\\,\\text{after}`,
    so the odds ratio :math:`e^\\beta` > 1 means answers moved towards the
    better end. Fitted to the maximum by Newton–Raphson: equals R
    ``ordinal::clm(rank ~ after)`` to 1e-6 relative on the coefficient, SE
    and p-value (measured 5e-8; ``tests/test_survey_ordinal_golden.py``).
    ``MASS::polr`` fits the same model but its BFGS search stops early (about
    3e-4 relative on the ologit example).
    p-value: Wald *z* test; interval: Wald, :math:`e^{\\beta \\pm z\\,SE}`
    (R ``exp(confint.default(fit))``; R's ``confint(clm)`` profiles the
    likelihood instead). Assumes proportional odds (one shift across every
    threshold) and independent respondents; sampling weights are not used.
    """
    _check_items(survey, [item])
    scale = survey.codebook.items[item].scale
    r = survey.responses
    rank = r[item].astype(object).map(scale.rank())
    grp = r[column]
    keep = rank.notna() & (grp.isin(_as_list(before)) | grp.isin(_as_list(after)))
    y = rank[keep].astype(int)
    x = grp[keep].isin(_as_list(after)).astype(float).to_frame("after")
    if y.nunique() < 2 or x["after"].nunique() < 2:
        raise AnalysisError(f"item {item!r}: need answers in both groups and at least two answer levels")
    fit = cumulative_logit(y, x)
    beta, se = float(fit.params["after"]), float(fit.bse["after"])
    q = stats.norm.ppf(0.5 + level / 2)
    return pd.Series({"odds_ratio": np.exp(beta), "ci_low": np.exp(beta - q * se),
                      "ci_high": np.exp(beta + q * se), "p_value": float(fit.pvalues["after"]),
                      "n": float(fit.n)}, name=item)


@dataclass(frozen=True)
class OrdinalFit:
    """A fitted cumulative-logit model: thresholds ``"a|b"`` first, then the coefficients (as R ``clm``)."""

    params: pd.Series
    bse: pd.Series
    pvalues: pd.Series
    cov: pd.DataFrame
    loglik: float
    n: int
    iterations: int


def cumulative_logit(y: pd.Series, x: pd.DataFrame, *, tol: float = 1e-10, max_iter: int = 100) -> OrdinalFit:
    """Proportional-odds (cumulative logit) model fitted by Newton–Raphson with the analytic Hessian.

    Parameters
    ----------
    y : Series
        Ordered outcome: an ordered Categorical (its categories in order) or
        numbers/ranks (sorted); only the levels that occur are used.
    x : DataFrame
        Covariates (numeric, no intercept), aligned with ``y``.
    tol : float
        Stop when the largest absolute score (gradient of the log-likelihood)
        is below ``tol`` (R ``clm``: 1e-6; Newton converges quadratically, so
        the last step has moved the estimates by about the square of that).

    Returns
    -------
    OrdinalFit

    Notes
    -----
    :math:`P(Y_i \\le j) = F(\\theta_j - x_i'\\beta)` with the logistic *F*,
    the parametrisation of R ``ordinal::clm`` and ``MASS::polr`` (a positive
    coefficient moves answers to higher levels). The log-likelihood is concave
    (Pratt 1981), so Newton–Raphson from the marginal thresholds, with step
    halving, reaches the maximum; SEs are from the inverse observed
    information at the maximum, p-values Wald *z*. Equals ``clm`` to 1e-6
    relative on coefficients, SEs and p-values (golden-tested; measured 5e-8
    against ``clm``'s defaults, 1e-12 against ``clm`` with ``gradTol = 1e-12``).
    Raises :class:`~evalkit.errors.AnalysisError` when there is no finite
    maximum — complete or quasi-complete separation, seen as a Hessian with
    condition number above 1e8 (where R ``clm`` warns "Hessian is numerically
    singular") — or when it does not converge.
    """
    yc = y.astype("category") if not isinstance(y.dtype, pd.CategoricalDtype) else y
    yc = yc.cat.remove_unused_categories()
    levels = [str(c) for c in yc.cat.categories]
    code = yc.cat.codes.to_numpy()
    X = x.to_numpy(dtype=float)
    if (code < 0).any() or np.isnan(X).any():
        raise AnalysisError("the ordinal model needs complete outcome and covariates")
    k, p = len(levels) - 1, X.shape[1]
    if k < 1:
        raise AnalysisError("the ordinal model needs at least two outcome levels")
    cum = np.cumsum(np.bincount(code, minlength=k + 1))[:-1] / len(code)
    par = np.concatenate([np.log(cum / (1 - cum)), np.zeros(p)])
    ll, grad, hess = _clm_derivatives(par, code, X, k)
    for it in range(max_iter + 1):
        if np.max(np.abs(grad)) < tol:
            break
        try:
            step = np.linalg.solve(hess, grad)  # Newton: par − H⁻¹ g, H negative definite
        except np.linalg.LinAlgError:
            raise AnalysisError("the ordinal model's covariates are collinear (or one is constant)") from None
        t = 1.0
        while True:  # step halving keeps the thresholds ordered and the likelihood rising
            new = _clm_derivatives(par - t * step, code, X, k)
            if np.isfinite(new[0]) and new[0] >= ll - 1e-12 * abs(ll):
                break
            t /= 2
            if t < 1e-10:
                raise AnalysisError("the ordinal model did not converge (step halving failed)")
        par = par - t * step
        ll, grad, hess = new
    else:
        raise AnalysisError(_SEPARATION)
    if np.linalg.cond(hess) > 1e8:  # a parameter drifting to infinity: the maximum is not unique (R clm warns)
        raise AnalysisError(_SEPARATION)
    names = [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:])] + list(x.columns)
    cov = np.linalg.inv(-hess)
    se = np.sqrt(np.diag(cov))
    return OrdinalFit(params=pd.Series(par, index=names), bse=pd.Series(se, index=names),
                      pvalues=pd.Series(2 * stats.norm.sf(np.abs(par / se)), index=names),
                      cov=pd.DataFrame(cov, index=names, columns=names), loglik=float(ll), n=len(code),
                      iterations=it)


_SEPARATION = ("the ordinal model has no finite maximum: a covariate separates the answers (e.g. every answer "
               "after at least as good as every answer before); report the answer counts instead")


def _clm_derivatives(par: np.ndarray, code: np.ndarray, X: np.ndarray, k: int):
    """Log-likelihood, score and Hessian of the cumulative logit at ``par`` = (θ_1..θ_k, β)."""
    from scipy.special import expit

    n, p = X.shape
    theta = np.concatenate([[-np.inf], par[:k], [np.inf]])
    eta = X @ par[k:]
    upper, lower = theta[code + 1] - eta, theta[code] - eta
    prob = expit(upper) - expit(lower)
    if (prob <= 0).any() or (np.diff(par[:k]) <= 0).any():
        return -np.inf, None, None
    # d/dpar of upper and lower: +1 on their threshold (none at ±inf), −x on β
    a_up, a_lo = np.zeros((n, k + p)), np.zeros((n, k + p))
    rows = np.arange(n)
    a_up[rows[code < k], code[code < k]] = 1.0
    a_lo[rows[code > 0], code[code > 0] - 1] = 1.0
    a_up[:, k:] = a_lo[:, k:] = -X
    f_up, f_lo = _logistic_density(upper), _logistic_density(lower)
    d_up, d_lo = f_up * (1 - 2 * expit(upper)), f_lo * (1 - 2 * expit(lower))  # F'' = f (1 − 2F)
    g = (a_up * (f_up / prob)[:, None] - a_lo * (f_lo / prob)[:, None])
    hess = (a_up.T * (d_up / prob)) @ a_up - (a_lo.T * (d_lo / prob)) @ a_lo - g.T @ g
    return float(np.log(prob).sum()), g.sum(axis=0), hess


def _logistic_density(v: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    out = np.zeros_like(v)
    finite = np.isfinite(v)
    e = expit(v[finite])
    out[finite] = e * (1 - e)
    return out


def paired_prepost(before: pd.Series, after: pd.Series, *, kind: str = "ordinal") -> pd.Series:
    """The same respondents before and after: McNemar (``kind="binary"``) or Wilcoxon signed-rank.

    Parameters
    ----------
    before, after : Series
        Aligned by index (respondent); binary as 0/1 or bool, ordinal as
        numbers or ranks. Pairs with a missing side are dropped.

    Notes
    -----
    Binary: McNemar's exact test on the discordant pairs
    (``statsmodels.stats.contingency_tables.mcnemar(exact=True)``), estimate
    = difference in proportions. Ordinal: ``scipy.stats.wilcoxon`` (zero
    differences dropped, Wilcoxon's method), estimate = median difference.
    """
    pair = pd.concat([before.rename("b"), after.rename("a")], axis=1).dropna()
    if len(pair) < 2:
        raise AnalysisError("fewer than two complete before/after pairs")
    if kind == "binary":
        from statsmodels.stats.contingency_tables import mcnemar
        b, a = pair["b"].astype(bool), pair["a"].astype(bool)
        table = pd.crosstab(b, a).reindex(index=[False, True], columns=[False, True], fill_value=0)
        res = mcnemar(table.to_numpy(), exact=True)
        return pd.Series({"estimate": a.mean() - b.mean(), "statistic": float(res.statistic),
                          "p_value": float(res.pvalue), "n_pairs": float(len(pair)),
                          "n_improved": float((a & ~b).sum()), "n_worse": float((b & ~a).sum())},
                         name="mcnemar")
    if kind == "ordinal":
        d = pair["a"].astype(float) - pair["b"].astype(float)
        if (d == 0).all():
            return pd.Series({"estimate": 0.0, "statistic": np.nan, "p_value": 1.0, "n_pairs": float(len(pair)),
                              "n_improved": 0.0, "n_worse": 0.0}, name="wilcoxon")
        res = stats.wilcoxon(pair["a"].astype(float), pair["b"].astype(float))
        return pd.Series({"estimate": float(d.median()), "statistic": float(res.statistic),
                          "p_value": float(res.pvalue), "n_pairs": float(len(pair)),
                          "n_improved": float((d > 0).sum()), "n_worse": float((d < 0).sum())}, name="wilcoxon")
    raise AnalysisError(f"kind must be 'binary' or 'ordinal', got {kind!r}")


# --------------------------------------------------------------------------- the report's survey section

def _adjustment_sentence(method: str, k: int, what: str, language: str) -> str:
    """"p-values are adjusted for k comparisons/items by Holm's method." in the report language."""
    name = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg"}[method]
    noun = i18n.text("surveys", f"adjustment_sentence.noun.{what}", language)
    return i18n.text("surveys", "adjustment_sentence", language, k=k, noun=noun, name=name)


_t = i18n.translator("surveys")


@dataclass
class SurveyResult:
    """Share positive per item and wave, wave comparisons, ordinal models and who answered.

    Attributes
    ----------
    shares : DataFrame
        :func:`share_positive` by wave (and unit when ``by`` was given).
    comparison : DataFrame or None
        :func:`compare_shares` after vs before, with the ordinal odds ratios.
    respondents : DataFrame
        :func:`answered_by_table` by wave.
    """

    survey: Survey = field(repr=False)
    shares: pd.DataFrame
    comparison: pd.DataFrame | None
    respondents: pd.DataFrame
    before: Any = None
    after: Any = None
    level: float = 0.95
    min_n: int = 30
    by: str | None = None
    shares_by: pd.DataFrame | None = None
    title_text: str | None = None

    @property
    def title(self) -> str:
        return self.title_text or _t("title", "sv")

    def to_frame(self) -> pd.DataFrame:
        return self.shares.copy()

    def _text(self, item: str, language: str) -> str:
        return self.survey.codebook.items[item].text_in(language)

    def _label(self, item: str, language: str) -> str:
        """Short label for tables and legends (the full question is in the items table)."""
        return self.survey.codebook.items[item].label_in(language)

    def summary(self) -> str:
        return "\n".join(self.sentences("en"))

    # -- sentences ------------------------------------------------------------------------------
    def sentences(self, language: str = "sv") -> list[str]:
        i18n.check_language(language)
        out = [self._respondent_sentence(language)]
        overall = self.survey.codebook.overall_item
        last = self.shares["wave"].max() if "wave" in self.shares else None
        if overall in set(self.shares["item"]):
            row = self.shares[(self.shares["item"] == overall) & (self.shares["wave"] == last)].iloc[0]
            if row["n_valid"] >= self.min_n:
                ci = i18n.fmt_interval(row["ci_low"] * 100, row["ci_high"] * 100, 0, language)
                pct = i18n.fmt_percent(row["share"], 0, language)
                n = i18n.fmt_int(row["n_valid"], language)
                out.append(i18n.text("surveys", "survey_result_sentences", language, last=last, pct=pct, ci=ci, n=n))
        if self.comparison is not None:
            out += self._comparison_sentences(language)
        return out

    def _respondent_sentence(self, language: str) -> str:
        r = self.respondents
        n = i18n.fmt_int(r["n_respondents"].sum(), language)
        waves = len(r)
        text = i18n.text("surveys", "survey_result_respondent_sentence.text", language, n=n, waves=waves)
        if "response_rate" in r and r["sent"].notna().any():
            rate = i18n.fmt_percent(r["n_respondents"].sum() / r["sent"].sum(), 0, language)
            text += i18n.text("surveys", "survey_result_respondent_sentence", language, rate=rate)
        if "n_self" in r and r["n_who_known"].sum() > 0:
            self_share = i18n.fmt_percent(r["n_self"].sum() / r["n_who_known"].sum(), 0, language)
            other = i18n.fmt_percent(r["n_other"].sum() / r["n_who_known"].sum(), 0, language)
            text += i18n.text("surveys", "survey_result_respondent_sentence_2", language, self_share=self_share,
                              other=other)
        return text

    def _comparison_sentences(self, language: str) -> list[str]:
        c = self.comparison
        method = c.attrs.get("adjust", "none")
        out = []
        sig = c[c["p_adjusted"] < 1 - self.level]
        nonsig = c[c["p_adjusted"] >= 1 - self.level]
        for _, row in sig.iterrows():
            d = i18n.fmt_ci(row["diff"] * 100, row["ci_low"] * 100, row["ci_high"] * 100, 0, language)
            out.append(i18n.text("surveys", "survey_result_comparison_sentences", language,
                                 item=self._text(row['item'], language), d=d,
                                 p_adjusted=i18n.fmt_p(row['p_adjusted'], language)))
        if len(nonsig):
            names = ", ".join(f"”{self._text(i, language)}”" for i in nonsig["item"])
            out.append(i18n.text("surveys", "survey_result_comparison_sentences_2", language, names=names))
        if method != "none":
            out.append(_adjustment_sentence(method, len(c), "comparisons", language))
        return out

    def methods(self, language: str = "sv") -> list[str]:
        return [i18n.text("surveys", "survey_result_methods", language)]

    # -- tables ---------------------------------------------------------------------------------
    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import TableSpec

        tables = []
        if self.comparison is not None:
            c = self.comparison.copy()
            c["item"] = [self._label(i, language) for i in c["item"]]
            c["diff"], c["ci_low"], c["ci_high"] = c["diff"] * 100, c["ci_low"] * 100, c["ci_high"] * 100
            cols = ["item", "n_before", "share_before", "n_after", "share_after", "diff", "ci_low", "ci_high",
                    "p_adjusted"]
            if "odds_ratio" in c:
                cols.append("odds_ratio")
            c = c[cols].rename(columns={k: _t(k, language) for k in cols})
            spec = TableSpec(counts=(_t("n_before", language), _t("n_after", language)),
                             percents={_t("share_before", language): _t("n_before", language),
                                       _t("share_after", language): _t("n_after", language)},
                             guards={_t("diff", language): _t("n_before", language)},
                             pvalues=(_t("p_adjusted", language),),
                             decimals={_t("diff", language): 0, _t("ci_low", language): 0,
                                       _t("ci_high", language): 0})
            caption = i18n.text("surveys", "survey_result_report_tables.caption", language,
                                before=_fmt_waves(self.before), after=_fmt_waves(self.after))
            tables.append((caption, c, spec))
        s = self.shares.copy()
        s["item"] = [self._label(i, language) for i in s["item"]]
        cols = ["item", "wave", "n_answered", "n_dont_know", "n_valid", "n_positive", "share", "ci_low", "ci_high"]
        s = s[cols].rename(columns={k: _t(k, language) for k in cols})
        spec = TableSpec(counts=tuple(_t(k, language) for k in ("n_answered", "n_dont_know", "n_valid",
                                                                  "n_positive")),
                         percents={_t(k, language): _t("n_valid", language) for k in ("share", "ci_low", "ci_high")},
                         numerators={_t("share", language): _t("n_positive", language)})
        tables.append((i18n.text("surveys", "survey_result_report_tables", language), s, spec))
        r = self.respondents.copy()
        cols = [c for c in ["wave", "sent", "n_respondents", "response_rate", "n_self", "n_with_help", "n_other",
                            "n_who_known"] if c in r]
        r = r[cols].rename(columns={k: _t(k, language) for k in cols})
        counts = tuple(_t(k, language) for k in cols if k.startswith("n_") or k == "sent")
        spec = TableSpec(counts=counts, percents=({_t("response_rate", language): _t("sent", language)}
                                                  if "response_rate" in cols else {}))
        tables.append((i18n.text("surveys", "survey_result_report_tables_2", language), r, spec))
        tables.append(self._items_table(language))
        return tables

    def _items_table(self, language: str):
        """The short labels used in tables and figures beside the full question and its scale."""
        from evalkit.blocks import TableSpec

        items = [self.survey.codebook.items[i] for i in dict.fromkeys(self.shares["item"])]
        head = tuple(i18n.text("surveys", f"survey_result_items_table.head.{i}", language) for i in range(4))
        frame = pd.DataFrame({head[0]: [i.label_in(language) for i in items],
                              head[1]: [i.text_in(language) for i in items],
                              head[2]: [i.domain for i in items],
                              head[3]: [", ".join(i.scale.positive) for i in items]})
        caption = i18n.text("surveys", "survey_result_items_table.caption", language)
        return caption, frame, TableSpec()

    # -- figures --------------------------------------------------------------------------------
    def plot(self, ax=None, language: str = "sv"):
        """Trend of share positive by wave with Wilson bands (cells with n below ``min_n`` left out)."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        s = self.shares[self.shares["n_valid"] >= self.min_n]
        for item, g in s.groupby("item", sort=False):
            g = g.sort_values("wave")
            x = g["wave"].astype(float)
            line = ax.plot(x, g["share"], marker="o", label=self._label(item, language))[0]
            ax.fill_between(x, g["ci_low"], g["ci_high"], color=line.get_color(), alpha=0.15)
        if self.after is not None:
            ax.axvline(min(_as_list(self.after)) - 0.5, color="grey", linestyle="--", linewidth=1)
        ax.yaxis.set_major_formatter(i18n.tick_formatter(language, percent=True))
        ax.set_ylim(0, 1)
        ax.set_ylabel(_t("share", language))
        ax.set_xlabel(_t("wave", language))
        ax.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        return fig

    def plot_likert(self, wave=None, language: str = "sv"):
        """Diverging stacked bars of the answer distribution (negative left, neutral centred, positive right)."""
        return likert_figure(self.survey, self.items_shown, wave=wave, language=language, min_n=self.min_n)

    def plot_units(self, language: str = "sv"):
        """Small multiples: share positive by wave per unit (needs ``by="unit"``)."""
        import matplotlib.pyplot as plt

        if self.shares_by is None:
            raise AnalysisError("run survey_analysis(..., by='unit') for small multiples by unit")
        s = self.shares_by[self.shares_by["n_valid"] >= self.min_n]
        units = sorted(s[self.by].unique())
        ncol = min(3, len(units)) or 1
        fig, axes = plt.subplots(-(-len(units) // ncol), ncol, figsize=(8, 2.4 * -(-len(units) // ncol)),
                                 sharey=True, squeeze=False)
        for ax, u in zip(axes.flat, units):
            for item, g in s[s[self.by] == u].groupby("item", sort=False):
                g = g.sort_values("wave")
                ax.plot(g["wave"].astype(float), g["share"], marker=".", label=self._label(item, language))
                ax.fill_between(g["wave"].astype(float), g["ci_low"], g["ci_high"], alpha=0.15)
            ax.set_title(str(u), fontsize=9)
            ax.yaxis.set_major_formatter(i18n.tick_formatter(language, percent=True))
            ax.set_ylim(0, 1)
        for ax in list(axes.flat)[len(units):]:
            ax.set_visible(False)
        fig.tight_layout()
        return fig

    @property
    def items_shown(self) -> list[str]:
        return list(dict.fromkeys(self.shares["item"]))

    def _repr_html_(self) -> str:
        text = "".join(f"<p>{html.escape(s)}</p>" for s in self.sentences("en"))
        return text + (self.comparison.to_html() if self.comparison is not None else self.shares.to_html())


def _fmt_waves(v) -> str:
    vals = _as_list(v)
    return f"{vals[0]}–{vals[-1]}" if len(vals) > 1 else str(vals[0])


def likert_figure(survey: Survey, items: Sequence[str], *, wave=None, language: str = "sv", min_n: int = 30):
    """Diverging stacked bar chart of the answer distribution per item (don't know left out).

    Items whose number of answers (don't know excluded) is below ``min_n`` are
    not drawn (disclosure control, as in the tables).
    """
    import matplotlib.pyplot as plt

    r = survey.responses
    if wave is not None and "wave" in r:
        r = r[r["wave"] == wave]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(items) + 1.5))
    drawn = []
    for y, item in enumerate(items):
        scale = survey.codebook.items[item].scale
        a = r[item].dropna().astype(str)
        a = a[~a.isin(scale.dont_know)]
        if len(a) < min_n:
            continue
        shares = a.value_counts(normalize=True).reindex(scale.labels, fill_value=0.0)
        neg = [lab for lab in scale.labels if lab in scale.negative][::-1]
        neu = [lab for lab in scale.labels if lab in scale.neutral]
        pos = [lab for lab in scale.labels if lab in scale.positive][::-1]
        left = -shares[neg].sum() - shares[neu].sum() / 2
        colours = plt.get_cmap("RdYlGn")(np.linspace(0.1, 0.9, len(neg) + len(neu) + len(pos)))
        for lab, col in zip(neg + neu + pos[::-1][::-1], colours):
            ax.barh(y, shares[lab], left=left, color=col, edgecolor="white")
            left += shares[lab]
        drawn.append(y)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels([survey.codebook.items[i].text_in(language)[:50] for i in items], fontsize=7)
    ax.xaxis.set_major_formatter(i18n.tick_formatter(language, percent=True))
    ax.set_xlim(-1, 1)
    fig.tight_layout()
    return fig


def _ordinal_or_missing(survey: Survey, item: str, before, after, column: str, level: float) -> pd.Series:
    """ordinal_compare, or missing values with a warning when the model has no estimate (e.g. separation)."""
    try:
        return ordinal_compare(survey, item, before, after, column=column, level=level)
    except AnalysisError as e:
        warnings.warn(f"item {item!r}: no odds ratio ({e})", AnalysisWarning, stacklevel=3)
        return pd.Series({"odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                          "n": np.nan}, name=item)


def survey_analysis(survey: Survey, *, items: Sequence[str] | None = None, compare: str = "wave",
                    before=None, after=None, by: str | None = None, language: str = "sv",
                    adjust: str = "auto", level: float = 0.95, min_n: int = 30,
                    ordinal: bool = True) -> SurveyResult:
    """Share positive per item × wave, after-vs-before comparison, ordinal models, who answered.

    Parameters
    ----------
    survey : Survey
    items : list of str, optional
        Default: every codebook item with positive answers.
    compare : str
        Column defining the periods (``"wave"``).
    before, after : value or list, optional
        Periods compared (lists are pooled). Default: first vs last wave.
    by : str, optional
        Also share positive by this column (e.g. ``"unit"``) for small multiples.
    adjust : {"auto", "holm", "fdr_bh", "none"}
    min_n : int
        Smallest denominator shown in figures and sentences (tables are
        suppressed by the report's own thresholds).

    Notes
    -----
    Shares, intervals and tests count answers unweighted, as for a total
    survey; when the survey has design columns (weight, stratum, cluster,
    fpc) an :class:`~evalkit.errors.AnalysisWarning` points to
    :func:`design_share_positive`.
    """
    i18n.check_language(language)
    design = [c for c in DESIGN_COLUMNS if c in survey.responses.columns]
    if design:
        warnings.warn(f"the survey has sampling-design column(s) {design}, but this section counts answers "
                      "unweighted, as for a total survey; for design-based shares of a sampled survey use "
                      "evalkit.analysis.surveys.design_share_positive", AnalysisWarning, stacklevel=2)
    if items is None:
        items = [i for i in survey.items if survey.codebook.items[i].scale.positive]
    shares = share_positive(survey, items, by=(compare,), level=level)
    waves = sorted(shares[compare].dropna().unique())
    if before is None and after is None and len(waves) >= 2:
        before, after = waves[0], waves[-1]
    comparison = None
    if before is not None and after is not None:
        comparison = compare_shares(shares, before, after, column=compare, adjust=adjust, level=level)
        if ordinal:
            ors = [_ordinal_or_missing(survey, i, before, after, compare, level) for i in comparison["item"]]
            comparison["odds_ratio"] = [o["odds_ratio"] for o in ors]
            comparison["or_ci_low"] = [o["ci_low"] for o in ors]
            comparison["or_ci_high"] = [o["ci_high"] for o in ors]
    shares_by = share_positive(survey, items, by=(by, compare), level=level) if by else None
    return SurveyResult(survey=survey, shares=shares, comparison=comparison,
                        respondents=answered_by_table(survey, (compare,)), before=before, after=after,
                        level=level, min_n=min_n, by=by, shares_by=shares_by)


# --------------------------------------------------------------------------- paired before/after (same respondents)

def paired_analysis(survey: Survey, before, after, *, column: str = "wave", items: Sequence[str] | None = None,
                    id_column: str = "respondent_id", adjust: str = "auto", level: float = 0.95,
                    min_n: int = 30, language: str = "sv") -> PairedResult:
    """The same respondents before and after: Wilcoxon signed-rank per item, McNemar on "positive".

    Parameters
    ----------
    survey : Survey
        One row per respondent and period; ``id_column`` pairs the rows.
    before, after : value of ``column``
        The two periods (e.g. ``"før"`` and ``"etter"``).
    items : list of str, optional
        Default: every codebook item with positive answers.
    adjust : {"auto", "holm", "fdr_bh", "none"}
        Adjustment of the Wilcoxon p-values across items (``"auto"`` = Holm).
    min_n : int
        Smallest number of pairs for which sentences report a share.

    Returns
    -------
    PairedResult

    Notes
    -----
    Per item, pairs with an answer with a view both times ("don't know" and no
    answer dropped). Ordinal: :func:`paired_prepost` (``scipy.stats.wilcoxon``
    on the codebook ranks, zero differences dropped; R
    ``wilcox.test(after, before, paired = TRUE)``), counts of respondents who
    answered better, the same and worse. Binary: positive vs not positive,
    McNemar's exact test (R ``mcnemar.exact`` / ``exact2x2``), estimate = the
    difference of the paired shares. Adjusted p-values by
    :func:`evalkit.analysis._multitest.adjust_p`. Assumes respondents
    independent of each other; a change over time cannot by itself be
    attributed to the intervention (no comparison group).
    """
    if adjust not in ADJUST:
        raise AnalysisError(f"adjust must be one of {ADJUST}, got {adjust!r}")
    r = survey.responses
    for col in (column, id_column):
        if col not in r.columns:
            raise AnalysisError(f"the survey has no column {col!r}; paired analysis needs it")
    if items is None:
        items = [i for i in survey.items if survey.codebook.items[i].scale.positive]
    items = _check_items(survey, items, need_positive=True)
    scores = item_scores(survey, items)
    rows = [_paired_item(survey, scores, item, before, after, column, id_column) for item in items]
    table = pd.DataFrame([row for row in rows if row is not None])
    if table.empty:
        raise AnalysisError(f"no respondent answered both in {before!r} and {after!r} (matched on {id_column!r})")
    method = ("holm" if len(table) > 1 else "none") if adjust == "auto" else adjust
    table["p_adjusted"] = (adjust_p(table["p_wilcoxon"], method) if method != "none"
                           else table["p_wilcoxon"])
    table.attrs["adjust"] = method
    n_people = int(r.loc[r[column] == before, id_column].isin(r.loc[r[column] == after, id_column]).sum())
    return PairedResult(survey=survey, table=table, before=before, after=after, n_people=n_people,
                        level=level, min_n=min_n, title_text=i18n.text("surveys", "paired.title", language))


def _paired_item(survey, scores, item, before, after, column, id_column) -> dict | None:
    r = survey.responses
    side = {}
    for name, period in (("b", before), ("a", after)):
        rows = r[column] == period
        s = scores.loc[rows, item].set_axis(r.loc[rows, id_column].to_numpy())
        if s.index.duplicated().any():
            raise AnalysisError(f"{id_column!r} is not unique within {column} = {period!r}; pairs are ambiguous")
        side[name] = s
    pair = pd.concat([side["b"].rename("b"), side["a"].rename("a")], axis=1).dropna()
    if len(pair) < 2:
        return None
    ordinal = paired_prepost(pair["b"], pair["a"], kind="ordinal")
    scale = survey.codebook.items[item].scale
    positive_ranks = {scale.rank()[lab] for lab in scale.positive}
    pos_b, pos_a = pair["b"].isin(positive_ranks), pair["a"].isin(positive_ranks)
    binary = paired_prepost(pos_b, pos_a, kind="binary")
    n = len(pair)
    return {"item": item, "n_pairs": n, "n_better": int(ordinal["n_improved"]), "n_same":
            n - int(ordinal["n_improved"]) - int(ordinal["n_worse"]), "n_worse": int(ordinal["n_worse"]),
            "median_diff": ordinal["estimate"], "p_wilcoxon": ordinal["p_value"],
            "n_positive_before": int(pos_b.sum()), "n_positive_after": int(pos_a.sum()),
            "share_before": pos_b.mean(), "share_after": pos_a.mean(), "diff": binary["estimate"],
            "p_mcnemar": binary["p_value"]}


def _named_period(period, words) -> str:
    """" (2023)" after the word before/after, unless the period is already called so."""
    return "" if str(period).strip().lower() in words else f" ({period})"


@dataclass
class PairedResult:
    """Paired before/after comparison of survey items (Wilcoxon signed-rank and McNemar), for the report.

    Attributes
    ----------
    table : DataFrame
        Per item: ``n_pairs, n_better, n_same, n_worse, median_diff, p_wilcoxon, p_adjusted,
        n_positive_before, n_positive_after, share_before, share_after, diff, p_mcnemar``.
    n_people : int
        Respondents who answered in both periods.
    """

    survey: Survey = field(repr=False)
    table: pd.DataFrame
    before: Any
    after: Any
    n_people: int
    level: float = 0.95
    min_n: int = 30
    title_text: str | None = None

    @property
    def title(self) -> str:
        return self.title_text or i18n.text("surveys", "paired.title", "sv")

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        return "\n".join(self.sentences("en"))

    def _text(self, item: str, language: str) -> str:
        return self.survey.codebook.items[item].text_in(language)

    def sentences(self, language: str = "sv") -> list[str]:
        i18n.check_language(language)
        n = i18n.fmt_int(self.n_people, language)
        b, a = (_named_period(p, w) for p, w in ((self.before, ("før", "före", "before")),
                                                  (self.after, ("etter", "efter", "after"))))
        out = [i18n.text("surveys", "paired_result_sentences", language, n=n, b=b, a=a)]
        alpha = 1 - self.level
        for _, row in self.table.iterrows():
            text, p = self._text(row["item"], language), i18n.fmt_p(row["p_adjusted"], language)
            better, worse = i18n.fmt_int(row["n_better"], language), i18n.fmt_int(row["n_worse"], language)
            pairs = i18n.fmt_int(row["n_pairs"], language)
            if row["p_adjusted"] < alpha:
                s = i18n.text("surveys", "paired_result_sentences.s", language, text=text, better=better,
                              pairs=pairs, worse=worse, p=p)
            else:
                s = i18n.text("surveys", "paired_result_sentences.s_2", language, text=text, better=better,
                              worse=worse, pairs=pairs, p=p)
            sentence = s
            if row["n_pairs"] >= self.min_n:
                b, a = (i18n.fmt_percent(row[k], 0, language) for k in ("share_before", "share_after"))
                d = i18n.fmt_number(row["diff"] * 100, 1, language)
                sentence += i18n.text("surveys", "paired_result_sentences_2", language, b=b, a=a, d=d)
            out.append(sentence)
        method = self.table.attrs.get("adjust", "none")
        if method != "none":
            out.append(_adjustment_sentence(method, len(self.table), "items", language))
        return out

    def methods(self, language: str = "sv") -> list[str]:
        return [i18n.text("surveys", "paired_result_methods", i18n.check_language(language))]

    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import TableSpec

        t = self.table.copy()
        t["item"] = [self.survey.codebook.items[i].label_in(language) for i in t["item"]]
        t["diff"] = t["diff"] * 100
        cols = ["item", "n_pairs", "n_better", "n_same", "n_worse", "p_adjusted", "share_before", "share_after",
                "diff", "p_mcnemar"]
        name = {k: i18n.text("surveys", f"paired.{k}", language) for k in cols}
        t = t[cols].rename(columns=name)
        spec = TableSpec(counts=tuple(name[k] for k in ("n_pairs", "n_better", "n_same", "n_worse")),
                         percents={name["share_before"]: name["n_pairs"], name["share_after"]: name["n_pairs"]},
                         guards={name["diff"]: name["n_pairs"]},
                         pvalues=(name["p_adjusted"], name["p_mcnemar"]), decimals={name["diff"]: 1})
        b, a = (_named_period(p, w) for p, w in ((self.before, ("før", "före", "before")),
                                                  (self.after, ("etter", "efter", "after"))))
        caption = i18n.text("surveys", "paired_result_report_tables.caption", language, b=b, a=a)
        return [(caption, t, spec)]

    def plot(self, ax=None, language: str = "sv"):
        """Share positive before → after per item (paired respondents); items with fewer than min_n pairs left out."""
        import matplotlib.pyplot as plt

        t = self.table[self.table["n_pairs"] >= self.min_n]
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 0.6 * max(len(t), 1) + 1.4))
        else:
            fig = ax.figure
        y = np.arange(len(t))[::-1]
        ax.hlines(y, t["share_before"], t["share_after"], color="grey", linewidth=1.5)
        ax.scatter(t["share_before"], y, color="#9ecae1", zorder=3, label=i18n.text("surveys", "paired.before", language))
        ax.scatter(t["share_after"], y, color="#08519c", zorder=3, label=i18n.text("surveys", "paired.after", language))
        ax.set_yticks(y)
        ax.set_yticklabels([self.survey.codebook.items[i].label_in(language) for i in t["item"]], fontsize=8)
        ax.xaxis.set_major_formatter(i18n.tick_formatter(language, percent=True))
        ax.set_xlim(0, 1)
        ax.set_xlabel(i18n.text("surveys", "paired_result_plot", language))
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        return "".join(f"<p>{html.escape(s)}</p>" for s in self.sentences("en")) + self.table.to_html()


#: documented option keys of :func:`run` (evaluation.toml ``[survey]`` table)
OPTIONS = {
    "items": "list of item names (default: all with positive answers)",
    "before": "wave or list of waves before the change",
    "after": "wave or list of waves after the change",
    "by": "column for small multiples, e.g. 'unit'",
    "adjust": "auto | holm | fdr_bh | none",
    "level": "confidence level (0.95)",
    "min_n": "smallest denominator in figures (30)",
    "language": "sv | nb | en",
    "paired": "true: the same respondents before and after (Wilcoxon + McNemar); needs before, after, respondent ids",
    "id": "column pairing the respondents when paired (respondent_id)",
}


def run(data: "Survey", options: Mapping[str, Any] | None = None) -> SurveyResult | PairedResult:
    """Pipeline entry: a loaded :class:`Survey` and the options in :data:`OPTIONS`."""
    from evalkit.errors import ConfigError

    opts = dict(options or {})
    unknown = set(opts) - set(OPTIONS)
    if unknown:
        raise ConfigError(f"unknown survey option(s) {sorted(unknown)}; known: {', '.join(OPTIONS)}")
    if opts.get("paired"):
        if opts.get("before") is None or opts.get("after") is None:
            raise ConfigError("a paired survey analysis needs 'before' and 'after' (one period each)")
        return paired_analysis(data, opts["before"], opts["after"], items=opts.get("items"),
                               id_column=opts.get("id", "respondent_id"), adjust=opts.get("adjust", "auto"),
                               level=opts.get("level", 0.95), min_n=opts.get("min_n", 30),
                               language=opts.get("language", "sv"))
    return survey_analysis(data, items=opts.get("items"), before=opts.get("before"), after=opts.get("after"),
                           by=opts.get("by"), language=opts.get("language", "sv"),
                           adjust=opts.get("adjust", "auto"), level=opts.get("level", 0.95),
                           min_n=opts.get("min_n", 30))
