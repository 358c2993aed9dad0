"""Governing documents against practice: where each core component is required, and whether it happened.

:func:`find_mentions` is a first pass over the documents that :func:`evalkit.load_documents` read: for each
core component a list of terms (Swedish or Norwegian, from the config or a dict) is matched with Snowball
stems, so inflections match ("uppföljning", "uppföljningen"; "livsområde", "livsområdena"); every passage
found is a *suggestion* with document, page and paragraph, to be confirmed by a person. Where the documents
were coded in a QDA tool (read back with ``ek.load_codings``), the coded segments take precedence for every
document that holds any: a person's reading replaces the suggestions.

:func:`intended_vs_enacted` builds, per component, the matrix of implementation.md §3: in which documents
and since when it is required (intended/formally adopted), what the case files show before and after
(documented practice: decision fields, a fidelity result or audit items), what the interviews say (codes
and role-labelled, masked quotes) and the outcome effect (an ITS or DiD effect row), and flags the gaps:
*required but not documented in practice* and *practised but never decided*.
"""
from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit import i18n
from evalkit.analysis.quotes import role_labels, select_quotes
from evalkit.errors import AnalysisError
from evalkit.i18n import check_language, fmt_date, fmt_int, fmt_number, fmt_percent, in_language, translator

__all__ = ["find_mentions", "DocumentMentions", "intended_vs_enacted", "IntendedEnactedResult", "stem",
           "MENTION_COLUMNS", "MATRIX_COLUMNS", "PRACTICE_COLUMNS", "GAPS"]

MENTION_COLUMNS = ("component", "source_guid", "file", "document", "doc_type", "date", "in_force", "page",
                   "paragraph", "heading", "start", "end", "terms", "passage", "origin")
MATRIX_COLUMNS = ("component", "label", "required", "required_since", "first_document", "first_page",
                  "n_documents", "documents", "not_in_later", "practice_source", "n_before", "share_before",
                  "n_after", "share_after", "audit_n", "audit_share", "interviews", "interviews_total",
                  "effect_analysis", "effect_term", "estimate", "ci_low", "ci_high", "p_value", "gap")
#: decision columns observing a component when no fidelity result is given (met = true / a value present)
PRACTICE_COLUMNS = {"goal_recorded": "goal_recorded", "own_view_recorded": "own_view_recorded",
                    "follow_up_planned": "follow_up_on", "needs_by_life_area": "life_area"}
GAPS = ("required_not_practised", "practised_not_decided", "no_practice_data")
_STEMMERS = {"sv": "swedish", "nb": "norwegian", "en": "english"}
_TOKEN = re.compile(r"\w+(?:-\w+)*")

_t = translator("documents")


def _type(doc_type: str, language: str) -> str:
    return i18n.words("documents", language).get(f"types.{doc_type}", doc_type)


# ----------------------------------------------------------------------------- stemming and matching
def stem(word: str, language: str = "sv") -> str:
    """The Snowball stem of a word, applied until it no longer changes (so "livsområdena" and
    "livsområdet" meet at "livsområd"), lower-cased.

    >>> stem("uppföljningen"), stem("livsområdena"), stem("oppfølgingen", "nb")
    ('uppföljning', 'livsområd', 'oppfølging')
    """
    if language not in _STEMMERS:
        raise AnalysisError(f"no stemmer for language {language!r}; use one of {', '.join(_STEMMERS)}")
    return _stem(word.lower(), language)


@functools.lru_cache(maxsize=3)
def _stemmer(language: str):
    import snowballstemmer

    return snowballstemmer.stemmer(_STEMMERS[language])


@functools.lru_cache(maxsize=200_000)
def _stem(current: str, language: str) -> str:
    # a document repeats its words: each distinct word is stemmed once
    stemmer = _stemmer(language)
    for _ in range(3):
        nxt = stemmer.stemWord(current)
        if nxt == current:
            break
        current = nxt
    return current


def _term_patterns(terms, language: str) -> dict[str, list[tuple[str, list[tuple[str, bool]]]]]:
    """component -> [(term, [(stem or prefix, is_prefix), …])]."""
    if not isinstance(terms, dict) or not terms:
        raise AnalysisError("terms must be a dict: component -> list of terms (or -> {sv: [...], nb: [...]})")
    out = {}
    for comp, given in terms.items():
        words = given.get(language, given.get("sv", [])) if isinstance(given, dict) else given
        if isinstance(words, str):
            words = [words]
        if not words:
            raise AnalysisError(f"terms[{comp!r}]: no terms for language {language!r}")
        pats = []
        for term in words:
            parts = [(w[:-1].lower(), True) if w.endswith("*") else (stem(w, language), False)
                     for w in str(term).split()]
            pats.append((str(term), parts))
        out[str(comp)] = pats
    return out


