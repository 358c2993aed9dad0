"""The hostile-input corpus (issue 13): every broken or hostile file ends in an evalkit error or an honest warning.

The corpus is generated here (nothing is stored): each case is (class, case, loader), a function that
writes the input into a folder and one that loads it. Each case states how it must end:

* ``error``   – an :class:`~evalkit.errors.EvalkitError` whose message names the file (or withholds a
  name holding an identity number) and where (``where``: line/row/sheet/column/cell/key words);
* ``warning`` – loaded, with an :class:`~evalkit.errors.EvalkitWarning`, and the row accounting of the
  result holds (``rows_read == rows_kept + excluded``);
* ``note``    – loaded, and the provenance record says what was decided (``note`` text);
* ``ok``      – loaded without a warning (a control: the hostile-looking input is legitimate).

Never another exception type, never a planted identity number in a message.
``benchmarks/hostile_corpus.py`` runs the same corpus and writes ``tests/hostile_corpus.md``;
:func:`test_table_is_in_sync` checks that the table lists exactly the cases generated here.
"""
from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

PNR = "640823-3234"              # a valid personnummer (date and check digit), planted in hostile files
PNR_DIGITS = "6408233234"
TABLE = Path(__file__).with_name("hostile_corpus.md")


@dataclass
class Case:
    cls: str
    case: str
    loader: str
    make: Callable[[Path], Path]
    load: Callable[[Path], object]
    expect: str = "error"            # error | warning | note | ok
    where: tuple[str, ...] = ()       # words one of which the error message must contain
    note: str | None = None
    named: bool = True                # the message names the file (False: the name holds a number)
    error: type | None = None         # a more specific error class required

    @property
    def id(self) -> str:
        return f"{self.cls}/{self.case}/{self.loader}"


@dataclass
class Outcome:
    kind: str                         # error | warning | ok | crash
    name: str                         # exception or warning class
    message: str
    result: object = None
    warnings: list = field(default_factory=list)


# ----------------------------------------------------------------------------------------- base files
DEC_HEADER = ["beslut_id", "person_id", "enhet", "ansökningsdatum", "beslutsdatum", "startdatum", "slutdatum",
              "beslut", "insats", "timmar_per_manad"]
DEC_ROWS = [
    ["B1", "P1", "Norr", "2024-01-02", "2024-01-10", "2024-01-11", "2024-06-30", "beviljat", "hemtjänst", "10"],
    ["B2", "P2", "Söder", "2024-02-01", "2024-02-12", "2024-02-13", "2024-08-31", "avslag", "hemtjänst", ""],
    ["B3", "P3", "Norr", "2024-03-01", "2024-03-05", "2024-03-06", "2024-09-30", "delvis", "hemtjänst", "7,5"],
]
ORD_HEADER = ["Beställnings-id", "Brukare", "Enhet", "Ändringsdatum", "Ändringstyp"]
ORD_ROWS = [["BE1", "P1", "Norr", "2024-01-02", "Avslut"], ["BE2", "P2", "Söder", "2024-01-03", "Tid"],
            ["BE3", "P3", "Norr", "2024-01-04", "Tid"]]
VIS_HEADER = ["Kund", "Personal", "Start", "Slut", "Besökstyp", "Enhet"]
VIS_ROWS = [["P1", "S1", "2024-01-02 08:00", "2024-01-02 08:30", "Larm", "Norr"],
            ["P2", "S2", "2024-01-02 09:00", "2024-01-02 09:20", "Larm", "Söder"],
            ["P3", "S1", "2024-01-02 10:00", "2024-01-02 10:45", "Larm", "Norr"]]
SUR_HEADER = ["lopnr", "wave", "unit", "helhet_nojd", "trygghet"]
SUR_ROWS = [["R1", "2019", "Norr", "Mycket nöjd", "Mycket tryggt"],
            ["R2", "2019", "Söder", "Vet inte, ingen åsikt", "Vet inte"],
            ["R3", "2020", "Norr", "Mycket nöjd", "Mycket tryggt"]]
COD_HEADER = ["source", "code", "coder", "text"]
COD_ROWS = [["intervju1", "Trygghet", "A", "Jag känner mig trygg"],
            ["intervju1", "Kontinuitet", "A", "Samma personal"],
            ["intervju2", "Trygghet", "B", "Det är lugnt"]]

BASES = {  # loader → (header, rows, delimiter, file name, loader function name)
    "read_table": (DEC_HEADER, DEC_ROWS, ";", "tabell"),
    "load_decisions": (DEC_HEADER, DEC_ROWS, ";", "beslut"),
    "load_orders": (ORD_HEADER, ORD_ROWS, ";", "bestallningar"),
    "load_visits": (VIS_HEADER, VIS_ROWS, ",", "besok"),
    "load_survey": (SUR_HEADER, SUR_ROWS, ";", "enkat"),
    "load_codings": (COD_HEADER, COD_ROWS, ",", "kodning"),
    "load_decisions_large": (DEC_HEADER, DEC_ROWS, ";", "register"),
    "register_panel": (DEC_HEADER, DEC_ROWS, ";", "panel"),
}


def _loader(name: str, **kw) -> Callable[[Path], object]:
    def load(path: Path):
        import evalkit as ek
        from evalkit.io.register import load_decisions_large, register_panel

        fn = {"read_table": ek.read_table, "load_decisions": ek.load_decisions, "load_orders": ek.load_orders,
              "load_visits": ek.load_visits, "load_survey": ek.load_survey, "load_codings": ek.load_codings,
              "load_decisions_large": load_decisions_large, "register_panel": register_panel}[name]
        if name == "register_panel":
            kw.setdefault("start", "2024-01-01")
            kw.setdefault("end", "2024-12-31")
        return fn(path, **kw)
    return load


