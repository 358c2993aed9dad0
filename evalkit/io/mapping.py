"""Column and value mapping from Swedish/Norwegian export headers to canonical names.

Case systems (Procapita/Lifecare, Treserva, Combine, Gerica, Profil …) and
hand-made spreadsheets name the same thing in many ways. Headers are compared
after :func:`normalise_header` (case-folded, å/ä→a, ö/ø→o, æ→ae, punctuation and
spaces removed), so "Ansökningsdatum", "ANSOKNINGSDATUM" and "Ansöknings-datum"
all match. A user mapping file (TOML) takes precedence over the built-in aliases:

.. code-block:: toml

    [columns]                # file header -> canonical column
    "Beslut datum" = "decided_on"

    [values.outcome]         # file value -> canonical value
    "Bifall enl. 4:1" = "granted"

A mapping is gated like a data file (its name, headers and spellings reach the
provenance appendix and messages), and every ``[values.<column>]`` entry must
map to one of the column's canonical values (:func:`allowed_values`).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from evalkit._files import read_toml
from evalkit.errors import ConfigError, DataError, Problem
from evalkit.schemas import TableSchema

__all__ = [
    "normalise_header",
    "normalise_value",
    "ColumnMapping",
    "load_mapping",
    "resolve_columns",
    "allowed_values",
    "HEADER_ALIASES",
    "VALUE_ALIASES",
]

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "ø": "o", "æ": "ae", "é": "e", "ü": "u"})


def normalise_header(text: str) -> str:
    """Fold a header for matching: ``"Beviljade timmar/mån"`` → ``"beviljadetimmarman"``."""
    text = unicodedata.normalize("NFC", str(text)).casefold().translate(_FOLD)
    return re.sub(r"[^0-9a-z]+", "", text)


def normalise_value(text: str) -> str:
    """Fold a cell value for matching against value aliases (spaces kept single)."""
    text = unicodedata.normalize("NFC", str(text)).casefold().translate(_FOLD)
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


# Canonical column -> headers seen in Swedish (sv) and Norwegian (nb) exports and in English.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "decision_id": ("decision_id", "beslutsid", "beslut id", "beslutsnummer", "beslutsnr", "ärendenummer",
                    "vedtaksid", "vedtak id", "vedtaksnummer", "vedtaksnr", "decision id"),
    "person_id": ("person_id", "brukare", "brukar id", "brukarid", "kund", "kundid", "kund id", "kund-id",
                  "person", "personid", "person id", "löpnummer", "lopnr", "pseudonym", "personnummer", "pnr",
                  "bruker", "brukerid", "bruker id", "tjenestemottaker", "pasientid", "user id"),
    "unit": ("unit", "enhet", "distrikt", "område", "hemtjänstområde", "utförare", "grupp", "org enhet",
             "org.enhet", "organisationsenhet", "verksamhet", "bydel", "sone", "avdeling", "tjenestested",
             "district", "area", "arbetsplats", "kostnadsställe", "arbeidssted"),
    "applied_on": ("applied_on", "ansökningsdatum", "ansökan inkom", "ansökan datum", "ansökan inkommen",
                   "datum för ansökan", "inkommen", "ansökt datum", "søknadsdato", "søknad mottatt",
                   "mottatt dato", "application date"),
    "decided_on": ("decided_on", "beslutsdatum", "beslut datum", "datum för beslut", "beslutad", "beslutat",
                   "vedtaksdato", "vedtak dato", "vedtatt dato", "decision date"),
    "start_on": ("start_on", "verkställighetsdatum", "verkställd from", "verkst from", "verkställd",
                 "startdatum", "insats start", "from", "fom", "fr o m", "gäller från", "startdato",
                 "fra dato", "iverksatt dato", "start date"),
    "end_on": ("end_on", "avslutsdatum", "slutdatum", "tom", "t o m", "beslut tom", "tidsbegränsning",
               "gäller till", "till och med", "sluttdato", "til dato", "avsluttet dato", "end date"),
    "follow_up_on": ("follow_up_on", "uppföljningsdatum", "planerad uppföljning", "uppföljning senast",
                     "datum för uppföljning", "evalueringsdato", "revisjonsdato", "follow-up date"),
    "followed_up_on": ("followed_up_on", "uppföljning utförd", "uppföljning genomförd", "uppföljt datum",
                       "uppföljning gjord", "evaluert dato", "followed up"),
    "outcome": ("outcome", "beslut", "beslutsutfall", "bifall/avslag", "utfall", "beslutstyp",
                "vedtaksresultat", "vedtak resultat", "resultat vedtak"),
    "service": ("service", "insats", "insatstyp", "insatskategori", "insatsnamn", "beviljad insats",
                "tjeneste", "tjenestetype", "tiltak"),
    "hours_per_month": ("hours_per_month", "beviljade timmar", "beviljade timmar/mån", "beviljade timmar per månad",
                        "beviljad tid", "beslutad tid", "timmar per månad", "timmar/mån", "tim/mån",
                        "timer per måned", "vedtakstimer per måned", "granted hours"),
    "law": ("law", "lagrum", "paragraf", "lag", "hjemmel", "lovhjemmel", "legal basis"),
    "case_officer_id": ("case_officer_id", "handläggare", "handläggar id", "handläggarid", "biståndshandläggare",
                        "saksbehandler", "case officer"),
    "birth_year": ("birth_year", "födelseår", "fødselsår", "birth year"),
    "life_area": ("life_area", "livsområde", "life area"),
    "icf_code": ("icf_code", "icf-kod", "icf kod", "icf", "aktivitet icf"),
    "qualifier": ("qualifier", "bedömning", "bedömd svårighetsgrad", "svårighetsgrad", "bedömningsfaktor",
                  "kvalifikator"),
    "goal_recorded": ("goal_recorded", "mål dokumenterat", "mål formulerat", "mål finns"),
    "own_view_recorded": ("own_view_recorded", "egen uppfattning dokumenterad", "egen uppfattning",
                          "brukarens uppfattning dokumenterad"),
    # orders / order changes
    "order_id": ("order_id", "beställnings-id", "beställningsid", "beställning", "beställningsnummer",
                 "bestillingsid", "oppdragsid", "order id"),
    "changed_on": ("changed_on", "ändringsdatum", "ändrad beställning datum", "datum för ändring",
                   "endringsdato", "change date"),
    "change_type": ("change_type", "ändringstyp", "typ av ändring", "ändring", "endringstype", "change type"),
    # visit logs
    "staff_id": ("staff_id", "personal", "personal-id", "personalid", "medarbetare", "utförare id",
                 "ansatt", "ansattid", "staff"),
    "visit_start": ("visit_start", "start", "besök start", "besöksstart", "starttid", "ankomst", "inn",
                    "besøk start"),
    "visit_end": ("visit_end", "slut", "besök slut", "besöksslut", "sluttid", "avgång", "ut", "besøk slutt"),
    "visit_kind": ("visit_kind", "besökstyp", "typ", "insatstyp besök", "besøkstype", "visit type"),
    # HR and scheduling exports (Heroma, Personec, Visma/HRM, Medvind): staff table
    "employee_id": ("employee_id", "anställningsnummer", "anställningsnr", "anstnr", "anst nr", "personalnummer",
                    "medarbetarnummer", "medarbetar-id", "ansattnummer", "ansattnr", "ansatt-id", "ansattid",
                    "employee id", "employee"),
    "month": ("month", "period", "månad", "löneperiod", "redovisningsperiod", "år-månad", "årmånad",
              "måned", "periode", "lønnsperiode", "år-måned"),
    "scheduled_hours": ("scheduled_hours", "schemalagd tid", "schemalagda timmar", "schematimmar", "schematid",
                        "ordinarie arbetstid", "ordinarie tid", "planerad arbetstid", "avtalad arbetstid",
                        "planlagte timer", "turnustimer", "avtalt arbeidstid", "ordinær arbeidstid",
                        "scheduled hours"),
    "worked_hours": ("worked_hours", "arbetad tid", "arbetade timmar", "faktisk arbetstid", "närvarotid",
                     "arbeidede timer", "arbeidet tid", "faktisk arbeidstid", "worked hours"),
    "sick_hours": ("sick_hours", "sjukfrånvaro", "sjukfrånvaro timmar", "sjuktimmar", "sjuk tid", "sjukfrånvaro tim",
                   "sykefravær", "sykefravær timer", "sykefraværstimer", "sick hours"),
    "sick_hours_short": ("sick_hours_short", "sjuk dag 1-14", "sjukfrånvaro dag 1-14", "sjuktimmar dag 1-14",
                         "korttidssjukfrånvaro", "sjuklön dag 1-14", "korttidsfravær", "sykefravær dag 1-16",
                         "sykefravær kort", "egenmeldt og kort sykefravær", "short sick hours"),
    "sick_hours_long": ("sick_hours_long", "sjuk dag 15-", "sjuk dag 15+", "sjukfrånvaro dag 15-",
                        "sjukfrånvaro dag 15+", "sjuktimmar dag 15-", "långtidssjukfrånvaro", "langtidsfravær",
                        "sykefravær dag 17-", "sykefravær lang", "long sick hours"),
    "overtime_hours": ("overtime_hours", "övertid", "övertidstimmar", "övertid timmar", "overtid",
                       "overtidstimer", "overtime", "overtime hours"),
    "extra_hours": ("extra_hours", "mertid", "mertidstimmar", "mertid timmar", "fyllnadstid", "merarbeid",
                    "merarbeidstimer", "merarbeid timer", "extra hours"),
    "hourly_hours": ("hourly_hours", "timlön timmar", "timavlönad tid", "timavlönade timmar", "timanställd tid",
                     "timlönade timmar", "timelønn timer", "timelønnede timer", "tilkallingstimer",
                     "hourly paid hours"),
    "employment": ("employment", "anställningsform", "anställningstyp", "anställning", "ansettelsesform",
                   "stillingstype", "ansettelsestype", "employment type"),
    "employment_rate": ("employment_rate", "sysselsättningsgrad", "tjänstgöringsgrad", "tjänstgöringsgrad %",
                        "sysselsättningsgrad %", "stillingsprosent", "stillingsandel", "employment rate"),
    "employment_start": ("employment_start", "anställd from", "anställning from", "anställningsdatum",
                         "anställningsstart", "anställd fr o m", "ansatt fra", "ansettelsesdato", "tiltredelse",
                         "tiltredelsesdato", "employment start"),
    "employment_end": ("employment_end", "anställd tom", "anställning tom", "anställd t o m", "avgångsdatum",
                       "slutdatum anställning", "anställning slut", "ansatt til", "fratredelse",
                       "fratredelsesdato", "sluttdato ansettelse", "employment end"),
    "profession": ("profession", "befattning", "befattningsbenämning", "yrke", "yrkesgrupp", "yrkestitel",
                   "stilling", "stillingstittel", "stillingsbetegnelse", "yrkesgruppe"),
}

# Canonical value -> spellings seen in exports (compared after normalise_value).
VALUE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "outcome": {
        "granted": ("granted", "bifall", "beviljad", "beviljat", "bifallen", "ja", "innvilget", "innvilga"),
        "partly": ("partly", "partial", "delvis bifall", "delvis beviljad", "delvis beviljat", "delvis",
                   "delvis innvilget"),
        "denied": ("denied", "avslag", "avslagen", "avslaget", "nej", "avslått", "avslatt"),
    },
    "change_type": {
        "time": ("time", "tid", "tidsändring", "ändrad tid", "tid ändrad", "tidsendring"),
        "service": ("service", "insats", "insatsändring", "ändrad insats", "tiltak", "tjeneste"),
        "new_decision": ("new_decision", "nytt beslut", "omprövning", "nytt vedtak"),
        "start": ("start", "ny beställning", "ny", "oppstart"),
        "end": ("end", "avslut", "avslutad", "upphör", "avsluttet"),
        "other": ("other", "övrigt", "annat", "annet"),
    },
    "visit_kind": {
        "planned": ("planned", "planerat", "planerad", "ordinarie", "planlagt"),
        "alarm": ("alarm", "larm", "trygghetslarm", "larmbesök", "trygghetsalarm"),
        "meal": ("meal", "matleverans", "matdistribution", "mat", "middagsleverans"),
        "health": ("health", "hsl", "hemsjukvård", "sjuksköterska", "hjemmesykepleie"),
        "other": ("other", "övrigt", "annat", "annet"),
    },
    "life_area": {
        "learning": ("learning", "d1", "lärande och att tillämpa kunskap"),
        "general_tasks": ("general_tasks", "d2", "allmänna uppgifter och krav"),
        "communication": ("communication", "d3", "kommunikation"),
        "mobility": ("mobility", "d4", "förflyttning"),
        "self_care": ("self_care", "d5", "personlig vård"),
        "domestic_life": ("domestic_life", "d6", "hemliv"),
        "relationships": ("relationships", "d7", "mellanmänskliga interaktioner och relationer"),
        "work_economy": ("work_economy", "d8", "utbildning arbete sysselsättning och ekonomiskt liv"),
        "community": ("community", "d9", "samhällsgemenskap socialt och medborgerligt liv"),
        "security": ("security", "känsla av trygghet", "trygghet"),
        "carer_support": ("carer_support", "personligt stöd från person som vårdar eller stödjer en närstående",
                          "anhörigstöd"),
    },
    "employment": {
        "permanent": ("permanent", "tillsvidare", "tillsvidareanställd", "tillsvidareanställning", "fast",
                      "fast anställd", "tv", "fast ansatt", "fast stilling"),
        "temporary": ("temporary", "visstid", "visstidsanställd", "allmän visstid", "särskild visstid", "vikariat",
                      "vikarie", "provanställning", "midlertidig", "midlertidig ansatt", "vikar", "engasjement"),
        "hourly": ("hourly", "timavlönad", "timanställd", "timvikarie", "tim", "timlön", "behovsanställd",
                   "timelønnet", "tilkallingsvikar", "ringevikar", "timebasert"),
    },
    "profession": {
        "assistant_nurse": ("assistant_nurse", "undersköterska", "usk", "omvårdnadspersonal",
                            "helsefagarbeider", "hjelpepleier", "omsorgsarbeider", "assistant nurse"),
        "care_aide": ("care_aide", "vårdbiträde", "vårdbitrade", "hemvårdare", "vårdare", "assistent",
                      "pleieassistent", "helseassistent", "care aide"),
        "nurse": ("nurse", "sjuksköterska", "ssk", "distriktssköterska", "sykepleier", "spesialsykepleier"),
        "occupational_therapist": ("occupational_therapist", "arbetsterapeut", "ergoterapeut",
                                   "occupational therapist"),
        "physiotherapist": ("physiotherapist", "fysioterapeut", "sjukgymnast", "physiotherapist"),
        "case_officer": ("case_officer", "biståndshandläggare", "handläggare", "saksbehandler",
                         "tildelingskonsulent", "case officer"),
        "manager": ("manager", "enhetschef", "chef", "verksamhetschef", "avdelningschef", "leder",
                    "avdelingsleder", "enhetsleder", "virksomhetsleder", "manager"),
        "scheduler": ("scheduler", "planerare", "bemanningsplanerare", "samordnare", "koordinator",
                      "planlegger", "turnusplanlegger", "scheduler"),
        "other": ("other", "övrigt", "annat", "annan", "annet", "øvrig"),
    },
    "bool": {
        "true": ("true", "ja", "j", "yes", "y", "1", "x", "sant", "sann"),
        "false": ("false", "nej", "n", "no", "0", "falskt", "usann", "nei"),
    },
    # ICF qualifier labels (domain.md §1.3); case officers also write "svårigheter"
    "qualifier": {
        "0": ("0", "inget problem", "ingen svårighet", "inga svårigheter", "ingen"),
        "1": ("1", "lätt problem", "lätta svårigheter", "lätt"),
        "2": ("2", "måttligt problem", "måttliga svårigheter", "måttlig"),
        "3": ("3", "svårt problem", "gravt problem", "stora svårigheter", "svåra svårigheter", "svår", "grav"),
        "4": ("4", "totalt problem", "totala svårigheter", "total"),
        "8": ("8", "ej specificerat"),
        "9": ("9", "ej tillämpbart", "ej tillämpligt"),
    },
}


@dataclass(frozen=True)
class ColumnMapping:
    """A user mapping: file header → canonical column, and per-column value maps."""

    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source: str | None = None


def load_mapping(mapping: "ColumnMapping | Mapping | str | Path | None", schema: TableSchema) -> ColumnMapping:
    """Read a user mapping from a TOML file or a dict, checked against ``schema``.

    Raises
    ------
    ConfigError
        Unknown top-level keys, targets that are not canonical columns, or a
        file that is not valid TOML; the message names the key path.
    """
    if mapping is None:
        return ColumnMapping()
    if isinstance(mapping, ColumnMapping):
        return mapping
    source = None
    if isinstance(mapping, (str, Path)):
        from evalkit.privacy import check_path

        check_path(mapping, what="The mapping file")
        source = str(mapping)
        mapping = read_toml(mapping, "mapping file")
    _gate_mapping(mapping, source)
    where = source or "mapping"
    unknown = set(mapping) - {"columns", "values"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; expected [columns] and [values.<column>]")
    columns = dict(mapping.get("columns", {}))
    values = {k: dict(v) for k, v in mapping.get("values", {}).items()}
    valid = set(schema.names)
    for header, target in columns.items():
        if target not in valid:
            hint = _closest(target, valid)
            raise ConfigError(f"{where}: columns.\"{header}\" = \"{target}\" is not a column of the "
                              f"{schema.name} table{hint}")
    for column in values:
        if column not in valid:
            raise ConfigError(f"{where}: values.{column} is not a column of the {schema.name} table"
                              f"{_closest(column, valid)}")
    values = {column: _checked_values(column, spellings, schema, where) for column, spellings in values.items()}
    return ColumnMapping(columns=columns, values=values, source=source)


def _gate_mapping(mapping: Mapping, source: str | None) -> None:
    """Refuse a mapping whose file name, headers or value spellings hold an identity number.

    A header or spelling is written into the provenance appendix and into
    error messages; a number there reaches the report like a number in a cell.
    """
    from evalkit.privacy import check_config

    check_config(dict(mapping), file=source, what="The mapping" + (" file" if source else ""))


def allowed_values(column: str, schema: TableSchema) -> tuple[str, ...] | None:
    """The canonical values a ``[values.<column>]`` entry may map to (None: the column takes no value map)."""
    if column in VALUE_ALIASES:
        return tuple(VALUE_ALIASES[column])
    col = next((c for c in schema.columns if c.name == column), None)
    if col is None:
        return None
    if col.kind == "bool":
        return tuple(VALUE_ALIASES["bool"])
    return tuple(col.allowed) if col.allowed else None


def _checked_values(column: str, spellings: Mapping, schema: TableSchema, where: str) -> dict[str, str]:
    """``[values.<column>]`` entries, each mapping to one of the column's canonical values."""
    from evalkit.privacy import safe_value

    allowed = allowed_values(column, schema)
    if allowed is None:
        raise ConfigError(f"{where}: values.{column}: the column '{column}' has no fixed set of values, so a "
                          "value map does not apply to it; remove the table or map a category column "
                          f"({', '.join(c.name for c in schema.columns if allowed_values(c.name, schema))})")
    out = {}
    for spelling, target in spellings.items():
        text = ("true" if target else "false") if isinstance(target, bool) else str(target)
        if text not in allowed:
            raise ConfigError(f"{where}: values.{column}.\"{safe_value(spelling)}\" = \"{safe_value(text)}\" "
                              f"is not a value of '{column}'; allowed: {', '.join(allowed)}")
        out[str(spelling)] = text
    return out


