"""Two ends of the linked queue on one migrated database, as in the embedded default."""

from __future__ import annotations

import pytest

from linkqueue.sql import SqlQueueEnd
from protocol.signing import KeyRing, generate_keypair, load_private_key
from tono import migrate
from tono.database import make_engine, make_sessionmaker


@pytest.fixture
def migrated_url(database_url):
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def keys():
    pairs = {party: generate_keypair() for party in ("ccss", "agency")}
    keyring = KeyRing({party: public for party, (_, public) in pairs.items()})
    return keyring, {party: load_private_key(pem) for party, (pem, _) in pairs.items()}


@pytest.fixture
async def ends(migrated_url, keys):
    """(provider end, agency end, sessionmaker)."""
    keyring, private = keys
    engine = make_engine(migrated_url)
    sessions = make_sessionmaker(engine)
    provider = SqlQueueEnd("provider", "ccss", sessions, private["ccss"], keyring)
    agency = SqlQueueEnd("agency", "agency", sessions, private["agency"], keyring)
    yield provider, agency, sessions
    await engine.dispose()
