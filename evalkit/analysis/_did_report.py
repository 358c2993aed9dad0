"""Report tables and figures of DiD results in Swedish, Norwegian bokmål and English.

Tables hold raw numbers with localized row and column labels; the report's renderer formats them and
applies disclosure control from the :class:`~evalkit.blocks.TableSpec` (counts of units and observations
are declared as counts, group means are guarded by their observation counts).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.blocks import TableSpec
from evalkit.analysis._did_text import decimals_for, effect_scale, effect_unit

__all__ = ["label", "group_labels", "effect_table", "means_table", "event_study_table", "placebo_table",
           "draw_means", "draw_event_study", "default_title"]

# its own ci_low/ci_high ("95 % KI, nedre" | "övre") read as one header over two columns
label = i18n.translator("did")


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def default_title(outcome_label: str, language: str, key: str = "title") -> str:
    return label(key, language, label=capitalized(outcome_label))


def group_labels(labels, language: str) -> tuple[str, str]:
    """(treated, comparison) labels: the user's ``labels`` mapping, else the language's defaults."""
    labels = dict(labels or {})
    return (str(labels.get("treated", label("treated", language))),
            str(labels.get("comparison", label("comparison", language))))


def _inference_text(inf: dict, language: str) -> str:
    method = inf["method"]
    if method == "cluster":
        return label("m_cluster_bjs" if inf.get("estimator") == "imputation" else "m_cluster", language)
    if method == "wild":
        return label("m_wild", language, reps=i18n.fmt_int(inf["reps"], language))
    return label("m_ri", language, m=i18n.fmt_int(inf["n_assignments"], language))


def _effect_columns(language: str) -> list[str]:
    return [label(k, language) for k in ("estimate", "ci_low", "ci_high", "p_value")]


def effect_table(result, language: str):
    """The main effect: one row per outcome with estimate, interval, p-value and the inference used."""
    # share outcomes (0–1) are shown in percentage points, as in the sentences
    scale, unit = effect_scale(result.outcome), effect_unit(result.outcome, language)
    e = result.effect
    est, low, high, p = _effect_columns(language)
    if unit:
        est = f"{est} ({unit.strip()})"
    d = decimals_for(result.inference.get("se_cr1", abs(e["estimate"])) * scale)
    columns = {label("outcome", language): [capitalized(result.outcome_label(language))],
               est: [e["estimate"] * scale]}
    if np.isfinite([e["ci_low"], e["ci_high"]]).all():
        columns.update({low: [e["ci_low"] * scale], high: [e["ci_high"] * scale], p: [e["p_value"]]})
        pvalues = (p,)
    else:
        # randomization inference that cannot reject at 5 %: the confidence set is the whole line, so the
        # table shows the exact p-value beside the smallest one the design can give instead of "−∞ to ∞"
        smallest = label("smallest_p", language)
        columns.update({p: [e["p_value"]], smallest: [result.inference.get("smallest_p", np.nan)]})
        pvalues = (p, smallest)
    columns[label("inference", language)] = [_inference_text(result.inference, language)]
    spec = TableSpec(pvalues=pvalues, decimals={c: d for c in (est, low, high) if c in columns})
    return label("effect_caption", language), pd.DataFrame(columns), spec


def means_table(result, language: str):
    """Treated and comparison means before and after the (first) start, with unit and observation counts."""
    frame = result._panel.frame
    treated_label, comparison_label = group_labels(result._labels, language)
    rows = []
    for name, mask in ((treated_label, frame["treated_unit"]), (comparison_label, ~frame["treated_unit"])):
        part = frame[mask.to_numpy()]
        before, after = part[~part["post"]], part[part["post"]]
        rows.append([name, part["unit"].nunique(), len(before), before["y"].mean(), len(after), after["y"].mean(),
                     after["y"].mean() - before["y"].mean()])
    cols = [label(k, language) for k in ("group", "units", "obs_before", "mean_before", "obs_after", "mean_after",
                                         "change")]
    table = pd.DataFrame(rows, columns=cols)
    d = decimals_for(float(frame["y"].std()))
    # Units are areas, not people: their number is stated in the text anyway, so it is not suppressed;
    # the observation counts (people in a person-level panel) are, and they guard the means.
    spec = TableSpec(counts=(cols[2], cols[4]), guards={cols[3]: cols[2], cols[5]: cols[4],
                                                                 cols[6]: cols[4]},
                     decimals={cols[3]: d, cols[5]: d, cols[6]: d})
    caption = label("means_caption", language, label=capitalized(result.outcome_label(language)))
    return caption, table, spec, label("means_note", language, date=_date(result.intervention, language))


def event_study_table(es, language: str):
    """Coefficients by period relative to the start, reference period −1 included (estimate 0)."""
    t = es.table
    est, low, high, p = _effect_columns(language)
    period = label("relative_period", language)
    columns = {period: t.index.to_numpy(dtype=np.int64), est: t["estimate"].to_numpy()}
    # randomization inference gives p-values but no intervals: no columns of ".." for "not estimated"
    if np.isfinite(t[["ci_low", "ci_high"]].to_numpy(dtype=float)).any():
        columns.update({low: t["ci_low"].to_numpy(), high: t["ci_high"].to_numpy()})
    frame = pd.DataFrame({**columns, p: t["p_value"].to_numpy()})
    scale = float(np.nanstd(t["estimate"].to_numpy(dtype=float)))
    d = decimals_for(scale / 3 if scale > 0 else scale)
    spec = TableSpec(pvalues=(p,), decimals={c: d for c in (est, low, high) if c in frame})
    note = label("es_note", language, p=i18n.fmt_p(es.pretrend["p_value"], language))
    if es.method == "ri":
        note += label("es_note_ri", language)
    caption = label("es_caption", language, label=capitalized(es.outcome_label(language)))
    return caption, frame, spec, note


def placebo_table(result, table: pd.DataFrame, language: str):
    """The placebo estimates with localized kinds; fake treated sets written as unit lists."""
    est, low, high, p = _effect_columns(language)
    kinds = {"time": label("kind_time", language), "unit": label("kind_unit", language)}
    frame = pd.DataFrame({
        label("kind", language): table["kind"].map(kinds).to_numpy(),
        label("fake_start", language): [_date(v, language) for v in table["fake_intervention"]],
        label("fake_units", language): ["" if u is None else ", ".join(map(str, u)) for u in table["fake_treated"]],
        est: table["estimate"].to_numpy(), low: table["ci_low"].to_numpy(), high: table["ci_high"].to_numpy(),
        p: table["p_value"].to_numpy(),
    })
    d = decimals_for(result.inference.get("se_cr1", 1.0))
    spec = TableSpec(pvalues=(p,), decimals={est: d, low: d, high: d})
    share = table.attrs.get("share_as_large", np.nan)
    note = label("placebo_note", language, share=i18n.fmt_percent(share, 0, language)) if np.isfinite(share) else None
    caption = label("placebo_caption", language, label=capitalized(result.outcome_label(language)))
    return caption, frame, spec, note


def _date(value, language: str) -> str:
    if isinstance(value, (int, np.integer, float, np.floating, str)):
        return str(value)
    try:
        return i18n.fmt_date(value, language)
    except Exception:  # noqa: BLE001 - periods that are not dates are shown as they are
        return str(value)


# --------------------------------------------------------------------------- figures


def _period_ticks(ax, index: pd.Index, language: str) -> None:
    """At most about 12 period ticks; with monthly dates over several years, one per January."""
    n = len(index)
    positions = np.arange(n)
    if isinstance(index, pd.DatetimeIndex) and n > 24:
        january = positions[index.month == 1]
        positions = january if 2 <= len(january) <= 12 else positions[:: max(1, n // 10)]
    else:
        positions = positions[:: max(1, n // 12)]
    ax.set_xticks(positions)
    ax.set_xticklabels([_date(index[i], language) for i in positions], rotation=45, ha="right")


def draw_means(result, ax, language: str) -> None:
    """Treated and comparison means per period with each start marked."""
    table = result.means()
    treated_label, comparison_label = group_labels(result._labels, language)
    x = np.arange(len(table))
    ax.plot(x, table["treated"].to_numpy(), marker="o", markersize=3, label=treated_label)
    ax.plot(x, table["comparison"].to_numpy(), marker="s", markersize=3, linestyle="--", label=comparison_label)
    panel = result._panel
    starts = np.unique(panel.start_codes[panel.start_codes < panel.n_periods])
    for i, code in enumerate(starts):
        text = (label("start", language, date=_date(panel.times[code], language)) if len(starts) == 1
                else label("starts", language))
        ax.axvline(code - 0.5, color="grey", linestyle=":", label=text if i == 0 else None)
    _period_ticks(ax, pd.Index(table.index), language)
    ax.yaxis.set_major_formatter(i18n.tick_formatter(language))
    ax.set_ylabel(capitalized(result.outcome_label(language)))
    ax.set_title(label("mean_axis", language))
    ax.legend(fontsize=8)


def draw_event_study(es, ax, language: str) -> None:
    """Coefficients with 95 % intervals (when there are any), zero line and the start marked."""
    t = es.table
    x = t.index.to_numpy(dtype=float)
    est = t["estimate"].to_numpy(dtype=float)
    low = np.where(np.isfinite(t["ci_low"]), t["ci_low"], np.nan)
    high = np.where(np.isfinite(t["ci_high"]), t["ci_high"], np.nan)
    has_ci = np.isfinite(low).any()
    if has_ci:
        ax.errorbar(x, est, yerr=[est - low, high - est], fmt="o", markersize=3, capsize=2,
                    label=label("es_estimate_ci", language))
    else:
        ax.plot(x, est, "o", markersize=3, label=label("es_estimate", language))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle=":")
    ax.xaxis.set_major_formatter(i18n.tick_formatter(language, 0))
    ax.yaxis.set_major_formatter(i18n.tick_formatter(language))
    ax.set_xlabel(label("es_xlabel", language))
    ax.set_ylabel(label("es_ylabel", language))
    ax.set_title(label("es_axis", language))
    ax.legend(fontsize=8)
