"""Fixtures for the agency's side of reporting: the agency alone on an empty migrated database (SQLite and
PostgreSQL), with no demo data, so every record a test sees came from a report or an import it made."""

from __future__ import annotations

import pytest

from tests.agency.reports.reports_world import agency_world


@pytest.fixture
def migrated_url(database_url):
    """An empty database, migrated."""
    from tono import migrate

    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
async def agency(migrated_url, tmp_path):
    """The agency alone (reports_world.py): units, an officer per role, intake, its queue end, and the desk."""
    made = await agency_world(migrated_url, tmp_path)
    yield made
    await made.engine.dispose()
