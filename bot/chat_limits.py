"""Slowing down a chat that sends too much too fast: its turns are not run until it slows, and it is
told so, kindly, once.

Why 20 turns in 10 seconds: a person reads each reply before answering, so even a quick one pressing
buttons takes a second or more a turn; Telegram splits a long paste into a few messages at once, which
still fits. Only a script, a stuck key or a flood gets past 2 turns a second for 10 seconds, and each turn
is a database transaction, so one such chat could slow every family's. Telegram itself lets a bot send
about one message a second to a chat (DESIGN.md §4), so faster replies could not reach the family anyway.

Refused turns count too, so a chat that keeps going at full speed stays refused until it really slows.
The counts live in this process's memory (deskkit.throttle.RateLimit): with several bot workers each
counts its own share of a chat's turns, which only makes the limit more generous.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from bot.flows.chat import Incoming, Reply
from bot.i18n import Text, _
from bot.notify import queue_replies
from deskkit.throttle import RateLimit

if TYPE_CHECKING:
    from bot.conversation import Conversations

TURNS, SECONDS = 20, 10.0
SLOW_DOWN = _("You are sending messages faster than I can read them. Please wait a few seconds, then send your "
              "last message again.")
Verdict = Literal["go", "warn", "quiet"]


class ChatLimits:
    """Per chat: "go" (run the turn), "warn" (the first refused turn: say why), "quiet" (refused again)."""

    def __init__(self, turns: int = TURNS, seconds: float = SECONDS, clock: Callable[[], float] = time.monotonic):
        self.rate = RateLimit(turns, seconds, count_refused=True, clock=clock)
        self._told: dict[str, tuple[str, str]] = {}  # refused chats already told: their language and register

    def check(self, chat: str) -> Verdict:
        if not self.rate.hit(chat):
            self._told.pop(chat, None)
            return "go"
        return "quiet" if chat in self._told else "warn"

    def told(self, chat: str, language: str, register: str) -> None:
        if len(self._told) > 10_000:
            self._told.clear()  # bounds memory; the worst it does is tell a chat twice
        self._told[chat] = (language, register)

    def language_of(self, chat: str) -> tuple[str, str] | None:
        return self._told.get(chat)


async def refusal(conversations: Conversations, channel: str, chat_key: str, incoming: Incoming,
                  hint_language: str) -> tuple[list[Reply], int, Text | None, str, str] | None:
    """None when the turn may run; else what to say instead (a Said's fields), having run nothing.

    The first refused turn reads the chat's language (one short transaction) and says SLOW_DOWN; later ones
    say nothing, except that a pressed button always gets the short note, so its buttons stay on Telegram.
    """
    limits, key = conversations.chat_limits, f"{channel}:{chat_key}"
    verdict = limits.check(key)
    if verdict == "go":
        return None
    notice = SLOW_DOWN if incoming.kind == "button" else None
    if verdict == "quiet":
        language, register = limits.language_of(key) or (hint_language, "adult")
        return [], 0, notice, language, register
    replies = [Reply(SLOW_DOWN)]
    language, register = hint_language, "adult"
    async with conversations.sessions.begin() as session:
        link = await conversations.link_of(session, channel, chat_key)
        if link is not None:
            language, register = link.language, link.audience
            if conversations.pushes(channel):
                # A channel that pushes (Telegram) sends replies from the notification outbox, not from
                # what handle returns: the one "slow down" goes there too.
                await queue_replies(session, link.id, replies, 0, language, register)
    limits.told(key, language, register)
    return replies, 0, notice, language, register
