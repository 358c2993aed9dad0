"""Planted identity numbers: every place a file or a config carries text, every way people write a number.

Valid numbers of all six kinds are generated here from the published rules
(domain.md §3: Luhn for Swedish personnummer and samordningsnummer (day + 60),
the two mod-11 controls for Norwegian fødselsnummer, D-numbers (day + 40),
H-numbers (month + 40) and synthetic Tenor numbers (month + 80)), checked by
the reference implementation of ``test_privacy.py``, and planted one per file
(or config) at one place in one written form. Every one must be refused with an
IdentifierError, and no message or warning may show its digits.

``CORPUS`` counts what the tests plant; ``test_corpus_size`` states the total.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.errors import IdentifierError
from evalkit.privacy import classify_number
from tests.test_privacy import no_with_checks, reference_no, reference_se10, se_check

SE_KINDS = ("personnummer", "samordningsnummer")
NO_KINDS = ("fødselsnummer", "D-nummer", "H-nummer", "syntetisk (Tenor)")
KINDS = SE_KINDS + NO_KINDS

CLEAN = (
    "Beslutsid;Brukare;Enhet;Ansökningsdatum;Beslutsdatum;Verkställighetsdatum;Avslutsdatum;"
    "Uppföljningsdatum;Beslut;Insats;Beviljade timmar/mån\n"
    "B1;P1;Norr;2023-01-02;2023-01-20;2023-02-01;;2023-08-01;Bifall;Hemtjänst;12,5\n"
    "B2;P2;Söder;5.1.2023;20230125;;;;Avslag;Hemtjänst;\n"
    "B3;P1;Norr;2023-03-01;2023-03-10;2023-03-15;2023-12-31;;Delvis bifall;Trygghetslarm;41:30\n"
)

#: (place, written form, kind) → numbers planted; filled as the tests run
CORPUS: dict[tuple[str, str, str], int] = {}
OUTSIDE = "rows outside the table"
WITHHELD = "(file name withheld: it holds an identity number): "
#: where the refusal must say the number is (first matching place prefix)
EXPECTED_PLACE = {
    "csv preamble": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 1)",
    "csv second title row": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 2)",
    "csv footnote": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 6)",
    "csv source line": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 5)",
    "csv skipped row": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 3)",
    "csv data cell": "column 'enhet': ",
    "csv header cell": "column 'column 3 (name withheld)': the column name is a ",
    "csv repeated header row": "column 'enhet': ",
    "decisions csv preamble (in memory)": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 1)",
    "decisions csv preamble (register)": "in the title rows above the header (line 1)",
    "decisions csv footnote": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 6)",
    "file name": WITHHELD,
    "folder name": WITHHELD,
    "csv numeric column": "column 'nr': ",
    "excel number cell": "column 'nr': ",
    "parquet numeric column": "column 'nr': ",
    "excel sheet name": "in the name of sheet 2",
    "excel second sheet": "sheet 'Noter', column 'B': ",
    "excel cell comment": "in cell comments",
    "excel title property": "in the document properties",
    "excel keywords property": "in the document properties",
    "excel custom property": "in the document properties",
    "excel defined name": "in the workbook (sheet names, defined names)",
    "excel merged title row": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 1)",
    "excel page footer": "in a sheet's formulas, headers/footers or links",
    "excel footnote below the table": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 7)",
    "excel formula with cached text": "sheet 'Data', column 'unnamed_4': ",
    "decisions xlsx cell comment": "in cell comments",
    "spss value label": "in the value labels of variable 1",
    "spss variable label": "in the label of variable 1",
    "spss file label": "in the file label",
    "spss notes": "in notes line 1",
    "parquet schema metadata": "in the schema metadata",
    "parquet field metadata": "in the metadata of column 2",
    "parquet column name": "in the name of column 3",
    "parquet partition column name": "in the name of column",
    "parquet partition metadata": "in the schema metadata",
    "mailing list cell": "column 'unit': ",
    "mailing list preamble": f"{OUTSIDE} (title rows, header, footnotes, skipped rows) (row 1)",
    "mailing list frame": "the questionnaires-sent table, column 'unit': ",
    "codebook item text": "in items[0].text",
    "codebook file name": WITHHELD,
    "audit comment": "sheet 'Granskning', column 'Y': ",
    "audit answer cell": "sheet 'Granskning', column 'G': ",
    "audit header cell": "sheet 'Granskning', column 'F': ",
    "audit reviewer field": "sheet '_meta', column 'B': ",
    "config title": "in evaluation.title",
    "config purpose": "in evaluation.purpose",
    "config question": "in evaluation.questions[1]",
    "config change": "in change.name",
    "config description": "in change.description",
    "config unit": "in change.units[1]",
    "config analysis": "in analyses[0].title",
    "config report": "in report.name",
    "config file name": WITHHELD,
    "mapping column name": "in a key of columns",
    "mapping value spelling": "in a key of values.outcome",
    "mapping file name": WITHHELD,
    "mapping as a dict": "in a key of values.outcome",
}


# ----------------------------------------------------------------------------- valid numbers
def _days(year: int, month: int) -> int:
    return ((dt.date(year + month // 12, month % 12 + 1, 1)) - dt.date(year, month, 1)).days


def se_number(rng, kind: str, year: int | None = None, month: int | None = None) -> str:
    """A valid 12-digit Swedish number (CCYYMMDDNNNC) of ``kind``."""
    y = int(year if year is not None else rng.integers(1900, 2010))
    m = int(month if month is not None else rng.integers(1, 13))
    d = int(rng.integers(1, _days(y, m) + 1))
    n = int(rng.integers(1, 1000))
    first9 = f"{y % 100:02d}{m:02d}{d + (60 if kind == 'samordningsnummer' else 0):02d}{n:03d}"
    number = f"{y // 100}{first9}{se_check(first9)}"
    assert reference_se10(number[2:])
    return number


def no_number(rng, kind: str, day_below_10: bool = False) -> str:
    """A valid 11-digit Norwegian number (DDMMYYIIIKK) of ``kind``."""
    while True:
        y = int(rng.integers(1900, 2040))
        ind = int(rng.integers(0, 500)) if y < 2000 else int(rng.integers(500, 1000))
        m = int(rng.integers(1, 13))
        d = int(rng.integers(1, 10 if day_below_10 else _days(y, m) + 1))
        dd = d + 40 if kind == "D-nummer" else d
        mm = m + 40 if kind == "H-nummer" else m + 80 if kind == "syntetisk (Tenor)" else m
        try:
            number = no_with_checks(f"{dd:02d}{mm:02d}{y % 100:02d}{ind:03d}")
        except AssertionError:  # K1 or K2 would be 10: no number with this base
            continue
        assert reference_no(number)
        return number


def _seed(text: str) -> int:
    return zlib.crc32(text.encode())


def number_of(rng, kind: str) -> str:
    return se_number(rng, kind) if kind in SE_KINDS else no_number(rng, kind)


# ----------------------------------------------------------------------------- written forms
FULL = str.maketrans("0123456789-", "０１２３４５６７８９－")

SE_FORMS = {
    "YYMMDD-NNNC": lambda s: f"{s[2:8]}-{s[8:]}",
    "CCYYMMDD-NNNC": lambda s: f"{s[:8]}-{s[8:]}",
    "CCYYMMDDNNNC": lambda s: s,
    "en dash": lambda s: f"{s[2:8]}\u2013{s[8:]}",
    "no-break space": lambda s: f"{s[2:8]}\u00a0{s[8:]}",
    "non-breaking hyphen": lambda s: f"{s[:8]}\u2011{s[8:]}",
    "spaced dash": lambda s: f"{s[2:8]} - {s[8:]}",
    "full-width": lambda s: f"{s[:8]}-{s[8:]}".translate(FULL),
    "century apart": lambda s: f"{s[:2]} {s[2:8]}-{s[8:]}",
    "soft hyphen inside": lambda s: f"{s[2:8]}\u00ad-{s[8:]}",
}
NO_FORMS = {
    "DDMMYYIIIKK": lambda s: s,
    "DDMMYY IIIKK": lambda s: f"{s[:6]} {s[6:]}",
    "no-break space": lambda s: f"{s[:6]}\u00a0{s[6:]}",
    "en dash": lambda s: f"{s[:6]}\u2013{s[6:]}",
    "spaced dash": lambda s: f"{s[:6]} - {s[6:]}",
    "full-width": lambda s: s.translate(FULL),
    "minus sign": lambda s: f"{s[:6]}\u2212{s[6:]}",
}


def forms_of(kind: str) -> dict:
    return SE_FORMS if kind in SE_KINDS else NO_FORMS


def plants(seed: int, *, forms: int | None = None):
    """(kind, form name, digits, written) for every kind and (the first ``forms``) written forms."""
    rng = np.random.default_rng(seed)
    for kind in KINDS:
        for name, write in list(forms_of(kind).items())[:forms]:
            digits = number_of(rng, kind)
            assert classify_number(digits) == kind  # the generator makes what it says
            yield kind, name, digits, write(digits)


# ----------------------------------------------------------------------------- the check
def _all_digits(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.digit(c)) for c in folded if c.isdigit())


def _echoes(text: str, digits: str) -> bool:
    found = _all_digits(text)
    tail = digits[-10:] if len(digits) == 12 else digits
    return digits in found or tail in found


def refused(place: str, kind: str, form: str, digits: str, load) -> None:
    """``load()`` raises IdentifierError; neither it nor any warning shows ``digits``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            load()
        except IdentifierError as exc:
            message = str(exc)
        else:
            pytest.fail(f"{place} / {form} / {kind}: a valid number passed")
    assert not _echoes(message, digits), f"{place} / {form}: the number is echoed: {message}"
    for w in caught:
        assert not _echoes(str(w.message), digits), f"{place} / {form}: a warning echoes the number"
    key = (place, form, kind)
    CORPUS[key] = CORPUS.get(key, 0) + 1
    expected = next((e for prefix, e in EXPECTED_PLACE.items() if place.startswith(prefix)), None)
    assert expected is not None and expected in message, f"{place}: refused, but not for the planted place: {message}"


