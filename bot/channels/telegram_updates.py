"""A Telegram update read into plain values, the same way whichever library parsed it: a message as a flow input,
a button press as a Press. The library channels (telegram.py, telegram_ptb.py) read; the shared turns
(telegram_common.py) take what they read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.flows.chat import Incoming

MEDIA_KINDS = ("photo", "sticker", "voice", "video_note", "video", "audio", "document", "animation", "location",
               "contact", "poll")


@dataclass(frozen=True)
class Press:
    """A button press, read off the library's callback query."""

    update_id: int
    presser: int  # the user who pressed
    language_hint: str | None  # the presser's Telegram language
    data: str | None  # the button's callback data, as Telegram gives it: anyone can forge it
    chat: int | None  # the chat of the message the button is on; None when Telegram no longer shows that message
    private: bool
    message_id: int | None
    # The query's own answer(text=None, show_alert=None): the same signature in aiogram and python-telegram-bot.
    answer: Callable[..., Awaitable[Any]]


def incoming_from(message: Any) -> Incoming:
    """A Telegram message as a flow input. Both libraries name a message's fields as the Bot API does (text,
    photo, sticker…); an absent one is None in aiogram and None or empty in python-telegram-bot (photo: ())."""
    if message.text is not None:
        text = message.text
        if text.startswith("/"):
            head, _, arg = text.partition(" ")
            command = head[1:].split("@", 1)[0].lower()
            return Incoming("command", command=command, text=arg)
        return Incoming("text", text=text)
    kind = next((k for k in MEDIA_KINDS if getattr(message, k, None)), "other")
    return Incoming("media", media=kind)
