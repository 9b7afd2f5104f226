"""Telling a family something: the message is written to the notification outbox in the caller's
transaction, and the notifier sends it (so it is never lost, and never sent half-way or twice)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.chat import Button, Reply
from bot.language.i18n import to_json
from bot.models import Notification, Request
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
    return [[[to_json(b.label), b.action] for b in row] for row in rows]


async def notify(session: AsyncSession, request: Request, text, *buttons: Button) -> None:
    """Queue news about a request to the chat the family made it from (said in the chat's language then)."""
    if request.chat_link_id is None:
        return  # made at the desk for a family with no chat: staff tell them in person
    session.add(Notification(chat_link_id=request.chat_link_id, request_id=request.id, text=to_json(text),
                             buttons=button_rows(tuple((b,) for b in buttons)), screen=NOTICE_SCREEN))


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
