"""Wall and CPU time and peak memory of `evalkit report` on the sample municipality, raw files → .docx/.xlsx.

Run: ``.venv/bin/python benchmarks/report_pipeline.py [--runs N] [--serial] [config ...]`` (default: the three
sample configs, one run each; ``--runs 3`` prints the median of three).

Each run is a fresh interpreter doing what ``evalkit report`` does (imports counted, as a user's command pays
for them): load every source, build the outcome panel, run every analysis — as the CLI does, beside forked
children (``pipeline.run(parallel=True)``: an early child loads the pandas-only sources during the imports, a
second one the other independent loaders and analyses), each step's wall time listed under the process that ran
it ("child" for either child); with ``--serial`` one after another, each step timed on its own —, build the
report (sentences, tables, ``plot()``), then one ``save`` with the Excel appendix. The benchmarked process
reports each step's wall time and its own CPU time (``time.process_time``); the whole run's CPU time is its user
+ system time as this script's ``wait4`` sees it, which includes every forked child and figure worker. Peak
memory: the process's own high-water mark (``VmHWM``) and the largest of its children's (``ru_maxrss``).

Steps: imports; ``load <source>`` per data source (a loader's lazy imports count towards it); panel;
``analysis <id>`` per analysis (its lazy imports count towards the first analysis that needs them); report
blocks + ``plot()``; and the save split into disclosure control + table formatting, figures → PNG, Word
layout, Word zip, Excel appendix. The process ends as the ``evalkit`` program does (``evalkit.cli.leave``: exit
handlers, then no interpreter teardown), so "process wall (outside)" is what a user waits for. Before the runs
evalkit's bytecode is brought up to date (``compileall``, as ``make env`` and pip do), so the runs measure the
installed package and not the first run after an edit. The machine is shared, so the load average
(``/proc/loadavg``) before and after each run is printed: wall times are upper bounds, CPU times the robust
figure.
Target (issue 14, item 7): the IBIC report ≤ 8 s wall and ≤ 3 GB peak.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data_samples" / "exempelkommun"

CHILD = r'''
import json, sys, tempfile, time, warnings
T = {}
def clock():
    return time.perf_counter(), time.process_time()
def since(key, start):
    w, c = clock()
    T[key] = [w - start[0], c - start[1]]
start = t0 = clock()
import evalkit as ek
from evalkit import pipeline
since("imports", start)
import dataclasses
warnings.simplefilter("ignore")
ev = ek.Evaluation.from_toml(sys.argv[1])
if sys.argv[2] == "serial":  # each step in turn, timed one by one
    tables = {}
    for kind, source in ev.data.items():
        start = clock()
        tables.update(pipeline.load_sources(dataclasses.replace(ev, data={kind: source})))
        since(f"load {kind}", start)
    start = clock()
    pipeline.check_units(ev, tables)
    run = pipeline.Run(evaluation=ev, tables=tables)
    if "decisions" in tables or "staff" in tables:
        run.panel = pipeline.build_panel(ev, tables)
    since("panel", start)
    for spec in ev.analyses:
        start = clock()
        run.results[spec.id] = pipeline.run_analysis(spec, run)
        since(f"analysis {spec.id} ({spec.kind})", start)
else:  # what `evalkit report` does: the two-process run; each step's wall time in the process that ran it
    import os
    from evalkit import _parallel
    do, parent, steps = _parallel._do, os.getpid(), tempfile.mkstemp(suffix=".steps")[1]
    def traced(step, run):
        s = clock()
        try:
            return do(step, run)
        finally:
            name = step.what + (" " + str(getattr(step.key, "id", step.key)) if step.key is not None else "")
            with open(steps, "a") as fh:  # one short line per write: parent and child append to one file
                fh.write(json.dumps([("parent" if os.getpid() == parent else "child") + ": " + name,
                                     time.perf_counter() - s[0]]) + "\n")
    _parallel._do = traced
    start = clock()
    children = os.times()
    run = pipeline.run(ev, parallel=True, figures=ev.language)
    since("load + analyses (parent and child)", start)
    after = os.times()
    T["  CPU of the child (user + sys)"] = [after.children_user + after.children_system
                                          - children.children_user - children.children_system, None]
    with open(steps) as fh:
        for line in fh:
            name, wall = json.loads(line)
            T["    " + name] = [wall, None]
    os.unlink(steps)
start = clock(); report = pipeline.build_report(run); since("report blocks + plot()", start)

# the save, split by wrapping its parts (each wrapper adds its time to a step)
from evalkit.report import _report, _docx, _xlsx
def timed(key, fn):
    def wrapper(*args, **kwargs):
        s = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            w, c = clock()
            old = T.get(key, [0.0, 0.0])
            T[key] = [old[0] + w - s[0], old[1] + c - s[1]]
    return wrapper
_report.format_table = timed("save: disclosure + formatting", _report.format_table)
_report.render_all = timed("save: figures → PNG", _report.render_all)
_docx.DocxRenderer.render = timed("save: Word layout", _docx.DocxRenderer.render)
_xlsx.write_workbook = timed("save: Excel appendix", _xlsx.write_workbook)
out = tempfile.mkdtemp()
start = clock(); report.save(out + "/r.docx", xlsx=out + "/r.xlsx"); since("save (all)", start)
parts = sum(T[k][0] for k in T if k.startswith("save: "))
T["save: rest (template, Word zip)"] = [T["save (all)"][0] - parts, T["save (all)"][1] - sum(
    T[k][1] for k in T if k.startswith("save: "))]
since("total", t0)
with open("/proc/self/status") as fh:
    hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
import resource
T["peak RSS MiB (self, workers)"] = [hwm / 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]
print(json.dumps(T))
from evalkit.cli import leave  # the process ends as the `evalkit` program ends (no interpreter teardown)
leave(0)
'''


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run_once(config: str, mode: str = "parallel") -> dict:
    """One fresh-process run: the child's step times and its wall time seen from outside."""
    before = _loadavg()
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, config, mode], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - start
    if child.returncode:
        raise RuntimeError(f"{Path(config).name} failed:\n{stderr[-3000:]}")
    times = json.loads(stdout.strip().splitlines()[-1])
    times["process wall (outside)"] = [wall, None]
    times["load average before → after"] = f"{before} → {_loadavg()}"
    return times


