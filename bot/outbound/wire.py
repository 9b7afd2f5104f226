"""What a message is on the wire, the same for every channel and for the outbox that sends it: button tokens,
long texts split under Telegram's limit, a message rendered for a pushing channel, and one turn at a time per
chat."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass

from bot.flows.chat import Button, Reply
from bot.language.i18n import Text, say
from bot.outbound.push import Keyboard

TELEGRAM_TEXT_LIMIT = 4096
CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data
_TOKEN = re.compile(r"^(\d{1,9}):([A-Za-z0-9_.:-]{1,50})$")


def button_token(screen: int, action: str) -> str:
    """What a button carries: the screen it belongs to and its action, nothing personal."""
    token = f"{screen}:{action}"
    if len(token.encode()) > CALLBACK_LIMIT or not _TOKEN.match(token):
        raise ValueError(f"button action {action!r} does not fit in a button token")
    return token


def read_token(token: str | None) -> tuple[int, str] | None:
    """The (screen, action) in a button token, or None for anything Tono did not make."""
    match = _TOKEN.match(token or "")
    return (int(match.group(1)), match.group(2)) if match else None


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at paragraph, then line, then word boundaries so each part fits; tags never span lines."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > 0 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


def rendered(reply: Reply, language: str, register: str) -> str:
    return say(reply.text, language, register)


@dataclass(frozen=True)
class Outgoing:
    """One outbox message rendered for a pushing channel: its parts (a long text split), keyboard and file."""

    id: int  # the notification's
    parts: list[str]
    parts_sent: int  # the parts that went already (a long text cut off by a failure goes on from there)
    keyboard: Keyboard | None  # on the last part only
    document_name: str | None
    document: bytes | None


def attached(reply: Reply) -> tuple[str | None, bytes | None]:
    """The file that goes with a reply (a document or a picture), as the outbox keeps it: name and bytes."""
    file = reply.document or reply.picture
    return (file.filename, file.content) if file else (None, None)


def outgoing(notification_id: int, text: Text, buttons: tuple[tuple[Button, ...], ...], screen: int, language: str,
             register: str, document_name: str | None, document: bytes | None, *, text_limit: int,
             parts_sent: int = 0) -> Outgoing:
    """A message said in the chat's language and register, its buttons as tokens of `screen`, its text split to
    `text_limit` (a file's caption is never split: the sender cuts it to Telegram's caption limit)."""
    said = say(text, language, register)
    keyboard = [[(say(b.label, language, register), button_token(screen, b.action)) for b in row]
                for row in buttons] or None
    parts = [said] if document is not None else split_text(said, text_limit)
    return Outgoing(notification_id, parts, parts_sent, keyboard, document_name, document)


class ChatOrder:
    """One turn at a time per chat, in arrival order: asyncio.Lock wakes waiters first come, first served."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def __call__(self, chat_key: str) -> asyncio.Lock:
        if len(self._locks) > 10_000:  # forget idle chats now and then
            for key in [k for k, lock in self._locks.items() if not lock.locked()]:
                del self._locks[key]
        return self._locks[chat_key]