# ----------------------------------------------------------------------------- text files
def _csv(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


TABLE = "id;enhet;antal\n1;Norr;3\n2;Söder;4\n3;Öst;5\n"

CSV_PLACES = {
    "csv preamble": lambda v: (f"Sammanställning {v}\n\n{TABLE}", {}),
    "csv second title row": lambda v: (f"Beslut 2023\nUrval: brukare {v}\n{TABLE}", {}),
    "csv footnote (Anm.)": lambda v: (f"{TABLE}\nAnm. Gäller {v}\n", {}),
    "csv source line": lambda v: (f"{TABLE}Källa: ärende {v}\n", {}),
    "csv skipped row": lambda v: (TABLE.replace("2;Söder;4", f"2;{v};4"), {"skip_rows": [3]}),
    "csv data cell": lambda v: (TABLE.replace("Söder", f"Söder (kund {v})"), {}),
    "csv header cell": lambda v: (TABLE.replace("antal", f"antal {v}"), {}),
    "csv repeated header row": lambda v: (TABLE + f"id;enhet;antal\n4;{v};1\n", {}),
}


@pytest.mark.parametrize("place", list(CSV_PLACES))
def test_text_file_places(tmp_path, place):
    for kind, form, digits, written in plants(_seed(place)):
        text, options = CSV_PLACES[place](written)
        path = _csv(tmp_path, f"{len(CORPUS)}.csv", text)
        refused(place, kind, form, digits, lambda: ek.read_table(path, **options))


def test_csv_places_through_the_decisions_loaders(tmp_path):
    from evalkit.io import register

    for kind, form, digits, written in plants(11, forms=3):
        pre = _csv(tmp_path, f"pre{digits}.csv".replace(digits, str(len(CORPUS))), f"Uttag {written}\n\n{CLEAN}")
        refused("decisions csv preamble (in memory)", kind, form, digits, lambda: ek.load_decisions(pre))
        refused("decisions csv preamble (register)", kind, form, digits,
                lambda: register.load_decisions_large(pre))
        foot = _csv(tmp_path, f"f{len(CORPUS)}.csv", f"{CLEAN}\nAnm. {written}\n")
        refused("decisions csv footnote", kind, form, digits, lambda: ek.load_decisions(foot))


@pytest.mark.parametrize("where", ["file name", "folder name"])
def test_file_and_folder_names(tmp_path, where):
    for kind, form, digits, written in plants(5 if where == "file name" else 6):
        folder = tmp_path / (f"kund {written}" if where == "folder name" else f"d{len(CORPUS)}")
        folder.mkdir()
        path = _csv(folder, f"export {written}.csv" if where == "file name" else "export.csv", TABLE)
        refused(where, kind, form, digits, lambda: ek.read_table(path))
        refused(f"{where} (missing file)", kind, form, digits, lambda: ek.read_table(path.with_suffix(".tsv")))


# ----------------------------------------------------------------------------- numbers as numbers
def _lost_zero_se(rng, kind):
    """A Swedish number whose 10-digit form starts with 0 (born 2000–2009 or 1900–1909)."""
    year = int(rng.choice([2000, 2001, 2005, 2009, 1903]))
    month = int(rng.choice([1, 7, 10, 12])) if year == 2000 else None
    return se_number(rng, kind, year=year, month=month)


NUMERIC_FORMS = {
    # name → (digits of the number, how it is written in a CSV cell)
    "scientific notation": lambda rng, kind: _sci(number_of(rng, kind), kind),
    "float with .0": lambda rng, kind: (lambda d: (d, f"{int(_numeric(d, kind))}.0"))(number_of(rng, kind)),
    "lost leading zero(s)": lambda rng, kind: (
        (lambda d: (d, str(int(d[2:]))))(_lost_zero_se(rng, kind)) if kind in SE_KINDS
        else (lambda d: (d, str(int(d))))(no_number(rng, kind, day_below_10=True))
    ),
}


def _numeric(digits: str, kind: str) -> str:
    return digits[2:] if kind in SE_KINDS else digits


def _sci(digits: str, kind: str) -> tuple[str, str]:
    while _numeric(digits, kind)[0] == "0":  # a leading zero is not written in scientific notation
        digits = number_of(np.random.default_rng(int(digits) % 2**32), kind)
    ten = _numeric(digits, kind)
    return digits, f"{ten[0]}.{ten[1:]}E{len(ten) - 1}"


@pytest.mark.parametrize("form", list(NUMERIC_FORMS))
def test_numbers_in_numeric_columns(tmp_path, form):
    """CSV cells, Excel number cells and Parquet columns holding a number as a number."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from openpyxl import Workbook

    rng = np.random.default_rng(_seed(form))
    for kind in KINDS:
        for _ in range(3):
            digits, written = NUMERIC_FORMS[form](rng, kind)
            path = _csv(tmp_path, f"n{len(CORPUS)}.csv", f"id;nr;antal\n1;1;3\n2;{written};4\n3;3;5\n")
            refused("csv numeric column", kind, form, digits, lambda: ek.read_table(path))
            value = float(written)
            wb = Workbook()
            ws = wb.active
            ws.append(["id", "nr", "antal"])
            for row in ([1, 1, 3], [2, int(value) if form == "lost leading zero(s)" else value, 4], [3, 3, 5]):
                ws.append(row)
            xlsx = tmp_path / f"n{len(CORPUS)}.xlsx"
            wb.save(xlsx)
            refused("excel number cell", kind, form, digits, lambda: ek.read_table(xlsx))
            table = pa.table({"id": [1, 2, 3], "nr": pa.array([1, int(value), 3], type=pa.int64())
                              if form == "lost leading zero(s)" else pa.array([1.0, value, 3.0])})
            pq_path = tmp_path / f"n{len(CORPUS)}.parquet"
            pq.write_table(table, pq_path)
            refused("parquet numeric column", kind, form, digits, lambda: ek.read_table(pq_path))


# ----------------------------------------------------------------------------- Excel
def _workbook():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in (["id", "enhet", "antal"], [1, "Norr", 3], [2, "Söder", 4], [3, "Öst", 5]):
        ws.append(row)
    return wb, ws


def _xl_sheet_name(wb, ws, v):
    wb.create_sheet(v[:31])


def _xl_second_sheet(wb, ws, v):
    wb.create_sheet("Noter")["B3"] = f"Kontakt {v}"


def _xl_comment(wb, ws, v):
    from openpyxl.comments import Comment

    ws["B3"].comment = Comment(f"Gäller brukare {v}", "Handläggare")


def _xl_title(wb, ws, v):
    wb.properties.title = f"Uttag {v}"


def _xl_keywords(wb, ws, v):
    wb.properties.keywords = v


def _xl_custom_property(wb, ws, v):
    from openpyxl.packaging.custom import StringProperty

    wb.custom_doc_props.append(StringProperty(name="Ärende", value=v))


def _xl_defined_name(wb, ws, v):
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names["Kund"] = DefinedName("Kund", attr_text=f'"{v}"')


def _xl_merged_title(wb, ws, v):
    ws.insert_rows(1)
    ws["A1"] = f"Beslut för {v}"
    ws.merge_cells("A1:C1")


def _xl_footer(wb, ws, v):
    ws.oddFooter.center.text = f"Brukare {v}"


def _xl_cell_below_table(wb, ws, v):
    ws["A7"] = f"Not: {v}"


XLSX_PLACES = {
    "excel sheet name": _xl_sheet_name,
    "excel second sheet": _xl_second_sheet,
    "excel cell comment": _xl_comment,
    "excel title property": _xl_title,
    "excel keywords property": _xl_keywords,
    "excel custom property": _xl_custom_property,
    "excel defined name": _xl_defined_name,
    "excel merged title row": _xl_merged_title,
    "excel page footer": _xl_footer,
    "excel footnote below the table": _xl_cell_below_table,
    "excel formula with cached text": None,  # written by _with_cached_formula
}


def _with_cached_formula(path: Path, text: str) -> None:
    """Put a formula whose *cached* value is ``text`` into cell D2 (the formula itself hides the number)."""
    import html

    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    cell = (f'<c r="D2" t="str"><f>CONCATENATE("see","")</f><v>{html.escape(text)}</v></c>')
    sheet = re.sub(r'(<row r="2"[^>]*>)(.*?)(</row>)', lambda m: m.group(1) + m.group(2) + cell + m.group(3),
                   sheet, count=1, flags=re.S)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)


@pytest.mark.parametrize("place", list(XLSX_PLACES))
def test_excel_places(tmp_path, place):
    for kind, form, digits, written in plants(_seed(place), forms=5):
        wb, ws = _workbook()
        if XLSX_PLACES[place]:
            XLSX_PLACES[place](wb, ws, written)
        path = tmp_path / f"x{len(CORPUS)}.xlsx"
        wb.save(path)
        if place == "excel formula with cached text":
            _with_cached_formula(path, f"Brukare {written}")
        refused(place, kind, form, digits, lambda: ek.read_table(path))


def test_excel_places_through_the_decisions_loader(tmp_path):
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    rows = [line.split(";") for line in CLEAN.strip().split("\n")]
    for kind, form, digits, written in plants(12, forms=3):
        wb = Workbook()
        ws = wb.active
        for row in rows:
            ws.append(row)
        ws["C2"].comment = Comment(written, "x")
        path = tmp_path / f"d{len(CORPUS)}.xlsx"
        wb.save(path)
        refused("decisions xlsx cell comment", kind, form, digits, lambda: ek.load_decisions(path))


# ----------------------------------------------------------------------------- SPSS and Parquet
def _sav(path: Path, place: str, v: str) -> None:
    import pyreadstat

    frame = pd.DataFrame({"q1": [1.0, 2.0, 1.0], "kommun": ["A", "B", "A"]})
    options = {
        "spss value label": dict(variable_value_labels={"q1": {1.0: f"Ja ({v})", 2.0: "Nej"}}),
        "spss variable label": dict(column_labels=[f"Fråga om {v}", "Kommun"]),
        "spss file label": dict(file_label=f"Enkät {v}"[:60]),
        "spss notes": dict(note=f"Rensad: {v}"),
    }[place]
    pyreadstat.write_sav(frame, str(path), **options)


@pytest.mark.parametrize("place", ["spss value label", "spss variable label", "spss file label", "spss notes"])
def test_spss_places(tmp_path, place):
    pytest.importorskip("pyreadstat")
    for kind, form, digits, written in plants(_seed(place), forms=5):
        if place == "spss file label" and not written.isascii():
            written = written  # pyreadstat writes the label in UTF-8; the reader must still see it
        path = tmp_path / f"s{len(CORPUS)}.sav"
        _sav(path, place, written)
        refused(place, kind, form, digits, lambda: ek.read_table(path))
        refused(place + " (survey loader)", kind, form, digits, lambda: ek.load_survey(path))


@pytest.mark.parametrize("place", ["parquet schema metadata", "parquet field metadata", "parquet column name"])
def test_parquet_places(tmp_path, place):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for kind, form, digits, written in plants(_seed(place), forms=5):
        fields = [pa.field("id", pa.int64()), pa.field("enhet", pa.string())]
        if place == "parquet field metadata":
            fields[1] = fields[1].with_metadata({"beskrivning": f"enhet för {written}"})
        if place == "parquet column name":
            fields.append(pa.field(f"kund {written}", pa.string()))
        schema = pa.schema(fields, metadata={"källa": f"uttag {written}"} if place == "parquet schema metadata"
                           else None)
        columns = [[1, 2], ["Norr", "Söder"]] + ([[None, None]] if place == "parquet column name" else [])
        path = tmp_path / f"p{len(CORPUS)}.parquet"
        pq.write_table(pa.table(columns, schema=schema), path)
        refused(place, kind, form, digits, lambda: ek.read_table(path))


def test_parquet_partition_with_other_columns_and_metadata(tmp_path):
    """The register path reads a folder of partitions: each one's own names and metadata are gated."""
    import pyarrow.parquet as pq

    from evalkit.io import register

    clean = ek.load_decisions(_csv(tmp_path, "clean.csv", CLEAN)).reset_index(drop=True)
    clean.attrs = {}
    for kind, form, digits, written in plants(13, forms=1):
        for place in ("parquet partition column name", "parquet partition metadata"):
            folder = tmp_path / f"reg{len(CORPUS)}"
            (folder / "unit=a").mkdir(parents=True)
            (folder / "unit=b").mkdir()
            clean.iloc[:2].to_parquet(folder / "unit=a" / "part-0.parquet")
            other = clean.iloc[2:].copy()
            if place == "parquet partition column name":
                other[f"kund {written}"] = None
                other.to_parquet(folder / "unit=b" / "part-0.parquet")
            else:
                import pyarrow as pa

                table = pa.Table.from_pandas(other)
                table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"note": written.encode()})
                pq.write_table(table, folder / "unit=b" / "part-0.parquet")
            refused(place, kind, form, digits, lambda: register.load_decisions_large(folder))


