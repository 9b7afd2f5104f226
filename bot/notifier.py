"""Sending the notifications that transactions left in the outbox: to Telegram by pushing, to the web
chat when the page next asks. A notification is marked sent only after its channel took it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation import Said
from bot.flows.chat import Button, Reply
from bot.i18n import from_json
from bot.models import ChatLink, Notification
from bot.notify import NOTICE_SCREEN
from protocol.clock import utcnow

log = logging.getLogger(__name__)
Sender = Callable[[str, Said], Awaitable[None]]  # (chat key, what to say)


def as_said(notification: Notification, link: ChatLink) -> Said:
    buttons = tuple((Button(from_json(label), action),) for row in notification.buttons for label, action in [row])
    return Said([Reply(from_json(notification.text), buttons)], NOTICE_SCREEN, None, link.language, link.audience)


async def take_pending(session: AsyncSession, chat_link_id: int) -> list[Said]:
    """The web chat's waiting notifications, marked sent as they are handed over (in the caller's transaction)."""
    link = await session.get(ChatLink, chat_link_id)
    rows = list(await session.exec(select(Notification).where(
        Notification.chat_link_id == chat_link_id, Notification.sent_at.is_(None)).order_by(Notification.id)
        .with_for_update()))
    for row in rows:
        row.sent_at = utcnow()
        session.add(row)
    return [as_said(row, link) for row in rows]


class Notifier:
    """Pushes notifications to the channels that take pushes (Telegram)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], senders: dict[str, Sender]):
        self.sessions = sessions
        self.senders = senders

    async def deliver(self, limit: int = 50) -> int:
        if not self.senders:
            return 0
        async with self.sessions() as session:
            rows = (await session.exec(
                select(Notification, ChatLink).join(ChatLink, ChatLink.id == Notification.chat_link_id)
                .where(Notification.sent_at.is_(None), Notification.next_attempt_at <= utcnow(),
                       ChatLink.channel.in_(list(self.senders)))
                .order_by(Notification.id).limit(limit))).all()
        sent = 0
        for notification, link in rows:
            try:
                await self.senders[link.channel](link.chat_key, as_said(notification, link))
            except Exception as error:
                log.warning("notification %s not sent: %s", notification.id, type(error).__name__)
                await self._record(notification.id, error)
                continue
            await self._record(notification.id, None)
            sent += 1
        return sent

    async def _record(self, notification_id: int, error: Exception | None) -> None:
        async with self.sessions.begin() as session:
            row = await session.get(Notification, notification_id)
            if error is None:
                row.sent_at = utcnow()
            else:
                row.attempts += 1
                row.next_attempt_at = utcnow() + timedelta(seconds=min(300, 2 ** row.attempts))
                row.last_error = f"{type(error).__name__}: {error}"[:500]
            session.add(row)

    async def run(self, interval: float = 1.0) -> None:
        while True:
            try:
                await self.deliver()
            except Exception:
                log.exception("delivering notifications failed")
            await asyncio.sleep(interval)
