"""Load and analyse an evaluation on two cores (a forked child beside the parent) with the serial run's outcome.

:func:`evalkit.pipeline.run` does its steps one after another: load every ``[data.*]`` source in config order,
check the units, build the panel, run every analysis in config order. Most of it does not depend on the rest:
the survey, the codings, the strategy log, the staff survey and the documents are loaded without the decisions,
and the survey, audit, CFIR and instrument analyses read only their own source. :func:`run` uses two forked
children (``os.fork``, Linux) beside the parent; each step's result comes back pickled:

* the *early* child is forked before the parent imports SciPy, python-docx and pyplot (≈ 1.5 s in which the
  second core had nothing to do) and loads the sources whose loaders need only pandas (:data:`EARLY_KINDS`: the
  decisions and the other register tables, the survey, the codings, the staff survey);
* the *child* is forked once those tables are back and the imports done: it loads the other sources (but those
  only the parent's analyses read, which the parent loads) and runs the analyses that read only their own
  source, while the parent builds the panel and runs the other analyses.

What the caller sees is the serial run's, not a merged approximation of it:

* the warnings of every step are recorded where they are raised (parent or child) and re-issued in the parent
  in the serial order of the steps, through the caller's own filters (``warnings.warn_explicit`` with the
  module and registry :func:`warnings.warn` would have used), so "print each once" or "ignore" act as before;
* the first step (in serial order) that fails raises its own exception — the same class and message, pickled
  from the child when it failed there — after the warnings of the steps before it, and no later step's;
* ``Run.tables``, ``Run.results`` and ``Run.extra`` hold their entries in the serial order; an analysis that may
  read other analyses' results runs when the results its kind says it reads (``AnalysisKind.results_read``) are
  there, or, for a kind that does not say, every earlier result; it sees exactly the results before it.

A child that dies, or a step whose result cannot be pickled, is re-run in the parent. Where the platform cannot
fork, or ``EVALKIT_SERIAL`` is set (to anything but ``0``), the caller runs serially (:func:`wanted`).
Assumption: no step changes a table another step reads (the steps run on copies in the child).
"""
from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import sys
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Callable

__all__ = ["run", "wanted", "capture", "replay", "Outcome", "CHILD_KINDS"]

#: Analysis kinds that read only the config and their own source (the survey, staff-survey table or form files),
#: never the decisions, the panel or other results, and add nothing to ``Run.extra``: they may run in the child.
CHILD_KINDS = frozenset({"survey", "audit", "cfir", "instrument"})
#: Imported before the fork, so parent and child do not both pay for it: the strategy log and the audit's κ
#: (child) and statsmodels (parent, ITS) all import scipy.stats (≈ 0.9 s CPU); the documents (child) and the
#: Word file (parent) python-docx; the figures drawn ahead (child) and the report's (parent) pyplot (≈ 0.5 s).
#: Not openpyxl: only the child reads forms, and the report writes its Excel appendix in a child of its own.
SHARED_IMPORTS = ("scipy.stats", "docx", "matplotlib.pyplot")
#: Sources whose loaders import nothing beyond pandas and pyarrow: loaded by the early child while the parent
#: imports :data:`SHARED_IMPORTS` (the decisions alone took 0.8–1.2 s of the parent's time after them).
EARLY_KINDS = frozenset({"decisions", "orders", "visits", "staff", "survey", "codings", "staff_survey"})


def wanted() -> bool:
    """Whether :func:`run` may be used here: the platform forks and ``EVALKIT_SERIAL`` does not say no."""
    import multiprocessing

    return os.environ.get("EVALKIT_SERIAL", "0") in ("", "0") and "fork" in multiprocessing.get_all_start_methods()


# -- warnings recorded in one place and issued again in another -------------------------------------------------

@dataclass
class _Caught:
    message: Any        # the Warning instance (or its text when it could not be pickled)
    category: type
    filename: str
    lineno: int
    module: str | None  # the raising module's name, which filters match (``filterwarnings(module=…)``)


