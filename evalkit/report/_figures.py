"""Matplotlib figures → PNG bytes, at a fixed dpi and byte-for-byte reproducible.

python-docx sizes a picture from its dpi metadata when no width is given
(72 dpi fallback, ~33 % size errors, python-docx #995), so the Word renderer
always passes an explicit width; here the pixel density is fixed so that the
picture is sharp at that width. PNG text chunks carry the matplotlib version
("Software"), which would make two builds differ; it is removed. Rendering is
the slow step of a report (≈ 0.2 s a figure), so :func:`render_all` spreads it
over worker processes where the platform can fork (Linux): the workers inherit
the figures from the parent, so nothing but the PNG bytes crosses a process
boundary. Threads would not help — Agg holds the GIL while drawing (measured in
``benchmarks/report_speed.py``). Where fork is unavailable (Windows, macOS
default) the figures are drawn one after another.

:class:`EarlyRenders` starts drawing sooner: the report hands it each result's figure as soon as the
figure is finished, and a forked child draws the figures queued so far while the report goes on with
the next result (a second child takes the last figures while the tables are formatted); :func:`render_all` then only collects the
bytes (same function, same dpi, same bytes). On two cores this takes the drawing (≈ 2.7 s CPU for the
12 figures of the sample IBIC report) off the critical path.
"""
from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import struct
import tempfile
import weakref

import matplotlib

from evalkit.errors import ReportError

__all__ = ["DEFAULT_DPI", "figure_png", "render_all", "EarlyRenders", "Beside", "Prerendered"]

DEFAULT_DPI = 200


class Prerendered:
    """A result's figure already drawn to PNG elsewhere (by the forked child of :mod:`evalkit._parallel`, which
    ran the analysis), standing in for the matplotlib Figure in a report: :func:`figure_png` gives its bytes.

    Made by :func:`prerender` with the same ``plot()`` call, the same rules and dpi the report uses, so the
    bytes are those the report would draw. Only at the dpi it was drawn at.
    """

    axes = ()

    def __init__(self, png: bytes | None, dpi: int, withheld: bool, language: str):
        self.png, self.dpi, self.evalkit_withheld, self.language = png, int(dpi), bool(withheld), language

    def savefig(self, buffer, format="png", dpi=None, **_):
        if format != "png" or dpi != self.dpi or self.png is None:
            raise ValueError(f"a figure drawn ahead at {self.dpi} dpi cannot be drawn again (at {dpi} dpi)")
        buffer.write(self.png)


def prerender(result, language: str, disclosure, dpi: int = DEFAULT_DPI) -> Prerendered | None:
    """``result``'s figure as the report would place it (no decoration): :class:`Prerendered`, or None when it
    has none. Raises what ``plot()`` or drawing raises (the caller then leaves the figure to the report)."""
    from evalkit.privacy._disclosure import is_withheld
    from evalkit.report._report import _detach_from_pyplot, _is_figure, _plot

    figure = _plot(result, language, disclosure)
    if figure is None or not _is_figure(figure):
        return None
    _detach_from_pyplot(figure)
    if is_withheld(figure):
        return Prerendered(None, dpi, True, language)
    with matplotlib.rc_context({"svg.hashsalt": "evalkit"}):
        return Prerendered(figure_png(figure, dpi), dpi, False, language)


def figure_png(figure, dpi: int = DEFAULT_DPI) -> bytes:
    """Render a matplotlib Figure to PNG bytes without metadata that varies between runs.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(4, 3)); _ = ax.plot([1, 2], [3, 4])
    >>> figure_png(fig) == figure_png(fig)
    True
    >>> plt.close(fig)
    """
    if not hasattr(figure, "savefig"):
        raise ReportError(f"a figure must be a matplotlib Figure, got {type(figure).__name__}")
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    except (ValueError, RuntimeError, OverflowError) as exc:
        raise ReportError(f"could not draw a figure ({type(exc).__name__}: {exc})") from exc
    return buffer.getvalue()


#: Figures handed to forked workers (set just before the pool forks, cleared after).
_PENDING: list = []
_PENDING_DPI = DEFAULT_DPI


def _render_pending(index: int) -> bytes:
    return figure_png(_PENDING[index], _PENDING_DPI)


