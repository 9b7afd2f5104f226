"""The guides in docs/ name only real things: `tono` commands the command knows, settings Tono reads, files in
the repository, routes Tono serves, and links that lead somewhere. A guide that drifts from the code fails here."""

from __future__ import annotations

import argparse
import re
from itertools import product
from pathlib import Path

import pytest

from bot.flows import COMMAND_DESCRIPTIONS
from bot.language.i18n import say
from tono.cli import build_parser
from tono.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GUIDES = sorted(DOCS.glob("*.md"))

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
SPAN = re.compile(r"`([^`\n]+)`")
# A `tono` command where a shell would run it: at the start of a line or span, after a prompt, or as .venv/bin/tono.
COMMAND = re.compile(r"(?:^|\$ |bin/)tono ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", re.M)
SETTING = re.compile(r"\b(?:TONO|TELEGRAM)_[A-Z0-9_]*[A-Z0-9]\b")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FILE_ENDINGS = (".py", ".md", ".yaml", ".yml", ".po", ".toml", ".ini", ".html", ".css", ".txt", ".json", ".mako")
TOP_LEVEL = {p.name for p in ROOT.iterdir() if not p.name.startswith(".")}


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _code(text: str) -> tuple[list[str], list[str]]:
    """(the code spans, the fenced code blocks) of a Markdown text."""
    blocks = FENCE.findall(text)
    return SPAN.findall(FENCE.sub("", text)), blocks


