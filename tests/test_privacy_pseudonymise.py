"""Pseudonymisation: one person, one pseudonym; the key never leaves the caller.

Numbers are Skatteverket's worked example 640823-3234 (domain.md §3.1) and
Skatteetaten's synthetic test person 16822548834 (domain.md §3.3, [S30]).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import pickle

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.privacy import check_identifiers, normalise_identifier, pseudonymise

KEY = "a test key that is not secret"


def expected_pseudonym(canonical: str, key: str = KEY, prefix: str = "", length: int = 16) -> str:
    """The documented formula, computed with the standard library only."""
    digest = hmac.new(key.encode(), canonical.encode(), hashlib.sha256).digest()
    return prefix + base64.b32encode(digest).decode().lower()[:length]


def test_every_spelling_of_one_number_gets_one_pseudonym():
    spellings = ["19640823-3234", "640823-3234", "196408233234", "6408233234", "640823+3234",
                 " 640823 3234 ", "19640823 3234"]
    frame = pd.DataFrame({"pnr": spellings})
    out = pseudonymise(frame, "pnr", key=KEY)
    assert out["pnr"].nunique() == 1
    assert out["pnr"].iloc[0] == expected_pseudonym("6408233234")


def test_numbers_stored_as_int_and_float_match_the_text_form():
    frame = pd.DataFrame({"as_int": [6408233234, 196408233234], "as_float": [6408233234.0, np.nan]})
    out = pseudonymise(frame, ["as_int", "as_float"], key=KEY, prefix="p")
    target = expected_pseudonym("6408233234", prefix="p")
    assert list(out["as_int"]) == [target, target]
    assert out["as_float"].iloc[0] == target
    assert pd.isna(out["as_float"].iloc[1])


def test_leading_zero_lost_in_a_spreadsheet_is_restored():
    # 01029413157: Skatteetaten test person (data_testdata.html); as an integer it has 10 digits
    assert normalise_identifier(1029413157) == "01029413157"
    assert normalise_identifier("010294 13157") == "01029413157"
    assert normalise_identifier(1234567) == "1234567"  # not an identifier: unchanged


def test_norwegian_numbers_keep_eleven_digits():
    frame = pd.DataFrame({"fnr": ["16822548834", "168225 48834"]})
    out = pseudonymise(frame, "fnr", key=KEY)
    assert out["fnr"].nunique() == 1
    assert out["fnr"].iloc[0] == expected_pseudonym("16822548834")


def test_different_people_and_different_keys_give_different_pseudonyms():
    frame = pd.DataFrame({"id": ["640823-3234", "16822548834", "kund 17"]})
    a = pseudonymise(frame, "id", key=KEY)["id"]
    b = pseudonymise(frame, "id", key=KEY + "2")["id"]
    assert a.nunique() == 3
    assert not set(a) & set(b)
    assert a.iloc[2] == expected_pseudonym("kund 17")


def test_result_passes_the_gate_and_input_is_untouched():
    frame = pd.DataFrame({"pnr": ["640823-3234", "16822548834"], "x": [1, 2]})
    frame.attrs["source"] = "test"
    with pytest.raises(ek.IdentifierError):
        check_identifiers(frame)
    out = pseudonymise(frame, "pnr", key=KEY, prefix="p", length=20)
    check_identifiers(out)
    assert list(frame["pnr"]) == ["640823-3234", "16822548834"]
    assert out["x"].tolist() == [1, 2]
    assert out["pnr"].str.len().tolist() == [21, 21]
    assert out.attrs == {"source": "test"}


def test_many_pseudonyms_never_look_like_identity_numbers():
    # hex digests hold long digit runs; base32 ones must not trip the gate
    frame = pd.DataFrame({"id": [f"kund-{i}" for i in range(20_000)]})
    out = pseudonymise(frame, "id", key=KEY, length=52)
    assert out["id"].nunique() == 20_000
    check_identifiers(out)


def test_the_key_is_not_stored_anywhere_in_the_result():
    frame = pd.DataFrame({"pnr": ["640823-3234"]})
    out = pseudonymise(frame, "pnr", key=KEY)
    blob = pickle.dumps(out)
    assert KEY.encode() not in blob
    assert KEY not in out.to_csv()
    assert KEY not in repr(out.attrs)


@pytest.mark.parametrize("key", ["", b""])
def test_empty_key_is_refused(key):
    with pytest.raises(ek.ConfigError, match="key is empty"):
        pseudonymise(pd.DataFrame({"a": ["1"]}), "a", key=key)


def test_bad_arguments_are_evalkit_errors():
    frame = pd.DataFrame({"a": ["1"]})
    with pytest.raises(ek.ConfigError, match="no column"):
        pseudonymise(frame, "b", key=KEY)
    with pytest.raises(ek.ConfigError, match="length"):
        pseudonymise(frame, "a", key=KEY, length=4)
    with pytest.raises(ek.ConfigError, match="bytes or str"):
        pseudonymise(frame, "a", key=123)
    with pytest.raises(ValueError):  # ConfigError is a ValueError too
        pseudonymise(frame, "a", key="")


def test_bytes_and_str_keys_agree():
    frame = pd.DataFrame({"a": ["640823-3234"]})
    assert pseudonymise(frame, "a", key=KEY).equals(pseudonymise(frame, "a", key=KEY.encode()))
