"""evalkit: evaluate changes to municipal elderly and disability care.

Loaders with a privacy gate (``read_table``, ``load_decisions`` …), outcome
panels, before/after statistics (``its``, ``did``), agreement and proportions,
decision audits, and the Word evaluation report.

Heavy dependencies (statsmodels, matplotlib, python-docx) are imported on first
use, so ``import evalkit`` and the command line start quickly.

>>> import evalkit as ek
>>> ek.__version__ >= "0.1"
True
"""
from __future__ import annotations

import importlib

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

# public name -> (module, attribute); attribute None means the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    "read_table": ("evalkit.io.read", "read_table"),
    "read_raw": ("evalkit.io.read", "read_raw"),
    "load_decisions": ("evalkit.io.decisions", "load_decisions"),
    "load_orders": ("evalkit.io.decisions", "load_orders"),
    "load_visits": ("evalkit.io.decisions", "load_visits"),
    "load_staff": ("evalkit.io.staff", "load_staff"),
    "load_staff_survey": ("evalkit.io.staff", "load_staff_survey"),
    "load_decisions_large": ("evalkit.io.register", "load_decisions_large"),
    "register_panel": ("evalkit.io.register", "register_panel"),
    "pseudonymise": ("evalkit.privacy", "pseudonymise"),
    "check_identifiers": ("evalkit.privacy", "check_identifiers"),
    "scan_identifiers": ("evalkit.privacy", "scan_identifiers"),
    "classify_number": ("evalkit.privacy", "classify_number"),
    "Report": ("evalkit.report", "Report"),
    "TableSpec": ("evalkit.report", "TableSpec"),
    "i18n": ("evalkit.i18n", None),
    "Evaluation": ("evalkit.config", "Evaluation"),
    "monthly_panel": ("evalkit.outcomes", "monthly_panel"),
    "staff_continuity": ("evalkit.outcomes", "staff_continuity"),
    "continuity_panel": ("evalkit.outcomes", "continuity_panel"),
    "staff_panel": ("evalkit.staff", "staff_panel"),
    "staff_summary": ("evalkit.staff", "staff_summary"),
    "staff_survey_analysis": ("evalkit.analysis.staff_survey", "staff_survey_analysis"),
    "score_staff_survey": ("evalkit.analysis.staff_survey", "score_staff_survey"),
    "its": ("evalkit.analysis.its", "its"),
    "ITSResult": ("evalkit.analysis.its", "ITSResult"),
    "did": ("evalkit.analysis.did", "did"),
    "DiDResult": ("evalkit.analysis.did", "DiDResult"),
    "EventStudyResult": ("evalkit.analysis.did", "EventStudyResult"),
    "agreement": ("evalkit.analysis.agreement", "agreement"),
    "proportion_ci": ("evalkit.analysis.proportions", "proportion_ci"),
    "newcombe_diff_ci": ("evalkit.analysis.proportions", "newcombe_diff_ci"),
    "load_audit": ("evalkit.audit", "load_audit"),
    "audit": ("evalkit.audit", None),
    "audit_analysis": ("evalkit.audit", "audit_analysis"),
    "load_survey": ("evalkit.io.surveys", "load_survey"),
    "Survey": ("evalkit.io.surveys", "Survey"),
    "Codebook": ("evalkit.io.surveys", "Codebook"),
    "load_codebook": ("evalkit.io.surveys", "load_codebook"),
    "cronbach_alpha": ("evalkit.analysis.scales", "cronbach_alpha"),
    "ScaleResult": ("evalkit.analysis.scales", "ScaleResult"),
    "survey_estimate": ("evalkit.analysis.surveys", "survey_estimate"),
    "design_share_positive": ("evalkit.analysis.surveys", "design_share_positive"),
    "cumulative_logit": ("evalkit.analysis.surveys", "cumulative_logit"),
    "share_positive": ("evalkit.analysis.surveys", "share_positive"),
    "compare_shares": ("evalkit.analysis.surveys", "compare_shares"),
    "ordinal_compare": ("evalkit.analysis.surveys", "ordinal_compare"),
    "paired_prepost": ("evalkit.analysis.surveys", "paired_prepost"),
    "survey_analysis": ("evalkit.analysis.surveys", "survey_analysis"),
    "SurveyResult": ("evalkit.analysis.surveys", "SurveyResult"),
    "paired_analysis": ("evalkit.analysis.surveys", "paired_analysis"),
    "PairedResult": ("evalkit.analysis.surveys", "PairedResult"),
    "item_scores": ("evalkit.analysis.surveys", "item_scores"),
    "load_codings": ("evalkit.io.codings", "load_codings"),
    "Codings": ("evalkit.io.codings", "Codings"),
    "ArchiveLimits": ("evalkit.io.codings", "ArchiveLimits"),
    "write_qdpx": ("evalkit.io.refi_write", "write_qdpx"),
    "write_qdc": ("evalkit.io.refi_write", "write_qdc"),
    "qualitative_analysis": ("evalkit.analysis.qualitative", "qualitative_analysis"),
    "QualitativeResult": ("evalkit.analysis.qualitative", "QualitativeResult"),
    "coding_agreement": ("evalkit.analysis.qualitative", "coding_agreement"),
    "joint_display": ("evalkit.analysis.qualitative", "joint_display"),
    "JointDisplay": ("evalkit.analysis.qualitative", "JointDisplay"),
    "mask_text": ("evalkit.analysis.quotes", "mask_text"),
    "cfir": ("evalkit.implementation.cfir", None),
    "CFIRResult": ("evalkit.implementation.cfir", "CFIRResult"),
    "score_instrument": ("evalkit.implementation.instruments", "score_instrument"),
    "select_quotes": ("evalkit.analysis.quotes", "select_quotes"),
    "Model": ("evalkit.implementation.model", "Model"),
    "fidelity": ("evalkit.implementation.fidelity", "fidelity"),
    "FidelityResult": ("evalkit.implementation.fidelity", "FidelityResult"),
    "implementation_outcomes": ("evalkit.implementation.reach", "implementation_outcomes"),
    "ImplementationResult": ("evalkit.implementation.reach", "ImplementationResult"),
    "load_strategies": ("evalkit.implementation.strategies", "load_strategies"),
    "StrategyLog": ("evalkit.implementation.strategies", "StrategyLog"),
    "mark_strategies": ("evalkit.implementation.strategies", "mark_strategies"),
    "implementation": ("evalkit.implementation", None),
    "report": ("evalkit.report", None),
    "blocks": ("evalkit.blocks", None),
    "pipeline": ("evalkit.pipeline", None),
    "provenance": ("evalkit.provenance", None),
    "schemas": ("evalkit.schemas", None),
    "privacy": ("evalkit.privacy", None),
    "outcomes": ("evalkit.outcomes", None),
}

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
    *_LAZY,
]


def __getattr__(name: str):
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
