"""Matplotlib figures → PNG bytes, at a fixed dpi and byte-for-byte reproducible.

python-docx sizes a picture from its dpi metadata when no width is given
(72 dpi fallback, ~33 % size errors, python-docx #995), so the Word renderer
always passes an explicit width; here the pixel density is fixed so that the
picture is sharp at that width. PNG text chunks carry the matplotlib version
("Software"), which would make two builds differ; it is removed. Rendering is
the slow step of a report (≈ 0.2 s a figure), so :func:`render_all` can spread
it over worker threads.
"""
from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

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


def render_all(figures, dpi: int = DEFAULT_DPI, workers: int = 1) -> list[bytes]:
    """PNG bytes of every figure, in order (``workers > 1`` renders in threads).

    Agg releases the GIL for much of its rasterising, and each figure has its own
    canvas, so distinct figures can be drawn concurrently.
    """
    figures = list(figures)
    # a fixed hash salt keeps SVG ids stable should a figure embed SVG-derived artists;
    # set once here, not per thread, because rcParams are global
    with matplotlib.rc_context({"svg.hashsalt": "evalkit"}):
        if workers <= 1 or len(figures) < 2:
            return [figure_png(f, dpi) for f in figures]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda f: figure_png(f, dpi), figures))
