"""From CFIR ratings to agreement, the construct × unit matrix and the distinguishing constructs."""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.analysis.agreement import AgreementResult, agreement
from evalkit.errors import AnalysisError
from evalkit.implementation import _cfir_tree as cfir_tree
from evalkit.implementation._cfir_text import RESULT

__all__ = ["rating_agreement", "RatingAgreement", "DistinguishRule", "matrix", "CFIRResult", "CONSENSUS_RULES"]

SCALE = (-2, -1, 0, 1, 2)
CONSENSUS_RULES = ("agreed", "conservative", "mean", "rater:<id>")
_t = i18n.translator(RESULT)


# ----------------------------------------------------------------------------- agreement
@dataclass
class RatingAgreement:
    """Agreement between CFIR raters on the numeric ratings (X and missing left out and counted).

    Attributes
    ----------
    cohen : AgreementResult or None
        Weighted Cohen's kappa (only with exactly two raters).
    krippendorff : AgreementResult
        Krippendorff's alpha, ordinal metric on −2 … +2.
    n_pairs : int
        Unit × construct cells rated on the scale by at least two raters.
    excluded_mixed, excluded_missing : int
        Ratings left out because they were X, or missing/no data.
    exact : float
        Share of cells (rated by ≥ 2 raters, any code incl. X and missing) where all raters gave the
        same code.
    """

    cohen: AgreementResult | None
    krippendorff: AgreementResult | None
    n_pairs: int
    excluded_mixed: int
    excluded_missing: int
    exact: float
    n_raters: int
    weights: str

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for res in (self.cohen, self.krippendorff):
            if res is not None:
                rows.append({"method": res.method, "weights": res.weights, "level": res.level, "value": res.value,
                             "ci_low": res.ci_low, "ci_high": res.ci_high, "n_units": res.n_units,
                             "excluded_mixed": self.excluded_mixed, "excluded_missing": self.excluded_missing})
        return pd.DataFrame(rows, columns=["method", "weights", "level", "value", "ci_low", "ci_high", "n_units",
                                           "excluded_mixed", "excluded_missing"])

    def summary(self) -> str:
        parts = [r.summary() for r in (self.cohen, self.krippendorff) if r is not None]
        return ("; ".join(parts) + f"; {self.excluded_mixed} X and {self.excluded_missing} missing ratings left "
                f"out; same code in {self.exact:.0%} of cells")

    def sentences(self, language: str = "sv") -> list[str]:
        fn, fi = i18n.fmt_number, i18n.fmt_int
        k = self.cohen.value if self.cohen else np.nan
        a = self.krippendorff.value if self.krippendorff else np.nan
        kv = fn(k, 2, language) if np.isfinite(k) else i18n.MISSING
        av = fn(a, 2, language) if np.isfinite(a) else i18n.MISSING
        n, x, m = fi(self.n_pairs, language), fi(self.excluded_mixed, language), fi(self.excluded_missing, language)
        return [i18n.text("cfir", "rating_agreement_sentences", language, kv=kv, av=av, n=n, x=x, m=m)]


def rating_agreement(ratings: pd.DataFrame, *, weights: str = "linear", n_boot: int = 1000, seed: int = 0
                     ) -> RatingAgreement:
    """Inter-rater agreement of CFIR ratings with :func:`evalkit.agreement`.

    The unit of agreement is a unit × construct cell. Only ratings on the scale −2 … +2 enter: X
    (mixed) and missing ratings are left out and counted, since neither is a point on the scale.
    Weighted Cohen's kappa (``weights`` linear or quadratic, categories −2 … +2 so that the weights
    follow the scale even when a value is never used; R ``irr::kappa2(weight = "equal")`` for
    linear) needs exactly two raters; Krippendorff's alpha with the ordinal metric takes any number
    of raters and missing ratings. Bootstrap intervals over cells (seeded).
    """
    _check(ratings)
    r = ratings.assign(cell=ratings["unit"].astype(str) + "\x1f" + ratings["construct"].astype(str))
    multi = r.groupby("cell")["rater"].transform("nunique") >= 2
    pooled = r[multi]
    codes = pooled.apply(_code_of, axis=1)
    exact = float(pooled.assign(code=codes).groupby("cell")["code"].nunique().eq(1).mean()) if len(pooled) else np.nan
    numeric = r[r["rating"].notna()].copy()
    numeric["value"] = pd.Categorical(numeric["rating"].astype(int), categories=list(SCALE), ordered=True)
    raters = r["rater"].nunique()
    both = numeric.groupby("cell")["rater"].transform("nunique") >= 2
    n_pairs = int(numeric.loc[both, "cell"].nunique())
    cohen = kripp = None
    if n_pairs >= 2:
        if raters == 2:
            cohen = agreement(numeric, unit="cell", rater="rater", value="value", method="cohen", level="ordinal",
                              weights=weights, n_boot=n_boot, seed=seed)
        kripp = agreement(numeric, unit="cell", rater="rater", value="value", method="krippendorff", level="ordinal",
                          n_boot=n_boot, seed=seed)
    return RatingAgreement(cohen=cohen, krippendorff=kripp, n_pairs=n_pairs,
                           excluded_mixed=int(pooled["mixed"].sum()),
                           excluded_missing=int((pooled["missing"] & ~pooled["mixed"]).sum()),
                           exact=exact, n_raters=int(raters), weights=weights)


