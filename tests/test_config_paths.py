"""Config paths: read only inside the config's folder unless given absolute; clear messages (issue 13)."""
from __future__ import annotations

import os

import pytest

from evalkit.config import Evaluation
from evalkit.errors import ConfigError

BASE = '[evaluation]\ntitle = "t"\nseed = 1\n[change]\nname = "c"\ndate = 2020-01-01\n'


def _config(folder, data: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "eval.toml"
    path.write_text(BASE + data, encoding="utf-8")
    return path


@pytest.fixture
def outside(tmp_path):
    target = tmp_path / "elsewhere" / "beslut.csv"
    target.parent.mkdir()
    target.write_text("a;b\n1;2\n", encoding="utf-8")
    return target


def test_dotdot_out_of_the_config_folder_is_refused(tmp_path, outside):
    cfg = _config(tmp_path / "cfg", '[data.decisions]\npath = "../elsewhere/beslut.csv"\n')
    with pytest.raises(ConfigError, match=r"data\.decisions\.path: '\.\./elsewhere/beslut\.csv' leads outside"):
        Evaluation.from_toml(cfg)


def test_a_symbolic_link_out_of_the_config_folder_is_refused(tmp_path, outside):
    folder = tmp_path / "cfg"
    folder.mkdir()
    os.symlink(outside, folder / "beslut.csv")
    cfg = _config(folder, '[data.decisions]\npath = "beslut.csv"\n')
    with pytest.raises(ConfigError, match="symbolic link"):
        Evaluation.from_toml(cfg)


def test_an_absolute_path_is_explicit_and_read(tmp_path, outside):
    cfg = _config(tmp_path / "cfg", f'[data.decisions]\npath = "{outside.as_posix()}"\n')
    assert Evaluation.from_toml(cfg).data["decisions"].path == outside.resolve()


def test_a_folder_where_a_file_is_expected_and_a_missing_file_say_so(tmp_path):
    folder = tmp_path / "cfg"
    (folder / "svar").mkdir(parents=True)
    with pytest.raises(ConfigError, match=r"data\.survey\.path: 'svar' is a folder; give the file"):
        Evaluation.from_toml(_config(folder, '[data.survey]\npath = "svar"\n'))
    with pytest.raises(ConfigError, match=r"'nej\.csv' not found \(relative paths are read from the config's"):
        Evaluation.from_toml(_config(folder, '[data.survey]\npath = "nej.csv"\n'))


def test_a_parquet_folder_is_a_valid_decisions_path_and_sources_dir_must_be_a_folder(tmp_path):
    folder = tmp_path / "cfg"
    (folder / "register").mkdir(parents=True)
    (folder / "p.qdpx").write_bytes(b"")
    ev = Evaluation.from_toml(_config(folder, '[data.decisions]\npath = "register"\n'))
    assert ev.data["decisions"].path.is_dir()
    with pytest.raises(ConfigError, match=r"sources_dir: 'p\.qdpx' is a file; give the folder"):
        Evaluation.from_toml(_config(folder, '[data.codings]\npath = "p.qdpx"\nsources_dir = "p.qdpx"\n'))


def test_hostile_toml_files_are_config_errors(tmp_path):
    from evalkit._files import MAX_TOML_BYTES, read_toml

    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        read_toml(deep)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * MAX_TOML_BYTES, encoding="utf-8")
    with pytest.raises(ConfigError, match="is more than a file can be"):
        read_toml(big)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'x = "\xff"')
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_toml(bad)
    with pytest.raises(ConfigError, match="is a folder"):
        read_toml(tmp_path)
    with pytest.raises(ConfigError, match=r"config file not found: nej\.toml$"):
        read_toml(tmp_path / "nej.toml", "config file")
