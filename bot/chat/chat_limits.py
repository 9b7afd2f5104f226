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

import time
from collections.abc import Callable
from typing import Literal

from bot.language.i18n import _
from deskkit.throttle import RateLimit

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
