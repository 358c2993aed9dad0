"""Internal consistency of summed scales: Cronbach's alpha with Feldt's interval.

:func:`cronbach_alpha` takes one column per item (numbers, or a Survey's
answer Categoricals, which are scored by their ordinal rank) and returns a
:class:`ScaleResult` with alpha, Feldt's confidence interval, item–rest
correlations and alpha-if-item-deleted.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from evalkit import i18n
from evalkit.errors import AnalysisError

__all__ = ["cronbach_alpha", "ScaleResult", "score_items"]

MISSING = ("pairwise", "listwise")


@dataclass
class ScaleResult:
    """Cronbach's alpha of a set of items.

    Attributes
    ----------
    value, ci_low, ci_high : float
        Alpha and Feldt's interval.
    n, k : int
        Respondents used (rows with at least two answers for pairwise; complete rows for listwise) and items.
    missing, level : str, float
    items : DataFrame
        Per item: ``n, mean, item_rest_r, alpha_if_deleted``.
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    k: int
    missing: str
    level: float
    items: pd.DataFrame = field(repr=False)
    title: str = "Cronbach's alpha"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"alpha": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high,
                              "n": self.n, "k": self.k, "missing": self.missing}])

    def summary(self) -> str:
        return (f"Cronbach's alpha = {self.value:.3f} ({self.level:.0%} CI {self.ci_low:.3f} to {self.ci_high:.3f}, "
                f"Feldt), {self.k} items, n = {self.n}, {self.missing} deletion")

    def sentences(self, language: str = "sv") -> list[str]:
        ci = i18n.fmt_ci(self.value, self.ci_low, self.ci_high, 2, language)
        n = i18n.fmt_int(self.n, language)
        return [i18n.text("scales", "scale_result_sentences", language, ci=ci, k=self.k, n=n)]

    def methods(self, language: str = "sv") -> list[str]:
        return [i18n.text("scales", "scale_result_methods", language)]

    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import TableSpec
        names = tuple(i18n.text("scales", f"scale_result_report_tables.names.{i}", language) for i in range(5))
        t = self.items.reset_index()
        t.columns = list(names)
        caption = i18n.text("scales", "scale_result_report_tables.caption", language)
        return [(caption, t, TableSpec(counts=(names[1],), guards={names[2]: names[1]}))]

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary())}</p>" + self.items.to_html()


def score_items(items: pd.DataFrame) -> pd.DataFrame:
    """Numbers for every item: numeric columns as they are, answer Categoricals by ordinal rank.

    A Categorical is scored 1 … k in its category order *reversed*
    (categories run best first). Every category gets a score, so a Survey's
    "don't know" categories (listed after the scale) would be scored as the
    worst answer: score a Survey with :func:`evalkit.analysis.surveys.item_scores`,
    which uses the codebook and leaves "don't know" missing.
    """
    out = {}
    for col in items.columns:
        s = items[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = list(s.cat.categories)
            out[col] = s.map({c: len(cats) - i for i, c in enumerate(cats)}).astype(float)
        else:
            try:
                out[col] = pd.to_numeric(s).astype(float)
            except (TypeError, ValueError):
                raise AnalysisError(f"item {col!r} is not numeric; score it first (e.g. item_scores)") from None
    return pd.DataFrame(out, index=items.index)


def cronbach_alpha(items: pd.DataFrame, missing: str = "pairwise", level: float = 0.95) -> ScaleResult:
    """Cronbach's alpha with Feldt's confidence interval, item–rest correlations and alpha-if-deleted.

    Parameters
    ----------
    items : DataFrame
        One column per item, one row per respondent (numbers or answer Categoricals).
    missing : {"pairwise", "listwise"}
        ``"pairwise"``: each covariance from the rows answering both items (R
        ``psych::alpha(use = "pairwise")``); ``"listwise"``: complete rows only.
    level : float
        Confidence level.

    Returns
    -------
    ScaleResult

    Notes
    -----
    With item covariance matrix :math:`C` (k items),

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\mathbf 1^\\top C \\mathbf 1}\\right)

    Feldt, Woodruff & Salih (1987, Appl Psychol Meas 11:93–103) interval:
    :math:`1 - (1-\\alpha) F_{1-a/2}` to :math:`1 - (1-\\alpha) F_{a/2}` with
    :math:`F` on :math:`n-1` and :math:`(n-1)(k-1)` degrees of freedom
    (n respondents: rows with at least one answer for pairwise, complete rows
    for listwise), as in ``pingouin.cronbach_alpha``. Item–rest correlation:
    the item against the sum of the other items (complete rows of those items
    for listwise, pairwise rows otherwise). Assumes independent respondents;
    the interval also assumes (approximately) normal sum scores.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    >>> round(cronbach_alpha(d).value, 3)
    0.945
    """
    if missing not in MISSING:
        raise AnalysisError(f"missing must be one of {MISSING}, got {missing!r}")
    if not 0 < level < 1:
        raise AnalysisError(f"level must be between 0 and 1, got {level!r}")
    x = score_items(items)
    if x.shape[1] < 2:
        raise AnalysisError("Cronbach's alpha needs at least two items")
    if missing == "listwise":
        x = x.dropna()
    else:
        x = x.dropna(how="all")
    n, k = x.shape
    if n < 3:
        raise AnalysisError(f"Cronbach's alpha needs at least 3 respondents, got {n}")
    alpha = _alpha(x)
    low, high = _feldt(alpha, n, k, level)
    return ScaleResult(value=alpha, ci_low=low, ci_high=high, n=n, k=k, missing=missing, level=level,
                       items=_item_table(x))


def _alpha(x: pd.DataFrame) -> float:
    c = x.cov().to_numpy()  # pandas: pairwise-complete covariances
    if np.isnan(c).any():
        raise AnalysisError("some pair of items has no respondent answering both; alpha is undefined")
    k = c.shape[0]
    total = c.sum()
    if total <= 0:
        raise AnalysisError("the sum score has no variance; alpha is undefined")
    return float(k / (k - 1) * (1 - np.trace(c) / total))


def _feldt(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    a = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - a / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(a / 2, df1, df2)
    return float(low), float(high)


def _item_table(x: pd.DataFrame) -> pd.DataFrame:
    rows = {}
    for col in x.columns:
        rest = x.drop(columns=col)
        rest_sum = rest.sum(axis=1, min_count=1)
        both = x[col].notna() & rest_sum.notna()
        r = float(np.corrcoef(x.loc[both, col], rest_sum[both])[0, 1]) if both.sum() > 2 else np.nan
        a = _alpha(rest) if rest.shape[1] >= 2 else np.nan
        rows[col] = {"n": int(x[col].notna().sum()), "mean": float(x[col].mean()),
                     "item_rest_r": r, "alpha_if_deleted": a}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "item"
    return out
