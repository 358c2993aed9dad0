"""Case-file audits: sample decisions, make a review form, read it back, score it.

>>> import evalkit.audit as audit
>>> sorted(audit.BUILTIN)
['genomforandeplan', 'ibic', 'individuell_plan']
"""
from __future__ import annotations

from evalkit.audit.checklists import ANSWERS, BUILTIN, Checklist, load_checklist
from evalkit.audit.sampling import AuditSample, allocate, draw, extend, redraw, sample_size

__all__ = [
    "ANSWERS", "BUILTIN", "Checklist", "load_checklist",
    "AuditSample", "allocate", "draw", "extend", "redraw", "sample_size",
]
