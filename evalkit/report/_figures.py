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
"""
from __future__ import annotations

import io
import multiprocessing

import matplotlib

from evalkit.errors import ReportError

__all__ = ["DEFAULT_DPI", "figure_png", "render_all"]

DEFAULT_DPI = 200


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


def render_all(figures, dpi: int = DEFAULT_DPI, workers: int = 1) -> list[bytes]:
    """PNG bytes of every figure, in order; ``workers > 1`` draws them in forked processes.

    The bytes do not depend on ``workers``.
    """
    global _PENDING, _PENDING_DPI
    figures = list(figures)
    # a fixed hash salt keeps SVG ids stable should a figure embed SVG-derived artists
    with matplotlib.rc_context({"svg.hashsalt": "evalkit"}):
        if workers <= 1 or len(figures) < 4 or "fork" not in multiprocessing.get_all_start_methods():
            return [figure_png(f, dpi) for f in figures]
        _PENDING, _PENDING_DPI = figures, dpi
        try:
            with multiprocessing.get_context("fork").Pool(min(workers, len(figures))) as pool:
                return pool.map(_render_pending, range(len(figures)), chunksize=1)
        finally:
            _PENDING = []
