"""The words of the answers to the research questions and of the drafted conclusions (sv, nb, en).

Everything here is written from :class:`evalkit.findings.Finding` numbers: an interval in an answer is the
finding's, which is the table's (same row, same columns, same decimals), bounds low to high. A finding that
is not clear is told as "no clear change", never as a rise or a fall. All wording is in table [findings] of
the message catalogues (evalkit/locale/*.toml); numbers are formatted by :mod:`evalkit.i18n`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from evalkit import i18n
from evalkit.analysis._labels import unit_word
from evalkit.blocks import Bullets, Heading, Paragraph
from evalkit.findings import Finding

__all__ = ["finding_sentence", "answer", "summary_paragraph", "conclusions_blocks", "interval_text",
           "split_paragraphs", "CAVEAT_KEYS"]

_t = i18n.translator("findings")

#: caveat code → its sentence key, in the order the "how sure" text tells them
CAVEAT_KEYS = {"no_comparison": "no_comparison", "few_periods": "few_periods", "autocorrelation": "autocorrelation",
               "few_clusters": "few_clusters", "one_pre_period": "one_pre_period",
               "few_pre_periods": "few_pre_periods", "pretrend_rejected": "pretrend_rejected",
               "no_interval": "no_interval", "low_response": "low_response", "proxy_answers": "proxy_answers",
               "multiple_comparisons": "multiple_comparisons", "low_power": "low_power",
               "withheld": "withheld_caveat", "levels_withheld": "withheld_caveat"}
_DESIGN = {"did": "design_did", "survey": "design_survey", "audit": "design_audit",
           "staff_survey": "design_survey"}


# -- numbers -------------------------------------------------------------------------------------------------


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]




def _name(f: Finding, language: str) -> str:
    """How a finding's outcome is named in a sentence: an item (a question of a form) in the language's
    quotation marks, an outcome with a capital letter."""
    if f.effect == "item":
        return i18n.label("quoted", language, text=f.label)
    return _cap(f.label)


def _unit(f: Finding, language: str) -> str:
    word = unit_word(f.unit, language)
    return " " + word if word else ""


def interval_text(f: Finding, language: str) -> str:
    """The finding's interval as the table prints it (its decimals), low to high."""
    return i18n.fmt_interval(f.ci_low, f.ci_high, f.decimals, language)


def _level(value: float, f: Finding, language: str) -> str:
    """A level before/after: a share as percent, a count as a whole number, else in the table's decimals."""
    if f.unit == "points":
        return i18n.fmt_percent(value, 0, language)
    if f.unit in ("ratio", "count"):
        return i18n.fmt_number(value, 0, language)
    return i18n.fmt_number(value, _precision(f), language) + _unit(f, language)


def _precision(f: Finding) -> int:
    """Decimals for a level or an effect's size in running text: two significant digits of the interval's
    half-width (0–3), never more than the table's. The interval itself keeps the table's decimals."""
    if not (math.isfinite(f.ci_low) and math.isfinite(f.ci_high)) or f.ci_high <= f.ci_low:
        return min(f.decimals, 1)
    return int(min(f.decimals, 3, max(0, 1 - math.floor(math.log10((f.ci_high - f.ci_low) / 2)))))


def _size(f: Finding, language: str) -> str:
    return i18n.fmt_number(abs(f.estimate), _precision(f), language) + _unit(f, language)


def _signed(f: Finding, language: str) -> str:
    return i18n.fmt_number(f.estimate, _precision(f), language) + _unit(f, language)


def _per(f: Finding, language: str) -> str:
    return _t(f"per_{f.period}", language) if f.period in ("month", "year", "period") else ""


def _stat(f: Finding, language: str) -> str:
    """``95 % KI a–b`` — or, without an interval (randomization inference), the exact p-value."""
    if math.isfinite(f.ci_low) and math.isfinite(f.ci_high):
        return f"{_t('ci', language)} {interval_text(f, language)}"
    return _t("exact_p", language, p=i18n.fmt_p(f.p, language), floor=i18n.fmt_number(f.p_min, 3, language))


# -- one finding in words ---------------------------------------------------------------------------------


