"""What a message is on the wire, the same for every channel and for the outbox that sends it: button tokens,
long texts split under Telegram's limit, and one turn at a time per chat."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict

from bot.flows.chat import Reply
from bot.language.i18n import say

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


class ChatOrder:
    """One turn at a time per chat, in arrival order: asyncio.Lock wakes waiters first come, first served."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def __call__(self, chat_key: str) -> asyncio.Lock:
        if len(self._locks) > 10_000:  # forget idle chats now and then
            for key in [k for k, lock in self._locks.items() if not lock.locked()]:
                del self._locks[key]
        return self._locks[chat_key]
