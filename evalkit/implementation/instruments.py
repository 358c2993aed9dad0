"""Staff implementation instruments: NoMAD, S-NoMAD, AIM, IAM, FIM — scoring, reliability, comparisons.

Item structure and scoring rules are data (``evalkit/data/instruments/<id>.toml``), each file saying
where it comes from, under which licence, and whether the item wording is shipped:

=========  ==========================================  ===============================  ==================
id         instrument                                  items                            wording shipped
=========  ==========================================  ===============================  ==================
nomad      NoMAD (Finch et al. 2015/2018)              3 general (0–10) + 20 in 4       English (CC BY 4.0)
                                                       constructs (4/4/7/5), 1–5
s-nomad    S-NoMAD (Elf et al. 2018)                   as NoMAD                         no (licence unconfirmed)
aim/iam/   AIM, IAM, FIM (Weiner et al. 2017)          4 each, 1–5                      English (CC BY)
fim
=========  ==========================================  ===============================  ==================

No R or Python package scores these instruments; the rules are evalkit's, stated in each file and
in :func:`score_instrument`'s notes.
"""
from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit import i18n
from evalkit.errors import AnalysisError, DataError, Problem

__all__ = ["score_instrument", "instrument_alpha", "compare_instrument", "item_scores", "load_instrument",
           "Instrument", "INSTRUMENTS", "InstrumentResult", "run_instrument"]

INSTRUMENTS = ("nomad", "s-nomad", "aim", "iam", "fim")
DIRECTIONS = ("agree_low", "agree_high")


@dataclass(frozen=True)
class Instrument:
    """An instrument's structure and scoring rules, read from its TOML file."""

    id: str
    name: str
    citation: str
    licence: str
    wording_shipped: bool
    scale_min: int
    scale_max: int
    raw_direction: str
    missing_codes: tuple[int, ...]
    min_answered: float
    constructs: tuple[str, ...]
    construct_labels: dict
    items: pd.DataFrame = field(repr=False)      # id, number, construct, component, reverse, text
    general: pd.DataFrame = field(repr=False)    # id, number, key, text
    labels: dict = field(repr=False, default_factory=dict)   # language -> {code: label}

    def items_of(self, construct: str) -> list[str]:
        return self.items.loc[self.items["construct"] == construct, "id"].tolist()

    def min_items(self, construct: str, min_answered: float | None = None) -> int:
        """Answered items needed for a construct score: ceil(min_answered × k), at least 1."""
        share = self.min_answered if min_answered is None else min_answered
        k = len(self.items_of(construct))
        return max(1, math.ceil(share * k - 1e-9)) if share <= 1 else int(share)


