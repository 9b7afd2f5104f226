"""The Telegram channel on aiogram 3: turns updates into flow inputs and replies into messages.

It decides nothing: every press is checked by the flows and the lifecycle. What it does check is what
only Telegram knows: that the person pressing a button is the person whose chat it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
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

from bot.channels.common import ChatOrder, button_token, read_token, split_text
from bot.conversation import Conversations, Said, language_from_hint
from bot.flows import COMMAND_DESCRIPTIONS
from bot.flows.chat import Incoming, Reply
from bot.i18n import LANGUAGES, _, say

log = logging.getLogger(__name__)
CHANNEL = "telegram"
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


def keyboard(reply: Reply, screen: int, language: str, register: str) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=say(b.label, language, register), callback_data=button_token(screen, b.action))
         for b in row] for row in reply.buttons
    ])


def webhook_secret(secret_key: str) -> str:
    """The X-Telegram-Bot-Api-Secret-Token value, derived from TONO_SECRET_KEY (Telegram allows A-Za-z0-9_-)."""
    return hmac.new(secret_key.encode(), b"telegram-webhook", hashlib.sha256).hexdigest()


class TelegramChannel:
    """One bot, its dispatcher, and the way its updates reach the conversations."""

    def __init__(self, token: str, conversations: Conversations, api_base: str | None = None):
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else AiohttpSession()
        self.bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
        self.conversations = conversations
        self.order = ChatOrder()
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(self._router())
        self._polling: asyncio.Task | None = None

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
            await self.send(message.chat.id, said)

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
        async with self.order(key):
            if token is None:
                said = None
                await query.answer(say(_("That button does nothing here."), hint_language, "adult"))
            else:
                screen, action = token
                said = await self.conversations.handle(CHANNEL, key, Incoming("button", action=action, screen=screen),
                                                       once=f"tg:{event_update.update_id}")
                notice = say(said.notice, said.language, said.register) if said.notice else None
                await query.answer(notice)
                if said.notice is None:
                    await self._clear_buttons(message)
            if said is not None:
                await self.send(message.chat.id, said)

    async def _clear_buttons(self, message: Message) -> None:
        """Take the buttons off a message once one of them was used, so old choices do not linger."""
        try:
            await self.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message.message_id)
        except Exception:  # the message may be too old to edit; the screen check still guards it
            log.debug("could not clear buttons", exc_info=True)

    async def send(self, chat_id: int, said: Said) -> None:
        for reply in said.replies:
            screen = said.screen if reply.screen is None else reply.screen
            markup = keyboard(reply, screen, said.language, said.register)
            if reply.document is not None:
                await self._send_document(chat_id, reply, said, markup)
                continue
            parts = split_text(say(reply.text, said.language, said.register))
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                await self.bot.send_message(chat_id, part, reply_markup=markup if last else None)

    async def _send_document(self, chat_id: int, reply: Reply, said: Said, markup) -> None:
        """A copy as a Telegram document, with "sending a document…" shown while it uploads."""
        document = reply.document
        caption = say(document.caption or reply.text, said.language, said.register)[:1024]
        await self.bot.send_chat_action(chat_id, "upload_document")
        await self.bot.send_document(chat_id, BufferedInputFile(document.content, filename=document.filename),
                                     caption=caption, reply_markup=markup)

    async def set_commands(self) -> None:
        """The menu commands with their descriptions, in English (the default) and te reo Māori."""
        for language in LANGUAGES:
            commands = [BotCommand(command=name, description=say(text, language, "adult"))
                        for name, text in COMMAND_DESCRIPTIONS.items()]
            await self.bot.set_my_commands(commands, language_code=None if language == "en" else language)

    async def start_polling(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.set_commands()
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(self.bot, handle_signals=False, close_bot_session=False)
        )

    async def start_webhook(self, url: str, secret: str) -> None:
        await self.set_commands()
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=["message", "callback_query"])

    async def feed(self, update: dict) -> None:
        await self.dispatcher.feed_webhook_update(self.bot, Update.model_validate(update, context={"bot": self.bot}))

    async def stop(self) -> None:
        if self._polling is not None:
            await self.dispatcher.stop_polling()
            try:
                await asyncio.wait_for(self._polling, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._polling.cancel()
            self._polling = None
        await self.bot.session.close()