def _code_of(row) -> str:
    if row["mixed"]:
        return "X"
    if row["missing"] or pd.isna(row["rating"]):
        return "missing"
    return str(int(row["rating"]))


def _check(ratings: pd.DataFrame) -> None:
    need = ("unit", "construct", "rater", "rating", "mixed", "missing")
    if not isinstance(ratings, pd.DataFrame) or any(c not in ratings.columns for c in need):
        raise AnalysisError("ratings must be the DataFrame from ek.cfir.load_ratings (columns "
                            + ", ".join(need) + ")")
    if ratings.duplicated(["unit", "construct", "rater"]).any():
        raise AnalysisError("ratings repeat a (unit, construct, rater) triple; read each rater's form once")


# ----------------------------------------------------------------------------- the distinguishing rule
@dataclass(frozen=True)
class DistinguishRule:
    """When a construct distinguishes high- from low-implementation units.

    *strong*: every rated high unit ≥ ``high_min``, every rated low unit ≤ ``low_max``, and
    mean(high) − mean(low) ≥ ``min_difference``; *weak*: not strong, but mean(high) − mean(low) ≥
    ``weak_difference``. Only units with a consensus rating on the scale count (X, missing and
    disagreements are left out), and each group needs at least ``min_units`` such units.

    The default follows the description in Damschroder & Lowery (2013): high implementers positive,
    low ones negative or neutral, a difference of at least 2 points. Their exact numeric strong/weak
    cut-offs were not published as a formula, so state the rule you use (``methods()`` does).
    """

    high_min: float = 1
    low_max: float = 0
    min_difference: float = 2
    weak_difference: float = 1
    min_units: int = 1

    def describe(self, language: str = "sv") -> str:
        f = lambda x: i18n.fmt_number(x, 0 if float(x).is_integer() else 1, language)  # noqa: E731
        return i18n.text("cfir", "distinguish_rule_describe", language, high_min=f(self.high_min),
                         low_max=f(self.low_max), min_difference=f(self.min_difference),
                         weak_difference=f(self.weak_difference))


# ----------------------------------------------------------------------------- consensus and matrix
def _consensus(cell: pd.DataFrame, rule: str) -> tuple[float, str]:
    """(value, status) of one unit × construct cell; status rated | mixed | missing | disagreement."""
    codes = [_code_of(r) for _, r in cell.iterrows()]
    if rule.startswith("rater:"):
        mine = cell[cell["rater"] == rule.split(":", 1)[1]]
        if mine.empty:
            return np.nan, "missing"
        codes = [_code_of(mine.iloc[0])]
    if len(set(codes)) == 1:
        c = codes[0]
        return (np.nan, "mixed") if c == "X" else (np.nan, "missing") if c == "missing" else (float(c), "rated")
    if rule == "agreed":
        return np.nan, "disagreement"
    known = [c for c in codes if c != "missing"]
    if not known:
        return np.nan, "missing"
    if "X" in known:
        return np.nan, "mixed"
    values = np.array([float(c) for c in known])
    if rule == "mean":
        return float(values.mean()), "rated"
    # conservative: the rating closest to 0; raters of opposite signs → 0
    if values.min() < 0 < values.max():
        return 0.0, "rated"
    return float(values[np.argmin(np.abs(values))]), "rated"


