"""Implementation: the model's core components, fidelity, RE-AIM/Proctor outcomes and the strategy log.

Analysis level (DESIGN.md): takes canonical tables, returns result objects; imports no io or report.

* :class:`Model` — core components (kärnkomponenter) and how each is observed; built-ins ``ibic``,
  ``rehab``, ``ip``.
* :func:`fidelity` → :class:`FidelityResult`; :func:`implementation_outcomes` → :class:`ImplementationResult`.
* :func:`load_strategies` → :class:`StrategyLog`; :func:`mark_strategies` draws it on a time-series plot.
* :mod:`~evalkit.implementation.cfir` (``ek.cfir``) — CFIR 2.0 codebook, memos and rating forms per unit ×
  construct, ratings, agreement, the construct × unit matrix and the distinguishing constructs
  (:class:`CFIRResult`). It writes files only through its rating-form writer, as :mod:`evalkit.audit`
  does, and only ``cfir.py`` touches :mod:`evalkit.io` (the codebook as Codings and the REFI-QDA writer).
* :func:`score_instrument` (``ek.score_instrument``) — NoMAD, S-NoMAD, AIM/IAM/FIM; :func:`instrument_alpha`,
  :func:`compare_instrument`.
"""
from __future__ import annotations

from evalkit.implementation.fidelity import FidelityResult, fidelity
from evalkit.implementation.model import Component, Condition, Model, Observation
from evalkit.implementation.reach import ImplementationResult, implementation_outcomes
from evalkit.implementation.strategies import StrategyLog, eric_strategies, load_strategies, mark_strategies

from evalkit.implementation import cfir
from evalkit.implementation.cfir import CFIRResult
from evalkit.implementation.instruments import (INSTRUMENTS, Instrument, InstrumentResult, compare_instrument,
                                                instrument_alpha, load_instrument, run_instrument, score_instrument)

__all__ = [
    "Model", "Component", "Condition", "Observation",
    "fidelity", "FidelityResult",
    "implementation_outcomes", "ImplementationResult",
    "load_strategies", "StrategyLog", "mark_strategies", "eric_strategies",
    "cfir", "CFIRResult", "score_instrument", "instrument_alpha", "compare_instrument", "load_instrument",
    "Instrument", "INSTRUMENTS", "InstrumentResult", "run_instrument",
]