def _csv_bytes(header, rows, delim, *, encoding="utf-8") -> bytes:
    lines = [delim.join(header)] + [delim.join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def _writer(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data() if callable(data) else data)
        return path
    return make


# ----------------------------------------------------------------------------------------- text classes
def _text_mutations(header, rows, d):
    """(class, case, bytes, expect, where, note) for a delimited base table."""
    base = lambda **kw: _csv_bytes(header, rows, d, **kw)  # noqa: E731
    lines = base().decode().splitlines()
    w = len(header)
    out = [
        ("encoding", "mixed_utf8_and_cp1252",
         (("\n".join(lines[:2]) + d + "Åsa\n").encode() if False else
          "\n".join(lines[:2]).encode() + "\n".encode() + lines[2].replace(rows[1][0], "Ö" + rows[1][0]).encode()
          + b"\n" + lines[3].replace(rows[2][0], rows[2][0]).encode("cp1252") + b"\xe4\n"),
         "error", ("line", "row"), None),
        ("encoding", "cp1252_whole_file",
         "\n".join(lines).replace(rows[0][0], rows[0][0] + "ä").encode("cp1252") + b"\n", "note", (), "read as cp1252"),
        ("encoding", "one_bad_byte_in_utf8", "\n".join(lines).encode().replace(rows[0][0].encode(), rows[0][0].encode()
                                                                              + b"\x81") + b"\n",
         "error", ("line", "row"), None),
        ("encoding", "latin1_only_bytes", "\n".join(lines).encode("cp1252").replace(rows[0][0].encode(),
                                                                                   rows[0][0].encode() + b"\x81")
         + b"\n", "note", (), "not valid UTF-8"),
        ("encoding", "nul_bytes", base()[:20] + b"\x00\x00" + base()[20:], "error", (), None),
        ("encoding", "utf16_without_bom", "\n".join(lines).encode("utf-16-le"), "error", (), None),
        ("encoding", "zero_bytes", b"", "error", (), None),
        ("encoding", "only_a_bom", b"\xef\xbb\xbf", "error", (), None),
        ("encoding", "bom_in_mid_file",
         base() + b"\xef\xbb\xbf" + _csv_bytes(header, [[c + "x" if j == 0 else c for j, c in enumerate(rows[0])]], d),
         "warning", (), None),
        ("encoding", "unknown_encoding_forced", base(), "error", (), None),
        ("structure", "header_only", (d.join(header) + "\n").encode(), "error", ("row",), None),
        ("structure", "ragged_extra_field", base() + (d.join(rows[0] + ["extra"]) + "\n").encode(), "error",
         ("line", "row"), None),
        ("structure", "ragged_missing_fields", base() + (d.join(rows[0][:2]) + "\n").encode(), "error",
         ("line", "row"), None),
        ("structure", "unclosed_quote", base() + (d.join(['"' + rows[0][0]] + rows[0][1:]) + "\n").encode(),
         "error", ("line", "row"), None),
        ("structure", "binary_garbage", bytes(range(1, 256)) * 40, "error", (), None),
        ("identity", "number_in_a_cell",
         _csv_bytes(header, [rows[0][:-1] + [PNR]] + rows[1:], d), "error", ("row", "column"), None),
        ("identity", "number_in_a_header", _csv_bytes(header[:-1] + [PNR], rows, d), "error", ("column",), None),
        ("identity", "number_in_a_title_row", f"Rapport {PNR}\n".encode() + base(), "error", ("row", "title"), None),
        ("identity", "number_in_a_footnote", base() + f"Källa: {PNR}\n".encode(), "error", ("row", "footnote"), None),
        ("identity", "number_glued_in_text",
         _csv_bytes(header, [rows[0][:-1] + [f"x{PNR_DIGITS}y"]] + rows[1:], d), "error", ("row", "column"), None),
    ]
    return out


def _text_cases() -> list[Case]:
    cases = []
    for loader, (header, rows, d, stem) in BASES.items():
        for cls, case, data, expect, where, note in _text_mutations(header, rows, d):
            if case == "number_glued_in_text":
                continue  # glued digits are not a number by the matching rules (privacy/_identifiers.py)
            kw = {"encoding": "no-such-codec"} if case == "unknown_encoding_forced" else {}
            if kw and loader in ("load_survey", "load_codings", "load_decisions_large", "register_panel"):
                continue  # these loaders take no sniffer overrides
            large = loader in ("load_decisions_large", "register_panel")
            if large and case in ("bom_in_mid_file",):
                expect_here = "error"   # DuckDB cannot skip a repeated header after a BOM: refused naming the line
            else:
                expect_here = expect
            if large and case in ("cp1252_whole_file", "latin1_only_bytes"):
                expect_here, note = "note", "re-encoded to UTF-8"   # transcoded for DuckDB, said in the record
            cases.append(Case(cls, case, loader, _writer(f"{stem}.csv", data), _loader(loader, **kw),
                              expect_here, where if not large else tuple(w for w in where if w != "column") or (),
                              note))
        # identity number in the file name: refused before anything is read, the name never shown
        cases.append(Case("identity", "number_in_the_file_name", loader,
                          _writer(f"{stem}_{PNR}.csv", _csv_bytes(header, rows, d)), _loader(loader),
                          "error", (), None, named=False))
        cases.append(Case("structure", "footnote_after_the_data", loader,
                          _writer(f"{stem}.csv", _csv_bytes(header, rows, d) + "Källa: verksamhetssystemet\n".encode()),
                          _loader(loader),
                          "error" if loader in ("load_decisions_large", "register_panel") else "note",
                          ("line",), "footnote"))
        cases.append(Case("structure", "duplicate_header", loader,
                          _writer(f"{stem}.csv", _csv_bytes(header[:-1] + [header[2]], rows, d)), _loader(loader),
                          {"read_table": "warning", "load_codings": "warning"}.get(loader, "error"),
                          ("column",), None))
        cases.append(Case("structure", "missing_file", loader, lambda folder, s=stem: folder / f"{s}.csv",
                          _loader(loader), "error", (), None))
        cases.append(Case("structure", "a_folder_not_a_file", loader,
                          lambda folder, s=stem: (folder / f"{s}.csv").mkdir() or folder / f"{s}.csv",
                          _loader(loader), "error", (), None))
    return cases


# ----------------------------------------------------------------------------------------- value classes
def _with(rows, r, c, value):
    out = [list(x) for x in rows]
    out[r][c] = value
    return out


def _value_cases() -> list[Case]:
    cases = []
    dec = [
        ("date_year_9999", _with(DEC_ROWS, 0, 6, "9999-12-31"), "error", ("row", "column")),
        ("date_year_1200", _with(DEC_ROWS, 0, 3, "1200-01-01"), "error", ("row", "column")),
        ("impossible_date", _with(DEC_ROWS, 1, 4, "2024-02-30"), "error", ("row", "column")),
        ("text_in_a_date", _with(DEC_ROWS, 1, 4, "snart"), "error", ("row", "column")),
        ("hours_1000_a_month", _with(DEC_ROWS, 0, 9, "1000"), "error", ("row", "column")),
        ("hours_20_digits", _with(DEC_ROWS, 0, 9, "12345678901234567890"), "error", ("row", "column")),
        ("hours_negative", _with(DEC_ROWS, 0, 9, "-3"), "error", ("row", "column")),
        ("hours_text", _with(DEC_ROWS, 0, 9, "många"), "error", ("row", "column")),
        ("hours_744_is_possible", _with(DEC_ROWS, 0, 9, "744"), "ok", ()),
        ("unknown_outcome", _with(DEC_ROWS, 0, 7, "kanske"), "error", ("row", "column")),
        ("empty_decision_id", _with(DEC_ROWS, 0, 0, ""), "error", ("row", "column")),
        ("duplicate_decision_id", _with(DEC_ROWS, 1, 0, "B1"), "error", ("row", "column")),
        ("decided_before_applied", _with(DEC_ROWS, 0, 4, "2023-12-01"), "warning", ()),
        ("ends_before_it_starts", _with(DEC_ROWS, 0, 6, "2023-12-01"), "warning", ()),
    ]
    for loader in ("load_decisions", "load_decisions_large", "register_panel"):
        for case, rows, expect, where in dec:
            if loader == "register_panel" and expect == "warning":
                continue  # a panel aggregates; the flags are in the record of load_decisions_large
            if loader != "load_decisions" and case in ("date_year_1200",):
                continue
            where_here = where if loader == "load_decisions" else tuple(w for w in where if w == "row")
            cases.append(Case("values", case, loader, _writer("beslut.csv", _csv_bytes(DEC_HEADER, rows, ";")),
                              _loader(loader), expect, where_here))
    vis = [
        ("visit_ends_before_it_starts", _with(VIS_ROWS, 0, 3, "2024-01-02 07:00"), "warning", ()),
        ("visit_year_9999", _with(VIS_ROWS, 0, 3, "9999-12-31 23:59"), "error", ("row", "column")),
        ("visit_time_25_00", _with(VIS_ROWS, 0, 2, "2024-01-02 25:00"), "error", ("row", "column")),
        ("visit_empty_staff", _with(VIS_ROWS, 0, 1, ""), "error", ("row", "column")),
    ]
    for case, rows, expect, where in vis:
        cases.append(Case("values", case, "load_visits", _writer("besok.csv", _csv_bytes(VIS_HEADER, rows, ",")),
                          _loader("load_visits"), expect, where))
    ords = [
        ("order_unknown_change_type", _with(ORD_ROWS, 0, 4, "Flytt till månen"), "error", ("row", "column")),
        ("order_date_9999", _with(ORD_ROWS, 0, 3, "9999-01-01"), "error", ("row", "column")),
        ("order_empty_id", _with(ORD_ROWS, 0, 0, ""), "error", ("row", "column")),
    ]
    for case, rows, expect, where in ords:
        cases.append(Case("values", case, "load_orders",
                          _writer("bestallningar.csv", _csv_bytes(ORD_HEADER, rows, ";")),
                          _loader("load_orders"), expect, where))
    rt = [
        ("date_year_9999", _with(DEC_ROWS, 0, 6, "9999-12-31"), "warning"),
        ("impossible_date", _with(DEC_ROWS, 1, 4, "2024-02-30"), "warning"),
        ("twenty_digit_number", _with(DEC_ROWS, 0, 9, "12345678901234567890"), "ok"),
    ]
    for case, rows, expect in rt:
        cases.append(Case("values", case, "read_table", _writer("tabell.csv", _csv_bytes(DEC_HEADER, rows, ";")),
                          _loader("read_table"), expect))
    return cases


# ----------------------------------------------------------------------------------------- survey class
def _survey_cases() -> list[Case]:
    cases = []
    sur = [
        ("text_wave", _with(SUR_ROWS, 0, 1, "våren"), "error", ("row", "column")),
        ("blank_wave", _with(SUR_ROWS, 0, 1, ""), "error", ("row", "column")),
        ("all_text_waves", [_with(SUR_ROWS, i, 1, w)[i] for i, w in enumerate(["vår", "höst", "vår"])],
         "warning", ()),
        ("unknown_answer", _with(SUR_ROWS, 0, 3, "Ganska bra typ"), "error", ("row", "column")),
        ("identity_in_an_answer", _with(SUR_ROWS, 0, 3, PNR), "error", ("row", "column")),
    ]
    for case, rows, expect, where in sur:
        cases.append(Case("survey", case, "load_survey", _writer("enkat.csv", _csv_bytes(SUR_HEADER, rows, ";")),
                          _loader("load_survey"), expect, where))
    sent_cases = [
        ("sent_with_identity", "wave;unit;sent\n2019;Norr;12\n2019;" + PNR + ";3\n", "error", ("row",)),
        ("sent_negative", "wave;unit;sent\n2019;Norr;-12\n", "error", ("row", "column")),
        ("sent_text", "wave;unit;sent\n2019;Norr;tolv\n", "error", ("row", "column")),
        ("sent_no_sent_column", "wave;unit;antal\n2019;Norr;12\n", "error", ("column",)),
        ("sent_blank_wave", "wave;unit;sent\n;Norr;12\n2019;Söder;3\n", "error", ("row", "column")),
    ]
    for case, text, expect, where in sent_cases:
        def make(folder, text=text):
            (folder / "utskick.csv").write_text(text, encoding="utf-8")
            (folder / "enkat.csv").write_bytes(_csv_bytes(SUR_HEADER, SUR_ROWS, ";"))
            return folder / "utskick.csv"

        def load(path):
            import evalkit as ek
            return ek.load_survey(path.with_name("enkat.csv"), sent=path)
        cases.append(Case("survey", case, "load_survey+sent", make, load, expect, where))
    codebooks = [
        ("codebook_not_toml", "[items\nx = 1\n", "error", ()),
        ("codebook_deep_nesting", "a = " + "[" * 5000 + "]" * 5000 + "\n", "error", ()),
        ("codebook_no_items", 'name = "x"\n', "error", ()),
        ("codebook_identity", f'name = "{PNR}"\n[scales.s]\nlabels=["a","b"]\n[items.helhet_nojd]\nscale="s"\n',
         "error", ()),
    ]
    for case, text, expect, where in codebooks:
        def make(folder, text=text):
            (folder / "kodbok.toml").write_text(text, encoding="utf-8")
            (folder / "enkat.csv").write_bytes(_csv_bytes(SUR_HEADER, SUR_ROWS, ";"))
            return folder / "kodbok.toml"

        def load(path):
            import evalkit as ek
            return ek.load_survey(path.with_name("enkat.csv"), codebook=path)
        cases.append(Case("survey", case, "load_survey+codebook", make, load, expect, where))
    for case, spec, expect in _sav_specs():
        where = {"sav_identity_in_a_label": ("label",), "sav_truncated": ()}.get(case, ("column",))
        cases.append(Case("survey", case, "load_survey(.sav)", _sav_writer(spec), _loader("load_survey"), expect,
                          where if expect == "error" else ()))
    return cases


def _sav_specs():
    labels = {1.0: "Mycket nöjd", 2.0: "Ganska nöjd", 3.0: "Varken eller", 4.0: "Ganska missnöjd",
              5.0: "Mycket missnöjd", 9.0: "Vet inte"}
    return [
        ("sav_missing_code_9", dict(labels=labels, missing=[9.0], values=[1, 2, 9, 5]), "ok"),
        ("sav_missing_range_after_the_scale", dict(labels=labels, missing=[{"lo": 3.0, "hi": 9.0}],
                                                   values=[1, 3, 4, 9]), "warning"),
        ("sav_missing_range_after_a_gap", dict(labels={1.0: "Ja", 2.0: "Nej", 6.0: "Ej tillämplig", 8.0: "Vet inte",
                                                       9.0: "Inget svar"}, missing=[{"lo": 6.0, "hi": 9.0}],
                                               values=[1, 2, 8, 9]), "ok"),
        ("sav_missing_value_collides", dict(labels=labels, missing=[2.0], values=[1, 2, 3, 5]), "error"),
        ("sav_identity_in_a_label", dict(labels={**labels, 1.0: f"nöjd {PNR}"}, missing=[9.0], values=[1, 2]),
         "error"),
        ("sav_truncated", dict(truncate=True, labels=labels, missing=[9.0], values=[1, 2]), "error"),
    ]


def _sav_writer(spec):
    def make(folder: Path) -> Path:
        import pandas as pd
        import pyreadstat

        path = folder / "enkat.sav"
        frame = pd.DataFrame({"lopnr": [f"R{i}" for i in range(len(spec["values"]))],
                              "nojd": [float(v) for v in spec["values"]]})
        pyreadstat.write_sav(frame, str(path), variable_value_labels={"nojd": spec["labels"]},
                             missing_ranges={"nojd": spec["missing"]})
        if spec.get("truncate"):
            path.write_bytes(path.read_bytes()[: 300])
        return path
    return make


# ----------------------------------------------------------------------------------------- xlsx classes
def _xlsx(folder: Path, name: str, header, rows, edit=None) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(header)
    for r in rows:
        ws.append([_typed(v) for v in r])
    if edit:
        edit(wb, ws)
    path = folder / name
    wb.save(path)
    return path


def _typed(v):
    try:
        return int(v)
    except ValueError:
        return v


def _zip_bomb(path: Path) -> None:
    """Add a 64 MiB part of zeros (deflates ~1000:1) to an existing .xlsx."""
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/bomb.bin", b"\0" * (64 << 20))


def _xlsx_mutations():
    import datetime as dt

    def stray_far_down(wb, ws):
        ws.cell(1_048_576, 1, "x")

    def stray_far_right(wb, ws):
        for r in range(1, 2000):
            ws.cell(r, 16_384, "x")

    def formula_no_cache(wb, ws):
        ws.cell(2, len(ws[1]), "=1+1")

    def date_9999(wb, ws):
        ws.cell(2, 4, dt.datetime(9999, 12, 31))   # the application date column

    def number_other_sheet(wb, ws):
        wb.create_sheet("Anteckningar").append(["kund", PNR])

    def number_sheet_name(wb, ws):
        wb.create_sheet(f"P {PNR}")

    def number_comment(wb, ws):
        from openpyxl.comments import Comment
        ws.cell(2, 1).comment = Comment(f"gäller {PNR}", "x")

    def number_doc_property(wb, ws):
        wb.properties.title = f"Utdrag {PNR}"

    def number_defined_name(wb, ws):
        from openpyxl.workbook.defined_name import DefinedName
        wb.defined_names["kund"] = DefinedName("kund", attr_text=f'"{PNR}"')

    def empty(wb, ws):
        ws.delete_rows(1, ws.max_row)

    def header_only(wb, ws):
        ws.delete_rows(2, ws.max_row)

    def dup_header(wb, ws):
        ws.cell(1, ws.max_column, ws.cell(1, 3).value)

    def chart_only(wb, ws):
        wb.create_chartsheet("Diagram", 0)

    return [
        ("resources", "stray_cell_at_row_1048576", stray_far_down, None, "error", ("row", "cell")),
        ("resources", "stray_column_xfd", stray_far_right, None, "error", ("row", "column")),
        ("resources", "zip_bomb_part", None, _zip_bomb, "error", ()),
        ("values", "formula_without_cached_value", formula_no_cache, None, "error", ("sheet", "column")),
        ("values", "excel_date_9999", date_9999, None, "error_or_warning", ("row", "column")),
        ("identity", "number_in_another_sheet", number_other_sheet, None, "error", ("sheet",)),
        ("identity", "number_in_a_sheet_name", number_sheet_name, None, "error", ("sheet",)),
        ("identity", "number_in_a_cell_comment", number_comment, None, "error", ("comment",)),
        ("identity", "number_in_document_properties", number_doc_property, None, "error", ("properties",)),
        ("identity", "number_in_a_defined_name", number_defined_name, None, "error", ("name",)),
        ("structure", "empty_workbook", empty, None, "error", ()),
        ("structure", "header_only", header_only, None, "error", ("row",)),
        ("structure", "duplicate_header", dup_header, None, "error_or_warning", ("column",)),
        ("structure", "chart_sheet_first", chart_only, None, "error", ()),
    ]


def _xlsx_cases() -> list[Case]:
    cases = []
    bases = {"read_table": (DEC_HEADER, DEC_ROWS), "load_decisions": (DEC_HEADER, DEC_ROWS),
             "load_survey": (SUR_HEADER, SUR_ROWS), "load_codings": (COD_HEADER, COD_ROWS),
             "load_orders": (ORD_HEADER, ORD_ROWS)}
    for loader, (header, rows) in bases.items():
        for cls, case, edit, after, expect, where in _xlsx_mutations():
            if expect == "error_or_warning":
                expect = "warning" if loader in ("read_table", "load_codings") else "error"
            if case == "excel_date_9999" and loader in ("load_survey", "load_codings", "load_orders"):
                continue

            def make(folder, header=header, rows=rows, edit=edit, after=after):
                path = _xlsx(folder, "arbetsbok.xlsx", header, rows, edit)
                if after:
                    after(path)
                return path
            cases.append(Case(cls, "xlsx_" + case, loader, make, _loader(loader), expect, where))
        cases.append(Case("structure", "csv_renamed_xlsx", loader,
                          _writer("arbetsbok.xlsx", _csv_bytes(header, rows, ";")), _loader(loader), "error", ()))

        def truncated(folder, header=header, rows=rows):
            path = _xlsx(folder, "arbetsbok.xlsx", header, rows)
            path.write_bytes(path.read_bytes()[:-200])
            return path
        cases.append(Case("structure", "xlsx_truncated_zip", loader, truncated, _loader(loader), "error", ()))
        cases.append(Case("structure", "xlsx_unknown_sheet", loader,
                          lambda folder, h=header, r=rows: _xlsx(folder, "arbetsbok.xlsx", h, r),
                          _loader(loader, sheet="Finns inte") if loader != "load_survey"
                          else (lambda p: __import__("evalkit").load_survey(p, sheet="Finns inte")),
                          "error", ("sheet",)))
    return cases


# ----------------------------------------------------------------------------------------- codings (REFI)
def _codings_cases() -> list[Case]:
    cases = []

    def qdpx(members: dict[str, bytes], name="projekt.qdpx"):
        def make(folder):
            path = folder / name
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for k, v in members.items():
                    zf.writestr(k, v)
            return path
        return make
    good_qde = (b'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p" '
                b'origin="x"><CodeBook><Codes><Code guid="11111111-1111-1111-1111-111111111111" name="A" '
                b'isCodable="true"/></Codes></CodeBook></Project>')
    specs = [
        ("qdpx_not_a_zip", _writer("projekt.qdpx", b"not a zip at all"), "error"),
        ("qdpx_no_project", qdpx({"sources/a.txt": b"hej"}), "error"),
        ("qdpx_zip_slip", qdpx({"project.qde": good_qde, "../evil.txt": b"x"}), "error"),
        ("qdpx_bomb", qdpx({"project.qde": good_qde[:-10] + b" " * (64 << 20) + good_qde[-10:]}), "error"),
        ("qdpx_broken_xml", qdpx({"project.qde": b"<Project><CodeBook>"}), "error"),
        ("qdpx_billion_laughs", qdpx({"project.qde": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
                                      b'<!ENTITY b "&a;&a;&a;&a;">]><Project>&b;</Project>'}), "error"),
        ("qdpx_identity_in_code_name", qdpx({"project.qde": good_qde.replace(b'name="A"', f'name="{PNR}"'.encode())}),
         "error"),
        ("qdc_broken_xml", _writer("kodbok.qdc", b"<CodeBook><Codes>"), "error"),
        ("qdc_empty", _writer("kodbok.qdc", b""), "error"),
        ("codings_csv_missing_columns", _writer("kodning.csv", b"a,b\n1,2\n"), "error"),
        ("codings_unknown_extension", _writer("kodning.nvp", b"\x00\x01"), "error"),
    ]
    for case, make, expect in specs:
        cases.append(Case("codings", case, "load_codings", make, _loader("load_codings"),
                          "error" if expect == "ok_or_error" else expect, ()))
    return cases


# ----------------------------------------------------------------------------------------- audit forms
def _audit_sample():
    import pandas as pd

    from evalkit.audit import draw

    frame = pd.DataFrame({"decision_id": [f"d{i:03d}" for i in range(40)],
                          "unit": ["Nord", "Syd"] * 20,
                          "decided_on": pd.date_range("2024-01-01", periods=40, freq="D"),
                          "service": ["hemtjänst"] * 40})
    return draw(frame, 6, seed=3)


def _audit_form(folder: Path, edit=None, name="granskning.xlsx", fill=True) -> Path:
    import openpyxl

    from evalkit.audit import form
    from evalkit.audit.forms import FIRST_DATA_ROW

    path = form(_audit_sample(), "ibic", folder / name, language="sv")
    wb = openpyxl.load_workbook(path)
    ws = wb["Granskning"]
    headers = json.loads(dict((r[0], r[1]) for r in wb["_meta"].iter_rows(values_only=True))["columns"])
    if fill:
        for r in range(FIRST_DATA_ROW, ws.max_row + 1):
            for c, h in enumerate(headers, start=1):
                if h not in ("decision_id", "unit", "decided_on", "service", "comment"):
                    ws.cell(r, c, "Ja")
    if edit:
        edit(wb)
    wb.save(path)
    return path


def _meta_row(wb, key):
    for row in wb["_meta"].iter_rows():
        if row[0].value == key:
            return row
    raise KeyError(key)


def _audit_edits():
    def set_meta(key, value):
        def edit(wb):
            _meta_row(wb, key)[1].value = value
        return edit

    def drop_meta(key):
        def edit(wb):
            row = _meta_row(wb, key)
            row[0].value = None
            row[1].value = None
        return edit

    def review(cell, value):
        def edit(wb):
            wb["Granskning"][cell].value = value
        return edit

    def swap_ids(wb):
        ws = wb["Granskning"]
        ws["A3"].value, ws["A4"].value = ws["A4"].value, ws["A3"].value

    def delete_sheet(name):
        def edit(wb):
            del wb[name]
        return edit

    def sort_rows(wb):  # whole rows moved together: legitimate
        ws = wb["Granskning"]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
        for i, row in enumerate(reversed(rows), start=3):
            for j, v in enumerate(row, start=1):
                ws.cell(i, j).value = v

    def plant_meta_ids(wb):
        _meta_row(wb, "reviewer")[1].value = PNR

    return [
        ("meta_sheet_deleted", delete_sheet("_meta"), "error", ("sheet",)),
        ("review_sheet_deleted", delete_sheet("Granskning"), "error", ("sheet",)),
        ("meta_key_missing", drop_meta("columns"), "error", ("sheet", "key")),
        ("meta_columns_not_json", set_meta("columns", "[not json"), "error", ("sheet", "columns")),
        ("meta_columns_wrong_type", set_meta("columns", '{"a": 1}'), "error", ("sheet", "columns")),
        ("meta_columns_unknown_item", set_meta("columns", '["decision_id", "x99", "comment"]'), "error",
         ("sheet", "columns")),
        ("meta_rows_not_a_number", set_meta("rows", "sex"), "error", ("sheet", "rows")),
        ("meta_rows_changed", set_meta("rows", "5"), "error", ("sheet", "rows")),
        ("meta_form_version", set_meta("form_version", "99"), "error", ("sheet", "version")),
        ("meta_checklist_unknown", set_meta("checklist", "hemlig"), "error", ("sheet", "checklist")),
        ("meta_language_unknown", set_meta("language", "xx"), "error", ("sheet", "language")),
        ("meta_reviewer_edited", set_meta("reviewer", "99"), "error", ("sheet", "reviewer")),
        ("meta_reviewer_identity", plant_meta_ids, "error", ("sheet",)),
        ("context_unit_edited", review("B3", "Öst"), "error", ("cell", "row")),
        ("context_date_edited", review("C3", "1999-01-01"), "error", ("cell", "row")),
        ("context_service_edited", review("D4", "matdistribution"), "error", ("cell", "row")),
        ("question_text_edited", review("E2", "Är allt bra?"), "error", ("cell", "row")),
        ("decision_ids_swapped", swap_ids, "error", ("cell", "row")),
        ("rows_sorted_whole", sort_rows, "ok", ()),
        ("answer_outside_list", review("E3", "Kanske"), "error", ("cell", "row")),
        ("answer_deleted", review("F4", None), "error", ("cell", "row")),
        ("identity_in_comment", lambda wb: setattr(wb["Granskning"].cell(3, wb["Granskning"].max_column), "value",
                                                   f"se {PNR}"), "error", ("sheet",)),
        ("written_outside_the_form", review("AZ3", "extra"), "error", ("cell",)),
        ("header_renamed", review("B1", "Avdelning"), "error", ("cell", "row")),
    ]


def _audit_cases() -> list[Case]:
    cases = []
    for case, edit, expect, where in _audit_edits():
        cases.append(Case("audit", case, "load_audit", lambda folder, e=edit: _audit_form(folder, e),
                          _load_audit, expect, where))
    cases += [
        Case("audit", "not_a_zip", "load_audit", _writer("granskning.xlsx", b"PK not really"), _load_audit),
        Case("audit", "zip_bomb_part", "load_audit",
             lambda folder: (_zip_bomb(p := _audit_form(folder)), p)[1], _load_audit),
        Case("audit", "truncated", "load_audit",
             lambda folder: (lambda p: (p.write_bytes(p.read_bytes()[:-300]), p)[1])(_audit_form(folder)),
             _load_audit),
        Case("audit", "identity_in_file_name", "load_audit",
             lambda folder: _audit_form(folder, name=f"granskning_{PNR}.xlsx"), _load_audit, named=False),
        Case("audit", "with_its_own_sample", "load_audit", lambda folder: _audit_form(folder),
             lambda p: __import__("evalkit").load_audit(p, _audit_sample()), "ok"),
        Case("audit", "hex_digest_with_a_number_in_meta", "load_audit", _planted_digest_form, _load_audit, "ok"),
    ]
    return cases


def _load_audit(path: Path):
    import evalkit as ek

    return ek.load_audit(path)


#: 64 hex digits holding a valid personnummer between hex letters, after the 12 the instructions show
PLANTED_DIGEST = "abcdefabcdef" + "ab" + PNR_DIGITS + "cd" + "e" * 38
assert len(PLANTED_DIGEST) == 64


def _planted_digest_form(folder: Path) -> Path:
    """A form whose sample manifest sha256 happens to hold a valid personnummer (~1 form in 10⁴)."""
    from unittest import mock

    from evalkit.audit.sampling import AuditSample

    with mock.patch.object(AuditSample, "manifest_sha256", property(lambda self: PLANTED_DIGEST)):
        return _audit_form(folder)


# ----------------------------------------------------------------------------------------- config + mapping
def _config_cases() -> list[Case]:
    def cfg(text: str, name="utvardering.toml"):
        def make(folder):
            (folder / name).write_text(text, encoding="utf-8")
            return folder / name
        return make

    def from_toml(path):
        from evalkit.config import Evaluation
        return Evaluation.from_toml(path)

    valid = ('[evaluation]\ntitle = "T"\nlanguage = "sv"\nseed = 1\n[change]\nname = "X"\ndate = 2017-01-01\n'
             'units = "all"\n')
    specs = [
        ("not_toml", "[evaluation\n", ("toml",)),
        ("nested_5000_deep", "a = " + "[" * 5000 + "]" * 5000 + "\n", ("nested",)),
        ("larger_than_8_mib", "# " + "x" * (9 << 20) + "\n", ("bytes",)),
        ("not_utf8", None, ("toml",)),
        ("identity_in_a_value", valid.replace('title = "T"', f'title = "T {PNR}"'), ("title", "evaluation")),
        ("unknown_language", valid.replace('"sv"', '"tlh"'), ("language",)),
        ("seed_not_an_integer", valid.replace("seed = 1", 'seed = "ett"'), ("seed",)),
        ("missing_data_file", valid + '[data.decisions]\npath = "finns_inte.csv"\n', ("decisions", "path")),
        ("path_not_a_string", valid + '[data.decisions]\npath = 5\n', ("decisions", "path")),
        ("unknown_analysis_kind", valid + '[[analyses]]\nkind = "astrologi"\n', ("analyses", "kind")),
    ]
    cases = []
    for case, text, where in specs:
        make = cfg(text) if text is not None else _writer("utvardering.toml", b'[evaluation]\ntitle = "\xff"\n')
        cases.append(Case("config", case, "Evaluation.from_toml", make, from_toml, "error", where))
    cases.append(Case("config", "missing_file", "Evaluation.from_toml", lambda f: f / "utvardering.toml", from_toml))
    cases.append(Case("config", "a_folder", "Evaluation.from_toml",
                      lambda f: (f / "utvardering.toml").mkdir() or f / "utvardering.toml", from_toml))
    mappings = [
        ("mapping_not_toml", "[columns\n", ()),
        ("mapping_unknown_canonical_column", '[columns]\nfinns_inte = "beslut_id"\n', ("finns_inte", "column")),
        ("mapping_header_not_in_file", '[columns]\ndecision_id = "Ärende"\n', ("column", "decision_id")),
        ("mapping_identity_in_a_value", f'[values.outcome]\nbeviljat = "{PNR}"\n', ("values", "outcome")),
        ("mapping_unknown_value_target", '[values.outcome]\nkanske = "granted-ish"\n', ("outcome",)),
        ("mapping_deep_nesting", "a = " + "[" * 5000 + "]" * 5000 + "\n", ("nested",)),
    ]
    for case, text, where in mappings:
        def make(folder, text=text):
            (folder / "mappning.toml").write_text(text, encoding="utf-8")
            (folder / "beslut.csv").write_bytes(_csv_bytes(DEC_HEADER, DEC_ROWS, ";"))
            return folder / "mappning.toml"

        for loader in ("load_decisions", "load_decisions_large"):
            def load(path, loader=loader):
                return _loader(loader, mapping=path)(path.with_name("beslut.csv"))
            cases.append(Case("config", case, f"{loader}+mapping", make, load, "error", where))
    return cases


def all_cases() -> list[Case]:
    return _text_cases() + _value_cases() + _survey_cases() + _xlsx_cases() + _codings_cases() + _audit_cases() \
        + _config_cases()


CASES = all_cases()


# ----------------------------------------------------------------------------------------- running a case
def run(case: Case, folder: Path) -> Outcome:
    from evalkit.errors import EvalkitError, EvalkitWarning

    folder.mkdir(parents=True, exist_ok=True)
    path = case.make(folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = case.load(path)
        except EvalkitError as err:
            return Outcome("error", type(err).__name__, str(err))
        except Exception as err:  # noqa: BLE001 — the corpus exists to catch these
            return Outcome("crash", type(err).__name__, str(err))
    ours = [w for w in caught if issubclass(w.category, EvalkitWarning)]
    if ours:
        return Outcome("warning", ours[0].category.__name__, str(ours[0].message), result, ours)
    return Outcome("ok", "", "", result)


def _record(result):
    from evalkit.provenance import record_of

    from evalkit.io.codings import Codings, provenance

    if isinstance(result, Codings):
        return provenance(result)
    frame = getattr(result, "responses", result)
    try:
        return record_of(frame)
    except Exception:  # noqa: BLE001 — results that are not frames (an Evaluation)
        return None


def summary(case: Case, outcome: Outcome) -> str:
    """How the case ended, for the table: error class + first words, warning class + first words, or ok."""
    words = " ".join(re.sub(r"\s+", " ", outcome.message).split(" ")[:12])
    words = re.sub(r"\S*/in/", "…/", words).replace("|", "/")   # the run's temporary folder: not in the table
    if outcome.kind == "ok":
        record = _record(outcome.result)
        notes = [n for n in (record.notes if record else []) if case.note and case.note in n]
        excluded = [e.reason for e in (record.exclusions if record else []) if case.note and case.note in e.reason]
        return "ok" + (f" (note: {notes[0]})" if notes else f" (excluded: {excluded[0]})" if excluded else "")
    return f"{outcome.kind}: {outcome.name} — {words}"


def check(case: Case, outcome: Outcome, path_name: str | None = None) -> None:
    """The assertions every case must pass (used by the test and the benchmark script)."""
    assert outcome.kind != "crash", f"{case.id}: a dependency exception escaped: {outcome.name}: {outcome.message}"
    assert PNR not in outcome.message and PNR_DIGITS not in outcome.message, f"{case.id}: identity number echoed"
    for w in outcome.warnings:
        assert PNR_DIGITS not in str(w.message).replace("-", "")
    expected = {"note": "ok"}.get(case.expect, case.expect)
    assert outcome.kind == expected, f"{case.id}: expected {case.expect}, ended {outcome.kind}: {outcome.message}"
    if outcome.kind == "error":
        text = outcome.message.lower()
        if case.named and path_name:
            assert path_name.lower() in text, f"{case.id}: the message does not name the file: {outcome.message}"
        if case.where:
            assert any(w in text for w in case.where), f"{case.id}: no place ({case.where}) in: {outcome.message}"
        if case.error is not None:
            assert outcome.name == case.error.__name__
    else:
        record = _record(outcome.result)
        from evalkit.io.codings import Codings

        if record is not None:
            excluded = sum(e.count for e in record.exclusions)
            assert record.rows_read == record.rows_kept + excluded, f"{case.id}: row accounting broken"
            frame = getattr(outcome.result, "responses", outcome.result)
            if isinstance(outcome.result, Codings):
                frame = outcome.result.segments
            kept = frame["decision_id"].nunique() if record.table == "audit" else len(frame)  # audit: long
            if case.loader != "register_panel":   # a panel is unit × month; its record counts decisions
                assert kept == record.rows_kept, f"{case.id}: half-read table"
        if case.expect == "note":
            assert record is not None, f"{case.id}: no provenance record"
            texts = list(record.notes) + [e.reason for e in record.exclusions]
            assert any(case.note in t for t in texts), f"{case.id}: no note '{case.note}' in {texts}"


def _made_name(case: Case, folder: Path) -> str | None:
    files = [p for p in folder.iterdir()]
    return files[0].name if len(files) == 1 else None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_ends_in_an_evalkit_error_or_an_honest_warning(case, tmp_path):
    folder = tmp_path / "in"
    outcome = run(case, folder)
    names = [p.name for p in folder.iterdir()] if folder.exists() else []
    main = case.make.__name__ if False else None
    path_name = _input_name(case, folder, names)
    check(case, outcome, path_name)


def _input_name(case: Case, folder: Path, names: list[str]) -> str | None:
    """The name a message must show: the loaded file's (the one the case returned), if it exists."""
    for preferred in ("mappning.toml", "utskick.csv", "kodbok.toml"):
        if preferred in names:
            return preferred
    return names[0] if len(names) == 1 else None


def test_corpus_size_and_classes():
    assert len(CASES) >= 300
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids), "case ids must be unique"
    classes = {c.cls for c in CASES}
    assert {"encoding", "structure", "values", "identity", "resources", "survey", "audit", "codings",
            "config"} <= classes


def table_rows(outcomes: dict[str, str]) -> list[str]:
    rows = ["| class | case | loader | how it ends |", "|---|---|---|---|"]
    for c in CASES:
        rows.append(f"| {c.cls} | {c.case} | {c.loader} | {outcomes[c.id]} |")
    return rows


def test_table_is_in_sync():
    """tests/hostile_corpus.md lists exactly the generated cases (regenerate: python benchmarks/hostile_corpus.py)."""
    text = TABLE.read_text(encoding="utf-8")
    listed = {row for row in re.findall(r"^\| ([a-z]+) \| (\S+) \| (\S+) \|", text, re.M)
              if not row[1].isdigit() and row[0] != "class"}   # not the summary rows or the headers
    generated = {(c.cls, c.case, c.loader) for c in CASES}
    assert listed == generated, (f"missing from the table: {sorted(generated - listed)[:5]}; "
                                 f"not generated: {sorted(listed - generated)[:5]}")


# ----------------------------------------------------------------------------------------- the fixes, one by one
def _dec_csv(folder: Path, rows=DEC_ROWS, header=DEC_HEADER, name="beslut.csv", extra: bytes = b"") -> Path:
    path = folder / name
    path.write_bytes(_csv_bytes(header, rows, ";") + extra)
    return path


def test_stray_cell_far_below_is_refused_fast_naming_the_cell_and_the_limit_can_be_raised(tmp_path, monkeypatch):
    import time

    import evalkit as ek
    from evalkit.errors import DataError
    from evalkit.io import _sheet

    def stray(wb, ws):
        ws.cell(1_048_576, 2, "x")
    path = _xlsx(tmp_path, "stor.xlsx", DEC_HEADER, DEC_ROWS, stray)
    started = time.perf_counter()
    with pytest.raises(DataError) as err:
        ek.read_table(path)
    assert time.perf_counter() - started < 15        # was 32 s and 800 MB before the sparse reader
    assert "cell B1048576" in str(err.value) and "MAX_BLANK_RUN" in str(err.value)
    assert err.value.problems[0].row == 1_048_576 and err.value.problems[0].column == "B"
    # with the limit raised the sheet is read, every empty row accounted for
    monkeypatch.setattr(_sheet, "MAX_BLANK_RUN", 2_000_000)
    small = _xlsx(tmp_path, "mindre.xlsx", DEC_HEADER, DEC_ROWS, lambda wb, ws: ws.cell(20_005, 2, "x"))
    monkeypatch.setattr(_sheet, "MAX_BLANK_RUN", 10)
    with pytest.raises(DataError, match="cell B20005"):
        ek.read_table(small)
    monkeypatch.setattr(_sheet, "MAX_BLANK_RUN", 100_000)
    frame = ek.read_table(small)
    rec = ek.provenance.record_of(frame)
    assert len(frame) == 4 and rec.rows_read == 20_004 and rec.rows_read == rec.rows_kept + sum(
        e.count for e in rec.exclusions)


def test_sheet_cell_cap(tmp_path, monkeypatch):
    import evalkit as ek
    from evalkit.errors import DataError
    from evalkit.io import _sheet

    path = _xlsx(tmp_path, "bred.xlsx", DEC_HEADER, DEC_ROWS, lambda wb, ws: ws.cell(2, 16_384, "x"))
    monkeypatch.setattr(_sheet, "MAX_SHEET_CELLS", 10_000)
    with pytest.raises(DataError, match="XFD") as err:
        ek.read_table(path)
    assert "MAX_SHEET_CELLS" in str(err.value)


def test_xlsx_zip_bomb_is_refused_before_openpyxl_inflates_it(tmp_path, monkeypatch):
    import evalkit as ek
    from evalkit.errors import DataError

    path = _xlsx(tmp_path, "bomb.xlsx", DEC_HEADER, DEC_ROWS)
    _zip_bomb(path)
    calls = []
    import openpyxl
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: calls.append(a))
    with pytest.raises(DataError, match="max_ratio") as err:
        ek.load_decisions(path)
    assert "zip bomb" in str(err.value) and calls == []