def _command_tree(parser: argparse.ArgumentParser) -> dict[str, set[str]]:
    """Each top-level command, with its subcommands (empty for a command that has none)."""
    tree: dict[str, set[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                subs = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                tree[name] = {child for a in subs for child in a.choices}
    return tree


def _expand(path: str) -> list[str]:
    """`bot/locales/{en,mi}/x.po` -> both paths."""
    parts = re.split(r"\{([^{}]*,[^{}]*)\}", path)
    literals, choices = parts[0::2], [group.split(",") for group in parts[1::2]]
    return ["".join(p for pair in zip(literals, (*picked, ""), strict=True) for p in pair)
            for picked in product(*choices)]


def _repository_paths(spans: list[str], blocks: list[str]) -> set[str]:
    """Paths in the repository that a guide names: a code span that looks like a path (it has a slash and a file
    ending, or starts at a top-level folder), and words in code blocks that start at a top-level folder."""
    named = set()
    for span in spans:
        text = span.strip().rstrip(".,:;")
        if re.search(r"\s", text) or text.startswith(("/", ".", "~", "$", "-", "<")) or "://" in text:
            continue
        if "/" in text and (text.endswith(FILE_ENDINGS) or text.endswith("/") or text.split("/")[0] in TOP_LEVEL):
            named.add(text)
    for block in blocks:
        for word in re.findall(r"(?<![\w./-])([A-Za-z_][\w.-]*/[\w./{},*-]+)", block):
            if word.split("/")[0] in TOP_LEVEL:
                named.add(word.rstrip(".,:;"))
    return named


def _route_spans(text: str, first_segments: set[str]) -> set[str]:
    """The code spans of a guide that name a path Tono would serve (its first segment is one of Tono's)."""
    spans, _blocks = _code(text)
    return {span.split("?")[0] for span in spans if span.startswith("/") and not re.search(r"\s", span)
            and span.split("/")[1].split("?")[0] in first_segments}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[set[str], dict[str, bool]]:
    """The first segments of the paths Tono serves, and for each path a guide names, whether Tono serves it in
    any role: asked of the embedded default's app and of the protocol inbox an app for one organisation adds."""
    import asyncio

    import httpx
    from fastapi import FastAPI

    from linkqueue.http import inbox_router
    from protocol.agreement import load_agreement
    from tono.app import create_app
    from tono.settings import load_settings

    tmp = tmp_path_factory.mktemp("served")
    settings = load_settings(TONO_DATABASE_URL=f"sqlite:///{tmp}/docs.db", TONO_KEYS_DIR=tmp, TONO_ROLE="both",
                             TONO_PEER_URL="", TELEGRAM_BOT_TOKEN=None, TONO_PUBLIC_URL=None)
    app = create_app(settings, load_agreement(), start_telegram=False, run_loops=False)
    inbox = FastAPI()
    inbox.include_router(inbox_router(None))
    paths = [*app.openapi()["paths"], *inbox.openapi()["paths"], app.docs_url, app.openapi_url, app.redoc_url]
    first_segments = {path.split("/")[1] for path in paths if path and path.count("/")} - {""}
    named = set().union(*(_route_spans(guide.read_text(encoding="utf-8"), first_segments) for guide in GUIDES))

    async def ask() -> dict[str, bool]:
        answers = {}
        try:
            for path in sorted(named):
                answers[path] = False
                for each in (app, inbox):
                    transport = httpx.ASGITransport(app=each, raise_app_exceptions=False)
                    async with httpx.AsyncClient(transport=transport, base_url="http://tono.test") as client:
                        answer = await client.get(path)
                    # An unknown path gets FastAPI's own 404; a known one anything else (a page, 401, 405 …).
                    if not (answer.status_code == 404 and answer.json() == {"detail": "Not Found"}):
                        answers[path] = True
        finally:
            await app.state.engine.dispose()
        return answers

    return first_segments, asyncio.run(ask())


@pytest.mark.parametrize("guide", GUIDES, ids=_ids(GUIDES))
def test_every_tono_command_a_guide_names_exists(guide):
    spans, blocks = _code(guide.read_text(encoding="utf-8"))
    tree = _command_tree(build_parser())

    wrong = []
    for code in [*spans, *blocks]:
        for command, sub in COMMAND.findall(code):
            if command not in tree:
                wrong.append(f"tono {command}")
            elif tree[command] and sub not in tree[command]:
                wrong.append(f"tono {command} {sub}".strip())

    assert not wrong, f"{guide.name} names commands `tono` does not know: {sorted(set(wrong))}"


@pytest.mark.parametrize("guide", GUIDES, ids=_ids(GUIDES))
def test_every_setting_a_guide_names_is_one_tono_reads(guide):
    known = {field.alias for field in Settings.model_fields.values()}

    named = set(SETTING.findall(guide.read_text(encoding="utf-8")))

    assert named <= known, f"{guide.name} names settings tono/settings.py does not have: {sorted(named - known)}"


@pytest.mark.parametrize("guide", GUIDES, ids=_ids(GUIDES))
def test_every_repository_file_a_guide_names_exists(guide):
    spans, blocks = _code(guide.read_text(encoding="utf-8"))

    missing = [path for named in sorted(_repository_paths(spans, blocks)) for path in _expand(named)
               if not (list(ROOT.glob(path)) if "*" in path else (ROOT / path).exists())]

    assert not missing, f"{guide.name} names files that are not in the repository: {missing}"


@pytest.mark.parametrize("guide", GUIDES, ids=_ids(GUIDES))
def test_every_relative_link_in_a_guide_leads_to_a_file(guide):
    links = [link for link in LINK.findall(guide.read_text(encoding="utf-8"))
             if not re.match(r"[a-z]+:", link) and not link.startswith("#")]

    broken = [link for link in links if not (guide.parent / link.split("#")[0]).exists()]

    assert not broken, f"{guide.name} links to files that do not exist: {broken}"


@pytest.mark.parametrize("guide", GUIDES, ids=_ids(GUIDES))
def test_every_route_a_guide_names_is_one_tono_serves(guide, served):
    first_segments, answers = served

    named = _route_spans(guide.read_text(encoding="utf-8"), first_segments)

    assert named or guide.name not in ("telegram.md", "two-organisations.md"), "found no route to check"
    assert not [path for path in sorted(named) if not answers[path]], \
        f"{guide.name} names routes Tono does not serve: {[p for p in sorted(named) if not answers[p]]}"


def test_the_telegram_guide_lists_the_menu_commands_tono_sets_with_their_english_descriptions():
    text = (DOCS / "telegram.md").read_text(encoding="utf-8")

    rows = dict(re.findall(r"^\| `/([a-z]+)` \| ([^|]+?) \|", text, re.M))

    assert set(rows) == set(COMMAND_DESCRIPTIONS)
    for name, description in COMMAND_DESCRIPTIONS.items():
        assert rows[name] == say(description, "en", "adult"), f"/{name}"


def test_the_docs_index_lists_every_guide():
    index = (DOCS / "README.md").read_text(encoding="utf-8")

    listed = set(LINK.findall(index))

    assert {guide.name for guide in GUIDES} - {"README.md"} <= listed


def test_a_guide_naming_an_unknown_command_setting_file_or_link_would_fail(tmp_path):
    guide = tmp_path / "broken.md"
    guide.write_text("Run `tono db upgrad` with `TONO_DATABSE_URL` set, see `tono/setings.py` and "
                     "[the guide](no-such-guide.md).\n", encoding="utf-8")

    for check in (test_every_tono_command_a_guide_names_exists, test_every_setting_a_guide_names_is_one_tono_reads,
                  test_every_repository_file_a_guide_names_exists,
                  test_every_relative_link_in_a_guide_leads_to_a_file):
        with pytest.raises(AssertionError):
            check(guide)
