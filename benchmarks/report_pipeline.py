"""Wall time of `evalkit report` on the sample municipality, raw files → .docx/.xlsx, split by step.

Run: ``.venv/bin/python benchmarks/report_pipeline.py [config ...]`` (default: the three sample configs).

Each config runs in a fresh interpreter so that imports are counted, as a user's command pays for them.
Steps: imports, load (read + privacy gate + validation), outcome panel, analyses, figures (``plot()`` of every
result, drawn to PNG), Word document, Excel appendix. Target (issue 4): under 8 s for the whole process.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data_samples" / "exempelkommun"

CHILD = r'''
import json, sys, tempfile, time, warnings
t0 = time.perf_counter()
import pandas, matplotlib; matplotlib.use("Agg")
import evalkit as ek
from evalkit import pipeline
from evalkit.report import _report
from evalkit.report._figures import render_all
import evalkit.analysis.its, evalkit.analysis.did, evalkit.outcomes, evalkit.report._docx, evalkit.report._xlsx
t = {"imports": time.perf_counter() - t0}
warnings.simplefilter("ignore")
ev = ek.Evaluation.from_toml(sys.argv[1])
s = time.perf_counter(); tables = pipeline.load_sources(ev); t["load"] = time.perf_counter() - s
s = time.perf_counter(); panel = pipeline.build_panel(ev, tables); t["panel"] = time.perf_counter() - s
run = pipeline.Run(evaluation=ev, tables=tables, panel=panel)
s = time.perf_counter()
for spec in ev.analyses:
    run.results[spec.id] = pipeline.run_analysis(spec, run)
t["analyses"] = time.perf_counter() - s
s = time.perf_counter(); report = pipeline.build_report(run); t["report blocks + plot()"] = time.perf_counter() - s
out = tempfile.mkdtemp()
s = time.perf_counter(); report.save(out + "/r.docx"); t["figures + docx"] = time.perf_counter() - s
s = time.perf_counter(); report.save(out + "/r2.docx", xlsx=out + "/r2.xlsx"); both = time.perf_counter() - s
t["xlsx (save with xlsx − save without)"] = max(both - t["figures + docx"], 0.0)
t["total (one save with xlsx)"] = time.perf_counter() - t0 - t["figures + docx"]
print(json.dumps(t))
'''


def main(configs: list[str]) -> None:
    for config in configs:
        out = subprocess.run([sys.executable, "-c", CHILD, config], capture_output=True, text=True)
        if out.returncode:
            print(f"\n{Path(config).name}: failed\n{out.stderr[-3000:]}")
            continue
        times = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n{Path(config).name}")
        for step, seconds in times.items():
            print(f"  {step:<40} {seconds:6.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:] or [str(SAMPLE / f"{n}.toml") for n in ("ibic", "rehab_pilot", "flexible_codes")])