# ----------------------------------------------------------------------------- surveys
SURVEY = (
    "respondent_id;wave;unit;helhet_nojd\n"
    "r1;2019;Norr;Mycket nöjd\n"
    "r2;2019;Söder;Ganska nöjd\n"
)
CODEBOOK = """
[scales.nojd]
labels = ["Mycket nöjd", "Ganska nöjd", "Varken eller", "Ganska missnöjd", "Mycket missnöjd"]
positive = ["Mycket nöjd", "Ganska nöjd"]

[[items]]
item = "helhet_nojd"
text = "ITEMTEXT"
scale = "nojd"
"""


@pytest.mark.parametrize("place", ["mailing list cell", "mailing list preamble", "mailing list frame",
                                   "codebook item text", "codebook file name"])
def test_survey_places(tmp_path, place):
    for kind, form, digits, written in plants(_seed(place), forms=5):
        n = len(CORPUS)
        survey = _csv(tmp_path, f"s{n}.csv", SURVEY)
        codebook = tmp_path / (f"kodbok {written}.toml" if place == "codebook file name" else f"k{n}.toml")
        text = "Hur nöjd är du med " + (written if place == "codebook item text" else "hemtjänsten") + "?"
        codebook.write_text(CODEBOOK.replace("ITEMTEXT", text), encoding="utf-8")
        sent: object = _csv(tmp_path, f"u{n}.csv", "wave;unit;sent\n2019;Norr;10\n2019;Söder;12\n")
        if place == "mailing list cell":
            sent = _csv(tmp_path, f"u{n}.csv", f"wave;unit;sent\n2019;Norr {written};10\n2019;Söder;12\n")
        elif place == "mailing list preamble":
            sent = _csv(tmp_path, f"u{n}.csv", f"Utskick {written}\n\nwave;unit;sent\n2019;Norr;10\n")
        elif place == "mailing list frame":
            sent = pd.DataFrame({"wave": [2019], "unit": [f"Norr {written}"], "sent": [10]})
        refused(place, kind, form, digits, lambda: ek.load_survey(survey, codebook, sent=sent))


