"""CFIR memos and the locked rating form: written → filled by a script → read back, and every way of breaking it."""
from __future__ import annotations

import re
import warnings
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

import evalkit as ek
from evalkit.errors import DataError, DataWarning, IdentifierError
from evalkit.implementation._cfir_form import FIRST_DATA_ROW
from evalkit.implementation._cfir_text import HEADERS, SHEETS
from evalkit.io.codings import ImportReport, finish_tables, stable_guid

G = ek.cfir.construct_guid
A, B = stable_guid("user", "a"), stable_guid("user", "b")
PASSAGES = [  # source no, unit, role, construct, text
    (1, "Norr", "chef", "III.J", "Vi fick avsatt tid för utbildningen, två halvdagar per medarbetare."),
    (2, "Norr", "handläggare", "III.J", "Det fanns pengar till extra bemanning under införandet."),
    (2, "Norr", "handläggare", "III.J.1", "Budgeten räckte till utbildningen."),
    (3, "Söder", "chef", "III.J", "=HYPERLINK(\"http://x\") Vi har ingen tid alls för det här."),
    (4, "Söder", "handläggare", "IV.B", "Jag pratade med Lena Berg om det, ring mig på 070-123 45 67."),
]


def _codings():
    sources, cases, attrs, segs = [], [], [], []
    texts = {}
    for n, unit, role, cid, text in PASSAGES:
        texts.setdefault(n, (unit, role, []))[2].append((cid, text))
    for n, (unit, role, parts) in texts.items():
        sg = stable_guid("src", n)
        body = ""
        for k, (cid, text) in enumerate(parts):
            start = len(body)
            body += text + "\n\n"
            segs.append({"segment_guid": stable_guid("seg", n, k), "selection_guid": stable_guid("sel", n, k),
                         "source_guid": sg, "code_guid": G(cid), "coder": A, "start": start,
                         "end": start + len(text), "text": text, "created": None})
        sources.append({"source_guid": sg, "name": f"Intervju {n}", "kind": "text", "text": body})
        case = stable_guid("case", n)
        cases.append({"case_guid": case, "name": f"IP {n}", "source_guid": sg})
        attrs += [{"owner_guid": case, "owner_kind": "case", "variable": "enhet", "type": "Text", "value": unit},
                  {"owner_guid": case, "owner_kind": "case", "variable": "roll", "type": "Text", "value": role}]
    # coder b coded one passage too: not shown, since coder a coded more
    segs.append({**segs[0], "segment_guid": stable_guid("seg-b"), "coder": B})
    return finish_tables(sources=sources, codes=ek.cfir.codebook("sv").codes, segments=segs, cases=cases,
                         attributes=attrs, users=[{"user_guid": A, "name": "a"}, {"user_guid": B, "name": "b"}],
                         report=ImportReport("t"), path=None, fmt="t", rows_read=len(segs))


def _fill(path, ratings: dict, rationale: str = "Konkreta exempel.", extra=None):
    wb = load_workbook(path)
    ws = wb[SHEETS["sv"]["rating"]]
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        key = (ws.cell(r, 1).value, ws.cell(r, 2).value)
        if key in ratings:
            ws.cell(r, 8).value = ratings[key]
            ws.cell(r, 9).value = rationale
    if extra:
        extra(ws)
    wb.save(path)
    return path


ALL = {("Norr", "III.J"): "+2", ("Norr", "IV.B"): "Saknas", ("Söder", "III.J"): "-1", ("Söder", "IV.B"): "X"}


def test_memos_group_by_unit_mask_names_and_show_roles_only():
    m = ek.cfir.memos(_codings(), language="sv")
    assert list(zip(m["unit"], m["construct"])) == [("Norr", "III.J"), ("Norr", "IV.B"), ("Söder", "III.J"),
                                                    ("Söder", "IV.B")]
    norr = m.iloc[0]
    # the subconstruct passage counts for its construct and is tagged; coder b's duplicate is not shown
    assert (norr["segments"], norr["informants"]) == (3, 2)
    assert "[Handläggare 1 (III.J.1)] Budgeten räckte" in norr["memo"]
    assert norr["memo"].count("Vi fick avsatt tid") == 1
    assert norr["roles"] == "Chef: 1, Handläggare: 1"
    soder_ivb = m.iloc[3]["memo"]
    assert "Lena Berg" not in soder_ivb and "070" not in soder_ivb
    assert "[namn]" in soder_ivb and "[telefon]" in soder_ivb and soder_ivb.startswith("[Handläggare 2]")
    assert m.iloc[1]["segments"] == 0 and m.iloc[1]["memo"] == ""


