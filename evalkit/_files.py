"""Writing output files atomically: a temporary file beside the target, then ``os.replace``.

``tempfile.mkstemp`` creates files readable by their owner only (0600); a report or a form
handed to colleagues should get the permissions any new file gets (0666 less the umask).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["temp_beside"]


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
