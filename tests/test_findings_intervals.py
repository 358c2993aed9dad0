"""Every interval in a finding's sentence equals the interval its table prints (same row, same cells, bounds in
order), for every kind that gives findings (its, did, survey, audit) and every language — on the sample
municipality's real analyses and on a rate-ratio series with negative bounds.

The table side is formatted by the report's own formatter (``evalkit.report._format.format_table``) under the
sample configs' disclosure rules, so a cell the report hides cannot appear in a sentence either.
"""
from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit import findings_text as ft
from evalkit import pipeline
from evalkit.blocks import Table, TableSpec
from evalkit.config import Evaluation
from evalkit.kinds import disclosure_of, kind_of
from evalkit.report._format import format_table

from .conftest import SAMPLE

LANGS = ("sv", "nb", "en")
# "95 % KI 3,9–6,2" | "95% CI -1.2 to 0.3" | "95 % KI −35 till −2"
_INTERVAL = re.compile(r"95\s?%\s(?:KI|CI)\s(\S+?)(?:–| till | til | to )(\S+?)(?=\)|;|,\s|\s|$)")


def _number(text: str) -> float:
    return float(text.replace("\u2212", "-").replace("\u202f", "").replace(",", "."))


def _run(config: str, ids: tuple[str, ...], sources: tuple[str, ...]) -> tuple[Evaluation, pipeline.Run]:
    ev = Evaluation.from_toml(SAMPLE / config)
    ev = dataclasses.replace(ev, data={k: v for k, v in ev.data.items() if k in sources},
                             analyses=tuple(s for s in ev.analyses if s.id in ids))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ev, pipeline.run(ev)


@pytest.fixture(scope="module")
def results():
    if not (SAMPLE / "ibic.toml").exists():
        pytest.skip("the sample municipality is not there")
    ibic = _run("ibic.toml", ("processing_time", "goal_recorded", "user_survey", "decision_audit"),
                ("decisions", "survey", "audit"))
    rehab = _run("rehab_pilot.toml", ("hours_pilot", "continuity_pilot"), ("decisions", "visits"))
    return [ibic, rehab]


def _rate_ratio_result():
    """A falling count series (rate ratio about 0.7): bounds below 1, a rate ratio's 3 decimals."""
    from evalkit.analysis.its import its

    rng = np.random.default_rng(11)
    t = np.arange(48)
    mu = 200 * np.exp(0.002 * t) * np.where(t >= 24, 0.7, 1.0)
    frame = pd.DataFrame({"period": pd.date_range("2018-01-01", periods=48, freq="MS"),
                          "order_changes": rng.poisson(mu), "active_users": 2000})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return its(frame, outcome="order_changes", time="period", intervention="2020-01-01", family="poisson",
                   exposure="active_users")


def _sentence(f, language: str) -> str:
    if f.effect == "item":
        return ft.answer([f], language, "IBIC", {})[0]  # an item is told inside its analysis' paragraph
    return ft.finding_sentence(f, language, "IBIC")


def _check(f, result, language: str, disclosure) -> int:
    """Assert the finding's sentence shows exactly the interval of its table row; returns intervals checked."""
    sentence = _sentence(f, language)
    found = _INTERVAL.findall(sentence)
    table_index, row, (_, lo, hi) = f.source[0], f.source[1], (f.source[2] + (-1, -1, -1))[:3]
    if f.effect == "pretrend" or lo < 0 or (f.effect == "item" and not f.clear):
        # no interval in the table (randomization inference), or an item told only in the count of items
        # with no clear change: the text shows no interval
        assert not found, f"{f.analysis_id}: an interval in a sentence that should have none: {sentence}"
        return 0
    item = result.report_tables(language)[table_index]
    table = item if isinstance(item, Table) else Table(item[1], item[0], item[2] if len(item) == 3 else TableSpec())
    cells = format_table(table, language, disclosure).text[row]
    assert len(found) == 1, f"{f.analysis_id}: expected one interval in {sentence!r}"
    low, high = found[0]
    assert (low, high) == (cells[lo], cells[hi]), f"{f.analysis_id} row {row}: {sentence!r} vs {cells}"
    assert _number(low) < _number(high), sentence
    return 1


@pytest.mark.parametrize("language", LANGS)
def test_sample_findings_show_their_tables_intervals(results, language):
    kinds_seen, checked = set(), 0
    for ev, run in results:
        disclosure = disclosure_of(ev)
        for spec in ev.analyses:
            result = run.results[spec.id]
            findings = kind_of(spec).findings(spec.id, result, language, disclosure)
            assert findings, spec.id
            kinds_seen.add(spec.kind)
            for f in findings:
                if "withheld" in f.caveats:  # the table hides it: the sentence shows no number of it
                    assert not _INTERVAL.findall(_sentence(f, language)), spec.id
                    continue
                checked += _check(f, result, language, disclosure)
    assert kinds_seen == {"its", "did", "survey", "audit"}
    # 2 × 2 ITS effects and the clear survey (2) and audit (8) items of the sample
    assert checked >= 14


@pytest.mark.parametrize("language", LANGS)
def test_rate_ratio_interval_equals_table(language):
    from evalkit.findings import its_findings
    from evalkit.privacy import Disclosure

    result = _rate_ratio_result()
    level = next(f for f in its_findings("o", result, language) if f.effect == "level_change")
    assert level.unit == "ratio" and (level.clear, level.direction) == (True, "down")
    assert _check(level, result, language, Disclosure(5, 30)) == 1
    pct = round((1 - level.estimate) * 100)
    assert 25 <= pct <= 35  # truth 30 %
    assert re.search(rf"\b{pct}\s?%", ft.finding_sentence(level, language, "X"))  # "by about 32 %"
    assert level.after / level.before == pytest.approx(level.estimate, rel=1e-6)


def test_negative_bounds_keep_their_order():
    """An audit item that fell (E1 in the sample: −20 points) is written "−35 till −2", low first."""
    from evalkit.findings import Finding

    f = Finding("a", "audit", "item", "E1", "uppföljning", "points", 0.73, 0.53, -19.5, -35.3, -2.2, 0.48, 0,
                True, "down", "up", ("adjusted_p",), (0, 17, (5, 6, 7)))
    low, high = _INTERVAL.findall(ft.answer([f], "sv", "IBIC", {})[0])[0]
    assert (low, high) == ("\u221235", "\u22122")
