"""ITS sentences agree with the effects table: the same interval, bounds in order, and no direction when the
interval includes no change (issue 14, item 1)."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit import i18n, its
from evalkit.errors import AnalysisWarning

_NUM = r"[−-]?\d+(?:[.,]\d+)?"


def _series(level: float, slope: float, seed: int, noise: float = 1.0) -> pd.DataFrame:
    t = np.arange(48)
    y = 30 + 0.1 * t + level * (t >= 24) + slope * np.maximum(t - 24, 0) + np.random.default_rng(seed).normal(0, noise, 48)
    return pd.DataFrame({"month": pd.date_range("2018-01-01", periods=48, freq="MS"), "y": y})


def _fit(frame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)
        return its(frame, outcome="y", time="month", intervention="2020-01-01", errors="hac", **kw)


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace(",", "."))


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
@pytest.mark.parametrize("level, slope, seed", [(-5.0, 0.0, 1), (0.0, 0.0, 2), (3.0, -0.4, 3), (0.3, 0.05, 4)])
def test_every_interval_in_a_sentence_equals_the_table_and_is_in_order(language, level, slope, seed):
    res = _fit(_series(level, slope, seed))
    effects = res.effects
    names = [n for n in ("level_change", "slope_change", "post_trend") if np.isfinite(effects.loc[n, "estimate"])]
    sentences = res.sentences(language)
    assert len(sentences) == len(names)
    sep = {"sv": " till ", "nb": " til ", "en": " to "}[language]
    for name, sentence in zip(names, sentences):
        lo, hi = effects.loc[name, ["ci_low", "ci_high"]]
        m = re.search(rf"({_NUM})(?:–|{sep})({_NUM})", sentence)
        assert m, sentence
        a, b = _number(m.group(1)), _number(m.group(2))
        assert a <= b, sentence
        assert a == pytest.approx(lo, abs=0.51 * 10 ** -len(m.group(1).split(",")[-1].split(".")[-1]) + 1e-9)
        assert b == pytest.approx(hi, abs=0.51 * 10 ** -len(m.group(2).split(",")[-1].split(".")[-1]) + 1e-9)
        unclear = lo < 0 < hi
        words = {"sv": ("ökade", "minskade"), "nb": ("økte", "sank"), "en": ("rose", "fell")}[language]
        if unclear:
            assert not any(w in sentence for w in words), sentence
            assert {"sv": "inte tydligt", "nb": "ikke tydelig", "en": "clear"}[language] in sentence or \
                {"sv": "ingen tydlig", "nb": "ingen tydelig", "en": "no clear"}[language] in sentence
        else:
            assert any(w in sentence for w in words), sentence
