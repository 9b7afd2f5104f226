"""What is Telegram's, whichever chat library calls it: the Bot API calls Tono makes, Telegram's limits, and what
its answers mean when starting. Each library's client (AiogramBotApi in bot/channels/telegram.py,
PtbBotApi in bot/channels/telegram_ptb.py) subclasses TelegramBotApi; it is the notifier's PushTarget
(bot/outbound/push.py), and the chat's side (bot/channels/telegram_common.py) calls it for everything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from bot.outbound.push import Keyboard
from bot.outbound.wire import TELEGRAM_TEXT_LIMIT

CHANNEL = "telegram"  # the same chats whichever library serves them: switching libraries keeps every conversation
UPDATES = ["message", "callback_query"]
POLL_SECONDS = 25


class TelegramUnreachable(Exception):
    """Starting failed because Telegram did not answer, or answered that it is in trouble: later may work."""


class TelegramRefused(Exception):
    """Starting failed because Telegram said no (a token it does not know, a webhook it will not take)."""


def webhook_secret(secret_key: str) -> str:
    """The X-Telegram-Bot-Api-Secret-Token value, derived from TONO_SECRET_KEY (Telegram allows A-Za-z0-9_-)."""
    return hmac.new(secret_key.encode(), b"telegram-webhook", hashlib.sha256).hexdigest()


class TelegramBotApi(ABC):
    """One bot's Bot API client. The sends raise bot/outbound/push.py's RetryAfter or Undeliverable for the
    answers that mean "wait" or "never"; anything else is passing trouble, tried again by the notifier."""

    channel = CHANNEL
    text_limit = TELEGRAM_TEXT_LIMIT
    bot: Any  # the library's Bot, made by each subclass

    # --- PushTarget: the notifier sends through these -------------------------------------------------------

    @abstractmethod
    async def send_text(self, chat_key: str, text: str, keyboard: Keyboard | None) -> None: ...

    @abstractmethod
    async def send_document(self, chat_key: str, filename: str, content: bytes, caption: str,
                            keyboard: Keyboard | None) -> None:
        """A copy as a Telegram document ("sending a document…" was shown while the turn made it)."""

    @abstractmethod
    async def send_photo(self, chat_key: str, filename: str, content: bytes, caption: str,
                         keyboard: Keyboard | None) -> None:
        """A picture (the steps of a request) as a Telegram photo: shown in the chat, not a file to open."""

    # --- what each library does its own way -----------------------------------------------------------------

    @abstractmethod
    async def username(self) -> str:
        """The bot's @username (for t.me links), asked of Telegram once and kept, as each library keeps getMe."""

    @abstractmethod
    async def get_updates(self, offset: int | None) -> Sequence[Any]:
        """getUpdates (long polling, POLL_SECONDS, UPDATES): the library's updates, each with an update_id."""

    @abstractmethod
    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None: ...

    @abstractmethod
    def starting(self) -> contextlib.AbstractAsyncContextManager[None]:
        """The library's errors while starting as TelegramUnreachable or TelegramRefused."""

    @abstractmethod
    async def connect(self) -> None:
        """Whatever the library does before its first call (python-telegram-bot: Bot.initialize)."""

    @abstractmethod
    async def close(self) -> None:
        """Close the library's HTTP session."""

    # --- the Bot API calls both libraries spell alike (the method names and keywords are Telegram's own) ----

    async def send_chat_action(self, chat: int, action: str) -> None:
        await self.bot.send_chat_action(chat, action)

    async def remove_buttons(self, chat: int, message_id: int) -> None:
        await self.bot.edit_message_reply_markup(chat_id=chat, message_id=message_id)

    async def delete_webhook(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATES)
