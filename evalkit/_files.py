"""File helpers shared by every layer: atomic output files and reading TOML settings files.

Output is written to a temporary file beside the target, then ``os.replace``d.
``tempfile.mkstemp`` creates files readable by their owner only (0600); a report or a form
handed to colleagues should get the permissions any new file gets (0666 less the umask).
"""
from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path

from evalkit.errors import ConfigError

__all__ = ["read_toml", "temp_beside", "MAX_TOML_BYTES"]

#: A settings file (config, mapping, checklist, codebook) larger than this is refused before parsing.
MAX_TOML_BYTES = 8 * 1024 * 1024


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def temp_beside(path: str | Path, suffix: str = ".tmp") -> Path:
    """An empty temporary file in ``path``'s folder (same file system, so ``os.replace`` is atomic)."""
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    os.chmod(name, _default_mode())
    return Path(name)


def read_toml(path: str | Path, what: str = "file") -> dict:
    """The TOML file at ``path`` as a dict; a missing, undecodable or invalid file is a ConfigError.

    ``what`` names the file in the message ("config file", "mapping file", "checklist").
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path.name}") from None
    if path.is_dir():
        raise ConfigError(f"{path.name}: is a folder, not a {what}")
    if size > MAX_TOML_BYTES:
        raise ConfigError(f"{path.name}: {size:,} bytes is more than a {what} can be ({MAX_TOML_BYTES:,})")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses per nesting level; a hostile file nests arrays thousands deep
        raise ConfigError(f"{path.name}: not valid TOML (nested too deeply)") from None