def _tokens(text: str, language: str) -> list[tuple[int, int, str, str]]:
    return [(m.start(), m.end(), m.group(0).lower(), stem(m.group(0), language)) for m in _TOKEN.finditer(text)]


def _index(tokens) -> tuple[dict, dict]:
    """Token positions by stem and by lower-cased word, so each term looks only where its first word is."""
    by_stem: dict[str, list[int]] = {}
    by_word: dict[str, list[int]] = {}
    for i, (_, _, low, st) in enumerate(tokens):
        by_stem.setdefault(st, []).append(i)
        by_word.setdefault(low, []).append(i)
    return by_stem, by_word


def _match(tokens, text: str, parts, index) -> list[tuple[int, int]]:
    by_stem, by_word = index
    want, prefix = parts[0]
    starts = sorted(i for w, pos in by_word.items() if w.startswith(want) for i in pos) if prefix \
        else by_stem.get(want, [])
    hits = []
    n = len(parts)
    for i in starts:
        if i + n > len(tokens):
            continue
        ok = True
        for k in range(1, n):
            want_k, prefix_k = parts[k]
            a, _, low, st = tokens[i + k]
            # a multi-word term never spans two paragraphs or pages
            if not (low.startswith(want_k) if prefix_k else st == want_k) \
                    or re.search(r"[\n\f]", text[tokens[i + k - 1][1]:a]):
                ok = False
                break
        if ok:
            hits.append((tokens[i][0], tokens[i + n - 1][1]))
    return hits


_COLOURS = {"decision": "#c00000", "policy": "#7f6000", "routine": "#2e75b6", "manual": "#548235",
            "other": "#7f7f7f"}


def _component_dots(ax, mentions: "DocumentMentions", components: list, labels: dict, language: str) -> None:
    """One row per component, a marker at the date each document mentioning it came into force."""
    m = mentions.mentions.drop_duplicates(["component", "source_guid"])
    for y, comp in enumerate(components):
        rows = m[m["component"] == comp]
        for doc_type, g in rows.groupby("doc_type"):
            ax.scatter(g["in_force"], [y] * len(g), color=_COLOURS.get(doc_type, "#7f7f7f"), s=36, zorder=3,
                       label=_type(doc_type, language))
    ax.set_yticks(range(len(components)), [str(in_language(labels.get(c, c), language)) for c in components],
                  fontsize=8)
    ax.set_ylim(-0.6, len(components) - 0.4)
    ax.invert_yaxis()
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  frameon=False)
    ax.grid(axis="x", color="#dddddd", lw=0.6)


# ----------------------------------------------------------------------------- mentions
@dataclass
class DocumentMentions:
    """Where each core component is mentioned in the governing documents.

    Attributes
    ----------
    mentions : DataFrame
        :data:`MENTION_COLUMNS`: one row per component and paragraph: the document (title, file, type,
        date, ``in_force``), 1-based page and paragraph, the nearest heading, the span of the first match
        (``start``/``end`` on the document's text), the terms matched, the paragraph's text (``passage``) and
        ``origin`` ("suggested" from terms or "coded" from a QDA project).
    documents : DataFrame
        The documents searched (:data:`evalkit.io.documents.DOCUMENT_COLUMNS`).
    components : list of str
        The components searched for, in the order given.
    labels : dict
        Component -> label in the result's language.
    """

    mentions: pd.DataFrame
    documents: pd.DataFrame
    components: list
    labels: dict = field(default_factory=dict)
    language: str = "sv"
    notes: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.mentions.copy()

    def matrix(self) -> pd.DataFrame:
        """Component × document: the pages where it is mentioned ("" where it is not)."""
        rows = {}
        for comp in self.components:
            m = self.mentions[self.mentions["component"] == comp]
            rows[comp] = {d: ", ".join(str(p) for p in sorted(set(m.loc[m["file"] == d, "page"].dropna())))
                          for d in self.documents["file"]}
        return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(self.documents["file"]))

    def plot(self, ax=None, language: str | None = None):
        """Components × time: a marker where a document mentioning the component came into force."""
        import matplotlib.pyplot as plt

        language = check_language(language or self.language)
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(self.components) + 1.4))
        else:
            fig = ax.figure
        _component_dots(ax, self, self.components, self.labels, language)
        ax.set_xlabel(_t("date", language))
        fig.tight_layout()
        return fig

    def summary(self) -> str:
        lines = [f"{len(self.mentions)} passage(s) in {len(self.documents)} document(s) mention "
                 f"{self.mentions['component'].nunique()} of {len(self.components)} components"]
        for comp in self.components:
            m = self.mentions[self.mentions["component"] == comp]
            where = "; ".join(f"{f} p. {', '.join(str(p) for p in sorted(set(g['page'].dropna())))}"
                              for f, g in m.groupby("file", sort=False)) or "not mentioned"
            lines.append(f"  {comp}: {where}")
        return "\n".join(lines + self.notes)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>" + self.mentions.drop(
            columns=["source_guid", "start", "end"]).to_html(index=False)


