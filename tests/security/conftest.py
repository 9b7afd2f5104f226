"""The hostile-input table's fixtures: the whole Tono app on one seeded database per module and database
kind, with both desks signed in. Rows share it because a refusal changes nothing (each row checks that),
and signing in (argon2, on purpose slow) once rather than per row keeps the table fast."""

from __future__ import annotations

import shutil
from contextlib import AsyncExitStack, ExitStack

import pytest
import pytest_asyncio

from tests.bot.chat_driver import FamilyChat
from tests.conftest import _postgres_or_skip, _postgres_url, _throwaway_postgres
from tests.security.hostile_support import signed_in_desks, tono_app

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=DATABASES)
def seeded_module_url(request, _seeded_templates, tmp_path_factory):
    """A fresh seeded database for this module, on SQLite and on PostgreSQL (a NUL only fails there)."""
    if request.param == "postgresql":
        _postgres_or_skip()
    template = _seeded_templates(request.param)
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            copy = tmp_path_factory.mktemp("hostile") / "tono.db"
            shutil.copyfile(template, copy)
            yield f"sqlite+aiosqlite:///{copy}"
        else:
            yield _postgres_url(cleanup.enter_context(_throwaway_postgres(template)))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tono(seeded_module_url, tmp_path_factory):
    app = tono_app(seeded_module_url, tmp_path_factory.mktemp("keys"))
    yield app
    await app.state.engine.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desks(tono):
    """Each desk signed in once: {"provider": Desk, "agency": Desk}."""
    async with AsyncExitStack() as stack:
        yield await signed_in_desks(tono, stack)


@pytest.fixture
def sessions(tono):
    return tono.state.sessions


@pytest.fixture
def new_chat(tono, request):
    counter = iter(range(1, 10_000))
    name = request.node.name

    def make(hint: str | None = "en") -> FamilyChat:
        return FamilyChat(tono.state.conversations, f"{name}-{next(counter)}"[-120:], hint)

    return make
