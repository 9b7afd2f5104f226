"""What an operator needs to see of one organisation's end of the linked queue: messages waiting to go and the
oldest, messages the other side refused (by reason), messages failing to go, messages received but not yet
applied, and genuine dead letters (signed by a party, yet refused here) by reason. Junk from strangers is the
inbox guard's business (dead_letters.watch), not the link's health: anyone could send it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from linkqueue.tables import QueueTables


@dataclass(frozen=True)
class Reasons:
    """How many messages, for one reason, and the oldest of them."""

    reason: str
    count: int
    oldest: datetime


@dataclass(frozen=True)
class PeerCheck:
    """What a signed ping to the other organisation's server found (linkqueue/ping.py)."""

    url: str
    answers: bool
    problems: list[str]  # why it does not answer, or how the two servers disagree

    @property
    def healthy(self) -> bool:
        return self.answers and not self.problems


@dataclass(frozen=True)
class QueueFacts:
    waiting: int  # to go: not yet delivered or refused
    oldest_waiting: datetime | None
    failing: list[Reasons]  # waiting, and the last try failed (the other server down or not answering)
    refused: list[Reasons]  # refused by the other side: they wait for someone to fix the cause and send again
    unapplied: int  # received, not yet applied
    dead_letters: list[Reasons]  # signed by a party, refused here, not yet handled

    @property
    def healthy(self) -> bool:
        return not (self.refused or self.dead_letters)


async def _reasons(connection: AsyncConnection, reason, when, where) -> list[Reasons]:
    rows = await connection.execute(select(reason, func.count(), func.min(when)).where(where)
                                    .group_by(reason).order_by(func.min(when)))
    return [Reasons(str(text or "no reason kept"), int(count), oldest) for text, count, oldest in rows.all()]


async def queue_counts(connection: AsyncConnection, t: QueueTables) -> dict:
    """The queue's counts alone, in one statement (for /healthz, asked every few seconds by monitors)."""
    box, inbox, letters = t.outbox, t.inbox, t.dead_letter
    to_go = and_(box.c.delivered_at.is_(None), box.c.rejected_at.is_(None))

    def count(table, where):
        return select(func.count()).select_from(table).where(where).scalar_subquery()

    row = (await connection.execute(select(
        count(box, to_go), select(func.min(box.c.created_at)).where(to_go).scalar_subquery(),
        count(box, and_(to_go, box.c.attempts > 0, box.c.last_error.is_not(None))),
        count(box, box.c.rejected_at.is_not(None)), count(inbox, inbox.c.applied_at.is_(None)),
        count(letters, and_(letters.c.junk.is_(False), letters.c.handled_at.is_(None)))))).one()
    waiting, oldest, failing, refused, unapplied, dead = row
    return {"waiting": waiting, "oldest_waiting": oldest, "failing": failing, "refused": refused,
            "unapplied": unapplied, "dead_letters": dead}


async def queue_facts(connection: AsyncConnection, t: QueueTables) -> QueueFacts:
    box, inbox, letters = t.outbox, t.inbox, t.dead_letter
    to_go = and_(box.c.delivered_at.is_(None), box.c.rejected_at.is_(None))
    waiting, oldest = (await connection.execute(select(func.count(), func.min(box.c.created_at))
                                                .where(to_go))).one()
    unapplied = (await connection.execute(select(func.count()).where(inbox.c.applied_at.is_(None)))).scalar_one()
    return QueueFacts(
        waiting=int(waiting), oldest_waiting=oldest,
        failing=await _reasons(connection, box.c.last_error, box.c.created_at,
                               and_(to_go, box.c.attempts > 0, box.c.last_error.is_not(None))),
        refused=await _reasons(connection, box.c.last_error, box.c.rejected_at, box.c.rejected_at.is_not(None)),
        unapplied=int(unapplied),
        dead_letters=await _reasons(connection, letters.c.reason, letters.c.received_at,
                                    and_(letters.c.junk.is_(False), letters.c.handled_at.is_(None))))


@dataclass(frozen=True)
class Trouble:
    """One message of a stream that has not got through: refused by the other side, failing to go, or (received)
    come from the other side but failing to apply here."""

    type: str
    refused: bool
    reason: str
    since: datetime
    received: bool = False


async def stream_troubles(connection: AsyncConnection, t: QueueTables, stream: str) -> list[Trouble]:
    """The messages of one stream (a request's, by its reference) refused, failing to go, or received and failing
    to apply, oldest first."""
    box, inbox = t.outbox, t.inbox
    rows = await connection.execute(
        select(box.c.type, box.c.rejected_at, box.c.last_error, box.c.created_at)
        .where(box.c.stream == stream, box.c.delivered_at.is_(None),
               (box.c.rejected_at.is_not(None)) | and_(box.c.attempts > 0, box.c.last_error.is_not(None)))
        .order_by(box.c.sequence))
    going = [Trouble(type, rejected is not None, str(error or "no reason kept"), rejected or created)
             for type, rejected, error, created in rows.all()]
    came = await connection.execute(
        select(inbox.c.type, inbox.c.last_error, inbox.c.received_at)
        .where(inbox.c.stream == stream, inbox.c.applied_at.is_(None), inbox.c.attempts > 0,
               inbox.c.last_error.is_not(None))
        .order_by(inbox.c.sequence))
    return going + [Trouble(type, False, str(error), received, received=True) for type, error, received in came.all()]