def find_mentions(documents, terms: dict, *, language: str = "sv", codings=None, codes: dict | None = None,
                  labels: dict | None = None) -> DocumentMentions:
    """Suggest the passages of the governing documents that mention each core component.

    Parameters
    ----------
    documents : Documents
        What :func:`evalkit.load_documents` returned.
    terms : dict
        Component id -> list of terms, or -> ``{"sv": [...], "nb": [...]}``. A term of several words
        matches those words in a row within one paragraph; each word matches every word with the same
        Snowball stem (:func:`stem`), and a word ending in ``*`` matches every word beginning with it
        ("uppfölj*" for compounds). Case is ignored.
    language : {"sv", "nb", "en"}
        The documents' language: which terms and which stemmer.
    codings : Codings, optional
        The documents coded in a QDA tool (``ek.load_codings`` of the project :meth:`Documents.to_codings`
        wrote). For every document with at least one coded segment, the coded segments replace the
        suggestions (matched to documents by source GUID or name).
    codes : dict, optional
        Component id -> code name or path (or a list) in ``codings``; needed with ``codings``.
    labels : dict, optional
        Component id -> label, for tables and sentences (default the id).

    Returns
    -------
    DocumentMentions

    Notes
    -----
    Stem matching over-matches a little (a stem shared by unrelated words) and misses synonyms not listed;
    the passages are suggestions for a person to confirm, as in keyword pre-coding of qualitative data
    (implementation.md §3). Tokens are runs of letters and digits with inner hyphens ("ICF-bedömning" is
    one token), so list hyphenated compounds as such or with ``*``.
    """
    language = check_language(language)
    patterns = _term_patterns(terms, "sv" if language == "sv" else language)
    docs = documents.documents.set_index("source_guid")
    anchors = documents.anchors
    rows = []
    for src in documents.sources.to_dict("records"):
        guid, text = src["source_guid"], src["text"] or ""
        tokens = _tokens(text, language)
        index = _index(tokens)
        frame = anchors[anchors["source_guid"] == guid].sort_values("start")
        starts = frame["start"].to_numpy(dtype=np.int64)
        para = frame.to_dict("records")  # plain rows: pandas row access per hit is slow on long documents
        doc = docs.loc[guid].to_dict()
        for comp, pats in patterns.items():
            found: dict[int, dict] = {}
            for term, parts in pats:
                for a, b in _match(tokens, text, parts, index):
                    k = int(np.searchsorted(starts, a, side="right")) - 1
                    if k < 0:
                        continue
                    p = para[k]
                    hit = found.setdefault(int(p["paragraph"]), {
                        "start": a, "end": b, "terms": [], "page": int(p["page"]) if pd.notna(p["page"]) else None,
                        "heading": p["heading"], "passage": text[int(p["start"]):int(p["end"])]})
                    if a < hit["start"]:
                        hit["start"], hit["end"] = a, b
                    if term not in hit["terms"]:
                        hit["terms"].append(term)
            for number, hit in found.items():
                rows.append(_mention_row(comp, guid, doc, number, hit, "suggested"))
    mentions = pd.DataFrame(rows, columns=list(MENTION_COLUMNS))
    notes = []
    if codings is not None:
        mentions, notes = _coded_precedence(mentions, documents, codings, codes, docs)
    mentions = mentions.sort_values(["component", "in_force", "file", "paragraph"], kind="stable",
                                    key=lambda s: s.map(list(patterns).index) if s.name == "component" else s)
    for col in ("page", "paragraph", "start", "end"):
        mentions[col] = mentions[col].astype("Int64")
    return DocumentMentions(mentions.reset_index(drop=True), documents.documents.copy(), list(patterns),
                            {c: (labels or {}).get(c, c) for c in patterns}, language, notes)


