"""What a conversation is made of, with no chat library in sight: what the family sends, what Tono
says back. Channels (Telegram, the web chat) translate these to and from their own types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.language.i18n import Plain, Text

InputKind = Literal["text", "button", "command", "media"]
# The longest typed message a channel passes on to the flows: the longest answer any step takes (a statement
# of correction, an answer to the agency's question: 5000 characters). Each step takes up to its own
# `text_limit` (bot/flows/engine.py) and says so, kindly, to anything longer; the web chat's turn and its text
# box are held to this number, then to the step's own.
TYPED_LIMIT = 5000


@dataclass(frozen=True)
class Incoming:
    """One thing the family sent: typed text, a button press, a /command, or a file/photo/sticker/voice."""

    kind: InputKind
    text: str = ""  # typed text, or the command's argument
    action: str = ""  # the button's action
    screen: int | None = None  # which message's buttons were pressed (stale buttons are refused)
    command: str = ""  # "start", "cancel", …
    media: str = ""  # "photo", "sticker", "voice", "document", … when kind is "media"


@dataclass(frozen=True)
class Button:
    label: Text
    action: str


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    caption: Text | None = None


@dataclass(frozen=True)
class Picture:
    """An image that shows what the words of the chat already say (a chat's photo: a PNG); `alt` says it in
    words, sentence by sentence, for anyone who cannot see it."""

    filename: str
    content: bytes
    alt: tuple[Text, ...] = ()


@dataclass(frozen=True)
class Reply:
    """One message from Tono: text, and buttons laid out in rows; a document or a picture goes with the
    text as its caption."""

    text: Text | Plain
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    document: Document | None = None
    screen: int | None = None  # buttons that belong to no screen (NOTICE_SCREEN); None: the turn's screen
    picture: Picture | None = None


@dataclass(frozen=True)
class Said:
    """What one turn produced, for the channel to send."""

    replies: list[Reply]
    screen: int  # the screen number every button in these replies belongs to
    notice: Text | None
    language: str
    register: str
    sending: tuple[int, ...] = ()  # outbox rows this turn queued and claimed, for the channel to send at once
    text_limit: int = TYPED_LIMIT  # the longest typed answer the step now asked takes (a text box can say so)


def rows(*buttons: Button | None, per_row: int = 1) -> tuple[tuple[Button, ...], ...]:
    """Buttons laid out `per_row` to a row, leaving out any that are None."""
    present = [b for b in buttons if b is not None]
    return tuple(tuple(present[i:i + per_row]) for i in range(0, len(present), per_row))
