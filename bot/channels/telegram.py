"""The Telegram channel on aiogram 3: turns updates into flow inputs and replies into messages.

It decides nothing: every press is checked by the flows and the lifecycle. What it does check is what
only Telegram knows: that the person pressing a button is the person whose chat it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from contextlib import asynccontextmanager
from datetime import timedelta

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramNotFound, TelegramRetryAfter
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
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.channels.common import TELEGRAM_TEXT_LIMIT, ChatOrder, read_token
from bot.conversation import Conversations, language_from_hint
from bot.flows import COMMAND_DESCRIPTIONS
from bot.flows.chat import Incoming
from bot.i18n import LANGUAGES, _, say
from bot.notifier import Keyboard, Notifier, RetryAfter, Undeliverable
from bot.pacing import Pacer

log = logging.getLogger(__name__)
CHANNEL = "telegram"
UPDATES = ["message", "callback_query"]
POLL_SECONDS = 25
POLL_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)  # aiogram's own
MEDIA_KINDS = ("photo", "sticker", "voice", "video_note", "video", "audio", "document", "animation", "location",
               "contact", "poll")


def incoming_from(message: Message) -> Incoming:
    """A Telegram message as a flow input."""
    if message.text is not None:
        text = message.text
        if text.startswith("/"):
            head, _, arg = text.partition(" ")
            command = head[1:].split("@", 1)[0].lower()
            return Incoming("command", command=command, text=arg)
        return Incoming("text", text=text)
    kind = next((k for k in MEDIA_KINDS if getattr(message, k, None) is not None), "other")
    return Incoming("media", media=kind)


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


def webhook_secret(secret_key: str) -> str:
    """The X-Telegram-Bot-Api-Secret-Token value, derived from TONO_SECRET_KEY (Telegram allows A-Za-z0-9_-)."""
    return hmac.new(secret_key.encode(), b"telegram-webhook", hashlib.sha256).hexdigest()


class TelegramChannel:
    """One bot, its dispatcher, and the way its updates reach the conversations."""

    channel = CHANNEL
    text_limit = TELEGRAM_TEXT_LIMIT

    def __init__(self, token: str, conversations: Conversations, api_base: str | None = None,
                 pacer: Pacer | None = None, lease: timedelta = timedelta(seconds=30)):
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else AiohttpSession()
        self.bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
        self.conversations = conversations
        self.notifier = Notifier(conversations.sessions, self, pacer, lease=lease)
        conversations.push_replies(CHANNEL, self.notifier.lease)
        self.order = ChatOrder()
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(self._router())
        self._polling: asyncio.Task | None = None
        self._sending: asyncio.Task | None = None
        self._sends: dict[str, asyncio.Task] = {}  # per chat: the latest turn's sending, which waits for the one before

    def start_sending(self) -> None:
        """Start pushing the outbox (replies and news) to Telegram."""
        if self._sending is None:
            self._sending = asyncio.create_task(self.notifier.run())

    def _router(self) -> Router:
        router = Router(name="family-chat")
        router.message.register(self.on_message)
        router.callback_query.register(self.on_button)
        return router

    async def on_message(self, message: Message, event_update: Update) -> None:
        if message.chat.type != "private":
            return  # families talk to Tono one to one; a group is never a family's chat
        hint = message.from_user.language_code if message.from_user else None
        key = str(message.chat.id)
        async with self.order(key):
            said = await self.conversations.handle(CHANNEL, key, incoming_from(message), hint,
                                                   once=f"tg:{event_update.update_id}")
        self._after_turn(key, said)

    async def on_button(self, query: CallbackQuery, event_update: Update) -> None:
        message = query.message
        hint_language = language_from_hint(query.from_user.language_code)
        if message is None or isinstance(message, InaccessibleMessage):
            await query.answer(say(_("That button is from an earlier message, so it does nothing now."),
                                   hint_language, "adult"))
            return
        if message.chat.type != "private" or query.from_user.id != message.chat.id:
            await query.answer(say(_("This button is from someone else's chat, so it does nothing for you."),
                                   hint_language, "adult"), show_alert=True)
            return
        token = read_token(query.data)
        key = str(message.chat.id)
        if token is None:
            await query.answer(say(_("That button does nothing here."), hint_language, "adult"))
            return
        screen, action = token
        async with self.order(key):
            said = await self.conversations.handle(CHANNEL, key, Incoming("button", action=action, screen=screen),
                                                   once=f"tg:{event_update.update_id}")
        await query.answer(say(said.notice, said.language, said.register) if said.notice else None)
        self._after_turn(key, said, used=message if said.notice is None and said.replies else None)

    def _after_turn(self, key: str, said, used: Message | None = None) -> None:
        """Send the turn's replies, which are safe in the outbox already, in the background: the update is
        done once its turn is committed (see _poll), and a chat's sends stay in turn order, each turn's after
        the one before. Whatever the turn could not claim (older messages wait first) goes by the loop."""
        previous = self._sends.get(key)

        async def send() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            if said.sending:
                await self.notifier.send_claimed(key, said)
            if len(said.sending) < len(said.replies):
                self.notifier.wake()
            if used is not None:
                await self._clear_buttons(used)

        task = asyncio.create_task(send())
        self._sends[key] = task
        task.add_done_callback(lambda done: self._sends.pop(key, None) if self._sends.get(key) is done else None)

    async def flush(self) -> None:
        """Wait until every turn's replies so far have been sent (tests, and a clean stop)."""
        while self._sends:
            await asyncio.gather(*list(self._sends.values()), return_exceptions=True)

    async def _poll(self) -> None:
        """Long polling that confirms updates to Telegram only once their turns are committed.

        aiogram's own polling confirms an update when it starts handling it, so a bot killed mid-turn loses
        that update for good. Here a batch is confirmed (the next getUpdates' offset) after every turn in it
        is saved; a redelivered update is recognised by its update_id and changes nothing (Conversations.
        handle). An update whose turn failed is left unconfirmed, so Telegram gives it again, up to three
        times before it is given up (a poison update must not stop the chat for everyone).
        """
        backoff, offset, failures = Backoff(POLL_BACKOFF), None, {}
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=POLL_SECONDS, allowed_updates=UPDATES,
                                                      request_timeout=POLL_SECONDS + 15)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Telegram unreachable: wait and ask again, as aiogram does
                log.warning("getUpdates failed (%s); asking again in %.1f s", type(error).__name__, backoff.next_delay)
                await backoff.asleep()
                continue
            backoff.reset()
            if not updates:
                continue
            results = await asyncio.gather(*(self.dispatcher.feed_update(self.bot, u) for u in updates),
                                           return_exceptions=True)
            offset = updates[-1].update_id + 1
            for update, result in zip(updates, results, strict=True):
                if isinstance(result, Exception) and not isinstance(result, asyncio.CancelledError):
                    failures[update.update_id] = failures.get(update.update_id, 0) + 1
                    log.error("update %s failed (%s), try %d", update.update_id, type(result).__name__,
                              failures[update.update_id], exc_info=result)
                    if failures[update.update_id] < 3:
                        offset = min(offset, update.update_id)
            if len(failures) > 1000:
                failures.clear()

    async def _clear_buttons(self, message: Message) -> None:
        """Take the buttons off a message once one of them was used, so old choices do not linger. Best
        effort and paced like any send: the screen check guards a button that stays."""
        try:
            await self.notifier.pacer.slot(str(message.chat.id))
            await self.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message.message_id)
        except Exception:  # the message may be too old to edit
            log.debug("could not clear buttons", exc_info=True)

    # --- PushTarget: the notifier sends through these -------------------------------------------------------

    async def send_text(self, chat_key: str, text: str, keyboard: Keyboard | None) -> None:
        async with _telegram_refusals():
            await self.bot.send_message(int(chat_key), text, reply_markup=markup(keyboard))

    async def send_document(self, chat_key: str, filename: str, content: bytes, caption: str,
                            keyboard: Keyboard | None) -> None:
        """A copy as a Telegram document, with "sending a document…" shown while it uploads."""
        async with _telegram_refusals():
            await self.bot.send_chat_action(int(chat_key), "upload_document")
            await self.bot.send_document(int(chat_key), BufferedInputFile(content, filename=filename),
                                         caption=caption, reply_markup=markup(keyboard))

    async def set_commands(self) -> None:
        """The menu commands with their descriptions, in English (the default) and te reo Māori."""
        for language in LANGUAGES:
            commands = [BotCommand(command=name, description=say(text, language, "adult"))
                        for name, text in COMMAND_DESCRIPTIONS.items()]
            await self.bot.set_my_commands(commands, language_code=None if language == "en" else language)

    async def start_polling(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.set_commands()
        self.start_sending()
        self._polling = asyncio.create_task(self._poll())

    async def start_webhook(self, url: str, secret: str) -> None:
        await self.set_commands()
        self.start_sending()
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATES)

    async def feed(self, update: dict) -> None:
        await self.dispatcher.feed_webhook_update(self.bot, Update.model_validate(update, context={"bot": self.bot}))

    async def stop(self) -> None:
        if self._polling is not None:
            self._polling.cancel()  # what was not confirmed yet is given again on the next start
            await asyncio.gather(self._polling, return_exceptions=True)
            self._polling = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.flush(), timeout=10)
        if self._sending is not None:
            self._sending.cancel()
            await asyncio.gather(self._sending, return_exceptions=True)
            self._sending = None
        await self.notifier.stop()
        await self.bot.session.close()
