"""`tono db downgrade` on a database that holds the demo and families' requests, run as the operator runs it:
it empties the database, or it refuses in one sentence and leaves every table and row as it was. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import inspect, text
from sqlmodel import select

from bot.chat.conversation import Conversations
from bot.models import Request
from bot.requests import staff
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY
from tests.bot.family_asks import family_asks
from tono.database import make_engine, make_sessionmaker
from tono.link import Link
from tono.migrate import head_revision

HEAD = head_revision()


def tono(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONO_", "TELEGRAM_"))}
    return subprocess.run([sys.executable, "-m", "tono.cli", *args], env={**env, "TONO_DATABASE_URL": database_url},
                          capture_output=True, text=True, timeout=120)


async def _requests_made(database_url: str, keys_dir) -> None:
    """Aroha asks what the agency holds (relayed: it has tasks at two units); Grace asks for a correction."""
    engine = make_engine(database_url)
    sessions, agreement = make_sessionmaker(engine), load_agreement()
    link = Link(sessions, agreement, keys_dir, today=lambda: TODAY)
    conversations = Conversations(sessions, agreement, today=lambda: TODAY, outbox=link.provider)
    try:
        await family_asks(conversations, sessions)
        await family_asks(conversations, sessions, kind="correction", person="P-0004", key="grace")
        async with sessions.begin() as session:
            aroha = (await session.exec(select(Request).order_by(Request.id))).first()
            await staff.approve(session, aroha, "kaimahi", "known_in_person")
            await staff.relay(session, aroha, link.provider, agreement, "kaimahi", TODAY)
        await link.settle()
    finally:
        await link.aclose()
        await engine.dispose()


def _look(database_url: str, sql: str | None = None):
    async def run():
        engine = make_engine(database_url)
        try:
            async with engine.connect() as conn:
                if sql is None:
                    return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
                return (await conn.execute(text(sql))).scalar()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_downgrading_to_base_empties_a_database_that_holds_requests(seeded_url, tmp_path):
    asyncio.run(_requests_made(seeded_url, tmp_path / "keys"))
    assert _look(seeded_url, "SELECT count(*) FROM agency_task") == 2

    done = tono(seeded_url, "db", "downgrade", "base")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "The database is at migration base."
    assert _look(seeded_url) <= {"alembic_version"}
    assert tono(seeded_url, "db", "upgrade").returncode == 0  # and it can be built again from empty


def test_a_downgrade_that_cannot_be_done_is_one_sentence_and_changes_nothing(seeded_url, tmp_path):
    asyncio.run(_requests_made(seeded_url, tmp_path / "keys"))
    # The operator's own table, pointing at Tono's people: emptying the database would leave it pointing nowhere.
    for sql in ("CREATE TABLE home_visits (id INTEGER PRIMARY KEY, person_id INTEGER REFERENCES provider_person(id))",
                "INSERT INTO home_visits (id, person_id) SELECT 1, id FROM provider_person WHERE ref = 'P-0001'"):
        _execute(seeded_url, sql)
    tables = _look(seeded_url)

    done = tono(seeded_url, "db", "downgrade", "base")

    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("tono: The database could not be taken back to migration base (")
    assert done.stderr.strip().endswith(f"nothing was changed: it is still at migration {HEAD}.")
    assert _look(seeded_url) == tables
    assert _look(seeded_url, "SELECT count(*) FROM provider_request") == 2
    assert _look(seeded_url, "SELECT version_num FROM alembic_version") == HEAD


def test_a_migration_that_does_not_exist_is_named_before_anything_is_touched(seeded_url):
    done = tono(seeded_url, "db", "downgrade", "0099")

    assert done.returncode == 2
    assert done.stderr.strip() == ("tono: There is no migration '0099': use base (an empty database) or one of "
                                   f"0001 to {HEAD}.")
    assert _look(seeded_url, "SELECT version_num FROM alembic_version") == HEAD


def _execute(database_url: str, sql: str) -> None:
    async def run():
        engine = make_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())
