"""Report text, tables, figure and appendix of an :class:`~evalkit.audit.AuditResult` in sv, nb and en.

Kept apart from :mod:`evalkit.audit.scoring` so the numbers and the words can be read separately.
Every number a reader sees is written by :mod:`evalkit.i18n`; tables hold raw numbers and declare
their counts and denominators in a :class:`~evalkit.blocks.TableSpec`, so the renderer applies
disclosure control.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from evalkit import i18n
from evalkit.audit.checklists import ANSWER_CODES, ANSWER_DEFINITIONS, ANSWERS

__all__ = ["title", "sentences", "methods", "report_tables", "appendix_blocks", "plot", "group_label"]

OVERALL = "all items"

#: Group values that have a word in each language (other values are shown as they are).
GROUP_WORDS = {
    "before": {"sv": "före", "nb": "før", "en": "before"},
    "after": {"sv": "efter", "nb": "etter", "en": "after"},
}
_GROUP_ALIASES = {word: key for key, words in GROUP_WORDS.items() for word in words.values()}

T = {
    "title": {"sv": "Aktgranskning", "nb": "Journalgjennomgang", "en": "Case-file audit"},
    "stage": {"sv": "Steg", "nb": "Steg", "en": "Stage"},
    "item": {"sv": "Punkt", "nb": "Punkt", "en": "Item"},
    "question": {"sv": "Fråga", "nb": "Spørsmål", "en": "Question"},
    "group": {"sv": "Grupp", "nb": "Gruppe", "en": "Group"},
    "answer": {"sv": "Svar", "nb": "Svar", "en": "Answer"},
    "meaning": {"sv": "Betydelse", "nb": "Betydning", "en": "Meaning"},
    "all_items": {"sv": "Alla punkter", "nb": "Alle punkter", "en": "All items"},
    "share_yes": {"sv": "Andel ja", "nb": "Andel ja", "en": "% yes"},
    "met": {"sv": "Uppfyllda", "nb": "Oppfylt", "en": "Met"},
    "applicable": {"sv": "Tillämpliga", "nb": "Aktuelle", "en": "Applicable"},
    "diff": {"sv": "Skillnad", "nb": "Forskjell", "en": "Difference"},
    "diff_note": {"sv": "skillnad i procentenheter med 95 % KI och Holmjusterat p",
                  "nb": "forskjell i prosentpoeng med 95 % KI og Holm-justert p",
                  "en": "difference in percentage points with 95% CI and Holm-adjusted p"},
    "p_holm": {"sv": "p (Holm)", "nb": "p (Holm)", "en": "p (Holm)"},
    "largest_first": {"sv": "största förändringen först", "nb": "største endring først", "en": "largest change first"},
    "measure": {"sv": "Mått", "nb": "Mål", "en": "Measure"},
    "value": {"sv": "Värde", "nb": "Verdi", "en": "Value"},
    "cases": {"sv": "Bedömningar", "nb": "Vurderinger", "en": "Ratings"},
    "identical": {"sv": "Identiska svar", "nb": "Like svar", "en": "Identical answers"},
    "stratum": {"sv": "Stratum", "nb": "Stratum", "en": "Stratum"},
    "population": {"sv": "Beslut i urvalsramen", "nb": "Vedtak i utvalgsrammen", "en": "Decisions in the frame"},
    "sampled": {"sv": "Granskade", "nb": "Gjennomgått", "en": "Sampled"},
    "weight": {"sv": "Designvikt", "nb": "Designvekt", "en": "Design weight"},
    "points": {"sv": "procentenheter", "nb": "prosentpoeng", "en": "percentage points"},
    "ci95": {"sv": "95 % KI", "nb": "95 % KI", "en": "95% CI"},
    "and": {"sv": "och", "nb": "og", "en": "and"},
    "xlabel": {"sv": "Andel ja (av tillämpliga svar)", "nb": "Andel ja (av aktuelle svar)",
               "en": "Share yes (of applicable answers)"},
    "cohen": {"sv": "Cohens kappa", "nb": "Cohens kappa", "en": "Cohen's kappa"},
    "krippendorff": {"sv": "Krippendorffs alfa", "nb": "Krippendorffs alfa", "en": "Krippendorff's alpha"},
    "cap_items": {"sv": "Andel ärenden där punkten uppfylls (ja av tillämpliga svar)",
                  "nb": "Andel saker der punktet er oppfylt (ja av aktuelle svar)",
                  "en": "Share of case files meeting each item (yes of applicable answers)"},
    "cap_stages": {"sv": "Andel ärenden där alla tillämpliga punkter i steget uppfylls, med 95 % KI",
                   "nb": "Andel saker der alle aktuelle punkter i steget er oppfylt, med 95 % KI",
                   "en": "Share of case files meeting every applicable item of the stage, with 95% CI"},
    "cap_agreement": {"sv": "Överensstämmelse mellan granskarna per punkt",
                      "nb": "Samsvar mellom vurdererne per punkt",
                      "en": "Agreement between reviewers per item"},
    "cap_counts": {"sv": "Antal svar per punkt och grupp", "nb": "Antall svar per punkt og gruppe",
                   "en": "Answers per item and group"},
    "cap_strata": {"sv": "Urvalet per stratum", "nb": "Utvalget per stratum", "en": "The sample by stratum"},
    "cap_checklist": {"sv": "Checklistans punkter", "nb": "Sjekklistens punkter", "en": "The checklist's items"},
    "cap_answers": {"sv": "Svarsalternativ", "nb": "Svaralternativer", "en": "Answers"},
    "appendix": {"sv": "Checklista: {name}", "nb": "Sjekkliste: {name}", "en": "Checklist: {name}"},
    "checklist_source": {"sv": "{name}, version {version}. Källa: {source}",
                         "nb": "{name}, versjon {version}. Kilde: {source}",
                         "en": "{name}, version {version}. Source: {source}"},
}

ALLOCATION = {
    "proportional": {"sv": "proportionell fördelning", "nb": "proporsjonal fordeling",
                     "en": "proportional allocation"},
    "equal": {"sv": "lika många per stratum", "nb": "like mange per stratum", "en": "equal allocation"},
    "neyman": {"sv": "Neymanfördelning", "nb": "Neyman-fordeling", "en": "Neyman allocation"},
}


_t = i18n.translator(T)


def group_label(group, language: str) -> str:
    """``before``/``after`` (or their sv/nb words) in ``language``; other values as they are."""
    key = _GROUP_ALIASES.get(str(group).lower())
    return GROUP_WORDS[key][language] if key else str(group)


def _stage_label(res, stage: str, language: str) -> str:
    if stage == OVERALL:
        return _t("all_items", language)
    if res.checklist is not None:
        try:
            return f"{res.checklist.stage_label(stage, language)} ({stage})"
        except StopIteration:
            pass
    return str(stage)


def _pct(x, language) -> str:
    return i18n.fmt_percent(x, 0, language)


def _pct_ci(share, low, high, language, hidden: bool = False) -> str:
    """``48 % (95 % KI 36–60 %)``; ``..`` when disclosure control hides the share (its interval goes with it)."""
    if hidden:
        return i18n.SUPPRESSED
    interval = i18n.fmt_interval(100 * low, 100 * high, 0, language)
    unit = "\u00a0%" if language in ("sv", "nb") else "%"
    return f"{_pct(share, language)} ({_t('ci95', language)} {interval}{unit})"


def _points(d, language) -> str:
    text = i18n.fmt_number(100 * d, 0, language)
    return text if text.startswith((i18n.MINUS, "-")) or text == i18n.MISSING or text in ("0", "0,0") \
        else "+" + text


def _points_ci(d, low, high, language, hidden: bool = False) -> str:
    if hidden:
        return f"{i18n.SUPPRESSED} {_t('points', language)}"
    return (f"{_points(d, language)} {_t('points', language)} ({_t('ci95', language)} "
            f"{i18n.fmt_interval(100 * low, 100 * high, 0, language)})")


def _join(words: list[str], language: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {_t('and', language)} {words[-1]}"


# ----------------------------------------------------------------------------- title and sentences
def title(res, language: str) -> str:
    if res.checklist is not None and res.checklist.title.get(language):
        return res.checklist.title[language]
    return _t("title", language)


def _rules(disclosure):
    from evalkit.privacy import Disclosure

    return disclosure if disclosure is not None else Disclosure()


def _share_hidden(row, d) -> bool:
    """Disclosure control of one share (a row of ``items`` or ``stages``): its count of "yes" and its base."""
    return d.hides_share(row["share"], row["n"], numerator=row["n_yes"])


def sentences(res, language: str = "sv", disclosure=None) -> list[str]:
    """The key results; every count and share goes through ``disclosure`` (default rules 5 and 30)."""
    i18n.check_language(language)
    d = _rules(disclosure)
    out = [_stage_sentence(res, stage, language, d) for stage in res.stages["stage"].drop_duplicates()]
    if res.compare and len(res.comparison):
        out.extend(_change_sentences(res, language, d))
    agreement = _agreement_sentence(res, language, d)
    if agreement:
        out.append(agreement)
    return [s for s in out if s]


def _stage_sentence(res, stage: str, language: str, d) -> str:
    rows = res.stages[res.stages["stage"] == stage].set_index("group")
    label = _stage_label(res, stage, language)
    if not res.compare:
        r = rows.iloc[0]
        share = _pct_ci(r['share'], r['ci_low'], r['ci_high'], language, _share_hidden(r, d))
        n = d.count(r["n"], language)
        return {
            "sv": f"{label}: alla tillämpliga punkter uppfylldes i {share} av de granskade ärendena (n = {n}).",
            "nb": f"{label}: alle aktuelle punkter var oppfylt i {share} av de gjennomgåtte sakene (n = {n}).",
            "en": f"{label}: every applicable item was met in {share} of the audited case files (n = {n}).",
        }[language]
    a, b = res.groups
    ra, rb = rows.loc[a], rows.loc[b]
    c = res.comparison[res.comparison["stage"] == stage]
    c = c[~c["item"].isin(res.items["item"])].iloc[0]
    ga, gb = group_label(a, language), group_label(b, language)
    hide_a, hide_b = _share_hidden(ra, d), _share_hidden(rb, d)
    before = _pct_ci(ra["share"], ra["ci_low"], ra["ci_high"], language, hide_a)
    after = _pct_ci(rb["share"], rb["ci_low"], rb["ci_high"], language, hide_b)
    # the change and its interval are computed from both shares: hidden with either
    change = _points_ci(c["difference"], c["ci_low"], c["ci_high"], language, hide_a or hide_b)
    na, nb_ = d.count(ra["n"], language), d.count(rb["n"], language)
    tail = {"sv": f", en förändring med {change}", "nb": f", en endring på {change}",
            "en": f", a change of {change}"}[language]
    return {
        "sv": f"{label}: alla tillämpliga punkter uppfylldes i {before} av ärendena {ga} (n = {na}) och i {after} "
              f"{gb} (n = {nb_}){tail}.",
        "nb": f"{label}: alle aktuelle punkter var oppfylt i {before} av sakene {ga} (n = {na}) og i {after} "
              f"{gb} (n = {nb_}){tail}.",
        "en": f"{label}: every applicable item was met in {before} of the case files {ga} (n = {na}) and in "
              f"{after} {gb} (n = {nb_}){tail}.",
    }[language]


def _item_hidden(res, item, d) -> bool:
    rows = res.items[res.items["item"] == item]
    return any(_share_hidden(r, d) for _, r in rows.iterrows())


def _change_sentences(res, language: str, d) -> list[str]:
    c = res.comparison[res.comparison["item"].isin(res.items["item"]) & res.comparison["p_holm"].notna()]
    if c.empty:
        return []
    changed = set(res.changed_items())
    k = len(c)
    moved = [f"{r['item']} {_points_ci(r['difference'], r['ci_low'], r['ci_high'], language, _item_hidden(res, r['item'], d))}"
             for _, r in c.iterrows() if r["item"] in changed]
    still = [r["item"] for _, r in c.iterrows() if r["item"] not in changed]
    out = []
    if moved:
        out.append({
            "sv": f"Med Holms korrektion för {k} punkter förändrades {len(moved)} punkter mer än slumpen kan "
                  f"förklara: {'; '.join(moved)}.",
            "nb": f"Med Holms korreksjon for {k} punkter endret {len(moved)} punkter seg mer enn tilfeldighetene "
                  f"kan forklare: {'; '.join(moved)}.",
            "en": f"With Holm's correction for {k} items, {len(moved)} items changed by more than chance can "
                  f"explain: {'; '.join(moved)}.",
        }[language])
    else:
        out.append({
            "sv": f"Ingen av de {k} punkterna förändrades mer än slumpen kan förklara (Holms korrektion).",
            "nb": f"Ingen av de {k} punktene endret seg mer enn tilfeldighetene kan forklare (Holms korreksjon).",
            "en": f"None of the {k} items changed by more than chance can explain (Holm's correction).",
        }[language])
    if still and moved:
        out.append({
            "sv": f"För övriga {len(still)} punkter ({_join(still, language)}) går skillnaden inte att skilja "
                  "från slumpvariation.",
            "nb": f"For de øvrige {len(still)} punktene ({_join(still, language)}) kan forskjellen ikke skilles "
                  "fra tilfeldig variasjon.",
            "en": f"For the other {len(still)} items ({_join(still, language)}) the difference cannot be told "
                  "apart from chance.",
        }[language])
    return out


def _agreement_sentence(res, language: str, rules) -> str | None:
    d = res.design
    if res.agreement is None or res.agreement.empty:
        return None
    a = res.agreement[res.agreement["item"] == OVERALL]
    if a.empty:
        return None
    a = a.iloc[0]
    name = _t(a["method"], language)
    # the same rules as the agreement table: kappa is guarded by its number of cases, the share identical
    # is a percentage on that number
    few = float(a["n_units"]) < rules.count_below
    value = i18n.SUPPRESSED if few else i18n.fmt_number(a["value"], 2, language)
    interval = i18n.SUPPRESSED if few else i18n.fmt_interval(a["ci_low"], a["ci_high"], 2, language)
    double, total = d.get("n_double"), d.get("n_reviewed")
    who = ""
    if double and total:
        n2, nt = rules.count(double, language), rules.count(total, language)
        share = rules.share(double / total, total, language, numerator=double)
        who = {"sv": f"{n2} av {nt} ärenden ({share}) granskades av två granskare oberoende av varandra. ",
               "nb": f"{n2} av {nt} saker ({share}) ble vurdert av to vurderere uavhengig av hverandre. ",
               "en": f"{n2} of {nt} case files ({share}) were reviewed independently by two reviewers. "}[language]
    agree = rules.base_share(a["percent_agreement"], a["n_units"], language)  # judgements, not people
    return who + {
        "sv": f"Överensstämmelsen över alla punkter var {name} = {value} (95 % KI {interval}); "
              f"svaren var identiska i {agree} av bedömningarna.",
        "nb": f"Samsvaret over alle punkter var {name} = {value} (95 % KI {interval}); "
              f"svarene var like i {agree} av vurderingene.",
        "en": f"Agreement over all items was {name} = {value} (95% CI {interval}); "
              f"the answers were identical in {agree} of the ratings.",
    }[language]


# ----------------------------------------------------------------------------- methods
def methods(res, language: str = "sv") -> list[str]:
    i18n.check_language(language)
    d = res.design
    out = []
    if d:
        out.append(_design_sentence(d, language))
        out.append(_size_sentence(res, d, language))
        out.append({
            "sv": f"Urvalet drogs med slumpfröet {d['seed']} och kan dras om exakt ur urvalsmanifestet "
                  f"(sha256 {d['manifest_sha256'][:12]}…).",
            "nb": f"Utvalget ble trukket med frøet {d['seed']} og kan trekkes på nytt nøyaktig fra "
                  f"utvalgsmanifestet (sha256 {d['manifest_sha256'][:12]}…).",
            "en": f"The sample was drawn with seed {d['seed']} and can be drawn again exactly from the sample "
                  f"manifest (sha256 {d['manifest_sha256'][:12]}…).",
        }[language])
        if d["strata"]:
            weights = [s["weight"] for s in d["strata_table"] if s["weight"]]
            lo, hi = (i18n.fmt_number(w, 1, language) for w in (min(weights), max(weights)))
            out.append({
                "sv": f"Varje granskat ärende har designvikten N_h/n_h (beslut i stratumet delat med granskade), "
                      f"här {lo}–{hi}; andelarna är designvägda med Cochrans stratifierade varians och "
                      "Wilsonintervall på den effektiva urvalsstorleken.",
                "nb": f"Hver gjennomgått sak har designvekten N_h/n_h (vedtak i stratumet delt på gjennomgåtte), "
                      f"her {lo}–{hi}; andelene er designvektet med Cochrans stratifiserte varians og "
                      "Wilson-intervall på den effektive utvalgsstørrelsen.",
                "en": f"Each audited case file has the design weight N_h/n_h (decisions in the stratum over those "
                      f"audited), here {lo}–{hi}; shares are design-weighted with Cochran's stratified variance and "
                      "a Wilson interval on the effective sample size.",
            }[language])
    out.append({
        "sv": "En punkt räknas som uppfylld när svaret är ”Ja”; ”Ej tillämpligt” räknas inte i nämnaren. Ett steg "
              "är uppfyllt i ett ärende när alla dess tillämpliga punkter är uppfyllda. Andelar har "
              "Wilsonintervall; skillnaden mellan grupperna har Newcombes intervall (metod 10, byggt av "
              "gruppernas intervall) och testas med Fishers exakta test, med Holms korrektion för antalet punkter.",
        "nb": "Et punkt regnes som oppfylt når svaret er «Ja»; «Ikke aktuelt» telles ikke med i nevneren. Et steg "
              "er oppfylt i en sak når alle dets aktuelle punkter er oppfylt. Andeler har Wilson-intervall; "
              "forskjellen mellom gruppene har Newcombes intervall (metode 10, bygd av gruppenes intervaller) "
              "og testes med Fishers eksakte test, med Holms korreksjon for antall punkter.",
        "en": "An item counts as met when the answer is \u201cYes\u201d; \u201cNot applicable\u201d leaves the "
              "denominator. A stage is met in a case file when all its applicable items are met. Shares have "
              "Wilson intervals; the difference between the groups has Newcombe's interval (method 10, built "
              "from the groups' intervals) and is tested with Fisher's exact test, with Holm's correction for "
              "the number of items.",
    }[language])
    out.append(_review_sentence(res, d, language))
    return out


def _design_sentence(d, language) -> str:
    frame = i18n.fmt_int(d["frame_rows"] - d["excluded"], language)
    n = i18n.fmt_int(d["n_sample"], language)
    if not d["strata"]:
        return {"sv": f"Ur urvalsramen, {frame} beslut, drogs ett obundet slumpmässigt urval utan återläggning "
                      f"av {n} beslut.",
                "nb": f"Fra utvalgsrammen, {frame} vedtak, ble det trukket et enkelt tilfeldig utvalg uten "
                      f"tilbakelegging på {n} vedtak.",
                "en": f"From the sampling frame of {frame} decisions a simple random sample of {n} decisions "
                      "was drawn without replacement."}[language]
    strata = " × ".join(d["strata"])
    h = i18n.fmt_int(len(d["strata_table"]), language)
    alloc = ALLOCATION.get(d["allocation"], {}).get(language, d["allocation"])
    if (d.get("size_rule") or {}).get("precision") == "stratum":  # each stratum sized on its own, nothing allocated
        alloc = {"sv": "varje stratum dimensionerat för sig", "nb": "hvert stratum dimensjonert for seg",
                 "en": "each stratum sized on its own"}[language]
    excluded = ""
    if d["excluded"]:
        excluded = {"sv": f" ({i18n.fmt_int(d['excluded'], language)} tidigare granskade beslut uteslöts först)",
                    "nb": f" ({i18n.fmt_int(d['excluded'], language)} tidligere gjennomgåtte vedtak ble holdt utenfor)",
                    "en": f" ({i18n.fmt_int(d['excluded'], language)} decisions audited before were left out)"}[language]
    return {"sv": f"Ur urvalsramen, {frame} beslut{excluded}, drogs ett stratifierat slumpmässigt urval utan "
                  f"återläggning av {n} beslut, med strata efter {strata} ({h} strata, {alloc}).",
            "nb": f"Fra utvalgsrammen, {frame} vedtak{excluded}, ble det trukket et stratifisert tilfeldig utvalg "
                  f"uten tilbakelegging på {n} vedtak, med strata etter {strata} ({h} strata, {alloc}).",
            "en": f"From the sampling frame of {frame} decisions{excluded} a stratified random sample of {n} "
                  f"decisions was drawn without replacement, stratified by {strata} ({h} strata, {alloc})."}[language]


def _size_sentence(res, d, language) -> str:
    rule = d.get("size_rule")
    if rule:
        m = i18n.fmt_number(100 * rule["margin"], 0 if float(100 * rule["margin"]).is_integer() else 1, language)
        conf = _pct(rule["confidence"], language)
        p = rule["p"] if not isinstance(rule["p"], dict) else 0.5
        per = rule["precision"] == "stratum"
        where = {"sv": "i varje stratum" if per else "för hela urvalet",
                 "nb": "i hvert stratum" if per else "for hele utvalget",
                 "en": "in every stratum" if per else "for the whole sample"}[language]
        return {"sv": f"Urvalsstorleken beräknades så att en andel skattas {where} med en felmarginal på högst "
                      f"±{m} procentenheter med {conf} konfidens, vid en antagen andel på {_pct(p, language)} och "
                      "med ändlighetskorrektion (Cochran 1977, ekv. 4.2–4.3).",
                "nb": f"Utvalgsstørrelsen ble beregnet slik at en andel anslås {where} med en feilmargin på høyst "
                      f"±{m} prosentpoeng med {conf} konfidens, ved en antatt andel på {_pct(p, language)} og "
                      "med endelighetskorreksjon (Cochran 1977, likn. 4.2–4.3).",
                "en": f"The sample size was set so that a share is estimated {where} within ±{m} percentage "
                      f"points at {conf} confidence, assuming a share of {_pct(p, language)}, with the "
                      "finite-population correction (Cochran 1977, eqs. 4.2–4.3)."}[language]
    n_g, big_n = _smallest_group(res, d)
    z = stats.norm.ppf(0.975)
    margin = z * math.sqrt(0.25 / n_g) * math.sqrt(max(big_n - n_g, 0) / max(big_n - 1, 1))
    m = i18n.fmt_number(100 * margin, 0, language)
    n = i18n.fmt_int(d["n_sample"], language)
    ng = i18n.fmt_int(n_g, language)
    return {"sv": f"Urvalsstorleken ({n}) bestämdes i förväg; med {ng} ärenden i den minsta jämförda gruppen "
                  f"är felmarginalen för en andel nära 50 % högst ±{m} procentenheter (95 % konfidens, med "
                  "ändlighetskorrektion).",
            "nb": f"Utvalgsstørrelsen ({n}) ble bestemt på forhånd; med {ng} saker i den minste gruppen er "
                  f"feilmarginen for en andel nær 50 % høyst ±{m} prosentpoeng (95 % konfidens, med "
                  "endelighetskorreksjon).",
            "en": f"The sample size ({n}) was fixed in advance; with {ng} case files in the smallest compared "
                  f"group the margin of error for a share near 50% is at most ±{m} percentage points (95% "
                  "confidence, finite-population corrected)."}[language]


def _smallest_group(res, d) -> tuple[int, int]:
    """(n, N) of the smallest compared group (the whole sample when not comparing strata)."""
    compare = d.get("compare")
    table = d["strata_table"]
    if compare and compare in d["strata"]:
        sizes = {}
        for s in table:
            g = s["values"][compare]
            n, big_n = sizes.get(g, (0, 0))
            sizes[g] = (n + s["sample"], big_n + s["population"])
        return min(sizes.values())
    return d["n_sample"], sum(s["population"] for s in table)


def _review_sentence(res, d, language) -> str:
    double = d.get("n_double", 0)
    if not double:
        return {"sv": "Inget ärende granskades av två granskare, så överensstämmelsen mellan granskare kunde "
                      "inte mätas.",
                "nb": "Ingen sak ble vurdert av to vurderere, så samsvaret mellom vurdererne kunne ikke måles.",
                "en": "No case file was reviewed twice, so agreement between reviewers could not be measured."
                }[language]
    share = _pct(double / d["n_reviewed"], language)
    first = res.reviewers[0]
    boot = i18n.fmt_int(d.get("n_boot", 0), language)
    return {"sv": f"{i18n.fmt_int(double, language)} ärenden ({share}) granskades oberoende av två granskare; "
                  f"överensstämmelsen mäts med Cohens kappa (Krippendorffs alfa vid fler än två granskare) med "
                  f"bootstrapintervall ({boot} omdragningar av hela ärenden). För dubbelgranskade ärenden "
                  f"används granskare {first}s svar i resultaten.",
            "nb": f"{i18n.fmt_int(double, language)} saker ({share}) ble vurdert uavhengig av to vurderere; "
                  f"samsvaret måles med Cohens kappa (Krippendorffs alfa ved flere enn to vurderere) med "
                  f"bootstrap-intervall ({boot} nye trekninger av hele saker). For saker vurdert to ganger "
                  f"brukes svarene til vurderer {first} i resultatene.",
            "en": f"{i18n.fmt_int(double, language)} case files ({share}) were reviewed independently by two "
                  f"reviewers; agreement is measured by Cohen's kappa (Krippendorff's alpha with more than two "
                  f"reviewers) with bootstrap intervals ({boot} resamples of whole case files). For case files "
                  f"reviewed twice the results use reviewer {first}'s answers."}[language]


# ----------------------------------------------------------------------------- tables
def report_tables(res, language: str = "sv", disclosure=None) -> list:
    from evalkit.blocks import TableSpec

    i18n.check_language(language)
    tables = [_items_table(res, language, TableSpec, disclosure), _stages_table(res, language, TableSpec)]
    if res.agreement is not None and not res.agreement.empty:
        tables.append(_agreement_table(res, language, TableSpec))
    tables.append(_counts_table(res, language, TableSpec))
    if res.design.get("strata"):
        tables.append(_strata_table(res, language, TableSpec))
    return tables


def _wording(res, language: str) -> dict[str, str]:
    """Item id → its question in ``language`` (the checklist's first language when it lacks this one)."""
    cl = res.checklist
    if cl is None:
        return {}
    lang = language if language in cl.languages else cl.languages[0] if cl.languages else "sv"
    return {i.id: i.question(lang) for i in cl.items}


def _change_shown(c: pd.DataFrame, disclosure) -> np.ndarray:
    """Whether each item's change is shown under ``disclosure``: both its shares are (it is derived from them)."""
    rules = _rules(disclosure)
    return np.array([not (rules.hides_share(sa, na) or rules.hides_share(sb, nb))
                     for sa, na, sb, nb in zip(c["share_a"], c["n_a"], c["share_b"], c["n_b"])], dtype=bool)


def _items_table(res, language, TableSpec, disclosure=None):
    item, stage = _t("item", language), _t("stage", language)
    stage_of = dict(zip(res.items["item"], res.items["stage"]))
    cap = _t("cap_items", language)
    # the item's wording beside its result, so a reader need not look codes up in the appendix
    wording, question = _wording(res, language), _t("question", language)
    if not res.compare or res.comparison.empty:
        t = res.items
        n, share, lo, hi = "n", _t("share_yes", language), _t("ci_low", language), _t("ci_high", language)
        columns = {item: t["item"]}
        if wording:
            columns[question] = [wording.get(i, "") for i in t["item"]]
        frame = pd.DataFrame({**columns, stage: [_stage_label(res, s, language) for s in t["stage"]],
                              n: t["n"].astype(int), share: t["share"], lo: t["ci_low"], hi: t["ci_high"]})
        return cap, frame.reset_index(drop=True), TableSpec(counts=(n,), percents={share: n, lo: n, hi: n},
                                                            derived={lo: (share,), hi: (share,)})
    a, b = (group_label(g, language) for g in res.groups)
    c = res.comparison[res.comparison["item"].isin(res.items["item"])]
    # the largest changes first (a worsening too), items without change after them: the table does not lead
    # with "0 % → 0 %" rows. Items whose change disclosure control hides come last in checklist order, so that
    # their place says nothing about the hidden value.
    shown = _change_shown(c, disclosure)
    size = np.where(shown, c["difference"].astype(float).abs(), -1.0)
    c = c.assign(_size=np.nan_to_num(size, nan=-1.0)).sort_values("_size", ascending=False, kind="stable")
    na, nb_ = f"n {a}", f"n {b}"
    sa, sb = f"{_t('share_yes', language)} {a}", f"{_t('share_yes', language)} {b}"
    diff, lo, hi, p = (_t(k, language) for k in ("diff", "ci_low", "ci_high", "p_holm"))
    # No stage column: the item id carries its stage letter, and the checklist appendix names the stages.
    columns = {item: c["item"].to_numpy()}
    if wording:
        columns[question] = [wording.get(i, "") for i in c["item"]]
    frame = pd.DataFrame({
        **columns,
        na: c["n_a"].astype(int).to_numpy(), sa: c["share_a"].to_numpy(dtype=float),
        nb_: c["n_b"].astype(int).to_numpy(), sb: c["share_b"].to_numpy(dtype=float),
        diff: 100 * c["difference"].to_numpy(dtype=float), lo: 100 * c["ci_low"].to_numpy(dtype=float),
        hi: 100 * c["ci_high"].to_numpy(dtype=float), p: c["p_holm"].to_numpy(dtype=float),
    })
    # The difference, its interval and the test rest on both groups' shares: hidden with either (a share is
    # hidden when its base or its count of "yes", share × n, is small).
    smaller = na if frame[na].sum() <= frame[nb_].sum() else nb_
    spec = TableSpec(counts=(na, nb_), percents={sa: na, sb: nb_}, guards={diff: smaller, lo: smaller, hi: smaller},
                     derived={diff: (sa, sb), lo: (sa, sb), hi: (sa, sb), p: (sa, sb)},
                     decimals={diff: 0, lo: 0, hi: 0}, pvalues=(p,))
    return (f"{cap}, {a} {_t('and', language)} {b}; {_t('diff_note', language)}; {_t('largest_first', language)}",
            frame, spec)


def _stages_table(res, language, TableSpec):
    t = res.stages
    stage, group = _t("stage", language), _t("group", language)
    met, share = _t("met", language), _t("share_yes", language)
    lo, hi = _t("ci_low", language), _t("ci_high", language)
    columns = {stage: [_stage_label(res, s, language) for s in t["stage"]]}
    if res.compare:
        columns[group] = [group_label(g, language) for g in t["group"]]
    columns.update({"n": t["n"].astype(int).to_numpy(), met: t["n_yes"].astype(int).to_numpy(),
                    share: t["share"].to_numpy(dtype=float), lo: t["ci_low"].to_numpy(dtype=float),
                    hi: t["ci_high"].to_numpy(dtype=float)})
    spec = TableSpec(counts=("n", met), percents={share: "n", lo: "n", hi: "n"},
                     numerators={share: met, lo: met, hi: met})
    return _t("cap_stages", language), pd.DataFrame(columns), spec


def _agreement_table(res, language, TableSpec):
    a = res.agreement
    item, value = _t("item", language), _t("value", language)
    lo, hi, cases, same = (_t(k, language) for k in ("ci_low", "ci_high", "cases", "identical"))
    frame = pd.DataFrame({
        item: [_t("all_items", language) if i == OVERALL else i for i in a["item"]],
        value: a["value"].to_numpy(dtype=float), lo: a["ci_low"].to_numpy(dtype=float),
        hi: a["ci_high"].to_numpy(dtype=float), cases: a["n_units"].astype(int).to_numpy(),
        same: a["percent_agreement"].to_numpy(dtype=float),
    })
    spec = TableSpec(counts=(cases,), percents={same: cases}, guards={value: cases, lo: cases, hi: cases},
                     decimals={value: 2, lo: 2, hi: 2})
    measures = ", ".join(dict.fromkeys(_t(m, language) for m in a["method"]))
    return f"{_t('cap_agreement', language)} ({measures})", frame, spec


def _counts_table(res, language, TableSpec):
    t = res.items
    labels = ANSWERS[language]
    item, group = _t("item", language), _t("group", language)
    applicable = _t("applicable", language)
    columns = {item: t["item"].to_numpy()}
    if res.compare:
        columns[group] = [group_label(g, language) for g in t["group"]]
    for code in ("yes", "partly", "no"):
        columns[labels[code]] = t[f"n_{code}"].astype(int).to_numpy()
    columns[applicable] = t["n"].astype(int).to_numpy()
    columns[labels["na"]] = t["n_na"].astype(int).to_numpy()
    counts = (labels["yes"], labels["partly"], labels["no"], applicable, labels["na"])
    # "applicable" is yes + partly + no; "not applicable" stands beside it, outside that sum
    spec = TableSpec(counts=counts, total_column=applicable, summed=(labels["yes"], labels["partly"], labels["no"]))
    return _t("cap_counts", language), pd.DataFrame(columns), spec


def _strata_table(res, language, TableSpec):
    rows = res.design["strata_table"]
    stratum, pop, sampled, weight = (_t(k, language) for k in ("stratum", "population", "sampled", "weight"))
    frame = pd.DataFrame({
        stratum: [" × ".join(group_label(v, language) for v in s["values"].values()) or s["key"] for s in rows],
        pop: [int(s["population"]) for s in rows], sampled: [int(s["sample"]) for s in rows],
        weight: [float(s["weight"]) if s["weight"] else np.nan for s in rows],
    })
    return _t("cap_strata", language), frame, TableSpec(counts=(pop, sampled), decimals={weight: 1})


# ----------------------------------------------------------------------------- appendix
def appendix_blocks(res, language: str = "sv") -> list:
    from evalkit.blocks import Heading, Paragraph, Table

    cl = res.checklist
    if cl is None:
        return []
    lang = language if language in cl.languages else cl.languages[0] if cl.languages else "sv"
    name = cl.title.get(language) or cl.name
    items = pd.DataFrame({
        _t("item", language): [i.id for i in cl.items],
        _t("stage", language): [cl.stage_label(i.stage, language) for i in cl.items],
        _t("question", language): [i.question(lang) for i in cl.items],
    })
    answers = pd.DataFrame({
        _t("answer", language): [ANSWERS[language][c] for c in ANSWER_CODES],
        _t("meaning", language): [ANSWER_DEFINITIONS[language][c] for c in ANSWER_CODES],
    })
    blocks = [Heading(_t("appendix", language, name=name), 2),
              Paragraph(_t("checklist_source", language, name=cl.name, version=cl.version,
                           source=cl.source or "..")),
              Table(items, _t("cap_checklist", language)),
              Table(answers, _t("cap_answers", language))]
    return blocks


# ----------------------------------------------------------------------------- figure
def plot(res, ax=None, language: str = "sv", disclosure=None):
    """Compliance per item and group; a share that disclosure control hides is not drawn (its row says "..")."""
    import matplotlib.pyplot as plt

    rules = _rules(disclosure)
    items = res.items
    hidden = items.apply(lambda r: _share_hidden(r, rules), axis=1) if len(items) else pd.Series(dtype=bool)
    items = items.assign(share=items["share"].where(~hidden))
    order = items["item"].drop_duplicates().tolist()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 0.3 * len(order) + 1.4))
    else:
        fig = ax.figure
    y = {item: len(order) - k for k, item in enumerate(order)}
    offsets = np.linspace(-0.18, 0.18, len(res.groups)) if len(res.groups) > 1 else [0.0]
    markers = ["o", "s", "D", "^"]
    for k, (off, g) in enumerate(zip(offsets, res.groups)):
        t = items[(items["group"] == g) & items["share"].notna()]
        ys = [y[i] + off for i in t["item"]]
        ax.errorbar(t["share"], ys, xerr=[t["share"] - t["ci_low"], t["ci_high"] - t["share"]],
                    fmt=markers[k % 4], ms=4, capsize=2,
                    label=None if not res.compare else group_label(g, language))
    stages = items.drop_duplicates("item").set_index("item")["stage"]
    for above, below in zip(order[:-1], order[1:]):
        if stages[above] != stages[below]:
            ax.axhline(y[below] + 0.5, color="0.8", lw=0.6)
    ax.set_yticks(list(y.values()), list(y.keys()))
    for item in items.loc[hidden, "item"].drop_duplicates() if len(items) else []:
        ax.annotate(i18n.SUPPRESSED, (0.01, y[item]), va="center", fontsize=8, color="0.35")
    ax.set_ylim(0.4, len(order) + 0.6)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(i18n.tick_formatter(language, 0, percent=True))
    ax.set_xlabel(_t("xlabel", language))
    ax.grid(axis="x", alpha=0.3)
    if res.compare:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(res.groups), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