# ----------------------------------------------------------------------------- audit forms
@pytest.fixture(scope="module")
def audit_form(tmp_path_factory):
    from tests.test_audit_forms import make_frame

    sample = ek.audit.draw(make_frame(40), 4, strata="period", seed=3)
    path = tmp_path_factory.mktemp("audit") / "form.xlsx"
    ek.audit.form(sample, "ibic", path)
    return sample, path


def _fill_form(src: Path, out: Path, place: str, v: str) -> None:
    from openpyxl import load_workbook

    from evalkit.audit.forms import FIRST_DATA_ROW, HEADER_ROW, META_SHEET

    wb = load_workbook(src)
    ws = wb["Granskning"]
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        for c in range(5, 25):
            ws.cell(r, c).value = "Ja"
    if place == "audit comment":
        ws.cell(FIRST_DATA_ROW + 1, 25).value = f"Ring {v}"
    elif place == "audit answer cell":
        ws.cell(FIRST_DATA_ROW, 7).value = f"Ja, {v}"
    elif place == "audit header cell":
        ws.cell(HEADER_ROW, 6).value = f"Mål {v}"
    elif place == "audit reviewer field":
        meta = wb[META_SHEET]
        for row in meta.iter_rows():
            if row[0].value == "reviewer":
                row[1].value = v
    wb.save(out)


