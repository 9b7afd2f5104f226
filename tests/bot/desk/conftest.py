"""The provider desk's fixtures: the whole Tono app on a seeded database, and a browser-like client."""

from __future__ import annotations

import pytest

from tests.bot.desk.provider_desk_support import client_for, make_app


@pytest.fixture
async def app(seeded_url, tmp_path):
    app = make_app(seeded_url, tmp_path / "keys")
    yield app
    await app.state.engine.dispose()


@pytest.fixture
async def client(app):
    async with client_for(app) as c:
        yield c