def matrix(ratings: pd.DataFrame, *, outcome_groups=None, rule: str = "agreed",
           distinguish: DistinguishRule | None = None, agreement_stats: bool = True, weights: str = "linear",
           n_boot: int = 1000, seed: int = 0, language: str = "sv") -> "CFIRResult":
    """The construct × unit matrix of consensus ratings, and the constructs that distinguish units.

    Parameters
    ----------
    ratings : DataFrame
        From :func:`evalkit.cfir.load_ratings` (one or more raters).
    outcome_groups : mapping or Series, optional
        Unit → "high" / "low" (other values, e.g. "mid", are ignored), or ``{"high": [...], "low":
        [...]}``: the implementation outcome the constructs are compared against (e.g. fidelity).
    rule : str
        Consensus where raters differ: ``"agreed"`` (default; the cell is shown as a disagreement,
        to be settled in a consensus meeting), ``"conservative"`` (the rating closest to 0; opposite
        signs give 0), ``"mean"`` (mean of the raters), or ``"rater:<id>"`` (one rater's — e.g. a
        consensus form read as its own rater). Under every rule except "rater:", an X from any rater
        makes the cell X, and missing ratings defer to the others.
    distinguish : DistinguishRule, optional
        The strong/weak rule (default :class:`DistinguishRule()`).
    agreement_stats : bool
        Compute inter-rater agreement when there are two or more raters.
    language : {"sv", "nb", "en"}
        Language of labels in the result.

    Returns
    -------
    CFIRResult
    """
    language = i18n.check_language(language)
    _check(ratings)
    valid = set(CONSENSUS_RULES[:3])
    if rule not in valid and not rule.startswith("rater:"):
        raise AnalysisError(f"rule must be one of {', '.join(CONSENSUS_RULES)}, got {rule!r}")
    if rule.startswith("rater:") and rule.split(":", 1)[1] not in set(ratings["rater"].astype(str)):
        raise AnalysisError(f"no rater {rule.split(':', 1)[1]!r}; raters: {', '.join(sorted(map(str, ratings['rater'].unique())))}")
    distinguish = distinguish or DistinguishRule()
    tree = cfir_tree.tree().set_index("id")
    rows = []
    for (u, c), cell in ratings.groupby(["unit", "construct"], sort=False):
        value, status = _consensus(cell, rule)
        rows.append({"construct": str(c), "unit": str(u), "rating": value, "status": status,
                     "n_raters": int(cell["rater"].nunique())})
    cons = pd.DataFrame(rows, columns=["construct", "unit", "rating", "status", "n_raters"])
    order = {i: k for k, i in enumerate(tree.index)}
    cons = cons.assign(_o=cons["construct"].map(order).fillna(len(order))).sort_values(["_o", "unit"]).drop(columns="_o")
    cons.insert(1, "label", cons["construct"].map(lambda i: tree.at[i, f"label_{language}"] if i in tree.index else i))
    groups = _groups(outcome_groups, set(cons["unit"]))
    cons.insert(3, "group", cons["unit"].map(groups).astype("object"))
    agree = None
    if agreement_stats and ratings["rater"].nunique() >= 2:
        agree = rating_agreement(ratings, weights=weights, n_boot=n_boot, seed=seed)
    dist = _distinguishing(cons, groups, distinguish) if groups else None
    return CFIRResult(consensus=cons.reset_index(drop=True), ratings=ratings, agreement=agree, distinguishing=dist,
                      groups=groups, rule=rule, distinguish_rule=distinguish, language=language)


def _groups(outcome_groups, units: set) -> dict:
    if outcome_groups is None:
        return {}
    if isinstance(outcome_groups, pd.Series):
        outcome_groups = outcome_groups.to_dict()
    if set(outcome_groups) <= {"high", "low", "mid"} and all(isinstance(v, (list, tuple, set))
                                                           for v in outcome_groups.values()):
        outcome_groups = {u: g for g, us in outcome_groups.items() for u in us}
    out = {str(u): str(g).lower() for u, g in outcome_groups.items()}
    unknown = sorted(set(out) - units)
    if unknown:
        raise AnalysisError(f"outcome_groups names unit(s) {unknown} that have no ratings; rated units: "
                            + ", ".join(sorted(units)))
    if "high" not in out.values() or "low" not in out.values():
        raise AnalysisError("outcome_groups needs at least one 'high' and one 'low' unit")
    return out