@functools.lru_cache(maxsize=None)
def _builtin(name: str) -> Instrument:
    text = resources.files("evalkit").joinpath(f"data/instruments/{name}.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text), name)


def load_instrument(instrument: "str | Path | Instrument") -> Instrument:
    """A built-in instrument by id (:data:`INSTRUMENTS`) or a TOML file of the same layout."""
    if isinstance(instrument, Instrument):
        return instrument
    key = str(instrument).lower().replace("_", "-")
    if key in INSTRUMENTS:
        return _builtin(key)
    p = Path(instrument)
    if p.suffix.lower() == ".toml" and p.is_file():
        from evalkit._files import read_toml

        return _parse(read_toml(p, "instrument file"), p.name)
    raise AnalysisError(f"unknown instrument {instrument!r}; choose one of {', '.join(INSTRUMENTS)} or give a "
                        "TOML file with the same layout as evalkit/data/instruments/nomad.toml")


def _parse(d: dict, where: str) -> Instrument:
    from evalkit.errors import ConfigError

    try:
        m = d["meta"]
        items = pd.DataFrame([{"id": i["id"], "number": int(i.get("number", 0)), "construct": i["construct"],
                               "component": i.get("component", ""), "reverse": bool(i.get("reverse", False)),
                               "text": i.get("text", {}).get("en")} for i in d["item"]])
        general = pd.DataFrame([{"id": g["id"], "number": int(g.get("number", 0)), "key": g["key"],
                                 "text": g.get("text", {}).get("en")} for g in d.get("general", [])],
                               columns=["id", "number", "key", "text"])
        constructs = tuple(c["id"] for c in d["construct"])
        labels = {c["id"]: dict(c["label"]) for c in d["construct"]}
        inst = Instrument(id=m["id"], name=m["name"], citation=m["citation"], licence=m.get("licence", ""),
                          wording_shipped=bool(m.get("wording_shipped", False)), scale_min=int(m["scale_min"]),
                          scale_max=int(m["scale_max"]), raw_direction=m["raw_direction"],
                          missing_codes=tuple(int(x) for x in m.get("missing_codes", [])),
                          min_answered=float(m.get("min_answered", 0.5)), constructs=constructs,
                          construct_labels=labels, items=items, general=general,
                          labels={lang: {int(k): v for k, v in lab.items()} for lang, lab in d.get("labels", {}).items()})
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: not a valid instrument file ({type(exc).__name__}: {exc})") from None
    stray = sorted(set(items["construct"]) - set(constructs))
    if stray or inst.raw_direction not in DIRECTIONS:
        raise ConfigError(f"{where}: items name unknown constructs {stray} or raw_direction is not one of {DIRECTIONS}")
    return inst


# ----------------------------------------------------------------------------- item columns
def _columns(responses: pd.DataFrame, inst: Instrument, items) -> dict[str, str]:
    """instrument item/general id → response column."""
    if items is not None:
        if not isinstance(items, dict):
            items = {i: i for i in items}
        known = set(inst.items["id"]) | set(inst.general["id"])
        bad = [k for k in items if k not in known]
        if bad:
            raise AnalysisError(f"items {bad} are not {inst.name} items; its items are "
                                + ", ".join(inst.general["id"].tolist() + inst.items["id"].tolist()))
        absent = [c for c in items.values() if c not in responses.columns]
        if absent:
            raise AnalysisError(f"column(s) {absent} not in the responses")
        return dict(items)
    lower = {str(c).lower(): c for c in responses.columns}
    out = {}
    for frame in (inst.general, inst.items):
        for iid, number in zip(frame["id"], frame["number"]):
            for cand in (iid.lower(), f"{inst.id}_{iid}".lower(), f"q{number}", f"{inst.id}{number}"):
                if cand in lower:
                    out[iid] = lower[cand]
                    break
    if not any(i in out for i in inst.items["id"]):
        raise AnalysisError(f"no {inst.name} item columns found (looked for {', '.join(inst.items['id'][:3])} …, or "
                            f"q{inst.items['number'].iloc[0]} …); pass items={{item id: column}}")
    return out


def _raw_numbers(col: pd.Series, name: str, inst: Instrument) -> pd.Series:
    """Numbers in the instrument's raw coding; text answers mapped through the instrument's labels."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("object")
    num = pd.to_numeric(col, errors="coerce")
    text = col.notna() & num.isna()
    if text.any():
        lookup = {v.casefold(): k for lab in inst.labels.values() for k, v in lab.items()}
        mapped = col[text].map(lambda v: lookup.get(str(v).strip().casefold()))
        bad = mapped.isna()
        if bad.any():
            rows = col[text][bad]
            raise DataError(f"column {name!r}: {int(bad.sum())} answer(s) are neither numbers nor {inst.name} "
                            f"labels, e.g. {str(rows.iloc[0])!r}",
                            [Problem(f"unknown answer {str(v)!r}", row=_row(i), column=name)
                             for i, v in rows.head(20).items()])
        num = num.astype("float").copy()
        num[text] = mapped.astype(float)
    return num.astype(float)


def _row(index_value):
    return int(index_value) if isinstance(index_value, (int, np.integer)) else None


def item_scores(responses, instrument: "str | Instrument" = "nomad", *, items=None, raw_direction: str | None = None,
                reverse=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scored items, counts of "not relevant" answers per item) for the construct items.

    Scored items run ``scale_min`` … ``scale_max`` with the highest = strongest agreement, reversed
    items already reversed; "not relevant" codes and blanks are missing.
    """
    inst = load_instrument(instrument)
    data = _frame(responses)
    cols = _columns(data, inst, items)
    direction = raw_direction or inst.raw_direction
    if direction not in DIRECTIONS:
        raise AnalysisError(f"raw_direction must be one of {DIRECTIONS}, got {direction!r}")
    rev = set(inst.items.loc[inst.items["reverse"], "id"]) if reverse is None else set(reverse)
    lo, hi = inst.scale_min, inst.scale_max
    scored, not_relevant, problems = {}, {}, []
    for iid in inst.items["id"]:
        if iid not in cols:
            continue
        raw = _raw_numbers(data[cols[iid]], cols[iid], inst)
        nr = raw.isin(inst.missing_codes)
        not_relevant[iid] = {f"code_{c}": int((raw == c).sum()) for c in inst.missing_codes}
        raw = raw.mask(nr)
        bad = raw.notna() & ((raw < lo) | (raw > hi) | (raw % 1 != 0))
        for i, v in raw[bad].head(20).items():
            problems.append(Problem(f"{v:g} is outside {lo}–{hi} (and not a 'not relevant' code "
                                    f"{list(inst.missing_codes)})", row=_row(i), column=cols[iid]))
        x = raw if direction == "agree_high" else (lo + hi) - raw
        scored[iid] = (lo + hi) - x if iid in rev else x
    if problems:
        raise DataError(f"{inst.name}: {len(problems)} answer(s) outside the scale", problems)
    nr_table = pd.DataFrame.from_dict(not_relevant, orient="index")
    nr_table.index.name = "item"
    return pd.DataFrame(scored, index=data.index), nr_table


def _frame(responses) -> pd.DataFrame:
    if hasattr(responses, "responses") and hasattr(responses, "codebook"):  # an ek.Survey
        return responses.responses
    if not isinstance(responses, pd.DataFrame):
        raise AnalysisError("responses must be a DataFrame (one row per respondent) or an ek.Survey")
    return responses


def score_instrument(responses, instrument: "str | Path | Instrument" = "nomad", *, items=None,
                     min_answered: float | None = None, raw_direction: str | None = None, reverse=None,
                     keep=None) -> pd.DataFrame:
    """Score an implementation instrument: one row per respondent, one column per construct score.

    Parameters
    ----------
    responses : DataFrame or Survey
        One row per respondent. Item columns are found by item id (``C1`` … ``RM5``, ``G1`` …
        ``G3``; ``AIM1`` … for AIM), ``<instrument>_<id>``, or the question number (``q4`` … ``q23``);
        or give ``items``. Answers are numbers in the instrument's raw coding or its answer labels
        (sv/nb/en).
    instrument : {"nomad", "s-nomad", "aim", "iam", "fim"} or path to a TOML file
    items : dict or list, optional
        ``{item id: column}`` (or a list of item ids that are also the column names) — also the way
        to score a shortened version: items left out do not count.
    min_answered : float, optional
        Share of a construct's items that must be answered (``ceil(share × k)`` items; a number > 1
        is an item count); default from the instrument file (NoMAD/S-NoMAD 0.5, AIM/IAM/FIM 0.75).
    raw_direction : {"agree_low", "agree_high"}, optional
        How the file codes answers: "agree_low" = 1 is strongly agree (the original NoMAD coding),
        "agree_high" = 5 is strongly agree (AIM/IAM/FIM). Default from the instrument file.
    reverse : list of str, optional
        Items to reverse (default from the file: NoMAD's CA2). ``reverse=()`` reverses none.
    keep : list of str, optional
        Other columns to carry over (default every column that is not an item, e.g.
        ``respondent_id, wave, unit, group``).

    Returns
    -------
    DataFrame
        The kept columns, the general items under their keys (NoMAD: ``familiar, normal_now,
        normal_future``, 0–10), one column per construct (``coherence, cognitive_participation,
        collective_action, reflexive_monitoring``; ``aim``/``iam``/``fim``) on the 1–5 scale with 5 =
        most favourable, and ``n_<construct>`` = items answered. ``attrs``: ``instrument``,
        ``not_relevant`` (``{item: {"code_6": n, …}}``: per item counts of codes 6/7/8;
        :func:`item_scores` returns the same as a table), ``rules`` (the scoring rules in words).

    Raises
    ------
    DataError
        Answers off the scale (neither a scale point nor a "not relevant" code), general items
        outside 0–10, or text that is not one of the instrument's answer labels; each problem
        names the column and the row (the frame's index label: the file's row number for an
        ``ek.Survey``).

    Notes
    -----
    Construct score = mean of the answered (recoded, reversed where needed) items when at least
    ``ceil(min_answered × k)`` of the construct's ``k`` scored items are answered, otherwise
    missing. "Not relevant" answers (NoMAD 6–8) are missing, never a scale point, and are counted
    per item. Reversal: :math:`x' = (min + max) - x`. No total "normalisation score" is returned:
    NoMAD is a profile instrument (report the four constructs, each with its alpha —
    :func:`instrument_alpha`).

    Examples
    --------
    >>> d = pd.DataFrame({"aim1": [5, 4], "aim2": [5, 4], "aim3": [4, None], "aim4": [4, 2]})
    >>> score_instrument(d, "aim")[["aim", "n_aim"]].to_dict("list")
    {'aim': [4.5, 3.3333333333333335], 'n_aim': [4, 3]}
    """
    inst = load_instrument(instrument)
    data = _frame(responses)
    cols = _columns(data, inst, items)
    scored, nr = item_scores(data, inst, items=cols, raw_direction=raw_direction, reverse=reverse)
    used = set(cols.values())
    keep = [c for c in data.columns if c not in used] if keep is None else list(keep)
    out = data[keep].copy()
    for gid, key in zip(inst.general["id"], inst.general["key"]):
        if gid in cols:
            g = _raw_numbers(data[cols[gid]], cols[gid], inst)
            bad = g.notna() & ((g < 0) | (g > 10))
            if bad.any():
                raise DataError(f"{inst.name}: general item {gid} must be 0–10",
                                [Problem(f"{v:g} outside 0–10", row=_row(i), column=cols[gid])
                                 for i, v in g[bad].head(20).items()])
            out[key] = g
    for c in inst.constructs:
        mine = [i for i in inst.items_of(c) if i in scored.columns]
        if not mine:
            continue
        x = scored[mine]
        n = x.notna().sum(axis=1)
        need = max(1, math.ceil((inst.min_answered if min_answered is None else min_answered) * len(mine) - 1e-9)) \
            if (min_answered is None or min_answered <= 1) else int(min_answered)
        out[c] = x.mean(axis=1).where(n >= need)
        out[f"n_{c}"] = n.astype("int64")
    out.attrs["instrument"] = inst.id
    # a plain dict (item -> {code_6: n, …}), not a DataFrame: pandas compares attrs when it concatenates
    out.attrs["not_relevant"] = {item: dict(row) for item, row in nr.to_dict("index").items()}
    out.attrs["rules"] = _rules(inst, min_answered, raw_direction or inst.raw_direction,
                                sorted(set(inst.items.loc[inst.items["reverse"], "id"]) if reverse is None else reverse))
    return out


def _rules(inst: Instrument, min_answered, direction: str, reversed_items) -> str:
    share = inst.min_answered if min_answered is None else min_answered
    return (f"{inst.name}: raw answers {'1 = strongly agree' if direction == 'agree_low' else f'{inst.scale_max} = strongly agree'}, "
            f"recoded to {inst.scale_max} = strongly agree; codes {list(inst.missing_codes) or 'none'} are missing "
            f"(not relevant); reversed: {', '.join(reversed_items) or 'none'}; construct score = mean of answered "
            f"items when at least {share:g} of the items are answered")


# ----------------------------------------------------------------------------- reliability and comparisons
def instrument_alpha(responses, instrument: "str | Instrument" = "nomad", *, items=None, raw_direction=None,
                     reverse=None, missing: str = "pairwise") -> pd.DataFrame:
    """Cronbach's alpha per construct in this sample (:func:`evalkit.cronbach_alpha`, Feldt interval).

    Returns a DataFrame indexed by construct: ``label, alpha, ci_low, ci_high, n, k``. Constructs
    with fewer than two scored items (or too few respondents) get NaN. For item–rest correlations
    call :func:`evalkit.cronbach_alpha` on a construct's columns of :func:`item_scores`.
    """
    from evalkit.analysis.scales import cronbach_alpha

    inst = load_instrument(instrument)
    scored, _ = item_scores(responses, inst, items=items, raw_direction=raw_direction, reverse=reverse)
    rows = []
    for c in inst.constructs:
        mine = [i for i in inst.items_of(c) if i in scored.columns]
        row = {"construct": c, "label": inst.construct_labels[c].get("en", c), "alpha": np.nan, "ci_low": np.nan,
               "ci_high": np.nan, "n": 0, "k": len(mine)}
        if len(mine) >= 2:
            try:
                res = cronbach_alpha(scored[mine], missing=missing)
            except AnalysisError:
                res = None
            if res is not None:
                row.update(alpha=res.value, ci_low=res.ci_low, ci_high=res.ci_high, n=res.n)
        rows.append(row)
    return pd.DataFrame(rows).set_index("construct")


def compare_instrument(scores: pd.DataFrame, *, by="wave", before=None, after=None, constructs=None,
                       level: float = 0.95) -> pd.DataFrame:
    """Construct means by group (wave, profession, unit), and the change between two waves.

    Parameters
    ----------
    scores : DataFrame
        From :func:`score_instrument` (with its ``attrs["instrument"]``).
    by : str or list of str
        Grouping columns; the first is the one ``before``/``after`` refer to.
    before, after : optional
        Two values of ``by[0]``: adds ``difference`` (after − before) with a Welch interval and
        p-value per construct (and per remaining ``by`` group).
    constructs : list of str, optional
        Default every construct score column of the instrument.

    Returns
    -------
    DataFrame
        Long: ``construct, <by…>, n, mean, sd, ci_low, ci_high`` (mean and interval from
        :func:`evalkit.analysis.surveys.survey_estimate`, unweighted: R ``svymean`` on a simple
        random sample); with ``before``/``after`` the rows ``<by[0]> = "after − before"`` carry
        ``mean`` = the difference and its Welch t interval and ``p_value`` (``scipy.stats.ttest_ind``,
        ``equal_var=False``; R ``t.test``). Independent samples are assumed: for the same staff in
        both waves use a paired analysis.
    """
    from evalkit.analysis.surveys import survey_estimate

    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by if c not in scores.columns]
    if missing:
        raise AnalysisError(f"column(s) {missing} not in the scores; columns: {', '.join(map(str, scores.columns))}")
    inst = load_instrument(scores.attrs["instrument"]) if "instrument" in scores.attrs else None
    if constructs is None:
        if inst is None:
            raise AnalysisError("give constructs=: the scores carry no instrument (attrs lost?)")
        constructs = [c for c in inst.constructs if c in scores.columns]
    rows = []
    for c in constructs:
        for key, g in scores.groupby(by, sort=True, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            y = g[[c]].dropna()
            row = {"construct": c, **dict(zip(by, key)), "n": int(len(y))}
            if len(y) >= 2:
                est = survey_estimate(y, c, level=level)
                row.update(mean=float(est["estimate"]), sd=float(y[c].std()), ci_low=float(est["ci_low"]),
                           ci_high=float(est["ci_high"]))
            elif len(y) == 1:
                row.update(mean=float(y[c].iloc[0]), sd=np.nan, ci_low=np.nan, ci_high=np.nan)
            rows.append(row)
        if before is not None and after is not None:
            rows.extend(_differences(scores, c, by, before, after, level))
    cols = ["construct", *by, "n", "mean", "sd", "ci_low", "ci_high", "p_value"]
    return pd.DataFrame(rows).reindex(columns=cols)


def _differences(scores, c, by, before, after, level):
    rest = by[1:]
    groups = scores.groupby(rest, sort=True, dropna=False) if rest else [((), scores)]
    out = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        a = g.loc[g[by[0]] == before, c].dropna().to_numpy(float)
        b = g.loc[g[by[0]] == after, c].dropna().to_numpy(float)
        row = {"construct": c, by[0]: f"{after} − {before}", **dict(zip(rest, key)), "n": int(len(a) + len(b))}
        if len(a) >= 2 and len(b) >= 2:
            t = stats.ttest_ind(b, a, equal_var=False)
            ci = t.confidence_interval(level)
            row.update(mean=float(b.mean() - a.mean()), ci_low=float(ci.low), ci_high=float(ci.high),
                       p_value=float(t.pvalue))
        out.append(row)
    return out


# ----------------------------------------------------------------------------- result for the report
_t = i18n.translator("instruments")


@dataclass
class InstrumentResult:
    """Scores of an implementation instrument with reliability and group/wave comparisons.

    Attributes
    ----------
    instrument : Instrument
    scores : DataFrame
        From :func:`score_instrument`.
    alpha : DataFrame
        From :func:`instrument_alpha`.
    comparison : DataFrame
        From :func:`compare_instrument` (``by``, ``before``, ``after`` as given).
    by : list of str
    before, after : optional
    """

    instrument: Instrument
    scores: pd.DataFrame = field(repr=False)
    alpha: pd.DataFrame = field(repr=False)
    comparison: pd.DataFrame = field(repr=False)
    by: list
    before: Any = None
    after: Any = None
    language: str = "sv"

    @property
    def title(self) -> str:
        return _t("title", self.language, name=self.instrument.name)

    def _label(self, construct: str, language: str) -> str:
        lab = self.instrument.construct_labels.get(construct, {})
        return lab.get(language) or lab.get("en") or construct

    def to_frame(self) -> pd.DataFrame:
        return self.comparison.copy()

    def changes(self) -> pd.DataFrame:
        """The after − before rows of the comparison (empty without before/after)."""
        if self.before is None or self.after is None:
            return self.comparison.iloc[0:0]
        return self.comparison[self.comparison[self.by[0]] == f"{self.after} − {self.before}"]

    def summary(self) -> str:
        lines = [f"{self.instrument.name}: {len(self.scores)} respondents; " + ", ".join(
            f"{c} alpha {a:.2f}" for c, a in self.alpha["alpha"].items() if np.isfinite(a))]
        for r in self.changes().itertuples(index=False):
            if np.isfinite(r.mean):
                lines.append(f"{r.construct}: change {r.mean:+.2f} ({r.ci_low:+.2f} to {r.ci_high:+.2f}), p = {r.p_value:.3g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"InstrumentResult({self.summary()})"

    def _repr_html_(self) -> str:
        import html as _html

        return f"<pre>{_html.escape(self.summary())}</pre>" + self.comparison.to_html(index=False)

    def sentences(self, language: str = "sv") -> list[str]:
        from evalkit import i18n

        out = []
        for r in self.changes().itertuples(index=False):
            if not np.isfinite(r.mean):
                continue
            d = i18n.fmt_number(r.mean, 2, language)
            ci = i18n.fmt_interval(r.ci_low, r.ci_high, 2, language)
            p = i18n.fmt_p(r.p_value, language)
            lab = self._label(r.construct, language)
            out.append(_t("change_sentence", language, label=lab, name=self.instrument.name, d=d,
                          before=self.before, after=self.after, ci=ci, p=p))
        return out

    def methods(self, language: str = "sv") -> list[str]:
        from evalkit import i18n

        inst = self.instrument
        share = i18n.fmt_percent(min(inst.min_answered, 1.0), 0, language)
        rev = ", ".join(inst.items.loc[inst.items["reverse"], "id"]) or "–"
        nr = ", ".join(map(str, inst.missing_codes)) or "–"
        source = inst.citation.split(",")[0].split()[0]  # first author
        return [_t("methods", language, name=inst.name, source=source, share=share, missing=nr, reversed=rev)]

    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import TableSpec

        def w(key: str) -> str:
            return _t(key, language)

        t = self.comparison.copy()
        t["construct"] = t["construct"].map(lambda c: self._label(c, language))
        # the grouping columns ("wave", "unit") and the interval bounds get their words too
        named = {c: w(c) for c in self.by if c in ("wave", "unit")}
        t = t.rename(columns={"construct": w("construct"), "n": w("n"), "mean": w("mean"), "p_value": w("p_value"),
                              "ci_low": w("ci_low"), "ci_high": w("ci_high"), **named})
        t = t.drop(columns=["sd"])
        a = self.alpha.reset_index()[["construct", "k", "n", "alpha", "ci_low", "ci_high"]]
        a["construct"] = a["construct"].map(lambda c: self._label(c, language))
        a.columns = [w("construct"), w("items"), w("n"), w("alpha"), w("ci_low"), w("ci_high")]
        cap, cap_a = w("cap_means"), w("cap_alpha")
        return [(cap, t, TableSpec(counts=(w("n"),), guards={w("mean"): w("n")}, pvalues=(w("p_value"),))),
                (cap_a, a, TableSpec(guards={w("alpha"): w("n")}))]

    def plot(self, ax=None, language: str | None = None):
        """Construct means with 95 % intervals per value of ``by[0]`` (waves side by side)."""
        import matplotlib.pyplot as plt

        language = language or self.language
        rows = self.comparison[~self.comparison[self.by[0]].astype(str).str.contains("−")]
        rows = rows.assign(_g=rows[self.by].astype(str).agg(" / ".join, axis=1))
        groups = list(dict.fromkeys(rows["_g"]))
        constructs = list(dict.fromkeys(rows["construct"]))
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.55 * len(constructs)))
        else:
            fig = ax.figure
        height = 0.8 / max(len(groups), 1)
        for k, g in enumerate(groups):
            sub = rows[rows["_g"] == g].groupby("construct").first().reindex(constructs)
            y = np.arange(len(constructs)) + k * height
            ax.barh(y, sub["mean"], height=height, label=str(g))
            ax.errorbar(sub["mean"], y, xerr=[sub["mean"] - sub["ci_low"], sub["ci_high"] - sub["mean"]],
                        fmt="none", ecolor="black", capsize=2, linewidth=0.8)
        ax.set_yticks(np.arange(len(constructs)) + height * (len(groups) - 1) / 2)
        ax.set_yticklabels([self._label(c, language) for c in constructs])
        ax.set_xlim(1, 5)
        ax.invert_yaxis()
        ax.legend(fontsize=8, frameon=False)
        ax.set_title(self.title, fontsize=10)
        fig.tight_layout()
        return fig


