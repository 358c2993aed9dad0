"""Report text, tables and figure labels of an ITS result in sv, nb and en.

Private to :mod:`evalkit.analysis.its`; implements the report protocol of
:mod:`evalkit.report` (``title``, ``methods``, ``report_tables``, plot labels).
Tables hold raw numbers; the report formats and suppresses them.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.analysis._its_text import decimals_for
from evalkit.analysis._labels import is_share, outcome_label, outcome_title

__all__ = ["title_for", "methods_for", "period_word", "table_spec", "effects_table",
           "diagnostics_table", "points_for", "y_axis_label", "axis_word"]


def period_word(kind: str, language: str) -> str:
    return i18n.text("its", f"period.{kind}", language)


def axis_word(kind: str, language: str) -> str:
    return i18n.text("its", f"axis.{kind}", language)


def title_for(outcome: str, language: str) -> str:
    head = i18n.text("its", "title_for.head", language)
    return f"{head}: {outcome_label(outcome, language)}"


def _ci(level: float, language: str) -> str:
    pct = f"{level * 100:g}"
    return f"{pct}{i18n.PERCENT_SPACE}% KI" if language in ("sv", "nb") else f"{pct}% CI"


# --------------------------------------------------------------------------- tables


def _effect_columns(language: str, level: float, log_link: bool, points: bool) -> list[str]:
    ci = _ci(level, language)
    if log_link:
        est = i18n.text("its", "effect_columns.est", language)
    elif points:
        est = i18n.text("its", "effect_columns.est_2", language)
    else:
        est = i18n.text("its", "effect_columns.est_3", language)
    lower = i18n.text("its", "effect_columns.lower", language)
    upper = i18n.text("its", "effect_columns.upper", language)
    p = i18n.text("its", "effect_columns.p", language)
    return [est, f"{ci}, {lower}", f"{ci}, {upper}", p]


def effects_table(effects: pd.DataFrame, *, language: str, level: float, log_link: bool, points: bool,
                  period_kind: str, controlled: bool):
    """The effects as a localized (frame, column names, decimals per row) triple; NaN rows left out.

    Each row gets the decimals that show two significant digits of its own interval's half-width: a level
    change in days and a slope change in days per month differ by an order of magnitude or more.
    """
    rows = i18n.words("its", language, "rows")
    if controlled:
        rows.update(i18n.words("its", language, "controlled_rows"))
    p = period_word(period_kind, language)
    kept = effects.dropna(subset=["estimate"])
    values = kept[["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float)
    if points and not log_link:
        values = values * 100.0
    columns = _effect_columns(language, level, log_link, points)
    first = i18n.text("its", "effects_table.first", language)
    frame = pd.DataFrame({first: [rows[r].format(p=p) for r in kept.index]})
    for j, name in enumerate(columns[:3]):
        frame[name] = values[:, j]
    frame[columns[3]] = kept["p_value"].to_numpy(dtype=float)
    spreads = (values[:, 2] - values[:, 1]) / 2.0
    decimals = tuple(3 if log_link else decimals_for(float(s)) for s in spreads)
    return frame, columns, decimals


def diagnostics_table(diagnostics: dict, *, language: str, error_text: str) -> tuple[pd.DataFrame, str]:
    d = diagnostics
    names = [i18n.text("its", f"diagnostics_table.names.{i}", language) for i in range(11)]
    names[6] = i18n.text("its", "diagnostics_table.names.6", language, k=d["ljung_box_lags"])  # "({k} lags)"
    several = "durbin_watson_median" in d
    rows = [(names[0], f"{d['n_pre']} / {d['n_post']}"), (names[1], error_text)]
    optional = [(names[2], d.get("ar1_rho")), (names[3], d.get("hac_lags")),
                (names[4], d.get("durbin_watson_median" if several else "durbin_watson")),
                (names[5], d.get("residual_acf1_median" if several else "residual_acf1")),
                (names[6], d.get("ljung_box_p_min" if several else "ljung_box_p")),
                (names[7], d.get("breusch_godfrey_p")), (names[8], d.get("pearson_dispersion")),
                (names[9], d.get("nb_alpha")), (names[10], d.get("r_squared"))]
    rows += [(n, float(v)) for n, v in optional if v is not None and not _is_nan(v)]
    measure, value = tuple(i18n.text("its", f"diagnostics_table.{i}", language) for i in range(2))
    return pd.DataFrame(rows, columns=[measure, value]).astype({value: object}), value


def _is_nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


# --------------------------------------------------------------------------- methods


def methods_for(*, spec: dict, meta: dict, n_pre: int, n_post: int, hac_lags, language: str,
                min_side: int, recommended_side: int) -> list[str]:
    """Sentences for "Metod och material": model, family, offset, season, errors, periods, assumptions."""
    label = outcome_label(spec["outcome"], language)
    p = period_word(meta["period_kind"], language)
    when = meta["intervention_label"]
    out = [_design_sentence(label, when, n_pre, n_post, p, meta, language),
           _family_sentence(spec, language),
           _season_sentence(spec["seasonality"], language),
           _errors_sentence(spec, meta, hac_lags, language),
           _periods_sentence(min_side, recommended_side, language),
           _assumption_sentence(meta, language)]
    return [s for s in out if s]


def _design_sentence(label, when, n_pre, n_post, p, meta, language) -> str:
    extra = ""
    if meta["controlled"]:
        extra = i18n.text("its", "design_sentence.extra", language)
    elif meta["n_units"] > 1:
        extra = i18n.text("its", "design_sentence.extra_2", language)
    return i18n.text("its", "design_sentence", language, label=label, when=when, p=p, n_pre=n_pre, n_post=n_post) + extra


def _family_sentence(spec, language) -> str:
    family, exposure = spec["family"], spec["exposure"]
    if family == "gaussian":
        return i18n.text("its", "family_sentence", language)
    name = i18n.text("its", f"family_name.{family}", language)
    offset = ""
    if exposure:
        ex = outcome_label(exposure, language)
        offset = i18n.text("its", "family_sentence.offset", language, ex=ex)
    return i18n.text("its", "family_sentence_2", language, name=name, offset=offset)


def _season_sentence(seasonality, language) -> str:
    if seasonality is None:
        return i18n.text("its", "season_sentence", language)
    if seasonality == "month":
        return i18n.text("its", "season_sentence_2", language)
    k = seasonality.split(":", 1)[1]
    return i18n.text("its", "season_sentence_3", language, k=k)


def _errors_sentence(spec, meta, hac_lags, language) -> str:
    model = meta["error_model"]
    if model == "ar1":
        rho = i18n.fmt_number(meta["rho"], 2, language)
        return i18n.text("its", "errors_sentence", language, rho=rho)
    if model == "hac":
        rule = spec["hac_lags"] == "auto"
        how = i18n.text("its", "hac_lags." + ("rule" if rule else "analyst"), language)
        return i18n.text("its", "errors_sentence_2", language, hac_lags=hac_lags, how=how)
    return i18n.text("its", "errors_sentence_3", language) + " " + \
        _reference_sentence(spec, meta, language)


def _reference_sentence(spec, meta, language) -> str:
    """The reference distribution of count-family tests: t(n - p) when the scale is estimated."""
    if spec["family"] == "quasipoisson":
        df = int(meta["residual_df"])
        return i18n.text("its", "reference_sentence", language, df=df)
    return i18n.text("its", "reference_sentence_2", language)


def _periods_sentence(min_side, recommended, language) -> str:
    return i18n.text("its", "periods_sentence", language, min_side=min_side, recommended=recommended)


def _assumption_sentence(meta, language) -> str:
    base = i18n.text("its", "assumption_sentence.base", language)
    if meta["controlled"]:
        base += i18n.text("its", "assumption_sentence", language)
    return base


def points_for(spec: dict, data: pd.DataFrame) -> bool:
    """Share outcomes (0–1) under gaussian are reported in percentage points."""
    if spec["family"] != "gaussian" or not is_share(spec["outcome"]):
        return False
    values = data[spec["outcome"]].to_numpy(dtype=float)
    return bool(np.nanmin(values) >= 0.0 and np.nanmax(values) <= 1.0)


def y_axis_label(outcome: str, language: str) -> str:
    return outcome_title(outcome, language)


def table_spec(**kwargs):
    """A report TableSpec, imported when a table is built (the report sits above analysis)."""
    from evalkit.blocks import TableSpec

    return TableSpec(**kwargs)
