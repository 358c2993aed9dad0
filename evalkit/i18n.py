"""Labels and number formatting in Swedish (``sv``), Norwegian bokmål (``nb``) and English (``en``).

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
import math
import numbers
from collections.abc import Callable, Mapping
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

LABELS: dict[str, dict[str, str]] = {
    # document structure
    "contents": {"sv": "Innehåll", "nb": "Innhold", "en": "Contents"},
    "summary": {"sv": "Sammanfattning", "nb": "Sammendrag", "en": "Summary"},
    "background": {"sv": "Bakgrund", "nb": "Bakgrunn", "en": "Background"},
    "purpose": {"sv": "Syfte och frågeställningar", "nb": "Formål og problemstillinger",
                "en": "Aim and questions"},
    "methods": {"sv": "Metod och material", "nb": "Metode og materiale", "en": "Methods and material"},
    "results": {"sv": "Resultat", "nb": "Resultater", "en": "Results"},
    "implementation": {"sv": "Genomförandet", "nb": "Gjennomføringen", "en": "Implementation"},
    "conclusions": {"sv": "Slutsatser", "nb": "Konklusjoner", "en": "Conclusions"},
    "appendix": {"sv": "Bilagor", "nb": "Vedlegg", "en": "Appendices"},
    "appendix_tables": {"sv": "Tabeller", "nb": "Tabeller", "en": "Tables"},
    "provenance": {"sv": "Underlag och spårbarhet", "nb": "Grunnlag og sporbarhet",
                   "en": "Data provenance"},
    # column headers many tables share
    "ci_low": {"sv": "KI nedre", "nb": "KI nedre", "en": "CI lower"},
    "ci_high": {"sv": "KI övre", "nb": "KI øvre", "en": "CI upper"},
    # captions
    "table": {"sv": "Tabell", "nb": "Tabell", "en": "Table"},
    "figure": {"sv": "Figur", "nb": "Figur", "en": "Figure"},
    "source": {"sv": "Källa", "nb": "Kilde", "en": "Source"},
    "note": {"sv": "Anm.", "nb": "Merk", "en": "Note"},
    # methods and appendix phrases
    "data_sources": {"sv": "Data", "nb": "Data", "en": "Data"},
    "statistical_methods": {"sv": "Statistiska metoder", "nb": "Statistiske metoder",
                            "en": "Statistical methods"},
    "disclosure_heading": {"sv": "Skydd mot röjande av uppgifter", "nb": "Skjerming av små tall",
                           "en": "Disclosure control"},
    "disclosure_text": {
        "sv": "Antal från 1 till och med {k_minus} redovisas som \u201d..\u201d{zero}, liksom andelar vars nämnare "
              "är mindre än {m} och andelar som motsvarar ett sådant antal (eller där resten av nämnaren är ett "
              "sådant antal). Tal som räknas fram ur dolda celler (skillnader, konfidensintervall, p-värden) döljs "
              "också, i tabeller, i texten och i figurer. Där tabeller har summor döljs ytterligare celler "
              "(sekundär röjandekontroll), valda med heltalsoptimering så att så få celler som möjligt döljs och så"
              " att ingen dold cell kan räknas fram ur de redovisade cellerna och summorna: varje primärt dold cell"
              " kan ligga var som helst i ett intervall som är minst {k} brett (Fischetti och Salazar-González "
              "2000). Grupper med färre än {k} personer redovisas inte med sin storlek.",
        "nb": "Antall fra 1 til og med {k_minus} vises som \u00ab..\u00bb{zero}, det samme gjelder andeler der "
              "nevneren er mindre enn {m} og andeler som tilsvarer et slikt antall (eller der resten av nevneren er"
              " et slikt antall). Tall som regnes ut av skjulte celler (forskjeller, konfidensintervall, p-verdier)"
              " skjules også, i tabeller, i teksten og i figurer. Der tabeller har summer, skjules flere celler "
              "(sekundær skjerming), valgt med heltallsoptimering slik at så få celler som mulig skjules og ingen "
              "skjult celle kan regnes ut av de viste cellene og summene: hver primært skjulte celle kan ligge hvor"
              " som helst i et intervall som er minst {k} bredt (Fischetti og Salazar-González 2000). Grupper med "
              "færre enn {k} personer vises ikke med sin størrelse.",
        "en": "Counts from 1 to {k_minus} are shown as \u201c..\u201d{zero}, as are percentages whose denominator "
              "is below {m} and percentages that amount to such a count (or leave such a count of the denominator)."
              " Numbers computed from hidden cells (differences, confidence intervals, p-values) are hidden too, in"
              " tables, in the text and in figures. Where tables have totals, further cells are hidden (secondary "
              "suppression), chosen by integer optimisation so that as few cells as possible are hidden and no "
              "hidden cell can be worked out from the published cells and totals: every primary hidden cell could "
              "lie anywhere in an interval at least {k} wide (Fischetti and Salazar-González 2000). Groups of fewer"
              " than {k} people are not shown with their size.",
    },
    "disclosure_zero": {"sv": " (noll redovisas)", "nb": " (null vises)", "en": " (zero is shown)"},
    "disclosure_zero_hidden": {"sv": ", även noll", "nb": ", også null", "en": ", and so is zero"},
    "rows_sentence": {
        "sv": "{name}: {read} rader lästa, {kept} behållna och {excluded} exkluderade.",
        "nb": "{name}: {read} rader lest, {kept} beholdt og {excluded} ekskludert.",
        "en": "{name}: {read} rows read, {kept} kept and {excluded} excluded.",
    },
    "excluded_sentence": {"sv": "{count} exkluderade: {reason}.", "nb": "{count} ekskludert: {reason}.",
                          "en": "{count} excluded: {reason}."},
    "conclusions_placeholder": {
        "sv": "[Utvärderarens slutsatser och rekommendationer skrivs här.]",
        "nb": "[Evaluators konklusjoner og anbefalinger skrives her.]",
        "en": "[The evaluator's conclusions and recommendations go here.]",
    },
    "toc_placeholder": {
        "sv": "Innehållsförteckningen uppdateras när dokumentet öppnas i Word (eller: högerklicka och "
              "välj Uppdatera fält).",
        "nb": "Innholdsfortegnelsen oppdateres når dokumentet åpnes i Word (eller: høyreklikk og velg "
              "Oppdater felt).",
        "en": "The table of contents is updated when the document is opened in Word (or right-click "
              "and choose Update Field).",
    },
    "figure_withheld": {
        "sv": "Figuren visas inte eftersom den bygger på för små tal (se Skydd mot röjande av uppgifter).",
        "nb": "Figuren vises ikke fordi den bygger på for små tall (se Skjerming av små tall).",
        "en": "The figure is not shown because it rests on numbers that are too small "
              "(see Disclosure control).",
    },
    "xlsx_note": {
        "sv": "Samtliga tabeller finns också i Excel-bilagan {name}.",
        "nb": "Alle tabellene finnes også i Excel-vedlegget {name}.",
        "en": "Every table is also in the Excel appendix {name}.",
    },
    # provenance appendix
    "input_files": {"sv": "Indatafiler", "nb": "Inndatafiler", "en": "Input files"},
    "exclusions": {"sv": "Exkluderade rader", "nb": "Ekskluderte rader", "en": "Excluded rows"},
    "versions": {"sv": "Programversioner", "nb": "Programversjoner", "en": "Software versions"},
    "seeds": {"sv": "Slumptalsfrön", "nb": "Tilfeldighetsfrø", "en": "Random seeds"},
    "config": {"sv": "Konfiguration", "nb": "Konfigurasjon", "en": "Configuration"},
    "thresholds": {"sv": "Gränser för röjandekontroll", "nb": "Grenser for skjerming",
                   "en": "Disclosure control thresholds"},
    "col_file": {"sv": "Fil", "nb": "Fil", "en": "File"},
    "col_table": {"sv": "Tabell", "nb": "Tabell", "en": "Table"},
    "col_sha256": {"sv": "SHA-256", "nb": "SHA-256", "en": "SHA-256"},
    "col_rows_read": {"sv": "Lästa rader", "nb": "Leste rader", "en": "Rows read"},
    "col_rows_kept": {"sv": "Behållna", "nb": "Beholdt", "en": "Kept"},
    "col_rows_excluded": {"sv": "Exkluderade", "nb": "Ekskludert", "en": "Excluded"},
    "col_reason": {"sv": "Skäl", "nb": "Årsak", "en": "Reason"},
    "col_count": {"sv": "Antal", "nb": "Antall", "en": "Count"},
    "col_package": {"sv": "Paket", "nb": "Pakke", "en": "Package"},
    "col_version": {"sv": "Version", "nb": "Versjon", "en": "Version"},
    "col_step": {"sv": "Steg", "nb": "Steg", "en": "Step"},
    "col_seed": {"sv": "Frö", "nb": "Frø", "en": "Seed"},
    "col_rule": {"sv": "Regel", "nb": "Regel", "en": "Rule"},
    "col_value": {"sv": "Värde", "nb": "Verdi", "en": "Value"},
    "rule_count": {"sv": "Minsta antal som visas", "nb": "Minste antall som vises",
                   "en": "Smallest count shown"},
    "rule_zero": {"sv": "Noll döljs som litet antal", "nb": "Null skjules som lite antall",
                  "en": "Zero hidden as a small count"},
    "rule_protection": {"sv": "Minsta skyddsintervall för en dold cell",
                        "nb": "Minste beskyttelsesintervall for en skjult celle",
                        "en": "Smallest protection interval of a hidden cell"},
    "yes_no": {"sv": "nej|ja", "nb": "nei|ja", "en": "no|yes"},
    "rule_denominator": {"sv": "Minsta nämnare för en andel", "nb": "Minste nevner for en andel",
                         "en": "Smallest denominator of a percentage"},
    "xlsx_contents": {"sv": "Innehåll", "nb": "Innhold", "en": "Contents"},
    "xlsx_sheet": {"sv": "Blad", "nb": "Ark", "en": "Sheet"},
    "xlsx_caption": {"sv": "Rubrik", "nb": "Tittel", "en": "Caption"},
    "ci": {"sv": "95 % KI", "nb": "95 % KI", "en": "95% CI"},
    "to": {"sv": "till", "nb": "til", "en": "to"},
}


def check_language(language: str) -> str:
    """Return ``language`` if it is one of :data:`LANGUAGES`, else raise :class:`ReportError`."""
    if language not in LANGUAGES:
        raise ReportError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return language


def label(key: str, language: str = "sv", **values: Any) -> str:
    """The text of label ``key`` in ``language``, with ``{placeholders}`` filled from ``values``.

    >>> label("table", "nb"), label("source", "en")
    ('Tabell', 'Source')
    >>> label("rows_sentence", "en", name="a.csv", read=3, kept=2, excluded=1)
    'a.csv: 3 rows read, 2 kept and 1 excluded.'
    """
    return _lookup(LABELS, key, language, values)


def translator(words: Mapping[str, Mapping[str, str]]) -> Callable[..., str]:
    """A ``label``-like function for a module's own words, falling back to the shared :data:`LABELS`.

    Each analysis keeps the words of its tables and sentences beside its code; the words
    every table uses (``ci_low``, ``ci_high``, …) are here once. A module's own entry wins.

    >>> t = translator({"title": {"sv": "Enkät", "nb": "Undersøkelse", "en": "Survey"}})
    >>> t("title", "nb"), t("ci_low", "en")
    ('Undersøkelse', 'CI lower')
    """
    def text(key: str, language: str, **values: Any) -> str:
        return _lookup(words, key, language, values) if key in words else label(key, language, **values)

    return text


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
        return {"sv": ("nej", "ja"), "nb": ("nei", "ja"), "en": ("no", "yes")}[check_language(language)][int(x)]
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
