"""What the fake Bot API does for the methods a bot calls on chats: messages, edits, buttons, commands, files.

A mixin for FakeTelegram (telegram_api.py), which owns the state these methods read and write.
Method handlers are named `_m_<BotApiMethod>`; each takes the decoded params and returns the `result`.
"""

from __future__ import annotations

import mimetypes
import secrets
import time
from dataclasses import dataclass
from typing import Any

from .telegram_rules import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    UPLOAD_LIMIT,
    ApiError,
    bad_request,
    check_commands,
    check_reply_markup,
    formatted,
)
from .telegram_users import FakeUser

_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document",
    "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}  # fmt: skip
PHOTO_LIMIT = 10 * 1024 * 1024  # Telegram's limit for a photo (a document may be 50 MB)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


@dataclass
class InFile:
    """An uploaded multipart file, read once so the request log and the handlers can both see it."""

    filename: str
    data: bytes

    def __repr__(self) -> str:
        return f"InFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass
class Upload:
    chat_id: int
    filename: str
    data: bytes
    caption: str | None
    file_id: str


class ChatMethods:
    bot: dict[str, Any]
    users: dict[int, FakeUser]
    callback_answers: list[dict[str, Any]]
    commands: dict[tuple[str, str], list[dict[str, Any]]]
    uploads: list[Upload]
    _open_callbacks: set[str]
    _files: dict[str, tuple[str, bytes]]  # file_id -> (file_path, data)

    def store_file(self, data: bytes, path: str) -> dict[str, Any]:
        file_id = "BQAC" + secrets.token_urlsafe(24)
        self._files[file_id] = (f"{file_id[-8:]}/{path}", data)
        return {"file_id": file_id, "file_unique_id": file_id[-12:], "file_size": len(data)}

    @staticmethod
    def mime_type(filename: str) -> str:
        return mimetypes.guess_type(filename)[0] or "application/octet-stream"

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params)
        text, entities = _message_text(params)
        markup = check_reply_markup(params.get("reply_markup"))
        return user.receive(self._bot_message(user, text=text, entities=entities, reply_markup=markup))

    async def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params)
        caption, entities = formatted(
            params.get("caption"), params.get("parse_mode"), limit=CAPTION_LIMIT, too_long="message caption is too long"
        )
        markup = check_reply_markup(params.get("reply_markup"))
        filename, data = self._input_file(params, "document")
        stored = self.store_file(data, f"documents/{filename}")
        document = {**stored, "file_name": filename, "mime_type": self.mime_type(filename)}
        self.uploads.append(Upload(user.id, filename, data, caption or None, document["file_id"]))
        content = {"document": document, "caption": caption, "caption_entities": entities, "reply_markup": markup}
        return user.receive(self._bot_message(user, **content))

    async def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params)
        caption, entities = formatted(
            params.get("caption"), params.get("parse_mode"), limit=CAPTION_LIMIT, too_long="message caption is too long"
        )
        markup = check_reply_markup(params.get("reply_markup"))
        filename, data = self._input_file(params, "photo")
        if len(data) > PHOTO_LIMIT:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        width, height = _png_size(data)
        if not width or not height:
            raise bad_request("IMAGE_PROCESS_FAILED")
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        stored = self.store_file(data, f"photos/{filename}")
        self.uploads.append(Upload(user.id, filename, data, caption or None, stored["file_id"]))
        photo = [{**stored, "width": width, "height": height}]
        content = {"photo": photo, "caption": caption, "caption_entities": entities, "reply_markup": markup}
        return user.receive(self._bot_message(user, **content))

    async def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        user, old = self._target(params, "message to edit not found")
        if "text" not in old:
            raise bad_request("there is no text in the message to edit")
        text, entities = _message_text(params)
        # An edit without reply_markup removes the inline keyboard, as Telegram does.
        return self._edit(user, old, text=text, entities=entities, reply_markup=params.get("reply_markup"))

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        user, old = self._target(params, "message to edit not found")
        return self._edit(user, old, reply_markup=params.get("reply_markup"))

    async def _m_deleteMessage(self, params: dict[str, Any]) -> bool:
        user, old = self._target(params, "message to delete not found")
        user.deleted.add(old["message_id"])
        return True

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:  # unknown, or already answered: Telegram refuses both
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self.callback_answers.append(params)
        return True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = check_commands(params.get("commands"))
        self.commands[_commands_key(params)] = commands
        return True

    async def _m_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(_commands_key(params), [])

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise bad_request("invalid file_id")
        path, data = self._files[file_id]
        return {"file_id": file_id, "file_unique_id": file_id[-12:], "file_size": len(data), "file_path": path}

    # --- helpers ----------------------------------------------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> FakeUser:
        user = self.users.get(params.get("chat_id"))
        if user is None:  # the bot can only write to people who started it
            raise bad_request("chat not found")
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    def _target(self, params: dict[str, Any], missing: str) -> tuple[FakeUser, dict[str, Any]]:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the fake")
        user = self._chat(params)
        message = user.find(params.get("message_id"))
        if message is None:
            raise bad_request(missing)
        return user, message

    def _bot_message(self, user: FakeUser, **content: Any) -> dict[str, Any]:
        message = {"message_id": user.next_message_id(), "from": self.bot, "chat": user.chat, "date": int(time.time())}
        return message | _content(content)

    def _edit(self, user: FakeUser, old: dict[str, Any], **changes: Any) -> dict[str, Any]:
        changes["reply_markup"] = check_reply_markup(changes["reply_markup"])
        unchanged = {key: value for key, value in old.items() if key not in changes}
        new = unchanged | _content(changes)
        if all(new.get(key) == old.get(key) for key in changes):
            raise bad_request(_NOT_MODIFIED)
        return user.receive(new | {"edit_date": int(time.time())}, edit=True)

    def _input_file(self, params: dict[str, Any], field: str) -> tuple[str, bytes]:
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, InFile):
            filename, data = value.filename, value.data
        elif isinstance(value, str) and value in self._files:  # a file_id sent again
            path, data = self._files[value]
            filename = path.rsplit("/", 1)[-1]
        else:
            raise bad_request(f"there is no {field} in the request" if value is None else "wrong file identifier")
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        return filename, data


def _png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height from its header; (0, 0) for anything else (the fake takes only PNG photos)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return 0, 0
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _message_text(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    text, parse_mode = params.get("text"), params.get("parse_mode")
    return formatted(text, parse_mode, limit=TEXT_LIMIT, too_long="message is too long", empty="message text is empty")


def _content(fields: dict[str, Any]) -> dict[str, Any]:
    """Telegram omits empty fields, and echoes only inline keyboards back on a message."""
    content = {key: value for key, value in fields.items() if value not in (None, [], "")}
    if "inline_keyboard" not in (content.get("reply_markup") or {}):
        content.pop("reply_markup", None)
    return content


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    scope_key = ":".join(str(scope[key]) for key in ("type", "chat_id", "user_id") if key in scope)
    return scope_key, params.get("language_code") or ""