@dataclass
class Outcome:
    """What one step did: its warnings in order, its value or its exception, and the ``Run.extra`` it added."""

    warnings: list = field(default_factory=list)
    value: Any = None
    error: BaseException | None = None
    extra: dict = field(default_factory=dict)
    extra_sections: dict = field(default_factory=dict)


_MODULES: dict[str, str | None] = {}


def _module_name(filename: str) -> str | None:
    if filename not in _MODULES:
        _MODULES[filename] = next((name for name, mod in list(sys.modules.items())
                                   if getattr(mod, "__file__", None) == filename), None)
    return _MODULES[filename]


def capture(step: Callable[[], Any]) -> Outcome:
    """Run ``step`` recording every warning it raises (none is shown) and the exception it raises, if any."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # record all; the caller's filters decide in replay()
        try:
            value, error = step(), None
        except Exception as exc:  # re-raised by replay() in the serial order
            value, error = None, exc
    return Outcome([_Caught(w.message, w.category, w.filename, w.lineno, _module_name(w.filename))
                    for w in caught], value, error)


_REGISTRIES: dict[str, dict] = {}


def replay(outcome: Outcome) -> None:
    """Issue ``outcome``'s warnings again, as :func:`warnings.warn` would have from where they were raised."""
    for w in outcome.warnings:
        module = sys.modules.get(w.module) if w.module else None
        registry = (module.__dict__.setdefault("__warningregistry__", {}) if module is not None
                    else _REGISTRIES.setdefault(w.filename, {}))
        message = w.message if isinstance(w.message, Warning) else w.category(w.message)
        warnings.warn_explicit(message, w.category, w.filename, w.lineno, module=w.module, registry=registry)


def _picklable(outcome: Outcome) -> Outcome:
    """``outcome`` with warnings that cannot be pickled reduced to their text (category, place kept)."""
    for w in outcome.warnings:
        try:
            pickle.dumps(w.message)
        except Exception:
            w.message = str(w.message)
    return outcome


# -- the child ---------------------------------------------------------------------------------------------------

class _Gone(Exception):
    """The child exited before sending what was asked for."""


class _Child:
    """A forked process running ``work(send)``; each ``send(obj)`` reaches the parent's :meth:`receive` in order.

    Messages are pickled to files in a private folder and announced by one byte on a pipe, so a child never
    waits for the parent to read (a pipe holds 64 KiB; one result can be megabytes).
    """

    def __init__(self, work: Callable[[Callable[[Any], None]], None]):
        self.folder = tempfile.mkdtemp(prefix="evalkit-run-")
        self.received = 0
        read, write = os.pipe()
        sys.stdout.flush(), sys.stderr.flush()  # nothing buffered is written twice
        self.pid = os.fork()
        if self.pid == 0:  # the child: work, then leave without the parent's exit handlers
            os.close(read)
            code = 1
            try:
                work(self._sender(write))
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pipe = read

    def _sender(self, pipe: int) -> Callable[[Any], None]:
        count = 0

        def send(obj: Any) -> None:
            nonlocal count
            path = os.path.join(self.folder, f"{count}.pickle")
            with open(path, "wb") as fh:
                pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.write(pipe, b".")
            count += 1
        return send

    def receive(self) -> Any:
        if os.read(self.pipe, 1) != b".":
            raise _Gone
        with open(os.path.join(self.folder, f"{self.received}.pickle"), "rb") as fh:
            obj = pickle.load(fh)
        self.received += 1
        return obj

    def close(self) -> None:
        """Stop the child if it is still working (the parent no longer needs it), wait for it, remove its files."""
        with contextlib.suppress(OSError):
            os.close(self.pipe)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            if os.waitpid(self.pid, os.WNOHANG)[0] == 0:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        shutil.rmtree(self.folder, ignore_errors=True)


