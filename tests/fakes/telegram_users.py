"""The family's side of the fake Telegram: people who write to the bot, press its buttons and read its replies.

Each FakeUser has a private chat with the bot (chat id == user id, as in Telegram). Message ids are shared
by both sides of a chat, as in a real private chat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .telegram_api import FakeTelegram


class FakeUser:
    def __init__(
        self, server: FakeTelegram, user_id: int, first_name: str, language_code: str | None, username: str | None
    ) -> None:
        self.id, self.first_name, self.language_code, self.username = user_id, first_name, language_code, username
        self.blocked = False  # set True to make the bot's sends fail with 403, as after a family blocks the bot
        self.messages: list[dict[str, Any]] = []  # every bot message in this chat, in order, edits applied
        self.arrived_at: list[float] = []  # time.monotonic() when each of .messages arrived
        self.deleted: set[int] = set()  # message ids the bot deleted (they stay in .messages for inspection)
        self._server = server
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()  # sent and edited bot messages, unread
        self._last_message_id = 0

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"

    @property
    def user(self) -> dict[str, Any]:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": self.language_code}
        return {key: value for key, value in {**user, "username": self.username}.items() if value is not None}

    @property
    def chat(self) -> dict[str, Any]:
        chat = {"id": self.id, "type": "private", "first_name": self.first_name, "username": self.username}
        return {key: value for key, value in chat.items() if value is not None}

    # --- used by the server -------------------------------------------------------------------------------

    def next_message_id(self) -> int:
        self._last_message_id += 1
        return self._last_message_id

    def find(self, message_id: Any) -> dict[str, Any] | None:
        """The bot message's current state, or None if it never existed or was deleted."""
        if message_id in self.deleted:
            return None
        return next((m for m in reversed(self.messages) if m["message_id"] == message_id), None)

    def receive(self, message: dict[str, Any], *, edit: bool = False) -> dict[str, Any]:
        if edit:
            index = next(i for i, m in enumerate(self.messages) if m["message_id"] == message["message_id"])
            self.messages[index] = message  # replaced, not mutated: dicts a test already holds stay as they were
        else:
            self.messages.append(message)
            self.arrived_at.append(time.monotonic())  # lines up with .messages (edits replace in place)
        self._inbox.put_nowait(message)
        return message

    # --- used by tests ------------------------------------------------------------------------------------

    async def send(self, text: str, **extra: Any) -> dict[str, Any]:
        """The family writes `text`; returns the message as the bot will receive it."""
        return self._queue_message(text=text, **extra)

    async def send_command(self, command: str, argument: str | None = None) -> dict[str, Any]:
        """`/start CODE` as Telegram sends it after a deep link: text plus a bot_command entity."""
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {argument}" if argument else command
        return await self.send(text, entities=[{"type": "bot_command", "offset": 0, "length": len(command)}])

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        sizes = []
        for width, height in ((90, 67), (320, 240), (800, 600)):
            stored = self._server.store_file(b"\xff\xd8\xff" + bytes(width), f"photos/{width}.jpg")
            sizes.append({**stored, "width": width, "height": height})
        return self._queue_message(photo=sizes, caption=caption)

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        stored = self._server.store_file(b"RIFF-fake-webp", "stickers/sticker.webp")
        sticker = {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}
        return self._queue_message(sticker={**stored, **sticker, "emoji": emoji})

    async def send_voice(self, duration: int = 3) -> dict[str, Any]:
        stored = self._server.store_file(b"OggS" + bytes(duration * 100), "voice/voice.oga")
        return self._queue_message(voice={**stored, "duration": duration, "mime_type": "audio/ogg"})

    async def send_document(
        self, filename: str = "letter.pdf", data: bytes = b"%PDF-1.4 fake", caption: str | None = None
    ) -> dict[str, Any]:
        stored = self._server.store_file(data, f"documents/{filename}")
        document = {**stored, "file_name": filename, "mime_type": self._server.mime_type(filename)}
        return self._queue_message(document=document, caption=caption)

    async def press(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Press a button carrying `data` on `message`, which may be in someone else's chat (a forged press).

        `data` is not checked against the message's buttons, so tests can forge or replay callback data.
        """
        owner = self._server.users.get(message["chat"]["id"])
        if owner and message["message_id"] in owner.deleted:
            raise AssertionError(f"message {message['message_id']} was deleted; nobody can press its buttons")
        current = (owner.find(message["message_id"]) if owner else None) or message  # its state now, edits included
        query = {
            "id": self._server.open_callback_query(),
            "from": self.user,
            "message": current,
            "chat_instance": str(current["chat"]["id"] * 7919 % 10**12),
            "data": data,
        }
        self._server.queue_update(callback_query=query)
        return query

    async def press_button(self, text_or_predicate: str | Callable[[str], bool]) -> dict[str, Any]:
        """Press the matching button on the most recent bot message that has one."""
        matches = text_or_predicate if callable(text_or_predicate) else text_or_predicate.__eq__
        seen: list[str] = []
        for message in reversed(self.messages):
            if message["message_id"] in self.deleted:
                continue
            for button in (b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row):
                seen.append(button["text"])
                if matches(button["text"]):
                    if "callback_data" not in button:
                        raise AssertionError(f"button {button['text']!r} has no callback_data: {button}")
                    return await self.press(message, button["callback_data"])
        raise AssertionError(f"no button {text_or_predicate!r} for {self.first_name}; buttons seen: {seen}")

    async def next_message(self, timeout: float = 5) -> dict[str, Any]:
        """The next message the bot sent or edited in this chat (edits carry `edit_date`)."""
        try:
            return await asyncio.wait_for(self._inbox.get(), timeout)
        except TimeoutError:
            raise AssertionError(f"the bot sent {self.first_name} nothing within {timeout} s") from None

    async def no_message(self, within: float = 0.3) -> None:
        """Assert the bot stays silent in this chat for `within` seconds."""
        try:
            message = await asyncio.wait_for(self._inbox.get(), within)
        except TimeoutError:
            return
        raise AssertionError(f"the bot unexpectedly sent {self.first_name}: {message}")

    def _queue_message(self, **content: Any) -> dict[str, Any]:
        message = {"message_id": self.next_message_id(), "from": self.user, "chat": self.chat, "date": int(time.time())}
        message.update({key: value for key, value in content.items() if value is not None})
        self._server.queue_update(message=message)
        return message