def _mention_row(comp, guid, doc, number, hit, origin) -> dict:
    return {"component": comp, "source_guid": guid, "file": doc["file"], "document": doc["title"],
            "doc_type": doc["doc_type"], "date": doc["date"], "in_force": doc["in_force"], "page": hit["page"],
            "paragraph": number, "heading": hit["heading"], "start": hit["start"], "end": hit["end"],
            "terms": ", ".join(hit["terms"]), "passage": hit["passage"], "origin": origin}


def _coded_precedence(mentions, documents, codings, codes, docs):
    if not codes:
        raise AnalysisError("codings given without codes: say which code is which component "
                            "(codes = {component: code name or path})")
    by_name = dict(zip(documents.documents["title"], documents.documents["source_guid"]))
    by_name.update(zip(documents.documents["file"], documents.documents["source_guid"]))
    known = set(documents.documents["source_guid"])
    seg = codings.segments.merge(codings.sources[["source_guid", "name", "text"]], on="source_guid", how="left")
    seg["doc"] = [g if g in known else by_name.get(n) for g, n in zip(seg["source_guid"], seg["name"])]
    seg = seg[seg["doc"].notna() & seg["start"].notna()]
    code_of = {}
    for comp, names in codes.items():
        for name in [names] if isinstance(names, str) else names:
            code_of[codings.code_guid(name)] = comp
    rows = []
    coded_docs = set(seg["doc"])
    anchors = documents.anchors
    for s in seg[seg["code_guid"].isin(code_of)].to_dict("records"):
        text = s["text_y"] if isinstance(s.get("text_y"), str) else ""
        a = anchors[(anchors["source_guid"] == s["doc"]) & (anchors["start"] <= int(s["start"]))].tail(1)
        number = int(a["paragraph"].iloc[0]) if len(a) else None
        hit = {"start": int(s["start"]), "end": int(s["end"]), "terms": [],
               "page": text.count("\f", 0, int(s["start"])) + 1, "heading": a["heading"].iloc[0] if len(a) else None,
               "passage": s["text_x"]}
        rows.append(_mention_row(code_of[s["code_guid"]], s["doc"], docs.loc[s["doc"]], number, hit, "coded"))
    kept = mentions[~mentions["source_guid"].isin(coded_docs)]
    notes = [f"{len(coded_docs)} document(s) coded in a QDA tool: their coded segments replace the suggestions"] \
        if coded_docs else []
    coded = pd.DataFrame(rows, columns=list(MENTION_COLUMNS)).drop_duplicates(["component", "source_guid", "paragraph"])
    return pd.concat([kept, coded], ignore_index=True) if len(coded) else kept, notes