# -- the steps ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Step:
    index: int          # place in the serial run
    what: str           # "load" | "units" | "panel" | "analysis"
    key: Any = None     # the source name, or the AnalysisSpec
    lane: str = "parent"  # "parent" | "early" (the child forked before the imports) | "child"

    @property
    def child(self) -> bool:
        """Whether a child (early or not) runs the step."""
        return self.lane != "parent"


def _steps(evaluation, analyses: bool) -> list[_Step]:
    from evalkit.pipeline import LOADABLE

    specs = list(evaluation.analyses) if analyses else []
    parent_reads = {source for spec in specs if not _in_child(spec) for source in _sources(spec) or ()}
    child_reads = {source for spec in specs if _in_child(spec) for source in _sources(spec) or ()}

    def lane(kind: str) -> str:
        if kind in EARLY_KINDS:
            return "early"
        # a source only the parent's analyses read is loaded there: nothing to wait for, nothing to send back
        return "parent" if kind in LOADABLE or kind in parent_reads - child_reads else "child"

    steps = [("load", kind, lane(kind)) for kind in evaluation.data]
    steps += [("units", None, "parent"), ("panel", None, "parent")]
    if analyses:
        steps += [("analysis", spec, "child" if _in_child(spec) else "parent") for spec in evaluation.analyses]
    return [_Step(i, *s) for i, s in enumerate(steps)]


def _sources(spec) -> set[str] | None:
    """The ``[data.*]`` sources the analysis ``spec`` reads (None: an unknown kind or a malformed entry)."""
    from evalkit.kinds import KINDS

    kind = KINDS.get(spec.kind)
    if kind is None:
        return None
    try:
        return {need.source for need in kind.needs(spec)}
    except Exception:  # a malformed entry: the parent runs it and raises what the serial run raises
        return None


def _in_child(spec) -> bool:
    from evalkit.pipeline import LOADABLE

    sources = _sources(spec) if spec.kind in CHILD_KINDS else None
    return sources is not None and not sources & set(LOADABLE)


def _reads(spec) -> set[str] | None:
    """The ids of the results the analysis ``spec`` reads (``None``: unknown, it may read any earlier one)."""
    from evalkit.kinds import KINDS

    kind = KINDS.get(spec.kind)
    return None if kind is None or kind.results_read is None else kind.results_read(spec)


def _do(step: _Step, run) -> Outcome:
    """Run one step on ``run`` (loads put their table in ``run.tables``), its warnings and error recorded."""
    from evalkit import pipeline

    ev = run.evaluation
    if step.what == "load":
        outcome = capture(lambda: pipeline.load_sources(replace(ev, data={step.key: ev.data[step.key]})))
        # None for the sources analyses read themselves (audit, cfir): the serial run has no table for them
        outcome.value = (outcome.value or {}).get(step.key)
        if outcome.value is not None:
            run.tables[step.key] = outcome.value
        return outcome
    if step.what == "units":
        return capture(lambda: pipeline.check_units(ev, run.tables))
    if step.what == "panel":
        outcome = capture(lambda: pipeline.build_panel(ev, run.tables)
                          if "decisions" in run.tables or "staff" in run.tables else None)
        run.panel = outcome.value
        return outcome
    spec = step.key
    before = (dict(run.extra), dict(run.extra_sections))
    outcome = capture(lambda: pipeline.run_analysis(spec, run))
    outcome.extra = {k: v for k, v in run.extra.items() if k not in before[0] or before[0][k] is not v}
    outcome.extra_sections = {k: v for k, v in run.extra_sections.items()
                              if k not in before[1] or before[1][k] is not v}
    if outcome.error is None:
        run.results[spec.id] = outcome.value
    return outcome


def _drawn_ahead(result, evaluation, language: str):
    """The report's figure of ``result`` (:func:`evalkit.report._figures.prerender`), or None when drawing it
    warned or failed: the report then calls ``plot()`` itself, so its warnings and errors come where they did."""
    from evalkit.kinds import disclosure_of
    from evalkit.report._figures import prerender

    drawn = capture(lambda: prerender(result, language, disclosure_of(evaluation)))
    return drawn.value if drawn.error is None and not drawn.warnings else None


