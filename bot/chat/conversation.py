"""Running one turn of a family's conversation against the database: load the chat and its state,
let the flows decide, save the new state, all in one transaction. Channels call `handle` and send
what it returns; they never decide anything themselves. Conversations answers bot/chat/ports.py's
ConversationsPort, through which the channels reach it (they never import this module: it holds the tables)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat import chat_limits
from bot.chat.history import keep_turn, kept
from bot.chat.ports import History, language_from_hint
from bot.copies.drawing import Drawing, key_of
from bot.flows import ENGINE
from bot.flows.answers import copies_asked
from bot.flows.chat import Incoming, Picture, Reply, Said
from bot.flows.engine import MENU, Engine, State, Turn
from bot.flows.ports import ChatInfo, Work
from bot.flows.status import picture_of
from bot.flows.timeline import PICTURED
from bot.language.i18n import _
from bot.models import ChatLink, Conversation, Person, SeenUpdate
from bot.outbound.notify import queue_replies, take_pending
from bot.people.family import FamilyDesk
from bot.people.welcome_limits import WelcomeLimits
from bot.requests import delivery
from protocol.agreement import Agreement
from protocol.clock import nz_today, utcnow
from protocol.queue import Outbox

TOO_MANY_NEW_CHATS = _("Many new chats have been started from here in the last hour, so I cannot start "
                       "another one just now. Please come back to this chat in an hour, or use the link {provider} "
                       "gave you.")


class _TooManyNewChats(Exception):
    """This client has opened its hour's share of new web chats (bot/people/welcome_limits.py)."""


