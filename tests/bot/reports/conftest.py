"""Reports tests run on a migrated, empty database (SQLite and PostgreSQL) with people and programme records
inserted directly, and the provider's real end of the queue (signed messages in its outbox)."""

from __future__ import annotations

import pytest

from linkqueue.sql import SqlQueueEnd
from protocol.agreement import load_agreement
from tono import migrate
from tono.database import make_engine, make_sessionmaker
from tono.keys import load_keys


@pytest.fixture
def migrated_url(database_url):
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
async def sessions(migrated_url):
    engine = make_engine(migrated_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def agreement():
    return load_agreement()


@pytest.fixture
def keys(agreement, tmp_path):
    return load_keys(agreement, tmp_path / "keys")


@pytest.fixture
def outbox(sessions, agreement, keys):
    keyring, private = keys
    return SqlQueueEnd("provider", agreement.provider.id, sessions, private[agreement.provider.id], keyring)
