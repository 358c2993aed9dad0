"""The privacy gate: identity numbers are found everywhere and never shown.

Fixtures use only published numbers:

* Skatteverket's worked examples 640823-3234 and samordningsnummer 701063-2391
  (domain.md §3.1–3.2, sources [S25], [S26]).
* Skatteverket's testpersonnummer, open data set "Testpersonnummer" (CC0),
  https://www.dataportal.se/sv/datasets/6_67959/testpersonnummer, and its test
  samordningsnummer, https://skatteverket.entryscape.net/store/9/metadata/153,
  as reproduced in ActiveLogin.Identity (src/ActiveLogin.Identity.Swedish.TestData/
  AllPins.fs, PinTestdataTemplate.csv, AllCoordNums.fs, CoordinationTestDataTemplate.csv).
* Skatteetaten's synthetic Tenor test persons (month + 80),
  https://skatteetaten.github.io/api-dokumentasjon/test/testmiljo, and its test
  persons of the old AT environment,
  https://skatteetaten.github.io/datasamarbeid-api-dokumentasjon/data_testdata.html.
* D- and H-numbers are built here from those published Norwegian test numbers by
  the published rule (day + 40, month + 40), with the check digits computed by the
  reference implementation of domain.md §3.4 (:func:`no_with_checks`).
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.privacy import (
    KINDS,
    IdentifierHit,
    check_identifiers,
    classify_number,
    compact_rows,
    scan_identifiers,
)

# ----------------------------------------------------------------- reference implementation
# Copied from domain.md §3.4 (own code, checked there against Skatteverket's examples).
SE_W = (2, 1, 2, 1, 2, 1, 2, 1, 2)


def se_check(d9: str) -> int:
    s = sum((p // 10 + p % 10) for p in (int(c) * w for c, w in zip(d9, SE_W)))
    return (10 - s % 10) % 10


NO_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
NO_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def no_checks_ok(n: str, allow_2032: bool = True) -> bool:
    r1 = sum(w * int(c) for w, c in zip(NO_W1, n[:10])) % 11
    r2 = sum(w * int(c) for w, c in zip(NO_W2, n[:11])) % 11
    return r2 == 0 and (r1 in ((0, 1, 2, 3) if allow_2032 else (0,)))


def no_with_checks(first9: str) -> str:
    """Append K1 and K2 (weights 3 7 6 1 8 9 4 5 2 / 5 4 3 2 7 6 5 4 3 2)."""
    k1 = (11 - sum(w * int(c) for w, c in zip(NO_W1, first9)) % 11) % 11
    k2 = (11 - sum(w * int(c) for w, c in zip(NO_W2, first9 + str(k1))) % 11) % 11
    assert k1 < 10 and k2 < 10, "this base gives no valid number"
    return f"{first9}{k1}{k2}"


def date_exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def reference_se10(s: str) -> bool:
    """Date (either century) and Luhn, by the rules of domain.md §3.1–3.2.

    Samordningsnummer may carry 00 for an unknown month and/or day (day 60), as
    Skatteverket's published test samordningsnummer do (e.g. 191500722390).
    """
    yy, mm, dd = int(s[:2]), int(s[2:4]), int(s[4:6])
    if se_check(s[:9]) != int(s[9]):
        return False
    if dd >= 60:
        day = dd - 60
        if mm == 0:
            return day <= 31
        if day == 0:
            return 1 <= mm <= 12
        return any(date_exists(c + yy, mm, day) for c in (1900, 2000) if 1 <= mm <= 12)
    return 1 <= mm <= 12 and any(date_exists(c + yy, mm, dd) for c in (1900, 2000))


def reference_no(n: str, allow_2032: bool = True) -> bool:
    return no_checks_ok(n, allow_2032) and no_date_ok(n)


def no_date_ok(n: str) -> bool:
    """Date and century rules of domain.md §3.3 (check digits not looked at)."""
    dd, mm, yy, ind = int(n[:2]), int(n[2:4]), int(n[4:6]), int(n[6:9])
    is_d, is_h, is_syn = 41 <= dd <= 71, 41 <= mm <= 52, 81 <= mm <= 92
    if is_d and is_h:
        return False
    day = dd - 40 if is_d else dd
    month = mm - 40 if is_h else mm - 80 if is_syn else mm
    if is_h or is_syn:
        centuries = (1900, 2000)
    elif ind < 500:
        centuries = (1900,)
    elif ind < 750 and yy >= 54:
        centuries = (1800,)
    elif yy < 40:
        centuries = (2000,)
    elif ind >= 900:
        centuries = (1900,)
    else:
        return False
    return 1 <= month <= 12 and any(date_exists(c + yy, month, day) for c in centuries)


# ----------------------------------------------------------------- published numbers
SE_WORKED = "6408233234"  # Skatteverket's worked example 640823-3234
SE_COORD_WORKED = "7010632391"  # Skatteverket's samordningsnummer example 701063-2391
SE_TEST = ["201801012392", "201801022383", "201701012393", "199503232390", "189001019802"]
SE_TEST_LEAP = "199602292386"  # 1996-02-29, from the test list
SE_TEST_2005 = "200502072390"  # born 2005: the integer 502072390 has lost its leading zero
SE_COORD_TEST = ["199008672397", "191401682396"]
SE_COORD_UNKNOWN = ["191500722390", "191711602399"]  # month 00; day 60 (unknown day)
NO_SYNTHETIC = ["16822548834", "11812448848", "19872347995"]  # Tenor, month + 80
NO_TEST = ["01029413157", "04057849687", "18017749532", "18018200283"]  # old AT test persons
NO_D = [no_with_checks("4" + "10294131"), no_with_checks("5" + "80177495")]  # day + 40
NO_H = [no_with_checks("184177495"), no_with_checks("184182002")]  # month + 40

ALL_PLANTED = (
    [SE_WORKED, SE_COORD_WORKED, SE_TEST_LEAP, SE_TEST_2005] + SE_TEST + SE_COORD_TEST + SE_COORD_UNKNOWN
    + NO_SYNTHETIC + NO_TEST + NO_D + NO_H
)


def test_reference_implementation_agrees_with_the_published_numbers():
    for n in [SE_WORKED, SE_COORD_WORKED] + [s[2:] for s in SE_TEST + SE_COORD_TEST + SE_COORD_UNKNOWN]:
        assert reference_se10(n), n
    for n in NO_SYNTHETIC + NO_TEST + NO_D + NO_H:
        assert reference_no(n), n
    assert NO_D == ["41029413140", "58017749526"] and NO_H == ["18417749515", "18418200266"]


# ----------------------------------------------------------------- classify_number
@pytest.mark.parametrize(
    "text, kind",
    [
        ("640823-3234", "personnummer"),
        ("6408233234", "personnummer"),
        ("640823+3234", "personnummer"),
        ("640823 3234", "personnummer"),
        ("19640823-3234", "personnummer"),
        ("196408233234", "personnummer"),
        ("  19640823 3234 ", "personnummer"),
        ("701063-2391", "samordningsnummer"),
        ("19701063-2391", "samordningsnummer"),
        ("201801012392", "personnummer"),
        ("20180102-2383", "personnummer"),
        ("170101-2393", "personnummer"),
        ("950323-2390", "personnummer"),
        ("900101+9802", "personnummer"),  # born 1890: '+' separator
        ("189001019802", "personnummer"),
        ("199602292386", "personnummer"),  # 29 February 1996
        ("960229-2386", "personnummer"),
        ("199008672397", "samordningsnummer"),
        ("140168-2396", "samordningsnummer"),
        ("191500722390", "samordningsnummer"),  # month unknown (00)
        ("19171160-2399", "samordningsnummer"),  # day unknown (60)
        ("16822548834", "syntetisk (Tenor)"),
        ("168225 48834", "syntetisk (Tenor)"),
        ("11812448848", "syntetisk (Tenor)"),
        ("19872347995", "syntetisk (Tenor)"),
        ("01029413157", "fødselsnummer"),
        ("010294 13157", "fødselsnummer"),
        ("04057849687", "fødselsnummer"),
        ("18017749532", "fødselsnummer"),
        ("18018200283", "fødselsnummer"),
        (NO_D[0], "D-nummer"),
        (NO_D[1], "D-nummer"),
        (NO_H[0], "H-nummer"),
        (NO_H[1], "H-nummer"),
    ],
)
def test_classify_published_numbers(text, kind):
    assert classify_number(text) == kind
    assert kind in KINDS


@pytest.mark.parametrize("number", ALL_PLANTED)
def test_a_wrong_last_digit_is_not_an_identifier(number):
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert classify_number(wrong) is None


@pytest.mark.parametrize(
    "text",
    [
        "070-123 45 67",
        "0701234567",  # date-valid (2007-01-23) but the Luhn digit fails
        "+46701234567",
        "+46 70 123 45 67",
        "08-123 456 78",
        "2019-03-05",
        "20190305",
        "20190305123456",  # timestamp
        "123 45",  # postcode
        "1234567890",  # month 56
        "12 345 678,50",  # amount
        "1964082332345",  # 13 digits containing a personnummer
        "176408233234",  # century 17
        "216408233234",  # century 21
        "640823-32345",  # separator then 5 digits
        "6408-233234",
        "abc640823-3234",  # not one token
        "",
        "x",
    ],
)
def test_not_identifiers(text):
    assert classify_number(text) is None


def _with_luhn(first9: str) -> str:
    return first9 + str(se_check(first9))


@pytest.mark.parametrize(
    "first9",
    [
        "010229238",  # 29 Feb 2001/1901 does not exist
        "640230323",  # 30 February
        "640431323",  # 31 April
        "641301323",  # month 13
        "640001323",  # month 00 for a personnummer
        "640800323",  # day 00
        "640832323",  # day 32
        "640892323",  # samordningsnummer day 92 (= 32)
        "641360239",  # month 13 even for a samordningsnummer
    ],
)
def test_luhn_valid_but_impossible_dates_are_not_flagged(first9):
    number = _with_luhn(first9)
    assert se_check(number[:9]) == int(number[9])
    assert classify_number(number) is None
    assert classify_number("19" + number) is None


def test_twelve_digit_form_checks_the_leap_year_of_its_own_century():
    # 1900 was not a leap year, 2000 was: 29 February with the century written
    number = _with_luhn("000229238")
    assert classify_number("19" + number) is None
    assert classify_number("18" + number) is None  # 1800 was not one either


def test_norwegian_date_must_exist_in_the_century_of_the_individual_number():
    # individual number 131 (< 500) → 1900–1999; 29.02.1900 does not exist
    assert classify_number(no_with_checks("290200131")) is None
    # individual numbers 750–899 with YY >= 40 are not allocated: no century
    assert classify_number(no_with_checks("010294800")) is None
    # 500–749 with YY >= 54 → 1854–1899 (exists), with YY 40–53 → no century
    assert reference_no(no_with_checks("010260600"))
    assert classify_number(no_with_checks("010260600")) == "fødselsnummer"
    assert classify_number(no_with_checks("010245600")) is None
    # an H-number has no century rule: 29.02 counts if it exists in 19YY or 20YY
    assert classify_number(no_with_checks("294200131")) == "H-nummer"
    # day + 40 and month + 40 together is no defined number
    assert classify_number(no_with_checks("414294131")) is None


def test_norwegian_2032_rule_is_accepted_and_can_be_switched_off():
    base = NO_TEST[0][:9]
    # choose K1 so the weighted remainder of the first 10 digits is 2, then a valid K2
    r_without_k1 = sum(w * int(c) for w, c in zip(NO_W1, base)) % 11
    k1 = (2 - r_without_k1) % 11
    assert k1 < 10
    first10 = base + str(k1)
    k2 = (11 - sum(w * int(c) for w, c in zip(NO_W2, first10)) % 11) % 11
    number = first10 + str(k2)
    assert no_checks_ok(number, allow_2032=True) and not no_checks_ok(number, allow_2032=False)
    assert classify_number(number) == "fødselsnummer"
    assert classify_number(number, allow_2032=False) is None
    frame = pd.DataFrame({"fnr": [number]})
    assert scan_identifiers(frame, allow_2032=False) == []
    assert len(scan_identifiers(frame)) == 1


# ----------------------------------------------------------------- random digits
def test_random_ten_digit_strings_match_the_reference_and_the_theoretical_share():
    rng = np.random.default_rng(20240501)
    n = 10_000
    strings = ["".join(map(str, row)) for row in rng.integers(0, 10, size=(n, 10))]
    frame = pd.DataFrame({"x": strings}, index=range(2, n + 2))
    flagged = {strings[h.row - 2] for h in scan_identifiers(frame)}
    expected = {s for s in strings if reference_se10(s)}
    assert flagged == expected
    assert all(classify_number(s) in ("personnummer", "samordningsnummer") for s in flagged)
    # Theoretical share: (valid YYMMDD combinations / 10^6) x 1/10 for the Luhn digit.
    # Per YY: personnummer 365/366 days; samordningsnummer the same + 12 (day 60,
    # unknown day) + 32 (month 00, day 60–91).
    valid_dates = sum(2 * (366 if yy % 4 == 0 else 365) + 12 + 32 for yy in range(100))
    share = valid_dates / 1e6 / 10
    sd = np.sqrt(n * share * (1 - share))
    assert abs(len(flagged) - n * share) < 4 * sd, (len(flagged), n * share)


def test_random_eleven_digit_strings_match_the_reference_and_the_mod11_share():
    rng = np.random.default_rng(7)
    n = 10_000
    strings = ["".join(map(str, row)) for row in rng.integers(0, 10, size=(n, 11))]
    frame = pd.DataFrame({"x": strings})
    flagged = {strings[h.row] for h in scan_identifiers(frame)}
    assert flagged == {s for s in strings if reference_no(s)}
    # Among date-valid strings the two controls pass with probability 4/11 x 1/11
    # (first remainder 0–3 of 11 values under the 2032 rule, second exactly 0).
    date_valid = [s for s in strings if no_date_ok(s)]
    p = 4 / 121
    m = len(date_valid)
    assert m > 500
    # the count of flagged among date-valid is Binomial(m, p)
    assert abs(len(flagged) - m * p) < 4 * np.sqrt(m * p * (1 - p)), (len(flagged), m * p)


# ----------------------------------------------------------------- planted in every position
def _planted_frame() -> pd.DataFrame:
    n = 12
    text = [f"Besök {i}: allt väl" for i in range(n)]
    text[1] = "Brukaren 19640823-3234 ringde om tiden"
    text[4] = f"Ny samordning {SE_COORD_WORKED[:6]}-{SE_COORD_WORKED[6:]}, se akt"
    text[7] = f"Bruker med fnr {NO_TEST[0][:6]} {NO_TEST[0][6:]} ringte"
    text[9] = f"D-nr {NO_D[0]} og H-nr {NO_H[0]}."
    own = [f"p{i:03d}" for i in range(n)]
    own[2], own[3], own[5], own[6] = SE_TEST[0], "950323-2390", NO_SYNTHETIC[0], SE_COORD_TEST[1][2:]
    ints = list(range(1000, 1000 + n))
    ints[0], ints[8] = int(SE_WORKED), int(SE_TEST_2005[2:])  # 502072390: leading zero lost
    ints[10] = int(NO_TEST[0])  # 1029413157: leading zero lost
    ints[11] = int(SE_TEST[1])
    floats = [float(i) + 0.5 for i in range(n)]
    floats[3], floats[5] = float(SE_WORKED), np.nan
    floats[6] = float(NO_TEST[2])
    mixed = pd.Series(["a", 3, SE_TEST[2], 4.5] + ["b"] * (n - 4), dtype=object)
    mixed[6] = int(NO_H[1])
    frame = pd.DataFrame(
        {
            "note": pd.Series(text, dtype="str"),
            "person": pd.Series(own, dtype="str"),
            "number": pd.Series(ints, dtype="int64"),
            "amount": floats,
            "mixed": mixed,
            "unit": pd.Series(["Norr"] * (n - 1) + [SE_COORD_TEST[0]], dtype="category"),
            "nullable": pd.array([None] * (n - 1) + [int(NO_TEST[3])], dtype="Int64"),
            SE_TEST_LEAP: ["x"] * n,  # a column *named* with a personnummer
            "ok": [True] * n,
        }
    )
    frame.index = pd.RangeIndex(2, n + 2)  # file row numbers (header is line 1)
    return frame


def test_numbers_are_found_in_every_position():
    hits = scan_identifiers(_planted_frame())
    found = {(h.column, h.row, h.kind) for h in hits}
    header = "column 8 (name withheld)"
    assert found == {
        ("note", 3, "personnummer"),
        ("note", 6, "samordningsnummer"),
        ("note", 9, "fødselsnummer"),
        ("note", 11, "D-nummer"),
        ("note", 11, "H-nummer"),
        ("person", 4, "personnummer"),
        ("person", 5, "personnummer"),
        ("person", 7, "syntetisk (Tenor)"),
        ("person", 8, "samordningsnummer"),
        ("number", 2, "personnummer"),
        ("number", 10, "personnummer"),
        ("number", 12, "fødselsnummer"),
        ("number", 13, "personnummer"),
        ("amount", 5, "personnummer"),
        ("amount", 8, "fødselsnummer"),
        ("mixed", 4, "personnummer"),
        ("mixed", 8, "H-nummer"),
        ("unit", 13, "samordningsnummer"),
        ("nullable", 13, "fødselsnummer"),
        (header, None, "personnummer"),
    }
    assert all(isinstance(h, IdentifierHit) for h in hits)
    assert [h.position for h in hits] == sorted(h.position for h in hits)


def test_refusal_names_file_columns_rows_and_kinds_but_never_the_numbers():
    frame = _planted_frame()
    with pytest.raises(ek.IdentifierError) as info:
        check_identifiers(frame, file="exports/beslut.csv", sheet="Blad1")
    err = info.value
    assert isinstance(err, ek.DataError)
    message = str(err)
    digits_in_message = re.sub(r"\D", "", message)
    for number in ALL_PLANTED + [SE_TEST_LEAP]:
        for form in {number, number[-10:], number[2:] if len(number) == 12 else number}:
            assert form not in message
            assert form not in digits_in_message
        assert number[:6] not in message  # not even the birth date part
    assert "beslut.csv" in message and "Blad1" in message
    assert "ek.pseudonymise" in message and "remove the column" in message
    by_column = {(p.column, p.message) for p in err.problems}
    assert ("note", "personnummer in row 3") in by_column
    assert ("number", "personnummer in rows 2, 10, 13") in by_column
    assert ("column 8 (name withheld)", "the column name is a personnummer") in by_column
    assert all(p.file == "exports/beslut.csv" and p.sheet == "Blad1" for p in err.problems)
    assert all(p.column is not None for p in err.problems)


def test_many_rows_are_listed_compactly():
    n = 40
    values = ["x"] * n
    for i in [2, 7, 15, 16, 17, 18] + list(range(20, 40, 2)):
        values[i] = SE_TEST[i % 5]
    frame = pd.DataFrame({"pnr": values}, index=range(1, n + 1))
    with pytest.raises(ek.IdentifierError) as info:
        check_identifiers(frame)
    (problem,) = info.value.problems
    assert problem.message == "personnummer in rows 3, 8, 16–19, 21, 23, 25 and 7 more"
    assert "The table is refused" in str(info.value)


def test_clean_table_passes_and_false_alarm_candidates_stay_quiet():
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame(
        {
            "phone": [f"070-{rng.integers(100, 999)} {rng.integers(10, 99)} {rng.integers(10, 99)}" for _ in range(n)],
            "intl": [f"+4670{rng.integers(1000000, 9999999)}" for _ in range(n)],
            "order": rng.integers(10**12, 10**13, n),  # 13-digit order numbers
            "order_text": [f"ORD-{v}" for v in rng.integers(10**12, 10**13, n)],
            "decided": pd.date_range("2019-03-05", periods=n, freq="D").strftime("%Y-%m-%d"),
            "when": pd.date_range("2019-03-05", periods=n, freq="D"),
            "stamp": pd.date_range("2019-03-05", periods=n, freq="h").strftime("%Y%m%d%H%M%S"),
            "postcode": [f"{rng.integers(100, 999)} {rng.integers(10, 99)}" for _ in range(n)],
            "amount": rng.gamma(2, 5000, n).round(2),
            "hours": rng.integers(0, 200, n),
            # 7–9 digits: a padded reading (leading zeros lost) counts only in a column of mostly hits
            "small_id": rng.integers(1_000_000, 99_999_999, n),
            "nine_digit_id": rng.integers(100_000_000, 999_999_999, n),
            "flag": rng.random(n) < 0.5,
        }
    )
    frame["order_with_pnr"] = "1" + SE_WORKED + "99"  # a pnr inside a 13-digit run
    frame["wrong_luhn"] = "640823-3235"
    frame["bad_date"] = _with_luhn("640230323")
    assert scan_identifiers(frame) == []
    check_identifiers(frame)  # does not raise


def test_columns_and_max_hits_options():
    frame = pd.DataFrame({"a": [SE_TEST[0]] * 5, "b": [NO_TEST[0]] * 5, SE_WORKED: range(5)})
    assert {h.column for h in scan_identifiers(frame, columns=["b"])} == {"b"}
    assert len(scan_identifiers(frame, max_hits=3)) == 3
    assert len(scan_identifiers(frame)) == 11


def test_empty_and_all_missing_frames_pass():
    check_identifiers(pd.DataFrame())
    check_identifiers(pd.DataFrame({"a": [np.nan, np.nan], "b": pd.Series([None, None], dtype="str")}))


def test_non_integer_index_is_reported_as_is():
    frame = pd.DataFrame({"pnr": [SE_WORKED, "x"]}, index=["r1", "r2"])
    assert scan_identifiers(frame) == [IdentifierHit("pnr", "r1", "personnummer", 1)]


@pytest.mark.parametrize(
    "rows, text",
    [
        ([4], "row 4"),
        ([4, 5], "rows 4–5"),
        ([4, 9, 17, 18, 19, 20], "rows 4, 9, 17–20"),
        ([1, 3, 5, 7, 9, 11, 13, 15], "rows 1, 3, 5, 7, 9, 11 and 2 more"),
        (["a", "b"], "rows a, b"),
    ],
)
def test_compact_rows(rows, text):
    assert compact_rows(rows) == text


@pytest.mark.parametrize(
    "value",
    [
        "640823-3234\n",
        "\t19640823-3234",
        " 640823 3234 ",
        "Rad 1\nPnr: 640823-3234\nRad 3",
        "(640823-3234)",
        "pnr=196408233234;",
    ],
)
def test_whitespace_and_punctuation_around_a_number(value):
    frame = pd.DataFrame({"x": ["nothing", value]})
    assert scan_identifiers(frame) == [IdentifierHit("x", 1, "personnummer", 1)]


@pytest.mark.parametrize("dtype", ["str", "string[python]", "string[pyarrow]", "object", "category"])
def test_every_string_dtype_is_scanned(dtype):
    frame = pd.DataFrame({"x": pd.Series(["a", None, "Brukaren 19640823-3234 ringde"], dtype=dtype)})
    assert scan_identifiers(frame) == [IdentifierHit("x", 2, "personnummer", 1)]


def test_integer_column_names_and_several_numbers_in_one_cell():
    frame = pd.DataFrame({int(SE_TEST[0]): [f"{SE_WORKED} och {SE_TEST[1]} samt {NO_TEST[1]}"]})
    hits = scan_identifiers(frame)
    assert {(h.column, h.row, h.kind) for h in hits} == {
        ("column 1 (name withheld)", None, "personnummer"),
        ("column 1 (name withheld)", 0, "personnummer"),
        ("column 1 (name withheld)", 0, "fødselsnummer"),
    }
    assert len(hits) == 3  # one hit per cell and kind, however many numbers it holds


# A plain regex with both lookarounds, written straight from the rule: a token is
# 12 (SE, century 18/19/20, optionally a space after it), 11 (NO) or 10 (SE) digits,
# the last four or five after a separator (a dash or plus with up to two spaces on
# either side, or one or two spaces), not touching other digits.
SEP = r"(?:[ \t]{0,2}[-+][ \t]{0,2}|[ \t]{1,2})?"
PLAIN_TOKEN = re.compile(
    rf"(?<![0-9])(?:(?:18|19|20) ?[0-9]{{6}}{SEP}[0-9]{{4}}|[0-9]{{6}}{SEP}[0-9]{{5}}|[0-9]{{6}}{SEP}[0-9]{{4}})(?![0-9])"
)


def reference_kinds(text: str) -> set[str]:
    kinds = set()
    for match in PLAIN_TOKEN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 11:
            if reference_no(digits):
                dd, mm = int(digits[:2]), int(digits[2:4])
                kinds.add("syntetisk (Tenor)" if 81 <= mm <= 92 else "H-nummer" if 41 <= mm <= 52
                          else "D-nummer" if 41 <= dd <= 71 else "fødselsnummer")
            continue
        ten = digits[-10:]
        if not reference_se10(ten):
            continue
        if len(digits) == 12:
            year, mm, dd = int(digits[:4]), int(ten[2:4]), int(ten[4:6]) % 60
            if mm == 2 and dd == 29 and not date_exists(year, 2, 29):
                continue
        kinds.add("samordningsnummer" if int(ten[4:6]) >= 60 else "personnummer")
    return kinds


def test_random_free_text_matches_the_plain_rule():
    # digits, separators and letters, dense enough that most cells hold candidates;
    # numbers that pass are planted at random places so that every kind occurs
    rng = np.random.default_rng(99)
    alphabet = np.array(list("0123456789") + [" ", "-", "+", "a", "\n"])
    p = [0.085] * 10 + [0.07, 0.03, 0.02, 0.02, 0.01]
    published = ["640823-3234", "19640823 3234", "701063-2391", "168225 48834", NO_D[0], NO_H[0], NO_TEST[0]]
    texts = []
    for i in range(3000):
        text = "".join(rng.choice(alphabet, size=int(rng.integers(10, 50)), p=p))
        if i % 10 == 0:
            cut = int(rng.integers(0, len(text) + 1))
            text = text[:cut] + " " + published[i // 10 % len(published)] + " " + text[cut:]
        texts.append(text)
    frame = pd.DataFrame({"note": pd.Series(texts, dtype="str")})
    found: dict[int, set[str]] = {}
    for hit in scan_identifiers(frame, max_hits=10**6):
        found.setdefault(hit.row, set()).add(hit.kind)
    expected = {i: k for i, t in enumerate(texts) if (k := reference_kinds(t))}
    assert found == expected
    assert set().union(*expected.values()) == set(KINDS)
    assert len(expected) > 300  # planted (300) and random hits
    assert sum(bool(PLAIN_TOKEN.search(t)) for t in texts) > 1000  # most cells hold candidates