def render_all(figures, dpi: int = DEFAULT_DPI, workers: int = 1, early: "EarlyRenders | None" = None
               ) -> list[bytes]:
    """PNG bytes of every figure, in order; ``workers > 1`` draws them in forked processes.

    ``early`` holds figures already drawn (or being drawn) by :class:`EarlyRenders`; their bytes are
    taken from it, the rest are drawn here. The bytes do not depend on ``workers`` or ``early``.
    """
    global _PENDING, _PENDING_DPI
    figures = list(figures)
    done = early.collect(figures, dpi) if early is not None else {}
    todo = [f for f in figures if id(f) not in done]
    # a fixed hash salt keeps SVG ids stable should a figure embed SVG-derived artists
    with matplotlib.rc_context({"svg.hashsalt": "evalkit"}):
        if workers <= 1 or len(todo) < 4 or not _can_fork():
            drawn = [figure_png(f, dpi) for f in todo]
        else:
            _PENDING, _PENDING_DPI = todo, dpi
            try:
                with multiprocessing.get_context("fork").Pool(min(workers, len(todo))) as pool:
                    drawn = pool.map(_render_pending, range(len(todo)), chunksize=1)
            finally:
                _PENDING = []
    done.update(zip((id(f) for f in todo), drawn))
    return [done[id(f)] for f in figures]


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class EarlyRenders:
    """Figures drawn to PNG in a forked child while the report is still being assembled.

    :meth:`add` queues a finished figure; whenever no child is drawing, one is forked for everything
    queued; :meth:`flush` forks a second one for the rest while the report formats its tables. A child
    writes its PNGs to a temporary file and exits; :meth:`collect` waits for the children still drawing
    and returns what was drawn. Only figures nothing will change any more belong here
    (the report adds the figures it made from results' ``plot()``, after decorating them): a child draws
    the figure as it was when the child forked. A child that fails leaves its figures to be drawn again
    by :func:`render_all`, which raises the error as before. Without fork this does nothing.

    Parameters
    ----------
    dpi : int
        Pixel density of the PNGs (the report's); :meth:`collect` ignores renders at another dpi.
    """

    def __init__(self, dpi: int = DEFAULT_DPI):
        self.dpi = int(dpi)
        self._queue: list = []
        self._running: list[tuple] = []         # (pid, path, figures, finalizer) of each child drawing
        self._done: dict[int, tuple] = {}       # id(figure) -> (figure, dpi, png); the figure keeps the id valid

    def add(self, figure) -> None:
        """Queue ``figure`` (finished: nothing may change it afterwards) and start a child if none is drawing.

        One child at a time while the report is assembled: the parent is busy too.
        """
        if not _can_fork() or isinstance(figure, Prerendered):  # a figure drawn ahead needs no child
            return
        self._queue.append(figure)
        self._reap(block=False)
        if not self._running:
            self._start()

    def flush(self) -> None:
        """Start a second child for what is queued (the report calls it before formatting its tables)."""
        self._reap(block=False)
        if len(self._running) < 2:
            self._start()

    def collect(self, figures, dpi: int) -> dict[int, bytes]:
        """PNG bytes, by ``id``, of those of ``figures`` drawn at ``dpi``; waits for the children drawing."""
        self._queue = []  # what is still queued is drawn by render_all
        self._reap(block=True)
        wanted = {id(f) for f in figures}
        return {key: png for key, (fig, at, png) in self._done.items() if key in wanted and at == dpi}

    def _reap(self, block: bool) -> None:
        still = []
        for pid, path, batch, finalizer in self._running:
            finished, status = os.waitpid(pid, 0 if block else os.WNOHANG)
            if not finished:
                still.append((pid, path, batch, finalizer))
                continue
            finalizer.detach()
            self._read(path, batch, status)
        self._running = still

    def _start(self) -> None:
        if not self._queue:
            return
        batch, self._queue = self._queue, []
        fd, path = tempfile.mkstemp(prefix="evalkit-figures-", suffix=".bin")
        try:
            pid = os.fork()
        except OSError:
            os.close(fd)
            os.unlink(path)
            return
        if pid == 0:  # the child: draw, write, leave without running the parent's exit handlers
            code = 1
            try:
                with os.fdopen(fd, "wb") as out, matplotlib.rc_context({"svg.hashsalt": "evalkit"}):
                    for figure in batch:
                        png = figure_png(figure, self.dpi)
                        out.write(struct.pack("<Q", len(png)) + png)
                code = 0
            finally:
                os._exit(code)
        os.close(fd)
        self._running.append((pid, path, batch, weakref.finalize(self, _reap, pid, path)))

    def _read(self, path: str, batch: list, status: int) -> None:
        try:
            if os.waitstatus_to_exitcode(status) != 0:
                return
            with open(path, "rb") as fh:
                data = fh.read()
            at = 0
            for figure in batch:
                if at + 8 > len(data):
                    return  # cut short: the rest is drawn again
                (size,) = struct.unpack_from("<Q", data, at)
                png = data[at + 8:at + 8 + size]
                if len(png) != size:
                    return
                self._done[id(figure)] = (figure, self.dpi, png)
                at += 8 + size
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _reap(pid: int, path: str) -> None:
    """Wait for a child left drawing when its :class:`EarlyRenders` was dropped, and remove its file."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class Beside:
    """``work()`` run in a forked child while the parent goes on (the report writes its Excel appendix so,
    beside the Word file); :meth:`join` waits and tells whether it succeeded.

    Nothing comes back but the exit status: ``work`` writes a file. When it failed (or fork is unavailable,
    :attr:`started` False) the caller runs ``work`` itself, so an error is raised in the parent as before.
    """

    def __init__(self, work):
        self.pid = None
        if not _can_fork():
            return
        try:
            pid = os.fork()
        except OSError:
            return
        if pid == 0:  # the child: work, then leave without the parent's exit handlers
            code = 1
            try:
                work()
                code = 0
            finally:
                os._exit(code)
        self.pid = pid

    @property
    def started(self) -> bool:
        return self.pid is not None

    def join(self) -> bool:
        """Wait for the child; True when ``work`` finished without an error."""
        if self.pid is None:
            return False
        pid, self.pid = self.pid, None
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return False
        return os.waitstatus_to_exitcode(status) == 0