@pytest.mark.parametrize("place", ["audit comment", "audit answer cell", "audit header cell",
                                   "audit reviewer field"])
def test_audit_form_places(tmp_path, audit_form, place):
    sample, form = audit_form
    for kind, form_name, digits, written in plants(_seed(place), forms=2):
        out = tmp_path / f"a{len(CORPUS)}.xlsx"
        _fill_form(form, out, place, written)
        refused(place, kind, form_name, digits, lambda: ek.load_audit(out, sample))


# ----------------------------------------------------------------------------- configs and mappings
CONFIG = """
[evaluation]
title = "TITLE"
language = "sv"
seed = 20240601
purpose = "PURPOSE"
questions = ["Förändrades handläggningstiden?", "QUESTION"]

[change]
name = "CHANGE"
description = "DESCRIPTION"
date = 2017-01-01
units = ["Norr", "UNIT"]

[data.decisions]
path = "beslut.csv"

[[analyses]]
id = "processing_time"
kind = "its"
title = "ANALYSIS"
outcome = "processing_days_median"

[report]
name = "REPORT"
"""
CONFIG_DEFAULTS = {"TITLE": "Införandet av IBIC", "PURPOSE": "Att undersöka", "QUESTION": "Dokumenterades mål?",
                   "CHANGE": "IBIC", "DESCRIPTION": "Från 2017", "UNIT": "Söder", "ANALYSIS": "Handläggningstid",
                   "REPORT": "ibic"}


