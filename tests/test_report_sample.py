"""The sample municipality's report end to end: config -> .docx/.xlsx, as an evaluator gets it."""
from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path
import zipfile

import docx
import openpyxl
import pytest

import evalkit as ek
from evalkit import pipeline
from evalkit.cli import main
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def ibic_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        return pipeline.run(ek.Evaluation.from_toml(SAMPLE / "ibic.toml"))


def text_of(path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_cli_writes_docx_and_xlsx_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "ibic.docx"
    assert main(["report", str(SAMPLE / "ibic.toml"), "--output", str(out)]) == 0
    assert out.exists() and out.with_suffix(".xlsx").exists()
    assert main(["report", str(SAMPLE / "ibic.toml"), "--output", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["report", str(SAMPLE / "ibic.toml"), "--output", str(out), "--force"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ibic.docx", "ibic.xlsx"]  # no temporary leftovers
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # readable like any new file, not 0600


def test_report_structure_and_numbers(ibic_run, tmp_path):
    path = tmp_path / "ibic.docx"
    pipeline.build_report(ibic_run).save(path, xlsx=path.with_suffix(".xlsx"))
    text = text_of(path)
    for heading in ("Sammanfattning", "Bakgrund", "Syfte och frågeställningar", "Metod och material",
                    "Resultat", "Slutsatser", "Bilagor"):
        assert heading in text
    # provenance: the input file's sha256 and row counts
    record = ek.provenance.record_of(ibic_run.tables["decisions"])
    assert record.source.sha256 in text.replace("\n", "")
    assert "21\u202f449" in text or "21 449" in text
    # the level change of processing time, written the Swedish way (decimal comma)
    # with the decimals its own row gets (two significant digits of its interval's half-width)
    from evalkit.analysis._its_text import decimals_for

    effects = ibic_run.results["processing_time"].effects.loc["level_change"]
    d = decimals_for((effects["ci_high"] - effects["ci_low"]) / 2)
    assert f"{effects['estimate']:.{d}f}".replace(".", ",") in text
    # the xlsx appendix holds numbers as numbers
    wb = openpyxl.load_workbook(path.with_suffix(".xlsx"))
    numeric = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, (int, float))]
    assert len(numeric) > 20


def test_same_config_data_and_seed_give_the_same_document(ibic_run, tmp_path):
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    pipeline.build_report(ibic_run).save(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ek.EvalkitWarning)
        again = pipeline.run(ek.Evaluation.from_toml(SAMPLE / "ibic.toml"))
    pipeline.build_report(again).save(b)
    assert text_of(a) == text_of(b)
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.read("word/document.xml") == zb.read("word/document.xml")


@pytest.mark.parametrize("language, heading", [("en", "Summary"), ("nb", "Sammendrag")])
def test_other_languages(ibic_run, tmp_path, language, heading):
    path = tmp_path / f"ibic_{language}.docx"
    pipeline.build_report(ibic_run, language=language).save(path)
    assert heading in text_of(path)


@pytest.mark.slow
def test_sample_report_renders_in_libreoffice(ibic_run, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice/poppler not installed (make test installs them)")
    path = tmp_path / "ibic.docx"
    pipeline.build_report(ibic_run).save(path)
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=240)
    pdf = tmp_path / "ibic.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 5
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert text.strip(), f"page {page} is empty"
    full = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Resultat" in full and "Bilagor" in full


def test_each_analysis_names_its_own_source_files(ibic_run, tmp_path):
    path = tmp_path / "ibic.docx"
    pipeline.build_report(ibic_run).save(path)
    sources = {p.text for p in docx.Document(str(path)).paragraphs if p.text.startswith("Källa:")}
    assert sources == {"Källa: beslut_procapita.csv, egna beräkningar",
                       "Källa: brukarundersokning.csv, egna beräkningar",
                       "Källa: intervjuer.qdpx, egna beräkningar",
                       "Källa: granskning_R1.xlsx, granskning_R2.xlsx, egna beräkningar",
                       "Källa: cfir_bedomning_A.xlsx, cfir_bedomning_B.xlsx, egna beräkningar",
                       "Källa: nomad_personal.csv, egna beräkningar",
                       # the governing-documents section: documents against decisions and interviews
                       "Källa: styrdokument, beslut_procapita.csv, intervjuer.qdpx, egna beräkningar"}


def test_provenance_appendix_lists_every_input_file(ibic_run, tmp_path):
    names = {Path(r.source.path).name for r in pipeline.input_records(ibic_run)}
    assert names == {"beslut_procapita.csv", "brukarundersokning.csv", "brukarundersokning_utskick.csv",
                     "intervjuer.qdpx", "granskning_R1.xlsx", "granskning_R2.xlsx", "nomad_personal.csv",
                     "cfir_bedomning_A.xlsx", "cfir_bedomning_B.xlsx",
                     *(p.name for p in (SAMPLE / "styrdokument").iterdir())}
    path = tmp_path / "ibic.docx"
    pipeline.build_report(ibic_run).save(path)
    text = text_of(path)
    for record in pipeline.input_records(ibic_run):
        assert record.source.sha256 in text.replace("\n", "")
