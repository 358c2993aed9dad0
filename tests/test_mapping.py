"""Header and value aliases; user mapping files."""
from __future__ import annotations

import pytest

import evalkit as ek
from evalkit.io.mapping import ColumnMapping, load_mapping, normalise_header, resolve_columns
from evalkit.schemas import DECISIONS, ORDERS

SV_HEADERS = ["Beslutsid", "Brukare", "Enhet", "Ansökningsdatum", "Beslutsdatum", "Verkställighetsdatum",
              "Avslutsdatum", "Uppföljningsdatum", "Beslut", "Insats", "Beviljade timmar/mån", "Lagrum",
              "Handläggare"]
NB_HEADERS = ["Vedtaksnummer", "Bruker", "Bydel", "Søknadsdato", "Vedtaksdato", "Startdato", "Sluttdato",
              "Evalueringsdato", "Vedtaksresultat", "Tjeneste", "Timer per måned", "Hjemmel", "Saksbehandler"]


def test_normalise_header_folds_nordic_letters_and_punctuation():
    assert normalise_header("Beviljade timmar/mån") == "beviljadetimmarman"
    assert normalise_header(" ANSÖKNINGS-datum ") == normalise_header("ansokningsdatum")
    assert normalise_header("Søknadsdato") == "soknadsdato"


@pytest.mark.parametrize("headers", [SV_HEADERS, NB_HEADERS])
def test_swedish_and_norwegian_exports_map_completely(headers):
    chosen = resolve_columns(headers, DECISIONS, ColumnMapping())
    assert set(chosen) == set(DECISIONS.core)
    assert chosen["decided_on"] in ("Beslutsdatum", "Vedtaksdato")
    assert chosen["hours_per_month"] in ("Beviljade timmar/mån", "Timer per måned")


def test_missing_column_error_lists_found_headers_and_closest_match():
    headers = ["Beslutsid", "Brukare", "Enhetsnamn", "Beslutsdatum", "Beslut", "Insats"]
    with pytest.raises(ek.DataError) as info:
        resolve_columns(headers, DECISIONS, ColumnMapping(), file="beslut.csv")
    text = str(info.value)
    assert "required column 'unit' not found" in text
    assert "Headers found" in text and "Enhetsnamn" in text
    assert "beslut.csv" in text


def test_user_mapping_wins_over_aliases(tmp_path):
    p = tmp_path / "mapping.toml"
    p.write_text('[columns]\n"Område" = "unit"\n"Enhet" = "service"\n', encoding="utf-8")
    m = load_mapping(p, DECISIONS)
    headers = ["Beslutsid", "Brukare", "Område", "Enhet", "Beslutsdatum", "Beslut"]
    chosen = resolve_columns(headers, DECISIONS, m)
    assert chosen["unit"] == "Område" and chosen["service"] == "Enhet"


def test_mapping_to_unknown_column_is_a_config_error(tmp_path):
    p = tmp_path / "mapping.toml"
    p.write_text('[columns]\n"Datum" = "decided_onn"\n', encoding="utf-8")
    with pytest.raises(ek.ConfigError, match="did you mean 'decided_on'"):
        load_mapping(p, DECISIONS)


def test_two_headers_for_one_column_must_be_resolved():
    headers = ["Beställnings-id", "Brukare", "Enhet", "Distrikt", "Ändringsdatum", "Ändringstyp"]
    with pytest.raises(ek.DataError, match="all map to 'unit'"):
        resolve_columns(headers, ORDERS, ColumnMapping())
