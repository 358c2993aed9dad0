"""Words of the CFIR rating form and the CFIR result, per language (sv, nb, en).

Kept beside the code like the other modules' word dicts until the shared catalogue exists.
The rating definitions paraphrase the criteria of Damschroder & Lowery (2013, Implementation
Science 8:51) in evalkit's own words.
"""
from __future__ import annotations

SHEETS = {
    "sv": {"instructions": "Instruktioner", "rating": "CFIR-bedömning", "lists": "Listor"},
    "nb": {"instructions": "Instruksjoner", "rating": "CFIR-vurdering", "lists": "Lister"},
    "en": {"instructions": "Instructions", "rating": "CFIR ratings", "lists": "Lists"},
}

#: form columns: canonical key -> header per language
HEADERS = {
    "unit": {"sv": "Enhet", "nb": "Enhet", "en": "Unit"},
    "construct": {"sv": "Konstrukt-id", "nb": "Konstrukt-id", "en": "Construct id"},
    "label": {"sv": "Konstrukt", "nb": "Konstrukt", "en": "Construct"},
    "segments": {"sv": "Kodade avsnitt", "nb": "Kodede avsnitt", "en": "Coded passages"},
    "informants": {"sv": "Intervjupersoner", "nb": "Informanter", "en": "Informants"},
    "roles": {"sv": "Roller", "nb": "Roller", "en": "Roles"},
    "memo": {"sv": "Underlag (maskerade citat)", "nb": "Grunnlag (maskerte sitater)", "en": "Memo (masked quotes)"},
    "rating": {"sv": "Bedömning", "nb": "Vurdering", "en": "Rating"},
    "rationale": {"sv": "Motivering", "nb": "Begrunnelse", "en": "Rationale"},
}

MISSING_LABEL = {"sv": "Saknas", "nb": "Mangler", "en": "Missing"}
#: the list values of the rating dropdown, in order; the last is the language's "missing"
RATING_CODES = ("+2", "+1", "0", "-1", "-2", "X", "missing")

RATING_DEFINITIONS = {
    "sv": {
        "+2": "Tydligt positivt inflytande: flertalet intervjupersoner (minst två) ger konkreta exempel.",
        "+1": "Positivt inflytande men allmänt hållet, utan konkreta exempel, eller blandat med övervägande positivt.",
        "0": "Neutralt: beskrivande utan påverkan åt något håll.",
        "-1": "Negativt inflytande men allmänt hållet, utan konkreta exempel, eller blandat med övervägande negativt.",
        "-2": "Tydligt negativt inflytande: flertalet intervjupersoner (minst två) ger konkreta exempel.",
        "X": "Blandat: positiva och negativa uttalanden väger jämnt eller motsäger varandra (hålls isär från 0).",
        "missing": "Underlag saknas: ingen har sagt något om konstruktet i enheten (hålls isär från 0).",
    },
    "nb": {
        "+2": "Tydelig positiv innflytelse: de fleste informantene (minst to) gir konkrete eksempler.",
        "+1": "Positiv innflytelse, men generelt uttrykt uten konkrete eksempler, eller blandet med overvekt av positivt.",
        "0": "Nøytral: beskrivende uten påvirkning i noen retning.",
        "-1": "Negativ innflytelse, men generelt uttrykt uten konkrete eksempler, eller blandet med overvekt av negativt.",
        "-2": "Tydelig negativ innflytelse: de fleste informantene (minst to) gir konkrete eksempler.",
        "X": "Blandet: positive og negative utsagn veier likt eller motsier hverandre (holdes adskilt fra 0).",
        "missing": "Grunnlag mangler: ingen har sagt noe om konstruktet i enheten (holdes adskilt fra 0).",
    },
    "en": {
        "+2": "Clearly positive influence: most informants (at least two) give concrete examples.",
        "+1": "Positive influence, but stated in general terms without concrete examples, or mixed with a positive lean.",
        "0": "Neutral: descriptive, no influence either way.",
        "-1": "Negative influence, but stated in general terms without concrete examples, or mixed with a negative lean.",
        "-2": "Clearly negative influence: most informants (at least two) give concrete examples.",
        "X": "Mixed: positive and negative statements balance or contradict each other (kept apart from 0).",
        "missing": "No data: nobody said anything about the construct in this unit (kept apart from 0).",
    },
}

