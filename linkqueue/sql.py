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
from datetime import timedelta

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linkqueue.tables import QUEUE_TABLES
from protocol.clock import utcnow
from protocol.messages import Envelope, new_message
from protocol.queue import Handler, Receipt, ReceiptStatus
from protocol.receiving import check_incoming
from protocol.signing import KeyRing, sign

log = logging.getLogger(__name__)

MAX_APPLY_ATTEMPTS = 5
LEASE = timedelta(seconds=30)  # how long a pusher may hold a message before another may try it


class AlreadyApplied(Exception):
    """Another consumer applied this message first."""


def backoff(attempts: int) -> timedelta:
    """Wait longer after each failed delivery: 1 s, 2 s, 4 s … up to 5 minutes."""
    return timedelta(seconds=min(300, 2 ** max(0, attempts - 1)))


class SqlQueueEnd:
    """One organisation's end of the linked queue, on its own database."""

    def __init__(self, side: str, party: str, sessions: async_sessionmaker[AsyncSession], private_key,
                 keyring: KeyRing) -> None:
        self.side = side
        self.party = party
        self.sessions = sessions
        self.private_key = private_key
        self.keyring = keyring
        self.t = QUEUE_TABLES[side]

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
        """Lease a batch of undelivered messages so that two pushers never send the same one at once."""
        box = self.t.outbox
        now = utcnow()
        async with self.sessions.begin() as session:
            rows = (await _run(session,
                select(box.c.id, box.c.stream, box.c.envelope)
                .where(box.c.delivered_at.is_(None), box.c.rejected_at.is_(None), box.c.next_attempt_at <= now)
                .order_by(box.c.stream, box.c.sequence).limit(limit)
                .with_for_update(skip_locked=True)
            )).all()
            if rows:
                await _run(session, update(box).where(box.c.id.in_([r.id for r in rows]))
                                      .values(next_attempt_at=now + LEASE))
        return rows

    async def push(self, deliver: Callable[[str], Awaitable[Receipt]], limit: int = 100) -> int:
        """Hand due outbox messages to the receiver and record each receipt; returns how many arrived.

        No transaction is held while the receiver works: a crash after the receiver stored a message
        but before we record it only means it is sent again, and the receiver answers "duplicate".
        """
        delivered = 0
        held_back: set[str] = set()  # streams whose earlier message must arrive first
        for row in await self._claim_outgoing(limit):
            if row.stream in held_back:
                await self._record(row.id, Receipt(ReceiptStatus.RETRY_LATER, "an earlier message waits"))
                continue
            try:
                receipt = await deliver(row.envelope)
            except Exception as error:  # the receiver or the network failed: try again later
                receipt = Receipt(ReceiptStatus.RETRY_LATER, f"delivery failed: {type(error).__name__}")
            await self._record(row.id, receipt)
            if receipt.delivered:
                delivered += 1
            else:
                held_back.add(row.stream)
        return delivered

    async def _record(self, message_id: str, receipt: Receipt) -> None:
        box = self.t.outbox
        now = utcnow()
        async with self.sessions.begin() as session:
            if receipt.delivered:
                values = {"delivered_at": now, "last_error": None}
            elif receipt.status is ReceiptStatus.REJECTED:
                values = {"rejected_at": now, "last_error": receipt.reason}
                log.error("message %s was rejected by its receiver: %s", message_id, receipt.reason)
            else:
                attempts = (await _run(session, select(box.c.attempts).where(box.c.id == message_id))).scalar()
                values = {"attempts": attempts + 1, "next_attempt_at": now + backoff(attempts + 1),
                          "last_error": receipt.reason}
            await _run(session, update(box).where(box.c.id == message_id).values(**values))

    # --- receiving -----------------------------------------------------------------------------------

    async def accept(self, raw: str) -> Receipt:
        """Check one arriving message and store it once; bad ones become dead letters with the reason."""
        try:
            async with self.sessions.begin() as session:
                return await self._accept(session, raw)
        except IntegrityError:
            # Two deliveries of one message raced; the other stored it.
            return Receipt(ReceiptStatus.DUPLICATE, "this message was already received")

    async def _accept(self, session: AsyncSession, raw: str) -> Receipt:
        inbox, streams = self.t.inbox, self.t.stream_in
        header = _peek(raw)
        if header and (await _run(session, select(inbox.c.id).where(inbox.c.id == header["id"]))).first():
            return Receipt(ReceiptStatus.DUPLICATE, "this message was already received")
        where = None
        last = 0
        if header:
            where = and_(streams.c.sender == header["sender"], streams.c.stream == header["stream"])
            last = (await _run(session,
                select(streams.c.last_sequence).where(where).with_for_update())).scalar() or 0
        verdict = check_incoming(raw, self.keyring, self.party, last, False, receiving_as=self.side)
        if verdict.outcome == "duplicate":
            return Receipt(ReceiptStatus.DUPLICATE, verdict.reason)
        if verdict.outcome in ("reject", "out_of_order"):
            await self._dead_letter(session, raw, header, verdict.reason)
            status = ReceiptStatus.RETRY_LATER if verdict.outcome == "out_of_order" else ReceiptStatus.REJECTED
            return Receipt(status, verdict.reason)
        envelope = verdict.envelope
        await _run(session, insert(inbox).values(
            id=envelope.id, sender=envelope.sender, stream=envelope.request or "", sequence=envelope.sequence,
            type=envelope.type, envelope=raw, received_at=utcnow(), attempts=0,
        ))
        if last:
            await _run(session, update(streams).where(where).values(last_sequence=envelope.sequence))
        else:
            await _run(session, insert(streams).values(sender=envelope.sender, stream=envelope.request or "",
                                                         last_sequence=envelope.sequence))
        return Receipt(ReceiptStatus.ACCEPTED)

    async def _dead_letter(self, session: AsyncSession, raw: str, header: dict | None, reason: str) -> None:
        letters = self.t.dead_letter
        message_id = header["id"] if header else None
        if message_id is not None:
            seen = await _run(session, select(letters.c.id).where(
                letters.c.message_id == message_id, letters.c.reason == reason))
            if seen.first():
                return  # the same message refused for the same reason is kept once
        await _run(session, insert(letters).values(
            message_id=message_id, sender=(header or {}).get("sender"), raw=raw[:1_000_000], reason=reason,
            received_at=utcnow(),
        ))

    async def receive(self, session: AsyncSession, limit: int = 1) -> list[Envelope]:
        """Claim stored, unapplied messages in the caller's transaction, oldest stream position first."""
        inbox = self.t.inbox
        rows = (await _run(session,
            select(inbox.c.envelope)
            .where(inbox.c.applied_at.is_(None), inbox.c.attempts < MAX_APPLY_ATTEMPTS)
            .order_by(inbox.c.received_at, inbox.c.sequence).limit(limit)
            .with_for_update(skip_locked=True)
        )).scalars().all()
        return [Envelope.from_json(raw) for raw in rows]

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
        for _ in range(limit):
            envelope = None
            try:
                async with self.sessions.begin() as session:
                    claimed = await self.receive(session)
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
                break  # try again on the next round, after whatever went wrong had a chance to pass
        return applied

    async def _failed(self, envelope: Envelope, error: Exception) -> None:
        inbox = self.t.inbox
        reason = f"applying it failed: {type(error).__name__}: {error}"[:1000]
        async with self.sessions.begin() as session:
            await _run(session, update(inbox).where(inbox.c.id == envelope.id)
                                  .values(attempts=inbox.c.attempts + 1, last_error=reason))
            attempts = (await _run(session, select(inbox.c.attempts).where(inbox.c.id == envelope.id))).scalar()
            if attempts >= MAX_APPLY_ATTEMPTS:
                await self._dead_letter(session, envelope.to_json(), {"id": envelope.id,
                                                                      "sender": envelope.sender}, reason)

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


def _peek(raw: str) -> dict | None:
    """The id, sender and stream of a message, if it is well-formed enough to have them."""
    import json

    try:
        data = json.loads(raw)
        if isinstance(data, dict) and isinstance(data.get("id"), str) and isinstance(data.get("sender"), str):
            request = data.get("request")
            return {"id": data["id"][:64], "sender": data["sender"][:64],
                    "stream": request if isinstance(request, str) else ""}
    except (ValueError, TypeError):
        pass
    return None
