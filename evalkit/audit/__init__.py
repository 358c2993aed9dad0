"""Case-file audits: sample decisions, make a review form, read it back, score it.

``draw`` → ``form`` → (reviewer fills in) → ``load_audit`` → ``score``; the pipeline
(``kind = "audit"`` in evaluation.toml) calls :func:`audit_analysis`.

* :mod:`evalkit.audit.sampling` – seeded simple/stratified samples with a JSON manifest
  (analysis-side: no file I/O except writing the manifest on request).
* :mod:`evalkit.audit.checklists` – checklists as data (``evalkit/data/checklists/*.toml``).
* :mod:`evalkit.audit.forms` – the .xlsx form: writing it and reading it back (the io side).
* :mod:`evalkit.audit.scoring` – compliance, comparisons, agreement (the analysis side; reads no files).

>>> import evalkit.audit as audit
>>> sorted(audit.BUILTIN)
['genomforandeplan', 'ibic', 'individuell_plan']
"""
from __future__ import annotations

from evalkit.audit.checklists import ANSWERS, BUILTIN, Checklist, load_checklist
from evalkit.audit.forms import form, load_audit
from evalkit.audit.pipeline import CONFIG_KEYS, audit_analysis
from evalkit.audit.sampling import AuditSample, allocate, draw, extend, from_manifest, redraw, sample_size
from evalkit.audit.scoring import AuditResult, score

#: Short alias: ``ek.audit.load(path, sample)`` is ``ek.load_audit(path, sample)``.
load = load_audit

__all__ = [
    "ANSWERS", "BUILTIN", "Checklist", "load_checklist",
    "AuditSample", "allocate", "draw", "extend", "from_manifest", "redraw", "sample_size",
    "form", "load_audit", "load",
    "AuditResult", "score",
    "audit_analysis", "CONFIG_KEYS",
]
