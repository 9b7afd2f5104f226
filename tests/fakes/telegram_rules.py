"""What the Bot API refuses, checked the way Telegram checks it, so our tests fail where real Telegram would.

Limits from core.telegram.org/bots/api and DESIGN.md §4: text 1-4096 characters after entity parsing,
caption 1024, callback_data 1-64 bytes, uploads 50 MB. Error texts are Telegram's own, so code that
matches on them (as aiogram users do) behaves the same against the fake.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
UPLOAD_LIMIT = 50 * 1024 * 1024

# Telegram's HTML tags and the entity each one makes.
_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "a": "text_link", "code": "code",
    "pre": "pre", "tg-spoiler": "spoiler", "span": "spoiler", "blockquote": "blockquote",
}  # fmt: skip
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ApiError(Exception):
    """A refusal, answered as `{"ok": false, "error_code": status, "description": ...}`."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    """Entity offsets and lengths are counted in UTF-16 code units, as Telegram does."""
    return len(text.encode("utf-16-le")) // 2


class _TelegramHTML(HTMLParser):
    """Telegram's HTML subset: known tags only, properly nested, and no raw `<` (user text must be escaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # keep `&lt;` apart from a raw `<` so the latter can be refused
        self.parts: list[str] = []
        self.position = 0
        self.open: list[list[Any]] = []  # [tag, start offset, entity]
        self.entities: list[dict[str, Any]] = []

    def _text(self, text: str) -> None:
        self.parts.append(text)
        self.position += utf16_len(text)

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{data.split("<", 1)[1][:20]}"')
        self._text(data)

    def handle_entityref(self, name: str) -> None:
        self._text(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._text(unescape(f"&#{name};"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ENTITY_TYPES:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}"')
        entity: dict[str, Any] = {"type": _ENTITY_TYPES[tag]}
        attributes = dict(attrs)
        if tag == "a":
            entity = {"type": "text_link", "url": attributes["href"]} if attributes.get("href") else {}
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "code" and self.open and self.open[-1][0] == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, not two entities
            language = (attributes.get("class") or "").removeprefix("language-")
            if language:
                self.open[-1][2]["language"] = language
            entity = {}
        self.open.append([tag, self.position, entity])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise bad_request(f'can\'t parse entities: Unexpected end tag "{tag}"')
        _, start, entity = self.open.pop()
        if entity and self.position > start:  # Telegram drops empty entities
            self.entities.append({**entity, "offset": start, "length": self.position - start})

    def unknown_decl(self, data: str) -> None:
        raise bad_request("can't parse entities: Unsupported start tag")

    handle_comment = handle_decl = handle_pi = unknown_decl


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The plain text a family would see, and its entities; ApiError where Telegram can't parse it."""
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()  # flushes a dangling "<b" as data, which handle_data then refuses
    if parser.open:
        tag = parser.open[-1][0]
        raise bad_request(f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\"")
    return "".join(parser.parts), sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))


def formatted(
    text: Any, parse_mode: Any, *, limit: int, too_long: str, empty: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Parse `text` as Telegram would and apply its length limit to what remains after parsing."""
    text = "" if text is None else str(text)
    plain, entities = parse_html(text) if str(parse_mode or "").lower() == "html" else (text, [])
    if empty and not plain.strip():
        raise bad_request(empty)
    if len(plain) > limit:
        raise bad_request(too_long)
    return plain, entities


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Inline keyboards are checked button by button; other keyboards are accepted as sent."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not str(button.get("text") or "").strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
        elif "url" in button:
            if not re.match(r"(https?|tg)://", str(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")
        elif len(button) == 1:
            raise bad_request("text buttons are unallowed in the inline keyboard")
    return markup


def check_commands(commands: Any) -> list[dict[str, Any]]:
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "").strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return commands


def check_webhook(url: Any, secret_token: Any) -> None:
    if not str(url or "").startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if secret_token is not None and not _SECRET_TOKEN.fullmatch(str(secret_token)):
        raise bad_request("secret token contains unallowed characters")
