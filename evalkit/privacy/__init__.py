"""Privacy: refuse identifiable data, pseudonymise identifiers, control disclosure.

* :func:`scan_identifiers`, :func:`check_identifiers`, :func:`classify_number` —
  find Swedish personnummer/samordningsnummer and Norwegian fødselsnummer,
  D-, H- and synthetic numbers anywhere in a table (the loaders' privacy gate).
* :class:`Gate`, :func:`check_values`, :func:`check_config`, :func:`check_path` — the
  whole-file gate: skipped rows, other sheets, comments, labels, metadata,
  config strings and file names; :func:`redact`, :func:`safe_value` keep numbers
  out of messages.
* :func:`pseudonymise` — replace identifiers by keyed hashes (HMAC-SHA256).
* :class:`Disclosure`, :func:`suppress_counts`, :func:`suppress_percentages`,
  :func:`protect`, :func:`audit_intervals` — disclosure control for every
  published number ("..", with optimal secondary suppression where totals are
  shown, and the attacker's LP that audits it).
"""
from __future__ import annotations

from evalkit.privacy._disclosure import (
    SUPPRESSED,
    Disclosure,
    Suppression,
    audit_intervals,
    protect,
    suppress_counts,
    suppress_percentages,
)
from evalkit.privacy._identifiers import (
    KINDS,
    NUMBER_RANGE,
    TOKEN_PREFILTER,
    IdentifierHit,
    check_identifiers,
    classify_number,
    compact_rows,
    normalise_text,
    scan_identifiers,
)
from evalkit.privacy._gate import (
    WITHHELD_FILE,
    Gate,
    check_config,
    check_path,
    check_values,
    holds_identifier,
    identifier_kinds,
    redact,
    safe_path,
    safe_value,
)
from evalkit.privacy._pseudonymise import normalise_identifier, pseudonymise

__all__ = [
    "KINDS",
    "NUMBER_RANGE",
    "TOKEN_PREFILTER",
    "SUPPRESSED",
    "Disclosure",
    "Suppression",
    "audit_intervals",
    "protect",
    "suppress_counts",
    "suppress_percentages",
    "IdentifierHit",
    "check_identifiers",
    "classify_number",
    "compact_rows",
    "normalise_identifier",
    "pseudonymise",
    "scan_identifiers",
    "normalise_text",
    "Gate",
    "WITHHELD_FILE",
    "check_config",
    "check_path",
    "check_values",
    "holds_identifier",
    "identifier_kinds",
    "redact",
    "safe_path",
    "safe_value",
]