def finding_sentence(f: Finding, language: str, change: str) -> str:
    """One sentence for an its or did finding (items are told per analysis by :func:`answer`)."""
    label, ci = _cap(f.label), _t("ci", language)
    if "withheld" in f.caveats:
        return _t("withheld", language, label=_name(f, language))
    verb = _t(f.direction, language) if f.clear else ""
    if f.effect == "pretrend":
        floor = math.isfinite(f.p_min) and f.p_min >= 0.05  # randomization inference that cannot reject
        key = "pretrend_bad" if f.clear else "pretrend_cannot" if floor else "pretrend_ok"
        return _t(key, language, label=f.label, p=i18n.fmt_p(f.p, language),
                  floor=i18n.fmt_number(f.p_min, 3, language))
    if f.effect == "did":
        key = ("did_clear" if f.clear else "did_unclear") + ("" if _has_levels(f) else "_nolevels")
        return _t(key, language, label=label, verb=verb,
                  before=_level(f.before, f, language), after=_level(f.after, f, language), size=_size(f, language),
                  signed=_signed(f, language), stat=_stat(f, language))
    if f.effect == "slope_change":
        return _t("slope_clear" if f.clear else "slope_unclear", language, verb=verb, size=_size(f, language),
                  signed=_signed(f, language), per=_per(f, language), ci=ci, interval=interval_text(f, language))
    if f.unit == "ratio":
        pct = i18n.fmt_number(abs(f.estimate - 1.0) * 100.0, 0, language) + ("%" if language == "en" else " %")
        return _t("ratio_clear" if f.clear else "ratio_unclear", language, label=label, verb=verb, change=change,
                  pct=pct, ratio=i18n.fmt_number(f.estimate, f.decimals, language), ci=ci,
                  interval=interval_text(f, language), before=_level(f.before, f, language),
                  after=_level(f.after, f, language), per=_per(f, language))
    return _t("level_clear" if f.clear else "level_unclear", language, label=label, verb=verb, change=change,
              before=_level(f.before, f, language), after=_level(f.after, f, language), size=_size(f, language),
              signed=_signed(f, language), ci=ci, interval=interval_text(f, language))


def _item_sentence(f: Finding, language: str) -> str:
    signed = ("+" if f.estimate > 0 else "") + i18n.fmt_number(f.estimate, f.decimals, language)
    text = _t("item_clear", language, label=_name(f, language), verb=_t(f.direction, language),
              before=_level(f.before, f, language), after=_level(f.after, f, language), signed=signed,
              unit=unit_word("points", language), ci=_t("ci", language), interval=interval_text(f, language))
    if "adjusted_p" in f.caveats:
        text += _t("adjusted_p", language, p=i18n.fmt_p(f.p, language))
    return text


def _items_paragraph(findings: Sequence[Finding], title: str, language: str, brief: bool = False) -> str:
    """An item analysis (survey, audit): its clear items one by one, then how many showed no clear change.

    ``brief`` (the summary): how many items improved, the ones that got worse one by one (with their
    intervals), how many showed no clear change."""
    what = _t(f"what_{findings[0].kind}", language)
    shown = [f for f in findings if "withheld" not in f.caveats]  # hidden items are told by the caveat
    clear = [f for f in shown if f.clear]
    rest = len(shown) - len(clear)
    text = _t("items_lead", language, title=title)
    if not clear:
        return text + _t("items_none_clear", language, total=len(shown), what=what)
    if brief:
        better = [f for f in clear if f.verdict == "better"]
        others = [f for f in clear if f.verdict != "better"]
        parts = [_t("items_better", language, n=len(better), total=len(shown), what=what)] if better else []
        if others:
            sentences = "; ".join(_item_sentence(f, language) for f in others)
            parts.append(_t("items_worse", language, items=sentences) if better else sentences)
        if rest:
            parts.append(_t("items_others", language, n=rest))
        return text + "; ".join(parts) + "."
    text += "; ".join(_item_sentence(f, language) for f in clear)
    if rest:
        text += "; " + _t("items_rest", language, n=rest, total=len(shown), what=what)
    else:
        text += "."
    return text


