"""load_survey: built-in codebook, codes and labels, .sav value labels, bad answers."""
import numpy as np
import pandas as pd
import pyreadstat
import pytest

from evalkit.errors import ConfigError, DataError, IdentifierError
from evalkit.io.surveys import Codebook, load_codebook, load_survey
from evalkit.provenance import record_of


def _write(tmp_path, text, name="enkat.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_builtin_codebook_is_used_and_dont_know_kept_as_its_own_answer(tmp_path):
    p = _write(tmp_path, "år;enhet;vem_besvarade;helhet_nojd;hansyn_asikter\n"
                         "2019;Norr;Den äldre själv;Mycket nöjd;Oftast\n"
                         "2019;Norr;Någon annan;Vet inte, ingen åsikt;\n"
                         "2020;Söder;Den äldre med hjälp av någon annan;Ganska missnöjd;Nej, aldrig\n")
    s = load_survey(p)
    r = s.responses
    assert list(r.columns) == ["wave", "unit", "answered_by", "helhet_nojd", "hansyn_asikter"]
    assert r["helhet_nojd"].tolist() == ["Mycket nöjd", "Vet inte, ingen åsikt", "Ganska missnöjd"]
    assert r["answered_by"].tolist() == ["self", "other", "with_help"]
    assert pd.isna(r.loc[3, "hansyn_asikter"])
    assert record_of(r).rows_read == 3 and record_of(r).table == "survey"
    assert s.codebook.overall_item == "helhet_nojd"


def test_numeric_codes_map_through_the_codebook(tmp_path):
    p = _write(tmp_path, "wave,helhet_nojd,vem_besvarade\n2019,1,1\n2019,6,3\n2019,4,2\n")
    r = load_survey(p).responses
    assert r["helhet_nojd"].tolist() == ["Mycket nöjd", "Vet inte, ingen åsikt", "Ganska missnöjd"]
    assert r["answered_by"].tolist() == ["self", "other", "with_help"]


def test_unknown_label_names_item_and_row(tmp_path):
    p = _write(tmp_path, "wave;helhet_nojd\n2019;Mycket nöjd\n2019;Jättenöjd\n")
    with pytest.raises(DataError) as err:
        load_survey(p)
    assert "helhet_nojd" in str(err.value) and "[3]" in str(err.value)
    assert err.value.problems[0].row == 3


def test_out_of_scale_code_names_item_and_row(tmp_path):
    p = _write(tmp_path, "wave,helhet_nojd\n2019,1\n2019,9\n")
    with pytest.raises(DataError, match=r"helhet_nojd.*codes outside the scale.*\[3\]"):
        load_survey(p)


def test_column_missing_from_codebook_is_refused(tmp_path):
    p = _write(tmp_path, "wave;helhet_nojd;fraga_x\n2019;Mycket nöjd;3\n")
    cb = load_codebook("aldreomsorg_hemtjanst")
    with pytest.raises(DataError, match="fraga_x"):
        load_survey(p, codebook=cb)


def test_file_without_codebook_items_needs_a_codebook(tmp_path):
    p = _write(tmp_path, "wave;q1\n2019;Bra\n")
    with pytest.raises(DataError, match="codebook"):
        load_survey(p)


def test_identity_numbers_are_refused(tmp_path):
    p = _write(tmp_path, "id;wave;helhet_nojd\n19640823-3234;2019;Mycket nöjd\n")
    with pytest.raises(IdentifierError):
        load_survey(p)


def test_own_toml_codebook_and_bad_codebooks(tmp_path):
    cb = _write(tmp_path, """
[scales.agree]
labels = ["Helt enig", "Enig", "Uenig", "Helt uenig"]
positive = ["Helt enig", "Enig"]
dont_know = ["Vet ikke"]
[[items]]
item = "medvirkning"
scale = "agree"
text = "Brukeren deltok i å sette mål i individuell plan"
""", "kodebok.toml")
    p = _write(tmp_path, "tidspunkt;medvirkning\nfør;Enig\netter;Vet ikke\n")
    s = load_survey(p, codebook=cb)
    assert s.responses["medvirkning"].tolist() == ["Enig", "Vet ikke"]
    assert s.responses["wave"].tolist() == ["før", "etter"]
    bad = _write(tmp_path, "[scales.x]\nlabels=['a','b']\npositive=['c']\n[[items]]\nitem='q'\nscale='x'\n", "bad.toml")
    with pytest.raises(ConfigError, match="not among its labels"):
        load_codebook(bad)
    with pytest.raises(ConfigError):
        load_codebook(tmp_path / "missing.toml")


def test_sav_written_with_value_labels_round_trips(tmp_path):
    df = pd.DataFrame({"wave": [2019.0, 2019.0, 2019.0], "helhet_nojd": [1.0, 6.0, np.nan]})
    p = tmp_path / "w.sav"
    pyreadstat.write_sav(df, str(p), variable_value_labels={"helhet_nojd": {1.0: "Mycket nöjd",
                         6.0: "Vet inte, ingen åsikt"}}, missing_ranges={"helhet_nojd": [6.0]})
    r = load_survey(p).responses
    assert r["helhet_nojd"].iloc[:2].tolist() == ["Mycket nöjd", "Vet inte, ingen åsikt"]
    assert pd.isna(r["helhet_nojd"].iloc[2])


def test_real_ess_sav_loads_with_labels_and_user_missing_codes(real_dir):
    s = load_survey(real_dir / "spss_sav" / "ess9_ESS9SE.sav")
    assert len(s) == 1539
    sc = s.codebook.items["trstprl"].scale
    assert sc.labels[0] == "No trust at all" and sc.labels[-1] == "Complete trust" and len(sc.labels) == 11
    assert "Don't know" in sc.dont_know
    assert s.user_missing["trstprl"]["values"] == [77.0, 88.0, 99.0]
    counts = s.responses["trstprl"].value_counts()
    assert counts["Don't know"] > 0 and counts.sum() == s.responses["trstprl"].notna().sum()
    assert "lvpntyr" not in s.codebook.items  # a year with labelled missing codes is not an item


def test_real_pallant_sav_loads(real_dir):
    s = load_survey(real_dir / "spss_sav" / "pallant_survey.sav")
    assert len(s) == 439 and "sex" in s.items
