"""The reference list: built from the works the report's text actually cites.

Each :class:`Work` has its authors' surnames, year and full reference, a
``keyword`` (the method's name as the method sentences write it in sv, nb and
en) and how it is cited in text. :func:`cite_methods` puts "(Author year)" after
the first place the methods section names a method that is not cited there
yet; :func:`cited` finds every work cited anywhere in the report (also where a
result's own text cites it); the references section lists exactly those,
sorted by first author and year. So an IBIC report without a
difference-in-differences analysis has no DiD reference.

The full references follow the journals' own records (Vancouver-like, as FoU
reports commonly print them); the works are those the project's reference
notes (/work/shared/reference/*.md) and the analysis modules' docstrings cite.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from evalkit import i18n

__all__ = ["Work", "WORKS", "cite", "cite_methods", "cited", "reference_list"]

_t = i18n.translator("references")


@dataclass(frozen=True)
class Work:
    """One cited work.

    ``keyword`` is a regular expression matching the method's name in a method sentence (``None``: the
    work is listed only where a text cites it itself).
    """

    key: str
    authors: tuple[str, ...]
    year: str
    reference: str
    keyword: str | None = None

    def pattern(self) -> re.Pattern:
        """A citation of this work in text: the first author's surname, then its year within a few words."""
        first = re.escape(self.authors[0])
        return re.compile(rf"\b{first}\b[^()\d]{{0,60}}?\(?{re.escape(self.year)}\b")



