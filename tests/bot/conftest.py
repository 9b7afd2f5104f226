"""A family's chat driven straight through the flows and the database, with no network."""

from __future__ import annotations

import pytest

from bot.chat.conversation import Conversations
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY, FamilyChat
from tests.bot.telegram_channels import new_telegram_channel, telegram, telegram_library  # noqa: F401  (fixtures)
from tono.database import make_engine, make_sessionmaker


@pytest.fixture
async def sessions(seeded_url):
    engine = make_engine(seeded_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def conversations(sessions):
    return Conversations(sessions, load_agreement(), today=lambda: TODAY)


@pytest.fixture
def new_chat(conversations):
    counter = iter(range(1, 10_000))

    def make(hint: str | None = "en") -> FamilyChat:
        return FamilyChat(conversations, f"chat-{next(counter)}", hint)

    return make
