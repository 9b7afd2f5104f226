"""A chat that sends too much too fast (bot/chat/chat_limits.py): told once, in its own language, on every
channel, and its turns are not run until it slows down; other chats go on as before."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.chat.chat_limits import SLOW_DOWN, ChatLimits
from bot.flows.chat import Incoming
from bot.language.i18n import from_json, say
from bot.models import ChatLink, Conversation, Notification


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _flood(conversations, channel: str, key: str, turns: int):
    return [await conversations.handle(channel, key, Incoming("command", command="menu"), "mi")
            for _ in range(turns)]


async def test_the_first_turn_over_the_limit_is_told_to_slow_down_in_the_chats_language(conversations):
    conversations.chat_limits = ChatLimits(turns=3, seconds=10, clock=Clock())

    said = await _flood(conversations, "web", "fast", 5)

    assert all(s.replies for s in said[:3])
    told, quiet = said[3], said[4]
    assert [say(r.text, told.language, told.register) for r in told.replies] == [say(SLOW_DOWN, "mi", "adult")]
    assert "tere rawa" in say(told.replies[0].text, "mi", "adult")
    assert (quiet.replies, quiet.notice) == ([], None)


async def test_refused_turns_change_nothing_and_the_chat_is_served_again_once_it_slows(conversations, sessions):
    clock = Clock()
    conversations.chat_limits = ChatLimits(turns=3, seconds=10, clock=clock)
    said = await _flood(conversations, "web", "fast", 3)
    screen = said[-1].screen

    await conversations.handle("web", "fast", Incoming("command", command="status"))
    clock.now += 10
    served = await conversations.handle("web", "fast", Incoming("command", command="status"))

    async with sessions() as session:
        link = (await session.exec(select(ChatLink).where(ChatLink.chat_key == "fast"))).one()
        conversation = (await session.exec(select(Conversation).where(Conversation.chat_link_id == link.id))).one()
    assert served.screen == screen + 1 and conversation.version == screen + 1
    assert conversation.step == "status.list"


async def test_one_chat_flooding_does_not_slow_another(conversations):
    conversations.chat_limits = ChatLimits(turns=3, seconds=10, clock=Clock())
    await _flood(conversations, "web", "fast", 6)

    other = await conversations.handle("web", "calm", Incoming("command", command="menu"))

    assert other.replies and "tere rawa" not in str(other.replies)


async def test_on_a_channel_that_pushes_the_one_slow_down_waits_in_the_outbox(conversations, sessions):
    conversations.chat_limits = ChatLimits(turns=2, seconds=10, clock=Clock())
    conversations.push_replies("telegram", timedelta(seconds=30))

    await _flood(conversations, "telegram", "4242", 5)

    async with sessions() as session:
        queued = [say(from_json(n.text), n.language or "en", n.audience or "adult")
                  for n in await session.exec(select(Notification).order_by(Notification.id))]
    assert queued.count(say(SLOW_DOWN, "mi", "adult")) == 1