WORKS: tuple[Work, ...] = (
    Work("bernal2017", ("Bernal", "Cummins", "Gasparrini"), "2017",
         "Bernal JL, Cummins S, Gasparrini A. Interrupted time series regression for the evaluation of public "
         "health interventions: a tutorial. International Journal of Epidemiology. 2017;46(1):348–355.",
         r"(?i:segmenterad regression|segmentert regresjon|segmented regression)"),
    Work("turner2021", ("Turner", "Forbes", "Karahalios"), "2021",
         "Turner SL, Forbes AB, Karahalios A, Taljaard M, McKenzie JE. Evaluation of statistical methods used in "
         "the analysis of interrupted time series studies: a simulation study. BMC Medical Research Methodology. "
         "2021;21:181."),
    Work("wagner2002", ("Wagner", "Soumerai", "Zhang", "Ross-Degnan"), "2002",
         "Wagner AK, Soumerai SB, Zhang F, Ross-Degnan D. Segmented regression analysis of interrupted time "
         "series studies in medication use research. Journal of Clinical Pharmacy and Therapeutics. "
         "2002;27(4):299–309."),
    Work("penfold2013", ("Penfold", "Zhang"), "2013",
         "Penfold RB, Zhang F. Use of interrupted time series analysis in evaluating health care quality "
         "improvements. Academic Pediatrics. 2013;13(6 Suppl):S38–S44."),
    Work("newey1987", ("Newey", "West"), "1987",
         "Newey WK, West KD. A simple, positive semi-definite, heteroskedasticity and autocorrelation consistent "
         "covariance matrix. Econometrica. 1987;55(3):703–708.", r"Newey[–-]West"),
    Work("newey1994", ("Newey", "West"), "1994",
         "Newey WK, West KD. Automatic lag selection in covariance matrix estimation. Review of Economic Studies. "
         "1994;61(4):631–653."),
    Work("kenward1997", ("Kenward", "Roger"), "1997",
         "Kenward MG, Roger JH. Small sample inference for fixed effects from restricted maximum likelihood. "
         "Biometrics. 1997;53(3):983–997.", r"Kenward[–-]Roger"),
    Work("callaway2021", ("Callaway", "Sant'Anna"), "2021",
         "Callaway B, Sant'Anna PHC. Difference-in-differences with multiple time periods. Journal of "
         "Econometrics. 2021;225(2):200–230.", r"Callaway"),
    Work("cameron2008", ("Cameron", "Gelbach", "Miller"), "2008",
         "Cameron AC, Gelbach JB, Miller DL. Bootstrap-based improvements for inference with clustered errors. "
         "Review of Economics and Statistics. 2008;90(3):414–427.",
         r"vild\w* klusterbootstrap|vill\w* klyngebootstrap|wild cluster bootstrap"),
    Work("webb2023", ("Webb",), "2023",
         "Webb MD. Reworking wild bootstrap-based inference for clustered errors. Canadian Journal of Economics. "
         "2023;56(3):839–858."),
    Work("mackinnon2017", ("MacKinnon", "Webb"), "2017",
         "MacKinnon JG, Webb MD. Wild bootstrap inference for wildly different cluster sizes. Journal of Applied "
         "Econometrics. 2017;32(2):233–254."),
    Work("cohen1960", ("Cohen",), "1960",
         "Cohen J. A coefficient of agreement for nominal scales. Educational and Psychological Measurement. "
         "1960;20(1):37–46.", r"Cohens kappa|Cohen's kappa"),
    Work("fleiss1971", ("Fleiss",), "1971",
         "Fleiss JL. Measuring nominal scale agreement among many raters. Psychological Bulletin. "
         "1971;76(5):378–382.", r"Fleiss(?:'|)s? kappa"),
    Work("krippendorff2004", ("Krippendorff",), "2004",
         "Krippendorff K. Content analysis: an introduction to its methodology. 2nd ed. Thousand Oaks (CA): "
         "Sage; 2004.", r"Krippendorffs? alfa|Krippendorff's alpha"),
    Work("wilson1927", ("Wilson",), "1927",
         "Wilson EB. Probable inference, the law of succession, and statistical inference. Journal of the "
         "American Statistical Association. 1927;22(158):209–212.", r"Wilson"),
    Work("newcombe1998", ("Newcombe",), "1998",
         "Newcombe RG. Interval estimation for the difference between independent proportions: comparison of "
         "eleven methods. Statistics in Medicine. 1998;17(8):873–890.", r"Newcombe"),
    Work("zou2008", ("Zou", "Donner"), "2008",
         "Zou GY, Donner A. Construction of confidence limits about effect measures: a general approach. "
         "Statistics in Medicine. 2008;27(10):1693–1702."),
    Work("cochran1977", ("Cochran",), "1977", "Cochran WG. Sampling techniques. 3rd ed. New York: Wiley; 1977."),
    Work("holm1979", ("Holm",), "1979",
         "Holm S. A simple sequentially rejective multiple test procedure. Scandinavian Journal of Statistics. "
         "1979;6(2):65–70."),
    Work("fischetti2000", ("Fischetti", "Salazar-González"), "2000",
         "Fischetti M, Salazar-González JJ. Models and algorithms for optimizing cell suppression in tabular "
         "data with linear constraints. Journal of the American Statistical Association. 2000;95(451):916–928."),
    Work("damschroder2022", ("Damschroder", "Reardon", "Opra Widerquist", "Lowery"), "2022",
         "Damschroder LJ, Reardon CM, Opra Widerquist MA, Lowery J. The updated Consolidated Framework for "
         "Implementation Research based on user feedback. Implementation Science. 2022;17:75.", r"CFIR"),
    Work("damschroder2013", ("Damschroder", "Lowery"), "2013",
         "Damschroder LJ, Lowery JC. Evaluation of a large-scale weight management program using the "
         "consolidated framework for implementation research (CFIR). Implementation Science. 2013;8:51."),
    Work("glasgow2019", ("Glasgow", "Harden", "Gaglio"), "2019",
         "Glasgow RE, Harden SM, Gaglio B, Rabin B, Smith ML, Porter GC, et al. RE-AIM planning and evaluation "
         "framework: adapting to new science and practice with a 20-year review. Frontiers in Public Health. "
         "2019;7:64.", r"RE-AIM"),
    Work("proctor2011", ("Proctor", "Silmere", "Raghavan"), "2011",
         "Proctor E, Silmere H, Raghavan R, Hovmand P, Aarons G, Bunger A, et al. Outcomes for implementation "
         "research: conceptual distinctions, measurement challenges, and research agenda. Administration and "
         "Policy in Mental Health. 2011;38(2):65–76."),
    Work("proctor2013", ("Proctor", "Powell", "McMillen"), "2013",
         "Proctor EK, Powell BJ, McMillen JC. Implementation strategies: recommendations for specifying and "
         "reporting. Implementation Science. 2013;8:139."),
    Work("powell2015", ("Powell", "Waltz", "Chinman"), "2015",
         "Powell BJ, Waltz TJ, Chinman MJ, Damschroder LJ, Smith JL, Matthieu MM, et al. A refined compilation "
         "of implementation strategies: results from the Expert Recommendations for Implementing Change (ERIC) "
         "project. Implementation Science. 2015;10:21.", r"\bERIC\b"),
    Work("finch2018", ("Finch", "Girling", "May"), "2018",
         "Finch TL, Girling M, May CR, Mair FS, Murray E, Treweek S, et al. Improving the normalization of "
         "complex interventions: part 2 – validation of the NoMAD instrument for assessing implementation work "
         "based on normalization process theory (NPT). BMC Medical Research Methodology. 2018;18:135.",
         r"NoMAD"),
    Work("carroll2007", ("Carroll", "Patterson", "Wood"), "2007",
         "Carroll C, Patterson M, Wood S, Booth A, Rick J, Balain S. A conceptual framework for implementation "
         "fidelity. Implementation Science. 2007;2:40."),
    Work("weiner2017", ("Weiner", "Lewis", "Stanick"), "2017",
         "Weiner BJ, Lewis CC, Stanick C, Powell BJ, Dorsey CN, Clary AS, et al. Psychometric assessment of "
         "three newly developed implementation outcome measures. Implementation Science. 2017;12:108."),
    Work("elo2003", ("Elo", "Leppänen", "Jahkola"), "2003",
         "Elo AL, Leppänen A, Jahkola A. Validity of a single-item measure of stress symptoms. Scandinavian "
         "Journal of Work, Environment & Health. 2003;29(6):444–451."),
)


