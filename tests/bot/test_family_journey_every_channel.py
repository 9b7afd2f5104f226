"""One family journey, the same steps and the same checks, on every channel: the web chat, and Telegram on
aiogram and on python-telegram-bot (each library's real client against the fake Bot API). What a family can
do must not depend on where they chat."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.chat.conversation import Conversations
from bot.language.i18n import _, say
from bot.models import ChatLink, Request
from bot.outbound.pacing import Pacer
from bot.requests import staff
from protocol.agreement import load_agreement
from tests.bot.channel_families import TelegramFamily, WebChatFamily, plain
from tests.bot.chat_driver import TODAY
from tests.bot.telegram_channels import LIBRARY_SETTING, enrolment_code
from tests.fakes.telegram_api import FakeTelegram
from tono.app import telegram_channel

ACCESS_REQUEST = ("What do you hold about me?", "Mine", "The agency", "Skip", "A copy here", "No")


@pytest.fixture(params=["web", "aiogram", "ptb"])
async def family(request, sessions):
    conversations = Conversations(sessions, load_agreement(), today=lambda: TODAY)
    if request.param == "web":
        web = WebChatFamily(conversations)
        yield web
        await web.close()
        return
    async with FakeTelegram() as fake:
        channel = telegram_channel(LIBRARY_SETTING[request.param], fake.token, conversations, api_base=fake.base_url,
                                   pacer=Pacer(per_chat=1000, burst=1000, overall=1000))
        await channel.start_polling()
        try:
            yield TelegramFamily(fake.user(701, "Aroha"))
        finally:
            await channel.stop()


async def _the_request(sessions) -> Request:
    async with sessions() as session:
        return (await session.exec(select(Request))).one()


async def test_a_family_links_their_chat_and_is_greeted_by_name(family, sessions):
    await family.start(await enrolment_code(sessions, "P-0001"))

    assert "Kia ora Aroha!" in family.everything_said()
    async with sessions() as session:
        link = (await session.exec(select(ChatLink).where(ChatLink.person_id.is_not(None)))).one()
        assert link.channel == family.channel


async def test_a_family_asks_what_is_held_and_gets_a_reference(family, sessions):
    await family.start(await enrolment_code(sessions, "P-0001"))
    await family.press("Not now")

    for label in ACCESS_REQUEST:
        await family.press(label)
    await family.press("Send my request")

    request = await _the_request(sessions)
    assert (request.state, request.kind, request.scope) == ("submitted", "access", "agency")
    assert request.ref in family.everything_said()


async def test_the_family_hears_the_news_when_staff_have_checked_who_they_are(family, sessions):
    await family.start(await enrolment_code(sessions, "P-0001"))
    await family.press("Not now")
    for label in (*ACCESS_REQUEST, "Send my request"):
        await family.press(label)

    async with sessions.begin() as session:
        await staff.approve(session, (await session.exec(select(Request))).one(), "kaimahi", "id_seen")

    news = await family.news("has checked who you are")
    assert (await _the_request(sessions)).ref in news


async def test_where_is_my_request_says_where_it_is_in_plain_words(family, sessions):
    await family.start(await enrolment_code(sessions, "P-0001"))
    await family.press("Not now")
    for label in (*ACCESS_REQUEST, "Send my request"):
        await family.press(label)

    await family.press("Where is my request?")

    said = family.everything_said()
    assert (await _the_request(sessions)).ref in said and "submitted" not in said.split("Where is my request?")[-1]


async def test_a_family_withdraws_their_request_and_it_stays_withdrawn(family, sessions):
    await family.start(await enrolment_code(sessions, "P-0001"))
    await family.press("Not now")
    for label in (*ACCESS_REQUEST, "Send my request"):
        await family.press(label)

    for label in ("Where is my request?", "Withdraw", "Yes, withdraw it"):
        await family.press(label)

    assert (await _the_request(sessions)).state == "withdrawn"


async def test_a_family_who_changes_language_and_register_half_way_comes_back_to_the_same_request(family, sessions):
    urgent = _("Do you need it urgently? If you do, the agency is asked to decide sooner.")
    await family.start(await enrolment_code(sessions, "P-0001"))
    await family.press("Not now")
    for label in ("What do you hold about me?", "Mine", "The agency"):
        await family.press(label)
    await family.type("My attendance records")
    await family.press("A printout")

    await family.command("language")
    await family.press("Te reo Māori")
    await family.command("words")
    await family.press(plain(say(_("A young person"), "mi", "adult")))

    assert family.everything_said().endswith(plain(say(urgent, "mi", "child")))
    await family.press(plain(say(_("No"), "mi", "child")))
    await family.press(plain(say(_("Send my request"), "mi", "child")))
    request = await _the_request(sessions)
    assert (request.details, request.form, request.state) == ("My attendance records", "print", "submitted")