FORM_TEXTS = {
    "sv": {
        "title": "CFIR 2.0: bedömning per enhet och konstrukt",
        "intro": "Läs underlaget för varje enhet och konstrukt i fliken '{sheet}', välj en bedömning i listan och "
                 "skriv en kort motivering. Endast gula celler kan fyllas i.",
        "no_edit": "Ändra inte enheter, konstrukt eller underlag och lägg inte till eller ta bort rader; formuläret "
                   "kontrolleras när det läses in.",
        "privacy": "Skriv inga namn eller personuppgifter i motiveringen; citaten visar bara roller.",
        "scale": "Skala (efter Damschroder & Lowery 2013)",
        "rater": "Bedömare", "source": "Källa",
    },
    "nb": {
        "title": "CFIR 2.0: vurdering per enhet og konstrukt",
        "intro": "Les grunnlaget for hver enhet og hvert konstrukt i fanen '{sheet}', velg en vurdering i listen og "
                 "skriv en kort begrunnelse. Bare gule celler kan fylles ut.",
        "no_edit": "Ikke endre enheter, konstrukter eller grunnlag, og ikke legg til eller slett rader; skjemaet "
                   "kontrolleres når det leses inn.",
        "privacy": "Ikke skriv navn eller personopplysninger i begrunnelsen; sitatene viser bare roller.",
        "scale": "Skala (etter Damschroder & Lowery 2013)",
        "rater": "Vurderer", "source": "Kilde",
    },
    "en": {
        "title": "CFIR 2.0: rating per unit and construct",
        "intro": "Read the memo of every unit and construct on the '{sheet}' sheet, pick a rating from the list and "
                 "write a short rationale. Only the yellow cells can be filled in.",
        "no_edit": "Do not change units, constructs or memos and do not add or delete rows; the form is checked "
                   "when it is read back.",
        "privacy": "Do not write names or personal data in the rationale; the quotes show roles only.",
        "scale": "Scale (after Damschroder & Lowery 2013)",
        "rater": "Rater", "source": "Source",
    },
}

MORE_PASSAGES = {"sv": "… ytterligare {n} avsnitt visas inte", "nb": "… ytterligere {n} avsnitt vises ikke",
                 "en": "… {n} more passages not shown"}

RESULT = {
    "title": {"sv": "CFIR 2.0: konstrukt per enhet", "nb": "CFIR 2.0: konstrukter per enhet",
              "en": "CFIR 2.0: constructs by unit"},
    "construct": HEADERS["label"],
    "construct_id": HEADERS["construct"],
    "distinguishes": {"sv": "Skiljer hög från låg", "nb": "Skiller høy fra lav", "en": "Distinguishes high from low"},
    "strong": {"sv": "starkt", "nb": "sterkt", "en": "strong"},
    "weak": {"sv": "svagt", "nb": "svakt", "en": "weak"},
    "no": {"sv": "nej", "nb": "nei", "en": "no"},
    "mean_high": {"sv": "Medel hög", "nb": "Snitt høy", "en": "Mean high"},
    "mean_low": {"sv": "Medel låg", "nb": "Snitt lav", "en": "Mean low"},
    "difference": {"sv": "Skillnad", "nb": "Forskjell", "en": "Difference"},
    "cap_matrix": {"sv": "CFIR-bedömningar per konstrukt och enhet (−2 till +2; X = blandat, – = underlag saknas, "
                         "≠ = bedömarna oeniga)",
                   "nb": "CFIR-vurderinger per konstrukt og enhet (−2 til +2; X = blandet, – = grunnlag mangler, "
                         "≠ = vurdererne uenige)",
                   "en": "CFIR ratings by construct and unit (−2 to +2; X = mixed, – = no data, "
                         "≠ = raters disagree)"},
    "cap_dist": {"sv": "Konstrukt som skiljer enheter med hög och låg implementering",
                 "nb": "Konstrukter som skiller enheter med høy og lav implementering",
                 "en": "Constructs distinguishing high- from low-implementation units"},
    "cap_agree": {"sv": "Överensstämmelse mellan bedömarna", "nb": "Samsvar mellom vurdererne",
                  "en": "Agreement between raters"},
    "measure": {"sv": "Mått", "nb": "Mål", "en": "Measure"},
    "value": {"sv": "Värde", "nb": "Verdi", "en": "Value"},
    "pairs": {"sv": "Bedömda par", "nb": "Vurderte par", "en": "Rated pairs"},
    "excluded_x": {"sv": "Uteslutna (X)", "nb": "Utelatt (X)", "en": "Excluded (X)"},
    "excluded_missing": {"sv": "Uteslutna (saknas)", "nb": "Utelatt (mangler)", "en": "Excluded (missing)"},
    "high": {"sv": "hög", "nb": "høy", "en": "high"},
    "low": {"sv": "låg", "nb": "lav", "en": "low"},
}