def _closest(name: str, candidates, n: int = 3) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=n, cutoff=0.5)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def resolve_columns(headers: list[str], schema: TableSchema, mapping: ColumnMapping, *,
                    file: str | None = None, sheet: str | None = None) -> dict[str, str]:
    """Match file headers to the schema's canonical columns.

    Returns ``{canonical: file_header}``. The user mapping wins; then exact
    canonical names; then the built-in aliases.

    Raises
    ------
    DataError
        A required column is missing (the message lists the headers found and
        the closest matches), or two headers claim the same canonical column.
    """
    chosen: dict[str, str] = {}
    claimed: dict[str, list[str]] = {}
    by_norm = {normalise_header(h): h for h in headers}
    user = {normalise_header(k): v for k, v in mapping.columns.items()}
    for h in headers:
        target = user.get(normalise_header(h))
        if target:
            claimed.setdefault(target, []).append(h)
    for col in schema.columns:
        if col.name in claimed:
            continue
        for alias in HEADER_ALIASES.get(col.name, (col.name,)):
            h = by_norm.get(normalise_header(alias))
            if h is not None and normalise_header(h) not in user and h not in claimed.get(col.name, []):
                claimed.setdefault(col.name, []).append(h)
    problems = []
    for target, hs in claimed.items():
        if len(hs) > 1:
            problems.append(Problem(f"headers {hs} all map to '{target}'; say which one in a mapping file",
                                    file=file, sheet=sheet))
        chosen[target] = hs[0]
    # one header may only feed one canonical column (e.g. "Start" is visit_start, not also start_on)
    used: dict[str, str] = {}
    for target, h in list(chosen.items()):
        if h in used:
            problems.append(Problem(f"header '{h}' matches both '{used[h]}' and '{target}'; "
                                    "say which in a mapping file", file=file, sheet=sheet))
        used[h] = target
    for name in schema.required:
        if name not in chosen:
            aliases = HEADER_ALIASES.get(name, (name,))
            free = [n for n, h in by_norm.items() if h not in used]
            close = difflib.get_close_matches(normalise_header(name), free, n=3, cutoff=0.6)
            for alias in aliases:
                close += difflib.get_close_matches(normalise_header(alias), free, n=2, cutoff=0.75)
            near = sorted({by_norm[c] for c in close})
            hint = f"; closest unused headers: {near}" if near else ""
            problems.append(Problem(
                f"required column '{name}' not found (headers known for it include "
                f"{list(aliases[1:5])}){hint}; map it in a mapping file: "
                f"[columns] \"<your header>\" = \"{name}\"", file=file, sheet=sheet))
    if problems:
        raise DataError(f"cannot map the columns of {Path(file).name if file else 'the table'} "
                        f"to the {schema.name} table. Headers found: {headers}", problems)
    return chosen