def _child_work(evaluation, steps: list[_Step], figures: str | None = None, tables: dict | None = None
                ) -> Callable:
    def work(send: Callable[[Any], None]) -> None:
        from evalkit.pipeline import Run

        run = Run(evaluation=evaluation, tables=dict(tables or {}))
        for step in steps:
            outcome = _do(step, run)
            try:
                send((step.index, _picklable(outcome)))
            except Exception:  # not picklable: the parent runs this step itself
                send((step.index, None))
            if outcome.error is not None:
                return  # the serial run stops here; the parent raises it in its place
        # then, while the parent still works, the figures (what the parent does not wait for: see _Merge.finish)
        for step in steps:
            if figures and step.what == "analysis":
                drawn = _drawn_ahead(run.results[step.key.id], evaluation, figures)
                if drawn is not None:
                    send(("figure", step.key.id, drawn))
    return work


# -- the parent --------------------------------------------------------------------------------------------------

class _Merge:
    """The outcomes of all steps, issued (warnings, progress, errors) in serial order as they become known."""

    def __init__(self, steps: list[_Step], run, progress):
        self.steps, self.run, self.progress = steps, run, progress
        self.outcomes: dict[int, Outcome] = {}
        self.issued = 0
        self.child_steps = [s for s in steps if s.child]
        self.children: dict[str, _Child] = {}  # lane → its child, once forked
        self.alive: set[str] = set()
        self.figures: dict[str, Any] = {}

    def fork(self, lane: str, work: Callable) -> None:
        self.children[lane] = _Child(work)
        self.alive.add(lane)

    @property
    def child(self) -> _Child | None:
        """The child that runs analyses and draws figures ahead."""
        return self.children.get("child")

    def close(self) -> None:
        for child in self.children.values():
            child.close()

    @property
    def failed(self) -> int | None:
        """The index of the first failed step known so far."""
        return min((i for i, o in self.outcomes.items() if o.error is not None), default=None)

    def add(self, step: _Step, outcome: Outcome) -> None:
        self.outcomes[step.index] = outcome
        if step.what == "load" and outcome.error is None and outcome.value is not None:
            self.run.tables[step.key] = outcome.value
        self._issue()

    def wait_for(self, last: int, ids: set[str] | None = None) -> None:
        """Receive the child's outcomes of every step up to index ``last`` (only the analyses ``ids`` if given)."""
        while any(s.index <= min(last, len(self.steps) if self.failed is None else self.failed)
                  and s.index not in self.outcomes and (ids is None or s.what == "analysis" and s.key.id in ids)
                  for s in self.child_steps):
            self._receive_one()

    def wait_for_lane(self, lane: str) -> None:
        """Receive the outcomes of every step of ``lane`` (up to the first failure known)."""
        while any(s.lane == lane and s.index not in self.outcomes and (self.failed is None or s.index <= self.failed)
                  for s in self.child_steps):
            self._receive_one(lane)

    def before_analysis(self, step: _Step) -> None:
        """Wait for what the analysis of ``step`` reads; leave ``run.results`` holding the results before it."""
        reads = _reads(step.key)
        earlier = {s.key.id for s in self.steps if s.what == "analysis" and s.index < step.index}
        if reads is None or not reads <= earlier:  # unknown, or an error naming the results there are
            self.wait_for(step.index)
        elif reads:
            self.wait_for(step.index, reads)
        self.run.results = self.results_before(step.index)

    def _receive_one(self, lane: str | None = None) -> None:
        # each child sends its steps in serial order, so the first step missing is the next one its child sends
        missing = next(s for s in self.child_steps if s.index not in self.outcomes and lane in (None, s.lane))
        child = self.children.get(missing.lane)
        if missing.lane in self.alive:
            try:
                message = child.receive()
                while message[0] == "figure":
                    self.figures[message[1]] = message[2]
                    message = child.receive()
            except (_Gone, OSError, EOFError, pickle.UnpicklingError):
                self.alive.discard(missing.lane)
            else:
                index, outcome = message
                step = self.steps[index]
                self.add(step, outcome if outcome is not None else _do(step, self._state_before(step)))
                return
        self.add(missing, _do(missing, self._state_before(missing)))  # the child is gone: run it here

    def _state_before(self, step: _Step):
        """The run as a step of the child lane sees it: the tables loaded so far, results before it."""
        self.run.results = self.results_before(step.index)
        return self.run

    def results_before(self, index: int) -> dict:
        return {s.key.id: self.outcomes[s.index].value for s in self.steps
                if s.what == "analysis" and s.index < index and s.index in self.outcomes
                and self.outcomes[s.index].error is None}

    def _issue(self) -> None:
        while self.issued in self.outcomes:
            step, outcome = self.steps[self.issued], self.outcomes[self.issued]
            if step.what == "analysis" and self.progress is not None:
                self.progress(step.key)
            replay(outcome)
            if outcome.error is not None:
                raise outcome.error
            self.issued += 1

    def _ready(self) -> bool:
        import select

        return "child" in self.alive and bool(select.select([self.child.pipe], [], [], 0)[0])

    def finish(self):
        """The run with its tables, results and extra sections in the serial order, and the figures the child
        has drawn by now (it is stopped after: the report draws the others, the parent does not wait)."""
        with contextlib.suppress(_Gone, OSError, EOFError, pickle.UnpicklingError):
            while self._ready():
                message = self.child.receive()
                self.figures[message[1]] = message[2]
        run = self.run
        run.tables = {s.key: run.tables[s.key] for s in self.steps if s.what == "load" and s.key in run.tables}
        run.results = self.results_before(len(self.steps))
        extra, sections = {}, {}
        for s in self.steps:
            extra.update(self.outcomes[s.index].extra)
            sections.update(self.outcomes[s.index].extra_sections)
        run.extra, run.extra_sections = extra, sections
        run.figures = {s.key.id: self.figures[s.key.id] for s in self.steps
                       if s.what == "analysis" and s.key.id in self.figures}
        return run