def cite(work: Work, language: str) -> str:
    """The in-text citation: "Bernal m.fl. 2017", "Newey och West 1987", "Cohen 1960"."""
    a = work.authors
    if len(a) == 1:
        names = a[0]
    else:
        names = f"{a[0]} {_t('and', language)} {a[1]}" if len(a) == 2 else f"{a[0]} {_t('et_al', language)}"
    return f"{names} {work.year}"


def _is_cited(work: Work, text: str) -> bool:
    return bool(work.pattern().search(text))


def cite_methods(sentences: list[str], language: str, already: str = "") -> list[str]:
    """``sentences`` with "(Author year)" after the first mention of each method not cited yet.

    ``already`` is other text of the report: a work it cites is not cited again here.
    """
    out = list(sentences)
    for work in WORKS:
        if work.keyword is None or _is_cited(work, already) or any(_is_cited(work, s) for s in out):
            continue
        for i, sentence in enumerate(out):
            # "NoMAD (Finch m.fl.)": the sentence names the author but no year; give it the year
            named = re.search(rf"\b{re.escape(work.authors[0])}\b(?: m\.fl\.| mfl\.| et al\.)?(?=\))", sentence)
            if named and re.search(work.keyword, sentence):
                out[i] = f"{sentence[:named.end()]} {work.year}{sentence[named.end():]}"
                break
            # cite after the whole word ("Newcombe's", "Kenward–Roger"), never inside a parenthesis (a citation
            # there already); a method named after its authors gets the year only: "Wilson (1927) interval",
            # not "Wilson (Wilson 1927) interval"
            match = next((m for m in re.finditer(rf"(?:{work.keyword})[\w-]*(?:[–-]\w+)*(?:'s)?", sentence)
                          if not _inside_parentheses(sentence, m.start())), None)
            if match:
                citation = work.year if _only_names(match.group(), work) else cite(work, language)
                out[i] = f"{sentence[:match.end()]} ({citation}){sentence[match.end():]}"
                break
    return out


def _only_names(word: str, work: Work) -> bool:
    """Whether ``word`` is the authors' names alone ("Wilson", "Newcombe's", "Newcombes", "Kenward–Roger")."""
    parts = re.split(r"[–-]", re.sub(r"'s$", "", word))
    return all(p in work.authors or (p.endswith("s") and p[:-1] in work.authors) for p in parts)


def _inside_parentheses(text: str, at: int) -> bool:
    """Whether position ``at`` is inside "( … )": a name there is part of a citation already."""
    return text.count("(", 0, at) > text.count(")", 0, at)


def cited(text: str) -> list[Work]:
    """The works ``text`` cites, sorted by first author, year."""
    return sorted((w for w in WORKS if _is_cited(w, text)), key=lambda w: (w.authors[0].lower(), w.year))


def reference_list(text: str) -> list[str]:
    """The reference list of a report whose text is ``text``: one full reference per cited work, sorted."""
    return [w.reference for w in cited(text)]
