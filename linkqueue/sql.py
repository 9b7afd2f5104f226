"""The linked queue on SQL tables: each organisation's end keeps an outbox, an inbox and dead letters
in its own database (DESIGN.md §3.4). It implements protocol.queue.

Sending writes the signed message into the outbox inside the caller's transaction. A pusher then hands
outbox messages to the receiver's inbox (directly in the embedded default; over HTTP between servers)
outside any transaction, and records the receipt. The receiver checks and stores each message once,
and a consumer applies stored messages in order, each in the same transaction as its effects.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linkqueue import dead_letters, health, streams
from linkqueue.guard import InboxGuard
from linkqueue.inbox import InboxEnd
from linkqueue.tables import QUEUE_TABLES
from outbox import Backoff, Leased, Leasing
from protocol.clock import utcnow
from protocol.messages import Envelope, new_message
from protocol.queue import Handler, Receipt, ReceiptStatus
from protocol.signing import KeyRing, sign

log = logging.getLogger(__name__)

MAX_APPLY_ATTEMPTS = 5
LEASE = timedelta(seconds=30)  # how long a pusher may hold a message before another may try it
MAX_BACKOFF = timedelta(minutes=5)  # the longest wait between two tries (TONO_LINK_MAX_BACKOFF_SECONDS)


class AlreadyApplied(Exception):
    """Another consumer applied this message first."""


class DeliveryFailed(Exception):
    """A deliverer could not hand a message over; `reason` is one sentence, safe to keep and log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SqlQueueEnd(InboxEnd):
    """One organisation's end of the linked queue, on its own database."""

    def __init__(self, side: str, party: str, sessions: async_sessionmaker[AsyncSession], private_key,
                 keyring: KeyRing, *, max_backoff: timedelta = MAX_BACKOFF, guard: InboxGuard | None = None,
                 retention: timedelta = dead_letters.RETENTION) -> None:
        self.side = side
        self.party = party
        self.sessions = sessions
        self.private_key = private_key
        self.keyring = keyring
        self.max_backoff = max_backoff
        self.guard = guard or InboxGuard()
        self.retention = retention
        self._tidied_at = None
        # Set by the composition root when another organisation's server is at the other end: pings it.
        self.peer_check: Callable[[], Awaitable[health.PeerCheck]] | None = None
        self.t = QUEUE_TABLES[side]
        box = self.t.outbox
        # The lease is a next_attempt_at moved ahead: a message sent twice is answered "duplicate" by its receiver.
        # Waits are exact (1 s, 2 s, 4 s … up to max_backoff), one pusher per end needing no spread.
        self.leasing = Leasing(Leased(box, box.c.id, box.c.next_attempt_at, box.c.attempts, box.c.last_error),
                               LEASE, Backoff(max_backoff))

    # --- sending -------------------------------------------------------------------------------------

    async def send(self, session: AsyncSession, *, type: str, recipient: str, request: str | None,
                   body: dict) -> Envelope:
        """Sign and store a message in the caller's transaction; it leaves only if that commits."""
        stream = request or ""
        sequence = await self._next_sequence(session, recipient, stream)
        envelope = sign(new_message(type, self.party, recipient, request, sequence, body), self.private_key)
        now = utcnow()
        await _run(session, insert(self.t.outbox).values(
            id=envelope.id, recipient=recipient, stream=stream, sequence=sequence, type=type,
            envelope=envelope.to_json(), created_at=now, attempts=0, next_attempt_at=now,
        ))
        return envelope

    async def _next_sequence(self, session: AsyncSession, recipient: str, stream: str) -> int:
        counter = self.t.stream_out
        where = and_(counter.c.recipient == recipient, counter.c.stream == stream)
        last = (await _run(session, select(counter.c.last_sequence).where(where).with_for_update())).scalar()
        if last is None:
            await _run(session, insert(counter).values(recipient=recipient, stream=stream, last_sequence=1))
            return 1
        await _run(session, update(counter).where(where).values(last_sequence=last + 1))
        return last + 1

    async def _claim_outgoing(self, limit: int) -> list:
        """Lease a batch of undelivered messages so that two pushers never send the same one at once.

        A message waits while an earlier one of its request is leased or backing off: the receiver
        applies a request's messages in order, so sending a later one first only gets it refused.
        """
        box = self.t.outbox
        earlier = box.alias("earlier")
        now = utcnow()
        waits = exists().where(
            earlier.c.recipient == box.c.recipient, earlier.c.stream == box.c.stream,
            earlier.c.sequence < box.c.sequence, earlier.c.delivered_at.is_(None), earlier.c.rejected_at.is_(None),
            earlier.c.next_attempt_at > now,
        )
        async with self.sessions.begin() as session:
            return await self.leasing.claim(await session.connection(), select(box.c.id, box.c.stream, box.c.envelope)
                                            .where(box.c.delivered_at.is_(None), box.c.rejected_at.is_(None), ~waits)
                                            .order_by(box.c.stream, box.c.sequence).limit(limit), now)

    async def push(self, deliver: Callable[[str], Awaitable[Receipt]], limit: int = 100) -> int:
        """Hand due outbox messages to the receiver and record each receipt; returns how many arrived.

        No transaction is held while the receiver works: a crash after the receiver stored a message
        but before we record it only means it is sent again, and the receiver answers "duplicate".
        When `deliver` raises, the receiver could not be reached or could not answer: that message is
        tried again after a back-off, and the rest of the batch waits for the next round rather than
        queue up behind the same unreachable receiver.
        """
        delivered = 0
        held_back: set[str] = set()  # streams whose earlier message must arrive first
        rows = await self._claim_outgoing(limit)
        untried: list[str] = []
        for position, row in enumerate(rows):
            if row.stream in held_back:
                untried.append(row.id)
                continue
            try:
                receipt = await deliver(row.envelope)
            except Exception as error:  # the receiver or the network failed: try again later
                # Only a DeliveryFailed says why in words safe to keep; others may quote the message itself.
                reason = error.reason if isinstance(error, DeliveryFailed) else type(error).__name__
                await self._record(row.id, Receipt(ReceiptStatus.RETRY_LATER, f"delivery failed: {reason}"))
                untried.extend(later.id for later in rows[position + 1:])
                break
            await self._record(row.id, receipt)
            if receipt.delivered:
                delivered += 1
            else:
                held_back.add(row.stream)
        await self._release(untried)
        return delivered

    async def facts(self) -> health.QueueFacts:
        """This end's queue as an operator sees it (linkqueue/health.py)."""
        async with self.sessions() as session:
            return await health.queue_facts(await session.connection(), self.t)

    async def troubles(self, stream: str) -> list[health.Trouble]:
        """This end's messages of one stream (a request's reference) refused or failing to go."""
        async with self.sessions() as session:
            return await health.stream_troubles(await session.connection(), self.t, stream)

    async def apply_failed_again(self) -> int:
        """Try again every received message that failed to apply as often as it may (a dead letter here), once
        its cause is fixed: each is applied once, in its turn, by the next round of `consume`."""
        inbox, now = self.t.inbox, utcnow()
        async with self.sessions.begin() as session:
            failed = (await _run(session, select(inbox.c.id).where(
                inbox.c.applied_at.is_(None), inbox.c.attempts >= MAX_APPLY_ATTEMPTS))).scalars().all()
            if failed:
                await _run(session, update(inbox).where(inbox.c.id.in_(failed)).values(attempts=0, last_error=None))
                for message_id in failed:
                    await dead_letters.handled(await session.connection(), self.t, message_id, now)
        return len(failed)

    async def stream_positions(self, other: str) -> streams.Positions:
        async with self.sessions() as session:
            return await streams.positions(await session.connection(), self.t, other)

    async def stream_differences(self, other: str, theirs: streams.Positions) -> list[streams.Difference]:
        async with self.sessions() as session:
            return await streams.differences(await session.connection(), self.t, self.party, other, theirs)

    async def settle_streams(self, other: str, theirs: streams.Positions) -> list[streams.Difference]:
        """Settle this side's part of the streams that disagree with the other's positions (linkqueue/streams.py)."""
        async with self.sessions.begin() as session:
            connection = await session.connection()
            settled = await streams.settle(connection, self.t, self.party, other, theirs)
            for numbers in (await streams.renumber(connection, self.t, other, theirs)).values():
                # Each renumbered message is signed again: its sequence is part of what was signed.
                for message_id, sequence in numbers:
                    raw = (await connection.execute(select(self.t.outbox.c.envelope).where(
                        self.t.outbox.c.id == message_id))).scalar_one()
                    envelope = Envelope.from_json(raw, check_body=False)
                    again = sign(replace(envelope, sequence=sequence, signature=None), self.private_key)
                    await connection.execute(update(self.t.outbox).where(self.t.outbox.c.id == message_id).values(
                        envelope=again.to_json(), attempts=0, next_attempt_at=utcnow(), last_error=None))
            return settled

    async def resend_refused(self) -> int:
        """Send again every message the other side refused, once its cause is fixed: each is signed afresh with
        this side's key as it is now (the cause may have been our own key) and goes back in its stream's turn.
        The receiver never stored a refused message, so it applies each once all the same."""
        box = self.t.outbox
        now = utcnow()
        async with self.sessions.begin() as session:
            rows = (await _run(session, select(box.c.id, box.c.envelope).where(box.c.rejected_at.is_not(None))
                               .with_for_update())).all()
            for message_id, raw in rows:
                envelope = sign(replace(Envelope.from_json(raw, check_body=False), signature=None), self.private_key)
                await _run(session, update(box).where(box.c.id == message_id).values(
                    envelope=envelope.to_json(), rejected_at=None, attempts=0, next_attempt_at=now,
                    last_error=None))
        return len(rows)

    async def _release(self, message_ids: list[str]) -> None:
        """Give back the lease on messages this round did not try, without counting it as an attempt."""
        if not message_ids:
            return
        async with self.sessions.begin() as session:
            await self.leasing.give_back(await session.connection(), message_ids, utcnow(),
                                         self.t.outbox.c.delivered_at.is_(None))

    async def _record(self, message_id: str, receipt: Receipt) -> None:
        box = self.t.outbox
        now = utcnow()
        async with self.sessions.begin() as session:
            if receipt.delivered:
                values = {"delivered_at": now, "last_error": None}
            elif receipt.status is ReceiptStatus.REJECTED:
                values = {"rejected_at": now, "last_error": receipt.reason[:1000]}
                log.error("message %s was rejected by its receiver: %s", message_id, receipt.reason)
            else:
                await self.leasing.fail(await session.connection(), message_id, now, receipt.reason)
                return
            await _run(session, update(box).where(box.c.id == message_id).values(**values))

    # --- applying (receiving is InboxEnd's, in linkqueue/inbox.py) ----------------------------------

    async def receive(self, session: AsyncSession, limit: int = 1,
                      waiting: frozenset[str] = frozenset()) -> list[Envelope]:
        """Claim stored, unapplied messages in the caller's transaction, oldest stream position first, none of
        the `waiting` streams."""
        inbox = self.t.inbox
        rows = (await _run(session,
            select(inbox.c.envelope)
            .where(inbox.c.applied_at.is_(None), inbox.c.attempts < MAX_APPLY_ATTEMPTS,
                   *([inbox.c.stream.not_in(waiting)] if waiting else []))
            .order_by(inbox.c.received_at, inbox.c.sequence).limit(limit)
            .with_for_update(skip_locked=True)
        )).scalars().all()
        # The inbox holds only what `accept` checked in full (signature, header and body) before storing it: the
        # header is read again here, the body not (a report's part of 1,000 rows would be checked twice).
        return [Envelope.from_json(raw, check_body=False) for raw in rows]

    async def acknowledge(self, session: AsyncSession, envelope: Envelope) -> None:
        """Mark a message applied, in the same transaction as the change it made.

        The update only counts if nobody applied it first; otherwise AlreadyApplied rolls back the
        caller's transaction, so a message's effects are never made twice, whatever the database.
        """
        inbox = self.t.inbox
        marked = await _run(session, update(inbox).where(inbox.c.id == envelope.id, inbox.c.applied_at.is_(None))
                            .values(applied_at=utcnow()))
        if marked.rowcount != 1:
            raise AlreadyApplied(envelope.id)

    async def consume(self, handler: Handler, limit: int = 100) -> int:
        """Apply up to `limit` stored messages, each in its own transaction; returns how many applied."""
        applied = 0
        waiting: set[str] = set()  # streams whose message failed this round: the rest of each waits for it
        for _ in range(limit):
            envelope = None
            try:
                async with self.sessions.begin() as session:
                    claimed = await self.receive(session, waiting=frozenset(waiting))
                    if not claimed:
                        break
                    envelope = claimed[0]
                    await handler(session, envelope)
                    await self.acknowledge(session, envelope)
                applied += 1
            except AlreadyApplied:
                continue
            except Exception as error:  # the handler failed: nothing of it was applied
                if envelope is None:
                    raise
                log.exception("applying message %s failed", envelope.id)
                await self._failed(envelope, error)
                if isinstance(error, DBAPIError):
                    break  # the database itself: try again on the next round, once it had a chance to pass
                # The message's own fault (it cannot be applied as it is): other requests' messages go on, and
                # this stream's later messages wait for it, so one bad message holds up nobody else.
                waiting.add(envelope.request or "")  # the inbox keeps a stream by its request
        return applied

    async def _failed(self, envelope: Envelope, error: Exception) -> None:
        inbox = self.t.inbox
        reason = f"applying it failed: {type(error).__name__}: {error}"[:1000]
        async with self.sessions.begin() as session:
            await _run(session, update(inbox).where(inbox.c.id == envelope.id)
                                  .values(attempts=inbox.c.attempts + 1, last_error=reason))
            attempts = (await _run(session, select(inbox.c.attempts).where(inbox.c.id == envelope.id))).scalar()
            if attempts >= MAX_APPLY_ATTEMPTS:
                await self._dead_letter(session, envelope.to_json(), envelope, reason)

    async def dead_letters(self) -> list[dict]:
        """Every refused message with its reason, for inspection."""
        letters = self.t.dead_letter
        async with self.sessions() as session:
            rows = await _run(session, select(letters).order_by(letters.c.id))
            return [dict(row._mapping) for row in rows]

    async def undelivered(self) -> int:
        box = self.t.outbox
        async with self.sessions() as session:
            return (await _run(session, select(func.count()).select_from(box).where(
                box.c.delivered_at.is_(None), box.c.rejected_at.is_(None)))).scalar_one()


async def _run(session: AsyncSession, statement):
    """Run a Core statement on the session's own connection, inside its transaction."""
    return await (await session.connection()).execute(statement)
