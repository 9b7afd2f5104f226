"""Sending what transactions left in the notification outbox: pushed to Telegram, handed to the web chat
when its page next asks.

The rules a careful sender keeps:
- In order per chat: one sender drains a chat at a time, oldest first; a message that must wait holds
  back the ones after it, so a family never reads an answer before its question.
- Paced under the platform's limits (bot/outbound/pacing.py); a 429 waits its retry_after and goes again.
- Server errors and dropped connections back off (1 s, 2 s, 4 s … up to 5 minutes) and go again: the lease and the
  backoff are the outbox package's (outbox/), the same as the linked queue's.
- A refusal for good (the family blocked the bot) is recorded, not retried for ever.
- Never twice: a message is claimed before it is sent and marked sent in the same step that claims the
  next, and a long text remembers which parts went. The one unavoidable gap is a crash after Telegram
  took a message and before we wrote that down (the Bot API has no idempotency key): the claim's lease
  runs out, the message is sent again and counted in `in_doubt`, because a repeated message is better
  than a lost one.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import aliased
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.chat import Said
from bot.language.i18n import from_json
from bot.models import ChatLink, Notification
from bot.outbound.notify import buttons_of, is_picture
from bot.outbound.pacing import Pacer
from bot.outbound.push import PushTarget, RetryAfter, Undeliverable
from bot.outbound.wire import Outgoing, attached, outgoing
from outbox import Backoff, Leased, Leasing
from protocol.clock import utcnow

log = logging.getLogger(__name__)
# The lease in a column of its own (claimed_until), so a sender that died holding a message is told from one that
# merely failed (in_doubt); waits spread by a fifth either way, so many chats do not retry in step after an outage.
COLUMNS = Leased(Notification, Notification.id, Notification.next_attempt_at, Notification.attempts,
                 Notification.last_error, Notification.claimed_until)
SPREAD = 0.2


def _done(now, parts_sent: int, refusal: str | None) -> dict:
    """Sent, or refused for good: either way no longer claimed, and the copies not kept."""
    finished = {"sent_at": now, "parts_sent": parts_sent} if refusal is None else {
        "failed_at": now, "last_error": refusal[:500]}
    return {**finished, "claimed_until": None, "document": None}


class Notifier:
    """Pushes one channel's messages from the outbox."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], target: PushTarget, pacer: Pacer | None = None,
                 *, lease: timedelta = timedelta(seconds=30), concurrency: int = 32):
        # Every transaction here records only how far sending got (claims, parts, sent): losing one in a power
        # cut costs a repeated message, counted in doubt, never a family's request. So on SQLite they commit
        # without waiting for the disk (tono/database.py, BOOKKEEPING: an fsync saved for every message sent).
        self.sessions = async_sessionmaker(**{**sessions.kw, "bind": sessions.kw["bind"].execution_options(
            tono_bookkeeping=True)}, class_=sessions.class_)
        self.target = target
        self.pacer = pacer or Pacer()
        self.lease = lease
        self.leasing = Leasing(COLUMNS, lease, Backoff(spread=SPREAD), error_length=500)
        self._draining: dict[int, asyncio.Task] = {}
        # Chats (by key) whose turn is sending the replies it claimed: the loop leaves them alone even once the
        # claim's lease has run out (pacing or a 429 pause can hold a turn's replies longer than the lease).
        self._turns_sending: dict[str, int] = {}
        self._room = asyncio.Semaphore(concurrency)
        self._wakeup = asyncio.Event()
        self.sent = 0  # messages (parts) the platform took, since start

    def wake(self) -> None:
        """Something was queued: look now rather than at the next tick."""
        self._wakeup.set()

    async def run(self, idle: float = 1.0) -> None:
        while True:
            try:
                await self._start_drains()
            except Exception:
                log.exception("looking for notifications to send failed; trying again")
            # asyncio.wait, not wait_for: on Python 3.11 wait_for swallows a cancel that lands as the event is
            # set (a wake() during shutdown), and this loop then never stops.
            woken = asyncio.ensure_future(self._wakeup.wait())
            try:
                await asyncio.wait({woken}, timeout=idle)
            finally:
                woken.cancel()
            self._wakeup.clear()

    async def deliver(self) -> int:
        """Send everything due now and wait until it is sent or must wait (tests and tools use this)."""
        before = self.sent
        while await self._start_drains() or self._draining:
            await asyncio.gather(*list(self._draining.values()), return_exceptions=True)
        return self.sent - before

    async def stop(self) -> None:
        for task in list(self._draining.values()):
            task.cancel()
        await asyncio.gather(*list(self._draining.values()), return_exceptions=True)

    async def _start_drains(self) -> int:
        now = utcnow()
        earlier = aliased(Notification)
        async with self.sessions() as session:
            # Chats whose oldest waiting message is due (a later one never goes first).
            chats = (await session.exec(
                select(Notification.chat_link_id, ChatLink.chat_key).join(ChatLink)
                .where(Notification.sent_at.is_(None), Notification.failed_at.is_(None), self.leasing.ready(now),
                       ChatLink.channel == self.target.channel,
                       ~select(earlier.id).where(earlier.chat_link_id == Notification.chat_link_id,
                                                 earlier.id < Notification.id, earlier.sent_at.is_(None),
                                                 earlier.failed_at.is_(None)).exists())
                .limit(500))).all()
        started = 0
        for chat_link_id, chat_key in chats:
            if chat_link_id not in self._draining and chat_key not in self._turns_sending:
                task = asyncio.create_task(self._drain(chat_link_id, chat_key))
                self._draining[chat_link_id] = task
                task.add_done_callback(lambda _t, c=chat_link_id: self._drained(c))
                started += 1
        return started

    async def send_claimed(self, chat_key: str, said: Said) -> None:
        """Send a turn's replies that the turn itself queued and claimed (`Said.sending`): straight away,
        with no scan and no claim of their own. Anything that cannot go now is released to the loop."""
        batch = [outgoing(notification_id, (reply.document.caption if reply.document and reply.document.caption
                                            else reply.text), reply.buttons,
                          said.screen if reply.screen is None else reply.screen, said.language, said.register,
                          *attached(reply), text_limit=self.target.text_limit)
                 for notification_id, reply in zip(said.sending, said.replies, strict=True)]
        # Each reply is marked as soon as it went (a commit each): a crash between sending and marking then
        # repeats at most the one message in flight, not the whole turn's replies.
        done: dict[int, tuple[int, str | None]] = {}  # id -> (parts sent, refusal for good), not yet marked
        self._turns_sending[chat_key] = self._turns_sending.get(chat_key, 0) + 1
        try:
            for index, claimed in enumerate(batch):
                try:
                    done[claimed.id] = (await self._send(chat_key, claimed), None)
                except Undeliverable as refusal:
                    log.warning("notification %s refused for good: %s", claimed.id, refusal)
                    done[claimed.id] = (0, str(refusal))
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    if isinstance(error, RetryAfter):
                        self.pacer.pause(error.seconds)
                    else:
                        log.warning("notification %s not sent yet: %s", claimed.id, type(error).__name__)
                    await self._release(claimed.id, None if isinstance(error, RetryAfter) else error)
                    for later in batch[index + 1:]:
                        await self._release(later.id, None)
                    self.wake()
                    return
                await self._mark(done)
                done.clear()
        finally:
            try:
                await self._mark(done)
            finally:
                if self._turns_sending[chat_key] == 1:
                    del self._turns_sending[chat_key]
                    self.wake()  # news that came meanwhile was left for the loop
                else:
                    self._turns_sending[chat_key] -= 1

    async def _mark(self, done: dict[int, tuple[int, str | None]]) -> None:
        if not done:
            return
        # Core UPDATEs, no rows loaded: this runs once for every message sent, and the ORM's load-change-flush
        # was a third of its cost (and read a sent document's bytes back only to clear them).
        async with self.sessions.begin() as session:
            connection, now = await session.connection(), utcnow()
            for notification_id, (parts_sent, refusal) in done.items():
                await connection.execute(update(Notification).where(Notification.id == notification_id)
                                         .values(**_done(now, parts_sent, refusal)))

    def _drained(self, chat_link_id: int) -> None:
        self._draining.pop(chat_link_id, None)
        self.wake()  # a message queued while this chat was finishing would otherwise wait for the next tick

    async def _drain(self, chat_link_id: int, chat_key: str) -> None:
        async with self._room:
            claimed = await self._claim(chat_link_id)
            while claimed is not None:
                try:
                    sent_parts = await self._send(chat_key, claimed)
                except RetryAfter as wait:
                    self.pacer.pause(wait.seconds)
                    await self._release(claimed.id, None)
                    return
                except Undeliverable as refusal:
                    log.warning("notification %s refused for good: %s", claimed.id, refusal)
                    claimed = await self._finish(claimed.id, chat_link_id, failed=str(refusal))
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    log.warning("notification %s not sent yet: %s", claimed.id, type(error).__name__)
                    await self._release(claimed.id, error)  # the parts that went are already recorded
                    return
                claimed = await self._finish(claimed.id, chat_link_id, parts_sent=sent_parts)

    async def _send(self, chat_key: str, claimed: Outgoing) -> int:
        if claimed.document is not None:
            await self.pacer.slot(chat_key)
            send = self.target.send_photo if is_picture(claimed.document_name) else self.target.send_document
            await send(chat_key, claimed.document_name or "copies.pdf", claimed.document,
                       claimed.parts[0][:1024] if claimed.parts else "", claimed.keyboard)
            self.sent += 1
            return 1
        for index in range(claimed.parts_sent, len(claimed.parts)):
            last = index == len(claimed.parts) - 1
            await self.pacer.slot(chat_key)
            await self.target.send_text(chat_key, claimed.parts[index], claimed.keyboard if last else None)
            self.sent += 1
            if not last:
                await self._record_part(claimed.id, index + 1)
        return len(claimed.parts)

    async def _claim(self, chat_link_id: int, session: AsyncSession | None = None) -> Outgoing | None:
        """The chat's oldest unsent message, claimed for one lease, if it is due and nobody else has it."""
        if session is None:
            async with self.sessions.begin() as session:
                return await self._claim(chat_link_id, session)
        now = utcnow()
        row = (await session.exec(
            select(Notification).where(Notification.chat_link_id == chat_link_id, Notification.sent_at.is_(None),
                                       Notification.failed_at.is_(None))
            .order_by(Notification.id).limit(1).with_for_update())).first()
        if row is None or not self.leasing.ready_now(row.next_attempt_at, row.claimed_until, now):
            return None
        if row.claimed_until is not None:  # a sender died holding it: it may or may not have gone
            row.in_doubt += 1
            log.warning("notification %s was being sent when a sender stopped; sending it again", row.id)
        for name, value in self.leasing.taken(now).items():
            setattr(row, name, value)
        session.add(row)
        link = await session.get(ChatLink, chat_link_id)
        return outgoing(row.id, from_json(row.text), buttons_of(row), row.screen, row.language or link.language,
                        row.audience or link.audience, row.document_name, row.document, parts_sent=row.parts_sent,
                        text_limit=self.target.text_limit)

    async def _finish(self, notification_id: int, chat_link_id: int, *, parts_sent: int = 0,
                      failed: str | None = None) -> Outgoing | None:
        """Mark one message done (sent, or refused for good) and claim the chat's next, in one transaction."""
        async with self.sessions.begin() as session:
            await (await session.connection()).execute(update(Notification).where(
                Notification.id == notification_id).values(**_done(utcnow(), parts_sent, failed)))
            return await self._claim(chat_link_id, session)

    async def _record_part(self, notification_id: int, parts_sent: int) -> None:
        async with self.sessions.begin() as session:
            row = await session.get(Notification, notification_id)
            row.parts_sent = parts_sent
            session.add(row)

    async def _release(self, notification_id: int, error: Exception | None) -> None:
        """Let go of a claimed message: untried (it waits for nothing), or failed (counted, and backing off)."""
        async with self.sessions.begin() as session:
            connection = await session.connection()
            if error is None:
                await self.leasing.give_back(connection, [notification_id], utcnow())
            else:
                await self.leasing.fail(connection, notification_id, utcnow(), f"{type(error).__name__}: {error}")