def _certainty(findings: Sequence[Finding], language: str, said: set[str] | None = None) -> str:
    """How sure: clear for all / some / none of the headline findings, then each caveat once.

    ``said``: the design and caveat sentences already told (the summary's earlier questions); they are not
    repeated, a short "the reservations above apply" stands for them, and the set is updated."""
    heads = [f for f in findings if f.primary and "withheld" not in f.caveats]
    n_clear = sum(f.clear for f in heads)
    lead = "sure_all" if heads and n_clear == len(heads) else "sure_none" if n_clear == 0 else "sure_some"
    keys = list(dict.fromkeys(_DESIGN[f.kind] for f in findings if f.kind in _DESIGN))
    keys += list(dict.fromkeys(CAVEAT_KEYS[c] for f in findings for c in f.caveats if c in CAVEAT_KEYS))
    repeated = [k for k in keys if said is not None and k in said]
    keys = [k for k in keys if k not in repeated]
    if said is not None:
        said.update(keys)
    # a question answered by a pre-trend test alone has no effect to judge
    text = [_t(k, language) for k in ([lead] if heads else []) + keys]
    if repeated:
        text.append(_t("same_caveats", language))
    return " ".join(text)


def answer(findings: Sequence[Finding], language: str, change: str, titles: dict[str, str],
           brief: bool = False, said: set[str] | None = None) -> list[str]:
    """The answer to one research question: a paragraph of findings (analysis by analysis, in the order the
    config names them), then a paragraph on how sure one can be. ``titles``: analysis id → its title;
    ``brief`` (the summary): item analyses are told as counts, with the items that got worse named;
    ``said`` (the summary): caveats told for an earlier question, not repeated (see :func:`_certainty`)."""
    if not findings:
        return [_t("no_findings", language)]
    sentences = []
    for aid in dict.fromkeys(f.analysis_id for f in findings):
        own = [f for f in findings if f.analysis_id == aid]
        if own[0].effect == "item":
            sentences.append(_items_paragraph(own, titles.get(aid, aid), language, brief))
            continue
        sentences += [finding_sentence(f, language, change) for f in own
                      if f.primary or f.clear or f.effect == "pretrend"]
    return [" ".join(sentences), _certainty(findings, language, said)]


def summary_paragraph(question: str, paragraphs: Sequence[str]) -> str:
    """One summary paragraph: the question as lead-in, then its answer."""
    return " ".join([question.strip(), *paragraphs])


def not_answered(language: str) -> str:
    return _t("not_answered", language)


def see_results(titles: Sequence[str], language: str) -> str:
    return _t("see_results", language, titles=", ".join(titles))


# -- conclusions and recommendations -----------------------------------------------------------------------


def split_paragraphs(text: str) -> list[str]:
    """The evaluator's text as paragraphs: split on blank lines, lines of a paragraph joined."""
    blocks = [" ".join(line.strip() for line in part.splitlines() if line.strip())
              for part in text.replace("\r\n", "\n").split("\n\n")]
    return [b for b in blocks if b]


def _in_sentence(label: str) -> str:
    """A label inside a sentence: lower-case first letter, unless it is an acronym ("HME totalindex")."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _tagged(findings: Sequence[Finding], language: str) -> dict[int, str]:
    """id(finding) → its name with the design in brackets, for an outcome told by more than one analysis
    (sick leave as a time series and against comparison units: "improved" and "no clear change" would
    otherwise stand side by side under one name)."""
    by_label: dict[str, set[str]] = {}
    for f in findings:
        by_label.setdefault(f.label, set()).add(f.analysis_id)
    return {id(f): _with_tag(_name(f, language), _t("tag_" + f.kind, language)) for f in findings
            if len(by_label[f.label]) > 1 and f.kind in ("its", "did")}


def _with_tag(name: str, tag: str) -> str:
    """``name (tag)``, or the tag inside the name's own brackets: "Sjukfrånvaro (andel av tiden; tidsserie)"."""
    return f"{name[:-1]}; {tag})" if name.endswith(")") else f"{name} ({tag})"


def _short(f: Finding, key: str, language: str, label: str | None = None) -> str:
    after = _level(f.after, f, language) + (" " + _per(f, language) if f.unit == "ratio" else "")
    text = _t(key, language, label=label or _name(f, language), verb=_t(f.direction, language) if f.clear else "",
              before=_level(f.before, f, language), after=after)
    if "adjusted_p" in f.caveats:
        text = text[:-1] + _t("adjusted_p", language, p=i18n.fmt_p(f.p, language)) + "."
    return text


