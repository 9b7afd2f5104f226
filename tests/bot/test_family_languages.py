"""Every journey in both languages and both registers: the same steps, each said from the catalogue in
the family's language and register, with dates in that language."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.flows.menu import menu_prompt
from bot.flows.status import STATUS
from bot.language.i18n import LANGUAGES, REGISTERS, _, format_day, say
from bot.models import Request

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
COMBINATIONS = [(language, register) for language in LANGUAGES for register in REGISTERS]


async def _chat_in(new_chat, language: str, register: str):
    chat = new_chat(hint=language)
    await chat.command("start")
    await chat.press_action("no")
    await chat.press_action("register")
    await chat.press_action(f"reg:{register}")
    assert (chat.said.language, chat.said.register) == (language, register)
    return chat


def _said(text, chat) -> str:
    return say(text, chat.said.language, chat.said.register)


@pytest.mark.parametrize(("language", "register"), COMBINATIONS)
async def test_an_access_request_is_asked_and_confirmed_in_the_familys_language_and_register(
        new_chat, sessions, language, register):
    chat = await _chat_in(new_chat, language, register)

    await chat.press_action("access")
    assert chat.last == _said(_("Whose information do you want to see?"), chat)
    await chat.press_action("self")
    assert chat.last == _said(_("Whose records?"), chat)
    for action in ("agency", "skip", "copy", "no"):
        await chat.press_action(action)
    await chat.send("Hemi Walker")
    await chat.press_action("send")

    assert format_day(date(2027, 1, 18), language) in chat.all_text
    assert "BFF-2026-000001" in chat.all_text
    assert chat.last == _said((await menu_prompt(None)).text, chat)
    async with sessions() as session:
        assert (await session.exec(select(Request))).one().state == "submitted"


@pytest.mark.parametrize(("language", "register"), COMBINATIONS)
async def test_a_correction_request_and_its_status_in_the_familys_language_and_register(
        new_chat, sessions, language, register):
    chat = await _chat_in(new_chat, language, register)
    await chat.press_action("correction")
    await chat.press_action("self")
    await chat.press_action("provider")
    assert chat.last == _said(_("Which information is wrong? Tell me in your own words."), chat)
    await chat.send("Te wāhi noho")
    await chat.send("12 Kōwhai Street")
    await chat.send("Mere Parata")
    await chat.press_action("send")

    await chat.command("status")

    assert _said(STATUS["submitted"], chat) in chat.all_text
    assert "12 Kōwhai Street" not in chat.all_text  # status shows where it is, not what it says


@pytest.mark.parametrize(("language", "register"), COMBINATIONS)
async def test_back_and_cancel_speak_the_familys_language(new_chat, language, register):
    chat = await _chat_in(new_chat, language, register)
    await chat.press_action("access")
    await chat.press_action("self")

    await chat.press_action("back")
    assert chat.last == _said(_("Whose information do you want to see?"), chat)
    await chat.press_action("cancel")

    assert _said(_("Cancelled. Nothing was sent."), chat) in chat.all_text
