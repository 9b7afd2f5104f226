"""The README names real commands and routes, and its generated diagrams are fresh."""

from __future__ import annotations

import argparse
import re

from starlette.routing import Match

from tono.cli import build_parser
from tono.readme import README, render

ROOT = README.parent
NOT_ROUTES = {"usr", "etc", "tmp", "var", "home", "opt"}  # /usr/bin/chromium is a file on the machine, not a page


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

    named = {m.strip() for piece in _code(text) for m in re.findall(r"(?:^|[\s/])tono ((?:[a-z][a-z-]* ?)+)", piece)}

    assert named, "the README names no tono command"
    for command in named:
        words = command.split()
        prefixes = {" ".join(words[:k]) for k in range(1, len(words) + 1)}
        assert prefixes & leaves, f"README names `tono {command}`, which the command does not know"
    assert {"seed-demo", "run"} <= named
    assert {"db upgrade", "agreement check", "keys generate"} <= {" ".join(c.split()[:2]) for c in named}


def _code(text: str) -> list[str]:
    """The README's code: fenced blocks and `inline` spans, where it names commands someone types."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    prose = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    return blocks + re.findall(r"`([^`\n]+)`", prose)


def test_every_make_target_the_readme_names_is_in_the_makefile():
    text = README.read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))

    named = {m for piece in _code(text) for m in re.findall(r"(?:^|\s)make ([a-z][\w-]*)", piece)}

    assert {"run", "test"} <= named
    assert named <= targets, f"README names make targets the Makefile lacks: {sorted(named - targets)}"


def _routes_named(text: str) -> set[str]:
    """Every path on Tono's server the README names: in its links to 127.0.0.1:8000 and wherever it writes one,
    such as `/healthz` or …/chat/?start=<code> (query and trailing full stops left off)."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)  # the generated blocks' markers
    found = set(re.findall(r"http://127\.0\.0\.1:8000(/[^\s?#>)`\"']*)", text))
    found |= set(re.findall(r"(?<![\w.:/])(/[a-z][\w./{}-]*)", text))
    return {path.rstrip(".,") for path in found if path.split("/")[1] not in NOT_ROUTES}


async def test_every_route_the_readme_names_is_served_by_the_app(tmp_path):
    from linkqueue.http import inbox_router
    from protocol.agreement import load_agreement
    from tono.app import create_app
    from tono.settings import load_settings

    settings = load_settings(TONO_DATABASE_URL=f"sqlite:///{tmp_path / 'tono.db'}", TONO_KEYS_DIR=str(tmp_path))
    app = create_app(settings, load_agreement(), start_telegram=False, run_loops=False)
    # One organisation on its own server (TONO_ROLE) also serves the inbox for the other's messages.
    routes = [*app.router.routes, *inbox_router(None).routes]
    named = _routes_named(README.read_text(encoding="utf-8"))

    def served(path: str) -> bool:  # any method: a route only for POST still exists
        scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "headers": [], "query_string": b""}
        return any(route.matches(scope)[0] != Match.NONE for route in routes)

    unserved = sorted(path for path in named if not served(path))
    await app.state.engine.dispose()
    assert {"/chat/", "/provider/", "/agency/", "/healthz", "/openapi.json"} <= named
    assert not unserved, f"README names routes Tono does not serve: {unserved}"


def test_every_image_and_relative_link_in_the_readme_exists():
    text = README.read_text(encoding="utf-8")
    headings = {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}

    targets = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", text) + re.findall(r'<img [^>]*src="([^"]+)"', text)
    relative = [t for t in targets if not re.match(r"[a-z]+:", t)]

    assert any(t.endswith(".png") for t in relative), "the README embeds no screenshots"
    missing = [t for t in relative if t.split("#")[0] and not (ROOT / t.split("#")[0]).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"
    dangling = [t for t in relative if t.startswith("#") and t[1:] not in headings]
    assert not dangling, f"README links to headings it does not have: {dangling}"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
