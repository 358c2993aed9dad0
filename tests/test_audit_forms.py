"""Audit forms: structure, a reviewer filling it with openpyxl, re-validation on read-back."""
from __future__ import annotations

import hashlib
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import evalkit.audit as audit
from evalkit.audit.forms import FIRST_DATA_ROW
from evalkit.errors import DataError, IdentifierError

ANSWERS_SV = ["Ja", "Delvis", "Nej", "Ej tillämpligt"]
CONTEXT_COLS = 4  # id, unit, date, service
N_ITEMS = 20


def make_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({
        "decision_id": [f"b{i:05d}" for i in range(n)],
        "person_id": [f"p{i:04d}" for i in range(n)],
        "unit": rng.choice(["Nord", "Syd"], n),
        "decided_on": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
        "service": rng.choice(["hemtjänst", "trygghetslarm"], n),
        "case_officer_id": [f"h{i % 7}" for i in range(n)],
    })
    f["period"] = np.where(f["decided_on"] < "2023-01-01", "before", "after")
    return f


@pytest.fixture
def sample():
    return audit.draw(make_frame(), 12, strata="period", seed=3)


def fill(path, out, answer=lambda r, c: "Ja", comment=None, sheet="Granskning"):
    """Fill the answer cells as a reviewer would: only the unlocked cells, nothing else."""
    wb = load_workbook(path)
    ws = wb[sheet]
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        for c in range(CONTEXT_COLS + 1, CONTEXT_COLS + N_ITEMS + 1):
            ws.cell(r, c).value = answer(r, c)
        if comment:
            ws.cell(r, CONTEXT_COLS + N_ITEMS + 1).value = comment(r)
    wb.save(out)
    return out


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- structure
def test_form_structure(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Instruktioner", "Granskning", "Listor", "_meta"]
    assert wb["Listor"].sheet_state == "hidden" and wb["_meta"].sheet_state == "hidden"
    assert [wb["Listor"].cell(r, 1).value for r in range(1, 5)] == ANSWERS_SV
    ws = wb["Granskning"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Beslut-id", "Enhet", "Beslutsdatum", "Insats"]
    assert header[4:24] == audit.load_checklist("ibic").item_ids and header[24] == "Kommentar"
    # No personal data: person ids and case officers are not in the form.
    values = {str(c.value) for row in ws.iter_rows() for c in row}
    assert not any(v.startswith(("p0", "h")) and v[1:].isdigit() for v in values)
    assert [ws.cell(r, 1).value for r in range(3, 3 + 12)] == sample.ids
    # Protection: sheet locked, answer + comment cells unlocked, context cells locked.
    assert ws.protection.sheet and wb["Instruktioner"].protection.sheet and wb.security.lockStructure
    assert ws.cell(3, 1).protection.locked and ws.cell(1, 5).protection.locked
    assert not ws.cell(3, 5).protection.locked and not ws.cell(14, 25).protection.locked
    # Dropdown from the hidden list sheet (no inline list → no 255-char limit), arrow shown.
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == "'Listor'!$A$1:$A$4"
    assert not dv.showDropDown and dv.showErrorMessage
    assert str(dv.sqref) == "E3:X14"
    meta = {r[0].value: r[1].value for r in wb["_meta"].iter_rows(max_col=2) if r[0].value}
    assert meta["manifest_sha256"] == sample.manifest_sha256
    assert meta["checklist"] == "ibic" and meta["reviewer"] == "1" and meta["language"] == "sv"
    assert json.loads(meta["columns"])[0] == "decision_id"


@pytest.mark.parametrize("language, sheet, labels", [
    ("nb", "Gjennomgang", ["Ja", "Delvis", "Nei", "Ikke aktuelt"]),
    ("en", "Review", ["Yes", "Partly", "No", "Not applicable"]),
])
def test_languages(tmp_path, sample, language, sheet, labels):
    path = audit.form(sample, "individuell_plan", tmp_path / "f.xlsx", language=language)
    wb = load_workbook(path)
    lists = wb.sheetnames[2]
    assert [wb[lists].cell(r, 1).value for r in range(1, 5)] == labels
    assert wb[sheet].cell(1, 5).value == "IP1"


def test_builtin_checklists_have_all_languages_and_expected_items():
    ibic = audit.load_checklist("ibic")
    plan = audit.load_checklist("genomforandeplan")
    ip = audit.load_checklist("individuell_plan")
    assert ibic.item_ids == ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "B1", "B2", "B3", "B4", "C1",
                             "D1", "D2", "D3", "D4", "E1", "E2", "E3"]
    assert len(plan.items) == 11  # Botkyrka §2.8.1
    assert [i.id for i in ip.items if i.stage == "S"] == [f"IP{k}" for k in range(1, 10)]  # § 19 items 1-9
    for cl in (ibic, plan, ip):
        assert cl.languages == ["sv", "nb", "en"]


def test_identity_numbers_never_reach_a_form(tmp_path):
    f = make_frame()
    f.loc[:, "unit"] = "19121212-1212"  # Skatteverket's test personnummer (valid check digit)
    s = audit.draw(f, 5, seed=1)
    with pytest.raises(IdentifierError):
        audit.form(s, "ibic", tmp_path / "f.xlsx")
    assert not (tmp_path / "f.xlsx").exists()


# ----------------------------------------------------------------------------- round trip
def test_fill_read_back(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    filled = fill(path, tmp_path / "filled.xlsx", answer=lambda r, c: ANSWERS_SV[(r + c) % 4],
                  comment=lambda r: "saknar datum" if r == 4 else None)
    before = sha(filled)
    got = audit.load_audit(filled, sample)
    assert sha(filled) == before  # read, never re-saved
    assert len(got) == 12 * N_ITEMS
    assert list(got.columns) == ["decision_id", "reviewer", "item", "stage", "answer", "answer_label",
                                 "comment", "form_row"]
    first = got[(got["form_row"] == 3) & (got["item"] == "A1")].iloc[0]
    assert first["answer_label"] == ANSWERS_SV[(3 + 5) % 4]
    assert first["answer"] == ["yes", "partly", "no", "na"][(3 + 5) % 4]
    assert first["decision_id"] == sample.ids[0]
    assert set(got.loc[got["form_row"] == 4, "comment"]) == {"saknar datum"}
    assert got.attrs["evalkit_audit_meta"]["checklist"] == "ibic"
    assert audit.load(filled).equals(got)  # without the sample too


def test_answers_are_matched_case_and_space_insensitively(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    filled = fill(path, tmp_path / "filled.xlsx", answer=lambda r, c: " ej TILLÄMPLIGT ")
    assert set(audit.load_audit(filled, sample)["answer"]) == {"na"}


def test_reordered_rows_are_accepted(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    wb = load_workbook(path)
    ws = wb["Granskning"]
    a, b = [[c.value for c in ws[r]] for r in (3, 4)]
    for c, v in enumerate(b, start=1):
        ws.cell(3, c).value = v
    for c, v in enumerate(a, start=1):
        ws.cell(4, c).value = v
    wb.save(tmp_path / "swapped.xlsx")
    filled = fill(tmp_path / "swapped.xlsx", tmp_path / "filled.xlsx")
    got = audit.load_audit(filled, sample)
    assert got.loc[got["form_row"] == 3, "decision_id"].iloc[0] == sample.ids[1]


# ----------------------------------------------------------------------------- refusals
def problems_of(path, sample, **kw):
    with pytest.raises(DataError) as e:
        audit.load_audit(path, sample, **kw)
    return e.value


def test_answer_outside_list_and_unanswered_items_are_named_by_cell(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")

    def answer(r, c):
        if (r, c) == (5, 6):
            return "Kanske"
        if (r, c) == (7, 9):
            return None
        return "Nej"

    err = problems_of(fill(path, tmp_path / "bad.xlsx", answer=answer), sample)
    text = str(err)
    assert "sheet 'Granskning'" in text
    assert "cell F5: 'Kanske' is not one of Ja, Delvis, Nej, Ej tillämpligt" in text
    assert "cell I7: item A5 is not answered" in text
    assert len(err.problems) == 2
    # With allow_unanswered the empty cell is kept as missing; the invalid one still fails.
    ok = fill(path, tmp_path / "gap.xlsx", answer=lambda r, c: None if (r, c) == (7, 9) else "Ja")
    got = audit.load_audit(ok, sample, allow_unanswered=True)
    assert got["answer"].isna().sum() == 1


def test_rows_added_removed_and_ids_changed(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    wb = load_workbook(path)
    ws = wb["Granskning"]
    ws.cell(4, 1).value = "b99999"  # id changed
    ws.cell(15, 1).value = sample.ids[0]  # a copied row added at the end
    wb.save(tmp_path / "edited.xlsx")
    text = str(problems_of(fill(tmp_path / "edited.xlsx", tmp_path / "filled.xlsx"), sample))
    assert "cell A4: decision id 'b99999' is not one of the form's decisions" in text
    assert f"the form had '{sample.ids[1]}' here" in text
    assert "appears 2 times" in text
    assert "1 decision(s) of the form are missing" in text

    wb = load_workbook(path)
    wb["Granskning"].delete_rows(6)
    wb.save(tmp_path / "deleted.xlsx")
    text = str(problems_of(fill(tmp_path / "deleted.xlsx", tmp_path / "filled2.xlsx"), sample))
    assert sample.ids[3] in text and "missing" in text


def test_form_from_another_sample_is_refused(tmp_path, sample):
    other = audit.draw(make_frame(), 12, strata="period", seed=4)
    path = audit.form(other, "ibic", tmp_path / "form.xlsx")
    filled = fill(path, tmp_path / "filled.xlsx")
    assert "belongs to another sample" in str(problems_of(filled, sample))


def test_header_changes_and_writing_outside_the_form(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    wb = load_workbook(path)
    wb["Granskning"].cell(1, 6).value = "A2 (ändrad)"
    wb.save(tmp_path / "h.xlsx")
    assert "cell F1: header should be 'A2'" in str(problems_of(fill(tmp_path / "h.xlsx", tmp_path / "f.xlsx"),
                                                                sample))
    filled = fill(path, tmp_path / "f2.xlsx")
    wb = load_workbook(filled)
    wb["Granskning"].cell(5, 30).value = "extra note"
    wb.save(tmp_path / "f3.xlsx")
    assert "cell AD5: something was written outside the form" in str(problems_of(tmp_path / "f3.xlsx", sample))


def test_not_a_form(tmp_path, sample):
    bad = tmp_path / "x.xlsx"
    bad.write_text("hello")
    assert "not an .xlsx workbook" in str(problems_of(bad, sample))
    from openpyxl import Workbook

    Workbook().save(tmp_path / "plain.xlsx")
    assert "no '_meta' sheet" in str(problems_of(tmp_path / "plain.xlsx", sample))
    assert "not found" in str(problems_of(tmp_path / "missing.xlsx", sample))


def test_identity_number_in_a_comment_is_refused(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    filled = fill(path, tmp_path / "filled.xlsx", comment=lambda r: "se 19121212-1212" if r == 6 else None)
    with pytest.raises(IdentifierError) as e:
        audit.load_audit(filled, sample)
    assert "1212" not in str(e.value)


def test_custom_checklist(tmp_path, sample):
    toml = tmp_path / "mine.toml"
    toml.write_text('name = "mine"\nversion = "2"\n[[stages]]\nid = "X"\nsv = "Allt"\n'
                    '[[items]]\nid = "Q1"\nstage = "X"\nsv = "Finns beslutet?"\n'
                    '[[items]]\nid = "Q2"\nstage = "X"\nsv = "Finns planen?"\n', encoding="utf-8")
    path = audit.form(sample, toml, tmp_path / "form.xlsx")
    wb = load_workbook(path)
    ws = wb["Granskning"]
    for r in range(3, 15):
        ws.cell(r, 5).value, ws.cell(r, 6).value = "Ja", "Nej"
    wb.save(tmp_path / "filled.xlsx")
    assert "pass checklist=" in str(problems_of(tmp_path / "filled.xlsx", sample))
    got = audit.load_audit(tmp_path / "filled.xlsx", sample, checklist=toml)
    assert got.groupby("item")["answer"].first().to_dict() == {"Q1": "yes", "Q2": "no"}
    toml.write_text(toml.read_text("utf-8").replace("Finns planen?", "Finns en plan?"), encoding="utf-8")
    assert "content differs" in str(problems_of(tmp_path / "filled.xlsx", sample, checklist=toml))
    with pytest.raises(Exception, match="no text in 'en'"):
        audit.form(sample, toml, tmp_path / "en.xlsx", language="en")


def test_double_review_forms_are_identical_but_for_the_reviewer(tmp_path, sample):
    a = audit.form(sample, "ibic", tmp_path / "a.xlsx", reviewer="R1")
    b = audit.form(sample, "ibic", tmp_path / "b.xlsx", reviewer="R2")
    ra = [[c.value for c in row] for row in load_workbook(a)["Granskning"].iter_rows()]
    rb = [[c.value for c in row] for row in load_workbook(b)["Granskning"].iter_rows()]
    assert ra == rb
    got = pd.concat([audit.load_audit(fill(a, tmp_path / "fa.xlsx"), sample, allow_unanswered=False),
                     audit.load_audit(fill(b, tmp_path / "fb.xlsx"), sample)])
    assert sorted(got["reviewer"].unique()) == ["R1", "R2"]


def test_extension_round_forms(tmp_path):
    f = make_frame()
    first = audit.draw(f, 8, seed=2)
    bigger = audit.extend(first, f, 4)
    old = fill(audit.form(first, "ibic", tmp_path / "r1.xlsx"), tmp_path / "r1f.xlsx")
    new = fill(audit.form(bigger.new_cases(), "ibic", tmp_path / "r2.xlsx"), tmp_path / "r2f.xlsx")
    both = pd.concat([audit.load_audit(old, bigger), audit.load_audit(new, bigger)])
    assert both["decision_id"].nunique() == 12
    # The round-2 form does not belong to the first sample.
    assert "belongs to another sample" in str(problems_of(new, first))


def test_written_file_is_a_valid_zip_with_no_temp_leftovers(tmp_path, sample):
    path = audit.form(sample, "ibic", tmp_path / "form.xlsx")
    assert zipfile.is_zipfile(path)
    assert [p.name for p in tmp_path.iterdir()] == ["form.xlsx"]


@pytest.mark.parametrize("text, message", [
    ('version = "1"\n[[stages]]\nid = "X"\nsv = "x"\n[[items]]\nid = "Q"\nstage = "X"\nsv = "q"\n', "'name'"),
    ('name = "m"\n[[stages]]\nid = "X"\nsv = "x"\n[[items]]\nid = "Q"\nstage = "Y"\nsv = "q"\n',
     r"items\[0\].stage 'Y'"),
    ('name = "m"\n[[stages]]\nid = "X"\nsv = "x"\n[[items]]\nid = "Q"\nstage = "X"\nsv = "q"\n'
     '[[items]]\nid = "Q"\nstage = "X"\nsv = "r"\n', "used twice"),
    ('name = "m"\n[[stages]]\nid = "X"\nsv = "x"\n[[items]]\nid = "Q"\nstage = "X"\n', "has no text"),
    ("name = ", "not valid TOML"),
])
def test_bad_checklist_files_name_the_key(tmp_path, text, message):
    from evalkit.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        audit.load_checklist(path)
    with pytest.raises(ConfigError, match="neither a built-in"):
        audit.load_checklist("ibicc")