@pytest.mark.parametrize("key", list(CONFIG_DEFAULTS) + ["FILE NAME"])
def test_config_strings(tmp_path, key):
    _csv(tmp_path, "beslut.csv", CLEAN)
    for kind, form, digits, written in plants(_seed(key), forms=6):
        text = CONFIG
        for k, default in CONFIG_DEFAULTS.items():
            text = text.replace(f'"{k}"', '"' + (written if k == key else default) + '"')
        name = f"utvärdering {written}.toml" if key == "FILE NAME" else f"c{len(CORPUS)}.toml"
        path = _csv(tmp_path, name, text)
        refused(f"config {key.lower()}", kind, form, digits, lambda: ek.Evaluation.from_toml(path))


@pytest.mark.parametrize("place", ["mapping column name", "mapping value spelling", "mapping file name",
                                   "mapping as a dict"])
def test_mapping_entries(tmp_path, place):
    data = _csv(tmp_path, "beslut.csv", CLEAN)
    for kind, form, digits, written in plants(_seed(place), forms=6):
        mapping: object
        body = '[columns]\n"Beslutsid" = "decision_id"\n[values.outcome]\n"Bifall enl. 4:1" = "granted"\n'
        if place == "mapping column name":
            body = body.replace('"Beslutsid"', f'"Beslutsid {written}"')
        elif place == "mapping value spelling":
            body = body.replace('"Bifall enl. 4:1"', f'"Bifall {written}"')
        name = f"mappning {written}.toml" if place == "mapping file name" else f"m{len(CORPUS)}.toml"
        mapping = _csv(tmp_path, name, body)
        if place == "mapping as a dict":
            mapping = {"values": {"outcome": {f"Avslag {written}": "denied"}}}
        refused(place, kind, form, digits, lambda: ek.load_decisions(data, mapping))