def _distinguishing(cons: pd.DataFrame, groups: dict, rule: DistinguishRule) -> pd.DataFrame:
    rows = []
    for (cid, lab), g in cons.groupby(["construct", "label"], sort=False):
        rated = g[g["status"] == "rated"]
        hi = rated.loc[rated["unit"].map(groups) == "high", "rating"]
        lo = rated.loc[rated["unit"].map(groups) == "low", "rating"]
        if len(hi) < rule.min_units or len(lo) < rule.min_units:
            verdict, diff = "insufficient", np.nan
        else:
            diff = float(hi.mean() - lo.mean())
            strong = hi.min() >= rule.high_min and lo.max() <= rule.low_max and diff >= rule.min_difference
            verdict = "strong" if strong else ("weak" if diff >= rule.weak_difference else "no")
        rows.append({"construct": cid, "label": lab, "mean_high": float(hi.mean()) if len(hi) else np.nan,
                     "mean_low": float(lo.mean()) if len(lo) else np.nan, "difference": diff,
                     "n_high": int(len(hi)), "n_low": int(len(lo)), "verdict": verdict})
    return pd.DataFrame(rows, columns=["construct", "label", "mean_high", "mean_low", "difference", "n_high", "n_low",
                                       "verdict"])


# ----------------------------------------------------------------------------- result
@dataclass
class CFIRResult:
    """CFIR 2.0 ratings per construct and unit, with agreement and distinguishing constructs.

    Attributes
    ----------
    consensus : DataFrame
        Long: ``construct, label, unit, group, rating, status, n_raters`` (``rating`` −2 … +2 or
        NaN; ``status`` rated | mixed | missing | disagreement).
    ratings : DataFrame
        The raters' ratings the matrix was made from.
    agreement : RatingAgreement or None
    distinguishing : DataFrame or None
        ``construct, label, mean_high, mean_low, difference, n_high, n_low, verdict`` (strong | weak
        | no | insufficient) when outcome groups were given.
    groups : dict
        Unit → "high" / "low" / other.
    rule : str
        Consensus rule; ``distinguish_rule`` the :class:`DistinguishRule`.
    """

    consensus: pd.DataFrame
    ratings: pd.DataFrame = field(repr=False)
    agreement: RatingAgreement | None
    distinguishing: pd.DataFrame | None
    groups: dict
    rule: str
    distinguish_rule: DistinguishRule
    language: str = "sv"

    COLUMNS = ("construct", "label", "unit", "group", "rating", "status", "n_raters")

    @property
    def title(self) -> str:
        return _t("title", self.language)

    def labels(self, language: str | None = None) -> dict[str, str]:
        """Construct id → its CFIR 2.0 label in ``language`` (the result's ``label`` column is in its own)."""
        language = i18n.check_language(language or self.language)
        tree = cfir_tree.tree().set_index("id")
        own = self.consensus.drop_duplicates("construct").set_index("construct")["label"]
        return {c: tree.at[c, f"label_{language}"] if c in tree.index else own[c] for c in own.index}

    @property
    def units(self) -> list[str]:
        hi = [u for u, g in self.groups.items() if g == "high"]
        lo = [u for u, g in self.groups.items() if g == "low"]
        rest = sorted(u for u in self.consensus["unit"].unique() if u not in hi and u not in lo)
        return sorted(hi) + rest + sorted(lo)

    def to_frame(self) -> pd.DataFrame:
        """Long fixed-column view (:attr:`COLUMNS`)."""
        return self.consensus[list(self.COLUMNS)].copy()

    def values(self) -> pd.DataFrame:
        """Construct × unit numeric matrix (NaN for X, missing and disagreement)."""
        m = self.consensus.pivot(index="construct", columns="unit", values="rating")
        return m.reindex(index=list(dict.fromkeys(self.consensus["construct"])), columns=self.units)

    def statuses(self) -> pd.DataFrame:
        m = self.consensus.pivot(index="construct", columns="unit", values="status")
        return m.reindex(index=list(dict.fromkeys(self.consensus["construct"])), columns=self.units)

    def table(self, language: str | None = None) -> pd.DataFrame:
        """Construct × unit display table: "+2" … "−2", "X", "–" (no data), "≠" (raters disagree)."""
        language = language or self.language
        vals, stats = self.values(), self.statuses()
        show = pd.DataFrame(index=vals.index, columns=vals.columns, dtype="object")
        for c in vals.columns:
            show[c] = [_cell_text(v, s, language) for v, s in zip(vals[c], stats[c])]
        labels = self.labels(language)
        out = show.reset_index()
        out.insert(1, "label", out["construct"].map(labels))
        if self.distinguishing is not None:
            verdict = self.distinguishing.set_index("construct")["verdict"]
            out["distinguishes"] = out["construct"].map(verdict).map(
                lambda v: _t(v, language) if v in ("strong", "weak", "no") else "")
        out = out.rename(columns={"construct": _t("construct_id", language), "label": _t("construct", language),
                                  "distinguishes": _t("distinguishes", language)})
        out.columns.name = None
        return out

    def distinguishing_constructs(self, strength: str = "strong") -> list[str]:
        """Ids of the constructs with the given verdict ("strong" or "weak")."""
        if self.distinguishing is None:
            return []
        return self.distinguishing.loc[self.distinguishing["verdict"] == strength, "construct"].tolist()

    def summary(self) -> str:
        n_c, n_u = self.consensus["construct"].nunique(), self.consensus["unit"].nunique()
        st = self.consensus["status"].value_counts()
        lines = [f"CFIR 2.0: {n_c} constructs × {n_u} units, consensus rule {self.rule!r}; "
                 + ", ".join(f"{st.get(k, 0)} {k}" for k in ("rated", "mixed", "missing", "disagreement"))]
        if self.agreement is not None:
            lines.append(self.agreement.summary())
        if self.distinguishing is not None:
            s, w = self.distinguishing_constructs("strong"), self.distinguishing_constructs("weak")
            lines.append(f"distinguishing high from low ({self.distinguish_rule.describe('en')}): strong "
                         f"{', '.join(s) or '(none)'}; weak {', '.join(w) or '(none)'}")
        return "\n".join(lines)

    @property
    def records(self) -> list:
        """The LoadRecord of every rating form read (for the provenance appendix)."""
        from evalkit.implementation._cfir_form import FORM_RECORDS
        from evalkit.provenance import record_from_dict

        return [record_from_dict(d) for d in self.ratings.attrs.get(FORM_RECORDS, ())]

    def __repr__(self) -> str:
        return f"CFIRResult({self.summary()})"

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>" + self.table().to_html(index=False)

    # -- report hooks ---------------------------------------------------------
    def sentences(self, language: str = "sv") -> list[str]:
        n_c = i18n.fmt_int(self.consensus["construct"].nunique(), language)
        n_u = i18n.fmt_int(self.consensus["unit"].nunique(), language)
        out = [i18n.text("cfir", "cfir_result_sentences", language, n_c=n_c, n_u=n_u)]
        if self.distinguishing is not None:
            lab = self.labels(language)
            strong = [f"{lab[c]} ({c})" for c in self.distinguishing_constructs("strong")]
            weak = [f"{lab[c]} ({c})" for c in self.distinguishing_constructs("weak")]
            none = i18n.text("cfir", "cfir_result_sentences.none", language)
            out.append(i18n.text("cfir", "cfir_result_sentences_2", language, v1=', '.join(strong) or none,
                                 v2=', '.join(weak) or none))
        if self.agreement is not None:
            out.extend(self.agreement.sentences(language))
        return out

    def methods(self, language: str = "sv") -> list[str]:
        rater = self.rule[6:]
        if self.rule in ("agreed", "conservative", "mean"):
            r = i18n.text("cfir", f"cfir_result_methods.r.{self.rule}", language)
        else:
            r = i18n.text("cfir", "cfir_result_methods.r_2", language, rater=rater)
        out = [i18n.text("cfir", "cfir_result_methods", language, r=r)]
        if self.distinguishing is not None:
            out.append(i18n.text("cfir", "cfir_result_methods_2", language)
                       + self.distinguish_rule.describe(language) + ".")
        if self.agreement is not None:
            out.append(i18n.text("cfir", "cfir_result_methods_3", language))
        return out

    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import TableSpec

        tables = [(_t("cap_matrix", language), self.table(language), TableSpec())]
        if self.distinguishing is not None:
            d = self.distinguishing.copy()
            d["verdict"] = d["verdict"].map(lambda v: _t(v, language) if v in ("strong", "weak", "no") else "..")
            d["label"] = d["construct"].map(self.labels(language))
            d = d[["construct", "label", "mean_high", "mean_low", "difference", "verdict"]]
            d.columns = [_t("construct_id", language), _t("construct", language), _t("mean_high", language),
                         _t("mean_low", language), _t("difference", language), _t("distinguishes", language)]
            tables.append((_t("cap_dist", language), d, TableSpec()))
        if self.agreement is not None:
            a = self.agreement.to_frame()[["method", "value", "ci_low", "ci_high", "n_units", "excluded_mixed",
                                           "excluded_missing"]]
            a["method"] = [i18n.text("agreement", f"names.{m}", language) for m in a["method"]]
            a.columns = [_t("measure", language), _t("value", language), _t("ci_low", language),
                         _t("ci_high", language), _t("pairs", language), _t("excluded_x", language),
                         _t("excluded_missing", language)]
            tables.append((_t("cap_agree", language), a, TableSpec()))
        return tables

    def plot(self, ax=None, language: str | None = None):
        """Heat map of the consensus matrix: diverging −2 … +2, X hatched, ≠ cross-hatched, no data blank."""
        import matplotlib.pyplot as plt
        from matplotlib.colors import BoundaryNorm, ListedColormap
        from matplotlib.patches import Patch, Rectangle

        language = language or self.language
        vals, stats = self.values(), self.statuses()
        labels = self.labels(language)
        if ax is None:
            fig, ax = plt.subplots(figsize=(1.2 + 0.9 * vals.shape[1], 1.0 + 0.32 * vals.shape[0]))
        else:
            fig = ax.figure
        cmap = ListedColormap(["#B2182B", "#EF8A62", "#F7F7F7", "#67A9CF", "#2166AC"])
        norm = BoundaryNorm([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], cmap.N)
        image = ax.imshow(vals.to_numpy(dtype=float), cmap=cmap, norm=norm, aspect="auto")
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                s, v = stats.iat[i, j], vals.iat[i, j]
                if s == "mixed":
                    ax.add_patch(Rectangle((j - .5, i - .5), 1, 1, facecolor="#DDDDDD", hatch="///", edgecolor="#777777",
                                           linewidth=0))
                elif s == "disagreement":
                    ax.add_patch(Rectangle((j - .5, i - .5), 1, 1, facecolor="white", hatch="xx", edgecolor="#BBBBBB",
                                           linewidth=0))
                text = _cell_text(v, s, language)
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if s == "rated" and abs(v) >= 1.5 else "black")
        ax.set_xticks(range(vals.shape[1]))
        ax.set_xticklabels([f"{u}\n({_t(self.groups[u], language)})" if self.groups.get(u) in ("high", "low") else u
                            for u in vals.columns], fontsize=8)
        ax.set_yticks(range(vals.shape[0]))
        ax.set_yticklabels([f"{c} {labels[c]}" for c in vals.index], fontsize=8)
        ax.tick_params(length=0)
        cbar = fig.colorbar(image, ax=ax, ticks=list(SCALE), fraction=0.04)
        cbar.ax.set_yticklabels(["−2", "−1", "0", "+1", "+2"])
        ax.legend(handles=[Patch(facecolor="#DDDDDD", hatch="///", edgecolor="#777777", label="X"),
                           Patch(facecolor="white", hatch="xx", edgecolor="#BBBBBB", label="≠")],
                  loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=2, fontsize=7, frameon=False)
        ax.set_title(_t("title", language), fontsize=10)
        fig.tight_layout()
        return fig


def _cell_text(v, status: str, language: str) -> str:
    if status == "mixed":
        return "X"
    if status == "disagreement":
        return "≠"
    if status != "rated" or pd.isna(v):
        return "–"
    if float(v).is_integer():
        return f"+{int(v)}" if v > 0 else ("0" if v == 0 else f"−{abs(int(v))}")
    return ("+" if v > 0 else "−" if v < 0 else "") + i18n.fmt_number(abs(v), 1, language)
