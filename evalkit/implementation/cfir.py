"""CFIR 2.0: codebook, memos, rating forms, ratings, agreement and the construct × unit matrix.

The workflow: the codebook (5 domains, 48 constructs, 19 subconstructs) goes into NVivo, MAXQDA,
ATLAS.ti or QualCoder; the coded interviews come back as a .qdpx; each rater gets a form with a memo per
unit × construct; the filled forms give ratings, agreement and the matrix.

>>> import evalkit as ek
>>> cb = ek.cfir.codebook("sv")
>>> ek.write_qdc(cb, "cfir2_sv.qdc")                        # doctest: +SKIP
>>> ek.cfir.rating_form(codings, "R1.xlsx", rater="A")      # doctest: +SKIP
>>> ratings = ek.cfir.load_ratings(["R1.xlsx", "R2.xlsx"])  # doctest: +SKIP
>>> res = ek.cfir.matrix(ratings, outcome_groups={"high": ["Norr"], "low": ["Söder"]})  # doctest: +SKIP

The framework is Damschroder LJ, Reardon CM, Opra Widerquist MA, Lowery J (2022), *The updated
Consolidated Framework for Implementation Research based on user feedback*, Implementation Science
17:75, doi:10.1186/s13012-022-01245-0 — 5 domains (Innovation, Outer Setting, Inner Setting,
Individuals, Implementation Process), 48 constructs and 19 subconstructs with the article's
letter-number ids ("III.J.1"). The labels and short definitions shipped in
``evalkit/data/cfir/cfir2.toml`` are evalkit's own paraphrases in Swedish, Norwegian and English,
not the article's wording; cite the article when you use them. The rating scale (−2 … +2, X for
mixed, missing for no data) and the "distinguishing constructs" comparison follow Damschroder &
Lowery (2013), Implementation Science 8:51.

No R or Python package computes CFIR ratings; the CFIR team's own tools are Excel templates
(https://cfirguide.org). Agreement uses :func:`evalkit.agreement` (weighted Cohen's kappa as R
``irr::kappa2``, ordinal Krippendorff's alpha as R ``irr::kripp.alpha``).
"""
from __future__ import annotations

import pandas as pd

from evalkit.implementation import _cfir_tree
from evalkit.implementation._cfir_form import (UNIT_VARIABLES, load_ratings, memos, parse_rating, rating_checks,
                                              rating_form)
from evalkit.implementation._cfir_matrix import (CONSENSUS_RULES, CFIRResult, DistinguishRule, RatingAgreement,
                                                 matrix, rating_agreement)
from evalkit.implementation._cfir_tree import CFIR_NAMESPACE, CITATION, construct_guid, match_codes

__all__ = ["codebook", "constructs", "write_codebook", "memos", "rating_form", "load_ratings", "rating_agreement",
           "matrix", "CFIRResult", "RatingAgreement", "DistinguishRule", "CONSENSUS_RULES", "CITATION",
           "CFIR_NAMESPACE", "construct_guid", "match_codes", "parse_rating", "rating_checks", "UNIT_VARIABLES",
           "run_cfir"]


def constructs(language: str = "sv") -> pd.DataFrame:
    """The CFIR 2.0 tree as a table: ``id, kind, parent_id, domain, subdomain, guid, label, definition``.

    ``kind`` is "domain", "construct" or "subconstruct"; rows in framework order.

    >>> t = constructs("en")
    >>> t["kind"].value_counts().to_dict()
    {'construct': 48, 'subconstruct': 19, 'domain': 5}
    """
    from evalkit.i18n import check_language

    check_language(language)
    t = _cfir_tree.tree()
    t["label"] = t[f"label_{language}"]
    t["definition"] = t[f"definition_{language}"]
    return t[["id", "kind", "parent_id", "domain", "subdomain", "guid", "label", "definition"]]


