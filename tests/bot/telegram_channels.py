"""Both Telegram channels, for one contract suite: every test that takes `telegram` or `new_telegram_channel`
runs once on aiogram and once on python-telegram-bot, each library's real client talking HTTP to the fake
Bot API on loopback (tests/fakes). tests/bot/conftest.py makes the fixtures available to every test there.
"""

from __future__ import annotations

from functools import partial

import pytest
from sqlmodel import select

from bot.chat.conversation import Conversations
from bot.models import Person
from bot.outbound.pacing import Pacer
from bot.people.enrolment import issue_code
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY
from tests.fakes.telegram_api import FakeTelegram
from tono.app import telegram_channel

LIBRARY_SETTING = {"aiogram": "aiogram", "ptb": "python-telegram-bot"}  # TELEGRAM_LIBRARY for each


@pytest.fixture(params=list(LIBRARY_SETTING))
def telegram_library(request) -> str:
    return request.param


@pytest.fixture
def new_telegram_channel(telegram_library):
    """A channel on this library, assembled as tono/app.py does it: (token, conversations, api_base=…, pacer=…)."""
    return partial(telegram_channel, LIBRARY_SETTING[telegram_library])


@pytest.fixture
async def telegram(sessions, new_telegram_channel):
    """The fake Bot API and a channel polling it."""
    async with FakeTelegram() as fake:
        # Not paced at Telegram's one message a second per chat: this fake does not enforce it, and pacing has
        # its own tests against one that does (test_outbox.py), so a journey here takes a second, not twenty.
        channel = new_telegram_channel(fake.token, Conversations(sessions, load_agreement(), today=lambda: TODAY),
                                       api_base=fake.base_url, pacer=Pacer(per_chat=1000, burst=1000, overall=1000))
        await channel.start_polling()
        try:
            yield fake, channel
        finally:
            await channel.stop()


async def read_until(user, text: str, limit: int = 12) -> list[dict]:
    """The bot's new messages to `user`, up to and including the first that contains `text`."""
    got = []
    for _ in range(limit):
        message = await user.next_message()
        if "edit_date" in message:
            continue
        got.append(message)
        if text in message.get("text", ""):
            return got
    raise AssertionError(f"no message with {text!r}; got {[m.get('text') for m in got]}")


async def enrolment_code(sessions, ref: str) -> str:
    async with sessions.begin() as session:
        return await issue_code(session, (await session.exec(select(Person).where(Person.ref == ref))).one())
