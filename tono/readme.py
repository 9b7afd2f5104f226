"""Keeps the README's generated parts (the lifecycle diagrams) in step with `protocol`.

`python -m tono.readme` rewrites them; a test fails when the README's copy is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from protocol.lifecycle import mermaid
from protocol.tasks import task_mermaid

README = Path(__file__).resolve().parent.parent / "README.md"
GENERATED = {"request-lifecycle": mermaid, "task-lifecycle": task_mermaid}


def _block(name: str) -> str:
    return f"<!-- generated:{name} -->\n```mermaid\n{GENERATED[name]().rstrip()}\n```\n<!-- /generated:{name} -->"


def render(text: str) -> str:
    """The README text with every generated block made fresh."""
    for name in GENERATED:
        pattern = re.compile(rf"<!-- generated:{name} -->.*?<!-- /generated:{name} -->", re.DOTALL)
        text = pattern.sub(lambda _match, name=name: _block(name), text)
    return text


def main() -> int:
    text = README.read_text(encoding="utf-8")
    fresh = render(text)
    if fresh != text:
        README.write_text(fresh, encoding="utf-8")
        print("README.md: generated diagrams updated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
