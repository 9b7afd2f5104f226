"""Two ends of the linked queue, joined by each transport: SQL only (both ends on one database, as in the
embedded default) and HTTP (each end behind its own inbox on a real loopback server)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from linkqueue.http import HttpDeliverer, inbox_url
from linkqueue.sql import SqlQueueEnd
from linkqueue.tables import QUEUE_TABLES
from protocol.queue import Receipt
from protocol.signing import KeyRing, generate_keypair, load_private_key
from tests.linkqueue.servers import inbox_app, serving_all
from tono.database import make_engine, make_sessionmaker

Deliver = Callable[[str], Awaitable[Receipt]]


@dataclass
class Ends:
    """The provider's end, the agency's end, the provider's database, and how a message reaches each end."""

    provider: SqlQueueEnd
    agency: SqlQueueEnd
    sessions: async_sessionmaker  # the provider's (the tests send from the provider)
    to_agency: Deliver
    to_provider: Deliver

    def __iter__(self):  # provider, agency, sessions = ends
        return iter((self.provider, self.agency, self.sessions))


@pytest.fixture
def migrated_url(seeded_url):
    """A migrated database, cloned from the session's template (the demo rows in it do not matter here), with
    the queue's tables empty."""
    asyncio.run(_empty_queue(seeded_url))
    return seeded_url


@pytest.fixture
def keys():
    pairs = {party: generate_keypair() for party in ("ccss", "agency")}
    keyring = KeyRing({party: public for party, (_, public) in pairs.items()})
    return keyring, {party: load_private_key(pem) for party, (pem, _) in pairs.items()}


@pytest.fixture(params=["sql", "http"])
def transport(request) -> str:
    return request.param


@pytest.fixture
def agency_url(transport, backend, migrated_url, tmp_path, _seeded_templates):
    """The agency end's database. Between two servers on SQLite it is a file of its own, as each organisation
    has (a copy costs nothing); otherwise the provider's, since a second PostgreSQL database would double each
    test's set-up, and the two ends keep to their own tables either way."""
    if transport == "sql" or backend != "sqlite":
        return migrated_url
    copy = tmp_path / "agency.db"
    shutil.copyfile(_seeded_templates(backend), copy)
    asyncio.run(_empty_queue(f"sqlite+aiosqlite:///{copy}"))
    return f"sqlite+aiosqlite:///{copy}"


async def _empty_queue(url: str) -> None:
    """The demo's reports went through the queue when the template was seeded: these tests start from none."""
    engine = make_engine(url)
    async with engine.begin() as conn:
        for tables in QUEUE_TABLES.values():
            for table in (tables.outbox, tables.stream_out, tables.inbox, tables.stream_in, tables.dead_letter,
                          tables.refused):
                await conn.execute(table.delete())
    await engine.dispose()


@pytest.fixture
async def ends(transport, migrated_url, agency_url, keys) -> AsyncIterator[Ends]:
    keyring, private = keys
    engine = make_engine(migrated_url)
    sessions = make_sessionmaker(engine)
    provider = SqlQueueEnd("provider", "ccss", sessions, private["ccss"], keyring)
    if transport == "sql":
        agency = SqlQueueEnd("agency", "agency", sessions, private["agency"], keyring)
        yield Ends(provider, agency, sessions, agency.accept, provider.accept)
        await engine.dispose()
        return
    agency_engine = make_engine(agency_url)
    agency = SqlQueueEnd("agency", "agency", make_sessionmaker(agency_engine), private["agency"], keyring)
    async with serving_all([inbox_app(provider), inbox_app(agency)]) as (provider_base, agency_base):
        to_agency, to_provider = HttpDeliverer(inbox_url(agency_base)), HttpDeliverer(inbox_url(provider_base))
        yield Ends(provider, agency, sessions, to_agency, to_provider)
        await to_agency.aclose()
        await to_provider.aclose()
    await agency_engine.dispose()
    await engine.dispose()