def test_memos_take_constructs_units_and_say_what_is_missing():
    c = _codings()
    m = ek.cfir.memos(c, constructs=["III.J.1", "Mellanchefer"], units=["Norr"], language="en")
    assert m[["construct", "label", "segments"]].values.tolist() == [["III.J.1", "Funding", 1],
                                                                    ["IV.B", "Mid-level Leaders", 0]]
    with pytest.raises(ek.AnalysisError, match="not a CFIR 2.0 construct"):
        ek.cfir.memos(c, constructs=["III.Z"])
    with pytest.raises(ek.AnalysisError, match="Öster"):
        ek.cfir.memos(c, units=["Öster"])
    with pytest.raises(ek.AnalysisError, match="no unit variable"):
        ek.cfir.memos(finish_tables(sources=c.sources, codes=c.codes, segments=c.segments, report=ImportReport("t"),
                                    path=None, fmt="t", rows_read=len(c.segments)))


def test_form_is_locked_text_only_and_reads_back(tmp_path):
    path = ek.cfir.rating_form(_codings(), tmp_path / "A.xlsx", rater="A", language="sv")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Instruktioner", "CFIR-bedömning", "Listor", "_meta"]
    ws = wb["CFIR-bedömning"]
    assert ws.protection.sheet and wb.security.lockStructure
    assert wb["Listor"].sheet_state == "hidden" and wb["_meta"].sheet_state == "hidden"
    assert [c.value for c in ws[1]] == [HEADERS[k]["sv"] for k in HEADERS]
    assert ws.cell(FIRST_DATA_ROW, 8).protection.locked is False and ws.cell(FIRST_DATA_ROW, 7).protection.locked
    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].formula1 == "'Listor'!$A$1:$A$7" and str(dv[0].sqref) == "H2:H5"
    assert [wb["Listor"].cell(r, 1).value for r in range(1, 8)] == ["+2", "+1", "0", "-1", "-2", "X", "Saknas"]
    # the memo starting with "=" is a string cell, not a formula: no <f> element anywhere in the sheet
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode("utf-8")
    assert "<f>" not in xml and "=HYPERLINK" in xml
    _fill(path, ALL)
    r = ek.cfir.load_ratings(path)
    assert r.columns.tolist() == ["unit", "construct", "label", "rater", "rating", "code", "mixed", "missing",
                                  "rationale", "n_segments", "n_informants", "form", "form_row"]
    assert r["code"].tolist() == ["+2", "missing", "-1", "X"]
    assert r["rating"].tolist()[0] == 2 and pd.isna(r["rating"].tolist()[1]) and r["rating"].tolist()[2] == -1
    assert r["mixed"].tolist() == [False, False, False, True]
    assert r["missing"].tolist() == [False, True, False, False]
    assert (r["rater"] == "A").all() and r["form_row"].tolist() == [2, 3, 4, 5]
    # the load record and meta are JSON-able attrs: the frame can be saved
    assert ek.provenance.record_of(r).rows_kept == 4
    r.to_parquet(tmp_path / "r.parquet")
    assert pd.read_parquet(tmp_path / "r.parquet")["code"].tolist() == ["+2", "missing", "-1", "X"]


def test_numbers_and_unicode_minus_from_excel_are_read(tmp_path):
    path = ek.cfir.rating_form(_codings(), tmp_path / "A.xlsx", rater="A")
    _fill(path, {("Norr", "III.J"): 2, ("Norr", "IV.B"): "saknas", ("Söder", "III.J"): "−1",
                 ("Söder", "IV.B"): -2.0})
    with pytest.warns(DataWarning, match=r"-2 rests on 1 informant"):
        r = ek.cfir.load_ratings(path)
    assert r["rating"].astype("Float64").tolist()[::2] == [2, -1]
    assert r["rating"].iloc[3] == -2 and r["missing"].iloc[1]


