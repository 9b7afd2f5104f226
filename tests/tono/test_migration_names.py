"""News waiting in the outbox when Tono is upgraded is said as it would have been: migration 0011 gives its
sentences the programme's names as placeholders, as the catalogues now have them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.language.i18n import from_json, say
from bot.models import ChatLink, Notification
from tono import migrate
from tono.database import make_engine, make_sessionmaker

BEFORE = json.loads((Path(__file__).parent.parent / "bot" / "fixtures" / "family_words_before_rooms.json")
                    .read_text(encoding="utf-8"))
RELAYED = "CCSS has passed your request {ref} to the agency."
TRANSFERRED = "The agency sent your request {ref} to {agency}, which holds the information. The reason: {reason}"
BOTH = "Both CCSS and the agency"


def _as_before(msgid: str, **values: str) -> dict:
    """A sentence as the code before 0011 wrote it into the outbox (bot.language.i18n.to_json)."""
    return {"msgid": msgid, "params": {name: {"plain": value} for name, value in values.items()}}


def _database(database_url: str, work):
    async def run():
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def _news_as_before(session) -> None:
    link = ChatLink(channel="web", chat_key="waiting-family", language="mi", audience="adult")
    session.add(link)
    await session.flush()
    buttons = [[[_as_before(BOTH), "both"]]]
    session.add_all([
        Notification(chat_link_id=link.id, text=_as_before(RELAYED, ref="[ref]"), buttons=buttons),
        Notification(chat_link_id=link.id, text=_as_before(TRANSFERRED, ref="[ref]", agency="[agency]",
                                                           reason="[reason]")),
        Notification(chat_link_id=link.id, text=_as_before(RELAYED, ref="[ref]"), sent_at=datetime.now(UTC)),
    ])


async def _news(session) -> list[Notification]:
    return list((await session.exec(select(Notification).order_by(Notification.id))).all())


def test_news_waiting_at_the_upgrade_is_said_in_the_familys_words_as_before(database_url):
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0010")  # the news was written by the code before the names moved
    _database(database_url, _news_as_before)

    migrate.upgrade(database_url)

    relayed, transferred, sent = _database(database_url, _news)
    for language in ("en", "mi"):
        for register in ("adult", "child"):
            version = f"{language}/{register}"
            assert say(from_json(relayed.text), language, register) == BEFORE[RELAYED][version]
            assert say(from_json(transferred.text), language, register) == BEFORE[TRANSFERRED][version]
            assert say(from_json(relayed.buttons[0][0][0]), language, register) == BEFORE[BOTH][version]
    assert sent.text["msgid"] == RELAYED  # news already said is left as it was


def test_the_migration_gives_waiting_news_its_old_sentences_back_on_the_way_down(database_url):
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0010")
    _database(database_url, _news_as_before)
    migrate.upgrade(database_url)

    migrate.downgrade(database_url, "0010")

    relayed, transferred, _ = _database(database_url, _news)
    assert relayed.text == _as_before(RELAYED, ref="[ref]")
    assert transferred.text == _as_before(TRANSFERRED, ref="[ref]", agency="[agency]", reason="[reason]")
    assert relayed.buttons == [[[_as_before(BOTH), "both"]]]
