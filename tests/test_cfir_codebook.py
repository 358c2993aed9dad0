"""The CFIR 2.0 codebook: the tree of Damschroder et al. (2022), stable GUIDs, REFI-QDA export and re-import."""
from __future__ import annotations

import tomllib
import uuid
from pathlib import Path

import pandas as pd
import pytest

import evalkit as ek
from evalkit.implementation import _cfir_tree
from evalkit.io.codings import EVALKIT_NAMESPACE
from evalkit.io.refi_write import codebook_xml, validate_refi

DATA = Path(__file__).resolve().parents[1] / "evalkit" / "data" / "cfir" / "cfir2.toml"

# Damschroder et al. 2022, Table 3 (implementation.md §1.1): constructs per domain and their subconstructs
EXPECTED = {
    "I": ("ABCDEFGH", {}),
    "II": ("ABCDEFG", {"G": 3}),
    "III": ("ABCDEFGHIJK", {"A": 3, "D": 4, "J": 3}),
    "IV": ("ABCDEFGHIJKLM", {}),
    "V": ("ABCDEFGHI", {"B": 2, "F": 2, "H": 2}),
}


def test_tree_has_5_domains_48_constructs_19_subconstructs():
    t = ek.cfir.constructs("en")
    assert t["kind"].value_counts().to_dict() == {"construct": 48, "subconstruct": 19, "domain": 5}
    assert t["id"].is_unique
    for domain, (letters, subs) in EXPECTED.items():
        mine = t[(t["domain"] == domain) & (t["kind"] == "construct")]
        assert "".join(i.split(".")[1] for i in mine["id"]) == letters
        for letter, n in subs.items():
            kids = t[t["parent_id"] == f"{domain}.{letter}"]
            assert kids["id"].tolist() == [f"{domain}.{letter}.{k}" for k in range(1, n + 1)]
    # a few names the article uses, to catch a shifted letter
    named = dict(zip(t["id"], t["label"]))
    assert named["III.J"] == "Available Resources" and named["II.G.3"] == "Performance-Measurement Pressure"
    assert named["IV.M"] == "Motivation" and named["V.H.2"] == "Innovation" and named["III.D.1"] == \
        "Human Equality-Centeredness"
    assert set(t.loc[t["domain"] == "IV", "subdomain"].dropna()) == {"roles", "characteristics"}
    assert t.loc[t["id"].isin(["IV.J", "IV.K", "IV.L", "IV.M"]), "subdomain"].eq("characteristics").all()


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_every_code_has_a_label_and_definition_in_every_language(language):
    t = ek.cfir.constructs(language)
    assert t["label"].str.len().gt(2).all() and t["definition"].str.len().gt(15).all()
    # definitions are per construct, not one text pasted everywhere
    assert t["definition"].nunique() == len(t)


def test_languages_differ_but_guids_do_not():
    sv, en = ek.cfir.codebook("sv").codes, ek.cfir.codebook("en").codes
    assert sv["code_guid"].tolist() == en["code_guid"].tolist()
    assert (sv["name"] != en["name"]).sum() > 50
    # guid = uuid5(namespace, id) with the namespace derived from evalkit's
    ns = uuid.uuid5(EVALKIT_NAMESPACE, "CFIR 2.0 (Damschroder et al. 2022)")
    row = en[en["name"] == "III.J.1 Funding"].iloc[0]
    assert row["code_guid"] == str(uuid.uuid5(ns, "III.J.1"))
    parent = en[en["code_guid"] == row["parent_guid"]].iloc[0]
    assert parent["name"] == "III.J Available Resources"


def test_domains_are_categories_constructs_codable():
    c = ek.cfir.codebook("sv").codes
    assert c.loc[c["depth"] == 0, "is_codable"].eq(False).all() and len(c[c["depth"] == 0]) == 5
    assert c.loc[c["depth"] > 0, "is_codable"].all()
    assert c["depth"].value_counts().to_dict() == {1: 48, 2: 19, 0: 5}


def test_qdc_validates_is_stable_and_reads_back_to_the_same_tree(tmp_path):
    cb = ek.cfir.codebook("nb")
    assert validate_refi(codebook_xml(cb)) == []
    a = ek.write_qdc(cb, tmp_path / "a.qdc")
    b = ek.cfir.write_codebook(tmp_path / "b.qdc", "nb")
    # the same codebook exported twice is byte-identical (apart from the origin attribute of write_codebook)
    assert ek.write_qdc(ek.cfir.codebook("nb"), tmp_path / "c.qdc").read_bytes() == a.read_bytes()
    for path in (a, b):
        back = ek.load_codings(path)
        cols = ["code_guid", "name", "parent_guid", "is_codable", "description", "path", "depth"]
        pd.testing.assert_frame_equal(back.codes[cols].reset_index(drop=True), cb.codes[cols].reset_index(drop=True),
                                      check_dtype=False)
        assert (back.codes["is_codable"].sum(), len(back.codes)) == (67, 72)


def test_citation_is_in_the_data_file_and_the_docstrings():
    meta = tomllib.loads(DATA.read_text(encoding="utf-8"))["meta"]
    assert meta["citation"] == _cfir_tree.CITATION
    assert "Implementation Science 2022;17:75" in _cfir_tree.CITATION
    assert "17:75" in ek.cfir.__doc__ and "17:75" in ek.cfir.codebook.__doc__


def test_codings_codes_map_to_constructs_by_guid_id_prefix_or_unique_label():
    codes = pd.DataFrame({"code_guid": [ek.cfir.construct_guid("V.D"), "g2", "g3", "g4", "g5", "g6"],
                          "name": ["Anything", "III.J - resurser", "Tillgängliga resurser", "innovation deliverers",
                                   "IIIJ", "Motivation"]})
    got = ek.cfir.match_codes(codes)
    # "Innovation Deliverers" is the label of IV.H, V.B.1 and V.F.1: ambiguous, so not matched by label
    assert got == {ek.cfir.construct_guid("V.D"): "V.D", "g2": "III.J", "g3": "III.J", "g6": "IV.M"}


def test_docstring_examples_run():
    import doctest

    from evalkit.implementation import _cfir_form, cfir, instruments

    for module in (cfir, _cfir_tree, _cfir_form, instruments):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0, module.__name__