def test_two_raters_and_plausibility_checks(tmp_path):
    c = _codings()
    a = _fill(ek.cfir.rating_form(c, tmp_path / "A.xlsx", rater="A"), ALL)
    b = _fill(ek.cfir.rating_form(c, tmp_path / "B.xlsx", rater="B"),
              {**ALL, ("Norr", "III.J"): "Saknas", ("Söder", "IV.B"): "+2"})
    with pytest.warns(DataWarning) as caught:
        r = ek.cfir.load_ratings([a, b])
    assert len(r) == 8 and sorted(r["rater"].unique()) == ["A", "B"]
    checks = ek.cfir.rating_checks(r)
    assert pd.DataFrame(r.attrs["checks"]).equals(checks)
    assert sorted(checks["check"].str.split(" ").str[0]) == ["+2", "rated"]
    assert "3 passage(s)" in checks.loc[checks["form"] == "B.xlsx", "check"].iloc[0]
    assert "B.xlsx row" in str(caught[0].message)
    record = ek.provenance.record_of(r)
    assert (record.rows_read, record.rows_kept) == (8, 8) and any(n.startswith("B.xlsx") for n in record.notes)
    with pytest.raises(DataError, match="rater id"):
        ek.cfir.load_ratings([a, a])


def _problems(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def test_edited_memo_moved_rows_and_bad_ratings_are_refused(tmp_path):
    path = ek.cfir.rating_form(_codings(), tmp_path / "A.xlsx", rater="A")

    def vandal(ws):
        ws.cell(2, 7).value = ws.cell(2, 7).value + " (förtydligat)"   # memo edited
        ws.cell(4, 2).value = "III.K"                                   # construct changed
        ws.cell(3, 8).value = "+3"                                      # off the scale
        ws.cell(5, 8).value = None                                      # blank
        ws.cell(2, 12).value = "anteckning"                             # outside the form

    _fill(path, ALL, extra=vandal)
    with pytest.raises(DataError) as exc:
        ek.cfir.load_ratings(path)
    problems = _problems(exc)
    assert any("row 2, column 'G (Underlag (maskerade citat))'" in p and "edited" in p for p in problems)
    assert any("row 4" in p and "III.K" in p for p in problems)
    assert any("row 3, column 'H (Bedömning)'" in p and "'+3'" in p for p in problems)
    assert any("row 5" in p and "no rating" in p for p in problems)
    assert any("row 2, column 'L'" in p and "outside" in p for p in problems)
    assert any("1 row(s) of the form are missing" in p and "Söder × III.J" in p for p in problems)
    assert all("A.xlsx" in p and "sheet 'CFIR-bedömning'" in p for p in problems)


def test_blank_allowed_on_request_and_copied_rows_refused(tmp_path):
    c = _codings()
    path = _fill(ek.cfir.rating_form(c, tmp_path / "A.xlsx", rater="A"), {("Norr", "III.J"): "+1"})
    with pytest.warns(DataWarning, match="left blank although 1 passage"):
        r = ek.cfir.load_ratings(path, allow_blank=True)
    assert r["missing"].tolist() == [False, True, True, True] and r["rating"].notna().sum() == 1
    assert r["code"].tolist() == ["+1", "blank", "blank", "blank"]

    def copy_row(ws):
        for col in range(1, 10):
            ws.cell(6, col).value = ws.cell(2, col).value

    path2 = _fill(ek.cfir.rating_form(c, tmp_path / "B.xlsx", rater="B"), ALL, extra=copy_row)
    with pytest.raises(DataError) as exc:
        ek.cfir.load_ratings(path2)
    assert any("row 6" in p and "appears again (first in row 2" in p for p in _problems(exc))


def test_meta_sheet_and_identity_numbers(tmp_path):
    c = _codings()
    path = _fill(ek.cfir.rating_form(c, tmp_path / "A.xlsx", rater="A"), ALL,
                 rationale="Se ärende 19121212-1212.")
    with pytest.raises(IdentifierError) as exc:
        ek.cfir.load_ratings(path)
    assert "1212" not in str(exc.value)
    path2 = ek.cfir.rating_form(c, tmp_path / "B.xlsx", rater="B")
    wb = load_workbook(path2)
    wb["_meta"]["B10"] = "99"  # rows
    wb.save(path2)
    with pytest.raises(DataError, match="was edited"):
        ek.cfir.load_ratings(path2)
    other = tmp_path / "other.xlsx"
    ek.audit.form(ek.audit.draw(pd.DataFrame({"decision_id": [f"d{i}" for i in range(9)], "unit": ["N"] * 9}), 3,
                                seed=1), "ibic", other)
    with pytest.raises(DataError, match="not a CFIR rating form"):
        ek.cfir.load_ratings(other)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_forms_in_other_languages_read_back(tmp_path, language):
    path = ek.cfir.rating_form(_codings(), tmp_path / "f.xlsx", rater="1", language=language)
    wb = load_workbook(path)
    ws = wb[SHEETS[language]["rating"]]
    missing = {"nb": "Mangler", "en": "Missing"}[language]
    for r in range(2, 6):
        ws.cell(r, 8).value = missing if r == 3 else "0"
    wb.save(path)
    out = ek.cfir.load_ratings(path)
    assert out["missing"].tolist() == [False, True, False, False]
    assert re.search(r"Available Resources|Tilgjengelige ressurser", out["label"].iloc[0])


def test_parse_rating_refuses_what_is_not_on_the_scale():
    parse = ek.cfir.parse_rating
    assert [parse(v)[1] for v in ("+3", "1.5", 2.5, True, "yes", "--1")] == [False] * 6
    assert [parse(v)[0] for v in ("2", "+2", " -2 ", "0", 0, "X", "Mangler", "missing")] == \
        ["+2", "+2", "-2", "0", "0", "X", "missing", "missing"]


def test_identity_numbers_never_reach_a_form(tmp_path):
    c = _codings()
    memo = ek.cfir.memos(c)
    memo.loc[0, "roles"] = "Chef 19121212-1212"
    with pytest.raises(IdentifierError):
        ek.cfir.rating_form(None, tmp_path / "x.xlsx", memo_table=memo)
    assert not (tmp_path / "x.xlsx").exists()


def test_no_cfir_codes_is_a_clear_error():
    c = _codings()
    plain = finish_tables(sources=c.sources, codes=c.codes.assign(code_guid=[stable_guid("x", i) for i in
                                                                             range(len(c.codes))], name="tema"),
                          segments=c.segments.iloc[0:0], report=ImportReport("t"), path=None, fmt="t", rows_read=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ek.AnalysisError, match="no CFIR 2.0 codes"):
            ek.cfir.memos(plain)


def test_codings_without_passages_and_domain_codes():
    c = _codings()
    none = finish_tables(sources=c.sources, codes=c.codes, segments=c.segments.iloc[0:0], cases=c.cases,
                         attributes=c.attributes, report=ImportReport("t"), path=None, fmt="t", rows_read=0)
    m = ek.cfir.memos(none, constructs=["III.J"])
    assert m["segments"].tolist() == [0, 0] and m["unit"].tolist() == ["Norr", "Söder"]
    with pytest.raises(ek.AnalysisError, match="no unit × construct rows"):
        ek.cfir.rating_form(none, "never.xlsx")
    # a passage coded on a domain ("III Inre kontext") is not a construct row
    seg = c.segments.copy()
    seg.loc[0, "code_guid"] = G("III")
    dom = finish_tables(sources=c.sources, codes=c.codes, segments=seg, cases=c.cases, attributes=c.attributes,
                        users=c.users, report=ImportReport("t"), path=None, fmt="t", rows_read=len(seg))
    m2 = ek.cfir.memos(dom)
    assert "III" not in set(m2["construct"]) and m2.set_index(["unit", "construct"]).loc[("Norr", "III.J"),
                                                                                          "segments"] == 2


def test_context_text_that_looks_like_a_formula_stays_text_and_reads_back(tmp_path):
    memo = ek.cfir.memos(_codings())
    memo.loc[0, "memo"] = "=SUM(1,2)"
    memo.loc[1, "roles"] = "+46 Chef: 1"
    memo.loc[2, "label"] = "@Tillgängliga resurser"
    path = ek.cfir.rating_form(None, tmp_path / "f.xlsx", memo_table=memo, rater="A")
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet2.xml").decode("utf-8")
    ws = load_workbook(path)["CFIR-bedömning"]
    assert ws.cell(2, 7).value == "=SUM(1,2)" and ws.cell(2, 7).data_type == "s" and ws.cell(2, 7).quotePrefix
    assert ws.cell(3, 6).quotePrefix and ws.cell(4, 3).quotePrefix
    _fill(path, ALL)
    r = ek.cfir.load_ratings(path)   # the hashes match what was written
    assert r["label"].iloc[2] == "@Tillgängliga resurser"