class Conversations:
    """Every family conversation, on one channel or many."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], agreement: Agreement,
                 engine: Engine = ENGINE, today: Callable[[], date] = nz_today, outbox: Outbox | None = None):
        self.sessions = sessions
        self.outbox = outbox
        self.agreement = agreement
        self.engine = engine
        self.today = today
        self._pushed: dict[str, timedelta] = {}
        self._kept: set[str] = set()  # channels whose conversations are kept for their page (bot/chat/history.py)
        self.chat_limits = chat_limits.ChatLimits()  # a test or a benchmark may set its own
        self.drawing = Drawing()  # copies and pictures, drawn off the event loop and outside any transaction
        self.welcome = WelcomeLimits()  # new web chats and requests for a worker, per client and hour

    def push_replies(self, channel: str, lease: timedelta) -> None:
        """Replies on `channel` go through the notification outbox, in the turn's own transaction (a channel
        that pushes, like Telegram, so a reply decided is a reply sent even if the bot dies right after).
        The turn also claims them for `lease`, so the channel sends them at once (see `Said.sending`)."""
        self._pushed[channel] = lease

    def keep_history(self, channel: str) -> None:
        """Keep `channel`'s conversations on the server, in each turn's own transaction, for a page that shows
        them again after a reload (the web chat: bot/chat/history.py)."""
        self._kept.add(channel)

    async def history(self, channel: str, chat_key: str) -> History:
        """The chat's newest kept messages, its current screen, language and register, and what it takes typed."""
        async with self.sessions() as session:
            link = await self.link_of(session, channel, chat_key)
            if link is None:
                return History([], 0, "en", "adult", self.engine.text_limit(MENU))
            conversation = await session.get(Conversation, link.id)
            step, screen = (conversation.step or MENU, conversation.version) if conversation else (MENU, 0)
            return History(await kept(session, link), screen, link.language, link.audience,
                           self.engine.text_limit(step))

    def pushes(self, channel: str) -> bool:
        return channel in self._pushed

    async def handle(self, channel: str, chat_key: str, incoming: Incoming, language_hint: str | None = None,
                     once: str | None = None, progress: Callable[[Work], None] | None = None,
                     client: str | None = None) -> Said:
        """One turn. `once` names the update (a Telegram update_id, a web chat turn id): a redelivered
        update changes nothing and says nothing the second time. `progress` is told when the turn starts slow
        work (making copies); it is called inside the turn's transaction, so it must not wait for anything.
        `client` is who is asking, where a channel cannot vouch for its chats (the web chat: an address): it
        bounds the new chats and requests for a worker one client may start in an hour."""
        # A chat sending too much too fast is told to slow down, and its turns wait (bot/chat/chat_limits.py).
        if slow := await self._refusal(channel, chat_key, incoming, language_from_hint(language_hint)):
            return slow
        if incoming.kind == "button" and self.engine.work_before(incoming.screen or 0, incoming.action) == "copies":
            await self._draw_ahead(channel, chat_key, incoming.action)
        try:
            try:
                return await self._handle(channel, chat_key, incoming, language_hint, once, progress, client)
            except IntegrityError:
                # Two first messages from a new chat raced to create it, or one update arrived twice at once;
                # the other one won. Go again: now the chat exists, or the update is known.
                return await self._handle(channel, chat_key, incoming, language_hint, once, progress, client)
        except _TooManyNewChats:
            return Said([Reply(TOO_MANY_NEW_CHATS)], 0, None, language_from_hint(language_hint), "adult")

    async def _refusal(self, channel: str, chat_key: str, incoming: Incoming, hint_language: str) -> Said | None:
        """None when the turn may run; else what to say instead, having run nothing.

        The first refused turn reads the chat's language (one short transaction) and says SLOW_DOWN; later ones
        say nothing, except that a pressed button always gets the short note, so its buttons stay on Telegram.
        """
        limits, key = self.chat_limits, f"{channel}:{chat_key}"
        verdict = limits.check(key)
        if verdict == "go":
            return None
        notice = chat_limits.SLOW_DOWN if incoming.kind == "button" else None
        if verdict == "quiet":
            language, register = limits.language_of(key) or (hint_language, "adult")
            return Said([], 0, notice, language, register)
        replies = [Reply(chat_limits.SLOW_DOWN)]
        language, register = hint_language, "adult"
        async with self.sessions.begin() as session:
            link = await self.link_of(session, channel, chat_key)
            if link is not None:
                language, register = link.language, link.audience
                if self.pushes(channel):
                    # A channel that pushes (Telegram) sends replies from the notification outbox, not from
                    # what handle returns: the one "slow down" goes there too.
                    await queue_replies(session, link.id, replies, 0, language, register)
        limits.told(key, language, register)
        return Said(replies, 0, notice, language, register)

    async def _handle(self, channel: str, chat_key: str, incoming: Incoming, hint: str | None,
                      once: str | None, progress: Callable[[Work], None] | None = None,
                      client: str | None = None) -> Said:
        async with self.sessions.begin() as session:
            if once is not None:
                if await session.get(SeenUpdate, once) is not None:
                    return Said([], 0, None, "en", "adult")
                session.add(SeenUpdate(key=once))
                await session.flush()
            link, first = await self._link(session, channel, chat_key, hint, client)
            conversation = (await session.exec(
                select(Conversation).where(Conversation.chat_link_id == link.id).with_for_update()
            )).first() or Conversation(chat_link_id=link.id, step=MENU)
            person = await session.get(Person, link.person_id) if link.person_id else None
            chat = ChatInfo(link.id, link.person_id, person.given_name if person else None, link.language,
                            link.audience, first_contact=first)
            state = State(conversation.step or MENU, dict(conversation.data or {}), conversation.version)
            today = self.today()
            desk = FamilyDesk(session, self.agreement, today, self.outbox, self.drawing, self.welcome, client)
            turn = Turn(chat, state, desk, today,
                        progress=progress)
            before = chat.language, chat.register  # the family's own words are kept as they were shown
            await self.engine.turn(turn, incoming)
            conversation.step, conversation.data, conversation.version = state.step, state.data, state.screen
            flag_modified(conversation, "data")  # a JSON column: say it changed, whatever the dict holds
            conversation.updated_at = link.last_seen_at = utcnow()
            session.add_all([conversation, link])
            sending = ()
            if channel in self._pushed:
                rows = await queue_replies(session, link.id, turn.replies, state.screen, chat.language,
                                           chat.register, claim_for=self._pushed[channel])
                sending = tuple(row.id for row in rows if row.claimed_until is not None)
            said = Said(turn.replies, state.screen, turn.notice, chat.language, chat.register, sending,
                        self.engine.text_limit(state.step))
            if channel in self._kept:
                await keep_turn(session, link.id, incoming, said, *before)
        return said

    async def copies_document(self, channel: str, chat_key: str, ref: str, language: str, register: str):
        """The PDF copies of a delivered request, if this chat may have them (the web chat downloads them).
        Read in a short transaction, drawn after it (bot/copies/drawing.py; Busy if this chat or Tono is busy)."""
        chat = f"{channel}:{chat_key}"
        self.drawing.check(chat)  # refused before any database work
        async with self.sessions.begin() as session:
            link = await self.link_of(session, channel, chat_key)
            if link is None:
                return None
            info = ChatInfo(link.id, link.person_id, None, link.language, link.audience)
            material = await self._desk(session).copy_material(info, ref, language, register)
        if material is None:
            return None
        pdf = await self.drawing.draw(material.key, functools.partial(delivery.draw_copies, material), chat=chat)
        return delivery.copies_document(material, pdf)

    async def status_picture(self, channel: str, chat_key: str, ref: str, language: str, register: str):
        """The picture of a request's steps, if this chat may see the request (the web chat shows it)."""
        chat = f"{channel}:{chat_key}"
        self.drawing.check(chat)
        async with self.sessions() as session:
            link = await self.link_of(session, channel, chat_key)
            if link is None:
                return None
            info = ChatInfo(link.id, link.person_id, None, link.language, link.audience)
            timeline = await self._desk(session).timeline(info, ref)
        if timeline is None or timeline.state not in PICTURED:
            return None
        png = await self.drawing.draw(key_of("picture", timeline, language, register),
                                      lambda: picture_of(timeline, language, register).content, chat=chat)
        return Picture(f"{timeline.ref}-{language}-{register}.png", png)

    async def _draw_ahead(self, channel: str, chat_key: str, action: str) -> None:
        """Draw the copies a press asks for before its turn, reading them in a short session of their own: the
        turn then finds them drawn (bot/copies/drawing.py remembers them) and holds the database, which on SQLite
        everyone shares, only for its own reads and writes, not for the drawing. Nothing is written here; the
        turn still decides, and checks again, whether the chat may have them."""
        async with self.sessions() as session:
            link = await self.link_of(session, channel, chat_key)
            asked = copies_asked(action, link.language, link.audience) if link else None
            if asked is None:
                return
            info = ChatInfo(link.id, link.person_id, None, link.language, link.audience)
            material = await self._desk(session).copy_material(info, *asked)
            await session.rollback()  # reading the material may mark the request; the turn does that for real
        if material is not None:
            await self.drawing.draw(material.key, functools.partial(delivery.draw_copies, material))

    def _desk(self, session: AsyncSession) -> FamilyDesk:
        return FamilyDesk(session, self.agreement, self.today(), self.outbox, self.drawing)

    async def pending(self, channel: str, chat_key: str) -> list[Said]:
        """The chat's waiting news (answers, questions), marked sent as it is handed over: the web chat's page
        asks for it; Telegram's notifier pushes it instead."""
        async with self.sessions.begin() as session:
            link = await self.link_of(session, channel, chat_key)
            return await take_pending(session, link.id) if link else []

    async def rekey_if_linked(self, channel: str, chat_key: str, new_key: str) -> bool:
        """Move a chat that now knows who the family is to `new_key`, as a desk gives a new session at sign-in
        (the web chat: a cookie planted before the enrolment link was opened no longer reaches the chat).
        False, and nothing moved, for a chat not linked to a person."""
        async with self.sessions.begin() as session:
            link = await self.link_of(session, channel, chat_key)
            if link is None or link.person_id is None:
                return False
            link.chat_key = new_key
            session.add(link)
        return True

    async def link_of(self, session: AsyncSession, channel: str, chat_key: str) -> ChatLink | None:
        return (await session.exec(
            select(ChatLink).where(ChatLink.channel == channel, ChatLink.chat_key == chat_key)
        )).first()

    async def _link(self, session: AsyncSession, channel: str, chat_key: str, hint: str | None,
                    client: str | None = None):
        link = await self.link_of(session, channel, chat_key)
        if link is not None:
            return link, False
        if not self.welcome.may_open_chat(client):
            raise _TooManyNewChats  # the turn's transaction is rolled back: nothing is stored
        link = ChatLink(channel=channel, chat_key=chat_key, language=language_from_hint(hint))
        session.add(link)
        await session.flush()
        return link, True
