"""Imports flow one way (DESIGN.md): base → io → analysis → report; config, pipeline and cli on top.

The rule is checked on the source: every ``import evalkit.X`` / ``from evalkit.X import`` in a layer must
name a module the layer may use, including imports inside functions.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evalkit"

BASE = {"errors", "provenance", "privacy", "schemas", "i18n", "blocks", "_files", "_dates"}
TOP = {"config", "pipeline", "cli", "kinds", "init", "findings", "findings_text"}
# layer -> evalkit top-level modules it must not import
FORBIDDEN = {
    "base": {"io", "outcomes", "staff", "analysis", "audit", "report", "implementation"} | TOP,
    "io": {"outcomes", "staff", "analysis", "audit", "report", "implementation"} | TOP,
    "outcomes": {"io", "analysis", "audit", "report", "implementation"} | TOP,
    "staff": {"io", "analysis", "audit", "report", "implementation"} | TOP,
    "analysis": {"io", "report", "implementation"} | TOP,
    "implementation": {"io", "report"} | TOP,
    "audit": {"report"} | TOP,
    "report": {"io", "outcomes", "staff", "analysis", "audit", "implementation"} | TOP,
}
# the one exception: the CFIR codebook is handed out as a Codings and written with the REFI-QDA writer
# (io.codings, io.refi_write); the rating form is written like the audit forms, without io
ALLOWED = {"implementation/cfir.py": {"io"}}


def layer_of(path: Path) -> str | None:
    top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    if top in BASE:
        return "base"
    return top if top in FORBIDDEN else None


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (type hints import nothing at run time)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", None) == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


def evalkit_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evalkit."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "evalkit":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("evalkit."))
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) is not None)


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_imports_follow_the_layers(path):
    layer = layer_of(path)
    wrong = evalkit_imports(path) & FORBIDDEN[layer] - ALLOWED.get(str(path.relative_to(PACKAGE)), set())
    assert not wrong, f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(wrong)}"
