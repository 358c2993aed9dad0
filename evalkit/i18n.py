"""Wording and number formatting in Swedish (``sv``), Norwegian bokmål (``nb``) and English (``en``).

Every sentence and label a reader sees comes from one message catalogue per language,
``evalkit/locale/<language>.toml`` (a table per namespace: ``[labels]``, ``[its]``, ``[did]`` …; values
are :meth:`str.format` templates), read once per process. :func:`translator`, :func:`text` and
:func:`label` look wording up; a key the language lacks is an error, never a silent fallback.
``tools/catalogue.py`` checks the three files agree and moves old-style word dicts into them
(tools/README.md).

One module formats every number evalkit shows a reader — report text, Word and
Excel tables, figure tick labels — so that a value reads the same everywhere.

Conventions (domain brief §7; Språkrådet's *Svenska skrivregler*; Språkrådet
(NO) for bokmål):

============  =====================  =====================  ==================
              sv                     nb                     en
============  =====================  =====================  ==================
decimal       comma ``15,3``         comma ``15,3``         point ``15.3``
thousands     ``12 800`` (U+202F)    ``12 800`` (U+202F)    ``12,800``
minus         ``−4,8`` (U+2212)      ``−4,8`` (U+2212)      ``-4.8``
percent       ``85 %`` (U+00A0)      ``85 %`` (U+00A0)      ``85%``
interval      ``0,89 (0,84–0,93)``   ``0,89 (0,84–0,93)``   ``0.89 (0.84–0.93)``
date          ``2025-06-16``         ``16.06.2025``         ``2025-06-16``
p-value       ``p < 0,001``          ``p < 0,001``          ``p < 0.001``
missing       ``..``                 ``..``                 ``..``
============  =====================  =====================  ==================

The thousands separator is U+202F NARROW NO-BREAK SPACE (:data:`THOUSANDS_SEP`)
— the "thin space" of Swedish and Norwegian typesetting that never breaks a
number across lines; Arial (Windows), Liberation Sans (LibreOffice) and DejaVu
Sans (matplotlib) all carry the glyph. The space before ``%`` is an ordinary
width no-break space, U+00A0 (:data:`PERCENT_SPACE`). Integers of four digits
get no separator in Swedish and Norwegian (``2024``, ``4500``) as the style
guides say; from five digits on they do (``12 800``).

An interval whose bound is negative is written with a word (``−1,2 till 0,3``)
because an en dash before a minus sign reads as a double minus — the same rule
:mod:`evalkit.analysis` uses in its sentences.

Examples
--------
>>> from evalkit.i18n import fmt_number, fmt_percent, fmt_ci
>>> fmt_number(12800.26, 1, "sv") == "12\\u202f800,3"
True
>>> fmt_percent(0.853, 0, "sv") == "85\\u00a0%"
True
>>> fmt_ci(0.891, 0.842, 0.931, 2, "sv")
'0,89 (0,84–0,93)'
>>> fmt_ci(0.891, 0.842, 0.931, 2, "en")
'0.89 (0.84–0.93)'
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import tomllib
import types
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

from evalkit.errors import ReportError

__all__ = [
    "LANGUAGES",
    "THOUSANDS_SEP",
    "PERCENT_SPACE",
    "MINUS",
    "MISSING",
    "SUPPRESSED",
    "LABELS",
    "label",
    "join_words",
    "text",
    "words",
    "Localized",
    "by_key",
    "by_language",
    "one",
    "in_language",
    "reason",
    "catalogue",
    "translator",
    "check_language",
    "fmt_number",
    "fmt_int",
    "fmt_percent",
    "fmt_ci",
    "fmt_interval",
    "fmt_date",
    "fmt_p",
    "fmt_value",
    "tick_formatter",
]

LANGUAGES = ("sv", "nb", "en")
#: Thousands separator in sv/nb: U+202F NARROW NO-BREAK SPACE.
THOUSANDS_SEP = "\u202f"
#: Space between a number and "%" in sv/nb: U+00A0 NO-BREAK SPACE.
PERCENT_SPACE = "\u00a0"
#: Minus sign in sv/nb: U+2212 MINUS SIGN (English keeps the ASCII hyphen-minus).
MINUS = "\u2212"
#: What a reader sees for a missing value (SCB legend: "uppgift saknas eller för osäker").
MISSING = ".."
#: What a reader sees for a value withheld by disclosure control (SCB legend, same sign).
SUPPRESSED = ".."

_COMMA_LANGUAGES = ("sv", "nb")

class Localized(str):
    """A user's text given in every language (``title = {sv = "…", nb = "…", en = "…"}`` in a config).

    It *is* the text in the evaluation's language — code that treats it as a ``str`` goes on
    working — and :func:`in_language` (or :meth:`in_language`) gives it in another.

    >>> t = Localized("Införandet av IBIC", {"sv": "Införandet av IBIC", "nb": "Innføringen av IBIC",
    ...                                      "en": "Introducing IBIC"})
    >>> t, in_language(t, "en"), in_language("Plain text", "en")
    ('Införandet av IBIC', 'Introducing IBIC', 'Plain text')
    """

    variants: dict

    def __new__(cls, text: str, variants: Mapping[str, str] | None = None):
        obj = super().__new__(cls, text)
        obj.variants = dict(variants or {})
        return obj

    def in_language(self, language: str) -> str:
        return self.variants.get(check_language(language), str(self))


def in_language(text: Any, language: str) -> Any:
    """``text`` in ``language`` when it is :class:`Localized`; any other value unchanged."""
    return text.in_language(language) if isinstance(text, Localized) else text


def check_language(language: str) -> str:
    """Return ``language`` if it is one of :data:`LANGUAGES`, else raise :class:`ReportError`."""
    if language not in LANGUAGES:
        raise ReportError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return language


def label(key: str, language: str = "sv", **values: Any) -> str:
    """The text of label ``key`` (table ``[labels]`` of the catalogue) in ``language``, with ``{placeholders}``
    filled from ``values``.

    >>> label("table", "nb"), label("source", "en")
    ('Tabell', 'Source')
    >>> label("rows_sentence", "en", name="a.csv", read=3, kept=2, excluded=1)
    'a.csv: 3 rows read, 2 kept and 1 excluded.'
    """
    return text("labels", key, language, **values)


def join_words(words: Sequence[str], language: str = "sv") -> str:
    """``a``, ``a och b``, ``a, b och c``: a list in running text (no serial comma, as sv/nb write it, and
    the British style the English catalogue follows).

    >>> join_words(["Norr", "Söder", "Öster"], "sv"), join_words(["Anna"], "en"), join_words([], "nb")
    ('Norr, Söder och Öster', 'Anna', '')
    """
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {label('and', language)} {words[-1]}"


def text(namespace: str, key: str, language: str, **values: Any) -> str:
    """The text of ``key`` in table ``[namespace]`` of ``language``'s catalogue, falling back to ``[labels]``.

    A key that the language's catalogue lacks is a :class:`ReportError` — never a silent fallback to
    another language or to the key itself, so a missing translation cannot reach a document.

    >>> text("labels", "to", "nb")
    'til'
    """
    words = catalogue(check_language(language))
    table = words.get(namespace, {})
    if key in table:
        template = table[key]
    elif key in words["labels"]:
        template = words["labels"][key]
    else:
        raise ReportError(f"no label {key!r} in [{namespace}] of the {language} catalogue "
                          f"(evalkit/locale/{language}.toml); run `python tools/catalogue.py check`")
    return template.format(**values) if values else template


def reason(text_: str, language: str) -> str:
    """A loader's reason for excluding or flagging rows (``"blank row"``) in ``language``.

    Loaders record reasons in English, as stable identifiers of the provenance record; the report
    shows them through table ``[reasons]``. A reason with a qualifier before it (``"<Notes>: notes/memos
    are not imported"``: an XML element, the same in every language) keeps the qualifier and translates
    the rest; a reason the table lacks is returned unchanged.

    >>> reason("blank row", "sv"), reason("<Notes>: notes/memos are not imported", "nb")
    ('tom rad', '<Notes>: notater/memoer importeres ikke')
    """
    table = catalogue(check_language(language)).get("reasons", {})
    if text_ in table:
        return table[text_]
    head, sep, tail = text_.partition(": ")
    return f"{head}: {table[tail]}" if sep and tail in table else text_


def words(namespace: str, language: str, prefix: str | None = None) -> dict[str, str]:
    """The table ``[namespace]`` of ``language``'s catalogue as ``{key: template}`` (a copy).

    With ``prefix`` only the keys ``prefix.<key>``, returned as ``<key>``.

    >>> words("reasons", "nb")["blank row"]
    'tom rad'
    """
    table = catalogue(check_language(language)).get(namespace)
    if table is None:
        raise ReportError(f"no table [{namespace}] in evalkit/locale/{language}.toml")
    if prefix is None:
        return dict(table)
    head = prefix + "."
    found = {k[len(head):]: v for k, v in table.items() if k.startswith(head)}
    if not found:
        raise ReportError(f"no keys {head}… in [{namespace}] of evalkit/locale/{language}.toml")
    return found


def by_language(namespace: str, prefix: str) -> dict[str, dict[str, str]]:
    """``{language: {key: text}}`` of the keys ``prefix.<key>`` — the shape of an old per-language word table.

    >>> by_language("reasons", "no_such_prefix")  # doctest: +SKIP
    """
    return {lang: words(namespace, lang, prefix) for lang in LANGUAGES}


def by_key(namespace: str, prefix: str) -> dict[str, dict[str, str]]:
    """``{key: {language: text}}`` of the keys ``prefix.<key>`` — the shape of an old ``{key: {sv, nb, en}}`` dict.

    Kept for constants other code indexes (form sheet names and headers that a filled form is checked
    against); new code calls :func:`text`.
    """
    tables = by_language(namespace, prefix)
    return {key: {lang: tables[lang][key] for lang in LANGUAGES} for key in tables[LANGUAGES[0]]}


def one(namespace: str, key: str) -> dict[str, str]:
    """``{language: text}`` of one key (the shape of an old ``{"sv": …, "nb": …, "en": …}`` constant)."""
    return {lang: text(namespace, key, lang) for lang in LANGUAGES}


@functools.cache
def catalogue(language: str) -> Mapping[str, Mapping[str, str]]:
    """The message catalogue of ``language``: ``evalkit/locale/<language>.toml``, read once per process.

    One TOML table per namespace (``[labels]``, ``[its]``, ``[did]`` …), each value a
    :meth:`str.format` template; ``tools/catalogue.py check`` keeps the three files in step.
    """
    resource = resources.files("evalkit").joinpath("locale", f"{check_language(language)}.toml")
    with resource.open("rb") as fh:
        return types.MappingProxyType({ns: types.MappingProxyType(t) for ns, t in tomllib.load(fh).items()})


def translator(namespace: str | Mapping[str, Mapping[str, str]]) -> Callable[..., str]:
    """A ``label``-like function for one namespace of the catalogue, falling back to ``[labels]``.

    ``translator("its")`` reads table ``[its]``. A mapping ``{key: {"sv", "nb", "en"}}`` is still
    accepted for wording not yet moved into the catalogues (``tools/catalogue.py migrate`` moves it);
    its own entries win and the rest fall back to ``[labels]``.

    >>> t = translator("labels")
    >>> t("ci_low", "en")
    'CI lower'
    >>> t = translator({"title": {"sv": "Enkät", "nb": "Undersøkelse", "en": "Survey"}})
    >>> t("title", "nb"), t("ci_low", "en")
    ('Undersøkelse', 'CI lower')
    """
    if isinstance(namespace, str):
        def from_catalogue(key: str, language: str, **values: Any) -> str:
            return text(namespace, key, language, **values)

        return from_catalogue

    own = namespace

    def from_dict(key: str, language: str, **values: Any) -> str:
        return _lookup(own, key, language, values) if key in own else label(key, language, **values)

    return from_dict


def __getattr__(name: str):
    if name == "LABELS":  # the old {key: {language: text}} view of [labels], read-only
        return {key: {lang: catalogue(lang)["labels"][key] for lang in LANGUAGES}
                for key in catalogue("sv")["labels"]}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _lookup(words: Mapping[str, Mapping[str, str]], key: str, language: str, values: dict) -> str:
    check_language(language)
    try:
        text = words[key][language]
    except KeyError:
        raise ReportError(f"no label {key!r}; known labels: {', '.join(sorted(words))}") from None
    return text.format(**values) if values else text


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN, pd.NA-safe enough for floats; pd.NA raises below
    except TypeError:
        return True


def _group_thousands(digits: str, sep: str, min_digits: int) -> str:
    if len(digits) < min_digits:
        return digits
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return sep.join(groups)


def fmt_number(x: Any, decimals: int = 1, language: str = "sv", *, thousands: bool = True) -> str:
    """Format a number with a fixed count of decimals the local way.

    Parameters
    ----------
    x : float or int
        The value; ``None``/NaN give :data:`MISSING` (``".."``).
    decimals : int
        Digits after the decimal sign (rounding half to even, as Python's ``format``).
    language : {"sv", "nb", "en"}
    thousands : bool
        Group thousands (sv/nb from five integer digits with U+202F, en from four with ",").

    Examples
    --------
    >>> fmt_number(15.27, 1, "sv"), fmt_number(15.27, 1, "en")
    ('15,3', '15.3')
    >>> fmt_number(-4.83, 1, "sv") == "\\u22124,8"
    True
    >>> fmt_number(-0.04, 1, "sv")   # rounds to zero: no minus sign
    '0,0'
    >>> fmt_number(1234567.5, 0, "en")
    '1,234,568'
    """
    check_language(language)
    if _is_missing(x):
        return MISSING
    value = float(x)
    if math.isinf(value):
        return ("−∞" if language in _COMMA_LANGUAGES else "-∞") if value < 0 else "∞"
    text = f"{abs(value):.{int(decimals)}f}"
    whole, _, frac = text.partition(".")
    if thousands:
        if language in _COMMA_LANGUAGES:
            whole = _group_thousands(whole, THOUSANDS_SEP, 5)
        else:
            whole = _group_thousands(whole, ",", 4)
    point = "," if language in _COMMA_LANGUAGES else "."
    out = whole + (point + frac if frac else "")
    if value < 0 and any(ch in "123456789" for ch in text):
        out = (MINUS if language in _COMMA_LANGUAGES else "-") + out
    return out


def fmt_int(x: Any, language: str = "sv") -> str:
    """Format a count (rounded to a whole number) with thousands separators.

    >>> fmt_int(12800, "sv") == "12\\u202f800"
    True
    >>> fmt_int(4500, "sv"), fmt_int(4500, "en")
    ('4500', '4,500')
    """
    return fmt_number(x, 0, language)


def fmt_percent(share: Any, decimals: int = 0, language: str = "sv") -> str:
    """Format a share (0.85 means 85 per cent) as a percentage.

    >>> fmt_percent(0.85, 0, "sv") == "85\\u00a0%"
    True
    >>> fmt_percent(0.1534, 1, "en")
    '15.3%'
    """
    check_language(language)
    if _is_missing(share):
        return MISSING
    number = fmt_number(float(share) * 100.0, decimals, language)
    return f"{number}{PERCENT_SPACE}%" if language in _COMMA_LANGUAGES else f"{number}%"


def fmt_interval(low: Any, high: Any, decimals: int = 2, language: str = "sv") -> str:
    """Format an interval ``low–high`` (en dash), or ``low till high`` when a bound is negative.

    >>> fmt_interval(0.84, 0.93, 2, "sv")
    '0,84–0,93'
    >>> fmt_interval(-1.2, 0.3, 1, "en")
    '-1.2 to 0.3'
    """
    lo, hi = fmt_number(low, decimals, language), fmt_number(high, decimals, language)
    negative = lo.startswith((MINUS, "-")) or hi.startswith((MINUS, "-"))
    if negative:
        return f"{lo} {label('to', language)} {hi}"
    return f"{lo}–{hi}"


def fmt_ci(est: Any, low: Any, high: Any, decimals: int = 2, language: str = "sv") -> str:
    """Format an estimate with its confidence interval: ``0,89 (0,84–0,93)``.

    >>> fmt_ci(-0.5, -1.24, 0.31, 1, "sv") == "\\u22120,5 (\\u22121,2 till 0,3)"
    True
    """
    return f"{fmt_number(est, decimals, language)} ({fmt_interval(low, high, decimals, language)})"


def fmt_date(date: Any, language: str = "sv") -> str:
    """Format a date: ISO 8601 in sv and en, ``dd.mm.yyyy`` in nb.

    Accepts ``datetime.date``/``datetime``, ``pandas.Timestamp``, ``numpy.datetime64`` or an ISO string.

    >>> import datetime as dt
    >>> fmt_date(dt.date(2025, 6, 16), "sv"), fmt_date(dt.date(2025, 6, 16), "nb")
    ('2025-06-16', '16.06.2025')
    """
    check_language(language)
    if _is_missing(date):
        return MISSING
    d = _as_date(date)
    if language == "nb":
        return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"
    return d.isoformat()


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    from evalkit._dates import parse_user_date

    return parse_user_date(value, what="date", error=ReportError).date()


def fmt_p(p: Any, language: str = "sv", *, decimals: int = 3) -> str:
    """Format a p-value: ``p = 0,034``; below 0.001 ``p < 0,001`` (APA 7 §6.36, with the local decimal sign).

    >>> fmt_p(0.0004, "sv"), fmt_p(0.0341, "en")
    ('p < 0,001', 'p = 0.034')
    """
    check_language(language)
    if _is_missing(p):
        return "p = " + MISSING
    floor = 10.0 ** -decimals
    if float(p) < floor:
        return "p < " + fmt_number(floor, decimals, language)
    return "p = " + fmt_number(p, decimals, language)


def fmt_value(x: Any, language: str = "sv", decimals: int | None = None) -> str:
    """Format any table value: numbers by :func:`fmt_number`, dates by :func:`fmt_date`, text as is.

    Integers (and floats holding a whole number when ``decimals`` is None) are
    written without decimals; other floats with ``decimals`` (default 2).

    >>> fmt_value(3, "sv"), fmt_value(2.5, "sv"), fmt_value("Norr", "sv"), fmt_value(None, "sv")
    ('3', '2,50', 'Norr', '..')
    """
    if _is_missing(x):
        return MISSING
    if isinstance(x, bool):
        return label("yes_no", check_language(language)).split("|")[int(x)]
    if isinstance(x, numbers.Integral):
        return fmt_int(x, language)
    if isinstance(x, numbers.Real):
        if decimals is None:
            decimals = 0 if float(x).is_integer() else 2
        return fmt_number(x, decimals, language)
    if isinstance(x, (dt.date, dt.datetime)) or hasattr(x, "to_pydatetime"):
        return fmt_date(x, language)
    return str(x)


def tick_formatter(language: str = "sv", decimals: int | None = None, *, percent: bool = False):
    """A matplotlib tick formatter that writes axis labels with the same rules.

    Parameters
    ----------
    language : {"sv", "nb", "en"}
    decimals : int, optional
        Fixed decimals; by default as few as the tick values need (at most 3).
    percent : bool
        Ticks are shares (0–1) and are written as percentages.

    Examples
    --------
    >>> f = tick_formatter("sv")
    >>> f(12800.0, 0) == "12\\u202f800", f(2.5, 0)
    (True, '2,5')
    >>> import matplotlib.pyplot as plt                          # doctest: +SKIP
    >>> ax.yaxis.set_major_formatter(tick_formatter("sv", percent=True))  # doctest: +SKIP
    """
    check_language(language)
    from matplotlib.ticker import FuncFormatter

    def _format(value: float, _pos: Any = None) -> str:
        d = decimals if decimals is not None else _decimals_needed(value * (100.0 if percent else 1.0))
        if percent:
            return fmt_percent(value, d, language)
        return fmt_number(value, d, language)

    return FuncFormatter(_format)


def _decimals_needed(value: float, most: int = 3) -> int:
    for d in range(most + 1):
        if abs(round(value, d) - value) < 1e-9 * max(1.0, abs(value)):
            return d
    return most