# ----------------------------------------------------------------------------- intended vs enacted
@dataclass
class IntendedEnactedResult:
    """Per core component: required where and since when, documented practice, interviews, effect, gaps.

    Attributes
    ----------
    matrix : DataFrame
        :data:`MATRIX_COLUMNS`, one row per component. ``required_since`` is the earliest ``in_force``
        of a document mentioning it; ``not_in_later`` names documents in force later that do not mention
        it; practice is the share of decisions (or scored decisions of a fidelity result) meeting the
        component before and after ``required_since`` (or the change date); ``audit_share`` the share of
        audited decisions answered yes; ``interviews`` the interviews coded with the component's codes;
        ``estimate … p_value`` the effect row of the outcome analysis; ``gap`` one of :data:`GAPS` or "".
    mentions : DocumentMentions
    quotes : DataFrame
        ``component, group, label, quote`` (masked, role-labelled).
    series : DataFrame or None
        ``period, value`` of the outcome shown in the timeline.
    """

    matrix: pd.DataFrame
    mentions: DocumentMentions
    quotes: pd.DataFrame
    series: pd.DataFrame | None = None
    series_label: str = ""
    threshold: float = 0.5
    language: str = "sv"
    title: str = ""
    notes: list = field(default_factory=list)
    #: component → its label, and → the name of its outcome analysis, as given (``Localized`` when the
    #: config or model words them per language: the matrix columns hold them in the result's language)
    labels: dict = field(default_factory=dict, repr=False)
    effect_names: dict = field(default_factory=dict, repr=False)

    def _label(self, component: str, language: str) -> str:
        return str(in_language(self.labels.get(component, component), language))

    def __post_init__(self):
        self.title = self.title or _t("title", self.language)

    def to_frame(self) -> pd.DataFrame:
        return self.matrix.copy()

    def gaps(self) -> pd.DataFrame:
        return self.matrix[self.matrix["gap"] != ""][["component", "label", "gap"]]

    def summary(self) -> str:
        return "\n".join(self.sentences("en"))

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return "".join(f"<p>{html.escape(s)}</p>" for s in self.sentences("en")) + \
            self.matrix.drop(columns=["documents"]).to_html(index=False)

    # -- report protocol ------------------------------------------------
    def sentences(self, language: str = "sv", disclosure=None) -> list[str]:
        """Per component: where and since when it is required, and what the decisions show.

        Decision counts and shares go through ``disclosure`` (an :class:`evalkit.privacy.Disclosure`,
        default 5 and 30), as in the tables; counts of documents are not about people and are shown.
        """
        from evalkit.privacy import Disclosure

        language = check_language(language)
        d = disclosure if disclosure is not None else Disclosure()
        out = []
        docs = self.mentions.documents
        out.append(i18n.text("documents", "intended_enacted_result_sentences", language,
                             docs=fmt_int(len(docs), language),
                             v1=', '.join(sorted({_type(t, language) for t in docs['doc_type']}))))
        for r in self.matrix.to_dict("records"):
            r = {**r, "label": self._label(r["component"], language),
                 "effect_analysis": in_language(self.effect_names.get(r["component"], r["effect_analysis"]), language)}
            out += _component_sentences(r, len(docs), language, d)
        return out

    def methods(self, language: str = "sv") -> list[str]:
        language = check_language(language)
        return [i18n.text("documents", "intended_enacted_result_methods", language,
                          threshold=fmt_percent(self.threshold, 0, language))]

    def report_tables(self, language: str = "sv") -> list:
        from evalkit.blocks import TableSpec

        language = check_language(language)
        m = self.matrix
        t = lambda k: _t(k, language)  # noqa: E731
        table = pd.DataFrame({
            t("component"): [self._label(c, language) for c in m["component"]],
            # one column for when and where: a narrow table fits the page
            t("required_where"): [f"{fmt_date(s, language)}: {d}, {'p.' if language == 'en' else 's.'} {p}"
                                  if isinstance(d, str) else "–"
                                  for s, d, p in zip(m["required_since"], m["first_document"], m["first_page"])],
            t("n_documents"): m["n_documents"],
            t("n_before"): m["n_before"], t("share_before"): m["share_before"],
            t("n_after"): m["n_after"], t("share_after"): m["share_after"],
            t("interviews"): m["interviews"],
            t("estimate"): m["estimate"],
            t("gap"): [t(g) if g else "" for g in m["gap"]],
        })
        spec = TableSpec(counts=(t("n_before"), t("n_after"), t("interviews")),
                         percents={t("share_before"): t("n_before"), t("share_after"): t("n_after")},
                         decimals={t("estimate"): 2, t("n_documents"): 0})
        mentions = self.mentions.mentions
        mt = pd.DataFrame({
            t("component"): [self._label(c, language) for c in mentions["component"]],
            t("document"): mentions["document"],
            t("doc_type"): [_type(x, language) for x in mentions["doc_type"]],
            t("date"): [fmt_date(d, language) for d in mentions["date"]],
            t("page"): mentions["page"], t("paragraph"): mentions["paragraph"],
            t("origin"): [t(o) for o in mentions["origin"]],
            t("passage"): mentions["passage"],
        })
        docs = self.mentions.documents.sort_values("date")
        dt_ = pd.DataFrame({t("document"): docs["title"], t("doc_type"): [_type(x, language) for x in docs["doc_type"]],
                            t("date"): [fmt_date(d, language) for d in docs["date"]],
                            t("required_since"): [fmt_date(d, language) for d in docs["in_force"]],
                            t("issuer"): docs["issuer"].fillna("–"), t("pages"): docs["pages"]})
        tables = [(t("cap_matrix"), table, spec), (t("cap_documents"), dt_, TableSpec(decimals={t("pages"): 0})),
                  (t("cap_mentions"), mt, TableSpec(decimals={t("page"): 0, t("paragraph"): 0}))]
        if len(self.quotes):
            q = pd.DataFrame({t("component"): [self._label(c, language) for c in self.quotes["component"]],
                              t("label"): self.quotes["label"], t("quote"): self.quotes["quote"]})
            tables.append((t("cap_quotes"), q, TableSpec()))
        return tables

    def plot(self, ax=None, language: str = "sv"):
        """Timeline: the dates the documents came into force against the outcome series (if any)."""
        import matplotlib.pyplot as plt

        language = check_language(language)
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 3.6))
        else:
            fig = ax.figure
        docs = self.mentions.documents.dropna(subset=["in_force"]).sort_values("in_force")
        if self.series is None or not len(self.series):  # no outcome: which component each document requires
            comps = list(self.matrix["component"])
            _component_dots(ax, self.mentions, comps, {c: self._label(c, language) for c in comps}, language)
        else:
            ax.plot(self.series["period"], self.series["value"], color="#1f4e79", lw=1.4)
            ax.set_ylabel(in_language(self.series_label, language) or _t("outcome_axis", language))
        for d in docs.to_dict("records"):
            colour = _COLOURS.get(d["doc_type"], "#7f7f7f")
            ax.axvline(d["in_force"], color=colour, ls="--", lw=1, zorder=1)
            if self.series is None or not len(self.series):
                continue  # the dots' legend names the types
            # labels run up along their line, so documents a few months apart stay readable
            ax.annotate(f"{_type(d['doc_type'], language)} {fmt_date(d['in_force'], language)}", (d["in_force"], 0),
                        xycoords=("data", "axes fraction"), xytext=(-3, 4), textcoords="offset points",
                        rotation=90, fontsize=7, color=colour, ha="right", va="bottom")
        ax.set_xlabel(_t("date", language))
        fig.tight_layout()
        return fig


