"""What a channel that pushes (Telegram) and the notifier say to each other, with no database behind it: the
channel is the notifier's PushTarget, and holds the notifier only as a NotifierPort. The channels import this
module, never the notifier itself (their contract in pyproject.toml: no tables, no database)."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from bot.flows.chat import Said

Keyboard = list[list[tuple[str, str]]]  # rows of (label, button token)


class RetryAfter(Exception):
    """The platform asked us to wait this many seconds before sending anything more."""

    def __init__(self, seconds: float):
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Undeliverable(Exception):
    """The platform refused this message for good (blocked bot, chat gone, message it cannot take)."""


class PushTarget(Protocol):
    """A channel that takes pushed messages. Any other exception from it is taken as passing trouble."""

    channel: str
    text_limit: int

    async def send_text(self, chat_key: str, text: str, keyboard: Keyboard | None) -> None: ...

    async def send_document(self, chat_key: str, filename: str, content: bytes, caption: str,
                            keyboard: Keyboard | None) -> None: ...

    async def send_photo(self, chat_key: str, filename: str, content: bytes, caption: str,
                         keyboard: Keyboard | None) -> None: ...


class Slots(Protocol):
    """The pacing a channel's own sends keep too (bot/outbound/pacing.py's Pacer)."""

    async def slot(self, chat_key: str) -> None: ...


class NotifierPort(Protocol):
    """What a pushing channel asks of the notifier (bot/outbound/notifier.py), built once by tono/app.py."""

    lease: timedelta  # how long a turn's claim on its replies lasts (Conversations.push_replies)
    pacer: Slots

    def wake(self) -> None: ...

    async def send_claimed(self, chat_key: str, said: Said) -> None: ...

    async def run(self, idle: float = 1.0) -> None: ...

    async def stop(self) -> None: ...
