"""Telling a family something outside a conversation turn: the message is written to the notification
outbox in the caller's transaction, and the notifier sends it (so it is never lost or sent half-way)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.chat import Button
from bot.i18n import Text, to_json
from bot.models import Notification, Request

# Buttons on a notification are not tied to a conversation screen; the engine checks their action
# against the server's state whenever one is pressed (see bot/flows/engine.py: NOTICE_SCREEN).
NOTICE_SCREEN = 0


async def notify(session: AsyncSession, request: Request, text: Text, *buttons: Button) -> None:
    """Queue a message about a request to the chat the family made it from."""
    if request.chat_link_id is None:
        return  # made at the desk for a family with no chat: staff tell them in person
    session.add(Notification(
        chat_link_id=request.chat_link_id, request_id=request.id, text=to_json(text),
        buttons=[[to_json(b.label), b.action] for b in buttons],
    ))