def _component_sentences(r: dict, n_docs: int, language: str, d) -> list[str]:
    label = r["label"]
    out = []
    if r["required"]:
        since = fmt_date(r["required_since"], language)
        page = i18n.text("documents", "component_sentences.page", language)
        where = f"{r['first_document']}, {page} {r['first_page']}"
        k, n = fmt_int(r["n_documents"], language), fmt_int(n_docs, language)
        out.append(i18n.text("documents", "component_sentences", language, label=label, since=since, where=where,
                             k=k, n=n))
    else:
        out.append(i18n.text("documents", "component_sentences_2", language, label=label))
    if r["not_in_later"]:
        out.append(i18n.text("documents", "component_sentences_3", language, label=label,
                             not_in_later=r['not_in_later']))
    practice = ""
    if pd.notna(r["share_after"]):
        a, na = d.share(r["share_after"], r["n_after"], language), d.count(r["n_after"], language)
        if pd.notna(r["share_before"]):
            b, nb = d.share(r["share_before"], r["n_before"], language), d.count(r["n_before"], language)
            practice = i18n.text("documents", "component_sentences.practice", language, b=b, nb=nb, a=a, na=na)
        else:
            practice = i18n.text("documents", "component_sentences.practice_2", language, a=a, na=na)
    if pd.notna(r["estimate"]):
        est = fmt_number(r["estimate"], 2, language)
        ci = f"{fmt_number(r['ci_low'], 2, language)}–{fmt_number(r['ci_high'], 2, language)}"
        effect = i18n.text("documents", "component_sentences.effect", language,
                           effect_analysis=r['effect_analysis'], est=est, ci=ci)
        joint = i18n.text("documents", "component_sentences.joint", language)
        practice = practice + joint + effect if practice else effect[:1].upper() + effect[1:]
    if practice:
        out.append(practice + ".")
    if r["gap"] in ("required_not_practised", "practised_not_decided"):
        out.append(i18n.text("documents", "component_sentences_4", language, label=label,
                             gap=_t(r['gap'], language)))
    return out