def test_formula_without_a_saved_value_names_the_cells(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    def formulas(wb, ws):
        ws["J2"] = "=5*2"
        ws["J4"] = "=SUM(J2:J3)"
    path = _xlsx(tmp_path, "formler.xlsx", DEC_HEADER, DEC_ROWS, formulas)
    with pytest.raises(DataError) as err:
        ek.read_table(path)
    assert "2 formula cell(s)" in str(err.value) and "J2, J4" in str(err.value)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "J"), (4, "J")]


def test_a_formula_with_a_saved_value_is_read(tmp_path):
    """A workbook saved by Excel stores the result beside the formula; that is read as the value."""
    import evalkit as ek

    path = _xlsx(tmp_path, "sparad.xlsx", DEC_HEADER, DEC_ROWS)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode()
    # J2 holds 10 in the generated file: give it a formula and keep the cached value, as Excel writes it
    new = re.sub(r'<c r="J2"([^>]*)><v>10</v></c>', r'<c r="J2"\1><f>5*2</f><v>10</v></c>', xml)
    assert new != xml
    parts[sheet] = new.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    assert ek.read_table(path).loc[2, "timmar_per_manad"] == 10


def test_year_9999_is_a_data_error_naming_row_and_column(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    path = _dec_csv(tmp_path, _with(DEC_ROWS, 2, 6, "9999-12-31"))
    with pytest.raises(DataError) as err:
        ek.load_decisions(path)
    p = err.value.problems[0]
    assert (p.row, p.column) == (4, "slutdatum") and "1678–2261" in p.message
    with pytest.raises(DataError) as err:
        from evalkit.io.register import load_decisions_large
        load_decisions_large(path)
    assert err.value.problems[0].row == 4 and "1678–2261" in str(err.value)
    with pytest.warns(ek.DataWarning, match="1678–2261"):
        frame = ek.read_table(path)
    assert frame["slutdatum"].dtype == "string"   # kept as text, not a crash


@pytest.mark.parametrize("hours,ok", [("744", True), ("744,5", False), ("1000", False),
                                      ("12345678901234567890", False)])
def test_hours_per_month_above_a_month_are_refused(tmp_path, hours, ok):
    import evalkit as ek
    from evalkit.errors import DataError

    path = _dec_csv(tmp_path, _with(DEC_ROWS, 1, 9, hours))
    if ok:
        assert ek.load_decisions(path).loc[3, "hours_per_month"] == 744
        return
    with pytest.raises(DataError) as err:
        ek.load_decisions(path)
    p = err.value.problems[0]
    assert (p.row, p.column) == (3, "timmar_per_manad") and "744" in p.message


def test_visits_ending_before_they_start_are_flagged(tmp_path):
    import evalkit as ek

    rows = _with(_with(VIS_ROWS, 0, 3, "2024-01-02 07:00"), 2, 3, "2024-01-01 10:00")
    path = tmp_path / "besok.csv"
    path.write_bytes(_csv_bytes(VIS_HEADER, rows, ","))
    with pytest.warns(ek.DataWarning, match="2 row"):
        frame = ek.load_visits(path)
    assert ek.provenance.record_of(frame).flags == {"visit ends before it starts": (2, 4)}
    assert len(frame) == 3   # kept and flagged, like decisions


def test_duplicated_header_names_both_columns(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    header = DEC_HEADER[:-1] + ["beslutsdatum"]
    path = _dec_csv(tmp_path, header=header)
    with pytest.raises(DataError) as err:
        ek.load_decisions(path)
    assert "columns 5, 10" in str(err.value)
    with pytest.warns(ek.DataWarning, match="columns 5, 10"):
        frame = ek.read_table(path)
    assert "beslutsdatum.2" in frame.columns
    assert any("duplicated header" in n for n in ek.provenance.record_of(frame).notes)


def test_bom_in_mid_file_is_removed_and_the_repeated_header_excluded(tmp_path):
    import evalkit as ek

    second = b"\xef\xbb\xbf" + _csv_bytes(DEC_HEADER, [_with(DEC_ROWS, 0, 0, "B9")[0]], ";")
    path = _dec_csv(tmp_path, extra=second)
    with pytest.warns(ek.DataWarning, match="line\\(s\\) 5"):
        frame = ek.load_decisions(path)
    rec = ek.provenance.record_of(frame)
    assert list(frame["decision_id"]) == ["B1", "B2", "B3", "B9"]
    assert [(e.reason, e.rows) for e in rec.exclusions] == [("repeated header row", (5,))]


def test_cp1252_fallback_is_noted_with_line_and_byte(tmp_path):
    import evalkit as ek

    path = tmp_path / "beslut.csv"
    path.write_bytes(_csv_bytes(DEC_HEADER, DEC_ROWS, ";", encoding="cp1252"))
    rec = ek.provenance.record_of(ek.load_decisions(path))
    assert rec.source.encoding == "cp1252"
    assert "not valid UTF-8 (first at line 1, byte 0xf6); read as cp1252" in rec.notes


def test_binary_with_control_characters_is_not_text(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    path = tmp_path / "data.csv"
    path.write_bytes(bytes(range(1, 256)) * 40)
    with pytest.raises(DataError, match="binary"):
        ek.read_table(path)


def test_register_path_names_the_footnote_line(tmp_path):
    from evalkit.errors import DataError
    from evalkit.io.register import load_decisions_large

    path = _dec_csv(tmp_path, extra="\nKälla: Procapita, uttag 2024-10-01\n".encode())
    with pytest.raises(DataError) as err:
        load_decisions_large(path)
    assert "line 6" in str(err.value) and "footnote" in str(err.value)
    assert err.value.problems[0].row == 6
    import evalkit as ek
    rec = ek.provenance.record_of(ek.load_decisions(path, engine="pandas"))
    assert [e.rows for e in rec.exclusions if e.reason.startswith("footnote")] == [(6,)]


def test_register_path_refuses_duplicated_headers_and_names_the_users_file(tmp_path):
    from evalkit.errors import DataError
    from evalkit.io.register import load_decisions_large

    path = _dec_csv(tmp_path, header=DEC_HEADER[:-1] + ["enhet"])
    with pytest.raises(DataError, match="columns 3, 10") as err:
        load_decisions_large(path)
    assert "beslut.csv" in str(err.value) and "head.csv" not in str(err.value)
    (tmp_path / "tom.csv").write_bytes(b"")
    with pytest.raises(DataError) as err:
        load_decisions_large(tmp_path / "tom.csv")
    assert "tom.csv" in str(err.value) and "head" not in str(err.value)


def test_survey_waves(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    path = tmp_path / "enkat.csv"
    path.write_bytes(_csv_bytes(SUR_HEADER, _with(SUR_ROWS, 2, 1, "hösten"), ";"))
    with pytest.raises(DataError) as err:
        ek.load_survey(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(4, "wave")]
    path.write_bytes(_csv_bytes(SUR_HEADER, _with(SUR_ROWS, 1, 1, " "), ";"))
    with pytest.raises(DataError, match="no wave") as err:
        ek.load_survey(path)
    assert err.value.problems[0].row == 3
    rows = [_with(SUR_ROWS, i, 1, w)[i] for i, w in enumerate(["2019H1", "2019H2", "2019H1"])]
    path.write_bytes(_csv_bytes(SUR_HEADER, rows, ";"))
    with pytest.warns(ek.DataWarning, match="2019H1, 2019H2"):
        survey = ek.load_survey(path)
    assert list(survey.responses["wave"]) == ["2019H1", "2019H2", "2019H1"]


def test_sent_counts_must_be_whole_numbers(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    (tmp_path / "enkat.csv").write_bytes(_csv_bytes(SUR_HEADER, SUR_ROWS, ";"))
    sent = tmp_path / "utskick.csv"
    sent.write_text("wave;unit;sent\n2019;Norr;12\n2019;Söder;-3\n2020;Norr;7,5\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        ek.load_survey(tmp_path / "enkat.csv", sent=sent)
    assert "utskick.csv" in str(err.value) and [p.row for p in err.value.problems] == [3, 4]
    sent.write_text("wave;unit;sent\n2019;Norr;12\n", encoding="utf-8")
    assert ek.load_survey(tmp_path / "enkat.csv", sent=sent).sent["sent"].tolist() == [12]


@pytest.mark.parametrize("missing,refused", [([9.0], False), ([{"lo": 9.0, "hi": 99.0}], False),
                                             ([2.0], True), ([{"lo": 2.5, "hi": 3.5}], True)])
def test_spss_missing_codes_that_collide_with_answers(tmp_path, missing, refused):
    import evalkit as ek
    from evalkit.errors import DataError

    labels = dict(_sav_specs()[0][1]["labels"])
    path = _sav_writer(dict(labels=labels, missing=missing, values=[1, 2, 5, 9]))(tmp_path)
    if not refused:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ek.DataWarning)
            survey = ek.load_survey(path)
        assert survey.codebook.items["nojd"].scale.dont_know == ("Vet inte",)
        return
    with pytest.raises(DataError, match="overlap") as err:
        ek.load_survey(path)
    assert err.value.problems[0].column == "nojd"


def test_audit_context_cells_cannot_be_edited(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    path = _audit_form(tmp_path, lambda wb: setattr(wb["Granskning"]["B5"], "value", "Öst"))
    with pytest.raises(DataError) as err:
        ek.load_audit(path)
    assert [(p.row, p.column[:1]) for p in err.value.problems] == [(5, "B")]
    assert "cell B5" in str(err.value) and "unit" in str(err.value)


def test_audit_swapped_ids_are_named_but_sorting_whole_rows_is_fine(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    def swap(wb):
        ws = wb["Granskning"]
        ws["A3"].value, ws["A6"].value = ws["A6"].value, ws["A3"].value
    path = _audit_form(tmp_path, swap)
    with pytest.raises(DataError) as err:
        ek.load_audit(path)
    assert sorted(p.row for p in err.value.problems) == [3, 6]
    assert all("does not belong to this row" in p.message for p in err.value.problems)


def test_audit_question_text_and_meta_edits(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    path = _audit_form(tmp_path / "a", lambda wb: setattr(wb["Granskning"]["F2"], "value", "Något annat?"))
    with pytest.raises(DataError, match="cell F2: the question text") as err:
        ek.load_audit(path)
    assert err.value.problems[0].row == 2
    path = _audit_form(tmp_path / "b", lambda wb: setattr(_meta_row(wb, "reviewer")[1], "value", "2"))
    with pytest.raises(DataError, match="hidden '_meta' sheet was edited"):
        ek.load_audit(path)
    def unsealed_bad_columns(wb):   # a form without the checksum still has each key checked
        row = _meta_row(wb, "seal_sha256")
        row[0].value = row[1].value = None
        _meta_row(wb, "columns")[1].value = "[oops"
    path = _audit_form(tmp_path / "c", unsealed_bad_columns)
    with pytest.raises(DataError, match="key 'columns' is not a JSON list"), pytest.warns(ek.DataWarning):
        ek.load_audit(path)


def test_a_form_without_a_seal_is_read_with_a_warning(tmp_path):
    """Forms issued before the checksum existed still load, saying what cannot be checked."""
    import evalkit as ek

    def unseal(wb):
        row = _meta_row(wb, "seal_sha256")
        row[0].value = row[1].value = None
    path = _audit_form(tmp_path, unseal)
    with pytest.warns(ek.DataWarning, match="no checksum"):
        answers = ek.load_audit(path)
    assert answers["decision_id"].nunique() == 6


def test_hex_digest_holding_a_number_passes_in_the_meta_sheet_only(tmp_path):
    import evalkit as ek
    from evalkit.errors import IdentifierError
    from evalkit.privacy import holds_identifier

    assert holds_identifier(PLANTED_DIGEST)          # the gate's rules would refuse it anywhere else
    path = _planted_digest_form(tmp_path / "a")
    answers = ek.load_audit(path)
    assert answers.attrs["evalkit_audit_meta"]["manifest_sha256"] == PLANTED_DIGEST
    # the same digest typed into a user-visible cell is refused
    comment = lambda wb: setattr(wb["Granskning"].cell(3, wb["Granskning"].max_column), "value",  # noqa: E731
                                 PLANTED_DIGEST)
    from unittest import mock

    from evalkit.audit.sampling import AuditSample
    with mock.patch.object(AuditSample, "manifest_sha256", property(lambda self: PLANTED_DIGEST)):
        path = _audit_form(tmp_path / "b", comment)
    with pytest.raises(IdentifierError) as err:
        ek.load_audit(path)
    assert any(p.sheet == "Granskning" for p in err.value.problems)
    assert all(p.sheet != "_meta" for p in err.value.problems)


def test_codings_table_keeps_the_readers_row_accounting(tmp_path):
    import evalkit as ek

    path = tmp_path / "kodning.csv"
    path.write_bytes(_csv_bytes(COD_HEADER, COD_ROWS, ",") + "\nKälla: NVivo-export\n".encode())
    rec = ek.io.codings.provenance(ek.load_codings(path))
    assert rec.rows_read == 5 and rec.rows_kept == 3
    assert {e.reason: e.rows for e in rec.exclusions} == {"blank row": (5,),
                                                          "footnote/source row after the data": (6,)}


def test_spss_missing_range_right_after_the_scale_warns_naming_the_codes(tmp_path):
    import evalkit as ek

    labels = dict(_sav_specs()[0][1]["labels"])
    path = _sav_writer(dict(labels=labels, missing=[{"lo": 4.0, "hi": 9.0}], values=[1, 2, 4, 9]))(tmp_path)
    with pytest.warns(ek.DataWarning, match="4 'Ganska missnöjd', 5 'Mycket missnöjd'\\)"):
        survey = ek.load_survey(path)
    assert survey.codebook.items["nojd"].scale.labels == ("Mycket nöjd", "Ganska nöjd", "Varken eller")


def test_mixed_encoding_names_line_byte_and_position(tmp_path):
    import evalkit as ek
    from evalkit.errors import DataError

    path = tmp_path / "beslut.csv"
    path.write_bytes(_csv_bytes(DEC_HEADER, DEC_ROWS, ";") + b"B4;P4;S\xf6der;2024-01-02;2024-01-03;;;avslag;x;\n")
    with pytest.raises(DataError) as err:
        ek.load_decisions(path)
    assert "first at line 5, byte 0xf6 at position 8" in str(err.value)
    assert [p.row for p in err.value.problems] == [5]


def test_a_digest_prefix_shown_to_the_reviewer_never_reads_as_a_number(tmp_path):
    """The instructions show the sample's digest; a prefix holding a valid number is shortened, not refused."""
    from unittest import mock

    import evalkit as ek
    from evalkit.audit.sampling import AuditSample
    from evalkit.privacy import holds_identifier

    digest = "ab" + PNR_DIGITS + "cd" + "e" * 50
    assert holds_identifier(digest[:12])
    with mock.patch.object(AuditSample, "manifest_sha256", property(lambda self: digest)):
        path = _audit_form(tmp_path)
    answers = ek.load_audit(path)
    assert answers.attrs["evalkit_audit_meta"]["manifest_sha256"] == digest
