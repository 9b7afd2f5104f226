"""Fixtures for the agency desk: the two units' officers signed in, on the `world` of tests/agency/conftest.py
(a family's request already at the agency, one task per unit)."""

from __future__ import annotations

import pytest

from agency.desk import store
from tests.agency.desk.agency_world import (
    EVALUATION,
    REPORTING,
    officer_browser,
    what_the_agency_has,
)


@pytest.fixture
async def found(world):
    return await what_the_agency_has(world)


@pytest.fixture
async def evaluation(world):
    """The evaluation unit's officer, signed in: (browser, CSRF token)."""
    client, csrf = await officer_browser(world.app, EVALUATION)
    yield client, csrf
    await client.aclose()


@pytest.fixture
async def reporting(world):
    """The service delivery reporting unit's officer, signed in: (browser, CSRF token)."""
    client, csrf = await officer_browser(world.app, REPORTING)
    yield client, csrf
    await client.aclose()


@pytest.fixture
async def tokens(world, found):
    """An API token for each unit's officer, by unit."""
    made = {}
    async with world.sessions.begin() as session:
        for unit, officer in found.officers.items():
            made[unit] = await store.create_token(session, officer, f"case system of {unit}")
    return made