def intended_vs_enacted(mentions: DocumentMentions, *, fidelity=None, decisions: pd.DataFrame | None = None,
                        audit: pd.DataFrame | None = None, codings=None, effects: dict | None = None,
                        components=None, practice: dict | None = None, audit_items: dict | None = None,
                        interview_codes: dict | None = None, group: str | None = None,
                        change_date=None, series=None, series_label: str = "", threshold: float = 0.5,
                        language: str = "sv", seed: int = 0) -> IntendedEnactedResult:
    """Intended (governing documents) against enacted (case files, interviews, outcomes), per component.

    Parameters
    ----------
    mentions : DocumentMentions
        From :func:`find_mentions` (suggestions, or coded segments where present).
    fidelity : FidelityResult, optional
        ``ek.fidelity``'s result: its scored decisions (one boolean column per component, NA where the
        component does not apply) are the documented practice. Without it, ``decisions`` is used.
    decisions : DataFrame, optional
        Canonical decisions; a component is met where its column (``practice``, default
        :data:`PRACTICE_COLUMNS`) is true (booleans) or holds a value (dates, text).
    audit : DataFrame, optional
        Audit answers (``item, answer``): share ``yes`` of yes/partly/no per component's item
        (``audit_items``, or the model's ``audit_item`` of a fidelity result).
    codings : Codings, optional
        Coded interviews, with ``interview_codes`` (component -> code name/path or list).
    effects : dict, optional
        Component -> an ITS result (its ``level_change`` row) or a DiD result (its ``effect``); a tuple
        ``(name, result)`` names the analysis in the table.
    components : list or dict, optional
        Which components, in order (default the mentions'); a dict gives their labels.
    change_date : date-like, optional
        Before/after split for components no document requires (and for all, if given, instead of each
        component's own ``required_since``).
    series : DataFrame or Series, optional
        The outcome for the timeline: ``period, value`` columns or a Series indexed by date.
    threshold : float
        Share of decisions below which a required component is "not documented in practice", and at or
        above which an unrequired one is "practised, never decided" (default 0.5).

    Returns
    -------
    IntendedEnactedResult
    """
    language = check_language(language)
    comps, labels = _components(components, mentions)
    practice_frame, flags, date_col = _practice_frame(fidelity, decisions, practice, comps)
    items = dict(audit_items or {})
    if fidelity is not None and not items:
        items = {c.id: c.audit_item for c in getattr(fidelity.model, "components", [])
                 if getattr(c, "audit_item", None)}
    docs = mentions.documents
    rows, quotes = [], []
    interview = _interviews(codings, interview_codes, group, language, seed)
    for comp in comps:
        m = mentions.mentions[mentions.mentions["component"] == comp].sort_values(["in_force", "page"])
        required = len(m) > 0
        since = m["in_force"].min() if required else pd.NaT
        first = m[m["in_force"] == since].iloc[0] if required else None
        later = (docs[(docs["in_force"] > since) & ~docs["source_guid"].isin(m["source_guid"])] if required
                 else docs.iloc[:0])
        split = pd.Timestamp(change_date) if change_date is not None else since
        n_b, s_b, n_a, s_a, source = _practice(practice_frame, flags, date_col, comp, split)
        a_n, a_s = _audit_share(audit, items.get(comp))
        n_int, n_total, q = interview(comp)
        quotes += q
        eff = _effect_row((effects or {}).get(comp))
        share_now = s_a if pd.notna(s_a) else a_s
        gap = ""
        if required and pd.notna(share_now) and share_now < threshold:
            gap = "required_not_practised"
        elif not required and pd.notna(share_now) and share_now >= threshold:
            gap = "practised_not_decided"
        elif required and pd.isna(share_now):
            gap = "no_practice_data"
        rows.append({"component": comp, "label": labels.get(comp, comp), "required": required,
                     "required_since": since, "first_document": first["document"] if required else None,
                     "first_page": int(first["page"]) if required and pd.notna(first["page"]) else None,
                     "n_documents": int(m["source_guid"].nunique()),
                     "documents": "; ".join(f"{d} ({', '.join(str(p) for p in sorted(set(g['page'].dropna())))})"
                                            for d, g in m.groupby("document", sort=False)),
                     "not_in_later": "; ".join(f"{t} ({d.year})" for t, d in zip(later["title"], later["in_force"])),
                     "practice_source": source, "n_before": n_b, "share_before": s_b, "n_after": n_a,
                     "share_after": s_a, "audit_n": a_n, "audit_share": a_s, "interviews": n_int,
                     "interviews_total": n_total, **eff, "gap": gap})
    matrix = pd.DataFrame(rows, columns=list(MATRIX_COLUMNS))
    for c in ("n_before", "n_after", "audit_n", "interviews", "interviews_total", "first_page"):
        matrix[c] = matrix[c].astype("Int64")
    quotes = pd.DataFrame(quotes, columns=["component", "group", "label", "quote"])
    names = {c: (e[0] if isinstance(e, tuple) else getattr(e, "title", "")) for c, e in (effects or {}).items()}
    return IntendedEnactedResult(matrix, mentions, quotes, _series(series), series_label, threshold, language,
                                 labels=dict(labels), effect_names=names)


def _components(components, mentions):
    if components is None:
        return list(mentions.components), dict(mentions.labels)
    if isinstance(components, dict):
        return list(components), {k: str(v) for k, v in components.items()}
    comps = list(components)
    return comps, {c: mentions.labels.get(c, c) for c in comps}