def run(evaluation, analyses: bool = True, progress: Callable | None = None, figures: str | None = None):
    """:func:`evalkit.pipeline.run` on two processes, with the serial run's tables, results, warnings and errors.

    ``progress(spec)`` is called before each analysis's warnings are issued, in config order. With ``figures``
    (a report language) the child draws the figures of the analyses it ran for that report (``Run.figures``),
    beside the parent's remaining analyses.
    """
    from evalkit.pipeline import Run

    import importlib

    steps = _steps(evaluation, analyses)
    out = Run(evaluation=evaluation, tables={})
    merge = _Merge(steps, out, progress)
    try:
        early = [s for s in steps if s.lane == "early"]
        if early:
            merge.fork("early", _child_work(evaluation, early))
        for name in SHARED_IMPORTS:
            importlib.import_module(name)
        merge.wait_for_lane("early")  # the early tables, for the child
        lane = [s for s in steps if s.lane == "child"]
        if lane:  # forked with the early tables, which its analyses may read (the survey's)
            merge.fork("child", _child_work(evaluation, lane, figures, dict(out.tables)))
        # the panel reads only the parent's tables, so it is built before the units check waits for the child's
        order = sorted((s for s in steps if not s.child), key=lambda s: (s.what != "load", s.what != "panel", s.index))
        for step in order:
            if merge.failed is not None and step.index > merge.failed:
                continue  # the serial run stops at the first failure: what comes after it does not matter
            if step.what == "units":
                merge.wait_for(step.index)  # every table is needed
            elif step.what == "analysis":
                merge.before_analysis(step)
            merge.add(step, _do(step, out))
        merge.wait_for(len(steps))  # raises the first failure, in serial order, if there is one
        if merge.failed is not None:  # pragma: no cover - every step before the failure has been issued
            raise AssertionError("a failed step was not raised")
        return merge.finish()
    finally:
        merge.close()
