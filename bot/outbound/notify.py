"""Telling a family something: the message is written to the notification outbox in the caller's
transaction, and the notifier sends it (so it is never lost, and never sent half-way or twice); the web chat
takes its own waiting messages when its page asks (take_pending)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.chat import Button, Reply, Said
from bot.language.i18n import from_json, to_json
from bot.models import ChatLink, Notification, Request
from protocol.clock import utcnow

# Buttons on a notification are not tied to a conversation screen; the engine checks their action
# against the server's state whenever one is pressed (see bot/flows/engine.py: NOTICE_SCREEN).
NOTICE_SCREEN = 0
# A picture (bot.flows.chat.Picture) is kept in a notification's document columns, told apart by its name:
# the chat shows it as a photo, not as a file to download.
PICTURE_SUFFIX = ".png"


def is_picture(filename: str | None) -> bool:
    return bool(filename) and filename.endswith(PICTURE_SUFFIX)


def button_rows(rows: tuple[tuple[Button, ...], ...]) -> list:
    """Buttons as a notification keeps them (JSON); buttons_of reads them back."""
    return [[[to_json(b.label), b.action] for b in row] for row in rows]


def buttons_of(notification: Notification) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(Button(from_json(label), action) for label, action in row) for row in notification.buttons)


async def notify(session: AsyncSession, request: Request, text, *buttons: Button) -> None:
    """Queue news about a request to the chat the family made it from (said in the chat's language then)."""
    if request.chat_link_id is None:
        return  # made at the desk for a family with no chat: staff tell them in person
    session.add(Notification(chat_link_id=request.chat_link_id, request_id=request.id, text=to_json(text),
                             buttons=button_rows(tuple((b,) for b in buttons)), screen=NOTICE_SCREEN))


async def notify_chat(session: AsyncSession, chat_link_id: int, text) -> None:
    """Queue news that is about no one request (a sending of the family's information) to one chat."""
    session.add(Notification(chat_link_id=chat_link_id, text=to_json(text), buttons=[], screen=NOTICE_SCREEN))


async def queue_replies(session: AsyncSession, chat_link_id: int, replies: list[Reply], screen: int, language: str,
                        register: str, claim_for: timedelta | None = None) -> list[Notification]:
    """Queue a turn's replies for a channel that pushes (Telegram), in the turn's own transaction: if the
    bot dies after the turn is saved, the replies still go; if it dies before, neither happened.

    With `claim_for`, the rows are claimed for that long so the channel can send them straight after the
    commit (no second transaction to claim them); not when older messages still wait in this chat, which
    must go first (the notifier's loop sends those, then these).
    """
    rows = []
    older = (await session.exec(select(Notification.id).where(
        Notification.chat_link_id == chat_link_id, Notification.sent_at.is_(None),
        Notification.failed_at.is_(None)).limit(1))).first() if claim_for else None
    claimed_until = utcnow() + claim_for if claim_for and older is None else None
    for reply in replies:
        document = reply.document
        attached = document or reply.picture  # a picture waits in the document columns; its name says it is one
        rows.append(Notification(
            chat_link_id=chat_link_id, text=to_json(document.caption if document and document.caption
                                                    else reply.text),
            buttons=button_rows(reply.buttons), screen=screen if reply.screen is None else reply.screen,
            language=language, audience=register, document_name=attached.filename if attached else None,
            document=attached.content if attached else None, claimed_until=claimed_until))
    session.add_all(rows)
    await session.flush()
    return rows


def as_said(notification: Notification, link: ChatLink) -> Said:
    return Said([Reply(from_json(notification.text), buttons_of(notification))], notification.screen, None,
                notification.language or link.language, notification.audience or link.audience)


async def take_pending(session: AsyncSession, chat_link_id: int) -> list[Said]:
    """The web chat's waiting notifications, marked sent as they are handed over (in the caller's transaction)."""
    link = await session.get(ChatLink, chat_link_id)
    rows = list(await session.exec(select(Notification).where(
        Notification.chat_link_id == chat_link_id, Notification.sent_at.is_(None)).order_by(Notification.id)
        .with_for_update()))
    for row in rows:
        row.sent_at = utcnow()
        # Said now in the chat's language and register, and kept so: the chat's history shows it as it was said.
        row.language, row.audience = row.language or link.language, row.audience or link.audience
        session.add(row)
    return [as_said(row, link) for row in rows]
