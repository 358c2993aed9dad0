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

__all__ = ["read_toml", "temp_beside"]


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
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