def _one_wave(value, key: str):
    """``before``/``after`` name one wave; a one-element list (as a config may write it) is that wave."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise AnalysisError(f"{key} names one wave to compare (e.g. {key} = 2019), got {list(value)!r}")
        return value[0]
    return value


def run_instrument(data, options: dict | None = None) -> InstrumentResult:
    """Pipeline entry point (config ``kind = "instrument"``): score, alpha and comparison in one result.

    Keys of ``options``: ``instrument`` (required: nomad | s-nomad | aim | iam | fim | a TOML path), and
    optionally ``items`` ({item id: column}), ``min_answered``, ``raw_direction``, ``reverse``, ``by``
    (default "wave" when the data has it), ``before``, ``after``, ``language``. Unknown keys are an
    AnalysisError.
    """
    opts = dict(options or {})
    allowed = {"instrument", "items", "min_answered", "raw_direction", "reverse", "by", "before", "after", "language"}
    unknown = sorted(set(opts) - allowed)
    if unknown:
        raise AnalysisError(f"unknown instrument option(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
    if "instrument" not in opts:
        raise AnalysisError("give instrument = \"nomad\" (or s-nomad, aim, iam, fim, or a TOML file)")
    inst = load_instrument(opts["instrument"])
    frame = _frame(data)
    keys = dict(items=opts.get("items"), raw_direction=opts.get("raw_direction"), reverse=opts.get("reverse"))
    scores = score_instrument(frame, inst, min_answered=opts.get("min_answered"), **keys)
    by = opts.get("by") or ("wave" if "wave" in scores.columns else None)
    if by is None:
        scores = scores.assign(_all="all")
        by = "_all"
    by = [by] if isinstance(by, str) else list(by)
    before, after = (_one_wave(opts.get(k), k) for k in ("before", "after"))
    comparison = compare_instrument(scores, by=by, before=before, after=after)
    alpha = instrument_alpha(frame, inst, **keys)
    return InstrumentResult(instrument=inst, scores=scores, alpha=alpha, comparison=comparison, by=by,
                            before=opts.get("before"), after=opts.get("after"), language=opts.get("language", "sv"))
