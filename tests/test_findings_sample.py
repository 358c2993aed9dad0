"""The three sample configs: one answer per research question in the summary, each question a heading of the
results chapter with the analyses that answer it under it, the draft conclusions marked — and the headline
findings point the way the simulation's true effects do (data_samples/exempelkommun/effects.toml,
staff_effects.toml)."""
from __future__ import annotations

import dataclasses
import warnings

import pytest

from evalkit import findings_text as ft
from evalkit import pipeline
from evalkit.blocks import Heading, Paragraph
from evalkit.config import Evaluation
from evalkit.kinds import kind_of

from .conftest import SAMPLE

# config -> {analysis id: the direction of its true effect}
TRUTH = {
    "ibic.toml": {"processing_time": "up", "goal_recorded": "up", "own_view_recorded": "up"},  # +5 d, +40, +40 pts
    "flexible_codes.toml": {"order_changes": "down"},  # rate ratio 0.70
    # the pilot's hours fall by about 3 h/month, but with 6 districts randomization inference cannot reach 5 %
    "rehab_pilot.toml": {"hours_pilot": "none"},
}


def _mapped_run(config: str):
    """The config with only the analyses its questions name and the data they read (the others are not needed
    to answer the questions), run."""
    ev = Evaluation.from_toml(SAMPLE / config)
    ids = {entry.split(":", 1)[0] for ids in ev.question_analyses for entry in ids}
    specs = tuple(s for s in ev.analyses if s.id in ids)
    sources = {src for s in specs for src in kind_of(s).cited(s)} | {"decisions"}
    ev = dataclasses.replace(ev, analyses=specs, data={k: v for k, v in ev.data.items() if k in sources})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ev, pipeline.run(ev)


@pytest.fixture(scope="module", params=sorted(TRUTH))
def sample(request):
    if not (SAMPLE / request.param).exists():
        pytest.skip("the sample municipality is not there")
    ev, run = _mapped_run(request.param)
    return request.param, ev, run


def _section(blocks, index: int) -> list:
    """The blocks of the ``index``-th level-1 section."""
    starts = [i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.level == 1] + [len(blocks)]
    return blocks[starts[index] + 1:starts[index + 1]]


def test_every_question_names_analyses(sample):
    _, ev, _ = sample
    assert ev.questions and all(ev.question_analyses), "every sample question names the analyses answering it"


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_one_answer_per_question(sample, language):
    _, ev, run = sample
    report = pipeline.build_report(run, language=language)
    blocks = report.blocks()
    summary = [b.text for b in _section(blocks, 0)]
    assert len(summary) == len(ev.questions)  # every analysis answers a question here: no "other analyses"
    for question, paragraph in zip(ev.questions, summary):
        assert paragraph.startswith(question + " ")
        assert len(paragraph) > len(question) + 40
    headings = [b.text for b in blocks if isinstance(b, Heading) and b.level == 2]
    assert all(q in headings for q in ev.questions)
    # under each question: its answer, then its analyses as level-3 headings
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text == ev.questions[0])
    assert isinstance(blocks[at + 1], Paragraph) and blocks[at + 1].text in summary[0]
    titles = [b.text for b in blocks if isinstance(b, Heading) and b.level == 3]
    first = next(s for s in ev.analyses if s.id == ev.question_analyses[0][0])
    assert (first.title or run.results[first.id].title) in titles
    # the conclusions chapter is drafted and says so
    chapters = [b.text for b in blocks if isinstance(b, Heading) and b.level == 1]
    conclusions = _section(blocks, chapters.index(report._label("conclusions")))
    assert conclusions[0].text == ft._t("draft", language)


def test_headline_directions_match_the_truth(sample):
    config, ev, run = sample
    findings = pipeline.findings_of(run, "en")
    for aid, direction in TRUTH[config].items():
        head = next(f for f in findings[aid] if f.primary)
        assert head.direction == direction, (aid, head)


def test_override_removes_the_draft_mark(sample, tmp_path):
    _, ev, run = sample
    own = dataclasses.replace(ev.report, conclusions="Egen slutsats.", recommendations="Eget råd.")
    run = dataclasses.replace(run, evaluation=dataclasses.replace(ev, report=own))
    report = pipeline.build_report(run, language="sv")
    texts = [getattr(b, "text", "") for b in report.blocks()]
    assert "Egen slutsats." in texts and "Eget råd." in texts
    assert ft._t("draft", "sv") not in texts


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_interval_in_the_answers_is_a_tables(sample, language):
    """Parse every interval of the summary and of the answers under the question headings; each is the
    (low, high) cell pair of a row of the answering analyses' tables, formatted by the report, low < high."""
    from evalkit.blocks import Table, TableSpec
    from evalkit.report._format import format_table

    from .test_findings_intervals import _INTERVAL, _number

    config, ev, run = sample
    report = pipeline.build_report(run, language=language)
    pairs = set()
    for aid, findings in pipeline.findings_of(run, language, report.disclosure).items():
        tables = run.results[aid].report_tables(language)
        for f in findings:
            index, row, cols = f.source
            if len(cols) < 3 or min(cols) < 0:
                continue
            item = tables[index]
            table = item if isinstance(item, Table) else Table(item[1], item[0],
                                                               item[2] if len(item) == 3 else TableSpec())
            cells = format_table(table, language, report.disclosure).text[row]
            pairs.add((cells[cols[1]], cells[cols[2]]))
    blocks = report.blocks()
    summary = [b.text for b in _section(blocks, 0)]
    answers = [blocks[i + 1].text for i, b in enumerate(blocks)
               if isinstance(b, Heading) and b.level == 2 and b.text in ev.questions]
    found = [pair for text in summary + answers for pair in _INTERVAL.findall(text)]
    for low, high in found:
        assert (low, high) in pairs, (low, high)
        assert _number(low) < _number(high)
    # the pilot's six districts give randomization inference: exact p-values, no interval anywhere
    assert (len(found) == 0) if config == "rehab_pilot.toml" else (len(found) >= 2 * len(ev.questions))


def test_questions_without_analyses_keep_todays_layout(sample):
    """Plain-string questions: the summary stays the results' sentences and the analyses keep level 2; the
    conclusions are still drafted, from every analysis' findings."""
    _, ev, run = sample
    plain = dataclasses.replace(ev, question_analyses=tuple(() for _ in ev.questions))
    report = pipeline.build_report(dataclasses.replace(run, evaluation=plain), language="sv")
    blocks = report.blocks()
    summary = [b.text for b in _section(blocks, 0)]
    titles = [s.title or run.results[s.id].title for s in ev.analyses]
    assert all(any(p.startswith(t + ":") for p in summary) for t in titles)
    assert not any(isinstance(b, Heading) and b.level == 2 and b.text in ev.questions for b in blocks)
    chapters = [b.text for b in blocks if isinstance(b, Heading) and b.level == 1]
    conclusions = _section(blocks, chapters.index(report._label("conclusions")))
    assert conclusions[0].text == ft._t("draft", "sv")
