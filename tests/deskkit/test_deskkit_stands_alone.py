"""deskkit is shared by both desks, so it may import neither side nor the composition root (DESIGN.md §2)."""

from __future__ import annotations

import ast
from pathlib import Path

import deskkit


def test_deskkit_imports_neither_bot_nor_agency_nor_tono():
    found = []
    for path in Path(deskkit.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in {"bot", "agency", "tono"}]

    assert found == []
