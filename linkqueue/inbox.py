"""The receiving half of a queue end on SQL tables (SqlQueueEnd's, in linkqueue/sql.py): an arriving message
checked before anything is stored, kept once, or refused; junk counted and sampled (linkqueue/guard.py);
dead letters and counts kept and expired (linkqueue/dead_letters.py)."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linkqueue import dead_letters
from linkqueue.guard import SAMPLE_CHARS, InboxGuard, source_key
from linkqueue.tables import QueueTables
from protocol.clock import utcnow
from protocol.messages import IDENTIFIER, Envelope
from protocol.queue import Receipt, ReceiptStatus
from protocol.receiving import Outcome, Verdict, check_authored, check_turn
from protocol.signing import KeyRing

log = logging.getLogger(__name__)


class InboxEnd:
    """Receiving, for a queue end that has these (SqlQueueEnd sets them)."""

    side: str
    party: str
    sessions: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    t: QueueTables
    guard: InboxGuard
    retention: timedelta
    _tidied_at: datetime | None

    async def accept(self, raw: str, source: str | None = None) -> Receipt:
        """Check one arriving message and store it once; bad ones become dead letters with the reason.

        Who signed it is checked before the database is touched: junk (anything no party signed) is only
        counted and sampled (linkqueue/guard.py), and only a signed message may be told "duplicate".
        `source` is where it came from (the client's address), for the junk limit and the samples.
        """
        verdict = check_authored(raw, self.keyring, self.party, receiving_as=self.side)
        if not verdict.authentic:
            return await self._junk(raw, verdict.reason, source)
        try:
            async with self.sessions.begin() as session:
                return await self._accept(session, raw, verdict, source)
        except IntegrityError:
            # Two deliveries of one message raced; the other stored it.
            return Receipt(ReceiptStatus.DUPLICATE, "this message was already received")

    async def _accept(self, session: AsyncSession, raw: str, verdict: Verdict, source: str | None) -> Receipt:
        inbox, streams = self.t.inbox, self.t.stream_in
        envelope = verdict.envelope
        stream = envelope.request or ""
        if verdict.outcome is Outcome.REJECT:  # signed, but refused: kept whole for inspection
            await self._dead_letter(session, raw, envelope, verdict.reason, source)
            return Receipt(ReceiptStatus.REJECTED, verdict.reason)
        where = and_(streams.c.sender == envelope.sender, streams.c.stream == stream)
        last = (await _run(session, select(streams.c.last_sequence).where(where).with_for_update())).scalar() or 0
        # Looked for only now, under the stream's lock: a copy of this message that another delivery
        # stored while we waited for it is visible, and is a duplicate, not a message out of order.
        seen = (await _run(session, select(inbox.c.id).where(inbox.c.id == envelope.id))).first()
        verdict = check_turn(verdict, last, seen is not None)
        if verdict.outcome == "duplicate":
            return Receipt(ReceiptStatus.DUPLICATE, verdict.reason)
        if verdict.outcome == "out_of_order":
            await self._dead_letter(session, raw, envelope, verdict.reason, source)
            return Receipt(ReceiptStatus.RETRY_LATER, verdict.reason)
        now = utcnow()
        await _run(session, insert(inbox).values(
            id=envelope.id, sender=envelope.sender, stream=stream, sequence=envelope.sequence,
            type=envelope.type, envelope=raw, received_at=now, attempts=0,
        ))
        await dead_letters.handled(await session.connection(), self.t, envelope.id, now)
        if last:
            await _run(session, update(streams).where(where).values(last_sequence=envelope.sequence))
        else:
            await _run(session, insert(streams).values(sender=envelope.sender, stream=stream,
                                                         last_sequence=envelope.sequence))
        return Receipt(ReceiptStatus.ACCEPTED)

    async def refuse(self, raw: str, reason: str, source: str | None = None) -> Receipt:
        """Something that could not even be offered to `accept` (not text, too large): junk."""
        return await self._junk(raw, reason, source)

    async def _junk(self, raw: str, reason: str, source: str | None) -> Receipt:
        if self.guard.junk(source_key(source)):
            sample = raw[:SAMPLE_CHARS]
            header = _peek(raw) if len(raw) <= 64 * 1024 else None  # a sample need not cost a 16 MB parse
            async with self.sessions.begin() as session:
                await dead_letters.keep(await session.connection(), self.t, raw=sample,
                                        reason=reason, received_at=utcnow(), source=source, junk=True,
                                        message_id=(header or {}).get("id"), sender=(header or {}).get("sender"))
        await self.flush_refusals(when_due=True)
        return Receipt(ReceiptStatus.REJECTED, reason)

    async def _dead_letter(self, session: AsyncSession, raw: str, envelope: Envelope, reason: str,
                           source: str | None = None) -> None:
        await dead_letters.keep(await session.connection(), self.t, raw=raw, reason=reason,
                                received_at=utcnow(), message_id=envelope.id, sender=envelope.sender,
                                source=source)

    async def flush_refusals(self, *, when_due: bool = False) -> None:
        """Write the junk and turned-away counts (at most once a second when `when_due`)."""
        if when_due and not self.guard.flush_due():
            return
        counts = self.guard.take_counts()
        if not counts:
            return
        try:
            async with self.sessions.begin() as session:
                await dead_letters.add_counts(await session.connection(), self.t, counts)
        except Exception:
            self.guard.give_back(counts)
            raise

    async def tidy(self, every: timedelta = timedelta(hours=1)) -> None:
        """Write the counts, and (at most once per `every`) delete what is past its retention."""
        await self.flush_refusals()
        now = utcnow()
        if self._tidied_at is not None and now - self._tidied_at < every:
            return
        async with self.sessions.begin() as session:
            gone = await dead_letters.expire(await session.connection(), self.t, now, self.retention)
        self._tidied_at = now
        if gone:
            log.info("deleted %s dead letters past their retention (%s days)", gone, self.retention.days)

    async def inbox_watch(self) -> dead_letters.InboxWatch:
        """What the desk shows: junk refused and turned away in the last hour and day, and what is kept."""
        await self.flush_refusals()
        async with self.sessions() as session:
            return await dead_letters.watch(await session.connection(), self.t, utcnow(), self.retention)


async def _run(session: AsyncSession, statement):
    return await (await session.connection()).execute(statement)


def _peek(raw: str) -> dict | None:
    """The id, sender and stream of a message, if it is well-formed enough to have them.

    Only values shaped like identifiers are looked up: a NUL or a lone surrogate in one would make the
    database refuse the query itself (PostgreSQL takes no NUL; neither database takes a lone surrogate).
    """
    try:
        data = json.loads(raw)
        if isinstance(data, dict) and all(_code(data.get(field)) for field in ("id", "sender")):
            request = data.get("request")
            return {"id": data["id"][:64], "sender": data["sender"][:64],
                    "stream": request if _code(request) else ""}
    except (ValueError, TypeError, RecursionError):  # RecursionError: JSON nested too deeply
        pass
    return None


def _code(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(IDENTIFIER, value) is not None
