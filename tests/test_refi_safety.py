"""A REFI-QDA project is untrusted input: hostile .qdpx files built here, each refused with a clear DataError or
IdentifierError (never a host file read, never a dependency traceback, never a number echoed).

Cases: external paths (absolute://, relative:// with '..' or basePath, symbolic links) with and without
sources_dir; zip bombs (ratio, declared sizes, total, member count); zip-slip member names; DTD/entity XML;
invalid UTF-8; identity numbers in every kind of string the reader takes in.
"""
from __future__ import annotations

import os
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from evalkit.errors import ConfigError, DataError, IdentifierError
from evalkit.io.codings import ArchiveLimits, load_codings

G = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 40)]
PNR = "19640823-3234"      # Swedish personnummer from Skatteverket's documentation (valid Luhn digit)
FNR = "15038550060"        # Norwegian fødselsnummer: 15.03.85, individual number 500, both mod-11 controls hold
MIB = 1024 * 1024


def _project(body: str, *, attrs: str = "", doctype: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{doctype}<Project xmlns="urn:QDA-XML:project:1.0" name="t" '
            f'origin="MAXQDA 24" {attrs}>{body}</Project>').encode()


def _zip(path: Path, xml: bytes, files: dict[str, bytes] | None = None,
         compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr("project.qde", xml)
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return path


def _text_source(ref: str, guid: str = G[1], name: str = "Intervju 1") -> str:
    return (f'<CodeBook><Codes><Code guid="{G[0]}" name="A" isCodable="true"/></Codes></CodeBook>'
            f'<Sources><TextSource guid="{guid}" name="{name}" plainTextPath="{ref}"/></Sources>')


@pytest.fixture
def host_file(tmp_path) -> Path:
    """A file outside every folder the reader may use, standing in for /etc/passwd."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "passwd"
    secret.write_text("root:x:0:0:secret host file\n", encoding="utf-8")
    return secret


# ----------------------------------------------------------------------------- external sources
@pytest.mark.parametrize("ref", ["absolute:///etc/passwd", "relative://../../etc/passwd", "relative://passwd",
                                 "absolute:///C:/Users/anna/Documents/intervju.txt"])
def test_external_source_without_sources_dir_is_refused_naming_the_source_not_the_path(tmp_path, ref):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source(ref), attrs='basePath="/etc"'))
    with pytest.raises(DataError) as err:
        load_codings(path)
    msg = str(err.value)
    assert "sources_dir" in msg and f"guid={G[1]}" in msg and "'Intervju 1'" in msg
    assert "passwd" not in msg and "/etc" not in msg and "anna" not in msg  # no host path in the message


def test_absolute_path_to_a_host_file_is_not_read_even_with_sources_dir(tmp_path, host_file):
    src = tmp_path / "src"
    src.mkdir()
    path = _zip(tmp_path / "p.qdpx", _project(_text_source(f"absolute://{host_file}")))
    with pytest.raises(DataError, match="not in sources_dir"):
        load_codings(path, sources_dir=src)


def test_relative_dotdot_leaving_sources_dir_is_refused(tmp_path, host_file):
    src = tmp_path / "src"
    src.mkdir()
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("relative://../outside/passwd")))
    with pytest.raises(DataError, match="leads outside sources_dir"):
        load_codings(path, sources_dir=src)


def test_base_path_of_the_project_is_never_used(tmp_path, host_file):
    src = tmp_path / "src"
    src.mkdir()
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("relative://passwd"),
                                              attrs=f'basePath="{host_file.parent}"'))
    with pytest.raises(DataError, match="not in sources_dir"):
        load_codings(path, sources_dir=src)
    # the same name inside sources_dir is what gets read
    (src / "passwd").write_text("Intervjun börjar.\n", encoding="utf-8")
    assert load_codings(path, sources_dir=src).sources["text"].iloc[0] == "Intervjun börjar.\n"


def test_symbolic_link_out_of_sources_dir_is_refused(tmp_path, host_file):
    src = tmp_path / "src"
    src.mkdir()
    os.symlink(host_file, src / "link.txt")
    for ref in ("relative://link.txt", "absolute:///home/x/link.txt"):
        path = _zip(tmp_path / "p.qdpx", _project(_text_source(ref)))
        with pytest.raises(DataError, match="sources_dir"):
            load_codings(path, sources_dir=src)


def test_external_sources_are_read_from_sources_dir(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_text("Relativ text\n", encoding="utf-8")
    (src / "b.txt").write_text("Absolut text\n", encoding="utf-8")
    body = (f'<Sources><TextSource guid="{G[1]}" name="a" plainTextPath="relative:///sub/a.txt"/>'
            f'<TextSource guid="{G[2]}" name="b" plainTextPath="absolute:///C:/Users/anna/b.txt"/></Sources>')
    c = load_codings(_zip(tmp_path / "p.qdpx", _project(body)), sources_dir=src)
    assert list(c.sources["text"]) == ["Relativ text\n", "Absolut text\n"]


def test_sources_dir_that_is_no_folder_is_refused(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("relative://a.txt")))
    with pytest.raises(DataError, match="not a folder"):
        load_codings(path, sources_dir=tmp_path / "nowhere")


def test_internal_path_with_dotdot_is_refused(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("internal://../../etc/passwd")),
                {"sources/passwd": b"inside the archive"})
    with pytest.raises(DataError, match="leaves the project's sources"):
        load_codings(path)


def test_bare_qde_does_not_follow_a_link_out_of_its_folder(tmp_path, host_file):
    proj = tmp_path / "proj"
    (proj / "Sources").mkdir(parents=True)
    os.symlink(host_file, proj / "Sources" / "x.txt")
    (proj / "project.qde").write_bytes(_project(_text_source("internal://x.txt")))
    with pytest.raises(DataError, match="missing source file"):
        load_codings(proj / "project.qde")


def test_unknown_path_scheme_is_refused(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("http://example.org/a.txt")))
    with pytest.raises(DataError, match="scheme 'http'"):
        load_codings(path)


# ----------------------------------------------------------------------------- archive limits
def test_zip_bomb_by_ratio_is_refused_before_inflating(tmp_path):
    path = _zip(tmp_path / "bomb.qdpx", _project(_text_source("internal://x.txt")),
                {"sources/x.txt": b"\0" * (64 * MIB)})
    assert path.stat().st_size < MIB
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(DataError, match="max_ratio"):
        load_codings(path)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * MIB and elapsed < 10


def _declare_size(path: Path, member: str, size: int) -> None:
    """Patch the central directory so `member` claims `size` uncompressed bytes (a lying zip header)."""
    data = bytearray(path.read_bytes())
    pos = 0
    while True:
        at = data.find(b"PK\x01\x02", pos)
        assert at >= 0, "member not found"
        n = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46: at + 46 + n].decode() == member:
            struct.pack_into("<I", data, at + 24, size)
            break
        pos = at + 4
    path.write_bytes(bytes(data))


def test_declared_huge_member_is_refused_naming_the_source_and_the_limit(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("internal://x.txt")), {"sources/x.txt": b"kort"})
    _declare_size(path, "sources/x.txt", 0xFFFFFFF0)
    with pytest.raises(DataError) as err:
        load_codings(path)
    assert "max_member_bytes" in str(err.value) and f"<TextSource guid={G[1]}" in str(err.value)
    assert "4096.0 MiB" in str(err.value)


def test_member_longer_than_declared_is_a_data_error(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("internal://x.txt")),
                {"sources/x.txt": b"en text som blir avkortad\n"}, compression=zipfile.ZIP_STORED)
    _declare_size(path, "sources/x.txt", 5)
    with pytest.raises(DataError, match="cannot be unpacked"):
        load_codings(path)


def test_huge_source_is_refused_naming_the_limit_and_limits_can_be_raised(tmp_path):
    text = ("Ett långt svar om hemtjänsten. " * 40_000).encode()  # 1.2 MiB, compresses < 200 times
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("internal://x.txt")), {"sources/x.txt": text})
    with pytest.raises(DataError) as err:
        load_codings(path, limits={"max_member_bytes": MIB, "max_ratio": 1e6})
    assert "max_member_bytes" in str(err.value) and "1 MiB per file" in str(err.value)
    assert f"<TextSource guid={G[1]}" in str(err.value)
    c = load_codings(path, limits=ArchiveLimits(max_member_bytes=2 * MIB, max_ratio=1e6))
    assert len(c.sources["text"].iloc[0]) == len(text.decode())


def test_total_unpacked_size_is_capped(tmp_path):
    body = ("<Sources>" + "".join(f'<TextSource guid="{G[i]}" name="s{i}" plainTextPath="internal://{i}.txt"/>'
                                  for i in (1, 2)) + "</Sources>")
    files = {f"sources/{i}.txt": os.urandom(600_000).hex().encode()[:600_000] for i in (1, 2)}
    path = _zip(tmp_path / "p.qdpx", _project(body), files)
    with pytest.raises(DataError, match="max_total_bytes"):
        load_codings(path, limits={"max_total_bytes": MIB})


def test_member_count_is_capped(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(""), {f"sources/{i}.txt": b"x" for i in range(10)})
    with pytest.raises(DataError, match="max_members"):
        load_codings(path, limits={"max_members": 5})


def test_unknown_limit_key_is_a_config_error(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(""))
    with pytest.raises(ConfigError, match="max_bytes"):
        load_codings(path, limits={"max_bytes": 1})


@pytest.mark.parametrize("member", ["../evil.txt", "/abs/evil.txt", "sources/../../evil.txt", "C:/evil.txt",
                                    "sources\\..\\..\\evil.txt"])
def test_zip_slip_member_names_refuse_the_archive(tmp_path, member):
    path = _zip(tmp_path / "p.qdpx", _project(""), {member: b"x"})
    with pytest.raises(DataError, match="zip-slip"):
        load_codings(path)


def test_truncated_zip_is_a_data_error(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("internal://x.txt")), {"sources/x.txt": b"a" * 5000})
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DataError):
        load_codings(path)


# ----------------------------------------------------------------------------- XML
BILLION_LAUGHS = ('<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                  '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')
EXTERNAL = '<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("doctype, body", [(BILLION_LAUGHS, "<Description>&d;</Description>"),
                                           (EXTERNAL, "<Description>&x;</Description>"),
                                           ("<!DOCTYPE Project>", "")])
def test_dtd_and_entities_are_refused(tmp_path, doctype, body):
    path = _zip(tmp_path / "p.qdpx", _project(body, doctype=doctype))
    with pytest.raises(DataError, match="DTD or entities"):
        load_codings(path)


def test_dtd_in_a_bare_codebook_is_refused(tmp_path):
    p = tmp_path / "c.qdc"
    p.write_bytes(BILLION_LAUGHS.replace("Project", "CodeBook").encode()
                  + b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    with pytest.raises(DataError, match="DTD or entities"):
        load_codings(p)


def test_deeply_nested_codes_do_not_overflow_the_stack(tmp_path):
    depth = 3000
    guids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, depth + 1)]
    xml = "".join(f'<Code guid="{g}" name="k{i}" isCodable="true">' for i, g in enumerate(guids)) + "</Code>" * depth
    c = load_codings(_zip(tmp_path / "p.qdpx", _project(f"<CodeBook><Codes>{xml}</Codes></CodeBook>")))
    assert len(c.codes) == depth and c.codes["depth"].max() == depth - 1


# ----------------------------------------------------------------------------- encodings
def test_invalid_utf8_in_a_source_names_the_source(tmp_path):
    data = "Första raden\nAndra ".encode() + b"\xe5r fel\n"  # a Latin-1 'å' in a UTF-8 file
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("internal://x.txt")), {"sources/x.txt": data})
    with pytest.raises(DataError) as err:
        load_codings(path)
    msg = str(err.value)
    assert f"<TextSource guid={G[1]}" in msg and "not valid UTF-8" in msg and "line 2" in msg


def test_utf16_with_bom_is_read(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("internal://x.txt")),
                {"sources/x.txt": "Hälsning\r\n".encode("utf-16")})
    assert load_codings(path).sources["text"].iloc[0] == "Hälsning\n"


# ----------------------------------------------------------------------------- identity numbers
def _everything(value: str, where: str) -> tuple[bytes, dict[str, bytes], str]:
    """A project with `value` placed in one kind of string; returns (xml, files, expected place)."""
    v = {k: "x" for k in ("project", "user", "code", "desc", "preview", "note", "set", "var", "case", "text")}
    v[where] = value
    body = (f'<Users><User guid="{G[20]}" name="{v["user"]}"/></Users>'
            f'<CodeBook><Codes><Code guid="{G[0]}" name="{v["code"]}" isCodable="true">'
            f'<Description>{v["desc"]}</Description></Code></Codes></CodeBook>'
            f'<Variables><Variable guid="{G[5]}" name="grupp" typeOfVariable="Text"/></Variables>'
            f'<Cases><Case guid="{G[6]}" name="{v["case"]}"><VariableValue><VariableRef targetGUID="{G[5]}"/>'
            f'<TextValue>{v["var"]}</TextValue></VariableValue><SourceRef targetGUID="{G[1]}"/></Case></Cases>'
            f'<Sources><TextSource guid="{G[1]}" name="s" plainTextPath="internal://{G[1]}.txt">'
            f'<PlainTextSelection guid="{G[2]}" name="{v["preview"]}" startPosition="0" endPosition="4">'
            f'<Coding guid="{G[3]}" creatingUser="{G[20]}"><CodeRef targetGUID="{G[0]}"/></Coding>'
            f'</PlainTextSelection></TextSource></Sources>'
            f'<Notes><Note guid="{G[7]}" name="memo"><PlainTextContent>{v["note"]}</PlainTextContent></Note></Notes>'
            f'<Sets><Set guid="{G[8]}" name="{v["set"]}"/></Sets>')
    xml = _project(body).replace(b'name="t"', f'name="{v["project"]}"'.encode())
    files = {f"sources/{G[1]}.txt": f"Text {v['text']} slut.\n".encode()}
    place = {"project": "<Project>", "user": f"<User guid={G[20]}>", "code": f"<Code guid={G[0]}>",
             "desc": f"<Description> in <Code guid={G[0]}>", "preview": f"<PlainTextSelection guid={G[2]}>",
             "note": f"<PlainTextContent> in <Note guid={G[7]}>", "set": f"<Set guid={G[8]}>",
             "var": f"<TextValue> in <Case guid={G[6]}>", "case": f"<Case guid={G[6]}>",
             "text": f"<TextSource guid={G[1]} name='s'>"}[where]
    return xml, files, place


def test_project_without_numbers_passes_the_gate(tmp_path):
    xml, files, _ = _everything("x", "text")
    c = load_codings(_zip(tmp_path / "p.qdpx", xml, files))
    assert len(c.segments) == 1 and c.segments["text"].iloc[0] == "Text"


@pytest.mark.parametrize("where", ["project", "user", "code", "desc", "preview", "note", "set", "var", "case",
                                   "text"])
@pytest.mark.parametrize("number, kind", [(PNR, "personnummer"), (FNR, "fødselsnummer")])
def test_identity_number_anywhere_is_refused_naming_the_place_never_the_number(tmp_path, where, number, kind):
    xml, files, place = _everything(f"ring om {number} idag", where)
    with pytest.raises(IdentifierError) as err:
        load_codings(_zip(tmp_path / "p.qdpx", xml, files))
    msg = str(err.value)
    assert number not in msg and number.replace("-", "") not in msg and number[-4:] not in msg
    assert place in msg and kind in msg


def test_identity_number_in_an_archive_member_name_is_refused(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(""), {f"sources/{PNR}.txt": b"x"})
    with pytest.raises(IdentifierError) as err:
        load_codings(path)
    assert "archive member no. 2" in str(err.value) and PNR[-4:] not in str(err.value)


def test_identity_number_in_a_pdf_representation_and_an_external_text(tmp_path):
    rep = (f'<Sources><PDFSource guid="{G[1]}" name="beslut.pdf" path="internal://{G[1]}.pdf">'
           f'<Representation guid="{G[2]}" plainTextPath="internal://{G[2]}.txt"/></PDFSource></Sources>')
    path = _zip(tmp_path / "p.qdpx", _project(rep), {f"sources/{G[2]}.txt": f"pnr {PNR}".encode()})
    with pytest.raises(IdentifierError, match=f"<PDFSource guid={G[1]}"):
        load_codings(path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(f"pnr {PNR}\n", encoding="utf-8")
    path = _zip(tmp_path / "q.qdpx", _project(_text_source("relative://a.txt")))
    with pytest.raises(IdentifierError, match=f"<TextSource guid={G[1]}"):
        load_codings(path, sources_dir=src)


def test_guid_attributes_are_keys_not_text(tmp_path):
    # a well-formed GUID whose first groups read like a personnummer is a key: the gate passes over it
    guid = "19640823-3234-4000-8000-000000000001"
    body = f'<CodeBook><Codes><Code guid="{guid}" name="A" isCodable="true"/></Codes></CodeBook>'
    c = load_codings(_zip(tmp_path / "p.qdpx", _project(body)))
    assert list(c.codes["code_guid"]) == [guid]


def test_deeply_nested_unknown_elements_are_listed_not_a_crash(tmp_path):
    depth = 100_000
    body = "<Notes>" + "<X>" * depth + "</X>" * depth + "</Notes>"
    c = load_codings(_zip(tmp_path / "p.qdpx", _project(body)), limits={"max_ratio": 1e6})
    assert c.report.skipped[["element", "count"]].values.tolist() == [["Notes", 1]]


@pytest.mark.parametrize("ref", ["internal://a%00.txt", "relative://a%00b.txt"])
def test_nul_in_a_path_is_refused(tmp_path, ref):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source(ref)))
    with pytest.raises(DataError, match="NUL"):
        load_codings(path, sources_dir=tmp_path)


def test_overlong_external_name_is_a_data_error(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("relative://" + "a" * 5000 + ".txt")))
    with pytest.raises(DataError, match="sources_dir|cannot be resolved"):
        load_codings(path, sources_dir=tmp_path)


def test_encrypted_member_is_a_data_error(tmp_path):
    path = _zip(tmp_path / "p.qdpx", _project(_text_source("internal://x.txt")), {"sources/x.txt": b"hemligt"})
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)  # central record of the second member
    struct.pack_into("<H", data, at + 8, struct.unpack_from("<H", data, at + 8)[0] | 0x1)
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="encrypted"):
        load_codings(path)


def test_bare_project_file_above_the_limit_is_refused(tmp_path):
    p = tmp_path / "big.qde"
    p.write_bytes(_project("<Description>" + "x" * 3 * MIB + "</Description>"))
    with pytest.raises(DataError, match="max_member_bytes"):
        load_codings(p, limits={"max_member_bytes": MIB})


def test_a_slice_that_cuts_a_long_number_down_to_an_identity_number_is_refused(tmp_path):
    text = f"Ordernr 1{PNR.replace('-', '')} klart.\n"   # 13 digits: no identity number as a whole
    a = text.index(PNR[:8])

    def project(start: int, end: int) -> bytes:
        return _project(f'<CodeBook><Codes><Code guid="{G[0]}" name="A" isCodable="true"/></Codes></CodeBook>'
                        f'<Sources><TextSource guid="{G[1]}" name="s" plainTextPath="internal://x.txt">'
                        f'<PlainTextSelection guid="{G[2]}" name="" startPosition="{start}" endPosition="{end}">'
                        f'<Coding guid="{G[3]}"><CodeRef targetGUID="{G[0]}"/></Coding></PlainTextSelection>'
                        '</TextSource></Sources>')

    whole = _zip(tmp_path / "w.qdpx", project(a - 1, a + 12), {"sources/x.txt": text.encode()})
    assert load_codings(whole).segments["text"].iloc[0] == "1" + PNR.replace("-", "")
    cut = _zip(tmp_path / "c.qdpx", project(a, a + 12), {"sources/x.txt": text.encode()})
    with pytest.raises(IdentifierError, match="segments") as err:
        load_codings(cut)
    assert PNR.replace("-", "") not in str(err.value)


@pytest.mark.parametrize("limits", [{"max_ratio": 0}, {"max_members": "many"}, {"max_total_bytes": -1},
                                    {"ratio_floor": True}])
def test_nonsense_limits_are_config_errors(tmp_path, limits):
    path = _zip(tmp_path / "p.qdpx", _project(""))
    with pytest.raises(ConfigError, match="positive number"):
        load_codings(path, limits=limits)


def test_config_sources_dir_reaches_the_reader_and_is_the_only_folder_read(tmp_path):
    from evalkit.config import Evaluation
    from evalkit.pipeline import load_sources

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Relativ text\n", encoding="utf-8")
    body = f'<Sources><TextSource guid="{G[1]}" name="a" plainTextPath="relative:///a.txt"/></Sources>'
    _zip(tmp_path / "p.qdpx", _project(body))
    config = tmp_path / "eval.toml"
    base = ('[evaluation]\ntitle = "t"\nseed = 1\n[change]\nname = "c"\ndate = 2020-01-01\n'
            '[data.codings]\npath = "p.qdpx"\n')
    config.write_text(base, encoding="utf-8")
    with pytest.raises(DataError, match="pass sources_dir"):
        load_sources(Evaluation.from_toml(config))
    config.write_text(base + 'sources_dir = "src"\n', encoding="utf-8")
    assert list(load_sources(Evaluation.from_toml(config))["codings"].sources["text"]) == ["Relativ text\n"]
