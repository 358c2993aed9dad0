"""Words of the CFIR rating form and the CFIR result, per language (sv, nb, en).

The words themselves are in table [cfir_form] of evalkit/locale/*.toml; these names keep the shapes the
form code indexes.
The rating definitions paraphrase the criteria of Damschroder & Lowery (2013, Implementation
Science 8:51) in evalkit's own words.
"""
from __future__ import annotations

from evalkit import i18n

SHEETS = i18n.by_language("cfir_form", "sheets")

#: form columns: canonical key -> header per language
HEADERS = i18n.by_key("cfir_form", "headers")

MISSING_LABEL = i18n.one("cfir_form", "missing_label")
#: the list values of the rating dropdown, in order; the last is the language's "missing"
RATING_CODES = ("+2", "+1", "0", "-1", "-2", "X", "missing")

RATING_DEFINITIONS = i18n.by_language("cfir_form", "rating_definitions")

FORM_TEXTS = i18n.by_language("cfir_form", "form_texts")

MORE_PASSAGES = i18n.one("cfir_form", "more_passages")

RESULT = i18n.by_key("cfir_form", "result")
