"""The Telegram channel on python-telegram-bot 22 (TELEGRAM_LIBRARY=python-telegram-bot), for providers who
already run their bots on it: PTB's Bot as the Bot API client (PtbBotApi, Telegram's side,
bot/channels/telegram_api.py), and PTB's types around the turns that every Telegram channel shares
(PtbTelegramChannel, the chat's side, bot/channels/telegram_common.py).

It uses PTB's Bot API layer (`telegram`), not its application framework (`telegram.ext`), the way PTB's own
rawapibot.py example does: Tono brings its own update loop (confirm-after-commit polling, see
TelegramChannelBase._poll), its own pacing and retries (the outbox, bot/outbound/notifier.py, shared with
aiogram instead of PTB's AIORateLimiter) and its own conversation state, so Application, Updater, JobQueue and
ConversationHandler would each have one more copy of something Tono already keeps. Two reasons in particular:
Application.process_update hands a handler's exception to error handlers instead of raising it, so a failed
turn would be confirmed to Telegram and lost; and the Updater confirms an update as soon as it queues it.
An update is therefore read with Update.de_json and handed to the shared turns here, in a few lines.
"""

from __future__ import annotations

import warnings
from contextlib import asynccontextmanager
from datetime import timedelta

from telegram import Bot, BotCommand, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram_api import POLL_SECONDS, UPDATES, TelegramBotApi, TelegramRefused, TelegramUnreachable
from bot.channels.telegram_common import TelegramChannelBase
from bot.channels.telegram_updates import Press, incoming_from
from bot.outbound.push import Keyboard, Undeliverable
from bot.outbound.push import RetryAfter as WaitThenRetry

TELEGRAM = "https://api.telegram.org"
# As long as aiogram waits for an answer: a send cut off by a short timeout may still have reached Telegram, and
# the outbox would send it again (PTB's defaults are 5 s to read an answer, 20 s to upload a file).
PATIENCE = 60.0


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=token) for label, token in row]
                                 for row in keyboard])


# PTB 22 warns, each time it makes a RetryAfter, that retry_after will be a timedelta in PTB 23 (unless PTB_TIMEDELTA
# is set); _seconds reads either, so the warning says nothing Tono must act on.
warnings.filterwarnings("ignore", message=".*`retry_after`.*", category=PTBDeprecationWarning)


def _seconds(error: RetryAfter) -> float:
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


@asynccontextmanager
async def _telegram_refusals():
    """PTB's errors in the notifier's terms, as aiogram's are: wait as told, give up on a refusal for good, else
    retry (a NetworkError or TimedOut is any other exception to the notifier: passing trouble, tried again)."""
    try:
        yield
    except RetryAfter as error:
        raise WaitThenRetry(_seconds(error)) from error
    except (Forbidden, BadRequest) as error:  # BadRequest is a NetworkError in PTB: caught here first
        # Blocked, chat gone, or a message Telegram will never take as it is: record why (in PTB's words, which
        # drop Telegram's "Bad Request: " and capitalise what is left: "Chat not found").
        raise Undeliverable(error.message) from error


class PtbBotApi(TelegramBotApi):
    """One python-telegram-bot Bot: the Bot API calls Tono makes, in PTB's words."""

    def __init__(self, token: str, api_base: str | None = None):
        base = (api_base or TELEGRAM).rstrip("/")
        # Kept to close them whether or not the bot was ever initialised (Bot.shutdown skips them then).
        # getUpdates' own: PTB adds the long poll's POLL_SECONDS to its read timeout (40 s, as aiogram's channel asks).
        self._requests = (HTTPXRequest(connection_pool_size=1, read_timeout=15.0),
                          HTTPXRequest(read_timeout=PATIENCE, write_timeout=PATIENCE, media_write_timeout=PATIENCE))
        self.bot = Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
                       get_updates_request=self._requests[0], request=self._requests[1])

    async def username(self) -> str:
        await self.bot.initialize()  # getMe once; PTB keeps the answer (and does nothing if started already)
        return self.bot.username

    async def get_updates(self, offset: int | None) -> tuple[Update, ...]:
        return await self.bot.get_updates(offset=offset, timeout=POLL_SECONDS, allowed_updates=UPDATES)

    async def send_text(self, chat_key: str, text: str, keyboard: Keyboard | None) -> None:
        async with _telegram_refusals():
            await self.bot.send_message(int(chat_key), text, parse_mode=ParseMode.HTML, reply_markup=markup(keyboard))

    async def send_document(self, chat_key: str, filename: str, content: bytes, caption: str,
                            keyboard: Keyboard | None) -> None:
        async with _telegram_refusals():
            await self.bot.send_document(int(chat_key), content, filename=filename, caption=caption,
                                         parse_mode=ParseMode.HTML, reply_markup=markup(keyboard))

    async def send_photo(self, chat_key: str, filename: str, content: bytes, caption: str,
                         keyboard: Keyboard | None) -> None:
        async with _telegram_refusals():
            await self.bot.send_photo(int(chat_key), content, filename=filename, caption=caption,
                                      parse_mode=ParseMode.HTML, reply_markup=markup(keyboard))

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None:
        await self.bot.set_my_commands([BotCommand(name, text) for name, text in commands], language_code=language)

    async def connect(self) -> None:
        await self.bot.initialize()  # PTB's start: its HTTP clients, and getMe (which checks the token)

    @asynccontextmanager
    async def starting(self):
        try:
            yield
        except InvalidToken as error:
            # Bot.initialize's own message repeats the token, which must never reach a log: Telegram's is enough.
            said = error.__cause__ if isinstance(error.__cause__, TelegramError) else error
            raise TelegramRefused(said.message) from None
        except BadRequest as error:  # before NetworkError, of which PTB makes it a kind
            raise TelegramRefused(error.message) from error
        except NetworkError as error:  # TimedOut too; and 5xx, which PTB reports as NetworkError
            raise TelegramUnreachable(error.message) from error
        except TelegramError as error:
            raise TelegramRefused(error.message) from error

    async def close(self) -> None:
        await self.bot.shutdown()
        for request in self._requests:
            await request.shutdown()  # closes its client if Bot.shutdown did not


class PtbTelegramChannel(TelegramChannelBase):
    """PTB's updates, read with Update.de_json, reaching the conversations (through a PtbBotApi)."""

    async def feed(self, update: dict) -> None:
        await self._dispatch(Update.de_json(update, self.api.bot))

    async def _dispatch(self, update: Update) -> None:
        if update.message is not None:
            await self._on_message(update.update_id, update.message)
        elif update.callback_query is not None:
            await self._on_button(update.update_id, update.callback_query)

    async def _on_message(self, update_id: int, message: Message) -> None:
        hint = message.from_user.language_code if message.from_user else None
        await self.message_turn(update_id, message.chat.id, message.chat.type == "private", hint,
                                incoming_from(message))

    async def _on_button(self, update_id: int, query: CallbackQuery) -> None:
        message = query.message
        shown = message is not None and message.is_accessible
        await self.button_turn(Press(
            update_id, query.from_user.id, query.from_user.language_code, query.data,
            message.chat.id if shown else None, shown and message.chat.type == "private",
            message.message_id if shown else None, query.answer))
