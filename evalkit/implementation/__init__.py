"""Implementation: the model's core components, fidelity, RE-AIM/Proctor outcomes and the strategy log.

Analysis level (DESIGN.md): takes canonical tables, returns result objects; imports no io or report.

* :class:`Model` — core components (kärnkomponenter) and how each is observed; built-ins ``ibic``,
  ``rehab``, ``ip``.
* :func:`fidelity` → :class:`FidelityResult`; :func:`implementation_outcomes` → :class:`ImplementationResult`.
* :func:`load_strategies` → :class:`StrategyLog`; :func:`mark_strategies` draws it on a time-series plot.
"""
from __future__ import annotations

from evalkit.implementation.fidelity import FidelityResult, fidelity
from evalkit.implementation.model import Component, Condition, Model, Observation
from evalkit.implementation.reach import ImplementationResult, implementation_outcomes
from evalkit.implementation.strategies import StrategyLog, eric_strategies, load_strategies, mark_strategies

# CFIR (cfir.py) and instrument scoring (instruments.py) are added here by their own branch.

__all__ = [
    "Model", "Component", "Condition", "Observation",
    "fidelity", "FidelityResult",
    "implementation_outcomes", "ImplementationResult",
    "load_strategies", "StrategyLog", "mark_strategies", "eric_strategies",
]
