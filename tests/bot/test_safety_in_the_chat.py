"""A family who types words of danger or distress, through the flows and the real database: the safety answer
comes at once, in their language and register, the normal next step still follows, and their wish to talk
to a person is marked urgent for staff. (On Telegram: tests/bot/test_safety_on_telegram.py; in the web
chat and on the desk: tests/bot/desk/test_contact_safety_desk.py.)"""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.models import ContactRequest, Person
from bot.people.enrolment import issue_code

EN_ADULT = "If you or someone with you is in danger now, call 111."
EN_CHILD = "If you are not safe right now, call 111."
MI_ADULT = "Mēnā kei te mōrearea koe, tētahi atu rānei i tō taha ināianei, waea atu ki 111."
MI_CHILD = "Mēnā kāore koe i te haumaru ināianei, waea atu ki 111."


async def _enrolled(new_chat, sessions, language="en", register="adult"):
    async with sessions.begin() as session:
        person = (await session.exec(select(Person).where(Person.ref == "P-0001"))).one()
        code = await issue_code(session, person)
    chat = new_chat()
    await chat.command("start", code)
    await chat.press_action("no")  # "Not now" to reading what happens to their information
    if language != "en":
        await chat.command("language")
        await chat.press_action(f"lang:{language}")
    if register != "adult":
        await chat.press_action("register")
        await chat.press_action(f"reg:{register}")
    return chat


async def _contacts(sessions) -> list[ContactRequest]:
    async with sessions() as session:
        return list(await session.exec(select(ContactRequest).order_by(ContactRequest.id)))


@pytest.mark.parametrize(("language", "register", "typed", "first", "lines", "not_given"), [
    ("en", "adult", "I don't feel safe at home", EN_ADULT, ["1737", "0800 733 843"], "Youthline"),
    ("en", "child", "he hits me", EN_CHILD, ["Youthline", "0800 376 633"], "1737"),
    ("mi", "adult", "Kāore au i te haumaru", MI_ADULT, ["1737", "0800 733 843"], "Youthline"),
    ("mi", "child", "kei te patu ia i a au", MI_CHILD, ["Youthline", "0800 376 633"], "1737"),
])
async def test_a_family_asking_for_a_person_in_danger_gets_111_and_help_lines_in_their_language_and_register(
        new_chat, sessions, language, register, typed, first, lines, not_given):
    chat = await _enrolled(new_chat, sessions, language, register)
    await chat.press_action("person")

    await chat.send(typed)

    safety = chat.texts[0]
    assert safety.startswith(first)
    assert all(line in safety for line in lines) and not_given not in safety
    assert len(chat.texts) > 1, "the normal next step still follows the safety answer"
    [contact] = await _contacts(sessions)
    assert contact.urgent and contact.note == typed


async def test_words_of_danger_typed_in_a_correction_are_answered_and_the_request_goes_on(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Something is wrong")
    await chat.press("Mine")
    await chat.press("CCSS")

    await chat.send("The report says I'm fine but I'm scared to go home")

    assert chat.texts[0].startswith(EN_ADULT)
    assert "should it say" in chat.last.lower(), "the correction's next question is still asked"
    [contact] = await _contacts(sessions)
    assert contact.urgent and "scared to go home" in contact.note


async def test_an_ordinary_note_for_a_worker_raises_no_alarm(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Talk to a person")

    await chat.send("My son is safe now, I just want to talk about his report")

    assert "111" not in chat.all_text and "within 2 working days" in chat.all_text
    [contact] = await _contacts(sessions)
    assert not contact.urgent


async def test_repeating_the_words_marks_the_waiting_request_urgent_without_flooding_the_desk(new_chat, sessions):
    chat = await _enrolled(new_chat, sessions)
    await chat.press("Talk to a person")
    await chat.send("Please ring me")

    for _ in range(3):
        await chat.send("I want to die")

    assert chat.texts[0].startswith(EN_ADULT)
    [contact] = await _contacts(sessions)
    assert contact.urgent and contact.note == "Please ring me"