def _has_levels(f: Finding) -> bool:
    return math.isfinite(f.before) and math.isfinite(f.after)


def conclusions_blocks(findings: Sequence[Finding], language: str, *, purpose: str = "", titles=None,
                       conclusions: str | None = None, recommendations: str | None = None) -> list:
    """The chapter's blocks: what works and what remains (the conclusions), then recommendations and next steps.

    Each part is the evaluator's text when given (no draft mark), else drafted from ``findings`` — headline
    effects and every item — and then the chapter opens with the draft mark.
    """
    titles = titles or {}
    usable = [f for f in findings if (f.primary or f.clear) and "withheld" not in f.caveats
              and f.effect != "pretrend"]
    blocks: list = []
    if conclusions is None or recommendations is None:
        blocks.append(Paragraph(_t("draft", language)))
    if conclusions is not None:
        blocks += [Paragraph(p) for p in split_paragraphs(conclusions)]
    else:
        if purpose:
            blocks.append(Paragraph(_t("purpose_lead", language, purpose=purpose[:1].lower() + purpose[1:])))
        blocks += _drafted_conclusions(usable, language, titles)
    blocks.append(Heading(_t("next", language), 2))
    if recommendations is not None:
        blocks += [Paragraph(p) for p in split_paragraphs(recommendations)]
    else:
        blocks.append(Bullets(tuple(_recommendations(usable, findings, language))))
    return blocks


def _drafted_conclusions(findings: Sequence[Finding], language: str, titles) -> list:
    works = [f for f in findings if f.verdict in ("better", "changed") and f.effect != "slope_change"]
    worse = [f for f in findings if f.verdict == "worse" and f.effect != "slope_change"]
    unclear = [f for f in findings if f.verdict == "unclear" and f.primary]
    tags = _tagged(findings, language)
    good = [_short(f, "c_better" if f.verdict == "better" else "c_changed", language, tags.get(id(f)))
            if _has_levels(f) else finding_sentence(f, language, "") for f in works]
    remains = [_short(f, "c_worse", language, tags.get(id(f))) if _has_levels(f)
               else finding_sentence(f, language, "") for f in worse]
    remains += [_t("c_unclear", language, label=tags.get(id(f)) or _name(f, language)) for f in unclear
                if f.effect != "item"]
    for aid in dict.fromkeys(f.analysis_id for f in unclear if f.effect == "item"):
        own = [f for f in unclear if f.analysis_id == aid]
        total = sum(1 for f in findings if f.analysis_id == aid)
        remains.append(_t("c_items_unclear", language, title=titles.get(aid, aid), n=len(own), total=total,
                          what=_t(f"what_{own[0].kind}", language)))
    return [Heading(_t("works", language), 2), Bullets(tuple(good or [_t("c_no_better", language)])),
            Heading(_t("remains", language), 2), Bullets(tuple(remains or [_t("c_nothing_remains", language)]))]


def _labels(findings: Sequence[Finding], tags: dict[int, str], language: str) -> str:
    return i18n.join_words(list(dict.fromkeys(_in_sentence(tags.get(id(f)) or f.label) for f in findings)), language)


def _recommendations(usable: Sequence[Finding], every: Sequence[Finding], language: str) -> list[str]:
    out = []
    tags = _tagged(usable, language)
    better = [f for f in usable if f.verdict == "better" and f.effect != "item"]
    if better:
        out.append(_t("r_keep", language, labels=_labels(better, tags, language)))
    out += [_t("r_worse", language, label=_name(f, language) if f.effect == "item" else _in_sentence(f.label))
            for f in usable if f.verdict == "worse"]
    unclear = [f for f in usable if f.verdict == "unclear" and f.primary and f.effect != "item"]
    if unclear:
        out.append(_t("r_unclear", language, labels=_labels(unclear, tags, language)))
    codes = {c for f in every for c in f.caveats} | {"pretrend_rejected" for f in every
                                                    if f.effect == "pretrend" and f.clear}
    for code, key in (("few_clusters", "r_few_clusters"), ("no_comparison", "r_no_comparison"),
                      ("pretrend_rejected", "r_pretrend"), ("low_response", "r_low_response"),
                      ("withheld", "r_withheld"), ("levels_withheld", "r_withheld")):
        if code in codes:
            out.append(_t(key, language))
    return out
