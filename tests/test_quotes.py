"""Quote masking and selection: every kind of identifying detail the brief names is masked, ordinary
words and place names are kept, quotes are role-labelled, diverse across sources and within length limits."""
from __future__ import annotations

import pandas as pd
import pytest

from evalkit.analysis.quotes import mask_text, role_labels, select_quotes


@pytest.mark.parametrize("text, expected", [
    ("Ring 070-123 45 67 efter lunch.", "Ring [telefon] efter lunch."),
    ("Numret är +46 8 123 456 78.", "Numret är [telefon]."),
    ("Norsk mobil 912 34 567 ringer ikke.", "Norsk mobil 912 34 567 ringer ikke."),  # no leading 0/+: kept
    ("Skriv till anna.svensson@exempel.se idag.", "Skriv till [e-post] idag."),
    ("Hans personnummer 19640823-3234 stod i brevet.", "Hans personnummer [personnummer] stod i brevet."),
    ("Hon har 640823-3234 som nummer.", "Hon har [personnummer] som nummer."),
    ("Fødselsnummer 01017012345 ble brukt.", "Fødselsnummer [personnummer] ble brukt."),
    ("Hon bor på Storgatan 12 B i Norr.", "Hon bor på [adress] i Norr."),
    ("Vi bor i Karl Johans gate 12 i Oslo.", "Vi bor i [adress] i Oslo."),
    ("Vår kontaktperson Lena Berg kommer ibland.", "Vår kontaktperson [namn] kommer ibland."),
    ("Min dotter Karin hjälper till.", "Min dotter [namn] hjälper till."),
    ("Jag heter Anna och bor i Centrum.", "Jag heter [namn] och bor i Centrum."),
    ("Det fungerar bra i Åsen. Personalen är snäll.", "Det fungerar bra i Åsen. Personalen är snäll."),
    # "man" is a cue ("mannen Erik") but also the pronoun "one": a lower-case word after it is no name
    ("Man frågade vad jag själv tyckte.", "Man frågade vad jag själv tyckte."),
    ("Hon sa att mannen Erik ringer.", "Hon sa att mannen [namn] ringer."),
    ("Hon kallade MAMMA Karin dit.", "Hon kallade MAMMA [namn] dit."),
])
def test_mask_text_sv(text, expected):
    assert mask_text(text) == expected


def test_configured_names_and_languages():
    assert mask_text("Jag pratade med sjuksköterskan berit om det.", names=["Berit"]) == \
        "Jag pratade med sjuksköterskan [namn] om det."
    assert mask_text("Ring 070-1234567, sa Ola Nordmann.", language="nb") == "Ring [telefon], sa [navn]."
    assert mask_text("Mail kim@x.org", language="en") == "Mail [e-mail]"


def test_role_labels_number_within_group():
    labels = role_labels(pd.Series({"g1": "handläggare", "g2": "anhörig", "g3": "handläggare"}),
                         {"handläggare": "Handläggare"})
    assert labels.to_dict() == {"g1": "Handläggare 1", "g2": "Anhörig 1", "g3": "Handläggare 2"}


def test_select_quotes_diverse_limited_masked():
    seg = pd.DataFrame({
        "code_guid": ["c"] * 5, "group": ["anhörig"] * 5, "source_guid": ["s1", "s1", "s2", "s3", "s4"],
        "text": ["Kort.", "Lena Berg kommer nästan aldrig, det är nya vikarier varje dag och mamma blir orolig.",
                 "Det kommer nya ansikten hela tiden, ibland fem olika personer på en dag.",
                 "Samma sak i år som förra året, personalen byts ut hela tiden och ingen känner oss.",
                 "Ord " * 200]})
    labels = pd.Series({"s1": "Anhörig 1", "s2": "Anhörig 2", "s3": "Anhörig 3", "s4": "Anhörig 4"})
    q = select_quotes(seg, labels, n=3, min_chars=20, max_chars=120)
    assert len(q) == 3 and q["source_guid"].is_unique          # one per interview
    assert (q["quote"].str.len() <= 122).all()                # length limit (plus an ellipsis)
    assert "Kort." not in set(q["quote"])                       # below the minimum length
    assert not q["quote"].str.contains("Lena").any()           # masked
    assert set(q["label"]) <= set(labels)
    assert q.equals(select_quotes(seg, labels, n=3, min_chars=20, max_chars=120))  # seeded: same choice


def test_the_same_words_are_quoted_once_under_a_theme():
    # three interviews of three groups hold the same sentence: it is quoted once, and each other group gets
    # its own words (or no quote) instead of a copy attributed to another person
    same = "Allt är uppdelat i minuter, sju minuter för dusch och fem för frukost."
    seg = pd.DataFrame({
        "code_guid": ["c"] * 5 + ["d"],
        "group": ["anhörig", "chef", "politiker", "chef", "anhörig", "chef"],
        "source_guid": ["s1", "s2", "s3", "s2", "s1", "s2"],
        "text": [same, same, same, "Vi planerar om varje morgon utifrån vad brukarna faktiskt behöver.",
                 same, same]})
    labels = pd.Series({"s1": "Anhörig 1", "s2": "Chef 1", "s3": "Politiker 1"})
    q = select_quotes(seg, labels, n=2, min_chars=20)
    under_c = q[q["code_guid"] == "c"]
    assert under_c["quote"].is_unique and (under_c["quote"] == same).sum() == 1
    assert set(under_c["group"]) == {"anhörig", "chef"}      # politiker had only the repeated words
    assert (q[q["code_guid"] == "d"]["quote"] == same).sum() == 1   # another theme may quote them again
