"""A request the family sent through the chat, and an outbox that only records what was sent: what the
request service's tests start from."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select

from bot.models import Notification, Request
from tests.bot.family_asks import family_asks, newest_ref


@dataclass
class RecordingOutbox:
    """protocol.queue.Outbox that keeps each message instead of queueing it."""

    sent: list[dict] = field(default_factory=list)

    async def send(self, session, *, type: str, recipient: str, request: str | None, body: dict):
        self.sent.append({"type": type, "recipient": recipient, "request": request, "body": body})


async def sent_request(new_chat, sessions, *, holder: str = "The agency") -> str:
    """Aroha (P-0001) asks what `holder` holds about her; the reference of her submitted request."""
    chat = new_chat()
    await family_asks(chat.conversations, sessions, key=chat.key, holder=holder)
    return await newest_ref(sessions)


async def the_request(session, ref: str) -> Request:
    return (await session.exec(select(Request).where(Request.ref == ref))).one()


async def family_told(sessions, ref: str) -> list[str]:
    """The English text of every notice queued for the family about the request `ref`."""
    async with sessions() as session:
        request = await the_request(session, ref)
        rows = await session.exec(select(Notification).where(Notification.request_id == request.id)
                                  .order_by(Notification.id))
        return [str(row.text) for row in rows]
