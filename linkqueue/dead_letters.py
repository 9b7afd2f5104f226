"""Dead letters and the inbox's refusal counts on SQL tables: what is kept, for how long, and the rate the
desks show (DESIGN.md §3.4, docs/backups-and-retention.md).

- A genuine dead letter (signed by a party, yet refused: out of turn, a body its type does not allow, or
  failing to apply) is kept whole until handled: an out-of-turn one is handled when its message arrives in
  turn after all; then it goes RETENTION later. One never handled stays until someone deletes it.
- A junk sample (linkqueue/guard.py) goes RETENTION after it arrived, and so do the per-minute counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from linkqueue.tables import QueueTables

RETENTION = timedelta(days=30)  # junk samples, refusal counts, and genuine dead letters once handled
LONGEST_KEPT = 1_000_000  # characters of a genuine dead letter (a message may be up to 16 MB)


@dataclass(frozen=True)
class Refusals:
    """What the inbox refused in a while: junk it read, and requests it turned away unread."""

    junk: int
    turned_away: int

    @property
    def total(self) -> int:
        return self.junk + self.turned_away


@dataclass(frozen=True)
class InboxWatch:
    """What a desk shows of its organisation's inbox."""

    last_hour: Refusals
    last_day: Refusals
    samples: int  # junk samples kept
    waiting: int  # genuine dead letters not yet handled
    retention_days: int


async def keep(connection: AsyncConnection, t: QueueTables, *, raw: str, reason: str, received_at: datetime,
               message_id: str | None = None, sender: str | None = None, source: str | None = None,
               junk: bool = False) -> None:
    letters = t.dead_letter
    raw, reason = _storable(raw[:LONGEST_KEPT]), _storable(reason)
    if message_id is not None and not junk:
        seen = await connection.execute(select(letters.c.id).where(
            letters.c.message_id == message_id, letters.c.reason == reason, letters.c.handled_at.is_(None)))
        if seen.first():
            return  # the same message refused for the same reason is kept once
    await connection.execute(insert(letters).values(
        message_id=message_id, sender=sender, raw=raw, reason=reason, received_at=received_at,
        source=source[:64] if source else None, junk=junk))


async def handled(connection: AsyncConnection, t: QueueTables, message_id: str, now: datetime) -> None:
    """The message arrived in turn after all: its earlier refusals no longer wait for anyone."""
    letters = t.dead_letter
    await connection.execute(update(letters).where(
        letters.c.message_id == message_id, letters.c.handled_at.is_(None), letters.c.junk.is_(False))
        .values(handled_at=now))


async def add_counts(connection: AsyncConnection, t: QueueTables, counts: dict[datetime, tuple[int, int]]) -> None:
    table = t.refused
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for minute, (junk, away) in sorted(counts.items()):
        statement = dialect.insert(table).values(minute=minute, junk=junk, turned_away=away)
        await connection.execute(statement.on_conflict_do_update(index_elements=[table.c.minute], set_={
            "junk": table.c.junk + statement.excluded.junk,
            "turned_away": table.c.turned_away + statement.excluded.turned_away}))


async def expire(connection: AsyncConnection, t: QueueTables, now: datetime,
                 retention: timedelta = RETENTION) -> int:
    """Delete what is past its retention; returns how many dead letters went."""
    letters, before = t.dead_letter, now - retention
    gone = await connection.execute(delete(letters).where(or_(
        and_(letters.c.junk.is_(True), letters.c.received_at < before),
        and_(letters.c.junk.is_(False), letters.c.handled_at < before))))
    await connection.execute(delete(t.refused).where(t.refused.c.minute < before))
    return gone.rowcount or 0


async def watch(connection: AsyncConnection, t: QueueTables, now: datetime,
                retention: timedelta = RETENTION) -> InboxWatch:
    async def refused(since: datetime) -> Refusals:
        row = (await connection.execute(select(func.coalesce(func.sum(t.refused.c.junk), 0),
                                               func.coalesce(func.sum(t.refused.c.turned_away), 0))
                                        .where(t.refused.c.minute > since))).one()
        return Refusals(int(row[0]), int(row[1]))

    letters = t.dead_letter
    counted = (await connection.execute(select(
        func.count().filter(letters.c.junk.is_(True)),
        func.count().filter(and_(letters.c.junk.is_(False), letters.c.handled_at.is_(None)))))).one()
    return InboxWatch(await refused(now - timedelta(hours=1)), await refused(now - timedelta(days=1)),
                      int(counted[0]), int(counted[1]), retention.days)


def _storable(text: str) -> str:
    """Text as a text column can keep it, for inspection: no NUL (PostgreSQL refuses one) and no lone
    surrogate (it has no UTF-8), each written out as an escape instead."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
