"""What the channels may ask of the chat runtime, with no database behind it: the conversation service's port
(bot/chat/conversation.py's Conversations answers it) and reading a platform's language hint. The channels
import this module, never the conversation itself (their contract in pyproject.toml: no tables, no database)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.flows.chat import Document, Incoming, Picture, Said
from bot.flows.engine import Engine
from bot.flows.ports import Work
from bot.language.i18n import LANGUAGES


def language_from_hint(hint: str | None) -> str:
    """Telegram's language_code ('mi', 'en-NZ' …) as one of Tono's languages; English otherwise."""
    code = (hint or "").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


@dataclass(frozen=True)
class History:
    """A chat's newest kept messages, oldest first, for a page that shows them again (the web chat after a
    reload): each is (the family said it, what was said). Buttons of `screen` still work, older ones do not."""

    messages: list[tuple[bool, Said]]
    screen: int
    language: str
    register: str
    text_limit: int  # the longest typed answer the current step takes


class ConversationsPort(Protocol):
    """Every family conversation, as a channel sees it: a chat is a (channel, chat key) pair."""

    engine: Engine  # the flows' engine: which slow work a button starts (the web chat says so while it waits)

    def push_replies(self, channel: str, lease: timedelta) -> None:
        """Replies on `channel` go through the notification outbox, claimed by their turn for `lease`."""

    async def handle(self, channel: str, chat_key: str, incoming: Incoming, language_hint: str | None = None,
                     once: str | None = None, progress: Callable[[Work], None] | None = None,
                     client: str | None = None) -> Said:
        """One turn: what the family did in, what to say out (a repeated `once` changes and says nothing).
        `client` (the web chat: an address) bounds the new chats and worker requests one client starts an hour."""

    def keep_history(self, channel: str) -> None:
        """Keep `channel`'s conversations on the server, for a page that shows them again after a reload."""

    async def history(self, channel: str, chat_key: str) -> History:
        """This chat's newest kept messages and where it is now (nothing for a chat Tono does not know)."""

    async def pending(self, channel: str, chat_key: str) -> list[Said]:
        """The chat's waiting news, handed over once (a channel that is asked for it: the web chat)."""

    async def rekey_if_linked(self, channel: str, chat_key: str, new_key: str) -> bool:
        """Move a chat that now knows who the family is to `new_key`; False, and nothing moved, if it does not."""

    async def copies_document(self, channel: str, chat_key: str, ref: str, language: str,
                              register: str) -> Document | None:
        """A delivered request's copies, if this chat may have them (bot.copies.drawing.Busy: not now)."""

    async def status_picture(self, channel: str, chat_key: str, ref: str, language: str,
                             register: str) -> Picture | None:
        """The picture of a request's steps, if this chat may see the request (Busy: not now)."""
