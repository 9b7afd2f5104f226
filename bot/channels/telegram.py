"""The Telegram channel on aiogram 3 (the default): aiogram's Bot as the Bot API client (AiogramBotApi, Telegram's
side, bot/channels/telegram_api.py), and its Dispatcher and types around the turns that every Telegram channel
shares (TelegramChannel, the chat's side, bot/channels/telegram_common.py).

It decides nothing: every press is checked by the flows and the lifecycle. What it does check is what
only Telegram knows: that the person pressing a button is the person whose chat it is.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from bot.channels import bot_api_answers  # noqa: F401  (the answers' models built once: see the module)
from bot.channels.telegram_api import POLL_SECONDS, UPDATES, TelegramBotApi, TelegramRefused, TelegramUnreachable
from bot.channels.telegram_common import TelegramChannelBase
from bot.channels.telegram_updates import Press, incoming_from
from bot.chat.ports import ConversationsPort
from bot.outbound.push import Keyboard, NotifierPort, RetryAfter, Undeliverable

__all__ = ["AiogramBotApi", "TelegramChannel", "markup"]


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=token) for label, token in row] for row in keyboard
    ])


@asynccontextmanager
async def _telegram_refusals():
    """aiogram's errors in the notifier's terms: wait as told, give up on a refusal for good, else retry."""
    try:
        yield
    except TelegramRetryAfter as error:
        raise RetryAfter(error.retry_after) from error
    except (TelegramForbiddenError, TelegramNotFound) as error:
        raise Undeliverable(error.message) from error
    except TelegramBadRequest as error:
        # Telegram will never take this message as it is (chat gone, text it cannot parse): record why.
        raise Undeliverable(error.message) from error


class AiogramBotApi(TelegramBotApi):
    """One aiogram Bot: the Bot API calls Tono makes, in aiogram's words."""

    def __init__(self, token: str, api_base: str | None = None):
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else AiohttpSession()
        self.bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))

    async def username(self) -> str:
        return (await self.bot.me()).username

    async def get_updates(self, offset: int | None) -> list[Update]:
        return await self.bot.get_updates(offset=offset, timeout=POLL_SECONDS, allowed_updates=UPDATES,
                                          request_timeout=POLL_SECONDS + 15)

    async def send_text(self, chat_key: str, text: str, keyboard: Keyboard | None) -> None:
        async with _telegram_refusals():
            await self.bot.send_message(int(chat_key), text, reply_markup=markup(keyboard))

    async def send_document(self, chat_key: str, filename: str, content: bytes, caption: str,
                            keyboard: Keyboard | None) -> None:
        async with _telegram_refusals():
            await self.bot.send_document(int(chat_key), BufferedInputFile(content, filename=filename),
                                         caption=caption, reply_markup=markup(keyboard))

    async def send_photo(self, chat_key: str, filename: str, content: bytes, caption: str,
                         keyboard: Keyboard | None) -> None:
        async with _telegram_refusals():
            await self.bot.send_photo(int(chat_key), BufferedInputFile(content, filename=filename), caption=caption,
                                      reply_markup=markup(keyboard))

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None:
        await self.bot.set_my_commands([BotCommand(command=name, description=text) for name, text in commands],
                                       language_code=language)

    async def connect(self) -> None:
        """Nothing to open first: aiogram's session opens on its first call."""

    @asynccontextmanager
    async def starting(self):
        try:
            yield
        except (TelegramNetworkError, TelegramServerError) as error:
            raise TelegramUnreachable(str(error)) from error
        except TelegramAPIError as error:
            raise TelegramRefused(error.message) from error

    async def close(self) -> None:
        await self.bot.session.close()


class TelegramChannel(TelegramChannelBase):
    """aiogram's dispatcher, and the way its updates reach the conversations."""

    def __init__(self, api: AiogramBotApi, conversations: ConversationsPort, notifier: NotifierPort):
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(self._router())
        super().__init__(api, conversations, notifier)

    def _router(self) -> Router:
        router = Router(name="family-chat")
        router.message.register(self.on_message)
        router.callback_query.register(self.on_button)
        return router

    async def on_message(self, message: Message, event_update: Update) -> None:
        hint = message.from_user.language_code if message.from_user else None
        await self.message_turn(event_update.update_id, message.chat.id, message.chat.type == "private", hint,
                                incoming_from(message))

    async def on_button(self, query: CallbackQuery, event_update: Update) -> None:
        message = query.message
        shown = message is not None and not isinstance(message, InaccessibleMessage)
        await self.button_turn(Press(
            event_update.update_id, query.from_user.id, query.from_user.language_code, query.data,
            message.chat.id if shown else None, shown and message.chat.type == "private",
            message.message_id if shown else None, query.answer))

    async def feed(self, update: dict) -> None:
        # feed_update, not feed_webhook_update: that one stops waiting after 55 s and lets the turn go on
        # unseen, so a slow turn that then failed would already have been confirmed to Telegram, and lost.
        await self._dispatch(Update.model_validate(update, context={"bot": self.api.bot}))

    async def _dispatch(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.api.bot, update)
