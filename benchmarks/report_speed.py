"""How long does a full report take? ~20 results, each with a table and a figure (+ appendix tables).

Run: ``.venv/bin/python benchmarks/report_speed.py [n_results]``

Prints the wall and CPU time of each step — drawing the figures to PNG (1 and 2 worker processes),
disclosure control + formatting of every table, the Word document, the Excel
appendix — and the whole ``Report.save``. Target (issue 4): under 8 s for the
whole sample report on 2 cores.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from evalkit import i18n  # noqa: E402
from evalkit.report import Report, TableSpec  # noqa: E402
from evalkit.report._blocks import Figure, Table  # noqa: E402
from evalkit.report._figures import render_all  # noqa: E402
from evalkit.report._format import format_table  # noqa: E402


class BenchResult:
    """A result with a 48-month series figure, a 30-row unit table and a detail table."""

    def __init__(self, i: int, rng: np.random.Generator):
        self.title = f"Utfall {i + 1}"
        self.months = pd.date_range("2015-01-01", periods=48, freq="MS")
        self.series = 20 + np.cumsum(rng.normal(0, 1, 48))
        units = [f"Enhet {j + 1}" for j in range(30)]
        n = rng.integers(1, 400, 30)
        yes = (n * rng.uniform(0.3, 0.9, 30)).astype(int)
        self.table = pd.DataFrame({"Enhet": units, "Ja": yes, "Nej": n - yes, "Totalt": n, "Andel ja": yes / n})
        self.detail = pd.DataFrame({"Månad": self.months, "Värde": self.series})

    def sentences(self, language):
        return [f"{self.title} ändrades med {i18n.fmt_ci(1.23, 0.45, 2.01, 2, language)}."]

    def methods(self, language):
        return ["Segmenterad regression med Newey–West-standardfel."]

    def report_tables(self, language):
        spec = TableSpec(counts=("Ja", "Nej"), total_column="Totalt", percents={"Andel ja": "Totalt"},
                         numerators={"Andel ja": "Ja"})
        return [(self.title, self.table, spec), (f"{self.title} per månad", self.detail)]

    def plot(self):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(self.months, self.series, marker="o", markersize=3)
        ax.axvline(self.months[24], color="grey", linestyle="--")
        ax.yaxis.set_major_formatter(i18n.tick_formatter("sv"))
        ax.set_title(self.title)
        fig.tight_layout()
        return fig


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(fn):
    """Result, wall seconds and CPU seconds (own + finished worker processes) of ``fn()``."""
    wall, cpu = time.perf_counter(), _cpu()
    result = fn()
    return result, (time.perf_counter() - wall, _cpu() - cpu)


def main(n_results: int = 20) -> None:
    rng = np.random.default_rng(20240601)
    results, t_make = _timed(lambda: [BenchResult(i, rng) for i in range(n_results)])
    report = Report("Benchmark", language="sv", workers=2)
    _, t_add = _timed(lambda: [report.add(r) for r in results])
    blocks = report.blocks()
    tables = [b for b in blocks if isinstance(b, Table)]
    figures = [b.figure for b in blocks if isinstance(b, Figure)]
    _, t_format = _timed(lambda: [format_table(t, "sv", (5, 30)) for t in tables])
    _, t_fig1 = _timed(lambda: render_all(figures, 200, workers=1))
    _, t_fig2 = _timed(lambda: render_all(figures, 200, workers=2))
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "bench.docx"
        _, t_save = _timed(lambda: report.save(out, xlsx=Path(folder) / "bench.xlsx"))
        size = out.stat().st_size
        report.workers = 1
        _, t_save1 = _timed(lambda: report.save(out, xlsx=Path(folder) / "bench.xlsx"))
    # the Word and Excel steps on their own = whole save minus figures and formatting
    rows = [
        ("results built (plot() figures not yet drawn)", t_make),
        ("report.add ×%d (calls plot())" % n_results, t_add),
        ("disclosure control + formatting, %d tables" % len(tables), t_format),
        ("figures → PNG, %d figures, 1 process" % len(figures), t_fig1),
        ("figures → PNG, %d figures, 2 processes" % len(figures), t_fig2),
        ("Report.save docx+xlsx, 2 processes", t_save),
        ("Report.save docx+xlsx, 1 process", t_save1),
        ("  of which Word + Excel + zip (save − figures − formatting)",
         tuple(a - b - c for a, b, c in zip(t_save, t_fig2, t_format))),
        ("total, add + save (2 processes)", tuple(a + b for a, b in zip(t_add, t_save))),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  {'wall':>7}  {'cpu':>7}   (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)")
    for name, (wall, cpu) in rows:
        print(f"{name:<{width}}  {wall:6.2f}s  {cpu:6.2f}s")
    print(f"document size {size / 1e6:.2f} MB; target: whole report under 8 s wall on 2 cores")
    plt.close("all")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
