"""The README names real commands and routes, and its generated diagrams are fresh."""

from __future__ import annotations

import argparse
import re

from tono.cli import build_parser
from tono.readme import README, render


def test_the_readmes_lifecycle_diagrams_match_the_code():
    text = README.read_text(encoding="utf-8")

    assert render(text) == text, "README.md diagrams are stale: run `python -m tono.readme`"
    assert "stateDiagram-v2" in text


def test_the_readme_opens_with_the_two_commands():
    text = README.read_text(encoding="utf-8")

    assert text.index("make run") < text.index("make test") < text.index("## Settings")


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[str]:
    """Every command path the parser knows, e.g. "db upgrade"."""
    found = {" ".join(prefix)} if prefix else set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _commands(sub, (*prefix, name))
    return found


def test_every_tono_command_the_readme_names_exists():
    text = README.read_text(encoding="utf-8")
    known = _commands(build_parser())
    leaves = {c for c in known if not any(other.startswith(c + " ") for other in known)}

    named = {m.strip() for m in re.findall(r"`tono ((?:[a-z][a-z-]* ?)+)", text)}

    assert named, "the README names no tono command"
    for command in named:
        words = command.split()
        prefixes = {" ".join(words[:k]) for k in range(1, len(words) + 1)}
        assert prefixes & leaves, f"README names `tono {command}`, which the command does not know"
    assert {"seed-demo", "run"} <= named
    assert {"db upgrade", "agreement check", "keys generate"} <= {" ".join(c.split()[:2]) for c in named}
