"""evalkit: evaluate changes to municipal elderly and disability care.

>>> import evalkit as ek
>>> ek.__version__ >= "0.1"
True
"""
from __future__ import annotations

from evalkit.errors import (
    AnalysisError,
    AnalysisWarning,
    ConfigError,
    DataError,
    DataWarning,
    EvalkitError,
    EvalkitWarning,
    IdentifierError,
    ReportError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "EvalkitError",
    "DataError",
    "IdentifierError",
    "ConfigError",
    "AnalysisError",
    "ReportError",
    "EvalkitWarning",
    "DataWarning",
    "AnalysisWarning",
]