def _practice_frame(fidelity, decisions, practice, comps):
    if fidelity is not None:
        scored = fidelity.scored
        return scored, {c: scored[c] for c in comps if c in scored.columns}, "decided_on"
    if decisions is None:
        return None, {}, None
    cols = {**PRACTICE_COLUMNS, **(practice or {})}
    flags = {}
    for comp in comps:
        col = cols.get(comp)
        if col is None or col not in decisions.columns:
            continue
        s = decisions[col]
        flags[comp] = s.astype("boolean") if pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean" \
            else pd.Series(s.notna(), index=s.index).astype("boolean")
    return decisions, flags, "decided_on"


def _practice(frame, flags, date_col, comp, split):
    if frame is None or comp not in flags:
        return None, np.nan, None, np.nan, ""
    met = flags[comp]
    dates = pd.to_datetime(frame[date_col])
    ok = met.notna() & dates.notna()
    if pd.isna(split):
        after = ok
        n_a = int(after.sum())
        return None, np.nan, n_a, float(met[after].astype(float).mean()) if n_a else np.nan, "decisions"
    before, after = ok & (dates < split), ok & (dates >= split)
    n_b, n_a = int(before.sum()), int(after.sum())
    s_b = float(met[before].astype(float).mean()) if n_b else np.nan
    s_a = float(met[after].astype(float).mean()) if n_a else np.nan
    return n_b, s_b, n_a, s_a, "decisions"


def _audit_share(audit, item):
    if audit is None or item is None or "item" not in audit.columns:
        return None, np.nan
    a = audit[audit["item"] == item]["answer"].astype("string").str.lower()
    a = a[a.isin(["yes", "partly", "no"])]
    return (len(a), float((a == "yes").mean())) if len(a) else (0, np.nan)


def _interviews(codings, codes, group, language, seed):
    if codings is None or not codes:
        return lambda comp: (None, None, [])
    attrs = codings.source_attributes()
    from evalkit.analysis.qualitative import GROUP_VARIABLES

    lower = {str(c).lower(): c for c in attrs.columns}
    gcol = group if group in attrs.columns else next((lower[c] for c in GROUP_VARIABLES if c in lower), None)
    groups = attrs[gcol] if gcol is not None else pd.Series("", index=attrs.index)
    labels = role_labels(groups.fillna(""))
    total = len(codings.sources)

    def run(comp):
        names = codes.get(comp)
        if not names:
            return None, total, []
        guids = [codings.code_guid(n) for n in ([names] if isinstance(names, str) else names)]
        seg = codings.segments[codings.segments["code_guid"].isin(guids)]
        seg = seg.assign(group=seg["source_guid"].map(groups).fillna(""), code_guid=guids[0])
        picked = select_quotes(seg, labels, n=1, language=language, seed=seed).head(2)
        return int(seg["source_guid"].nunique()), total, [
            {"component": comp, "group": r["group"], "label": r["label"], "quote": r["quote"]}
            for r in picked.to_dict("records")]

    return run


def _effect_row(given) -> dict:
    empty = {"effect_analysis": None, "effect_term": None, "estimate": np.nan, "ci_low": np.nan,
             "ci_high": np.nan, "p_value": np.nan}
    if given is None:
        return empty
    name, result = given if isinstance(given, tuple) else (getattr(given, "title", "") or "", given)
    effects = getattr(result, "effects", None)
    if isinstance(effects, pd.DataFrame) and "level_change" in effects.index:
        row, term = effects.loc["level_change"], "level_change"
    elif isinstance(getattr(result, "effect", None), pd.Series):
        row, term = result.effect, "did"
    else:
        raise AnalysisError(f"effects: {type(result).__name__} is neither an ITS result (effects with a "
                            "level_change row) nor a DiD result (effect)")
    return {"effect_analysis": name, "effect_term": term, "estimate": float(row["estimate"]),
            "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"]), "p_value": float(row["p_value"])}


def _series(series):
    if series is None:
        return None
    if isinstance(series, pd.Series):
        return pd.DataFrame({"period": pd.to_datetime(series.index), "value": series.to_numpy(dtype=float)})
    if isinstance(series, pd.DataFrame) and {"period", "value"} <= set(series.columns):
        return series[["period", "value"]].assign(period=lambda f: pd.to_datetime(f["period"]))
    raise AnalysisError("series must be a Series indexed by date or a DataFrame with period and value columns")