# ----------------------------------------------------------------------------- the tally
N_SE, N_NO = len(SE_FORMS), len(NO_FORMS)


def _per_plant(forms: int | None) -> int:
    """Numbers one ``plants(seed, forms=forms)`` loop plants (2 Swedish and 4 Norwegian kinds)."""
    se = N_SE if forms is None else min(forms, N_SE)
    no = N_NO if forms is None else min(forms, N_NO)
    return 2 * se + 4 * no


# place group → numbers planted (each refused by one loader call), as the tests above are written
PLANNED = {
    "csv places": len(CSV_PLACES) * _per_plant(None),
    "csv through the decisions loaders": 3 * _per_plant(3),
    "file and folder names (present and missing)": 2 * 2 * _per_plant(None),
    "numbers in numeric columns": len(NUMERIC_FORMS) * len(KINDS) * 3 * 3,
    "excel places": len(XLSX_PLACES) * _per_plant(5),
    "excel through the decisions loader": _per_plant(3),
    "spss places (read_table and load_survey)": 4 * 2 * _per_plant(5),
    "parquet places": 3 * _per_plant(5),
    "parquet partitions (register)": 2 * _per_plant(1),
    "survey places": 5 * _per_plant(5),
    "audit form places": 4 * _per_plant(2),
    "config strings": (len(CONFIG_DEFAULTS) + 1) * _per_plant(6),
    "mapping entries": 4 * _per_plant(6),
}


#: distinct place names ``refused`` sees when every test of this file runs
N_PLACES_RUN = 65


def test_corpus_size():
    """The corpus the tests above plant: ≥ 1 000 numbers, all six kinds, text and numeric forms."""
    total = sum(PLANNED.values())
    assert total >= 1000, PLANNED
    assert len(SE_FORMS) >= 8 and len(NO_FORMS) >= 6
    # what this run actually planted (all of it when the whole file runs)
    if CORPUS:
        assert {k for _, _, k in CORPUS} <= set(KINDS)
        assert all(n >= 1 for n in CORPUS.values())
    if len({p for p, _, _ in CORPUS}) == N_PLACES_RUN:  # the whole file ran: the tally is the plan
        assert sum(CORPUS.values()) == total
        assert {k for _, _, k in CORPUS} == set(KINDS)
        assert {f for _, f, _ in CORPUS} >= set(SE_FORMS) | set(NO_FORMS) | set(NUMERIC_FORMS)
    print(f"\nplanted {sum(CORPUS.values())} numbers at {len({p for p, _, _ in CORPUS})} places "
          f"(plan: {total})")
