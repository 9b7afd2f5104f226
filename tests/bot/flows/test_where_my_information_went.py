""""Where has my information gone?" in the chat, on the in-memory provider: each sending in plain words, in
four versions, for the chat's person and the children they may act for, and never anyone else's. The
database-backed ledger is tests/bot/reports (the sendings) and tests/bot/test_ledger_in_the_chat.py."""

from __future__ import annotations

from datetime import date

import pytest

from bot.flows.ports import Sending
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY, FamilyChat
from tests.fakes.family_port import FakeFamily, FakePerson, MemoryConversations

AGREEMENT = load_agreement()
ATTENDANCE = Sending(1, "Aroha", date(2026, 12, 14), "attendance", "service-reporting", named=True)
SURVEY = Sending(1, "Aroha", date(2026, 11, 20), "survey-answers", "evaluation", named=False)
MERE = Sending(2, "Mere", date(2026, 12, 1), "enrolment", "service-reporting", named=True)
STRANGER = Sending(3, "Sina", date(2026, 12, 2), "enrolment", "service-reporting", named=True)


@pytest.fixture
def family():
    aroha = FakePerson(1, "Aroha", may_ask_for=[2], code="aroha-code")
    people = [aroha, FakePerson(2, "Mere"), FakePerson(3, "Sina", code="sina-code")]
    made = FakeFamily(AGREEMENT, TODAY, people)
    made.sent = [ATTENDANCE, SURVEY, MERE, STRANGER]
    return made


@pytest.fixture
def new_chat(family):
    conversations = MemoryConversations(family)
    counter = iter(range(1, 1000))
    return lambda hint="en": FamilyChat(conversations, f"memory-{next(counter)}", hint)


async def _where_has_it_gone(chat: FamilyChat, code: str = "aroha-code") -> str:
    await chat.command("start", code)
    await chat.press("Not now")
    await chat.press("My information")
    await chat.press("Where has my information gone?")
    return chat.all_text


async def test_each_sending_says_what_went_to_which_unit_on_which_day_and_why(new_chat):
    text = await _where_has_it_gone(new_chat())

    attendance = AGREEMENT.flow("attendance")
    assert "14 December 2026" in text
    assert AGREEMENT.text(AGREEMENT.unit("service-reporting").name, "en", "adult") in text
    assert AGREEMENT.text(attendance.what, "en", "adult") in text
    assert AGREEMENT.text(attendance.why, "en", "adult") in text
    assert "Reporting analysts" in text  # who there sees it, from the agreement's seen_by


async def test_a_named_sending_says_which_parts_of_the_agency_never_get_it(new_chat):
    text = await _where_has_it_gone(new_chat())

    assert "It has the person's name on it. No other part of the Ministry gets it (Evaluation team)." in text


async def test_a_sending_under_a_study_number_says_the_receivers_never_learn_who_it_is_about(new_chat):
    text = await _where_has_it_gone(new_chat())

    assert "a study number on it, not a name, so they never learn who it is about" in text
    assert "Only CCSS can match the number to a person." in text


async def test_a_parent_sees_the_sendings_about_a_child_they_may_act_for_but_no_one_else(new_chat):
    text = await _where_has_it_gone(new_chat())

    assert "Where your information has gone" in text
    assert "Where Mere's information has gone" in text
    assert "1 December 2026" in text
    assert "Sina" not in text and "2 December 2026" not in text


async def test_someone_with_no_sendings_is_told_nothing_has_been_sent_yet(new_chat):
    text = await _where_has_it_gone(new_chat(), code="sina-code")

    assert "Where Sina" not in text
    chat = new_chat()
    await chat.command("start")
    await chat.press("Not now")
    await chat.press("My information")
    await chat.press("Where has my information gone?")
    assert "CCSS has not sent any information about you to the Ministry yet." in chat.all_text


@pytest.mark.parametrize(("language", "register", "expected"), [
    ("en", "child", "It has a number on it, not a name."),
    ("mi", "adult", "He tau rangahau kei runga, ehara i te ingoa"),
    ("mi", "child", "He tau kei runga, ehara i te ingoa."),
])
async def test_the_sendings_are_told_in_the_family_s_language_and_register(new_chat, family, language, register,
                                                                           expected):
    chat = new_chat()
    await chat.command("start", "aroha-code")
    await chat.press("Not now")
    await chat.press_action("language")
    await chat.press_action(f"lang:{language}")
    await chat.press_action("register")
    await chat.press_action(f"reg:{register}")

    await chat.press_action("information")
    await chat.press_action("gone")

    assert expected in chat.all_text
    assert AGREEMENT.text(AGREEMENT.flow("survey-answers").what, language, register) in chat.all_text


async def test_the_menu_fits_a_phone_with_the_questions_about_information_one_level_down(new_chat):
    chat = new_chat()
    await chat.command("start", "aroha-code")
    await chat.press("Not now")

    assert len(chat.labels) <= 8
    await chat.press("My information")
    assert chat.labels[:4] == ["What happens to my information?", "Where has my information gone?",
                               "How was my information used?", "Who has seen my information?"]
