"""What is the chat's on Telegram, whichever chat library talks to the Bot API: turns and screens.

A turn per update, one at a time per chat and in order; the press of a button checked against the person
pressing it; the turn's replies sent from the outbox (the notifier, which paces and retries for every channel,
handed in as a NotifierPort); "typing…" while a turn is slow; long polling that confirms an update only once its
turn is saved.

What is Telegram's (the Bot API calls, its limits, what its errors mean) is the TelegramBotApi handed in
(bot/channels/telegram_api.py). Each library's channel subclasses TelegramChannelBase and adds only how to read
its updates into plain values (bot/channels/telegram_updates.py's Press and incoming_from; bot/channels/telegram.py
on aiogram, bot/channels/telegram_ptb.py on python-telegram-bot; TELEGRAM_LIBRARY picks one). tono/app.py builds
the client, the notifier and the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.channels.telegram_api import CHANNEL, TelegramBotApi
from bot.channels.telegram_updates import Press
from bot.chat.ports import ConversationsPort, language_from_hint
from bot.flows import COMMAND_DESCRIPTIONS
from bot.flows.chat import Incoming, Said
from bot.language.i18n import LANGUAGES, _, say
from bot.outbound.push import NotifierPort
from bot.outbound.wire import ChatOrder, read_token

log = logging.getLogger(__name__)
# After a failed getUpdates: wait 1 s, then 1.3 times longer each time up to 5 s (aiogram's own polling backoff).
POLL_WAIT, POLL_WAIT_GROWTH, POLL_LONGEST_WAIT = 1.0, 1.3, 5.0
TRIES = 3  # an update whose turn keeps failing is given up after this many (a poison update must not stop the bot)
# What Telegram shows while a turn does slow work (bot.flows.ports.Work); a turn slower than SLOW_TURN seconds
# shows "typing…". Most turns take milliseconds: they make no extra Bot API call.
CHAT_ACTIONS = {"copies": "upload_document"}
SLOW_TURN = 1.0


class TelegramChannelBase(ABC):
    """One bot's updates reaching the conversations, and the turns' replies going back through the notifier.
    `api` is the library's Bot API client; the notifier pushes through that same client."""

    def __init__(self, api: TelegramBotApi, conversations: ConversationsPort, notifier: NotifierPort):
        self.api = api
        self.conversations = conversations
        self.notifier = notifier
        # Telegram pushes: a turn's replies wait in the outbox, claimed for as long as the notifier's lease.
        conversations.push_replies(CHANNEL, notifier.lease)
        self.order = ChatOrder()
        self._polling: asyncio.Task | None = None
        self._sending: asyncio.Task | None = None
        self._sends: dict[str, asyncio.Task] = {}  # per chat: the latest turn's sending, which waits for the one before
        self._actions: set[asyncio.Task] = set()  # chat actions on their way ("typing…"), best effort

    # --- turns ----------------------------------------------------------------------------------------------

    async def message_turn(self, update_id: int, chat: int, private: bool, language_hint: str | None,
                           incoming: Incoming) -> None:
        if not private:
            return  # families talk to Tono one to one; a group is never a family's chat
        key = str(chat)
        async with self.order(key), self._showing_progress(key) as progress:
            said = await self.conversations.handle(CHANNEL, key, incoming, language_hint, once=f"tg:{update_id}",
                                                   progress=progress)
        self._after_turn(key, said)

    async def button_turn(self, press: Press) -> None:
        """What only Telegram knows is checked here: that the person pressing is the person whose chat it is.
        Everything else (a stale screen, an action not allowed now) is the flows' and the lifecycle's to refuse."""
        hint_language = language_from_hint(press.language_hint)
        if press.chat is None:
            await press.answer(say(_("That button is from an earlier message, so it does nothing now."),
                                   hint_language, "adult"))
            return
        if not press.private or press.presser != press.chat:
            await press.answer(say(_("This button is from someone else's chat, so it does nothing for you."),
                                   hint_language, "adult"), show_alert=True)
            return
        token = read_token(press.data)
        if token is None:
            await press.answer(say(_("That button does nothing here."), hint_language, "adult"))
            return
        screen, action = token
        key = str(press.chat)
        async with self.order(key), self._showing_progress(key) as progress:
            said = await self.conversations.handle(CHANNEL, key, Incoming("button", action=action, screen=screen),
                                                   once=f"tg:{press.update_id}", progress=progress)
        await press.answer(say(said.notice, said.language, said.register) if said.notice else None)
        used = press.message_id if said.notice is None and said.replies else None
        self._after_turn(key, said, used=used)

    @asynccontextmanager
    async def _showing_progress(self, key: str) -> AsyncIterator[Callable[[Any], None]]:
        """While a turn runs: its slow work shown at once ("sending a document…"), else "typing…" once the
        turn has taken longer than SLOW_TURN. The turn holds a database transaction, so the chat action is
        sent beside it, never waited for."""
        shown = False

        def working(kind) -> None:
            nonlocal shown
            shown = True
            self._chat_action(key, CHAT_ACTIONS.get(kind, "typing"))

        async def typing_if_slow() -> None:
            await asyncio.sleep(SLOW_TURN)
            if not shown:
                self._chat_action(key, "typing")

        timer = asyncio.create_task(typing_if_slow())
        try:
            yield working
        finally:
            timer.cancel()

    def _chat_action(self, key: str, action: str) -> None:
        async def send() -> None:
            try:
                await self.api.send_chat_action(int(key), action)
            except Exception:  # only a hint that something is coming: the message itself is what matters
                log.debug("could not show %s", action, exc_info=True)

        task = asyncio.create_task(send())
        self._actions.add(task)
        task.add_done_callback(self._actions.discard)

    def _after_turn(self, key: str, said: Said, used: int | None = None) -> None:
        """Send the turn's replies, which are safe in the outbox already, in the background: the update is
        done once its turn is committed (see _poll), and a chat's sends stay in turn order, each turn's after
        the one before. Whatever the turn could not claim (older messages wait first) goes by the loop.
        `used`: the message whose button was pressed, whose buttons go once the replies are sent."""
        previous = self._sends.get(key)

        async def send() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            if said.sending:
                await self.notifier.send_claimed(key, said)
            if len(said.sending) < len(said.replies):
                self.notifier.wake()
            if used is not None:
                await self._clear_buttons(key, used)

        task = asyncio.create_task(send())
        self._sends[key] = task
        task.add_done_callback(lambda done: self._sends.pop(key, None) if self._sends.get(key) is done else None)

    async def _clear_buttons(self, key: str, message_id: int) -> None:
        """Take the buttons off a message once one of them was used, so old choices do not linger. Best
        effort and paced like any send: the screen check guards a button that stays."""
        try:
            await self.notifier.pacer.slot(key)
            await self.api.remove_buttons(int(key), message_id)
        except Exception:  # the message may be too old to edit
            log.debug("could not clear buttons", exc_info=True)

    async def flush(self) -> None:
        """Wait until every turn's replies so far have been sent (tests, and a clean stop)."""
        while self._sends:
            await asyncio.gather(*list(self._sends.values()), return_exceptions=True)

    # --- polling --------------------------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Long polling that confirms updates to Telegram only once their turns are committed.

        Both libraries' own polling (aiogram's Dispatcher.start_polling, python-telegram-bot's Updater) confirm
        an update when they hand it on to be handled, so a bot killed mid-turn loses that update for good. Here
        a batch is confirmed (the next getUpdates' offset) after every turn in it is saved; a redelivered update
        is recognised by its update_id and changes nothing (Conversations.handle). An update whose turn failed is
        left unconfirmed, so Telegram gives it again, up to TRIES times before it is given up.
        """
        wait, offset, failures = POLL_WAIT, None, {}
        while True:
            try:
                updates = await self.api.get_updates(offset)
            except Exception as error:  # Telegram unreachable: wait and ask again, as both libraries do
                log.warning("getUpdates failed (%s); asking again in %.1f s", type(error).__name__, wait)
                await asyncio.sleep(wait * random.uniform(0.9, 1.1))  # several workers do not ask in step
                wait = min(wait * POLL_WAIT_GROWTH, POLL_LONGEST_WAIT)
                continue
            wait = POLL_WAIT
            if not updates:
                continue
            results = await asyncio.gather(*(self._dispatch(update) for update in updates), return_exceptions=True)
            offset = updates[-1].update_id + 1
            for update, result in zip(updates, results, strict=True):
                if isinstance(result, Exception):
                    failures[update.update_id] = failures.get(update.update_id, 0) + 1
                    log.error("update %s failed (%s), try %d", update.update_id, type(result).__name__,
                              failures[update.update_id], exc_info=result)
                    if failures[update.update_id] < TRIES:
                        offset = min(offset, update.update_id)
            if len(failures) > 1000:
                failures.clear()

    # --- starting and stopping ------------------------------------------------------------------------------

    def start_sending(self) -> None:
        """Start pushing the outbox (replies and news) to Telegram."""
        if self._sending is None:
            self._sending = asyncio.create_task(self.notifier.run())

    async def set_commands(self) -> None:
        """The menu commands with their descriptions, in English (the default) and te reo Māori."""
        for language in LANGUAGES:
            commands = [(name, say(text, language, "adult")) for name, text in COMMAND_DESCRIPTIONS.items()]
            await self.api.set_commands(commands, None if language == "en" else language)

    async def start_polling(self) -> None:
        async with self.api.starting():
            await self.api.connect()
            await self.api.delete_webhook()
            await self.set_commands()
        self.start_sending()
        self._polling = asyncio.create_task(self._poll())

    async def start_webhook(self, url: str, secret: str) -> None:
        async with self.api.starting():
            await self.api.connect()
            await self.set_commands()
            self.start_sending()
            await self.api.set_webhook(url, secret)

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
        await asyncio.gather(*self._actions, return_exceptions=True)
        await self.api.close()

    async def username(self) -> str:
        """The bot's @username (for t.me links: the provider desk's enrolment links)."""
        return await self.api.username()

    # --- what each library does its own way -----------------------------------------------------------------

    @abstractmethod
    async def feed(self, update: dict) -> None:
        """One update from the webhook, as Telegram's JSON; raises if its turn failed."""

    @abstractmethod
    async def _dispatch(self, update: Any) -> None:
        """Hand one of the library's updates to message_turn or button_turn; raises if its turn failed."""
