"""Leasing an outbox's rows on a real database: a claim holds a row for its lease, a failure waits out its
backoff, a row given back is free at once, and two senders claiming at the same moment never take the same row.
Each runs with the lease in a column of its own (the notifier's) and as a next_attempt_at moved ahead (the
linked queue's)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select
from sqlmodel.sql.sqltypes import UTCDateTime

from outbox import Backoff, Leased, Leasing
from tono.database import make_engine

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def outbox_table(metadata: MetaData) -> Table:
    return Table("test_outbox", metadata,
                 Column("id", Integer, primary_key=True, autoincrement=False),
                 Column("body", String(20), nullable=False),
                 Column("next_attempt_at", UTCDateTime(), nullable=False),
                 Column("attempts", Integer, nullable=False, default=0),
                 Column("last_error", Text, nullable=True),
                 Column("claimed_until", UTCDateTime(), nullable=True))


@pytest.fixture(params=["own column", "in next_attempt_at"])
def where_the_lease_is(request) -> str:
    return request.param


@pytest.fixture
async def world(database_url, where_the_lease_is):
    """Two engines on one database (two senders, each with its own connection), a table of 20 waiting rows, and
    the rules for it."""
    table = outbox_table(MetaData())
    engines = [make_engine(database_url), make_engine(database_url)]
    async with engines[0].begin() as connection:
        await connection.run_sync(table.metadata.create_all)
        await connection.execute(insert(table), [{"id": n, "body": f"message {n}", "next_attempt_at": START,
                                                  "attempts": 0} for n in range(1, 21)])
    own = table.c.claimed_until if where_the_lease_is == "own column" else None
    leasing = Leasing(Leased(table, table.c.id, table.c.next_attempt_at, table.c.attempts, table.c.last_error, own),
                      LEASE, Backoff(longest=timedelta(minutes=5)), error_length=12)
    try:
        yield table, leasing, engines
    finally:
        for engine in engines:
            await engine.dispose()


async def claim(engine, table, leasing, now, limit: int = 100) -> list[int]:
    async with engine.begin() as connection:
        rows = await leasing.claim(connection, select(table.c.id).order_by(table.c.id).limit(limit), now)
    return [row.id for row in rows]


async def row(engine, table, row_id: int):
    async with engine.connect() as connection:
        return (await connection.execute(select(table).where(table.c.id == row_id))).one()


async def test_a_claimed_row_is_nobody_elses_until_its_lease_runs_out(world):
    table, leasing, (engine, _other) = world

    first = await claim(engine, table, leasing, START, limit=3)
    during = await claim(engine, table, leasing, START + LEASE - timedelta(seconds=1))
    after = await claim(engine, table, leasing, START + LEASE)

    assert first == [1, 2, 3]
    assert during == list(range(4, 21)), "the three held rows are left alone while their lease lasts"
    assert after == [1, 2, 3], "a sender that died holding them loses them when the lease runs out"
    assert (await row(engine, table, 1)).attempts == 0, "a lease running out is not a failed attempt"


async def test_a_failed_attempt_is_counted_and_waits_out_its_backoff(world):
    table, leasing, (engine, _other) = world
    await claim(engine, table, leasing, START, limit=1)

    async with engine.begin() as connection:
        first = await leasing.fail(connection, 1, START, "ConnectionError: the line dropped")
    async with engine.begin() as connection:
        second = await leasing.fail(connection, 1, START, "ConnectionError: again")
    failed = await row(engine, table, 1)

    assert (first, second, failed.attempts) == (1, 2, 2)
    assert failed.next_attempt_at == START + timedelta(seconds=2), "the second failure waits twice as long"
    assert failed.last_error == "ConnectionEr", "the reason is kept, cut to its longest"
    assert failed.claimed_until is None
    assert 1 not in await claim(engine, table, leasing, START + timedelta(seconds=1.5))
    assert 1 in await claim(engine, table, leasing, START + timedelta(seconds=2))


async def test_a_row_given_back_untried_is_free_at_once_and_no_attempt_is_counted(world):
    table, leasing, (engine, _other) = world
    await claim(engine, table, leasing, START, limit=2)

    async with engine.begin() as connection:
        await leasing.give_back(connection, [1, 2], START, table.c.id == 2)
    again = await claim(engine, table, leasing, START + timedelta(seconds=1))

    assert 2 in again and 1 not in again, "only the rows that still match the condition are given back"
    assert (await row(engine, table, 2)).attempts == 0


async def test_two_senders_claiming_at_the_same_moment_never_take_the_same_row(world):
    table, leasing, (one, other) = world

    taken = await asyncio.gather(*(claim(engine, table, leasing, START, limit=2)
                                   for _ in range(5) for engine in (one, other)))
    claimed = [row_id for batch in taken for row_id in batch]

    # Ten claims of two for twenty rows: all twenty taken means no row went twice and no claim came away short.
    assert sorted(claimed) == list(range(1, 21)), "every row claimed once, by one sender"
    assert await claim(one, table, leasing, START) == [], "and nothing is left to claim while the leases last"


async def test_the_sql_and_the_python_answers_to_may_it_be_tried_now_agree(world):
    table, leasing, (engine, _other) = world
    await claim(engine, table, leasing, START, limit=1)
    async with engine.begin() as connection:
        await leasing.fail(connection, 2, START, "502")

    for moment in (START, START + timedelta(seconds=1), START + LEASE):
        async with engine.connect() as connection:
            ready_in_sql = set((await connection.execute(select(table.c.id).where(leasing.ready(moment)))).scalars())
            rows = (await connection.execute(select(table))).all()
        ready_in_python = {r.id for r in rows if leasing.ready_now(r.next_attempt_at, r.claimed_until, moment)}
        assert ready_in_sql == ready_in_python, moment