def _cpu_of_children() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> None:
    runs, mode = 1, "parallel"
    if "--serial" in argv:
        argv, mode = [a for a in argv if a != "--serial"], "serial"
    if "--runs" in argv:
        i = argv.index("--runs")
        runs = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    import compileall

    compileall.compile_dir(str(ROOT / "evalkit"), quiet=1)
    configs = argv or [str(SAMPLE / f"{n}.toml") for n in ("ibic", "rehab_pilot", "flexible_codes")]
    for config in configs:
        results = []
        for _ in range(runs):
            cpu0 = _cpu_of_children()
            try:
                times = run_once(config, mode)
            except RuntimeError as exc:
                print(f"\n{exc}")
                break
            times["process CPU user+sys (outside)"] = [_cpu_of_children() - cpu0, None]
            results.append(times)
        if not results:
            continue
        print(f"\n{Path(config).name} ({mode}): {len(results)} run(s), median; wall s / CPU s of the benchmarked "
              "process's own thread")
        for key in results[0]:
            values = [r[key] for r in results if key in r]
            if isinstance(values[0], str):
                print(f"  {key:<44} " + " | ".join(values))
                continue
            wall = statistics.median(v[0] for v in values)
            cpu = [v[1] for v in values if v[1] is not None]
            cpu_text = f"{statistics.median(cpu):7.2f}" if cpu else ""
            spread = f"   (runs: {', '.join(f'{v[0]:.2f}' for v in values)})" if len(values) > 1 else ""
            print(f"  {key:<44} {wall:7.2f} {cpu_text}{spread}")


if __name__ == "__main__":
    main(sys.argv[1:])
