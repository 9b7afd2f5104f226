"""A family half-way through a request who changes the language (/language) or the register (/words) comes back
to the same question of the same request, asked again in the new language or register: nothing they answered
is lost. Flows are shared by every channel; tests/bot/test_family_journey_every_channel.py runs it on each."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.flows.menu import menu_prompt
from bot.language.i18n import _, say
from bot.models import Person, Request
from bot.people.enrolment import issue_code

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
URGENT = _("Do you need it urgently? If you do, the agency is asked to decide sooner.")


async def _half_way(new_chat, sessions):
    """An enrolled family who has asked what CCSS holds, said what in particular and how: now asked if urgent."""
    async with sessions.begin() as session:
        person = (await session.exec(select(Person).where(Person.ref == "P-0001"))).one()
        code = await issue_code(session, person)
    chat = new_chat()
    await chat.command("start", code)
    await chat.press("Not now")
    await chat.press("What do you hold about me?")
    await chat.press("Mine")
    await chat.press("CCSS")
    await chat.send("My attendance records")
    await chat.press("A printout")
    assert chat.last == say(URGENT, "en", "adult")
    return chat


async def _the_request(sessions) -> Request:
    async with sessions() as session:
        return (await session.exec(select(Request))).one()


async def test_changing_the_language_half_way_asks_the_same_question_again_in_the_new_language(new_chat, sessions):
    chat = await _half_way(new_chat, sessions)

    await chat.command("language")
    await chat.press("Te reo Māori")

    assert chat.last == say(URGENT, "mi", "adult")
    await chat.press_action("no")
    assert "My attendance records" in chat.last  # the summary, in te reo, of the same draft
    assert say(_("A printout to collect at {provider}"), "mi", "adult") in chat.last
    await chat.press_action("send")
    request = await _the_request(sessions)
    assert (request.details, request.form, request.scope) == ("My attendance records", "print", "provider")


async def test_changing_the_register_half_way_asks_the_same_question_again_in_the_young_persons_words(
        new_chat, sessions):
    chat = await _half_way(new_chat, sessions)

    await chat.command("words")
    await chat.press("A young person")

    assert (chat.said.register, chat.last) == ("child", say(URGENT, "en", "child"))
    await chat.press_action("no")
    await chat.press_action("send")
    assert (await _the_request(sessions)).details == "My attendance records"


async def test_back_from_the_language_question_returns_to_the_request_with_its_answers(new_chat, sessions):
    chat = await _half_way(new_chat, sessions)
    await chat.command("language")

    await chat.press("Back")

    assert chat.last == say(URGENT, "en", "adult")
    await chat.press_action("no")
    assert "My attendance records" in chat.last


async def test_choosing_a_language_from_the_menu_still_ends_at_the_menu(new_chat, sessions):
    chat = await _half_way(new_chat, sessions)
    await chat.command("menu")

    await chat.press("English / te reo Māori")
    await chat.press("Te reo Māori")

    assert chat.last == say((await menu_prompt(None)).text, "mi", "adult")