def codebook(language: str = "sv", *, with_ids: bool = True):
    """The CFIR 2.0 codebook as :class:`~evalkit.io.codings.Codings` (code tree only).

    Parameters
    ----------
    language : {"sv", "nb", "en"}
        Language of the code names and descriptions.
    with_ids : bool
        Prefix each name with its CFIR id ("III.J Tillgängliga resurser"), so the codes sort in
        framework order in every tool and codings map back to constructs by name too.

    Returns
    -------
    Codings
        ``codes``: 72 codes — 5 domains (categories, not codable), 48 constructs and 19
        subconstructs (codable) — with ``code_guid = uuid5(CFIR namespace, id)``, so the GUIDs are
        the same in every language and a codebook exported twice is identical. Descriptions hold
        evalkit's short definitions. Write it with :func:`evalkit.write_qdc`.

    Notes
    -----
    Source of the structure: Damschroder et al. (2022), Implementation Science 17:75 (see the module
    docstring). Definitions are paraphrased, not quoted.

    Examples
    --------
    >>> cb = codebook("en")
    >>> len(cb.codes), int(cb.codes["is_codable"].sum())
    (72, 67)
    >>> cb.codes.loc[cb.codes["name"].str.startswith("III.J.1"), "path"].iloc[0]
    'III Inner Setting > III.J Available Resources > III.J.1 Funding'
    """
    from evalkit.io.codings import ImportReport, finish_tables

    t = constructs(language)
    guid = dict(zip(t["id"], t["guid"]))
    rows = []
    for r in t.itertuples(index=False):
        rows.append({"code_guid": r.guid, "name": f"{r.id} {r.label}" if with_ids else r.label,
                     "parent_guid": guid.get(r.parent_id) if isinstance(r.parent_id, str) else None,
                     "is_codable": r.kind != "domain", "color": _cfir_tree.DOMAIN_COLORS[r.domain],
                     "description": r.definition})
    report = ImportReport("CFIR 2.0 codebook", origin="evalkit",
                          notes=[f"CFIR 2.0 ({language}); structure from {CITATION}; definitions paraphrased by evalkit"])
    return finish_tables(sources=[], codes=rows, segments=[], report=report, path=None, fmt="cfir", rows_read=0,
                         name=f"CFIR 2.0 ({language})")


def write_codebook(path, language: str = "sv", *, with_ids: bool = True):
    """Write the CFIR 2.0 codebook as a REFI-QDA .qdc file (:func:`evalkit.write_qdc`); returns the path."""
    from evalkit.io.refi_write import write_qdc

    return write_qdc(codebook(language, with_ids=with_ids), path, origin="evalkit CFIR 2.0")


def run_cfir(forms, options: dict | None = None) -> CFIRResult:
    """Pipeline entry point (config ``kind = "cfir"``): read the filled rating forms, return the matrix.

    ``forms`` is one or several form paths (the ``[data.cfir]`` source's ``forms``). Keys of
    ``options`` (all optional): ``outcome_groups`` ({"high": [...], "low": [...]} or {unit: group}),
    ``rule`` (agreed | conservative | mean | rater:<id>), ``distinguish`` ({high_min, low_max,
    min_difference, weak_difference, min_units}), ``weights`` (linear | quadratic), ``n_boot``,
    ``seed``, ``allow_blank``, ``language``. Unknown keys are an AnalysisError.
    """
    from evalkit.errors import AnalysisError

    opts = dict(options or {})
    allowed = {"outcome_groups", "rule", "distinguish", "weights", "n_boot", "seed", "allow_blank", "language"}
    unknown = sorted(set(opts) - allowed)
    if unknown:
        raise AnalysisError(f"unknown cfir option(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
    rule_keys = {"high_min", "low_max", "min_difference", "weak_difference", "min_units"}
    dist = opts.pop("distinguish", None)
    if dist is not None:
        bad = sorted(set(dist) - rule_keys)
        if bad:
            raise AnalysisError(f"unknown distinguish key(s) {', '.join(bad)}; known: {', '.join(sorted(rule_keys))}")
        dist = DistinguishRule(**dist)
    ratings = load_ratings(forms, allow_blank=bool(opts.pop("allow_blank", False)))
    return matrix(ratings, distinguish=dist, **opts)
